/*
 * rnd_internal.h - what render/'s files share and callers do not see: a
 * colour as 0xRRGGBB, a number of a JSON object, coloured text, and the
 * plain basemap the phone and the console draw under their marks.
 */
#ifndef PW_RND_INTERNAL_H
#define PW_RND_INTERNAL_H

#include "render.h"

#include <jansson.h>
#include <math.h>

static inline void rnd_rgb(cairo_t *cr, uint32_t c, double alpha)
{
    cairo_set_source_rgba(cr, ((c >> 16) & 0xFF) / 255.0, ((c >> 8) & 0xFF) / 255.0, (c & 0xFF) / 255.0, alpha);
}

/* A number member of a JSON object, NAN when absent or not a number. */
static inline double rnd_json_num(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* Text in a colour; the characters no font could draw. */
static inline int rnd_text_in(cairo_t *cr, const char *s, double size, double x, double y, uint32_t colour)
{
    rnd_rgb(cr, colour, 1);
    return rnd_text(cr, s, NULL, size, x, y);
}


/* How the phone and the console draw the basemap: district edges,
 * streets and subway lines in plain colours. */
typedef struct rnd_plain_style {
    uint32_t district;
    double district_alpha;
    uint32_t street;
    double street_width;         /* 0: 3 px less half a pixel a rank */
    int subway_own_colours;      /* 1: each line in its colour, else `subway` */
    uint32_t subway;
    double subway_alpha;
} rnd_plain_style;

/* The basemap in a plain style, streets off the view skipped. */
void rnd_draw_plain_basemap(cairo_t *cr, const rnd_view *v, const rnd_basemap *b, const rnd_plain_style *st);

#endif
