/*
 * gate.c - fix gating and re-acquisition: the checks a fix must pass, the
 * manoeuvre allowance, the candidate track of rejected fixes, motion state
 * and freshness (stale data, GNSS loss by fix time).
 */
#include "eng_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static eng_status reject(eng_engine *e, const eng_device *d, const pw_fix *f, pw_time_ms now,
                         eng_reject_reason why)
{
    e->counters.rejected[why]++;
    pw_event ev;
    ei_ev_init(&ev, PW_EV_FIX_REJECTED, now);
    ev.device = d->id;
    ev.reason = why;
    /* The position is not shown to anyone: the rejected fix stays internal. */
    ev.acc_m = (f->set & PW_FIX_ACC_SET) ? f->acc_m : NAN;
    ei_emit(e, &ev);
    return ENG_EREJECTED;
}

/*
 * A rejected fix may be the first of a run that shows the track itself is
 * wrong (a cold-boot fix thousands of km off, then the truth).  Keep the
 * rejected fixes as a candidate track; once reacquire_fixes of them agree
 * with each other at a possible speed, over at least reacquire_min_ms, the
 * candidate wins.  The span matters: correlated multipath drifts smoothly
 * (60 m over 8 s, each fix consistent with the last), so agreement alone
 * is not proof; a short episode of it must not capture the track.
 */
static int candidate_wins(eng_engine *e, eng_device *d, pw_time_ms t, double x, double y,
                          double sigma, int at_rest)
{
    const eng_filter_config *fc = &e->cfg.filter;
    int consistent = 0, same_place = 0;
    if (d->cand_run > 0 && t > d->cand_t) {
        double dt = (double)(t - d->cand_t) / 1000.0;
        double apart = len2d(x - d->cand_x, y - d->cand_y);
        consistent = apart <= fc->max_speed_mps * dt + 3.0 * (sigma + d->cand_sigma);
        same_place = apart <= 3.0 * (sigma + d->cand_sigma);
    }
    if (consistent) {
        double dt = (double)(t - d->cand_t) / 1000.0;
        d->cand_vx = (x - d->cand_x) / dt;
        d->cand_vy = (y - d->cand_y) / dt;
        d->cand_run++;
        d->cand_rest = d->cand_rest && at_rest && same_place;
    } else {
        d->cand_vx = d->cand_vy = 0.0;
        d->cand_run = 1;
        d->cand_since = t;
        d->cand_rest = (uint8_t)at_rest;
    }
    d->cand_t = t;
    d->cand_x = x;
    d->cand_y = y;
    d->cand_sigma = sigma;
    /* Two fixes that both say "at rest" at the same new place, far enough
     * apart in time, are a device that moved while its wake-up fix was lost
     * (a tag at rest fixes once in five minutes: waiting for three would
     * take ten).  One such fix alone is a reflection, and stays rejected. */
    int needed = d->cand_rest ? 2 : fc->reacquire_fixes;
    return d->cand_run >= needed && t - d->cand_since >= fc->reacquire_min_ms;
}

/*
 * The track predicted to the time t of a new fix.  A device at rest stays
 * put; one that the accelerometer has woken (this fix says moving, the
 * track says at rest) may have left at any moment since its last fix, so
 * its velocity becomes unknown again (a new track's velocity spread) and
 * the moving model spreads it from the last rest position.
 */
static void predict_for_fix(const eng_filter_config *fc, const eng_track *tr, pw_time_ms t,
                            int says_moving, eng_track *out)
{
    if (tr->at_rest && says_moving) {
        eng_track woken = *tr;
        eng_track_wake(&woken, fc);
        eng_track_predict(&woken, fc, t, out);
        return;
    }
    eng_track_predict(tr, fc, t, out);
}

/*
 * Adjustable process noise (Bar-Shalom's manoeuvre detection): a vehicle
 * that turns or brakes between two fixes lands outside the gate of a model
 * that assumes gentle motion (a car turning 90 degrees at 10 m/s is 70 m off
 * a straight-line prediction after 10 s).  For a track moving at vehicle
 * speed, an outlier is tested once more against the prediction with the
 * uncertainty of a sustained acceleration a: position a dt^2 / 2, velocity
 * a dt.  If it fits, it is a manoeuvre, and the widened prediction is used,
 * so the track follows at once instead of waiting for re-acquisition.
 * Slow tracks (people on foot, where urban-canyon jumps live) never get
 * this allowance.
 */
static int manoeuvre_fits(const eng_filter_config *fc, const eng_device *d, eng_track *p, double dt,
                          double ix, double iy, double sigma)
{
    const eng_track *tr = &d->track;
    /* Only right after an accepted fix: while fixes are being rejected the
     * gap since the track's last fix grows, and with it the allowance, until
     * a multipath episode would pass for a manoeuvre. */
    if (d->cand_run > 0 || tr->at_rest || !(fc->manoeuvre_accel_mps2 > 0.0) ||
        len2d(tr->vx, tr->vy) < fc->manoeuvre_min_speed_mps)
        return 0;
    double a2 = fc->manoeuvre_accel_mps2 * fc->manoeuvre_accel_mps2;
    eng_track m = *p;
    m.pp += 0.25 * a2 * dt * dt * dt * dt;
    m.pv += 0.5 * a2 * dt * dt * dt;
    m.vv += a2 * dt * dt;
    if ((ix * ix + iy * iy) / (m.pp + sigma * sigma) > fc->gate_chi2)
        return 0;
    *p = m;
    return 1;
}

static pw_time_ms gnss_timeout(const eng_device *d)
{
    return d->track.at_rest ? d->no_fix_rest_ms : d->no_fix_ms;
}

/* When GNSS counts as lost: the timeout in force after the newest GNSS fix,
 * or after a wake-up that a status reported (a device at rest was not due
 * to fix until it woke), or after the caller's own outage (eng_resume). */
pw_time_ms ei_gnss_due(const eng_engine *e, const eng_device *d)
{
    pw_time_ms from = d->woken_at > d->last_gnss_t ? d->woken_at : d->last_gnss_t;
    if (e->resumed_at > from)
        from = e->resumed_at;
    return later(from, gnss_timeout(d));
}

/*
 * Freshness is judged by fix time, not arrival: a fix that arrives minutes
 * after it was measured (a clock off by minutes, a week-rollover receiver,
 * a backlog) is counted as stale and raises STALE_DATA once per episode
 * (unless the centre already knows the device is lost), and it does not
 * keep GNSS "alive".  Only GNSS fixes do that; cell and Wi-Fi positions in
 * a tunnel do not.
 */
static void note_stale(eng_engine *e, eng_device *d, pw_time_ms t, pw_time_ms now)
{
    e->counters.fixes_stale++;
    if (!d->stale && !d->signal_lost && !d->comm_lost) {
        d->stale = 1;
        ei_health_event(e, d, PW_EV_STALE_DATA, now, (double)(now - t) / 1000.0);
    }
}

static void note_freshness(eng_engine *e, eng_device *d, const pw_fix *f, pw_time_ms t, pw_time_ms now)
{
    if (now - t <= e->cfg.max_fix_age_ms)
        d->stale = 0; /* a fresh fix ends the episode */
    /* Before its first GNSS fix, a device's GNSS clock runs from its first
     * fix of any kind. */
    int gnss = f->source == PW_SRC_GNSS;
    if ((gnss || d->last_gnss_t == NEVER) && (d->last_gnss_t == NEVER || t > d->last_gnss_t))
        d->last_gnss_t = t;
    pw_time_ms due = ei_gnss_due(e, d);
    if (d->signal_lost && gnss && now < due) {
        d->signal_lost = 0;
        pw_event ev;
        ei_ev_init(&ev, PW_EV_SIGNAL_RESTORED, now);
        ev.device = d->id;
        ei_emit(e, &ev);
    }
    ei_health_deadline(e, due);
}

static eng_status take_fix(eng_engine *e, eng_device *d, const pw_fix *f, pw_time_ms now);

eng_status eng_on_fix(eng_engine *e, const pw_fix *f, pw_time_ms now)
{
    if (!live(e) || !f || !time_ok(now))
        return ENG_EINVAL;
    eng_device *d = ei_find_device(e, f->device);
    if (!d)
        return ENG_ENOENT;
#if defined(__GNUC__)
    /* Most fixes end in judging the device's case against the other device
     * of it: their memory is fetched now, while the fix is gated, instead
     * of waited for then (a hint: nothing depends on it). */
    if (d->first_link != NONE_IDX) {
        const char *c = (const char *)&e->cases[d->hint_case], *p = (const char *)&e->devices[d->hint_partner];
        __builtin_prefetch(c);
        __builtin_prefetch(c + 64);
        __builtin_prefetch(c + 128);
        __builtin_prefetch(p);
        __builtin_prefetch(p + 64);
    }
#endif
    /* Timers due by now run first: a reveal window whose grace ended
     * between two ticks must be closed before this fix could reach the
     * victim. */
    eng_tick(e, now);
    e->counters.fixes_in++;
    ei_contact(e, d, now);
    eng_status st = take_fix(e, d, f, now);
    /* Stale is judged on arrival, whatever the gates said of the fix, and
     * after it: an escalation near a victim needs the position it gave. */
    pw_time_ms t = (f->set & PW_FIX_TIME_SET) ? f->time : now;
    if (time_ok(t) && now - t > e->cfg.max_fix_age_ms)
        note_stale(e, d, t, now);
    return st;
}

/* Gate one fix and, when accepted, fold it into the track and re-judge the
 * device's cases. */
static eng_status take_fix(eng_engine *e, eng_device *d, const pw_fix *f, pw_time_ms now)
{
    const eng_filter_config *fc = &e->cfg.filter;
    if (!(f->set & PW_FIX_LATLON_SET) || !isfinite(f->lat) || !isfinite(f->lon))
        return reject(e, d, f, now, ENG_REJ_NO_POSITION);
    pw_time_ms t = (f->set & PW_FIX_TIME_SET) ? f->time : now;
    if (fabs(f->lat) > 90.0 || fabs(f->lon) > 180.0 || !time_ok(t) ||
        ((f->set & PW_FIX_ACC_SET) && !(f->acc_m >= 0.0 && f->acc_m < 1e7)))
        return reject(e, d, f, now, ENG_REJ_INVALID);
    if (t > later(now, e->cfg.max_future_ms))
        return reject(e, d, f, now, ENG_REJ_FUTURE);
    double x, y;
    eng_geo_to_local(&e->frame, f->lat, f->lon, &x, &y);
    if (x * x + y * y > e->cfg.region_radius_m * e->cfg.region_radius_m)
        return reject(e, d, f, now, ENG_REJ_OUT_OF_REGION);
    double sigma = eng_fix_sigma_m(fc, f);
    /* The wearer's motion: the device's accelerometer when it says, else a
     * GNSS receiver's own Doppler speed (recorded traces, live receivers),
     * which a still receiver reports near zero. */
    int motion_known = 0, moving = 1;
    if (f->set & PW_FIX_MOTION_SET) {
        motion_known = 1;
        moving = f->moving != 0;
    } else if ((f->set & PW_FIX_SPEED_SET) && f->source == PW_SRC_GNSS && f->speed_mps >= 0.0 &&
               isfinite(f->speed_mps)) {
        motion_known = 1;
        moving = f->speed_mps >= fc->rest_speed_mps;
    }

    if (!d->track.initialised) {
        eng_track_reset(&d->track, fc, t, x, y, sigma);
    } else if (t == d->track.t) {
        return reject(e, d, f, now, ENG_REJ_DUPLICATE);
    } else if (t < d->track.t) {
        return reject(e, d, f, now, ENG_REJ_OUT_OF_ORDER);
    } else {
        double dt = (double)(t - d->track.t) / 1000.0;
        double jump = len2d(x - d->track.x, y - d->track.y);
        double slack = 3.0 * (sigma + eng_track_sigma_m(&d->track));
        eng_reject_reason why = ENG_REJ_NONE;
        eng_track p;
        if (jump - slack > fc->max_speed_mps * dt) {
            why = ENG_REJ_IMPOSSIBLE_SPEED;
        } else {
            /* One prediction serves the gate and the update. */
            int says_moving = !motion_known || moving;
            predict_for_fix(fc, &d->track, t, says_moving, &p);
            double ix = x - p.x, iy = y - p.y;
            if ((ix * ix + iy * iy) / (p.pp + sigma * sigma) > fc->gate_chi2) {
                if (manoeuvre_fits(fc, d, &p, dt, ix, iy, sigma))
                    e->counters.manoeuvres++;
                else
                    why = ENG_REJ_OUTLIER;
            }
        }
        if (why != ENG_REJ_NONE) {
            if (!candidate_wins(e, d, t, x, y, sigma, motion_known && !moving))
                return reject(e, d, f, now, why);
            /* The run of rejected fixes wins: restart the track at this fix,
             * moving as the last two candidates did. */
            eng_track_reset(&d->track, fc, t, x, y, sigma);
            d->track.vx = d->cand_vx;
            d->track.vy = d->cand_vy;
            e->counters.reacquired++;
            pw_event ev;
            ei_ev_init(&ev, PW_EV_TRACK_REACQUIRED, now);
            ev.device = d->id;
            ev.reason = why;
            ei_emit(e, &ev);
        } else {
            double prior_pp = p.pp;
            eng_track_correct(&p, x, y, sigma);
            /* Cell and Wi-Fi errors come from the geometry of the same
             * towers and access points fix after fix: they do not average
             * out.  Such a fix cannot make the track surer than the fix
             * itself, unless the track already was (a GNSS track entering
             * a tunnel). */
            if (f->source != PW_SRC_GNSS && p.pp < prior_pp && p.pp < sigma * sigma)
                p.pp = prior_pp < sigma * sigma ? prior_pp : sigma * sigma;
            d->track = p;
        }
    }
    /* The accelerometer's word, when the device gives it; without it the
     * track is a moving target. */
    eng_track_set_rest(&d->track, motion_known && !moving);
    d->cand_run = 0;
    e->counters.fixes_accepted++;
    d->fix_speed_mps = (f->set & PW_FIX_SPEED_SET) ? f->speed_mps : NAN;
    d->fix_heading_deg = (f->set & PW_FIX_HEADING_SET) ? f->heading_deg : NAN;
    note_freshness(e, d, f, t, now);

    for (uint32_t li = d->first_link; li != NONE_IDX; li = e->links[li].next) {
        eng_case *c = &e->cases[e->links[li].case_idx];
        ei_evaluate_case(e, c, d, now);
        ei_position_updates(e, c, now, d->role == ENG_ROLE_OFFENDER, 1);
    }
    return ENG_OK;
}
