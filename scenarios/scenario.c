/*
 * scenario.c - the parts of the scenario module that need no Lua: status
 * strings, duration and clock-time parsing, freeing a scenario.
 */
#include "scenario.h"
#include "scn_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *scn_strerror(scn_status s)
{
    switch (s) {
    case SCN_OK: return "ok";
    case SCN_EIO: return "cannot read the scenario file";
    case SCN_ESYNTAX: return "syntax error in the scenario";
    case SCN_ERUNTIME: return "error in the scenario";
    case SCN_ELIMIT: return "the scenario hit the instruction or memory limit";
    case SCN_ENOMEM: return "out of memory";
    }
    return "unknown status";
}

/* Read an unsigned decimal number (digits and at most one '.') at *p. */
static int read_number(const char **p, double *out)
{
    const char *s = *p;
    char *end = NULL;
    if (!isdigit((unsigned char)*s) && *s != '.')
        return 0;
    double v = strtod(s, &end);
    if (end == s)
        return 0;
    *p = end;
    *out = v;
    return 1;
}

pw_time_ms scn_parse_duration(const char *text)
{
    if (!text)
        return -1;
    const char *p = text;
    while (isspace((unsigned char)*p))
        p++;
    double total = 0.0;
    int parts = 0;
    while (*p) {
        double v;
        if (!read_number(&p, &v))
            return -1;
        while (isspace((unsigned char)*p))
            p++;
        double unit;
        if (strncmp(p, "ms", 2) == 0) {
            unit = 1.0;
            p += 2;
        } else if (*p == 's') {
            unit = 1000.0;
            p++;
        } else if (*p == 'm') {
            unit = 60000.0;
            p++;
        } else if (*p == 'h') {
            unit = 3600000.0;
            p++;
        } else if (*p == 'd') {
            unit = 86400000.0;
            p++;
        } else if (*p == '\0' && parts == 0) {
            unit = 1000.0; /* a bare number is seconds */
        } else {
            return -1;
        }
        total += v * unit;
        parts++;
        while (isspace((unsigned char)*p))
            p++;
    }
    if (parts == 0 || total > 3.0e13) /* about 950 years */
        return -1;
    return (pw_time_ms)(total + 0.5);
}

int scn_parse_utc_offset(const char *text, int *minutes)
{
    int sign, hh, mm;
    if (!text || (text[0] != '+' && text[0] != '-'))
        return 0;
    sign = text[0] == '-' ? -1 : 1;
    if (sscanf(text + 1, "%2d:%2d", &hh, &mm) != 2 || hh > 14 || mm > 59 || strlen(text) != 6)
        return 0;
    *minutes = sign * (hh * 60 + mm);
    return 1;
}

int scn_parse_local_datetime(const char *text, int utc_offset_min, pw_time_ms *out)
{
    int y, mo, d, hh, mi, sec = 0, n = 0;
    if (!text)
        return 0;
    if (sscanf(text, "%4d-%2d-%2d %2d:%2d%n", &y, &mo, &d, &hh, &mi, &n) != 5)
        return 0;
    if (text[n] == ':') {
        int n2 = 0;
        if (sscanf(text + n, ":%2d%n", &sec, &n2) != 1)
            return 0;
        n += n2;
    }
    if (text[n] != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || hh > 23 || mi > 59 || sec > 59 ||
        y < 1970 || y > 2200)
        return 0;
    int64_t days = pw_days_from_civil(y, mo, d);
    int64_t local_s = days * 86400 + hh * 3600 + mi * 60 + sec;
    *out = (local_s - (int64_t)utc_offset_min * 60) * 1000;
    return 1;
}

int scn_parse_time_of_day(const char *text, int *minute_of_day)
{
    int hh, mm, n = 0;
    if (!text || sscanf(text, "%2d:%2d%n", &hh, &mm, &n) != 2 || text[n] != '\0' || hh > 24 ||
        mm > 59 || (hh == 24 && mm != 0) || hh < 0 || mm < 0)
        return 0;
    *minute_of_day = hh * 60 + mm;
    return 1;
}

void scn_free(scn_scenario *s)
{
    if (!s)
        return;
    scn_close_lua(s);
    free(s->points);
    free(s->legs);
    free(s->actors);
    free(s->env_zones);
    free(s->lines);
    free(s->station_names);
    free(s->cases);
    free(s->events);
    free(s->timers);
    memset(s, 0, sizeof *s);
}

void scn_shift_time(scn_scenario *s, pw_time_ms delta)
{
    s->start += delta;
    for (size_t i = 0; i < s->n_events; i++) {
        s->events[i].at += delta;
        if (s->events[i].until)
            s->events[i].until += delta;
    }
    for (size_t i = 0; i < s->n_timers; i++)
        s->timers[i].at += delta;
    for (size_t i = 0; i < s->n_legs; i++)
        if (s->legs[i].depart_at >= 0)
            s->legs[i].depart_at += delta;
}
