/* Log levels and the shape of a log line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "tests/unit/check.h"

static void test_parse(void)
{
    static const struct {
        const char *s;
        int r;
        enum gs_log_level level;
    } cases[] = {
        {"error", 0, GS_LOG_ERROR}, {"warn", 0, GS_LOG_WARN},   {"warning", 0, GS_LOG_WARN},
        {"info", 0, GS_LOG_INFO},   {"debug", 0, GS_LOG_DEBUG}, {"0", 0, GS_LOG_ERROR},
        {"3", 0, GS_LOG_DEBUG},     {"4", -EINVAL, 0},          {"-1", -EINVAL, 0},
        {"", -EINVAL, 0},           {"verbose", -EINVAL, 0},    {"22", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        enum gs_log_level level = (enum gs_log_level)99;
        int r = gs_log_parse_level(cases[i].s, &level);
        CHECK_INT(r, cases[i].r);
        if (r == 0)
            CHECK_INT(level, cases[i].level);
    }
    enum gs_log_level level;
    CHECK_INT(gs_log_parse_level(NULL, &level), -EINVAL);
}

/* Runs the logging calls with stderr sent to a file; returns what was written. */
static void capture(char *out, size_t cap)
{
    fflush(stderr);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (!f)
        return;
    int saved = dup(2);
    dup2(fileno(f), 2);

    gs_log_set_level(GS_LOG_WARN);
    gs_warn("disk %s at %d%%", "sda", 91);
    gs_error_log("plain");
    gs_info("hidden at warn");
    gs_debug("hidden too");
    gs_log_set_level(GS_LOG_DEBUG);
    gs_debug("now shown %ld", 7L);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

int main(void)
{
    test_parse();
    gs_log_set_level(GS_LOG_INFO);
    CHECK_INT(gs_log_get_level(), GS_LOG_INFO);
    char text[1024];
    capture(text, sizeof(text));
    CHECK_STR(text, "graphsyncfs: warning: disk sda at 91%\n"
                    "graphsyncfs: error: plain\n"
                    "graphsyncfs: debug: now shown 7\n");
    /* out-of-range levels are clamped */
    gs_log_set_level((enum gs_log_level)42);
    CHECK_INT(gs_log_get_level(), GS_LOG_DEBUG);
    return check_report("test_log");
}
