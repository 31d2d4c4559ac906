/*
 * lua_actors.c - legs (walk, drive, bus, subway, wait) and the actors
 * who take them (offender, victim, patrol) with their devices.
 */
#include "lua_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Route legs                                                          */
/* ------------------------------------------------------------------ */

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
    u->line = scl_current_line(L);
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
    u->leg.dwell_ms = scl_field_duration(L, 1, what, "stay", 0);
    u->leg.depart_at = scl_field_time(L, b, 1, what, "depart", -1);
}

/* walk { to = place, via = {places}, speed = , stay = , depart = }, same for drive and bus */
static int travel_leg(lua_State *L, scn_mode mode)
{
    builder *b = scl_get_builder(L);
    const char *what = scn_mode_name(mode);
    scl_check_table_arg(L, what);
    static const char *const allowed[] = {"to", "via", "speed", "stay", "depart", "underground", NULL};
    scl_check_fields(L, 1, what, allowed);
    leg_ud *u = new_leg(L, mode);
    /* A passage, an underpass, a road tunnel: no GNSS, and no train. */
    u->leg.underground = (uint8_t)scl_field_bool(L, 1, what, "underground", 0);
    int idx_leg = lua_gettop(L);
    if (lua_getfield(L, 1, "via") != LUA_TNIL) {
        if (lua_type(L, -1) != LUA_TTABLE)
            luaL_error(L, "%s: 'via' must be a list of places", what);
        size_t n = lua_rawlen(L, -1);
        if (n + 1 > LEG_MAX_POINTS)
            luaL_error(L, "%s: at most %d 'via' places", what, LEG_MAX_POINTS - 1);
        for (size_t i = 1; i <= n; i++) {
            lua_geti(L, -1, (lua_Integer)i);
            u->pts[u->n_points++] = scl_check_place(L, -1, what, "via");
            lua_pop(L, 1);
        }
    }
    lua_pop(L, 1);
    u->pts[u->n_points++] = scl_field_place(L, 1, what, "to", 1, NULL);
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
    builder *b = scl_get_builder(L);
    const char *what = "subway";
    scl_check_table_arg(L, what);
    static const char *const allowed[] = {"line", "from", "to", "stop", "speed", "stay", "depart",
                                          "underground", NULL};
    scl_check_fields(L, 1, what, allowed);
    leg_ud *u = new_leg(L, SCN_SUBWAY);
    int idx_leg = lua_gettop(L);
    lua_getfield(L, 1, "line");
    line_ud *lu = luaL_testudata(L, -1, MT_LINE);
    if (!lu)
        luaL_error(L, "%s: 'line' must be a subway_line { name = , stations = {...} }", what);
    size_t li = lu->index;
    lua_pop(L, 1);
    const scn_subway_line *ln = &b->lines.v[li];
    const char *from = scl_field_string(L, 1, what, "from", NULL);
    const char *to = scl_field_string(L, 1, what, "to", NULL);
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
    u->leg.dwell_stop_ms = scl_field_duration(L, 1, what, "stop", 30000);
    u->leg.underground = (uint8_t)scl_field_bool(L, 1, what, "underground", 1);
    leg_common(L, b, u, what);
    lua_settop(L, idx_leg);
    return 1;
}

/* wait "30m" (a while), wait "08:10" (until then), or wait { stay = , till = } */
static int l_wait(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "wait";
    leg_ud *u = new_leg(L, SCN_WALK);
    int idx_leg = lua_gettop(L);
    if (lua_type(L, 1) == LUA_TTABLE) {
        static const char *const allowed[] = {"stay", "till", NULL};
        scl_check_fields(L, 1, what, allowed);
        u->leg.dwell_ms = scl_field_duration(L, 1, what, "stay", 0);
        pw_time_ms until = scl_field_time(L, b, 1, what, "till", -1);
        if (until >= 0)
            u->leg.depart_at = until; /* hold until then; no movement */
    } else if (lua_type(L, 1) == LUA_TSTRING && strchr(lua_tostring(L, 1), ':')) {
        u->leg.depart_at = scl_to_time(L, b, 1, what, "until"); /* wait "08:10" */
    } else if (lua_type(L, 1) == LUA_TSTRING && lua_tostring(L, 1)[0] == '+') {
        /* wait "+20m": until 20 minutes after the scenario's start, like
         * every other "+" time */
        u->leg.depart_at = scl_to_time(L, b, 1, what, "until");
    } else {
        u->leg.dwell_ms = scl_to_duration(L, 1, what, "duration");
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
    pw_time_ms d = scl_field_duration(L, idx, what, k, -1);
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
    scl_check_fields(L, idx, what, tag ? tag_allowed : phone_allowed);
    d->interval_rest_ms = field_period(L, idx, what, "interval");
    d->interval_moving_ms = field_period(L, idx, what, "moving_interval");
    if (tag)
        d->interval_pursuit_ms = field_period(L, idx, what, "pursuit_interval");
    d->heartbeat_ms = field_period(L, idx, what, "heartbeat");
    d->signal_timeout_ms = field_period(L, idx, what, "signal_timeout");
    d->battery_start_pct = scl_field_number(L, idx, what, "battery", NAN, 0, 100);
    d->drain_pct_per_hour = scl_field_number(L, idx, what, "drain_per_hour", NAN, 0, 100);
    d->drain_pct_per_fix = scl_field_number(L, idx, what, "drain_per_fix", NAN, 0, 100);
    pw_time_ms delay = scl_field_duration(L, idx, what, "network_delay", -1);
    d->net_delay_mean_ms = delay == -1 ? NAN : (double)delay;
    d->net_loss = scl_field_number(L, idx, what, "network_loss", NAN, 0, 1);
    d->accuracy_scale = scl_field_number(L, idx, what, "accuracy", NAN, 0.1, 20);
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
    builder *b = scl_get_builder(L);
    const char *what = scn_role_name(role);
    scl_check_table_arg(L, what);
    scl_require_meta(L, b, what);
    static const char *const off_allowed[] = {"name", "start", "tag", "route", "loop", NULL};
    static const char *const vic_allowed[] = {"name", "start", "phone", "route", "loop", NULL};
    static const char *const pat_allowed[] = {"name", "base", "speed", "detour", NULL};
    scl_check_fields(L, 1, what, role == SCN_OFFENDER ? off_allowed : role == SCN_VICTIM ? vic_allowed : pat_allowed);
    scn_actor a;
    memset(&a, 0, sizeof a);
    a.role = role;
    a.id = (pw_id)(b->actors.n + 1);
    const char *name = scl_field_string(L, 1, what, "name", NULL);
    if (!name || !*name)
        luaL_error(L, "%s: 'name' is required", what);
    for (size_t i = 0; i < b->actors.n; i++)
        if (strcmp(b->actors.v[i].name, name) == 0)
            luaL_error(L, "%s: an actor named '%s' already exists (line %d)", what, name,
                       b->actor_lines.v[i]);
    snprintf(a.name, sizeof a.name, "%s", name);
    device_defaults(&a.device, role);
    if (role == SCN_PATROL) {
        a.start = scl_field_place(L, 1, what, "base", 1, NULL);
        a.patrol_speed_mps = scl_field_number(L, 1, what, "speed", 11.0, 1, 50);
        a.patrol_detour = scl_field_number(L, 1, what, "detour", 1.4, 1, 3);
    } else {
        a.start = scl_field_place(L, 1, what, "start", 1, NULL);
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
        a.loop = scl_field_bool(L, 1, what, "loop", 0);
        if (a.loop && a.n_legs == 0)
            luaL_error(L, "%s '%s': 'loop' needs a route", what, name);
    }
    VEC_PUSH(L, b->actors, a);
    VEC_PUSH(L, b->actor_lines, scl_current_line(L));
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

size_t scl_field_actor(lua_State *L, int idx, const char *what, const char *k)
{
    if (lua_getfield(L, idx, k) == LUA_TNIL)
        luaL_error(L, "%s: '%s' is required", what, k);
    size_t a = check_actor(L, -1, what, k);
    lua_pop(L, 1);
    return a;
}


void scl_open_actors(lua_State *L)
{
    luaL_newmetatable(L, MT_LEG);
    lua_pushliteral(L, "leg");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 1);
    static const luaL_Reg api[] = {
        {"walk", l_walk},
        {"drive", l_drive},
        {"bus", l_bus},
        {"subway", l_subway},
        {"wait", l_wait},
        {"offender", l_offender},
        {"victim", l_victim},
        {"patrol", l_patrol},
        {NULL, NULL},
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}
