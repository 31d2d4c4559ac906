/*
 * test_live.c - the live mode end to end: gpsd's own gpsfake (Debian
 * gpsd-clients) replays a real receiver log through a real gpsd; proxwatch
 * live reads it with libgps under libuv as the scenario's offender, next to
 * a simulated victim standing by the walk.  The fixes must arrive, with
 * their own times, and the approach must raise the alarm.
 */
#include "record.h"
#include "sim.h"
#include "test_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <time.h>
#include <sys/socket.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void test_gpsfake_through_live(void)
{
    FILE *f = fopen("pw_live.lua", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    /* haicom-305N.log walks about 150 m near -27.2107, 153.0520. */
    fputs("scenario { name = 'live', start = '2026-03-02 07:30', duration = '45s', origin = place(-27.2107, 153.0520) }\n"
          "local v = victim { name = 'v', start = place(-27.2100, 153.0520), phone = { interval = '10s' } }\n"
          "local o = offender { name = 'o', start = place(-27.2107, 153.0520) }\n"
          "case { offender = o, victim = v }\n",
          f);
    fclose(f);
    char port[16];
    snprintf(port, sizeof port, "%d", 29400 + (int)(getpid() % 500));
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
    scn_scenario s;
    scn_error e;
    CU_ASSERT_EQUAL_FATAL(scn_load_file(&s, "pw_live.lua", NULL, &e), SCN_OK);
    pw_time_ms declared = s.start;
    /* The log is from 2007: a recording, so any date is taken. */
    sim_live_options o = {.host = "127.0.0.1", .port = port, .as = SCN_OFFENDER, .out_dir = "pw_live_out",
                          .speed = 10.0, .connect_timeout_ms = 20000, .quiet = 1, .any_date = 1};
    rec_remove_tree("pw_live_out"); /* what it checks is this run's, not a leftover */
    sim_summary sum;
    char err[700];
    int rc = sim_live(&s, &o, &sum, err, sizeof err);
    if (rc)
        printf("\n    %s", err);
    /* gpsfake -1 ends by itself after the log (and stops its gpsd); give
     * it 20 s, then take down its whole group. */
    int status, waited = 0;
    while (waitpid(fake, &status, WNOHANG) == 0 && waited++ < 200)
        nanosleep(&(struct timespec){0, 100000000}, NULL);
    if (waited > 200) {
        kill(-fake, SIGKILL);
        waitpid(fake, &status, 0);
    }
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    printf("\n    %llu fixes delivered, %llu alarms, scenario moved by %.0f days ",
           (unsigned long long)sum.fixes_delivered, (unsigned long long)sum.by_type[PW_EV_ALARM_OPEN],
           (double)(s.start - declared) / 86400000.0);
    /* The receiver's own clock rules: the scenario was moved to it. */
    CU_ASSERT(s.start != declared);
    CU_ASSERT(sum.fixes_delivered >= 20);
    CU_ASSERT(sum.by_type[PW_EV_ALARM_OPEN] >= 1);
    CU_ASSERT_EQUAL(sum.report.unauthorized_disclosures, 0);
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
    int listener = loopback_listener(port, sizeof port);
    pid_t server = fork();
    CU_ASSERT_FATAL(server >= 0);
    if (server == 0)
        fake_gpsd(listener, 2, 0, wall_ms());
    close(listener);
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
    int listener = loopback_listener(port, sizeof port);
    pw_time_ms base = wall_ms();
    pid_t server = fork();
    CU_ASSERT_FATAL(server >= 0);
    if (server == 0)
        fake_gpsd(listener, 1, 3, base);
    close(listener);
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

int main(void)
{
    static const pw_test_entry tests[] = {
        {"gpsfake through proxwatch live", test_gpsfake_through_live},
        {"reconnects when gpsd restarts", test_reconnects_when_gpsd_restarts},
        {"no gpsd: a clear error", test_no_gpsd},
        {"live dates: the plausibility rule at its limits", test_date_rule_boundaries},
        {"an implausible first fix does not set the clock", test_implausible_first_fix_does_not_set_the_clock},
        {NULL, NULL},
    };
    return pw_test_main("live", tests);
}
