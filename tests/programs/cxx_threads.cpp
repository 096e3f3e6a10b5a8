// cxx_threads: the C++ allocation paths (new/delete, new[]/delete[], sized delete, aligned new)
// and standard containers churned by several std::threads, with objects made in one thread and
// destroyed in another. Checks alignment and content everywhere and, with atoll preloaded, that
// small objects and alignas(64) objects are atoll's while alignas(4096) ones are the C library's.
// Exit 0 when all is right.
#include "progcheck.h"

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

constexpr int kThreads = 6;
constexpr int kRounds = 30000;
constexpr std::size_t kSmallMax = 512;  // atoll's default ATOLL_SMALL_MAX

// Every object carries the pattern of (its address, its size, a seed) and checks it when it dies.
template <std::size_t N>
struct Patterned {
    std::uint64_t seed;
    unsigned char bytes[N];

    explicit Patterned(std::uint64_t s) : seed(s) { pc_fill(bytes, N, pc_key(this, N, seed)); }
    Patterned(const Patterned &) = delete;
    Patterned &operator=(const Patterned &) = delete;
    ~Patterned() { check("destroyed"); }
    void check(const char *what) const { pc_verify(what, bytes, N, pc_key(this, N, seed)); }
};

using Small = Patterned<40>;
using Medium = Patterned<700>;

struct alignas(64) Line {
    Patterned<100> body{1};
};

struct alignas(4096) Page {
    Patterned<200> body{2};
};

struct alignas(4096) BigPage {
    Patterned<5000> body{3};
};

// One object of every kind, made by one thread and destroyed by another.
struct Parcel {
    std::unique_ptr<Small> small;
    std::unique_ptr<Medium> medium;
    std::unique_ptr<Line> line;
    std::unique_ptr<Page> page;
    std::unique_ptr<BigPage> big_page;
    std::shared_ptr<std::vector<std::uint64_t>> shared;
    std::map<int, std::string> map;
    std::unordered_map<std::string, std::vector<int>> umap;
    std::uint64_t seed;
};

class Mailbox {
  public:
    void put(std::unique_ptr<Parcel> p)
    {
        std::lock_guard<std::mutex> g(lock_);
        q_.push_back(std::move(p));
    }
    std::unique_ptr<Parcel> take()
    {
        std::lock_guard<std::mutex> g(lock_);
        if (q_.empty())
            return nullptr;
        auto p = std::move(q_.front());
        q_.pop_front();
        return p;
    }

  private:
    std::mutex lock_;
    std::deque<std::unique_ptr<Parcel>> q_;
};

Mailbox boxes[kThreads];

std::string text_for(std::uint64_t seed, int i)
{
    return "value-" + std::to_string(seed) + "-" + std::to_string(i) + std::string(i % 40, 'x');
}

void check_new(const char *what, const void *p, std::size_t align, bool owned)
{
    pc_verify_align(what, p, align);
    pc_verify_owner(what, p, owned);
}

std::unique_ptr<Parcel> make_parcel(std::uint64_t seed)
{
    auto p = std::make_unique<Parcel>();
    p->seed = seed;
    p->small = std::make_unique<Small>(seed);
    check_new("new Small", p->small.get(), 16, true);
    p->medium = std::make_unique<Medium>(seed);
    check_new("new Medium", p->medium.get(), 16, false);
    p->line = std::make_unique<Line>();
    check_new("new alignas(64)", p->line.get(), 64, true);
    p->page = std::make_unique<Page>();
    check_new("new alignas(4096)", p->page.get(), 4096, false);
    p->big_page = std::make_unique<BigPage>();
    check_new("new alignas(4096) of 8 KiB", p->big_page.get(), 4096, false);
    p->shared = std::make_shared<std::vector<std::uint64_t>>();
    for (std::uint64_t i = 0; i < seed % 300; i++)
        p->shared->push_back(seed * 31 + i);
    for (int i = 0; i < static_cast<int>(seed % 50); i++) {
        p->map[i] = text_for(seed, i);
        p->umap[text_for(seed, i)] = std::vector<int>(static_cast<std::size_t>(i), i);
    }
    return p;
}

void check_parcel(const Parcel &p)
{
    p.small->check("received Small");
    p.medium->check("received Medium");
    p.line->body.check("received alignas(64)");
    p.page->body.check("received alignas(4096)");
    p.big_page->body.check("received alignas(4096) of 8 KiB");
    if (p.shared->size() != p.seed % 300)
        pc_fail("shared vector has %zu elements, expected %zu", p.shared->size(),
                static_cast<std::size_t>(p.seed % 300));
    for (std::size_t i = 0; i < p.shared->size(); i++)
        if ((*p.shared)[i] != p.seed * 31 + i)
            pc_fail("shared vector element %zu is wrong", i);
    if (p.map.size() != p.seed % 50 || p.umap.size() != p.seed % 50)
        pc_fail("map sizes %zu and %zu, expected %zu", p.map.size(), p.umap.size(),
                static_cast<std::size_t>(p.seed % 50));
    for (const auto &kv : p.map) {
        if (kv.second != text_for(p.seed, kv.first))
            pc_fail("map value for %d is wrong", kv.first);
        auto it = p.umap.find(kv.second);
        if (it == p.umap.end() ||
            it->second != std::vector<int>(static_cast<std::size_t>(kv.first), kv.first))
            pc_fail("unordered_map value for %d is wrong", kv.first);
    }
}

// new[]/delete[], sized delete and operator new with an explicit alignment, in this thread.
void local_churn(std::uint64_t *rng)
{
    std::size_t n = static_cast<std::size_t>(pc_rand(rng) % 200);
    std::uint32_t *arr = new std::uint32_t[n + 1];
    check_new("new[]", arr, 16, (n + 1) * sizeof *arr <= kSmallMax);
    for (std::size_t i = 0; i <= n; i++)
        arr[i] = static_cast<std::uint32_t>(i * 2654435761u);
    for (std::size_t i = 0; i <= n; i++)
        if (arr[i] != static_cast<std::uint32_t>(i * 2654435761u))
            pc_fail("new[] element %zu is wrong", i);
    delete[] arr;

    // An array of a type with a destructor: new[] adds a count before it, delete[] is sized.
    std::size_t ns = 1 + static_cast<std::size_t>(pc_rand(rng) % 20);
    std::string *strs = new std::string[ns];
    for (std::size_t i = 0; i < ns; i++)
        strs[i] = text_for(ns, static_cast<int>(i));
    for (std::size_t i = 0; i < ns; i++)
        if (strs[i] != text_for(ns, static_cast<int>(i)))
            pc_fail("new[] string %zu is wrong", i);
    delete[] strs;

    std::size_t size = 1 + static_cast<std::size_t>(pc_rand(rng) % 600);
    void *raw = ::operator new(size);
    check_new("operator new", raw, 16, size <= kSmallMax);
    std::uint64_t key = pc_key(raw, size, 7);
    pc_fill(raw, size, key);
    pc_verify("operator new", raw, size, key);
    ::operator delete(raw, size);

    std::size_t align = std::size_t{16} << (pc_rand(rng) % 9);
    size = static_cast<std::size_t>(pc_rand(rng) % 600);
    void *al = ::operator new(size, std::align_val_t(align));
    std::size_t footprint = size ? (size + align - 1) / align * align : align;
    check_new("operator new(align_val_t)", al, align, footprint <= kSmallMax);
    key = pc_key(al, size, 9);
    pc_fill(al, size, key);
    pc_verify("operator new(align_val_t)", al, size, key);
    if (pc_rand(rng) % 2)
        ::operator delete(al, size, std::align_val_t(align));
    else
        ::operator delete(al, std::align_val_t(align));

    std::vector<std::string> strings;
    for (int i = 0; i < static_cast<int>(pc_rand(rng) % 64); i++)
        strings.push_back(text_for(*rng, i));
    strings.resize(strings.size() / 2);
    strings.shrink_to_fit();
}

void worker(int id)
{
    std::uint64_t rng = 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(id + 1);
    for (int round = 0; round < kRounds; round++) {
        local_churn(&rng);
        if (round % 4 == 0)
            boxes[(id + 1 + round / 4 % (kThreads - 1)) % kThreads].put(
                make_parcel(pc_rand(&rng) % 1000));
        if (auto p = boxes[id].take())
            check_parcel(*p);
    }
}

}  // namespace

int main()
{
    pc_expect_init();
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; i++)
        threads.emplace_back(worker, i);
    for (auto &t : threads)
        t.join();
    // What is left was made by threads that have exited.
    int leftover = 0;
    for (auto &box : boxes)
        while (auto p = box.take()) {
            check_parcel(*p);
            leftover++;
        }
    unsigned long bad = pc_failures();
    if (bad) {
        std::fprintf(stderr, "cxx_threads: %lu failures\n", bad);
        return 1;
    }
    std::printf("cxx_threads: %d threads, %d parcels left to main, atoll %s\n", kThreads,
                leftover, pc_atoll_present() ? "present" : "absent");
    return 0;
}
