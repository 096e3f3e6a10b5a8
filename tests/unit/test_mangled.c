/* mangled_type_name, the demangler of the snapshot child (shared_ptr control blocks name their
 * managed type with it): the subset it understands, exactly, and a refusal for the rest. */
#include "unit.h"
#include "mangled.h"

#include <string.h>

#define assert_type(mangled, want)                                                  \
    do {                                                                            \
        char out_[64];                                                              \
        size_t n_ = mangled_type_name(mangled, strlen(mangled), out_, sizeof out_);   \
        ck_assert_str_eq(n_ ? out_ : "(refused)", want);                            \
        ck_assert_uint_eq(n_, n_ ? strlen(want) : 0);                               \
    } while (0)

START_TEST(understood)
{
    assert_type("4NodeSaIS0_E", "Node");
    assert_type("P4NodeLN9__gnu_cxx12_Lock_policyE2EE", "Node*");
    assert_type("N2ns4Tree4NodeE", "ns::Tree::Node");
    assert_type("N2ns4TreeIiEE", "ns::Tree<int>");
    assert_type("St6vectorIiSaIiEE", "std::vector<int, std::allocator<int>>");
    assert_type("NSt7__cxx114listIPKcSaIS2_EEE", "(refused)");
    assert_type("PK4Node", "const Node*");
    assert_type("m", "unsigned long");
}
END_TEST

START_TEST(refused)
{
    assert_type("S_", "(refused)");
    assert_type("LN9__gnu_cxx12_Lock_policyE2E", "(refused)");
    assert_type("99Node", "(refused)");
    assert_type("N2ns", "(refused)");
    assert_type("4NodeI", "(refused)");
    assert_type("", "(refused)");
    /* 64 characters and the NUL do not fit in 64 bytes; 62 and the NUL do */
    assert_type("N30aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa30bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbE", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa::bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
    assert_type("N31aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa31bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbE", "(refused)");
}
END_TEST

Suite *mangled_suite(void)
{
    Suite *s = suite_create("mangled");
    TCase *tc = tcase_create("mangled");
    tcase_add_test(tc, understood);
    tcase_add_test(tc, refused);
    suite_add_tcase(s, tc);
    return s;
}
