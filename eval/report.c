/*
 * report.c - report.json and its terminal table.  The keys are the ones the
 * planners' tools read (the evaluation issue fixes them); unknown figures
 * are null, never a made-up 0.
 */
#include "record.h"
#include "eval.h"

#include <math.h>
#include <stdio.h>

static void num(FILE *f, double v, int decimals)
{
    if (isfinite(v))
        fprintf(f, "%.*f", decimals, v);
    else
        fputs("null", f);
}

static void latency(FILE *f, const char *key, const eval_latency *l, int last)
{
    fprintf(f, "    \"%s\": {\"n\": %zu, \"p50\": ", key, l->n);
    num(f, l->p50, 3);
    fputs(", \"p95\": ", f);
    num(f, l->p95, 3);
    fputs(", \"max\": ", f);
    num(f, l->max, 3);
    fprintf(f, "}%s\n", last ? "" : ",");
}

int eval_report_write_json(FILE *f, const scn_scenario *s, const eval_report *r)
{
    size_t offenders = 0, victims = 0, patrols = 0;
    for (size_t i = 0; i < s->n_actors; i++) {
        offenders += s->actors[i].role == SCN_OFFENDER;
        victims += s->actors[i].role == SCN_VICTIM;
        patrols += s->actors[i].role == SCN_PATROL;
    }
    fputs("{\n  \"scenario\": ", f);
    rec_json_string(f, s->name);
    fprintf(f, ",\n  \"seed\": %llu,\n  \"sim_seconds\": %.0f,\n  \"truth\": ", (unsigned long long)s->seed,
            r->sim_seconds);
    rec_json_string(f, r->truth[0] ? r->truth : "simulation");
    fputs(",\n", f);
    /* The effective settings: the first case and the first tag and phone
     * (a sweep varies them together). */
    fputs("  \"parameters\": {", f);
    fprintf(f, "\"tau_s\": %.0f", r->tau_s);
    if (s->n_cases) {
        const eng_case_def *d = &s->cases[0].def;
        fprintf(f, ", \"alarm_radius_m\": %.1f, \"prewarn_radius_m\": %.1f, \"enter_margin_m\": %.1f, "
                   "\"leave_margin_m\": %.1f, \"p_open\": %.3f, \"p_close\": %.3f, \"dwell_open_s\": %.1f, "
                   "\"dwell_close_s\": %.1f, \"grace_s\": %.1f, \"reveal_max_s\": %.1f",
                d->alarm_radius_m, d->prewarn_radius_m, d->enter_margin_m, d->leave_margin_m, d->p_open,
                d->p_close, d->dwell_open_ms / 1000.0, d->dwell_close_ms / 1000.0, d->grace_ms / 1000.0,
                d->reveal_max_ms / 1000.0);
    }
    for (size_t i = 0; i < s->n_actors; i++) {
        if (s->actors[i].role == SCN_OFFENDER) {
            const scn_device *d = &s->actors[i].device;
            fprintf(f, ", \"tag_interval_s\": %.1f, \"tag_moving_interval_s\": %.1f, "
                       "\"tag_pursuit_interval_s\": %.1f",
                    d->interval_rest_ms / 1000.0, d->interval_moving_ms / 1000.0, d->interval_pursuit_ms / 1000.0);
            break;
        }
    }
    for (size_t i = 0; i < s->n_actors; i++) {
        if (s->actors[i].role == SCN_VICTIM) {
            fprintf(f, ", \"phone_interval_s\": %.1f", s->actors[i].device.interval_rest_ms / 1000.0);
            break;
        }
    }
    fprintf(f, ", \"dispatchers\": %d, \"handling_mean_s\": %.1f},\n", s->dispatch.dispatchers,
            s->dispatch.handling_mean_ms / 1000.0);
    fprintf(f, "  \"counts\": {\"offenders\": %zu, \"victims\": %zu, \"cases\": %zu, \"patrols\": %zu, "
               "\"dispatchers\": %d, \"fixes\": %llu},\n",
            offenders, victims, s->n_cases, patrols, s->dispatch.dispatchers, (unsigned long long)r->fixes);
    fprintf(f, "  \"breaches\": {\"true\": %llu, \"detected\": %llu, \"missed\": %llu, \"missed_short\": %llu},\n",
            (unsigned long long)r->breaches.truth, (unsigned long long)r->breaches.detected,
            (unsigned long long)r->breaches.missed, (unsigned long long)r->breaches.missed_short);
    fprintf(f, "  \"alerts\": {\"episodes\": %llu, \"true\": %llu, \"false\": %llu, \"false_per_offender_day\": ",
            (unsigned long long)r->alerts.episodes, (unsigned long long)r->alerts.true_alerts,
            (unsigned long long)r->alerts.false_alerts);
    num(f, r->alerts.false_per_offender_day, 4);
    fputs(", \"false_by_cause\": {", f);
    for (int c = 0; c < EVAL_CAUSE_COUNT; c++)
        fprintf(f, "%s\"%s\": %llu", c ? ", " : "", eval_cause_name((eval_cause)c),
                (unsigned long long)r->alerts.false_by_cause[c]);
    fputs("}},\n  \"latency_s\": {\n", f);
    latency(f, "breach_to_alert", &r->latency.breach_to_alert, 0);
    latency(f, "alert_to_victim", &r->latency.alert_to_victim, 0);
    latency(f, "alert_to_dispatch", &r->latency.alert_to_dispatch, 0);
    latency(f, "dispatch_to_scene", &r->latency.dispatch_to_scene, 1);
    fputs("  },\n  \"exposure_s\": {\"outside_breach\": ", f);
    num(f, r->exposure_outside_breach_s, 1);
    fprintf(f, ", \"unauthorized_disclosures\": %llu},\n", (unsigned long long)r->unauthorized_disclosures);
    fprintf(f, "  \"workload\": {\"incidents\": %llu, \"per_dispatcher_hour\": ",
            (unsigned long long)r->workload.incidents);
    num(f, r->workload.per_dispatcher_hour, 4);
    fprintf(f, ", \"peak_concurrent\": %zu, \"queue_wait_s\": {\"p50\": ", r->workload.peak_concurrent);
    num(f, r->workload.queue_wait_p50_s, 3);
    fputs(", \"p95\": ", f);
    num(f, r->workload.queue_wait_p95_s, 3);
    fputs("}, \"patrol_minutes_on_false\": ", f);
    num(f, r->workload.patrol_minutes_on_false, 1);
    fprintf(f, "},\n  \"health\": {\"signal_loss\": %llu, \"no_comm\": %llu, \"tamper\": %llu, "
               "\"battery_low\": %llu}\n}\n",
            (unsigned long long)r->health.signal_loss, (unsigned long long)r->health.no_comm,
            (unsigned long long)r->health.tamper, (unsigned long long)r->health.battery_low);
    return ferror(f) ? -1 : 0;
}

static void row_latency(FILE *f, const char *name, const eval_latency *l)
{
    if (l->n == 0) {
        fprintf(f, "  %-27s n=0\n", name);
        return;
    }
    fprintf(f, "  %-27s n=%-5zu median %7.1f s   p95 %7.1f s   max %7.1f s\n", name, l->n, l->p50, l->p95,
            l->max);
}

void eval_report_print(FILE *f, const eval_report *r)
{
    fprintf(f, "  true breaches            %llu: %llu detected, %llu missed (%llu shorter than the tag's interval)\n",
            (unsigned long long)r->breaches.truth, (unsigned long long)r->breaches.detected,
            (unsigned long long)r->breaches.missed, (unsigned long long)r->breaches.missed_short);
    fprintf(f, "  alert episodes           %llu: %llu true, %llu false", (unsigned long long)r->alerts.episodes,
            (unsigned long long)r->alerts.true_alerts, (unsigned long long)r->alerts.false_alerts);
    if (isfinite(r->alerts.false_per_offender_day))
        fprintf(f, " (%.2f per offender-day)", r->alerts.false_per_offender_day);
    fputc('\n', f);
    if (r->alerts.false_alerts) {
        fputs("  false alerts by cause   ", f);
        for (int c = 0; c < EVAL_CAUSE_COUNT; c++)
            if (r->alerts.false_by_cause[c])
                fprintf(f, " %s %llu", eval_cause_name((eval_cause)c), (unsigned long long)r->alerts.false_by_cause[c]);
        fputc('\n', f);
    }
    row_latency(f, "breach -> alert", &r->latency.breach_to_alert);
    row_latency(f, "alert -> victim sees pin", &r->latency.alert_to_victim);
    row_latency(f, "alert -> dispatch", &r->latency.alert_to_dispatch);
    row_latency(f, "dispatch -> patrol on scene", &r->latency.dispatch_to_scene);
    fprintf(f, "  victim exposure          %.0f s of offender position shown with no true breach\n",
            r->exposure_outside_breach_s);
    fprintf(f, "  disclosures              %llu, unauthorized %llu\n", (unsigned long long)r->disclosures,
            (unsigned long long)r->unauthorized_disclosures);
    fprintf(f, "  112 workload             %llu incidents, %.2f per dispatcher-hour, peak %zu at once",
            (unsigned long long)r->workload.incidents, r->workload.per_dispatcher_hour, r->workload.peak_concurrent);
    if (isfinite(r->workload.queue_wait_p50_s))
        fprintf(f, ", queue wait median %.0f s, p95 %.0f s", r->workload.queue_wait_p50_s, r->workload.queue_wait_p95_s);
    fputc('\n', f);
    fprintf(f, "  patrols on false alerts  %.1f patrol-minutes\n", r->workload.patrol_minutes_on_false);
    fprintf(f, "  device health            %llu signal lost, %llu contact lost, %llu tamper, %llu battery low\n",
            (unsigned long long)r->health.signal_loss, (unsigned long long)r->health.no_comm,
            (unsigned long long)r->health.tamper, (unsigned long long)r->health.battery_low);
}
