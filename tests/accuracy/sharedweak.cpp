// std::shared_ptr read by its control blocks' own counts. Three pairs A -> B: one whose B holds
// A back strongly (a cycle), two whose B holds A through a weak_ptr (no cycle: one made with
// make_shared, one with new). As is, main still holds every A in a local shared_ptr when the
// process exits (exit() leaves main's frame on the stack): nothing is lost, though each A's only
// reference from the heap is B's, and the weak_ptrs point to the A's control block as well.
// With "drop" the locals go: the strong pair is one leaked cycle, the weak pairs are freed.
#include "acc.h"

#include <cstdlib>
#include <cstring>
#include <memory>

struct Node {
    std::shared_ptr<Node> next;
    std::weak_ptr<Node> back;
    char payload[24] = {};
};

static NOINLINE void pairs(bool drop)
{
    auto strong = std::make_shared<Node>();
    strong->next = std::make_shared<Node>();
    strong->next->next = strong;
    auto weak_inplace = std::make_shared<Node>();
    weak_inplace->next = std::make_shared<Node>();
    weak_inplace->next->back = weak_inplace;
    std::shared_ptr<Node> weak_new(new Node);
    weak_new->next = std::shared_ptr<Node>(new Node);
    weak_new->next->back = weak_new;
    if (!drop)
        exit(0);
}

int main(int argc, char **argv)
{
    pairs(dropping(argc, argv));
    scrub_stack();
    return 0;
}
