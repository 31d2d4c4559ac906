/*
 * publish.c - a run folder is one publication: see record.h.
 */
#define _GNU_SOURCE /* renameat2: swap two folders in one step (Linux) */
#include "record.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int rec_stage_dir(const char *dir, char *stage, size_t n, char *err, size_t errlen)
{
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

int rec_publish_dir(const char *stage, const char *dir, char *err, size_t errlen)
{
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
    char old[1100];
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
