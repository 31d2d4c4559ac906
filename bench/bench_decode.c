/*
 * bench_decode.c - sentences per second of `proxwatch decode` against
 * Debian's gpsdecode (gpsd-clients) on the same large log: every receiver
 * log of tests/data/gpsd concatenated until the file holds about 2 million
 * sentences.  Both run as commands with their output thrown away, timed on
 * the wall clock, three times each; the best of three is reported, and the
 * ratio.  It prints figures; it never fails on time.
 *
 *   bench_decode [--sentences N]
 */
#include <dirent.h>
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

static double best_of_three(const char *cmd)
{
    double best = 1e30;
    for (int i = 0; i < 3; i++) {
        double t0 = now_s();
        if (system(cmd) != 0)
            return -1.0;
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    return best;
}

int main(int argc, char **argv)
{
    long want = 2000000;
    if (argc == 3 && strcmp(argv[1], "--sentences") == 0)
        want = atol(argv[2]);
    else if (argc != 1) {
        fprintf(stderr, "usage: bench_decode [--sentences N]\n");
        return 2;
    }
    /* The receiver logs, read once. */
    char *logs = NULL;
    size_t len = 0;
    long sentences = 0;
    DIR *d = opendir(PW_GPSD_LOGS);
    if (!d) {
        fprintf(stderr, "bench_decode: %s: cannot open\n", PW_GPSD_LOGS);
        return 1;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".log") != 0)
            continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", PW_GPSD_LOGS, de->d_name);
        FILE *f = fopen(path, "rb");
        if (!f)
            continue;
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            if (line[0] == '#')
                continue;
            size_t l = strlen(line);
            char *p = realloc(logs, len + l);
            if (!p) {
                fclose(f);
                return 1;
            }
            logs = p;
            memcpy(logs + len, line, l);
            len += l;
            sentences += line[0] == '$' || line[0] == '!';
        }
        fclose(f);
    }
    closedir(d);
    if (!sentences) {
        fprintf(stderr, "bench_decode: no logs in %s\n", PW_GPSD_LOGS);
        return 1;
    }
    char big[] = "/tmp/pw_bench_decode_XXXXXX";
    int fd = mkstemp(big);
    if (fd < 0)
        return 1;
    FILE *out = fdopen(fd, "wb");
    long total = 0, copies = 0;
    while (total < want) {
        fwrite(logs, 1, len, out);
        total += sentences;
        copies++;
    }
    fclose(out);
    free(logs);
    printf("bench_decode: %ld sentences (%ld copies of the %ld sentences of 30 receiver logs)\n", total, copies,
           sentences);

    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' decode '%s' > /dev/null 2>&1", PW_PROXWATCH, big);
    double ours = best_of_three(cmd);
    if (ours < 0) {
        fprintf(stderr, "bench_decode: proxwatch decode failed\n");
        remove(big);
        return 1;
    }
    printf("proxwatch decode: %.3f s, %.0f sentences per second\n", ours, total / ours);
    if (system("command -v gpsdecode > /dev/null 2>&1") != 0) {
        printf("gpsdecode: not installed (Debian package gpsd-clients); no ratio\n");
        remove(big);
        return 0;
    }
    snprintf(cmd, sizeof cmd, "gpsdecode < '%s' > /dev/null 2>&1", big);
    double theirs = best_of_three(cmd);
    remove(big);
    if (theirs < 0) {
        printf("gpsdecode: failed; no ratio\n");
        return 0;
    }
    printf("gpsdecode:        %.3f s, %.0f sentences per second\n", theirs, total / theirs);
    printf("ratio: %.2f\n", theirs / ours);
    printf("target: 30 times gpsdecode or more\n");
    return 0;
}
