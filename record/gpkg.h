/*
 * gpkg.h - a run as an OGC GeoPackage (run.gpkg): one SQLite file that
 * QGIS, GDAL/ogr and ArcGIS open as five layers, for runs whose GeoJSON
 * and CSV would run to gigabytes.
 *
 *   fixes     POINT       every fix the centre received: t, fix_t, device,
 *                         acc_m (NULL when the fix claims none), source, cause
 *   tracks    LINESTRING  each actor's true path: device, name, role
 *   zones     POLYGON     exclusion zones (case, zone, scheduled) and GNSS
 *                         environment zones (env); circles as 64-gons
 *   episodes  POINT       alert episodes where the offender was when they
 *                         opened: case_id, rule, start_t, end_t, is_true, cause
 *   events    POINT       every engine event: t, type, case_id, device,
 *                         incident, acc_m, probability, distance_m; the
 *                         geometry is NULL for an event without a position
 *
 * Coordinates are WGS 84 (EPSG:4326), x = longitude, y = latitude; times
 * are ms since the Unix epoch, as in events.jsonl.  Each geometry is a
 * GeoPackage binary (the "GP" header, little-endian, with an envelope for
 * lines and polygons) around ISO WKB, per OGC 12-128r18 (GeoPackage 1.3).
 * gpkg_contents gets each layer's extent at close, and last_change the
 * time given to rec_gpkg_close (the run's simulated end), so the same run
 * writes the same file.  No spatial index is written; QGIS makes one on
 * demand.
 *
 * Everything goes in one transaction with SQLite's journal off: the file is
 * written as a ".part" and published by the caller only when complete.
 *
 * Status: 0, or -1 with the reason in rec_gpkg_error (the SQLite message
 * and the file's name).  After a failure every call returns -1 at once.
 * May include: libc, SQLite 3, common/pw_grow.h, engine.h (its calendar:
 * pw_format_time).
 */
#ifndef PW_RECORD_GPKG_H
#define PW_RECORD_GPKG_H

#include <stddef.h>

typedef struct rec_gpkg rec_gpkg;

/* Create PATH with the GeoPackage tables.  PATH must not exist (SQLite
 * would open an existing file: the caller removes it first).  On failure
 * *out is still set (for rec_gpkg_error) unless memory ran out (*out NULL);
 * close it with rec_gpkg_close either way. */
int rec_gpkg_open(rec_gpkg **out, const char *path);
const char *rec_gpkg_error(const rec_gpkg *g);

int rec_gpkg_fix(rec_gpkg *g, long long t, long long fix_t, unsigned device, double lon, double lat,
                 double acc_m, const char *source, const char *cause);
/* n points as lon,lat pairs (xy[2i], xy[2i+1]); n < 2: a NULL geometry. */
int rec_gpkg_track(rec_gpkg *g, unsigned device, const char *name, const char *role, const double *xy,
                   size_t n);
/* A closed ring (first point repeated last), n >= 4.  kind is
 * "exclusion_zone" (case_id, zone_id, scheduled; env NULL) or "environment"
 * (env; case_id and zone_id 0, scheduled < 0: written NULL). */
int rec_gpkg_zone(rec_gpkg *g, const char *kind, unsigned case_id, unsigned zone_id, int scheduled,
                  const char *env, const double *xy, size_t n);
int rec_gpkg_episode(rec_gpkg *g, unsigned case_id, const char *rule, long long start, long long end,
                     int is_true, const char *cause, double lon, double lat);
/* lon/lat not finite: a NULL geometry.  A value not finite is NULL. */
int rec_gpkg_event(rec_gpkg *g, long long t, const char *type, unsigned case_id, unsigned device,
                   unsigned incident, double lon, double lat, double acc_m, double probability,
                   double distance_m);

/* commit != 0: write the extents and `when_ms` (ms since the epoch) as
 * gpkg_contents.last_change, commit and close; 0 (a failed run): close
 * without committing.  Frees g.  Returns -1 when committing failed, with
 * the reason copied into err. */
int rec_gpkg_close(rec_gpkg *g, int commit, long long when_ms, char *err, size_t errlen);

#endif /* PW_RECORD_GPKG_H */
