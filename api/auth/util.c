/* Small helpers shared by the token provider: reasons, time, secrets. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/auth/internal.h"
#include "common/secmem.h"

void gs_auth_whyf(char *why, size_t whylen, const char *fmt, ...)
{
    if (!why || whylen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
}

double gs_auth_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void gs_auth_sleep(double seconds)
{
    if (seconds <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)seconds};
    ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int gs_auth_secret_to_page(char **s)
{
    if (!*s)
        return 0;
    char *page = gs_secret_dup(*s, strlen(*s));
    gs_auth_free_secret(*s);
    *s = page;
    return page ? 0 : -ENOMEM;
}

void gs_auth_free_secret(char *s)
{
    if (!s)
        return;
    explicit_bzero(s, strlen(s));
    free(s);
}

const char *gs_auth_env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void gs_auth_printable(char *dst, size_t dstlen, const char *s)
{
    if (dstlen == 0)
        return;
    size_t i = 0;
    for (; s && s[i] && i + 1 < dstlen; i++)
        dst[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
    dst[i] = '\0';
}
