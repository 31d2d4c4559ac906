/*
 * test_drill.c - dispatcher drills: the template language (ranges,
 * levels, injects), variants that stay valid and repeat byte for byte,
 * every inject in the timeline and on a trainee's page, the key derived
 * from the engine's events (read back here from events.jsonl and
 * run.geojson with jansson), no answer in the trainee's PDF (its text read
 * with poppler's pdftotext), and scoring against a key written by hand.
 */
#include "drill.h"
#include "scenario.h"
#include "test_util.h"

#include <jansson.h>

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define SUBWAY PW_SOURCE_DIR "/scenarios/drills/subway_rush.lua"

static void rm_rf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CU_ASSERT_EQUAL(system(cmd), 0);
}

/* ---- the template language ------------------------------------------- */

static double fixed_u[8];
static size_t fixed_i;
static double fixed_uniform(void *ctx)
{
    (void)ctx;
    return fixed_u[fixed_i++ % 8];
}

static const char *TEMPLATE =
    "scenario { name = 't', start = '2026-03-03 08:00', timezone = '+09:00', duration = '1h',\n"
    "           origin = place(37.5, 127.03) }\n"
    "drill { title = 'T', trains = 'testing', briefing = { ko = '가', en = 'a' } }\n"
    "local n = vary('number', 10, 20)\n"                                 /* line 4 */
    "local t = vary('leave', '08:10', '08:20')\n"
    "local d = vary('stay', '2m', '6m')\n"
    "local p = vary_place('start', place(37.5, 127.03), 100)\n"
    "local c = choose('pick', { 'a', 'b', 'c' })\n"
    "local v = victim { name = 'v', start = place(37.5, 127.03) }\n"
    "local o = offender { name = 'o', start = p,\n"
    "  route = { walk { to = place(37.501, 127.03), depart = t }, wait(d) } }\n"
    "case { offender = o, victim = v, alarm_radius = by_level { easy = 800, normal = 500, hard = 300 } }\n"
    "inject { kind = 'tamper', actor = o, at = '08:30' }\n"             /* line 13 */
    "inject { kind = 'outage', at = '08:40', duration = '2m', level = 'hard' }\n"
    "inject { kind = 'call', at = '08:20', place = place(37.51, 127.03), what = 'accident', level = 'hard' }\n"
    "call { at = '08:50', place = place(37.49, 127.03), duration = '5m' }\n";

static void test_language_middles_and_draws(void)
{
    scn_scenario s;
    scn_error err;
    /* no generator: every range gives its middle */
    CU_ASSERT_EQUAL_FATAL(scn_load_string(&s, TEMPLATE, "t.lua", NULL, &err), SCN_OK);
    CU_ASSERT_TRUE(s.drill.present);
    CU_ASSERT_STRING_EQUAL(s.drill.title, "T");
    CU_ASSERT_EQUAL(s.drill.level, SCN_LEVEL_NORMAL);
    CU_ASSERT_EQUAL_FATAL(s.n_draws, 5);
    CU_ASSERT_STRING_EQUAL(s.draws[0].name, "number");
    CU_ASSERT_DOUBLE_EQUAL(s.draws[0].value, 15.0, 1e-12);           /* (10 + 20) / 2 */
    CU_ASSERT_EQUAL(s.draws[0].line, 4);
    /* 08:15 local = 23:15 UTC the day before: start 23:00 UTC + 900 s */
    CU_ASSERT_EQUAL(s.draws[1].kind, SCN_DRAW_TIME);
    CU_ASSERT_EQUAL((pw_time_ms)s.draws[1].value, s.start + 900000);
    CU_ASSERT_EQUAL(s.draws[2].kind, SCN_DRAW_DURATION);
    CU_ASSERT_DOUBLE_EQUAL(s.draws[2].value, 240.0, 1e-9);           /* 4 min */
    CU_ASSERT_DOUBLE_EQUAL(s.draws[3].value, 0.0, 1e-9);             /* the centre itself */
    CU_ASSERT_DOUBLE_EQUAL(s.draws[4].value, 0.0, 1e-9);             /* the first option */
    CU_ASSERT_DOUBLE_EQUAL(s.cases[0].def.alarm_radius_m, 500.0, 1e-9);
    /* normal: the tamper, not the hard outage; each inject its event */
    CU_ASSERT_EQUAL_FATAL(s.n_injects, 1);
    CU_ASSERT_EQUAL(s.injects[0].kind, SCN_INJ_TAMPER);
    CU_ASSERT_EQUAL(s.injects[0].line, 13);
    CU_ASSERT_EQUAL_FATAL(s.n_events, 1);
    CU_ASSERT_EQUAL(s.events[0].kind, SCN_EV_TAMPER);
    /* the plain call { }, 20 min on scene unless it says */
    CU_ASSERT_EQUAL_FATAL(s.n_calls, 1);
    CU_ASSERT_EQUAL(s.calls[0].on_scene_ms, 300000);
    CU_ASSERT_STRING_EQUAL(s.calls[0].what, "112 call");
    scn_free(&s);

    /* a generator giving 0.25, 0.75, ...: the draws follow it */
    double u[8] = {0.25, 0.75, 0.5, 0.64, 0.25, 0.9, 0.1, 0.1};
    memcpy(fixed_u, u, sizeof u);
    fixed_i = 0;
    scn_options o;
    memset(&o, 0, sizeof o);
    o.uniform = fixed_uniform;
    o.level = SCN_LEVEL_HARD;
    CU_ASSERT_EQUAL_FATAL(scn_load_string(&s, TEMPLATE, "t.lua", &o, &err), SCN_OK);
    CU_ASSERT_EQUAL(s.drill.level, SCN_LEVEL_HARD);
    CU_ASSERT_DOUBLE_EQUAL(s.draws[0].value, 12.5, 1e-12);           /* 10 + 0.25 x 10 */
    CU_ASSERT_EQUAL((pw_time_ms)s.draws[1].value, s.start + 1050000); /* 600 + 0.75 x 600 s */
    CU_ASSERT_DOUBLE_EQUAL(s.draws[2].value, 240.0, 1e-9);           /* 120 + 0.5 x 240 s */
    CU_ASSERT_DOUBLE_EQUAL(s.draws[3].value, 80.0, 1e-9);            /* 100 x sqrt(0.64) */
    /* bearing 0.25 turn = east: the point is 80 m east of the centre,
     * about 80 / (111,320 x cos 37.5 deg) = 0.000906 deg of longitude */
    CU_ASSERT_DOUBLE_EQUAL(s.draws[3].place.lat, 37.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(s.draws[3].place.lon, 127.03 + 0.000906, 0.00001);
    CU_ASSERT_DOUBLE_EQUAL(s.draws[4].value, 2.0, 1e-9);             /* floor(0.9 x 3) */
    CU_ASSERT_DOUBLE_EQUAL(s.cases[0].def.alarm_radius_m, 300.0, 1e-9);
    CU_ASSERT_EQUAL_FATAL(s.n_injects, 3);                            /* hard: the outage and the call too */
    CU_ASSERT_EQUAL(s.injects[1].until - s.injects[1].at, 120000);
    CU_ASSERT_EQUAL(s.events[1].kind, SCN_EV_CENTRE_OUTAGE);
    /* the call inject is the first call; 08:20 local = start + 1,200 s */
    CU_ASSERT_EQUAL(s.injects[2].kind, SCN_INJ_CALL);
    CU_ASSERT_EQUAL_FATAL(s.n_calls, 2);
    CU_ASSERT_EQUAL(s.injects[2].call, 0);
    CU_ASSERT_EQUAL(s.calls[0].at, s.start + 1200000);
    CU_ASSERT_EQUAL(s.calls[0].on_scene_ms, 1200000);
    CU_ASSERT_STRING_EQUAL(s.calls[0].what, "accident");
    scn_free(&s);
}

static void expect_error(const char *code, const char *needle, int line)
{
    scn_scenario s;
    scn_error err;
    CU_ASSERT_NOT_EQUAL_FATAL(scn_load_string(&s, code, "bad.lua", NULL, &err), SCN_OK);
    if (!strstr(err.message, needle) || err.line != line)
        fprintf(stderr, "\n  got '%s' (line %d), wanted '%s' at line %d\n", err.message, err.line, needle, line);
    CU_ASSERT_PTR_NOT_NULL(strstr(err.message, needle));
    CU_ASSERT_EQUAL(err.line, line);
}

static void test_language_errors(void)
{
    const char *head = "scenario { name = 't', start = '2026-03-03 08:00', duration = '1h', origin = place(37.5, 127.03) }\n"
                       "local v = victim { name = 'v', start = place(37.5, 127.03) }\n"
                       "local o = offender { name = 'o', start = place(37.51, 127.03) }\n";
    char code[2048];
    snprintf(code, sizeof code, "%s%s", head, "vary('x', 1, 2)\nvary('x', 1, 2)\n");
    expect_error(code, "'x' is drawn twice (first at line 4)", 5);
    snprintf(code, sizeof code, "%s%s", head, "inject { kind = 'flood', at = '08:10' }\n");
    expect_error(code, "unknown kind 'flood'", 4);
    snprintf(code, sizeof code, "%s%s", head, "inject { kind = 'panic', actor = o, at = '08:10' }\n");
    expect_error(code, "only a victim's phone has a panic button", 4);
    snprintf(code, sizeof code, "%s%s", head, "inject { kind = 'tunnel', actor = o, at = '08:10' }\n");
    expect_error(code, "needs a 'duration'", 4);
    snprintf(code, sizeof code, "%s%s", head, "inject { kind = 'tamper', actor = o, at = '08:10', level = 'medium' }\n");
    expect_error(code, "level 'medium' is not easy, normal or hard", 4);
    snprintf(code, sizeof code, "%s%s", head, "vary('y', 5, 1)\n");
    expect_error(code, "low then high", 4);
    snprintf(code, sizeof code, "%s%s", head, "by_level { easy = 1 }\n");
    expect_error(code, "'normal' is required", 4);
    snprintf(code, sizeof code, "%s%s", head, "inject { kind = 'tamper', actor = o, at = '08:10', what = 'x' }\n");
    expect_error(code, "only a call has a 'what'", 4);
    snprintf(code, sizeof code, "%s%s", head, "inject { kind = 'call', at = '08:10' }\n");
    expect_error(code, "'place' is required", 4);
}

/* ---- generated drills ------------------------------------------------ */

static json_t *load_json(const char *path)
{
    json_error_t je;
    json_t *j = json_load_file(path, 0, &je);
    if (!j)
        fprintf(stderr, "\n  %s: %s (line %d)\n", path, je.text, je.line);
    return j;
}

static int generate(const char *template_path, const char *dir, int count, uint64_t seed, int level, int pictures)
{
    drl_options o;
    drl_options_default(&o);
    o.template_path = template_path;
    o.out_dir = dir;
    o.count = count;
    o.seed = seed;
    o.level = level;
    o.pictures = pictures;
    char err[1024];
    int rc = drl_generate(&o, err, sizeof err);
    if (rc)
        fprintf(stderr, "\n  drl_generate: %s\n", err);
    return rc;
}

/* Haversine on the mean sphere (R = 6,371,008.8 m): an independent
 * distance for checking a drawn place. */
static double haversine(double lat1, double lon1, double lat2, double lon2)
{
    double r = M_PI / 180.0, dphi = (lat2 - lat1) * r, dl = (lon2 - lon1) * r;
    double a = sin(dphi / 2) * sin(dphi / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dl / 2) * sin(dl / 2);
    return 2 * 6371008.8 * asin(sqrt(a));
}

static void test_variants_valid_and_repeatable(void)
{
    rm_rf("pw_drill_a");
    rm_rf("pw_drill_b");
    CU_ASSERT_EQUAL_FATAL(generate(SUBWAY, "pw_drill_a", 3, 7, SCN_LEVEL_NORMAL, 0), 0);
    CU_ASSERT_EQUAL_FATAL(generate(SUBWAY, "pw_drill_b", 3, 7, SCN_LEVEL_NORMAL, 0), 0);
    json_t *d[3];
    for (int k = 1; k <= 3; k++) {
        char a[128], b[128];
        snprintf(a, sizeof a, "pw_drill_a/drill-%d.json", k);
        snprintf(b, sizeof b, "pw_drill_b/drill-%d.json", k);
        char *ta = pw_test_read_text(a), *tb = pw_test_read_text(b);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
        CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
        CU_ASSERT_STRING_EQUAL(ta, tb); /* the same template and seed: the same bytes */
        free(ta);
        free(tb);
        d[k - 1] = load_json(a);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d[k - 1]);
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(d[k - 1], "schema_version")), DRL_SCHEMA_VERSION);
        CU_ASSERT_TRUE(json_integer_value(json_object_get(d[k - 1], "attempts")) <= DRL_MAX_ATTEMPTS);
    }
    /* every draw inside its range, and the variants drew differently */
    json_t *draws0 = json_object_get(d[0], "draws");
    CU_ASSERT_TRUE(json_array_size(draws0) >= 8);
    for (size_t i = 0; i < json_array_size(draws0); i++) {
        double seen[3];
        for (int k = 0; k < 3; k++) {
            json_t *x = json_array_get(json_object_get(d[k], "draws"), i);
            const char *kind = json_string_value(json_object_get(x, "kind"));
            if (!strcmp(kind, "place")) {
                double r = json_number_value(json_object_get(x, "radius_m"));
                double dist = haversine(json_number_value(json_object_get(x, "centre_lat")),
                                        json_number_value(json_object_get(x, "centre_lon")),
                                        json_number_value(json_object_get(x, "lat")),
                                        json_number_value(json_object_get(x, "lon")));
                CU_ASSERT_TRUE(dist <= r + 0.5);
                CU_ASSERT_DOUBLE_EQUAL(dist, json_number_value(json_object_get(x, "value_m")), 0.5);
                seen[k] = dist;
            } else {
                const char *suffix = !strcmp(kind, "time") ? "_s" : "";
                char lo[16], hi[16], va[16];
                snprintf(lo, sizeof lo, "low%s", suffix);
                snprintf(hi, sizeof hi, "high%s", suffix);
                snprintf(va, sizeof va, "value%s", suffix);
                double v = json_number_value(json_object_get(x, va));
                CU_ASSERT_TRUE(v >= json_number_value(json_object_get(x, lo)));
                CU_ASSERT_TRUE(v <= json_number_value(json_object_get(x, hi)));
                seen[k] = v;
            }
        }
        CU_ASSERT_TRUE(seen[0] != seen[1] || seen[1] != seen[2]);
    }
    /* valid: every inject showed on the console within its kind's window
     * (scenarios/drills/README.md: tamper 10 min, panic 5 min, a tunnel's
     * signal lost by its end plus 5 min, a canyon's false alert in its
     * span) */
    for (int k = 0; k < 3; k++) {
        json_t *inj = json_object_get(d[k], "injects");
        CU_ASSERT_EQUAL(json_array_size(inj), 4); /* normal: panic, tunnel, tamper, canyon */
        for (size_t i = 0; i < json_array_size(inj); i++) {
            json_t *x = json_array_get(inj, i);
            const char *kind = json_string_value(json_object_get(x, "kind"));
            double at = json_number_value(json_object_get(x, "at_s")), shown = json_number_value(json_object_get(x, "shown_s"));
            double until = json_is_number(json_object_get(x, "until_s")) ? json_number_value(json_object_get(x, "until_s")) : at;
            double last = !strcmp(kind, "tamper") ? at + 600 : !strcmp(kind, "panic") ? at + 300
                        : !strcmp(kind, "tunnel") ? until + 300 : until;
            CU_ASSERT_TRUE(shown >= at && shown <= last);
        }
        json_decref(d[k]);
    }
    /* another seed: other draws */
    rm_rf("pw_drill_b");
    CU_ASSERT_EQUAL_FATAL(generate(SUBWAY, "pw_drill_b", 1, 8, SCN_LEVEL_NORMAL, 0), 0);
    char *ta = pw_test_read_text("pw_drill_a/drill-1.json"), *tb = pw_test_read_text("pw_drill_b/drill-1.json");
    CU_ASSERT_STRING_NOT_EQUAL(ta, tb);
    free(ta);
    free(tb);
    rm_rf("pw_drill_b");
}

/* Events of a run folder's events.jsonl, read here with jansson. */
static json_t *read_events(const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    json_t *all = json_array();
    char line[8192];
    while (fgets(line, sizeof line, f)) {
        json_error_t je;
        json_t *e = json_loads(line, 0, &je);
        CU_ASSERT_PTR_NOT_NULL_FATAL(e);
        json_array_append_new(all, e);
    }
    fclose(f);
    return all;
}

static double iso_s(const char *iso, const char *start)
{
    /* seconds between two ISO times of the same day and format:
     * "YYYY-MM-DDTHH:MM:SS.mmmZ" */
    int h1, m1, h2, m2;
    double s1, s2;
    int d1, d2;
    sscanf(iso + 8, "%2dT%2d:%2d:%lf", &d1, &h1, &m1, &s1);
    sscanf(start + 8, "%2dT%2d:%2d:%lf", &d2, &h2, &m2, &s2);
    return (d1 - d2) * 86400.0 + (h1 - h2) * 3600.0 + (m1 - m2) * 60.0 + (s1 - s2);
}

static json_t *find_action(json_t *actions, const char *action, long long incident, int case_id, double from_s)
{
    for (size_t i = 0; i < json_array_size(actions); i++) {
        json_t *a = json_array_get(actions, i);
        if (strcmp(json_string_value(json_object_get(a, "action")), action) != 0)
            continue;
        if (incident >= 0 && json_integer_value(json_object_get(a, "incident")) != incident)
            continue;
        if (case_id >= 0 && json_integer_value(json_object_get(a, "case")) != case_id)
            continue;
        if (!isnan(from_s) && fabs(json_number_value(json_object_get(a, "from_s")) - from_s) > 0.002)
            continue;
        return a;
    }
    return NULL;
}

/* The key follows from the engine's events, read here independently. */
static void test_key_follows_events(void)
{
    for (int k = 1; k <= 3; k++) {
        char path[128], dir[128];
        snprintf(path, sizeof path, "pw_drill_a/drill-%d.json", k);
        snprintf(dir, sizeof dir, "pw_drill_a/drill-%d", k);
        json_t *d = load_json(path);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        const char *start = json_string_value(json_object_get(d, "start"));
        json_t *actions = json_object_get(json_object_get(d, "key"), "actions");
        json_t *events = read_events(dir);
        /* which alert episodes were false: run.geojson */
        char geo[256];
        snprintf(geo, sizeof geo, "%s/run.geojson", dir);
        json_t *g = load_json(geo);
        CU_ASSERT_PTR_NOT_NULL_FATAL(g);
        json_t *features = json_object_get(g, "features");
        size_t n_incidents = 0, n_expected = 0;
        double tampers[16];
        int n_tampers = 0;
        for (size_t i = 0; i < json_array_size(events); i++) {
            json_t *e = json_array_get(events, i);
            const char *type = json_string_value(json_object_get(e, "type"));
            double t = iso_s(json_string_value(json_object_get(e, "time")), start);
            int case_id = (int)json_integer_value(json_object_get(e, "case"));
            if (!strcmp(type, "incident_open")) {
                long long inc = json_integer_value(json_object_get(e, "incident"));
                n_incidents++;
                /* an alarm: false when its episode (same case, opened at the
                 * same moment) is marked false in run.geojson */
                int is_false = 0;
                if (!strcmp(json_string_value(json_object_get(e, "reason")), "alarm_open"))
                    for (size_t f = 0; f < json_array_size(features); f++) {
                        json_t *p = json_object_get(json_array_get(features, f), "properties");
                        const char *kind = json_string_value(json_object_get(p, "kind"));
                        if (kind && !strcmp(kind, "alert_episode") && json_integer_value(json_object_get(p, "case")) == case_id &&
                            json_integer_value(json_object_get(p, "start")) == json_integer_value(json_object_get(e, "t")))
                            is_false = json_is_false(json_object_get(p, "true"));
                    }
                json_t *a = find_action(actions, is_false ? "call_victim" : "dispatch", inc, case_id, t);
                CU_ASSERT_PTR_NOT_NULL(a);
                if (a) {
                    /* the deadline: 60 s after it opened */
                    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(a, "due_s")), t + 60.0, 0.002);
                    CU_ASSERT_EQUAL(json_is_true(json_object_get(a, "false_alert")), is_false);
                }
                n_expected++;
            } else if (!strcmp(type, "panic")) {
                json_t *a = find_action(actions, "call_victim", -1, -1, t);
                CU_ASSERT_PTR_NOT_NULL(a);
                if (a)
                    CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(a, "due_s")), t + 30.0, 0.002);
                n_expected++;
            } else if (!strcmp(type, "escalation")) {
                /* an escalate for this case and this fault, due from this
                 * moment or from an earlier one since the case's latest
                 * incident opened (once an incident and a fault) */
                const char *reason = json_string_value(json_object_get(e, "reason"));
                double since = -1;
                for (size_t j = 0; j <= i; j++) {
                    json_t *o = json_array_get(events, j);
                    if (!strcmp(json_string_value(json_object_get(o, "type")), "incident_open") &&
                        json_integer_value(json_object_get(o, "case")) == case_id)
                        since = iso_s(json_string_value(json_object_get(o, "time")), start);
                }
                int found = 0;
                for (size_t j = 0; j < json_array_size(actions); j++) {
                    json_t *a = json_array_get(actions, j);
                    double from = json_number_value(json_object_get(a, "from_s"));
                    if (!strcmp(json_string_value(json_object_get(a, "action")), "escalate") &&
                        json_integer_value(json_object_get(a, "case")) == case_id && from <= t + 0.002 &&
                        (from >= since - 0.002 || fabs(from - t) < 0.002) &&
                        strstr(json_string_value(json_object_get(a, "because")), reason))
                        found = 1;
                }
                if (!found)
                    fprintf(stderr, "\n  drill %d: no escalate for the %s escalation of case %d at %.1f s\n", k, reason,
                            case_id, t);
                CU_ASSERT_TRUE(found);
            } else if (!strcmp(type, "tamper") && n_tampers < 16) {
                tampers[n_tampers++] = t;
            }
        }
        /* the first incident of this template: all three patrols are free
         * at their bases; by hand from their bases to victim A's office
         * (37.4993, 127.0300): Gangnam 1 (37.4950, 127.0330) ~ 550 m,
         * Yeoksam 3 (37.5030, 127.0420) ~ 1,140 m, Seocho 2 (37.4921,
         * 127.0068) ~ 2,200 m; her pin may be anywhere on her walk from
         * the station (within ~300 m), which keeps Gangnam 1 nearest. */
        json_t *first = NULL;
        for (size_t j = 0; j < json_array_size(actions) && !first; j++) {
            json_t *a = json_array_get(actions, j);
            if (!strcmp(json_string_value(json_object_get(a, "action")), "dispatch") &&
                json_integer_value(json_object_get(a, "case")) == 1)
                first = a;
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(first);
        json_t *options = json_object_get(first, "patrols");
        CU_ASSERT_EQUAL(json_array_size(options), 3);
        for (size_t j = 0; j < json_array_size(options); j++)
            CU_ASSERT_TRUE(json_is_true(json_object_get(json_array_get(options, j), "free")));
        CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(first, "patrol")), "강남 1 (Gangnam 1)");
        /* A tamper: call her when his newest fix and hers, as fixes.csv has
         * them when it happened, are within the pre-warning radius (1,000 m,
         * haversine); else no call at that moment. */
        char fixes_path[256];
        snprintf(fixes_path, sizeof fixes_path, "%s/fixes.csv", dir);
        for (int j = 0; j < n_tampers; j++) {
            double t_ms = (double)json_integer_value(json_object_get(d, "start_ms")) + tampers[j] * 1000.0;
            double lat[3] = {NAN, NAN, NAN}, lon[3] = {NAN, NAN, NAN};
            FILE *f = fopen(fixes_path, "r");
            CU_ASSERT_PTR_NOT_NULL_FATAL(f);
            char row[512];
            while (fgets(row, sizeof row, f)) {
                double deliver, fix_t, la, lo;
                int dev;
                if (sscanf(row, "%lf,%lf,%d,%lf,%lf", &deliver, &fix_t, &dev, &la, &lo) == 5 && deliver <= t_ms &&
                    dev >= 1 && dev <= 2) { /* case 1: victim A is device 1, offender A device 2 */
                    lat[dev] = la;
                    lon[dev] = lo;
                }
            }
            fclose(f);
            double dist = haversine(lat[1], lon[1], lat[2], lon[2]);
            json_t *call = find_action(actions, "call_victim", 0, 1, tampers[j]);
            if (dist <= 1000.0)
                CU_ASSERT_PTR_NOT_NULL(call);
            if (dist > 1000.0)
                CU_ASSERT_PTR_NULL(call);
        }
        /* a trainee who does each expected action a second after it is due
         * to start, or half a second before its deadline, with the key's
         * patrol (named by its English part the second time), scores full
         * marks */
        for (int when = 0; when < 2; when++) {
            FILE *log = fopen("pw_drill_perfect.jsonl", "w");
            CU_ASSERT_PTR_NOT_NULL_FATAL(log);
            for (size_t j = 0; j < json_array_size(actions); j++) {
                json_t *a = json_array_get(actions, j);
                const char *act = json_string_value(json_object_get(a, "action"));
                long long inc = json_integer_value(json_object_get(a, "incident"));
                int cs = (int)json_integer_value(json_object_get(a, "case"));
                double at = when ? json_number_value(json_object_get(a, "due_s")) - 0.5
                                 : json_number_value(json_object_get(a, "from_s")) + 1;
                fprintf(log, "{\"t\": %.3f, \"action\": \"%s\"", at, act);
                if (inc)
                    fprintf(log, ", \"incident\": %lld", inc);
                else if (cs)
                    fprintf(log, ", \"case\": %d", cs);
                if (!strcmp(act, "dispatch")) {
                    const char *name = json_string_value(json_object_get(a, "patrol"));
                    const char *en = strchr(name, '(');
                    if (when && en) /* "강남 1 (Gangnam 1)" -> "Gangnam 1" */
                        fprintf(log, ", \"patrol\": \"%.*s\"", (int)(strlen(en) - 2), en + 1);
                    else
                        fprintf(log, ", \"patrol\": \"%s\"", name);
                }
                fprintf(log, "}\n");
            }
            fclose(log);
            drl_score sc;
            char err[512];
            CU_ASSERT_EQUAL_FATAL(drl_score_file(&sc, path, "pw_drill_perfect.jsonl", err, sizeof err), 0);
            if (sc.total != sc.max)
                fprintf(stderr, "\n  drill %d, log %d: %d of %d\n", k, when, sc.total, sc.max);
            CU_ASSERT_EQUAL(sc.total, sc.max);
            CU_ASSERT_EQUAL(sc.max, 10 * (int)json_array_size(actions));
            drl_score_free(&sc);
        }
        remove("pw_drill_perfect.jsonl");
        CU_ASSERT_TRUE(n_incidents >= 1);
        CU_ASSERT_TRUE(json_array_size(actions) >= n_expected);
        json_decref(g);
        json_decref(events);
        json_decref(d);
    }
}

/* ---- the PDFs ------------------------------------------------------- */

/* The text of a PDF as poppler's pdftotext reads it (pages split by \f). */
static char *pdf_text(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "pdftotext -layout '%s' - 2>/dev/null", path);
    FILE *p = popen(cmd, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while ((got = fread(buf + n, 1, cap - n - 1, p)) > 0) {
        n += got;
        if (n + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    buf[n] = '\0';
    CU_ASSERT_EQUAL(pclose(p), 0);
    return buf;
}

static void test_pages_and_no_answers(void)
{
    rm_rf("pw_drill_p");
    CU_ASSERT_EQUAL_FATAL(generate(SUBWAY, "pw_drill_p", 1, 3, SCN_LEVEL_HARD, 1), 0);
    json_t *d = load_json("pw_drill_p/drill-1.json");
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    char *trainee = pdf_text("pw_drill_p/drill-1.pdf");
    char *key = pdf_text("pw_drill_p/drill-1-key.pdf");
    int offset = (int)json_integer_value(json_object_get(d, "utc_offset_min"));
    /* every inject in the timeline and on a trainee's page whose header
     * time (local) is at most 5 s before it shows */
    json_t *inj = json_object_get(d, "injects"), *timeline = json_object_get(d, "timeline");
    CU_ASSERT_EQUAL(json_array_size(inj), 7); /* hard: all seven */
    /* each unrelated call in the run's incidents.csv (reason "call") has its
     * dispatch in the key, due 60 s after it came in */
    {
        FILE *f = fopen("pw_drill_p/drill-1/incidents.csv", "r");
        CU_ASSERT_PTR_NOT_NULL_FATAL(f);
        char row[512];
        int n_calls = 0;
        long long start_ms = json_integer_value(json_object_get(d, "start_ms"));
        json_t *acts = json_object_get(json_object_get(d, "key"), "actions");
        while (fgets(row, sizeof row, f)) {
            long long id, open_ms;
            int case_id;
            char reason[32];
            if (sscanf(row, "%lld,%d,%31[^,],%lld", &id, &case_id, reason, &open_ms) != 4 || strcmp(reason, "call"))
                continue;
            n_calls++;
            CU_ASSERT_EQUAL(case_id, 0);
            json_t *a = find_action(acts, "dispatch", id, 0, (double)(open_ms - start_ms) / 1000.0);
            CU_ASSERT_PTR_NOT_NULL(a);
            if (a)
                CU_ASSERT_DOUBLE_EQUAL(json_number_value(json_object_get(a, "due_s")),
                                       (double)(open_ms - start_ms) / 1000.0 + 60.0, 0.002);
        }
        fclose(f);
        CU_ASSERT_EQUAL(n_calls, 1);
    }
    for (size_t i = 0; i < json_array_size(inj); i++) {
        json_t *x = json_array_get(inj, i);
        const char *name = json_string_value(json_object_get(x, "name"));
        double shown = json_number_value(json_object_get(x, "shown_s"));
        int in_timeline = 0;
        for (size_t j = 0; j < json_array_size(timeline); j++) {
            json_t *e = json_array_get(timeline, j);
            const char *in = json_string_value(json_object_get(e, "inject"));
            if (in && !strcmp(in, name) && fabs(json_number_value(json_object_get(e, "t_s")) - shown) < 0.002)
                in_timeline = 1;
        }
        CU_ASSERT_TRUE(in_timeline);
        /* a centre outage: escalate, for the centre (no case), from when it began */
        if (!strcmp(json_string_value(json_object_get(x, "kind")), "outage"))
            CU_ASSERT_PTR_NOT_NULL(find_action(json_object_get(json_object_get(d, "key"), "actions"), "escalate", 0, 0,
                                               json_number_value(json_object_get(x, "at_s"))));
        int on_page = 0;
        const char *start = json_string_value(json_object_get(d, "start"));
        int h, m;
        double s;
        sscanf(start + 11, "%2d:%2d:%lf", &h, &m, &s);
        for (int back = 0; back <= 5 && !on_page; back++) {
            long local = ((long)(h * 3600 + m * 60 + s + shown) - back + offset * 60L) % 86400L;
            char header[64];
            snprintf(header, sizeof header, "— %02ld:%02ld:%02ld (T+", local / 3600, local / 60 % 60, local % 60);
            on_page = strstr(trainee, header) != NULL;
        }
        if (!on_page)
            fprintf(stderr, "\n  inject '%s' (shown %.1f s) has no page\n", name, shown);
        CU_ASSERT_TRUE(on_page);
        /* ... and that page is the one drill-1.json names (pages split by \f) */
        int page = (int)json_integer_value(json_object_get(x, "page"));
        const char *pg = trainee;
        for (int q = 1; q < page && pg; q++) {
            pg = strchr(pg, '\f');
            if (pg)
                pg++;
        }
        CU_ASSERT_PTR_NOT_NULL_FATAL(pg);
        const char *pg_end = strchr(pg, '\f');
        int here = 0;
        for (int back = 0; back <= 5 && !here; back++) {
            long local = ((long)(h * 3600 + m * 60 + s + shown) - back + offset * 60L) % 86400L;
            char header[64];
            snprintf(header, sizeof header, "— %02ld:%02ld:%02ld (T+", local / 3600, local / 60 % 60, local % 60);
            const char *at = strstr(pg, header);
            here = at && (!pg_end || at < pg_end);
        }
        if (!here)
            fprintf(stderr, "\n  inject '%s': drill-1.json says page %d, which does not show it\n", name, page);
        CU_ASSERT_TRUE(here);
        /* the trainer's label is an answer: not on the trainee's pages */
        CU_ASSERT_PTR_NULL(strstr(trainee, name));
        CU_ASSERT_PTR_NOT_NULL(strstr(key, name));
    }
    /* the key's words are not in the trainee's text; the key has them (so
     * the search could find them) */
    const char *words[] = {"NFPA", "false", "Expected", "Rule:", "due", "noise_jump", "cell_fallback", "urban_canyon",
                           "Trains:", "A1 "};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
        if (strstr(trainee, words[i]))
            fprintf(stderr, "\n  the trainee's pages say '%s'\n", words[i]);
        CU_ASSERT_PTR_NULL(strstr(trainee, words[i]));
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(key, "NFPA"));
    CU_ASSERT_PTR_NOT_NULL(strstr(key, "A1 "));
    json_t *actions = json_object_get(json_object_get(d, "key"), "actions");
    for (size_t i = 0; i < json_array_size(actions); i++) {
        const char *because = json_string_value(json_object_get(json_array_get(actions, i), "because"));
        CU_ASSERT_PTR_NULL(strstr(trainee, because));
    }
    /* Hangul drawn, with no missing glyphs warned about: the briefing's
     * Korean text is in the trainee's text layer */
    CU_ASSERT_PTR_NOT_NULL(strstr(trainee, "강남역 일대"));
    /* the same drill again: the same PDF bytes */
    CU_ASSERT_EQUAL(system("cp pw_drill_p/drill-1.pdf pw_drill_p/first.pdf && cp pw_drill_p/drill-1-key.pdf "
                           "pw_drill_p/first-key.pdf"), 0);
    CU_ASSERT_EQUAL_FATAL(generate(SUBWAY, "pw_drill_p", 1, 3, SCN_LEVEL_HARD, 1), 0);
    CU_ASSERT_EQUAL(system("cmp -s pw_drill_p/drill-1.pdf pw_drill_p/first.pdf && cmp -s pw_drill_p/drill-1-key.pdf "
                           "pw_drill_p/first-key.pdf"), 0);
    free(trainee);
    free(key);
    json_decref(d);
    rm_rf("pw_drill_p");
}

static void test_generate_errors(void)
{
    drl_options o;
    drl_options_default(&o);
    char err[1024];
    o.template_path = PW_SOURCE_DIR "/scenarios/default.lua";
    o.out_dir = "pw_drill_e";
    o.pictures = 0;
    CU_ASSERT_EQUAL(drl_generate(&o, err, sizeof err), DRL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a drill template"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "default.lua"));
    pw_test_write_text("pw_drill_e.lua",
                       "scenario { name = 't', start = '2026-03-03 08:00', duration = '1h', origin = place(37.5, 127.03) }\n"
                       "drill { title = 'never' }\n"
                       "local v = victim { name = 'v', start = place(37.5, 127.03) }\n"
                       "local o = offender { name = 'o', start = place(37.6, 127.03) }\n"
                       "case { offender = o, victim = v }\n"
                       "inject { kind = 'canyon', name = 'far away', place = place(37.4, 127.2), at = '08:05', "
                       "duration = '5m' }\n");
    o.template_path = "pw_drill_e.lua";
    CU_ASSERT_EQUAL(drl_generate(&o, err, sizeof err), DRL_EINVAL);
    /* a canyon where nobody walks never gives its false alert */
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no valid variant in 20 attempts"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "'far away' (line 6)"));
    o.count = 0;
    CU_ASSERT_EQUAL(drl_generate(&o, err, sizeof err), DRL_EINVAL);
    remove("pw_drill_e.lua");
    rm_rf("pw_drill_e");
}

/* ---- scoring, against a key written by hand ------------------------- */

/*
 * The drill starts 2026-03-03 08:00 KST (23:00 UTC the day before).  The
 * key: A1 dispatch incident 1 from 0 s, due 60 s, nearest free patrol P1
 * (400 m; P2 1,150 m); A2 call_victim case 1 from 100 s, due 130 s; A3
 * escalate incident 2 from 200 s, due 260 s; A4 call_victim incident 3
 * (a false alarm) from 300 s, due 360 s.
 */
static const char *KEY_JSON =
    "{\"schema\": \"proxwatch-drill\", \"schema_version\": 1, \"start_ms\": 1772492400000, \"utc_offset_min\": 540,\n"
    " \"timeline\": [{\"t_s\": 0, \"what\": \"incident_open\", \"case\": 1, \"incident\": 1},\n"
    "              {\"t_s\": 200, \"what\": \"incident_open\", \"case\": 1, \"incident\": 2},\n"
    "              {\"t_s\": 300, \"what\": \"incident_open\", \"case\": 1, \"incident\": 3}],\n"
    " \"key\": {\"actions\": [\n"
    "  {\"id\": \"A1\", \"action\": \"dispatch\", \"case\": 1, \"incident\": 1, \"from_s\": 0, \"due_s\": 60,\n"
    "   \"false_alert\": false, \"patrol\": \"P1\", \"patrols\": [{\"name\": \"P1\", \"distance_m\": 400, \"free\": true},\n"
    "   {\"name\": \"P2\", \"distance_m\": 1150, \"free\": true}]},\n"
    "  {\"id\": \"A2\", \"action\": \"call_victim\", \"case\": 1, \"incident\": 0, \"from_s\": 100, \"due_s\": 130,\n"
    "   \"false_alert\": false},\n"
    "  {\"id\": \"A3\", \"action\": \"escalate\", \"case\": 1, \"incident\": 2, \"from_s\": 200, \"due_s\": 260,\n"
    "   \"false_alert\": false},\n"
    "  {\"id\": \"A4\", \"action\": \"call_victim\", \"case\": 1, \"incident\": 3, \"from_s\": 300, \"due_s\": 360,\n"
    "   \"false_alert\": true}]}}\n";

static int score(const char *log, drl_score *sc, char *err, size_t n)
{
    pw_test_write_text("pw_drill_key.json", KEY_JSON);
    pw_test_write_text("pw_drill_log.jsonl", log);
    return drl_score_file(sc, "pw_drill_key.json", "pw_drill_log.jsonl", err, n);
}

static size_t count_word(const char *text, const char *word)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, word)) != NULL; p += strlen(word))
        n++;
    return n;
}

static void test_score_perfect_empty_wrong(void)
{
    drl_score sc;
    char err[512];
    /* perfect: each on time, the right patrol; "time" as a local clock
     * (08:00:30 = 30 s after the start) */
    CU_ASSERT_EQUAL_FATAL(score("{\"time\": \"08:00:30\", \"action\": \"dispatch\", \"incident\": 1, \"patrol\": \"P1\"}\n"
                                "{\"t\": 110, \"action\": \"call_victim\", \"case\": 1}\n"
                                "\n"
                                "{\"t\": 230, \"action\": \"escalate\", \"incident\": 2}\n"
                                "{\"t\": 310, \"action\": \"call_victim\", \"incident\": 3}\n",
                                &sc, err, sizeof err), 0);
    CU_ASSERT_EQUAL(sc.total, 40);
    CU_ASSERT_EQUAL(sc.max, 40);
    CU_ASSERT_EQUAL(sc.on_time, 4);
    CU_ASSERT_EQUAL(sc.missed, 0);
    CU_ASSERT_EQUAL(sc.n_notes, 0);
    drl_score_free(&sc);

    /* empty: every action missed, the escalation among them */
    CU_ASSERT_EQUAL_FATAL(score("", &sc, err, sizeof err), 0);
    CU_ASSERT_EQUAL(sc.total, 0);
    CU_ASSERT_EQUAL(sc.missed, 4);
    CU_ASSERT_EQUAL(sc.missed_escalations, 1);
    FILE *f = fopen("pw_drill_score.txt", "w");
    drl_score_print(f, &sc);
    fclose(f);
    char *text = pw_test_read_text("pw_drill_score.txt");
    /* four action lines say "missed", and the total line once */
    CU_ASSERT_EQUAL(count_word(text, "missed"), 5);
    free(text);
    drl_score_free(&sc);

    /* the wrong patrol, a late call, a dispatch to the false alarm and an
     * unknown incident: by hand, A1 wrong patrol (5 points, P2 is
     * 1,150 - 400 = 750 m farther), A2 late by 145 - 130 = 15 s (5), A3
     * and A4 missed (0), the false dispatch -3: total 7 of 40 */
    CU_ASSERT_EQUAL_FATAL(score("{\"t\": 30, \"action\": \"dispatch\", \"incident\": 1, \"patrol\": \"P2\"}\n"
                                "{\"t\": 145, \"action\": \"call_victim\", \"incident\": 1}\n"
                                "{\"t\": 305, \"action\": \"dispatch\", \"incident\": 3, \"patrol\": \"P1\"}\n"
                                "{\"t\": 320, \"action\": \"escalate\", \"incident\": 99}\n",
                                &sc, err, sizeof err), 0);
    CU_ASSERT_EQUAL(sc.actions[0].verdict, DRL_WRONG_PATROL);
    CU_ASSERT_DOUBLE_EQUAL(sc.actions[0].extra_m, 750.0, 1e-9);
    CU_ASSERT_STRING_EQUAL(sc.actions[0].right_patrol, "P1");
    CU_ASSERT_EQUAL(sc.actions[1].verdict, DRL_LATE);
    CU_ASSERT_DOUBLE_EQUAL(sc.actions[1].late_s, 15.0, 1e-9);
    CU_ASSERT_EQUAL(sc.actions[2].verdict, DRL_MISSED);
    CU_ASSERT_EQUAL(sc.actions[3].verdict, DRL_MISSED);
    CU_ASSERT_EQUAL(sc.on_false, 1);
    CU_ASSERT_EQUAL(sc.unknown, 1);
    CU_ASSERT_EQUAL(sc.total, 7);
    f = fopen("pw_drill_score.txt", "w");
    drl_score_print(f, &sc);
    fclose(f);
    text = pw_test_read_text("pw_drill_score.txt");
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "wrong patrol: P2, 750 m farther than P1"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "late by 15 s"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "a false alert"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "incident #99, which this drill does not have"));
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "total 7 of 40"));
    free(text);
    drl_score_free(&sc);
    remove("pw_drill_score.txt");
}

static void test_score_bad_lines(void)
{
    drl_score sc;
    char err[512];
    CU_ASSERT_EQUAL(score("{\"t\": 1, \"action\": \"escalate\"}\n{not json\n", &sc, err, sizeof err), DRL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pw_drill_log.jsonl:2:"));
    CU_ASSERT_EQUAL(score("{\"t\": 1, \"action\": \"arrest\"}\n", &sc, err, sizeof err), DRL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "pw_drill_log.jsonl:1: 'action'"));
    CU_ASSERT_EQUAL(score("{\"action\": \"escalate\"}\n", &sc, err, sizeof err), DRL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ":1: give 't'"));
    CU_ASSERT_EQUAL(score("{\"t\": 5, \"action\": \"dispatch\", \"incident\": 1}\n", &sc, err, sizeof err), DRL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "names its 'incident' and its 'patrol'"));
    CU_ASSERT_EQUAL(score("{\"time\": \"25:00\", \"action\": \"escalate\"}\n", &sc, err, sizeof err), DRL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "'time'"));
    /* not a drill file */
    pw_test_write_text("pw_drill_log.jsonl", "");
    CU_ASSERT_EQUAL(drl_score_file(&sc, "pw_drill_log.jsonl", "pw_drill_log.jsonl", err, sizeof err), DRL_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a drill file"));
    remove("pw_drill_key.json");
    remove("pw_drill_log.jsonl");
}

/* ---- every bundled template, every level, two seeds ------------------ */

static void test_bundled_templates(void)
{
    DIR *dir = opendir(PW_SOURCE_DIR "/scenarios/drills");
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dir)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0)
            continue;
        char path[512];
        snprintf(path, sizeof path, "%s/scenarios/drills/%s", PW_SOURCE_DIR, de->d_name);
        n++;
        size_t injects[4] = {0};
        for (int level = SCN_LEVEL_EASY; level <= SCN_LEVEL_HARD; level++)
            for (uint64_t seed = 1; seed <= 2; seed++) {
                rm_rf("pw_drill_t");
                int rc = generate(path, "pw_drill_t", 1, seed, level, 0);
                if (rc)
                    fprintf(stderr, "\n  %s, level %d, seed %llu\n", de->d_name, level, (unsigned long long)seed);
                CU_ASSERT_EQUAL(rc, 0);
                json_t *d = load_json("pw_drill_t/drill-1.json");
                if (d)
                    injects[level] = json_array_size(json_object_get(d, "injects"));
                json_decref(d);
            }
        /* each level adds injects */
        CU_ASSERT_TRUE(injects[SCN_LEVEL_EASY] < injects[SCN_LEVEL_NORMAL]);
        CU_ASSERT_TRUE(injects[SCN_LEVEL_NORMAL] < injects[SCN_LEVEL_HARD]);
    }
    closedir(dir);
    CU_ASSERT_TRUE(n >= 4); /* a subway station, an apartment complex, a school run, a district at night */
    rm_rf("pw_drill_t");
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"the language: middles, draws, levels, injects", test_language_middles_and_draws},
        {"the language: errors name the line", test_language_errors},
        {"variants: valid, in their ranges, the same bytes again", test_variants_valid_and_repeatable},
        {"the key follows the engine's events", test_key_follows_events},
        {"every inject on a page; no answer on the trainee's pages", test_pages_and_no_answers},
        {"generation errors", test_generate_errors},
        {"scoring: perfect, empty, wrong patrol and false alert", test_score_perfect_empty_wrong},
        {"scoring: malformed lines name their line", test_score_bad_lines},
        {"bundled templates at every level", test_bundled_templates},
        {NULL, NULL},
    };
    int rc = pw_test_main("drill", tests);
    if (system("rm -rf pw_drill_a") != 0)
        rc = 1;
    return rc;
}
