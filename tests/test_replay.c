/*
 * test_replay.c - field traces through the engine: a real receiver log
 * against a victim standing still, reference trajectories as truth, CSV
 * traces, and the errors an engineer can make.
 */
#include "record.h"
#include "sim.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HAICOM PW_TEST_DATA "/gpsd/haicom-305N.log" /* a walk near Brisbane, 2007-04-08 */

/* A replay that must succeed: its error shown when it does not. */
#define REPLAY_OK(o, sum)                                                                         \
    do {                                                                                          \
        char err_[700];                                                                           \
        int rc_ = sim_replay((o), (sum), err_, sizeof err_);                                      \
        if (rc_)                                                                                  \
            printf("\n    %s", err_);                                                            \
        CU_ASSERT_EQUAL_FATAL(rc_, 0);                                                            \
    } while (0)

static sim_replay_options base(void)
{
    sim_replay_options o = {.offender_trace = HAICOM, .has_victim_at = 1, .victim_lat = -27.2100,
                            .victim_lon = 153.0530, .alarm_radius_m = NAN, .out_dir = "pw_replay_out"};
    return o;
}

/* The walk passes within 500 m of a victim standing by it: one breach on
 * the traces themselves, caught, and the files are written. */
static void test_real_log_against_a_standing_victim(void)
{
    rec_remove_tree("pw_replay_out"); /* what it checks is this run's, not a leftover */
    sim_replay_options o = base();
    sim_summary sum;
    REPLAY_OK(&o, &sum);
    CU_ASSERT(sum.fixes_delivered >= 68);
    CU_ASSERT_EQUAL(sum.report.breaches.truth, 1);
    CU_ASSERT_EQUAL(sum.report.breaches.detected, 1);
    CU_ASSERT_EQUAL(sum.report.unauthorized_disclosures, 0);
    CU_ASSERT_STRING_EQUAL(sum.report.truth, "traces");
    /* A recorded victim has no network model: she sees each position when
     * the engine sends it, the first with the alarm itself (0 s).  (That
     * every position sent is seen holds by construction in replay, so it
     * is not asserted; the run tests check a phone's network.) */
    CU_ASSERT(sum.pins_sent >= 1);
    CU_ASSERT_EQUAL(sum.report.latency.alert_to_victim.n, sum.report.alerts.episodes);
    CU_ASSERT_DOUBLE_EQUAL(sum.report.latency.alert_to_victim.max, 0.0, 1e-9);
    CU_ASSERT_EQUAL(access("pw_replay_out/events.jsonl", F_OK), 0);
    CU_ASSERT_EQUAL(access("pw_replay_out/report.json", F_OK), 0);
    /* run.geojson, as a run writes it, so that the replay can be drawn:
     * every fix delivered (his and the standing victim's), the two truth
     * lines, an alert episode per episode of the report */
    char *gj = pw_test_read_text("pw_replay_out/run.geojson");
    CU_ASSERT_PTR_NOT_NULL_FATAL(gj);
    long fixes = 0, truths = 0, episodes = 0;
    for (const char *p = gj; (p = strstr(p, "\"kind\":\"")); p++) {
        fixes += !strncmp(p, "\"kind\":\"fix\"", 12);
        truths += !strncmp(p, "\"kind\":\"truth\"", 14);
        episodes += !strncmp(p, "\"kind\":\"alert_episode\"", 22);
    }
    free(gj);
    CU_ASSERT_EQUAL(fixes, (long)sum.fixes_delivered);
    CU_ASSERT_EQUAL(truths, 2);
    CU_ASSERT_EQUAL(episodes, (long)sum.report.alerts.episodes);
    CU_ASSERT_EQUAL(access("pw_replay_out/latencies.csv", F_OK), 0);
}

/* A reference trajectory 3 km away says the offender was never near: the
 * same alarm is now a false alert, judged "exactly as in simulation". */
static void test_reference_makes_the_alert_false(void)
{
    pw_test_write_text("pw_ref.csv", "time,lat,lon\n"
                             "2007-04-08T09:50:00Z,-27.2100,153.0830\n"
                             "2007-04-08T10:00:00Z,-27.2101,153.0831\n");
    sim_replay_options o = base();
    o.truth_offender = "pw_ref.csv";
    sim_summary sum;
    REPLAY_OK(&o, &sum);
    CU_ASSERT_STRING_EQUAL(sum.report.truth, "reference");
    CU_ASSERT_EQUAL(sum.report.breaches.truth, 0);
    CU_ASSERT_EQUAL(sum.report.alerts.episodes, 1);
    CU_ASSERT_EQUAL(sum.report.alerts.false_alerts, 1);
    remove("pw_ref.csv");
}

/* A victim's CSV trace: replayed with the NMEA offender, in any mix. */
static void test_csv_victim_trace(void)
{
    pw_test_write_text("pw_victim.csv", "time,lat,lon,acc_m\n"
                                "2007-04-08T09:53:00Z,-27.2100,153.0530,8\n"
                                "2007-04-08T09:54:00Z,-27.2100,153.0530,8\n"
                                "2007-04-08T09:55:00Z,-27.2100,153.0530,8\n");
    sim_replay_options o = base();
    o.has_victim_at = 0;
    o.victim_trace = "pw_victim.csv";
    sim_summary sum;
    REPLAY_OK(&o, &sum);
    CU_ASSERT_EQUAL(sum.report.breaches.truth, 1);
    CU_ASSERT(sum.by_type[PW_EV_ALARM_OPEN] >= 1);
    remove("pw_victim.csv");
}

/* Traces from different days are an error, not an empty report; a
 * missing file is named. */
static void test_errors(void)
{
    pw_test_write_text("pw_victim_late.csv", "time,lat,lon\n2026-03-02T08:00:00Z,-27.21,153.053\n");
    sim_replay_options o = base();
    o.has_victim_at = 0;
    o.victim_trace = "pw_victim_late.csv";
    o.out_dir = "pw_replay_bad";
    sim_summary sum;
    char err[700];
    CU_ASSERT_EQUAL(sim_replay(&o, &sum, err, sizeof err), SIM_EINVAL);
    CU_ASSERT(strstr(err, "do not overlap") != NULL);
    CU_ASSERT_EQUAL(access("pw_replay_bad/report.json", F_OK), -1);
    remove("pw_victim_late.csv");
    o = base();
    o.offender_trace = "no_such_trace.nmea";
    CU_ASSERT_EQUAL(sim_replay(&o, &sum, err, sizeof err), SIM_EINVAL);
    CU_ASSERT(strstr(err, "no_such_trace.nmea") == err);
}

/* One bad time must not run a replay away: a 4-line CSV trace with one
 * time of 0 (1970) and one in the year 9999 used to make a 21 GB
 * events.jsonl.  The two are 56 years and 7,973 years from the other two
 * fixes, far more than the 6 h that cut a trace: dropped and counted (2),
 * and the replay spans the good fixes' two minutes (plus the standing
 * victim's minute and the rounding: under 200 s). */
static void test_time_outliers_dropped(void)
{
    pw_test_write_text("pw_bad_times.csv", "time,lat,lon\n"
                                   "2007-04-08T09:53:00Z,-27.2100,153.0530\n"
                                   "1970-01-01T00:00:00Z,-27.2100,153.0530\n"
                                   "9999-12-31T23:59:59Z,-27.2100,153.0530\n"
                                   "2007-04-08T09:55:00Z,-27.2101,153.0531\n");
    sim_replay_options o = base();
    o.offender_trace = "pw_bad_times.csv";
    o.out_dir = "pw_replay_times";
    sim_summary sum;
    REPLAY_OK(&o, &sum);
    CU_ASSERT_EQUAL(sum.fixes_bad_time, 2);
    CU_ASSERT(sum.report.sim_seconds < 200.0);
    remove("pw_bad_times.csv");
}

/* A trace whose fixes come every 5 hours for 8 days has no gap over 6 h
 * but spans more than the 7 days a replay takes: refused (2) with the
 * reason, and replayed with --force. */
static void test_long_span_needs_force(void)
{
    FILE *f = fopen("pw_long.csv", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("time,lat,lon\n", f);
    for (int k = 0; k <= 39; k++) /* 39 x 5 h = 195 h = 8.1 days */
        fprintf(f, "2007-04-%02dT%02d:00:00Z,-27.2100,153.0530\n", 1 + (5 * k) / 24, (5 * k) % 24);
    fclose(f);
    sim_replay_options o = base();
    o.offender_trace = "pw_long.csv";
    o.out_dir = NULL;
    sim_summary sum;
    char err[700];
    CU_ASSERT_EQUAL(sim_replay(&o, &sum, err, sizeof err), SIM_EINVAL);
    CU_ASSERT(strstr(err, "--force") != NULL);
    o.force = 1;
    CU_ASSERT_EQUAL(sim_replay(&o, &sum, err, sizeof err), 0);
    CU_ASSERT_EQUAL(sum.fixes_bad_time, 0);
    /* The work follows the fixes, not the span: the standing victim
     * reports on the minute only within 10 min of one of his 40 fixes, at
     * most 21 grid minutes each, so by hand at most 40 + 40 x 21 = 880
     * fixes reach the engine (a phone fix every minute of the 8.1 days
     * would be 11,700 and more). */
    printf("\n    %llu fixes delivered over %.1f days ", (unsigned long long)sum.fixes_delivered,
           sum.report.sim_seconds / 86400.0);
    CU_ASSERT(sum.fixes_delivered <= 880);
    CU_ASSERT(sum.fixes_delivered > 40);
    /* Nor is a silence of his a lost phone of hers: only his device goes
     * silent between fixes 5 h apart. */
    CU_ASSERT(sum.report.health.no_comm <= 40);
    remove("pw_long.csv");
}

/* --relocate: the haicom walk and the standing victim (given where she was
 * recorded) move together to Seoul, so the replay is the same one: one
 * breach, detected, the same alarms; only the positions in events.jsonl
 * are now Seoul's. */
static void test_relocate(void)
{
    sim_replay_options o = base();
    sim_summary here, moved;
    o.out_dir = NULL;
    REPLAY_OK(&o, &here);
    rec_remove_tree("pw_replay_moved");
    o.out_dir = "pw_replay_moved";
    o.relocate = 1;
    o.relocate_lat = 37.5665;
    o.relocate_lon = 126.9780;
    REPLAY_OK(&o, &moved);
    CU_ASSERT_EQUAL(moved.report.breaches.truth, 1);
    CU_ASSERT_EQUAL(moved.report.breaches.truth, here.report.breaches.truth);
    CU_ASSERT_EQUAL(moved.report.breaches.detected, here.report.breaches.detected);
    CU_ASSERT_EQUAL(moved.by_type[PW_EV_ALARM_OPEN], here.by_type[PW_EV_ALARM_OPEN]);
    CU_ASSERT_EQUAL(moved.fixes_accepted, here.fixes_accepted);
    char *ev = pw_test_read_text("pw_replay_moved/events.jsonl");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    CU_ASSERT_PTR_NOT_NULL(strstr(ev, "\"lat\":37.56"));
    CU_ASSERT_PTR_NULL(strstr(ev, "\"lat\":-27."));
    free(ev);
}

/* Scored span.  His tag reports every 10 s from 10:00 to 10:30, standing
 * 200 m from where her phone reports every 10 s from 10:10 to 10:20 only
 * (0.0018 deg of latitude = 200.2 m; alarm radius 500 m).  By hand: the
 * span in which both traces have data is 10:10:00-10:20:00 (600 s); his 60
 * fixes before it and 60 after it are not replayed; the one breach is
 * that span, caught at once (she is inside from her first fix); and the
 * end of her file at 10:20 is the end of the recording, not a phone that
 * lost its signal.  Before the span was scored, the breach began at 10:00
 * (her first position held back to his first fix), was "caught" 600 s
 * late, and her silence after 10:20 raised signal_lost. */
static void test_scored_span(void)
{
    FILE *f = fopen("pw_span_off.csv", "w"), *g = fopen("pw_span_vic.csv", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    fputs("time,lat,lon,acc_m\n", f);
    fputs("time,lat,lon,acc_m\n", g);
    for (int k = 0; k <= 180; k++) { /* 10:00:00 .. 10:30:00 */
        fprintf(f, "2026-03-02T10:%02d:%02dZ,37.5683,126.9780,5\n", k / 6, k % 6 * 10);
        if (k >= 60 && k <= 120)
            fprintf(g, "2026-03-02T10:%02d:%02dZ,37.5665,126.9780,5\n", k / 6, k % 6 * 10);
    }
    fclose(f);
    fclose(g);
    rec_remove_tree("pw_replay_span");
    sim_replay_options o = base();
    o.offender_trace = "pw_span_off.csv";
    o.has_victim_at = 0;
    o.victim_trace = "pw_span_vic.csv";
    o.out_dir = "pw_replay_span";
    sim_summary sum;
    REPLAY_OK(&o, &sum);
    CU_ASSERT_EQUAL(sum.report.scored_span.set, 1);
    CU_ASSERT_EQUAL(sum.report.scored_span.end - sum.report.scored_span.start, 600000);
    CU_ASSERT_EQUAL(sum.report.scored_span.outside[0], 120);
    CU_ASSERT_EQUAL(sum.report.scored_span.outside[1], 0);
    CU_ASSERT_EQUAL(sum.fixes_delivered, 61 + 61);
    CU_ASSERT(sum.report.sim_seconds >= 600.0 && sum.report.sim_seconds <= 602.0);
    CU_ASSERT_EQUAL(sum.report.breaches.truth, 1);
    CU_ASSERT_EQUAL(sum.report.breaches.detected, 1);
    CU_ASSERT_EQUAL(sum.report.latency.breach_to_alert.n, 1);
    CU_ASSERT(sum.report.latency.breach_to_alert.max < 30.0);
    CU_ASSERT_EQUAL(sum.report.health.signal_loss, 0);
    CU_ASSERT_EQUAL(sum.by_type[PW_EV_SIGNAL_LOST], 0);
    /* report.json says which span was scored */
    char *json = pw_test_read_text("pw_replay_span/report.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(json);
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"scored_span\": {\"start\": \"2026-03-02T10:10:00.000Z\", "
                                        "\"end\": \"2026-03-02T10:20:00.000Z\", \"seconds\": 600.000, "
                                        "\"offender_fixes_outside\": 120, \"victim_fixes_outside\": 0}"));
    free(json);
    remove("pw_span_off.csv");
    remove("pw_span_vic.csv");
}

/* NMEA 0183's checksum: XOR of the bytes between '$' and '*'. */
static void put_sentence(FILE *f, const char *body, int corrupt)
{
    unsigned sum = 0;
    for (const char *p = body; *p; p++)
        sum ^= (unsigned char)*p;
    fprintf(f, "$%s*%02X\r\n", body, (sum ^ (corrupt ? 0x01u : 0u)) & 0xFFu);
}

static long warned_checksums, warned_ignored, warned_kept;
static void count_warnings(void *ctx, const char *file, long line, const char *what)
{
    (void)ctx;
    (void)file;
    (void)line;
    long n = atol(what);
    if (strstr(what, "failed their checksum"))
        warned_checksums = n;
    else if (strstr(what, "despite a wrong checksum"))
        warned_ignored = n;
    else if (strstr(what, "epochs kept"))
        warned_kept = n;
}

/*
 * A 10 Hz survey reference, as real exports come: RMC only, status V on
 * the epochs its receiver did not trust (here the two minutes in which
 * the offender came within 56 m of the victim: 0.0005 deg of latitude),
 * and some sentences with a wrong checksum.  His tag's own trace says he
 * stayed 2 km away (0.018 deg = 2,001 m), so the engine raises nothing.
 * By hand: the reference is kept epoch by epoch, V or not, so it shows one
 * true breach (10:04:00-10:06:00), missed.  Were the V epochs dropped, the
 * reference would be a straight line from the far point to the far point:
 * no breach at all.  The wrong checksums are counted and said; with
 * --no-checksum they are read, and said too.
 */
static void test_survey_reference_10hz(void)
{
    FILE *f = fopen("pw_ref10.nmea", "w"), *g = fopen("pw_tag_far.csv", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    fputs("time,lat,lon,acc_m\n", g);
    long bad = 0, v_epochs = 0;
    for (int k = 0; k <= 6000; k++) { /* 10:00:00.0 .. 10:10:00.0 at 10 Hz */
        int near = k >= 2400 && k <= 3600;
        int corrupt = near && k % 10 == 3;
        char body[160];
        snprintf(body, sizeof body, "GPRMC,10%02d%02d.%d0,%c,%s,N,12658.6800,E,0.0,0.0,020326,,", k / 600,
                 k / 10 % 60, k % 10, near ? 'V' : 'A', near ? "3734.0200" : "3735.0700");
        put_sentence(f, body, corrupt);
        bad += corrupt;
        v_epochs += near && !corrupt;
        if (k % 100 == 0)
            fprintf(g, "2026-03-02T10:%02d:%02dZ,37.5845,126.9780,5\n", k / 600, k / 10 % 60);
    }
    fclose(f);
    fclose(g);
    CU_ASSERT_EQUAL(bad, 120); /* k = 2403, 2413, ..., 3593 */
    sim_replay_options o = base();
    o.offender_trace = "pw_tag_far.csv";
    o.victim_lat = 37.5665;
    o.victim_lon = 126.9780;
    o.truth_offender = "pw_ref10.nmea";
    o.out_dir = NULL;
    o.warn = count_warnings;
    warned_checksums = warned_ignored = warned_kept = -1;
    sim_summary sum;
    REPLAY_OK(&o, &sum);
    CU_ASSERT_STRING_EQUAL(sum.report.truth, "reference");
    CU_ASSERT_EQUAL(sum.report.alerts.episodes, 0);
    CU_ASSERT_EQUAL(sum.report.breaches.truth, 1);
    CU_ASSERT_EQUAL(sum.report.breaches.missed, 1);
    CU_ASSERT_EQUAL(warned_checksums, 120);
    CU_ASSERT_EQUAL(warned_kept, v_epochs);
    CU_ASSERT_EQUAL(warned_ignored, -1);
    printf("\n    10 Hz reference: %ld wrong checksums said, %ld V epochs kept ", warned_checksums, warned_kept);

    o.no_checksum = 1;
    warned_checksums = warned_ignored = warned_kept = -1;
    REPLAY_OK(&o, &sum);
    CU_ASSERT_EQUAL(sum.report.breaches.truth, 1);
    CU_ASSERT_EQUAL(warned_checksums, -1);
    CU_ASSERT_EQUAL(warned_ignored, 120);
    CU_ASSERT_EQUAL(warned_kept, 1201); /* every epoch of the two minutes */
    remove("pw_ref10.nmea");
    remove("pw_tag_far.csv");
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"a real log against a standing victim", test_real_log_against_a_standing_victim},
        {"a reference trajectory decides true and false", test_reference_makes_the_alert_false},
        {"a CSV victim trace", test_csv_victim_trace},
        {"non-overlapping traces and missing files", test_errors},
        {"one bad time is dropped, not replayed", test_time_outliers_dropped},
        {"a span over 7 days needs --force", test_long_span_needs_force},
        {"only the span every trace covers is scored", test_scored_span},
        {"--relocate moves every trace together", test_relocate},
        {"a 10 Hz survey reference: flags and checksums", test_survey_reference_10hz},
        {NULL, NULL},
    };
    return pw_test_main("replay", tests);
}
