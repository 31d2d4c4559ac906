/*
 * records.c - what a picture needs from a run folder: run.geojson (true
 * tracks, fixes, alert episodes, zones) and report.json (scenario, seed),
 * read with jansson.
 */
#include "record.h"
#include "render.h"
#include "pw_grow.h"

#include <errno.h>
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
            snprintf(err, n, "%s: %s (is %s a run folder of proxwatch run, replay or live?)", path, e.text, dir);
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
        a->case_id = (int)json_integer_value(json_object_get(props, "case"));
        snprintf(a->cause, sizeof a->cause, "%s", str(props, "cause"));
        a->start = (pw_time_ms)json_integer_value(json_object_get(props, "start"));
        a->end = (pw_time_ms)json_integer_value(json_object_get(props, "end"));
        if (get_ll(coords, &a->at) != 0)
            return snprintf(what, n, "an alert episode without a [lon, lat] point"), -1;
    } else if (!strcmp(kind, "call")) {
        rnd_call *c = GROW(calls);
        if (!c)
            return snprintf(what, n, "out of memory"), -1;
        c->incident = (long long)json_integer_value(json_object_get(props, "incident"));
        c->start = (pw_time_ms)json_integer_value(json_object_get(props, "start"));
        snprintf(c->what, sizeof c->what, "%s", str(props, "what"));
        if (get_ll(coords, &c->at) != 0)
            return snprintf(what, n, "a call without a [lon, lat] point"), -1;
    } else if (!strcmp(kind, "safe_place")) {
        rnd_safe *p = GROW(safe);
        if (!p)
            return snprintf(what, n, "out of memory"), -1;
        snprintf(p->name, sizeof p->name, "%s", str(props, "name"));
        if (get_ll(coords, &p->at) != 0)
            return snprintf(what, n, "a safe place without a [lon, lat] point"), -1;
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

/* A number at a path of keys in report.json, NAN when absent or null. */
static double at(json_t *o, const char *a, const char *b, const char *c)
{
    json_t *v = json_object_get(o, a);
    if (b)
        v = json_object_get(v, b);
    if (c)
        v = json_object_get(v, c);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static void headline(rnd_run *run, json_t *r)
{
    static const char *const lat[4] = {"breach_to_alert", "alert_to_victim", "alert_to_dispatch",
                                       "dispatch_to_scene"};
    run->figures.breaches = at(r, "breaches", "true", NULL);
    run->figures.detected = at(r, "breaches", "detected", NULL);
    run->figures.missed = at(r, "breaches", "missed", NULL);
    run->figures.episodes = at(r, "alerts", "episodes", NULL);
    run->figures.true_alerts = at(r, "alerts", "true", NULL);
    run->figures.false_alerts = at(r, "alerts", "false", NULL);
    run->figures.false_per_day = at(r, "alerts", "false_per_offender_day", NULL);
    for (int k = 0; k < 4; k++) {
        run->figures.p50[k] = at(r, "latency_s", lat[k], "p50");
        run->figures.p95[k] = at(r, "latency_s", lat[k], "p95");
    }
    run->figures.exposure_s = at(r, "exposure_s", "outside_breach", NULL);
    run->figures.unauthorized = at(r, "exposure_s", "unauthorized_disclosures", NULL);
    run->figures.incidents = at(r, "workload", "incidents", NULL);
    run->figures.per_dispatcher_hour = at(r, "workload", "per_dispatcher_hour", NULL);
    run->figures.peak = at(r, "workload", "peak_concurrent", NULL);
    run->figures.patrol_min_false = at(r, "workload", "patrol_minutes_on_false", NULL);
    run->figures.sim_seconds = at(r, "sim_seconds", NULL, NULL);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* latencies.csv and incidents.csv, when present (a folder without them has
 * no values: the plots say so).  RND_EINVAL naming a malformed line. */
static int load_values(rnd_run *run, const char *dir, char *err, size_t n)
{
    static const char *const names[4] = {"breach_to_alert", "alert_to_victim", "alert_to_dispatch",
                                         "dispatch_to_scene"};
    char path[1024], row[512];
    size_t cap[4] = {0, 0, 0, 0}, cap_in = 0;
    long line = 0;
    snprintf(path, sizeof path, "%s/latencies.csv", dir);
    FILE *f = fopen(path, "r");
    while (f && fgets(row, sizeof row, f)) {
        if (++line == 1)
            continue;
        char *comma = strchr(row, ',');
        int k = -1;
        for (int i = 0; comma && i < 4; i++)
            if ((size_t)(comma - row) == strlen(names[i]) && !strncmp(row, names[i], strlen(names[i])))
                k = i;
        char *end = NULL;
        double v = comma ? strtod(comma + 1, &end) : NAN;
        if (k < 0 || !isfinite(v) || end == comma + 1 || (*end && *end != '\n' && *end != '\r')) {
            fclose(f);
            return snprintf(err, n, "%s:%ld: expected latency,seconds", path, line), RND_EINVAL;
        }
        if (pw_grow((void **)&run->latency[k], &cap[k], run->n_latency[k] + 1, sizeof(double)) != 0) {
            fclose(f);
            return snprintf(err, n, "out of memory"), RND_ENOMEM;
        }
        run->latency[k][run->n_latency[k]++] = v;
    }
    if (f)
        fclose(f);
    for (int k = 0; k < 4; k++)
        if (run->n_latency[k])
            qsort(run->latency[k], run->n_latency[k], sizeof(double), cmp_double);
    snprintf(path, sizeof path, "%s/incidents.csv", dir);
    f = fopen(path, "r");
    line = 0;
    while (f && fgets(row, sizeof row, f)) {
        if (++line == 1)
            continue;
        long long id = 0, open = 0, wait = -1, close = INT64_MAX, disp = INT64_MAX, scene = INT64_MAX, patrol = 0;
        int case_id = 0;
        char *p = row;
        for (int field = 0; field < 9 && p; field++) {
            char *next = strchr(p, ',');
            int empty = *p == ',' || *p == '\n' || *p == '\r' || !*p;
            if (field == 0)
                id = atoll(p);
            else if (field == 1)
                case_id = atoi(p);
            else if (field == 3)
                open = atoll(p);
            else if (field == 4 && !empty)
                wait = atoll(p);
            else if (field == 5 && !empty)
                disp = atoll(p);
            else if (field == 6 && !empty)
                scene = atoll(p);
            else if (field == 7 && !empty)
                close = atoll(p);
            else if (field == 8 && !empty)
                patrol = atoll(p);
            p = next ? next + 1 : NULL;
        }
        if (open <= 0) {
            fclose(f);
            return snprintf(err, n, "%s:%ld: expected incident,case,reason,open_ms,...", path, line), RND_EINVAL;
        }
        if (pw_grow((void **)&run->incidents, &cap_in, run->n_incidents + 1, sizeof *run->incidents) != 0) {
            fclose(f);
            return snprintf(err, n, "out of memory"), RND_ENOMEM;
        }
        run->incidents[run->n_incidents++] = (struct rnd_incident){
            id, case_id, open, wait >= 0 ? open + wait : INT64_MAX, close, disp, scene, (pw_id)patrol};
    }
    if (f)
        fclose(f);
    return RND_OK;
}

/* A compact record (run --compress) keeps its fixes in the file that
 * run.geojson's "fixes" member names (fixes.csv.gz), not among its
 * features: read them there (deliver_ms,fix_ms,device,lat,lon,acc_m,
 * source,...).  RND_OK when run.geojson names none. */
static int compact_fixes(rnd_run *run, const char *dir, const char *name, char *err, size_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (strchr(name, '/') || strcmp(name, "fixes.csv.gz") != 0)
        return snprintf(err, n, "%s/run.geojson: \"fixes\": \"%s\" is not this run's fixes.csv.gz", dir, name),
               RND_EINVAL;
    FILE *in = rec_open_gz(path);
    if (!in)
        return snprintf(err, n, "%s: %s (run.geojson says the fixes are there)", path, rec_open_error(errno)),
               RND_EINVAL;
    char row[512];
    long line_no = 0;
    int rc = RND_OK;
    while (rc == RND_OK && fgets(row, sizeof row, in) && !ferror(in)) {
        if (++line_no == 1)
            continue; /* the header */
        long long t, device;
        double lat, lon;
        char acc[32], source[16];
        if (sscanf(row, "%lld,%*[^,],%lld,%lf,%lf,%31[^,],%15[^,],", &t, &device, &lat, &lon, acc, source) != 6 ||
            fabs(lat) > 90 || fabs(lon) > 180) {
            snprintf(err, n, "%s:%ld: not a fix (deliver_ms,fix_ms,device,lat,lon,acc_m,source,...)", path, line_no);
            rc = RND_EINVAL;
            break;
        }
        rnd_fix *x = GROW(fixes);
        if (!x) {
            snprintf(err, n, "out of memory reading %s", path);
            rc = RND_EINVAL;
            break;
        }
        x->device = (pw_id)device;
        x->t = (pw_time_ms)t;
        x->at = (rnd_ll){lat, lon};
        char *end;
        x->acc_m = strtod(acc, &end);
        if (end == acc || *end)
            x->acc_m = NAN; /* "nan": none claimed */
        x->coarse = !strcmp(source, "cell") || !strcmp(source, "wifi");
    }
    if (rc == RND_OK && ferror(in)) {
        snprintf(err, n, "%s: %s", path, rec_open_error(errno ? errno : EIO));
        rc = RND_EINVAL;
    }
    fclose(in);
    return rc;
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
    headline(run, rep);
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
    const char *fixes_in = json_string_value(json_object_get(gj, "fixes"));
    int crc = fixes_in ? compact_fixes(run, dir, fixes_in, err, n) : RND_OK;
    json_decref(gj);
    if (crc != RND_OK) {
        rnd_run_free(run);
        return RND_EINVAL;
    }
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
    int rc = load_values(run, dir, err, n);
    if (rc != RND_OK)
        rnd_run_free(run);
    return rc;
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
    free(run->safe);
    free(run->calls);
    for (int k = 0; k < 4; k++)
        free(run->latency[k]);
    free(run->incidents);
    memset(run, 0, sizeof *run);
}

rnd_role rnd_run_role(const rnd_run *run, pw_id device)
{
    for (size_t i = 0; i < run->n_tracks; i++)
        if (run->tracks[i].device == device)
            return run->tracks[i].role;
    return RND_OTHER;
}
