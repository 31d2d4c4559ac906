/*
 * lifecycle.c - the alert lifecycle and device health: alarms, reveal
 * windows, incidents, pursuit, uncertain proximity and escalation; health
 * reports; and the timers eng_tick runs (dwell, grace, cap, schedules,
 * signal and contact loss).
 */
#include "eng_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/*
 * Timers.  Device health deadlines only move later as messages arrive, so a
 * single lower bound suffices: eng_tick scans the devices when it passes and
 * recomputes it (in steady state every no_fix_ms or so).  Case timers (dwell,
 * grace, reveal cap) are few at any moment; the cases that have one sit in a
 * set that eng_tick walks, so a tick costs nothing for quiet cases.
 */
void ei_health_deadline(eng_engine *e, pw_time_ms t)
{
    if (t < e->next_health_deadline)
        e->next_health_deadline = t;
}

void ei_case_deadline(eng_engine *e, eng_case *c, pw_time_ms t)
{
    if (!c->in_timer_set) {
        c->in_timer_set = 1;
        e->timer_cases[e->n_timer_cases++] = (uint32_t)(c - e->cases);
    }
    if (t < e->next_case_deadline)
        e->next_case_deadline = t;
}

/* An incident event to the dispatcher, and its distance into the
 * incident's summary. */
static void to_dispatcher(eng_engine *e, eng_case *c, pw_event *ev)
{
    ev->recipient = ENG_PARTY_DISPATCHER;
    ei_disclose(e, c, ev, ENG_PARTY_DISPATCHER, 0);
    if (isfinite(ev->distance_m) && ev->distance_m < c->min_distance_m)
        c->min_distance_m = ev->distance_m;
}

static void open_incident(eng_engine *e, eng_case *c, pw_time_ms now, int reason)
{
    if (c->incident)
        return;
    pw_id id = e->number_incident ? e->number_incident(e->number_ctx, c->id, now) : 0;
    if (id == 0 || ei_find_incident(e, id))
        id = e->next_incident;
    while (ei_find_incident(e, id)) /* only when the caller numbered some */
        id++;
    c->incident = id;
    if (id >= e->next_incident)
        e->next_incident = id + 1;
    c->incident_opened_at = now;
    ei_incident_summary_reset(c);
    pw_event ev;
    ei_case_event(e, c, &ev, PW_EV_INCIDENT_OPEN, now, 1);
    ev.reason = reason;
    to_dispatcher(e, c, &ev);
}

void ei_close_reveal(eng_engine *e, eng_case *c, pw_time_ms now, eng_reveal_close_reason why)
{
    if (!c->reveal_open)
        return;
    c->reveal_open = 0;
    c->reveal_close_at = NEVER;
    pw_event ev;
    ei_ev_init(&ev, PW_EV_REVEAL_CLOSE, now);
    ev.case_id = c->id;
    ev.device = case_offender(e, c)->id;
    ev.incident = c->incident;
    ev.recipient = ENG_PARTY_VICTIM;
    ev.recipient_id = case_victim(e, c)->id;
    ev.reason = why;
    ei_emit(e, &ev);
}

/* The new position to the victim (during her window) and to the
 * dispatcher (while an incident is open), as asked, from one reading of
 * the pair: the victim's event is the dispatcher's without her own pin. */
void ei_position_updates(eng_engine *e, eng_case *c, pw_time_ms now, int to_victim, int to_dispatch)
{
    to_victim = to_victim && c->reveal_open;
    to_dispatch = to_dispatch && c->incident;
    if (!to_victim && !to_dispatch)
        return;
    pw_event ev;
    ei_case_event(e, c, &ev, PW_EV_INCIDENT_UPDATE, now, 1);
    if (to_victim) {
        pw_event rv = ev;
        rv.type = PW_EV_REVEAL_UPDATE;
        rv.victim_lat = rv.victim_lon = rv.victim_acc_m = NAN;
        rv.recipient = ENG_PARTY_VICTIM;
        rv.recipient_id = case_victim(e, c)->id;
        ei_disclose(e, c, &rv, ENG_PARTY_VICTIM, rv.recipient_id);
    }
    if (to_dispatch)
        to_dispatcher(e, c, &ev);
}

/* Pursuit mode (fast reporting) is asked for while any alarm or uncertain
 * case of the offender needs it: one request count per tag. */
static void pursuit(eng_engine *e, eng_device *off, const eng_case *c, int on, pw_time_ms now)
{
    if (on ? off->pursuit_refs++ != 0 : --off->pursuit_refs != 0)
        return;
    pw_event pe;
    ei_ev_init(&pe, on ? PW_EV_PURSUIT_ON : PW_EV_PURSUIT_OFF, now);
    pe.device = off->id;
    pe.case_id = c->id;
    ei_emit(e, &pe);
}

/* A risk without a decided breach (a health fault near the victim, an
 * undecidable proximity): tell the centre with the offender's last
 * position, warn the victim (no position) and open an incident. */
static void escalate(eng_engine *e, eng_case *c, pw_event_type why, pw_time_ms now)
{
    pw_event es;
    ei_case_event(e, c, &es, PW_EV_ESCALATION, now, 0);
    es.reason = why;
    es.recipient = ENG_PARTY_MONITORING_CENTRE;
    ei_disclose(e, c, &es, ENG_PARTY_MONITORING_CENTRE, 0);
    pw_event w;
    ei_ev_init(&w, PW_EV_VICTIM_WARNING, now);
    w.case_id = c->id;
    w.device = case_offender(e, c)->id;
    w.reason = why;
    w.recipient = ENG_PARTY_VICTIM;
    w.recipient_id = case_victim(e, c)->id;
    ei_emit(e, &w);
    open_incident(e, c, now, PW_EV_ESCALATION);
}

void ei_set_uncertain(eng_engine *e, eng_case *c, int on, pw_time_ms now, double p)
{
    if (c->uncertain == on)
        return;
    c->uncertain = (uint8_t)on;
    pw_event ev;
    ei_case_event(e, c, &ev, on ? PW_EV_UNCERTAIN_OPEN : PW_EV_UNCERTAIN_CLOSE, now, 0);
    ev.rule = ENG_RULE_PROXIMITY;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    ei_disclose(e, c, &ev, ENG_PARTY_MONITORING_CENTRE, 0);
    pursuit(e, case_offender(e, c), c, on, now);
    if (on)
        escalate(e, c, PW_EV_UNCERTAIN_OPEN, now);
}

static void alarm_opened(eng_engine *e, eng_case *c, pw_time_ms now, eng_rule_kind kind,
                         pw_id zone_id, double p)
{
    eng_device *off = case_offender(e, c);
    pw_event ev;
    ei_case_event(e, c, &ev, PW_EV_ALARM_OPEN, now, 0);
    ev.rule = kind;
    ev.zone_id = zone_id;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    ei_disclose(e, c, &ev, ENG_PARTY_MONITORING_CENTRE, 0);

    /* Expiry first: a window that has reached its cap ends before this
     * alarm.  And a window that stays open only for an ended alarm's grace
     * is not this alarm's: a new danger gets a window, and a cap, of its
     * own, or it would be lost at the old window's cap. */
    if (c->reveal_open) {
        if (now >= ei_reveal_cap_at(c))
            ei_close_reveal(e, c, now, ENG_REVEAL_TIMEOUT);
        else if (c->active_alarms == 0)
            ei_close_reveal(e, c, now, now >= c->reveal_close_at ? ENG_REVEAL_GRACE_OVER : ENG_REVEAL_RENEWED);
    }
    c->active_alarms++;
    pursuit(e, off, c, 1, now);
    if (!c->reveal_open) {
        c->reveal_open = 1;
        c->reveal_opened_at = now;
        ei_case_deadline(e, c, later(now, c->reveal_max_ms));
        pw_event ro;
        ei_ev_init(&ro, PW_EV_REVEAL_OPEN, now);
        ro.case_id = c->id;
        ro.device = off->id;
        ro.recipient = ENG_PARTY_VICTIM;
        ro.recipient_id = case_victim(e, c)->id;
        ro.rule = kind;
        ro.zone_id = zone_id;
        ei_emit(e, &ro);
    }
    c->reveal_close_at = NEVER;
    open_incident(e, c, now, PW_EV_ALARM_OPEN);
    ei_position_updates(e, c, now, 1, 0);
    if (kind == ENG_RULE_PROXIMITY)
        ei_set_uncertain(e, c, 0, now, p); /* decided: the alarm takes over */
}

static void alarm_closed(eng_engine *e, eng_case *c, pw_time_ms now, eng_rule_kind kind,
                         pw_id zone_id, double p)
{
    eng_device *off = case_offender(e, c);
    pw_event ev;
    ei_ev_init(&ev, PW_EV_ALARM_CLOSE, now);
    ev.case_id = c->id;
    ev.device = off->id;
    ev.incident = c->incident;
    ev.rule = kind;
    ev.zone_id = zone_id;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    ei_emit(e, &ev);
    c->active_alarms--;
    pursuit(e, off, c, 0, now);
    if (c->active_alarms == 0 && c->reveal_open) {
        c->reveal_close_at = later(now, c->grace_ms);
        if (c->reveal_close_at <= now)
            ei_close_reveal(e, c, now, ENG_REVEAL_GRACE_OVER); /* no grace: now */
        else
            ei_case_deadline(e, c, c->reveal_close_at);
    }
}

static void prewarn_changed(eng_engine *e, eng_case *c, pw_time_ms now, int open, double p)
{
    pw_event ev;
    ei_case_event(e, c, &ev, open ? PW_EV_PREWARN_OPEN : PW_EV_PREWARN_CLOSE, now, 0);
    ev.rule = ENG_RULE_PREWARN;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    if (open)
        ei_disclose(e, c, &ev, ENG_PARTY_MONITORING_CENTRE, 0);
    else {
        ev.lat = ev.lon = ev.acc_m = ev.heading_deg = ev.speed_mps = NAN;
        ei_emit(e, &ev);
    }
}

void ei_rule_transition(eng_engine *e, eng_case *c, rule_state *r, pw_time_ms now,
                        eng_rule_kind kind, pw_id zone_id)
{
    r->active = !r->active;
    r->pending_since = NEVER;
    if (kind == ENG_RULE_PREWARN)
        prewarn_changed(e, c, now, r->active, r->last_p);
    else if (r->active)
        alarm_opened(e, c, now, kind, zone_id, r->last_p);
    else
        alarm_closed(e, c, now, kind, zone_id, r->last_p);
}

void ei_contact(eng_engine *e, eng_device *d, pw_time_ms now)
{
    /* A caller whose `now` steps back must not make contact look older. */
    if (d->last_comm == NEVER || now > d->last_comm)
        d->last_comm = now;
    ei_health_deadline(e, later(d->last_comm, d->no_comm_ms));
    if (d->comm_lost) {
        d->comm_lost = 0;
        pw_event ev;
        ei_ev_init(&ev, PW_EV_COMM_RESTORED, now);
        ev.device = d->id;
        ei_emit(e, &ev);
    }
}

/* Is the offender's last filtered position a risk to this case's victim? */
static int near_victim(const eng_engine *e, const eng_case *c)
{
    const eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    if (!off->track.initialised)
        return 0;
    for (uint32_t i = 0; i < c->n_zones; i++) {
        const eng_zone *z = &e->zones[c->zone_first + i];
        if (ei_zone_probability(z, &off->track, c->leave_margin_m) > c->p_close)
            return 1;
    }
    if (!vic->track.initialised)
        return 0;
    double radius = c->prewarn_radius_m > c->alarm_radius_m ? c->prewarn_radius_m : c->alarm_radius_m;
    return len2d(off->track.x - vic->track.x, off->track.y - vic->track.y) <= radius;
}

void ei_health_event(eng_engine *e, eng_device *d, pw_event_type type, pw_time_ms now,
                     double value)
{
    pw_event ev;
    ei_ev_init(&ev, type, now);
    ev.device = d->id;
    ev.value = value;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    ei_emit(e, &ev);
    if (d->role != ENG_ROLE_OFFENDER)
        return;
    /* A fault near a victim is a risk, not silence. */
    for (uint32_t li = d->first_link; li != NONE_IDX; li = e->links[li].next) {
        eng_case *c = &e->cases[e->links[li].case_idx];
        if (near_victim(e, c))
            escalate(e, c, type, now);
    }
}

eng_status eng_on_status(eng_engine *e, const pw_device_status *s, pw_time_ms now)
{
    if (!live(e) || !s || !time_ok(now))
        return ENG_EINVAL;
    eng_device *d = ei_find_device(e, s->device);
    if (!d)
        return ENG_ENOENT;
    eng_tick(e, now);
    ei_contact(e, d, now);
    if ((s->set & PW_STATUS_MOTION_SET) && d->track.initialised &&
        d->track.at_rest != (s->moving == 0)) {
        /* The accelerometer between fixes.  A status older than the newest
         * fix says nothing new.  A start: the velocity is unknown again
         * (the next prediction spreads from the last rest fix), and the
         * moving GNSS timeout counts from the start, not from a rest fix
         * that was not due to be followed for minutes.  A stop: the track
         * is predicted to the stop and set at rest, keeping its own time so
         * that a fix measured before but delivered after is in order. */
        pw_time_ms at = time_ok(s->time) ? s->time : now;
        if (at > now)
            at = now;
        if (at >= d->track.t) {
            if (s->moving) {
                eng_track_wake(&d->track, &e->cfg.filter);
                d->woken_at = at;
            } else {
                eng_track p;
                eng_track_predict(&d->track, &e->cfg.filter, at, &p);
                p.t = d->track.t;
                d->track = p;
                eng_track_set_rest(&d->track, 1);
            }
            if (d->last_gnss_t != NEVER)
                ei_health_deadline(e, ei_gnss_due(e, d));
        }
    }
    if ((s->set & PW_STATUS_BATTERY_SET) && isfinite(s->battery_pct)) {
        if (s->battery_pct <= e->cfg.battery_low_pct && !d->battery_low) {
            d->battery_low = 1;
            ei_health_event(e, d, PW_EV_BATTERY_LOW, now, s->battery_pct);
        } else if (s->battery_pct > e->cfg.battery_low_pct + 5.0) {
            d->battery_low = 0; /* charged: a later drop warns again */
        }
    }
    if (s->set & PW_STATUS_TAMPER_SET) {
        if (s->strap_tampered && !d->tampered) {
            d->tampered = 1;
            ei_health_event(e, d, PW_EV_TAMPER, now, NAN);
        } else if (!s->strap_tampered) {
            d->tampered = 0;
        }
    }
    if ((s->set & PW_STATUS_PANIC_SET) && s->panic && d->role == ENG_ROLE_VICTIM) {
        /* The victim asks for help: every case that protects her opens an
         * incident, so the dispatcher sees both pins. */
        pw_event ev;
        ei_ev_init(&ev, PW_EV_PANIC, now);
        ev.device = d->id;
        ev.recipient = ENG_PARTY_MONITORING_CENTRE;
        ei_emit(e, &ev);
        for (uint32_t li = d->first_link; li != NONE_IDX; li = e->links[li].next)
            open_incident(e, &e->cases[e->links[li].case_idx], now, PW_EV_PANIC);
    }
    if ((s->set & PW_STATUS_POWER_SET) && s->powering_off && !d->off) {
        d->off = 1;
        ei_health_event(e, d, PW_EV_DEVICE_OFF, now, NAN);
    } else if ((s->set & PW_STATUS_POWER_SET) && !s->powering_off) {
        d->off = 0;
    }
    return ENG_OK;
}

static void rule_timer(eng_engine *e, eng_case *c, rule_state *r, pw_time_ms now,
                       eng_rule_kind kind, pw_id zone_id)
{
    if (r->pending_since != NEVER && now >= ei_rule_due(c, r))
        ei_rule_transition(e, c, r, now, kind, zone_id);
}

static void tick_devices(eng_engine *e, pw_time_ms now)
{
    e->next_health_deadline = NEVER;
    for (size_t i = 0; i < e->n_devices; i++) {
        eng_device *d = &e->devices[i];
        if (d->last_gnss_t != NEVER && !d->signal_lost) {
            pw_time_ms due = ei_gnss_due(e, d);
            if (now >= due) {
                d->signal_lost = 1;
                ei_health_event(e, d, PW_EV_SIGNAL_LOST, now, (double)(now - d->last_gnss_t) / 1000.0);
            } else {
                ei_health_deadline(e, due);
            }
        }
        if (d->last_comm != NEVER && !d->comm_lost) {
            pw_time_ms due = later(d->last_comm > e->resumed_at ? d->last_comm : e->resumed_at, d->no_comm_ms);
            if (now >= due) {
                d->comm_lost = 1;
                ei_health_event(e, d, PW_EV_COMM_LOST, now, (double)(now - d->last_comm) / 1000.0);
            } else {
                ei_health_deadline(e, due);
            }
        }
    }
}

/* When the case's next timer is due (NEVER when it has none). */
static pw_time_ms case_next_timer(const eng_case *c)
{
    pw_time_ms next = NEVER;
    if (c->reveal_open) {
        next = ei_reveal_cap_at(c);
        if (c->reveal_close_at < next)
            next = c->reveal_close_at;
    }
    for (uint32_t i = 0; i < 2 + c->n_zones; i++) {
        const rule_state *r = i == 0 ? &c->prox : i == 1 ? &c->prewarn : &c->zone[i - 2];
        if (r->pending_since != NEVER && ei_rule_due(c, r) < next)
            next = ei_rule_due(c, r);
    }
    return next;
}

/* Expiry comes before new alarms: a window whose cap falls in the same tick
 * as an alarm's dwell must be closed first, so that the alarm opens a new
 * one instead of finding the old one still open and then losing it. */
static void tick_case(eng_engine *e, eng_case *c, pw_time_ms now)
{
    if (c->reveal_open) {
        if (now >= ei_reveal_cap_at(c))
            ei_close_reveal(e, c, now, ENG_REVEAL_TIMEOUT);
        else if (now >= c->reveal_close_at)
            ei_close_reveal(e, c, now, ENG_REVEAL_GRACE_OVER);
    }
    rule_timer(e, c, &c->prox, now, ENG_RULE_PROXIMITY, 0);
    rule_timer(e, c, &c->prewarn, now, ENG_RULE_PREWARN, 0);
    for (uint32_t z = 0; z < c->n_zones; z++)
        rule_timer(e, c, &c->zone[z], now, ENG_RULE_ZONE, e->zones[c->zone_first + z].id);
}

/* Zone schedules take effect on the clock: each scheduled zone whose next
 * boundary has passed is judged now, then waits for its following one. */
static void tick_schedules(eng_engine *e, pw_time_ms now)
{
    e->next_schedule_deadline = NEVER;
    for (size_t i = 0; i < e->n_zones; i++) {
        eng_zone *z = &e->zones[i];
        if (z->next_change == NEVER)
            continue;
        if (z->next_change <= now) {
            eng_case *c = &e->cases[z->case_idx];
            ei_judge_zone(e, c, (uint32_t)(i - c->zone_first), now);
            z->next_change = eng_schedule_next_change(&z->schedule, now);
        }
        if (z->next_change < e->next_schedule_deadline)
            e->next_schedule_deadline = z->next_change;
    }
}

pw_time_ms eng_next_deadline(const eng_engine *e)
{
    pw_time_ms t = e->next_health_deadline;
    if (e->next_schedule_deadline < t)
        t = e->next_schedule_deadline;
    if (e->next_case_deadline < t)
        t = e->next_case_deadline;
    return t;
}

eng_status eng_tick(eng_engine *e, pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return ENG_EINVAL;
    if (now >= e->next_health_deadline)
        tick_devices(e, now);
    if (now >= e->next_schedule_deadline)
        tick_schedules(e, now);
    if (now < e->next_case_deadline)
        return ENG_OK;
    e->next_case_deadline = NEVER;
    for (size_t i = 0; i < e->n_timer_cases;) {
        eng_case *c = &e->cases[e->timer_cases[i]];
        tick_case(e, c, now);
        pw_time_ms next = case_next_timer(c);
        if (next == NEVER) {
            c->in_timer_set = 0;
            e->timer_cases[i] = e->timer_cases[--e->n_timer_cases];
            continue;
        }
        if (next < e->next_case_deadline)
            e->next_case_deadline = next;
        i++;
    }
    return ENG_OK;
}

eng_status eng_set_incident_numbering(eng_engine *e, pw_id (*fn)(void *ctx, pw_id case_id, pw_time_ms opened),
                                      void *ctx)
{
    if (!live(e))
        return ENG_EINVAL;
    e->number_incident = fn;
    e->number_ctx = fn ? ctx : NULL;
    return ENG_OK;
}

eng_status eng_resume(eng_engine *e, pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return ENG_EINVAL;
    if (now > e->resumed_at)
        e->resumed_at = now;
    e->next_health_deadline = INT64_MIN; /* every device's deadline moved: rescan */
    return ENG_OK;
}
