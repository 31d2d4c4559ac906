/*
 * render.h - pictures of runs, drawn with cairo (text with pango, so that
 * Korean names lay out).  Prefix rnd_.
 *
 * Drawing functions take a cairo_t and know nothing of the surface: the
 * caller picks PNG, SVG or PDF (rnd_write_map does it by the file's
 * extension).  Positions go through an rnd_view: the engine's local frame
 * (eng_frame) around the view's centre, scaled to pixels, x to the right
 * and y down, north up.
 *
 *   rnd_run run;        rnd_run_load(&run, "runs/gangnam-morning-1", err, n);
 *   rnd_basemap base;   rnd_basemap_load(&base, NULL, err, n);
 *   rnd_map_options mo; rnd_map_options_default(&mo);
 *   rnd_write_map("map.png", &base, &run, &mo, err, n);
 *
 * What a map shows and where its data come from: render/README.md.
 */
#ifndef PW_RENDER_H
#define PW_RENDER_H

#include "engine.h"

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

enum { RND_OK = 0, RND_EINVAL = -1, RND_EIO = -2, RND_ENOMEM = -3 };

/* ---- the view -------------------------------------------------------- */

typedef struct rnd_view {
    eng_frame frame;        /* local metres around the centre */
    double px_per_m;
    int width, height;      /* pixels (points for PDF and SVG) */
    double cx, cy;          /* the pixel the centre is drawn at (default the middle) */
} rnd_view;

/* A view of width x height pixels centred on (lat, lon), px_per_m pixels a
 * metre.  RND_EINVAL for a centre off the frame's range or a bad size. */
int rnd_view_init(rnd_view *v, double lat, double lon, double px_per_m, int width, int height);
/* The largest scale at which the box [lat_min, lat_max] x [lon_min,
 * lon_max] fits width x height with margin_px on every side, centred. */
int rnd_view_fit(rnd_view *v, double lat_min, double lon_min, double lat_max, double lon_max, int width,
                 int height, double margin_px);
/* (lat, lon) to pixel (x right, y down). */
void rnd_project(const rnd_view *v, double lat, double lon, double *x, double *y);

/* ---- a run's records --------------------------------------------------- */

typedef struct rnd_ll {
    double lat, lon;
} rnd_ll;

typedef enum rnd_role { RND_OFFENDER, RND_VICTIM, RND_PATROL, RND_OTHER } rnd_role;

typedef struct rnd_track {       /* an actor's true path */
    pw_id device;
    rnd_role role;
    char name[64];
    rnd_ll *pts;
    size_t n;
} rnd_track;

typedef struct rnd_fix {         /* a fix the engine received */
    pw_id device;
    pw_time_ms t;                /* when it reached the centre */
    rnd_ll at;
    double acc_m;                /* NAN unknown */
    int coarse;                  /* cell or Wi-Fi: drawn with its accuracy */
} rnd_fix;

typedef struct rnd_alert {       /* where an alert episode opened */
    rnd_ll at;
    int case_id;
    char cause[24];              /* a false one's: noise_jump, urban_canyon, ...; "none" when true */
    int is_true;
    pw_time_ms start, end;
} rnd_alert;

typedef struct rnd_area {        /* a zone: exclusion or GNSS environment */
    int exclusion;               /* 1 exclusion zone, 0 environment */
    char env[24];                /* the environment's name */
    rnd_ll *ring;
    size_t n;
} rnd_area;

typedef struct rnd_call {        /* an unrelated 112 call (call { }) */
    long long incident;
    pw_time_ms start;
    rnd_ll at;
    char what[64];
} rnd_call;

typedef struct rnd_safe {        /* a safe place of the scenario (safe_place { }) */
    rnd_ll at;
    char name[64];
} rnd_safe;

typedef struct rnd_run {
    char scenario[128];
    uint64_t seed;
    rnd_track *tracks;
    size_t n_tracks;
    rnd_fix *fixes;
    size_t n_fixes;
    rnd_alert *alerts;
    size_t n_alerts;
    rnd_area *areas;
    size_t n_areas;
    rnd_safe *safe;
    size_t n_safe;
    rnd_call *calls;
    size_t n_calls;
    /* latencies.csv and incidents.csv, when the folder has them (run and
     * live write them): the values behind the report's figures. */
    double *latency[4];          /* breach->alert, alert->victim, alert->dispatch,
                                    dispatch->scene: sorted seconds */
    size_t n_latency[4];
    struct rnd_incident {
        long long id;
        int case_id;
        pw_time_ms open, queue_end, close;   /* queue_end: taken by a dispatcher */
        pw_time_ms dispatched, on_scene;     /* INT64_MAX: never */
        pw_id patrol;                        /* 0: none sent */
    } *incidents;
    size_t n_incidents;
    /* report.json's headline figures (NAN unknown) */
    struct {
        double breaches, detected, missed, episodes, true_alerts, false_alerts, false_per_day;
        double p50[4], p95[4];
        double exposure_s, disclosures, unauthorized, incidents, per_dispatcher_hour, peak, patrol_min_false;
        double sim_seconds;
    } figures;
    pw_time_ms start, end;       /* the run's span: truth.csv's first time, or the
                                    first fix's; plus report.json's sim_seconds */
    double alarm_radius_m;       /* report.json parameters (NAN unknown) */
    size_t cap_tracks, cap_fixes, cap_alerts, cap_areas, cap_safe, cap_calls; /* private */
} rnd_run;

/*
 * Read a run folder written by run, replay or live: run.geojson (tracks,
 * fixes, alert episodes, zones) and report.json (scenario name, seed).
 * RND_EINVAL with err naming the missing or broken file and what is wrong.
 */
int rnd_run_load(rnd_run *run, const char *dir, char *err, size_t n);
void rnd_run_free(rnd_run *run);
/* The role of a device, from its track (RND_OTHER when it has none). */
rnd_role rnd_run_role(const rnd_run *run, pw_id device);

/* ---- the basemap --------------------------------------------------------- */

typedef struct rnd_district {
    char name[64];               /* Korean, as the boundary data writes it */
    rnd_ll *ring;                /* outer ring of its largest polygon */
    size_t n;
    rnd_ll label;                /* where its name goes */
} rnd_district;

typedef struct rnd_station {
    int line;                    /* 1 to 9 */
    char name[64];
    rnd_ll at;
} rnd_station;

typedef struct rnd_edge {        /* a drawn piece of a subway line */
    size_t a, b;                 /* stations */
} rnd_edge;

typedef struct rnd_street {
    int rank;                    /* 0 motorway/trunk, 1 primary, 2 secondary, 3 tertiary */
    rnd_ll *pts;
    size_t n;
} rnd_street;

typedef struct rnd_basemap {
    rnd_district *districts;
    size_t n_districts;
    rnd_station *stations;
    size_t n_stations;
    rnd_edge *edges;             /* each line: the minimum spanning tree of its
                                    stations (the data give no riding order) */
    size_t n_edges;
    rnd_street *streets;
    size_t n_streets;
    size_t cap_streets;          /* private */
} rnd_basemap;

/*
 * Load the basemap from dir (NULL: the project's render/data and the
 * station table of scenarios/data): seoul_districts.geojson,
 * seoul_central_streets.geojson, yeouido_streets.osm and
 * seoul_subway_stations.csv.  RND_EINVAL with err naming the file.
 */
int rnd_basemap_load(rnd_basemap *b, const char *dir, char *err, size_t n);
void rnd_basemap_free(rnd_basemap *b);
/*
 * Add the streets of an OpenStreetMap XML file, read with expat: ways
 * tagged highway motorway, trunk, primary, secondary or tertiary (and
 * links), through their nodes.  RND_EINVAL with err naming the file and
 * line (malformed XML, a way whose node the file lacks).
 */
int rnd_basemap_add_osm(rnd_basemap *b, const char *path, char *err, size_t n);
/* The official colour of Seoul subway line 1-9 as 0xRRGGBB (grey else). */
uint32_t rnd_line_colour(int line);

/* ---- the map ------------------------------------------------------------- */

typedef struct rnd_map_options {
    int width, height;           /* default 1200 x 900 */
    int has_bbox;                /* show this box instead of the run's extent */
    double bbox[4];              /* lat_min, lon_min, lat_max, lon_max */
    double zoom;                 /* > 0: multiply the fitted scale (default 1) */
} rnd_map_options;

void rnd_map_options_default(rnd_map_options *o);

/* Colours of the roles and marks, 0xRRGGBB: a picture's legend and the
 * tests read the same table. */
#define RND_COLOUR_OFFENDER 0xD7263Du
#define RND_COLOUR_VICTIM 0x1B6EF3u
#define RND_COLOUR_PATROL 0x2E7D32u
#define RND_COLOUR_FALSE_ALERT 0xF28C28u
#define RND_COLOUR_SAFE 0x0B5394u
#define RND_COLOUR_CALL 0xF2A900u        /* an unrelated 112 call on the console */

/* The view a map of run with options o uses (the run's extent, or the
 * options' box; then the zoom). */
int rnd_map_view(rnd_view *v, const rnd_run *run, const rnd_map_options *o);
/* Draw the map of run on cr, over the whole view; returns the characters
 * of its labels no font could draw (0: no tofu). */
int rnd_draw_map(cairo_t *cr, const rnd_view *v, const rnd_basemap *b, const rnd_run *run);
/* A pin: a filled circle of radius r px with a white rim at (lat, lon). */
void rnd_draw_pin(cairo_t *cr, const rnd_view *v, double lat, double lon, double r, uint32_t rgb);

/*
 * Draw text with pango in font `family` (NULL: a Hangul-capable sans) at
 * size pt, its top-left at (x, y); returns the number of characters no
 * installed font could draw (pango's unknown glyphs: 0 means no tofu).
 */
int rnd_text(cairo_t *cr, const char *utf8, const char *family, double size, double x, double y);

/* The same wrapped to `width` (points or pixels) at word boundaries; the
 * height drawn.  *unknown (may be NULL) gets the characters no font could
 * draw. */
double rnd_text_wrapped(cairo_t *cr, const char *utf8, double size, double x, double y, double width, int *unknown);

/* A PDF's dates: the run's start (or 2000-01-01 with t 0), never the wall
 * clock, so that the same run gives the same bytes. */
void rnd_pdf_dates(cairo_surface_t *s, pw_time_ms t);

/*
 * Write the map to path: PNG, SVG or PDF by its extension.  RND_EINVAL
 * for another extension, RND_EIO with err naming the path when it cannot
 * be written.
 */
int rnd_write_map(const char *path, const rnd_basemap *b, const rnd_run *run, const rnd_map_options *o,
                  char *err, size_t n);

/* ---- plots and the report ------------------------------------------------ */

/* The "nice" axis end for values up to v: the smallest 1, 2 or 5 times a
 * power of ten at or above v (1 for v <= 0). */
double rnd_nice_ceiling(double v);
/* Each latency's empirical CDF (step curves) in the box (x, y, w, h). */
void rnd_plot_cdf(cairo_t *cr, double x, double y, double w, double h, const rnd_run *run);
/* True and false alert episodes opened so far, over the run's hours. */
void rnd_plot_alerts(cairo_t *cr, double x, double y, double w, double h, const rnd_run *run);
/* Incidents waiting at the 112 desk, and open, over the run's hours. */
void rnd_plot_incidents(cairo_t *cr, double x, double y, double w, double h, const rnd_run *run);
/* The curves' colours, 0xRRGGBB, in latency order. */
extern const uint32_t rnd_latency_colour[4];
/*
 * report.pdf: page 1 the headline figures and the map, page 2 the latency
 * CDFs, alerts over time and the 112 desk over time.  RND_EIO with err
 * naming the path when it cannot be written.
 */
int rnd_write_report(const char *path, const rnd_basemap *b, const rnd_run *run, char *err, size_t n);

/*
 * sweep.pdf from a sweep folder's sweep.json: page 1 six key figures
 * against the (first) swept parameter, each mean with its 95 % interval;
 * page 2 the trade-off, false alerts per offender-day against missed
 * breaches, a point per combination labelled with its parameters.
 * RND_EINVAL naming sweep.json when it cannot be read, RND_EIO naming
 * path when it cannot be written.
 */
int rnd_write_sweep(const char *path, const char *dir, char *err, size_t n);

/* ---- the victim's phone ------------------------------------------------ */

/* A position of the offender sent to the victim's phone, and the
 * disclosure audit record that logged it (its line in events.jsonl). */
typedef struct rnd_reveal {
    pw_time_ms t;
    rnd_ll at;
    double acc_m, heading_deg, speed_mps, distance_m;   /* NAN unknown */
    long record;                             /* events.jsonl line, 0 none */
} rnd_reveal;

typedef struct rnd_window {      /* a reveal window of hers: [open, close) */
    pw_time_ms open, close;      /* close INT64_MAX while open at the end */
} rnd_window;

typedef struct rnd_warning {     /* the engine told her to take care (no position) */
    pw_time_ms t, until;         /* until the case's next incident closes */
    char reason[32];             /* signal_lost, comm_lost, uncertain_proximity, ... */
} rnd_warning;

/* What the phone of one case's victim received: read from events.jsonl. */
typedef struct rnd_victim_feed {
    int case_id;
    pw_id victim;                /* her phone's device */
    rnd_window *windows;
    size_t n_windows;
    rnd_reveal *reveals;
    size_t n_reveals;
    rnd_warning *warnings;
    size_t n_warnings;
} rnd_victim_feed;

/*
 * Read case case_id's victim feed from dir/events.jsonl (case_id 0: the
 * first case with an event for a victim's phone).  Her device is the
 * recipient (to_id) of the case's events to the victim.  RND_EINVAL with
 * err naming the file (and line) when it is missing or broken, or when no
 * event of the case tells which phone is hers.
 */
int rnd_victim_feed_load(rnd_victim_feed *f, const char *dir, int case_id, char *err, size_t n);
void rnd_victim_feed_free(rnd_victim_feed *f);

/* What her phone shows at t. */
typedef struct rnd_victim_state {
    pw_time_ms t;
    int has_self;
    rnd_ll self;                 /* her phone's own latest fix at or before t */
    double self_acc_m;           /* its accuracy (NAN unknown) */
    int in_window;               /* a reveal window of hers is open at t */
    int has_pin;                 /* ... and a position was sent in it by t */
    rnd_reveal pin;              /* the latest such position */
    const rnd_warning *warning;  /* outside a window: the warning in force, or NULL */
} rnd_victim_state;

void rnd_victim_state_at(const rnd_victim_feed *f, const rnd_run *run, pw_time_ms t, rnd_victim_state *st);

/*
 * Draw the phone's screen (width x height, portrait): a muted map around
 * her, her position with its accuracy, the alarm radius, and only while a
 * reveal window of hers is open the offender's pin with its accuracy
 * circle, heading (when he moves) and distance (the view widens to keep
 * him on screen); a banner with the state in Korean and English (alarm,
 * a warning in force, or no alert); a mark with the case, the time (UTC
 * and Korean) and the disclosure record shown.  Outside every window
 * nothing of the offender is drawn and no pixel is red: the map, her marks
 * and the other banners use blues, greens, yellows and greys only.
 * Returns the characters no font could draw (0: no tofu).
 */
int rnd_draw_victim(cairo_t *cr, int width, int height, const rnd_basemap *b, const rnd_run *run,
                    const rnd_victim_feed *f, const rnd_victim_state *st);
/* The same into a PNG file; RND_EINVAL unless path ends in .png, RND_EIO
 * with err naming the path when it cannot be written. */
int rnd_write_victim(const char *path, int width, int height, const rnd_basemap *b, const rnd_run *run,
                     const rnd_victim_feed *f, pw_time_ms t, char *err, size_t n);

/* ---- the 112 console ------------------------------------------------- */

typedef struct rnd_console_pin {  /* what the dispatcher was sent for an incident */
    pw_time_ms t;
    long long incident;
    rnd_ll offender, victim;      /* NAN when not given */
    double distance_m;
} rnd_console_pin;

typedef struct rnd_patrol_seg {   /* a piece of a patrol's path (truth.csv) */
    pw_id patrol;
    char name[64];
    pw_time_ms t0, t1;
    rnd_ll a, b;
} rnd_patrol_seg;

typedef struct rnd_console_feed {
    rnd_console_pin *pins;        /* incident_open and incident_update to the dispatcher */
    size_t n_pins;
    rnd_patrol_seg *segs;
    size_t n_segs;
} rnd_console_feed;

enum { RND_PATROL_FREE = 0, RND_PATROL_EN_ROUTE = 1, RND_PATROL_ON_SCENE = 2 };
/* The state colours, 0xRRGGBB: free grey, en route amber, on scene green. */
extern const uint32_t rnd_patrol_colour[3];

/* The incidents' pins from dir/events.jsonl and the patrols' paths from
 * dir/truth.csv (none when it is missing: a replay).  RND_EINVAL with err
 * naming the file. */
int rnd_console_feed_load(rnd_console_feed *c, const char *dir, char *err, size_t n);
void rnd_console_feed_free(rnd_console_feed *c);
/* Where a patrol's path puts it at t: 1 with *at, 0 when its path does not
 * cover t (or it has none). */
int rnd_patrol_at(const rnd_console_feed *c, pw_id patrol, pw_time_ms t, rnd_ll *at);
/* A patrol's state at t (RND_PATROL_*) from the incidents it was sent to
 * (incidents.csv), with *incident the one it serves. */
int rnd_patrol_state(const rnd_run *run, pw_id patrol, pw_time_ms t, long long *incident);
/*
 * Draw the dispatcher's console at t (dark, width x height): on the map
 * both pins of every incident open at t (its latest pins sent to the
 * dispatcher by t), an amber diamond for each unrelated 112 call open at
 * t, and every patrol where its path is, coloured by state;
 * a panel with the time, the open incidents (how long open, waiting at the
 * desk, en route, on scene) and the patrols.  No pin of an incident that
 * is not open.  Returns the characters no font could draw.
 */
int rnd_draw_console(cairo_t *cr, int width, int height, const rnd_basemap *b, const rnd_run *run,
                     const rnd_console_feed *c, pw_time_ms t);
int rnd_write_console(const char *path, int width, int height, const rnd_basemap *b, const rnd_run *run,
                      const rnd_console_feed *c, pw_time_ms t, char *err, size_t n);

#endif
