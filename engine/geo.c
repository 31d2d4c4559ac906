/*
 * geo.c - WGS84 <-> local metres, polygons, schedules and the breach
 * probability.  Pure functions of their arguments.
 */
#include "engine.h"

#include <math.h>

#define DEG (M_PI / 180.0)

/* WGS84 ellipsoid. */
static const double wgs84_a = 6378137.0;
static const double wgs84_f = 1.0 / 298.257223563;

static double e2(void)
{
    return wgs84_f * (2.0 - wgs84_f);
}

/* Meridional radius of curvature M and prime vertical N at latitude phi. */
static double radius_m(double phi)
{
    double s = sin(phi);
    double w = 1.0 - e2() * s * s;
    return wgs84_a * (1.0 - e2()) / (w * sqrt(w));
}

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

/*
 * Local east/north: the point's Earth-centred coordinates, seen from the
 * origin and rotated into the origin's tangent plane (ENU, height dropped).
 * Working with the longitude relative to lon0 saves a rotation.
 */
static void enu(const eng_frame *fr, double phi, double dlon, double *x_m, double *y_m)
{
    double sp = sin(phi), cp = cos(phi);
    double n = wgs84_a / sqrt(1.0 - e2() * sp * sp);
    double xe = n * cp * cos(dlon), ye = n * cp * sin(dlon), ze = n * (1.0 - e2()) * sp;
    *x_m = ye;
    *y_m = -fr->sin_lat0 * (xe - fr->x0) + fr->cos_lat0 * (ze - fr->z0);
}

void eng_geo_to_local(const eng_frame *fr, double lat_deg, double lon_deg,
                      double *x_m, double *y_m)
{
    enu(fr, lat_deg * DEG, wrap_pi(lon_deg * DEG - fr->lon0_rad), x_m, y_m);
}

/*
 * No closed form: fixed-point iteration from the plane's own scale.  The
 * Jacobian of enu() is nearly diagonal (off-diagonal terms of order r / R),
 * so each step gains about two digits at 50 km; eight steps reach 1e-12 rad.
 */
void eng_geo_to_wgs84(const eng_frame *fr, double x_m, double y_m,
                      double *lat_deg, double *lon_deg)
{
    double phi = fr->lat0_rad, dlon = 0.0;
    for (int i = 0; i < 12; i++) {
        double x, y;
        enu(fr, phi, dlon, &x, &y);
        double dphi = (y_m - y) / radius_m(phi);
        double dl = (x_m - x) / (radius_n(phi) * cos(phi));
        phi += dphi;
        dlon += dl;
        if (fabs(dphi) < 1e-13 && fabs(dl) < 1e-13)
            break;
    }
    *lat_deg = phi / DEG;
    *lon_deg = wrap_pi(fr->lon0_rad + dlon) / DEG;
}

double eng_geo_distance_m(const eng_frame *fr, double lat1, double lon1,
                          double lat2, double lon2)
{
    double x1, y1, x2, y2;
    eng_geo_to_local(fr, lat1, lon1, &x1, &y1);
    eng_geo_to_local(fr, lat2, lon2, &x2, &y2);
    return hypot(x2 - x1, y2 - y1);
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

/*
 * P(|X| <= R) for X ~ N(mu, s^2 I) in 2-D with |mu| = nu.  Put the mean on
 * the x axis: the x coordinate is N(nu, s^2), and for a given x the y
 * coordinate must fall within +-sqrt(R^2 - x^2).  Substituting x = R sin t
 * makes the chord R cos t smooth, so composite Simpson on t converges fast.
 * The t range is clipped to where the x density is not negligible (+-9 s),
 * which keeps the integrand resolved even when s << R.
 */
double eng_prob_within(double nu, double s, double R)
{
    if (!(R > 0.0))
        return 0.0;
    if (!(s > 0.0))
        return nu <= R ? 1.0 : 0.0;
    if (nu - R > 9.0 * s)
        return 0.0;
    if (R - nu > 9.0 * s)
        return 1.0;
    if (nu < 1e-9 * s)  /* centred: the Rayleigh CDF */
        return -expm1(-R * R / (2.0 * s * s));

    double xlo = fmax(-R, nu - 9.0 * s), xhi = fmin(R, nu + 9.0 * s);
    double tlo = asin(xlo / R), thi = asin(xhi / R);
    enum { N = 64 }; /* even */
    double h = (thi - tlo) / N, sum = 0.0;
    for (int i = 0; i <= N; i++) {
        double t = tlo + i * h;
        double c = cos(t);
        double z = (R * sin(t) - nu) / s;
        double f = R * c * exp(-0.5 * z * z) * erf(R * c / (s * M_SQRT2));
        sum += f * (i == 0 || i == N ? 1.0 : (i & 1) ? 4.0 : 2.0);
    }
    double p = sum * h / 3.0 / (s * sqrt(2.0 * M_PI));
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
