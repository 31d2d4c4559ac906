/*
 * sweep_mpi.c - a sweep's runs spread over MPI ranks (Open MPI), so that a
 * sweep can use a cluster: rank 0 hands out run indices (largest first)
 * to any rank that asks, runs its own share in its fork workers while it
 * waits, and takes every other rank's rows; the other ranks run what they
 * are given in their fork workers and send each row back.  Rows are small
 * text lines, so the nodes need no shared file system.  See sim.h.
 *
 * Messages (tags): ASK (a rank wants a run: no payload), RUN (rank 0's
 * answer: the run index, or -1 for no more), ROW ("K\nROW": run K's row).
 * Without MPI in the build, sim_mpi_init says so and nothing here runs.
 */
#include "sweep_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef PW_HAVE_MPI
#include <mpi.h>

enum { TAG_ASK = 1, TAG_RUN = 2, TAG_ROW = 3 };

static int mpi_rank, mpi_size = 1, mpi_up;

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

static int ended_ranks;     /* ranks rank 0 has told there is no more */
static size_t *by_rank;     /* rows each rank delivered (rank 0: its own) */

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

/* Every message waiting: questions answered, rows written. */
static void master_poll(void *ctx)
{
    master_ctx *c = ctx;
    int flag;
    MPI_Status st;
    while (!c->failed && MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &st) == MPI_SUCCESS &&
           flag) {
        if (st.MPI_TAG == TAG_ASK) {
            MPI_Recv(NULL, 0, MPI_BYTE, st.MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            long long k = c->next < c->n ? (long long)c->order[c->next++] : -1;
            ended_ranks += k < 0;
            MPI_Send(&k, 1, MPI_LONG_LONG, st.MPI_SOURCE, TAG_RUN, MPI_COMM_WORLD);
        } else if (st.MPI_TAG == TAG_ROW) {
            int len;
            MPI_Get_count(&st, MPI_CHAR, &len);
            char *buf = malloc((size_t)len + 1);
            if (!buf) {
                snprintf(c->err, c->errlen, "out of memory for a row from rank %d", st.MPI_SOURCE);
                c->failed = 1;
                return;
            }
            MPI_Recv(buf, len, MPI_CHAR, st.MPI_SOURCE, TAG_ROW, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            buf[len] = '\0';
            char *nl = strchr(buf, '\n');
            char *end;
            unsigned long long k = strtoull(buf, &end, 10);
            if (nl && end == nl && k < c->pl->runs) {
                char path[800];
                sweep_row_path(c->pl, (size_t)k, path, sizeof path);
                FILE *f = fopen(path, "w");
                if (f) {
                    fputs(nl + 1, f);
                    if (fclose(f) == 0) {
                        sweep_note_done(c->pl, (size_t)k);
                        if (by_rank)
                            by_rank[st.MPI_SOURCE]++;
                    }
                }
            }
            free(buf);
        } else { /* not ours: take it off the line */
            MPI_Recv(NULL, 0, MPI_BYTE, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        }
    }
}

static int master_finished(void *ctx)
{
    master_ctx *c = ctx;
    int size = mpi_size;
    return c->failed || (ended_ranks >= size - 1 && c->pl->n_done == c->pl->runs);
}

/* Rank 0 gives up (bad input, a failure): every other rank that asks is
 * told there is no more, and rows still coming are dropped, until all
 * have been told, so that no rank waits for ever. */
void sim_sweep_abandon(void)
{
    if (!mpi_up || mpi_rank != 0)
        return;
    while (ended_ranks < mpi_size - 1) {
        MPI_Status st;
        MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_ASK) {
            MPI_Recv(NULL, 0, MPI_BYTE, st.MPI_SOURCE, TAG_ASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            long long none = -1;
            MPI_Send(&none, 1, MPI_LONG_LONG, st.MPI_SOURCE, TAG_RUN, MPI_COMM_WORLD);
            ended_ranks++;
        } else {
            int len;
            MPI_Get_count(&st, MPI_CHAR, &len);
            char *buf = malloc(len > 0 ? (size_t)len : 1);
            MPI_Recv(buf, len, MPI_CHAR, st.MPI_SOURCE, st.MPI_TAG, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            free(buf);
        }
    }
}

int sweep_mpi_master(sweep_plan *pl, const size_t *order, size_t n, char *err, size_t errlen)
{
    master_ctx c = {pl, order, n, 0, 0, err, errlen};
    sweep_pool_ops ops = {&c, master_take, master_ready, master_poll, master_finished};
    by_rank = calloc((size_t)mpi_size, sizeof *by_rank);
    int rc = sweep_pool(pl, pl->sp->jobs, &ops, err, errlen);
    if (rc || c.failed) {
        c.next = c.n; /* nothing more for anyone */
        sim_sweep_abandon();
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

typedef struct worker_ctx {
    sweep_plan *pl;
    int failed;
} worker_ctx;

static size_t worker_take(void *ctx)
{
    (void)ctx;
    long long k;
    MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
    MPI_Recv(&k, 1, MPI_LONG_LONG, 0, TAG_RUN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    return k < 0 ? SWEEP_END : (size_t)k;
}

/* The row goes to rank 0; the file here goes. */
static int worker_ready(void *ctx, size_t run)
{
    worker_ctx *c = ctx;
    char path[800], buf[8300];
    sweep_row_path(c->pl, run, path, sizeof path);
    int n = snprintf(buf, sizeof buf, "%zu\n", run);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf + n, (int)sizeof buf - n, f))
        snprintf(buf + n, sizeof buf - (size_t)n, "failed,the worker on another rank left no result\n");
    if (f)
        fclose(f);
    remove(path);
    MPI_Send(buf, (int)strlen(buf), MPI_CHAR, 0, TAG_ROW, MPI_COMM_WORLD);
    return 0;
}

static int worker_finished(void *ctx)
{
    (void)ctx;
    return 1;
}

void sweep_mpi_refuse(const char *why)
{
    if (!mpi_up || mpi_rank == 0)
        return;
    for (;;) { /* rank 0 must still hear that this rank is done: ask until told */
        long long k;
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
        MPI_Recv(&k, 1, MPI_LONG_LONG, 0, TAG_RUN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (k < 0)
            break;
        char row[400];
        int n = snprintf(row, sizeof row, "%lld\nfailed,rank %d %s\n", k, mpi_rank, why);
        MPI_Send(row, n, MPI_CHAR, 0, TAG_ROW, MPI_COMM_WORLD);
    }
}

int sweep_mpi_worker(sweep_plan *pl, char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(pl->row_dir, sizeof pl->row_dir, "%s/proxwatch-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(pl->row_dir)) {
        snprintf(err, errlen, "rank %d: cannot make a folder for its rows (%s): %s", mpi_rank, pl->row_dir,
                 strerror(errno));
        sweep_mpi_refuse("could not make a folder for its rows");
        return SIM_ERUN;
    }
    worker_ctx c = {pl, 0};
    sweep_pool_ops ops = {&c, worker_take, worker_ready, NULL, worker_finished};
    int rc = sweep_pool(pl, pl->sp->jobs, &ops, err, errlen);
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

void sweep_mpi_refuse(const char *why) { (void)why; }

int sweep_mpi_master(sweep_plan *pl, const size_t *order, size_t n, char *err, size_t errlen)
{
    (void)pl, (void)order, (void)n;
    snprintf(err, errlen, "this proxwatch was built without MPI");
    return SIM_EINVAL;
}

void sweep_mpi_refuse(const char *why)
{
    if (!mpi_up || mpi_rank == 0)
        return;
    for (;;) { /* rank 0 must still hear that this rank is done: ask until told */
        long long k;
        MPI_Send(NULL, 0, MPI_BYTE, 0, TAG_ASK, MPI_COMM_WORLD);
        MPI_Recv(&k, 1, MPI_LONG_LONG, 0, TAG_RUN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (k < 0)
            break;
        char row[400];
        int n = snprintf(row, sizeof row, "%lld\nfailed,rank %d %s\n", k, mpi_rank, why);
        MPI_Send(row, n, MPI_CHAR, 0, TAG_ROW, MPI_COMM_WORLD);
    }
}

int sweep_mpi_worker(sweep_plan *pl, char *err, size_t errlen)
{
    (void)pl;
    snprintf(err, errlen, "this proxwatch was built without MPI");
    return SIM_EINVAL;
}

#endif
