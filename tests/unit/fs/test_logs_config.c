/* log_window=, log_poll= and log_rate=: defaults, units, and refusals with a reason. */
#include <errno.h>

#include "fs/views/logs/logs.h"
#include "tests/unit/check.h"

static int parse(const char *w, const char *p, const char *r, struct gs_logs_config *c)
{
    char why[160] = "";
    int rc = gs_logs_config_parse(w, p, r, 12, c, why, sizeof(why));
    CHECK(rc == 0 ? why[0] == '\0' : why[0] != '\0');
    return rc;
}

int main(void)
{
    struct gs_logs_config c;
    CHECK_INT(parse(NULL, NULL, NULL, &c), 0);
    CHECK(c.window == 86400 && c.poll == 30 && c.rate_limit == 5 && c.rate_window == 10 && c.wait == 12);
    CHECK_INT(parse("90", "5s", "10/1", &c), 0);
    CHECK(c.window == 90 && c.poll == 5 && c.rate_limit == 10 && c.rate_window == 1);
    CHECK_INT(parse("15m", "1m", "5/10s", &c), 0);
    CHECK(c.window == 900 && c.poll == 60 && c.rate_window == 10);
    CHECK_INT(parse("7d", "2h", "1/1h", &c), 0);
    CHECK(c.window == 7 * 86400.0 && c.poll == 7200 && c.rate_window == 3600);
    CHECK_INT(parse("31d", NULL, NULL, &c), -EINVAL);    /* Graph keeps 30 days */
    CHECK_INT(parse("0", NULL, NULL, &c), -EINVAL);
    CHECK_INT(parse("24x", NULL, NULL, &c), -EINVAL);
    CHECK_INT(parse("24hh", NULL, NULL, &c), -EINVAL);
    CHECK_INT(parse(NULL, "0.5", NULL, &c), -EINVAL);    /* at least a second */
    CHECK_INT(parse(NULL, NULL, "5", &c), -EINVAL);
    CHECK_INT(parse(NULL, NULL, "0/10", &c), -EINVAL);
    CHECK_INT(parse(NULL, NULL, "5/0", &c), -EINVAL);
    CHECK_INT(parse(NULL, NULL, "/10", &c), -EINVAL);
    return check_report("test_logs_config");
}
