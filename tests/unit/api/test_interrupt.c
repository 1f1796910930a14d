/* A system call's deadline (common/interrupt.h): it clips every request's
 * budget, ends waits GS_DEADLINE_GRACE after it, and says ETIMEDOUT where a
 * signal says EINTR. */
#include <errno.h>

#include "common/clock.h"
#include "common/interrupt.h"
#include "tests/unit/check.h"

static void test_no_deadline(void)
{
    int flag = 0;
    gs_interrupt_arm(&flag);
    CHECK(gs_interrupt_clip(gs_now() + 1e6) > gs_now() + 1e5);
    CHECK_INT(gs_interrupt_past_deadline(), 0);
    CHECK_INT(gs_interrupted(), 0);
    flag = 1;
    CHECK_INT(gs_interrupted(), 1);
    CHECK_INT(gs_interrupt_errno(), -EINTR);
    gs_interrupt_arm(NULL);
    CHECK_INT(gs_interrupted(), 0);
}

static void test_deadline_ahead(void)
{
    int flag = 0;
    gs_interrupt_arm(&flag);
    double t = gs_now() + 100;
    gs_interrupt_set_deadline(t);
    CHECK(gs_interrupt_clip(t + 50) == t);
    CHECK(gs_interrupt_clip(t - 50) == t - 50);
    CHECK_INT(gs_interrupt_past_deadline(), 0);
    CHECK_INT(gs_interrupted(), 0);
    gs_interrupt_arm(NULL); /* a new request: no deadline */
    CHECK(gs_interrupt_clip(t + 50) == t + 50);
}

static void test_deadline_passed(void)
{
    int flag = 0;
    gs_interrupt_arm(&flag);
    gs_interrupt_set_deadline(gs_now() - 0.1); /* passed, within the grace */
    CHECK_INT(gs_interrupt_past_deadline(), 1);
    CHECK_INT(gs_interrupted(), 0); /* requests fail at once; waits go on a moment */
    gs_interrupt_set_deadline(gs_now() - GS_DEADLINE_GRACE - 0.1);
    CHECK_INT(gs_interrupted(), 1);
    CHECK_INT(gs_interrupt_errno(), -ETIMEDOUT);
    flag = 1; /* and a signal came too: the caller asked to stop */
    CHECK_INT(gs_interrupt_errno(), -EINTR);
    gs_interrupt_arm(NULL);
}

int main(void)
{
    test_no_deadline();
    test_deadline_ahead();
    test_deadline_passed();
    return check_report("test_interrupt");
}
