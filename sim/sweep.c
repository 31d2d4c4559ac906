/*
 * sweep.c - a parameter sweep: named parameters applied to a loaded
 * scenario, and the grid of runs in worker processes (each with a time
 * limit), written to sweep.csv and sweep.json.  The report as a row and
 * the mean with its interval are eval/'s (stats.c).
 */
#include "record.h"
#include "sim.h"

#include <math.h>
#include <string.h>

/* ---- parameters -------------------------------------------------------- */

typedef enum target { T_CASE, T_TAG, T_PHONE, T_DISPATCH } target;
typedef enum unit { U_NUMBER, U_SECONDS, U_COUNT } unit;

typedef struct param_def {
    const char *name;
    target where;
    unit u;
    double lo, hi;
    const char *help;
} param_def;

static const param_def params[] = {
    {"alarm_radius", T_CASE, U_NUMBER, 1, 100000, "case alarm radius, m"},
    {"prewarn_radius", T_CASE, U_NUMBER, 0, 100000, "case pre-warning radius, m (0 off)"},
    {"enter_margin", T_CASE, U_NUMBER, 0, 10000, "m added to radii when opening"},
    {"leave_margin", T_CASE, U_NUMBER, 0, 10000, "m added to radii when closing"},
    {"p_open", T_CASE, U_NUMBER, 0.01, 1, "probability that opens an alarm"},
    {"p_close", T_CASE, U_NUMBER, 0, 0.99, "probability that closes it"},
    {"dwell_open", T_CASE, U_SECONDS, 0, 86400, "s the open condition must hold"},
    {"dwell_close", T_CASE, U_SECONDS, 0, 86400, "s the close condition must hold"},
    {"grace", T_CASE, U_SECONDS, 0, 86400, "s the victim keeps seeing after an alarm"},
    {"reveal_max", T_CASE, U_SECONDS, 1, 604800, "s a reveal window lasts at most"},
    {"tag_interval", T_TAG, U_SECONDS, 1, 86400, "s between tag fixes at rest"},
    {"tag_moving_interval", T_TAG, U_SECONDS, 1, 86400, "s between tag fixes while moving"},
    {"tag_pursuit_interval", T_TAG, U_SECONDS, 1, 86400, "s between tag fixes in pursuit"},
    {"tag_network_loss", T_TAG, U_NUMBER, 0, 0.99, "probability a tag report is lost"},
    {"tag_accuracy", T_TAG, U_NUMBER, 0.1, 20, "tag GNSS error scale"},
    {"phone_interval", T_PHONE, U_SECONDS, 1, 86400, "s between phone fixes at rest"},
    {"phone_moving_interval", T_PHONE, U_SECONDS, 1, 86400, "s between phone fixes while moving"},
    {"phone_network_loss", T_PHONE, U_NUMBER, 0, 0.99, "probability a phone report is lost"},
    {"phone_accuracy", T_PHONE, U_NUMBER, 0.1, 20, "phone GNSS error scale"},
    {"dispatchers", T_DISPATCH, U_COUNT, 1, SIM_MAX_DISPATCHERS, "112 dispatchers on shift"},
    {"handling_mean", T_DISPATCH, U_SECONDS, 1, 86400, "mean handling time at the desk, s"},
};

int sim_param_known(const char *name)
{
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (strcmp(params[i].name, name) == 0)
            return 1;
    return 0;
}

void sim_param_list(FILE *f)
{
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        fprintf(f, "  %-22s %s\n", params[i].name, params[i].help);
}

static void apply_device(scn_device *d, const char *name, double v)
{
    pw_time_ms ms = (pw_time_ms)llround(v * 1000.0);
    if (strstr(name, "_moving_interval"))
        d->interval_moving_ms = ms;
    else if (strstr(name, "_pursuit_interval"))
        d->interval_pursuit_ms = ms;
    else if (strstr(name, "_interval"))
        d->interval_rest_ms = ms;
    else if (strstr(name, "_network_loss"))
        d->net_loss = v;
    else if (strstr(name, "_accuracy"))
        d->accuracy_scale = v;
}

int sim_param_apply(scn_scenario *s, const char *name, double v, char *err, size_t errlen)
{
    const param_def *p = NULL;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++)
        if (strcmp(params[i].name, name) == 0)
            p = &params[i];
    if (!p) {
        snprintf(err, errlen, "unknown parameter '%s' (proxwatch sweep --list-params shows them)", name);
        return SIM_EINVAL;
    }
    if (!isfinite(v) || v < p->lo || v > p->hi || (p->u == U_COUNT && v != floor(v))) {
        snprintf(err, errlen, "%s = %g is out of range [%g, %g]", name, v, p->lo, p->hi);
        return SIM_EINVAL;
    }
    pw_time_ms ms = (pw_time_ms)llround(v * 1000.0);
    switch (p->where) {
    case T_CASE:
        for (size_t i = 0; i < s->n_cases; i++) {
            eng_case_def *d = &s->cases[i].def;
            if (!strcmp(name, "alarm_radius")) d->alarm_radius_m = v;
            else if (!strcmp(name, "prewarn_radius")) d->prewarn_radius_m = v;
            else if (!strcmp(name, "enter_margin")) d->enter_margin_m = v;
            else if (!strcmp(name, "leave_margin")) d->leave_margin_m = v;
            else if (!strcmp(name, "p_open")) d->p_open = v;
            else if (!strcmp(name, "p_close")) d->p_close = v;
            else if (!strcmp(name, "dwell_open")) d->dwell_open_ms = ms;
            else if (!strcmp(name, "dwell_close")) d->dwell_close_ms = ms;
            else if (!strcmp(name, "grace")) d->grace_ms = ms;
            else if (!strcmp(name, "reveal_max")) d->reveal_max_ms = ms;
            if (d->p_close >= d->p_open) {
                snprintf(err, errlen, "%s = %g leaves p_close (%g) not below p_open (%g)", name, v, d->p_close,
                         d->p_open);
                return SIM_EINVAL;
            }
        }
        break;
    case T_TAG:
    case T_PHONE:
        for (size_t i = 0; i < s->n_actors; i++) {
            scn_role want = p->where == T_TAG ? SCN_OFFENDER : SCN_VICTIM;
            if (s->actors[i].role == want)
                apply_device(&s->actors[i].device, name, v);
        }
        break;
    case T_DISPATCH:
        if (!strcmp(name, "dispatchers"))
            s->dispatch.dispatchers = (int)v;
        else
            s->dispatch.handling_mean_ms = ms;
        break;
    }
    return 0;
}

/* ---- running a sweep ---------------------------------------------------- */

#include "sweep_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Grid point g's value on axis a (the last axis varies fastest). */
double sweep_axis_value(const sim_sweep_spec *sp, size_t g, size_t a)
{
    size_t stride = 1;
    for (size_t k = sp->n_axes; k-- > a + 1;)
        stride *= sp->axes[k].n;
    return sp->axes[a].values[(g / stride) % sp->axes[a].n];
}

int sim_load_with_params(const char *path, const char *const *names, const double *values, size_t n,
                         const uint64_t *seed, scn_scenario *s, char *err, size_t errlen)
{
    if (n > SIM_SWEEP_MAX_AXES) {
        snprintf(err, errlen, "at most %d parameters", SIM_SWEEP_MAX_AXES);
        return SIM_EINVAL;
    }
    const char *script_names[SIM_SWEEP_MAX_AXES];
    double script_values[SIM_SWEEP_MAX_AXES];
    size_t n_script = 0;
    for (size_t a = 0; a < n; a++) {
        if (sim_param_known(names[a]))
            continue;
        script_names[n_script] = names[a];
        script_values[n_script] = values[a];
        n_script++;
    }
    int used[SIM_SWEEP_MAX_AXES] = {0};
    scn_options o = {.seed = seed ? *seed : 0, .has_seed = seed != NULL, .n_params = n_script,
                     .param_names = script_names, .param_values = script_values, .param_used = used};
    scn_error e;
    if (scn_load_file(s, path, &o, &e) != SCN_OK) {
        snprintf(err, errlen, "%s", e.message);
        return SIM_EINVAL;
    }
    for (size_t a = 0, k = 0; a < n; a++) {
        if (!sim_param_known(names[a]) && !used[k++]) {
            snprintf(err, errlen, "unknown parameter '%s': neither a rule or device parameter "
                     "(proxwatch sweep --list-params) nor a param(\"%s\", ...) of %s",
                     names[a], names[a], path);
            scn_free(s);
            return SIM_EINVAL;
        }
    }
    for (size_t a = 0; a < n; a++) {
        if (sim_param_known(names[a]) && sim_param_apply(s, names[a], values[a], err, errlen) != 0) {
            scn_free(s);
            return SIM_EINVAL;
        }
    }
    return 0;
}

/* Load the scenario for grid point g and seed.  0 or SIM_EINVAL. */
int sweep_load_point(const sim_sweep_spec *sp, size_t g, uint64_t seed, scn_scenario *s, char *err, size_t errlen)
{
    const char *names[SIM_SWEEP_MAX_AXES];
    double values[SIM_SWEEP_MAX_AXES];
    for (size_t a = 0; a < sp->n_axes; a++) {
        names[a] = sp->axes[a].name;
        values[a] = sweep_axis_value(sp, g, a);
    }
    return sim_load_with_params(sp->scenario_path, names, values, sp->n_axes, &seed, s, err, errlen);
}

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void sweep_csv_header(FILE *f, const sim_sweep_spec *sp)
{
    for (size_t a = 0; a < sp->n_axes; a++) {
        rec_csv_field(f, sp->axes[a].name);
        fputc(',', f);
    }
    fputs("seed,status", f);
    size_t nf = eval_report_field_count();
    for (size_t i = 0; i < nf; i++)
        fprintf(f, ",%s", eval_report_field_name(i));
    fputc('\n', f);
}

void sweep_csv_row(FILE *f, const sim_sweep_spec *sp, size_t k, const char *row, double *vals, int *ok, char *why,
                   size_t why_n)
{
    size_t nf = eval_report_field_count();
    char line[8192];
    snprintf(line, sizeof line, "%s", row);
    size_t g = k / (size_t)sp->seeds;
    for (size_t a = 0; a < sp->n_axes; a++)
        fprintf(f, "%.9g,", sweep_axis_value(sp, g, a));
    fprintf(f, "%llu,", (unsigned long long)(sp->first_seed + k % (size_t)sp->seeds));
    line[strcspn(line, "\n")] = '\0';
    size_t got = 0;
    if (strncmp(line, "ok,", 3) == 0) {
        /* Count the figures: a row cut short (a worker that died while
         * writing) is a failed run, not one with zeroes. */
        char *p = line + 3;
        for (size_t i = 0; i < nf && p; i++, got++) {
            vals[i] = strtod(p, NULL); /* "nan" and "-nan" included */
            p = strchr(p, ',');
            if (p)
                p++;
        }
        if (got < nf)
            snprintf(line, sizeof line, "failed,the worker's result is cut short");
    }
    *ok = got == nf;
    if (*ok) {
        fprintf(f, "ok");
        for (size_t i = 0; i < nf; i++) {
            if (isfinite(vals[i]))
                fprintf(f, ",%.9g", vals[i]);
            else
                fputs(",", f);
        }
        fputc('\n', f);
    } else {
        snprintf(why, why_n, "%s", strncmp(line, "failed,", 7) == 0 ? line + 7 : line);
        fprintf(f, "failed\n");
    }
}

/* sweep.csv, one row per run; sweep.json, per grid point. */
static int collect(sweep_plan *pl, size_t *failed_runs, char *err, size_t errlen)
{
    const sim_sweep_spec *sp = pl->sp;
    size_t runs = pl->runs, grid = pl->grid;
    size_t nf = eval_report_field_count();
    double *vals = calloc(runs * nf, sizeof *vals);
    int *ok = calloc(runs, sizeof *ok);
    FILE *csv = vals && ok ? rec_part_open(sp->out_dir, "sweep.csv", err, errlen) : NULL;
    FILE *js = csv ? rec_part_open(sp->out_dir, "sweep.json", err, errlen) : NULL;
    if (!vals || !ok || !csv || !js) {
        free(vals), free(ok);
        rec_part_close(csv, sp->out_dir, "sweep.csv", 0, NULL, 0);
        rec_part_close(js, sp->out_dir, "sweep.json", 0, NULL, 0);
        if (!vals || !ok)
            snprintf(err, errlen, "out of memory for the results");
        return SIM_ERUN;
    }
    if (sweep_write_id(pl, sp->out_dir, err, errlen) != 0) {
        free(vals), free(ok);
        rec_part_close(csv, sp->out_dir, "sweep.csv", 0, NULL, 0);
        rec_part_close(js, sp->out_dir, "sweep.json", 0, NULL, 0);
        return SIM_ERUN;
    }
    sweep_csv_header(csv, sp);
    for (size_t k = 0; k < runs; k++) {
        char row[800], line[8192] = "", why[8192];
        sweep_row_path(pl, k, row, sizeof row);
        FILE *f = fopen(row, "r");
        if (!f || !fgets(line, sizeof line, f))
            snprintf(line, sizeof line, "failed,the worker left no result\n");
        if (f)
            fclose(f);
        remove(row);
        sweep_csv_row(csv, sp, k, line, vals + k * nf, &ok[k], why, sizeof why);
        if (!ok[k]) {
            (*failed_runs)++;
            fprintf(stderr, "proxwatch sweep: run %zu (seed %llu) failed: %s\n", k,
                    (unsigned long long)(sp->first_seed + k % (size_t)sp->seeds), why);
        }
    }
    rmdir(pl->row_dir);
    rec_json jw;
    rec_json_to_file(&jw, js, REC_JSON_SPACED);
    rec_json_array(&jw);
    double *col = malloc((size_t)sp->seeds * sizeof *col);
    for (size_t g = 0; g < grid && col; g++) {
        rec_json_newline(&jw);
        rec_json_object(&jw);
        rec_json_key(&jw, "parameters");
        rec_json_object(&jw);
        for (size_t a = 0; a < sp->n_axes; a++) {
            rec_json_key(&jw, sp->axes[a].name);
            rec_json_sig(&jw, sweep_axis_value(sp, g, a), 9);
        }
        rec_json_end(&jw);
        size_t n_ok = 0;
        for (int s = 0; s < sp->seeds; s++)
            n_ok += ok[g * (size_t)sp->seeds + (size_t)s];
        rec_json_kuint(&jw, "runs", n_ok);
        rec_json_kuint(&jw, "failed", (size_t)sp->seeds - n_ok);
        rec_json_key(&jw, "figures");
        rec_json_object(&jw);
        for (size_t i = 0; i < nf; i++) {
            size_t m = 0;
            for (int s = 0; s < sp->seeds; s++) {
                size_t k = g * (size_t)sp->seeds + (size_t)s;
                if (ok[k])
                    col[m++] = vals[k * nf + i];
            }
            double mean, lo, hi;
            eval_mean_ci(col, m, &mean, &lo, &hi);
            rec_json_newline(&jw);
            rec_json_key(&jw, eval_report_field_name(i));
            rec_json_object(&jw);
            rec_json_key(&jw, "mean");
            rec_json_sig(&jw, mean, 6);
            rec_json_key(&jw, "ci95");
            rec_json_array(&jw);
            rec_json_sig(&jw, lo, 6);
            rec_json_sig(&jw, hi, 6);
            rec_json_end(&jw);
            rec_json_end(&jw);
        }
        rec_json_end(&jw);
        rec_json_end(&jw);
    }
    rec_json_end_newline(&jw);
    rec_json_text(&jw, "\n");
    int no_memory = !col, js_bad = rec_json_finish(&jw) != 0 || no_memory;
    free(col);
    free(vals);
    free(ok);
    if (js_bad) {
        rec_part_close(csv, sp->out_dir, "sweep.csv", 0, NULL, 0);
        rec_part_close(js, sp->out_dir, "sweep.json", 0, NULL, 0);
        snprintf(err, errlen, "%s/sweep.json: cannot write: %s", sp->out_dir, no_memory ? "out of memory"
                                                                                   : strerror(errno ? errno : EIO));
        return SIM_ERUN;
    }
    if (rec_part_close(csv, sp->out_dir, "sweep.csv", 1, err, errlen) != 0 ||
        rec_part_close(js, sp->out_dir, "sweep.json", 1, err, errlen) != 0) {
        return SIM_ERUN;
    }
    return 0;
}

/* FNV-1a, 64 bits: an identity, not a secret. */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static uint64_t fnv_text(uint64_t h, const char *s)
{
    return fnv(h, s, strlen(s) + 1);
}

/*
 * What makes two ranks' sweeps the same (pl->digest): the scenario file's
 * bytes, every parameter's name and values, the seeds, the run limit and
 * this proxwatch's version; and what a resumed sweep's rows must share
 * (pl->scenario_digest): the file's bytes, the parameter names, the
 * version (values and seeds may grow).
 */
static void digests(sweep_plan *pl)
{
    const sim_sweep_spec *sp = pl->sp;
    uint64_t h = 0xcbf29ce484222325ULL;
    FILE *f = fopen(sp->scenario_path, "rb");
    if (f) {
        unsigned char buf[8192];
        size_t got;
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            h = fnv(h, buf, got);
        fclose(f);
    }
    h = fnv_text(h, PW_VERSION);
    for (size_t a = 0; a < sp->n_axes; a++)
        h = fnv_text(h, sp->axes[a].name);
    pl->scenario_digest = h;
    char v[64];
    for (size_t a = 0; a < sp->n_axes; a++)
        for (size_t i = 0; i < sp->axes[a].n; i++) {
            snprintf(v, sizeof v, "%.17g", sp->axes[a].values[i]);
            h = fnv_text(h, v);
        }
    snprintf(v, sizeof v, "%d %llu %.17g", sp->seeds, (unsigned long long)sp->first_seed, sp->run_timeout_s);
    pl->digest = fnv_text(h, v);
}

int sim_sweep(const sim_sweep_spec *sp, size_t *failed_runs, char *err, size_t errlen)
{
    *failed_runs = 0;
    if (sp->n_axes > SIM_SWEEP_MAX_AXES || sp->seeds < 1 || sp->jobs < 1) {
        snprintf(err, errlen, "bad sweep: at most %d parameters, at least one seed and one job",
                 SIM_SWEEP_MAX_AXES);
        return SIM_EINVAL;
    }
    sweep_plan pl;
    memset(&pl, 0, sizeof pl);
    pl.sp = sp;
    pl.grid = 1;
    for (size_t a = 0; a < sp->n_axes; a++)
        pl.grid *= sp->axes[a].n;
    pl.runs = pl.grid * (size_t)sp->seeds;
    pl.cost = calloc(pl.grid, sizeof *pl.cost);
    pl.done = calloc(pl.runs, 1);
    size_t *order = malloc(pl.runs * sizeof *order);
    int rc = 0;
    if (!pl.cost || !pl.done || !order) {
        snprintf(err, errlen, "out of memory");
        rc = SIM_ERUN;
        goto out;
    }
    /* Everything is checked before anything runs: every grid point loads,
     * every name is a known parameter or a param() of the script, every
     * value is in range.  A run's cost, for the largest first: its actors
     * times its hours. */
    for (size_t g = 0; g < pl.grid; g++) {
        scn_scenario s;
        rc = sweep_load_point(sp, g, 1, &s, err, errlen);
        if (rc != 0) {
            if (sp->mpi) { /* no rank may be left waiting */
                sweep_mpi_bye(err);
                sim_sweep_abandon();
            }
            goto out;
        }
        pl.cost[g] = (double)s.n_actors * (double)s.duration_ms / 3.6e6;
        scn_free(&s);
    }
    digests(&pl);
    pl.t0 = pl.last_progress = pl.last_checkpoint = now_wall();
    if (sp->mpi && sweep_mpi_rank() != 0) { /* a worker rank: it runs what rank 0 gives it */
        rc = sweep_mpi_worker(&pl, err, errlen);
        goto out;
    }
    snprintf(pl.row_dir, sizeof pl.row_dir, "%s/.runs", sp->out_dir);
    if (rec_make_dirs(pl.row_dir) != 0) {
        snprintf(err, errlen, "%s: cannot create: %s", pl.row_dir, strerror(errno));
        rc = SIM_ERUN;
    }
    if (rc == 0)
        rc = sweep_resume(&pl, err, errlen);
    if (rc != 0) {
        if (sp->mpi)
            sim_sweep_abandon();
        goto out;
    }
    size_t n = sweep_order(&pl, order);
    rc = sp->mpi ? sweep_mpi_master(&pl, order, n, err, errlen) : sweep_local(&pl, order, n, err, errlen);
    if (rc == 0)
        rc = collect(&pl, failed_runs, err, errlen);
out:
    free(pl.cost);
    free(pl.done);
    free(order);
    return rc;
}
