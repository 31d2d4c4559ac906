/*
 * test_sweep.c - parameter sweeps: named parameters reach the scenario,
 * unknown names stop the sweep before anything runs, a failing run is
 * reported without losing the others, and the intervals are right.
 */
#include "record.h"
#include "sim.h"

#include <jansson.h>
#include "test_util.h"

#include <math.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *SCRIPT =
    "scenario { name = 'sw', start = '2026-03-02 07:30', duration = '20m', origin = place(37.5, 127.0) }\n"
    "local v = victim { name = 'v', start = place(37.5, 127.0) }\n"
    "local o = offender { name = 'o', start = place(37.5, 127.0 + param('start_km', 3) / 88),\n"
    "  tag = { interval = '60s' }, route = { walk { to = place(37.5, 127.001), speed = 3 } } }\n"
    "case { offender = o, victim = v }\n"
    "if param('boom', 0) == 1 then at('07:36', function() local x = nil; return x.y end) end\n";

static void test_param_apply(void)
{
    scn_scenario s;
    scn_error e;
    pw_test_write_text("pw_sweep.lua", SCRIPT);
    CU_ASSERT_EQUAL_FATAL(scn_load_file(&s, "pw_sweep.lua", NULL, &e), SCN_OK);
    char err[300];
    CU_ASSERT_EQUAL(sim_param_apply(&s, "alarm_radius", 300, err, sizeof err), 0);
    CU_ASSERT_DOUBLE_EQUAL(s.cases[0].def.alarm_radius_m, 300, 0);
    CU_ASSERT_EQUAL(sim_param_apply(&s, "tag_pursuit_interval", 5, err, sizeof err), 0);
    CU_ASSERT_EQUAL(s.actors[1].device.interval_pursuit_ms, 5000);
    CU_ASSERT_EQUAL(sim_param_apply(&s, "dispatchers", 4, err, sizeof err), 0);
    CU_ASSERT_EQUAL(s.dispatch.dispatchers, 4);
    CU_ASSERT_EQUAL(sim_param_apply(&s, "alarm_radiuss", 300, err, sizeof err), SIM_EINVAL);
    CU_ASSERT(strstr(err, "unknown parameter 'alarm_radiuss'") != NULL);
    CU_ASSERT_EQUAL(sim_param_apply(&s, "alarm_radius", -1, err, sizeof err), SIM_EINVAL);
    CU_ASSERT_EQUAL(sim_param_apply(&s, "dispatchers", 2.5, err, sizeof err), SIM_EINVAL);
    CU_ASSERT_EQUAL(sim_param_apply(&s, "p_close", 0.9, err, sizeof err), SIM_EINVAL); /* above p_open */
    scn_free(&s);
}

/* Mean and interval against a hand calculation: 1..5 has mean 3, sd 1.581,
 * t(0.975, 4) = 2.776, half-width 1.963. */
static void test_mean_ci(void)
{
    double x[] = {1, 2, 3, 4, 5, NAN};
    double mean, lo, hi;
    eval_mean_ci(x, 6, &mean, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(mean, 3.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(hi - mean, 2.776 * sqrt(2.5) / sqrt(5.0), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(mean - lo, hi - mean, 1e-12);
    double one = 7;
    eval_mean_ci(&one, 1, &mean, &lo, &hi);
    CU_ASSERT_DOUBLE_EQUAL(mean, 7.0, 0);
    CU_ASSERT(isnan(lo));
    eval_mean_ci(x + 5, 1, &mean, &lo, &hi);
    CU_ASSERT(isnan(mean));
}

static void test_unknown_name_runs_nothing(void)
{
    pw_test_write_text("pw_sweep.lua", SCRIPT);
    double v[] = {1, 2};
    sim_sweep_axis ax[] = {{"no_such_thing", v, 2}};
    sim_sweep_spec sp = {.scenario_path = "pw_sweep.lua", .axes = ax, .n_axes = 1, .seeds = 2, .first_seed = 1,
                         .jobs = 2, .out_dir = "pw_sweep_out_bad"};
    size_t failed;
    char err[700];
    CU_ASSERT_EQUAL(sim_sweep(&sp, &failed, err, sizeof err), SIM_EINVAL);
    CU_ASSERT(strstr(err, "unknown parameter 'no_such_thing'") != NULL);
    CU_ASSERT_EQUAL(access("pw_sweep_out_bad/sweep.csv", F_OK), -1);
    double bad[] = {-5};
    sim_sweep_axis ax2[] = {{"alarm_radius", bad, 1}};
    sp.axes = ax2;
    CU_ASSERT_EQUAL(sim_sweep(&sp, &failed, err, sizeof err), SIM_EINVAL);
    CU_ASSERT(strstr(err, "out of range") != NULL);
}

/* A grid of script and rule parameters; with boom = 1 the script sets a
 * callback that fails mid-run: those runs are marked, the others are all
 * there. */
static void test_sweep_grid_and_failures(void)
{
    pw_test_write_text("pw_sweep.lua", SCRIPT);
    double radius[] = {300, 800};
    double boom[] = {0, 1};
    sim_sweep_axis ax[] = {{"alarm_radius", radius, 2}, {"boom", boom, 2}};
    sim_sweep_spec sp = {.scenario_path = "pw_sweep.lua", .axes = ax, .n_axes = 2, .seeds = 3, .first_seed = 1,
                         .jobs = 2, .out_dir = "pw_sweep_out"};
    rec_remove_tree("pw_sweep_out"); /* what it checks is this run's, not a leftover */
    size_t failed = 0;
    char err[700];
    CU_ASSERT_EQUAL_FATAL(sim_sweep(&sp, &failed, err, sizeof err), 0);
    CU_ASSERT_EQUAL(failed, 6); /* boom = 1 for both radii, three seeds each */
    /* sweep.csv: the status column (found by its header) of every row. */
    FILE *cf = fopen("pw_sweep_out/sweep.csv", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
    char row[8192];
    int status_col = -1, rows = 0, ok = 0, bad = 0;
    while (fgets(row, sizeof row, cf)) {
        row[strcspn(row, "\n")] = '\0';
        int col = 0;
        for (char *field = row, *next; field; field = next, col++) {
            next = strchr(field, ',');
            if (next)
                *next++ = '\0';
            if (status_col < 0 && !strcmp(field, "status"))
                status_col = col;
            else if (col == status_col && rows >= 0) {
                ok += !strcmp(field, "ok");
                bad += !strcmp(field, "failed");
            }
        }
        rows++;
    }
    fclose(cf);
    CU_ASSERT_EQUAL(status_col, 3); /* alarm_radius, boom, seed, status */
    CU_ASSERT_EQUAL(rows, 13);      /* the header and 2 x 2 x 3 runs */
    CU_ASSERT_EQUAL(ok, 6);
    CU_ASSERT_EQUAL(bad, 6);
    /* sweep.json, parsed: a grid point per combination, its runs and
     * failures, and the mean and interval of each figure. */
    json_error_t jerr;
    json_t *js = json_load_file("pw_sweep_out/sweep.json", 0, &jerr);
    if (!js)
        printf("\n    sweep.json:%d: %s", jerr.line, jerr.text);
    CU_ASSERT_FATAL(json_is_array(js) && json_array_size(js) == 4);
    size_t i;
    json_t *point;
    json_array_foreach(js, i, point) {
        json_t *par = json_object_get(point, "parameters");
        double r = json_number_value(json_object_get(par, "alarm_radius"));
        int boom_on = json_number_value(json_object_get(par, "boom")) == 1;
        CU_ASSERT(r == 300 || r == 800);
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(point, "runs")), boom_on ? 0 : 3);
        CU_ASSERT_EQUAL(json_integer_value(json_object_get(point, "failed")), boom_on ? 3 : 0);
        json_t *det = json_object_get(json_object_get(point, "figures"), "breaches_detected");
        json_t *ci = json_object_get(det, "ci95");
        CU_ASSERT_FATAL(json_is_array(ci) && json_array_size(ci) == 2);
        if (boom_on) { /* no run: nothing to average, null, not 0 */
            CU_ASSERT(json_is_null(json_object_get(det, "mean")));
        } else {
            /* The offender walks in from 3 km at 3 m/s and stops 88 m
             * away: every successful run has exactly one true breach,
             * detected; three equal values have a zero-width interval. */
            CU_ASSERT_EQUAL(json_number_value(json_object_get(det, "mean")), 1.0);
            CU_ASSERT_EQUAL(json_number_value(json_array_get(ci, 0)), 1.0);
            CU_ASSERT_EQUAL(json_number_value(json_array_get(ci, 1)), 1.0);
        }
    }
    json_decref(js);
    remove("pw_sweep.lua");
}

/* One run that takes far too long must not hold the sweep: at one grid
 * point the scenario has 5,000 offender-victim pairs for 7 days (over 50
 * million phone fixes: tens of seconds of work), at the other one pair for
 * an hour.  With a 1 s run limit the long run is stopped and marked
 * failed, the short one is kept, and the sweep ends in about a second,
 * not when the long run would have (about 19 s here, several times that
 * under the sanitizers): under 12 s leaves room for a busy 2-core
 * machine running the other tests beside it. */
static void test_run_timeout(void)
{
    pw_test_write_text("pw_sweep_slow.lua",
               "local big = param('burn', 0) == 1\n"
               "scenario { name = 'slow', start = '2026-03-02 07:30', duration = big and '7d' or '1h',\n"
               "           origin = place(37.5, 127.0) }\n"
               "for i = 1, big and 5000 or 1 do\n"
               "  local v = victim { name = 'v' .. i, start = place(37.5 + i * 1e-4, 127.0) }\n"
               "  local o = offender { name = 'o' .. i, start = place(37.5 + i * 1e-4, 127.03) }\n"
               "  case { offender = o, victim = v }\n"
               "end\n");
    double burn[2] = {0, 1};
    sim_sweep_axis ax = {"burn", burn, 2};
    sim_sweep_spec sp = {.scenario_path = "pw_sweep_slow.lua", .axes = &ax, .n_axes = 1, .seeds = 1,
                         .first_seed = 1, .jobs = 2, .out_dir = "pw_sweep_slow", .run_timeout_s = 1.0};
    size_t failed = 0;
    char err[600];
    rec_remove_tree("pw_sweep_slow"); /* what it checks is this run's, not a leftover */
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    int rc = sim_sweep(&sp, &failed, err, sizeof err);
    clock_gettime(CLOCK_MONOTONIC, &b);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(failed, 1);
    /* sweep.csv's rows: burn, seed, status first (its header says so). */
    FILE *cf = fopen("pw_sweep_slow/sweep.csv", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cf);
    char row[8192], status[3][16] = {"", "", ""};
    int n_rows = 0;
    while (fgets(row, sizeof row, cf) && n_rows < 3) {
        char *c0 = strtok(row, ",\n"), *c1 = c0 ? strtok(NULL, ",\n") : NULL;
        char *c2 = c1 ? strtok(NULL, ",\n") : NULL;
        if (n_rows == 0) {
            CU_ASSERT(c0 && c1 && c2 && !strcmp(c0, "burn") && !strcmp(c1, "seed") && !strcmp(c2, "status"));
        } else if (c2) {
            snprintf(status[n_rows], sizeof status[n_rows], "%s", c2);
        }
        n_rows++;
    }
    fclose(cf);
    CU_ASSERT_EQUAL(n_rows, 3);
    CU_ASSERT_STRING_EQUAL(status[1], "ok");     /* burn = 0: one pair for an hour */
    CU_ASSERT_STRING_EQUAL(status[2], "failed"); /* burn = 1: stopped at the limit */
    double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("\n    sweep with a stopped run took %.1f s ", wall);
    CU_ASSERT(wall < 12.0);
    remove("pw_sweep_slow.lua");
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"parameters apply by name, with range checks", test_param_apply},
        {"mean and 95 % interval", test_mean_ci},
        {"an unknown name runs nothing", test_unknown_name_runs_nothing},
        {"grid, seeds, and failed runs kept apart", test_sweep_grid_and_failures},
        {"a run past its time limit is stopped, the sweep goes on", test_run_timeout},
        {NULL, NULL},
    };
    return pw_test_main("sweep", tests);
}
