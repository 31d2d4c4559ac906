/*
 * motion.c - truth timelines (an actor's itinerary as straight
 * constant-speed segments), patrol dispatch, and the GNSS environment map.
 *
 * A timeline is built once per actor and then only read, except for patrol
 * dispatch, which rewrites the tail.  Segments are few (a handful per leg)
 * so that a week of scenario costs kilobytes, and a position at any
 * millisecond is one interpolation away.
 */
#include "sim.h"
#include "pw_grow.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Computed travel times are capped at 1e15 ms (31,700 years) before they are
 * rounded to integers, so that a tiny speed cannot overflow llround or the
 * time arithmetic.  The scenario end must leave this much headroom below
 * INT64_MAX, which any real date does by a factor of a thousand.
 */
#define MAX_TRAVEL_MS 1e15
#define MAX_END_MS (INT64_MAX - (pw_time_ms)2000000000000000LL)

/* ------------------------------------------------------------------ */
/* Segment storage                                                      */
/* ------------------------------------------------------------------ */

/* The one place tracks allocate: make room for `need` segments.  Contents
 * are preserved and the track is unchanged on failure. */
static int reserve(sim_track *tr, size_t need)
{
    return pw_grow((void **)&tr->seg, &tr->cap, need, sizeof *tr->seg) == 0 ? SIM_OK : SIM_ENOMEM;
}

void sim_track_close(sim_track *tr)
{
    if (!tr)
        return;
    free(tr->seg);
    tr->seg = NULL;
    tr->n = tr->cap = 0;
}

/* Milliseconds needed for `metres` at `mps`, rounded to the nearest ms. */
static pw_time_ms travel_ms(double metres, double mps)
{
    double ms = metres / mps * 1000.0;
    if (!(ms < MAX_TRAVEL_MS))
        ms = MAX_TRAVEL_MS;
    return (pw_time_ms)llround(ms);
}

/* t + d, but never past end (t <= end, d >= 0); cannot overflow. */
static pw_time_ms add_until(pw_time_ms t, pw_time_ms d, pw_time_ms end)
{
    return d >= end - t ? end : t + d;
}

/*
 * The builder's cursor: where the actor is at time t, and the flags of the
 * place it is in (a hold or the final stay inherits them).  Every append
 * starts at the cursor, which is what keeps the timeline free of gaps in
 * time and of jumps in position.
 */
typedef struct cursor {
    sim_track *tr;
    pw_time_ms t, end;
    double x, y;
    uint8_t mode, underground;
} cursor;

/*
 * Move in a straight line from the cursor to (x1, y1), arriving at t1 (which
 * may lie past the end: the segment is then cut at the end, at the position
 * the constant speed reaches by then).  A move that takes no time is
 * dropped and the cursor stays, so positions stay continuous; the next
 * segment carries the skipped metres, a sub-millimetre-per-ms matter.
 */
static int append_move(cursor *c, pw_time_ms t1, double x1, double y1, uint8_t mode,
                       uint8_t underground)
{
    if (c->t >= c->end || t1 <= c->t)
        return SIM_OK;
    if (t1 > c->end) {
        double f = (double)(c->end - c->t) / (double)(t1 - c->t);
        x1 = c->x + (x1 - c->x) * f;
        y1 = c->y + (y1 - c->y) * f;
        t1 = c->end;
    }
    if (reserve(c->tr, c->tr->n + 1) != SIM_OK)
        return SIM_ENOMEM;
    c->tr->seg[c->tr->n++] = (sim_segment){
        .t0 = c->t, .t1 = t1, .x0 = c->x, .y0 = c->y, .x1 = x1, .y1 = y1,
        .mode = mode, .underground = underground, .moving = 1};
    c->t = t1;
    c->x = x1;
    c->y = y1;
    c->mode = mode;
    c->underground = underground;
    return SIM_OK;
}

/* Stay at the cursor for duration_ms (cut at the end).  A dwell right after
 * a dwell with the same flags extends it: "arrive, wait, wait for the
 * departure time" is one segment. */
static int append_dwell(cursor *c, pw_time_ms duration_ms, uint8_t mode, uint8_t underground)
{
    if (c->t >= c->end || duration_ms <= 0)
        return SIM_OK;
    pw_time_ms t1 = add_until(c->t, duration_ms, c->end);
    sim_track *tr = c->tr;
    sim_segment *last = tr->n ? &tr->seg[tr->n - 1] : NULL;
    if (last && !last->moving && last->t1 == c->t && last->mode == mode &&
        last->underground == underground) {
        last->t1 = t1;
    } else {
        if (reserve(tr, tr->n + 1) != SIM_OK)
            return SIM_ENOMEM;
        tr->seg[tr->n++] = (sim_segment){
            .t0 = c->t, .t1 = t1, .x0 = c->x, .y0 = c->y, .x1 = c->x, .y1 = c->y,
            .mode = mode, .underground = underground, .moving = 0};
    }
    c->t = t1;
    c->mode = mode;
    c->underground = underground;
    return SIM_OK;
}

/* ------------------------------------------------------------------ */
/* Building a timeline                                                  */
/* ------------------------------------------------------------------ */

static int range_ok(size_t first, size_t count, size_t total)
{
    return first <= total && count <= total - first;
}

static int point_ok(scn_point p)
{
    return isfinite(p.lat) && isfinite(p.lon);
}

/* Everything the builder relies on, checked before anything is allocated. */
static int validate(const scn_scenario *s, size_t actor, int have_uniform)
{
    if (actor >= s->n_actors || s->duration_ms <= 0 || s->start > MAX_END_MS - s->duration_ms)
        return SIM_EINVAL;
    const scn_actor *a = &s->actors[actor];
    if (a->role != SCN_OFFENDER && a->role != SCN_VICTIM && a->role != SCN_PATROL)
        return SIM_EINVAL;
    if (!point_ok(a->start))
        return SIM_EINVAL;
    if (a->role == SCN_PATROL || a->n_legs == 0)
        return SIM_OK;
    if (!s->legs || !range_ok(a->first_leg, a->n_legs, s->n_legs))
        return SIM_EINVAL;
    for (size_t i = 0; i < a->n_legs; i++) {
        const scn_leg *leg = &s->legs[a->first_leg + i];
        if ((unsigned)leg->mode >= SCN_MODE_COUNT || leg->dwell_ms < 0 ||
            leg->dwell_stop_ms < 0 || leg->depart_at < -1)
            return SIM_EINVAL;
        if (leg->n_points == 0)
            continue;
        if (!s->points || !range_ok(leg->first_point, leg->n_points, s->n_points))
            return SIM_EINVAL;
        double lo = leg->speed_min_mps, hi = leg->speed_max_mps;
        if (!isfinite(lo) || !isfinite(hi) || !(lo > 0.0) || !(hi >= lo))
            return SIM_EINVAL;
        if (!have_uniform && hi != lo)
            return SIM_EINVAL;
        for (size_t k = 0; k < leg->n_points; k++)
            if (!point_ok(s->points[leg->first_point + k]))
                return SIM_EINVAL;
    }
    return SIM_OK;
}

/*
 * One traversal of one leg.  Arrival times are computed from the leg's
 * departure and the cumulative polyline length rather than segment by
 * segment, so rounding to whole milliseconds never accumulates: a leg's
 * total time is round(length / v) plus its stops, exactly.
 */
static int run_leg(cursor *c, const scn_scenario *s, const scn_leg *leg, const eng_frame *fr,
                   double (*uniform)(void *ctx), void *ctx)
{
    int rc;
    uint8_t mode = (uint8_t)leg->mode, underground = leg->underground != 0;

    if (leg->depart_at >= 0 && leg->depart_at > c->t) {
        rc = append_dwell(c, leg->depart_at - c->t, c->mode, c->underground);
        if (rc != SIM_OK)
            return rc;
    }
    if (c->t >= c->end)
        return SIM_OK;

    if (leg->n_points > 0) {
        double lo = leg->speed_min_mps, hi = leg->speed_max_mps, v = lo;
        if (uniform) {
            /* Drawn even for a fixed speed, so that how much of the stream a
             * timeline consumes depends on the itinerary's shape only. */
            double u = uniform(ctx);
            if (!(u >= 0.0 && u <= 1.0))
                return SIM_EINVAL;
            v = fmin(lo + u * (hi - lo), hi);
        }
        pw_time_ms depart = c->t, stops = 0;
        double length = 0.0, px = c->x, py = c->y;
        int moved = 0; /* since boarding or the last stop */
        for (size_t k = 0; k < leg->n_points; k++) {
            scn_point p = s->points[leg->first_point + k];
            double qx, qy;
            eng_geo_to_local(fr, p.lat, p.lon, &qx, &qy);
            length += hypot(qx - px, qy - py);
            px = qx;
            py = qy;
            pw_time_ms arrive = depart + stops + travel_ms(length, v);
            if (arrive > c->t) {
                rc = append_move(c, arrive, qx, qy, mode, underground);
                if (rc != SIM_OK)
                    return rc;
                moved = 1;
            }
            if (c->t >= c->end)
                return SIM_OK;
            /* A point the train did not move to is the boarding station (or
             * a duplicate), not a stop. */
            if (mode == SCN_SUBWAY && moved && k + 1 < leg->n_points && leg->dwell_stop_ms > 0) {
                rc = append_dwell(c, leg->dwell_stop_ms, mode, underground);
                if (rc != SIM_OK)
                    return rc;
                if (c->t >= c->end)
                    return SIM_OK;
                stops += leg->dwell_stop_ms; /* < end - depart: no overflow */
                moved = 0;
            }
        }
    }
    return append_dwell(c, leg->dwell_ms, mode, underground);
}

int sim_track_build(sim_track *tr, const scn_scenario *s, size_t actor, const eng_frame *fr,
                    double (*uniform)(void *ctx), void *ctx)
{
    if (!tr)
        return SIM_EINVAL;
    tr->seg = NULL;
    tr->n = tr->cap = 0;
    if (!s || !fr || !s->actors)
        return SIM_EINVAL;
    int rc = validate(s, actor, uniform != NULL);
    if (rc != SIM_OK)
        return rc;

    const scn_actor *a = &s->actors[actor];
    cursor c = {.tr = tr, .t = s->start, .end = s->start + s->duration_ms,
                .mode = a->role == SCN_PATROL ? SCN_DRIVE : SCN_WALK, .underground = 0};
    eng_geo_to_local(fr, a->start.lat, a->start.lon, &c.x, &c.y);

    if (a->role != SCN_PATROL && a->n_legs > 0) {
        for (;;) {
            pw_time_ms pass_start = c.t;
            for (size_t i = 0; i < a->n_legs && c.t < c.end; i++) {
                rc = run_leg(&c, s, &s->legs[a->first_leg + i], fr, uniform, ctx);
                if (rc != SIM_OK)
                    goto fail;
            }
            /* A pass that takes no time would repeat forever. */
            if (c.t >= c.end || !a->loop || c.t == pass_start)
                break;
        }
    }
    rc = append_dwell(&c, c.end - c.t, c.mode, c.underground);
    if (rc != SIM_OK)
        goto fail;
    return SIM_OK;

fail:
    sim_track_close(tr);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Reading a timeline                                                   */
/* ------------------------------------------------------------------ */

/* Index of the segment holding t; t before the track maps to the first,
 * t at or after its end to the last.  tr->n > 0. */
static size_t find_segment(const sim_track *tr, pw_time_ms t, size_t hint)
{
    const sim_segment *seg = tr->seg;
    size_t n = tr->n;
    if (t < seg[0].t0)
        return 0;
    if (t >= seg[n - 1].t1)
        return n - 1;
    /* Sequential queries land in the same segment or the next one. */
    if (hint < n && seg[hint].t0 <= t) {
        if (t < seg[hint].t1)
            return hint;
        if (hint + 1 < n && t < seg[hint + 1].t1)
            return hint + 1;
    }
    /* The last segment with t0 <= t. */
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (seg[mid].t0 <= t)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void position_in(const sim_segment *g, pw_time_ms t, double *x, double *y)
{
    if (t <= g->t0) {
        *x = g->x0;
        *y = g->y0;
    } else if (t >= g->t1) {
        *x = g->x1;
        *y = g->y1;
    } else {
        double f = (double)(t - g->t0) / (double)(g->t1 - g->t0);
        *x = g->x0 + (g->x1 - g->x0) * f;
        *y = g->y0 + (g->y1 - g->y0) * f;
    }
}

void sim_track_at(const sim_track *tr, pw_time_ms t, size_t *hint,
                  double *x, double *y, int *moving, int *underground)
{
    double px = NAN, py = NAN;
    int mv = 0, ug = 0;
    if (tr && tr->n > 0) {
        size_t i = find_segment(tr, t, hint ? *hint : 0);
        if (hint)
            *hint = i;
        const sim_segment *g = &tr->seg[i];
        position_in(g, t, &px, &py);
        mv = g->moving;
        ug = g->underground;
    }
    if (x)
        *x = px;
    if (y)
        *y = py;
    if (moving)
        *moving = mv;
    if (underground)
        *underground = ug;
}

pw_time_ms sim_track_drive_to(sim_track *tr, pw_time_ms t, double tx, double ty,
                              double speed_mps, double detour, pw_time_ms end)
{
    if (!tr || tr->n == 0 || !isfinite(tx) || !isfinite(ty) || !isfinite(speed_mps) ||
        !(speed_mps > 0.0) || !isfinite(detour) || !(detour >= 1.0) ||
        t < tr->seg[0].t0 || t > end || end <= tr->seg[0].t0 || end > MAX_END_MS)
        return SIM_EINVAL;
    /* Room for a filler dwell, the drive and the wait, before anything
     * changes: on ENOMEM the track is as it was. */
    if (reserve(tr, tr->n + 3) != SIM_OK)
        return SIM_ENOMEM;

    cursor c = {.tr = tr, .t = t, .end = end, .mode = SCN_DRIVE, .underground = 0};
    sim_segment *last = &tr->seg[tr->n - 1];
    if (t >= last->t1) {
        /* The track ends at or before t: keep it all and wait at its end
         * until t. */
        c.t = last->t1;
        c.x = last->x1;
        c.y = last->y1;
        c.mode = last->mode;
        c.underground = last->underground;
        if (append_dwell(&c, t - c.t, c.mode, c.underground) != SIM_OK)
            return SIM_ENOMEM; /* not reached: reserved above */
    } else {
        size_t i = find_segment(tr, t, 0);
        sim_segment *g = &tr->seg[i];
        position_in(g, t, &c.x, &c.y);
        if (t == g->t0) {
            tr->n = i; /* the segment starts at t: it goes entirely */
        } else {
            g->t1 = t;
            g->x1 = c.x;
            g->y1 = c.y;
            c.mode = g->mode;
            c.underground = g->underground;
            tr->n = i + 1;
        }
    }

    pw_time_ms arrival = t + travel_ms(hypot(tx - c.x, ty - c.y) * detour, speed_mps);
    if (append_move(&c, arrival, tx, ty, SCN_DRIVE, 0) != SIM_OK ||
        append_dwell(&c, end - c.t, SCN_DRIVE, 0) != SIM_OK)
        return SIM_ENOMEM; /* not reached: reserved above */
    return arrival;
}

/* ------------------------------------------------------------------ */
/* The truth a run is judged on (eval_truth)                           */
/* ------------------------------------------------------------------ */

/* The fastest an actor ever moves on its timeline, m/s; infinite when the
 * timeline jumps between segments (hand-built truth may). */
double sim_track_vmax(const sim_track *tr)
{
    double v = 0.0;
    for (size_t i = 0; i < tr->n; i++) {
        const sim_segment *g = &tr->seg[i];
        if (i > 0 && (g->x0 != tr->seg[i - 1].x1 || g->y0 != tr->seg[i - 1].y1))
            return INFINITY;
        double dt = (double)(g->t1 - g->t0) / 1000.0;
        double len = sqrt((g->x1 - g->x0) * (g->x1 - g->x0) + (g->y1 - g->y0) * (g->y1 - g->y0));
        if (dt > 0 && len / dt > v)
            v = len / dt;
    }
    return v;
}

static void truth_at(const void *ctx, size_t actor, pw_time_ms t, size_t *hint, double *x, double *y)
{
    sim_track_at(&((const sim_track *)ctx)[actor], t, hint, x, y, NULL, NULL);
}

static double truth_vmax(const void *ctx, size_t actor)
{
    return sim_track_vmax(&((const sim_track *)ctx)[actor]);
}

void sim_truth_of_tracks(eval_truth *truth, const sim_track *tracks)
{
    truth->ctx = tracks;
    truth->at = truth_at;
    truth->vmax = truth_vmax;
}

/* ------------------------------------------------------------------ */
/* GNSS environment map                                                 */
/* ------------------------------------------------------------------ */

/* How badly an environment degrades GNSS; the most severe overlapping zone
 * wins.  Spelled out rather than taken from the enum's order, which is not
 * part of its contract. */
static int severity(scn_env env)
{
    switch (env) {
    case SCN_ENV_TUNNEL:
        return 4;
    case SCN_ENV_INDOOR:
        return 3;
    case SCN_ENV_URBAN_HEAVY:
        return 2;
    case SCN_ENV_URBAN_LIGHT:
        return 1;
    default:
        return 0;
    }
}

void sim_envmap_close(sim_envmap *m)
{
    if (!m)
        return;
    free(m->zones);
    free(m->vertices);
    m->zones = NULL;
    m->vertices = NULL;
    m->n_zones = m->n_vertices = 0;
}

static int zone_ok(const scn_scenario *s, const scn_env_zone *z)
{
    if ((unsigned)z->env >= SCN_ENV_COUNT)
        return 0;
    if (z->is_circle)
        return point_ok(z->center) && isfinite(z->radius_m) && z->radius_m > 0.0;
    if (z->n_points < 3 || !s->points || !range_ok(z->first_point, z->n_points, s->n_points))
        return 0;
    for (size_t k = 0; k < z->n_points; k++)
        if (!point_ok(s->points[z->first_point + k]))
            return 0;
    return 1;
}

/* Convert one zone (already checked) into the map, vertices at
 * *next_vertex, in local metres.  Not eng_zone_geom_init: engine
 * zones hold at most ENG_MAX_ZONE_VERTICES vertices in place, while an
 * environment zone (a street canyon traced from map data) may have any
 * number, kept in the map's one vertex array. */
static void convert_zone(sim_envmap *m, const scn_scenario *s, const eng_frame *fr,
                         size_t source, size_t *next_vertex)
{
    const scn_env_zone *z = &s->env_zones[source];
    sim_env_zone *out = &m->zones[m->n_zones++];
    memset(out, 0, sizeof *out);
    out->env = z->env;
    out->source = source;
    out->is_circle = z->is_circle != 0;
    out->street_bearing_deg = isfinite(z->street_bearing_deg) ? z->street_bearing_deg : NAN;
    if (out->is_circle) {
        eng_geo_to_local(fr, z->center.lat, z->center.lon, &out->cx, &out->cy);
        out->radius_m = z->radius_m;
        out->min_x = out->cx - z->radius_m;
        out->max_x = out->cx + z->radius_m;
        out->min_y = out->cy - z->radius_m;
        out->max_y = out->cy + z->radius_m;
        return;
    }
    out->cx = out->cy = out->radius_m = NAN;
    out->first_vertex = *next_vertex;
    out->n_vertices = z->n_points;
    out->min_x = out->min_y = INFINITY;
    out->max_x = out->max_y = -INFINITY;
    for (size_t k = 0; k < z->n_points; k++) {
        scn_point p = s->points[z->first_point + k];
        eng_point *v = &m->vertices[(*next_vertex)++];
        eng_geo_to_local(fr, p.lat, p.lon, &v->x, &v->y);
        out->min_x = fmin(out->min_x, v->x);
        out->max_x = fmax(out->max_x, v->x);
        out->min_y = fmin(out->min_y, v->y);
        out->max_y = fmax(out->max_y, v->y);
    }
    m->n_vertices = *next_vertex;
}

int sim_envmap_init(sim_envmap *m, const scn_scenario *s, const eng_frame *fr)
{
    if (!m)
        return SIM_EINVAL;
    memset(m, 0, sizeof *m);
    if (!s || !fr || (s->n_env_zones && !s->env_zones))
        return SIM_EINVAL;
    size_t n_vertices = 0;
    for (size_t i = 0; i < s->n_env_zones; i++) {
        const scn_env_zone *z = &s->env_zones[i];
        if (!zone_ok(s, z))
            return SIM_EINVAL;
        if (!z->is_circle)
            n_vertices += z->n_points; /* each <= s->n_points: no overflow in practice */
    }
    if (s->n_env_zones == 0)
        return SIM_OK;

    if (s->n_env_zones > SIZE_MAX / sizeof *m->zones || n_vertices > SIZE_MAX / sizeof *m->vertices)
        return SIM_ENOMEM;
    sim_env_zone *zones = NULL;
    eng_point *vertices = NULL;
    zones = malloc(s->n_env_zones * sizeof *zones);
    if (!zones)
        goto fail_zones;
    if (n_vertices) {
        vertices = malloc(n_vertices * sizeof *vertices);
        if (!vertices)
            goto fail_vertices;
    }
    m->zones = zones;
    m->vertices = vertices;

    /* Most severe first, scenario order among equals: sim_env_at can stop at
     * the first zone that contains the point.  Five passes keep the order
     * stable without a comparator. */
    size_t next_vertex = 0;
    for (int level = severity(SCN_ENV_TUNNEL); level >= 0; level--)
        for (size_t i = 0; i < s->n_env_zones; i++)
            if (severity(s->env_zones[i].env) == level)
                convert_zone(m, s, fr, i, &next_vertex);
    return SIM_OK;

fail_vertices:
    free(zones);
fail_zones:
    return SIM_ENOMEM;
}

static int zone_contains(const sim_envmap *m, const sim_env_zone *z, double x, double y)
{
    if (x < z->min_x || x > z->max_x || y < z->min_y || y > z->max_y)
        return 0;
    if (z->is_circle) {
        double dx = x - z->cx, dy = y - z->cy;
        return dx * dx + dy * dy <= z->radius_m * z->radius_m;
    }
    return eng_poly_contains(&m->vertices[z->first_vertex], z->n_vertices, x, y);
}

scn_env sim_env_at(const sim_envmap *m, double x, double y, int underground,
                   double *street_bearing_deg)
{
    if (street_bearing_deg)
        *street_bearing_deg = NAN;
    if (underground)
        return SCN_ENV_TUNNEL;
    if (!m)
        return SCN_ENV_OPEN;
    for (size_t i = 0; i < m->n_zones; i++) {
        const sim_env_zone *z = &m->zones[i];
        if (zone_contains(m, z, x, y)) {
            if (street_bearing_deg)
                *street_bearing_deg = z->street_bearing_deg;
            return z->env;
        }
    }
    return SCN_ENV_OPEN;
}
