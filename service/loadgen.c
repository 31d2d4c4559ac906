/*
 * loadgen.c - emulated tags and phones against a running centre (proxwatch
 * loadgen): one TCP connection per device, position reports at a total
 * rate, each from a walk through the city with GNSS noise as devices/
 * models it (dev_gnss_sample, open sky).
 *
 * Each device numbers its frames from the wall clock's microseconds (above
 * anything an earlier run sent, which the centre remembers) and keeps its
 * unacknowledged reports; the time from sending a report to its ack is the
 * latency measured (ingest to durable store).  A connection that drops is
 * made again every 200 ms while the run lasts, and the reports it had not
 * seen acknowledged are sent again with new numbers (as a device does).
 * With a store to look in (--db), every acknowledged report is looked up
 * there at the end: one missing is "lost".
 *
 * On each connection a device's first frame is a health report, as a tag
 * says it is there when it connects: a connection that has named no
 * device is one the centre may close when too many are open (its flood
 * rule), and a crowd of silent connections would be closed and made again
 * all through the run, which is no device's behaviour and was most of the
 * latency tail with 10,000 devices.  Connections are made 500 at a time
 * (one tick) for the same reason.  Health reports are acknowledged and
 * checked like the others but not counted among the reports or timed.
 */
#include "devices.h"
#include "pw_grow.h"
#include "service.h"

#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

enum { UNACKED_MAX = 256, RECONNECT_MS = 200, TICK_MS = 5, CONNECTING_MAX = 500 };

typedef struct unacked {
    uint64_t seq;
    uint64_t sent_ns;
    svc_frame frame;             /* a position, or the health report said on connecting */
} unacked;

typedef struct gen gen;

typedef struct emu emu;
struct emu {
    gen *g;
    uint32_t id;
    uv_tcp_t tcp;
    uv_connect_t connecting;
    int connected, handle_open, stopping, ever_connected;
    unsigned char key[SVC_KEY_BYTES];
    svc_peer centre;             /* the centre's frames: this key, seq above the last */
    unsigned char in[SVC_FRAME_MAX];
    size_t n_in;
    uint64_t seq;
    unacked pending[UNACKED_MAX];
    size_t n_pending;
    uint64_t next_connect_ms;
    double x, y, heading;        /* true position, local m */
    dev_gnss gnss;
    dev_rng rng;
    pw_time_ms last_t;
    uint64_t last_sent_ns;       /* its newest report, sent then */
};

typedef struct acked_id {
    uint32_t device;
    uint64_t seq;
} acked_id;

struct gen {
    const svc_loadgen_options *o;
    uv_loop_t loop;
    uv_timer_t tick;
    struct sockaddr_storage addr;
    emu *emus;
    emu **by_id;
    size_t n_emus, next_emu;
    eng_frame frame;
    dev_env_params env[DEV_ENV_COUNT];
    uint64_t start_ns;           /* the run's clock starts once every device is connected */
    uint64_t created_ns;
    size_t n_connected;
    int started;
    size_t max_unacked;
    double due;                  /* reports due so far (rate x elapsed) */
    uint64_t sent, resent, acked, refused, reconnects, connect_failures, victim_frames;
    uint64_t hellos, hellos_acked, closed_by_peer;
    size_t n_connecting;         /* connections asked for and not yet made */
    double *lat_ms;
    size_t n_lat, cap_lat;
    double *feed_ms;             /* offender's report sent -> the position at his victim's phone */
    size_t n_feed, cap_feed;
    acked_id *acks;
    size_t n_acks, cap_acks;
    int oom;
    double last_progress;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_emu_closed(uv_handle_t *h)
{
    emu *e = h->data;
    e->handle_open = 0;
}

static void drop(emu *e)
{
    if (e->connected)
        e->g->n_connected--;
    if (e->handle_open && !uv_is_closing((uv_handle_t *)&e->tcp))
        uv_close((uv_handle_t *)&e->tcp, on_emu_closed);
    e->connected = 0;
    e->n_in = 0;
    e->next_connect_ms = uv_now(&e->g->loop) + RECONNECT_MS;
}

typedef struct out_buf {
    uv_write_t req;
    unsigned char bytes[SVC_FRAME_MAX];
} out_buf;

static void on_sent(uv_write_t *req, int status)
{
    (void)status;
    free(req);
}

static void send_report(emu *e, const svc_frame *f, int again)
{
    out_buf *w = malloc(sizeof *w);
    if (!w)
        return;
    size_t n = svc_frame_encode(f, e->key, w->bytes, sizeof w->bytes);
    uv_buf_t b = uv_buf_init((char *)w->bytes, (unsigned)n);
    if (n == 0 || uv_write(&w->req, (uv_stream_t *)&e->tcp, &b, 1, on_sent) != 0) {
        free(w);
        drop(e);
        return;
    }
    if (f->type != SVC_POSITION)
        e->g->hellos++;
    else if (again)
        e->g->resent++;
    else
        e->g->sent++;
}

/* The next report of a device: its walk moved on, seen by its receiver. */
static int next_position(emu *e, svc_frame *f)
{
    pw_time_ms t = wall_ms();
    if (t <= e->last_t)
        t = e->last_t + 1;
    double dt = e->last_t ? (double)(t - e->last_t) / 1000.0 : 0.0;
    e->last_t = t;
    e->heading += 0.3 * dev_rng_normal(&e->rng);
    e->x += 1.4 * dt * sin(e->heading);
    e->y += 1.4 * dt * cos(e->heading);
    pw_fix fix;
    if (!dev_gnss_sample(&e->gnss, e->g->env, DEV_ENV_OPEN, NAN, 1.0, &e->g->frame, e->x, e->y, t, &e->rng, &fix,
                         NULL, NULL, NULL))
        return 0;
    fix.device = e->id;
    fix.set |= PW_FIX_MOTION_SET;
    fix.moving = 1;
    return svc_fix_to_position(&fix, ++e->seq, f) == SVC_OK;
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    emu *e = h->data;
    *buf = uv_buf_init((char *)e->in + e->n_in, (unsigned)(sizeof e->in - e->n_in));
}

static const svc_peer *centre_peer(void *ctx, uint32_t device)
{
    emu *e = ctx;
    return device == e->id ? &e->centre : NULL;
}

static void on_ack(emu *e, uint64_t seq)
{
    gen *g = e->g;
    for (size_t i = 0; i < e->n_pending; i++) {
        if (e->pending[i].seq != seq)
            continue;
        if (pw_grow((void **)&g->lat_ms, &g->cap_lat, g->n_lat + 1, sizeof *g->lat_ms) != 0 ||
            pw_grow((void **)&g->acks, &g->cap_acks, g->n_acks + 1, sizeof *g->acks) != 0) {
            g->oom = 1;
            return;
        }
        g->acks[g->n_acks++] = (acked_id){e->id, seq};
        if (e->pending[i].frame.type == SVC_POSITION) {
            g->lat_ms[g->n_lat++] = (double)(uv_hrtime() - e->pending[i].sent_ns) / 1e6;
            g->acked++;
        } else {
            g->hellos_acked++;
        }
        e->pending[i] = e->pending[--e->n_pending];
        return;
    }
}

/* A position of her case's offender at a victim's phone: the time since
 * that offender's newest report was sent (the report that moved him). */
static emu *find_emu(gen *g, uint32_t id);

static void on_feed(emu *victim, uint32_t case_id)
{
    gen *g = victim->g;
    for (size_t i = 0; i < g->o->n_cases; i++) {
        if (g->o->cases[i].id != case_id || g->o->cases[i].victim != victim->id)
            continue;
        emu *off = find_emu(g, g->o->cases[i].offender);
        if (!off || !off->last_sent_ns)
            return;
        if (pw_grow((void **)&g->feed_ms, &g->cap_feed, g->n_feed + 1, sizeof *g->feed_ms) != 0) {
            g->oom = 1;
            return;
        }
        g->feed_ms[g->n_feed++] = (double)(uv_hrtime() - off->last_sent_ns) / 1e6;
        return;
    }
}

static emu *find_emu(gen *g, uint32_t id)
{
    size_t lo = 0, hi = g->n_emus; /* g->by_id: the emulated devices sorted by id */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (g->by_id[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < g->n_emus && g->by_id[lo]->id == id ? g->by_id[lo] : NULL;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    emu *e = s->data;
    if (nread < 0) {
        if (!e->stopping)
            e->g->closed_by_peer++;
        drop(e);
        return;
    }
    e->n_in += (size_t)nread;
    size_t at = 0;
    for (;;) {
        size_t size;
        int st = svc_frame_peek(e->in + at, e->n_in - at, &size);
        if (st == SVC_EINCOMPLETE || (st == SVC_OK && e->n_in - at < size))
            break;
        if (st != SVC_OK) {
            drop(e);
            return;
        }
        svc_frame f;
        if (e->g->o->echo) {
            /* a bare echo (bench_service's yardstick): each frame back is the ack of its own seq */
            uint64_t seq = 0;
            for (int i = 0; i < 8; i++)
                seq = seq << 8 | e->in[at + 12 + i];
            on_ack(e, seq);
        } else if (svc_frame_decode(e->in + at, size, SVC_TO_DEVICE, centre_peer, e, &f) == SVC_OK) {
            e->centre.last_seq = f.seq;
            if (f.type == SVC_ACK)
                on_ack(e, f.u.ack.acked_seq);
            else if (f.type == SVC_REFUSE)
                e->g->refused++;
            else if (f.type == SVC_ALERT || f.type == SVC_OFFENDER_POSITION)
                e->g->victim_frames++;
            if (f.type == SVC_OFFENDER_POSITION)
                on_feed(e, f.u.offender.case_id);
        }
        at += size;
    }
    memmove(e->in, e->in + at, e->n_in - at);
    e->n_in -= at;
}

static void on_connected(uv_connect_t *req, int status)
{
    emu *e = req->data;
    e->g->n_connecting--;
    if (status < 0) {
        e->g->connect_failures++;
        drop(e);
        return;
    }
    e->connected = e->ever_connected = 1;
    e->g->n_connected++;
    uv_tcp_nodelay(&e->tcp, 1);
    uv_read_start((uv_stream_t *)&e->tcp, on_alloc, on_read);
    /* first the health report that names the device (an earlier one still
     * unacknowledged is not said again: this one replaces it) */
    size_t n = 0;
    for (size_t i = 0; i < e->n_pending; i++)
        if (e->pending[i].frame.type == SVC_POSITION)
            e->pending[n++] = e->pending[i];
    e->n_pending = n;
    if (n < UNACKED_MAX) {
        unacked *u = &e->pending[e->n_pending++];
        memset(&u->frame, 0, sizeof u->frame);
        u->frame.type = SVC_HEALTH;
        u->frame.device = e->id;
        u->frame.seq = u->seq = ++e->seq;
        u->frame.u.health.time_ms = wall_ms();
        u->frame.u.health.battery_pct = 80;
        u->sent_ns = uv_hrtime();
        send_report(e, &u->frame, 0);
    }
    /* what was never acknowledged goes again, with new numbers */
    for (size_t i = 0; i < n && e->connected; i++) {
        e->pending[i].frame.seq = e->pending[i].seq = ++e->seq;
        e->pending[i].sent_ns = uv_hrtime();
        send_report(e, &e->pending[i].frame, 1);
    }
}

static void connect_emu(emu *e)
{
    gen *g = e->g;
    if (e->handle_open)
        return; /* still closing */
    if (e->ever_connected)
        g->reconnects++;
    uv_tcp_init(&g->loop, &e->tcp);
    e->tcp.data = e;
    e->handle_open = 1;
    e->connecting.data = e;
    e->next_connect_ms = UINT64_MAX;
    if (uv_tcp_connect(&e->connecting, &e->tcp, (const struct sockaddr *)&g->addr, on_connected) != 0) {
        g->connect_failures++;
        drop(e);
        return;
    }
    g->n_connecting++;
}

static void on_tick(uv_timer_t *t)
{
    gen *g = t->data;
    uint64_t now_ns = uv_hrtime();
    if (!g->started) {
        /* connect everybody first (10 s at most): the measurement is of
         * reports, not of a crowd of connections being accepted */
        uint64_t now_ms = uv_now(&g->loop);
        for (size_t i = 0; i < g->n_emus; i++)
            if (!g->emus[i].connected && !g->emus[i].handle_open && now_ms >= g->emus[i].next_connect_ms &&
                g->n_connecting < CONNECTING_MAX)
                connect_emu(&g->emus[i]);
        if (g->n_connected < g->n_emus && now_ns - g->created_ns < 10000000000u)
            return;
        g->started = 1;
        g->start_ns = now_ns;
    }
    double elapsed = (double)(now_ns - g->start_ns) / 1e9;
    if (elapsed >= g->o->seconds) {
        /* the run is over: wait up to 2 s for the acks still to come */
        size_t waiting = 0;
        for (size_t i = 0; i < g->n_emus; i++)
            waiting += g->emus[i].connected ? g->emus[i].n_pending : 0;
        if (waiting == 0 || elapsed >= g->o->seconds + 2.0) {
            uv_timer_stop(&g->tick);
            for (size_t i = 0; i < g->n_emus; i++) {
                g->emus[i].stopping = 1;
                drop(&g->emus[i]);
            }
        }
        return;
    }
    uint64_t now_ms = uv_now(&g->loop);
    for (size_t i = 0; i < g->n_emus; i++)
        if (!g->emus[i].connected && !g->emus[i].handle_open && now_ms >= g->emus[i].next_connect_ms &&
            g->n_connecting < CONNECTING_MAX)
            connect_emu(&g->emus[i]);
    g->due = elapsed * g->o->rate;
    size_t tries = g->n_emus;
    while ((double)g->sent < g->due && tries > 0) {
        emu *e = &g->emus[g->next_emu];
        g->next_emu = (g->next_emu + 1) % g->n_emus;
        if (!e->connected || e->n_pending >= g->max_unacked) {
            tries--;
            continue;
        }
        tries = g->n_emus;
        svc_frame f;
        if (!next_position(e, &f))
            continue;
        unacked *u = &e->pending[e->n_pending++];
        u->seq = f.seq;
        u->sent_ns = e->last_sent_ns = uv_hrtime();
        u->frame = f;
        send_report(e, &f, 0);
    }
    if (g->o->progress && elapsed - g->last_progress >= 1.0) {
        g->last_progress = elapsed;
        fprintf(g->o->progress, "\rloadgen: %.0f s of %.0f, %llu sent, %llu acked   ", elapsed, g->o->seconds,
                (unsigned long long)g->sent, (unsigned long long)g->acked);
        fflush(g->o->progress);
    }
}

static int cmp_emu(const void *a, const void *b)
{
    uint32_t x = (*(emu *const *)a)->id, y = (*(emu *const *)b)->id;
    return x < y ? -1 : x > y;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least q of the values at or below. */
static double quantile(const double *sorted, size_t n, double q)
{
    if (n == 0)
        return NAN;
    size_t k = (size_t)ceil(q * (double)n);
    return sorted[k ? k - 1 : 0];
}

/* Every acknowledged report looked up in the store. */
static int count_lost(gen *g, uint64_t *lost, char *err, size_t n)
{
    sqlite3 *db;
    if (sqlite3_open_v2(g->o->db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        snprintf(err, n, "%s: cannot open: %s", g->o->db_path, db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return -1;
    }
    sqlite3_busy_timeout(db, 5000);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM reports WHERE device=?1 AND seq=?2", -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, n, "%s: %s", g->o->db_path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    *lost = 0;
    for (size_t i = 0; i < g->n_acks; i++) {
        sqlite3_bind_int64(st, 1, g->acks[i].device);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)g->acks[i].seq);
        if (sqlite3_step(st) != SQLITE_ROW)
            (*lost)++;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

int svc_loadgen(const svc_loadgen_options *o, svc_loadgen_result *r, char *err, size_t n)
{
    memset(r, 0, sizeof *r);
    if (!o->n_devices || !(o->rate > 0) || !(o->seconds > 0))
        return snprintf(err, n, "nothing to do: devices, rate and seconds must be above 0"), -1;
    gen *g = calloc(1, sizeof *g);
    if (!g)
        return snprintf(err, n, "out of memory"), -1;
    g->o = o;
    int rc = -1;
    if (uv_ip4_addr(o->host, o->port, (struct sockaddr_in *)&g->addr) != 0 &&
        uv_ip6_addr(o->host, o->port, (struct sockaddr_in6 *)&g->addr) != 0) {
        snprintf(err, n, "--connect %s:%d: not a numeric IPv4 or IPv6 address", o->host, o->port);
        free(g);
        return -1;
    }
    g->emus = calloc(o->n_devices, sizeof *g->emus);
    if (!g->emus || uv_loop_init(&g->loop) != 0) {
        free(g->emus);
        free(g);
        return snprintf(err, n, "out of memory"), -1;
    }
    g->by_id = calloc(o->n_devices, sizeof *g->by_id);
    if (!g->by_id) {
        uv_loop_close(&g->loop);
        free(g->emus);
        free(g);
        return snprintf(err, n, "out of memory"), -1;
    }
    eng_frame_init(&g->frame, o->origin_lat, o->origin_lon);
    dev_env_defaults(g->env);
    uint64_t first_seq = (uint64_t)wall_ms() * 1000u;
    for (size_t i = 0; i < o->n_devices; i++) {
        emu *e = &g->emus[g->n_emus++];
        e->g = g;
        e->id = o->devices[i].id;
        e->seq = first_seq;
        svc_device_key(o->master_key, e->id, e->key);
        memcpy(e->centre.key, e->key, sizeof e->key);
        dev_rng_init(&e->rng, o->seed, e->id);
        dev_gnss_init(&e->gnss);
        e->x = (dev_rng_uniform(&e->rng) - 0.5) * 2.0 * o->spread_m;
        e->y = (dev_rng_uniform(&e->rng) - 0.5) * 2.0 * o->spread_m;
        e->heading = 2.0 * M_PI * dev_rng_uniform(&e->rng);
        g->by_id[i] = e;
    }
    qsort(g->by_id, g->n_emus, sizeof *g->by_id, cmp_emu);
    uv_timer_init(&g->loop, &g->tick);
    g->tick.data = g;
    g->max_unacked = o->max_unacked > 0 && o->max_unacked < UNACKED_MAX ? o->max_unacked : UNACKED_MAX;
    g->created_ns = g->start_ns = uv_hrtime();
    uv_timer_start(&g->tick, on_tick, 0, TICK_MS);
    uv_run(&g->loop, UV_RUN_DEFAULT);
    double wall_s = (double)(uv_hrtime() - g->start_ns) / 1e9;
    if (o->progress)
        fputc('\n', o->progress);
    uv_close((uv_handle_t *)&g->tick, NULL);
    for (size_t i = 0; i < g->n_emus; i++)
        drop(&g->emus[i]);
    uv_run(&g->loop, UV_RUN_DEFAULT); /* until every handle is closed */
    uv_loop_close(&g->loop);
    if (g->n_lat) /* qsort wants an array, even of nothing */
        qsort(g->lat_ms, g->n_lat, sizeof *g->lat_ms, cmp_double);
    if (g->n_feed)
        qsort(g->feed_ms, g->n_feed, sizeof *g->feed_ms, cmp_double);
    r->feed_n = g->n_feed;
    r->feed_p50_ms = quantile(g->feed_ms, g->n_feed, 0.5);
    r->feed_p99_ms = quantile(g->feed_ms, g->n_feed, 0.99);
    r->sent = g->sent;
    r->resent = g->resent;
    r->acked = g->acked;
    r->refused = g->refused;
    r->victim_frames = g->victim_frames;
    r->reconnects = g->reconnects;
    r->connect_failures = g->connect_failures;
    r->closed_by_peer = g->closed_by_peer;
    r->hellos = g->hellos;
    r->hellos_acked = g->hellos_acked;
    r->reports_per_s = (double)g->acked / (wall_s < o->seconds ? o->seconds : wall_s);
    r->p50_ms = quantile(g->lat_ms, g->n_lat, 0.5);
    r->p99_ms = quantile(g->lat_ms, g->n_lat, 0.99);
    if (g->oom) {
        snprintf(err, n, "out of memory for the acknowledgements");
    } else if (o->db_path) {
        r->lost_checked = count_lost(g, &r->lost, err, n) == 0;
        rc = r->lost_checked ? 0 : -1;
    } else {
        rc = 0;
    }
    free(g->lat_ms);
    free(g->feed_ms);
    free(g->by_id);
    free(g->acks);
    free(g->emus);
    free(g);
    return rc;
}
