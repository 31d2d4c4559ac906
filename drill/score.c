/*
 * score.c - a trainee's action log against a drill's key (drill.h).  The
 * key is read from drill-K.json with jansson, the log line by line.
 */
#include "drl_internal.h"
#include "pw_grow.h"
#include "record.h"

#include <jansson.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct key_action {
    char id[16];
    int kind;
    int case_id;
    long long incident;
    double from_s, due_s;
    int is_false;
    char patrol[64];
    drl_patrol_option patrols[DRL_MAX_PATROLS];
    size_t n_patrols;
} key_action;

typedef struct key_incident {
    long long id;
    int case_id;
    int is_false;
} key_incident;

typedef struct drill_key {
    key_action *actions;
    size_t n_actions;
    key_incident *incidents;
    size_t n_incidents;
    int cases[256];                  /* the drill's case ids */
    size_t n_cases;
    int utc_offset_min;
    long long start_ms;
    double end_s;                    /* the drill's length */
} drill_key;

typedef struct trainee_action {
    long line;
    double t_s;
    int kind;
    long long incident;
    int case_id;
    char patrol[64];
    int used;
} trainee_action;

static int fail(char *err, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, n, fmt, ap);
    va_end(ap);
    return DRL_EINVAL;
}

static void key_free(drill_key *k)
{
    free(k->actions);
    free(k->incidents);
    memset(k, 0, sizeof *k);
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int add_incident(drill_key *k, long long id, int case_id, int is_false)
{
    if (!id)
        return 0;
    for (size_t i = 0; i < k->n_incidents; i++)
        if (k->incidents[i].id == id) {
            k->incidents[i].is_false |= is_false;
            return 0;
        }
    key_incident *p = realloc(k->incidents, (k->n_incidents + 1) * sizeof *p);
    if (!p)
        return -1;
    k->incidents = p;
    k->incidents[k->n_incidents++] = (key_incident){id, case_id, is_false};
    return 0;
}

static int load_key(drill_key *k, const char *path, char *err, size_t n)
{
    memset(k, 0, sizeof *k);
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root)
        return fail(err, n, "%s:%d: not a drill file: %s", path, je.line, je.text);
    int rc = 0;
    json_t *actions = json_object_get(json_object_get(root, "key"), "actions");
    json_t *timeline = json_object_get(root, "timeline");
    if (strcmp(jstr(root, "schema"), "proxwatch-drill") != 0 || !json_is_array(actions) || !json_is_array(timeline)) {
        rc = fail(err, n, "%s: not a drill file (no \"schema\": \"proxwatch-drill\" with a key and a timeline)", path);
        goto done;
    }
    if (json_integer_value(json_object_get(root, "schema_version")) != DRL_SCHEMA_VERSION) {
        rc = fail(err, n, "%s: schema_version %lld; this proxwatch reads %d", path,
                  (long long)json_integer_value(json_object_get(root, "schema_version")), DRL_SCHEMA_VERSION);
        goto done;
    }
    k->utc_offset_min = (int)json_integer_value(json_object_get(root, "utc_offset_min"));
    k->start_ms = (long long)json_integer_value(json_object_get(root, "start_ms"));
    json_t *end = json_object_get(root, "end_s");
    k->end_s = json_is_number(end) ? json_number_value(end) : INFINITY;
    size_t ci;
    json_t *c;
    json_array_foreach(json_object_get(json_object_get(root, "briefing"), "cases"), ci, c) {
        if (k->n_cases < sizeof k->cases / sizeof *k->cases)
            k->cases[k->n_cases++] = (int)json_integer_value(json_object_get(c, "case"));
    }
    k->actions = calloc(json_array_size(actions) + 1, sizeof *k->actions);
    if (!k->actions) {
        rc = fail(err, n, "out of memory");
        goto done;
    }
    size_t i;
    json_t *a;
    json_array_foreach(actions, i, a) {
        key_action *x = &k->actions[k->n_actions++];
        snprintf(x->id, sizeof x->id, "%s", jstr(a, "id"));
        x->kind = drl_action_parse(jstr(a, "action"));
        x->case_id = (int)json_integer_value(json_object_get(a, "case"));
        x->incident = (long long)json_integer_value(json_object_get(a, "incident"));
        if (!json_is_number(json_object_get(a, "from_s")) || !json_is_number(json_object_get(a, "due_s"))) {
            rc = fail(err, n, "%s: key action %zu ('%s'): 'from_s' and 'due_s' must be numbers", path, i + 1,
                      jstr(a, "id"));
            goto done;
        }
        x->from_s = json_number_value(json_object_get(a, "from_s"));
        x->due_s = json_number_value(json_object_get(a, "due_s"));
        x->is_false = json_is_true(json_object_get(a, "false_alert"));
        snprintf(x->patrol, sizeof x->patrol, "%s", jstr(a, "patrol"));
        size_t j;
        json_t *p;
        json_array_foreach(json_object_get(a, "patrols"), j, p) {
            if (x->n_patrols >= DRL_MAX_PATROLS)
                break;
            drl_patrol_option *o = &x->patrols[x->n_patrols++];
            snprintf(o->name, sizeof o->name, "%s", jstr(p, "name"));
            o->distance_m = json_number_value(json_object_get(p, "distance_m"));
            o->free = json_is_true(json_object_get(p, "free"));
        }
        if (x->kind < 0) {
            rc = fail(err, n, "%s: key action %s: unknown action '%s'", path, x->id, jstr(a, "action"));
            goto done;
        }
        if (add_incident(k, x->incident, x->case_id, x->is_false) != 0) {
            rc = fail(err, n, "out of memory");
            goto done;
        }
    }
    json_array_foreach(timeline, i, a) {
        long long id = (long long)json_integer_value(json_object_get(a, "incident"));
        if (add_incident(k, id, (int)json_integer_value(json_object_get(a, "case")), 0) != 0) {
            rc = fail(err, n, "out of memory");
            goto done;
        }
    }
done:
    json_decref(root);
    if (rc)
        key_free(k);
    return rc;
}

static const key_incident *find_incident(const drill_key *k, long long id)
{
    for (size_t i = 0; i < k->n_incidents; i++)
        if (k->incidents[i].id == id)
            return &k->incidents[i];
    return NULL;
}

/* "HH:MM" or "HH:MM:SS" local: seconds after the start (the first such
 * time at or after it), or NAN. */
static double clock_to_s(const drill_key *k, const char *text)
{
    int h, m, s = 0, used = 0;
    if (sscanf(text, "%2d:%2d%n", &h, &m, &used) != 2)
        return NAN;
    if (text[used] == ':') {
        int more = 0;
        if (sscanf(text + used + 1, "%2d%n", &s, &more) != 1)
            return NAN;
        used += 1 + more;
    }
    if (text[used] || h > 23 || m > 59 || s > 59 || h < 0 || m < 0 || s < 0)
        return NAN;
    long long local_start = k->start_ms + (long long)k->utc_offset_min * 60000;
    long long day = local_start - ((local_start % 86400000) + 86400000) % 86400000;
    long long t = day + ((long long)h * 3600 + m * 60 + s) * 1000;
    if (t < local_start)
        t += 86400000;
    return (double)(t - local_start) / 1000.0;
}

static int parse_line(const drill_key *k, const char *path, long line, const char *text, trainee_action *out,
                      char *err, size_t n)
{
    memset(out, 0, sizeof *out);
    out->line = line;
    json_error_t je;
    json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    int rc = 0;
    if (!o || !json_is_object(o)) {
        rc = fail(err, n, "%s:%ld: not a JSON object: %s", path, line, o ? "another JSON value" : je.text);
        goto done;
    }
    json_t *act = json_object_get(o, "action");
    out->kind = drl_action_parse(json_string_value(act));
    if (out->kind < 0) {
        rc = fail(err, n, "%s:%ld: 'action' must be \"dispatch\", \"call_victim\" or \"escalate\"", path, line);
        goto done;
    }
    json_t *t = json_object_get(o, "t"), *clock = json_object_get(o, "time");
    if (t) {
        if (!json_is_number(t) || !(json_number_value(t) >= 0)) {
            rc = fail(err, n, "%s:%ld: 't' must be seconds after the drill's start (a number >= 0)", path, line);
            goto done;
        }
        out->t_s = json_number_value(t);
    } else if (clock) {
        out->t_s = json_is_string(clock) ? clock_to_s(k, json_string_value(clock)) : NAN;
        if (isnan(out->t_s)) {
            rc = fail(err, n, "%s:%ld: 'time' must be a local clock time \"HH:MM:SS\"", path, line);
            goto done;
        }
    } else {
        rc = fail(err, n, "%s:%ld: give 't' (seconds after the start) or 'time' (\"HH:MM:SS\")", path, line);
        goto done;
    }
    if (out->t_s > k->end_s) {
        rc = fail(err, n, "%s:%ld: at %.0f s after the start, the action is after the drill's end (%.0f s)", path,
                  line, out->t_s, k->end_s);
        goto done;
    }
    json_t *inc = json_object_get(o, "incident"), *cs = json_object_get(o, "case"), *pat = json_object_get(o, "patrol");
    if ((inc && !json_is_integer(inc)) || (cs && !json_is_integer(cs))) {
        rc = fail(err, n, "%s:%ld: 'incident' and 'case' must be whole numbers", path, line);
        goto done;
    }
    out->incident = inc ? (long long)json_integer_value(inc) : 0;
    out->case_id = cs ? (int)json_integer_value(cs) : 0;
    if (pat && !json_is_string(pat)) {
        rc = fail(err, n, "%s:%ld: 'patrol' must be a patrol's name", path, line);
        goto done;
    }
    snprintf(out->patrol, sizeof out->patrol, "%s", pat ? json_string_value(pat) : "");
    if (out->kind == DRL_DISPATCH && (!out->incident || !out->patrol[0])) {
        rc = fail(err, n, "%s:%ld: a dispatch names its 'incident' and its 'patrol'", path, line);
        goto done;
    }
done:
    json_decref(o);
    return rc;
}

static int read_log(const drill_key *k, const char *path, trainee_action **out, size_t *n_out, char *err, size_t n)
{
    *out = NULL;
    *n_out = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return fail(err, n, "%s: cannot read the action log: %s", path, strerror(errno));
    char *buf = NULL;
    size_t cap = 0, cap_out = 0;
    long line = 0;
    ssize_t len;
    int rc = 0;
    while ((len = getline(&buf, &cap, f)) >= 0) {
        line++;
        while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = 0;
        const char *p = buf;
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            continue;
        if (pw_grow((void **)out, &cap_out, *n_out + 1, sizeof **out) != 0) {
            rc = fail(err, n, "out of memory");
            break;
        }
        rc = parse_line(k, path, line, p, &(*out)[*n_out], err, n);
        if (rc)
            break;
        (*n_out)++;
    }
    if (!rc && ferror(f))
        rc = fail(err, n, "%s: read error: %s", path, strerror(errno));
    free(buf);
    fclose(f);
    if (rc) {
        free(*out);
        *out = NULL;
        *n_out = 0;
    }
    return rc;
}

/* A patrol's name as the trainee wrote it: the whole name, or its Korean
 * or English part ("강남 1 (Gangnam 1)": "강남 1", "Gangnam 1"), ASCII
 * letters in any case. */
static int same_patrol(const char *key, const char *given)
{
    if (!strcasecmp(key, given))
        return 1;
    const char *open = strstr(key, " (");
    size_t len = strlen(key), glen = strlen(given);
    if (!open || key[len - 1] != ')')
        return 0;
    size_t ko = (size_t)(open - key), en = len - ko - 3;
    return (glen == ko && !strncasecmp(key, given, ko)) || (glen == en && !strncasecmp(open + 2, given, en));
}

/* Does trainee action t answer key action a?  strict: the same incident
 * (or, for an action on a case or the centre, the same case); else also a
 * trainee action naming the case of an incident-bound one. */
static int targets(const drill_key *k, const key_action *a, const trainee_action *t, int strict)
{
    if (strict) {
        if (a->incident)
            return t->incident == a->incident;
        if (a->case_id) {
            int t_case = t->case_id;
            if (!t_case && t->incident) {
                const key_incident *ki = find_incident(k, t->incident);
                t_case = ki ? ki->case_id : -1;
            }
            return t_case == a->case_id;
        }
        return !t->incident && !t->case_id;
    }
    int t_case = t->case_id;
    if (!t_case && t->incident) {
        const key_incident *ki = find_incident(k, t->incident);
        t_case = ki ? ki->case_id : -1;
    }
    if (a->incident)
        return t->incident == a->incident || (!t->incident && t->case_id && t->case_id == a->case_id);
    if (a->case_id)
        return t_case == a->case_id;
    return !t->incident && !t->case_id;
}

static int by_time(const void *x, const void *y)
{
    const trainee_action *a = x, *b = y;
    if (a->t_s != b->t_s)
        return a->t_s < b->t_s ? -1 : 1;
    return a->line < b->line ? -1 : a->line > b->line;
}

static double patrol_distance(const key_action *a, const char *name)
{
    for (size_t i = 0; i < a->n_patrols; i++)
        if (same_patrol(a->patrols[i].name, name))
            return a->patrols[i].distance_m;
    return NAN;
}

/* Trainee action t answers expected action a: its verdict and points. */
static void score_one(drl_score *sc, drl_scored_action *s, const key_action *a, trainee_action *t)
{
    t->used = 1;
    s->line = t->line;
    snprintf(s->patrol, sizeof s->patrol, "%s", t->patrol);
    s->late_s = t->t_s > a->due_s ? t->t_s - a->due_s : 0;
    if (a->kind == DRL_DISPATCH && a->patrol[0] && !same_patrol(a->patrol, t->patrol)) {
        s->verdict = DRL_WRONG_PATROL;
        s->extra_m = patrol_distance(a, t->patrol) - patrol_distance(a, a->patrol);
        s->points = s->late_s > 0 ? DRL_POINTS_WRONG_PATROL_LATE : DRL_POINTS_WRONG_PATROL;
        sc->wrong_patrol++;
    } else if (s->late_s > 0) {
        s->verdict = DRL_LATE;
        s->points = DRL_POINTS_LATE;
        sc->late++;
    } else {
        s->verdict = DRL_ON_TIME;
        s->points = DRL_POINTS_ON_TIME;
        sc->on_time++;
    }
    sc->total += s->points;
}

int drl_score_file(drl_score *sc, const char *drill_json, const char *actions_path, char *err, size_t n)
{
    memset(sc, 0, sizeof *sc);
    snprintf(sc->trainee, sizeof sc->trainee, "%s", actions_path);
    drill_key k;
    int rc = load_key(&k, drill_json, err, n);
    if (rc)
        return rc;
    trainee_action *ta;
    size_t nt;
    rc = read_log(&k, actions_path, &ta, &nt, err, n);
    if (rc) {
        key_free(&k);
        return rc;
    }
    if (nt)
        qsort(ta, nt, sizeof *ta, by_time);
    sc->actions = calloc(k.n_actions + 1, sizeof *sc->actions);
    sc->notes = calloc(nt + 1, sizeof *sc->notes);
    if (!sc->actions || !sc->notes) {
        free(ta);
        key_free(&k);
        drl_score_free(sc);
        return fail(err, n, "out of memory");
    }
    for (size_t i = 0; i < k.n_actions; i++) {
        const key_action *a = &k.actions[i];
        drl_scored_action *s = &sc->actions[sc->n_actions++];
        snprintf(s->id, sizeof s->id, "%s", a->id);
        snprintf(s->action, sizeof s->action, "%s", drl_action_name((drl_action_kind)a->kind));
        s->incident = a->incident;
        s->case_id = a->case_id;
        s->due_s = a->due_s;
        snprintf(s->right_patrol, sizeof s->right_patrol, "%s", a->patrol);
        s->verdict = DRL_MISSED;
        s->extra_m = NAN;
        sc->max += DRL_POINTS_ON_TIME;
    }
    /* Each expected action takes a trainee action: first those naming
     * exactly its target, then looser ones (a case for an incident); each
     * time the earliest on time, else the earliest late (up to the cap). */
    for (int strict = 1; strict >= 0; strict--)
        for (size_t i = 0; i < k.n_actions; i++) {
            const key_action *a = &k.actions[i];
            drl_scored_action *s = &sc->actions[i];
            if (s->line)
                continue;
            trainee_action *t = NULL;
            for (int late = 0; late <= 1 && !t; late++)
                for (size_t j = 0; j < nt && !t; j++) {
                    double lo = late ? a->due_s : a->from_s, hi = late ? a->due_s + DRL_LATE_CAP_S : a->due_s;
                    if (!ta[j].used && ta[j].kind == a->kind && ta[j].t_s >= lo && ta[j].t_s <= hi &&
                        (late ? ta[j].t_s > a->due_s : 1) && targets(&k, a, &ta[j], strict))
                        t = &ta[j];
                }
            if (t)
                score_one(sc, s, a, t);
        }
    for (size_t i = 0; i < sc->n_actions; i++)
        if (!sc->actions[i].line) {
            sc->missed++;
            sc->missed_escalations += k.actions[i].kind == DRL_ESCALATE;
        }
    for (size_t j = 0; j < nt; j++) {
        if (ta[j].used)
            continue;
        drl_note *no = &sc->notes[sc->n_notes++];
        no->line = ta[j].line;
        no->t_s = ta[j].t_s;
        snprintf(no->action, sizeof no->action, "%s", drl_action_name((drl_action_kind)ta[j].kind));
        no->incident = ta[j].incident;
        no->case_id = ta[j].case_id;
        const key_incident *ki = ta[j].incident ? find_incident(&k, ta[j].incident) : NULL;
        int known_case = !ta[j].case_id;
        for (size_t c = 0; c < k.n_cases; c++)
            known_case |= k.cases[c] == ta[j].case_id;
        if ((ta[j].incident && !ki) || !known_case) {
            no->unknown = 1;
            sc->unknown++;
        } else if (ki && ki->is_false && ta[j].kind == DRL_DISPATCH) {
            no->on_false = 1;
            sc->on_false++;
            sc->total += DRL_POINTS_ON_FALSE;
        }
    }
    free(ta);
    key_free(&k);
    return 0;
}

void drl_score_free(drl_score *sc)
{
    free(sc->actions);
    free(sc->notes);
    memset(sc, 0, sizeof *sc);
}

static void clock_text(double s, char *buf, size_t n)
{
    long v = (long)floor(s + 0.5);
    if (v < 0 || v > 99999999L)
        v = 0;
    snprintf(buf, n, "T+%02d:%02d", (int)(v / 60), (int)(v % 60));
}

static const char *const verdict_names[] = {"on time", "late", "wrong patrol", "missed"};

void drl_score_print(FILE *f, const drl_score *sc)
{
    fprintf(f, "%s\n", sc->trainee);
    for (size_t i = 0; i < sc->n_actions; i++) {
        const drl_scored_action *a = &sc->actions[i];
        char due[32], target[40];
        clock_text(a->due_s, due, sizeof due);
        drl_target_text(a->incident, a->case_id, target, sizeof target);
        fprintf(f, "  %-4s %-11s %-14s due %s  ", a->id, a->action, target, due);
        switch (a->verdict) {
        case DRL_ON_TIME:
            fprintf(f, "on time (line %ld)", a->line);
            break;
        case DRL_LATE:
            fprintf(f, "late by %.*f s (line %ld)", a->late_s < 10 ? 1 : 0, a->late_s, a->line);
            break;
        case DRL_WRONG_PATROL:
            if (isfinite(a->extra_m))
                fprintf(f, "wrong patrol: %s, %.0f m farther than %s (line %ld)", a->patrol, a->extra_m,
                        a->right_patrol, a->line);
            else
                fprintf(f, "wrong patrol: %s is not a patrol of this drill; %s was nearest (line %ld)", a->patrol,
                        a->right_patrol, a->line);
            if (a->late_s > 0)
                fprintf(f, ", and late by %.*f s", a->late_s < 10 ? 1 : 0, a->late_s);
            break;
        case DRL_MISSED:
            fprintf(f, "missed%s", strcmp(a->action, "escalate") == 0 ? " (an escalation)" : "");
            break;
        }
        fprintf(f, "  %+d\n", a->points);
    }
    for (size_t i = 0; i < sc->n_notes; i++) {
        const drl_note *no = &sc->notes[i];
        char at[32];
        clock_text(no->t_s, at, sizeof at);
        if (no->unknown && no->incident)
            fprintf(f, "  line %ld (%s): %s for incident #%lld, which this drill does not have\n", no->line, at,
                    no->action, no->incident);
        else if (no->unknown)
            fprintf(f, "  line %ld (%s): %s for case %d, which this drill does not have\n", no->line, at,
                    no->action, no->case_id);
        else if (no->on_false)
            fprintf(f, "  line %ld (%s): dispatch to incident #%lld, a false alert: a patrol taken off its beat  %+d\n",
                    no->line, at, no->incident, DRL_POINTS_ON_FALSE);
        else
            fprintf(f, "  line %ld (%s): %s, not an expected action (or over %d min late)\n", no->line, at,
                    no->action, (int)(DRL_LATE_CAP_S / 60));
    }
    fprintf(f, "total %d of %d: on time %d, late %d, wrong patrol %d, missed %d (escalations %d), "
               "on false alerts %d, unknown incidents %d\n",
            sc->total, sc->max, sc->on_time, sc->late, sc->wrong_patrol, sc->missed, sc->missed_escalations,
            sc->on_false, sc->unknown);
}

void drl_score_print_table(FILE *f, const drl_score *scores, size_t n)
{
    fprintf(f, "%-32s %7s %5s %6s %7s %6s %8s %9s\n", "trainee", "on time", "late", "wrong", "missed", "false",
            "total", "of");
    for (size_t i = 0; i < n; i++) {
        const drl_score *s = &scores[i];
        const char *name = strrchr(s->trainee, '/') ? strrchr(s->trainee, '/') + 1 : s->trainee;
        fprintf(f, "%-32.32s %7d %5d %6d %7d %6d %8d %9d\n", name, s->on_time, s->late, s->wrong_patrol, s->missed,
                s->on_false, s->total, s->max);
    }
}

int drl_score_write_json(FILE *f, const drl_score *scores, size_t n)
{
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_SPACED);
    rec_json_array(&w);
    for (size_t i = 0; i < n; i++) {
        const drl_score *s = &scores[i];
        rec_json_newline(&w);
        rec_json_object(&w);
        rec_json_kstr(&w, "trainee", s->trainee);
        rec_json_kint(&w, "total", s->total);
        rec_json_kint(&w, "max", s->max);
        rec_json_kint(&w, "on_time", s->on_time);
        rec_json_kint(&w, "late", s->late);
        rec_json_kint(&w, "wrong_patrol", s->wrong_patrol);
        rec_json_kint(&w, "missed", s->missed);
        rec_json_kint(&w, "missed_escalations", s->missed_escalations);
        rec_json_kint(&w, "on_false_alerts", s->on_false);
        rec_json_kint(&w, "unknown_incidents", s->unknown);
        rec_json_key(&w, "actions");
        rec_json_array(&w);
        for (size_t j = 0; j < s->n_actions; j++) {
            const drl_scored_action *a = &s->actions[j];
            rec_json_newline(&w);
            rec_json_object(&w);
            rec_json_kstr(&w, "id", a->id);
            rec_json_kstr(&w, "action", a->action);
            rec_json_kint(&w, "case", a->case_id);
            rec_json_kint(&w, "incident", a->incident);
            rec_json_kfixed(&w, "due_s", a->due_s, 3);
            rec_json_kstr(&w, "verdict", verdict_names[a->verdict]);
            rec_json_kfixed(&w, "late_s", a->verdict == DRL_MISSED ? NAN : a->late_s, 3);
            rec_json_kint(&w, "line", a->line);
            if (!strcmp(a->action, "dispatch")) {
                rec_json_kstr(&w, "patrol", a->patrol);
                rec_json_kstr(&w, "right_patrol", a->right_patrol);
                rec_json_kfixed(&w, "extra_m", a->extra_m, 0);
            }
            rec_json_kint(&w, "points", a->points);
            rec_json_end(&w);
        }
        rec_json_end_newline(&w);
        rec_json_key(&w, "notes");
        rec_json_array(&w);
        for (size_t j = 0; j < s->n_notes; j++) {
            const drl_note *no = &s->notes[j];
            rec_json_newline(&w);
            rec_json_object(&w);
            rec_json_kint(&w, "line", no->line);
            rec_json_kfixed(&w, "t_s", no->t_s, 3);
            rec_json_kstr(&w, "action", no->action);
            rec_json_kint(&w, "incident", no->incident);
            rec_json_kint(&w, "case", no->case_id);
            rec_json_kbool(&w, "false_alert", no->on_false);
            rec_json_kbool(&w, "unknown_incident", no->unknown);
            rec_json_end(&w);
        }
        rec_json_end_newline(&w);
        rec_json_end(&w);
    }
    rec_json_end_newline(&w);
    rec_json_text(&w, "\n");
    return rec_json_finish(&w);
}
