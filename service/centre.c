/*
 * centre.c - the live monitoring centre's device gateway (proxwatch serve):
 * one libuv loop, one TCP listener for tags and phones, the engine and the
 * store.
 *
 * A report goes: bytes into the connection's buffer (one frame at most
 * 4,096 bytes, so one buffer of that size per connection) -> svc_frame_peek
 * and svc_frame_decode (refusals counted and logged) -> the engine (its
 * audit records and incidents into the store's open batch) -> the store's
 * batch.  After each turn of the loop (a uv_check handle) the batch is
 * committed once and only then are its reports acknowledged: an ack means
 * the report is on disk.  A store that cannot commit stops the service
 * (nothing more may be acknowledged).
 *
 * What one client can do to the others: nothing blocks (libuv), a frame
 * over the limit closes its connection at its first 4 bytes, a client
 * that does not read its acks has at most max_pending_out bytes queued
 * before it is closed ("slow_reader"), connections beyond max_connections
 * are closed at once ("flood"), a connection that sends no accepted frame
 * within idle_timeout_ms is closed ("idle"), and one that keeps sending
 * refused frames is closed after 16 ("refused").
 *
 * On start the engine is rebuilt from the store's reports, in the order
 * they came, with their arrival times as the engine's clock; nothing is
 * written or sent while it is; its 1 s ticks run on past the last report
 * to the last tick stored before the stop (a heartbeat with each tick),
 * as they ran live.  Then the engine is told the centre was away
 * (eng_resume): the devices' silence while it was is not theirs.  Both
 * the stop and the restart are stored as actions, so that each later
 * rebuild runs the same ticks.
 *
 * For the crash test only: PROXWATCH_TEST_COMMIT_DELAY_MS=N in the
 * environment makes each turn that has reports to acknowledge wait N ms
 * before its commit, so that a kill -9 lands in that gap often; an ack
 * sent before the commit would then be an acknowledged report missing
 * after the restart (tests/test_serve.py counts them).
 */
#include "pw_grow.h"
#include "record.h"
#include "service.h"

#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

enum { MAX_REFUSED_PER_CONN = 16, LOG_REFUSALS_PER_S = 10 };
/* what else closes a connection, after the protocol's refusals */
enum { CLOSE_SLOW = SVC_REFUSALS, CLOSE_FLOOD, CLOSE_IDLE, CLOSE_REFUSED, N_COUNTED };
static const char *const extra_names[] = {"slow_reader", "flood", "idle", "refused_too_often"};

typedef struct conn conn;

enum { MISSED_MAX = 8 };

typedef struct svc_dev {
    uint32_t id;
    eng_role role;
    svc_peer peer;               /* key, last seq accepted */
    uint16_t pursuit_s;          /* the reporting interval asked of it, 0 none: said again on reconnect */
    conn *conn;                  /* its connection, or NULL */
    uint8_t n_missed;            /* a victim's warnings while her phone was away, oldest first */
    svc_frame missed[MISSED_MAX];
} svc_dev;

/* A case's reveal window as its victim's phone must know it: said again
 * each time her phone connects; stored as it changes, and after the
 * rebuild taken from the store (a window whose reports were purged does
 * not open again in the rebuild, nor its close close it). */
typedef struct svc_window {
    svc_window_state st;          /* st.case_id: the key */
    pw_id victim;
    pw_id rebuilt_incident;       /* the rebuild: the last stored incident id this case was given again */
} svc_window;

typedef struct pending_ack {
    uint32_t device;
    uint64_t seq;
} pending_ack;

typedef struct centre {
    const svc_options *o;
    uv_loop_t loop;
    uv_tcp_t server;
    uv_check_t after_io;
    uv_timer_t tick, stats;
    uv_signal_t sigint, sigterm;
    eng_engine eng;
    int eng_ready;
    svc_store *store;
    svc_dev *devices;             /* sorted by id */
    size_t n_devices;
    svc_window *windows;          /* one a case, sorted by case id */
    size_t n_windows;
    pending_ack *acks;
    size_t n_acks, cap_acks;
    conn *dirty;                 /* connections with frames in their outbox */
    svc_console *console;        /* the 112 console, or NULL */
    svc_incident_view *views;    /* open incidents as the dispatcher sees them */
    size_t n_views, cap_views;
    int rebuilding;
    size_t n_conns, n_unbound;   /* connections; those not yet bound to a device */
    int64_t rebuild_tick;        /* the rebuild's next 1 s tick */
    uint64_t accepted, acked, to_victims, counted[N_COUNTED];
    pw_id max_incident;          /* the greatest incident id given (stored or live) */
    uint64_t rebuild_unmatched;  /* incidents the rebuild opened that the store had not */
    uint64_t rebuild_lost;       /* incidents open in the store the rebuild did not open */
    uint64_t rebuild_unreplayed; /* stored actions on an incident the rebuild did not open */
    uint64_t log_second, logged_this_second, log_suppressed;
    int64_t last_now;
    int64_t clock_base;          /* the engine's clock: clock_base + time since hr_base, monotonic */
    uint64_t hr_base;
    uint64_t out_next, out_end;  /* the centre's sequence numbers: the block reserved in the store */
    int checkpoint_due;          /* a purge's WAL checkpoint waits for a reader */
    int purged;                  /* a purge in the batch: cut the WAL after its commit */
    long long test_commit_delay_ms; /* PROXWATCH_TEST_COMMIT_DELAY_MS, 0 */
    long long test_clock_offset_ms; /* PROXWATCH_TEST_CLOCK_OFFSET_MS, 0 */
    int failed;
    char err[600];
} centre;

struct conn {
    uv_tcp_t tcp;
    centre *c;
    uv_timer_t idle;
    unsigned char in[SVC_FRAME_MAX];
    size_t n_in;
    uint32_t device;             /* bound by its first accepted frame */
    size_t out_pending;          /* bytes written, not yet sent */
    int throttled;               /* its reports not read until its acks drain */
    unsigned char *outbox;       /* frames of this turn, not yet written */
    size_t n_out, cap_out;
    int dirty;                   /* in the centre's list of outboxes to flush */
    conn *next_dirty;
    unsigned refused;
    int closing, handles_open;
    char peer_name[64];
};

typedef struct out_write {
    uv_write_t req;
    conn *k;
    size_t n;
    unsigned char bytes[];
} out_write;

static void store_check(centre *c, int rc);
static void commit_now(centre *c);

/* s as a JSON string (quoted, escaped by record/'s writer), for a log line. */
static const char *jstr(const char *s, char *buf, size_t n)
{
    rec_json w;
    rec_json_to_buf(&w, buf, n, REC_JSON_COMPACT);
    rec_json_str(&w, s);
    return rec_json_finish(&w) == 0 ? buf : "\"?\"";
}

/* ---- time and logs ------------------------------------------------------- */

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock as the engine takes it when the centre starts (a test
 * may put it ahead: a long outage without waiting for it). */
static int64_t start_ms(const centre *c)
{
    return wall_ms() + c->test_clock_offset_ms;
}

/* The engine's clock: the wall clock when the centre started (or the last
 * stored report's arrival, if that is later: a clock stepped back), then
 * the monotonic clock; it never goes back and never stands still. */
static int64_t centre_now(centre *c)
{
    int64_t t = c->clock_base + (int64_t)((uv_hrtime() - c->hr_base) / 1000000u);
    if (t < c->last_now)
        t = c->last_now;
    c->last_now = t;
    return t;
}

/* One JSON line on the log: {"t":..,"level":..,"msg":.., then the
 * caller's members (already JSON, without braces)}. */
static void logj(centre *c, const char *level, const char *msg, const char *fmt, ...)
{
    if (!c->o->log)
        return;
    char when[32];
    pw_format_time(wall_ms(), when, sizeof when);
    fprintf(c->o->log, "{\"t\":\"%s\",\"level\":\"%s\",\"msg\":\"%s\"", when, level, msg);
    if (fmt && *fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputc(',', c->o->log);
        vfprintf(c->o->log, fmt, ap);
        va_end(ap);
    }
    fputs("}\n", c->o->log);
    fflush(c->o->log);
}

static const char *counted_name(int k)
{
    return k < SVC_REFUSALS ? svc_reason_name(-(k + 1)) : extra_names[k - SVC_REFUSALS];
}

/* Count a refusal or a closing reason; log it, at most 10 a second. */
static void count(centre *c, conn *k, int what, uint32_t device, uint64_t seq)
{
    c->counted[what]++;
    uint64_t second = uv_now(&c->loop) / 1000;
    if (second != c->log_second) {
        if (c->log_suppressed)
            logj(c, "warn", "refusals not logged", "\"count\":%llu", (unsigned long long)c->log_suppressed);
        c->log_second = second;
        c->logged_this_second = 0;
        c->log_suppressed = 0;
    }
    if (c->logged_this_second++ >= LOG_REFUSALS_PER_S) {
        c->log_suppressed++;
        return;
    }
    char peer[160];
    logj(c, "warn", "refused", "\"reason\":\"%s\",\"peer\":%s,\"device\":%lu,\"seq\":%llu", counted_name(what),
         jstr(k ? k->peer_name : "", peer, sizeof peer), (unsigned long)device, (unsigned long long)seq);
}

/* ---- devices ------------------------------------------------------------- */

static svc_dev *find_device(centre *c, uint32_t id)
{
    size_t lo = 0, hi = c->n_devices;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->devices[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < c->n_devices && c->devices[lo].id == id ? &c->devices[lo] : NULL;
}

static const svc_peer *lookup_peer(void *ctx, uint32_t id)
{
    svc_dev *d = find_device(ctx, id);
    return d ? &d->peer : NULL;
}

void svc_device_key(const unsigned char master[SVC_KEY_BYTES], uint32_t device, unsigned char key[SVC_KEY_BYTES])
{
    crypto_kdf_derive_from_key(key, SVC_KEY_BYTES, device, "pwdevice", master);
}

/* ---- connections --------------------------------------------------------- */

static void conn_free_if_done(conn *k)
{
    if (--k->handles_open == 0) {
        free(k->outbox);
        free(k);
    }
}

static void on_handle_closed(uv_handle_t *h)
{
    conn_free_if_done(h->data);
}

static void conn_close(conn *k, int why)
{
    if (k->closing)
        return;
    centre *c = k->c;
    k->closing = 1;
    if (why >= 0)
        count(c, k, why, k->device, 0);
    if (k->device) {
        svc_dev *d = find_device(c, k->device);
        if (d && d->conn == k)
            d->conn = NULL;
    } else {
        c->n_unbound--;
    }
    c->n_conns--;
    uv_close((uv_handle_t *)&k->tcp, on_handle_closed);
    uv_close((uv_handle_t *)&k->idle, on_handle_closed);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf);
static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf);
static void on_idle(uv_timer_t *t);

static void on_written(uv_write_t *req, int status)
{
    out_write *w = (out_write *)req;
    conn *k = w->k;
    k->out_pending -= w->n;
    free(w);
    if (status < 0 && !k->closing) {
        conn_close(k, -1);
        return;
    }
    if (k->throttled && !k->closing &&
        uv_stream_get_write_queue_size((uv_stream_t *)&k->tcp) < k->c->o->max_pending_out / 4) {
        k->throttled = 0; /* it reads again: so do we */
        uv_timer_stop(&k->idle);
        if (uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read) != 0)
            conn_close(k, -1);
    }
}

/* A frame for a client, into its outbox: what one turn of the loop has for
 * a client goes in one write (flush_outboxes, after the turn's commit).  A
 * client that does not read is closed. */
static void send_frame(centre *c, conn *k, const svc_frame *f, const unsigned char key[SVC_KEY_BYTES])
{
    if (!k || k->closing)
        return;
    size_t size = svc_frame_size(f->type);
    /* Frames wait in libuv only for a client that does not read: its
     * reports are no longer read (flush_outboxes), so what still comes is
     * the centre's own (alerts, pursuit); past the limit it is closed. */
    if (uv_stream_get_write_queue_size((uv_stream_t *)&k->tcp) > c->o->max_pending_out) {
        conn_close(k, CLOSE_SLOW);
        return;
    }
    if (k->n_out + size > k->cap_out) {
        if (k->n_out + size > (1u << 20)) { /* a turn's frames for one client: never this many */
            conn_close(k, CLOSE_SLOW);
            return;
        }
        size_t cap = k->cap_out ? 2 * k->cap_out : 256;
        while (cap < k->n_out + size)
            cap *= 2;
        unsigned char *p = realloc(k->outbox, cap);
        if (!p) {
            conn_close(k, -1);
            return;
        }
        k->outbox = p;
        k->cap_out = cap;
    }
    if (svc_frame_encode(f, key, k->outbox + k->n_out, size) != size)
        return;
    k->n_out += size;
    if (!k->dirty) {
        k->dirty = 1;
        k->next_dirty = c->dirty;
        c->dirty = k;
    }
}

/* Each client's outbox in one write.  Runs in the loop's check phase:
 * connections closed this turn are freed only in its closing phase, after. */
static void flush_outboxes(centre *c)
{
    for (conn *k = c->dirty, *next; k; k = next) {
        next = k->next_dirty;
        k->dirty = 0;
        k->next_dirty = NULL;
        size_t n = k->n_out;
        k->n_out = 0;
        if (k->closing || n == 0)
            continue;
        out_write *w = malloc(sizeof *w + n);
        if (!w) {
            conn_close(k, -1);
            continue;
        }
        memcpy(w->bytes, k->outbox, n);
        w->k = k;
        w->n = n;
        uv_buf_t b = uv_buf_init((char *)w->bytes, (unsigned)n);
        if (uv_write(&w->req, (uv_stream_t *)&k->tcp, &b, 1, on_written) != 0) {
            free(w);
            conn_close(k, -1);
            continue;
        }
        k->out_pending += n;
        /* Backpressure: a client whose acks pile up in libuv (the kernel's
         * buffer is full: it does not read) is not read from until they
         * drain; throttled for idle_timeout_ms, it is closed. */
        if (!k->throttled && uv_stream_get_write_queue_size((uv_stream_t *)&k->tcp) > c->o->max_pending_out / 2) {
            k->throttled = 1;
            uv_read_stop((uv_stream_t *)&k->tcp);
            uv_timer_start(&k->idle, on_idle, (uint64_t)c->o->idle_timeout_ms, 0);
        }
    }
    c->dirty = NULL;
}

/* The centre's next sequence number (one counter for every device: each
 * sees its numbers rise), from blocks reserved in the store, so that a
 * restart never numbers below what a device has seen. */
static uint64_t next_out_seq(centre *c)
{
    if (c->out_next >= c->out_end) {
        uint64_t first, floor = (uint64_t)wall_ms() * 1000u;
        if (floor < c->out_next)
            floor = c->out_next;
        store_check(c, svc_store_reserve_out_seq(c->store, floor, 1000000u, &first));
        c->out_next = first;
        c->out_end = first + 1000000u;
    }
    return c->out_next++;
}

static void send_to_device(centre *c, svc_dev *d, svc_frame *f)
{
    if (!d->conn)
        return;
    f->device = d->id;
    f->seq = next_out_seq(c);
    send_frame(c, d->conn, f, d->peer.key);
}

/* ---- the engine's events ------------------------------------------------- */

static const char *party_name(eng_party p)
{
    switch (p) {
    case ENG_PARTY_VICTIM: return "victim";
    case ENG_PARTY_DISPATCHER: return "dispatcher";
    case ENG_PARTY_MONITORING_CENTRE: return "centre";
    case ENG_PARTY_CASE_OFFICER: return "case_officer";
    case ENG_PARTY_NONE: break;
    }
    return "none";
}

static void store_check(centre *c, int rc)
{
    if (rc != 0 && !c->failed) {
        c->failed = 1;
        snprintf(c->err, sizeof c->err, "the store: %s", svc_store_error(c->store));
        uv_stop(&c->loop);
    }
}

/* What the engine addresses to a victim, to her phone: alerts of her own
 * cases, the offender's position in her window.  The engine decided it;
 * the centre checks again that the recipient is a victim's phone and, for
 * a position, that the access rule lets her see it now. */
static void to_victim(centre *c, const pw_event *ev)
{
    svc_dev *d = find_device(c, ev->recipient_id);
    if (!d || d->role != ENG_ROLE_VICTIM || ev->case_id == 0)
        return;
    svc_frame f;
    memset(&f, 0, sizeof f);
    if (ev->type == PW_EV_REVEAL_UPDATE) {
        if (!(ev->lat == ev->lat && ev->lon == ev->lon) ||
            !eng_may_disclose(&c->eng, ENG_PARTY_VICTIM, d->id, ev->device, ev->time))
            return;
        f.type = SVC_OFFENDER_POSITION;
        svc_offender_position *p = &f.u.offender;
        p->case_id = ev->case_id;
        p->time_ms = ev->time;
        p->lat_e7 = (int32_t)lround(ev->lat * 1e7);
        p->lon_e7 = (int32_t)lround(ev->lon * 1e7);
        p->acc_dm = ev->acc_m >= 0 && ev->acc_m < 6553.4 ? (uint16_t)lround(ev->acc_m * 10.0) : SVC_U16_UNKNOWN;
        double h = ev->heading_deg == ev->heading_deg ? fmod(fmod(ev->heading_deg, 360.0) + 360.0, 360.0) : -1.0;
        p->heading_cdeg = h >= 0 ? (uint16_t)(lround(h * 100.0) % 36000) : SVC_U16_UNKNOWN;
        p->speed_cmps = ev->speed_mps >= 0 && ev->speed_mps < 655.34 ? (uint16_t)lround(ev->speed_mps * 100.0)
                                                                      : SVC_U16_UNKNOWN;
    } else {
        f.type = SVC_ALERT;
        f.u.alert.case_id = ev->case_id;
        f.u.alert.time_ms = ev->time;
        f.u.alert.kind = ev->type == PW_EV_REVEAL_OPEN    ? SVC_ALERT_REVEAL_OPEN
                         : ev->type == PW_EV_REVEAL_CLOSE ? SVC_ALERT_REVEAL_CLOSE
                                                          : SVC_ALERT_WARNING;
        f.u.alert.reason = ev->type == PW_EV_REVEAL_CLOSE && ev->reason > 0 && ev->reason < 256 ? (uint8_t)ev->reason
                                                                                                  : 0;
    }
    if (!d->conn || d->conn->closing) {
        /* Her phone is away.  A warning waits for it (the newest
         * MISSED_MAX); her windows' state is said again when it connects
         * (say_again); positions never wait: stale, and not hers to keep. */
        if (f.type == SVC_ALERT && f.u.alert.kind == SVC_ALERT_WARNING) {
            if (d->n_missed == MISSED_MAX)
                memmove(d->missed, d->missed + 1, (MISSED_MAX - 1) * sizeof *d->missed);
            else
                d->n_missed++;
            d->missed[d->n_missed - 1] = f;
        }
        return;
    }
    c->to_victims++;
    send_to_device(c, d, &f);
}

static int cmp_window(const void *a, const void *b)
{
    pw_id x = ((const svc_window *)a)->st.case_id, y = ((const svc_window *)b)->st.case_id;
    return x < y ? -1 : x > y;
}

static svc_window *find_window(centre *c, pw_id case_id)
{
    svc_window key = {.st.case_id = case_id};
    return c->n_windows ? bsearch(&key, c->windows, c->n_windows, sizeof key, cmp_window) : NULL;
}

/* What a device missed while it was away, said when it connects: a tag's
 * pursuit interval; a victim's windows (open, or closed since it opened:
 * her app may still show it open) and the warnings kept for her. */
static void say_again(centre *c, svc_dev *d)
{
    if (d->pursuit_s) {
        svc_frame p = {.type = SVC_PURSUIT};
        p.u.pursuit.interval_s = d->pursuit_s;
        send_to_device(c, d, &p);
    }
    if (d->role != ENG_ROLE_VICTIM)
        return;
    for (size_t i = 0; i < c->n_windows; i++) {
        const svc_window_state *w = &c->windows[i].st;
        if (c->windows[i].victim != d->id || (!w->open && w->closed_ms == 0))
            continue;
        svc_frame f = {.type = SVC_ALERT};
        f.u.alert.case_id = w->case_id;
        f.u.alert.kind = w->open ? SVC_ALERT_REVEAL_OPEN : SVC_ALERT_REVEAL_CLOSE;
        f.u.alert.time_ms = w->open ? w->opened_ms : w->closed_ms;
        f.u.alert.reason = w->open ? 0 : w->close_reason;
        c->to_victims++;
        send_to_device(c, d, &f);
    }
    for (uint8_t i = 0; i < d->n_missed; i++) {
        c->to_victims++;
        send_to_device(c, d, &d->missed[i]);
    }
    d->n_missed = 0;
}

/* ---- incidents, as the dispatcher sees them ------------------------------- */

static svc_incident_view *find_view(centre *c, pw_id incident)
{
    for (size_t i = 0; i < c->n_views; i++)
        if (c->views[i].incident == incident)
            return &c->views[i];
    return NULL;
}

static const eng_case_def *find_case_def(const centre *c, pw_id case_id)
{
    for (size_t i = 0; i < c->o->n_cases; i++)
        if (c->o->cases[i].id == case_id)
            return &c->o->cases[i];
    return NULL;
}

/* Great-circle distance, m (the haversine: suggestions need no better). */
static double distance_m(double lat1, double lon1, double lat2, double lon2)
{
    double r = M_PI / 180.0, dlat = (lat2 - lat1) * r, dlon = (lon2 - lon1) * r;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * r) * cos(lat2 * r) * sin(dlon / 2) * sin(dlon / 2);
    return 2.0 * 6371008.8 * asin(sqrt(a < 1.0 ? a : 1.0));
}

/* The three patrols nearest the offender's pin, nearest first. */
static void suggest_patrols(const centre *c, svc_incident_view *v)
{
    v->n_patrols = 0;
    for (size_t i = 0; i < c->o->n_patrols; i++) {
        double d = distance_m(v->offender_lat, v->offender_lon, c->o->patrols[i].lat, c->o->patrols[i].lon);
        int at = v->n_patrols < 3 ? v->n_patrols++ : 3;
        while (at > 0 && v->patrols[at - 1].distance_m > d) {
            if (at < 3)
                v->patrols[at] = v->patrols[at - 1];
            at--;
        }
        if (at < 3) {
            snprintf(v->patrols[at].name, sizeof v->patrols[at].name, "%s", c->o->patrols[i].name);
            v->patrols[at].distance_m = d;
        }
    }
}

static void incident_event(centre *c, const pw_event *ev)
{
    svc_incident_view *v = find_view(c, ev->incident);
    if (ev->type == PW_EV_INCIDENT_OPEN && !v) {
        if (pw_grow((void **)&c->views, &c->cap_views, c->n_views + 1, sizeof *c->views) != 0)
            return;
        v = &c->views[c->n_views++];
        memset(v, 0, sizeof *v);
        v->incident = ev->incident;
        v->case_id = ev->case_id;
        v->opened_ms = ev->time;
        snprintf(v->state, sizeof v->state, "open");
    }
    if (!v)
        return;
    v->updated_ms = ev->time;
    if ((ev->type == PW_EV_INCIDENT_OPEN || ev->type == PW_EV_INCIDENT_UPDATE) &&
        ev->recipient == ENG_PARTY_DISPATCHER && ev->lat == ev->lat && ev->lon == ev->lon) {
        v->offender_lat = ev->lat;
        v->offender_lon = ev->lon;
        v->offender_acc_m = ev->acc_m;
        v->victim_lat = ev->victim_lat;
        v->victim_lon = ev->victim_lon;
        v->distance_m = ev->distance_m;
        suggest_patrols(c, v);
    } else if (ev->type == PW_EV_INCIDENT_ACK && !strcmp(v->state, "open")) {
        snprintf(v->state, sizeof v->state, "acknowledged");
    } else if (ev->type == PW_EV_INCIDENT_CLOSE) {
        snprintf(v->state, sizeof v->state, "closed");
        /* nothing of it stays on the console */
        v->offender_lat = v->offender_lon = v->victim_lat = v->victim_lon = 0.0;
        svc_console_incident(c->console, v);
        const eng_case_def *cd = find_case_def(c, v->case_id);
        if (cd && !c->rebuilding) { /* its precise positions out of the store, for good (the rebuild
                                     * replays a close the store has already purged) */
            /* in the batch that stores the close: both or neither */
            store_check(c, svc_store_purge(c->store, v->incident, cd->offender, cd->victim, v->opened_ms, ev->time));
            c->purged = 1;
        }
        if (!c->rebuilding)
            logj(c, "info", "incident closed and purged", "\"incident\":%lu,\"case\":%lu",
                 (unsigned long)v->incident, (unsigned long)v->case_id);
        *v = c->views[--c->n_views];
        return;
    }
    svc_console_incident(c->console, v);
}

/* The dispatcher's and the case officer's actions, from the console. */
/* The engine's incidents are numbered by the centre, so that an incident
 * keeps its id across a restart and no id is ever given twice (the audit
 * log and the incidents table name them).  While rebuilding, an incident
 * gets the id the store gave it when it first opened: the same case,
 * opened within 2 s (the rebuild's 1 s ticks fall on other milliseconds
 * than the live ones).  Otherwise the next id above every stored one. */
static pw_id number_incident(void *ctx, pw_id case_id, pw_time_ms opened)
{
    centre *c = ctx;
    pw_id id = 0;
    if (c->rebuilding) {
        /* a case's incidents open again in the order they first opened:
         * only an id above the one the case was last given again, never
         * one twice */
        svc_window *w = find_window(c, case_id);
        int rc = svc_store_find_incident(c->store, case_id, opened, 2000, w ? w->rebuilt_incident : 0, &id);
        store_check(c, rc < 0 ? -1 : 0);
        if (rc == 0 && id) {
            if (w)
                w->rebuilt_incident = id;
            return id;
        }
        c->rebuild_unmatched++;
    }
    return ++c->max_incident;
}

/* A dispatcher's or case officer's action, as it was taken live, again in
 * the rebuild (at its place among the reports). */
static eng_status apply_action(centre *c, const svc_action *a)
{
    if (!strcmp(a->action, "resume")) /* the centre back from a stop (setup) */
        return eng_resume(&c->eng, a->t_ms);
    if (!strcmp(a->action, "stopped")) /* its last tick before that stop: the rebuild ticks to it */
        return ENG_OK;
    if (!strcmp(a->action, "ack"))
        return eng_incident_ack(&c->eng, a->incident, 1, a->t_ms);
    if (!strcmp(a->action, "close"))
        return eng_incident_close(&c->eng, a->incident, 1, a->t_ms);
    svc_incident_view *v = find_view(c, a->incident);
    if (strcmp(a->action, "dispatch") != 0 || !v)
        return v ? ENG_EINVAL : ENG_ENOENT;
    snprintf(v->patrol, sizeof v->patrol, "%s", a->patrol);
    snprintf(v->state, sizeof v->state, "dispatched");
    v->updated_ms = a->t_ms;
    return ENG_OK;
}

static int on_action(void *ctx, const char *what, pw_id incident, const char *patrol, char *msg, size_t n)
{
    centre *c = ctx;
    svc_incident_view *v = find_view(c, incident);
    if (!v)
        return snprintf(msg, n, "no open incident %lu", (unsigned long)incident), -2;
    svc_action a = {.t_ms = centre_now(c), .incident = incident};
    snprintf(a.action, sizeof a.action, "%s", what);
    if (!strcmp(what, "dispatch"))
        snprintf(a.patrol, sizeof a.patrol, "%s", patrol);
    pw_id case_id = v->case_id; /* a close drops the view */
    eng_status st = apply_action(c, &a);
    if (st != ENG_OK)
        return snprintf(msg, n, "incident %lu: %s", (unsigned long)incident, eng_strerror(st)), st == ENG_ENOENT ? -2 : -1;
    store_check(c, svc_store_begin(c->store));
    store_check(c, svc_store_action(c->store, &a)); /* replayed by the rebuild */
    if (!strcmp(what, "dispatch"))
        store_check(c, svc_store_incident(c->store, incident, case_id, a.t_ms, "dispatched"));
    /* stored (with a close's purge, in the same transaction) before the
     * console is answered */
    commit_now(c);
    if (c->failed)
        return snprintf(msg, n, "%s", c->err), -1;
    if (!strcmp(what, "dispatch")) {
        char pq[160];
        logj(c, "info", "dispatched", "\"incident\":%lu,\"patrol\":%s", (unsigned long)incident,
             jstr(v->patrol, pq, sizeof pq));
        svc_console_incident(c->console, v);
    }
    return 0;
}

/* What the centre keeps of the engine's events, during the rebuild as well:
 * what to say again to a device that connects (say_again) and the open
 * incidents as the dispatcher sees them (the console's, after a restart
 * too). */
static void remember(centre *c, const pw_event *ev)
{
    if (ev->type == PW_EV_INCIDENT_OPEN || ev->type == PW_EV_INCIDENT_UPDATE || ev->type == PW_EV_INCIDENT_ACK ||
        ev->type == PW_EV_INCIDENT_CLOSE) {
        if (ev->type == PW_EV_INCIDENT_OPEN && ev->incident > c->max_incident)
            c->max_incident = ev->incident; /* the engine numbered it itself */
        incident_event(c, ev);
    } else if (ev->type == PW_EV_PURSUIT_ON || ev->type == PW_EV_PURSUIT_OFF) {
        svc_dev *d = find_device(c, ev->device);
        if (d)
            d->pursuit_s = ev->type == PW_EV_PURSUIT_ON ? (uint16_t)c->o->pursuit_interval_s : 0;
    } else if ((ev->type == PW_EV_REVEAL_OPEN || ev->type == PW_EV_REVEAL_CLOSE) &&
               ev->recipient == ENG_PARTY_VICTIM) {
        svc_window *cw = find_window(c, ev->case_id);
        if (!cw)
            return;
        svc_window_state *w = &cw->st;
        w->open = ev->type == PW_EV_REVEAL_OPEN;
        if (w->open) {
            w->opened_ms = ev->time;
        } else {
            w->closed_ms = ev->time;
            w->close_reason = ev->reason > 0 && ev->reason < 256 ? (uint8_t)ev->reason : 0;
        }
        if (!c->rebuilding) {
            store_check(c, svc_store_begin(c->store));
            store_check(c, svc_store_window(c->store, w));
        }
    }
}

/* A window as the store has it: as its victim was told it last. */
static int load_window(void *ctx, const svc_window_state *stored)
{
    svc_window *w = find_window(ctx, stored->case_id);
    if (w)
        w->st = *stored;
    return 0;
}

static void on_event(void *ctx, const pw_event *ev)
{
    centre *c = ctx;
    if (c->failed)
        return;
    remember(c, ev);
    if (c->rebuilding)
        return;
    switch (ev->type) {
    case PW_EV_REVEAL_OPEN:
    case PW_EV_REVEAL_UPDATE:
    case PW_EV_REVEAL_CLOSE:
    case PW_EV_VICTIM_WARNING:
        if (ev->recipient == ENG_PARTY_VICTIM)
            to_victim(c, ev);
        break;
    case PW_EV_DISCLOSURE:
        store_check(c, svc_store_begin(c->store));
        store_check(c, svc_store_audit(c->store, ev, party_name(ev->recipient)));
        break;
    case PW_EV_INCIDENT_OPEN:
    case PW_EV_INCIDENT_ACK:
    case PW_EV_INCIDENT_CLOSE:
        if (ev->type != PW_EV_INCIDENT_OPEN || ev->recipient == ENG_PARTY_DISPATCHER ||
            ev->recipient == ENG_PARTY_NONE) {
            store_check(c, svc_store_begin(c->store));
            store_check(c, svc_store_incident(c->store, ev->incident, ev->case_id, ev->time,
                                              ev->type == PW_EV_INCIDENT_OPEN  ? "open"
                                              : ev->type == PW_EV_INCIDENT_ACK ? "acknowledged"
                                                                               : "closed"));
        }
        break;
    case PW_EV_PURSUIT_ON:
    case PW_EV_PURSUIT_OFF: {
        svc_dev *d = find_device(c, ev->device);
        if (d) {
            svc_frame f = {.type = SVC_PURSUIT};
            f.u.pursuit.interval_s = d->pursuit_s; /* remember() set it */
            send_to_device(c, d, &f);
        }
        break;
    }
    default:
        break;
    }
}

/* A report into the engine (live, or rebuilding from the store). */
static void feed_engine(centre *c, const svc_frame *f, int64_t now)
{
    if (f->type == SVC_POSITION) {
        pw_fix fix;
        svc_position_to_fix(f, &fix);
        fix.recv_time = now;
        fix.set |= PW_FIX_RECV_SET;
        eng_on_fix(&c->eng, &fix, now);
    } else {
        pw_device_status st;
        memset(&st, 0, sizeof st);
        st.device = f->device;
        if (f->type == SVC_HEALTH) {
            st.time = f->u.health.time_ms;
            if (f->u.health.battery_pct != 255) {
                st.battery_pct = f->u.health.battery_pct;
                st.set |= PW_STATUS_BATTERY_SET;
            }
            st.strap_tampered = f->u.health.state & 1;
            st.set |= PW_STATUS_TAMPER_SET;
        } else {
            st.time = f->u.panic.time_ms;
            st.set = PW_STATUS_PANIC_SET;
            st.panic = 1;
        }
        eng_on_status(&c->eng, &st, now);
    }
}

/* A stored report into the engine, in the order they came, with the
 * engine's 1 s tick run up to it as it ran live. */
/* A stored incident not closed: open again in the engine after the
 * rebuild?  If not, it is said. */
static int check_reopened(void *ctx, pw_id id, pw_id case_id)
{
    centre *c = ctx;
    if (find_view(c, id))
        return 0;
    c->rebuild_lost++;
    logj(c, "warn", "an incident open in the store did not open again in the rebuild",
         "\"incident\":%lu,\"case\":%lu", (unsigned long)id, (unsigned long)case_id);
    return 0;
}

static int64_t rebuild_clock(centre *c, int64_t t)
{
    if (t < c->last_now)
        t = c->last_now;
    c->last_now = t;
    if (c->rebuild_tick == 0)
        c->rebuild_tick = t + 1000;
    for (; c->rebuild_tick <= t; c->rebuild_tick += 1000)
        eng_tick(&c->eng, c->rebuild_tick);
    return t;
}

static int rebuild_one(void *ctx, const svc_frame *f, int64_t recv_ms)
{
    centre *c = ctx;
    feed_engine(c, f, rebuild_clock(c, recv_ms));
    return 0;
}

/* An action on an incident the rebuild did not open again finds nothing
 * (counted): as it should when the incident was closed later and its
 * positions purged.  The centre's own stops are not the devices': no tick
 * runs through one (the resume is where the centre came back). */
static int rebuild_action(void *ctx, const svc_action *a)
{
    centre *c = ctx;
    svc_action at = *a;
    if (!strcmp(a->action, "resume")) {
        if (a->t_ms > c->last_now)
            c->last_now = a->t_ms;
        c->rebuild_tick = c->last_now + 1000;
        at.t_ms = c->last_now;
    } else {
        at.t_ms = rebuild_clock(c, a->t_ms);
        /* the last live tick, between two of the rebuild's: run it too */
        if (!strcmp(a->action, "stopped") && c->rebuild_tick - 1000 < at.t_ms)
            eng_tick(&c->eng, at.t_ms);
    }
    if (apply_action(c, &at) != ENG_OK)
        c->rebuild_unreplayed++;
    return 0;
}

/* ---- reading ------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    conn *k = h->data;
    *buf = uv_buf_init((char *)k->in + k->n_in, (unsigned)(sizeof k->in - k->n_in));
}

static void accept_report(centre *c, conn *k, svc_dev *d, const svc_frame *f)
{
    int64_t now = centre_now(c);
    store_check(c, svc_store_begin(c->store));
    int src = c->failed ? -1 : svc_store_report(c->store, f, now);
    if (src == 1) { /* stored already: a replay the store caught */
        count(c, k, -SVC_EREPLAY - 1, f->device, f->seq);
        return;
    }
    store_check(c, src);
    if (c->failed)
        return;
    d->peer.last_seq = f->seq;
    int bound_now = !k->device;
    if (bound_now) {
        k->device = d->id;
        k->c->n_unbound--;
        uv_timer_stop(&k->idle);
        if (d->conn && d->conn != k)
            conn_close(d->conn, -1); /* the device came back on a new connection */
    }
    d->conn = k;
    if (bound_now)
        say_again(c, d);
    c->accepted++;
    feed_engine(c, f, now);
    if (pw_grow((void **)&c->acks, &c->cap_acks, c->n_acks + 1, sizeof *c->acks) != 0) {
        c->failed = 1;
        snprintf(c->err, sizeof c->err, "out of memory for acknowledgements");
        uv_stop(&c->loop);
        return;
    }
    c->acks[c->n_acks++] = (pending_ack){f->device, f->seq};
}

/* One whole frame at the start of k->in. */
static void take_frame(centre *c, conn *k, size_t size)
{
    svc_frame f;
    int st = svc_frame_decode(k->in, size, SVC_TO_CENTRE, lookup_peer, c, &f);
    if (st == SVC_OK && k->device && f.device != k->device)
        st = SVC_EDEVICE; /* one device a connection */
    if (st != SVC_OK) {
        count(c, k, -st - 1, f.device, f.seq);
        /* a refusal after the tag matched (replay, field) is the device's:
         * it is told why, with its own key, bound or not */
        svc_dev *d = (st == SVC_EREPLAY || st == SVC_EFIELD) ? find_device(c, f.device) : NULL;
        /* an authenticated frame refused: say why, with its own key */
        if (d && (!k->device || k->device == d->id)) {
            svc_frame r = {.type = SVC_REFUSE};
            r.u.refuse.refused_seq = f.seq;
            r.u.refuse.reason = (uint8_t)-st;
            r.device = d->id;
            r.seq = next_out_seq(c);
            send_frame(c, k, &r, d->peer.key); /* on this connection, bound or not */
        }
        if (++k->refused >= MAX_REFUSED_PER_CONN)
            conn_close(k, CLOSE_REFUSED);
        return;
    }
    accept_report(c, k, find_device(c, f.device), &f);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    conn *k = s->data;
    centre *c = k->c;
    if (nread < 0) {
        conn_close(k, -1);
        return;
    }
    k->n_in += (size_t)nread;
    size_t at = 0;
    while (!k->closing && !c->failed) {
        size_t size;
        int st = svc_frame_peek(k->in + at, k->n_in - at, &size);
        if (st == SVC_EINCOMPLETE)
            break;
        if (st != SVC_OK) { /* the stream cannot be trusted after a bad length */
            count(c, k, -st - 1, k->device, 0);
            conn_close(k, -1);
            return;
        }
        if (k->n_in - at < size)
            break;
        /* decode from the start of the buffer */
        if (at) {
            memmove(k->in, k->in + at, k->n_in - at);
            k->n_in -= at;
            at = 0;
        }
        take_frame(c, k, size);
        at = size;
    }
    if (!k->closing && at) {
        memmove(k->in, k->in + at, k->n_in - at);
        k->n_in -= at;
    }
}

static void on_idle(uv_timer_t *t)
{
    conn *k = t->data;
    if (k->throttled)
        conn_close(k, CLOSE_SLOW); /* it has not read its acks for idle_timeout_ms */
    else if (!k->device)
        conn_close(k, CLOSE_IDLE);
}

static void on_connection(uv_stream_t *server, int status)
{
    centre *c = server->data;
    if (status < 0) {
        logj(c, "warn", "cannot accept", "\"reason\":\"%s\"", uv_strerror(status));
        return;
    }
    conn *k = calloc(1, sizeof *k);
    if (!k) {
        logj(c, "warn", "cannot accept", "\"reason\":\"out of memory\"");
        return;
    }
    k->c = c;
    uv_tcp_init(&c->loop, &k->tcp);
    uv_timer_init(&c->loop, &k->idle);
    k->tcp.data = k->idle.data = k;
    k->handles_open = 2;
    c->n_conns++;
    c->n_unbound++;
    if (uv_accept(server, (uv_stream_t *)&k->tcp) != 0) {
        conn_close(k, -1);
        return;
    }
    struct sockaddr_storage sa;
    int len = sizeof sa;
    if (uv_tcp_getpeername(&k->tcp, (struct sockaddr *)&sa, &len) == 0) {
        char host[48] = "";
        int port = 0;
        if (sa.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&sa, host, sizeof host);
            port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
        } else {
            uv_ip6_name((struct sockaddr_in6 *)&sa, host, sizeof host);
            port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
        }
        snprintf(k->peer_name, sizeof k->peer_name, "%s:%d", host, port);
    }
    /* Beyond the limit, or beyond a quarter of it not yet bound to a device
     * (no key shown yet): closed at once, so that connections that never
     * authenticate cannot keep the devices out. */
    if (c->n_conns > c->o->max_connections || c->n_unbound > c->o->max_connections / 4 + 1) {
        conn_close(k, CLOSE_FLOOD);
        return;
    }
    uv_tcp_nodelay(&k->tcp, 1);
    uv_timer_start(&k->idle, on_idle, (uint64_t)c->o->idle_timeout_ms, 0);
    if (uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read) != 0)
        conn_close(k, -1);
}

/* ---- after each turn: commit, then acknowledge --------------------------- */

/* Commit the batch; after a purge, cut the WAL (or, while a reader holds
 * its old pages, on a later tick). */
static void commit_now(centre *c)
{
    store_check(c, svc_store_commit(c->store));
    if (c->failed || !c->purged)
        return;
    c->purged = 0;
    if (svc_store_checkpoint(c->store) != 0) {
        c->checkpoint_due = 1;
        logj(c, "warn", "purged; the WAL keeps the old pages until a reader lets go", NULL);
    }
}

static void on_after_io(uv_check_t *h)
{
    centre *c = h->data;
    if (c->failed)
        return;
    if (c->test_commit_delay_ms > 0 && c->n_acks > 0)
        nanosleep(&(struct timespec){c->test_commit_delay_ms / 1000, c->test_commit_delay_ms % 1000 * 1000000}, NULL);
    commit_now(c);
    if (c->failed)
        return;
    for (size_t i = 0; i < c->n_acks; i++) {
        svc_dev *d = find_device(c, c->acks[i].device);
        if (!d || !d->conn)
            continue; /* gone: it resends what it has no ack for */
        svc_frame a = {.type = SVC_ACK};
        a.u.ack.acked_seq = c->acks[i].seq;
        send_to_device(c, d, &a);
        c->acked++;
    }
    c->n_acks = 0;
    flush_outboxes(c);
}

static void on_tick(uv_timer_t *t)
{
    centre *c = t->data;
    if (c->checkpoint_due && svc_store_checkpoint(c->store) == 0) {
        c->checkpoint_due = 0;
        logj(c, "info", "the WAL's old pages are gone", NULL);
    }
    int64_t now = centre_now(c);
    eng_tick(&c->eng, now);
    /* What the tick wrote (audit, incidents, windows) and the tick itself,
     * committed now: a restart then runs the rebuild's ticks as far as
     * this one (setup), not only to the last report.  Not left to this
     * turn's check (on_after_io): that comes after the loop's wait for
     * I/O, up to a second when nothing comes.  No report waits for an ack
     * here (they are all acknowledged in the turn that accepted them). */
    store_check(c, svc_store_begin(c->store) || svc_store_heartbeat(c->store, now));
    if (c->failed)
        return;
    commit_now(c);
    if (!c->failed)
        flush_outboxes(c);
}

static void log_stats(centre *c, const char *msg)
{
    char refused[1024];
    size_t n = 0;
    refused[0] = '\0';
    for (int k = 0; k < N_COUNTED && n < sizeof refused - 64; k++)
        n += (size_t)snprintf(refused + n, sizeof refused - n, "%s\"%s\":%llu", k ? "," : "", counted_name(k),
                              (unsigned long long)c->counted[k]);
    /* the engine's losses since the start, the rebuild's included */
    const eng_counters *ec = eng_get_counters(&c->eng);
    logj(c, "info", msg,
         "\"connections\":%zu,\"accepted\":%llu,\"acked\":%llu,\"to_victims\":%llu,\"checkpoints\":%llu,"
         "\"contact_lost\":%llu,\"signal_lost\":%llu,\"refused\":{%s}",
         c->n_conns, (unsigned long long)c->accepted, (unsigned long long)c->acked,
         (unsigned long long)c->to_victims, (unsigned long long)svc_store_checkpoints(c->store),
         (unsigned long long)ec->events[PW_EV_COMM_LOST], (unsigned long long)ec->events[PW_EV_SIGNAL_LOST],
         refused);
}

static void on_stats(uv_timer_t *t)
{
    log_stats(t->data, "stats");
}

static void on_signal(uv_signal_t *s, int signum)
{
    centre *c = s->data;
    logj(c, "info", "stopping", "\"signal\":%d", signum);
    uv_stop(&c->loop);
}

/* At the end: the centre's own handles closed, each connection closed
 * (both of its handles). */
static void close_walk(uv_handle_t *h, void *arg)
{
    if (uv_is_closing(h))
        return;
    if (h->data == arg)
        uv_close(h, NULL);
    else
        conn_close(h->data, -1);
}

/* ---- the service --------------------------------------------------------- */

void svc_options_default(svc_options *o)
{
    memset(o, 0, sizeof *o);
    o->host = "127.0.0.1";
    o->port = 7700;
    o->durable = 1;
    o->max_connections = 20000;
    o->max_pending_out = 64 * 1024;
    o->idle_timeout_ms = 10000;
    o->pursuit_interval_s = 15;
    o->stats_interval_ms = 10000;
    o->log = stderr;
    o->http_host = "127.0.0.1";
    o->http_port = 7780;
    o->web_dir = PW_CONSOLE_WEB;
    o->map_dir = PW_CONSOLE_MAP;
}

static int cmp_device(const void *a, const void *b)
{
    uint32_t x = ((const svc_dev *)a)->id, y = ((const svc_dev *)b)->id;
    return x < y ? -1 : x > y;
}

/* A test's hook from the environment: 0 to max ms, 0 when unset; logged
 * as a warning when set. */
static int test_hook(centre *c, const char *name, long long max, const char *what, long long *v, char *err,
                     size_t n)
{
    const char *s = getenv(name);
    *v = 0;
    if (!s || !*s)
        return 0;
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    if (*end || errno || *v < 0 || *v > max)
        return snprintf(err, n, "%s=%s: not 0 to %lld ms", name, s, max), -1;
    char msg[128];
    snprintf(msg, sizeof msg, "a test's hook: %s", what);
    logj(c, "warn", msg, "\"%s\":%lld", name, *v);
    return 0;
}

static int setup(centre *c, const svc_options *o, char *err, size_t n)
{
    /* the tests' hooks (proxwatch(1), ENVIRONMENT), said when set */
    if (test_hook(c, "PROXWATCH_TEST_COMMIT_DELAY_MS", 10000, "each commit waits", &c->test_commit_delay_ms,
                  err, n) != 0 ||
        test_hook(c, "PROXWATCH_TEST_CLOCK_OFFSET_MS", 86400000LL, "the engine's clock is ahead of the wall's",
                  &c->test_clock_offset_ms, err, n) != 0)
        return -1;
    if (svc_store_open(&c->store, o->db_path, o->durable) != 0)
        return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    eng_status es = eng_init(&c->eng, &o->engine, on_event, c);
    if (es != ENG_OK)
        return snprintf(err, n, "cannot start the engine: %s", eng_strerror(es)), -1;
    c->eng_ready = 1;
    c->devices = calloc(o->n_devices ? o->n_devices : 1, sizeof *c->devices);
    if (!c->devices)
        return snprintf(err, n, "out of memory"), -1;
    if (svc_store_begin(c->store) != 0) /* the enrolment in one transaction */
        return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    for (size_t i = 0; i < o->n_devices; i++) {
        svc_dev *d = &c->devices[c->n_devices++];
        d->id = o->devices[i].id;
        d->role = o->devices[i].role;
        svc_device_key(o->master_key, d->id, d->peer.key);
        if ((es = eng_add_device(&c->eng, d->id, d->role)) != ENG_OK)
            return snprintf(err, n, "device %lu: %s", (unsigned long)d->id, eng_strerror(es)), -1;
        if (svc_store_device(c->store, d->id, d->role == ENG_ROLE_OFFENDER ? "offender" : "victim",
                             &d->peer.last_seq) != 0)
            return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    }
    qsort(c->devices, c->n_devices, sizeof *c->devices, cmp_device);
    c->windows = calloc(o->n_cases ? o->n_cases : 1, sizeof *c->windows);
    if (!c->windows)
        return snprintf(err, n, "out of memory"), -1;
    for (size_t i = 0; i < o->n_cases; i++)
        c->windows[c->n_windows++] = (svc_window){.st.case_id = o->cases[i].id, .victim = o->cases[i].victim};
    qsort(c->windows, c->n_windows, sizeof *c->windows, cmp_window);
    for (size_t i = 0; i < o->n_cases; i++) {
        if ((es = eng_add_case(&c->eng, &o->cases[i])) != ENG_OK)
            return snprintf(err, n, "case %lu: %s", (unsigned long)o->cases[i].id, eng_strerror(es)), -1;
        if (svc_store_case(c->store, o->cases[i].id, o->cases[i].offender, o->cases[i].victim) != 0)
            return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    }
    if (svc_store_commit(c->store) != 0)
        return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    /* the engine as it was: every stored report and action again, nothing
     * written; its incidents numbered as the store numbered them */
    pw_id stored_max;
    if (svc_store_max_incident(c->store, &stored_max) != 0)
        return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    c->max_incident = stored_max;
    eng_set_incident_numbering(&c->eng, number_incident, c);
    uint64_t t0 = uv_hrtime();
    c->rebuilding = 1;
    int rc = svc_store_replay(c->store, rebuild_one, rebuild_action, c);
    /* then the ticks that ran live after the last report, up to the last
     * one before the stop: a timer that fell due there (a window's grace
     * over, a device's silence) fell due live too; stored as an action,
     * so that later rebuilds tick as far (rebuild_action) */
    int64_t heartbeat = 0;
    if (rc == 0)
        rc = svc_store_last_heartbeat(c->store, &heartbeat);
    svc_action stopped = {.t_ms = heartbeat};
    snprintf(stopped.action, sizeof stopped.action, "stopped");
    /* (not after a start that stopped before its first tick: stored then) */
    int ticked_on = rc == 0 && heartbeat > c->last_now;
    if (ticked_on)
        rebuild_action(c, &stopped);
    c->rebuilding = 0;
    if (rc != 0 || c->failed)
        return snprintf(err, n, "%s", c->failed ? c->err : svc_store_error(c->store)), -1;
    if (svc_store_each_window(c->store, load_window, c) != 0)
        return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    const eng_counters *ec = eng_get_counters(&c->eng);
    uint64_t contact_lost = ec->events[PW_EV_COMM_LOST], signal_lost = ec->events[PW_EV_SIGNAL_LOST];
    /* the clock from here: the wall's, or the last report's if the wall is behind it */
    int64_t wall = start_ms(c);
    c->clock_base = wall > c->last_now ? wall : c->last_now;
    c->hr_base = uv_hrtime();
    /* Nobody could reach the centre while it was down: a device is lost
     * only if it stays silent for its timeout from now, not all of them
     * at the first tick after a long stop.  Stored as an action, so that
     * the next rebuild does not tick through this stop either. */
    svc_action resume = {.t_ms = c->clock_base};
    snprintf(resume.action, sizeof resume.action, "resume");
    apply_action(c, &resume);
    /* the incidents the rebuild opened that the store had not (new ids,
     * stored now), and those the store has open that it did not open again
     * (said, for a person to look at: their reports are still stored) */
    if (svc_store_begin(c->store) != 0 || (ticked_on && svc_store_action(c->store, &stopped) != 0) ||
        svc_store_action(c->store, &resume) != 0)
        return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    for (size_t i = 0; i < c->n_views; i++)
        if (c->views[i].incident > stored_max &&
            svc_store_incident(c->store, c->views[i].incident, c->views[i].case_id, c->views[i].opened_ms,
                               "open") != 0)
            return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    c->rebuild_lost = 0;
    if (svc_store_each_open_incident(c->store, check_reopened, c) != 0 || svc_store_commit(c->store) != 0)
        return snprintf(err, n, "%s", svc_store_error(c->store)), -1;
    logj(c, c->rebuild_unmatched || c->rebuild_lost ? "warn" : "info", "rebuilt",
         "\"reports\":%llu,\"ms\":%.0f,\"away_s\":%.0f,\"incidents_open\":%zu,\"incidents_new\":%llu,"
         "\"incidents_not_reopened\":%llu,\"actions_not_replayed\":%llu,\"contact_lost\":%llu,"
         "\"signal_lost\":%llu",
         (unsigned long long)ec->fixes_in, (double)(uv_hrtime() - t0) / 1e6,
         c->last_now ? (double)(c->clock_base - c->last_now) / 1000.0 : 0.0, c->n_views,
         (unsigned long long)c->rebuild_unmatched, (unsigned long long)c->rebuild_lost,
         (unsigned long long)c->rebuild_unreplayed, (unsigned long long)contact_lost,
         (unsigned long long)signal_lost);
    return 0;
}

int svc_serve(const svc_options *o, char *err, size_t n)
{
    centre *c = calloc(1, sizeof *c);
    if (!c)
        return snprintf(err, n, "out of memory"), -1;
    c->o = o;
    int rc = -1;
    if (uv_loop_init(&c->loop) != 0) {
        snprintf(err, n, "cannot start the event loop");
        free(c);
        return -1;
    }
    if (setup(c, o, err, n) != 0)
        goto done;
    struct sockaddr_storage addr;
    if (uv_ip4_addr(o->host, o->port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(o->host, o->port, (struct sockaddr_in6 *)&addr) != 0) {
        snprintf(err, n, "--listen %s:%d: not a numeric IPv4 or IPv6 address", o->host, o->port);
        goto done;
    }
    uv_tcp_init(&c->loop, &c->server);
    c->server.data = c;
    int e = uv_tcp_bind(&c->server, (const struct sockaddr *)&addr, 0);
    if (e == 0)
        e = uv_listen((uv_stream_t *)&c->server, 1024, on_connection);
    if (e != 0) {
        snprintf(err, n, "--listen %s:%d: %s", o->host, o->port, uv_strerror(e));
        goto done;
    }
    uv_check_init(&c->loop, &c->after_io);
    c->after_io.data = c;
    uv_check_start(&c->after_io, on_after_io);
    uv_timer_init(&c->loop, &c->tick);
    c->tick.data = c;
    uv_timer_start(&c->tick, on_tick, 1000, 1000);
    uv_timer_init(&c->loop, &c->stats);
    c->stats.data = c;
    if (o->stats_interval_ms > 0)
        uv_timer_start(&c->stats, on_stats, (uint64_t)o->stats_interval_ms, (uint64_t)o->stats_interval_ms);
    uv_signal_init(&c->loop, &c->sigint);
    uv_signal_init(&c->loop, &c->sigterm);
    c->sigint.data = c->sigterm.data = c;
    uv_signal_start(&c->sigint, on_signal, SIGINT);
    uv_signal_start(&c->sigterm, on_signal, SIGTERM);
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    int port = o->port;
    if (uv_tcp_getsockname(&c->server, (struct sockaddr *)&bound, &blen) == 0)
        port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                : ((struct sockaddr_in6 *)&bound)->sin6_port);
    char hq[600], dq[2100];
    logj(c, "info", "listening", "\"host\":%s,\"port\":%d,\"db\":%s,\"devices\":%zu,\"cases\":%zu",
         jstr(o->host, hq, sizeof hq), port, jstr(o->db_path, dq, sizeof dq), c->n_devices, o->n_cases);
    if (o->http_host) {
        svc_console_hooks hooks = {on_action, c};
        int http_port;
        if (svc_console_start(&c->console, &c->loop, o->http_host, o->http_port, o->web_dir, o->map_dir, &hooks,
                              &http_port, err, n) != 0)
            goto done;
        for (size_t i = 0; i < c->n_views; i++) /* the incidents open before a restart */
            svc_console_incident(c->console, &c->views[i]);
        char url[400], uq[900];
        snprintf(url, sizeof url, "http://%s:%d/", o->http_host, http_port);
        logj(c, "info", "console", "\"url\":%s", jstr(url, uq, sizeof uq));
    }
    if (o->on_listening)
        o->on_listening(o->on_listening_ctx, port);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    if (!c->failed) {
        store_check(c, svc_store_commit(c->store)); /* what was accepted but not yet committed */
        rc = c->failed ? -1 : 0;
    }
    if (c->failed)
        snprintf(err, n, "%s", c->err);
    log_stats(c, "stopped");
done:
    svc_console_stop(c->console); /* its own handles first: they are not the centre's */
    uv_run(&c->loop, UV_RUN_NOWAIT);
    uv_walk(&c->loop, close_walk, c);
    uv_run(&c->loop, UV_RUN_DEFAULT);
    svc_console_free(c->console);
    free(c->views);
    uv_loop_close(&c->loop);
    if (c->eng_ready)
        eng_close(&c->eng);
    svc_store_close(c->store);
    free(c->devices);
    free(c->windows);
    free(c->acks);
    free(c);
    return rc;
}

int svc_master_key(const char *path, int create, unsigned char key[SVC_KEY_BYTES], char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f && errno == ENOENT && create) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0)
            return snprintf(err, n, "%s: cannot create: %s", path, strerror(errno)), -1;
        crypto_kdf_keygen(key);
        ssize_t w = write(fd, key, SVC_KEY_BYTES);
        int bad = w != SVC_KEY_BYTES || fsync(fd) != 0;
        close(fd);
        if (bad) {
            remove(path);
            return snprintf(err, n, "%s: cannot write", path), -1;
        }
        return 0;
    }
    if (!f)
        return snprintf(err, n, "%s: cannot open: %s", path, strerror(errno)), -1;
    unsigned char extra;
    size_t got = fread(key, 1, SVC_KEY_BYTES, f);
    int more = fread(&extra, 1, 1, f) == 1;
    fclose(f);
    if (got != SVC_KEY_BYTES || more)
        return snprintf(err, n, "%s: not a key (32 bytes expected)", path), -1;
    return 0;
}
