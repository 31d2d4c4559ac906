/*
 * engine.h - the proxwatch monitoring engine: the contract.
 *
 * The engine is the monitoring centre's logic as a pure, deterministic
 * library: libc and libm only, no I/O, no clock, no globals.  Every call
 * carries `now`; results leave through out-parameters or the event sink the
 * caller provides.  The simulator, trace replay, live gpsd input and the live
 * service all drive this same API.
 *
 * Conventions
 *   - Time is pw_time_ms: int64 milliseconds since the Unix epoch, UTC.
 *   - Positions cross the API as WGS84 latitude/longitude in degrees.  Inside,
 *     the engine works in local east/north metres around the region origin
 *     (eng_frame below).
 *   - Unknown doubles are NAN and their bit in the `set` mask is clear.
 *   - Functions that can fail return eng_status (ENG_OK = 0); a function that
 *     returns an error has emitted no event.
 *   - May include: libc and libm only (the engine's own files share
 *     eng_internal.h); nothing else of proxwatch.
 *
 * Memory
 *   The caller owns eng_engine.  eng_init allocates every table once, through
 *   the allocator in the config (calloc when none), sized by the capacities
 *   in eng_config; nothing is allocated afterwards, so the per-fix path never
 *   allocates.  Per device 232 bytes plus 8 to 16 of hash; per case 432
 *   bytes, 16 of links, 12 to 20 of hash and timers, and incident_log_cap
 *   precise positions of 40 bytes (5,120 bytes at the default 128); per zone
 *   1,144 bytes (x86-64).  eng_memory_bytes() gives the exact total for a
 *   config: 10,000 devices and 5,000 cases with the defaults take 31.5 MB
 *   (31,548,064 bytes).
 *
 * Example
 *   eng_config cfg; eng_config_default(&cfg, 37.5665, 126.9780);
 *   eng_engine e;   eng_init(&e, &cfg, my_sink, my_ctx);
 *   eng_add_device(&e, 1, ENG_ROLE_OFFENDER); eng_add_device(&e, 2, ENG_ROLE_VICTIM);
 *   eng_case_def c; eng_case_default(&c, 100, 1, 2); eng_add_case(&e, &c);
 *   eng_on_fix(&e, &fix, now); eng_tick(&e, now); ... eng_close(&e);
 */
#ifndef PW_ENGINE_H
#define PW_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Project-wide types                                                  */
/* ------------------------------------------------------------------ */

typedef int64_t pw_time_ms; /* milliseconds since 1970-01-01T00:00:00Z */

/* The times the engine accepts, 1970-01-01 to 9999-12-31: a call whose `now`
 * lies outside returns ENG_EINVAL, a fix dated outside is rejected as
 * invalid.  Durations are >= 0; a huge one means "never" (no overflow). */
#define ENG_TIME_MAX ((pw_time_ms)253402300799999LL)
typedef uint32_t pw_id;     /* device, case, incident, officer ids; 0 = none */

typedef enum pw_fix_source {
    PW_SRC_GNSS = 0,
    PW_SRC_CELL, /* cell-tower fallback: 100-1,000 m */
    PW_SRC_WIFI, /* Wi-Fi positioning: 10-100 m */
    PW_SRC_DR,   /* dead reckoning */
    PW_SRC_COUNT
} pw_fix_source;

/* Bits of pw_fix.set: which fields are known. */
enum {
    PW_FIX_TIME_SET = 1u << 0,
    PW_FIX_LATLON_SET = 1u << 1,
    PW_FIX_ACC_SET = 1u << 2,
    PW_FIX_SPEED_SET = 1u << 3,
    PW_FIX_HEADING_SET = 1u << 4,
    PW_FIX_SATS_SET = 1u << 5,
    PW_FIX_HDOP_SET = 1u << 6,
    PW_FIX_RECV_SET = 1u << 7,
    PW_FIX_MOTION_SET = 1u << 8   /* `moving` is known (the device's accelerometer) */
};

/* One position report of one device. */
typedef struct pw_fix {
    pw_id device;
    unsigned set;          /* PW_FIX_*_SET bits */
    pw_time_ms time;       /* when the receiver computed the fix, ms UTC */
    pw_time_ms recv_time;  /* when the centre received it, ms UTC */
    double lat, lon;       /* WGS84, degrees */
    double acc_m;          /* claimed horizontal accuracy, 68 % radius, m */
    double speed_mps;      /* ground speed, m/s */
    double heading_deg;    /* course over ground, degrees from true north */
    double hdop;           /* horizontal dilution of precision */
    int sats;              /* satellites used */
    pw_fix_source source;
    int moving;            /* with PW_FIX_MOTION_SET: 1 the wearer moves, 0 at rest */
} pw_fix;

/* The proleptic Gregorian calendar (H. Hinnant's algorithms), so that no
 * module needs the C library's time zone: days since 1970-01-01 of a date,
 * and back. */
int64_t pw_days_from_civil(int64_t year, int month, int day);
void pw_civil_from_days(int64_t days, int *year, int *month, int *day);
/* t as ISO 8601 in UTC with milliseconds, "2026-03-02T07:30:00.000Z" (24
 * characters; a year outside 0..9999 is written as it is), into buf of n
 * bytes, NUL-terminated and cut to fit.  No I/O. */
void pw_format_time(pw_time_ms t, char *buf, size_t n);

/* Radii of a circular 2-D Gaussian in units of its per-axis sigma: 68 %
 * of it lies within sqrt(-2 ln 0.32) = 1.5096 sigma (the "accuracy" of a
 * fix, as Android reports it), 95 % within sqrt(-2 ln 0.05) = 2.4477 sigma
 * (gpsd's eph).  Written once, here. */
#define ENG_ACC68_PER_SIGMA 1.5096
#define ENG_ACC95_PER_SIGMA 2.4477
/* The default GNSS range error (eng_filter_config.uere_m), m: with HDOP,
 * a per-axis sigma of hdop x 5 / sqrt 2.  Readers of HDOP-only traces use
 * the same figure. */
#define ENG_UERE_M_DEFAULT 5.0

/* Initialise a fix with nothing known (all doubles NAN, set = 0). */
void pw_fix_clear(pw_fix *f);

/* Bits of pw_device_status.set. */
enum {
    PW_STATUS_BATTERY_SET = 1u << 0,
    PW_STATUS_TAMPER_SET = 1u << 1,
    PW_STATUS_POWER_SET = 1u << 2,
    PW_STATUS_PANIC_SET = 1u << 3,
    PW_STATUS_MOTION_SET = 1u << 4  /* `moving` is known (accelerometer) */
};

/* A device's health report (heartbeat).  Any message counts as contact. */
typedef struct pw_device_status {
    pw_id device;
    unsigned set;          /* PW_STATUS_*_SET bits */
    pw_time_ms time;       /* device time of the report, ms UTC */
    double battery_pct;    /* 0..100 */
    int strap_tampered;    /* nonzero: strap cut or opened */
    int powering_off;      /* nonzero: the device announces it turns off */
    int panic;             /* nonzero: the victim pressed the panic button */
    int moving;            /* with PW_STATUS_MOTION_SET: 1 moves, 0 at rest (a
                              device reports a stop at once, in a status) */
} pw_device_status;

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

typedef enum eng_status {
    ENG_OK = 0,
    ENG_EINVAL = -1,      /* an argument is out of range or malformed */
    ENG_ENOMEM = -2,      /* the allocator failed (eng_init only) */
    ENG_EFULL = -3,       /* a capacity given in eng_config is reached */
    ENG_EEXIST = -4,      /* the id is already registered */
    ENG_ENOENT = -5,      /* no such device, case or incident */
    ENG_EROLE = -6,       /* the device's role does not fit (e.g. victim as offender) */
    ENG_EREJECTED = -7,   /* the fix was gated out; see the FIX_REJECTED event */
    ENG_ESTATE = -8       /* the call does not fit the current state */
} eng_status;

const char *eng_strerror(eng_status s);

/* ------------------------------------------------------------------ */
/* Geometry (pure functions)                                           */
/* ------------------------------------------------------------------ */

/*
 * A local east/north frame around a region origin on the WGS84 ellipsoid:
 * the origin's tangent plane (ENU with the height dropped).  Lengths shrink
 * by about (r / R)^2 / 2 at distance r from the origin, 3e-5 at 50 km, so
 * Euclidean distance in this frame agrees with the geodesic (GeographicLib)
 * to better than 0.1 % within 50 km of the origin
 * (tests/data/geodesic_seoul.tsv).  Bearings in the frame are grid bearings;
 * they differ from true azimuths by the meridian convergence, under 0.4
 * degrees within 50 km at Seoul.
 */
typedef struct eng_frame {
    double lat0_rad, lon0_rad;
    double sin_lat0, cos_lat0;
    double x0, z0;               /* origin, Earth-centred, m (y0 = 0) */
} eng_frame;

/* lat0 in [-89, 89], lon0 in [-180, 180]; ENG_EINVAL otherwise. */
eng_status eng_frame_init(eng_frame *fr, double lat0_deg, double lon0_deg);
/* WGS84 degrees -> local metres (east x, north y). */
void eng_geo_to_local(const eng_frame *fr, double lat_deg, double lon_deg,
                      double *x_m, double *y_m);
/* Local metres -> WGS84 degrees; inverse of eng_geo_to_local to < 1e-9 deg. */
void eng_geo_to_wgs84(const eng_frame *fr, double x_m, double y_m,
                      double *lat_deg, double *lon_deg);
/* Distance in metres between two WGS84 points, through the frame. */
double eng_geo_distance_m(const eng_frame *fr, double lat1, double lon1,
                          double lat2, double lon2);
/* Grid bearing in degrees [0, 360) of the vector (dx east, dy north). */
double eng_geo_bearing_deg(double dx_m, double dy_m);

typedef struct eng_point {
    double x, y; /* local metres */
} eng_point;

/* Even-odd rule; points exactly on an edge may fall either way. */
int eng_poly_contains(const eng_point *v, size_t n, double x, double y);
/* Distance from (x, y) to the nearest edge of the closed polygon v[0..n-1]. */
double eng_poly_edge_distance(const eng_point *v, size_t n, double x, double y);
/* Edge distance, negative inside the polygon, positive outside. */
double eng_poly_signed_distance(const eng_point *v, size_t n, double x, double y);

/* Standard normal cumulative distribution. */
double eng_normal_cdf(double z);
/*
 * Probability that a 2-D isotropic Gaussian point with per-axis standard
 * deviation sigma_m, whose mean lies at distance mean_dist_m from a centre,
 * falls within radius_m of that centre (the Rice distribution's CDF).
 * sigma_m may be 0 (then 0 or 1).  Absolute error below 2e-4.
 */
double eng_prob_within(double mean_dist_m, double sigma_m, double radius_m);
/*
 * Probability that a 2-D isotropic Gaussian point with mean (mx, my) and
 * per-axis standard deviation sigma_m lies inside the simple polygon
 * v[0..n-1] (n >= 3, either orientation, local metres).  Computed from the
 * 2-D Gaussian itself, not a 1-D approximation across the nearest edge.
 * sigma_m may be 0 (then 0 or 1, by eng_poly_contains).  Absolute error
 * below 1e-4 (tests/data/polygon_prob.tsv).
 */
double eng_prob_in_polygon(const eng_point *v, size_t n, double mx, double my, double sigma_m);

/* ------------------------------------------------------------------ */
/* Track filter (one per device)                                       */
/* ------------------------------------------------------------------ */

/*
 * Kalman filter in local metres, position and velocity per axis, with
 * mean-reverting velocity (integrated Ornstein-Uhlenbeck, see track.c).
 * Because a fix's claimed
 * accuracy is a radius (isotropic), and the process noise is isotropic, the
 * east and north axes share one 2x2 covariance: state (x, vx) and (y, vy),
 * covariance [[pp, pv], [pv, vv]] for both.  This halves the work and is
 * exact for isotropic noise.
 */
typedef struct eng_track {
    pw_time_ms t;            /* time of the state, ms */
    double x, y, vx, vy;     /* m, m/s */
    double pp, pv, vv;       /* per-axis covariance: m^2, m^2/s, m^2/s^2 */
    int initialised;
    int at_rest;             /* the newest fix said the wearer is at rest */
} eng_track;

/* Tuning of the filter and its gates. */
typedef struct eng_filter_config {
    double speed_sigma_mps;      /* stationary std of velocity per axis, m/s */
    double speed_tau_s;          /* velocity correlation time, s */
    double gate_chi2;            /* Mahalanobis gate on 2 dof (13.8 = 99.9 %) */
    double max_speed_mps;        /* faster implied motion is impossible */
    double init_speed_sigma_mps; /* velocity std of a new track */
    int reacquire_fixes;         /* consistent rejected fixes that reset a track */
    double max_sigma_m;          /* cap of the position std during gaps */
    double gnss_acc_inflation;   /* claimed GNSS accuracy is often optimistic */
    double min_sigma_m[PW_SRC_COUNT];     /* floor of the measurement std */
    double default_sigma_m[PW_SRC_COUNT]; /* when neither accuracy nor HDOP is known */
    double uere_m;               /* GNSS range error: per-axis sigma = hdop * uere / sqrt 2 */
    double rest_diffusion_m2ps;  /* at rest: position variance grows this much a second */
    double manoeuvre_accel_mps2; /* a vehicle's largest sustained acceleration (turns) */
    double manoeuvre_min_speed_mps; /* only tracks this fast are tested for a manoeuvre */
    pw_time_ms reacquire_min_ms; /* rejected fixes must agree for this long to reset */
    double rest_speed_mps;       /* without an accelerometer's word, a GNSS fix whose own
                                    (Doppler) speed is below this says at rest */
} eng_filter_config;

/* Measurement std (per axis, m) that the filter gives this fix. */
double eng_fix_sigma_m(const eng_filter_config *fc, const pw_fix *f);
/* Start a track at (x, y) with per-axis measurement std sigma_m. */
void eng_track_reset(eng_track *tr, const eng_filter_config *fc,
                     pw_time_ms t, double x, double y, double sigma_m);
/* The state predicted to time t (t >= tr->t); tr is not changed. */
void eng_track_predict(const eng_track *tr, const eng_filter_config *fc,
                       pw_time_ms t, eng_track *out);
/*
 * Squared Mahalanobis distance of a measurement (x, y, sigma_m) at time t
 * from the track predicted to t.
 */
double eng_track_mahalanobis2(const eng_track *tr, const eng_filter_config *fc,
                              pw_time_ms t, double x, double y, double sigma_m);
/* Mark the track at rest (velocity 0, see eng_filter_config.rest_diffusion_m2ps)
 * or moving again. */
void eng_track_set_rest(eng_track *tr, int at_rest);
/* A track at rest that starts moving (the accelerometer woke it): moving
 * again, its velocity unknown (a new track's spread), so the next
 * prediction spreads from the last rest position. */
void eng_track_wake(eng_track *tr, const eng_filter_config *fc);
/* Fold a measurement taken at tr->t into the track (no prediction). */
void eng_track_correct(eng_track *tr, double x, double y, double sigma_m);
/* Predict to t and fold in the measurement. */
void eng_track_update(eng_track *tr, const eng_filter_config *fc,
                      pw_time_ms t, double x, double y, double sigma_m);
/* Per-axis position standard deviation of a track, m. */
double eng_track_sigma_m(const eng_track *tr);

/* ------------------------------------------------------------------ */
/* Cases, zones and rules                                              */
/* ------------------------------------------------------------------ */

typedef enum eng_role {
    ENG_ROLE_OFFENDER = 1, /* ankle tag */
    ENG_ROLE_VICTIM = 2    /* victim phone */
} eng_role;

/* A weekly window in local time: days_mask bit 0 = Monday .. bit 6 = Sunday;
 * minutes since local midnight, start < end (a window that crosses midnight
 * is two windows). */
typedef struct eng_window {
    uint8_t days_mask;
    uint16_t start_min, end_min; /* [start, end) */
} eng_window;

#define ENG_MAX_WINDOWS 4
#define ENG_MAX_ZONE_VERTICES 64
#define ENG_MAX_CASE_ZONES 8

/* When a schedule applies.  n_windows = 0 means always. */
typedef struct eng_schedule {
    int utc_offset_min;               /* local time = UTC + offset */
    int n_windows;
    eng_window windows[ENG_MAX_WINDOWS];
} eng_schedule;

/* Does the schedule apply at time t?  (Pure.) */
int eng_schedule_active(const eng_schedule *s, pw_time_ms t);
/* The first time after t at which eng_schedule_active changes; INT64_MAX
 * for a schedule that never changes (no windows, or always on) and for t
 * outside 0..ENG_TIME_MAX. */
pw_time_ms eng_schedule_next_change(const eng_schedule *s, pw_time_ms t);

typedef enum eng_zone_kind { ENG_ZONE_CIRCLE = 1, ENG_ZONE_POLYGON = 2 } eng_zone_kind;

/* A static exclusion zone, given in WGS84. */
typedef struct eng_zone_def {
    pw_id id;                  /* caller's zone id, reported in events */
    eng_zone_kind kind;
    double center_lat, center_lon, radius_m;               /* circle */
    size_t n_vertices;                                     /* polygon */
    double lat[ENG_MAX_ZONE_VERTICES], lon[ENG_MAX_ZONE_VERTICES];
    eng_schedule schedule;
} eng_zone_def;

/* A zone's shape in local metres, with its bounding box: what the engine
 * judges fixes against and the metrics judge true positions against. */
typedef struct eng_zone_geom {
    eng_zone_kind kind;
    double cx, cy, radius_m;                 /* circle */
    size_t n;                                /* polygon */
    eng_point v[ENG_MAX_ZONE_VERTICES];
    double minx, miny, maxx, maxy;           /* bounding box */
} eng_zone_geom;
/* zd's shape through the frame.  ENG_OK, or ENG_EINVAL for an unknown
 * kind, a circle without a finite positive radius, a polygon of fewer than
 * 3 or more than ENG_MAX_ZONE_VERTICES vertices, or a coordinate that is
 * not finite or out of range (then *g is unspecified).  Pure. */
eng_status eng_zone_geom_init(const eng_frame *fr, const eng_zone_def *zd, eng_zone_geom *g);

/* A case: one offender tag, one victim phone, the court-ordered rules. */
typedef struct eng_case_def {
    pw_id id;
    pw_id offender, victim;      /* device ids, registered before the case */
    double alarm_radius_m;       /* default 500 */
    double prewarn_radius_m;     /* default 1,000; 0 disables */
    double enter_margin_m;       /* added to a radius when deciding to open (default 0) */
    double leave_margin_m;       /* added to a radius when deciding to close (default 50) */
    double p_open;               /* open at P(inside) >= p_open (default 0.5) */
    double p_close;              /* close at P(inside) <= p_close (default 0.2) */
    pw_time_ms dwell_open_ms;    /* condition must hold this long to open (default 0) */
    pw_time_ms dwell_close_ms;   /* ... and this long to close (default 60 s) */
    pw_time_ms grace_ms;         /* reveal stays open after the alarm closes (default 60 s) */
    pw_time_ms reveal_max_ms;    /* hard cap of one reveal window (default 2 h) */
    size_t n_zones;
    eng_zone_def zones[ENG_MAX_CASE_ZONES];
} eng_case_def;

/* Fill a case with the defaults above and no zones. */
void eng_case_default(eng_case_def *c, pw_id id, pw_id offender, pw_id victim);

/* ------------------------------------------------------------------ */
/* Events                                                              */
/* ------------------------------------------------------------------ */

typedef enum pw_event_type {
    PW_EV_FIX_REJECTED = 1,  /* reason = eng_reject_reason */
    PW_EV_TRACK_REACQUIRED,  /* a run of consistent fixes reset the track */
    PW_EV_PREWARN_OPEN,      /* to the monitoring centre only */
    PW_EV_PREWARN_CLOSE,
    PW_EV_ALARM_OPEN,        /* rule = proximity or zone */
    PW_EV_ALARM_CLOSE,
    PW_EV_REVEAL_OPEN,       /* the victim's window opens */
    PW_EV_REVEAL_UPDATE,     /* offender position shown to the victim */
    PW_EV_REVEAL_CLOSE,      /* reason = eng_reveal_close_reason */
    PW_EV_INCIDENT_OPEN,     /* to the 112 dispatcher: both pins */
    PW_EV_INCIDENT_UPDATE,   /* both pins, updated */
    PW_EV_INCIDENT_ACK,
    PW_EV_INCIDENT_CLOSE,
    PW_EV_INCIDENT_PURGED,   /* value = records purged; lat/lon = coarse summary */
    PW_EV_PURSUIT_ON,        /* ask the tag for fast reporting */
    PW_EV_PURSUIT_OFF,
    PW_EV_SIGNAL_LOST,       /* no GNSS fix (by fix time) for the device's timeout */
    PW_EV_SIGNAL_RESTORED,
    PW_EV_COMM_LOST,         /* no message for no_comm_ms */
    PW_EV_COMM_RESTORED,
    PW_EV_TAMPER,
    PW_EV_BATTERY_LOW,       /* value = battery % */
    PW_EV_DEVICE_OFF,
    PW_EV_ESCALATION,        /* a health fault near a victim: treated as risk */
    PW_EV_VICTIM_WARNING,    /* victim told to take care; carries no position */
    PW_EV_DISCLOSURE,        /* audit record: a position was shown to someone */
    PW_EV_PANIC,             /* a victim pressed the panic button: incident opens */
    PW_EV_UNCERTAIN_OPEN,    /* proximity cannot be decided and the offender is
                                plausibly inside: see "Uncertain proximity" */
    PW_EV_UNCERTAIN_CLOSE,   /* decidable again, or no longer plausibly inside */
    PW_EV_STALE_DATA,        /* a fix arrived older than max_fix_age_ms; value = age, s */
    PW_EV_TYPE_COUNT
} pw_event_type;

typedef enum eng_rule_kind {
    ENG_RULE_NONE = 0,
    ENG_RULE_PROXIMITY,      /* offender within the alarm radius of the victim */
    ENG_RULE_PREWARN,        /* offender within the pre-warning radius */
    ENG_RULE_ZONE            /* offender inside an exclusion zone (zone_id) */
} eng_rule_kind;

typedef enum eng_reject_reason {
    ENG_REJ_NONE = 0,
    ENG_REJ_NO_POSITION,     /* no lat/lon, or not finite */
    ENG_REJ_INVALID,         /* lat/lon/accuracy out of range */
    ENG_REJ_OUT_OF_REGION,   /* farther than region_radius_m from the origin */
    ENG_REJ_DUPLICATE,       /* same fix time as the last accepted fix */
    ENG_REJ_OUT_OF_ORDER,    /* older than the last accepted fix */
    ENG_REJ_FUTURE,          /* fix time after now + max_future_ms */
    ENG_REJ_IMPOSSIBLE_SPEED,/* implied speed above max_speed_mps */
    ENG_REJ_OUTLIER,         /* beyond the filter's Mahalanobis gate */
    ENG_REJ_COUNT
} eng_reject_reason;

typedef enum eng_reveal_close_reason {
    ENG_REVEAL_GRACE_OVER = 1, /* breach ended and the grace period passed */
    ENG_REVEAL_TIMEOUT,        /* reveal_max_ms reached */
    ENG_REVEAL_INCIDENT_CLOSED, /* the case officer closed the incident */
    ENG_REVEAL_RENEWED         /* a new alarm opened during the grace period: a
                                  new window (REVEAL_OPEN) follows at once */
} eng_reveal_close_reason;

typedef enum eng_party {
    ENG_PARTY_NONE = 0,
    ENG_PARTY_MONITORING_CENTRE,
    ENG_PARTY_VICTIM,
    ENG_PARTY_DISPATCHER,
    ENG_PARTY_CASE_OFFICER
} eng_party;

/*
 * One engine event.  A flat struct so that every sink (JSON writer, metrics,
 * renderer, service) reads the same fields; fields that do not apply are 0
 * or NAN.  For PW_EV_DISCLOSURE: recipient/recipient_id saw the position of
 * subject at time, because of `reason` (the pw_event_type that carried it).
 */
typedef struct pw_event {
    pw_event_type type;
    pw_time_ms time;          /* engine time of the event, ms UTC */
    pw_id case_id, device, incident;
    eng_rule_kind rule;
    pw_id zone_id;
    int reason;               /* eng_reject_reason, eng_reveal_close_reason, or
                                 the carrying event type for DISCLOSURE */
    eng_party recipient;      /* who is told / who saw it */
    pw_id recipient_id;       /* victim device id for ENG_PARTY_VICTIM */
    pw_id subject;            /* whose position a DISCLOSURE is about */
    double lat, lon, acc_m;   /* offender (or subject) position, 68 % radius */
    double heading_deg, speed_mps;
    double victim_lat, victim_lon, victim_acc_m; /* second pin, dispatcher */
    double probability;       /* P(inside) at the decision */
    double distance_m;        /* between filtered positions */
    double value;             /* battery %, records purged, ... */
} pw_event;

typedef void (*eng_sink_cb)(void *ctx, const pw_event *ev);

const char *pw_event_name(pw_event_type t);
const char *eng_reject_name(eng_reject_reason r);

/* ------------------------------------------------------------------ */
/* The engine                                                          */
/* ------------------------------------------------------------------ */

/*
 * The rules, in the order a fix meets them
 *
 * Motion state.  A fix may say whether the wearer moves (PW_FIX_MOTION_SET,
 * `moving`: the device's accelerometer; tags wake to their moving interval
 * the moment he moves).  A track whose newest fix says "at rest" has no
 * velocity and grows only by rest_diffusion_m2ps between fixes, so a tag
 * that reports every 5 minutes at rest is not spread like a moving target;
 * the first "moving" fix after rest gets a new track's velocity spread.
 * A GNSS fix without the bit but with the receiver's own speed
 * (PW_FIX_SPEED_SET: Doppler, as NMEA RMC and gpsd report it) says at rest
 * when that speed is below rest_speed_mps (0.5 m/s), moving otherwise: so
 * recorded traces and live receivers get a motion state too.
 * A status with PW_STATUS_MOTION_SET says the same between fixes (a device
 * reports a stop at once): the track is predicted to the status time and
 * set at rest, so a lost first "at rest" fix does not leave the moving
 * GNSS-loss timeout in force.  Without any of these, every track is a
 * moving target.
 *
 * Gating.  Fixes are rejected by reason (see eng_reject_reason).  A fix
 * outside the filter's gate on a track moving at vehicle speed is accepted
 * as a manoeuvre when it fits a sustained acceleration of
 * manoeuvre_accel_mps2 (a car turning between two fixes), but only right
 * after an accepted fix.  reacquire_fixes rejected fixes that agree with
 * each other over reacquire_min_ms restart the track (a cold-boot jump); a
 * shorter run (multipath) cannot.  Two rejected fixes that both say at
 * rest at one new place, reacquire_min_ms apart, are enough: the wake-up
 * fix of a device that moved was lost.
 *
 * Proximity and zones.  P(inside) from both tracks' uncertainty at the newer
 * of the two states; an alarm opens at p_open (after dwell_open) and closes
 * at p_close (after dwell_close) against the radius plus the leave margin.
 * A countdown that has started is cancelled only by a judgement on the far
 * side of the band (p >= p_open while closing, p <= p_close while opening).
 * Zones with a schedule are judged at every boundary of it on eng_tick: a
 * zone that starts to apply can alarm at its first tick, and one that stops
 * applying closes its alarm at once.
 *
 * Uncertain proximity.  When the combined uncertainty sigma is so large
 * that even an offender on top of the victim scores below p_open
 * (1 - exp(-R^2 / 2 sigma^2) < p_open, R = alarm radius + enter margin:
 * sigma > 424 m for 500 m and p_open 0.5), the proximity rule cannot
 * decide.  If the offender is then plausibly inside (P >= p_close), the
 * engine escalates: PW_EV_UNCERTAIN_OPEN to the centre with his position,
 * pursuit mode asked of the tag (to get a GNSS fix), PW_EV_ESCALATION
 * (reason PW_EV_UNCERTAIN_OPEN), a PW_EV_VICTIM_WARNING without any
 * position, and an incident.  No reveal window opens: nothing is decided.
 * PW_EV_UNCERTAIN_CLOSE when the case is decidable again, when P falls
 * below p_close / 2, or when an alarm opens.
 *
 * The reveal window.  An alarm opens the victim's window; it closes `grace`
 * after the last alarm of the case closes (at once with no grace), or at
 * the cap reveal_max_ms.  Expiry comes before new alarms: an alarm whose
 * dwell ends on the cap's tick opens a new window, and an alarm that opens
 * while the window is open only for an ended alarm's grace closes it
 * (ENG_REVEAL_RENEWED) and opens its own, with a cap of its own.  A window
 * capped while an alarm still holds stays closed until a new alarm opens.
 *
 * Health.  Signal loss is loss of GNSS by fix time (eng_device_timeouts);
 * a fix older than max_fix_age_ms on arrival is stale (counted, STALE_DATA
 * once per episode unless the device is already lost); contact loss is no
 * message at all for no_comm_ms.  Any of these, a tamper, low battery or
 * power-off while the offender's last position is near a victim (within
 * the larger radius) or plausibly in a zone escalates as above.
 *
 * Access.  Every position shown passes the access rule of the case named
 * in its audit record (eng_may_disclose answers for any case of the pair).
 */

/* Where the engine's one-time allocations go; a test can make it fail. */
typedef struct eng_allocator {
    void *(*alloc)(void *ctx, size_t size); /* zeroed memory or NULL */
    void (*release)(void *ctx, void *p);
    void *ctx;
} eng_allocator;

/* What the incident records keep after a purge. */
typedef struct eng_retention {
    double coarse_grid_m;    /* summary position snapped to this grid; 0 = keep none */
    double distance_step_m;  /* minimum distance rounded up to this step */
} eng_retention;

typedef struct eng_config {
    double origin_lat, origin_lon;   /* region origin, degrees */
    double region_radius_m;          /* fixes beyond are rejected (default 100 km) */
    size_t max_devices, max_cases, max_zones;
    size_t incident_log_cap;         /* precise positions kept per open incident */
    eng_filter_config filter;
    pw_time_ms max_future_ms;        /* tolerated receiver clock lead (default 60 s) */
    pw_time_ms max_fix_age_ms;       /* a fix older than this on arrival is stale
                                        (counted, STALE_DATA; default 120 s) */
    pw_time_ms no_fix_ms;            /* GNSS lost: no GNSS fix for this long (default 150 s) */
    pw_time_ms no_comm_ms;           /* contact lost after this (default 300 s) */
    double battery_low_pct;          /* default 15 */
    eng_retention retention;
    eng_allocator allocator;         /* alloc NULL = calloc/free */
} eng_config;

/* Defaults for a region around (lat, lon). */
void eng_config_default(eng_config *cfg, double origin_lat, double origin_lon);

/* Per-reason counters of gated fixes, and totals. */
typedef struct eng_counters {
    uint64_t fixes_in, fixes_accepted;
    uint64_t rejected[ENG_REJ_COUNT];
    uint64_t reacquired;
    uint64_t manoeuvres;             /* fixes accepted only as a manoeuvre */
    uint64_t fixes_stale;            /* fixes older than max_fix_age_ms on arrival */
    uint64_t disclosures_withheld;   /* events the access rule stopped */
    uint64_t cases_evaluated;        /* case judgements run by fixes */
    uint64_t events[PW_EV_TYPE_COUNT];
} eng_counters;

/* A filtered estimate, for display and tests. */
typedef struct eng_estimate {
    double lat, lon;     /* degrees */
    double x, y;         /* local metres */
    double sigma_m;      /* per-axis std of the position */
    double speed_mps, heading_deg;
    pw_time_ms time;     /* time of the estimate */
} eng_estimate;

typedef struct eng_device eng_device;   /* private */
typedef struct eng_case eng_case;       /* private */
typedef struct eng_zone eng_zone;       /* private */
typedef struct eng_link eng_link;       /* private */
typedef struct eng_log_entry eng_log_entry; /* private */

/* The engine's state.  Fields are private; the struct is here so that callers
 * can own its storage. */
typedef struct eng_engine {
    eng_config cfg;
    eng_frame frame;
    eng_sink_cb sink;
    void *sink_ctx;
    eng_device *devices;  size_t n_devices;
    uint32_t *device_hash; size_t hash_mask;   /* id -> device index + 1 */
    eng_case *cases;      size_t n_cases;
    uint32_t *case_hash;  size_t case_hash_mask;
    eng_zone *zones;      size_t n_zones;
    eng_log_entry *incident_log;               /* max_cases * incident_log_cap */
    eng_link *links;      size_t n_links;      /* device -> case adjacency */
    uint32_t *timer_cases; size_t n_timer_cases; /* cases with a running timer */
    pw_id next_incident;
    pw_time_ms next_health_deadline;           /* no device is due before */
    pw_time_ms next_case_deadline;             /* no case timer is due before */
    pw_time_ms next_schedule_deadline;         /* no zone schedule changes before */
    pw_time_ms resumed_at;                     /* eng_resume's now; INT64_MIN none */
    pw_id (*number_incident)(void *ctx, pw_id case_id, pw_time_ms opened); /* NULL: 1, 2, 3, ... */
    void *number_ctx;
    eng_counters counters;
} eng_engine;

eng_status eng_init(eng_engine *e, const eng_config *cfg, eng_sink_cb sink,
                    void *sink_ctx);
/* Bytes eng_init will allocate for this config (0 if it would overflow). */
size_t eng_memory_bytes(const eng_config *cfg);
void eng_close(eng_engine *e);

eng_status eng_add_device(eng_engine *e, pw_id id, eng_role role);
/*
 * Per-device health timeouts.  Signal loss is loss of GNSS: it is judged by
 * the fix time of the device's newest GNSS fix, so cell or Wi-Fi positions
 * (a tunnel) and late deliveries of old fixes (a clock minutes behind, a
 * backlog) do not keep a device "alive".  While the device's newest fix says
 * it is at rest (PW_FIX_MOTION_SET, moving = 0) it reports seldom by design,
 * and no_gnss_rest_ms applies instead.  0 keeps the config's value
 * (no_fix_ms, no_fix_ms, no_comm_ms).
 */
typedef struct eng_device_timeouts {
    pw_time_ms no_gnss_ms;        /* moving or motion unknown */
    pw_time_ms no_gnss_rest_ms;   /* the newest fix says at rest */
    pw_time_ms no_comm_ms;        /* no message of any kind */
} eng_device_timeouts;

eng_status eng_set_device_timeouts(eng_engine *e, pw_id id, const eng_device_timeouts *t);
eng_status eng_add_case(eng_engine *e, const eng_case_def *c);

/*
 * Feed one fix.  Gated fixes are counted, reported as PW_EV_FIX_REJECTED and
 * return ENG_EREJECTED; they never change a track.  Accepted fixes update the
 * device's track and re-judge every case the device is in.
 */
eng_status eng_on_fix(eng_engine *e, const pw_fix *f, pw_time_ms now);
/* Feed a health report (heartbeat, battery, tamper, power-off). */
eng_status eng_on_status(eng_engine *e, const pw_device_status *s, pw_time_ms now);
/* Run timers due by now: dwell, grace, reveal timeout, signal/contact loss.
 * Cheap when nothing is due; call it at least once per second of `now`. */
eng_status eng_tick(eng_engine *e, pw_time_ms now);
/*
 * The caller heard nothing from any device until now through no fault of
 * theirs (its own outage: a live centre restarted after a crash or a
 * stop).  Contact and GNSS losses are then judged from now as well as from
 * each device's newest message and fix: a device is lost only if it stays
 * silent for its timeout after now, and not at the first tick because the
 * centre itself was away.  The events' silences still count from the
 * device's newest message.  Losses already raised before stay raised.
 */
eng_status eng_resume(eng_engine *e, pw_time_ms now);
/* The earliest time at which eng_tick has anything to do (a timer, a
 * health or schedule deadline), INT64_MAX when nothing is pending, or
 * earlier than now when something is overdue.  A caller driving the clock
 * from recorded data may call eng_tick only from then on: ticks before it
 * change nothing.  (Feeding a fix or a status may move it earlier.) */
pw_time_ms eng_next_deadline(const eng_engine *e);

/* The case officer acknowledges / closes an incident.  Closing purges the
 * precise positions kept for it (PW_EV_INCIDENT_PURGED) and ends its windows. */
eng_status eng_incident_ack(eng_engine *e, pw_id incident, pw_id officer, pw_time_ms now);
eng_status eng_incident_close(eng_engine *e, pw_id incident, pw_id officer, pw_time_ms now);
/*
 * Who numbers the incidents: by default the engine, 1, 2, 3, ... in the
 * order they open.  A caller that keeps incidents across restarts (a live
 * centre rebuilding its engine from a store) numbers them itself, so that
 * an incident keeps its id and no id is used twice: fn(ctx, case, opened)
 * returns the new incident's id.  An id of 0, or one an open incident
 * already has, is not taken: the engine numbers that one itself, above
 * every id it has seen.  fn NULL: back to the default.
 */
eng_status eng_set_incident_numbering(eng_engine *e, pw_id (*fn)(void *ctx, pw_id case_id, pw_time_ms opened),
                                      void *ctx);
/* Precise positions currently kept for an incident (0 after a purge). */
size_t eng_incident_log_count(const eng_engine *e, pw_id incident);
/* The open incident of a case, or 0. */
pw_id eng_case_incident(const eng_engine *e, pw_id case_id);

/* Filtered estimate of a device, predicted to `now`. */
eng_status eng_device_estimate(const eng_engine *e, pw_id device, pw_time_ms now,
                               eng_estimate *out);
/*
 * The access rule: may `recipient` (with id recipient_id) see the position of
 * device `subject` at `now`?  The victim: only the offender of one of its
 * cases, while that case's reveal window is open.  The dispatcher: only the
 * two devices of a case with an open incident.  The monitoring centre:
 * offender tags always, victims only while an incident of theirs is open.
 * Every disclosure the engine makes passes through this check.
 */
int eng_may_disclose(const eng_engine *e, eng_party recipient, pw_id recipient_id,
                     pw_id subject, pw_time_ms now);

const eng_counters *eng_get_counters(const eng_engine *e);

#ifdef __cplusplus
}
#endif
#endif /* PW_ENGINE_H */
