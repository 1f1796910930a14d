/* log_window=, log_poll= and log_rate= (man page, OPTIONS). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/views/logs/logs.h"

/* "90", "90s", "15m", "24h", "7d" -> seconds (> 0). */
static int parse_duration(const char *s, double *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || !(v > 0))
        return -EINVAL;
    double unit = 1;
    if (*end == 'm')
        unit = 60;
    else if (*end == 'h')
        unit = 3600;
    else if (*end == 'd')
        unit = 86400;
    else if (*end != 's' && *end != '\0')
        return -EINVAL;
    if (*end && end[1] != '\0')
        return -EINVAL;
    *out = v * unit;
    return 0;
}

int gs_logs_config_parse(const char *window, const char *poll, const char *rate, double wait,
                         struct gs_logs_config *out, char *why, size_t why_len)
{
    *out = (struct gs_logs_config){.window = 86400, .poll = 30, .rate_limit = 5, .rate_window = 10,
                                   .wait = wait > 0 ? wait : 30};
    if (window && (parse_duration(window, &out->window) != 0 || out->window > 30 * 86400.0)) {
        snprintf(why, why_len, "log_window=%s: a duration up to 30d (Graph keeps 30 days), e.g. 24h", window);
        return -EINVAL;
    }
    if (poll && (parse_duration(poll, &out->poll) != 0 || out->poll < 1)) {
        snprintf(why, why_len, "log_poll=%s: a duration of at least 1 s, e.g. 30s", poll);
        return -EINVAL;
    }
    if (rate) {
        char *end = NULL;
        long n = strtol(rate, &end, 10);
        double w = 0;
        if (end == rate || *end != '/' || n < 1 || n > 1000 || parse_duration(end + 1, &w) != 0) {
            snprintf(why, why_len, "log_rate=%s: N/S, N requests per S seconds, e.g. 5/10", rate);
            return -EINVAL;
        }
        out->rate_limit = (int)n;
        out->rate_window = w;
    }
    return 0;
}
