/*
 * lua_internal.h - what the scenario language's files share (prefix scl_):
 * the builder that API calls fill, the userdata of places, legs, actors
 * and subway lines, and the strict field readers that give the language
 * one voice for its errors.  Not for other modules: they see scenario.h.
 *
 * The files, one per group of bindings:
 *   lua.c         the sandbox (limits, bounded patterns), scenario { },
 *                 loading and validation, callbacks at run time
 *   lua_fields.c  field readers: numbers, strings, durations, times,
 *                 places, booleans, unknown-field checks
 *   lua_places.c  place(), offset(), station(), subway_line(), the
 *                 station table
 *   lua_zones.c   exclusion_zone(), environment(), schedules
 *   lua_actors.c  walk(), drive(), bus(), subway(), wait(), offender(),
 *                 victim(), patrol()
 *   lua_cases.c   case(), dispatchers(), call()
 *   lua_faults.c  tamper(), battery_death(), device_off(), panic(),
 *                 network_outage(), centre_outage(), at(), every(),
 *                 param(), and the actors' methods in callbacks
 *   lua_expect.c  expect { }
 *   lua_drill.c   drill { }, level(), by_level { }, vary(), vary_place(),
 *                 choose(), inject { } (drill templates)
 * Each group registers its globals (and metatables) with scl_open_GROUP.
 *
 * Errors are raised with luaL_error, whose "file:line:" prefix is the
 * script line that called the API.
 *
 * May include: scenario.h, scn_internal.h, pw_grow.h, Lua 5.4, libc.
 */
#ifndef PW_SCN_LUA_INTERNAL_H
#define PW_SCN_LUA_INTERNAL_H

#include "scenario.h"
#include "scn_internal.h"
#include "pw_grow.h"

#include <lauxlib.h>
#include <lua.h>

#include <stddef.h>

#define MT_PLACE "pw.Place"
#define MT_LEG "pw.Leg"
#define MT_ACTOR "pw.Actor"
#define MT_LINE "pw.SubwayLine"
#define BUILDER_KEY "pw.builder"
#define HOOKS_KEY "pw.hooks"

/* Growable arrays of the builder (pw_grow.h). */
#define VEC(T) struct { T *v; size_t n, cap; }

#define VEC_PUSH(L, vec, item)                                                              \
    do {                                                                                    \
        if (pw_grow((void **)&(vec).v, &(vec).cap, (vec).n + 1, sizeof *(vec).v) != 0) \
            luaL_error((L), "out of memory");                                               \
        (vec).v[(vec).n++] = (item);                                                        \
    } while (0)

typedef struct station {
    char line[64];   /* "2호선" */
    char name[64];   /* "잠실(송파구청)" */
    scn_point p;
} station;

typedef char station_name[64];

typedef struct named_zone {
    char name[64];
    int line;
    eng_zone_def def;
} named_zone;

typedef struct builder {
    const char *file;
    const scn_options *opts;
    int have_meta;
    int meta_line;
    scn_scenario *s;               /* metadata goes straight here */
    pw_time_ms start_local_midnight; /* UTC ms of local midnight of the start day */
    VEC(station) stations;
    VEC(scn_point) points;
    VEC(scn_leg) legs;
    VEC(scn_actor) actors;
    VEC(int) actor_lines;
    VEC(scn_env_zone) env_zones;
    VEC(scn_safe_place) safe_places;
    VEC(scn_subway_line) lines;
    VEC(station_name) station_names;
    VEC(named_zone) zones;
    VEC(scn_case) cases;
    VEC(int) case_lines;
    VEC(scn_event) events;
    VEC(scn_timer) timers;
    int have_dispatch;
    VEC(scn_expect) expects;
    VEC(scn_call) calls;
    VEC(scn_draw) draws;
    VEC(scn_inject) injects;
    int expect_line;               /* line of the expect { } block, 0 before it */
} builder;

/* A route leg under construction: kept in its userdata until an actor takes it. */
enum { LEG_MAX_POINTS = 256 };
typedef struct leg_ud {
    scn_leg leg;
    size_t n_points;
    scn_point pts[LEG_MAX_POINTS];
    int line;             /* script line, for late errors */
} leg_ud;

typedef struct actor_ud {
    size_t index;
} actor_ud;

typedef struct line_ud {
    size_t index;         /* into builder lines */
} line_ud;


/* ---- the builder (lua_fields.c) ---- */

/* The builder of the script being loaded; an error in a callback (the
 * scenario is loaded: nothing may be declared any more). */
builder *scl_get_builder(lua_State *L);
/* The script line that called the API function (0 unknown). */
int scl_current_line(lua_State *L);
/* An error unless scenario { } came first. */
void scl_require_meta(lua_State *L, builder *b, const char *what);

/* ---- strict field readers (lua_fields.c) ----
 * `what` names the API function in errors, `k` the field of the table at
 * stack index idx.  A field of the wrong type or out of [lo, hi] is an
 * error naming both; an absent one gives dflt. */
void scl_check_table_arg(lua_State *L, const char *what);
/* Reject fields of table idx that are not in `allowed` (NULL-terminated),
 * naming the fields it knows. */
void scl_check_fields(lua_State *L, int idx, const char *what, const char *const *allowed);
int scl_field_present(lua_State *L, int idx, const char *k);
double scl_field_number(lua_State *L, int idx, const char *what, const char *k, double dflt,
                        double lo, double hi);
const char *scl_field_string(lua_State *L, int idx, const char *what, const char *k, const char *dflt);
/* A duration: "90s", "5m", "1h30m", "+20m", or a number of seconds; ms. */
pw_time_ms scl_to_duration(lua_State *L, int idx, const char *what, const char *k);
pw_time_ms scl_field_duration(lua_State *L, int idx, const char *what, const char *k, pw_time_ms dflt);
/* A time: "08:15", "08:15:30" on the start day, a local date and time, or
 * seconds after the start; UTC ms. */
pw_time_ms scl_to_time(lua_State *L, builder *b, int idx, const char *what, const char *k);
pw_time_ms scl_field_time(lua_State *L, builder *b, int idx, const char *what, const char *k,
                          pw_time_ms dflt);
scn_point scl_check_place(lua_State *L, int idx, const char *what, const char *k);
scn_point scl_field_place(lua_State *L, int idx, const char *what, const char *k, int required,
                          int *present);
/* true or false only: "false" and 0 are errors. */
int scl_field_bool(lua_State *L, int idx, const char *what, const char *k, int dflt);

/* ---- the groups ---- */

/* The station table (CSV line,station,lat,lon) into b; 0, or -1 with err
 * naming the file and line (lua_places.c). */
int scl_load_stations(builder *b, const char *path, scn_error *err);
/* The actor that field k of table idx names (lua_actors.c). */
size_t scl_field_actor(lua_State *L, int idx, const char *what, const char *k);

void scl_open_places(lua_State *L);
void scl_open_zones(lua_State *L);
void scl_open_actors(lua_State *L);
void scl_open_cases(lua_State *L);
void scl_open_faults(lua_State *L);
void scl_open_expect(lua_State *L);
void scl_open_drill(lua_State *L);
/* call { } from table idx (lua_cases.c): its index in b->calls. */
size_t scl_add_call(lua_State *L, builder *b, int idx, const char *what);
/* A place userdata on the stack (lua_places.c). */
void scl_push_place(lua_State *L, scn_point p);

#endif /* PW_SCN_LUA_INTERNAL_H */
