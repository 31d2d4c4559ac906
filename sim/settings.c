/*
 * settings.c - a scenario device's settings as the run uses them: the
 * defaults for what the scenario left unset (from devices/' one table),
 * the engine's health timeouts that follow from them, and the emulated
 * unit's configuration.  Pure: no I/O.
 */
#include "run_internal.h"

#include <math.h>

/* The device settings a scenario left unset (0 or NAN) from the one table
 * of defaults in devices/; done once at the start, so that the run, the
 * metrics and the report read the same values. */
static void resolve_device(scn_device *d, dev_kind kind)
{
    dev_unit_config c;
    dev_unit_config_default(&c, kind);
    if (d->interval_rest_ms == 0) d->interval_rest_ms = c.interval_rest_ms;
    if (d->interval_moving_ms == 0) d->interval_moving_ms = c.interval_moving_ms;
    if (d->interval_pursuit_ms == 0) d->interval_pursuit_ms = c.interval_pursuit_ms;
    if (d->heartbeat_ms == 0) d->heartbeat_ms = c.heartbeat_ms;
    if (d->signal_timeout_ms == 0) d->signal_timeout_ms = c.signal_timeout_ms;
    if (isnan(d->battery_start_pct)) d->battery_start_pct = c.battery_start_pct;
    if (isnan(d->drain_pct_per_hour)) d->drain_pct_per_hour = c.drain_pct_per_hour;
    if (isnan(d->drain_pct_per_fix)) d->drain_pct_per_fix = c.drain_pct_per_fix;
    if (isnan(d->net_delay_mean_ms)) d->net_delay_mean_ms = c.net_delay_mean_ms;
    if (isnan(d->net_loss)) d->net_loss = c.net_loss;
    if (isnan(d->accuracy_scale)) d->accuracy_scale = c.accuracy_scale;
}

void sim_resolve_devices(scn_scenario *s)
{
    for (size_t a = 0; a < s->n_actors; a++)
        if (s->actors[a].role != SCN_PATROL)
            resolve_device(&s->actors[a].device, s->actors[a].role == SCN_OFFENDER ? DEV_TAG : DEV_PHONE);
}

void sim_device_timeouts(const scn_device *d, eng_device_timeouts *out)
{
    pw_time_ms slowest = d->interval_rest_ms > d->interval_moving_ms ? d->interval_rest_ms : d->interval_moving_ms;
    pw_time_ms contact = slowest > d->heartbeat_ms ? slowest : d->heartbeat_ms;
    out->no_gnss_ms = d->signal_timeout_ms;
    /* At rest it fixes once a rest interval, and one lost report (1 % of
     * them) must not look like lost satellites: two rest intervals and the
     * signal timeout. */
    out->no_gnss_rest_ms = 2 * d->interval_rest_ms + d->signal_timeout_ms;
    /* Contact: two missed reports and half a minute of network. */
    out->no_comm_ms = 2 * contact + 30000;
}

void run_unit_config(const scn_device *d, dev_kind kind, dev_unit_config *c)
{
    dev_unit_config_default(c, kind);
    c->interval_rest_ms = d->interval_rest_ms;
    c->interval_moving_ms = d->interval_moving_ms;
    c->interval_pursuit_ms = d->interval_pursuit_ms;
    c->heartbeat_ms = d->heartbeat_ms;
    c->signal_timeout_ms = d->signal_timeout_ms;
    c->battery_start_pct = d->battery_start_pct > 0 ? d->battery_start_pct : 0.001;
    c->drain_pct_per_hour = d->drain_pct_per_hour;
    c->drain_pct_per_fix = d->drain_pct_per_fix;
    c->net_delay_mean_ms = d->net_delay_mean_ms;
    c->net_loss = d->net_loss;
    c->accuracy_scale = d->accuracy_scale;
}

