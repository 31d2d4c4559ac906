/*
 * stats.c - what a sweep draws from its runs: the report as a flat row of
 * figures (sweep.csv's columns) and the mean with its 95 % interval over
 * seeds.
 */
#include "eval.h"

#include <math.h>

/* ---- the report as a row ---------------------------------------------- */

static const char *const field_names[] = {
    "breaches_true", "breaches_detected", "breaches_missed", "breaches_missed_short",
    "alerts_episodes", "alerts_true", "alerts_false", "false_per_offender_day",
    "false_noise_jump", "false_urban_canyon", "false_tunnel_exit", "false_cell_fallback",
    "false_device_fault", "false_other",
    "breach_to_alert_n", "breach_to_alert_p50", "breach_to_alert_p95", "breach_to_alert_max",
    "alert_to_victim_n", "alert_to_victim_p50", "alert_to_victim_p95", "alert_to_victim_max",
    "alert_to_dispatch_n", "alert_to_dispatch_p50", "alert_to_dispatch_p95", "alert_to_dispatch_max",
    "dispatch_to_scene_n", "dispatch_to_scene_p50", "dispatch_to_scene_p95", "dispatch_to_scene_max",
    "exposure_outside_breach_s", "unauthorized_disclosures",
    "incidents", "per_dispatcher_hour", "peak_concurrent", "queue_wait_p50_s", "queue_wait_p95_s",
    "patrol_minutes_on_false",
    "signal_loss", "no_comm", "tamper", "battery_low", "fixes",
};

size_t eval_report_field_count(void)
{
    return sizeof field_names / sizeof field_names[0];
}

const char *eval_report_field_name(size_t i)
{
    return i < eval_report_field_count() ? field_names[i] : NULL;
}

static size_t put_latency(double *v, size_t k, const eval_latency *l)
{
    v[k++] = (double)l->n;
    v[k++] = l->p50;
    v[k++] = l->p95;
    v[k++] = l->max;
    return k;
}

size_t eval_report_fields(const eval_report *r, double *v)
{
    size_t k = 0;
    v[k++] = (double)r->breaches.truth;
    v[k++] = (double)r->breaches.detected;
    v[k++] = (double)r->breaches.missed;
    v[k++] = (double)r->breaches.missed_short;
    v[k++] = (double)r->alerts.episodes;
    v[k++] = (double)r->alerts.true_alerts;
    v[k++] = (double)r->alerts.false_alerts;
    v[k++] = r->alerts.false_per_offender_day;
    for (int c = 0; c < EVAL_CAUSE_COUNT; c++)
        v[k++] = (double)r->alerts.false_by_cause[c];
    k = put_latency(v, k, &r->latency.breach_to_alert);
    k = put_latency(v, k, &r->latency.alert_to_victim);
    k = put_latency(v, k, &r->latency.alert_to_dispatch);
    k = put_latency(v, k, &r->latency.dispatch_to_scene);
    v[k++] = r->exposure_outside_breach_s;
    v[k++] = (double)r->unauthorized_disclosures;
    v[k++] = (double)r->workload.incidents;
    v[k++] = r->workload.per_dispatcher_hour;
    v[k++] = (double)r->workload.peak_concurrent;
    v[k++] = r->workload.queue_wait_p50_s;
    v[k++] = r->workload.queue_wait_p95_s;
    v[k++] = r->workload.patrol_minutes_on_false;
    v[k++] = (double)r->health.signal_loss;
    v[k++] = (double)r->health.no_comm;
    v[k++] = (double)r->health.tamper;
    v[k++] = (double)r->health.battery_low;
    v[k++] = (double)r->fixes;
    return k;
}

/* ---- mean and interval ------------------------------------------------- */

/* Two-sided 95 % Student t quantiles for 1..30 degrees of freedom. */
static const double t975[31] = {NAN,    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                2.201, 2.179,  2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                2.080, 2.074,  2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

void eval_mean_ci(const double *x, size_t n, double *mean, double *lo, double *hi)
{
    double sum = 0.0;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i])) {
            sum += x[i];
            k++;
        }
    *mean = *lo = *hi = NAN;
    if (k == 0)
        return;
    *mean = sum / (double)k;
    if (k == 1)
        return;
    double ss = 0.0;
    for (size_t i = 0; i < n; i++)
        if (isfinite(x[i]))
            ss += (x[i] - *mean) * (x[i] - *mean);
    double sd = sqrt(ss / (double)(k - 1));
    double t = k - 1 <= 30 ? t975[k - 1] : 1.96;
    double half = t * sd / sqrt((double)k);
    *lo = *mean - half;
    *hi = *mean + half;
}

