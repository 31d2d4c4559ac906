/*
 * sweep_internal.h - what the sweep's files share: the plan of a sweep
 * (its runs, their cost, which are done), the pool of forked workers that
 * runs them, and the rows they leave.
 *   sweep.c       parameters, the plan, collecting sweep.csv and sweep.json
 *   sweep_pool.c  the fork pool, one machine's scheduling, resume and
 *                 checkpoints (sweep.partial.csv)
 *   sweep_mpi.c   the same runs spread over MPI ranks
 * Not for other modules: they see sim.h.
 */
#ifndef PW_SWEEP_INTERNAL_H
#define PW_SWEEP_INTERNAL_H

#include "sim.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* A run is (grid point, seed): run k is grid point k / seeds, seed
 * first_seed + k % seeds.  Its row is one line: "ok,V1,V2,..." (the
 * report's fields, %.9g) or "failed,REASON". */
typedef struct sweep_plan {
    const sim_sweep_spec *sp;
    size_t grid, runs;
    double *cost;                /* per grid point: actors x hours, for largest first */
    unsigned char *done;         /* per run: its row is in row_dir */
    size_t n_done;
    char row_dir[700];           /* out_dir/.runs (rank 0), or a private folder */
    uint64_t digest;             /* the sweep: scenario file, parameters, seeds, limit, version */
    uint64_t scenario_digest;    /* what resume must match: scenario file, parameter names, version */
    double t0, last_progress, last_checkpoint;
} sweep_plan;

#define SWEEP_END ((size_t)-1)

/* The pool's questions to its scheduler. */
typedef struct sweep_pool_ops {
    void *ctx;
    size_t (*take)(void *ctx);                       /* the next run, or SWEEP_END */
    int (*ready)(void *ctx, size_t run);             /* its row is in row_dir: 0, or a SIM_ status */
    void (*poll)(void *ctx);                         /* each turn while waiting (may be NULL) */
    int (*finished)(void *ctx);                      /* nothing more will come (take said END) */
} sweep_pool_ops;

/* Run what ops->take gives in at most `jobs` forked workers, each with
 * the sweep's time limit, until take says SWEEP_END, every worker has
 * ended and ops->finished says so.  0, or a SIM_ status with err. */
int sweep_pool(sweep_plan *pl, int jobs, const sweep_pool_ops *ops, char *err, size_t errlen);

/* Load the scenario for grid point g and seed (sweep.c).  0 or SIM_EINVAL. */
int sweep_load_point(const sim_sweep_spec *sp, size_t g, uint64_t seed, scn_scenario *s, char *err, size_t errlen);
/* The path of run k's row. */
void sweep_row_path(const sweep_plan *pl, size_t k, char *buf, size_t n);
/* Grid point g's value on axis a. */
double sweep_axis_value(const sim_sweep_spec *sp, size_t g, size_t a);
/* sweep.csv's header line (with its newline). */
void sweep_csv_header(FILE *f, const sim_sweep_spec *sp);
/* Run k's line of sweep.csv from its row text; *ok and vals[nf] filled
 * when it is a whole "ok" row.  The reason of a failed one into why. */
void sweep_csv_row(FILE *f, const sim_sweep_spec *sp, size_t k, const char *row, double *vals, int *ok, char *why,
                   size_t why_n);

/* Runs not done, largest first (ties in run order); their count. */
size_t sweep_order(const sweep_plan *pl, size_t *order);
/* A run's row arrived: count it, show progress, checkpoint. */
void sweep_note_done(sweep_plan *pl, size_t k);
/* With spec.resume: the "ok" rows of final_dir's sweep.csv and
 * sweep.partial.csv become rows in row_dir and are marked done.  0, or
 * SIM_EINVAL when those files belong to another sweep (err says which and
 * why). */
int sweep_resume(sweep_plan *pl, char *err, size_t errlen);
/* DIR/sweep.id: whose rows the folder holds (scenario_digest). */
int sweep_write_id(const sweep_plan *pl, const char *dir, char *err, size_t errlen);
/* One machine: the runs in order, in the fork pool. */
int sweep_local(sweep_plan *pl, const size_t *order, size_t n, char *err, size_t errlen);

/* MPI (sweep_mpi.c): this process's rank (0 without MPI); rank 0 hands
 * out `order` and gathers rows; the others run what they are given. */
int sweep_mpi_rank(void);
int sweep_mpi_master(sweep_plan *pl, const size_t *order, size_t n, char *err, size_t errlen);
int sweep_mpi_worker(sweep_plan *pl, char *err, size_t errlen);
/* A worker rank that cannot run anything tells rank 0 why (with its host)
 * and asks for nothing. */
void sweep_mpi_bye(const char *why);

#endif /* PW_SWEEP_INTERNAL_H */
