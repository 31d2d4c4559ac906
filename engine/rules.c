/*
 * rules.c - rules and probabilities: P(inside) for proximity and zones from
 * both tracks' uncertainty, the hysteresis of each rule, schedules, and the
 * uncertain-proximity judgement.
 */
#include "eng_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * One step of a rule's hysteresis: `p` is P(inside) for the radius that
 * matters in the rule's current state (enter margin while closed, leave
 * margin while open).  The transition happens once its condition has held
 * for the dwell time; eng_tick completes dwells that end between fixes.
 * A close countdown that has started is cancelled only by a judgement on
 * the far side of the band (p >= p_open): one noisy judgement inside the
 * band between p_close and p_open must not restart it, or an alarm whose
 * breach has ended may never close.  An open countdown (dwell_open) needs
 * every judgement at p_open or above, as its name says.
 */
static void rule_step(eng_engine *e, eng_case *c, rule_state *r, double p, pw_time_ms now,
                      eng_rule_kind kind, pw_id zone_id)
{
    r->last_p = p;
    int cond = r->active ? (p <= c->p_close) : (p >= c->p_open);
    int against = r->active ? (p >= c->p_open) : (p <= c->p_close);
    if (!cond && (against || r->pending_since == NEVER || !r->active)) {
        r->pending_since = NEVER;
        return;
    }
    if (r->pending_since == NEVER)
        r->pending_since = now;
    if (now >= ei_rule_due(c, r))
        ei_rule_transition(e, c, r, now, kind, zone_id);
    else
        ei_case_deadline(e, c, ei_rule_due(c, r));
}

/*
 * The polygon grown outward by m metres: each vertex moves to where its
 * two edges' offset lines meet (a mitre).  A very sharp spike would send
 * its mitre far out; the factor is capped at 4 (a 29 degree angle), which
 * only rounds such a spike off.  Zones whose reflex corners have edges
 * shorter than the margin come out approximate; buildings, parks and
 * school grounds at margins of tens of metres do not.
 */
static void offset_polygon(const eng_point *v, size_t n, double m, eng_point *out)
{
    double area2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const eng_point *a = &v[i], *b = &v[(i + 1) % n];
        area2 += a->x * b->y - b->x * a->y;
    }
    double side = area2 >= 0.0 ? 1.0 : -1.0; /* counter-clockwise: outward is right of each edge */
    for (size_t i = 0; i < n; i++) {
        const eng_point *p = &v[(i + n - 1) % n], *c = &v[i], *q = &v[(i + 1) % n];
        double l1 = len2d(c->x - p->x, c->y - p->y), l2 = len2d(q->x - c->x, q->y - c->y);
        double n1x = 0, n1y = 0, n2x = 0, n2y = 0;
        if (l1 > 0.0) {
            n1x = side * (c->y - p->y) / l1;
            n1y = -side * (c->x - p->x) / l1;
        }
        if (l2 > 0.0) {
            n2x = side * (q->y - c->y) / l2;
            n2y = -side * (q->x - c->x) / l2;
        }
        double denom = 1.0 + n1x * n2x + n1y * n2y;
        double k = denom > 1.0 / 16.0 ? m / denom : 4.0 * m; /* mitre, capped */
        double sx = n1x + n2x, sy = n1y + n2y, sl = len2d(sx, sy);
        if (denom > 1.0 / 16.0) {
            out[i].x = c->x + k * sx;
            out[i].y = c->y + k * sy;
        } else {
            out[i].x = c->x + (sl > 0.0 ? k * sx / sl : 0.0);
            out[i].y = c->y + (sl > 0.0 ? k * sy / sl : 0.0);
        }
    }
}

/* P(the offender is inside the zone grown by margin_m), from the 2-D
 * Gaussian of his track: the Rice distribution for circles, the exact
 * polygon integral (polyprob.c) for polygons. */
double ei_zone_probability(const eng_zone *zone, const eng_track *s, double margin_m)
{
    const eng_zone_geom *z = &zone->geom;
    double sigma = eng_track_sigma_m(s);
    double reach = 9.0 * sigma + 4.0 * margin_m;
    if (s->x < z->minx - reach || s->x > z->maxx + reach || s->y < z->miny - reach ||
        s->y > z->maxy + reach)
        return 0.0;
    if (z->kind == ENG_ZONE_CIRCLE)
        return eng_prob_within(len2d(s->x - z->cx, s->y - z->cy), sigma, z->radius_m + margin_m);
    if (!(margin_m > 0.0))
        return eng_prob_in_polygon(z->v, z->n, s->x, s->y, sigma);
    eng_point grown[ENG_MAX_ZONE_VERTICES];
    offset_polygon(z->v, z->n, margin_m, grown);
    return eng_prob_in_polygon(grown, z->n, s->x, s->y, sigma);
}

/*
 * Can `older`, predicted to time t, be within reach_m of `newer` at all?
 * A cheap, conservative test that spares most pairs (far apart, the common
 * case) the prediction: the predicted mean moves by tau (1 - a) |v| <= |v| dt,
 * and the integrated-OU variance grows no faster than the constant-velocity
 * model's pp + 2 dt |pv| + dt^2 vv + q dt^3 / 3.  When this says no, the
 * exact computation would give a probability of exactly 0 too (it cuts off
 * at 6.5 sigma), so skipping it changes no decision.
 */
static int out_of_reach(const eng_filter_config *fc, const eng_track *older,
                        const eng_track *newer, pw_time_ms t, double reach_m)
{
    double dt = (double)(t - older->t) / 1000.0;
    double q = 2.0 * fc->speed_sigma_mps * fc->speed_sigma_mps / fc->speed_tau_s;
    double var = older->pp + 2.0 * dt * fabs(older->pv) + dt * dt * older->vv +
                 q * dt * dt * dt / 3.0 + newer->pp;
    double gap = len2d(older->x - newer->x, older->y - newer->y) -
                 len2d(older->vx, older->vy) * dt - reach_m;
    return gap > 0.0 && gap * gap > 6.5 * 6.5 * var;
}

/*
 * Judge zone i of case c at `now` from the offender's track.  Outside its
 * schedule a zone does not apply: an alarm it holds closes at once (the
 * dwell guards against noise, and a schedule's end is not noise), and no
 * countdown runs.
 */
void ei_judge_zone(eng_engine *e, eng_case *c, uint32_t i, pw_time_ms now)
{
    const eng_device *off = case_offender(e, c);
    const eng_zone *z = &e->zones[c->zone_first + i];
    rule_state *r = &c->zone[i];
    if (!eng_schedule_active(&z->schedule, now)) {
        r->last_p = 0.0;
        if (r->active)
            ei_rule_transition(e, c, r, now, ENG_RULE_ZONE, z->id);
        r->pending_since = NEVER;
        return;
    }
    if (!off->track.initialised)
        return;
    double p = ei_zone_probability(z, &off->track, r->active ? c->leave_margin_m : c->enter_margin_m);
    rule_step(e, c, r, p, now, ENG_RULE_ZONE, z->id);
}

/*
 * Uncertain proximity.  When the combined uncertainty is so large that even
 * an offender exactly on the victim would score below p_open, the proximity
 * rule can never open: P at zero distance is 1 - exp(-R^2 / 2 sigma^2), below
 * p_open = 0.5 once sigma > R / 1.18 (424 m for 500 m).  Such a case is
 * "undecidable"; when it is also plausibly inside (P >= p_close) the engine
 * escalates instead of waiting: PW_EV_UNCERTAIN_OPEN to the centre, pursuit
 * mode asked of the tag (to get a GNSS fix), a victim warning without a
 * position and an incident.  It ends (PW_EV_UNCERTAIN_CLOSE) when the case
 * is decidable again or P falls below p_close / 2, or when an alarm opens.
 */
static void judge_uncertain(eng_engine *e, eng_case *c, double p, double sigma, pw_time_ms now)
{
    double r_open = c->alarm_radius_m + c->enter_margin_m;
    int undecidable = !c->prox.active && sigma > 0.0 &&
                      -expm1(-r_open * r_open / (2.0 * sigma * sigma)) < c->p_open;
    if (!c->uncertain)
        ei_set_uncertain(e, c, undecidable && p >= c->p_close, now, p);
    else if (!undecidable || p < 0.5 * c->p_close)
        ei_set_uncertain(e, c, 0, now, p);
}

/* Re-judge a case after a fix of `moved`.  Proximity compares both devices
 * at the newer of their two states; zones depend on the offender alone and
 * are judged on his fixes (and on schedule boundaries, by eng_tick). */
void ei_evaluate_case(eng_engine *e, eng_case *c, const eng_device *moved, pw_time_ms now)
{
    eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    e->counters.cases_evaluated++;
    if (!off->track.initialised)
        return;
    if (vic->track.initialised) {
        const eng_track *older = &off->track, *newer = &vic->track;
        if (older->t > newer->t) {
            older = &vic->track;
            newer = &off->track;
        }
        double p_alarm = 0.0, p_pre = 0.0, sigma = 0.0;
        double margin_alarm = c->prox.active ? c->leave_margin_m : c->enter_margin_m;
        double margin_pre = c->prewarn.active ? c->leave_margin_m : c->enter_margin_m;
        double reach = c->alarm_radius_m + margin_alarm;
        if (c->prewarn_radius_m + margin_pre > reach && c->prewarn_radius_m > 0.0)
            reach = c->prewarn_radius_m + margin_pre;
        if (!out_of_reach(&e->cfg.filter, older, newer, newer->t, reach)) {
            eng_track po;
            eng_track_predict(older, &e->cfg.filter, newer->t, &po);
            double dist = len2d(po.x - newer->x, po.y - newer->y);
            sigma = sqrt(po.pp + newer->pp);
            p_alarm = eng_prob_within(dist, sigma, c->alarm_radius_m + margin_alarm);
            if (c->prewarn_radius_m > 0.0)
                p_pre = eng_prob_within(dist, sigma, c->prewarn_radius_m + margin_pre);
        }
        rule_step(e, c, &c->prox, p_alarm, now, ENG_RULE_PROXIMITY, 0);
        if (c->prewarn_radius_m > 0.0)
            rule_step(e, c, &c->prewarn, p_pre, now, ENG_RULE_PREWARN, 0);
        judge_uncertain(e, c, p_alarm, sigma, now);
    }
    if (moved != off)
        return;
    for (uint32_t i = 0; i < c->n_zones; i++)
        ei_judge_zone(e, c, i, now);
}
