/* The layouts of refcounted objects that the snapshot recognises (objects.c drives them). Each
 * runtime's file finds its runtime in the process and, for a dumped block, decides whether it
 * is one of its objects: snap_add_object with the object's count, the words that are no
 * references (snap_object.skip), and snap_claim for the blocks it owns. */
#ifndef ATOLL_LAYOUTS_H
#define ATOLL_LAYOUTS_H

#include "snapshot.h"

/* A fixed-width field of the program's memory, at an address a layout has checked. */
static inline uint32_t word32(uintptr_t a)
{
    return *(const uint32_t *)a;
}

/* A word of the program's memory, at an address a layout has checked (inside a live block, or
 * snap_readable). */
static inline uint64_t word(uintptr_t a)
{
    return *(const uint64_t *)a;
}

struct layout {
    /* Returns 1 when block t (at address, of size bytes) is the runtime's object. */
    int (*classify)(struct snap *s, struct layout *l, uint32_t t, uintptr_t address,
                    uint64_t size);
    /* Optional (labels.c): through snap_label, how the runtime's language spells the
     * references held in block t, which object `owner` is or owns; `runtime` says which
     * OBJECTS records are its. */
    void (*label)(struct snap *s, struct layout *l, uint32_t t, uint32_t owner);
    uint16_t runtime;
};

/* Each returns NULL when its runtime is not in the process. */
struct layout *cpython_layout(struct snap *s);
struct layout *sharedptr_layout(struct snap *s);
struct layout *gobject_layout(struct snap *s);
struct layout *annotated_layout(struct snap *s);

#endif
