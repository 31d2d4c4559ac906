/*
 * gpsdjson.c - gpsd JSON reports (gpspipe -w) to pw_fix, through gpsd's own
 * client library: gps_unpack() is what every gpsd client uses to read these
 * objects, so field names, units and quirks are gpsd's, not ours.
 */
#include "traces.h"

#include <gps.h>
#include <math.h>
#include <string.h>


#define SIGMA_PER_95_1D 1.96   /* 95 % two-sided bound of a 1-D Gaussian */

size_t trc_gpsd_data_size(void)
{
    return sizeof(struct gps_data_t);
}

static int usable(double x)
{
    return isfinite(x) && x > 0;
}

static int from_gpsdata(const struct gps_data_t *g, int reference, pw_fix *fix, trc_fix_extra *extra);

int trc_gpsd_json_decode(void *gpsdata, char *buf, int reference, pw_fix *fix, trc_fix_extra *extra)
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
    return from_gpsdata(g, reference, fix, extra);
}

/* A fix from what libgps holds after a TPV: 1; 2 when the TPV says no fix
 * (mode 0 or 1); 0 when it is no TPV with a fix for another reason.  A
 * reference keeps a no-fix TPV that has a time and a position: 3. */
static int from_gpsdata(const struct gps_data_t *g, int reference, pw_fix *fix, trc_fix_extra *extra)
{
    const gps_mask_t need = TIME_SET | LATLON_SET | MODE_SET;
    int no_fix = (g->set & MODE_SET) && g->fix.mode < MODE_2D;
    if (no_fix && !(reference && (g->set & need) == need))
        return 2;
    if ((g->set & need) != need)
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

    trc_fix_extra x;
    memset(&x, 0, sizeof x);
    x.alt_msl_m = x.eph_m = NAN;
    x.mode = g->fix.mode;
    x.set = TRC_EXTRA_MODE_SET;
    if (g->fix.mode >= MODE_3D && isfinite(g->fix.altMSL)) {
        x.alt_msl_m = g->fix.altMSL;
        x.set |= TRC_EXTRA_ALT_SET;
    }
    /* gpsd documents epx/epy as 95 % per-axis bounds and eph as a 2-D
     * estimate of unknown certainty; we read eph as a 95 % radius. */
    if (usable(g->fix.epx) && usable(g->fix.epy)) {
        double sx = g->fix.epx / SIGMA_PER_95_1D, sy = g->fix.epy / SIGMA_PER_95_1D;
        f.acc_m = ENG_ACC68_PER_SIGMA * sqrt((sx * sx + sy * sy) / 2);
        f.set |= PW_FIX_ACC_SET;
    } else if (usable(g->fix.eph)) {
        f.acc_m = g->fix.eph * ENG_ACC68_PER_SIGMA / ENG_ACC95_PER_SIGMA;
        f.set |= PW_FIX_ACC_SET;
    }
    if (usable(g->fix.eph)) {
        x.eph_m = g->fix.eph;
        x.set |= TRC_EXTRA_EPH_SET;
    } else if (f.set & PW_FIX_ACC_SET) {
        x.eph_m = f.acc_m * ENG_ACC95_PER_SIGMA / ENG_ACC68_PER_SIGMA;
        x.set |= TRC_EXTRA_EPH_SET;
    }
    if (fix)
        *fix = f;
    if (extra)
        *extra = x;
    return no_fix ? 3 : 1;
}

/* ---- a live receiver through gpsd ------------------------------------ */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

struct trc_gpsd_live {
    struct gps_data_t g;
    int open;
};

trc_status trc_gpsd_live_open(trc_gpsd_live **out, const char *host, const char *port)
{
    *out = NULL;
    trc_gpsd_live *l = calloc(1, sizeof *l);
    if (!l)
        return TRC_ENOMEM;
    if (gps_open(host, port, &l->g) != 0) {
        free(l);
        return TRC_EOPEN;
    }
    l->open = 1;
    /* Watch in JSON; the socket goes non-blocking so that a read never
     * stalls the caller's event loop. */
    if (gps_stream(&l->g, WATCH_ENABLE | WATCH_JSON, NULL) != 0) {
        gps_close(&l->g);
        free(l);
        return TRC_EIO;
    }
    int fl = fcntl(l->g.gps_fd, F_GETFL);
    if (fl < 0 || fcntl(l->g.gps_fd, F_SETFL, fl | O_NONBLOCK) != 0) {
        gps_close(&l->g);
        free(l);
        return TRC_EIO;
    }
    *out = l;
    return TRC_OK;
}

int trc_gpsd_live_fd(const trc_gpsd_live *l)
{
    return l ? (int)l->g.gps_fd : -1;
}

int trc_gpsd_live_read(trc_gpsd_live *l, pw_id device, trc_gpsd_fix_cb cb, void *ctx)
{
    /* gps_read consumes one object per call: call it until it has nothing
     * more (0); act only on reports whose mask says a fix came. */
    for (;;) {
        int n = gps_read(&l->g, NULL, 0);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        if (!(l->g.set & (PACKET_SET | MODE_SET)))
            continue;
        pw_fix f;
        trc_fix_extra x;
        if (from_gpsdata(&l->g, 0, &f, &x) == 1) {
            f.device = device;
            cb(ctx, &f, &x);
        }
        l->g.set = 0;
    }
}

void trc_gpsd_live_close(trc_gpsd_live *l)
{
    if (!l)
        return;
    if (l->open)
        gps_close(&l->g);
    free(l);
}

const char *trc_libgps_api(void)
{
#define PW_STR2(x) #x
#define PW_STR(x) PW_STR2(x)
    return PW_STR(GPSD_API_MAJOR_VERSION) "." PW_STR(GPSD_API_MINOR_VERSION);
}
