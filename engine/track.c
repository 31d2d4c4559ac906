/*
 * track.c - the per-device constant-velocity Kalman filter.
 *
 * Both axes share one covariance (see engine.h), so a predict is three
 * multiply-adds and an update a scalar gain per axis.
 */
#include "engine.h"

#include <math.h>


double eng_fix_sigma_m(const eng_filter_config *fc, const pw_fix *f)
{
    int src = (f->source >= 0 && f->source < PW_SRC_COUNT) ? (int)f->source : PW_SRC_GNSS;
    double s;
    if ((f->set & PW_FIX_ACC_SET) && isfinite(f->acc_m) && f->acc_m > 0.0)
        s = f->acc_m / ENG_ACC68_PER_SIGMA;
    else if (src == PW_SRC_GNSS && (f->set & PW_FIX_HDOP_SET) && isfinite(f->hdop) &&
             f->hdop > 0.0)
        /* HDOP x UERE is the 2-D (DRMS) error, sqrt(sx^2 + sy^2); one axis of
         * an isotropic error carries 1 / sqrt(2) of it. */
        s = f->hdop * fc->uere_m * M_SQRT1_2;
    else
        s = fc->default_sigma_m[src];
    if (src == PW_SRC_GNSS)
        s *= fc->gnss_acc_inflation;
    if (s < fc->min_sigma_m[src])
        s = fc->min_sigma_m[src];
    return s;
}

void eng_track_reset(eng_track *tr, const eng_filter_config *fc,
                     pw_time_ms t, double x, double y, double sigma_m)
{
    tr->t = t;
    tr->x = x;
    tr->y = y;
    tr->vx = tr->vy = 0.0;
    tr->pp = sigma_m * sigma_m;
    tr->pv = 0.0;
    tr->vv = fc->init_speed_sigma_mps * fc->init_speed_sigma_mps;
    tr->initialised = 1;
    tr->at_rest = 0;
}

/*
 * The wearer is at rest (the device's accelerometer says so): no velocity,
 * and the position only wanders by rest_diffusion (a person shifting in a
 * chair, a phone on a table), so a tag that fixes every five minutes at rest
 * stays a tight track between its fixes instead of spreading like a moving
 * target.
 */
void eng_track_wake(eng_track *tr, const eng_filter_config *fc)
{
    tr->at_rest = 0;
    tr->pv = 0.0;
    tr->vv = fc->init_speed_sigma_mps * fc->init_speed_sigma_mps;
}

void eng_track_set_rest(eng_track *tr, int at_rest)
{
    if (!at_rest) {
        tr->at_rest = 0;
        return;
    }
    tr->at_rest = 1;
    tr->vx = tr->vy = 0.0;
    tr->pv = tr->vv = 0.0;
}

/*
 * Integrated Ornstein-Uhlenbeck motion (Singer's model): velocity reverts to
 * zero with time constant tau and has stationary std sigma_v.  Over a short
 * gap it behaves like a constant-velocity model with white acceleration of
 * PSD q = 2 sigma_v^2 / tau; over a long gap (a tunnel, a dead battery) the
 * position spreads like a random walk, about sqrt(2 sigma_v^2 tau dt), and
 * the last velocity is not extrapolated for kilometres.  With a = e^(-dt/tau):
 *   F = [[1, tau (1 - a)], [0, a]]
 *   Q11 = q tau^2 (dt - 2 tau (1 - a) + tau (1 - a^2) / 2)
 *   Q12 = q tau^2 (1 - a)^2 / 2
 *   Q22 = q tau (1 - a^2) / 2
 * The position variance is capped at max_sigma_m^2 so that a device silent
 * for days stays a finite, very uncertain track.
 */
void eng_track_predict(const eng_track *tr, const eng_filter_config *fc,
                       pw_time_ms t, eng_track *out)
{
    *out = *tr;
    double dt = (double)(t - tr->t) / 1000.0;
    if (!(dt > 0.0))
        return;
    double cap = fc->max_sigma_m * fc->max_sigma_m;
    if (tr->at_rest) {
        out->t = t;
        out->pp = fmin(tr->pp + fc->rest_diffusion_m2ps * dt, cap);
        return;
    }
    double tau = fc->speed_tau_s;
    double q = 2.0 * fc->speed_sigma_mps * fc->speed_sigma_mps / tau;
    double om = -expm1(-dt / tau); /* 1 - a, exact for small dt */
    double a = 1.0 - om;
    double f12 = tau * om;
    /* The bracket b - 2 (1 - a) + (1 - a^2) / 2 (b = dt / tau) cancels for
     * short gaps; there its series, sum over n >= 3 of
     * (-1)^n (2 - 2^(n-1)) b^n / n!, taken to b^8, is good to 1e-10. */
    double b = dt / tau;
    double bracket = b < 0.05
        ? b * b * b * (1.0 / 3 - b * (1.0 / 4 - b * (7.0 / 60 - b * (1.0 / 24 - b * (31.0 / 2520 - b * (1.0 / 320))))))
        : b - 2.0 * om + 0.5 * om * (1.0 + a);
    double q11 = q * tau * tau * tau * bracket;
    double q12 = 0.5 * q * tau * tau * om * om;
    double q22 = 0.5 * q * tau * om * (1.0 + a);
    out->t = t;
    out->x = tr->x + f12 * tr->vx;
    out->y = tr->y + f12 * tr->vy;
    out->vx = a * tr->vx;
    out->vy = a * tr->vy;
    out->pp = tr->pp + 2.0 * f12 * tr->pv + f12 * f12 * tr->vv + q11;
    out->pv = a * (tr->pv + f12 * tr->vv) + q12;
    out->vv = a * a * tr->vv + q22;
    if (out->pp > cap) {
        /* Keep the covariance positive semi-definite: scale the cross term
         * with the position std. */
        out->pv *= sqrt(cap / out->pp);
        out->pp = cap;
    }
}

double eng_track_mahalanobis2(const eng_track *tr, const eng_filter_config *fc,
                              pw_time_ms t, double x, double y, double sigma_m)
{
    eng_track p;
    eng_track_predict(tr, fc, t, &p);
    double s = p.pp + sigma_m * sigma_m;
    double dx = x - p.x, dy = y - p.y;
    return (dx * dx + dy * dy) / s;
}

void eng_track_correct(eng_track *tr, double x, double y, double sigma_m)
{
    double r = sigma_m * sigma_m;
    double s = tr->pp + r;
    double kp = tr->pp / s, kv = tr->pv / s;
    double ix = x - tr->x, iy = y - tr->y;
    tr->x += kp * ix;
    tr->y += kp * iy;
    tr->vx += kv * ix;
    tr->vy += kv * iy;
    /* The gain is optimal and scalar, so the short form keeps P symmetric
     * and positive: P' = (I - K H) P. */
    double pp = (1.0 - kp) * tr->pp;
    double pv = (1.0 - kp) * tr->pv;
    double vv = tr->vv - kv * tr->pv;
    tr->pp = pp;
    tr->pv = pv;
    tr->vv = vv;
}

void eng_track_update(eng_track *tr, const eng_filter_config *fc,
                      pw_time_ms t, double x, double y, double sigma_m)
{
    eng_track p;
    eng_track_predict(tr, fc, t, &p);
    eng_track_correct(&p, x, y, sigma_m);
    *tr = p;
}

double eng_track_sigma_m(const eng_track *tr)
{
    return sqrt(tr->pp);
}
