/* When a cached token must be refreshed, and when it can no longer be used.
 * Refresh-ahead: with a usual one-hour token, five minutes before expiry;
 * with short test lifetimes, when 10% of the lifetime is left. */
#include <errno.h>
#include <stdlib.h>

#include "api/auth/internal.h"

#define REFRESH_AHEAD_MAX_S 300.0
#define USABLE_MARGIN_MAX_S 30.0

static double lifetime(const struct gs_token *t)
{
    return t->expires - t->obtained;
}

static double min2(double x, double y)
{
    return x < y ? x : y;
}

/* 1 while t has more than min(max_s, its lifetime / divisor) seconds left
 * (a token without an expiry never runs out). */
static int left_more_than(const struct gs_token *t, double now, double max_s, double divisor)
{
    if (!t->value)
        return 0;
    if (t->expires == 0)
        return 1;
    double life = lifetime(t);
    if (life <= 0)
        return 0;
    return now < t->expires - min2(max_s, life / divisor);
}

int gs_token_fresh(const struct gs_token *t, double now)
{
    return left_more_than(t, now, REFRESH_AHEAD_MAX_S, 10);
}

int gs_token_usable(const struct gs_token *t, double now)
{
    return left_more_than(t, now, USABLE_MARGIN_MAX_S, 20);
}

int gs_token_check(const char *s)
{
    if (!s || !*s)
        return -EINVAL;
    for (; *s; s++)
        if (*s < 0x21 || *s > 0x7e)
            return -EINVAL;
    return 0;
}

void gs_token_clear(struct gs_token *t)
{
    gs_auth_free_secret(t->value);
    t->value = NULL;
    t->obtained = t->expires = 0;
}
