/*
 * gpkg.c - the run as a GeoPackage: SQLite tables in the OGC layout, each
 * geometry a GeoPackage binary around WKB.  See gpkg.h.
 */
#include "gpkg.h"
#include "engine.h"
#include "pw_grow.h"

#include <math.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { L_FIXES, L_TRACKS, L_ZONES, L_EPISODES, L_EVENTS, L_COUNT };

static const char *const layer_name[L_COUNT] = {"fixes", "tracks", "zones", "episodes", "events"};
static const char *const layer_type[L_COUNT] = {"POINT", "LINESTRING", "POLYGON", "POINT", "POINT"};
static const char *const layer_about[L_COUNT] = {
    "fixes the centre received", "true tracks", "exclusion and GNSS environment zones",
    "alert episodes where the offender was when they opened", "engine events"};
static const char *const layer_columns[L_COUNT] = {
    "t INTEGER, fix_t INTEGER, device INTEGER, acc_m REAL, source TEXT, cause TEXT",
    "device INTEGER, name TEXT, role TEXT",
    "kind TEXT, case_id INTEGER, zone_id INTEGER, scheduled INTEGER, env TEXT",
    "case_id INTEGER, rule TEXT, start_t INTEGER, end_t INTEGER, is_true INTEGER, cause TEXT",
    "t INTEGER, type TEXT, case_id INTEGER, device INTEGER, incident INTEGER, acc_m REAL, "
    "probability REAL, distance_m REAL"};
static const char *const layer_insert[L_COUNT] = {
    "INSERT INTO fixes(geom,t,fix_t,device,acc_m,source,cause) VALUES(?,?,?,?,?,?,?)",
    "INSERT INTO tracks(geom,device,name,role) VALUES(?,?,?,?)",
    "INSERT INTO zones(geom,kind,case_id,zone_id,scheduled,env) VALUES(?,?,?,?,?,?)",
    "INSERT INTO episodes(geom,case_id,rule,start_t,end_t,is_true,cause) VALUES(?,?,?,?,?,?,?)",
    "INSERT INTO events(geom,t,type,case_id,device,incident,acc_m,probability,distance_m) "
    "VALUES(?,?,?,?,?,?,?,?,?)"};

/* EPSG:4326 as the GeoPackage standard's own example row writes it. */
static const char wgs84_wkt[] =
    "GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563,"
    "AUTHORITY[\"EPSG\",\"7030\"]],AUTHORITY[\"EPSG\",\"6326\"]],PRIMEM[\"Greenwich\",0,"
    "AUTHORITY[\"EPSG\",\"8901\"]],UNIT[\"degree\",0.0174532925199433,AUTHORITY[\"EPSG\",\"9122\"]],"
    "AUTHORITY[\"EPSG\",\"4326\"]]";

#define SRS_ID 4326

struct rec_gpkg {
    sqlite3 *db;
    sqlite3_stmt *ins[L_COUNT];
    double ext[L_COUNT][4]; /* min_x, min_y, max_x, max_y; min > max: empty */
    unsigned char *buf;     /* the geometry being built */
    size_t len, cap;
    int failed;
    char path[512];
    char err[768];
};

static int fail(rec_gpkg *g, const char *what)
{
    if (!g->failed)
        snprintf(g->err, sizeof g->err, "%s: %s: %s", g->path, what,
                 g->db ? sqlite3_errmsg(g->db) : "cannot open");
    g->failed = 1;
    return -1;
}

const char *rec_gpkg_error(const rec_gpkg *g)
{
    return g ? g->err : "out of memory";
}

/* ---- geometry blobs ---------------------------------------------------- */

static int reserve(rec_gpkg *g, size_t more)
{
    if (pw_grow((void **)&g->buf, &g->cap, g->len + more, 1) == 0)
        return 0;
    snprintf(g->err, sizeof g->err, "%s: out of memory for a geometry", g->path);
    g->failed = 1;
    return -1;
}

/* Little-endian whatever the host is: the blob's flags say so. */
static void put_u32(rec_gpkg *g, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        g->buf[g->len++] = (unsigned char)(v >> (8 * i));
}

static void put_f64(rec_gpkg *g, double d)
{
    uint64_t v;
    memcpy(&v, &d, sizeof v);
    for (int i = 0; i < 8; i++)
        g->buf[g->len++] = (unsigned char)(v >> (8 * i));
}

/* wkb_type 1 point, 2 line string, 3 polygon (one ring). */
static int build(rec_gpkg *g, int layer, uint32_t wkb_type, const double *xy, size_t n)
{
    double mnx = xy[0], mxx = xy[0], mny = xy[1], mxy = xy[1];
    for (size_t i = 1; i < n; i++) {
        mnx = fmin(mnx, xy[2 * i]);
        mxx = fmax(mxx, xy[2 * i]);
        mny = fmin(mny, xy[2 * i + 1]);
        mxy = fmax(mxy, xy[2 * i + 1]);
    }
    int envelope = wkb_type != 1;
    g->len = 0;
    if (reserve(g, 8 + 32 + 13 + 16 * n) != 0)
        return -1;
    g->buf[g->len++] = 'G';
    g->buf[g->len++] = 'P';
    g->buf[g->len++] = 0;                                   /* version 1 */
    g->buf[g->len++] = (unsigned char)(0x01 | envelope << 1); /* LE; [x, y] envelope */
    put_u32(g, SRS_ID);
    if (envelope) {
        put_f64(g, mnx);
        put_f64(g, mxx);
        put_f64(g, mny);
        put_f64(g, mxy);
    }
    g->buf[g->len++] = 0x01; /* WKB little-endian */
    put_u32(g, wkb_type);
    if (wkb_type == 3)
        put_u32(g, 1);
    if (wkb_type != 1)
        put_u32(g, (uint32_t)n);
    for (size_t i = 0; i < 2 * n; i++)
        put_f64(g, xy[i]);
    double *e = g->ext[layer];
    e[0] = fmin(e[0], mnx);
    e[1] = fmin(e[1], mny);
    e[2] = fmax(e[2], mxx);
    e[3] = fmax(e[3], mxy);
    return 0;
}

/* ---- binding ------------------------------------------------------------ */

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static int step(rec_gpkg *g, int layer)
{
    sqlite3_stmt *st = g->ins[layer];
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : fail(g, layer_name[layer]);
}

/* ---- open and close ----------------------------------------------------- */

static int exec(rec_gpkg *g, const char *sql)
{
    return sqlite3_exec(g->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : fail(g, "cannot create the tables");
}

int rec_gpkg_open(rec_gpkg **out, const char *path)
{
    rec_gpkg *g = calloc(1, sizeof *g);
    *out = g;
    if (!g)
        return -1;
    snprintf(g->path, sizeof g->path, "%s", path);
    for (int l = 0; l < L_COUNT; l++)
        g->ext[l][0] = g->ext[l][1] = INFINITY, g->ext[l][2] = g->ext[l][3] = -INFINITY;
    if (sqlite3_open_v2(path, &g->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK)
        return fail(g, "cannot create");
    /* The file is a ".part" until the run is complete: no journal needed. */
    if (exec(g, "PRAGMA application_id=1196444487; PRAGMA user_version=10300;"
                "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN;"
                "CREATE TABLE gpkg_spatial_ref_sys(srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,"
                " organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,"
                " definition TEXT NOT NULL, description TEXT);"
                "CREATE TABLE gpkg_contents(table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,"
                " identifier TEXT UNIQUE, description TEXT DEFAULT '', last_change DATETIME NOT NULL"
                " DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),"
                " min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,"
                " CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));"
                "CREATE TABLE gpkg_geometry_columns(table_name TEXT NOT NULL, column_name TEXT NOT NULL,"
                " geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL, z TINYINT NOT NULL,"
                " m TINYINT NOT NULL, CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),"
                " CONSTRAINT uk_gc_table_name UNIQUE (table_name),"
                " CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),"
                " CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));"
                "INSERT INTO gpkg_spatial_ref_sys VALUES"
                " ('Undefined cartesian SRS',-1,'NONE',-1,'undefined','undefined cartesian coordinate reference system'),"
                " ('Undefined geographic SRS',0,'NONE',0,'undefined','undefined geographic coordinate reference system');") != 0)
        return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(g->db, "INSERT INTO gpkg_spatial_ref_sys VALUES('WGS 84 geodetic',4326,'EPSG',4326,?,"
                                  "'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid')",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(g, "cannot create the tables");
    sqlite3_bind_text(st, 1, wgs84_wkt, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(g, "cannot create the tables");
    for (int l = 0; l < L_COUNT; l++) {
        char sql[640];
        snprintf(sql, sizeof sql,
                 "CREATE TABLE %s(fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL, geom %s, %s);"
                 "INSERT INTO gpkg_contents(table_name,data_type,identifier,description,last_change,srs_id)"
                 " VALUES('%s','features','%s','%s','1970-01-01T00:00:00.000Z',%d);"
                 "INSERT INTO gpkg_geometry_columns VALUES('%s','geom','%s',%d,0,0);",
                 layer_name[l], layer_type[l], layer_columns[l], layer_name[l], layer_name[l], layer_about[l],
                 SRS_ID, layer_name[l], layer_type[l], SRS_ID);
        if (exec(g, sql) != 0)
            return -1;
        if (sqlite3_prepare_v2(g->db, layer_insert[l], -1, &g->ins[l], NULL) != SQLITE_OK)
            return fail(g, "cannot create the tables");
    }
    return 0;
}

/* gpkg_contents at the end: every layer's time and extent. */
static int write_contents(rec_gpkg *g, long long when_ms)
{
    char when[64];
    pw_format_time(when_ms, when, sizeof when);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(g->db, "UPDATE gpkg_contents SET last_change=?", -1, &st, NULL) != SQLITE_OK)
        return fail(g, "cannot write the layers' time");
    sqlite3_bind_text(st, 1, when, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return fail(g, "cannot write the layers' time");
    if (sqlite3_prepare_v2(g->db, "UPDATE gpkg_contents SET min_x=?,min_y=?,max_x=?,max_y=? WHERE table_name=?",
                           -1, &st, NULL) != SQLITE_OK)
        return fail(g, "cannot write the extents");
    for (int l = 0; l < L_COUNT && !g->failed; l++) {
        if (g->ext[l][0] > g->ext[l][2])
            continue; /* an empty layer has no extent */
        for (int k = 0; k < 4; k++)
            sqlite3_bind_double(st, k + 1, g->ext[l][k]);
        sqlite3_bind_text(st, 5, layer_name[l], -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            fail(g, "cannot write the extents");
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return g->failed ? -1 : 0;
}

int rec_gpkg_close(rec_gpkg *g, int commit, long long when_ms, char *err, size_t errlen)
{
    if (!g) {
        if (commit && err && errlen)
            snprintf(err, errlen, "out of memory for a GeoPackage");
        return commit ? -1 : 0;
    }
    for (int l = 0; l < L_COUNT; l++)
        sqlite3_finalize(g->ins[l]);
    if (commit && !g->failed && g->db && write_contents(g, when_ms) == 0 &&
        sqlite3_exec(g->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        fail(g, "cannot commit");
    int bad = commit && g->failed;
    if (g->db && sqlite3_close_v2(g->db) != SQLITE_OK && commit && !bad) {
        fail(g, "cannot close");
        bad = 1;
    }
    if (bad && err && errlen)
        snprintf(err, errlen, "%s", g->err);
    free(g->buf);
    free(g);
    return bad ? -1 : 0;
}

/* ---- rows ---------------------------------------------------------------- */

/* The layer's insert with its geometry bound (n points of xy; n == 0: a
 * NULL geometry), or NULL after a failure. */
static sqlite3_stmt *row(rec_gpkg *g, int layer, uint32_t wkb_type, const double *xy, size_t n)
{
    if (g->failed || (n > 0 && build(g, layer, wkb_type, xy, n) != 0))
        return NULL;
    if (n > 0)
        sqlite3_bind_blob(g->ins[layer], 1, g->buf, (int)g->len, SQLITE_STATIC);
    return g->ins[layer];
}

int rec_gpkg_fix(rec_gpkg *g, long long t, long long fix_t, unsigned device, double lon, double lat,
                 double acc_m, const char *source, const char *cause)
{
    double xy[2] = {lon, lat};
    sqlite3_stmt *st = row(g, L_FIXES, 1, xy, 1);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int64(st, 3, fix_t);
    sqlite3_bind_int64(st, 4, device);
    bind_real(st, 5, acc_m);
    bind_text(st, 6, source);
    bind_text(st, 7, cause);
    return step(g, L_FIXES);
}

int rec_gpkg_track(rec_gpkg *g, unsigned device, const char *name, const char *role, const double *xy, size_t n)
{
    /* An actor that never moved anywhere has no line: a NULL geometry. */
    sqlite3_stmt *st = row(g, L_TRACKS, 2, xy, n >= 2 ? n : 0);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 2, device);
    bind_text(st, 3, name);
    bind_text(st, 4, role);
    return step(g, L_TRACKS);
}

int rec_gpkg_zone(rec_gpkg *g, const char *kind, unsigned case_id, unsigned zone_id, int scheduled,
                  const char *env, const double *xy, size_t n)
{
    if (n < 4)
        return g->failed ? -1 : 0; /* not a polygon: the loader never makes one */
    sqlite3_stmt *st = row(g, L_ZONES, 3, xy, n);
    if (!st)
        return -1;
    bind_text(st, 2, kind);
    if (case_id) {
        sqlite3_bind_int64(st, 3, case_id);
        sqlite3_bind_int64(st, 4, zone_id);
    }
    if (scheduled >= 0)
        sqlite3_bind_int(st, 5, scheduled != 0);
    bind_text(st, 6, env);
    return step(g, L_ZONES);
}

int rec_gpkg_episode(rec_gpkg *g, unsigned case_id, const char *rule, long long start, long long end,
                     int is_true, const char *cause, double lon, double lat)
{
    double xy[2] = {lon, lat};
    sqlite3_stmt *st = row(g, L_EPISODES, 1, xy, 1);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 2, case_id);
    bind_text(st, 3, rule);
    sqlite3_bind_int64(st, 4, start);
    sqlite3_bind_int64(st, 5, end);
    sqlite3_bind_int(st, 6, is_true != 0);
    bind_text(st, 7, cause);
    return step(g, L_EPISODES);
}

int rec_gpkg_event(rec_gpkg *g, long long t, const char *type, unsigned case_id, unsigned device,
                   unsigned incident, double lon, double lat, double acc_m, double probability,
                   double distance_m)
{
    double xy[2] = {lon, lat};
    sqlite3_stmt *st = row(g, L_EVENTS, 1, xy, isfinite(lon) && isfinite(lat) ? 1 : 0);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 2, t);
    bind_text(st, 3, type);
    if (case_id)
        sqlite3_bind_int64(st, 4, case_id);
    if (device)
        sqlite3_bind_int64(st, 5, device);
    if (incident)
        sqlite3_bind_int64(st, 6, incident);
    bind_real(st, 7, acc_m);
    bind_real(st, 8, probability);
    bind_real(st, 9, distance_m);
    return step(g, L_EVENTS);
}
