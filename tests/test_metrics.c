/*
 * test_metrics.c - the metric definitions of DESIGN.md on tiny hand-built
 * truth and event streams with known answers; the 112 queue against Erlang
 * C; report.json's keys; the report invariants on the bundled scenario.
 */
#include "sim.h"

#include <jansson.h>
#include "devices.h"
#include "test_util.h"

#include <dirent.h>
#include <math.h>
#include <string.h>

static const pw_time_ms T0 = 1772404200000LL; /* 2026-03-02 07:30 KST */
static const pw_time_ms S = 1000;

/* Two actors (victim 1 at the origin, offender 2), one case with a 500 m
 * alarm radius, one hour, one dispatcher handling each call in 60 s. */
static scn_actor actors[2];
static scn_case cases[1];
static scn_scenario scn;
static eng_frame frame;

static void make_scenario(void)
{
    memset(&scn, 0, sizeof scn);
    memset(actors, 0, sizeof actors);
    memset(cases, 0, sizeof cases);
    snprintf(scn.name, sizeof scn.name, "hand-built");
    scn.start = T0;
    scn.duration_ms = 3600 * S;
    scn.origin = (scn_point){37.5, 127.0};
    actors[0] = (scn_actor){.id = 1, .role = SCN_VICTIM};
    actors[1] = (scn_actor){.id = 2, .role = SCN_OFFENDER};
    actors[0].device.net_delay_mean_ms = 1000;
    actors[1].device.interval_moving_ms = 60 * S;
    cases[0].victim = 0;
    cases[0].offender = 1;
    eng_case_default(&cases[0].def, 1, 2, 1);
    scn.actors = actors;
    scn.n_actors = 2;
    scn.cases = cases;
    scn.n_cases = 1;
    scn.dispatch = (scn_dispatch){.dispatchers = 1, .handling = SCN_DIST_FIXED, .handling_mean_ms = 60 * S};
    eng_frame_init(&frame, 37.5, 127.0);
}

/* Truth: the victim stands at the origin; the offender is 1,000 m east
 * except during the given [from, to) spans (seconds from T0), when he is
 * 100 m east. */
static sim_segment vseg[1], oseg[16];
static sim_track tracks[2];

/* The metrics read the truth through eval_truth; these tests build it from
 * hand-made timelines, as a run does from its actors'. */
static const eval_truth *truth_of(const sim_track *t)
{
    static eval_truth truth;
    sim_truth_of_tracks(&truth, t);
    return &truth;
}

static void make_truth(const int spans[][2], int n)
{
    vseg[0] = (sim_segment){.t0 = T0, .t1 = T0 + 3600 * S};
    tracks[0] = (sim_track){vseg, 1, 1};
    int k = 0;
    pw_time_ms t = T0;
    for (int i = 0; i <= n; i++) {
        pw_time_ms a = i < n ? T0 + spans[i][0] * S : T0 + 3600 * S;
        if (a > t)
            oseg[k++] = (sim_segment){.t0 = t, .t1 = a, .x0 = 1000, .x1 = 1000};
        if (i < n) {
            pw_time_ms b = T0 + spans[i][1] * S;
            oseg[k++] = (sim_segment){.t0 = a, .t1 = b, .x0 = 100, .x1 = 100};
            t = b;
        }
    }
    tracks[1] = (sim_track){oseg, (size_t)k, (size_t)k};
}

static void ev(eval_metrics *m, pw_event_type type, int at_s, eng_rule_kind rule, pw_id zone)
{
    pw_event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.time = T0 + at_s * S;
    e.case_id = 1;
    e.device = 2;
    e.rule = rule;
    e.zone_id = zone;
    eval_metrics_event(m, &e);
}

static void alarm(eval_metrics *m, int from_s, int to_s)
{
    ev(m, PW_EV_ALARM_OPEN, from_s, ENG_RULE_PROXIMITY, 0);
    if (to_s >= 0)
        ev(m, PW_EV_ALARM_CLOSE, to_s, ENG_RULE_PROXIMITY, 0);
}

static eval_report run_case(const int spans[][2], int n, void (*feed)(eval_metrics *))
{
    make_scenario();
    make_truth(spans, n);
    eval_metrics m;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_init(&m, &scn, 30 * S), 0);
    feed(&m);
    eval_report r;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_finish(&m, truth_of(tracks), &frame, &r), 0);
    eval_metrics_close(&m);
    return r;
}

/* A breach [600, 900) s, alarm 610-960 s: detected, 10 s late, true. */
static void feed_detected(eval_metrics *m) { alarm(m, 610, 960); }
static void test_detected_breach(void)
{
    static const int spans[][2] = {{600, 900}};
    eval_report r = run_case(spans, 1, feed_detected);
    CU_ASSERT_EQUAL(r.breaches.truth, 1);
    CU_ASSERT_EQUAL(r.breaches.detected, 1);
    CU_ASSERT_EQUAL(r.alerts.true_alerts, 1);
    CU_ASSERT_EQUAL(r.alerts.false_alerts, 0);
    CU_ASSERT_EQUAL(r.latency.breach_to_alert.n, 1);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.breach_to_alert.p50, 10.0, 1e-9);
}

/* A continuous approach: the offender walks in from 5 km at 5 m/s and is
 * within 500 m from exactly 900 s.  The breach search strides over the
 * far part of the walk; it must still find the first breached second. */
static void feed_approach(eval_metrics *m) { alarm(m, 905, 2000); }
static void test_continuous_approach_exact_start(void)
{
    make_scenario();
    vseg[0] = (sim_segment){.t0 = T0, .t1 = T0 + 3600 * S};
    tracks[0] = (sim_track){vseg, 1, 1};
    oseg[0] = (sim_segment){.t0 = T0, .t1 = T0 + 1000 * S, .x0 = 5000, .x1 = 0, .moving = 1};
    oseg[1] = (sim_segment){.t0 = T0 + 1000 * S, .t1 = T0 + 3600 * S};
    tracks[1] = (sim_track){oseg, 2, 2};
    eval_metrics m;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_init(&m, &scn, 30 * S), 0);
    feed_approach(&m);
    eval_report r;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_finish(&m, truth_of(tracks), &frame, &r), 0);
    eval_metrics_close(&m);
    CU_ASSERT_EQUAL(r.breaches.truth, 1);
    CU_ASSERT_EQUAL(r.breaches.detected, 1);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.breach_to_alert.p50, 5.0, 1e-9);
}

/* An alert 20 s before the breach is inside tau: detected, latency 0. */
static void feed_early(eval_metrics *m) { alarm(m, 580, 700); }
static void test_alert_before_breach_inside_tau(void)
{
    static const int spans[][2] = {{600, 900}};
    eval_report r = run_case(spans, 1, feed_early);
    CU_ASSERT_EQUAL(r.breaches.detected, 1);
    CU_ASSERT_EQUAL(r.alerts.true_alerts, 1);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.breach_to_alert.p50, 0.0, 1e-9);
}

/* An alert that ends 40 s before the breach starts is outside tau: a false
 * alert, and the breach is missed. */
static void feed_too_early(eval_metrics *m) { alarm(m, 500, 560); }
static void test_alert_outside_tau(void)
{
    static const int spans[][2] = {{600, 900}};
    eval_report r = run_case(spans, 1, feed_too_early);
    CU_ASSERT_EQUAL(r.breaches.missed, 1);
    CU_ASSERT_EQUAL(r.alerts.false_alerts, 1);
}

/* No breach at all; an alarm after a multipath fix is a false alert caused
 * by a noise jump, counted per offender-day. */
static void feed_false(eval_metrics *m)
{
    eval_metrics_fix(m, 2, DEV_CAUSE_MULTIPATH, 0, T0 + 1990 * S);
    alarm(m, 2000, 2100);
}
static void test_false_alert_by_cause(void)
{
    eval_report r = run_case(NULL, 0, feed_false);
    CU_ASSERT_EQUAL(r.breaches.truth, 0);
    CU_ASSERT_EQUAL(r.alerts.episodes, 1);
    CU_ASSERT_EQUAL(r.alerts.false_alerts, 1);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_NOISE_JUMP], 1);
    /* one offender for 1 h = 1/24 offender-day */
    CU_ASSERT_DOUBLE_EQUAL(r.alerts.false_per_offender_day, 24.0, 1e-9);
    CU_ASSERT_EQUAL(r.latency.breach_to_alert.n, 0);
    CU_ASSERT(isnan(r.latency.breach_to_alert.p50));
}

/* No breach.  An urban-canyon fix of the offender drives an alarm at
 * 2,000 s; the victim's battery ran low 5 min earlier (an unrelated health
 * event).  The alert is the canyon's, not a device fault's. */
static void feed_canyon_with_battery_low(eval_metrics *m)
{
    pw_event e;
    memset(&e, 0, sizeof e);
    e.type = PW_EV_BATTERY_LOW;
    e.time = T0 + 1700 * S;
    e.device = 1;
    e.value = 14.0;
    eval_metrics_event(m, &e);
    eval_metrics_fix(m, 1, DEV_CAUSE_NOMINAL, 0, T0 + 1960 * S);
    eval_metrics_fix(m, 2, DEV_CAUSE_URBAN_CANYON, 0, T0 + 2000 * S);
    alarm(m, 2000, 2100);
}
static void test_canyon_alert_not_blamed_on_battery(void)
{
    eval_report r = run_case(NULL, 0, feed_canyon_with_battery_low);
    CU_ASSERT_EQUAL(r.alerts.false_alerts, 1);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_URBAN_CANYON], 1);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_DEVICE_FAULT], 0);
    CU_ASSERT_EQUAL(r.health.battery_low, 1);
}

/*
 * Attribution by the driving fixes (sim.h), five false alarms, each after
 * its own fixes (times in s):
 *   1 at 1,000: offender nominal but stale (it waited in the tag's store
 *     during a network outage), victim canyon  -> device_fault (a stale
 *     position outranks a canyon error);
 *   2 at 1,500: offender multipath, victim cell fallback -> cell_fallback
 *     (the larger error, whichever device);
 *   3 at 2,000: offender multipath at 1,970, then nominal at 2,000; dwell
 *     0 -> only the newest counts -> other;
 *   4 at 2,500 in a second case with a 60 s open dwell: offender tunnel
 *     exit at 2,450 (inside the dwell), nominal at 2,500 -> tunnel_exit;
 *   5 at 3,000: only nominal fixes, a tamper event at 2,990 -> other.
 */
static scn_case cases2[2];
static void feed_attribution(eval_metrics *m)
{
    eval_metrics_fix(m, 2, DEV_CAUSE_NOMINAL, 1, T0 + 990 * S);
    eval_metrics_fix(m, 1, DEV_CAUSE_URBAN_CANYON, 0, T0 + 1000 * S);
    alarm(m, 1000, 1010);
    eval_metrics_fix(m, 2, DEV_CAUSE_MULTIPATH, 0, T0 + 1490 * S);
    eval_metrics_fix(m, 1, DEV_CAUSE_CELL_FALLBACK, 0, T0 + 1500 * S);
    alarm(m, 1500, 1510);
    eval_metrics_fix(m, 1, DEV_CAUSE_NOMINAL, 0, T0 + 1900 * S);
    eval_metrics_fix(m, 2, DEV_CAUSE_MULTIPATH, 0, T0 + 1970 * S);
    eval_metrics_fix(m, 2, DEV_CAUSE_NOMINAL, 0, T0 + 2000 * S);
    alarm(m, 2000, 2010);
    eval_metrics_fix(m, 2, DEV_CAUSE_TUNNEL_EXIT, 0, T0 + 2450 * S);
    eval_metrics_fix(m, 2, DEV_CAUSE_NOMINAL, 0, T0 + 2500 * S);
    pw_event e;
    memset(&e, 0, sizeof e);
    e.case_id = 2;
    e.device = 2;
    e.rule = ENG_RULE_PROXIMITY;
    e.type = PW_EV_ALARM_OPEN;
    e.time = T0 + 2500 * S;
    eval_metrics_event(m, &e);
    e.type = PW_EV_ALARM_CLOSE;
    e.time = T0 + 2510 * S;
    eval_metrics_event(m, &e);
    memset(&e, 0, sizeof e);
    e.type = PW_EV_TAMPER;
    e.time = T0 + 2990 * S;
    e.device = 2;
    eval_metrics_event(m, &e);
    alarm(m, 3000, 3010);
}
static void test_false_alerts_attributed_by_driving_fixes(void)
{
    make_scenario();
    make_truth(NULL, 0);
    /* Case 2: the same two people, a 60 s dwell before opening. */
    cases2[0] = cases[0];
    cases2[1] = cases[0];
    cases2[1].def.id = 2;
    cases2[1].def.dwell_open_ms = 60 * S;
    scn.cases = cases2;
    scn.n_cases = 2;
    eval_metrics m;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_init(&m, &scn, 30 * S), 0);
    feed_attribution(&m);
    eval_cause want[5] = {EVAL_CAUSE_DEVICE_FAULT, EVAL_CAUSE_CELL_FALLBACK, EVAL_CAUSE_OTHER, EVAL_CAUSE_TUNNEL_EXIT,
                         EVAL_CAUSE_OTHER};
    CU_ASSERT_EQUAL_FATAL(m.n_episodes, 5);
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(m.episodes[i].cause, want[i]);
    eval_report r;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_finish(&m, truth_of(tracks), &frame, &r), 0);
    eval_metrics_close(&m);
    CU_ASSERT_EQUAL(r.alerts.false_alerts, 5);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_DEVICE_FAULT], 1);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_CELL_FALLBACK], 1);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_TUNNEL_EXIT], 1);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_OTHER], 2);
    CU_ASSERT_EQUAL(r.alerts.false_by_cause[EVAL_CAUSE_NOISE_JUMP], 0);
}

/* Two breaches, no alert: both missed; the 30 s one is shorter than the
 * tag's 60 s interval. */
static void feed_nothing(eval_metrics *m) { (void)m; }
static void test_missed_and_short(void)
{
    static const int spans[][2] = {{600, 900}, {1500, 1530}};
    eval_report r = run_case(spans, 2, feed_nothing);
    CU_ASSERT_EQUAL(r.breaches.truth, 2);
    CU_ASSERT_EQUAL(r.breaches.missed, 2);
    CU_ASSERT_EQUAL(r.breaches.missed_short, 1);
}

/* Breaches at the very start and the very end of the run; the alarm that
 * is still open at the end counts until the end. */
static void feed_edges(eval_metrics *m)
{
    alarm(m, 5, 200);
    alarm(m, 3500, -1);
}
static void test_breaches_at_start_and_end(void)
{
    static const int spans[][2] = {{0, 120}, {3480, 3600}};
    eval_report r = run_case(spans, 2, feed_edges);
    CU_ASSERT_EQUAL(r.breaches.truth, 2);
    CU_ASSERT_EQUAL(r.breaches.detected, 2);
    CU_ASSERT_EQUAL(r.alerts.true_alerts, 2);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.breach_to_alert.max, 20.0, 1e-9);
}

/* Overlapping episodes of two rules on one breach: both true, the breach
 * detected once, at the first of them. */
static void feed_overlap(eval_metrics *m)
{
    ev(m, PW_EV_ALARM_OPEN, 620, ENG_RULE_PROXIMITY, 0);
    ev(m, PW_EV_ALARM_OPEN, 605, ENG_RULE_ZONE, 7);
    ev(m, PW_EV_ALARM_CLOSE, 950, ENG_RULE_ZONE, 7);
    ev(m, PW_EV_ALARM_CLOSE, 960, ENG_RULE_PROXIMITY, 0);
}
static void test_overlapping_episodes(void)
{
    static const int spans[][2] = {{600, 900}};
    make_scenario();
    cases[0].def.n_zones = 1;
    cases[0].def.zones[0] = (eng_zone_def){.id = 7, .kind = ENG_ZONE_CIRCLE, .center_lat = 37.6,
                                           .center_lon = 127.0, .radius_m = 10};
    make_truth(spans, 1);
    eval_metrics m;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_init(&m, &scn, 30 * S), 0);
    feed_overlap(&m);
    eval_report r;
    CU_ASSERT_EQUAL_FATAL(eval_metrics_finish(&m, truth_of(tracks), &frame, &r), 0);
    eval_metrics_close(&m);
    CU_ASSERT_EQUAL(r.alerts.episodes, 2);
    CU_ASSERT_EQUAL(r.alerts.true_alerts, 2);
    CU_ASSERT_EQUAL(r.breaches.detected, 1);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.breach_to_alert.p50, 5.0, 1e-9);
}

/* Exposure: the victim's window [610, 1020) s against the breach
 * [600, 900) s shows 120 s outside any breach.  A disclosure to her with
 * no window open is unauthorized; one inside the window is not. */
static void feed_exposure(eval_metrics *m)
{
    alarm(m, 610, -1);
    ev(m, PW_EV_REVEAL_OPEN, 610, ENG_RULE_PROXIMITY, 0);
    ev(m, PW_EV_REVEAL_UPDATE, 610, ENG_RULE_NONE, 0);
    eval_metrics_victim_sees(m, 1, T0 + 610 * S, T0 + 612 * S + 500); /* 2.5 s on her network */
    pw_event d;
    memset(&d, 0, sizeof d);
    d.type = PW_EV_DISCLOSURE;
    d.time = T0 + 700 * S;
    d.case_id = 1;
    d.recipient = ENG_PARTY_VICTIM;
    d.recipient_id = 1;
    d.subject = 2;
    eval_metrics_event(m, &d);             /* inside the window: fine */
    ev(m, PW_EV_ALARM_CLOSE, 960, ENG_RULE_PROXIMITY, 0);
    ev(m, PW_EV_REVEAL_CLOSE, 1020, ENG_RULE_NONE, 0);
    d.time = T0 + 1100 * S;
    eval_metrics_event(m, &d);             /* after it: unauthorized */
}
static void test_exposure_and_unauthorized(void)
{
    static const int spans[][2] = {{600, 900}};
    eval_report r = run_case(spans, 1, feed_exposure);
    CU_ASSERT_DOUBLE_EQUAL(r.exposure_outside_breach_s, 120.0, 1e-9);
    CU_ASSERT_EQUAL(r.disclosures, 2);
    CU_ASSERT_EQUAL(r.unauthorized_disclosures, 1);
    CU_ASSERT_EQUAL(r.latency.alert_to_victim.n, 1);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.alert_to_victim.p50, 2.5, 1e-9);
}

/*
 * Alarm -> victim sees the pin is measured from what reached her phone.
 * Three alarms: 610-700 s, 1000-1100 s, 1500-1600 s (no breach: all false,
 * which does not matter here).
 *   - alarm 1: the position sent with it (610 s) is lost; the one sent at
 *     640 s arrives at 641.2 s: 31.2 s.
 *   - alarm 2: a position sent at 990 s (before the alarm: the grace of an
 *     earlier window) arrives at 1,005 s and does not count; the one sent
 *     at 1,000 s arrives late, at 1,030 s, after one sent at 1,020 s
 *     arrived at 1,021 s (both count; the first to arrive wins): 21 s.
 *   - alarm 3: nothing arrives (the phone is off); a position sent after
 *     it closed (1,650 s, seen 1,651 s) does not belong to it: no figure.
 * By hand: n = 2, values 21 and 31.2 s; nearest-rank p50 = 21, max 31.2.
 */
static void feed_victim_sees(eval_metrics *m)
{
    alarm(m, 610, 700);
    eval_metrics_victim_sees(m, 1, T0 + 640 * S, T0 + 641 * S + 200);
    eval_metrics_victim_sees(m, 1, T0 + 990 * S, T0 + 1005 * S);
    alarm(m, 1000, 1100);
    eval_metrics_victim_sees(m, 1, T0 + 1020 * S, T0 + 1021 * S);
    eval_metrics_victim_sees(m, 1, T0 + 1000 * S, T0 + 1030 * S);
    alarm(m, 1500, 1600);
    eval_metrics_victim_sees(m, 1, T0 + 1650 * S, T0 + 1651 * S);
}
static void test_alert_to_victim_from_deliveries(void)
{
    eval_report r = run_case(NULL, 0, feed_victim_sees);
    CU_ASSERT_EQUAL(r.alerts.episodes, 3);
    CU_ASSERT_EQUAL(r.latency.alert_to_victim.n, 2);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.alert_to_victim.p50, 21.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.alert_to_victim.max, 31.2, 1e-9);
}

/* An alarm whose every position is lost: no alert -> victim figure at all
 * (it is not a zero). */
static void feed_never_seen(eval_metrics *m)
{
    alarm(m, 610, 960);
    ev(m, PW_EV_REVEAL_OPEN, 610, ENG_RULE_PROXIMITY, 0);
    ev(m, PW_EV_REVEAL_UPDATE, 610, ENG_RULE_NONE, 0);
    ev(m, PW_EV_REVEAL_UPDATE, 670, ENG_RULE_NONE, 0);
}
static void test_alert_never_seen_has_no_figure(void)
{
    static const int spans[][2] = {{600, 900}};
    eval_report r = run_case(spans, 1, feed_never_seen);
    CU_ASSERT_EQUAL(r.alerts.true_alerts, 1);
    CU_ASSERT_EQUAL(r.latency.alert_to_victim.n, 0);
    CU_ASSERT(isnan(r.latency.alert_to_victim.p50));
}

/* A window that the stream keeps open past the case's grace (an engine
 * that closes it late) is caught: the disclosure after the grace counts
 * as unauthorized even before any REVEAL_CLOSE. */
static void feed_late_close(eval_metrics *m)
{
    alarm(m, 610, 700);
    ev(m, PW_EV_REVEAL_OPEN, 610, ENG_RULE_PROXIMITY, 0);
    pw_event d;
    memset(&d, 0, sizeof d);
    d.type = PW_EV_DISCLOSURE;
    d.case_id = 1;
    d.recipient = ENG_PARTY_VICTIM;
    d.recipient_id = 1;
    d.subject = 2;
    d.time = T0 + 750 * S; /* inside the 60 s grace: fine */
    eval_metrics_event(m, &d);
    d.time = T0 + 761 * S; /* grace over, window still "open": not fine */
    eval_metrics_event(m, &d);
    ev(m, PW_EV_REVEAL_CLOSE, 762, ENG_RULE_NONE, 0);
}
static void test_late_window_close_is_unauthorized(void)
{
    static const int spans[][2] = {{600, 700}};
    eval_report r = run_case(spans, 1, feed_late_close);
    CU_ASSERT_EQUAL(r.disclosures, 2);
    CU_ASSERT_EQUAL(r.unauthorized_disclosures, 1);
}

/* Incidents, as the dispatch model reports them: the desk's waits, the
 * dispatch and arrival of patrols.  Incident 1 opened by a false alarm
 * (no breach) keeps its patrol from dispatch at 160 s to closing at 500 s:
 * 5.67 patrol minutes on a false alert.  Incident 2 (a panic) waits 50 s
 * at the desk. */
static void feed_incidents(eval_metrics *m)
{
    alarm(m, 95, 130);
    pw_event e;
    memset(&e, 0, sizeof e);
    e.case_id = 1;
    e.type = PW_EV_INCIDENT_OPEN;
    e.incident = 1;
    e.reason = PW_EV_ALARM_OPEN;
    e.time = T0 + 100 * S;
    eval_metrics_event(m, &e);
    eval_metrics_dispatch(m, 1, 0, T0 + 160 * S, T0 + 460 * S);
    e.type = PW_EV_INCIDENT_CLOSE;
    e.time = T0 + 500 * S;
    eval_metrics_event(m, &e);
    e.type = PW_EV_INCIDENT_OPEN;
    e.incident = 2;
    e.reason = PW_EV_PANIC;
    e.time = T0 + 510 * S;
    eval_metrics_event(m, &e);
    eval_metrics_dispatch(m, 2, 50 * S, T0 + 620 * S, INT64_MAX);
    eval_metrics_dispatch(m, 2, -1, INT64_MAX, T0 + 700 * S);
}
static void test_incident_workload(void)
{
    eval_report r = run_case(NULL, 0, feed_incidents);
    CU_ASSERT_EQUAL(r.workload.incidents, 2);
    CU_ASSERT_DOUBLE_EQUAL(r.workload.per_dispatcher_hour, 2.0, 1e-9);
    CU_ASSERT_EQUAL(r.workload.peak_concurrent, 1);
    CU_ASSERT_DOUBLE_EQUAL(r.workload.queue_wait_p95_s, 50.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.alert_to_dispatch.max, 110.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(r.latency.dispatch_to_scene.max, 300.0, 1e-9);
    CU_ASSERT_EQUAL(r.latency.dispatch_to_scene.n, 2);
    CU_ASSERT_DOUBLE_EQUAL(r.workload.patrol_minutes_on_false, 340.0 / 60.0, 1e-9);
}

/* Erlang C: M/M/c mean wait = C(c, a) / (c mu - lambda), a = lambda / mu. */
static double erlang_c_wait(int c, double lambda, double mu)
{
    double a = lambda / mu, term = 1.0, sum = 1.0;
    for (int k = 1; k < c; k++) {
        term *= a / k;
        sum += term;
    }
    double last = term * a / c / (1.0 - a / c);
    double pw = last / (sum + last);
    return pw / (c * mu - lambda);
}

static void test_queue_matches_erlang_c(void)
{
    /* Long runs: at high load successive waits are strongly correlated
     * and the sample mean converges slowly. */
    static const struct { int c; double rho; } cases_[] = {{1, 0.6}, {3, 0.7}, {8, 0.75}};
    const size_t n = 2000000;
    pw_time_ms *arr = malloc(n * sizeof *arr), *hand = malloc(n * sizeof *hand), *wait = malloc(n * sizeof *wait);
    CU_ASSERT_FATAL(arr && hand && wait);
    for (size_t k = 0; k < sizeof cases_ / sizeof cases_[0]; k++) {
        int c = cases_[k].c;
        double mu = 1.0 / 180.0;                /* 3 min mean handling, per s */
        double lambda = cases_[k].rho * c * mu; /* Poisson arrivals, per s */
        dev_rng rng;
        dev_rng_init(&rng, 2026, (uint64_t)c);
        double t = 0.0;
        for (size_t i = 0; i < n; i++) {
            t += dev_rng_exponential(&rng, 1000.0 / lambda);
            arr[i] = (pw_time_ms)t;
            hand[i] = (pw_time_ms)llround(dev_rng_exponential(&rng, 1000.0 / mu));
        }
        CU_ASSERT_EQUAL_FATAL(sim_queue_waits(arr, hand, n, c, wait), 0);
        double mean = 0.0;
        for (size_t i = n / 10; i < n; i++) /* skip the warm-up */
            mean += (double)wait[i] / 1000.0;
        mean /= (double)(n - n / 10);
        double want = erlang_c_wait(c, lambda, mu);
        printf("\n    c=%d rho=%.2f: simulated %.1f s, Erlang C %.1f s ", c, cases_[k].rho, mean, want);
        CU_ASSERT(fabs(mean - want) / want < 0.05);
    }
    free(arr);
    free(hand);
    free(wait);
}

/* report.json holds every key the planners' tools read, with null for
 * figures not computed. */
static void test_report_json_keys(void)
{
    eval_report r = run_case(NULL, 0, feed_nothing);
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(eval_report_write_json(f, &scn, &r), 0);
    rewind(f);
    char buf[8192];
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    buf[len] = '\0';
    fclose(f);
    /* Parsed with jansson and checked against the schema planners' tools
     * read: every key, with its type; p50/p95/max are numbers, or null when
     * nothing was measured (n = 0). */
    json_error_t jerr;
    json_t *root = json_loads(buf, 0, &jerr);
    if (!root)
        printf("\n    report.json does not parse: line %d: %s", jerr.line, jerr.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    static const struct {
        const char *path; /* dotted */
        int type;         /* JSON_STRING, JSON_INTEGER, JSON_REAL (a number), JSON_OBJECT, JSON_NULL
                             (a number or null) */
    } schema[] = {
        {"scenario", JSON_STRING}, {"seed", JSON_INTEGER}, {"sim_seconds", JSON_REAL}, {"truth", JSON_STRING},
        {"parameters.tau_s", JSON_REAL}, {"parameters.alarm_radius_m", JSON_REAL},
        {"counts.offenders", JSON_INTEGER}, {"counts.victims", JSON_INTEGER}, {"counts.cases", JSON_INTEGER},
        {"counts.patrols", JSON_INTEGER}, {"counts.dispatchers", JSON_INTEGER}, {"counts.fixes", JSON_INTEGER},
        {"breaches.true", JSON_INTEGER}, {"breaches.detected", JSON_INTEGER}, {"breaches.missed", JSON_INTEGER},
        {"breaches.missed_short", JSON_INTEGER}, {"alerts.episodes", JSON_INTEGER}, {"alerts.true", JSON_INTEGER},
        {"alerts.false", JSON_INTEGER}, {"alerts.false_per_offender_day", JSON_REAL},
        {"alerts.false_by_cause.noise_jump", JSON_INTEGER}, {"alerts.false_by_cause.urban_canyon", JSON_INTEGER},
        {"alerts.false_by_cause.tunnel_exit", JSON_INTEGER}, {"alerts.false_by_cause.cell_fallback", JSON_INTEGER},
        {"alerts.false_by_cause.device_fault", JSON_INTEGER}, {"alerts.false_by_cause.other", JSON_INTEGER},
        {"latency_s.breach_to_alert.n", JSON_INTEGER}, {"latency_s.breach_to_alert.p50", JSON_NULL},
        {"latency_s.breach_to_alert.p95", JSON_NULL}, {"latency_s.breach_to_alert.max", JSON_NULL},
        {"latency_s.alert_to_victim.n", JSON_INTEGER}, {"latency_s.alert_to_dispatch.n", JSON_INTEGER},
        {"latency_s.dispatch_to_scene.n", JSON_INTEGER}, {"latency_s.dispatch_to_scene.p50", JSON_NULL},
        {"exposure_s.outside_breach", JSON_REAL}, {"exposure_s.unauthorized_disclosures", JSON_INTEGER},
        {"workload.incidents", JSON_INTEGER}, {"workload.per_dispatcher_hour", JSON_REAL},
        {"workload.peak_concurrent", JSON_INTEGER}, {"workload.queue_wait_s.p50", JSON_NULL},
        {"workload.patrol_minutes_on_false", JSON_REAL}, {"health.signal_loss", JSON_INTEGER},
        {"health.no_comm", JSON_INTEGER}, {"health.tamper", JSON_INTEGER}, {"health.battery_low", JSON_INTEGER},
    };
    for (size_t i = 0; i < sizeof schema / sizeof schema[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s", schema[i].path);
        json_t *v = root;
        for (char *tok = strtok(path, "."); tok && v; tok = strtok(NULL, "."))
            v = json_object_get(v, tok);
        int ok = v != NULL;
        if (ok && schema[i].type == JSON_STRING)
            ok = json_is_string(v);
        else if (ok && schema[i].type == JSON_INTEGER)
            ok = json_is_integer(v);
        else if (ok && schema[i].type == JSON_REAL)
            ok = json_is_number(v);
        else if (ok && schema[i].type == JSON_NULL)
            ok = json_is_number(v) || json_is_null(v);
        if (!ok)
            printf("\n    report.json: %s missing or of the wrong type", schema[i].path);
        CU_ASSERT(ok);
    }
    /* Nothing measured: n = 0 and the figures are null, never a made-up 0. */
    json_t *bta = json_object_get(json_object_get(root, "latency_s"), "breach_to_alert");
    CU_ASSERT_EQUAL(json_integer_value(json_object_get(bta, "n")), 0);
    CU_ASSERT(json_is_null(json_object_get(bta, "p50")));
    json_decref(root);
}

/* Every bundled scenario, run for real: no position reached anyone the
 * access rule forbids, by the metrics' own reading of the events (they
 * judge each disclosure against the cases, apart from the engine).
 * (detected + missed = true and true + false = episodes hold by the
 * metrics' construction, so they are not asserted.) */
static void test_invariants_on_bundled_scenarios(void)
{
    DIR *dir = opendir(PW_SOURCE_DIR "/scenarios");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/scenarios/%s", PW_SOURCE_DIR, de->d_name);
        scn_scenario s;
        scn_error err;
        scn_status st = scn_load_file(&s, path, NULL, &err);
        if (st != SCN_OK)
            printf("\n    %s", err.message);
        CU_ASSERT_EQUAL_FATAL(st, SCN_OK);
        sim_run_options ro = {.out_dir = "pw_test_metrics_run", .record = 0};
        sim_summary sum;
        char msg[600];
        CU_ASSERT_EQUAL_FATAL(sim_run(&s, &ro, &sum, msg, sizeof msg), 0);
        const eval_report *r = &sum.report;
        printf("\n    %-22s %3llu breaches (%3llu detected), %3llu episodes (%llu false), %llu incidents",
               de->d_name, (unsigned long long)r->breaches.truth, (unsigned long long)r->breaches.detected,
               (unsigned long long)r->alerts.episodes, (unsigned long long)r->alerts.false_alerts,
               (unsigned long long)r->workload.incidents);
        CU_ASSERT_EQUAL(r->unauthorized_disclosures, 0);
        scn_free(&s);
        n++;
    }
    closedir(dir);
    printf("\n    ");
    CU_ASSERT(n >= 9); /* the default and the Seoul library */
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"a detected breach and its latency", test_detected_breach},
        {"a continuous approach: the exact first second", test_continuous_approach_exact_start},
        {"an alert before the breach but inside tau", test_alert_before_breach_inside_tau},
        {"an alert outside tau is false and the breach missed", test_alert_outside_tau},
        {"zero breaches: a false alert by cause", test_false_alert_by_cause},
        {"missed breaches, short ones apart", test_missed_and_short},
        {"breaches at the very start and end", test_breaches_at_start_and_end},
        {"overlapping episodes", test_overlapping_episodes},
        {"exposure and unauthorized disclosures", test_exposure_and_unauthorized},
        {"alert -> victim from what reached her phone", test_alert_to_victim_from_deliveries},
        {"an alert never seen has no alert -> victim figure", test_alert_never_seen_has_no_figure},
        {"a canyon alert is not blamed on a battery event", test_canyon_alert_not_blamed_on_battery},
        {"false alerts attributed by their driving fixes", test_false_alerts_attributed_by_driving_fixes},
        {"a window closed too late counts as unauthorized", test_late_window_close_is_unauthorized},
        {"incidents, the desk and the patrols", test_incident_workload},
        {"the queue matches Erlang C within 5 %", test_queue_matches_erlang_c},
        {"report.json keys", test_report_json_keys},
        {"no unauthorized disclosure on any bundled scenario", test_invariants_on_bundled_scenarios},
        {NULL, NULL},
    };
    return pw_test_main("metrics", tests);
}
