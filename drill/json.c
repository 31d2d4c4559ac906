/*
 * json.c - drill-K.json: everything of a drill, machine-readable, the key
 * included (scenarios/drills/README.md documents the members).  Times are
 * given twice: "<name>_s" seconds after the drill's start, and "<name>" as
 * UTC text.
 */
#include "drl_internal.h"
#include "record.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void put_time(rec_json *w, const drl_variant *v, const char *key, pw_time_ms t)
{
    char k[48], text[40];
    snprintf(k, sizeof k, "%s_s", key);
    rec_json_kfixed(w, k, (double)(t - v->s.start) / 1000.0, 3);
    pw_format_time(t, text, sizeof text);
    rec_json_kstr(w, key, text);
}

static void put_lines(rec_json *w, const char *key, const char *ko, const char *en)
{
    rec_json_key(w, key);
    rec_json_object(w);
    rec_json_kstr(w, "ko", ko);
    rec_json_kstr(w, "en", en);
    rec_json_end(w);
}

static void put_draws(rec_json *w, const drl_variant *v)
{
    static const char *const kinds[] = {"number", "time", "duration", "choice", "place"};
    rec_json_key(w, "draws");
    rec_json_array(w);
    for (size_t i = 0; i < v->s.n_draws; i++) {
        const scn_draw *d = &v->s.draws[i];
        rec_json_newline(w);
        rec_json_object(w);
        rec_json_kstr(w, "name", d->name);
        rec_json_kstr(w, "kind", kinds[d->kind]);
        rec_json_kint(w, "line", d->line);
        switch (d->kind) {
        case SCN_DRAW_TIME:
            put_time(w, v, "low", (pw_time_ms)d->lo);
            put_time(w, v, "high", (pw_time_ms)d->hi);
            put_time(w, v, "value", (pw_time_ms)d->value);
            break;
        case SCN_DRAW_PLACE:
            rec_json_kfixed(w, "radius_m", d->hi, 1);
            rec_json_kfixed(w, "value_m", d->value, 1);
            rec_json_kfixed(w, "centre_lat", d->centre.lat, 7);
            rec_json_kfixed(w, "centre_lon", d->centre.lon, 7);
            rec_json_kfixed(w, "lat", d->place.lat, 7);
            rec_json_kfixed(w, "lon", d->place.lon, 7);
            break;
        default:
            rec_json_key(w, "low");
            rec_json_sig(w, d->lo, 10);
            rec_json_key(w, "high");
            rec_json_sig(w, d->hi, 10);
            rec_json_key(w, "value");
            rec_json_sig(w, d->value, 10);
            break;
        }
        rec_json_end(w);
    }
    rec_json_end_newline(w);
}

static void put_briefing(rec_json *w, const drl_variant *v)
{
    const scn_scenario *s = &v->s;
    rec_json_key(w, "briefing");
    rec_json_object(w);
    put_lines(w, "text", s->drill.briefing_ko, s->drill.briefing_en);
    rec_json_kint(w, "dispatchers", s->dispatch.dispatchers);
    rec_json_key(w, "cases");
    rec_json_array(w);
    for (size_t i = 0; i < s->n_cases; i++) {
        const scn_case *c = &s->cases[i];
        rec_json_newline(w);
        rec_json_object(w);
        rec_json_kuint(w, "case", c->def.id);
        rec_json_kstr(w, "offender", s->actors[c->offender].name);
        rec_json_kstr(w, "victim", s->actors[c->victim].name);
        rec_json_kfixed(w, "alarm_radius_m", c->def.alarm_radius_m, 0);
        rec_json_kfixed(w, "prewarn_radius_m", c->def.prewarn_radius_m, 0);
        rec_json_kuint(w, "zones", c->def.n_zones);
        rec_json_end(w);
    }
    rec_json_end_newline(w);
    rec_json_key(w, "patrols");
    rec_json_array(w);
    for (size_t a = 0; a < s->n_actors; a++) {
        if (s->actors[a].role != SCN_PATROL)
            continue;
        rec_json_newline(w);
        rec_json_object(w);
        rec_json_kstr(w, "name", s->actors[a].name);
        rec_json_kfixed(w, "base_lat", s->actors[a].start.lat, 7);
        rec_json_kfixed(w, "base_lon", s->actors[a].start.lon, 7);
        rec_json_end(w);
    }
    rec_json_end_newline(w);
    rec_json_end(w);
}

const char *const drl_protocol[] = {
    "An incident: dispatch the nearest free patrol within 60 s (NFPA 1225: 60 s for 90 % of calls).",
    "An alarm the offender's track does not bear out: call the victim within 60 s before sending a patrol.",
    "A strap tamper within the case's pre-warning radius of the victim, or her panic button: call her within 30 s.",
    "A device fault near the victim (the engine escalates it): escalate within 60 s; treat it as a risk.",
    "A monitoring-centre outage: report it to the supervisor within 60 s; phone the victims at risk.",
};
const size_t drl_n_protocol = sizeof drl_protocol / sizeof *drl_protocol;

static void put_injects(rec_json *w, const drl_variant *v)
{
    const scn_scenario *s = &v->s;
    rec_json_key(w, "injects");
    rec_json_array(w);
    for (size_t i = 0; i < s->n_injects; i++) {
        const scn_inject *in = &s->injects[i];
        rec_json_newline(w);
        rec_json_object(w);
        rec_json_kstr(w, "name", in->name);
        rec_json_kstr(w, "kind", scn_inject_name(in->kind));
        rec_json_kint(w, "line", in->line);
        rec_json_kstr(w, "level", scn_level_name(in->level));
        put_time(w, v, "at", in->at);
        if (in->until)
            put_time(w, v, "until", in->until);
        put_time(w, v, "shown", v->shown[i]);
        if (in->actor < s->n_actors)
            rec_json_kstr(w, "actor", s->actors[in->actor].name);
        if (in->kind == SCN_INJ_CANYON) {
            rec_json_kfixed(w, "lat", in->place.lat, 7);
            rec_json_kfixed(w, "lon", in->place.lon, 7);
            rec_json_kfixed(w, "radius_m", in->radius_m, 0);
        }
        rec_json_kstr(w, "who", in->who);
        put_lines(w, "says", in->says_ko, in->says_en);
        rec_json_kint(w, "page", drl_page_of(v, v->shown[i])); /* page 1 is the briefing */
        rec_json_end(w);
    }
    rec_json_end_newline(w);
}

static void put_timeline(rec_json *w, const drl_variant *v)
{
    rec_json_key(w, "timeline");
    rec_json_array(w);
    for (size_t i = 0; i < v->n_timeline; i++) {
        const drl_entry *e = &v->timeline[i];
        rec_json_newline(w);
        rec_json_object(w);
        put_time(w, v, "t", e->t);
        rec_json_kstr(w, "what", e->what);
        if (e->case_id)
            rec_json_kint(w, "case", e->case_id);
        if (e->incident)
            rec_json_kint(w, "incident", e->incident);
        if (e->inject >= 0)
            rec_json_kstr(w, "inject", v->s.injects[e->inject].name);
        rec_json_kstr(w, "text", e->text);
        rec_json_end(w);
    }
    rec_json_end_newline(w);
}

static void put_key(rec_json *w, const drl_variant *v)
{
    rec_json_key(w, "key");
    rec_json_object(w);
    rec_json_key(w, "protocol");
    rec_json_array(w);
    for (size_t i = 0; i < drl_n_protocol; i++) {
        rec_json_newline(w);
        rec_json_str(w, drl_protocol[i]);
    }
    rec_json_end_newline(w);
    rec_json_key(w, "actions");
    rec_json_array(w);
    for (size_t i = 0; i < v->n_actions; i++) {
        const drl_action *a = &v->actions[i];
        rec_json_newline(w);
        rec_json_object(w);
        rec_json_kstr(w, "id", a->id);
        rec_json_kstr(w, "action", drl_action_name(a->kind));
        rec_json_kint(w, "case", a->case_id);
        rec_json_kint(w, "incident", a->incident);
        put_time(w, v, "from", a->from);
        put_time(w, v, "due", a->due);
        rec_json_kbool(w, "false_alert", a->is_false);
        if (a->kind == DRL_DISPATCH) {
            rec_json_kstr(w, "patrol", a->patrol);
            put_time(w, v, "patrols_at", a->patrols_at);
            rec_json_key(w, "patrols");
            rec_json_array(w);
            for (size_t p = 0; p < a->n_patrols; p++) {
                rec_json_object(w);
                rec_json_kstr(w, "name", a->patrols[p].name);
                rec_json_kfixed(w, "distance_m", a->patrols[p].distance_m, 0);
                rec_json_kbool(w, "free", a->patrols[p].free);
                rec_json_end(w);
            }
            rec_json_end(w);
        }
        rec_json_kstr(w, "rule", a->rule);
        rec_json_kstr(w, "because", a->because);
        rec_json_end(w);
    }
    rec_json_end_newline(w);
    rec_json_key(w, "false_alerts");
    rec_json_array(w);
    for (size_t i = 0; i < v->run.n_alerts; i++) {
        const rnd_alert *a = &v->run.alerts[i];
        if (a->is_true)
            continue;
        rec_json_newline(w);
        rec_json_object(w);
        rec_json_kint(w, "case", a->case_id);
        put_time(w, v, "start", a->start);
        rec_json_kstr(w, "cause", a->cause);
        rec_json_kstr(w, "why", drl_cause_why(a->cause));
        rec_json_kfixed(w, "lat", a->at.lat, 7);
        rec_json_kfixed(w, "lon", a->at.lon, 7);
        rec_json_end(w);
    }
    rec_json_end_newline(w);
    rec_json_end(w);
}

int drl_write_json(const drl_variant *v, const drl_options *o, char *err, size_t n)
{
    char name[64];
    snprintf(name, sizeof name, "drill-%d.json", v->k);
    FILE *f = rec_part_open(o->out_dir, name, err, n);
    if (!f)
        return DRL_ERUN;
    const scn_scenario *s = &v->s;
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_SPACED);
    rec_json_object(&w);
    rec_json_newline(&w);
    rec_json_kstr(&w, "schema", "proxwatch-drill");
    rec_json_kint(&w, "schema_version", DRL_SCHEMA_VERSION);
    rec_json_newline(&w);
    rec_json_kint(&w, "drill", v->k);
    rec_json_kstr(&w, "title", s->drill.title);
    rec_json_kstr(&w, "trains", s->drill.trains);
    rec_json_newline(&w);
    /* its file name only: the same drill from any folder, the same bytes */
    const char *slash = strrchr(o->template_path, '/');
    rec_json_kstr(&w, "template", slash ? slash + 1 : o->template_path);
    rec_json_kstr(&w, "level", scn_level_name(s->drill.level));
    rec_json_kuint(&w, "drill_seed", o->seed);
    rec_json_kuint(&w, "run_seed", v->seed);
    rec_json_kint(&w, "attempts", v->attempt + 1);
    rec_json_kint(&w, "desk_passes", v->passes);
    rec_json_newline(&w);
    put_time(&w, v, "start", s->start);
    put_time(&w, v, "end", s->start + s->duration_ms);
    rec_json_kint(&w, "start_ms", s->start);
    rec_json_kint(&w, "utc_offset_min", s->utc_offset_min);
    char run[80];
    snprintf(run, sizeof run, "drill-%d", v->k);
    rec_json_kstr(&w, "run", run);
    rec_json_newline(&w);
    put_draws(&w, v);
    rec_json_newline(&w);
    put_briefing(&w, v);
    rec_json_newline(&w);
    put_injects(&w, v);
    rec_json_newline(&w);
    put_timeline(&w, v);
    rec_json_newline(&w);
    put_key(&w, v);
    rec_json_end_newline(&w);
    rec_json_text(&w, "\n");
    int bad = rec_json_finish(&w) != 0;
    if (rec_part_close(f, o->out_dir, name, !bad, err, n) != 0 || bad) {
        if (bad)
            snprintf(err, n, "%s/%s: cannot write", o->out_dir, name);
        return DRL_ERUN;
    }
    return 0;
}
