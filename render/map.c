/*
 * map.c - the map of a run: Seoul's districts, streets and subway, the
 * run's zones, true tracks, fixes and alert episodes, with a scale bar, a
 * north arrow, a legend, a title and the attribution of every source drawn.
 */
#include "rnd_internal.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <math.h>
#include <pango/pangocairo.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HANGUL_SANS "NanumGothic, Noto Sans CJK KR, Noto Sans KR, sans"


int rnd_text(cairo_t *cr, const char *utf8, const char *family, double size, double x, double y)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(family ? family : HANGUL_SANS);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_text(layout, utf8, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
    int unknown = pango_layout_get_unknown_glyphs_count(layout);
    cairo_new_path(cr); /* no current point left for the next arc to join */
    pango_font_description_free(fd);
    g_object_unref(layout);
    return unknown;
}

double rnd_text_wrapped(cairo_t *cr, const char *utf8, double size, double x, double y, double width, int *unknown)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(HANGUL_SANS);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_width(layout, (int)(width * PANGO_SCALE));
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR);
    pango_layout_set_text(layout, utf8, -1);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, layout);
    if (unknown)
        *unknown += pango_layout_get_unknown_glyphs_count(layout);
    int pw, ph;
    pango_layout_get_pixel_size(layout, &pw, &ph);
    cairo_new_path(cr);
    pango_font_description_free(fd);
    g_object_unref(layout);
    return ph;
}

/* The size of a text as rnd_text would draw it. */
static void text_size(cairo_t *cr, const char *utf8, double size, double *w, double *h)
{
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(HANGUL_SANS);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_text(layout, utf8, -1);
    int pw, ph;
    pango_layout_get_pixel_size(layout, &pw, &ph);
    *w = pw;
    *h = ph;
    pango_font_description_free(fd);
    g_object_unref(layout);
}

/* Text centred on (x, y) with a light halo, as map labels are. */
static int label(cairo_t *cr, const char *utf8, double size, double x, double y, uint32_t colour)
{
    double w, h;
    text_size(cr, utf8, size, &w, &h);
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(HANGUL_SANS);
    pango_font_description_set_absolute_size(fd, size * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_text(layout, utf8, -1);
    cairo_move_to(cr, x - w / 2, y - h / 2);
    pango_cairo_layout_path(cr, layout);
    rnd_rgb(cr, 0xFFFFFF, 0.85);
    cairo_set_line_width(cr, 3);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_stroke(cr);
    cairo_move_to(cr, x - w / 2, y - h / 2);
    rnd_rgb(cr, colour, 1);
    pango_cairo_show_layout(cr, layout);
    cairo_new_path(cr);
    int unknown = pango_layout_get_unknown_glyphs_count(layout);
    pango_font_description_free(fd);
    g_object_unref(layout);
    return unknown;
}

static int in_view(const rnd_view *v, double x, double y, double pad)
{
    return x >= -pad && y >= -pad && x <= v->width + pad && y <= v->height + pad;
}

static void path(cairo_t *cr, const rnd_view *v, const rnd_ll *p, size_t n, int close)
{
    for (size_t i = 0; i < n; i++) {
        double x, y;
        rnd_project(v, p[i].lat, p[i].lon, &x, &y);
        if (i == 0)
            cairo_move_to(cr, x, y);
        else
            cairo_line_to(cr, x, y);
    }
    if (close)
        cairo_close_path(cr);
}

static uint32_t role_colour(rnd_role r)
{
    return r == RND_OFFENDER ? RND_COLOUR_OFFENDER : r == RND_VICTIM ? RND_COLOUR_VICTIM
         : r == RND_PATROL   ? RND_COLOUR_PATROL
                             : 0x555555;
}

void rnd_draw_pin(cairo_t *cr, const rnd_view *v, double lat, double lon, double r, uint32_t colour)
{
    double x, y;
    rnd_project(v, lat, lon, &x, &y);
    cairo_new_path(cr);
    cairo_arc(cr, x, y, r + 1.5, 0, 2 * M_PI);
    rnd_rgb(cr, 0xFFFFFF, 1);
    cairo_fill(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    rnd_rgb(cr, colour, 1);
    cairo_fill(cr);
}

void rnd_pdf_dates(cairo_surface_t *s, pw_time_ms t)
{
    char iso[40];
    pw_format_time(t > 0 ? t : 946684800000LL, iso, sizeof iso); /* 2000-01-01T00:00:00.000Z */
    iso[19] = '\0';                                              /* YYYY-MM-DDTHH:MM:SS */
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, iso);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, iso);
}

/* ---- layers --------------------------------------------------------------- */

void rnd_draw_plain_basemap(cairo_t *cr, const rnd_view *v, const rnd_basemap *b, const rnd_plain_style *st)
{
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    for (size_t i = 0; i < b->n_districts; i++) {
        path(cr, v, b->districts[i].ring, b->districts[i].n, 0);
        rnd_rgb(cr, st->district, st->district_alpha);
        cairo_set_line_width(cr, 1);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < b->n_streets; i++) {
        const rnd_street *s = &b->streets[i];
        double fx, fy; /* street pieces are short: one far off is all off */
        rnd_project(v, s->pts[0].lat, s->pts[0].lon, &fx, &fy);
        if (fx < -v->width || fy < -v->height || fx > 2.0 * v->width || fy > 2.0 * v->height)
            continue;
        path(cr, v, s->pts, s->n, 0);
        rnd_rgb(cr, st->street, 1);
        cairo_set_line_width(cr, st->street_width > 0 ? st->street_width : 3 - s->rank * 0.5);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < b->n_edges; i++) {
        const rnd_station *p = &b->stations[b->edges[i].a], *q = &b->stations[b->edges[i].b];
        double x0, y0, x1, y1;
        rnd_project(v, p->at.lat, p->at.lon, &x0, &y0);
        rnd_project(v, q->at.lat, q->at.lon, &x1, &y1);
        cairo_move_to(cr, x0, y0);
        cairo_line_to(cr, x1, y1);
        rnd_rgb(cr, st->subway_own_colours ? rnd_line_colour(p->line) : st->subway, st->subway_alpha);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
    }
}

/* The basemap; *streets and *subway say whether any of those was in view
 * (for the attribution); returns the label characters no font drew. */
static int draw_basemap(cairo_t *cr, const rnd_view *v, const rnd_basemap *b, int *districts_drawn,
                        int *streets_drawn, int *subway)
{
    int unknown = 0;
    rnd_rgb(cr, 0xF4F1EA, 1);
    cairo_paint(cr);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    *districts_drawn = 0;
    for (size_t i = 0; i < b->n_districts; i++) {
        path(cr, v, b->districts[i].ring, b->districts[i].n, 1);
        double x0, y0, x1, y1; /* in view when its outline's box meets the view */
        cairo_path_extents(cr, &x0, &y0, &x1, &y1);
        *districts_drawn |= !(x1 < 0 || y1 < 0 || x0 > v->width || y0 > v->height);
        rnd_rgb(cr, 0xE9E4D8, 1);
        cairo_fill_preserve(cr);
        rnd_rgb(cr, 0xB5AC9A, 1);
        cairo_set_line_width(cr, 1.2);
        cairo_stroke(cr);
    }
    /* Streets: only the parts in view count as drawn (for the attribution). */
    static const double width[4] = {4.0, 3.2, 2.4, 1.6};
    *streets_drawn = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int rank = 3; rank >= 0; rank--)
            for (size_t i = 0; i < b->n_streets; i++) {
                const rnd_street *s = &b->streets[i];
                if (s->rank != rank)
                    continue;
                double x, y;
                rnd_project(v, s->pts[0].lat, s->pts[0].lon, &x, &y);
                if (!in_view(v, x, y, 50))
                    continue;
                *streets_drawn = 1;
                path(cr, v, s->pts, s->n, 0);
                double w = width[rank] * fmin(1.0, fmax(0.35, v->px_per_m * 4));
                rnd_rgb(cr, pass ? 0xFFFFFF : 0xCFC6B4, 1);
                cairo_set_line_width(cr, pass ? w : w + 1.5);
                cairo_stroke(cr);
            }
    int labels = v->px_per_m > 0.02;
    for (size_t i = 0; labels && i < b->n_districts; i++) {
        double x, y;
        rnd_project(v, b->districts[i].label.lat, b->districts[i].label.lon, &x, &y);
        if (in_view(v, x, y, -20))
            unknown += label(cr, b->districts[i].name, 13, x, y, 0x8A8170);
    }
    /* Subway lines, then stations, then their names when they fit. */
    *subway = 0;
    for (size_t i = 0; i < b->n_edges; i++) {
        const rnd_station *a = &b->stations[b->edges[i].a], *c = &b->stations[b->edges[i].b];
        double x0, y0, x1, y1;
        rnd_project(v, a->at.lat, a->at.lon, &x0, &y0);
        rnd_project(v, c->at.lat, c->at.lon, &x1, &y1);
        /* a piece crossing the view counts as drawn, its stations or not */
        *subway |= !(fmax(x0, x1) < 0 || fmin(x0, x1) > v->width || fmax(y0, y1) < 0 || fmin(y0, y1) > v->height);
        cairo_move_to(cr, x0, y0);
        cairo_line_to(cr, x1, y1);
        rnd_rgb(cr, rnd_line_colour(a->line), 0.85);
        cairo_set_line_width(cr, 3);
        cairo_stroke(cr);
    }
    for (size_t i = 0; i < b->n_stations; i++) {
        double x, y;
        rnd_project(v, b->stations[i].at.lat, b->stations[i].at.lon, &x, &y);
        if (!in_view(v, x, y, 5))
            continue;
        *subway = 1;
        cairo_arc(cr, x, y, 3, 0, 2 * M_PI);
        rnd_rgb(cr, 0xFFFFFF, 1);
        cairo_fill_preserve(cr);
        rnd_rgb(cr, rnd_line_colour(b->stations[i].line), 1);
        cairo_set_line_width(cr, 1.5);
        cairo_stroke(cr);
        /* An interchange is one name: the table lists it once a line. */
        int named_before = 0;
        for (size_t k = 0; k < i && !named_before; k++)
            named_before = !strcmp(b->stations[k].name, b->stations[i].name) &&
                           fabs(b->stations[k].at.lat - b->stations[i].at.lat) < 0.003 &&
                           fabs(b->stations[k].at.lon - b->stations[i].at.lon) < 0.004;
        if (v->px_per_m >= 0.08 && !named_before)
            unknown += label(cr, b->stations[i].name, 10, x, y - 10, 0x333333);
    }
    return unknown;
}

static void draw_run(cairo_t *cr, const rnd_view *v, const rnd_run *run)
{
    for (size_t i = 0; i < run->n_areas; i++) {
        const rnd_area *z = &run->areas[i];
        path(cr, v, z->ring, z->n, 1);
        uint32_t c = z->exclusion ? RND_COLOUR_OFFENDER : !strcmp(z->env, "tunnel") ? 0x404040 : 0x5A6E8C;
        rnd_rgb(cr, c, z->exclusion ? 0.14 : 0.18);
        cairo_fill_preserve(cr);
        rnd_rgb(cr, c, 0.8);
        cairo_set_line_width(cr, 1.5);
        if (!z->exclusion)
            cairo_set_dash(cr, (const double[]){6, 4}, 2, 0);
        cairo_stroke(cr);
        cairo_set_dash(cr, NULL, 0, 0);
    }
    for (size_t i = 0; i < run->n_safe; i++) {
        double x, y;
        rnd_project(v, run->safe[i].at.lat, run->safe[i].at.lon, &x, &y);
        cairo_rectangle(cr, x - 5, y - 5, 10, 10);
        rnd_rgb(cr, RND_COLOUR_SAFE, 1);
        cairo_fill(cr);
    }
    /* Patrols under the victim under the offender. */
    static const rnd_role order[4] = {RND_OTHER, RND_PATROL, RND_VICTIM, RND_OFFENDER};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < run->n_tracks; i++) {
            const rnd_track *t = &run->tracks[i];
            if (t->role != order[k])
                continue;
            path(cr, v, t->pts, t->n, 0);
            rnd_rgb(cr, role_colour(t->role), t->role == RND_PATROL ? 0.7 : 0.9);
            cairo_set_line_width(cr, t->role == RND_PATROL ? 2 : 3);
            if (t->role == RND_PATROL)
                cairo_set_dash(cr, (const double[]){5, 3}, 2, 0);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
    for (size_t i = 0; i < run->n_fixes; i++) {
        const rnd_fix *f = &run->fixes[i];
        double x, y;
        rnd_project(v, f->at.lat, f->at.lon, &x, &y);
        if (!in_view(v, x, y, 2000))
            continue;
        uint32_t c = role_colour(rnd_run_role(run, f->device));
        if (f->coarse && isfinite(f->acc_m)) {
            cairo_arc(cr, x, y, f->acc_m * v->px_per_m, 0, 2 * M_PI);
            rnd_rgb(cr, c, 0.35);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
        }
        cairo_arc(cr, x, y, f->coarse ? 3.0 : 2.0, 0, 2 * M_PI);
        rnd_rgb(cr, c, f->coarse ? 0.9 : 0.55);
        cairo_fill(cr);
    }
    for (size_t i = 0; i < run->n_alerts; i++) {
        const rnd_alert *a = &run->alerts[i];
        double x, y;
        rnd_project(v, a->at.lat, a->at.lon, &x, &y);
        cairo_arc(cr, x, y, 8, 0, 2 * M_PI);
        rnd_rgb(cr, 0xFFFFFF, 1);
        cairo_fill_preserve(cr);
        rnd_rgb(cr, a->is_true ? RND_COLOUR_OFFENDER : RND_COLOUR_FALSE_ALERT, 1);
        cairo_set_line_width(cr, 3);
        cairo_stroke(cr);
        if (a->is_true) {
            cairo_arc(cr, x, y, 4, 0, 2 * M_PI);
            cairo_fill(cr);
        } else {
            cairo_move_to(cr, x - 4, y - 4);
            cairo_line_to(cr, x + 4, y + 4);
            cairo_move_to(cr, x + 4, y - 4);
            cairo_line_to(cr, x - 4, y + 4);
            cairo_set_line_width(cr, 2);
            cairo_stroke(cr);
        }
    }
}

/* ---- furniture -------------------------------------------------------------- */

static void panel(cairo_t *cr, double x, double y, double w, double h)
{
    cairo_rectangle(cr, x, y, w, h);
    rnd_rgb(cr, 0xFFFFFF, 0.88);
    cairo_fill_preserve(cr);
    rnd_rgb(cr, 0x999999, 1);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
}

static void scale_bar(cairo_t *cr, const rnd_view *v)
{
    double target_m = v->width / 5.0 / v->px_per_m, len = 1;
    while (len * 10 <= target_m)
        len *= 10;
    if (len * 5 <= target_m)
        len *= 5;
    else if (len * 2 <= target_m)
        len *= 2;
    double px = len * v->px_per_m, x = 20, y = v->height - 52;
    panel(cr, x - 8, y - 22, px + 16, 36);
    rnd_rgb(cr, 0x222222, 1);
    cairo_rectangle(cr, x, y, px, 5);
    cairo_fill(cr);
    rnd_rgb(cr, 0x222222, 1);
    char text[32];
    if (len >= 1000)
        snprintf(text, sizeof text, "%g km", len / 1000);
    else
        snprintf(text, sizeof text, "%g m", len);
    rnd_text(cr, text, NULL, 11, x, y - 18);
}

static void north_arrow(cairo_t *cr, const rnd_view *v)
{
    double x = v->width - 36, y = 24;
    panel(cr, x - 16, y - 8, 32, 52);
    cairo_move_to(cr, x, y);
    cairo_line_to(cr, x + 8, y + 24);
    cairo_line_to(cr, x, y + 19);
    cairo_line_to(cr, x - 8, y + 24);
    cairo_close_path(cr);
    rnd_rgb(cr, 0x222222, 1);
    cairo_fill(cr);
    rnd_rgb(cr, 0x222222, 1);
    rnd_text(cr, "N", NULL, 12, x - 4, y + 25);
}

static void legend(cairo_t *cr, const rnd_view *v, const rnd_run *run)
{
    const double w = 236, row = 19;
    int has_exclusion = 0, has_env = 0, has_safe = run->n_safe > 0;
    for (size_t i = 0; i < run->n_areas; i++) {
        has_exclusion |= run->areas[i].exclusion;
        has_env |= !run->areas[i].exclusion;
    }
    int rows = 7 + has_exclusion + has_env + has_safe;
    double x = v->width - w - 14, y = v->height - 44 - rows * row - 14;
    panel(cr, x, y, w, rows * row + 12);
    double cy = y + 6 + row / 2;
    static const struct {
        uint32_t c;
        const char *text;
        int kind; /* 0 line, 1 dot, 2 ring, 3 true alert, 4 false alert, 5 dashed line */
    } items[7] = {
        {RND_COLOUR_OFFENDER, "offender, true track / 가해자", 0},
        {RND_COLOUR_VICTIM, "victim, true track / 피해자", 0},
        {RND_COLOUR_PATROL, "patrol route / 순찰차", 5},
        {0x666666, "a fix received (its actor's colour)", 1},
        {0x666666, "cell or Wi-Fi fix: its accuracy", 2},
        {RND_COLOUR_OFFENDER, "alert opened, true", 3},
        {RND_COLOUR_FALSE_ALERT, "alert opened, false", 4},
    };
    for (int i = 0; i < 7; i++, cy += row) {
        double sx = x + 18;
        rnd_rgb(cr, items[i].c, 1);
        switch (items[i].kind) {
        case 0:
        case 5:
            if (items[i].kind == 5)
                cairo_set_dash(cr, (const double[]){5, 3}, 2, 0);
            cairo_move_to(cr, sx - 10, cy);
            cairo_line_to(cr, sx + 10, cy);
            cairo_set_line_width(cr, 3);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
            break;
        case 1:
            cairo_arc(cr, sx, cy, 2.5, 0, 2 * M_PI);
            cairo_fill(cr);
            break;
        case 2:
            cairo_arc(cr, sx, cy, 7, 0, 2 * M_PI);
            cairo_set_line_width(cr, 1);
            cairo_stroke(cr);
            cairo_arc(cr, sx, cy, 3, 0, 2 * M_PI);
            cairo_fill(cr);
            break;
        default:
            cairo_arc(cr, sx, cy, 6, 0, 2 * M_PI);
            cairo_set_line_width(cr, 2.5);
            cairo_stroke(cr);
            if (items[i].kind == 3) {
                cairo_arc(cr, sx, cy, 3, 0, 2 * M_PI);
                cairo_fill(cr);
            }
            break;
        }
        rnd_rgb(cr, 0x222222, 1);
        rnd_text(cr, items[i].text, NULL, 11, x + 36, cy - 8);
    }
    if (has_exclusion) {
        cairo_rectangle(cr, x + 8, cy - 6, 20, 12);
        rnd_rgb(cr, RND_COLOUR_OFFENDER, 0.25);
        cairo_fill(cr);
        rnd_rgb(cr, 0x222222, 1);
        rnd_text(cr, "exclusion zone / 접근금지구역", NULL, 11, x + 36, cy - 8);
        cy += row;
    }
    if (has_env) {
        cairo_rectangle(cr, x + 8, cy - 6, 20, 12);
        rnd_rgb(cr, 0x5A6E8C, 0.35);
        cairo_fill(cr);
        rnd_rgb(cr, 0x222222, 1);
        rnd_text(cr, "GNSS environment (canyon, tunnel)", NULL, 11, x + 36, cy - 8);
        cy += row;
    }
    if (has_safe) {
        cairo_rectangle(cr, x + 13, cy - 5, 10, 10);
        rnd_rgb(cr, RND_COLOUR_SAFE, 1);
        cairo_fill(cr);
        rnd_rgb(cr, 0x222222, 1);
        rnd_text(cr, "safe place (police box) / 안전 장소", NULL, 11, x + 36, cy - 8);
    }
}

static void title(cairo_t *cr, const rnd_view *v, const rnd_run *run)
{
    char text[200];
    if (run->seed) /* a replay or a live run has no seed */
        snprintf(text, sizeof text, "%s — seed %llu", run->scenario[0] ? run->scenario : "run",
                 (unsigned long long)run->seed);
    else
        snprintf(text, sizeof text, "%s", run->scenario[0] ? run->scenario : "run");
    double w, h;
    text_size(cr, text, 17, &w, &h);
    panel(cr, 12, 12, fmin(w + 20, v->width - 80), h + 12);
    rnd_rgb(cr, 0x111111, 1);
    rnd_text(cr, text, NULL, 17, 22, 18);
}

static void attribution(cairo_t *cr, const rnd_view *v, int districts, int streets, int stations)
{
    char text[400];
    snprintf(text, sizeof text, "%s%s%s%s%s",
             districts ? "Districts: KOSTAT 2013 census boundaries (southkorea/seoul-maps, Apache-2.0)" : "",
             districts && stations ? " · " : "",
             stations ? "Subway stations: Seoul Open Data Plaza OA-21232 (KOGL type 1)" : "",
             (districts || stations) && streets ? " · " : "",
             streets ? "Streets: © OpenStreetMap contributors, ODbL 1.0" : "");
    if (!text[0])
        return; /* no basemap data in view: nothing to attribute */
    /* Wrapped to the picture's width: every source stays readable. */
    PangoLayout *layout = pango_cairo_create_layout(cr);
    PangoFontDescription *fd = pango_font_description_from_string(HANGUL_SANS);
    pango_font_description_set_absolute_size(fd, 9 * PANGO_SCALE);
    pango_layout_set_font_description(layout, fd);
    pango_layout_set_width(layout, (v->width - 16) * PANGO_SCALE);
    pango_layout_set_wrap(layout, PANGO_WRAP_WORD);
    pango_layout_set_text(layout, text, -1);
    int pw, ph;
    pango_layout_get_pixel_size(layout, &pw, &ph);
    cairo_rectangle(cr, 0, v->height - ph - 6, v->width, ph + 6);
    rnd_rgb(cr, 0xFFFFFF, 0.85);
    cairo_fill(cr);
    rnd_rgb(cr, 0x444444, 1);
    cairo_move_to(cr, 8, v->height - ph - 3);
    pango_cairo_show_layout(cr, layout);
    cairo_new_path(cr);
    pango_font_description_free(fd);
    g_object_unref(layout);
}

int rnd_draw_map(cairo_t *cr, const rnd_view *v, const rnd_basemap *b, const rnd_run *run)
{
    cairo_save(cr);
    int streets = 0, stations = 0;
    int districts = 0;
    int unknown = draw_basemap(cr, v, b, &districts, &streets, &stations);
    draw_run(cr, v, run);
    title(cr, v, run);
    north_arrow(cr, v);
    legend(cr, v, run);
    scale_bar(cr, v);
    attribution(cr, v, districts, streets, stations);
    cairo_restore(cr);
    return unknown;
}

void rnd_map_options_default(rnd_map_options *o)
{
    memset(o, 0, sizeof *o);
    o->width = 1200;
    o->height = 900;
    o->zoom = 1.0;
}

int rnd_map_view(rnd_view *v, const rnd_run *run, const rnd_map_options *o)
{
    double box[4] = {90, 180, -90, -180};
    if (o->has_bbox) {
        memcpy(box, o->bbox, sizeof box);
    } else {
        /* The run's extent: tracks, zones and alerts (fixes may stray
         * kilometres off: cell positions). */
#define TAKE(p)                                                                                        \
    do {                                                                                               \
        box[0] = fmin(box[0], (p).lat), box[1] = fmin(box[1], (p).lon);                                \
        box[2] = fmax(box[2], (p).lat), box[3] = fmax(box[3], (p).lon);                                \
    } while (0)
        for (size_t i = 0; i < run->n_tracks; i++)
            for (size_t k = 0; k < run->tracks[i].n; k++)
                TAKE(run->tracks[i].pts[k]);
        for (size_t i = 0; i < run->n_areas; i++)
            for (size_t k = 0; k < run->areas[i].n; k++)
                TAKE(run->areas[i].ring[k]);
        for (size_t i = 0; i < run->n_alerts; i++)
            TAKE(run->alerts[i].at);
#undef TAKE
        if (box[0] > box[2]) /* nothing to fit: Seoul City Hall */
            box[0] = box[2] = 37.5665, box[1] = box[3] = 126.9780;
    }
    /* The run's extent fits left of the legend (bottom right, 250 px
     * wide) and above the scale bar and attribution; a box asked for fits
     * the whole picture. */
    int legend = o->has_bbox || o->width < 700 ? 0 : 250; /* a small map: the legend overlays */
    int rc = rnd_view_fit(v, box[0], box[1], box[2], box[3], o->width - legend, o->height - 40, 60);
    if (rc != RND_OK)
        return rc;
    v->width = o->width;
    v->height = o->height;
    v->cx = (o->width - legend) / 2.0;
    v->cy = (o->height - 40) / 2.0;
    if (o->zoom > 0)
        v->px_per_m *= o->zoom;
    return RND_OK;
}

int rnd_write_map(const char *path, const rnd_basemap *b, const rnd_run *run, const rnd_map_options *o,
                  char *err, size_t n)
{
    rnd_view v;
    if (rnd_map_view(&v, run, o) != RND_OK)
        return snprintf(err, n, "%s: the view is empty or too large (check --bbox and the size)", path), RND_EINVAL;
    const char *dot = strrchr(path, '.');
    cairo_surface_t *s = NULL;
    if (dot && !strcasecmp(dot, ".png"))
        s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, v.width, v.height);
    else if (dot && !strcasecmp(dot, ".svg"))
        s = cairo_svg_surface_create(path, v.width, v.height);
    else if (dot && !strcasecmp(dot, ".pdf")) {
        s = cairo_pdf_surface_create(path, v.width, v.height);
        rnd_pdf_dates(s, run->start);
    }
    else
        return snprintf(err, n, "%s: the picture's format comes from its extension: .png, .svg or .pdf", path),
               RND_EINVAL;
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return RND_EIO;
    }
    cairo_t *cr = cairo_create(s);
    rnd_draw_map(cr, &v, b, run);
    cairo_destroy(cr);
    cairo_status_t st = CAIRO_STATUS_SUCCESS;
    if (dot && !strcasecmp(dot, ".png"))
        st = cairo_surface_write_to_png(s, path);
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS) {
        remove(path); /* nothing half-written is left */
        return snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(st)), RND_EIO;
    }
    return RND_OK;
}
