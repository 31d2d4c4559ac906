/*
 * lua_expect.c - expect { }: what a planner should see, checked after
 * the run (eval/expect.h); keys, bounds and their consistency.
 */
#include "lua_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        return (double)scl_to_duration(L, idx, "expect", scn_measure_name(m)) / 1000.0;
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
    scl_check_fields(L, idx, what, allowed);
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
    builder *b = scl_get_builder(L);
    scl_check_table_arg(L, "expect");
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
    int line = scl_current_line(L);
    for (int m = 0; m < SCN_M_COUNT; m++) {
        const char *name = scn_measure_name((scn_measure)m);
        char max_key[64];
        snprintf(max_key, sizeof max_key, "%s_max", name);
        int plain = scl_field_present(L, 1, name);
        int at_most = scn_measure_unit((scn_measure)m) == SCN_UNIT_SECONDS && scl_field_present(L, 1, max_key);
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


void scl_open_expect(lua_State *L)
{
    static const luaL_Reg api[] = {
        {"expect", l_expect},
        {NULL, NULL},
    };
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
}
