/*
 * test_scenarios.c - the Lua scenario loader: the bundled scenarios load,
 * every kind of scenario error names file and line, the sandbox holds, and
 * at/every callbacks reach the simulator's hooks.
 */
#include "scenario.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

static const char *HEADER =
    "scenario { name = 't', start = '2026-03-02 07:30', duration = '2h', origin = place(37.5, 127.0) }\n";

/* Load HEADER followed by `body` as "t.lua". */
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
    if (st != SCN_OK)
        printf("\n    %s", err.message);
    CU_ASSERT_EQUAL_FATAL(st, SCN_OK);
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
    if (st != SCN_OK)
        printf("\n    %s", err.message);
    CU_ASSERT_EQUAL_FATAL(st, SCN_OK);
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
    if (st != SCN_OK)
        printf("\n    %s", err.message);
    CU_ASSERT_EQUAL_FATAL(st, SCN_OK);
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

int main(void)
{
    static const pw_test_entry tests[] = {
        {"durations", test_durations},
        {"the default scenario loads", test_default_loads},
        {"errors name file and line", test_errors_name_file_and_line},
        {"missing file, missing declaration", test_missing_file_and_declaration},
        {"sandbox escapes fail", test_sandbox_escapes_fail},
        {"instruction and memory limits", test_limits},
        {"times and schedules", test_times_and_schedules},
        {"at/every callbacks reach the hooks", test_callbacks},
        {"math.random follows the seed", test_seeded_random},
        {NULL, NULL},
    };
    return pw_test_main("scenarios", tests);
}
