/* Retry-After (RFC 9110 10.2.3): delay-seconds (Graph sends fractions such as
 * "2.128") or an HTTP-date. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/graph_client.h"

static const char *skip_space(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

/* Digits with an optional fraction; parsed by hand so the locale's decimal
 * point does not matter. Returns the end, or NULL. */
static const char *parse_seconds(const char *s, double *out)
{
    double v = 0;
    int digits = 0;
    for (; is_digit(*s); s++, digits++)
        v = v * 10 + (*s - '0');
    if (*s == '.') {
        double scale = 0.1;
        for (s++; is_digit(*s); s++, digits++, scale /= 10)
            v += (*s - '0') * scale;
    }
    if (!digits)
        return NULL;
    *out = v;
    return s;
}

static int month_index(const char *m)
{
    static const char *const names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (int i = 0; i < 12; i++)
        if (strncasecmp(m, names[i], 3) == 0 && m[3] == '\0')
            return i;
    return -1;
}

static int valid_tm(const struct tm *tm)
{
    return tm->tm_mon >= 0 && tm->tm_mday >= 1 && tm->tm_mday <= 31 && tm->tm_hour >= 0 &&
           tm->tm_hour <= 23 && tm->tm_min >= 0 && tm->tm_min <= 59 && tm->tm_sec >= 0 &&
           tm->tm_sec <= 60 && tm->tm_year >= 70;
}

/* The three forms of HTTP-date: IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT",
 * RFC 850 "Sunday, 06-Nov-94 08:49:37 GMT", asctime "Sun Nov  6 08:49:37 1994". */
static int parse_http_date(const char *s, time_t *out)
{
    struct tm tm;
    char wday[16], mon[4], zone[4];
    int day, year, hh, mm, ss, used = 0;
    memset(&tm, 0, sizeof(tm));

    if (sscanf(s, "%15[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3s%n", wday, &day, mon, &year,
               &hh, &mm, &ss, zone, &used) == 8 && strcmp(zone, "GMT") == 0) {
        /* IMF-fixdate */
    } else if (sscanf(s, "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3s%n", wday, &day, mon,
                      &year, &hh, &mm, &ss, zone, &used) == 8 && strcmp(zone, "GMT") == 0) {
        year += year < 70 ? 2000 : 1900;
    } else if (sscanf(s, "%15[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wday, mon, &day, &hh,
                      &mm, &ss, &year, &used) == 7) {
        /* asctime */
    } else {
        return -EINVAL;
    }
    if (*skip_space(s + used) != '\0')
        return -EINVAL;
    tm.tm_mon = month_index(mon);
    tm.tm_mday = day;
    tm.tm_year = year - 1900;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    if (!valid_tm(&tm))
        return -EINVAL;
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -EINVAL;
    *out = t;
    return 0;
}

int gs_parse_retry_after(const char *value, double now, double *out)
{
    if (!value)
        return -EINVAL;
    const char *s = skip_space(value);
    if (is_digit(*s) || *s == '.') {
        double v;
        const char *end = parse_seconds(s, &v);
        if (!end || *skip_space(end) != '\0')
            return -EINVAL;
        *out = v;
        return 0;
    }
    time_t t;
    if (parse_http_date(s, &t) != 0)
        return -EINVAL;
    double d = (double)t - now;
    *out = d > 0 ? d : 0;
    return 0;
}
