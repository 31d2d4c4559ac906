/*
 * sweep_mpi.c - a sweep's runs spread over MPI ranks (Open MPI), so that a
 * sweep can use a cluster: rank 0 hands out run indices (largest first)
 * to any rank that asks, runs its own share in its fork workers while it
 * waits, and takes every other rank's rows; the other ranks run what they
 * are given in their fork workers and send each row back.  Rows are small
 * text lines, so the nodes need no shared file system.  See sim.h.
 *
 * Messages (tags): ASK (a rank wants a run; payload: its sweep's digest,
 * so that a rank given other arguments or another scenario file gets no
 * run), RUN (rank 0's answer: the run index, -1 for no more, -2 for "you
 * run another sweep"), ROW ("K\nROW": run K's row), BYE (a rank that
 * cannot run: why, in words; it asks nothing more).  Every rank ends once
 * it got -1 or -2 or said BYE, and rank 0 waits for all of them, so that
 * mpirun ends.  Without MPI in the build, sim_mpi_init says so and nothing
 * here runs.
 */
#include "sweep_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef PW_HAVE_MPI
#include <mpi.h>

enum { TAG_ASK = 1, TAG_RUN = 2, TAG_ROW = 3, TAG_BYE = 4 };

static int mpi_rank, mpi_size = 1, mpi_up;
static int ended_ranks;     /* ranks that will ask nothing more */
static size_t *by_rank;     /* rows each rank delivered (rank 0: its own) */

int sim_mpi_built(void) { return 1; }

int sim_mpi_init(int *argc, char ***argv, int *rank, int *size, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (!mpi_up) {
        MPI_Init(argc, argv);
        MPI_Comm_rank(MPI_COMM_WORLD, &mpi_rank);
        MPI_Comm_size(MPI_COMM_WORLD, &mpi_size);
        mpi_up = 1;
    }
    *rank = mpi_rank;
    *size = mpi_size;
    return 0;
}

void sim_mpi_finalize(void)
{
    if (mpi_up)
        MPI_Finalize();
    mpi_up = 0;
}

int sweep_mpi_rank(void) { return mpi_up ? mpi_rank : 0; }

/* ---- rank 0 ---------------------------------------------------------- */

typedef struct master_ctx {
    sweep_plan *pl;
    const size_t *order;
    size_t n, next;
    int failed;
    char *err;
    size_t errlen;
} master_ctx;

static size_t master_take(void *ctx)
{
    master_ctx *c = ctx;
    return c->next < c->n ? c->order[c->next++] : SWEEP_END;
}

static int master_ready(void *ctx, size_t run)
{
    sweep_note_done(((master_ctx *)ctx)->pl, run);
    if (by_rank)
        by_rank[0]++;
    return 0;
}

/* A message that carries text (ROW, BYE): received whole, NUL-terminated,
 * or NULL when out of memory (the message is then taken off the line). */
static char *recv_text(const MPI_Status *st)
{
    int len;
    MPI_Get_count(st, MPI_CHAR, &len);
    char *buf = malloc((size_t)(len > 0 ? len : 0) + 1);
    MPI_Recv(buf ? buf : NULL, buf ? len : 0, MPI_CHAR, st->MPI_SOURCE, st->MPI_TAG, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    if (buf)
        buf[len > 0 ? len : 0] = '\0';
    return buf;
}

/* One message to rank 0, whatever it is: an ASK answered (a run from the
 * queue, or -1 when `give` is 0 or the queue is empty, -2 for another
 * sweep), a ROW written, a BYE counted and said. */
static void serve(master_ctx *c, const MPI_Status *st, int give)
{
    if (st->MPI_TAG == TAG_ASK) {
        uint64_t digest = 0;
        MPI_Recv(&digest, 1, MPI_UINT64_T, st->MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        long long k;
        if (c && digest != c->pl->digest) {
            fprintf(stderr, "proxwatch sweep: rank %d runs another sweep (its scenario file, parameters or "
                            "proxwatch differ from rank 0's): it gets no runs\n", st->MPI_SOURCE);
            k = -2;
        } else {
            k = c && give && c->next < c->n ? (long long)c->order[c->next++] : -1;
        }
        ended_ranks += k < 0;
        MPI_Send(&k, 1, MPI_LONG_LONG, st->MPI_SOURCE, TAG_RUN, MPI_COMM_WORLD);
        return;
    }
    char *text = recv_text(st);
    if (st->MPI_TAG == TAG_BYE) {
        fprintf(stderr, "proxwatch sweep: rank %d runs nothing: %s\n", st->MPI_SOURCE, text ? text : "(no reason)");
        ended_ranks++;
    } else if (st->MPI_TAG == TAG_ROW && c && text) {
        char *nl = strchr(text, '\n'), *end;
        unsigned long long k = strtoull(text, &end, 10);
        int stored = 0;
        if (nl && end == nl && k < c->pl->runs) {
            char path[800];
            sweep_row_path(c->pl, (size_t)k, path, sizeof path);
            FILE *f = fopen(path, "w");
            if (f) {
                fputs(nl + 1, f);
                stored = fclose(f) == 0;
            }
            if (stored) {
                sweep_note_done(c->pl, (size_t)k);
                if (by_rank)
                    by_rank[st->MPI_SOURCE]++;
            }
        }
        if (!stored && !c->failed) { /* a row that cannot be kept: the sweep cannot finish */
            snprintf(c->err, c->errlen, "cannot keep a row from rank %d in %s", st->MPI_SOURCE, c->pl->row_dir);
            c->failed = 1;
        }
    }
    free(text);
}

static void master_poll(void *ctx)
{
    master_ctx *c = ctx;
    int flag;
    MPI_Status st;
    while (!c->failed && MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS &&
           flag)
        serve(c, &st, 1);
}

static int master_finished(void *ctx)
{
    master_ctx *c = ctx;
    return c->failed || (ended_ranks >= mpi_size - 1 && c->pl->n_done == c->pl->runs);
}

/* Rank 0 gives up (bad input, a failure): every other rank that asks is
 * told there is no more, and rows still coming are dropped, until every
 * rank has been told or said BYE, so that no rank waits for ever. */
static void abandon(master_ctx *c)
{
    while (ended_ranks < mpi_size - 1) {
        MPI_Status st;
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        serve(c, &st, 0);
    }
}

void sim_sweep_abandon(void)
{
    if (mpi_up && mpi_rank == 0)
        abandon(NULL);
}

int sweep_mpi_master(sweep_plan *pl, const size_t *order, size_t n, char *err, size_t errlen)
{
    master_ctx c = {pl, order, n, 0, 0, err, errlen};
    sweep_pool_ops ops = {&c, master_take, master_ready, master_poll, master_finished};
    by_rank = calloc((size_t)mpi_size, sizeof *by_rank);
    int rc = sweep_pool(pl, pl->sp->jobs, &ops, err, errlen);
    if (rc || c.failed) {
        c.next = c.n; /* nothing more for anyone */
        abandon(&c);
    }
    if (by_rank && rc == 0 && !c.failed) { /* where the runs went: a rank that ran none is worth knowing */
        fprintf(stderr, "proxwatch sweep: runs by rank:");
        for (int r = 0; r < mpi_size; r++)
            fprintf(stderr, "%s %d: %zu", r ? "," : "", r, by_rank[r]);
        fputc('\n', stderr);
    }
    free(by_rank);
    by_rank = NULL;
    return rc ? rc : c.failed ? SIM_ERUN : 0;
}

/* ---- the other ranks --------------------------------------------------- */

void sweep_mpi_bye(const char *why)
{
    if (!mpi_up || mpi_rank == 0)
        return;
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    char text[1024];
    int n = snprintf(text, sizeof text, "on %s: %s", host, why);
    MPI_Send(text, n < (int)sizeof text ? n : (int)sizeof text - 1, MPI_CHAR, 0, TAG_BYE, MPI_COMM_WORLD);
}

typedef struct worker_ctx {
    sweep_plan *pl;
    size_t *taken;             /* runs given and not yet sent back */
    size_t n_taken;
    int other;                 /* rank 0 said we run another sweep */
} worker_ctx;

static size_t worker_take(void *ctx)
{
    worker_ctx *c = ctx;
    long long k;
    uint64_t digest = c->pl->digest;
    MPI_Send(&digest, 1, MPI_UINT64_T, 0, TAG_ASK, MPI_COMM_WORLD);
    MPI_Recv(&k, 1, MPI_LONG_LONG, 0, TAG_RUN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    if (k == -2)
        c->other = 1;
    if (k < 0)
        return SWEEP_END;
    c->taken[c->n_taken++] = (size_t)k;
    return (size_t)k;
}

static void send_row(size_t run, const char *row)
{
    char buf[8300];
    int n = snprintf(buf, sizeof buf, "%zu\n%s", run, row);
    MPI_Send(buf, n < (int)sizeof buf ? n : (int)sizeof buf - 1, MPI_CHAR, 0, TAG_ROW, MPI_COMM_WORLD);
}

/* The row goes to rank 0; the file here goes. */
static int worker_ready(void *ctx, size_t run)
{
    worker_ctx *c = ctx;
    char path[800], row[8192];
    sweep_row_path(c->pl, run, path, sizeof path);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(row, sizeof row, f))
        snprintf(row, sizeof row, "failed,the worker on rank %d left no result\n", mpi_rank);
    if (f)
        fclose(f);
    remove(path);
    send_row(run, row);
    for (size_t i = 0; i < c->n_taken; i++)
        if (c->taken[i] == run) {
            c->taken[i] = c->taken[--c->n_taken];
            break;
        }
    return 0;
}

static int worker_finished(void *ctx)
{
    (void)ctx;
    return 1;
}

int sweep_mpi_worker(sweep_plan *pl, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(pl->row_dir, sizeof pl->row_dir, "%s/proxwatch-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(pl->row_dir)) {
        snprintf(err, errlen, "rank %d: cannot make a folder for its rows (%s): %s", mpi_rank, pl->row_dir,
                 strerror(errno));
        sweep_mpi_bye(err);
        return SIM_ERUN;
    }
    worker_ctx c = {pl, calloc((size_t)pl->sp->jobs + 1, sizeof(size_t)), 0, 0};
    if (!c.taken) {
        snprintf(err, errlen, "rank %d: out of memory", mpi_rank);
        sweep_mpi_bye(err);
        rmdir(pl->row_dir);
        return SIM_ERUN;
    }
    sweep_pool_ops ops = {&c, worker_take, worker_ready, NULL, worker_finished};
    int rc = sweep_pool(pl, pl->sp->jobs, &ops, err, errlen);
    if (rc != 0) { /* what it was given comes back failed, and it leaves */
        char row[1200];
        snprintf(row, sizeof row, "failed,rank %d: %s\n", mpi_rank, err);
        for (char *p = row + 7; *p && *p != '\n'; p++)
            if (*p == ',')
                *p = ' ';
        for (size_t i = 0; i < c.n_taken; i++)
            send_row(c.taken[i], row);
        sweep_mpi_bye(err);
    }
    if (c.other)
        fprintf(stderr, "proxwatch sweep: rank %d: rank 0 runs another sweep (the scenario file, the parameters or "
                        "proxwatch differ): nothing run here\n", mpi_rank);
    free(c.taken);
    rmdir(pl->row_dir);
    return rc;
}

#else /* no MPI in this build */

int sim_mpi_built(void) { return 0; }

int sim_mpi_init(int *argc, char ***argv, int *rank, int *size, char *err, size_t errlen)
{
    (void)argc;
    (void)argv;
    *rank = 0;
    *size = 1;
    snprintf(err, errlen, "--mpi: this proxwatch was built without MPI (install libopenmpi-dev and build again)");
    return SIM_EINVAL;
}

void sim_mpi_finalize(void) {}

int sweep_mpi_rank(void) { return 0; }

void sim_sweep_abandon(void) {}

void sweep_mpi_bye(const char *why) { (void)why; }

int sweep_mpi_master(sweep_plan *pl, const size_t *order, size_t n, char *err, size_t errlen)
{
    (void)pl, (void)order, (void)n;
    snprintf(err, errlen, "this proxwatch was built without MPI");
    return SIM_EINVAL;
}

int sweep_mpi_worker(sweep_plan *pl, char *err, size_t errlen)
{
    (void)pl;
    snprintf(err, errlen, "this proxwatch was built without MPI");
    return SIM_EINVAL;
}

#endif
