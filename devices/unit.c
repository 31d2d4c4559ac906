/*
 * unit.c - an emulated ankle tag or victim phone: fix cadence, heartbeats,
 * battery, tamper and power-off reports, network loss and delay, and the
 * store-and-forward queue.
 */
#include "devices.h"

#include <math.h>
#include <string.h>

#define MS_PER_HOUR 3600000.0

const char *dev_strerror(dev_status s)
{
    switch (s) {
    case DEV_OK:
        return "ok";
    case DEV_EINVAL:
        return "parameter out of range";
    }
    return "unknown status";
}

/*
 * The one table of device defaults: the emulator, the scenario loader (which
 * leaves unset what a scenario does not say) and the simulator all take
 * them from here.  They are assumptions for a pilot, not measurements
 * (devices/README.md).  Tags fix every 5 min at rest, as commercial active
 * GPS tags do to last two days, every minute while the wearer moves (the
 * accelerometer wakes them at once), and every 15 s in pursuit (the engine's
 * request during an alarm).  Phones: a fix a minute.  GNSS is lost when no
 * GNSS fix came for 150 s while moving: two missed moving fixes and half a
 * minute of network.
 */
void dev_unit_config_default(dev_unit_config *c, dev_kind kind)
{
    memset(c, 0, sizeof *c);
    int tag = kind == DEV_TAG;
    c->interval_rest_ms = tag ? 300000 : 60000;
    c->interval_moving_ms = 60000;
    c->interval_pursuit_ms = tag ? 15000 : 60000;
    c->heartbeat_ms = 300000;
    c->signal_timeout_ms = 150000;
    c->battery_start_pct = 100.0;
    c->drain_pct_per_hour = tag ? 1.5 : 3.0;
    c->drain_pct_per_fix = tag ? 0.005 : 0.002;
    c->low_battery_pct = 15.0;
    c->net_delay_mean_ms = 1500.0;
    c->net_loss = 0.01;
    c->accuracy_scale = 1.0;
    c->store_capacity = DEV_STORE_MAX;
}

dev_status dev_unit_config_validate(const dev_unit_config *c)
{
    if (c->interval_rest_ms <= 0 || c->interval_moving_ms <= 0 || c->interval_pursuit_ms <= 0 ||
        c->heartbeat_ms <= 0 || c->signal_timeout_ms <= 0)
        return DEV_EINVAL;
    if (!(c->battery_start_pct > 0.0 && c->battery_start_pct <= 100.0) ||
        !(c->drain_pct_per_hour >= 0.0 && isfinite(c->drain_pct_per_hour)) ||
        !(c->drain_pct_per_fix >= 0.0 && isfinite(c->drain_pct_per_fix)) ||
        !isfinite(c->low_battery_pct))
        return DEV_EINVAL;
    if (!(c->net_delay_mean_ms >= 0.0 && isfinite(c->net_delay_mean_ms)) ||
        !(c->net_loss >= 0.0 && c->net_loss <= 1.0) ||
        !(c->accuracy_scale > 0.0 && isfinite(c->accuracy_scale)))
        return DEV_EINVAL;
    if (c->store_capacity < 1 || c->store_capacity > DEV_STORE_MAX)
        return DEV_EINVAL;
    return DEV_OK;
}

/* Battery level at t with the fix attempts made so far: the contract's
 * formula, evaluated from the start each time so that no rounding piles up. */
static double level_at(const dev_unit *u, pw_time_ms t)
{
    double hours = (double)(t - u->start) / MS_PER_HOUR;
    return u->cfg.battery_start_pct - u->cfg.drain_pct_per_hour * hours -
           u->cfg.drain_pct_per_fix * (double)u->stats.fix_attempts;
}

/* First millisecond at which level_at <= 0 with no further fix.  The 1e-3 ms
 * guard keeps a death that falls on a whole millisecond there despite
 * rounding in the product. */
static pw_time_ms compute_death(const dev_unit *u)
{
    double left = u->cfg.battery_start_pct - u->cfg.drain_pct_per_fix * (double)u->stats.fix_attempts;
    if (!(u->cfg.drain_pct_per_hour > 0.0))
        return left > 0.0 ? INT64_MAX : u->last_time;
    double ms = left / u->cfg.drain_pct_per_hour * MS_PER_HOUR;
    if (ms > 9.0e18)
        return INT64_MAX;
    return u->start + (pw_time_ms)ceil(ms - 1e-3);
}

void dev_unit_init(dev_unit *u, dev_kind kind, pw_id device_id, const dev_unit_config *c,
                   pw_time_ms start, uint64_t seed)
{
    memset(u, 0, sizeof *u);
    u->kind = kind;
    u->id = device_id;
    u->cfg = *c;
    if (u->cfg.store_capacity < 1)
        u->cfg.store_capacity = 1;
    if (u->cfg.store_capacity > DEV_STORE_MAX)
        u->cfg.store_capacity = DEV_STORE_MAX;
    dev_rng_init(&u->rng, seed, device_id);
    dev_rng_init(&u->downlink_rng, seed, DEV_DOWNLINK_STREAM + device_id);
    dev_gnss_init(&u->gnss);
    u->start = start;
    u->last_time = start;
    u->next_fix = start;
    u->next_heartbeat = start;
    u->last_fix_time = INT64_MIN;
    u->last_deliver_at = INT64_MIN;
    u->last_downlink_at = INT64_MIN;
    u->alert_at = INT64_MAX;
    u->net_up = 1;
    u->dead_at = compute_death(u);
}

pw_time_ms dev_unit_next_due(const dev_unit *u)
{
    if (u->off)
        return INT64_MAX;
    pw_time_ms due = u->next_fix < u->next_heartbeat ? u->next_fix : u->next_heartbeat;
    if (u->alert_at < due)
        due = u->alert_at;
    return due >= u->dead_at ? INT64_MAX : due;
}

static pw_time_ms fix_interval(const dev_unit *u)
{
    if (u->pursuit)
        return u->cfg.interval_pursuit_ms;
    return u->moving ? u->cfg.interval_moving_ms : u->cfg.interval_rest_ms;
}

/* ---- the outbox ------------------------------------------------------ */

static void store_push(dev_unit *u, const dev_message *m)
{
    size_t cap = u->cfg.store_capacity;
    if (u->store_count == cap) {
        u->store_head = (u->store_head + 1) % cap; /* drop the oldest */
        u->store_count--;
        u->stats.store_dropped++;
    }
    u->store[(u->store_head + u->store_count) % cap] = *m;
    u->store[(u->store_head + u->store_count) % cap].stored = 1;
    u->store_count++;
    u->stats.stored++;
}

/* The network model, both ways: a message sent at t is lost with the
 * configured probability, else it arrives after an exponential delay, but
 * not before the previous one on the same connection (last). */
static int net_lost(const dev_unit *u, dev_rng *rng)
{
    return u->cfg.net_loss > 0.0 && dev_rng_uniform(rng) < u->cfg.net_loss;
}

static pw_time_ms net_arrival(const dev_unit *u, dev_rng *rng, pw_time_ms t, pw_time_ms last)
{
    pw_time_ms at = t + (pw_time_ms)llround(dev_rng_exponential(rng, u->cfg.net_delay_mean_ms));
    return at < last ? last : at;
}

/* One connection per device: a message leaves after the previous one. */
static void stamp_delivery(dev_unit *u, dev_message *m, pw_time_ms t)
{
    pw_time_ms at = net_arrival(u, &u->rng, t, u->last_deliver_at);
    u->last_deliver_at = at;
    m->deliver_at = at;
    if (m->is_fix) {
        m->fix.recv_time = at;
        m->fix.set |= PW_FIX_RECV_SET;
    }
}

static size_t flush(dev_unit *u, pw_time_ms t, dev_message *out, size_t out_cap, size_t n)
{
    while (u->net_up && u->store_count > 0 && n < out_cap) {
        out[n] = u->store[u->store_head];
        u->store_head = (u->store_head + 1) % u->cfg.store_capacity;
        u->store_count--;
        stamp_delivery(u, &out[n], t);
        u->stats.sent++;
        n++;
    }
    return n;
}

/* A new report: stored when the network is down, when older reports still
 * wait (they go first), or when out is full; else lost or sent live. */
static size_t send(dev_unit *u, dev_message *m, pw_time_ms t, dev_message *out, size_t out_cap,
                   size_t n)
{
    if (!u->net_up || u->store_count > 0 || n >= out_cap) {
        store_push(u, m);
        return n;
    }
    if (net_lost(u, &u->rng)) {
        u->stats.lost++;
        return n;
    }
    stamp_delivery(u, m, t);
    out[n] = *m;
    u->stats.sent++;
    return n + 1;
}

static void make_status(const dev_unit *u, pw_time_ms t, dev_message *m)
{
    memset(m, 0, sizeof *m);
    m->is_fix = 0;
    pw_fix_clear(&m->fix);
    m->fix.device = u->id;
    m->status.device = u->id;
    m->status.time = t;
    m->status.set = PW_STATUS_BATTERY_SET | PW_STATUS_POWER_SET | PW_STATUS_MOTION_SET;
    m->status.moving = u->moving;
    double level = level_at(u, t);
    m->status.battery_pct = level > 0.0 ? level : 0.0;
    m->status.powering_off = 0;
    if (u->kind == DEV_TAG) {
        m->status.set |= PW_STATUS_TAMPER_SET;
        m->status.strap_tampered = u->tampered;
    }
    m->cause = DEV_CAUSE_NOMINAL;
    m->true_x = m->true_y = NAN;
}

/* ---- acting ---------------------------------------------------------- */

size_t dev_unit_step(dev_unit *u, pw_time_ms t, double x, double y, int moving, dev_env env,
                     double street_bearing_deg, const dev_env_params p[DEV_ENV_COUNT],
                     const eng_frame *fr, dev_message *out, size_t out_cap)
{
    if (u->off)
        return 0;
    if (t >= u->dead_at) {
        u->off = 1;                   /* the battery ran out: silence */
        return 0;
    }
    if (t < u->last_time)
        t = u->last_time;
    u->last_time = t;
    u->moving = moving != 0;
    size_t n = flush(u, t, out, out_cap, 0);

    int send_status = 0;
    if (t >= u->next_fix) {
        u->stats.fix_attempts++;
        u->last_fix_time = t;
        u->next_fix = t + fix_interval(u);
        u->dead_at = compute_death(u);
        if (level_at(u, t) <= 0.0) {
            u->dead_at = t;           /* this attempt emptied it: nothing sent */
            u->off = 1;
            return n;
        }
        dev_message m;
        memset(&m, 0, sizeof m);
        dev_fix_cause cause;
        double err_x, err_y;
        if (dev_gnss_sample(&u->gnss, p, env, street_bearing_deg, u->cfg.accuracy_scale, fr, x, y,
                            t, &u->rng, &m.fix, &cause, &err_x, &err_y)) {
            m.is_fix = 1;
            m.fix.device = u->id;
            m.status.device = u->id;
            m.status.time = t;
            m.status.battery_pct = NAN;
            m.fix.set |= PW_FIX_MOTION_SET;
            m.fix.moving = u->moving;
            m.cause = cause;
            m.true_x = x;
            m.true_y = y;
            u->stats.fixes++;
            n = send(u, &m, t, out, out_cap, n);
        }
    }
    if (!u->low_reported && level_at(u, t) <= u->cfg.low_battery_pct) {
        u->low_reported = 1;          /* report the crossing at once, once */
        send_status = 1;
    }
    if (u->tamper_pending || u->motion_pending)
        send_status = 1;
    if (t >= u->next_heartbeat) {
        send_status = 1;
        u->next_heartbeat = t + u->cfg.heartbeat_ms;
    }
    u->tamper_pending = 0;
    u->motion_pending = 0;
    u->alert_at = INT64_MAX;
    if (u->power_off_pending) {
        dev_message m;
        make_status(u, t, &m);
        m.status.powering_off = 1;
        u->stats.statuses++;
        n = send(u, &m, t, out, out_cap, n);
        /* The store cannot be flushed by a device that is off; whatever
         * did not go out with this step is lost with it. */
        u->off = 1;
        u->power_off_pending = 0;
        return n;
    }
    if (send_status) {
        dev_message m;
        make_status(u, t, &m);
        u->stats.statuses++;
        n = send(u, &m, t, out, out_cap, n);
    }
    return n;
}

void dev_unit_set_pursuit(dev_unit *u, int on, pw_time_ms t)
{
    u->pursuit = on != 0;
    if (!u->pursuit || u->off)
        return;
    pw_time_ms due = u->last_fix_time == INT64_MIN ? t : u->last_fix_time + u->cfg.interval_pursuit_ms;
    if (due < t)
        due = t;
    if (due < u->next_fix)
        u->next_fix = due;
}

/* A tag at rest fixes every few minutes to save its battery; its
 * accelerometer wakes it the moment the wearer moves, and the wake-up fix
 * goes out at once: otherwise the centre would go on believing him at rest
 * (no motion predicted, the long rest timeout) for up to a rest interval. */
void dev_unit_set_moving(dev_unit *u, int moving, pw_time_ms t)
{
    int was_moving = u->moving;
    u->moving = moving != 0;
    if (u->off)
        return;
    if (!u->moving) {
        if (was_moving) {
            u->motion_pending = 1; /* the stop goes out in a status, now */
            if (t < u->alert_at)
                u->alert_at = t;
        }
        return;
    }
    if (u->pursuit)
        return;
    pw_time_ms due = t;
    if (was_moving && u->last_fix_time != INT64_MIN)
        due = u->last_fix_time + u->cfg.interval_moving_ms;
    if (due < t)
        due = t;
    if (due < u->next_fix)
        u->next_fix = due;
}

int dev_unit_reachable(const dev_unit *u, pw_time_ms t)
{
    if (u->off || t >= u->dead_at || !u->net_up)
        return 0;
    /* A power-off announced for t or earlier has switched it off. */
    return !(u->power_off_pending && u->alert_at <= t);
}

int dev_unit_downlink(dev_unit *u, pw_time_ms t, pw_time_ms *deliver_at)
{
    u->stats.downlink++;
    if (!dev_unit_reachable(u, t))
        return 0;
    if (net_lost(u, &u->downlink_rng))
        return 0;
    pw_time_ms at = net_arrival(u, &u->downlink_rng, t, u->last_downlink_at);
    if (at >= u->dead_at)
        return 0; /* the battery runs out on the way */
    u->last_downlink_at = at;
    u->stats.downlink_delivered++;
    if (deliver_at)
        *deliver_at = at;
    return 1;
}

size_t dev_unit_set_network(dev_unit *u, int up, pw_time_ms t, dev_message *out, size_t out_cap)
{
    u->net_up = up != 0;
    if (!u->net_up || u->off || t >= u->dead_at)
        return 0;
    return flush(u, t, out, out_cap, 0);
}

void dev_unit_tamper(dev_unit *u, pw_time_ms t)
{
    u->tampered = 1;
    u->tamper_pending = 1;
    if (t < u->alert_at)
        u->alert_at = t;
}

void dev_unit_power_off(dev_unit *u, pw_time_ms t)
{
    u->power_off_pending = 1;
    if (t < u->alert_at)
        u->alert_at = t;
}

void dev_unit_battery_dies(dev_unit *u, pw_time_ms t)
{
    if (t < u->dead_at)
        u->dead_at = t;
    u->off = 1;
    u->store_head = u->store_count = 0;
}

double dev_unit_battery(const dev_unit *u)
{
    return dev_unit_battery_at(u, u->last_time);
}

double dev_unit_battery_at(const dev_unit *u, pw_time_ms t)
{
    if (t >= u->dead_at)
        return 0.0;
    double level = level_at(u, t);
    return level > 0.0 ? level : 0.0;
}

pw_time_ms dev_unit_death_time(const dev_unit *u)
{
    return u->dead_at;
}

size_t dev_unit_stored(const dev_unit *u)
{
    return u->store_count;
}
