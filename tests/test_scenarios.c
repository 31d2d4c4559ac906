/*
 * test_scenarios.c - the Lua scenario loader: the bundled scenarios load,
 * every kind of scenario error names file and line, the sandbox holds,
 * at/every callbacks reach the simulator's hooks, and expect { } is parsed
 * and checked.
 *
 * With --bundled (ctest: scenario_expectations) it instead runs every
 * bundled scenario on seeds 1, 2 and 3 and fails on each expectation that
 * does not hold, naming scenario, seed and expectation.
 *
 * Over 800 lines: one CUnit program for the language (ctest lists them by
 * module); the cases are independent tables of scripts and their errors.
 */
#include "expect.h"
#include "scenario.h"
#include "record.h"
#include "sim.h"
#include "test_util.h"

#include <dirent.h>
#include <math.h>
#include <string.h>
#include <time.h>

#define HEADER_TEXT \
    "scenario { name = 't', start = '2026-03-02 07:30', duration = '2h', origin = place(37.5, 127.0) }\n"
static const char *HEADER = HEADER_TEXT;

/* Load HEADER followed by `body` as "t.lua". */
/* A scenario that must load: the loader's message shown when it does not. */
#define ASSERT_LOADED(st, err)                                                                    \
    do {                                                                                          \
        if ((st) != SCN_OK)                                                                       \
            printf("\n    %s", (err).message);                                                   \
        CU_ASSERT_EQUAL_FATAL((st), SCN_OK);                                                      \
    } while (0)

static scn_status load_body(scn_scenario *s, const char *body, scn_error *err)
{
    char code[8192];
    snprintf(code, sizeof code, "%s%s", HEADER, body);
    return scn_load_string(s, code, "t.lua", NULL, err);
}

static void test_durations(void)
{
    static const struct { const char *text; pw_time_ms ms; } cases[] = {
        {"90s", 90000}, {"5m", 300000}, {"2h", 7200000}, {"1h30m", 5400000}, {"250ms", 250},
        {"1.5s", 1500}, {"45", 45000}, {"1d", 86400000}, {"", -1}, {"5x", -1}, {"m", -1},
        {"-5s", -1}, {"5 m", 300000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pw_time_ms got = scn_parse_duration(cases[i].text);
        if (got != cases[i].ms)
            printf("\n    '%s' -> %lld, want %lld", cases[i].text, (long long)got, (long long)cases[i].ms);
        CU_ASSERT_EQUAL(got, cases[i].ms);
    }
}

/* The bundled default scenario loads, with real station coordinates. */
static void test_default_loads(void)
{
    scn_scenario s;
    scn_error err;
    scn_status st = scn_load_file(&s, PW_SOURCE_DIR "/scenarios/default.lua", NULL, &err);
    ASSERT_LOADED(st, err);
    CU_ASSERT_STRING_EQUAL(s.name, "Gangnam morning");
    /* 2026-03-02 07:30 KST = 2026-03-01T22:30:00Z */
    CU_ASSERT_EQUAL(s.start, 1772404200000LL);
    CU_ASSERT_EQUAL(s.duration_ms, 2 * 3600000LL);
    CU_ASSERT_EQUAL(s.utc_offset_min, 540);
    /* origin = station("2", "강남"): 37.49799, 127.027912 in the table */
    CU_ASSERT_DOUBLE_EQUAL(s.origin.lat, 37.49799, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(s.origin.lon, 127.027912, 1e-9);
    CU_ASSERT_EQUAL(s.n_actors, 4);
    CU_ASSERT_EQUAL(s.n_cases, 1);
    CU_ASSERT_EQUAL(s.cases[0].def.n_zones, 1);
    CU_ASSERT_EQUAL(s.cases[0].def.zones[0].kind, ENG_ZONE_CIRCLE);
    CU_ASSERT_EQUAL(s.n_env_zones, 1);
    CU_ASSERT_EQUAL(s.env_zones[0].env, SCN_ENV_URBAN_HEAVY);
    CU_ASSERT_EQUAL(s.dispatch.dispatchers, 2);
    /* its illustrative police box, as written in default.lua */
    CU_ASSERT_EQUAL_FATAL(s.n_safe_places, 1);
    CU_ASSERT_STRING_EQUAL(s.safe_places[0].kind, "police_box");
    CU_ASSERT_DOUBLE_EQUAL(s.safe_places[0].at.lat, 37.5018, 1e-12);
    /* The victim's subway leg: 역삼 -> 사당 passes 5 stations after 역삼. */
    const scn_actor *v = &s.actors[0];
    CU_ASSERT_EQUAL(v->role, SCN_VICTIM);
    int found = 0;
    for (size_t i = 0; i < v->n_legs; i++) {
        const scn_leg *l = &s.legs[v->first_leg + i];
        if (l->mode != SCN_SUBWAY)
            continue;
        found = 1;
        CU_ASSERT_TRUE(l->underground);
        CU_ASSERT_EQUAL(l->n_points, 5); /* 강남 교대 서초 방배 사당 */
        const scn_point *last = &s.points[l->first_point + l->n_points - 1];
        CU_ASSERT_DOUBLE_EQUAL(last->lat, 37.476538, 1e-9); /* 사당, line 2 */
        CU_ASSERT_DOUBLE_EQUAL(last->lon, 126.981544, 1e-9);
    }
    CU_ASSERT_TRUE(found);
    scn_free(&s);
}

/* Each kind of error: the message starts with the file and the right line. */
static void test_errors_name_file_and_line(void)
{
    static const struct {
        const char *body;
        int line;            /* line in the whole file (the header is line 1) */
        scn_status status;
        const char *needle;  /* part of the message */
    } cases[] = {
        {"local x = = 1\n", 2, SCN_ESYNTAX, "unexpected symbol"},
        {"\nexclusion_zone { name = 'h', center = place(37.5, 127.0), radus = 200 }\n", 3,
         SCN_ERUNTIME, "unknown field 'radus'"},
        {"exclusion_zone { name = 'h', center = place(37.5, 127.0), radius = '200' }\n", 2,
         SCN_ERUNTIME, "must be a number"},
        {"\n\nexclusion_zone { name = 'h', center = place(37.5, 127.0), radius = -5 }\n", 4,
         SCN_ERUNTIME, "out of range"},
        {"local s = station('2', 'Nowhere')\n", 2, SCN_ERUNTIME, "unknown station 'Nowhere'"},
        {"local o = offender { name = 'o', start = place(37.5, 127.0) }\n"
         "tamper { actor = o, at = '+3h' }\n", 3, SCN_ERUNTIME, "outside the scenario"},
        {"local v = victim { name = 'v', start = place(37.5, 127.0),\n"
         "  route = { walk { to = place(37.5, 127.01), speed = 0 } } }\n", 3, SCN_ERUNTIME, "speed"},
        {"case { offender = 1, victim = 2 }\n", 2, SCN_ERUNTIME, "must be an actor"},
        {"local o = offender { name = 'o', start = place(37.5, 127.0) }\n"
         "local v = victim { name = 'v', start = place(37.5, 127.0) }\n"
         "case { offender = o, victim = v, zones = { 'school' } }\n", 4, SCN_ERUNTIME,
         "unknown exclusion zone 'school'"},
        {"error('planner says no')\n", 2, SCN_ERUNTIME, "planner says no"},
        {"place(95, 127)\n", 2, SCN_ERUNTIME, "latitude 95"},
        {"\nlocal o = offender { name = 'Kim\\0Jr', start = place(37.5, 127.0) }\n", 3, SCN_ERUNTIME,
         "'name' contains a NUL byte"},
        {"safe_place { name = 'box', at = place(37.5, 127.0), kind = 'bar' }\n", 2, SCN_ERUNTIME,
         "police_box, police_station or staffed"},
        {"\nsafe_place { at = place(37.5, 127.0) }\n", 3, SCN_ERUNTIME, "'name' is required"},
        {"safe_place { name = 'box' }\n", 2, SCN_ERUNTIME, "'at' (a place) is required"},
        {"safe_place { name = string.rep('파', 22), at = place(37.5, 127.0) }\n", 2, SCN_ERUNTIME,
         "'name' is 66 bytes; at most 63"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scn_scenario s;
        scn_error err;
        scn_status st = load_body(&s, cases[i].body, &err);
        char want_prefix[32];
        snprintf(want_prefix, sizeof want_prefix, "t.lua:%d:", cases[i].line);
        int ok = st == cases[i].status && strncmp(err.message, want_prefix, strlen(want_prefix)) == 0 &&
                 strstr(err.message, cases[i].needle) != NULL && err.line == cases[i].line;
        if (!ok)
            printf("\n    case %zu: status %d, line %d, message: %s", i, st, err.line, err.message);
        CU_ASSERT_TRUE(ok);
        /* Nothing half-built is left behind. */
        CU_ASSERT_PTR_NULL(s.actors);
        CU_ASSERT_PTR_NULL(s.lua);
        scn_free(&s);
    }
}

static void test_missing_file_and_declaration(void)
{
    scn_scenario s;
    scn_error err;
    CU_ASSERT_EQUAL(scn_load_file(&s, "/nonexistent/x.lua", NULL, &err), SCN_EIO);
    CU_ASSERT(strstr(err.message, "/nonexistent/x.lua") == err.message);
    CU_ASSERT_EQUAL(scn_load_string(&s, "local a = 1\n", "empty.lua", NULL, &err), SCN_ERUNTIME);
    CU_ASSERT(strstr(err.message, "empty.lua:1: no scenario") == err.message);
}

/* The sandbox: no files, no processes, no modules, no code loading, no
 * bytecode; runaway scripts hit the limits. */
static void test_sandbox_escapes_fail(void)
{
    static const char *const escapes[] = {
        "io.open('/etc/passwd')\n",
        "os.execute('touch /tmp/pw_escape')\n",
        "require('os')\n",
        "local f = load('return 1')\n f()\n",
        "dofile('/etc/passwd')\n",
        "loadfile('/etc/passwd')\n",
        "local d = string.dump(function() end)\n",
        "local d = ('x'):dump()\n",
        "package.loadlib('libc.so.6', 'system')\n",
        "debug.getregistry()\n",
        "print('hello')\n",
    };
    for (size_t i = 0; i < sizeof escapes / sizeof escapes[0]; i++) {
        scn_scenario s;
        scn_error err;
        scn_status st = load_body(&s, escapes[i], &err);
        if (st != SCN_ERUNTIME || strncmp(err.message, "t.lua:2:", 8) != 0)
            printf("\n    escape %zu: status %d: %s", i, st, err.message);
        CU_ASSERT_EQUAL(st, SCN_ERUNTIME);
        CU_ASSERT(strncmp(err.message, "t.lua:2:", 8) == 0);
    }
    /* Bytecode is refused even as a file. */
    FILE *f = fopen("pw_bytecode_test.lua", "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("\x1bLua\x54\x00", f);
    fclose(f);
    scn_scenario s;
    scn_error err;
    CU_ASSERT_EQUAL(scn_load_file(&s, "pw_bytecode_test.lua", NULL, &err), SCN_ESYNTAX);
    CU_ASSERT(strstr(err.message, "binary") != NULL || strstr(err.message, "text") != NULL);
    remove("pw_bytecode_test.lua");
}

static void test_limits(void)
{
    scn_scenario s;
    scn_error err;
    scn_options opts = {.max_instructions = 5000000};
    CU_ASSERT_EQUAL(scn_load_string(&s, "while true do end\n", "loop.lua", &opts, &err), SCN_ELIMIT);
    if (strstr(err.message, "loop.lua:1:") != err.message)
        printf("\n    %s", err.message);
    CU_ASSERT(strstr(err.message, "loop.lua:1:") == err.message);
    if (!strstr(err.message, "instruction limit"))
        printf("\n    %s", err.message);
    CU_ASSERT(strstr(err.message, "instruction limit") != NULL);
    scn_options mem = {.max_memory = 8u << 20};
    CU_ASSERT_EQUAL(scn_load_string(&s, "local t = {}\nfor i = 1, 1e8 do t[i] = i end\n", "mem.lua", &mem,
                                    &err),
                    SCN_ELIMIT);
    CU_ASSERT(strstr(err.message, "mem.lua") == err.message);
    CU_ASSERT(strstr(err.message, "memory limit") != NULL);
    /* The memory error names the line that was running (2). */
    if (!strstr(err.message, "mem.lua:2:"))
        printf("\n    %s", err.message);
    CU_ASSERT(strstr(err.message, "mem.lua:2:") != NULL);
    /* Near the limit but recovering: 5 MB kept alive under an 8 MiB limit
     * while 400 throwaway strings of 100 kB come and go.  Lua's emergency
     * collection makes room; that is no limit reached. */
    CU_ASSERT_EQUAL(scn_load_string(&s, HEADER_TEXT
                                    "local keep = {}\nfor i = 1, 50 do keep[i] = string.rep(string.char(65 + i % 26), 100000) end\n"
                                    "for i = 1, 400 do local x = string.rep(tostring(i), 50000) end\n",
                                    "churn.lua", &mem, &err),
                    SCN_OK);
    scn_free(&s);
}

/* Times: "08:15" local, "+20m", full dates; schedules become engine windows. */
static void test_times_and_schedules(void)
{
    scn_scenario s;
    scn_error err;
    scn_status st = load_body(&s,
                              "local o = offender { name = 'o', start = place(37.5, 127.0) }\n"
                              "tamper { actor = o, at = '08:15' }\n"
                              "device_off { actor = o, at = '+20m' }\n"
                              "battery_death { actor = o, at = '2026-03-02 09:00' }\n"
                              "exclusion_zone { name = 'school', center = place(37.5, 127.0), radius = 150,\n"
                              "  schedule = { days = 'Mon-Fri', from = '08:00', to = '16:00' } }\n"
                              "local v = victim { name = 'v', start = place(37.51, 127.0) }\n"
                              "case { offender = o, victim = v, zones = { 'school' }, alarm_radius = 300 }\n",
                              &err);
    ASSERT_LOADED(st, err);
    const pw_time_ms start = 1772404200000LL; /* 07:30 KST */
    CU_ASSERT_EQUAL(s.n_events, 3);
    CU_ASSERT_EQUAL(s.events[0].kind, SCN_EV_TAMPER);
    CU_ASSERT_EQUAL(s.events[0].at, start + 45 * 60000);
    CU_ASSERT_EQUAL(s.events[1].at, start + 20 * 60000);
    CU_ASSERT_EQUAL(s.events[2].at, start + 90 * 60000);
    const eng_zone_def *z = &s.cases[0].def.zones[0];
    CU_ASSERT_EQUAL(z->schedule.n_windows, 1);
    CU_ASSERT_EQUAL(z->schedule.windows[0].days_mask, 0x1f);
    CU_ASSERT_EQUAL(z->schedule.windows[0].start_min, 480);
    CU_ASSERT_EQUAL(z->schedule.windows[0].end_min, 960);
    CU_ASSERT_EQUAL(z->schedule.utc_offset_min, 540);
    CU_ASSERT_TRUE(eng_schedule_active(&z->schedule, start + 60 * 60000));   /* Mon 08:30 */
    CU_ASSERT_FALSE(eng_schedule_active(&z->schedule, start + 10 * 60000));  /* Mon 07:40 */
    CU_ASSERT_DOUBLE_EQUAL(s.cases[0].def.alarm_radius_m, 300, 0);
    scn_free(&s);
}

typedef struct hook_log {
    int n;
    scn_event_kind kind[8];
    size_t actor[8];
    pw_time_ms until[8];
} hook_log;

static void hook_event(void *ctx, scn_event_kind kind, size_t actor, pw_time_ms until)
{
    hook_log *h = ctx;
    if (h->n < 8) {
        h->kind[h->n] = kind;
        h->actor[h->n] = actor;
        h->until[h->n] = until;
        h->n++;
    }
}

/* at/every callbacks run when the simulator calls them, and their actor
 * methods reach the simulator's hooks; outside callbacks they are refused. */
static void test_callbacks(void)
{
    scn_scenario s;
    scn_error err;
    scn_status st = load_body(&s,
                              "local o = offender { name = 'o', start = place(37.5, 127.0) }\n"
                              "local v = victim { name = 'v', start = place(37.51, 127.0) }\n"
                              "at('08:00', function(t) o:tamper(); v:panic() end)\n"
                              "every('30m', function(t) if t >= 3600 then o:network_outage('5m') end end)\n",
                              &err);
    ASSERT_LOADED(st, err);
    CU_ASSERT_EQUAL_FATAL(s.n_timers, 2);
    CU_ASSERT_EQUAL(s.timers[0].at, s.start + 30 * 60000);
    CU_ASSERT_EQUAL(s.timers[0].every_ms, 0);
    CU_ASSERT_EQUAL(s.timers[1].every_ms, 30 * 60000);
    hook_log log = {0};
    scn_hooks hooks = {&log, hook_event};
    CU_ASSERT_EQUAL(scn_run_timer(&s, 0, s.timers[0].at, &hooks, &err), SCN_OK);
    CU_ASSERT_EQUAL(log.n, 2);
    CU_ASSERT_EQUAL(log.kind[0], SCN_EV_TAMPER);
    CU_ASSERT_EQUAL(log.actor[0], 0);
    CU_ASSERT_EQUAL(log.kind[1], SCN_EV_PANIC);
    CU_ASSERT_EQUAL(log.actor[1], 1);
    CU_ASSERT_EQUAL(scn_run_timer(&s, 1, s.start + 30 * 60000, &hooks, &err), SCN_OK);
    CU_ASSERT_EQUAL(log.n, 2);
    CU_ASSERT_EQUAL(scn_run_timer(&s, 1, s.start + 60 * 60000, &hooks, &err), SCN_OK);
    CU_ASSERT_EQUAL(log.n, 3);
    CU_ASSERT_EQUAL(log.kind[2], SCN_EV_NETWORK_OUTAGE);
    CU_ASSERT_EQUAL(log.until[2], 5 * 60000);
    scn_free(&s);

    /* Actor methods at load time are an error that says what to use. */
    st = load_body(&s, "local o = offender { name = 'o', start = place(37.5, 127.0) }\no:tamper()\n", &err);
    CU_ASSERT_EQUAL(st, SCN_ERUNTIME);
    CU_ASSERT(strncmp(err.message, "t.lua:3:", 8) == 0 && strstr(err.message, "only inside") != NULL);
    /* A callback's own error names its line and leaves the scenario usable. */
    st = load_body(&s, "at('08:00', function() local x = nil; return x.y end)\n", &err);
    CU_ASSERT_EQUAL_FATAL(st, SCN_OK);
    CU_ASSERT_EQUAL(scn_run_timer(&s, 0, s.timers[0].at, &hooks, &err), SCN_ERUNTIME);
    CU_ASSERT(strncmp(err.message, "t.lua:2:", 8) == 0);
    scn_free(&s);
}

/* math.random follows the seed: reproducible, and --seed changes it. */
static void test_seeded_random(void)
{
    const char *code = "scenario { name = 'r', start = '2026-03-02 07:30', duration = '1h',\n"
                       "  origin = place(37.5, 127.0), seed = 5 }\n"
                       "exclusion_zone { name = 'z', center = place(37.5, 127.0), radius = 100 + math.random(1, 100000) }\n"
                       "local o = offender { name = 'o', start = place(37.5, 127.0) }\n"
                       "local v = victim { name = 'v', start = place(37.5, 127.0) }\n"
                       "case { offender = o, victim = v, zones = { 'z' } }\n";
    scn_scenario a, b, c;
    scn_error err;
    CU_ASSERT_EQUAL_FATAL(scn_load_string(&a, code, "r.lua", NULL, &err), SCN_OK);
    CU_ASSERT_EQUAL_FATAL(scn_load_string(&b, code, "r.lua", NULL, &err), SCN_OK);
    scn_options o = {.seed = 6, .has_seed = 1};
    CU_ASSERT_EQUAL_FATAL(scn_load_string(&c, code, "r.lua", &o, &err), SCN_OK);
    CU_ASSERT_EQUAL(a.seed, 5);
    CU_ASSERT_EQUAL(c.seed, 6);
    CU_ASSERT_EQUAL(a.cases[0].def.zones[0].radius_m, b.cases[0].def.zones[0].radius_m);
    CU_ASSERT_NOT_EQUAL(a.cases[0].def.zones[0].radius_m, c.cases[0].def.zones[0].radius_m);
    scn_free(&a);
    scn_free(&b);
    scn_free(&c);
}

/* ---- expect { } ------------------------------------------------------- */

/* Keys become bounds in the measure's unit (durations in seconds), listed
 * in the fixed order of scn_measure whatever order the script used. */
static void test_expect_parsed(void)
{
    scn_scenario s;
    scn_error err;
    scn_status st = load_body(&s,
                              "expect { exposure_max = '4m', false_alerts = 0, detected = {min = 1},\n"
                              "  true_breaches = 2, breach_to_alert_max = 90,\n"
                              "  alert_to_dispatch = {min = '30s', max = '2m'},\n"
                              "  incidents_per_dispatcher_hour = {max = 0.5} }\n",
                              &err);
    ASSERT_LOADED(st, err);
    CU_ASSERT_EQUAL_FATAL(s.n_expects, 7);
    static const struct { scn_measure m; double lo, hi; const char *key; } want[] = {
        {SCN_M_TRUE_BREACHES, 2, 2, "true_breaches"},
        {SCN_M_DETECTED, 1, NAN, "detected"},
        {SCN_M_FALSE_ALERTS, 0, 0, "false_alerts"},
        {SCN_M_BREACH_TO_ALERT, NAN, 90, "breach_to_alert_max"},
        {SCN_M_ALERT_TO_DISPATCH, 30, 120, "alert_to_dispatch"},
        {SCN_M_EXPOSURE, NAN, 240, "exposure_max"},
        {SCN_M_INCIDENTS_PER_DISPATCHER_HOUR, NAN, 0.5, "incidents_per_dispatcher_hour"},
    };
    for (size_t i = 0; i < 7; i++) {
        const scn_expect *e = &s.expects[i];
        CU_ASSERT_EQUAL(e->measure, want[i].m);
        CU_ASSERT_STRING_EQUAL(e->key, want[i].key);
        CU_ASSERT(isnan(want[i].lo) ? isnan(e->lo) : e->lo == want[i].lo);
        CU_ASSERT(isnan(want[i].hi) ? isnan(e->hi) : e->hi == want[i].hi);
        CU_ASSERT_EQUAL(e->line, 2);
    }
    scn_free(&s);
    CU_ASSERT_PTR_NULL(s.expects);
    /* Every key of the table is a name the language knows, once. */
    for (int m = 0; m < SCN_M_COUNT; m++) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(scn_measure_name((scn_measure)m));
        CU_ASSERT_PTR_NOT_NULL(scn_measure_help((scn_measure)m));
        for (int k = 0; k < m; k++)
            CU_ASSERT(strcmp(scn_measure_name((scn_measure)m), scn_measure_name((scn_measure)k)) != 0);
    }
    CU_ASSERT_PTR_NULL(scn_measure_name(SCN_M_COUNT));
}

/* Each kind of mistake in an expect block names the file and its line. */
static void test_expect_errors(void)
{
    static const struct {
        const char *body;
        int line;
        const char *needle;
    } cases[] = {
        /* unknown key, with a suggestion */
        {"\nexpect { tru_breaches = 1 }\n", 3, "unknown key 'tru_breaches' (did you mean 'true_breaches'?"},
        {"expect { everything_fine = true }\n", 2, "unknown key 'everything_fine'"},
        {"expect { false_alerts_max = 2 }\n", 2, "only durations take _max; write false_alerts = {max = N}"},
        {"expect { 3 }\n", 2, "unexpected list item"},
        /* wrong type */
        {"expect { true_breaches = '2' }\n", 2, "'true_breaches' must be a whole number or a range {min = , max = }, got string"},
        {"expect { detected = true }\n", 2, "'detected' must be a whole number or a range"},
        {"expect { exposure_max = {max = '4m'} }\n", 2, "'exposure_max' takes one duration"},
        {"expect { breach_to_alert_max = true }\n", 2, "must be a duration"},
        {"expect { breach_to_alert_max = '90 parsecs' }\n", 2, "is not a duration"},
        {"expect { detected = {min = 'one'} }\n", 2, "'detected' min must be a whole number, got string"},
        {"expect { detected = {mn = 1} }\n", 2, "expect: 'detected': unknown field 'mn' (known: min, max)"},
        /* impossible values */
        {"\n\nexpect { detected = {min = 3, max = 1} }\n", 4, "min is above max"},
        {"expect { exposure = {min = '5m', max = '1m'} }\n", 2, "min is above max"},
        {"expect { breach_to_alert_max = -5 }\n", 2, "'breach_to_alert_max' = -5 is negative"},
        {"expect { exposure_max = '-4m' }\n", 2, "'exposure_max' = -4m is negative"},
        {"expect { false_alerts = -1 }\n", 2, "is never negative"},
        {"expect { false_alerts = 1.5 }\n", 2, "is not a whole number"},
        {"expect { incidents_per_dispatcher_hour = {max = -0.5} }\n", 2, "is never negative"},
        {"expect { detected = {} }\n", 2, "give min, max or both"},
        {"expect { detected = 3, true_breaches = 2 }\n", 2, "'detected' is at least 3, but 'true_breaches' is at most 2"},
        {"expect { detected = 1, missed = {max = 0}, true_breaches = {min = 2} }\n", 2, "add up to 'true_breaches'"},
        {"expect { breach_to_alert_median = {min = '2m'}, breach_to_alert_max = '1m' }\n", 2,
         "'breach_to_alert_median' is at least 120"},
        {"expect { breach_to_alert = {min = '3h'} }\n", 2, "can never be measured in a scenario of 120 min"},
        {"expect { exposure = 0, exposure_max = '1m' }\n", 2, "give 'exposure' or 'exposure_max', not both"},
        {"expect { }\n", 2, "no expectations"},
        {"expect 'all good'\n", 2, "expect expects a table"},
        {"expect { detected = 1 }\nexpect { missed = 0 }\n", 3, "declared twice (first at line 2)"},
        /* a block over several lines is named by the line it starts on */
        {"\nexpect {\n  true_breaches = 1,\n  detected = 'x',\n}\n", 3, "'detected'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scn_scenario s;
        scn_error err;
        scn_status st = load_body(&s, cases[i].body, &err);
        char want_prefix[32];
        snprintf(want_prefix, sizeof want_prefix, "t.lua:%d:", cases[i].line);
        int ok = st == SCN_ERUNTIME && strncmp(err.message, want_prefix, strlen(want_prefix)) == 0 &&
                 strstr(err.message, cases[i].needle) != NULL && err.line == cases[i].line;
        if (!ok)
            printf("\n    case %zu: status %d, line %d, message: %s", i, st, err.line, err.message);
        CU_ASSERT_TRUE(ok);
        CU_ASSERT_PTR_NULL(s.expects);
        scn_free(&s);
    }
}

static const eval_expect_result *find_result(const eval_expect_result *r, size_t n, scn_measure m)
{
    for (size_t i = 0; i < n; i++)
        if (r[i].expect->measure == m)
            return &r[i];
    return NULL;
}

/* The check against figures given by hand: exact, ranges, at most, and
 * figures that are not there (no latency without a detection). */
static void test_expect_check_rules(void)
{
    scn_scenario s;
    scn_error err;
    scn_status st = load_body(&s,
                              "expect { true_breaches = 2, detected = {min = 1}, missed = {min = 1, max = 1},\n"
                              "  false_alerts = {max = 2}, breach_to_alert_max = '90s',\n"
                              "  alert_to_victim = {min = '10s'}, dispatch_to_scene_max = '5m',\n"
                              "  exposure = 0, prewarnings = {min = 1}, queue_wait_median = 0 }\n",
                              &err);
    CU_ASSERT_EQUAL_FATAL(st, SCN_OK);
    sim_summary sum;
    memset(&sum, 0, sizeof sum);
    sum.report.breaches.truth = 2;
    sum.report.breaches.detected = 1;
    sum.report.breaches.missed = 1;
    sum.report.alerts.false_alerts = 3;
    sum.report.latency.breach_to_alert = (eval_latency){1, 90.0, 90.0, 90.0};   /* exactly the bound */
    sum.report.latency.alert_to_victim = (eval_latency){0, NAN, NAN, NAN};      /* none: no lower bound holds */
    sum.report.latency.dispatch_to_scene = (eval_latency){0, NAN, NAN, NAN};    /* none: an upper bound holds */
    sum.report.exposure_outside_breach_s = 0.0;
    sum.report.workload.queue_wait_p50_s = NAN;
    sum.by_type[PW_EV_PREWARN_OPEN] = 2;
    eval_expect_result res[16];
    CU_ASSERT_EQUAL_FATAL(s.n_expects, 10);
    size_t failed = eval_expect_check(&s, &sum.report, sum.by_type, res);
    CU_ASSERT_EQUAL(failed, 3);
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_TRUE_BREACHES)->text,
                           "expect true_breaches = 2: measured 2, held");
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_DETECTED)->text, "expect detected >= 1: measured 1, held");
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_MISSED)->text, "expect missed = 1: measured 1, held");
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_FALSE_ALERTS)->text,
                           "expect false_alerts <= 2: measured 3, NOT held");
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_BREACH_TO_ALERT)->text,
                           "expect breach_to_alert <= 90 s: measured 90 s, held");
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_ALERT_TO_VICTIM)->text,
                           "expect alert_to_victim >= 10 s: measured none, NOT held");
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_DISPATCH_TO_SCENE)->text,
                           "expect dispatch_to_scene <= 300 s: measured none, held");
    CU_ASSERT_STRING_EQUAL(find_result(res, 10, SCN_M_EXPOSURE)->text, "expect exposure = 0 s: measured 0 s, held");
    CU_ASSERT_TRUE(find_result(res, 10, SCN_M_PREWARNINGS)->held);
    CU_ASSERT_FALSE(find_result(res, 10, SCN_M_QUEUE_WAIT_MEDIAN)->held);
    /* 1 ms over a duration bound no longer holds. */
    sum.report.latency.breach_to_alert.max = 90.001;
    CU_ASSERT_EQUAL(eval_expect_check(&s, &sum.report, sum.by_type, NULL), 4);
    /* The JSON form. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_COMPACT);
    eval_expect_write_json(&w, res, 2);
    CU_ASSERT_EQUAL(rec_json_finish(&w), 0);
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "[{\"key\":\"true_breaches\",\"measure\":\"true_breaches\",\"min\":2,\"max\":2,"
                                "\"measured\":2,\"held\":true,\"line\":2},"
                                "{\"key\":\"detected\",\"measure\":\"detected\",\"min\":1,\"max\":null,"
                                "\"measured\":1,\"held\":true,\"line\":2}]");
    free(buf);
    scn_free(&s);
}

/* A real run whose scenario expects the wrong thing reports it NOT held:
 * he stands 100 m from her for 20 minutes, one breach, not three. */
static void test_expect_wrong_expectation_not_held(void)
{
    scn_scenario s;
    scn_error err;
    const char *code =
        "scenario { name = 'w', start = '2026-03-02 07:30', duration = '20m', origin = place(37.5, 127.0) }\n"
        "local v = victim { name = 'v', start = place(37.5, 127.0) }\n"
        "local o = offender { name = 'o', start = place(37.5009, 127.0), tag = { interval = '30s' } }\n"
        "case { offender = o, victim = v }\n"
        "expect { true_breaches = 3, missed = 0, unauthorized_disclosures = 0 }\n";
    CU_ASSERT_EQUAL_FATAL(scn_load_string(&s, code, "wrong.lua", NULL, &err), SCN_OK);
    sim_run_options ro = {.record = 0};
    sim_summary sum;
    char msg[256] = "";
    CU_ASSERT_EQUAL_FATAL(sim_run(&s, &ro, &sum, msg, sizeof msg), 0);
    eval_expect_result res[3];
    CU_ASSERT_EQUAL(eval_expect_check(&s, &sum.report, sum.by_type, res), 1);
    CU_ASSERT_STRING_EQUAL(res[0].text, "expect true_breaches = 3: measured 1, NOT held");
    CU_ASSERT_FALSE(res[0].held);
    CU_ASSERT_TRUE(res[1].held);
    CU_ASSERT_TRUE(res[2].held);
    scn_free(&s);
}

/* ---- the bundled scenarios against their own expectations -------------- */

static int cmp_name(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

/* The .lua files of dir, sorted; 0 when the folder does not exist. */
static size_t list_lua(const char *dir, char names[][256], size_t cap)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len <= 4 || strcmp(de->d_name + len - 4, ".lua") != 0)
            continue;
        CU_ASSERT_FATAL(n < cap); /* more scenarios than this test has room for */
        int w = snprintf(names[n++], 256, "%s/%s", dir, de->d_name);
        CU_ASSERT_FATAL(w > 0 && w < 256); /* a path longer than the table's width */
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_name);
    return n;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Run every scenario of dir on seeds 1-3; each must have an expect block. */
static void run_bundled_folder(const char *dir, int must_exist)
{
    static char names[64][256];
    size_t n = list_lua(dir, names, 64);
    if (must_exist)
        CU_ASSERT(n > 0);
    for (size_t i = 0; i < n; i++) {
        const char *base = strrchr(names[i], '/') + 1;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            scn_scenario s;
            scn_error err;
            scn_options opts = {.seed = seed, .has_seed = 1};
            char what[768];
            if (scn_load_file(&s, names[i], &opts, &err) != SCN_OK) {
                snprintf(what, sizeof what, "%s: %s", base, err.message);
                printf("\n    %s", what);
                CU_assertImplementation(CU_FALSE, __LINE__, what, __FILE__, "", CU_FALSE);
                break;
            }
            if (s.n_expects == 0) {
                snprintf(what, sizeof what, "%s has no expect { } block", base);
                printf("\n    %s", what);
                CU_assertImplementation(CU_FALSE, __LINE__, what, __FILE__, "", CU_FALSE);
            }
            double t0 = now_s();
            sim_run_options ro = {.record = 0};
            sim_summary sum;
            char msg[600] = "";
            if (sim_run(&s, &ro, &sum, msg, sizeof msg) != 0) {
                snprintf(what, sizeof what, "%s seed %llu: the run failed: %s", base, (unsigned long long)seed, msg);
                printf("\n    %s", what);
                CU_assertImplementation(CU_FALSE, __LINE__, what, __FILE__, "", CU_FALSE);
                scn_free(&s);
                continue;
            }
            eval_expect_result res[SCN_M_COUNT];
            size_t failed = eval_expect_check(&s, &sum.report, sum.by_type, res);
            printf("\n    %-22s seed %llu: %zu of %zu held (%.2f s)", base, (unsigned long long)seed,
                   s.n_expects - failed, s.n_expects, now_s() - t0);
            for (size_t k = 0; k < s.n_expects; k++) {
                if (res[k].held)
                    continue;
                snprintf(what, sizeof what, "%s seed %llu (line %d): %s", base, (unsigned long long)seed,
                         res[k].expect->line, res[k].text);
                printf("\n      %s", what);
                CU_assertImplementation(CU_FALSE, __LINE__, what, __FILE__, "", CU_FALSE);
            }
            scn_free(&s);
        }
    }
}

static void test_bundled_scenarios(void)
{
    run_bundled_folder(PW_SOURCE_DIR "/scenarios", 1);
}

static void test_check_scenarios(void)
{
    run_bundled_folder(PW_SOURCE_DIR "/scenarios/checks", 0);
}

/* A limit cannot be caught: pcall and xpcall around a runaway loop used to
 * swallow the limit's error, and the outer loop ran forever. */
static void test_limits_cannot_be_caught(void)
{
    scn_scenario s;
    scn_error err;
    scn_options opts = {.max_instructions = 5000000};
    CU_ASSERT_EQUAL(scn_load_string(&s, "local function burn() while true do end end\n"
                                        "while true do pcall(burn) end\n",
                                    "pc.lua", &opts, &err),
                    SCN_ELIMIT);
    CU_ASSERT(strstr(err.message, "pc.lua:1:") == err.message);
    CU_ASSERT(strstr(err.message, "instruction limit") != NULL);
    /* xpcall is absent (a message handler runs uncounted) and a metatable
     * with __gc is refused (finalizers run uncounted): both used to hang. */
    CU_ASSERT_EQUAL(scn_load_string(&s, "assert(xpcall == nil)\n"
                                        "xpcall(function() while true do end end, function() while true do end end)\n",
                                    "xpc.lua", &opts, &err),
                    SCN_ERUNTIME);
    CU_ASSERT(strstr(err.message, "xpc.lua:2:") == err.message);
    CU_ASSERT_EQUAL(scn_load_string(&s, "setmetatable({}, {__gc = function() while true do end end})\n",
                                    "gc.lua", &opts, &err),
                    SCN_ERUNTIME);
    CU_ASSERT(strstr(err.message, "__gc") != NULL);
    /* Ordinary errors are still pcall's to catch. */
    CU_ASSERT_EQUAL(load_body(&s,
                              "assert(not pcall(error, 'x'))\n"
                              "local ok, v = pcall(function(a) return a + 1 end, 41)\n"
                              "assert(ok and v == 42)\n"
                              "assert(getmetatable(setmetatable({}, {__index = {a = 1}})).__index.a == 1)\n",
                              &err),
                    SCN_OK);
    scn_free(&s);
}

/* Pattern matching runs in C, where no instruction is counted, and its
 * worst case grows as n^(k+1) for k repetitions on n characters.  A call
 * whose worst case is over 20 million steps is refused: 'a?' x20 then 'a'
 * x20 on 40 a's (41^21), '.-.-b' on 20,000 a's (20,001^3 = 8e12, which
 * used to run for minutes); so is a 100 kB subject.  Cheap calls are
 * charged to the instruction budget: a loop of 2,000 finds of '.-b' on
 * 1,000 characters (about 2 million steps each, 4e9 in all) runs out the
 * 100-million load budget instead of running for minutes.  An ordinary
 * find works. */
static void test_patterns_are_bounded(void)
{
    scn_scenario s;
    scn_error err;
    CU_ASSERT_EQUAL(scn_load_string(&s, "local p = string.rep('a?', 20) .. string.rep('a', 20)\n"
                                        "string.find(string.rep('a', 40), p)\n",
                                    "pat.lua", NULL, &err),
                    SCN_ERUNTIME);
    CU_ASSERT(strstr(err.message, "pat.lua:2:") == err.message);
    CU_ASSERT(strstr(err.message, "pattern too costly") != NULL);
    CU_ASSERT_EQUAL(scn_load_string(&s, "local s = string.rep('a', 100000)\nlocal i = s:find('b')\n",
                                    "big.lua", NULL, &err),
                    SCN_ERUNTIME);
    CU_ASSERT(strstr(err.message, "pattern too costly") != NULL);
    CU_ASSERT_EQUAL(scn_load_string(&s, "local s = string.rep('a', 20000)\nlocal i = s:find('.-.-b')\n",
                                    "cubic.lua", NULL, &err),
                    SCN_ERUNTIME);
    CU_ASSERT(strstr(err.message, "pattern too costly") != NULL);
    CU_ASSERT_EQUAL(scn_load_string(&s, "local s = string.rep('a', 1000)\n"
                                        "for i = 1, 2000 do s:find('.-b') end\n",
                                    "loop.lua", NULL, &err),
                    SCN_ELIMIT);
    CU_ASSERT(strstr(err.message, "instruction limit") != NULL);
    CU_ASSERT_EQUAL(load_body(&s,
                              "assert(('abc'):find('b') == 2)\n"
                              "assert(string.gsub('a-b', '%-', '+') == 'a+b')\n",
                              &err),
                    SCN_OK);
    scn_free(&s);
}

/* The callbacks of a run share one budget.  A callback whose loop runs
 * 250,000 times at two VM instructions an iteration (the add and the
 * FORLOOP) costs 0.5 million instructions; a 50-million budget lasts 100 of
 * them (+-1 for the hook's 1,000-instruction steps), where each callback
 * alone, far under the per-callback limit, would have run all 900 seconds
 * of a 15-minute scenario. */
static void test_run_budget(void)
{
    scn_scenario s;
    scn_error err;
    char code[1024];
    snprintf(code, sizeof code, "%s%s", HEADER,
             "every('1s', function(t) local x = 0 for i = 1, 250000 do x = x + i end end)\n");
    scn_options opts = {.max_run_instructions = 50000000};
    CU_ASSERT_EQUAL_FATAL(scn_load_string(&s, code, "burn.lua", &opts, &err), SCN_OK);
    hook_log log = {0};
    scn_hooks hooks = {&log, hook_event};
    int calls = 0;
    scn_status st = SCN_OK;
    while (calls < 900 && (st = scn_run_timer(&s, 0, s.start + (calls + 1) * 1000, &hooks, &err)) == SCN_OK)
        calls++;
    printf("\n    the run's budget ran out after %d callbacks ", calls);
    CU_ASSERT_EQUAL(st, SCN_ELIMIT);
    CU_ASSERT(calls >= 98 && calls <= 101);
    CU_ASSERT(strstr(err.message, "whole run") != NULL);
    scn_free(&s);
}

/* offset(place, {east, north}): metres on the ground.  By hand, from the
 * standard series for the lengths of a degree at latitude 37.5: a degree of
 * latitude is 111132.92 - 559.82 cos 75 + 1.175 cos 150 = 110987.0 m, one
 * of longitude 111412.84 cos 37.5 - 93.5 cos 112.5 = 88424.4 m.  300 m east
 * and 120 m south are 0.0033927 and -0.0010812 degrees. */
static void test_offset(void)
{
    scn_scenario s;
    scn_error err;
    scn_status st = load_body(&s,
                              "local p = offset(place(37.5, 127.0), {east = 300, north = -120})\n"
                              "local v = victim { name = 'v', start = p }\n",
                              &err);
    ASSERT_LOADED(st, err);
    CU_ASSERT_DOUBLE_EQUAL(s.actors[0].start.lat, 37.5 - 0.0010812, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(s.actors[0].start.lon, 127.0 + 0.0033927, 1e-6);
    scn_free(&s);
    CU_ASSERT_EQUAL(load_body(&s, "local p = offset(place(37.5, 127.0), {est = 3})\n", &err), SCN_ERUNTIME);
    CU_ASSERT(strstr(err.message, "t.lua:2:") == err.message);
    CU_ASSERT(strstr(err.message, "unknown field 'est'") != NULL);
}

/* What planners wrote and the language refused: seconds in times, wait
 * "+20m", explicit case ids, underground walks; and booleans that are
 * booleans. */
static void test_planner_forms(void)
{
    scn_scenario s;
    scn_error err;
    scn_status st = load_body(&s,
                              "local o = offender { name = 'o', start = place(37.5, 127.0),\n"
                              "  route = { wait '+20m', walk { to = place(37.5, 127.01), underground = true } } }\n"
                              "local v = victim { name = 'v', start = place(37.51, 127.0) }\n"
                              "local w = victim { name = 'w', start = place(37.52, 127.0) }\n"
                              "tamper { actor = o, at = '08:00:30' }\n"
                              "case { id = 7, offender = o, victim = v }\n"
                              "case { offender = o, victim = w, alarm_radius = 300 }\n",
                              &err);
    ASSERT_LOADED(st, err);
    /* 2026-03-02 08:00:30 KST is 2026-03-01 23:00:30 UTC. */
    pw_time_ms t = (pw_days_from_civil(2026, 3, 1) * 86400 + 23 * 3600 + 30) * 1000;
    CU_ASSERT_EQUAL(s.events[0].at, t);
    /* wait '+20m': until 20 minutes after the start (07:30 -> 07:50). */
    const scn_leg *w = &s.legs[s.actors[0].first_leg];
    CU_ASSERT_EQUAL(w->depart_at, s.start + 20 * 60000);
    CU_ASSERT_EQUAL(s.legs[s.actors[0].first_leg + 1].underground, 1);
    CU_ASSERT_EQUAL(s.cases[0].def.id, 7);
    CU_ASSERT_EQUAL(s.cases[1].def.id, 2); /* its place among the cases */
    scn_free(&s);
    static const struct {
        const char *body, *message;
    } bad[] = {
        {"local o = offender { name = 'o', start = place(37.5, 127.0), loop = 0,\n"
         "  route = { walk { to = place(37.5, 127.01) } } }\n", "'loop' must be true or false"},
        {"local o = offender { name = 'o', start = place(37.5, 127.0),\n"
         "  route = { walk { to = place(37.5, 127.01), underground = 'false' } } }\n",
         "'underground' must be true or false"},
        {"local o = offender { name = 'o', start = place(37.5, 127.0) }\n"
         "local v = victim { name = 'v', start = place(37.5, 127.0) }\n"
         "local w = victim { name = 'w', start = place(37.5, 127.0) }\n"
         "case { id = 3, offender = o, victim = v }\ncase { id = 3, offender = o, victim = w }\n",
         "id 3 is taken"},
        {"exclusion_zone { name = 'z', center = place(37.5, 127.0), radius = 100,\n"
         "  schedule = { from = '08:00:30', to = '09:00' } }\n", "whole minutes"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(load_body(&s, bad[i].body, &err), SCN_ERUNTIME);
        if (!strstr(err.message, bad[i].message))
            printf("\n    %s", err.message);
        CU_ASSERT(strstr(err.message, bad[i].message) != NULL);
        CU_ASSERT(strstr(err.message, "t.lua:") == err.message);
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--bundled") == 0) {
        static const pw_test_entry bundled[] = {
            {"scenarios/*.lua on seeds 1-3 meet their expect { }", test_bundled_scenarios},
            {"scenarios/checks/*.lua on seeds 1-3 meet their expect { }", test_check_scenarios},
            {NULL, NULL},
        };
        return pw_test_main("scenario expectations", bundled);
    }
    static const pw_test_entry tests[] = {
        {"durations", test_durations},
        {"the default scenario loads", test_default_loads},
        {"errors name file and line", test_errors_name_file_and_line},
        {"missing file, missing declaration", test_missing_file_and_declaration},
        {"sandbox escapes fail", test_sandbox_escapes_fail},
        {"instruction and memory limits", test_limits},
        {"offset() places by metres", test_offset},
        {"seconds, wait '+20m', case ids, underground walks, booleans", test_planner_forms},
        {"limits cannot be caught by pcall or xpcall", test_limits_cannot_be_caught},
        {"pattern matching is bounded", test_patterns_are_bounded},
        {"callbacks share one budget for the run", test_run_budget},
        {"times and schedules", test_times_and_schedules},
        {"at/every callbacks reach the hooks", test_callbacks},
        {"math.random follows the seed", test_seeded_random},
        {"expect { } is parsed in a fixed order", test_expect_parsed},
        {"expect { } errors name file and line", test_expect_errors},
        {"expectations are checked by their rules", test_expect_check_rules},
        {"a wrong expectation is NOT held", test_expect_wrong_expectation_not_held},
        {NULL, NULL},
    };
    return pw_test_main("scenarios", tests);
}
