/*
 * record.c - the run record's text formats: engine events as JSON lines,
 * times as ISO 8601.  Fixed formats, so the same run gives the same bytes.
 */
#include "devices.h"
#include "traces.h"
#include "sim.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void sim_format_time(pw_time_ms t, char *buf, size_t n)
{
    int64_t ms = ((t % 1000) + 1000) % 1000;
    int64_t secs = (t - ms) / 1000;
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t sod = secs - days * 86400;
    int yi, mi, di;
    pw_civil_from_days(days, &yi, &mi, &di);
    int64_t y = yi, m = mi, d = di;
    if (n < 25 || y < 0 || y > 9999) {
        snprintf(buf, n, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", (long long)y, (long long)m,
                 (long long)d, (long long)(sod / 3600), (long long)(sod / 60 % 60), (long long)(sod % 60),
                 (long long)ms);
        return;
    }
    /* By hand: this runs once per event line. */
    const int64_t parts[7] = {y, m, d, sod / 3600, sod / 60 % 60, sod % 60, ms};
    const int width[7] = {4, 2, 2, 2, 2, 2, 3};
    const char sep[7] = {'-', '-', 'T', ':', ':', '.', 'Z'};
    char *p = buf;
    for (int i = 0; i < 7; i++) {
        int64_t v = parts[i];
        for (int k = width[i] - 1; k >= 0; k--) {
            p[k] = (char)('0' + v % 10);
            v /= 10;
        }
        p += width[i];
        *p++ = sep[i];
    }
    *p = '\0';
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

/*
 * A small writer: the run record holds millions of numbers, and printf's
 * exact decimal conversion of doubles (multi-precision arithmetic) was half
 * of a run's time.  Numbers are scaled to integers and written by hand; the
 * result is the same text for the same double, which is all determinism
 * needs.
 */
typedef struct out {
    char *p, *end;   /* end leaves room for the terminating NUL */
} out;

static void put_str(out *o, const char *s)
{
    while (*s && o->p < o->end)
        *o->p++ = *s++;
}

static void put_u64(out *o, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && o->p < o->end)
        *o->p++ = tmp[--n];
}

static void put_i64(out *o, int64_t v)
{
    if (v < 0) {
        put_str(o, "-");
        put_u64(o, (uint64_t)(-(v + 1)) + 1);
    } else {
        put_u64(o, (uint64_t)v);
    }
}


static void put_fixed(out *o, double v, int decimals)
{
    rec_put_fixed(&o->p, o->end, v, decimals);
}

static void key_u(out *o, const char *key, uint64_t v)
{
    put_str(o, ",\"");
    put_str(o, key);
    put_str(o, "\":");
    put_u64(o, v);
}

static void key_s(out *o, const char *key, const char *v)
{
    put_str(o, ",\"");
    put_str(o, key);
    put_str(o, "\":\"");
    put_str(o, v);
    put_str(o, "\"");
}

static void key_f(out *o, const char *key, double v, int decimals)
{
    if (!isfinite(v))
        return;
    put_str(o, ",\"");
    put_str(o, key);
    put_str(o, "\":");
    put_fixed(o, v, decimals);
}

size_t sim_event_json(const pw_event *ev, char *buf, size_t n)
{
    if (n == 0)
        return 0;
    out o = {buf, buf + n - 1};
    char iso[40];
    sim_format_time(ev->time, iso, sizeof iso);
    put_str(&o, "{\"t\":");
    put_i64(&o, ev->time);
    put_str(&o, ",\"time\":\"");
    put_str(&o, iso);
    put_str(&o, "\",\"type\":\"");
    put_str(&o, pw_event_name(ev->type));
    put_str(&o, "\"");
    if (ev->case_id)
        key_u(&o, "case", ev->case_id);
    if (ev->device)
        key_u(&o, "device", ev->device);
    if (ev->incident)
        key_u(&o, "incident", ev->incident);
    if (rule_name(ev->rule))
        key_s(&o, "rule", rule_name(ev->rule));
    if (ev->zone_id)
        key_u(&o, "zone", ev->zone_id);
    if (ev->type == PW_EV_FIX_REJECTED)
        key_s(&o, "reason", eng_reject_name((eng_reject_reason)ev->reason));
    else if (ev->type == PW_EV_DISCLOSURE || ev->type == PW_EV_ESCALATION ||
             ev->type == PW_EV_VICTIM_WARNING || ev->type == PW_EV_INCIDENT_OPEN)
        key_s(&o, "reason", ev->reason ? pw_event_name((pw_event_type)ev->reason) : "none");
    else if (ev->type == PW_EV_REVEAL_CLOSE)
        key_s(&o, "reason", ev->reason == ENG_REVEAL_TIMEOUT ? "timeout"
                            : ev->reason == ENG_REVEAL_INCIDENT_CLOSED ? "incident_closed"
                            : ev->reason == ENG_REVEAL_RENEWED      ? "renewed"
                                                                    : "grace_over");
    if (party_name(ev->recipient))
        key_s(&o, "to", party_name(ev->recipient));
    if (ev->recipient_id)
        key_u(&o, "to_id", ev->recipient_id);
    if (ev->subject)
        key_u(&o, "subject", ev->subject);
    if (isfinite(ev->lat) && isfinite(ev->lon)) {
        key_f(&o, "lat", ev->lat, 7);
        key_f(&o, "lon", ev->lon, 7);
    }
    key_f(&o, "acc_m", ev->acc_m, 1);
    key_f(&o, "heading", ev->heading_deg, 1);
    key_f(&o, "speed", ev->speed_mps, 2);
    if (isfinite(ev->victim_lat) && isfinite(ev->victim_lon)) {
        key_f(&o, "victim_lat", ev->victim_lat, 7);
        key_f(&o, "victim_lon", ev->victim_lon, 7);
    }
    key_f(&o, "victim_acc_m", ev->victim_acc_m, 1);
    key_f(&o, "p", ev->probability, 4);
    key_f(&o, "distance_m", ev->distance_m, 1);
    key_f(&o, "value", ev->value, 3);
    put_str(&o, "}\n");
    *o.p = '\0';
    return (size_t)(o.p - buf);
}
