/*
 * plots.c - the report's plots, drawn with cairo (no plotting library):
 * the latencies' empirical CDFs, alerts over time, the 112 desk over
 * time; and report.pdf, which puts them after the headline figures and
 * the map.
 */
#include "rnd_internal.h"

#include <cairo-pdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint32_t rnd_latency_colour[4] = {0xD7263D, 0x1B6EF3, 0x7B3FB5, 0x2E7D32};
static const char *const latency_label[4] = {"breach → alert", "alert → victim sees pin", "alert → dispatch",
                                             "dispatch → patrol on scene"};


double rnd_nice_ceiling(double v)
{
    if (!(v > 0) || !isfinite(v))
        return 1.0;
    double p = pow(10.0, floor(log10(v)));
    /* 1, 2, 5 x 10^k; a tiny tolerance so that 40 stays below 50, 50 is 50 */
    for (int i = 0; i < 4; i++) {
        static const double m[4] = {1, 2, 5, 10};
        if (m[i] * p >= v * (1 - 1e-12))
            return m[i] * p;
    }
    return 10 * p;
}

/* A frame with a title, an x axis from 0 to xmax in xdiv divisions and a
 * y axis from 0 to ymax (five divisions for a fraction, four for a
 * count); returns the plotting area in *px, *py, *pw, *ph. */
static void axes(cairo_t *cr, double x, double y, double w, double h, const char *title, const char *xlabel,
                 double xmax, int xdiv, double ymax, int y_is_fraction, double *px, double *py, double *pw,
                 double *ph)
{
    *px = x + 46;
    *py = y + 24;
    *pw = w - 46 - 12;
    *ph = h - 24 - 34;
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, title, NULL, 12, x, y);
    cairo_rectangle(cr, *px, *py, *pw, *ph);
    rnd_rgb(cr, 0xFFFFFF, 1);
    cairo_fill_preserve(cr);
    rnd_rgb(cr, 0x888888, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    char t[32];
    for (int i = 0; i <= xdiv; i++) {
        double fx = *px + *pw * i / (double)xdiv;
        rnd_rgb(cr, 0xDDDDDD, 1);
        cairo_move_to(cr, fx, *py);
        cairo_line_to(cr, fx, *py + *ph);
        cairo_stroke(cr);
        snprintf(t, sizeof t, "%g", xmax * i / xdiv);
        rnd_rgb(cr, 0x444444, 1);
        rnd_text(cr, t, NULL, 9, fx - 8, *py + *ph + 3);
    }
    int ydiv = y_is_fraction ? 5 : 4;
    for (int i = 0; i <= ydiv; i++) {
        double fy = *py + *ph - *ph * i / (double)ydiv;
        rnd_rgb(cr, 0xDDDDDD, 1);
        cairo_move_to(cr, *px, fy);
        cairo_line_to(cr, *px + *pw, fy);
        cairo_stroke(cr);
        if (y_is_fraction)
            snprintf(t, sizeof t, "%.1f", ymax * i / ydiv);
        else
            snprintf(t, sizeof t, "%g", ymax * i / ydiv);
        rnd_rgb(cr, 0x444444, 1);
        rnd_text(cr, t, NULL, 9, x + 4, fy - 6);
    }
    rnd_rgb(cr, 0x444444, 1);
    rnd_text(cr, xlabel, NULL, 10, *px + *pw / 2 - 40, *py + *ph + 16);
}

static void empty(cairo_t *cr, double px, double py, double pw, double ph, const char *what)
{
    rnd_rgb(cr, 0x888888, 1);
    rnd_text(cr, what, NULL, 11, px + pw / 2 - 60, py + ph / 2 - 8);
}

void rnd_plot_cdf(cairo_t *cr, double x, double y, double w, double h, const rnd_run *run)
{
    double top = 0;
    size_t total = 0;
    for (int k = 0; k < 4; k++)
        if (run->n_latency[k]) {
            top = fmax(top, run->latency[k][run->n_latency[k] - 1]);
            total += run->n_latency[k];
        }
    double xmax = rnd_nice_ceiling(top), px, py, pw, ph;
    cairo_save(cr);
    axes(cr, x, y, w, h, "Latencies: share of all cases handled within x seconds (CDF)", "seconds", xmax, 5, 1.0,
         1, &px, &py, &pw, &ph);
    if (!total) {
        empty(cr, px, py, pw, ph, "no latency measured");
        cairo_restore(cr);
        return;
    }
    /* Each curve's denominator is every case that should have had the
     * latency: true breaches (a missed one never gets an alert), alarms,
     * incidents, patrols sent.  A curve that stays below 1 tells how many
     * never did.  Without report.json's figures, the measured ones. */
    const double of[4] = {run->figures.breaches, run->figures.episodes, run->figures.incidents,
                          (double)run->n_latency[2]};
    double denom[4];
    for (int k = 0; k < 4; k++) {
        size_t n = run->n_latency[k];
        denom[k] = isfinite(of[k]) && of[k] >= (double)n && of[k] > 0 ? of[k] : (double)n;
        if (!n)
            continue;
        /* F(v) = #{x <= v} / denominator: a step up at each value. */
        cairo_move_to(cr, px, py + ph);
        for (size_t i = 0; i < n; i++) {
            double vx = px + pw * run->latency[k][i] / xmax;
            cairo_line_to(cr, vx, py + ph - ph * (double)i / denom[k]);
            cairo_line_to(cr, vx, py + ph - ph * (double)(i + 1) / denom[k]);
        }
        cairo_line_to(cr, px + pw, py + ph - ph * (double)n / denom[k]);
        rnd_rgb(cr, rnd_latency_colour[k], 1);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
    }
    /* legend, bottom right inside the frame */
    for (int k = 0, row = 0; k < 4; k++) {
        if (!run->n_latency[k])
            continue;
        double ly = py + ph - 14 - 14 * (3 - row++);
        char t[96];
        snprintf(t, sizeof t, "%s (%zu of %.0f)", latency_label[k], run->n_latency[k], denom[k]);
        cairo_rectangle(cr, px + pw - 190, ly + 3, 12, 4);
        rnd_rgb(cr, rnd_latency_colour[k], 1);
        cairo_fill(cr);
        rnd_rgb(cr, 0x222222, 1);
        rnd_text(cr, t, NULL, 9, px + pw - 174, ly - 3);
    }
    cairo_restore(cr);
}

/* The hours axis: 4 ticks of a round step (0.25 h to 48 h) covering the
 * run, so that 2 h reads 0 .. 2 and 24 h reads 0, 6, .. 24. */
static double hours_axis(const rnd_run *run)
{
    double hours = (double)(run->end - run->start) / 3600000.0;
    static const double steps[] = {0.25, 0.5, 1, 1.5, 2, 3, 4, 6, 12, 24, 48};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (4 * steps[i] >= hours)
            return 4 * steps[i];
    return rnd_nice_ceiling(hours);
}

/* A count axis: whole numbers, 4 ticks (0..4 at least). */
static double count_axis(double most)
{
    double m = most > 4 ? most : 4;
    return ceil(m / 4.0) * 4.0;
}

typedef struct change {
    pw_time_ms t;
    int d;                       /* +1 up, -1 down */
} change;

static int cmp_change(const void *a, const void *b)
{
    const change *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t ? 1 : x->d - y->d; /* a close before an opening at the same ms */
}

/*
 * The count of intervals [up[i], down[i]) over time (down NULL: never
 * ending), stepped exactly at each change, from the run's start to its
 * end.  Returns the largest count (for the caller's axis, when ymax <= 0
 * nothing is drawn).
 */
static long step_count(cairo_t *cr, double px, double py, double pw, double ph, const rnd_run *run,
                       const pw_time_ms *up, const pw_time_ms *down, size_t n, double ymax, double xmax,
                       uint32_t colour)
{
    change *c = malloc((2 * n + 1) * sizeof *c);
    if (!c)
        return 0;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (down && down[i] <= up[i])
            continue; /* an empty interval (no wait at the desk) counts nowhere */
        c[m++] = (change){up[i], +1};
        if (down && down[i] != INT64_MAX)
            c[m++] = (change){down[i], -1};
    }
    qsort(c, m, sizeof *c, cmp_change);
    long count = 0, most = 0;
    if (ymax > 0)
        cairo_move_to(cr, px, py + ph);
    for (size_t i = 0; i < m; i++) {
        count += c[i].d;
        most = count > most ? count : most;
        if (ymax <= 0 || c[i].t > run->end)
            continue;
        pw_time_ms t = c[i].t < run->start ? run->start : c[i].t;
        double vx = px + pw * ((double)(t - run->start) / 3600000.0) / xmax;
        double cur_y;
        cairo_get_current_point(cr, NULL, &cur_y);
        cairo_line_to(cr, vx, cur_y);
        cairo_line_to(cr, vx, py + ph - ph * (double)count / ymax);
    }
    if (ymax > 0) {
        double cur_y;
        cairo_get_current_point(cr, NULL, &cur_y);
        cairo_line_to(cr, px + pw * ((double)(run->end - run->start) / 3600000.0) / xmax, cur_y);
        rnd_rgb(cr, colour, 1);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
    }
    free(c);
    return most;
}

void rnd_plot_alerts(cairo_t *cr, double x, double y, double w, double h, const rnd_run *run)
{
    size_t n = run->n_alerts;
    pw_time_ms *t_true = calloc(n ? n : 1, sizeof *t_true), *t_false = calloc(n ? n : 1, sizeof *t_false);
    if (!t_true || !t_false) {
        free(t_true), free(t_false);
        return;
    }
    size_t nt = 0, nf = 0;
    for (size_t i = 0; i < n; i++) {
        if (run->alerts[i].is_true)
            t_true[nt++] = run->alerts[i].start;
        else
            t_false[nf++] = run->alerts[i].start;
    }
    double ymax = count_axis((double)(nt > nf ? nt : nf)), xmax = hours_axis(run), px, py, pw, ph;
    cairo_save(cr);
    axes(cr, x, y, w, h, "Alert episodes opened so far: true (red), false (orange)", "hours from the start", xmax,
         4, ymax, 0, &px, &py, &pw, &ph);
    if (!n)
        empty(cr, px, py, pw, ph, "no alert opened");
    else {
        step_count(cr, px, py, pw, ph, run, t_true, NULL, nt, ymax, xmax, RND_COLOUR_OFFENDER);
        step_count(cr, px, py, pw, ph, run, t_false, NULL, nf, ymax, xmax, RND_COLOUR_FALSE_ALERT);
    }
    cairo_restore(cr);
    free(t_true);
    free(t_false);
}

void rnd_plot_incidents(cairo_t *cr, double x, double y, double w, double h, const rnd_run *run)
{
    size_t n = run->n_incidents, nn = n ? n : 1;
    pw_time_ms *open = calloc(nn, sizeof *open), *queued = calloc(nn, sizeof *queued),
               *closed = calloc(nn, sizeof *closed);
    if (!open || !queued || !closed) {
        free(open), free(queued), free(closed);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        open[i] = run->incidents[i].open;
        queued[i] = run->incidents[i].queue_end;
        closed[i] = run->incidents[i].close;
    }
    /* the most open at once: a dry pass of the same stepping */
    long peak = step_count(cr, 0, 0, 0, 0, run, open, closed, n, 0, 1, 0);
    double ymax = count_axis((double)peak), xmax = hours_axis(run), px, py, pw, ph;
    cairo_save(cr);
    axes(cr, x, y, w, h, "112 desk: incidents open (purple), waiting for a dispatcher (grey)",
         "hours from the start", xmax, 4, ymax, 0, &px, &py, &pw, &ph);
    if (!n)
        empty(cr, px, py, pw, ph, "no incident");
    else {
        step_count(cr, px, py, pw, ph, run, open, closed, n, ymax, xmax, 0x7B3FB5);
        step_count(cr, px, py, pw, ph, run, open, queued, n, ymax, xmax, 0x777777);
    }
    cairo_restore(cr);
    free(open), free(queued), free(closed);
}

/* ---- report.pdf ---------------------------------------------------------- */

static void row(cairo_t *cr, double x, double *y, const char *name, const char *value)
{
    rnd_rgb(cr, 0x444444, 1);
    rnd_text(cr, name, NULL, 10, x, *y);
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, value, NULL, 10, x + 250, *y);
    *y += 15;
}

static void fmt(char *buf, size_t n, const char *f, double v)
{
    if (isfinite(v))
        snprintf(buf, n, f, v);
    else
        snprintf(buf, n, "—");
}

int rnd_write_report(const char *path, const rnd_basemap *b, const rnd_run *run, char *err, size_t n)
{
    const double W = 595, H = 842; /* A4 in points */
    cairo_surface_t *s = cairo_pdf_surface_create(path, W, H);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return RND_EIO;
    }
    rnd_pdf_dates(s, run->start);
    cairo_t *cr = cairo_create(s);
    /* Page 1: the headline and the map. */
    char title[200], v[64], v2[64];
    if (run->seed)
        snprintf(title, sizeof title, "%s — seed %llu", run->scenario, (unsigned long long)run->seed);
    else
        snprintf(title, sizeof title, "%s", run->scenario);
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, title, NULL, 18, 40, 36);
    char when[40];
    pw_format_time(run->start, when, sizeof when);
    char sub[512];
    snprintf(sub, sizeof sub, "proxwatch pilot report · start %s · %.0f s simulated", when, run->figures.sim_seconds);
    rnd_rgb(cr, 0x666666, 1);
    rnd_text(cr, sub, NULL, 10, 40, 62);
    double y = 90;
    const rnd_run *r = run;
    fmt(v, sizeof v, "%.0f", r->figures.breaches);
    fmt(v2, sizeof v2, "%.0f", r->figures.detected);
    char line[256];
    snprintf(line, sizeof line, "%s (%s detected, ", v, v2);
    fmt(v, sizeof v, "%.0f missed)", r->figures.missed);
    strncat(line, v, sizeof line - strlen(line) - 1);
    row(cr, 40, &y, "true breaches", line);
    fmt(v, sizeof v, "%.0f", r->figures.episodes);
    fmt(v2, sizeof v2, "%.0f", r->figures.false_alerts);
    snprintf(line, sizeof line, "%s (%s false; ", v, v2);
    fmt(v, sizeof v, "%.2f per offender-day)", r->figures.false_per_day);
    strncat(line, v, sizeof line - strlen(line) - 1);
    row(cr, 40, &y, "alert episodes", line);
    for (int k = 0; k < 4; k++) {
        fmt(v, sizeof v, "%.1f s", r->figures.p50[k]);
        fmt(v2, sizeof v2, "%.1f s", r->figures.p95[k]);
        snprintf(line, sizeof line, "median %s, p95 %s", v, v2);
        row(cr, 40, &y, latency_label[k], line);
    }
    fmt(v, sizeof v, "%.0f s", r->figures.exposure_s);
    row(cr, 40, &y, "victim exposure with no true breach", v);
    fmt(v, sizeof v, "%.0f", r->figures.unauthorized);
    row(cr, 40, &y, "unauthorized disclosures", v);
    fmt(v, sizeof v, "%.0f", r->figures.incidents);
    fmt(v2, sizeof v2, "%.2f per dispatcher-hour", r->figures.per_dispatcher_hour);
    snprintf(line, sizeof line, "%s (%s, ", v, v2);
    fmt(v, sizeof v, "peak %.0f at once)", r->figures.peak);
    strncat(line, v, sizeof line - strlen(line) - 1);
    row(cr, 40, &y, "112 incidents", line);
    fmt(v, sizeof v, "%.1f patrol-minutes", r->figures.patrol_min_false);
    row(cr, 40, &y, "patrols on false alerts", v);
    /* the map, below, in a 515 x 500 pt box */
    rnd_map_options mo;
    rnd_map_options_default(&mo);
    mo.width = 515;
    mo.height = 500;
    rnd_view view;
    if (rnd_map_view(&view, run, &mo) == RND_OK) {
        cairo_save(cr);
        cairo_translate(cr, 40, y + 14);
        cairo_rectangle(cr, 0, 0, 515, 500);
        cairo_clip(cr);
        rnd_draw_map(cr, &view, b, run);
        cairo_restore(cr);
    }
    cairo_show_page(cr);
    /* Page 2: the plots. */
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, title, NULL, 14, 40, 30);
    rnd_plot_cdf(cr, 40, 60, 515, 240, run);
    rnd_plot_alerts(cr, 40, 320, 515, 220, run);
    rnd_plot_incidents(cr, 40, 560, 515, 220, run);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        remove(path); /* nothing half-written is left */
        return snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(st)), RND_EIO;
    }
    return RND_OK;
}
