/*
 * lua.c - the scenario language: a sandboxed Lua 5.4 state whose API
 * functions fill a builder, then validation and conversion to scn_scenario.
 * This file holds the sandbox (memory and instruction limits that a script
 * cannot catch, bounded string patterns), scenario { }, and loading; the
 * bindings are one file per group (lua_internal.h lists them).
 *
 * Every API function checks its argument table field by field and rejects
 * unknown fields, so a typo is an error at the line that made it rather than
 * a silently ignored setting.  What needs no Lua (parsing of times, the
 * table of expect keys) is in scenario.c.
 */
#include "lua_internal.h"

#include <lualib.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- scenario { } ---------------------------------------------------- */

static int l_scenario(lua_State *L)
{
    builder *b = scl_get_builder(L);
    scl_check_table_arg(L, "scenario");
    if (b->have_meta)
        luaL_error(L, "scenario: declared twice (first at line %d)", b->meta_line);
    static const char *const allowed[] = {"name", "start", "timezone", "duration", "seed", "origin", NULL};
    scl_check_fields(L, 1, "scenario", allowed);
    scn_scenario *s = b->s;
    const char *name = scl_field_string(L, 1, "scenario", "name", NULL);
    if (!name || !*name)
        luaL_error(L, "scenario: 'name' is required");
    snprintf(s->name, sizeof s->name, "%s", name);
    const char *tz = scl_field_string(L, 1, "scenario", "timezone", "+09:00");
    if (!scn_parse_utc_offset(tz, &s->utc_offset_min))
        luaL_error(L, "scenario: 'timezone' = \"%s\" is not an offset like \"+09:00\"", tz);
    const char *start = scl_field_string(L, 1, "scenario", "start", NULL);
    if (!start)
        luaL_error(L, "scenario: 'start' is required, e.g. start = \"2026-03-02 07:30\"");
    if (!scn_parse_local_datetime(start, s->utc_offset_min, &s->start))
        luaL_error(L, "scenario: 'start' = \"%s\" is not a local date and time like \"2026-03-02 07:30\"",
                   start);
    s->duration_ms = scl_field_duration(L, 1, "scenario", "duration", -1);
    if (s->duration_ms <= 0)
        luaL_error(L, "scenario: 'duration' is required and must be positive, e.g. duration = \"2h\"");
    if (s->duration_ms > 7LL * 86400000)
        luaL_error(L, "scenario: 'duration' is over 7 days");
    double seed = scl_field_number(L, 1, "scenario", "seed", 1, 0, 9007199254740991.0);
    if (seed != floor(seed))
        luaL_error(L, "scenario: 'seed' must be a whole number");
    if (!s->seed)
        s->seed = (uint64_t)seed; /* a --seed given to the loader is already in place */
    int has_origin = 0;
    s->origin = scl_field_place(L, 1, "scenario", "origin", 0, &has_origin);
    if (!has_origin)
        luaL_error(L, "scenario: 'origin' is required: the region's centre, e.g. origin = station(\"2\", \"강남\")");
    /* Local midnight of the start day, for "08:15" style times. */
    pw_time_ms local_ms = s->start + (pw_time_ms)s->utc_offset_min * 60000;
    pw_time_ms day = local_ms / 86400000 * 86400000;
    b->start_local_midnight = day - (pw_time_ms)s->utc_offset_min * 60000;
    b->have_meta = 1;
    b->meta_line = scl_current_line(L);
    /* math.random follows the run's seed, so scripts stay reproducible. */
    lua_getglobal(L, "math");
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, (lua_Integer)(s->seed & 0x7fffffffffffffffULL));
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    return 0;
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

    scl_open_places(L);
    scl_open_zones(L);
    scl_open_actors(L);
    scl_open_cases(L);
    scl_open_faults(L);
    scl_open_expect(L);
    scl_open_drill(L);
    lua_register(L, "scenario", l_scenario);
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
    free(b->safe_places.v);
    free(b->lines.v);
    free(b->station_names.v);
    free(b->zones.v);
    free(b->cases.v);
    free(b->case_lines.v);
    free(b->events.v);
    free(b->timers.v);
    free(b->expects.v);
    free(b->calls.v);
    free(b->draws.v);
    free(b->injects.v);
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
    if (scl_load_stations(&b, csv, err) != 0) {
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
        errno = 0;
        ls = luaL_loadfilex(L, path, "t");
        if (ls == LUA_ERRFILE) {
            int why = errno ? errno : EIO;
            snprintf(err->message, sizeof err->message, "%s: cannot read the scenario file: %s", path,
                     strerror(why));
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
    MOVE_VEC(s->safe_places, s->n_safe_places, b.safe_places);
    MOVE_VEC(s->lines, s->n_lines, b.lines);
    MOVE_VEC(s->station_names, s->n_station_names, b.station_names);
    MOVE_VEC(s->cases, s->n_cases, b.cases);
    MOVE_VEC(s->events, s->n_events, b.events);
    MOVE_VEC(s->timers, s->n_timers, b.timers);
    MOVE_VEC(s->expects, s->n_expects, b.expects);
    MOVE_VEC(s->calls, s->n_calls, b.calls);
    MOVE_VEC(s->draws, s->n_draws, b.draws);
    MOVE_VEC(s->injects, s->n_injects, b.injects);
    s->drill.level = opts && opts->level >= SCN_LEVEL_EASY && opts->level <= SCN_LEVEL_HARD ? opts->level
                                                                                          : SCN_LEVEL_NORMAL;
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

