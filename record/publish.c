/*
 * publish.c - a run folder is one publication: see record.h.
 */
#define _GNU_SOURCE /* renameat2: swap two folders in one step (Linux) */
#include "record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The files proxwatch writes into an output folder.  A folder that holds
 * anything else is not ours to replace. */
static const char *const outputs[] = {"report.json", "summary.json", "events.jsonl", "run.geojson", "run.gpkg",
                                      "fixes.csv",   "fixes.csv.gz", "events.jsonl.gz", "truth.csv",    "sweep.csv",    "sweep.json",   "sweep.partial.csv", "sweep.id",
                                      "map.png",     "latencies.csv", "incidents.csv", ".runs",      NULL};

static int is_output(const char *name)
{
    size_t n = strlen(name);
    if (n > 5 && !strcmp(name + n - 5, ".part"))
        return 1; /* a file cut short by an older proxwatch */
    /* proxwatch render's own files in a run folder: map.svg, map.pdf,
     * victim.png and its numbered frames victim-0000.png ..., console.png */
    if (!strcmp(name, "map.svg") || !strcmp(name, "map.pdf") || !strcmp(name, "report.pdf") ||
        !strcmp(name, "sweep.pdf") ||
        (!strncmp(name, "victim", 6) && n >= 10 && !strcmp(name + n - 4, ".png")) ||
        (!strncmp(name, "console", 7) && n >= 11 && !strcmp(name + n - 4, ".png")))
        return 1;
    for (const char *const *o = outputs; *o; o++)
        if (!strcmp(name, *o))
            return 1;
    return 0;
}

int rec_dir_replaceable(const char *dir, char *err, size_t errlen)
{
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : (snprintf(err, errlen, "%s: %s", dir, strerror(errno)), -1);
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (!is_output(de->d_name)) {
            snprintf(err, errlen, "%s holds '%s', which proxwatch did not write: not replacing it (give "
                                  "--out an empty or new folder)",
                     dir, de->d_name);
            rc = -1;
            break;
        }
    }
    closedir(d);
    return rc;
}

/* DIR without trailing slashes, and the folder a symlink points to. */
static int target_of(const char *dir, char *out, size_t n)
{
    if (snprintf(out, n, "%s", dir) >= (int)n)
        return -1;
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = '\0';
    struct stat st;
    if (lstat(out, &st) == 0 && S_ISLNK(st.st_mode)) {
        char real[PATH_MAX];
        if (!realpath(out, real) || snprintf(out, n, "%s", real) >= (int)n)
            return -1;
    }
    return 0;
}

/* Stages of proxwatch processes that are gone (a crash, a SIGKILL). */
static void remove_stale_stages(const char *dir)
{
    char parent[PATH_MAX], base[PATH_MAX + 8];
    const char *slash = strrchr(dir, '/');
    snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - dir) : 1, slash ? dir : ".");
    if (slash && slash == dir)
        snprintf(parent, sizeof parent, "/");
    snprintf(base, sizeof base, "%s.part-", slash ? slash + 1 : dir);
    DIR *d = opendir(parent);
    if (!d)
        return;
    struct dirent *de;
    size_t bl = strlen(base);
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, base, bl) != 0)
            continue;
        char *end;
        long pid = strtol(de->d_name + bl, &end, 10);
        if (*end || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
            char path[2 * PATH_MAX + 16];
            snprintf(path, sizeof path, "%s/%s", parent, de->d_name);
            if (!*end && pid > 0)
                rec_remove_tree(path);
        }
    }
    closedir(d);
}

/* DIR's parents (not DIR itself). */
static int make_parents(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path) == 0 || errno == ENOENT ? 0 : -1;
}

int rec_remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* DIR as given -> the folder it names (a symlink's target), which must be
 * one proxwatch may replace.  0, or -1 with the reason in err. */
static int replaceable_target(const char *dir_given, char dir[PATH_MAX], char *err, size_t errlen)
{
    if (target_of(dir_given, dir, PATH_MAX) != 0) {
        snprintf(err, errlen, "%s: cannot resolve the folder", dir_given);
        return -1;
    }
    return rec_dir_replaceable(dir, err, errlen);
}

int rec_stage_dir(const char *dir_given, char *stage, size_t n, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (replaceable_target(dir_given, dir, err, errlen) != 0)
        return -1;
    remove_stale_stages(dir);
    if (snprintf(stage, n, "%s.part-%ld", dir, (long)getpid()) >= (int)n) {
        snprintf(err, errlen, "%s: the path is too long", dir);
        return -1;
    }
    if (make_parents(stage) != 0) {
        snprintf(err, errlen, "%s: cannot create its parent folders: %s", dir, strerror(errno));
        return -1;
    }
    rec_remove_tree(stage); /* left by an earlier run of this process id */
    if (mkdir(stage, 0777) != 0) {
        snprintf(err, errlen, "%s: cannot create: %s", stage, strerror(errno));
        return -1;
    }
    return 0;
}

int rec_publish_dir(const char *stage, const char *dir_given, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    /* Checked again: something may have been put there during the run. */
    if (replaceable_target(dir_given, dir, err, errlen) != 0)
        return -1;
    struct stat st;
    if (lstat(dir, &st) != 0) {
        if (rename(stage, dir) == 0)
            return 0;
        snprintf(err, errlen, "%s: cannot publish: %s", dir, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: exists and is not a folder", dir);
        return -1;
    }
    /* Swap the new folder in and the old one out in one step; the old
     * content then sits at the stage's name and is removed. */
    if (renameat2(AT_FDCWD, stage, AT_FDCWD, dir, RENAME_EXCHANGE) == 0) {
        rec_remove_tree(stage);
        return 0;
    }
    /* A file system without the exchange: old aside, new in, old out. */
    char old[PATH_MAX + 32];
    snprintf(old, sizeof old, "%s.old-%ld", dir, (long)getpid());
    rec_remove_tree(old);
    if (rename(dir, old) != 0) {
        snprintf(err, errlen, "%s: cannot replace: %s", dir, strerror(errno));
        return -1;
    }
    if (rename(stage, dir) != 0) {
        int e = errno;
        rename(old, dir); /* put the old results back */
        snprintf(err, errlen, "%s: cannot publish: %s", dir, strerror(e));
        return -1;
    }
    rec_remove_tree(old);
    return 0;
}

FILE *rec_part_open(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/%s.part", dir, name) >= (int)sizeof path) {
        snprintf(err, errlen, "%s/%s: the path is too long", dir, name);
        return NULL;
    }
    FILE *f = fopen(path, "w");
    if (!f)
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
    return f;
}

int rec_part_close(FILE *f, const char *dir, const char *name, int keep, char *err, size_t errlen)
{
    char part[PATH_MAX], final[PATH_MAX];
    snprintf(part, sizeof part, "%s/%s.part", dir, name);
    snprintf(final, sizeof final, "%s/%s", dir, name);
    int bad = 0, why = 0;
    if (f) {
        errno = 0;
        bad = ferror(f) != 0;
        why = errno;
        if (fclose(f) != 0) {
            bad = 1;
            why = errno;
        }
    }
    if (!keep) {
        remove(part);
        return 0;
    }
    if (bad) {
        snprintf(err, errlen, "%s: cannot write: %s", final, strerror(why ? why : EIO));
        remove(part);
        return -1;
    }
    if (rename(part, final) != 0) {
        snprintf(err, errlen, "%s: cannot publish: %s", final, strerror(errno));
        remove(part);
        return -1;
    }
    return 0;
}

int rec_make_dirs(const char *dir)
{
    if (make_parents(dir) != 0)
        return -1;
    return mkdir(dir, 0777) == 0 || errno == EEXIST ? 0 : -1;
}
