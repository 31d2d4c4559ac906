/*
 * sweep_pool.c - running a sweep's runs: the pool of forked workers (each
 * with the sweep's time limit, each leaving one row), the order they go in
 * (largest first), one machine's scheduling, the checkpoints a sweep cut
 * short resumes from (final_dir/sweep.partial.csv), and the resume.
 */
#include "sweep_internal.h"
#include "record.h"
#include "pw_grow.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* How often the runs done so far are written to sweep.partial.csv
 * (PW_SWEEP_CHECKPOINT_S overrides it, for tests). */
#define CHECKPOINT_S 2.0

static double checkpoint_s(void)
{
    const char *v = getenv("PW_SWEEP_CHECKPOINT_S");
    double s = v ? strtod(v, NULL) : 0.0;
    return s > 0.0 ? s : CHECKPOINT_S;
}

static double now_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void sweep_row_path(const sweep_plan *pl, size_t k, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%zu.row", pl->row_dir, k);
}

/* One run in a worker process; its row says how it went.  Returns the
 * worker's exit status (0, or 1 when the row could not be written). */
static int run_one(const sim_sweep_spec *sp, size_t g, uint64_t seed, const char *row_path)
{
    scn_scenario s;
    char err[600];
    FILE *f = fopen(row_path, "w");
    if (!f)
        return 1;
    int rc = sweep_load_point(sp, g, seed, &s, err, sizeof err);
    if (rc == 0) {
        sim_run_options ro = {.out_dir = NULL, .progress = 0, .record = 0};
        sim_summary sum;
        rc = sim_run(&s, &ro, &sum, err, sizeof err) == 0 ? 0 : 1;
        scn_free(&s);
        if (rc == 0) {
            double v[128];
            size_t n = eval_report_fields(&sum.report, v);
            fputs("ok", f);
            for (size_t i = 0; i < n; i++)
                fprintf(f, ",%.9g", v[i]);
            fputc('\n', f);
        }
    }
    if (rc != 0) {
        /* The reason, on one line, for the sweep's log. */
        for (char *p = err; *p; p++)
            if (*p == '\n' || *p == ',')
                *p = ' ';
        fprintf(f, "failed,%s\n", err);
    }
    return fclose(f) == 0 ? rc : 1;
}

typedef struct worker {
    pid_t pid;
    size_t run;
    double started;
    int killed;
} worker;

static void stop_all(worker *w, int jobs)
{
    for (int k = 0; k < jobs; k++)
        if (w[k].pid > 0) {
            kill(w[k].pid, SIGKILL);
            waitpid(w[k].pid, NULL, 0);
        }
}

int sweep_pool(sweep_plan *pl, int jobs, const sweep_pool_ops *ops, char *err, size_t errlen)
{
    const sim_sweep_spec *sp = pl->sp;
    double limit = sp->run_timeout_s > 0 ? sp->run_timeout_s : SIM_SWEEP_RUN_TIMEOUT_S;
    worker *w = calloc((size_t)jobs, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return SIM_ERUN;
    }
    fflush(NULL);
    /* With SIGCHLD ignored (a parent that set it so), children are reaped
     * by the kernel and waitpid could never see them end. */
    void (*old_chld)(int) = signal(SIGCHLD, SIG_DFL);
    int running = 0, ended = 0, rc = 0;
    for (;;) {
        while (!ended && running < jobs) {
            size_t k = ops->take(ops->ctx);
            if (k == SWEEP_END) {
                ended = 1;
                break;
            }
            char row[800];
            sweep_row_path(pl, k, row, sizeof row);
            size_t g = k / (size_t)sp->seeds;
            uint64_t seed = sp->first_seed + k % (size_t)sp->seeds;
            pid_t parent = getpid(), pid = fork();
            if (pid < 0) {
                snprintf(err, errlen, "cannot start a worker: %s", strerror(errno));
                stop_all(w, jobs);
                rc = SIM_ERUN;
                goto out;
            }
            if (pid == 0) {
                /* A worker dies with the sweep (SIGTERM or SIGKILL to the
                 * sweep alone would leave it running, past its time limit). */
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                if (getppid() != parent)
                    _exit(1); /* the sweep is already gone */
                _exit(run_one(sp, g, seed, row));
            }
            for (int j = 0; j < jobs; j++)
                if (w[j].pid == 0) {
                    w[j] = (worker){pid, k, now_wall(), 0};
                    break;
                }
            running++;
        }
        if (ops->poll) /* every turn: other ranks may be waiting for an answer */
            ops->poll(ops->ctx);
        if (ended && running == 0 && ops->finished(ops->ctx))
            break;
        /* Our own workers only: a caller's other children are not ours to
         * reap (and would be miscounted). */
        int reaped = 0;
        for (int j = 0; j < jobs; j++) {
            int status;
            if (w[j].pid <= 0 || waitpid(w[j].pid, &status, WNOHANG) != w[j].pid)
                continue;
            if (w[j].killed) {
                char row[800];
                sweep_row_path(pl, w[j].run, row, sizeof row);
                FILE *f = fopen(row, "w");
                if (f) {
                    fprintf(f, "failed,stopped after the run time limit of %g s (--run-timeout)\n", limit);
                    fclose(f);
                }
            }
            size_t k = w[j].run;
            w[j].pid = 0;
            running--;
            reaped = 1;
            rc = ops->ready(ops->ctx, k);
            if (rc) {
                stop_all(w, jobs);
                goto out;
            }
        }
        if (!reaped) {
            double t = now_wall();
            for (int j = 0; j < jobs; j++)
                if (w[j].pid > 0 && !w[j].killed && t - w[j].started > limit) {
                    kill(w[j].pid, SIGKILL);
                    w[j].killed = 1;
                }
            struct timespec nap = {0, 5 * 1000 * 1000};
            nanosleep(&nap, NULL);
        }
    }
out:
    free(w);
    signal(SIGCHLD, old_chld);
    return rc;
}

/* ---- the order: largest first --------------------------------------- */

static const sweep_plan *order_plan; /* qsort has no context argument */

static int by_cost(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    const sweep_plan *pl = order_plan;
    double cx = pl->cost[x / (size_t)pl->sp->seeds], cy = pl->cost[y / (size_t)pl->sp->seeds];
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return x < y ? -1 : x > y;
}

size_t sweep_order(const sweep_plan *pl, size_t *order)
{
    size_t n = 0;
    for (size_t k = 0; k < pl->runs; k++)
        if (!pl->done[k])
            order[n++] = k;
    order_plan = pl;
    qsort(order, n, sizeof *order, by_cost);
    return n;
}

/* ---- progress and checkpoints --------------------------------------- */

int sweep_write_id(const sweep_plan *pl, const char *dir, char *err, size_t errlen)
{
    FILE *f = rec_part_open(dir, "sweep.id", err, errlen);
    if (!f)
        return SIM_ERUN;
    fprintf(f, "proxwatch-sweep %016llx\n", (unsigned long long)pl->scenario_digest);
    return rec_part_close(f, dir, "sweep.id", 1, err, errlen) == 0 ? 0 : SIM_ERUN;
}

/* final_dir/sweep.partial.csv: every run done so far, in run order (and
 * sweep.id beside it, which a resume must match). */
static void checkpoint(sweep_plan *pl)
{
    const sim_sweep_spec *sp = pl->sp;
    if (!sp->final_dir)
        return;
    char err[600];
    if (rec_make_dirs(sp->final_dir) != 0 || sweep_write_id(pl, sp->final_dir, err, sizeof err) != 0)
        return; /* a checkpoint is a courtesy: the sweep goes on without */
    FILE *f = rec_part_open(sp->final_dir, "sweep.partial.csv", err, sizeof err);
    if (!f)
        return;
    size_t nf = eval_report_field_count();
    double *vals = calloc(nf ? nf : 1, sizeof *vals);
    sweep_csv_header(f, sp);
    for (size_t k = 0; k < pl->runs && vals; k++) {
        if (!pl->done[k])
            continue;
        char path[800], line[8192] = "", why[600];
        sweep_row_path(pl, k, path, sizeof path);
        FILE *r = fopen(path, "r");
        if (!r)
            continue;
        if (fgets(line, sizeof line, r)) {
            int ok;
            sweep_csv_row(f, sp, k, line, vals, &ok, why, sizeof why);
        }
        fclose(r);
    }
    rec_part_close(f, sp->final_dir, "sweep.partial.csv", vals != NULL, err, sizeof err);
    free(vals);
}

void sweep_note_done(sweep_plan *pl, size_t k)
{
    if (!pl->done[k]) {
        pl->done[k] = 1;
        pl->n_done++;
    }
    double t = now_wall();
    if (pl->sp->progress && (t - pl->last_progress > 0.25 || pl->n_done == pl->runs)) {
        pl->last_progress = t;
        fprintf(stderr, "\rproxwatch sweep: %zu/%zu runs  %.1f s", pl->n_done, pl->runs, t - pl->t0);
        if (pl->n_done == pl->runs)
            fputc('\n', stderr);
    }
    if (t - pl->last_checkpoint >= checkpoint_s() && pl->n_done < pl->runs) {
        pl->last_checkpoint = t;
        checkpoint(pl);
    }
}

/* ---- one machine ----------------------------------------------------- */

typedef struct local_ctx {
    sweep_plan *pl;
    const size_t *order;
    size_t n, next;
} local_ctx;

static size_t local_take(void *ctx)
{
    local_ctx *c = ctx;
    return c->next < c->n ? c->order[c->next++] : SWEEP_END;
}

static int local_ready(void *ctx, size_t run)
{
    sweep_note_done(((local_ctx *)ctx)->pl, run);
    return 0;
}

static int local_finished(void *ctx)
{
    (void)ctx;
    return 1;
}

int sweep_local(sweep_plan *pl, const size_t *order, size_t n, char *err, size_t errlen)
{
    local_ctx c = {pl, order, n, 0};
    sweep_pool_ops ops = {&c, local_take, local_ready, NULL, local_finished};
    return sweep_pool(pl, pl->sp->jobs, &ops, err, errlen);
}

/* ---- resume ---------------------------------------------------------- */

/* The run a sweep.csv line is about (its axes' values and its seed, as
 * sweep.csv writes them), or SWEEP_END; *rest points after "SEED,". */
static size_t run_of_line(const sweep_plan *pl, char *line, char **rest)
{
    const sim_sweep_spec *sp = pl->sp;
    size_t g = 0;
    char *p = line;
    for (size_t a = 0; a < sp->n_axes; a++) {
        char *comma = strchr(p, ',');
        if (!comma)
            return SWEEP_END;
        *comma = '\0';
        size_t idx = SWEEP_END;
        for (size_t i = 0; i < sp->axes[a].n && idx == SWEEP_END; i++) {
            char v[64];
            snprintf(v, sizeof v, "%.9g", sp->axes[a].values[i]);
            if (!strcmp(v, p))
                idx = i;
        }
        *comma = ',';
        if (idx == SWEEP_END)
            return SWEEP_END;
        g = g * sp->axes[a].n + idx;
        p = comma + 1;
    }
    char *end;
    unsigned long long seed = strtoull(p, &end, 10);
    if (end == p || *end != ',' || seed < sp->first_seed || seed - sp->first_seed >= (unsigned long long)sp->seeds)
        return SWEEP_END;
    *rest = end + 1;
    return g * (size_t)sp->seeds + (size_t)(seed - sp->first_seed);
}

static int resume_file(sweep_plan *pl, const char *name, size_t *taken, char *err, size_t errlen)
{
    const sim_sweep_spec *sp = pl->sp;
    char path[800];
    snprintf(path, sizeof path, "%s/%s", sp->final_dir, name);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0; /* nothing to resume from here */
    /* The header must be this sweep's: the same parameters and figures. */
    char want[8192] = "";
    FILE *h = fmemopen(want, sizeof want - 1, "w");
    if (h) {
        sweep_csv_header(h, sp);
        fclose(h);
    }
    char *line = NULL;
    size_t cap = 0;
    long no = 0;
    int rc = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        no++;
        if (no == 1) {
            if (len >= 2 && line[len - 2] == '\r') { /* a CRLF file: read as LF */
                line[len - 2] = '\n';
                line[len - 1] = '\0';
            }
            if (strcmp(line, want) != 0) {
                snprintf(err, errlen, "%s:1: --resume: the file is another sweep's (its parameters or figures "
                         "differ from this one's)", path);
                rc = SIM_EINVAL;
                break;
            }
            continue;
        }
        if (len == 0 || line[len - 1] != '\n')
            continue; /* the last line of a file cut short: run it again */
        line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r')
            line[--len] = '\0';
        char *rest;
        size_t k = run_of_line(pl, line, &rest);
        if (k == SWEEP_END || strncmp(rest, "ok,", 3) != 0 || pl->done[k])
            continue; /* another grid's run, a failed one (run again), or read already */
        /* Exactly the report's fields, each a number or empty (sweep.csv
         * leaves non-finite figures empty; the row says nan); anything else
         * is run again. */
        char fields[8192];
        size_t used = 0, got = 0, nf = eval_report_field_count();
        int good = 1;
        for (char *p = rest + 2; good && *p == ',';) {
            char *next = p + 1;
            size_t n = strcspn(next, ",");
            char num[64];
            if (n >= sizeof num) {
                good = 0;
                break;
            }
            memcpy(num, next, n);
            num[n] = '\0';
            char *end;
            if (n > 0)
                (void)strtod(num, &end);
            if (n > 0 && *end) {
                good = 0;
                break;
            }
            int w = snprintf(fields + used, sizeof fields - used, ",%s", n ? num : "nan");
            if (w < 0 || (size_t)w >= sizeof fields - used) {
                good = 0;
                break;
            }
            used += (size_t)w;
            got++;
            p = next + n;
        }
        if (!good || got != nf)
            continue;
        char row[800];
        sweep_row_path(pl, k, row, sizeof row);
        FILE *out = fopen(row, "w");
        if (!out) {
            snprintf(err, errlen, "%s: cannot write: %s", row, strerror(errno));
            rc = SIM_ERUN;
            break;
        }
        fprintf(out, "ok%s\n", fields);
        fclose(out);
        pl->done[k] = 1;
        pl->n_done++;
        (*taken)++;
    }
    free(line);
    fclose(f);
    return rc;
}

int sweep_resume(sweep_plan *pl, char *err, size_t errlen)
{
    if (!pl->sp->resume || !pl->sp->final_dir)
        return 0;
    /* The folder's rows must be this scenario's: sweep.id says whose. */
    char path[800], line[128] = "", want[64];
    snprintf(path, sizeof path, "%s/sweep.id", pl->sp->final_dir);
    snprintf(want, sizeof want, "proxwatch-sweep %016llx\n", (unsigned long long)pl->scenario_digest);
    FILE *id = fopen(path, "r");
    if (id) {
        if (!fgets(line, sizeof line, id))
            line[0] = '\0';
        fclose(id);
    }
    char csv[800], partial[800];
    snprintf(csv, sizeof csv, "%s/sweep.csv", pl->sp->final_dir);
    snprintf(partial, sizeof partial, "%s/sweep.partial.csv", pl->sp->final_dir);
    int any = access(csv, F_OK) == 0 || access(partial, F_OK) == 0;
    if (any && !id) {
        snprintf(err, errlen, "%s: --resume: missing, so the rows there cannot be told to be this sweep's "
                 "(a sweep by an older proxwatch?)", path);
        return SIM_EINVAL;
    }
    if (any && strcmp(line, want) != 0) {
        snprintf(err, errlen, "%s: --resume: the folder holds another sweep's rows (another scenario file, other "
                 "parameters or another proxwatch)", path);
        return SIM_EINVAL;
    }
    size_t taken = 0;
    int rc = resume_file(pl, "sweep.csv", &taken, err, errlen);
    if (rc == 0)
        rc = resume_file(pl, "sweep.partial.csv", &taken, err, errlen);
    if (rc == 0)
        fprintf(stderr, "proxwatch sweep: resuming: %zu of %zu runs done already\n", taken, pl->runs);
    return rc;
}
