/* A ring of two 64-byte blocks; one holds a complete binary tree of 7 24-byte nodes, which the
 * cycle retains (dominates). The other shares a 32-byte block with a separately leaked 48-byte
 * block: that one is reachable from two leak roots, so the cycle does not retain it. */
#include "acc.h"

#include <stdlib.h>
#include <string.h>

struct member {
    struct member *next;
    void *child;
    void *shared;
    char payload[40];
};

struct tnode {
    struct tnode *left, *right;
    long value;
};

static NOINLINE struct tnode *tree(int depth)
{
    if (depth == 0)
        return NULL;
    struct tnode *t = malloc(sizeof *t);
    t->value = depth;
    t->left = tree(depth - 1);
    t->right = tree(depth - 1);
    return t;
}

static NOINLINE void leak(void)
{
    struct member *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    memset(a, 0, sizeof *a);
    memset(b, 0, sizeof *b);
    a->next = b;
    b->next = a;
    a->child = tree(3);
    void *shared = calloc(1, 32);
    b->shared = shared;
    void **other = calloc(1, 48);
    other[0] = shared;
    a = b = NULL;
    shared = other = NULL;
}

int main(void)
{
    leak();
    scrub_stack();
    return 0;
}
