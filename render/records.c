/*
 * records.c - what a picture needs from a run folder: run.geojson (true
 * tracks, fixes, alert episodes, zones) and report.json (scenario, seed),
 * read with jansson.
 */
#include "render.h"
#include "pw_grow.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *load(const char *dir, const char *name, char *err, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j) {
        if (e.line > 0)
            snprintf(err, n, "%s:%d: %s", path, e.line, e.text);
        else
            snprintf(err, n, "%s: %s (is %s a run folder of proxwatch run or live? replay writes no run.geojson)",
                     path, e.text, dir);
    }
    return j;
}

static int get_ll(json_t *pair, rnd_ll *out)
{
    json_t *lon = json_array_get(pair, 0), *lat = json_array_get(pair, 1);
    if (!json_is_number(lon) || !json_is_number(lat))
        return -1;
    out->lon = json_number_value(lon);
    out->lat = json_number_value(lat);
    return fabs(out->lat) <= 90 && fabs(out->lon) <= 180 ? 0 : -1;
}

/* An array of [lon, lat] pairs into a fresh array; -1 when malformed. */
static int get_points(json_t *arr, rnd_ll **out, size_t *n)
{
    size_t k = json_array_size(arr);
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr) || k == 0)
        return -1;
    rnd_ll *p = calloc(k, sizeof *p);
    if (!p)
        return -1;
    for (size_t i = 0; i < k; i++)
        if (get_ll(json_array_get(arr, i), &p[i]) != 0) {
            free(p);
            return -1;
        }
    *out = p;
    *n = k;
    return 0;
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

static rnd_role role_of(const char *s)
{
    return !strcmp(s, "offender") ? RND_OFFENDER
         : !strcmp(s, "victim")   ? RND_VICTIM
         : !strcmp(s, "patrol")   ? RND_PATROL
                                  : RND_OTHER;
}

/* Room for one more element at the end of *arr (count *cnt, capacity
 * *cap); the new element, zeroed, or NULL when memory ran out. */
static void *push(void **arr, size_t *cnt, size_t *cap, size_t size)
{
    if (pw_grow(arr, cap, *cnt + 1, size) != 0)
        return NULL;
    char *p = (char *)*arr + (*cnt)++ * size;
    memset(p, 0, size);
    return p;
}

#define GROW(what) push((void **)&run->what, &run->n_##what, &run->cap_##what, sizeof *run->what)

/* One feature into run; 0, or -1 when it is malformed (what in err). */
static int feature(rnd_run *run, json_t *f, char *what, size_t n)
{
    json_t *props = json_object_get(f, "properties"), *geom = json_object_get(f, "geometry");
    const char *kind = str(props, "kind");
    json_t *coords = json_object_get(geom, "coordinates");
    if (!strcmp(kind, "truth")) {
        rnd_track *t = GROW(tracks);
        if (!t)
            return snprintf(what, n, "out of memory"), -1;
        t->device = (pw_id)json_integer_value(json_object_get(props, "device"));
        t->role = role_of(str(props, "role"));
        snprintf(t->name, sizeof t->name, "%s", str(props, "name"));
        if (get_points(coords, &t->pts, &t->n) != 0)
            return snprintf(what, n, "a truth track without [lon, lat] points"), -1;
    } else if (!strcmp(kind, "fix")) {
        rnd_fix *x = GROW(fixes);
        if (!x)
            return snprintf(what, n, "out of memory"), -1;
        x->device = (pw_id)json_integer_value(json_object_get(props, "device"));
        x->t = (pw_time_ms)json_integer_value(json_object_get(props, "t"));
        json_t *acc = json_object_get(props, "acc_m");
        x->acc_m = json_is_number(acc) ? json_number_value(acc) : NAN;
        const char *src = str(props, "source");
        x->coarse = !strcmp(src, "cell") || !strcmp(src, "wifi");
        if (get_ll(coords, &x->at) != 0)
            return snprintf(what, n, "a fix without a [lon, lat] point"), -1;
    } else if (!strcmp(kind, "alert_episode")) {
        rnd_alert *a = GROW(alerts);
        if (!a)
            return snprintf(what, n, "out of memory"), -1;
        a->is_true = json_is_true(json_object_get(props, "true"));
        a->start = (pw_time_ms)json_integer_value(json_object_get(props, "start"));
        a->end = (pw_time_ms)json_integer_value(json_object_get(props, "end"));
        if (get_ll(coords, &a->at) != 0)
            return snprintf(what, n, "an alert episode without a [lon, lat] point"), -1;
    } else if (!strcmp(kind, "exclusion_zone") || !strcmp(kind, "environment")) {
        rnd_area *z = GROW(areas);
        if (!z)
            return snprintf(what, n, "out of memory"), -1;
        z->exclusion = !strcmp(kind, "exclusion_zone");
        snprintf(z->env, sizeof z->env, "%s", str(props, "env"));
        if (get_points(json_array_get(coords, 0), &z->ring, &z->n) != 0)
            return snprintf(what, n, "a zone without a polygon ring"), -1;
    }
    return 0; /* other kinds are not drawn */
}

int rnd_run_load(rnd_run *run, const char *dir, char *err, size_t n)
{
    memset(run, 0, sizeof *run);
    json_t *rep = load(dir, "report.json", err, n);
    if (!rep)
        return RND_EINVAL;
    snprintf(run->scenario, sizeof run->scenario, "%s", str(rep, "scenario"));
    run->seed = (uint64_t)json_integer_value(json_object_get(rep, "seed"));
    double span_s = json_number_value(json_object_get(rep, "sim_seconds"));
    json_t *radius = json_object_get(json_object_get(rep, "parameters"), "alarm_radius_m");
    run->alarm_radius_m = json_is_number(radius) ? json_number_value(radius) : NAN;
    json_decref(rep);
    json_t *gj = load(dir, "run.geojson", err, n);
    if (!gj)
        return RND_EINVAL;
    json_t *feats = json_object_get(gj, "features");
    if (!json_is_array(feats)) {
        snprintf(err, n, "%s/run.geojson: no \"features\" array", dir);
        json_decref(gj);
        return RND_EINVAL;
    }
    for (size_t i = 0; i < json_array_size(feats); i++) {
        char what[120];
        if (feature(run, json_array_get(feats, i), what, sizeof what) != 0) {
            snprintf(err, n, "%s/run.geojson: feature %zu: %s", dir, i + 1, what);
            json_decref(gj);
            rnd_run_free(run);
            return RND_EINVAL;
        }
    }
    json_decref(gj);
    /* The span: truth.csv's first segment starts at the scenario's start
     * (replay writes none: the first fix then). */
    run->start = INT64_MAX;
    char path[1024];
    snprintf(path, sizeof path, "%s/truth.csv", dir);
    FILE *tf = fopen(path, "r");
    if (tf) {
        char row[512];
        while (fgets(row, sizeof row, tf)) {
            long long t0;
            if (sscanf(row, "%*[^,],%*[^,],%*[^,],%lld,", &t0) == 1 && t0 < run->start)
                run->start = t0;
        }
        fclose(tf);
    }
    if (run->start == INT64_MAX)
        for (size_t i = 0; i < run->n_fixes; i++)
            if (run->fixes[i].t < run->start)
                run->start = run->fixes[i].t;
    if (run->start == INT64_MAX)
        run->start = 0;
    run->end = run->start + (pw_time_ms)llround(span_s * 1000.0);
    return RND_OK;
}

void rnd_run_free(rnd_run *run)
{
    for (size_t i = 0; i < run->n_tracks; i++)
        free(run->tracks[i].pts);
    for (size_t i = 0; i < run->n_areas; i++)
        free(run->areas[i].ring);
    free(run->tracks);
    free(run->fixes);
    free(run->alerts);
    free(run->areas);
    memset(run, 0, sizeof *run);
}

rnd_role rnd_run_role(const rnd_run *run, pw_id device)
{
    for (size_t i = 0; i < run->n_tracks; i++)
        if (run->tracks[i].device == device)
            return run->tracks[i].role;
    return RND_OTHER;
}
