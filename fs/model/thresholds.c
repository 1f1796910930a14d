#include "fs/model/thresholds.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int gs_parse_duration(const char *s, double *out)
{
    if (!s || !*s)
        return -EINVAL;
    if (strcmp(s, "off") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !isfinite(v) || v < 0)
        return -EINVAL;
    double unit = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        unit = 60, end++;
    else if (*end == 'h')
        unit = 3600, end++;
    else if (*end == 'd')
        unit = 86400, end++;
    if (*end)
        return -EINVAL;
    *out = v * unit;
    return 0;
}

int gs_parse_count(const char *s, double *out)
{
    if (!s || !*s)
        return -EINVAL;
    if (strcmp(s, "off") == 0) {
        *out = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < 0)
        return -EINVAL;
    *out = (double)v;
    return 0;
}
