/*
 * record.c - the run record's text formats: engine events as JSON lines,
 * times as ISO 8601.  Fixed formats, so the same run gives the same bytes.
 */
#include "sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sim_format_time(pw_time_ms t, char *buf, size_t n)
{
    /* civil_from_days (H. Hinnant), to stay off the C library's time zone. */
    int64_t ms = ((t % 1000) + 1000) % 1000;
    int64_t secs = (t - ms) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = yoe + era * 400;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int64_t d = doy - (153 * mp + 2) / 5 + 1;
    int64_t m = mp + (mp < 10 ? 3 : -9);
    y += m <= 2;
    snprintf(buf, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", (long long)y, (long long)m,
             (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60),
             (long long)ms);
}

static const char *party_name(eng_party p)
{
    switch (p) {
    case ENG_PARTY_MONITORING_CENTRE: return "centre";
    case ENG_PARTY_VICTIM: return "victim";
    case ENG_PARTY_DISPATCHER: return "dispatcher";
    case ENG_PARTY_CASE_OFFICER: return "case_officer";
    default: return NULL;
    }
}

static const char *rule_name(eng_rule_kind r)
{
    switch (r) {
    case ENG_RULE_PROXIMITY: return "proximity";
    case ENG_RULE_PREWARN: return "prewarn";
    case ENG_RULE_ZONE: return "zone";
    default: return NULL;
    }
}

/* Append printf output to buf at *len, never past n. */
static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void add(char *buf, size_t n, size_t *len, const char *fmt, ...)
{
    if (*len >= n)
        return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *len, n - *len, fmt, ap);
    va_end(ap);
    if (w > 0)
        *len += (size_t)w;
}

size_t sim_event_json(const pw_event *ev, char *buf, size_t n)
{
    size_t len = 0;
    char iso[40];
    sim_format_time(ev->time, iso, sizeof iso);
    add(buf, n, &len, "{\"t\":%lld,\"time\":\"%s\",\"type\":\"%s\"", (long long)ev->time, iso,
        pw_event_name(ev->type));
    if (ev->case_id)
        add(buf, n, &len, ",\"case\":%u", ev->case_id);
    if (ev->device)
        add(buf, n, &len, ",\"device\":%u", ev->device);
    if (ev->incident)
        add(buf, n, &len, ",\"incident\":%u", ev->incident);
    if (rule_name(ev->rule))
        add(buf, n, &len, ",\"rule\":\"%s\"", rule_name(ev->rule));
    if (ev->zone_id)
        add(buf, n, &len, ",\"zone\":%u", ev->zone_id);
    if (ev->type == PW_EV_FIX_REJECTED)
        add(buf, n, &len, ",\"reason\":\"%s\"", eng_reject_name((eng_reject_reason)ev->reason));
    else if (ev->type == PW_EV_DISCLOSURE || ev->type == PW_EV_ESCALATION ||
             ev->type == PW_EV_VICTIM_WARNING || ev->type == PW_EV_INCIDENT_OPEN)
        add(buf, n, &len, ",\"reason\":\"%s\"", ev->reason ? pw_event_name((pw_event_type)ev->reason) : "none");
    else if (ev->type == PW_EV_REVEAL_CLOSE)
        add(buf, n, &len, ",\"reason\":\"%s\"",
            ev->reason == ENG_REVEAL_TIMEOUT ? "timeout"
            : ev->reason == ENG_REVEAL_INCIDENT_CLOSED ? "incident_closed" : "grace_over");
    if (party_name(ev->recipient))
        add(buf, n, &len, ",\"to\":\"%s\"", party_name(ev->recipient));
    if (ev->recipient_id)
        add(buf, n, &len, ",\"to_id\":%u", ev->recipient_id);
    if (ev->subject)
        add(buf, n, &len, ",\"subject\":%u", ev->subject);
    if (isfinite(ev->lat) && isfinite(ev->lon))
        add(buf, n, &len, ",\"lat\":%.7f,\"lon\":%.7f", ev->lat, ev->lon);
    if (isfinite(ev->acc_m))
        add(buf, n, &len, ",\"acc_m\":%.1f", ev->acc_m);
    if (isfinite(ev->heading_deg))
        add(buf, n, &len, ",\"heading\":%.1f", ev->heading_deg);
    if (isfinite(ev->speed_mps))
        add(buf, n, &len, ",\"speed\":%.2f", ev->speed_mps);
    if (isfinite(ev->victim_lat) && isfinite(ev->victim_lon))
        add(buf, n, &len, ",\"victim_lat\":%.7f,\"victim_lon\":%.7f", ev->victim_lat, ev->victim_lon);
    if (isfinite(ev->victim_acc_m))
        add(buf, n, &len, ",\"victim_acc_m\":%.1f", ev->victim_acc_m);
    if (isfinite(ev->probability))
        add(buf, n, &len, ",\"p\":%.4f", ev->probability);
    if (isfinite(ev->distance_m))
        add(buf, n, &len, ",\"distance_m\":%.1f", ev->distance_m);
    if (isfinite(ev->value))
        add(buf, n, &len, ",\"value\":%.3f", ev->value);
    add(buf, n, &len, "}\n");
    return len < n ? len : n - 1;
}
