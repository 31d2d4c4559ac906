/*
 * bench_sweep.c - the speed-up of a sweep's workers: a 20-run sweep
 * (regional_day.lua, 2 alarm radii x 10 seeds, nothing recorded) run by
 * `proxwatch sweep` with 1 fork worker and with 2, and under Open MPI with
 * `mpirun -n 1 ... --mpi` and `-n 2`.  Each is timed on the wall clock, the
 * best of two; it prints the times and `ratio:` (1 worker's time / 2
 * workers') for fork workers and for MPI.  A machine with one core cannot
 * show a speed-up.  It prints figures; it never fails on time.  Its files
 * go under a temporary folder, removed at the end.
 *
 *   bench_sweep
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double best_of_two(const char *cmd)
{
    double best = 1e30;
    for (int i = 0; i < 2; i++) {
        double t0 = now_s();
        if (system(cmd) != 0) {
            fprintf(stderr, "bench_sweep: failed: %s\n", cmd);
            return -1.0;
        }
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

int main(void)
{
    const char *tmp = getenv("TMPDIR");
    char tdir[512];
    snprintf(tdir, sizeof tdir, "%s/pw-bench-sweep-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *d = mkdtemp(tdir);
    if (!d) {
        perror("bench_sweep: mkdtemp");
        return 1;
    }
    const char *args = "--set alarm_radius=300,500 --seeds 10 --no-pictures";
    char cmd[2048];
    double t[4];
    /* fork workers */
    for (int j = 1; j <= 2; j++) {
        snprintf(cmd, sizeof cmd, "%s sweep %s %s --jobs %d --out %s/fork%d > /dev/null 2>&1", PW_PROXWATCH,
                 PW_BENCH_SCENARIO, args, j, d, j);
        t[j - 1] = best_of_two(cmd);
    }
    /* MPI ranks, one worker each (as root, Open MPI must be told it may) */
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    for (int n = 1; n <= 2; n++) {
        snprintf(cmd, sizeof cmd, "mpirun -n %d --oversubscribe %s sweep %s %s --mpi --out %s/mpi%d > /dev/null 2>&1",
                 n, PW_PROXWATCH, PW_BENCH_SCENARIO, args, d, n);
        t[1 + n] = best_of_two(cmd);
    }
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("bench_sweep: 20 runs of %s (%ld cores)\n", strrchr(PW_BENCH_SCENARIO, '/') + 1, cores);
    printf("  fork workers:  1: %.2f s   2: %.2f s\n", t[0], t[1]);
    printf("  mpirun ranks:  1: %.2f s   2: %.2f s\n", t[2], t[3]);
    if (t[0] > 0 && t[1] > 0)
        printf("ratio: %.2f (fork workers, 1 over 2)\n", t[0] / t[1]);
    if (t[2] > 0 && t[3] > 0)
        printf("ratio: %.2f (MPI ranks, 1 over 2)\n", t[2] / t[3]);
    snprintf(cmd, sizeof cmd, "rm -rf %s", d);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_sweep: could not remove %s\n", d);
    return 0;
}
