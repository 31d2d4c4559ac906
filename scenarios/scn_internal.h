/* scn_internal.h - shared between the scenario module's own files.
 * May include: scenario.h and what it may. */
#ifndef PW_SCN_INTERNAL_H
#define PW_SCN_INTERNAL_H

#include "scenario.h"

/* "+09:00" -> 540 */
int scn_parse_utc_offset(const char *text, int *minutes);
/* "2026-03-02 07:30[:00]" in local time at the offset -> UTC ms */
int scn_parse_local_datetime(const char *text, int utc_offset_min, pw_time_ms *out);
/* "HH:MM" or "HH:MM:SS" (24:00 allowed) -> seconds since midnight. */
int scn_parse_time_of_day(const char *text, int *second_of_day);
void scn_close_lua(scn_scenario *s);

#endif
