/*
 * engine.c - the registry and its tables: names and defaults, the one
 * allocation at eng_init, devices, cases and zones, and the queries.
 * The engine's files by concern: engine.c (registry), gate.c (fix gating,
 * re-acquisition and freshness), track.c (the filter), rules.c (rules and
 * probabilities), polyprob.c (P inside a polygon), lifecycle.c (alert
 * lifecycle, health and timers), access.c (disclosure, audit and purge),
 * geo.c (geometry).  Pure: every call carries `now`, results leave through
 * the sink.
 */
#include "eng_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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
    fc->uere_m = ENG_UERE_M_DEFAULT;
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

eng_device *ei_find_device(const eng_engine *e, pw_id id)
{
    uint32_t v = *hash_slot(e->device_hash, e->hash_mask, id, e->devices, sizeof(eng_device));
    return v ? &e->devices[v - 1] : NULL;
}

static eng_case *find_case(const eng_engine *e, pw_id id)
{
    uint32_t v = *hash_slot(e->case_hash, e->case_hash_mask, id, e->cases, sizeof(eng_case));
    return v ? &e->cases[v - 1] : NULL;
}

eng_case *ei_find_incident(const eng_engine *e, pw_id incident)
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
    e->resumed_at = INT64_MIN;
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

void ei_wipe(void *p, size_t n)
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
    ei_wipe(e->incident_log, e->cfg.max_cases * (e->cfg.incident_log_cap ? e->cfg.incident_log_cap : 1) *
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
    eng_device *d = ei_find_device(e, id);
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
    z->schedule = zd->schedule;
    if (zd->schedule.n_windows < 0 || zd->schedule.n_windows > ENG_MAX_WINDOWS ||
        zd->schedule.utc_offset_min < -24 * 60 || zd->schedule.utc_offset_min > 24 * 60)
        return ENG_EINVAL;
    for (int i = 0; i < zd->schedule.n_windows; i++) {
        const eng_window *w = &zd->schedule.windows[i];
        if (w->start_min >= w->end_min || w->end_min > 1440 || (w->days_mask & 0x80))
            return ENG_EINVAL;
    }
    return eng_zone_geom_init(&e->frame, zd, &z->geom);
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
    eng_device *off = ei_find_device(e, cd->offender);
    eng_device *vic = ei_find_device(e, cd->victim);
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
        if (ends[k]->first_link == NONE_IDX) {
            ends[k]->hint_case = ci;
            ends[k]->hint_partner = (uint32_t)(ends[1 - k] - e->devices);
        }
        l->case_idx = ci;
        l->next = ends[k]->first_link;
        ends[k]->first_link = (uint32_t)e->n_links++;
    }
    return ENG_OK;
}

size_t eng_incident_log_count(const eng_engine *e, pw_id incident)
{
    const eng_case *c = live(e) ? ei_find_incident(e, incident) : NULL;
    return c ? c->log_n : 0;
}

pw_id eng_case_incident(const eng_engine *e, pw_id case_id)
{
    const eng_case *c = live(e) ? find_case(e, case_id) : NULL;
    return c ? c->incident : 0;
}

eng_status eng_device_estimate(const eng_engine *e, pw_id device, pw_time_ms now, eng_estimate *out)
{
    if (!live(e) || !out || !time_ok(now))
        return ENG_EINVAL;
    const eng_device *d = ei_find_device(e, device);
    if (!d)
        return ENG_ENOENT;
    if (!d->track.initialised)
        return ENG_ESTATE;
    eng_track s;
    ei_device_state(e, d, now, &s);
    out->x = s.x;
    out->y = s.y;
    eng_geo_to_wgs84(&e->frame, s.x, s.y, &out->lat, &out->lon);
    out->sigma_m = eng_track_sigma_m(&s);
    out->speed_mps = len2d(s.vx, s.vy);
    out->heading_deg = eng_geo_bearing_deg(s.vx, s.vy);
    out->time = s.t;
    return ENG_OK;
}

const eng_counters *eng_get_counters(const eng_engine *e)
{
    static const eng_counters none; /* read-only zeros for a NULL engine */
    return e ? &e->counters : &none;
}
