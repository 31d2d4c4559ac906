/*
 * console.c - the 112 console: a small HTTP server on the centre's loop for
 * the dispatchers' browser page (service/console/: static HTML, CSS and JS
 * of the project, no CDN), the basemap it draws (render/data/), the feed
 * of open incidents as Server-Sent Events, and the dispatcher's and the
 * case officer's actions.
 *
 *   GET  /, /console.js, /console.css   the page
 *   GET  /basemap/districts.geojson, /basemap/streets.geojson
 *   GET  /incidents                     the open incidents now (JSON)
 *   GET  /events                        text/event-stream: each incident as
 *                                       it opens, moves, is acknowledged,
 *                                       dispatched or closed
 *   POST /action                        {"action": "ack"|"dispatch"|"close",
 *                                        "incident": N, "patrol": "name"}
 *
 * Requests are read with Joyent's http-parser (Debian libhttp-parser-dev)
 * and action bodies with jansson: a well-kept parser each, rather than
 * ones of our own for text that comes from a network.  One request a
 * connection (Connection: close), 8 KiB of headers and 4 KiB of body at
 * most; an event stream that its reader does not drain (256 KiB queued)
 * is closed.  What the console shows is what the engine gives the
 * dispatcher: both pins while an incident is open, nothing after it closes.
 */
#include "record.h"
#include "service.h"

#include <http_parser.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

enum { URL_MAX = 512, BODY_MAX = 4096, HEAD_MAX = 8192, SSE_BACKLOG = 256 * 1024, MAX_VIEWS = 4096 };

typedef struct http_conn http_conn;

typedef struct file_mem {
    const char *url, *type;
    char path[1100];
    char *bytes;
    size_t n;
} file_mem;

struct svc_console {
    uv_loop_t *loop;
    uv_tcp_t server;
    int listening;
    svc_console_hooks hooks;
    file_mem files[6];
    svc_incident_view *views;
    size_t n_views;
    http_conn *streams;          /* event-stream readers */
    http_conn *all;              /* every connection, to close them at the end */
    size_t n_conns;
    char slab[16384];            /* what a read brings, parsed at once */
};

struct http_conn {
    uv_tcp_t tcp;
    svc_console *con;
    http_parser parser;
    char url[URL_MAX];
    size_t n_url;
    char body[BODY_MAX + 1];
    size_t n_body;
    size_t n_head;
    int too_big, done, is_stream, closing, routed;
    size_t pending;              /* bytes written, not yet sent */
    http_conn *next_stream;
    http_conn *next_all, *prev_all;
};

typedef struct http_write {
    uv_write_t req;
    http_conn *k;
    size_t n;
    char bytes[];
} http_write;

/* ---- connections ------------------------------------------------------- */

static void on_closed(uv_handle_t *h)
{
    http_conn *k = h->data;
    svc_console *con = k->con;
    if (k->prev_all)
        k->prev_all->next_all = k->next_all;
    else
        con->all = k->next_all;
    if (k->next_all)
        k->next_all->prev_all = k->prev_all;
    con->n_conns--;
    free(k);
}

static void conn_close(http_conn *k)
{
    if (k->closing)
        return;
    k->closing = 1;
    if (k->is_stream) {
        http_conn **p = &k->con->streams;
        while (*p && *p != k)
            p = &(*p)->next_stream;
        if (*p)
            *p = k->next_stream;
    }
    uv_close((uv_handle_t *)&k->tcp, on_closed);
}

static void on_written(uv_write_t *req, int status)
{
    http_write *w = (http_write *)req;
    http_conn *k = w->k;
    k->pending -= w->n;
    free(w);
    if (!k->closing && (status < 0 || (k->done && !k->is_stream && k->pending == 0)))
        conn_close(k);
}

static void put(http_conn *k, const char *bytes, size_t n)
{
    if (k->closing)
        return;
    if (k->is_stream && k->pending + n > SSE_BACKLOG) { /* a reader that does not read */
        conn_close(k);
        return;
    }
    http_write *w = malloc(sizeof *w + n);
    if (!w) {
        conn_close(k);
        return;
    }
    memcpy(w->bytes, bytes, n);
    w->k = k;
    w->n = n;
    uv_buf_t b = uv_buf_init(w->bytes, (unsigned)n);
    if (uv_write(&w->req, (uv_stream_t *)&k->tcp, &b, 1, on_written) != 0) {
        free(w);
        conn_close(k);
        return;
    }
    k->pending += n;
}

/* A whole response; the connection closes once it is sent. */
static void respond(http_conn *k, int status, const char *reason, const char *type, const char *body, size_t n)
{
    char head[300];
    int h = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
                     status, reason, type, n);
    k->done = 1;
    put(k, head, (size_t)h);
    put(k, body, n);
}

static void respond_json(http_conn *k, int status, const char *reason, const char *json)
{
    respond(k, status, reason, "application/json", json, strlen(json));
}

/* {"error": msg}, the message escaped by record/'s writer. */
static void respond_error(http_conn *k, int status, const char *reason, const char *msg)
{
    char out[400];
    rec_json w;
    rec_json_to_buf(&w, out, sizeof out, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_kstr(&w, "error", msg);
    rec_json_end(&w);
    respond_json(k, status, reason, rec_json_finish(&w) == 0 ? out : "{\"error\":\"?\"}");
}

/* ---- incidents as JSON ---------------------------------------------------- */

static size_t view_json(const svc_incident_view *v, char *buf, size_t cap)
{
    rec_json w;
    rec_json_to_buf(&w, buf, cap, REC_JSON_COMPACT);
    rec_json_object(&w);
    rec_json_kuint(&w, "incident", v->incident);
    rec_json_kuint(&w, "case", v->case_id);
    rec_json_kstr(&w, "state", v->state);
    rec_json_kint(&w, "opened_ms", v->opened_ms);
    rec_json_kint(&w, "updated_ms", v->updated_ms);
    if (strcmp(v->state, "closed") != 0) { /* a closed incident shows no position */
        rec_json_key(&w, "offender");
        rec_json_object(&w);
        rec_json_kfixed(&w, "lat", v->offender_lat, 7);
        rec_json_kfixed(&w, "lon", v->offender_lon, 7);
        rec_json_kfixed(&w, "acc_m", v->offender_acc_m, 1);
        rec_json_end(&w);
        rec_json_key(&w, "victim");
        rec_json_object(&w);
        rec_json_kfixed(&w, "lat", v->victim_lat, 7);
        rec_json_kfixed(&w, "lon", v->victim_lon, 7);
        rec_json_end(&w);
        rec_json_kfixed(&w, "distance_m", v->distance_m, 0);
        rec_json_key(&w, "patrols");
        rec_json_array(&w);
        for (int i = 0; i < v->n_patrols; i++) {
            rec_json_object(&w);
            rec_json_kstr(&w, "name", v->patrols[i].name);
            rec_json_kfixed(&w, "distance_m", v->patrols[i].distance_m, 0);
            rec_json_end(&w);
        }
        rec_json_end(&w);
    }
    rec_json_kstr(&w, "patrol", v->patrol);
    rec_json_end(&w);
    return rec_json_finish(&w) == 0 ? rec_json_len(&w) : 0;
}

static void send_event(http_conn *k, const svc_incident_view *v)
{
    char buf[2048], line[2100];
    size_t n = view_json(v, buf, sizeof buf);
    if (!n)
        return;
    int m = snprintf(line, sizeof line, "event: incident\ndata: %s\n\n", buf);
    put(k, line, (size_t)m);
}

void svc_console_incident(svc_console *con, const svc_incident_view *v)
{
    if (!con)
        return;
    size_t i = 0;
    while (i < con->n_views && con->views[i].incident != v->incident)
        i++;
    if (strcmp(v->state, "closed") == 0) {
        if (i < con->n_views) /* gone from the console: nothing of it stays */
            con->views[i] = con->views[--con->n_views];
    } else if (i < con->n_views) {
        con->views[i] = *v;
    } else if (con->n_views < MAX_VIEWS) {
        con->views[con->n_views++] = *v;
    }
    for (http_conn *k = con->streams, *next; k; k = next) {
        next = k->next_stream;
        send_event(k, v);
    }
}

/* ---- requests ------------------------------------------------------------ */

static void incidents_now(http_conn *k)
{
    svc_console *con = k->con;
    size_t cap = 64 + con->n_views * 2048, n = 0;
    char *all = malloc(cap);
    if (!all) {
        respond_json(k, 503, "Service Unavailable", "{\"error\":\"out of memory\"}");
        return;
    }
    all[n++] = '[';
    for (size_t i = 0; i < con->n_views; i++) {
        if (i)
            all[n++] = ',';
        n += view_json(&con->views[i], all + n, cap - n - 2);
    }
    all[n++] = ']';
    respond(k, 200, "OK", "application/json", all, n);
    free(all);
}

static void start_stream(http_conn *k)
{
    static const char head[] = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                               "X-Content-Type-Options: nosniff\r\nConnection: keep-alive\r\n\r\n";
    k->is_stream = 1;
    k->next_stream = k->con->streams;
    k->con->streams = k;
    put(k, head, sizeof head - 1);
    for (size_t i = 0; i < k->con->n_views && !k->closing; i++)
        send_event(k, &k->con->views[i]);
}

static void action(http_conn *k)
{
    json_error_t je;
    k->body[k->n_body] = '\0';
    json_t *j = json_loadb(k->body, k->n_body, 0, &je);
    const char *what = j ? json_string_value(json_object_get(j, "action")) : NULL;
    json_t *inc = j ? json_object_get(j, "incident") : NULL;
    const char *patrol = j ? json_string_value(json_object_get(j, "patrol")) : NULL;
    char msg[300];
    if (!j) {
        snprintf(msg, sizeof msg, "the body is not JSON: %s (line %d)", je.text, je.line);
    } else if (!what || (strcmp(what, "ack") && strcmp(what, "dispatch") && strcmp(what, "close"))) {
        snprintf(msg, sizeof msg, "\"action\" must be \"ack\", \"dispatch\" or \"close\"");
    } else if (!json_is_integer(inc) || json_integer_value(inc) < 1 || json_integer_value(inc) > UINT32_MAX) {
        snprintf(msg, sizeof msg, "\"incident\" must be a whole number from 1");
    } else if (!strcmp(what, "dispatch") && (!patrol || !*patrol || strlen(patrol) > 63)) {
        snprintf(msg, sizeof msg, "\"dispatch\" needs \"patrol\": a patrol's name");
    } else {
        int rc = k->con->hooks.action(k->con->hooks.ctx, what, (pw_id)json_integer_value(inc), patrol, msg,
                                      sizeof msg);
        json_decref(j);
        if (rc == 0)
            respond_json(k, 200, "OK", "{\"ok\":true}");
        else
            respond_error(k, rc == -2 ? 404 : 409, rc == -2 ? "Not Found" : "Conflict", msg);
        return;
    }
    json_decref(j);
    respond_error(k, 400, "Bad Request", msg);
}

static void route(http_conn *k)
{
    svc_console *con = k->con;
    char *q = strchr(k->url, '?');
    if (q)
        *q = '\0';
    int get = k->parser.method == HTTP_GET, post = k->parser.method == HTTP_POST;
    if (post && !strcmp(k->url, "/action")) {
        action(k);
        return;
    }
    if (!get) {
        respond_json(k, 405, "Method Not Allowed", "{\"error\":\"GET, or POST to /action\"}");
        return;
    }
    if (!strcmp(k->url, "/events")) {
        start_stream(k);
        return;
    }
    if (!strcmp(k->url, "/incidents")) {
        incidents_now(k);
        return;
    }
    for (size_t i = 0; i < sizeof con->files / sizeof *con->files; i++)
        if (con->files[i].url && !strcmp(k->url, con->files[i].url)) {
            respond(k, 200, "OK", con->files[i].type, con->files[i].bytes, con->files[i].n);
            return;
        }
    respond_json(k, 404, "Not Found", "{\"error\":\"no such page\"}");
}

static int on_url(http_parser *p, const char *at, size_t n)
{
    http_conn *k = p->data;
    if (k->n_url + n >= URL_MAX) {
        k->too_big = 414;
        return 1;
    }
    memcpy(k->url + k->n_url, at, n);
    k->n_url += n;
    k->url[k->n_url] = '\0';
    return 0;
}

static int on_header(http_parser *p, const char *at, size_t n)
{
    (void)at;
    http_conn *k = p->data;
    k->n_head += n;
    if (k->n_head > HEAD_MAX) {
        k->too_big = 431;
        return 1;
    }
    return 0;
}

static int on_body(http_parser *p, const char *at, size_t n)
{
    http_conn *k = p->data;
    if (k->n_body + n > BODY_MAX) {
        k->too_big = 413;
        return 1;
    }
    memcpy(k->body + k->n_body, at, n);
    k->n_body += n;
    return 0;
}

static int on_complete(http_parser *p)
{
    http_conn *k = p->data;
    k->routed = 1;
    route(k);
    return 1; /* one request a connection: the parser stops here */
}

static const http_parser_settings settings = {.on_url = on_url,
                                              .on_header_field = on_header,
                                              .on_header_value = on_header,
                                              .on_body = on_body,
                                              .on_message_complete = on_complete};

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    http_conn *k = h->data;
    *buf = uv_buf_init(k->con->slab, sizeof k->con->slab); /* parsed before the next read */
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    http_conn *k = s->data;
    if (nread < 0) {
        conn_close(k);
        return;
    }
    if (nread == 0 || k->done || k->closing || k->routed)
        return; /* after its one request, a connection's bytes are not read */
    http_parser_execute(&k->parser, &settings, buf->base, (size_t)nread);
    if (k->done || k->closing || k->routed)
        return;
    enum http_errno e = HTTP_PARSER_ERRNO(&k->parser);
    if (k->too_big == 413)
        respond_json(k, 413, "Payload Too Large", "{\"error\":\"at most 4096 bytes of body\"}");
    else if (k->too_big)
        respond_json(k, k->too_big, "Request Too Large", "{\"error\":\"request line or headers too long\"}");
    else if (e != HPE_OK)
        respond_json(k, 400, "Bad Request", "{\"error\":\"not an HTTP/1.1 request\"}");
}

static void on_connection(uv_stream_t *server, int status)
{
    svc_console *con = server->data;
    if (status < 0)
        return;
    http_conn *k = calloc(1, sizeof *k);
    if (!k)
        return;
    k->con = con;
    uv_tcp_init(con->loop, &k->tcp);
    k->tcp.data = k;
    con->n_conns++;
    k->next_all = con->all;
    if (con->all)
        con->all->prev_all = k;
    con->all = k;
    if (uv_accept(server, (uv_stream_t *)&k->tcp) != 0) {
        conn_close(k);
        return;
    }
    http_parser_init(&k->parser, HTTP_REQUEST);
    k->parser.data = k;
    uv_read_start((uv_stream_t *)&k->tcp, on_alloc, on_read);
}

/* ---- the console ---------------------------------------------------------- */

static int load_file(file_mem *f, char *err, size_t n)
{
    FILE *in = fopen(f->path, "rb");
    if (!in)
        return snprintf(err, n, "%s: cannot open (the console's files)", f->path), -1;
    fseek(in, 0, SEEK_END);
    long size = ftell(in);
    rewind(in);
    f->bytes = malloc(size > 0 ? (size_t)size : 1);
    int ok = f->bytes && size >= 0 && fread(f->bytes, 1, (size_t)size, in) == (size_t)size;
    fclose(in);
    f->n = ok ? (size_t)size : 0;
    return ok ? 0 : (snprintf(err, n, "%s: cannot read", f->path), -1);
}

int svc_console_start(svc_console **out, uv_loop_t *loop, const char *host, int port, const char *web_dir,
                      const char *map_dir, const svc_console_hooks *hooks, int *bound_port, char *err, size_t n)
{
    svc_console *con = calloc(1, sizeof *con);
    *out = con;
    if (!con)
        return snprintf(err, n, "out of memory"), -1;
    con->loop = loop;
    con->hooks = *hooks;
    con->views = calloc(MAX_VIEWS, sizeof *con->views);
    if (!con->views)
        return snprintf(err, n, "out of memory"), -1;
    static const struct {
        const char *url, *dir_kind, *name, *type;
    } pages[6] = {{"/", "web", "index.html", "text/html; charset=utf-8"},
                  {"/index.html", "web", "index.html", "text/html; charset=utf-8"},
                  {"/console.js", "web", "console.js", "text/javascript; charset=utf-8"},
                  {"/console.css", "web", "console.css", "text/css; charset=utf-8"},
                  {"/basemap/districts.geojson", "map", "seoul_districts.geojson", "application/geo+json"},
                  {"/basemap/streets.geojson", "map", "seoul_central_streets.geojson", "application/geo+json"}};
    for (int i = 0; i < 6; i++) {
        con->files[i].url = pages[i].url;
        con->files[i].type = pages[i].type;
        snprintf(con->files[i].path, sizeof con->files[i].path, "%s/%s",
                 pages[i].dir_kind[0] == 'w' ? web_dir : map_dir, pages[i].name);
        if (load_file(&con->files[i], err, n) != 0)
            return -1;
    }
    struct sockaddr_storage addr;
    if (uv_ip4_addr(host, port, (struct sockaddr_in *)&addr) != 0 &&
        uv_ip6_addr(host, port, (struct sockaddr_in6 *)&addr) != 0)
        return snprintf(err, n, "--http %s:%d: not a numeric IPv4 or IPv6 address", host, port), -1;
    uv_tcp_init(loop, &con->server);
    con->server.data = con;
    con->listening = 1;
    int e = uv_tcp_bind(&con->server, (const struct sockaddr *)&addr, 0);
    if (e == 0)
        e = uv_listen((uv_stream_t *)&con->server, 128, on_connection);
    if (e != 0)
        return snprintf(err, n, "--http %s:%d: %s", host, port, uv_strerror(e)), -1;
    struct sockaddr_storage bound;
    int blen = sizeof bound;
    *bound_port = port;
    if (uv_tcp_getsockname(&con->server, (struct sockaddr *)&bound, &blen) == 0)
        *bound_port = ntohs(bound.ss_family == AF_INET ? ((struct sockaddr_in *)&bound)->sin_port
                                                       : ((struct sockaddr_in6 *)&bound)->sin6_port);
    return 0;
}

/* Its handles closed (the server, every connection); the loop then runs
 * their close callbacks, and svc_console_free frees the rest. */
void svc_console_stop(svc_console *con)
{
    if (!con)
        return;
    if (con->listening && !uv_is_closing((uv_handle_t *)&con->server))
        uv_close((uv_handle_t *)&con->server, NULL);
    for (http_conn *k = con->all; k; k = k->next_all)
        conn_close(k);
}

void svc_console_free(svc_console *con)
{
    if (!con)
        return;
    for (int i = 0; i < 6; i++)
        free(con->files[i].bytes);
    free(con->views);
    free(con);
}
