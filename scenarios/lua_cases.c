/*
 * lua_cases.c - case() (an offender, a victim, their rules and zones),
 * dispatchers() (the 112 desk) and call() (an unrelated 112 call).
 */
#include "lua_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ */
/* Cases, dispatchers, timed events                                    */
/* ------------------------------------------------------------------ */

static int l_case(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "case";
    scl_check_table_arg(L, what);
    scl_require_meta(L, b, what);
    static const char *const allowed[] = {"id", "offender", "victim", "alarm_radius", "prewarn_radius",
                                          "zones", "enter_margin", "leave_margin", "p_open", "p_close",
                                          "dwell_open", "dwell_close", "grace", "reveal_max", NULL};
    scl_check_fields(L, 1, what, allowed);
    scn_case c;
    memset(&c, 0, sizeof c);
    c.offender = scl_field_actor(L, 1, what, "offender");
    c.victim = scl_field_actor(L, 1, what, "victim");
    if (b->actors.v[c.offender].role != SCN_OFFENDER)
        luaL_error(L, "%s: 'offender' is %s, which is not an offender", what, b->actors.v[c.offender].name);
    if (b->actors.v[c.victim].role != SCN_VICTIM)
        luaL_error(L, "%s: 'victim' is %s, which is not a victim", what, b->actors.v[c.victim].name);
    eng_case_def *d = &c.def;
    /* The case's id in every output: given, or its place among the cases
     * (the first case is 1). */
    int given = scl_field_present(L, 1, "id");
    double id = scl_field_number(L, 1, what, "id", (double)(b->cases.n + 1), 1, 4294967295.0);
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
    d->alarm_radius_m = scl_field_number(L, 1, what, "alarm_radius", d->alarm_radius_m, 1, 100000);
    d->prewarn_radius_m = scl_field_number(L, 1, what, "prewarn_radius", d->prewarn_radius_m, 0, 100000);
    if (d->prewarn_radius_m > 0 && d->prewarn_radius_m < d->alarm_radius_m)
        luaL_error(L, "%s: 'prewarn_radius' (%f m) must be at least 'alarm_radius' (%f m), or 0 to disable",
                   what, d->prewarn_radius_m, d->alarm_radius_m);
    d->enter_margin_m = scl_field_number(L, 1, what, "enter_margin", d->enter_margin_m, 0, 10000);
    d->leave_margin_m = scl_field_number(L, 1, what, "leave_margin", d->leave_margin_m, 0, 10000);
    d->p_open = scl_field_number(L, 1, what, "p_open", d->p_open, 0.01, 1);
    d->p_close = scl_field_number(L, 1, what, "p_close", d->p_close, 0, 0.99);
    if (d->p_close >= d->p_open)
        luaL_error(L, "%s: 'p_close' (%f) must be below 'p_open' (%f)", what, d->p_close, d->p_open);
    d->dwell_open_ms = scl_field_duration(L, 1, what, "dwell_open", d->dwell_open_ms);
    d->dwell_close_ms = scl_field_duration(L, 1, what, "dwell_close", d->dwell_close_ms);
    d->grace_ms = scl_field_duration(L, 1, what, "grace", d->grace_ms);
    d->reveal_max_ms = scl_field_duration(L, 1, what, "reveal_max", d->reveal_max_ms);
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
    VEC_PUSH(L, b->case_lines, scl_current_line(L));
    return 0;
}

/* dispatchers { count = 2, handling = "exp 3m" | "fixed 2m" | "uniform 1m-5m" } */
static int l_dispatchers(lua_State *L)
{
    builder *b = scl_get_builder(L);
    const char *what = "dispatchers";
    scl_check_table_arg(L, what);
    static const char *const allowed[] = {"count", "handling", NULL};
    scl_check_fields(L, 1, what, allowed);
    if (b->have_dispatch)
        luaL_error(L, "%s: declared twice", what);
    scn_dispatch *d = &b->s->dispatch;
    d->dispatchers = (int)scl_field_number(L, 1, what, "count", 2, 1, 10000);
    const char *h = scl_field_string(L, 1, what, "handling", "exp 3m");
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

/* The fields of a call: at, place, duration (on scene, default 20 m), what. */
size_t scl_add_call(lua_State *L, builder *b, int idx, const char *what)
{
    scn_call c;
    memset(&c, 0, sizeof c);
    c.line = scl_current_line(L);
    if (!scl_field_present(L, idx, "at"))
        luaL_error(L, "%s: 'at' is required", what);
    c.at = scl_field_time(L, b, idx, what, "at", 0);
    c.place = scl_field_place(L, idx, what, "place", 1, NULL);
    c.on_scene_ms = scl_field_duration(L, idx, what, "duration", 20 * 60000);
    if (c.on_scene_ms <= 0)
        luaL_error(L, "%s: 'duration' (the patrol's time on scene) must be positive", what);
    const char *text = scl_field_string(L, idx, what, "what", "112 call");
    if (strlen(text) >= sizeof c.what)
        luaL_error(L, "%s: 'what' is longer than %d bytes", what, (int)sizeof c.what - 1);
    memcpy(c.what, text, strlen(text) + 1);
    VEC_PUSH(L, b->calls, c);
    return b->calls.n - 1;
}

/* call { at = , place = , duration = , what = } */
static int l_call(lua_State *L)
{
    builder *b = scl_get_builder(L);
    scl_check_table_arg(L, "call");
    scl_require_meta(L, b, "call");
    static const char *const allowed[] = {"at", "place", "duration", "what", NULL};
    scl_check_fields(L, 1, "call", allowed);
    scl_add_call(L, b, 1, "call");
    return 0;
}

void scl_open_cases(lua_State *L)
{
    static const luaL_Reg api[] = {
        {"case", l_case},
        {"dispatchers", l_dispatchers},
        {"call", l_call},
        {NULL, NULL},
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}
