/*
 * run.c - the scenario runner: a discrete-event loop that moves the actors
 * along their truth timelines, lets their emulated devices report through
 * the network, feeds the real engine at delivery time, and records
 * everything (events.jsonl, fixes.csv, truth.csv).
 *
 * Determinism: one random stream per actor (its device id) for motion and
 * two per device inside devices/ (what it sends, what it is sent), the
 * event queue breaks ties by insertion order, and every file is written
 * with fixed formats.  The wall clock is read only to pace the progress
 * line, which goes to stderr.
 *
 * The 112 desk and the patrols are a module of their own (dispatch.c,
 * declared in sim.h): the run gives them its clock through a schedule
 * callback and its actors' tracks through another.  The other parts
 * (devices, deliveries, positions to victims, the writers) act on the one
 * private session struct from the one event queue.
 */
#include "sim.h"
#include "pw_grow.h"
#include "devices.h"
#include "traces.h"
#include "record.h"
#include "gpkg.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum ev_kind {
    EV_DUE = 1,      /* index: actor; its device wants to act */
    EV_DELIVER,      /* index: message slot; reaches the centre */
    EV_TICK,         /* the engine's timers */
    EV_SCN,          /* index: scenario event starts */
    EV_SCN_END,      /* index: scenario outage ends */
    EV_TIMER,        /* index: script callback */
    EV_PANIC,        /* index: actor; the panic report arrives */
    EV_DISPATCH,     /* index: incident slot; a dispatcher finished the call */
    EV_ON_SCENE,     /* index: incident slot; its patrol arrives */
    EV_CLOSE_CHECK,  /* index: incident slot; may it close now? */
    EV_MOTION,       /* index: actor; the wearer starts or stops moving */
    EV_PIN           /* index: pin slot; a position reaches a victim's phone */
};

/* A position on its way to a victim's phone. */
typedef struct pin_rt {
    pw_id case_id;
    pw_time_ms sent;           /* when the engine sent it */
    size_t actor;              /* the victim */
} pin_rt;

typedef struct actor_rt {
    sim_track track;
    size_t hint;
    dev_unit *unit;            /* NULL for patrols */
    int net_down;              /* outages in force */
    size_t motion_next;        /* truth segment after the next motion change queued */
    int motion_to;             /* what that change is: 1 starts, 0 stops */
} actor_rt;

typedef struct sim_session {
    scn_scenario *s;
    const sim_run_options *opt;
    eng_frame frame;
    eng_engine eng;
    int eng_ready;
    sim_envmap env;
    int env_ready;
    dev_env_params envp[DEV_ENV_COUNT];
    sim_heap heap;
    actor_rt *actors;
    dev_rng *motion_rng;
    dev_message *msgs;          /* in flight */
    uint32_t *free_slots;
    size_t n_msgs, cap_msgs, n_free, cap_free;
    int centre_down;
    uint32_t *held;             /* deliveries waiting for the centre */
    size_t n_held, cap_held;
    pin_rt *pins;               /* positions on their way to victims */
    uint32_t *free_pins;
    size_t n_pins, cap_pins, n_free_pins, cap_free_pins;
    FILE *f_events, *f_fixes, *f_truth, *f_geo;
    int geo_features;           /* written so far (for the commas) */
    rec_gpkg *gpkg;             /* run.gpkg, when asked for */
    int gpkg_open;              /* its .part exists */
    double *xy;                 /* a geometry's lon,lat pairs */
    size_t cap_xy;
    eval_metrics metrics;
    int metrics_ready;
    sim_dispatch *dispatch;     /* the 112 desk and the patrols */
    char dir[512];
    char line[2048];
    sim_summary *sum;
    int failed;
    char *err;
    size_t errlen;
    double wall_start, wall_last_progress;
    int progress_shown;
    /* live mode: one actor's fixes come from a real receiver */
    size_t live_actor;          /* SIZE_MAX: none */
    pw_fix *live_fixes;
    size_t n_live, cap_live;
} run;

static void fail(run *r, const char *fmt, const char *a, const char *b);

/* A run.gpkg write that failed fails the run, with SQLite's reason. */
static void gpkg_check(run *r, int rc)
{
    if (rc != 0)
        fail(r, "%s%s", rec_gpkg_error(r->gpkg), NULL);
}

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void fail(run *r, const char *fmt, const char *a, const char *b)
{
    if (!r->failed && r->err && r->errlen)
        snprintf(r->err, r->errlen, fmt, a ? a : "", b ? b : "");
    r->failed = 1;
}

static void push(run *r, pw_time_ms t, uint32_t kind, uint32_t index)
{
    if (sim_heap_push(&r->heap, t, kind, index) != 0)
        fail(r, "out of memory in the event queue%s%s", NULL, NULL);
}

static double uniform_cb(void *ctx)
{
    return dev_rng_uniform(ctx);
}

/* ---- message slots --------------------------------------------------- */

static uint32_t msg_slot(run *r)
{
    if (r->n_free)
        return r->free_slots[--r->n_free];
    /* A new slot, and room for it in the free list (which must be able to
     * hold every slot): each array keeps its own capacity, so a failure
     * of either leaves both consistent. */
    if (pw_grow((void **)&r->msgs, &r->cap_msgs, r->n_msgs + 1, sizeof *r->msgs) != 0 ||
        pw_grow((void **)&r->free_slots, &r->cap_free, r->n_msgs + 1, sizeof *r->free_slots) != 0) {
        fail(r, "out of memory for messages in flight%s%s", NULL, NULL);
        return UINT32_MAX;
    }
    return (uint32_t)r->n_msgs++;
}

static void send_messages(run *r, const dev_message *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t slot = msg_slot(r);
        if (slot == UINT32_MAX)
            return;
        r->msgs[slot] = m[i];
        push(r, m[i].deliver_at, EV_DELIVER, slot);
        if (m[i].is_fix)
            r->sum->fixes_sent++;
    }
}

/* ---- the 112 desk and the patrols (sim/dispatch.c) -------------------- */

static void dispatch_schedule(void *ctx, pw_time_ms t, int what, size_t slot)
{
    push(ctx, t, what == SIM_DISPATCH_DONE ? EV_DISPATCH : what == SIM_DISPATCH_ON_SCENE ? EV_ON_SCENE : EV_CLOSE_CHECK,
         (uint32_t)slot);
}

static sim_track *dispatch_track(void *ctx, size_t actor, size_t **hint)
{
    run *r = ctx;
    *hint = &r->actors[actor].hint;
    return &r->actors[actor].track;
}

static void dispatch_check(run *r, int rc)
{
    if (rc != 0)
        fail(r, "out of memory in the dispatch model%s%s", NULL, NULL);
}

static void close_if_done(run *r, size_t slot, pw_time_ms now)
{
    pw_id id;
    if (sim_dispatch_may_close(r->dispatch, slot, &id))
        eng_incident_close(&r->eng, id, 0, now);
}

/* ---- positions shown to victims --------------------------------------- */

/*
 * What a victim sees is what reaches her phone: a position the engine sends
 * her travels over the phone's own network (its delay and loss; nothing
 * while it is off, dead or out of network), and the metrics learn when it
 * arrived.  A live victim's phone is real and unmodelled: it counts as
 * seen when sent.
 */
static void pin_send(run *r, const pw_event *ev)
{
    size_t a = ev->recipient_id >= 1 && ev->recipient_id <= r->s->n_actors ? (size_t)ev->recipient_id - 1 : SIZE_MAX;
    if (a == SIZE_MAX || !r->metrics_ready)
        return;
    r->sum->pins_sent++;
    dev_unit *u = r->actors[a].unit;
    if (!u) {
        r->sum->pins_seen++;
        eval_metrics_victim_sees(&r->metrics, ev->case_id, ev->time, ev->time);
        return;
    }
    pw_time_ms at;
    if (!dev_unit_downlink(u, ev->time, &at))
        return;
    uint32_t slot;
    if (r->n_free_pins) {
        slot = r->free_pins[--r->n_free_pins];
    } else {
        /* As for message slots: each array its own capacity. */
        if (pw_grow((void **)&r->pins, &r->cap_pins, r->n_pins + 1, sizeof *r->pins) != 0 ||
            pw_grow((void **)&r->free_pins, &r->cap_free_pins, r->n_pins + 1, sizeof *r->free_pins) != 0) {
            fail(r, "out of memory for positions in flight%s%s", NULL, NULL);
            return;
        }
        slot = (uint32_t)r->n_pins++;
    }
    r->pins[slot] = (pin_rt){.case_id = ev->case_id, .sent = ev->time, .actor = a};
    push(r, at, EV_PIN, slot);
}

static void pin_arrives(run *r, uint32_t slot, pw_time_ms now)
{
    const pin_rt *p = &r->pins[slot];
    /* The phone may have died or lost its network on the way. */
    if (dev_unit_reachable(r->actors[p->actor].unit, now)) {
        r->sum->pins_seen++;
        eval_metrics_victim_sees(&r->metrics, p->case_id, p->sent, now);
    }
    r->free_pins[r->n_free_pins++] = slot;
}

/* ---- the engine's sink ---------------------------------------------- */

static void sink(void *ctx, const pw_event *ev)
{
    run *r = ctx;
    if (r->f_events) {
        size_t n = sim_event_json(ev, r->line, sizeof r->line);
        if (fwrite(r->line, 1, n, r->f_events) != n)
            fail(r, "%s: cannot write events.jsonl: %s", r->dir, strerror(errno));
    }
    if (r->gpkg)
        gpkg_check(r, rec_gpkg_event(r->gpkg, ev->time, pw_event_name(ev->type), ev->case_id, ev->device,
                                     ev->incident, ev->lon, ev->lat, ev->acc_m, ev->probability,
                                     ev->distance_m));
    r->sum->events++;
    r->sum->by_type[ev->type]++;
    if (r->metrics_ready)
        eval_metrics_event(&r->metrics, ev);
    if (r->dispatch)
        dispatch_check(r, sim_dispatch_event(r->dispatch, ev));
    if (r->opt->on_event)
        r->opt->on_event(r->opt->on_event_ctx, ev);
    if (ev->type == PW_EV_REVEAL_UPDATE && ev->recipient == ENG_PARTY_VICTIM)
        pin_send(r, ev);
    if (ev->type == PW_EV_PURSUIT_ON || ev->type == PW_EV_PURSUIT_OFF) {
        size_t a = (size_t)ev->device - 1;
        if (a < r->s->n_actors && r->actors[a].unit) {
            dev_unit_set_pursuit(r->actors[a].unit, ev->type == PW_EV_PURSUIT_ON, ev->time);
            pw_time_ms due = dev_unit_next_due(r->actors[a].unit);
            if (due != INT64_MAX)
                push(r, due < ev->time ? ev->time : due, EV_DUE, (uint32_t)a);
        }
    }
}

/* ---- actors and devices --------------------------------------------- */

/* The device settings a scenario left unset (0 or NAN) from the one table
 * of defaults in devices/; done once at the start, so that the run, the
 * metrics and the report read the same values. */
static void resolve_device(scn_device *d, dev_kind kind)
{
    dev_unit_config c;
    dev_unit_config_default(&c, kind);
    if (d->interval_rest_ms == 0) d->interval_rest_ms = c.interval_rest_ms;
    if (d->interval_moving_ms == 0) d->interval_moving_ms = c.interval_moving_ms;
    if (d->interval_pursuit_ms == 0) d->interval_pursuit_ms = c.interval_pursuit_ms;
    if (d->heartbeat_ms == 0) d->heartbeat_ms = c.heartbeat_ms;
    if (d->signal_timeout_ms == 0) d->signal_timeout_ms = c.signal_timeout_ms;
    if (isnan(d->battery_start_pct)) d->battery_start_pct = c.battery_start_pct;
    if (isnan(d->drain_pct_per_hour)) d->drain_pct_per_hour = c.drain_pct_per_hour;
    if (isnan(d->drain_pct_per_fix)) d->drain_pct_per_fix = c.drain_pct_per_fix;
    if (isnan(d->net_delay_mean_ms)) d->net_delay_mean_ms = c.net_delay_mean_ms;
    if (isnan(d->net_loss)) d->net_loss = c.net_loss;
    if (isnan(d->accuracy_scale)) d->accuracy_scale = c.accuracy_scale;
}

void sim_resolve_devices(scn_scenario *s)
{
    for (size_t a = 0; a < s->n_actors; a++)
        if (s->actors[a].role != SCN_PATROL)
            resolve_device(&s->actors[a].device, s->actors[a].role == SCN_OFFENDER ? DEV_TAG : DEV_PHONE);
}

void sim_device_timeouts(const scn_device *d, eng_device_timeouts *out)
{
    pw_time_ms slowest = d->interval_rest_ms > d->interval_moving_ms ? d->interval_rest_ms : d->interval_moving_ms;
    pw_time_ms contact = slowest > d->heartbeat_ms ? slowest : d->heartbeat_ms;
    out->no_gnss_ms = d->signal_timeout_ms;
    /* At rest it fixes once a rest interval, and one lost report (1 % of
     * them) must not look like lost satellites: two rest intervals and the
     * signal timeout. */
    out->no_gnss_rest_ms = 2 * d->interval_rest_ms + d->signal_timeout_ms;
    /* Contact: two missed reports and half a minute of network. */
    out->no_comm_ms = 2 * contact + 30000;
}

static void to_unit_config(const scn_device *d, dev_kind kind, dev_unit_config *c)
{
    dev_unit_config_default(c, kind);
    c->interval_rest_ms = d->interval_rest_ms;
    c->interval_moving_ms = d->interval_moving_ms;
    c->interval_pursuit_ms = d->interval_pursuit_ms;
    c->heartbeat_ms = d->heartbeat_ms;
    c->signal_timeout_ms = d->signal_timeout_ms;
    c->battery_start_pct = d->battery_start_pct > 0 ? d->battery_start_pct : 0.001;
    c->drain_pct_per_hour = d->drain_pct_per_hour;
    c->drain_pct_per_fix = d->drain_pct_per_fix;
    c->net_delay_mean_ms = d->net_delay_mean_ms;
    c->net_loss = d->net_loss;
    c->accuracy_scale = d->accuracy_scale;
}

static void device_due(run *r, size_t a, pw_time_ms now)
{
    actor_rt *ar = &r->actors[a];
    dev_unit *u = ar->unit;
    pw_time_ms due = dev_unit_next_due(u);
    if (due > now)
        return; /* a stale entry: the unit was rescheduled */
    double x, y;
    int moving, underground;
    sim_track_at(&ar->track, now, &ar->hint, &x, &y, &moving, &underground);
    double bearing;
    scn_env env = sim_env_at(&r->env, x, y, underground, &bearing);
    dev_message out[8];
    size_t n = dev_unit_step(u, now, x, y, moving, (dev_env)env, bearing, r->envp, &r->frame, out, 8);
    send_messages(r, out, n);
    due = dev_unit_next_due(u);
    if (due != INT64_MAX)
        push(r, due, EV_DUE, (uint32_t)a);
}

/* Queue actor a's next change of motion (rest -> moving or moving -> rest)
 * at or after truth segment `from`. */
static void queue_motion(run *r, size_t a, size_t from)
{
    const sim_track *tr = &r->actors[a].track;
    for (size_t j = from > 1 ? from : 1; j < tr->n; j++) {
        if (tr->seg[j].moving != tr->seg[j - 1].moving) {
            r->actors[a].motion_next = j + 1;
            r->actors[a].motion_to = tr->seg[j].moving;
            push(r, tr->seg[j].t0, EV_MOTION, (uint32_t)a);
            return;
        }
    }
}

/* The wearer starts or stops moving: his device knows at once
 * (accelerometer, activity recognition).  A start wakes it to its moving
 * interval; a stop is reported at once in a status. */
static void motion_changes(run *r, size_t a, pw_time_ms now)
{
    actor_rt *ar = &r->actors[a];
    pw_time_ms before = dev_unit_next_due(ar->unit);
    dev_unit_set_moving(ar->unit, ar->motion_to, now);
    pw_time_ms due = dev_unit_next_due(ar->unit);
    if (due < before)
        push(r, due < now ? now : due, EV_DUE, (uint32_t)a);
    queue_motion(r, a, ar->motion_next);
}

static void put_text(char **p, char *end, const char *s)
{
    while (*s && *p < end)
        *(*p)++ = *s++;
}

static void put_int(char **p, char *end, long long v)
{
    rec_put_fixed(p, end, (double)v, 0);
}

static const char *role_name(scn_role r)
{
    return r == SCN_OFFENDER ? "offender" : r == SCN_VICTIM ? "victim" : "patrol";
}

/* ---- run.geojson and run.gpkg: for QGIS and other GIS tools ---------- */

static void geo_begin_feature(run *r)
{
    fputs(r->geo_features++ ? ",\n" : "\n", r->f_geo);
}

static void geo_coord(run *r, double lat, double lon)
{
    char buf[64], *p = buf, *end = buf + sizeof buf - 1;
    *p++ = '[';
    rec_put_fixed(&p, end, lon, 7);
    *p++ = ',';
    rec_put_fixed(&p, end, lat, 7);
    *p++ = ']';
    *p = '\0';
    fputs(buf, r->f_geo);
}

/* n lon,lat pairs from r->xy as a GeoJSON coordinate list. */
static void geo_coords(run *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', r->f_geo);
        geo_coord(r, r->xy[2 * i + 1], r->xy[2 * i]);
    }
}

static int xy_reserve(run *r, size_t n)
{
    if (pw_grow((void **)&r->xy, &r->cap_xy, 2 * n, sizeof *r->xy) == 0)
        return 0;
    fail(r, "out of memory for a map layer%s%s", NULL, NULL);
    return -1;
}

static void xy_set(run *r, size_t i, double lat, double lon)
{
    r->xy[2 * i] = lon;
    r->xy[2 * i + 1] = lat;
}

/* A circle as a closed 64-gon into r->xy (65 points), for GIS tools that
 * have no circles. */
static size_t circle_xy(run *r, double lat, double lon, double radius_m)
{
    if (xy_reserve(r, 65) != 0)
        return 0;
    double cx, cy;
    eng_geo_to_local(&r->frame, lat, lon, &cx, &cy);
    for (int i = 0; i <= 64; i++) {
        double a = 2.0 * M_PI * (i % 64) / 64.0, la, lo;
        eng_geo_to_wgs84(&r->frame, cx + radius_m * cos(a), cy + radius_m * sin(a), &la, &lo);
        xy_set(r, (size_t)i, la, lo);
    }
    return 65;
}

static const char *source_name(const pw_fix *f)
{
    return f->source == PW_SRC_CELL ? "cell" : f->source == PW_SRC_WIFI ? "wifi" : "gnss";
}

static void geo_fix(run *r, const dev_message *m, pw_time_ms now)
{
    if (r->gpkg)
        gpkg_check(r, rec_gpkg_fix(r->gpkg, now, m->fix.time, m->fix.device, m->fix.lon, m->fix.lat,
                                   m->fix.acc_m, source_name(&m->fix), dev_cause_name(m->cause)));
    if (!r->f_geo)
        return;
    geo_begin_feature(r);
    fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":", r->f_geo);
    geo_coord(r, m->fix.lat, m->fix.lon);
    /* A fix without a claimed accuracy (a live receiver's) has none: null. */
    char buf[256], *p = buf, *end = buf + sizeof buf - 1;
    if (isfinite(m->fix.acc_m))
        rec_put_fixed(&p, end, m->fix.acc_m, 1);
    else
        p += snprintf(buf, sizeof buf, "null");
    *p = '\0';
    fprintf(r->f_geo, "},\"properties\":{\"kind\":\"fix\",\"device\":%u,\"t\":%lld,\"fix_t\":%lld,"
                      "\"acc_m\":%s,\"source\":\"%s\",\"cause\":\"%s\"}}",
            m->fix.device, (long long)now, (long long)m->fix.time, buf, source_name(&m->fix),
            dev_cause_name(m->cause));
}

/* A polygon feature's geometry from r->xy. */
static void geo_polygon(run *r, size_t n)
{
    fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[", r->f_geo);
    geo_coords(r, n);
    fputs("]]}", r->f_geo);
}

static const char *const env_name[SCN_ENV_COUNT] = {"open", "urban_light", "urban_heavy", "indoor", "tunnel"};

static void geo_finish(run *r)
{
    const scn_scenario *s = r->s;
    /* True tracks: one line per actor through its segment ends. */
    for (size_t a = 0; a < s->n_actors && !r->failed; a++) {
        const sim_track *tr = &r->actors[a].track;
        size_t n = tr->n ? tr->n + 1 : 0;
        if (xy_reserve(r, n + 1) != 0)
            return;
        for (size_t i = 0; i < n; i++) {
            const sim_segment *g = &tr->seg[i < tr->n ? i : tr->n - 1];
            double la, lo;
            eng_geo_to_wgs84(&r->frame, i < tr->n ? g->x0 : g->x1, i < tr->n ? g->y0 : g->y1, &la, &lo);
            xy_set(r, i, la, lo);
        }
        if (r->gpkg)
            gpkg_check(r, rec_gpkg_track(r->gpkg, s->actors[a].id, s->actors[a].name,
                                         role_name(s->actors[a].role), r->xy, n));
        if (!r->f_geo)
            continue;
        geo_begin_feature(r);
        fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[", r->f_geo);
        geo_coords(r, n);
        fprintf(r->f_geo, "]},\"properties\":{\"kind\":\"truth\",\"device\":%u,\"name\":", s->actors[a].id);
        rec_json_string(r->f_geo, s->actors[a].name);
        fprintf(r->f_geo, ",\"role\":\"%s\"}}", role_name(s->actors[a].role));
    }
    /* Exclusion zones, per case. */
    for (size_t ci = 0; ci < s->n_cases; ci++) {
        const eng_case_def *d = &s->cases[ci].def;
        for (size_t k = 0; k < d->n_zones && !r->failed; k++) {
            const eng_zone_def *z = &d->zones[k];
            size_t n;
            if (z->kind == ENG_ZONE_CIRCLE) {
                n = circle_xy(r, z->center_lat, z->center_lon, z->radius_m);
            } else {
                n = z->n_vertices + 1;
                if (xy_reserve(r, n) != 0)
                    return;
                for (size_t i = 0; i < n; i++)
                    xy_set(r, i, z->lat[i % z->n_vertices], z->lon[i % z->n_vertices]);
            }
            if (r->failed)
                return;
            int scheduled = z->schedule.n_windows != 0;
            if (r->gpkg)
                gpkg_check(r, rec_gpkg_zone(r->gpkg, "exclusion_zone", d->id, z->id, scheduled, NULL, r->xy, n));
            if (!r->f_geo)
                continue;
            geo_begin_feature(r);
            geo_polygon(r, n);
            fprintf(r->f_geo, ",\"properties\":{\"kind\":\"exclusion_zone\",\"case\":%u,\"zone\":%u,"
                              "\"scheduled\":%s}}",
                    d->id, z->id, scheduled ? "true" : "false");
        }
    }
    /* GNSS environment zones. */
    for (size_t i = 0; i < s->n_env_zones && !r->failed; i++) {
        const scn_env_zone *z = &s->env_zones[i];
        size_t n;
        if (z->is_circle) {
            n = circle_xy(r, z->center.lat, z->center.lon, z->radius_m);
        } else {
            n = z->n_points + 1;
            if (xy_reserve(r, n) != 0)
                return;
            for (size_t k = 0; k < n; k++) {
                const scn_point *pt = &s->points[z->first_point + k % z->n_points];
                xy_set(r, k, pt->lat, pt->lon);
            }
        }
        if (r->failed)
            return;
        if (r->gpkg)
            gpkg_check(r, rec_gpkg_zone(r->gpkg, "environment", 0, 0, -1, env_name[z->env], r->xy, n));
        if (!r->f_geo)
            continue;
        geo_begin_feature(r);
        geo_polygon(r, n);
        fprintf(r->f_geo, ",\"properties\":{\"kind\":\"environment\",\"env\":\"%s\"}}", env_name[z->env]);
    }
    /* Alert episodes, where the offender was when they opened. */
    for (size_t e = 0; e < r->metrics.n_episodes && !r->failed; e++) {
        const eval_episode *ep = &r->metrics.episodes[e];
        if (!isfinite(ep->lat) || !isfinite(ep->lon))
            continue;
        const char *rule = ep->rule == 0 ? "proximity" : "zone";
        const char *cause = ep->is_true ? "none" : eval_cause_name(ep->cause);
        unsigned case_id = s->cases[ep->case_index].def.id;
        if (r->gpkg)
            gpkg_check(r, rec_gpkg_episode(r->gpkg, case_id, rule, ep->start, ep->end, ep->is_true, cause,
                                           ep->lon, ep->lat));
        if (!r->f_geo)
            continue;
        geo_begin_feature(r);
        fputs("{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":", r->f_geo);
        geo_coord(r, ep->lat, ep->lon);
        fprintf(r->f_geo, "},\"properties\":{\"kind\":\"alert_episode\",\"case\":%u,\"rule\":\"%s\","
                          "\"start\":%lld,\"end\":%lld,\"true\":%s,\"cause\":\"%s\"}}",
                case_id, rule, (long long)ep->start, (long long)ep->end, ep->is_true ? "true" : "false", cause);
    }
    if (r->f_geo)
        fputs("\n]}\n", r->f_geo);
}

static void write_fix(run *r, const dev_message *m, eng_status st, pw_time_ms now)
{
    geo_fix(r, m, now);
    if (!r->f_fixes)
        return;
    double tlat, tlon;
    eng_geo_to_wgs84(&r->frame, m->true_x, m->true_y, &tlat, &tlon);
    char *p = r->line, *end = r->line + sizeof r->line - 1;
    put_int(&p, end, now);
    put_text(&p, end, ",");
    put_int(&p, end, m->fix.time);
    put_text(&p, end, ",");
    put_int(&p, end, m->fix.device);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, m->fix.lat, 7);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, m->fix.lon, 7);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, m->fix.acc_m, 1);
    put_text(&p, end, m->fix.source == PW_SRC_CELL ? ",cell," : m->fix.source == PW_SRC_WIFI ? ",wifi," : ",gnss,");
    put_text(&p, end, dev_cause_name(m->cause));
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, tlat, 7);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, tlon, 7);
    put_text(&p, end, st == ENG_OK ? ",accepted\n" : st == ENG_EREJECTED ? ",rejected\n" : ",error\n");
    *p = '\0';
    if (fwrite(r->line, 1, (size_t)(p - r->line), r->f_fixes) != (size_t)(p - r->line))
        fail(r, "%s: cannot write fixes.csv: %s", r->dir, strerror(errno));
}

static void deliver(run *r, uint32_t slot, pw_time_ms now)
{
    if (r->centre_down) {
        /* The centre is down: the report waits in the network and arrives
         * when it is back up (devices retry). */
        if (pw_grow((void **)&r->held, &r->cap_held, r->n_held + 1, sizeof *r->held) != 0) {
            fail(r, "out of memory%s%s", NULL, NULL);
            return;
        }
        r->held[r->n_held++] = slot;
        return;
    }
    dev_message *m = &r->msgs[slot];
    if (m->is_fix) {
        /* The metrics learn the fix's cause first: an alarm it triggers
         * is attributed to it. */
        eval_metrics_fix(&r->metrics, m->fix.device, m->cause, m->stored, now);
        if (r->opt->on_fix)
            r->opt->on_fix(r->opt->on_fix_ctx, &m->fix, m->cause, now);
        eng_status st = eng_on_fix(&r->eng, &m->fix, now);
        r->sum->fixes_delivered++;
        if (st == ENG_OK)
            r->sum->fixes_accepted++;
        write_fix(r, m, st, now);
    } else {
        eng_on_status(&r->eng, &m->status, now);
        r->sum->statuses++;
    }
    r->free_slots[r->n_free++] = slot;
}

/* ---- scenario events and script callbacks ---------------------------- */

static void set_network(run *r, size_t a, int up, pw_time_ms now)
{
    actor_rt *ar = &r->actors[a];
    if (!ar->unit)
        return;
    ar->net_down += up ? -1 : 1;
    if (ar->net_down < 0)
        ar->net_down = 0;
    if ((up && ar->net_down == 0) || (!up && ar->net_down == 1)) {
        dev_message out[DEV_STORE_MAX];
        size_t n = dev_unit_set_network(ar->unit, up, now, out, DEV_STORE_MAX);
        send_messages(r, out, n);
    }
}

static void apply_event(run *r, scn_event_kind kind, size_t a, pw_time_ms now, pw_time_ms until)
{
    dev_unit *u = a < r->s->n_actors ? r->actors[a].unit : NULL;
    switch (kind) {
    case SCN_EV_TAMPER:
        if (u)
            dev_unit_tamper(u, now);
        break;
    case SCN_EV_DEVICE_OFF:
        if (u)
            dev_unit_power_off(u, now);
        break;
    case SCN_EV_BATTERY_DEATH:
        if (u)
            dev_unit_battery_dies(u, now);
        break;
    case SCN_EV_PANIC:
        /* The panic report goes out at once over the phone's network. */
        push(r, now + (pw_time_ms)r->s->actors[a].device.net_delay_mean_ms, EV_PANIC, (uint32_t)a);
        break;
    case SCN_EV_NETWORK_OUTAGE:
        set_network(r, a, 0, now);
        break;
    case SCN_EV_CENTRE_OUTAGE:
        r->centre_down++;
        break;
    }
    if (until > 0 && (kind == SCN_EV_NETWORK_OUTAGE || kind == SCN_EV_CENTRE_OUTAGE)) {
        /* Callbacks give a duration; the end is queued as an anonymous
         * outage end for this actor (index = actor | top bit for the centre). */
        uint32_t idx = kind == SCN_EV_CENTRE_OUTAGE ? UINT32_MAX : (uint32_t)a | 0x80000000u;
        push(r, now + until, EV_SCN_END, idx);
    }
    if (u) {
        pw_time_ms due = dev_unit_next_due(u);
        if (due != INT64_MAX)
            push(r, due < now ? now : due, EV_DUE, (uint32_t)a);
    }
}

static void end_outage(run *r, uint32_t idx, pw_time_ms now)
{
    int centre;
    size_t actor = 0;
    if (idx == UINT32_MAX) {
        centre = 1;
    } else if (idx & 0x80000000u) {
        centre = 0;
        actor = idx & 0x7fffffffu;
    } else {
        const scn_event *ev = &r->s->events[idx];
        centre = ev->kind == SCN_EV_CENTRE_OUTAGE;
        actor = ev->actor;
    }
    if (!centre) {
        set_network(r, actor, 1, now);
        return;
    }
    if (r->centre_down > 0 && --r->centre_down == 0) {
        /* Back up: everything held arrives now, in the order it was sent. */
        for (size_t i = 0; i < r->n_held; i++)
            push(r, now, EV_DELIVER, r->held[i]);
        r->n_held = 0;
    }
}

typedef struct hook_ctx {
    run *r;
    pw_time_ms now;
} hook_ctx;

static void hook_event(void *ctx, scn_event_kind kind, size_t actor, pw_time_ms until)
{
    hook_ctx *h = ctx;
    apply_event(h->r, kind, actor, h->now, until);
}

static void panic_arrives(run *r, size_t a, pw_time_ms now)
{
    if (r->centre_down)
        return; /* a panic during an outage is lost: the planner sees it missing */
    pw_device_status st = {.device = r->s->actors[a].id, .set = PW_STATUS_PANIC_SET, .time = now, .panic = 1};
    eng_on_status(&r->eng, &st, now);
}

/* ---- output files --------------------------------------------------- */

static int make_dirs(const char *path)
{
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static FILE *open_tmp(run *r, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.part", r->dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        fail(r, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

static void publish_part(run *r, const char *name);

/* Close and publish (rename .part away), or remove on failure. */
static void finish_file(run *r, FILE **f, const char *name)
{
    if (!*f)
        return;
    int bad = ferror(*f);
    if (fclose(*f) != 0)
        bad = 1;
    *f = NULL;
    if (bad) {
        char final[600];
        snprintf(final, sizeof final, "%s/%s", r->dir, name);
        fail(r, "%s: write failed%s", final, NULL);
    }
    publish_part(r, name);
}

/* NAME.part becomes NAME, or is removed when the run failed. */
static void publish_part(run *r, const char *name)
{
    char part[600], final[600];
    snprintf(part, sizeof part, "%s/%s.part", r->dir, name);
    snprintf(final, sizeof final, "%s/%s", r->dir, name);
    if (r->failed) {
        remove(part);
        return;
    }
    if (rename(part, final) != 0)
        fail(r, "%s: cannot publish: %s", final, strerror(errno));
}


static const char *mode_name(int m)
{
    static const char *const names[] = {"walk", "drive", "bus", "subway"};
    return m >= 0 && m < 4 ? names[m] : "?";
}

static void write_truth(run *r)
{
    fputs("actor,name,role,t0_ms,t1_ms,lat0,lon0,lat1,lon1,mode,underground,moving\n", r->f_truth);
    for (size_t a = 0; a < r->s->n_actors; a++) {
        const sim_track *tr = &r->actors[a].track;
        const scn_actor *sa = &r->s->actors[a];
        for (size_t i = 0; i < tr->n; i++) {
            const sim_segment *g = &tr->seg[i];
            double la0, lo0, la1, lo1;
            eng_geo_to_wgs84(&r->frame, g->x0, g->y0, &la0, &lo0);
            eng_geo_to_wgs84(&r->frame, g->x1, g->y1, &la1, &lo1);
            fprintf(r->f_truth, "%u,", sa->id);
            rec_csv_field(r->f_truth, sa->name);
            fprintf(r->f_truth, ",%s,%lld,%lld,%.7f,%.7f,%.7f,%.7f,%s,%d,%d\n", role_name(sa->role),
                    (long long)g->t0, (long long)g->t1, la0, lo0, la1, lo1, mode_name(g->mode), g->underground,
                    g->moving);
        }
    }
}

/* The run's truth for the metrics: the actors' timelines where they are. */
static void truth_at(const void *ctx, size_t actor, pw_time_ms t, size_t *hint, double *x, double *y)
{
    sim_track_at(&((const run *)ctx)->actors[actor].track, t, hint, x, y, NULL, NULL);
}

static double truth_vmax(const void *ctx, size_t actor)
{
    return sim_track_vmax(&((const run *)ctx)->actors[actor].track);
}

/* The pilot metrics, and report.json beside the other files. */
static void finish_report(run *r)
{
    eval_truth truth = {r, truth_at, truth_vmax};
    int rc = eval_metrics_finish(&r->metrics, &truth, &r->frame, &r->sum->report);
    if (rc != 0) {
        fail(r, "out of memory computing the metrics%s%s", NULL, NULL);
        return;
    }
    r->sum->report.fixes = r->sum->fixes_delivered;
    if (!r->opt->record)
        return;
    FILE *f = open_tmp(r, "report.json");
    if (f) {
        eval_report_write_json(f, r->s, &r->sum->report);
        finish_file(r, &f, "report.json");
    }
}

/* ---- progress -------------------------------------------------------- */

static void progress(run *r, pw_time_ms now, int final)
{
    if (!r->opt->progress)
        return;
    double w = wall_now();
    if (!final && (w - r->wall_start < 2.0 || w - r->wall_last_progress < 0.25))
        return;
    if (final && !r->progress_shown)
        return;
    r->wall_last_progress = w;
    r->progress_shown = 1;
    double done = (double)(now - r->s->start) / (double)r->s->duration_ms;
    long long sec = (long long)((now - r->s->start) / 1000);
    fprintf(stderr, "\rproxwatch run: %3.0f%%  %02lld:%02lld:%02lld simulated  %.1f s%s",
            100.0 * done, sec / 3600, sec / 60 % 60, sec % 60, w - r->wall_start, final ? "\n" : "");
    fflush(stderr);
}

/* ---- the run --------------------------------------------------------- */

static void setup(run *r)
{
    scn_scenario *s = r->s;
    if (eng_frame_init(&r->frame, s->origin.lat, s->origin.lon) != ENG_OK) {
        fail(r, "%s: the scenario origin is not a valid position%s", s->file, NULL);
        return;
    }
    dev_env_defaults(r->envp);
    if (eval_metrics_init(&r->metrics, s, 30000) != 0) {
        fail(r, "out of memory for the metrics%s%s", NULL, NULL);
        return;
    }
    r->metrics_ready = 1;
    sim_dispatch_world world = {.ctx = r, .schedule = dispatch_schedule, .track = dispatch_track};
    int drc = sim_dispatch_new(&r->dispatch, s, &r->frame, &r->metrics, &world);
    if (drc == SIM_EINVAL) {
        fail(r, "%s: dispatchers must be 1 to 1024%s", s->file, NULL);
        return;
    }
    if (drc != 0) {
        fail(r, "out of memory%s%s", NULL, NULL);
        return;
    }
    eng_config cfg;
    eng_config_default(&cfg, s->origin.lat, s->origin.lon);
    cfg.max_devices = s->n_actors ? s->n_actors : 1;
    cfg.max_cases = s->n_cases ? s->n_cases : 1;
    size_t zones = 0;
    for (size_t i = 0; i < s->n_cases; i++)
        zones += s->cases[i].def.n_zones;
    cfg.max_zones = zones ? zones : 1;
    eng_status st = eng_init(&r->eng, &cfg, sink, r);
    if (st != ENG_OK) {
        fail(r, "cannot start the engine: %s%s", eng_strerror(st), NULL);
        return;
    }
    r->eng_ready = 1;
    if (sim_envmap_init(&r->env, s, &r->frame) != 0) {
        fail(r, "out of memory for the environment map%s%s", NULL, NULL);
        return;
    }
    r->env_ready = 1;
    if (sim_heap_init(&r->heap, 1024) != 0) {
        fail(r, "out of memory for the event queue%s%s", NULL, NULL);
        return;
    }
    r->actors = calloc(s->n_actors ? s->n_actors : 1, sizeof *r->actors);
    r->motion_rng = calloc(s->n_actors ? s->n_actors : 1, sizeof *r->motion_rng);
    if (!r->actors || !r->motion_rng) {
        fail(r, "out of memory for the actors%s%s", NULL, NULL);
        return;
    }
    for (size_t a = 0; a < s->n_actors; a++) {
        const scn_actor *sa = &s->actors[a];
        /* Motion draws from its own stream, apart from the device's. */
        dev_rng_init(&r->motion_rng[a], s->seed, 0x100000000ULL + sa->id);
        int rc = sim_track_build(&r->actors[a].track, s, a, &r->frame, uniform_cb, &r->motion_rng[a]);
        if (rc != 0) {
            fail(r, "%s: actor '%s': cannot build its itinerary", s->file, sa->name);
            return;
        }
        if (sa->role == SCN_PATROL)
            continue;
        st = eng_add_device(&r->eng, sa->id, sa->role == SCN_OFFENDER ? ENG_ROLE_OFFENDER : ENG_ROLE_VICTIM);
        if (st != ENG_OK) {
            fail(r, "actor '%s': %s", sa->name, eng_strerror(st));
            return;
        }
        /* GNSS loss as the scenario's device says (sim_device_timeouts). */
        eng_device_timeouts to;
        sim_device_timeouts(&sa->device, &to);
        if (a == r->live_actor)
            to.no_comm_ms = 0; /* a real receiver: the engine's contact timeout */
        st = eng_set_device_timeouts(&r->eng, sa->id, &to);
        if (st != ENG_OK) {
            fail(r, "actor '%s': %s", sa->name, eng_strerror(st));
            return;
        }
        if (a == r->live_actor)
            continue; /* a real receiver reports for it */
        dev_unit_config uc;
        dev_kind kind = sa->role == SCN_OFFENDER ? DEV_TAG : DEV_PHONE;
        to_unit_config(&sa->device, kind, &uc);
        if (dev_unit_config_validate(&uc) != DEV_OK) {
            fail(r, "actor '%s': device settings out of range%s", sa->name, NULL);
            return;
        }
        r->actors[a].unit = malloc(sizeof *r->actors[a].unit);
        if (!r->actors[a].unit) {
            fail(r, "out of memory for the devices%s%s", NULL, NULL);
            return;
        }
        dev_unit_init(r->actors[a].unit, kind, sa->id, &uc, s->start, s->seed);
        push(r, dev_unit_next_due(r->actors[a].unit), EV_DUE, (uint32_t)a);
        queue_motion(r, a, 1);
    }
    for (size_t i = 0; i < s->n_cases; i++) {
        st = eng_add_case(&r->eng, &s->cases[i].def);
        if (st != ENG_OK) {
            fail(r, "case %s: %s", s->actors[s->cases[i].offender].name, eng_strerror(st));
            return;
        }
    }
    for (size_t i = 0; i < s->n_events; i++) {
        push(r, s->events[i].at, EV_SCN, (uint32_t)i);
        if (s->events[i].until > 0)
            push(r, s->events[i].until, EV_SCN_END, (uint32_t)i);
    }
    for (size_t i = 0; i < s->n_timers; i++)
        push(r, s->timers[i].at, EV_TIMER, (uint32_t)i);
    push(r, s->start + 1000, EV_TICK, 0);
}

/* Process every queued event up to `until` (and the scenario's end). */
static void advance(run *r, pw_time_ms until)
{
    scn_scenario *s = r->s;
    pw_time_ms end = s->start + s->duration_ms;
    if (until > end)
        until = end;
    sim_event ev;
    const sim_event *top;
    while (!r->failed && (top = sim_heap_peek(&r->heap)) != NULL && top->t <= until) {
        sim_heap_pop(&r->heap, &ev);
        pw_time_ms now = ev.t;
        switch (ev.kind) {
        case EV_DUE:
            device_due(r, ev.index, now);
            break;
        case EV_DELIVER:
            deliver(r, ev.index, now);
            break;
        case EV_TICK:
            if (!r->centre_down)
                eng_tick(&r->eng, now);
            progress(r, now, 0);
            push(r, now + 1000, EV_TICK, 0);
            break;
        case EV_SCN: {
            const scn_event *se = &s->events[ev.index];
            apply_event(r, se->kind, se->actor, now, 0);
            break;
        }
        case EV_SCN_END:
            end_outage(r, ev.index, now);
            break;
        case EV_TIMER: {
            hook_ctx hc = {r, now};
            scn_hooks hooks = {&hc, hook_event};
            scn_error err;
            scn_status st = scn_run_timer(s, ev.index, now, &hooks, &err);
            if (st != SCN_OK) {
                r->sum->script_error = 1;
                fail(r, "%s%s", err.message, NULL);
                break;
            }
            if (s->timers[ev.index].every_ms > 0)
                push(r, now + s->timers[ev.index].every_ms, EV_TIMER, ev.index);
            break;
        }
        case EV_PANIC:
            panic_arrives(r, ev.index, now);
            break;
        case EV_DISPATCH:
            dispatch_check(r, sim_dispatch_done(r->dispatch, ev.index, now));
            break;
        case EV_ON_SCENE:
            sim_dispatch_on_scene(r->dispatch, ev.index, now);
            close_if_done(r, ev.index, now);
            break;
        case EV_CLOSE_CHECK:
            close_if_done(r, ev.index, now);
            break;
        case EV_MOTION:
            motion_changes(r, ev.index, now);
            break;
        case EV_PIN:
            pin_arrives(r, ev.index, now);
            break;
        }
    }
}

int sim_session_start(sim_session **out, scn_scenario *s, const sim_run_options *opt, size_t live_actor,
                      sim_summary *sum, char *err, size_t errlen)
{
    *out = NULL;
    run *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memset(sum, 0, sizeof *sum);
    r->s = s;
    r->opt = opt;
    r->sum = sum;
    r->err = err;
    r->errlen = errlen;
    r->live_actor = live_actor;
    r->wall_start = wall_now();
    snprintf(r->dir, sizeof r->dir, "%s", opt->out_dir ? opt->out_dir : "");
    if (opt->record && make_dirs(r->dir) != 0) {
        snprintf(err, errlen, "%s: cannot create the output folder: %s", r->dir, strerror(errno));
        free(r);
        return -1;
    }
    if (opt->record) {
        r->f_events = open_tmp(r, "events.jsonl");
        r->f_fixes = open_tmp(r, "fixes.csv");
        r->f_truth = open_tmp(r, "truth.csv");
        r->f_geo = open_tmp(r, "run.geojson");
        if (r->f_geo)
            fputs("{\"type\":\"FeatureCollection\",\"features\":[", r->f_geo);
    }
    if (opt->record && opt->gpkg && !r->failed) {
        char path[600];
        snprintf(path, sizeof path, "%s/run.gpkg.part", r->dir);
        remove(path);
        r->gpkg_open = 1;
        if (rec_gpkg_open(&r->gpkg, path) != 0) {
            if (r->gpkg)
                gpkg_check(r, -1);
            else
                fail(r, "%s: out of memory%s", path, NULL);
        }
    }
    if (r->f_fixes)
        fputs("deliver_ms,fix_ms,device,lat,lon,acc_m,source,cause,true_lat,true_lon,engine\n", r->f_fixes);
    sim_resolve_devices(s);
    if (!r->failed)
        setup(r);
    *out = r;
    return r->failed ? -1 : 0;
}

void sim_session_advance(sim_session *r, pw_time_ms until)
{
    advance(r, until);
}

int sim_session_failed(const sim_session *r)
{
    return r->failed;
}

/* A fix of the live actor, from its real receiver, arriving now. */
void sim_session_live_fix(sim_session *r, const pw_fix *f, pw_time_ms now)
{
    if (r->failed || r->live_actor >= r->s->n_actors)
        return;
    advance(r, now);
    dev_message m;
    memset(&m, 0, sizeof m);
    m.is_fix = 1;
    m.fix = *f;
    m.fix.device = r->s->actors[r->live_actor].id;
    m.deliver_at = now;
    m.cause = DEV_CAUSE_NOMINAL;
    eng_geo_to_local(&r->frame, f->lat, f->lon, &m.true_x, &m.true_y); /* no better truth */
    eval_metrics_fix(&r->metrics, m.fix.device, m.cause, 0, now);
    if (r->opt->on_fix)
        r->opt->on_fix(r->opt->on_fix_ctx, &m.fix, m.cause, now);
    eng_status st = eng_on_fix(&r->eng, &m.fix, now);
    r->sum->fixes_delivered++;
    r->sum->fixes_accepted += st == ENG_OK;
    write_fix(r, &m, st, now);
    if (pw_grow((void **)&r->live_fixes, &r->cap_live, r->n_live + 1, sizeof *r->live_fixes) == 0)
        r->live_fixes[r->n_live++] = m.fix;
}

int sim_session_finish(sim_session *r)
{
    scn_scenario *s = r->s;
    sim_summary *sum = r->sum;
    pw_time_ms end = s->start + s->duration_ms;
    if (!r->failed) {
        sum->sim_seconds = (double)s->duration_ms / 1000.0;
        progress(r, end, 1);
    }
    if (!r->failed && r->live_actor < s->n_actors && r->n_live > 0) {
        /* The live actor's truth: its own fixes, the best there is. */
        sim_track t;
        if (sim_track_from_fixes(r->live_fixes, r->n_live, &r->frame, s->start, end, &t) == 0) {
            sim_track_close(&r->actors[r->live_actor].track);
            r->actors[r->live_actor].track = t;
            r->actors[r->live_actor].hint = 0;
        }
    }
    if (!r->failed && r->f_truth)
        write_truth(r);
    if (!r->failed)
        finish_report(r);
    if (!r->failed && r->live_actor < s->n_actors)
        snprintf(sum->report.truth, sizeof sum->report.truth, "traces");
    if (!r->failed && (r->f_geo || r->gpkg))
        geo_finish(r);
    for (size_t a = 0; r->actors && a < s->n_actors; a++) {
        if (r->actors[a].unit) {
            sum->fixes_lost += r->actors[a].unit->stats.lost;
            sum->reports_dropped += r->actors[a].unit->stats.store_dropped;
        }
    }
    finish_file(r, &r->f_events, "events.jsonl");
    finish_file(r, &r->f_fixes, "fixes.csv");
    finish_file(r, &r->f_truth, "truth.csv");
    finish_file(r, &r->f_geo, "run.geojson");
    if (r->gpkg_open) {
        char gerr[768];
        /* Its time: the run's end in simulated time (a live run's when it
         * stopped), so the same run writes the same file. */
        if (rec_gpkg_close(r->gpkg, !r->failed, (long long)(s->start + s->duration_ms), gerr, sizeof gerr) != 0)
            fail(r, "%s%s", gerr, NULL);
        r->gpkg = NULL;
        publish_part(r, "run.gpkg");
    }
    sum->wall_seconds = wall_now() - r->wall_start;
    if (r->eng_ready) {
        const eng_counters *c = eng_get_counters(&r->eng);
        for (int i = 0; i < ENG_REJ_COUNT; i++)
            sum->fixes_rejected += c->rejected[i];
        eng_close(&r->eng);
    }
    if (r->env_ready)
        sim_envmap_close(&r->env);
    if (r->metrics_ready)
        eval_metrics_close(&r->metrics);
    sim_heap_close(&r->heap);
    for (size_t a = 0; r->actors && a < s->n_actors; a++) {
        sim_track_close(&r->actors[a].track);
        free(r->actors[a].unit);
    }
    free(r->actors);
    free(r->motion_rng);
    free(r->msgs);
    free(r->free_slots);
    free(r->held);
    free(r->pins);
    free(r->free_pins);
    sim_dispatch_free(r->dispatch);
    free(r->live_fixes);
    free(r->xy);
    int failed = r->failed;
    free(r);
    return failed ? -1 : 0;
}

int sim_run(scn_scenario *s, const sim_run_options *opt, sim_summary *sum, char *err, size_t errlen)
{
    sim_session *r;
    if (sim_session_start(&r, s, opt, SIZE_MAX, sum, err, errlen) != 0 && !r)
        return -1;
    if (!sim_session_failed(r))
        advance(r, s->start + s->duration_ms);
    return sim_session_finish(r);
}
