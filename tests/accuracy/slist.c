/* A singly linked list of 10 nodes of 48 bytes, leaked from its head: the head is definitely
 * lost, the 9 others indirectly lost; no cycle. */
#include "acc.h"

#include <stdlib.h>
#include <string.h>

struct item {
    struct item *next;
    char payload[40];
};

static NOINLINE void leak(void)
{
    struct item *head = NULL;
    for (int i = 0; i < 10; i++) {
        struct item *it = malloc(sizeof *it);
        memset(it, 0, sizeof *it);
        it->next = head;
        head = it;
    }
    head = NULL;
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
