/*
 * json.c - JSON strings and numbers, CSV fields: see record.h.
 */
#include "record.h"

#include <math.h>
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
