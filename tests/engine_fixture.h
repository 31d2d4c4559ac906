/*
 * engine_fixture.h - one engine, a recording sink and fix helpers for the
 * engine's test programs (test_engine.c, test_alerts.c).  Scenarios are
 * built in local metres around Seoul City Hall.  Included by one .c file
 * each: the state below is that program's own.
 */
#ifndef PW_ENGINE_FIXTURE_H
#define PW_ENGINE_FIXTURE_H

#include "engine.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const double LAT0 = 37.5665, LON0 = 126.9780;
/* Monday 2026-11-30 00:00 KST = 2026-11-29T15:00:00Z. */
static const pw_time_ms MONDAY = 1795964400000LL;
static const pw_time_ms SEC = 1000, MIN = 60000, HOUR = 3600000;

enum { OFF = 1, VIC = 2, CASE = 100 };

/* ---- recording sink -------------------------------------------------- */

typedef struct recording {
    pw_event *ev;
    size_t n, cap;
} recording;

static recording rec;

static inline void record_cb(void *ctx, const pw_event *ev)
{
    recording *r = ctx;
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->ev = realloc(r->ev, r->cap * sizeof *r->ev);
        if (!r->ev)
            abort();
    }
    r->ev[r->n++] = *ev;
}

static inline void rec_reset(void)
{
    rec.n = 0;
}

static inline size_t count(pw_event_type t)
{
    size_t k = 0;
    for (size_t i = 0; i < rec.n; i++)
        k += rec.ev[i].type == t;
    return k;
}

static const pw_event *first_of(pw_event_type t, pw_id device)
{
    for (size_t i = 0; i < rec.n; i++)
        if (rec.ev[i].type == t && (!device || rec.ev[i].device == device))
            return &rec.ev[i];
    return NULL;
}

static const pw_event *first(pw_event_type t)
{
    return first_of(t, 0);
}

static uint64_t rng;

/* ---- engine fixture ------------------------------------------------ */

static eng_engine eng;
static eng_frame frame;

static inline void start(eng_config *cfg, const eng_case_def *c)
{
    eng_config base;
    if (!cfg) {
        eng_config_default(&base, LAT0, LON0);
        cfg = &base;
    }
    rec_reset();
    CU_ASSERT_EQUAL_FATAL(eng_init(&eng, cfg, record_cb, &rec), ENG_OK);
    eng_frame_init(&frame, LAT0, LON0);
    if (c) {
        CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, c->offender, ENG_ROLE_OFFENDER), ENG_OK);
        CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, c->victim, ENG_ROLE_VICTIM), ENG_OK);
        CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, c), ENG_OK);
    }
}

static inline eng_case_def default_case(void)
{
    eng_case_def c;
    eng_case_default(&c, CASE, OFF, VIC);
    return c;
}

static inline eng_status fix_src(pw_id dev, pw_time_ms t, double x, double y, double acc, pw_fix_source src)
{
    pw_fix f;
    pw_fix_clear(&f);
    f.device = dev;
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET;
    f.time = t;
    f.source = src;
    eng_geo_to_wgs84(&frame, x, y, &f.lat, &f.lon);
    f.acc_m = acc;
    return eng_on_fix(&eng, &f, t);
}

static inline eng_status fix(pw_id dev, pw_time_ms t, double x, double y, double acc)
{
    return fix_src(dev, t, x, y, acc, PW_SRC_GNSS);
}

/* Tick once a second over (from, to]. */
static inline void ticks(pw_time_ms from, pw_time_ms to)
{
    for (pw_time_ms t = from - from % SEC + SEC; t <= to; t += SEC)
        eng_tick(&eng, t);
}


#endif
