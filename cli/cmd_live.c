/*
 * cmd_live.c - proxwatch live: a receiver served by gpsd in a simulated
 * city.
 */
#include "cli.h"
#include "record.h"
#include "sim.h"

#include <stdlib.h>
#include <string.h>

int cli_live(int argc, char **argv)
{
    sim_live_options o = {.speed = 1.0, .out_dir = "runs/live"};
    static char host[256], port[32];
    const char *path = NULL, *relocate = NULL;
    int have_as = 0;
    static const struct option longopts[] = {
        {"gpsd", required_argument, NULL, 'g'},  {"as", required_argument, NULL, 'a'},
        {"speed", required_argument, NULL, 'x'}, {"out", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},       {"any-date", no_argument, NULL, 'D'},
        {"gpkg", no_argument, NULL, 'G'},        {"relocate", required_argument, NULL, 'L'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "o:qh", longopts)) != -1) {
        const char *v = optarg;
        if (c == 'g') {
            const char *colon = strrchr(v, ':');
            if (!colon || colon == v || !colon[1] || (size_t)(colon - v) >= sizeof host ||
                strlen(colon + 1) >= sizeof port)
                return cli_usage_error("live", "--gpsd '%s': expected HOST:PORT", v);
            memcpy(host, v, (size_t)(colon - v));
            host[colon - v] = '\0';
            snprintf(port, sizeof port, "%s", colon + 1);
            uint64_t pn;
            if (!cli_parse_u64(port, &pn) || pn < 1 || pn > 65535)
                return cli_usage_error("live", "--gpsd '%s': the port must be a number from 1 to 65535", v);
            o.host = host;
            o.port = port;
        } else if (c == 'a') {
            if (!strcmp(v, "offender"))
                o.as = SCN_OFFENDER;
            else if (!strcmp(v, "victim"))
                o.as = SCN_VICTIM;
            else
                return cli_usage_error("live", "--as '%s': offender or victim", v);
            have_as = 1;
        } else if (c == 'x') {
            char *end;
            o.speed = strtod(v, &end);
            if (end == v || *end || !(o.speed > 0) || o.speed > 1000)
                return cli_usage_error("live", "--speed '%s': a factor above 0, at most 1000", v);
        } else if (c == 'o') {
            o.out_dir = v;
            if (!cli_out_path_ok("live", o.out_dir))
                return 2;
        } else if (c == 'q') {
            o.quiet = 1;
        } else if (c == 'D') {
            o.any_date = 1;
        } else if (c == 'G') {
            o.gpkg = 1;
        } else if (c == 'L') {
            relocate = v;
        } else if (c == 'h') {
            return cli_print_help(stdout, "live");
        } else {
            return cli_bad_option("live", c, argv);
        }
    }
    if (cli_one_operand("live", "scenario", argc, argv, &path) != 0)
        return 2;
    if (!o.host || !have_as) {
        return cli_usage_error("live", "give --gpsd HOST:PORT and --as offender|victim");
    }
    scn_scenario s;
    scn_error err;
    if (scn_load_file(&s, path ? path : PW_DEFAULT_SCENARIO, NULL, &err) != SCN_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 2;
    }
    if (relocate) {
        if (sim_live_relocate_target(&s, o.as, relocate, &o.relocate_lat, &o.relocate_lon) != 0) {
            cli_usage_error("live", "--relocate '%s': start, origin, an actor's name in %s, or LAT,LON", relocate,
                            s.file);
            scn_free(&s);
            return 2;
        }
        o.relocate = 1;
    }
    if (!strncmp(o.out_dir, "runs/", 5) && cli_make_runs_dir("live") != 0) {
        scn_free(&s);
        return 1;
    }
    fprintf(stderr, "proxwatch live: %s as the %s, gpsd at %s:%s; Ctrl-C ends the run\n", s.name,
            o.as == SCN_OFFENDER ? "offender" : "victim", host, port);
    if (o.relocate)
        fprintf(stderr, "proxwatch live: the receiver's track is moved rigidly, its first fix to %.6f, %.6f\n",
                o.relocate_lat, o.relocate_lon);
    sim_summary sum;
    char msg[1024], stage[600];
    const char *final_dir = o.out_dir;
    int sst = cli_stage_out("live", final_dir, stage, sizeof stage);
    if (sst != 0) {
        scn_free(&s);
        return sst;
    }
    o.out_dir = stage; /* published whole at the end (record.h) */
    int rc = cli_publish(sim_live(&s, &o, &sum, msg, sizeof msg), stage, final_dir, msg, sizeof msg);
    o.out_dir = final_dir;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        scn_free(&s);
        return cli_exit_status(rc);
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

