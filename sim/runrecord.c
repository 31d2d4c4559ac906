/*
 * runrecord.c - the run record: what a run writes, and when.
 *
 *   events.jsonl  every engine event, a JSON line (sim_event_json)
 *   fixes.csv     every fix delivered to the engine, with its cause, the
 *                 true position and the engine's verdict
 *   truth.csv     every actor's true timeline, straight segments
 *   run.geojson   fixes, true tracks, exclusion and environment zones and
 *                 alert episodes, for GIS tools (record/'s GeoJSON writer)
 *
 * A compact record (sim_run_options.compress, `run --compress`) writes
 * fixes.csv.gz and events.jsonl.gz instead (the same text, gzip'd as it is
 * written, on threads of their own: record/gz.c) and leaves the fixes out
 * of run.geojson, where they were every fix a second time: a national day
 * is then 0.45 GB, not 4.7.
 *   run.gpkg      the same layers as a GeoPackage, when asked (record/gpkg.h)
 *   summary.json  what the run did and its expectations' verdicts, for the
 *                 command (sim_summary_write_json)
 *
 * The formats are record/'s (one JSON writer, RFC 4180 CSV fields); what
 * goes in them is decided here, once for GeoJSON and GeoPackage.  Each file
 * is written as NAME.part and renamed when the run succeeds; the run's
 * folder is itself a stage that the command publishes in one step
 * (record.h, rec_publish_dir).
 */
#include "run_internal.h"
#include "expect.h"
#include "pw_grow.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A run.gpkg write that failed fails the run, with SQLite's reason. */
static void gpkg_check(run *r, int rc)
{
    if (rc != 0)
        run_fail(r, "%s", rec_gpkg_error(r->gpkg));
}


static void put_text(char **p, char *end, const char *s)
{
    while (*s && *p < end)
        *(*p)++ = *s++;
}

static const char *source_name(const pw_fix *f)
{
    return f->source == PW_SRC_CELL ? "cell" : f->source == PW_SRC_WIFI ? "wifi" : "gnss";
}

/* ---- files ------------------------------------------------------------ */

FILE *run_file_open(run *r, const char *name)
{
    char why[700];
    FILE *f = rec_part_open(r->dir, name, why, sizeof why);
    if (!f)
        run_fail(r, "%s", why);
    return f;
}

void run_file_finish(run *r, FILE **f, const char *name)
{
    char why[700];
    if (*f && rec_part_close(*f, r->dir, name, !r->failed, why, sizeof why) != 0)
        run_fail(r, "%s", why);
    *f = NULL;
}

void run_record_open(run *r)
{
    if (!r->opt->record)
        return;
    if (rec_make_dirs(r->dir) != 0) {
        run_fail(r, "%s: cannot create the output folder: %s", r->dir, strerror(errno));
        return;
    }
    if (r->opt->compress) {
        char why[700];
        if (!(r->f_events = rec_part_open_gz(r->dir, "events.jsonl.gz", why, sizeof why)) ||
            !(r->f_fixes = rec_part_open_gz(r->dir, "fixes.csv.gz", why, sizeof why)))
            run_fail(r, "%s", why);
    } else {
        r->f_events = run_file_open(r, "events.jsonl");
        r->f_fixes = run_file_open(r, "fixes.csv");
    }
    r->f_truth = run_file_open(r, "truth.csv");
    r->f_geo = run_file_open(r, "run.geojson");
    if (r->f_geo) /* a compact record says where its fixes are (render reads them there) */
        rec_geojson_begin_with(&r->geo, r->f_geo, r->opt->compress ? "fixes" : NULL, "fixes.csv.gz");
    if (r->f_fixes)
        fputs("deliver_ms,fix_ms,device,lat,lon,acc_m,source,cause,true_lat,true_lon,engine\n", r->f_fixes);
    if (r->opt->gpkg && !r->failed) {
        char path[600];
        snprintf(path, sizeof path, "%s/run.gpkg.part", r->dir);
        remove(path);
        if (rec_gpkg_open(&r->gpkg, path) != 0) {
            if (r->gpkg)
                gpkg_check(r, -1);
            else
                run_fail(r, "%s: out of memory", path);
        }
    }
}

void run_record_event(run *r, const pw_event *ev)
{
    if (r->f_events && sim_event_write(r->f_events, ev) != 0)
        run_fail(r, "%s: cannot write events.jsonl%s: %s", r->dir, r->opt->compress ? ".gz" : "", strerror(errno));
    if (r->gpkg)
        gpkg_check(r, rec_gpkg_event(r->gpkg, ev->time, pw_event_name(ev->type), ev->case_id, ev->device,
                                     ev->incident, ev->lon, ev->lat, ev->acc_m, ev->probability,
                                     ev->distance_m));
}

/* ---- the maps: run.geojson and run.gpkg ----------------------------------- */

static int xy_reserve(run *r, size_t n)
{
    if (pw_grow((void **)&r->xy, &r->cap_xy, 2 * n, sizeof *r->xy) == 0)
        return 0;
    run_fail(r, "out of memory for a map layer");
    return -1;
}

static void xy_set(run *r, size_t i, double lat, double lon)
{
    r->xy[2 * i] = lon;
    r->xy[2 * i + 1] = lat;
}

/* A circle as a closed 64-gon into r->xy (65 points), for GIS tools that
 * have no circles. */
static size_t circle_xy(run *r, double lat, double lon, double radius_m)
{
    if (xy_reserve(r, 65) != 0)
        return 0;
    double cx, cy;
    eng_geo_to_local(&r->frame, lat, lon, &cx, &cy);
    for (int i = 0; i <= 64; i++) {
        double a = 2.0 * M_PI * (i % 64) / 64.0, la, lo;
        eng_geo_to_wgs84(&r->frame, cx + radius_m * cos(a), cy + radius_m * sin(a), &la, &lo);
        xy_set(r, (size_t)i, la, lo);
    }
    return 65;
}

static void map_fix(run *r, const dev_message *m, pw_time_ms now)
{
    if (r->gpkg)
        gpkg_check(r, rec_gpkg_fix(r->gpkg, now, m->fix.time, m->fix.device, m->fix.lon, m->fix.lat,
                                   m->fix.acc_m, source_name(&m->fix), dev_cause_name(m->cause)));
    if (!r->f_geo || r->opt->compress)
        return;
    double at[2] = {m->fix.lon, m->fix.lat};
    rec_geojson_feature(&r->geo, REC_GEO_POINT, at, 1);
    rec_json_kstr(&r->geo.w, "kind", "fix");
    rec_json_kuint(&r->geo.w, "device", m->fix.device);
    rec_json_kint(&r->geo.w, "t", now);
    rec_json_kint(&r->geo.w, "fix_t", m->fix.time);
    /* A fix without a claimed accuracy (a live receiver's) has none: null. */
    rec_json_kfixed(&r->geo.w, "acc_m", m->fix.acc_m, 1);
    rec_json_kstr(&r->geo.w, "source", source_name(&m->fix));
    rec_json_kstr(&r->geo.w, "cause", dev_cause_name(m->cause));
    rec_geojson_feature_end(&r->geo);
}

void run_record_layers(run *r)
{
    if (r->failed || (!r->f_geo && !r->gpkg))
        return;
    const scn_scenario *s = r->s;
    /* True tracks: one line per actor through its segment ends. */
    for (size_t a = 0; a < s->n_actors && !r->failed; a++) {
        const sim_track *tr = &r->actors[a].track;
        size_t n = tr->n ? tr->n + 1 : 0;
        if (xy_reserve(r, n + 1) != 0)
            return;
        for (size_t i = 0; i < n; i++) {
            const sim_segment *g = &tr->seg[i < tr->n ? i : tr->n - 1];
            double la, lo;
            eng_geo_to_wgs84(&r->frame, i < tr->n ? g->x0 : g->x1, i < tr->n ? g->y0 : g->y1, &la, &lo);
            xy_set(r, i, la, lo);
        }
        if (r->gpkg)
            gpkg_check(r, rec_gpkg_track(r->gpkg, s->actors[a].id, s->actors[a].name,
                                         scn_role_name(s->actors[a].role), r->xy, n));
        if (!r->f_geo)
            continue;
        rec_geojson_feature(&r->geo, REC_GEO_LINE, r->xy, n);
        rec_json_kstr(&r->geo.w, "kind", "truth");
        rec_json_kuint(&r->geo.w, "device", s->actors[a].id);
        rec_json_kstr(&r->geo.w, "name", s->actors[a].name);
        rec_json_kstr(&r->geo.w, "role", scn_role_name(s->actors[a].role));
        rec_geojson_feature_end(&r->geo);
    }
    /* Exclusion zones, per case. */
    for (size_t ci = 0; ci < s->n_cases; ci++) {
        const eng_case_def *d = &s->cases[ci].def;
        for (size_t k = 0; k < d->n_zones && !r->failed; k++) {
            const eng_zone_def *z = &d->zones[k];
            size_t n;
            if (z->kind == ENG_ZONE_CIRCLE) {
                n = circle_xy(r, z->center_lat, z->center_lon, z->radius_m);
            } else {
                n = z->n_vertices + 1;
                if (xy_reserve(r, n) != 0)
                    return;
                for (size_t i = 0; i < n; i++)
                    xy_set(r, i, z->lat[i % z->n_vertices], z->lon[i % z->n_vertices]);
            }
            if (r->failed)
                return;
            int scheduled = z->schedule.n_windows != 0;
            if (r->gpkg)
                gpkg_check(r, rec_gpkg_zone(r->gpkg, "exclusion_zone", d->id, z->id, scheduled, NULL, r->xy, n));
            if (!r->f_geo)
                continue;
            rec_geojson_feature(&r->geo, REC_GEO_POLYGON, r->xy, n);
            rec_json_kstr(&r->geo.w, "kind", "exclusion_zone");
            rec_json_kuint(&r->geo.w, "case", d->id);
            rec_json_kuint(&r->geo.w, "zone", z->id);
            rec_json_kbool(&r->geo.w, "scheduled", scheduled);
            rec_geojson_feature_end(&r->geo);
        }
    }
    /* GNSS environment zones. */
    for (size_t i = 0; i < s->n_env_zones && !r->failed; i++) {
        const scn_env_zone *z = &s->env_zones[i];
        size_t n;
        if (z->is_circle) {
            n = circle_xy(r, z->center.lat, z->center.lon, z->radius_m);
        } else {
            n = z->n_points + 1;
            if (xy_reserve(r, n) != 0)
                return;
            for (size_t k = 0; k < n; k++) {
                const scn_point *pt = &s->points[z->first_point + k % z->n_points];
                xy_set(r, k, pt->lat, pt->lon);
            }
        }
        if (r->failed)
            return;
        if (r->gpkg)
            gpkg_check(r, rec_gpkg_zone(r->gpkg, "environment", 0, 0, -1, scn_env_name(z->env), r->xy, n));
        if (!r->f_geo)
            continue;
        rec_geojson_feature(&r->geo, REC_GEO_POLYGON, r->xy, n);
        rec_json_kstr(&r->geo.w, "kind", "environment");
        rec_json_kstr(&r->geo.w, "env", scn_env_name(z->env));
        rec_geojson_feature_end(&r->geo);
    }
    /* Safe places the victim's app shows. */
    for (size_t i = 0; i < s->n_safe_places && r->f_geo; i++) {
        double at[2] = {s->safe_places[i].at.lon, s->safe_places[i].at.lat};
        rec_geojson_feature(&r->geo, REC_GEO_POINT, at, 1);
        rec_json_kstr(&r->geo.w, "kind", "safe_place");
        rec_json_kstr(&r->geo.w, "name", s->safe_places[i].name);
        rec_json_kstr(&r->geo.w, "place", s->safe_places[i].kind);
        rec_geojson_feature_end(&r->geo);
    }
    /* Unrelated 112 calls, where and when they came in. */
    for (size_t i = 0; i < s->n_calls && r->f_geo; i++) {
        double at[2] = {s->calls[i].place.lon, s->calls[i].place.lat};
        rec_geojson_feature(&r->geo, REC_GEO_POINT, at, 1);
        rec_json_kstr(&r->geo.w, "kind", "call");
        rec_json_kint(&r->geo.w, "incident", SIM_CALL_INCIDENT_BASE + (int64_t)i + 1);
        rec_json_kint(&r->geo.w, "start", s->calls[i].at);
        rec_json_kstr(&r->geo.w, "what", s->calls[i].what);
        rec_geojson_feature_end(&r->geo);
    }
    /* Alert episodes, where the offender was when they opened. */
    for (size_t e = 0; e < r->metrics.n_episodes && !r->failed; e++) {
        const eval_episode *ep = &r->metrics.episodes[e];
        if (!isfinite(ep->lat) || !isfinite(ep->lon))
            continue;
        const char *rule = ep->rule == 0 ? "proximity" : "zone";
        const char *cause = ep->is_true ? "none" : eval_cause_name(ep->cause);
        unsigned case_id = s->cases[ep->case_index].def.id;
        if (r->gpkg)
            gpkg_check(r, rec_gpkg_episode(r->gpkg, case_id, rule, ep->start, ep->end, ep->is_true, cause,
                                           ep->lon, ep->lat));
        if (!r->f_geo)
            continue;
        double at[2] = {ep->lon, ep->lat};
        rec_geojson_feature(&r->geo, REC_GEO_POINT, at, 1);
        rec_json_kstr(&r->geo.w, "kind", "alert_episode");
        rec_json_kuint(&r->geo.w, "case", case_id);
        rec_json_kstr(&r->geo.w, "rule", rule);
        rec_json_kint(&r->geo.w, "start", ep->start);
        rec_json_kint(&r->geo.w, "end", ep->end);
        rec_json_kbool(&r->geo.w, "true", ep->is_true);
        rec_json_kstr(&r->geo.w, "cause", cause);
        rec_geojson_feature_end(&r->geo);
    }
}

/* ---- fixes.csv and truth.csv ------------------------------------------ */

void run_record_fix(run *r, const dev_message *m, eng_status st, pw_time_ms now)
{
    map_fix(r, m, now);
    if (!r->f_fixes)
        return;
    double tlat, tlon;
    eng_geo_to_wgs84(&r->frame, m->true_x, m->true_y, &tlat, &tlon);
    char *p = r->line, *end = r->line + sizeof r->line - 1;
    rec_put_int(&p, end, now);
    put_text(&p, end, ",");
    rec_put_int(&p, end, m->fix.time);
    put_text(&p, end, ",");
    rec_put_int(&p, end, m->fix.device);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, m->fix.lat, 7);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, m->fix.lon, 7);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, m->fix.acc_m, 1);
    put_text(&p, end, m->fix.source == PW_SRC_CELL ? ",cell," : m->fix.source == PW_SRC_WIFI ? ",wifi," : ",gnss,");
    put_text(&p, end, dev_cause_name(m->cause));
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, tlat, 7);
    put_text(&p, end, ",");
    rec_put_fixed(&p, end, tlon, 7);
    put_text(&p, end, st == ENG_OK ? ",accepted\n" : st == ENG_EREJECTED ? ",rejected\n" : ",error\n");
    *p = '\0';
    if (fwrite(r->line, 1, (size_t)(p - r->line), r->f_fixes) != (size_t)(p - r->line))
        run_fail(r, "%s: cannot write fixes.csv%s: %s", r->dir, r->opt->compress ? ".gz" : "", strerror(errno));
}

void run_record_truth(run *r)
{
    if (r->failed || !r->f_truth)
        return;
    fputs("actor,name,role,t0_ms,t1_ms,lat0,lon0,lat1,lon1,mode,underground,moving\n", r->f_truth);
    for (size_t a = 0; a < r->s->n_actors; a++) {
        const sim_track *tr = &r->actors[a].track;
        const scn_actor *sa = &r->s->actors[a];
        for (size_t i = 0; i < tr->n; i++) {
            const sim_segment *g = &tr->seg[i];
            double la0, lo0, la1, lo1;
            eng_geo_to_wgs84(&r->frame, g->x0, g->y0, &la0, &lo0);
            eng_geo_to_wgs84(&r->frame, g->x1, g->y1, &la1, &lo1);
            fprintf(r->f_truth, "%u,", sa->id);
            rec_csv_field(r->f_truth, sa->name);
            fprintf(r->f_truth, ",%s,%lld,%lld,%.7f,%.7f,%.7f,%.7f,%s,%d,%d\n", scn_role_name(sa->role),
                    (long long)g->t0, (long long)g->t1, la0, lo0, la1, lo1, scn_mode_name((scn_mode)g->mode),
                    g->underground, g->moving);
        }
    }
}

void run_record_close(run *r)
{
    if (r->f_geo && rec_geojson_end(&r->geo) != 0)
        run_fail(r, "%s/run.geojson: cannot write: %s", r->dir, strerror(errno ? errno : EIO));
    run_file_finish(r, &r->f_events, r->opt->compress ? "events.jsonl.gz" : "events.jsonl");
    run_file_finish(r, &r->f_fixes, r->opt->compress ? "fixes.csv.gz" : "fixes.csv");
    run_file_finish(r, &r->f_truth, "truth.csv");
    run_file_finish(r, &r->f_geo, "run.geojson");
    if (r->gpkg) {
        char gerr[768];
        /* Its time: the run's end in simulated time (a live run's when it
         * stopped), so the same run writes the same file. */
        if (rec_gpkg_close(r->gpkg, !r->failed, (long long)(r->s->start + r->s->duration_ms), gerr,
                           sizeof gerr) != 0)
            run_fail(r, "%s", gerr);
        r->gpkg = NULL;
        char why[700]; /* the file is SQLite's: only its .part's fate here */
        if (rec_part_close(NULL, r->dir, "run.gpkg", !r->failed, why, sizeof why) != 0)
            run_fail(r, "%s", why);
    }
    free(r->xy);
    r->xy = NULL;
}

/* ---- summary.json -------------------------------------------------------- */

/* summary.json, published whole (written as .part, then renamed); 0, or
 * -1 with the reason in err. */
int sim_summary_write_json(const char *dir, const scn_scenario *s, const sim_summary *sum,
                           const eval_expect_result *expects, size_t failed, char *err, size_t errlen)
{
    FILE *f = rec_part_open(dir, "summary.json", err, errlen);
    if (!f)
        return SIM_ERUN;
    rec_json w;
    rec_json_to_file(&w, f, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_kstr(&w, "scenario", s->name);
    rec_json_kuint(&w, "seed", s->seed);
    rec_json_kfixed(&w, "sim_seconds", sum->sim_seconds, 0);
    rec_json_key(&w, "fixes");
    rec_json_object(&w);
    static const char *const fix_keys[] = {"sent", "delivered", "accepted", "rejected", "lost"};
    const uint64_t fix_counts[] = {sum->fixes_sent, sum->fixes_delivered, sum->fixes_accepted,
                                   sum->fixes_rejected, sum->fixes_lost};
    for (size_t i = 0; i < 5; i++) {
        rec_json_kuint(&w, fix_keys[i], fix_counts[i]);
    }
    rec_json_end(&w);
    rec_json_key(&w, "events");
    rec_json_object(&w);
    for (int t = 1; t < PW_EV_TYPE_COUNT; t++) {
        rec_json_kuint(&w, pw_event_name((pw_event_type)t), sum->by_type[t]);
    }
    rec_json_end(&w);
    if (s->n_expects) {
        rec_json_kuint(&w, "expect_not_held", failed);
        rec_json_key(&w, "expect");
        eval_expect_write_json(&w, expects, s->n_expects);
    }
    rec_json_end(&w);
    rec_json_text(&w, "\n");
    if (rec_json_finish(&w) != 0) {
        rec_part_close(f, dir, "summary.json", 0, NULL, 0);
        snprintf(err, errlen, "%s/summary.json: cannot write: %s", dir, strerror(errno ? errno : EIO));
        return SIM_ERUN;
    }
    return rec_part_close(f, dir, "summary.json", 1, err, errlen) == 0 ? SIM_OK : SIM_ERUN;
}
