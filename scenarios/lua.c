/*
 * lua.c - the scenario language: a sandboxed Lua 5.4 state whose API
 * functions fill a builder, then validation and conversion to scn_scenario.
 *
 * Every API function checks its argument table field by field and rejects
 * unknown fields, so a typo is an error at the line that made it rather than
 * a silently ignored setting.  Errors are raised with luaL_error, whose
 * "file:line:" prefix is the script line that called the API.
 *
 * It is one file over 800 lines because every construct, expect { }
 * included, shares the builder and the strict field readers (check_fields,
 * to_duration, to_time) that give the language one voice for its errors;
 * split, they would have to become an internal API of their own.  What needs
 * no Lua (parsing of times, the table of expect keys) is in scenario.c.
 */
#include "scenario.h"
#include "scn_internal.h"
#include "pw_grow.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MT_PLACE "pw.Place"
#define MT_LEG "pw.Leg"
#define MT_ACTOR "pw.Actor"
#define MT_LINE "pw.SubwayLine"
#define BUILDER_KEY "pw.builder"
#define HOOKS_KEY "pw.hooks"

/* ------------------------------------------------------------------ */
/* Growable arrays of the builder                                      */
/* ------------------------------------------------------------------ */

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
    VEC(scn_subway_line) lines;
    VEC(station_name) station_names;
    VEC(named_zone) zones;
    VEC(scn_case) cases;
    VEC(int) case_lines;
    VEC(scn_event) events;
    VEC(scn_timer) timers;
    int have_dispatch;
    VEC(scn_expect) expects;
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

static builder *get_builder(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, BUILDER_KEY);
    builder *b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!b)
        luaL_error(L, "the scenario is already loaded: declarations are not allowed in callbacks");
    return b;
}

static int current_line(lua_State *L)
{
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "l", &ar))
        return ar.currentline;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Field access with strict checking                                   */
/* ------------------------------------------------------------------ */

/* Reject fields of table `idx` that are not in `allowed` (NULL-terminated). */
static void check_fields(lua_State *L, int idx, const char *what, const char *const *allowed)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            if (lua_type(L, -1) == LUA_TNUMBER)
                luaL_error(L, "%s: unexpected list item; use name = value fields", what);
            luaL_error(L, "%s: field names must be strings", what);
        }
        const char *k = lua_tostring(L, -1);
        int ok = 0;
        for (const char *const *a = allowed; *a; a++)
            if (strcmp(*a, k) == 0)
                ok = 1;
        if (!ok) {
            char list[512] = "";
            for (const char *const *a = allowed; *a; a++) {
                if (strlen(list) + strlen(*a) + 3 >= sizeof list)
                    break;
                if (a != allowed)
                    strcat(list, ", ");
                strcat(list, *a);
            }
            luaL_error(L, "%s: unknown field '%s' (known: %s)", what, k, list);
        }
    }
}

static int field_present(lua_State *L, int idx, const char *k)
{
    int t = lua_getfield(L, idx, k);
    lua_pop(L, 1);
    return t != LUA_TNIL;
}

static double field_number(lua_State *L, int idx, const char *what, const char *k, double dflt,
                           double lo, double hi)
{
    int t = lua_getfield(L, idx, k);
    double v = dflt;
    if (t != LUA_TNIL) {
        if (t != LUA_TNUMBER)
            luaL_error(L, "%s: '%s' must be a number, got %s", what, k, luaL_typename(L, -1));
        v = lua_tonumber(L, -1);
        if (!isfinite(v) || v < lo || v > hi)
            luaL_error(L, "%s: '%s' = %f is out of range [%f, %f]", what, k, v, lo, hi);
    }
    lua_pop(L, 1);
    return v;
}

static const char *field_string(lua_State *L, int idx, const char *what, const char *k,
                                const char *dflt)
{
    int t = lua_getfield(L, idx, k);
    const char *v = dflt;
    if (t != LUA_TNIL) {
        if (t != LUA_TSTRING)
            luaL_error(L, "%s: '%s' must be a string, got %s", what, k, luaL_typename(L, -1));
        v = lua_tostring(L, -1);
    }
    lua_pop(L, 1); /* the string stays alive: it is in the argument table */
    return v;
}

/* A duration: "90s", "5m", "1h30m", or a number of seconds. */
static pw_time_ms to_duration(lua_State *L, int idx, const char *what, const char *k)
{
    pw_time_ms d;
    if (lua_type(L, idx) == LUA_TNUMBER) {
        double v = lua_tonumber(L, idx);
        if (!isfinite(v) || v < 0 || v > 3.0e10)
            luaL_error(L, "%s: '%s' = %f s is not a valid duration", what, k, v);
        d = (pw_time_ms)(v * 1000.0 + 0.5);
    } else if (lua_type(L, idx) == LUA_TSTRING) {
        d = scn_parse_duration(lua_tostring(L, idx));
        if (d < 0)
            luaL_error(L, "%s: '%s' = \"%s\" is not a duration (examples: \"90s\", \"5m\", \"1h30m\")",
                       what, k, lua_tostring(L, idx));
    } else {
        return luaL_error(L, "%s: '%s' must be a duration, got %s", what, k, luaL_typename(L, idx));
    }
    return d;
}

static pw_time_ms field_duration(lua_State *L, int idx, const char *what, const char *k,
                                 pw_time_ms dflt)
{
    pw_time_ms d = dflt;
    if (lua_getfield(L, idx, k) != LUA_TNIL)
        d = to_duration(L, -1, what, k);
    lua_pop(L, 1);
    return d;
}

/*
 * A time in the scenario: "08:15" (the first such local time at or after
 * the start), "+20m" (after the start), or "2026-03-02 08:15" (local).  It
 * must fall inside the scenario.
 */
static pw_time_ms to_time(lua_State *L, builder *b, int idx, const char *what, const char *k)
{
    if (!b->have_meta)
        luaL_error(L, "%s: '%s': declare scenario { start = ..., duration = ... } first", what, k);
    scn_scenario *s = b->s;
    if (lua_type(L, idx) != LUA_TSTRING)
        luaL_error(L, "%s: '%s' must be a time like \"08:15\" or \"+20m\", got %s", what, k,
                   luaL_typename(L, idx));
    const char *text = lua_tostring(L, idx);
    pw_time_ms t;
    int second;
    if (text[0] == '+') {
        pw_time_ms d = scn_parse_duration(text + 1);
        if (d < 0)
            luaL_error(L, "%s: '%s' = \"%s\" is not a time offset (example: \"+20m\")", what, k, text);
        t = s->start + d;
    } else if (scn_parse_time_of_day(text, &second)) {
        t = b->start_local_midnight + (pw_time_ms)second * 1000;
        while (t < s->start)
            t += 86400000;
    } else if (!scn_parse_local_datetime(text, s->utc_offset_min, &t)) {
        return luaL_error(L, "%s: '%s' = \"%s\" is not a time (examples: \"08:15\", \"+20m\", "
                          "\"2026-03-02 08:15\")", what, k, text);
    }
    if (t < s->start || t > s->start + s->duration_ms)
        luaL_error(L, "%s: '%s' = \"%s\" is outside the scenario, which runs %d min from its start",
                   what, k, text, (int)(s->duration_ms / 60000));
    return t;
}

static pw_time_ms field_time(lua_State *L, builder *b, int idx, const char *what, const char *k,
                             pw_time_ms dflt)
{
    pw_time_ms t = dflt;
    if (lua_getfield(L, idx, k) != LUA_TNIL)
        t = to_time(L, b, -1, what, k);
    lua_pop(L, 1);
    return t;
}

static scn_point check_place(lua_State *L, int idx, const char *what, const char *k)
{
    scn_point *p = luaL_testudata(L, idx, MT_PLACE);
    if (!p)
        luaL_error(L, "%s: '%s' must be a place (place(lat, lon) or station(line, name)), got %s",
                   what, k, luaL_typename(L, idx));
    return *p;
}

static scn_point field_place(lua_State *L, int idx, const char *what, const char *k, int required,
                             int *present)
{
    scn_point p = {NAN, NAN};
    int t = lua_getfield(L, idx, k);
    if (t == LUA_TNIL) {
        if (required)
            luaL_error(L, "%s: '%s' is required", what, k);
    } else {
        p = check_place(L, -1, what, k);
    }
    if (present)
        *present = t != LUA_TNIL;
    lua_pop(L, 1);
    return p;
}

/* A true/false field: "false" or 0 are not booleans here (Lua would take
 * both as true). */
static int field_bool(lua_State *L, int idx, const char *what, const char *k, int dflt)
{
    int t = lua_getfield(L, idx, k);
    int v = dflt;
    if (t == LUA_TBOOLEAN)
        v = lua_toboolean(L, -1);
    else if (t != LUA_TNIL)
        luaL_error(L, "%s: '%s' must be true or false, got %s", what, k, luaL_typename(L, -1));
    lua_pop(L, 1);
    return v;
}

static void check_table_arg(lua_State *L, const char *what)
{
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "%s expects a table: %s { ... }", what, what);
}

/* ------------------------------------------------------------------ */
/* Places and stations                                                 */
/* ------------------------------------------------------------------ */

static void push_place(lua_State *L, scn_point p)
{
    scn_point *u = lua_newuserdatauv(L, sizeof *u, 0);
    *u = p;
    luaL_setmetatable(L, MT_PLACE);
}

static void check_latlon(lua_State *L, const char *what, double lat, double lon)
{
    if (!isfinite(lat) || fabs(lat) > 90.0)
        luaL_error(L, "%s: latitude %f is out of range [-90, 90]", what, lat);
    if (!isfinite(lon) || fabs(lon) > 180.0)
        luaL_error(L, "%s: longitude %f is out of range [-180, 180]", what, lon);
}

/* place(lat, lon) or place { lat = , lon = } */
static int l_place(lua_State *L)
{
    double lat, lon;
    if (lua_type(L, 1) == LUA_TTABLE) {
        static const char *const allowed[] = {"lat", "lon", NULL};
        check_fields(L, 1, "place", allowed);
        if (!field_present(L, 1, "lat") || !field_present(L, 1, "lon"))
            luaL_error(L, "place: both 'lat' and 'lon' are required");
        lat = field_number(L, 1, "place", "lat", 0, -90, 90);
        lon = field_number(L, 1, "place", "lon", 0, -180, 180);
    } else {
        if (lua_type(L, 1) != LUA_TNUMBER || lua_type(L, 2) != LUA_TNUMBER)
            luaL_error(L, "place expects place(lat, lon) in degrees, e.g. place(37.4979, 127.0276)");
        lat = lua_tonumber(L, 1);
        lon = lua_tonumber(L, 2);
    }
    check_latlon(L, "place", lat, lon);
    push_place(L, (scn_point){lat, lon});
    return 1;
}

/* offset(place, {east = metres, north = metres}): a place so many metres
 * from another, on the local tangent plane (exact to a millimetre within a
 * few kilometres; see engine.h, eng_frame). */
static int l_offset(lua_State *L)
{
    scn_point *p = luaL_testudata(L, 1, MT_PLACE);
    if (!p)
        luaL_error(L, "offset expects offset(place, {east = m, north = m}), e.g. "
                      "offset(home, {east = 300, north = -120})");
    scn_point from = *p;
    if (lua_type(L, 2) != LUA_TTABLE)
        luaL_error(L, "offset: the second argument must be {east = m, north = m}");
    static const char *const allowed[] = {"east", "north", NULL};
    check_fields(L, 2, "offset", allowed);
    double east = field_number(L, 2, "offset", "east", 0, -100000, 100000);
    double north = field_number(L, 2, "offset", "north", 0, -100000, 100000);
    eng_frame fr;
    if (eng_frame_init(&fr, from.lat, from.lon) != ENG_OK)
        luaL_error(L, "offset: the place is too near a pole");
    scn_point to;
    eng_geo_to_wgs84(&fr, east, north, &to.lat, &to.lon);
    check_latlon(L, "offset", to.lat, to.lon);
    push_place(L, to);
    return 1;
}

static int l_place_tostring(lua_State *L)
{
    scn_point *p = luaL_checkudata(L, 1, MT_PLACE);
    lua_pushfstring(L, "place(%f, %f)", p->lat, p->lon);
    return 1;
}

static int l_place_index(lua_State *L)
{
    scn_point *p = luaL_checkudata(L, 1, MT_PLACE);
    const char *k = luaL_checkstring(L, 2);
    if (strcmp(k, "lat") == 0)
        lua_pushnumber(L, p->lat);
    else if (strcmp(k, "lon") == 0)
        lua_pushnumber(L, p->lon);
    else
        lua_pushnil(L);
    return 1;
}

/* "2", 2, "2호선", "Line 2" -> "2호선"; "9E" -> the line 9 extension. */
static void line_key(lua_State *L, int idx, char *out, size_t n)
{
    char raw[40];
    if (lua_type(L, idx) == LUA_TNUMBER)
        snprintf(raw, sizeof raw, "%d", (int)lua_tointeger(L, idx));
    else if (lua_type(L, idx) == LUA_TSTRING)
        snprintf(raw, sizeof raw, "%s", lua_tostring(L, idx));
    else {
        luaL_error(L, "a subway line is a number or a name like \"2\", got %s", luaL_typename(L, idx));
        return;
    }
    const char *r = raw;
    if (strncmp(r, "Line ", 5) == 0 || strncmp(r, "line ", 5) == 0)
        r += 5;
    if (strcmp(r, "9E") == 0 || strcmp(r, "9e") == 0)
        snprintf(out, n, "9호선(연장)");
    else if (strstr(r, "호선"))
        snprintf(out, n, "%s", r);
    else
        snprintf(out, n, "%s호선", r);
}

/* Exact name, or the name before its parenthesised note ("잠실" for
 * "잠실(송파구청)").  Line 9's extension counts as line 9. */
static const station *find_station(const builder *b, const char *line, const char *name)
{
    size_t ln = strlen(line);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < b->stations.n; i++) {
            const station *st = &b->stations.v[i];
            int line_ok = strcmp(st->line, line) == 0 ||
                          (strcmp(line, "9호선") == 0 && strncmp(st->line, line, ln) == 0);
            if (!line_ok)
                continue;
            if (pass == 0 && strcmp(st->name, name) == 0)
                return st;
            size_t nn = strlen(name);
            if (pass == 1 && strncmp(st->name, name, nn) == 0 && st->name[nn] == '(')
                return st;
        }
    }
    return NULL;
}

static int line_exists(const builder *b, const char *line)
{
    for (size_t i = 0; i < b->stations.n; i++)
        if (strcmp(b->stations.v[i].line, line) == 0)
            return 1;
    return 0;
}

static const station *check_station(lua_State *L, builder *b, const char *line, const char *name,
                                    const char *what)
{
    if (!line_exists(b, line))
        luaL_error(L, "%s: unknown subway line '%s' (Seoul lines 1-9, 9E)", what, line);
    const station *st = find_station(b, line, name);
    if (!st)
        luaL_error(L, "%s: unknown station '%s' on line %s", what, name, line);
    return st;
}

/* station(line, name) -> the station's place */
static int l_station(lua_State *L)
{
    builder *b = get_builder(L);
    char line[64];
    line_key(L, 1, line, sizeof line);
    const char *name = luaL_checkstring(L, 2);
    push_place(L, check_station(L, b, line, name, "station")->p);
    return 1;
}

/* subway_line { name = "2", stations = {"시청", "을지로입구", ...} } */
static int l_subway_line(lua_State *L)
{
    builder *b = get_builder(L);
    check_table_arg(L, "subway_line");
    static const char *const allowed[] = {"name", "stations", NULL};
    check_fields(L, 1, "subway_line", allowed);
    if (!field_present(L, 1, "name"))
        luaL_error(L, "subway_line: 'name' is required (the line, e.g. \"2\")");
    lua_getfield(L, 1, "name");
    char key[64];
    line_key(L, -1, key, sizeof key);
    lua_pop(L, 1);
    if (lua_getfield(L, 1, "stations") != LUA_TTABLE)
        luaL_error(L, "subway_line: 'stations' must be a list of station names in riding order");
    int n = (int)luaL_len(L, -1);
    if (n < 2)
        luaL_error(L, "subway_line: 'stations' needs at least two stations");
    scn_subway_line ln;
    memset(&ln, 0, sizeof ln);
    snprintf(ln.name, sizeof ln.name, "%s", key);
    ln.first_point = b->points.n;
    ln.first_name = b->station_names.n;
    for (int i = 1; i <= n; i++) {
        lua_geti(L, -1, i);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "subway_line: station %d must be a name, got %s", i, luaL_typename(L, -1));
        const station *st = check_station(L, b, key, lua_tostring(L, -1), "subway_line");
        VEC_PUSH(L, b->points, st->p);
        char nm[64];
        snprintf(nm, sizeof nm, "%s", lua_tostring(L, -1));
        if (pw_grow((void **)&b->station_names.v, &b->station_names.cap, b->station_names.n + 1,
                        sizeof *b->station_names.v) != 0)
            luaL_error(L, "out of memory");
        memcpy(b->station_names.v[b->station_names.n++], nm, sizeof nm);
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    ln.n_points = (size_t)n;
    VEC_PUSH(L, b->lines, ln);
    line_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->index = b->lines.n - 1;
    luaL_setmetatable(L, MT_LINE);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Scenario metadata                                                   */
/* ------------------------------------------------------------------ */

static int l_scenario(lua_State *L)
{
    builder *b = get_builder(L);
    check_table_arg(L, "scenario");
    if (b->have_meta)
        luaL_error(L, "scenario: declared twice (first at line %d)", b->meta_line);
    static const char *const allowed[] = {"name", "start", "timezone", "duration", "seed", "origin", NULL};
    check_fields(L, 1, "scenario", allowed);
    scn_scenario *s = b->s;
    const char *name = field_string(L, 1, "scenario", "name", NULL);
    if (!name || !*name)
        luaL_error(L, "scenario: 'name' is required");
    snprintf(s->name, sizeof s->name, "%s", name);
    const char *tz = field_string(L, 1, "scenario", "timezone", "+09:00");
    if (!scn_parse_utc_offset(tz, &s->utc_offset_min))
        luaL_error(L, "scenario: 'timezone' = \"%s\" is not an offset like \"+09:00\"", tz);
    const char *start = field_string(L, 1, "scenario", "start", NULL);
    if (!start)
        luaL_error(L, "scenario: 'start' is required, e.g. start = \"2026-03-02 07:30\"");
    if (!scn_parse_local_datetime(start, s->utc_offset_min, &s->start))
        luaL_error(L, "scenario: 'start' = \"%s\" is not a local date and time like \"2026-03-02 07:30\"",
                   start);
    s->duration_ms = field_duration(L, 1, "scenario", "duration", -1);
    if (s->duration_ms <= 0)
        luaL_error(L, "scenario: 'duration' is required and must be positive, e.g. duration = \"2h\"");
    if (s->duration_ms > 7LL * 86400000)
        luaL_error(L, "scenario: 'duration' is over 7 days");
    double seed = field_number(L, 1, "scenario", "seed", 1, 0, 9007199254740991.0);
    if (seed != floor(seed))
        luaL_error(L, "scenario: 'seed' must be a whole number");
    if (!s->seed)
        s->seed = (uint64_t)seed; /* a --seed given to the loader is already in place */
    int has_origin = 0;
    s->origin = field_place(L, 1, "scenario", "origin", 0, &has_origin);
    if (!has_origin)
        luaL_error(L, "scenario: 'origin' is required: the region's centre, e.g. origin = station(\"2\", \"강남\")");
    /* Local midnight of the start day, for "08:15" style times. */
    pw_time_ms local_ms = s->start + (pw_time_ms)s->utc_offset_min * 60000;
    pw_time_ms day = local_ms / 86400000 * 86400000;
    b->start_local_midnight = day - (pw_time_ms)s->utc_offset_min * 60000;
    b->have_meta = 1;
    b->meta_line = current_line(L);
    /* math.random follows the run's seed, so scripts stay reproducible. */
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, (lua_Integer)(s->seed & 0x7fffffffffffffffULL));
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    return 0;
}

static void require_meta(lua_State *L, builder *b, const char *what)
{
    if (!b->have_meta)
        luaL_error(L, "%s: declare scenario { ... } first", what);
}

/* ------------------------------------------------------------------ */
/* Zones                                                               */
/* ------------------------------------------------------------------ */

static const char *const day_names[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

static int day_index(const char *s)
{
    for (int i = 0; i < 7; i++)
        if (strncmp(s, day_names[i], 3) == 0)
            return i;
    return -1;
}

/* "Mon-Fri", "Sat,Sun", "daily", "weekdays", "weekends" -> bit mask */
static uint8_t parse_days(lua_State *L, const char *what, const char *text)
{
    if (strcmp(text, "daily") == 0)
        return 0x7f;
    if (strcmp(text, "weekdays") == 0)
        return 0x1f;
    if (strcmp(text, "weekends") == 0)
        return 0x60;
    uint8_t mask = 0;
    const char *p = text;
    while (*p) {
        int a = day_index(p);
        if (a < 0)
            break;
        p += 3;
        int z = a;
        if (*p == '-') {
            z = day_index(p + 1);
            if (z < 0)
                break;
            p += 4;
        }
        for (int d = a;; d = (d + 1) % 7) {
            mask |= (uint8_t)(1u << d);
            if (d == z)
                break;
        }
        if (*p == ',')
            p++;
        else if (*p)
            break;
    }
    if (*p || !mask)
        luaL_error(L, "%s: days = \"%s\" is not understood (examples: \"Mon-Fri\", \"Sat,Sun\", "
                   "\"daily\")", what, text);
    return mask;
}

/* schedule = { days = "Mon-Fri", from = "08:00", to = "16:00" } or a list of those */
static void parse_schedule(lua_State *L, int idx, const char *what, int utc_offset, eng_schedule *out)
{
    memset(out, 0, sizeof *out);
    out->utc_offset_min = utc_offset;
    idx = lua_absindex(L, idx);
    int n = lua_rawlen(L, idx) > 0 ? (int)lua_rawlen(L, idx) : 0;
    int single = n == 0;
    for (int i = 1; i <= (single ? 1 : n); i++) {
        if (!single)
            lua_geti(L, idx, i);
        else
            lua_pushvalue(L, idx);
        if (lua_type(L, -1) != LUA_TTABLE)
            luaL_error(L, "%s: schedule entries are tables { days = , from = , to = }", what);
        static const char *const allowed[] = {"days", "from", "to", NULL};
        check_fields(L, -1, what, allowed);
        if (out->n_windows >= ENG_MAX_WINDOWS)
            luaL_error(L, "%s: at most %d schedule windows", what, ENG_MAX_WINDOWS);
        const char *days = field_string(L, -1, what, "days", "daily");
        const char *from = field_string(L, -1, what, "from", "00:00");
        const char *to = field_string(L, -1, what, "to", "24:00");
        int a, z;
        if (!scn_parse_time_of_day(from, &a) || a % 60)
            luaL_error(L, "%s: schedule 'from' = \"%s\" is not a time like \"08:00\" (whole minutes)", what,
                       from);
        if (!scn_parse_time_of_day(to, &z) || z % 60)
            luaL_error(L, "%s: schedule 'to' = \"%s\" is not a time like \"16:00\" (whole minutes)", what, to);
        a /= 60;
        z /= 60;
        if (z <= a)
            luaL_error(L, "%s: schedule 'to' (%s) must be after 'from' (%s); split a window "
                       "that crosses midnight in two", what, to, from);
        eng_window *w = &out->windows[out->n_windows++];
        w->days_mask = parse_days(L, what, days);
        w->start_min = (uint16_t)a;
        w->end_min = (uint16_t)z;
        lua_pop(L, 1);
    }
}

/* A polygon: a list of at least three places. */
static size_t parse_polygon(lua_State *L, int idx, const char *what, scn_point *pts, size_t cap)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s: 'polygon' must be a list of places", what);
    size_t n = lua_rawlen(L, idx);
    if (n < 3)
        luaL_error(L, "%s: a polygon needs at least 3 places, got %d", what, (int)n);
    if (n > cap)
        luaL_error(L, "%s: a polygon has at most %d places, got %d", what, (int)cap, (int)n);
    for (size_t i = 1; i <= n; i++) {
        lua_geti(L, idx, (lua_Integer)i);
        pts[i - 1] = check_place(L, -1, what, "polygon");
        lua_pop(L, 1);
    }
    return n;
}

/* exclusion_zone { name = , center = , radius = | polygon = {...}, schedule = } */
static int l_exclusion_zone(lua_State *L)
{
    builder *b = get_builder(L);
    const char *what = "exclusion_zone";
    check_table_arg(L, what);
    require_meta(L, b, what);
    static const char *const allowed[] = {"name", "center", "radius", "polygon", "schedule", NULL};
    check_fields(L, 1, what, allowed);
    named_zone z;
    memset(&z, 0, sizeof z);
    const char *name = field_string(L, 1, what, "name", NULL);
    if (!name || !*name)
        luaL_error(L, "%s: 'name' is required (cases refer to zones by name)", what);
    for (size_t i = 0; i < b->zones.n; i++)
        if (strcmp(b->zones.v[i].name, name) == 0)
            luaL_error(L, "%s: a zone named '%s' already exists (line %d)", what, name, b->zones.v[i].line);
    snprintf(z.name, sizeof z.name, "%s", name);
    z.line = current_line(L);
    z.def.id = (pw_id)(b->zones.n + 1);
    int has_center = 0;
    scn_point c = field_place(L, 1, what, "center", 0, &has_center);
    int has_poly = field_present(L, 1, "polygon");
    if (has_center == has_poly)
        luaL_error(L, "%s '%s': give either center and radius, or polygon", what, name);
    if (has_center) {
        if (!field_present(L, 1, "radius"))
            luaL_error(L, "%s '%s': 'radius' (metres) is required with 'center'", what, name);
        z.def.kind = ENG_ZONE_CIRCLE;
        z.def.center_lat = c.lat;
        z.def.center_lon = c.lon;
        z.def.radius_m = field_number(L, 1, what, "radius", 0, 1, 50000);
    } else {
        scn_point pts[ENG_MAX_ZONE_VERTICES];
        lua_getfield(L, 1, "polygon");
        z.def.kind = ENG_ZONE_POLYGON;
        z.def.n_vertices = parse_polygon(L, -1, what, pts, ENG_MAX_ZONE_VERTICES);
        lua_pop(L, 1);
        for (size_t i = 0; i < z.def.n_vertices; i++) {
            z.def.lat[i] = pts[i].lat;
            z.def.lon[i] = pts[i].lon;
        }
    }
    z.def.schedule.utc_offset_min = b->s->utc_offset_min;
    if (lua_getfield(L, 1, "schedule") != LUA_TNIL)
        parse_schedule(L, -1, what, b->s->utc_offset_min, &z.def.schedule);
    lua_pop(L, 1);
    VEC_PUSH(L, b->zones, z);
    return 0;
}

static const char *const env_names[SCN_ENV_COUNT] = {"open", "urban_light", "urban_heavy", "indoor",
                                                     "tunnel"};

/* environment { kind = "urban_heavy", center = , radius = | polygon = , street_bearing = } */
static int l_environment(lua_State *L)
{
    builder *b = get_builder(L);
    const char *what = "environment";
    check_table_arg(L, what);
    static const char *const allowed[] = {"kind", "center", "radius", "polygon", "street_bearing", NULL};
    check_fields(L, 1, what, allowed);
    scn_env_zone z;
    memset(&z, 0, sizeof z);
    const char *kind = field_string(L, 1, what, "kind", NULL);
    if (!kind)
        luaL_error(L, "%s: 'kind' is required (open, urban_light, urban_heavy, indoor, tunnel)", what);
    int k = -1;
    for (int i = 0; i < SCN_ENV_COUNT; i++)
        if (strcmp(kind, env_names[i]) == 0)
            k = i;
    if (k < 0)
        luaL_error(L, "%s: unknown kind '%s' (open, urban_light, urban_heavy, indoor, tunnel)", what, kind);
    z.env = (scn_env)k;
    z.street_bearing_deg = field_number(L, 1, what, "street_bearing", NAN, 0, 360);
    int has_center = 0;
    z.center = field_place(L, 1, what, "center", 0, &has_center);
    int has_poly = field_present(L, 1, "polygon");
    if (has_center == has_poly)
        luaL_error(L, "%s: give either center and radius, or polygon", what);
    if (has_center) {
        z.is_circle = 1;
        if (!field_present(L, 1, "radius"))
            luaL_error(L, "%s: 'radius' (metres) is required with 'center'", what);
        z.radius_m = field_number(L, 1, what, "radius", 0, 1, 50000);
    } else {
        scn_point pts[LEG_MAX_POINTS];
        lua_getfield(L, 1, "polygon");
        size_t n = parse_polygon(L, -1, what, pts, LEG_MAX_POINTS);
        lua_pop(L, 1);
        z.first_point = b->points.n;
        z.n_points = n;
        for (size_t i = 0; i < n; i++)
            VEC_PUSH(L, b->points, pts[i]);
    }
    VEC_PUSH(L, b->env_zones, z);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Route legs                                                          */
/* ------------------------------------------------------------------ */

static const char *const mode_names[SCN_MODE_COUNT] = {"walk", "drive", "bus", "subway"};
/* Default speeds, m/s: walking 1.2-1.5 (pedestrian studies); urban driving
 * and buses average 5-11 and 4-7 including stops; subway between stations
 * 8-11 (Seoul line 2 runs about 30-35 km/h station to station). */
static const double mode_speed[SCN_MODE_COUNT][2] = {{1.2, 1.5}, {5.0, 11.0}, {4.0, 7.0}, {8.0, 11.0}};

static leg_ud *new_leg(lua_State *L, scn_mode mode)
{
    leg_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    memset(u, 0, sizeof *u);
    luaL_setmetatable(L, MT_LEG);
    u->leg.mode = mode;
    u->leg.speed_min_mps = mode_speed[mode][0];
    u->leg.speed_max_mps = mode_speed[mode][1];
    u->leg.depart_at = -1;
    u->leg.line = -1;
    u->line = current_line(L);
    return u;
}

/* speed = 1.3 or speed = {1.1, 1.5} (m/s) */
static void leg_speed(lua_State *L, leg_ud *u, const char *what)
{
    int t = lua_getfield(L, 1, "speed");
    if (t == LUA_TNUMBER) {
        double v = lua_tonumber(L, -1);
        if (!(v > 0.1 && v < 100))
            luaL_error(L, "%s: 'speed' = %f m/s is out of range (0.1, 100)", what, v);
        u->leg.speed_min_mps = u->leg.speed_max_mps = v;
    } else if (t == LUA_TTABLE) {
        lua_geti(L, -1, 1);
        lua_geti(L, -2, 2);
        if (!lua_isnumber(L, -2) || !lua_isnumber(L, -1))
            luaL_error(L, "%s: 'speed' range must be {min, max} in m/s", what);
        double a = lua_tonumber(L, -2), z = lua_tonumber(L, -1);
        if (!(a > 0.1 && z >= a && z < 100))
            luaL_error(L, "%s: 'speed' range {%f, %f} must have 0.1 < min <= max < 100 m/s", what, a, z);
        u->leg.speed_min_mps = a;
        u->leg.speed_max_mps = z;
        lua_pop(L, 2);
    } else if (t != LUA_TNIL) {
        luaL_error(L, "%s: 'speed' must be a number or {min, max} (m/s)", what);
    }
    lua_pop(L, 1);
}

static void leg_common(lua_State *L, builder *b, leg_ud *u, const char *what)
{
    leg_speed(L, u, what);
    u->leg.dwell_ms = field_duration(L, 1, what, "stay", 0);
    u->leg.depart_at = field_time(L, b, 1, what, "depart", -1);
}

/* walk { to = place, via = {places}, speed = , stay = , depart = }, same for drive and bus */
static int travel_leg(lua_State *L, scn_mode mode)
{
    builder *b = get_builder(L);
    const char *what = mode_names[mode];
    check_table_arg(L, what);
    static const char *const allowed[] = {"to", "via", "speed", "stay", "depart", "underground", NULL};
    check_fields(L, 1, what, allowed);
    leg_ud *u = new_leg(L, mode);
    /* A passage, an underpass, a road tunnel: no GNSS, and no train. */
    u->leg.underground = (uint8_t)field_bool(L, 1, what, "underground", 0);
    int idx_leg = lua_gettop(L);
    if (lua_getfield(L, 1, "via") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TTABLE)
            luaL_error(L, "%s: 'via' must be a list of places", what);
        size_t n = lua_rawlen(L, -1);
        if (n + 1 > LEG_MAX_POINTS)
            luaL_error(L, "%s: at most %d 'via' places", what, LEG_MAX_POINTS - 1);
        for (size_t i = 1; i <= n; i++) {
            lua_geti(L, -1, (lua_Integer)i);
            u->pts[u->n_points++] = check_place(L, -1, what, "via");
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    u->pts[u->n_points++] = field_place(L, 1, what, "to", 1, NULL);
    leg_common(L, b, u, what);
    lua_settop(L, idx_leg);
    return 1;
}

static int l_walk(lua_State *L) { return travel_leg(L, SCN_WALK); }
static int l_drive(lua_State *L) { return travel_leg(L, SCN_DRIVE); }
static int l_bus(lua_State *L) { return travel_leg(L, SCN_BUS); }

/* subway { line = subway_line{...}, from = "강남", to = "잠실", stop = "30s", stay = , depart = } */
static int l_subway(lua_State *L)
{
    builder *b = get_builder(L);
    const char *what = "subway";
    check_table_arg(L, what);
    static const char *const allowed[] = {"line", "from", "to", "stop", "speed", "stay", "depart",
                                          "underground", NULL};
    check_fields(L, 1, what, allowed);
    leg_ud *u = new_leg(L, SCN_SUBWAY);
    int idx_leg = lua_gettop(L);
    lua_getfield(L, 1, "line");
    line_ud *lu = luaL_testudata(L, -1, MT_LINE);
    if (!lu)
        luaL_error(L, "%s: 'line' must be a subway_line { name = , stations = {...} }", what);
    size_t li = lu->index;
    lua_pop(L, 1);
    const scn_subway_line *ln = &b->lines.v[li];
    const char *from = field_string(L, 1, what, "from", NULL);
    const char *to = field_string(L, 1, what, "to", NULL);
    if (!from || !to)
        luaL_error(L, "%s: 'from' and 'to' stations are required", what);
    long ia = -1, iz = -1;
    for (size_t i = 0; i < ln->n_points; i++) {
        const char *nm = b->station_names.v[ln->first_name + i];
        if (strcmp(nm, from) == 0)
            ia = (long)i;
        if (strcmp(nm, to) == 0)
            iz = (long)i;
    }
    if (ia < 0)
        luaL_error(L, "%s: unknown station '%s' on this line (not in its station list)", what, from);
    if (iz < 0)
        luaL_error(L, "%s: unknown station '%s' on this line (not in its station list)", what, to);
    if (ia == iz)
        luaL_error(L, "%s: 'from' and 'to' are the same station", what);
    long step = iz > ia ? 1 : -1;
    for (long i = ia + step;; i += step) {
        u->pts[u->n_points++] = b->points.v[ln->first_point + (size_t)i];
        if (i == iz || u->n_points >= LEG_MAX_POINTS)
            break;
    }
    u->leg.line = (int)li;
    u->leg.dwell_stop_ms = field_duration(L, 1, what, "stop", 30000);
    u->leg.underground = (uint8_t)field_bool(L, 1, what, "underground", 1);
    leg_common(L, b, u, what);
    lua_settop(L, idx_leg);
    return 1;
}

/* wait "30m" (a while), wait "08:10" (until then), or wait { stay = , till = } */
static int l_wait(lua_State *L)
{
    builder *b = get_builder(L);
    const char *what = "wait";
    leg_ud *u = new_leg(L, SCN_WALK);
    int idx_leg = lua_gettop(L);
    if (lua_type(L, 1) == LUA_TTABLE) {
        static const char *const allowed[] = {"stay", "till", NULL};
        check_fields(L, 1, what, allowed);
        u->leg.dwell_ms = field_duration(L, 1, what, "stay", 0);
        pw_time_ms until = field_time(L, b, 1, what, "till", -1);
        if (until >= 0)
            u->leg.depart_at = until; /* hold until then; no movement */
    } else if (lua_type(L, 1) == LUA_TSTRING && strchr(lua_tostring(L, 1), ':')) {
        u->leg.depart_at = to_time(L, b, 1, what, "until"); /* wait "08:10" */
    } else if (lua_type(L, 1) == LUA_TSTRING && lua_tostring(L, 1)[0] == '+') {
        /* wait "+20m": until 20 minutes after the scenario's start, like
         * every other "+" time */
        u->leg.depart_at = to_time(L, b, 1, what, "until");
    } else {
        u->leg.dwell_ms = to_duration(L, 1, what, "duration");
    }
    lua_settop(L, idx_leg);
    return 1;
}

/* ------------------------------------------------------------------ */
/* Actors                                                              */
/* ------------------------------------------------------------------ */

/*
 * Device settings.  What a scenario leaves out stays unset (0 or NAN): the
 * simulator takes it from the one table of device defaults in devices/
 * (dev_unit_config_default), documented in devices/README.md.
 */
static void device_defaults(scn_device *d, scn_role role)
{
    (void)role;
    memset(d, 0, sizeof *d);
    d->battery_start_pct = d->drain_pct_per_hour = d->drain_pct_per_fix = NAN;
    d->net_delay_mean_ms = d->net_loss = d->accuracy_scale = NAN;
}

/* A duration field that, when given, must be at least 1 s; 0 when absent. */
static pw_time_ms field_period(lua_State *L, int idx, const char *what, const char *k)
{
    pw_time_ms d = field_duration(L, idx, what, k, -1);
    if (d == -1)
        return 0;
    if (d < 1000)
        luaL_error(L, "%s: '%s' must be at least 1 s", what, k);
    return d;
}

static void parse_device(lua_State *L, int idx, const char *what, scn_device *d, int tag)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s: device settings must be a table", what);
    static const char *const tag_allowed[] = {"interval", "moving_interval", "pursuit_interval",
                                              "heartbeat", "signal_timeout", "battery", "drain_per_hour",
                                              "drain_per_fix", "network_delay", "network_loss", "accuracy",
                                              NULL};
    static const char *const phone_allowed[] = {"interval", "moving_interval", "heartbeat", "signal_timeout",
                                                "battery", "drain_per_hour", "drain_per_fix", "network_delay",
                                                "network_loss", "accuracy", NULL};
    check_fields(L, idx, what, tag ? tag_allowed : phone_allowed);
    d->interval_rest_ms = field_period(L, idx, what, "interval");
    d->interval_moving_ms = field_period(L, idx, what, "moving_interval");
    if (tag)
        d->interval_pursuit_ms = field_period(L, idx, what, "pursuit_interval");
    d->heartbeat_ms = field_period(L, idx, what, "heartbeat");
    d->signal_timeout_ms = field_period(L, idx, what, "signal_timeout");
    d->battery_start_pct = field_number(L, idx, what, "battery", NAN, 0, 100);
    d->drain_pct_per_hour = field_number(L, idx, what, "drain_per_hour", NAN, 0, 100);
    d->drain_pct_per_fix = field_number(L, idx, what, "drain_per_fix", NAN, 0, 100);
    pw_time_ms delay = field_duration(L, idx, what, "network_delay", -1);
    d->net_delay_mean_ms = delay == -1 ? NAN : (double)delay;
    d->net_loss = field_number(L, idx, what, "network_loss", NAN, 0, 1);
    d->accuracy_scale = field_number(L, idx, what, "accuracy", NAN, 0.1, 20);
}

static void take_route(lua_State *L, builder *b, int idx, const char *what, scn_actor *a)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "%s: 'route' must be a list of legs: walk{...}, drive{...}, subway{...}, wait\"5m\"",
                   what);
    size_t n = lua_rawlen(L, idx);
    a->first_leg = b->legs.n;
    for (size_t i = 1; i <= n; i++) {
        lua_geti(L, idx, (lua_Integer)i);
        leg_ud *u = luaL_testudata(L, -1, MT_LEG);
        if (!u)
            luaL_error(L, "%s: route item %d is a %s, not a leg (walk, drive, bus, subway, wait)", what,
                       (int)i, luaL_typename(L, -1));
        scn_leg leg = u->leg;
        leg.first_point = b->points.n;
        leg.n_points = u->n_points;
        for (size_t k = 0; k < u->n_points; k++)
            VEC_PUSH(L, b->points, u->pts[k]);
        VEC_PUSH(L, b->legs, leg);
        lua_pop(L, 1);
    }
    a->n_legs = n;
}

static void push_actor(lua_State *L, size_t index)
{
    actor_ud *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->index = index;
    luaL_setmetatable(L, MT_ACTOR);
}

static int make_actor(lua_State *L, scn_role role)
{
    builder *b = get_builder(L);
    const char *what = role == SCN_OFFENDER ? "offender" : role == SCN_VICTIM ? "victim" : "patrol";
    check_table_arg(L, what);
    require_meta(L, b, what);
    static const char *const off_allowed[] = {"name", "start", "tag", "route", "loop", NULL};
    static const char *const vic_allowed[] = {"name", "start", "phone", "route", "loop", NULL};
    static const char *const pat_allowed[] = {"name", "base", "speed", "detour", NULL};
    check_fields(L, 1, what, role == SCN_OFFENDER ? off_allowed : role == SCN_VICTIM ? vic_allowed : pat_allowed);
    scn_actor a;
    memset(&a, 0, sizeof a);
    a.role = role;
    a.id = (pw_id)(b->actors.n + 1);
    const char *name = field_string(L, 1, what, "name", NULL);
    if (!name || !*name)
        luaL_error(L, "%s: 'name' is required", what);
    for (size_t i = 0; i < b->actors.n; i++)
        if (strcmp(b->actors.v[i].name, name) == 0)
            luaL_error(L, "%s: an actor named '%s' already exists (line %d)", what, name,
                       b->actor_lines.v[i]);
    snprintf(a.name, sizeof a.name, "%s", name);
    device_defaults(&a.device, role);
    if (role == SCN_PATROL) {
        a.start = field_place(L, 1, what, "base", 1, NULL);
        a.patrol_speed_mps = field_number(L, 1, what, "speed", 11.0, 1, 50);
        a.patrol_detour = field_number(L, 1, what, "detour", 1.4, 1, 3);
    } else {
        a.start = field_place(L, 1, what, "start", 1, NULL);
        const char *dev = role == SCN_OFFENDER ? "tag" : "phone";
        if (lua_getfield(L, 1, dev) != LUA_TNIL) {
            char ctx[96];
            snprintf(ctx, sizeof ctx, "%s '%s' %s", what, name, dev);
            parse_device(L, -1, ctx, &a.device, role == SCN_OFFENDER);
        }
        lua_pop(L, 1);
        if (lua_getfield(L, 1, "route") != LUA_TNIL)
            take_route(L, b, -1, what, &a);
        lua_pop(L, 1);
        a.loop = field_bool(L, 1, what, "loop", 0);
        if (a.loop && a.n_legs == 0)
            luaL_error(L, "%s '%s': 'loop' needs a route", what, name);
    }
    VEC_PUSH(L, b->actors, a);
    VEC_PUSH(L, b->actor_lines, current_line(L));
    push_actor(L, b->actors.n - 1);
    return 1;
}

static int l_offender(lua_State *L) { return make_actor(L, SCN_OFFENDER); }
static int l_victim(lua_State *L) { return make_actor(L, SCN_VICTIM); }
static int l_patrol(lua_State *L) { return make_actor(L, SCN_PATROL); }

static size_t check_actor(lua_State *L, int idx, const char *what, const char *k)
{
    actor_ud *u = luaL_testudata(L, idx, MT_ACTOR);
    if (!u)
        luaL_error(L, "%s: '%s' must be an actor (the value offender{...} or victim{...} returned), got %s",
                   what, k, luaL_typename(L, idx));
    return u->index;
}

static size_t field_actor(lua_State *L, int idx, const char *what, const char *k)
{
    if (lua_getfield(L, idx, k) == LUA_TNIL)
        luaL_error(L, "%s: '%s' is required", what, k);
    size_t a = check_actor(L, -1, what, k);
    lua_pop(L, 1);
    return a;
}

/* ------------------------------------------------------------------ */
/* Cases, dispatchers, timed events                                    */
/* ------------------------------------------------------------------ */

static int l_case(lua_State *L)
{
    builder *b = get_builder(L);
    const char *what = "case";
    check_table_arg(L, what);
    require_meta(L, b, what);
    static const char *const allowed[] = {"id", "offender", "victim", "alarm_radius", "prewarn_radius",
                                          "zones", "enter_margin", "leave_margin", "p_open", "p_close",
                                          "dwell_open", "dwell_close", "grace", "reveal_max", NULL};
    check_fields(L, 1, what, allowed);
    scn_case c;
    memset(&c, 0, sizeof c);
    c.offender = field_actor(L, 1, what, "offender");
    c.victim = field_actor(L, 1, what, "victim");
    if (b->actors.v[c.offender].role != SCN_OFFENDER)
        luaL_error(L, "%s: 'offender' is %s, which is not an offender", what, b->actors.v[c.offender].name);
    if (b->actors.v[c.victim].role != SCN_VICTIM)
        luaL_error(L, "%s: 'victim' is %s, which is not a victim", what, b->actors.v[c.victim].name);
    eng_case_def *d = &c.def;
    /* The case's id in every output: given, or its place among the cases
     * (the first case is 1). */
    int given = field_present(L, 1, "id");
    double id = field_number(L, 1, what, "id", (double)(b->cases.n + 1), 1, 4294967295.0);
    if (id != floor(id))
        luaL_error(L, "%s: 'id' must be a whole number, got %f", what, id);
    for (size_t i = 0; i < b->cases.n; i++) {
        if (b->cases.v[i].def.id != (pw_id)id)
            continue;
        if (given)
            luaL_error(L, "%s: id %I is taken by an earlier case", what, (lua_Integer)id);
        id += 1; /* an automatic id steps past ids given earlier */
        i = (size_t)-1;
    }
    eng_case_default(d, (pw_id)id, b->actors.v[c.offender].id, b->actors.v[c.victim].id);
    d->alarm_radius_m = field_number(L, 1, what, "alarm_radius", d->alarm_radius_m, 1, 100000);
    d->prewarn_radius_m = field_number(L, 1, what, "prewarn_radius", d->prewarn_radius_m, 0, 100000);
    if (d->prewarn_radius_m > 0 && d->prewarn_radius_m < d->alarm_radius_m)
        luaL_error(L, "%s: 'prewarn_radius' (%f m) must be at least 'alarm_radius' (%f m), or 0 to disable",
                   what, d->prewarn_radius_m, d->alarm_radius_m);
    d->enter_margin_m = field_number(L, 1, what, "enter_margin", d->enter_margin_m, 0, 10000);
    d->leave_margin_m = field_number(L, 1, what, "leave_margin", d->leave_margin_m, 0, 10000);
    d->p_open = field_number(L, 1, what, "p_open", d->p_open, 0.01, 1);
    d->p_close = field_number(L, 1, what, "p_close", d->p_close, 0, 0.99);
    if (d->p_close >= d->p_open)
        luaL_error(L, "%s: 'p_close' (%f) must be below 'p_open' (%f)", what, d->p_close, d->p_open);
    d->dwell_open_ms = field_duration(L, 1, what, "dwell_open", d->dwell_open_ms);
    d->dwell_close_ms = field_duration(L, 1, what, "dwell_close", d->dwell_close_ms);
    d->grace_ms = field_duration(L, 1, what, "grace", d->grace_ms);
    d->reveal_max_ms = field_duration(L, 1, what, "reveal_max", d->reveal_max_ms);
    if (d->reveal_max_ms <= 0)
        luaL_error(L, "%s: 'reveal_max' must be positive", what);
    if (lua_getfield(L, 1, "zones") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TTABLE)
            luaL_error(L, "%s: 'zones' must be a list of exclusion zone names", what);
        size_t n = lua_rawlen(L, -1);
        if (n > ENG_MAX_CASE_ZONES)
            luaL_error(L, "%s: at most %d zones per case", what, ENG_MAX_CASE_ZONES);
        for (size_t i = 1; i <= n; i++) {
            lua_geti(L, -1, (lua_Integer)i);
            const char *zn = lua_tostring(L, -1);
            if (!zn)
                luaL_error(L, "%s: zone %d must be a name", what, (int)i);
            size_t k = 0;
            while (k < b->zones.n && strcmp(b->zones.v[k].name, zn) != 0)
                k++;
            if (k == b->zones.n)
                luaL_error(L, "%s: unknown exclusion zone '%s' (declare it with exclusion_zone{...} first)",
                           what, zn);
            d->zones[d->n_zones++] = b->zones.v[k].def;
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    VEC_PUSH(L, b->cases, c);
    VEC_PUSH(L, b->case_lines, current_line(L));
    return 0;
}

/* dispatchers { count = 2, handling = "exp 3m" | "fixed 2m" | "uniform 1m-5m" } */
static int l_dispatchers(lua_State *L)
{
    builder *b = get_builder(L);
    const char *what = "dispatchers";
    check_table_arg(L, what);
    static const char *const allowed[] = {"count", "handling", NULL};
    check_fields(L, 1, what, allowed);
    if (b->have_dispatch)
        luaL_error(L, "%s: declared twice", what);
    scn_dispatch *d = &b->s->dispatch;
    d->dispatchers = (int)field_number(L, 1, what, "count", 2, 1, 10000);
    const char *h = field_string(L, 1, what, "handling", "exp 3m");
    char kind[16], a[32], z[32];
    if (sscanf(h, "%15s %31[^-]-%31s", kind, a, z) == 3 && strcmp(kind, "uniform") == 0) {
        d->handling = SCN_DIST_UNIFORM;
        d->handling_min_ms = scn_parse_duration(a);
        d->handling_max_ms = scn_parse_duration(z);
        if (d->handling_min_ms <= 0 || d->handling_max_ms < d->handling_min_ms)
            luaL_error(L, "%s: handling = \"%s\": a uniform range needs 0 < min <= max", what, h);
        d->handling_mean_ms = (d->handling_min_ms + d->handling_max_ms) / 2;
    } else if (sscanf(h, "%15s %31s", kind, a) == 2 && (strcmp(kind, "exp") == 0 || strcmp(kind, "fixed") == 0)) {
        d->handling = strcmp(kind, "exp") == 0 ? SCN_DIST_EXPONENTIAL : SCN_DIST_FIXED;
        d->handling_mean_ms = scn_parse_duration(a);
        if (d->handling_mean_ms <= 0)
            luaL_error(L, "%s: handling = \"%s\": the time must be positive", what, h);
    } else {
        luaL_error(L, "%s: handling = \"%s\" is not understood (examples: \"exp 3m\", \"fixed 2m\", "
                   "\"uniform 1m-5m\")", what, h);
    }
    b->have_dispatch = 1;
    return 0;
}

static int timed_event(lua_State *L, scn_event_kind kind, const char *what, int needs_actor, int span)
{
    builder *b = get_builder(L);
    check_table_arg(L, what);
    require_meta(L, b, what);
    static const char *const at_allowed[] = {"actor", "at", NULL};
    static const char *const span_allowed[] = {"actor", "from", "to", NULL};
    static const char *const centre_allowed[] = {"from", "to", NULL};
    check_fields(L, 1, what, span ? (needs_actor ? span_allowed : centre_allowed) : at_allowed);
    scn_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.actor = needs_actor ? field_actor(L, 1, what, "actor") : SIZE_MAX;
    if (span) {
        if (!field_present(L, 1, "from") || !field_present(L, 1, "to"))
            luaL_error(L, "%s: 'from' and 'to' are required", what);
        ev.at = field_time(L, b, 1, what, "from", 0);
        ev.until = field_time(L, b, 1, what, "to", 0);
        if (ev.until <= ev.at)
            luaL_error(L, "%s: 'to' must be after 'from'", what);
    } else {
        if (!field_present(L, 1, "at"))
            luaL_error(L, "%s: 'at' is required", what);
        ev.at = field_time(L, b, 1, what, "at", 0);
    }
    if (needs_actor) {
        scn_role r = b->actors.v[ev.actor].role;
        if (r == SCN_PATROL)
            luaL_error(L, "%s: a patrol has no emulated device", what);
        if ((kind == SCN_EV_TAMPER) && r != SCN_OFFENDER)
            luaL_error(L, "%s: only an offender's tag has a strap", what);
        if (kind == SCN_EV_PANIC && r != SCN_VICTIM)
            luaL_error(L, "%s: only a victim's phone has a panic button", what);
    }
    VEC_PUSH(L, b->events, ev);
    return 0;
}

static int l_tamper(lua_State *L) { return timed_event(L, SCN_EV_TAMPER, "tamper", 1, 0); }
static int l_battery_death(lua_State *L) { return timed_event(L, SCN_EV_BATTERY_DEATH, "battery_death", 1, 0); }
static int l_device_off(lua_State *L) { return timed_event(L, SCN_EV_DEVICE_OFF, "device_off", 1, 0); }
static int l_panic(lua_State *L) { return timed_event(L, SCN_EV_PANIC, "panic", 1, 0); }
static int l_network_outage(lua_State *L) { return timed_event(L, SCN_EV_NETWORK_OUTAGE, "network_outage", 1, 1); }
static int l_centre_outage(lua_State *L) { return timed_event(L, SCN_EV_CENTRE_OUTAGE, "centre_outage", 0, 1); }

/* at("08:15", fn) / every("10m", fn) / every("10m", fn, "08:00") */
static int add_timer(lua_State *L, int repeat)
{
    builder *b = get_builder(L);
    const char *what = repeat ? "every" : "at";
    require_meta(L, b, what);
    scn_timer t;
    memset(&t, 0, sizeof t);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (repeat) {
        t.every_ms = to_duration(L, 1, what, "period");
        if (t.every_ms < 1000)
            luaL_error(L, "every: the period must be at least 1 s");
        t.at = lua_isnoneornil(L, 3) ? b->s->start : to_time(L, b, 3, what, "first");
    } else {
        t.at = to_time(L, b, 1, what, "time");
    }
    t.line = current_line(L);
    lua_pushvalue(L, 2);
    t.ref = luaL_ref(L, LUA_REGISTRYINDEX);
    VEC_PUSH(L, b->timers, t);
    return 0;
}

/* param("name", default): a number a sweep may set (--set name=...). */
static int l_param(lua_State *L)
{
    const char *name = luaL_checkstring(L, 1);
    double dflt = luaL_checknumber(L, 2);
    lua_getfield(L, LUA_REGISTRYINDEX, "pw.options");
    const scn_options *o = lua_touserdata(L, -1);
    lua_pop(L, 1);
    for (size_t i = 0; o && i < o->n_params; i++) {
        if (strcmp(o->param_names[i], name) == 0) {
            if (o->param_used)
                o->param_used[i] = 1;
            lua_pushnumber(L, o->param_values[i]);
            return 1;
        }
    }
    lua_pushnumber(L, dflt);
    return 1;
}

static int l_at(lua_State *L) { return add_timer(L, 0); }
static int l_every(lua_State *L) { return add_timer(L, 1); }

/* ------------------------------------------------------------------ */
/* Expectations: expect { true_breaches = 1, breach_to_alert_max = "90s" } */
/* ------------------------------------------------------------------ */

/* Levenshtein distance, capped: for "did you mean" on a misspelt key. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 64;
    size_t row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Is `key` measure m's name, or (durations) its name + "_max"?  1 plain, 2 _max, 0 no. */
static int expect_key_form(const char *key, scn_measure m)
{
    const char *name = scn_measure_name(m);
    size_t n = strlen(name);
    if (strncmp(key, name, n) != 0)
        return 0;
    if (key[n] == '\0')
        return 1;
    if (scn_measure_unit(m) == SCN_UNIT_SECONDS && strcmp(key + n, "_max") == 0)
        return 2;
    return 0;
}

static void expect_unknown_key(lua_State *L, const char *key)
{
    size_t n = strlen(key);
    if (n > 4 && strcmp(key + n - 4, "_max") == 0) {
        for (int m = 0; m < SCN_M_COUNT; m++) {
            const char *name = scn_measure_name((scn_measure)m);
            if (strlen(name) == n - 4 && strncmp(key, name, n - 4) == 0)
                luaL_error(L, "expect: '%s': only durations take _max; write %s = {max = N}", key, name);
        }
    }
    const char *best = NULL;
    size_t best_d = 4; /* suggest only close matches */
    for (int m = 0; m < SCN_M_COUNT; m++) {
        const char *name = scn_measure_name((scn_measure)m);
        size_t d = edit_distance(key, name);
        if (d < best_d) {
            best_d = d;
            best = name;
        }
    }
    if (best)
        luaL_error(L, "expect: unknown key '%s' (did you mean '%s'? the keys are listed in "
                   "scenarios/README.md, \"Expectations\")", key, best);
    luaL_error(L, "expect: unknown key '%s' (the keys are listed in scenarios/README.md, \"Expectations\")",
               key);
}

/* One bound of measure m at stack index idx, in the measure's unit (seconds
 * for durations).  `label` names it in messages: "'detected'", "'exposure' max". */
static double expect_bound(lua_State *L, int idx, scn_measure m, const char *label)
{
    scn_unit unit = scn_measure_unit(m);
    int t = lua_type(L, idx);
    if (unit == SCN_UNIT_SECONDS) {
        if ((t == LUA_TNUMBER && lua_tonumber(L, idx) < 0) ||
            (t == LUA_TSTRING && lua_tostring(L, idx)[0] == '-'))
            luaL_error(L, "expect: %s = %s is negative; a duration is 0 or more", label, lua_tostring(L, idx));
        if (t != LUA_TNUMBER && t != LUA_TSTRING)
            luaL_error(L, "expect: %s must be a duration (\"90s\", \"4m\" or seconds), got %s", label,
                       luaL_typename(L, idx));
        return (double)to_duration(L, idx, "expect", scn_measure_name(m)) / 1000.0;
    }
    if (t != LUA_TNUMBER)
        luaL_error(L, "expect: %s must be a %s, got %s", label,
                   unit == SCN_UNIT_COUNT ? "whole number" : "number", luaL_typename(L, idx));
    double v = lua_tonumber(L, idx);
    if (!isfinite(v) || v < 0)
        luaL_error(L, "expect: %s = %f is impossible: %s is never negative", label, v, scn_measure_name(m));
    if (unit == SCN_UNIT_COUNT && (v != floor(v) || v > 9007199254740991.0))
        luaL_error(L, "expect: %s = %f is not a whole number (it counts %s)", label, v, scn_measure_help(m));
    return v;
}

/* "detected = 2" (exactly), "detected = {min = 1, max = 3}", "exposure_max = '4m'". */
static void expect_parse_one(lua_State *L, int idx, scn_measure m, const char *key, int max_form,
                             scn_expect *e)
{
    idx = lua_absindex(L, idx);
    char label[80];
    snprintf(label, sizeof label, "'%s'", key);
    e->measure = m;
    e->lo = e->hi = NAN;
    snprintf(e->key, sizeof e->key, "%s", key);
    if (max_form) {
        if (lua_type(L, idx) == LUA_TTABLE)
            luaL_error(L, "expect: '%s' takes one duration (at most); for a range write %s = {min = , max = }",
                       key, scn_measure_name(m));
        e->hi = expect_bound(L, idx, m, label);
        return;
    }
    if (lua_type(L, idx) != LUA_TTABLE) {
        int t = lua_type(L, idx);
        if (t != LUA_TNUMBER && (t != LUA_TSTRING || scn_measure_unit(m) != SCN_UNIT_SECONDS))
            luaL_error(L, "expect: '%s' must be a %s or a range {min = , max = }, got %s", key,
                       scn_measure_unit(m) == SCN_UNIT_SECONDS ? "duration"
                       : scn_measure_unit(m) == SCN_UNIT_COUNT ? "whole number" : "number",
                       luaL_typename(L, idx));
        e->lo = e->hi = expect_bound(L, idx, m, label);
        return;
    }
    char what[80];
    snprintf(what, sizeof what, "expect: '%s'", key);
    static const char *const allowed[] = {"min", "max", NULL};
    check_fields(L, idx, what, allowed);
    if (lua_getfield(L, idx, "min") != LUA_TNIL) {
        snprintf(label, sizeof label, "'%s' min", key);
        e->lo = expect_bound(L, -1, m, label);
    }
    lua_pop(L, 1);
    if (lua_getfield(L, idx, "max") != LUA_TNIL) {
        snprintf(label, sizeof label, "'%s' max", key);
        e->hi = expect_bound(L, -1, m, label);
    }
    lua_pop(L, 1);
    if (isnan(e->lo) && isnan(e->hi))
        luaL_error(L, "expect: '%s' = {}: give min, max or both", key);
    if (e->lo > e->hi) {
        char lo[32], hi[32];
        snprintf(lo, sizeof lo, "%g", e->lo);
        snprintf(hi, sizeof hi, "%g", e->hi);
        luaL_error(L, "expect: '%s' = {min = %s, max = %s}: min is above max", key, lo, hi);
    }
}

/*
 * Bounds that contradict each other: parts that must add up to a whole
 * (detected + missed = true_breaches), or a part that cannot exceed its
 * whole (missed_short <= missed, median <= p95 <= slowest).
 */
static void expect_consistent(lua_State *L, const scn_expect *by_measure[SCN_M_COUNT])
{
    enum { MAX_PARTS = 6 };
    static const struct {
        scn_measure whole;
        int exact;                      /* the parts add up to the whole; else at most */
        int n;
        scn_measure parts[MAX_PARTS];
    } rules[] = {
        {SCN_M_TRUE_BREACHES, 1, 2, {SCN_M_DETECTED, SCN_M_MISSED}},
        {SCN_M_MISSED, 0, 1, {SCN_M_MISSED_SHORT}},
        {SCN_M_ALERT_EPISODES, 1, 2, {SCN_M_TRUE_ALERTS, SCN_M_FALSE_ALERTS}},
        {SCN_M_FALSE_ALERTS, 1, 6, {SCN_M_FALSE_NOISE_JUMP, SCN_M_FALSE_URBAN_CANYON, SCN_M_FALSE_TUNNEL_EXIT,
                                    SCN_M_FALSE_CELL_FALLBACK, SCN_M_FALSE_DEVICE_FAULT, SCN_M_FALSE_OTHER}},
        {SCN_M_DISCLOSURES, 0, 1, {SCN_M_UNAUTHORIZED_DISCLOSURES}},
        {SCN_M_INCIDENTS, 0, 1, {SCN_M_PATROLS_SENT}},
        {SCN_M_INCIDENTS, 0, 1, {SCN_M_PEAK_INCIDENTS}},
        {SCN_M_PATROLS_SENT, 0, 1, {SCN_M_PATROLS_ON_SCENE}},
        {SCN_M_BREACH_TO_ALERT, 0, 1, {SCN_M_BREACH_TO_ALERT_P95}},
        {SCN_M_BREACH_TO_ALERT_P95, 0, 1, {SCN_M_BREACH_TO_ALERT_MEDIAN}},
        {SCN_M_BREACH_TO_ALERT, 0, 1, {SCN_M_BREACH_TO_ALERT_MEDIAN}},
        {SCN_M_ALERT_TO_VICTIM, 0, 1, {SCN_M_ALERT_TO_VICTIM_P95}},
        {SCN_M_ALERT_TO_VICTIM_P95, 0, 1, {SCN_M_ALERT_TO_VICTIM_MEDIAN}},
        {SCN_M_ALERT_TO_VICTIM, 0, 1, {SCN_M_ALERT_TO_VICTIM_MEDIAN}},
        {SCN_M_ALERT_TO_DISPATCH, 0, 1, {SCN_M_ALERT_TO_DISPATCH_P95}},
        {SCN_M_ALERT_TO_DISPATCH_P95, 0, 1, {SCN_M_ALERT_TO_DISPATCH_MEDIAN}},
        {SCN_M_ALERT_TO_DISPATCH, 0, 1, {SCN_M_ALERT_TO_DISPATCH_MEDIAN}},
        {SCN_M_DISPATCH_TO_SCENE, 0, 1, {SCN_M_DISPATCH_TO_SCENE_P95}},
        {SCN_M_DISPATCH_TO_SCENE_P95, 0, 1, {SCN_M_DISPATCH_TO_SCENE_MEDIAN}},
        {SCN_M_DISPATCH_TO_SCENE, 0, 1, {SCN_M_DISPATCH_TO_SCENE_MEDIAN}},
        {SCN_M_QUEUE_WAIT_P95, 0, 1, {SCN_M_QUEUE_WAIT_MEDIAN}},
    };
    for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
        const scn_expect *w = by_measure[rules[r].whole];
        if (!w)
            continue;
        double lo_sum = 0, hi_sum = 0;
        char names[256] = "";
        int given = 0;
        for (int k = 0; k < rules[r].n; k++) {
            const scn_expect *p = by_measure[rules[r].parts[k]];
            if (!p) {
                hi_sum = INFINITY;
                continue;
            }
            lo_sum += isnan(p->lo) ? 0 : p->lo;
            hi_sum += isnan(p->hi) ? INFINITY : p->hi;
            size_t len = strlen(names);
            snprintf(names + len, sizeof names - len, "%s'%s'", given ? " + " : "", p->key);
            given++;
        }
        if (!given)
            continue;
        double w_lo = isnan(w->lo) ? 0 : w->lo, w_hi = isnan(w->hi) ? INFINITY : w->hi;
        char a[32], z[32];
        if (lo_sum > w_hi) {
            snprintf(a, sizeof a, "%g", lo_sum);
            snprintf(z, sizeof z, "%g", w_hi);
            luaL_error(L, "expect: %s is at least %s, but '%s' is at most %s", names, a, w->key, z);
        }
        if (rules[r].exact && hi_sum < w_lo) {
            snprintf(a, sizeof a, "%g", hi_sum);
            snprintf(z, sizeof z, "%g", w_lo);
            luaL_error(L, "expect: %s is at most %s, but they add up to '%s', which is at least %s", names, a,
                       w->key, z);
        }
    }
}

/* expect { KEY = VALUE, ... }: what the run must show (README "Expectations"). */
static int l_expect(lua_State *L)
{
    builder *b = get_builder(L);
    check_table_arg(L, "expect");
    if (b->expect_line)
        luaL_error(L, "expect: declared twice (first at line %d); put every expectation in one block",
                   b->expect_line);
    /* Unknown keys first, so that a typo is reported as such. */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "expect: %s; use name = value fields",
                       lua_type(L, -1) == LUA_TNUMBER ? "unexpected list item" : "keys must be names");
        const char *key = lua_tostring(L, -1);
        int known = 0;
        for (int m = 0; m < SCN_M_COUNT && !known; m++)
            known = expect_key_form(key, (scn_measure)m) != 0;
        if (!known)
            expect_unknown_key(L, key);
    }
    /* Then the measures in their fixed order, so results list the same way
     * every time (a Lua table has no order). */
    const scn_expect *by_measure[SCN_M_COUNT] = {0};
    scn_expect parsed[SCN_M_COUNT];
    size_t n = 0;
    int line = current_line(L);
    for (int m = 0; m < SCN_M_COUNT; m++) {
        const char *name = scn_measure_name((scn_measure)m);
        char max_key[64];
        snprintf(max_key, sizeof max_key, "%s_max", name);
        int plain = field_present(L, 1, name);
        int at_most = scn_measure_unit((scn_measure)m) == SCN_UNIT_SECONDS && field_present(L, 1, max_key);
        if (plain && at_most)
            luaL_error(L, "expect: give '%s' or '%s', not both", name, max_key);
        if (!plain && !at_most)
            continue;
        const char *key = plain ? name : max_key;
        scn_expect *e = &parsed[n++];
        memset(e, 0, sizeof *e);
        lua_getfield(L, 1, key);
        expect_parse_one(L, -1, (scn_measure)m, key, at_most, e);
        lua_pop(L, 1);
        e->line = line;
        /* A lower bound no run of this scenario can reach. */
        if (b->have_meta && scn_measure_unit((scn_measure)m) == SCN_UNIT_SECONDS && !isnan(e->lo) &&
            m != SCN_M_EXPOSURE && m != SCN_M_PATROL_TIME_ON_FALSE &&
            e->lo * 1000.0 > (double)b->s->duration_ms) {
            char lo[32];
            snprintf(lo, sizeof lo, "%g", e->lo);
            luaL_error(L, "expect: '%s' at least %s s can never be measured in a scenario of %d min", key, lo,
                       (int)(b->s->duration_ms / 60000));
        }
        by_measure[m] = e;
    }
    if (n == 0)
        luaL_error(L, "expect: no expectations; give at least one, e.g. expect { true_breaches = 1 }");
    expect_consistent(L, by_measure);
    for (size_t i = 0; i < n; i++)
        VEC_PUSH(L, b->expects, parsed[i]);
    b->expect_line = line;
    return 0;
}

/* ------------------------------------------------------------------ */
/* Callbacks: actor methods that act on the running simulation         */
/* ------------------------------------------------------------------ */

static const scn_hooks *get_hooks(lua_State *L, const char *what)
{
    lua_getfield(L, LUA_REGISTRYINDEX, HOOKS_KEY);
    const scn_hooks *h = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!h)
        luaL_error(L, "%s works only inside at(...) or every(...) callbacks; at load time use "
                   "tamper{...}, battery_death{...}, device_off{...}, panic{...}", what);
    return h;
}

static int actor_event(lua_State *L, scn_event_kind kind, const char *what)
{
    actor_ud *u = luaL_checkudata(L, 1, MT_ACTOR);
    const scn_hooks *h = get_hooks(L, what);
    pw_time_ms until = 0;
    if (kind == SCN_EV_NETWORK_OUTAGE)
        until = to_duration(L, 2, what, "duration");
    h->event(h->ctx, kind, u->index, until);
    return 0;
}

static int m_tamper(lua_State *L) { return actor_event(L, SCN_EV_TAMPER, "tamper()"); }
static int m_battery_dies(lua_State *L) { return actor_event(L, SCN_EV_BATTERY_DEATH, "battery_dies()"); }
static int m_power_off(lua_State *L) { return actor_event(L, SCN_EV_DEVICE_OFF, "power_off()"); }
static int m_panic(lua_State *L) { return actor_event(L, SCN_EV_PANIC, "panic()"); }
static int m_network_outage(lua_State *L) { return actor_event(L, SCN_EV_NETWORK_OUTAGE, "network_outage()"); }

static int l_centre_outage_now(lua_State *L)
{
    const scn_hooks *h = get_hooks(L, "centre_outage()");
    pw_time_ms d = to_duration(L, 1, "centre_outage", "duration");
    h->event(h->ctx, SCN_EV_CENTRE_OUTAGE, SIZE_MAX, d);
    return 0;
}

/* centre_outage { from, to } at load time, centre_outage("5m") in a callback */
static int l_centre_outage_any(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TTABLE)
        return l_centre_outage(L);
    return l_centre_outage_now(L);
}

/* ------------------------------------------------------------------ */
/* The sandbox                                                         */
/* ------------------------------------------------------------------ */

/*
 * The budget of a scenario's Lua: heap bytes, instructions to load it and
 * of any one callback, and instructions of all the callbacks of a run
 * together (a short callback every second of a week adds up).  Once a
 * limit is hit it stays hit: the hook raises the error again at every
 * count and the sandbox's pcall and xpcall pass it on, so a script cannot
 * catch it and carry on.  The hook also notes where the script is, so that
 * a memory error can name the line.
 */
typedef struct limits {
    size_t bytes, limit;
    uint64_t instructions, max_instructions;
    uint64_t run_instructions, max_run_instructions;
    int hit;       /* 1 memory, 2 instructions */
    int in_callback;
    char where[160]; /* "file:line:" of the last count, for memory errors */
} limits;

/* Patterns (see check_pattern): at most 128 characters, on strings of up
 * to 64 kB, and at most 20 million steps in the worst case of one call
 * (a few hundredths of a second). */
#define MAX_PATTERN_LEN 128
#define MAX_PATTERN_SUBJECT (64 * 1024)
#define MAX_PATTERN_COST 2.0e7

static void *limited_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    limits *lim = ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        lim->bytes -= old;
        return NULL;
    }
    if (nsize > old && lim->bytes - old + nsize > lim->limit) {
        lim->hit = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (p) {
        lim->bytes = lim->bytes - old + nsize;
        /* Lua retries a refused allocation after an emergency collection;
         * when that succeeds, the limit was not reached after all. */
        if (lim->hit == 1)
            lim->hit = 0;
    }
    return p;
}

static limits *get_limits(lua_State *L)
{
    void *ud;
    lua_getallocf(L, &ud);
    return ud;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    limits *lim = get_limits(L);
    lim->instructions += 1000;
    if (lim->in_callback)
        lim->run_instructions += 1000;
    /* In a hook, level 0 is the Lua function that was running. */
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(lim->where, sizeof lim->where, "%s:%d:", ar->short_src, ar->currentline);
    if (lim->hit == 2 || lim->instructions > lim->max_instructions) {
        lim->hit = 2;
        luaL_where(L, 0);
        lua_pushfstring(L, "instruction limit reached (%d million): a runaway loop?",
                        (int)(lim->max_instructions / 1000000));
        lua_concat(L, 2);
        lua_error(L);
    }
    if (lim->run_instructions > lim->max_run_instructions) {
        lim->hit = 2;
        luaL_where(L, 0);
        lua_pushfstring(L, "instruction limit of the whole run reached (%d million in callbacks): "
                           "callbacks do too much work for the scenario's length",
                        (int)(lim->max_run_instructions / 1000000));
        lua_concat(L, 2);
        lua_error(L);
    }
}

/* pcall of the sandbox: as Lua's, except that a limit's error is not its
 * to catch.  (xpcall is absent: Lua runs a message handler where no
 * instruction is counted, so a looping handler would escape every limit.) */
static int l_safe_pcall_k(lua_State *L, int status, lua_KContext extra)
{
    (void)extra;
    limits *lim = get_limits(L);
    if (status != LUA_OK && status != LUA_YIELD) {
        if (lim->hit || status == LUA_ERRMEM)
            return lua_error(L);
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - (int)extra;
}

static int l_safe_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    lua_pushboolean(L, 1); /* the first result when there is no error */
    lua_insert(L, 1);
    int status = lua_pcallk(L, lua_gettop(L) - 2, LUA_MULTRET, 0, 0, l_safe_pcall_k);
    return l_safe_pcall_k(L, status, 0);
}


static int l_safe_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE && lua_getfield(L, 2, "__gc") != LUA_TNIL)
        return luaL_error(L, "setmetatable: a metatable with __gc is not allowed in a scenario");
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/*
 * string.find, match, gmatch and gsub: the matcher backtracks in C, where
 * no instruction is counted, and its worst case grows as n^(k+1) for a
 * subject of n characters and k repetitions ('.-.-b': n^3), n^2 for %b.
 * Each call is charged that worst case against the instruction budgets
 * (a loop of cheap calls adds up), and a call whose worst case alone is
 * over MAX_PATTERN_COST is refused.
 */
static void check_pattern(lua_State *L, int subject_arg, int pattern_arg)
{
    size_t ls, lp;
    luaL_checklstring(L, subject_arg, &ls);
    const char *p = luaL_checklstring(L, pattern_arg, &lp);
    int k = 0;
    for (size_t i = 0; i < lp; i++) {
        if (p[i] == '%') {
            k += p[i + 1] == 'b'; /* %bxy scans for its match */
            i++;
            continue;
        }
        k += p[i] == '*' || p[i] == '+' || p[i] == '-' || p[i] == '?';
    }
    double cost = (double)(ls + 1) * (double)(lp + 1);
    for (int q = 0; q < k && cost <= MAX_PATTERN_COST; q++)
        cost *= (double)(ls + 1);
    if (lp > MAX_PATTERN_LEN || ls > MAX_PATTERN_SUBJECT || cost > MAX_PATTERN_COST) {
        char why[200]; /* luaL_error has no %.0f */
        snprintf(why, sizeof why, "%d repetitions on %d characters: up to %.3g steps, at most %.3g; "
                                  "patterns of at most %d characters on strings of up to %d kB",
                 k, (int)ls, cost, MAX_PATTERN_COST, MAX_PATTERN_LEN, MAX_PATTERN_SUBJECT / 1024);
        luaL_error(L, "pattern too costly for a scenario (%s)", why);
    }
    limits *lim = get_limits(L);
    lim->instructions += (uint64_t)cost;
    if (lim->in_callback)
        lim->run_instructions += (uint64_t)cost;
}

static int call_string_fn(lua_State *L, const char *name)
{
    check_pattern(L, 1, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    (void)name;
    return lua_gettop(L);
}

static int l_bounded_string_fn(lua_State *L)
{
    return call_string_fn(L, NULL);
}

const char *scn_lua_release(void)
{
    return LUA_RELEASE + 4; /* "Lua 5.4.4" */
}

static const luaL_Reg api[] = {
    {"scenario", l_scenario},
    {"place", l_place},
    {"offset", l_offset},
    {"station", l_station},
    {"subway_line", l_subway_line},
    {"exclusion_zone", l_exclusion_zone},
    {"environment", l_environment},
    {"walk", l_walk},
    {"drive", l_drive},
    {"bus", l_bus},
    {"subway", l_subway},
    {"wait", l_wait},
    {"offender", l_offender},
    {"victim", l_victim},
    {"patrol", l_patrol},
    {"case", l_case},
    {"dispatchers", l_dispatchers},
    {"tamper", l_tamper},
    {"battery_death", l_battery_death},
    {"device_off", l_device_off},
    {"panic", l_panic},
    {"network_outage", l_network_outage},
    {"centre_outage", l_centre_outage_any},
    {"at", l_at},
    {"param", l_param},
    {"every", l_every},
    {"expect", l_expect},
    {NULL, NULL},
};

static int l_actor_index(lua_State *L)
{
    actor_ud *u = luaL_checkudata(L, 1, MT_ACTOR);
    const char *k = luaL_checkstring(L, 2);
    static const luaL_Reg methods[] = {
        {"tamper", m_tamper},           {"battery_dies", m_battery_dies},
        {"power_off", m_power_off},     {"panic", m_panic},
        {"network_outage", m_network_outage}, {NULL, NULL},
    };
    for (const luaL_Reg *m = methods; m->name; m++)
        if (strcmp(m->name, k) == 0) {
            lua_pushcfunction(L, m->func);
            return 1;
        }
    (void)u;
    if (strcmp(k, "name") == 0) {
        lua_getfield(L, LUA_REGISTRYINDEX, "pw.actor_names");
        lua_geti(L, -1, (lua_Integer)u->index + 1);
        return 1;
    }
    return luaL_error(L, "actor has no field or method '%s'", k);
}

/* Build the sandbox: base (without loaders and output), string (without
 * dump), table, math, utf8.  No io, os, package, debug, coroutine. */
static void open_sandbox(lua_State *L)
{
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    lua_pop(L, 5);
    /* No loading of code or bytecode, no output (runs must not print). */
    static const char *const removed[] = {"dofile", "loadfile", "load", "require", "print",
                                          "collectgarbage", NULL};
    for (const char *const *r = removed; *r; r++) {
        lua_pushnil(L);
        lua_setglobal(L, *r);
    }
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    /* Pattern functions with bounds (the matcher runs in C, uncounted). */
    static const char *const patterned[] = {"find", "match", "gmatch", "gsub", NULL};
    for (const char *const *f = patterned; *f; f++) {
        lua_getfield(L, -1, *f);
        lua_pushcclosure(L, l_bounded_string_fn, 1);
        lua_setfield(L, -2, *f);
    }
    lua_pop(L, 1);
    /* Strings' metatable indexes this same table, so s:dump() is gone too,
     * and s:find() is bounded too. */
    lua_pushcfunction(L, l_safe_pcall);
    lua_setglobal(L, "pcall");
    lua_pushnil(L);
    lua_setglobal(L, "xpcall");
    /* __gc functions run with instruction counting off: no metatable
     * with __gc may be set. */
    lua_getglobal(L, "setmetatable");
    lua_pushcclosure(L, l_safe_setmetatable, 1);
    lua_setglobal(L, "setmetatable");

    luaL_newmetatable(L, MT_PLACE);
    lua_pushcfunction(L, l_place_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, l_place_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "place");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newmetatable(L, MT_LEG);
    lua_pushliteral(L, "leg");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newmetatable(L, MT_LINE);
    lua_pushliteral(L, "subway line");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    luaL_newmetatable(L, MT_ACTOR);
    lua_pushcfunction(L, l_actor_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "actor");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);

    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}

/* ------------------------------------------------------------------ */
/* Stations table                                                      */
/* ------------------------------------------------------------------ */

static int load_stations(builder *b, const char *path, scn_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err->message, sizeof err->message, "%s: cannot open the subway stations table", path);
        return -1;
    }
    char line[512];
    int lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        if (lineno == 1)
            continue; /* header */
        station st;
        memset(&st, 0, sizeof st);
        char *fields[4];
        int nf = 0;
        char *p = line;
        while (nf < 4) {
            fields[nf++] = p;
            char *c = strchr(p, ',');
            if (!c)
                break;
            *c = '\0';
            p = c + 1;
        }
        if (nf != 4) {
            snprintf(err->message, sizeof err->message, "%s:%d: expected 4 columns (line,station,lat,lon)",
                     path, lineno);
            fclose(f);
            return -1;
        }
        /* Longer names are cut to the table's width (none in the data is). */
        snprintf(st.line, sizeof st.line, "%.*s", (int)sizeof st.line - 1, fields[0]);
        snprintf(st.name, sizeof st.name, "%.*s", (int)sizeof st.name - 1, fields[1]);
        char *end1, *end2;
        st.p.lat = strtod(fields[2], &end1);
        st.p.lon = strtod(fields[3], &end2);
        if (end1 == fields[2] || end2 == fields[3] || fabs(st.p.lat) > 90 || fabs(st.p.lon) > 180) {
            snprintf(err->message, sizeof err->message, "%s:%d: bad latitude or longitude", path, lineno);
            fclose(f);
            return -1;
        }
        if (pw_grow((void **)&b->stations.v, &b->stations.cap, b->stations.n + 1, sizeof st) != 0) {
            fclose(f);
            return -1;
        }
        b->stations.v[b->stations.n++] = st;
    }
    fclose(f);
    return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static void builder_free(builder *b)
{
    free(b->stations.v);
    free(b->points.v);
    free(b->legs.v);
    free(b->actors.v);
    free(b->actor_lines.v);
    free(b->env_zones.v);
    free(b->lines.v);
    free(b->station_names.v);
    free(b->zones.v);
    free(b->cases.v);
    free(b->case_lines.v);
    free(b->events.v);
    free(b->timers.v);
    free(b->expects.v);
}

/* Fill err from "file:line: message" (the first line of a Lua error). */
static void set_error(scn_error *err, const char *file, const char *msg)
{
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = 0;
    const char *nl = strchr(msg, '\n');
    size_t len = nl ? (size_t)(nl - msg) : strlen(msg);
    if (len >= sizeof err->message)
        len = sizeof err->message - 1;
    memcpy(err->message, msg, len);
    err->message[len] = '\0';
    size_t fl = strlen(file);
    if (strncmp(msg, file, fl) == 0 && msg[fl] == ':')
        err->line = atoi(msg + fl + 1);
}

static void set_error_at(scn_error *err, const char *file, int line, const char *msg)
{
    char buf[600];
    snprintf(buf, sizeof buf, "%s:%d: %s", file, line, msg);
    set_error(err, file, buf);
}

/* Checks that need the whole script. */
static int validate(builder *b, scn_error *err)
{
    char msg[400];
    if (!b->have_meta) {
        set_error_at(err, b->file, 1, "no scenario { name = , start = , duration = , origin = } declaration");
        return -1;
    }
    for (size_t i = 0; i < b->cases.n; i++) {
        for (size_t j = 0; j < i; j++) {
            if (b->cases.v[i].offender == b->cases.v[j].offender && b->cases.v[i].victim == b->cases.v[j].victim) {
                snprintf(msg, sizeof msg, "case: the same offender and victim already form a case (line %d)",
                         b->case_lines.v[j]);
                set_error_at(err, b->file, b->case_lines.v[i], msg);
                return -1;
            }
        }
    }
    return 0;
}

#define MOVE_VEC(dst, ndst, src) \
    do {                         \
        (dst) = (src).v;         \
        (ndst) = (src).n;        \
        (src).v = NULL;          \
        (src).n = 0;             \
    } while (0)

static scn_status run_chunk(scn_scenario *s, builder *b, lua_State *L, limits *lim, int load_status,
                            const char *file, scn_error *err)
{
    if (load_status != LUA_OK) {
        set_error(err, file, lua_tostring(L, -1));
        return load_status == LUA_ERRSYNTAX ? SCN_ESYNTAX : load_status == LUA_ERRMEM ? SCN_ELIMIT : SCN_EIO;
    }
    lua_pushlightuserdata(L, b);
    lua_setfield(L, LUA_REGISTRYINDEX, BUILDER_KEY);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 1000);
    int st = lua_pcall(L, 0, 0, 0);
    if (st != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        if (lim->hit == 1 || st == LUA_ERRMEM) {
            char buf[600];
            if (lim->where[0])
                snprintf(buf, sizeof buf, "%s memory limit of %zu MiB reached while running the scenario",
                         lim->where, lim->limit >> 20);
            else
                snprintf(buf, sizeof buf, "%s: memory limit of %zu MiB reached while running the scenario",
                         file, lim->limit >> 20);
            set_error(err, file, buf);
            return SCN_ELIMIT;
        }
        set_error(err, file, m ? m : "error object is not a string");
        return lim->hit == 2 ? SCN_ELIMIT : SCN_ERUNTIME;
    }
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, BUILDER_KEY);
    if (validate(b, err) != 0)
        return SCN_ERUNTIME;
    /* Actor names for a:name in callbacks. */
    lua_createtable(L, (int)b->actors.n, 0);
    for (size_t i = 0; i < b->actors.n; i++) {
        lua_pushstring(L, b->actors.v[i].name);
        lua_seti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, LUA_REGISTRYINDEX, "pw.actor_names");
    (void)s;
    return SCN_OK;
}

static scn_status load(scn_scenario *s, const char *code, const char *path, const scn_options *opts,
                       scn_error *err)
{
    scn_error dummy;
    if (!err)
        err = &dummy;
    memset(err, 0, sizeof *err);
    memset(s, 0, sizeof *s);
    snprintf(s->file, sizeof s->file, "%s", path);
    if (opts && opts->has_seed)
        s->seed = opts->seed;
    s->dispatch.dispatchers = 2;
    s->dispatch.handling = SCN_DIST_EXPONENTIAL;
    s->dispatch.handling_mean_ms = 180000;

    builder b;
    memset(&b, 0, sizeof b);
    b.file = path;
    b.s = s;
    const char *csv = opts && opts->stations_csv ? opts->stations_csv : PW_STATIONS_CSV;
    if (load_stations(&b, csv, err) != 0) {
        builder_free(&b);
        return SCN_EIO;
    }

    limits *lim = calloc(1, sizeof *lim);
    if (!lim) {
        builder_free(&b);
        return SCN_ENOMEM;
    }
    lim->limit = opts && opts->max_memory ? opts->max_memory : (size_t)256 << 20;
    lim->max_instructions = opts && opts->max_instructions ? opts->max_instructions : 100000000ULL;
    lim->max_run_instructions =
        opts && opts->max_run_instructions ? opts->max_run_instructions : 1000000000ULL;
    lua_State *L = lua_newstate(limited_alloc, lim);
    if (!L) {
        free(lim);
        builder_free(&b);
        return SCN_ENOMEM;
    }
    open_sandbox(L);
    lua_pushlightuserdata(L, (void *)opts);
    lua_setfield(L, LUA_REGISTRYINDEX, "pw.options");

    char chunkname[300];
    snprintf(chunkname, sizeof chunkname, "@%s", path);
    int ls;
    if (code) {
        ls = luaL_loadbufferx(L, code, strlen(code), chunkname, "t");
    } else {
        ls = luaL_loadfilex(L, path, "t");
        if (ls == LUA_ERRFILE) {
            snprintf(err->message, sizeof err->message, "%s: cannot read the scenario file", path);
            snprintf(err->file, sizeof err->file, "%s", path);
            lua_close(L);
            free(lim);
            builder_free(&b);
            return SCN_EIO;
        }
    }
    scn_status st = run_chunk(s, &b, L, lim, ls, path, err);
    /* The options live on the caller's stack: callbacks see no params. */
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, "pw.options");
    if (st != SCN_OK) {
        lua_close(L);
        free(lim);
        builder_free(&b);
        char file[256];
        snprintf(file, sizeof file, "%s", s->file);
        memset(s, 0, sizeof *s);
        snprintf(s->file, sizeof s->file, "%s", file);
        return st;
    }
    MOVE_VEC(s->points, s->n_points, b.points);
    MOVE_VEC(s->legs, s->n_legs, b.legs);
    MOVE_VEC(s->actors, s->n_actors, b.actors);
    MOVE_VEC(s->env_zones, s->n_env_zones, b.env_zones);
    MOVE_VEC(s->lines, s->n_lines, b.lines);
    MOVE_VEC(s->station_names, s->n_station_names, b.station_names);
    MOVE_VEC(s->cases, s->n_cases, b.cases);
    MOVE_VEC(s->events, s->n_events, b.events);
    MOVE_VEC(s->timers, s->n_timers, b.timers);
    MOVE_VEC(s->expects, s->n_expects, b.expects);
    builder_free(&b);
    s->lua = L;
    s->lua_limits = lim;
    return SCN_OK;
}

scn_status scn_load_file(scn_scenario *s, const char *path, const scn_options *opts, scn_error *err)
{
    return load(s, NULL, path, opts, err);
}

scn_status scn_load_string(scn_scenario *s, const char *code, const char *chunkname,
                           const scn_options *opts, scn_error *err)
{
    return load(s, code, chunkname, opts, err);
}

void scn_close_lua(scn_scenario *s)
{
    if (s->lua) {
        lua_close(s->lua);
        free(s->lua_limits);
        s->lua = NULL;
        s->lua_limits = NULL;
    }
}

scn_status scn_run_timer(scn_scenario *s, size_t i, pw_time_ms now, const scn_hooks *hooks,
                         scn_error *err)
{
    scn_error dummy;
    if (!err)
        err = &dummy;
    if (!s || !s->lua || i >= s->n_timers || !hooks)
        return SCN_ERUNTIME;
    lua_State *L = s->lua;
    void *ud;
    lua_getallocf(L, &ud);
    limits *lim = ud;
    lim->instructions = 0; /* each callback: its own limit, and the run's */
    lim->in_callback = 1;
    lua_pushlightuserdata(L, (void *)hooks);
    lua_setfield(L, LUA_REGISTRYINDEX, HOOKS_KEY);
    lua_rawgeti(L, LUA_REGISTRYINDEX, s->timers[i].ref);
    lua_pushnumber(L, (double)(now - s->start) / 1000.0); /* seconds since the start */
    int st = lua_pcall(L, 1, 0, 0);
    lim->in_callback = 0;
    lua_pushnil(L);
    lua_setfield(L, LUA_REGISTRYINDEX, HOOKS_KEY);
    if (st != LUA_OK) {
        set_error(err, s->file, lua_tostring(L, -1) ? lua_tostring(L, -1) : "error in a callback");
        lua_pop(L, 1);
        return lim->hit ? SCN_ELIMIT : SCN_ERUNTIME;
    }
    return SCN_OK;
}
