/*
 * traces.h - real data in: NMEA 0183 sentences, gpsd JSON (through libgps),
 * CSV field traces, and the live gpsd source.  The contract.
 *
 * Readers turn recorded or live receiver output into pw_fix values for the
 * engine; the emulated devices live in devices/.  May include: engine.h,
 * record.h (the number writer), libgps, libc.
 */
#ifndef PW_TRACES_H
#define PW_TRACES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "record.h"

/* ================================================================== */

/*
 * Recorded receiver output is turned into pw_fix values, one per epoch.
 * The sentence decoder (trc_nmea_*) is pure: a line in, epoch state and at
 * most one finished fix out; the file reader (trc_*) is the module's
 * only I/O and the only code here that allocates (once, at open).  The
 * library never prints: bad input is skipped, counted per reason, and
 * reported through the caller's warning callback with the file and line.
 *
 * NMEA rules (details and sources in traces/README.md, "Decoding")
 *   - Sentences used: GGA, RMC, GLL, GNS (position), GSA (fix type, DOP),
 *     GST (error sigmas), VTG (speed, track), ZDA (date), GSV (checked and
 *     counted only), from any two-letter talker (GP, GN, GL, GA, BD, GB, QZ,
 *     ...).  Proprietary $P... sentences, AIS !... sentences and other
 *     types are ignored (counted, no warning).
 *   - A sentence must carry a valid *hh checksum.  One without a checksum
 *     is skipped (TRC_SKIP_NO_CHECKSUM): a cut-off position sentence looks
 *     exactly like one that never had a checksum.
 *   - Sentences with the same UTC time of day form one epoch and give at
 *     most one fix; time-less sentences (GSA, VTG, GSV) join the open epoch.
 *     An epoch is a fix only if a position sentence says the position is
 *     valid and none says it is not (RMC status V or mode N, GGA quality 0,
 *     GLL status V or mode N, GNS all N); a GGA of quality 1-8 is valid
 *     (7 manual and 8 simulator too, as gpsd reads them) with at least 3
 *     satellites used, and with fewer says neither; coordinates in a "no
 *     fix" sentence are never used.
 *   - The date comes from a valid RMC or a ZDA and carries over to later
 *     epochs that have none (GGA-only); when the time of day goes back by
 *     more than 12 h the carried date advances by one day (midnight).  No
 *     date yet: no fix.  2-digit RMC years 80-99 are 1980-1999, 00-79 are
 *     2000-2079.
 *   - acc_m (68 % radius): from GST when the epoch has one,
 *     1.51 * sqrt((sigma_lat^2 + sigma_lon^2) / 2); otherwise from HDOP,
 *     1.51 * HDOP * 5 m / sqrt 2 (the engine's own UERE model, track.c:
 *     HDOP x UERE is the 2-D error, one axis carries 1 / sqrt 2); otherwise
 *     unset.
 *
 * Example
 *   trc_reader *rd;  pw_fix fix;  trc_fix_extra ex;  char line[512];
 *   if (trc_open("drive.nmea", NULL, &rd) != TRC_OK) ...;
 *   while (trc_next(rd, &fix, &ex) == TRC_OK)
 *       if (trc_decode_json(&fix, &ex, line, sizeof line) < sizeof line) puts(line);
 *   trc_close(rd);
 */

/* Status of the trace functions.  (The module's dev_status lives in unit.c,
 * which this part does not own; a later change may merge the two.) */
typedef enum trc_status {
    TRC_OK = 0,
    TRC_EOF = -1,      /* trc_next: no more fixes */
    TRC_EINVAL = -2,   /* a NULL or out-of-range argument */
    TRC_EOPEN = -3,    /* the file cannot be opened (errno is kept) */
    TRC_EIO = -4,      /* a read error (errno is kept) */
    TRC_ENOMEM = -5,   /* the allocator failed (open only) */
    TRC_EFORMAT = -6   /* no line of a known format in the file */
} trc_status;

const char *trc_strerror(trc_status s);
/* "PATH: WHAT" for a status of the trace at path, with the system's reason
 * for TRC_EOPEN and TRC_EIO (errnum: the errno trc_open or trc_next left):
 *   "log.nmea: cannot open the trace file: No such file or directory" */
void trc_describe(trc_status s, const char *path, int errnum, char *buf, size_t n);

typedef enum trc_format {
    TRC_AUTO = 0,  /* decide from the first meaningful line */
    TRC_NMEA,      /* NMEA 0183 ('$' sentences; '#' lines are comments) */
    TRC_GPSD_JSON, /* gpspipe -w: one gpsd JSON object per line */
    TRC_CSV        /* header time,lat,lon[,acc_m] in any order */
} trc_format;

/* Why a line (or a sentence within it) was skipped. */
typedef enum trc_skip_reason {
    TRC_SKIP_CHECKSUM = 0, /* stated and computed checksums differ */
    TRC_SKIP_NO_CHECKSUM,  /* no *hh at the end */
    TRC_SKIP_MALFORMED,    /* too few fields, a field that is not a number */
    TRC_SKIP_GARBAGE,      /* not a sentence: control bytes, no '$', ... */
    TRC_SKIP_RANGE,        /* absurd value: lat > 90, month 13, hour 24 ... */
    TRC_SKIP_TOO_LONG,     /* longer than TRC_LINE_MAX; discarded unread */
    TRC_SKIP_JSON,         /* gpsd JSON that libgps rejects */
    TRC_SKIP_REASON_COUNT
} trc_skip_reason;

const char *trc_skip_reason_name(trc_skip_reason r); /* "checksum", ... */

/* Longest line kept, bytes without the newline.  NMEA allows 82; gpsd SKY
 * objects reach a few kB. */
#define TRC_LINE_MAX 16384

/* Counters of one reader (or one NMEA decoder). */
typedef struct trc_counters {
    long lines;            /* physical lines read */
    long sentences;        /* NMEA sentences / JSON objects / CSV rows seen */
    long used;             /* of those, decoded and used */
    long ignored;          /* well-formed but not used: proprietary, AIS, TXT,
                            * other types, gpsd classes other than TPV, comments */
    long skipped[TRC_SKIP_REASON_COUNT]; /* bad input, by reason */
    long skipped_total;
    long fixes;            /* fixes returned */
    long lines_nmea;       /* lines read as NMEA / as gpsd JSON (a mixed log has both) */
    long lines_json;
    long fixes_other_kind; /* mixed log: fixes of the kind that gave none first, dropped */
    long no_fix_epochs;    /* epochs whose sentences said "no fix" (NMEA), and
                            * gpsd TPVs of mode 0 or 1; a mixed log counts
                            * both kinds */
    long undated_epochs;   /* valid positions dropped: no date known yet */
    long unconfirmed_epochs; /* positions no sentence called valid (a GGA
                              * with under 3 satellites used, and no RMC or
                              * GLL to say A) */
    long checksum_ignored;   /* no_checksum: sentences read despite a bad checksum */
    long kept_as_reference;  /* reference: epochs kept that said no fix or nothing */
    long last_warning_line;            /* 0 when none */
    char last_warning[160];            /* the last warning's text */
} trc_counters;
/* What a trace's lines came to, reason by reason (sentences used, not
 * used, epochs that said no fix, undated, unconfirmed, skipped by reason):
 * why a trace gave no fix, in one line. */
void trc_describe_counts(const trc_counters *c, char *buf, size_t n);

/* Known extras of a fix, for trc_decode_json and for callers that care. */
enum {
    TRC_EXTRA_MODE_SET = 1u << 0,
    TRC_EXTRA_ALT_SET = 1u << 1,
    TRC_EXTRA_EPH_SET = 1u << 2
};

typedef struct trc_fix_extra {
    unsigned set;     /* TRC_EXTRA_* bits */
    int mode;         /* 2 = 2-D, 3 = 3-D (gpsd's fix.mode) */
    double alt_msl_m; /* altitude above mean sea level, m (GGA, gpsd altMSL) */
    double eph_m;     /* horizontal error, 95 % radius, m: gpsd's eph when the
                       * input is gpsd JSON, else 2.45 / 1.51 * acc_m */
    long line;        /* input line on which the fix's epoch ended */
} trc_fix_extra;

/* ---- NMEA sentence decoder (pure) ---------------------------------- */

typedef enum trc_nmea_result {
    TRC_NMEA_NONE = 0, /* line taken (or ignored); no fix finished */
    TRC_NMEA_FIX,      /* a fix finished: the previous epoch, written to *fix */
    TRC_NMEA_SKIPPED   /* bad input: *why and st->detail say what */
} trc_nmea_result;

/* One epoch being assembled; internal, but caller-owned. */
typedef struct trc_nmea_epoch {
    int open;
    int32_t tod_ms;            /* UTC time of day, ms */
    int32_t date_days;         /* days since 1970-01-01 from RMC/ZDA, -1 none */
    int valid_votes, invalid_votes, pos_rank;
    int has_position;          /* a sentence gave coordinates, valid or not */
    double any_lat, any_lon;   /* the last coordinates given, valid or not */
    int dr;                    /* dead reckoning (GGA 6, mode E) */
    int gsa_mode, gga_quality;
    double lat, lon, alt_msl_m, speed_mps, track_deg, hdop;
    double sigma_lat_m, sigma_lon_m;
    int sats;
    long last_line;
} trc_nmea_epoch;

typedef struct trc_nmea_state {
    trc_nmea_epoch ep;
    int32_t carry_days;        /* date of the last dated epoch, -1 none */
    int32_t carry_tod_ms;
    int no_checksum;           /* a bad checksum is counted, the sentence read */
    int reference;             /* every epoch with a position is a fix */
    trc_counters n;
    char detail[128];          /* text of the last skip */
} trc_nmea_state;

void trc_nmea_init(trc_nmea_state *st);

/*
 * Decode one sentence: line[0..len-1] without the line end (a trailing CR
 * is allowed), e.g. "$GPGGA,123519,4807.038,N,01131.000,E,1,08,0.9,545.4,M,
 * 46.9,M,,*47".  line_no is the caller's line number, kept for the fix.
 * When the sentence starts a new epoch and the previous one was a fix, that
 * fix is written to *fix and *extra (either may be NULL to discard) and
 * TRC_NMEA_FIX is returned.  A bad sentence changes no epoch state: it
 * returns TRC_NMEA_SKIPPED, sets *why (may be NULL) and st->detail, and
 * counts it in st->n.  Never reads past len; any bytes are safe.
 */
trc_nmea_result trc_nmea_decode(trc_nmea_state *st, const char *line, size_t len,
                                long line_no, pw_fix *fix, trc_fix_extra *extra,
                                trc_skip_reason *why);

/* End of input: finish the open epoch.  Returns TRC_NMEA_FIX when it was a
 * fix (written to *fix, *extra), else TRC_NMEA_NONE. */
trc_nmea_result trc_nmea_flush(trc_nmea_state *st, pw_fix *fix, trc_fix_extra *extra);

/* ---- gpsd JSON (libgps) --------------------------------------------- */

/*
 * Decode one gpsd JSON object (a line of `gpspipe -w`) with libgps's
 * gps_unpack; buf is NUL-terminated and may be modified.  A TPV with mode
 * >= 2, a time and a position gives a fix (its own time, not the time it
 * was read): returns 1 and fills *fix and *extra.  A TPV whose mode says
 * no fix (0 or 1) returns 2, or with reference and a time and a position
 * 3 and fills them (a reference is kept epoch by epoch); other classes and TPVs without time or
 * position return 0; an object that is cut off (no closing brace) or
 * from which libgps takes nothing returns -1 (libgps 3.22's gps_unpack
 * itself returns 0 for those).
 * acc_m: from epx/epy (95 % per axis: sigma = ep / 1.96) when both are
 * known, else from eph taken as a 95 % radius (acc_m = eph * 1.51 / 2.45).
 * gpsdata is a struct gps_data_t owned by the caller (trc_gpsd_data_size
 * bytes), so this header does not need <gps.h>.
 */
size_t trc_gpsd_data_size(void);
int trc_gpsd_json_decode(void *gpsdata, char *buf, int reference, pw_fix *fix, trc_fix_extra *extra);

/* ---- Trace files ---------------------------------------------------- */

typedef struct trc_reader trc_reader;

/* Warning callback: one call per skipped line or sentence.  file is the path
 * given to trc_open, line counts from 1, what is a short text such as
 * "bad checksum: stated 4F, computed 4E".  The strings live until the next
 * reader call. */
typedef void (*trc_warn_cb)(void *ctx, const char *file, long line, const char *what);

typedef struct trc_options {
    trc_format format;            /* TRC_AUTO to detect */
    pw_id device;                       /* copied into every fix */
    trc_warn_cb warn;             /* may be NULL */
    void *warn_ctx;
    void *(*alloc)(size_t size);        /* zeroed memory; NULL: calloc */
    void (*free_fn)(void *p);           /* NULL: free */
    /* NMEA epochs before the first date (a GGA-only log has none at all)
     * are dated with this day (days since 1970-01-01, pw_days_from_civil);
     * with -1 (the default) they are dropped, counted (undated_epochs) and
     * said once at the end, with the day of the log's "# Date: YYYY-MM-DD"
     * line as a hint.  The header is not applied by itself: in gpsd's own
     * logs it is sometimes another day than the receiver's (a cold-boot log
     * dated 2010 whose receiver says 2019). */
    int64_t date_days;
    /* Receivers with the GPS week-rollover bug date their fixes 1024 weeks
     * early (2006 for 2026): rollover N adds N x 1024 weeks to every fix's
     * time.  0 (the default) keeps the date the receiver wrote, as gpsd's
     * own regression results do. */
    int rollover;
    /* A reference trajectory (RTK, survey grade) is kept epoch by epoch:
     * with reference, every NMEA epoch that gives coordinates is a fix,
     * whatever quality or status its receiver wrote (dropping them would
     * turn the reference into straight lines across the gaps).  no_checksum
     * reads sentences whose checksum is wrong (some survey exports write
     * wrong ones), counting them. */
    int reference;
    int no_checksum;
} trc_options;

void trc_options_default(trc_options *o);

/*
 * Open a trace file (opt may be NULL for the defaults).  Reading is in
 * bounded chunks: the reader holds one 64 kB chunk and one line of at most
 * TRC_LINE_MAX bytes (plus a struct gps_data_t), allocated here once;
 * longer lines are discarded as they stream past.
 */
trc_status trc_open(const char *path, const trc_options *opt,
                                trc_reader **out);
/*
 * The next fix in file order (fix->time is the receiver's own time; it may
 * go backwards when the receiver's clock jumps, e.g. at a cold boot).
 * extra may be NULL.  Returns TRC_OK, TRC_EOF at the end,
 * TRC_EIO on a read error, TRC_EFORMAT at the end of a file in
 * which no line of a known format was found.
 */
trc_status trc_next(trc_reader *rd, pw_fix *fix, trc_fix_extra *extra);
/* The detected format (TRC_AUTO until a line decided it). */
/* A mixed log read in automatic mode: the kind of line that gives the
 * fixes (the first to give one), TRC_AUTO before any. */
trc_format trc_get_fix_source(const trc_reader *rd);
trc_format trc_get_format(const trc_reader *rd);
const trc_counters *trc_get_counters(const trc_reader *rd);
void trc_close(trc_reader *rd); /* NULL is fine */

/*
 * One fix as a gpsdecode-style JSON object, without newline:
 *   {"class":"TPV","time":"2009-12-09T15:25:05.000Z","lat":55.797018833,
 *    "lon":23.569021667,"mode":3,"speed":0.130,"track":12.3000,"alt":37.000,
 *    "eph":51.680}
 * speed (m/s), track (deg), alt (MSL, m) and eph (m) only when known; mode
 * 2 when extra is NULL or has none.  Like snprintf: writes at most n bytes
 * including the NUL and returns the length the whole object needs.
 */
size_t trc_decode_json(const pw_fix *fix, const trc_fix_extra *extra, char *buf, size_t n);

/* Dates: pw_days_from_civil and pw_civil_from_days (engine.h). */

/* ------------------------------------------------------------------ */
/* A live receiver through gpsd (libgps)                               */
/* ------------------------------------------------------------------ */

/*
 * Connect to gpsd at host:port and watch in JSON; the socket is made
 * non-blocking, for the caller's event loop to poll (trc_gpsd_live_fd).
 * When the fd is readable, trc_gpsd_live_read reads everything waiting and
 * calls cb for each fix (mode 2 or more with a time and a position; the
 * fix's own time); it returns 0, or -1 when the connection is lost (close
 * it and open again later).
 */
typedef struct trc_gpsd_live trc_gpsd_live;
typedef void (*trc_gpsd_fix_cb)(void *ctx, const pw_fix *fix, const trc_fix_extra *extra);
trc_status trc_gpsd_live_open(trc_gpsd_live **out, const char *host, const char *port);
int trc_gpsd_live_fd(const trc_gpsd_live *l);
int trc_gpsd_live_read(trc_gpsd_live *l, pw_id device, trc_gpsd_fix_cb cb, void *ctx);
void trc_gpsd_live_close(trc_gpsd_live *l);

/* The libgps API version built against, "MAJOR.MINOR". */
const char *trc_libgps_api(void);

#endif /* PW_TRACES_H */
