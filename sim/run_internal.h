/*
 * run_internal.h - what the run loop (run.c) and its record (runrecord.c)
 * share: the one private session struct.  Not for other modules: they see
 * sim_session as an opaque type (sim.h).
 *
 * May include: sim.h, devices.h, traces.h, record.h, gpkg.h, expect.h,
 * pw_grow.h, libc.
 */
#ifndef PW_SIM_RUN_INTERNAL_H
#define PW_SIM_RUN_INTERNAL_H

#include "sim.h"
#include "devices.h"
#include "gpkg.h"
#include "record.h"

#include <stdio.h>

/* A position on its way to a victim's phone. */
typedef struct pin_rt {
    pw_id case_id;
    pw_time_ms sent;           /* when the engine sent it */
    size_t actor;              /* the victim */
} pin_rt;

typedef struct actor_rt {
    sim_track track;
    size_t hint;
    dev_unit *unit;            /* NULL for patrols */
    int net_down;              /* outages in force */
    int gnss_down;             /* GNSS outages in force (its sky is a tunnel's) */
    size_t motion_next;        /* truth segment after the next motion change queued */
    int motion_to;             /* what that change is: 1 starts, 0 stops */
} actor_rt;

typedef struct sim_session {
    scn_scenario *s;
    const sim_run_options *opt;
    eng_frame frame;
    eng_engine eng;
    int eng_ready;
    sim_envmap env;
    int env_ready;
    dev_env_params envp[DEV_ENV_COUNT];
    sim_heap heap;
    actor_rt *actors;
    dev_rng *motion_rng;
    dev_message *msgs;          /* in flight */
    uint32_t *free_slots;
    size_t n_msgs, cap_msgs, n_free, cap_free;
    int centre_down;
    uint32_t *held;             /* deliveries waiting for the centre */
    size_t n_held, cap_held;
    pin_rt *pins;               /* positions on their way to victims */
    uint32_t *free_pins;
    size_t n_pins, cap_pins, n_free_pins, cap_free_pins;
    FILE *f_events, *f_fixes, *f_truth, *f_geo;
    rec_geojson geo;            /* run.geojson's writer, on f_geo */
    rec_gpkg *gpkg;             /* run.gpkg, when asked for */
    double *xy;                 /* a geometry's lon,lat pairs */
    size_t cap_xy;
    eval_metrics metrics;
    int metrics_ready;
    sim_dispatch *dispatch;     /* the 112 desk and the patrols */
    char dir[512];
    char line[2048];
    sim_summary *sum;
    int failed;
    char *err;
    size_t errlen;
    double wall_start, wall_last_progress;
    int progress_shown;
    /* live mode: one actor's fixes come from a real receiver */
    size_t live_actor;          /* SIZE_MAX: none */
    pw_fix *live_fixes;
    size_t n_live, cap_live;
} run;

/* Fail the run once: the first reason (printf's format) is kept in err;
 * later steps see r->failed and stop. */
void run_fail(run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The emulated unit's configuration from a resolved scenario device
 * (settings.c). */
void run_unit_config(const scn_device *d, dev_kind kind, dev_unit_config *c);

/* ---- the run record (runrecord.c) ----
 * run_record_open     the folder, events.jsonl, fixes.csv, truth.csv,
 *                     run.geojson (each as NAME.part) and run.gpkg when asked
 * run_record_event    an engine event: a line of events.jsonl, a row of run.gpkg
 * run_record_fix      a delivered fix: a row of fixes.csv, a point of the maps
 * run_record_truth    truth.csv, from the actors' final timelines
 * run_record_layers   the maps' tracks, zones and alert episodes (after the
 *                     metrics: episodes carry their verdicts)
 * run_record_close    every file completed and renamed from .part, or
 *                     removed when the run failed; frees what it held
 * run_file_open / run_file_finish   one more file the same way (report.json)
 * Each writes only when the run records (opt->record) and fails the run
 * with the file's name and the system's reason. */
void  run_record_open(run *r);
void  run_record_event(run *r, const pw_event *ev);
void  run_record_fix(run *r, const dev_message *m, eng_status st, pw_time_ms now);
void  run_record_truth(run *r);
void  run_record_layers(run *r);
void  run_record_close(run *r);
FILE *run_file_open(run *r, const char *name);
void  run_file_finish(run *r, FILE **f, const char *name);

#endif /* PW_SIM_RUN_INTERNAL_H */
