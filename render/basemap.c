/*
 * basemap.c - Seoul under a run: the 25 districts with their Korean names,
 * the subway lines through their stations, the major streets of central
 * Seoul.  Sources and licences: render/README.md.
 */
#include "render.h"
#include "pw_grow.h"

#include <expat.h>
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

/* A GeoJSON FeatureCollection's features, and room for one element of
 * `size` bytes each in *arr; NULL (err says why) when it cannot be read. */
static json_t *features(const char *path, void **arr, size_t size, size_t *k, char *err, size_t n)
{
    json_t *j = load_json(path, err, n);
    if (!j)
        return NULL;
    *k = json_array_size(json_object_get(j, "features"));
    *arr = calloc(*k ? *k : 1, size);
    if (!*arr) {
        json_decref(j);
        snprintf(err, n, "out of memory");
        return NULL;
    }
    return j;
}

static int load_districts(rnd_basemap *b, const char *path, char *err, size_t n)
{
    size_t k;
    json_t *j = features(path, (void **)&b->districts, sizeof *b->districts, &k, err, n);
    if (!j)
        return RND_EINVAL;
    json_t *feats = json_object_get(j, "features");
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
    size_t k;
    json_t *j = features(path, (void **)&b->streets, sizeof *b->streets, &k, err, n);
    if (!j)
        return RND_EINVAL;
    json_t *feats = json_object_get(j, "features");
    b->cap_streets = k ? k : 1;
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

/* ---- OpenStreetMap XML (expat) ------------------------------------------ */

typedef struct osm_node {
    long long id;
    rnd_ll at;
} osm_node;

typedef struct osm_reader {
    XML_Parser xp;
    osm_node *nodes;
    size_t n_nodes, cap_nodes;
    long long *refs;             /* the open way's node references */
    size_t n_refs, cap_refs;
    char highway[32];
    int in_way;
    int sorted;                  /* nodes sorted by id (OSM lists them before ways) */
    long way_line;               /* where the open way began */
    rnd_basemap *b;
    size_t cap_streets;
    int failed;                  /* memory, or a way with a node not in the file */
    char why[160];
} osm_reader;

static const char *attr(const XML_Char **a, const char *name)
{
    for (; a && a[0]; a += 2)
        if (!strcmp(a[0], name))
            return a[1];
    return NULL;
}

static int cmp_node(const void *x, const void *y)
{
    long long a = ((const osm_node *)x)->id, b = ((const osm_node *)y)->id;
    return (a > b) - (a < b);
}

static int street_rank(const char *h)
{
    return strstr(h, "motorway") || strstr(h, "trunk") ? 0 : strstr(h, "primary") ? 1 : strstr(h, "secondary") ? 2
         : strstr(h, "tertiary")                         ? 3
                                                         : -1;
}

static void XMLCALL osm_start(void *ud, const XML_Char *el, const XML_Char **a)
{
    osm_reader *r = ud;
    if (r->failed)
        return;
    if (!strcmp(el, "node") && !r->in_way) {
        const char *id = attr(a, "id"), *lat = attr(a, "lat"), *lon = attr(a, "lon");
        if (!id || !lat || !lon)
            return;
        if (pw_grow((void **)&r->nodes, &r->cap_nodes, r->n_nodes + 1, sizeof *r->nodes) != 0) {
            r->failed = 1;
            snprintf(r->why, sizeof r->why, "out of memory");
            return;
        }
        r->nodes[r->n_nodes++] = (osm_node){atoll(id), {atof(lat), atof(lon)}};
        r->sorted = 0;
    } else if (!strcmp(el, "way")) {
        if (!r->sorted) {
            qsort(r->nodes, r->n_nodes, sizeof *r->nodes, cmp_node);
            r->sorted = 1;
        }
        r->in_way = 1;
        r->n_refs = 0;
        r->highway[0] = '\0';
        r->way_line = (long)XML_GetCurrentLineNumber(r->xp);
    } else if (r->in_way && !strcmp(el, "nd")) {
        const char *ref = attr(a, "ref");
        if (ref && pw_grow((void **)&r->refs, &r->cap_refs, r->n_refs + 1, sizeof *r->refs) == 0)
            r->refs[r->n_refs++] = atoll(ref);
    } else if (r->in_way && !strcmp(el, "tag")) {
        const char *k = attr(a, "k"), *v = attr(a, "v");
        if (k && v && !strcmp(k, "highway"))
            snprintf(r->highway, sizeof r->highway, "%s", v);
    }
}

static void XMLCALL osm_end(void *ud, const XML_Char *el)
{
    osm_reader *r = ud;
    if (r->failed || strcmp(el, "way") != 0)
        return;
    r->in_way = 0;
    int rank = r->highway[0] ? street_rank(r->highway) : -1;
    if (rank < 0 || r->n_refs < 2)
        return; /* not a street the map draws */
    rnd_ll *pts = calloc(r->n_refs, sizeof *pts);
    if (!pts || pw_grow((void **)&r->b->streets, &r->cap_streets, r->b->n_streets + 1, sizeof *r->b->streets) != 0) {
        free(pts);
        r->failed = 1;
        snprintf(r->why, sizeof r->why, "out of memory");
        return;
    }
    for (size_t i = 0; i < r->n_refs; i++) {
        osm_node key = {r->refs[i], {0, 0}};
        const osm_node *hit = bsearch(&key, r->nodes, r->n_nodes, sizeof *r->nodes, cmp_node);
        if (!hit) {
            free(pts);
            r->failed = 1;
            snprintf(r->why, sizeof r->why, "line %ld: a way uses node %lld, which the file does not have",
                     r->way_line, r->refs[i]);
            return;
        }
        pts[i] = hit->at;
    }
    r->b->streets[r->b->n_streets++] = (rnd_street){rank, pts, r->n_refs};
}

int rnd_basemap_add_osm(rnd_basemap *b, const char *path, char *err, size_t n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return snprintf(err, n, "%s: cannot open", path), RND_EINVAL;
    osm_reader r;
    memset(&r, 0, sizeof r);
    r.b = b;
    r.cap_streets = b->cap_streets;
    r.xp = XML_ParserCreate("UTF-8");
    if (!r.xp) {
        fclose(f);
        return snprintf(err, n, "out of memory"), RND_ENOMEM;
    }
    XML_SetUserData(r.xp, &r);
    XML_SetElementHandler(r.xp, osm_start, osm_end);
    char buf[65536];
    int rc = RND_OK;
    for (;;) {
        size_t got = fread(buf, 1, sizeof buf, f);
        int last = got < sizeof buf;
        if (XML_Parse(r.xp, buf, (int)got, last) == XML_STATUS_ERROR) {
            snprintf(err, n, "%s:%lu: %s", path, (unsigned long)XML_GetCurrentLineNumber(r.xp),
                     XML_ErrorString(XML_GetErrorCode(r.xp)));
            rc = RND_EINVAL;
            break;
        }
        if (r.failed) {
            snprintf(err, n, "%s: %s", path, r.why);
            rc = RND_EINVAL;
            break;
        }
        if (last)
            break;
    }
    XML_ParserFree(r.xp);
    fclose(f);
    free(r.nodes);
    free(r.refs);
    b->cap_streets = r.cap_streets;
    return rc;
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
    snprintf(path, sizeof path, "%s/yeouido_streets.osm", dir ? dir : PW_RENDER_DATA);
    if ((rc = rnd_basemap_add_osm(b, path, err, n)) != RND_OK)
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
