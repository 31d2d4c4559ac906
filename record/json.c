/*
 * json.c - JSON strings and numbers, CSV fields: see record.h.
 */
#include "record.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

size_t rec_json_escape(char *buf, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
#define PUT(ch)                  \
    do {                         \
        if (n + 1 < cap)         \
            buf[n] = (char)(ch); \
        n++;                     \
    } while (0)
    PUT('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        switch (c) {
        case '"': PUT('\\'); PUT('"'); break;
        case '\\': PUT('\\'); PUT('\\'); break;
        case '\n': PUT('\\'); PUT('n'); break;
        case '\r': PUT('\\'); PUT('r'); break;
        case '\t': PUT('\\'); PUT('t'); break;
        case '\b': PUT('\\'); PUT('b'); break;
        case '\f': PUT('\\'); PUT('f'); break;
        default:
            if (c < 0x20) {
                PUT('\\'); PUT('u'); PUT('0'); PUT('0');
                PUT(hex[c >> 4]); PUT(hex[c & 15]);
            } else {
                PUT(c); /* UTF-8 passes through */
            }
        }
    }
    PUT('"');
#undef PUT
    if (cap)
        buf[n < cap ? n : cap - 1] = '\0';
    return n;
}

int rec_json_string(FILE *f, const char *s)
{
    char small[256];
    size_t n = rec_json_escape(small, sizeof small, s);
    if (n < sizeof small)
        return fwrite(small, 1, n, f) == n ? 0 : EOF;
    /* A long string: escape it in pieces through the small buffer. */
    if (fputc('"', f) == EOF)
        return EOF;
    size_t len = strlen(s);
    for (size_t i = 0; i < len; i += 32) {
        char piece[33];
        size_t k = len - i < 32 ? len - i : 32;
        memcpy(piece, s + i, k);
        piece[k] = '\0';
        size_t m = rec_json_escape(small, sizeof small, piece);
        if (fwrite(small + 1, 1, m - 2, f) != m - 2) /* without its quotes */
            return EOF;
    }
    return fputc('"', f) == EOF ? EOF : 0;
}

int rec_json_number(FILE *f, double v, int decimals)
{
    if (!isfinite(v))
        return fputs("null", f) == EOF ? EOF : 0;
    return fprintf(f, "%.*f", decimals, v) < 0 ? EOF : 0;
}

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
 * the run record and of decode.
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
    double sv = v * scale[decimals];
    if (!isfinite(v) || fabs(sv) > 9.0e18) {
        int w = snprintf(p, (size_t)(end - p) + 1, "%.*f", decimals, v);
        p += w > 0 ? (w < end - p ? w : end - p) : 0;
        *pp = p;
        return;
    }
    long long q = llround(sv);
    if (q < 0 && p < end) {
        *p++ = '-';
        q = -q;
    }
    char tmp[32];
    int n = 0;
    uint64_t ip = (uint64_t)q / iscale[decimals], fp = (uint64_t)q % iscale[decimals];
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
