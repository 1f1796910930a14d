/* Assertion helpers for the C unit tests (api, auth, fs): every failed check
 * is printed with what was expected, and check_report makes the test exit
 * non-zero at the end. (The cache tests abort at the first failure instead:
 * tests/unit/cache/fake.h.) */
#ifndef GS_TEST_CHECK_H
#define GS_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

#define CHECK(cond)                                                                  \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_INT(got, want)                                                         \
    do {                                                                             \
        long long g_ = (long long)(got), w_ = (long long)(want);                     \
        if (g_ != w_) {                                                              \
            fprintf(stderr, "%s:%d: %s is %lld, want %lld\n", __FILE__, __LINE__,    \
                    #got, g_, w_);                                                   \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

#define CHECK_STR(got, want)                                                         \
    do {                                                                             \
        const char *g_ = (got), *w_ = (want);                                        \
        if (!g_ || !w_ ? g_ != w_ : strcmp(g_, w_) != 0) {                           \
            fprintf(stderr, "%s:%d: %s is\n  \"%s\"\nwant\n  \"%s\"\n", __FILE__,    \
                    __LINE__, #got, g_ ? g_ : "(null)", w_ ? w_ : "(null)");         \
            check_failures++;                                                        \
        }                                                                            \
    } while (0)

static inline int check_report(const char *name)
{
    if (check_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", name, check_failures);
        return 1;
    }
    printf("%s: all checks passed\n", name);
    return 0;
}

#endif
