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

int main(void)
{
    static const pw_test_entry tests[] = {
        {"distance agrees with GeographicLib (0.1 %)", test_distance_vs_geographiclib},
        {"local frame round trip", test_local_roundtrip},
        {"frame rejects a bad origin", test_frame_rejects_bad_origin},
        {"grid bearing", test_bearing},
        {"polygon contains and edge distance", test_polygon},
        {"normal cdf", test_normal_cdf},
        {"P(inside) centred = Rayleigh", test_prob_centred},
        {"P(inside) half-plane limit", test_prob_half_plane_limit},
        {"P(inside) vs Monte Carlo", test_prob_monte_carlo},
        {"weekly schedule in local time", test_schedule},
        {NULL, NULL},
    };
    return pw_test_main("geo", tests);
}
