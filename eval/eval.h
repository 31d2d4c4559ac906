/*
 * eval.h - the pilot's figures (prefix eval_): metrics of a run against its
 * truth (DESIGN.md "Metrics"), report.json and its table, and the
 * statistics a sweep draws over seeds.
 *
 * Where it sits: devices -> engine -> eval -> outputs.  eval reads the
 * engine's events and the fixes as a run delivers them, and, at the end,
 * the truth through eval_truth (positions at a time), so it knows nothing
 * of how the truth was made (simulated motion, reference trajectories,
 * traces).  The simulator, replay and live drive it (sim/).
 *
 * Conventions
 *   - Time is pw_time_ms (int64 ms UTC); positions the engine's local
 *     metres (eng_frame).  Latencies and durations in the report: seconds.
 *   - No globals, no clock, no randomness.  No I/O but the FILE a writer
 *     is given (eval_report_write_json, eval_report_print,
 *     eval_expect_write_json).
 *   - May include: engine.h, scenario.h, devices.h (the fix causes),
 *     record.h (the JSON primitives every writer shares),
 *     pw_grow.h, libc.
 *   - Functions that can fail return 0 or -1 (out of memory); a collector
 *     that failed once says so at eval_metrics_finish.
 *
 * Example
 *   eval_metrics m;  eval_metrics_init(&m, s, 30000);
 *   ... eval_metrics_fix(&m, dev, cause, 0, now); eval_metrics_event(&m, ev); ...
 *   eval_report r;  eval_metrics_finish(&m, &truth, &frame, &r);
 *   eval_report_write_json(f, s, &r);  eval_metrics_close(&m);
 */
#ifndef PW_EVAL_H
#define PW_EVAL_H

#include "engine.h"
#include "scenario.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- metrics (eval/metrics.c) ---- */

/*
 * Why a false alert happened, from what the fixes that drove it really
 * were.  The driving fixes of an alarm opened at t are, for the case's
 * offender and victim each, the newest fix delivered to the engine by t and
 * every other one delivered in [t - dwell_open_ms, t] (they held the
 * condition through the dwell).  Each fix is ranked by the size of the
 * position error its cause typically gives, and the worst one names the
 * cause:
 *   cell fallback (hundreds of metres)  >  device fault (a fix produced
 *   while the device was faulty: it waited in the device's store while its
 *   network was down and reached the centre late, a stale position)  >
 *   tunnel exit  >  noise jump (multipath / NLOS, tens of metres)  >
 *   urban canyon  >  other (only nominal fixes).
 * A health event (battery low, tamper, signal or contact lost) does not by
 * itself make an alert a device fault: the engine's escalations open
 * incidents, not alarm episodes, and only the fixes move a track.
 */
typedef enum eval_cause {
    EVAL_CAUSE_NOISE_JUMP = 0,   /* a multipath / NLOS jump */
    EVAL_CAUSE_URBAN_CANYON,
    EVAL_CAUSE_TUNNEL_EXIT,
    EVAL_CAUSE_CELL_FALLBACK,
    EVAL_CAUSE_DEVICE_FAULT,     /* a driving fix was stale: produced while the
                                   device's network was down */
    EVAL_CAUSE_OTHER,
    EVAL_CAUSE_COUNT
} eval_cause;
const char *eval_cause_name(eval_cause c);

#define EVAL_MAX_RULES (1 + ENG_MAX_CASE_ZONES)

/* n, median, 95th percentile and maximum, in seconds (NAN when n = 0). */
typedef struct eval_latency {
    size_t n;
    double p50, p95, max;
} eval_latency;
/* Fill l from values (seconds; sorted in place), nearest-rank percentiles. */
void eval_latency_from(eval_latency *l, double *values, size_t n);

typedef struct eval_health_counts {
    uint64_t signal_loss, no_comm, tamper, battery_low, device_off;
} eval_health_counts;

/* The pilot report: DESIGN.md "Metrics", report.json's figures. */
typedef struct eval_report {
    char truth[16];             /* what the breaches are judged on: "simulation",
                                   "reference" (replay with references) or "traces" */
    double sim_seconds, tau_s;
    uint64_t fixes;             /* fixes delivered to the engine (set by the runner) */
    struct { uint64_t truth, detected, missed, missed_short; } breaches;
    struct {
        uint64_t episodes, true_alerts, false_alerts;
        double false_per_offender_day;
        uint64_t false_by_cause[EVAL_CAUSE_COUNT];
    } alerts;
    struct { eval_latency breach_to_alert, alert_to_victim, alert_to_dispatch, dispatch_to_scene; } latency;
    double exposure_outside_breach_s;
    uint64_t unauthorized_disclosures, disclosures;
    struct {
        uint64_t incidents;
        double per_dispatcher_hour;
        size_t peak_concurrent;
        double queue_wait_p50_s, queue_wait_p95_s;
        double patrol_minutes_on_false;   /* dispatch to release, for alarms no breach backs */
    } workload;
    eval_health_counts health;
    /* Replay: the span in which every trace and reference has data; only
     * it is replayed and scored.  set 0 for simulations (not written). */
    struct {
        int set;
        pw_time_ms start, end;
        uint64_t outside[2];    /* trace fixes before or after it: offender, victim */
    } scored_span;
} eval_report;

/* The four latencies of the report, in its order. */
typedef enum eval_latency_kind {
    EVAL_BREACH_TO_ALERT = 0,
    EVAL_ALERT_TO_VICTIM,
    EVAL_ALERT_TO_DISPATCH,
    EVAL_DISPATCH_TO_SCENE,
    EVAL_LATENCY_COUNT
} eval_latency_kind;
/* "breach_to_alert", "alert_to_victim", "alert_to_dispatch", "dispatch_to_scene" */
const char *eval_latency_name(eval_latency_kind k);

/* Private state of the collector; the fields are here for caller storage. */
typedef struct eval_episode {
    size_t case_index;
    int rule;                   /* 0 proximity, 1 + k zone k */
    pw_time_ms start, end;      /* end NEVER while open */
    pw_time_ms first_reveal;    /* first position, sent while the alarm was
                                   open, that reached the victim's phone */
    eval_cause cause;            /* if it turns out false */
    int is_true;
    double lat, lon;            /* the offender's position at the alarm (NAN unknown) */
} eval_episode;
typedef struct eval_span {
    pw_time_ms a, b;
    size_t index;               /* case */
} eval_span;
/* One 112 incident: opened by the engine, queued at the desk, handled,
 * a patrol sent; released when it closes. */
typedef struct eval_incident {
    pw_id id;
    size_t case_index;
    int reason;                 /* the pw_event_type that opened it; 0 an unrelated call */
    pw_time_ms open, close;     /* close NEVER while open */
    pw_time_ms queue_wait;      /* ms at the desk before a dispatcher took it; -1 unknown */
    pw_time_ms dispatched;      /* a patrol was sent (NEVER: not yet) */
    pw_time_ms on_scene;        /* it arrived (NEVER: not yet) */
    pw_id patrol;               /* the patrol's device id (0: none sent) */
} eval_incident;

/* Episodes of a case a late position to the victim may still belong to. */
#define EVAL_RECENT_EPISODES 16
typedef struct eval_case_state {
    size_t open_episode[EVAL_MAX_RULES];
    size_t recent[EVAL_RECENT_EPISODES];  /* the case's newest episodes, a ring */
    size_t n_recent;                     /* episodes ever added to the ring */
    pw_time_ms last_alarm_close;  /* INT64_MIN: none yet */
    pw_time_ms reveal_since;
    pw_id incident;
    size_t incident_index;
} eval_case_state;
typedef struct eval_prepared_case {
    eng_zone_geom zones[ENG_MAX_CASE_ZONES]; /* as the engine prepares them */
} eval_prepared_case;

/* A fix delivered to the engine, as the false-alert attribution needs it. */
#define EVAL_RECENT_FIXES 8
typedef struct eval_fix_note {
    pw_time_ms at;              /* when it reached the engine */
    int cause;                  /* dev_fix_cause */
    int faulty;                 /* produced while the device was faulty */
} eval_fix_note;
typedef struct eval_actor_fixes {
    eval_fix_note fix[EVAL_RECENT_FIXES]; /* a ring of the newest */
    size_t n;                   /* fixes ever noted */
} eval_actor_fixes;

typedef struct eval_metrics {
    const scn_scenario *s;
    pw_time_ms tau_ms;
    eval_case_state *case_state;
    eval_actor_fixes *recent_fixes; /* per actor */
    eval_episode *episodes;  size_t n_episodes, cap_episodes;
    eval_span *reveals;      size_t n_reveals, cap_reveals;
    eval_incident *incidents; size_t n_incidents, cap_incidents;
    uint64_t disclosures, unauthorized;
    eval_health_counts health;
    int failed;
    double *samples[EVAL_LATENCY_COUNT];  /* after finish: each latency's values, */
    size_t n_samples[EVAL_LATENCY_COUNT]; /* sorted, seconds (latencies.csv) */
} eval_metrics;

/*
 * Collect while the run goes: every engine event in order, every fix
 * delivered to the engine (before the engine sees it, so that an alarm it
 * opens is attributed to it), and every position that reached a victim's
 * phone.  Then finish with the actors' truth: true breaches (1 s samples of
 * the true offender-victim distance against the alarm radius, and of the
 * offender against each exclusion zone in its schedule), matched to alert
 * episodes with tolerance tau.
 * The case and device ids must be those the scenario loader gives (1..n).
 *
 * Alarm -> victim sees the pin: from the alarm's opening to the first
 * eval_metrics_victim_sees of a position the engine sent (sent_at) while
 * that alarm was open, at seen_at.  An alarm none of whose positions
 * reached the phone has no figure (it counts in neither n nor the
 * percentiles).
 */
int  eval_metrics_init(eval_metrics *m, const scn_scenario *s, pw_time_ms tau_ms);
void eval_metrics_event(eval_metrics *m, const pw_event *ev);
/* A fix of `device` reaches the engine at `now`: its dev_fix_cause, and
 * faulty = 1 when it was produced while the device was faulty (it waited in
 * the device's store while the network was down: dev_message.stored). */
void eval_metrics_fix(eval_metrics *m, pw_id device, int dev_fix_cause, int faulty, pw_time_ms now);
/* A position the engine sent to case `case_id`'s victim at sent_at (a
 * PW_EV_REVEAL_UPDATE) reached her phone at seen_at (>= sent_at). */
void eval_metrics_victim_sees(eval_metrics *m, pw_id case_id, pw_time_ms sent_at, pw_time_ms seen_at);
/* The dispatch model reports what happened to incident `id`. */
void eval_metrics_dispatch(eval_metrics *m, pw_id incident, pw_time_ms queue_wait_ms, pw_time_ms dispatched,
                          pw_time_ms on_scene);
/* An unrelated 112 call came in (incident `id`, no case: reason 0) and
 * ended: it loads the desk and the patrols (the workload figures count it)
 * but is no alert (the latencies leave it out). */
void eval_metrics_call(eval_metrics *m, pw_id id, pw_time_ms open);
void eval_metrics_call_close(eval_metrics *m, pw_id id, pw_time_ms close);
/* ... and which patrol (its device id) was sent to incident `id`. */
void eval_metrics_patrol(eval_metrics *m, pw_id incident, pw_id patrol);
/*
 * The truth a run is judged on: every actor's true position at any time of
 * the span, in the engine's local metres.  The simulator gives its motion
 * timelines (sim_truth_of_tracks), a replay the reference trajectories or
 * the traces themselves.
 *   at     the actor's position at t (clamped to the span it covers);
 *          *hint is the caller's cache for a walk forward in time (start
 *          at 0), any t works with any hint
 *   vmax   the fastest the actor ever moves, m/s (INFINITY when unknown):
 *          the breach search strides as far as two actors cannot close
 */
typedef struct eval_truth {
    const void *ctx;
    void (*at)(const void *ctx, size_t actor, pw_time_ms t, size_t *hint, double *x, double *y);
    double (*vmax)(const void *ctx, size_t actor);
} eval_truth;

/* 0, or -1 (out of memory, now or while collecting). */
int  eval_metrics_finish(eval_metrics *m, const eval_truth *truth, const eng_frame *fr, eval_report *r);
void eval_metrics_close(eval_metrics *m);

/* ---- the report (eval/report.c) ---- */

/* report.json (the keys the planners' tools read) and the same as a table. */
int  eval_report_write_json(FILE *f, const scn_scenario *s, const eval_report *r);
void eval_report_print(FILE *f, const eval_report *r);
/*
 * The values behind the report's figures, for pictures: latencies.csv
 * (latency,seconds: every sample of the four latencies after
 * eval_metrics_finish, sorted within each) and incidents.csv (each
 * incident's case, reason, and the times it opened, waited at the desk,
 * was dispatched, reached the scene and closed; ms since the epoch, empty
 * when it never happened; and the patrol sent, empty when none).  0, or -1
 * on a write error.
 */
int eval_write_latencies_csv(FILE *f, const eval_metrics *m);
int eval_write_incidents_csv(FILE *f, const eval_metrics *m);

/* ---- statistics for sweeps (eval/stats.c) ---- */

/* The report as a flat row of figures (NAN where unknown). */
size_t eval_report_field_count(void);
const char *eval_report_field_name(size_t i);
size_t eval_report_fields(const eval_report *r, double *values);
/* Mean and 95 % interval (Student t) of the finite values; NAN if none. */
void eval_mean_ci(const double *x, size_t n, double *mean, double *lo, double *hi);

#ifdef __cplusplus
}
#endif
#endif /* PW_EVAL_H */
