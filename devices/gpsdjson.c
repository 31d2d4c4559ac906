/*
 * gpsdjson.c - gpsd JSON reports (gpspipe -w) to pw_fix, through gpsd's own
 * client library: gps_unpack() is what every gpsd client uses to read these
 * objects, so field names, units and quirks are gpsd's, not ours.
 */
#include "devices.h"

#include <gps.h>
#include <math.h>
#include <string.h>

#define ACC68_PER_SIGMA 1.5096 /* 68 % radius of a circular 2-D Gaussian */
#define EPH95_PER_SIGMA 2.4477 /* 95 % radius of the same */
#define SIGMA_PER_95_1D 1.96   /* 95 % two-sided bound of a 1-D Gaussian */

size_t dev_gpsd_data_size(void)
{
    return sizeof(struct gps_data_t);
}

static int usable(double x)
{
    return isfinite(x) && x > 0;
}

int dev_gpsd_json_decode(void *gpsdata, char *buf, pw_fix *fix, dev_fix_extra *extra)
{
    struct gps_data_t *g = gpsdata;
    /* gps_unpack only adds what an object carries, so stale fields of the
     * previous line must be wiped first or a TPV without "lat" would
     * inherit the last one's. */
    memset(g, 0, sizeof *g);
    gps_clear_fix(&g->fix);
    /* libgps 3.22's gps_unpack returns 0 even when the object is cut off
     * or not JSON at all, keeping whatever fields it read before the
     * error.  A cut-off object is caught here by its missing closing
     * brace, and an object that libgps took nothing from by its empty
     * mask. */
    size_t len = strlen(buf);
    while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\r' || buf[len - 1] == '\t'))
        len--;
    if (len < 2 || buf[0] != '{' || buf[len - 1] != '}')
        return -1;
    if (gps_unpack(buf, g) != 0 || g->set == 0)
        return -1;
    const gps_mask_t need = TIME_SET | LATLON_SET | MODE_SET;
    if ((g->set & need) != need || g->fix.mode < MODE_2D)
        return 0;
    if (!isfinite(g->fix.latitude) || !isfinite(g->fix.longitude) ||
        fabs(g->fix.latitude) > 90.0 || fabs(g->fix.longitude) > 180.0)
        return 0;

    pw_fix f;
    pw_fix_clear(&f);
    f.set = PW_FIX_TIME_SET | PW_FIX_LATLON_SET;
    /* The fix's own time, in whole ms (gpsd itself prints ms). */
    f.time = (pw_time_ms)g->fix.time.tv_sec * 1000 + g->fix.time.tv_nsec / 1000000;
    f.lat = g->fix.latitude;
    f.lon = g->fix.longitude;
    if ((g->set & SPEED_SET) && isfinite(g->fix.speed) && g->fix.speed >= 0) {
        f.speed_mps = g->fix.speed;
        f.set |= PW_FIX_SPEED_SET;
    }
    if ((g->set & TRACK_SET) && isfinite(g->fix.track)) {
        f.heading_deg = g->fix.track;
        f.set |= PW_FIX_HEADING_SET;
    }
    if (g->fix.status == STATUS_DR)
        f.source = PW_SRC_DR;

    dev_fix_extra x;
    memset(&x, 0, sizeof x);
    x.alt_msl_m = x.eph_m = NAN;
    x.mode = g->fix.mode;
    x.set = DEV_EXTRA_MODE_SET;
    if (g->fix.mode >= MODE_3D && isfinite(g->fix.altMSL)) {
        x.alt_msl_m = g->fix.altMSL;
        x.set |= DEV_EXTRA_ALT_SET;
    }
    /* gpsd documents epx/epy as 95 % per-axis bounds and eph as a 2-D
     * estimate of unknown certainty; we read eph as a 95 % radius. */
    if (usable(g->fix.epx) && usable(g->fix.epy)) {
        double sx = g->fix.epx / SIGMA_PER_95_1D, sy = g->fix.epy / SIGMA_PER_95_1D;
        f.acc_m = ACC68_PER_SIGMA * sqrt((sx * sx + sy * sy) / 2);
        f.set |= PW_FIX_ACC_SET;
    } else if (usable(g->fix.eph)) {
        f.acc_m = g->fix.eph * ACC68_PER_SIGMA / EPH95_PER_SIGMA;
        f.set |= PW_FIX_ACC_SET;
    }
    if (usable(g->fix.eph)) {
        x.eph_m = g->fix.eph;
        x.set |= DEV_EXTRA_EPH_SET;
    } else if (f.set & PW_FIX_ACC_SET) {
        x.eph_m = f.acc_m * EPH95_PER_SIGMA / ACC68_PER_SIGMA;
        x.set |= DEV_EXTRA_EPH_SET;
    }
    if (fix)
        *fix = f;
    if (extra)
        *extra = x;
    return 1;
}
