/*
 * test_alerts.c - the alert lifecycle on scenarios whose answers can be
 * worked out by hand: alarms that close on time, resting tags, uncertain
 * proximity, zone schedules on the clock, GNSS loss in tunnels, stale data,
 * the reveal window at its cap, audit under the right case, hostile calls,
 * and a randomized property harness over all of it.
 *
 * Each test states its arithmetic in its comment.  Positions are local
 * metres around Seoul City Hall; the victim stands at the origin.
 *
 * Over 800 lines: a list of independent cases, each a screenful with its
 * arithmetic, on the one engine fixture (engine_fixture.h); split, the
 * files would only share that fixture.
 */
#include "engine_fixture.h"

#include <stdlib.h>

/* A fix that carries the accelerometer's motion state, delivered `delay`
 * after it was measured. */
static eng_status mfix(pw_id dev, pw_time_ms t, double x, double y, double acc, int moving,
                       pw_time_ms delay)
{
    pw_fix f;
    pw_fix_clear(&f);
    f.device = dev;
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET | PW_FIX_MOTION_SET;
    f.time = t;
    f.moving = moving;
    eng_geo_to_wgs84(&frame, x, y, &f.lat, &f.lon);
    f.acc_m = acc;
    return eng_on_fix(&eng, &f, t + delay);
}

/* A fix with no motion bit but the receiver's own speed (as NMEA RMC or
 * gpsd give it), delivered `delay` after it was measured. */
static eng_status sfix(pw_id dev, pw_time_ms t, double x, double y, double acc, double speed_mps,
                       pw_time_ms delay)
{
    pw_fix f;
    pw_fix_clear(&f);
    f.device = dev;
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET | PW_FIX_SPEED_SET;
    f.time = t;
    f.speed_mps = speed_mps;
    eng_geo_to_wgs84(&frame, x, y, &f.lat, &f.lon);
    f.acc_m = acc;
    return eng_on_fix(&eng, &f, t + delay);
}

static const pw_event *last_of(pw_event_type t)
{
    for (size_t i = rec.n; i-- > 0;)
        if (rec.ev[i].type == t)
            return &rec.ev[i];
    return NULL;
}

static size_t count_after(pw_event_type t, pw_time_ms from)
{
    size_t k = 0;
    for (size_t i = 0; i < rec.n; i++)
        k += rec.ev[i].type == t && rec.ev[i].time >= from;
    return k;
}

/* GNSS noise of a good receiver: 3 m per axis, claiming a 5 m 68 % radius. */
static double noise(void)
{
    return 3.0 * pw_test_gauss(&rng);
}

/* ---- item 1: alarms close on time ----------------------------------- */

/*
 * The victim stands still at the origin; her phone fixes every 60 s and
 * says "at rest".  The offender stands 300 m away for 10 minutes (an alarm),
 * then walks east at 1.5 m/s to 607 m and stands there.  Radius 500 m, leave
 * margin 50 m: the true distance passes 550 m after (550 - 300) / 1.5 =
 * 166.7 s.  The slower device reports every 60 s and the close dwell is
 * 60 s, so the alarm must close within 166.7 + 60 + 60 = 286.7 s of the
 * departure, and the window (grace 60 s) within 346.7 s; after that no
 * position may reach her.  The old engine predicted her 60 s old state as
 * a moving target (sigma ~195 m), so P(within 550 m) of a man 607 m away
 * stayed near 0.4, above p_close = 0.2: the alarm never closed.
 */
static void test_alarm_closes_on_time(void)
{
    for (uint64_t seed = 1; seed <= 5; seed++) {
        eng_case_def c = default_case();
        start(NULL, &c);
        rng = seed;
        pw_time_ms t0 = MONDAY + 10 * HOUR, depart = t0 + 10 * MIN;
        for (pw_time_ms t = t0; t <= depart + 20 * MIN; t += SEC) {
            pw_time_ms k = t - t0;
            if (k % (60 * SEC) == 30 * SEC)
                mfix(VIC, t, noise(), noise(), 5, 0, SEC);
            double walked = t <= depart ? 0.0 : 1.5 * (double)(t - depart) / 1000.0;
            double x = 300.0 + (walked < 307.0 ? walked : 307.0);
            int moving = t > depart && walked < 307.0;
            /* The tag: 15 s in pursuit (the alarm asked for it). */
            if (k % (15 * SEC) == 0)
                mfix(OFF, t, x + noise(), noise(), 5, moving, SEC);
            eng_tick(&eng, t);
        }
        const pw_event *ao = first(PW_EV_ALARM_OPEN), *ac = last_of(PW_EV_ALARM_CLOSE);
        const pw_event *rc = last_of(PW_EV_REVEAL_CLOSE);
        CU_ASSERT_FATAL(ao && ac && rc);
        CU_ASSERT(ao->time < depart);
        CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
        CU_ASSERT(ac->time > depart);
        CU_ASSERT(ac->time - depart <= 286700);
        CU_ASSERT(rc->time - depart <= 346700);
        CU_ASSERT_EQUAL(count_after(PW_EV_REVEAL_UPDATE, rc->time), 0);
        CU_ASSERT_EQUAL(count(PW_EV_REVEAL_OPEN), 1);
        if (seed == 1)
            printf("\n    alarm closed %.0f s, window %.0f s after departure ",
                   (double)(ac->time - depart) / 1000.0, (double)(rc->time - depart) / 1000.0);
        eng_close(&eng);
    }
}

/*
 * The same walk-away with recorded receivers instead of emulated devices:
 * no accelerometer bit, but each fix has the receiver's own speed (a still
 * receiver reports about 0.05 m/s, the walker 1.5 m/s), and both log once
 * a minute.  A speed below 0.5 m/s says at rest, so the same bounds hold:
 * alarm closed within 286.7 s of the departure, window within 346.7 s.
 * Without a motion state (the old engine) each minute-old state was a
 * moving target and the alarm closed 7 to 21 minutes late.
 */
static void test_alarm_closes_on_time_from_receiver_speed(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    rng = 9;
    pw_time_ms t0 = MONDAY + 10 * HOUR, depart = t0 + 10 * MIN;
    for (pw_time_ms t = t0; t <= depart + 20 * MIN; t += SEC) {
        pw_time_ms k = t - t0;
        if (k % (60 * SEC) == 30 * SEC)
            sfix(VIC, t, noise(), noise(), 5, 0.05, SEC);
        double walked = t <= depart ? 0.0 : 1.5 * (double)(t - depart) / 1000.0;
        int moving = t > depart && walked < 307.0;
        if (k % (60 * SEC) == 0) /* a receiver that logs once a minute */
            sfix(OFF, t, 300.0 + (walked < 307.0 ? walked : 307.0) + noise(), noise(), 5, moving ? 1.5 : 0.05,
                 SEC);
        eng_tick(&eng, t);
    }
    const pw_event *ac = last_of(PW_EV_ALARM_CLOSE), *rc = last_of(PW_EV_REVEAL_CLOSE);
    CU_ASSERT_FATAL(ac && rc);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    CU_ASSERT(ac->time - depart <= 286700);
    CU_ASSERT(rc->time - depart <= 346700);
    eng_close(&eng);
}

/*
 * A countdown to close is not restarted by one judgement inside the band
 * between p_close (0.2) and p_open (0.9 here, a wide band).  The alarm is
 * open with the offender at 300 m; at A he reports from 700 m (every
 * judgement P = 0: the 60 s close countdown starts at A), and at A + 100 s,
 * after a 60 s gap, from 550 m: a fresh fix on a spread track lands the
 * estimate within a few metres of 550, where P(within 550 m) is about 0.5,
 * inside the band.  The countdown must go on: the alarm closes at A + 60 s
 * - before that fix even arrives.  Put the fix earlier, at A + 40 s, and
 * the countdown must still complete at A + 60 s; the old engine restarted
 * it at A + 40 s and closed at A + 100 s at the earliest.
 */
static void test_close_countdown_survives_band(void)
{
    eng_case_def c = default_case();
    c.p_open = 0.9;
    start(NULL, &c);
    pw_time_ms t = MONDAY + 10 * HOUR;
    for (int k = 0; k < 6; k++, t += 10 * SEC) {
        mfix(VIC, t, 0, 0, 5, 0, 0);
        mfix(OFF, t + 5 * SEC, 300, 0, 5, 0, 0);
    }
    CU_ASSERT_EQUAL_FATAL(count(PW_EV_ALARM_OPEN), 1);
    /* He left during a 60 s silence and reports from 700 m. */
    pw_time_ms A = t + 60 * SEC;
    mfix(OFF, A, 700, 0, 5, 1, 0);
    CU_ASSERT_EQUAL(eng_get_counters(&eng)->fixes_accepted, 13);
    ticks(A, A + 40 * SEC - 1);
    /* A fix in the band: 40 s of spread on his track, so it lands near 550. */
    mfix(OFF, A + 40 * SEC, 550, 0, 5, 1, 0);
    ticks(A + 40 * SEC, A + 120 * SEC);
    const pw_event *ac = first(PW_EV_ALARM_CLOSE);
    CU_ASSERT_FATAL(ac != NULL);
    CU_ASSERT(ac->probability <= 0.9);
    CU_ASSERT_EQUAL(ac->time, A + 60 * SEC);
    eng_close(&eng);
}

/* ---- item 2: a resting tag alarms in time ---------------------------- */

/*
 * The offender rests at the origin; his tag fixes every 5 min and says "at
 * rest".  The victim walks at 1.4 m/s from 1,500 m straight at him; her
 * phone fixes every 60 s, delivered 1 s later.  The true breach (500 m)
 * begins after 1000 / 1.4 = 714.3 s.  Her first fix after that arrives
 * within 60 s + 1 s, and it must raise the alarm: within 62 s of the
 * breach.  Tried at five phases of the tag's 5-min cycle.  The old engine
 * spread the resting tag like a moving target (sigma ~430 m after 180 s),
 * so even a victim on top of him scored below p_open: up to 249 s late.
 */
static void test_resting_offender_alarms_in_time(void)
{
    for (int phase = 0; phase < 5; phase++) {
        eng_case_def c = default_case();
        start(NULL, &c);
        rng = 100 + (uint64_t)phase;
        pw_time_ms t0 = MONDAY + 10 * HOUR;
        pw_time_ms breach = t0 + 714286;
        pw_time_ms tag_offset = phase * 60 * SEC;
        for (pw_time_ms t = t0 - 10 * MIN; t <= t0 + 20 * MIN; t += SEC) {
            if ((t - t0 + 10 * MIN + tag_offset) % (5 * MIN) == 0)
                mfix(OFF, t, noise(), noise(), 5, 0, SEC);
            if (t >= t0 && (t - t0) % (60 * SEC) == 17 * SEC) {
                double y = 1500.0 - 1.4 * (double)(t - t0) / 1000.0;
                mfix(VIC, t, noise(), (y > 10 ? y : 10) + noise(), 5, 1, SEC);
            }
            eng_tick(&eng, t);
        }
        const pw_event *ao = first(PW_EV_ALARM_OPEN);
        CU_ASSERT_FATAL(ao != NULL);
        CU_ASSERT(ao->time >= breach - 5 * SEC); /* not before the breach (5 m of noise) */
        CU_ASSERT(ao->time - breach <= 62 * SEC);
        if (phase == 0)
            printf("\n    breach -> alarm %.1f s ", (double)(ao->time - breach) / 1000.0);
        eng_close(&eng);
    }
}

/* ---- item 3: plausibly inside must never mean silent ----------------- */

/*
 * Cell-only fixes, one each 30 s for 3 minutes, claiming 650 m (sigma
 * 650 / 1.5096 = 430.6 m) 50 m from the victim.  Their errors come from the
 * same towers and do not average out, so the track stays at least that
 * uncertain: even at zero distance P(within 500 m) = 1 - exp(-500^2 /
 * (2 x 430.6^2)) = 0.49 < p_open, and the proximity rule can never open.
 * The engine must escalate: uncertain_proximity to the centre, pursuit on,
 * a victim warning with no position, an incident - and no reveal.  The same
 * fixes 3 km away: P ~ 1e-5, nothing.  A GNSS fix 100 m away then decides:
 * an alarm, and the uncertainty ends.
 */
static void test_uncertain_proximity(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    pw_time_ms t = MONDAY + 10 * HOUR;
    mfix(VIC, t, 0, 0, 5, 0, 0);
    for (int k = 1; k <= 6; k++) {
        fix_src(OFF, t + k * 30 * SEC, 50, 0, 650, PW_SRC_CELL);
        ticks(t + k * 30 * SEC, t + k * 30 * SEC + 29 * SEC);
    }
    const pw_event *u = first(PW_EV_UNCERTAIN_OPEN), *w = first(PW_EV_VICTIM_WARNING);
    const pw_event *es = first(PW_EV_ESCALATION);
    CU_ASSERT_FATAL(u && w && es);
    CU_ASSERT_EQUAL(count(PW_EV_UNCERTAIN_OPEN), 1);
    CU_ASSERT(u->probability > 0.2 && u->probability < 0.5);
    CU_ASSERT_EQUAL(count(PW_EV_PURSUIT_ON), 1);
    CU_ASSERT(isnan(w->lat) && isnan(w->lon));
    CU_ASSERT_EQUAL(w->recipient_id, VIC);
    CU_ASSERT_EQUAL(es->reason, PW_EV_UNCERTAIN_OPEN);
    CU_ASSERT_EQUAL(count(PW_EV_INCIDENT_OPEN), 1);
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_OPEN), 0);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 0);
    /* A GNSS fix decides it. */
    mfix(OFF, t + 4 * MIN, 100, 0, 5, 1, 0);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    CU_ASSERT_EQUAL(count(PW_EV_UNCERTAIN_CLOSE), 1);
    CU_ASSERT_EQUAL(count(PW_EV_PURSUIT_ON), 1);
    CU_ASSERT_EQUAL(count(PW_EV_PURSUIT_OFF), 0); /* the alarm holds it */
    eng_close(&eng);

    start(NULL, &c);
    mfix(VIC, t, 0, 0, 5, 0, 0);
    for (int k = 1; k <= 6; k++) {
        fix_src(OFF, t + k * 30 * SEC, 3000, 0, 650, PW_SRC_CELL);
        ticks(t + k * 30 * SEC, t + k * 30 * SEC + 29 * SEC);
    }
    CU_ASSERT_EQUAL(count(PW_EV_UNCERTAIN_OPEN), 0);
    CU_ASSERT_EQUAL(count(PW_EV_ESCALATION), 0);
    CU_ASSERT_EQUAL(count(PW_EV_VICTIM_WARNING), 0);
    CU_ASSERT_EQUAL(count(PW_EV_PURSUIT_ON), 0);
    eng_close(&eng);
}

/* ---- item 4: polygon zones use the 2-D probability ------------------- */

static eng_case_def square_zone_case(double half_m)
{
    eng_case_def c = default_case();
    eng_frame_init(&frame, LAT0, LON0);
    c.n_zones = 1;
    eng_zone_def *z = &c.zones[0];
    z->id = 9;
    z->kind = ENG_ZONE_POLYGON;
    z->n_vertices = 4;
    static const double sx[4] = {-1, 1, 1, -1}, sy[4] = {-1, -1, 1, 1};
    for (int i = 0; i < 4; i++)
        eng_geo_to_wgs84(&frame, 3000 + half_m * sx[i], half_m * sy[i], &z->lat[i], &z->lon[i]);
    return c;
}

/*
 * The example: an offender seen only through a coarse fix (sigma
 * 300 m: a cell fix claiming 300 x 1.5096 = 452.9 m) at the centre of a
 * 150 m square zone.  The 2-D Gaussian puts about area x peak density =
 * 22,500 / (2 pi 300^2) = 0.040 of its mass inside (0.039 exactly, from
 * tests/data/polygon_prob.tsv): no alarm.  The old half-plane rule said
 * 0.60 and alarmed.  A GNSS fix there: P ~ 1, an alarm.
 */
static void test_polygon_zone_coarse_fix(void)
{
    eng_case_def c = square_zone_case(75);
    start(NULL, &c);
    fix_src(OFF, MONDAY + 10 * HOUR, 3000, 0, 452.9, PW_SRC_CELL);
    ticks(MONDAY + 10 * HOUR, MONDAY + 10 * HOUR + MIN);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 0);
    mfix(OFF, MONDAY + 10 * HOUR + 2 * MIN, 3000, 0, 5, 0, 0);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    const pw_event *ao = first(PW_EV_ALARM_OPEN);
    CU_ASSERT_FATAL(ao != NULL);
    CU_ASSERT_EQUAL(ao->rule, ENG_RULE_ZONE);
    eng_close(&eng);
}

/*
 * The leave margin grows a polygon outward: a 100 m square (half 50 m) with
 * the default 50 m leave margin closes only once he is more than 50 m
 * outside it.  He stands inside (alarm), then 30 m outside the east edge
 * (80 m from the centre line: inside the grown square, P ~ 1 with a 5 m
 * fix: the alarm holds), then 90 m outside (P ~ 0: it closes after the
 * 60 s dwell).
 */
static void test_polygon_leave_margin(void)
{
    eng_case_def c = square_zone_case(50);
    start(NULL, &c);
    pw_time_ms t = MONDAY + 10 * HOUR;
    for (int k = 0; k < 30; k++, t += 10 * SEC) {
        double x = k < 6 ? 3000 : k < 18 ? 3080 : 3140;
        mfix(OFF, t, x, 0, 5, 1, 0);
        if (k == 17)
            CU_ASSERT_EQUAL(count(PW_EV_ALARM_CLOSE), 0);
        ticks(t, t + 10 * SEC - 1);
    }
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_CLOSE), 1);
    eng_close(&eng);
}

/* ---- item 5: zone schedules on the clock ----------------------------- */

static eng_case_def school_zone_case(void)
{
    eng_case_def c = default_case();
    eng_frame_init(&frame, LAT0, LON0);
    c.n_zones = 1;
    eng_zone_def *z = &c.zones[0];
    z->id = 7;
    z->kind = ENG_ZONE_CIRCLE;
    eng_geo_to_wgs84(&frame, 5000, 0, &z->center_lat, &z->center_lon);
    z->radius_m = 200;
    z->schedule.utc_offset_min = 540; /* KST */
    z->schedule.n_windows = 1;
    z->schedule.windows[0] = (eng_window){.days_mask = 0x1f, .start_min = 8 * 60, .end_min = 16 * 60};
    return c;
}

/*
 * A tag at rest inside a school zone (weekdays 08:00-16:00 KST), fixing
 * every 5 min at hh:m2:30 and hh:m7:30.  At 08:00 the zone applies: the
 * alarm must open at the 08:00:00 tick (within one tick), not at the next
 * fix (08:02:30, as it did: 150 s late).  At 16:00 it stops applying: the
 * alarm closes at the 16:00:00 tick and the window a grace (60 s) later,
 * not after the next fix plus the close dwell (16:03:30).
 */
static void test_zone_schedule_on_tick(void)
{
    eng_case_def c = school_zone_case();
    c.reveal_max_ms = 12 * HOUR; /* the window lasts the school day */
    start(NULL, &c);
    pw_time_ms day = MONDAY; /* Monday 00:00 KST */
    mfix(VIC, day + 7 * HOUR, 0, 0, 5, 0, 0);
    for (pw_time_ms t = day + 7 * HOUR + 50 * MIN; t <= day + 16 * HOUR + 10 * MIN; t += SEC) {
        if ((t - day) % (5 * MIN) == 150 * SEC)
            mfix(OFF, t, 5000 + noise(), noise(), 5, 0, 0);
        if ((t - day) % (30 * MIN) == 0)
            mfix(VIC, t, 0, 0, 5, 0, 0);
        eng_tick(&eng, t);
    }
    const pw_event *ao = first(PW_EV_ALARM_OPEN), *ac = first(PW_EV_ALARM_CLOSE);
    const pw_event *rc = first(PW_EV_REVEAL_CLOSE);
    CU_ASSERT_FATAL(ao && ac && rc);
    CU_ASSERT_EQUAL(ao->rule, ENG_RULE_ZONE);
    CU_ASSERT_EQUAL(ao->time, day + 8 * HOUR);
    CU_ASSERT_EQUAL(ac->time, day + 16 * HOUR);
    CU_ASSERT_EQUAL(rc->time, day + 16 * HOUR + c.grace_ms);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    eng_close(&eng);
}

/* eng_schedule_next_change against boundaries counted by hand: from Monday
 * 07:00 KST the next change of a weekday 08:00-16:00 window is Monday 08:00,
 * from 09:00 it is 16:00, from Friday 17:00 it is the next Monday 08:00
 * (2 days 15 hours later), and a schedule with no windows never changes. */
static void test_schedule_next_change(void)
{
    eng_case_def c = school_zone_case();
    const eng_schedule *s = &c.zones[0].schedule;
    CU_ASSERT_EQUAL(eng_schedule_next_change(s, MONDAY + 7 * HOUR), MONDAY + 8 * HOUR);
    CU_ASSERT_EQUAL(eng_schedule_next_change(s, MONDAY + 8 * HOUR), MONDAY + 16 * HOUR);
    CU_ASSERT_EQUAL(eng_schedule_next_change(s, MONDAY + 9 * HOUR), MONDAY + 16 * HOUR);
    pw_time_ms friday_17 = MONDAY + 4 * 24 * HOUR + 17 * HOUR;
    CU_ASSERT_EQUAL(eng_schedule_next_change(s, friday_17), friday_17 + 2 * 24 * HOUR + 15 * HOUR);
    eng_schedule none = {0};
    CU_ASSERT_EQUAL(eng_schedule_next_change(&none, MONDAY), INT64_MAX);
}

/* ---- item 6: tunnels are not invisible ------------------------------- */

/*
 * The offender rides a train 800 m from the victim (inside her 1,000 m
 * pre-warning radius): GNSS fixes every 15 s, then five minutes underground
 * where the tag sends cell-tower positions every 15 s, then GNSS again.
 * GNSS is lost 150 s (the documented default) after the last GNSS fix's own
 * time, whatever cell positions arrive: signal_lost at exactly that time,
 * escalated near the victim, and restored by the first GNSS fix after the
 * tunnel.  The old engine let every cell fix reset the timer: no event.
 */
static void test_tunnel_raises_signal_loss(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    pw_time_ms t0 = MONDAY + 10 * HOUR, last_gnss = 0;
    mfix(VIC, t0, 0, 0, 5, 0, 0);
    for (pw_time_ms t = t0; t <= t0 + 8 * MIN; t += SEC) {
        if ((t - t0) % (15 * SEC) == 0) {
            int underground = t > t0 + 2 * MIN && t < t0 + 7 * MIN;
            if (underground) {
                fix_src(OFF, t, 800, 0, 400, PW_SRC_CELL);
            } else {
                mfix(OFF, t, 800 + noise(), noise(), 5, 1, 0);
                if (t <= t0 + 2 * MIN)
                    last_gnss = t;
            }
        }
        if ((t - t0) % MIN == 0)
            mfix(VIC, t, 0, 0, 5, 0, 0);
        eng_tick(&eng, t);
    }
    const pw_event *sl = first_of(PW_EV_SIGNAL_LOST, OFF), *sr = first_of(PW_EV_SIGNAL_RESTORED, OFF);
    CU_ASSERT_FATAL(sl && sr);
    CU_ASSERT_EQUAL(sl->time, last_gnss + 150 * SEC);
    CU_ASSERT_EQUAL(sr->time, t0 + 7 * MIN); /* the first fix out of the tunnel */
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 1);
    const pw_event *es = first(PW_EV_ESCALATION);
    CU_ASSERT_FATAL(es != NULL);
    CU_ASSERT_EQUAL(es->reason, PW_EV_SIGNAL_LOST);
    eng_close(&eng);
}

/* A tag at rest fixes every 5 min by design: with the rest timeout of a
 * device (rest interval 300 s + 150 s = 450 s) it never loses its signal;
 * with only the moving timeout (150 s) it would, at every fix gap. */
static void test_resting_tag_is_not_lost(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    eng_device_timeouts to = {150 * SEC, 450 * SEC, 0};
    CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, OFF, &to), ENG_OK);
    pw_time_ms t0 = MONDAY + 10 * HOUR;
    for (pw_time_ms t = t0; t <= t0 + HOUR; t += SEC) {
        if ((t - t0) % (5 * MIN) == 0)
            mfix(OFF, t, 3000 + noise(), noise(), 5, 0, 0);
        eng_tick(&eng, t);
    }
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 0);
    /* Then it stops fixing altogether: lost 450 s after its last fix. */
    for (pw_time_ms t = t0 + HOUR + SEC; t <= t0 + HOUR + 10 * MIN; t += SEC)
        eng_tick(&eng, t);
    const pw_event *sl = first_of(PW_EV_SIGNAL_LOST, OFF);
    CU_ASSERT_FATAL(sl != NULL);
    CU_ASSERT_EQUAL(sl->time, t0 + HOUR + 450 * SEC);
    eng_close(&eng);
}

/*
 * A walking tag (fixes every 60 s, moving) stops at t0 + 10:30 and says so
 * at once in a status; its first "at rest" fix, due at t0 + 11:00, is lost
 * and the next comes 5 minutes later.  With the status the rest timeout
 * applies (2 x 300 + 150 = 750 s after the last GNSS fix, t0 + 10:00): no
 * signal loss through t0 + 16:00.  Without it, the moving timeout (150 s)
 * would declare lost satellites at t0 + 12:30 for one lost report.
 */
static void test_stop_status_keeps_rest_timeout(void)
{
    for (int with_status = 1; with_status >= 0; with_status--) {
        eng_case_def c = default_case();
        start(NULL, &c);
        eng_device_timeouts to = {150 * SEC, 750 * SEC, 0};
        CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, OFF, &to), ENG_OK);
        pw_time_ms t0 = MONDAY + 10 * HOUR;
        for (pw_time_ms t = t0; t <= t0 + 17 * MIN; t += SEC) {
            pw_time_ms k = t - t0;
            if (k <= 10 * MIN && k % MIN == 0)
                mfix(OFF, t, 3000 + 1.2 * (double)k / 1000.0, 0, 5, 1, 0);
            if (with_status && k == 10 * MIN + 30 * SEC) {
                pw_device_status st = {.device = OFF, .set = PW_STATUS_MOTION_SET, .time = t, .moving = 0};
                CU_ASSERT_EQUAL(eng_on_status(&eng, &st, t), ENG_OK);
            }
            if (k == 16 * MIN) /* the rest fix after the lost one */
                mfix(OFF, t, 3000 + 1.2 * 630, 0, 5, 0, 0);
            eng_tick(&eng, t);
        }
        const pw_event *sl = first_of(PW_EV_SIGNAL_LOST, OFF);
        if (with_status) {
            CU_ASSERT_PTR_NULL(sl);
        } else {
            CU_ASSERT_FATAL(sl != NULL);
            CU_ASSERT_EQUAL(sl->time, t0 + 12 * MIN + 30 * SEC);
        }
        eng_close(&eng);
    }
}

/*
 * A tag at rest fixes at 0 and 300 s.  At 605 s a status says he started
 * moving, and no fix follows.  The moving GNSS timeout (150 s) counts from
 * the start he reported, not from the rest fix 305 s before it (which was
 * not due to be followed for minutes): signal lost at exactly 755 s, not
 * at the next tick.  A status dated before the newest fix says nothing
 * new: after a moving fix at 760 s, an "at rest" status dated 700 s leaves
 * the moving timeout in force.
 */
static void test_start_status_counts_from_the_start(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    eng_device_timeouts to = {150 * SEC, 750 * SEC, 0};
    CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, OFF, &to), ENG_OK);
    pw_time_ms t0 = MONDAY + 10 * HOUR;
    mfix(OFF, t0, 3000, 0, 5, 0, 0);
    mfix(OFF, t0 + 300 * SEC, 3000, 0, 5, 0, 0);
    ticks(t0 + 300 * SEC, t0 + 605 * SEC - 1);
    pw_device_status st = {.device = OFF, .set = PW_STATUS_MOTION_SET, .time = t0 + 605 * SEC, .moving = 1};
    CU_ASSERT_EQUAL(eng_on_status(&eng, &st, t0 + 605 * SEC), ENG_OK);
    ticks(t0 + 605 * SEC - 1, t0 + 759 * SEC);
    const pw_event *sl = first_of(PW_EV_SIGNAL_LOST, OFF);
    CU_ASSERT_FATAL(sl != NULL);
    CU_ASSERT_EQUAL(sl->time, t0 + 755 * SEC);
    eng_close(&eng);

    start(NULL, &c);
    CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, OFF, &to), ENG_OK);
    for (int k = 0; k <= 12; k++)
        mfix(OFF, t0 + k * 60 * SEC, 3000 + 10 * k, 0, 5, 1, 0);
    mfix(OFF, t0 + 760 * SEC, 3130, 0, 5, 1, 0);
    pw_device_status old = {.device = OFF, .set = PW_STATUS_MOTION_SET, .time = t0 + 700 * SEC, .moving = 0};
    CU_ASSERT_EQUAL(eng_on_status(&eng, &old, t0 + 761 * SEC), ENG_OK);
    ticks(t0 + 761 * SEC, t0 + 920 * SEC);
    sl = first_of(PW_EV_SIGNAL_LOST, OFF);
    CU_ASSERT_FATAL(sl != NULL);
    CU_ASSERT_EQUAL(sl->time, t0 + 910 * SEC); /* 760 + 150: still moving */
    eng_close(&eng);
}

/* The small guards, each at its edge: an open dwell needs every judgement
 * at p_open (one in the band restarts it); contact time never steps back
 * with `now`; schedule changes outside the engine's time range are
 * "never"; infinite margins are refused. */
static void test_small_guards(void)
{
    /* Open dwell 30 s, p_open 0.9 (a wide band above p_close 0.2).  He
     * stands 100 m from her (P ~ 1) with fixes each 10 s; the fix at 20 s
     * puts him about 500 m away, where P(within 500 m) is in the band (the
     * test checks that from the engine's own estimates); from 30 s he is at
     * 100 m again.  The dwell that began at 0 must restart at 30 s: the
     * alarm opens at 60 s, not at 30 s. */
    eng_case_def c = default_case();
    c.dwell_open_ms = 30 * SEC;
    c.p_open = 0.9;
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    cfg.filter.gate_chi2 = 1e12;
    cfg.filter.max_speed_mps = 1e6;
    start(&cfg, &c);
    pw_time_ms t0 = MONDAY + 10 * HOUR;
    for (int k = 0; k <= 8; k++) {
        pw_time_ms t = t0 + k * 10 * SEC;
        mfix(VIC, t, 0, 0, 1, 0, 0);
        mfix(OFF, t, k == 2 ? 504 : 100, 0, 1, 1, 0);
        if (k == 2) {
            eng_estimate eo, ev;
            CU_ASSERT_EQUAL_FATAL(eng_device_estimate(&eng, OFF, t, &eo), ENG_OK);
            CU_ASSERT_EQUAL_FATAL(eng_device_estimate(&eng, VIC, t, &ev), ENG_OK);
            double p = eng_prob_within(hypot(eo.x - ev.x, eo.y - ev.y), hypot(eo.sigma_m, ev.sigma_m), 500);
            CU_ASSERT_FATAL(p > 0.2 && p < 0.9); /* the judgement at 20 s is in the band */
        }
        ticks(t, t + 10 * SEC - 1);
    }
    const pw_event *ao = first(PW_EV_ALARM_OPEN);
    CU_ASSERT_FATAL(ao != NULL);
    CU_ASSERT_EQUAL(ao->time, t0 + 60 * SEC);
    eng_close(&eng);

    /* Contact at T, then a message whose `now` is 100 s earlier: contact
     * is still lost at T + 300 s (the default no_comm), not before. */
    start(NULL, &c);
    pw_device_status s = {.device = OFF};
    eng_on_status(&eng, &s, t0);
    eng_on_status(&eng, &s, t0 - 100 * SEC);
    ticks(t0, t0 + 301 * SEC);
    const pw_event *cl = first_of(PW_EV_COMM_LOST, OFF);
    CU_ASSERT_FATAL(cl != NULL);
    CU_ASSERT_EQUAL(cl->time, t0 + 300 * SEC);
    eng_close(&eng);

    eng_case_def z = school_zone_case();
    CU_ASSERT_EQUAL(eng_schedule_next_change(&z.zones[0].schedule, -1), INT64_MAX);
    CU_ASSERT_EQUAL(eng_schedule_next_change(&z.zones[0].schedule, ENG_TIME_MAX + 1), INT64_MAX);
    CU_ASSERT_EQUAL(eng_schedule_next_change(&z.zones[0].schedule, INT64_MAX), INT64_MAX);

    start(NULL, NULL);
    eng_add_device(&eng, OFF, ENG_ROLE_OFFENDER);
    eng_add_device(&eng, VIC, ENG_ROLE_VICTIM);
    c = default_case();
    c.leave_margin_m = INFINITY;
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EINVAL);
    c = default_case();
    c.enter_margin_m = INFINITY;
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EINVAL);
    eng_close(&eng);
}

/* ---- item 11: stale data is not trusted ------------------------------ */

/*
 * A tag 50 m from the victim whose every fix arrives five minutes after it
 * was measured, every 5 s for an hour: 720 fixes.  Each is older than
 * max_fix_age_ms (120 s) on arrival: 720 counted stale, one stale_data
 * event (an episode), escalated near the victim with an incident; and since
 * its newest fix is always 300 s old, more than the 150 s GNSS timeout,
 * signal_lost at the first tick after the first arrival.  The old engine
 * accepted all 720, raised nothing and kept the tag "alive".
 */
static void test_stale_fixes_raise_stale_data(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    pw_time_ms t0 = MONDAY + 10 * HOUR;
    mfix(VIC, t0 - MIN, 0, 0, 5, 0, 0);
    for (int k = 0; k < 720; k++) {
        pw_time_ms t = t0 + k * 5 * SEC;
        if (k % 12 == 0)
            mfix(VIC, t + 5 * MIN, 0, 0, 5, 0, 0);
        mfix(OFF, t, 50 + noise(), noise(), 5, 1, 5 * MIN);
        ticks(t + 5 * MIN, t + 5 * MIN + 5 * SEC);
    }
    CU_ASSERT_EQUAL(eng_get_counters(&eng)->fixes_stale, 720);
    /* A stale fix that the gates also reject (a repeat of the last one) is
     * counted as stale all the same: 721. */
    CU_ASSERT_EQUAL(mfix(OFF, t0 + 719 * 5 * SEC, 50, 0, 5, 1, 5 * MIN + 7 * SEC), ENG_EREJECTED);
    CU_ASSERT_EQUAL(eng_get_counters(&eng)->fixes_stale, 721);
    const pw_event *st = first_of(PW_EV_STALE_DATA, OFF), *sl = first_of(PW_EV_SIGNAL_LOST, OFF);
    CU_ASSERT_FATAL(st && sl);
    CU_ASSERT_EQUAL(count(PW_EV_STALE_DATA), 1);
    CU_ASSERT_DOUBLE_EQUAL(st->value, 300.0, 1e-9);
    CU_ASSERT_EQUAL(st->time, t0 + 5 * MIN);
    CU_ASSERT(sl->time <= t0 + 5 * MIN + SEC);
    const pw_event *es = first(PW_EV_ESCALATION);
    CU_ASSERT_FATAL(es != NULL);
    CU_ASSERT_EQUAL(es->reason, PW_EV_STALE_DATA);
    CU_ASSERT(count(PW_EV_INCIDENT_OPEN) >= 1);
    eng_close(&eng);
}

/* ---- item 12: a reveal window is not lost at its cap ----------------- */

/*
 * Two visits of a case with a 10 min cap, 10 min grace and a 30 s open
 * dwell.  The filter's gates are opened wide and the fixes are sharp (2 m,
 * the GNSS floor): these tests are about the lifecycle's timers, so every
 * fix must count at once.  He stands 200 m from her from T - 30 s to T + 3
 * min (the first alarm opens at T, its window caps at T + 10 min), then
 * 2 km away, then 200 m again from `second_from` on.  Each 10 s his fix
 * comes first, so hers sees him at the same instant.
 */
static pw_time_ms two_visits(pw_time_ms second_from)
{
    eng_case_def c = default_case();
    c.reveal_max_ms = 10 * MIN;
    c.grace_ms = 10 * MIN;
    c.dwell_open_ms = 30 * SEC;
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    cfg.filter.gate_chi2 = 1e12;
    cfg.filter.max_speed_mps = 1e6;
    start(&cfg, &c);
    pw_time_ms T = MONDAY + 10 * HOUR;
    for (pw_time_ms t = T - 2 * MIN; t <= T + 15 * MIN; t += SEC) {
        pw_time_ms k = t - T;
        double x = (k >= -30 * SEC && k < 3 * MIN) || k >= second_from ? 200 : 2000;
        if (k % (10 * SEC) == 0) {
            mfix(OFF, t, x, 0, 1, 1, 0);
            mfix(VIC, t, 0, 0, 1, 0, 0);
        }
        eng_tick(&eng, t);
    }
    return T;
}

/*
 * The second visit from T + 9:30: the new alarm's dwell completes at
 * exactly T + 10 min, the tick at which the first window reaches its cap.
 * Expiry must come first: the old window closes (timeout) and the new
 * alarm opens a new one at the same instant, and positions keep reaching
 * her.  The old order opened the alarm into the expiring window and then
 * closed it: no window for the rest of the alarm.
 */
static void test_reveal_cap_and_new_alarm_same_tick(void)
{
    pw_time_ms T = two_visits(10 * MIN - 30 * SEC);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 2);
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_OPEN), 2);
    const pw_event *first_open = first(PW_EV_ALARM_OPEN), *cap = first(PW_EV_REVEAL_CLOSE);
    const pw_event *second = last_of(PW_EV_REVEAL_OPEN);
    CU_ASSERT_FATAL(first_open && cap && second);
    CU_ASSERT_EQUAL(first_open->time, T);
    CU_ASSERT_EQUAL(cap->time, T + 10 * MIN);
    CU_ASSERT_EQUAL(cap->reason, ENG_REVEAL_TIMEOUT);
    CU_ASSERT_EQUAL(second->time, T + 10 * MIN);
    CU_ASSERT(count_after(PW_EV_REVEAL_UPDATE, T + 10 * MIN + SEC) >= 20);
    eng_close(&eng);
}

/*
 * The second visit 10 s earlier, from T + 9:20: the new alarm's dwell ends
 * at T + 9:50, while the first window is still open for the first alarm's
 * grace, 10 s before that window's cap.  The new danger must get a window
 * of its own (the grace window closes, "renewed", and a new one opens at
 * T + 9:50), so positions keep reaching her after T + 10:00; inheriting the
 * old window lost them all at its cap.
 */
static void test_new_alarm_in_grace_gets_its_own_window(void)
{
    pw_time_ms T = two_visits(10 * MIN - 40 * SEC);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 2);
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_OPEN), 2);
    const pw_event *renewed = first(PW_EV_REVEAL_CLOSE), *second = last_of(PW_EV_REVEAL_OPEN);
    CU_ASSERT_FATAL(renewed && second);
    CU_ASSERT_EQUAL(renewed->reason, ENG_REVEAL_RENEWED);
    CU_ASSERT_EQUAL(renewed->time, T + 10 * MIN - 10 * SEC);
    CU_ASSERT_EQUAL(second->time, T + 10 * MIN - 10 * SEC);
    CU_ASSERT(count_after(PW_EV_REVEAL_UPDATE, T + 10 * MIN + SEC) >= 20);
    eng_close(&eng);
}

/*
 * A proximity alarm opens at 07:50 with a 10-minute cap; the offender
 * stands 100 m from the victim, inside a school zone (weekdays from 08:00).
 * At 08:00 the zone alarm opens on the schedule's tick and the window
 * reaches its cap on the same tick: expiry first, so the old window closes
 * (timeout) and the zone alarm opens a new one at 08:00, and positions keep
 * coming.  The zone judged before the windows used to open the alarm into
 * the expiring window and lose it.
 */
static void test_zone_alarm_at_window_cap(void)
{
    eng_case_def c = default_case();
    eng_frame_init(&frame, LAT0, LON0);
    c.reveal_max_ms = 10 * MIN;
    c.grace_ms = 30 * MIN;
    c.n_zones = 1;
    eng_zone_def *z = &c.zones[0];
    z->id = 7;
    z->kind = ENG_ZONE_CIRCLE;
    eng_geo_to_wgs84(&frame, 100, 0, &z->center_lat, &z->center_lon);
    z->radius_m = 200;
    z->schedule.utc_offset_min = 540;
    z->schedule.n_windows = 1;
    z->schedule.windows[0] = (eng_window){.days_mask = 0x1f, .start_min = 8 * 60, .end_min = 16 * 60};
    start(NULL, &c);
    pw_time_ms day = MONDAY;
    for (pw_time_ms t = day + 7 * HOUR + 50 * MIN; t <= day + 8 * HOUR + 10 * MIN; t += SEC) {
        if ((t - day) % (30 * SEC) == 0) {
            mfix(OFF, t, 100, 0, 5, 0, 0);
            mfix(VIC, t, 0, 0, 5, 0, 0);
        }
        eng_tick(&eng, t);
    }
    const pw_event *first_open = first(PW_EV_REVEAL_OPEN), *cap = first(PW_EV_REVEAL_CLOSE);
    const pw_event *zone_open = last_of(PW_EV_ALARM_OPEN), *second = last_of(PW_EV_REVEAL_OPEN);
    CU_ASSERT_FATAL(first_open && cap && zone_open && second);
    CU_ASSERT_EQUAL(zone_open->rule, ENG_RULE_ZONE);
    CU_ASSERT_EQUAL(zone_open->time, day + 8 * HOUR);
    CU_ASSERT_EQUAL(cap->reason, ENG_REVEAL_TIMEOUT);
    CU_ASSERT_EQUAL(first_open->time, day + 7 * HOUR + 50 * MIN);
    CU_ASSERT_EQUAL(cap->time, day + 8 * HOUR);
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_OPEN), 2);
    CU_ASSERT(count_after(PW_EV_REVEAL_UPDATE, day + 8 * HOUR + SEC) >= 10);
    eng_close(&eng);
}

/* ---- item 13: audit under the case that allowed it ------------------- */

/*
 * Two cases on one offender-victim pair: A (500 m, no grace) and B (400 m,
 * 10 min grace).  He comes to 300 m (both alarm), backs off to 480 m
 * (B closes; its window stays 10 min), then leaves to 2 km (A closes, with
 * no grace: A's window ends then and there).  No position may reach the
 * victim under case A from A's alarm close on; B's open window allows
 * nothing for A.  And the access rule never says yes for a moment before a
 * window opened.
 */
static void test_audit_under_the_right_case(void)
{
    eng_case_def a, b;
    eng_case_default(&a, CASE, OFF, VIC);
    a.grace_ms = 0;
    eng_case_default(&b, CASE + 1, OFF, VIC);
    b.alarm_radius_m = 400;
    b.grace_ms = 10 * MIN;
    start(NULL, &a);
    CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, &b), ENG_OK);
    pw_time_ms T = MONDAY + 10 * HOUR;
    for (pw_time_ms t = T; t <= T + 12 * MIN; t += 10 * SEC) {
        pw_time_ms k = t - T;
        double x = k < 2 * MIN ? 300 : k < 5 * MIN ? 480 : 2000;
        mfix(VIC, t, 0, 0, 5, 0, 0);
        mfix(OFF, t + SEC, x, 0, 5, 1, 0);
        ticks(t + SEC, t + 10 * SEC);
    }
    pw_time_ms a_closed = -1, a_opened = -1;
    for (size_t i = 0; i < rec.n; i++) {
        const pw_event *ev = &rec.ev[i];
        if (ev->type == PW_EV_ALARM_CLOSE && ev->case_id == CASE)
            a_closed = ev->time;
        if (ev->type == PW_EV_REVEAL_OPEN && ev->case_id == CASE && a_opened < 0)
            a_opened = ev->time;
        if (ev->type == PW_EV_DISCLOSURE && ev->recipient == ENG_PARTY_VICTIM && ev->case_id == CASE &&
            a_closed >= 0)
            CU_FAIL("a position reached the victim under case A after A's window ended");
    }
    CU_ASSERT(a_closed > 0);
    CU_ASSERT(a_opened > 0);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 2);
    eng_close(&eng);
    /* Before any window opened, no: even while a window is open now. */
    start(NULL, &a);
    mfix(VIC, T, 0, 0, 5, 0, 0);
    mfix(OFF, T + SEC, 300, 0, 5, 1, 0);
    const pw_event *ro = first(PW_EV_REVEAL_OPEN);
    CU_ASSERT_FATAL(ro != NULL);
    CU_ASSERT_TRUE(eng_may_disclose(&eng, ENG_PARTY_VICTIM, VIC, OFF, ro->time));
    CU_ASSERT_FALSE(eng_may_disclose(&eng, ENG_PARTY_VICTIM, VIC, OFF, ro->time - 1));
    CU_ASSERT_FALSE(eng_may_disclose(&eng, ENG_PARTY_DISPATCHER, 0, OFF, ro->time - 1));
    eng_close(&eng);
}

/* ---- item 14: hostile calls ------------------------------------------ */

static void test_hostile_calls(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    pw_fix f;
    pw_fix_clear(&f);
    f.device = OFF;
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET;
    f.lat = LAT0;
    f.lon = LON0;
    f.time = MONDAY;
    pw_device_status s = {.device = OFF};
    pw_time_ms bad[] = {-1, INT64_MIN, ENG_TIME_MAX + 1, INT64_MAX};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(eng_on_fix(&eng, &f, bad[i]), ENG_EINVAL);
        CU_ASSERT_EQUAL(eng_on_status(&eng, &s, bad[i]), ENG_EINVAL);
        CU_ASSERT_EQUAL(eng_tick(&eng, bad[i]), ENG_EINVAL);
        CU_ASSERT_EQUAL(eng_incident_close(&eng, 1, 1, bad[i]), ENG_EINVAL);
        CU_ASSERT_FALSE(eng_may_disclose(&eng, ENG_PARTY_MONITORING_CENTRE, 0, OFF, bad[i]));
    }
    /* Fixes dated outside the range are rejected as invalid, not UB. */
    f.time = INT64_MIN;
    CU_ASSERT_EQUAL(eng_on_fix(&eng, &f, MONDAY), ENG_EREJECTED);
    f.time = INT64_MAX;
    CU_ASSERT_EQUAL(eng_on_fix(&eng, &f, MONDAY), ENG_EREJECTED);
    CU_ASSERT_EQUAL(eng_get_counters(&eng)->rejected[ENG_REJ_INVALID], 2);
    /* The last valid moment works. */
    f.time = ENG_TIME_MAX;
    CU_ASSERT_EQUAL(eng_on_fix(&eng, &f, ENG_TIME_MAX), ENG_OK);
    CU_ASSERT_EQUAL(eng_tick(&eng, ENG_TIME_MAX), ENG_OK);
    /* NULLs. */
    CU_ASSERT_FALSE(eng_may_disclose(NULL, ENG_PARTY_VICTIM, VIC, OFF, MONDAY));
    CU_ASSERT_PTR_NOT_NULL(eng_get_counters(NULL));
    CU_ASSERT_EQUAL(eng_get_counters(NULL)->fixes_in, 0);
    CU_ASSERT_EQUAL(eng_tick(NULL, MONDAY), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_on_fix(&eng, NULL, MONDAY), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, OFF, NULL), ENG_EINVAL);
    eng_close(&eng);
    /* After close, every call refuses. */
    f.time = MONDAY;
    CU_ASSERT_EQUAL(eng_on_fix(&eng, &f, MONDAY), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_on_status(&eng, &s, MONDAY), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_tick(&eng, MONDAY), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_add_device(&eng, 5, ENG_ROLE_OFFENDER), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_incident_ack(&eng, 1, 1, MONDAY), ENG_EINVAL);
    CU_ASSERT_FALSE(eng_may_disclose(&eng, ENG_PARTY_VICTIM, VIC, OFF, MONDAY));
    CU_ASSERT_EQUAL(eng_incident_log_count(&eng, 1), 0);
    CU_ASSERT_EQUAL(eng_case_incident(&eng, CASE), 0);
    eng_close(&eng); /* twice is harmless */
    /* After a failed init, too. */
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    cfg.max_future_ms = -1;
    CU_ASSERT_EQUAL(eng_init(&eng, &cfg, record_cb, &rec), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_on_fix(&eng, &f, MONDAY), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_tick(&eng, MONDAY), ENG_EINVAL);
    /* Huge durations saturate instead of overflowing (the sanitizer build
     * would stop on signed overflow). */
    eng_config_default(&cfg, LAT0, LON0);
    cfg.max_future_ms = INT64_MAX;
    cfg.no_fix_ms = INT64_MAX;
    cfg.no_comm_ms = INT64_MAX;
    cfg.max_fix_age_ms = INT64_MAX;
    eng_case_def h = default_case();
    h.grace_ms = h.reveal_max_ms = h.dwell_close_ms = INT64_MAX;
    start(&cfg, &h);
    eng_device_timeouts to = {INT64_MAX, INT64_MAX, INT64_MAX};
    CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, OFF, &to), ENG_OK);
    CU_ASSERT_EQUAL(mfix(VIC, ENG_TIME_MAX - HOUR, 0, 0, 5, 0, 0), ENG_OK);
    CU_ASSERT_EQUAL(mfix(OFF, ENG_TIME_MAX - HOUR + SEC, 100, 0, 5, 1, 0), ENG_OK);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    ticks(ENG_TIME_MAX - HOUR + SEC, ENG_TIME_MAX - HOUR + 30 * SEC);
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_CLOSE), 0);
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 0);
    eng_close(&eng);
}

/* Random calls with random arguments, extremes included, on engines that
 * are opened, closed and re-opened: the calls must return a status of the
 * enum and never crash; under ASan/UBSan any overflow or bad access stops
 * the test. */
static void test_api_abuse_randomized(void)
{
    static const pw_time_ms times[] = {INT64_MIN, -1, 0, 1, 1795964400000LL, ENG_TIME_MAX - 1,
                                       ENG_TIME_MAX, ENG_TIME_MAX + 1, INT64_MAX};
    static const double coords[] = {NAN, INFINITY, -INFINITY, -1e308, -91, 0, 37.5665, 126.978, 1e308};
    uint64_t r = 4242;
    size_t calls = 0;
    for (int round = 0; round < 40; round++) {
        eng_config cfg;
        eng_config_default(&cfg, LAT0, LON0);
        cfg.max_devices = 8;
        cfg.max_cases = 4;
        cfg.max_zones = 8;
        if (pw_test_uniform(&r) < 0.3)
            cfg.max_future_ms = times[(size_t)(pw_test_uniform(&r) * 9)];
        rec_reset();
        eng_status ist = eng_init(&eng, &cfg, record_cb, &rec);
        CU_ASSERT(ist == ENG_OK || ist == ENG_EINVAL);
        for (int i = 0; i < 2000; i++, calls++) {
            double u = pw_test_uniform(&r);
            pw_time_ms now = pw_test_uniform(&r) < 0.2 ? times[(size_t)(pw_test_uniform(&r) * 9)]
                                                       : MONDAY + (pw_time_ms)(pw_test_uniform(&r) * 3e6);
            pw_id id = (pw_id)(pw_test_uniform(&r) * 10);
            eng_status st = ENG_OK;
            if (u < 0.1) {
                st = eng_add_device(&eng, id, pw_test_uniform(&r) < 0.5 ? ENG_ROLE_OFFENDER : ENG_ROLE_VICTIM);
            } else if (u < 0.15) {
                eng_case_def c;
                eng_case_default(&c, id + 100, (pw_id)(pw_test_uniform(&r) * 10),
                                 (pw_id)(pw_test_uniform(&r) * 10));
                if (pw_test_uniform(&r) < 0.3)
                    c.grace_ms = times[(size_t)(pw_test_uniform(&r) * 9)];
                if (pw_test_uniform(&r) < 0.3) {
                    c.n_zones = 1;
                    c.zones[0] = (eng_zone_def){.id = 1, .kind = ENG_ZONE_CIRCLE, .center_lat = LAT0,
                                                .center_lon = LON0, .radius_m = 300};
                    c.zones[0].schedule.n_windows = 1;
                    c.zones[0].schedule.windows[0] = (eng_window){0x7f, 60, 120};
                }
                st = eng_add_case(&eng, &c);
            } else if (u < 0.7) {
                pw_fix f;
                pw_fix_clear(&f);
                f.device = id;
                f.set = (unsigned)(pw_test_uniform(&r) * 512);
                f.time = pw_test_uniform(&r) < 0.2 ? times[(size_t)(pw_test_uniform(&r) * 9)]
                                                   : (now > INT64_MIN + 1000 ? now - 1000 : now);
                f.lat = pw_test_uniform(&r) < 0.2 ? coords[(size_t)(pw_test_uniform(&r) * 9)]
                                                  : LAT0 + 0.01 * pw_test_gauss(&r);
                f.lon = pw_test_uniform(&r) < 0.2 ? coords[(size_t)(pw_test_uniform(&r) * 9)]
                                                  : LON0 + 0.01 * pw_test_gauss(&r);
                f.acc_m = pw_test_uniform(&r) < 0.2 ? coords[(size_t)(pw_test_uniform(&r) * 9)] : 10;
                f.hdop = pw_test_uniform(&r) < 0.2 ? coords[(size_t)(pw_test_uniform(&r) * 9)] : 1.2;
                f.source = (pw_fix_source)(pw_test_uniform(&r) * 6) - 1;
                f.moving = (int)(pw_test_uniform(&r) * 3);
                st = eng_on_fix(&eng, &f, now);
            } else if (u < 0.8) {
                pw_device_status s = {.device = id, .set = (unsigned)(pw_test_uniform(&r) * 32),
                                      .time = times[(size_t)(pw_test_uniform(&r) * 9)],
                                      .moving = pw_test_uniform(&r) < 0.5,
                                      .battery_pct = coords[(size_t)(pw_test_uniform(&r) * 9)],
                                      .strap_tampered = pw_test_uniform(&r) < 0.5, .panic = 1};
                st = eng_on_status(&eng, &s, now);
            } else if (u < 0.9) {
                st = eng_tick(&eng, now);
            } else if (u < 0.95) {
                st = eng_incident_close(&eng, id, 1, now);
                (void)eng_may_disclose(&eng, (eng_party)(pw_test_uniform(&r) * 6), id, id, now);
            } else if (u < 0.97) {
                eng_device_timeouts to = {times[(size_t)(pw_test_uniform(&r) * 9)], 0,
                                          times[(size_t)(pw_test_uniform(&r) * 9)]};
                st = eng_set_device_timeouts(&eng, id, &to);
            } else if (u < 0.98) {
                eng_close(&eng);
            } else {
                eng_estimate est;
                st = eng_device_estimate(&eng, id, now, &est);
            }
            CU_ASSERT(strcmp(eng_strerror(st), "unknown status") != 0); /* a status the API knows */
        }
        eng_close(&eng);
    }
    printf("\n    %zu random calls ", calls);
}

/* ---- the property harness -------------------------------------------- */

enum { H_OFF = 6, H_VIC = 6, H_CASES = 9 };

typedef struct hcase {
    pw_id id, offender, victim;
    pw_time_ms grace_ms, cap_ms;
    /* the independent model, from alarm events and the case's rules */
    int alarms;               /* open alarms */
    pw_time_ms last_close;    /* time the last alarm closed, -1 none */
    pw_time_ms window_open;   /* start of the window by REVEAL events, -1 none */
    int capped;               /* the window reached its cap during this alarm */
    pw_time_ms episode_start; /* when the alarms went from none to one */
    pw_time_ms window_open_was; /* the window that just closed */
} hcase;

/*
 * Many engines, random walks with fixes (some cell, some with motion
 * state, some late), statuses, incident closes and ticks, with `now`
 * sometimes stepping back.  Checked against a model built from each case's
 * rules and its alarm events (not from the engine's own window events):
 *   - every position shown to a victim is her case's offender, recorded
 *     under a case whose alarm holds or whose alarm closed less than its
 *     grace ago, and within the window's cap (items 1, 13);
 *   - every disclosure is audited under the case of the event it carries;
 *   - an alarm that opens always has a window: either one already open and
 *     not at its cap, or a new one at the same instant (item 12);
 *   - while an alarm holds, its window stays open: it may close only at its
 *     cap, or to be renewed at once by a new alarm (items 1, 12);
 *   - positions are shown only under a window (item 13) - including around
 *     scheduled zones, whose boundaries some cases cross during the run.
 */
static void test_property_harness(void)
{
    uint64_t r = 77;
    size_t ops = 0, victim_shown = 0, violations = 0, zone_alarms = 0;
    for (int engine_no = 0; engine_no < 30; engine_no++) {
        eng_config cfg;
        eng_config_default(&cfg, LAT0, LON0);
        rec_reset();
        CU_ASSERT_EQUAL_FATAL(eng_init(&eng, &cfg, record_cb, &rec), ENG_OK);
        hcase hc[H_CASES];
        for (int i = 0; i < H_OFF; i++)
            eng_add_device(&eng, 1 + i, ENG_ROLE_OFFENDER);
        for (int i = 0; i < H_VIC; i++)
            eng_add_device(&eng, 101 + i, ENG_ROLE_VICTIM);
        for (int k = 0; k < H_CASES; k++) {
            eng_case_def c;
            /* cases k and k + 6 share a pair (k < 3) */
            eng_case_default(&c, 500 + k, 1 + k % H_OFF, 101 + (k * 5) % H_VIC);
            c.alarm_radius_m = 150 + 100 * (k % 4);
            c.grace_ms = (k % 3) * 45 * SEC;
            c.reveal_max_ms = (5 + 5 * (k % 4)) * MIN;
            c.dwell_open_ms = (k % 2) * 20 * SEC;
            if (k % 3 != 2) {
                /* A school-like zone on a morning schedule (KST): the run
                 * starts at 07:50 and crosses 08:00, 08:30, 08:45, 09:15. */
                c.n_zones = 1;
                eng_zone_def *z = &c.zones[0];
                z->id = 1;
                z->kind = ENG_ZONE_CIRCLE;
                eng_geo_to_wgs84(&frame, 1500 * pw_test_uniform(&r), 1500 * pw_test_uniform(&r), &z->center_lat,
                                 &z->center_lon);
                z->radius_m = 200 + 200 * pw_test_uniform(&r);
                z->schedule.utc_offset_min = 540;
                z->schedule.n_windows = 2;
                z->schedule.windows[0] = (eng_window){0x7f, 8 * 60, 8 * 60 + 30};
                z->schedule.windows[1] = (eng_window){0x7f, 8 * 60 + 45, 9 * 60 + 15};
            }
            CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, &c), ENG_OK);
            hc[k] = (hcase){.id = c.id, .offender = c.offender, .victim = c.victim, .grace_ms = c.grace_ms,
                            .cap_ms = c.reveal_max_ms, .last_close = -1, .window_open = -1};
        }
        double px[H_OFF + H_VIC], py[H_OFF + H_VIC];
        for (int i = 0; i < H_OFF + H_VIC; i++) {
            px[i] = 1500 * pw_test_uniform(&r);
            py[i] = 1500 * pw_test_uniform(&r);
        }
        pw_time_ms now = MONDAY + 7 * HOUR + 50 * MIN + (pw_time_ms)(pw_test_uniform(&r) * 60000.0);
        for (int step = 0; step < 4000; step++, ops++) {
            double u = pw_test_uniform(&r);
            now += pw_test_uniform(&r) < 0.03 ? -(pw_time_ms)(pw_test_uniform(&r) * 20000)
                                               : (pw_time_ms)(pw_test_uniform(&r) * 3000);
            int i = (int)(pw_test_uniform(&r) * (H_OFF + H_VIC));
            pw_id dev = i < H_OFF ? (pw_id)(1 + i) : (pw_id)(101 + i - H_OFF);
            if (u < 0.75) {
                px[i] = fmin(1500, fmax(0, px[i] + 30 * pw_test_gauss(&r)));
                py[i] = fmin(1500, fmax(0, py[i] + 30 * pw_test_gauss(&r)));
                pw_fix f;
                pw_fix_clear(&f);
                f.device = dev;
                f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET;
                int cell = pw_test_uniform(&r) < 0.1;
                f.source = cell ? PW_SRC_CELL : PW_SRC_GNSS;
                f.acc_m = cell ? 300 + 600 * pw_test_uniform(&r) : 8;
                double e = cell ? 300 : 6;
                eng_geo_to_wgs84(&frame, px[i] + e * pw_test_gauss(&r), py[i] + e * pw_test_gauss(&r), &f.lat,
                                 &f.lon);
                if (pw_test_uniform(&r) < 0.5) {
                    f.set |= PW_FIX_MOTION_SET;
                    f.moving = pw_test_uniform(&r) < 0.6;
                }
                f.time = now - (pw_test_uniform(&r) < 0.05 ? (pw_time_ms)(pw_test_uniform(&r) * 400000) : 800);
                eng_on_fix(&eng, &f, now);
            } else if (u < 0.79) {
                pw_device_status s = {.device = dev,
                                      .set = PW_STATUS_TAMPER_SET | PW_STATUS_PANIC_SET | PW_STATUS_MOTION_SET,
                                      .time = now - (pw_time_ms)(pw_test_uniform(&r) * 5000),
                                      .strap_tampered = pw_test_uniform(&r) < 0.5,
                                      .panic = pw_test_uniform(&r) < 0.1, .moving = pw_test_uniform(&r) < 0.5};
                eng_on_status(&eng, &s, now);
            } else if (u < 0.78) {
                int k = (int)(pw_test_uniform(&r) * H_CASES);
                pw_id inc = eng_case_incident(&eng, hc[k].id);
                if (inc)
                    eng_incident_close(&eng, inc, 9, now);
            } else {
                eng_tick(&eng, now);
            }
        }
        /* Replay the stream against the model. */
        const pw_event *carrier = NULL;
        for (size_t n = 0; n < rec.n; n++) {
            const pw_event *ev = &rec.ev[n];
            hcase *h = NULL;
            for (int k = 0; k < H_CASES; k++)
                if (hc[k].id == ev->case_id)
                    h = &hc[k];
            if (ev->type != PW_EV_DISCLOSURE)
                carrier = ev;
            switch (ev->type) {
            case PW_EV_ALARM_OPEN:
                if (h->alarms++ == 0)
                    h->episode_start = ev->time;
                zone_alarms += ev->rule == ENG_RULE_ZONE;
                break;
            case PW_EV_ALARM_CLOSE:
                h->alarms--;
                h->last_close = ev->time;
                if (h->alarms == 0)
                    h->capped = 0;
                break;
            case PW_EV_REVEAL_OPEN:
                h->window_open = ev->time;
                h->capped = 0;
                break;
            case PW_EV_REVEAL_CLOSE:
                h->window_open_was = h->window_open;
                h->window_open = -1;
                if (h->alarms > 0) {
                    int renewed = 0;
                    for (size_t m = n + 1; m < rec.n && rec.ev[m].time == ev->time; m++)
                        renewed |= rec.ev[m].type == PW_EV_REVEAL_OPEN && rec.ev[m].case_id == ev->case_id;
                    if (ev->reason == ENG_REVEAL_TIMEOUT) {
                        h->capped = 1;
                        /* the cap of this danger's own window, not of one
                         * left open by an earlier alarm's grace */
                        violations += h->window_open_was < h->episode_start;
                    }
                    else if (!(ev->reason == ENG_REVEAL_RENEWED && renewed))
                        violations++; /* a window lost while the rule holds */
                }
                break;
            default:
                break;
            }
            if (ev->type == PW_EV_ALARM_OPEN) {
                /* the window: open and not at its cap now, after this
                 * instant's REVEAL_OPEN (which follows ALARM_OPEN) */
                int has = 0;
                for (size_t m = n + 1; m < rec.n && rec.ev[m].time == ev->time; m++)
                    has |= rec.ev[m].type == PW_EV_REVEAL_OPEN && rec.ev[m].case_id == ev->case_id;
                if (!has && !(h->window_open >= 0 && ev->time < h->window_open + h->cap_ms))
                    violations++;
            }
            if (ev->type == PW_EV_DISCLOSURE) {
                if (!carrier || carrier->case_id != ev->case_id)
                    violations++;
                if (ev->recipient == ENG_PARTY_VICTIM) {
                    victim_shown++;
                    int entitled = h && h->victim == ev->recipient_id && h->offender == ev->subject &&
                                   h->window_open >= 0 && ev->time >= h->window_open &&
                                   ev->time < h->window_open + h->cap_ms &&
                                   (h->alarms > 0 || (h->last_close >= 0 && ev->time < h->last_close + h->grace_ms));
                    violations += !entitled;
                }
            }
        }
        eng_close(&eng);
    }
    printf("\n    %zu operations, %zu positions shown to victims, %zu zone alarms, %zu violations ", ops,
           victim_shown, zone_alarms, violations);
    CU_ASSERT(zone_alarms >= 20); /* the schedules were exercised */
    CU_ASSERT_EQUAL(violations, 0);
    CU_ASSERT(victim_shown >= 200); /* the run did exercise the windows */
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"item 1: an alarm closes on time once the breach ends", test_alarm_closes_on_time},
        {"item 1: one judgement in the band does not restart the close", test_close_countdown_survives_band},
        {"item 1: the same from receivers' own speed", test_alarm_closes_on_time_from_receiver_speed},
        {"item 2: a resting offender alarms within a phone interval", test_resting_offender_alarms_in_time},
        {"item 3: uncertain proximity escalates, far cell fixes do not", test_uncertain_proximity},
        {"item 4: a coarse fix at a small polygon's centre is not inside", test_polygon_zone_coarse_fix},
        {"item 4: the leave margin grows a polygon", test_polygon_leave_margin},
        {"item 5: zone schedules take effect on the tick", test_zone_schedule_on_tick},
        {"item 5: next schedule change by hand", test_schedule_next_change},
        {"item 6: a tunnel raises signal loss despite cell fixes", test_tunnel_raises_signal_loss},
        {"item 6: a resting tag is not lost between its fixes", test_resting_tag_is_not_lost},
        {"item 6: a stop reported in a status keeps the rest timeout", test_stop_status_keeps_rest_timeout},
        {"item 6: a start reported in a status times GNSS from the start", test_start_status_counts_from_the_start},
        {"item 1, 14: the small guards at their edges", test_small_guards},
        {"item 11: stale fixes raise stale_data and signal loss", test_stale_fixes_raise_stale_data},
        {"item 12: a window cap and a new alarm in the same tick", test_reveal_cap_and_new_alarm_same_tick},
        {"item 12: a new alarm in a grace window gets its own window", test_new_alarm_in_grace_gets_its_own_window},
        {"item 12: a zone alarm on the tick of a window's cap", test_zone_alarm_at_window_cap},
        {"item 13: disclosures are audited under the case that allowed them", test_audit_under_the_right_case},
        {"item 14: hostile calls are refused", test_hostile_calls},
        {"item 14: randomized API abuse", test_api_abuse_randomized},
        {"property harness: windows, grace, caps and audit", test_property_harness},
        {NULL, NULL},
    };
    int rc = pw_test_main("alerts", tests);
    free(rec.ev);
    return rc;
}
