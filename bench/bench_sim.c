/*
 * bench_sim.c - a national-scale day through the simulator.
 *
 * Workload: scenarios/regional_day.lua at national scale (cases = 5000,
 * tag_interval_s = 60, patrols = 40, approach_every = 50, 8 dispatchers):
 * 5,000 offender-victim pairs spread over Seoul for 24 simulated hours;
 * tags report every 60 s (15 s in pursuit), phones every 60 s; GNSS noise,
 * the 112 desk and patrols on; everybody commutes, one offender in fifty
 * visits his victim's workplace.  The same day runs three times: once
 * recording nothing (the baseline), once more keeping the engine's inputs
 * to feed them to an engine alone afterwards (the yardstick of ratio:),
 * and once recording everything as `proxwatch run
 * --compress` does (fixes.csv.gz, events.jsonl.gz, truth.csv, run.geojson
 * without the fixes), so the cost of the record and its size show; with
 * --plain a third time, as `proxwatch run` does (4.7 GB).
 *
 * It prints simulated seconds per wall second, fixes and events per second.
 * It never fails on time.
 *
 *   bench_sim [--record-only | --no-record] [--plain] [--out DIR]
 */
#include "record.h"
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

static long long file_size(const char *dir, const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

/* What reached the engine in the unrecorded day, in order: fixes and
 * device statuses. */
typedef struct input_at {
    int kind;                  /* 0 a fix, 1 a status, 2 the run closed an incident */
    pw_time_ms now;
    union {
        pw_fix fix;
        pw_device_status status;
        pw_id incident;
    } u;
} input_at;
static input_at *stream;
static size_t n_stream, cap_stream, n_fixes;
static int stream_failed;

static input_at *next_input(void)
{
    if (n_stream == cap_stream) {
        size_t cap = cap_stream ? cap_stream * 2 : 1u << 20;
        input_at *p = realloc(stream, cap * sizeof *p);
        if (!p) {
            stream_failed = 1;
            return NULL;
        }
        stream = p;
        cap_stream = cap;
    }
    return &stream[n_stream++];
}

static void keep_fix(void *ctx, const pw_fix *fix, int cause, pw_time_ms now)
{
    (void)ctx;
    (void)cause;
    input_at *in = next_input();
    if (in) {
        in->kind = 0;
        in->now = now;
        in->u.fix = *fix;
        n_fixes++;
    }
}

static void keep_status(void *ctx, const pw_device_status *st, pw_time_ms now)
{
    (void)ctx;
    input_at *in = next_input();
    if (in) {
        in->kind = 1;
        in->now = now;
        in->u.status = *st;
    }
}

/* The run's 112 desk closes incidents (eng_incident_close): the engine's
 * close event says when, and the engine alone is told the same. */
static void keep_close(void *ctx, const pw_event *ev)
{
    (void)ctx;
    if (ev->type != PW_EV_INCIDENT_CLOSE)
        return;
    input_at *in = next_input();
    if (in) {
        in->kind = 2;
        in->now = ev->time;
        in->u.incident = ev->incident;
    }
}

static void count_event(void *ctx, const pw_event *ev)
{
    (void)ev;
    (*(unsigned long long *)ctx)++;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * The same fixes through a fresh engine alone, set up as the run sets it
 * up (its devices, timeouts and cases), with its one-second tick: the
 * wall time, the yardstick of the simulator's overhead.
 */
static double engine_alone(const scn_scenario *s, unsigned long long *events)
{
    eng_config cfg;
    sim_engine_config(s, &cfg);
    eng_engine *e = malloc(sizeof *e);
    if (!e || eng_init(e, &cfg, count_event, events) != ENG_OK)
        return -1;
    for (size_t a = 0; a < s->n_actors; a++) {
        const scn_actor *sa = &s->actors[a];
        if (sa->role == SCN_PATROL)
            continue;
        eng_add_device(e, sa->id, sa->role == SCN_OFFENDER ? ENG_ROLE_OFFENDER : ENG_ROLE_VICTIM);
        eng_device_timeouts to;
        sim_device_timeouts(&sa->device, &to);
        eng_set_device_timeouts(e, sa->id, &to);
    }
    for (size_t i = 0; i < s->n_cases; i++)
        eng_add_case(e, &s->cases[i].def);
    double t0 = now_s();
    pw_time_ms tick = s->start + 1000;
    for (size_t i = 0; i < n_stream; i++) {
        while (tick <= stream[i].now) {
            eng_tick(e, tick);
            tick += 1000;
        }
        if (stream[i].kind == 1)
            eng_on_status(e, &stream[i].u.status, stream[i].now);
        else if (stream[i].kind == 2)
            eng_incident_close(e, stream[i].u.incident, 0, stream[i].now);
        else
            eng_on_fix(e, &stream[i].u.fix, stream[i].now);
    }
    double t = now_s() - t0;
    eng_close(e);
    free(e);
    return t;
}

static double wall_unrecorded, wall_recorded, wall_plain; /* for the cost of the record */

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

/* What one_run does: the day recording nothing and with no callback (the
 * baseline of both ratios), the day keeping its engine inputs for the
 * engine alone (its own wall time is not a figure: the copying is the
 * benchmark's), the compact record (run --compress), the plain one. */
enum { DAY_BARE, DAY_CAPTURE, DAY_COMPACT, DAY_PLAIN };

static int one_run(const char *label, int mode, const char *dir)
{
    int record = mode == DAY_COMPACT || mode == DAY_PLAIN;
    static const char *const names[] = {"cases", "tag_interval_s", "patrols", "approach_every"};
    static const double values[] = {5000, 60, 40, 50};
    scn_options o = {.n_params = 4, .param_names = names, .param_values = values};
    scn_scenario s;
    scn_error err;
    char perr[300];
    if (scn_load_file(&s, PW_BENCH_SCENARIO, &o, &err) != SCN_OK) {
        fprintf(stderr, "bench_sim: %s\n", err.message);
        return 1;
    }
    if (sim_param_apply(&s, "dispatchers", 8, perr, sizeof perr) != 0 ||
        sim_param_apply(&s, "tag_pursuit_interval", 15, perr, sizeof perr) != 0) {
        fprintf(stderr, "bench_sim: %s\n", perr);
        return 1;
    }
    sim_run_options ro = {.out_dir = dir, .progress = 0, .record = record, .compress = mode == DAY_COMPACT};
    if (mode == DAY_CAPTURE) { /* keep the fix stream for the engine alone */
        ro.on_fix = keep_fix;
        ro.on_status = keep_status;
        ro.on_event = keep_close;
        n_stream = n_fixes = 0;
    }
    sim_summary sum;
    char msg[600];
    double cpu0 = cpu_s();
    if (sim_run(&s, &ro, &sum, msg, sizeof msg) != 0) {
        fprintf(stderr, "bench_sim: %s\n", msg);
        scn_free(&s);
        return 1;
    }
    double cpu = cpu_s() - cpu0;
    printf("%s:\n", label);
    if (mode == DAY_CAPTURE)
        printf("  (its time is not a figure: it copies the engine's inputs)\n");
    else
        printf("  wall             %.2f s for %.0f simulated s; CPU %.2f s (all threads)\n", sum.wall_seconds,
               sum.sim_seconds, cpu);
    if (mode != DAY_CAPTURE) {
        *(mode == DAY_PLAIN ? &wall_plain : mode == DAY_COMPACT ? &wall_recorded : &wall_unrecorded) =
            sum.wall_seconds;
        printf("  sim s per wall s %.0f\n", sum.sim_seconds / sum.wall_seconds);
        printf("  fixes            %llu delivered, %.0f per wall second\n", (unsigned long long)sum.fixes_delivered,
               (double)sum.fixes_delivered / sum.wall_seconds);
        printf("  events           %llu, %.0f per wall second (alarms %llu, incidents %llu, "
               "patrols on scene %zu)\n",
               (unsigned long long)sum.events, (double)sum.events / sum.wall_seconds,
               (unsigned long long)sum.by_type[PW_EV_ALARM_OPEN],
               (unsigned long long)sum.by_type[PW_EV_INCIDENT_OPEN], sum.report.latency.dispatch_to_scene.n);
    }
    if (record) {
        static const char *const files[] = {"events.jsonl", "events.jsonl.gz", "fixes.csv", "fixes.csv.gz",
                                            "run.geojson", "truth.csv", "latencies.csv", "incidents.csv",
                                            "report.json"};
        long long total = 0;
        printf("  written         ");
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
            long long b = file_size(dir, files[i]);
            if (b < 0)
                continue;
            printf("%s %s %.1f MB", total ? "," : "", files[i], b / 1e6);
            total += b;
        }
        printf("\n  the record      %.0f MB in all%s\n", total / 1e6, mode == DAY_COMPACT ? " (target 500 MB)" : "");
    }
    if (mode == DAY_CAPTURE && !stream_failed && wall_unrecorded > 0) {
        unsigned long long events = 0;
        double alone = engine_alone(&s, &events);
        if (alone > 0) {
            printf("engine alone, the same %zu fixes, statuses and incident closes (and its 1 s tick): %.2f s, "
                   "%.0f fixes per second, %llu events (the day: %llu)\n", n_fixes, alone, (double)n_fixes / alone,
                   events, (unsigned long long)sum.events);
            printf("ratio: %.2f (the simulated day's wall time, recording nothing, over the engine alone's; "
                   "target 2)\n", wall_unrecorded / alone);
        }
    }
    free(stream);
    stream = NULL;
    cap_stream = n_stream = n_fixes = 0;
    scn_free(&s);
    return 0;
}

int main(int argc, char **argv)
{
    int with = 1, without = 1, plain = 0, keep = 0;
    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/bench-sim-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--record-only") == 0)
            without = 0;
        else if (strcmp(argv[i], "--no-record") == 0)
            with = 0;
        else if (strcmp(argv[i], "--plain") == 0)
            plain = 1;
        else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
            dir = argv[++i];
            keep = 1;
        }
        else {
            fprintf(stderr, "usage: bench_sim [--record-only | --no-record] [--plain] [--out DIR (kept)]\n");
            return 2;
        }
    }
    printf("bench_sim: %s with cases=5000 tag_interval_s=60 patrols=40 approach_every=50 dispatchers=8:\n"
           "  5000 offender-victim pairs, 24 simulated hours, tags 60 s (15 s in pursuit), phones 60 s,\n"
           "  GNSS noise, 112 desk and patrols on\n", PW_BENCH_SCENARIO);
    if (!dir) {
        dir = mkdtemp(tmpl);
        if (!dir) {
            perror("bench_sim: cannot make a temporary folder");
            return 1;
        }
    }
    int rc = 0;
    if (without && (one_run("simulation, nothing recorded", DAY_BARE, dir) ||
                    one_run("simulation again, keeping the engine's inputs", DAY_CAPTURE, dir)))
        rc = 1;
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/compact", dir);
    if (!rc && with && one_run("simulation recording everything, compact (run --compress)", DAY_COMPACT, sub))
        rc = 1;
    snprintf(sub, sizeof sub, "%s/plain", dir);
    if (!rc && with && plain && one_run("simulation recording everything, plain (run)", DAY_PLAIN, sub))
        rc = 1;
    if (!keep)
        rec_remove_tree(dir); /* a benchmark leaves nothing; --out DIR keeps the record for a look */
    if (rc)
        return rc;
    if (wall_unrecorded > 0 && wall_recorded > 0)
        printf("recording costs %.2f times the unrecorded day (the compact record; target 1.5)\n",
               wall_recorded / wall_unrecorded);
    if (wall_unrecorded > 0 && wall_plain > 0)
        printf("the plain record costs %.2f times the unrecorded day\n", wall_plain / wall_unrecorded);
    printf("target: 28800 simulated seconds per wall second (a day in 3 s) on one core\n");
    return 0;
}
