/* test_util.h - shared helpers of the CUnit programs. */
#ifndef PW_TEST_UTIL_H
#define PW_TEST_UTIL_H

#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct pw_test_entry {
    const char *name;
    CU_TestFunc fn;
} pw_test_entry;

/* Seeded noise for the tests: splitmix64, uniform in (0, 1) (never 0, so a
 * log is finite), and Box-Muller normals. */
static inline double pw_test_uniform(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return ((z >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

static inline double pw_test_gauss(uint64_t *state)
{
    return sqrt(-2.0 * log(pw_test_uniform(state))) * cos(2.0 * M_PI * pw_test_uniform(state));
}

/* Write text to path (a scenario, a trace for the test), or fail the test. */
static inline void pw_test_write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fputs(text, f);
    fclose(f);
}

/* The whole of a text file, NUL-terminated (free it), or NULL. */
static inline char *pw_test_read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n - 1, f)) > 0;) {
        n += got;
        if (n + 1 == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf)
        buf[n] = '\0';
    return buf;
}

/* Register one suite of tests and run everything verbosely; the exit status
 * is nonzero when any assertion failed. */
static inline int pw_test_main(const char *suite_name, const pw_test_entry *tests)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite(suite_name, NULL, NULL);
    if (!s)
        return 1;
    for (const pw_test_entry *t = tests; t->name; t++)
        if (!CU_add_test(s, t->name, t->fn))
            return 1;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    return (failed || run == 0) ? 1 : 0;
}

#endif
