/*
 * engine.c - devices, cases, rules, alert lifecycle, health, disclosure and
 * retention.  Pure: every call carries `now`, results leave through the sink.
 */
#include "engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEVER INT64_MAX
#define NONE_IDX UINT32_MAX

/* t + d for d >= 0, saturating at NEVER: "no cap" may be written as a huge
 * duration without overflowing into the past. */
static inline pw_time_ms later(pw_time_ms t, pw_time_ms d)
{
    return d > NEVER - t ? NEVER : t + d;
}

/* Plain Euclidean length: glibc's hypot guards against overflow that local
 * metres cannot reach, at ten times the cost. */
static inline double len2d(double dx, double dy)
{
    return sqrt(dx * dx + dy * dy);
}

/* ------------------------------------------------------------------ */
/* Private state                                                       */
/* ------------------------------------------------------------------ */

struct eng_link {
    uint32_t case_idx;
    uint32_t next; /* next link of the same device, NONE_IDX at the end */
};

struct eng_log_entry {
    pw_time_ms t;
    pw_id subject;
    double lat, lon, acc_m;
};

struct eng_zone {
    pw_id id;
    eng_zone_kind kind;
    double cx, cy, radius_m;               /* circle, local metres */
    double minx, miny, maxx, maxy;         /* bounding box */
    size_t n;
    eng_point v[ENG_MAX_ZONE_VERTICES];
    eng_schedule schedule;
    uint32_t case_idx;                     /* the case the zone belongs to */
    pw_time_ms next_change;                /* scheduled zones: next boundary to judge */
};

struct eng_device {
    pw_id id;
    eng_role role;
    eng_track track;
    pw_time_ms last_gnss_t;    /* fix time of the newest GNSS fix (or of the
                                  first fix of any kind), NEVER = none yet */
    pw_time_ms last_comm;      /* engine time of the last message, NEVER = none */
    pw_time_ms woken_at;       /* a status said he started moving (INT64_MIN: none) */
    /* candidate track while fixes are being rejected (re-acquisition) */
    pw_time_ms cand_t, cand_since; /* newest candidate, first of the run */
    uint8_t cand_rest;         /* every fix of the run says at rest, at one place */
    double cand_x, cand_y, cand_sigma;
    double cand_vx, cand_vy;
    int cand_run;
    double fix_speed_mps, fix_heading_deg; /* as the last fix reported, NAN when not */
    uint32_t first_link;
    uint32_t pursuit_refs;     /* alarms and uncertain cases asking for pursuit */
    pw_time_ms no_fix_ms, no_fix_rest_ms, no_comm_ms; /* health timeouts of this device */
    uint8_t signal_lost, comm_lost, tampered, battery_low, off, stale;
};

typedef struct rule_state {
    uint8_t active;
    uint8_t cond;               /* last judged: 1 = the transition condition holds */
    pw_time_ms pending_since;   /* NEVER = no pending transition */
    pw_time_ms opened_at;
    double last_p;
} rule_state;

struct eng_case {
    pw_id id;
    uint32_t off_idx, vic_idx;
    double alarm_radius_m, prewarn_radius_m, enter_margin_m, leave_margin_m;
    double p_open, p_close;
    pw_time_ms dwell_open_ms, dwell_close_ms, grace_ms, reveal_max_ms;
    uint32_t zone_first, n_zones;
    rule_state prox, prewarn, zone[ENG_MAX_CASE_ZONES];
    uint32_t active_alarms;
    uint8_t in_timer_set;       /* listed in eng_engine.timer_cases */
    uint8_t uncertain;          /* proximity undecidable and plausibly inside */
    /* the victim's reveal window */
    uint8_t reveal_open;
    pw_time_ms reveal_opened_at, reveal_close_at; /* close_at NEVER while an alarm holds */
    /* the open incident */
    pw_id incident;
    pw_time_ms incident_opened_at;
    size_t log_n, log_head;
    uint64_t log_total;
    double min_distance_m, sum_lat, sum_lon;
    uint64_t n_summary;
};

/* ------------------------------------------------------------------ */
/* Names                                                               */
/* ------------------------------------------------------------------ */

const char *eng_strerror(eng_status s)
{
    switch (s) {
    case ENG_OK: return "ok";
    case ENG_EINVAL: return "invalid argument";
    case ENG_ENOMEM: return "out of memory";
    case ENG_EFULL: return "capacity reached";
    case ENG_EEXIST: return "id already registered";
    case ENG_ENOENT: return "no such device, case or incident";
    case ENG_EROLE: return "device role does not fit";
    case ENG_EREJECTED: return "fix rejected by quality gating";
    case ENG_ESTATE: return "not allowed in the current state";
    }
    return "unknown status";
}

const char *pw_event_name(pw_event_type t)
{
    static const char *const names[PW_EV_TYPE_COUNT] = {
        [PW_EV_FIX_REJECTED] = "fix_rejected",
        [PW_EV_TRACK_REACQUIRED] = "track_reacquired",
        [PW_EV_PREWARN_OPEN] = "prewarn_open",
        [PW_EV_PREWARN_CLOSE] = "prewarn_close",
        [PW_EV_ALARM_OPEN] = "alarm_open",
        [PW_EV_ALARM_CLOSE] = "alarm_close",
        [PW_EV_REVEAL_OPEN] = "reveal_open",
        [PW_EV_REVEAL_UPDATE] = "reveal_update",
        [PW_EV_REVEAL_CLOSE] = "reveal_close",
        [PW_EV_INCIDENT_OPEN] = "incident_open",
        [PW_EV_INCIDENT_UPDATE] = "incident_update",
        [PW_EV_INCIDENT_ACK] = "incident_ack",
        [PW_EV_INCIDENT_CLOSE] = "incident_close",
        [PW_EV_INCIDENT_PURGED] = "incident_purged",
        [PW_EV_PURSUIT_ON] = "pursuit_on",
        [PW_EV_PURSUIT_OFF] = "pursuit_off",
        [PW_EV_SIGNAL_LOST] = "signal_lost",
        [PW_EV_SIGNAL_RESTORED] = "signal_restored",
        [PW_EV_COMM_LOST] = "comm_lost",
        [PW_EV_COMM_RESTORED] = "comm_restored",
        [PW_EV_TAMPER] = "tamper",
        [PW_EV_BATTERY_LOW] = "battery_low",
        [PW_EV_DEVICE_OFF] = "device_off",
        [PW_EV_ESCALATION] = "escalation",
        [PW_EV_VICTIM_WARNING] = "victim_warning",
        [PW_EV_DISCLOSURE] = "disclosure",
        [PW_EV_PANIC] = "panic",
        [PW_EV_UNCERTAIN_OPEN] = "uncertain_proximity",
        [PW_EV_UNCERTAIN_CLOSE] = "uncertain_proximity_end",
        [PW_EV_STALE_DATA] = "stale_data",
    };
    if ((int)t <= 0 || t >= PW_EV_TYPE_COUNT)
        return "unknown";
    return names[t];
}

const char *eng_reject_name(eng_reject_reason r)
{
    static const char *const names[ENG_REJ_COUNT] = {
        [ENG_REJ_NONE] = "none",
        [ENG_REJ_NO_POSITION] = "no_position",
        [ENG_REJ_INVALID] = "invalid",
        [ENG_REJ_OUT_OF_REGION] = "out_of_region",
        [ENG_REJ_DUPLICATE] = "duplicate",
        [ENG_REJ_OUT_OF_ORDER] = "out_of_order",
        [ENG_REJ_FUTURE] = "future",
        [ENG_REJ_IMPOSSIBLE_SPEED] = "impossible_speed",
        [ENG_REJ_OUTLIER] = "outlier",
    };
    if ((int)r < 0 || r >= ENG_REJ_COUNT)
        return "unknown";
    return names[r];
}

/* ------------------------------------------------------------------ */
/* Defaults                                                            */
/* ------------------------------------------------------------------ */

void pw_fix_clear(pw_fix *f)
{
    memset(f, 0, sizeof *f);
    f->lat = f->lon = f->acc_m = f->speed_mps = f->heading_deg = f->hdop = NAN;
    f->sats = -1;
    f->source = PW_SRC_GNSS;
}

/*
 * Filter defaults.  Velocity std 4 m/s with a 60 s correlation time: over
 * ten seconds it acts as white acceleration of 0.53 m^2/s^3, enough for a
 * walker or a car at a junction not to be gated; over ten silent minutes
 * the position spreads to about 1 km (1 sigma), what a person can cover on
 * foot or by transit.  The GNSS inflation of 1.5
 * reflects that receivers' claimed accuracy is often optimistic (smartphones
 * under-report error in urban canyons).  Source floors: cell-tower positions
 * are good to a few hundred metres at best, Wi-Fi to tens.
 */
void eng_config_default(eng_config *cfg, double origin_lat, double origin_lon)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->origin_lat = origin_lat;
    cfg->origin_lon = origin_lon;
    cfg->region_radius_m = 100000.0;
    cfg->max_devices = 1024;
    cfg->max_cases = 512;
    cfg->max_zones = 1024;
    cfg->incident_log_cap = 128;
    eng_filter_config *fc = &cfg->filter;
    fc->speed_sigma_mps = 4.0;
    fc->speed_tau_s = 60.0;
    fc->gate_chi2 = 13.8;          /* chi-square, 2 dof, 99.9 % */
    fc->max_speed_mps = 70.0;      /* 250 km/h: faster is not a tag on a person */
    fc->init_speed_sigma_mps = 15.0; /* a new track may be a car */
    fc->reacquire_fixes = 3;
    fc->max_sigma_m = 50000.0;
    fc->gnss_acc_inflation = 1.5;
    fc->min_sigma_m[PW_SRC_GNSS] = 2.0;
    fc->min_sigma_m[PW_SRC_CELL] = 100.0;
    fc->min_sigma_m[PW_SRC_WIFI] = 10.0;
    fc->min_sigma_m[PW_SRC_DR] = 20.0;
    fc->default_sigma_m[PW_SRC_GNSS] = 10.0;
    fc->default_sigma_m[PW_SRC_CELL] = 500.0;
    fc->default_sigma_m[PW_SRC_WIFI] = 40.0;
    fc->default_sigma_m[PW_SRC_DR] = 50.0;
    fc->uere_m = 5.0;
    fc->rest_diffusion_m2ps = 0.05; /* +3.9 m of sigma over five minutes at rest */
    fc->manoeuvre_accel_mps2 = 3.0; /* a car braking or turning hard */
    fc->manoeuvre_min_speed_mps = 3.0; /* faster than a run: a vehicle */
    fc->reacquire_min_ms = 20000;
    fc->rest_speed_mps = 0.5;      /* a still receiver's Doppler speed stays below */
    cfg->max_future_ms = 60000;
    cfg->max_fix_age_ms = 120000;
    cfg->no_fix_ms = 150000;
    cfg->no_comm_ms = 300000;
    cfg->battery_low_pct = 15.0;
    cfg->retention.coarse_grid_m = 1000.0;
    cfg->retention.distance_step_m = 100.0;
}

void eng_case_default(eng_case_def *c, pw_id id, pw_id offender, pw_id victim)
{
    memset(c, 0, sizeof *c);
    c->id = id;
    c->offender = offender;
    c->victim = victim;
    c->alarm_radius_m = 500.0;
    c->prewarn_radius_m = 1000.0;
    c->enter_margin_m = 0.0;
    c->leave_margin_m = 50.0;
    c->p_open = 0.5;
    c->p_close = 0.2;
    c->dwell_open_ms = 0;
    c->dwell_close_ms = 60000;
    c->grace_ms = 60000;
    c->reveal_max_ms = 2 * 3600 * 1000;
}

/* ------------------------------------------------------------------ */
/* Allocation and lookup                                               */
/* ------------------------------------------------------------------ */

static void *engine_alloc(eng_engine *e, size_t n, size_t size)
{
    if (n == 0)
        n = 1;
    if (size != 0 && n > SIZE_MAX / size)
        return NULL;
    return e->cfg.allocator.alloc(e->cfg.allocator.ctx, n * size);
}

static void engine_release(eng_engine *e, void *p)
{
    if (p)
        e->cfg.allocator.release(e->cfg.allocator.ctx, p);
}

static void *default_alloc(void *ctx, size_t size)
{
    (void)ctx;
    return calloc(1, size);
}

static void default_release(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static size_t pow2_at_least(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

static uint32_t hash_id(pw_id id)
{
    uint32_t h = id * 2654435761u;
    return h ^ (h >> 15);
}

/* Open addressing: slot holds index + 1, 0 = empty. */
static uint32_t *hash_slot(uint32_t *table, size_t mask, pw_id id,
                           const void *items, size_t item_size)
{
    size_t i = hash_id(id) & mask;
    for (;;) {
        uint32_t v = table[i];
        if (v == 0)
            return &table[i];
        const pw_id *item_id = (const pw_id *)((const char *)items + (size_t)(v - 1) * item_size);
        if (*item_id == id)
            return &table[i];
        i = (i + 1) & mask;
    }
}

static eng_device *find_device(const eng_engine *e, pw_id id)
{
    uint32_t v = *hash_slot(e->device_hash, e->hash_mask, id, e->devices, sizeof(eng_device));
    return v ? &e->devices[v - 1] : NULL;
}

static eng_case *find_case(const eng_engine *e, pw_id id)
{
    uint32_t v = *hash_slot(e->case_hash, e->case_hash_mask, id, e->cases, sizeof(eng_case));
    return v ? &e->cases[v - 1] : NULL;
}

static eng_case *find_incident(const eng_engine *e, pw_id incident)
{
    if (incident == 0)
        return NULL;
    for (size_t i = 0; i < e->n_cases; i++)
        if (e->cases[i].incident == incident)
            return &e->cases[i];
    return NULL;
}

/* The tables eng_init allocates, in order: count and element size. */
typedef struct table_plan {
    size_t n[8], size[8];
} table_plan;

static table_plan plan_tables(const eng_config *cfg)
{
    size_t log_cap = cfg->incident_log_cap ? cfg->incident_log_cap : 1;
    table_plan p = {
        .n = {cfg->max_devices, pow2_at_least(2 * cfg->max_devices), cfg->max_cases,
              pow2_at_least(2 * cfg->max_cases), cfg->max_zones, 2 * cfg->max_cases,
              cfg->max_cases * log_cap, cfg->max_cases},
        .size = {sizeof(eng_device), sizeof(uint32_t), sizeof(eng_case), sizeof(uint32_t),
                 sizeof(eng_zone), sizeof(eng_link), sizeof(eng_log_entry), sizeof(uint32_t)},
    };
    return p;
}

size_t eng_memory_bytes(const eng_config *cfg)
{
    if (!cfg || cfg->max_devices > (1u << 30) || cfg->max_cases > (1u << 29) ||
        cfg->max_zones > (1u << 30) || cfg->incident_log_cap > (1u << 20))
        return 0;
    table_plan p = plan_tables(cfg);
    size_t total = 0;
    for (int i = 0; i < 8; i++)
        total += (p.n[i] ? p.n[i] : 1) * p.size[i];
    return total;
}

static int time_ok(pw_time_ms t)
{
    return t >= 0 && t <= ENG_TIME_MAX;
}

/* Is the engine initialised and not closed?  A failed eng_init and eng_close
 * leave the struct zeroed, so every entry point can refuse it. */
static int live(const eng_engine *e)
{
    return e && e->devices;
}

eng_status eng_init(eng_engine *e, const eng_config *cfg, eng_sink_cb sink, void *sink_ctx)
{
    if (!e)
        return ENG_EINVAL;
    memset(e, 0, sizeof *e);
    if (!cfg || !sink)
        return ENG_EINVAL;
    e->cfg = *cfg;
    if (!e->cfg.allocator.alloc || !e->cfg.allocator.release) {
        e->cfg.allocator.alloc = default_alloc;
        e->cfg.allocator.release = default_release;
        e->cfg.allocator.ctx = NULL;
    }
    if (eng_frame_init(&e->frame, cfg->origin_lat, cfg->origin_lon) != ENG_OK) {
        memset(e, 0, sizeof *e);
        return ENG_EINVAL;
    }
    if (cfg->max_devices == 0 || cfg->max_devices > (1u << 30) || cfg->max_cases == 0 ||
        cfg->max_cases > (1u << 29) || cfg->max_zones > (1u << 30) ||
        cfg->incident_log_cap > (1u << 20) || !(cfg->region_radius_m > 0.0) ||
        !(cfg->filter.speed_sigma_mps > 0.0) || !(cfg->filter.speed_tau_s > 0.0) ||
        !(cfg->filter.max_sigma_m > 0.0) || !(cfg->filter.max_speed_mps > 0.0) ||
        !(cfg->filter.gate_chi2 > 0.0) || cfg->filter.reacquire_fixes < 1 ||
        !(cfg->filter.rest_diffusion_m2ps >= 0.0) ||
        !(cfg->filter.manoeuvre_accel_mps2 >= 0.0) || !(cfg->filter.manoeuvre_min_speed_mps >= 0.0) ||
        cfg->filter.reacquire_min_ms < 0 ||
        !(cfg->filter.rest_speed_mps >= 0.0) || cfg->max_future_ms < 0 || cfg->max_fix_age_ms <= 0 ||
        cfg->no_fix_ms <= 0 || cfg->no_comm_ms <= 0) {
        memset(e, 0, sizeof *e);
        return ENG_EINVAL;
    }
    e->sink = sink;
    e->sink_ctx = sink_ctx;

    table_plan p = plan_tables(cfg);
    e->hash_mask = p.n[1] - 1;
    e->case_hash_mask = p.n[3] - 1;

    e->devices = engine_alloc(e, p.n[0], p.size[0]);
    if (!e->devices)
        goto fail_devices;
    e->device_hash = engine_alloc(e, p.n[1], p.size[1]);
    if (!e->device_hash)
        goto fail_device_hash;
    e->cases = engine_alloc(e, p.n[2], p.size[2]);
    if (!e->cases)
        goto fail_cases;
    e->case_hash = engine_alloc(e, p.n[3], p.size[3]);
    if (!e->case_hash)
        goto fail_case_hash;
    e->zones = engine_alloc(e, p.n[4], p.size[4]);
    if (!e->zones)
        goto fail_zones;
    e->links = engine_alloc(e, p.n[5], p.size[5]);
    if (!e->links)
        goto fail_links;
    e->incident_log = engine_alloc(e, p.n[6], p.size[6]);
    if (!e->incident_log)
        goto fail_log;
    e->timer_cases = engine_alloc(e, p.n[7], p.size[7]);
    if (!e->timer_cases)
        goto fail_timers;
    e->next_incident = 1;
    e->next_health_deadline = NEVER;
    e->next_case_deadline = NEVER;
    e->next_schedule_deadline = NEVER;
    return ENG_OK;

fail_timers:
    engine_release(e, e->incident_log);
fail_log:
    engine_release(e, e->links);
fail_links:
    engine_release(e, e->zones);
fail_zones:
    engine_release(e, e->case_hash);
fail_case_hash:
    engine_release(e, e->cases);
fail_cases:
    engine_release(e, e->device_hash);
fail_device_hash:
    engine_release(e, e->devices);
fail_devices:
    memset(e, 0, sizeof *e);
    return ENG_ENOMEM;
}

static void wipe(void *p, size_t n)
{
    memset(p, 0, n);
#if defined(__GNUC__)
    /* The barrier tells the compiler the zeroed memory is read, so it cannot
     * drop the stores of a purge as dead. */
    __asm__ __volatile__("" : : "r"(p) : "memory");
#else
    volatile unsigned char *b = p;
    while (n--)
        *b++ = 0;
#endif
}

void eng_close(eng_engine *e)
{
    if (!e || !e->devices)
        return;
    wipe(e->incident_log, e->cfg.max_cases * (e->cfg.incident_log_cap ? e->cfg.incident_log_cap : 1) *
                              sizeof(eng_log_entry));
    engine_release(e, e->timer_cases);
    engine_release(e, e->incident_log);
    engine_release(e, e->links);
    engine_release(e, e->zones);
    engine_release(e, e->case_hash);
    engine_release(e, e->cases);
    engine_release(e, e->device_hash);
    engine_release(e, e->devices);
    memset(e, 0, sizeof *e);
}

eng_status eng_add_device(eng_engine *e, pw_id id, eng_role role)
{
    if (!live(e) || id == 0 || (role != ENG_ROLE_OFFENDER && role != ENG_ROLE_VICTIM))
        return ENG_EINVAL;
    uint32_t *slot = hash_slot(e->device_hash, e->hash_mask, id, e->devices, sizeof(eng_device));
    if (*slot)
        return ENG_EEXIST;
    if (e->n_devices >= e->cfg.max_devices)
        return ENG_EFULL;
    eng_device *d = &e->devices[e->n_devices];
    memset(d, 0, sizeof *d);
    d->id = id;
    d->role = role;
    d->last_gnss_t = NEVER;
    d->last_comm = NEVER;
    d->woken_at = INT64_MIN;
    d->fix_speed_mps = d->fix_heading_deg = NAN;
    d->first_link = NONE_IDX;
    d->no_fix_ms = d->no_fix_rest_ms = e->cfg.no_fix_ms;
    d->no_comm_ms = e->cfg.no_comm_ms;
    *slot = (uint32_t)++e->n_devices;
    return ENG_OK;
}

eng_status eng_set_device_timeouts(eng_engine *e, pw_id id, const eng_device_timeouts *t)
{
    if (!live(e) || !t || t->no_gnss_ms < 0 || t->no_gnss_rest_ms < 0 || t->no_comm_ms < 0)
        return ENG_EINVAL;
    eng_device *d = find_device(e, id);
    if (!d)
        return ENG_ENOENT;
    d->no_fix_ms = t->no_gnss_ms ? t->no_gnss_ms : e->cfg.no_fix_ms;
    d->no_fix_rest_ms = t->no_gnss_rest_ms ? t->no_gnss_rest_ms : d->no_fix_ms;
    d->no_comm_ms = t->no_comm_ms ? t->no_comm_ms : e->cfg.no_comm_ms;
    /* The health bound was computed with the old timeouts: rescan. */
    e->next_health_deadline = INT64_MIN;
    return ENG_OK;
}

static eng_status zone_from_def(const eng_engine *e, const eng_zone_def *zd, eng_zone *z)
{
    memset(z, 0, sizeof *z);
    z->id = zd->id;
    z->kind = zd->kind;
    z->schedule = zd->schedule;
    if (zd->schedule.n_windows < 0 || zd->schedule.n_windows > ENG_MAX_WINDOWS ||
        zd->schedule.utc_offset_min < -24 * 60 || zd->schedule.utc_offset_min > 24 * 60)
        return ENG_EINVAL;
    for (int i = 0; i < zd->schedule.n_windows; i++) {
        const eng_window *w = &zd->schedule.windows[i];
        if (w->start_min >= w->end_min || w->end_min > 1440 || (w->days_mask & 0x80))
            return ENG_EINVAL;
    }
    if (zd->kind == ENG_ZONE_CIRCLE) {
        if (!isfinite(zd->center_lat) || !isfinite(zd->center_lon) || fabs(zd->center_lat) > 90.0 ||
            fabs(zd->center_lon) > 180.0 || !(zd->radius_m > 0.0) || !isfinite(zd->radius_m))
            return ENG_EINVAL;
        eng_geo_to_local(&e->frame, zd->center_lat, zd->center_lon, &z->cx, &z->cy);
        z->radius_m = zd->radius_m;
        z->minx = z->cx - z->radius_m;
        z->maxx = z->cx + z->radius_m;
        z->miny = z->cy - z->radius_m;
        z->maxy = z->cy + z->radius_m;
        return ENG_OK;
    }
    if (zd->kind != ENG_ZONE_POLYGON || zd->n_vertices < 3 || zd->n_vertices > ENG_MAX_ZONE_VERTICES)
        return ENG_EINVAL;
    z->n = zd->n_vertices;
    z->minx = z->miny = INFINITY;
    z->maxx = z->maxy = -INFINITY;
    for (size_t i = 0; i < z->n; i++) {
        if (!isfinite(zd->lat[i]) || !isfinite(zd->lon[i]) || fabs(zd->lat[i]) > 90.0 ||
            fabs(zd->lon[i]) > 180.0)
            return ENG_EINVAL;
        eng_geo_to_local(&e->frame, zd->lat[i], zd->lon[i], &z->v[i].x, &z->v[i].y);
        z->minx = fmin(z->minx, z->v[i].x);
        z->maxx = fmax(z->maxx, z->v[i].x);
        z->miny = fmin(z->miny, z->v[i].y);
        z->maxy = fmax(z->maxy, z->v[i].y);
    }
    return ENG_OK;
}

static void rule_reset(rule_state *r)
{
    memset(r, 0, sizeof *r);
    r->pending_since = NEVER;
}

eng_status eng_add_case(eng_engine *e, const eng_case_def *cd)
{
    if (!live(e) || !cd || cd->id == 0)
        return ENG_EINVAL;
    if (!(cd->alarm_radius_m > 0.0) || !isfinite(cd->alarm_radius_m) ||
        !(cd->prewarn_radius_m >= 0.0) || !isfinite(cd->prewarn_radius_m) ||
        !(cd->enter_margin_m >= 0.0) || !isfinite(cd->enter_margin_m) ||
        !(cd->leave_margin_m >= 0.0) || !isfinite(cd->leave_margin_m) ||
        !(cd->p_open > 0.0 && cd->p_open <= 1.0) || !(cd->p_close >= 0.0 && cd->p_close < cd->p_open) ||
        cd->dwell_open_ms < 0 || cd->dwell_close_ms < 0 || cd->grace_ms < 0 ||
        cd->reveal_max_ms <= 0 || cd->n_zones > ENG_MAX_CASE_ZONES)
        return ENG_EINVAL;
    uint32_t *slot = hash_slot(e->case_hash, e->case_hash_mask, cd->id, e->cases, sizeof(eng_case));
    if (*slot)
        return ENG_EEXIST;
    eng_device *off = find_device(e, cd->offender);
    eng_device *vic = find_device(e, cd->victim);
    if (!off || !vic)
        return ENG_ENOENT;
    if (off->role != ENG_ROLE_OFFENDER || vic->role != ENG_ROLE_VICTIM)
        return ENG_EROLE;
    if (e->n_cases >= e->cfg.max_cases || e->n_zones + cd->n_zones > e->cfg.max_zones)
        return ENG_EFULL;

    /* Validate every zone before anything is committed. */
    for (size_t i = 0; i < cd->n_zones; i++) {
        eng_status st = zone_from_def(e, &cd->zones[i], &e->zones[e->n_zones + i]);
        if (st != ENG_OK)
            return st;
    }

    eng_case *c = &e->cases[e->n_cases];
    memset(c, 0, sizeof *c);
    c->id = cd->id;
    c->off_idx = (uint32_t)(off - e->devices);
    c->vic_idx = (uint32_t)(vic - e->devices);
    c->alarm_radius_m = cd->alarm_radius_m;
    c->prewarn_radius_m = cd->prewarn_radius_m;
    c->enter_margin_m = cd->enter_margin_m;
    c->leave_margin_m = cd->leave_margin_m;
    c->p_open = cd->p_open;
    c->p_close = cd->p_close;
    c->dwell_open_ms = cd->dwell_open_ms;
    c->dwell_close_ms = cd->dwell_close_ms;
    c->grace_ms = cd->grace_ms;
    c->reveal_max_ms = cd->reveal_max_ms;
    c->zone_first = (uint32_t)e->n_zones;
    c->n_zones = (uint32_t)cd->n_zones;
    for (size_t i = 0; i < cd->n_zones; i++) {
        eng_zone *z = &e->zones[e->n_zones + i];
        z->case_idx = (uint32_t)e->n_cases;
        /* A scheduled zone is judged at the next tick, whatever the time,
         * and then at each boundary of its schedule. */
        z->next_change = z->schedule.n_windows > 0 ? INT64_MIN : NEVER;
        if (z->next_change < e->next_schedule_deadline)
            e->next_schedule_deadline = z->next_change;
    }
    rule_reset(&c->prox);
    rule_reset(&c->prewarn);
    for (size_t i = 0; i < ENG_MAX_CASE_ZONES; i++)
        rule_reset(&c->zone[i]);
    c->reveal_close_at = NEVER;
    c->min_distance_m = INFINITY;
    e->n_zones += cd->n_zones;

    uint32_t ci = (uint32_t)e->n_cases++;
    *slot = ci + 1;
    eng_device *ends[2] = {off, vic};
    for (int k = 0; k < 2; k++) {
        eng_link *l = &e->links[e->n_links];
        l->case_idx = ci;
        l->next = ends[k]->first_link;
        ends[k]->first_link = (uint32_t)e->n_links++;
    }
    return ENG_OK;
}

/* ------------------------------------------------------------------ */
/* Events and disclosure                                               */
/* ------------------------------------------------------------------ */

static void ev_init(pw_event *ev, pw_event_type type, pw_time_ms now)
{
    memset(ev, 0, sizeof *ev);
    ev->type = type;
    ev->time = now;
    ev->lat = ev->lon = ev->acc_m = ev->heading_deg = ev->speed_mps = NAN;
    ev->victim_lat = ev->victim_lon = ev->victim_acc_m = NAN;
    ev->probability = ev->distance_m = ev->value = NAN;
}

static void emit(eng_engine *e, const pw_event *ev)
{
    e->counters.events[ev->type]++;
    e->sink(e->sink_ctx, ev);
}

/*
 * Timers.  Device health deadlines only move later as messages arrive, so a
 * single lower bound suffices: eng_tick scans the devices when it passes and
 * recomputes it (in steady state every no_fix_ms or so).  Case timers (dwell,
 * grace, reveal cap) are few at any moment; the cases that have one sit in a
 * set that eng_tick walks, so a tick costs nothing for quiet cases.
 */
static void health_deadline(eng_engine *e, pw_time_ms t)
{
    if (t < e->next_health_deadline)
        e->next_health_deadline = t;
}

static void case_deadline(eng_engine *e, eng_case *c, pw_time_ms t)
{
    if (!c->in_timer_set) {
        c->in_timer_set = 1;
        e->timer_cases[e->n_timer_cases++] = (uint32_t)(c - e->cases);
    }
    if (t < e->next_case_deadline)
        e->next_case_deadline = t;
}

static eng_device *case_offender(const eng_engine *e, const eng_case *c)
{
    return &e->devices[c->off_idx];
}

static eng_device *case_victim(const eng_engine *e, const eng_case *c)
{
    return &e->devices[c->vic_idx];
}

/* Estimate of a device at time t (never earlier than its own state). */
static void device_state(const eng_engine *e, const eng_device *d, pw_time_ms t, eng_track *out)
{
    if (t > d->track.t)
        eng_track_predict(&d->track, &e->cfg.filter, t, out);
    else
        *out = d->track;
}

static void fill_position(const eng_engine *e, const eng_device *d, pw_time_ms t,
                          double *lat, double *lon, double *acc68)
{
    eng_track s;
    device_state(e, d, t, &s);
    eng_geo_to_wgs84(&e->frame, s.x, s.y, lat, lon);
    *acc68 = 1.5096 * eng_track_sigma_m(&s);
}

static void log_position(eng_engine *e, eng_case *c, pw_time_ms t, pw_id subject,
                         double lat, double lon, double acc)
{
    size_t cap = e->cfg.incident_log_cap;
    c->log_total++;
    c->sum_lat += lat;
    c->sum_lon += lon;
    c->n_summary++;
    if (cap == 0)
        return;
    eng_log_entry *ring = &e->incident_log[(size_t)(c - e->cases) * cap];
    eng_log_entry *le = &ring[c->log_head];
    le->t = t;
    le->subject = subject;
    le->lat = lat;
    le->lon = lon;
    le->acc_m = acc;
    c->log_head = (c->log_head + 1) % cap;
    if (c->log_n < cap)
        c->log_n++;
}

static void audit(eng_engine *e, eng_case *c, const pw_event *ev, eng_party to, pw_id to_id,
                  pw_id subject, double lat, double lon, double acc)
{
    pw_event a;
    ev_init(&a, PW_EV_DISCLOSURE, ev->time);
    a.case_id = ev->case_id;
    a.incident = ev->incident;
    a.device = a.subject = subject;
    a.recipient = to;
    a.recipient_id = to_id;
    a.reason = ev->type;
    a.rule = ev->rule;
    a.zone_id = ev->zone_id;
    a.lat = lat;
    a.lon = lon;
    a.acc_m = acc;
    emit(e, &a);
    if (c->incident && to != ENG_PARTY_MONITORING_CENTRE)
        log_position(e, c, a.time, subject, lat, lon, acc);
}

/*
 * The access rule, for one case: may `to` see the position of `subject`
 * at t because of case c?  The victim: only her case's offender, while that
 * case's reveal window is open (its own end times too, not just its flag, so
 * the rule holds for a caller that ticks late, and never before it opened).
 * The dispatcher and case officer: both devices of the case while its
 * incident is open.  The monitoring centre: the offender tag always, the
 * victim while an incident of the case is open.
 */
static int case_allows(const eng_engine *e, const eng_case *c, eng_party to, pw_id to_id,
                       const eng_device *subject, pw_time_ms t)
{
    int is_offender = case_offender(e, c) == subject;
    if (!is_offender && case_victim(e, c) != subject)
        return 0;
    int incident_open = c->incident && t >= c->incident_opened_at;
    switch (to) {
    case ENG_PARTY_VICTIM:
        return is_offender && c->reveal_open && case_victim(e, c)->id == to_id &&
               t >= c->reveal_opened_at && t < c->reveal_close_at &&
               t < later(c->reveal_opened_at, c->reveal_max_ms);
    case ENG_PARTY_DISPATCHER:
    case ENG_PARTY_CASE_OFFICER:
        return incident_open;
    case ENG_PARTY_MONITORING_CENTRE:
        return is_offender || incident_open;
    default:
        return 0;
    }
}

/*
 * Show `ev` to a party: the offender pin (lat/lon) and, when present, the
 * victim pin (victim_lat/lon).  Every position the engine hands out passes
 * here: the access rule of this very case is checked for each pin (a window
 * of another case of the same pair allows nothing here), an event that
 * would show a pin the party may not see is withheld whole (and counted),
 * and each pin shown is written as its own audit record under this case.
 */
static int disclose(eng_engine *e, eng_case *c, const pw_event *ev, eng_party to, pw_id to_id)
{
    const eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    int has_off = isfinite(ev->lat), has_vic = isfinite(ev->victim_lat);
    if ((has_off && !case_allows(e, c, to, to_id, off, ev->time)) ||
        (has_vic && !case_allows(e, c, to, to_id, vic, ev->time))) {
        e->counters.disclosures_withheld++;
        return 0;
    }
    emit(e, ev);
    if (has_off)
        audit(e, c, ev, to, to_id, off->id, ev->lat, ev->lon, ev->acc_m);
    if (has_vic)
        audit(e, c, ev, to, to_id, vic->id, ev->victim_lat, ev->victim_lon, ev->victim_acc_m);
    return 1;
}

/* An event about case c carrying the offender's position (and the victim's,
 * when both_pins). */
static void case_event(const eng_engine *e, const eng_case *c, pw_event *ev, pw_event_type type,
                       pw_time_ms now, int both_pins)
{
    const eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    ev_init(ev, type, now);
    ev->case_id = c->id;
    ev->device = off->id;
    ev->incident = c->incident;
    if (off->track.initialised) {
        fill_position(e, off, now, &ev->lat, &ev->lon, &ev->acc_m);
        /* The receiver's own course and speed when it gave them, else the
         * filter's; computed here, not per fix, since few fixes become events. */
        ev->heading_deg = isfinite(off->fix_heading_deg) ? off->fix_heading_deg
                                                         : eng_geo_bearing_deg(off->track.vx, off->track.vy);
        ev->speed_mps = isfinite(off->fix_speed_mps) ? off->fix_speed_mps
                                                     : len2d(off->track.vx, off->track.vy);
    }
    if (both_pins && vic->track.initialised)
        fill_position(e, vic, now, &ev->victim_lat, &ev->victim_lon, &ev->victim_acc_m);
    if (off->track.initialised && vic->track.initialised) {
        eng_track a, b;
        pw_time_ms t = off->track.t > vic->track.t ? off->track.t : vic->track.t;
        device_state(e, off, t, &a);
        device_state(e, vic, t, &b);
        ev->distance_m = len2d(a.x - b.x, a.y - b.y);
    }
}

static void open_incident(eng_engine *e, eng_case *c, pw_time_ms now, int reason)
{
    if (c->incident)
        return;
    c->incident = e->next_incident++;
    c->incident_opened_at = now;
    c->log_n = c->log_head = 0;
    c->log_total = 0;
    c->min_distance_m = INFINITY;
    c->sum_lat = c->sum_lon = 0.0;
    c->n_summary = 0;
    pw_event ev;
    case_event(e, c, &ev, PW_EV_INCIDENT_OPEN, now, 1);
    ev.reason = reason;
    ev.recipient = ENG_PARTY_DISPATCHER;
    disclose(e, c, &ev, ENG_PARTY_DISPATCHER, 0);
    if (isfinite(ev.distance_m) && ev.distance_m < c->min_distance_m)
        c->min_distance_m = ev.distance_m;
}

static void close_reveal(eng_engine *e, eng_case *c, pw_time_ms now, eng_reveal_close_reason why)
{
    if (!c->reveal_open)
        return;
    c->reveal_open = 0;
    c->reveal_close_at = NEVER;
    pw_event ev;
    ev_init(&ev, PW_EV_REVEAL_CLOSE, now);
    ev.case_id = c->id;
    ev.device = case_offender(e, c)->id;
    ev.incident = c->incident;
    ev.recipient = ENG_PARTY_VICTIM;
    ev.recipient_id = case_victim(e, c)->id;
    ev.reason = why;
    emit(e, &ev);
}

static void reveal_update(eng_engine *e, eng_case *c, pw_time_ms now)
{
    if (!c->reveal_open)
        return;
    pw_event ev;
    case_event(e, c, &ev, PW_EV_REVEAL_UPDATE, now, 0);
    ev.recipient = ENG_PARTY_VICTIM;
    ev.recipient_id = case_victim(e, c)->id;
    disclose(e, c, &ev, ENG_PARTY_VICTIM, ev.recipient_id);
}

static void incident_update(eng_engine *e, eng_case *c, pw_time_ms now)
{
    if (!c->incident)
        return;
    pw_event ev;
    case_event(e, c, &ev, PW_EV_INCIDENT_UPDATE, now, 1);
    ev.recipient = ENG_PARTY_DISPATCHER;
    disclose(e, c, &ev, ENG_PARTY_DISPATCHER, 0);
    if (isfinite(ev.distance_m) && ev.distance_m < c->min_distance_m)
        c->min_distance_m = ev.distance_m;
}

/* ------------------------------------------------------------------ */
/* Rules                                                               */
/* ------------------------------------------------------------------ */

/* Pursuit mode (fast reporting) is asked for while any alarm or uncertain
 * case of the offender needs it: one request count per tag. */
static void pursuit(eng_engine *e, eng_device *off, const eng_case *c, int on, pw_time_ms now)
{
    if (on ? off->pursuit_refs++ != 0 : --off->pursuit_refs != 0)
        return;
    pw_event pe;
    ev_init(&pe, on ? PW_EV_PURSUIT_ON : PW_EV_PURSUIT_OFF, now);
    pe.device = off->id;
    pe.case_id = c->id;
    emit(e, &pe);
}

/* A risk without a decided breach (a health fault near the victim, an
 * undecidable proximity): tell the centre with the offender's last
 * position, warn the victim (no position) and open an incident. */
static void escalate(eng_engine *e, eng_case *c, pw_event_type why, pw_time_ms now)
{
    pw_event es;
    case_event(e, c, &es, PW_EV_ESCALATION, now, 0);
    es.reason = why;
    es.recipient = ENG_PARTY_MONITORING_CENTRE;
    disclose(e, c, &es, ENG_PARTY_MONITORING_CENTRE, 0);
    pw_event w;
    ev_init(&w, PW_EV_VICTIM_WARNING, now);
    w.case_id = c->id;
    w.device = case_offender(e, c)->id;
    w.reason = why;
    w.recipient = ENG_PARTY_VICTIM;
    w.recipient_id = case_victim(e, c)->id;
    emit(e, &w);
    open_incident(e, c, now, PW_EV_ESCALATION);
}

static void set_uncertain(eng_engine *e, eng_case *c, int on, pw_time_ms now, double p)
{
    if (c->uncertain == on)
        return;
    c->uncertain = (uint8_t)on;
    pw_event ev;
    case_event(e, c, &ev, on ? PW_EV_UNCERTAIN_OPEN : PW_EV_UNCERTAIN_CLOSE, now, 0);
    ev.rule = ENG_RULE_PROXIMITY;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    disclose(e, c, &ev, ENG_PARTY_MONITORING_CENTRE, 0);
    pursuit(e, case_offender(e, c), c, on, now);
    if (on)
        escalate(e, c, PW_EV_UNCERTAIN_OPEN, now);
}

static void alarm_opened(eng_engine *e, eng_case *c, pw_time_ms now, eng_rule_kind kind,
                         pw_id zone_id, double p)
{
    eng_device *off = case_offender(e, c);
    pw_event ev;
    case_event(e, c, &ev, PW_EV_ALARM_OPEN, now, 0);
    ev.rule = kind;
    ev.zone_id = zone_id;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    disclose(e, c, &ev, ENG_PARTY_MONITORING_CENTRE, 0);

    /* Expiry first: a window that has reached its cap ends before this
     * alarm.  And a window that stays open only for an ended alarm's grace
     * is not this alarm's: a new danger gets a window, and a cap, of its
     * own, or it would be lost at the old window's cap. */
    if (c->reveal_open) {
        if (now >= later(c->reveal_opened_at, c->reveal_max_ms))
            close_reveal(e, c, now, ENG_REVEAL_TIMEOUT);
        else if (c->active_alarms == 0)
            close_reveal(e, c, now, now >= c->reveal_close_at ? ENG_REVEAL_GRACE_OVER : ENG_REVEAL_RENEWED);
    }
    c->active_alarms++;
    pursuit(e, off, c, 1, now);
    if (!c->reveal_open) {
        c->reveal_open = 1;
        c->reveal_opened_at = now;
        case_deadline(e, c, later(now, c->reveal_max_ms));
        pw_event ro;
        ev_init(&ro, PW_EV_REVEAL_OPEN, now);
        ro.case_id = c->id;
        ro.device = off->id;
        ro.recipient = ENG_PARTY_VICTIM;
        ro.recipient_id = case_victim(e, c)->id;
        ro.rule = kind;
        ro.zone_id = zone_id;
        emit(e, &ro);
    }
    c->reveal_close_at = NEVER;
    open_incident(e, c, now, PW_EV_ALARM_OPEN);
    reveal_update(e, c, now);
    if (kind == ENG_RULE_PROXIMITY)
        set_uncertain(e, c, 0, now, p); /* decided: the alarm takes over */
}

static void alarm_closed(eng_engine *e, eng_case *c, pw_time_ms now, eng_rule_kind kind,
                         pw_id zone_id, double p)
{
    eng_device *off = case_offender(e, c);
    pw_event ev;
    ev_init(&ev, PW_EV_ALARM_CLOSE, now);
    ev.case_id = c->id;
    ev.device = off->id;
    ev.incident = c->incident;
    ev.rule = kind;
    ev.zone_id = zone_id;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    emit(e, &ev);
    c->active_alarms--;
    pursuit(e, off, c, 0, now);
    if (c->active_alarms == 0 && c->reveal_open) {
        c->reveal_close_at = later(now, c->grace_ms);
        if (c->reveal_close_at <= now)
            close_reveal(e, c, now, ENG_REVEAL_GRACE_OVER); /* no grace: now */
        else
            case_deadline(e, c, c->reveal_close_at);
    }
}

static void prewarn_changed(eng_engine *e, eng_case *c, pw_time_ms now, int open, double p)
{
    pw_event ev;
    case_event(e, c, &ev, open ? PW_EV_PREWARN_OPEN : PW_EV_PREWARN_CLOSE, now, 0);
    ev.rule = ENG_RULE_PREWARN;
    ev.probability = p;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    if (open)
        disclose(e, c, &ev, ENG_PARTY_MONITORING_CENTRE, 0);
    else {
        ev.lat = ev.lon = ev.acc_m = ev.heading_deg = ev.speed_mps = NAN;
        emit(e, &ev);
    }
}

static void rule_transition(eng_engine *e, eng_case *c, rule_state *r, pw_time_ms now,
                            eng_rule_kind kind, pw_id zone_id)
{
    r->active = !r->active;
    r->pending_since = NEVER;
    r->cond = 0;
    if (r->active)
        r->opened_at = now;
    if (kind == ENG_RULE_PREWARN)
        prewarn_changed(e, c, now, r->active, r->last_p);
    else if (r->active)
        alarm_opened(e, c, now, kind, zone_id, r->last_p);
    else
        alarm_closed(e, c, now, kind, zone_id, r->last_p);
}

/*
 * One step of a rule's hysteresis: `p` is P(inside) for the radius that
 * matters in the rule's current state (enter margin while closed, leave
 * margin while open).  The transition happens once its condition has held
 * for the dwell time; eng_tick completes dwells that end between fixes.
 * A close countdown that has started is cancelled only by a judgement on
 * the far side of the band (p >= p_open): one noisy judgement inside the
 * band between p_close and p_open must not restart it, or an alarm whose
 * breach has ended may never close.  An open countdown (dwell_open) needs
 * every judgement at p_open or above, as its name says.
 */
static void rule_step(eng_engine *e, eng_case *c, rule_state *r, double p, pw_time_ms now,
                      eng_rule_kind kind, pw_id zone_id)
{
    r->last_p = p;
    int cond = r->active ? (p <= c->p_close) : (p >= c->p_open);
    int against = r->active ? (p >= c->p_open) : (p <= c->p_close);
    pw_time_ms dwell = r->active ? c->dwell_close_ms : c->dwell_open_ms;
    if (!cond && (against || r->pending_since == NEVER || !r->active)) {
        r->cond = 0;
        r->pending_since = NEVER;
        return;
    }
    r->cond = 1;
    if (r->pending_since == NEVER)
        r->pending_since = now;
    if (now - r->pending_since >= dwell)
        rule_transition(e, c, r, now, kind, zone_id);
    else
        case_deadline(e, c, later(r->pending_since, dwell));
}

/*
 * The polygon grown outward by m metres: each vertex moves to where its
 * two edges' offset lines meet (a mitre).  A very sharp spike would send
 * its mitre far out; the factor is capped at 4 (a 29 degree angle), which
 * only rounds such a spike off.  Zones whose reflex corners have edges
 * shorter than the margin come out approximate; buildings, parks and
 * school grounds at margins of tens of metres do not.
 */
static void offset_polygon(const eng_point *v, size_t n, double m, eng_point *out)
{
    double area2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const eng_point *a = &v[i], *b = &v[(i + 1) % n];
        area2 += a->x * b->y - b->x * a->y;
    }
    double side = area2 >= 0.0 ? 1.0 : -1.0; /* counter-clockwise: outward is right of each edge */
    for (size_t i = 0; i < n; i++) {
        const eng_point *p = &v[(i + n - 1) % n], *c = &v[i], *q = &v[(i + 1) % n];
        double l1 = len2d(c->x - p->x, c->y - p->y), l2 = len2d(q->x - c->x, q->y - c->y);
        double n1x = 0, n1y = 0, n2x = 0, n2y = 0;
        if (l1 > 0.0) {
            n1x = side * (c->y - p->y) / l1;
            n1y = -side * (c->x - p->x) / l1;
        }
        if (l2 > 0.0) {
            n2x = side * (q->y - c->y) / l2;
            n2y = -side * (q->x - c->x) / l2;
        }
        double denom = 1.0 + n1x * n2x + n1y * n2y;
        double k = denom > 1.0 / 16.0 ? m / denom : 4.0 * m; /* mitre, capped */
        double sx = n1x + n2x, sy = n1y + n2y, sl = len2d(sx, sy);
        if (denom > 1.0 / 16.0) {
            out[i].x = c->x + k * sx;
            out[i].y = c->y + k * sy;
        } else {
            out[i].x = c->x + (sl > 0.0 ? k * sx / sl : 0.0);
            out[i].y = c->y + (sl > 0.0 ? k * sy / sl : 0.0);
        }
    }
}

/* P(the offender is inside the zone grown by margin_m), from the 2-D
 * Gaussian of his track: the Rice distribution for circles, the exact
 * polygon integral (polyprob.c) for polygons. */
static double zone_probability(const eng_zone *z, const eng_track *s, double margin_m)
{
    double sigma = eng_track_sigma_m(s);
    double reach = 9.0 * sigma + 4.0 * margin_m;
    if (s->x < z->minx - reach || s->x > z->maxx + reach || s->y < z->miny - reach ||
        s->y > z->maxy + reach)
        return 0.0;
    if (z->kind == ENG_ZONE_CIRCLE)
        return eng_prob_within(len2d(s->x - z->cx, s->y - z->cy), sigma, z->radius_m + margin_m);
    if (!(margin_m > 0.0))
        return eng_prob_in_polygon(z->v, z->n, s->x, s->y, sigma);
    eng_point grown[ENG_MAX_ZONE_VERTICES];
    offset_polygon(z->v, z->n, margin_m, grown);
    return eng_prob_in_polygon(grown, z->n, s->x, s->y, sigma);
}

/*
 * Can `older`, predicted to time t, be within reach_m of `newer` at all?
 * A cheap, conservative test that spares most pairs (far apart, the common
 * case) the prediction: the predicted mean moves by tau (1 - a) |v| <= |v| dt,
 * and the integrated-OU variance grows no faster than the constant-velocity
 * model's pp + 2 dt |pv| + dt^2 vv + q dt^3 / 3.  When this says no, the
 * exact computation would give a probability of exactly 0 too (it cuts off
 * at 6.5 sigma), so skipping it changes no decision.
 */
static int out_of_reach(const eng_filter_config *fc, const eng_track *older,
                        const eng_track *newer, pw_time_ms t, double reach_m)
{
    double dt = (double)(t - older->t) / 1000.0;
    double q = 2.0 * fc->speed_sigma_mps * fc->speed_sigma_mps / fc->speed_tau_s;
    double var = older->pp + 2.0 * dt * fabs(older->pv) + dt * dt * older->vv +
                 q * dt * dt * dt / 3.0 + newer->pp;
    double gap = len2d(older->x - newer->x, older->y - newer->y) -
                 len2d(older->vx, older->vy) * dt - reach_m;
    return gap > 0.0 && gap * gap > 6.5 * 6.5 * var;
}

/*
 * Judge zone i of case c at `now` from the offender's track.  Outside its
 * schedule a zone does not apply: an alarm it holds closes at once (the
 * dwell guards against noise, and a schedule's end is not noise), and no
 * countdown runs.
 */
static void judge_zone(eng_engine *e, eng_case *c, uint32_t i, pw_time_ms now)
{
    const eng_device *off = case_offender(e, c);
    const eng_zone *z = &e->zones[c->zone_first + i];
    rule_state *r = &c->zone[i];
    if (!eng_schedule_active(&z->schedule, now)) {
        r->last_p = 0.0;
        if (r->active)
            rule_transition(e, c, r, now, ENG_RULE_ZONE, z->id);
        r->pending_since = NEVER;
        r->cond = 0;
        return;
    }
    if (!off->track.initialised)
        return;
    double p = zone_probability(z, &off->track, r->active ? c->leave_margin_m : c->enter_margin_m);
    rule_step(e, c, r, p, now, ENG_RULE_ZONE, z->id);
}

/*
 * Uncertain proximity.  When the combined uncertainty is so large that even
 * an offender exactly on the victim would score below p_open, the proximity
 * rule can never open: P at zero distance is 1 - exp(-R^2 / 2 sigma^2), below
 * p_open = 0.5 once sigma > R / 1.18 (424 m for 500 m).  Such a case is
 * "undecidable"; when it is also plausibly inside (P >= p_close) the engine
 * escalates instead of waiting: PW_EV_UNCERTAIN_OPEN to the centre, pursuit
 * mode asked of the tag (to get a GNSS fix), a victim warning without a
 * position and an incident.  It ends (PW_EV_UNCERTAIN_CLOSE) when the case
 * is decidable again or P falls below p_close / 2, or when an alarm opens.
 */
static void judge_uncertain(eng_engine *e, eng_case *c, double p, double sigma, pw_time_ms now)
{
    double r_open = c->alarm_radius_m + c->enter_margin_m;
    int undecidable = !c->prox.active && sigma > 0.0 &&
                      -expm1(-r_open * r_open / (2.0 * sigma * sigma)) < c->p_open;
    if (!c->uncertain)
        set_uncertain(e, c, undecidable && p >= c->p_close, now, p);
    else if (!undecidable || p < 0.5 * c->p_close)
        set_uncertain(e, c, 0, now, p);
}

/* Re-judge a case after a fix of `moved`.  Proximity compares both devices
 * at the newer of their two states; zones depend on the offender alone and
 * are judged on his fixes (and on schedule boundaries, by eng_tick). */
static void evaluate_case(eng_engine *e, eng_case *c, const eng_device *moved, pw_time_ms now)
{
    eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    e->counters.cases_evaluated++;
    if (!off->track.initialised)
        return;
    if (vic->track.initialised) {
        const eng_track *older = &off->track, *newer = &vic->track;
        if (older->t > newer->t) {
            older = &vic->track;
            newer = &off->track;
        }
        double p_alarm = 0.0, p_pre = 0.0, sigma = 0.0;
        double margin_alarm = c->prox.active ? c->leave_margin_m : c->enter_margin_m;
        double margin_pre = c->prewarn.active ? c->leave_margin_m : c->enter_margin_m;
        double reach = c->alarm_radius_m + margin_alarm;
        if (c->prewarn_radius_m + margin_pre > reach && c->prewarn_radius_m > 0.0)
            reach = c->prewarn_radius_m + margin_pre;
        if (!out_of_reach(&e->cfg.filter, older, newer, newer->t, reach)) {
            eng_track po;
            eng_track_predict(older, &e->cfg.filter, newer->t, &po);
            double dist = len2d(po.x - newer->x, po.y - newer->y);
            sigma = sqrt(po.pp + newer->pp);
            p_alarm = eng_prob_within(dist, sigma, c->alarm_radius_m + margin_alarm);
            if (c->prewarn_radius_m > 0.0)
                p_pre = eng_prob_within(dist, sigma, c->prewarn_radius_m + margin_pre);
        }
        rule_step(e, c, &c->prox, p_alarm, now, ENG_RULE_PROXIMITY, 0);
        if (c->prewarn_radius_m > 0.0)
            rule_step(e, c, &c->prewarn, p_pre, now, ENG_RULE_PREWARN, 0);
        judge_uncertain(e, c, p_alarm, sigma, now);
    }
    if (moved != off)
        return;
    for (uint32_t i = 0; i < c->n_zones; i++)
        judge_zone(e, c, i, now);
}

/* ------------------------------------------------------------------ */
/* Fixes                                                               */
/* ------------------------------------------------------------------ */

static eng_status reject(eng_engine *e, const eng_device *d, const pw_fix *f, pw_time_ms now,
                         eng_reject_reason why)
{
    e->counters.rejected[why]++;
    pw_event ev;
    ev_init(&ev, PW_EV_FIX_REJECTED, now);
    ev.device = d->id;
    ev.reason = why;
    /* The position is not shown to anyone: the rejected fix stays internal. */
    ev.acc_m = (f->set & PW_FIX_ACC_SET) ? f->acc_m : NAN;
    emit(e, &ev);
    return ENG_EREJECTED;
}

static void health_event(eng_engine *e, eng_device *d, pw_event_type type, pw_time_ms now,
                         double value);

static void contact(eng_engine *e, eng_device *d, pw_time_ms now)
{
    /* A caller whose `now` steps back must not make contact look older. */
    if (d->last_comm == NEVER || now > d->last_comm)
        d->last_comm = now;
    health_deadline(e, later(d->last_comm, d->no_comm_ms));
    if (d->comm_lost) {
        d->comm_lost = 0;
        pw_event ev;
        ev_init(&ev, PW_EV_COMM_RESTORED, now);
        ev.device = d->id;
        emit(e, &ev);
    }
}

/*
 * A rejected fix may be the first of a run that shows the track itself is
 * wrong (a cold-boot fix thousands of km off, then the truth).  Keep the
 * rejected fixes as a candidate track; once reacquire_fixes of them agree
 * with each other at a possible speed, over at least reacquire_min_ms, the
 * candidate wins.  The span matters: correlated multipath drifts smoothly
 * (60 m over 8 s, each fix consistent with the last), so agreement alone
 * is not proof; a short episode of it must not capture the track.
 */
static int candidate_wins(eng_engine *e, eng_device *d, pw_time_ms t, double x, double y,
                          double sigma, int at_rest)
{
    const eng_filter_config *fc = &e->cfg.filter;
    int consistent = 0, same_place = 0;
    if (d->cand_run > 0 && t > d->cand_t) {
        double dt = (double)(t - d->cand_t) / 1000.0;
        double apart = len2d(x - d->cand_x, y - d->cand_y);
        consistent = apart <= fc->max_speed_mps * dt + 3.0 * (sigma + d->cand_sigma);
        same_place = apart <= 3.0 * (sigma + d->cand_sigma);
    }
    if (consistent) {
        double dt = (double)(t - d->cand_t) / 1000.0;
        d->cand_vx = (x - d->cand_x) / dt;
        d->cand_vy = (y - d->cand_y) / dt;
        d->cand_run++;
        d->cand_rest = d->cand_rest && at_rest && same_place;
    } else {
        d->cand_vx = d->cand_vy = 0.0;
        d->cand_run = 1;
        d->cand_since = t;
        d->cand_rest = (uint8_t)at_rest;
    }
    d->cand_t = t;
    d->cand_x = x;
    d->cand_y = y;
    d->cand_sigma = sigma;
    /* Two fixes that both say "at rest" at the same new place, far enough
     * apart in time, are a device that moved while its wake-up fix was lost
     * (a tag at rest fixes once in five minutes: waiting for three would
     * take ten).  One such fix alone is a reflection, and stays rejected. */
    int needed = d->cand_rest ? 2 : fc->reacquire_fixes;
    return d->cand_run >= needed && t - d->cand_since >= fc->reacquire_min_ms;
}

/*
 * The track predicted to the time t of a new fix.  A device at rest stays
 * put; one that the accelerometer has woken (this fix says moving, the
 * track says at rest) may have left at any moment since its last fix, so
 * its velocity becomes unknown again (a new track's velocity spread) and
 * the moving model spreads it from the last rest position.
 */
static void predict_for_fix(const eng_filter_config *fc, const eng_track *tr, pw_time_ms t,
                            int says_moving, eng_track *out)
{
    if (tr->at_rest && says_moving) {
        eng_track woken = *tr;
        woken.at_rest = 0;
        woken.pv = 0.0;
        woken.vv = fc->init_speed_sigma_mps * fc->init_speed_sigma_mps;
        eng_track_predict(&woken, fc, t, out);
        return;
    }
    eng_track_predict(tr, fc, t, out);
}

/*
 * Adjustable process noise (Bar-Shalom's manoeuvre detection): a vehicle
 * that turns or brakes between two fixes lands outside the gate of a model
 * that assumes gentle motion (a car turning 90 degrees at 10 m/s is 70 m off
 * a straight-line prediction after 10 s).  For a track moving at vehicle
 * speed, an outlier is tested once more against the prediction with the
 * uncertainty of a sustained acceleration a: position a dt^2 / 2, velocity
 * a dt.  If it fits, it is a manoeuvre, and the widened prediction is used,
 * so the track follows at once instead of waiting for re-acquisition.
 * Slow tracks (people on foot, where urban-canyon jumps live) never get
 * this allowance.
 */
static int manoeuvre_fits(const eng_filter_config *fc, const eng_device *d, eng_track *p, double dt,
                          double ix, double iy, double sigma)
{
    const eng_track *tr = &d->track;
    /* Only right after an accepted fix: while fixes are being rejected the
     * gap since the track's last fix grows, and with it the allowance, until
     * a multipath episode would pass for a manoeuvre. */
    if (d->cand_run > 0 || tr->at_rest || !(fc->manoeuvre_accel_mps2 > 0.0) ||
        len2d(tr->vx, tr->vy) < fc->manoeuvre_min_speed_mps)
        return 0;
    double a2 = fc->manoeuvre_accel_mps2 * fc->manoeuvre_accel_mps2;
    eng_track m = *p;
    m.pp += 0.25 * a2 * dt * dt * dt * dt;
    m.pv += 0.5 * a2 * dt * dt * dt;
    m.vv += a2 * dt * dt;
    if ((ix * ix + iy * iy) / (m.pp + sigma * sigma) > fc->gate_chi2)
        return 0;
    *p = m;
    return 1;
}

static pw_time_ms gnss_timeout(const eng_device *d)
{
    return d->track.at_rest ? d->no_fix_rest_ms : d->no_fix_ms;
}

/* When GNSS counts as lost: the timeout in force after the newest GNSS fix,
 * or after a wake-up that a status reported (a device at rest was not due
 * to fix until it woke). */
static pw_time_ms gnss_due(const eng_device *d)
{
    pw_time_ms from = d->woken_at > d->last_gnss_t ? d->woken_at : d->last_gnss_t;
    return later(from, gnss_timeout(d));
}

/*
 * Freshness is judged by fix time, not arrival: a fix that arrives minutes
 * after it was measured (a clock off by minutes, a week-rollover receiver,
 * a backlog) is counted as stale and raises STALE_DATA once per episode
 * (unless the centre already knows the device is lost), and it does not
 * keep GNSS "alive".  Only GNSS fixes do that; cell and Wi-Fi positions in
 * a tunnel do not.
 */
static void note_stale(eng_engine *e, eng_device *d, pw_time_ms t, pw_time_ms now)
{
    e->counters.fixes_stale++;
    if (!d->stale && !d->signal_lost && !d->comm_lost) {
        d->stale = 1;
        health_event(e, d, PW_EV_STALE_DATA, now, (double)(now - t) / 1000.0);
    }
}

static void note_freshness(eng_engine *e, eng_device *d, const pw_fix *f, pw_time_ms t, pw_time_ms now)
{
    if (now - t <= e->cfg.max_fix_age_ms)
        d->stale = 0; /* a fresh fix ends the episode */
    /* Before its first GNSS fix, a device's GNSS clock runs from its first
     * fix of any kind. */
    int gnss = f->source == PW_SRC_GNSS;
    if ((gnss || d->last_gnss_t == NEVER) && (d->last_gnss_t == NEVER || t > d->last_gnss_t))
        d->last_gnss_t = t;
    pw_time_ms due = gnss_due(d);
    if (d->signal_lost && gnss && now < due) {
        d->signal_lost = 0;
        pw_event ev;
        ev_init(&ev, PW_EV_SIGNAL_RESTORED, now);
        ev.device = d->id;
        emit(e, &ev);
    }
    health_deadline(e, due);
}

static eng_status take_fix(eng_engine *e, eng_device *d, const pw_fix *f, pw_time_ms now);

eng_status eng_on_fix(eng_engine *e, const pw_fix *f, pw_time_ms now)
{
    if (!live(e) || !f || !time_ok(now))
        return ENG_EINVAL;
    eng_device *d = find_device(e, f->device);
    if (!d)
        return ENG_ENOENT;
    /* Timers due by now run first: a reveal window whose grace ended
     * between two ticks must be closed before this fix could reach the
     * victim. */
    eng_tick(e, now);
    e->counters.fixes_in++;
    contact(e, d, now);
    eng_status st = take_fix(e, d, f, now);
    /* Stale is judged on arrival, whatever the gates said of the fix, and
     * after it: an escalation near a victim needs the position it gave. */
    pw_time_ms t = (f->set & PW_FIX_TIME_SET) ? f->time : now;
    if (time_ok(t) && now - t > e->cfg.max_fix_age_ms)
        note_stale(e, d, t, now);
    return st;
}

/* Gate one fix and, when accepted, fold it into the track and re-judge the
 * device's cases. */
static eng_status take_fix(eng_engine *e, eng_device *d, const pw_fix *f, pw_time_ms now)
{
    const eng_filter_config *fc = &e->cfg.filter;
    if (!(f->set & PW_FIX_LATLON_SET) || !isfinite(f->lat) || !isfinite(f->lon))
        return reject(e, d, f, now, ENG_REJ_NO_POSITION);
    pw_time_ms t = (f->set & PW_FIX_TIME_SET) ? f->time : now;
    if (fabs(f->lat) > 90.0 || fabs(f->lon) > 180.0 || !time_ok(t) ||
        ((f->set & PW_FIX_ACC_SET) && !(f->acc_m >= 0.0 && f->acc_m < 1e7)))
        return reject(e, d, f, now, ENG_REJ_INVALID);
    if (t > later(now, e->cfg.max_future_ms))
        return reject(e, d, f, now, ENG_REJ_FUTURE);
    double x, y;
    eng_geo_to_local(&e->frame, f->lat, f->lon, &x, &y);
    if (x * x + y * y > e->cfg.region_radius_m * e->cfg.region_radius_m)
        return reject(e, d, f, now, ENG_REJ_OUT_OF_REGION);
    double sigma = eng_fix_sigma_m(fc, f);
    /* The wearer's motion: the device's accelerometer when it says, else a
     * GNSS receiver's own Doppler speed (recorded traces, live receivers),
     * which a still receiver reports near zero. */
    int motion_known = 0, moving = 1;
    if (f->set & PW_FIX_MOTION_SET) {
        motion_known = 1;
        moving = f->moving != 0;
    } else if ((f->set & PW_FIX_SPEED_SET) && f->source == PW_SRC_GNSS && f->speed_mps >= 0.0 &&
               isfinite(f->speed_mps)) {
        motion_known = 1;
        moving = f->speed_mps >= fc->rest_speed_mps;
    }

    if (!d->track.initialised) {
        eng_track_reset(&d->track, fc, t, x, y, sigma);
    } else if (t == d->track.t) {
        return reject(e, d, f, now, ENG_REJ_DUPLICATE);
    } else if (t < d->track.t) {
        return reject(e, d, f, now, ENG_REJ_OUT_OF_ORDER);
    } else {
        double dt = (double)(t - d->track.t) / 1000.0;
        double jump = len2d(x - d->track.x, y - d->track.y);
        double slack = 3.0 * (sigma + eng_track_sigma_m(&d->track));
        eng_reject_reason why = ENG_REJ_NONE;
        eng_track p;
        if (jump - slack > fc->max_speed_mps * dt) {
            why = ENG_REJ_IMPOSSIBLE_SPEED;
        } else {
            /* One prediction serves the gate and the update. */
            int says_moving = !motion_known || moving;
            predict_for_fix(fc, &d->track, t, says_moving, &p);
            double ix = x - p.x, iy = y - p.y;
            if ((ix * ix + iy * iy) / (p.pp + sigma * sigma) > fc->gate_chi2) {
                if (manoeuvre_fits(fc, d, &p, dt, ix, iy, sigma))
                    e->counters.manoeuvres++;
                else
                    why = ENG_REJ_OUTLIER;
            }
        }
        if (why != ENG_REJ_NONE) {
            if (!candidate_wins(e, d, t, x, y, sigma, motion_known && !moving))
                return reject(e, d, f, now, why);
            /* The run of rejected fixes wins: restart the track at this fix,
             * moving as the last two candidates did. */
            eng_track_reset(&d->track, fc, t, x, y, sigma);
            d->track.vx = d->cand_vx;
            d->track.vy = d->cand_vy;
            e->counters.reacquired++;
            pw_event ev;
            ev_init(&ev, PW_EV_TRACK_REACQUIRED, now);
            ev.device = d->id;
            ev.reason = why;
            emit(e, &ev);
        } else {
            double prior_pp = p.pp;
            eng_track_correct(&p, x, y, sigma);
            /* Cell and Wi-Fi errors come from the geometry of the same
             * towers and access points fix after fix: they do not average
             * out.  Such a fix cannot make the track surer than the fix
             * itself, unless the track already was (a GNSS track entering
             * a tunnel). */
            if (f->source != PW_SRC_GNSS && p.pp < prior_pp && p.pp < sigma * sigma)
                p.pp = prior_pp < sigma * sigma ? prior_pp : sigma * sigma;
            d->track = p;
        }
    }
    /* The accelerometer's word, when the device gives it; without it the
     * track is a moving target. */
    eng_track_set_rest(&d->track, motion_known && !moving);
    d->cand_run = 0;
    e->counters.fixes_accepted++;
    d->fix_speed_mps = (f->set & PW_FIX_SPEED_SET) ? f->speed_mps : NAN;
    d->fix_heading_deg = (f->set & PW_FIX_HEADING_SET) ? f->heading_deg : NAN;
    note_freshness(e, d, f, t, now);

    for (uint32_t li = d->first_link; li != NONE_IDX; li = e->links[li].next) {
        eng_case *c = &e->cases[e->links[li].case_idx];
        evaluate_case(e, c, d, now);
        if (d->role == ENG_ROLE_OFFENDER)
            reveal_update(e, c, now);
        incident_update(e, c, now);
    }
    return ENG_OK;
}

/* ------------------------------------------------------------------ */
/* Health                                                              */
/* ------------------------------------------------------------------ */

/* Is the offender's last filtered position a risk to this case's victim? */
static int near_victim(const eng_engine *e, const eng_case *c)
{
    const eng_device *off = case_offender(e, c), *vic = case_victim(e, c);
    if (!off->track.initialised)
        return 0;
    for (uint32_t i = 0; i < c->n_zones; i++) {
        const eng_zone *z = &e->zones[c->zone_first + i];
        if (zone_probability(z, &off->track, c->leave_margin_m) > c->p_close)
            return 1;
    }
    if (!vic->track.initialised)
        return 0;
    double radius = c->prewarn_radius_m > c->alarm_radius_m ? c->prewarn_radius_m : c->alarm_radius_m;
    return len2d(off->track.x - vic->track.x, off->track.y - vic->track.y) <= radius;
}

static void health_event(eng_engine *e, eng_device *d, pw_event_type type, pw_time_ms now,
                         double value)
{
    pw_event ev;
    ev_init(&ev, type, now);
    ev.device = d->id;
    ev.value = value;
    ev.recipient = ENG_PARTY_MONITORING_CENTRE;
    emit(e, &ev);
    if (d->role != ENG_ROLE_OFFENDER)
        return;
    /* A fault near a victim is a risk, not silence. */
    for (uint32_t li = d->first_link; li != NONE_IDX; li = e->links[li].next) {
        eng_case *c = &e->cases[e->links[li].case_idx];
        if (near_victim(e, c))
            escalate(e, c, type, now);
    }
}

eng_status eng_on_status(eng_engine *e, const pw_device_status *s, pw_time_ms now)
{
    if (!live(e) || !s || !time_ok(now))
        return ENG_EINVAL;
    eng_device *d = find_device(e, s->device);
    if (!d)
        return ENG_ENOENT;
    eng_tick(e, now);
    contact(e, d, now);
    if ((s->set & PW_STATUS_MOTION_SET) && d->track.initialised &&
        d->track.at_rest != (s->moving == 0)) {
        /* The accelerometer between fixes.  A status older than the newest
         * fix says nothing new.  A start: the velocity is unknown again
         * (the next prediction spreads from the last rest fix), and the
         * moving GNSS timeout counts from the start, not from a rest fix
         * that was not due to be followed for minutes.  A stop: the track
         * is predicted to the stop and set at rest, keeping its own time so
         * that a fix measured before but delivered after is in order. */
        pw_time_ms at = time_ok(s->time) ? s->time : now;
        if (at > now)
            at = now;
        if (at >= d->track.t) {
            if (s->moving) {
                d->track.at_rest = 0;
                d->track.pv = 0.0;
                d->track.vv = e->cfg.filter.init_speed_sigma_mps * e->cfg.filter.init_speed_sigma_mps;
                d->woken_at = at;
            } else {
                eng_track p;
                eng_track_predict(&d->track, &e->cfg.filter, at, &p);
                p.t = d->track.t;
                d->track = p;
                eng_track_set_rest(&d->track, 1);
            }
            if (d->last_gnss_t != NEVER)
                health_deadline(e, gnss_due(d));
        }
    }
    if ((s->set & PW_STATUS_BATTERY_SET) && isfinite(s->battery_pct)) {
        if (s->battery_pct <= e->cfg.battery_low_pct && !d->battery_low) {
            d->battery_low = 1;
            health_event(e, d, PW_EV_BATTERY_LOW, now, s->battery_pct);
        } else if (s->battery_pct > e->cfg.battery_low_pct + 5.0) {
            d->battery_low = 0; /* charged: a later drop warns again */
        }
    }
    if (s->set & PW_STATUS_TAMPER_SET) {
        if (s->strap_tampered && !d->tampered) {
            d->tampered = 1;
            health_event(e, d, PW_EV_TAMPER, now, NAN);
        } else if (!s->strap_tampered) {
            d->tampered = 0;
        }
    }
    if ((s->set & PW_STATUS_PANIC_SET) && s->panic && d->role == ENG_ROLE_VICTIM) {
        /* The victim asks for help: every case that protects her opens an
         * incident, so the dispatcher sees both pins. */
        pw_event ev;
        ev_init(&ev, PW_EV_PANIC, now);
        ev.device = d->id;
        ev.recipient = ENG_PARTY_MONITORING_CENTRE;
        emit(e, &ev);
        for (uint32_t li = d->first_link; li != NONE_IDX; li = e->links[li].next)
            open_incident(e, &e->cases[e->links[li].case_idx], now, PW_EV_PANIC);
    }
    if ((s->set & PW_STATUS_POWER_SET) && s->powering_off && !d->off) {
        d->off = 1;
        health_event(e, d, PW_EV_DEVICE_OFF, now, NAN);
    } else if ((s->set & PW_STATUS_POWER_SET) && !s->powering_off) {
        d->off = 0;
    }
    return ENG_OK;
}

/* ------------------------------------------------------------------ */
/* Timers                                                              */
/* ------------------------------------------------------------------ */

static void rule_timer(eng_engine *e, eng_case *c, rule_state *r, pw_time_ms now,
                       eng_rule_kind kind, pw_id zone_id)
{
    if (r->pending_since == NEVER || !r->cond)
        return;
    pw_time_ms dwell = r->active ? c->dwell_close_ms : c->dwell_open_ms;
    if (now - r->pending_since >= dwell)
        rule_transition(e, c, r, now, kind, zone_id);
}

static void tick_devices(eng_engine *e, pw_time_ms now)
{
    e->next_health_deadline = NEVER;
    for (size_t i = 0; i < e->n_devices; i++) {
        eng_device *d = &e->devices[i];
        if (d->last_gnss_t != NEVER && !d->signal_lost) {
            pw_time_ms due = gnss_due(d);
            if (now >= due) {
                d->signal_lost = 1;
                health_event(e, d, PW_EV_SIGNAL_LOST, now, (double)(now - d->last_gnss_t) / 1000.0);
            } else {
                health_deadline(e, due);
            }
        }
        if (d->last_comm != NEVER && !d->comm_lost) {
            pw_time_ms due = later(d->last_comm, d->no_comm_ms);
            if (now >= due) {
                d->comm_lost = 1;
                health_event(e, d, PW_EV_COMM_LOST, now, (double)(now - d->last_comm) / 1000.0);
            } else {
                health_deadline(e, due);
            }
        }
    }
}

/* When the case's next timer is due (NEVER when it has none). */
static pw_time_ms case_next_timer(const eng_case *c)
{
    pw_time_ms next = NEVER;
    if (c->reveal_open) {
        next = later(c->reveal_opened_at, c->reveal_max_ms);
        if (c->reveal_close_at < next)
            next = c->reveal_close_at;
    }
    for (uint32_t i = 0; i < 2 + c->n_zones; i++) {
        const rule_state *r = i == 0 ? &c->prox : i == 1 ? &c->prewarn : &c->zone[i - 2];
        if (r->pending_since == NEVER || !r->cond)
            continue;
        pw_time_ms due = later(r->pending_since, r->active ? c->dwell_close_ms : c->dwell_open_ms);
        if (due < next)
            next = due;
    }
    return next;
}

/* Expiry comes before new alarms: a window whose cap falls in the same tick
 * as an alarm's dwell must be closed first, so that the alarm opens a new
 * one instead of finding the old one still open and then losing it. */
static void tick_case(eng_engine *e, eng_case *c, pw_time_ms now)
{
    if (c->reveal_open) {
        if (now >= later(c->reveal_opened_at, c->reveal_max_ms))
            close_reveal(e, c, now, ENG_REVEAL_TIMEOUT);
        else if (now >= c->reveal_close_at)
            close_reveal(e, c, now, ENG_REVEAL_GRACE_OVER);
    }
    rule_timer(e, c, &c->prox, now, ENG_RULE_PROXIMITY, 0);
    rule_timer(e, c, &c->prewarn, now, ENG_RULE_PREWARN, 0);
    for (uint32_t z = 0; z < c->n_zones; z++)
        rule_timer(e, c, &c->zone[z], now, ENG_RULE_ZONE, e->zones[c->zone_first + z].id);
}

/* Zone schedules take effect on the clock: each scheduled zone whose next
 * boundary has passed is judged now, then waits for its following one. */
static void tick_schedules(eng_engine *e, pw_time_ms now)
{
    e->next_schedule_deadline = NEVER;
    for (size_t i = 0; i < e->n_zones; i++) {
        eng_zone *z = &e->zones[i];
        if (z->next_change == NEVER)
            continue;
        if (z->next_change <= now) {
            eng_case *c = &e->cases[z->case_idx];
            judge_zone(e, c, (uint32_t)(i - c->zone_first), now);
            z->next_change = eng_schedule_next_change(&z->schedule, now);
        }
        if (z->next_change < e->next_schedule_deadline)
            e->next_schedule_deadline = z->next_change;
    }
}

eng_status eng_tick(eng_engine *e, pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return ENG_EINVAL;
    if (now >= e->next_health_deadline)
        tick_devices(e, now);
    if (now >= e->next_schedule_deadline)
        tick_schedules(e, now);
    if (now < e->next_case_deadline)
        return ENG_OK;
    e->next_case_deadline = NEVER;
    for (size_t i = 0; i < e->n_timer_cases;) {
        eng_case *c = &e->cases[e->timer_cases[i]];
        tick_case(e, c, now);
        pw_time_ms next = case_next_timer(c);
        if (next == NEVER) {
            c->in_timer_set = 0;
            e->timer_cases[i] = e->timer_cases[--e->n_timer_cases];
            continue;
        }
        if (next < e->next_case_deadline)
            e->next_case_deadline = next;
        i++;
    }
    return ENG_OK;
}

/* ------------------------------------------------------------------ */
/* Incidents and retention                                             */
/* ------------------------------------------------------------------ */

eng_status eng_incident_ack(eng_engine *e, pw_id incident, pw_id officer, pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return ENG_EINVAL;
    eng_case *c = find_incident(e, incident);
    if (!c)
        return ENG_ENOENT;
    pw_event ev;
    ev_init(&ev, PW_EV_INCIDENT_ACK, now);
    ev.case_id = c->id;
    ev.incident = incident;
    ev.recipient = ENG_PARTY_CASE_OFFICER;
    ev.recipient_id = officer;
    emit(e, &ev);
    return ENG_OK;
}

static double snap(double v, double step)
{
    return floor(v / step) * step + 0.5 * step;
}

eng_status eng_incident_close(eng_engine *e, pw_id incident, pw_id officer, pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return ENG_EINVAL;
    eng_case *c = find_incident(e, incident);
    if (!c)
        return ENG_ENOENT;
    /* Alarms still open end with the incident; if the danger persists, the
     * next fix opens a new alarm and a new incident. */
    if (c->prox.active)
        rule_transition(e, c, &c->prox, now, ENG_RULE_PROXIMITY, 0);
    for (uint32_t z = 0; z < c->n_zones; z++)
        if (c->zone[z].active)
            rule_transition(e, c, &c->zone[z], now, ENG_RULE_ZONE, e->zones[c->zone_first + z].id);
    close_reveal(e, c, now, ENG_REVEAL_INCIDENT_CLOSED);

    pw_event ev;
    ev_init(&ev, PW_EV_INCIDENT_CLOSE, now);
    ev.case_id = c->id;
    ev.incident = incident;
    ev.recipient = ENG_PARTY_CASE_OFFICER;
    ev.recipient_id = officer;
    emit(e, &ev);

    /* Retention: a coarse summary survives, the precise records do not. */
    pw_event pg;
    ev_init(&pg, PW_EV_INCIDENT_PURGED, now);
    pg.case_id = c->id;
    pg.incident = incident;
    pg.value = (double)c->log_total;
    const eng_retention *rt = &e->cfg.retention;
    if (rt->coarse_grid_m > 0.0 && c->n_summary > 0) {
        double x, y;
        eng_geo_to_local(&e->frame, c->sum_lat / (double)c->n_summary,
                         c->sum_lon / (double)c->n_summary, &x, &y);
        eng_geo_to_wgs84(&e->frame, snap(x, rt->coarse_grid_m), snap(y, rt->coarse_grid_m),
                         &pg.lat, &pg.lon);
        pg.acc_m = rt->coarse_grid_m;
    }
    if (rt->distance_step_m > 0.0 && isfinite(c->min_distance_m))
        pg.distance_m = ceil(c->min_distance_m / rt->distance_step_m) * rt->distance_step_m;
    size_t cap = e->cfg.incident_log_cap;
    if (cap)
        wipe(&e->incident_log[(size_t)(c - e->cases) * cap], cap * sizeof(eng_log_entry));
    c->log_n = c->log_head = 0;
    c->log_total = 0;
    c->sum_lat = c->sum_lon = 0.0;
    c->n_summary = 0;
    c->min_distance_m = INFINITY;
    c->incident = 0;
    emit(e, &pg);
    return ENG_OK;
}

size_t eng_incident_log_count(const eng_engine *e, pw_id incident)
{
    const eng_case *c = live(e) ? find_incident(e, incident) : NULL;
    return c ? c->log_n : 0;
}

pw_id eng_case_incident(const eng_engine *e, pw_id case_id)
{
    const eng_case *c = live(e) ? find_case(e, case_id) : NULL;
    return c ? c->incident : 0;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */
/* ------------------------------------------------------------------ */

eng_status eng_device_estimate(const eng_engine *e, pw_id device, pw_time_ms now, eng_estimate *out)
{
    if (!live(e) || !out || !time_ok(now))
        return ENG_EINVAL;
    const eng_device *d = find_device(e, device);
    if (!d)
        return ENG_ENOENT;
    if (!d->track.initialised)
        return ENG_ESTATE;
    eng_track s;
    device_state(e, d, now, &s);
    out->x = s.x;
    out->y = s.y;
    eng_geo_to_wgs84(&e->frame, s.x, s.y, &out->lat, &out->lon);
    out->sigma_m = eng_track_sigma_m(&s);
    out->speed_mps = len2d(s.vx, s.vy);
    out->heading_deg = eng_geo_bearing_deg(s.vx, s.vy);
    out->time = s.t;
    return ENG_OK;
}

int eng_may_disclose(const eng_engine *e, eng_party recipient, pw_id recipient_id, pw_id subject,
                     pw_time_ms now)
{
    if (!live(e) || !time_ok(now))
        return 0;
    const eng_device *s = find_device(e, subject);
    if (!s)
        return 0;
    for (uint32_t li = s->first_link; li != NONE_IDX; li = e->links[li].next)
        if (case_allows(e, &e->cases[e->links[li].case_idx], recipient, recipient_id, s, now))
            return 1;
    return 0;
}

const eng_counters *eng_get_counters(const eng_engine *e)
{
    static const eng_counters none; /* read-only zeros for a NULL engine */
    return e ? &e->counters : &none;
}
