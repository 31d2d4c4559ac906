/*
 * victim.c - the victim's phone: what her app shows at a time t.  The
 * offender's pin, its accuracy circle, heading and distance appear only
 * while a reveal window of hers is open, and only as the engine sent them
 * to her; everything else on the screen is drawn in colours no part of the
 * offender uses, so that a screen outside every window shows no trace of
 * him (tests/test_render.c checks every second of a run).
 */
#include "render.h"
#include "pw_grow.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The screen's own palette: no red in it (the privacy test reads red as
 * the offender's). */
#define SCREEN_PAPER 0xEEF1F4u
#define SCREEN_INK 0x8C97A3u
#define SCREEN_SELF 0x1B6EF3u
#define SCREEN_CALM 0x2E7D32u

static void rgb(cairo_t *cr, uint32_t c, double alpha)
{
    cairo_set_source_rgba(cr, ((c >> 16) & 0xFF) / 255.0, ((c >> 8) & 0xFF) / 255.0, (c & 0xFF) / 255.0, alpha);
}

static double num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

int rnd_victim_feed_load(rnd_victim_feed *f, const char *dir, const rnd_run *run, int case_id, char *err,
                         size_t n)
{
    memset(f, 0, sizeof *f);
    char path[1024];
    snprintf(path, sizeof path, "%s/events.jsonl", dir);
    FILE *in = fopen(path, "r");
    if (!in)
        return snprintf(err, n, "%s: cannot open (is %s a run folder?)", path, dir), RND_EINVAL;
    size_t cap_w = 0, cap_r = 0;
    char *line = NULL;
    size_t len = 0;
    long line_no = 0;
    /* The disclosure record of each reveal is the line after it with the
     * same time, reason reveal_update and recipient. */
    long pending = -1; /* index of a reveal waiting for its record */
    int case_seen = 0;
    int rc = RND_OK;
    while (getline(&line, &len, in) > 0) {
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
        case_seen |= case_id != 0 && c == case_id;
        int mine = type && to && !strcmp(to, "victim") && (case_id == 0 ? (f->case_id == 0 || c == f->case_id)
                                                                         : c == case_id);
        if (mine && f->case_id == 0) {
            f->case_id = c;
            f->victim = to_id;
        }
        mine = mine && to_id == f->victim;
        if (mine && !strcmp(type, "reveal_open")) {
            if (pw_grow((void **)&f->windows, &cap_w, f->n_windows + 1, sizeof *f->windows) != 0)
                rc = RND_ENOMEM;
            else
                f->windows[f->n_windows++] = (rnd_window){t, INT64_MAX};
        } else if (mine && !strcmp(type, "reveal_close")) {
            if (f->n_windows && f->windows[f->n_windows - 1].close == INT64_MAX)
                f->windows[f->n_windows - 1].close = t;
        } else if (mine && !strcmp(type, "reveal_update")) {
            if (pw_grow((void **)&f->reveals, &cap_r, f->n_reveals + 1, sizeof *f->reveals) != 0) {
                rc = RND_ENOMEM;
            } else {
                rnd_reveal *r = &f->reveals[f->n_reveals];
                r->t = t;
                r->at.lat = num(e, "lat");
                r->at.lon = num(e, "lon");
                r->acc_m = num(e, "acc_m");
                r->heading_deg = num(e, "heading");
                r->distance_m = num(e, "distance_m");
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
        if (rc != RND_OK)
            break;
    }
    free(line);
    fclose(in);
    if (rc == RND_ENOMEM)
        snprintf(err, n, "out of memory reading %s", path);
    if (rc == RND_OK && case_id != 0 && !case_seen) {
        snprintf(err, n, "%s: no event of case %d: no such case in this run", path, case_id);
        rc = RND_EINVAL;
    }
    if (rc == RND_OK && f->case_id == 0) {
        /* No reveal at all: her screen never showed him.  Still a view. */
        f->case_id = case_id ? case_id : 1;
        for (size_t i = 0; i < run->n_tracks && !f->victim; i++)
            if (run->tracks[i].role == RND_VICTIM)
                f->victim = run->tracks[i].device;
    }
    if (rc != RND_OK)
        rnd_victim_feed_free(f);
    return rc;
}

void rnd_victim_feed_free(rnd_victim_feed *f)
{
    free(f->windows);
    free(f->reveals);
    memset(f, 0, sizeof *f);
}

void rnd_victim_state_at(const rnd_victim_feed *f, const rnd_run *run, pw_time_ms t, rnd_victim_state *st)
{
    memset(st, 0, sizeof *st);
    st->t = t;
    pw_time_ms best = INT64_MIN;
    for (size_t i = 0; i < run->n_fixes; i++) {
        const rnd_fix *x = &run->fixes[i];
        if (x->device == f->victim && x->t <= t && x->t > best) {
            best = x->t;
            st->self = x->at;
            st->has_self = 1;
        }
    }
    const rnd_window *open = NULL;
    for (size_t i = 0; i < f->n_windows; i++)
        if (f->windows[i].open <= t && t < f->windows[i].close)
            open = &f->windows[i];
    if (!open)
        return; /* nothing of him: not even what was shown before */
    st->in_window = 1;
    for (size_t i = 0; i < f->n_reveals; i++) {
        const rnd_reveal *r = &f->reveals[i];
        if (r->t >= open->open && r->t <= t && isfinite(r->at.lat)) {
            st->pin = *r;
            st->has_pin = 1;
        }
    }
}

static void text(cairo_t *cr, const char *s, double size, double x, double y, uint32_t colour)
{
    rgb(cr, colour, 1);
    rnd_text(cr, s, NULL, size, x, y);
}

void rnd_draw_victim(cairo_t *cr, int width, int height, const rnd_basemap *b, const rnd_run *run,
                     const rnd_victim_feed *f, const rnd_victim_state *st)
{
    cairo_save(cr);
    rgb(cr, SCREEN_PAPER, 1);
    cairo_paint(cr);
    double radius = isfinite(run->alarm_radius_m) && run->alarm_radius_m > 0 ? run->alarm_radius_m : 500.0;
    double banner = height * 0.13, foot = height * 0.07;
    rnd_view v;
    rnd_ll c = st->has_self ? st->self : (rnd_ll){37.5665, 126.9780};
    /* Her alarm radius fills most of the map's width. */
    if (rnd_view_init(&v, c.lat, c.lon, width * 0.42 / radius, width, height) != RND_OK) {
        cairo_restore(cr);
        return;
    }
    /* A muted map: district edges and streets in greys, subway in grey. */
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < b->n_districts; i++) {
        for (size_t k = 0; k < b->districts[i].n; k++) {
            double x, y;
            rnd_project(&v, b->districts[i].ring[k].lat, b->districts[i].ring[k].lon, &x, &y);
            k ? cairo_line_to(cr, x, y) : cairo_move_to(cr, x, y);
        }
        rgb(cr, SCREEN_INK, 0.6);
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < b->n_streets; i++) {
        const rnd_street *s = &b->streets[i];
        double fx, fy; /* street pieces are short: one far off is all off */
        rnd_project(&v, s->pts[0].lat, s->pts[0].lon, &fx, &fy);
        if (fx < -width || fy < -height || fx > 2.0 * width || fy > 2.0 * height)
            continue;
        for (size_t k = 0; k < s->n; k++) {
            double x, y;
            rnd_project(&v, s->pts[k].lat, s->pts[k].lon, &x, &y);
            k ? cairo_line_to(cr, x, y) : cairo_move_to(cr, x, y);
        }
        rgb(cr, 0xFFFFFF, 1);
        cairo_set_line_width(cr, 3 - s->rank * 0.5);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < b->n_edges; i++) {
        const rnd_station *p = &b->stations[b->edges[i].a], *q = &b->stations[b->edges[i].b];
        double x0, y0, x1, y1;
        rnd_project(&v, p->at.lat, p->at.lon, &x0, &y0);
        rnd_project(&v, q->at.lat, q->at.lon, &x1, &y1);
        cairo_move_to(cr, x0, y0);
        cairo_line_to(cr, x1, y1);
        rgb(cr, SCREEN_INK, 0.7);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
    }
    /* Her alarm radius and her position. */
    double sx = width / 2.0, sy = height / 2.0;
    cairo_arc(cr, sx, sy, radius * v.px_per_m, 0, 2 * M_PI);
    rgb(cr, SCREEN_SELF, 0.06);
    cairo_fill_preserve(cr);
    rgb(cr, SCREEN_SELF, 0.5);
    cairo_set_line_width(cr, 1.5);
    cairo_set_dash(cr, (const double[]){6, 4}, 2, 0);
    cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    if (st->has_self) {
        cairo_arc(cr, sx, sy, 9, 0, 2 * M_PI);
        rgb(cr, 0xFFFFFF, 1);
        cairo_fill(cr);
        cairo_arc(cr, sx, sy, 6.5, 0, 2 * M_PI);
        rgb(cr, SCREEN_SELF, 1);
        cairo_fill(cr);
    }
    /* Him: only inside her window, only as sent to her. */
    if (st->in_window && st->has_pin) {
        double px, py;
        rnd_project(&v, st->pin.at.lat, st->pin.at.lon, &px, &py);
        if (isfinite(st->pin.acc_m)) {
            cairo_arc(cr, px, py, fmax(st->pin.acc_m * v.px_per_m, 3), 0, 2 * M_PI);
            rgb(cr, RND_COLOUR_OFFENDER, 0.15);
            cairo_fill_preserve(cr);
            rgb(cr, RND_COLOUR_OFFENDER, 0.6);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
        }
        if (isfinite(st->pin.heading_deg)) {
            double a = st->pin.heading_deg * M_PI / 180.0;
            cairo_move_to(cr, px, py);
            cairo_line_to(cr, px + 22 * sin(a), py - 22 * cos(a));
            rgb(cr, RND_COLOUR_OFFENDER, 1);
            cairo_set_line_width(cr, 3);
            cairo_stroke(cr);
        }
        rnd_draw_pin(cr, &v, st->pin.at.lat, st->pin.at.lon, 8, RND_COLOUR_OFFENDER);
    }
    /* The banner: the alert state in Korean and English. */
    cairo_rectangle(cr, 0, 0, width, banner);
    rgb(cr, st->in_window ? RND_COLOUR_OFFENDER : SCREEN_CALM, 1);
    cairo_fill(cr);
    double fs = fmax(9, width / 22.0);
    if (st->in_window) {
        text(cr, "경보: 가해자가 가까이 있습니다", fs, 12, banner * 0.18, 0xFFFFFF);
        char line[96];
        if (st->has_pin && isfinite(st->pin.distance_m))
            snprintf(line, sizeof line, "ALERT: offender %.0f m away", st->pin.distance_m);
        else
            snprintf(line, sizeof line, "ALERT: offender nearby");
        text(cr, line, fs * 0.85, 12, banner * 0.55, 0xFFFFFF);
    } else {
        text(cr, "안전: 경보 없음", fs, 12, banner * 0.18, 0xFFFFFF);
        text(cr, "No alert", fs * 0.85, 12, banner * 0.55, 0xFFFFFF);
    }
    /* The mark: case, time, the disclosure record on screen. */
    cairo_rectangle(cr, 0, height - foot, width, foot);
    rgb(cr, 0xFFFFFF, 0.9);
    cairo_fill(cr);
    char when[40], mark[160];
    pw_format_time(st->t, when, sizeof when);
    if (st->in_window && st->has_pin && st->pin.record > 0)
        snprintf(mark, sizeof mark, "case %d · %s · disclosure events.jsonl:%ld", f->case_id, when, st->pin.record);
    else
        snprintf(mark, sizeof mark, "case %d · %s · no disclosure", f->case_id, when);
    text(cr, mark, fmax(7, width / 40.0), 8, height - foot + foot * 0.25, 0x333333);
    cairo_restore(cr);
}

int rnd_write_victim(const char *path, int width, int height, const rnd_basemap *b, const rnd_run *run,
                     const rnd_victim_feed *f, pw_time_ms t, char *err, size_t n)
{
    rnd_victim_state st;
    rnd_victim_state_at(f, run, t, &st);
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    cairo_t *cr = cairo_create(s);
    rnd_draw_victim(cr, width, height, b, run, f, &st);
    cairo_destroy(cr);
    cairo_status_t cs = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (cs != CAIRO_STATUS_SUCCESS)
        return snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(cs)), RND_EIO;
    return RND_OK;
}
