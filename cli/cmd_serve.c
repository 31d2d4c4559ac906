/*
 * cmd_serve.c - proxwatch serve (the live centre's device gateway) and
 * proxwatch loadgen (emulated devices against it).  Both read the same
 * configuration: a scenario file (the bundled default when none is given)
 * whose offenders and victims are the enrolled devices and whose cases are
 * the court orders, and the same master key, from which each device's key
 * is derived.
 */
#include "cli.h"
#include "scenario.h"
#include "service.h"
#include "sim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct world {
    scn_scenario s;
    int loaded;
    svc_device_def *devices;
    size_t n_devices;
    eng_case_def *cases;
    size_t n_cases;
    svc_patrol *patrols;
    size_t n_patrols;
    char names[SIM_SWEEP_MAX_AXES][64];
    const char *param_names[SIM_SWEEP_MAX_AXES];
    double values[SIM_SWEEP_MAX_AXES];
    size_t n_set;
} world;

static int parse_set(world *w, const char *cmd, const char *a)
{
    const char *eq = strchr(a, '=');
    char *end = NULL;
    double v = eq ? strtod(eq + 1, &end) : NAN;
    if (!eq || eq == a || (size_t)(eq - a) >= sizeof w->names[0] || end == eq + 1 || *end || !isfinite(v))
        return cli_usage_error(cmd, "--set '%s': expected NAME=NUMBER", a);
    if (w->n_set == SIM_SWEEP_MAX_AXES)
        return cli_usage_error(cmd, "at most %d --set options", SIM_SWEEP_MAX_AXES);
    memcpy(w->names[w->n_set], a, (size_t)(eq - a));
    w->names[w->n_set][eq - a] = '\0';
    w->param_names[w->n_set] = w->names[w->n_set];
    w->values[w->n_set++] = v;
    return 0;
}

static int parse_address(const char *cmd, const char *opt, const char *v, char *host, size_t n, int *port)
{
    const char *colon = strrchr(v, ':');
    uint64_t p;
    if (!colon || colon == v || (size_t)(colon - v) >= n || !cli_parse_u64(colon + 1, &p) || p > 65535)
        return cli_usage_error(cmd, "%s '%s': expected HOST:PORT (a numeric address, a port 0-65535)", opt, v);
    size_t len = (size_t)(colon - v);
    if (v[0] == '[' && len >= 2 && v[len - 1] == ']') { /* [::1]:7700 */
        v++;
        len -= 2;
    }
    memcpy(host, v, len);
    host[len] = '\0';
    *port = (int)p;
    return 0;
}

/* The scenario's devices and cases. */
static int load_world(world *w, const char *cmd, const char *path)
{
    scn_options so = {.n_params = w->n_set, .param_names = w->param_names, .param_values = w->values};
    scn_error e;
    if (scn_load_file(&w->s, path, &so, &e) != SCN_OK) {
        fprintf(stderr, "proxwatch %s: %s\n", cmd, e.message);
        return 2;
    }
    w->loaded = 1;
    w->devices = calloc(w->s.n_actors ? w->s.n_actors : 1, sizeof *w->devices);
    w->cases = calloc(w->s.n_cases ? w->s.n_cases : 1, sizeof *w->cases);
    w->patrols = calloc(w->s.n_actors ? w->s.n_actors : 1, sizeof *w->patrols);
    if (!w->devices || !w->cases || !w->patrols) {
        fprintf(stderr, "proxwatch %s: out of memory\n", cmd);
        return 1;
    }
    for (size_t i = 0; i < w->s.n_actors; i++)
        if (w->s.actors[i].role == SCN_OFFENDER || w->s.actors[i].role == SCN_VICTIM)
            w->devices[w->n_devices++] = (svc_device_def){
                w->s.actors[i].id, w->s.actors[i].role == SCN_OFFENDER ? ENG_ROLE_OFFENDER : ENG_ROLE_VICTIM};
    for (size_t i = 0; i < w->s.n_cases; i++)
        w->cases[w->n_cases++] = w->s.cases[i].def;
    for (size_t i = 0; i < w->s.n_actors; i++)
        if (w->s.actors[i].role == SCN_PATROL) {
            svc_patrol *p = &w->patrols[w->n_patrols++];
            snprintf(p->name, sizeof p->name, "%s", w->s.actors[i].name);
            p->lat = w->s.actors[i].start.lat;
            p->lon = w->s.actors[i].start.lon;
        }
    return 0;
}

static void free_world(world *w)
{
    if (w->loaded)
        scn_free(&w->s);
    free(w->devices);
    free(w->cases);
    free(w->patrols);
}

/* --keys, or DB.key beside the store. */
static const char *key_path(const char *keys, const char *db, char *buf, size_t n)
{
    if (keys)
        return keys;
    snprintf(buf, n, "%s.key", db);
    return buf;
}

int cli_serve(int argc, char **argv)
{
    static world w;
    static svc_options o;
    svc_options_default(&o);
    static char host[256], http_host[256];
    const char *config = NULL, *db = NULL, *keys = NULL;
    int quiet = 0;
    static const struct option longopts[] = {
        {"listen", required_argument, NULL, 'l'},   {"db", required_argument, NULL, 'd'},
        {"config", required_argument, NULL, 'c'},   {"keys", required_argument, NULL, 'k'},
        {"set", required_argument, NULL, 'S'},      {"durability", required_argument, NULL, 'D'},
        {"max-connections", required_argument, NULL, 'M'}, {"quiet", no_argument, NULL, 'q'},
        {"http", required_argument, NULL, 'H'},     {"no-console", no_argument, NULL, 'N'},
        {"idle-timeout", required_argument, NULL, 'I'},
        {"help", no_argument, NULL, 'h'},           {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "qh", longopts)) != -1) {
        uint64_t v;
        if (c == 'l') {
            if (parse_address("serve", "--listen", optarg, host, sizeof host, &o.port))
                return 2;
            o.host = host;
        } else if (c == 'd') {
            db = optarg;
        } else if (c == 'c') {
            config = optarg;
        } else if (c == 'k') {
            keys = optarg;
        } else if (c == 'S') {
            if (parse_set(&w, "serve", optarg))
                return 2;
        } else if (c == 'D') {
            if (strcmp(optarg, "full") && strcmp(optarg, "normal"))
                return cli_usage_error("serve", "--durability '%s': full or normal", optarg);
            o.durable = !strcmp(optarg, "full");
        } else if (c == 'M') {
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 1000000)
                return cli_usage_error("serve", "--max-connections '%s': a number from 1 to 1000000", optarg);
            o.max_connections = (size_t)v;
        } else if (c == 'H') {
            if (parse_address("serve", "--http", optarg, http_host, sizeof http_host, &o.http_port))
                return 2;
            o.http_host = http_host;
        } else if (c == 'N') {
            o.http_host = NULL;
        } else if (c == 'I') {
            if (!cli_parse_u64(optarg, &v) || v < 1 || v > 3600)
                return cli_usage_error("serve", "--idle-timeout '%s': seconds, from 1 to 3600", optarg);
            o.idle_timeout_ms = (int)v * 1000;
        } else if (c == 'q') {
            quiet = 1;
        } else if (c == 'h') {
            return cli_print_help(stdout, "serve");
        } else {
            return cli_bad_option("serve", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("serve", "unexpected '%s' (the scenario goes with --config)", argv[optind]);
    if (!db)
        return cli_usage_error("serve", "--db FILE is needed: the store (SQLite), made when missing");
    char kbuf[1100], err[1200];
    if (svc_init() != SVC_OK || svc_master_key(key_path(keys, db, kbuf, sizeof kbuf), 1, o.master_key, err,
                                               sizeof err) != 0) {
        fprintf(stderr, "proxwatch serve: %s\n", svc_init() != SVC_OK ? "libsodium cannot start" : err);
        return 1;
    }
    int st = load_world(&w, "serve", config ? config : PW_DEFAULT_SCENARIO);
    if (st) {
        free_world(&w);
        return st;
    }
    sim_engine_config(&w.s, &o.engine);
    o.db_path = db;
    o.devices = w.devices;
    o.n_devices = w.n_devices;
    o.cases = w.cases;
    o.n_cases = w.n_cases;
    o.patrols = w.patrols;
    o.n_patrols = w.n_patrols;
    if (quiet)
        o.stats_interval_ms = 0;
    int rc = svc_serve(&o, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "proxwatch serve: %s\n", err);
    free_world(&w);
    return rc ? 1 : 0;
}

int cli_loadgen(int argc, char **argv)
{
    static world w;
    static svc_loadgen_options o;
    memset(&o, 0, sizeof o);
    static char host[256];
    const char *config = NULL, *keys = NULL;
    uint64_t devices = 0, seed = 1; /* 0: all the scenario enrols */
    double rate = 100, seconds = 10, spread = 5000;
    int have_connect = 0, quiet = 0;
    static const struct option longopts[] = {
        {"connect", required_argument, NULL, 'C'}, {"devices", required_argument, NULL, 'n'},
        {"rate", required_argument, NULL, 'r'},    {"seconds", required_argument, NULL, 't'},
        {"config", required_argument, NULL, 'c'},  {"keys", required_argument, NULL, 'k'},
        {"set", required_argument, NULL, 'S'},     {"db", required_argument, NULL, 'd'},
        {"seed", required_argument, NULL, 's'},    {"quiet", no_argument, NULL, 'q'},
        {"spread", required_argument, NULL, 'w'},  {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    while ((c = cli_next_option(argc, argv, "qh", longopts)) != -1) {
        char *end;
        if (c == 'C') {
            if (parse_address("loadgen", "--connect", optarg, host, sizeof host, &o.port))
                return 2;
            o.host = host;
            have_connect = 1;
        } else if (c == 'n') {
            if (!cli_parse_u64(optarg, &devices) || devices < 1 || devices > 1000000)
                return cli_usage_error("loadgen", "--devices '%s': a number from 1 to 1000000", optarg);
        } else if (c == 'r' || c == 't' || c == 'w') {
            const char *name = c == 'r' ? "rate" : c == 't' ? "seconds" : "spread";
            double v = strtod(optarg, &end);
            if (end == optarg || *end || !isfinite(v) || v <= 0 || v > 1e7)
                return cli_usage_error("loadgen", "--%s '%s': a number above 0", name, optarg);
            *(c == 'r' ? &rate : c == 't' ? &seconds : &spread) = v;
        } else if (c == 'c') {
            config = optarg;
        } else if (c == 'k') {
            keys = optarg;
        } else if (c == 'S') {
            if (parse_set(&w, "loadgen", optarg))
                return 2;
        } else if (c == 'd') {
            o.db_path = optarg;
        } else if (c == 's') {
            if (!cli_parse_u64(optarg, &seed) || seed == 0)
                return cli_usage_error("loadgen", "--seed '%s': a whole number from 1", optarg);
        } else if (c == 'q') {
            quiet = 1;
        } else if (c == 'h') {
            return cli_print_help(stdout, "loadgen");
        } else {
            return cli_bad_option("loadgen", c, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("loadgen", "unexpected '%s' (the scenario goes with --config)", argv[optind]);
    if (!have_connect)
        return cli_usage_error("loadgen", "--connect HOST:PORT is needed: where proxwatch serve listens");
    if (!keys && !o.db_path)
        return cli_usage_error("loadgen", "--keys FILE (or --db FILE, whose FILE.key it then reads) is needed");
    char kbuf[1100], err[1200];
    if (svc_init() != SVC_OK ||
        svc_master_key(key_path(keys, o.db_path, kbuf, sizeof kbuf), 0, o.master_key, err, sizeof err) != 0) {
        fprintf(stderr, "proxwatch loadgen: %s\n", svc_init() != SVC_OK ? "libsodium cannot start" : err);
        return 1;
    }
    int st = load_world(&w, "loadgen", config ? config : PW_DEFAULT_SCENARIO);
    if (st) {
        free_world(&w);
        return st;
    }
    if (devices == 0)
        devices = w.n_devices;
    if (devices > w.n_devices) {
        fprintf(stderr, "proxwatch loadgen: --devices %llu: the scenario enrols %zu (a larger one: --config "
                        "scenarios/regional_day.lua --set cases=5000 gives 10,000)\n",
                (unsigned long long)devices, w.n_devices);
        free_world(&w);
        return 2;
    }
    o.devices = w.devices;
    o.n_devices = (size_t)devices;
    o.origin_lat = w.s.origin.lat;
    o.origin_lon = w.s.origin.lon;
    o.spread_m = spread;
    o.rate = rate;
    o.seconds = seconds;
    o.seed = seed;
    o.cases = w.cases;
    o.n_cases = w.n_cases;
    o.progress = quiet ? NULL : stderr;
    svc_loadgen_result r;
    int rc = svc_loadgen(&o, &r, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "proxwatch loadgen: %s\n", err);
    printf("loadgen: %llu reports sent (and %llu sent again after a reconnection), %llu acknowledged, %llu "
           "refused, %llu reconnections (%llu connections closed by the centre); %llu of %llu health reports "
           "on connecting acknowledged; the victims' phones received %llu alerts and offender positions\n",
           (unsigned long long)r.sent, (unsigned long long)r.resent, (unsigned long long)r.acked,
           (unsigned long long)r.refused, (unsigned long long)r.reconnects, (unsigned long long)r.closed_by_peer,
           (unsigned long long)r.hellos_acked, (unsigned long long)r.hellos, (unsigned long long)r.victim_frames);
    if (r.feed_n)
        printf("loadgen: %llu offender positions reached their victims' phones, %.3f ms at the median, %.3f ms "
               "at the 99th percentile after the offender's report was sent\n",
               (unsigned long long)r.feed_n, r.feed_p50_ms, r.feed_p99_ms);
    if (r.lost_checked)
        printf("{\"sent\":%llu,\"acked\":%llu,\"lost\":%llu,", (unsigned long long)r.sent,
               (unsigned long long)r.acked, (unsigned long long)r.lost);
    else
        printf("{\"sent\":%llu,\"acked\":%llu,\"lost\":null,", (unsigned long long)r.sent,
               (unsigned long long)r.acked);
    if (r.acked)
        printf("\"reports_per_s\":%.1f,\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f},", r.reports_per_s, r.p50_ms,
               r.p99_ms);
    else
        printf("\"reports_per_s\":0,\"latency_ms\":{\"p50\":null,\"p99\":null},");
    printf("\"hellos\":%llu,\"reconnects\":%llu,\"closed_by_peer\":%llu,", (unsigned long long)r.hellos,
           (unsigned long long)r.reconnects, (unsigned long long)r.closed_by_peer);
    /* ingest to alert: an offender's report sent to his position at his victim's phone */
    if (r.feed_n)
        printf("\"feed_latency_ms\":{\"n\":%llu,\"p50\":%.3f,\"p99\":%.3f}}\n", (unsigned long long)r.feed_n,
               r.feed_p50_ms, r.feed_p99_ms);
    else
        printf("\"feed_latency_ms\":{\"n\":0,\"p50\":null,\"p99\":null}}\n");
    free_world(&w);
    return rc != 0 ? 1 : r.lost ? 1 : 0;
}
