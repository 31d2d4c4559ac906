/*
 * test_record.c - the writers' common ground: JSON strings and numbers,
 * CSV fields.  Expected texts are written out by hand from RFC 8259
 * (JSON) and RFC 4180 (CSV).  The gzip'd files (record/gz.c) are read
 * back with zlib's own gzread, and their header checked against RFC 1952.
 */
#include "record.h"
#include "test_util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char *through_file(int (*fn)(FILE *, const char *), const char *s)
{
    static char buf[8192];
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    CU_ASSERT_EQUAL(fn(f, s), 0);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* A string value through the writer, into a FILE (its own buffer flushes
 * as it fills) or into a buffer. */
static int str_to_file(FILE *f, const char *s)
{
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_COMPACT);
    rec_json_str(&w, s);
    return rec_json_finish(&w);
}

static const char *str_to_buf(const char *s)
{
    static char buf[4096];
    rec_json w;
    rec_json_to_buf(&w, buf, sizeof buf, REC_JSON_COMPACT);
    rec_json_str(&w, s);
    CU_ASSERT_EQUAL(rec_json_finish(&w), 0);
    return buf;
}

static void test_json_strings(void)
{
    static const struct {
        const char *in, *want;
    } table[] = {
        {"plain", "\"plain\""},
        {"", "\"\""},
        {"Tom \"T\" Cat", "\"Tom \\\"T\\\" Cat\""},          /* RFC 8259 7: quotation mark */
        {"C:\\runs", "\"C:\\\\runs\""},                     /* reverse solidus */
        {"a\nb\tc\rd", "\"a\\nb\\tc\\rd\""},                /* the two-character escapes */
        {"\b\f", "\"\\b\\f\""},
        {"\x01\x1f", "\"\\u0001\\u001f\""},                 /* other controls: \u00XX */
        {"서울 강남", "\"서울 강남\""},                       /* UTF-8 passes through */
        {"a/b", "\"a/b\""},                                 /* solidus needs no escape */
        /* Not UTF-8 (RFC 8259 8.1: JSON text is UTF-8): each byte that does
         * not start a well-formed sequence becomes U+FFFD.  By hand: a lone
         * continuation byte, a truncated 2-byte lead, an overlong "/"
         * (C0 AF), a surrogate (ED A0 80), beyond U+10FFFF (F4 90 80 80). */
        {"bad \xff\xfe", "\"bad \\ufffd\\ufffd\""},
        {"v\xc3", "\"v\\ufffd\""},
        {"\x80x", "\"\\ufffdx\""},
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"\xf0\x9f\x9a\x93 \xe2\x82\xac", "\"\xf0\x9f\x9a\x93 \xe2\x82\xac\""}, /* 4- and 3-byte: kept */
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CU_ASSERT_STRING_EQUAL(str_to_buf(table[i].in), table[i].want);
        CU_ASSERT_STRING_EQUAL(through_file(str_to_file, table[i].in), table[i].want);
    }
    /* A long string with quotes, longer than the FILE writer's own buffer,
     * comes out whole: every 7th character a quote, escaped (by hand:
     * 6000 characters, 858 of them quotes, 2 more bytes: 6860). */
    static char longs[6001];
    for (int i = 0; i < 6000; i++)
        longs[i] = i % 7 == 0 ? '"' : (char)('a' + i % 26);
    longs[6000] = '\0';
    const char *out = through_file(str_to_file, longs);
    CU_ASSERT_EQUAL(strlen(out), 6000 + 858 + 2);
    CU_ASSERT_EQUAL(strncmp(out, "\"\\\"bcdefg\\\"", 11), 0);
    /* One run of 6,000 plain characters, longer than that buffer in one
     * piece: the same 6,000 between quotes. */
    memset(longs, 'k', 6000);
    out = through_file(str_to_file, longs);
    CU_ASSERT_EQUAL(strlen(out), 6002);
    CU_ASSERT(out[0] == '"' && out[1] == 'k' && out[6000] == 'k' && out[6001] == '"');
}

static int number_3(FILE *f, const char *s)
{
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_COMPACT);
    rec_json_fixed(&w, strtod(s, NULL), 3);
    return rec_json_finish(&w);
}

static void test_json_numbers(void)
{
    CU_ASSERT_STRING_EQUAL(through_file(number_3, "2.5"), "2.500");
    /* -0.0005 is stored as -0.000500000000000000010..., a hair beyond the
     * half: it rounds to -0.001. */
    CU_ASSERT_STRING_EQUAL(through_file(number_3, "-0.0005"), "-0.001");
    CU_ASSERT_STRING_EQUAL(through_file(number_3, "nan"), "null");
    CU_ASSERT_STRING_EQUAL(through_file(number_3, "inf"), "null");
    CU_ASSERT_STRING_EQUAL(through_file(number_3, "-inf"), "null");
}

/* xorshift64*: a fixed stream of test values, the same on every run. */
static uint64_t next_u64(uint64_t *st)
{
    *st ^= *st >> 12;
    *st ^= *st << 25;
    *st ^= *st >> 27;
    return *st * 2685821657736338717ULL;
}

/* rec_put_fixed must write exactly what printf's %.*f writes: compared on
 * 2.4 million values of the kinds the outputs hold (coordinates, metres,
 * seconds, probabilities), values on and next to rounding ties (k + 0.5
 * over a power of ten, and their neighbours one ulp away), negatives that
 * round to zero, and random bit patterns of every magnitude. */
static void test_fixed_matches_printf(void)
{
    uint64_t st = 0x9e3779b97f4a7c15ULL;
    size_t mismatches = 0, n = 0;
    char want[512], got[512];
    for (int i = 0; i < 400000; i++) {
        double u = (double)(next_u64(&st) >> 11) * 0x1p-53;
        uint64_t bits = next_u64(&st);
        double any;
        memcpy(&any, &bits, sizeof any);
        double k = floor(u * 2e6) - 1e6;
        double vals[6] = {
            37.0 + u,                                   /* a latitude */
            (u - 0.5) * 2e5,                            /* metres, either sign */
            (k + 0.5) / 1000.0,                         /* a tie at 3 decimals */
            nextafter((k + 0.5) / 10.0, INFINITY),      /* one ulp past a tie */
            -u * 1e-3,                                  /* rounds to -0.0... */
            isfinite(any) ? any : u,                    /* any magnitude */
        };
        for (int j = 0; j < 6; j++) {
            int dec = (int)(next_u64(&st) % 10);
            snprintf(want, sizeof want, "%.*f", dec, vals[j]);
            char *p = got;
            rec_put_fixed(&p, got + sizeof got - 1, vals[j], dec);
            *p = '\0';
            n++;
            if (strcmp(want, got) != 0 && mismatches++ < 5)
                fprintf(stderr, "\n  %.17g with %d decimals: printf %s, rec_put_fixed %s", vals[j], dec, want, got);
        }
    }
    CU_ASSERT_EQUAL(n, 2400000);
    CU_ASSERT_EQUAL(mismatches, 0);
    /* By hand: 2.5 is exact, printf rounds the tie to even; 0.125 too. */
    char buf[32], *p = buf;
    rec_put_fixed(&p, buf + sizeof buf - 1, 2.5, 0);
    *p = '\0';
    CU_ASSERT_STRING_EQUAL(buf, "2");
    p = buf;
    rec_put_fixed(&p, buf + sizeof buf - 1, -0.04, 1);
    *p = '\0';
    CU_ASSERT_STRING_EQUAL(buf, "-0.0");
}

static char *writer_text(void (*fill)(rec_json *), int layout, int *rc)
{
    static char buf[1024];
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    rec_json w;
    rec_json_to_file(&w, f, layout);
    fill(&w);
    *rc = rec_json_finish(&w);
    rewind(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void fill_report_like(rec_json *w)
{
    rec_json_object(w);
    rec_json_newline(w);
    rec_json_key(w, "scenario");
    rec_json_str(w, "Kim \"K\", \\ 서울\n");
    rec_json_newline(w);
    rec_json_key(w, "p");
    rec_json_object(w);
    rec_json_key(w, "a");
    rec_json_fixed(w, 0.5, 3);
    rec_json_key(w, "b");
    rec_json_fixed(w, NAN, 1);
    rec_json_key(w, "c");
    rec_json_int(w, -12);
    rec_json_key(w, "d");
    rec_json_array(w);
    rec_json_uint(w, 18446744073709551615ULL);
    rec_json_bool(w, 1);
    rec_json_null(w);
    rec_json_sig(w, 16.8434999, 6);
    rec_json_sig(w, INFINITY, 6);
    rec_json_end(w);
    rec_json_end(w);
    rec_json_newline(w);
    rec_json_key(w, "lat");
    rec_json_object(w);
    rec_json_newline(w);
    rec_json_key(w, "x");
    rec_json_fixed(w, -0.0, 1);
    rec_json_end_newline(w);
    rec_json_end_newline(w);
    rec_json_text(w, "\n");
}

/* The writer places commas, spaces and line breaks as written out by hand
 * below (RFC 8259 syntax; escapes as in test_json_strings). */
static void test_json_writer(void)
{
    int rc;
    CU_ASSERT_STRING_EQUAL(writer_text(fill_report_like, REC_JSON_SPACED, &rc),
                           "{\n"
                           "  \"scenario\": \"Kim \\\"K\\\", \\\\ 서울\\n\",\n"
                           "  \"p\": {\"a\": 0.500, \"b\": null, \"c\": -12, "
                           "\"d\": [18446744073709551615, true, null, 16.8435, null]},\n"
                           "  \"lat\": {\n"
                           "    \"x\": -0.0\n"
                           "  }\n"
                           "}\n");
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_STRING_EQUAL(writer_text(fill_report_like, REC_JSON_COMPACT, &rc),
                           "{\n"
                           "  \"scenario\":\"Kim \\\"K\\\", \\\\ 서울\\n\",\n"
                           "  \"p\":{\"a\":0.500,\"b\":null,\"c\":-12,"
                           "\"d\":[18446744073709551615,true,null,16.8435,null]},\n"
                           "  \"lat\":{\n"
                           "    \"x\":-0.0\n"
                           "  }\n"
                           "}\n");
    /* A buffer too small: the writer fails and keeps a NUL-terminated
     * prefix; one that fits exactly is fine. */
    char small[8];
    rec_json w;
    rec_json_to_buf(&w, small, sizeof small, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_key(&w, "name");
    rec_json_str(&w, "long");
    rec_json_end(&w);
    CU_ASSERT_EQUAL(rec_json_finish(&w), -1);
    CU_ASSERT(strlen(small) < sizeof small);
    char fits[16];
    rec_json_to_buf(&w, fits, sizeof fits, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_key(&w, "n");
    rec_json_str(&w, "abcdefghi");   /* {"n":"abcdefghi"} is 17 bytes: too many */
    rec_json_end(&w);
    CU_ASSERT_EQUAL(rec_json_finish(&w), -1);
    rec_json_to_buf(&w, fits, sizeof fits, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_key(&w, "n");
    rec_json_str(&w, "abcdefg");     /* 15 bytes and the NUL */
    rec_json_end(&w);
    CU_ASSERT_EQUAL(rec_json_finish(&w), 0);
    CU_ASSERT_STRING_EQUAL(fits, "{\"n\":\"abcdefg\"}");
    CU_ASSERT_EQUAL(rec_json_len(&w), 15);
    /* Unbalanced: a container left open, or closed twice. */
    rec_json_to_buf(&w, fits, sizeof fits, REC_JSON_COMPACT);
    rec_json_array(&w);
    CU_ASSERT_EQUAL(rec_json_finish(&w), -1);
    rec_json_to_buf(&w, fits, sizeof fits, REC_JSON_COMPACT);
    rec_json_end(&w);
    CU_ASSERT_EQUAL(rec_json_finish(&w), -1);
    /* A FILE writer's output longer than its own buffer comes out whole. */
    FILE *f = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    rec_json_to_file(&w, f, REC_JSON_COMPACT);
    rec_json_array(&w);
    for (int i = 0; i < 3000; i++)
        rec_json_fixed(&w, i * 0.5, 1);
    rec_json_end(&w);
    CU_ASSERT_EQUAL(rec_json_finish(&w), 0);
    long size = ftell(f);
    /* By hand: "0.0".."9.5" are 20 numbers of 3 bytes, "10.0".."99.5" 180
     * of 4, "100.0".."999.5" 1800 of 5, "1000.0".."1499.5" 1000 of 6; 2999
     * commas and the brackets: 60 + 720 + 9000 + 6000 + 2999 + 2 = 18781. */
    CU_ASSERT_EQUAL(size, 18781);
    fclose(f);
}

static void test_csv_fields(void)
{
    static const struct {
        const char *in, *want;
    } table[] = {
        {"victim", "victim"},
        {"Kim, Jr.", "\"Kim, Jr.\""},              /* RFC 4180 2.6: a comma */
        {"say \"hi\"", "\"say \"\"hi\"\"\""},      /* 2.7: quotes doubled */
        {"two\nlines", "\"two\nlines\""},           /* 2.6: line breaks */
        {"", ""},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        CU_ASSERT_STRING_EQUAL(through_file(rec_csv_field, table[i].in), table[i].want);
}


/* ---- gzip'd files ------------------------------------------------------ */

/* Lines of varied text, n bytes in all (more than the writer's queue of
 * four 1 MiB chunks holds, so the writer waits for its thread). */
static char *some_text(size_t n)
{
    char *t = malloc(n + 64);
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    size_t k = 0;
    unsigned x = 12345;
    while (k < n) {
        x = x * 1103515245u + 12345u;
        k += (size_t)snprintf(t + k, 64, "%u,%u,37.%07u,127.%07u,gnss\n", (unsigned)k, x >> 20, x % 9999999u,
                              (x >> 3) % 9999999u);
    }
    t[n] = '\0';
    return t;
}

/* Written in uneven pieces, as a writer writes; step chooses the pattern. */
static int write_gz_in(const char *dir, const char *name, const char *text, size_t n, size_t step, char *err,
                       size_t errlen)
{
    FILE *f = rec_part_open_gz(dir, name, err, errlen);
    if (!f)
        return -1;
    for (size_t at = 0, piece = 1; at < n; at += piece, piece = piece * step % 70001 + 1)
        fwrite(text + at, 1, at + piece <= n ? piece : n - at, f);
    return rec_part_close(f, dir, name, 1, err, errlen);
}

static int write_gz(const char *dir, const char *name, const char *text, size_t n, char *err, size_t errlen)
{
    return write_gz_in(dir, name, text, n, 7, err, errlen);
}

static void test_gz_round_trip(void)
{
    size_t n = 6u << 20 | 12345;
    char *text = some_text(n), err[700];
    rec_make_dirs("pw_gz");
    CU_ASSERT_EQUAL_FATAL(write_gz("pw_gz", "a.txt.gz", text, n, err, sizeof err), 0);
    CU_ASSERT_EQUAL(access("pw_gz/a.txt.gz.part", F_OK), -1);
    /* RFC 1952 2.3: ID1 ID2 = 1f 8b, CM = 8 (deflate), no FNAME, MTIME 0 */
    unsigned char head[10];
    FILE *raw = fopen("pw_gz/a.txt.gz", "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(raw);
    CU_ASSERT_EQUAL(fread(head, 1, 10, raw), 10);
    fseek(raw, 0, SEEK_END);
    long size = ftell(raw);
    fclose(raw);
    CU_ASSERT(head[0] == 0x1f && head[1] == 0x8b && head[2] == 8 && (head[3] & 0x08) == 0);
    CU_ASSERT(head[4] == 0 && head[5] == 0 && head[6] == 0 && head[7] == 0);
    CU_ASSERT(size > 0 && size < (long)n / 2); /* such text deflates to well under half */
    /* zlib's reader gives the text back */
    char *back = malloc(n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(back);
    gzFile z = gzopen("pw_gz/a.txt.gz", "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT_EQUAL(gzread(z, back, (unsigned)n + 1), (int)n);
    gzclose(z);
    CU_ASSERT(memcmp(back, text, n) == 0);
    /* and so does rec_open_read, by the plain name */
    char path[300];
    FILE *in = rec_open_read("pw_gz", "a.txt", path, sizeof path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT_STRING_EQUAL(path, "pw_gz/a.txt.gz");
    memset(back, 0, n);
    CU_ASSERT_EQUAL(fread(back, 1, n + 1, in), n);
    CU_ASSERT(!ferror(in) && memcmp(back, text, n) == 0);
    fclose(in);
    /* the same bytes give the same file, however the writes were cut */
    CU_ASSERT_EQUAL_FATAL(write_gz_in("pw_gz", "b.txt.gz", text, n, 13, err, sizeof err), 0);
    char *a = pw_test_read_text("pw_gz/a.txt.gz"), *b = pw_test_read_text("pw_gz/b.txt.gz");
    CU_ASSERT(a && b && memcmp(a, b, (size_t)size) == 0);
    free(a);
    free(b);
    /* a file cut short is a read error, not an end */
    CU_ASSERT_EQUAL(truncate("pw_gz/b.txt.gz", size / 2), 0);
    in = rec_open_read("pw_gz", "b.txt", path, sizeof path);
    CU_ASSERT_PTR_NOT_NULL_FATAL(in);
    CU_ASSERT(fread(back, 1, n + 1, in) < n);
    CU_ASSERT(ferror(in));
    fclose(in);
    /* a .gz that is not gzip (zlib alone would pass it through as text) */
    FILE *plain = fopen("pw_gz/c.txt.gz", "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
    fputs("deliver_ms,fix_ms\n", plain);
    fclose(plain);
    errno = 0;
    CU_ASSERT_PTR_NULL(rec_open_read("pw_gz", "c.txt", path, sizeof path));
    CU_ASSERT_EQUAL(errno, EILSEQ);
    CU_ASSERT_STRING_EQUAL(rec_open_error(errno), "not a gzip file");
    /* neither plain nor gzip'd: NULL, ENOENT, the plain name */
    errno = 0;
    CU_ASSERT_PTR_NULL(rec_open_read("pw_gz", "none.txt", path, sizeof path));
    CU_ASSERT_EQUAL(errno, ENOENT);
    CU_ASSERT_STRING_EQUAL(path, "pw_gz/none.txt");
    free(back);
    free(text);
}

/* A disk that fills: the write fails, rec_part_close says so with the
 * system's reason, and nothing is left under either name. */
static void test_gz_full_disk(void)
{
    if (access("/dev/full", W_OK) != 0)
        return;
    rec_make_dirs("pw_gz");
    remove("pw_gz/full.gz.part");
    CU_ASSERT_EQUAL_FATAL(symlink("/dev/full", "pw_gz/full.gz.part"), 0);
    size_t n = 3u << 20;
    char *text = some_text(n), err[700] = "";
    CU_ASSERT_EQUAL(write_gz("pw_gz", "full.gz", text, n, err, sizeof err), -1);
    CU_ASSERT(strstr(err, "pw_gz/full.gz") && strstr(err, strerror(ENOSPC)));
    struct stat st;
    CU_ASSERT_EQUAL(lstat("pw_gz/full.gz", &st), -1);
    CU_ASSERT_EQUAL(lstat("pw_gz/full.gz.part", &st), -1);
    free(text);
}

int main(void)
{
    static const pw_test_entry tests[] = {
        {"JSON strings escaped by RFC 8259", test_json_strings},
        {"JSON numbers: non-finite is null", test_json_numbers},
        {"CSV fields quoted by RFC 4180", test_csv_fields},
        {"fast fixed-point numbers are printf's, on 2.4 million values", test_fixed_matches_printf},
        {"one JSON writer: commas, layout, escapes, null, overflow", test_json_writer},
        {"gzip'd as written: zlib reads it back, RFC 1952 header, same bytes, cut short", test_gz_round_trip},
        {"gzip'd on a full disk: the write fails with its reason, nothing left", test_gz_full_disk},
        {NULL, NULL},
    };
    return pw_test_main("record", tests);
}
