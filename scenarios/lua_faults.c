/*
 * lua_faults.c - faults and time: tamper(), battery_death(),
 * device_off(), panic(), network_outage(), gnss_outage(), centre_outage(), at(),
 * every(), param(), and the methods an actor has in callbacks.
 */
#include "lua_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int timed_event(lua_State *L, scn_event_kind kind, const char *what, int needs_actor, int span)
{
    builder *b = scl_get_builder(L);
    scl_check_table_arg(L, what);
    scl_require_meta(L, b, what);
    static const char *const at_allowed[] = {"actor", "at", NULL};
    static const char *const span_allowed[] = {"actor", "from", "to", NULL};
    static const char *const centre_allowed[] = {"from", "to", NULL};
    scl_check_fields(L, 1, what, span ? (needs_actor ? span_allowed : centre_allowed) : at_allowed);
    scn_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.actor = needs_actor ? scl_field_actor(L, 1, what, "actor") : SIZE_MAX;
    if (span) {
        if (!scl_field_present(L, 1, "from") || !scl_field_present(L, 1, "to"))
            luaL_error(L, "%s: 'from' and 'to' are required", what);
        ev.at = scl_field_time(L, b, 1, what, "from", 0);
        ev.until = scl_field_time(L, b, 1, what, "to", 0);
        if (ev.until <= ev.at)
            luaL_error(L, "%s: 'to' must be after 'from'", what);
    } else {
        if (!scl_field_present(L, 1, "at"))
            luaL_error(L, "%s: 'at' is required", what);
        ev.at = scl_field_time(L, b, 1, what, "at", 0);
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
static int l_gnss_outage(lua_State *L) { return timed_event(L, SCN_EV_GNSS_OUTAGE, "gnss_outage", 1, 1); }
static int l_centre_outage(lua_State *L) { return timed_event(L, SCN_EV_CENTRE_OUTAGE, "centre_outage", 0, 1); }

/* at("08:15", fn) / every("10m", fn) / every("10m", fn, "08:00") */
static int add_timer(lua_State *L, int repeat)
{
    builder *b = scl_get_builder(L);
    const char *what = repeat ? "every" : "at";
    scl_require_meta(L, b, what);
    scn_timer t;
    memset(&t, 0, sizeof t);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    if (repeat) {
        t.every_ms = scl_to_duration(L, 1, what, "period");
        if (t.every_ms < 1000)
            luaL_error(L, "every: the period must be at least 1 s");
        t.at = lua_isnoneornil(L, 3) ? b->s->start : scl_to_time(L, b, 3, what, "first");
    } else {
        t.at = scl_to_time(L, b, 1, what, "time");
    }
    t.line = scl_current_line(L);
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
        until = scl_to_duration(L, 2, what, "duration");
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
    pw_time_ms d = scl_to_duration(L, 1, "centre_outage", "duration");
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
    if (strcmp(k, "name") == 0) {
        lua_getfield(L, LUA_REGISTRYINDEX, "pw.actor_names");
        lua_geti(L, -1, (lua_Integer)u->index + 1);
        return 1;
    }
    return luaL_error(L, "actor has no field or method '%s'", k);
}


void scl_open_faults(lua_State *L)
{
    luaL_newmetatable(L, MT_ACTOR);
    lua_pushcfunction(L, l_actor_index);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "actor");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    static const luaL_Reg api[] = {
        {"tamper", l_tamper},
        {"battery_death", l_battery_death},
        {"device_off", l_device_off},
        {"panic", l_panic},
        {"network_outage", l_network_outage},
        {"gnss_outage", l_gnss_outage},
        {"centre_outage", l_centre_outage_any},
        {"at", l_at},
        {"param", l_param},
        {"every", l_every},
        {NULL, NULL},
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}
