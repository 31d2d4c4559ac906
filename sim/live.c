/*
 * live.c - a real receiver in a simulated city.  libuv runs three things:
 * a poll on gpsd's socket (read with libgps, non-blocking), a 100 ms timer
 * that advances the simulation to the wall clock, and a reconnect timer
 * for when gpsd goes away.  SIGINT ends the run early, with its outputs.
 */
#include "devices.h"
#include "traces.h"
#include "sim.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

typedef struct live {
    scn_scenario *s;
    const sim_live_options *o;
    sim_run_options ro;
    sim_summary *sum;
    sim_session *ss;
    size_t actor;
    uv_loop_t loop;
    uv_poll_t poll;
    uv_timer_t tick, reconnect;
    uv_signal_t sigint;
    int poll_active;
    trc_gpsd_live *gpsd;
    uint64_t wall_base;         /* uv_now at the first fix */
    pw_time_ms sim_base;        /* simulated time then */
    uint64_t wall_started;
    int connected_once;
    uint64_t reconnects;
    uint64_t bad_dates;         /* fixes ignored for an implausible date */
    int anchored;               /* --relocate: the first plausible fix was seen */
    int region_said;            /* a receiver fix out of the region was said */
    sim_relocation reloc;       /* --relocate, from that fix */
    char *err;
    size_t errlen;
    int rc;
} live;

static pw_time_ms sim_now(const live *l)
{
    double elapsed = (double)(uv_now((uv_loop_t *)&l->loop) - l->wall_base) * l->o->speed;
    return l->sim_base + (pw_time_ms)llround(elapsed);
}

static void print_event(void *ctx, const pw_event *ev)
{
    live *l = ctx;
    if (l->o->quiet)
        return;
    switch (ev->type) {
    case PW_EV_PREWARN_OPEN: case PW_EV_ALARM_OPEN: case PW_EV_ALARM_CLOSE: case PW_EV_REVEAL_OPEN:
    case PW_EV_REVEAL_CLOSE: case PW_EV_INCIDENT_OPEN: case PW_EV_INCIDENT_CLOSE: case PW_EV_ESCALATION:
    case PW_EV_SIGNAL_LOST: case PW_EV_COMM_LOST: case PW_EV_TAMPER: case PW_EV_PANIC: {
        char line[1024];
        sim_event_json(ev, line, sizeof line);
        fputs(line, stdout);
        fflush(stdout);
        break;
    }
    default:
        break;
    }
}

static void stop_all(live *l)
{
    uv_stop(&l->loop);
}

int sim_live_date_plausible(pw_time_ms fix_ms, pw_time_ms wall_ms)
{
    if (fix_ms < SIM_LIVE_MIN_DATE_MS)
        return 0;
    if (wall_ms < SIM_LIVE_MIN_DATE_MS)
        return 1; /* the host has no clock worth comparing with */
    pw_time_ms skew = fix_ms > wall_ms ? fix_ms - wall_ms : wall_ms - fix_ms;
    return skew <= SIM_LIVE_MAX_SKEW_MS;
}

/* The host's wall clock, ms UTC: only to judge a receiver's dates. */
static pw_time_ms wall_clock_ms(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
        return 0;
    return (pw_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_fix(void *ctx, const pw_fix *f, const trc_fix_extra *x)
{
    (void)x;
    live *l = ctx;
    if (!l->o->any_date && !sim_live_date_plausible(f->time, wall_clock_ms())) {
        /* A receiver starting cold may date its first fixes 1970 or 1980;
         * one such fix would set the clock and make every true one
         * "future".  Say so once; the count comes at the end. */
        if (l->bad_dates++ == 0) {
            char when[40];
            pw_format_time(f->time, when, sizeof when);
            fprintf(stderr,
                    "proxwatch live: ignoring receiver fixes with implausible dates (first: %s): before "
                    "2020 or more than 24 h from this computer's clock\n",
                    when);
        }
        return;
    }
    if (!l->anchored && (f->set & PW_FIX_LATLON_SET) && l->o->relocate) {
        l->anchored = 1;
        sim_relocation_init(&l->reloc, f->lat, f->lon, l->o->relocate_lat, l->o->relocate_lon);
    }
    pw_fix moved = *f;
    sim_relocation_apply(&l->reloc, &moved);
    f = &moved;
    char note[400];
    /* Said once, for the first receiver fix out of the region (before or
     * after the move: a first fix far off would move the rest astray). */
    if (!l->region_said && (f->set & PW_FIX_LATLON_SET) && sim_live_region_note(l->s, f, note, sizeof note)) {
        l->region_said = 1;
        if (l->o->relocate)
            fprintf(stderr, "proxwatch live: after --relocate, %s (the move is anchored on the receiver's first "
                            "fix: was it far off?)\n", note);
        else
            fprintf(stderr, "proxwatch live: %s; --relocate start moves its track rigidly to its actor's "
                            "start\n", note);
    }
    if (!l->ss) {
        /* The first fix sets the clock: the scenario starts at its second. */
        pw_time_ms t0 = f->time - ((f->time % 1000) + 1000) % 1000;
        scn_shift_time(l->s, t0 - l->s->start);
        if (sim_session_start(&l->ss, l->s, &l->ro, l->actor, l->sum, l->err, l->errlen) != 0) {
            l->rc = SIM_ERUN;
            stop_all(l);
            return;
        }
        l->wall_base = uv_now(&l->loop);
        l->sim_base = t0;
    }
    sim_session_live_fix(l->ss, f, sim_now(l));
}

int sim_live_region_note(const scn_scenario *s, const pw_fix *f, char *buf, size_t n)
{
    eng_config cfg;
    eng_config_default(&cfg, s->origin.lat, s->origin.lon);
    double d = sim_great_circle_m(s->origin.lat, s->origin.lon, f->lat, f->lon);
    if (!(d > cfg.region_radius_m))
        return 0;
    if (buf && n)
        snprintf(buf, n,
                 "the receiver is %.0f km from the scenario's origin (%.5f, %.5f), beyond the %.0f km the "
                 "engine watches: its fixes there are rejected as out of region",
                 d / 1000.0, s->origin.lat, s->origin.lon, cfg.region_radius_m / 1000.0);
    return 1;
}

int sim_live_relocate_target(const scn_scenario *s, scn_role as, const char *where, double *lat, double *lon)
{
    const scn_point *p = NULL;
    if (!strcmp(where, "origin"))
        p = &s->origin;
    for (size_t a = 0; a < s->n_actors && !p; a++)
        if ((!strcmp(where, "start") && s->actors[a].role == as) || !strcmp(where, s->actors[a].name))
            p = &s->actors[a].start;
    if (p) {
        *lat = p->lat;
        *lon = p->lon;
        return 0;
    }
    return sim_parse_latlon(where, lat, lon) ? 0 : SIM_EINVAL;
}

static void connect_gpsd(live *l);
static void reconnect_cb(uv_timer_t *t);
static void poll_closed(uv_handle_t *h);

static void on_readable(uv_poll_t *h, int status, int events)
{
    (void)events;
    live *l = h->data;
    if (status < 0 || trc_gpsd_live_read(l->gpsd, l->s->actors[l->actor].id, on_fix, l) < 0) {
        /* gpsd went away: drop the connection and try again each second. */
        if (!l->o->quiet)
            fprintf(stderr, "proxwatch live: lost gpsd at %s:%s, reconnecting\n", l->o->host, l->o->port);
        uv_poll_stop(&l->poll);
        /* A poll handle is closed, not re-initialised; the reconnect starts
         * once libuv has let go of it (and of the old socket). */
        uv_close((uv_handle_t *)&l->poll, poll_closed);
    }
}

static void poll_closed(uv_handle_t *h)
{
    live *l = h->data;
    l->poll_active = 0;
    trc_gpsd_live_close(l->gpsd);
    l->gpsd = NULL;
    uv_timer_start(&l->reconnect, reconnect_cb, 1000, 0);
}

static void reconnect_cb(uv_timer_t *t)
{
    connect_gpsd(t->data);
}

static void connect_gpsd(live *l)
{
    if (trc_gpsd_live_open(&l->gpsd, l->o->host, l->o->port) != TRC_OK) {
        l->gpsd = NULL;
        if (l->o->connect_timeout_ms && !l->connected_once &&
            uv_now(&l->loop) - l->wall_started > (uint64_t)l->o->connect_timeout_ms) {
            snprintf(l->err, l->errlen, "gpsd at %s:%s did not answer", l->o->host, l->o->port);
            l->rc = SIM_ERUN;
            stop_all(l);
            return;
        }
        uv_timer_start(&l->reconnect, reconnect_cb, 250, 0);
        return;
    }
    l->reconnects += l->connected_once;
    l->connected_once = 1;
    uv_poll_init(&l->loop, &l->poll, trc_gpsd_live_fd(l->gpsd));
    l->poll.data = l;
    uv_poll_start(&l->poll, UV_READABLE, on_readable);
    l->poll_active = 1;
}

static void tick_cb(uv_timer_t *t)
{
    live *l = t->data;
    if (!l->ss)
        return;
    pw_time_ms now = sim_now(l);
    sim_session_advance(l->ss, now);
    if (sim_session_failed(l->ss) || now >= l->s->start + l->s->duration_ms)
        stop_all(l);
}

static void sigint_cb(uv_signal_t *h, int signum)
{
    (void)signum;
    live *l = h->data;
    if (l->ss) {
        /* End the scenario now: the outputs cover what happened. */
        pw_time_ms now = sim_now(l);
        if (now > l->s->start && now < l->s->start + l->s->duration_ms)
            l->s->duration_ms = now - l->s->start;
    }
    stop_all(l);
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int sim_live(scn_scenario *s, const sim_live_options *o, sim_summary *sum, char *err, size_t errlen)
{
    memset(sum, 0, sizeof *sum);
    live l;
    memset(&l, 0, sizeof l);
    l.s = s;
    l.o = o;
    l.sum = sum;
    l.err = err;
    l.errlen = errlen;
    l.actor = SIZE_MAX;
    for (size_t a = 0; a < s->n_actors && l.actor == SIZE_MAX; a++)
        if (s->actors[a].role == o->as)
            l.actor = a;
    if (l.actor == SIZE_MAX) {
        snprintf(err, errlen, "%s: the scenario has no %s for the receiver to be", s->file,
                 o->as == SCN_OFFENDER ? "offender" : "victim");
        return SIM_EINVAL;
    }
    if (!(o->speed > 0)) {
        snprintf(err, errlen, "the speed must be positive");
        return SIM_EINVAL;
    }
    l.ro = (sim_run_options){.out_dir = o->out_dir, .progress = 0, .record = 1, .gpkg = o->gpkg, .on_event = print_event,
                             .on_event_ctx = &l};
    if (uv_loop_init(&l.loop) != 0) {
        snprintf(err, errlen, "cannot start the event loop");
        return SIM_ERUN;
    }
    l.wall_started = uv_now(&l.loop);
    uv_timer_init(&l.loop, &l.tick);
    uv_timer_init(&l.loop, &l.reconnect);
    uv_signal_init(&l.loop, &l.sigint);
    l.tick.data = l.reconnect.data = l.sigint.data = &l;
    uv_timer_start(&l.tick, tick_cb, 100, 100);
    uv_signal_start(&l.sigint, sigint_cb, SIGINT);
    connect_gpsd(&l);
    if (!l.rc)
        uv_run(&l.loop, UV_RUN_DEFAULT);
    if (l.ss) {
        sim_session_advance(l.ss, sim_now(&l));
        if (sim_session_finish(l.ss) != 0 && !l.rc)
            l.rc = SIM_ERUN;
        sum->reconnects = l.reconnects;
    } else if (!l.rc) {
        if (l.bad_dates)
            snprintf(err, errlen, "no fix with a plausible date came from gpsd at %s:%s (%llu ignored)", o->host,
                     o->port, (unsigned long long)l.bad_dates);
        else
            snprintf(err, errlen, "no fix came from gpsd at %s:%s", o->host, o->port);
        l.rc = SIM_ERUN;
    }
    sum->fixes_bad_date = l.bad_dates;
    if (l.bad_dates)
        fprintf(stderr, "proxwatch live: %llu receiver fixes ignored for implausible dates\n",
                (unsigned long long)l.bad_dates);
    if (l.gpsd)
        trc_gpsd_live_close(l.gpsd);
    uv_walk(&l.loop, close_walk, NULL);
    uv_run(&l.loop, UV_RUN_DEFAULT);
    uv_loop_close(&l.loop);
    return l.rc;
}

const char *sim_libuv_version(void)
{
    /* The headers it was built with (the library loaded at run time may be
     * a later compatible one: uv_version_string()). */
#define PW_STR2(x) #x
#define PW_STR(x) PW_STR2(x)
    return PW_STR(UV_VERSION_MAJOR) "." PW_STR(UV_VERSION_MINOR) "." PW_STR(UV_VERSION_PATCH);
#undef PW_STR
#undef PW_STR2
}
