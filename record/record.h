/*
 * record.h - the writers' common ground: the one JSON writer (and GeoJSON
 * on it), CSV fields, fast fixed-point numbers, and the publication of a
 * run folder in one step.  Every file proxwatch writes for other programs
 * (events.jsonl, report.json, summary.json, run.geojson, sweep.json,
 * fixes.csv, truth.csv, sweep.csv, decode's output) writes its text
 * values through these, so a name with a quote, a backslash, a comma or a
 * control character, and a number that is not finite, come out valid.
 *
 * JSON (RFC 8259): strings get quotes; '"' and '\' are escaped, control
 * characters become \n, \t, \r, \b, \f or \u00XX; well-formed UTF-8
 * passes through unchanged, and a byte that does not start one becomes
 * \ufffd (the replacement character), so the text is always valid JSON.  A number that is NaN or infinite is
 * written `null`.
 * CSV (RFC 4180): a field with a comma, a double quote, CR or LF is
 * enclosed in double quotes, with its double quotes doubled; others are
 * written as they are.
 *
 * No allocation; rec_csv_field returns 0, or EOF when a write failed (the
 * stream's error flag is then set too).  May include: libc (POSIX).
 *
 *   rec_json_str(&w, "Tom \"T\" Cat");      -> "Tom \"T\" Cat"
 *   rec_json_fixed(&w, NAN, 1);             -> null
 *   rec_csv_field(f, "Kim, Jr.");           -> "Kim, Jr."   (quoted)
 */
#ifndef PW_RECORD_H
#define PW_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * The one JSON writer.  Every JSON text proxwatch emits (events.jsonl,
 * report.json, summary.json, run.geojson, sweep.json, decode's gpsd
 * JSON) goes through it: it places the commas, escapes keys and strings
 * (the rules above), writes numbers with rec_put_fixed (the same
 * text as printf's %.*f, faster) and a number that is not finite as null.
 *
 * The layout is the caller's, the syntax the writer's: REC_JSON_COMPACT
 * separates with "," and ":", REC_JSON_SPACED with ", " and ": ";
 * rec_json_newline starts the next member on a line of its own, indented
 * two spaces a level, and rec_json_end_newline closes a container on a
 * line of its own (REC_JSON_FLAT: lines not indented, for files of
 * millions of lines).  rec_json_text adds bytes as they are (a "\n" between
 * JSON lines).
 *
 * Into a buffer (rec_json_to_buf: a whole value must fit, else the writer
 * fails and keeps what fitted) or a FILE (rec_json_to_file: written as its
 * internal buffer fills, and at rec_json_finish).  Calls on a failed
 * writer do nothing; rec_json_finish says whether it failed: 0, or -1 (the
 * buffer was too small, a write failed, containers nested deeper than
 * REC_JSON_MAX_DEPTH or closed more often than opened).  A misuse the
 * writer cannot see (a key in an array, a value with no key in an object)
 * is the caller's bug.
 *
 *   rec_json w;  rec_json_to_file(&w, f, REC_JSON_SPACED);
 *   rec_json_object(&w);  rec_json_key(&w, "name");  rec_json_str(&w, "Kim \"K\"");
 *   rec_json_key(&w, "acc_m");  rec_json_fixed(&w, NAN, 1);  rec_json_end(&w);
 *   rec_json_finish(&w);          -> {"name": "Kim \"K\"", "acc_m": null}
 */
enum { REC_JSON_COMPACT = 0, REC_JSON_SPACED = 1,
       REC_JSON_FLAT = 2 /* with either: rec_json_newline does not indent */ };
#define REC_JSON_MAX_DEPTH 16
typedef struct rec_json {
    FILE *f;                   /* NULL: into the caller's buffer */
    char *buf, *p, *end;       /* end: the last byte a value may use (a NUL is kept after) */
    unsigned depth;            /* open containers */
    uint32_t has_member;       /* bit d: the container at depth d has a member */
    uint32_t is_array;         /* bit d: it is an array */
    unsigned char spaced, flat, after_key, broke, failed;
    char own[4096];            /* the FILE writer's buffer */
} rec_json;
void rec_json_to_buf(rec_json *w, char *buf, size_t cap, int layout);
void rec_json_to_file(rec_json *w, FILE *f, int layout);
void rec_json_object(rec_json *w);
void rec_json_array(rec_json *w);
void rec_json_end(rec_json *w);
void rec_json_end_newline(rec_json *w);
void rec_json_newline(rec_json *w);
void rec_json_key(rec_json *w, const char *key);
void rec_json_str(rec_json *w, const char *s);
void rec_json_fixed(rec_json *w, double v, int decimals);
/* A number with `digits` significant digits (printf's %.*g), or null:
 * for figures whose size is not known in advance (expect's bounds). */
void rec_json_sig(rec_json *w, double v, int digits);
void rec_json_int(rec_json *w, int64_t v);
void rec_json_uint(rec_json *w, uint64_t v);
void rec_json_bool(rec_json *w, int v);
void rec_json_null(rec_json *w);
void rec_json_text(rec_json *w, const char *raw);
/* A member at once: rec_json_key then the value. */
void rec_json_kstr(rec_json *w, const char *key, const char *s);
void rec_json_kfixed(rec_json *w, const char *key, double v, int decimals);
void rec_json_kint(rec_json *w, const char *key, int64_t v);
void rec_json_kuint(rec_json *w, const char *key, uint64_t v);
void rec_json_kbool(rec_json *w, const char *key, int v);
/* Buffer: NUL-terminates; FILE: writes what is left.  0 or -1. */
int rec_json_finish(rec_json *w);
/* Bytes written into the buffer so far (buffer writer). */
size_t rec_json_len(const rec_json *w);

/*
 * GeoJSON (RFC 7946) for GIS tools: a FeatureCollection, a feature a line.
 * A feature is a geometry (a Point, LineString or Polygon's one ring, from
 * n lon/lat pairs; a ring is closed by the caller) and the properties the
 * caller then writes through g->w, until rec_geojson_feature_end.
 * Coordinates have 7 decimals (1 cm).  rec_geojson_end returns
 * rec_json_finish's 0 or -1.
 *
 *   rec_geojson g;  rec_geojson_begin(&g, f);
 *   rec_geojson_feature(&g, REC_GEO_POINT, (double[]){126.97, 37.56}, 1);
 *   rec_json_key(&g.w, "kind");  rec_json_str(&g.w, "fix");
 *   rec_geojson_feature_end(&g);  rec_geojson_end(&g);
 */
typedef enum rec_geometry { REC_GEO_POINT, REC_GEO_LINE, REC_GEO_POLYGON } rec_geometry;
typedef struct rec_geojson {
    rec_json w;
} rec_geojson;
void rec_geojson_begin(rec_geojson *g, FILE *f);
/* The same with one foreign member of the collection (RFC 7946 6.1), a
 * string, before "features" (key NULL: none). */
void rec_geojson_begin_with(rec_geojson *g, FILE *f, const char *key, const char *value);
void rec_geojson_feature(rec_geojson *g, rec_geometry type, const double *lonlat, size_t n);
void rec_geojson_feature_end(rec_geojson *g);
int  rec_geojson_end(rec_geojson *g);

int rec_csv_field(FILE *f, const char *s);

/*
 * A run folder is one publication.  A command writes everything into a
 * stage folder beside the target ("DIR.part-PID"), then swaps it in whole:
 * until then the old folder stays as it was (a failed write, a full disk,
 * SIGINT or SIGTERM leave it intact; the stage is what is left behind).
 *
 *   rec_stage_dir(dir, stage, sizeof stage, err, errlen);   makes DIR's
 *       parents and an empty stage; 0 or -1 with the reason in err
 *   rec_publish_dir(stage, dir, err, errlen);  the stage becomes DIR in one
 *       step (renameat2 RENAME_EXCHANGE, or a rename pair where the file
 *       system has no exchange) and the old content is removed
 *   rec_remove_tree(path);  a failed run's stage; 0 or -1
 *   rec_dir_replaceable(dir, err, errlen);  0 when DIR is absent or holds
 *       only files proxwatch writes (report.json, summary.json, events.jsonl,
 *       run.geojson, run.gpkg, fixes.csv, fixes.csv.gz, events.jsonl.gz, truth.csv, sweep.csv, sweep.json,
 *       sweep.partial.csv, sweep.id,
 *       map.png, map.svg, map.pdf, report.pdf, sweep.pdf, victim*.png,
 *       console*.png, latencies.csv, incidents.csv, .runs, *.part); -1 with the reason otherwise: a folder with anything else
 *       in it is never replaced (rec_stage_dir and rec_publish_dir refuse)
 * DIR may end in '/' and may be a symlink to a folder (its target is
 * replaced).  Stages left by proxwatch processes that no longer run are
 * removed when a new stage is made beside them.
 */
int rec_dir_replaceable(const char *dir, char *err, size_t errlen);
/*
 * One file of a folder, complete or absent: written as DIR/NAME.part and
 * renamed to DIR/NAME only when whole.
 *   rec_part_open(dir, name, err, errlen)  the .part open for writing, or
 *       NULL with the file and the system's reason in err
 *   rec_part_close(f, dir, name, keep, err, errlen)  closes f (NULL: only
 *       the .part's fate); keep = 1 renames it into place, 0 removes it.
 *       0, or -1 when keep and a write, the close or the rename failed: the
 *       .part is removed and err names the file and the reason.
 * Every file of a run, a replay and a run's summary goes through these;
 * the folder they are in is itself a stage (below) for a command.
 */
FILE *rec_part_open(const char *dir, const char *name, char *err, size_t errlen);
int rec_part_close(FILE *f, const char *dir, const char *name, int keep, char *err, size_t errlen);
int rec_stage_dir(const char *dir, char *stage, size_t n, char *err, size_t errlen);
/*
 * A big file of a run gzip-compressed as it is written (record/gz.c):
 * rec_part_open_gz is rec_part_open for DIR/NAME (NAME ends in ".gz"), and
 * the FILE it returns is written as any other (fprintf, fwrite, the JSON
 * writer) and closed by rec_part_close; the compression runs on a thread
 * of its own (zlib, level 1), so a run on two cores pays little for it.
 * The same bytes give the same file (no time or name in the header).
 * gzip, because what reads a run's files reads it directly: zcat, Python,
 * pandas, and QGIS or GDAL through /vsigzip/.
 *
 * rec_open_read opens DIR/NAME for reading, or else DIR/NAME.gz through
 * zlib, as a FILE that reads the plain text (getline as ever); the path
 * opened (or, when neither is there, DIR/NAME) into path.  NULL with errno
 * set when neither opens (EILSEQ: NAME.gz is not gzip).  A read of a .gz
 * cut short or damaged fails (ferror, errno EIO): a reader checks ferror
 * after its last line.  rec_open_error words such an errno for a message.
 */
FILE *rec_part_open_gz(const char *dir, const char *name, char *err, size_t errlen);
FILE *rec_open_read(const char *dir, const char *name, char *path, size_t n);
/* The gzip file at path itself, as rec_open_read opens NAME.gz. */
FILE *rec_open_gz(const char *path);
const char *rec_open_error(int err);

int rec_publish_dir(const char *stage, const char *dir, char *err, size_t errlen);
int rec_remove_tree(const char *path);
/* DIR and its parents, as mkdir -p; 0, or -1 with errno set. */
int rec_make_dirs(const char *dir);

/* Write v with `decimals` digits (0..9) at *p, never past end, advancing
 * *p: the same text as printf's "%.*f" (tests/test_record.c compares them
 * on millions of values), faster: printf's exact conversion was half of a
 * run's time.  Values near a rounding tie, or too large to scale exactly,
 * are handed to snprintf. */
void rec_put_fixed(char **p, char *end, double v, int decimals);
/* A whole number at *p, never past end, advancing *p. */
void rec_put_int(char **p, char *end, int64_t v);

#endif /* PW_RECORD_H */
