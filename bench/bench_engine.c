/*
 * bench_engine.c - throughput of the monitoring engine's per-fix path.
 *
 * Workload: 5,000 cases around Seoul City Hall, each linking one offender tag
 * to one victim phone (10,000 devices).  Every device moves by random
 * waypoints at 1-15 m/s inside a 20 km square and reports a GNSS fix every
 * 10 s; the devices are staggered 1 ms apart, so the fix stream is strictly
 * ordered in time (one fix per simulated millisecond).  Every 20th case (5 %)
 * is a "near pair": victim and offender roam overlapping few-km areas, so
 * pre-warnings, alarms, reveals and incidents happen and the event path is
 * measured along with the fast path.  Every 5th case has a 200 m circular
 * exclusion zone (around the victim's home for near pairs, anywhere in the
 * region otherwise).  GNSS noise is Gaussian with sigma 5 m per axis, and
 * 0.1 % of fixes are multipath glitches 300-1,500 m off, to exercise gating.
 * Legs change direction and speed instantly at a waypoint; a sharp turn at
 * driving speed between two fixes is gated by the default filter too, so
 * the rejections counted are glitches plus such turns.
 *
 * The fixes are generated in chunks outside the timed region with a seeded
 * xoshiro256** generator (devices/rng.c; reproducible runs); the timed region contains only
 * eng_on_fix and eng_tick (once per simulated second), and a case officer who
 * closes each incident ten minutes after it opened.  A bare haversine loop
 * over as many pre-generated point pairs gives the yardstick: the engine's
 * ns per fix divided by the haversine's ns per pair is the printed ratio.
 * The haversine chunks are timed alternately with the engine chunks, so a
 * noisy machine disturbs both alike.  Memory stays small: one chunk of
 * 100,000 fixes (8 MB) and 4 x 100,000 doubles, whatever the fix count.
 *
 * It prints figures; it never fails on time.  Exit 1 on a setup error or an
 * unexpected eng_on_fix status, 2 on bad arguments.
 *
 *   bench_engine [--quick] [--fixes N]
 */
#include "devices.h"
#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ */
/* Workload parameters                                                 */
/* ------------------------------------------------------------------ */

#define ORIGIN_LAT 37.5665 /* Seoul City Hall */
#define ORIGIN_LON 126.9780

#define N_CASES 5000u
#define N_DEVICES (2u * N_CASES)
#define OFFENDER_ID(i) ((pw_id)(1u + (i)))          /* 1 .. 5000 */
#define VICTIM_ID(i) ((pw_id)(10001u + (i)))        /* 10001 .. 15000 */
#define CASE_ID(i) ((pw_id)(100001u + (i)))
#define ZONE_ID(i) ((pw_id)(200001u + (i)))
#define NEAR_EVERY 20u  /* every 20th case is a near pair: 5 % */
#define ZONE_EVERY 5u   /* every 5th case has an exclusion zone */
#define N_ZONES (N_CASES / ZONE_EVERY)

#define HALF_SIDE_M 10000.0      /* the region is a 20 km square */
#define REPORT_PERIOD_MS 10000   /* every device reports every 10 s */
#define LATENCY_MS 250           /* now = fix time + transport latency */
#define TICK_MS 1000             /* eng_tick once per simulated second */
#define OFFICER_CLOSE_MS 600000  /* the case officer closes an incident after 10 min */
#define NOISE_SIGMA_M 5.0        /* GNSS noise, per axis */
#define GLITCH_RATE 0.001        /* multipath glitches */
#define ZONE_RADIUS_M 200.0
#define MIN_SPEED_MPS 1.0
#define MAX_SPEED_MPS 15.0

#define DEFAULT_FIXES 2000000ull
#define QUICK_FIXES 200000ull
#define CHUNK 100000u            /* fixes generated (and timed) per chunk */

/* 2024-06-03T00:00:00Z, a Monday. */
#define T0_MS INT64_C(1717372800000)

#define EARTH_R_M 6371008.8
#define DEG_RAD (M_PI / 180.0)

/* ------------------------------------------------------------------ */
/* Seeded generator                                                   */
/* ------------------------------------------------------------------ */

/* The project's seeded generator (devices/rng.c: xoshiro256** through
 * splitmix64, polar normals). */
typedef dev_rng rng;

static double rng_range(rng *r, double lo, double hi)
{
    return lo + (hi - lo) * dev_rng_uniform(r);
}

/* ------------------------------------------------------------------ */
/* Device motion (local metres)                                        */
/* ------------------------------------------------------------------ */

typedef struct sim_device {
    pw_id id;
    double x, y;           /* true position */
    double wx, wy;         /* current waypoint */
    double speed;          /* m/s on the current leg */
    double ax, ay, ahalf;  /* waypoints are drawn in this square */
    unsigned n_fixes;
} sim_device;

static double clamp_region(double v)
{
    return v < -HALF_SIDE_M ? -HALF_SIDE_M : v > HALF_SIDE_M ? HALF_SIDE_M : v;
}

static void new_leg(sim_device *d, rng *r)
{
    d->wx = clamp_region(d->ax + rng_range(r, -d->ahalf, d->ahalf));
    d->wy = clamp_region(d->ay + rng_range(r, -d->ahalf, d->ahalf));
    d->speed = rng_range(r, MIN_SPEED_MPS, MAX_SPEED_MPS);
}

static void sim_init(sim_device *d, pw_id id, double ax, double ay, double ahalf,
                     double x, double y, rng *r)
{
    memset(d, 0, sizeof *d);
    d->id = id;
    d->ax = ax;
    d->ay = ay;
    d->ahalf = ahalf;
    d->x = clamp_region(x);
    d->y = clamp_region(y);
    new_leg(d, r);
}

/* Move along the waypoint legs for dt seconds. */
static void sim_advance(sim_device *d, double dt, rng *r)
{
    while (dt > 0.0) {
        double dx = d->wx - d->x, dy = d->wy - d->y;
        double dist = sqrt(dx * dx + dy * dy);
        if (dist <= d->speed * dt) {
            d->x = d->wx;
            d->y = d->wy;
            dt -= dist / d->speed;
            new_leg(d, r);
        } else {
            double k = d->speed * dt / dist;
            d->x += k * dx;
            d->y += k * dy;
            dt = 0.0;
        }
    }
}

typedef struct world {
    eng_frame frame;
    rng rng;
    sim_device dev[N_DEVICES];          /* [0, N_CASES) offenders, then victims */
    uint32_t slot_dev[N_DEVICES];       /* report slot (ms in the period) -> device */
    double zone_x[N_ZONES], zone_y[N_ZONES];
} world;

static int is_near_case(uint32_t i)
{
    return i % NEAR_EVERY == 0;
}

static void world_init(world *w)
{
    rng *r = &w->rng;
    for (uint32_t i = 0; i < N_CASES; i++) {
        sim_device *off = &w->dev[i], *vic = &w->dev[N_CASES + i];
        if (is_near_case(i)) {
            /* The victim roams +-1.5 km around home; the offender +-2.5 km
             * around the same home and starts within ~800 m of the victim. */
            double hx = rng_range(r, -0.8 * HALF_SIDE_M, 0.8 * HALF_SIDE_M);
            double hy = rng_range(r, -0.8 * HALF_SIDE_M, 0.8 * HALF_SIDE_M);
            double vx = hx + rng_range(r, -1500.0, 1500.0);
            double vy = hy + rng_range(r, -1500.0, 1500.0);
            sim_init(vic, VICTIM_ID(i), hx, hy, 1500.0, vx, vy, r);
            sim_init(off, OFFENDER_ID(i), hx, hy, 2500.0, vx + rng_range(r, -560.0, 560.0),
                     vy + rng_range(r, -560.0, 560.0), r);
            if (i % ZONE_EVERY == 0) {
                w->zone_x[i / ZONE_EVERY] = hx;
                w->zone_y[i / ZONE_EVERY] = hy;
            }
        } else {
            sim_init(off, OFFENDER_ID(i), 0.0, 0.0, HALF_SIDE_M,
                     rng_range(r, -HALF_SIDE_M, HALF_SIDE_M),
                     rng_range(r, -HALF_SIDE_M, HALF_SIDE_M), r);
            sim_init(vic, VICTIM_ID(i), 0.0, 0.0, HALF_SIDE_M,
                     rng_range(r, -HALF_SIDE_M, HALF_SIDE_M),
                     rng_range(r, -HALF_SIDE_M, HALF_SIDE_M), r);
            if (i % ZONE_EVERY == 0) {
                w->zone_x[i / ZONE_EVERY] = rng_range(r, -HALF_SIDE_M, HALF_SIDE_M);
                w->zone_y[i / ZONE_EVERY] = rng_range(r, -HALF_SIDE_M, HALF_SIDE_M);
            }
        }
    }
    /* Report slots: a random permutation (Fisher-Yates), so offenders and
     * victims interleave in the stream. */
    for (uint32_t k = 0; k < N_DEVICES; k++)
        w->slot_dev[k] = k;
    for (uint32_t k = N_DEVICES - 1; k > 0; k--) {
        uint32_t j = (uint32_t)(dev_rng_next(r) % (k + 1));
        uint32_t t = w->slot_dev[k];
        w->slot_dev[k] = w->slot_dev[j];
        w->slot_dev[j] = t;
    }
}

/*
 * Fixes g0 .. g0+n-1 of the stream.  Fix g is device slot_dev[g % N_DEVICES]
 * at time T0 + g ms: every device every REPORT_PERIOD_MS, 1 ms apart.
 */
static void generate_fixes(world *w, uint64_t g0, size_t n, pw_fix *out)
{
    rng *r = &w->rng;
    for (size_t k = 0; k < n; k++) {
        uint64_t g = g0 + k;
        sim_device *d = &w->dev[w->slot_dev[g % N_DEVICES]];
        if (d->n_fixes++ > 0)
            sim_advance(d, REPORT_PERIOD_MS / 1000.0, r);
        double x = d->x + NOISE_SIGMA_M * dev_rng_normal(r);
        double y = d->y + NOISE_SIGMA_M * dev_rng_normal(r);
        if (dev_rng_uniform(r) < GLITCH_RATE) {
            double a = rng_range(r, 0.0, 2.0 * M_PI), m = rng_range(r, 300.0, 1500.0);
            x += m * cos(a);
            y += m * sin(a);
        }
        pw_fix *f = &out[k];
        pw_fix_clear(f);
        f->device = d->id;
        f->set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET;
        f->time = T0_MS + (pw_time_ms)g;
        eng_geo_to_wgs84(&w->frame, x, y, &f->lat, &f->lon);
        f->acc_m = rng_range(r, 5.0, 8.0);
        f->source = PW_SRC_GNSS;
    }
}

/* ------------------------------------------------------------------ */
/* Sink, timing, haversine                                             */
/* ------------------------------------------------------------------ */

/* Incidents wait for the case officer in a FIFO; one case has at most one
 * open incident, so N_CASES slots are enough. */
typedef struct open_incident {
    pw_id id;
    pw_time_ms opened;
} open_incident;

typedef struct sink_counts {
    uint64_t n[PW_EV_TYPE_COUNT];
    uint64_t bad_type;
    open_incident queue[N_CASES];
    size_t head, len;
} sink_counts;

static void count_event(void *ctx, const pw_event *ev)
{
    sink_counts *c = ctx;
    unsigned t = (unsigned)ev->type;
    if (t < PW_EV_TYPE_COUNT)
        c->n[t]++;
    else
        c->bad_type++;
    if (ev->type == PW_EV_INCIDENT_OPEN && c->len < N_CASES)
        c->queue[(c->head + c->len++) % N_CASES] = (open_incident){ev->incident, ev->time};
}

/* The case officer closes each incident OFFICER_CLOSE_MS after it opened
 * (already closed ones answer ENG_ENOENT, which is fine). */
static void officer_closes(eng_engine *e, sink_counts *c, pw_time_ms now)
{
    while (c->len > 0 && now - c->queue[c->head].opened >= OFFICER_CLOSE_MS) {
        eng_incident_close(e, c->queue[c->head].id, 1, now);
        c->head = (c->head + 1) % N_CASES;
        c->len--;
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double haversine_m(double lat1, double lon1, double lat2, double lon2)
{
    double p1 = lat1 * DEG_RAD, p2 = lat2 * DEG_RAD;
    double sdp = sin(0.5 * (p2 - p1));
    double sdl = sin(0.5 * (lon2 - lon1) * DEG_RAD);
    double a = sdp * sdp + cos(p1) * cos(p2) * sdl * sdl;
    return 2.0 * EARTH_R_M * asin(sqrt(a < 1.0 ? a : 1.0));
}

static void die_status(const char *what, eng_status st)
{
    fprintf(stderr, "bench_engine: %s: %s\n", what, eng_strerror(st));
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        fprintf(stderr, "bench_engine: out of memory (%zu bytes)\n", n);
        exit(1);
    }
    return p;
}

static void usage(FILE *to)
{
    fprintf(to, "usage: bench_engine [--quick] [--fixes N]\n"
                "  --fixes N  total fixes to feed (default %llu)\n"
                "  --quick    small run: %llu fixes\n",
            DEFAULT_FIXES, QUICK_FIXES);
}

/* ------------------------------------------------------------------ */
/* Main                                                                */
/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
    unsigned long long total = DEFAULT_FIXES;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            total = QUICK_FIXES;
        } else if (strcmp(argv[i], "--fixes") == 0 && i + 1 < argc) {
            char *end;
            errno = 0;
            total = strtoull(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || argv[i][0] == '-' || total == 0 ||
                total > 1000000000ull) {
                fprintf(stderr, "bench_engine: --fixes wants a count in 1..1e9\n");
                return 2;
            }
        } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }

    /* ---- setup ---- */
    world *w = xmalloc(sizeof *w);
    eng_status st = eng_frame_init(&w->frame, ORIGIN_LAT, ORIGIN_LON);
    if (st != ENG_OK)
        die_status("eng_frame_init", st);
    dev_rng_init(&w->rng, UINT64_C(0x70726f7877617463), 0); /* "proxwatc" */
    world_init(w);

    eng_config cfg;
    eng_config_default(&cfg, ORIGIN_LAT, ORIGIN_LON);
    cfg.max_devices = N_DEVICES;
    cfg.max_cases = N_CASES;
    cfg.max_zones = N_ZONES;

    sink_counts *counts = xmalloc(sizeof *counts);
    memset(counts, 0, sizeof *counts);
    eng_engine *e = xmalloc(sizeof *e);
    st = eng_init(e, &cfg, count_event, counts);
    if (st != ENG_OK)
        die_status("eng_init", st);

    char what[64];
    for (uint32_t i = 0; i < N_CASES; i++) {
        st = eng_add_device(e, OFFENDER_ID(i), ENG_ROLE_OFFENDER);
        if (st != ENG_OK) {
            snprintf(what, sizeof what, "eng_add_device(%" PRIu32 ")", OFFENDER_ID(i));
            die_status(what, st);
        }
    }
    for (uint32_t i = 0; i < N_CASES; i++) {
        st = eng_add_device(e, VICTIM_ID(i), ENG_ROLE_VICTIM);
        if (st != ENG_OK) {
            snprintf(what, sizeof what, "eng_add_device(%" PRIu32 ")", VICTIM_ID(i));
            die_status(what, st);
        }
    }
    eng_case_def *cd = xmalloc(sizeof *cd);
    for (uint32_t i = 0; i < N_CASES; i++) {
        eng_case_default(cd, CASE_ID(i), OFFENDER_ID(i), VICTIM_ID(i));
        if (i % ZONE_EVERY == 0) {
            eng_zone_def *z = &cd->zones[0];
            uint32_t zi = i / ZONE_EVERY;
            z->id = ZONE_ID(zi);
            z->kind = ENG_ZONE_CIRCLE;
            eng_geo_to_wgs84(&w->frame, w->zone_x[zi], w->zone_y[zi], &z->center_lat,
                             &z->center_lon);
            z->radius_m = ZONE_RADIUS_M;
            cd->n_zones = 1;
        }
        st = eng_add_case(e, cd);
        if (st != ENG_OK) {
            snprintf(what, sizeof what, "eng_add_case(%" PRIu32 ")", CASE_ID(i));
            die_status(what, st);
        }
    }
    free(cd);

    size_t chunk_cap = total < CHUNK ? (size_t)total : CHUNK;
    pw_fix *fixes = xmalloc(chunk_cap * sizeof *fixes);

    printf("bench_engine: %u cases, %u devices (%u offender tags + %u victim phones), "
           "%u near pairs (%u %%), %u circle zones r=%.0f m, %.0f km square around "
           "(%.4f, %.4f); random waypoints %.0f-%.0f m/s, a fix per device every %d s "
           "(1 per ms overall), noise sigma %.0f m, %.1f %% glitches; %llu fixes = %.0f s "
           "simulated, generated in chunks of %zu (%.1f MB) outside the timed region; "
           "eng_tick every %d ms\n",
           N_CASES, N_DEVICES, N_CASES, N_CASES, N_CASES / NEAR_EVERY, 100u / NEAR_EVERY,
           N_ZONES, ZONE_RADIUS_M, 2.0 * HALF_SIDE_M / 1000.0, ORIGIN_LAT, ORIGIN_LON,
           MIN_SPEED_MPS, MAX_SPEED_MPS, REPORT_PERIOD_MS / 1000, NOISE_SIGMA_M,
           100.0 * GLITCH_RATE, total, (double)total / 1000.0, chunk_cap,
           (double)(chunk_cap * sizeof *fixes) / 1e6, TICK_MS);

    /* ---- timed chunk by chunk: the engine, then the haversine yardstick
     * on as many pairs, so that both see the same machine conditions ---- */
    double *lat1 = xmalloc(chunk_cap * sizeof *lat1), *lon1 = xmalloc(chunk_cap * sizeof *lon1);
    double *lat2 = xmalloc(chunk_cap * sizeof *lat2), *lon2 = xmalloc(chunk_cap * sizeof *lon2);
    rng hav_rng;
    dev_rng_init(&hav_rng, UINT64_C(0x686176657273696e), 0); /* "haversin" */
    uint64_t n_ok = 0, n_rejected = 0, n_other = 0, n_ticks = 0;
    eng_status first_other = ENG_OK;
    double engine_s = 0.0, tick_s = 0.0, gen_s = 0.0, hav_s = 0.0, checksum = 0.0;
    pw_time_ms next_tick = T0_MS;
    for (uint64_t g0 = 0; g0 < total; g0 += chunk_cap) {
        size_t n = (size_t)(total - g0 < chunk_cap ? total - g0 : chunk_cap);
        double g_start = now_s();
        generate_fixes(w, g0, n, fixes);
        double t_start = now_s();
        gen_s += t_start - g_start;
        for (size_t k = 0; k < n; k++) {
            pw_time_ms now = fixes[k].time + LATENCY_MS;
            while (next_tick <= now) {
                double a = now_s();
                eng_tick(e, next_tick);
                officer_closes(e, counts, next_tick);
                tick_s += now_s() - a;
                next_tick += TICK_MS;
                n_ticks++;
            }
            st = eng_on_fix(e, &fixes[k], now);
            if (st == ENG_OK) {
                n_ok++;
            } else if (st == ENG_EREJECTED) {
                n_rejected++;
            } else {
                if (n_other++ == 0)
                    first_other = st;
            }
        }
        engine_s += now_s() - t_start;

        /* Pairs of uniform points in the same 20 km square. */
        for (size_t k = 0; k < n; k++) {
            rng *r = &hav_rng;
            eng_geo_to_wgs84(&w->frame, rng_range(r, -HALF_SIDE_M, HALF_SIDE_M),
                             rng_range(r, -HALF_SIDE_M, HALF_SIDE_M), &lat1[k], &lon1[k]);
            eng_geo_to_wgs84(&w->frame, rng_range(r, -HALF_SIDE_M, HALF_SIDE_M),
                             rng_range(r, -HALF_SIDE_M, HALF_SIDE_M), &lat2[k], &lon2[k]);
        }
        double h_start = now_s();
        double sum = 0.0;
        for (size_t k = 0; k < n; k++)
            sum += haversine_m(lat1[k], lon1[k], lat2[k], lon2[k]);
        hav_s += now_s() - h_start;
        checksum += sum;
    }
    volatile double keep = checksum;
    (void)keep;

    const eng_counters *ec = eng_get_counters(e);
    double ns_fix = engine_s * 1e9 / (double)total;
    printf("engine:\n");
    printf("  fixes            %llu (accepted %" PRIu64 ", rejected %" PRIu64 ")\n", total,
           n_ok, n_rejected);
    printf("  total            %.3f s (eng_on_fix + eng_tick; eng_tick %.3f s in %" PRIu64
           " calls)\n",
           engine_s, tick_s, n_ticks);
    printf("  ns per fix       %.1f (eng_on_fix alone %.1f)\n", ns_fix,
           (engine_s - tick_s) * 1e9 / (double)total);
    printf("  fixes per second %.0f\n", (double)total / engine_s);
    printf("  (fix generation, untimed: %.3f s)\n", gen_s);
    printf("events (sink counts):\n");
    static const pw_event_type shown[] = {
        PW_EV_ALARM_OPEN,    PW_EV_ALARM_CLOSE,      PW_EV_PREWARN_OPEN,
        PW_EV_PREWARN_CLOSE, PW_EV_REVEAL_OPEN,      PW_EV_REVEAL_UPDATE,
        PW_EV_REVEAL_CLOSE,  PW_EV_INCIDENT_OPEN,    PW_EV_INCIDENT_UPDATE,
        PW_EV_INCIDENT_CLOSE, PW_EV_INCIDENT_PURGED,
        PW_EV_PURSUIT_ON,    PW_EV_DISCLOSURE,       PW_EV_FIX_REJECTED,
        PW_EV_TRACK_REACQUIRED, PW_EV_SIGNAL_LOST,   PW_EV_COMM_LOST,
    };
    uint64_t ev_total = 0;
    for (unsigned t = 0; t < PW_EV_TYPE_COUNT; t++)
        ev_total += counts->n[t];
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        printf("  %-16s %" PRIu64 "\n", pw_event_name(shown[i]), counts->n[shown[i]]);
    printf("  %-16s %" PRIu64 " (%.3f per fix)\n", "all events", ev_total,
           (double)ev_total / (double)total);
    printf("  rejected by reason (engine counters):");
    for (int r = 1; r < ENG_REJ_COUNT; r++)
        if (ec->rejected[r])
            printf(" %s %" PRIu64, eng_reject_name((eng_reject_reason)r), ec->rejected[r]);
    printf("; reacquired %" PRIu64 "\n", ec->reacquired);

    /* Consistency: the sink saw what the engine counted. */
    int mismatch = counts->bad_type != 0;
    for (unsigned t = 0; t < PW_EV_TYPE_COUNT; t++)
        if (counts->n[t] != ec->events[t])
            mismatch = 1;
    if (mismatch || ec->fixes_in != total || ec->fixes_accepted != n_ok)
        printf("  NOTE: engine counters differ from the sink/return codes "
               "(fixes_in %" PRIu64 ", fixes_accepted %" PRIu64 ")\n",
               ec->fixes_in, ec->fixes_accepted);

    eng_close(e);
    free(e);
    free(fixes);

    double ns_pair = hav_s * 1e9 / (double)total;
    printf("haversine (R = %.1f m):\n", EARTH_R_M);
    printf("  pairs            %llu\n", total);
    printf("  total            %.3f s\n", hav_s);
    printf("  ns per pair      %.1f\n", ns_pair);
    printf("  checksum         %.6e m (mean %.1f m)\n", checksum, checksum / (double)total);
    free(lat1);
    free(lon1);
    free(lat2);
    free(lon2);
    free(counts);
    free(w);

    printf("ratio: %.2f\n", ns_fix / ns_pair);
    printf("target: ratio <= 8 (about 200 ns per fix)\n");

    if (n_other) {
        fprintf(stderr, "bench_engine: eng_on_fix returned an unexpected status %" PRIu64
                        " times (first: %s)\n",
                n_other, eng_strerror(first_other));
        return 1;
    }
    return 0;
}
