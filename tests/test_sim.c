/*
 * test_sim.c - the simulator core: the event heap, truth timelines built
 * from hand-made scenarios (walks, dwells, departure times, random speeds,
 * polylines, loops, subway rides), timeline queries, patrol dispatch and the
 * GNSS environment map.
 *
 * Scenarios are scn_scenario structs filled by hand around Seoul City Hall.
 * Points are placed in local metres and converted to WGS84 with
 * eng_geo_to_wgs84; the round trip back is exact to about 1e-9 m (measured),
 * so expected positions are the local metres written in the tests, within
 * 1e-6 m, and expected times are exact: each reference time below is
 * length / speed worked out by hand.
 *
 * Over 800 lines: one CUnit program for the simulator core (ctest lists
 * them by module); each test builds its own scenario by hand.
 */
#include "engine.h"
#include "scenario.h"
#include "sim.h"
#include "pw_grow.h"
#include "test_util.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static const double LAT0 = 37.5665, LON0 = 126.9780;
static const pw_time_ms T0 = 1795964400000LL; /* 2026-11-29T15:00:00Z */
static const pw_time_ms SEC = 1000, MIN = 60000, HOUR = 3600000;
static const double EPS_M = 1e-6;

/* ---- seeded generator (splitmix64), in the uniform-callback shape ---- */

static double splitmix_uniform(void *ctx)
{
    uint64_t *state = ctx;
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (z >> 11) * (1.0 / 9007199254740992.0);
}

/* A fake generator: returns values[0], values[1], ... and counts calls. */
typedef struct fake_uniform {
    const double *values;
    size_t n, calls;
} fake_uniform;

static double fake_uniform_cb(void *ctx)
{
    fake_uniform *f = ctx;
    return f->values[f->calls++ % f->n];
}

/* ---- hand-built scenarios ------------------------------------------ */

typedef struct fixture {
    scn_scenario s;
    scn_point points[64];
    scn_leg legs[16];
    scn_actor actors[4];
    scn_env_zone zones[8];
    eng_frame frame;
} fixture;

static fixture fx;

/* An empty one-hour scenario with one victim at (0, 0). */
static void fx_reset(void)
{
    memset(&fx, 0, sizeof fx);
    eng_frame_init(&fx.frame, LAT0, LON0);
    fx.s.start = T0;
    fx.s.duration_ms = HOUR;
    fx.s.origin = (scn_point){LAT0, LON0};
    fx.s.points = fx.points;
    fx.s.legs = fx.legs;
    fx.s.actors = fx.actors;
    fx.s.env_zones = fx.zones;
    fx.s.n_actors = 1;
    fx.actors[0].id = 1;
    fx.actors[0].role = SCN_VICTIM;
    eng_geo_to_wgs84(&fx.frame, 0, 0, &fx.actors[0].start.lat, &fx.actors[0].start.lon);
}

/* Append a point given in local metres; returns its index. */
static size_t fx_point(double x, double y)
{
    size_t i = fx.s.n_points++;
    eng_geo_to_wgs84(&fx.frame, x, y, &fx.points[i].lat, &fx.points[i].lon);
    return i;
}

/* Append a leg of actor 0 through the given local points (n may be 0). */
static scn_leg *fx_leg(scn_mode mode, double vmin, double vmax, const double (*xy)[2], size_t n,
                       pw_time_ms dwell_ms)
{
    scn_leg *leg = &fx.legs[fx.s.n_legs++];
    memset(leg, 0, sizeof *leg);
    leg->mode = mode;
    leg->speed_min_mps = vmin;
    leg->speed_max_mps = vmax;
    leg->first_point = fx.s.n_points;
    leg->n_points = n;
    for (size_t k = 0; k < n; k++)
        fx_point(xy[k][0], xy[k][1]);
    leg->dwell_ms = dwell_ms;
    leg->depart_at = -1;
    leg->line = -1;
    fx.actors[0].n_legs++;
    return leg;
}

static int build(sim_track *tr, double (*uniform)(void *), void *ctx)
{
    return sim_track_build(tr, &fx.s, 0, &fx.frame, uniform, ctx);
}

static void pos(const sim_track *tr, pw_time_ms t, double *x, double *y)
{
    sim_track_at(tr, t, NULL, x, y, NULL, NULL);
}

/* The whole span covered, no gaps in time, no jumps in position, t1 > t0. */
static void assert_covers(const sim_track *tr, pw_time_ms start, pw_time_ms end)
{
    CU_ASSERT_FATAL(tr->n > 0);
    CU_ASSERT_EQUAL(tr->seg[0].t0, start);
    CU_ASSERT_EQUAL(tr->seg[tr->n - 1].t1, end);
    for (size_t i = 0; i < tr->n; i++) {
        const sim_segment *g = &tr->seg[i];
        CU_ASSERT(g->t1 > g->t0);
        if (!g->moving) {
            CU_ASSERT_EQUAL(g->x0, g->x1);
            CU_ASSERT_EQUAL(g->y0, g->y1);
        }
        if (i + 1 < tr->n) {
            CU_ASSERT_EQUAL(g->t1, tr->seg[i + 1].t0);
            CU_ASSERT_EQUAL(g->x1, tr->seg[i + 1].x0);
            CU_ASSERT_EQUAL(g->y1, tr->seg[i + 1].y0);
        }
    }
}

/* ---- event heap ---------------------------------------------------- */

static int event_before(const sim_event *a, const sim_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

/* 5,000 pushes with times from a small range (many ties) pop in (t, seq)
 * order, each with the payload it was pushed with. */
static void test_heap_random_order(void)
{
    enum { N = 5000 };
    static pw_time_ms pushed_t[N];
    sim_heap h;
    CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 8), 0);
    uint64_t rng = 11;
    for (uint32_t i = 0; i < N; i++) {
        pushed_t[i] = T0 + (pw_time_ms)(splitmix_uniform(&rng) * 500);
        CU_ASSERT_EQUAL(sim_heap_push(&h, pushed_t[i], i % 7, i), 0);
    }
    CU_ASSERT_EQUAL(h.n, N);
    sim_event prev, ev;
    size_t popped = 0;
    while (sim_heap_pop(&h, &ev) == 0) {
        if (popped)
            CU_ASSERT(event_before(&prev, &ev));
        CU_ASSERT_EQUAL(ev.seq, ev.index); /* the i-th push got seq i */
        CU_ASSERT_EQUAL(ev.t, pushed_t[ev.index]);
        CU_ASSERT_EQUAL(ev.kind, ev.index % 7);
        prev = ev;
        popped++;
    }
    CU_ASSERT_EQUAL(popped, N);
    sim_heap_close(&h);
}

static void test_heap_equal_times_fifo(void)
{
    sim_heap h;
    CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 4), 0);
    /* Interleaved: t=5 a, t=3 b, t=5 c, t=3 d pops b d a c. */
    sim_heap_push(&h, 5, 0, 'a');
    sim_heap_push(&h, 3, 0, 'b');
    sim_heap_push(&h, 5, 0, 'c');
    sim_heap_push(&h, 3, 0, 'd');
    const char *want = "bdac";
    sim_event ev;
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(sim_heap_pop(&h, &ev), 0);
        CU_ASSERT_EQUAL(ev.index, (uint32_t)want[i]);
    }
    /* 1,000 at the same time come out in insertion order. */
    for (uint32_t i = 0; i < 1000; i++)
        sim_heap_push(&h, T0, 1, i);
    for (uint32_t i = 0; i < 1000; i++) {
        CU_ASSERT_EQUAL(sim_heap_pop(&h, &ev), 0);
        CU_ASSERT_EQUAL(ev.index, i);
        CU_ASSERT_EQUAL(ev.t, T0);
    }
    CU_ASSERT_EQUAL(sim_heap_pop(&h, &ev), SIM_EEMPTY);
    sim_heap_close(&h);
}

static void test_heap_grows_and_edges(void)
{
    sim_heap h;
    CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 0), 0);
    CU_ASSERT_PTR_NULL(sim_heap_peek(&h));
    CU_ASSERT_EQUAL(sim_heap_pop(&h, NULL), SIM_EEMPTY);
    for (uint32_t i = 0; i < 10000; i++)
        CU_ASSERT_EQUAL(sim_heap_push(&h, 10000 - (pw_time_ms)i, 0, i), 0);
    CU_ASSERT(h.cap >= 10000);
    CU_ASSERT_EQUAL(h.n, 10000);
    const sim_event *top = sim_heap_peek(&h);
    CU_ASSERT_PTR_NOT_NULL_FATAL(top);
    CU_ASSERT_EQUAL(top->t, 1);
    CU_ASSERT_EQUAL(top->index, 9999);
    CU_ASSERT_EQUAL(sim_heap_pop(&h, NULL), 0); /* out may be NULL */
    CU_ASSERT_EQUAL(sim_heap_peek(&h)->t, 2);
    sim_heap_close(&h);
    CU_ASSERT_PTR_NULL(h.items);
    CU_ASSERT_EQUAL(h.n, 0);
    sim_heap_close(&h); /* twice is fine */

    /* Room for at least 1; full after as many pushes as it has room for,
     * the next push grows it, and the order holds across the move. */
    CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 1), 0);
    CU_ASSERT_FATAL(h.cap >= 1);
    size_t room = h.cap;
    for (size_t k = 0; k <= room; k++)
        CU_ASSERT_EQUAL(sim_heap_push(&h, (pw_time_ms)(room - k), 0, (uint32_t)k), 0);
    CU_ASSERT(h.cap > room);
    CU_ASSERT_EQUAL(sim_heap_peek(&h)->index, room); /* pushed last, at time 0 */
    sim_heap_close(&h);

    /* A capacity whose byte count overflows fails before allocating and
     * leaves the heap empty. */
    CU_ASSERT_EQUAL(sim_heap_init(&h, SIZE_MAX), SIM_ENOMEM);
    CU_ASSERT_PTR_NULL(h.items);
    CU_ASSERT_EQUAL(h.n + h.cap, 0);
    sim_heap_close(&h);
    CU_ASSERT_STRING_EQUAL(sim_strerror(SIM_ENOMEM), "out of memory");
    CU_ASSERT_STRING_EQUAL(sim_strerror(SIM_EINVAL), "invalid input");
    CU_ASSERT_STRING_EQUAL(sim_strerror(SIM_ERUN), "the run failed");
    CU_ASSERT_STRING_EQUAL(sim_strerror(SIM_EEMPTY), "empty");
    CU_ASSERT_STRING_EQUAL(sim_strerror(-99), "unknown status");
    CU_ASSERT_STRING_EQUAL(sim_strerror(SIM_OK), "ok");
}

/* 100,000 random pushes, pops and peeks against a reference kept as an
 * array sorted latest-first (so the earliest is popped off the end). */
static void test_heap_against_reference(void)
{
    enum { OPS = 100000, MAXN = OPS };
    sim_event *ref = malloc(MAXN * sizeof *ref);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
    size_t n_ref = 0;
    uint64_t seq = 0, rng = 2024;
    sim_heap h;
    CU_ASSERT_EQUAL_FATAL(sim_heap_init(&h, 2), 0);
    int ok = 1;
    for (int op = 0; op < OPS && ok; op++) {
        double u = splitmix_uniform(&rng);
        if (u < 0.52 || n_ref == 0) {
            pw_time_ms t = (pw_time_ms)(splitmix_uniform(&rng) * 1000);
            sim_event e = {.t = t, .seq = seq++, .kind = 3, .index = (uint32_t)op};
            ok &= sim_heap_push(&h, t, 3, (uint32_t)op) == 0;
            /* Insert keeping ref sorted latest-first. */
            size_t i = n_ref;
            while (i > 0 && event_before(&ref[i - 1], &e)) {
                ref[i] = ref[i - 1];
                i--;
            }
            ref[i] = e;
            n_ref++;
        } else if (u < 0.95) {
            sim_event got;
            ok &= sim_heap_pop(&h, &got) == 0;
            sim_event want = ref[--n_ref];
            ok &= got.t == want.t && got.seq == want.seq && got.index == want.index &&
                  got.kind == want.kind;
        } else {
            const sim_event *top = sim_heap_peek(&h);
            ok &= top && top->seq == ref[n_ref - 1].seq;
        }
        ok &= h.n == n_ref;
    }
    CU_ASSERT(ok);
    CU_ASSERT_EQUAL(h.n, n_ref);
    CU_ASSERT(n_ref > 100); /* the run did build up a queue */
    sim_heap_close(&h);
    free(ref);
}

/* ---- truth timelines ----------------------------------------------- */

/* 1,000 m east at a fixed 1.25 m/s: 800 s exactly; 500 m at 400 s. */
static void test_walk_exact(void)
{
    fx_reset();
    static const double east[][2] = {{1000, 0}};
    fx_leg(SCN_WALK, 1.25, 1.25, east, 1, 0);
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL_FATAL(tr.n, 2);
    CU_ASSERT(tr.seg[0].moving);
    CU_ASSERT_EQUAL(tr.seg[0].mode, SCN_WALK);
    CU_ASSERT_EQUAL(tr.seg[0].t1, T0 + 800 * SEC);
    CU_ASSERT(!tr.seg[1].moving);
    double x, y;
    int moving, ug;
    sim_track_at(&tr, T0 + 400 * SEC, NULL, &x, &y, &moving, &ug);
    CU_ASSERT_DOUBLE_EQUAL(x, 500.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 0.0, EPS_M);
    CU_ASSERT_EQUAL(moving, 1);
    CU_ASSERT_EQUAL(ug, 0);
    sim_track_at(&tr, T0 + 800 * SEC, NULL, &x, &y, &moving, NULL);
    CU_ASSERT_DOUBLE_EQUAL(x, 1000.0, EPS_M);
    CU_ASSERT_EQUAL(moving, 0);
    /* After the itinerary the actor stays where it is. */
    pos(&tr, T0 + HOUR, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 1000.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 0.0, EPS_M);
    sim_track_close(&tr);
    CU_ASSERT_PTR_NULL(tr.seg);
    CU_ASSERT_EQUAL(tr.n, 0);
}

/* East 1,000 m at 1.25 (800 s), dwell 60 s, north 1,000 m at 2 m/s
 * (500 s): moves [0, 800), dwell [800, 860), move [860, 1360) s. */
static void test_dwell_then_next_leg(void)
{
    fx_reset();
    static const double east[][2] = {{1000, 0}}, north[][2] = {{1000, 1000}};
    fx_leg(SCN_WALK, 1.25, 1.25, east, 1, 60 * SEC);
    fx_leg(SCN_DRIVE, 2.0, 2.0, north, 1, 0);
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL_FATAL(tr.n, 4);
    CU_ASSERT_EQUAL(tr.seg[1].t0, T0 + 800 * SEC);
    CU_ASSERT_EQUAL(tr.seg[1].t1, T0 + 860 * SEC);
    CU_ASSERT_EQUAL(tr.seg[1].moving, 0);
    CU_ASSERT_EQUAL(tr.seg[2].t1, T0 + 1360 * SEC);
    CU_ASSERT_EQUAL(tr.seg[2].mode, SCN_DRIVE);
    double x, y;
    pos(&tr, T0 + 830 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 1000.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 0.0, EPS_M);
    pos(&tr, T0 + 1110 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 1000.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 500.0, EPS_M);
    sim_track_close(&tr);
}

/* depart_at = 10 min holds the walk: at home until 600 s, arrival at 1,400 s.
 * A second leg whose depart_at has passed leaves at once. */
static void test_depart_at_holds(void)
{
    fx_reset();
    static const double east[][2] = {{1000, 0}}, back[][2] = {{0, 0}};
    scn_leg *leg = fx_leg(SCN_WALK, 1.25, 1.25, east, 1, 0);
    leg->depart_at = T0 + 10 * MIN;
    leg = fx_leg(SCN_WALK, 1.25, 1.25, back, 1, 0);
    leg->depart_at = T0 + 5 * MIN; /* already passed when the leg comes */
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL_FATAL(tr.n, 4);
    CU_ASSERT_EQUAL(tr.seg[0].moving, 0);
    CU_ASSERT_EQUAL(tr.seg[0].t1, T0 + 600 * SEC);
    CU_ASSERT_EQUAL(tr.seg[1].t1, T0 + 1400 * SEC);
    CU_ASSERT_EQUAL(tr.seg[2].t0, T0 + 1400 * SEC);
    CU_ASSERT_EQUAL(tr.seg[2].moving, 1);
    CU_ASSERT_EQUAL(tr.seg[2].t1, T0 + 2200 * SEC);
    double x, y;
    pos(&tr, T0 + 599 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 0.0, EPS_M);
    pos(&tr, T0 + 1000 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 500.0, EPS_M);
    sim_track_close(&tr);

    /* A hold past the end is cut at the end. */
    fx.legs[0].depart_at = T0 + 2 * HOUR;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL(tr.n, 1);
    CU_ASSERT_EQUAL(tr.seg[0].moving, 0);
    sim_track_close(&tr);
}

/* Speeds come from the callback, one draw per leg: u = 0.25 and 0.75 on
 * [1, 2] m/s give 1.25 m/s (1,000 m in 800 s) and 1.75 m/s (1,000 m in
 * 571,428.57 ms, rounded to 571,429). */
static void test_speed_from_callback(void)
{
    fx_reset();
    static const double east[][2] = {{1000, 0}}, back[][2] = {{0, 0}};
    fx_leg(SCN_WALK, 1.0, 2.0, east, 1, 0);
    fx_leg(SCN_WALK, 0.0, 0.0, NULL, 0, 30 * SEC); /* a pure wait draws nothing */
    fx_leg(SCN_WALK, 1.0, 2.0, back, 1, 0);
    static const double us[] = {0.25, 0.75};
    fake_uniform fu = {us, 2, 0};
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, fake_uniform_cb, &fu), 0);
    CU_ASSERT_EQUAL(fu.calls, 2);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL_FATAL(tr.n, 4);
    CU_ASSERT_EQUAL(tr.seg[0].t1, T0 + 800 * SEC);
    CU_ASSERT_EQUAL(tr.seg[1].t1, T0 + 830 * SEC);
    CU_ASSERT_EQUAL(tr.seg[2].t1, T0 + 830 * SEC + 571429);
    sim_track_close(&tr);

    /* u = 0 and u = 1 give the ends of the range. */
    static const double ends[] = {0.0, 1.0};
    fake_uniform fe = {ends, 2, 0};
    CU_ASSERT_EQUAL_FATAL(build(&tr, fake_uniform_cb, &fe), 0);
    CU_ASSERT_EQUAL(tr.seg[0].t1, T0 + 1000 * SEC);
    CU_ASSERT_EQUAL(tr.seg[2].t1, T0 + 1030 * SEC + 500 * SEC);
    sim_track_close(&tr);

    /* A real generator: every drawn speed lies in [1, 2]. */
    uint64_t rng = 99;
    for (int k = 0; k < 200; k++) {
        CU_ASSERT_EQUAL_FATAL(build(&tr, splitmix_uniform, &rng), 0);
        double v = 1000.0 / ((double)(tr.seg[0].t1 - tr.seg[0].t0) / 1000.0);
        CU_ASSERT(v >= 1.0 - 1e-6 && v <= 2.0 + 1e-6);
        sim_track_close(&tr);
    }

    /* A generator outside [0, 1], or none when the speed varies: bad input,
     * and the track is left empty. */
    static const double bad[] = {1.5};
    fake_uniform fb = {bad, 1, 0};
    CU_ASSERT_EQUAL(build(&tr, fake_uniform_cb, &fb), SIM_EINVAL);
    CU_ASSERT_PTR_NULL(tr.seg);
    CU_ASSERT_EQUAL(tr.n, 0);
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    CU_ASSERT_EQUAL(tr.n, 0);
}

/* A polyline (0,0) -> (300,0) -> (300,400) -> (0,400): 1,000 m at 2 m/s,
 * vertices at 150 s, 350 s and 500 s. */
static void test_polyline_leg(void)
{
    fx_reset();
    static const double path[][2] = {{300, 0}, {300, 400}, {0, 400}};
    fx_leg(SCN_BUS, 2.0, 2.0, path, 3, 0);
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL_FATAL(tr.n, 4);
    CU_ASSERT_EQUAL(tr.seg[0].t1, T0 + 150 * SEC);
    CU_ASSERT_EQUAL(tr.seg[1].t1, T0 + 350 * SEC);
    CU_ASSERT_EQUAL(tr.seg[2].t1, T0 + 500 * SEC);
    CU_ASSERT_EQUAL(tr.seg[2].mode, SCN_BUS);
    static const struct {
        pw_time_ms t;
        double x, y;
    } want[] = {
        {150 * SEC, 300, 0}, {250 * SEC, 300, 200}, {425 * SEC, 150, 400}, {500 * SEC, 0, 400},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double x, y;
        pos(&tr, T0 + want[i].t, &x, &y);
        CU_ASSERT_DOUBLE_EQUAL(x, want[i].x, EPS_M);
        CU_ASSERT_DOUBLE_EQUAL(y, want[i].y, EPS_M);
    }
    sim_track_close(&tr);
}

/* Out 1,000 m at 2 m/s (500 s), wait 100 s, back (500 s), wait 100 s: a
 * 1,200 s pass.  Looped over 3,000 s: 2.5 passes, the last cut mid-walk. */
static void test_loop_covers_span(void)
{
    fx_reset();
    fx.s.duration_ms = 3000 * SEC;
    static const double out[][2] = {{1000, 0}}, back[][2] = {{0, 0}};
    fx_leg(SCN_WALK, 2.0, 2.0, out, 1, 100 * SEC);
    fx_leg(SCN_WALK, 2.0, 2.0, back, 1, 100 * SEC);
    fx.actors[0].loop = 1;
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + 3000 * SEC);
    /* 4 segments a pass; the third pass: walk out, dwell [2900, 3000). */
    CU_ASSERT_EQUAL(tr.n, 10);
    double x, y;
    pos(&tr, T0 + 1200 * SEC + 250 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 500.0, EPS_M);
    pos(&tr, T0 + 2400 * SEC + 1000 * SEC / 4, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 500.0, EPS_M);
    pos(&tr, T0 + 2400 * SEC + 600 * SEC, &x, &y); /* the end, waiting out there */
    CU_ASSERT_DOUBLE_EQUAL(x, 1000.0, EPS_M);

    /* Cut mid-walk: 2,650 s is 250 s into the third walk out. */
    sim_track_close(&tr);
    fx.s.duration_ms = 2650 * SEC;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + 2650 * SEC);
    CU_ASSERT_EQUAL(tr.seg[tr.n - 1].moving, 1);
    CU_ASSERT_DOUBLE_EQUAL(tr.seg[tr.n - 1].x1, 500.0, EPS_M);
    sim_track_close(&tr);

    /* Without loop the actor stays home after one pass. */
    fx.actors[0].loop = 0;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + 2650 * SEC);
    CU_ASSERT_EQUAL(tr.n, 4);
    CU_ASSERT_EQUAL(tr.seg[3].t0, T0 + 1100 * SEC);
    sim_track_close(&tr);

    /* A loop that takes no time (to where it already is, no dwell) is not
     * repeated forever. */
    fx_reset();
    static const double here[][2] = {{0, 0}};
    fx_leg(SCN_WALK, 1.0, 1.0, here, 1, 0);
    fx.actors[0].loop = 1;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL(tr.n, 1);
    sim_track_close(&tr);
}

/* Board at S1 (0,0), ride S1 -> S2 (1,200 m east, 120 s at 10 m/s), stop
 * 30 s, S2 -> S3 (900 m north, 90 s): arrival at 240 s, all underground;
 * then walk 100 m east above ground at 1 m/s. */
static void test_subway_ride(void)
{
    static const double with_boarding[][2] = {{0, 0}, {1200, 0}, {1200, 900}};
    for (int variant = 0; variant < 2; variant++) {
        fx_reset();
        /* The line's points may or may not repeat the boarding station. */
        scn_leg *ride = variant == 0 ? fx_leg(SCN_SUBWAY, 10, 10, with_boarding, 3, 0)
                                     : fx_leg(SCN_SUBWAY, 10, 10, with_boarding + 1, 2, 0);
        ride->dwell_stop_ms = 30 * SEC;
        ride->underground = 1;
        ride->line = 0;
        static const double exit_walk[][2] = {{1300, 900}};
        fx_leg(SCN_WALK, 1.0, 1.0, exit_walk, 1, 0);
        sim_track tr;
        CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
        assert_covers(&tr, T0, T0 + HOUR);
        CU_ASSERT_EQUAL_FATAL(tr.n, 5);
        for (int i = 0; i < 3; i++) {
            CU_ASSERT_EQUAL(tr.seg[i].underground, 1);
            CU_ASSERT_EQUAL(tr.seg[i].mode, SCN_SUBWAY);
        }
        CU_ASSERT_EQUAL(tr.seg[0].t1, T0 + 120 * SEC);
        CU_ASSERT_EQUAL(tr.seg[1].moving, 0);
        CU_ASSERT_EQUAL(tr.seg[1].t1 - tr.seg[1].t0, 30 * SEC);
        CU_ASSERT_DOUBLE_EQUAL(tr.seg[1].x0, 1200.0, EPS_M);
        CU_ASSERT_DOUBLE_EQUAL(tr.seg[1].y0, 0.0, EPS_M);
        CU_ASSERT_EQUAL(tr.seg[2].t1, T0 + 240 * SEC);
        CU_ASSERT_EQUAL(tr.seg[3].underground, 0);
        CU_ASSERT_EQUAL(tr.seg[3].mode, SCN_WALK);
        CU_ASSERT_EQUAL(tr.seg[3].t1, T0 + 340 * SEC);
        int moving, ug;
        double x, y;
        sim_track_at(&tr, T0 + 135 * SEC, NULL, &x, &y, &moving, &ug);
        CU_ASSERT_EQUAL(moving, 0);
        CU_ASSERT_EQUAL(ug, 1);
        sim_track_at(&tr, T0 + 195 * SEC, NULL, &x, &y, &moving, &ug);
        CU_ASSERT_DOUBLE_EQUAL(y, 450.0, EPS_M);
        CU_ASSERT_EQUAL(moving, 1);
        CU_ASSERT_EQUAL(ug, 1);
        sim_track_close(&tr);
    }
}

/* Brute-force reference: the segment holding t, clamped. */
static void reference_at(const sim_track *tr, pw_time_ms t, double *x, double *y)
{
    size_t i = 0;
    if (t >= tr->seg[tr->n - 1].t1)
        i = tr->n - 1;
    else
        while (i + 1 < tr->n && tr->seg[i].t1 <= t)
            i++;
    const sim_segment *g = &tr->seg[i];
    pw_time_ms tc = t < g->t0 ? g->t0 : t > g->t1 ? g->t1 : t;
    double f = (double)(tc - g->t0) / (double)(g->t1 - g->t0);
    *x = g->x0 + (g->x1 - g->x0) * f;
    *y = g->y0 + (g->y1 - g->y0) * f;
}

/* A looping random-speed itinerary queried at 10,000 random times (and
 * outside the span): with a carried hint, without, in order, and the
 * brute-force reference all agree. */
static void test_track_at_hint(void)
{
    fx_reset();
    fx.s.duration_ms = 6 * HOUR;
    static const double a[][2] = {{800, 0}, {800, 600}}, b[][2] = {{0, 0}};
    fx_leg(SCN_WALK, 1.0, 1.6, a, 2, 5 * MIN);
    fx_leg(SCN_DRIVE, 5.0, 12.0, b, 1, 17 * SEC);
    fx.actors[0].loop = 1;
    uint64_t rng = 5;
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, splitmix_uniform, &rng), 0);
    assert_covers(&tr, T0, T0 + 6 * HOUR);
    CU_ASSERT(tr.n > 50);
    size_t hint = 0, bad = 0;
    for (int k = 0; k < 10000; k++) {
        pw_time_ms t = T0 - HOUR + (pw_time_ms)(splitmix_uniform(&rng) * 8 * HOUR);
        double x1, y1, x2, y2, xr, yr;
        int m1, m2, u1, u2;
        sim_track_at(&tr, t, &hint, &x1, &y1, &m1, &u1);
        sim_track_at(&tr, t, NULL, &x2, &y2, &m2, &u2);
        reference_at(&tr, t, &xr, &yr);
        bad += x1 != x2 || y1 != y2 || m1 != m2 || u1 != u2;
        bad += fabs(x1 - xr) > EPS_M || fabs(y1 - yr) > EPS_M;
        bad += hint >= tr.n;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* Sequential at 1 s, as the metrics sample. */
    hint = 0;
    bad = 0;
    for (pw_time_ms t = T0; t <= T0 + 6 * HOUR; t += SEC) {
        double x1, y1, x2, y2;
        sim_track_at(&tr, t, &hint, &x1, &y1, NULL, NULL);
        pos(&tr, t, &x2, &y2);
        bad += x1 != x2 || y1 != y2;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* Clamping: before the start is the start, after the end is the end. */
    double x, y;
    pos(&tr, T0 - 5 * HOUR, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 0.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 0.0, EPS_M);
    double xe, ye;
    pos(&tr, T0 + 6 * HOUR, &xe, &ye);
    pos(&tr, INT64_MAX, &x, &y);
    CU_ASSERT_EQUAL(x, xe);
    CU_ASSERT_EQUAL(y, ye);
    CU_ASSERT_EQUAL(x, tr.seg[tr.n - 1].x1);
    hint = 123456; /* a stale hint out of range is harmless */
    sim_track_at(&tr, T0, &hint, &x, NULL, NULL, NULL);
    CU_ASSERT_DOUBLE_EQUAL(x, 0.0, EPS_M);
    CU_ASSERT_EQUAL(hint, 0);
    sim_track_close(&tr);

    /* An empty track gives NAN. */
    sim_track empty = {NULL, 0, 0};
    int m = 7;
    sim_track_at(&empty, T0, NULL, &x, &y, &m, NULL);
    CU_ASSERT(isnan(x) && isnan(y));
    CU_ASSERT_EQUAL(m, 0);
}

/* Same inputs and seed, same timeline, byte for byte. */
static void test_build_deterministic(void)
{
    fx_reset();
    static const double a[][2] = {{800, 0}, {800, 600}}, b[][2] = {{0, 0}};
    fx_leg(SCN_WALK, 1.0, 1.6, a, 2, 5 * MIN);
    fx_leg(SCN_DRIVE, 5.0, 12.0, b, 1, 17 * SEC);
    fx.actors[0].loop = 1;
    sim_track t1, t2;
    uint64_t r1 = 77, r2 = 77;
    CU_ASSERT_EQUAL_FATAL(build(&t1, splitmix_uniform, &r1), 0);
    CU_ASSERT_EQUAL_FATAL(build(&t2, splitmix_uniform, &r2), 0);
    CU_ASSERT_EQUAL_FATAL(t1.n, t2.n);
    size_t differ = 0; /* field by field: padding bytes carry nothing */
    for (size_t i = 0; i < t1.n; i++) {
        const sim_segment *p = &t1.seg[i], *q = &t2.seg[i];
        differ += p->t0 != q->t0 || p->t1 != q->t1 || p->x0 != q->x0 || p->y0 != q->y0 ||
                  p->x1 != q->x1 || p->y1 != q->y1 || p->mode != q->mode ||
                  p->underground != q->underground || p->moving != q->moving;
    }
    CU_ASSERT_EQUAL(differ, 0);
    CU_ASSERT(t1.n > 10);
    CU_ASSERT_EQUAL(r1, r2);
    sim_track_close(&t1);
    sim_track_close(&t2);
}

/* A patrol ignores legs and waits at its start; dispatched at 600 s from
 * (0,0) to (1800, 2400): 3,000 m x 1.4 / 14 m/s = 300 s, arrival at 900 s. */
static void test_drive_to(void)
{
    fx_reset();
    fx.actors[0].role = SCN_PATROL;
    static const double away[][2] = {{5000, 0}};
    fx_leg(SCN_WALK, 1.0, 1.0, away, 1, 0);
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL(tr.n, 1);
    CU_ASSERT_EQUAL(tr.seg[0].mode, SCN_DRIVE);

    pw_time_ms end = T0 + HOUR, t = T0 + 600 * SEC;
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, t, 1800, 2400, 14.0, 1.4, end), T0 + 900 * SEC);
    assert_covers(&tr, T0, end);
    double x, y;
    int moving;
    pos(&tr, t - 1, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 0.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 0.0, EPS_M);
    sim_track_at(&tr, t + 150 * SEC, NULL, &x, &y, &moving, NULL);
    CU_ASSERT_DOUBLE_EQUAL(x, 900.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 1200.0, EPS_M);
    CU_ASSERT_EQUAL(moving, 1);
    sim_track_at(&tr, T0 + 900 * SEC, NULL, &x, &y, &moving, NULL);
    CU_ASSERT_DOUBLE_EQUAL(x, 1800.0, EPS_M);
    CU_ASSERT_EQUAL(moving, 0);
    pos(&tr, end, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(y, 2400.0, EPS_M);

    /* Re-dispatched mid-drive at 750 s (at (900, 1200)) back to (0, 0):
     * 1,500 m x 1.2 / 10 m/s = 180 s.  Nothing before 750 s changes. */
    sim_track before;
    before.n = tr.n;
    before.cap = tr.n;
    before.seg = malloc(tr.n * sizeof *tr.seg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(before.seg);
    memcpy(before.seg, tr.seg, tr.n * sizeof *tr.seg);
    pw_time_ms t2 = T0 + 750 * SEC;
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, t2, 0, 0, 10.0, 1.2, end), t2 + 180 * SEC);
    assert_covers(&tr, T0, end);
    size_t changed = 0;
    for (pw_time_ms s = T0; s < t2; s += SEC) {
        double xa, ya, xb, yb;
        pos(&tr, s, &xa, &ya);
        pos(&before, s, &xb, &yb);
        changed += fabs(xa - xb) > 1e-9 || fabs(ya - yb) > 1e-9;
    }
    CU_ASSERT_EQUAL(changed, 0);
    pos(&tr, t2 + 90 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 450.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 600.0, EPS_M);
    free(before.seg);

    /* Arrival after the end: returned as is, the track cut at the end
     * mid-drive.  From (0, 0) at end - 100 s to (3000, 0) at 10 m/s. */
    pw_time_ms arrival = sim_track_drive_to(&tr, end - 100 * SEC, 3000, 0, 10.0, 1.0, end);
    CU_ASSERT_EQUAL(arrival, end + 200 * SEC);
    assert_covers(&tr, T0, end);
    pos(&tr, end, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 1000.0, EPS_M);

    /* Bad input leaves the track unchanged. */
    size_t n = tr.n;
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, T0 - 1, 0, 0, 10.0, 1.0, end), SIM_EINVAL);
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, end + 1, 0, 0, 10.0, 1.0, end), SIM_EINVAL);
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, T0, 0, 0, 0.0, 1.0, end), SIM_EINVAL);
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, T0, 0, 0, 10.0, 0.5, end), SIM_EINVAL);
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, T0, NAN, 0, 10.0, 1.0, end), SIM_EINVAL);
    CU_ASSERT_EQUAL(tr.n, n);
    sim_track_close(&tr);
}

/* A walker turned into a drive mid-segment: the walk is cut where she is. */
static void test_drive_to_splits_segment(void)
{
    fx_reset();
    static const double east[][2] = {{1000, 0}};
    fx_leg(SCN_WALK, 1.25, 1.25, east, 1, 0);
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    pw_time_ms t = T0 + 400 * SEC;
    /* From (500, 0) to (500, 800): 800 m at 8 m/s, 100 s. */
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, t, 500, 800, 8.0, 1.0, T0 + HOUR), t + 100 * SEC);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL_FATAL(tr.n, 3);
    CU_ASSERT_EQUAL(tr.seg[0].mode, SCN_WALK);
    CU_ASSERT_EQUAL(tr.seg[0].t1, t);
    CU_ASSERT_DOUBLE_EQUAL(tr.seg[0].x1, 500.0, EPS_M);
    CU_ASSERT_EQUAL(tr.seg[1].mode, SCN_DRIVE);
    double x, y;
    pos(&tr, T0 + 200 * SEC, &x, &y); /* unchanged: 250 m into the walk */
    CU_ASSERT_DOUBLE_EQUAL(x, 250.0, EPS_M);
    pos(&tr, t + 50 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 500.0, EPS_M);
    CU_ASSERT_DOUBLE_EQUAL(y, 400.0, EPS_M);

    /* Dispatched exactly where a segment starts (on arrival, 500 s): that
     * segment goes entirely.  (500, 800) to (500, 0), 800 m at 16 m/s. */
    pw_time_ms t2 = t + 100 * SEC;
    CU_ASSERT_EQUAL_FATAL(tr.seg[2].t0, t2);
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, t2, 500, 0, 16.0, 1.0, T0 + HOUR), t2 + 50 * SEC);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL(tr.n, 4);
    pos(&tr, t2 + 25 * SEC, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(y, 400.0, EPS_M);
    /* And at the very start of the track. */
    CU_ASSERT_EQUAL(sim_track_drive_to(&tr, T0, 0, 0, 16.0, 1.0, T0 + HOUR), T0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL(tr.n, 1);
    CU_ASSERT_EQUAL(tr.seg[0].moving, 0);
    sim_track_close(&tr);
}

/* A wait underground (a pedestrian underpass) then a wait above ground,
 * both on foot: two dwells at the same place that must not merge, since
 * their flags differ. */
static void test_dwells_merge_only_alike(void)
{
    fx_reset();
    scn_leg *platform = fx_leg(SCN_WALK, 0, 0, NULL, 0, 60 * SEC);
    platform->underground = 1;
    fx_leg(SCN_WALK, 0, 0, NULL, 0, 60 * SEC);
    fx_leg(SCN_WALK, 0, 0, NULL, 0, 60 * SEC); /* alike: merges */
    sim_track tr;
    CU_ASSERT_EQUAL_FATAL(build(&tr, NULL, NULL), 0);
    assert_covers(&tr, T0, T0 + HOUR);
    CU_ASSERT_EQUAL_FATAL(tr.n, 2);
    CU_ASSERT_EQUAL(tr.seg[0].t1, T0 + 60 * SEC);
    CU_ASSERT_EQUAL(tr.seg[0].underground, 1);
    CU_ASSERT_EQUAL(tr.seg[1].underground, 0);
    int ug;
    sim_track_at(&tr, T0 + 90 * SEC, NULL, NULL, NULL, NULL, &ug);
    CU_ASSERT_EQUAL(ug, 0);
    sim_track_close(&tr);
}

static void test_build_rejects_bad_input(void)
{
    sim_track tr;
    fx_reset();
    static const double east[][2] = {{1000, 0}};
    scn_leg *leg = fx_leg(SCN_WALK, 1.0, 1.0, east, 1, 0);
    CU_ASSERT_EQUAL(sim_track_build(&tr, &fx.s, 1, &fx.frame, NULL, NULL), SIM_EINVAL);
    CU_ASSERT_EQUAL(tr.n, 0);
    CU_ASSERT_PTR_NULL(tr.seg);
    fx.s.duration_ms = 0;
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    fx.s.duration_ms = HOUR;
    leg->speed_min_mps = leg->speed_max_mps = 0.0;
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    leg->speed_min_mps = 2.0;
    leg->speed_max_mps = 1.0;
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    leg->speed_min_mps = leg->speed_max_mps = 1.0;
    leg->first_point = fx.s.n_points; /* one past the points */
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    leg->first_point = 0;
    leg->dwell_ms = -1;
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    leg->dwell_ms = 0;
    fx.actors[0].n_legs = 5; /* past the legs */
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    fx.actors[0].n_legs = 1;
    fx.actors[0].start.lat = NAN;
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_EINVAL);
    CU_ASSERT_EQUAL(tr.n, 0);
    fx_reset();
    fx_leg(SCN_WALK, 1.0, 1.0, east, 1, 0);
    CU_ASSERT_EQUAL(build(&tr, NULL, NULL), SIM_OK); /* the fixture itself is fine */
    sim_track_close(&tr);
}

/* ---- environment map ----------------------------------------------- */

/* Urban-heavy square +-200 m (street axis 45 deg), and inside it, listed
 * after it, an indoor circle of 50 m at the origin; a light-canyon triangle
 * (0,300) (300,300) (300,600) whose bounding box holds (50, 550) but the
 * triangle does not; two equal urban-light circles overlapping at (1000,0). */
static void fx_env_zones(void)
{
    fx_reset();
    scn_env_zone *z = &fx.zones[fx.s.n_env_zones++];
    z->env = SCN_ENV_URBAN_HEAVY;
    z->first_point = fx.s.n_points;
    z->n_points = 4;
    fx_point(-200, -200);
    fx_point(200, -200);
    fx_point(200, 200);
    fx_point(-200, 200);
    z->street_bearing_deg = 45.0;

    z = &fx.zones[fx.s.n_env_zones++];
    z->env = SCN_ENV_INDOOR;
    z->is_circle = 1;
    eng_geo_to_wgs84(&fx.frame, 0, 0, &z->center.lat, &z->center.lon);
    z->radius_m = 50.0;
    z->street_bearing_deg = NAN;

    z = &fx.zones[fx.s.n_env_zones++];
    z->env = SCN_ENV_URBAN_LIGHT;
    z->first_point = fx.s.n_points;
    z->n_points = 3;
    fx_point(0, 300);
    fx_point(300, 300);
    fx_point(300, 600);
    z->street_bearing_deg = 90.0;

    for (int k = 0; k < 2; k++) {
        z = &fx.zones[fx.s.n_env_zones++];
        z->env = SCN_ENV_URBAN_LIGHT;
        z->is_circle = 1;
        eng_geo_to_wgs84(&fx.frame, 1000 + 20 * k, 0, &z->center.lat, &z->center.lon);
        z->radius_m = 100.0;
        z->street_bearing_deg = k == 0 ? 10.0 : 80.0;
    }
}

static void test_envmap(void)
{
    fx_env_zones();
    sim_envmap m;
    CU_ASSERT_EQUAL_FATAL(sim_envmap_init(&m, &fx.s, &fx.frame), 0);
    CU_ASSERT_EQUAL(m.n_zones, 5);
    CU_ASSERT_EQUAL(m.n_vertices, 7);
    static const struct {
        double x, y;
        int underground;
        scn_env env;
        double bearing; /* NAN: none */
    } want[] = {
        {10, 10, 0, SCN_ENV_INDOOR, NAN},             /* circle inside the square */
        {0, 49.999, 0, SCN_ENV_INDOOR, NAN},
        {0, 50.5, 0, SCN_ENV_URBAN_HEAVY, 45.0},
        {150, 150, 0, SCN_ENV_URBAN_HEAVY, 45.0},
        {250, 0, 0, SCN_ENV_OPEN, NAN},
        {5000, 5000, 0, SCN_ENV_OPEN, NAN},
        {10, 10, 1, SCN_ENV_TUNNEL, NAN},             /* underground beats all */
        {5000, 5000, 1, SCN_ENV_TUNNEL, NAN},
        {250, 400, 0, SCN_ENV_URBAN_LIGHT, 90.0},     /* inside the triangle */
        {50, 550, 0, SCN_ENV_OPEN, NAN},              /* its bounding box only */
        {1010, 0, 0, SCN_ENV_URBAN_LIGHT, 10.0},      /* equals: first listed */
        {1110, 0, 0, SCN_ENV_URBAN_LIGHT, 80.0},      /* only the second */
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        double bearing = -1;
        scn_env env = sim_env_at(&m, want[i].x, want[i].y, want[i].underground, &bearing);
        CU_ASSERT_EQUAL(env, want[i].env);
        if (isnan(want[i].bearing)) {
            CU_ASSERT(isnan(bearing));
        } else {
            CU_ASSERT_DOUBLE_EQUAL(bearing, want[i].bearing, 1e-12);
        }
        if (env != want[i].env)
            printf("\n    point %zu (%g, %g): env %d, want %d ", i, want[i].x, want[i].y,
                   (int)env, (int)want[i].env);
    }
    CU_ASSERT_EQUAL(sim_env_at(&m, 10, 10, 0, NULL), SCN_ENV_INDOOR); /* bearing may be NULL */
    sim_envmap_close(&m);
    CU_ASSERT_PTR_NULL(m.zones);
    CU_ASSERT_EQUAL(m.n_zones, 0);
    sim_envmap_close(&m);

    /* No zones: everything open, nothing allocated. */
    fx_reset();
    CU_ASSERT_EQUAL_FATAL(sim_envmap_init(&m, &fx.s, &fx.frame), 0);
    CU_ASSERT_PTR_NULL(m.zones);
    CU_ASSERT_EQUAL(sim_env_at(&m, 0, 0, 0, NULL), SCN_ENV_OPEN);
    sim_envmap_close(&m);

    /* Malformed zones are rejected and leave the map empty. */
    fx_env_zones();
    fx.zones[2].n_points = 2;
    CU_ASSERT_EQUAL(sim_envmap_init(&m, &fx.s, &fx.frame), SIM_EINVAL);
    CU_ASSERT_PTR_NULL(m.zones);
    CU_ASSERT_EQUAL(m.n_zones, 0);
    fx_env_zones();
    fx.zones[1].radius_m = 0;
    CU_ASSERT_EQUAL(sim_envmap_init(&m, &fx.s, &fx.frame), SIM_EINVAL);
    fx_env_zones();
    fx.zones[0].first_point = fx.s.n_points - 1;
    CU_ASSERT_EQUAL(sim_envmap_init(&m, &fx.s, &fx.frame), SIM_EINVAL);
    fx_env_zones();
    fx.zones[3].env = SCN_ENV_COUNT;
    CU_ASSERT_EQUAL(sim_envmap_init(&m, &fx.s, &fx.frame), SIM_EINVAL);
    sim_envmap_close(&m);
}

/* pw_grow (common/pw_grow.h), the growable array every module uses:
 * capacities 16, then doubled (1 -> 16, 17 -> 32, 100 -> 128), contents
 * kept, and a size that would overflow size_t refused with the array as
 * it was. */
static void test_grow(void)
{
    int *a = NULL;
    size_t cap = 0;
    CU_ASSERT_EQUAL(pw_grow((void **)&a, &cap, 1, sizeof *a), 0);
    CU_ASSERT_EQUAL(cap, 16);
    for (int i = 0; i < 16; i++)
        a[i] = 1000 + i;
    CU_ASSERT_EQUAL(pw_grow((void **)&a, &cap, 17, sizeof *a), 0);
    CU_ASSERT_EQUAL(cap, 32);
    CU_ASSERT_EQUAL(pw_grow((void **)&a, &cap, 100, sizeof *a), 0);
    CU_ASSERT_EQUAL(cap, 128);
    CU_ASSERT_EQUAL(a[0], 1000);
    CU_ASSERT_EQUAL(a[15], 1015);
    int *before = a;
    CU_ASSERT_EQUAL(pw_grow((void **)&a, &cap, 128, sizeof *a), 0); /* room already */
    CU_ASSERT(a == before && cap == 128);
    /* (SIZE_MAX / 4 + 1) ints need more bytes than size_t counts. */
    CU_ASSERT_EQUAL(pw_grow((void **)&a, &cap, SIZE_MAX / sizeof *a + 1, sizeof *a), -1);
    CU_ASSERT(a == before && cap == 128 && a[15] == 1015);
    free(a);
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"pw_grow: doubling from 16, contents kept, overflow refused", test_grow},
        {"heap: random pushes pop in (t, seq) order", test_heap_random_order},
        {"heap: equal times pop in insertion order", test_heap_equal_times_fifo},
        {"heap: grows, empty and overflow edges", test_heap_grows_and_edges},
        {"heap: 100k random ops against a sorted array", test_heap_against_reference},
        {"walk: 1,000 m at 1.25 m/s arrives at 800 s", test_walk_exact},
        {"dwell, then the next leg", test_dwell_then_next_leg},
        {"depart_at holds a leg", test_depart_at_holds},
        {"speeds drawn from the callback, one per leg", test_speed_from_callback},
        {"a polyline leg follows its points", test_polyline_leg},
        {"loop repeats and covers the span without gaps", test_loop_covers_span},
        {"subway: stops, underground, exact arrival", test_subway_ride},
        {"track_at: hint, no hint and reference agree", test_track_at_hint},
        {"build is deterministic", test_build_deterministic},
        {"drive_to: exact arrival, past unchanged", test_drive_to},
        {"drive_to cuts a segment where the actor is", test_drive_to_splits_segment},
        {"dwells merge only when alike", test_dwells_merge_only_alike},
        {"build rejects bad input", test_build_rejects_bad_input},
        {"environment map: severity, bbox, tunnel, bearing", test_envmap},
        {NULL, NULL},
    };
    return pw_test_main("sim", tests);
}
