/*
 * test_live.c - the live mode end to end: gpsd's own gpsfake (Debian
 * gpsd-clients) replays a real receiver log through a real gpsd; proxwatch
 * live reads it with libgps under libuv as the scenario's offender, next to
 * a simulated victim standing by the walk.  The fixes must arrive, with
 * their own times, and the approach must raise the alarm.
 */
#include "record.h"
#include "sim.h"
#include "traces.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* gpsfake playing haicom-305N.log through its own gpsd on a port from
 * `first` on (one per test process), in its own process group. */
static pid_t start_gpsfake(char *port, size_t port_len, int first)
{
    snprintf(port, port_len, "%d", first + (int)(getpid() % 500));
    pid_t fake = fork();
    CU_ASSERT_FATAL(fake >= 0);
    if (fake == 0) {
        setpgid(0, 0); /* its own group: gpsfake and the gpsd it starts */
        FILE *null = freopen("/dev/null", "w", stdout);
        (void)null;
        null = freopen("/dev/null", "w", stderr);
        execlp("gpsfake", "gpsfake", "-1", "-q", "-P", port, "-c", "0.02", PW_TEST_DATA "/gpsd/haicom-305N.log",
               (char *)NULL);
        _exit(127);
    }
    return fake;
}

/* gpsfake (started in its own process group) and the gpsd it started are
 * no longer needed once the run has what it reads: take the whole group
 * down (gpsfake -1 would wait for its log's end). */
static void stop_gpsfake(pid_t fake)
{
    kill(-fake, SIGTERM);
    int status, waited = 0;
    while (waitpid(fake, &status, WNOHANG) == 0 && waited++ < 30)
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    if (waited > 30) {
        kill(-fake, SIGKILL);
        waitpid(fake, &status, 0);
    }
}

static void test_gpsfake_through_live(void)
{
    FILE *f = fopen("pw_live.lua", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    /* haicom-305N.log walks about 150 m near Brisbane (-27.2107, 153.0520),
     * 7,700 km from this scenario in Seoul: moved rigidly to the
     * offender's start (--relocate start), it walks within 500 m of the
     * victim standing 78 m north of that start. */
    fputs("scenario { name = 'live', start = '2026-03-02 07:30', duration = '45s', origin = place(37.5665, 126.9780) }\n"
          "local v = victim { name = 'v', start = place(37.5672, 126.9780), phone = { interval = '10s' } }\n"
          "local o = offender { name = 'o', start = place(37.5665, 126.9780) }\n"
          "case { offender = o, victim = v }\n",
          f);
    fclose(f);
    char port[16];
    pid_t fake = start_gpsfake(port, sizeof port, 29400);
    scn_scenario s;
    scn_error e;
    CU_ASSERT_EQUAL_FATAL(scn_load_file(&s, "pw_live.lua", NULL, &e), SCN_OK);
    pw_time_ms declared = s.start;
    /* The log is from 2007: a recording, so any date is taken. */
    sim_live_options o = {.host = "127.0.0.1", .port = port, .as = SCN_OFFENDER, .out_dir = "pw_live_out",
                          .speed = 10.0, .connect_timeout_ms = 20000, .quiet = 1, .any_date = 1,
                          .relocate = 1, .relocate_lat = 37.5665, .relocate_lon = 126.9780};
    rec_remove_tree("pw_live_out"); /* what it checks is this run's, not a leftover */
    sim_summary sum;
    char err[700];
    int rc = sim_live(&s, &o, &sum, err, sizeof err);
    if (rc)
        printf("\n    %s", err);
    stop_gpsfake(fake);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    printf("\n    %llu fixes delivered, %llu alarms, scenario moved by %.0f days ",
           (unsigned long long)sum.fixes_delivered, (unsigned long long)sum.by_type[PW_EV_ALARM_OPEN],
           (double)(s.start - declared) / 86400000.0);
    /* The receiver's own clock rules: the scenario was moved to it. */
    CU_ASSERT(s.start != declared);
    CU_ASSERT(sum.fixes_delivered >= 20);
    CU_ASSERT(sum.by_type[PW_EV_ALARM_OPEN] >= 1);
    CU_ASSERT_EQUAL(sum.report.unauthorized_disclosures, 0);
    /* the receiver's fixes were taken, in Seoul */
    CU_ASSERT(sum.fixes_accepted >= 20);
    char *fixes = pw_test_read_text("pw_live_out/fixes.csv");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fixes);
    CU_ASSERT_PTR_NOT_NULL(strstr(fixes, ",37.56"));
    CU_ASSERT_PTR_NULL(strstr(fixes, ",-27.2"));
    free(fixes);
    CU_ASSERT_EQUAL(access("pw_live_out/events.jsonl", F_OK), 0);
    CU_ASSERT_EQUAL(access("pw_live_out/report.json", F_OK), 0);
    scn_free(&s);
    remove("pw_live.lua");
}

/* The host's wall clock, ms UTC: a live receiver's fixes are dated near it. */
static pw_time_ms wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (pw_time_ms)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * A stand-in gpsd that goes away: it serves each of `conns` clients a
 * VERSION line and 30 TPV reports 20 ms apart (one per receiver second,
 * from `base`, later in time for each client), then hangs up.  The first
 * `bad_first` (at most 3) reports of the first client are dated
 * 1970-01-01T00:00:05, 00:00:06 and 1980-01-06T00:00:00 (GPS week 0)
 * instead, as a receiver starting cold may do.  Real gpsd restarting under
 * gpsfake is slow and racy to stage; the protocol seen by libgps is the
 * same.
 */
static void fake_gpsd(int listener, int conns, int bad_first, pw_time_ms base)
{
    long second = 0;
    for (int conn = 0; conn < conns; conn++) {
        int c = accept(listener, NULL, NULL);
        if (c < 0)
            _exit(1);
        const char *hello = "{\"class\":\"VERSION\",\"release\":\"3.22\",\"rev\":\"3.22\","
                            "\"proto_major\":3,\"proto_minor\":14}\n";
        if (write(c, hello, strlen(hello)) < 0)
            _exit(1);
        for (int i = 0; i < 30 + (conn == 0 ? bad_first : 0); i++) {
            char line[300], when[40];
            int bad = conn == 0 && i < bad_first;
            static const pw_time_ms cold[3] = {5000, 6000, 315964800000LL};
            pw_format_time(bad ? cold[i % 3] : base + second * 1000, when, sizeof when);
            int n = snprintf(line, sizeof line,
                             "{\"class\":\"TPV\",\"device\":\"fake\",\"mode\":3,"
                             "\"time\":\"%s\",\"lat\":-27.2105,"
                             "\"lon\":%.7f,\"eph\":10.0}\n",
                             when, 153.0520 + 1e-6 * (double)second);
            second += !bad;
            if (write(c, line, (size_t)n) < 0)
                break;
            nanosleep(&(struct timespec){0, 20000000}, NULL);
        }
        close(c); /* gpsd goes away */
    }
    _exit(0);
}

/* A listening socket on a free loopback port; its number in `port`. */
static int loopback_listener(char *port, size_t port_len)
{
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    CU_ASSERT_FATAL(listener >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    CU_ASSERT_EQUAL_FATAL(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
    socklen_t len = sizeof addr;
    CU_ASSERT_EQUAL_FATAL(getsockname(listener, (struct sockaddr *)&addr, &len), 0);
    CU_ASSERT_EQUAL_FATAL(listen(listener, 4), 0);
    snprintf(port, port_len, "%d", ntohs(addr.sin_port));
    return listener;
}

/* The stand-in gpsd in a child process, listening on a free loopback port
 * (its number in `port`); the caller stops it. */
static pid_t start_stand_in(char *port, size_t port_len, int conns, int bad_first, pw_time_ms base)
{
    int listener = loopback_listener(port, port_len);
    pid_t server = fork();
    CU_ASSERT_FATAL(server >= 0);
    if (server == 0)
        fake_gpsd(listener, conns, bad_first, base);
    close(listener);
    return server;
}

/* A one-case scenario near the stand-in's receiver, run live against the
 * stand-in gpsd `server` at `port`, which is then stopped.  Returns
 * sim_live's status; `s` is loaded (the caller frees it). */
static int live_against_stand_in(const char *lua, const char *name, const char *duration, const char *port,
                                 pid_t server, const char *out_dir, scn_scenario *s, sim_summary *sum)
{
    FILE *f = fopen(lua, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fprintf(f,
            "scenario { name = '%s', start = '2026-03-02 07:30', duration = '%s', origin = place(-27.2107, 153.0520) }\n"
            "local v = victim { name = 'v', start = place(-27.2100, 153.0520) }\n"
            "local o = offender { name = 'o', start = place(-27.2107, 153.0520) }\n"
            "case { offender = o, victim = v }\n",
            name, duration);
    fclose(f);
    scn_error e;
    CU_ASSERT_EQUAL_FATAL(scn_load_file(s, lua, NULL, &e), SCN_OK);
    sim_live_options o = {.host = "127.0.0.1", .port = port, .as = SCN_OFFENDER, .out_dir = out_dir,
                          .speed = 40.0, .connect_timeout_ms = 10000, .quiet = 1};
    char err[700];
    int rc = sim_live(s, &o, sum, err, sizeof err);
    if (rc)
        printf("\n    %s", err);
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
    remove(lua);
    return rc;
}

/* gpsd goes away mid-run and comes back: live reconnects and the
 * receiver's fixes flow again. */
static void test_reconnects_when_gpsd_restarts(void)
{
    char port[16];
    pid_t server = start_stand_in(port, sizeof port, 2, 0, wall_ms());
    scn_scenario s;
    sim_summary sum;
    int rc = live_against_stand_in("pw_live3.lua", "restart", "200s", port, server, "pw_live_restart", &s, &sum);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    printf("\n    %llu reconnects, %llu fixes delivered ", (unsigned long long)sum.reconnects,
           (unsigned long long)sum.fixes_delivered);
    CU_ASSERT(sum.reconnects >= 1);
    CU_ASSERT(sum.fixes_delivered > 40); /* more than the first connection's 30 */
    scn_free(&s);
}

/*
 * The date rule at its boundaries (sim.h).  W = 2026-11-29T15:00:00Z,
 * 1,795,964,400,000 ms; 24 h = 86,400,000 ms; 2020-01-01T00:00:00Z =
 * 18,262 days = 1,577,836,800,000 ms; 1024 GPS weeks = 619,315,200,000 ms.
 */
static void test_date_rule_boundaries(void)
{
    const pw_time_ms W = 1795964400000LL, DAY = 86400000LL, Y2020 = 1577836800000LL;
    CU_ASSERT_EQUAL(SIM_LIVE_MIN_DATE_MS, Y2020);
    CU_ASSERT_EQUAL(sim_live_date_plausible(W, W), 1);
    CU_ASSERT_EQUAL(sim_live_date_plausible(W + DAY, W), 1);
    CU_ASSERT_EQUAL(sim_live_date_plausible(W + DAY + 1, W), 0);
    CU_ASSERT_EQUAL(sim_live_date_plausible(W - DAY, W), 1);
    CU_ASSERT_EQUAL(sim_live_date_plausible(W - DAY - 1, W), 0);
    CU_ASSERT_EQUAL(sim_live_date_plausible(5000, W), 0);                     /* 1970 */
    CU_ASSERT_EQUAL(sim_live_date_plausible(315964800000LL, W), 0);           /* 1980-01-06, GPS week 0 */
    CU_ASSERT_EQUAL(sim_live_date_plausible(W - 619315200000LL, W), 0);       /* a week rollover */
    /* A host without a clock (it says 1970): only the 2020 floor holds. */
    CU_ASSERT_EQUAL(sim_live_date_plausible(W, 0), 1);
    CU_ASSERT_EQUAL(sim_live_date_plausible(Y2020, 0), 1);
    CU_ASSERT_EQUAL(sim_live_date_plausible(Y2020 - 1, 0), 0);
    CU_ASSERT_EQUAL(sim_live_date_plausible(Y2020, Y2020 - 1), 1);
    /* The floor holds whatever the wall clock says. */
    CU_ASSERT_EQUAL(sim_live_date_plausible(Y2020 - 1, Y2020), 0);
    CU_ASSERT_EQUAL(sim_live_date_plausible(Y2020, Y2020), 1);
}

static size_t count_device_fixes(const char *path, unsigned device)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char line[512];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        long long deliver, fix_ms;
        unsigned dev;
        if (sscanf(line, "%lld,%lld,%u,", &deliver, &fix_ms, &dev) == 3 && dev == device)
            n++;
    }
    fclose(f);
    return n;
}

/*
 * A receiver starting cold: its first three fixes are dated 1970 and 1980,
 * the 30 after them near the host's clock.  The 1970 ones are ignored (counted,
 * said on stderr), the clock is set by the first good fix, and none of the
 * good fixes is rejected as from the future.  (Before, the first 1970 fix
 * set the clock and all 30 good ones were "future".)
 */
static void test_implausible_first_fix_does_not_set_the_clock(void)
{
    char port[16];
    pw_time_ms base = wall_ms();
    pid_t server = start_stand_in(port, sizeof port, 1, 3, base);
    scn_scenario s;
    sim_summary sum;
    int rc = live_against_stand_in("pw_live4.lua", "cold", "120s", port, server, "pw_live_cold", &s, &sum);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    printf("\n    %llu ignored for their date, %llu delivered, %llu rejected; scenario starts %+.0f s from the "
           "first good fix ",
           (unsigned long long)sum.fixes_bad_date, (unsigned long long)sum.fixes_delivered,
           (unsigned long long)sum.fixes_rejected, (double)(s.start - base) / 1000.0);
    CU_ASSERT_EQUAL(sum.fixes_bad_date, 3);
    CU_ASSERT_EQUAL(count_device_fixes("pw_live_cold/fixes.csv", 2), 30); /* the receiver's; 1 is the phone */
    CU_ASSERT_EQUAL(sum.fixes_rejected, 0);
    CU_ASSERT_EQUAL(sum.fixes_accepted, sum.fixes_delivered);
    /* The clock came from the first good fix, floored to its second. */
    CU_ASSERT(s.start <= base && s.start > base - 1000);
    scn_free(&s);
}

/* No gpsd at all: a clear error after the timeout, not a hang. */
static void test_no_gpsd(void)
{
    scn_scenario s;
    scn_error e;
    FILE *f = fopen("pw_live2.lua", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs("scenario { name = 'x', start = '2026-03-02 07:30', duration = '1m', origin = place(37.5, 127.0) }\n"
          "local o = offender { name = 'o', start = place(37.5, 127.0) }\n",
          f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(scn_load_file(&s, "pw_live2.lua", NULL, &e), SCN_OK);
    sim_live_options o = {.host = "127.0.0.1", .port = "1", .as = SCN_OFFENDER, .out_dir = "pw_live_none",
                          .speed = 1.0, .connect_timeout_ms = 1000, .quiet = 1};
    sim_summary sum;
    char err[700];
    CU_ASSERT_EQUAL(sim_live(&s, &o, &sum, err, sizeof err), SIM_ERUN);
    CU_ASSERT(strstr(err, "did not answer") != NULL);
    o.as = SCN_VICTIM; /* the scenario has none */
    CU_ASSERT_EQUAL(sim_live(&s, &o, &sum, err, sizeof err), SIM_EINVAL);
    scn_free(&s);
    remove("pw_live2.lua");
}

/* Haversine on the mean sphere, written out here: the reference the
 * relocation is checked against (independent of the engine's frames). */
static double haversine_m(double lat1, double lon1, double lat2, double lon2)
{
    const double r = M_PI / 180.0;
    double a = pow(sin((lat2 - lat1) * r / 2), 2) + cos(lat1 * r) * cos(lat2 * r) * pow(sin((lon2 - lon1) * r / 2), 2);
    return 2.0 * 6371008.8 * asin(sqrt(a));
}

static double initial_bearing_deg(double lat1, double lon1, double lat2, double lon2)
{
    const double r = M_PI / 180.0;
    double y = sin((lon2 - lon1) * r) * cos(lat2 * r);
    double x = cos(lat1 * r) * sin(lat2 * r) - sin(lat1 * r) * cos(lat2 * r) * cos((lon2 - lon1) * r);
    return fmod(atan2(y, x) / r + 360.0, 360.0);
}

/*
 * A rigid move from Brisbane to Seoul.  From the anchor A (-27.2107,
 * 153.0520): B 0.009 deg north (about 1,000 m), C 0.010 deg east (about
 * 990 m), D 0.03 deg north and 0.04 deg east (about 5 km at 51 deg).  The
 * anchor lands on the target exactly; every distance from it, and between
 * B and C, and every bearing stays what it was (haversine and the
 * spherical bearing, above): within 0.5 % and 0.1 deg.  The tolerance is
 * the sphere's, not the move's: the move keeps metres on the ellipsoid,
 * whose meridian radius of curvature is 0.17 % larger at 37.6 N than at
 * 27.2 S, which a sphere cannot see.  A move that forgot the cos(latitude)
 * of the east offset would be 12 % off (cos 27.2 / cos 37.6).  A fix
 * without coordinates is left alone.
 */
static void test_relocation_keeps_the_track(void)
{
    const double A[2] = {-27.2107, 153.0520}, T[2] = {37.5665, 126.9780};
    const double pts[3][2] = {{-27.2017, 153.0520}, {-27.2107, 153.0620}, {-27.1807, 153.0920}};
    sim_relocation r;
    sim_relocation_init(&r, A[0], A[1], T[0], T[1]);
    pw_fix a;
    pw_fix_clear(&a);
    a.set = PW_FIX_LATLON_SET;
    a.lat = A[0];
    a.lon = A[1];
    sim_relocation_apply(&r, &a);
    CU_ASSERT_DOUBLE_EQUAL(a.lat, T[0], 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(a.lon, T[1], 1e-9);
    double moved[3][2];
    for (int k = 0; k < 3; k++) {
        pw_fix f;
        pw_fix_clear(&f);
        f.set = PW_FIX_LATLON_SET;
        f.lat = pts[k][0];
        f.lon = pts[k][1];
        sim_relocation_apply(&r, &f);
        moved[k][0] = f.lat;
        moved[k][1] = f.lon;
        double d0 = haversine_m(A[0], A[1], pts[k][0], pts[k][1]);
        double d1 = haversine_m(T[0], T[1], f.lat, f.lon);
        double b0 = initial_bearing_deg(A[0], A[1], pts[k][0], pts[k][1]);
        double b1 = initial_bearing_deg(T[0], T[1], f.lat, f.lon);
        printf("\n    point %d: %.1f m at %.2f deg -> %.1f m at %.2f deg", k, d0, b0, d1, b1);
        CU_ASSERT(fabs(d1 - d0) < 5e-3 * d0);
        CU_ASSERT(fabs(b1 - b0) < 0.1);
    }
    double bc0 = haversine_m(pts[0][0], pts[0][1], pts[1][0], pts[1][1]);
    double bc1 = haversine_m(moved[0][0], moved[0][1], moved[1][0], moved[1][1]);
    CU_ASSERT(fabs(bc1 - bc0) < 5e-3 * bc0);
    pw_fix none;
    pw_fix_clear(&none);
    none.set = PW_FIX_TIME_SET;
    none.lat = 1.0;
    sim_relocation_apply(&r, &none);
    CU_ASSERT_EQUAL(none.lat, 1.0);
    printf(" ");
}

/*
 * A receiver 7,700 km from the scenario (the stand-in gpsd's Brisbane
 * fixes against a Seoul scenario; 7,699.5 km by the haversine above) is
 * said, with its distance, and every one of its fixes is rejected; with
 * --relocate to the offender's start the same fixes are taken and raise
 * the alarm (the victim stands 78 m away).
 */
static void test_receiver_outside_the_region(void)
{
    scn_scenario s;
    scn_error e;
    pw_test_write_text("pw_live_far.lua",
                       "scenario { name = 'far', start = '2026-03-02 07:30', duration = '60s', origin = place(37.5665, 126.9780) }\n"
                       "local v = victim { name = 'v', start = place(37.5672, 126.9780), phone = { interval = '10s' } }\n"
                       "local o = offender { name = 'o', start = place(37.5665, 126.9780) }\n"
                       "case { offender = o, victim = v }\n");
    CU_ASSERT_EQUAL_FATAL(scn_load_file(&s, "pw_live_far.lua", NULL, &e), SCN_OK);
    pw_fix f;
    pw_fix_clear(&f);
    f.set = PW_FIX_LATLON_SET;
    f.lat = -27.2105;
    f.lon = 153.0520;
    char note[400];
    CU_ASSERT_EQUAL(sim_live_region_note(&s, &f, note, sizeof note), 1);
    printf("\n    %s\n", note);
    CU_ASSERT_PTR_NOT_NULL(strstr(note, "7700 km from the scenario's origin"));
    CU_ASSERT_PTR_NOT_NULL(strstr(note, "beyond the 100 km"));
    f.lon = 126.9780;
    f.lat = 37.5665 + 0.5; /* 55.6 km north: inside the 100 km */
    CU_ASSERT_EQUAL(sim_live_region_note(&s, &f, note, sizeof note), 0);
    f.lat = 37.5665 + 1.0; /* 111.2 km: outside */
    CU_ASSERT_EQUAL(sim_live_region_note(&s, &f, note, sizeof note), 1);

    /* --relocate's targets: the receiver's actor's start, the origin, an
     * actor by name, LAT,LON; anything else is refused. */
    double lat = 0, lon = 0;
    CU_ASSERT_EQUAL(sim_live_relocate_target(&s, SCN_OFFENDER, "start", &lat, &lon), 0);
    CU_ASSERT(lat == 37.5665 && lon == 126.9780);
    CU_ASSERT_EQUAL(sim_live_relocate_target(&s, SCN_VICTIM, "start", &lat, &lon), 0);
    CU_ASSERT(lat == 37.5672 && lon == 126.9780);
    CU_ASSERT_EQUAL(sim_live_relocate_target(&s, SCN_OFFENDER, "v", &lat, &lon), 0);
    CU_ASSERT(lat == 37.5672);
    CU_ASSERT_EQUAL(sim_live_relocate_target(&s, SCN_OFFENDER, "origin", &lat, &lon), 0);
    CU_ASSERT(lat == 37.5665);
    CU_ASSERT_EQUAL(sim_live_relocate_target(&s, SCN_OFFENDER, "35.1,129.04", &lat, &lon), 0);
    CU_ASSERT(lat == 35.1 && lon == 129.04);
    CU_ASSERT_EQUAL(sim_live_relocate_target(&s, SCN_OFFENDER, "nowhere", &lat, &lon), SIM_EINVAL);
    CU_ASSERT_EQUAL(sim_live_relocate_target(&s, SCN_OFFENDER, "91,0", &lat, &lon), SIM_EINVAL);

    for (int relocate = 0; relocate <= 1; relocate++) {
        char port[16];
        pid_t server = start_stand_in(port, sizeof port, 1, 0, wall_ms());
        sim_live_options o = {.host = "127.0.0.1", .port = port, .as = SCN_OFFENDER, .out_dir = "pw_live_far",
                              .speed = 40.0, .connect_timeout_ms = 10000, .quiet = 1, .relocate = relocate,
                              .relocate_lat = 37.5665, .relocate_lon = 126.9780};
        sim_summary sum;
        char err[700];
        scn_scenario run;
        CU_ASSERT_EQUAL_FATAL(scn_load_file(&run, "pw_live_far.lua", NULL, &e), SCN_OK);
        int rc = sim_live(&run, &o, &sum, err, sizeof err);
        if (rc)
            printf("\n    %s", err);
        kill(server, SIGKILL);
        waitpid(server, NULL, 0);
        CU_ASSERT_EQUAL(rc, 0);
        /* The phone's simulated fixes are in Seoul either way; the
         * receiver's 30 are all rejected unless relocated. */
        printf("\n    relocate %d: %llu delivered, %llu rejected, %llu alarms", relocate,
               (unsigned long long)sum.fixes_delivered, (unsigned long long)sum.fixes_rejected,
               (unsigned long long)sum.by_type[PW_EV_ALARM_OPEN]);
        if (relocate) {
            CU_ASSERT(sum.by_type[PW_EV_ALARM_OPEN] >= 1);
            CU_ASSERT(sum.fixes_rejected < 5);
        } else {
            CU_ASSERT_EQUAL(sum.by_type[PW_EV_ALARM_OPEN], 0);
            CU_ASSERT(sum.fixes_rejected >= 25);
        }
        scn_free(&run);
    }
    printf(" ");
    scn_free(&s);
    remove("pw_live_far.lua");
}

/*
 * What an engineer captures with `gpspipe -w -r`: gpsd's JSON reports
 * and the receiver's NMEA in one file.  gpsfake plays haicom-305N.log
 * through a real gpsd; gpspipe takes its first 250 lines.  By hand: the
 * capture holds gpsd's own answer (its TPVs), so every fix decode gives
 * must be one of those TPVs (time to the ms, lat/lon within 2e-7 deg), and
 * every TPV with a fix must be decoded; a last line cut by gpspipe is
 * skipped, nothing else.
 */
static void test_gpspipe_capture_decodes_to_gpsds_fixes(void)
{
    char port[16];
    pid_t fake = start_gpsfake(port, sizeof port, 30000);
    char cmd[300];
    snprintf(cmd, sizeof cmd,
             "for i in $(seq 100); do timeout 30 gpspipe -w -r -n 250 -x 25 127.0.0.1:%s > pw_capture.log "
             "2>/dev/null && exit 0; sleep 0.1; done; exit 1",
             port);
    int st = system(cmd);
    stop_gpsfake(fake);
    CU_ASSERT_EQUAL_FATAL(st, 0);

    /* gpsd's TPVs in the capture */
    FILE *cap = fopen("pw_capture.log", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(cap);
    static struct { pw_time_ms t; double lat, lon; } tpv[400];
    size_t n_tpv = 0, lines = 0, nmea = 0;
    char line[4096];
    while (fgets(line, sizeof line, cap)) {
        lines++;
        nmea += line[0] == '$';
        const char *m = strstr(line, "\"mode\":"), *t = strstr(line, "\"time\":\""), *la = strstr(line, "\"lat\":"),
                   *lo = strstr(line, "\"lon\":");
        if (strncmp(line, "{\"class\":\"TPV\"", 14) || !m || atoi(m + 7) < 2 || !t || !la || !lo || n_tpv == 400)
            continue;
        int y, mo, d, h, mi, sec, ms;
        if (sscanf(t + 8, "%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &sec, &ms) != 7)
            continue;
        tpv[n_tpv].t = (pw_time_ms)pw_days_from_civil(y, mo, d) * 86400000 + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
        tpv[n_tpv].lat = strtod(la + 6, NULL);
        tpv[n_tpv].lon = strtod(lo + 6, NULL);
        n_tpv++;
    }
    fclose(cap);

    trc_options to;
    trc_options_default(&to);
    trc_reader *rd;
    CU_ASSERT_EQUAL_FATAL(trc_open("pw_capture.log", &to, &rd), TRC_OK);
    pw_fix f;
    trc_fix_extra x;
    size_t fixes = 0, matched = 0;
    trc_status ts;
    while ((ts = trc_next(rd, &f, &x)) == TRC_OK) {
        fixes++;
        for (size_t k = 0; k < n_tpv; k++)
            if (tpv[k].t == f.time && fabs(tpv[k].lat - f.lat) <= 2e-7 && fabs(tpv[k].lon - f.lon) <= 2e-7) {
                matched++;
                break;
            }
    }
    const trc_counters *c = trc_get_counters(rd);
    printf("\n    capture: %zu lines (%zu NMEA, %ld as gpsd JSON), %zu gpsd fixes; decoded %zu, %zu of them gpsd's, "
           "%ld skipped ",
           lines, nmea, c->lines_json, n_tpv, fixes, matched, c->skipped_total);
    CU_ASSERT_EQUAL(ts, TRC_EOF);
    CU_ASSERT(nmea > 100 && c->lines_json > 20); /* both kinds, really mixed */
    CU_ASSERT(n_tpv >= 20);
    CU_ASSERT_EQUAL(matched, fixes);
    CU_ASSERT_EQUAL(fixes, n_tpv);
    CU_ASSERT(c->skipped_total <= 1);
    /* the NMEA of the same epochs, dropped from the stream, not lost: */
    long other = c->fixes_other_kind;
    CU_ASSERT(other + 1 >= (long)n_tpv);
    trc_close(rd);

    /* The NMEA half on its own gives gpsd's fixes too (all but at most the
     * last epoch, which gpsd had not closed when gpspipe stopped), dated as
     * the receiver wrote them: 2007-04-08, which gpsd 3.22 moves 1024 GPS
     * weeks on, to 2026-11-22 (its week-rollover guess; rule W of
     * traces/README.md), so gpsd's TPVs are 1024 weeks later. */
    const pw_time_ms weeks_1024 = 1024LL * 7 * 86400000;
    FILE *in = fopen("pw_capture.log", "r"), *out = fopen("pw_capture_nmea.log", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_PTR_NOT_NULL_FATAL(out);
    while (fgets(line, sizeof line, in))
        if (line[0] == '$')
            fputs(line, out);
    fclose(in);
    fclose(out);
    CU_ASSERT_EQUAL_FATAL(trc_open("pw_capture_nmea.log", &to, &rd), TRC_OK);
    size_t nmea_fixes = 0, nmea_matched = 0;
    while (trc_next(rd, &f, &x) == TRC_OK) {
        nmea_fixes++;
        for (size_t k = 0; k < n_tpv; k++)
            if (tpv[k].t == f.time + weeks_1024 && fabs(tpv[k].lat - f.lat) <= 2e-7 && fabs(tpv[k].lon - f.lon) <= 2e-7) {
                nmea_matched++;
                break;
            }
    }
    trc_close(rd);
    printf("\n    its NMEA alone: %zu fixes, %zu of them gpsd's; %ld NMEA fixes dropped from the mixed stream ",
           nmea_fixes, nmea_matched, other);
    CU_ASSERT(nmea_matched + 1 >= n_tpv);
    CU_ASSERT(nmea_fixes <= nmea_matched + 1);
    remove("pw_capture.log");
    remove("pw_capture_nmea.log");
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"gpsfake through proxwatch live", test_gpsfake_through_live},
        {"reconnects when gpsd restarts", test_reconnects_when_gpsd_restarts},
        {"no gpsd: a clear error", test_no_gpsd},
        {"relocation keeps distances and bearings", test_relocation_keeps_the_track},
        {"a receiver outside the region: said, and --relocate", test_receiver_outside_the_region},
        {"a gpspipe -w -r capture decodes to gpsd's fixes", test_gpspipe_capture_decodes_to_gpsds_fixes},
        {"live dates: the plausibility rule at its limits", test_date_rule_boundaries},
        {"an implausible first fix does not set the clock", test_implausible_first_fix_does_not_set_the_clock},
        {NULL, NULL},
    };
    return pw_test_main("live", tests);
}
