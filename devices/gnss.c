/*
 * gnss.c - GNSS error model per environment: correlated receiver noise,
 * NLOS/multipath episodes in urban canyons, hard outages in tunnels with a
 * time to first fix on exit, and cell / Wi-Fi fallback positions.
 * Every default is listed with its source in devices/README.md.
 */
#include "devices.h"

#include <math.h>
#include <string.h>

static const char *const cause_names[DEV_CAUSE_COUNT] = {
    "nominal", "multipath", "urban_canyon", "tunnel_exit", "cell_fallback",
};

static const char *const env_names[DEV_ENV_COUNT] = {
    "open", "urban_light", "urban_heavy", "indoor", "tunnel",
};

const char *dev_cause_name(dev_fix_cause c)
{
    return ((unsigned)c < DEV_CAUSE_COUNT) ? cause_names[c] : "unknown";
}

const char *dev_env_name(dev_env e)
{
    return ((unsigned)e < DEV_ENV_COUNT) ? env_names[e] : "unknown";
}

/*
 * Defaults.  Open sky is fitted to smartphone fixes measured against a
 * survey-grade reference on open-sky drives (Pixel 4, Google Smartphone
 * Decimeter Challenge recordings; Fu, Khider, van Diggelen, ION GNSS+ 2020):
 * median 1.4 m, p95 5.2 m, a heavy tail and the autocorrelation of the
 * east error at 1 to 60 s; devices/README.md has the table and the fit.
 * Urban values reproduce the literature's "tens of metres, occasionally
 * over 100 m" NLOS errors (Hsu, GPS Solutions 22:7, 2018); cell-ID
 * fallback errors of hundreds of metres and Wi-Fi errors of tens of metres
 * follow the usual figures for network positioning; the rest are stated
 * assumptions.
 */
void dev_env_defaults(dev_env_params p[DEV_ENV_COUNT])
{
    static const dev_env_params open = {
        .gnss_availability = 1.0, .sigma_m = 1.3, .tau_s = 200,
        .tau_fast_s = 6.0, .fast_share = 0.45, .scale_log_sd = 0.55, .scale_tau_s = 300.0,
        .nlos_rate_per_h = 4.0, .nlos_duration_mean_s = 5.0, .nlos_median_m = 15.0,
        .nlos_log_sd = 0.6, .nlos_along_street = 0.0, .nlos_axis_sd_deg = 0.0,
        .claim_sigma_m = 1.3, .claim_log_sd = 0.25, .hdop = 0.9, .sats = 14,
        .ttff_min_s = 5.0, .ttff_max_s = 20.0, .exit_error_factor = 2.5, .exit_window_s = 10.0,
        .fallback_source = PW_SRC_CELL, .fallback_availability = 1.0,
        .fallback_median_m = 500.0, .fallback_log_sd = 0.6, .fallback_hold_s = 60.0,
        .fallback_claim_m = 700.0,
    };
    static const dev_env_params urban_light = {
        .gnss_availability = 1.0, .sigma_m = 4.0, .tau_s = 30.0,
        .tau_fast_s = 6.0, .fast_share = 0.0, .scale_log_sd = 0.0, .scale_tau_s = 300.0,
        .nlos_rate_per_h = 6.0, .nlos_duration_mean_s = 10.0, .nlos_median_m = 20.0,
        .nlos_log_sd = 0.6, .nlos_along_street = 0.7, .nlos_axis_sd_deg = 15.0,
        .claim_sigma_m = 4.0, .claim_log_sd = 0.3, .hdop = 1.3, .sats = 10,
        .ttff_min_s = 5.0, .ttff_max_s = 25.0, .exit_error_factor = 3.0, .exit_window_s = 10.0,
        .fallback_source = PW_SRC_CELL, .fallback_availability = 1.0,
        .fallback_median_m = 300.0, .fallback_log_sd = 0.6, .fallback_hold_s = 60.0,
        .fallback_claim_m = 400.0,
    };
    static const dev_env_params urban_heavy = {
        .gnss_availability = 0.97, .sigma_m = 8.0, .tau_s = 20.0,
        .tau_fast_s = 6.0, .fast_share = 0.0, .scale_log_sd = 0.0, .scale_tau_s = 300.0,
        .nlos_rate_per_h = 60.0, .nlos_duration_mean_s = 15.0, .nlos_median_m = 35.0,
        .nlos_log_sd = 0.7, .nlos_along_street = 0.8, .nlos_axis_sd_deg = 15.0,
        .claim_sigma_m = 6.0, .claim_log_sd = 0.3, .hdop = 2.5, .sats = 7,
        .ttff_min_s = 10.0, .ttff_max_s = 30.0, .exit_error_factor = 3.0, .exit_window_s = 10.0,
        .fallback_source = PW_SRC_CELL, .fallback_availability = 1.0,
        .fallback_median_m = 200.0, .fallback_log_sd = 0.6, .fallback_hold_s = 60.0,
        .fallback_claim_m = 270.0,
    };
    static const dev_env_params indoor = {
        .gnss_availability = 0.3, .sigma_m = 12.0, .tau_s = 30.0,
        .tau_fast_s = 6.0, .fast_share = 0.0, .scale_log_sd = 0.0, .scale_tau_s = 300.0,
        .nlos_rate_per_h = 0.0, .nlos_duration_mean_s = 10.0, .nlos_median_m = 0.0,
        .nlos_log_sd = 0.0, .nlos_along_street = 0.0, .nlos_axis_sd_deg = 0.0,
        .claim_sigma_m = 8.0, .claim_log_sd = 0.3, .hdop = 3.0, .sats = 5,
        .ttff_min_s = 10.0, .ttff_max_s = 30.0, .exit_error_factor = 2.0, .exit_window_s = 10.0,
        .fallback_source = PW_SRC_WIFI, .fallback_availability = 1.0,
        .fallback_median_m = 25.0, .fallback_log_sd = 0.6, .fallback_hold_s = 30.0,
        .fallback_claim_m = 35.0,
    };
    static const dev_env_params tunnel = {
        .gnss_availability = 0.0, .sigma_m = 8.0, .tau_s = 20.0,
        .tau_fast_s = 6.0, .fast_share = 0.0, .scale_log_sd = 0.0, .scale_tau_s = 300.0,
        .nlos_rate_per_h = 0.0, .nlos_duration_mean_s = 10.0, .nlos_median_m = 0.0,
        .nlos_log_sd = 0.0, .nlos_along_street = 0.0, .nlos_axis_sd_deg = 0.0,
        .claim_sigma_m = 8.0, .claim_log_sd = 0.3, .hdop = 3.0, .sats = 4,
        .ttff_min_s = 5.0, .ttff_max_s = 30.0, .exit_error_factor = 3.0, .exit_window_s = 10.0,
        .fallback_source = PW_SRC_CELL, .fallback_availability = 0.9,
        .fallback_median_m = 300.0, .fallback_log_sd = 0.6, .fallback_hold_s = 60.0,
        .fallback_claim_m = 400.0,
    };
    p[DEV_ENV_OPEN] = open;
    p[DEV_ENV_URBAN_LIGHT] = urban_light;
    p[DEV_ENV_URBAN_HEAVY] = urban_heavy;
    p[DEV_ENV_INDOOR] = indoor;
    p[DEV_ENV_TUNNEL] = tunnel;
}

static int in_range(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

dev_status dev_env_params_validate(const dev_env_params p[DEV_ENV_COUNT])
{
    for (int e = 0; e < DEV_ENV_COUNT; e++) {
        const dev_env_params *q = &p[e];
        int ok = in_range(q->gnss_availability, 0, 1) && in_range(q->sigma_m, 1e-9, 1e6) &&
                 in_range(q->tau_s, 1e-3, 1e9) &&
                 in_range(q->tau_fast_s, 1e-3, 1e9) && in_range(q->fast_share, 0, 1) &&
                 in_range(q->scale_log_sd, 0, 3) && in_range(q->scale_tau_s, 1e-3, 1e9) && in_range(q->nlos_rate_per_h, 0, 1e6) &&
                 in_range(q->nlos_duration_mean_s, 1e-3, 1e9) &&
                 in_range(q->nlos_median_m, 0, 1e6) && in_range(q->nlos_log_sd, 0, 10) &&
                 in_range(q->nlos_along_street, 0, 1) && in_range(q->nlos_axis_sd_deg, 0, 360) &&
                 in_range(q->claim_sigma_m, 1e-9, 1e6) && in_range(q->claim_log_sd, 0, 10) &&
                 in_range(q->hdop, 1e-9, 1e3) && q->sats >= 4 && q->sats <= 200 &&
                 in_range(q->ttff_min_s, 0, 1e6) && in_range(q->ttff_max_s, q->ttff_min_s, 1e6) &&
                 in_range(q->exit_error_factor, 1, 1e3) && in_range(q->exit_window_s, 0, 1e6) &&
                 (q->fallback_source == PW_SRC_CELL || q->fallback_source == PW_SRC_WIFI) &&
                 in_range(q->fallback_availability, 0, 1) &&
                 in_range(q->fallback_median_m, 1e-9, 1e7) && in_range(q->fallback_log_sd, 0, 10) &&
                 in_range(q->fallback_hold_s, 1e-3, 1e9) && in_range(q->fallback_claim_m, 1e-9, 1e7);
        if (!ok)
            return DEV_EINVAL;
    }
    return DEV_OK;
}

void dev_gnss_init(dev_gnss *g)
{
    memset(g, 0, sizeof *g);
    g->started = 0;
    g->locked = 1;
    g->reacquire_at = INT64_MIN;
    g->exit_until = INT64_MIN;
    g->nlos_time = INT64_MIN;
    g->nlos_until = INT64_MIN;
    g->nlos_env = DEV_ENV_OPEN;
    g->fallback_until = INT64_MIN;
    g->fallback_env = DEV_ENV_OPEN;
    g->gm_dt_s = NAN; /* no factors kept yet */
    g->gm_tau[0] = g->gm_tau[1] = g->gm_tau[2] = NAN;
}

static pw_time_ms seconds_to_ms(double s)
{
    return (pw_time_ms)llround(s * 1000.0);
}

/*
 * NLOS episodes form a two-state Markov chain: onsets at rate lambda while
 * off, episodes ending at rate mu = 1/duration while on.  Off at the last
 * check, the chance of being on dt later is
 *     lambda / (lambda + mu) * (1 - exp(-(lambda + mu) dt)),
 * exact for any dt, so the share of time in NLOS, lambda D / (1 + lambda D),
 * does not depend on the fix interval.  An episode's remaining length is
 * exponential whenever it is looked at (memoryless), so a new episode found
 * on at t simply lasts Exp(D) from t.
 */
static void update_nlos(dev_gnss *g, const dev_env_params *pe, dev_env env,
                        double street_bearing_deg, pw_time_ms t, dev_rng *rng)
{
    if (g->nlos_until > t && g->nlos_env == env)
        return;                      /* the episode goes on */
    if (!(pe->nlos_rate_per_h > 0.0) || !(pe->nlos_median_m > 0.0)) {
        g->nlos_until = INT64_MIN;
        g->nlos_time = t;
        return;
    }
    double lambda = pe->nlos_rate_per_h / 3600.0, mu = 1.0 / pe->nlos_duration_mean_s;
    double off_s = INFINITY;          /* first look: the stationary chance */
    if (g->nlos_time != INT64_MIN) {
        pw_time_ms off_since = g->nlos_time;
        if (g->nlos_env == env && g->nlos_until > off_since)
            off_since = g->nlos_until; /* the episode ended in between */
        off_s = (double)(t - off_since) / 1000.0;
        if (off_s < 0)
            off_s = 0;
    }
    double p_on = lambda / (lambda + mu) * -expm1(-(lambda + mu) * off_s);
    g->nlos_time = t;
    g->nlos_env = env;
    if (!(dev_rng_uniform(rng) < p_on)) {
        g->nlos_until = INT64_MIN;
        return;
    }
    pw_time_ms len = seconds_to_ms(dev_rng_exponential(rng, pe->nlos_duration_mean_s));
    g->nlos_until = t + (len > 0 ? len : 1);
    double length = pe->nlos_median_m * exp(pe->nlos_log_sd * dev_rng_normal(rng));
    double angle_rad;
    double pick = dev_rng_uniform(rng), spread = dev_rng_normal(rng), any = dev_rng_uniform(rng);
    if (isfinite(street_bearing_deg) && pick < pe->nlos_along_street) {
        /* Either way along the street: the reflected signal's extra path
         * pushes the solution up or down the canyon. */
        double deg = street_bearing_deg + (any < 0.5 ? 0.0 : 180.0) + pe->nlos_axis_sd_deg * spread;
        angle_rad = deg * (M_PI / 180.0);
    } else {
        angle_rad = 2.0 * M_PI * any;
    }
    /* Bearings count clockwise from north: east = sin, north = cos. */
    g->nlos_x = length * sin(angle_rad);
    g->nlos_y = length * cos(angle_rad);
}

/* One step of a unit-variance first-order Gauss-Markov process, exact for
 * any dt >= 0: z' = z e^(-dt/tau) + sqrt(1 - e^(-2 dt/tau)) N(0,1); the
 * factors of correlation time k (0 slow, 1 fast, 2 the noise level) are
 * computed once for each dt and kept while the interval stays the same. */
static void gauss_markov(dev_gnss *g, int k, double *z, double dt_s, double tau_s, dev_rng *rng)
{
    if (!(dt_s == g->gm_dt_s && tau_s == g->gm_tau[k])) {
        g->gm_keep[k] = exp(-dt_s / tau_s);
        g->gm_innov[k] = sqrt(-expm1(-2.0 * dt_s / tau_s));
        g->gm_tau[k] = tau_s;
    }
    *z = g->gm_keep[k] * *z + g->gm_innov[k] * dev_rng_normal(rng);
}

static void put_position(const eng_frame *fr, double x, double y, pw_time_ms t, pw_fix *out)
{
    out->time = t;
    eng_geo_to_wgs84(fr, x, y, &out->lat, &out->lon);
    out->set |= PW_FIX_TIME_SET | PW_FIX_LATLON_SET | PW_FIX_ACC_SET;
}

/*
 * A network position.  Its error belongs to the serving cell or the visible
 * access points, so it is held for an exponential time (a handover) and then
 * drawn afresh: consecutive fallback fixes are strongly correlated, as on a
 * real phone.  Lengths are lognormal, directions uniform.
 */
static int fallback_fix(dev_gnss *g, const dev_env_params *pe, dev_env env,
                        const eng_frame *fr, double x, double y, pw_time_ms t,
                        dev_rng *rng, pw_fix *out, dev_fix_cause *cause,
                        double *err_x, double *err_y)
{
    if (pe->fallback_availability < 1.0 && !(dev_rng_uniform(rng) < pe->fallback_availability))
        return 0;
    if (!(t < g->fallback_until && g->fallback_env == env)) {
        double length = pe->fallback_median_m * exp(pe->fallback_log_sd * dev_rng_normal(rng));
        double angle_rad = 2.0 * M_PI * dev_rng_uniform(rng);
        g->fallback_x = length * cos(angle_rad);
        g->fallback_y = length * sin(angle_rad);
        pw_time_ms hold = seconds_to_ms(dev_rng_exponential(rng, pe->fallback_hold_s));
        g->fallback_until = t + (hold > 0 ? hold : 1);
        g->fallback_env = env;
    }
    put_position(fr, x + g->fallback_x, y + g->fallback_y, t, out);
    out->acc_m = pe->fallback_claim_m;
    out->source = pe->fallback_source;
    *cause = DEV_CAUSE_CELL_FALLBACK;
    *err_x = g->fallback_x;
    *err_y = g->fallback_y;
    return 1;
}

int dev_gnss_sample(dev_gnss *g, const dev_env_params p[DEV_ENV_COUNT], dev_env env,
                    double street_bearing_deg, double accuracy_scale, const eng_frame *fr,
                    double x, double y, pw_time_ms t, dev_rng *rng,
                    pw_fix *out, dev_fix_cause *cause, double *err_x, double *err_y)
{
    dev_fix_cause cause_local = DEV_CAUSE_NOMINAL;
    double ex_local = NAN, ey_local = NAN;
    if (!cause)
        cause = &cause_local;
    if (!err_x)
        err_x = &ex_local;
    if (!err_y)
        err_y = &ey_local;
    pw_fix_clear(out);
    *cause = DEV_CAUSE_NOMINAL;
    *err_x = *err_y = NAN;
    if ((unsigned)env >= DEV_ENV_COUNT)
        return 0;
    const dev_env_params *pe = &p[env];
    double scale = (isfinite(accuracy_scale) && accuracy_scale > 0.0) ? accuracy_scale : 1.0;

    if (!(pe->gnss_availability > 0.0)) {
        /* Hard outage: the receiver loses every satellite. */
        g->locked = 0;
        g->reacquire_at = INT64_MIN;
        return fallback_fix(g, pe, env, fr, x, y, t, rng, out, cause, err_x, err_y);
    }
    int fresh = 0;
    if (!g->locked) {
        if (g->reacquire_at == INT64_MIN) {
            double ttff_s = pe->ttff_min_s + (pe->ttff_max_s - pe->ttff_min_s) * dev_rng_uniform(rng);
            g->reacquire_at = t + seconds_to_ms(ttff_s);
        }
        if (t < g->reacquire_at)
            return fallback_fix(g, pe, env, fr, x, y, t, rng, out, cause, err_x, err_y);
        /* First solution after the outage: a new, worse error that decays
         * into the stationary one with tau. */
        g->locked = 1;
        g->exit_first_pending = 1;
        g->exit_until = g->reacquire_at + seconds_to_ms(pe->exit_window_s);
        g->zx = pe->exit_error_factor * dev_rng_normal(rng);
        g->zy = pe->exit_error_factor * dev_rng_normal(rng);
        g->fx = pe->exit_error_factor * dev_rng_normal(rng);
        g->fy = pe->exit_error_factor * dev_rng_normal(rng);
        g->gm_time = t;
        g->started = 1;
        fresh = 1;
    }
    if (pe->gnss_availability < 1.0 && !(dev_rng_uniform(rng) < pe->gnss_availability))
        return fallback_fix(g, pe, env, fr, x, y, t, rng, out, cause, err_x, err_y);

    if (!g->started) {
        g->zx = dev_rng_normal(rng);
        g->zy = dev_rng_normal(rng);
        g->fx = dev_rng_normal(rng);
        g->fy = dev_rng_normal(rng);
        g->w = dev_rng_normal(rng);
        g->started = 1;
        g->gm_time = t;
    } else if (!fresh) {
        double dt_s = t > g->gm_time ? (double)(t - g->gm_time) / 1000.0 : 0.0;
        if (dt_s != g->gm_dt_s) /* a new interval: every factor anew */
            g->gm_tau[0] = g->gm_tau[1] = g->gm_tau[2] = NAN;
        g->gm_dt_s = dt_s;
        gauss_markov(g, 0, &g->zx, dt_s, pe->tau_s, rng);
        gauss_markov(g, 0, &g->zy, dt_s, pe->tau_s, rng);
        gauss_markov(g, 1, &g->fx, dt_s, pe->tau_fast_s, rng);
        gauss_markov(g, 1, &g->fy, dt_s, pe->tau_fast_s, rng);
        gauss_markov(g, 2, &g->w, dt_s, pe->scale_tau_s, rng);
        g->gm_time = t;
    }
    update_nlos(g, pe, env, street_bearing_deg, t, rng);
    int nlos = g->nlos_until > t && g->nlos_env == env;

    double level = exp(pe->scale_log_sd * g->w);
    double sigma = pe->sigma_m * scale * level;
    double slow = sqrt(1.0 - pe->fast_share), fast = sqrt(pe->fast_share);
    *err_x = sigma * (slow * g->zx + fast * g->fx) + (nlos ? g->nlos_x * scale : 0.0);
    *err_y = sigma * (slow * g->zy + fast * g->fy) + (nlos ? g->nlos_y * scale : 0.0);
    put_position(fr, x + *err_x, y + *err_y, t, out);
    /* The receiver's own estimate knows its geometry and signal strength (the
     * noise level) but not the reflection it is tracking: NLOS fixes claim
     * the usual figure. */
    out->acc_m = ENG_ACC68_PER_SIGMA * pe->claim_sigma_m * scale * level *
                 exp(pe->claim_log_sd * dev_rng_normal(rng));
    out->source = PW_SRC_GNSS;
    long sats = lround(pe->sats + 1.5 * dev_rng_normal(rng));
    out->sats = (int)(sats < 4 ? 4 : sats);
    out->hdop = pe->hdop * exp(0.2 * dev_rng_normal(rng));
    out->set |= PW_FIX_SATS_SET | PW_FIX_HDOP_SET;

    if (g->exit_first_pending || t < g->exit_until)
        *cause = DEV_CAUSE_TUNNEL_EXIT;
    else if (nlos)
        *cause = DEV_CAUSE_MULTIPATH;
    else if (env == DEV_ENV_URBAN_LIGHT || env == DEV_ENV_URBAN_HEAVY)
        *cause = DEV_CAUSE_URBAN_CANYON;
    else
        *cause = DEV_CAUSE_NOMINAL;
    g->exit_first_pending = 0;
    return 1;
}
