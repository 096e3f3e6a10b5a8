/* GObjects read by their own counts. Two pairs of AccNode: a1 and b1 hold references to each
 * other through g_object_set_data_full (a cycle); a2 holds b2 that way, and b2 watches a2
 * through g_object_weak_ref (no reference). As is, main still holds a1 and a2 when the process
 * exits (exit() leaves main's frame on the stack): nothing is lost, though a1's only reference
 * from the heap is b1's, and a2's weak-reference record points to a2 too. With "drop" main lets
 * go of them: the first pair is one leaked cycle of two AccNodes, the second is freed. */
#include "acc.h"

#include <glib-object.h>
#include <stdlib.h>

#define ACC_TYPE_NODE (acc_node_get_type())
G_DECLARE_FINAL_TYPE(AccNode, acc_node, ACC, NODE, GObject)

struct _AccNode {
    GObject parent;
    char payload[40];
};

G_DEFINE_TYPE(AccNode, acc_node, G_TYPE_OBJECT)

static void acc_node_class_init(AccNodeClass *klass)
{
    (void)klass;
}

static void acc_node_init(AccNode *self)
{
    (void)self;
}

static void watched_gone(gpointer data, GObject *where)
{
    (void)data;
    (void)where;
}

static NOINLINE void pairs(int drop)
{
    AccNode *a1 = g_object_new(ACC_TYPE_NODE, NULL), *b1 = g_object_new(ACC_TYPE_NODE, NULL);
    g_object_set_data_full(G_OBJECT(a1), "peer", g_object_ref(b1), g_object_unref);
    g_object_set_data_full(G_OBJECT(b1), "peer", g_object_ref(a1), g_object_unref);
    g_object_unref(b1);
    AccNode *a2 = g_object_new(ACC_TYPE_NODE, NULL), *b2 = g_object_new(ACC_TYPE_NODE, NULL);
    g_object_set_data_full(G_OBJECT(a2), "peer", g_object_ref(b2), g_object_unref);
    g_object_weak_ref(G_OBJECT(a2), watched_gone, b2);
    g_object_unref(b2);
    if (!drop)
        exit(0);
    g_object_unref(a1);
    g_object_unref(a2);
}

int main(int argc, char **argv)
{
    pairs(dropping(argc, argv));
    scrub_stack();
    return 0;
}
