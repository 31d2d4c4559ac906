/*
 * run.c - the scenario runner: a discrete-event loop that moves the actors
 * along their truth timelines, lets their emulated devices report through
 * the network, feeds the real engine at delivery time, and hands what
 * happens to the run record (runrecord.c: events.jsonl, fixes.csv,
 * truth.csv, the maps) and the metrics (eval/).
 *
 * Determinism: one random stream per actor (its device id) for motion and
 * two per device inside devices/ (what it sends, what it is sent), the
 * event queue breaks ties by insertion order, and every file is written
 * with fixed formats.  The wall clock is read only to pace the progress
 * line, which goes to stderr.
 *
 * The 112 desk and the patrols are a module of their own (dispatch.c,
 * declared in sim.h): the run gives them its clock through a schedule
 * callback and its actors' tracks through another.  The run record and
 * the device settings (settings.c) share the one private session struct
 * (run_internal.h) and act on it from the one event queue.
 */
#include "run_internal.h"
#include "pw_grow.h"

#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum ev_kind {
    EV_DUE = 1,      /* index: actor; its device wants to act */
    EV_DELIVER,      /* index: message slot; reaches the centre */
    EV_TICK,         /* the engine's timers */
    EV_SCN,          /* index: scenario event starts */
    EV_SCN_END,      /* index: scenario outage ends */
    EV_CALL,         /* index: an unrelated 112 call comes in (s->calls) */
    EV_TIMER,        /* index: script callback */
    EV_PANIC,        /* index: actor; the panic report arrives */
    EV_DISPATCH,     /* index: incident slot; a dispatcher finished the call */
    EV_ON_SCENE,     /* index: incident slot; its patrol arrives */
    EV_CLOSE_CHECK,  /* index: incident slot; may it close now? */
    EV_MOTION,       /* index: actor; the wearer starts or stops moving */
    EV_PIN           /* index: pin slot; a position reaches a victim's phone */
};

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

void run_fail(run *r, const char *fmt, ...)
{
    if (!r->failed && r->err && r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    r->failed = 1;
}

static void push(run *r, pw_time_ms t, uint32_t kind, uint32_t index)
{
    if (sim_heap_push(&r->heap, t, kind, index) != 0)
        run_fail(r, "out of memory in the event queue");
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
        run_fail(r, "out of memory for messages in flight");
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

static int dispatch_by_phone(void *ctx, const pw_event *open)
{
    const run *r = ctx;
    return r->opt->by_phone(r->opt->by_phone_ctx, open);
}

static void dispatch_check(run *r, int rc)
{
    if (rc != 0)
        run_fail(r, "out of memory in the dispatch model");
}

void sim_engine_config(const scn_scenario *s, eng_config *cfg)
{
    eng_config_default(cfg, s->origin.lat, s->origin.lon);
    cfg->max_devices = s->n_actors ? s->n_actors : 1;
    cfg->max_cases = s->n_cases ? s->n_cases : 1;
    size_t zones = 0;
    for (size_t i = 0; i < s->n_cases; i++)
        zones += s->cases[i].def.n_zones;
    cfg->max_zones = zones ? zones : 1;
}

static void close_if_done(run *r, size_t slot, pw_time_ms now)
{
    if (sim_dispatch_release(r->dispatch, slot, now))
        return; /* an unrelated call ended */
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
            run_fail(r, "out of memory for positions in flight");
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
    run_record_event(r, ev);
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
    scn_env env = sim_env_at(&r->env, x, y, underground || ar->gnss_down, &bearing);
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

/* A fix reaches the engine: the metrics learn its cause first (an alarm
 * it triggers is attributed to it), then the caller's hook, the engine,
 * the counts and the record. */
static void fix_to_engine(run *r, const dev_message *m, pw_time_ms now)
{
    eval_metrics_fix(&r->metrics, m->fix.device, m->cause, m->stored, now);
    if (r->opt->on_fix)
        r->opt->on_fix(r->opt->on_fix_ctx, &m->fix, m->cause, now);
    eng_status st = eng_on_fix(&r->eng, &m->fix, now);
    r->sum->fixes_delivered++;
    r->sum->fixes_accepted += st == ENG_OK;
    run_record_fix(r, m, st, now);
}

static void deliver(run *r, uint32_t slot, pw_time_ms now)
{
    if (r->centre_down) {
        /* The centre is down: the report waits in the network and arrives
         * when it is back up (devices retry). */
        if (pw_grow((void **)&r->held, &r->cap_held, r->n_held + 1, sizeof *r->held) != 0) {
            run_fail(r, "out of memory");
            return;
        }
        r->held[r->n_held++] = slot;
        return;
    }
    dev_message *m = &r->msgs[slot];
    if (m->is_fix) {
        fix_to_engine(r, m, now);
    } else {
        if (r->opt->on_status)
            r->opt->on_status(r->opt->on_status_ctx, &m->status, now);
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
    case SCN_EV_GNSS_OUTAGE:
        if (a < r->s->n_actors)
            r->actors[a].gnss_down++;
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
        if (ev->kind == SCN_EV_GNSS_OUTAGE) {
            if (ev->actor < r->s->n_actors && r->actors[ev->actor].gnss_down > 0)
                r->actors[ev->actor].gnss_down--;
            return;
        }
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
    if (r->opt->on_status)
        r->opt->on_status(r->opt->on_status_ctx, &st, now);
    eng_on_status(&r->eng, &st, now);
}

/* ---- output files --------------------------------------------------- */

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
        run_fail(r, "out of memory computing the metrics");
        return;
    }
    r->sum->report.fixes = r->sum->fixes_delivered;
    if (!r->opt->record)
        return;
    FILE *f = run_file_open(r, "report.json");
    if (f) {
        eval_report_write_json(f, r->s, &r->sum->report);
        run_file_finish(r, &f, "report.json");
    }
    /* The values behind the figures, for the report's plots. */
    if ((f = run_file_open(r, "latencies.csv"))) {
        if (eval_write_latencies_csv(f, &r->metrics) != 0)
            run_fail(r, "latencies.csv: cannot write");
        run_file_finish(r, &f, "latencies.csv");
    }
    if ((f = run_file_open(r, "incidents.csv"))) {
        if (eval_write_incidents_csv(f, &r->metrics) != 0)
            run_fail(r, "incidents.csv: cannot write");
        run_file_finish(r, &f, "incidents.csv");
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
        run_fail(r, "%s: the scenario origin is not a valid position", s->file);
        return;
    }
    dev_env_defaults(r->envp);
    if (eval_metrics_init(&r->metrics, s, 30000) != 0) {
        run_fail(r, "out of memory for the metrics");
        return;
    }
    r->metrics_ready = 1;
    sim_dispatch_world world = {.ctx = r, .schedule = dispatch_schedule, .track = dispatch_track,
                                .by_phone = r->opt->by_phone ? dispatch_by_phone : NULL};
    int drc = sim_dispatch_new(&r->dispatch, s, &r->frame, &r->metrics, &world);
    if (drc == SIM_EINVAL) {
        run_fail(r, "%s: dispatchers must be 1 to 1024", s->file);
        return;
    }
    if (drc != 0) {
        run_fail(r, "out of memory");
        return;
    }
    eng_config cfg;
    sim_engine_config(s, &cfg);
    eng_status st = eng_init(&r->eng, &cfg, sink, r);
    if (st != ENG_OK) {
        run_fail(r, "cannot start the engine: %s", eng_strerror(st));
        return;
    }
    r->eng_ready = 1;
    if (sim_envmap_init(&r->env, s, &r->frame) != 0) {
        run_fail(r, "out of memory for the environment map");
        return;
    }
    r->env_ready = 1;
    if (sim_heap_init(&r->heap, 1024) != 0) {
        run_fail(r, "out of memory for the event queue");
        return;
    }
    r->actors = calloc(s->n_actors ? s->n_actors : 1, sizeof *r->actors);
    r->motion_rng = calloc(s->n_actors ? s->n_actors : 1, sizeof *r->motion_rng);
    if (!r->actors || !r->motion_rng) {
        run_fail(r, "out of memory for the actors");
        return;
    }
    for (size_t a = 0; a < s->n_actors; a++) {
        const scn_actor *sa = &s->actors[a];
        /* Motion draws from its own stream, apart from the device's. */
        dev_rng_init(&r->motion_rng[a], s->seed, 0x100000000ULL + sa->id);
        int rc = sim_track_build(&r->actors[a].track, s, a, &r->frame, uniform_cb, &r->motion_rng[a]);
        if (rc != 0) {
            run_fail(r, "%s: actor '%s': cannot build its itinerary", s->file, sa->name);
            return;
        }
        if (sa->role == SCN_PATROL)
            continue;
        st = eng_add_device(&r->eng, sa->id, sa->role == SCN_OFFENDER ? ENG_ROLE_OFFENDER : ENG_ROLE_VICTIM);
        if (st != ENG_OK) {
            run_fail(r, "actor '%s': %s", sa->name, eng_strerror(st));
            return;
        }
        /* GNSS loss as the scenario's device says (sim_device_timeouts). */
        eng_device_timeouts to;
        sim_device_timeouts(&sa->device, &to);
        if (a == r->live_actor)
            to.no_comm_ms = 0; /* a real receiver: the engine's contact timeout */
        st = eng_set_device_timeouts(&r->eng, sa->id, &to);
        if (st != ENG_OK) {
            run_fail(r, "actor '%s': %s", sa->name, eng_strerror(st));
            return;
        }
        if (a == r->live_actor)
            continue; /* a real receiver reports for it */
        dev_unit_config uc;
        dev_kind kind = sa->role == SCN_OFFENDER ? DEV_TAG : DEV_PHONE;
        run_unit_config(&sa->device, kind, &uc);
        if (dev_unit_config_validate(&uc) != DEV_OK) {
            run_fail(r, "actor '%s': device settings out of range", sa->name);
            return;
        }
        r->actors[a].unit = malloc(sizeof *r->actors[a].unit);
        if (!r->actors[a].unit) {
            run_fail(r, "out of memory for the devices");
            return;
        }
        dev_unit_init(r->actors[a].unit, kind, sa->id, &uc, s->start, s->seed);
        push(r, dev_unit_next_due(r->actors[a].unit), EV_DUE, (uint32_t)a);
        queue_motion(r, a, 1);
    }
    for (size_t i = 0; i < s->n_cases; i++) {
        st = eng_add_case(&r->eng, &s->cases[i].def);
        if (st != ENG_OK) {
            run_fail(r, "case %s: %s", s->actors[s->cases[i].offender].name, eng_strerror(st));
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
    for (size_t i = 0; i < s->n_calls; i++)
        push(r, s->calls[i].at, EV_CALL, (uint32_t)i);
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
                run_fail(r, "%s", err.message);
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
        case EV_CALL:
            dispatch_check(r, sim_dispatch_call(r->dispatch, ev.index, now));
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
        return SIM_ERUN;
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
    run_record_open(r);
    sim_resolve_devices(s);
    if (!r->failed)
        setup(r);
    *out = r;
    return r->failed ? SIM_ERUN : SIM_OK;
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
    fix_to_engine(r, &m, now);
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
    run_record_truth(r);
    if (!r->failed)
        finish_report(r);
    if (!r->failed && r->live_actor < s->n_actors)
        snprintf(sum->report.truth, sizeof sum->report.truth, "traces");
    run_record_layers(r);
    for (size_t a = 0; r->actors && a < s->n_actors; a++) {
        if (r->actors[a].unit) {
            sum->fixes_lost += r->actors[a].unit->stats.lost;
            sum->reports_dropped += r->actors[a].unit->stats.store_dropped;
        }
    }
    run_record_close(r);
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
    int failed = r->failed;
    free(r);
    return failed ? SIM_ERUN : SIM_OK;
}

int sim_run(scn_scenario *s, const sim_run_options *opt, sim_summary *sum, char *err, size_t errlen)
{
    sim_session *r;
    if (sim_session_start(&r, s, opt, SIZE_MAX, sum, err, errlen) != 0 && !r)
        return SIM_ERUN;
    if (!sim_session_failed(r))
        advance(r, s->start + s->duration_ms);
    return sim_session_finish(r);
}
