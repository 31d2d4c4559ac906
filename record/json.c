/*
 * json.c - the one JSON writer, GeoJSON on it, CSV fields and fast
 * fixed-point numbers: see record.h.
 */
#include "record.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int rec_csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n"))
        return fputs(s, f) == EOF ? EOF : 0;
    if (fputc('"', f) == EOF)
        return EOF;
    for (; *s; s++) {
        if (*s == '"' && fputc('"', f) == EOF)
            return EOF;
        if (fputc(*s, f) == EOF)
            return EOF;
    }
    return fputc('"', f) == EOF ? EOF : 0;
}

/*
 * v with `decimals` digits (0..9) at *pp, never past end; advances *pp.
 * Numbers are scaled to an integer, rounded once and written by hand:
 * printf's exact binary-to-decimal conversion dominated every writer of
 * the run record and of decode.  The scaled value sv = v * 10^decimals is
 * off the exact product by at most half a unit in its last place
 * (|sv| 2^-53; 10^decimals is exact); where that could move it across a
 * rounding tie, or |sv| is too large for a fraction to remain, snprintf
 * decides, so the text is always printf's.  A negative v keeps its sign
 * when it rounds to zero ("-0.0"), as printf's does.
 */
void rec_put_fixed(char **pp, char *end, double v, int decimals)
{
    static const double scale[10] = {1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
    static const uint64_t iscale[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                        100000000, 1000000000};
    char *p = *pp;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    double a = fabs(v) * scale[decimals];
    double frac = a - floor(a);
    if (!isfinite(v) || a > 0x1p52 || fabs(frac - 0.5) <= a * 0x1p-52 + 0x1p-60) {
        int w = snprintf(p, (size_t)(end - p) + 1, "%.*f", decimals, v);
        p += w > 0 ? (w < end - p ? w : end - p) : 0;
        *pp = p;
        return;
    }
    uint64_t q = (uint64_t)llround(a);
    if (signbit(v) && p < end)
        *p++ = '-';
    char tmp[32];
    int n = 0;
    uint64_t ip = q / iscale[decimals], fp = q % iscale[decimals];
    do {
        tmp[n++] = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    while (n && p < end)
        *p++ = tmp[--n];
    if (decimals && p < end) {
        *p++ = '.';
        for (int d = decimals - 1; d >= 0 && p < end; d--) {
            *p++ = (char)('0' + fp / iscale[d]);
            fp %= iscale[d];
        }
    }
    *pp = p;
}

/* ---- the writer ---------------------------------------------------------- */

void rec_json_to_buf(rec_json *w, char *buf, size_t cap, int layout)
{
    memset(w, 0, offsetof(rec_json, own));
    w->buf = w->p = buf;
    w->end = cap ? buf + cap - 1 : buf;
    w->failed = cap == 0;
    w->spaced = (layout & REC_JSON_SPACED) != 0;
    w->flat = (layout & REC_JSON_FLAT) != 0;
}

void rec_json_to_file(rec_json *w, FILE *f, int layout)
{
    rec_json_to_buf(w, w->own, sizeof w->own, layout);
    w->f = f;
}

static void flush(rec_json *w)
{
    size_t n = (size_t)(w->p - w->buf);
    if (w->f && n) {
        if (fwrite(w->buf, 1, n, w->f) != n)
            w->failed = 1;
        w->p = w->buf;
    }
}

/* Room for n more bytes, or the writer fails. */
static int room(rec_json *w, size_t n)
{
    if (w->failed)
        return 0;
    if ((size_t)(w->end - w->p) < n)
        flush(w);
    if ((size_t)(w->end - w->p) < n)
        w->failed = 1;
    return !w->failed;
}

static inline void put(rec_json *w, const char *s, size_t n)
{
    if ((size_t)(w->end - w->p) >= n && !w->failed) {
        memcpy(w->p, s, n);
        w->p += n;
    } else if (w->f && !w->failed && n > (size_t)(w->end - w->buf)) {
        flush(w); /* longer than the whole buffer: straight to the file */
        if (!w->failed && fwrite(s, 1, n, w->f) != n)
            w->failed = 1;
    } else if (room(w, n)) {
        memcpy(w->p, s, n);
        w->p += n;
    }
}

/* Before a key, or a value that has no key: the comma. */
static void separate(rec_json *w)
{
    uint32_t bit = 1u << w->depth;
    if (w->depth && (w->has_member & bit) && !w->broke)
        put(w, w->spaced ? ", " : ",", w->spaced ? 2 : 1);
    w->has_member |= bit;
    w->broke = 0;
}

static void begin_value(rec_json *w)
{
    if (w->after_key)
        w->after_key = 0;
    else
        separate(w);
}

/* The length of the well-formed UTF-8 sequence at c (RFC 3629, table 3-7
 * of Unicode: no overlongs, no surrogates, nothing past U+10FFFF), or 0. */
static size_t utf8_valid(const unsigned char *c)
{
    unsigned char lo = 0x80, hi = 0xBF;
    size_t n;
    if (c[0] >= 0xC2 && c[0] <= 0xDF)
        n = 2;
    else if (c[0] >= 0xE0 && c[0] <= 0xEF)
        n = 3, lo = c[0] == 0xE0 ? 0xA0 : 0x80, hi = c[0] == 0xED ? 0x9F : 0xBF;
    else if (c[0] >= 0xF0 && c[0] <= 0xF4)
        n = 4, lo = c[0] == 0xF0 ? 0x90 : 0x80, hi = c[0] == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (c[1] < lo || c[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (c[i] < 0x80 || c[i] > 0xBF)
            return 0;
    return n;
}

static void quoted(rec_json *w, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(w, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c && !w->failed; c++) {
        /* A run of plain printable ASCII goes out at once (names, keys). */
        const unsigned char *run = c;
        while (*run >= 0x20 && *run < 0x80 && *run != '"' && *run != '\\')
            run++;
        if (run > c) {
            put(w, (const char *)c, (size_t)(run - c));
            c = run - 1;
            continue;
        }
        switch (*c) {
        case '"': put(w, "\\\"", 2); break;
        case '\\': put(w, "\\\\", 2); break;
        case '\n': put(w, "\\n", 2); break;
        case '\r': put(w, "\\r", 2); break;
        case '\t': put(w, "\\t", 2); break;
        case '\b': put(w, "\\b", 2); break;
        case '\f': put(w, "\\f", 2); break;
        default:
            if (*c < 0x20) {
                char u[6] = {'\\', 'u', '0', '0', hex[*c >> 4], hex[*c & 15]};
                put(w, u, 6);
            } else if (*c < 0x80) {
                put(w, (const char *)c, 1);
            } else {
                size_t n = utf8_valid(c);
                if (n) {
                    put(w, (const char *)c, n); /* UTF-8 passes through */
                    c += n - 1;
                } else {
                    put(w, "\\ufffd", 6);     /* not UTF-8: the replacement character */
                }
            }
        }
    }
    put(w, "\"", 1);
}

static void open_container(rec_json *w, char c, int array)
{
    begin_value(w);
    if (w->depth + 1 >= REC_JSON_MAX_DEPTH) {
        w->failed = 1;
        return;
    }
    put(w, &c, 1);
    w->depth++;
    uint32_t bit = 1u << w->depth;
    w->has_member &= ~bit;
    w->is_array = array ? w->is_array | bit : w->is_array & ~bit;
}

void rec_json_object(rec_json *w) { open_container(w, '{', 0); }
void rec_json_array(rec_json *w) { open_container(w, '[', 1); }

void rec_json_end(rec_json *w)
{
    if (w->depth == 0) {
        w->failed = 1;
        return;
    }
    put(w, (w->is_array >> w->depth) & 1 ? "]" : "}", 1);
    w->depth--;
    w->broke = 0;
    w->after_key = 0;
}

static void indent(rec_json *w, unsigned levels)
{
    put(w, "\n", 1);
    for (unsigned i = 0; i < levels; i++)
        put(w, "  ", 2);
}

void rec_json_newline(rec_json *w)
{
    if (w->depth && (w->has_member >> w->depth) & 1 && !w->broke)
        put(w, ",", 1);
    indent(w, w->flat ? 0 : w->depth);
    w->broke = 1;
}

void rec_json_end_newline(rec_json *w)
{
    if (w->depth)
        indent(w, w->flat ? 0 : w->depth - 1);
    rec_json_end(w);
}

void rec_json_key(rec_json *w, const char *key)
{
    separate(w);
    quoted(w, key);
    put(w, w->spaced ? ": " : ":", w->spaced ? 2 : 1);
    w->after_key = 1;
}

void rec_json_str(rec_json *w, const char *s)
{
    begin_value(w);
    quoted(w, s);
}

void rec_json_fixed(rec_json *w, double v, int decimals)
{
    begin_value(w);
    if (!isfinite(v))
        put(w, "null", 4);
    else if (room(w, fabs(v) < 1e30 ? 40 : 400)) /* %.9f of 1e308 is 319 bytes */
        rec_put_fixed(&w->p, w->end, v, decimals);
}

void rec_json_sig(rec_json *w, double v, int digits)
{
    begin_value(w);
    char tmp[64];
    int n = isfinite(v) ? snprintf(tmp, sizeof tmp, "%.*g", digits, v) : snprintf(tmp, sizeof tmp, "null");
    put(w, tmp, (size_t)n);
}

void rec_put_int(char **pp, char *end, int64_t v)
{
    char tmp[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[sizeof tmp - 1 - n++] = '-';
    for (int i = 0; i < n && *pp < end; i++)
        *(*pp)++ = tmp[sizeof tmp - n + i];
}

void rec_json_uint(rec_json *w, uint64_t v)
{
    begin_value(w);
    char tmp[24];
    int n = 0;
    do {
        tmp[sizeof tmp - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(w, tmp + sizeof tmp - n, (size_t)n);
}

void rec_json_int(rec_json *w, int64_t v)
{
    begin_value(w);
    char tmp[24], *p = tmp;
    rec_put_int(&p, tmp + sizeof tmp, v);
    put(w, tmp, (size_t)(p - tmp));
}

void rec_json_bool(rec_json *w, int v)
{
    begin_value(w);
    put(w, v ? "true" : "false", v ? 4 : 5);
}

void rec_json_null(rec_json *w)
{
    begin_value(w);
    put(w, "null", 4);
}

void rec_json_text(rec_json *w, const char *raw)
{
    put(w, raw, strlen(raw));
}

void rec_json_kstr(rec_json *w, const char *key, const char *s)
{
    rec_json_key(w, key);
    rec_json_str(w, s);
}

void rec_json_kfixed(rec_json *w, const char *key, double v, int decimals)
{
    rec_json_key(w, key);
    rec_json_fixed(w, v, decimals);
}

void rec_json_kint(rec_json *w, const char *key, int64_t v)
{
    rec_json_key(w, key);
    rec_json_int(w, v);
}

void rec_json_kuint(rec_json *w, const char *key, uint64_t v)
{
    rec_json_key(w, key);
    rec_json_uint(w, v);
}

void rec_json_kbool(rec_json *w, const char *key, int v)
{
    rec_json_key(w, key);
    rec_json_bool(w, v);
}

int rec_json_finish(rec_json *w)
{
    if (w->f)
        flush(w);
    else if (w->buf)
        *w->p = '\0';
    return w->failed || w->depth ? -1 : 0;
}

size_t rec_json_len(const rec_json *w)
{
    return (size_t)(w->p - w->buf);
}

/* ---- GeoJSON ------------------------------------------------------------- */

void rec_geojson_begin_with(rec_geojson *g, FILE *f, const char *key, const char *value)
{
    rec_json_to_file(&g->w, f, REC_JSON_COMPACT | REC_JSON_FLAT);
    rec_json_object(&g->w);
    rec_json_key(&g->w, "type");
    rec_json_str(&g->w, "FeatureCollection");
    if (key)
        rec_json_kstr(&g->w, key, value);
    rec_json_key(&g->w, "features");
    rec_json_array(&g->w);
}

void rec_geojson_begin(rec_geojson *g, FILE *f)
{
    rec_geojson_begin_with(g, f, NULL, NULL);
}

static void position(rec_json *w, const double *lonlat)
{
    rec_json_array(w);
    rec_json_fixed(w, lonlat[0], 7);
    rec_json_fixed(w, lonlat[1], 7);
    rec_json_end(w);
}

void rec_geojson_feature(rec_geojson *g, rec_geometry type, const double *lonlat, size_t n)
{
    static const char *const names[] = {"Point", "LineString", "Polygon"};
    rec_json *w = &g->w;
    rec_json_newline(w);
    rec_json_object(w);
    rec_json_key(w, "type");
    rec_json_str(w, "Feature");
    rec_json_key(w, "geometry");
    rec_json_object(w);
    rec_json_key(w, "type");
    rec_json_str(w, names[type]);
    rec_json_key(w, "coordinates");
    if (type == REC_GEO_POINT) {
        position(w, lonlat);
    } else {
        rec_json_array(w);
        if (type == REC_GEO_POLYGON)
            rec_json_array(w);
        for (size_t i = 0; i < n; i++)
            position(w, lonlat + 2 * i);
        if (type == REC_GEO_POLYGON)
            rec_json_end(w);
        rec_json_end(w);
    }
    rec_json_end(w);
    rec_json_key(w, "properties");
    rec_json_object(w);
}

void rec_geojson_feature_end(rec_geojson *g)
{
    rec_json_end(&g->w); /* properties */
    rec_json_end(&g->w); /* the feature */
}

int rec_geojson_end(rec_geojson *g)
{
    rec_json_end_newline(&g->w);
    rec_json_end(&g->w);
    rec_json_text(&g->w, "\n");
    return rec_json_finish(&g->w);
}
