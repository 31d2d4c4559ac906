/*
 * proxwatch - the command line.  Sub-commands parse their options and call
 * the modules; nothing else happens here.
 *
 * Exit status: 0 done, 1 failed while running (for run: also when an
 * expectation of the scenario's expect { } did not hold), 2 bad input or
 * usage.
 */
#include "devices.h"
#include "traces.h"
#include "expect.h"
#include "record.h"
#include "sim.h"

#include <ctype.h>
#include <getopt.h>
#include <stdarg.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Defined with the help texts, after the commands. */
static int print_help(FILE *to, const char *cmd);
static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_option(const char *cmd, int c, char **argv);

/* getopt_long over a command's own argv (argv[0] is the command's name):
 * --opt value and --opt=value both work, options and operands may mix,
 * and errors come back as '?' (unknown) or ':' (a value missing) for
 * bad_option to word. */
static int next_option(int argc, char **argv, const char *shortopts, const struct option *longopts)
{
    char spec[32];
    snprintf(spec, sizeof spec, ":%s", shortopts);
    opterr = 0;
    return getopt_long(argc, argv, spec, longopts, NULL);
}

/* "Gangnam morning" -> "gangnam-morning" (ASCII letters and digits). */
/* Output folders are used with file names appended in fixed buffers: a
 * longer path is an error, not a silently cut one. */
#define PW_MAX_OUT_PATH 400

static int out_path_ok(const char *cmd, const char *path)
{
    if (strlen(path) > PW_MAX_OUT_PATH) {
        fprintf(stderr, "proxwatch %s: --out: the path is longer than %d characters\n", cmd, PW_MAX_OUT_PATH);
        return 0;
    }
    if (!path[0]) {
        fprintf(stderr, "proxwatch %s: --out: an empty path\n", cmd);
        return 0;
    }
    return 1;
}

static void slug(const char *name, char *out, size_t n)
{
    size_t k = 0;
    int dash = 0;
    for (const char *p = name; *p && k + 2 < n; p++) {
        unsigned char c = (unsigned char)*p;
        if (isalnum(c) && c < 128) {
            if (dash && k > 0)
                out[k++] = '-';
            out[k++] = (char)tolower(c);
            dash = 0;
        } else {
            dash = 1;
        }
    }
    if (k == 0)
        k = (size_t)snprintf(out, n, "scenario");
    out[k] = '\0';
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || !isdigit((unsigned char)s[0]))
        return 0; /* digits only: strtoull would take " -1" as 2^64 - 1 */
    *out = v;
    return 1;
}

/* The exit status for a module's status (sim.h, sim_status): the user's
 * input is 2, any other failure 1.  Exit statuses are chosen here only. */
static int exit_status(int st)
{
    return st == SIM_OK ? 0 : st == SIM_EINVAL ? 2 : 1;
}

/* summary.json, published whole (written as .part, then renamed); 0, or
 * -1 with the reason in err. */
static int write_summary_json(const char *dir, const scn_scenario *s, const sim_summary *sum,
                              const eval_expect_result *expects, size_t failed, char *err, size_t errlen)
{
    FILE *f = rec_part_open(dir, "summary.json", err, errlen);
    if (!f)
        return -1;
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_kstr(&w, "scenario", s->name);
    rec_json_kuint(&w, "seed", s->seed);
    rec_json_kfixed(&w, "sim_seconds", sum->sim_seconds, 0);
    rec_json_key(&w, "fixes");
    rec_json_object(&w);
    static const char *const fix_keys[] = {"sent", "delivered", "accepted", "rejected", "lost"};
    const uint64_t fix_counts[] = {sum->fixes_sent, sum->fixes_delivered, sum->fixes_accepted,
                                   sum->fixes_rejected, sum->fixes_lost};
    for (size_t i = 0; i < 5; i++) {
        rec_json_kuint(&w, fix_keys[i], fix_counts[i]);
    }
    rec_json_end(&w);
    rec_json_key(&w, "events");
    rec_json_object(&w);
    for (int t = 1; t < PW_EV_TYPE_COUNT; t++) {
        rec_json_kuint(&w, pw_event_name((pw_event_type)t), sum->by_type[t]);
    }
    rec_json_end(&w);
    if (s->n_expects) {
        rec_json_kuint(&w, "expect_not_held", failed);
        rec_json_key(&w, "expect");
        eval_expect_write_json(&w, expects, s->n_expects);
    }
    rec_json_end(&w);
    rec_json_text(&w, "\n");
    if (rec_json_finish(&w) != 0) {
        rec_part_close(f, dir, "summary.json", 0, NULL, 0);
        snprintf(err, errlen, "%s/summary.json: cannot write: %s", dir, strerror(errno ? errno : EIO));
        return -1;
    }
    return rec_part_close(f, dir, "summary.json", 1, err, errlen);
}

/* The default output folder's parent; an error says why it cannot be made. */
/* Stage the output folder (record.h).  A folder holding files proxwatch
 * did not write is bad input (2); other failures are 1.  0 when staged. */
static int stage_out(const char *cmd, const char *dir, char *stage, size_t n)
{
    char err[1024];
    if (rec_dir_replaceable(dir, err, sizeof err) != 0) {
        fprintf(stderr, "proxwatch %s: %s\n", cmd, err);
        return 2;
    }
    if (rec_stage_dir(dir, stage, n, err, sizeof err) != 0) {
        fprintf(stderr, "proxwatch %s: %s\n", cmd, err);
        return 1;
    }
    return 0;
}

static int make_runs_dir(const char *cmd)
{
    if (mkdir("runs", 0777) == 0 || errno == EEXIST)
        return 0;
    fprintf(stderr, "proxwatch %s: cannot create the folder 'runs': %s\n", cmd, strerror(errno));
    return -1;
}

static int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    scn_options opts = {0};
    int quiet = 0, gpkg = 0;
    static char set_names[SIM_SWEEP_MAX_AXES][64];
    const char *names[SIM_SWEEP_MAX_AXES];
    double values[SIM_SWEEP_MAX_AXES];
    size_t n_set = 0;
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'}, {"set", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},  {"quiet", no_argument, NULL, 'q'},
        {"gpkg", no_argument, NULL, 'G'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = next_option(argc, argv, "s:o:qh", longopts)) != -1) {
        if (c == 'S') {
            /* --set NAME=VALUE: a param() of the scenario, or a rule or
             * device parameter (as in sweep), for a variant without a copy. */
            const char *a = optarg, *eq = strchr(a, '=');
            char *end = NULL;
            double v = eq ? strtod(eq + 1, &end) : NAN;
            if (!eq || eq == a || (size_t)(eq - a) >= sizeof set_names[0] || end == eq + 1 || *end ||
                !isfinite(v))
                return usage_error("run", "--set '%s': expected NAME=NUMBER", a);
            if (n_set == SIM_SWEEP_MAX_AXES)
                return usage_error("run", "at most %d --set options", SIM_SWEEP_MAX_AXES);
            memcpy(set_names[n_set], a, (size_t)(eq - a));
            set_names[n_set][eq - a] = '\0';
            for (size_t k = 0; k < n_set; k++)
                if (!strcmp(names[k], set_names[n_set]))
                    return usage_error("run", "--set %s is given twice", names[k]);
            names[n_set] = set_names[n_set];
            values[n_set++] = v;
        } else if (c == 's') {
            if (!parse_u64(optarg, &opts.seed) || opts.seed == 0)
                return usage_error("run", "--seed: '%s' is not a whole number from 1", optarg);
            opts.has_seed = 1;
        } else if (c == 'o') {
            out = optarg;
            if (!out_path_ok("run", out))
                return 2;
        } else if (c == 'q') {
            quiet = 1;
        } else if (c == 'G') {
            gpkg = 1;
        } else if (c == 'h') {
            return print_help(stdout, "run");
        } else {
            return bad_option("run", c, argv);
        }
    }
    if (argc - optind > 1)
        return usage_error("run", "one scenario at a time ('%s' and '%s')", argv[optind], argv[optind + 1]);
    if (optind < argc)
        path = argv[optind];
    if (!path)
        path = PW_DEFAULT_SCENARIO;

    scn_scenario s;
    if (n_set > 0) {
        char lerr[700];
        int st = sim_load_with_params(path, names, values, n_set, opts.has_seed ? &opts.seed : NULL, &s, lerr,
                                      sizeof lerr);
        if (st != SIM_OK) {
            fprintf(stderr, "%s\n", lerr);
            return exit_status(st);
        }
    } else {
        scn_error err;
        scn_status st = scn_load_file(&s, path, &opts, &err);
        if (st != SCN_OK) {
            fprintf(stderr, "%s\n", err.message[0] ? err.message : scn_strerror(st));
            return 2;
        }
    }
    char dir[512];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        char sl[96];
        slug(s.name, sl, sizeof sl);
        snprintf(dir, sizeof dir, "runs/%s-%llu", sl, (unsigned long long)s.seed);
    }
    /* The run is written into a stage beside DIR and published whole at
     * the end: a failed run leaves an earlier one in DIR as it was. */
    char stage[600], werr[1024];
    int sst = stage_out("run", dir, stage, sizeof stage);
    if (sst != 0) {
        scn_free(&s);
        return sst;
    }
    sim_run_options ro = {
        .out_dir = stage, .progress = !quiet && isatty(STDERR_FILENO), .record = 1, .gpkg = gpkg};
    sim_summary sum;
    char msg[600] = "";
    int rc = sim_run(&s, &ro, &sum, msg, sizeof msg);
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        scn_free(&s);
        return sum.script_error ? 2 : 1;
    }
    eval_expect_result *expects = calloc(s.n_expects ? s.n_expects : 1, sizeof *expects);
    if (!expects) {
        fprintf(stderr, "proxwatch run: out of memory\n");
        scn_free(&s);
        return 1;
    }
    size_t failed = eval_expect_check(&s, &sum.report, sum.by_type, expects);
    if (write_summary_json(stage, &s, &sum, expects, failed, werr, sizeof werr) != 0 ||
        rec_publish_dir(stage, dir, werr, sizeof werr) != 0) {
        fprintf(stderr, "proxwatch run: %s\n", werr);
        rec_remove_tree(stage);
        free(expects);
        scn_free(&s);
        return 1;
    }

    size_t offenders = 0, victims = 0, patrols = 0;
    for (size_t i = 0; i < s.n_actors; i++) {
        offenders += s.actors[i].role == SCN_OFFENDER;
        victims += s.actors[i].role == SCN_VICTIM;
        patrols += s.actors[i].role == SCN_PATROL;
    }
    printf("proxwatch run: %s (seed %llu)\n", s.name, (unsigned long long)s.seed);
    printf("  simulated      %.0f s in %.2f s of wall time\n", sum.sim_seconds, sum.wall_seconds);
    printf("  actors         %zu offenders, %zu victims, %zu patrols; %zu cases\n", offenders, victims,
           patrols, s.n_cases);
    printf("  fixes          %llu delivered to the engine: %llu accepted, %llu rejected; "
           "%llu reports lost in the network\n",
           (unsigned long long)sum.fixes_delivered, (unsigned long long)sum.fixes_accepted,
           (unsigned long long)sum.fixes_rejected, (unsigned long long)sum.fixes_lost);
    printf("  pre-warnings   %llu, alarms %llu, reveal windows %llu, incidents %llu\n",
           (unsigned long long)sum.by_type[PW_EV_PREWARN_OPEN], (unsigned long long)sum.by_type[PW_EV_ALARM_OPEN],
           (unsigned long long)sum.by_type[PW_EV_REVEAL_OPEN],
           (unsigned long long)sum.by_type[PW_EV_INCIDENT_OPEN]);
    printf("pilot metrics (tolerance %.0f s):\n", sum.report.tau_s);
    eval_report_print(stdout, &sum.report);
    if (s.n_expects) {
        printf("expectations (%s:%d): %zu of %zu held\n", s.file, s.expects[0].line, s.n_expects - failed,
               s.n_expects);
        for (size_t i = 0; i < s.n_expects; i++)
            printf("  %s\n", expects[i].text);
    }
    printf("written %s/{report.json,run.geojson,%sevents.jsonl,fixes.csv,truth.csv,summary.json}\n", dir,
           gpkg ? "run.gpkg," : "");
    fflush(stdout); /* the verdict comes after the lines it sums up, also when both are piped */
    if (failed)
        fprintf(stderr, "proxwatch run: %s:%d: %zu of %zu expectations NOT held (seed %llu)\n", s.file,
                s.expects[0].line, failed, s.n_expects, (unsigned long long)s.seed);
    free(expects);
    scn_free(&s);
    return failed ? 1 : 0;
}

/* "300,500,800" -> values; 0 on a malformed list. */
static size_t parse_values(const char *text, double *out, size_t cap)
{
    size_t n = 0;
    const char *p = text;
    while (*p && n < cap) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno)
            return 0;
        out[n++] = v;
        if (*end == ',')
            p = end + 1;
        else if (*end == '\0')
            return n;
        else
            return 0;
    }
    return *p ? 0 : n;
}

static int cmd_sweep(int argc, char **argv)
{
    enum { MAX_VALUES = 64 };
    static char names[SIM_SWEEP_MAX_AXES][64];
    static double values[SIM_SWEEP_MAX_AXES][MAX_VALUES];
    sim_sweep_axis axes[SIM_SWEEP_MAX_AXES];
    size_t n_axes = 0;
    const char *path = NULL, *out = NULL;
    uint64_t seeds = 10, jobs = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
    double run_timeout = SIM_SWEEP_RUN_TIMEOUT_S;
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 'S'},         {"seeds", required_argument, NULL, 'n'},
        {"jobs", required_argument, NULL, 'j'},        {"run-timeout", required_argument, NULL, 'T'},
        {"out", required_argument, NULL, 'o'},         {"list-params", no_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},              {NULL, 0, NULL, 0}};
    int c;
    while ((c = next_option(argc, argv, "j:o:h", longopts)) != -1) {
        if (c == 'S') {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof names[0])
                return usage_error("sweep", "--set '%s': expected NAME=V1,V2,...", optarg);
            if (n_axes == SIM_SWEEP_MAX_AXES)
                return usage_error("sweep", "at most %d --set options", SIM_SWEEP_MAX_AXES);
            memcpy(names[n_axes], optarg, (size_t)(eq - optarg));
            names[n_axes][eq - optarg] = '\0';
            for (size_t k = 0; k < n_axes; k++)
                if (strcmp(names[k], names[n_axes]) == 0)
                    return usage_error("sweep", "--set %s is given twice; list all its values in one "
                                                "(--set %s=V1,V2,...)", names[k], names[k]);
            size_t n = parse_values(eq + 1, values[n_axes], MAX_VALUES);
            if (n == 0)
                return usage_error("sweep", "--set %s: '%s' is not a list of numbers (at most %d)",
                                   names[n_axes], eq + 1, MAX_VALUES);
            axes[n_axes] = (sim_sweep_axis){names[n_axes], values[n_axes], n};
            n_axes++;
        } else if (c == 'n') {
            if (!parse_u64(optarg, &seeds) || seeds < 1 || seeds > 100000)
                return usage_error("sweep", "--seeds: '%s' is not a count from 1 to 100000", optarg);
        } else if (c == 'T') {
            char *end;
            run_timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(run_timeout > 0) || !isfinite(run_timeout))
                return usage_error("sweep", "--run-timeout: '%s' is not a number of seconds above 0", optarg);
        } else if (c == 'j') {
            if (!parse_u64(optarg, &jobs) || jobs < 1 || jobs > 1024)
                return usage_error("sweep", "--jobs: '%s' is not a count from 1 to 1024", optarg);
        } else if (c == 'o') {
            out = optarg;
            if (!out_path_ok("sweep", out))
                return 2;
        } else if (c == 'L') {
            puts("Parameters every scenario has (times in seconds); a scenario may add its own");
            puts("with param(\"NAME\", default):");
            sim_param_list(stdout);
            return 0;
        } else if (c == 'h') {
            return print_help(stdout, "sweep");
        } else {
            return bad_option("sweep", c, argv);
        }
    }
    if (argc - optind > 1)
        return usage_error("sweep", "one scenario at a time ('%s' and '%s')", argv[optind], argv[optind + 1]);
    if (optind < argc)
        path = argv[optind];
    if (!path)
        return usage_error("sweep", "which scenario?");
    char dir[512];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        scn_scenario s;
        scn_error err;
        if (scn_load_file(&s, path, NULL, &err) != SCN_OK) {
            fprintf(stderr, "%s\n", err.message);
            return 2;
        }
        char sl[96];
        slug(s.name, sl, sizeof sl);
        scn_free(&s);
        if (make_runs_dir("sweep") != 0)
            return 1;
        snprintf(dir, sizeof dir, "runs/sweep-%s", sl);
    }
    sim_sweep_spec sp = {.scenario_path = path, .axes = axes, .n_axes = n_axes, .seeds = (int)seeds,
                         .first_seed = 1, .jobs = (int)jobs, .out_dir = dir, .progress = isatty(STDERR_FILENO),
                         .run_timeout_s = run_timeout};
    size_t grid = 1;
    for (size_t a = 0; a < n_axes; a++)
        grid *= axes[a].n;
    size_t failed = 0;
    char msg[700], stage[600];
    int sst = stage_out("sweep", dir, stage, sizeof stage);
    if (sst != 0)
        return sst;
    sp.out_dir = stage; /* published whole at the end (record.h) */
    int rc = sim_sweep(&sp, &failed, msg, sizeof msg);
    if (rc == 0 && rec_publish_dir(stage, dir, msg, sizeof msg) != 0)
        rc = SIM_ERUN;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        return exit_status(rc);
    }
    printf("proxwatch sweep: %s\n", path);
    printf("  %zu combinations x %llu seeds = %zu runs, %zu failed, %llu at a time\n", grid,
           (unsigned long long)seeds, grid * (size_t)seeds, failed, (unsigned long long)jobs);
    printf("written %s/{sweep.csv,sweep.json}\n", dir);
    return failed ? 1 : 0;
}

static void warn_cb(void *ctx, const char *file, long line, const char *what)
{
    long *n = ctx;
    if ((*n)++ < 20)
        fprintf(stderr, "%s:%ld: %s\n", file, line, what);
    else if (*n == 21)
        fprintf(stderr, "%s: more warnings follow; see the summary\n", file);
}

static int cmd_decode(int argc, char **argv)
{
    const char *path = NULL;
    trc_options o;
    trc_options_default(&o);
    long warnings = 0;
    o.warn = warn_cb;
    o.warn_ctx = &warnings;
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    int c;
    while ((c = next_option(argc, argv, "f:h", longopts)) != -1) {
        if (c == 'f') {
            const char *f = optarg;
            o.format = !strcmp(f, "nmea") ? TRC_NMEA : !strcmp(f, "gpsd") ? TRC_GPSD_JSON
                     : !strcmp(f, "csv") ? TRC_CSV : (trc_format)-1;
            if ((int)o.format < 0)
                return usage_error("decode", "--format: '%s' is not nmea, gpsd or csv", f);
        } else if (c == 'h') {
            return print_help(stdout, "decode");
        } else {
            return bad_option("decode", c, argv);
        }
    }
    if (argc - optind > 1)
        return usage_error("decode", "one trace at a time ('%s' and '%s')", argv[optind], argv[optind + 1]);
    if (optind < argc)
        path = argv[optind];
    if (!path)
        return usage_error("decode", "which trace?");
    trc_reader *rd;
    trc_status st = trc_open(path, &o, &rd);
    if (st != TRC_OK) {
        fprintf(stderr, "%s: %s\n", path, trc_strerror(st));
        return 2;
    }
    pw_fix fix;
    trc_fix_extra extra;
    char line[1024];
    static char outbuf[1 << 16]; /* decode's output is most of its I/O */
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    while ((st = trc_next(rd, &fix, &extra)) == TRC_OK) {
        size_t n = trc_decode_json(&fix, &extra, line, sizeof line - 1);
        if (n > sizeof line - 2)
            n = sizeof line - 2;
        line[n] = '\n';
        fwrite(line, 1, n + 1, stdout);
    }
    const trc_counters *cnt = trc_get_counters(rd);
    fprintf(stderr, "proxwatch decode: %s: %ld lines, %ld fixes, %ld sentences skipped\n", path, cnt->lines,
            cnt->fixes, cnt->skipped_total);
    int rc = st == TRC_EOF ? 0 : 1;
    if (rc)
        fprintf(stderr, "%s: %s\n", path, trc_strerror(st));
    trc_close(rd);
    return fflush(stdout) == 0 ? rc : 1;
}

static int cmd_replay(int argc, char **argv)
{
    sim_replay_options o = {.alarm_radius_m = NAN, .out_dir = "runs/replay"};
    long warnings = 0;
    o.warn = warn_cb;
    o.warn_ctx = &warnings;
    static const struct option longopts[] = {
        {"offender", required_argument, NULL, 'O'},       {"victim", required_argument, NULL, 'V'},
        {"victim-at", required_argument, NULL, 'A'},      {"truth-offender", required_argument, NULL, 'P'},
        {"truth-victim", required_argument, NULL, 'Q'},   {"alarm-radius", required_argument, NULL, 'R'},
        {"force", no_argument, NULL, 'F'},                {"out", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},                 {NULL, 0, NULL, 0}};
    int c;
    while ((c = next_option(argc, argv, "o:h", longopts)) != -1) {
        const char *v = optarg;
        if (c == 'O') {
            o.offender_trace = v;
        } else if (c == 'V') {
            o.victim_trace = v;
        } else if (c == 'P') {
            o.truth_offender = v;
        } else if (c == 'Q') {
            o.truth_victim = v;
        } else if (c == 'F') {
            o.force = 1;
        } else if (c == 'o') {
            o.out_dir = v;
            if (!out_path_ok("replay", v))
                return 2;
        } else if (c == 'A') {
            char *end, *end2;
            o.victim_lat = strtod(v, &end);
            if (end == v || *end != ',' || !(fabs(o.victim_lat) <= 90))
                return usage_error("replay", "--victim-at '%s': expected LAT,LON in degrees", v);
            o.victim_lon = strtod(end + 1, &end2);
            if (*end2 || end2 == end + 1 || !(fabs(o.victim_lon) <= 180))
                return usage_error("replay", "--victim-at '%s': expected LAT,LON in degrees", v);
            o.has_victim_at = 1;
        } else if (c == 'R') {
            char *end;
            o.alarm_radius_m = strtod(v, &end);
            if (end == v || *end || !(o.alarm_radius_m > 0) || !isfinite(o.alarm_radius_m) ||
                o.alarm_radius_m > 100000)
                return usage_error("replay", "--alarm-radius '%s': expected metres, above 0 and at most 100000",
                                   v);
        } else if (c == 'h') {
            return print_help(stdout, "replay");
        } else {
            return bad_option("replay", c, argv);
        }
    }
    if (optind < argc)
        return usage_error("replay", "unexpected argument '%s' (traces come with --offender and --victim)",
                           argv[optind]);
    if (!o.offender_trace || (!o.victim_trace && !o.has_victim_at) || (o.victim_trace && o.has_victim_at)) {
        return usage_error("replay", "give --offender TRACE and one of --victim TRACE, --victim-at LAT,LON");
    }
    if (!strncmp(o.out_dir, "runs/", 5) && make_runs_dir("replay") != 0)
        return 1;
    sim_summary sum;
    char msg[1024], stage[600];
    const char *final_dir = o.out_dir;
    int sst = stage_out("replay", final_dir, stage, sizeof stage);
    if (sst != 0)
        return sst;
    o.out_dir = stage; /* published whole at the end (record.h) */
    int rc = sim_replay(&o, &sum, msg, sizeof msg);
    if (rc == 0 && rec_publish_dir(stage, final_dir, msg, sizeof msg) != 0)
        rc = SIM_ERUN;
    o.out_dir = final_dir;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        return exit_status(rc);
    }
    printf("proxwatch replay: %s against %s\n", o.offender_trace,
           o.victim_trace ? o.victim_trace : "a victim standing still");
    printf("  span           %.0f s; %llu fixes delivered: %llu accepted, %llu rejected", sum.report.sim_seconds,
           (unsigned long long)sum.fixes_delivered, (unsigned long long)sum.fixes_accepted,
           (unsigned long long)sum.fixes_rejected);
    if (sum.fixes_bad_time)
        printf("; %llu dropped for their times", (unsigned long long)sum.fixes_bad_time);
    putchar('\n');
    printf("  pre-warnings   %llu, alarms %llu, reveal windows %llu, incidents %llu\n",
           (unsigned long long)sum.by_type[PW_EV_PREWARN_OPEN], (unsigned long long)sum.by_type[PW_EV_ALARM_OPEN],
           (unsigned long long)sum.by_type[PW_EV_REVEAL_OPEN], (unsigned long long)sum.by_type[PW_EV_INCIDENT_OPEN]);
    printf("metrics, breaches judged on the %s (tolerance %.0f s):\n",
           strcmp(sum.report.truth, "reference") ? "traces themselves: give --truth-* for real figures"
                                                 : "reference trajectories",
           sum.report.tau_s);
    eval_report_print(stdout, &sum.report);
    printf("written %s/{report.json,events.jsonl}\n", o.out_dir);
    return 0;
}

static int cmd_live(int argc, char **argv)
{
    sim_live_options o = {.speed = 1.0, .out_dir = "runs/live"};
    static char host[256], port[32];
    const char *path = NULL;
    int have_as = 0;
    static const struct option longopts[] = {
        {"gpsd", required_argument, NULL, 'g'},  {"as", required_argument, NULL, 'a'},
        {"speed", required_argument, NULL, 'x'}, {"out", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},       {"any-date", no_argument, NULL, 'D'},
        {"gpkg", no_argument, NULL, 'G'},        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = next_option(argc, argv, "o:qh", longopts)) != -1) {
        const char *v = optarg;
        if (c == 'g') {
            const char *colon = strrchr(v, ':');
            if (!colon || colon == v || !colon[1] || (size_t)(colon - v) >= sizeof host ||
                strlen(colon + 1) >= sizeof port)
                return usage_error("live", "--gpsd '%s': expected HOST:PORT", v);
            memcpy(host, v, (size_t)(colon - v));
            host[colon - v] = '\0';
            snprintf(port, sizeof port, "%s", colon + 1);
            o.host = host;
            o.port = port;
        } else if (c == 'a') {
            if (!strcmp(v, "offender"))
                o.as = SCN_OFFENDER;
            else if (!strcmp(v, "victim"))
                o.as = SCN_VICTIM;
            else
                return usage_error("live", "--as '%s': offender or victim", v);
            have_as = 1;
        } else if (c == 'x') {
            char *end;
            o.speed = strtod(v, &end);
            if (end == v || *end || !(o.speed > 0) || o.speed > 1000)
                return usage_error("live", "--speed '%s': a factor above 0, at most 1000", v);
        } else if (c == 'o') {
            o.out_dir = v;
            if (!out_path_ok("live", o.out_dir))
                return 2;
        } else if (c == 'q') {
            o.quiet = 1;
        } else if (c == 'D') {
            o.any_date = 1;
        } else if (c == 'G') {
            o.gpkg = 1;
        } else if (c == 'h') {
            return print_help(stdout, "live");
        } else {
            return bad_option("live", c, argv);
        }
    }
    if (argc - optind > 1)
        return usage_error("live", "one scenario at a time ('%s' and '%s')", argv[optind], argv[optind + 1]);
    if (optind < argc)
        path = argv[optind];
    if (!o.host || !have_as) {
        return usage_error("live", "give --gpsd HOST:PORT and --as offender|victim");
    }
    scn_scenario s;
    scn_error err;
    if (scn_load_file(&s, path ? path : PW_DEFAULT_SCENARIO, NULL, &err) != SCN_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    if (!strncmp(o.out_dir, "runs/", 5) && make_runs_dir("live") != 0) {
        scn_free(&s);
        return 1;
    }
    fprintf(stderr, "proxwatch live: %s as the %s, gpsd at %s:%s; Ctrl-C ends the run\n", s.name,
            o.as == SCN_OFFENDER ? "offender" : "victim", host, port);
    sim_summary sum;
    char msg[1024], stage[600];
    const char *final_dir = o.out_dir;
    int sst = stage_out("live", final_dir, stage, sizeof stage);
    if (sst != 0) {
        scn_free(&s);
        return sst;
    }
    o.out_dir = stage; /* published whole at the end (record.h) */
    int rc = sim_live(&s, &o, &sum, msg, sizeof msg);
    if (rc == 0 && rec_publish_dir(stage, final_dir, msg, sizeof msg) != 0)
        rc = SIM_ERUN;
    o.out_dir = final_dir;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        scn_free(&s);
        return exit_status(rc);
    }
    printf("proxwatch live: %.0f s, %llu fixes delivered (the receiver's and the simulated devices')",
           sum.sim_seconds, (unsigned long long)sum.fixes_delivered);
    if (sum.fixes_bad_date)
        printf(", %llu receiver fixes ignored for their date", (unsigned long long)sum.fixes_bad_date);
    putchar('\n');
    printf("pilot metrics (tolerance %.0f s; the receiver's truth is its own fixes):\n", sum.report.tau_s);
    eval_report_print(stdout, &sum.report);
    printf("written %s/{report.json,run.geojson,%sevents.jsonl,fixes.csv,truth.csv}\n", o.out_dir,
           o.gpkg ? "run.gpkg," : "");
    scn_free(&s);
    return 0;
}

/* ---- help, usage errors, version ----------------------------------- */

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *synopsis;
    const char *summary;
    const char *help;
} command;

static const command commands[] = {
    {"run", cmd_run,
     "proxwatch run [SCENARIO.lua] [--seed N] [--set NAME=VALUE ...] [--out DIR] [--gpkg] [--quiet]",
     "run a scenario through the monitoring engine and report",
     "Runs a scenario (the bundled default when none is given) through the\n"
     "monitoring engine and writes report.json, run.geojson, events.jsonl,\n"
     "fixes.csv, truth.csv and summary.json into DIR (default\n"
     "runs/<scenario>-<seed>/), published whole at the end: a run that fails\n"
     "leaves an earlier one in DIR as it was.  The scenario's expect { } is\n"
     "checked after the run: one line per expectation, and exit status 1 when\n"
     "any is NOT held.\n"
     "\n"
     "  --seed N            the random seed (a whole number from 1; default the\n"
     "                      scenario's own)\n"
     "  --set NAME=VALUE    a param() of the scenario, or a rule or device\n"
     "                      parameter (proxwatch sweep --list-params); repeatable\n"
     "  --out DIR           where to write (at most 400 characters)\n"
     "  --gpkg              also write run.gpkg, an OGC GeoPackage for QGIS and\n"
     "                      GDAL (layers fixes, tracks, zones, episodes, events)\n"
     "  --quiet             no progress line\n"
     "\n"
     "Example: proxwatch run scenarios/school_zone.lua --seed 3 --set alarm_radius=300\n"},
    {"sweep", cmd_sweep,
     "proxwatch sweep SCENARIO.lua --set NAME=V1,V2,... [--set ...] [--seeds N] [--jobs N]\n"
     "                [--run-timeout SECONDS] [--out DIR] [--list-params]",
     "run a grid of parameters over many seeds",
     "Runs every combination of the --set values, each with seeds 1..N, in\n"
     "worker processes, and writes sweep.csv (one row per run) and sweep.json\n"
     "(per combination: the mean and 95 % interval of each figure) into DIR\n"
     "(default runs/sweep-<scenario>/).  A failed run is reported and marked;\n"
     "the others are kept.\n"
     "\n"
     "  --set NAME=V1,V2,.. the values of one parameter; repeatable, each name once\n"
     "  --seeds N           seeds 1..N for each combination (default 10)\n"
     "  --jobs N, -j N      worker processes at once (default: the cores)\n"
     "  --run-timeout S     stop a run still going after S seconds and mark it\n"
     "                      failed (default 600)\n"
     "  --out DIR           where to write\n"
     "  --list-params       the parameters every scenario has, and exit\n"
     "\n"
     "Example: proxwatch sweep scenarios/regional_day.lua --set alarm_radius=300,500 --seeds 20\n"},
    {"decode", cmd_decode,
     "proxwatch decode TRACE [--format nmea|gpsd|csv]",
     "print a field trace's fixes as JSON lines",
     "Reads a field trace (NMEA 0183, gpsd JSON as written by gpspipe -w, or\n"
     "CSV of time,lat,lon[,acc_m]) and prints one JSON object per fix, as\n"
     "gpsd's gpsdecode does; bad lines are skipped with a warning naming the\n"
     "file and line.\n"
     "\n"
     "  --format F          nmea, gpsd or csv (default: found from the content)\n"
     "\n"
     "Example: proxwatch decode tests/data/gpsd/haicom-305N.log\n"},
    {"replay", cmd_replay,
     "proxwatch replay --offender TRACE [--victim TRACE | --victim-at LAT,LON]\n"
     "                 [--truth-offender REF] [--truth-victim REF] [--alarm-radius M]\n"
     "                 [--force] [--out DIR]",
     "run recorded traces through the engine",
     "Runs field traces (NMEA, gpsd JSON or CSV, in any mix) through the engine\n"
     "in the given roles and writes events.jsonl and report.json into DIR\n"
     "(default runs/replay/); with reference trajectories the breach and alert\n"
     "figures are measured against them.  Fixes whose times lie more than 6 h\n"
     "from the rest of their trace are dropped and counted.\n"
     "\n"
     "  --offender TRACE    the tag's trace (required)\n"
     "  --victim TRACE      the phone's trace, or\n"
     "  --victim-at LAT,LON a victim standing still there\n"
     "  --truth-offender REF, --truth-victim REF   reference trajectories\n"
     "  --alarm-radius M    the case's alarm radius (default 500)\n"
     "  --force             replay a span longer than 7 days\n"
     "  --out DIR           where to write\n"
     "\n"
     "Example: proxwatch replay --offender tag.nmea --victim-at 37.5665,126.978\n"},
    {"live", cmd_live,
     "proxwatch live --gpsd HOST:PORT --as offender|victim [SCENARIO.lua] [--speed X]\n"
     "               [--any-date] [--gpkg] [--quiet] [--out DIR]",
     "a real receiver as one actor of a simulated city",
     "A real receiver served by gpsd becomes one actor of the scenario (the\n"
     "first offender or victim) while the rest is simulated in real time; it\n"
     "prints the alerts as they happen, ends at the scenario's end or on\n"
     "Ctrl-C, and writes the outputs of run (default runs/live/).  Receiver\n"
     "fixes dated before 2020 or more than 24 h from this machine's clock are\n"
     "ignored and counted.\n"
     "\n"
     "  --gpsd HOST:PORT    the gpsd to read (required)\n"
     "  --as ROLE           offender or victim (required)\n"
     "  --speed X           simulate X times faster than real time (at most 1000)\n"
     "  --any-date          take fixes of any date (a recorded log through gpsfake)\n"
     "  --quiet             no alert lines\n"
     "  --gpkg              also write run.gpkg (as run --gpkg)\n"
     "  --out DIR           where to write\n"
     "\n"
     "Example: proxwatch live --gpsd localhost:2947 --as offender scenarios/default.lua\n"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void print_overview(FILE *to)
{
    fputs("usage: proxwatch COMMAND [OPTIONS]\n\n", to);
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(to, "  %-7s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'proxwatch help COMMAND' or 'proxwatch COMMAND --help' tells more;\n"
          "'proxwatch --version' the versions.  Exit status: 0 done, 1 failed while\n"
          "running (run: also an expectation NOT held), 2 bad input or usage.\n"
          "The manual: man proxwatch (docs/proxwatch.1).\n",
          to);
}

static int print_help(FILE *to, const char *cmd)
{
    const command *c = find_command(cmd);
    if (!c)
        return usage_error("help", "no command '%s' (run, sweep, decode, replay, live)", cmd);
    fprintf(to, "usage: %s\n\n%s", c->synopsis, c->help);
    return 0;
}

static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, cmd[0] ? "proxwatch %s: " : "proxwatch: ", cmd);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (find_command(cmd))
        fprintf(stderr, "; try 'proxwatch %s --help'\n", cmd);
    else
        fputs("; try 'proxwatch --help'\n", stderr);
    return 2;
}

static int bad_option(const char *cmd, int c, char **argv)
{
    const char *opt = argv[optind - 1];
    if (c == ':')
        return usage_error(cmd, "option '%s' needs a value", opt);
    if (!strncmp(opt, "--", 2)) {
        /* getopt_long sets optopt for a long option given a value it does
         * not take (--quiet=1); an unknown or ambiguous one leaves it 0. */
        if (optopt && strchr(opt, '='))
            return usage_error(cmd, "option '%.*s' takes no value", (int)(strchr(opt, '=') - opt), opt);
        return usage_error(cmd, "unknown or ambiguous option '%s'", opt);
    }
    if (optopt && optopt != '?')
        return usage_error(cmd, "unknown option '-%c'", optopt);
    return usage_error(cmd, "unknown option '%s'", opt);
}

static void print_version(void)
{
    printf("proxwatch %s (Lua %s, libgps API %s, libuv %s)\n", PW_VERSION, scn_lua_release(),
           trc_libgps_api(), sim_libuv_version());
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        print_version();
        return 0;
    }
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        if (argc > 2)
            return print_help(stdout, argv[2]) == 0 ? 0 : 2;
        print_overview(stdout);
        return 0;
    }
    const command *c = find_command(cmd);
    if (!c)
        return usage_error("", "unknown command '%s' (run, sweep, decode, replay, live)", cmd);
    return c->fn(argc - 1, argv + 1);
}
