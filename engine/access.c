/*
 * access.c - disclosure, audit and purge: the events that carry positions,
 * the one access rule every shown position passes (per case), the audit
 * record of each, the incident's precise log and its purge on close.
 */
#include "eng_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void ei_ev_init(pw_event *ev, pw_event_type type, pw_time_ms now)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->time = now;
    ev->lat = ev->lon = ev->acc_m = ev->heading_deg = ev->speed_mps = NAN;
    ev->victim_lat = ev->victim_lon = ev->victim_acc_m = NAN;
    ev->probability = ev->distance_m = ev->value = NAN;
}

void ei_emit(eng_engine *e, const pw_event *ev)
{
    e->counters.events[ev->type]++;
    e->sink(e->sink_ctx, ev);
}

/* Estimate of a device at time t (never earlier than its own state). */
void ei_device_state(const eng_engine *e, const eng_device *d, pw_time_ms t, eng_track *out)
{
    if (t > d->track.t)
        eng_track_predict(&d->track, &e->cfg.filter, t, out);
    else
        *out = d->track;
}

static void fill_position(const eng_engine *e, const eng_device *d, pw_time_ms t,
                          double *lat, double *lon, double *acc68)
{
    eng_track s;
    ei_device_state(e, d, t, &s);
    eng_geo_to_wgs84(&e->frame, s.x, s.y, lat, lon);
    *acc68 = ENG_ACC68_PER_SIGMA * eng_track_sigma_m(&s);
}

/* An incident's position log and the summary kept of it, empty. */
void ei_incident_summary_reset(eng_case *c)
{
    c->log_n = c->log_head = 0;
    c->log_total = 0;
    c->sum_lat = c->sum_lon = 0.0;
    c->min_distance_m = INFINITY;
}

static void log_position(eng_engine *e, eng_case *c, pw_time_ms t, pw_id subject,
                         double lat, double lon, double acc)
{
    size_t cap = e->cfg.incident_log_cap;
    c->log_total++;
    c->sum_lat += lat;
    c->sum_lon += lon;
    if (cap == 0)
        return;
    eng_log_entry *ring = &e->incident_log[(size_t)(c - e->cases) * cap];
    eng_log_entry *le = &ring[c->log_head];
    le->t = t;
    le->subject = subject;
    le->lat = lat;
    le->lon = lon;
    le->acc_m = acc;
    c->log_head = (c->log_head + 1) % cap;
    if (c->log_n < cap)
        c->log_n++;
}

static void audit(eng_engine *e, eng_case *c, const pw_event *ev, eng_party to, pw_id to_id,
                  pw_id subject, double lat, double lon, double acc)
{
    pw_event a;
    ei_ev_init(&a, PW_EV_DISCLOSURE, ev->time);
    a.case_id = ev->case_id;
    a.incident = ev->incident;
    a.device = a.subject = subject;
    a.recipient = to;
    a.recipient_id = to_id;
    a.reason = ev->type;
    a.rule = ev->rule;
    a.zone_id = ev->zone_id;
    a.lat = lat;
    a.lon = lon;
    a.acc_m = acc;
    ei_emit(e, &a);
    if (c->incident && to != ENG_PARTY_MONITORING_CENTRE)
        log_position(e, c, a.time, subject, lat, lon, acc);
}

/*
 * The access rule, for one case: may `to` see the position of `subject`
 * at t because of case c?  The victim: only her case's offender, while that
 * case's reveal window is open (its own end times too, not just its flag, so
 * the rule holds for a caller that ticks late, and never before it opened).
 * The dispatcher and case officer: both devices of the case while its
 * incident is open.  The monitoring centre: the offender tag always, the
 * victim while an incident of the case is open.
 */
static int case_allows(const eng_engine *e, const eng_case *c, eng_party to, pw_id to_id,
                       const eng_device *subject, pw_time_ms t)
{
    int is_offender = case_offender(e, c) == subject;
    if (!is_offender && case_victim(e, c) != subject)
        return 0;
    int incident_open = c->incident && t >= c->incident_opened_at;
    switch (to) {
    case ENG_PARTY_VICTIM:
        return is_offender && c->reveal_open && case_victim(e, c)->id == to_id &&
               t >= c->reveal_opened_at && t < c->reveal_close_at &&
               t < ei_reveal_cap_at(c);
    case ENG_PARTY_DISPATCHER:
    case ENG_PARTY_CASE_OFFICER:
        return incident_open;
    case ENG_PARTY_MONITORING_CENTRE:
        return is_offender || incident_open;
    default:
        return 0;
    }
}

/*
 * Show `ev` to a party: the offender pin (lat/lon) and, when present, the
 * victim pin (victim_lat/lon).  Every position the engine hands out passes
 * here: the access rule of this very case is checked for each pin (a window
 * of another case of the same pair allows nothing here), an event that
 * would show a pin the party may not see is withheld whole (and counted),
 * and each pin shown is written as its own audit record under this case.
 */
int ei_disclose(eng_engine *e, eng_case *c, const pw_event *ev, eng_party to, pw_id to_id)
{
    const eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    int has_off = isfinite(ev->lat), has_vic = isfinite(ev->victim_lat);
    if ((has_off && !case_allows(e, c, to, to_id, off, ev->time)) ||
        (has_vic && !case_allows(e, c, to, to_id, vic, ev->time))) {
        e->counters.disclosures_withheld++;
        return 0;
    }
    ei_emit(e, ev);
    if (has_off)
        audit(e, c, ev, to, to_id, off->id, ev->lat, ev->lon, ev->acc_m);
    if (has_vic)
        audit(e, c, ev, to, to_id, vic->id, ev->victim_lat, ev->victim_lon, ev->victim_acc_m);
    return 1;
}

/* An event about case c carrying the offender's position (and the victim's,
 * when both_pins). */
void ei_case_event(const eng_engine *e, const eng_case *c, pw_event *ev, pw_event_type type,
                   pw_time_ms now, int both_pins)
{
    const eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    ei_ev_init(ev, type, now);
    ev->case_id = c->id;
    ev->device = off->id;
    ev->incident = c->incident;
    if (off->track.initialised) {
        fill_position(e, off, now, &ev->lat, &ev->lon, &ev->acc_m);
        /* The receiver's own course and speed when it gave them, else the
         * filter's; computed here, not per fix, since few fixes become events. */
        ev->heading_deg = isfinite(off->fix_heading_deg) ? off->fix_heading_deg
                                                         : eng_geo_bearing_deg(off->track.vx, off->track.vy);
        ev->speed_mps = isfinite(off->fix_speed_mps) ? off->fix_speed_mps
                                                     : len2d(off->track.vx, off->track.vy);
    }
    if (both_pins && vic->track.initialised)
        fill_position(e, vic, now, &ev->victim_lat, &ev->victim_lon, &ev->victim_acc_m);
    if (off->track.initialised && vic->track.initialised) {
        eng_track a, b;
        pw_time_ms t = off->track.t > vic->track.t ? off->track.t : vic->track.t;
        ei_device_state(e, off, t, &a);
        ei_device_state(e, vic, t, &b);
        ev->distance_m = len2d(a.x - b.x, a.y - b.y);
    }
}

/* An incident's acknowledgement or closing, told to the case officer. */
static void officer_event(eng_engine *e, const eng_case *c, pw_event_type type, pw_id incident, pw_id officer,
                          pw_time_ms now)
{
    pw_event ev;
    ei_ev_init(&ev, type, now);
    ev.case_id = c->id;
    ev.incident = incident;
    ev.recipient = ENG_PARTY_CASE_OFFICER;
    ev.recipient_id = officer;
    ei_emit(e, &ev);
}

eng_status eng_incident_ack(eng_engine *e, pw_id incident, pw_id officer, pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return ENG_EINVAL;
    eng_case *c = ei_find_incident(e, incident);
    if (!c)
        return ENG_ENOENT;
    officer_event(e, c, PW_EV_INCIDENT_ACK, incident, officer, now);
    return ENG_OK;
}

static double snap(double v, double step)
{
    return floor(v / step) * step + 0.5 * step;
}

eng_status eng_incident_close(eng_engine *e, pw_id incident, pw_id officer, pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return ENG_EINVAL;
    eng_case *c = ei_find_incident(e, incident);
    if (!c)
        return ENG_ENOENT;
    /* Alarms still open end with the incident; if the danger persists, the
     * next fix opens a new alarm and a new incident. */
    if (c->prox.active)
        ei_rule_transition(e, c, &c->prox, now, ENG_RULE_PROXIMITY, 0);
    for (uint32_t z = 0; z < c->n_zones; z++)
        if (c->zone[z].active)
            ei_rule_transition(e, c, &c->zone[z], now, ENG_RULE_ZONE, e->zones[c->zone_first + z].id);
    ei_close_reveal(e, c, now, ENG_REVEAL_INCIDENT_CLOSED);

    officer_event(e, c, PW_EV_INCIDENT_CLOSE, incident, officer, now);

    /* Retention: a coarse summary survives, the precise records do not. */
    pw_event pg;
    ei_ev_init(&pg, PW_EV_INCIDENT_PURGED, now);
    pg.case_id = c->id;
    pg.incident = incident;
    pg.value = (double)c->log_total;
    const eng_retention *rt = &e->cfg.retention;
    if (rt->coarse_grid_m > 0.0 && c->log_total > 0) {
        double x, y;
        eng_geo_to_local(&e->frame, c->sum_lat / (double)c->log_total,
                         c->sum_lon / (double)c->log_total, &x, &y);
        eng_geo_to_wgs84(&e->frame, snap(x, rt->coarse_grid_m), snap(y, rt->coarse_grid_m),
                         &pg.lat, &pg.lon);
        pg.acc_m = rt->coarse_grid_m;
    }
    if (rt->distance_step_m > 0.0 && isfinite(c->min_distance_m))
        pg.distance_m = ceil(c->min_distance_m / rt->distance_step_m) * rt->distance_step_m;
    size_t cap = e->cfg.incident_log_cap;
    if (cap)
        ei_wipe(&e->incident_log[(size_t)(c - e->cases) * cap], cap * sizeof(eng_log_entry));
    ei_incident_summary_reset(c);
    c->incident = 0;
    ei_emit(e, &pg);
    return ENG_OK;
}

int eng_may_disclose(const eng_engine *e, eng_party recipient, pw_id recipient_id, pw_id subject,
                     pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return 0;
    const eng_device *s = ei_find_device(e, subject);
    if (!s)
        return 0;
    for (uint32_t li = s->first_link; li != NONE_IDX; li = e->links[li].next)
        if (case_allows(e, &e->cases[e->links[li].case_idx], recipient, recipient_id, s, now))
            return 1;
    return 0;
}
