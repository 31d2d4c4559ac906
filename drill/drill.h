/*
 * drill.h - dispatcher drills (prefix drl_): variants of a drill template
 * run through the engine, their timeline and answer key drawn from the
 * engine's events, and the scoring of a trainee's action log.
 *
 * A template is a scenario with drill { }, ranges (vary, vary_place,
 * choose) and inject { }s (scenarios/drills/README.md).  Variant K of a
 * drill with seed S is the template loaded with draws from the generator
 * (S, K) and run with that seed; a variant in which an inject did not show
 * on the console (a canyon that gave no false alert, a panic lost in an
 * outage) is drawn again, up to DRL_MAX_ATTEMPTS times, and the attempts
 * are written down.
 *
 * The key follows from the engine's events by fixed rules (drl_rule):
 *   every incident opened                -> dispatch the nearest free patrol
 *                                           within 60 s (NFPA 1225: 60 s for
 *                                           90 % of calls; later when none
 *                                           is free: when the desk sent the
 *                                           first one freed); an incident
 *                                           the run's truth shows false ->
 *                                           call the victim within 60 s
 *                                           instead
 *   a strap tamper within the case's     -> call the victim within 30 s
 *   pre-warning radius of his victim,
 *   and every panic
 *   a panic or a device fault while a    -> dispatch, as for an incident
 *   false alarm's incident is open
 *   a health fault escalated near a      -> escalate within 60 s (once per
 *   victim, and a centre outage              incident and fault)
 *   an unrelated 112 call                -> dispatch the nearest free patrol
 *                                           within 60 s
 *
 *   drl_options o;  drl_options_default(&o);
 *   o.template_path = "scenarios/drills/subway_rush.lua";  o.count = 3;
 *   o.out_dir = "drills";
 *   if (drl_generate(&o, err, sizeof err) != 0) ...  // drills/drill-1.json, ...
 *
 * May include: sim.h, scenario.h, eval.h, record.h, render.h, devices.h,
 * jansson (reading), libc.  Functions return 0 or a negative DRL_E*.
 */
#ifndef PW_DRILL_H
#define PW_DRILL_H

#include "engine.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { DRL_OK = 0, DRL_EINVAL = -1, DRL_ERUN = -2, DRL_ENOMEM = -3 };

/* The drill file's schema ("schema_version" in drill-K.json). */
#define DRL_SCHEMA_VERSION 1
#define DRL_MAX_ATTEMPTS 20
#define DRL_MAX_COUNT 1000

/* The rules of the key: deadlines in ms. */
#define DRL_DISPATCH_DEADLINE_MS 60000
#define DRL_CALL_DEADLINE_MS 30000
#define DRL_ESCALATE_DEADLINE_MS 60000

typedef struct drl_options {
    const char *template_path;
    int count;                /* variants, 1..DRL_MAX_COUNT */
    uint64_t seed;            /* the drill's seed (default 1) */
    int level;                /* SCN_LEVEL_* (default normal) */
    const char *out_dir;      /* drill-K.json, drill-K.pdf, drill-K-key.pdf, drill-K/ */
    int pictures;             /* the PDFs (default 1) */
    int progress;             /* a line per variant on stderr */
} drl_options;

void drl_options_default(drl_options *o);

/* Write the N drills into o->out_dir (created if missing; each file
 * complete or absent).  DRL_EINVAL: the template or an option is bad (err
 * names the file and line); DRL_ERUN: a run or a file failed. */
int drl_generate(const drl_options *o, char *err, size_t n);

/* ---- scoring ---- */

/*
 * Points: an expected action done on time 10, late 5 (up to
 * DRL_LATE_CAP_S after its deadline; later counts as missed), missed 0; a
 * dispatch of another patrol than the key's 5, or 2 when also late (the
 * extra distance is reported); a dispatch to an incident the key marks
 * false -3.  Each expected action takes the trainee's earliest matching
 * action on time, else the earliest late one.  The total is the sum; the
 * maximum 10 per expected action.
 */
#define DRL_POINTS_ON_TIME 10
#define DRL_POINTS_LATE 5
#define DRL_POINTS_WRONG_PATROL 5
#define DRL_POINTS_WRONG_PATROL_LATE 2
#define DRL_POINTS_ON_FALSE (-3)
#define DRL_LATE_CAP_S 600.0

typedef enum drl_verdict {
    DRL_ON_TIME = 0,
    DRL_LATE,
    DRL_WRONG_PATROL,         /* on time or late, another patrol */
    DRL_MISSED
} drl_verdict;

typedef struct drl_scored_action {
    char id[16];              /* the key's action id ("A3") */
    char action[16];          /* dispatch, call_victim, escalate */
    long long incident;       /* 0: none */
    int case_id;              /* 0: the centre */
    double due_s;             /* seconds after the drill's start */
    drl_verdict verdict;
    double late_s;            /* after the deadline (LATE, WRONG_PATROL) */
    long line;                /* the trainee's line that did it (0: none) */
    char patrol[64];          /* the trainee's patrol (dispatch) */
    char right_patrol[64];
    double extra_m;           /* WRONG_PATROL: his patrol's distance minus the right one's */
    int points;
} drl_scored_action;

typedef struct drl_note {     /* a trainee line that matched nothing expected */
    long line;
    double t_s;
    char action[16];
    long long incident;
    int case_id;
    int on_false;             /* acted on an incident the key marks false */
    int unknown;              /* names an incident the drill does not have */
} drl_note;

typedef struct drl_score {
    char trainee[256];        /* the action log's path */
    drl_scored_action *actions;
    size_t n_actions;
    drl_note *notes;
    size_t n_notes;
    int on_time, late, wrong_patrol, missed, on_false, unknown;
    int missed_escalations;
    int total, max;
} drl_score;

/*
 * Score one action log (JSON lines: {"t": seconds after the start, or
 * "time": "HH:MM:SS" local, "action": "dispatch" | "call_victim" |
 * "escalate", "incident": N, "case": N, "patrol": "name"}) against a
 * drill's key.  A malformed line is DRL_EINVAL with err naming the file and
 * line; an unknown incident is a note, not an error.
 */
int drl_score_file(drl_score *sc, const char *drill_json, const char *actions_path, char *err, size_t n);
void drl_score_free(drl_score *sc);
/* The score as text (the word "missed" for each missed action) or JSON. */
void drl_score_print(FILE *f, const drl_score *sc);
int drl_score_write_json(FILE *f, const drl_score *scores, size_t n);
/* A class: one line per trainee. */
void drl_score_print_table(FILE *f, const drl_score *scores, size_t n);

#endif /* PW_DRILL_H */
