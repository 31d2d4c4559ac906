/*
 * pw_grow.h - the one growable-array step every module shares: make room
 * for `need` elements of `size` bytes in *v (capacity *cap), doubling from
 * 16.  Contents are kept; on failure (out of memory, or a size that would
 * overflow size_t) *v and *cap are unchanged and the result is -1.
 *
 *   if (pw_grow((void **)&a, &cap, n + 1, sizeof *a) != 0) return ENOMEM...;
 *   a[n++] = item;
 *
 * Header only.  May include: libc.
 */
#ifndef PW_GROW_H
#define PW_GROW_H

#include <stdint.h>
#include <stdlib.h>

static inline int pw_grow(void **v, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return 0;
    if (size == 0 || need > SIZE_MAX / size)
        return -1;
    size_t nc = *cap ? *cap : 16;
    while (nc < need)
        nc = nc > SIZE_MAX / 2 ? need : nc * 2;
    if (nc > SIZE_MAX / size)
        nc = need;
    void *p = realloc(*v, nc * size);
    if (!p)
        return -1;
    *v = p;
    *cap = nc;
    return 0;
}

#endif /* PW_GROW_H */
