/*
 * eng_internal.h - the engine's private state and the functions its files
 * share.  Not a public header: callers use engine.h.  Functions shared
 * between the engine's files carry the prefix ei_ and are grouped below by
 * the file that defines them.  May include: engine.h, libc.
 */
#ifndef PW_ENG_INTERNAL_H
#define PW_ENG_INTERNAL_H

#include "engine.h"

#include <math.h>
#include <stdint.h>

#define NEVER INT64_MAX

#define NONE_IDX UINT32_MAX

/* t + d for d >= 0, saturating at NEVER: "no cap" may be written as a huge
 * duration without overflowing into the past. */
static inline pw_time_ms later(pw_time_ms t, pw_time_ms d)
{
    return d > NEVER - t ? NEVER : t + d;
}

/* Plain Euclidean length: glibc's hypot guards against overflow that local
 * metres cannot reach, at ten times the cost. */
static inline double len2d(double dx, double dy)
{
    return sqrt(dx * dx + dy * dy);
}

struct eng_link {
    uint32_t case_idx;
    uint32_t next; /* next link of the same device, NONE_IDX at the end */
};

struct eng_log_entry {
    pw_time_ms t;
    pw_id subject;
    double lat, lon, acc_m;
};

struct eng_zone {
    eng_zone_geom geom;                    /* local metres; its kind */
    eng_schedule schedule;
    pw_time_ms next_change;                /* scheduled zones: next boundary to judge */
    pw_id id;
    uint32_t case_idx;                     /* the case the zone belongs to */
};

struct eng_device {
    pw_id id;
    eng_role role;
    eng_track track;
    pw_time_ms last_gnss_t;    /* fix time of the newest GNSS fix (or of the
                                  first fix of any kind), NEVER = none yet */
    pw_time_ms last_comm;      /* engine time of the last message, NEVER = none */
    pw_time_ms woken_at;       /* a status said he started moving (INT64_MIN: none) */
    /* candidate track while fixes are being rejected (re-acquisition) */
    pw_time_ms cand_t, cand_since; /* newest candidate, first of the run */
    uint8_t cand_rest;         /* every fix of the run says at rest, at one place */
    double cand_x, cand_y, cand_sigma;
    double cand_vx, cand_vy;
    int cand_run;
    double fix_speed_mps, fix_heading_deg; /* as the last fix reported, NAN when not */
    uint32_t first_link;
    uint32_t hint_case, hint_partner; /* its first case and the other device of it:
                                         fetched early while the fix is gated */
    uint32_t pursuit_refs;     /* alarms and uncertain cases asking for pursuit */
    pw_time_ms no_fix_ms, no_fix_rest_ms, no_comm_ms; /* health timeouts of this device */
    uint8_t signal_lost, comm_lost, tampered, battery_low, off, stale;
};

typedef struct rule_state {
    uint8_t active;
    pw_time_ms pending_since;   /* NEVER = no pending transition: a countdown
                                   to the other state runs from here */
    double last_p;
} rule_state;

struct eng_case {
    pw_id id;
    uint32_t off_idx, vic_idx;
    double alarm_radius_m, prewarn_radius_m, enter_margin_m, leave_margin_m;
    double p_open, p_close;
    pw_time_ms dwell_open_ms, dwell_close_ms, grace_ms, reveal_max_ms;
    uint32_t zone_first, n_zones;
    rule_state prox, prewarn, zone[ENG_MAX_CASE_ZONES];
    uint32_t active_alarms;
    uint8_t in_timer_set;       /* listed in eng_engine.timer_cases */
    uint8_t uncertain;          /* proximity undecidable and plausibly inside */
    /* the victim's reveal window */
    uint8_t reveal_open;
    pw_time_ms reveal_opened_at, reveal_close_at; /* close_at NEVER while an alarm holds */
    /* the open incident */
    pw_id incident;
    pw_time_ms incident_opened_at;
    size_t log_n, log_head;
    uint64_t log_total;         /* positions logged; sum_* sums them all */
    double min_distance_m, sum_lat, sum_lon;
};

static inline int time_ok(pw_time_ms t)
{
    return t >= 0 && t <= ENG_TIME_MAX;
}

/* Is the engine initialised and not closed?  A failed eng_init and eng_close
 * leave the struct zeroed, so every entry point can refuse it. */
static inline int live(const eng_engine *e)
{
    return e && e->devices;
}

static inline eng_device *case_offender(const eng_engine *e, const eng_case *c)
{
    return &e->devices[c->off_idx];
}

static inline eng_device *case_victim(const eng_engine *e, const eng_case *c)
{
    return &e->devices[c->vic_idx];
}

/* When a running countdown (pending_since) turns rule r: after the close
 * dwell for an active rule, the open dwell for an idle one. */
static inline pw_time_ms ei_rule_due(const eng_case *c, const rule_state *r)
{
    return later(r->pending_since, r->active ? c->dwell_close_ms : c->dwell_open_ms);
}

/* When the open reveal window reaches its cap. */
static inline pw_time_ms ei_reveal_cap_at(const eng_case *c)
{
    return later(c->reveal_opened_at, c->reveal_max_ms);
}

/* engine.c */
eng_device *ei_find_device(const eng_engine *e, pw_id id);
eng_case *ei_find_incident(const eng_engine *e, pw_id incident);
void ei_wipe(void *p, size_t n);

/* access.c */
void ei_incident_summary_reset(eng_case *c);
void ei_case_event(const eng_engine *e, const eng_case *c, pw_event *ev, pw_event_type type,
                   pw_time_ms now, int both_pins);
void ei_device_state(const eng_engine *e, const eng_device *d, pw_time_ms t, eng_track *out);
int ei_disclose(eng_engine *e, eng_case *c, const pw_event *ev, eng_party to, pw_id to_id);
void ei_emit(eng_engine *e, const pw_event *ev);
void ei_ev_init(pw_event *ev, pw_event_type type, pw_time_ms now);

/* lifecycle.c */
void ei_case_deadline(eng_engine *e, eng_case *c, pw_time_ms t);
void ei_close_reveal(eng_engine *e, eng_case *c, pw_time_ms now, eng_reveal_close_reason why);
void ei_contact(eng_engine *e, eng_device *d, pw_time_ms now);
void ei_health_deadline(eng_engine *e, pw_time_ms t);
void ei_health_event(eng_engine *e, eng_device *d, pw_event_type type, pw_time_ms now,
                     double value);
void ei_position_updates(eng_engine *e, eng_case *c, pw_time_ms now, int to_victim, int to_dispatch);
void ei_rule_transition(eng_engine *e, eng_case *c, rule_state *r, pw_time_ms now,
                        eng_rule_kind kind, pw_id zone_id);
void ei_set_uncertain(eng_engine *e, eng_case *c, int on, pw_time_ms now, double p);

/* rules.c */
void ei_evaluate_case(eng_engine *e, eng_case *c, const eng_device *moved, pw_time_ms now);
void ei_judge_zone(eng_engine *e, eng_case *c, uint32_t i, pw_time_ms now);
double ei_zone_probability(const eng_zone *z, const eng_track *s, double margin_m);

/* gate.c */
pw_time_ms ei_gnss_due(const eng_engine *e, const eng_device *d);

#endif /* PW_ENG_INTERNAL_H */
