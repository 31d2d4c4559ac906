/*
 * view.c - from WGS84 to pixels: the engine's local frame (metres east and
 * north of the view's centre), scaled, y down.
 */
#include "render.h"

#include <math.h>

int rnd_view_init(rnd_view *v, double lat, double lon, double px_per_m, int width, int height)
{
    if (!(px_per_m > 0) || !isfinite(px_per_m) || width < 16 || height < 16 || width > 20000 || height > 20000)
        return RND_EINVAL;
    if (eng_frame_init(&v->frame, lat, lon) != ENG_OK)
        return RND_EINVAL;
    v->px_per_m = px_per_m;
    v->width = width;
    v->height = height;
    v->cx = width / 2.0;
    v->cy = height / 2.0;
    return RND_OK;
}

int rnd_view_fit(rnd_view *v, double lat_min, double lon_min, double lat_max, double lon_max, int width,
                 int height, double margin_px)
{
    if (!(lat_min <= lat_max) || !(lon_min <= lon_max))
        return RND_EINVAL;
    int rc = rnd_view_init(v, (lat_min + lat_max) / 2, (lon_min + lon_max) / 2, 1.0, width, height);
    if (rc != RND_OK)
        return rc;
    /* The box's extent in the centre's frame: its corners and edge
     * midpoints (meridians converge, so the widest is not always a corner). */
    double w_m = 0, h_m = 0;
    const double lats[3] = {lat_min, (lat_min + lat_max) / 2, lat_max};
    const double lons[3] = {lon_min, (lon_min + lon_max) / 2, lon_max};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double x, y;
            eng_geo_to_local(&v->frame, lats[i], lons[j], &x, &y);
            w_m = fmax(w_m, 2 * fabs(x));
            h_m = fmax(h_m, 2 * fabs(y));
        }
    double room_w = width - 2 * margin_px, room_h = height - 2 * margin_px;
    if (room_w < 1 || room_h < 1)
        return RND_EINVAL;
    double s = fmin(w_m > 0 ? room_w / w_m : INFINITY, h_m > 0 ? room_h / h_m : INFINITY);
    if (!isfinite(s))
        s = 0.05; /* a single point: 20 m a pixel */
    v->px_per_m = s;
    return RND_OK;
}

void rnd_project(const rnd_view *v, double lat, double lon, double *x, double *y)
{
    double e, n;
    eng_geo_to_local(&v->frame, lat, lon, &e, &n);
    *x = v->cx + e * v->px_per_m;
    *y = v->cy - n * v->px_per_m;
}
