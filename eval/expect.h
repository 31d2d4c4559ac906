/*
 * expect.h - a scenario's expect { ... } checked against its run (prefix
 * eval_expect_).
 *
 * The loader (scenarios/) turns expect { true_breaches = 2, detected =
 * {min = 1}, breach_to_alert_max = "90s" } into scn_expect entries, one per
 * measure, in the order of scn_measure.  After a run, eval_expect_check reads
 * each measure from the run's figures (its eval_report, as report.json has
 * it, and its engine event counts by pw_event_type: sim_summary.by_type) and says whether the bounds hold.
 *
 * Rules
 *   - lo <= measured <= hi, a missing side unbounded; durations compare in
 *     seconds to the millisecond, counts exactly.
 *   - A measure with nothing to measure (no breach was detected, so there
 *     is no breach -> alert latency; no incident, so no queue wait) is NAN:
 *     an upper bound alone holds ("every latency was at most 90 s" is true
 *     of none), a lower bound or an exact value does not.
 *   - No allocation, no I/O but eval_expect_write_json's writer (record.h).
 *   - May include: scenario.h, eval.h, libc.
 *
 * Example
 *   eval_expect_result res[s.n_expects ? s.n_expects : 1];
 *   size_t failed = eval_expect_check(&s, &sum.report, sum.by_type, res);
 *   for (size_t i = 0; i < s.n_expects; i++) puts(res[i].text);
 *   // "expect true_breaches = 2: measured 2, held"
 */
#ifndef PW_EVAL_EXPECT_H
#define PW_EVAL_EXPECT_H

#include "scenario.h"
#include "eval.h"

#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct eval_expect_result {
    const scn_expect *expect;        /* into s->expects */
    double measured;                 /* in the measure's unit (seconds for durations); NAN: none */
    int held;                        /* 1 held, 0 not */
    char text[192];                  /* "expect detected >= 1: measured 0, NOT held" (no newline) */
} eval_expect_result;

/* The value of measure m in a run's report and event counts (by_type:
 * PW_EV_TYPE_COUNT entries), in the measure's unit; NAN when there is
 * nothing to measure or m is out of range. */
double eval_expect_measure(const eval_report *r, const uint64_t *by_type, scn_measure m);

/* Check every expectation of s against the run's figures.  results (may be
 * NULL) gets s->n_expects entries, in s->expects' order.  Returns how many
 * did not hold. */
size_t eval_expect_check(const scn_scenario *s, const eval_report *report, const uint64_t *by_type,
                         eval_expect_result *results);

/* The results as a JSON array, a value of w (the writer's layout):
 *   [{"key": "breach_to_alert_max", "measure": "breach_to_alert", "min": null,
 *     "max": 90, "measured": 16.843, "held": true, "line": 80}, ...]
 * Numbers with 6 significant digits; unknown ones null. */
struct rec_json;
void eval_expect_write_json(struct rec_json *w, const eval_expect_result *results, size_t n);

#ifdef __cplusplus
}
#endif
#endif /* PW_EVAL_EXPECT_H */
