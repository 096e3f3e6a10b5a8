/* atoll_fmt and atoll_log, the formatting used inside malloc: each conversion, width and zero
 * padding as printf does them, truncation to the buffer, and the one-line log format. */
#include "unit.h"
#include "internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Exact output, exact length, and nothing written past the terminating NUL. */
#define assert_fmt(want, ...)                                         \
    do {                                                                 \
        char buf_[96];                                                   \
        memset(buf_, 'Z', sizeof buf_);                                  \
        size_t n_ = atoll_fmt(buf_, sizeof buf_, __VA_ARGS__);           \
        ck_assert_str_eq(buf_, want);                                    \
        ck_assert_uint_eq(n_, strlen(want));                             \
        ck_assert_int_eq(buf_[strlen(want) + 1], 'Z');                   \
    } while (0)

START_TEST(conversions)
{
    assert_fmt("abc", "%s", "abc");
    assert_fmt("x=-42;", "x=%d;", -42);
    assert_fmt("0", "%d", 0);
    assert_fmt("-2147483648", "%d", INT_MIN);
    assert_fmt("2147483647", "%i", INT_MAX);
    assert_fmt("4294967295", "%u", UINT_MAX);
    assert_fmt("deadbeef", "%x", 0xdeadbeefu);
    assert_fmt("0x1234", "%p", (void *)0x1234);
    assert_fmt("0x7fffffffffff", "%p", (void *)0x7fffffffffffULL);
    assert_fmt("18446744073709551615", "%zu", SIZE_MAX);
    assert_fmt("18446744073709551615", "%llu", ULLONG_MAX);
    assert_fmt("-9223372036854775808", "%ld", LONG_MIN);
    assert_fmt("9223372036854775807", "%lld", LLONG_MAX);
    assert_fmt("ffffffffffffffff", "%lx", ULONG_MAX);
    assert_fmt("x", "%c", 'x');
    assert_fmt("100%", "%d%%", 100);
    assert_fmt("pid 12 at 0xff: ok", "pid %d at %p: %s", 12, (void *)0xff, "ok");
}
END_TEST

START_TEST(null_string)
{
    assert_fmt("[(null)]", "[%s]", (const char *)hide(NULL));
}
END_TEST

START_TEST(width_and_zero_pad)
{
    assert_fmt("   42", "%5d", 42);
    assert_fmt("00042", "%05d", 42);
    assert_fmt("42", "%1d", 42);
    assert_fmt("  -42", "%5d", -42);
    assert_fmt("0000beef", "%08x", 0xbeefu);
    assert_fmt("      1024", "%10zu", (size_t)1024);
    assert_fmt("   ab", "%5s", "ab");
    assert_fmt("abcdefg", "%5s", "abcdefg");
}
END_TEST

/* printf puts the sign before the zeros. */
START_TEST(zero_pad_negative)
{
    assert_fmt("-0042", "%05d", -42);
}
END_TEST

/* Every integer conversion, against the C library's snprintf, over widths and both pads. */
START_TEST(integers_match_snprintf)
{
    static const long long values[] = { 0, 1, -1, 9, 10, -10, 255, 4096, 65535, -65536,
                                        INT_MAX, INT_MIN, LLONG_MAX, LLONG_MIN, 123456789 };
    static const char *const convs[] = { "d", "u", "x", "ld", "lu", "lx", "lld", "llu", "llx",
                                         "zu", "zx" };
    static const unsigned widths[] = { 0, 1, 5, 12, 22 };
    struct tally t = { 0 };
    for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
        for (size_t c = 0; c < sizeof convs / sizeof convs[0]; c++) {
            for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
                for (int zero = 0; zero < 2; zero++) {
                    char f[16], want[64], got[64];
                    if (widths[w])
                        snprintf(f, sizeof f, "%%%s%u%s", zero ? "0" : "", widths[w], convs[c]);
                    else
                        snprintf(f, sizeof f, "%%%s", convs[c]);
                    long long x = values[v];
                    const char *k = convs[c];
                    size_t nw, ng;
#define BOTH(type)                                                     \
    do {                                                               \
        nw = (size_t)snprintf(want, sizeof want, f, (type)x);          \
        ng = atoll_fmt(got, sizeof got, f, (type)x);                   \
    } while (0)
                    if (!strcmp(k, "d"))
                        BOTH(int);
                    else if (!strcmp(k, "u") || !strcmp(k, "x"))
                        BOTH(unsigned);
                    else if (!strcmp(k, "ld"))
                        BOTH(long);
                    else if (!strcmp(k, "lu") || !strcmp(k, "lx"))
                        BOTH(unsigned long);
                    else if (!strcmp(k, "lld"))
                        BOTH(long long);
                    else if (!strcmp(k, "llu") || !strcmp(k, "llx"))
                        BOTH(unsigned long long);
                    else
                        BOTH(size_t);
#undef BOTH
                    tally_check(&t, nw == ng && strcmp(want, got) == 0,
                                "format \"%s\" of %lld: snprintf \"%s\", atoll_fmt \"%s\"", f, x,
                                want, got);
                }
            }
        }
    }
    assert_tally(&t);
}
END_TEST

START_TEST(truncation)
{
    char buf[16];
    memset(buf, 'Z', sizeof buf);
    ck_assert_uint_eq(atoll_fmt(buf, 8, "hello world %d", 12345), 17);
    ck_assert_str_eq(buf, "hello w");
    ck_assert_int_eq(buf[8], 'Z');

    memset(buf, 'Z', sizeof buf);
    ck_assert_uint_eq(atoll_fmt(buf, 4, "%d", 123456), 6);
    ck_assert_str_eq(buf, "123");

    memset(buf, 'Z', sizeof buf);
    ck_assert_uint_eq(atoll_fmt(buf, 6, "%s|%s", "abcd", "efgh"), 9);
    ck_assert_str_eq(buf, "abcd|");

    memset(buf, 'Z', sizeof buf);
    ck_assert_uint_eq(atoll_fmt(buf, 1, "%s", "abc"), 3);
    ck_assert_int_eq(buf[0], '\0');
    ck_assert_int_eq(buf[1], 'Z');

    memset(buf, 'Z', sizeof buf);
    ck_assert_uint_eq(atoll_fmt(buf, 0, "%s", "abc"), 3);
    ck_assert_int_eq(buf[0], 'Z');
}
END_TEST

static size_t log_output(char *got, size_t size, const char *s)
{
    struct capture c;
    capture_begin(&c);
    errno = EDOM;
    atoll_log("x=%d %s", 5, s);
    int e = errno;
    size_t n = capture_end(&c, got, size);
    ck_assert_int_eq(e, EDOM);
    return n;
}

START_TEST(log_line)
{
    char got[1024];
    ck_assert_uint_eq(log_output(got, sizeof got, "y"), 13);
    ck_assert_str_eq(got, "atoll: x=5 y\n");
}
END_TEST

/* A line longer than the 512-byte buffer is cut, and still ends with its newline. */
START_TEST(log_line_truncated)
{
    char got[1024], s[600], want[512];
    memset(s, 'a', sizeof s - 1);
    s[sizeof s - 1] = '\0';
    size_t n = log_output(got, sizeof got, s);
    ck_assert_uint_eq(n, 511);
    snprintf(want, sizeof want, "atoll: x=5 %.*s\n", 499, s);
    ck_assert_str_eq(got, want);
}
END_TEST

Suite *fmt_suite(void)
{
    Suite *s = suite_create("fmt");
    TCase *tc = tcase_create("fmt");
    tcase_add_test(tc, conversions);
    tcase_add_test(tc, null_string);
    tcase_add_test(tc, width_and_zero_pad);
    tcase_add_test(tc, zero_pad_negative);
    tcase_add_test(tc, integers_match_snprintf);
    tcase_add_test(tc, truncation);
    tcase_add_test(tc, log_line);
    tcase_add_test(tc, log_line_truncated);
    suite_add_tcase(s, tc);
    return s;
}
