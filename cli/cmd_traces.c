/*
 * cmd_traces.c - proxwatch decode and replay: field traces read, and run
 * through the engine.
 */
#include "cli.h"
#include "traces.h"
#include "record.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A trace's warnings: the first 20 about single lines of each file, then
 * a note; those about the whole trace (line 0: counts, dropped epochs,
 * hints) always. */
typedef struct warn_state {
    long n;             /* line warnings of the current file */
    char file[512];
} warn_state;

static void warn_cb(void *ctx, const char *file, long line, const char *what)
{
    warn_state *w = ctx;
    if (strncmp(w->file, file, sizeof w->file - 1) != 0) {
        snprintf(w->file, sizeof w->file, "%s", file);
        w->n = 0;
    }
    if (line <= 0)
        fprintf(stderr, "%s: %s\n", file, what);
    else if (w->n++ < 20)
        fprintf(stderr, "%s:%ld: %s\n", file, line, what);
    else if (w->n == 21)
        fprintf(stderr, "%s: more warnings about single lines follow; their counts come at the end\n", file);
}

/* --date YYYY-MM-DD: a real calendar day from 1980 to 2200. */
static int parse_date(const char *v, int64_t *days)
{
    int y, m, d, y2, m2, d2;
    char end;
    if (sscanf(v, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 || y < 1980 || y > 2200 || m < 1 || m > 12 || d < 1)
        return 0;
    int64_t k = pw_days_from_civil(y, m, d);
    pw_civil_from_days(k, &y2, &m2, &d2);
    if (y2 != y || m2 != m || d2 != d)
        return 0; /* 2026-02-31 is no day */
    *days = k;
    return 1;
}

/* --rollover N: whole 1024-week periods, 0 to 8. */
static int parse_rollover(const char *v, int *n)
{
    uint64_t k;
    if (!cli_parse_u64(v, &k) || k > 8)
        return 0;
    *n = (int)k;
    return 1;
}

/* What a trace's lines came to, reason by reason: said on stderr when a
 * trace gives no fix (so "0 fixes" is never the whole answer), and with
 * --stats. */
static void print_reasons(const char *shown, const trc_counters *c)
{
    char why[1024];
    trc_describe_counts(c, why, sizeof why);
    fprintf(stderr, "proxwatch decode: %s: %s\n", shown, why);
}

int cli_decode(int argc, char **argv)
{
    const char *path = NULL;
    trc_options o;
    trc_options_default(&o);
    warn_state warnings = {0, ""};
    o.warn = warn_cb;
    o.warn_ctx = &warnings;
    int stats = 0;
    static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                             {"stats", no_argument, NULL, 's'},
                                             {"date", required_argument, NULL, 'd'},
                                             {"rollover", required_argument, NULL, 'r'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "f:sd:r:h", longopts)) != -1) {
        if (c == 'f') {
            const char *f = optarg;
            o.format = !strcmp(f, "nmea") ? TRC_NMEA : !strcmp(f, "gpsd") ? TRC_GPSD_JSON
                     : !strcmp(f, "csv") ? TRC_CSV : (trc_format)-1;
            if ((int)o.format < 0)
                return cli_usage_error("decode", "--format: '%s' is not nmea, gpsd or csv", f);
        } else if (c == 's') {
            stats = 1;
        } else if (c == 'd') {
            if (!parse_date(optarg, &o.date_days))
                return cli_usage_error("decode", "--date '%s': expected a day YYYY-MM-DD from 1980 to 2200",
                                       optarg);
        } else if (c == 'r') {
            if (!parse_rollover(optarg, &o.rollover))
                return cli_usage_error("decode", "--rollover '%s': a whole number of 1024-week periods, 0 to 8",
                                       optarg);
        } else if (c == 'h') {
            return cli_print_help(stdout, "decode");
        } else {
            return cli_bad_option("decode", c, argv);
        }
    }
    if (cli_one_operand("decode", "trace", argc, argv, &path) != 0)
        return 2;
    if (!path)
        path = "-"; /* standard input, as gpsdecode: gpspipe -r | proxwatch decode */
    trc_reader *rd;
    trc_status st = trc_open(path, &o, &rd);
    if (st != TRC_OK) {
        char why[600];
        trc_describe(st, path, errno, why, sizeof why);
        fprintf(stderr, "%s\n", why);
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
    const char *shown = strcmp(path, "-") ? path : "(standard input)";
    fprintf(stderr, "proxwatch decode: %s: %ld lines, %ld fixes, %ld sentences skipped", shown, cnt->lines,
            cnt->fixes, cnt->skipped_total);
    if (cnt->lines_nmea && cnt->lines_json) /* a mixed log: say what was read how */
        fprintf(stderr, "; %ld lines read as NMEA, %ld as gpsd JSON; the fixes from %s%s", cnt->lines_nmea,
                cnt->lines_json, trc_get_fix_source(rd) == TRC_GPSD_JSON ? "gpsd JSON" : "NMEA",
                cnt->fixes_other_kind ? " (the other kind's fixes of the same epochs dropped)" : "");
    fputc('\n', stderr);
    if (stats || cnt->fixes == 0)
        print_reasons(shown, cnt);
    int rc = st == TRC_EOF ? 0 : 1;
    if (rc) {
        char why[600];
        trc_describe(st, path, errno, why, sizeof why);
        fprintf(stderr, "%s\n", why);
    }
    trc_close(rd);
    return fflush(stdout) == 0 ? rc : 1;
}

int cli_replay(int argc, char **argv)
{
    sim_replay_options o = {.alarm_radius_m = NAN, .out_dir = "runs/replay"};
    warn_state warnings = {0, ""};
    o.warn = warn_cb;
    o.warn_ctx = &warnings;
    static const struct option longopts[] = {
        {"offender", required_argument, NULL, 'O'},       {"victim", required_argument, NULL, 'V'},
        {"victim-at", required_argument, NULL, 'A'},      {"truth-offender", required_argument, NULL, 'P'},
        {"truth-victim", required_argument, NULL, 'Q'},   {"alarm-radius", required_argument, NULL, 'R'},
        {"force", no_argument, NULL, 'F'},                {"out", required_argument, NULL, 'o'},
        {"no-checksum", no_argument, NULL, 'N'},          {"relocate", required_argument, NULL, 'L'},
        {"date", required_argument, NULL, 'd'},           {"rollover", required_argument, NULL, 'r'},
        {"no-pictures", no_argument, NULL, 'X'},          {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int pictures = 1;
    int c;
    while ((c = cli_next_option(argc, argv, "o:h", longopts)) != -1) {
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
        } else if (c == 'N') {
            o.no_checksum = 1;
        } else if (c == 'X') {
            pictures = 0;
        } else if (c == 'd') {
            if (!parse_date(v, &o.date_days))
                return cli_usage_error("replay", "--date '%s': expected a day YYYY-MM-DD from 1980 to 2200", v);
            o.has_date = 1;
        } else if (c == 'r') {
            if (!parse_rollover(v, &o.rollover))
                return cli_usage_error("replay", "--rollover '%s': a whole number of 1024-week periods, 0 to 8", v);
        } else if (c == 'o') {
            o.out_dir = v;
            if (!cli_out_path_ok("replay", v))
                return 2;
        } else if (c == 'A') {
            if (!sim_parse_latlon(v, &o.victim_lat, &o.victim_lon))
                return cli_usage_error("replay", "--victim-at '%s': expected LAT,LON in degrees", v);
            o.has_victim_at = 1;
        } else if (c == 'L') {
            if (!sim_parse_latlon(v, &o.relocate_lat, &o.relocate_lon))
                return cli_usage_error("replay", "--relocate '%s': expected LAT,LON in degrees", v);
            o.relocate = 1;
        } else if (c == 'R') {
            char *end;
            o.alarm_radius_m = strtod(v, &end);
            if (end == v || *end || !(o.alarm_radius_m > 0) || !isfinite(o.alarm_radius_m) ||
                o.alarm_radius_m > 100000)
                return cli_usage_error("replay", "--alarm-radius '%s': expected metres, above 0 and at most 100000",
                                   v);
        } else if (c == 'h') {
            return cli_print_help(stdout, "replay");
        } else {
            return cli_bad_option("replay", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("replay", "unexpected argument '%s' (traces come with --offender and --victim)",
                           argv[optind]);
    if (!o.offender_trace || (!o.victim_trace && !o.has_victim_at) || (o.victim_trace && o.has_victim_at)) {
        return cli_usage_error("replay", "give --offender TRACE and one of --victim TRACE, --victim-at LAT,LON");
    }
    if (!strncmp(o.out_dir, "runs/", 5) && cli_make_runs_dir("replay") != 0)
        return 1;
    sim_summary sum;
    char msg[1024], stage[600];
    const char *final_dir = o.out_dir;
    int sst = cli_stage_out("replay", final_dir, stage, sizeof stage);
    if (sst != 0)
        return sst;
    o.out_dir = stage; /* published whole at the end (record.h) */
    int src = sim_replay(&o, &sum, msg, sizeof msg);
    if (src == 0 && pictures) {
        char perr[1024];
        if (cli_write_pictures(stage, perr, sizeof perr) != 0) {
            /* A picture that cannot be drawn costs the picture, not the replay. */
            fprintf(stderr, "proxwatch replay: no map.png or report.pdf: %s\n", perr);
            pictures = 0;
        }
    }
    int rc = cli_publish(src, stage, final_dir, msg, sizeof msg);
    o.out_dir = final_dir;
    if (rc != 0) {
        fprintf(stderr, "%s\n", msg);
        return cli_exit_status(rc);
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
    printf("written %s/{report.json,events.jsonl,run.geojson,latencies.csv,incidents.csv%s}\n", o.out_dir,
           pictures ? ",map.png,report.pdf" : "");
    return 0;
}
