/*
 * gz.c - a run's big files gzip-compressed as they are written, on a
 * thread of their own, behind an ordinary FILE (glibc's fopencookie), so
 * that every writer (fprintf, fwrite, the JSON writer) writes them as it
 * writes a plain file; and a FILE that reads a file plain or gzip'd, for
 * the readers (getline as ever).
 *
 * Writing: the FILE's bytes are gathered into chunks of GZ_CHUNK bytes;
 * a full chunk goes to the compressing thread through a queue of
 * GZ_SLOTS chunks (the writer waits when the thread is that far behind,
 * so memory stays bounded).  The thread deflates each chunk (zlib, level
 * 1: a national day's fixes.csv deflates to 28 % at about 90 MB/s) and
 * writes the output.  The chunk boundaries depend on the byte count only,
 * and the gzip header carries no time and no name, so the same bytes give
 * the same file.  A failed write is kept and returned by the next write
 * and by fclose (errno as the system said).
 */
#define _GNU_SOURCE
#include "record.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum { GZ_CHUNK = 1 << 20, GZ_SLOTS = 4, GZ_OUT = 1 << 18 };

typedef struct gz_sink {
    FILE *out;
    z_stream z;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t can_take, can_give;
    char *slot[GZ_SLOTS];
    size_t len[GZ_SLOTS];
    unsigned head, count;    /* the queue of full chunks */
    char *fill;              /* the chunk being filled by the writer */
    size_t n_fill;
    int closing;             /* no more chunks come */
    int error;               /* the first errno of a failed write, 0 */
    unsigned char outbuf[GZ_OUT];
} gz_sink;

/* Deflate n bytes (flush: Z_NO_FLUSH or Z_FINISH) and write the output;
 * 0, or the errno of what failed.  On the thread. */
static int deflate_out(gz_sink *g, const char *p, size_t n, int flush)
{
    g->z.next_in = (unsigned char *)(uintptr_t)p;
    g->z.avail_in = (uInt)n;
    for (;;) {
        g->z.next_out = g->outbuf;
        g->z.avail_out = GZ_OUT;
        int rc = deflate(&g->z, flush);
        if (rc == Z_STREAM_ERROR)
            return EIO;
        size_t have = GZ_OUT - g->z.avail_out;
        errno = 0;
        if (have && fwrite(g->outbuf, 1, have, g->out) != have)
            return errno ? errno : EIO;
        if (flush == Z_FINISH ? rc == Z_STREAM_END : g->z.avail_in == 0 && g->z.avail_out != 0)
            return 0;
    }
}

static void *compressor(void *arg)
{
    gz_sink *g = arg;
    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (g->count == 0 && !g->closing)
            pthread_cond_wait(&g->can_take, &g->mu);
        if (g->count == 0)
            break;
        unsigned i = g->head;
        int failed = g->error;
        pthread_mutex_unlock(&g->mu);
        int e = failed ? 0 : deflate_out(g, g->slot[i], g->len[i], Z_NO_FLUSH);
        pthread_mutex_lock(&g->mu);
        if (e && !g->error)
            g->error = e;
        g->head = (g->head + 1) % GZ_SLOTS;
        g->count--;
        pthread_cond_signal(&g->can_give);
    }
    int failed = g->error;
    pthread_mutex_unlock(&g->mu);
    int e = failed ? 0 : deflate_out(g, NULL, 0, Z_FINISH);
    deflateEnd(&g->z);
    if (fclose(g->out) != 0 && !e)
        e = errno ? errno : EIO;
    pthread_mutex_lock(&g->mu);
    if (e && !g->error)
        g->error = e;
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

/* The filled chunk into the queue (waiting for room); a fresh one to fill.
 * With the lock held. */
static void give_chunk(gz_sink *g)
{
    while (g->count == GZ_SLOTS)
        pthread_cond_wait(&g->can_give, &g->mu);
    unsigned tail = (g->head + g->count) % GZ_SLOTS;
    char *spare = g->slot[tail];
    g->slot[tail] = g->fill;
    g->len[tail] = g->n_fill;
    g->count++;
    g->fill = spare;
    g->n_fill = 0;
    pthread_cond_signal(&g->can_take);
}

static ssize_t gz_write(void *cookie, const char *buf, size_t size)
{
    gz_sink *g = cookie;
    pthread_mutex_lock(&g->mu);
    int e = g->error;
    pthread_mutex_unlock(&g->mu);
    if (e) {
        errno = e;
        return -1;
    }
    size_t done = 0;
    while (done < size) {
        size_t k = size - done < GZ_CHUNK - g->n_fill ? size - done : GZ_CHUNK - g->n_fill;
        memcpy(g->fill + g->n_fill, buf + done, k);
        g->n_fill += k;
        done += k;
        if (g->n_fill == GZ_CHUNK) {
            pthread_mutex_lock(&g->mu);
            give_chunk(g);
            pthread_mutex_unlock(&g->mu);
        }
    }
    return (ssize_t)size;
}

static void sink_free_sync(gz_sink *g)
{
    pthread_cond_destroy(&g->can_take);
    pthread_cond_destroy(&g->can_give);
    pthread_mutex_destroy(&g->mu);
}

static void sink_free(gz_sink *g)
{
    for (unsigned i = 0; i < GZ_SLOTS; i++)
        free(g->slot[i]);
    free(g->fill);
    sink_free_sync(g);
    free(g);
}

static int gz_close(void *cookie)
{
    gz_sink *g = cookie;
    pthread_mutex_lock(&g->mu);
    if (g->n_fill)
        give_chunk(g);
    g->closing = 1;
    pthread_cond_signal(&g->can_take);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thread, NULL);
    int e = g->error;
    sink_free(g);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

FILE *rec_part_open_gz(const char *dir, const char *name, char *err, size_t errlen)
{
    FILE *out = rec_part_open(dir, name, err, errlen);
    if (!out)
        return NULL;
    gz_sink *g = calloc(1, sizeof *g);
    int ok = g != NULL;
    for (unsigned i = 0; ok && i < GZ_SLOTS; i++)
        ok = (g->slot[i] = malloc(GZ_CHUNK)) != NULL;
    ok = ok && (g->fill = malloc(GZ_CHUNK)) != NULL;
    /* windowBits 15 + 16: a gzip stream; its header has no name and time 0 */
    int zrc = ok ? deflateInit2(&g->z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) : Z_MEM_ERROR;
    if (zrc != Z_OK) {
        if (g) {
            for (unsigned i = 0; i < GZ_SLOTS; i++)
                free(g->slot[i]);
            free(g->fill);
            free(g);
        }
        fclose(out);
        snprintf(err, errlen, "%s/%s: %s", dir, name,
                 zrc == Z_MEM_ERROR ? "out of memory for its compression" : "zlib cannot start its compression");
        rec_part_close(NULL, dir, name, 0, NULL, 0);
        return NULL;
    }
    g->out = out;
    int prc = pthread_mutex_init(&g->mu, NULL);
    if (prc == 0 && (prc = pthread_cond_init(&g->can_take, NULL)) != 0)
        pthread_mutex_destroy(&g->mu);
    if (prc == 0 && (prc = pthread_cond_init(&g->can_give, NULL)) != 0) {
        pthread_cond_destroy(&g->can_take);
        pthread_mutex_destroy(&g->mu);
    }
    if (prc == 0 && (prc = pthread_create(&g->thread, NULL, compressor, g)) != 0)
        sink_free_sync(g);
    if (prc != 0) {
        deflateEnd(&g->z);
        fclose(out);
        for (unsigned i = 0; i < GZ_SLOTS; i++)
            free(g->slot[i]);
        free(g->fill);
        free(g);
        snprintf(err, errlen, "%s/%s: cannot start its compression thread: %s", dir, name, strerror(prc));
        rec_part_close(NULL, dir, name, 0, NULL, 0);
        return NULL;
    }
    cookie_io_functions_t io = {.read = NULL, .write = gz_write, .seek = NULL, .close = gz_close};
    FILE *f = fopencookie(g, "w", io);
    if (!f) {
        gz_close(g);
        snprintf(err, errlen, "%s/%s: cannot open: out of memory", dir, name);
        rec_part_close(NULL, dir, name, 0, NULL, 0);
        return NULL;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    return f;
}

/* ---- reading ------------------------------------------------------------ */

typedef struct gz_source {
    gzFile z;
} gz_source;

static ssize_t gzf_read(void *cookie, char *buf, size_t size)
{
    gz_source *src = cookie;
    int n = gzread(src->z, buf, size > INT_MAX ? INT_MAX : (unsigned)size), why;
    /* A file cut short ends in the middle of its stream: zlib says
     * Z_BUF_ERROR at the end; a read error, not an end.  A damaged stream
     * (Z_DATA_ERROR: a bad CRC, bad codes) is a read error too. */
    if (n < 0 || (n == 0 && (gzerror(src->z, &why), why == Z_BUF_ERROR))) {
        errno = EIO;
        return -1;
    }
    return n;
}

static int gzf_close(void *cookie)
{
    gz_source *src = cookie;
    int rc = gzclose_r(src->z);
    free(src);
    return rc == Z_OK ? 0 : (errno = EIO, -1);
}

FILE *rec_open_gz(const char *path)
{
    /* gzip's magic first: zlib would read any other file as plain text */
    FILE *raw = fopen(path, "rb");
    if (!raw)
        return NULL;
    unsigned char magic[2];
    int is_gzip = fread(magic, 1, 2, raw) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    fclose(raw);
    if (!is_gzip) {
        errno = EILSEQ;
        return NULL;
    }
    gz_source *src = malloc(sizeof *src);
    if (!src)
        return NULL;
    errno = 0;
    src->z = gzopen(path, "rb");
    if (!src->z) {
        int e = errno ? errno : ENOMEM;
        free(src);
        errno = e;
        return NULL;
    }
    gzbuffer(src->z, 1 << 17);
    cookie_io_functions_t io = {.read = gzf_read, .write = NULL, .seek = NULL, .close = gzf_close};
    FILE *f = fopencookie(src, "r", io);
    if (!f) {
        gzclose_r(src->z);
        free(src);
        errno = ENOMEM;
    }
    return f;
}

FILE *rec_open_read(const char *dir, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (f || errno != ENOENT)
        return f;
    snprintf(path, n, "%s/%s.gz", dir, name);
    f = rec_open_gz(path);
    if (!f && errno == ENOENT)
        snprintf(path, n, "%s/%s", dir, name); /* neither: the plain name */
    return f;
}

const char *rec_open_error(int err)
{
    return err == EILSEQ ? "not a gzip file" : err == EIO ? "cannot read (cut short or damaged)" : strerror(err);
}
