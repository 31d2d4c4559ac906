/*
 * console.c - the 112 dispatcher's console at a time t: both pins of every
 * open incident (the offender's and the victim's, as the engine sent them
 * to the dispatcher), the patrols with their state (free, en route, on
 * scene) and the incident queue with waiting times, in a dark layout.  An
 * incident's pins are drawn only while it is open: nothing of an offender
 * without an open incident.
 */
#include "record.h"
#include "rnd_internal.h"
#include "pw_grow.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CON_BACK 0x1B1F24u
#define CON_INK 0x3A424Bu
#define CON_TEXT 0xE6E8EAu
#define CON_DIM 0x9AA0A6u



/* Split a CSV row in place (quoted fields may hold commas); fields in f. */
static int csv_split(char *row, char **f, int max)
{
    int n = 0;
    char *p = row;
    while (n < max) {
        if (*p == '"') {
            char *w = ++p;
            f[n++] = w;
            while (*p && !(*p == '"' && p[1] != '"'))
                *w++ = (*p == '"' ? (p++, '"') : *p), p++;
            *w = '\0';
            p = strchr(p, ',');
        } else {
            f[n++] = p;
            p = strpbrk(p, ",\r\n");
        }
        if (!p || *p != ',') {
            if (p)
                *p = '\0';
            break;
        }
        *p++ = '\0';
    }
    return n;
}

int rnd_console_feed_load(rnd_console_feed *c, const char *dir, char *err, size_t n)
{
    memset(c, 0, sizeof *c);
    char path[1024];
    size_t cap_p = 0, cap_s = 0;
    FILE *in = rec_open_read(dir, "events.jsonl", path, sizeof path); /* or events.jsonl.gz */
    if (!in)
        return errno == ENOENT ? snprintf(err, n, "%s: cannot open (is %s a run folder of proxwatch run or live?)",
                                          path, dir)
                               : snprintf(err, n, "%s: %s", path, rec_open_error(errno)),
               RND_EINVAL;
    char *line = NULL;
    size_t len = 0;
    long line_no = 0;
    int rc = RND_OK;
    while (rc == RND_OK && getline(&line, &len, in) > 0 && !ferror(in)) { /* a line cut by a read error is not one */
        line_no++;
        if (!strstr(line, "\"to\":\"dispatcher\"") || (!strstr(line, "\"type\":\"incident_open\"") &&
                                                        !strstr(line, "\"type\":\"incident_update\"")))
            continue;
        json_error_t je;
        json_t *e = json_loads(line, 0, &je);
        if (!e) {
            snprintf(err, n, "%s:%ld: %s", path, line_no, je.text);
            rc = RND_EINVAL;
            break;
        }
        if (pw_grow((void **)&c->pins, &cap_p, c->n_pins + 1, sizeof *c->pins) != 0) {
            rc = RND_ENOMEM;
        } else {
            rnd_console_pin *p = &c->pins[c->n_pins++];
            p->t = (pw_time_ms)json_integer_value(json_object_get(e, "t"));
            p->incident = (long long)json_integer_value(json_object_get(e, "incident"));
            p->offender = (rnd_ll){rnd_json_num(e, "lat"), rnd_json_num(e, "lon")};
            p->victim = (rnd_ll){rnd_json_num(e, "victim_lat"), rnd_json_num(e, "victim_lon")};
            p->distance_m = rnd_json_num(e, "distance_m");
        }
        json_decref(e);
    }
    if (rc == RND_OK && ferror(in)) {
        snprintf(err, n, "%s: %s", path, rec_open_error(errno ? errno : EIO));
        rc = RND_EINVAL;
    }
    free(line);
    fclose(in);
    /* The patrols' paths: truth.csv's segments of actors in role patrol. */
    snprintf(path, sizeof path, "%s/truth.csv", dir);
    FILE *tf = rc == RND_OK ? fopen(path, "r") : NULL; /* a replay has none: no patrols */
    char row[1024];
    line_no = 0;
    while (tf && rc == RND_OK && fgets(row, sizeof row, tf)) {
        char *f[12];
        if (++line_no == 1 || csv_split(row, f, 12) < 9 || strcmp(f[2], "patrol") != 0)
            continue;
        if (pw_grow((void **)&c->segs, &cap_s, c->n_segs + 1, sizeof *c->segs) != 0) {
            rc = RND_ENOMEM;
            break;
        }
        rnd_patrol_seg *s = &c->segs[c->n_segs++];
        s->patrol = (pw_id)atoll(f[0]);
        snprintf(s->name, sizeof s->name, "%s", f[1]);
        s->t0 = atoll(f[3]);
        s->t1 = atoll(f[4]);
        s->a = (rnd_ll){atof(f[5]), atof(f[6])};
        s->b = (rnd_ll){atof(f[7]), atof(f[8])};
    }
    if (tf)
        fclose(tf);
    if (rc == RND_ENOMEM)
        snprintf(err, n, "out of memory reading %s", dir);
    if (rc != RND_OK)
        rnd_console_feed_free(c);
    return rc;
}

void rnd_console_feed_free(rnd_console_feed *c)
{
    free(c->pins);
    free(c->segs);
    memset(c, 0, sizeof *c);
}

/* Is the incident open at t?  One still open when the run ended carries
 * the run's end as its close (incidents.csv): open at the end too. */
static int open_at(const rnd_run *run, const struct rnd_incident *in, pw_time_ms t)
{
    return in->open <= t && (t < in->close || (in->close >= run->end && t <= run->end));
}

/* The unrelated call an incident is, or NULL. */
static const rnd_call *find_call(const rnd_run *run, long long incident)
{
    for (size_t i = 0; i < run->n_calls; i++)
        if (run->calls[i].incident == incident)
            return &run->calls[i];
    return NULL;
}

int rnd_patrol_at(const rnd_console_feed *c, pw_id patrol, pw_time_ms t, rnd_ll *at)
{
    for (size_t i = 0; i < c->n_segs; i++) {
        const rnd_patrol_seg *s = &c->segs[i];
        if (s->patrol != patrol || !(s->t0 <= t && t <= s->t1))
            continue;
        if (i + 1 < c->n_segs && c->segs[i + 1].patrol == s->patrol && c->segs[i + 1].t0 <= t)
            continue; /* the later segment holds t too */
        double f = s->t1 > s->t0 ? (double)(t - s->t0) / (double)(s->t1 - s->t0) : 0.0;
        at->lat = s->a.lat + f * (s->b.lat - s->a.lat);
        at->lon = s->a.lon + f * (s->b.lon - s->a.lon);
        return 1;
    }
    return 0;
}

int rnd_patrol_state(const rnd_run *run, pw_id patrol, pw_time_ms t, long long *incident)
{
    for (size_t i = 0; i < run->n_incidents; i++) {
        const struct rnd_incident *in = &run->incidents[i];
        if (in->patrol != patrol || in->dispatched > t || !open_at(run, in, t))
            continue;
        *incident = in->id;
        return in->on_scene <= t ? RND_PATROL_ON_SCENE : RND_PATROL_EN_ROUTE;
    }
    return RND_PATROL_FREE;
}

const uint32_t rnd_patrol_colour[3] = {CON_DIM, 0xF2A900, 0x34A853};


int rnd_draw_console(cairo_t *cr, int width, int height, const rnd_basemap *b, const rnd_run *run,
                     const rnd_console_feed *c, pw_time_ms t)
{
    int unknown = 0;
    const double panel = 330;
    cairo_save(cr);
    rnd_rgb(cr, CON_BACK, 1);
    cairo_paint(cr);
    /* The view: the patrols' bases (their first positions) and the pins of
     * the incidents open at t, nothing of another time (an offender's
     * position at another time must not frame the picture). */
    double box[4] = {90, 180, -90, -180};
#define TAKE(p)                                                                                                \
    do {                                                                                                       \
        if (isfinite((p).lat))                                                                                 \
            box[0] = fmin(box[0], (p).lat), box[1] = fmin(box[1], (p).lon), box[2] = fmax(box[2], (p).lat),    \
            box[3] = fmax(box[3], (p).lon);                                                                    \
    } while (0)
    for (size_t i = 0; i < c->n_segs; i++)
        if (i == 0 || c->segs[i - 1].patrol != c->segs[i].patrol)
            TAKE(c->segs[i].a);
    for (size_t i = 0; i < run->n_incidents; i++) {
        const struct rnd_incident *in = &run->incidents[i];
        if (!open_at(run, in, t))
            continue;
        for (size_t k = 0; k < c->n_pins; k++)
            if (c->pins[k].incident == in->id && c->pins[k].t <= t) {
                TAKE(c->pins[k].offender);
                TAKE(c->pins[k].victim);
            }
        const rnd_call *call = find_call(run, in->id);
        if (call)
            TAKE(call->at);
    }
#undef TAKE
    if (box[0] > box[2]) /* nothing to frame: 10 km around City Hall */
        box[0] = 37.52, box[1] = 126.92, box[2] = 37.61, box[3] = 127.04;
    rnd_view v;
    if (rnd_view_fit(&v, box[0], box[1], box[2], box[3], (int)(width - panel), height, 50) != RND_OK) {
        cairo_restore(cr);
        return -1; /* too small to draw (the caller refuses such sizes) */
    }
    if (v.px_per_m > 0.5)
        v.px_per_m = 0.5; /* a single point: 2 m a pixel at most */
    v.width = width;
    cairo_rectangle(cr, 0, 0, width - panel, height);
    cairo_clip(cr);
    static const rnd_plain_style dark = {CON_INK, 1.0, 0x2C333B, 2.0, 1, 0, 0.35};
    rnd_draw_plain_basemap(cr, &v, b, &dark);
    /* Open incidents: the latest pins the dispatcher was sent; an
     * unrelated call, an amber diamond where it is. */
    for (size_t i = 0; i < run->n_incidents; i++) {
        const struct rnd_incident *in = &run->incidents[i];
        if (!open_at(run, in, t))
            continue;
        const rnd_call *call = find_call(run, in->id);
        if (call) {
            double x, y;
            rnd_project(&v, call->at.lat, call->at.lon, &x, &y);
            cairo_move_to(cr, x, y - 8);
            cairo_line_to(cr, x + 8, y);
            cairo_line_to(cr, x, y + 8);
            cairo_line_to(cr, x - 8, y);
            cairo_close_path(cr);
            rnd_rgb(cr, RND_COLOUR_CALL, 1);
            cairo_fill(cr);
            char label[48];
            snprintf(label, sizeof label, "#%lld", in->id);
            unknown += rnd_text_in(cr, label, 12, x + 10, y - 8, CON_TEXT);
            continue;
        }
        const rnd_console_pin *pin = NULL;
        for (size_t k = 0; k < c->n_pins; k++)
            if (c->pins[k].incident == in->id && c->pins[k].t <= t)
                pin = &c->pins[k];
        if (!pin)
            continue;
        double ox, oy, vx, vy;
        rnd_project(&v, pin->offender.lat, pin->offender.lon, &ox, &oy);
        rnd_project(&v, pin->victim.lat, pin->victim.lon, &vx, &vy);
        if (isfinite(vx) && isfinite(ox)) {
            cairo_move_to(cr, ox, oy);
            cairo_line_to(cr, vx, vy);
            rnd_rgb(cr, CON_TEXT, 0.6);
            cairo_set_dash(cr, (const double[]){4, 3}, 2, 0);
            cairo_set_line_width(cr, 1.5);
            cairo_stroke(cr);
            cairo_set_dash(cr, NULL, 0, 0);
        }
        if (isfinite(vx))
            rnd_draw_pin(cr, &v, pin->victim.lat, pin->victim.lon, 7, RND_COLOUR_VICTIM);
        if (isfinite(ox))
            rnd_draw_pin(cr, &v, pin->offender.lat, pin->offender.lon, 7, RND_COLOUR_OFFENDER);
        char label[64];
        snprintf(label, sizeof label, "#%lld", in->id);
        unknown += rnd_text_in(cr, label, 12, ox + 10, oy - 8, CON_TEXT);
    }
    /* Patrols where their paths put them at t, by state. */
    for (size_t i = 0; i < c->n_segs; i++) {
        const rnd_patrol_seg *s = &c->segs[i];
        if (i > 0 && c->segs[i - 1].patrol == s->patrol)
            continue; /* one mark a patrol */
        rnd_ll at;
        if (!rnd_patrol_at(c, s->patrol, t, &at))
            continue;
        double lat = at.lat, lon = at.lon;
        long long inc = 0;
        int st = rnd_patrol_state(run, s->patrol, t, &inc);
        double x, y;
        rnd_project(&v, lat, lon, &x, &y);
        cairo_rectangle(cr, x - 7, y - 7, 14, 14);
        rnd_rgb(cr, rnd_patrol_colour[st], 1);
        cairo_fill_preserve(cr);
        rnd_rgb(cr, CON_BACK, 1);
        cairo_set_line_width(cr, 2);
        cairo_stroke(cr);
        unknown += rnd_text_in(cr, s->name, 11, x + 10, y - 6, CON_TEXT);
    }
    cairo_reset_clip(cr);
    /* The panel: time, the incident queue, the patrols. */
    double px = width - panel;
    cairo_rectangle(cr, px, 0, panel, height);
    rnd_rgb(cr, 0x111418, 1);
    cairo_fill(cr);
    char line[320], when[40];
    pw_format_time(t, when, sizeof when);
    unknown += rnd_text_in(cr, "112 상황판 / 112 console", 16, px + 16, 14, CON_TEXT);
    unknown += rnd_text_in(cr, when, 11, px + 16, 40, CON_DIM);
    double y = 72;
    unknown += rnd_text_in(cr, "Incidents", 13, px + 16, y, CON_TEXT);
    y += 22;
    int any = 0;
    for (size_t i = 0; i < run->n_incidents; i++) {
        const struct rnd_incident *in = &run->incidents[i];
        if (!open_at(run, in, t))
            continue;
        any = 1;
        long open_s = (long)((t - in->open) / 1000);
        const char *state;
        char what[96];
        if (t < in->queue_end) {
            snprintf(what, sizeof what, "waiting at the desk %ld:%02ld", open_s / 60, open_s % 60);
            state = what;
        } else if (in->dispatched > t) {
            state = "call being handled at the desk";
        } else if (in->on_scene > t) {
            state = "patrol en route";
        } else {
            state = "patrol on scene";
        }
        const rnd_call *call = find_call(run, in->id);
        if (call)
            snprintf(line, sizeof line, "#%lld 112 call · open %ld:%02ld · %s", in->id, open_s / 60, open_s % 60,
                     state);
        else
            snprintf(line, sizeof line, "#%lld case %d · open %ld:%02ld · %s", in->id, in->case_id, open_s / 60,
                     open_s % 60, state);
        unknown += rnd_text_in(cr, line, 11, px + 16, y, t < in->queue_end ? 0xF2A900 : CON_TEXT);
        y += 18;
        if (call) { /* what the caller reported, under it */
            unknown += rnd_text_in(cr, call->what, 10, px + 28, y - 2, CON_DIM);
            y += 16;
        }
    }
    if (!any) {
        unknown += rnd_text_in(cr, "none open", 11, px + 16, y, CON_DIM);
        y += 18;
    }
    y += 14;
    unknown += rnd_text_in(cr, "Patrols", 13, px + 16, y, CON_TEXT);
    y += 22;
    static const char *const state_name[3] = {"free", "en route", "on scene"};
    for (size_t i = 0; i < c->n_segs; i++) {
        if (i > 0 && c->segs[i - 1].patrol == c->segs[i].patrol)
            continue; /* one line a patrol */
        long long inc = 0;
        int st = rnd_patrol_state(run, c->segs[i].patrol, t, &inc);
        if (st == RND_PATROL_FREE)
            snprintf(line, sizeof line, "%s · %s", c->segs[i].name, state_name[st]);
        else
            snprintf(line, sizeof line, "%s · %s · #%lld", c->segs[i].name, state_name[st], inc);
        cairo_rectangle(cr, px + 16, y + 3, 10, 10);
        rnd_rgb(cr, rnd_patrol_colour[st], 1);
        cairo_fill(cr);
        unknown += rnd_text_in(cr, line, 11, px + 32, y, CON_TEXT);
        y += 18;
    }
    unknown += rnd_text_in(cr, "Map: KOSTAT 2013 (Apache-2.0) · Seoul Open Data OA-21232 (KOGL 1) ·", 8, px + 16,
                           height - 34, CON_DIM);
    unknown += rnd_text_in(cr, "© OpenStreetMap contributors, ODbL 1.0", 8, px + 16, height - 22, CON_DIM);
    cairo_restore(cr);
    return unknown;
}

int rnd_write_console(const char *path, int width, int height, const rnd_basemap *b, const rnd_run *run,
                      const rnd_console_feed *c, pw_time_ms t, char *err, size_t n)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, width, height);
    cairo_t *cr = cairo_create(s);
    rnd_draw_console(cr, width, height, b, run, c, t);
    cairo_destroy(cr);
    cairo_status_t cs = cairo_surface_write_to_png(s, path);
    cairo_surface_destroy(s);
    if (cs != CAIRO_STATUS_SUCCESS) {
        remove(path); /* nothing half-written is left */
        return snprintf(err, n, "%s: cannot write: %s", path, cairo_status_to_string(cs)), RND_EIO;
    }
    return RND_OK;
}
