/*
 * proxwatch - the command line.  Sub-commands parse their options and call
 * the modules; nothing else happens here.
 *
 * Exit status: 0 done, 1 failed while running (for run: also when an
 * expectation of the scenario's expect { } did not hold), 2 bad input or
 * usage.
 */
#include "devices.h"
#include "expect.h"
#include "record.h"
#include "sim.h"

#include <ctype.h>
#include <math.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fputs("usage: proxwatch run [SCENARIO.lua] [--seed N] [--set NAME=VALUE ...] [--out DIR] [--quiet]\n"
          "       proxwatch sweep SCENARIO.lua --set NAME=V1,V2,... [--set ...] [--seeds N]\n"
          "                       [-j JOBS] [--run-timeout SECONDS] [--out DIR] [--list-params]\n"
          "       proxwatch decode TRACE [--format nmea|gpsd|csv]\n"
          "       proxwatch replay --offender TRACE [--victim TRACE | --victim-at LAT,LON]\n"
          "                        [--truth-offender REF] [--truth-victim REF]\n"
          "                        [--alarm-radius M] [--force] [--out DIR]\n"
          "       proxwatch live --gpsd HOST:PORT --as offender|victim [SCENARIO.lua]\n"
          "                      [--speed X] [--any-date] [--out DIR]\n"
          "\n"
          "  run     run a scenario through the monitoring engine (the bundled\n"
          "          default scenario when none is given) and write report.json,\n"
          "          run.geojson, events.jsonl, fixes.csv, truth.csv and summary.json\n"
          "          into DIR\n"
          "          (default runs/<scenario>-<seed>/)\n"
          "          --set NAME=VALUE sets a param() of the scenario, or a rule or\n"
          "          device parameter (proxwatch sweep --list-params), for a variant\n"
          "          without a copy of the file\n"
          "          A scenario's expect { ... } is checked after the run: one line\n"
          "          per expectation (\"expect true_breaches = 2: measured 2, held\")\n"
          "          after the summary, the same in summary.json under \"expect\",\n"
          "          and exit status 1 when any is NOT held.  sweep and live do not\n"
          "          check expectations.\n"
          "\n"
          "  sweep   run every combination of the --set values, each with seeds\n"
          "          1..N (default 10), in JOBS worker processes (default: the\n"
          "          cores), and write sweep.csv (one row per run) and sweep.json\n"
          "          (per combination: mean and 95 % interval of each figure)\n"
          "          into DIR (default runs/sweep-<scenario>/); a run still going\n"
          "          after --run-timeout SECONDS (default 600) is stopped and marked\n"
          "          failed, and the others are kept\n"
          "\n"
          "  decode  read a field trace (NMEA 0183, gpsd JSON as written by\n"
          "          gpspipe -w, or CSV of time,lat,lon) and print one JSON object\n"
          "          per fix, as gpsd's gpsdecode does; bad lines are skipped with a\n"
          "          warning naming the file and line\n"
          "  replay  run field traces (NMEA, gpsd JSON or CSV, in any mix) through\n"
          "          the engine in the given roles; with reference trajectories the\n"
          "          breach and alert metrics are computed against them; writes\n"
          "          events.jsonl and report.json into DIR (default runs/replay/);\n"
          "          fixes whose times lie more than 6 h from the rest of their trace\n"
          "          are dropped and counted, and a span over 7 days needs --force\n"
          "  live    a real receiver served by gpsd becomes one actor of the\n"
          "          scenario (the first offender or victim) while the rest is\n"
          "          simulated in real time (--speed X: X times faster); prints the\n"
          "          alerts as they happen, ends at the scenario's end or on Ctrl-C,\n"
          "          and writes the outputs of run (default runs/live/); fixes dated\n"
          "          before 2020 or more than 24 h from this machine's clock are\n"
          "          ignored and counted (--any-date takes them: a recorded log)\n"
          "\n"
          "Exit status: 0 done, 1 failed while running or an expectation not\n"
          "held, 2 bad input or usage (the message names the file and line).\n"
          "Scenario language and expect { }: scenarios/README.md.\n",
          to);
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
    if (errno || end == s || *end || s[0] == '-')
        return 0;
    *out = v;
    return 1;
}

/* summary.json, published whole (written as .part, then renamed); 0, or
 * -1 with the reason in err. */
static int write_summary_json(const char *dir, const scn_scenario *s, const sim_summary *sum,
                              const sim_expect_result *expects, size_t failed, char *err, size_t errlen)
{
    char path[700];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char part[710];
    snprintf(part, sizeof part, "%s.part", path);
    FILE *f = fopen(part, "w");
    if (!f) {
        snprintf(err, errlen, "%s: cannot write: %s", part, strerror(errno));
        return -1;
    }
    fputs("{\"scenario\":", f);
    rec_json_string(f, s->name);
    fprintf(f, ",\"seed\":%llu,\"sim_seconds\":%.0f,", (unsigned long long)s->seed, sum->sim_seconds);
    fprintf(f, "\"fixes\":{\"sent\":%llu,\"delivered\":%llu,\"accepted\":%llu,\"rejected\":%llu,"
               "\"lost\":%llu},",
            (unsigned long long)sum->fixes_sent, (unsigned long long)sum->fixes_delivered,
            (unsigned long long)sum->fixes_accepted, (unsigned long long)sum->fixes_rejected,
            (unsigned long long)sum->fixes_lost);
    fprintf(f, "\"events\":{");
    int first = 1;
    for (int t = 1; t < PW_EV_TYPE_COUNT; t++) {
        fprintf(f, "%s\"%s\":%llu", first ? "" : ",", pw_event_name((pw_event_type)t),
                (unsigned long long)sum->by_type[t]);
        first = 0;
    }
    fprintf(f, "}");
    if (s->n_expects) {
        fprintf(f, ",\"expect_not_held\":%zu,\"expect\":", failed);
        sim_expect_write_json(f, expects, s->n_expects);
    }
    fprintf(f, "}\n");
    int bad = ferror(f);
    if (fclose(f) != 0 || bad) {
        snprintf(err, errlen, "%s: cannot write: %s", part, strerror(errno ? errno : EIO));
        remove(part);
        return -1;
    }
    if (rename(part, path) != 0) {
        snprintf(err, errlen, "%s: cannot publish: %s", path, strerror(errno));
        remove(part);
        return -1;
    }
    return 0;
}

/* The default output folder's parent; an error says why it cannot be made. */
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
    int quiet = 0;
    static char set_names[SIM_SWEEP_MAX_AXES][64];
    const char *names[SIM_SWEEP_MAX_AXES];
    double values[SIM_SWEEP_MAX_AXES];
    size_t n_set = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            /* --set NAME=VALUE: a param() of the scenario, or a rule or
             * device parameter (as in sweep), for a variant without a copy. */
            const char *a = argv[++i], *eq = strchr(a, '=');
            char *end = NULL;
            double v = eq ? strtod(eq + 1, &end) : NAN;
            if (!eq || eq == a || (size_t)(eq - a) >= sizeof set_names[0] || end == eq + 1 || *end ||
                !isfinite(v)) {
                fprintf(stderr, "proxwatch run: --set '%s': expected NAME=NUMBER\n", a);
                return 2;
            }
            if (n_set == SIM_SWEEP_MAX_AXES) {
                fprintf(stderr, "proxwatch run: at most %d --set options\n", SIM_SWEEP_MAX_AXES);
                return 2;
            }
            memcpy(set_names[n_set], a, (size_t)(eq - a));
            set_names[n_set][eq - a] = '\0';
            for (size_t k = 0; k < n_set; k++)
                if (!strcmp(names[k], set_names[n_set])) {
                    fprintf(stderr, "proxwatch run: --set %s is given twice\n", names[k]);
                    return 2;
                }
            names[n_set] = set_names[n_set];
            values[n_set++] = v;
            continue;
        }
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &opts.seed) || opts.seed == 0) {
                fprintf(stderr, "proxwatch run: --seed: '%s' is not a whole number from 1\n", argv[i]);
                return 2;
            }
            opts.has_seed = 1;
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
            if (!out_path_ok("run", out))
                return 2;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "proxwatch run: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "proxwatch run: one scenario at a time ('%s' and '%s')\n", path, argv[i]);
            return 2;
        }
    }
    if (!path)
        path = PW_DEFAULT_SCENARIO;

    scn_scenario s;
    if (n_set > 0) {
        char lerr[700];
        if (sim_load_with_params(path, names, values, n_set, opts.has_seed ? &opts.seed : NULL, &s, lerr,
                                 sizeof lerr) != 0) {
            fprintf(stderr, "%s\n", lerr);
            return 2;
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
    if (rec_stage_dir(dir, stage, sizeof stage, werr, sizeof werr) != 0) {
        fprintf(stderr, "proxwatch run: %s\n", werr);
        scn_free(&s);
        return 1;
    }
    sim_run_options ro = {.out_dir = stage, .progress = !quiet && isatty(STDERR_FILENO), .record = 1};
    sim_summary sum;
    char msg[600] = "";
    int rc = sim_run(&s, &ro, &sum, msg, sizeof msg);
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        scn_free(&s);
        return sum.script_error ? 2 : 1;
    }
    sim_expect_result *expects = calloc(s.n_expects ? s.n_expects : 1, sizeof *expects);
    if (!expects) {
        fprintf(stderr, "proxwatch run: out of memory\n");
        scn_free(&s);
        return 1;
    }
    size_t failed = sim_expect_check(&s, &sum, expects);
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
    sim_report_print(stdout, &sum.report);
    if (s.n_expects) {
        printf("expectations (%s:%d): %zu of %zu held\n", s.file, s.expects[0].line, s.n_expects - failed,
               s.n_expects);
        for (size_t i = 0; i < s.n_expects; i++)
            printf("  %s\n", expects[i].text);
    }
    printf("written %s/{report.json,run.geojson,events.jsonl,fixes.csv,truth.csv,summary.json}\n", dir);
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
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) {
            const char *eq = strchr(argv[++i], '=');
            if (!eq || eq == argv[i] || (size_t)(eq - argv[i]) >= sizeof names[0]) {
                fprintf(stderr, "proxwatch sweep: --set '%s': expected NAME=V1,V2,...\n", argv[i]);
                return 2;
            }
            if (n_axes == SIM_SWEEP_MAX_AXES) {
                fprintf(stderr, "proxwatch sweep: at most %d --set options\n", SIM_SWEEP_MAX_AXES);
                return 2;
            }
            memcpy(names[n_axes], argv[i], (size_t)(eq - argv[i]));
            names[n_axes][eq - argv[i]] = '\0';
            for (size_t k = 0; k < n_axes; k++) {
                if (strcmp(names[k], names[n_axes]) == 0) {
                    fprintf(stderr, "proxwatch sweep: --set %s is given twice; list all its values in one "
                                    "(--set %s=V1,V2,...)\n",
                            names[k], names[k]);
                    return 2;
                }
            }
            size_t n = parse_values(eq + 1, values[n_axes], MAX_VALUES);
            if (n == 0) {
                fprintf(stderr, "proxwatch sweep: --set %s: '%s' is not a list of numbers (at most %d)\n",
                        names[n_axes], eq + 1, MAX_VALUES);
                return 2;
            }
            axes[n_axes] = (sim_sweep_axis){names[n_axes], values[n_axes], n};
            n_axes++;
        } else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &seeds) || seeds < 1 || seeds > 100000) {
                fprintf(stderr, "proxwatch sweep: --seeds: '%s' is not a count from 1\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--run-timeout") == 0 && i + 1 < argc) {
            char *end;
            run_timeout = strtod(argv[++i], &end);
            if (end == argv[i] || *end || !(run_timeout > 0) || !isfinite(run_timeout)) {
                fprintf(stderr, "proxwatch sweep: --run-timeout: '%s' is not a number of seconds above 0\n",
                        argv[i]);
                return 2;
            }
        } else if ((strcmp(argv[i], "-j") == 0 || strcmp(argv[i], "--jobs") == 0) && i + 1 < argc) {
            if (!parse_u64(argv[++i], &jobs) || jobs < 1 || jobs > 1024) {
                fprintf(stderr, "proxwatch sweep: -j: '%s' is not a count from 1 to 1024\n", argv[i]);
                return 2;
            }
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
            if (!out_path_ok("sweep", out))
                return 2;
        } else if (strcmp(argv[i], "--list-params") == 0) {
            puts("Parameters every scenario has (times in seconds); a scenario may add its own");
            puts("with param(\"NAME\", default):");
            sim_param_list(stdout);
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "proxwatch sweep: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "proxwatch sweep: one scenario at a time\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "proxwatch sweep: which scenario?\n");
        usage(stderr);
        return 2;
    }
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
    if (rec_stage_dir(dir, stage, sizeof stage, msg, sizeof msg) != 0) {
        fprintf(stderr, "proxwatch sweep: %s\n", msg);
        return 1;
    }
    sp.out_dir = stage; /* published whole at the end (record.h) */
    int rc = sim_sweep(&sp, &failed, msg, sizeof msg);
    if (rc == 0 && rec_publish_dir(stage, dir, msg, sizeof msg) != 0)
        rc = 1;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        return rc;
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
    dev_trace_options o;
    dev_trace_options_default(&o);
    long warnings = 0;
    o.warn = warn_cb;
    o.warn_ctx = &warnings;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
            const char *f = argv[++i];
            o.format = !strcmp(f, "nmea") ? DEV_TRACE_NMEA : !strcmp(f, "gpsd") ? DEV_TRACE_GPSD_JSON
                     : !strcmp(f, "csv") ? DEV_TRACE_CSV : (dev_trace_format)-1;
            if ((int)o.format < 0) {
                fprintf(stderr, "proxwatch decode: --format: '%s' is not nmea, gpsd or csv\n", f);
                return 2;
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "proxwatch decode: unknown option '%s'\n", argv[i]);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "proxwatch decode: one trace at a time\n");
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "proxwatch decode: which trace?\n");
        usage(stderr);
        return 2;
    }
    dev_trace_reader *rd;
    dev_trace_status st = dev_trace_open(path, &o, &rd);
    if (st != DEV_TRACE_OK) {
        fprintf(stderr, "%s: %s\n", path, dev_trace_strerror(st));
        return 2;
    }
    pw_fix fix;
    dev_fix_extra extra;
    char line[1024];
    static char outbuf[1 << 16]; /* decode's output is most of its I/O */
    setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
    while ((st = dev_trace_next(rd, &fix, &extra)) == DEV_TRACE_OK) {
        size_t n = dev_decode_json(&fix, &extra, line, sizeof line - 1);
        if (n > sizeof line - 2)
            n = sizeof line - 2;
        line[n] = '\n';
        fwrite(line, 1, n + 1, stdout);
    }
    const dev_trace_counters *c = dev_trace_get_counters(rd);
    fprintf(stderr, "proxwatch decode: %s: %ld lines, %ld fixes, %ld sentences skipped\n", path, c->lines,
            c->fixes, c->skipped_total);
    int rc = st == DEV_TRACE_EOF ? 0 : 1;
    if (rc)
        fprintf(stderr, "%s: %s\n", path, dev_trace_strerror(st));
    dev_trace_close(rd);
    return fflush(stdout) == 0 ? rc : 1;
}

static int cmd_replay(int argc, char **argv)
{
    sim_replay_options o = {.alarm_radius_m = NAN, .out_dir = "runs/replay"};
    long warnings = 0;
    o.warn = warn_cb;
    o.warn_ctx = &warnings;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--force")) {
            o.force = 1;
            continue;
        }
        if (!v && a[0] == '-') {
            fprintf(stderr, "proxwatch replay: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--offender"))
            o.offender_trace = v;
        else if (!strcmp(a, "--victim"))
            o.victim_trace = v;
        else if (!strcmp(a, "--truth-offender"))
            o.truth_offender = v;
        else if (!strcmp(a, "--truth-victim"))
            o.truth_victim = v;
        else if (!strcmp(a, "--out")) {
            o.out_dir = v;
            if (!out_path_ok("replay", v))
                return 2;
        }
        else if (!strcmp(a, "--victim-at")) {
            char *end;
            o.victim_lat = strtod(v, &end);
            if (end == v || *end != ',' || !(fabs(o.victim_lat) <= 90)) {
                fprintf(stderr, "proxwatch replay: --victim-at '%s': expected LAT,LON in degrees\n", v);
                return 2;
            }
            char *end2;
            o.victim_lon = strtod(end + 1, &end2);
            if (*end2 || end2 == end + 1 || !(fabs(o.victim_lon) <= 180)) {
                fprintf(stderr, "proxwatch replay: --victim-at '%s': expected LAT,LON in degrees\n", v);
                return 2;
            }
            o.has_victim_at = 1;
        } else if (!strcmp(a, "--alarm-radius")) {
            char *end;
            o.alarm_radius_m = strtod(v, &end);
            if (end == v || *end || !(o.alarm_radius_m > 0) || !isfinite(o.alarm_radius_m) ||
                o.alarm_radius_m > 100000) {
                fprintf(stderr, "proxwatch replay: --alarm-radius '%s': expected metres, above 0 and at most "
                                "100000\n", v);
                return 2;
            }
        } else {
            fprintf(stderr, "proxwatch replay: unknown option '%s'\n", a);
            usage(stderr);
            return 2;
        }
        i++;
    }
    if (!o.offender_trace || (!o.victim_trace && !o.has_victim_at) || (o.victim_trace && o.has_victim_at)) {
        fprintf(stderr, "proxwatch replay: give --offender TRACE and one of --victim TRACE, --victim-at LAT,LON\n");
        return 2;
    }
    if (!strncmp(o.out_dir, "runs/", 5) && make_runs_dir("replay") != 0)
        return 1;
    sim_summary sum;
    char msg[1024], stage[600];
    const char *final_dir = o.out_dir;
    if (rec_stage_dir(final_dir, stage, sizeof stage, msg, sizeof msg) != 0) {
        fprintf(stderr, "proxwatch replay: %s\n", msg);
        return 1;
    }
    o.out_dir = stage; /* published whole at the end (record.h) */
    int rc = sim_replay(&o, &sum, msg, sizeof msg);
    if (rc == 0 && rec_publish_dir(stage, final_dir, msg, sizeof msg) != 0)
        rc = 1;
    o.out_dir = final_dir;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        return rc;
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
    sim_report_print(stdout, &sum.report);
    printf("written %s/{report.json,events.jsonl}\n", o.out_dir);
    return 0;
}

static int cmd_live(int argc, char **argv)
{
    sim_live_options o = {.speed = 1.0, .out_dir = "runs/live"};
    static char host[256], port[32];
    const char *path = NULL;
    int have_as = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--gpsd") && i + 1 < argc) {
            const char *v = argv[++i], *colon = strrchr(v, ':');
            if (!colon || colon == v || !colon[1] || (size_t)(colon - v) >= sizeof host || strlen(colon + 1) >= sizeof port) {
                fprintf(stderr, "proxwatch live: --gpsd '%s': expected HOST:PORT\n", v);
                return 2;
            }
            memcpy(host, v, (size_t)(colon - v));
            host[colon - v] = '\0';
            snprintf(port, sizeof port, "%s", colon + 1);
            o.host = host;
            o.port = port;
        } else if (!strcmp(argv[i], "--as") && i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(v, "offender"))
                o.as = SCN_OFFENDER;
            else if (!strcmp(v, "victim"))
                o.as = SCN_VICTIM;
            else {
                fprintf(stderr, "proxwatch live: --as '%s': offender or victim\n", v);
                return 2;
            }
            have_as = 1;
        } else if (!strcmp(argv[i], "--speed") && i + 1 < argc) {
            char *end;
            o.speed = strtod(argv[++i], &end);
            if (*end || !(o.speed > 0) || o.speed > 1000) {
                fprintf(stderr, "proxwatch live: --speed '%s': a factor above 0\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(argv[i], "--out") && i + 1 < argc) {
            o.out_dir = argv[++i];
            if (!out_path_ok("live", o.out_dir))
                return 2;
        } else if (!strcmp(argv[i], "--quiet")) {
            o.quiet = 1;
        } else if (!strcmp(argv[i], "--any-date")) {
            o.any_date = 1;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "proxwatch live: unknown option '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        } else if (!path) {
            path = argv[i];
        } else {
            fprintf(stderr, "proxwatch live: one scenario at a time\n");
            return 2;
        }
    }
    if (!o.host || !have_as) {
        fprintf(stderr, "proxwatch live: give --gpsd HOST:PORT and --as offender|victim\n");
        return 2;
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
    if (rec_stage_dir(final_dir, stage, sizeof stage, msg, sizeof msg) != 0) {
        fprintf(stderr, "proxwatch live: %s\n", msg);
        scn_free(&s);
        return 1;
    }
    o.out_dir = stage; /* published whole at the end (record.h) */
    int rc = sim_live(&s, &o, &sum, msg, sizeof msg);
    if (rc == 0 && rec_publish_dir(stage, final_dir, msg, sizeof msg) != 0)
        rc = 1;
    o.out_dir = final_dir;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        rec_remove_tree(stage);
        scn_free(&s);
        return rc;
    }
    printf("proxwatch live: %.0f s, %llu fixes delivered (the receiver's and the simulated devices')",
           sum.sim_seconds, (unsigned long long)sum.fixes_delivered);
    if (sum.fixes_bad_date)
        printf(", %llu receiver fixes ignored for their date", (unsigned long long)sum.fixes_bad_date);
    putchar('\n');
    printf("pilot metrics (tolerance %.0f s; the receiver's truth is its own fixes):\n", sum.report.tau_s);
    sim_report_print(stdout, &sum.report);
    printf("written %s/{report.json,run.geojson,events.jsonl,fixes.csv,truth.csv}\n", o.out_dir);
    scn_free(&s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    if (strcmp(argv[1], "sweep") == 0)
        return cmd_sweep(argc - 2, argv + 2);
    if (strcmp(argv[1], "decode") == 0)
        return cmd_decode(argc - 2, argv + 2);
    if (strcmp(argv[1], "replay") == 0)
        return cmd_replay(argc - 2, argv + 2);
    if (strcmp(argv[1], "live") == 0)
        return cmd_live(argc - 2, argv + 2);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "proxwatch: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
