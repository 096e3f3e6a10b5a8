/* Refcounted C objects declared through atoll_annotate_site: a ring of three obj (48 B), each
 * holding one reference to the next (count 1), dropped while raw pointers to all three stay in
 * a local of the function that exits: a conservative scan calls the ring reachable, the counts
 * say it is a cycle of garbage. One more obj, annotated alone (atoll_annotate), is held by a
 * global but counts 2: an incref without its decref, alive, with a surplus of 1. */
#include "acc.h"

#include <stdint.h>
#include <stdlib.h>

#define ATOLL_WEAK
#include <atoll.h>

struct obj {
    uint64_t refs;
    struct obj *next;
    char payload[32];
};

struct obj *held;

static const struct atoll_layout obj_layout = {
    .refcount_offset = 0, .refcount_width = 8, .no_references = 0, .type = "obj",
};

static NOINLINE struct obj *obj_new(void)
{
    struct obj *o = calloc(1, sizeof *o);
    o->refs = 1;
    return o;
}

static NOINLINE void run(void)
{
    struct obj *volatile stale[3];
    for (int i = 0; i < 3; i++)
        stale[i] = obj_new();
    /* without atoll (Valgrind's run) the program runs unannotated */
    if (atoll_annotate_site && atoll_annotate_site(stale[0], &obj_layout) != 0)
        abort();
    for (int i = 0; i < 3; i++)
        stale[i]->next = stale[(i + 1) % 3];
    held = calloc(1, sizeof *held);
    held->refs = 2;
    if (atoll_annotate &&
        atoll_annotate(held, &(struct atoll_layout){ .refcount_width = 8, .type = "held" }) != 0)
        abort();
    exit(0);
}

int main(void)
{
    run();
    return 0;
}
