/*
 * proxwatch - the command line.  Sub-commands parse their options and call
 * the modules; nothing else happens here.
 *
 * Exit status: 0 done, 1 failed while running, 2 bad input or usage.
 */
#include "sim.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *to)
{
    fputs("usage: proxwatch run [SCENARIO.lua] [--seed N] [--out DIR] [--quiet]\n"
          "\n"
          "  run     run a scenario through the monitoring engine (the bundled\n"
          "          default scenario when none is given) and write report.json,\n"
          "          events.jsonl, fixes.csv, truth.csv and summary.json into DIR\n"
          "          (default runs/<scenario>-<seed>/)\n"
          "\n"
          "Scenario language: scenarios/README.md.\n",
          to);
}

/* "Gangnam morning" -> "gangnam-morning" (ASCII letters and digits). */
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

static void write_summary_json(const char *dir, const scn_scenario *s, const sim_summary *sum)
{
    char path[600];
    snprintf(path, sizeof path, "%s/summary.json", dir);
    char part[610];
    snprintf(part, sizeof part, "%s.part", path);
    FILE *f = fopen(part, "w");
    if (!f)
        return;
    fprintf(f, "{\"scenario\":\"%s\",\"seed\":%llu,\"sim_seconds\":%.0f,", s->name,
            (unsigned long long)s->seed, sum->sim_seconds);
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
    fprintf(f, "}}\n");
    if (fclose(f) == 0)
        rename(part, path);
    else
        remove(part);
}

static int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *out = NULL;
    scn_options opts = {0};
    int quiet = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            if (!parse_u64(argv[++i], &opts.seed)) {
                fprintf(stderr, "proxwatch run: --seed: '%s' is not a whole number\n", argv[i]);
                return 2;
            }
            opts.has_seed = 1;
        } else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            out = argv[++i];
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
    scn_error err;
    scn_status st = scn_load_file(&s, path, &opts, &err);
    if (st != SCN_OK) {
        fprintf(stderr, "%s\n", err.message[0] ? err.message : scn_strerror(st));
        return 2;
    }
    char dir[512];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        char sl[96];
        slug(s.name, sl, sizeof sl);
        snprintf(dir, sizeof dir, "runs/%s-%llu", sl, (unsigned long long)s.seed);
    }
    sim_run_options ro = {.out_dir = dir, .progress = !quiet && isatty(STDERR_FILENO), .record = 1};
    sim_summary sum;
    char msg[600] = "";
    int rc = sim_run(&s, &ro, &sum, msg, sizeof msg);
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        scn_free(&s);
        return sum.script_error ? 2 : 1;
    }
    write_summary_json(dir, &s, &sum);

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
    printf("written %s/{report.json,events.jsonl,fixes.csv,truth.csv,summary.json}\n", dir);
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
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "proxwatch: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
