/*
 * cmd_render.c - proxwatch render: pictures of a run folder.
 */
#include "cli.h"
#include "render.h"
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static int has_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, R_OK) == 0;
}

/* --bbox SOUTH,WEST,NORTH,EAST in degrees. */
static int parse_bbox(const char *v, double box[4])
{
    char *end;
    const char *p = v;
    for (int i = 0; i < 4; i++) {
        box[i] = strtod(p, &end);
        if (end == p || (i < 3 && *end != ',') || (i == 3 && *end))
            return 0;
        p = end + 1;
    }
    return box[0] < box[2] && box[1] < box[3] && box[0] >= -89 && box[2] <= 89 && box[1] >= -180 &&
           box[3] <= 180;
}

/* --at: seconds from the run's start, or an ISO-8601 time
 * YYYY-MM-DDTHH:MM:SS[.mmm] with Z (UTC, also when left out) or +HH:MM /
 * -HH:MM (the scenario's own zone, +09:00 in Seoul). */
static int parse_at(const char *v, pw_time_ms start, pw_time_ms *t)
{
    char *end;
    double s = strtod(v, &end);
    if (end != v && !*end && s >= 0 && s < 1e9) {
        *t = start + (pw_time_ms)(s * 1000.0 + 0.5);
        return 1;
    }
    int y, mo, d, h, mi, sec, ms = 0, used = 0;
    if (sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &used) != 6)
        return 0;
    const char *rest = v + used;
    if (*rest == '.') {
        int digits = 0;
        for (rest++; *rest >= '0' && *rest <= '9'; rest++, digits++)
            if (digits < 3)
                ms = ms * 10 + (*rest - '0');
        for (; digits < 3; digits++)
            ms *= 10;
    }
    long offset_min = 0;
    if (*rest == 'Z') {
        rest++;
    } else if (*rest == '+' || *rest == '-') {
        int oh, om, k = 0;
        if (sscanf(rest + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 14 || om > 59)
            return 0;
        offset_min = (*rest == '+' ? 1 : -1) * (oh * 60 + om);
        rest += 6;
    }
    if (*rest || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59)
        return 0;
    int64_t days = pw_days_from_civil(y, mo, d);
    int y2, m2, d2;
    pw_civil_from_days(days, &y2, &m2, &d2);
    if (y2 != y || m2 != mo || d2 != d)
        return 0; /* 2026-02-30 is no day */
    *t = (pw_time_ms)days * 86400000 + ((h * 60 + mi) * 60 + sec) * 1000 + ms - offset_min * 60000;
    return 1;
}

/* FILE with a frame number before its extension: victim.png -> victim-0007.png */
static void frame_path(const char *out, long k, char *buf, size_t n)
{
    const char *slash = strrchr(out, '/'), *dot = strrchr(slash ? slash : out, '.');
    int stem = dot ? (int)(dot - out) : (int)strlen(out);
    snprintf(buf, n, "%.*s-%04ld%s", stem, out, k, dot ? dot : "");
}

/* --at (if given) into *t, which holds the default; 0, or the usage error's status when it cannot be read
 * or lies outside the run. */
static int resolve_at(const char *at, const rnd_run *run, pw_time_ms *t)
{
    if (at && !parse_at(at, run->start, t))
        return cli_usage_error("render", "--at '%s': seconds from the start, or YYYY-MM-DDTHH:MM:SS[.mmm] with Z "
                                         "or +09:00", at);
    if (*t < run->start || *t > run->end) {
        char a[40], b[40], c[40];
        pw_format_time(*t, a, sizeof a);
        pw_format_time(run->start, b, sizeof b);
        pw_format_time(run->end, c, sizeof c);
        return cli_usage_error("render", "--at %s lies outside the run (%s to %s)", a, b, c);
    }
    return 0;
}

static int render_victim(const char *dir, const rnd_run *run, const rnd_basemap *base, const char *out,
                         const char *at, int case_id, double frames_s, int width, int height)
{
    char err[1024], path[1100];
    rnd_victim_feed f;
    const char *dot = strrchr(out, '.');
    if (!dot || strcasecmp(dot, ".png") != 0)
        return cli_usage_error("render", "--out '%s': the victim's phone is drawn as PNG (.png)", out);
    if (rnd_victim_feed_load(&f, dir, case_id, err, sizeof err) != RND_OK) {
        fprintf(stderr, "proxwatch render: %s\n", err);
        return 2;
    }
    pw_time_ms t = f.n_windows ? f.windows[0].open : run->start;
    int bad = resolve_at(at, run, &t);
    if (bad) {
        rnd_victim_feed_free(&f);
        return bad;
    }
    int rc = 0;
    if (frames_s > 0) {
        long k = 0;
        for (pw_time_ms u = run->start; u <= run->end && rc == 0; u += (pw_time_ms)(frames_s * 1000.0), k++) {
            frame_path(out, k, path, sizeof path);
            if (rnd_write_victim(path, width, height, base, run, &f, u, err, sizeof err) != RND_OK)
                rc = 1;
        }
        if (rc == 0)
            printf("written %ld frames, %s to %s\n", k, (frame_path(out, 0, path, sizeof path), path),
                   (frame_path(out, k - 1, err, sizeof err), err));
    } else if (rnd_write_victim(out, width, height, base, run, &f, t, err, sizeof err) != RND_OK) {
        rc = 1;
    } else {
        char when[40];
        pw_format_time(t, when, sizeof when);
        printf("written %s (case %d at %s)\n", out, f.case_id, when);
    }
    if (rc)
        fprintf(stderr, "proxwatch render: %s\n", err);
    rnd_victim_feed_free(&f);
    return rc;
}

static int render_console(const char *dir, const rnd_run *run, const rnd_basemap *base, const char *out,
                          const char *at, double frames_s, int width, int height)
{
    char err[1024];
    rnd_console_feed c;
    if (rnd_console_feed_load(&c, dir, err, sizeof err) != RND_OK) {
        fprintf(stderr, "proxwatch render: %s\n", err);
        return 2;
    }
    pw_time_ms t = run->n_incidents ? run->incidents[0].open : run->start;
    int bad = resolve_at(at, run, &t);
    if (bad) {
        rnd_console_feed_free(&c);
        return bad;
    }
    if (width < 640 || height < 400) {
        rnd_console_feed_free(&c);
        return cli_usage_error("render", "--size: the console needs at least 640x400 (its panel is 330 px wide)");
    }
    if (frames_s > 0) {
        char path[1100], last[1100];
        long k = 0;
        int rc = RND_OK;
        for (pw_time_ms u = run->start; u <= run->end && rc == RND_OK; u += (pw_time_ms)(frames_s * 1000.0), k++) {
            frame_path(out, k, path, sizeof path);
            rc = rnd_write_console(path, width, height, base, run, &c, u, err, sizeof err);
        }
        rnd_console_feed_free(&c);
        if (rc != RND_OK) {
            fprintf(stderr, "proxwatch render: %s\n", err);
            return 1;
        }
        frame_path(out, 0, path, sizeof path);
        frame_path(out, k - 1, last, sizeof last);
        printf("written %ld frames, %s to %s\n", k, path, last);
        return 0;
    }
    int rc = rnd_write_console(out, width, height, base, run, &c, t, err, sizeof err);
    rnd_console_feed_free(&c);
    if (rc != RND_OK) {
        fprintf(stderr, "proxwatch render: %s\n", err);
        return 1;
    }
    char when[40];
    pw_format_time(t, when, sizeof when);
    printf("written %s (112 console at %s)\n", out, when);
    return 0;
}

int cli_write_pictures(const char *dir, char *err, size_t n)
{
    rnd_run run;
    if (rnd_run_load(&run, dir, err, n) != RND_OK)
        return SIM_EINVAL;
    rnd_basemap base;
    if (rnd_basemap_load(&base, NULL, err, n) != RND_OK) {
        rnd_run_free(&run);
        return SIM_ERUN;
    }
    rnd_map_options mo;
    rnd_map_options_default(&mo);
    char path[1024];
    snprintf(path, sizeof path, "%s/map.png", dir);
    int rc = rnd_write_map(path, &base, &run, &mo, err, n);
    if (rc == RND_OK) {
        snprintf(path, sizeof path, "%s/report.pdf", dir);
        rc = rnd_write_report(path, &base, &run, err, n);
        if (rc != RND_OK) { /* both or neither: the run says it has none */
            snprintf(path, sizeof path, "%s/map.png", dir);
            remove(path);
        }
    }
    rnd_basemap_free(&base);
    rnd_run_free(&run);
    return rc == RND_OK ? 0 : SIM_ERUN;
}

int cli_render(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *view = "map", *at = NULL;
    int case_id = 0, size_given = 0;
    double frames_s = 0;
    rnd_map_options mo;
    rnd_map_options_default(&mo);
    static const struct option longopts[] = {
        {"view", required_argument, NULL, 'v'}, {"out", required_argument, NULL, 'o'},
        {"bbox", required_argument, NULL, 'b'}, {"zoom", required_argument, NULL, 'z'},
        {"size", required_argument, NULL, 's'}, {"at", required_argument, NULL, 'a'},
        {"case", required_argument, NULL, 'c'}, {"frames", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},       {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "o:h", longopts)) != -1) {
        const char *v = optarg;
        if (c == 'v') {
            view = v;
        } else if (c == 'o') {
            out = v;
        } else if (c == 'a') {
            at = v;
        } else if (c == 'c') {
            uint64_t k;
            if (!cli_parse_u64(v, &k) || k < 1 || k > 1000000)
                return cli_usage_error("render", "--case '%s': a case number from 1", v);
            case_id = (int)k;
        } else if (c == 'f') {
            char *end;
            frames_s = strtod(v, &end);
            if (end == v || *end || !(frames_s >= 1 && frames_s <= 86400))
                return cli_usage_error("render", "--frames '%s': seconds between frames, 1 to 86400", v);
        } else if (c == 'b') {
            if (!parse_bbox(v, mo.bbox))
                return cli_usage_error("render", "--bbox '%s': expected SOUTH,WEST,NORTH,EAST in degrees", v);
            mo.has_bbox = 1;
        } else if (c == 'z') {
            char *end;
            mo.zoom = strtod(v, &end);
            if (end == v || *end || !(mo.zoom >= 0.01 && mo.zoom <= 100))
                return cli_usage_error("render", "--zoom '%s': a factor from 0.01 to 100", v);
        } else if (c == 's') {
            char x;
            if (sscanf(v, "%d%c%d", &mo.width, &x, &mo.height) != 3 || x != 'x' || mo.width < 100 ||
                mo.height < 100 || mo.width > 10000 || mo.height > 10000)
                return cli_usage_error("render", "--size '%s': WIDTHxHEIGHT in pixels, 100 to 10000 each", v);
            size_given = 1;
        } else if (c == 'h') {
            return cli_print_help(stdout, "render");
        } else {
            return cli_bad_option("render", c, argv);
        }
    }
    if (cli_one_operand("render", "run folder", argc, argv, &dir) != 0)
        return 2;
    if (!dir)
        return cli_usage_error("render", "give the folder to draw (a run of run, replay or live, or a sweep's)");
    int victim = !strcmp(view, "victim"), report = !strcmp(view, "report"), console = !strcmp(view, "console");
    if (!strcmp(view, "sweep")) {
        /* A sweep folder: its sweep.json, nothing of a run. */
        char path[1024], err[1024];
        if (!out) {
            snprintf(path, sizeof path, "%s/sweep.pdf", dir);
            out = path;
        }
        const char *ext = strrchr(out, '.');
        if (!ext || strcasecmp(ext, ".pdf") != 0)
            return cli_usage_error("render", "--out '%s': a sweep's plots are a PDF (.pdf)", out);
        int rc = rnd_write_sweep(out, dir, err, sizeof err);
        if (rc != RND_OK) {
            fprintf(stderr, "proxwatch render: %s\n", err);
            return rc == RND_EINVAL ? 2 : 1;
        }
        printf("written %s\n", out);
        return 0;
    }
    if (!victim && !report && !console && strcmp(view, "map") != 0)
        return cli_usage_error("render", "--view '%s': map, victim, console, report or sweep", view);
    if (console && (mo.has_bbox || mo.zoom != 1.0 || case_id))
        return cli_usage_error("render", "the console takes --at or --frames, --size and --out only");
    if (report && (mo.has_bbox || mo.zoom != 1.0))
        return cli_usage_error("render", "--bbox and --zoom go with the map");
    if (!victim && !console && (at || case_id || frames_s > 0))
        return cli_usage_error("render", "--at and --frames go with --view victim or console, --case with victim");
    if (victim && (mo.has_bbox || mo.zoom != 1.0))
        return cli_usage_error("render", "--bbox and --zoom go with the map (the phone centres on her)");
    if (at && frames_s > 0)
        return cli_usage_error("render", "--at and --frames do not go together (frames cover the whole run)");
    char path[1024], err[1024];
    if (!out) {
        snprintf(path, sizeof path, "%s/%s", dir,
                 victim ? "victim.png" : report ? "report.pdf" : console ? "console.png" : "map.png");
        out = path;
    }
    const char *ext = strrchr(out, '.');
    if (report && (!ext || strcasecmp(ext, ".pdf") != 0))
        return cli_usage_error("render", "--out '%s': the report is a PDF (.pdf)", out);
    if (console && (!ext || strcasecmp(ext, ".png") != 0))
        return cli_usage_error("render", "--out '%s': the console is drawn as PNG (.png)", out);
    rnd_run run;
    if (rnd_run_load(&run, dir, err, sizeof err) != RND_OK) {
        fprintf(stderr, "proxwatch render: %s\n", err);
        return 2;
    }
    rnd_basemap base;
    if (rnd_basemap_load(&base, NULL, err, sizeof err) != RND_OK) {
        fprintf(stderr, "proxwatch render: %s\n", err);
        rnd_run_free(&run);
        return 1;
    }
    int rc;
    if (console) {
        rc = render_console(dir, &run, &base, out, at, frames_s, size_given ? mo.width : 1280,
                            size_given ? mo.height : 800);
    } else if (report && (!has_file(dir, "latencies.csv") || !has_file(dir, "incidents.csv"))) {
        fprintf(stderr, "proxwatch render: %s/%s: missing (the report's plots need latencies.csv and "
                        "incidents.csv, which run, replay and live write)\n",
                dir, has_file(dir, "latencies.csv") ? "incidents.csv" : "latencies.csv");
        rc = 2;
    } else if (report) {
        rc = rnd_write_report(out, &base, &run, err, sizeof err);
        if (rc != RND_OK)
            fprintf(stderr, "proxwatch render: %s\n", err);
        else
            printf("written %s\n", out);
        rc = rc == RND_OK ? 0 : 1;
    } else if (victim) {
        rc = render_victim(dir, &run, &base, out, at, case_id, frames_s, size_given ? mo.width : 390,
                           size_given ? mo.height : 844);
    } else {
        rc = rnd_write_map(out, &base, &run, &mo, err, sizeof err);
        if (rc != RND_OK)
            fprintf(stderr, "proxwatch render: %s\n", err);
        else
            printf("written %s\n", out);
        rc = rc == RND_OK ? 0 : rc == RND_EINVAL ? 2 : 1;
    }
    rnd_basemap_free(&base);
    rnd_run_free(&run);
    return rc;
}
