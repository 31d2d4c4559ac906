/*
 * service.h - the live monitoring centre (prefix svc_).
 *
 * This first part is the device protocol of service/PROTOCOL.md: frames
 * that tags and phones send to the device gateway and the centre's
 * answers, each authenticated with the device's own key (libsodium
 * crypto_auth, HMAC-SHA-512-256) and numbered, so that forged, altered and
 * replayed frames are refused with a reason.  Pure: no I/O, no clock, no
 * allocation; safe on hostile bytes (every length is checked before it is
 * read).  May include: engine.h, libsodium, SQLite (store.c), libc.
 *
 *   unsigned char wire[SVC_FRAME_MAX];
 *   size_t n = svc_frame_encode(&report, key, wire, sizeof wire);   -> 76
 *   int st = svc_frame_decode(wire, n, SVC_TO_CENTRE, lookup, ctx, &got);  -> SVC_OK
 *
 * Statuses: SVC_OK (0), or a negative svc_status; the refusals a receiver
 * counts and names (svc_reason_name) are SVC_ETOO_LARGE to SVC_EFIELD,
 * numbered as a refuse frame carries them (1 to 10: -status).
 */
#ifndef PW_SERVICE_H
#define PW_SERVICE_H

#include "engine.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum svc_status {
    SVC_OK = 0,
    SVC_ETOO_LARGE = -1, /* length over SVC_FRAME_MAX - 4 */
    SVC_ETOO_SMALL = -2, /* length under the header and tag */
    SVC_EVERSION = -3,   /* not version 1 */
    SVC_ETYPE = -4,      /* unknown type, or not one for this direction */
    SVC_EFLAGS = -5,     /* flags not 0 */
    SVC_ESIZE = -6,      /* the body's size is not its type's */
    SVC_EDEVICE = -7,    /* no such device (the key lookup said none) */
    SVC_ETAG = -8,       /* the tag does not match: forged or altered */
    SVC_EREPLAY = -9,    /* seq not above the last accepted */
    SVC_EFIELD = -10,    /* a value out of its range (after the tag matched) */
    SVC_EINCOMPLETE = -11, /* not a whole frame yet: read more */
    SVC_EINVAL = -12     /* a caller's mistake: a NULL, a buffer too small, a bad value to encode */
} svc_status;
#define SVC_REFUSALS 10  /* SVC_ETOO_LARGE .. SVC_EFIELD */

const char *svc_strerror(int status);
/* Once, before any other svc_ call (libsodium's sodium_init): SVC_OK, or
 * SVC_EINVAL when the library cannot start. */
int svc_init(void);
/* The protocol's name of a refusal ("too_large", ..., "field"); "?" for others. */
const char *svc_reason_name(int status);

enum {
    SVC_FRAME_MAX = 4096,     /* bytes on the wire, the length field included */
    SVC_KEY_BYTES = 32,       /* crypto_auth_KEYBYTES */
    SVC_TAG_BYTES = 32,       /* crypto_auth_BYTES */
    SVC_HEADER_BYTES = 20,    /* length, version, type, flags, device, seq */
    SVC_VERSION = 1
};
#define SVC_NO_LATLON INT32_MIN /* a panic without a position */
#define SVC_U16_UNKNOWN 65535u

typedef enum svc_frame_type {
    SVC_POSITION = 1, /* device -> centre */
    SVC_HEALTH = 2,
    SVC_PANIC = 3,
    SVC_ACK = 129,    /* centre -> device */
    SVC_PURSUIT = 130,
    SVC_REFUSE = 131,
    SVC_ALERT = 132,  /* centre -> a victim's phone: her own cases only */
    SVC_OFFENDER_POSITION = 133 /* centre -> a victim's phone, in her reveal window */
} svc_frame_type;
/* What an alert frame says (svc_alert.kind). */
enum { SVC_ALERT_REVEAL_OPEN = 1, SVC_ALERT_REVEAL_CLOSE = 2, SVC_ALERT_WARNING = 3 };
typedef enum svc_direction { SVC_TO_CENTRE = 0, SVC_TO_DEVICE = 1 } svc_direction;

/* The bodies, in the protocol's units (PROTOCOL.md). */
typedef struct svc_position {
    int64_t time_ms;
    int32_t lat_e7, lon_e7;
    uint16_t acc_dm;        /* SVC_U16_UNKNOWN: none claimed */
    uint8_t source;         /* 0 GNSS, 1 cell, 2 Wi-Fi */
    uint8_t motion;         /* 0 unknown, 1 at rest, 2 moving */
    uint16_t speed_cmps, heading_cdeg; /* SVC_U16_UNKNOWN: unknown */
} svc_position;
typedef struct svc_health {
    int64_t time_ms;
    uint8_t battery_pct;    /* 0..100, 255 unknown */
    uint8_t state;          /* bit 0 strap open, bit 1 charging */
} svc_health;
typedef struct svc_panic {
    int64_t time_ms;
    int32_t lat_e7, lon_e7; /* SVC_NO_LATLON both when none */
} svc_panic;

typedef struct svc_alert {
    uint32_t case_id;
    uint8_t kind;           /* SVC_ALERT_* */
    uint8_t reason;         /* reveal close: eng_reveal_close_reason; warning: 0 */
    int64_t time_ms;
} svc_alert;
typedef struct svc_offender_position {
    uint32_t case_id;
    int64_t time_ms;
    int32_t lat_e7, lon_e7;
    uint16_t acc_dm, heading_cdeg, speed_cmps; /* SVC_U16_UNKNOWN: unknown */
} svc_offender_position;

/* One frame, decoded. */
typedef struct svc_frame {
    svc_frame_type type;
    uint32_t device;
    uint64_t seq;
    union {
        svc_position position;
        svc_health health;
        svc_panic panic;
        struct {
            uint64_t acked_seq;
        } ack;
        struct {
            uint16_t interval_s;    /* 0: back to normal */
        } pursuit;
        struct {
            uint64_t refused_seq;   /* 0 unknown */
            uint8_t reason;         /* 1..SVC_REFUSALS: -svc_status */
        } refuse;
        svc_alert alert;
        svc_offender_position offender;
    } u;
} svc_frame;

/* Bytes of a frame of type t on the wire (length field, header, body,
 * tag), or 0 for an unknown type. */
size_t svc_frame_size(svc_frame_type t);

/*
 * f into buf with the device's key: the bytes written (svc_frame_size), or
 * 0 when buf has less room, the type is unknown, or a field is out of its
 * range (a sender never sends what a receiver would refuse).
 */
size_t svc_frame_encode(const svc_frame *f, const unsigned char key[SVC_KEY_BYTES], unsigned char *buf,
                        size_t cap);

/*
 * The start of a byte stream: SVC_OK with the whole next frame's size in
 * *frame_bytes once its length field is there (the frame itself may still
 * be incomplete), SVC_EINCOMPLETE with fewer than 4 bytes, SVC_ETOO_LARGE
 * or SVC_ETOO_SMALL from the length alone (the stream cannot be trusted
 * after it: a receiver closes the connection).
 */
int svc_frame_peek(const unsigned char *buf, size_t n, size_t *frame_bytes);

/*
 * What a receiver knows of a sender: its key and the greatest seq accepted
 * from it.  The lookup gives it for a device id, or NULL when there is none.
 */
typedef struct svc_peer {
    unsigned char key[SVC_KEY_BYTES];
    uint64_t last_seq;
} svc_peer;
typedef const svc_peer *(*svc_peer_lookup)(void *ctx, uint32_t device);

/*
 * One whole frame of n bytes (svc_frame_peek's size) travelling in
 * direction dir: the checks of PROTOCOL.md in its order (sizes, version,
 * type, flags, the device's key, the tag, seq above the peer's last_seq,
 * field ranges), and the frame into *out.  SVC_OK, or the refusal; *out
 * then holds what was read of the header (type, device, seq) for the
 * refuse frame, never a body that failed its tag.  The caller raises the
 * peer's last_seq when it accepts the frame.
 */
int svc_frame_decode(const unsigned char *buf, size_t n, svc_direction dir, svc_peer_lookup lookup, void *ctx,
                     svc_frame *out);

/* A position frame as the engine's fix (device, time, lat/lon, accuracy,
 * source, motion, speed, heading; recv_time is the caller's), and a fix as
 * a position frame (rounded to the protocol's units).  0, or SVC_EINVAL
 * for a fix that has no time or position or is out of range. */
void svc_position_to_fix(const svc_frame *f, pw_fix *out);
int svc_fix_to_position(const pw_fix *fix, uint64_t seq, svc_frame *out);


/*
 * The store (store.c): one SQLite file in WAL mode holding the devices and
 * the greatest seq accepted from each, every accepted report, the audit
 * log of disclosures and the incidents.  Functions return 0, or -1 with
 * the reason in svc_store_error.
 *
 *   svc_store_open(&s, "centre.db", 1)   creates or opens; durable 1:
 *       synchronous=FULL (a commit survives a power cut), 0: NORMAL (a
 *       crash of the process); a file of another schema is refused
 *   svc_store_device(s, id, "offender", &last_seq)   enrols (or re-reads)
 *   svc_store_begin(s); svc_store_report(s, &frame, recv_ms); ...
 *   svc_store_audit(s, &disclosure_event, "victim"); svc_store_commit(s)
 *       a batch: durable when svc_store_commit returns; only then may its
 *       reports be acknowledged.  svc_store_report raises the device's
 *       last_seq in the same batch, and returns 1 (nothing stored) for a
 *       (device, seq) stored already.
 *   svc_store_each_report(s, fn, ctx)   every report in the order it came
 *       (recv_ms, device, seq), to rebuild the engine; positions purged are
 *       left out; fn returns nonzero to stop
 *   svc_store_action(s, &action)   a dispatcher's or case officer's action,
 *       in the same order as the reports (inside a batch)
 *   svc_store_replay(s, on_report, on_action, ctx)   reports and actions
 *       merged in the order they came
 *   svc_store_find_incident(s, case, opened_ms, slack_ms, after, &id)   the
 *       stored incident of that case opened nearest opened_ms, within
 *       slack, with an id above `after`, and not closed before opened_ms:
 *       0, 1 none, -1 failed
 *   svc_store_max_incident(s, &id)   the greatest incident id stored (0)
 *   svc_store_each_open_incident(s, fn, ctx)   fn(ctx, id, case) for each
 *       incident not closed
 *   svc_store_window(s, &w)   a case's reveal window's state, stored as
 *       it changes (inside a batch); svc_store_each_window(s, fn, ctx) each
 *       one stored, by case
 *   svc_store_purge(s, incident, offender, victim, from_ms, to_ms)   blanks
 *       the precise positions the two devices reported in [from, to] (from
 *       the incident's stored opening if that is earlier) and those of
 *       the audit records of the incident or, in the same span, of the
 *       two devices, in the batch (begun if none was): the old bytes are
 *       overwritten (secure_delete) when it commits; then
 *       svc_store_checkpoint cuts the WAL, which still holds them
 *   svc_store_checkpoint(s)   a TRUNCATE checkpoint, outside a batch, after
 *       the checkpoint thread's under way: 0, 1 when a reader held the WAL
 *       (not waited for: the old pages wait, call it again later)
 */
typedef struct svc_store svc_store;
/* A case's reveal window as its victim's phone must know it. */
typedef struct svc_window_state {
    pw_id case_id;
    int open;
    int64_t opened_ms, closed_ms;    /* closed_ms 0: never closed */
    uint8_t close_reason;            /* eng_reveal_close_reason */
} svc_window_state;
typedef struct svc_action {
    int64_t t_ms;
    pw_id incident;
    char action[16];                 /* ack, dispatch, close */
    char patrol[64];                 /* dispatch: the patrol sent, else "" */
} svc_action;
int svc_store_open(svc_store **s, const char *path, int durable);
void svc_store_close(svc_store *s);
const char *svc_store_error(const svc_store *s);
int svc_store_device(svc_store *s, uint32_t id, const char *role, uint64_t *last_seq);
/* A case served (its offender's and victim's devices), written at start. */
int svc_store_case(svc_store *s, pw_id id, pw_id offender, pw_id victim);
int svc_store_begin(svc_store *s);
int svc_store_report(svc_store *s, const svc_frame *f, int64_t recv_ms);
int svc_store_audit(svc_store *s, const pw_event *disclosure, const char *recipient);
int svc_store_incident(svc_store *s, pw_id incident, pw_id case_id, int64_t t_ms, const char *state);
int svc_store_commit(svc_store *s);
int svc_store_each_report(svc_store *s, int (*fn)(void *ctx, const svc_frame *f, int64_t recv_ms), void *ctx);
int svc_store_action(svc_store *s, const svc_action *a);
int svc_store_replay(svc_store *s, int (*on_report)(void *ctx, const svc_frame *f, int64_t recv_ms),
                     int (*on_action)(void *ctx, const svc_action *a), void *ctx);
int svc_store_find_incident(svc_store *s, pw_id case_id, int64_t opened_ms, int64_t slack_ms, pw_id after,
                            pw_id *id);
int svc_store_max_incident(svc_store *s, pw_id *max);
int svc_store_each_open_incident(svc_store *s, int (*fn)(void *ctx, pw_id id, pw_id case_id), void *ctx);
int svc_store_window(svc_store *s, const svc_window_state *w);
int svc_store_each_window(svc_store *s, int (*fn)(void *ctx, const svc_window_state *w), void *ctx);
int svc_store_purge(svc_store *s, pw_id incident, pw_id offender, pw_id victim, int64_t from_ms, int64_t to_ms);
int svc_store_checkpoint(svc_store *s);
/* Checkpoints run so far by the store's checkpoint thread (store.c). */
uint64_t svc_store_checkpoints(svc_store *s);
/* The centre's own sequence numbers: a block above any it used before
 * (kept in the store, so that a restart on a clock that is behind still
 * numbers above): *first is the block's first, valid for `count`. */
int svc_store_reserve_out_seq(svc_store *s, uint64_t floor, uint64_t count, uint64_t *first);
/* The centre's last tick, stored with each tick's batch (inside one), so
 * that a restart knows how far the clock ran before the stop, reports or
 * not: svc_store_heartbeat(s, t_ms); svc_store_last_heartbeat(s, &t_ms)
 * (0 when none was stored). */
int svc_store_heartbeat(svc_store *s, int64_t t_ms);
int svc_store_last_heartbeat(svc_store *s, int64_t *t_ms);

/*
 * The centre (centre.c): `proxwatch serve`.  svc_serve listens for devices
 * on host:port (numeric IPv4 or IPv6; port 0 takes a free one, told to
 * on_listening), rebuilds the engine from the store, then serves until
 * SIGINT or SIGTERM: 0, or -1 with the reason in err (the store, the
 * address, the engine).  Logs are JSON lines on o->log (NULL: none).
 */
typedef struct svc_device_def {
    uint32_t id;
    eng_role role;
} svc_device_def;

typedef struct svc_patrol {
    char name[64];
    double lat, lon;                 /* where it is stationed */
} svc_patrol;

typedef struct svc_options {
    const char *host;
    int port;                        /* default 7700 */
    const char *db_path;
    int durable;                     /* 1 (default): synchronous=FULL */
    unsigned char master_key[SVC_KEY_BYTES]; /* device keys derive from it (svc_device_key) */
    eng_config engine;               /* the region, capacities and rules */
    const svc_device_def *devices;
    size_t n_devices;
    const eng_case_def *cases;
    size_t n_cases;
    size_t max_connections;          /* default 20,000; more are closed at once ("flood") */
    size_t max_pending_out;          /* bytes queued to a client that does not read (64 KiB) */
    int idle_timeout_ms;             /* no accepted frame by then: closed ("idle"; 10 s) */
    int pursuit_interval_s;          /* asked of a tag in pursuit (15) */
    int stats_interval_ms;           /* a "stats" log line this often (10 s; 0 none) */
    FILE *log;                       /* stderr */
    const char *http_host;           /* the 112 console (default 127.0.0.1); NULL: none */
    int http_port;                   /* default 7780; 0: any free one */
    const char *web_dir, *map_dir;   /* the console's page, its basemap (render/data) */
    const svc_patrol *patrols; /* suggested to the dispatcher, nearest first */
    size_t n_patrols;
    void (*on_listening)(void *ctx, int port);
    void *on_listening_ctx;
} svc_options;

void svc_options_default(svc_options *o);
int svc_serve(const svc_options *o, char *err, size_t n);

/* A device's key: derived from the centre's master key and the device's id
 * (libsodium crypto_kdf, context "pwdevice"), so that a device is enrolled
 * by giving it its own key and the centre keeps one secret. */
void svc_device_key(const unsigned char master[SVC_KEY_BYTES], uint32_t device, unsigned char key[SVC_KEY_BYTES]);
/* The master key from a file of 32 bytes; with create, a missing file is
 * made with a fresh random key, readable by its owner only.  0, or -1 with
 * the reason (the file named) in err. */
int svc_master_key(const char *path, int create, unsigned char key[SVC_KEY_BYTES], char *err, size_t n);

/*
 * The load generator (loadgen.c): `proxwatch loadgen`.  Emulated devices
 * (one TCP connection each) connect (10 s at most), then send position
 * reports at `rate` a second in all for `seconds`, walking from random places within spread_m of the
 * origin with open-sky GNSS noise (devices/); each waits for its acks and
 * resends what a dropped connection left unacknowledged.  With db_path,
 * every acknowledged report is looked up in the centre's store at the end
 * (lost: not there).  0, or -1 with the reason in err.
 */
typedef struct svc_loadgen_options {
    const char *host;
    int port;
    unsigned char master_key[SVC_KEY_BYTES];
    const svc_device_def *devices;
    size_t n_devices;
    double origin_lat, origin_lon, spread_m;
    double rate, seconds;
    uint64_t seed;
    const char *db_path;             /* NULL: lost is not checked */
    FILE *progress;                  /* a progress line each second, or NULL */
    const eng_case_def *cases;       /* the cases served (may be NULL): for the victims' feed latency */
    size_t n_cases;
    size_t max_unacked;              /* a device waits when this many are unacknowledged
                                        (0: 256, the most) */
    int echo;                        /* the peer echoes each frame: an echo is its ack
                                        (bench_service's bare libuv echo) */
} svc_loadgen_options;

typedef struct svc_loadgen_result {
    uint64_t sent;                   /* reports made (each counted once) */
    uint64_t resent;                 /* sent again on a new connection, unacknowledged on the old */
    uint64_t acked, lost, refused, reconnects, connect_failures;
    uint64_t closed_by_peer;         /* connections the centre closed during the run */
    uint64_t hellos, hellos_acked;   /* health reports sent on connecting (not among sent/acked) */
    uint64_t victim_frames;          /* alerts and offender positions the victims' phones received */
    int lost_checked;
    double reports_per_s;            /* acknowledged per second of the run */
    double p50_ms, p99_ms;           /* sent to acknowledged (ingest to durable) */
    uint64_t feed_n;                 /* offender positions at a victim's phone, timed */
    double feed_p50_ms, feed_p99_ms; /* an offender's report sent -> his position at his victim's phone */
} svc_loadgen_result;

int svc_loadgen(const svc_loadgen_options *o, svc_loadgen_result *r, char *err, size_t n);

/*
 * The 112 console (console.c): an HTTP server on the centre's loop for the
 * dispatchers' browser page.  The centre tells it each incident as it
 * changes (svc_console_incident: a closed one is dropped, nothing of it
 * stays); the dispatcher's and case officer's actions come back through
 * hooks.action ("ack", "dispatch" with a patrol, "close"), which returns
 * 0, -2 for no such open incident, or -1 with the reason in msg.
 */
typedef struct svc_incident_view {
    pw_id incident, case_id;
    char state[16];                  /* open, acknowledged, dispatched, closed */
    int64_t opened_ms, updated_ms;
    double offender_lat, offender_lon, offender_acc_m;
    double victim_lat, victim_lon;
    double distance_m;
    struct {
        char name[64];
        double distance_m;
    } patrols[3];                    /* the nearest to the offender, nearest first */
    int n_patrols;
    char patrol[64];                 /* the one dispatched, "" none */
} svc_incident_view;

typedef struct svc_console_hooks {
    int (*action)(void *ctx, const char *action, pw_id incident, const char *patrol, char *msg, size_t n);
    void *ctx;
} svc_console_hooks;

typedef struct svc_console svc_console;
struct uv_loop_s;
int svc_console_start(svc_console **con, struct uv_loop_s *loop, const char *host, int port, const char *web_dir,
                      const char *map_dir, const svc_console_hooks *hooks, int *bound_port, char *err, size_t n);
void svc_console_incident(svc_console *con, const svc_incident_view *v);
void svc_console_stop(svc_console *con);
void svc_console_free(svc_console *con);

#endif /* PW_SERVICE_H */
