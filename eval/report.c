/*
 * report.c - report.json and its terminal table.  The keys are the ones the
 * planners' tools read (the evaluation issue fixes them); unknown figures
 * are null, never a made-up 0.
 */
#include "record.h"
#include "eval.h"

#include <math.h>
#include <stdio.h>

static void latency(rec_json *w, const char *key, const eval_latency *l)
{
    rec_json_newline(w);
    rec_json_key(w, key);
    rec_json_object(w);
    rec_json_kuint(w, "n", l->n);
    rec_json_kfixed(w, "p50", l->p50, 3);
    rec_json_kfixed(w, "p95", l->p95, 3);
    rec_json_kfixed(w, "max", l->max, 3);
    rec_json_end(w);
}

/* Each top-level member on a line of its own, its figures on that line. */
static void member(rec_json *w, const char *key)
{
    rec_json_newline(w);
    rec_json_key(w, key);
    rec_json_object(w);
}

int eval_report_write_json(FILE *f, const scn_scenario *s, const eval_report *r)
{
    size_t offenders = 0, victims = 0, patrols = 0;
    for (size_t i = 0; i < s->n_actors; i++) {
        offenders += s->actors[i].role == SCN_OFFENDER;
        victims += s->actors[i].role == SCN_VICTIM;
        patrols += s->actors[i].role == SCN_PATROL;
    }
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_SPACED);
    rec_json_object(&w);
    rec_json_newline(&w);
    rec_json_kstr(&w, "scenario", s->name);
    rec_json_newline(&w);
    rec_json_kuint(&w, "seed", s->seed);
    rec_json_newline(&w);
    rec_json_kfixed(&w, "sim_seconds", r->sim_seconds, 0);
    rec_json_newline(&w);
    rec_json_kstr(&w, "truth", r->truth[0] ? r->truth : "simulation");
    /* The effective settings: the first case and the first tag and phone
     * (a sweep varies them together). */
    member(&w, "parameters");
    rec_json_kfixed(&w, "tau_s", r->tau_s, 0);
    if (s->n_cases) {
        const eng_case_def *d = &s->cases[0].def;
        rec_json_kfixed(&w, "alarm_radius_m", d->alarm_radius_m, 1);
        rec_json_kfixed(&w, "prewarn_radius_m", d->prewarn_radius_m, 1);
        rec_json_kfixed(&w, "enter_margin_m", d->enter_margin_m, 1);
        rec_json_kfixed(&w, "leave_margin_m", d->leave_margin_m, 1);
        rec_json_kfixed(&w, "p_open", d->p_open, 3);
        rec_json_kfixed(&w, "p_close", d->p_close, 3);
        rec_json_kfixed(&w, "dwell_open_s", d->dwell_open_ms / 1000.0, 1);
        rec_json_kfixed(&w, "dwell_close_s", d->dwell_close_ms / 1000.0, 1);
        rec_json_kfixed(&w, "grace_s", d->grace_ms / 1000.0, 1);
        rec_json_kfixed(&w, "reveal_max_s", d->reveal_max_ms / 1000.0, 1);
    }
    for (size_t i = 0; i < s->n_actors; i++) {
        if (s->actors[i].role == SCN_OFFENDER) {
            const scn_device *d = &s->actors[i].device;
            rec_json_kfixed(&w, "tag_interval_s", d->interval_rest_ms / 1000.0, 1);
            rec_json_kfixed(&w, "tag_moving_interval_s", d->interval_moving_ms / 1000.0, 1);
            rec_json_kfixed(&w, "tag_pursuit_interval_s", d->interval_pursuit_ms / 1000.0, 1);
            break;
        }
    }
    for (size_t i = 0; i < s->n_actors; i++) {
        if (s->actors[i].role == SCN_VICTIM) {
            rec_json_kfixed(&w, "phone_interval_s", s->actors[i].device.interval_rest_ms / 1000.0, 1);
            break;
        }
    }
    rec_json_kint(&w, "dispatchers", s->dispatch.dispatchers);
    rec_json_kfixed(&w, "handling_mean_s", s->dispatch.handling_mean_ms / 1000.0, 1);
    rec_json_end(&w);
    member(&w, "counts");
    rec_json_kuint(&w, "offenders", offenders);
    rec_json_kuint(&w, "victims", victims);
    rec_json_kuint(&w, "cases", s->n_cases);
    rec_json_kuint(&w, "patrols", patrols);
    rec_json_kint(&w, "dispatchers", s->dispatch.dispatchers);
    rec_json_kuint(&w, "fixes", r->fixes);
    rec_json_end(&w);
    member(&w, "breaches");
    rec_json_kuint(&w, "true", r->breaches.truth);
    rec_json_kuint(&w, "detected", r->breaches.detected);
    rec_json_kuint(&w, "missed", r->breaches.missed);
    rec_json_kuint(&w, "missed_short", r->breaches.missed_short);
    rec_json_end(&w);
    member(&w, "alerts");
    rec_json_kuint(&w, "episodes", r->alerts.episodes);
    rec_json_kuint(&w, "true", r->alerts.true_alerts);
    rec_json_kuint(&w, "false", r->alerts.false_alerts);
    rec_json_kfixed(&w, "false_per_offender_day", r->alerts.false_per_offender_day, 4);
    rec_json_key(&w, "false_by_cause");
    rec_json_object(&w);
    for (int c = 0; c < EVAL_CAUSE_COUNT; c++)
        rec_json_kuint(&w, eval_cause_name((eval_cause)c), r->alerts.false_by_cause[c]);
    rec_json_end(&w);
    rec_json_end(&w);
    member(&w, "latency_s");
    latency(&w, "breach_to_alert", &r->latency.breach_to_alert);
    latency(&w, "alert_to_victim", &r->latency.alert_to_victim);
    latency(&w, "alert_to_dispatch", &r->latency.alert_to_dispatch);
    latency(&w, "dispatch_to_scene", &r->latency.dispatch_to_scene);
    rec_json_end_newline(&w);
    member(&w, "exposure_s");
    rec_json_kfixed(&w, "outside_breach", r->exposure_outside_breach_s, 1);
    rec_json_kuint(&w, "unauthorized_disclosures", r->unauthorized_disclosures);
    rec_json_end(&w);
    member(&w, "workload");
    rec_json_kuint(&w, "incidents", r->workload.incidents);
    rec_json_kfixed(&w, "per_dispatcher_hour", r->workload.per_dispatcher_hour, 4);
    rec_json_kuint(&w, "peak_concurrent", r->workload.peak_concurrent);
    rec_json_key(&w, "queue_wait_s");
    rec_json_object(&w);
    rec_json_kfixed(&w, "p50", r->workload.queue_wait_p50_s, 3);
    rec_json_kfixed(&w, "p95", r->workload.queue_wait_p95_s, 3);
    rec_json_end(&w);
    rec_json_kfixed(&w, "patrol_minutes_on_false", r->workload.patrol_minutes_on_false, 1);
    rec_json_end(&w);
    member(&w, "health");
    rec_json_kuint(&w, "signal_loss", r->health.signal_loss);
    rec_json_kuint(&w, "no_comm", r->health.no_comm);
    rec_json_kuint(&w, "tamper", r->health.tamper);
    rec_json_kuint(&w, "battery_low", r->health.battery_low);
    rec_json_end(&w);
    if (r->scored_span.set) {
        char a[40], b[40];
        pw_format_time(r->scored_span.start, a, sizeof a);
        pw_format_time(r->scored_span.end, b, sizeof b);
        member(&w, "scored_span");
        rec_json_kstr(&w, "start", a);
        rec_json_kstr(&w, "end", b);
        rec_json_kfixed(&w, "seconds", (double)(r->scored_span.end - r->scored_span.start) / 1000.0, 3);
        rec_json_kuint(&w, "offender_fixes_outside", r->scored_span.outside[0]);
        rec_json_kuint(&w, "victim_fixes_outside", r->scored_span.outside[1]);
        rec_json_end(&w);
    }
    rec_json_end_newline(&w);
    rec_json_text(&w, "\n");
    return rec_json_finish(&w) != 0 || ferror(f) ? -1 : 0;
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
    if (r->scored_span.set) {
        char a[40], b[40];
        pw_format_time(r->scored_span.start, a, sizeof a);
        pw_format_time(r->scored_span.end, b, sizeof b);
        fprintf(f, "  scored span              %s to %s (%.0f s, where every trace and reference has data); fixes "
                   "outside it: "
                   "offender %llu, victim %llu\n",
                a, b, (double)(r->scored_span.end - r->scored_span.start) / 1000.0,
                (unsigned long long)r->scored_span.outside[0], (unsigned long long)r->scored_span.outside[1]);
    }
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

/* ---- per-sample records for pictures (latencies.csv, incidents.csv) ---- */

int eval_write_latencies_csv(FILE *f, const eval_metrics *m)
{
    fputs("latency,seconds\n", f);
    for (int k = 0; k < EVAL_LATENCY_COUNT; k++)
        for (size_t i = 0; i < m->n_samples[k]; i++) {
            char num[48], *p = num;
            rec_put_fixed(&p, num + sizeof num, m->samples[k][i], 3);
            *p = '\0';
            fprintf(f, "%s,%s\n", eval_latency_name((eval_latency_kind)k), num);
        }
    return ferror(f) ? -1 : 0;
}

/* A time, or nothing when it never happened. */
static void csv_time(FILE *f, pw_time_ms t, int last)
{
    if (t != INT64_MAX && t != INT64_MIN)
        fprintf(f, "%lld", (long long)t);
    fputc(last ? '\n' : ',', f);
}

int eval_write_incidents_csv(FILE *f, const eval_metrics *m)
{
    fputs("incident,case,reason,open_ms,queue_wait_ms,dispatched_ms,on_scene_ms,close_ms,patrol\n", f);
    for (size_t i = 0; i < m->n_incidents; i++) {
        const eval_incident *in = &m->incidents[i];
        if (in->reason == 0) /* an unrelated 112 call: no case */
            fprintf(f, "%lld,0,call,", (long long)in->id);
        else
            fprintf(f, "%lld,%zu,%s,", (long long)in->id, in->case_index + 1, pw_event_name((pw_event_type)in->reason));
        csv_time(f, in->open, 0);
        if (in->queue_wait >= 0)
            fprintf(f, "%lld", (long long)in->queue_wait);
        fputc(',', f);
        csv_time(f, in->dispatched, 0);
        csv_time(f, in->on_scene, 0);
        csv_time(f, in->close, 0);
        if (in->patrol)
            fprintf(f, "%lld", (long long)in->patrol);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}
