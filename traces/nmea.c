/*
 * nmea.c - NMEA 0183 sentence decoder: one line in, epoch state and at most
 * one finished fix out.  Pure: no I/O, no allocation, no globals.
 *
 * The decoder works in two steps.  A sentence is first parsed completely
 * into a `sentence` record, checking every field it uses; only a sentence
 * that parsed cleanly is then merged into the epoch.  So a bad sentence can
 * never leave half of its values behind, and "skip it" is just "return".
 */
#include "traces.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FIELDS 40
#define MAX_BODY 240          /* NMEA allows 82; some receivers add digits */
#define MS_PER_DAY 86400000
#define HALF_DAY_MS 43200000
#define KNOT_MPS (1852.0 / 3600.0)
#define KMH_MPS (1.0 / 3.6)

#define MAX_SPEED_KN 2000.0    /* faster is a broken sentence, not a tag */

static int days_in_month(int y, int m)
{
    static const int dm[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* ---- one parsed sentence --------------------------------------------- */

enum pos_state { POS_NONE = 0, POS_VALID, POS_INVALID };

typedef struct sentence {
    int has_time;
    int32_t tod_ms;
    int32_t date_days;  /* -1 none */
    enum pos_state pos;
    int pos_rank;       /* GGA 4, GNS 3, RMC 2, GLL 1: which position wins */
    int dr;
    double lat, lon, alt_msl_m, speed_mps, track_deg, hdop;
    double sigma_lat_m, sigma_lon_m;
    int gsa_mode, gga_quality, sats;
} sentence;

static void sentence_clear(sentence *s)
{
    memset(s, 0, sizeof *s);
    s->date_days = -1;
    s->lat = s->lon = s->alt_msl_m = s->speed_mps = s->track_deg = s->hdop = NAN;
    s->sigma_lat_m = s->sigma_lon_m = NAN;
    s->sats = -1;
}

/* Parse status of one field. */
typedef enum { F_EMPTY = 0, F_OK, F_BAD, F_RANGE } fstat;

typedef struct parse_ctx {
    char *const *f;     /* fields */
    int nf;
    const char *type;   /* "GGA" ... */
    char *detail;       /* st->detail */
    size_t detail_n;
    trc_skip_reason why;
} parse_ctx;

static int fail(parse_ctx *c, trc_skip_reason why, int field, const char *what)
{
    c->why = why;
    snprintf(c->detail, c->detail_n, "%s field %d: %s", c->type, field, what);
    return -1;
}

static const char *fld(const parse_ctx *c, int i)
{
    return i < c->nf ? c->f[i] : "";
}

/* A plain decimal number: [+-]digits[.digits] or .digits.  strtod alone
 * would also take "inf", hex and exponents, none of which NMEA has. */
static fstat num(const char *s, double *out)
{
    if (!*s)
        return F_EMPTY;
    const char *p = s;
    if (*p == '-' || *p == '+')
        p++;
    int digits = 0, dots = 0;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9')
            digits++;
        else if (*p == '.' && !dots)
            dots++;
        else
            return F_BAD;
    }
    if (!digits || p - s > 20)
        return F_BAD;
    /* Digits as an integer over a power of ten: both exact in a double
     * while the mantissa stays under 2^53, so the one division is
     * correctly rounded, as strtod's result would be, at a fraction of its
     * cost.  Longer mantissas go to strtod. */
    static const double pow10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
                                   1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20};
    uint64_t mant = 0;
    int frac = 0, in_frac = 0, neg = s[0] == '-';
    for (const char *q = s + (*s == '-' || *s == '+'); *q; q++) {
        if (*q == '.') {
            in_frac = 1;
            continue;
        }
        mant = mant * 10 + (uint64_t)(*q - '0');
        frac += in_frac;
    }
    if (mant < (1ull << 53)) {
        *out = (double)mant / pow10[frac];
        if (neg)
            *out = -*out;
        return F_OK;
    }
    *out = strtod(s, NULL);
    return isfinite(*out) ? F_OK : F_BAD;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int two(const char *s)
{
    return (s[0] - '0') * 10 + (s[1] - '0');
}

/* hhmmss[.f...] -> ms of the day.  Fractions beyond ms are truncated:
 * receivers give at most 3 decimals, and gpsd prints ms. */
static fstat parse_time(const char *s, int32_t *tod_ms)
{
    if (!*s)
        return F_EMPTY;
    size_t n = strlen(s);
    if (n < 6 || !all_digits(s, 6))
        return F_BAD;
    int ms = 0;
    if (n > 6) {
        if (s[6] != '.' || !all_digits(s + 7, n - 7) || n - 7 > 9)
            return F_BAD;
        int scale = 100;
        for (size_t i = 7; i < n && scale > 0; i++, scale /= 10)
            ms += (s[i] - '0') * scale;
    }
    int h = two(s), m = two(s + 2), sec = two(s + 4);
    /* A leap second (ss = 60) is refused rather than folded into the next
     * day's 00:00:00, which would invent a time. */
    if (h > 23 || m > 59 || sec > 59)
        return F_RANGE;
    *tod_ms = ((h * 60 + m) * 60 + sec) * 1000 + ms;
    return F_OK;
}

/* ddmmyy (RMC) -> days.  The format has no century: yy 80-99 are 1980-1999
 * (GPS began in 1980), 00-79 are 2000-2079, as gpsd reads them (gpsd 3.22
 * and 3.27 both take 99 as 1999; 3.22 then moves old dates on by 1024-week
 * steps, which we leave to --rollover). */
static fstat parse_ddmmyy(const char *s, int32_t *days)
{
    if (!*s)
        return F_EMPTY;
    if (strlen(s) != 6 || !all_digits(s, 6))
        return F_BAD;
    int d = two(s), m = two(s + 2), yy = two(s + 4), y = (yy >= 80 ? 1900 : 2000) + yy;
    if (m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return F_RANGE;
    *days = (int32_t)pw_days_from_civil(y, m, d);
    return F_OK;
}

/* Latitude ddmm.mmm + N/S, or longitude dddmm.mmm + E/W. */
static fstat parse_angle(const char *v, const char *hemi, int is_lat, double *deg)
{
    if (!*v && !*hemi)
        return F_EMPTY;
    double x;
    if (num(v, &x) != F_OK || x < 0 || v[0] == '+' || v[0] == '-')
        return F_BAD;
    char pos = is_lat ? 'N' : 'E', neg = is_lat ? 'S' : 'W';
    if (!(hemi[0] == pos || hemi[0] == neg) || hemi[1])
        return F_BAD;
    double d = floor(x / 100.0), minutes = x - d * 100.0;
    if (minutes >= 60.0)
        return F_RANGE;
    double out = d + minutes / 60.0;
    if (out > (is_lat ? 90.0 : 180.0))
        return F_RANGE;
    *deg = hemi[0] == neg ? -out : out;
    return F_OK;
}

static int need_fields(parse_ctx *c, int n)
{
    if (c->nf < n) {
        c->why = TRC_SKIP_MALFORMED;
        snprintf(c->detail, c->detail_n, "%s has %d fields, needs %d", c->type, c->nf - 1, n - 1);
        return -1;
    }
    return 0;
}

static int get_time(parse_ctx *c, int i, sentence *s)
{
    fstat r = parse_time(fld(c, i), &s->tod_ms);
    if (r == F_BAD)
        return fail(c, TRC_SKIP_MALFORMED, i, "bad time");
    if (r == F_RANGE)
        return fail(c, TRC_SKIP_RANGE, i, "time out of range");
    s->has_time = r == F_OK;
    return 0;
}

static int get_latlon(parse_ctx *c, int i, sentence *s, int *have)
{
    double lat = NAN, lon = NAN;
    fstat a = parse_angle(fld(c, i), fld(c, i + 1), 1, &lat);
    fstat b = parse_angle(fld(c, i + 2), fld(c, i + 3), 0, &lon);
    if (a == F_BAD || b == F_BAD)
        return fail(c, TRC_SKIP_MALFORMED, a == F_BAD ? i : i + 2, "bad latitude/longitude");
    if (a == F_RANGE)
        return fail(c, TRC_SKIP_RANGE, i, "latitude beyond 90 degrees or minutes >= 60");
    if (b == F_RANGE)
        return fail(c, TRC_SKIP_RANGE, i + 2, "longitude beyond 180 degrees or minutes >= 60");
    *have = a == F_OK && b == F_OK;
    if (*have) {
        s->lat = lat;
        s->lon = lon;
    }
    return 0;
}

/* An optional number with bounds; empty leaves *out NAN. */
static int get_num(parse_ctx *c, int i, double lo, double hi, double *out, const char *what)
{
    double x;
    fstat r = num(fld(c, i), &x);
    if (r == F_EMPTY)
        return 0;
    if (r == F_BAD)
        return fail(c, TRC_SKIP_MALFORMED, i, what);
    if (!(x >= lo && x <= hi))
        return fail(c, TRC_SKIP_RANGE, i, what);
    *out = x;
    return 0;
}

/* NMEA 2.3+ mode indicator: N = not valid, E = estimated (dead reckoning);
 * A, D, P, R, F, M, S are fixes of various kinds.  M (manual) and S
 * (simulator) are not measurements. */
static enum pos_state mode_char(char m, int *dr)
{
    switch (m) {
    case 'A': case 'D': case 'P': case 'R': case 'F':
        return POS_VALID;
    case 'E':
        *dr = 1;
        return POS_VALID;
    case '\0':
        return POS_NONE;
    default:
        return POS_INVALID;
    }
}

/* $--GGA,time,lat,N,lon,E,quality,sats,hdop,alt,M,sep,M,age,station */
/* Fields 7-9 of GGA and GNS: satellites used, HDOP, altitude (MSL). */
static int get_sats_hdop_alt(parse_ctx *c, sentence *s)
{
    double sats = NAN;
    if (get_num(c, 7, 0, 99, &sats, "bad satellite count") ||
        get_num(c, 8, 0, 999, &s->hdop, "bad HDOP") ||
        get_num(c, 9, -1500, 1e5, &s->alt_msl_m, "bad altitude"))
        return -1;
    if (isfinite(sats))
        s->sats = (int)sats;
    if (s->hdop == 0)
        s->hdop = NAN; /* 0 is "unknown" on some receivers, never a real DOP */
    return 0;
}

static int parse_gga(parse_ctx *c, sentence *s)
{
    int have = 0;
    if (need_fields(c, 10) || get_time(c, 1, s) || get_latlon(c, 2, s, &have))
        return -1;
    const char *q = fld(c, 6);
    if (*q && (q[1] || q[0] < '0' || q[0] > '9'))
        return fail(c, q[1] ? TRC_SKIP_RANGE : TRC_SKIP_MALFORMED, 6, "bad fix quality");
    s->gga_quality = *q ? q[0] - '0' : -1;
    if (get_sats_hdop_alt(c, s))
        return -1;
    s->pos_rank = 4;
    /* Quality 0 = invalid; 6 = dead reckoning; 7 (manual input) and 8
     * (simulator) are fixes as gpsd 3.22 reads them (mode 3): Android's
     * NMEA export marks every GGA 7.  Any quality with fewer than 3
     * satellites used (or none given) is no fix to gpsd (mode 1); a
     * Hemisphere receiver writes quality 1 with "00" before its first
     * solution.  Such a GGA says nothing either way: the epoch's RMC or GLL
     * decides (gpsd's verdict there depends on the sentence order). */
    if (s->gga_quality == 0 || s->gga_quality > 8)
        s->pos = POS_INVALID;
    else if (have && s->gga_quality > 0 && s->sats >= 3)
        s->pos = POS_VALID;
    s->dr = s->gga_quality == 6;
    return 0;
}

/* $--RMC,time,status,lat,N,lon,E,speed_kn,track,ddmmyy,magvar,E[,mode[,nav]] */
static int parse_rmc(parse_ctx *c, sentence *s)
{
    int have = 0;
    if (need_fields(c, 10) || get_time(c, 1, s) || get_latlon(c, 3, s, &have))
        return -1;
    const char *st = fld(c, 2);
    if (st[0] && (st[1] || (st[0] != 'A' && st[0] != 'V')))
        return fail(c, TRC_SKIP_MALFORMED, 2, "status is neither A nor V");
    double kn = NAN;
    if (get_num(c, 7, 0, MAX_SPEED_KN, &kn, "bad speed") ||
        get_num(c, 8, 0, 360, &s->track_deg, "bad track"))
        return -1;
    int32_t days = -1;
    fstat r = parse_ddmmyy(fld(c, 9), &days);
    if (r == F_BAD)
        return fail(c, TRC_SKIP_MALFORMED, 9, "bad date");
    if (r == F_RANGE)
        return fail(c, TRC_SKIP_RANGE, 9, "date out of range");
    enum pos_state mode = mode_char(fld(c, 12)[0], &s->dr);
    s->pos_rank = 2;
    if (st[0] == 'A' && mode != POS_INVALID) {
        /* Only a valid RMC's date is trusted: receivers without a fix
         * often send a stale or default date (gpsd does the same). */
        s->date_days = (s->has_time && days >= 0) ? days : -1;
        if (have)
            s->pos = POS_VALID;
        s->speed_mps = isfinite(kn) ? kn * KNOT_MPS : NAN;
    } else {
        s->pos = POS_INVALID;
        s->track_deg = NAN;
    }
    return 0;
}

/* $--GLL,lat,N,lon,E[,time,status[,mode]] */
static int parse_gll(parse_ctx *c, sentence *s)
{
    int have = 0;
    if (need_fields(c, 5) || get_latlon(c, 1, s, &have) || get_time(c, 5, s))
        return -1;
    const char *st = fld(c, 6);
    if (st[0] && (st[1] || (st[0] != 'A' && st[0] != 'V')))
        return fail(c, TRC_SKIP_MALFORMED, 6, "status is neither A nor V");
    enum pos_state mode = mode_char(fld(c, 7)[0], &s->dr);
    s->pos_rank = 1;
    if (st[0] == 'V' || mode == POS_INVALID)
        s->pos = POS_INVALID;
    else if (st[0] == 'A' && have)
        s->pos = POS_VALID;
    return 0;
}

/* $--GNS,time,lat,N,lon,E,modes,sats,hdop,alt,sep,age,station[,nav] */
static int parse_gns(parse_ctx *c, sentence *s)
{
    int have = 0;
    if (need_fields(c, 10) || get_time(c, 1, s) || get_latlon(c, 2, s, &have))
        return -1;
    if (get_sats_hdop_alt(c, s))
        return -1;
    /* One mode character per constellation: valid if any is. */
    enum pos_state best = POS_NONE;
    int dr = 0;
    for (const char *m = fld(c, 6); *m; m++) {
        int d = 0;
        enum pos_state p = mode_char(*m, &d);
        if (p == POS_VALID && best != POS_VALID) {
            best = POS_VALID;
            dr = d;
        } else if (p == POS_VALID && !d) {
            dr = 0;
        } else if (p == POS_INVALID && best == POS_NONE) {
            best = POS_INVALID;
        }
    }
    s->pos_rank = 3;
    s->dr = dr;
    s->pos = (best == POS_VALID && !have) ? POS_NONE : best;
    return 0;
}

/* $--GSA,sel,fixtype,sv x 12,pdop,hdop,vdop[,system] */
static int parse_gsa(parse_ctx *c, sentence *s)
{
    if (need_fields(c, 18))
        return -1;
    const char *t = fld(c, 2);
    if (*t && (t[1] || t[0] < '1' || t[0] > '3'))
        return fail(c, TRC_SKIP_RANGE, 2, "fix type not 1, 2 or 3");
    s->gsa_mode = *t ? t[0] - '0' : 0;
    double pdop = NAN;
    if (get_num(c, 15, 0, 999, &pdop, "bad PDOP") ||
        get_num(c, 16, 0, 999, &s->hdop, "bad HDOP"))
        return -1;
    if (s->hdop == 0 || s->gsa_mode < 2)
        s->hdop = NAN;
    return 0;
}

/* $--GST,time,rms,major,minor,orient,sigma_lat,sigma_lon,sigma_alt */
static int parse_gst(parse_ctx *c, sentence *s)
{
    if (need_fields(c, 8) || get_time(c, 1, s) ||
        get_num(c, 6, 0, 1e6, &s->sigma_lat_m, "bad latitude sigma") ||
        get_num(c, 7, 0, 1e6, &s->sigma_lon_m, "bad longitude sigma"))
        return -1;
    return 0;
}

/* $--VTG,track,T,magtrack,M,speed_kn,N,speed_kmh,K[,mode] */
static int parse_vtg(parse_ctx *c, sentence *s)
{
    if (need_fields(c, 8))
        return -1;
    double kn = NAN, kmh = NAN;
    if (get_num(c, 1, 0, 360, &s->track_deg, "bad track") ||
        get_num(c, 5, 0, MAX_SPEED_KN, &kn, "bad speed") ||
        get_num(c, 7, 0, MAX_SPEED_KN * 1.852, &kmh, "bad speed"))
        return -1;
    int dr = 0;
    if (mode_char(fld(c, 9)[0], &dr) == POS_INVALID) {
        s->track_deg = NAN;
        return 0;
    }
    s->speed_mps = isfinite(kn) ? kn * KNOT_MPS : isfinite(kmh) ? kmh * KMH_MPS : NAN;
    return 0;
}

/* $--ZDA,time,dd,mm,yyyy,tzh,tzm */
static int parse_zda(parse_ctx *c, sentence *s)
{
    if (need_fields(c, 5) || get_time(c, 1, s))
        return -1;
    const char *d = fld(c, 2), *m = fld(c, 3), *y = fld(c, 4);
    if (!*d && !*m && !*y)
        return 0;
    if (strlen(d) != 2 || strlen(m) != 2 || strlen(y) != 4 || !all_digits(d, 2) ||
        !all_digits(m, 2) || !all_digits(y, 4))
        return fail(c, TRC_SKIP_MALFORMED, 2, "bad date");
    int day = two(d), mon = two(m), year = atoi(y);
    /* Before 1980 (GPS epoch) or far ahead: a receiver's default, not a date. */
    if (year < 1980 || year > 2200 || mon < 1 || mon > 12 || day < 1 ||
        day > days_in_month(year, mon))
        return fail(c, TRC_SKIP_RANGE, 2, "date out of range");
    if (s->has_time)
        s->date_days = (int32_t)pw_days_from_civil(year, mon, day);
    return 0;
}

static int parse_gsv(parse_ctx *c, sentence *s)
{
    (void)s;
    return need_fields(c, 4);
}

typedef int (*parse_fn)(parse_ctx *, sentence *);

static const struct {
    const char type[4];
    parse_fn fn;
} parsers[] = {
    {"GGA", parse_gga}, {"RMC", parse_rmc}, {"GLL", parse_gll}, {"GNS", parse_gns},
    {"GSA", parse_gsa}, {"GST", parse_gst}, {"VTG", parse_vtg}, {"ZDA", parse_zda},
    {"GSV", parse_gsv},
};

/* ---- epochs ---------------------------------------------------------- */

static void epoch_start(trc_nmea_epoch *ep, int32_t tod_ms, long line_no)
{
    memset(ep, 0, sizeof *ep);
    ep->open = 1;
    ep->tod_ms = tod_ms;
    ep->date_days = -1;
    ep->lat = ep->lon = ep->alt_msl_m = ep->speed_mps = ep->track_deg = ep->hdop = NAN;
    ep->sigma_lat_m = ep->sigma_lon_m = NAN;
    ep->gga_quality = -1;
    ep->sats = -1;
    ep->last_line = line_no;
}

static void epoch_merge(trc_nmea_epoch *ep, const sentence *s, long line_no)
{
    ep->last_line = line_no;
    if (isfinite(s->lat) && isfinite(s->lon)) {
        ep->has_position = 1;
        ep->any_lat = s->lat;
        ep->any_lon = s->lon;
    }
    if (s->pos == POS_VALID) {
        ep->valid_votes++;
        /* The last valid position of the epoch wins, as in gpsd: a
         * multiplexer (NMEA 2000 gateways, boats) may send an epoch's
         * GGA, RMC and GLL from slightly different instants. */
        ep->pos_rank = s->pos_rank;
        ep->lat = s->lat;
        ep->lon = s->lon;
        ep->dr |= s->dr;
    } else if (s->pos == POS_INVALID) {
        ep->invalid_votes++;
    }
    if (s->date_days >= 0)
        ep->date_days = s->date_days;
    if (isfinite(s->speed_mps))
        ep->speed_mps = s->speed_mps;
    if (isfinite(s->track_deg))
        ep->track_deg = s->track_deg;
    if (isfinite(s->alt_msl_m) && s->pos == POS_VALID)
        ep->alt_msl_m = s->alt_msl_m;
    if (isfinite(s->hdop) && !isfinite(ep->hdop))
        ep->hdop = s->hdop;
    if (isfinite(s->sigma_lat_m) && isfinite(s->sigma_lon_m)) {
        ep->sigma_lat_m = s->sigma_lat_m;
        ep->sigma_lon_m = s->sigma_lon_m;
    }
    if (s->gsa_mode > ep->gsa_mode)
        ep->gsa_mode = s->gsa_mode;
    if (s->gga_quality >= 0)
        ep->gga_quality = s->gga_quality;
    if (s->sats >= 0)
        ep->sats = s->sats;
}

/* Close the open epoch: date it, and make a fix of it if it is one. */
static trc_nmea_result epoch_finish(trc_nmea_state *st, pw_fix *fix, trc_fix_extra *extra)
{
    trc_nmea_epoch *ep = &st->ep;
    if (!ep->open)
        return TRC_NMEA_NONE;
    ep->open = 0;

    int32_t days = ep->date_days;
    if (days < 0 && st->carry_days >= 0) {
        days = st->carry_days;
        /* The time of day fell back by more than half a day: we crossed
         * midnight (a small step back is a receiver glitch, not a day). */
        if (ep->tod_ms < st->carry_tod_ms - HALF_DAY_MS)
            days++;
    }
    if (days >= 0) {
        st->carry_days = days;
        st->carry_tod_ms = ep->tod_ms;
    }

    if ((ep->valid_votes == 0 || ep->invalid_votes > 0) && st->reference && ep->has_position) {
        /* A reference keeps its epochs whatever its receiver wrote. */
        st->n.kept_as_reference++;
        ep->lat = ep->any_lat;
        ep->lon = ep->any_lon;
    } else if (ep->valid_votes == 0 || ep->invalid_votes > 0) {
        if (ep->invalid_votes > 0)
            st->n.no_fix_epochs++;
        else if (ep->has_position)
            st->n.unconfirmed_epochs++;
        return TRC_NMEA_NONE;
    }
    if (days < 0) {
        st->n.undated_epochs++;
        return TRC_NMEA_NONE;
    }

    pw_fix f;
    pw_fix_clear(&f);
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET;
    f.time = (pw_time_ms)days * MS_PER_DAY + ep->tod_ms;
    f.lat = ep->lat;
    f.lon = ep->lon;
    f.source = ep->dr ? PW_SRC_DR : PW_SRC_GNSS;
    if (isfinite(ep->speed_mps)) {
        f.speed_mps = ep->speed_mps;
        f.set |= PW_FIX_SPEED_SET;
    }
    if (isfinite(ep->track_deg)) {
        f.heading_deg = ep->track_deg >= 360.0 ? 0.0 : ep->track_deg;
        f.set |= PW_FIX_HEADING_SET;
    }
    if (isfinite(ep->hdop)) {
        f.hdop = ep->hdop;
        f.set |= PW_FIX_HDOP_SET;
    }
    if (ep->sats >= 0) {
        f.sats = ep->sats;
        f.set |= PW_FIX_SATS_SET;
    }
    /* GST sigmas are the receiver's own 1-sigma errors per axis; their RMS
     * is the sigma of the equivalent circular Gaussian.  For an elongated
     * ellipse this overstates the 68 % radius by at most 7 % (a 1-D error:
     * 1.067 sigma instead of 0.994), a safe side for gating. */
    if (isfinite(ep->sigma_lat_m) && isfinite(ep->sigma_lon_m) &&
        ep->sigma_lat_m + ep->sigma_lon_m > 0) {
        double s = sqrt((ep->sigma_lat_m * ep->sigma_lat_m + ep->sigma_lon_m * ep->sigma_lon_m) / 2);
        f.acc_m = ENG_ACC68_PER_SIGMA * s;
        f.set |= PW_FIX_ACC_SET;
    } else if (isfinite(ep->hdop)) {
        /* HDOP x UERE is the 2-D error; one axis carries 1 / sqrt 2 of it
         * (the engine's reading of HDOP, track.c). */
        f.acc_m = ENG_ACC68_PER_SIGMA * ep->hdop * ENG_UERE_M_DEFAULT * M_SQRT1_2;
        f.set |= PW_FIX_ACC_SET;
    }

    trc_fix_extra x;
    memset(&x, 0, sizeof x);
    x.alt_msl_m = x.eph_m = NAN;
    x.line = ep->last_line;
    x.mode = ep->gsa_mode >= 2 ? ep->gsa_mode : isfinite(ep->alt_msl_m) ? 3 : 2;
    x.set = TRC_EXTRA_MODE_SET;
    if (isfinite(ep->alt_msl_m) && x.mode == 3) {
        x.alt_msl_m = ep->alt_msl_m;
        x.set |= TRC_EXTRA_ALT_SET;
    }
    if (f.set & PW_FIX_ACC_SET) {
        x.eph_m = f.acc_m * ENG_ACC95_PER_SIGMA / ENG_ACC68_PER_SIGMA;
        x.set |= TRC_EXTRA_EPH_SET;
    }
    st->n.fixes++;
    if (fix)
        *fix = f;
    if (extra)
        *extra = x;
    return TRC_NMEA_FIX;
}

/* ---- public ---------------------------------------------------------- */

void trc_nmea_init(trc_nmea_state *st)
{
    memset(st, 0, sizeof *st);
    st->carry_days = -1;
    st->carry_tod_ms = 0;
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    return -1;
}

static trc_nmea_result skip(trc_nmea_state *st, trc_skip_reason r, trc_skip_reason *why)
{
    st->n.skipped[r]++;
    st->n.skipped_total++;
    if (why)
        *why = r;
    return TRC_NMEA_SKIPPED;
}

static int is_upper_alnum(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

trc_nmea_result trc_nmea_decode(trc_nmea_state *st, const char *line, size_t len,
                                long line_no, pw_fix *fix, trc_fix_extra *extra,
                                trc_skip_reason *why)
{
    while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' || line[len - 1] == ' '))
        len--;
    if (len == 0)
        return TRC_NMEA_NONE;
    st->n.sentences++;
    if (line[0] == '!') {          /* AIS and other encapsulated sentences */
        st->n.ignored++;
        return TRC_NMEA_NONE;
    }
    if (line[0] != '$') {
        snprintf(st->detail, sizeof st->detail, "not a sentence (does not start with '$')");
        return skip(st, TRC_SKIP_GARBAGE, why);
    }
    /* One pass over the bytes: printable only, the first '*', the XOR of
     * the bytes between '$' and it, and the body copied and split into
     * fields at its commas (so the parsers get NUL-terminated fields). */
    const char *star = NULL;
    unsigned sum = 0;
    char body[MAX_BODY + 1];
    char *fields[MAX_FIELDS];
    int nf = 0, too_many_fields = 0;
    fields[nf++] = body;
    for (size_t i = 1; i < len; i++) {
        unsigned char ch = (unsigned char)line[i];
        if (ch < 0x20 || ch > 0x7e) {
            snprintf(st->detail, sizeof st->detail, "control or non-ASCII byte 0x%02X at column %zu",
                     ch, i + 1);
            return skip(st, TRC_SKIP_GARBAGE, why);
        }
        if (star)
            continue;
        if (ch == '*') {
            star = line + i;
            continue;
        }
        sum ^= ch;
        size_t j = i - 1;
        if (j >= MAX_BODY)
            continue;
        if (ch == ',') {
            body[j] = 0;
            if (nf < MAX_FIELDS)
                fields[nf++] = body + j + 1;
            else
                too_many_fields = 1;
        } else {
            body[j] = (char)ch;
        }
    }
    if (!star) {
        snprintf(st->detail, sizeof st->detail, "no checksum (truncated sentence?)");
        return skip(st, TRC_SKIP_NO_CHECKSUM, why);
    }
    size_t body_len = (size_t)(star - line) - 1;
    if ((size_t)(star - line) + 3 != len || hexval(star[1]) < 0 || hexval(star[2]) < 0) {
        snprintf(st->detail, sizeof st->detail, "malformed checksum field");
        return skip(st, TRC_SKIP_MALFORMED, why);
    }
    unsigned stated = (unsigned)(hexval(star[1]) * 16 + hexval(star[2]));
    if (sum != stated && st->no_checksum) {
        st->n.checksum_ignored++;
    } else if (sum != stated) {
        snprintf(st->detail, sizeof st->detail, "bad checksum: stated %02X, computed %02X",
                 stated, sum);
        return skip(st, TRC_SKIP_CHECKSUM, why);
    }
    if (body_len >= 1 && line[1] == 'P') { /* proprietary: $P + maker + ... */
        st->n.ignored++;
        return TRC_NMEA_NONE;
    }
    if (body_len > MAX_BODY) {
        snprintf(st->detail, sizeof st->detail, "sentence longer than %d bytes", MAX_BODY);
        return skip(st, TRC_SKIP_MALFORMED, why);
    }
    /* Address: two-character talker, three-letter type. */
    if (body_len < 6 || !is_upper_alnum(line[1]) || !is_upper_alnum(line[2]) ||
        line[6] != ',') {
        snprintf(st->detail, sizeof st->detail, "bad address field");
        return skip(st, TRC_SKIP_MALFORMED, why);
    }
    char type[4] = {line[3], line[4], line[5], 0};
    parse_fn fn = NULL;
    for (size_t i = 0; i < sizeof parsers / sizeof parsers[0]; i++)
        if (memcmp(parsers[i].type, type, 4) == 0)
            fn = parsers[i].fn;
    if (!fn) {
        st->n.ignored++;
        return TRC_NMEA_NONE;
    }

    body[body_len] = 0;
    if (too_many_fields) {
        snprintf(st->detail, sizeof st->detail, "%s has more than %d fields", type, MAX_FIELDS - 1);
        return skip(st, TRC_SKIP_MALFORMED, why);
    }
    parse_ctx c = {fields, nf, type, st->detail, sizeof st->detail, TRC_SKIP_MALFORMED};
    sentence s;
    sentence_clear(&s);
    if (fn(&c, &s) != 0)
        return skip(st, c.why, why);
    st->n.used++;

    trc_nmea_result res = TRC_NMEA_NONE;
    if (s.has_time) {
        if (st->ep.open && st->ep.tod_ms != s.tod_ms)
            res = epoch_finish(st, fix, extra);
        if (!st->ep.open)
            epoch_start(&st->ep, s.tod_ms, line_no);
    } else if (s.pos != POS_NONE) {
        /* A position without a time cannot be placed in an epoch; its
         * status alone must not veto the open one either. */
        return res;
    }
    if (st->ep.open)
        epoch_merge(&st->ep, &s, line_no);
    return res;
}

trc_nmea_result trc_nmea_flush(trc_nmea_state *st, pw_fix *fix, trc_fix_extra *extra)
{
    return epoch_finish(st, fix, extra);
}
