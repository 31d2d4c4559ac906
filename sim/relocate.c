/*
 * relocate.c - a receiver's track moved rigidly to another place.  An
 * engineer's receiver (or a log played by gpsfake) is rarely in the
 * scenario's city; moved as a whole, its track keeps its own noise and
 * motion: every fix keeps its east and north offsets, in metres, from the
 * anchor (the receiver's first fix), now measured from the target.
 */
#include "sim.h"

#include <math.h>
#include <stdlib.h>

void sim_relocation_init(sim_relocation *r, double from_lat, double from_lon, double to_lat, double to_lon)
{
    eng_frame_init(&r->from, from_lat, from_lon);
    eng_frame_init(&r->to, to_lat, to_lon);
    r->on = 1;
}

void sim_relocation_apply(const sim_relocation *r, pw_fix *f)
{
    if (!r->on || !(f->set & PW_FIX_LATLON_SET))
        return;
    double x, y;
    eng_geo_to_local(&r->from, f->lat, f->lon, &x, &y);
    eng_geo_to_wgs84(&r->to, x, y, &f->lat, &f->lon);
}

int sim_parse_latlon(const char *s, double *lat, double *lon)
{
    char *end, *end2;
    double a = strtod(s, &end);
    if (end == s || *end != ',' || !(fabs(a) <= 90))
        return 0;
    double b = strtod(end + 1, &end2);
    if (*end2 || end2 == end + 1 || !(fabs(b) <= 180))
        return 0;
    *lat = a;
    *lon = b;
    return 1;
}

double sim_great_circle_m(double lat1, double lon1, double lat2, double lon2)
{
    const double R = 6371008.8, rad = M_PI / 180.0; /* mean Earth radius (IUGG) */
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = sin(dlat / 2) * sin(dlat / 2) + cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);
    return 2.0 * R * asin(fmin(1.0, sqrt(a)));
}
