// Two std::shared_ptr cycles: two make_shared objects holding each other (one block each,
// control block and object together), and two objects from new holding each other (object and
// control block apart: four blocks, one component).
#include "acc.h"

#include <memory>

struct Node {
    std::shared_ptr<Node> other;
    char payload[40] = {};
};

static NOINLINE void leak_make_shared()
{
    auto a = std::make_shared<Node>();
    auto b = std::make_shared<Node>();
    a->other = b;
    b->other = a;
}

static NOINLINE void leak_new()
{
    std::shared_ptr<Node> a(new Node), b(new Node);
    a->other = b;
    b->other = a;
}

int main()
{
    leak_make_shared();
    leak_new();
    scrub_stack();
    return 0;
}
