/*
 * sim.h - the discrete-event simulator core (prefix sim_): a deterministic
 * event queue, the motion model that turns an actor's itinerary into a truth
 * timeline, and the GNSS environment lookup.
 *
 * Conventions
 *   - Time is pw_time_ms (int64 ms UTC); durations are ms.
 *   - Positions are the engine's local east/north metres (eng_frame);
 *     scenario points (WGS84) are converted with eng_geo_to_local.
 *   - The core (event queue, motion, environment lookup) has no
 *     globals, no clock and no I/O; randomness comes only from a
 *     caller-provided generator `double uniform(void *ctx)` in [0, 1).
 *     The runner below it does I/O and says so where it is declared:
 *     sim_run and sessions write a run folder (through record/), sweeps
 *     fork worker processes, replay reads trace files, live reads gpsd
 *     (libuv); each measures wall time only for progress lines.
 *   - May include: engine.h, eval.h, devices.h, traces.h, scenario.h, record.h and
 *     gpkg.h (record/), pw_grow.h (common/), libuv (live), libc (POSIX).  Exit statuses are the
 *     command line's (cli/), never chosen here.
 *   - Functions that can fail return a sim_status (0 ok, negative error);
 *     a function that fails leaves its outputs in a safe empty state (or,
 *     for sim_track_drive_to, unchanged).
 *
 * Memory
 *   The caller owns every struct; the simulator allocates with malloc /
 *   realloc into them.  Each *_init (sim_track_build for tracks) is paired
 *   with a *_close that frees and leaves the struct empty; *_close is safe on
 *   a struct whose init failed, and twice in a row.
 *
 * Example
 *   sim_heap h;  sim_heap_init(&h, 64);
 *   sim_heap_push(&h, t, KIND_FIX, actor);  sim_event ev;
 *   while (sim_heap_pop(&h, &ev) == 0) { ... }  sim_heap_close(&h);
 */
#ifndef PW_SIM_H
#define PW_SIM_H

#include "engine.h"
#include "eval.h"
#include "scenario.h"

#include <stdio.h>

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status of every fallible sim_ function, libuv's way: 0 ok, a negative
 * code otherwise, one sim_strerror for them all.  The functions that take
 * an err buffer also say there what exactly went wrong (a file and line,
 * the system's reason).  The command line maps them to exit statuses:
 * SIM_EINVAL is the user's input (exit 2), the others a failure (exit 1). */
typedef enum sim_status {
    SIM_OK = 0,
    SIM_ENOMEM = -1,     /* malloc/realloc failed, or a size would overflow */
    SIM_EINVAL = -2,     /* an argument, an option, the scenario or a trace is malformed */
    SIM_ERUN = -3,       /* the work failed while running: a file that could not be
                            written, a receiver that never answered, a script error */
    SIM_EEMPTY = -4      /* nothing to take (sim_heap_pop on an empty heap) */
} sim_status;

/* "ok", "out of memory", "invalid input", "the run failed", "empty";
 * "unknown status" otherwise. */
const char *sim_strerror(int status);

/* ------------------------------------------------------------------ */
/* Event queue (sim/heap.c)                                            */
/* ------------------------------------------------------------------ */

/*
 * A binary min-heap on (t, seq).  seq is the insertion order (the n-th push
 * gets seq n - 1), so events with equal times pop in the order they were
 * pushed and a run is deterministic.  kind and index are the caller's: what
 * happens and to whom.
 *
 * Example
 *   sim_heap h;  if (sim_heap_init(&h, 1024) != 0) return -1;
 *   sim_heap_push(&h, s->start, EV_TAG_FIX, 3);
 *   sim_event ev;  while (sim_heap_pop(&h, &ev) == 0) handle(&ev);
 *   sim_heap_close(&h);
 */
typedef struct sim_event {
    pw_time_ms t;        /* when, ms UTC */
    uint64_t seq;        /* insertion order, assigned by sim_heap_push */
    uint32_t kind;       /* caller's event kind */
    uint32_t index;      /* caller's subject (actor, case, ...) */
} sim_event;

typedef struct sim_heap {
    sim_event *items;    /* items[0] is the earliest; owned, malloc'd */
    size_t n, cap;       /* events held, slots allocated */
    uint64_t next_seq;   /* seq of the next push */
} sim_heap;

/* Initialise an empty heap with room for at least initial_cap events (0
 * allocates nothing yet; storage grows as pw_grow.h does).  0 ok, or
 * SIM_ENOMEM with h left empty. */
int sim_heap_init(sim_heap *h, size_t initial_cap);
/* Free the storage; h is left empty and may be init'ed again. */
void sim_heap_close(sim_heap *h);
/* Add an event, doubling the storage when full.  0 ok, -1 (SIM_ENOMEM) with
 * the heap unchanged (no seq consumed). */
int sim_heap_push(sim_heap *h, pw_time_ms t, uint32_t kind, uint32_t index);
/* Remove the earliest event into *out (out may be NULL to drop it).
 * 0 ok, SIM_EEMPTY when the heap is empty. */
int sim_heap_pop(sim_heap *h, sim_event *out);
/* The earliest event, or NULL when empty; valid until the next push/pop. */
const sim_event *sim_heap_peek(const sim_heap *h);

/* ------------------------------------------------------------------ */
/* Truth: motion timelines (sim/motion.c)                              */
/* ------------------------------------------------------------------ */

/*
 * An actor's true motion as a timeline of straight constant-speed segments
 * covering the scenario span [s->start, s->start + s->duration_ms] with no
 * gaps: seg[0].t0 == s->start, seg[i].t1 == seg[i + 1].t0, and the last t1 is
 * the span's end.  Positions are continuous too: a segment starts where the
 * previous one ended.  A dwell is a segment with equal ends (moving = 0).
 * Consecutive dwells at the same place with the same flags are merged.
 */
typedef struct sim_segment {
    pw_time_ms t0, t1;          /* [t0, t1), t1 > t0, ms UTC */
    double x0, y0, x1, y1;      /* local metres, at t0 and at t1 */
    uint8_t mode;               /* scn_mode */
    uint8_t underground;        /* tunnel: no GNSS */
    uint8_t moving;             /* 0 for dwells */
} sim_segment;

typedef struct sim_track {
    sim_segment *seg;           /* owned, malloc'd; seg[0..n-1] in time order */
    size_t n, cap;
} sim_track;

/*
 * Build actor `actor`'s timeline over [s->start, s->start + s->duration_ms].
 * *tr is overwritten (it must not hold a track: close it first) and, on
 * success, owned by the caller until sim_track_close.
 *
 * The motion model, leg by leg from s->legs[actor.first_leg ..], starting at
 * actor.start at s->start:
 *   - depart_at (>= 0) holds the leg, where the actor is, until that time;
 *     a depart_at already passed does not hold.
 *   - A leg with points moves from where the actor is through its points in
 *     order, in straight lines, at one speed drawn for the leg traversal:
 *     v = speed_min + u * (speed_max - speed_min) with u = uniform(ctx).
 *     Exactly one draw per traversal of a leg with points (also when
 *     speed_min == speed_max), none for pure waits, in itinerary order.
 *     Arrival at the k-th point is at the leg's departure plus
 *     round(cumulative length / v) in ms (plus the subway stops before it),
 *     so the total time of a leg does not collect rounding errors.
 *   - SCN_SUBWAY legs stop dwell_stop_ms at each intermediate station: every
 *     point except the last that the train reached by moving (a point equal
 *     to where the rider boards is the boarding station, not a stop).
 *   - Then the leg waits dwell_ms at its end.  A leg with no points is a pure
 *     wait of dwell_ms.
 *   - Every segment of a leg (moves, stops, its dwell) is underground when
 *     leg.underground, and carries leg.mode.  Holds and the final stay keep
 *     the flags of where the actor is (before the first leg: SCN_WALK,
 *     above ground; after a subway leg: still underground).
 *   - actor.loop repeats the itinerary until the end (speeds drawn anew each
 *     time; depart_at is absolute, so it holds only the first time); a loop
 *     whose pass takes no time is not repeated.  Without loop the actor stays
 *     where the itinerary left it.
 *   - Patrols (role SCN_PATROL) ignore legs and stay at their start (mode
 *     SCN_DRIVE) until sim_track_drive_to sends them.
 *   - Whatever would run past the end is cut at the end.
 * uniform may be NULL when every leg with points has speed_min ==
 * speed_max.  uniform must return values in [0, 1] (1 is tolerated).
 *
 * Returns 0, -1 (SIM_ENOMEM) or -2 (SIM_EINVAL: actor out of range,
 * duration_ms <= 0, a leg or point index out of range, a leg with points and
 * speeds not 0 < min <= max, negative dwell, unknown mode or role, a
 * non-finite start, uniform NULL when needed, uniform out of [0, 1]).  On
 * failure *tr is empty.
 *
 * Example
 *   sim_track tr;
 *   if (sim_track_build(&tr, s, i, &frame, dev_rng_uniform, &rng) != 0) ...;
 *   size_t hint = 0; double x, y; int moving, ug;
 *   sim_track_at(&tr, t, &hint, &x, &y, &moving, &ug);  sim_track_close(&tr);
 */
int sim_track_build(sim_track *tr, const scn_scenario *s, size_t actor, const eng_frame *fr,
                    double (*uniform)(void *ctx), void *ctx);
/* Free the timeline; tr is left empty. */
void sim_track_close(sim_track *tr);

/*
 * Truth at time t, clamped to the track's span [seg[0].t0, seg[n-1].t1].
 * *hint (may be NULL) caches the segment index: a query at the same or the
 * next segment costs O(1), any other t a binary search; any t works with any
 * hint.  Every output may be NULL.  On an empty track x and y are NAN and the
 * flags 0.
 */
void sim_track_at(const sim_track *tr, pw_time_ms t, size_t *hint,
                  double *x, double *y, int *moving, int *underground);

/*
 * Patrol dispatch: from wherever the track is at time t, drive in a straight
 * line to (tx, ty), taking the time of (straight length x detour) at
 * speed_mps, then wait there until `end` (normally s->start +
 * s->duration_ms).  Whatever the track had after t is replaced; positions
 * before t are unchanged.  The drive is mode SCN_DRIVE, above ground.
 *
 * Returns the arrival time t + round(length * detour / speed_mps) in ms,
 * which may lie after `end` (the track is then cut at end, mid-drive), or
 * -1 (SIM_ENOMEM) or -2 (SIM_EINVAL: empty track, t outside
 * [seg[0].t0, end], end <= seg[0].t0, speed_mps <= 0, detour < 1, a
 * non-finite target); on an error the track is unchanged.  If the track
 * ended before t, the actor first waits at its last position until t.
 *
 * Example
 *   pw_time_ms on_scene = sim_track_drive_to(&patrol, now, vx, vy, 13.9, 1.3, end);
 */
pw_time_ms sim_track_drive_to(sim_track *tr, pw_time_ms t, double tx, double ty,
                              double speed_mps, double detour, pw_time_ms end);

/* The fastest the track ever moves, m/s; INFINITY when it jumps between
 * segments (hand-built truth may). */
double sim_track_vmax(const sim_track *tr);
/* The truth of a run from its actors' timelines (tracks[actor]), for
 * eval_metrics_finish; it reads the tracks, which must outlive it. */
void sim_truth_of_tracks(eval_truth *truth, const sim_track *tracks);

/* ------------------------------------------------------------------ */
/* GNSS environment map (sim/motion.c)                                 */
/* ------------------------------------------------------------------ */

/* One environment zone in local metres (private to the map). */
typedef struct sim_env_zone {
    scn_env env;
    size_t source;                           /* index into s->env_zones */
    int is_circle;
    double cx, cy, radius_m;                 /* circle, local metres */
    size_t first_vertex, n_vertices;         /* polygon, into sim_envmap.vertices */
    double min_x, min_y, max_x, max_y;       /* bounding box, local metres */
    double street_bearing_deg;               /* degrees from north, or NAN */
} sim_env_zone;

/* The scenario's environment zones, most severe first. */
typedef struct sim_envmap {
    sim_env_zone *zones;        /* owned; sorted by severity, then scenario order */
    size_t n_zones;
    eng_point *vertices;        /* owned; polygon vertices of all zones */
    size_t n_vertices;
} sim_envmap;

/*
 * Convert s->env_zones into local metres.  0 ok, -1 (SIM_ENOMEM), -2
 * (SIM_EINVAL: an unknown env, a circle without a positive finite radius, a
 * polygon with fewer than 3 points or out of range); on failure m is empty.
 * The map does not keep pointers into s.  Pair with sim_envmap_close.
 */
int sim_envmap_init(sim_envmap *m, const scn_scenario *s, const eng_frame *fr);
/* Free the map; m is left empty. */
void sim_envmap_close(sim_envmap *m);

/*
 * The GNSS environment at (x, y) local metres: SCN_ENV_TUNNEL when
 * underground; else the zone containing the point (circles include their
 * rim; polygons by the even-odd rule) and, where zones overlap, the most
 * severe one (TUNNEL > INDOOR > URBAN_HEAVY > URBAN_LIGHT > OPEN; between
 * equals the first in scenario order); else SCN_ENV_OPEN.
 * *street_bearing_deg (may be NULL) gets that zone's street axis, or NAN
 * when there is no zone or it has none.  Each zone is tested against its
 * bounding box first.
 *
 * Example
 *   double axis; scn_env env = sim_env_at(&map, x, y, ug, &axis);
 */
scn_env sim_env_at(const sim_envmap *m, double x, double y, int underground,
                   double *street_bearing_deg);

/* ---- the 112 desk and the patrols (sim/dispatch.c) ---- */

/* The 112 desk: `servers` dispatchers taking calls first come, first served. */
#define SIM_MAX_DISPATCHERS 1024
typedef struct sim_desk {
    int servers;
    pw_time_ms free_at[SIM_MAX_DISPATCHERS];
} sim_desk;
int sim_desk_init(sim_desk *d, int servers);     /* 0, or SIM_EINVAL if servers is not 1..1024 */
/* A handling time drawn from the scenario's distribution (ms). */
struct dev_rng;
pw_time_ms sim_draw_handling(const scn_dispatch *d, struct dev_rng *rng);
/* A call arriving at `arrival` (in time order) needing `handling` ms:
 * when a dispatcher starts on it. */
pw_time_ms sim_desk_take(sim_desk *d, pw_time_ms arrival, pw_time_ms handling);
/* The same for a batch: waits (ms) of sorted arrivals.  0, SIM_EINVAL
 * (servers out of range) or SIM_ENOMEM. */
int sim_queue_waits(const pw_time_ms *arrivals, const pw_time_ms *handling, size_t n, int servers,
                    pw_time_ms *waits);

/*
 * The dispatch model of a run.  Incidents queue at the desk (the
 * scenario's dispatchers, handling times from its distribution, one random
 * stream seeded from the scenario's seed).  When a dispatcher is done, the
 * nearest free patrol drives to the victim's pin (straight line times the
 * patrol's detour factor); without a free patrol the incident waits, and
 * the first patrol freed takes the oldest.  An incident may close when its
 * patrol is on scene and no alarm of its case is open; the patrol is then
 * free where it stands.  It reports to the run's eval_metrics.
 *
 * The model owns no clock and no queue: it asks the run to come back
 * (world.schedule) at a time with what is due (SIM_DISPATCH_*) and an
 * incident slot, and reads and drives the actors' truth tracks through
 * world.track.  It never closes an incident itself: sim_dispatch_may_close
 * says when the run should close it in the engine, whose
 * PW_EV_INCIDENT_CLOSE then comes back through sim_dispatch_event.
 */
enum { SIM_DISPATCH_DONE = 1, SIM_DISPATCH_ON_SCENE, SIM_DISPATCH_CLOSE_CHECK };
typedef struct sim_dispatch_world {
    void *ctx;
    void (*schedule)(void *ctx, pw_time_ms t, int what, size_t slot);
    /* the actor's truth track and its lookup hint (sim_track_at) */
    sim_track *(*track)(void *ctx, size_t actor, size_t **hint);
    /* may be NULL: 1 for an incident the desk handles by phone (drills: an
     * alarm the key calls false): no patrol is sent, and it may close as
     * soon as no alarm of its case is open; a panic or an escalation of
     * its case while it is open makes the desk take it again and send a
     * patrol */
    int (*by_phone)(void *ctx, const pw_event *incident_open);
} sim_dispatch_world;
typedef struct sim_dispatch sim_dispatch;
/* 0, SIM_ENOMEM, or SIM_EINVAL (dispatchers not 1..1024). */
int  sim_dispatch_new(sim_dispatch **out, const scn_scenario *s, const eng_frame *frame, eval_metrics *metrics,
                      const sim_dispatch_world *world);
void sim_dispatch_free(sim_dispatch *d);
/* Every engine event passes through here (alarms counted per case,
 * incidents opened and closed).  0 or SIM_ENOMEM. */
int  sim_dispatch_event(sim_dispatch *d, const pw_event *ev);
/*
 * Unrelated 112 calls (s->calls): call k comes in at its time (the run
 * calls sim_dispatch_call), waits for a dispatcher, takes the nearest free
 * patrol, which stays on scene for the call's time; then
 * sim_dispatch_release (at the SIM_DISPATCH_CLOSE_CHECK the model asks
 * for) ends it and frees the patrol.  Its incident id is
 * SIM_CALL_INCIDENT_BASE + k + 1 (100001, 100002, ...), apart from the
 * engine's; it counts in the desk's workload, not in the alert latencies.
 * sim_dispatch_call: 0 or SIM_ENOMEM; sim_dispatch_release: 1 when it
 * ended the call, else 0 (not a call, or not yet).
 */
#define SIM_CALL_INCIDENT_BASE 100000
int  sim_dispatch_call(sim_dispatch *d, size_t call, pw_time_ms now);
int  sim_dispatch_release(sim_dispatch *d, size_t slot, pw_time_ms now);
/* SIM_DISPATCH_DONE: the dispatcher finished the call.  0 or SIM_ENOMEM. */
int  sim_dispatch_done(sim_dispatch *d, size_t slot, pw_time_ms now);
/* SIM_DISPATCH_ON_SCENE: its patrol arrived. */
void sim_dispatch_on_scene(sim_dispatch *d, size_t slot, pw_time_ms now);
/* 1 with *incident set when the incident may close now, else 0. */
int  sim_dispatch_may_close(const sim_dispatch *d, size_t slot, pw_id *incident);


/* ---- sweeps (sim/sweep.c) ---- */

/* Parameters a sweep may set by name (--set NAME=V1,V2): applied to every
 * case or device of the kind.  Times in seconds.  sim_param_known: 1 or
 * 0.  sim_param_apply: 0 applied, or SIM_EINVAL for an unknown name or a
 * value out of range (err says which). */
int  sim_param_known(const char *name);
int  sim_param_apply(scn_scenario *s, const char *name, double value, char *err, size_t errlen);
void sim_param_list(FILE *f);

#define SIM_SWEEP_MAX_AXES 8
typedef struct sim_sweep_axis {
    const char *name;
    const double *values;
    size_t n;
} sim_sweep_axis;
typedef struct sim_sweep_spec {
    const char *scenario_path;
    const sim_sweep_axis *axes;
    size_t n_axes;
    int seeds;                  /* runs per grid point, seeds first_seed.. */
    uint64_t first_seed;
    int jobs;                   /* worker processes at once */
    const char *out_dir;        /* gets sweep.csv and sweep.json (a stage: see final_dir) */
    int progress;
    double run_timeout_s;       /* a run still going after this long is stopped and
                                   marked failed (0: SIM_SWEEP_RUN_TIMEOUT_S) */
    const char *final_dir;      /* NULL, or where out_dir will be published: it gets
                                   sweep.partial.csv (the runs done so far) every
                                   few seconds, for a resume after a sweep cut short */
    int resume;                 /* runs with an "ok" row in final_dir's sweep.csv or
                                   sweep.partial.csv are not run again */
    int mpi;                    /* under mpirun (MPI initialised): the runs spread over
                                   the ranks, rank 0 writes the files (sim_mpi_*) */
} sim_sweep_spec;

/*
 * Load a scenario with named parameters: rule and device parameters
 * (sim_param_known) are applied after loading, the others reach the
 * script's param("NAME", default).  A name that is neither is an error
 * naming it, as is a value out of range.  seed may be NULL (the
 * scenario's own).  0, or SIM_EINVAL with err set (nothing to free).
 */
int sim_load_with_params(const char *path, const char *const *names, const double *values, size_t n,
                         const uint64_t *seed, scn_scenario *s, char *err, size_t errlen);

/* The default time limit of one sweep run, wall-clock seconds: ten times a
 * national day on the development machine. */
#define SIM_SWEEP_RUN_TIMEOUT_S 600.0
/*
 * Run the grid (every combination of the axes' values) times the seeds in
 * worker processes.  Names are rule and device parameters (sim_param_*) or
 * param("NAME", default) calls of the scenario; everything is checked
 * before any run starts.  A failed run is reported on stderr and marked in
 * sweep.csv; the others are kept.  A run that outlives run_timeout_s is
 * stopped (SIGKILL) and marked failed, with the reason; the sweep goes on.
 * Returns 0 done, SIM_EINVAL bad input (nothing ran), SIM_ERUN failure
 * while running (err says why).
 */
int sim_sweep(const sim_sweep_spec *sp, size_t *failed_runs, char *err, size_t errlen);

/*
 * Sweeps on a cluster (sim/sweep_mpi.c; Open MPI).  sim_mpi_built: 1 when
 * this build has MPI.  sim_mpi_init: MPI_Init and this process's rank and
 * the number of ranks; 0, or SIM_EINVAL (no MPI in this build, err says
 * so).  sim_mpi_finalize: MPI_Finalize.  With spec.mpi, sim_sweep on rank 0
 * hands out run indices (largest runs first) to every rank that asks,
 * runs its own share in its fork workers meanwhile, takes every other
 * rank's rows and writes sweep.csv and sweep.json as a one-machine sweep
 * would, byte for byte; on the other ranks it runs what it is given
 * (spec.out_dir unused) and writes nothing.  A run that fails on any rank
 * is a failed row like any other.
 */
int sim_mpi_built(void);
/* Rank 0 that will not run a sweep (bad input, a folder it cannot make):
 * tells every other rank there is nothing, so that mpirun ends. */
void sim_sweep_abandon(void);
int sim_mpi_init(int *argc, char ***argv, int *rank, int *size, char *err, size_t errlen);
void sim_mpi_finalize(void);

/* ---- run loop (sim/run.c) ---- */

/* How to run. */
typedef struct sim_run_options {
    const char *out_dir;      /* created if missing; files appear only when complete */
    int progress;             /* show a progress line on stderr for runs over 2 s */
    int record;               /* write the files below; 0 for benchmarks and sweeps */
    int gpkg;                 /* with record: also run.gpkg (record/gpkg.h) */
    int compress;             /* with record: a compact record for big runs: fixes.csv.gz and
                               * events.jsonl.gz (gzip, written on threads of their own), and
                               * run.geojson without the fixes (fixes.csv.gz has them) */
    void (*on_event)(void *ctx, const pw_event *ev); /* each engine event as it happens (may be NULL) */
    void *on_event_ctx;
    /* each fix as it reaches the engine, with its dev_fix_cause (may be NULL) */
    void (*on_fix)(void *ctx, const pw_fix *fix, int dev_fix_cause, pw_time_ms now);
    void *on_fix_ctx;
    /* each device status as it reaches the engine (may be NULL; bench_sim
     * feeds fixes and statuses to an engine alone) */
    void (*on_status)(void *ctx, const pw_device_status *st, pw_time_ms now);
    void *on_status_ctx;
    /* drills (may be NULL): incidents the 112 desk handles by phone, without
     * a patrol (sim_dispatch_world.by_phone) */
    int (*by_phone)(void *ctx, const pw_event *incident_open);
    void *by_phone_ctx;
} sim_run_options;

/* What happened, for the command's summary. */
typedef struct sim_summary {
    double sim_seconds, wall_seconds;
    uint64_t fixes_sent;       /* fixes the devices sent (lost ones included) */
    uint64_t fixes_lost;       /* lost in the network */
    uint64_t fixes_delivered;  /* reached the engine */
    uint64_t fixes_accepted, fixes_rejected;
    uint64_t reports_dropped;  /* store-and-forward overflow */
    uint64_t statuses;
    uint64_t events;
    uint64_t by_type[PW_EV_TYPE_COUNT];
    int script_error;          /* a callback failed: bad input (exit 2) */
    uint64_t reconnects;       /* live: gpsd connections made again after a loss */
    uint64_t fixes_bad_time;   /* replay: trace fixes dropped as time outliers */
    uint64_t fixes_bad_date;   /* live: receiver fixes ignored for an implausible
                                  date (sim_live_date_plausible) */
    uint64_t pins_sent;        /* positions sent to victims' phones */
    uint64_t pins_seen;        /* ... that reached them */
    eval_report report;         /* the pilot metrics */
} sim_summary;

/*
 * Run scenario s through the engine and write into opt->out_dir:
 *   events.jsonl  every engine event, one JSON object per line
 *   fixes.csv     every delivered fix: times, position, claimed accuracy,
 *                 source, cause, true position, the engine's verdict
 *   truth.csv     every actor's truth timeline (straight segments)
 * Each file is written as NAME.part and renamed when the run succeeds; on a
 * failure they are removed and err says why (a script error names its file
 * and line).  Returns 0 or SIM_ERUN.  Same scenario and seed: the same
 * bytes.
 *
 * Devices learn of a start of motion when it happens: at every rest ->
 * moving transition of an actor's truth timeline the run calls
 * dev_unit_set_moving (the device reports at once), and every fix says
 * whether its wearer moves.  Every position the engine sends a victim
 * (PW_EV_REVEAL_UPDATE) crosses her phone's downlink (dev_unit_downlink);
 * the metrics count it as seen when, and only if, it arrives.  Each
 * device's GNSS-loss timeouts are sim_device_timeouts of its settings.
 */
int sim_run(scn_scenario *s, const sim_run_options *opt, sim_summary *sum, char *err, size_t errlen);
/* The engine's configuration for scenario s, as a run sets it up: its
 * origin, room for its devices, cases and zones, the defaults else. */
void sim_engine_config(const scn_scenario *s, eng_config *cfg);

/*
 * summary.json into dir, complete or absent (record.h's .part): what the
 * run did (fixes sent, delivered, accepted, rejected, lost; engine events
 * by type) and, when the scenario has expect { }, how many did not hold
 * and each result (eval/expect.h, `failed` of them not held).  0, or
 * SIM_ERUN with the file and the reason in err.
 */
struct eval_expect_result;
int sim_summary_write_json(const char *dir, const scn_scenario *s, const sim_summary *sum,
                           const struct eval_expect_result *expects, size_t failed, char *err, size_t errlen);

/* Fill every device setting the scenario left unset (0 or NAN, see
 * scn_device) from the one table of defaults, dev_unit_config_default.
 * Idempotent; sim_session_start (and so sim_run and sim_live) calls it. */
void sim_resolve_devices(scn_scenario *s);

/*
 * The engine's health timeouts for a (resolved) scenario device:
 *   no_gnss_ms       signal_timeout_ms (moving, or motion unknown)
 *   no_gnss_rest_ms  2 x interval_rest_ms + signal_timeout_ms (its newest
 *                    fix says at rest: it reports once a rest interval, and
 *                    one lost report must not count as lost satellites)
 *   no_comm_ms       2 x max(rest, moving, heartbeat) + 30 s
 * Example: a tag with the defaults (300 / 60 s, heartbeat 300 s, signal
 * 150 s) gets 150 s, 750 s and 630 s.
 */
void sim_device_timeouts(const scn_device *d, eng_device_timeouts *out);

/* ---- field traces (sim/replay.c) ---- */

typedef struct sim_replay_options {
    const char *offender_trace;      /* NMEA, gpsd JSON or CSV */
    const char *victim_trace;        /* or NULL with has_victim_at */
    int has_victim_at;
    double victim_lat, victim_lon;   /* a victim standing still */
    const char *truth_offender;      /* reference trajectories, may be NULL */
    const char *truth_victim;
    double alarm_radius_m;           /* NAN: the engine's default */
    const char *out_dir;             /* events.jsonl and report.json; NULL: none */
    int force;                       /* replay a span longer than SIM_REPLAY_MAX_SPAN_MS */
    int no_checksum;                 /* references: read sentences with a wrong checksum */
    int has_date;                    /* NMEA epochs before any date get */
    int64_t date_days;               /* this day (days since 1970-01-01) */
    int rollover;                    /* add rollover x 1024 weeks to every fix */
    int relocate;                    /* move every trace, reference and victim_at
                                        rigidly: the offender's first fix to
                                        (relocate_lat, relocate_lon) */
    double relocate_lat, relocate_lon;
    void (*warn)(void *ctx, const char *file, long line, const char *what);
    void *warn_ctx;
} sim_replay_options;
/*
 * Run recorded traces through the engine in time order (now = the fix's
 * receive time when the trace has one, else its own time) and compute the
 * report.  With reference trajectories the breaches are judged on them,
 * exactly as in simulation; without, on the traces themselves (report
 * "truth": "traces").  Traces whose times do not overlap are an error.
 * References are read epoch by epoch (trc_options.reference: every epoch
 * with coordinates, whatever its receiver's quality flags), and with
 * no_checksum their sentences despite a wrong checksum; a trace's skipped
 * checksums are said on the warning callback.
 * Returns 0, SIM_EINVAL bad input (err names the file), SIM_ERUN failure
 * while running.
 */
int sim_replay(const sim_replay_options *o, sim_summary *sum, char *err, size_t errlen);

/*
 * Time outliers in a trace.  Sorted by time, a trace is cut wherever two
 * fixes lie more than SIM_TRACE_GAP_MS apart; the group with the most fixes
 * is the trace, and fixes in the other groups (a time of 0, a year-9999
 * date, a receiver's rollover) are dropped, counted in
 * sim_summary.fixes_bad_time and said once on the warning callback.  A
 * replay spanning more than SIM_REPLAY_MAX_SPAN_MS (the longest scenario)
 * is refused unless options.force: the work grows with the span.
 */
#define SIM_TRACE_GAP_MS (6LL * 3600 * 1000)
/* A victim given as --victim-at reports every 60 s while the offender's
 * trace does: at the grid times within this of one of his fixes (the work
 * then grows with his fixes; in a silence of his longer than twice this,
 * she is silent too). */
#define SIM_STANDING_WINDOW_MS (10LL * 60 * 1000)
#define SIM_REPLAY_MAX_SPAN_MS (7LL * 24 * 3600 * 1000)

/* A truth timeline through fixes (straight lines between them, held at
 * the ends) covering [start, end].  0 or SIM_ENOMEM. */
int sim_track_from_fixes(const pw_fix *fixes, size_t n, const eng_frame *fr, pw_time_ms start,
                         pw_time_ms end, sim_track *tr);

/* ---- sessions: the run loop driven from outside (live mode) ---- */

/* A run that the caller advances: sim_run is start, advance to the end,
 * finish.  live_actor (SIZE_MAX: none) is an actor whose fixes come from
 * outside through sim_session_live_fix instead of an emulated device.
 * start and finish return 0 or SIM_ERUN (err says why; start may leave
 * a session to finish even then); finish writes the outputs and frees it. */
typedef struct sim_session sim_session;
int  sim_session_start(sim_session **out, scn_scenario *s, const sim_run_options *opt, size_t live_actor,
                       sim_summary *sum, char *err, size_t errlen);
void sim_session_advance(sim_session *ss, pw_time_ms until);
void sim_session_live_fix(sim_session *ss, const pw_fix *fix, pw_time_ms now);
int  sim_session_failed(const sim_session *ss);
int  sim_session_finish(sim_session *ss);

/* ---- a receiver moved to the scenario's city (sim/relocate.c) ---- */

/*
 * A rigid move: a fix's east and north offsets (m) from the anchor
 * (from_lat, from_lon) become its offsets from the target (to_lat,
 * to_lon), through the engine's local frames.  Distances and bearings
 * within a few tens of kilometres of the anchor are kept to the frame's
 * accuracy (tests/test_live.c measures it); speed, heading, accuracy and
 * time are untouched.  on 0: nothing moves.
 */
typedef struct sim_relocation {
    int on;
    eng_frame from, to;
} sim_relocation;
void sim_relocation_init(sim_relocation *r, double from_lat, double from_lon, double to_lat, double to_lon);
void sim_relocation_apply(const sim_relocation *r, pw_fix *f);
/* "LAT,LON" in degrees (|lat| <= 90, |lon| <= 180): 1, else 0. */
int sim_parse_latlon(const char *s, double *lat, double *lon);
/* Great-circle distance on the mean sphere (haversine), m: for telling how
 * far a receiver is from the scenario, at any distance. */
double sim_great_circle_m(double lat1, double lon1, double lat2, double lon2);

/* ---- live mode (sim/live.c) ---- */

typedef struct sim_live_options {
    const char *host, *port;    /* gpsd */
    scn_role as;                /* the receiver is the first actor of this role */
    const char *out_dir;
    double speed;               /* simulated seconds per wall second (1: real time) */
    pw_time_ms connect_timeout_ms; /* give up when gpsd never answers (0: wait forever) */
    int quiet;                  /* no alert lines on stdout */
    int any_date;               /* take fixes of any date (a recorded log replayed
                                   through gpsfake); 0: sim_live_date_plausible */
    int gpkg;                   /* also run.gpkg (sim_run_options.gpkg) */
    int relocate;               /* move the receiver's track rigidly, its first
                                   plausible fix to (relocate_lat, relocate_lon) */
    double relocate_lat, relocate_lon;
} sim_live_options;

/*
 * Is a live receiver's fix time plausible?  A receiver starting cold may
 * report 1970 (Unix zero), 1980-01-06 (GPS week 0) or a date 1024 weeks
 * early (week rollover) before it has the time right; such a fix must not
 * set the simulated clock.  Plausible: fix_ms on or after
 * 2020-01-01T00:00:00Z (SIM_LIVE_MIN_DATE_MS) and, when the host's wall
 * clock wall_ms is itself on or after that date, no more than 24 h
 * (SIM_LIVE_MAX_SKEW_MS) before or after it (a host that booted without a
 * clock is not trusted).  Pure: sim_live reads the wall clock and passes it.
 */
#define SIM_LIVE_MIN_DATE_MS 1577836800000LL /* 2020-01-01T00:00:00Z */
#define SIM_LIVE_MAX_SKEW_MS 86400000LL      /* 24 h */
int sim_live_date_plausible(pw_time_ms fix_ms, pw_time_ms wall_ms);
/*
 * A receiver outside the scenario's region: 1 when fix f lies farther from
 * s's origin than the engine's region radius (the engine rejects it), with
 * a note for the user in buf (the distance); 0 when it is inside.
 * sim_live says it once, at the first receiver fix out of the region
 * (after the move when relocating), with the hint that fits.
 */
int sim_live_region_note(const scn_scenario *s, const pw_fix *f, char *buf, size_t n);
/*
 * --relocate's target: "start" (the start of the first actor of role as,
 * the one the receiver becomes), "origin" (the scenario's), an actor's name
 * (that actor's start) or "LAT,LON" in degrees.  0, or SIM_EINVAL.
 */
int sim_live_relocate_target(const scn_scenario *s, scn_role as, const char *where, double *lat, double *lon);
/*
 * A real receiver served by gpsd becomes one actor while the scenario
 * simulates the rest, the simulated clock locked to the wall clock from
 * the receiver's first fix with a plausible date (the scenario is moved to
 * start then).  Fixes with implausible dates are ignored, counted in
 * sum->fixes_bad_date, and reported on stderr (the first when it comes, the
 * count at the end), unless o->any_date.  gpsd
 * is read with libgps on a non-blocking socket under libuv's uv_poll and
 * reconnected when it goes away.  Alerts are printed as they happen; the
 * outputs are those of run.  Ends at the scenario's end or on SIGINT.
 * Returns 0, SIM_EINVAL bad input, SIM_ERUN failure (err says why).
 */
int sim_live(scn_scenario *s, const sim_live_options *o, sim_summary *sum, char *err, size_t errlen);

/* One engine event as a JSON line (with the newline); returns its length. */
size_t sim_event_json(const pw_event *ev, char *buf, size_t n);
/* That line written to f (events.jsonl): 0, or -1 with errno set. */
int sim_event_write(FILE *f, const pw_event *ev);

/* The libuv version built with, from its headers ("1.44.2"). */
const char *sim_libuv_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PW_SIM_H */
