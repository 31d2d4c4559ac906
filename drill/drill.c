/*
 * drill.c - drill variants: draw, run, check that every inject showed,
 * derive the timeline and the key from the engine's events, write
 * drill-K.json (and the PDFs, pages.c).  See drill.h.
 */
#include "drill.h"
#include "drl_internal.h"

#include "devices.h"
#include "record.h"
#include "render.h"
#include "scenario.h"
#include "sim.h"
#include "pw_grow.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void drl_options_default(drl_options *o)
{
    memset(o, 0, sizeof *o);
    o->count = 1;
    o->seed = 1;
    o->level = SCN_LEVEL_NORMAL;
    o->pictures = 1;
}

/* ---- collecting the run ------------------------------------------------ */

typedef struct last_fix {
    int has;
    double lat, lon;
} last_fix;

typedef struct collect {
    const scn_scenario *s;
    drl_variant *v;
    last_fix *fixes;             /* per actor: the newest fix the centre has */
    int failed;
} collect;

static size_t actor_of_device(const scn_scenario *s, pw_id device)
{
    for (size_t a = 0; a < s->n_actors; a++)
        if (s->actors[a].id == device)
            return a;
    return SIZE_MAX;
}

static void on_fix(void *ctx, const pw_fix *fix, int cause, pw_time_ms now)
{
    (void)cause;
    (void)now;
    collect *c = ctx;
    size_t a = actor_of_device(c->s, fix->device);
    if (a != SIZE_MAX && isfinite(fix->lat) && isfinite(fix->lon))
        c->fixes[a] = (last_fix){1, fix->lat, fix->lon};
}

static const scn_case *case_of_offender(const scn_scenario *s, size_t actor, size_t *index)
{
    for (size_t i = 0; i < s->n_cases; i++)
        if (s->cases[i].offender == actor) {
            *index = i;
            return &s->cases[i];
        }
    return NULL;
}

static void on_event(void *ctx, const pw_event *ev)
{
    collect *c = ctx;
    if (ev->type == PW_EV_REVEAL_UPDATE || ev->type == PW_EV_DISCLOSURE || ev->type == PW_EV_INCIDENT_UPDATE ||
        ev->type == PW_EV_FIX_REJECTED)
        return; /* not what a trainee's console pages are about */
    drl_variant *v = c->v;
    if (pw_grow((void **)&v->events, &v->cap_events, v->n_events + 1, sizeof *v->events) != 0) {
        c->failed = 1;
        return;
    }
    drl_event *e = &v->events[v->n_events++];
    memset(e, 0, sizeof *e);
    e->ev = *ev;
    e->near_m = NAN;
    if (ev->type == PW_EV_PANIC && !e->ev.case_id) {
        /* Her case: the one whose victim carries the phone. */
        size_t a = actor_of_device(c->s, ev->device);
        for (size_t i = 0; a != SIZE_MAX && i < c->s->n_cases; i++)
            if (c->s->cases[i].victim == a) {
                e->ev.case_id = c->s->cases[i].def.id;
                break;
            }
    }
    if (ev->type == PW_EV_TAMPER) {
        /* Near his victim by what the centre knows: the newest fixes. */
        size_t a = actor_of_device(c->s, ev->device), ci;
        const scn_case *k = a != SIZE_MAX ? case_of_offender(c->s, a, &ci) : NULL;
        if (k && c->fixes[a].has && c->fixes[k->victim].has) {
            eng_frame fr;
            if (eng_frame_init(&fr, c->fixes[k->victim].lat, c->fixes[k->victim].lon) == ENG_OK) {
                double x, y;
                eng_geo_to_local(&fr, c->fixes[a].lat, c->fixes[a].lon, &x, &y);
                e->near_m = hypot(x, y);
            }
            e->ev.case_id = k->def.id;
        }
    }
}

/* ---- a variant ----------------------------------------------------------- */

static double draw_uniform(void *ctx) { return dev_rng_uniform(ctx); }

void drl_variant_free(drl_variant *v)
{
    scn_free(&v->s);
    free(v->events);
    free(v->shown);
    rnd_run_free(&v->run);
    rnd_console_feed_free(&v->feed);
    free(v->actions);
    free(v->timeline);
    free(v->moments);
    memset(v, 0, sizeof *v);
}

/* The first event of type t (device d unless 0) in [from, to], or NULL. */
static const drl_event *find_event(const drl_variant *v, pw_event_type t, pw_id device, pw_time_ms from, pw_time_ms to)
{
    for (size_t i = 0; i < v->n_events; i++) {
        const pw_event *e = &v->events[i].ev;
        if (e->type == t && (!device || e->device == device) && e->time >= from && e->time <= to)
            return &v->events[i];
    }
    return NULL;
}

/* When inject i shows on the console (its effect's first event), or -1
 * with why in buf. */
static pw_time_ms inject_shown(const drl_variant *v, const scn_inject *in, char *why, size_t n)
{
    const scn_scenario *s = &v->s;
    pw_id dev = in->actor < s->n_actors ? s->actors[in->actor].id : 0;
    const drl_event *e = NULL;
    switch (in->kind) {
    case SCN_INJ_TAMPER:
        e = find_event(v, PW_EV_TAMPER, dev, in->at, in->at + 10 * 60000);
        if (!e)
            snprintf(why, n, "no tamper event within 10 min");
        break;
    case SCN_INJ_PANIC:
        e = find_event(v, PW_EV_PANIC, dev, in->at, in->at + 5 * 60000);
        if (!e)
            snprintf(why, n, "the panic never reached the centre (an outage?)");
        break;
    case SCN_INJ_BATTERY: {
        const pw_event_type ts[] = {PW_EV_DEVICE_OFF, PW_EV_SIGNAL_LOST, PW_EV_COMM_LOST};
        for (size_t k = 0; k < 3; k++) {
            const drl_event *x = find_event(v, ts[k], dev, in->at, in->at + 20 * 60000);
            if (x && (!e || x->ev.time < e->ev.time))
                e = x;
        }
        if (!e)
            snprintf(why, n, "the dead battery raised nothing within 20 min");
        break;
    }
    case SCN_INJ_TUNNEL:
        e = find_event(v, PW_EV_SIGNAL_LOST, dev, in->at, in->until + 5 * 60000);
        if (!e)
            snprintf(why, n, "no signal lost before the tunnel's end");
        break;
    case SCN_INJ_OUTAGE:
    case SCN_INJ_CALL: /* the 112 line takes it at once */
        return in->at;
    case SCN_INJ_CANYON: {
        /* a false alert that opened in the canyon while it was expected */
        eng_frame fr;
        if (eng_frame_init(&fr, in->place.lat, in->place.lon) != ENG_OK)
            break;
        for (size_t k = 0; k < v->run.n_alerts; k++) {
            const rnd_alert *a = &v->run.alerts[k];
            double x, y;
            eng_geo_to_local(&fr, a->at.lat, a->at.lon, &x, &y);
            /* the canyon's: its multipath (a sustained pull, or one fix
             * thrown far: the metrics' urban_canyon or noise_jump), not a
             * tunnel's exit or a cell position that happened to be there */
            int canyon = !strcmp(a->cause, "urban_canyon") || !strcmp(a->cause, "noise_jump");
            if (!a->is_true && canyon && a->start >= in->at && a->start <= in->until && hypot(x, y) <= in->radius_m)
                return a->start;
        }
        snprintf(why, n, "no false alert of the canyon's (urban_canyon, noise_jump) opened inside it in its time");
        return -1;
    }
    default:
        break;
    }
    return e ? e->ev.time : -1;
}

static int fail(char *err, size_t n, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return code;
}

typedef struct phone_set {
    const drl_phone *p;
    size_t n;
} phone_set;

/* The desk handles by phone the alarms a run's truth showed false. */
static int by_phone(void *ctx, const pw_event *open)
{
    const phone_set *ps = ctx;
    if (open->reason != PW_EV_ALARM_OPEN)
        return 0;
    for (size_t i = 0; i < ps->n; i++)
        if (ps->p[i].case_id == open->case_id && ps->p[i].open == open->time)
            return 1;
    return 0;
}

/* Load, run and read back variant k, attempt `attempt`, the desk handling
 * the alarms in `phone` by phone. */
static int run_variant(const drl_options *o, int k, int attempt, const phone_set *phone, drl_variant *v, char *err,
                       size_t n)
{
    memset(v, 0, sizeof *v);
    v->k = k;
    v->attempt = attempt;
    dev_rng draws, seeds;
    uint64_t stream = ((uint64_t)k << 8) | (uint64_t)attempt;
    dev_rng_init(&draws, o->seed, 0x6472696c6c000000ULL | stream);   /* "drill" */
    dev_rng_init(&seeds, o->seed, 0x7365656400000000ULL | stream);   /* "seed" */
    v->seed = 1 + (uint64_t)(dev_rng_uniform(&seeds) * 2147483646.0);
    scn_options so;
    memset(&so, 0, sizeof so);
    so.has_seed = 1;
    so.seed = v->seed;
    so.uniform = draw_uniform;
    so.uniform_ctx = &draws;
    so.level = o->level;
    scn_error se;
    memset(&se, 0, sizeof se);
    if (scn_load_file(&v->s, o->template_path, &so, &se) != SCN_OK)
        return fail(err, n, DRL_EINVAL, "%s", se.message);
    if (!v->s.drill.present)
        return fail(err, n, DRL_EINVAL, "%s: not a drill template: it has no drill { } (scenarios/drills/README.md)",
                    o->template_path);
    if (!v->s.n_injects)
        return fail(err, n, DRL_EINVAL, "%s: no inject { } at level %s", o->template_path, scn_level_name(o->level));
    /* The simulated desk stands for the trainee taken by the book: each
     * call takes it exactly the 60 s the key allows, so that no page shows
     * a patrol sent before its deadline. */
    v->s.dispatch.handling = SCN_DIST_FIXED;
    v->s.dispatch.handling_mean_ms = DRL_DISPATCH_DEADLINE_MS;

    snprintf(v->dir, sizeof v->dir, "%s/drill-%d", o->out_dir, k);
    collect c = {.s = &v->s, .v = v};
    c.fixes = calloc(v->s.n_actors ? v->s.n_actors : 1, sizeof *c.fixes);
    if (!c.fixes)
        return fail(err, n, DRL_ENOMEM, "out of memory");
    sim_run_options ro;
    memset(&ro, 0, sizeof ro);
    ro.out_dir = v->dir;
    ro.record = 1;
    ro.on_event = on_event;
    ro.on_event_ctx = &c;
    ro.on_fix = on_fix;
    ro.on_fix_ctx = &c;
    ro.by_phone = by_phone;
    ro.by_phone_ctx = (void *)phone;
    sim_summary sum;
    int rc = sim_run(&v->s, &ro, &sum, err, n);
    free(c.fixes);
    if (rc != 0)
        return rc == SIM_EINVAL ? DRL_EINVAL : DRL_ERUN;
    if (c.failed)
        return fail(err, n, DRL_ENOMEM, "out of memory collecting the events");
    if (rnd_run_load(&v->run, v->dir, err, n) != RND_OK || rnd_console_feed_load(&v->feed, v->dir, err, n) != RND_OK)
        return DRL_ERUN;
    v->shown = calloc(v->s.n_injects, sizeof *v->shown);
    if (!v->shown)
        return fail(err, n, DRL_ENOMEM, "out of memory");
    v->valid = 1;
    for (size_t i = 0; i < v->s.n_injects; i++) {
        char why[200];
        v->shown[i] = inject_shown(v, &v->s.injects[i], why, sizeof why);
        if (v->shown[i] < 0 && v->valid) {
            v->valid = 0;
            snprintf(v->why, sizeof v->why, "inject '%s' (line %d): %s", v->s.injects[i].name,
                     v->s.injects[i].line, why);
        }
    }
    return 0;
}

static int generate(const drl_options *o, const rnd_basemap *base, char *err, size_t n);

/* The false alarms of a run: 1 when all are in *ps already, else they are
 * added (0), or -1 out of memory. */
static int false_alarms_known(const drl_variant *v, drl_phone **p, size_t *np, size_t *cap)
{
    int known = 1;
    for (size_t i = 0; i < v->run.n_alerts; i++) {
        const rnd_alert *a = &v->run.alerts[i];
        if (a->is_true)
            continue;
        int have = 0;
        for (size_t j = 0; j < *np && !have; j++)
            have = (*p)[j].case_id == (pw_id)a->case_id && (*p)[j].open == a->start;
        if (have)
            continue;
        if (pw_grow((void **)p, cap, *np + 1, sizeof **p) != 0)
            return -1;
        (*p)[(*np)++] = (drl_phone){(pw_id)a->case_id, a->start};
        known = 0;
    }
    return known;
}

/*
 * One attempt: the variant run until the desk's view of false alarms is the
 * truth's.  The first run sends patrols to every alarm; its false alarms
 * are then handled by phone in the next run, whose false alarms are the
 * same unless an incident's new timing changed one (at most 3 runs).
 */
#define DRL_MAX_PASSES 3
static int run_attempt(const drl_options *o, int k, int attempt, drl_variant *v, char *err, size_t n)
{
    drl_phone *p = NULL;
    size_t np = 0, cap = 0;
    int rc = 0;
    for (int pass = 1; pass <= DRL_MAX_PASSES; pass++) {
        phone_set ps = {p, np};
        rc = run_variant(o, k, attempt, &ps, v, err, n);
        if (rc)
            break;
        v->passes = pass;
        if (!v->valid)
            break; /* an inject did not show: drawn again anyway */
        int known = false_alarms_known(v, &p, &np, &cap);
        if (known < 0) {
            rc = fail(err, n, DRL_ENOMEM, "out of memory");
            break;
        }
        if (known)
            break;
        if (pass == DRL_MAX_PASSES) { /* the desk never caught up with the truth: draw again */
            v->valid = 0;
            snprintf(v->why, sizeof v->why, "the desk's false alarms still changed after %d runs", pass);
            break;
        }
        drl_variant_free(v);
    }
    free(p);
    return rc;
}

static int make_dir(const char *dir, char *err, size_t n)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return fail(err, n, DRL_ERUN, "%s: cannot create the folder: %s", dir, strerror(errno));
    return 0;
}

int drl_generate(const drl_options *o, char *err, size_t n)
{
    if (!o->template_path || !o->out_dir)
        return fail(err, n, DRL_EINVAL, "a template and an output folder are needed");
    if (o->count < 1 || o->count > DRL_MAX_COUNT)
        return fail(err, n, DRL_EINVAL, "--count %d: give 1 to %d variants", o->count, DRL_MAX_COUNT);
    if (!scn_level_name(o->level))
        return fail(err, n, DRL_EINVAL, "the level must be easy, normal or hard");
    int rc = make_dir(o->out_dir, err, n);
    if (rc)
        return rc;
    rnd_basemap base;
    memset(&base, 0, sizeof base);
    if (o->pictures && rnd_basemap_load(&base, NULL, err, n) != RND_OK)
        return DRL_ERUN;
    rc = generate(o, &base, err, n);
    rnd_basemap_free(&base);
    return rc;
}

static int generate(const drl_options *o, const rnd_basemap *base, char *err, size_t n)
{
    int rc = 0;
    for (int k = 1; k <= o->count; k++) {
        drl_variant v;
        int attempt;
        for (attempt = 0; attempt < DRL_MAX_ATTEMPTS; attempt++) {
            rc = run_attempt(o, k, attempt, &v, err, n);
            if (rc != 0) {
                drl_variant_free(&v);
                return rc;
            }
            if (v.valid)
                break;
            if (o->progress)
                fprintf(stderr, "drill %d: attempt %d drawn again: %s\n", k, attempt + 1, v.why);
            if (attempt + 1 < DRL_MAX_ATTEMPTS)
                drl_variant_free(&v);
        }
        if (!v.valid) {
            rc = fail(err, n, DRL_EINVAL, "%s: drill %d: no valid variant in %d attempts; the last: %s",
                      o->template_path, k, DRL_MAX_ATTEMPTS, v.why);
            drl_variant_free(&v);
            return rc;
        }
        rc = drl_build_key(&v);
        if (rc == 0)
            rc = drl_write_json(&v, o, err, n);
        if (rc == 0 && o->pictures)
            rc = drl_write_pdfs(&v, o, base, err, n);
        if (rc == DRL_ENOMEM)
            fail(err, n, DRL_ENOMEM, "out of memory building drill %d", k);
        if (rc == 0 && o->progress)
            fprintf(stderr, "drill %d of %d: %zu injects, %zu expected actions (%d attempt%s)\n", k, o->count,
                    v.s.n_injects, v.n_actions, attempt + 1, attempt ? "s" : "");
        drl_variant_free(&v);
        if (rc)
            return rc;
    }
    return 0;
}
