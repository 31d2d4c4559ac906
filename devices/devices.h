/*
 * devices.h - emulated ankle tags and victim phones, and GNSS error models:
 * the contract.
 *
 * The module is pure and deterministic like the engine: no I/O, no clock, no
 * globals, no rand().  Every random draw comes from a dev_rng the caller
 * passes in (or the one inside a dev_unit), so the same seed and the same
 * calls give the same bytes on the same platform.
 *
 * Conventions
 *   - Time is pw_time_ms (int64 ms UTC, engine.h).
 *   - True positions are in the engine's local east/north metres (eng_frame);
 *     reported fixes carry WGS84 degrees made with eng_geo_to_wgs84.
 *   - A fix's acc_m is the CLAIMED horizontal accuracy, a 68 % radius like
 *     Android's Location.getAccuracy(); the true error is reported beside it
 *     (err_x, err_y; dev_message.true_x/true_y) so metrics can compare.
 *   - Every default below is listed with its source in devices/README.md.
 *   - May include: engine.h, libc and libm.
 *
 * Memory
 *   All state lives in caller-owned structs; nothing is ever allocated.
 *   dev_unit holds its store-and-forward ring inline (DEV_STORE_MAX
 *   messages of 176 bytes: about 11,800 bytes per unit on x86-64).
 *
 * Example
 *   dev_env_params env[DEV_ENV_COUNT]; dev_env_defaults(env);
 *   dev_unit_config cfg; dev_unit_config_default(&cfg, DEV_TAG);
 *   dev_unit tag; dev_unit_init(&tag, DEV_TAG, 1, &cfg, t0, seed);
 *   while (dev_unit_next_due(&tag) <= t_end) {
 *       pw_time_ms t = dev_unit_next_due(&tag);          // move the wearer to t first
 *       size_t n = dev_unit_step(&tag, t, x, y, moving, DEV_ENV_OPEN, NAN, env, &frame, msg, 8);
 *       ... deliver msg[0..n-1] to the engine at msg[i].deliver_at ...
 *   }
 */
#ifndef PW_DEVICES_H
#define PW_DEVICES_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Status codes                                                        */
/* ------------------------------------------------------------------ */

typedef enum dev_status {
    DEV_OK = 0,
    DEV_EINVAL = -1 /* a parameter is out of range (see the field's comment) */
} dev_status;

const char *dev_strerror(dev_status s);

/* ------------------------------------------------------------------ */
/* Random numbers                                                      */
/* ------------------------------------------------------------------ */

/*
 * xoshiro256** (Blackman and Vigna, 2018), its state seeded through
 * splitmix64.  Stream `stream` of seed `seed` starts from a splitmix64 state
 * derived from both numbers by a 64-bit mix, so streams of different ids are
 * uncorrelated, and creating or using one stream never changes another:
 * every actor can own a stream keyed by its id.
 *
 * Example
 *   dev_rng r; dev_rng_init(&r, 42, device_id);
 *   double u = dev_rng_uniform(&r), z = dev_rng_normal(&r);
 */
typedef struct dev_rng {
    uint64_t s[4];
    double spare;       /* the second normal of the last polar pair */
    int has_spare;
} dev_rng;

void dev_rng_init(dev_rng *r, uint64_t seed, uint64_t stream);
uint64_t dev_rng_next(dev_rng *r);                 /* 64 uniform bits */
double dev_rng_uniform(dev_rng *r);                /* [0, 1), 53-bit resolution */
double dev_rng_normal(dev_rng *r);                 /* N(0, 1), polar method, pairs */
double dev_rng_exponential(dev_rng *r, double mean); /* mean >= 0; 0 gives 0 */

/* ------------------------------------------------------------------ */
/* GNSS error model                                                    */
/* ------------------------------------------------------------------ */

typedef enum dev_env {
    DEV_ENV_OPEN = 0,     /* open sky, suburban streets */
    DEV_ENV_URBAN_LIGHT,  /* city streets, mid-rise */
    DEV_ENV_URBAN_HEAVY,  /* deep street canyons, high-rise */
    DEV_ENV_INDOOR,       /* inside a building: GNSS weak, Wi-Fi fallback */
    DEV_ENV_TUNNEL,       /* subway or road tunnel: no GNSS, cell fallback */
    DEV_ENV_COUNT
} dev_env;

/* Why a fix is what it is (the evaluation splits false alerts by cause). */
typedef enum dev_fix_cause {
    DEV_CAUSE_NOMINAL = 0,  /* open sky, indoor GNSS: Gauss-Markov noise only */
    DEV_CAUSE_MULTIPATH,    /* an NLOS/multipath jump is active */
    DEV_CAUSE_URBAN_CANYON, /* urban environment, no jump active */
    DEV_CAUSE_TUNNEL_EXIT,  /* first GNSS fixes after the time to first fix */
    DEV_CAUSE_CELL_FALLBACK,/* a cell or Wi-Fi fallback position */
    DEV_CAUSE_COUNT
} dev_fix_cause;

/* "nominal", "multipath", "urban_canyon", "tunnel_exit", "cell_fallback";
 * "unknown" for anything else. */
const char *dev_cause_name(dev_fix_cause c);
/* "open", "urban_light", "urban_heavy", "indoor", "tunnel"; "unknown". */
const char *dev_env_name(dev_env e);

/*
 * GNSS error model of one environment.  Lengths are metres before
 * accuracy_scale; the defaults (dev_env_defaults) and their sources are in
 * devices/README.md.
 *
 * GNSS error = sigma_m * scale * m(t) * z + NLOS bias * scale, where
 *   z = sqrt(1 - fast_share) z_slow + sqrt(fast_share) z_fast
 * mixes two unit-variance first-order Gauss-Markov processes per axis with
 * correlation times tau_s (slow) and tau_fast_s, each discretised exactly
 * for any dt:
 *     z' = z exp(-dt/tau) + sqrt(1 - exp(-2 dt/tau)) N(0, 1),
 * and m(t) = exp(scale_log_sd * w) is the receiver's slowly varying noise
 * level (satellite geometry, signal strength): w is a third, scalar
 * Gauss-Markov process with correlation time scale_tau_s.  sigma_m is thus
 * the per-axis std at the median noise level; the per-axis std over time is
 * sigma_m * exp(scale_log_sd^2).  The claimed accuracy follows m(t): the
 * receiver knows its geometry.
 * NLOS episodes start as a Poisson process (nlos_rate_per_h), last an
 * exponential time (nlos_duration_mean_s) and add a constant bias whose
 * length is lognormal (median nlos_median_m, log-sd nlos_log_sd) and whose
 * direction lies along the street axis (either way, normal spread
 * nlos_axis_sd_deg) with probability nlos_along_street, else uniform; uniform
 * when the street bearing is unknown.
 */
typedef struct dev_env_params {
    double gnss_availability;   /* [0, 1]: chance a sample has GNSS; 0 = hard outage */
    double sigma_m;             /* per-axis std of the noise at its median level, m, > 0 */
    double tau_s;               /* correlation time of its slow part, s, > 0 */
    double tau_fast_s;          /* correlation time of its fast part, s, > 0 */
    double fast_share;          /* [0, 1]: share of the variance that is fast */
    double scale_log_sd;        /* log-sd of the noise level m(t), >= 0 (0: constant) */
    double scale_tau_s;         /* correlation time of the noise level, s, > 0 */
    double nlos_rate_per_h;     /* NLOS episode onsets per hour, >= 0 */
    double nlos_duration_mean_s;/* mean episode length, s, > 0 */
    double nlos_median_m;       /* median jump length, m, >= 0 */
    double nlos_log_sd;         /* log-sd of the jump length, >= 0 */
    double nlos_along_street;   /* [0, 1]: share of jumps along the street axis */
    double nlos_axis_sd_deg;    /* angular spread around the axis, deg, >= 0 */
    double claim_sigma_m;       /* per-axis std the receiver believes, m, > 0;
                                   claimed acc_m = 1.51 * claim_sigma_m * scale
                                   * m(t) * exp(claim_log_sd * N(0,1)) (1.51: the
                                   68 % radius of a 2-D Gaussian) */
    double claim_log_sd;        /* log-sd of the claim's jitter, >= 0 */
    double hdop;                /* typical HDOP reported with the fix, > 0 */
    int sats;                   /* typical satellites used, >= 4 */
    double ttff_min_s, ttff_max_s; /* time to first fix after a hard outage,
                                   uniform in [min, max], s, 0 <= min <= max */
    double exit_error_factor;   /* >= 1: std of the first solution after TTFF
                                   in units of sigma_m (decays with tau_fast_s
                                   and tau_s) */
    double exit_window_s;       /* GNSS fixes this long after TTFF are
                                   DEV_CAUSE_TUNNEL_EXIT (the first always), s */
    pw_fix_source fallback_source; /* PW_SRC_CELL or PW_SRC_WIFI */
    double fallback_availability;  /* [0, 1]: chance a fallback fix exists */
    double fallback_median_m;   /* median fallback error, m, > 0 */
    double fallback_log_sd;     /* log-sd of the fallback error, >= 0 */
    double fallback_hold_s;     /* mean time one fallback position (serving
                                   cell / access-point set) is kept, s, > 0 */
    double fallback_claim_m;    /* claimed acc_m of a fallback fix, m, > 0 */
} dev_env_params;

/* Fill p[DEV_ENV_OPEN .. DEV_ENV_TUNNEL] with the documented defaults. */
void dev_env_defaults(dev_env_params p[DEV_ENV_COUNT]);
/* DEV_OK when every field of every environment is in its range. */
dev_status dev_env_params_validate(const dev_env_params p[DEV_ENV_COUNT]);

/*
 * Per-device receiver state.  Fields are private; the struct is here so that
 * callers own its storage.  The receiver starts locked (it has been on).
 * Lock is lost at any sample in an environment with gnss_availability 0; the
 * first sample outside starts the time to first fix (drawn from that
 * environment's ttff range), during which fallback fixes continue.
 */
typedef struct dev_gnss {
    int started;                /* a GNSS error has been drawn */
    pw_time_ms gm_time;         /* time of the Gauss-Markov state */
    double zx, zy;              /* slow unit-variance Gauss-Markov state per axis */
    double fx, fy;              /* fast one */
    double w;                   /* log noise level, unit variance */
    int locked;                 /* the receiver has a GNSS solution */
    pw_time_ms reacquire_at;    /* end of TTFF; INT64_MIN when not started */
    int exit_first_pending;     /* next GNSS fix is the first after an outage */
    pw_time_ms exit_until;      /* TUNNEL_EXIT tag until */
    pw_time_ms nlos_time;       /* time of the NLOS state */
    pw_time_ms nlos_until;      /* an NLOS episode is active while t < nlos_until */
    dev_env nlos_env;           /* environment the episode began in */
    double nlos_x, nlos_y;      /* its bias, m before scale */
    pw_time_ms fallback_until;  /* the held fallback error is valid until */
    dev_env fallback_env;       /* environment it was drawn for */
    double fallback_x, fallback_y; /* fallback error, m */
    /* The Gauss-Markov factors of the last step, for its dt and the three
     * correlation times: a device reporting at a steady interval reuses
     * them (the same numbers it would compute again). */
    double gm_dt_s, gm_tau[3], gm_keep[3], gm_innov[3];
} dev_gnss;

void dev_gnss_init(dev_gnss *g);

/*
 * The device's position report for true local position (x, y) m at time t in
 * environment env: a GNSS fix, a fallback fix (source PW_SRC_CELL or
 * PW_SRC_WIFI: in a tunnel, indoors without GNSS, or during the time to first
 * fix after a tunnel), or nothing (returns 0; *out is then cleared).
 *   street_bearing_deg  the canyon's street axis, degrees from grid north;
 *                       NAN when unknown (jumps then point anywhere)
 *   accuracy_scale      > 0, multiplies GNSS errors and claims (1 = nominal);
 *                       fallback errors are the network's and do not scale
 * Calls for one device must come in non-decreasing t.  Fills out: device 0
 * (the caller's), set = TIME|LATLON|ACC (+SATS|HDOP for GNSS), time = t,
 * lat/lon via eng_geo_to_wgs84(fr, ...), acc_m = the claimed 68 % radius,
 * source, sats and hdop for GNSS fixes.  cause, err_x and err_y (reported
 * minus true, east and north, m) may be NULL.  Returns 1 when *out is a fix.
 */
int dev_gnss_sample(dev_gnss *g, const dev_env_params p[DEV_ENV_COUNT], dev_env env,
                    double street_bearing_deg, double accuracy_scale, const eng_frame *fr,
                    double x, double y, pw_time_ms t, dev_rng *rng,
                    pw_fix *out, dev_fix_cause *cause, double *err_x, double *err_y);

/* ------------------------------------------------------------------ */
/* Emulated devices                                                    */
/* ------------------------------------------------------------------ */

typedef enum dev_kind { DEV_TAG = 1, DEV_PHONE } dev_kind;

/* Store-and-forward ring length held inside dev_unit. */
#define DEV_STORE_MAX 64

/*
 * How a device behaves.  dev_unit_config_default is the project's one table
 * of device defaults (tag / phone):
 *   intervals rest 300 / 60 s, moving 60 / 60 s, pursuit 15 / 60 s,
 *   heartbeat 300 / 300 s, GNSS-loss timeout 150 / 150 s, battery 100 %
 *   draining 1.5 / 3.0 %/h plus 0.005 / 0.002 % per fix attempt, low battery
 *   15 %, one-way delay mean 1,500 / 1,500 ms, loss 1 % / 1 %, accuracy
 *   scale 1.0 / 1.0, store 64.
 * These are assumptions, see README.md.
 */
typedef struct dev_unit_config {
    pw_time_ms interval_rest_ms;     /* fix period at rest, ms, > 0 */
    pw_time_ms interval_moving_ms;   /* ... while the wearer moves */
    pw_time_ms interval_pursuit_ms;  /* ... in pursuit mode (the engine asked) */
    pw_time_ms heartbeat_ms;         /* status report period, ms, > 0 */
    pw_time_ms signal_timeout_ms;    /* the centre's GNSS-loss timeout for this
                                        device while it moves, ms, > 0 */
    double battery_start_pct;        /* (0, 100] */
    double drain_pct_per_hour;       /* >= 0 */
    double drain_pct_per_fix;        /* >= 0, per fix attempt */
    double low_battery_pct;          /* the first step at or below it sends a
                                        status (once); the engine decides */
    double net_delay_mean_ms;        /* exponential one-way delay, mean, >= 0 */
    double net_loss;                 /* [0, 1]: chance a live report (either
                                        way) is lost; 1: nothing gets through
                                        live (stored reports are never lost) */
    double accuracy_scale;           /* > 0, see dev_gnss_sample */
    size_t store_capacity;           /* 1 .. DEV_STORE_MAX reports kept while
                                        the network is down */
} dev_unit_config;

void dev_unit_config_default(dev_unit_config *c, dev_kind kind);
dev_status dev_unit_config_validate(const dev_unit_config *c);

/* A message the device sends: a fix or a status, with the time it reaches
 * the centre. */
typedef struct dev_message {
    int is_fix;                 /* 1: fix, 0: status */
    pw_fix fix;                 /* fixes: device id; time = when measured;
                                   recv_time = deliver_at (PW_FIX_RECV_SET) */
    pw_device_status status;    /* statuses: BATTERY and POWER set, TAMPER set
                                   on tags only; unused (set = 0) for fixes */
    pw_time_ms deliver_at;      /* when the centre receives it */
    dev_fix_cause cause;        /* fixes: why the fix is what it is */
    double true_x, true_y;      /* fixes: where the device really was (local m) */
    int stored;                 /* 1: the report waited in the store (network
                                   down, or the caller's buffer full) and left
                                   later than it was made */
} dev_message;

/* Counters of one unit (read them directly). */
typedef struct dev_unit_stats {
    uint64_t fix_attempts;      /* GNSS samples taken (each drains the battery) */
    uint64_t fixes;             /* ... that produced a fix */
    uint64_t statuses;          /* status reports created */
    uint64_t sent;              /* messages handed out (live or flushed) */
    uint64_t lost;              /* live reports lost in the network */
    uint64_t stored;            /* reports put in the store */
    uint64_t store_dropped;     /* oldest stored reports dropped when full */
    uint64_t downlink;          /* messages from the centre offered (dev_unit_downlink) */
    uint64_t downlink_delivered;/* ... that reached the device */
} dev_unit_stats;

/* One emulated device.  Fields are private except stats; the caller owns
 * the storage (no allocation). */
typedef struct dev_unit {
    dev_kind kind;
    pw_id id;
    dev_unit_config cfg;
    dev_rng rng;                /* stream = device id of the run seed */
    dev_rng downlink_rng;       /* stream = DEV_DOWNLINK_STREAM + device id */
    dev_gnss gnss;
    pw_time_ms start;           /* battery reference time */
    pw_time_ms last_time;       /* last step */
    pw_time_ms next_fix, next_heartbeat;
    pw_time_ms last_fix_time;   /* INT64_MIN before the first */
    pw_time_ms dead_at;         /* battery empty from this ms (INT64_MAX: never) */
    pw_time_ms last_deliver_at; /* messages never overtake each other */
    pw_time_ms last_downlink_at;/* ... nor do messages to the device */
    pw_time_ms alert_at;        /* a tamper, power-off or stop report is due (INT64_MAX: none) */
    int moving, pursuit, tampered;
    int tamper_pending, power_off_pending, low_reported;
    int motion_pending;         /* the wearer stopped: report it at once */
    int off;                    /* powered off or battery dead: silent */
    int net_up;
    size_t store_head, store_count;
    dev_unit_stats stats;
    dev_message store[DEV_STORE_MAX];
} dev_unit;

/* Stream of the run seed from which a unit draws its downlink (centre ->
 * device) delay and loss: DEV_DOWNLINK_STREAM + device id ("down" << 32), apart
 * from the uplink's stream so that messages to a device never change what
 * the device itself reports. */
#define DEV_DOWNLINK_STREAM 0x646f776e00000000ULL

/*
 * Start a device at time `start`: battery at battery_start_pct, network up,
 * first fix and first status due at `start`.  Its random stream is
 * dev_rng_init(seed, device_id), its downlink's dev_rng_init(seed,
 * DEV_DOWNLINK_STREAM + device_id).  store_capacity is clamped to
 * 1..DEV_STORE_MAX; check a config with dev_unit_config_validate first.
 */
void dev_unit_init(dev_unit *u, dev_kind kind, pw_id device_id, const dev_unit_config *c,
                   pw_time_ms start, uint64_t seed);

/* When the unit next wants to act (its next fix, status, or a pending tamper
 * or power-off report), or INT64_MAX when it is off, dead, or its battery
 * will be empty before then. */
pw_time_ms dev_unit_next_due(const dev_unit *u);

/*
 * Act at time t (>= the last step): take a fix if one is due, send a status
 * if the heartbeat, a tamper, a power-off or a low-battery crossing is due,
 * and drain the battery.  (x, y) is the true local position, moving says
 * whether the wearer moves (it picks the next fix interval: pursuit, else
 * moving, else rest; the next fix is due one interval after this one).
 * Every fix carries the motion state the device knows (its accelerometer on
 * a tag, activity recognition on a phone): PW_FIX_MOTION_SET and
 * fix.moving = moving != 0.
 *
 * Battery: level(t) = start_pct - drain_per_hour * hours since start
 * - drain_per_fix * fix attempts.  The unit is silent from the first
 * millisecond at which the level is <= 0 (no announcement); a fix attempt
 * that empties it is not sent.
 *
 * Network: a live report is lost with probability net_loss (no message) or
 * delivered after an exponential delay; one connection per device, so a
 * message never arrives before the one sent before it.  While the network is
 * down, reports go to the store instead (no loss; the oldest is dropped and
 * counted when full).  With the network up the step first flushes whatever
 * is still stored (see dev_unit_set_network).
 *
 * At most out_cap messages are written to out and their number returned;
 * new reports that do not fit are stored as if the network were down.  A
 * step creates at most 2 new messages (a fix and a status).
 */
size_t dev_unit_step(dev_unit *u, pw_time_ms t, double x, double y, int moving, dev_env env,
                     double street_bearing_deg, const dev_env_params p[DEV_ENV_COUNT],
                     const eng_frame *fr, dev_message *out, size_t out_cap);

/* The engine asked for fast reporting (on) or ended it.  On: the next fix is
 * due at max(t, last fix + interval_pursuit_ms) if that is sooner. */
void dev_unit_set_pursuit(dev_unit *u, int on, pw_time_ms t);
/*
 * The wearer starts or stops moving at t (the tag's accelerometer, the
 * phone's activity recognition).  A start while the unit believes the
 * wearer at rest (its last step or call said so) wakes it: the next fix is
 * due at t, so the centre learns of the motion within one network delay
 * instead of up to a rest interval later.  A start while it already
 * believes him moving only brings the next fix forward to
 * max(t, last fix + interval_moving_ms); in pursuit nothing changes (that
 * interval is the shortest).  A stop changes no fix time (the next fix
 * comes at the interval in force and says at rest) but is reported at once
 * in a status (PW_STATUS_MOTION_SET, moving = 0), so that the centre need
 * not wait for a fix that may be lost to know he rests.  Every status
 * carries the motion state.  Nothing happens to a unit that is off.
 */
void dev_unit_set_moving(dev_unit *u, int moving, pw_time_ms t);
/*
 * A message from the centre to the device (a position shown to a victim, a
 * pursuit request) sent at t over the unit's own network: lost with
 * probability net_loss, else delivered after an exponential delay of mean
 * net_delay_mean_ms, never before an earlier downlink message; both drawn
 * from the unit's downlink stream (never from its uplink stream, so that
 * the device's own reports do not change).  Nothing arrives when the unit
 * is off, its battery is empty at t or at the arrival, or its network is
 * down at t (the centre does not queue for an unreachable device).
 * Returns 1 and *deliver_at (may be NULL), or 0 when nothing arrives.
 */
int dev_unit_downlink(dev_unit *u, pw_time_ms t, pw_time_ms *deliver_at);
/* 1 while the unit is on at t (not switched off, battery not empty) and its
 * network is up: it can receive.  t must not precede its last step. */
int dev_unit_reachable(const dev_unit *u, pw_time_ms t);
/*
 * The network goes down (up = 0) or comes back (up = 1) at t.  Coming back
 * flushes the store oldest first into out: each message gets a fresh delay
 * from t (and none is lost: the store is replayed until acknowledged).  At
 * most out_cap are written; the rest stay stored and go out with the next
 * step.  Returns how many were written (0 for a down, or when off).
 */
size_t dev_unit_set_network(dev_unit *u, int up, pw_time_ms t, dev_message *out, size_t out_cap);
/* The strap is cut at t.  Design: the unit becomes due at t and the step at
 * t sends a status with PW_STATUS_TAMPER_SET and strap_tampered = 1; every
 * later status keeps strap_tampered = 1 (the strap stays cut). */
void dev_unit_tamper(dev_unit *u, pw_time_ms t);
/* The wearer switches the device off at t.  The unit becomes due at t; the
 * step at t sends one status with PW_STATUS_POWER_SET and powering_off = 1,
 * then the unit is silent for good (next_due INT64_MAX).  With the network
 * down the announcement stays in the store and is never delivered. */
void dev_unit_power_off(dev_unit *u, pw_time_ms t);
/* The battery fails at t: silent from t, no announcement, the store is lost. */
void dev_unit_battery_dies(dev_unit *u, pw_time_ms t);
/* Battery level in % at the unit's last step (0 when dead). */
double dev_unit_battery(const dev_unit *u);
/* Battery level in % at time t (>= the last step), with no further fixes. */
double dev_unit_battery_at(const dev_unit *u, pw_time_ms t);
/* The millisecond from which the battery is empty if no further fix is
 * taken; INT64_MAX when it never empties. */
pw_time_ms dev_unit_death_time(const dev_unit *u);
/* Reports waiting in the store. */
size_t dev_unit_stored(const dev_unit *u);


#ifdef __cplusplus
}
#endif

#endif /* PW_DEVICES_H */
