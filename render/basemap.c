/*
 * basemap.c - Seoul under a run: the 25 districts with their Korean names,
 * the subway lines through their stations, the major streets of central
 * Seoul.  Sources and licences: render/README.md.
 */
#include "render.h"
#include "pw_grow.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The official line colours (Seoul Metro, Korail, Seoul Metro Line 9). */
uint32_t rnd_line_colour(int line)
{
    static const uint32_t c[10] = {0x999999, 0x0052A4, 0x00A84D, 0xEF7C1C, 0x00A5DE,
                                   0x996CAC, 0xCD7C2F, 0x747F00, 0xE6186C, 0xBDB092};
    return line >= 1 && line <= 9 ? c[line] : c[0];
}

static json_t *load_json(const char *path, char *err, size_t n)
{
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    if (!j)
        snprintf(err, n, "%s:%d: %s", path, e.line, e.text);
    return j;
}

static int ring_of(json_t *arr, rnd_ll **out, size_t *n)
{
    size_t k = json_array_size(arr);
    if (k < 2)
        return -1;
    rnd_ll *p = calloc(k, sizeof *p);
    if (!p)
        return -1;
    for (size_t i = 0; i < k; i++) {
        json_t *pt = json_array_get(arr, i);
        p[i].lon = json_number_value(json_array_get(pt, 0));
        p[i].lat = json_number_value(json_array_get(pt, 1));
    }
    *out = p;
    *n = k;
    return 0;
}

/* Shoelace area (degrees squared, unsigned) and centroid of a ring. */
static double ring_area(const rnd_ll *p, size_t n, rnd_ll *centroid)
{
    double a = 0, cx = 0, cy = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        double cr = p[i].lon * p[i + 1].lat - p[i + 1].lon * p[i].lat;
        a += cr;
        cx += (p[i].lon + p[i + 1].lon) * cr;
        cy += (p[i].lat + p[i + 1].lat) * cr;
    }
    if (centroid && a != 0) {
        centroid->lon = cx / (3 * a);
        centroid->lat = cy / (3 * a);
    }
    return fabs(a / 2);
}

static int load_districts(rnd_basemap *b, const char *path, char *err, size_t n)
{
    json_t *j = load_json(path, err, n);
    if (!j)
        return RND_EINVAL;
    json_t *feats = json_object_get(j, "features");
    size_t k = json_array_size(feats);
    b->districts = calloc(k ? k : 1, sizeof *b->districts);
    if (!b->districts) {
        json_decref(j);
        return snprintf(err, n, "out of memory"), RND_ENOMEM;
    }
    for (size_t i = 0; i < k; i++) {
        json_t *f = json_array_get(feats, i), *g = json_object_get(f, "geometry");
        const char *type = json_string_value(json_object_get(g, "type"));
        json_t *coords = json_object_get(g, "coordinates");
        /* The outer ring of the largest polygon: a district's islands and
         * holes are not worth a basemap's ink. */
        size_t np = type && !strcmp(type, "MultiPolygon") ? json_array_size(coords) : 1;
        rnd_district *d = &b->districts[b->n_districts];
        double best = -1;
        for (size_t q = 0; q < np; q++) {
            json_t *poly = type && !strcmp(type, "MultiPolygon") ? json_array_get(coords, q) : coords;
            rnd_ll *ring;
            size_t rn;
            if (ring_of(json_array_get(poly, 0), &ring, &rn) != 0)
                continue;
            rnd_ll c = ring[0];
            double a = ring_area(ring, rn, &c);
            if (a > best) {
                free(d->ring);
                d->ring = ring;
                d->n = rn;
                d->label = c;
                best = a;
            } else {
                free(ring);
            }
        }
        if (!d->ring) {
            json_decref(j);
            return snprintf(err, n, "%s: feature %zu: no polygon", path, i + 1), RND_EINVAL;
        }
        const char *name = json_string_value(json_object_get(json_object_get(f, "properties"), "name"));
        snprintf(d->name, sizeof d->name, "%s", name ? name : "");
        b->n_districts++;
    }
    json_decref(j);
    return b->n_districts ? RND_OK : (snprintf(err, n, "%s: no districts", path), RND_EINVAL);
}

static int load_streets(rnd_basemap *b, const char *path, char *err, size_t n)
{
    json_t *j = load_json(path, err, n);
    if (!j)
        return RND_EINVAL;
    json_t *feats = json_object_get(j, "features");
    size_t k = json_array_size(feats);
    b->streets = calloc(k ? k : 1, sizeof *b->streets);
    if (!b->streets) {
        json_decref(j);
        return snprintf(err, n, "out of memory"), RND_ENOMEM;
    }
    for (size_t i = 0; i < k; i++) {
        json_t *f = json_array_get(feats, i);
        const char *h = json_string_value(json_object_get(json_object_get(f, "properties"), "highway"));
        rnd_street *s = &b->streets[b->n_streets];
        s->rank = !h ? 3 : strstr(h, "motorway") || strstr(h, "trunk") ? 0 : strstr(h, "primary") ? 1
                : strstr(h, "secondary") ? 2 : 3;
        if (ring_of(json_object_get(json_object_get(f, "geometry"), "coordinates"), &s->pts, &s->n) == 0)
            b->n_streets++;
    }
    json_decref(j);
    return RND_OK;
}

/* The station table: line,station,lat,lon (a header row first; the line
 * as "2호선" or "2"). */
static int load_stations(rnd_basemap *b, const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return snprintf(err, n, "%s: cannot open", path), RND_EINVAL;
    char row[512];
    size_t cap = 0;
    long line_no = 0;
    while (fgets(row, sizeof row, f)) {
        line_no++;
        char *name = strchr(row, ',');
        if (!name || line_no == 1)
            continue; /* the header */
        *name++ = '\0';
        char *lat = strchr(name, ',');
        if (!lat)
            continue;
        *lat++ = '\0';
        char *end;
        rnd_station st;
        memset(&st, 0, sizeof st);
        st.line = (int)strtol(row, &end, 10);
        st.at.lat = strtod(lat, &end);
        if (*end != ',')
            return fclose(f), snprintf(err, n, "%s:%ld: expected line,station,lat,lon", path, line_no), RND_EINVAL;
        st.at.lon = strtod(end + 1, NULL);
        snprintf(st.name, sizeof st.name, "%s", name);
        if (pw_grow((void **)&b->stations, &cap, b->n_stations + 1, sizeof st) != 0)
            return fclose(f), snprintf(err, n, "out of memory"), RND_ENOMEM;
        b->stations[b->n_stations++] = st;
    }
    fclose(f);
    return RND_OK;
}

/* Each line as the minimum spanning tree of its stations (Prim's, in a
 * local metric): the table gives no riding order, and the tree follows the
 * track closely, branches included (a loop loses one edge). */
static int line_trees(rnd_basemap *b)
{
    size_t cap = 0;
    size_t *idx = malloc((b->n_stations ? b->n_stations : 1) * sizeof *idx);
    double *dist = malloc((b->n_stations ? b->n_stations : 1) * sizeof *dist);
    size_t *from = malloc((b->n_stations ? b->n_stations : 1) * sizeof *from);
    if (!idx || !dist || !from) {
        free(idx), free(dist), free(from);
        return RND_ENOMEM;
    }
    for (int line = 1; line <= 9; line++) {
        size_t m = 0;
        for (size_t i = 0; i < b->n_stations; i++)
            if (b->stations[i].line == line)
                idx[m++] = i;
        if (m < 2)
            continue;
        const double kx = cos(37.55 * M_PI / 180.0);
        for (size_t i = 0; i < m; i++) {
            dist[i] = INFINITY;
            from[i] = 0;
        }
        dist[0] = -1; /* in the tree */
        size_t last = 0;
        for (size_t step = 1; step < m; step++) {
            size_t best = 0;
            double bd = INFINITY;
            for (size_t i = 0; i < m; i++) {
                if (dist[i] < 0)
                    continue;
                const rnd_ll *p = &b->stations[idx[i]].at, *q = &b->stations[idx[last]].at;
                double d = hypot((p->lon - q->lon) * kx, p->lat - q->lat);
                if (d < dist[i]) {
                    dist[i] = d;
                    from[i] = last;
                }
                if (dist[i] < bd) {
                    bd = dist[i];
                    best = i;
                }
            }
            dist[best] = -1;
            if (pw_grow((void **)&b->edges, &cap, b->n_edges + 1, sizeof *b->edges) != 0) {
                free(idx), free(dist), free(from);
                return RND_ENOMEM;
            }
            b->edges[b->n_edges++] = (rnd_edge){idx[from[best]], idx[best]};
            last = best;
        }
    }
    free(idx), free(dist), free(from);
    return RND_OK;
}

int rnd_basemap_load(rnd_basemap *b, const char *dir, char *err, size_t n)
{
    memset(b, 0, sizeof *b);
    char path[1024];
    int rc;
    snprintf(path, sizeof path, "%s/seoul_districts.geojson", dir ? dir : PW_RENDER_DATA);
    if ((rc = load_districts(b, path, err, n)) != RND_OK)
        goto fail;
    snprintf(path, sizeof path, "%s/seoul_central_streets.geojson", dir ? dir : PW_RENDER_DATA);
    if ((rc = load_streets(b, path, err, n)) != RND_OK)
        goto fail;
    if (dir)
        snprintf(path, sizeof path, "%s/seoul_subway_stations.csv", dir);
    else
        snprintf(path, sizeof path, "%s", PW_STATIONS_CSV);
    if ((rc = load_stations(b, path, err, n)) != RND_OK)
        goto fail;
    if ((rc = line_trees(b)) != RND_OK) {
        snprintf(err, n, "out of memory");
        goto fail;
    }
    return RND_OK;
fail:
    rnd_basemap_free(b);
    return rc;
}

void rnd_basemap_free(rnd_basemap *b)
{
    for (size_t i = 0; i < b->n_districts; i++)
        free(b->districts[i].ring);
    for (size_t i = 0; i < b->n_streets; i++)
        free(b->streets[i].pts);
    free(b->districts);
    free(b->streets);
    free(b->stations);
    free(b->edges);
    memset(b, 0, sizeof *b);
}
