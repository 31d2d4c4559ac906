/*
 * sweepplot.c - a sweep's pictures (sweep.pdf): each key figure against
 * the swept parameter with its 95 % interval, and the trade-off a planner
 * picks from: false alerts per offender-day against missed breaches, one
 * point per combination.  Read from sweep.json with jansson.
 */
#include "rnd_internal.h"

#include <cairo-pdf.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>


/* The figures drawn against the parameter, with their titles. */
static const struct {
    const char *key, *title;
} shown[] = {
    {"false_per_offender_day", "false alerts per offender-day"},
    {"breaches_missed", "true breaches missed"},
    {"breach_to_alert_p50", "breach -> alert, median (s)"},
    {"exposure_outside_breach_s", "victim exposure with no breach (s)"},
    {"alert_to_dispatch_p50", "alert -> dispatch, median (s)"},
    {"per_dispatcher_hour", "incidents per dispatcher-hour"},
};

/* A figure of combination i: mean and interval; 0 when absent, 1 with an
 * interval, 2 without one (one seed: lo = hi = mean, nothing to draw). */
static int figure(json_t *combo, const char *key, double *mean, double *lo, double *hi)
{
    json_t *f = json_object_get(json_object_get(combo, "figures"), key);
    json_t *ci = json_object_get(f, "ci95");
    if (!json_is_number(json_object_get(f, "mean")))
        return 0;
    *mean = json_number_value(json_object_get(f, "mean"));
    int has = json_is_number(json_array_get(ci, 0)) && json_is_number(json_array_get(ci, 1));
    *lo = has ? json_number_value(json_array_get(ci, 0)) : *mean;
    *hi = has ? json_number_value(json_array_get(ci, 1)) : *mean;
    return has ? 1 : 2;
}

/* The combination's other parameters (all but the first) as a label:
 * points with the same label form one series. */
static void series_label(json_t *combo, char *buf, size_t n)
{
    buf[0] = '\0';
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(json_object_get(combo, "parameters"), k, v)
    {
        if (first) {
            first = 0;
            continue;
        }
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s=%g", len ? " " : "", k, json_number_value(v));
    }
}

static const uint32_t series_colour[6] = {0x1B6EF3, 0xD97706, 0x2E7D32, 0x7B3FB5, 0x0F766E, 0x6B7280};

/* The first parameter's name and value of a combination. */
static const char *first_param(json_t *combo, double *value)
{
    json_t *p = json_object_get(combo, "parameters");
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
    {
        *value = json_number_value(v);
        return k;
    }
    *value = NAN;
    return "";
}

/* One panel: figure against the first parameter, mean with its interval. */
static void panel_vs(cairo_t *cr, double x, double y, double w, double h, json_t *combos, const char *key,
                     const char *title, const char *param)
{
    size_t n = json_array_size(combos);
    double xmin = INFINITY, xmax = -INFINITY, ymax = 0;
    for (size_t i = 0; i < n; i++) {
        double pv, m, lo, hi;
        first_param(json_array_get(combos, i), &pv);
        if (!figure(json_array_get(combos, i), key, &m, &lo, &hi) || !isfinite(pv))
            continue;
        xmin = fmin(xmin, pv);
        xmax = fmax(xmax, pv);
        ymax = fmax(ymax, fmax(hi, m));
    }
    double top = rnd_nice_ceiling(ymax);
    double px = x + 44, py = y + 22, pw = w - 56, ph = h - 22 - 30;
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, title, NULL, 11, x, y);
    cairo_rectangle(cr, px, py, pw, ph);
    rnd_rgb(cr, 0x888888, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    char t[48];
    for (int i = 0; i <= 4; i++) {
        double fy = py + ph - ph * i / 4.0;
        snprintf(t, sizeof t, "%g", top * i / 4.0);
        rnd_rgb(cr, 0x444444, 1);
        rnd_text(cr, t, NULL, 8, x + 2, fy - 5);
    }
    if (!(xmax >= xmin)) {
        rnd_rgb(cr, 0x888888, 1);
        rnd_text(cr, "no values", NULL, 10, px + pw / 2 - 25, py + ph / 2 - 6);
        return;
    }
    double span = xmax > xmin ? xmax - xmin : 1.0;
    /* One series per setting of the other parameters, each joined in
     * order of the first parameter; a point per combination. */
    char labels[6][96];
    size_t n_series = 0;
    for (size_t i = 0; i < n; i++) {
        char lab[96];
        series_label(json_array_get(combos, i), lab, sizeof lab);
        size_t k = 0;
        while (k < n_series && strcmp(labels[k], lab) != 0)
            k++;
        if (k == n_series && n_series < 6)
            snprintf(labels[n_series++], sizeof labels[0], "%s", lab);
    }
    for (size_t sidx = 0; sidx < n_series; sidx++) {
        uint32_t colour = series_colour[sidx];
        double last_px = -INFINITY, prev_x = NAN, prev_y = NAN;
        for (;;) { /* the next point of this series to the right */
            double best = INFINITY, m = 0, lo = 0, hi = 0;
            int kind = 0;
            for (size_t i = 0; i < n; i++) {
                double pv, mm, ll, hh;
                char lab[96];
                json_t *c = json_array_get(combos, i);
                series_label(c, lab, sizeof lab);
                int f = figure(c, key, &mm, &ll, &hh);
                first_param(c, &pv);
                if (!f || !isfinite(pv) || strcmp(lab, labels[sidx]) != 0 || !(pv > last_px) || pv >= best)
                    continue;
                best = pv, m = mm, lo = ll, hi = hh, kind = f;
            }
            if (!isfinite(best))
                break;
            last_px = best;
            double cx = px + 10 + (pw - 20) * (best - xmin) / span;
            double cy = py + ph - ph * m / top;
            rnd_rgb(cr, colour, 1);
            cairo_set_line_width(cr, 1.5);
            if (kind == 1) { /* the interval, a lower end below 0 drawn at 0 with an open end */
                double ylo = py + ph - ph * fmax(lo, 0) / top, yhi = py + ph - ph * fmin(hi, top) / top;
                cairo_move_to(cr, cx, ylo);
                cairo_line_to(cr, cx, yhi);
                cairo_move_to(cr, cx - 4, yhi);
                cairo_line_to(cr, cx + 4, yhi);
                if (lo >= 0) {
                    cairo_move_to(cr, cx - 4, ylo);
                    cairo_line_to(cr, cx + 4, ylo);
                }
                cairo_stroke(cr);
            }
            if (isfinite(prev_x)) {
                cairo_move_to(cr, prev_x, prev_y);
                cairo_line_to(cr, cx, cy);
                rnd_rgb(cr, colour, 0.5);
                cairo_stroke(cr);
            }
            cairo_arc(cr, cx, cy, 3.5, 0, 2 * M_PI);
            rnd_rgb(cr, colour, 1);
            cairo_fill(cr);
            snprintf(t, sizeof t, "%g", best);
            rnd_rgb(cr, 0x444444, 1);
            rnd_text(cr, t, NULL, 8, cx - 8, py + ph + 3);
            prev_x = cx;
            prev_y = cy;
        }
        if (labels[sidx][0]) { /* name the series inside the frame */
            rnd_rgb(cr, colour, 1);
            rnd_text(cr, labels[sidx], NULL, 8, px + 4, py + 3 + 11 * (double)sidx);
        }
    }
    rnd_rgb(cr, 0x444444, 1);
    rnd_text(cr, param, NULL, 9, px + pw / 2 - 20, py + ph + 15);
}

/* The trade-off: false alerts per offender-day (x) against missed breaches
 * (y), a point a combination, labelled with its parameters. */
static void tradeoff(cairo_t *cr, double x, double y, double w, double h, json_t *combos)
{
    size_t n = json_array_size(combos);
    double xmax = 0, ymax = 0;
    for (size_t i = 0; i < n; i++) {
        double m, lo, hi;
        if (figure(json_array_get(combos, i), "false_per_offender_day", &m, &lo, &hi))
            xmax = fmax(xmax, m);
        if (figure(json_array_get(combos, i), "breaches_missed", &m, &lo, &hi))
            ymax = fmax(ymax, m);
    }
    double tx = rnd_nice_ceiling(xmax * 1.1), ty = rnd_nice_ceiling(ymax * 1.1); /* room for labels at the top */
    double px = x + 44, py = y + 22, pw = w - 60, ph = h - 22 - 34;
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, "The trade-off: false alerts per offender-day against missed breaches (means)", NULL, 11, x, y);
    cairo_rectangle(cr, px, py, pw, ph);
    rnd_rgb(cr, 0x888888, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    char t[160];
    for (int i = 0; i <= 4; i++) {
        rnd_rgb(cr, 0x444444, 1);
        snprintf(t, sizeof t, "%g", tx * i / 4.0);
        rnd_text(cr, t, NULL, 8, px + pw * i / 4.0 - 6, py + ph + 3);
        snprintf(t, sizeof t, "%g", ty * i / 4.0);
        rnd_text(cr, t, NULL, 8, x + 2, py + ph - ph * i / 4.0 - 5);
    }
    rnd_text(cr, "false alerts per offender-day", NULL, 9, px + pw / 2 - 60, py + ph + 15);
    rnd_rgb(cr, 0x444444, 1);
    rnd_text(cr, "missed", NULL, 9, x + 2, py - 14);
    double placed[64][2];
    size_t n_placed = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_array_get(combos, i);
        double fx, fy, lo, hi;
        if (!figure(c, "false_per_offender_day", &fx, &lo, &hi) || !figure(c, "breaches_missed", &fy, &lo, &hi))
            continue;
        double cx = px + pw * fx / tx, cy = py + ph - ph * fy / ty;
        /* points on the same spot: their labels stack below one another */
        int below = 0;
        for (size_t k = 0; k < n_placed; k++)
            below += fabs(placed[k][0] - cx) < 8 && fabs(placed[k][1] - cy) < 8;
        if (n_placed < 64) {
            placed[n_placed][0] = cx;
            placed[n_placed++][1] = cy;
        }
        cairo_arc(cr, cx, cy, 4.5, 0, 2 * M_PI);
        rnd_rgb(cr, RND_COLOUR_OFFENDER, 1);
        cairo_fill(cr);
        /* its parameters as a label */
        t[0] = '\0';
        const char *k;
        json_t *v;
        json_object_foreach(json_object_get(c, "parameters"), k, v)
        {
            char one[64];
            snprintf(one, sizeof one, "%s%s=%g", t[0] ? " " : "", k, json_number_value(v));
            strncat(t, one, sizeof t - strlen(t) - 1);
        }
        rnd_rgb(cr, 0x222222, 1);
        rnd_text(cr, t, NULL, 8, cx + 6, cy - 12 + 11.0 * below);
    }
}

int rnd_write_sweep(const char *path, const char *dir, char *err, size_t n)
{
    char jp[1024];
    snprintf(jp, sizeof jp, "%s/sweep.json", dir);
    json_error_t je;
    json_t *combos = json_load_file(jp, 0, &je);
    if (!combos || !json_is_array(combos)) {
        if (combos)
            json_decref(combos);
        if (je.line > 0 && !combos)
            return snprintf(err, n, "%s:%d: %s", jp, je.line, je.text), RND_EINVAL;
        return snprintf(err, n, "%s: %s", jp, combos ? "not an array of combinations" : je.text), RND_EINVAL;
    }
    const double W = 595, H = 842;
    cairo_surface_t *s = cairo_pdf_surface_create(path, W, H);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        json_decref(combos);
        return RND_EIO;
    }
    rnd_pdf_dates(s, 0);
    cairo_t *cr = cairo_create(s);
    double pv;
    const char *param = json_array_size(combos) ? first_param(json_array_get(combos, 0), &pv) : "";
    char title[200];
    snprintf(title, sizeof title, "Sweep of %s: %zu combinations (mean, and 95 %% interval with 2+ seeds)",
             param[0] ? param : "(no parameter)", json_array_size(combos));
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, title, NULL, 13, 40, 30);
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        panel_vs(cr, 40 + (double)(i % 2) * 265, 60 + (double)(i / 2) * 250, 250, 230, combos, shown[i].key,
                 shown[i].title, param);
    cairo_show_page(cr);
    tradeoff(cr, 40, 40, 515, 420, combos);
    cairo_show_page(cr);
    cairo_destroy(cr);
    cairo_surface_finish(s);
    cairo_status_t st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    json_decref(combos);
    if (st != CAIRO_STATUS_SUCCESS) {
        remove(path); /* nothing half-written is left */
        return snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(st)), RND_EIO;
    }
    return RND_OK;
}
