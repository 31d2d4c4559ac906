/* test_util.h - shared helpers of the CUnit programs. */
#ifndef PW_TEST_UTIL_H
#define PW_TEST_UTIL_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct pw_test_entry {
    const char *name;
    CU_TestFunc fn;
} pw_test_entry;

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
