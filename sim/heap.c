/*
 * heap.c - the simulator's event queue: a binary min-heap on (t, seq).
 *
 * The sequence number makes the order total: two events never compare equal,
 * so the pop order does not depend on the heap's internal layout and a run
 * with the same pushes pops the same events in the same order, always.
 */
#include "sim.h"
#include "pw_grow.h"

#include <stdint.h>
#include <stdlib.h>

const char *sim_strerror(int status)
{
    switch (status) {
    case SIM_OK:
        return "ok";
    case SIM_ENOMEM:
        return "out of memory";
    case SIM_EINVAL:
        return "invalid input";
    case SIM_ERUN:
        return "the run failed";
    case SIM_EEMPTY:
        return "empty";
    default:
        return "unknown status";
    }
}

static int earlier(const sim_event *a, const sim_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int sim_heap_init(sim_heap *h, size_t initial_cap)
{
    h->items = NULL;
    h->n = h->cap = 0;
    h->next_seq = 0;
    return pw_grow((void **)&h->items, &h->cap, initial_cap, sizeof *h->items) == 0 ? SIM_OK : SIM_ENOMEM;
}

void sim_heap_close(sim_heap *h)
{
    free(h->items);
    h->items = NULL;
    h->n = h->cap = 0;
    h->next_seq = 0;
}

int sim_heap_push(sim_heap *h, pw_time_ms t, uint32_t kind, uint32_t index)
{
    if (pw_grow((void **)&h->items, &h->cap, h->n + 1, sizeof *h->items) != 0)
        return SIM_ENOMEM; /* amortised O(1): pw_grow doubles */
    sim_event ev = {.t = t, .seq = h->next_seq++, .kind = kind, .index = index};
    /* Sift up: move parents down into the hole until ev fits. */
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!earlier(&ev, &h->items[parent]))
            break;
        h->items[i] = h->items[parent];
        i = parent;
    }
    h->items[i] = ev;
    return SIM_OK;
}

int sim_heap_pop(sim_heap *h, sim_event *out)
{
    if (h->n == 0)
        return SIM_EEMPTY;
    if (out)
        *out = h->items[0];
    sim_event last = h->items[--h->n];
    size_t n = h->n;
    if (n == 0)
        return SIM_OK;
    /* Sift the last item down from the root: move the earlier child up into
     * the hole until `last` fits. */
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && earlier(&h->items[child + 1], &h->items[child]))
            child++;
        if (!earlier(&h->items[child], &last))
            break;
        h->items[i] = h->items[child];
        i = child;
    }
    h->items[i] = last;
    return SIM_OK;
}

const sim_event *sim_heap_peek(const sim_heap *h)
{
    return h->n ? &h->items[0] : NULL;
}
