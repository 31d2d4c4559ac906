/*
 * victim.c - the victim's phone: what her app shows at a time t.  The
 * offender's pin, its accuracy circle, heading and distance appear only
 * while a reveal window of hers is open, and only as the engine sent them
 * to her; everything else on the screen is drawn in colours no part of the
 * offender uses, so that a screen outside every window shows no trace of
 * him (tests/test_render.c checks every second of a run).
 */
#include "record.h"
#include "rnd_internal.h"
#include "pw_grow.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The screen's own palette: no red in it (the privacy test reads red as
 * the offender's). */
#define SCREEN_PAPER 0xEEF1F4u
#define SCREEN_INK 0x8C97A3u
#define SCREEN_SELF 0x1B6EF3u
#define SCREEN_CALM 0x2E7D32u
#define SCREEN_CAUTION 0xC9A000u



typedef struct feed_caps {
    size_t w, r, a, closes;
} feed_caps;

int rnd_victim_feed_load(rnd_victim_feed *f, const char *dir, int case_id, char *err, size_t n)
{
    memset(f, 0, sizeof *f);
    char path[1024];
    FILE *in = rec_open_read(dir, "events.jsonl", path, sizeof path); /* or events.jsonl.gz */
    if (!in)
        return errno == ENOENT ? snprintf(err, n, "%s: cannot open (is %s a run folder of proxwatch run or live?)",
                                          path, dir)
                               : snprintf(err, n, "%s: %s", path, rec_open_error(errno)),
               RND_EINVAL;
    feed_caps cap = {0, 0, 0, 0};
    pw_time_ms *closes = NULL; /* the case's incident closings */
    size_t n_closes = 0;
    char *line = NULL;
    size_t len = 0;
    long line_no = 0;
    long pending = -1; /* a reveal waiting for its disclosure record */
    int rc = RND_OK;
    f->case_id = case_id;
    while (rc == RND_OK && getline(&line, &len, in) > 0 && !ferror(in)) { /* a line cut by a read error is not one */
        line_no++;
        json_error_t je;
        json_t *e = json_loads(line, 0, &je);
        if (!e) {
            snprintf(err, n, "%s:%ld: %s", path, line_no, je.text);
            rc = RND_EINVAL;
            break;
        }
        const char *type = json_string_value(json_object_get(e, "type"));
        const char *to = json_string_value(json_object_get(e, "to"));
        int c = (int)json_integer_value(json_object_get(e, "case"));
        pw_time_ms t = (pw_time_ms)json_integer_value(json_object_get(e, "t"));
        pw_id to_id = (pw_id)json_integer_value(json_object_get(e, "to_id"));
        int to_victim = type && to && !strcmp(to, "victim");
        /* The case is the first with an event for a victim's phone (or the
         * one asked for); her phone is that event's recipient. */
        if (to_victim && f->victim == 0 && (f->case_id == 0 || c == f->case_id)) {
            f->case_id = c;
            f->victim = to_id;
        }
        int mine = to_victim && f->victim != 0 && c == f->case_id && to_id == f->victim;
        if (type && f->case_id && c == f->case_id && !strcmp(type, "incident_close")) {
            if (pw_grow((void **)&closes, &cap.closes, n_closes + 1, sizeof *closes) != 0)
                rc = RND_ENOMEM;
            else
                closes[n_closes++] = t;
        } else if (mine && !strcmp(type, "reveal_open")) {
            if (pw_grow((void **)&f->windows, &cap.w, f->n_windows + 1, sizeof *f->windows) != 0)
                rc = RND_ENOMEM;
            else
                f->windows[f->n_windows++] = (rnd_window){t, INT64_MAX};
        } else if (mine && !strcmp(type, "reveal_close")) {
            if (f->n_windows && f->windows[f->n_windows - 1].close == INT64_MAX)
                f->windows[f->n_windows - 1].close = t;
        } else if (mine && !strcmp(type, "victim_warning")) {
            if (pw_grow((void **)&f->warnings, &cap.a, f->n_warnings + 1, sizeof *f->warnings) != 0) {
                rc = RND_ENOMEM;
            } else {
                rnd_warning *w = &f->warnings[f->n_warnings++];
                w->t = t;
                w->until = INT64_MAX;
                const char *why = json_string_value(json_object_get(e, "reason"));
                snprintf(w->reason, sizeof w->reason, "%s", why ? why : "");
            }
        } else if (mine && !strcmp(type, "reveal_update")) {
            if (pw_grow((void **)&f->reveals, &cap.r, f->n_reveals + 1, sizeof *f->reveals) != 0) {
                rc = RND_ENOMEM;
            } else {
                rnd_reveal *r = &f->reveals[f->n_reveals];
                r->t = t;
                r->at.lat = rnd_json_num(e, "lat");
                r->at.lon = rnd_json_num(e, "lon");
                r->acc_m = rnd_json_num(e, "acc_m");
                r->heading_deg = rnd_json_num(e, "heading");
                r->speed_mps = rnd_json_num(e, "speed");
                r->distance_m = rnd_json_num(e, "distance_m");
                r->record = 0;
                pending = (long)f->n_reveals++;
            }
        } else if (mine && !strcmp(type, "disclosure") && pending >= 0 && f->reveals[pending].t == t) {
            const char *why = json_string_value(json_object_get(e, "reason"));
            if (why && !strcmp(why, "reveal_update")) {
                f->reveals[pending].record = line_no;
                pending = -1;
            }
        }
        json_decref(e);
    }
    if (rc == RND_OK && ferror(in)) {
        snprintf(err, n, "%s: %s", path, rec_open_error(errno ? errno : EIO));
        rc = RND_EINVAL;
    }
    free(line);
    fclose(in);
    if (rc == RND_ENOMEM)
        snprintf(err, n, "out of memory reading %s", path);
    if (rc == RND_OK && f->victim == 0) {
        if (case_id)
            snprintf(err, n, "%s: no event of case %d went to a victim's phone: which phone is hers is not "
                             "in this run's records", path, case_id);
        else
            snprintf(err, n, "%s: no event went to a victim's phone in this run: her screen only ever said "
                             "'no alert'", path);
        rc = RND_EINVAL;
    }
    /* A warning stays on her screen until the case's next incident closes
     * (the centre has dealt with it), or a reveal window replaces it. */
    for (size_t i = 0; rc == RND_OK && i < f->n_warnings; i++)
        for (size_t k = 0; k < n_closes; k++)
            if (closes[k] >= f->warnings[i].t) {
                f->warnings[i].until = closes[k];
                break;
            }
    free(closes);
    if (rc != RND_OK)
        rnd_victim_feed_free(f);
    return rc;
}

void rnd_victim_feed_free(rnd_victim_feed *f)
{
    free(f->windows);
    free(f->reveals);
    free(f->warnings);
    memset(f, 0, sizeof *f);
}

void rnd_victim_state_at(const rnd_victim_feed *f, const rnd_run *run, pw_time_ms t, rnd_victim_state *st)
{
    memset(st, 0, sizeof *st);
    st->t = t;
    st->self_acc_m = NAN;
    pw_time_ms best = INT64_MIN;
    for (size_t i = 0; i < run->n_fixes; i++) {
        const rnd_fix *x = &run->fixes[i];
        if (x->device == f->victim && x->t <= t && x->t > best) {
            best = x->t;
            st->self = x->at;
            st->self_acc_m = x->acc_m;
            st->has_self = 1;
        }
    }
    const rnd_window *open = NULL;
    for (size_t i = 0; i < f->n_windows; i++)
        if (f->windows[i].open <= t && t < f->windows[i].close)
            open = &f->windows[i];
    if (!open) {
        /* Nothing of him, not even what was shown before; a warning
         * (which carries no position) may be in force. */
        for (size_t i = 0; i < f->n_warnings; i++)
            if (f->warnings[i].t <= t && t < f->warnings[i].until)
                st->warning = &f->warnings[i];
        return;
    }
    st->in_window = 1;
    for (size_t i = 0; i < f->n_reveals; i++) {
        const rnd_reveal *r = &f->reveals[i];
        if (r->t >= open->open && r->t <= t && isfinite(r->at.lat)) {
            st->pin = *r;
            st->has_pin = 1;
        }
    }
}


static const char *warning_text(const char *reason)
{
    return !strcmp(reason, "signal_lost")           ? "Caution: his tag has lost its GNSS signal"
         : !strcmp(reason, "comm_lost")             ? "Caution: his tag has gone silent"
         : !strcmp(reason, "uncertain_proximity")   ? "Caution: he may be near (position too coarse)"
         : !strcmp(reason, "stale_data")            ? "Caution: his position is out of date"
         : !strcmp(reason, "tamper")                ? "Caution: his tag's strap was cut"
         : !strcmp(reason, "device_off")            ? "Caution: his tag was switched off"
                                                    : "Caution: the centre is checking";
}

int rnd_draw_victim(cairo_t *cr, int width, int height, const rnd_basemap *b, const rnd_run *run,
                    const rnd_victim_feed *f, const rnd_victim_state *st)
{
    int unknown = 0;
    cairo_save(cr);
    rnd_rgb(cr, SCREEN_PAPER, 1);
    cairo_paint(cr);
    double radius = isfinite(run->alarm_radius_m) && run->alarm_radius_m > 0 ? run->alarm_radius_m : 500.0;
    double banner = height * 0.13, foot = height * 0.07;
    double fs = fmax(9, width / 22.0);
    rnd_view v;
    int shown_pin = st->in_window && st->has_pin;
    if (st->has_self) {
        /* Her alarm radius fills most of the width; the view widens to keep
         * his pin on screen between the banner and the mark. */
        double scale = width * 0.42 / radius;
        if (shown_pin) {
            rnd_view probe;
            if (rnd_view_init(&probe, st->self.lat, st->self.lon, 1.0, width, height) == RND_OK) {
                double x, y;
                rnd_project(&probe, st->pin.at.lat, st->pin.at.lon, &x, &y);
                double dx = fabs(x - width / 2.0), dy = fabs(y - height / 2.0);
                double room_x = width / 2.0 - 24, room_y = height / 2.0 - banner - 24;
                if (dx > 0)
                    scale = fmin(scale, room_x / dx);
                if (dy > 0)
                    scale = fmin(scale, room_y / dy);
            }
        }
        if (rnd_view_init(&v, st->self.lat, st->self.lon, scale, width, height) != RND_OK) {
            cairo_restore(cr);
            return unknown;
        }
        /* A muted map: district edges, streets and subway in greys. */
        static const rnd_plain_style muted = {SCREEN_INK, 0.6, 0xFFFFFF, 0, 0, SCREEN_INK, 0.7};
        rnd_draw_plain_basemap(cr, &v, b, &muted);
        /* Her alarm radius, her position and how sure her phone is of it. */
        double sx = width / 2.0, sy = height / 2.0;
        cairo_arc(cr, sx, sy, radius * v.px_per_m, 0, 2 * M_PI);
        rnd_rgb(cr, SCREEN_SELF, 0.06);
        cairo_fill_preserve(cr);
        rnd_rgb(cr, SCREEN_SELF, 0.5);
        cairo_set_line_width(cr, 1.5);
        cairo_set_dash(cr, (const double[]){6, 4}, 2, 0);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
        if (isfinite(st->self_acc_m) && st->self_acc_m * v.px_per_m > 10) {
            cairo_arc(cr, sx, sy, st->self_acc_m * v.px_per_m, 0, 2 * M_PI);
            rnd_rgb(cr, SCREEN_SELF, 0.12);
            cairo_fill(cr);
        }
        /* Safe places near her: a navy square with a white P, and its name. */
        for (size_t i = 0; i < run->n_safe; i++) {
            double x, y;
            rnd_project(&v, run->safe[i].at.lat, run->safe[i].at.lon, &x, &y);
            if (x < -10 || y < banner || x > width + 10 || y > height - foot)
                continue;
            cairo_rectangle(cr, x - 7, y - 7, 14, 14);
            rnd_rgb(cr, RND_COLOUR_SAFE, 1);
            cairo_fill(cr);
            unknown += rnd_text_in(cr, "P", 10, x - 3.5, y - 7, 0xFFFFFF);
            unknown += rnd_text_in(cr, run->safe[i].name, fmax(8, width / 40.0), x + 10, y - 7, RND_COLOUR_SAFE);
        }
        cairo_arc(cr, sx, sy, 9, 0, 2 * M_PI);
        rnd_rgb(cr, 0xFFFFFF, 1);
        cairo_fill(cr);
        cairo_arc(cr, sx, sy, 6.5, 0, 2 * M_PI);
        rnd_rgb(cr, SCREEN_SELF, 1);
        cairo_fill(cr);
        /* Him: only inside her window, only as sent to her. */
        if (shown_pin) {
            double px, py;
            rnd_project(&v, st->pin.at.lat, st->pin.at.lon, &px, &py);
            if (isfinite(st->pin.acc_m)) {
                cairo_arc(cr, px, py, fmax(st->pin.acc_m * v.px_per_m, 3), 0, 2 * M_PI);
                rnd_rgb(cr, RND_COLOUR_OFFENDER, 0.15);
                cairo_fill_preserve(cr);
                rnd_rgb(cr, RND_COLOUR_OFFENDER, 0.6);
                cairo_set_line_width(cr, 1);
                cairo_stroke(cr);
            }
            if (isfinite(st->pin.heading_deg) && isfinite(st->pin.speed_mps) && st->pin.speed_mps >= 0.5) {
                double a = st->pin.heading_deg * M_PI / 180.0;
                cairo_move_to(cr, px, py);
                cairo_line_to(cr, px + 22 * sin(a), py - 22 * cos(a));
                rnd_rgb(cr, RND_COLOUR_OFFENDER, 1);
                cairo_set_line_width(cr, 3);
                cairo_stroke(cr);
            }
            rnd_draw_pin(cr, &v, st->pin.at.lat, st->pin.at.lon, 8, RND_COLOUR_OFFENDER);
        }
    } else {
        unknown += rnd_text_in(cr, "내 위치를 아직 모릅니다 / No position yet", fs * 0.8, 12, height / 2.0, SCREEN_INK);
    }
    /* The banner: the state in Korean and English. */
    cairo_rectangle(cr, 0, 0, width, banner);
    rnd_rgb(cr, st->in_window ? RND_COLOUR_OFFENDER : st->warning ? SCREEN_CAUTION : SCREEN_CALM, 1);
    cairo_fill(cr);
    if (st->in_window) {
        unknown += rnd_text_in(cr, "경보: 가해자가 가까이 있습니다", fs, 12, banner * 0.18, 0xFFFFFF);
        char line[96];
        if (st->has_pin && isfinite(st->pin.distance_m))
            snprintf(line, sizeof line, "ALERT: offender %.0f m away (centre)", st->pin.distance_m);
        else
            snprintf(line, sizeof line, "ALERT: offender nearby");
        unknown += rnd_text_in(cr, line, fs * 0.85, 12, banner * 0.55, 0xFFFFFF);
    } else if (st->warning) {
        unknown += rnd_text_in(cr, "주의: 센터가 확인 중입니다", fs, 12, banner * 0.18, 0x222222);
        unknown += rnd_text_in(cr, warning_text(st->warning->reason), fs * 0.7, 12, banner * 0.58, 0x222222);
    } else {
        unknown += rnd_text_in(cr, "안전: 경보 없음", fs, 12, banner * 0.18, 0xFFFFFF);
        unknown += rnd_text_in(cr, "No alert", fs * 0.85, 12, banner * 0.55, 0xFFFFFF);
    }
    /* The mark: case, time (UTC and Korean), the disclosure record shown. */
    cairo_rectangle(cr, 0, height - foot, width, foot);
    rnd_rgb(cr, 0xFFFFFF, 0.9);
    cairo_fill(cr);
    char utc[40], kst[40], mark[200];
    pw_format_time(st->t, utc, sizeof utc);
    pw_format_time(st->t + 9 * 3600000LL, kst, sizeof kst);
    kst[16] = '\0'; /* YYYY-MM-DDTHH:MM */
    kst[10] = ' ';
    if (shown_pin && st->pin.record > 0)
        snprintf(mark, sizeof mark, "case %d · %s (%s KST) · disclosure events.jsonl:%ld", f->case_id, utc, kst,
                 st->pin.record);
    else
        snprintf(mark, sizeof mark, "case %d · %s (%s KST) · no disclosure", f->case_id, utc, kst);
    unknown += rnd_text_in(cr, mark, fmax(7, width / 44.0), 8, height - foot + foot * 0.25, 0x333333);
    cairo_restore(cr);
    return unknown;
}

int rnd_write_victim(const char *path, int width, int height, const rnd_basemap *b, const rnd_run *run,
                     const rnd_victim_feed *f, pw_time_ms t, char *err, size_t n)
{
    const char *dot = strrchr(path, '.');
    if (!dot || strcasecmp(dot, ".png") != 0)
        return snprintf(err, n, "%s: the victim's phone is drawn as PNG: give a .png file", path), RND_EINVAL;
    rnd_victim_state st;
    rnd_victim_state_at(f, run, t, &st);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    cairo_t *cr = cairo_create(s);
    rnd_draw_victim(cr, width, height, b, run, f, &st);
    cairo_destroy(cr);
    cairo_status_t cs = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (cs != CAIRO_STATUS_SUCCESS) {
        remove(path); /* nothing half-written is left */
        return snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(cs)), RND_EIO;
    }
    return RND_OK;
}
