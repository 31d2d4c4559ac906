/*
 * record.c - the run record's text formats: engine events as JSON lines,
 * times as ISO 8601.  Fixed formats, so the same run gives the same bytes.
 */
#include "record.h"
#include "sim.h"

#include <math.h>
#include <stdio.h>

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

/* A member with a number, left out when the number is unknown (NAN). */
static void key_fixed(rec_json *w, const char *key, double v, int decimals)
{
    if (!isfinite(v))
        return;
    rec_json_kfixed(w, key, v, decimals);
}

size_t sim_event_json(const pw_event *ev, char *buf, size_t n)
{
    rec_json w;
    rec_json_to_buf(&w, buf, n, REC_JSON_COMPACT);
    char iso[40];
    pw_format_time(ev->time, iso, sizeof iso);
    rec_json_object(&w);
    rec_json_kint(&w, "t", ev->time);
    rec_json_kstr(&w, "time", iso);
    rec_json_kstr(&w, "type", pw_event_name(ev->type));
    if (ev->case_id)
        rec_json_kuint(&w, "case", ev->case_id);
    if (ev->device)
        rec_json_kuint(&w, "device", ev->device);
    if (ev->incident)
        rec_json_kuint(&w, "incident", ev->incident);
    if (rule_name(ev->rule))
        rec_json_kstr(&w, "rule", rule_name(ev->rule));
    if (ev->zone_id)
        rec_json_kuint(&w, "zone", ev->zone_id);
    if (ev->type == PW_EV_FIX_REJECTED)
        rec_json_kstr(&w, "reason", eng_reject_name((eng_reject_reason)ev->reason));
    else if (ev->type == PW_EV_DISCLOSURE || ev->type == PW_EV_ESCALATION ||
             ev->type == PW_EV_VICTIM_WARNING || ev->type == PW_EV_INCIDENT_OPEN)
        rec_json_kstr(&w, "reason", ev->reason ? pw_event_name((pw_event_type)ev->reason) : "none");
    else if (ev->type == PW_EV_REVEAL_CLOSE)
        rec_json_kstr(&w, "reason", ev->reason == ENG_REVEAL_TIMEOUT ? "timeout"
                              : ev->reason == ENG_REVEAL_INCIDENT_CLOSED ? "incident_closed"
                              : ev->reason == ENG_REVEAL_RENEWED      ? "renewed"
                                                                      : "grace_over");
    if (party_name(ev->recipient))
        rec_json_kstr(&w, "to", party_name(ev->recipient));
    if (ev->recipient_id)
        rec_json_kuint(&w, "to_id", ev->recipient_id);
    if (ev->subject)
        rec_json_kuint(&w, "subject", ev->subject);
    if (isfinite(ev->lat) && isfinite(ev->lon)) {
        key_fixed(&w, "lat", ev->lat, 7);
        key_fixed(&w, "lon", ev->lon, 7);
    }
    key_fixed(&w, "acc_m", ev->acc_m, 1);
    key_fixed(&w, "heading", ev->heading_deg, 1);
    key_fixed(&w, "speed", ev->speed_mps, 2);
    if (isfinite(ev->victim_lat) && isfinite(ev->victim_lon)) {
        key_fixed(&w, "victim_lat", ev->victim_lat, 7);
        key_fixed(&w, "victim_lon", ev->victim_lon, 7);
    }
    key_fixed(&w, "victim_acc_m", ev->victim_acc_m, 1);
    key_fixed(&w, "p", ev->probability, 4);
    key_fixed(&w, "distance_m", ev->distance_m, 1);
    key_fixed(&w, "value", ev->value, 3);
    rec_json_end(&w);
    rec_json_text(&w, "\n");
    rec_json_finish(&w);
    return rec_json_len(&w);
}

int sim_event_write(FILE *f, const pw_event *ev)
{
    char line[2048];
    size_t n = sim_event_json(ev, line, sizeof line);
    return fwrite(line, 1, n, f) == n ? 0 : -1;
}
