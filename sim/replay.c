/*
 * replay.c - field traces through the engine.  An engineer's recorded
 * offender and victim traces (NMEA, gpsd JSON or CSV, in any mix) are fed
 * to the same engine in time order; with reference trajectories for the
 * roles, the breach and alert metrics are computed against them exactly as
 * in simulation.
 */
#include "devices.h"
#include "traces.h"
#include "sim.h"
#include "pw_grow.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct fixes {
    pw_fix *v;
    size_t n, cap;
} fixes;

/* Read a whole trace; fixes keep file order, then are sorted by time. */
static int cmp_fix_time(const void *a, const void *b)
{
    const pw_fix *x = a, *y = b;
    return x->time < y->time ? -1 : x->time > y->time;
}

/* Keep the largest group of fixes whose neighbours in time lie within
 * SIM_TRACE_GAP_MS (see sim.h); return how many were dropped. */
static size_t drop_time_outliers(fixes *f)
{
    size_t best_from = 0, best_n = 0, from = 0;
    for (size_t i = 1; i <= f->n; i++) {
        if (i == f->n || f->v[i].time - f->v[i - 1].time > SIM_TRACE_GAP_MS) {
            if (i - from > best_n) {
                best_from = from;
                best_n = i - from;
            }
            from = i;
        }
    }
    size_t dropped = f->n - best_n;
    if (dropped)
        memmove(f->v, f->v + best_from, best_n * sizeof *f->v);
    f->n = best_n;
    return dropped;
}

static int read_trace(const char *path, pw_id device, int reference, const sim_replay_options *o, fixes *out,
                      char *err, size_t errlen, uint64_t *bad_time)
{
    trc_options to;
    trc_options_default(&to);
    to.device = device;
    to.reference = reference;
    to.no_checksum = reference && o->no_checksum;
    if (o->has_date)
        to.date_days = o->date_days;
    to.rollover = o->rollover;
    to.warn = o->warn;
    to.warn_ctx = o->warn_ctx;
    trc_reader *rd;
    trc_status st = trc_open(path, &to, &rd);
    if (st != TRC_OK) {
        trc_describe(st, path, errno, err, errlen);
        return SIM_EINVAL;
    }
    pw_fix f;
    trc_fix_extra ex;
    while ((st = trc_next(rd, &f, &ex)) == TRC_OK) {
        if (!(f.set & PW_FIX_TIME_SET))
            continue;
        if (pw_grow((void **)&out->v, &out->cap, out->n + 1, sizeof *out->v) != 0) {
            trc_close(rd);
            snprintf(err, errlen, "out of memory reading %s", path);
            return SIM_ERUN;
        }
        out->v[out->n++] = f;
    }
    const trc_counters counts = *trc_get_counters(rd);
    long bad_sums = counts.skipped[TRC_SKIP_CHECKSUM], ignored_sums = counts.checksum_ignored;
    long kept = counts.kept_as_reference;
    trc_close(rd);
    if (st != TRC_EOF) {
        trc_describe(st, path, errno, err, errlen);
        return SIM_ERUN;
    }
    if (o->warn) {
        char what[1200];
        long other_skips = counts.skipped_total - bad_sums;
        if (other_skips > 0) {
            char why[1024];
            trc_describe_counts(&counts, why, sizeof why);
            snprintf(what, sizeof what, "%ld lines skipped as bad input, by reason: %.900s", other_skips, why);
            o->warn(o->warn_ctx, path, 0, what);
        }
        if (bad_sums) {
            snprintf(what, sizeof what, "%ld sentences failed their checksum and were skipped%s", bad_sums,
                     reference ? " (--no-checksum reads a reference's anyway)" : "");
            o->warn(o->warn_ctx, path, 0, what);
        }
        if (ignored_sums) {
            snprintf(what, sizeof what, "%ld sentences read despite a wrong checksum (--no-checksum)", ignored_sums);
            o->warn(o->warn_ctx, path, 0, what);
        }
        if (kept) {
            snprintf(what, sizeof what, "%ld epochs kept although the receiver did not call them fixes (a "
                     "reference is kept epoch by epoch)", kept);
            o->warn(o->warn_ctx, path, 0, what);
        }
    }
    if (out->n == 0) {
        char why[1024];
        trc_describe_counts(&counts, why, sizeof why);
        snprintf(err, errlen, "%s: no fixes in the trace: %s%s%s", path, why,
                 bad_sums && reference ? "; --no-checksum reads a reference's sentences despite a wrong checksum"
                                       : "",
                 counts.undated_epochs ? "; --date YYYY-MM-DD gives the day of undated epochs" : "");
        return SIM_EINVAL;
    }
    qsort(out->v, out->n, sizeof *out->v, cmp_fix_time);
    size_t dropped = drop_time_outliers(out);
    if (dropped) {
        *bad_time += dropped;
        if (o->warn) {
            char what[200];
            snprintf(what, sizeof what,
                     "%zu fixes dropped: their times lie more than %lld h from the rest of the trace", dropped,
                     (long long)(SIM_TRACE_GAP_MS / 3600000));
            o->warn(o->warn_ctx, path, 0, what);
        }
    }
    return 0;
}

/* A reference trajectory as truth: straight segments between its fixes,
 * held at the ends so that it covers [start, end]. */
int sim_track_from_fixes(const pw_fix *fx, size_t n, const eng_frame *fr, pw_time_ms start, pw_time_ms end,
                         sim_track *tr)
{
    const fixes view = {(pw_fix *)fx, n, n}, *f = &view;
    memset(tr, 0, sizeof *tr);
    size_t need = f->n + 2;
    tr->seg = calloc(need, sizeof *tr->seg);
    if (!tr->seg)
        return SIM_ENOMEM;
    tr->cap = need;
    double px, py;
    eng_geo_to_local(fr, f->v[0].lat, f->v[0].lon, &px, &py);
    pw_time_ms pt = start;
    for (size_t i = 0; i <= f->n; i++) {
        double x = px, y = py;
        pw_time_ms t = end;
        if (i < f->n) {
            eng_geo_to_local(fr, f->v[i].lat, f->v[i].lon, &x, &y);
            t = f->v[i].time < start ? start : f->v[i].time > end ? end : f->v[i].time;
        }
        if (t > pt) {
            int moving = x != px || y != py;
            tr->seg[tr->n++] = (sim_segment){.t0 = pt, .t1 = t, .x0 = px, .y0 = py, .x1 = x, .y1 = y,
                                             .moving = (uint8_t)moving};
            pt = t;
        }
        px = x;
        py = y;
    }
    if (tr->n == 0) /* a single instant: one still segment */
        tr->seg[tr->n++] = (sim_segment){.t0 = start, .t1 = end > start ? end : start + 1, .x0 = px, .y0 = py,
                                         .x1 = px, .y1 = py};
    return 0;
}

typedef struct replay_ctx {
    FILE *events;
    eval_metrics *metrics;
    sim_summary *sum;
    int write_failed;           /* errno of the first failed write, or EIO */
} replay_ctx;

static void replay_sink(void *ctx, const pw_event *ev)
{
    replay_ctx *c = ctx;
    c->sum->events++;
    c->sum->by_type[ev->type]++;
    eval_metrics_event(c->metrics, ev);
    /* A recorded victim's phone has no network model here: it sees a
     * position when the engine sends it. */
    if (ev->type == PW_EV_REVEAL_UPDATE && ev->recipient == ENG_PARTY_VICTIM) {
        c->sum->pins_sent++;
        c->sum->pins_seen++;
        eval_metrics_victim_sees(c->metrics, ev->case_id, ev->time, ev->time);
    }
    if (c->events && sim_event_write(c->events, ev) != 0 && !c->write_failed)
        c->write_failed = errno ? errno : EIO;
}

static void relocate_all(const sim_relocation *r, fixes *f)
{
    for (size_t k = 0; k < f->n; k++)
        sim_relocation_apply(r, &f->v[k]);
}

/* Narrow [*lo, *hi] to the times of f (NULL: nothing to do); SIM_EINVAL
 * when nothing is left, err naming the file. */
static int narrow_span(const fixes *f, const char *path, const char *what, pw_time_ms *lo, pw_time_ms *hi,
                       char *err, size_t errlen)
{
    if (!f)
        return 0;
    pw_time_ms a = f->v[0].time, b = f->v[f->n - 1].time;
    if (a > *hi || b < *lo) {
        char s1[40], s2[40], s3[40], s4[40];
        pw_format_time(a, s1, sizeof s1);
        pw_format_time(b, s2, sizeof s2);
        pw_format_time(*lo, s3, sizeof s3);
        pw_format_time(*hi, s4, sizeof s4);
        snprintf(err, errlen, "%s: %s (%s to %s) does not overlap the other traces in time (%s to %s)", path, what,
                 s1, s2, s3, s4);
        return SIM_EINVAL;
    }
    if (a > *lo)
        *lo = a;
    if (b < *hi)
        *hi = b;
    return 0;
}

static uint64_t count_outside(const fixes *f, pw_time_ms lo, pw_time_ms hi)
{
    uint64_t n = 0;
    for (size_t k = 0; k < f->n; k++)
        n += f->v[k].time < lo || f->v[k].time > hi;
    return n;
}

/* run.geojson of a replay, as a run writes it (so that proxwatch render
 * draws replays too): the fixes replayed (the scored span), the truth
 * lines (references, or the traces themselves), the alert episodes. */
static int write_geojson(const char *dir, const sim_track tracks[2], const fixes *const traces[2],
                         pw_time_ms lo, pw_time_ms hi, const eval_metrics *m, const eng_frame *fr, char *err,
                         size_t errlen)
{
    FILE *f = rec_part_open(dir, "run.geojson", err, errlen);
    if (!f)
        return SIM_ERUN;
    rec_geojson g;
    rec_geojson_begin(&g, f);
    static const char *const role[2] = {"victim", "offender"};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < traces[k]->n; i++) {
            const pw_fix *x = &traces[k]->v[i];
            if (x->time < lo || x->time > hi || !(x->set & PW_FIX_LATLON_SET))
                continue;
            double at[2] = {x->lon, x->lat};
            rec_geojson_feature(&g, REC_GEO_POINT, at, 1);
            rec_json_kstr(&g.w, "kind", "fix");
            rec_json_kuint(&g.w, "device", x->device);
            rec_json_kint(&g.w, "t", (x->set & PW_FIX_RECV_SET) ? x->recv_time : x->time);
            rec_json_kint(&g.w, "fix_t", x->time);
            rec_json_kfixed(&g.w, "acc_m", (x->set & PW_FIX_ACC_SET) ? x->acc_m : NAN, 1);
            rec_json_kstr(&g.w, "source", x->source == PW_SRC_CELL ? "cell" : x->source == PW_SRC_WIFI ? "wifi" : "gnss");
            rec_geojson_feature_end(&g);
        }
    for (int k = 0; k < 2; k++) {
        const sim_track *tr = &tracks[k];
        size_t n = tr->n ? tr->n + 1 : 0;
        double *ll = malloc((n ? n : 1) * 2 * sizeof *ll);
        if (!ll) {
            rec_geojson_end(&g);
            rec_part_close(f, dir, "run.geojson", 0, NULL, 0);
            snprintf(err, errlen, "out of memory");
            return SIM_ERUN;
        }
        for (size_t i = 0; i < n; i++) {
            const sim_segment *sg = &tr->seg[i < tr->n ? i : tr->n - 1];
            eng_geo_to_wgs84(fr, i < tr->n ? sg->x0 : sg->x1, i < tr->n ? sg->y0 : sg->y1, &ll[2 * i + 1], &ll[2 * i]);
        }
        if (n) {
            rec_geojson_feature(&g, REC_GEO_LINE, ll, n);
            rec_json_kstr(&g.w, "kind", "truth");
            rec_json_kuint(&g.w, "device", (uint64_t)(k + 1));
            rec_json_kstr(&g.w, "name", role[k]);
            rec_json_kstr(&g.w, "role", role[k]);
            rec_geojson_feature_end(&g);
        }
        free(ll);
    }
    for (size_t e = 0; e < m->n_episodes; e++) {
        const eval_episode *ep = &m->episodes[e];
        if (!isfinite(ep->lat) || !isfinite(ep->lon))
            continue;
        double at[2] = {ep->lon, ep->lat};
        rec_geojson_feature(&g, REC_GEO_POINT, at, 1);
        rec_json_kstr(&g.w, "kind", "alert_episode");
        rec_json_kuint(&g.w, "case", 1);
        rec_json_kstr(&g.w, "rule", ep->rule == 0 ? "proximity" : "zone");
        rec_json_kint(&g.w, "start", ep->start);
        rec_json_kint(&g.w, "end", ep->end);
        rec_json_kbool(&g.w, "true", ep->is_true);
        rec_json_kstr(&g.w, "cause", ep->is_true ? "none" : eval_cause_name(ep->cause));
        rec_geojson_feature_end(&g);
    }
    int bad = rec_geojson_end(&g) != 0 || ferror(f);
    if (rec_part_close(f, dir, "run.geojson", !bad, err, errlen) != 0 || bad) {
        if (bad)
            snprintf(err, errlen, "%s/run.geojson: cannot write", dir);
        return SIM_ERUN;
    }
    return 0;
}

/* A file of the values behind the report (latencies.csv, incidents.csv). */
static int write_values(const char *dir, const char *name, int (*w)(FILE *, const eval_metrics *),
                        const eval_metrics *m, char *err, size_t errlen)
{
    FILE *f = rec_part_open(dir, name, err, errlen);
    if (!f)
        return SIM_ERUN;
    int bad = w(f, m) != 0;
    if (rec_part_close(f, dir, name, !bad, err, errlen) != 0 || bad) {
        if (bad)
            snprintf(err, errlen, "%s/%s: cannot write", dir, name);
        return SIM_ERUN;
    }
    return 0;
}

/* The median gap between fixes: the trace's reporting interval. */
static int cmp_ms(const void *a, const void *b)
{
    pw_time_ms x = *(const pw_time_ms *)a, y = *(const pw_time_ms *)b;
    return (x > y) - (x < y);
}

static pw_time_ms median_gap(const fixes *f)
{
    if (f->n < 2)
        return 60000;
    pw_time_ms *g = malloc((f->n - 1) * sizeof *g);
    if (!g)
        return 60000;
    for (size_t i = 1; i < f->n; i++)
        g[i - 1] = f->v[i].time - f->v[i - 1].time;
    qsort(g, f->n - 1, sizeof *g, cmp_ms); /* a day at 1 Hz is 86,400 gaps */
    pw_time_ms m = g[(f->n - 1) / 2];
    free(g);
    return m > 0 ? m : 1000;
}

/* Longer than any replay (SIM_REPLAY_MAX_SPAN_MS, or --force's years). */
#define STANDING_SILENCE_MS (1000LL * 86400000)

/* Tick the engine at every whole second from *next up to `until` at which
 * it has something to do (eng_next_deadline); *next is the next second not
 * yet ticked. */
static void tick_until(eng_engine *eng, pw_time_ms *next, pw_time_ms until)
{
    while (*next <= until) {
        pw_time_ms due = eng_next_deadline(eng);
        if (due > *next) {
            if (due > until)
                break;
            *next += (due - *next + 999) / 1000 * 1000; /* the first whole second from due */
            if (*next > until)
                break;
        }
        eng_tick(eng, *next);
        *next += 1000;
    }
}

int sim_replay(const sim_replay_options *o, sim_summary *sum, char *err, size_t errlen)
{
    memset(sum, 0, sizeof *sum);
    fixes off = {0}, vic = {0}, ref_off = {0}, ref_vic = {0};
    int rc = 0;
    FILE *ev = NULL;
    sim_track tracks[2];
    memset(tracks, 0, sizeof tracks);
    eval_metrics metrics;
    memset(&metrics, 0, sizeof metrics);
    int metrics_ready = 0, engine_ready = 0;
    eng_engine eng;

    if ((rc = read_trace(o->offender_trace, 2, 0, o, &off, err, errlen, &sum->fixes_bad_time)) != 0)
        goto done;
    if (o->victim_trace) {
        if ((rc = read_trace(o->victim_trace, 1, 0, o, &vic, err, errlen, &sum->fixes_bad_time)) != 0)
            goto done;
    } else if (!o->has_victim_at) {
        snprintf(err, errlen, "give the victim: --victim TRACE or --victim-at LAT,LON");
        rc = SIM_EINVAL;
        goto done;
    }
    /* --relocate: everything moves with the offender's first fix. */
    sim_relocation reloc = {0};
    double victim_lat = o->victim_lat, victim_lon = o->victim_lon;
    if (o->relocate) {
        sim_relocation_init(&reloc, off.v[0].lat, off.v[0].lon, o->relocate_lat, o->relocate_lon);
        relocate_all(&reloc, &off);
        relocate_all(&reloc, &vic);
        pw_fix at;
        pw_fix_clear(&at);
        at.set = PW_FIX_LATLON_SET;
        at.lat = victim_lat;
        at.lon = victim_lon;
        sim_relocation_apply(&reloc, &at);
        victim_lat = at.lat;
        victim_lon = at.lon;
    }
    pw_time_ms a0 = off.v[0].time, a1 = off.v[off.n - 1].time;
    if (a1 - a0 > SIM_REPLAY_MAX_SPAN_MS && !o->force) {
        snprintf(err, errlen, "%s: the trace spans %.1f days, more than the %lld a replay takes; check its "
                              "times, or pass --force",
                 o->offender_trace, (double)(a1 - a0) / 86400000.0, (long long)(SIM_REPLAY_MAX_SPAN_MS / 86400000));
        rc = SIM_EINVAL;
        goto done;
    }
    if (o->victim_trace) {
        pw_time_ms b0 = vic.v[0].time, b1 = vic.v[vic.n - 1].time;
        if (b0 > a1 || a0 > b1) {
            char s1[40], s2[40], s3[40], s4[40];
            pw_format_time(a0, s1, sizeof s1);
            pw_format_time(a1, s2, sizeof s2);
            pw_format_time(b0, s3, sizeof s3);
            pw_format_time(b1, s4, sizeof s4);
            snprintf(err, errlen, "the traces do not overlap in time: offender %s to %s, victim %s to %s", s1, s2, s3,
                     s4);
            rc = SIM_EINVAL;
            goto done;
        }
    } else {
        /* A victim standing still: a phone fix each 60 s on the grid from
         * the offender's first fix, while his trace reports (within
         * SIM_STANDING_WINDOW_MS of one of his fixes): work in proportion to
         * his fixes, not to the span between them. */
        size_t emitted = 0; /* grid points 0 .. emitted - 1 are decided */
        for (size_t k = 0; k < off.n; k++) {
            pw_time_ms lo = off.v[k].time - SIM_STANDING_WINDOW_MS, hi = off.v[k].time + SIM_STANDING_WINDOW_MS;
            if (hi > a1 + 60000)
                hi = a1 + 60000;
            size_t g = lo <= a0 ? 0 : (size_t)((lo - a0 + 59999) / 60000);
            if (g < emitted)
                g = emitted;
            for (; a0 + (pw_time_ms)g * 60000 <= hi; g++) {
                if (pw_grow((void **)&vic.v, &vic.cap, vic.n + 1, sizeof *vic.v) != 0) {
                    snprintf(err, errlen, "out of memory");
                    rc = SIM_ERUN;
                    goto done;
                }
                pw_fix f;
                pw_fix_clear(&f);
                f.device = 1;
                f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET;
                f.time = a0 + (pw_time_ms)g * 60000;
                f.lat = victim_lat;
                f.lon = victim_lon;
                f.acc_m = 5.0;
                vic.v[vic.n++] = f;
            }
            emitted = g;
        }
    }
    pw_time_ms start = a0 < vic.v[0].time ? a0 : vic.v[0].time;
    pw_time_ms end = a1 > vic.v[vic.n - 1].time ? a1 : vic.v[vic.n - 1].time;
    if (end - start > SIM_REPLAY_MAX_SPAN_MS && !o->force) {
        snprintf(err, errlen, "the traces span %.1f days together, more than the %lld a replay takes; check "
                              "their times, or pass --force",
                 (double)(end - start) / 86400000.0, (long long)(SIM_REPLAY_MAX_SPAN_MS / 86400000));
        rc = SIM_EINVAL;
        goto done;
    }
    uint64_t ref_bad = 0; /* a reference's outliers are its own affair */
    if (o->truth_offender && (rc = read_trace(o->truth_offender, 2, 1, o, &ref_off, err, errlen, &ref_bad)) != 0)
        goto done;
    if (o->truth_victim && (rc = read_trace(o->truth_victim, 1, 1, o, &ref_vic, err, errlen, &ref_bad)) != 0)
        goto done;
    relocate_all(&reloc, &ref_off);
    relocate_all(&reloc, &ref_vic);

    /* The scored span: where every trace and reference has data.  Before
     * it a role has no data yet (a victim trace that starts later would
     * count breaches against a position she never reported); after it a
     * file has ended, which is the end of the recording, not lost signal.
     * Only the span is replayed and scored. */
    pw_time_ms lo = a0, hi = a1;
    if ((rc = narrow_span(o->victim_trace ? &vic : NULL, o->victim_trace, "the victim's trace", &lo, &hi, err,
                          errlen)) != 0 ||
        (rc = narrow_span(o->truth_offender ? &ref_off : NULL, o->truth_offender, "the offender's reference", &lo,
                          &hi, err, errlen)) != 0 ||
        (rc = narrow_span(o->truth_victim ? &ref_vic : NULL, o->truth_victim, "the victim's reference", &lo, &hi,
                          err, errlen)) != 0)
        goto done;
    uint64_t outside[2] = {count_outside(&off, lo, hi), o->victim_trace ? count_outside(&vic, lo, hi) : 0};
    if ((outside[0] || outside[1]) && o->warn) {
        char what[320], s1[40], s2[40];
        pw_format_time(lo, s1, sizeof s1);
        pw_format_time(hi, s2, sizeof s2);
        snprintf(what, sizeof what, "%llu offender and %llu victim fixes lie outside %s to %s, the span in which "
                                    "every trace%s has data: they are not replayed or scored",
                 (unsigned long long)outside[0], (unsigned long long)outside[1], s1, s2,
                 o->truth_offender || o->truth_victim ? " and reference" : "");
        o->warn(o->warn_ctx, o->offender_trace, 0, what);
    }
    start = lo - ((lo % 1000) + 1000) % 1000;
    end = hi + 1000;

    /* The replay as a two-person scenario, so that the metrics are those
     * of a simulation. */
    scn_actor actors[2];
    scn_case kase;
    scn_scenario s;
    memset(actors, 0, sizeof actors);
    memset(&kase, 0, sizeof kase);
    memset(&s, 0, sizeof s);
    snprintf(s.name, sizeof s.name, "replay");
    snprintf(s.file, sizeof s.file, "%s", o->offender_trace);
    s.start = start;
    s.duration_ms = end - start;
    s.origin = (scn_point){off.v[0].lat, off.v[0].lon};
    actors[0] = (scn_actor){.id = 1, .role = SCN_VICTIM};
    actors[1] = (scn_actor){.id = 2, .role = SCN_OFFENDER};
    snprintf(actors[0].name, sizeof actors[0].name, "victim");
    snprintf(actors[1].name, sizeof actors[1].name, "offender");
    /* A trace has no device settings: its own rhythm stands in for them.
     * GNSS is lost after two missed reports and half a minute of network;
     * traces carry no motion state, so the rest timeout never applies. */
    for (int k = 0; k < 2; k++) {
        pw_time_ms gap = median_gap(k == 0 ? &vic : &off);
        actors[k].device.interval_moving_ms = actors[k].device.interval_rest_ms = gap;
        actors[k].device.signal_timeout_ms = 2 * gap + 30000;
    }
    actors[0].device.net_delay_mean_ms = 0;
    kase.victim = 0;
    kase.offender = 1;
    eng_case_default(&kase.def, 1, 2, 1);
    if (isfinite(o->alarm_radius_m) && o->alarm_radius_m > 0) {
        kase.def.alarm_radius_m = o->alarm_radius_m;
        if (kase.def.prewarn_radius_m < o->alarm_radius_m)
            kase.def.prewarn_radius_m = 2 * o->alarm_radius_m;
    }
    s.actors = actors;
    s.n_actors = 2;
    s.cases = &kase;
    s.n_cases = 1;
    s.dispatch = (scn_dispatch){.dispatchers = 1, .handling = SCN_DIST_FIXED, .handling_mean_ms = 0};

    eng_frame fr;
    eng_frame_init(&fr, s.origin.lat, s.origin.lon);
    if (eval_metrics_init(&metrics, &s, 30000) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = SIM_ERUN;
        goto done;
    }
    metrics_ready = 1;
    if (o->out_dir) {
        if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: cannot create: %s", o->out_dir, strerror(errno));
            rc = SIM_ERUN;
            goto done;
        }
        ev = rec_part_open(o->out_dir, "events.jsonl", err, errlen);
        if (!ev) {
            rc = SIM_ERUN;
            goto done;
        }
    }
    replay_ctx ctx = {.events = ev, .metrics = &metrics, .sum = sum};
    eng_config cfg;
    eng_config_default(&cfg, s.origin.lat, s.origin.lon);
    cfg.max_devices = 2;
    cfg.max_cases = 1;
    cfg.max_zones = 1;
    cfg.region_radius_m = 200000.0;
    if (eng_init(&eng, &cfg, replay_sink, &ctx) != ENG_OK) {
        snprintf(err, errlen, "cannot start the engine");
        rc = SIM_ERUN;
        goto done;
    }
    engine_ready = 1;
    eng_add_device(&eng, 1, ENG_ROLE_VICTIM);
    eng_add_device(&eng, 2, ENG_ROLE_OFFENDER);
    /* Traces report at their own rhythm: silence is judged against it.
     * Contact is given longer than in simulation (a trace may pause). */
    for (int k = 0; k < 2; k++) {
        const scn_device *d = &actors[k].device;
        eng_device_timeouts to = {d->signal_timeout_ms, d->interval_rest_ms + d->signal_timeout_ms,
                                  2 * d->interval_rest_ms + 300000};
        /* A victim standing at --victim-at is no device: her silence while
         * his trace is silent (SIM_STANDING_WINDOW_MS) is not a lost phone. */
        if (k == 0 && !o->victim_trace)
            to.no_gnss_ms = to.no_gnss_rest_ms = to.no_comm_ms = STANDING_SILENCE_MS;
        eng_set_device_timeouts(&eng, actors[k].id, &to);
    }
    eng_add_case(&eng, &kase.def);

    /* Merge the two traces in time order; the engine's clock ticks on each
     * whole second, but only from its next deadline on (ticks before it
     * change nothing), so a long silence costs nothing. */
    size_t i = 0, j = 0;
    pw_time_ms next_tick = start + 1000;
    while (i < off.n || j < vic.n) {
        const pw_fix *f = (j >= vic.n || (i < off.n && off.v[i].time <= vic.v[j].time)) ? &off.v[i++] : &vic.v[j++];
        if (f->time < lo || f->time > hi)
            continue;
        pw_time_ms now = (f->set & PW_FIX_RECV_SET) ? f->recv_time : f->time;
        tick_until(&eng, &next_tick, now);
        eval_metrics_fix(&metrics, f->device, DEV_CAUSE_NOMINAL, 0, now);
        eng_status st = eng_on_fix(&eng, f, now);
        sum->fixes_delivered++;
        sum->fixes_accepted += st == ENG_OK;
    }
    tick_until(&eng, &next_tick, end);
    sum->fixes_rejected = sum->fixes_delivered - sum->fixes_accepted;

    /* Truth: the references when given, else the traces themselves (the
     * report says which). */
    const fixes *tv = o->truth_victim ? &ref_vic : &vic, *to = o->truth_offender ? &ref_off : &off;
    if (sim_track_from_fixes(tv->v, tv->n, &fr, start, end, &tracks[0]) != 0 ||
        sim_track_from_fixes(to->v, to->n, &fr, start, end, &tracks[1]) != 0) {
        snprintf(err, errlen, "out of memory");
        rc = SIM_ERUN;
        goto done;
    }
    eval_truth truth;
    sim_truth_of_tracks(&truth, tracks);
    if (eval_metrics_finish(&metrics, &truth, &fr, &sum->report) != 0) {
        snprintf(err, errlen, "out of memory computing the metrics");
        rc = SIM_ERUN;
        goto done;
    }
    sum->report.fixes = sum->fixes_delivered;
    sum->report.scored_span.set = 1;
    sum->report.scored_span.start = lo;
    sum->report.scored_span.end = hi;
    sum->report.scored_span.outside[0] = outside[0];
    sum->report.scored_span.outside[1] = outside[1];
    snprintf(sum->report.truth, sizeof sum->report.truth, "%s",
             o->truth_offender || o->truth_victim ? "reference" : "traces");
    sum->sim_seconds = sum->report.sim_seconds;
    if (o->out_dir) {
        FILE *events = ev;
        ev = NULL;
        if (ctx.write_failed) {
            snprintf(err, errlen, "%s/events.jsonl: cannot write: %s", o->out_dir, strerror(ctx.write_failed));
            rec_part_close(events, o->out_dir, "events.jsonl", 0, NULL, 0);
            rc = SIM_ERUN;
            goto done;
        }
        FILE *f = NULL;
        if (rec_part_close(events, o->out_dir, "events.jsonl", 1, err, errlen) != 0 ||
            !(f = rec_part_open(o->out_dir, "report.json", err, errlen))) {
            rc = SIM_ERUN;
            goto done;
        }
        if (eval_report_write_json(f, &s, &sum->report) != 0) {
            rec_part_close(f, o->out_dir, "report.json", 0, NULL, 0);
            snprintf(err, errlen, "%s/report.json: cannot write: %s", o->out_dir, strerror(errno ? errno : EIO));
            rc = SIM_ERUN;
            goto done;
        }
        if (rec_part_close(f, o->out_dir, "report.json", 1, err, errlen) != 0) {
            rc = SIM_ERUN;
            goto done;
        }
        const fixes *const traces[2] = {&vic, &off};
        if ((rc = write_geojson(o->out_dir, tracks, traces, lo, hi, &metrics, &fr, err, errlen)) != 0 ||
            (rc = write_values(o->out_dir, "latencies.csv", eval_write_latencies_csv, &metrics, err, errlen)) != 0 ||
            (rc = write_values(o->out_dir, "incidents.csv", eval_write_incidents_csv, &metrics, err, errlen)) != 0)
            goto done;
    }
done:
    if (ev)
        rec_part_close(ev, o->out_dir, "events.jsonl", 0, NULL, 0);
    if (engine_ready)
        eng_close(&eng);
    if (metrics_ready)
        eval_metrics_close(&metrics);
    sim_track_close(&tracks[0]);
    sim_track_close(&tracks[1]);
    free(off.v);
    free(vic.v);
    free(ref_off.v);
    free(ref_vic.v);
    return rc;
}
