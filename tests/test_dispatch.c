/*
 * test_dispatch.c - the 112 desk and the patrols (sim/dispatch.c) driven
 * directly, with a world that records what the model asks to be called
 * back for.  Every expected time is worked out by hand in the comments:
 * one dispatcher taking each call in 60 s, patrols at 10 m/s with a
 * detour factor of 1.5 (so 1,000 m of straight line takes 150 s).
 */
#include "sim.h"

#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const pw_time_ms T0 = 1772404200000LL; /* 2026-03-02 07:30 KST */
static const pw_time_ms S = 1000;

/* victim (actor 0) at the origin, offender (1), patrol "near" (2) 1,000 m
 * east, patrol "far" (3) 3,000 m north; one case. */
static scn_actor actors[4];
static scn_case cases[1];
static scn_scenario scn;
static eng_frame frame;
static sim_track tracks[4];
static size_t hints[4];

typedef struct call {
    pw_time_ms t;
    int what;
    size_t slot;
} call;
static call calls[32];
static size_t n_calls;

static void schedule(void *ctx, pw_time_ms t, int what, size_t slot)
{
    (void)ctx;
    if (n_calls < 32)
        calls[n_calls++] = (call){t, what, slot};
}

static sim_track *track(void *ctx, size_t actor, size_t **hint)
{
    (void)ctx;
    *hint = &hints[actor];
    return &tracks[actor];
}

static void stand(size_t a, double x, double y)
{
    tracks[a].seg = malloc(sizeof *tracks[a].seg);
    tracks[a].n = tracks[a].cap = 1;
    tracks[a].seg[0] = (sim_segment){.t0 = T0, .t1 = T0 + 3600 * S, .x0 = x, .y0 = y, .x1 = x, .y1 = y};
}

static void setup(void)
{
    memset(&scn, 0, sizeof scn);
    memset(actors, 0, sizeof actors);
    memset(cases, 0, sizeof cases);
    scn.start = T0;
    scn.duration_ms = 3600 * S;
    scn.seed = 1;
    scn.origin = (scn_point){37.5, 127.0};
    actors[0] = (scn_actor){.id = 1, .role = SCN_VICTIM};
    actors[1] = (scn_actor){.id = 2, .role = SCN_OFFENDER};
    actors[2] = (scn_actor){.id = 3, .role = SCN_PATROL, .patrol_speed_mps = 10, .patrol_detour = 1.5};
    actors[3] = (scn_actor){.id = 4, .role = SCN_PATROL, .patrol_speed_mps = 10, .patrol_detour = 1.5};
    cases[0].victim = 0;
    cases[0].offender = 1;
    eng_case_default(&cases[0].def, 1, 2, 1);
    scn.actors = actors;
    scn.n_actors = 4;
    scn.cases = cases;
    scn.n_cases = 1;
    scn.dispatch = (scn_dispatch){.dispatchers = 1, .handling = SCN_DIST_FIXED, .handling_mean_ms = 60 * S};
    eng_frame_init(&frame, 37.5, 127.0);
    stand(0, 0, 0);
    stand(1, 2000, 0);
    stand(2, 1000, 0);
    stand(3, 0, 3000);
    memset(hints, 0, sizeof hints);
    n_calls = 0;
}

static void teardown(void)
{
    for (int a = 0; a < 4; a++)
        sim_track_close(&tracks[a]);
}

static pw_event event(pw_event_type type, int at_s, pw_id incident)
{
    pw_event e;
    memset(&e, 0, sizeof e);
    e.type = type;
    e.time = T0 + at_s * S;
    e.case_id = 1;
    e.incident = incident;
    e.lat = e.lon = e.victim_lat = e.victim_lon = NAN;
    if (type == PW_EV_INCIDENT_OPEN) { /* the victim's pin: the origin */
        e.victim_lat = 37.5;
        e.victim_lon = 127.0;
    }
    return e;
}

static int called(pw_time_ms at_s, int what, size_t slot)
{
    for (size_t i = 0; i < n_calls; i++)
        if (calls[i].t == T0 + at_s * S && calls[i].what == what && calls[i].slot == slot)
            return 1;
    return 0;
}

static void test_nearest_patrol_queue_and_close(void)
{
    setup();
    eval_metrics m;
    CU_ASSERT_FATAL(eval_metrics_init(&m, &scn, 1000) == 0);
    sim_dispatch *d;
    sim_dispatch_world w = {.ctx = NULL, .schedule = schedule, .track = track};
    CU_ASSERT_FATAL(sim_dispatch_new(&d, &scn, &frame, &m, &w) == 0);
    pw_event e = event(PW_EV_ALARM_OPEN, 0, 0);
    CU_ASSERT(sim_dispatch_event(d, &e) == 0);
    /* Two calls at 0 s: the one dispatcher is done with the first at 60 s
     * and with the second at 60 + 60 = 120 s. */
    e = event(PW_EV_INCIDENT_OPEN, 0, 7);
    CU_ASSERT(sim_dispatch_event(d, &e) == 0);
    e = event(PW_EV_INCIDENT_OPEN, 0, 8);
    CU_ASSERT(sim_dispatch_event(d, &e) == 0);
    CU_ASSERT(called(60, SIM_DISPATCH_DONE, 0));
    CU_ASSERT(called(120, SIM_DISPATCH_DONE, 1));
    /* At 60 s the nearer patrol (1,000 m, not 3,000 m) goes: 1,000 x 1.5 /
     * 10 = 150 s, on scene at 210 s.  At 120 s only the far one is free:
     * 3,000 x 1.5 / 10 = 450 s, on scene at 570 s. */
    CU_ASSERT(sim_dispatch_done(d, 0, T0 + 60 * S) == 0);
    CU_ASSERT(called(210, SIM_DISPATCH_ON_SCENE, 0));
    CU_ASSERT(sim_dispatch_done(d, 1, T0 + 120 * S) == 0);
    CU_ASSERT(called(570, SIM_DISPATCH_ON_SCENE, 1));
    /* A third call at 130 s: the desk is free since 120 s, done at 190 s;
     * no patrol is free, so it waits (nothing scheduled for it). */
    e = event(PW_EV_INCIDENT_OPEN, 130, 9);
    CU_ASSERT(sim_dispatch_event(d, &e) == 0);
    CU_ASSERT(called(190, SIM_DISPATCH_DONE, 2));
    size_t before = n_calls;
    CU_ASSERT(sim_dispatch_done(d, 2, T0 + 190 * S) == 0);
    CU_ASSERT(n_calls == before);
    /* On scene at 210 s, but the case's alarm is open: not yet. */
    sim_dispatch_on_scene(d, 0, T0 + 210 * S);
    pw_id id = 0;
    CU_ASSERT(sim_dispatch_may_close(d, 0, &id) == 0);
    /* The alarm closes at 300 s: a check for the incident on scene (slot
     * 0), not for the one still driving (slot 1); now it may close. */
    e = event(PW_EV_ALARM_CLOSE, 300, 0);
    CU_ASSERT(sim_dispatch_event(d, &e) == 0);
    CU_ASSERT(called(300, SIM_DISPATCH_CLOSE_CHECK, 0));
    CU_ASSERT(!called(300, SIM_DISPATCH_CLOSE_CHECK, 1));
    CU_ASSERT(sim_dispatch_may_close(d, 0, &id) == 1);
    CU_ASSERT(id == 7);
    CU_ASSERT(sim_dispatch_may_close(d, 1, &id) == 0); /* not on scene */
    /* Incident 7 closes at 300 s: its patrol, standing at the victim's pin,
     * takes the waiting call (the same pin: 0 m, on scene at once). */
    e = event(PW_EV_INCIDENT_CLOSE, 300, 7);
    CU_ASSERT(sim_dispatch_event(d, &e) == 0);
    CU_ASSERT(called(300, SIM_DISPATCH_ON_SCENE, 2));
    CU_ASSERT(sim_dispatch_may_close(d, 0, &id) == 0); /* closed already */
    sim_dispatch_free(d);
    eval_metrics_close(&m);
    teardown();
}

/*
 * An unrelated 112 call 2,000 m east of the victim at 0 s, its patrol on
 * scene for 20 min.  By hand: the desk is done at 60 s; the near patrol
 * (1,000 m from the call) goes, not the far one (sqrt(2,000^2 + 3,000^2)
 * = 3,606 m): 1,000 x 1.5 / 10 = 150 s, on scene at 210 s, free again at
 * 210 + 1,200 = 1,410 s.  Meanwhile an alarm's incident at 100 s (the
 * desk free since 60 s: done at 160 s) gets the far patrol, the near one
 * being busy.  The call is incident 100001 and no case's.
 */
static void test_unrelated_call(void)
{
    setup();
    scn_call c = {.at = T0, .on_scene_ms = 1200 * S, .what = "traffic accident"};
    eng_geo_to_wgs84(&frame, 2000, 0, &c.place.lat, &c.place.lon);
    scn.calls = &c;
    scn.n_calls = 1;
    eval_metrics m;
    CU_ASSERT_FATAL(eval_metrics_init(&m, &scn, 1000) == 0);
    sim_dispatch *d;
    sim_dispatch_world w = {.ctx = NULL, .schedule = schedule, .track = track};
    CU_ASSERT_FATAL(sim_dispatch_new(&d, &scn, &frame, &m, &w) == 0);
    CU_ASSERT(sim_dispatch_call(d, 0, T0) == 0);
    CU_ASSERT(called(60, SIM_DISPATCH_DONE, 0));
    CU_ASSERT(sim_dispatch_done(d, 0, T0 + 60 * S) == 0);
    CU_ASSERT(called(210, SIM_DISPATCH_ON_SCENE, 0));
    pw_event e = event(PW_EV_INCIDENT_OPEN, 100, 7);
    eval_metrics_event(&m, &e); /* as the run does: the metrics see it first */
    CU_ASSERT(sim_dispatch_event(d, &e) == 0);
    CU_ASSERT(called(160, SIM_DISPATCH_DONE, 1));
    CU_ASSERT(sim_dispatch_done(d, 1, T0 + 160 * S) == 0);
    /* the far patrol: 3,000 x 1.5 / 10 = 450 s, on scene at 610 s */
    CU_ASSERT(called(610, SIM_DISPATCH_ON_SCENE, 1));
    sim_dispatch_on_scene(d, 0, T0 + 210 * S);
    CU_ASSERT(called(1410, SIM_DISPATCH_CLOSE_CHECK, 0));
    pw_id id = 0;
    CU_ASSERT(sim_dispatch_may_close(d, 0, &id) == 0);   /* not the engine's to close */
    CU_ASSERT(sim_dispatch_release(d, 0, T0 + 1409 * S) == 0);
    CU_ASSERT(sim_dispatch_release(d, 1, T0 + 1410 * S) == 0); /* not a call */
    CU_ASSERT(sim_dispatch_release(d, 0, T0 + 1410 * S) == 1);
    CU_ASSERT(sim_dispatch_release(d, 0, T0 + 1411 * S) == 0); /* once */
    /* what the metrics hold: the call with its times and patrol (device 3) */
    CU_ASSERT_FATAL(m.n_incidents == 2);
    const eval_incident *in = &m.incidents[0];
    CU_ASSERT(in->id == SIM_CALL_INCIDENT_BASE + 1);
    CU_ASSERT(in->reason == 0);
    CU_ASSERT(in->open == T0);
    CU_ASSERT(in->queue_wait == 0);
    CU_ASSERT(in->dispatched == T0 + 60 * S);
    CU_ASSERT(in->on_scene == T0 + 210 * S);
    CU_ASSERT(in->close == T0 + 1410 * S);
    CU_ASSERT(in->patrol == 3);
    CU_ASSERT(m.incidents[1].patrol == 4);
    /* the alarm's incident waited 0 s at the desk (it was free since 60 s) */
    CU_ASSERT(m.incidents[1].queue_wait == 0);
    sim_dispatch_free(d);
    eval_metrics_close(&m);
    teardown();
}

static void test_bad_dispatcher_count(void)
{
    setup();
    eval_metrics m;
    CU_ASSERT_FATAL(eval_metrics_init(&m, &scn, 1000) == 0);
    sim_dispatch_world w = {.ctx = NULL, .schedule = schedule, .track = track};
    sim_dispatch *d = (sim_dispatch *)&w; /* any pointer but NULL: it must be cleared */
    scn.dispatch.dispatchers = SIM_MAX_DISPATCHERS + 1;
    CU_ASSERT(sim_dispatch_new(&d, &scn, &frame, &m, &w) == SIM_EINVAL);
    CU_ASSERT(d == NULL);
    eval_metrics_close(&m);
    teardown();
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"nearest patrol, the desk's queue, waiting calls and closing", test_nearest_patrol_queue_and_close},
        {"an unrelated 112 call takes the desk and a patrol, then frees it", test_unrelated_call},
        {"more dispatchers than the desk has is an error", test_bad_dispatcher_count},
        {NULL, NULL},
    };
    return pw_test_main("dispatch", tests);
}
