/*
 * scenario.c - the parts of the scenario module that need no Lua: status
 * strings, duration and clock-time parsing, the keys of expect { },
 * freeing a scenario.
 */
#include "scenario.h"
#include "scn_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *scn_env_name(scn_env e)
{
    static const char *const names[SCN_ENV_COUNT] = {"open", "urban_light", "urban_heavy", "indoor", "tunnel"};
    return (int)e >= 0 && e < SCN_ENV_COUNT ? names[e] : NULL;
}

const char *scn_mode_name(scn_mode m)
{
    static const char *const names[SCN_MODE_COUNT] = {"walk", "drive", "bus", "subway"};
    return (int)m >= 0 && m < SCN_MODE_COUNT ? names[m] : NULL;
}

const char *scn_role_name(scn_role r)
{
    return r == SCN_OFFENDER ? "offender" : r == SCN_VICTIM ? "victim" : r == SCN_PATROL ? "patrol" : NULL;
}

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

int scn_parse_time_of_day(const char *text, int *second_of_day)
{
    int hh, mm, ss = 0, n = 0;
    if (!text || sscanf(text, "%2d:%2d%n", &hh, &mm, &n) != 2)
        return 0;
    if (text[n] == ':') {
        int n2 = 0;
        if (sscanf(text + n, ":%2d%n", &ss, &n2) != 1 || n2 != 3)
            return 0;
        n += n2;
    }
    if (text[n] != '\0' || hh > 24 || mm > 59 || ss > 59 || (hh == 24 && (mm != 0 || ss != 0)) || hh < 0 ||
        mm < 0 || ss < 0)
        return 0;
    *second_of_day = hh * 3600 + mm * 60 + ss;
    return 1;
}

/* The keys of expect { }: one row per measure, in the order of scn_measure. */
static const struct {
    const char *name;
    scn_unit unit;
    const char *help;
} measures[SCN_M_COUNT] = {
    [SCN_M_TRUE_BREACHES] = {"true_breaches", SCN_UNIT_COUNT,
                             "true breaches: times the offender was really within the alarm radius or in a zone"},
    [SCN_M_DETECTED] = {"detected", SCN_UNIT_COUNT, "true breaches an alarm overlapped (within the tolerance)"},
    [SCN_M_MISSED] = {"missed", SCN_UNIT_COUNT, "true breaches no alarm overlapped"},
    [SCN_M_MISSED_SHORT] = {"missed_short", SCN_UNIT_COUNT,
                            "missed breaches shorter than the tag's moving interval"},
    [SCN_M_ALERT_EPISODES] = {"alert_episodes", SCN_UNIT_COUNT, "alarms, from open to close"},
    [SCN_M_TRUE_ALERTS] = {"true_alerts", SCN_UNIT_COUNT, "alarms that overlap a true breach"},
    [SCN_M_FALSE_ALERTS] = {"false_alerts", SCN_UNIT_COUNT, "alarms that overlap no true breach"},
    [SCN_M_FALSE_PER_OFFENDER_DAY] = {"false_per_offender_day", SCN_UNIT_RATE,
                                      "false alerts per offender and day"},
    [SCN_M_FALSE_NOISE_JUMP] = {"false_noise_jump", SCN_UNIT_COUNT, "false alerts caused by a multipath jump"},
    [SCN_M_FALSE_URBAN_CANYON] = {"false_urban_canyon", SCN_UNIT_COUNT, "false alerts caused by an urban canyon"},
    [SCN_M_FALSE_TUNNEL_EXIT] = {"false_tunnel_exit", SCN_UNIT_COUNT, "false alerts at a tunnel exit"},
    [SCN_M_FALSE_CELL_FALLBACK] = {"false_cell_fallback", SCN_UNIT_COUNT,
                                   "false alerts from cell-tower positions"},
    [SCN_M_FALSE_DEVICE_FAULT] = {"false_device_fault", SCN_UNIT_COUNT,
                                  "false alerts a device fault caused (a stale or faulty fix)"},
    [SCN_M_FALSE_OTHER] = {"false_other", SCN_UNIT_COUNT, "false alerts of no known cause"},
    [SCN_M_BREACH_TO_ALERT] = {"breach_to_alert", SCN_UNIT_SECONDS,
                               "breach start to alarm, the slowest detected breach"},
    [SCN_M_BREACH_TO_ALERT_P95] = {"breach_to_alert_p95", SCN_UNIT_SECONDS, "breach start to alarm, 95th percentile"},
    [SCN_M_BREACH_TO_ALERT_MEDIAN] = {"breach_to_alert_median", SCN_UNIT_SECONDS, "breach start to alarm, median"},
    [SCN_M_ALERT_TO_VICTIM] = {"alert_to_victim", SCN_UNIT_SECONDS,
                               "alarm to the victim's phone showing his position, the slowest"},
    [SCN_M_ALERT_TO_VICTIM_P95] = {"alert_to_victim_p95", SCN_UNIT_SECONDS, "alarm to the victim's pin, 95th percentile"},
    [SCN_M_ALERT_TO_VICTIM_MEDIAN] = {"alert_to_victim_median", SCN_UNIT_SECONDS, "alarm to the victim's pin, median"},
    [SCN_M_ALERT_TO_DISPATCH] = {"alert_to_dispatch", SCN_UNIT_SECONDS,
                                 "incident opened to a patrol sent, the slowest"},
    [SCN_M_ALERT_TO_DISPATCH_P95] = {"alert_to_dispatch_p95", SCN_UNIT_SECONDS,
                                     "incident to a patrol sent, 95th percentile"},
    [SCN_M_ALERT_TO_DISPATCH_MEDIAN] = {"alert_to_dispatch_median", SCN_UNIT_SECONDS,
                                        "incident to a patrol sent, median"},
    [SCN_M_DISPATCH_TO_SCENE] = {"dispatch_to_scene", SCN_UNIT_SECONDS, "patrol sent to on scene, the slowest"},
    [SCN_M_DISPATCH_TO_SCENE_P95] = {"dispatch_to_scene_p95", SCN_UNIT_SECONDS,
                                     "patrol sent to on scene, 95th percentile"},
    [SCN_M_DISPATCH_TO_SCENE_MEDIAN] = {"dispatch_to_scene_median", SCN_UNIT_SECONDS,
                                        "patrol sent to on scene, median"},
    [SCN_M_EXPOSURE] = {"exposure", SCN_UNIT_SECONDS,
                        "time the victim could see his position while no true breach held"},
    [SCN_M_DISCLOSURES] = {"disclosures", SCN_UNIT_COUNT, "positions shown to anyone (audit records)"},
    [SCN_M_UNAUTHORIZED_DISCLOSURES] = {"unauthorized_disclosures", SCN_UNIT_COUNT,
                                        "positions shown to someone not entitled (must be 0)"},
    [SCN_M_INCIDENTS] = {"incidents", SCN_UNIT_COUNT, "incidents opened for the 112 desk"},
    [SCN_M_INCIDENTS_PER_DISPATCHER_HOUR] = {"incidents_per_dispatcher_hour", SCN_UNIT_RATE,
                                             "incidents per dispatcher and hour"},
    [SCN_M_PEAK_INCIDENTS] = {"peak_incidents", SCN_UNIT_COUNT, "most incidents open at once"},
    [SCN_M_QUEUE_WAIT_MEDIAN] = {"queue_wait_median", SCN_UNIT_SECONDS, "wait at the 112 desk, median"},
    [SCN_M_QUEUE_WAIT_P95] = {"queue_wait_p95", SCN_UNIT_SECONDS, "wait at the 112 desk, 95th percentile"},
    [SCN_M_PATROLS_SENT] = {"patrols_sent", SCN_UNIT_COUNT, "incidents a patrol was sent to"},
    [SCN_M_PATROLS_ON_SCENE] = {"patrols_on_scene", SCN_UNIT_COUNT, "incidents a patrol reached"},
    [SCN_M_PATROL_TIME_ON_FALSE] = {"patrol_time_on_false", SCN_UNIT_SECONDS,
                                    "patrol time spent on alarms no true breach backs"},
    [SCN_M_SIGNAL_LOST] = {"signal_lost", SCN_UNIT_COUNT, "signal-lost events (no GNSS fix for the timeout)"},
    [SCN_M_CONTACT_LOST] = {"contact_lost", SCN_UNIT_COUNT, "contact-lost events (no message at all)"},
    [SCN_M_TAMPER] = {"tamper", SCN_UNIT_COUNT, "strap tamper events"},
    [SCN_M_BATTERY_LOW] = {"battery_low", SCN_UNIT_COUNT, "battery-low events"},
    [SCN_M_DEVICE_OFF] = {"device_off", SCN_UNIT_COUNT, "device-off events"},
    [SCN_M_PREWARNINGS] = {"prewarnings", SCN_UNIT_COUNT, "pre-warnings to the monitoring centre"},
    [SCN_M_ESCALATIONS] = {"escalations", SCN_UNIT_COUNT, "device faults near a victim treated as a risk"},
    [SCN_M_VICTIM_WARNINGS] = {"victim_warnings", SCN_UNIT_COUNT, "warnings to the victim without a position"},
};

const char *scn_measure_name(scn_measure m)
{
    return (unsigned)m < SCN_M_COUNT ? measures[m].name : NULL;
}

scn_unit scn_measure_unit(scn_measure m)
{
    return (unsigned)m < SCN_M_COUNT ? measures[m].unit : SCN_UNIT_COUNT;
}

const char *scn_measure_help(scn_measure m)
{
    return (unsigned)m < SCN_M_COUNT ? measures[m].help : NULL;
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
    free(s->safe_places);
    free(s->lines);
    free(s->station_names);
    free(s->cases);
    free(s->events);
    free(s->timers);
    free(s->expects);
    free(s->calls);
    free(s->draws);
    free(s->injects);
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
    for (size_t i = 0; i < s->n_calls; i++)
        s->calls[i].at += delta;
    for (size_t i = 0; i < s->n_injects; i++) {
        s->injects[i].at += delta;
        if (s->injects[i].until)
            s->injects[i].until += delta;
    }
    for (size_t i = 0; i < s->n_draws; i++)
        if (s->draws[i].kind == SCN_DRAW_TIME) {
            s->draws[i].lo += (double)delta;
            s->draws[i].hi += (double)delta;
            s->draws[i].value += (double)delta;
        }
    for (size_t i = 0; i < s->n_legs; i++)
        if (s->legs[i].depart_at >= 0)
            s->legs[i].depart_at += delta;
}
