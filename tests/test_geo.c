/*
 * test_geo.c - geometry against GeographicLib, polygons, schedules and the
 * breach probability against closed forms and a seeded Monte Carlo.
 */
#include "engine.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

static const double SEOUL_LAT = 37.5665, SEOUL_LON = 126.9780;

/* Every pair of tests/data/geodesic_seoul.tsv (GeodSolve, geod_inverse):
 * the distance through the local frame must agree to better than 0.1 %. */
static void test_distance_vs_geographiclib(void)
{
    FILE *f = fopen(PW_TEST_DATA "/geodesic_seoul.tsv", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    eng_frame fr;
    CU_ASSERT_EQUAL_FATAL(eng_frame_init(&fr, SEOUL_LAT, SEOUL_LON), ENG_OK);
    char line[256];
    int n = 0;
    double worst = 0.0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        double lat1, lon1, lat2, lon2, s12;
        CU_ASSERT_EQUAL_FATAL(sscanf(line, "%lf %lf %lf %lf %lf", &lat1, &lon1, &lat2, &lon2, &s12), 5);
        /* Both ends lie within 50 km of the origin. */
        CU_ASSERT(eng_geo_distance_m(&fr, SEOUL_LAT, SEOUL_LON, lat1, lon1) < 50000.0);
        CU_ASSERT(eng_geo_distance_m(&fr, SEOUL_LAT, SEOUL_LON, lat2, lon2) < 50000.0);
        double d = eng_geo_distance_m(&fr, lat1, lon1, lat2, lon2);
        double rel = fabs(d - s12) / s12;
        if (rel > worst)
            worst = rel;
        CU_ASSERT(rel < 1e-3);
        n++;
    }
    fclose(f);
    CU_ASSERT(n >= 200);
    printf("\n    %d pairs, worst relative error %.2e ", n, worst);
}

static void test_local_roundtrip(void)
{
    eng_frame fr;
    eng_frame_init(&fr, SEOUL_LAT, SEOUL_LON);
    for (int i = -10; i <= 10; i++) {
        for (int j = -10; j <= 10; j++) {
            double lat = SEOUL_LAT + i * 0.045, lon = SEOUL_LON + j * 0.057;
            double x, y, lat2, lon2;
            eng_geo_to_local(&fr, lat, lon, &x, &y);
            eng_geo_to_wgs84(&fr, x, y, &lat2, &lon2);
            CU_ASSERT_DOUBLE_EQUAL(lat2, lat, 1e-9);
            CU_ASSERT_DOUBLE_EQUAL(lon2, lon, 1e-9);
        }
    }
    double x, y;
    eng_geo_to_local(&fr, SEOUL_LAT, SEOUL_LON, &x, &y);
    CU_ASSERT_DOUBLE_EQUAL(x, 0.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(y, 0.0, 1e-9);
    /* North is +y, east is +x. */
    eng_geo_to_local(&fr, SEOUL_LAT + 0.01, SEOUL_LON, &x, &y);
    CU_ASSERT(y > 1000.0 && fabs(x) < 1e-6);
    eng_geo_to_local(&fr, SEOUL_LAT, SEOUL_LON + 0.01, &x, &y);
    CU_ASSERT(x > 800.0);
}

static void test_frame_rejects_bad_origin(void)
{
    eng_frame fr;
    CU_ASSERT_EQUAL(eng_frame_init(&fr, 91.0, 0.0), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_frame_init(&fr, NAN, 0.0), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_frame_init(&fr, 0.0, 181.0), ENG_EINVAL);
    CU_ASSERT_EQUAL(eng_frame_init(&fr, 37.0, 127.0), ENG_OK);
}

static void test_bearing(void)
{
    static const struct { double dx, dy, deg; } cases[] = {
        {0, 1, 0}, {1, 0, 90}, {0, -1, 180}, {-1, 0, 270}, {1, 1, 45}, {-1, 1, 315},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CU_ASSERT_DOUBLE_EQUAL(eng_geo_bearing_deg(cases[i].dx, cases[i].dy), cases[i].deg, 1e-9);
}

static void test_polygon(void)
{
    /* A 100 m square with a notch: an L shape. */
    const eng_point L[] = {{0, 0}, {100, 0}, {100, 50}, {50, 50}, {50, 100}, {0, 100}};
    CU_ASSERT_TRUE(eng_poly_contains(L, 6, 25, 25));
    CU_ASSERT_TRUE(eng_poly_contains(L, 6, 25, 75));
    CU_ASSERT_FALSE(eng_poly_contains(L, 6, 75, 75)); /* in the notch */
    CU_ASSERT_FALSE(eng_poly_contains(L, 6, -1, 50));
    CU_ASSERT_DOUBLE_EQUAL(eng_poly_edge_distance(L, 6, 75, 75), 25.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(eng_poly_signed_distance(L, 6, 25, 25), -25.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(eng_poly_signed_distance(L, 6, 104, -3), 5.0, 1e-9); /* 3-4-5 to a corner */
    CU_ASSERT_DOUBLE_EQUAL(eng_poly_signed_distance(L, 6, 110, 25), 10.0, 1e-9);
}

static void test_normal_cdf(void)
{
    /* Reference values: Abramowitz & Stegun table 26.1. */
    CU_ASSERT_DOUBLE_EQUAL(eng_normal_cdf(0.0), 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(eng_normal_cdf(1.0), 0.841344746, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(eng_normal_cdf(-1.96), 0.024997895, 1e-9);
}

/* Rayleigh: centred, P(r <= R) = 1 - exp(-R^2 / 2 s^2), exact. */
static void test_prob_centred(void)
{
    static const double rs[][2] = {{10, 10}, {5, 10}, {30, 10}, {500, 400}, {1, 1000}};
    for (size_t i = 0; i < sizeof rs / sizeof rs[0]; i++) {
        double R = rs[i][0], s = rs[i][1];
        double want = 1.0 - exp(-R * R / (2 * s * s));
        CU_ASSERT_DOUBLE_EQUAL(eng_prob_within(0.0, s, R), want, 1e-9);
        /* Barely off centre takes the quadrature path: it must agree too. */
        CU_ASSERT_DOUBLE_EQUAL(eng_prob_within(1e-3 * s, s, R), want, 2e-4);
    }
}

/* Far from the centre of a large disk, the boundary is a straight line:
 * P = Phi((R - nu) / s). */
static void test_prob_half_plane_limit(void)
{
    double R = 1e6, s = 10.0;
    for (double z = -3.0; z <= 3.0; z += 0.5) {
        double nu = R - z * s;
        CU_ASSERT_DOUBLE_EQUAL(eng_prob_within(nu, s, R), eng_normal_cdf(z), 2e-4);
    }
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_within(500, 0.0, 500), 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_within(501, 0.0, 500), 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_within(10, 5, 0.0), 0.0, 0);
}

static uint64_t mc_state;

/* The general case against 400,000 Monte Carlo samples (3 sigma of the
 * binomial error is under 0.0024). */
static void test_prob_monte_carlo(void)
{
    static const double cases[][3] = { /* nu, s, R */
        {500, 50, 500}, {450, 100, 500}, {700, 300, 500}, {100, 400, 500}, {520, 5, 500},
    };
    mc_state = 42;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double nu = cases[i][0], s = cases[i][1], R = cases[i][2];
        int inside = 0, n = 400000;
        for (int k = 0; k < n; k++) {
            double u1 = pw_test_uniform(&mc_state), u2 = pw_test_uniform(&mc_state);
            double r = sqrt(-2.0 * log(u1)) * s;
            double x = nu + r * cos(2 * M_PI * u2), y = r * sin(2 * M_PI * u2);
            inside += x * x + y * y <= R * R;
        }
        CU_ASSERT_DOUBLE_EQUAL(eng_prob_within(nu, s, R), (double)inside / n, 0.0025);
    }
}

/* The polygons of tests/data/polygon_prob.tsv, read from its "# polygon"
 * lines, so that the script that made the table defines them once. */
enum { POLY_TABLE_MAX = 16, POLY_VERTEX_MAX = 32 };
typedef struct poly_def {
    char name[32];
    eng_point v[POLY_VERTEX_MAX];
    size_t n;
} poly_def;

static int read_poly_line(const char *line, poly_def *d)
{
    int used = 0;
    if (sscanf(line, "# polygon %31s%n", d->name, &used) != 1)
        return 0;
    const char *p = line + used;
    d->n = 0;
    for (;;) {
        char *end;
        double x = strtod(p, &end);
        if (end == p)
            break;
        p = end;
        double y = strtod(p, &end);
        if (end == p || d->n == POLY_VERTEX_MAX)
            return 0;
        p = end;
        d->v[d->n++] = (eng_point){x, y};
    }
    return d->n >= 3;
}

/* Every row of tests/data/polygon_prob.tsv (tests/data/make_polygon_prob.py:
 * slabs in x, erf in y, good to 1e-10) within the 1e-4 of the contract. */
static void test_prob_polygon_table(void)
{
    FILE *f = fopen(PW_TEST_DATA "/polygon_prob.tsv", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static poly_def polys[POLY_TABLE_MAX];
    size_t n_polys = 0;
    char line[4096];
    int rows = 0;
    double worst = 0.0;
    char worst_row[128] = "";
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "# polygon ", 10) == 0) {
            CU_ASSERT_FATAL(n_polys < POLY_TABLE_MAX);
            CU_ASSERT_FATAL(read_poly_line(line, &polys[n_polys]));
            n_polys++;
            continue;
        }
        if (line[0] == '#')
            continue;
        char name[32];
        double mx, my, sigma, want;
        CU_ASSERT_EQUAL_FATAL(sscanf(line, "%31s %lf %lf %lf %lf", name, &mx, &my, &sigma, &want), 5);
        const poly_def *d = NULL;
        for (size_t i = 0; i < n_polys; i++)
            if (strcmp(polys[i].name, name) == 0)
                d = &polys[i];
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        double got = eng_prob_in_polygon(d->v, d->n, mx, my, sigma);
        double err = fabs(got - want);
        CU_ASSERT(err < 1e-4);
        if (err >= 1e-4)
            printf("\n    %s (%g, %g) sigma %g: %.6f, table %.6f ", name, mx, my, sigma, got, want);
        if (err >= worst) {
            worst = err;
            snprintf(worst_row, sizeof worst_row, "%s (%g, %g) sigma %g", name, mx, my, sigma);
        }
        rows++;
    }
    fclose(f);
    CU_ASSERT(n_polys >= 5);
    CU_ASSERT(rows >= 60);
    printf("\n    %d rows, worst absolute error %.2e at %s ", rows, worst, worst_row);
}

/* The bug: the 1-D normal across the nearest edge said 0.60 at the
 * centre of a 150 m square with sigma 300 m, as if the zone were a half
 * plane.  The axes being independent, a square centred on the mean holds
 * P = (2 Phi(75 / 300) - 1)^2 = 0.03897 (within the bound area x peak
 * density = 22500 / (2 pi 90000) = 0.0398). */
static void test_polygon_centre_not_half_plane(void)
{
    const eng_point sq[] = {{0, 0}, {150, 0}, {150, 150}, {0, 150}};
    double exact = 2 * eng_normal_cdf(0.25) - 1;
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(sq, 4, 75, 75, 300), exact * exact, 1e-4);
    /* At a corner the square is the quadrant's part within 150 m on each
     * axis: (Phi(150 / s) - 1/2)^2, 0.0367 with sigma 300 (the half-plane
     * model said 0.5), 0.24865 with sigma 50. */
    double side300 = eng_normal_cdf(0.5) - 0.5, side50 = eng_normal_cdf(3.0) - 0.5;
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(sq, 4, 0, 0, 300), side300 * side300, 1e-4);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(sq, 4, 0, 0, 50), side50 * side50, 1e-4);
}

/* sigma = 0 is the point-in-polygon test; a negative or NaN sigma too. */
static void test_prob_polygon_sigma_zero(void)
{
    const eng_point L[] = {{0, 0}, {100, 0}, {100, 50}, {50, 50}, {50, 100}, {0, 100}};
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 25, 25, 0.0), 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 25, 75, 0.0), 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 75, 75, 0.0), 0.0, 0); /* the notch */
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, -1, 50, 0.0), 0.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 25, 25, -1.0), 1.0, 0);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 75, 75, NAN), 0.0, 0);
    /* A vanishing sigma tends to the same answers. */
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 25, 25, 1e-9), 1.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 75, 75, 1e-9), 0.0, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 100, 25, 1e-9), 0.5, 1e-6);  /* an edge */
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 50, 50, 1e-9), 0.75, 1e-6);  /* reflex */
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 0, 0, 1e-9), 0.25, 1e-6);    /* convex */
}

/* Reversing the vertex order, starting at another vertex or moving the whole
 * picture 50 km from the origin changes nothing, anywhere around a
 * non-convex polygon, at every scale. */
static void test_prob_polygon_orientation(void)
{
    const eng_point U[] = {{0, 0}, {300, 0}, {300, 300}, {200, 300}, {200, 100},
                           {100, 100}, {100, 300}, {0, 300}};
    enum { N = 8 };
    const double dx = 40000, dy = -30000;
    eng_point rev[N], rot[N], far[N];
    for (int i = 0; i < N; i++) {
        rev[i] = U[N - 1 - i];
        rot[i] = U[(i + 3) % N];
        far[i] = (eng_point){U[i].x + dx, U[i].y + dy};
    }
    static const double sigmas[] = {1, 10, 50, 150, 1000};
    double worst = 0.0, worst_far = 0.0;
    for (size_t k = 0; k < sizeof sigmas / sizeof sigmas[0]; k++)
        for (double x = -100; x <= 400; x += 25)
            for (double y = -100; y <= 400; y += 25) {
                double p = eng_prob_in_polygon(U, N, x, y, sigmas[k]);
                CU_ASSERT(p >= 0.0 && p <= 1.0);
                worst = fmax(worst, fabs(eng_prob_in_polygon(rev, N, x, y, sigmas[k]) - p));
                worst = fmax(worst, fabs(eng_prob_in_polygon(rot, N, x, y, sigmas[k]) - p));
                worst_far = fmax(worst_far, fabs(eng_prob_in_polygon(far, N, x + dx, y + dy, sigmas[k]) - p));
            }
    CU_ASSERT(worst < 1e-12);
    CU_ASSERT(worst_far < 1e-9);
}

/* The mean exactly on an edge or a vertex takes another path than a mean
 * next to it (the winding number is undefined there); the probability is
 * continuous, so both must agree from either side down to rounding. */
static void test_prob_polygon_on_boundary(void)
{
    const eng_point L[] = {{0, 0}, {200, 0}, {200, 80}, {80, 80}, {80, 200}, {0, 200}};
    static const double spots[][2] = {{100, 0}, {200, 40}, {140, 80}, {80, 80}, {0, 0}, {200, 80}};
    static const double offsets[] = {1e-13, 1e-9, 1e-6};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++)
        for (double s = 1; s <= 1000; s *= 10) {
            double x = spots[i][0], y = spots[i][1];
            double on = eng_prob_in_polygon(L, 6, x, y, s);
            for (size_t k = 0; k < sizeof offsets / sizeof offsets[0]; k++)
                for (int dir = 0; dir < 8; dir++) {
                    double d = offsets[k], a = dir * M_PI / 4 + 0.1;
                    double p = eng_prob_in_polygon(L, 6, x + d * cos(a), y + d * sin(a), s);
                    /* Moving the mean changes P by the density's flux through the
                     * edges; through one edge that is at most the density integrated
                     * along its whole line, 1 / (s sqrt(2 pi)).  So |grad P| is at
                     * most 6 / (s sqrt(2 pi)). */
                    CU_ASSERT(fabs(p - on) <= d * 6.0 / (s * sqrt(2 * M_PI)) + 1e-9);
                }
        }
    /* The reflex vertex of this L at small sigma: three quarters of the mass. */
    CU_ASSERT_DOUBLE_EQUAL(eng_prob_in_polygon(L, 6, 80, 80, 1), 0.75, 1e-6);
}

/* Sanity against the circle's exact law: a regular 16-gon of radius 200 m
 * against the circle of the same area (radius 197.5 m), through
 * eng_prob_within.  Both shapes lie between the 16-gon's inscribed circle
 * (196.2 m) and its circumcircle, and as their areas are equal the integral of
 * (1_polygon - 1_circle) is 0; so with the mean at the centre, where the
 * density depends on r only, |P_polygon - P_circle| is at most half the
 * annulus's area times the density's fall across it, phi(196.2) - phi(200).
 * Off centre there is no such short bound, and 1e-3 is a sanity margin. */
static double centred_density(double r, double s)
{
    return exp(-r * r / (2 * s * s)) / (2 * M_PI * s * s);
}

static void test_prob_polygon_vs_circle(void)
{
    enum { N = 16 };
    const double R = 200.0;
    eng_point g[N];
    for (int k = 0; k < N; k++)
        g[k] = (eng_point){R * cos(2 * M_PI * k / N), R * sin(2 * M_PI * k / N)};
    double r_eq = R * sqrt(N * sin(2 * M_PI / N) / (2 * M_PI));
    double r_in = R * cos(M_PI / N);
    double half_annulus = 0.5 * M_PI * (R * R - r_in * r_in);
    static const double cases[][2] = {{0, 20}, {0, 100}, {0, 300}, {0, 1000}, {100, 100}, {100, 300}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double nu = cases[i][0], s = cases[i][1];
        double poly = eng_prob_in_polygon(g, N, nu, 0, s);
        double circle = eng_prob_within(nu, s, r_eq);
        /* Plus both functions' own error bounds, 1e-4 and 2e-4. */
        double tol = nu == 0 ? half_annulus * (centred_density(r_in, s) - centred_density(R, s)) + 3e-4
                             : 1e-3;
        printf("\n    16-gon (%g, 0) sigma %g: %.5f, circle of equal area %.5f (tolerance %.1e) ", nu, s,
               poly, circle, tol);
        CU_ASSERT_DOUBLE_EQUAL(poly, circle, tol);
    }
}

static void test_schedule(void)
{
    /* Weekdays 08:00-16:00 in KST (UTC+9). 2026-11-30 is a Monday. */
    eng_schedule s = {.utc_offset_min = 540, .n_windows = 1,
                      .windows = {{.days_mask = 0x1f, .start_min = 480, .end_min = 960}}};
    const pw_time_ms mon_0000_kst = 1795964400000LL; /* 2026-11-29T15:00:00Z */
    const pw_time_ms H = 3600000;
    CU_ASSERT_FALSE(eng_schedule_active(&s, mon_0000_kst + 7 * H + 59 * 60000));
    CU_ASSERT_TRUE(eng_schedule_active(&s, mon_0000_kst + 8 * H));
    CU_ASSERT_TRUE(eng_schedule_active(&s, mon_0000_kst + 15 * H + 59 * 60000));
    CU_ASSERT_FALSE(eng_schedule_active(&s, mon_0000_kst + 16 * H));
    CU_ASSERT_TRUE(eng_schedule_active(&s, mon_0000_kst + 4 * 24 * H + 9 * H));  /* Friday */
    CU_ASSERT_FALSE(eng_schedule_active(&s, mon_0000_kst + 5 * 24 * H + 9 * H)); /* Saturday */
    eng_schedule always = {0};
    CU_ASSERT_TRUE(eng_schedule_active(&always, 0));
}

/*
 * eng_zone_geom_init: the one preparation of a zone (engine and metrics).
 * Expected metres by hand from the WGS84 radii of curvature at 37.5 deg:
 * e^2 = 0.00669438, sin^2 = 0.370590, w = 1 - e^2 sin^2 = 0.9975191;
 * N = a / sqrt(w) = 6,386,064 m, so 0.001 deg of longitude is
 * N cos(37.5 deg) pi/180 / 1000 = 88.43 m; M = a (1 - e^2) / w^1.5 =
 * 6,359,088 m, so 0.001 deg of latitude is 110.99 m.
 */
static void test_zone_geom(void)
{
    eng_frame fr;
    eng_frame_init(&fr, 37.5, 127.0);
    eng_zone_def zd;
    memset(&zd, 0, sizeof zd);
    zd.kind = ENG_ZONE_POLYGON;
    zd.n_vertices = 3;
    double lat[3] = {37.5, 37.5, 37.501}, lon[3] = {127.0, 127.001, 127.0};
    memcpy(zd.lat, lat, sizeof lat);
    memcpy(zd.lon, lon, sizeof lon);
    eng_zone_geom g;
    CU_ASSERT_EQUAL_FATAL(eng_zone_geom_init(&fr, &zd, &g), ENG_OK);
    CU_ASSERT_EQUAL(g.n, 3);
    CU_ASSERT_DOUBLE_EQUAL(g.minx, 0.0, 0.01);
    CU_ASSERT_DOUBLE_EQUAL(g.miny, 0.0, 0.01);
    CU_ASSERT_DOUBLE_EQUAL(g.maxx, 88.43, 0.1);
    CU_ASSERT_DOUBLE_EQUAL(g.maxy, 110.99, 0.1);
    CU_ASSERT_DOUBLE_EQUAL(g.v[1].x, 88.43, 0.1);
    CU_ASSERT_DOUBLE_EQUAL(g.v[2].y, 110.99, 0.1);
    /* A circle of 100 m, 0.001 deg north of the origin. */
    eng_zone_def c;
    memset(&c, 0, sizeof c);
    c.kind = ENG_ZONE_CIRCLE;
    c.center_lat = 37.501;
    c.center_lon = 127.0;
    c.radius_m = 100.0;
    CU_ASSERT_EQUAL_FATAL(eng_zone_geom_init(&fr, &c, &g), ENG_OK);
    CU_ASSERT_DOUBLE_EQUAL(g.cy, 110.99, 0.1);
    CU_ASSERT_DOUBLE_EQUAL(g.miny, 10.99, 0.1);
    CU_ASSERT_DOUBLE_EQUAL(g.maxx, 100.0, 0.01);
    /* Refused: no radius, two vertices, a NaN or out-of-range vertex, an
     * unknown kind, 65 vertices. */
    c.radius_m = 0.0;
    CU_ASSERT_EQUAL(eng_zone_geom_init(&fr, &c, &g), ENG_EINVAL);
    zd.n_vertices = 2;
    CU_ASSERT_EQUAL(eng_zone_geom_init(&fr, &zd, &g), ENG_EINVAL);
    zd.n_vertices = 3;
    zd.lat[1] = NAN;
    CU_ASSERT_EQUAL(eng_zone_geom_init(&fr, &zd, &g), ENG_EINVAL);
    zd.lat[1] = 91.0;
    CU_ASSERT_EQUAL(eng_zone_geom_init(&fr, &zd, &g), ENG_EINVAL);
    zd.lat[1] = 37.5;
    zd.kind = (eng_zone_kind)7;
    CU_ASSERT_EQUAL(eng_zone_geom_init(&fr, &zd, &g), ENG_EINVAL);
    zd.kind = ENG_ZONE_POLYGON;
    zd.n_vertices = ENG_MAX_ZONE_VERTICES + 1;
    CU_ASSERT_EQUAL(eng_zone_geom_init(&fr, &zd, &g), ENG_EINVAL);
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"zone preparation: metres by hand, bad zones refused", test_zone_geom},
        {"distance agrees with GeographicLib (0.1 %)", test_distance_vs_geographiclib},
        {"local frame round trip", test_local_roundtrip},
        {"frame rejects a bad origin", test_frame_rejects_bad_origin},
        {"grid bearing", test_bearing},
        {"polygon contains and edge distance", test_polygon},
        {"normal cdf", test_normal_cdf},
        {"P(inside) centred = Rayleigh", test_prob_centred},
        {"P(inside) half-plane limit", test_prob_half_plane_limit},
        {"P(inside) vs Monte Carlo", test_prob_monte_carlo},
        {"P(inside polygon) vs the slab table (1e-4)", test_prob_polygon_table},
        {"test_polygon_centre_not_half_plane", test_polygon_centre_not_half_plane},
        {"P(inside polygon) with sigma 0", test_prob_polygon_sigma_zero},
        {"P(inside polygon) ignores orientation, start and offset", test_prob_polygon_orientation},
        {"P(inside polygon) continuous onto an edge or vertex", test_prob_polygon_on_boundary},
        {"P(inside 16-gon) near the circle of equal area", test_prob_polygon_vs_circle},
        {"weekly schedule in local time", test_schedule},
        {NULL, NULL},
    };
    return pw_test_main("geo", tests);
}
