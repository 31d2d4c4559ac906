/*
 * test_decode.c - field-trace decoding: agreement with gpsd on 30 real
 * receiver logs, bad input (truncated lines, bad checksums, binary garbage,
 * absurd values, a 10 MB line), epochs, dates across midnight, accuracy,
 * gpsd JSON through libgps, CSV, and the gpsdecode-style output line.
 *
 * Reference data: tests/data/gpsd (gpsd's test/daemon/NAME.log and NAME.log.chk,
 * BSD-2-Clause, see COPYING and MANIFEST.tsv there).  A .chk holds gpsd's
 * own decoding of the log: the echoed sentences and one JSON report per
 * line.  The TPV reports are read here with a tiny field extractor rather
 * than with libgps, so the test does not share a parser with the product.
 */
#include "traces.h"
#include "test_util.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define GPSD_DIR PW_TEST_DATA "/gpsd"
#define LATLON_TOL 2e-7

/* ---- small helpers ---------------------------------------------------- */

static pw_time_ms iso_ms(int y, int mo, int d, int h, int mi, int s, int ms)
{
    return (pw_time_ms)pw_days_from_civil(y, mo, d) * 86400000 +
           ((h * 60 + mi) * 60 + s) * 1000 + ms;
}

/* Collected warnings of a reader. */
typedef struct warn_log {
    int count;
    long lines[64];
    char what[64][160];
    char file[256];
} warn_log;

static void warn_cb(void *ctx, const char *file, long line, const char *what)
{
    warn_log *w = ctx;
    if (w->count < 64) {
        w->lines[w->count] = line;
        snprintf(w->what[w->count], sizeof w->what[0], "%s", what);
    }
    snprintf(w->file, sizeof w->file, "%s", file);
    w->count++;
}

#define MAX_FIXES 16384

typedef struct decoded {
    size_t n;
    pw_fix fix[MAX_FIXES];
    trc_fix_extra extra[MAX_FIXES];
    trc_counters counters;
    trc_status end;
    trc_format format;
} decoded;

static decoded dec; /* large: kept out of the stack */

/* Decode a file into dec with the given options (device 7), warnings into
 * w (may be NULL). */
static trc_status decode_with(const char *path, const trc_options *given, warn_log *w)
{
    trc_options o = *given;
    o.device = 7;
    o.warn = w ? warn_cb : NULL;
    o.warn_ctx = w;
    trc_reader *rd = NULL;
    memset(&dec, 0, sizeof dec);
    trc_status s = trc_open(path, &o, &rd);
    if (s != TRC_OK)
        return s;
    pw_fix f;
    trc_fix_extra x;
    while ((s = trc_next(rd, &f, &x)) == TRC_OK)
        if (dec.n < MAX_FIXES) {
            dec.fix[dec.n] = f;
            dec.extra[dec.n++] = x;
        }
    dec.end = s;
    dec.counters = *trc_get_counters(rd);
    dec.format = trc_get_format(rd);
    trc_close(rd);
    return TRC_OK;
}

/* decode_with, the defaults but a day for undated epochs and a rollover. */
static trc_status decode_with_date(const char *path, int64_t date_days, int rollover, warn_log *w)
{
    trc_options o;
    trc_options_default(&o);
    o.date_days = date_days;
    o.rollover = rollover;
    return decode_with(path, &o, w);
}

static trc_status decode_file(const char *path, warn_log *w)
{
    trc_options o;
    trc_options_default(&o);
    return decode_with(path, &o, w);
}

static char tmp_path[512];

static const char *write_tmp(const char *name, const void *data, size_t n)
{
    snprintf(tmp_path, sizeof tmp_path, "decode_%s", name);
    FILE *fp = fopen(tmp_path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    CU_ASSERT_EQUAL(fwrite(data, 1, n, fp), n);
    fclose(fp);
    return tmp_path;
}

/* Append the *hh checksum to "$...". */
static void nmea(char *out, size_t n, const char *body)
{
    unsigned sum = 0;
    for (const char *p = body + 1; *p; p++)
        sum ^= (unsigned char)*p;
    snprintf(out, n, "%s*%02X\n", body, sum);
}

/* ---- gpsd agreement --------------------------------------------------- */

/*
 * Rules (see traces/README.md, "Decoding"):
 *   (a) every fix the decoder outputs matches a TPV gpsd reported (mode >= 2,
 *       with a time): the same time to the ms, lat/lon within 2e-7 degrees;
 *   (b) no fix at a time at which gpsd reported none.
 * Documented differences, each checked by a precise predicate and counted
 * in the table:
 *   W  gpsd moved the date 1024 GPS weeks (7,168 days) forward although
 *      the log's RMC and ZDA give the real date (rst39: 2014-02-19 became
 *      2033-10-05).  Allowed only when the TPV at exactly fix time +
 *      1024 weeks matches as in (a).
 *   L  gpsd reported the epoch's position before the epoch's ZDA gave the
 *      date, so its TPV has no time; we merge the epoch and know it.
 *      Allowed only if gpsd reported a time-less mode >= 2 TPV with the
 *      same lat/lon (2e-7) while that epoch's sentences were being read.
 *   E  the last epoch of the file: gpsd reports a cycle when its learned
 *      cycle-ending sentence arrives, which never happens at the end of a
 *      file; we finish the epoch at EOF.  Allowed only for the last fix,
 *      when every TPV gpsd reported for that time precedes (in the .chk)
 *      the sentence whose position the fix carries.  (bundg_zeus_9.log is
 *      cut short of the input its .chk was made from.)
 *   M  the epoch's valid sentences disagree with each other (a
 *      multiplexer on a boat stamps GGA, RMC and GLL of one second with
 *      positions metres apart): gpsd reports the one it holds when its
 *      cycle ends, we report the epoch's last.  Allowed when gpsd reported
 *      a fix at that time and the echoed sentences for it disagree.
 *   C  gpsd reported no TPV at all (not even mode 1) for the epoch,
 *      because the cycle lacked gpsd's cycle-ending sentence (e.g. a
 *      receiver skipped the GGA of one second).
 * For L, E, C and M the fix must also equal a valid position sentence (RMC A,
 * GGA quality 1-6, GLL A, GNS not all N) that gpsd echoed in the .chk for
 * that time of day (lat/lon 2e-7), and lie within one hour of a time gpsd
 * reported (so the date is right).  A fix at a time for which gpsd reported
 * only mode-1 TPVs is never excused.
 */

typedef struct tpv {
    int mode;
    int has_time, has_pos;
    pw_time_ms time;
    double lat, lon;
    long epoch;          /* index of the echoed NMEA epoch it was reported in */
    long seq;            /* line of the .chk */
} tpv;

typedef struct echoed_pos {
    int32_t tod_ms;
    double lat, lon;
    long epoch;
    long seq;
} echoed_pos;

#define MAX_TPV 16384
#define MAX_POS 32768
static tpv tpvs[MAX_TPV];
static size_t n_tpv;
static echoed_pos poss[MAX_POS];
static size_t n_pos;
static int32_t epoch_tod[MAX_POS];
static int32_t nock_tod[MAX_POS]; /* times of day of echoed sentences without a checksum */
static size_t n_nock;
static long n_epochs;
static long chk_line;

/* Value text after "key": in a JSON line, or NULL. */
static const char *json_field(const char *line, const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(line, pat);
    return p ? p + strlen(pat) : NULL;
}

/* Field i of a comma-separated sentence copy (fields[] point into it). */
static int split(char *s, char **f, int max)
{
    int n = 0;
    f[n++] = s;
    for (char *p = s; *p && n < max; p++)
        if (*p == ',' || *p == '*') {
            *p = 0;
            f[n++] = p + 1;
        }
    return n;
}

static int tod_of(const char *s, int32_t *tod)
{
    int h, m, sec, frac = 0, used = 0;
    if (strlen(s) < 6 || sscanf(s, "%2d%2d%2d%n", &h, &m, &sec, &used) != 3)
        return 0;
    if (s[6] == '.') {
        int scale = 100;
        for (const char *p = s + 7; *p >= '0' && *p <= '9' && scale; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    *tod = ((h * 60 + m) * 60 + sec) * 1000 + frac;
    return 1;
}

static double ddmm(const char *v, const char *hemi)
{
    double x = strtod(v, NULL), d = floor(x / 100);
    double deg = d + (x - d * 100) / 60;
    return (hemi[0] == 'S' || hemi[0] == 'W') ? -deg : deg;
}

/* The echoed sentence: its time of day, and its position when valid. */
static void chk_sentence(const char *line)
{
    char copy[512], *f[48];
    snprintf(copy, sizeof copy, "%s", line);
    int n = split(copy, f, 48);
    if (strlen(f[0]) != 6)
        return;
    const char *type = f[0] + 3;
    int ti = -1, la = -1, valid = 0;
    if (!strcmp(type, "GGA") && n > 6) {
        ti = 1, la = 2;
        valid = f[6][0] >= '1' && f[6][0] <= '6' && !f[6][1];
    } else if (!strcmp(type, "RMC") && n > 6) {
        ti = 1, la = 3;
        valid = !strcmp(f[2], "A");
    } else if (!strcmp(type, "GLL") && n > 6) {
        ti = 5, la = 1;
        valid = !strcmp(f[6], "A");
    } else if (!strcmp(type, "GNS") && n > 6) {
        ti = 1, la = 2;
        valid = strspn(f[6], "N") != strlen(f[6]);
    } else if (!strcmp(type, "ZDA") || !strcmp(type, "GST")) {
        ti = 1;
    }
    int32_t tod;
    if (ti < 0 || ti >= n || !tod_of(f[ti], &tod))
        return;
    if (n_epochs == 0 || epoch_tod[n_epochs - 1] != tod) {
        if (n_epochs == MAX_POS)
            return;
        epoch_tod[n_epochs++] = tod;
    }
    if (valid && la > 0 && la + 3 < n && *f[la] && *f[la + 2] && n_pos < MAX_POS)
        poss[n_pos++] = (echoed_pos){tod, ddmm(f[la], f[la + 1]), ddmm(f[la + 2], f[la + 3]),
                                     n_epochs - 1, chk_line};
}

static int read_chk(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    static char line[65536];
    n_tpv = n_pos = n_nock = 0;
    n_epochs = 0;
    chk_line = 0;
    while (fgets(line, sizeof line, fp)) {
        chk_line++;
        size_t len = strlen(line);
        if (line[0] == '$' && len < 400) {
            chk_sentence(line);
            char copy[400], *f[48];
            memcpy(copy, line, len + 1);
            int32_t tod;
            if (!strchr(line, '*') && split(copy, f, 48) > 1 && tod_of(f[1], &tod) && n_nock < MAX_POS)
                nock_tod[n_nock++] = tod;
            continue;
        }
        if (strncmp(line, "{\"class\":\"TPV\"", 14) != 0 || n_tpv == MAX_TPV)
            continue;
        tpv *t = &tpvs[n_tpv++];
        memset(t, 0, sizeof *t);
        t->epoch = n_epochs - 1;
        t->seq = chk_line;
        const char *v;
        if ((v = json_field(line, "mode")))
            t->mode = atoi(v);
        if ((v = json_field(line, "time"))) {
            int y, mo, d, h, mi, s, ms;
            if (sscanf(v, "\"%d-%d-%dT%d:%d:%d.%dZ", &y, &mo, &d, &h, &mi, &s, &ms) == 7) {
                t->has_time = 1;
                t->time = iso_ms(y, mo, d, h, mi, s, ms);
            }
        }
        const char *la = json_field(line, "lat"), *lo = json_field(line, "lon");
        if (la && lo) {
            t->has_pos = 1;
            t->lat = strtod(la, NULL);
            t->lon = strtod(lo, NULL);
        }
    }
    fclose(fp);
    return 0;
}

static int is_gpsd_fix(const tpv *t)
{
    return t->mode >= 2 && t->has_time && t->has_pos;
}

static int near(double a, double b)
{
    return fabs(a - b) <= LATLON_TOL;
}

#define WEEKS_1024 (1024LL * 7 * 86400000)

static int gpsd_fix_at(pw_time_ms t)
{
    for (size_t i = 0; i < n_tpv; i++)
        if (is_gpsd_fix(&tpvs[i]) && tpvs[i].time == t)
            return 1;
    return 0;
}

static int gpsd_fix_matches(const pw_fix *f, pw_time_ms shift)
{
    for (size_t i = 0; i < n_tpv; i++)
        if (is_gpsd_fix(&tpvs[i]) && tpvs[i].time == f->time + shift &&
            near(tpvs[i].lat, f->lat) && near(tpvs[i].lon, f->lon))
            return 1;
    return 0;
}

static int verbose(void)
{
    return getenv("PW_DECODE_VERBOSE") != NULL;
}

/* Whether a decoded fix lies at time t (or 1024 weeks before it). */
static int recalled_at(pw_time_ms t)
{
    for (size_t k = 0; k < dec.n; k++)
        if (dec.fix[k].time == t || dec.fix[k].time + WEEKS_1024 == t)
            return 1;
    return 0;
}

/* Which documented difference excuses this unmatched fix: 'L', 'E', 'C',
 * 'M', or 0 when none does ('W' is decided per log). */
static char excuse(const pw_fix *f, int is_last, pw_time_ms shift)
{
    int32_t tod = (int32_t)(((f->time % 86400000) + 86400000) % 86400000);
    int any_tpv_at_t = 0, near_time = 0;
    for (size_t i = 0; i < n_tpv; i++) {
        if (!tpvs[i].has_time)
            continue;
        any_tpv_at_t |= tpvs[i].time == f->time + shift;
        near_time |= llabs(tpvs[i].time - (f->time + shift)) <= 3600000;
    }
    if (!near_time)
        return 0; /* the date is off */
    const echoed_pos *src = NULL;
    for (size_t i = 0; i < n_pos; i++)
        if (poss[i].tod_ms == tod && near(poss[i].lat, f->lat) && near(poss[i].lon, f->lon))
            src = &poss[i];
    if (!src)
        return 0; /* no valid echoed sentence says this */
    int reported_after_src = 0;
    for (size_t i = 0; i < n_tpv; i++)
        reported_after_src |= tpvs[i].has_time && tpvs[i].time == f->time + shift &&
                              tpvs[i].seq > src->seq;
    if (is_last && !reported_after_src)
        return 'E'; /* gpsd never reported this time after the sentence we took */
    if (any_tpv_at_t) {
        /* M: the epoch's valid sentences disagree with each other, and
         * gpsd reported one of them while we took another. */
        int disagree = 0;
        for (size_t i = 0; i < n_pos; i++)
            if (poss[i].tod_ms == tod &&
                (!near(poss[i].lat, src->lat) || !near(poss[i].lon, src->lon)))
                disagree = 1;
        return disagree && gpsd_fix_at(f->time + shift) ? 'M' : 0;
    }
    for (size_t i = 0; i < n_tpv; i++)
        if (tpvs[i].epoch == src->epoch && tpvs[i].mode >= 2 && !tpvs[i].has_time &&
            tpvs[i].has_pos && near(tpvs[i].lat, f->lat) && near(tpvs[i].lon, f->lon))
            return 'L';
    return 'C';
}

/* Totals of one folder of gpsd logs. */
typedef struct agreement {
    int logs, logs_ok;
    long fixes, matched, excused, lec, gpsd, recalled;
    long missing_k, missing_unexplained;   /* gpsd fixes we do not report */
    int absent;                 /* listed logs not in the folder (elsewhere only) */
    int why[5];
} agreement;

/*
 * Decode every log named in DIR/MANIFEST.tsv (first two columns: file,
 * class) and compare it with DIR/NAME.chk, printing a row per log.  With
 * strict, each log must agree (rules (a) and (b), W only for a whole log).
 */
static void agreement_on(const char *dir, const char *manifest, int strict, agreement *a)
{
    memset(a, 0, sizeof *a);
    char path[768];
    FILE *mf = fopen(manifest, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mf);
    char row[1024];
    printf("\n  %-33s %2s %5s %5s %2s %s %s %s %2s %5s %5s %7s  %s\n", "log", "cl", "fixes",
           "match", " W", "L", "E", "C", " M", "recall", "gpsd", "skipped", "first unexplained");
    while (fgets(row, sizeof row, mf)) {
        if (row[0] == '#' || !strncmp(row, "file\t", 5))
            continue;
        char name[128], cls[8];
        if (sscanf(row, "%127s %7s", name, cls) != 2)
            continue;
        snprintf(path, sizeof path, "%s/%s.chk", dir, name);
        if (strcmp(dir, GPSD_DIR) != 0 && access(path, R_OK) != 0) {
            printf("  %-33s not in %s\n", name, dir);
            a->absent++;
            continue;
        }
        a->logs++;
        CU_ASSERT_EQUAL_FATAL(read_chk(path), 0);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        CU_ASSERT_EQUAL_FATAL(decode_file(path, NULL), TRC_OK);
        CU_ASSERT_EQUAL(dec.end, TRC_EOF);
        if (!strcmp(dir, GPSD_DIR)) /* (one log elsewhere mixes in gpsd JSON) */
            CU_ASSERT_EQUAL(dec.format, TRC_NMEA);

        /* gpsd's distinct fix times, and how many of them we also report */
        size_t gpsd_times = 0, recalled = 0, missing_k = 0, missing_unexplained = 0;
        for (size_t i = 0; i < n_tpv; i++) {
            if (!is_gpsd_fix(&tpvs[i]))
                continue;
            int seen = 0;
            for (size_t j = 0; j < i && !seen; j++)
                seen = is_gpsd_fix(&tpvs[j]) && tpvs[j].time == tpvs[i].time;
            if (seen)
                continue;
            gpsd_times++;
            if (recalled_at(tpvs[i].time)) {
                recalled++;
                continue;
            }
            /* K: gpsd read sentences that carry no checksum; we skip them
             * (TRC_SKIP_NO_CHECKSUM: a cut-off line looks the same). */
            int32_t tod = (int32_t)(((tpvs[i].time % 86400000) + 86400000) % 86400000);
            int no_checksum = 0;
            for (size_t q = 0; q < n_nock && !no_checksum; q++)
                no_checksum = nock_tod[q] == tod;
            if (no_checksum && dec.counters.skipped[TRC_SKIP_NO_CHECKSUM] > 0)
                missing_k++;
            else
                missing_unexplained++;
            if (verbose())
                printf("    missing%s: gpsd fix at .chk line %ld\n", no_checksum ? " (K)" : "", tpvs[i].seq);
        }
        /* W: the whole log is shifted when most fixes match 1024 weeks on. */
        size_t plain = 0, shifted = 0;
        for (size_t k = 0; k < dec.n; k++) {
            plain += (size_t)gpsd_fix_matches(&dec.fix[k], 0);
            shifted += (size_t)gpsd_fix_matches(&dec.fix[k], WEEKS_1024);
        }
        pw_time_ms shift = shifted > plain ? WEEKS_1024 : 0;
        size_t matched = 0, unexplained = 0, bad_time = 0;
        int why[5] = {0, 0, 0, 0, 0};
        char first_bad[160] = "";
        for (size_t k = 0; k < dec.n; k++) {
            const pw_fix *f = &dec.fix[k];
            int m = gpsd_fix_matches(f, shift);
            char e = m ? 0 : excuse(f, k + 1 == dec.n, shift);
            if (m && shift)
                e = 'W';
            else
                matched += m;
            if (e)
                why[strchr("WLECM", e) - "WLECM"]++;
            /* (b): a fix at a time without a gpsd fix needs an excuse too */
            if (!gpsd_fix_at(f->time + shift) && !e)
                bad_time++;
            if (!m && !e) {
                unexplained++;
                if (verbose()) {
                    char js[200];
                    trc_decode_json(f, &dec.extra[k], js, sizeof js);
                    printf("    unexplained: line %ld %s\n", dec.extra[k].line, js);
                }
                if (!first_bad[0]) {
                    char js[200];
                    trc_decode_json(f, &dec.extra[k], js, sizeof js);
                    snprintf(first_bad, sizeof first_bad, "line %ld %.100s", dec.extra[k].line,
                             js);
                }
            }
        }
        size_t excused = (size_t)(why[0] + why[1] + why[2] + why[3] + why[4]);
        printf("  %-33s %2s %5zu %5zu %2d %d %d %d %2d %4.0f%% %5zu %7ld  %s\n", name, cls, dec.n,
               matched, why[0], why[1], why[2], why[3], why[4],
               gpsd_times ? 100.0 * (double)recalled / (double)gpsd_times : 100.0, gpsd_times,
               dec.counters.skipped_total, first_bad);
        if (strict) {
            /* (a) every fix is one gpsd reported, or a documented difference */
            CU_ASSERT_EQUAL(matched + excused, dec.n);
            /* W only where the whole log is shifted (rst39), never piecemeal */
            CU_ASSERT(why[0] == 0 || (size_t)why[0] + 10 > dec.n);
            CU_ASSERT_EQUAL(unexplained, 0);
            /* (b) */
            CU_ASSERT_EQUAL(bad_time, 0);
            /* (c) a gpsd fix we do not report is K, or none */
            CU_ASSERT_EQUAL(missing_unexplained, 0);
        }
        a->missing_k += (long)missing_k;
        a->missing_unexplained += (long)missing_unexplained;
        a->fixes += (long)dec.n;
        a->matched += (long)matched;
        a->excused += (long)excused;
        a->lec += why[1] + why[2] + why[3];
        for (int w = 0; w < 5; w++)
            a->why[w] += why[w];
        a->gpsd += (long)gpsd_times;
        a->recalled += (long)recalled;
        a->logs_ok += unexplained == 0 && bad_time == 0 && missing_unexplained == 0;
    }
    fclose(mf);
    printf("  %d logs (%d listed ones absent), %d agree; %ld fixes: %ld matched, %ld documented differences "
           "(W %d, L %d, E %d, C %d, M %d)\n",
           a->logs, a->absent, a->logs_ok, a->fixes, a->matched, a->excused, a->why[0], a->why[1], a->why[2],
           a->why[3], a->why[4]);
    printf("  recall: %ld of %ld gpsd fix times (%.2f %%); missing: %ld K (no checksum), "
           "%ld unexplained\n",
           a->recalled, a->gpsd, a->gpsd ? 100.0 * (double)a->recalled / (double)a->gpsd : 100.0,
           a->missing_k, a->missing_unexplained);
}

static void test_gpsd_agreement(void)
{
    agreement a;
    agreement_on(GPSD_DIR, GPSD_DIR "/MANIFEST.tsv", 1, &a);
    CU_ASSERT_EQUAL(a.logs, 30);
    CU_ASSERT_EQUAL(a.logs_ok, 30);
    /* Recall: every time at which gpsd reported a fix, we report one too. */
    CU_ASSERT(a.gpsd > 1100);
    CU_ASSERT_EQUAL(a.recalled, a.gpsd);
    /* Epoch-level differences (L, E, C) stay rare: under 3 % of fixes. */
    CU_ASSERT(a.lec * 100 < a.fixes * 3);
}

/*
 * The same measurement on gpsd logs that are not in tests/data: set
 * PW_GPSD_LOGS to a folder holding NAME.log and NAME.log.chk (gpsd's
 * test/daemon); the logs are those of its MANIFEST.tsv if it has one, else
 * of tests/gpsd_elsewhere.tsv (see traces/README.md, "Agreement with
 * gpsd").  Prints the table and holds every log to the same rules as the
 * bundled ones, and the whole to 99.5 % of gpsd's fixes reproduced.  The
 * logs are not bundled, so without the variable it does nothing (and says
 * so).
 */
static void test_gpsd_agreement_elsewhere(void)
{
    const char *dir = getenv("PW_GPSD_LOGS");
    if (!dir || !*dir) {
        printf("(PW_GPSD_LOGS not set) ");
        return;
    }
    char manifest[768];
    snprintf(manifest, sizeof manifest, "%s/MANIFEST.tsv", dir);
    if (access(manifest, R_OK) != 0)
        snprintf(manifest, sizeof manifest, "%s", PW_TEST_DATA "/../gpsd_elsewhere.tsv");
    agreement a;
    agreement_on(dir, manifest, 1, &a);
    CU_ASSERT(a.logs > 0);
    /* The target: every log agrees (each extra or missing fix falls under
     * a documented rule, asserted per log above) and at least 99.5 % of
     * gpsd's fixes are reproduced. */
    CU_ASSERT_EQUAL(a.logs_ok, a.logs);
    CU_ASSERT(a.recalled * 1000 >= a.gpsd * 995);
}

/* ---- bad input ---------------------------------------------------------- */

static void put_nmea(FILE *fp, const char *body)
{
    char line[256];
    nmea(line, sizeof line, body);
    fputs(line, fp);
}

/* Every kind of bad line between two good epochs: each is skipped, counted
 * and warned about with its file and line, no fix is invented at the bad
 * epochs, and the fixes before and after are kept. */
static void test_bad_input(void)
{
    const char *path = "decode_bad.nmea";
    FILE *fp = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs("# header comment\n", fp);                                                      /* 1 */
    put_nmea(fp, "$GPRMC,120000.00,A,4807.0380,N,01131.0000,E,10.0,90.0,010324,,,A");      /* 2 */
    put_nmea(fp, "$GPGGA,120000.00,4807.0380,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,"); /* 3 */
    fputs("$GPGGA,120001.00,4807.03\n", fp);                              /* 4: truncated */
    fputs("$GPRMC,120001.00,A,4807.0400,N,01131.0000,E,0.0,0.0,010324,,,A*00\n", fp); /* 5 */
    fputs("\x01\xff\xfe garbage \x80\x81$\x02\n", fp);                   /* 6: binary */
    put_nmea(fp, "$GPGGA,120002.00,9507.0380,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,"); /* 7 */
    put_nmea(fp, "$GPRMC,120002.00,A,4807.0380,N,01131.0000,E,0.0,0.0,011324,,,A");      /* 8 */
    static char big[1 << 20];
    memset(big, 'A', sizeof big);
    big[0] = '$';
    for (int i = 0; i < 10; i++)                                          /* 9: 10 MB */
        CU_ASSERT_EQUAL(fwrite(big, 1, sizeof big, fp), sizeof big);
    fputs("*00\n", fp);
    put_nmea(fp, "$GPRMC,120003.00,A,4807.0500,N,01131.0000,E,0.0,0.0,010324,,,A");      /* 10 */
    put_nmea(fp, "$GPGGA,120003.00,4807.0500,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,"); /* 11 */
    put_nmea(fp, "$GPGGA,120004.00,4807.0600,N,01131.0000,E,1,08,0.9,545.4,M,46.9,M,,"); /* 12 */
    fputs("$GPGGA,120005.00,4807.0700,N,011", fp);               /* 13: cut off at EOF */
    fclose(fp);

    static warn_log w;
    memset(&w, 0, sizeof w);
    CU_ASSERT_EQUAL_FATAL(decode_file(path, &w), TRC_OK);
    CU_ASSERT_EQUAL(dec.end, TRC_EOF);
    /* fixes before and after the bad lines, none at 12:00:01 or :02 */
    CU_ASSERT_EQUAL_FATAL(dec.n, 3);
    const pw_time_ms t0 = iso_ms(2024, 3, 1, 12, 0, 0, 0);
    CU_ASSERT_EQUAL(dec.fix[0].time, t0);
    CU_ASSERT_EQUAL(dec.fix[1].time, t0 + 3000);
    CU_ASSERT_EQUAL(dec.fix[2].time, t0 + 4000); /* GGA-only epoch, date carried */
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].lat, 48 + 7.038 / 60, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[1].lat, 48 + 7.05 / 60, 1e-12);
    CU_ASSERT_EQUAL(dec.fix[0].device, 7);
    const trc_counters *c = &dec.counters;
    CU_ASSERT_EQUAL(c->skipped[TRC_SKIP_NO_CHECKSUM], 2); /* lines 4 and 13 */
    CU_ASSERT_EQUAL(c->skipped[TRC_SKIP_CHECKSUM], 1);
    CU_ASSERT_EQUAL(c->skipped[TRC_SKIP_GARBAGE], 2); /* junk, then "$\x02" */
    CU_ASSERT_EQUAL(c->skipped[TRC_SKIP_RANGE], 2);
    CU_ASSERT_EQUAL(c->skipped[TRC_SKIP_TOO_LONG], 1);
    CU_ASSERT_EQUAL(c->skipped_total, 8);
    CU_ASSERT_EQUAL(c->lines, 13);
    CU_ASSERT_EQUAL(c->fixes, 3);
    /* one warning per bad line, naming the file and the line */
    CU_ASSERT_EQUAL_FATAL(w.count, 8);
    static const long want_lines[8] = {4, 5, 6, 6, 7, 8, 9, 13};
    for (int i = 0; i < 8; i++)
        CU_ASSERT_EQUAL(w.lines[i], want_lines[i]);
    CU_ASSERT_STRING_EQUAL(w.file, path);
    CU_ASSERT_PTR_NOT_NULL(strstr(w.what[1], "checksum"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.what[4], "latitude"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.what[5], "date"));
    CU_ASSERT_PTR_NOT_NULL(strstr(w.what[6], "longer"));
    CU_ASSERT_EQUAL(c->last_warning_line, 13);
    remove(path);
}

/* The pure decoder on its own: epochs, date carry-over, midnight, no-fix
 * sentences, accuracy, speed, mode, talkers, proprietary sentences. */
static trc_nmea_result feed(trc_nmea_state *st, const char *body, pw_fix *f, trc_fix_extra *x)
{
    char line[256];
    nmea(line, sizeof line, body);
    return trc_nmea_decode(st, line, strlen(line), 1, f, x, NULL);
}

static void test_epochs_and_dates(void)
{
    trc_nmea_state st;
    trc_nmea_init(&st);
    pw_fix f;
    trc_fix_extra x;
    /* GGA before any date: no fix, counted as undated */
    CU_ASSERT_EQUAL(feed(&st, "$GNGGA,235958.00,4807.0380,N,01131.0000,E,1,08,1.2,545.4,M,46.9,M,,",
                         &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(feed(&st, "$GNRMC,235959.00,A,4807.0380,N,01131.0000,E,1.0,45.0,311223,,,A",
                         &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(st.n.undated_epochs, 1);
    CU_ASSERT_EQUAL(feed(&st, "$GNGSA,A,3,01,02,03,04,,,,,,,,,2.0,1.2,1.6", &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(feed(&st, "$GNGGA,235959.00,4807.0380,N,01131.0000,E,1,08,1.2,545.4,M,46.9,M,,",
                         &f, &x), TRC_NMEA_NONE);
    /* a proprietary sentence is ignored, not a new epoch */
    CU_ASSERT_EQUAL(feed(&st, "$PUBX,00,235959.00,4807.0380,N", &f, &x), TRC_NMEA_NONE);
    /* midnight: a GGA-only epoch at 00:00:00 is on the next day */
    CU_ASSERT_EQUAL_FATAL(feed(&st, "$GLGGA,000000.00,4807.0390,N,01131.0000,E,1,08,1.0,545.0,M,46.9,M,,",
                               &f, &x), TRC_NMEA_FIX);
    /* the 23:59:59 epoch: RMC + GSA + GGA merged into one fix */
    CU_ASSERT_EQUAL(f.time, iso_ms(2023, 12, 31, 23, 59, 59, 0));
    CU_ASSERT_EQUAL(st.n.fixes, 1);
    CU_ASSERT_DOUBLE_EQUAL(f.speed_mps, 1852.0 / 3600.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(f.heading_deg, 45.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(f.hdop, 1.2, 1e-12);
    /* By hand: HDOP 1.2 x UERE 5 m = 6 m of 2-D error, 4.2426 m an axis,
     * and a 68 % radius of 1.5096 x 4.24264 = 6.40469 m (it was 9.06 m,
     * the 2-D error taken as one axis's). */
    CU_ASSERT_DOUBLE_EQUAL(f.acc_m, 6.40469, 1e-4);
    CU_ASSERT_EQUAL(f.sats, 8);
    CU_ASSERT_EQUAL(x.mode, 3);
    CU_ASSERT_DOUBLE_EQUAL(x.alt_msl_m, 545.4, 1e-9);
    /* GST gives the accuracy when present */
    CU_ASSERT_EQUAL(feed(&st, "$GAGST,000000.00,1.0,3.0,2.0,0.0,3.0,4.0,5.0", &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL_FATAL(feed(&st, "$BDGGA,000001.00,4807.0400,S,01131.0000,W,2,08,1.0,545.0,M,46.9,M,,",
                               &f, &x), TRC_NMEA_FIX);
    CU_ASSERT_EQUAL(f.time, iso_ms(2024, 1, 1, 0, 0, 0, 0));
    /* By hand: GST's sigmas 3 m (latitude) and 4 m (longitude), an axis of
     * sqrt((9 + 16) / 2) = 3.53553 m, a 68 % radius of 1.5096 x 3.53553 =
     * 5.33724 m. */
    CU_ASSERT_DOUBLE_EQUAL(f.acc_m, 5.33724, 1e-4);
    /* "no fix" sentences that still carry coordinates are not fixes */
    CU_ASSERT_EQUAL(feed(&st, "$GBRMC,000002.00,V,4807.0400,N,01131.0000,E,0.0,0.0,010124,,,N",
                         &f, &x), TRC_NMEA_FIX); /* closes 00:00:01 */
    CU_ASSERT_DOUBLE_EQUAL(f.lat, -(48 + 7.04 / 60), 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(f.lon, -(11 + 31.0 / 60), 1e-12);
    CU_ASSERT_EQUAL(feed(&st, "$QZGGA,000003.00,4807.0400,N,01131.0000,E,0,08,1.0,545.0,M,46.9,M,,",
                         &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(feed(&st, "$GPGLL,4807.0400,N,01131.0000,E,000004.00,V,N", &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(feed(&st, "$GPGLL,4807.0400,N,01131.0000,E,000005.00,A,N", &f, &x), TRC_NMEA_NONE);
    /* an epoch with a valid GGA but an RMC V is not a fix either */
    CU_ASSERT_EQUAL(feed(&st, "$GPGGA,000006.00,4807.0400,N,01131.0000,E,1,08,1.0,545.0,M,46.9,M,,",
                         &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(feed(&st, "$GPRMC,000006.00,V,4807.0400,N,01131.0000,E,0.0,0.0,010124,,,N",
                         &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(trc_nmea_flush(&st, &f, &x), TRC_NMEA_NONE);
    CU_ASSERT_EQUAL(st.n.no_fix_epochs, 5);
    CU_ASSERT_EQUAL(st.n.fixes, 3);
    /* a sentence without checksum is skipped */
    const char *bare = "$GPGGA,000007.00,4807.0400,N,01131.0000,E,1,08,1.0,545.0,M,46.9,M,,";
    trc_skip_reason why = TRC_SKIP_REASON_COUNT;
    CU_ASSERT_EQUAL(trc_nmea_decode(&st, bare, strlen(bare), 9, &f, &x, &why), TRC_NMEA_SKIPPED);
    CU_ASSERT_EQUAL(why, TRC_SKIP_NO_CHECKSUM);
    /* absurd values */
    CU_ASSERT_EQUAL(feed(&st, "$GPRMC,240000.00,A,4807.0400,N,01131.0000,E,0.0,0.0,010124,,,A", &f, &x),
                    TRC_NMEA_SKIPPED);
    CU_ASSERT_EQUAL(feed(&st, "$GPRMC,120000.00,A,4807.0400,N,18131.0000,E,0.0,0.0,010124,,,A", &f, &x),
                    TRC_NMEA_SKIPPED);
    CU_ASSERT_EQUAL(feed(&st, "$GPRMC,120000.00,A,4807.0400,N,01131.0000,E,0.0,0.0,300224,,,A", &f, &x),
                    TRC_NMEA_SKIPPED);
    CU_ASSERT_EQUAL(st.n.skipped[TRC_SKIP_RANGE], 3);
    CU_ASSERT_EQUAL(trc_nmea_flush(&st, &f, &x), TRC_NMEA_NONE);
}

/* ---- gpsd JSON, CSV, output ---------------------------------------------- */

static void test_gpsd_json(void)
{
    const char *text =
        "{\"class\":\"VERSION\",\"release\":\"3.22\",\"rev\":\"3.22\",\"proto_major\":3,\"proto_minor\":14}\n"
        "{\"class\":\"TPV\",\"device\":\"/dev/ttyACM0\",\"mode\":3,\"time\":\"2024-05-01T10:00:00.250Z\","
        "\"lat\":37.566500000,\"lon\":126.978000000,\"altMSL\":38.5,\"speed\":1.25,\"track\":270.5,"
        "\"epx\":3.92,\"epy\":3.92,\"eph\":6.5}\n"
        "{\"class\":\"SKY\",\"hdop\":0.9,\"uSat\":9}\n"
        "{\"class\":\"TPV\",\"mode\":1,\"time\":\"2024-05-01T10:00:01.000Z\",\"lat\":37.0,\"lon\":126.0}\n"
        "{\"class\":\"TPV\",\"mode\":3,\"time\":\n"
        "{garbage}\n"
        "{\"class\":\"TPV\",\"mode\":2,\"time\":\"2024-05-01T10:00:02.000Z\",\"lat\":37.5666,\"lon\":126.9781}\n";
    static warn_log w;
    memset(&w, 0, sizeof w);
    const char *path = write_tmp("gpsd.json", text, strlen(text));
    CU_ASSERT_EQUAL_FATAL(decode_file(path, &w), TRC_OK);
    CU_ASSERT_EQUAL(dec.format, TRC_GPSD_JSON);
    CU_ASSERT_EQUAL_FATAL(dec.n, 2);
    CU_ASSERT_EQUAL(dec.fix[0].time, iso_ms(2024, 5, 1, 10, 0, 0, 250));
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].lat, 37.5665, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].lon, 126.978, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].speed_mps, 1.25, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].heading_deg, 270.5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].acc_m, 3.0192, 1e-9); /* epx 3.92 m = 1.96 sigma: 2 m, x 1.5096 */
    CU_ASSERT_EQUAL(dec.extra[0].mode, 3);
    CU_ASSERT_DOUBLE_EQUAL(dec.extra[0].alt_msl_m, 38.5, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(dec.extra[0].eph_m, 6.5, 1e-9);
    CU_ASSERT_EQUAL(dec.extra[1].mode, 2);
    CU_ASSERT_FALSE(dec.fix[1].set & PW_FIX_ACC_SET);
    CU_ASSERT_EQUAL(dec.counters.skipped[TRC_SKIP_JSON], 2);
    /* the mode-1 TPV is an epoch that said no fix; VERSION and SKY are
     * objects not used */
    CU_ASSERT_EQUAL(dec.counters.no_fix_epochs, 1);
    CU_ASSERT_EQUAL(dec.counters.ignored, 2);
    CU_ASSERT_EQUAL_FATAL(w.count, 2);
    CU_ASSERT_EQUAL(w.lines[0], 5);
    CU_ASSERT_EQUAL(w.lines[1], 6);
    /* As a reference (replay --truth-*), the mode-1 TPV with a time and a
     * position is kept too, at its place in time, and counted. */
    trc_options ref;
    trc_options_default(&ref);
    ref.reference = 1;
    CU_ASSERT_EQUAL_FATAL(decode_with(path, &ref, NULL), TRC_OK);
    CU_ASSERT_EQUAL_FATAL(dec.n, 3);
    CU_ASSERT_EQUAL(dec.fix[1].time, iso_ms(2024, 5, 1, 10, 0, 1, 0));
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[1].lat, 37.0, 1e-9);
    CU_ASSERT_EQUAL(dec.counters.kept_as_reference, 1);
    CU_ASSERT_EQUAL(dec.counters.no_fix_epochs, 0);
    remove(path);
}

static void test_csv(void)
{
    const char *text = "time,lat,lon,acc_m\n"
                       "2024-05-01T10:00:00.500Z,37.5665,126.978,12.5\n"
                       "1714557601000,37.5666,126.9781,\n"
                       "2024-13-01T10:00:00Z,37.5,126.9,5\n"
                       "2024-05-01T10:00:03Z,97.5,126.9,5\n"
                       "2024-05-01T10:00:04Z,37.5667,126.9782,3\n";
    static warn_log w;
    memset(&w, 0, sizeof w);
    const char *path = write_tmp("trace.csv", text, strlen(text));
    CU_ASSERT_EQUAL_FATAL(decode_file(path, &w), TRC_OK);
    CU_ASSERT_EQUAL(dec.format, TRC_CSV);
    CU_ASSERT_EQUAL_FATAL(dec.n, 3);
    CU_ASSERT_EQUAL(dec.fix[0].time, iso_ms(2024, 5, 1, 10, 0, 0, 500));
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].acc_m, 12.5, 1e-12);
    CU_ASSERT_EQUAL(dec.fix[1].time, 1714557601000LL);
    CU_ASSERT_FALSE(dec.fix[1].set & PW_FIX_ACC_SET);
    CU_ASSERT_EQUAL(dec.fix[2].time, iso_ms(2024, 5, 1, 10, 0, 4, 0));
    CU_ASSERT_EQUAL(dec.counters.skipped[TRC_SKIP_RANGE], 2);
    CU_ASSERT_EQUAL_FATAL(w.count, 2);
    CU_ASSERT_EQUAL(w.lines[0], 4);
    CU_ASSERT_EQUAL(w.lines[1], 5);
    remove(path);
}

static void test_output_line(void)
{
    pw_fix f;
    pw_fix_clear(&f);
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_SPEED_SET;
    f.time = iso_ms(2009, 12, 9, 15, 25, 5, 30);
    f.lat = 55.797018833;
    f.lon = -23.569021667;
    f.speed_mps = 0.13;
    trc_fix_extra x = {TRC_EXTRA_MODE_SET | TRC_EXTRA_ALT_SET, 3, 37.0, NAN, 0};
    char buf[256];
    const char *want = "{\"class\":\"TPV\",\"time\":\"2009-12-09T15:25:05.030Z\",\"lat\":55.797018833,"
                       "\"lon\":-23.569021667,\"mode\":3,\"speed\":0.130,\"alt\":37.000}";
    size_t n = trc_decode_json(&f, &x, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, want);
    CU_ASSERT_EQUAL(n, strlen(want));
    /* truncation: like snprintf */
    char small[20];
    CU_ASSERT_EQUAL(trc_decode_json(&f, &x, small, sizeof small), strlen(want));
    CU_ASSERT_EQUAL(strlen(small), sizeof small - 1);
    CU_ASSERT_EQUAL(trc_decode_json(&f, NULL, NULL, 0), strlen(want) - strlen(",\"alt\":37.000"));
    /* before 1970 */
    f.time = -1;
    trc_decode_json(&f, NULL, buf, sizeof buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "1969-12-31T23:59:59.999Z"));
}

static int alloc_left;
static void *failing_alloc(size_t n)
{
    return alloc_left-- > 0 ? calloc(1, n) : NULL;
}

/*
 * Undated and rolled-over epochs.  A log of GGA without RMC has no date:
 * its 3 epochs are dropped, counted and said once, with the log's
 * "# Date:" line as a hint; with --date 2026-03-02 they are 3 fixes at
 * 12:00:00, :01, :02 that day.  A receiver with the week-rollover bug
 * says 2006-07-17 on 2026-03-02 (1024 weeks, 7,168 days, earlier; the day
 * by Python's datetime, a reference apart from our calendar); rollover 1
 * gives the true day, 0 keeps the receiver's.
 */
static void test_dates_from_the_user(void)
{
    char text[2048] = "# Date: 2026-03-02\n", line[200], body[160];
    for (int k = 0; k < 3; k++) {
        snprintf(body, sizeof body, "$GPGGA,1200%02d.00,3733.9900,N,12658.6800,E,1,08,1.0,30.0,M,18.0,M,,", k);
        nmea(line, sizeof line, body);
        strcat(text, line);
    }
    const char *path = write_tmp("undated.nmea", text, strlen(text));
    warn_log w;
    memset(&w, 0, sizeof w);
    CU_ASSERT_EQUAL_FATAL(decode_with_date(path, -1, 0, &w), TRC_OK);
    CU_ASSERT_EQUAL(dec.n, 0);
    CU_ASSERT_EQUAL(dec.counters.undated_epochs, 3);
    CU_ASSERT_EQUAL_FATAL(w.count, 1);
    CU_ASSERT(strstr(w.what[0], "3 epochs") != NULL && strstr(w.what[0], "--date 2026-03-02") != NULL);
    memset(&w, 0, sizeof w);
    CU_ASSERT_EQUAL_FATAL(decode_with_date(path, pw_days_from_civil(2026, 3, 2), 0, &w), TRC_OK);
    CU_ASSERT_EQUAL_FATAL(dec.n, 3);
    for (int k = 0; k < 3; k++)
        CU_ASSERT_EQUAL(dec.fix[k].time, iso_ms(2026, 3, 2, 12, 0, k, 0));
    CU_ASSERT_EQUAL(w.count, 0);
    remove(path);

    nmea(line, sizeof line, "$GPRMC,120000.00,A,3733.9900,N,12658.6800,E,0.1,90.0,170706,,,A");
    path = write_tmp("rollover.nmea", line, strlen(line));
    CU_ASSERT_EQUAL_FATAL(decode_with_date(path, -1, 0, NULL), TRC_OK);
    CU_ASSERT_EQUAL_FATAL(dec.n, 1);
    CU_ASSERT_EQUAL(dec.fix[0].time, iso_ms(2006, 7, 17, 12, 0, 0, 0));
    CU_ASSERT_EQUAL_FATAL(decode_with_date(path, -1, 1, NULL), TRC_OK);
    CU_ASSERT_EQUAL_FATAL(dec.n, 1);
    CU_ASSERT_EQUAL(dec.fix[0].time, iso_ms(2026, 3, 2, 12, 0, 0, 0));
    remove(path);
}

/*
 * A reference trajectory is kept epoch by epoch.  By hand: four epochs at
 * 12:00:00-03, the third of which its receiver called no fix (RMC V, GGA
 * quality 0, with coordinates): read as a trace, 3 fixes; as a reference,
 * 4, the third at its own coordinates.  An RMC with a wrong checksum
 * (stated 00) is skipped unless no_checksum reads it, counted.
 */
static void test_reference_epochs(void)
{
    char text[4096] = "", line[240], body[200];
    for (int k = 0; k < 4; k++) {
        int bad = k == 2;
        snprintf(body, sizeof body, "$GPRMC,1200%02d.00,%c,3733.99%02d,N,12658.6800,E,0.1,90.0,020326,,,%c", k,
                 bad ? 'V' : 'A', k, bad ? 'N' : 'A');
        nmea(line, sizeof line, body);
        strcat(text, line);
        snprintf(body, sizeof body, "$GPGGA,1200%02d.00,3733.99%02d,N,12658.6800,E,%d,08,1.0,30.0,M,18.0,M,,", k,
                 k, bad ? 0 : 4);
        nmea(line, sizeof line, body);
        strcat(text, line);
    }
    const char *path = write_tmp("reference.nmea", text, strlen(text));
    CU_ASSERT_EQUAL_FATAL(decode_file(path, NULL), TRC_OK);
    CU_ASSERT_EQUAL(dec.n, 3);
    CU_ASSERT_EQUAL(dec.counters.no_fix_epochs, 1);
    trc_options o;
    trc_options_default(&o);
    o.reference = 1;
    CU_ASSERT_EQUAL_FATAL(decode_with(path, &o, NULL), TRC_OK);
    CU_ASSERT_EQUAL_FATAL(dec.n, 4);
    CU_ASSERT_EQUAL(dec.counters.kept_as_reference, 1);
    CU_ASSERT_EQUAL(dec.fix[2].time, iso_ms(2026, 3, 2, 12, 0, 2, 0));
    CU_ASSERT_DOUBLE_EQUAL(dec.fix[2].lat, 37.0 + 33.9902 / 60.0, 1e-9);
    remove(path);
    /* One RMC whose checksum is wrong, alone in its epoch: skipped, so no
     * fix; read with no_checksum, one fix and one counted. */
    snprintf(text, sizeof text, "%s",
             "$GPRMC,120000.00,A,3733.9900,N,12658.6800,E,0.1,90.0,020326,,,A*00\n");
    path = write_tmp("badsum.nmea", text, strlen(text));
    CU_ASSERT_EQUAL_FATAL(decode_file(path, NULL), TRC_OK);
    CU_ASSERT_EQUAL(dec.n, 0);
    CU_ASSERT_EQUAL(dec.counters.skipped[TRC_SKIP_CHECKSUM], 1);
    trc_options_default(&o);
    o.no_checksum = 1;
    CU_ASSERT_EQUAL_FATAL(decode_with(path, &o, NULL), TRC_OK);
    CU_ASSERT_EQUAL(dec.n, 1);
    CU_ASSERT_EQUAL(dec.counters.checksum_ignored, 1);
    CU_ASSERT_EQUAL(dec.counters.skipped[TRC_SKIP_CHECKSUM], 0);
    remove(path);
}

/*
 * Rules found on gpsd logs outside tests/data (traces/README.md,
 * "Agreement with gpsd"), each checked against Debian's gpsdecode 3.22 on
 * the same sentences:
 *  - A GGA that claims quality 1 but fewer than 3 satellites used (a
 *    Hemisphere receiver writes "00" before it has a solution): gpsdecode
 *    reports mode 1 for GGA+ZDA epochs with 0, 1 or 2 satellites, mode 2
 *    with 3, mode 3 with 4.  So a GGA alone is a fix only with >= 3
 *    satellites; with RMC A after it (gpsdecode: mode 3) the RMC decides.
 *  - RMC's two-digit year: 99 is 1999 (gpsd reads 80-99 as 1980-1999),
 *    79 is 2079.
 */
static void test_gga_satellites_and_two_digit_years(void)
{
    char text[4096] = "", line[256], body[200];
    static const char *const sats[] = {"00", "01", "02", "03", "04", ""};
    for (int k = 0; k < 6; k++) {
        snprintf(body, sizeof body, "$GPGGA,1940%02d.00,4221.8237733,N,07101.9411707,W,1,%s,3.3,10.8,M,-33.3,M,,",
                 50 + k, sats[k]);
        nmea(line, sizeof line, body);
        strcat(text, line);
        snprintf(body, sizeof body, "$GPZDA,1940%02d.00,07,09,2018,00,00", 50 + k);
        nmea(line, sizeof line, body);
        strcat(text, line);
    }
    const char *path = write_tmp("sats.nmea", text, strlen(text));
    CU_ASSERT_EQUAL_FATAL(decode_file(path, NULL), TRC_OK);
    CU_ASSERT_EQUAL(dec.n, 2); /* 3 and 4 satellites */
    if (dec.n == 2) {
        CU_ASSERT_EQUAL(dec.fix[0].time, iso_ms(2018, 9, 7, 19, 40, 53, 0));
        CU_ASSERT_EQUAL(dec.fix[1].time, iso_ms(2018, 9, 7, 19, 40, 54, 0));
    }
    CU_ASSERT_EQUAL(dec.counters.unconfirmed_epochs, 4);
    /* the same GGA with 0 satellites, then RMC A: the RMC decides */
    text[0] = '\0';
    nmea(line, sizeof line, "$GPGGA,194050.00,4221.8237733,N,07101.9411707,W,1,00,3.3,10.8,M,-33.3,M,,");
    strcat(text, line);
    nmea(line, sizeof line, "$GPRMC,194050.00,A,4221.8237733,N,07101.9411707,W,0.0,0.0,070918,,,A");
    strcat(text, line);
    /* two-digit years */
    nmea(line, sizeof line, "$GPRMC,000231.42,A,4829.0005,N,00022.0016,E,0.16,212.28,220899,,,A");
    strcat(text, line);
    nmea(line, sizeof line, "$GPRMC,000232.42,A,4829.0005,N,00022.0016,E,0.16,212.28,220879,,,A");
    strcat(text, line);
    path = write_tmp("sats.nmea", text, strlen(text));
    CU_ASSERT_EQUAL_FATAL(decode_file(path, NULL), TRC_OK);
    CU_ASSERT_EQUAL(dec.n, 3);
    if (dec.n == 3) {
        CU_ASSERT_EQUAL(dec.fix[0].time, iso_ms(2018, 9, 7, 19, 40, 50, 0));
        CU_ASSERT_EQUAL(dec.fix[1].time, iso_ms(1999, 8, 22, 0, 2, 31, 420));
        CU_ASSERT_EQUAL(dec.fix[2].time, iso_ms(2079, 8, 22, 0, 2, 32, 420));
    }
    remove(path);
}

/*
 * A phone's NMEA export (Android, as in the Google Smartphone Decimeter
 * Challenge recordings) marks every GGA with quality 7 while its RMC says
 * A.  Debian's gpsdecode 3.22 on these very sentences reports every epoch
 * as a 3-D fix (mode 3, altitude 30 m MSL), with RMC A, with a ZDA for
 * the date, and for quality 8 alike; with RMC V it gives no time (no
 * fix).  By hand: 5 epochs each way give 5 fixes with mode 3 and altitude
 * 30 m (the old reading gave 0); the same GGAs with no date at all give
 * none, and the counters say why: 5 valid epochs with no date.
 */
static void test_phone_quality_7(void)
{
    static const char *const second[] = {
        "$GPRMC,1200%02d.00,A,3733.9900,N,12658.6800,E,0.1,90.0,010526,,,A",
        "$GPZDA,1200%02d.00,01,05,2026,00,00",
        "$GPRMC,1200%02d.00,V,3733.9900,N,12658.6800,E,0.1,90.0,010526,,,N",
        NULL,
    };
    static const size_t expect[] = {5, 5, 0, 0};
    for (int quality = 7; quality <= 8; quality++) {
        for (int w = 0; w < 4; w++) {
            char text[4096] = "", s1[200], s2[200], body[160];
            for (int k = 0; k < 5; k++) {
                snprintf(body, sizeof body, "$GPGGA,1200%02d.00,3733.9900,N,12658.6800,E,%d,08,1.0,30.0,M,18.0,M,,",
                         k, quality);
                nmea(s1, sizeof s1, body);
                strcat(text, s1);
                if (second[w]) {
                    snprintf(body, sizeof body, second[w], k);
                    nmea(s2, sizeof s2, body);
                    strcat(text, s2);
                }
            }
            const char *path = write_tmp("phone.nmea", text, strlen(text));
            CU_ASSERT_EQUAL_FATAL(decode_file(path, NULL), TRC_OK);
            CU_ASSERT_EQUAL(dec.n, expect[w]);
            if (dec.n == 5) {
                CU_ASSERT_EQUAL(dec.fix[0].time, iso_ms(2026, 5, 1, 12, 0, 0, 0));
                CU_ASSERT_DOUBLE_EQUAL(dec.fix[0].lat, 37.0 + 33.99 / 60.0, 1e-9);
                CU_ASSERT_EQUAL(dec.extra[0].mode, 3);
                CU_ASSERT_DOUBLE_EQUAL(dec.extra[0].alt_msl_m, 30.0, 1e-9);
            }
            if (w == 2)
                CU_ASSERT_EQUAL(dec.counters.no_fix_epochs, 5);
            if (w == 3)
                CU_ASSERT_EQUAL(dec.counters.undated_epochs, 5);
            remove(path);
        }
    }
}

/*
 * Mixed logs, as gpspipe -w -r and gpsd's own regression logs write them:
 * gpsd JSON lines and NMEA sentences in one file.  Each line is read as
 * what it is, and one kind gives the fixes (the first to give one).  By
 * hand from haicom-305N.log, 325 NMEA lines giving 68 fixes:
 *   - with gpsd's VERSION and DEVICES lines in front (they used to decide
 *     the whole file was JSON: 0 fixes), the same 68 fixes, 2 lines read
 *     as JSON and 325 as NMEA;
 *   - with every epoch twice, the 68 TPV objects gpsd would write before
 *     or after the NMEA: 68 fixes, the 68 of the other kind dropped, the
 *     same times either way.
 */
static void test_mixed_logs(void)
{
    CU_ASSERT_EQUAL_FATAL(decode_file(GPSD_DIR "/haicom-305N.log", NULL), TRC_OK);
    CU_ASSERT_EQUAL_FATAL(dec.n, 68);
    static pw_time_ms times[68];
    static char tpv_line[68][512];
    for (size_t k = 0; k < 68; k++) {
        times[k] = dec.fix[k].time;
        size_t n = trc_decode_json(&dec.fix[k], &dec.extra[k], tpv_line[k], sizeof tpv_line[k]);
        CU_ASSERT_FATAL(n < sizeof tpv_line[k]);
    }
    FILE *in = fopen(GPSD_DIR "/haicom-305N.log", "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    static char nmea_text[65536];
    size_t len = fread(nmea_text, 1, sizeof nmea_text - 1, in);
    fclose(in);
    nmea_text[len] = '\0';
    static char text[65536 + 68 * 512 + 1024];
    for (int layout = 0; layout < 3; layout++) {
        text[0] = '\0';
        if (layout == 0)
            strcat(text, "{\"class\":\"VERSION\",\"release\":\"3.22\",\"proto_major\":3,\"proto_minor\":14}\n"
                         "{\"class\":\"DEVICES\",\"devices\":[{\"class\":\"DEVICE\",\"path\":\"/dev/ttyS0\"}]}\n");
        if (layout == 1)
            for (size_t k = 0; k < 68; k++)
                strcat(strcat(text, tpv_line[k]), "\n");
        strcat(text, nmea_text);
        if (layout == 2)
            for (size_t k = 0; k < 68; k++)
                strcat(strcat(text, tpv_line[k]), "\n");
        const char *path = write_tmp("mixed.log", text, strlen(text));
        CU_ASSERT_EQUAL_FATAL(decode_file(path, NULL), TRC_OK);
        printf("\n    layout %d: %zu fixes, %ld NMEA and %ld JSON lines, %ld of the other kind dropped ", layout,
               dec.n, dec.counters.lines_nmea, dec.counters.lines_json, dec.counters.fixes_other_kind);
        CU_ASSERT_EQUAL(dec.end, TRC_EOF);
        CU_ASSERT_EQUAL_FATAL(dec.n, 68);
        for (size_t k = 0; k < 68; k++)
            CU_ASSERT_EQUAL(dec.fix[k].time, times[k]);
        CU_ASSERT_EQUAL(dec.counters.lines_nmea, 325);
        CU_ASSERT_EQUAL(dec.counters.lines_json, layout == 0 ? 2 : 68);
        CU_ASSERT_EQUAL(dec.counters.fixes_other_kind, layout == 0 ? 0 : 68);
        CU_ASSERT_EQUAL(dec.counters.fixes, 68);
        remove(path);
    }
}

static void test_open_errors(void)
{
    trc_reader *rd = (trc_reader *)&rd;
    CU_ASSERT_EQUAL(trc_open("decode_no_such_file", NULL, &rd), TRC_EOPEN);
    CU_ASSERT_PTR_NULL(rd);
    CU_ASSERT_EQUAL(trc_open(NULL, NULL, &rd), TRC_EINVAL);
    trc_options o;
    trc_options_default(&o);
    o.alloc = failing_alloc;
    o.free_fn = free;
    for (int k = 0; k < 2; k++) {
        alloc_left = k;
        CU_ASSERT_EQUAL(trc_open(GPSD_DIR "/bt451.log", &o, &rd), TRC_ENOMEM);
    }
    alloc_left = 2;
    CU_ASSERT_EQUAL_FATAL(trc_open(GPSD_DIR "/bt451.log", &o, &rd), TRC_OK);
    trc_close(rd);
    /* a file with nothing recognisable */
    const char junk[] = "hello\nworld\n";
    const char *path = write_tmp("junk.txt", junk, sizeof junk - 1);
    CU_ASSERT_EQUAL_FATAL(trc_open(path, NULL, &rd), TRC_OK);
    pw_fix f;
    CU_ASSERT_EQUAL(trc_next(rd, &f, NULL), TRC_EFORMAT);
    CU_ASSERT_EQUAL(trc_get_counters(rd)->skipped[TRC_SKIP_GARBAGE], 2);
    trc_close(rd);
    remove(path);
    CU_ASSERT_STRING_EQUAL(trc_strerror(TRC_ENOMEM), "out of memory");
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"gpsd agreement on 30 logs", test_gpsd_agreement},
        {"gpsd agreement on logs named by PW_GPSD_LOGS", test_gpsd_agreement_elsewhere},
        {"bad input skipped, counted, warned; nothing lost", test_bad_input},
        {"epochs, dates, midnight, no-fix sentences, accuracy", test_epochs_and_dates},
        {"gpsd JSON through libgps", test_gpsd_json},
        {"CSV traces", test_csv},
        {"gpsdecode-style output line", test_output_line},
        {"open errors and allocation failure", test_open_errors},
        {"mixed gpsd JSON and NMEA logs give one fix stream", test_mixed_logs},
        {"a phone's GGA quality 7 (or 8) is a fix, as gpsd reads it", test_phone_quality_7},
        {"GGA with under 3 satellites; two-digit years", test_gga_satellites_and_two_digit_years},
        {"a reference keeps its epochs; no_checksum", test_reference_epochs},
        {"undated epochs: --date, the header as a hint; --rollover", test_dates_from_the_user},
        {NULL, NULL},
    };
    return pw_test_main("decode", tests);
}
