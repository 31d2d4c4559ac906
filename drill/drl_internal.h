/*
 * drl_internal.h - what the drill's files share: a variant (its scenario,
 * the engine's events, the run read back), its timeline and its key.
 *   drill.c   variants: draw, run, check the injects showed
 *   key.c     the timeline and the key from the events
 *   json.c    drill-K.json
 *   pages.c   drill-K.pdf (trainee) and drill-K-key.pdf (trainer)
 *   score.c   scoring action logs
 * Not for other modules: they see drill.h.
 */
#ifndef PW_DRL_INTERNAL_H
#define PW_DRL_INTERNAL_H

#include "drill.h"
#include "render.h"
#include "scenario.h"

typedef struct drl_event {
    pw_event ev;
    double near_m;             /* tamper: his newest fix to his victim's (NAN unknown) */
} drl_event;

typedef enum drl_action_kind { DRL_DISPATCH = 0, DRL_CALL_VICTIM, DRL_ESCALATE, DRL_ACTION_COUNT } drl_action_kind;
/* "dispatch", "call_victim", "escalate" */
const char *drl_action_name(drl_action_kind k);
int drl_action_parse(const char *name);      /* -1 unknown */

typedef struct drl_patrol_option {          /* a patrol at the moment of a dispatch */
    char name[64];
    double distance_m;                       /* to the victim's pin, straight */
    int free;
} drl_patrol_option;

#define DRL_MAX_PATROLS 32
typedef struct drl_action {
    char id[16];
    drl_action_kind kind;
    int case_id;                             /* 0: the centre */
    long long incident;                      /* 0: none */
    pw_time_ms from, due;
    char patrol[64];                         /* dispatch: the nearest free one ("" none free) */
    drl_patrol_option patrols[DRL_MAX_PATROLS];
    size_t n_patrols;
    pw_time_ms patrols_at;                   /* when the patrols' places and states were taken */
    int reason;                              /* escalate: the fault (pw_event_type), 0 none */
    int is_false;                            /* the incident's alert was false */
    char rule[160];                          /* the rule, in words */
    char because[160];                       /* the event that asks for it */
} drl_action;

typedef struct drl_entry {                   /* a line of the timeline */
    pw_time_ms t;
    char what[32];                           /* event type, "inject", "dispatched", "on_scene" */
    int case_id;
    long long incident;
    int inject;                              /* index into s.injects, -1 none */
    char text[200];
} drl_entry;

/* An alarm the desk handled by phone: the case and when it opened. */
typedef struct drl_phone {
    pw_id case_id;
    pw_time_ms open;
} drl_phone;

typedef struct drl_variant {
    int k, attempt, valid;
    int passes;                              /* runs until the desk's false alarms were the truth's */
    uint64_t seed;                           /* the run's seed */
    char why[320];                           /* invalid: which inject did not show */
    char dir[1024];                          /* the run folder */
    scn_scenario s;
    drl_event *events;
    size_t n_events, cap_events;
    pw_time_ms *shown;                       /* per inject: when the console shows it */
    rnd_run run;
    rnd_console_feed feed;
    drl_action *actions;
    size_t n_actions, cap_actions;
    drl_entry *timeline;
    size_t n_timeline, cap_timeline;
    pw_time_ms *moments;                     /* the trainee's pages after the briefing, in time order */
    size_t n_moments;
} drl_variant;

/* Moments within this of an earlier one share its page. */
#define DRL_PAGE_MERGE_MS 5000
/* The trainee's page (1 the briefing) that shows the moment t: the last
 * page whose moment is at or before t. */
int drl_page_of(const drl_variant *v, pw_time_ms t);

void drl_variant_free(drl_variant *v);
/* The timeline and the key (key.c).  0 or DRL_ENOMEM. */
int drl_build_key(drl_variant *v);
/* What an action is about, in words: "incident #3", "case 1", "the centre". */
void drl_target_text(long long incident, int case_id, char *buf, size_t n);
/* Why a false alert of this cause (eval's names) was false, in words. */
const char *drl_cause_why(const char *cause);
/* The name of a device's actor ("?" unknown). */
const char *drl_actor_name(const scn_scenario *s, pw_id device);
int drl_write_json(const drl_variant *v, const drl_options *o, char *err, size_t n);
int drl_write_pdfs(const drl_variant *v, const drl_options *o, const rnd_basemap *base, char *err, size_t n);
/* The protocol the key follows, a sentence a rule (json.c). */
extern const char *const drl_protocol[];
extern const size_t drl_n_protocol;

#endif /* PW_DRL_INTERNAL_H */
