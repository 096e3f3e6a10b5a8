// C++ stacks: templates, std::function, containers growing, and exceptions (their objects
// are allocated by the C++ runtime, under the unwinder's own frames when thrown).
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "stacks.h"

namespace {

template <int N> struct Nest {
    static size_t run(int round)
    {
        return Nest<N - 1>::run(round) + 1;
    }
};

template <> struct Nest<0> {
    static size_t run(int round)
    {
        std::vector<std::string> v;
        for (int i = 0; i < 4; i++)
            v.push_back(std::string(40 + round % 7, 'x'));
        std::map<int, std::unique_ptr<int>> m;
        m[round] = std::make_unique<int>(round);
        return v.size() + m.size();
    }
};

[[gnu::noinline]] void thrower(int round)
{
    if (round % 3 == 0)
        throw std::runtime_error(std::string(30, 'e'));
}

} // namespace

void stacks_cxx_work(int round)
{
    std::function<size_t(int)> f = [](int r) { return Nest<6>::run(r); };
    f(round);
    try {
        thrower(round);
    } catch (const std::exception &e) {
        std::string copy = e.what();
        (void)copy;
    }
}
