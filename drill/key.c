/*
 * key.c - a variant's timeline and its answer key, both from the engine's
 * events (drill.h lists the rules), the run's truth (which alerts were
 * false, run.geojson) and the patrols' paths and states (truth.csv,
 * incidents.csv).
 */
#include "drl_internal.h"
#include "pw_grow.h"
#include "sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const action_names[DRL_ACTION_COUNT] = {"dispatch", "call_victim", "escalate"};

const char *drl_action_name(drl_action_kind k)
{
    return k >= 0 && k < DRL_ACTION_COUNT ? action_names[k] : "?";
}

int drl_action_parse(const char *name)
{
    for (int k = 0; name && k < DRL_ACTION_COUNT; k++)
        if (strcmp(name, action_names[k]) == 0)
            return k;
    return -1;
}

const char *drl_cause_why(const char *cause)
{
    static const struct {
        const char *cause, *why;
    } whys[] = {
        {"urban_canyon", "multipath between tall buildings pulled his fixes towards her; the accuracy he claimed "
                         "was too small"},
        {"noise_jump", "one noisy fix jumped inside the radius"},
        {"tunnel_exit", "the first fixes after a tunnel were still far off"},
        {"cell_fallback", "a coarse cell position put him inside"},
        {"device_fault", "the device was faulty (its reports were stored and late)"},
    };
    for (size_t i = 0; i < sizeof whys / sizeof *whys; i++)
        if (!strcmp(cause, whys[i].cause))
            return whys[i].why;
    return "no true breach was near it";
}

void drl_target_text(long long incident, int case_id, char *buf, size_t n)
{
    if (incident)
        snprintf(buf, n, "incident #%lld", incident);
    else if (case_id)
        snprintf(buf, n, "case %d", case_id);
    else
        snprintf(buf, n, "the centre");
}

const char *drl_actor_name(const scn_scenario *s, pw_id device)
{
    for (size_t a = 0; a < s->n_actors; a++)
        if (s->actors[a].id == device)
            return s->actors[a].name;
    return "?";
}

static const scn_case *find_case(const scn_scenario *s, int case_id)
{
    for (size_t i = 0; i < s->n_cases; i++)
        if ((int)s->cases[i].def.id == case_id)
            return &s->cases[i];
    return NULL;
}

/* ---- the timeline ---------------------------------------------------- */

static drl_entry *add_entry(drl_variant *v, pw_time_ms t, const char *what, int case_id, long long incident,
                            int inject, const char *fmt, ...)
{
    if (pw_grow((void **)&v->timeline, &v->cap_timeline, v->n_timeline + 1, sizeof *v->timeline) != 0)
        return NULL;
    drl_entry *e = &v->timeline[v->n_timeline++];
    memset(e, 0, sizeof *e);
    e->t = t;
    snprintf(e->what, sizeof e->what, "%s", what);
    e->case_id = case_id;
    e->incident = incident;
    e->inject = inject;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof e->text, fmt, ap);
    va_end(ap);
    return e;
}

/* One event in words, or 0 when the timeline leaves it out. */
static int event_text(const drl_variant *v, const drl_event *de, char *buf, size_t n)
{
    const pw_event *e = &de->ev;
    const scn_scenario *s = &v->s;
    const char *who = drl_actor_name(s, e->device);
    switch (e->type) {
    case PW_EV_PREWARN_OPEN:
        return snprintf(buf, n, "Pre-warning, case %u: %s %.0f m from his victim", e->case_id, who, e->distance_m), 1;
    case PW_EV_ALARM_OPEN:
        return snprintf(buf, n, "Alarm, case %u: %s %.0f m from his victim (%s rule)", e->case_id, who,
                        e->distance_m, e->rule == ENG_RULE_ZONE ? "zone" : "proximity"), 1;
    case PW_EV_ALARM_CLOSE:
        return snprintf(buf, n, "Alarm closed, case %u", e->case_id), 1;
    case PW_EV_INCIDENT_OPEN:
        return snprintf(buf, n, "Incident #%u opened for case %u (%s)", e->incident, e->case_id,
                        e->reason ? pw_event_name((pw_event_type)e->reason) : "none"), 1;
    case PW_EV_INCIDENT_CLOSE:
        return snprintf(buf, n, "Incident #%u closed", e->incident), 1;
    case PW_EV_TAMPER:
        if (isfinite(de->near_m))
            return snprintf(buf, n, "Strap tamper: %s, %.0f m from his victim by the newest fixes", who, de->near_m), 1;
        return snprintf(buf, n, "Strap tamper: %s", who), 1;
    case PW_EV_SIGNAL_LOST:
        return snprintf(buf, n, "Signal lost: %s (no GNSS fix for %.0f s)", who, e->value), 1;
    case PW_EV_SIGNAL_RESTORED:
        return snprintf(buf, n, "Signal restored: %s", who), 1;
    case PW_EV_COMM_LOST:
        return snprintf(buf, n, "Contact lost: %s (no message for %.0f s)", who, e->value), 1;
    case PW_EV_COMM_RESTORED:
        return snprintf(buf, n, "Contact restored: %s", who), 1;
    case PW_EV_BATTERY_LOW:
        return snprintf(buf, n, "Battery low: %s (%.0f %%)", who, e->value), 1;
    case PW_EV_DEVICE_OFF:
        return snprintf(buf, n, "Device off: %s", who), 1;
    case PW_EV_ESCALATION: /* as the console words it: not the action it asks for */
        if (e->reason == PW_EV_TAMPER)
            return snprintf(buf, n, "Fault near the victim, case %u: tamper", e->case_id), 1;
        return snprintf(buf, n, "Fault near the victim, case %u: %s, %.0f m from her", e->case_id,
                        e->reason ? pw_event_name((pw_event_type)e->reason) : "fault", e->distance_m), 1;
    case PW_EV_PANIC:
        return snprintf(buf, n, "Panic button: %s (case %u)", who, e->case_id), 1;
    case PW_EV_UNCERTAIN_OPEN:
        return snprintf(buf, n, "Proximity undecidable, case %u: %s may be inside (P = %.2f)", e->case_id, who,
                        e->probability), 1;
    case PW_EV_REVEAL_OPEN:
        return snprintf(buf, n, "The victim of case %u sees the offender's position", e->case_id), 1;
    case PW_EV_REVEAL_CLOSE:
        return snprintf(buf, n, "The victim of case %u no longer sees his position", e->case_id), 1;
    default:
        return 0;
    }
}

static int entry_cmp(const void *a, const void *b)
{
    const drl_entry *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return 0;
}

/* qsort is not stable: sort (time, then the order added) through an index. */
typedef struct keyed {
    drl_entry e;
    size_t order;
} keyed;

static int keyed_cmp(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    int c = entry_cmp(&x->e, &y->e);
    if (c)
        return c;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int build_timeline(drl_variant *v)
{
    const scn_scenario *s = &v->s;
    char text[200];
    for (size_t i = 0; i < s->n_injects; i++) {
        const scn_inject *in = &s->injects[i];
        if (!add_entry(v, v->shown[i], "inject", 0, 0, (int)i, "Inject: %s (%s)", in->name, scn_inject_name(in->kind)))
            return DRL_ENOMEM;
        if (in->kind == SCN_INJ_OUTAGE && !add_entry(v, in->until, "outage_end", 0, 0, -1, "The monitoring centre is back up"))
            return DRL_ENOMEM;
    }
    for (size_t i = 0; i < v->n_events; i++)
        if (event_text(v, &v->events[i], text, sizeof text) &&
            !add_entry(v, v->events[i].ev.time, pw_event_name(v->events[i].ev.type), (int)v->events[i].ev.case_id,
                       v->events[i].ev.incident, -1, "%s", text))
            return DRL_ENOMEM;
    for (size_t i = 0; i < s->n_calls; i++) {
        const scn_call *c = &s->calls[i];
        long long id = SIM_CALL_INCIDENT_BASE + (long long)i + 1;
        if (!add_entry(v, c->at, "call", 0, id, -1, "112 call #%lld: %s", id, c->what))
            return DRL_ENOMEM;
    }
    for (size_t i = 0; i < v->run.n_incidents; i++) {
        const struct rnd_incident *in = &v->run.incidents[i];
        if (!in->patrol)
            continue;
        const char *name = drl_actor_name(s, in->patrol);
        if (in->dispatched != INT64_MAX &&
            !add_entry(v, in->dispatched, "dispatched", in->case_id, in->id, -1, "Patrol %s sent to incident #%lld",
                       name, in->id))
            return DRL_ENOMEM;
        if (in->on_scene != INT64_MAX && in->on_scene <= v->run.end &&
            !add_entry(v, in->on_scene, "on_scene", in->case_id, in->id, -1, "Patrol %s on scene at incident #%lld",
                       name, in->id))
            return DRL_ENOMEM;
    }
    keyed *tmp = malloc((v->n_timeline ? v->n_timeline : 1) * sizeof *tmp);
    if (!tmp)
        return DRL_ENOMEM;
    for (size_t i = 0; i < v->n_timeline; i++)
        tmp[i] = (keyed){v->timeline[i], i};
    qsort(tmp, v->n_timeline, sizeof *tmp, keyed_cmp);
    for (size_t i = 0; i < v->n_timeline; i++)
        v->timeline[i] = tmp[i].e;
    free(tmp);
    return 0;
}

/* ---- the key ----------------------------------------------------------- */

static drl_action *add_action(drl_variant *v, drl_action_kind kind, int case_id, long long incident, pw_time_ms from,
                              pw_time_ms deadline_ms)
{
    if (pw_grow((void **)&v->actions, &v->cap_actions, v->n_actions + 1, sizeof *v->actions) != 0)
        return NULL;
    drl_action *a = &v->actions[v->n_actions++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->case_id = case_id;
    a->incident = incident;
    a->from = from;
    a->due = from + deadline_ms;
    return a;
}

/* The alert episode an alarm incident opened with (NULL unknown). */
static const rnd_alert *incident_alert(const drl_variant *v, int case_id, pw_time_ms t)
{
    const rnd_alert *best = NULL;
    for (size_t i = 0; i < v->run.n_alerts; i++) {
        const rnd_alert *a = &v->run.alerts[i];
        if (a->case_id != case_id || a->start > t + 1000)
            continue;
        if (!best || a->start > best->start)
            best = a;
    }
    return best;
}

/* The patrols when the dispatcher acts on a->incident (it opened at t),
 * their straight distances to (lat, lon), and the nearest free one into
 * a->patrol. */
static void patrol_options(const drl_variant *v, drl_action *a, pw_time_ms t, double lat, double lon)
{
    const scn_scenario *s = &v->s;
    eng_frame fr;
    if (!isfinite(lat) || eng_frame_init(&fr, lat, lon) != ENG_OK)
        return;
    /* When the dispatcher acts: the desk, taking each call for the 60 s
     * the key allows, sent its patrol then (or later, when none was free
     * or the desk was busy); the patrols' places and states at that moment. */
    for (size_t i = 0; i < v->run.n_incidents; i++)
        if (v->run.incidents[i].id == a->incident && v->run.incidents[i].dispatched != INT64_MAX)
            t = v->run.incidents[i].dispatched;
    a->patrols_at = t;
    double best = INFINITY;
    for (size_t i = 0; i < s->n_actors && a->n_patrols < DRL_MAX_PATROLS; i++) {
        if (s->actors[i].role != SCN_PATROL)
            continue;
        rnd_ll at;
        if (!rnd_patrol_at(&v->feed, s->actors[i].id, t, &at))
            continue;
        long long inc;
        drl_patrol_option *p = &a->patrols[a->n_patrols++];
        snprintf(p->name, sizeof p->name, "%s", s->actors[i].name);
        double x, y;
        eng_geo_to_local(&fr, at.lat, at.lon, &x, &y);
        p->distance_m = hypot(x, y);
        /* free, or just sent to this very incident */
        p->free = rnd_patrol_state(&v->run, s->actors[i].id, t, &inc) == RND_PATROL_FREE || inc == a->incident;
        if (p->free && p->distance_m < best) {
            best = p->distance_m;
            snprintf(a->patrol, sizeof a->patrol, "%s", p->name);
        }
    }
}

/* When the desk could send no one at the deadline (every patrol busy, or
 * the desk on another call), the book's answer is to send the first one
 * freed: the deadline is when the desk did. */
static void late_desk(drl_action *a)
{
    if (a->patrols_at > a->due)
        a->due = a->patrols_at;
}

static int incident_actions(drl_variant *v, const drl_event *de)
{
    const pw_event *e = &de->ev;
    int case_id = (int)e->case_id;
    drl_action *a;
    int is_false = 0;
    char cause[24] = "";
    if (e->reason == PW_EV_ALARM_OPEN) {
        const rnd_alert *al = incident_alert(v, case_id, e->time);
        if (al && !al->is_true) {
            is_false = 1;
            snprintf(cause, sizeof cause, "%s", al->cause);
        }
    }
    if (!is_false) {
        if (!(a = add_action(v, DRL_DISPATCH, case_id, e->incident, e->time, DRL_DISPATCH_DEADLINE_MS)))
            return DRL_ENOMEM;
        double lat = isfinite(e->victim_lat) ? e->victim_lat : e->lat;
        double lon = isfinite(e->victim_lat) ? e->victim_lon : e->lon;
        patrol_options(v, a, e->time, lat, lon);
        late_desk(a);
        snprintf(a->rule, sizeof a->rule, "dispatch the nearest free patrol within 60 s of an incident "
                                          "(NFPA 1225: 60 s for 90 %% of calls)");
        snprintf(a->because, sizeof a->because, "incident #%u opened (%s)", e->incident,
                 pw_event_name((pw_event_type)e->reason));
    } else {
        if (!(a = add_action(v, DRL_CALL_VICTIM, case_id, e->incident, e->time, DRL_DISPATCH_DEADLINE_MS)))
            return DRL_ENOMEM;
        a->is_false = 1;
        snprintf(a->rule, sizeof a->rule, "an alarm the track does not bear out: call the victim within 60 s "
                                          "before sending a patrol");
        snprintf(a->because, sizeof a->because, "incident #%u opened by a false alarm (%s)", e->incident, cause);
    }
    return 0;
}

/* The incident an event of case_id at index i belongs to: its own, one
 * the engine opens for the case at the same moment, or the case's open
 * one (open[] tracks them); 0 when none. */
static long long incident_for(const drl_variant *v, size_t i, const long long *open, size_t n_cases)
{
    const pw_event *e = &v->events[i].ev;
    if (e->incident)
        return e->incident;
    for (size_t j = i + 1; j < v->n_events && v->events[j].ev.time == e->time; j++)
        if (v->events[j].ev.type == PW_EV_INCIDENT_OPEN && v->events[j].ev.case_id == e->case_id)
            return v->events[j].ev.incident;
    for (size_t c = 0; c < n_cases; c++)
        if (v->s.cases[c].def.id == e->case_id)
            return open[c];
    return 0;
}

/* An escalation of this incident is in the key already, for this fault or
 * within a minute of t (one escalation covers faults that come together). */
static int has_escalate(const drl_variant *v, long long incident, int reason, pw_time_ms t)
{
    for (size_t i = 0; incident && i < v->n_actions; i++)
        if (v->actions[i].kind == DRL_ESCALATE && v->actions[i].incident == incident &&
            (v->actions[i].reason == reason || t - v->actions[i].from < DRL_ESCALATE_DEADLINE_MS))
            return 1;
    return 0;
}

/* The key's action of this kind for this incident, or NULL. */
static const drl_action *find_action(const drl_variant *v, drl_action_kind kind, long long incident)
{
    for (size_t i = 0; incident && i < v->n_actions; i++)
        if (v->actions[i].kind == kind && v->actions[i].incident == incident)
            return &v->actions[i];
    return NULL;
}

/* A panic or a device fault while the case's incident is a false alarm:
 * it is real now; dispatch (the desk does, sim_dispatch_world.by_phone). */
static int no_longer_false(drl_variant *v, const pw_event *e, long long inc)
{
    const drl_action *check = find_action(v, DRL_CALL_VICTIM, inc);
    if (!check || !check->is_false || find_action(v, DRL_DISPATCH, inc))
        return 0;
    drl_action *a = add_action(v, DRL_DISPATCH, (int)e->case_id, inc, e->time, DRL_DISPATCH_DEADLINE_MS);
    if (!a)
        return DRL_ENOMEM;
    double lat = e->type == PW_EV_ESCALATION && isfinite(e->victim_lat) ? e->victim_lat : NAN;
    double lon = e->type == PW_EV_ESCALATION && isfinite(e->victim_lat) ? e->victim_lon : NAN;
    if (!isfinite(lat)) /* her newest pin the dispatcher has: the incident's */
        for (size_t i = 0; i < v->n_events; i++)
            if ((v->events[i].ev.type == PW_EV_INCIDENT_OPEN) && v->events[i].ev.incident == (pw_id)inc &&
                isfinite(v->events[i].ev.victim_lat)) {
                lat = v->events[i].ev.victim_lat;
                lon = v->events[i].ev.victim_lon;
            }
    patrol_options(v, a, e->time, lat, lon);
    late_desk(a);
    snprintf(a->rule, sizeof a->rule, "a panic or a device fault during a false alarm makes it real: dispatch "
                                      "the nearest free patrol within 60 s");
    snprintf(a->because, sizeof a->because, "%s during false alarm #%lld",
             e->type == PW_EV_PANIC ? "her panic button" : "an escalation", inc);
    return 0;
}

static int time_cmp(const void *a, const void *b)
{
    pw_time_ms x = *(const pw_time_ms *)a, y = *(const pw_time_ms *)b;
    return x < y ? -1 : x > y;
}

/* The trainee's pages: each inject as it shows and each expected action as
 * it becomes due to start (an incident opens, a tamper near her, an
 * escalation), and each pre-warning, which asks for nothing but watching
 * (so that not every page asks for an action); those within
 * DRL_PAGE_MERGE_MS of an earlier one on its page. */
static int build_moments(drl_variant *v)
{
    size_t n = 0;
    v->moments = malloc((v->s.n_injects + v->n_actions + v->n_events + 1) * sizeof *v->moments);
    if (!v->moments)
        return DRL_ENOMEM;
    for (size_t i = 0; i < v->s.n_injects; i++)
        v->moments[n++] = v->shown[i];
    for (size_t i = 0; i < v->n_actions; i++)
        v->moments[n++] = v->actions[i].from;
    for (size_t i = 0; i < v->n_events; i++)
        if (v->events[i].ev.type == PW_EV_PREWARN_OPEN)
            v->moments[n++] = v->events[i].ev.time;
    qsort(v->moments, n, sizeof *v->moments, time_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v->moments[i] - v->moments[k - 1] > DRL_PAGE_MERGE_MS)
            v->moments[k++] = v->moments[i];
    v->n_moments = k;
    return 0;
}

static int action_cmp(const void *a, const void *b)
{
    const drl_action *x = a, *y = b;
    if (x->from != y->from)
        return x->from < y->from ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind < y->kind ? -1 : 1;
    if (x->case_id != y->case_id)
        return x->case_id < y->case_id ? -1 : 1;
    return x->incident < y->incident ? -1 : x->incident > y->incident;
}

int drl_build_key(drl_variant *v)
{
    const scn_scenario *s = &v->s;
    long long *open = calloc(s->n_cases ? s->n_cases : 1, sizeof *open); /* per case: its open incident */
    if (!open)
        return DRL_ENOMEM;
    for (size_t i = 0; i < v->n_events; i++) {
        const drl_event *de = &v->events[i];
        const pw_event *e = &de->ev;
        for (size_t c = 0; c < s->n_cases && (e->type == PW_EV_INCIDENT_OPEN || e->type == PW_EV_INCIDENT_CLOSE); c++)
            if (s->cases[c].def.id == e->case_id)
                open[c] = e->type == PW_EV_INCIDENT_OPEN ? (long long)e->incident : 0;
        if (e->type == PW_EV_INCIDENT_OPEN) {
            int rc = incident_actions(v, de);
            if (rc) {
                free(open);
                return rc;
            }
        } else if (e->type == PW_EV_PANIC && e->case_id) {
            long long inc = incident_for(v, i, open, s->n_cases);
            drl_action *a = NULL;
            if (no_longer_false(v, e, inc) != 0 ||
                !(a = add_action(v, DRL_CALL_VICTIM, (int)e->case_id, inc, e->time, DRL_CALL_DEADLINE_MS))) {
                free(open);
                return DRL_ENOMEM;
            }
            snprintf(a->rule, sizeof a->rule, "call the victim back within 30 s of her panic button");
            snprintf(a->because, sizeof a->because, "the victim of case %u pressed her panic button", e->case_id);
        } else if (e->type == PW_EV_ESCALATION && e->case_id) {
            long long inc = incident_for(v, i, open, s->n_cases);
            if (no_longer_false(v, e, inc) != 0) {
                free(open);
                return DRL_ENOMEM;
            }
            if (has_escalate(v, inc, e->reason, e->time))
                continue; /* once an incident and a fault, faults together once */
            drl_action *a = add_action(v, DRL_ESCALATE, (int)e->case_id, inc, e->time, DRL_ESCALATE_DEADLINE_MS);
            if (!a) {
                free(open);
                return DRL_ENOMEM;
            }
            a->reason = e->reason;
            snprintf(a->rule, sizeof a->rule, "escalate a device fault near the victim within 60 s: treat it as a risk");
            snprintf(a->because, sizeof a->because, "the engine escalated case %u: %s %.0f m from her", e->case_id,
                     e->reason ? pw_event_name((pw_event_type)e->reason) : "a fault", e->distance_m);
        } else if (e->type == PW_EV_TAMPER && isfinite(de->near_m)) {
            const scn_case *k = find_case(s, (int)e->case_id);
            if (!k || de->near_m > k->def.prewarn_radius_m)
                continue;
            drl_action *a = add_action(v, DRL_CALL_VICTIM, (int)e->case_id, 0, e->time, DRL_CALL_DEADLINE_MS);
            if (!a) {
                free(open);
                return DRL_ENOMEM;
            }
            snprintf(a->rule, sizeof a->rule, "call the victim within 30 s of a tamper within the case's "
                                              "pre-warning radius (%.0f m)", k->def.prewarn_radius_m);
            snprintf(a->because, sizeof a->because, "strap tamper of %s, %.0f m from her",
                     drl_actor_name(s, e->device), de->near_m);
        }
    }
    free(open);
    for (size_t i = 0; i < s->n_calls; i++) {
        const scn_call *c = &s->calls[i];
        long long id = SIM_CALL_INCIDENT_BASE + (long long)i + 1;
        drl_action *a = add_action(v, DRL_DISPATCH, 0, id, c->at, DRL_DISPATCH_DEADLINE_MS);
        if (!a)
            return DRL_ENOMEM;
        patrol_options(v, a, c->at, c->place.lat, c->place.lon);
        late_desk(a);
        snprintf(a->rule, sizeof a->rule, "an unrelated 112 call: dispatch the nearest free patrol within 60 s, "
                                          "as for any call");
        snprintf(a->because, sizeof a->because, "unrelated call #%lld came in (%s)", id, c->what);
    }
    for (size_t i = 0; i < s->n_injects; i++) {
        const scn_inject *in = &s->injects[i];
        if (in->kind != SCN_INJ_OUTAGE)
            continue;
        drl_action *a = add_action(v, DRL_ESCALATE, 0, 0, in->at, DRL_ESCALATE_DEADLINE_MS);
        if (!a)
            return DRL_ENOMEM;
        snprintf(a->rule, sizeof a->rule, "report a monitoring-centre outage to the supervisor within 60 s and "
                                          "fall back to phone contact with the victims");
        snprintf(a->because, sizeof a->because, "the centre's link went down (%s)", in->name);
    }
    if (v->n_actions)
        qsort(v->actions, v->n_actions, sizeof *v->actions, action_cmp);
    for (size_t i = 0; i < v->n_actions; i++)
        snprintf(v->actions[i].id, sizeof v->actions[i].id, "A%u", (unsigned)((i + 1) % 1000000u));
    int rc = build_timeline(v);
    return rc ? rc : build_moments(v);
}

int drl_page_of(const drl_variant *v, pw_time_ms t)
{
    int page = 1;
    for (size_t i = 0; i < v->n_moments && v->moments[i] <= t; i++)
        page = (int)i + 2;
    return page;
}
