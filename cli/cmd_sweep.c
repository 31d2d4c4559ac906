/*
 * cmd_sweep.c - proxwatch sweep: a grid of parameters times seeds.
 */
#include "cli.h"
#include "render.h"
#include "record.h"
#include "sim.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* "300,500,800" -> values; 0 on a malformed list. */
static size_t parse_values(const char *text, double *out, size_t cap)
{
    size_t n = 0;
    const char *p = text;
    while (*p && n < cap) {
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno)
            return 0;
        out[n++] = v;
        if (*end == ',')
            p = end + 1;
        else if (*end == '\0')
            return n;
        else
            return 0;
    }
    return *p ? 0 : n;
}

/* An MPI rank other than 0: the same sweep, its runs as rank 0 hands them
 * out; it writes no file, and tells rank 0 what went wrong. */
static int sweep_worker_rank(const char *path, const sim_sweep_axis *axes, size_t n_axes, uint64_t seeds,
                             uint64_t jobs, double run_timeout)
{
    sim_sweep_spec sp = {.scenario_path = path, .axes = axes, .n_axes = n_axes, .seeds = (int)seeds,
                         .first_seed = 1, .jobs = (int)jobs, .run_timeout_s = run_timeout, .mpi = 1};
    size_t failed = 0;
    char msg[700];
    int rc = sim_sweep(&sp, &failed, msg, sizeof msg);
    (void)rc; /* what went wrong here rank 0 has heard (BYE) and says; a
                 non-zero status would make mpirun abort rank 0's sweep */
    sim_mpi_finalize();
    return 0;
}

int cli_sweep(int argc, char **argv)
{
    enum { MAX_VALUES = 64 };
    static char names[SIM_SWEEP_MAX_AXES][64];
    static double values[SIM_SWEEP_MAX_AXES][MAX_VALUES];
    sim_sweep_axis axes[SIM_SWEEP_MAX_AXES];
    size_t n_axes = 0;
    const char *path = NULL, *out = NULL;
    uint64_t seeds = 10, jobs = (uint64_t)sysconf(_SC_NPROCESSORS_ONLN);
    double run_timeout = SIM_SWEEP_RUN_TIMEOUT_S;
    static const struct option longopts[] = {
        {"set", required_argument, NULL, 'S'},         {"seeds", required_argument, NULL, 'n'},
        {"jobs", required_argument, NULL, 'j'},        {"run-timeout", required_argument, NULL, 'T'},
        {"out", required_argument, NULL, 'o'},         {"list-params", no_argument, NULL, 'L'},
        {"no-pictures", no_argument, NULL, 'P'},       {"help", no_argument, NULL, 'h'},
        {"mpi", no_argument, NULL, 'M'},               {"resume", no_argument, NULL, 'R'},
        {NULL, 0, NULL, 0}};
    int pictures = 1, mpi = 0, resume = 0, jobs_given = 0;
    int c;
    while ((c = cli_next_option(argc, argv, "j:o:h", longopts)) != -1) {
        if (c == 'S') {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || (size_t)(eq - optarg) >= sizeof names[0])
                return cli_usage_error("sweep", "--set '%s': expected NAME=V1,V2,...", optarg);
            if (n_axes == SIM_SWEEP_MAX_AXES)
                return cli_usage_error("sweep", "at most %d --set options", SIM_SWEEP_MAX_AXES);
            memcpy(names[n_axes], optarg, (size_t)(eq - optarg));
            names[n_axes][eq - optarg] = '\0';
            for (size_t k = 0; k < n_axes; k++)
                if (strcmp(names[k], names[n_axes]) == 0)
                    return cli_usage_error("sweep", "--set %s is given twice; list all its values in one "
                                                "(--set %s=V1,V2,...)", names[k], names[k]);
            size_t n = parse_values(eq + 1, values[n_axes], MAX_VALUES);
            if (n == 0)
                return cli_usage_error("sweep", "--set %s: '%s' is not a list of numbers (at most %d)",
                                   names[n_axes], eq + 1, MAX_VALUES);
            axes[n_axes] = (sim_sweep_axis){names[n_axes], values[n_axes], n};
            n_axes++;
        } else if (c == 'n') {
            if (!cli_parse_u64(optarg, &seeds) || seeds < 1 || seeds > 100000)
                return cli_usage_error("sweep", "--seeds: '%s' is not a count from 1 to 100000", optarg);
        } else if (c == 'T') {
            char *end;
            run_timeout = strtod(optarg, &end);
            if (end == optarg || *end || !(run_timeout > 0) || !isfinite(run_timeout))
                return cli_usage_error("sweep", "--run-timeout: '%s' is not a number of seconds above 0", optarg);
        } else if (c == 'j') {
            if (!cli_parse_u64(optarg, &jobs) || jobs < 1 || jobs > 1024)
                return cli_usage_error("sweep", "--jobs: '%s' is not a count from 1 to 1024", optarg);
            jobs_given = 1;
        } else if (c == 'M') {
            mpi = 1;
        } else if (c == 'R') {
            resume = 1;
        } else if (c == 'o') {
            out = optarg;
            if (!cli_out_path_ok("sweep", out))
                return 2;
        } else if (c == 'P') {
            pictures = 0;
        } else if (c == 'L') {
            puts("Parameters every scenario has (times in seconds); a scenario may add its own");
            puts("with param(\"NAME\", default):");
            sim_param_list(stdout);
            return 0;
        } else if (c == 'h') {
            return cli_print_help(stdout, "sweep");
        } else {
            return cli_bad_option("sweep", c, argv);
        }
    }
    if (cli_one_operand("sweep", "scenario", argc, argv, &path) != 0)
        return 2;
    if (!path)
        return cli_usage_error("sweep", "which scenario?");
    int rank = 0, ranks = 1;
    const char *world = getenv("OMPI_COMM_WORLD_SIZE");
    if (!mpi && world && atoi(world) > 1) /* each rank would run the whole sweep into the same folder */
        return cli_usage_error("sweep", "under mpirun, add --mpi (or run proxwatch sweep without mpirun)");
    if (mpi) {
        char merr[300];
        if (sim_mpi_init(&argc, &argv, &rank, &ranks, merr, sizeof merr) != 0)
            return cli_usage_error("sweep", "%s", merr);
        if (!jobs_given)
            jobs = 1; /* a rank a core: mpirun places the ranks */
        if (rank != 0) /* a worker rank: it runs what rank 0 gives it and writes nothing */
            return sweep_worker_rank(path, axes, n_axes, seeds, jobs, run_timeout);
    }
    char dir[512];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        scn_scenario s;
        scn_error err;
        if (scn_load_file(&s, path, NULL, &err) != SCN_OK) {
            fprintf(stderr, "%s\n", err.message);
            if (mpi) { /* the other ranks wait for runs: there are none */
                sim_sweep_abandon();
                sim_mpi_finalize();
            }
            return 2;
        }
        char sl[96];
        cli_slug(s.name, sl, sizeof sl);
        scn_free(&s);
        if (cli_make_runs_dir("sweep") != 0) {
            if (mpi) {
                sim_sweep_abandon();
                sim_mpi_finalize();
            }
            return 1;
        }
        snprintf(dir, sizeof dir, "runs/sweep-%s", sl);
    }
    sim_sweep_spec sp = {.scenario_path = path, .axes = axes, .n_axes = n_axes, .seeds = (int)seeds,
                         .first_seed = 1, .jobs = (int)jobs, .out_dir = dir, .progress = isatty(STDERR_FILENO),
                         .run_timeout_s = run_timeout, .final_dir = dir, .resume = resume, .mpi = mpi};
    size_t grid = 1;
    for (size_t a = 0; a < n_axes; a++)
        grid *= axes[a].n;
    size_t failed = 0;
    char msg[700], stage[600];
    int sst = cli_stage_out("sweep", dir, stage, sizeof stage);
    if (sst != 0) {
        if (mpi) /* the other ranks wait for runs: tell them there are none */
            sim_sweep_abandon();
        sim_mpi_finalize();
        return sst;
    }
    sp.out_dir = stage; /* published whole at the end (record.h) */
    int src = sim_sweep(&sp, &failed, msg, sizeof msg);
    if (src == 0 && pictures) {
        char pdf[700], perr[1024];
        snprintf(pdf, sizeof pdf, "%s/sweep.pdf", stage);
        if (rnd_write_sweep(pdf, stage, perr, sizeof perr) != RND_OK) {
            /* A picture that cannot be drawn costs the picture, not the sweep. */
            fprintf(stderr, "proxwatch sweep: no sweep.pdf: %s\n", perr);
            pictures = 0;
        }
    }
    sim_mpi_finalize();
    int rc = cli_publish(src, stage, dir, msg, sizeof msg);
    if (rc != 0) {
        if (rc == SIM_EINVAL) /* nothing ran: a usage error, said as one */
            return cli_usage_error("sweep", "%s", msg);
        fprintf(stderr, "proxwatch sweep: %s\n", msg);
        return cli_exit_status(rc);
    }
    printf("proxwatch sweep: %s\n", path);
    if (mpi)
        printf("  %zu combinations x %llu seeds = %zu runs, %zu failed, on %d MPI ranks, %llu at a time each\n",
               grid, (unsigned long long)seeds, grid * (size_t)seeds, failed, ranks, (unsigned long long)jobs);
    else
        printf("  %zu combinations x %llu seeds = %zu runs, %zu failed, %llu at a time\n", grid,
               (unsigned long long)seeds, grid * (size_t)seeds, failed, (unsigned long long)jobs);
    printf("written %s/{sweep.csv,sweep.json%s}\n", dir, pictures ? ",sweep.pdf" : "");
    return failed ? 1 : 0;
}
