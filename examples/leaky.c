/* A bundled program for atoll's demo: it leaks a block, a linked list, and a ring of nodes
 * (an isolated cycle, which LeakSanitizer would call a pile of "indirect" leaks), and keeps
 * one list alive through a global, which is not a leak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
    struct node *next;
    char name[24];
};

struct node *kept;

static struct node *node_new(const char *name, struct node *next)
{
    struct node *n = malloc(sizeof *n);
    n->next = next;
    snprintf(n->name, sizeof n->name, "%s", name);
    return n;
}

static void make_ring(int len)
{
    struct node *first = node_new("ring", NULL), *last = first;
    for (int i = 1; i < len; i++)
        last = last->next = node_new("ring", NULL);
    last->next = first;
}

int main(void)
{
    char *lost = strdup("a single leaked string");
    lost = NULL;
    struct node *list = NULL;
    for (int i = 0; i < 5; i++)
        list = node_new("list", list);
    list = NULL;
    for (int i = 0; i < 100; i++)
        make_ring(3);
    kept = node_new("kept", node_new("kept", NULL));
    puts("leaky: done");
    return (int)(lost != NULL);
}
