/*
 * scenario.h - a city scenario as plain C data, and the sandboxed Lua loader
 * that builds one (prefix scn_).
 *
 * A scenario file (Lua 5.4, see scenarios/README.md) describes places,
 * routes, zones, subway rides, actors (offenders with ankle tags, victims
 * with phones, patrol units), cases, dispatchers, timed events and what a
 * run of it must show (expect { }, checked by eval/expect.h).  The
 * loader runs it in a sandbox and turns it into an scn_scenario: arrays of
 * plain structs that the simulator reads and never changes.  Positions are
 * WGS84 degrees; times are pw_time_ms (UTC); durations are milliseconds.
 * May include: engine.h, Lua 5.4 (liblua5.4), libc; its only I/O is
 * reading the scenario file it is given and the subway stations table
 * (scn_options.stations_csv, or the bundled one).
 *
 * Example
 *   scn_scenario s; scn_error err;
 *   if (scn_load_file(&s, "scenarios/default.lua", &opts, &err) != SCN_OK)
 *       fprintf(stderr, "%s\n", err.message);   // "default.lua:12: unknown field 'radus'"
 *   ... sim_run(&s, ...); scn_free(&s);
 */
#ifndef PW_SCENARIO_H
#define PW_SCENARIO_H

#include "engine.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum scn_status {
    SCN_OK = 0,
    SCN_EIO = -1,       /* the file cannot be read */
    SCN_ESYNTAX = -2,   /* Lua syntax error */
    SCN_ERUNTIME = -3,  /* the script raised an error, or broke an API rule */
    SCN_ELIMIT = -4,    /* instruction or memory limit reached */
    SCN_ENOMEM = -5     /* the loader itself ran out of memory */
} scn_status;

const char *scn_strerror(scn_status s);

/* What went wrong, for the user: "FILE:LINE: what" (LINE where known). */
typedef struct scn_error {
    char message[512];
    char file[256];
    int line;            /* 0 when unknown */
} scn_error;

/* GNSS environment of a place (devices/ models each one). */
typedef enum scn_env {
    SCN_ENV_OPEN = 0,       /* open sky, suburban */
    SCN_ENV_URBAN_LIGHT,    /* light urban canyon */
    SCN_ENV_URBAN_HEAVY,    /* heavy urban canyon (Teheran-ro, Yeouido towers) */
    SCN_ENV_INDOOR,
    SCN_ENV_TUNNEL,         /* underground: no GNSS at all */
    SCN_ENV_COUNT
} scn_env;

typedef enum scn_mode {
    SCN_WALK = 0,
    SCN_DRIVE,
    SCN_BUS,
    SCN_SUBWAY,
    SCN_MODE_COUNT
} scn_mode;

typedef struct scn_point {
    double lat, lon; /* degrees */
} scn_point;

/*
 * One leg of an itinerary.  A leg moves from where the actor is to the last
 * of its points, through the others in order, at a speed drawn once per leg
 * uniformly from [speed_min, speed_max] (equal for a fixed speed), then waits
 * dwell_ms.  A leg with no points is a pure wait.  Subway legs are built
 * from a line's stations: their points are the stations after the boarding
 * one, up to the alighting one; dwell_stop_ms is the stop at each
 * intermediate station, and `underground` marks the whole ride (and the
 * leg's own dwell) as a tunnel, so a route should walk out of the station
 * after a ride.  depart_at (UTC ms, or -1) holds the leg until that time:
 * "leave home at 08:10"; it is absolute, so in a looping route it holds
 * only the first pass.
 */
typedef struct scn_leg {
    scn_mode mode;
    double speed_min_mps, speed_max_mps;
    size_t first_point, n_points;   /* into scn_scenario.points */
    pw_time_ms dwell_ms;            /* wait at the end of the leg */
    pw_time_ms dwell_stop_ms;       /* subway: stop at each intermediate station */
    pw_time_ms depart_at;           /* -1: right after the previous leg */
    int underground;                /* the leg is a tunnel (GNSS lost) */
    int line;                       /* index into subway_lines, -1 if none */
} scn_leg;

typedef enum scn_role { SCN_OFFENDER = 1, SCN_VICTIM, SCN_PATROL } scn_role;

/* The language's words for them, as scripts and outputs write them:
 * "open", "urban_light", "urban_heavy", "indoor", "tunnel"; "walk",
 * "drive", "bus", "subway"; "offender", "victim", "patrol".  NULL out of
 * range. */
const char *scn_env_name(scn_env e);
const char *scn_mode_name(scn_mode m);
const char *scn_role_name(scn_role r);

/* An emulated device: an ankle tag (offenders) or a phone (victims). */
typedef struct scn_device {
    /* What the scenario said.  A duration of 0 or a number that is NAN was
     * not set: the simulator takes it from the one table of device defaults
     * (dev_unit_config_default in devices/), so that the defaults are written
     * once. */
    pw_time_ms interval_rest_ms;     /* fix period while not moving */
    pw_time_ms interval_moving_ms;   /* fix period while moving */
    pw_time_ms interval_pursuit_ms;  /* tags: when the engine asks (alarm) */
    pw_time_ms heartbeat_ms;         /* status (battery, tamper) period */
    pw_time_ms signal_timeout_ms;    /* no GNSS fix for this long while moving:
                                        signal lost (engine no_gnss_ms) */
    double battery_start_pct;        /* 0..100 */
    double drain_pct_per_hour;       /* idle drain */
    double drain_pct_per_fix;        /* cost of one fix and its upload */
    double net_delay_mean_ms;        /* one-way network delay, mean */
    double net_loss;                 /* probability a report is lost (0..1) */
    double accuracy_scale;           /* multiplies the GNSS error model (1 = nominal) */
} scn_device;

typedef struct scn_actor {
    pw_id id;                        /* device id given to the engine */
    char name[64];
    scn_role role;
    scn_point start;                 /* where it is at the scenario start */
    size_t first_leg, n_legs;        /* into scn_scenario.legs */
    int loop;                        /* repeat the itinerary */
    scn_device device;               /* unused for patrols */
    double patrol_speed_mps;         /* patrols: driving speed */
    double patrol_detour;            /* patrols: straight line x detour */
} scn_actor;

/* A GNSS environment zone: a circle or a polygon. */
typedef struct scn_env_zone {
    scn_env env;
    int is_circle;
    scn_point center;
    double radius_m;
    size_t first_point, n_points;    /* polygon, into points */
    double street_bearing_deg;       /* canyons: the street's axis, NAN if unknown */
} scn_env_zone;

/* A safe place the victim's app shows: a police box or a staffed station. */
typedef struct scn_safe_place {
    char name[64];
    char kind[24];                   /* "police_box", "police_station" or "staffed" */
    scn_point at;
    int line;                        /* in the scenario file */
} scn_safe_place;

typedef struct scn_subway_line {
    char name[64];                   /* "2호선" (line 2), "9호선(연장)" */
    size_t first_point, n_points;    /* stations in order, into points */
    size_t first_name;               /* station names, into station_names */
} scn_subway_line;

typedef enum scn_event_kind {
    SCN_EV_TAMPER = 1,               /* strap cut */
    SCN_EV_BATTERY_DEATH,            /* battery at 0 now */
    SCN_EV_DEVICE_OFF,               /* switched off (announced) */
    SCN_EV_PANIC,                    /* victim presses the panic button */
    SCN_EV_CENTRE_OUTAGE,            /* monitoring centre down [at, until) */
    SCN_EV_NETWORK_OUTAGE,           /* actor's network down [at, until) */
    SCN_EV_GNSS_OUTAGE               /* actor's receiver sees no satellites [at, until):
                                        a road tunnel, a shielded bag (its cell
                                        position still works) */
} scn_event_kind;

typedef struct scn_event {
    scn_event_kind kind;
    pw_time_ms at, until;            /* until: outages only, else 0 */
    size_t actor;                    /* index into actors; outages of the centre: SIZE_MAX */
} scn_event;

typedef struct scn_case {
    size_t offender, victim;         /* indices into actors */
    eng_case_def def;                /* rule parameters and exclusion zones (ids set) */
} scn_case;

typedef enum scn_dist { SCN_DIST_FIXED = 0, SCN_DIST_EXPONENTIAL, SCN_DIST_UNIFORM } scn_dist;

/* An unrelated 112 call (call { }, or a drill's call inject): not a
 * protection case, but it takes a dispatcher and the nearest free patrol,
 * which stays on_scene_ms where it was sent. */
typedef struct scn_call {
    pw_time_ms at;
    scn_point place;
    pw_time_ms on_scene_ms;
    char what[64];                   /* "교통사고 (traffic accident)" */
    int line;
} scn_call;

typedef struct scn_dispatch {
    int dispatchers;                 /* 112 call-takers on shift */
    scn_dist handling;               /* handling-time distribution */
    pw_time_ms handling_mean_ms;     /* mean (fixed value for FIXED) */
    pw_time_ms handling_min_ms, handling_max_ms; /* UNIFORM */
} scn_dispatch;

/* A script callback: at(TIME, fn) runs once, every(PERIOD, fn) repeats from
 * the start (or from `at`) to the end of the scenario. */
typedef struct scn_timer {
    pw_time_ms at;                   /* first run, UTC */
    pw_time_ms every_ms;             /* 0: once */
    int line;                        /* where it was declared */
    int ref;                         /* the function, in the Lua registry */
} scn_timer;

/*
 * What a scenario says a planner should see after a run: expect { ... }
 * (scenarios/README.md, "Expectations").  Each measure is one figure of the
 * run's report (eval_report) or of its event counts; eval/expect.c reads the
 * value after a run and compares it.  The names below are the keys of the
 * language; the order of the enum is the order results are listed in.
 */
typedef enum scn_measure {
    /* breaches (counts) */
    SCN_M_TRUE_BREACHES = 0, SCN_M_DETECTED, SCN_M_MISSED, SCN_M_MISSED_SHORT,
    /* alert episodes (counts; false_per_offender_day a rate) */
    SCN_M_ALERT_EPISODES, SCN_M_TRUE_ALERTS, SCN_M_FALSE_ALERTS, SCN_M_FALSE_PER_OFFENDER_DAY,
    SCN_M_FALSE_NOISE_JUMP, SCN_M_FALSE_URBAN_CANYON, SCN_M_FALSE_TUNNEL_EXIT,
    SCN_M_FALSE_CELL_FALLBACK, SCN_M_FALSE_DEVICE_FAULT, SCN_M_FALSE_OTHER,
    /* latencies (durations): the longest, the 95th percentile, the median */
    SCN_M_BREACH_TO_ALERT, SCN_M_BREACH_TO_ALERT_P95, SCN_M_BREACH_TO_ALERT_MEDIAN,
    SCN_M_ALERT_TO_VICTIM, SCN_M_ALERT_TO_VICTIM_P95, SCN_M_ALERT_TO_VICTIM_MEDIAN,
    SCN_M_ALERT_TO_DISPATCH, SCN_M_ALERT_TO_DISPATCH_P95, SCN_M_ALERT_TO_DISPATCH_MEDIAN,
    SCN_M_DISPATCH_TO_SCENE, SCN_M_DISPATCH_TO_SCENE_P95, SCN_M_DISPATCH_TO_SCENE_MEDIAN,
    /* the victim's view and the audit log */
    SCN_M_EXPOSURE, SCN_M_DISCLOSURES, SCN_M_UNAUTHORIZED_DISCLOSURES,
    /* the 112 desk and the patrols */
    SCN_M_INCIDENTS, SCN_M_INCIDENTS_PER_DISPATCHER_HOUR, SCN_M_PEAK_INCIDENTS,
    SCN_M_QUEUE_WAIT_MEDIAN, SCN_M_QUEUE_WAIT_P95, SCN_M_PATROLS_SENT, SCN_M_PATROLS_ON_SCENE,
    SCN_M_PATROL_TIME_ON_FALSE,
    /* device health (counts of engine events) */
    SCN_M_SIGNAL_LOST, SCN_M_CONTACT_LOST, SCN_M_TAMPER, SCN_M_BATTERY_LOW, SCN_M_DEVICE_OFF,
    /* other engine events (counts) */
    SCN_M_PREWARNINGS, SCN_M_ESCALATIONS, SCN_M_VICTIM_WARNINGS,
    SCN_M_COUNT
} scn_measure;

/* How a measure is counted, and so which values its key takes. */
typedef enum scn_unit {
    SCN_UNIT_COUNT = 0,     /* a whole number >= 0 */
    SCN_UNIT_RATE,          /* a number >= 0 (per offender-day, per dispatcher-hour) */
    SCN_UNIT_SECONDS        /* a duration: "90s", "4m" or a number of seconds */
} scn_unit;

/* The key of measure m ("true_breaches"), or NULL out of range. */
const char *scn_measure_name(scn_measure m);
scn_unit scn_measure_unit(scn_measure m);
/* One line a planner reads: what the measure counts. */
const char *scn_measure_help(scn_measure m);

/*
 * One expectation: lo <= measured <= hi.  NAN means no bound on that side
 * (at least one side is set); lo == hi means exactly.  Bounds are in the
 * measure's unit, durations in seconds (like report.json).
 */
typedef struct scn_expect {
    scn_measure measure;
    double lo, hi;
    char key[64];                    /* the key as written: "breach_to_alert_max" */
    int line;                        /* the line of its expect { } block */
} scn_expect;

/*
 * Drill templates (scenarios/drills/README.md).  A template is a scenario
 * with drill { }, randomisation ranges (vary, vary_place, choose) and
 * inject { }s.  Loaded with scn_options.uniform, each range draws a value
 * from it and is listed here in the order the script asked; without it a
 * range gives its middle (a choice its first option, a place its centre),
 * so a template runs as a plain scenario.
 */
typedef enum scn_draw_kind {
    SCN_DRAW_NUMBER = 0,             /* vary("name", lo, hi) */
    SCN_DRAW_TIME,                   /* vary("name", "07:40", "07:55"): UTC ms */
    SCN_DRAW_DURATION,               /* vary("name", "2m", "6m"): seconds */
    SCN_DRAW_CHOICE,                 /* choose("name", {...}): index 0..n-1 */
    SCN_DRAW_PLACE                   /* vary_place("name", place, metres): metres from it */
} scn_draw_kind;

typedef struct scn_draw {
    char name[64];
    scn_draw_kind kind;
    double lo, hi;                   /* the range: numbers, UTC ms, seconds,
                                        0..n-1, or 0..radius (m) */
    double value;                    /* what was drawn, in the same unit */
    scn_point place;                 /* SCN_DRAW_PLACE: the point drawn */
    scn_point centre;                /* SCN_DRAW_PLACE: the range's centre */
    int line;
} scn_draw;

/* Difficulty levels of a drill: an inject appears at its level and above. */
enum { SCN_LEVEL_EASY = 1, SCN_LEVEL_NORMAL = 2, SCN_LEVEL_HARD = 3 };
/* "easy", "normal", "hard"; NULL out of range. */
const char *scn_level_name(int level);
/* The level of a name, or 0. */
int scn_level_parse(const char *name);

/* What a drill injects; each becomes a scenario event or zone (scenarios/
 * drills/README.md lists what each does and what the trainee should do). */
typedef enum scn_inject_kind {
    SCN_INJ_TAMPER = 1,              /* the offender's strap is cut (tamper event) */
    SCN_INJ_PANIC,                   /* the victim presses her panic button */
    SCN_INJ_TUNNEL,                  /* the actor's GNSS is lost [at, until) */
    SCN_INJ_CANYON,                  /* an urban canyon (circle) where a false alert may come from;
                                        [at, until) is when it is expected */
    SCN_INJ_BATTERY,                 /* the actor's battery dies */
    SCN_INJ_OUTAGE,                  /* the monitoring centre is down [at, until) */
    SCN_INJ_CALL,                    /* an unrelated 112 call at `place` (a scn_call) */
    SCN_INJ_KIND_COUNT
} scn_inject_kind;
/* "tamper", "panic", "tunnel", "canyon", "battery", "outage", "call"; NULL out of range. */
const char *scn_inject_name(scn_inject_kind k);

typedef struct scn_inject {
    scn_inject_kind kind;
    char name[64];                   /* the trainer's label */
    pw_time_ms at, until;            /* until: 0 for an instant */
    size_t actor;                    /* SIZE_MAX: none (outage, canyon) */
    scn_point place;                 /* canyon: its centre; call: where */
    double radius_m;                 /* canyon: its radius */
    double street_bearing_deg;       /* canyon: its street's axis (NAN unknown) */
    size_t call;                     /* call: index into calls */
    int level;                       /* SCN_LEVEL_*: the lowest level it appears at */
    char who[32];                    /* who speaks on its page ("victim", "centre", ...) */
    char says_ko[256], says_en[256]; /* what they say (may be empty) */
    int line;
} scn_inject;

typedef struct scn_drill {
    int present;                     /* the script has drill { } */
    int line;
    int level;                       /* SCN_LEVEL_* it was loaded at */
    char title[128];
    char trains[512];                /* what it trains */
    char briefing_ko[512], briefing_en[512];
} scn_drill;

typedef struct scn_scenario {
    char name[128];
    char file[256];                  /* where it was loaded from */
    pw_time_ms start;                /* UTC */
    int utc_offset_min;              /* local time = UTC + offset */
    pw_time_ms duration_ms;
    uint64_t seed;
    scn_point origin;                /* region origin of the engine's frame */

    scn_point *points;          size_t n_points;
    scn_leg *legs;              size_t n_legs;
    scn_actor *actors;          size_t n_actors;
    scn_env_zone *env_zones;    size_t n_env_zones;
    scn_safe_place *safe_places; size_t n_safe_places;
    scn_subway_line *lines;     size_t n_lines;
    char (*station_names)[64];  size_t n_station_names;
    scn_case *cases;            size_t n_cases;
    scn_event *events;          size_t n_events;
    scn_timer *timers;          size_t n_timers;
    scn_dispatch dispatch;
    scn_call *calls;            size_t n_calls;   /* in the order declared */
    /* expect { ... }: in the order of scn_measure, at most one per measure */
    scn_expect *expects;        size_t n_expects;
    /* drill templates: drill { }, the draws made, the injects of its level */
    scn_drill drill;
    scn_draw *draws;            size_t n_draws;
    scn_inject *injects;        size_t n_injects;

    void *lua;                       /* private: the Lua state, kept for at/every callbacks */
    void *lua_limits;                /* private: its memory and instruction budget */
} scn_scenario;

/* Loader options. */
typedef struct scn_options {
    uint64_t seed;                   /* overrides the scenario's seed when has_seed */
    int has_seed;
    const char *stations_csv;        /* subway stations table (NULL: the bundled one) */
    uint64_t max_instructions;       /* Lua VM instructions to load the scenario
                                        (0: 100 million), and of any one callback */
    uint64_t max_run_instructions;   /* all at/every callbacks of a run together
                                        (0: 1,000 million) */
    size_t max_memory;               /* Lua heap bytes (0: 256 MiB) */
    /* Values for param(NAME, DEFAULT) in the script (sweeps); param_used
     * (may be NULL) gets 1 for each one the script asked for. */
    size_t n_params;
    const char *const *param_names;
    const double *param_values;
    int *param_used;
    /* Drill templates: draws for vary/choose/vary_place (NULL: each range's
     * middle) and the difficulty (0: SCN_LEVEL_NORMAL). */
    double (*uniform)(void *ctx);    /* in [0, 1) */
    void *uniform_ctx;
    int level;
} scn_options;

/* Load and validate a scenario.  On error nothing is left allocated and err
 * says file:line: what. */
scn_status scn_load_file(scn_scenario *s, const char *path, const scn_options *opts,
                         scn_error *err);
/* The same from a string; `chunkname` names it in messages. */
scn_status scn_load_string(scn_scenario *s, const char *code, const char *chunkname,
                           const scn_options *opts, scn_error *err);
void scn_free(scn_scenario *s);

/*
 * What a callback may do to the running simulation.  The simulator provides
 * it; the script reaches it through actor methods (o:tamper(),
 * o:battery_dies(), o:power_off(), v:panic(), o:network_outage("10m")) and
 * centre_outage("5m"), which work only inside at/every callbacks.  `until`
 * is set for outages only.
 */
typedef struct scn_hooks {
    void *ctx;
    void (*event)(void *ctx, scn_event_kind kind, size_t actor, pw_time_ms until);
} scn_hooks;

/* Run timer i at `now`.  A script error stops nothing already recorded: it
 * returns SCN_ERUNTIME with file:line in err, and the caller decides. */
scn_status scn_run_timer(scn_scenario *s, size_t i, pw_time_ms now, const scn_hooks *hooks,
                         scn_error *err);

/* Move every absolute time of the scenario by delta ms (live mode starts
 * it at the receiver's clock).  Weekly zone schedules stay as they are. */
void scn_shift_time(scn_scenario *s, pw_time_ms delta);

/* Parse "90s", "15m", "2h", "1h30m", "250ms" or a bare number of seconds
 * into ms; -1 on a malformed string. */
pw_time_ms scn_parse_duration(const char *text);

#ifdef __cplusplus
}
#endif
/* The Lua release the loader was built with ("Lua 5.4.4" -> "5.4.4"). */
const char *scn_lua_release(void);

#endif /* PW_SCENARIO_H */
