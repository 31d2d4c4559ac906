/*
 * test_record.c - the writers' common ground: JSON strings and numbers,
 * CSV fields.  Expected texts are written out by hand from RFC 8259
 * (JSON) and RFC 4180 (CSV).
 */
#include "record.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

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

int main(void)
{
    static const pw_test_entry tests[] = {
        {"JSON strings escaped by RFC 8259", test_json_strings},
        {"JSON numbers: non-finite is null", test_json_numbers},
        {"CSV fields quoted by RFC 4180", test_csv_fields},
        {"fast fixed-point numbers are printf's, on 2.4 million values", test_fixed_matches_printf},
        {"one JSON writer: commas, layout, escapes, null, overflow", test_json_writer},
        {NULL, NULL},
    };
    return pw_test_main("record", tests);
}
