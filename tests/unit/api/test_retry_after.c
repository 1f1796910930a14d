/* Retry-After: delay-seconds (fractional too), the three HTTP-date forms, garbage. */
#include <errno.h>
#include <math.h>

#include "api/graph_client.h"
#include "tests/unit/check.h"

/* 1994-11-06T08:49:37Z, the date of RFC 9110's examples */
#define EXAMPLE_TIME 784111777.0

static void expect(const char *value, double now, int want_r, double want)
{
    double got = -123;
    int r = gs_parse_retry_after(value, now, &got);
    if (r != want_r || (r == 0 && fabs(got - want) > 1e-9)) {
        fprintf(stderr, "Retry-After \"%s\": r=%d value=%.6f, want r=%d value=%.6f\n",
                value ? value : "(null)", r, got, want_r, want);
        check_failures++;
    }
}

int main(void)
{
    expect("0", 0, 0, 0);
    expect("120", 0, 0, 120);
    expect("2.128", 0, 0, 2.128);
    expect("0.2", 0, 0, 0.2);
    expect(".5", 0, 0, 0.5);
    expect("3.", 0, 0, 3);
    expect(" 7 ", 0, 0, 7);
    expect("\t1.25", 0, 0, 1.25);

    expect("Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_TIME - 10, 0, 10);
    expect("Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_TIME - 0.5, 0, 0.5);
    expect("Sunday, 06-Nov-94 08:49:37 GMT", EXAMPLE_TIME - 60, 0, 60);
    expect("Sun Nov  6 08:49:37 1994", EXAMPLE_TIME - 1, 0, 1);
    /* a date in the past means now */
    expect("Sun, 06 Nov 1994 08:49:37 GMT", EXAMPLE_TIME + 100, 0, 0);

    expect("", 0, -EINVAL, 0);
    expect("   ", 0, -EINVAL, 0);
    expect("abc", 0, -EINVAL, 0);
    expect("-1", 0, -EINVAL, 0);
    expect("+5", 0, -EINVAL, 0);
    expect("1.2.3", 0, -EINVAL, 0);
    expect("5s", 0, -EINVAL, 0);
    expect("5 6", 0, -EINVAL, 0);
    expect(".", 0, -EINVAL, 0);
    expect("0x10", 0, -EINVAL, 0);
    expect("inf", 0, -EINVAL, 0);
    expect("nan", 0, -EINVAL, 0);
    expect("Sun, 06 Nov 1994 08:49:37 PST", 0, -EINVAL, 0);
    expect("Sun, 32 Nov 1994 08:49:37 GMT", 0, -EINVAL, 0);
    expect("Sun, 06 Foo 1994 08:49:37 GMT", 0, -EINVAL, 0);
    expect("Sun, 06 Nov 1994 25:49:37 GMT", 0, -EINVAL, 0);
    expect("Sun, 06 Nov 1994 08:49:37 GMT trailing", 0, -EINVAL, 0);
    expect(NULL, 0, -EINVAL, 0);
    return check_report("test_retry_after");
}
