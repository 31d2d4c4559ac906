/*
 * test_engine.c - cases, rules and the alert lifecycle, device health, the
 * access rule, retention, determinism and allocation failure.
 *
 * Scenarios are built in local metres around Seoul City Hall; the victim
 * stands at the origin unless said otherwise.
 *
 * Over 800 lines: independent cases on the one engine fixture
 * (engine_fixture.h), one CUnit program per module.
 */
#include "engine_fixture.h"

/* ---- rules ---------------------------------------------------------- */

/* The offender walks straight at the victim from 2 km: the pre-warning
 * comes first, then the alarm, near the true 500 m, with the reveal window,
 * the incident and pursuit mode. */
static void test_approach_alerts(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    rng = 11;
    double alarm_true_dist = NAN, prewarn_true_dist = NAN;
    for (int k = 0; k <= 100; k++) {
        pw_time_ms t = MONDAY + 10 * HOUR + k * 10 * SEC;
        double d = 2000.0 - 20.0 * k;
        fix(VIC, t - 5 * SEC, 3 * pw_test_gauss(&rng), 3 * pw_test_gauss(&rng), 5);
        size_t before_alarm = count(PW_EV_ALARM_OPEN), before_pre = count(PW_EV_PREWARN_OPEN);
        fix(OFF, t, d + 5 * pw_test_gauss(&rng), 5 * pw_test_gauss(&rng), 7);
        if (count(PW_EV_ALARM_OPEN) > before_alarm)
            alarm_true_dist = d;
        if (count(PW_EV_PREWARN_OPEN) > before_pre)
            prewarn_true_dist = d;
        ticks(t, t + 10 * SEC);
    }
    CU_ASSERT_EQUAL(count(PW_EV_PREWARN_OPEN), 1);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_CLOSE), 0);
    CU_ASSERT(alarm_true_dist >= 460 && alarm_true_dist <= 540);
    CU_ASSERT(prewarn_true_dist >= 960 && prewarn_true_dist <= 1040);
    const pw_event *a = first(PW_EV_ALARM_OPEN), *p = first(PW_EV_PREWARN_OPEN);
    CU_ASSERT_FATAL(a && p);
    CU_ASSERT(p->time < a->time);
    CU_ASSERT_EQUAL(p->recipient, ENG_PARTY_MONITORING_CENTRE);
    CU_ASSERT_EQUAL(a->rule, ENG_RULE_PROXIMITY);
    const pw_event *ro = first(PW_EV_REVEAL_OPEN), *io = first(PW_EV_INCIDENT_OPEN);
    const pw_event *po = first(PW_EV_PURSUIT_ON);
    CU_ASSERT_FATAL(ro && io && po);
    CU_ASSERT_EQUAL(ro->time, a->time);
    CU_ASSERT_EQUAL(io->time, a->time);
    CU_ASSERT_EQUAL(po->time, a->time);
    CU_ASSERT_EQUAL(po->device, OFF);
    CU_ASSERT_EQUAL(ro->recipient_id, VIC);
    /* The dispatcher's incident carries both pins. */
    CU_ASSERT(isfinite(io->lat) && isfinite(io->victim_lat));
    /* The victim sees the offender at each offender fix from then on. */
    CU_ASSERT(count(PW_EV_REVEAL_UPDATE) >= 20);
    const pw_event *ru = first(PW_EV_REVEAL_UPDATE);
    CU_ASSERT(isfinite(ru->lat) && isfinite(ru->acc_m) && isnan(ru->victim_lat));
    eng_close(&eng);
}

/* The offender loiters exactly at the alarm radius with 15 m noise for two
 * hours.  A naive detector on raw fixes flaps dozens of times; the engine
 * opens once (the offender is plausibly inside) and does not flap. */
static void test_boundary_noise_does_not_flap(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    rng = 12;
    int naive_inside = 0, naive_changes = 0;
    fix(VIC, MONDAY, 0, 0, 5);
    for (int k = 1; k <= 720; k++) {
        pw_time_ms t = MONDAY + k * 10 * SEC;
        if (k % 6 == 0)
            fix(VIC, t - 3 * SEC, 2 * pw_test_gauss(&rng), 2 * pw_test_gauss(&rng), 5);
        double ang = 0.3 * sin(k / 50.0); /* strolling along the circle */
        double x = 500.0 * cos(ang) + 15 * pw_test_gauss(&rng), y = 500.0 * sin(ang) + 15 * pw_test_gauss(&rng);
        fix(OFF, t, x, y, 22);
        int inside = hypot(x, y) <= 500.0;
        naive_changes += inside != naive_inside;
        naive_inside = inside;
        ticks(t, t + 10 * SEC);
    }
    printf("\n    naive detector: %d changes; engine: %zu alarm(s) ", naive_changes,
           count(PW_EV_ALARM_OPEN));
    CU_ASSERT(naive_changes >= 50);
    CU_ASSERT(count(PW_EV_ALARM_OPEN) >= 1);
    CU_ASSERT(count(PW_EV_ALARM_OPEN) <= 2);
    eng_close(&eng);
}

/* 100 m outside the radius in an urban canyon: 10 m noise plus, in one fix
 * of twenty, a multipath jump of 150 m in a random direction.  Raw fixes
 * land inside now and then; the engine gates the jumps and stays silent. */
static void test_canyon_jumps_outside_stay_silent(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    rng = 13;
    int raw_inside = 0;
    for (int k = 1; k <= 720; k++) {
        pw_time_ms t = MONDAY + k * 10 * SEC;
        if (k % 3 == 0)
            fix(VIC, t - 5 * SEC, 3 * pw_test_gauss(&rng), 3 * pw_test_gauss(&rng), 5);
        double x = 600 + 10 * pw_test_gauss(&rng), y = 10 * pw_test_gauss(&rng);
        if (pw_test_uniform(&rng) < 0.05) {
            double ang = 2 * M_PI * pw_test_uniform(&rng);
            x += 150 * cos(ang);
            y += 150 * sin(ang);
        }
        raw_inside += hypot(x, y) <= 500.0;
        fix(OFF, t, x, y, 15);
        ticks(t, t + 10 * SEC);
    }
    printf("\n    raw fixes inside: %d of 720; outliers gated: %llu; alarms: %zu ", raw_inside,
           (unsigned long long)eng_get_counters(&eng)->rejected[ENG_REJ_OUTLIER],
           count(PW_EV_ALARM_OPEN));
    CU_ASSERT(raw_inside >= 3);
    CU_ASSERT(eng_get_counters(&eng)->rejected[ENG_REJ_OUTLIER] >= 20);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 0);
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_UPDATE), 0);
    eng_close(&eng);
}

/* Underground, the tag falls back to cell positions with 600 m accuracy.
 * At 200 m from the victim the offender is plausibly inside and must alert;
 * at 3 km he is not, whatever the fallback's uncertainty. */
static void test_cell_fallback_plausible_inside(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    fix_src(OFF, MONDAY + SEC, 3000, 0, 600, PW_SRC_CELL);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 0);
    eng_close(&eng);

    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    fix_src(OFF, MONDAY + SEC, 200, 0, 600, PW_SRC_CELL);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    eng_close(&eng);
}

/* The alarm closes once P(inside) has stayed low for the close dwell; the
 * reveal window closes exactly one grace period later; no position reaches
 * the victim after that. */
static void test_reveal_window_timing(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    pw_time_ms t = MONDAY;
    for (int k = 1; k <= 30; k++) { /* walk in to 100 m */
        t = MONDAY + k * 10 * SEC;
        fix(VIC, t - 5 * SEC, 0, 0, 5);
        fix(OFF, t, 1000 - 30.0 * k, 0, 5);
        ticks(t, t + 10 * SEC);
    }
    CU_ASSERT_EQUAL_FATAL(count(PW_EV_ALARM_OPEN), 1);
    pw_time_ms t_out = 0;
    for (int k = 1; k <= 60; k++) { /* drive away at 10 m/s */
        t = MONDAY + 300 * SEC + k * 10 * SEC;
        double d = 100.0 + 100.0 * k;
        fix(VIC, t - 5 * SEC, 0, 0, 5);
        fix(OFF, t, d, 0, 5);
        if (!t_out && d > 620.0)
            t_out = t;
        ticks(t, t + 10 * SEC);
    }
    const pw_event *ac = first(PW_EV_ALARM_CLOSE), *rc = first(PW_EV_REVEAL_CLOSE);
    CU_ASSERT_FATAL(ac && rc);
    CU_ASSERT(ac->time >= t_out + c.dwell_close_ms - 10 * SEC);
    CU_ASSERT(ac->time <= t_out + c.dwell_close_ms);
    CU_ASSERT_EQUAL(rc->time - ac->time, c.grace_ms);
    CU_ASSERT_EQUAL(rc->reason, ENG_REVEAL_GRACE_OVER);
    CU_ASSERT_EQUAL(count(PW_EV_PURSUIT_OFF), 1);
    CU_ASSERT_EQUAL(first(PW_EV_PURSUIT_OFF)->time, ac->time);
    for (size_t i = 0; i < rec.n; i++) {
        const pw_event *ev = &rec.ev[i];
        if (ev->type == PW_EV_REVEAL_UPDATE)
            CU_ASSERT(ev->time >= first(PW_EV_REVEAL_OPEN)->time && ev->time <= rc->time);
    }
    /* Updates did flow during the grace period (the offender kept moving). */
    size_t in_grace = 0;
    for (size_t i = 0; i < rec.n; i++)
        in_grace += rec.ev[i].type == PW_EV_REVEAL_UPDATE && rec.ev[i].time > ac->time;
    CU_ASSERT(in_grace >= 5);
    eng_close(&eng);
}

/* A breach that goes on closes the victim's window at the reveal cap; the
 * dispatcher's incident stays open and keeps updating. */
static void test_reveal_timeout(void)
{
    eng_case_def c = default_case();
    c.reveal_max_ms = 10 * MIN;
    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    for (int k = 1; k <= 180; k++) {
        pw_time_ms t = MONDAY + k * 10 * SEC;
        fix(VIC, t - 5 * SEC, 0, 0, 5);
        fix(OFF, t, 100, 0, 5);
        ticks(t, t + 10 * SEC);
    }
    const pw_event *ro = first(PW_EV_REVEAL_OPEN), *rc = first(PW_EV_REVEAL_CLOSE);
    CU_ASSERT_FATAL(ro && rc);
    CU_ASSERT_EQUAL(rc->reason, ENG_REVEAL_TIMEOUT);
    CU_ASSERT_EQUAL(rc->time - ro->time, 10 * MIN);
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_CLOSE), 0);
    size_t after = 0, inc_after = 0;
    for (size_t i = 0; i < rec.n; i++) {
        after += rec.ev[i].type == PW_EV_REVEAL_UPDATE && rec.ev[i].time > rc->time;
        inc_after += rec.ev[i].type == PW_EV_INCIDENT_UPDATE && rec.ev[i].time > rc->time;
    }
    CU_ASSERT_EQUAL(after, 0);
    CU_ASSERT(inc_after >= 100);
    eng_close(&eng);
}

/* Regression: the grace period ended between two ticks (ticks on whole
 * seconds, fixes at .500) and the next offender fix still reached the
 * victim before the tick closed her window. */
static void test_reveal_grace_ends_between_ticks(void)
{
    eng_case_def c = default_case();
    c.grace_ms = 59800;
    c.dwell_close_ms = 0;
    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    pw_time_ms t = MONDAY;
    for (int k = 1; k <= 40; k++) {
        t = MONDAY + k * 10 * SEC + 500;
        fix(VIC, t - 200, 0, 0, 5);
        fix(OFF, t, k <= 12 ? 100 : 3000, 0, 5); /* near for two minutes, then gone */
        ticks(t, t + 10 * SEC - 500);
    }
    const pw_event *ac = first(PW_EV_ALARM_CLOSE), *rc = first(PW_EV_REVEAL_CLOSE);
    CU_ASSERT_FATAL(ac && rc);
    pw_time_ms grace_end = ac->time + c.grace_ms;
    for (size_t i = 0; i < rec.n; i++) {
        const pw_event *ev = &rec.ev[i];
        if ((ev->type == PW_EV_REVEAL_UPDATE || (ev->type == PW_EV_DISCLOSURE && ev->recipient == ENG_PARTY_VICTIM)) &&
            ev->time >= grace_end)
            CU_FAIL("a position reached the victim after her grace period");
    }
    CU_ASSERT(rc->time <= grace_end + SEC);
    eng_close(&eng);
}

/* Regression: "no cap" written as a huge duration overflowed and closed
 * the window at the next tick. */
static void test_huge_reveal_cap_does_not_overflow(void)
{
    eng_case_def c = default_case();
    c.reveal_max_ms = INT64_MAX;
    c.grace_ms = INT64_MAX;
    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    for (int k = 1; k <= 30; k++) {
        pw_time_ms t = MONDAY + k * 10 * SEC;
        fix(VIC, t - 100, 0, 0, 5);
        fix(OFF, t, 100, 0, 5);
        ticks(t, t + 10 * SEC);
    }
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_OPEN), 1);
    CU_ASSERT_EQUAL(count(PW_EV_REVEAL_CLOSE), 0);
    eng_close(&eng);
}

/* Regression: timeouts shortened after a device had reported kept the old
 * health deadline. */
static void test_shortened_timeouts_take_effect(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    fix(OFF, MONDAY, 4000, 0, 5);
    eng_device_timeouts to = {30 * SEC, 0, 60 * SEC};
    CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, OFF, &to), ENG_OK);
    ticks(MONDAY, MONDAY + 40 * SEC);
    const pw_event *sl = first_of(PW_EV_SIGNAL_LOST, OFF);
    CU_ASSERT_FATAL(sl != NULL);
    CU_ASSERT_EQUAL(sl->time, MONDAY + 30 * SEC);
    CU_ASSERT_EQUAL(eng_set_device_timeouts(&eng, 999, &to), ENG_ENOENT);
    eng_close(&eng);
}

/* ---- zones ---------------------------------------------------------- */

static eng_case_def school_case(void)
{
    eng_case_def c = default_case();
    c.n_zones = 1;
    eng_zone_def *z = &c.zones[0];
    z->id = 7;
    z->kind = ENG_ZONE_CIRCLE;
    eng_frame fr;
    eng_frame_init(&fr, LAT0, LON0);
    eng_geo_to_wgs84(&fr, 5000, 0, &z->center_lat, &z->center_lon);
    z->radius_m = 200;
    z->schedule.utc_offset_min = 540; /* KST */
    z->schedule.n_windows = 1;
    z->schedule.windows[0] = (eng_window){.days_mask = 0x1f, .start_min = 8 * 60, .end_min = 16 * 60};
    return c;
}

static void sit_in_school(pw_time_ms from, int minutes)
{
    fix(VIC, from - 5 * SEC, 0, 0, 5);
    for (int k = 0; k < minutes * 6; k++) {
        pw_time_ms t = from + k * 10 * SEC;
        fix(OFF, t, 5000, 50, 5);
        ticks(t, t + 10 * SEC);
    }
}

/* A school zone on weekdays 08:00-16:00 KST: an alarm on Monday at 10:00,
 * none on Saturday at 10:00, and the Monday alarm ends when the school day
 * does, although the offender has not moved. */
static void test_zone_schedule(void)
{
    eng_case_def c = school_case();
    start(NULL, &c);
    sit_in_school(MONDAY + 15 * HOUR + 50 * MIN, 20); /* 15:50-16:10 */
    const pw_event *a = first(PW_EV_ALARM_OPEN), *cl = first(PW_EV_ALARM_CLOSE);
    CU_ASSERT_FATAL(a && cl);
    CU_ASSERT_EQUAL(a->rule, ENG_RULE_ZONE);
    CU_ASSERT_EQUAL(a->zone_id, 7);
    CU_ASSERT_EQUAL(a->time, MONDAY + 15 * HOUR + 50 * MIN);
    /* Schedule over at 16:00: the zone no longer applies, so the alarm closes
     * at the 16:00 tick itself (the close dwell guards against noise, and the
     * end of a school day is not noise). */
    CU_ASSERT_EQUAL(cl->time, MONDAY + 16 * HOUR);
    eng_close(&eng);

    start(NULL, &c);
    sit_in_school(MONDAY + 5 * 24 * HOUR + 10 * HOUR, 30); /* Saturday 10:00 */
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 0);
    eng_close(&eng);
}

/* A polygon zone (an apartment complex): walking in opens a zone alarm near
 * the edge, not before it. */
static void test_polygon_zone(void)
{
    eng_case_def c = default_case();
    c.n_zones = 1;
    eng_zone_def *z = &c.zones[0];
    z->id = 9;
    z->kind = ENG_ZONE_POLYGON;
    z->n_vertices = 4;
    const double sq[4][2] = {{2800, 2800}, {3200, 2800}, {3200, 3200}, {2800, 3200}};
    eng_frame fr;
    eng_frame_init(&fr, LAT0, LON0);
    for (int i = 0; i < 4; i++)
        eng_geo_to_wgs84(&fr, sq[i][0], sq[i][1], &z->lat[i], &z->lon[i]);
    start(NULL, &c);
    double open_x = NAN;
    for (int k = 0; k <= 60; k++) { /* west to east along y = 3000 */
        pw_time_ms t = MONDAY + k * 10 * SEC;
        double x = 2500 + 10.0 * k;
        size_t before = count(PW_EV_ALARM_OPEN);
        fix(OFF, t, x, 3000, 5);
        if (count(PW_EV_ALARM_OPEN) > before)
            open_x = x;
    }
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 1);
    CU_ASSERT(open_x >= 2790 && open_x <= 2820);
    CU_ASSERT_EQUAL(first(PW_EV_ALARM_OPEN)->zone_id, 9);
    eng_close(&eng);
}

/* ---- device health -------------------------------------------------- */

/* Two victims: the offender goes silent 800 m from one (inside her
 * pre-warning radius) and 5 km from the other.  Silence near the first is a
 * risk: escalation, a warning to her, an incident.  The second hears nothing. */
static void test_signal_loss_near_victim_escalates(void)
{
    eng_case_def c1 = default_case(), c2;
    eng_case_default(&c2, CASE + 1, OFF, VIC + 10);
    start(NULL, &c1);
    CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, VIC + 10, ENG_ROLE_VICTIM), ENG_OK);
    CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, &c2), ENG_OK);
    pw_time_ms t = MONDAY;
    for (int k = 1; k <= 6; k++) {
        t = MONDAY + k * 10 * SEC;
        fix(VIC, t - 5 * SEC, 0, 0, 5);
        fix(VIC + 10, t - 5 * SEC, 5800, 0, 5);
        fix(OFF, t, 800, 0, 5);
        ticks(t, t + 10 * SEC);
    }
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 0);
    ticks(t + 10 * SEC, t + 3 * MIN); /* the tag is silent (and so are the phones) */
    const pw_event *sl = first_of(PW_EV_SIGNAL_LOST, OFF);
    CU_ASSERT_FATAL(sl != NULL);
    /* The documented default: GNSS lost 150 s after the newest GNSS fix's
     * own time, t. */
    CU_ASSERT_EQUAL(sl->time, t + 150 * SEC);
    CU_ASSERT_EQUAL(count(PW_EV_ESCALATION), 1);
    const pw_event *es = first(PW_EV_ESCALATION), *w = first(PW_EV_VICTIM_WARNING);
    const pw_event *io = first(PW_EV_INCIDENT_OPEN);
    CU_ASSERT_FATAL(es && w && io);
    CU_ASSERT_EQUAL(es->case_id, CASE);
    CU_ASSERT_EQUAL(es->reason, PW_EV_SIGNAL_LOST);
    CU_ASSERT_EQUAL(w->recipient_id, VIC);
    CU_ASSERT(isnan(w->lat)); /* a warning, not a position */
    CU_ASSERT_EQUAL(io->case_id, CASE);
    CU_ASSERT_EQUAL(count(PW_EV_INCIDENT_OPEN), 1);
    /* The signal comes back: restored, once. */
    fix(OFF, t + 4 * MIN, 790, 0, 5);
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_RESTORED), 1);
    eng_close(&eng);
}

static eng_status status(pw_time_ms t, unsigned set, double battery, int tamper, int off)
{
    pw_device_status s = {.device = OFF, .set = set, .time = t, .battery_pct = battery,
                          .strap_tampered = tamper, .powering_off = off};
    return eng_on_status(&eng, &s, t);
}

/* The centre itself was away for an hour (eng_resume): nobody is lost at
 * its first tick; losses come only if a device stays silent for its
 * timeout after the centre is back (GNSS 150 s, contact 300 s, the default
 * config), and their silences count from the device's newest message.
 * Without eng_resume, the same first tick loses both devices at once. */
static void test_resume_after_outage(void)
{
    eng_case_def c = default_case();
    const pw_time_ms back = MONDAY + HOUR;
    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    fix(OFF, MONDAY + SEC, 4000, 0, 5);
    CU_ASSERT_EQUAL(eng_resume(&eng, back), ENG_OK);
    eng_tick(&eng, back);
    CU_ASSERT_EQUAL(count(PW_EV_COMM_LOST), 0);
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 0);
    ticks(back, back + 150 * SEC - SEC);
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 0);
    eng_tick(&eng, back + 150 * SEC);
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 2);
    const pw_event *sl = first_of(PW_EV_SIGNAL_LOST, OFF);
    CU_ASSERT_FATAL(sl != NULL);
    CU_ASSERT_EQUAL(sl->time, back + 150 * SEC);
    CU_ASSERT_DOUBLE_EQUAL(sl->value, 3600 + 150 - 1, 1e-9); /* silent since MONDAY + 1 s */
    ticks(back + 150 * SEC, back + 300 * SEC - SEC);
    CU_ASSERT_EQUAL(count(PW_EV_COMM_LOST), 0);
    eng_tick(&eng, back + 300 * SEC);
    CU_ASSERT_EQUAL(count(PW_EV_COMM_LOST), 2);
    const pw_event *cl = first_of(PW_EV_COMM_LOST, OFF);
    CU_ASSERT_FATAL(cl != NULL);
    CU_ASSERT_DOUBLE_EQUAL(cl->value, 3600 + 300 - 1, 1e-9);
    CU_ASSERT_EQUAL(eng_resume(&eng, -1), ENG_EINVAL); /* no time before 1970 */
    eng_close(&eng);

    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    fix(OFF, MONDAY + SEC, 4000, 0, 5);
    eng_tick(&eng, back);
    CU_ASSERT_EQUAL(count(PW_EV_COMM_LOST), 2);
    CU_ASSERT_EQUAL(count(PW_EV_SIGNAL_LOST), 2);
    eng_close(&eng);
}

typedef struct numbering {
    pw_id give;                  /* the id the caller hands out */
    pw_id case_id;               /* what the engine told it */
    pw_time_ms opened;
    int calls;
} numbering;

static pw_id give_id(void *ctx, pw_id case_id, pw_time_ms opened)
{
    numbering *n = ctx;
    n->case_id = case_id;
    n->opened = opened;
    n->calls++;
    return n->give;
}

static pw_id incident_opened(size_t k) /* the k-th INCIDENT_OPEN's id, 0 none */
{
    for (size_t i = 0; i < rec.n; i++)
        if (rec.ev[i].type == PW_EV_INCIDENT_OPEN && k-- == 0)
            return rec.ev[i].incident;
    return 0;
}

/* A caller numbers the incidents (a centre that keeps them across
 * restarts): the engine takes its id, and refuses only one an open
 * incident already has (then it numbers above every id it has seen). */
static void test_incident_numbering(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    eng_case_def c2;
    eng_case_default(&c2, 200, 30, 31);
    CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, 30, ENG_ROLE_OFFENDER), ENG_OK);
    CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, 31, ENG_ROLE_VICTIM), ENG_OK);
    CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, &c2), ENG_OK);
    numbering n = {.give = 42};
    CU_ASSERT_EQUAL(eng_set_incident_numbering(&eng, give_id, &n), ENG_OK);
    /* a panic opens an incident at once */
    pw_device_status p = {.device = VIC, .set = PW_STATUS_PANIC_SET, .time = MONDAY, .panic = 1};
    CU_ASSERT_EQUAL(eng_on_status(&eng, &p, MONDAY), ENG_OK);
    CU_ASSERT_EQUAL(n.calls, 1);
    CU_ASSERT_EQUAL(n.case_id, CASE);
    CU_ASSERT_EQUAL(n.opened, MONDAY);
    CU_ASSERT_EQUAL(incident_opened(0), 42);
    CU_ASSERT_EQUAL(eng_case_incident(&eng, CASE), 42);
    /* 42 is open: the other case's incident cannot have it; the engine
     * takes 43, the first id above every one it has seen */
    p.device = 31;
    CU_ASSERT_EQUAL(eng_on_status(&eng, &p, MONDAY + SEC), ENG_OK);
    CU_ASSERT_EQUAL(incident_opened(1), 43);
    CU_ASSERT_EQUAL(eng_incident_close(&eng, 42, 1, MONDAY + 2 * SEC), ENG_OK);
    /* back to the engine's numbering: it goes on above them (44) */
    CU_ASSERT_EQUAL(eng_set_incident_numbering(&eng, NULL, NULL), ENG_OK);
    p.device = VIC;
    CU_ASSERT_EQUAL(eng_on_status(&eng, &p, MONDAY + 3 * SEC), ENG_OK);
    CU_ASSERT_EQUAL(incident_opened(2), 44);
    CU_ASSERT_EQUAL(n.calls, 2);
    eng_close(&eng);
}

static void test_tamper_battery_power_contact(void)
{
    eng_case_def c = default_case();
    start(NULL, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    fix(OFF, MONDAY + SEC, 4000, 0, 5); /* far away */
    CU_ASSERT_EQUAL(status(MONDAY + 2 * SEC, PW_STATUS_TAMPER_SET, NAN, 1, 0), ENG_OK);
    CU_ASSERT_EQUAL(count(PW_EV_TAMPER), 1);
    CU_ASSERT_EQUAL(count(PW_EV_ESCALATION), 0); /* far: an event, not an escalation */
    status(MONDAY + 3 * SEC, PW_STATUS_TAMPER_SET, NAN, 1, 0);
    CU_ASSERT_EQUAL(count(PW_EV_TAMPER), 1); /* still the same tamper */

    status(MONDAY + 62 * SEC, PW_STATUS_BATTERY_SET, 12.0, 0, 0);
    status(MONDAY + 63 * SEC, PW_STATUS_BATTERY_SET, 9.0, 0, 0);
    CU_ASSERT_EQUAL(count(PW_EV_BATTERY_LOW), 1);
    CU_ASSERT_FATAL(first(PW_EV_BATTERY_LOW) != NULL);
    CU_ASSERT_DOUBLE_EQUAL(first(PW_EV_BATTERY_LOW)->value, 12.0, 1e-9);
    status(MONDAY + 64 * SEC, PW_STATUS_POWER_SET, NAN, 0, 1);
    CU_ASSERT_EQUAL(count(PW_EV_DEVICE_OFF), 1);

    /* Then nothing at all for five minutes: contact lost, then restored. */
    ticks(MONDAY + 64 * SEC, MONDAY + 64 * SEC + 5 * MIN);
    const pw_event *cl = first_of(PW_EV_COMM_LOST, OFF);
    CU_ASSERT_FATAL(cl != NULL);
    CU_ASSERT_EQUAL(cl->time, MONDAY + 64 * SEC + 5 * MIN);
    status(MONDAY + 10 * MIN, 0, NAN, 0, 0);
    CU_ASSERT_EQUAL(count(PW_EV_COMM_RESTORED), 1);
    CU_ASSERT_EQUAL(eng_on_status(&eng, &(pw_device_status){.device = 77}, MONDAY), ENG_ENOENT);
    /* The victim's panic button opens an incident with both pins. */
    CU_ASSERT_EQUAL(count(PW_EV_INCIDENT_OPEN), 0);
    pw_device_status p = {.device = VIC, .set = PW_STATUS_PANIC_SET, .time = MONDAY + 11 * MIN, .panic = 1};
    CU_ASSERT_EQUAL(eng_on_status(&eng, &p, MONDAY + 11 * MIN), ENG_OK);
    CU_ASSERT_EQUAL(count(PW_EV_PANIC), 1);
    const pw_event *io = first(PW_EV_INCIDENT_OPEN);
    CU_ASSERT_FATAL(io != NULL);
    CU_ASSERT_EQUAL(io->reason, PW_EV_PANIC);
    CU_ASSERT(isfinite(io->lat) && isfinite(io->victim_lat));
    eng_close(&eng);

    /* Near (900 m: inside the pre-warning radius, outside the alarm), a
     * tamper is a risk: escalation, with the last position, to the centre. */
    start(NULL, &c);
    for (int k = 0; k < 6; k++) {
        fix(VIC, MONDAY + k * 10 * SEC, 0, 0, 5);
        fix(OFF, MONDAY + k * 10 * SEC + SEC, 900, 0, 5);
    }
    CU_ASSERT_EQUAL(count(PW_EV_ALARM_OPEN), 0);
    status(MONDAY + 61 * SEC, PW_STATUS_TAMPER_SET, NAN, 1, 0);
    CU_ASSERT_EQUAL(count(PW_EV_TAMPER), 1);
    CU_ASSERT_EQUAL(count(PW_EV_ESCALATION), 1);
    const pw_event *es = first(PW_EV_ESCALATION);
    CU_ASSERT_FATAL(es != NULL);
    CU_ASSERT_EQUAL(es->reason, PW_EV_TAMPER);
    CU_ASSERT(isfinite(es->lat));
    CU_ASSERT_EQUAL(count(PW_EV_VICTIM_WARNING), 1);
    eng_close(&eng);
}

/* ---- access rule, property test ------------------------------------ */

enum { P_OFFENDERS = 24, P_VICTIMS = 24, P_CASES = 36 };

typedef struct pcase {
    pw_id id, offender, victim;
} pcase;

static pcase pcases[P_CASES];

/* Offenders 1..24, victims 1001..1024.  Case k links offender k % 24 to
 * victim (k * 7) % 24: some offenders have two cases, some victims two
 * offenders.  Everybody wanders in a 2 km square, so approaches happen. */
static void property_run(uint64_t seed)
{
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    start(&cfg, NULL);
    for (int i = 0; i < P_OFFENDERS; i++)
        CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, 1 + i, ENG_ROLE_OFFENDER), ENG_OK);
    for (int i = 0; i < P_VICTIMS; i++)
        CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, 1001 + i, ENG_ROLE_VICTIM), ENG_OK);
    for (int k = 0; k < P_CASES; k++) {
        pcases[k] = (pcase){.id = 500 + k, .offender = 1 + k % P_OFFENDERS,
                            .victim = 1001 + (k * 7) % P_VICTIMS};
        eng_case_def c;
        eng_case_default(&c, pcases[k].id, pcases[k].offender, pcases[k].victim);
        c.alarm_radius_m = 200 + 50 * (k % 5);
        c.grace_ms = (k % 3) * 30 * SEC;
        CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, &c), ENG_OK);
    }
    rng = seed;
    double px[P_OFFENDERS + P_VICTIMS], py[P_OFFENDERS + P_VICTIMS];
    for (int i = 0; i < P_OFFENDERS + P_VICTIMS; i++) {
        px[i] = 2000 * pw_test_uniform(&rng);
        py[i] = 2000 * pw_test_uniform(&rng);
    }
    for (int step = 0; step < 720; step++) { /* two hours, a fix each 10 s */
        pw_time_ms t0 = MONDAY + step * 10 * SEC;
        for (int i = 0; i < P_OFFENDERS + P_VICTIMS; i++) {
            px[i] = fmin(2000, fmax(0, px[i] + 15 * pw_test_gauss(&rng)));
            py[i] = fmin(2000, fmax(0, py[i] + 15 * pw_test_gauss(&rng)));
            pw_id dev = i < P_OFFENDERS ? (pw_id)(1 + i) : (pw_id)(1001 + i - P_OFFENDERS);
            pw_time_ms t = t0 + i * 100;
            fix(dev, t, px[i] + 8 * pw_test_gauss(&rng), py[i] + 8 * pw_test_gauss(&rng), 10);
            if (pw_test_uniform(&rng) < 0.01) /* now and then a wild jump */
                fix(dev, t + 50, px[i] + 400 * pw_test_gauss(&rng), py[i] + 400 * pw_test_gauss(&rng), 10);
        }
        ticks(t0, t0 + 10 * SEC);
        if (step % 120 == 119) /* the case officer closes what is open */
            for (int k = 0; k < P_CASES; k++) {
                pw_id inc = eng_case_incident(&eng, pcases[k].id);
                if (inc)
                    CU_ASSERT_EQUAL(eng_incident_close(&eng, inc, 9, t0 + 10 * SEC), ENG_OK);
            }
    }
}

static const pcase *pcase_by_id(pw_id id)
{
    for (int k = 0; k < P_CASES; k++)
        if (pcases[k].id == id)
            return &pcases[k];
    return NULL;
}

/* Over many random cases, replay the event stream with an independent model
 * of the windows: every position shown to a victim is the offender of one
 * of her own cases, inside that case's open window; every position shown to
 * the dispatcher belongs to a case with an open incident. */
static void test_victim_never_sees_other_offender(void)
{
    property_run(2024);
    int window[P_CASES] = {0}, incident[P_CASES] = {0};
    size_t victim_disclosures = 0, dispatcher_disclosures = 0, violations = 0;
    for (size_t i = 0; i < rec.n; i++) {
        const pw_event *ev = &rec.ev[i];
        const pcase *pc = pcase_by_id(ev->case_id);
        int k = pc ? (int)(pc - pcases) : -1;
        switch (ev->type) {
        case PW_EV_REVEAL_OPEN: window[k] = 1; break;
        case PW_EV_REVEAL_CLOSE: window[k] = 0; break;
        case PW_EV_INCIDENT_OPEN: incident[k] = 1; break;
        case PW_EV_INCIDENT_CLOSE: incident[k] = 0; break;
        default: break;
        }
        if (ev->type == PW_EV_DISCLOSURE || ev->type == PW_EV_REVEAL_UPDATE) {
            if (ev->recipient == ENG_PARTY_VICTIM) {
                pw_id subject = ev->type == PW_EV_DISCLOSURE ? ev->subject : ev->device;
                victim_disclosures++;
                violations += !(pc && window[k] && pc->victim == ev->recipient_id &&
                                pc->offender == subject);
            } else if (ev->recipient == ENG_PARTY_DISPATCHER) {
                dispatcher_disclosures++;
                violations += !(pc && incident[k] &&
                                (ev->subject == pc->offender || ev->subject == pc->victim));
            }
        }
    }
    printf("\n    %zu events, %zu victim and %zu dispatcher disclosures checked ", rec.n,
           victim_disclosures, dispatcher_disclosures);
    CU_ASSERT_EQUAL(violations, 0);
    CU_ASSERT(victim_disclosures >= 100);    /* the run did exercise the windows */
    CU_ASSERT(dispatcher_disclosures >= 100);
    CU_ASSERT(count(PW_EV_INCIDENT_CLOSE) >= 3);
    CU_ASSERT_EQUAL(eng_get_counters(&eng)->disclosures_withheld, 0);
    /* The access rule itself: a victim may never see a stranger. */
    CU_ASSERT_FALSE(eng_may_disclose(&eng, ENG_PARTY_VICTIM, 1001, 2, MONDAY)); /* not her case */
    eng_close(&eng);
}

/* Same inputs, same event stream, byte for byte. */
static char *serialise(size_t *len)
{
    size_t cap = rec.n * 256 + 1, n = 0;
    char *buf = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    for (size_t i = 0; i < rec.n; i++) {
        const pw_event *e = &rec.ev[i];
        n += (size_t)snprintf(buf + n, cap - n,
                              "%d %lld %u %u %u %d %u %d %d %u %u %.17g %.17g %.17g %.17g %.17g %.17g %.17g\n",
                              e->type, (long long)e->time, e->case_id, e->device, e->incident, e->rule,
                              e->zone_id, e->reason, e->recipient, e->recipient_id, e->subject, e->lat,
                              e->lon, e->acc_m, e->victim_lat, e->victim_lon, e->probability, e->value);
    }
    *len = n;
    return buf;
}

static void test_determinism(void)
{
    size_t n1, n2;
    property_run(77);
    char *a = serialise(&n1);
    eng_close(&eng);
    property_run(77);
    char *b = serialise(&n2);
    eng_close(&eng);
    CU_ASSERT(n1 > 10000);
    CU_ASSERT_EQUAL(n1, n2);
    CU_ASSERT(n1 == n2 && memcmp(a, b, n1) == 0);
    property_run(78); /* and a different seed gives a different stream */
    size_t n3;
    char *c = serialise(&n3);
    eng_close(&eng);
    CU_ASSERT(n3 != n1 || memcmp(a, c, n1) != 0);
    free(a);
    free(b);
    free(c);
}

/* ---- retention and allocation -------------------------------------- */

/* An allocator that remembers its blocks, so a test can search all of the
 * engine's memory, and can fail after N allocations. */
typedef struct tracking_alloc {
    void *block[16];
    size_t size[16];
    int live, calls, fail_after;
} tracking_alloc;

static void *t_alloc(void *ctx, size_t size)
{
    tracking_alloc *a = ctx;
    if (a->fail_after >= 0 && a->calls >= a->fail_after)
        return NULL;
    a->calls++;
    void *p = calloc(1, size);
    for (int i = 0; p && i < 16; i++)
        if (!a->block[i]) {
            a->block[i] = p;
            a->size[i] = size;
            a->live++;
            break;
        }
    return p;
}

static void t_release(void *ctx, void *p)
{
    tracking_alloc *a = ctx;
    for (int i = 0; i < 16; i++)
        if (a->block[i] == p) {
            a->block[i] = NULL;
            a->live--;
        }
    free(p);
}

static int memory_holds(const tracking_alloc *a, double v)
{
    for (int i = 0; i < 16; i++) {
        if (!a->block[i])
            continue;
        const unsigned char *b = a->block[i];
        for (size_t off = 0; off + sizeof v <= a->size[i]; off++)
            if (memcmp(b + off, &v, sizeof v) == 0)
                return 1;
    }
    return 0;
}

/* Closing an incident purges every precise position kept for it: the exact
 * coordinates shown to the victim and the dispatcher are nowhere in the
 * engine's memory afterwards, and only a coarse summary is reported. */
static void test_purge_removes_positions(void)
{
    tracking_alloc ta = {.fail_after = -1};
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    cfg.allocator = (eng_allocator){t_alloc, t_release, &ta};
    eng_case_def c = default_case();
    start(&cfg, &c);
    fix(VIC, MONDAY, 0, 0, 5);
    for (int k = 1; k <= 20; k++)
        fix(OFF, MONDAY + k * 10 * SEC, 300 + 3.0 * k, 20, 5);
    pw_id inc = eng_case_incident(&eng, CASE);
    CU_ASSERT_FATAL(inc != 0);
    size_t kept = eng_incident_log_count(&eng, inc);
    CU_ASSERT(kept >= 20);
    /* Pick shown positions: they are in memory before the purge. */
    double shown[8];
    int n_shown = 0;
    for (size_t i = 0; i < rec.n && n_shown < 8; i++)
        if (rec.ev[i].type == PW_EV_DISCLOSURE && rec.ev[i].recipient != ENG_PARTY_MONITORING_CENTRE)
            shown[n_shown++] = rec.ev[i].lat;
    CU_ASSERT_FATAL(n_shown == 8);
    for (int i = 0; i < n_shown; i++)
        CU_ASSERT(memory_holds(&ta, shown[i]));

    CU_ASSERT_EQUAL(eng_incident_ack(&eng, inc, 42, MONDAY + 300 * SEC), ENG_OK);
    CU_ASSERT_EQUAL(eng_incident_close(&eng, inc, 42, MONDAY + 301 * SEC), ENG_OK);
    CU_ASSERT_EQUAL(eng_incident_log_count(&eng, inc), 0);
    CU_ASSERT_EQUAL(eng_case_incident(&eng, CASE), 0);
    for (int i = 0; i < n_shown; i++)
        CU_ASSERT_FALSE(memory_holds(&ta, shown[i]));
    const pw_event *pg = first(PW_EV_INCIDENT_PURGED);
    CU_ASSERT_FATAL(pg != NULL);
    CU_ASSERT(pg->value >= (double)kept);
    /* The summary is coarse: on the 1 km grid, distance rounded to 100 m. */
    double x, y;
    eng_geo_to_local(&frame, pg->lat, pg->lon, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(fmod(x + 1e6, 1000.0), 500.0, 1e-3);
    CU_ASSERT_DOUBLE_EQUAL(fmod(y + 1e6, 1000.0), 500.0, 1e-3);
    CU_ASSERT_DOUBLE_EQUAL(fmod(pg->distance_m, 100.0), 0.0, 1e-9);
    CU_ASSERT_EQUAL(first(PW_EV_REVEAL_CLOSE)->reason, ENG_REVEAL_INCIDENT_CLOSED);
    CU_ASSERT_EQUAL(eng_incident_close(&eng, inc, 42, MONDAY + 302 * SEC), ENG_ENOENT);
    eng_close(&eng);
    CU_ASSERT_EQUAL(ta.live, 0);
}

/* eng_init's allocations fail one after another: each failure returns
 * ENG_ENOMEM and releases whatever was already taken. */
static void test_init_allocation_failure(void)
{
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    int succeeded_at = -1;
    for (int n = 0; n < 16 && succeeded_at < 0; n++) {
        tracking_alloc ta = {.fail_after = n};
        cfg.allocator = (eng_allocator){t_alloc, t_release, &ta};
        eng_status st = eng_init(&eng, &cfg, record_cb, &rec);
        if (st == ENG_OK) {
            succeeded_at = n;
            eng_close(&eng);
        } else {
            CU_ASSERT_EQUAL(st, ENG_ENOMEM);
        }
        CU_ASSERT_EQUAL(ta.live, 0);
    }
    CU_ASSERT(succeeded_at >= 5); /* several allocations, each one tried */
}

/* A fix is matched to its own cases through the device index, never by
 * scanning: with 2,000 cases, a fix of an offender in two cases judges two. */
static void test_fix_touches_only_its_cases(void)
{
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    cfg.max_devices = 4096;
    cfg.max_cases = 2048;
    start(&cfg, NULL);
    for (pw_id i = 1; i <= 2000; i++) {
        CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, i, ENG_ROLE_OFFENDER), ENG_OK);
        CU_ASSERT_EQUAL_FATAL(eng_add_device(&eng, 10000 + i, ENG_ROLE_VICTIM), ENG_OK);
        eng_case_def c;
        eng_case_default(&c, i, i, 10000 + i);
        CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, &c), ENG_OK);
    }
    eng_case_def extra;
    eng_case_default(&extra, 5000, 1234, 10001); /* offender 1234 has a second case */
    CU_ASSERT_EQUAL_FATAL(eng_add_case(&eng, &extra), ENG_OK);
    uint64_t before = eng_get_counters(&eng)->cases_evaluated;
    CU_ASSERT_EQUAL(fix(1234, MONDAY, 100, 100, 5), ENG_OK);
    CU_ASSERT_EQUAL(eng_get_counters(&eng)->cases_evaluated - before, 2);
    CU_ASSERT_EQUAL(fix(10777, MONDAY, 0, 0, 5), ENG_OK);
    CU_ASSERT_EQUAL(eng_get_counters(&eng)->cases_evaluated - before, 3);
    eng_close(&eng);
}

/* eng_memory_bytes is what eng_init really takes, and it is all of it. */
static void test_memory_bound(void)
{
    eng_config cfg;
    eng_config_default(&cfg, LAT0, LON0);
    cfg.max_devices = 10000;
    cfg.max_cases = 5000;
    tracking_alloc ta = {.fail_after = -1};
    cfg.allocator = (eng_allocator){t_alloc, t_release, &ta};
    CU_ASSERT_EQUAL_FATAL(eng_init(&eng, &cfg, record_cb, &rec), ENG_OK);
    size_t taken = 0;
    for (int i = 0; i < 16; i++)
        taken += ta.block[i] ? ta.size[i] : 0;
    printf("\n    10,000 devices and 5,000 cases: %.1f MB (%zu bytes) ", taken / 1e6, taken);
    CU_ASSERT_EQUAL(taken, eng_memory_bytes(&cfg));
    CU_ASSERT(taken < 64u * 1000 * 1000);
    eng_close(&eng);
    CU_ASSERT_EQUAL(ta.live, 0);
}

static void test_registration_errors(void)
{
    start(NULL, NULL);
    CU_ASSERT_EQUAL(eng_add_device(&eng, OFF, ENG_ROLE_OFFENDER), ENG_OK);
    CU_ASSERT_EQUAL(eng_add_device(&eng, OFF, ENG_ROLE_OFFENDER), ENG_EEXIST);
    CU_ASSERT_EQUAL(eng_add_device(&eng, 0, ENG_ROLE_OFFENDER), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_add_device(&eng, VIC, ENG_ROLE_VICTIM), ENG_OK);
    eng_case_def c = default_case();
    c.alarm_radius_m = -5;
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EINVAL);
    c = default_case();
    c.p_close = 0.9; /* above p_open: no hysteresis */
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EINVAL);
    eng_case_default(&c, CASE, VIC, OFF); /* roles swapped */
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EROLE);
    eng_case_default(&c, CASE, OFF, 55);
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_ENOENT);
    c = school_case();
    c.zones[0].radius_m = 0;
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EINVAL);
    c = school_case();
    c.zones[0].schedule.windows[0].end_min = 2000;
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EINVAL);
    c = default_case();
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_OK);
    CU_ASSERT_EQUAL(eng_add_case(&eng, &c), ENG_EEXIST);
    CU_ASSERT_EQUAL(eng_incident_close(&eng, 12345, 1, MONDAY), ENG_ENOENT);
    CU_ASSERT_STRING_EQUAL(eng_strerror(ENG_EROLE), "device role does not fit");
    CU_ASSERT_STRING_EQUAL(pw_event_name(PW_EV_ALARM_OPEN), "alarm_open");
    eng_close(&eng);
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"an approach alerts near the radius", test_approach_alerts},
        {"boundary noise does not flap", test_boundary_noise_does_not_flap},
        {"urban-canyon jumps outside stay silent", test_canyon_jumps_outside_stay_silent},
        {"cell fallback: plausibly inside alerts", test_cell_fallback_plausible_inside},
        {"reveal window: dwell, grace, no late positions", test_reveal_window_timing},
        {"reveal window: timeout", test_reveal_timeout},
        {"regression: grace ends between ticks", test_reveal_grace_ends_between_ticks},
        {"regression: a huge reveal cap does not overflow", test_huge_reveal_cap_does_not_overflow},
        {"regression: shortened timeouts take effect", test_shortened_timeouts_take_effect},
        {"exclusion zone follows its weekday schedule", test_zone_schedule},
        {"polygon exclusion zone", test_polygon_zone},
        {"signal loss near a victim escalates", test_signal_loss_near_victim_escalates},
        {"tamper, battery, power-off, contact loss", test_tamper_battery_power_contact},
        {"a victim never sees another case's offender", test_victim_never_sees_other_offender},
        {"determinism: same inputs, same bytes", test_determinism},
        {"closing an incident purges precise positions", test_purge_removes_positions},
        {"allocation failure in init unwinds", test_init_allocation_failure},
        {"a fix touches only its own cases", test_fix_touches_only_its_cases},
        {"memory is bounded and known in advance", test_memory_bound},
        {"registration errors", test_registration_errors},
        {"the caller's own outage loses nobody at once (eng_resume)", test_resume_after_outage},
        {"a caller numbers the incidents; an open incident's id is not given twice", test_incident_numbering},
        {NULL, NULL},
    };
    int rc = pw_test_main("engine", tests);
    free(rec.ev);
    return rc;
}
