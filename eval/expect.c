/*
 * expect.c - checking a scenario's expect { } against the figures of its
 * run.  The figures are read where report.json gets them (eval_report) and,
 * for engine events the report does not count (pre-warnings, escalations,
 * victim warnings), from the run's event counts.
 */
#include "expect.h"
#include "record.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static double latency_value(const eval_latency *l, int stat)
{
    if (l->n == 0)
        return NAN;
    return stat == 0 ? l->max : stat == 1 ? l->p95 : l->p50;
}

double eval_expect_measure(const eval_report *r, const uint64_t *by_type, scn_measure m)
{
    switch (m) {
    case SCN_M_TRUE_BREACHES: return (double)r->breaches.truth;
    case SCN_M_DETECTED: return (double)r->breaches.detected;
    case SCN_M_MISSED: return (double)r->breaches.missed;
    case SCN_M_MISSED_SHORT: return (double)r->breaches.missed_short;
    case SCN_M_ALERT_EPISODES: return (double)r->alerts.episodes;
    case SCN_M_TRUE_ALERTS: return (double)r->alerts.true_alerts;
    case SCN_M_FALSE_ALERTS: return (double)r->alerts.false_alerts;
    case SCN_M_FALSE_PER_OFFENDER_DAY: return r->alerts.false_per_offender_day;
    case SCN_M_FALSE_NOISE_JUMP: return (double)r->alerts.false_by_cause[EVAL_CAUSE_NOISE_JUMP];
    case SCN_M_FALSE_URBAN_CANYON: return (double)r->alerts.false_by_cause[EVAL_CAUSE_URBAN_CANYON];
    case SCN_M_FALSE_TUNNEL_EXIT: return (double)r->alerts.false_by_cause[EVAL_CAUSE_TUNNEL_EXIT];
    case SCN_M_FALSE_CELL_FALLBACK: return (double)r->alerts.false_by_cause[EVAL_CAUSE_CELL_FALLBACK];
    case SCN_M_FALSE_DEVICE_FAULT: return (double)r->alerts.false_by_cause[EVAL_CAUSE_DEVICE_FAULT];
    case SCN_M_FALSE_OTHER: return (double)r->alerts.false_by_cause[EVAL_CAUSE_OTHER];
    case SCN_M_BREACH_TO_ALERT: return latency_value(&r->latency.breach_to_alert, 0);
    case SCN_M_BREACH_TO_ALERT_P95: return latency_value(&r->latency.breach_to_alert, 1);
    case SCN_M_BREACH_TO_ALERT_MEDIAN: return latency_value(&r->latency.breach_to_alert, 2);
    case SCN_M_ALERT_TO_VICTIM: return latency_value(&r->latency.alert_to_victim, 0);
    case SCN_M_ALERT_TO_VICTIM_P95: return latency_value(&r->latency.alert_to_victim, 1);
    case SCN_M_ALERT_TO_VICTIM_MEDIAN: return latency_value(&r->latency.alert_to_victim, 2);
    case SCN_M_ALERT_TO_DISPATCH: return latency_value(&r->latency.alert_to_dispatch, 0);
    case SCN_M_ALERT_TO_DISPATCH_P95: return latency_value(&r->latency.alert_to_dispatch, 1);
    case SCN_M_ALERT_TO_DISPATCH_MEDIAN: return latency_value(&r->latency.alert_to_dispatch, 2);
    case SCN_M_DISPATCH_TO_SCENE: return latency_value(&r->latency.dispatch_to_scene, 0);
    case SCN_M_DISPATCH_TO_SCENE_P95: return latency_value(&r->latency.dispatch_to_scene, 1);
    case SCN_M_DISPATCH_TO_SCENE_MEDIAN: return latency_value(&r->latency.dispatch_to_scene, 2);
    case SCN_M_EXPOSURE: return r->exposure_outside_breach_s;
    case SCN_M_DISCLOSURES: return (double)r->disclosures;
    case SCN_M_UNAUTHORIZED_DISCLOSURES: return (double)r->unauthorized_disclosures;
    case SCN_M_INCIDENTS: return (double)r->workload.incidents;
    case SCN_M_INCIDENTS_PER_DISPATCHER_HOUR: return r->workload.per_dispatcher_hour;
    case SCN_M_PEAK_INCIDENTS: return (double)r->workload.peak_concurrent;
    case SCN_M_QUEUE_WAIT_MEDIAN: return r->workload.queue_wait_p50_s;
    case SCN_M_QUEUE_WAIT_P95: return r->workload.queue_wait_p95_s;
    case SCN_M_PATROLS_SENT: return (double)r->latency.alert_to_dispatch.n;
    case SCN_M_PATROLS_ON_SCENE: return (double)r->latency.dispatch_to_scene.n;
    case SCN_M_PATROL_TIME_ON_FALSE: return r->workload.patrol_minutes_on_false * 60.0;
    case SCN_M_SIGNAL_LOST: return (double)r->health.signal_loss;
    case SCN_M_CONTACT_LOST: return (double)r->health.no_comm;
    case SCN_M_TAMPER: return (double)r->health.tamper;
    case SCN_M_BATTERY_LOW: return (double)r->health.battery_low;
    case SCN_M_DEVICE_OFF: return (double)r->health.device_off;
    case SCN_M_PREWARNINGS: return (double)by_type[PW_EV_PREWARN_OPEN];
    case SCN_M_ESCALATIONS: return (double)by_type[PW_EV_ESCALATION];
    case SCN_M_VICTIM_WARNINGS: return (double)by_type[PW_EV_VICTIM_WARNING];
    case SCN_M_COUNT: break;
    }
    return NAN;
}

/* A value as a planner reads it: "2", "0.35", "16.8 s". */
static void format_value(char *buf, size_t n, double v, scn_unit unit)
{
    if (isnan(v))
        snprintf(buf, n, "none");
    else if (unit == SCN_UNIT_COUNT)
        snprintf(buf, n, "%.0f", v);
    else if (unit == SCN_UNIT_RATE)
        snprintf(buf, n, "%.4g", v);
    else if (v == floor(v))
        snprintf(buf, n, "%.0f s", v);
    else
        snprintf(buf, n, "%.1f s", v);
}

/* Durations compare to the millisecond, the resolution of the language;
 * counts are whole numbers; rates get a relative rounding allowance. */
static int within(double v, double lo, double hi, scn_unit unit)
{
    double eps = unit == SCN_UNIT_SECONDS ? 0.0005 : unit == SCN_UNIT_RATE ? 1e-9 * fmax(1.0, fabs(v)) : 0.0;
    return (isnan(lo) || v >= lo - eps) && (isnan(hi) || v <= hi + eps);
}

static void check_one(const scn_expect *e, const eval_report *r, const uint64_t *by_type,
                      eval_expect_result *out)
{
    scn_unit unit = scn_measure_unit(e->measure);
    const char *name = scn_measure_name(e->measure);
    out->expect = e;
    out->measured = eval_expect_measure(r, by_type, e->measure);
    if (isnan(out->measured))
        out->held = isnan(e->lo); /* an upper bound holds of nothing at all */
    else
        out->held = within(out->measured, e->lo, e->hi, unit);
    char lo[32], hi[32], got[32], rel[96];
    format_value(lo, sizeof lo, e->lo, unit);
    format_value(hi, sizeof hi, e->hi, unit);
    format_value(got, sizeof got, out->measured, unit);
    if (!isnan(e->lo) && !isnan(e->hi) && e->lo == e->hi)
        snprintf(rel, sizeof rel, "%s = %s", name, lo);
    else if (!isnan(e->lo) && !isnan(e->hi))
        snprintf(rel, sizeof rel, "%s between %s and %s", name, lo, hi);
    else if (!isnan(e->lo))
        snprintf(rel, sizeof rel, "%s >= %s", name, lo);
    else
        snprintf(rel, sizeof rel, "%s <= %s", name, hi);
    snprintf(out->text, sizeof out->text, "expect %s: measured %s, %s", rel, got, out->held ? "held" : "NOT held");
}

size_t eval_expect_check(const scn_scenario *s, const eval_report *report, const uint64_t *by_type,
                         eval_expect_result *results)
{
    size_t failed = 0;
    for (size_t i = 0; i < s->n_expects; i++) {
        eval_expect_result r;
        check_one(&s->expects[i], report, by_type, &r);
        failed += !r.held;
        if (results)
            results[i] = r;
    }
    return failed;
}

void eval_expect_write_json(rec_json *w, const eval_expect_result *results, size_t n)
{
    rec_json_array(w);
    for (size_t i = 0; i < n; i++) {
        const scn_expect *e = results[i].expect;
        rec_json_object(w);
        rec_json_kstr(w, "key", e->key);
        rec_json_kstr(w, "measure", scn_measure_name(e->measure));
        rec_json_key(w, "min");
        rec_json_sig(w, e->lo, 6);
        rec_json_key(w, "max");
        rec_json_sig(w, e->hi, 6);
        rec_json_key(w, "measured");
        rec_json_sig(w, results[i].measured, 6);
        rec_json_kbool(w, "held", results[i].held);
        rec_json_kint(w, "line", e->line);
        rec_json_end(w);
    }
    rec_json_end(w);
}
