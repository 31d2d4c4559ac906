/*
 * metrics.c - the pilot metrics of DESIGN.md ("Metrics"), computed from the
 * ground truth and the engine's event stream.
 *
 * The event stream is consumed as it is produced (eval_metrics_event), so a
 * national day need not be kept in memory: only episodes, windows and
 * incidents are.  eval_metrics_finish then samples the truth at 1 s for the
 * true breaches and matches them against the episodes.
 */
#include "eval.h"
#include "devices.h"
#include "pw_grow.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEVER INT64_MAX

/* ---- growable arrays (pw_grow.h) ---------------------------------------- */

#define PUSH(m, arr, n, cap, item)                                              \
    do {                                                                        \
        if (pw_grow((void **)&(arr), &(cap), (n) + 1, sizeof *(arr)) != 0)     \
            (m)->failed = 1;                                                    \
        else                                                                    \
            (arr)[(n)++] = (item);                                              \
    } while (0)

/* ---- the collector ---------------------------------------------------- */

int eval_metrics_init(eval_metrics *m, const scn_scenario *s, pw_time_ms tau_ms)
{
    memset(m, 0, sizeof *m);
    m->s = s;
    m->tau_ms = tau_ms;
    size_t nc = s->n_cases ? s->n_cases : 1;
    size_t na = s->n_actors ? s->n_actors : 1;
    m->case_state = calloc(nc, sizeof *m->case_state);
    m->recent_fixes = calloc(na, sizeof *m->recent_fixes);
    if (!m->case_state || !m->recent_fixes) {
        eval_metrics_close(m);
        return -1;
    }
    for (size_t i = 0; i < nc; i++) {
        m->case_state[i].reveal_since = NEVER;
        m->case_state[i].last_alarm_close = INT64_MIN;
        m->case_state[i].incident = 0;
        for (int r = 0; r < EVAL_MAX_RULES; r++)
            m->case_state[i].open_episode[r] = SIZE_MAX;
    }
    return 0;
}

void eval_metrics_close(eval_metrics *m)
{
    free(m->case_state);
    free(m->recent_fixes);
    free(m->episodes);
    free(m->reveals);
    free(m->incidents);
    for (int k = 0; k < EVAL_LATENCY_COUNT; k++)
        free(m->samples[k]);
    memset(m, 0, sizeof *m);
}

const char *eval_latency_name(eval_latency_kind k)
{
    static const char *const names[EVAL_LATENCY_COUNT] = {"breach_to_alert", "alert_to_victim",
                                                          "alert_to_dispatch", "dispatch_to_scene"};
    return (unsigned)k < EVAL_LATENCY_COUNT ? names[k] : "unknown";
}

/* Keep a latency's values (sorted by eval_latency_from) for latencies.csv;
 * takes ownership of values. */
static void keep_samples(eval_metrics *m, eval_latency_kind k, double *values, size_t n)
{
    free(m->samples[k]);
    m->samples[k] = values;
    m->n_samples[k] = n;
}

/* Case index from the engine's case id (the loader numbers cases 1..n). */
static size_t case_index(const eval_metrics *m, pw_id id)
{
    return id >= 1 && id <= m->s->n_cases ? (size_t)id - 1 : SIZE_MAX;
}

static size_t actor_index(const eval_metrics *m, pw_id device)
{
    return device >= 1 && device <= m->s->n_actors ? (size_t)device - 1 : SIZE_MAX;
}

/* Rule slot: 0 proximity, 1 + k for the case's k-th zone. */
static int rule_slot(const eval_metrics *m, size_t ci, const pw_event *ev)
{
    if (ev->rule == ENG_RULE_PROXIMITY)
        return 0;
    const eng_case_def *d = &m->s->cases[ci].def;
    for (size_t k = 0; k < d->n_zones && k + 1 < EVAL_MAX_RULES; k++)
        if (d->zones[k].id == ev->zone_id)
            return (int)k + 1;
    return -1;
}

/* Causes ranked by the position error they typically give (sim.h):
 * the higher, the likelier it drove the alarm. */
static int fix_rank(const eval_fix_note *f, eval_cause *cause)
{
    int rank = 0;
    eval_cause c = EVAL_CAUSE_OTHER;
    switch (f->cause) {
    case DEV_CAUSE_CELL_FALLBACK: rank = 5, c = EVAL_CAUSE_CELL_FALLBACK; break;
    case DEV_CAUSE_TUNNEL_EXIT: rank = 3, c = EVAL_CAUSE_TUNNEL_EXIT; break;
    case DEV_CAUSE_MULTIPATH: rank = 2, c = EVAL_CAUSE_NOISE_JUMP; break;
    case DEV_CAUSE_URBAN_CANYON: rank = 1, c = EVAL_CAUSE_URBAN_CANYON; break;
    default: break;
    }
    if (f->faulty && rank < 4)
        rank = 4, c = EVAL_CAUSE_DEVICE_FAULT;
    *cause = c;
    return rank;
}

/* The driving fixes of an alarm opened at t (sim.h): each device's newest,
 * and the others delivered during the open dwell. */
static eval_cause alarm_cause(const eval_metrics *m, size_t ci, pw_time_ms t)
{
    const scn_case *sc = &m->s->cases[ci];
    pw_time_ms since = t - sc->def.dwell_open_ms;
    int best = 0;
    eval_cause cause = EVAL_CAUSE_OTHER;
    for (int i = 0; i < 2; i++) {
        const eval_actor_fixes *af = &m->recent_fixes[i == 0 ? sc->offender : sc->victim];
        size_t kept = af->n < EVAL_RECENT_FIXES ? af->n : EVAL_RECENT_FIXES;
        for (size_t k = 0; k < kept; k++) {
            const eval_fix_note *f = &af->fix[(af->n - 1 - k) % EVAL_RECENT_FIXES];
            if (k > 0 && f->at < since)
                break;
            eval_cause c;
            int rank = fix_rank(f, &c);
            if (rank > best) {
                best = rank;
                cause = c;
            }
        }
    }
    return cause;
}

void eval_metrics_fix(eval_metrics *m, pw_id device, int cause, int faulty, pw_time_ms now)
{
    size_t a = actor_index(m, device);
    if (a == SIZE_MAX)
        return;
    eval_actor_fixes *af = &m->recent_fixes[a];
    af->fix[af->n % EVAL_RECENT_FIXES] = (eval_fix_note){.at = now, .cause = cause, .faulty = faulty != 0};
    af->n++;
}

void eval_metrics_victim_sees(eval_metrics *m, pw_id case_id, pw_time_ms sent_at, pw_time_ms seen_at)
{
    size_t ci = case_index(m, case_id);
    if (ci == SIZE_MAX)
        return;
    const eval_case_state *cs = &m->case_state[ci];
    size_t kept = cs->n_recent < EVAL_RECENT_EPISODES ? cs->n_recent : EVAL_RECENT_EPISODES;
    for (size_t k = 0; k < kept; k++) {
        eval_episode *e = &m->episodes[cs->recent[(cs->n_recent - 1 - k) % EVAL_RECENT_EPISODES]];
        if (e->start <= sent_at && (e->end == NEVER || sent_at <= e->end) && e->first_reveal == NEVER)
            e->first_reveal = seen_at;
    }
}

static int alarm_open(const eval_case_state *cs)
{
    for (int r = 0; r < EVAL_MAX_RULES; r++)
        if (cs->open_episode[r] != SIZE_MAX)
            return 1;
    return 0;
}

void eval_metrics_event(eval_metrics *m, const pw_event *ev)
{
    size_t ci = case_index(m, ev->case_id);
    eval_case_state *cs = ci != SIZE_MAX ? &m->case_state[ci] : NULL;
    switch (ev->type) {
    case PW_EV_ALARM_OPEN: {
        int slot = cs ? rule_slot(m, ci, ev) : -1;
        if (slot < 0)
            break;
        eval_episode e = {.case_index = ci, .rule = slot, .start = ev->time, .end = NEVER,
                         .cause = alarm_cause(m, ci, ev->time), .first_reveal = NEVER,
                         .lat = ev->lat, .lon = ev->lon};
        cs->open_episode[slot] = m->n_episodes;
        cs->recent[cs->n_recent++ % EVAL_RECENT_EPISODES] = m->n_episodes;
        PUSH(m, m->episodes, m->n_episodes, m->cap_episodes, e);
        break;
    }
    case PW_EV_ALARM_CLOSE: {
        int slot = cs ? rule_slot(m, ci, ev) : -1;
        if (slot < 0 || cs->open_episode[slot] == SIZE_MAX)
            break;
        m->episodes[cs->open_episode[slot]].end = ev->time;
        cs->open_episode[slot] = SIZE_MAX;
        cs->last_alarm_close = ev->time;
        break;
    }
    case PW_EV_REVEAL_OPEN:
        if (cs)
            cs->reveal_since = ev->time;
        break;
    /* PW_EV_REVEAL_UPDATE: what the victim sees is what reaches her phone;
     * the runner delivers it and says so (eval_metrics_victim_sees). */
    case PW_EV_REVEAL_CLOSE:
        if (cs && cs->reveal_since != NEVER) {
            eval_span w = {cs->reveal_since, ev->time, ci};
            PUSH(m, m->reveals, m->n_reveals, m->cap_reveals, w);
            cs->reveal_since = NEVER;
        }
        break;
    case PW_EV_INCIDENT_OPEN:
        if (cs) {
            cs->incident = ev->incident;
            cs->incident_index = m->n_incidents;
            eval_incident in = {.id = ev->incident, .case_index = ci, .reason = ev->reason, .open = ev->time,
                               .close = NEVER, .queue_wait = -1, .dispatched = NEVER, .on_scene = NEVER};
            PUSH(m, m->incidents, m->n_incidents, m->cap_incidents, in);
        }
        break;
    case PW_EV_INCIDENT_CLOSE:
        if (cs && cs->incident == ev->incident) {
            m->incidents[cs->incident_index].close = ev->time;
            cs->incident = 0;
        }
        break;
    case PW_EV_DISCLOSURE: {
        /* Independent of the engine's own rule: recount who may see what
         * from the windows and incidents the stream itself opened. */
        m->disclosures++;
        int ok = 0;
        if (cs) {
            pw_id off = m->s->actors[m->s->cases[ci].offender].id;
            pw_id vic = m->s->actors[m->s->cases[ci].victim].id;
            switch (ev->recipient) {
            case ENG_PARTY_VICTIM:
                /* Her window as the stream says, and also as the case's
                 * rules say: an alarm open, or its grace still running,
                 * and the reveal cap not reached.  (The stream alone
                 * cannot show a window the engine closed too late.) */
                ok = cs->reveal_since != NEVER && ev->recipient_id == vic && ev->subject == off &&
                     (alarm_open(cs) || ev->time - cs->last_alarm_close < m->s->cases[ci].def.grace_ms) &&
                     ev->time - cs->reveal_since < m->s->cases[ci].def.reveal_max_ms;
                break;
            case ENG_PARTY_DISPATCHER:
            case ENG_PARTY_CASE_OFFICER:
                ok = cs->incident != 0 && (ev->subject == off || ev->subject == vic);
                break;
            case ENG_PARTY_MONITORING_CENTRE:
                ok = ev->subject == off || (cs->incident != 0 && ev->subject == vic);
                break;
            default:
                break;
            }
        }
        m->unauthorized += !ok;
        break;
    }
    case PW_EV_SIGNAL_LOST:
    case PW_EV_COMM_LOST:
    case PW_EV_TAMPER:
    case PW_EV_BATTERY_LOW:
    case PW_EV_DEVICE_OFF: {
        if (ev->type == PW_EV_SIGNAL_LOST)
            m->health.signal_loss++;
        else if (ev->type == PW_EV_COMM_LOST)
            m->health.no_comm++;
        else if (ev->type == PW_EV_TAMPER)
            m->health.tamper++;
        else if (ev->type == PW_EV_BATTERY_LOW)
            m->health.battery_low++;
        else
            m->health.device_off++;
        break;
    }
    default:
        break;
    }
}

/* ---- statistics -------------------------------------------------------- */

static int cmp_time(const void *a, const void *b)
{
    pw_time_ms x = *(const pw_time_ms *)a, y = *(const pw_time_ms *)b;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentiles (the value below which p of the samples lie),
 * in seconds; NAN when there are none. */
void eval_latency_from(eval_latency *l, double *values, size_t n)
{
    l->n = n;
    l->p50 = l->p95 = l->max = NAN;
    if (n == 0)
        return;
    qsort(values, n, sizeof *values, cmp_double);
    size_t i50 = (size_t)ceil(0.50 * (double)n) - 1, i95 = (size_t)ceil(0.95 * (double)n) - 1;
    l->p50 = values[i50];
    l->p95 = values[i95];
    l->max = values[n - 1];
}

/* ---- truth ------------------------------------------------------------- */


/*
 * Is the case's rule broken at t by the true positions?  When it is,
 * *depth is how far inside the alarm radius the two are (0 or less: the
 * breach is a zone's); when it is not, *gap is how far (m) they are from
 * breaking any rule: the distance beyond the alarm radius, or to the
 * nearest zone (its bounding box for polygons), a lower bound, 0 or less
 * meaning "maybe now".
 */
static int judge_truth(const eval_metrics *m, size_t ci, const eval_prepared_case *pc, double ox, double oy,
                       double vx, double vy, pw_time_ms t, double *gap, double *depth)
{
    const eng_case_def *d = &m->s->cases[ci].def;
    double dx = ox - vx, dy = oy - vy, d2 = dx * dx + dy * dy;
    int broken = d2 <= d->alarm_radius_m * d->alarm_radius_m;
    for (size_t k = 0; k < d->n_zones && !broken; k++) {
        const eng_zone_def *z = &d->zones[k];
        if (!eng_schedule_active(&z->schedule, t))
            continue;
        const eng_zone_geom *pz = &pc->zones[k];
        if (z->kind == ENG_ZONE_CIRCLE) {
            double zx = ox - pz->cx, zy = oy - pz->cy;
            broken = zx * zx + zy * zy <= z->radius_m * z->radius_m;
        } else {
            broken = eng_poly_contains(pz->v, z->n_vertices, ox, oy);
        }
    }
    if (broken) {
        *depth = d->alarm_radius_m - sqrt(d2);
        return 1;
    }
    double g = sqrt(d2) - d->alarm_radius_m;
    for (size_t k = 0; k < d->n_zones; k++) {
        const eng_zone_geom *pz = &pc->zones[k];
        double zg;
        if (d->zones[k].kind == ENG_ZONE_CIRCLE) {
            zg = sqrt((ox - pz->cx) * (ox - pz->cx) + (oy - pz->cy) * (oy - pz->cy)) - d->zones[k].radius_m;
        } else {
            double bx = fmax(0.0, fmax(pz->minx - ox, ox - pz->maxx));
            double by = fmax(0.0, fmax(pz->miny - oy, oy - pz->maxy));
            zg = sqrt(bx * bx + by * by);
        }
        if (zg < g)
            g = zg;
    }
    *gap = g;
    return 0;
}

/* The case's zones in local metres, as the engine has them (the loader
 * and the engine checked them: a zone that fails here was refused). */
static void prepare_case(const eval_metrics *m, const eng_frame *fr, size_t ci, eval_prepared_case *pc)
{
    const eng_case_def *d = &m->s->cases[ci].def;
    for (size_t k = 0; k < d->n_zones; k++)
        (void)eng_zone_geom_init(fr, &d->zones[k], &pc->zones[k]);
}


/* Overlap of [a0, a1) and [b0 - tau, b1 + tau). */
static int overlaps(pw_time_ms a0, pw_time_ms a1, pw_time_ms b0, pw_time_ms b1, pw_time_ms tau)
{
    return a0 < b1 + tau && b0 - tau < a1;
}

int eval_metrics_finish(eval_metrics *m, const eval_truth *truth, const eng_frame *fr, eval_report *r)
{
    const scn_scenario *s = m->s;
    memset(r, 0, sizeof *r);
    snprintf(r->truth, sizeof r->truth, "simulation");
    if (m->failed)
        return -1;
    pw_time_ms start = s->start, end = s->start + s->duration_ms;
    r->sim_seconds = (double)s->duration_ms / 1000.0;
    r->tau_s = (double)m->tau_ms / 1000.0;
    for (size_t i = 0; i < m->n_episodes; i++)
        if (m->episodes[i].end == NEVER)
            m->episodes[i].end = end;
    for (size_t i = 0; i < m->n_incidents; i++)
        if (m->incidents[i].close == NEVER)
            m->incidents[i].close = end;
    /* Reveal windows still open at the end. */
    for (size_t ci = 0; ci < s->n_cases; ci++) {
        if (m->case_state[ci].reveal_since != NEVER) {
            eval_span w = {m->case_state[ci].reveal_since, end, ci};
            PUSH(m, m->reveals, m->n_reveals, m->cap_reveals, w);
            m->case_state[ci].reveal_since = NEVER;
        }
    }
    if (m->failed)
        return -1;

    double *lat_alert = NULL, *lat_victim = NULL;
    size_t n_alert = 0, n_victim = 0, cap_alert = 0;
    eval_span *breaches = NULL;
    size_t n_br = 0, cap_br = 0;
    double exposure = 0.0;
    for (size_t ci = 0; ci < s->n_cases; ci++) {
        const scn_case *sc = &s->cases[ci];
        eval_prepared_case pc;
        prepare_case(m, fr, ci, &pc);
        /* True breaches of this case on the 1 s grid.  Far from any
         * breach the grid is walked in strides the two can not close
         * faster than (their top speeds), which visits the same first
         * breached second as a plain 1 s walk, at a fraction of the cost. */
        n_br = 0;
        size_t ho = 0, hv = 0;
        pw_time_ms open_at = NEVER;
        double closing = truth->vmax(truth->ctx, sc->offender) + truth->vmax(truth->ctx, sc->victim);
        pw_time_ms last = start + (end - start) / 1000 * 1000; /* the grid's last second */
        for (pw_time_ms t = start; t <= end;) {
            double ox, oy, vx, vy;
            truth->at(truth->ctx, sc->offender, t, &ho, &ox, &oy);
            truth->at(truth->ctx, sc->victim, t, &hv, &vx, &vy);
            double gap = 0.0, depth = 0.0;
            int b = judge_truth(m, ci, &pc, ox, oy, vx, vy, t, &gap, &depth);
            if (b && open_at == NEVER)
                open_at = t;
            if ((!b || t + 1000 > end) && open_at != NEVER) {
                eval_span sp = {open_at, b ? t + 1000 : t, ci};
                PUSH(m, breaches, n_br, cap_br, sp);
                open_at = NEVER;
            }
            pw_time_ms step = 1000;
            if (!b) {
                if (gap > 0.0 && closing <= 0.0)
                    step = end - t + 1000; /* neither moves: never */
                else if (gap > 0.0 && gap / closing >= 2.0)
                    step = (pw_time_ms)floor(gap / closing) * 1000;
            } else if (t < last) {
                /* Inside the alarm radius by `depth`, the two stay inside
                 * for depth / closing seconds whatever they do (and with it
                 * the breach, whatever the zones do); the last second is
                 * always looked at, to close the span. */
                if (depth > 0.0 && (closing <= 0.0 || depth / closing >= 2.0)) {
                    double secs = closing <= 0.0 ? (double)(last - t) / 1000.0 : floor(depth / closing);
                    step = secs * 1000.0 >= (double)(last - t) ? last - t : (pw_time_ms)secs * 1000;
                }
            }
            t += step;
        }
        if (m->failed)
            break;
        pw_time_ms tag_interval = s->actors[sc->offender].device.interval_moving_ms;
        r->breaches.truth += n_br;
        for (size_t b = 0; b < n_br; b++) {
            pw_time_ms first_alert = NEVER;
            for (size_t e = 0; e < m->n_episodes; e++) {
                const eval_episode *ep = &m->episodes[e];
                if (ep->case_index == ci && overlaps(ep->start, ep->end, breaches[b].a, breaches[b].b, m->tau_ms) &&
                    ep->start < first_alert)
                    first_alert = ep->start;
            }
            if (first_alert == NEVER) {
                r->breaches.missed++;
                if (breaches[b].b - breaches[b].a < tag_interval)
                    r->breaches.missed_short++;
                continue;
            }
            r->breaches.detected++;
            if (pw_grow((void **)&lat_alert, &cap_alert, n_alert + 1, sizeof *lat_alert) != 0) {
                m->failed = 1;
                break;
            }
            /* An alert inside tau before the breach counts as on time (0 s). */
            double lat = (double)(first_alert - breaches[b].a) / 1000.0;
            lat_alert[n_alert++] = lat > 0 ? lat : 0.0;
        }
        for (size_t e = 0; e < m->n_episodes; e++) {
            eval_episode *ep = &m->episodes[e];
            if (ep->case_index != ci)
                continue;
            ep->is_true = 0;
            for (size_t b = 0; b < n_br && !ep->is_true; b++)
                ep->is_true = overlaps(ep->start, ep->end, breaches[b].a, breaches[b].b, m->tau_ms);
        }
        /* Exposure: reveal time of this case outside every true breach. */
        for (size_t w = 0; w < m->n_reveals; w++) {
            const eval_span *rv = &m->reveals[w];
            if (rv->index != ci)
                continue;
            pw_time_ms inside = 0;
            for (size_t b = 0; b < n_br; b++) {
                pw_time_ms a0 = rv->a > breaches[b].a ? rv->a : breaches[b].a;
                pw_time_ms a1 = rv->b < breaches[b].b ? rv->b : breaches[b].b;
                if (a1 > a0)
                    inside += a1 - a0;
            }
            exposure += (double)(rv->b - rv->a - inside) / 1000.0;
        }
    }
    free(breaches);
    if (m->failed) {
        free(lat_alert);
        return -1;
    }

    /* Episodes: true or false, false ones by cause; alarm -> victim. */
    lat_victim = malloc((m->n_episodes ? m->n_episodes : 1) * sizeof *lat_victim);
    if (!lat_victim) {
        free(lat_alert);
        return -1;
    }
    r->alerts.episodes = m->n_episodes;
    for (size_t e = 0; e < m->n_episodes; e++) {
        const eval_episode *ep = &m->episodes[e];
        if (ep->is_true)
            r->alerts.true_alerts++;
        else {
            r->alerts.false_alerts++;
            r->alerts.false_by_cause[ep->cause]++;
        }
        if (ep->first_reveal != NEVER)
            lat_victim[n_victim++] = (double)(ep->first_reveal - ep->start) / 1000.0;
    }
    size_t offenders = 0;
    for (size_t a = 0; a < s->n_actors; a++)
        offenders += s->actors[a].role == SCN_OFFENDER;
    double offender_days = (double)offenders * r->sim_seconds / 86400.0;
    r->alerts.false_per_offender_day = offender_days > 0 ? (double)r->alerts.false_alerts / offender_days : NAN;
    eval_latency_from(&r->latency.breach_to_alert, lat_alert, n_alert);
    eval_latency_from(&r->latency.alert_to_victim, lat_victim, n_victim);
    keep_samples(m, EVAL_BREACH_TO_ALERT, lat_alert, n_alert);
    keep_samples(m, EVAL_ALERT_TO_VICTIM, lat_victim, n_victim);
    r->exposure_outside_breach_s = exposure;
    r->unauthorized_disclosures = m->unauthorized;
    r->disclosures = m->disclosures;
    r->health = m->health;

    /* Workload: incidents, the 112 desk and the patrols. */
    size_t n = m->n_incidents;
    r->workload.incidents = n;
    int dispatchers = s->dispatch.dispatchers > 0 ? s->dispatch.dispatchers : 1;
    r->workload.per_dispatcher_hour = (double)n / ((double)dispatchers * r->sim_seconds / 3600.0);
    size_t nn = n ? n : 1;
    double *wait_s = calloc(nn, sizeof *wait_s), *dispatch_s = calloc(nn, sizeof *dispatch_s);
    double *scene_s = calloc(nn, sizeof *scene_s);
    if (!wait_s || !dispatch_s || !scene_s) {
        free(wait_s), free(dispatch_s), free(scene_s);
        return -1;
    }
    size_t n_wait = 0, n_disp = 0, n_scene = 0;
    double patrol_min_false = 0.0;
    for (size_t i = 0; i < n; i++) {
        const eval_incident *in = &m->incidents[i];
        if (in->queue_wait >= 0)
            wait_s[n_wait++] = (double)in->queue_wait / 1000.0;
        if (in->dispatched == NEVER || in->reason == 0)
            continue; /* an unrelated call is no alert: no alert latency */
        dispatch_s[n_disp++] = (double)(in->dispatched - in->open) / 1000.0;
        if (in->on_scene != NEVER)
            scene_s[n_scene++] = (double)(in->on_scene - in->dispatched) / 1000.0;
        /* A patrol sent for an alarm that no true breach backs: its time
         * from dispatch until the incident closed is spent on a false alert. */
        if (in->reason != PW_EV_ALARM_OPEN)
            continue;
        int any_true = 0;
        for (size_t e = 0; e < m->n_episodes && !any_true; e++) {
            const eval_episode *ep = &m->episodes[e];
            any_true = ep->case_index == in->case_index && ep->is_true &&
                       overlaps(ep->start, ep->end, in->open, in->close, 0);
        }
        if (!any_true)
            patrol_min_false += (double)(in->close - in->dispatched) / 60000.0;
    }
    eval_latency qw;
    eval_latency_from(&qw, wait_s, n_wait);
    r->workload.queue_wait_p50_s = qw.p50;
    r->workload.queue_wait_p95_s = qw.p95;
    eval_latency_from(&r->latency.alert_to_dispatch, dispatch_s, n_disp);
    eval_latency_from(&r->latency.dispatch_to_scene, scene_s, n_scene);
    r->workload.patrol_minutes_on_false = patrol_min_false;
    keep_samples(m, EVAL_ALERT_TO_DISPATCH, dispatch_s, n_disp);
    keep_samples(m, EVAL_DISPATCH_TO_SCENE, scene_s, n_scene);
    free(wait_s);
    /* Peak concurrent incidents: the most open at any opening time t,
     * #{open <= t} - #{close <= t}, by a sweep over both sorted lists. */
    pw_time_ms *opens = malloc(nn * sizeof *opens), *closes = malloc(nn * sizeof *closes);
    if (!opens || !closes) {
        free(opens), free(closes);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        opens[i] = m->incidents[i].open;
        closes[i] = m->incidents[i].close;
    }
    qsort(opens, n, sizeof *opens, cmp_time);
    qsort(closes, n, sizeof *closes, cmp_time);
    size_t peak = 0;
    for (size_t i = 0, c = 0; i < n; i++) {
        while (i + 1 < n && opens[i + 1] == opens[i])
            i++;
        while (c < n && closes[c] <= opens[i])
            c++;
        if (i + 1 - c > peak)
            peak = i + 1 - c;
    }
    free(opens);
    free(closes);
    r->workload.peak_concurrent = peak;
    return 0;
}

void eval_metrics_dispatch(eval_metrics *m, pw_id incident, pw_time_ms queue_wait_ms, pw_time_ms dispatched,
                          pw_time_ms on_scene)
{
    for (size_t i = m->n_incidents; i-- > 0;) {
        eval_incident *in = &m->incidents[i];
        if (in->id != incident)
            continue;
        if (queue_wait_ms >= 0)
            in->queue_wait = queue_wait_ms;
        if (dispatched != NEVER)
            in->dispatched = dispatched;
        if (on_scene != NEVER)
            in->on_scene = on_scene;
        return;
    }
}

void eval_metrics_call(eval_metrics *m, pw_id id, pw_time_ms open)
{
    eval_incident in = {.id = id, .case_index = SIZE_MAX, .reason = 0, .open = open, .close = NEVER,
                        .queue_wait = -1, .dispatched = NEVER, .on_scene = NEVER};
    PUSH(m, m->incidents, m->n_incidents, m->cap_incidents, in);
}

void eval_metrics_call_close(eval_metrics *m, pw_id id, pw_time_ms close)
{
    for (size_t i = m->n_incidents; i-- > 0;)
        if (m->incidents[i].id == id) {
            m->incidents[i].close = close;
            return;
        }
}

void eval_metrics_patrol(eval_metrics *m, pw_id incident, pw_id patrol)
{
    for (size_t i = m->n_incidents; i-- > 0;)
        if (m->incidents[i].id == incident) {
            m->incidents[i].patrol = patrol;
            return;
        }
}

const char *eval_cause_name(eval_cause c)
{
    static const char *const names[EVAL_CAUSE_COUNT] = {"noise_jump", "urban_canyon", "tunnel_exit",
                                                      "cell_fallback", "device_fault", "other"};
    return c < EVAL_CAUSE_COUNT ? names[c] : "other";
}
