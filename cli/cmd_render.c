/*
 * cmd_render.c - proxwatch render: pictures of a run folder.
 */
#include "cli.h"
#include "render.h"
#include "sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

int cli_write_map(const char *dir, char *err, size_t n)
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
    rnd_basemap_free(&base);
    rnd_run_free(&run);
    return rc == RND_OK ? 0 : SIM_ERUN;
}

int cli_render(int argc, char **argv)
{
    const char *dir = NULL, *out = NULL, *view = "map";
    rnd_map_options mo;
    rnd_map_options_default(&mo);
    static const struct option longopts[] = {
        {"view", required_argument, NULL, 'v'}, {"out", required_argument, NULL, 'o'},
        {"bbox", required_argument, NULL, 'b'}, {"zoom", required_argument, NULL, 'z'},
        {"size", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "o:h", longopts)) != -1) {
        const char *v = optarg;
        if (c == 'v') {
            view = v;
        } else if (c == 'o') {
            out = v;
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
        } else if (c == 'h') {
            return cli_print_help(stdout, "render");
        } else {
            return cli_bad_option("render", c, argv);
        }
    }
    if (cli_one_operand("render", "run folder", argc, argv, &dir) != 0)
        return 2;
    if (!dir)
        return cli_usage_error("render", "give the run folder (written by run, replay or live)");
    if (strcmp(view, "map") != 0)
        return cli_usage_error("render", "--view '%s': only map is drawn so far", view);
    char path[1024], err[1024];
    if (!out) {
        snprintf(path, sizeof path, "%s/map.png", dir);
        out = path;
    }
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
    int rc = rnd_write_map(out, &base, &run, &mo, err, sizeof err);
    rnd_basemap_free(&base);
    rnd_run_free(&run);
    if (rc != RND_OK) {
        fprintf(stderr, "proxwatch render: %s\n", err);
        return rc == RND_EINVAL ? 2 : 1;
    }
    printf("written %s\n", out);
    return 0;
}
