/*
 * store.c - the centre's store: one SQLite file in WAL mode.
 *
 *   devices    id, role, and the greatest seq accepted from it (replay
 *              protection that survives a restart)
 *   reports    every accepted report as it came (the frame's fields and
 *              when it came): what rebuilds the engine after a restart
 *   audit      every disclosure of a position to anybody, as the engine's
 *              audit record says it
 *   cases      the court orders served: offender and victim
 *   incidents  opened, acknowledged, dispatched, closed
 *   actions    the dispatchers' and case officers' actions (ack, dispatch
 *              with its patrol, close) and the centre's stops (stopped: its
 *              last tick before one) and restarts (resume), numbered in
 *              the same order as the reports: the rebuild replays both, in
 *              the order they came
 *   meta       the centre's own: its next sequence numbers (out_seq), its
 *              last tick (heartbeat, stored with each tick's commit)
 *   windows    each case's reveal window's state, stored as it changes (open
 *              since, or closed when and why; no position): what her phone
 *              is told again when it connects, after a restart too (the
 *              rebuild cannot know a window whose reports were purged)
 *
 * Writes come in batches (svc_store_begin .. svc_store_commit): the gateway
 * gathers what one turn of its loop accepted, commits it once, and only
 * then acknowledges those reports.  synchronous=FULL (the default) makes a
 * commit durable when it returns, on a power cut as on a crash; NORMAL is
 * durable on a crash of the process only (WAL, sqlite.org/wal.html).
 *
 * The purge (a case officer closed an incident) blanks the precise
 * positions of the case's devices over the incident and of its audit
 * records, with secure_delete on (the old bytes are overwritten, not left
 * in free space), in the caller's batch: the close and its purge are one
 * transaction.  After the commit, a TRUNCATE checkpoint
 * (svc_store_checkpoint) and the WAL no longer holds the old pages either.
 *
 * Checkpoints (copying the WAL's pages into the database file) run on a
 * thread of their own with a connection of its own, woken when the WAL
 * passes CHECKPOINT_PAGES, instead of SQLite's automatic checkpoint, which
 * runs inside the commit that passes the threshold: that commit then
 * waited for a few MB to be written and synced into the database file,
 * and every report behind it for its ack (p99 of acks 5-46 ms at 2,000
 * reports a second against a store of 600,000 reports; 1.4-2.3 ms with
 * the checkpoint off the loop; bench_service).  A PASSIVE checkpoint
 * does not stop the writer (sqlite.org/wal.html, "Checkpointing").  Should
 * the thread fall behind (a steady stream leaves it no quiet moment in
 * which the WAL can start again from its beginning), the commit that
 * finds CHECKPOINT_HARD_PAGES in the WAL checkpoints itself, as SQLite
 * would, so the WAL stays bounded.
 */
#include "service.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CHECKPOINT_PAGES = 1000, CHECKPOINT_HARD_PAGES = 16000, BUSY_TIMEOUT_MS = 5000 };

struct svc_store {
    sqlite3 *db;
    sqlite3 *ckpt_db;            /* the checkpoint thread's connection */
    pthread_t ckpt;
    pthread_mutex_t mu;
    pthread_cond_t wake;         /* the thread: work (wanted, stop, no more paused) */
    pthread_cond_t idle;         /* the purge's checkpoint: the thread is idle */
    int ckpt_started, ckpt_wanted, ckpt_stop;
    int ckpt_running, ckpt_paused; /* the thread checkpoints; the writer's TRUNCATE waits */
    uint64_t ckpt_done;          /* checkpoints the thread ran (svc_store_checkpoints) */
    int64_t arrival;             /* the next report's place in the order they came */
    sqlite3_stmt *put_report, *raise_seq, *put_audit, *put_device, *get_device, *each_report,
        *put_incident, *purge_reports, *purge_audit, *put_case, *put_action, *each_action, *find_incident,
        *max_incident, *put_window, *incident_opened;
    int in_batch;
    char err[512];
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA secure_delete=ON;"
    "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT OR IGNORE INTO meta VALUES('schema_version', '1');"
    "CREATE TABLE IF NOT EXISTS devices("
    "  id INTEGER PRIMARY KEY, role TEXT NOT NULL, last_seq INTEGER NOT NULL DEFAULT 0);"
    "CREATE TABLE IF NOT EXISTS reports("
    "  device INTEGER NOT NULL, seq INTEGER NOT NULL, type INTEGER NOT NULL, recv_ms INTEGER NOT NULL,"
    "  time_ms INTEGER NOT NULL, lat_e7 INTEGER, lon_e7 INTEGER, acc_dm INTEGER, source INTEGER,"
    "  motion INTEGER, speed_cmps INTEGER, heading_cdeg INTEGER, battery_pct INTEGER, state INTEGER,"
    "  arrival INTEGER NOT NULL, PRIMARY KEY(device, seq)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS reports_by_arrival ON reports(arrival);"
    "CREATE TABLE IF NOT EXISTS audit("
    "  id INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL, case_id INTEGER NOT NULL, incident INTEGER NOT NULL,"
    "  recipient TEXT NOT NULL, recipient_id INTEGER NOT NULL, subject INTEGER NOT NULL,"
    "  lat_e7 INTEGER, lon_e7 INTEGER);"
    "CREATE TABLE IF NOT EXISTS cases("
    "  id INTEGER PRIMARY KEY, offender INTEGER NOT NULL, victim INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS incidents("
    "  id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, opened_ms INTEGER NOT NULL,"
    "  state TEXT NOT NULL, changed_ms INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS incidents_by_case ON incidents(case_id, opened_ms);"
    "CREATE TABLE IF NOT EXISTS actions("
    "  arrival INTEGER PRIMARY KEY, t_ms INTEGER NOT NULL, incident INTEGER NOT NULL, action TEXT NOT NULL,"
    "  patrol TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS windows("
    "  case_id INTEGER PRIMARY KEY, open INTEGER NOT NULL, opened_ms INTEGER NOT NULL, closed_ms INTEGER NOT NULL,"
    "  reason INTEGER NOT NULL);";

static int fail(svc_store *s, const char *what)
{
    snprintf(s->err, sizeof s->err, "%s: %s", what, sqlite3_errmsg(s->db));
    return -1;
}

const char *svc_store_error(const svc_store *s)
{
    return s ? s->err : "out of memory";
}

static int prepare(svc_store *s, sqlite3_stmt **st, const char *sql)
{
    return sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) == SQLITE_OK ? 0 : fail(s, sql);
}

/* The meta table's value of key, as text ("" when there is none). */
static int meta_get(svc_store *s, const char *key, char *val, size_t n, const char *what)
{
    sqlite3_stmt *st;
    val[0] = '\0';
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key=?1", -1, &st, NULL) != SQLITE_OK)
        return fail(s, what);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        snprintf(val, n, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(s, what);
}

static int meta_put(svc_store *s, const char *key, const char *val, const char *what)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta VALUES(?1, ?2)", -1, &st, NULL) != SQLITE_OK)
        return fail(s, what);
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, val, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, what);
}

/* After each commit: the WAL holds `pages` pages. */
static int on_wal(void *arg, sqlite3 *db, const char *name, int pages)
{
    svc_store *s = arg;
    if (pages >= CHECKPOINT_HARD_PAGES) {
        sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    } else if (pages >= CHECKPOINT_PAGES) {
        pthread_mutex_lock(&s->mu);
        s->ckpt_wanted = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->mu);
    }
    return SQLITE_OK;
}

static void *checkpointer(void *arg)
{
    svc_store *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while ((!s->ckpt_wanted || s->ckpt_paused) && !s->ckpt_stop)
            pthread_cond_wait(&s->wake, &s->mu);
        if (s->ckpt_stop)
            break;
        s->ckpt_wanted = 0;
        s->ckpt_running = 1;
        pthread_mutex_unlock(&s->mu);
        int rc = sqlite3_wal_checkpoint_v2(s->ckpt_db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        pthread_mutex_lock(&s->mu);
        s->ckpt_running = 0;
        pthread_cond_broadcast(&s->idle);
        if (rc == SQLITE_OK)
            s->ckpt_done++;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* The second connection and its thread; the main one checkpoints no more
 * by itself (the hook replaces SQLite's automatic checkpoint).  Two
 * threads on two connections need an SQLite built thread-safe (Debian's
 * is); one that is not keeps SQLite's automatic checkpoint. */
static int start_checkpointer(svc_store *s, const char *path, int durable)
{
    if (!sqlite3_threadsafe())
        return 0;
    if (sqlite3_open_v2(path, &s->ckpt_db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK ||
        sqlite3_exec(s->ckpt_db, durable ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;", NULL, NULL,
                     NULL) != SQLITE_OK) {
        snprintf(s->err, sizeof s->err, "%s: cannot open for checkpoints: %s", path,
                 s->ckpt_db ? sqlite3_errmsg(s->ckpt_db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(s->ckpt_db, BUSY_TIMEOUT_MS);
    if (pthread_mutex_init(&s->mu, NULL) != 0)
        return snprintf(s->err, sizeof s->err, "%s: cannot make a mutex", path), -1;
    if (pthread_cond_init(&s->wake, NULL) != 0) {
        pthread_mutex_destroy(&s->mu);
        return snprintf(s->err, sizeof s->err, "%s: cannot make a condition", path), -1;
    }
    if (pthread_cond_init(&s->idle, NULL) != 0) {
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->mu);
        return snprintf(s->err, sizeof s->err, "%s: cannot make a condition", path), -1;
    }
    if (pthread_create(&s->ckpt, NULL, checkpointer, s) != 0) {
        pthread_cond_destroy(&s->idle);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->mu);
        return snprintf(s->err, sizeof s->err, "%s: cannot start the checkpoint thread", path), -1;
    }
    s->ckpt_started = 1;
    sqlite3_wal_hook(s->db, on_wal, s);
    return 0;
}

uint64_t svc_store_checkpoints(svc_store *s)
{
    if (!s->ckpt_started)
        return 0;
    pthread_mutex_lock(&s->mu);
    uint64_t n = s->ckpt_done;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int svc_store_open(svc_store **out, const char *path, int durable)
{
    svc_store *s = calloc(1, sizeof *s);
    *out = s;
    if (!s)
        return -1;
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) !=
        SQLITE_OK) {
        snprintf(s->err, sizeof s->err, "%s: cannot open: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        return -1;
    }
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    char *msg = NULL;
    if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(s->err, sizeof s->err, "%s: %s (is it a proxwatch store?)", path, msg ? msg : "cannot set up");
        sqlite3_free(msg);
        return -1;
    }
    if (sqlite3_exec(s->db, durable ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=NORMAL;", NULL, NULL, NULL) !=
        SQLITE_OK)
        return fail(s, path);
    char v[16];
    meta_get(s, "schema_version", v, sizeof v, path); /* none, or unreadable: version 0, said below */
    int version = atoi(v);
    if (version != 1) {
        snprintf(s->err, sizeof s->err, "%s: schema version %d, this proxwatch reads 1", path, version);
        return -1;
    }
    if (prepare(s, &s->put_report,
                "INSERT INTO reports VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15) "
                "ON CONFLICT(device, seq) DO NOTHING") ||
        prepare(s, &s->raise_seq, "UPDATE devices SET last_seq=?2 WHERE id=?1 AND last_seq<?2") ||
        prepare(s, &s->put_audit, "INSERT INTO audit(t_ms,case_id,incident,recipient,recipient_id,subject,lat_e7,"
                                  "lon_e7) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)") ||
        prepare(s, &s->put_device, "INSERT INTO devices(id,role) VALUES(?1,?2) ON CONFLICT(id) DO UPDATE SET "
                                   "role=excluded.role") ||
        prepare(s, &s->get_device, "SELECT last_seq FROM devices WHERE id=?1") ||
        prepare(s, &s->each_report, "SELECT device,seq,type,recv_ms,time_ms,lat_e7,lon_e7,acc_dm,source,motion,"
                                    "speed_cmps,heading_cdeg,battery_pct,state,arrival FROM reports ORDER BY arrival") ||
        prepare(s, &s->put_action, "INSERT INTO actions VALUES(?1,?2,?3,?4,?5)") ||
        prepare(s, &s->put_window, "INSERT OR REPLACE INTO windows VALUES(?1,?2,?3,?4,?5)") ||
        prepare(s, &s->each_action, "SELECT arrival,t_ms,incident,action,patrol FROM actions ORDER BY arrival") ||
        prepare(s, &s->find_incident, "SELECT id FROM incidents WHERE case_id=?1 AND opened_ms BETWEEN ?2-?3 AND "
                                      "?2+?3 AND id>?4 AND (state!='closed' OR changed_ms>=?2) "
                                      "ORDER BY abs(opened_ms-?2), id LIMIT 1") ||
        prepare(s, &s->max_incident, "SELECT coalesce(max(id), 0) FROM incidents") ||
        prepare(s, &s->put_incident, "INSERT INTO incidents VALUES(?1,?2,?3,?4,?3) ON CONFLICT(id) DO UPDATE SET "
                                     "state=excluded.state, changed_ms=?3") ||
        prepare(s, &s->incident_opened, "SELECT opened_ms FROM incidents WHERE id=?1") ||
        prepare(s, &s->purge_reports, "UPDATE reports SET lat_e7=NULL, lon_e7=NULL, acc_dm=NULL, speed_cmps=NULL, "
                                      "heading_cdeg=NULL WHERE device IN (?1,?2) AND (recv_ms BETWEEN ?3 AND ?4 OR "
                                      "time_ms BETWEEN ?3 AND ?4) AND lat_e7 IS NOT NULL") ||
        /* the incident's, and those of its two devices in the same span
         * not tied to it (the centre's record of the position that
         * opened it comes before the incident has its id: incident 0) */
        prepare(s, &s->purge_audit, "UPDATE audit SET lat_e7=NULL, lon_e7=NULL WHERE (incident=?1 OR (subject IN "
                                    "(?2,?3) AND t_ms BETWEEN ?4 AND ?5)) AND lat_e7 IS NOT NULL") ||
        prepare(s, &s->put_case, "INSERT INTO cases VALUES(?1,?2,?3) ON CONFLICT(id) DO UPDATE SET "
                                 "offender=excluded.offender, victim=excluded.victim"))
        return -1;
    sqlite3_stmt *a;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT max(coalesce((SELECT max(arrival) FROM reports), 0), "
                           "coalesce((SELECT max(arrival) FROM actions), 0))",
                           -1, &a, NULL) != SQLITE_OK)
        return fail(s, path);
    s->arrival = sqlite3_step(a) == SQLITE_ROW ? sqlite3_column_int64(a, 0) + 1 : 1;
    sqlite3_finalize(a);
    return start_checkpointer(s, path, durable);
}

void svc_store_close(svc_store *s)
{
    if (!s)
        return;
    if (s->ckpt_started) {
        sqlite3_wal_hook(s->db, NULL, NULL); /* the hook signals the thread: not after it is gone */
        pthread_mutex_lock(&s->mu);
        s->ckpt_stop = 1;
        pthread_cond_signal(&s->wake);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->ckpt, NULL);
        pthread_cond_destroy(&s->idle);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->mu);
    }
    sqlite3_close(s->ckpt_db);
    sqlite3_stmt *all[] = {s->put_report, s->raise_seq, s->put_audit, s->put_device, s->get_device,
                           s->each_report, s->put_incident, s->purge_reports, s->purge_audit, s->put_case,
                           s->put_action, s->each_action, s->find_incident, s->max_incident,
                           s->put_window, s->incident_opened};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        sqlite3_finalize(all[i]);
    sqlite3_close(s->db);
    free(s);
}

/* Run a prepared statement to its end and reset it. */
static int run(svc_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(s, what);
}

int svc_store_device(svc_store *s, uint32_t id, const char *role, uint64_t *last_seq)
{
    sqlite3_bind_int64(s->put_device, 1, id);
    sqlite3_bind_text(s->put_device, 2, role, -1, SQLITE_STATIC);
    if (run(s, s->put_device, "enrolling a device") != 0)
        return -1;
    sqlite3_bind_int64(s->get_device, 1, id);
    int rc = sqlite3_step(s->get_device);
    *last_seq = rc == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(s->get_device, 0) : 0;
    sqlite3_reset(s->get_device);
    return rc == SQLITE_ROW ? 0 : fail(s, "reading a device");
}

int svc_store_case(svc_store *s, pw_id id, pw_id offender, pw_id victim)
{
    sqlite3_bind_int64(s->put_case, 1, id);
    sqlite3_bind_int64(s->put_case, 2, offender);
    sqlite3_bind_int64(s->put_case, 3, victim);
    return run(s, s->put_case, "storing a case");
}

int svc_store_begin(svc_store *s)
{
    if (s->in_batch)
        return 0;
    if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, "beginning a batch");
    s->in_batch = 1;
    return 0;
}

int svc_store_commit(svc_store *s)
{
    if (!s->in_batch)
        return 0;
    s->in_batch = 0;
    if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    fail(s, "committing a batch");
    sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

static void bind_or_null(sqlite3_stmt *st, int i, int known, int64_t v)
{
    if (known)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

int svc_store_report(svc_store *s, const svc_frame *f, int64_t recv_ms)
{
    sqlite3_stmt *st = s->put_report;
    sqlite3_bind_int64(st, 1, f->device);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)f->seq);
    sqlite3_bind_int(st, 3, f->type);
    sqlite3_bind_int64(st, 4, recv_ms);
    if (f->type == SVC_POSITION) {
        const svc_position *p = &f->u.position;
        sqlite3_bind_int64(st, 5, p->time_ms);
        sqlite3_bind_int(st, 6, p->lat_e7);
        sqlite3_bind_int(st, 7, p->lon_e7);
        sqlite3_bind_int(st, 8, p->acc_dm);
        sqlite3_bind_int(st, 9, p->source);
        sqlite3_bind_int(st, 10, p->motion);
        sqlite3_bind_int(st, 11, p->speed_cmps);
        sqlite3_bind_int(st, 12, p->heading_cdeg);
    } else if (f->type == SVC_HEALTH) {
        sqlite3_bind_int64(st, 5, f->u.health.time_ms);
        sqlite3_bind_int(st, 13, f->u.health.battery_pct);
        sqlite3_bind_int(st, 14, f->u.health.state);
    } else if (f->type == SVC_PANIC) {
        int has = f->u.panic.lat_e7 != SVC_NO_LATLON;
        sqlite3_bind_int64(st, 5, f->u.panic.time_ms);
        bind_or_null(st, 6, has, f->u.panic.lat_e7);
        bind_or_null(st, 7, has, f->u.panic.lon_e7);
    } else {
        snprintf(s->err, sizeof s->err, "a frame of type %d is not a report", (int)f->type);
        return -1;
    }
    sqlite3_bind_int64(st, 15, s->arrival);
    if (run(s, st, "storing a report") != 0)
        return -1;
    if (sqlite3_changes(s->db) == 0) /* that (device, seq) is stored already: a replay */
        return 1;
    s->arrival++;
    sqlite3_bind_int64(s->raise_seq, 1, f->device);
    sqlite3_bind_int64(s->raise_seq, 2, (sqlite3_int64)f->seq);
    return run(s, s->raise_seq, "raising a device's sequence number");
}

int svc_store_audit(svc_store *s, const pw_event *ev, const char *recipient)
{
    sqlite3_stmt *st = s->put_audit;
    sqlite3_bind_int64(st, 1, ev->time);
    sqlite3_bind_int64(st, 2, ev->case_id);
    sqlite3_bind_int64(st, 3, ev->incident);
    sqlite3_bind_text(st, 4, recipient, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, ev->recipient_id);
    sqlite3_bind_int64(st, 6, ev->device);
    int has = ev->lat == ev->lat && ev->lon == ev->lon; /* not NaN */
    bind_or_null(st, 7, has, has ? (int64_t)(ev->lat * 1e7 + (ev->lat < 0 ? -0.5 : 0.5)) : 0);
    bind_or_null(st, 8, has, has ? (int64_t)(ev->lon * 1e7 + (ev->lon < 0 ? -0.5 : 0.5)) : 0);
    return run(s, st, "storing an audit record");
}

int svc_store_incident(svc_store *s, pw_id incident, pw_id case_id, int64_t t_ms, const char *state)
{
    sqlite3_stmt *st = s->put_incident;
    sqlite3_bind_int64(st, 1, incident);
    sqlite3_bind_int64(st, 2, case_id);
    sqlite3_bind_int64(st, 3, t_ms);
    sqlite3_bind_text(st, 4, state, -1, SQLITE_STATIC);
    return run(s, st, "storing an incident");
}

/* The report at st's row into f and recv; 0 when it was purged (a
 * position without its position: nothing to replay). */
static int read_report(sqlite3_stmt *st, svc_frame *f, int64_t *recv)
{
    memset(f, 0, sizeof *f);
    f->device = (uint32_t)sqlite3_column_int64(st, 0);
    f->seq = (uint64_t)sqlite3_column_int64(st, 1);
    f->type = (svc_frame_type)sqlite3_column_int(st, 2);
    *recv = sqlite3_column_int64(st, 3);
    int64_t t = sqlite3_column_int64(st, 4);
    int has = sqlite3_column_type(st, 5) != SQLITE_NULL;
    if (f->type == SVC_POSITION) {
        if (!has)
            return 0; /* purged: the incident is closed, its positions gone */
        f->u.position = (svc_position){
            .time_ms = t, .lat_e7 = sqlite3_column_int(st, 5), .lon_e7 = sqlite3_column_int(st, 6),
            .acc_dm = (uint16_t)sqlite3_column_int(st, 7), .source = (uint8_t)sqlite3_column_int(st, 8),
            .motion = (uint8_t)sqlite3_column_int(st, 9), .speed_cmps = (uint16_t)sqlite3_column_int(st, 10),
            .heading_cdeg = (uint16_t)sqlite3_column_int(st, 11)};
    } else if (f->type == SVC_HEALTH) {
        f->u.health = (svc_health){.time_ms = t, .battery_pct = (uint8_t)sqlite3_column_int(st, 12),
                                   .state = (uint8_t)sqlite3_column_int(st, 13)};
    } else {
        f->u.panic = (svc_panic){.time_ms = t, .lat_e7 = has ? sqlite3_column_int(st, 5) : SVC_NO_LATLON,
                                 .lon_e7 = has ? sqlite3_column_int(st, 6) : SVC_NO_LATLON};
    }
    return 1;
}

static void read_action(sqlite3_stmt *st, svc_action *a)
{
    memset(a, 0, sizeof *a);
    a->t_ms = sqlite3_column_int64(st, 1);
    a->incident = (pw_id)sqlite3_column_int64(st, 2);
    const unsigned char *what = sqlite3_column_text(st, 3), *patrol = sqlite3_column_text(st, 4);
    snprintf(a->action, sizeof a->action, "%s", what ? (const char *)what : "");
    snprintf(a->patrol, sizeof a->patrol, "%s", patrol ? (const char *)patrol : "");
}

int svc_store_replay(svc_store *s, int (*on_report)(void *ctx, const svc_frame *f, int64_t recv_ms),
                     int (*on_action)(void *ctx, const svc_action *a), void *ctx)
{
    /* two cursors, each in arrival order, merged */
    sqlite3_stmt *r = s->each_report, *a = s->each_action;
    int rr = sqlite3_step(r), ra = on_action ? sqlite3_step(a) : SQLITE_DONE, stop = 0;
    while (!stop && (rr == SQLITE_ROW || ra == SQLITE_ROW)) {
        if (rr == SQLITE_ROW &&
            (ra != SQLITE_ROW || sqlite3_column_int64(r, 14) < sqlite3_column_int64(a, 0))) {
            svc_frame f;
            int64_t recv;
            if (read_report(r, &f, &recv))
                stop = on_report(ctx, &f, recv);
            rr = sqlite3_step(r);
        } else {
            svc_action act;
            read_action(a, &act);
            stop = on_action(ctx, &act);
            ra = sqlite3_step(a);
        }
    }
    int ok = stop || ((rr == SQLITE_DONE || rr == SQLITE_ROW) && (ra == SQLITE_DONE || ra == SQLITE_ROW));
    sqlite3_reset(r);
    sqlite3_reset(a);
    return ok ? 0 : fail(s, "reading the reports and actions back");
}

int svc_store_each_report(svc_store *s, int (*fn)(void *ctx, const svc_frame *f, int64_t recv_ms), void *ctx)
{
    return svc_store_replay(s, fn, NULL, ctx);
}

int svc_store_action(svc_store *s, const svc_action *a)
{
    sqlite3_stmt *st = s->put_action;
    sqlite3_bind_int64(st, 1, s->arrival++);
    sqlite3_bind_int64(st, 2, a->t_ms);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)a->incident);
    sqlite3_bind_text(st, 4, a->action, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, a->patrol, -1, SQLITE_TRANSIENT);
    return run(s, st, "storing an action");
}

int svc_store_find_incident(svc_store *s, pw_id case_id, int64_t opened_ms, int64_t slack_ms, pw_id after,
                            pw_id *id)
{
    sqlite3_stmt *st = s->find_incident;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)case_id);
    sqlite3_bind_int64(st, 2, opened_ms);
    sqlite3_bind_int64(st, 3, slack_ms);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)after);
    int rc = sqlite3_step(st);
    *id = rc == SQLITE_ROW ? (pw_id)sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? 1 : fail(s, "looking an incident up");
}

int svc_store_each_open_incident(svc_store *s, int (*fn)(void *ctx, pw_id id, pw_id case_id), void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, case_id FROM incidents WHERE state != 'closed' ORDER BY id", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s, "reading the open incidents");
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW)
        stop = fn(ctx, (pw_id)sqlite3_column_int64(st, 0), (pw_id)sqlite3_column_int64(st, 1));
    sqlite3_finalize(st);
    return stop || rc == SQLITE_DONE ? 0 : fail(s, "reading the open incidents");
}

int svc_store_window(svc_store *s, const svc_window_state *w)
{
    sqlite3_stmt *st = s->put_window;
    sqlite3_bind_int64(st, 1, (sqlite3_int64)w->case_id);
    sqlite3_bind_int(st, 2, w->open);
    sqlite3_bind_int64(st, 3, w->opened_ms);
    sqlite3_bind_int64(st, 4, w->closed_ms);
    sqlite3_bind_int(st, 5, w->close_reason);
    return run(s, st, "storing a reveal window");
}

int svc_store_each_window(svc_store *s, int (*fn)(void *ctx, const svc_window_state *w), void *ctx)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT case_id, open, opened_ms, closed_ms, reason FROM windows ORDER BY case_id",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(s, "reading the reveal windows");
    int rc, stop = 0;
    while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        int reason = sqlite3_column_int(st, 4);
        svc_window_state w = {.case_id = (pw_id)sqlite3_column_int64(st, 0),
                              .open = sqlite3_column_int(st, 1) != 0,
                              .opened_ms = sqlite3_column_int64(st, 2),
                              .closed_ms = sqlite3_column_int64(st, 3),
                              .close_reason = reason > 0 && reason < 256 ? (uint8_t)reason : 0};
        stop = fn(ctx, &w);
    }
    sqlite3_finalize(st);
    return stop || rc == SQLITE_DONE ? 0 : fail(s, "reading the reveal windows");
}

int svc_store_max_incident(svc_store *s, pw_id *max)
{
    int rc = sqlite3_step(s->max_incident);
    *max = rc == SQLITE_ROW ? (pw_id)sqlite3_column_int64(s->max_incident, 0) : 0;
    sqlite3_reset(s->max_incident);
    return rc == SQLITE_ROW ? 0 : fail(s, "reading the incidents");
}

int svc_store_purge(svc_store *s, pw_id incident, pw_id offender, pw_id victim, int64_t from_ms, int64_t to_ms)
{
    if (svc_store_begin(s) != 0)
        return -1;
    /* from the earlier of from_ms and the incident's stored opening (a
     * rebuilt incident may have opened up to 2 s after it) */
    sqlite3_bind_int64(s->incident_opened, 1, incident);
    int rc = sqlite3_step(s->incident_opened);
    if (rc == SQLITE_ROW && sqlite3_column_int64(s->incident_opened, 0) < from_ms)
        from_ms = sqlite3_column_int64(s->incident_opened, 0);
    sqlite3_reset(s->incident_opened);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(s, "reading the incident's opening");
    sqlite3_bind_int64(s->purge_reports, 1, offender);
    sqlite3_bind_int64(s->purge_reports, 2, victim);
    sqlite3_bind_int64(s->purge_reports, 3, from_ms);
    sqlite3_bind_int64(s->purge_reports, 4, to_ms);
    sqlite3_bind_int64(s->purge_audit, 1, incident);
    sqlite3_bind_int64(s->purge_audit, 2, offender);
    sqlite3_bind_int64(s->purge_audit, 3, victim);
    sqlite3_bind_int64(s->purge_audit, 4, from_ms);
    sqlite3_bind_int64(s->purge_audit, 5, to_ms);
    return run(s, s->purge_reports, "purging reports") != 0 || run(s, s->purge_audit, "purging audit positions") != 0
               ? -1
               : 0;
}

int svc_store_reserve_out_seq(svc_store *s, uint64_t floor, uint64_t count, uint64_t *first)
{
    char v[32];
    if (meta_get(s, "out_seq", v, sizeof v, "reading the centre's sequence numbers") != 0)
        return -1;
    uint64_t used = strtoull(v, NULL, 10);
    *first = used > floor ? used : floor;
    snprintf(v, sizeof v, "%llu", (unsigned long long)(*first + count));
    return meta_put(s, "out_seq", v, "keeping the centre's sequence numbers");
}

int svc_store_heartbeat(svc_store *s, int64_t t_ms)
{
    char v[32];
    snprintf(v, sizeof v, "%lld", (long long)t_ms);
    return meta_put(s, "heartbeat", v, "storing the centre's last tick");
}

int svc_store_last_heartbeat(svc_store *s, int64_t *t_ms)
{
    char v[32];
    int rc = meta_get(s, "heartbeat", v, sizeof v, "reading the centre's last tick");
    *t_ms = strtoll(v, NULL, 10);
    return rc;
}

/* The thread's PASSIVE checkpoint holds SQLite's checkpoint lock, and a
 * TRUNCATE one that finds it held fails at once (SQLITE_BUSY, without the
 * busy handler): so the thread is paused, and its checkpoint under way
 * waited for, first (the WAL holds CHECKPOINT_HARD_PAGES at most, and
 * this is at a purge only).  A reader still on old pages is not waited
 * for (no busy timeout here: the caller is the centre's loop): the
 * checkpoint fails at once and the caller tries again later. */
int svc_store_checkpoint(svc_store *s)
{
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->mu);
        s->ckpt_paused = 1;
        while (s->ckpt_running)
            pthread_cond_wait(&s->idle, &s->mu);
        pthread_mutex_unlock(&s->mu);
    }
    int log = 0, done = 0;
    sqlite3_busy_timeout(s->db, 0);
    int rc = sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &done);
    sqlite3_busy_timeout(s->db, BUSY_TIMEOUT_MS);
    if (s->ckpt_started) {
        pthread_mutex_lock(&s->mu);
        s->ckpt_paused = 0;
        pthread_cond_signal(&s->wake); /* what was wanted meanwhile */
        pthread_mutex_unlock(&s->mu);
    }
    if (rc != SQLITE_OK) {
        fail(s, "checkpointing the WAL");
        return 1; /* a reader holds old pages: the caller tries again later */
    }
    return 0;
}
