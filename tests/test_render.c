/*
 * test_render.c - pictures: the projection against GeographicLib's
 * distances, a pin at its pixel, a map's marks at their places, the
 * formats written and readable, Hangul really drawn (no tofu), the
 * basemap's data, and clear errors for a bad run folder or an unwritable
 * output.  Drawing goes to image surfaces; tests read pixels.
 */
#include "record.h"
#include "render.h"
#include "sim.h"
#include "test_util.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static uint32_t pixel(cairo_surface_t *s, int x, int y)
{
    cairo_surface_flush(s);
    const unsigned char *d = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    uint32_t v;
    memcpy(&v, d + (size_t)y * (size_t)stride + (size_t)x * 4, 4);
    return v & 0xFFFFFFu; /* opaque pixels: premultiplied = plain */
}

static cairo_surface_t *white_surface(int w, int h, cairo_t **cr)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, w, h);
    *cr = cairo_create(s);
    cairo_set_source_rgb(*cr, 1, 1, 1);
    cairo_paint(*cr);
    return s;
}

/* Pixels of exactly this colour, and their centroid. */
static long count_colour(cairo_surface_t *s, uint32_t rgb, double *cx, double *cy)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    long n = 0;
    double sx = 0, sy = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (pixel(s, x, y) == rgb) {
                n++;
                sx += x;
                sy += y;
            }
    if (cx && n) {
        *cx = sx / (double)n;
        *cy = sy / (double)n;
    }
    return n;
}

/*
 * A pin at a known coordinate lands at its pixel.  Reference: row 2 of
 * tests/data/geodesic_seoul.tsv (GeographicLib's geodesic): from A
 * (37.72268185, 127.39414256) to B (37.71525077, 127.37642511) is
 * 1,766.461 m.  A view centred on A at 0.1 px/m puts B 176.646 px from
 * the centre, to the south-west (B is south and west of A).  The pin's
 * centroid (its colour's pixels) must be there within 1 px.
 */
static void test_pin_at_its_pixel(void)
{
    rnd_view v;
    CU_ASSERT_EQUAL_FATAL(rnd_view_init(&v, 37.72268185036819, 127.39414255511460, 0.1, 800, 600), RND_OK);
    cairo_t *cr;
    cairo_surface_t *s = white_surface(800, 600, &cr);
    rnd_draw_pin(cr, &v, 37.71525076767105, 127.37642510910648, 6, 0x00FF00);
    double cx = 0, cy = 0;
    long n = count_colour(s, 0x00FF00, &cx, &cy);
    double d = hypot(cx - 400, cy - 300);
    printf("\n    pin: %ld px, centre (%.2f, %.2f), %.2f px from the view's centre (expected 176.65) ", n, cx, cy,
           d);
    CU_ASSERT(n > 80); /* a disc of radius 6: about 113 px */
    CU_ASSERT(fabs(d - 176.6461) <= 1.0);
    CU_ASSERT(cx < 400 && cy > 300);
    cairo_destroy(cr);
    cairo_surface_destroy(s);

    /* fit: a box 2 km tall and wide-ish fits 800 x 600 with a 50 px margin,
     * so the scale is set by the height: (600 - 100) / 2,000 m... within
     * the frame's exactness (0.0180 deg of latitude is 1,998.6 m at 37.57 N
     * by the meridian arc) */
    CU_ASSERT_EQUAL(rnd_view_fit(&v, 37.5575, 126.9700, 37.5755, 126.9760, 800, 600, 50), RND_OK);
    CU_ASSERT_DOUBLE_EQUAL(v.px_per_m, 500.0 / 1998.6, 0.001);
}

/* A run folder made by hand: a victim walking 1 km east, an offender 200 m
 * north of her walk coming south, a cell fix of hers with 300 m accuracy,
 * a true alert and a false one, an exclusion zone. */
static void write_run(const char *dir)
{
    rec_remove_tree(dir); /* nothing of an earlier test's folder */
    mkdir(dir, 0777);
    char path[256];
    snprintf(path, sizeof path, "%s/report.json", dir);
    pw_test_write_text(path, "{\"scenario\": \"강남 test\", \"seed\": 7}\n");
    snprintf(path, sizeof path, "%s/run.geojson", dir);
    pw_test_write_text(
        path,
        "{\"type\":\"FeatureCollection\",\"features\":[\n"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[127.0200,37.5000],[127.0313,37.5000]]},"
        "\"properties\":{\"kind\":\"truth\",\"device\":1,\"name\":\"v\",\"role\":\"victim\"}},\n"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"LineString\",\"coordinates\":[[127.0250,37.5100],[127.0250,37.5018]]},"
        "\"properties\":{\"kind\":\"truth\",\"device\":2,\"name\":\"o\",\"role\":\"offender\"}},\n"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[127.0280,37.5005]},"
        "\"properties\":{\"kind\":\"fix\",\"device\":1,\"acc_m\":300.0,\"source\":\"cell\"}},\n"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[127.0250,37.5018]},"
        "\"properties\":{\"kind\":\"alert_episode\",\"true\":true,\"start\":1,\"end\":2}},\n"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Point\",\"coordinates\":[127.0300,37.5060]},"
        "\"properties\":{\"kind\":\"alert_episode\",\"true\":false,\"start\":3,\"end\":4}},\n"
        "{\"type\":\"Feature\",\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[[127.0150,37.4960],[127.0190,37.4960],"
        "[127.0190,37.4990],[127.0150,37.4990],[127.0150,37.4960]]]},\"properties\":{\"kind\":\"exclusion_zone\"}}\n"
        "]}\n");
}

/* The marks of a run at their places: the true alert's centre is the
 * offender's colour, the false alert's is orange, the offender's track
 * midway is his colour; the exclusion zone's inside is tinted red (no
 * basemap ink there: it is a 400 m square south-west of the walk). */
static void test_map_marks(void)
{
    write_run("pw_render_run");
    rnd_run run;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_run", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL(run.n_tracks, 2);
    CU_ASSERT_EQUAL(run.n_alerts, 2);
    CU_ASSERT_STRING_EQUAL(run.scenario, "강남 test");
    rnd_basemap base;
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_load(&base, NULL, err, sizeof err), RND_OK);
    rnd_map_options mo;
    rnd_map_options_default(&mo);
    rnd_view v;
    CU_ASSERT_EQUAL_FATAL(rnd_map_view(&v, &run, &mo), RND_OK);
    cairo_t *cr;
    cairo_surface_t *s = white_surface(v.width, v.height, &cr);
    CU_ASSERT_EQUAL(rnd_draw_map(cr, &v, &base, &run), 0); /* every label drawn, no tofu */
    double x, y;
    rnd_project(&v, 37.5018, 127.0250, &x, &y);
    CU_ASSERT_EQUAL(pixel(s, (int)lround(x), (int)lround(y)), RND_COLOUR_OFFENDER);
    rnd_project(&v, 37.5060, 127.0300, &x, &y);
    CU_ASSERT_EQUAL(pixel(s, (int)lround(x), (int)lround(y)), RND_COLOUR_FALSE_ALERT);
    rnd_project(&v, 37.5070, 127.0250, &x, &y); /* his track, away from the alerts */
    uint32_t on_track = pixel(s, (int)lround(x), (int)lround(y));
    CU_ASSERT(((on_track >> 16) & 0xFF) > 150 && (on_track & 0xFF) < 120); /* red over the basemap */
    rnd_project(&v, 37.4975, 127.0170, &x, &y);
    uint32_t zone = pixel(s, (int)lround(x), (int)lround(y));
    CU_ASSERT(((zone >> 16) & 0xFF) > ((zone >> 8) & 0xFF) + 10); /* tinted red */
    printf("\n    view %.4f px/m; on his track 0x%06X, in the zone 0x%06X ", v.px_per_m, on_track, zone);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    rnd_basemap_free(&base);
    rnd_run_free(&run);
}

/* PNG, SVG and PDF by extension, each readable; another extension and an
 * unwritable path are clear errors naming the path. */
static void test_formats_and_errors(void)
{
    write_run("pw_render_run");
    rnd_run run;
    rnd_basemap base;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_run", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_load(&base, NULL, err, sizeof err), RND_OK);
    rnd_map_options mo;
    rnd_map_options_default(&mo);
    mo.width = 640;
    mo.height = 480;
    CU_ASSERT_EQUAL(rnd_write_map("pw_map.png", &base, &run, &mo, err, sizeof err), RND_OK);
    cairo_surface_t *png = cairo_image_surface_create_from_png("pw_map.png");
    CU_ASSERT_EQUAL(cairo_surface_status(png), CAIRO_STATUS_SUCCESS);
    CU_ASSERT_EQUAL(cairo_image_surface_get_width(png), 640);
    CU_ASSERT_EQUAL(cairo_image_surface_get_height(png), 480);
    cairo_surface_destroy(png);
    CU_ASSERT_EQUAL(rnd_write_map("pw_map.svg", &base, &run, &mo, err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL(rnd_write_map("pw_map.PDF", &base, &run, &mo, err, sizeof err), RND_OK);
    char *svg = pw_test_read_text("pw_map.svg"), *pdf = pw_test_read_text("pw_map.PDF");
    CU_ASSERT_PTR_NOT_NULL_FATAL(svg);
    CU_ASSERT_PTR_NOT_NULL_FATAL(pdf);
    CU_ASSERT(!strncmp(svg, "<?xml", 5) && strstr(svg, "</svg>") != NULL);
    CU_ASSERT(!strncmp(pdf, "%PDF-", 5));
    /* finished: the trailer is written (the file's last bytes; it holds
     * binary streams, so not through strlen) */
    FILE *pf = fopen("pw_map.PDF", "rb");
    char tail[16] = "";
    if (pf && fseek(pf, -8, SEEK_END) == 0 && fread(tail, 1, 8, pf) == 8)
        tail[8] = '\0';
    if (pf)
        fclose(pf);
    CU_ASSERT_PTR_NOT_NULL(strstr(tail, "%%EOF"));
    free(svg);
    free(pdf);
    CU_ASSERT_EQUAL(rnd_write_map("pw_map.jpg", &base, &run, &mo, err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "pw_map.jpg") && strstr(err, ".png"));
    CU_ASSERT_EQUAL(rnd_write_map("pw_no_such_dir/map.png", &base, &run, &mo, err, sizeof err), RND_EIO);
    CU_ASSERT(strstr(err, "pw_no_such_dir/map.png") == err);
    CU_ASSERT_EQUAL(rnd_write_map("pw_no_such_dir/map.pdf", &base, &run, &mo, err, sizeof err), RND_EIO);
    printf("\n    %s ", err);
    /* a folder that is not a run, a broken feature */
    rnd_run bad;
    CU_ASSERT_EQUAL(rnd_run_load(&bad, "pw_no_such_run", err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "pw_no_such_run/report.json") == err);
    pw_test_write_text("pw_render_run/run.geojson",
                       "{\"type\":\"FeatureCollection\",\"features\":[{\"properties\":{\"kind\":\"fix\"}},\n"
                       "{\"geometry\":{\"coordinates\":[1,2]},\"properties\":{\"kind\":\"truth\"}}]}\n");
    CU_ASSERT_EQUAL(rnd_run_load(&bad, "pw_render_run", err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "run.geojson: feature 1: a fix without") != NULL);
    rnd_basemap_free(&base);
    rnd_run_free(&run);
}

/* Hangul is drawn, not tofu: pango finds a glyph for every character of
 * a Korean name (fonts-nanum), and ink lands on the surface; a private-use
 * character no font has is counted as unknown, so the check can fail. */
static void test_hangul_drawn(void)
{
    cairo_t *cr;
    cairo_surface_t *s = white_surface(300, 60, &cr);
    cairo_set_source_rgb(cr, 0, 0, 0);
    CU_ASSERT_EQUAL(rnd_text(cr, "서울특별시 강남구 역삼동", NULL, 16, 4, 4), 0);
    long ink = 0;
    for (int y = 0; y < 30; y++)
        for (int x = 0; x < 300; x++) {
            uint32_t p = pixel(s, x, y);
            ink += ((p >> 16) & 0xFF) < 0x60 && ((p >> 8) & 0xFF) < 0x60 && (p & 0xFF) < 0x60;
        }
    printf("\n    %ld dark pixels of Korean text ", ink);
    CU_ASSERT(ink > 200);
    CU_ASSERT(rnd_text(cr, "\xee\x80\x80\xee\x80\x81", NULL, 16, 4, 30) > 0); /* U+E000, U+E001 */
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}

/* The basemap's data: 25 districts with Korean names; 314 stations of
 * lines 1-9 (the table's 314 rows); each line drawn as a spanning tree of
 * its stations: 314 - 9 = 305 edges; neighbours on Line 2 (Gangnam and
 * Yeoksam, 0.8 km apart) are joined, Gangnam and Jamsil (6 km, five
 * stations between) are not. */
static void test_basemap(void)
{
    rnd_basemap b;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_load(&b, NULL, err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL(b.n_districts, 25);
    int gangnam_gu = 0;
    for (size_t i = 0; i < b.n_districts; i++)
        gangnam_gu |= !strcmp(b.districts[i].name, "강남구");
    CU_ASSERT(gangnam_gu);
    CU_ASSERT_EQUAL(b.n_stations, 314);
    CU_ASSERT_EQUAL(b.n_edges, 305);
    int joined = 0, far = 0;
    for (size_t i = 0; i < b.n_edges; i++) {
        const rnd_station *p = &b.stations[b.edges[i].a], *q = &b.stations[b.edges[i].b];
        if (p->line != 2)
            continue;
        int g = !strcmp(p->name, "강남") || !strcmp(q->name, "강남");
        joined |= g && (!strcmp(p->name, "역삼") || !strcmp(q->name, "역삼"));
        far |= g && (!strcmp(p->name, "잠실") || !strcmp(q->name, "잠실"));
    }
    CU_ASSERT(joined);
    CU_ASSERT(!far);
    CU_ASSERT_EQUAL(b.n_streets, 1573 + 149); /* central Seoul (make_streets.py) and Yeouido */
    CU_ASSERT_EQUAL(rnd_line_colour(2), 0x00A84D);
    rnd_basemap_free(&b);
    CU_ASSERT_EQUAL(rnd_basemap_load(&b, "pw_no_such_data", err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "pw_no_such_data/seoul_districts.geojson") == err);
}

/*
 * OpenStreetMap XML through expat.  A hand-made file: three nodes, a
 * primary way through two of them, a footway (not drawn); then a way
 * through a node the file lacks, and XML cut in the middle of a tag: each
 * an error naming the file and the line.  The bundled Yeouido extract has
 * 149 street ways (as render/data/make_yeouido.py, with Python's own XML
 * parser, counted them when it wrote the file).
 */
static void test_osm_streets(void)
{
    rnd_basemap b;
    memset(&b, 0, sizeof b);
    char err[512];
    pw_test_write_text("pw_small.osm", "<?xml version='1.0' encoding='UTF-8'?>\n<osm version=\"0.6\">\n"
                                       "<node id=\"3\" lat=\"37.5300\" lon=\"126.9200\"/>\n"
                                       "<node id=\"1\" lat=\"37.5200\" lon=\"126.9100\"/>\n"
                                       "<node id=\"2\" lat=\"37.5210\" lon=\"126.9150\"/>\n"
                                       "<way id=\"10\"><nd ref=\"1\"/><nd ref=\"2\"/><tag k=\"highway\" v=\"primary\"/>"
                                       "<tag k=\"name\" v=\"여의대로\"/></way>\n"
                                       "<way id=\"11\"><nd ref=\"2\"/><nd ref=\"3\"/><tag k=\"highway\" v=\"footway\"/></way>\n"
                                       "</osm>\n");
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_add_osm(&b, "pw_small.osm", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(b.n_streets, 1);
    CU_ASSERT_EQUAL(b.streets[0].rank, 1);
    CU_ASSERT_EQUAL(b.streets[0].n, 2);
    CU_ASSERT_DOUBLE_EQUAL(b.streets[0].pts[1].lat, 37.5210, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(b.streets[0].pts[1].lon, 126.9150, 1e-12);
    rnd_basemap_free(&b);
    pw_test_write_text("pw_bad.osm", "<osm>\n<node id=\"1\" lat=\"37.52\" lon=\"126.91\"/>\n"
                                     "<way id=\"10\"><nd ref=\"1\"/><nd ref=\"99\"/><tag k=\"highway\" v=\"primary\"/></way>\n"
                                     "</osm>\n");
    CU_ASSERT_EQUAL(rnd_basemap_add_osm(&b, "pw_bad.osm", err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "pw_bad.osm: line 3: a way uses node 99") == err);
    rnd_basemap_free(&b);
    pw_test_write_text("pw_cut.osm", "<osm>\n<node id=\"1\" lat=\"37.52\"\n");
    CU_ASSERT_EQUAL(rnd_basemap_add_osm(&b, "pw_cut.osm", err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "pw_cut.osm:") == err);
    printf("\n    %s ", err);
    rnd_basemap_free(&b);
    CU_ASSERT_EQUAL(rnd_basemap_add_osm(&b, PW_SOURCE_DIR "/render/data/yeouido_streets.osm", err, sizeof err),
                    RND_OK);
    CU_ASSERT_EQUAL(b.n_streets, 149);
    rnd_basemap_free(&b);
    remove("pw_small.osm");
    remove("pw_bad.osm");
    remove("pw_cut.osm");
}

/* Strongly red: the offender's pin, circle, heading and the alarm banner
 * are; nothing else on her screen is (its palette has no red). */
static long red_pixels(cairo_surface_t *s)
{
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    long n = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t p = pixel(s, x, y);
            int r = (p >> 16) & 0xFF, g = (p >> 8) & 0xFF, b = p & 0xFF;
            n += r > g + 60 && r > b + 40;
        }
    return n;
}

/* A bundled scenario (seed as written) run into dir, with its records. */
static void run_bundled(const char *scenario, const char *dir)
{
    char path[512];
    snprintf(path, sizeof path, "%s/scenarios/%s", PW_SOURCE_DIR, scenario);
    scn_scenario s;
    scn_error e;
    CU_ASSERT_EQUAL_FATAL(scn_load_file(&s, path, NULL, &e), SCN_OK);
    rec_remove_tree(dir);
    sim_run_options ro = {.out_dir = dir, .record = 1};
    sim_summary sum;
    char err[700];
    CU_ASSERT_EQUAL_FATAL(sim_run(&s, &ro, &sum, err, sizeof err), 0);
    scn_free(&s);
}

/* Her reveal windows as events.jsonl says, read here by plain string
 * search (not through the renderer): reveal_open / reveal_close lines to
 * the victim's phone, case 1. */
typedef struct span {
    pw_time_ms a, b;
} span;

static size_t windows_from_events(const char *path, span *w, size_t cap)
{
    FILE *f = fopen(path, "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char line[8192];
    size_t n = 0;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "\"to\":\"victim\"") || !strstr(line, "\"case\":1,"))
            continue;
        long long t = atoll(line + 5); /* {"t":1772406391753,... */
        if (strstr(line, "\"type\":\"reveal_open\"") && n < cap)
            w[n++] = (span){t, INT64_MAX};
        else if (strstr(line, "\"type\":\"reveal_close\"") && n && w[n - 1].b == INT64_MAX)
            w[n - 1].b = t;
    }
    fclose(f);
    return n;
}

/*
 * Privacy, over every second of the bundled default scenario (seed 1).
 * Her windows are taken from events.jsonl independently (above).  At any
 * second outside them her screen has no red pixel at all (no pin, circle,
 * heading, distance or alarm banner); inside one, once a position was sent
 * in that window, there is red below the banner (the pin itself) and the
 * pin's own pixel is the offender's colour, and the position shown was
 * sent in that same window.  No text on any screen is tofu.
 */
static void test_victim_view_privacy(void)
{
    run_bundled("default.lua", "pw_render_default");
    char err[700];
    span win[16];
    size_t n_win = windows_from_events("pw_render_default/events.jsonl", win, 16);
    CU_ASSERT(n_win >= 1);
    rnd_run run;
    rnd_basemap base;
    rnd_victim_feed f;
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_default", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_load(&base, NULL, err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_victim_feed_load(&f, "pw_render_default", 0, err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL(f.case_id, 1);
    CU_ASSERT(f.n_reveals >= 10);
    const int W = 90, H = 195;
    const int banner = (int)ceil(H * 0.13), foot = (int)floor(H * 0.93);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
    long outside = 0, inside = 0, leaks = 0, pins = 0, pin_ok = 0, pin_missing = 0, tofu = 0;
    for (pw_time_ms t = run.start; t <= run.end; t += 1000) {
        const span *in = NULL;
        for (size_t k = 0; k < n_win; k++)
            if (win[k].a <= t && t < win[k].b)
                in = &win[k];
        rnd_victim_state st;
        rnd_victim_state_at(&f, &run, t, &st);
        cairo_t *cr = cairo_create(surf);
        tofu += rnd_draw_victim(cr, W, H, &base, &run, &f, &st);
        cairo_destroy(cr);
        if (!in) {
            outside++;
            leaks += red_pixels(surf) > 0;
            continue;
        }
        inside++;
        if (!st.has_pin)
            continue;
        CU_ASSERT(st.pin.t >= in->a && st.pin.t <= t); /* sent in this window, by now */
        CU_ASSERT(st.pin.record > 0);                   /* and audited */
        /* red below the banner and above the mark: the pin */
        long red_map = 0;
        for (int y = banner; y < foot; y++)
            for (int x = 0; x < W; x++) {
                uint32_t p = pixel(surf, x, y);
                int r = (p >> 16) & 0xFF, g = (p >> 8) & 0xFF, b = p & 0xFF;
                red_map += r > g + 60 && r > b + 40;
            }
        pins++;
        pin_missing += red_map == 0;
        /* the pin's pixel, through the renderer's projection of her view */
        rnd_view v;
        double scale = W * 0.42 / run.alarm_radius_m;
        rnd_view_init(&v, st.self.lat, st.self.lon, 1.0, W, H);
        double x1, y1;
        rnd_project(&v, st.pin.at.lat, st.pin.at.lon, &x1, &y1);
        double dx = fabs(x1 - W / 2.0), dy = fabs(y1 - H / 2.0);
        if (dx > 0)
            scale = fmin(scale, (W / 2.0 - 24) / dx);
        if (dy > 0)
            scale = fmin(scale, (H / 2.0 - H * 0.13 - 24) / dy);
        rnd_view_init(&v, st.self.lat, st.self.lon, scale, W, H);
        rnd_project(&v, st.pin.at.lat, st.pin.at.lon, &x1, &y1);
        pin_ok += pixel(surf, (int)lround(x1), (int)lround(y1)) == RND_COLOUR_OFFENDER;
    }
    /* Her police box (default.lua: 37.5018, 127.0422) on its pixel a minute
     * in, before any window (the view centres on her, 0.42 W per radius). */
    CU_ASSERT_EQUAL_FATAL(run.n_safe, 1);
    {
        rnd_victim_state st;
        rnd_victim_state_at(&f, &run, run.start + 60000, &st);
        cairo_t *cr = cairo_create(surf);
        rnd_draw_victim(cr, W, H, &base, &run, &f, &st);
        cairo_destroy(cr);
        rnd_view v;
        rnd_view_init(&v, st.self.lat, st.self.lon, W * 0.42 / run.alarm_radius_m, W, H);
        double x, y;
        rnd_project(&v, 37.5018, 127.0422, &x, &y);
        CU_ASSERT_EQUAL(pixel(surf, (int)lround(x) - 5, (int)lround(y) + 5), RND_COLOUR_SAFE);
    }
    printf("\n    %ld s outside her windows (%ld with a red pixel), %ld s inside; pin shown %ld s "
           "(%ld without red on the map, %ld on its pixel); %ld tofu ",
           outside, leaks, inside, pins, pin_missing, pin_ok, tofu);
    CU_ASSERT(outside > 1000 && inside > 100 && pins > 100);
    CU_ASSERT_EQUAL(leaks, 0);
    CU_ASSERT_EQUAL(pin_missing, 0);
    CU_ASSERT_EQUAL(pin_ok, pins);
    CU_ASSERT_EQUAL(tofu, 0);
    cairo_surface_destroy(surf);
    rnd_victim_feed_free(&f);
    rnd_basemap_free(&base);
    rnd_run_free(&run);
}

/*
 * A warning without a position (battery_death.lua, seed 1: the tag's
 * battery dies near her; the engine sends her victim_warning events, which
 * carry no position).  A minute after the first of them, outside every
 * reveal window, her screen says caution in the yellow banner, not "no
 * alert", and still shows nothing of him (no red pixel).
 */
static void test_victim_warning_banner(void)
{
    run_bundled("battery_death.lua", "pw_render_battery");
    char err[700];
    /* the first warning's time, by plain string search */
    FILE *ev = fopen("pw_render_battery/events.jsonl", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    static char line[8192];
    long long warned = 0;
    while (!warned && fgets(line, sizeof line, ev))
        if (strstr(line, "\"type\":\"victim_warning\""))
            warned = atoll(line + 5);
    fclose(ev);
    CU_ASSERT_FATAL(warned > 0);
    rnd_run run;
    rnd_basemap base;
    rnd_victim_feed f;
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_battery", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_load(&base, NULL, err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_victim_feed_load(&f, "pw_render_battery", 0, err, sizeof err), RND_OK);
    rnd_victim_state st;
    rnd_victim_state_at(&f, &run, warned + 60000, &st);
    CU_ASSERT_FALSE(st.in_window);
    CU_ASSERT_PTR_NOT_NULL_FATAL(st.warning);
    cairo_t *cr;
    cairo_surface_t *surf = white_surface(180, 390, &cr);
    CU_ASSERT_EQUAL(rnd_draw_victim(cr, 180, 390, &base, &run, &f, &st), 0);
    printf("\n    warning '%s' at +60 s: banner 0x%06X, %ld red pixels ", st.warning->reason, pixel(surf, 2, 2),
           red_pixels(surf));
    CU_ASSERT_EQUAL(pixel(surf, 2, 2), 0xC9A000); /* the caution banner */
    CU_ASSERT_EQUAL(red_pixels(surf), 0);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    rnd_victim_feed_free(&f);
    rnd_basemap_free(&base);
    rnd_run_free(&run);
}

/* The axis end: 1, 2 or 5 times a power of ten, at or above the value. */
static void test_nice_ceiling(void)
{
    CU_ASSERT_DOUBLE_EQUAL(rnd_nice_ceiling(40), 50, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rnd_nice_ceiling(50), 50, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rnd_nice_ceiling(51), 100, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rnd_nice_ceiling(101), 200, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rnd_nice_ceiling(7), 10, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rnd_nice_ceiling(0.3), 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(rnd_nice_ceiling(0), 1, 1e-12);
}

/*
 * A CDF drawn where the definition puts it.  breach -> alert samples 10,
 * 20, 30 and 40 s; the axis ends at 50 s.  In a 400 x 300 box the plot
 * area starts at (46, 24) and is 342 x 242 px (the frame's margins).  By
 * hand: F(15 s) = 1/4 and F(25 s) = 2/4, so the curve runs level at
 * y = 24 + 242 (1 - 1/4) = 205.5 between x(10) = 114.4 and x(20) = 182.8,
 * and at y = 145 between x(20) and x(30) = 251.2; a 2 px line fills rows
 * 205 and 145 there.
 */
static void test_cdf_plot(void)
{
    write_run("pw_render_run");
    pw_test_write_text("pw_render_run/latencies.csv",
                       "latency,seconds\nbreach_to_alert,30.000\nbreach_to_alert,10.000\n"
                       "breach_to_alert,40.000\nbreach_to_alert,20.000\n");
    rnd_run run;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_run", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(run.n_latency[0], 4);
    CU_ASSERT_DOUBLE_EQUAL(run.latency[0][0], 10.0, 1e-9); /* sorted */
    cairo_t *cr;
    cairo_surface_t *s = white_surface(400, 300, &cr);
    rnd_plot_cdf(cr, 0, 0, 400, 300, &run);
    CU_ASSERT_EQUAL(pixel(s, 150, 205), rnd_latency_colour[0]);
    CU_ASSERT_EQUAL(pixel(s, 217, 145), rnd_latency_colour[0]);
    CU_ASSERT_NOT_EQUAL(pixel(s, 150, 145), rnd_latency_colour[0]); /* not at 1/2 before 20 s */
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    rnd_run_free(&run);
    /* With report.json saying 8 true breaches (4 of them missed), the curve
     * is a share of all 8: F(25 s) = 2/8 at y = 24 + 242 (1 - 1/4) = 205.5,
     * and it ends at 4/8 (y = 145) at the right edge, never reaching 1. */
    pw_test_write_text("pw_render_run/report.json",
                       "{\"scenario\": \"t\", \"seed\": 7, \"breaches\": {\"true\": 8}}\n");
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_run", err, sizeof err), RND_OK);
    s = white_surface(400, 300, &cr);
    rnd_plot_cdf(cr, 0, 0, 400, 300, &run);
    CU_ASSERT_EQUAL(pixel(s, 217, 205), rnd_latency_colour[0]);
    CU_ASSERT_EQUAL(pixel(s, 380, 145), rnd_latency_colour[0]);
    CU_ASSERT_NOT_EQUAL(pixel(s, 380, 24), rnd_latency_colour[0]);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    rnd_run_free(&run);
    pw_test_write_text("pw_render_run/latencies.csv", "latency,seconds\nbreach_to_alert,x\n");
    CU_ASSERT_EQUAL(rnd_run_load(&run, "pw_render_run", err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "pw_render_run/latencies.csv:2:") == err);
}

/* report.pdf: a finished PDF of two pages (the headline and the map, then
 * the plots), from the default run's records. */
static void test_report_pdf(void)
{
    rnd_run run;
    rnd_basemap base;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_default", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_load(&base, NULL, err, sizeof err), RND_OK);
    CU_ASSERT(run.n_incidents >= 1 && run.n_latency[0] >= 1);
    CU_ASSERT_EQUAL(rnd_write_report("pw_report.pdf", &base, &run, err, sizeof err), RND_OK);
    FILE *f = fopen("pw_report.pdf", "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    long pages = 0;
    for (size_t i = 0; i + 12 < n; i++)
        pages += !memcmp(buf + i, "/Type /Page", 11) && buf[i + 11] != 's';
    CU_ASSERT(!strncmp(buf, "%PDF-", 5));
    CU_ASSERT_EQUAL(pages, 2);
    /* the same records give the same bytes, whatever the clock says (the
     * PDF's dates are the run's start): written again a second later */
    struct timespec pause = {1, 100000000};
    nanosleep(&pause, NULL);
    CU_ASSERT_EQUAL(rnd_write_report("pw_report.pdf", &base, &run, err, sizeof err), RND_OK);
    FILE *g = fopen("pw_report.pdf", "rb");
    static char again[1 << 20];
    size_t n2 = g ? fread(again, 1, sizeof again - 1, g) : 0;
    if (g)
        fclose(g);
    CU_ASSERT_EQUAL(n2, n);
    CU_ASSERT(n2 == n && memcmp(again, buf, n) == 0);
    CU_ASSERT_EQUAL(rnd_write_report("pw_no_such_dir/r.pdf", &base, &run, err, sizeof err), RND_EIO);
    CU_ASSERT(strstr(err, "pw_no_such_dir/r.pdf") == err);
    rnd_basemap_free(&base);
    rnd_run_free(&run);
}

/*
 * The 112 console on the default run (its folder from the privacy test).
 * incidents.csv, read here with sscanf, gives the incidents' open,
 * dispatch, arrival and close times.  A minute before the first opens no
 * incident is open: no red pixel (no offender without an incident).
 * Between an incident's dispatch and its patrol's arrival the patrol is en
 * route (amber square) and the offender's pin is on the map (red); between
 * arrival and close, on scene (green).  No tofu.
 */
static void test_console(void)
{
    FILE *f = fopen("pw_render_default/incidents.csv", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char line[512];
    long long first_open = 0, open = 0, disp = 0, scene = 0, close = 0, id = 0;
    CU_ASSERT_PTR_NOT_NULL_FATAL(fgets(line, sizeof line, f)); /* header */
    while (fgets(line, sizeof line, f)) {
        long long i, o, d, sc, cl;
        if (sscanf(line, "%lld,%*d,%*[^,],%lld,%*d,%lld,%lld,%lld", &i, &o, &d, &sc, &cl) != 5)
            continue;
        if (!first_open)
            first_open = o;
        if (!id && o < d && d < sc && sc < cl) /* one that is on scene before it closes */
            id = i, open = o, disp = d, scene = sc, close = cl;
    }
    fclose(f);
    CU_ASSERT_FATAL(id > 0 && first_open > 0);
    rnd_run run;
    rnd_basemap base;
    rnd_console_feed c;
    char err[512];
    CU_ASSERT_EQUAL_FATAL(rnd_run_load(&run, "pw_render_default", err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_basemap_load(&base, NULL, err, sizeof err), RND_OK);
    CU_ASSERT_EQUAL_FATAL(rnd_console_feed_load(&c, "pw_render_default", err, sizeof err), RND_OK);
    CU_ASSERT(c.n_pins >= 1 && c.n_segs >= 2);
    const int W = 640, H = 400;
    const pw_time_ms at[3] = {first_open - 60000, (disp + scene) / 2, (scene + close) / 2};
    long red[3], amber[3], green[3];
    int tofu = 0;
    for (int k = 0; k < 3; k++) {
        cairo_t *cr;
        cairo_surface_t *surf = white_surface(W, H, &cr);
        tofu += rnd_draw_console(cr, W, H, &base, &run, &c, at[k]);
        red[k] = red_pixels(surf);
        amber[k] = count_colour(surf, rnd_patrol_colour[RND_PATROL_EN_ROUTE], NULL, NULL);
        green[k] = count_colour(surf, rnd_patrol_colour[RND_PATROL_ON_SCENE], NULL, NULL);
        cairo_destroy(cr);
        cairo_surface_destroy(surf);
    }
    /* Every 10 s of the run against the incidents' openings and closings
     * read from events.jsonl here (not from incidents.csv): red (an
     * offender's pin) exactly while one is open. */
    span open_at[64];
    size_t n_open = 0;
    FILE *ev = fopen("pw_render_default/events.jsonl", "r");
    CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
    static char evl[8192];
    while (fgets(evl, sizeof evl, ev)) {
        long long tt = atoll(evl + 5);
        if (strstr(evl, "\"type\":\"incident_open\"") && n_open < 64)
            open_at[n_open++] = (span){tt, INT64_MAX};
        else if (strstr(evl, "\"type\":\"incident_close\""))
            for (size_t k = 0; k < n_open; k++)
                if (open_at[k].b == INT64_MAX && strstr(evl, "\"incident\":") &&
                    atoll(strstr(evl, "\"incident\":") + 11) == (long long)(k + 1))
                    open_at[k].b = tt;
    }
    fclose(ev);
    long wrong = 0, frames = 0, frames_open = 0;
    for (pw_time_ms t = run.start; t <= run.end; t += 10000) {
        int is_open = 0;
        for (size_t k = 0; k < n_open; k++)
            is_open |= open_at[k].a <= t && t < open_at[k].b;
        cairo_t *cr;
        cairo_surface_t *surf = white_surface(W, H, &cr);
        tofu += rnd_draw_console(cr, W, H, &base, &run, &c, t);
        long r = red_pixels(surf);
        if (is_open ? r == 0 : r > 0)
            printf("\n    wrong at %lld: open %d, red %ld", (long long)t, is_open, r);
        wrong += is_open ? r == 0 : r > 0;
        frames++;
        frames_open += is_open;
        cairo_destroy(cr);
        cairo_surface_destroy(surf);
    }
    printf("\n    before the first: %ld red; #%lld en route: %ld red, %ld amber; on scene: %ld green; "
           "%ld frames (%ld with an incident open), %ld wrong ",
           red[0], id, red[1], amber[1], green[2], frames, frames_open, wrong);
    CU_ASSERT(n_open >= 2 && frames_open > 10);
    CU_ASSERT_EQUAL(wrong, 0);
    (void)open;
    CU_ASSERT_EQUAL(red[0], 0);
    CU_ASSERT(red[1] > 20);
    CU_ASSERT(amber[1] > 100); /* the 14 x 14 square and its legend square */
    CU_ASSERT(green[2] > 100);
    CU_ASSERT_EQUAL(tofu, 0);
    rnd_console_feed_free(&c);
    rnd_basemap_free(&base);
    rnd_run_free(&run);
}

/* sweep.pdf from a sweep.json written here: two combinations; a finished
 * two-page PDF; a folder without sweep.json is named. */
static void test_sweep_pdf(void)
{
    mkdir("pw_render_sweep", 0777);
    pw_test_write_text("pw_render_sweep/sweep.json",
                       "[{\"parameters\": {\"alarm_radius\": 300}, \"runs\": 3, \"failed\": 0, \"figures\": {\n"
                       "  \"false_per_offender_day\": {\"mean\": 0.5, \"ci95\": [0.1, 0.9]},\n"
                       "  \"breaches_missed\": {\"mean\": 1, \"ci95\": [0, 2]}}},\n"
                       " {\"parameters\": {\"alarm_radius\": 800}, \"runs\": 3, \"failed\": 0, \"figures\": {\n"
                       "  \"false_per_offender_day\": {\"mean\": 2.0, \"ci95\": [1.0, 3.0]},\n"
                       "  \"breaches_missed\": {\"mean\": 0, \"ci95\": [0, 0]}}}]\n");
    char err[512];
    CU_ASSERT_EQUAL(rnd_write_sweep("pw_sweep.pdf", "pw_render_sweep", err, sizeof err), RND_OK);
    FILE *f = fopen("pw_sweep.pdf", "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    long pages = 0;
    for (size_t i = 0; i + 12 < n; i++)
        pages += !memcmp(buf + i, "/Type /Page", 11) && buf[i + 11] != 's';
    CU_ASSERT_EQUAL(pages, 2);
    CU_ASSERT_EQUAL(rnd_write_sweep("pw_sweep.pdf", "pw_no_such_sweep", err, sizeof err), RND_EINVAL);
    CU_ASSERT(strstr(err, "pw_no_such_sweep/sweep.json") == err);
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"a pin at its pixel (GeographicLib distance)", test_pin_at_its_pixel},
        {"a run's marks at their places", test_map_marks},
        {"PNG, SVG and PDF; errors name the path", test_formats_and_errors},
        {"Hangul drawn, not tofu", test_hangul_drawn},
        {"the basemap's districts, stations and lines", test_basemap},
        {"OpenStreetMap streets through expat", test_osm_streets},
        {"victim view: nothing of him outside her windows, every second", test_victim_view_privacy},
        {"victim view: a warning without a position is a caution", test_victim_warning_banner},
        {"plots: the axis end", test_nice_ceiling},
        {"plots: a CDF where its definition puts it", test_cdf_plot},
        {"report.pdf: two pages, clear errors", test_report_pdf},
        {"112 console: pins only of open incidents, patrols by state", test_console},
        {"sweep.pdf: two pages, a missing sweep.json named", test_sweep_pdf},
        {NULL, NULL},
    };
    return pw_test_main("render", tests);
}
