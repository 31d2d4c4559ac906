/*
 * cmd_run.c - proxwatch run: a scenario through the engine, its report
 * and summary.json, its expectations checked.
 */
#include "cli.h"
#include "expect.h"
#include "record.h"
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cli_run(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    scn_options opts = {0};
    int quiet = 0, gpkg = 0, pictures = 1, compress = 0;
    static char set_names[SIM_SWEEP_MAX_AXES][64];
    const char *names[SIM_SWEEP_MAX_AXES];
    double values[SIM_SWEEP_MAX_AXES];
    size_t n_set = 0;
    static const struct option longopts[] = {
        {"seed", required_argument, NULL, 's'}, {"set", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},  {"quiet", no_argument, NULL, 'q'},
        {"gpkg", no_argument, NULL, 'G'},       {"no-pictures", no_argument, NULL, 'P'},
        {"compress", no_argument, NULL, 'Z'},   {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "s:o:qh", longopts)) != -1) {
        if (c == 'S') {
            /* --set NAME=VALUE: a param() of the scenario, or a rule or
             * device parameter (as in sweep), for a variant without a copy. */
            const char *a = optarg, *eq = strchr(a, '=');
            char *end = NULL;
            double v = eq ? strtod(eq + 1, &end) : NAN;
            if (!eq || eq == a || (size_t)(eq - a) >= sizeof set_names[0] || end == eq + 1 || *end ||
                !isfinite(v))
                return cli_usage_error("run", "--set '%s': expected NAME=NUMBER", a);
            if (n_set == SIM_SWEEP_MAX_AXES)
                return cli_usage_error("run", "at most %d --set options", SIM_SWEEP_MAX_AXES);
            memcpy(set_names[n_set], a, (size_t)(eq - a));
            set_names[n_set][eq - a] = '\0';
            for (size_t k = 0; k < n_set; k++)
                if (!strcmp(names[k], set_names[n_set]))
                    return cli_usage_error("run", "--set %s is given twice", names[k]);
            names[n_set] = set_names[n_set];
            values[n_set++] = v;
        } else if (c == 's') {
            if (!cli_parse_u64(optarg, &opts.seed) || opts.seed == 0)
                return cli_usage_error("run", "--seed: '%s' is not a whole number from 1", optarg);
            opts.has_seed = 1;
        } else if (c == 'o') {
            out = optarg;
            if (!cli_out_path_ok("run", out))
                return 2;
        } else if (c == 'q') {
            quiet = 1;
        } else if (c == 'G') {
            gpkg = 1;
        } else if (c == 'P') {
            pictures = 0;
        } else if (c == 'Z') {
            compress = 1;
        } else if (c == 'h') {
            return cli_print_help(stdout, "run");
        } else {
            return cli_bad_option("run", c, argv);
        }
    }
    if (cli_one_operand("run", "scenario", argc, argv, &path) != 0)
        return 2;
    if (!path)
        path = PW_DEFAULT_SCENARIO;

    scn_scenario s;
    if (n_set > 0) {
        char lerr[700];
        int st = sim_load_with_params(path, names, values, n_set, opts.has_seed ? &opts.seed : NULL, &s, lerr,
                                      sizeof lerr);
        if (st != SIM_OK) {
            fprintf(stderr, "%s\n", lerr);
            return cli_exit_status(st);
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
        cli_slug(s.name, sl, sizeof sl);
        snprintf(dir, sizeof dir, "runs/%s-%llu", sl, (unsigned long long)s.seed);
    }
    /* The run is written into a stage beside DIR and published whole at
     * the end: a failed run leaves an earlier one in DIR as it was. */
    char stage[600], werr[1024];
    int sst = cli_stage_out("run", dir, stage, sizeof stage);
    if (sst != 0) {
        scn_free(&s);
        return sst;
    }
    sim_run_options ro = {
        .out_dir = stage, .progress = !quiet && isatty(STDERR_FILENO), .record = 1, .gpkg = gpkg,
        .compress = compress};
    sim_summary sum;
    char msg[600] = "";
    int rc = sim_run(&s, &ro, &sum, msg, sizeof msg);
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        cli_publish(rc, stage, dir, msg, sizeof msg); /* removes the stage */
        scn_free(&s);
        return sum.script_error ? 2 : 1;
    }
    eval_expect_result *expects = calloc(s.n_expects ? s.n_expects : 1, sizeof *expects);
    if (!expects) {
        fprintf(stderr, "proxwatch run: out of memory\n");
        cli_publish(SIM_ENOMEM, stage, dir, msg, sizeof msg);
        scn_free(&s);
        return 1;
    }
    size_t failed = eval_expect_check(&s, &sum.report, sum.by_type, expects);
    int wrc = sim_summary_write_json(stage, &s, &sum, expects, failed, werr, sizeof werr);
    if (wrc == 0 && pictures && sum.fixes_delivered > 100000) {
        /* Reading a big run's records costs seconds (a regional day: 370,000
         * fixes, run.geojson 79 MB, 4.6 s); draw it when wanted. */
        fprintf(stderr, "proxwatch run: no map.png or report.pdf for a run this large (%llu fixes): "
                        "proxwatch render %s draws them\n", (unsigned long long)sum.fixes_delivered, dir);
        pictures = 0;
    }
    if (wrc == 0 && pictures && cli_write_pictures(stage, werr, sizeof werr) != 0) {
        /* A picture that cannot be drawn costs the picture, not the run. */
        fprintf(stderr, "proxwatch run: no map.png or report.pdf: %s\n", werr);
        pictures = 0;
    }
    if (cli_publish(wrc, stage, dir, werr, sizeof werr) != 0) {
        fprintf(stderr, "proxwatch run: %s\n", werr);
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
    printf("written %s/{report.json,run.geojson,%s%s,truth.csv,latencies.csv,incidents.csv,"
           "summary.json%s}\n",
           dir, gpkg ? "run.gpkg," : "", compress ? "events.jsonl.gz,fixes.csv.gz" : "events.jsonl,fixes.csv",
           pictures ? ",map.png,report.pdf" : "");
    fflush(stdout); /* the verdict comes after the lines it sums up, also when both are piped */
    if (failed)
        fprintf(stderr, "proxwatch run: %s:%d: %zu of %zu expectations NOT held (seed %llu)\n", s.file,
                s.expects[0].line, failed, s.n_expects, (unsigned long long)s.seed);
    free(expects);
    scn_free(&s);
    return failed ? 1 : 0;
}

