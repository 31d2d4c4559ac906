/*
 * tracefile.c - reading trace files: format detection, bounded line
 * reading, CSV rows, and the gpsdecode-style output line.  This is the only
 * file of the decoder that does I/O; it hands every line to the pure
 * decoders (nmea.c, gpsdjson.c) and turns their skips into warnings.
 */
#include "traces.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES 65536
#define PATH_MAX_KEPT 1024
#define CSV_MAX_COLS 16

struct trc_reader {
    FILE *fp;
    trc_options opt;
    trc_format fmt;
    trc_nmea_state nmea;       /* its counters serve every format */
    void *gps;                 /* struct gps_data_t, trc_gpsd_data_size() bytes */
    int eof, flushed, saw_format, is_stdin, said_undated;
    int64_t header_days;       /* a "# Date:" line's day, -1 none: a hint, not
                                * applied (gpsd's logs carry wrong ones) */
    /* Mixed logs (gpspipe -w -r, gpsd's regression logs): in automatic
     * mode each line is read as what it is, gpsd JSON or NMEA; the first
     * kind to give a fix gives every fix, so one epoch is not read twice. */
    trc_format fix_source;     /* TRC_AUTO until the first fix */
    int seen_nmea;
    long line_no;
    /* The current line and how far its '$' segments are decoded. */
    size_t line_len, seg_pos;
    int line_pending;
    /* Bounded reading: one chunk of the file, one line of it. */
    size_t chunk_pos, chunk_len;
    /* CSV columns. */
    int csv_time, csv_lat, csv_lon, csv_acc;
    char path[PATH_MAX_KEPT];
    char warn[200];
    char chunk[CHUNK_BYTES];
    char line[TRC_LINE_MAX + 1];
};

const char *trc_strerror(trc_status s)
{
    switch (s) {
    case TRC_OK: return "ok";
    case TRC_EOF: return "end of trace";
    case TRC_EINVAL: return "invalid argument";
    case TRC_EOPEN: return "cannot open the trace file";
    case TRC_EIO: return "read error";
    case TRC_ENOMEM: return "out of memory";
    case TRC_EFORMAT: return "no NMEA, gpsd JSON or CSV line in the file";
    }
    return "unknown status";
}

void trc_describe(trc_status s, const char *path, int errnum, char *buf, size_t n)
{
    if ((s == TRC_EOPEN || s == TRC_EIO) && errnum)
        snprintf(buf, n, "%s: %s: %s", path, trc_strerror(s), strerror(errnum));
    else
        snprintf(buf, n, "%s: %s", path, trc_strerror(s));
}

void trc_describe_counts(const trc_counters *c, char *buf, size_t n)
{
    if (!buf || !n)
        return;
    size_t k = (size_t)snprintf(buf, n,
                                "%ld sentences used, %ld well-formed but not used (other types, comments, gpsd "
                                "classes other than TPV), %ld epochs that said no fix, %ld valid epochs with no "
                                "date known, %ld positions no sentence called valid (a GGA with under 3 "
                                "satellites used, alone)",
                                c->used, c->ignored, c->no_fix_epochs, c->undated_epochs, c->unconfirmed_epochs);
    for (int r = 0; r < TRC_SKIP_REASON_COUNT && k < n; r++)
        if (c->skipped[r])
            k += (size_t)snprintf(buf + k, n - k, ", %ld skipped (%s)", c->skipped[r],
                                  trc_skip_reason_name((trc_skip_reason)r));
    if (c->fixes_other_kind && k < n)
        snprintf(buf + k, n - k, ", %ld fixes of the mixed log's other kind", c->fixes_other_kind);
}

const char *trc_skip_reason_name(trc_skip_reason r)
{
    static const char *const names[TRC_SKIP_REASON_COUNT] = {
        "checksum", "no_checksum", "malformed", "garbage", "range", "too_long", "json"};
    return (unsigned)r < TRC_SKIP_REASON_COUNT ? names[r] : "unknown";
}

void trc_options_default(trc_options *o)
{
    memset(o, 0, sizeof *o);
    o->format = TRC_AUTO;
    o->date_days = -1;
}


static void *default_alloc(size_t size)
{
    return calloc(1, size);
}

trc_status trc_open(const char *path, const trc_options *opt,
                                trc_reader **out)
{
    if (!path || !out)
        return TRC_EINVAL;
    *out = NULL;
    trc_options o;
    if (opt)
        o = *opt;
    else
        trc_options_default(&o);
    if ((unsigned)o.format > TRC_CSV)
        return TRC_EINVAL;
    if (!o.alloc || !o.free_fn) {
        o.alloc = default_alloc;
        o.free_fn = free;
    }

    trc_reader *rd = o.alloc(sizeof *rd);
    if (!rd)
        return TRC_ENOMEM;
    memset(rd, 0, sizeof *rd);
    rd->gps = o.alloc(trc_gpsd_data_size());
    if (!rd->gps)
        goto fail_gps;
    /* "-" is standard input, as for gpsdecode: a filter in a pipe. */
    rd->is_stdin = strcmp(path, "-") == 0;
    rd->fp = rd->is_stdin ? stdin : fopen(path, "rb");
    if (!rd->fp)
        goto fail_open;
    rd->opt = o;
    rd->fmt = o.format;
    trc_nmea_init(&rd->nmea);
    if (o.date_days >= 0)
        rd->nmea.carry_days = (int32_t)o.date_days;
    rd->nmea.reference = o.reference;
    rd->nmea.no_checksum = o.no_checksum;
    rd->header_days = -1;
    rd->csv_time = rd->csv_lat = rd->csv_lon = rd->csv_acc = -1;
    snprintf(rd->path, sizeof rd->path, "%s", rd->is_stdin ? "(standard input)" : path);
    *out = rd;
    return TRC_OK;

fail_open:
    {
        int saved = errno;
        o.free_fn(rd->gps);
        o.free_fn(rd);
        errno = saved;
        return TRC_EOPEN;
    }
fail_gps:
    o.free_fn(rd);
    return TRC_ENOMEM;
}

void trc_close(trc_reader *rd)
{
    if (!rd)
        return;
    if (rd->fp && !rd->is_stdin)
        fclose(rd->fp);
    void (*free_fn)(void *) = rd->opt.free_fn;
    free_fn(rd->gps);
    free_fn(rd);
}

trc_format trc_get_fix_source(const trc_reader *rd)
{
    return rd ? rd->fix_source : TRC_AUTO;
}

trc_format trc_get_format(const trc_reader *rd)
{
    return rd->fmt;
}

const trc_counters *trc_get_counters(const trc_reader *rd)
{
    return &rd->nmea.n;
}

/* Record a warning and pass it to the caller. */
static void warn(trc_reader *rd, const char *what)
{
    trc_counters *n = &rd->nmea.n;
    n->last_warning_line = rd->line_no;
    size_t len = strlen(what);
    if (len >= sizeof n->last_warning)
        len = sizeof n->last_warning - 1;
    memcpy(n->last_warning, what, len);
    n->last_warning[len] = 0;
    if (rd->opt.warn)
        rd->opt.warn(rd->opt.warn_ctx, rd->path, rd->line_no, n->last_warning);
}

static void skip_line(trc_reader *rd, trc_skip_reason r, const char *what)
{
    rd->nmea.n.skipped[r]++;
    rd->nmea.n.skipped_total++;
    rd->nmea.n.sentences++;
    snprintf(rd->warn, sizeof rd->warn, "%s: %s", trc_skip_reason_name(r), what);
    warn(rd, rd->warn);
}

enum { LINE_OK, LINE_TOO_LONG, LINE_EOF, LINE_ERR };

/*
 * The next line into rd->line, without its newline.  The file is read in
 * CHUNK_BYTES pieces; a line longer than TRC_LINE_MAX is not kept:
 * its bytes are dropped as they pass and LINE_TOO_LONG is returned at its
 * end, so memory stays bounded whatever the input.
 */
static int read_line(trc_reader *rd)
{
    size_t len = 0;
    int too_long = 0, any = 0;
    for (;;) {
        if (rd->chunk_pos == rd->chunk_len) {
            if (rd->eof)
                break;
            rd->chunk_len = fread(rd->chunk, 1, sizeof rd->chunk, rd->fp);
            rd->chunk_pos = 0;
            if (rd->chunk_len == 0) {
                if (ferror(rd->fp))
                    return LINE_ERR;
                rd->eof = 1;
                break;
            }
        }
        any = 1;
        const char *start = rd->chunk + rd->chunk_pos;
        size_t avail = rd->chunk_len - rd->chunk_pos;
        const char *nl = memchr(start, '\n', avail);
        size_t take = nl ? (size_t)(nl - start) : avail;
        if (!too_long) {
            if (len + take > TRC_LINE_MAX) {
                too_long = 1;
            } else {
                memcpy(rd->line + len, start, take);
                len += take;
            }
        }
        rd->chunk_pos += take + (nl ? 1 : 0);
        if (nl)
            break;
    }
    if (!any)
        return LINE_EOF;
    rd->line_no++;
    rd->nmea.n.lines++;
    rd->line_len = too_long ? 0 : len;
    rd->line[rd->line_len] = 0;
    return too_long ? LINE_TOO_LONG : LINE_OK;
}

/* ---- format detection -------------------------------------------------- */

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return 0;
    return 1;
}

/* Split a CSV line in place; returns the number of fields. */
static int csv_split(char *s, char **f, int max)
{
    int n = 0;
    for (char *p = s; n < max;) {
        while (*p == ' ' || *p == '\t')
            p++;
        f[n++] = p;
        char *comma = strchr(p, ',');
        char *end = comma ? comma : p + strlen(p);
        while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
            end--;
        *end = 0;
        if (!comma)
            return n;
        p = comma + 1;
    }
    return -1;
}

/* A CSV header names time, lat and lon (and maybe acc_m). */
static int csv_header(trc_reader *rd)
{
    char copy[256];
    if (rd->line_len >= sizeof copy)
        return 0;
    memcpy(copy, rd->line, rd->line_len + 1);
    char *f[CSV_MAX_COLS];
    int n = csv_split(copy, f, CSV_MAX_COLS);
    int t = -1, la = -1, lo = -1, acc = -1;
    for (int i = 0; i < n; i++) {
        if (!strcmp(f[i], "time"))
            t = i;
        else if (!strcmp(f[i], "lat"))
            la = i;
        else if (!strcmp(f[i], "lon"))
            lo = i;
        else if (!strcmp(f[i], "acc_m"))
            acc = i;
    }
    if (t < 0 || la < 0 || lo < 0)
        return 0;
    rd->csv_time = t;
    rd->csv_lat = la;
    rd->csv_lon = lo;
    rd->csv_acc = acc;
    return 1;
}

/* ---- CSV rows ---------------------------------------------------------- */

static int plain_number(const char *s, double *out)
{
    char *end;
    if (!*s || strpbrk(s, "xXnNiI"))  /* no hex, nan, inf */
        return 0;
    *out = strtod(s, &end);
    return *end == 0 && isfinite(*out);
}

/* ISO-8601 UTC "YYYY-MM-DDTHH:MM:SS[.fff][Z]" or integer ms since epoch. */
static int csv_time(const char *s, pw_time_ms *t)
{
    const char *p = s;
    if (*p == '-')
        p++;
    if (*p && strspn(p, "0123456789") == strlen(p) && strlen(p) <= 15) {
        *t = strtoll(s, NULL, 10);
        return 1;
    }
    int y, mo, d, h, mi, sec, used = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6 ||
        used != 19)
        return 0;
    int ms = 0;
    p = s + used;
    if (*p == '.') {
        int scale = 100, digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++) {
            ms += (*p - '0') * scale;
            scale /= 10;
        }
        if (!digits)
            return 0;
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return 0;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
        return -1;
    int32_t days = (int32_t)pw_days_from_civil(y, mo, d);
    int cy, cm, cd;
    pw_civil_from_days(days, &cy, &cm, &cd);
    if (cd != d)
        return -1; /* 31 April and the like */
    *t = (pw_time_ms)days * 86400000 + ((h * 60 + mi) * 60 + sec) * 1000 + ms;
    return 1;
}

static int csv_row(trc_reader *rd, pw_fix *fix, trc_fix_extra *extra)
{
    char *f[CSV_MAX_COLS];
    int n = csv_split(rd->line, f, CSV_MAX_COLS);
    int need = rd->csv_time;
    if (rd->csv_lat > need)
        need = rd->csv_lat;
    if (rd->csv_lon > need)
        need = rd->csv_lon;
    if (n <= need) {
        skip_line(rd, TRC_SKIP_MALFORMED, "CSV row with too few columns");
        return 0;
    }
    pw_time_ms t;
    double lat, lon, acc = NAN;
    int tr = csv_time(f[rd->csv_time], &t);
    if (tr <= 0) {
        skip_line(rd, tr < 0 ? TRC_SKIP_RANGE : TRC_SKIP_MALFORMED, "CSV time");
        return 0;
    }
    if (!plain_number(f[rd->csv_lat], &lat) || !plain_number(f[rd->csv_lon], &lon)) {
        skip_line(rd, TRC_SKIP_MALFORMED, "CSV lat/lon not a number");
        return 0;
    }
    if (fabs(lat) > 90 || fabs(lon) > 180) {
        skip_line(rd, TRC_SKIP_RANGE, "CSV lat/lon out of range");
        return 0;
    }
    if (rd->csv_acc >= 0 && rd->csv_acc < n && *f[rd->csv_acc]) {
        if (!plain_number(f[rd->csv_acc], &acc) || acc < 0) {
            skip_line(rd, TRC_SKIP_MALFORMED, "CSV acc_m");
            return 0;
        }
    }
    pw_fix_clear(fix);
    fix->set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET;
    fix->time = t;
    fix->lat = lat;
    fix->lon = lon;
    if (isfinite(acc)) {
        fix->acc_m = acc;
        fix->set |= PW_FIX_ACC_SET;
    }
    memset(extra, 0, sizeof *extra);
    extra->alt_msl_m = extra->eph_m = NAN;
    if (isfinite(acc)) {
        extra->eph_m = acc * ENG_ACC95_PER_SIGMA / ENG_ACC68_PER_SIGMA;
        extra->set |= TRC_EXTRA_EPH_SET;
    }
    extra->line = rd->line_no;
    rd->nmea.n.sentences++;
    rd->nmea.n.used++;
    rd->nmea.n.fixes++;
    return 1;
}

/* ---- NMEA lines: one or more '$' sentences ----------------------------- */

/* A comment line "# Date: 2007-04-08" notes the day the log was recorded
 * (the first such line), a hint for the undated-epochs warning. */
static void note_header_date(trc_reader *rd)
{
    const char *line = rd->line;
    size_t len = rd->line_len;
    char buf[64];
    if (rd->header_days >= 0 || len >= sizeof buf || len < 8 || strncmp(line, "# Date:", 7) != 0)
        return;
    memcpy(buf, line, len);
    buf[len] = '\0';
    int y, m, d;
    char extra;
    if (sscanf(buf + 7, " %4d-%2d-%2d%c", &y, &m, &d, &extra) >= 3 && y >= 1980 && m >= 1 && m <= 12 && d >= 1 &&
        d <= 31)
        rd->header_days = pw_days_from_civil(y, m, d);
}

/*
 * Decode the pending line's sentences from seg_pos on.  A receiver that
 * drops a line end glues two sentences ("...*1E$GPRMC,..."), so every '$'
 * starts a sentence; the checksum still guards each one.  Returns 1 with a
 * fix when one finished (the rest of the line waits for the next call).
 */
static int nmea_line(trc_reader *rd, pw_fix *fix, trc_fix_extra *extra)
{
    const char *line = rd->line;
    size_t len = rd->line_len;
    if (rd->seg_pos == 0) {
        if (line[0] == '#' || blank(line, len)) {
            note_header_date(rd);
            rd->line_pending = 0;
            return 0;
        }
        if (line[0] == '!') { /* AIS: one encapsulated sentence per line */
            trc_nmea_decode(&rd->nmea, line, len, rd->line_no, NULL, NULL, NULL);
            rd->line_pending = 0;
            return 0;
        }
        const char *dollar = memchr(line, '$', len);
        size_t pre = dollar ? (size_t)(dollar - line) : len;
        if (!blank(line, pre))
            skip_line(rd, TRC_SKIP_GARBAGE, dollar ? "junk before '$'" : "not a sentence");
        rd->seg_pos = pre;
    }
    while (rd->seg_pos < len) {
        size_t start = rd->seg_pos;
        const char *next = memchr(line + start + 1, '$', len - start - 1);
        size_t end = next ? (size_t)(next - line) : len;
        rd->seg_pos = end;
        trc_skip_reason why;
        trc_nmea_result r = trc_nmea_decode(&rd->nmea, line + start, end - start, rd->line_no,
                                            fix, extra, &why);
        if (r == TRC_NMEA_SKIPPED) {
            snprintf(rd->warn, sizeof rd->warn, "%s: %s", trc_skip_reason_name(why),
                     rd->nmea.detail);
            warn(rd, rd->warn);
        } else if (r == TRC_NMEA_FIX) {
            fix->device = rd->opt.device;
            if (rd->seg_pos >= len)
                rd->line_pending = 0;
            return 1;
        }
    }
    rd->line_pending = 0;
    return 0;
}

static int json_line(trc_reader *rd, pw_fix *fix, trc_fix_extra *extra)
{
    if (rd->line[0] == '#' || blank(rd->line, rd->line_len))
        return 0;
    if (rd->line[0] != '{') {
        skip_line(rd, TRC_SKIP_GARBAGE, "not a JSON object");
        return 0;
    }
    if (memchr(rd->line, 0, rd->line_len)) {
        skip_line(rd, TRC_SKIP_GARBAGE, "NUL byte in JSON line");
        return 0;
    }
    int r = trc_gpsd_json_decode(rd->gps, rd->line, rd->opt.reference, fix, extra);
    if (r < 0) {
        skip_line(rd, TRC_SKIP_JSON, "libgps cannot parse the JSON object");
        return 0;
    }
    rd->nmea.n.sentences++;
    if (r == 2) {
        rd->nmea.n.no_fix_epochs++; /* a TPV that says no fix */
        return 0;
    }
    if (r == 0) {
        rd->nmea.n.ignored++;
        return 0;
    }
    if (r == 3)
        rd->nmea.n.kept_as_reference++;
    rd->nmea.n.used++;
    rd->nmea.n.fixes++;
    fix->device = rd->opt.device;
    extra->line = rd->line_no;
    return 1;
}

/* What this line says it is: gpsd JSON ('{'), NMEA ('$' or '!'), or
 * TRC_AUTO (a comment, a blank line, anything else). */
static trc_format line_kind(const trc_reader *rd)
{
    size_t i = 0;
    while (i < rd->line_len && (rd->line[i] == ' ' || rd->line[i] == '\t'))
        i++;
    if (i < rd->line_len && rd->line[i] == '{')
        return TRC_GPSD_JSON;
    if (i < rd->line_len && (rd->line[i] == '$' || rd->line[i] == '!'))
        return TRC_NMEA;
    return TRC_AUTO;
}

/* Decide the format from this line, if it says. */
static void detect(trc_reader *rd)
{
    const char *l = rd->line;
    size_t i = 0;
    while (i < rd->line_len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i == rd->line_len || l[i] == '#')
        return;
    trc_format kind = line_kind(rd);
    if (kind != TRC_AUTO)
        rd->fmt = kind;
    else if (csv_header(rd)) {
        rd->fmt = TRC_CSV;
        rd->saw_format = 1;
        rd->line_pending = 0; /* the header is not a row */
        return;
    } else {
        skip_line(rd, TRC_SKIP_GARBAGE, "neither NMEA, gpsd JSON nor a CSV header");
        rd->line_pending = 0;
    }
}


/* 1 when a fix decoded from a line of this kind is the stream's: the
 * first kind to give a fix gives them all (a gpspipe -w -r capture holds
 * each epoch twice, as NMEA and as gpsd's TPV); a fix of the other kind is
 * counted (fixes_other_kind) and dropped. */
static int one_source(trc_reader *rd, trc_format kind)
{
    if (rd->fix_source == TRC_AUTO)
        rd->fix_source = kind;
    if (kind == rd->fix_source)
        return 1;
    rd->nmea.n.fixes--;
    rd->nmea.n.fixes_other_kind++;
    return 0;
}

static trc_status next_fix(trc_reader *rd, pw_fix *fix, trc_fix_extra *extra);

/* The reader's next fix, with the options that apply to every fix; at the
 * end, the epochs dropped for want of a date are said once. */
trc_status trc_next(trc_reader *rd, pw_fix *fix, trc_fix_extra *extra)
{
    trc_status st = next_fix(rd, fix, extra);
    if (st == TRC_OK && rd->opt.rollover)
        fix->time += (pw_time_ms)rd->opt.rollover * 1024 * 7 * 86400000LL;
    if (st == TRC_EOF && rd->nmea.n.undated_epochs > 0 && !rd->said_undated) {
        rd->said_undated = 1;
        char what[240], hint[64] = "";
        if (rd->header_days >= 0) {
            int y, m, d;
            pw_civil_from_days(rd->header_days, &y, &m, &d);
            snprintf(hint, sizeof hint, "; the log's header says --date %04d-%02d-%02d", y, m, d);
        }
        snprintf(what, sizeof what, "%ld epochs with a position dropped: no date before them (give "
                 "--date YYYY-MM-DD%s)", rd->nmea.n.undated_epochs, hint);
        if (rd->opt.warn)
            rd->opt.warn(rd->opt.warn_ctx, rd->path, 0, what);
    }
    return st;
}

static trc_status next_fix(trc_reader *rd, pw_fix *fix, trc_fix_extra *extra)
{
    if (!rd || !fix)
        return TRC_EINVAL;
    trc_fix_extra scratch;
    if (!extra)
        extra = &scratch;
    for (;;) {
        if (!rd->line_pending) {
            if (rd->flushed)
                return rd->fmt == TRC_AUTO ? TRC_EFORMAT : TRC_EOF;
            int r = read_line(rd);
            if (r == LINE_ERR)
                return TRC_EIO;
            if (r == LINE_EOF) {
                rd->flushed = 1;
                if ((rd->fmt == TRC_NMEA || rd->seen_nmea) &&
                    trc_nmea_flush(&rd->nmea, fix, extra) == TRC_NMEA_FIX && one_source(rd, TRC_NMEA)) {
                    fix->device = rd->opt.device;
                    return TRC_OK;
                }
                continue;
            }
            if (r == LINE_TOO_LONG) {
                char what[96];
                snprintf(what, sizeof what, "line longer than %d bytes discarded",
                         TRC_LINE_MAX);
                skip_line(rd, TRC_SKIP_TOO_LONG, what);
                continue;
            }
            rd->line_pending = 1;
            rd->seg_pos = 0;
            if (rd->fmt == TRC_AUTO) {
                detect(rd);
                if (!rd->line_pending)
                    continue;
                if (rd->fmt == TRC_AUTO) { /* blank or comment */
                    note_header_date(rd);
                    rd->line_pending = 0;
                    continue;
                }
            } else if (rd->fmt == TRC_CSV && !rd->saw_format) {
                rd->line_pending = 0;
                if (!csv_header(rd))
                    skip_line(rd, TRC_SKIP_MALFORMED, "CSV without a time,lat,lon header");
                else
                    rd->saw_format = 1;
                continue;
            }
        }
        int got = 0;
        trc_format kind = rd->fmt, said = TRC_AUTO;
        if ((kind == TRC_NMEA || kind == TRC_GPSD_JSON) && rd->seg_pos == 0) {
            said = line_kind(rd); /* comments and blank lines say nothing */
            if (rd->opt.format == TRC_AUTO && said != TRC_AUTO)
                kind = said;
        }
        switch (kind) {
        case TRC_NMEA:
            rd->seen_nmea = 1;
            rd->nmea.n.lines_nmea += said == TRC_NMEA;
            got = nmea_line(rd, fix, extra);
            break;
        case TRC_GPSD_JSON:
            rd->line_pending = 0;
            rd->nmea.n.lines_json += said == TRC_GPSD_JSON;
            got = json_line(rd, fix, extra);
            break;
        case TRC_CSV:
            rd->line_pending = 0;
            if (rd->line[0] != '#' && !blank(rd->line, rd->line_len)) {
                if (memchr(rd->line, 0, rd->line_len))
                    skip_line(rd, TRC_SKIP_GARBAGE, "NUL byte in CSV row");
                else
                    got = csv_row(rd, fix, extra);
            }
            if (got)
                fix->device = rd->opt.device;
            break;
        default:
            rd->line_pending = 0;
            break;
        }
        if (got && !one_source(rd, kind))
            continue;
        if (got)
            return TRC_OK;
    }
}

/* ---- output ------------------------------------------------------------ */

typedef struct outbuf {
    char *buf;
    size_t n, len;
} outbuf;

/* Bytes into the output, counted even past its end (snprintf's contract). */
static void put_raw(outbuf *o, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++, o->len++)
        if (o->len + 1 < o->n)
            o->buf[o->len] = s[i];
    if (o->n)
        o->buf[o->len < o->n ? o->len : o->n - 1] = '\0';
}

size_t trc_decode_json(const pw_fix *fix, const trc_fix_extra *extra, char *buf, size_t n)
{
    if (!buf)
        n = 0;
    if (n)
        buf[0] = 0;
    outbuf o = {buf, n, 0};
    if (!fix)
        return 0;
    int mode = (extra && (extra->set & TRC_EXTRA_MODE_SET)) ? extra->mode : 2;
    char iso[48];
    pw_format_time(fix->time, iso, sizeof iso);
    char line[512];
    int direct = buf && n >= sizeof line;
    rec_json w;
    rec_json_to_buf(&w, direct ? buf : line, direct ? n : sizeof line, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_kstr(&w, "class", "TPV");
    rec_json_kstr(&w, "time", iso);
    rec_json_kfixed(&w, "lat", fix->lat, 9);
    rec_json_kfixed(&w, "lon", fix->lon, 9);
    rec_json_kuint(&w, "mode", (uint64_t)(mode > 0 ? mode : 0));
    if ((fix->set & PW_FIX_SPEED_SET) && isfinite(fix->speed_mps)) {
        rec_json_kfixed(&w, "speed", fix->speed_mps, 3);
    }
    if ((fix->set & PW_FIX_HEADING_SET) && isfinite(fix->heading_deg)) {
        rec_json_kfixed(&w, "track", fix->heading_deg, 4);
    }
    if (extra && (extra->set & TRC_EXTRA_ALT_SET) && isfinite(extra->alt_msl_m)) {
        rec_json_kfixed(&w, "alt", extra->alt_msl_m, 3);
    }
    if (extra && (extra->set & TRC_EXTRA_EPH_SET) && isfinite(extra->eph_m)) {
        rec_json_kfixed(&w, "eph", extra->eph_m, 3);
    }
    rec_json_end(&w);
    rec_json_finish(&w);
    if (direct)
        return rec_json_len(&w);
    put_raw(&o, line, rec_json_len(&w));
    return o.len;
}

