/*
 * lua_fields.c - the strict field readers of the scenario language and
 * the builder's accessors (lua_internal.h).
 */
#include "lua_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

builder *scl_get_builder(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, BUILDER_KEY);
    builder *b = lua_touserdata(L, -1);
    lua_pop(L, 1);
    if (!b)
        luaL_error(L, "the scenario is already loaded: declarations are not allowed in callbacks");
    return b;
}

int scl_current_line(lua_State *L)
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
void scl_check_fields(lua_State *L, int idx, const char *what, const char *const *allowed)
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

int scl_field_present(lua_State *L, int idx, const char *k)
{
    int t = lua_getfield(L, idx, k);
    lua_pop(L, 1);
    return t != LUA_TNIL;
}

double scl_field_number(lua_State *L, int idx, const char *what, const char *k, double dflt,
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

const char *scl_field_string(lua_State *L, int idx, const char *what, const char *k,
                                const char *dflt)
{
    int t = lua_getfield(L, idx, k);
    const char *v = dflt;
    if (t != LUA_TNIL) {
        if (t != LUA_TSTRING)
            luaL_error(L, "%s: '%s' must be a string, got %s", what, k, luaL_typename(L, -1));
        size_t len;
        v = lua_tolstring(L, -1, &len);
        if (strlen(v) != len) /* C would cut it at the NUL, silently */
            luaL_error(L, "%s: '%s' contains a NUL byte", what, k);
    }
    lua_pop(L, 1); /* the string stays alive: it is in the argument table */
    return v;
}

/* A duration: "90s", "5m", "1h30m", or a number of seconds. */
pw_time_ms scl_to_duration(lua_State *L, int idx, const char *what, const char *k)
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

pw_time_ms scl_field_duration(lua_State *L, int idx, const char *what, const char *k,
                                 pw_time_ms dflt)
{
    pw_time_ms d = dflt;
    if (lua_getfield(L, idx, k) != LUA_TNIL)
        d = scl_to_duration(L, -1, what, k);
    lua_pop(L, 1);
    return d;
}

/*
 * A time in the scenario: "08:15" (the first such local time at or after
 * the start), "+20m" (after the start), or "2026-03-02 08:15" (local).  It
 * must fall inside the scenario.
 */
pw_time_ms scl_to_time(lua_State *L, builder *b, int idx, const char *what, const char *k)
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

pw_time_ms scl_field_time(lua_State *L, builder *b, int idx, const char *what, const char *k,
                             pw_time_ms dflt)
{
    pw_time_ms t = dflt;
    if (lua_getfield(L, idx, k) != LUA_TNIL)
        t = scl_to_time(L, b, -1, what, k);
    lua_pop(L, 1);
    return t;
}

scn_point scl_check_place(lua_State *L, int idx, const char *what, const char *k)
{
    scn_point *p = luaL_testudata(L, idx, MT_PLACE);
    if (!p)
        luaL_error(L, "%s: '%s' must be a place (place(lat, lon) or station(line, name)), got %s",
                   what, k, luaL_typename(L, idx));
    return *p;
}

scn_point scl_field_place(lua_State *L, int idx, const char *what, const char *k, int required,
                             int *present)
{
    scn_point p = {NAN, NAN};
    int t = lua_getfield(L, idx, k);
    if (t == LUA_TNIL) {
        if (required)
            luaL_error(L, "%s: '%s' is required", what, k);
    } else {
        p = scl_check_place(L, -1, what, k);
    }
    if (present)
        *present = t != LUA_TNIL;
    lua_pop(L, 1);
    return p;
}

/* A true/false field: "false" or 0 are not booleans here (Lua would take
 * both as true). */
int scl_field_bool(lua_State *L, int idx, const char *what, const char *k, int dflt)
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

void scl_check_table_arg(lua_State *L, const char *what)
{
    if (lua_type(L, 1) != LUA_TTABLE)
        luaL_error(L, "%s expects a table: %s { ... }", what, what);
}


void scl_require_meta(lua_State *L, builder *b, const char *what)
{
    if (!b->have_meta)
        luaL_error(L, "%s: declare scenario { ... } first", what);
}
