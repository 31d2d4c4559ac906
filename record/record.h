/*
 * record.h - the writers' common ground: JSON strings and numbers, CSV
 * fields.  Every file proxwatch writes for other programs (report.json,
 * summary.json, run.geojson, sweep.json, truth.csv, sweep.csv) writes its
 * text values through these, so a name with a quote, a backslash, a comma
 * or a control character, and a number that is not finite, come out valid.
 *
 * JSON (RFC 8259): strings get quotes; '"' and '\' are escaped, control
 * characters become \n, \t, \r, \b, \f or \u00XX; other bytes, UTF-8
 * included, pass through unchanged.  A number that is NaN or infinite is
 * written `null`.
 * CSV (RFC 4180): a field with a comma, a double quote, CR or LF is
 * enclosed in double quotes, with its double quotes doubled; others are
 * written as they are.
 *
 * No allocation; the FILE functions return 0, or EOF when a write failed
 * (the stream's error flag is then set too).  May include: libc (POSIX).
 *
 *   rec_json_string(f, "Tom \"T\" Cat");    -> "Tom \"T\" Cat"
 *   rec_json_number(f, NAN, 1);             -> null
 *   rec_csv_field(f, "Kim, Jr.");           -> "Kim, Jr."   (quoted)
 */
#ifndef PW_RECORD_H
#define PW_RECORD_H

#include <stddef.h>
#include <stdio.h>

/* Escape s as a JSON string, with its quotes, into buf (cap bytes, NUL
 * terminated).  Returns the length the whole string needs (without the
 * NUL), as snprintf does: a result >= cap means buf was cut. */
size_t rec_json_escape(char *buf, size_t cap, const char *s);
int rec_json_string(FILE *f, const char *s);
/* A number with `decimals` digits after the point (printf's %.*f), or null. */
int rec_json_number(FILE *f, double v, int decimals);
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
 *       run.geojson, run.gpkg, fixes.csv, truth.csv, sweep.csv, sweep.json, .runs,
 *       *.part); -1 with the reason otherwise: a folder with anything else
 *       in it is never replaced (rec_stage_dir and rec_publish_dir refuse)
 * DIR may end in '/' and may be a symlink to a folder (its target is
 * replaced).  Stages left by proxwatch processes that no longer run are
 * removed when a new stage is made beside them.
 */
int rec_dir_replaceable(const char *dir, char *err, size_t errlen);
int rec_stage_dir(const char *dir, char *stage, size_t n, char *err, size_t errlen);
int rec_publish_dir(const char *stage, const char *dir, char *err, size_t errlen);
int rec_remove_tree(const char *path);

/* Write v with `decimals` digits (0..9) at *p, never past end, advancing
 * *p; fast and deterministic (no printf's exact conversion, which was half
 * of a run's time).  The run record's and decode's numbers. */
void rec_put_fixed(char **p, char *end, double v, int decimals);

#endif /* PW_RECORD_H */
