/*
 * geo.c - WGS84 <-> local metres, polygons, schedules and the breach
 * probability.  Pure functions of their arguments.
 */
#include "engine.h"

#include <math.h>
#include <stdio.h>

#define DEG (M_PI / 180.0)

/* WGS84 ellipsoid. */
static const double wgs84_a = 6378137.0;
static const double wgs84_f = 1.0 / 298.257223563;

static double e2(void)
{
    return wgs84_f * (2.0 - wgs84_f);
}

/* Prime vertical radius of curvature N at latitude phi. */
static double radius_n(double phi)
{
    double s = sin(phi);
    return wgs84_a / sqrt(1.0 - e2() * s * s);
}

static double wrap_pi(double a)
{
    while (a > M_PI)
        a -= 2.0 * M_PI;
    while (a < -M_PI)
        a += 2.0 * M_PI;
    return a;
}

eng_status eng_frame_init(eng_frame *fr, double lat0_deg, double lon0_deg)
{
    if (!fr || !isfinite(lat0_deg) || !isfinite(lon0_deg) || fabs(lat0_deg) > 89.0 ||
        fabs(lon0_deg) > 180.0)
        return ENG_EINVAL;
    fr->lat0_rad = lat0_deg * DEG;
    fr->lon0_rad = lon0_deg * DEG;
    fr->sin_lat0 = sin(fr->lat0_rad);
    fr->cos_lat0 = cos(fr->lat0_rad);
    double n0 = radius_n(fr->lat0_rad);
    fr->x0 = n0 * fr->cos_lat0;
    fr->z0 = n0 * (1.0 - e2()) * fr->sin_lat0;
    return ENG_OK;
}

/* sin and cos of a small angle, |a| <= 0.05 rad, by their Taylor series;
 * the first omitted terms are below 1e-20.  Regions are far smaller than
 * that, so the per-fix path needs no libm trigonometry. */
static void sincos_small(double a, double *s, double *c)
{
    /* Multiplications by reciprocals: a division costs ten times more. */
    double a2 = a * a;
    *s = a * (1.0 - a2 * (1.0 / 6) * (1.0 - a2 * (1.0 / 20) * (1.0 - a2 * (1.0 / 42) *
                                                                (1.0 - a2 * (1.0 / 72)))));
    *c = 1.0 - a2 * 0.5 * (1.0 - a2 * (1.0 / 12) * (1.0 - a2 * (1.0 / 30) *
                                                     (1.0 - a2 * (1.0 / 56) * (1.0 - a2 * (1.0 / 90)))));
}

/*
 * Local east/north: the point's Earth-centred coordinates, seen from the
 * origin and rotated into the origin's tangent plane (ENU, height dropped).
 * Working with the longitude relative to lon0 saves a rotation, and with
 * the latitude relative to lat0 lets small-angle series stand in for sin
 * and cos (angle addition with the origin's own sin and cos).
 */
void eng_geo_to_local(const eng_frame *fr, double lat_deg, double lon_deg,
                      double *x_m, double *y_m)
{
    double dphi = lat_deg * DEG - fr->lat0_rad;
    double dlon = wrap_pi(lon_deg * DEG - fr->lon0_rad);
    double sp, cp, sl, cl;
    if (fabs(dphi) <= 0.05 && fabs(dlon) <= 0.05) {
        double sd, cd;
        sincos_small(dphi, &sd, &cd);
        sp = fr->sin_lat0 * cd + fr->cos_lat0 * sd;
        cp = fr->cos_lat0 * cd - fr->sin_lat0 * sd;
        sincos_small(dlon, &sl, &cl);
    } else {
        sp = sin(lat_deg * DEG);
        cp = cos(lat_deg * DEG);
        sl = sin(dlon);
        cl = cos(dlon);
    }
    double n = wgs84_a / sqrt(1.0 - e2() * sp * sp);
    double xe = n * cp * cl, ze = n * (1.0 - e2()) * sp;
    *x_m = n * cp * sl;
    *y_m = -fr->sin_lat0 * (xe - fr->x0) + fr->cos_lat0 * (ze - fr->z0);
}

/*
 * Closed form.  The point (x, y) of the tangent plane and the ellipsoid
 * point it came from lie on one normal of the plane: P(u) = O + x E + y N
 * + u U.  Putting P(u) on the ellipsoid gives a quadratic in u; its root
 * near zero is the drop below the plane.  On the surface, tan(lat) =
 * Z / ((1 - e^2) p) exactly.  Lengths are scaled by a so that the
 * coefficients are of order one; the constant term is a small difference
 * of such numbers, which costs under a nanometre at 100 km.
 */
void eng_geo_to_wgs84(const eng_frame *fr, double x_m, double y_m,
                      double *lat_deg, double *lon_deg)
{
    double k = 1.0 / wgs84_a, ep = 1.0 - e2();
    double s0 = fr->sin_lat0, c0 = fr->cos_lat0;
    double xc = (fr->x0 - y_m * s0) * k, yc = x_m * k, zc = (fr->z0 + y_m * c0) * k;
    /* (X^2 + Y^2) + Z^2 / ep = 1 with X = xc + u c0, Y = yc, Z = zc + u s0 */
    double qa = c0 * c0 + s0 * s0 / ep;
    double qb = 2.0 * (xc * c0 + zc * s0 / ep);
    double qc = xc * xc + yc * yc + zc * zc / ep - 1.0;
    double u = -2.0 * qc / (qb + sqrt(qb * qb - 4.0 * qa * qc));
    double X = xc + u * c0, Z = zc + u * s0;
    /* p > 0 off the poles and X > 0 within 90 degrees of lon0, so atan
     * serves where atan2 would cost four times as much. */
    *lat_deg = atan(Z / (ep * sqrt(X * X + yc * yc))) / DEG;
    *lon_deg = wrap_pi(fr->lon0_rad + (X > 0.0 ? atan(yc / X) : atan2(yc, X))) / DEG;
}

double eng_geo_distance_m(const eng_frame *fr, double lat1, double lon1,
                          double lat2, double lon2)
{
    double x1, y1, x2, y2;
    eng_geo_to_local(fr, lat1, lon1, &x1, &y1);
    eng_geo_to_local(fr, lat2, lon2, &x2, &y2);
    return sqrt((x2 - x1) * (x2 - x1) + (y2 - y1) * (y2 - y1));
}

double eng_geo_bearing_deg(double dx_m, double dy_m)
{
    double b = atan2(dx_m, dy_m) / DEG;
    if (b < 0.0)
        b += 360.0;
    if (b >= 360.0)
        b -= 360.0;
    return b;
}

int eng_poly_contains(const eng_point *v, size_t n, double x, double y)
{
    int inside = 0;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        if ((v[i].y > y) != (v[j].y > y)) {
            double xc = v[j].x + (y - v[j].y) * (v[i].x - v[j].x) / (v[i].y - v[j].y);
            if (x < xc)
                inside = !inside;
        }
    }
    return inside;
}

static double segment_distance(eng_point a, eng_point b, double x, double y)
{
    double dx = b.x - a.x, dy = b.y - a.y;
    double len2 = dx * dx + dy * dy;
    double t = len2 > 0.0 ? ((x - a.x) * dx + (y - a.y) * dy) / len2 : 0.0;
    if (t < 0.0)
        t = 0.0;
    else if (t > 1.0)
        t = 1.0;
    return hypot(x - (a.x + t * dx), y - (a.y + t * dy));
}

double eng_poly_edge_distance(const eng_point *v, size_t n, double x, double y)
{
    double best = INFINITY;
    for (size_t i = 0, j = n - 1; i < n; j = i++) {
        double d = segment_distance(v[j], v[i], x, y);
        if (d < best)
            best = d;
    }
    return best;
}

double eng_poly_signed_distance(const eng_point *v, size_t n, double x, double y)
{
    double d = eng_poly_edge_distance(v, n, x, y);
    return eng_poly_contains(v, n, x, y) ? -d : d;
}

double eng_normal_cdf(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

/* exp(-x) I0(x) for x >= 0: Abramowitz & Stegun 9.8.1 and 9.8.2, relative
 * error below 2e-7. */
static double bessel_i0e(double x)
{
    if (x < 3.75) {
        double t = x / 3.75;
        t *= t;
        return exp(-x) * (1.0 + t * (3.5156229 + t * (3.0899424 + t * (1.2067492 +
                         t * (0.2659732 + t * (0.0360768 + t * 0.0045813))))));
    }
    double t = 3.75 / x;
    return (0.39894228 + t * (0.01328592 + t * (0.00225319 + t * (-0.00157565 +
            t * (0.00916281 + t * (-0.02057706 + t * (0.02635537 + t * (-0.01647633 +
            t * 0.00392377)))))))) / sqrt(x);
}

/*
 * P(|X| <= R) for X ~ N(mu, s^2 I) in 2-D with |mu| = nu: the CDF of the
 * Rice distribution, integrated over the radius r.  Its density,
 *   r / s^2 exp(-(r - nu)^2 / 2 s^2) I0e(r nu / s^2),
 * is a smooth bump of width about s, so Simpson's rule on 24 panels over
 * [nu - 6.5 s, nu + 6.5 s] clipped to [0, R] is within 2e-4 of the exact
 * value everywhere (checked against a 20,000-panel integration over a grid
 * of nu, s and R); the decision thresholds are tenths.  Far from the
 * boundary the answer is 0 or 1 without integrating: that is the common
 * case and costs two comparisons.
 */
double eng_prob_within(double nu, double s, double R)
{
    if (!(R > 0.0))
        return 0.0;
    if (!(s > 0.0))
        return nu <= R ? 1.0 : 0.0;
    if (nu - R > 6.5 * s)
        return 0.0;
    if (R - nu > 6.5 * s)
        return 1.0;
    if (nu < 1e-9 * s) /* centred: the Rayleigh CDF */
        return -expm1(-R * R / (2.0 * s * s));

    double lo = fmax(0.0, nu - 6.5 * s), hi = fmin(R, nu + 6.5 * s);
    double inv_s2 = 1.0 / (s * s);
    enum { N = 24 }; /* even */
    double h = (hi - lo) / N, sum = 0.0;
    for (int i = 0; i <= N; i++) {
        double r = lo + i * h;
        double z = (r - nu) / s;
        double f = r * inv_s2 * exp(-0.5 * z * z) * bessel_i0e(r * nu * inv_s2);
        sum += f * (i == 0 || i == N ? 1.0 : (i & 1) ? 4.0 : 2.0);
    }
    double p = sum * h / 3.0;
    /* Mass below lo (only when lo > 0) is under 1e-10 and left out. */
    return p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
}

int eng_schedule_active(const eng_schedule *s, pw_time_ms t)
{
    if (s->n_windows <= 0)
        return 1;
    /* Local minutes since the epoch; floor division keeps pre-1970 sane. */
    int64_t m = t / 60000 + s->utc_offset_min;
    if (t % 60000 < 0)
        m -= 1;
    int64_t day = m >= 0 ? m / 1440 : -((-m + 1439) / 1440);
    int minute = (int)(m - day * 1440);
    /* 1970-01-01 was a Thursday: Monday = 0 makes it 3. */
    int weekday = (int)(((day + 3) % 7 + 7) % 7);
    for (int i = 0; i < s->n_windows && i < ENG_MAX_WINDOWS; i++) {
        const eng_window *w = &s->windows[i];
        if ((w->days_mask & (1u << weekday)) && minute >= w->start_min && minute < w->end_min)
            return 1;
    }
    return 0;
}

/*
 * Activity changes only at window starts and ends, whole local minutes, so
 * the candidates are those minutes over the next eight days (a week and the
 * day that wraps).  Between two candidates nothing changes, so the first
 * candidate whose activity differs from t's is the next change.
 */
pw_time_ms eng_schedule_next_change(const eng_schedule *s, pw_time_ms t)
{
    if (s->n_windows <= 0 || t < 0 || t > ENG_TIME_MAX)
        return INT64_MAX;
    int now_active = eng_schedule_active(s, t);
    /* Local midnight at or before t, in UTC ms. */
    int64_t local_min = t / 60000 + s->utc_offset_min - (t % 60000 < 0);
    int64_t day = local_min >= 0 ? local_min / 1440 : -((-local_min + 1439) / 1440);
    pw_time_ms best = INT64_MAX;
    for (int k = 0; k <= 8; k++) {
        for (int i = 0; i < s->n_windows && i < ENG_MAX_WINDOWS; i++) {
            int edge[2] = {s->windows[i].start_min, s->windows[i].end_min};
            for (int j = 0; j < 2; j++) {
                pw_time_ms c = ((day + k) * 1440 + edge[j] - s->utc_offset_min) * 60000;
                if (c > t && c < best && eng_schedule_active(s, c) != now_active)
                    best = c;
            }
        }
        if (best != INT64_MAX)
            break; /* later days only hold later candidates */
    }
    return best;
}

int64_t pw_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void pw_civil_from_days(int64_t z, int *year, int *month, int *day)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp < 10 ? mp + 3 : mp - 9;
    *year = (int)(yoe + era * 400 + (m <= 2));
    *month = (int)m;
    *day = (int)d;
}

void pw_format_time(pw_time_ms t, char *buf, size_t n)
{
    int64_t ms = ((t % 1000) + 1000) % 1000;
    int64_t secs = (t - ms) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int yi, mi, di;
    pw_civil_from_days(days, &yi, &mi, &di);
    int64_t y = yi, m = mi, d = di;
    if (n < 25 || y < 0 || y > 9999) {
        snprintf(buf, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", (long long)y, (long long)m,
                 (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60),
                 (long long)ms);
        return;
    }
    /* By hand: this runs once per event line. */
    const int64_t parts[7] = {y, m, d, sod / 3600, sod / 60 % 60, sod % 60, ms};
    const int width[7] = {4, 2, 2, 2, 2, 2, 3};
    const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
    char *p = buf;
    for (int i = 0; i < 7; i++) {
        int64_t v = parts[i];
        for (int k = width[i] - 1; k >= 0; k--) {
            p[k] = (char)('0' + v % 10);
            v /= 10;
        }
        p += width[i];
        *p++ = sep[i];
    }
    *p = '\0';
}

/* ---- zones ---------------------------------------------------------------- */

static int lat_lon_ok(double lat, double lon)
{
    return isfinite(lat) && isfinite(lon) && fabs(lat) <= 90.0 && fabs(lon) <= 180.0;
}

eng_status eng_zone_geom_init(const eng_frame *fr, const eng_zone_def *zd, eng_zone_geom *g)
{
    g->kind = zd->kind;
    g->n = 0;
    if (zd->kind == ENG_ZONE_CIRCLE) {
        if (!lat_lon_ok(zd->center_lat, zd->center_lon) || !(zd->radius_m > 0.0) || !isfinite(zd->radius_m))
            return ENG_EINVAL;
        eng_geo_to_local(fr, zd->center_lat, zd->center_lon, &g->cx, &g->cy);
        g->radius_m = zd->radius_m;
        g->minx = g->cx - g->radius_m;
        g->maxx = g->cx + g->radius_m;
        g->miny = g->cy - g->radius_m;
        g->maxy = g->cy + g->radius_m;
        return ENG_OK;
    }
    if (zd->kind != ENG_ZONE_POLYGON || zd->n_vertices < 3 || zd->n_vertices > ENG_MAX_ZONE_VERTICES)
        return ENG_EINVAL;
    g->cx = g->cy = g->radius_m = 0.0;
    g->n = zd->n_vertices;
    g->minx = g->miny = INFINITY;
    g->maxx = g->maxy = -INFINITY;
    for (size_t i = 0; i < g->n; i++) {
        if (!lat_lon_ok(zd->lat[i], zd->lon[i]))
            return ENG_EINVAL;
        eng_geo_to_local(fr, zd->lat[i], zd->lon[i], &g->v[i].x, &g->v[i].y);
        g->minx = fmin(g->minx, g->v[i].x);
        g->maxx = fmax(g->maxx, g->v[i].x);
        g->miny = fmin(g->miny, g->v[i].y);
        g->maxy = fmax(g->maxy, g->v[i].y);
    }
    return ENG_OK;
}
