/*
 * test_run.c - the scenario runner end to end: the outputs are byte for
 * byte reproducible, the engine's pursuit request reaches the tag, timed
 * events reach the devices, and a failing script leaves no result behind.
 */
#include "record.h"
#include "sim.h"

#include <jansson.h>
#include "test_util.h"

#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = (size_t)n;
    }
    return buf;
}

static int run_file(const char *scenario, const scn_options *o, const char *out, sim_summary *sum,
                    char *err, size_t errlen)
{
    scn_scenario s;
    scn_error e;
    if (scn_load_file(&s, scenario, o, &e) != SCN_OK) {
        snprintf(err, errlen, "%s", e.message);
        return -2;
    }
    sim_run_options ro = {.out_dir = out, .progress = 0, .record = 1};
    int rc = sim_run(&s, &ro, sum, err, errlen);
    scn_free(&s);
    return rc;
}

static int same_file(const char *a, const char *b)
{
    size_t la = 0, lb = 0;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = x && y && la == lb && la > 0 && memcmp(x, y, la) == 0;
    free(x);
    free(y);
    return same;
}

/* The bundled default scenario's run folder, pw_test_run_a, made by this
 * process (once): the tests that read it do not depend on one another or
 * on what an earlier run of the suite left behind. */
static const char *default_run(sim_summary *sum)
{
    static int done;
    static sim_summary kept;
    if (!done) {
        char err[600];
        rec_remove_tree("pw_test_run_a");
        int rc = run_file(PW_SOURCE_DIR "/scenarios/default.lua", NULL, "pw_test_run_a", &kept, err, sizeof err);
        if (rc)
            printf("\n    %s", err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        done = 1;
    }
    if (sum)
        *sum = kept;
    return "pw_test_run_a";
}

static void test_outputs_are_deterministic(void)
{
    const char *scn = PW_SOURCE_DIR "/scenarios/default.lua";
    sim_summary s1, s2, s3;
    char err[600];
    default_run(&s1);
    CU_ASSERT_EQUAL_FATAL(run_file(scn, NULL, "pw_test_run_b", &s2, err, sizeof err), 0);
    scn_options other = {.seed = 99, .has_seed = 1};
    CU_ASSERT_EQUAL_FATAL(run_file(scn, &other, "pw_test_run_c", &s3, err, sizeof err), 0);
    static const char *const files[] = {"events.jsonl", "fixes.csv", "truth.csv", "report.json", "run.geojson"};
    for (int i = 0; i < 5; i++) {
        char a[128], b[128], c[128];
        snprintf(a, sizeof a, "pw_test_run_a/%s", files[i]);
        snprintf(b, sizeof b, "pw_test_run_b/%s", files[i]);
        snprintf(c, sizeof c, "pw_test_run_c/%s", files[i]);
        CU_ASSERT_TRUE(same_file(a, b));
        if (i < 2 || i == 4) /* the noise and the delays change with the seed */
            CU_ASSERT_FALSE(same_file(a, c));
    }
    printf("\n    %llu fixes delivered, %llu events; alarms %llu ", (unsigned long long)s1.fixes_delivered,
           (unsigned long long)s1.events, (unsigned long long)s1.by_type[PW_EV_ALARM_OPEN]);
    CU_ASSERT(s1.fixes_delivered > 100);
    CU_ASSERT(s1.by_type[PW_EV_ALARM_OPEN] >= 1);
    CU_ASSERT_EQUAL(access("pw_test_run_a/events.jsonl.part", F_OK), -1);
}

/* run.geojson, parsed with jansson: a FeatureCollection whose every
 * feature has a geometry (Point, LineString or Polygon, with coordinates)
 * and properties with a kind; one fix feature per delivered fix (the rows
 * of fixes.csv), one true track per actor, the zones, the episodes. */
static void test_geojson(void)
{
    default_run(NULL);
    json_error_t jerr;
    json_t *root = json_load_file("pw_test_run_a/run.geojson", 0, &jerr);
    if (!root)
        printf("\n    run.geojson does not parse: line %d: %s", jerr.line, jerr.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "type")), "FeatureCollection");
    json_t *features = json_object_get(root, "features");
    CU_ASSERT_FATAL(json_is_array(features));
    size_t n_fix = 0, n_truth = 0, n_zone = 0, n_env = 0, n_episode = 0, bad = 0, i;
    json_t *ft;
    json_array_foreach(features, i, ft) {
        json_t *geom = json_object_get(ft, "geometry"), *props = json_object_get(ft, "properties");
        const char *gt = json_string_value(json_object_get(geom, "type"));
        const char *kind = json_string_value(json_object_get(props, "kind"));
        if (!gt || !kind || !json_is_array(json_object_get(geom, "coordinates")) ||
            (strcmp(gt, "Point") && strcmp(gt, "LineString") && strcmp(gt, "Polygon"))) {
            bad++;
            continue;
        }
        n_fix += !strcmp(kind, "fix");
        n_truth += !strcmp(kind, "truth");
        n_zone += !strcmp(kind, "exclusion_zone");
        n_env += !strcmp(kind, "environment");
        n_episode += !strcmp(kind, "alert_episode");
    }
    CU_ASSERT_EQUAL(bad, 0);
    size_t flen = 0, rows = 0;
    char *fixes = slurp("pw_test_run_a/fixes.csv", &flen);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fixes);
    for (size_t k = 0; k < flen; k++)
        rows += fixes[k] == '\n';
    CU_ASSERT_EQUAL(n_fix, rows - 1); /* less the header */
    CU_ASSERT_EQUAL(n_truth, 4);      /* 2 people, 2 patrols */
    CU_ASSERT_EQUAL(n_zone, 1);
    CU_ASSERT_EQUAL(n_env, 1);
    CU_ASSERT(n_episode >= 1);
    free(fixes);
    json_decref(root);
}

/* After the alarm the engine asks the tag for pursuit mode: its fixes come
 * every 15 s instead of every 60 s, until it calls pursuit off. */
static void test_pursuit_reaches_the_tag(void)
{
    default_run(NULL);
    size_t len = 0;
    char *fixes = slurp("pw_test_run_a/fixes.csv", &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(fixes);
    /* The first pursuit_on of the tag and the pursuit_off after it, read
     * from events.jsonl with jansson (one JSON object per line). */
    FILE *ef = fopen("pw_test_run_a/events.jsonl", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ef);
    long long t_on = -1, t_off = INT64_MAX;
    char line_buf[4096];
    while (fgets(line_buf, sizeof line_buf, ef)) {
        json_error_t jerr;
        json_t *ev = json_loads(line_buf, 0, &jerr);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
        const char *type = json_string_value(json_object_get(ev, "type"));
        long long t = json_integer_value(json_object_get(ev, "t"));
        if (type && !strcmp(type, "pursuit_on") && t_on < 0)
            t_on = t;
        else if (type && !strcmp(type, "pursuit_off") && t_on >= 0 && t_off == INT64_MAX)
            t_off = t;
        json_decref(ev);
    }
    fclose(ef);
    CU_ASSERT_FATAL(t_on >= 0);
    /* Gaps between the tag's (device 2) fix times from pursuit_on to
     * pursuit_off; a report lost in the network (1 %) makes the odd 30 s
     * gap. */
    long long last = -1;
    int n = 0, fast = 0;
    for (char *line = strchr(fixes, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        long long deliver, fix_ms;
        unsigned dev;
        if (sscanf(line + 1, "%lld,%lld,%u,", &deliver, &fix_ms, &dev) != 3 || dev != 2 || fix_ms < t_on ||
            fix_ms >= t_off)
            continue;
        if (last >= 0)
            fast += fix_ms - last <= 15000;
        last = fix_ms;
        n++;
    }
    printf("\n    %d tag fixes after pursuit_on, %d gaps of 15 s or less ", n, fast);
    CU_ASSERT(n >= 10);
    CU_ASSERT(fast >= (n - 1) * 9 / 10);
    free(fixes);
}

/* A callback that fails mid-run: the run stops with the script's file:line
 * and no output file is left looking like a result. */
static void test_script_error_leaves_no_result(void)
{
    pw_test_write_text("pw_test_bad.lua",
               "scenario { name = 'bad', start = '2026-03-02 07:30', duration = '1h', origin = place(37.5, 127.0) }\n"
               "local o = offender { name = 'o', start = place(37.5, 127.0) }\n"
               "at('07:40', function() local t = nil; return t.x end)\n");
    sim_summary sum;
    char err[600];
    int rc = run_file("pw_test_bad.lua", NULL, "pw_test_run_bad", &sum, err, sizeof err);
    CU_ASSERT_EQUAL(rc, SIM_ERUN);
    CU_ASSERT_TRUE(sum.script_error);
    CU_ASSERT(strncmp(err, "pw_test_bad.lua:3:", 18) == 0);
    CU_ASSERT_EQUAL(access("pw_test_run_bad/events.jsonl", F_OK), -1);
    CU_ASSERT_EQUAL(access("pw_test_run_bad/events.jsonl.part", F_OK), -1);
    CU_ASSERT_EQUAL(access("pw_test_run_bad/fixes.csv", F_OK), -1);
    remove("pw_test_bad.lua");
}

/* Timed events reach the devices and the engine: a strap cut near the victim
 * escalates, a battery death goes silent and the engine notices. */
static void test_timed_events(void)
{
    pw_test_write_text("pw_test_events.lua",
               "scenario { name = 'ev', start = '2026-03-02 07:30', duration = '40m', origin = place(37.5, 127.0) }\n"
               "local o = offender { name = 'o', start = place(37.5, 127.008), tag = { interval = '60s' } }\n"
               "local v = victim { name = 'v', start = place(37.5, 127.0) }\n"
               "case { offender = o, victim = v }\n"
               "tamper { actor = o, at = '07:40' }\n"
               "battery_death { actor = o, at = '07:50' }\n");
    sim_summary sum;
    char err[600];
    int rc = run_file("pw_test_events.lua", NULL, "pw_test_run_ev", &sum, err, sizeof err);
    if (rc != 0)
        printf("\n    %s", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    /* 700 m apart: inside the pre-warning radius, outside the alarm. */
    CU_ASSERT_EQUAL(sum.by_type[PW_EV_TAMPER], 1);
    CU_ASSERT(sum.by_type[PW_EV_ESCALATION] >= 1);
    CU_ASSERT_EQUAL(sum.by_type[PW_EV_ALARM_OPEN], 0);
    CU_ASSERT(sum.by_type[PW_EV_SIGNAL_LOST] >= 1);
    remove("pw_test_events.lua");
}

/* The dispatch model: an alarm opens an incident, a dispatcher sends the
 * nearest patrol, which drives there; once it is on scene and the alarm is
 * over, the incident closes and its precise positions are purged. */
static void test_patrol_dispatch_closes_incident(void)
{
    pw_test_write_text("pw_test_patrol.lua",
               "scenario { name = 'patrol', start = '2026-03-02 07:30', duration = '1h', origin = place(37.5, 127.0) }\n"
               "local v = victim { name = 'v', start = place(37.5, 127.0), phone = { interval = '30s' } }\n"
               "local o = offender { name = 'o', start = place(37.5, 127.03),\n"
               "  tag = { interval = '30s', moving_interval = '30s' },\n"
               "  route = { walk { to = place(37.5, 127.001), depart = '07:35', speed = 3 },\n"
               "            wait '5m', drive { to = place(37.5, 127.04) } } }\n"
               "patrol { name = 'near', base = place(37.51, 127.0) }\n"
               "patrol { name = 'far', base = place(37.6, 127.1) }\n"
               "case { offender = o, victim = v }\n"
               "dispatchers { count = 1, handling = 'fixed 1m' }\n");
    sim_summary sum;
    char err[600];
    int rc = run_file("pw_test_patrol.lua", NULL, "pw_test_run_patrol", &sum, err, sizeof err);
    if (rc != 0)
        printf("\n    %s", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const eval_report *r = &sum.report;
    printf("\n    incidents %llu, dispatch->scene %.0f s, closed %llu ", (unsigned long long)r->workload.incidents,
           r->latency.dispatch_to_scene.p50, (unsigned long long)sum.by_type[PW_EV_INCIDENT_CLOSE]);
    CU_ASSERT(r->workload.incidents >= 1);
    CU_ASSERT_EQUAL(r->latency.dispatch_to_scene.n, r->workload.incidents);
    /* 'near' is 1.1 km away: 1,112 m x 1.4 / 11 m/s = about 142 s. */
    CU_ASSERT(r->latency.dispatch_to_scene.p50 > 100 && r->latency.dispatch_to_scene.p50 < 200);
    CU_ASSERT_DOUBLE_EQUAL(r->latency.alert_to_dispatch.p50, 60.0, 0.001);
    CU_ASSERT_EQUAL(sum.by_type[PW_EV_INCIDENT_CLOSE], r->workload.incidents);
    CU_ASSERT_EQUAL(sum.by_type[PW_EV_INCIDENT_PURGED], r->workload.incidents);
    remove("pw_test_patrol.lua");
}

/* ---- motion state ------------------------------------------------------- */

typedef struct fix_log {
    pw_fix fix[4096];
    size_t n;
} fix_log;

static void log_fix(void *ctx, const pw_fix *fix, int cause, pw_time_ms now)
{
    (void)cause;
    (void)now;
    fix_log *l = ctx;
    if (l->n < sizeof l->fix / sizeof l->fix[0])
        l->fix[l->n++] = *fix;
}

/* The times of one kind of engine event in a run. */
typedef struct event_log {
    pw_event_type type;
    pw_time_ms at[4];
    size_t n;
} event_log;

static void log_event(void *ctx, const pw_event *ev)
{
    event_log *l = ctx;
    if (ev->type == l->type && l->n < 4)
        l->at[l->n++] = ev->time;
}

/* Run a scenario file into out, logging its fixes and (events may be
 * NULL) the engine events of events->type; s stays loaded.  sim_run's status. */
static int run_logged(const char *scenario, const char *out, fix_log *log, event_log *events, scn_scenario *s,
                      sim_summary *sum)
{
    scn_error e;
    if (scn_load_file(s, scenario, NULL, &e) != SCN_OK) {
        printf("\n    %s", e.message);
        return -2;
    }
    sim_run_options ro = {.out_dir = out, .record = 1, .on_fix = log ? log_fix : NULL, .on_fix_ctx = log,
                          .on_event = events ? log_event : NULL, .on_event_ctx = events};
    char err[600];
    int rc = sim_run(s, &ro, sum, err, sizeof err);
    if (rc != 0)
        printf("\n    %s", err);
    return rc;
}

/*
 * A tag at rest (5 min interval) for 22 min whose wearer walks off at
 * 07:52:00, and a phone (1 min interval) whose owner walks off at 08:01:30.
 * By hand: the tag's rest fixes fall at 07:30, 07:35, ..., 07:50; the walk
 * segment starts at 07:52:00.000, where the simulator wakes the tag, so its
 * first moving fix is taken at 07:52:00 (without the wake: 07:55:00, three
 * minutes late).  The phone's fixes fall on whole minutes; its first moving
 * fix is at 08:01:30 (without the wake: 08:02:00).  Every fix says moving
 * exactly when the truth does (checked against the timeline built here
 * from the same scenario).
 */
static void test_motion_start_wakes_the_tag(void)
{
    pw_test_write_text("pw_test_motion.lua",
               "scenario { name = 'motion', start = '2026-03-02 07:30', duration = '45m', origin = place(37.5, 127.0) }\n"
               "local o = offender { name = 'o', start = place(37.5, 127.0),\n"
               "  tag = { interval = '5m', moving_interval = '60s', network_loss = 0 },\n"
               "  route = { walk { to = place(37.5, 127.009), depart = '07:52', speed = 1.5 } } }\n"
               "local v = victim { name = 'v', start = place(37.52, 127.0),\n"
               "  phone = { interval = '60s', network_loss = 0 },\n"
               "  route = { walk { to = place(37.52, 127.009), depart = '+31m30s', speed = 1.5 } } }\n");
    static fix_log log;
    log.n = 0;
    scn_scenario s;
    sim_summary sum;
    CU_ASSERT_EQUAL_FATAL(run_logged("pw_test_motion.lua", "pw_test_run_motion", &log, NULL, &s, &sum), 0);
    eng_frame fr;
    eng_frame_init(&fr, s.origin.lat, s.origin.lon);
    sim_track tr[2];
    CU_ASSERT_EQUAL_FATAL(sim_track_build(&tr[0], &s, 0, &fr, NULL, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(sim_track_build(&tr[1], &s, 1, &fr, NULL, NULL), 0);
    const pw_time_ms depart[2] = {s.start + 22 * 60000, s.start + 31 * 60000 + 30000};
    pw_time_ms first_moving[2] = {INT64_MAX, INT64_MAX};
    size_t flagged = 0, agree = 0, fixes[2] = {0, 0};
    for (size_t i = 0; i < log.n; i++) {
        const pw_fix *f = &log.fix[i];
        size_t a = f->device - 1;
        CU_ASSERT_FATAL(a < 2);
        fixes[a]++;
        int moving = -1;
        sim_track_at(&tr[a], f->time, NULL, NULL, NULL, &moving, NULL);
        flagged += (f->set & PW_FIX_MOTION_SET) != 0;
        agree += (f->set & PW_FIX_MOTION_SET) && f->moving == moving;
        if (f->moving && f->time < first_moving[a])
            first_moving[a] = f->time;
    }
    printf("\n    %zu tag and %zu phone fixes; first moving fix %+.3f s (tag), %+.3f s (phone) after the start "
           "of the walk; %zu of %zu flags match the truth ",
           fixes[0], fixes[1], (double)(first_moving[0] - depart[0]) / 1000.0,
           (double)(first_moving[1] - depart[1]) / 1000.0, agree, log.n);
    CU_ASSERT(log.n > 50);
    CU_ASSERT_EQUAL(flagged, log.n);
    CU_ASSERT_EQUAL(agree, log.n);
    for (int a = 0; a < 2; a++) {
        CU_ASSERT(first_moving[a] >= depart[a] && first_moving[a] <= depart[a] + 2000);
    }
    /* The walks are where this test says they are (the truth, by hand). */
    int moving = -1;
    sim_track_at(&tr[0], depart[0] - 1, NULL, NULL, NULL, &moving, NULL);
    CU_ASSERT_EQUAL(moving, 0);
    sim_track_at(&tr[0], depart[0], NULL, NULL, NULL, &moving, NULL);
    CU_ASSERT_EQUAL(moving, 1);
    /* 794.6 m at 1.5 m/s: still walking 520 s later, home by 540 s. */
    sim_track_at(&tr[0], depart[0] + 520000, NULL, NULL, NULL, &moving, NULL);
    CU_ASSERT_EQUAL(moving, 1);
    sim_track_at(&tr[0], depart[0] + 540000, NULL, NULL, NULL, &moving, NULL);
    CU_ASSERT_EQUAL(moving, 0);
    sim_track_close(&tr[0]);
    sim_track_close(&tr[1]);
    scn_free(&s);
    remove("pw_test_motion.lua");
}

/* ---- GNSS-loss timeouts ------------------------------------------------- */

static pw_time_ms last_fix_of(const fix_log *log, pw_id device)
{
    pw_time_ms t = INT64_MIN;
    for (size_t i = 0; i < log->n; i++)
        if (log->fix[i].device == device && log->fix[i].time > t)
            t = log->fix[i].time;
    return t;
}


/*
 * The engine's GNSS-loss timeout is the scenario device's signal_timeout
 * (45 s here), and at rest two rest intervals plus it (2 x 60 + 45 =
 * 165 s: one lost rest report must not look like lost satellites).
 * Two tags, network delay 0 and no loss, whose batteries die at 07:40:10:
 * the walking one's last fix is at 07:40:00 (every 30 s from 07:30), so
 * signal loss is due at 07:40:45; the resting one's last fix is at
 * 07:40:00 too (every 60 s) and says at rest: due at 07:42:45.  The engine
 * ticks each whole second, so each event is at its due time or at most 1 s
 * later.  (The derived rule this replaces gave 2 x 300 + 30 = 630 s.)
 */
static void test_signal_timeout_from_the_scenario(void)
{
    static const char *const tmpl =
        "scenario { name = 'sig', start = '2026-03-02 07:30', duration = '20m', origin = place(37.5, 127.0) }\n"
        "local o = offender { name = 'o', start = place(37.5, 127.0),\n"
        "  tag = { interval = '%s', moving_interval = '30s', signal_timeout = '45s', network_delay = '0s',\n"
        "          network_loss = 0 }%s }\n"
        "battery_death { actor = o, at = '+10m10s' }\n";
    for (int walking = 1; walking >= 0; walking--) {
        char text[1024];
        snprintf(text, sizeof text, tmpl, walking ? "5m" : "60s",
                 walking ? ",\n  route = { walk { to = place(37.5, 127.03), speed = 1.5 } }" : "");
        static fix_log log;
        log.n = 0;
        event_log lost = {.type = PW_EV_SIGNAL_LOST};
        scn_scenario s;
        sim_summary sum;
        pw_test_write_text("pw_test_sig.lua", text);
        CU_ASSERT_EQUAL_FATAL(run_logged("pw_test_sig.lua", "pw_test_run_sig", &log, &lost, &s, &sum), 0);
        remove("pw_test_sig.lua");
        pw_time_ms last = last_fix_of(&log, 1);
        pw_time_ms due = s.start + 10 * 60000 + (walking ? 45000 : 165000);
        printf("\n    %s: last fix %+.0f s, signal lost %+.3f s after the start ", walking ? "walking" : "at rest",
               (double)(last - s.start) / 1000.0, lost.n ? (double)(lost.at[0] - s.start) / 1000.0 : -1.0);
        CU_ASSERT_EQUAL(last, s.start + 10 * 60000);
        CU_ASSERT_EQUAL_FATAL(lost.n, 1);
        CU_ASSERT(lost.at[0] >= due && lost.at[0] <= due + 1000);
        scn_free(&s);
    }
}

/*
 * Contact lost, in a run: sim.h's rule gives no_comm = 2 x the slowest of
 * the rest interval, the moving interval and the heartbeat, plus 30 s.  A
 * resting tag reporting every 4 min (heartbeat 3 min, moving 30 s), whose
 * network goes down at 07:41: by hand, its fixes reach the centre at
 * 07:30, 07:34, 07:38 and its statuses at 07:33, 07:36, 07:39 (network
 * delay 0, no loss); the last message is at 07:39:00; the slowest period
 * is 240 s, so contact is lost at 07:39:00 + 2 x 240 s + 30 s = 07:47:30,
 * or 1 s later (the engine ticks each whole second).  The stored reports
 * arrive when the network is back at 08:00: no second loss.
 */
static void test_contact_lost_from_the_scenario(void)
{
    event_log lost = {.type = PW_EV_COMM_LOST};
    scn_scenario s;
    sim_summary sum;
    pw_test_write_text("pw_test_comm.lua",
               "scenario { name = 'comm', start = '2026-03-02 07:30', duration = '40m', origin = place(37.5, 127.0) }\n"
               "local o = offender { name = 'o', start = place(37.5, 127.0),\n"
               "  tag = { interval = '4m', moving_interval = '30s', heartbeat = '3m', network_delay = '0s',\n"
               "          network_loss = 0 } }\n"
               "network_outage { actor = o, from = '07:41', to = '08:00' }\n");
    CU_ASSERT_EQUAL_FATAL(run_logged("pw_test_comm.lua", "pw_test_run_comm", NULL, &lost, &s, &sum), 0);
    remove("pw_test_comm.lua");
    pw_time_ms due = s.start + 17 * 60000 + 30000;
    printf("\n    contact lost %+.3f s after the start (due %+.0f s) ",
           lost.n ? (double)(lost.at[0] - s.start) / 1000.0 : -1.0, (double)(due - s.start) / 1000.0);
    CU_ASSERT_EQUAL_FATAL(lost.n, 1);
    CU_ASSERT(lost.at[0] >= due && lost.at[0] <= due + 1000);
    scn_free(&s);
}

/*
 * An underground walk (a passage: GNSS lost, no train).  A resting tag
 * (5 min, moving 30 s, signal_timeout 45 s, network delay 0, no loss)
 * whose wearer leaves at 07:40 through a 300 m passage at 1.5 m/s, then
 * walks on above ground.  By hand: underground from 07:40:00 to 07:43:20
 * (300 / 1.5 = 200 s), so no GNSS fix is taken in [07:40:00, 07:43:20).
 * The tag wakes at 07:40:00 and reports it at once, but with no GNSS fix:
 * its last one (07:35:00, at rest) is then 300 s old, past the 45 s
 * moving timeout, so the signal is lost at 07:40:00 (or 1 s later, the
 * engine's tick), not at the rest timeout's 2 x 300 + 45 s.  GNSS fixes
 * come again after the exit (within a minute: a warm start and the 30 s
 * interval).
 */
static void test_underground_walk_loses_gnss(void)
{
    pw_test_write_text("pw_test_ug.lua",
               "scenario { name = 'ug', start = '2026-03-02 07:30', duration = '30m', origin = place(37.5, 127.0) }\n"
               "local home = place(37.5, 127.0)\n"
               "local o = offender { name = 'o', start = home,\n"
               "  tag = { interval = '5m', moving_interval = '30s', signal_timeout = '45s', network_delay = '0s',\n"
               "          network_loss = 0 },\n"
               "  route = { walk { to = offset(home, {east = 300}), speed = 1.5, depart = '07:40', underground = true },\n"
               "            walk { to = offset(home, {east = 600}), speed = 1.5 } } }\n");
    static fix_log log;
    log.n = 0;
    event_log lost = {.type = PW_EV_SIGNAL_LOST};
    scn_scenario s;
    sim_summary sum;
    CU_ASSERT_EQUAL_FATAL(run_logged("pw_test_ug.lua", "pw_test_run_ug", &log, &lost, &s, &sum), 0);
    remove("pw_test_ug.lua");
    pw_time_ms in = s.start + 10 * 60000, out = in + 200000;
    size_t inside = 0;
    pw_time_ms first_after = INT64_MAX;
    for (size_t i = 0; i < log.n; i++) {
        const pw_fix *f = &log.fix[i];
        if (f->device != 1 || f->source != PW_SRC_GNSS)
            continue;
        inside += f->time >= in && f->time < out;
        if (f->time >= out && f->time < first_after)
            first_after = f->time;
    }
    printf("\n    GNSS fixes in the passage %zu; signal lost %+.3f s after entering; first fix %+.3f s after the "
           "exit ", inside, lost.n ? (double)(lost.at[0] - in) / 1000.0 : -1.0,
           first_after != INT64_MAX ? (double)(first_after - out) / 1000.0 : -1.0);
    CU_ASSERT_EQUAL(inside, 0);
    CU_ASSERT_EQUAL_FATAL(lost.n, 1);
    CU_ASSERT(lost.at[0] >= in && lost.at[0] <= in + 1000);
    CU_ASSERT(first_after >= out && first_after <= out + 60000);
    scn_free(&s);
}

/*
 * A fix without a claimed accuracy (a live receiver that gives no eph)
 * is written as such: run.geojson's acc_m is JSON null (it was `nan`,
 * which no JSON reader takes), and the file parses.  Through a session,
 * as live mode feeds its receiver's fixes.
 */
static void test_fix_without_accuracy_is_null(void)
{
    pw_test_write_text("pw_test_noacc.lua",
               "scenario { name = 'noacc', start = '2026-03-02 07:30', duration = '5m', origin = place(37.5, 127.0) }\n"
               "local v = victim { name = 'v', start = place(37.5, 127.0) }\n"
               "local o = offender { name = 'o', start = place(37.5, 127.003) }\n"
               "case { offender = o, victim = v }\n");
    scn_scenario s;
    scn_error e;
    CU_ASSERT_EQUAL_FATAL(scn_load_file(&s, "pw_test_noacc.lua", NULL, &e), SCN_OK);
    remove("pw_test_noacc.lua");
    rec_remove_tree("pw_test_run_noacc");
    sim_run_options ro = {.out_dir = "pw_test_run_noacc", .record = 1};
    sim_summary sum;
    char err[600];
    sim_session *ss;
    CU_ASSERT_EQUAL_FATAL(sim_session_start(&ss, &s, &ro, 1, &sum, err, sizeof err), SIM_OK);
    pw_fix f;
    pw_fix_clear(&f);
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET; /* no PW_FIX_ACC_SET */
    f.time = s.start + 60000;
    f.lat = 37.5;
    f.lon = 127.003;
    f.acc_m = NAN;
    sim_session_live_fix(ss, &f, f.time);
    CU_ASSERT_EQUAL_FATAL(sim_session_finish(ss), SIM_OK);
    json_error_t jerr;
    json_t *root = json_load_file("pw_test_run_noacc/run.geojson", 0, &jerr);
    if (!root)
        printf("\n    run.geojson:%d: %s", jerr.line, jerr.text);
    CU_ASSERT_PTR_NOT_NULL_FATAL(root);
    size_t i, found = 0;
    json_t *feat;
    json_array_foreach(json_object_get(root, "features"), i, feat) {
        json_t *pr = json_object_get(feat, "properties");
        const char *kind = json_string_value(json_object_get(pr, "kind"));
        if (kind && !strcmp(kind, "fix") && json_integer_value(json_object_get(pr, "t")) == f.time &&
            json_integer_value(json_object_get(pr, "device")) == 2) {
            found++;
            CU_ASSERT(json_is_null(json_object_get(pr, "acc_m")));
        }
    }
    CU_ASSERT_EQUAL(found, 1);
    json_decref(root);
    scn_free(&s);
}

/* A summary that cannot be written says so (the file and the reason) and
 * is not there: the command then reports the failure instead of
 * announcing it written. */
static void test_summary_write_failure(void)
{
    scn_scenario s;
    memset(&s, 0, sizeof s);
    sim_summary sum;
    memset(&sum, 0, sizeof sum);
    char err[600] = "";
    CU_ASSERT_EQUAL(sim_summary_write_json("pw_no_such_folder/x", &s, &sum, NULL, 0, err, sizeof err), SIM_ERUN);
    CU_ASSERT(strstr(err, "pw_no_such_folder/x/summary.json") == err);
    CU_ASSERT(strstr(err, "No such file or directory") != NULL);
    CU_ASSERT_EQUAL(access("pw_no_such_folder/x/summary.json", F_OK), -1);
}

/* ---- what the victim sees ------------------------------------------------ */

/*
 * An offender walks into an exclusion zone (a zone alarm needs no victim
 * position, so the victim's phone may be cut off entirely).  Her phone
 * with a network that loses everything (network_loss 1) never shows her
 * the pin: the alarm has no alert -> victim figure.  With no delay and no
 * loss she sees the first position at the very millisecond the alarm
 * opens (the engine sends it with the alarm): 0 s exactly.  With the
 * phone switched off before the alarm, nothing again.
 */
static void test_victim_sees_the_pin_over_her_network(void)
{
    static const char *const tmpl =
        "scenario { name = 'pin', start = '2026-03-02 07:30', duration = '30m', origin = place(37.5, 127.0) }\n"
        "exclusion_zone { name = 'home', center = place(37.5, 127.0), radius = 300 }\n"
        "local v = victim { name = 'v', start = place(37.5, 127.0), phone = { %s } }\n"
        "local o = offender { name = 'o', start = place(37.5, 127.02), tag = { moving_interval = '30s' },\n"
        "  route = { walk { to = place(37.5, 127.0), depart = '07:35', speed = 1.5 } } }\n"
        "case { offender = o, victim = v, zones = { 'home' }, alarm_radius = 1, prewarn_radius = 0 }\n"
        "%s\n";
    static const struct {
        const char *phone, *extra;
        int sees;
    } runs[] = {
        {"network_loss = 1", "", 0},
        {"network_loss = 0, network_delay = '0s'", "", 1},
        {"network_loss = 0, network_delay = '0s'", "device_off { actor = v, at = '07:32' }", 0},
    };
    for (size_t k = 0; k < 3; k++) {
        char text[2048];
        snprintf(text, sizeof text, tmpl, runs[k].phone, runs[k].extra);
        pw_test_write_text("pw_test_pin.lua", text);
        sim_summary sum;
        char err[600];
        int rc = run_file("pw_test_pin.lua", NULL, "pw_test_run_pin", &sum, err, sizeof err);
        if (rc)
            printf("\n    %s", err);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        const eval_latency *l = &sum.report.latency.alert_to_victim;
        printf("\n    phone {%s}%s: %llu alarms, %llu positions sent, %llu seen; alert -> victim n %zu p50 %.3f s ",
               runs[k].phone, runs[k].extra[0] ? " (switched off)" : "",
               (unsigned long long)sum.by_type[PW_EV_ALARM_OPEN], (unsigned long long)sum.pins_sent,
               (unsigned long long)sum.pins_seen, l->n, l->p50);
        CU_ASSERT(sum.by_type[PW_EV_ALARM_OPEN] >= 1);
        CU_ASSERT(sum.pins_sent >= 1);
        if (runs[k].sees) {
            CU_ASSERT_EQUAL(sum.pins_seen, sum.pins_sent);
            CU_ASSERT_EQUAL(l->n, sum.report.alerts.episodes);
            CU_ASSERT_DOUBLE_EQUAL(l->max, 0.0, 1e-9);
        } else {
            CU_ASSERT_EQUAL(sum.pins_seen, 0);
            CU_ASSERT_EQUAL(l->n, 0);
        }
    }
    remove("pw_test_pin.lua");
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"outputs are byte-for-byte deterministic", test_outputs_are_deterministic},
        {"pursuit mode reaches the tag", test_pursuit_reaches_the_tag},
        {"run.geojson holds fixes, tracks, zones, episodes", test_geojson},
        {"a script error leaves no result", test_script_error_leaves_no_result},
        {"timed events reach devices and engine", test_timed_events},
        {"a patrol is dispatched and the incident closes", test_patrol_dispatch_closes_incident},
        {"motion start wakes the tag; fixes carry motion", test_motion_start_wakes_the_tag},
        {"signal loss after the scenario's signal_timeout", test_signal_timeout_from_the_scenario},
        {"contact lost after the scenario's periods", test_contact_lost_from_the_scenario},
        {"an underground walk loses GNSS for its length", test_underground_walk_loses_gnss},
        {"a fix without an accuracy is null in run.geojson", test_fix_without_accuracy_is_null},
        {"a summary that cannot be written says so", test_summary_write_failure},
        {"the victim sees the pin over her phone's network", test_victim_sees_the_pin_over_her_network},
        {NULL, NULL},
    };
    return pw_test_main("run", tests);
}
