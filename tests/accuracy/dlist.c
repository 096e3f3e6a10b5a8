/* A doubly linked list of 8 nodes of 40 bytes (not circular), leaked: next and prev make all 8
 * one strongly connected component, a single complex cycle with 14 internal references. */
#include "acc.h"

#include <stdlib.h>
#include <string.h>

struct dnode {
    struct dnode *next, *prev;
    char payload[24];
};

static NOINLINE void leak(void)
{
    struct dnode *tail = NULL;
    for (int i = 0; i < 8; i++) {
        struct dnode *n = malloc(sizeof *n);
        memset(n, 0, sizeof *n);
        n->prev = tail;
        if (tail)
            tail->next = n;
        tail = n;
    }
    tail = NULL;
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
