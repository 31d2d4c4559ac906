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
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char buf[128];
        size_t n = rec_json_escape(buf, sizeof buf, table[i].in);
        CU_ASSERT_STRING_EQUAL(buf, table[i].want);
        CU_ASSERT_EQUAL(n, strlen(table[i].want));
        CU_ASSERT_STRING_EQUAL(through_file(rec_json_string, table[i].in), table[i].want);
    }
    /* A buffer too small: cut and NUL-terminated, the length needed told. */
    char small[5];
    CU_ASSERT_EQUAL(rec_json_escape(small, sizeof small, "abcdef"), 8);
    CU_ASSERT_STRING_EQUAL(small, "\"abc");
    /* A long string with quotes goes out in pieces, the same as at once. */
    char longs[1000], want[2100];
    for (int i = 0; i < 999; i++)
        longs[i] = i % 7 == 0 ? '"' : (char)('a' + i % 26);
    longs[999] = '\0';
    rec_json_escape(want, sizeof want, longs);
    CU_ASSERT_STRING_EQUAL(through_file(rec_json_string, longs), want);
}

static int number_3(FILE *f, const char *s)
{
    return rec_json_number(f, strtod(s, NULL), 3);
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
        {NULL, NULL},
    };
    return pw_test_main("record", tests);
}
