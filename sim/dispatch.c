/*
 * dispatch.c - the 112 desk and the patrols: calls queue for D dispatchers,
 * the nearest free patrol drives to the victim's pin, and an incident may
 * close once its patrol is on scene and no alarm of its case is open.
 * Unrelated 112 calls (scn_call) queue and take patrols the same way and
 * end when their patrol has been on scene for the call's time.  See sim.h
 * ("the 112 desk and the patrols").
 */
#include "sim.h"
#include "pw_grow.h"
#include "devices.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the desk ------------------------------------------------------------ */

int sim_desk_init(sim_desk *d, int servers)
{
    if (servers < 1 || servers > SIM_MAX_DISPATCHERS)
        return SIM_EINVAL;
    d->servers = servers;
    for (int k = 0; k < servers; k++)
        d->free_at[k] = INT64_MIN;
    return 0;
}

/* The call goes to the dispatcher free soonest (the lowest index among
 * equals, so runs repeat). */
pw_time_ms sim_desk_take(sim_desk *d, pw_time_ms arrival, pw_time_ms handling)
{
    int best = 0;
    for (int k = 1; k < d->servers; k++)
        if (d->free_at[k] < d->free_at[best])
            best = k;
    pw_time_ms start = d->free_at[best] > arrival ? d->free_at[best] : arrival;
    d->free_at[best] = start + handling;
    return start;
}

/*
 * With Poisson arrivals and exponential handling this is M/M/c, whose mean
 * wait is Erlang C's (tests/test_metrics.c checks it).
 */
int sim_queue_waits(const pw_time_ms *arrivals, const pw_time_ms *handling, size_t n, int servers,
                    pw_time_ms *waits)
{
    sim_desk *d = malloc(sizeof *d);
    if (!d)
        return SIM_ENOMEM;
    if (sim_desk_init(d, servers) != 0) {
        free(d);
        return SIM_EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        waits[i] = sim_desk_take(d, arrivals[i], handling[i]) - arrivals[i];
    free(d);
    return 0;
}

pw_time_ms sim_draw_handling(const scn_dispatch *d, dev_rng *rng)
{
    switch (d->handling) {
    case SCN_DIST_FIXED:
        return d->handling_mean_ms;
    case SCN_DIST_UNIFORM:
        return d->handling_min_ms +
               (pw_time_ms)(dev_rng_uniform(rng) * (double)(d->handling_max_ms - d->handling_min_ms));
    case SCN_DIST_EXPONENTIAL:
    default:
        return (pw_time_ms)llround(dev_rng_exponential(rng, (double)d->handling_mean_ms));
    }
}

/* ---- the model ----------------------------------------------------------- */

/* An incident as the dispatch model sees it. */
typedef struct incident_rt {
    pw_id id;
    size_t case_index;
    double tx, ty;             /* where the patrol goes (the victim's pin) */
    int patrol;                /* actor index, -1 none */
    int on_scene, closed;
    int is_call;               /* an unrelated 112 call: it ends on its own */
    int by_phone;              /* handled by phone: no patrol (drills) */
    pw_time_ms hold_ms;        /* a call: the patrol's time on scene */
    pw_time_ms release_at;     /* a call: when the patrol is free again */
} incident_rt;

struct sim_dispatch {
    const scn_scenario *s;
    const eng_frame *frame;
    eval_metrics *metrics;
    sim_dispatch_world w;
    sim_desk desk;
    dev_rng handling_rng;
    incident_rt *incidents;
    size_t n_incidents, cap_incidents;
    int *case_alarms;          /* alarms open per case */
    unsigned char *busy;       /* per actor: a patrol on an incident */
    size_t *waiting;           /* incidents waiting for a free patrol, FIFO */
    size_t n_waiting, cap_waiting;
};

int sim_dispatch_new(sim_dispatch **out, const scn_scenario *s, const eng_frame *frame, eval_metrics *metrics,
                     const sim_dispatch_world *w)
{
    *out = NULL;
    sim_dispatch *d = calloc(1, sizeof *d);
    if (!d)
        return SIM_ENOMEM;
    if (sim_desk_init(&d->desk, s->dispatch.dispatchers > 0 ? s->dispatch.dispatchers : 1) != 0) {
        free(d);
        return SIM_EINVAL;
    }
    d->s = s;
    d->frame = frame;
    d->metrics = metrics;
    d->w = *w;
    dev_rng_init(&d->handling_rng, s->seed, 0x3131320000000000ULL); /* "112" */
    d->case_alarms = calloc(s->n_cases ? s->n_cases : 1, sizeof *d->case_alarms);
    d->busy = calloc(s->n_actors ? s->n_actors : 1, sizeof *d->busy);
    if (!d->case_alarms || !d->busy) {
        sim_dispatch_free(d);
        return SIM_ENOMEM;
    }
    *out = d;
    return 0;
}

void sim_dispatch_free(sim_dispatch *d)
{
    if (!d)
        return;
    free(d->incidents);
    free(d->case_alarms);
    free(d->busy);
    free(d->waiting);
    free(d);
}

static void assign(sim_dispatch *d, size_t slot, int patrol, pw_time_ms now)
{
    incident_rt *in = &d->incidents[slot];
    const scn_actor *sa = &d->s->actors[patrol];
    size_t *hint;
    sim_track *track = d->w.track(d->w.ctx, (size_t)patrol, &hint);
    in->patrol = patrol;
    d->busy[patrol] = 1;
    pw_time_ms end = d->s->start + d->s->duration_ms;
    pw_time_ms arrival = sim_track_drive_to(track, now, in->tx, in->ty, sa->patrol_speed_mps, sa->patrol_detour, end);
    *hint = 0;
    eval_metrics_dispatch(d->metrics, in->id, -1, now, INT64_MAX);
    eval_metrics_patrol(d->metrics, in->id, sa->id);
    if (arrival >= 0 && arrival <= end)
        d->w.schedule(d->w.ctx, arrival, SIM_DISPATCH_ON_SCENE, slot);
}

static int nearest_free_patrol(sim_dispatch *d, double x, double y, pw_time_ms now)
{
    int best = -1;
    double best_d2 = INFINITY;
    for (size_t a = 0; a < d->s->n_actors; a++) {
        if (d->s->actors[a].role != SCN_PATROL || d->busy[a])
            continue;
        size_t *hint;
        sim_track *track = d->w.track(d->w.ctx, a, &hint);
        double px, py;
        sim_track_at(track, now, hint, &px, &py, NULL, NULL);
        double d2 = (px - x) * (px - x) + (py - y) * (py - y);
        if (d2 < best_d2) {
            best_d2 = d2;
            best = (int)a;
        }
    }
    return best;
}

int sim_dispatch_done(sim_dispatch *d, size_t slot, pw_time_ms now)
{
    incident_rt *in = &d->incidents[slot];
    if (in->closed)
        return 0;
    if (in->by_phone) { /* done at the desk: it may close once no alarm is open */
        in->on_scene = 1;
        d->w.schedule(d->w.ctx, now, SIM_DISPATCH_CLOSE_CHECK, slot);
        return 0;
    }
    int p = nearest_free_patrol(d, in->tx, in->ty, now);
    if (p >= 0) {
        assign(d, slot, p, now);
        return 0;
    }
    if (pw_grow((void **)&d->waiting, &d->cap_waiting, d->n_waiting + 1, sizeof *d->waiting) != 0)
        return SIM_ENOMEM;
    d->waiting[d->n_waiting++] = slot;
    return 0;
}

/* The incident is over: its patrol is free where it stands and takes the
 * oldest incident waiting. */
static void close_incident(sim_dispatch *d, incident_rt *in, pw_time_ms now)
{
    in->closed = 1;
    if (in->patrol < 0)
        return;
    int patrol = in->patrol;
    d->busy[patrol] = 0;
    if (d->n_waiting) {
        size_t next = d->waiting[0];
        memmove(d->waiting, d->waiting + 1, --d->n_waiting * sizeof *d->waiting);
        assign(d, next, patrol, now);
    }
}

/* A new slot for an incident; SIZE_MAX when out of memory. */
static size_t new_incident(sim_dispatch *d, const incident_rt *in, pw_time_ms now)
{
    if (pw_grow((void **)&d->incidents, &d->cap_incidents, d->n_incidents + 1, sizeof *d->incidents) != 0)
        return SIZE_MAX;
    size_t slot = d->n_incidents++;
    d->incidents[slot] = *in;
    pw_time_ms handling = sim_draw_handling(&d->s->dispatch, &d->handling_rng);
    pw_time_ms start = sim_desk_take(&d->desk, now, handling);
    eval_metrics_dispatch(d->metrics, in->id, start - now, INT64_MAX, INT64_MAX);
    d->w.schedule(d->w.ctx, start + handling, SIM_DISPATCH_DONE, slot);
    return slot;
}

int sim_dispatch_call(sim_dispatch *d, size_t call, pw_time_ms now)
{
    const scn_call *c = &d->s->calls[call];
    incident_rt in = {.id = SIM_CALL_INCIDENT_BASE + (pw_id)call + 1, .case_index = SIZE_MAX, .patrol = -1,
                      .is_call = 1, .hold_ms = c->on_scene_ms};
    eng_geo_to_local(d->frame, c->place.lat, c->place.lon, &in.tx, &in.ty);
    eval_metrics_call(d->metrics, in.id, now);
    return new_incident(d, &in, now) == SIZE_MAX ? SIM_ENOMEM : 0;
}

int sim_dispatch_release(sim_dispatch *d, size_t slot, pw_time_ms now)
{
    incident_rt *in = &d->incidents[slot];
    if (!in->is_call || in->closed || !in->on_scene || now < in->release_at)
        return 0;
    eval_metrics_call_close(d->metrics, in->id, now);
    close_incident(d, in, now);
    return 1;
}

/* A panic or an escalation while the case's incident is handled by phone:
 * it is no false alarm any more; the desk takes it again and sends a
 * patrol. */
static void needs_patrol(sim_dispatch *d, size_t ci, pw_time_ms now)
{
    for (size_t i = d->n_incidents; i-- > 0;) {
        incident_rt *in = &d->incidents[i];
        if (in->case_index != ci || in->closed || !in->by_phone)
            continue;
        in->by_phone = 0;
        in->on_scene = 0;
        pw_time_ms handling = sim_draw_handling(&d->s->dispatch, &d->handling_rng);
        pw_time_ms start = sim_desk_take(&d->desk, now, handling);
        d->w.schedule(d->w.ctx, start + handling, SIM_DISPATCH_DONE, i);
    }
}

int sim_dispatch_event(sim_dispatch *d, const pw_event *ev)
{
    size_t ci = ev->case_id >= 1 && ev->case_id <= d->s->n_cases ? (size_t)ev->case_id - 1 : SIZE_MAX;
    if (ev->type == PW_EV_PANIC && ci == SIZE_MAX) /* the engine's panic names her phone: her case */
        for (size_t c = 0; c < d->s->n_cases && ci == SIZE_MAX; c++)
            if (d->s->actors[d->s->cases[c].victim].id == ev->device)
                ci = c;
    if (ci == SIZE_MAX)
        return 0;
    switch (ev->type) {
    case PW_EV_PANIC:
    case PW_EV_ESCALATION:
        needs_patrol(d, ci, ev->time);
        break;
    case PW_EV_ALARM_OPEN:
        d->case_alarms[ci]++;
        break;
    case PW_EV_ALARM_CLOSE:
        if (d->case_alarms[ci] > 0 && --d->case_alarms[ci] == 0) {
            for (size_t i = d->n_incidents; i-- > 0;)
                if (d->incidents[i].case_index == ci && !d->incidents[i].closed && d->incidents[i].on_scene)
                    d->w.schedule(d->w.ctx, ev->time, SIM_DISPATCH_CLOSE_CHECK, i);
        }
        break;
    case PW_EV_INCIDENT_OPEN: {
        incident_rt in = {.id = ev->incident, .case_index = ci, .patrol = -1,
                          .by_phone = d->w.by_phone && d->w.by_phone(d->w.ctx, ev)};
        double lat = isfinite(ev->victim_lat) ? ev->victim_lat : ev->lat;
        double lon = isfinite(ev->victim_lat) ? ev->victim_lon : ev->lon;
        if (isfinite(lat) && isfinite(lon)) {
            eng_geo_to_local(d->frame, lat, lon, &in.tx, &in.ty);
        } else { /* no pin at all: the victim's true place */
            size_t *hint;
            sim_track *track = d->w.track(d->w.ctx, d->s->cases[ci].victim, &hint);
            sim_track_at(track, ev->time, hint, &in.tx, &in.ty, NULL, NULL);
        }
        if (new_incident(d, &in, ev->time) == SIZE_MAX)
            return SIM_ENOMEM;
        break;
    }
    case PW_EV_INCIDENT_CLOSE:
        for (size_t i = d->n_incidents; i-- > 0;) {
            incident_rt *in = &d->incidents[i];
            if (in->id != ev->incident || in->closed || in->is_call)
                continue;
            close_incident(d, in, ev->time);
            break;
        }
        break;
    default:
        break;
    }
    return 0;
}

void sim_dispatch_on_scene(sim_dispatch *d, size_t slot, pw_time_ms now)
{
    incident_rt *in = &d->incidents[slot];
    in->on_scene = 1;
    eval_metrics_dispatch(d->metrics, in->id, -1, INT64_MAX, now);
    if (in->is_call) {
        in->release_at = now + in->hold_ms;
        d->w.schedule(d->w.ctx, in->release_at, SIM_DISPATCH_CLOSE_CHECK, slot);
    }
}

int sim_dispatch_may_close(const sim_dispatch *d, size_t slot, pw_id *incident)
{
    const incident_rt *in = &d->incidents[slot];
    if (in->closed || in->is_call || !in->on_scene || d->case_alarms[in->case_index] > 0)
        return 0;
    *incident = in->id;
    return 1;
}
