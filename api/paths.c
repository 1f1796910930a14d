/* URL paths: ids percent-encoded as path segments, and full URLs under the
 * version root. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"
#include "api/graph_client.h"
#include "api/http_internal.h"
#include "common/log.h"

static int unreserved(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static void put_segment(struct gs_buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    /* "." and ".." would be dot-segments that a URL parser removes */
    int dots_only = strcmp(s, ".") == 0 || strcmp(s, "..") == 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) && !dots_only) {
            gs_buf_putc(b, (char)*p);
        } else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            gs_buf_append(b, esc, sizeof(esc));
        }
    }
}

char *gs_path(const char *fmt, ...)
{
    struct gs_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    const char *run = fmt;
    const char *p = fmt;
    int bad = 0;
    while (!bad && *p) {
        if (*p != '%') {
            p++;
            continue;
        }
        gs_buf_append(&b, run, (size_t)(p - run));
        if (p[1] == '%') {
            gs_buf_putc(&b, '%');
        } else if (p[1] == 's') {
            const char *arg = va_arg(ap, const char *);
            if (arg)
                put_segment(&b, arg);
            else
                bad = 1;
        } else {
            bad = 1;
        }
        p += 2;
        run = p;
    }
    va_end(ap);
    if (bad) {
        /* a programming error: say so loudly rather than build a wrong URL */
        gs_error_log("gs_path: bad format or NULL argument in \"%s\"", fmt);
        gs_buf_free(&b);
        errno = EINVAL;
        return NULL;
    }
    gs_buf_puts(&b, run);
    return gs_buf_take(&b, NULL);
}

static int is_absolute(const char *path)
{
    return strncasecmp(path, "http://", 7) == 0 || strncasecmp(path, "https://", 8) == 0;
}

/* Spaces never belong in a URL; OData query text ("appId eq 'x'") has them. */
static void put_url_text(struct gs_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ')
            gs_buf_append(b, "%20", 3);
        else
            gs_buf_putc(b, *s);
    }
}

char *gs_client_url(const struct gs_client *c, const char *path)
{
    if (!c || !path)
        return NULL;
    struct gs_buf b = {0};
    if (!is_absolute(path)) {
        gs_buf_puts(&b, c->root);
        if (path[0] != '/')
            gs_buf_putc(&b, '/');
    }
    put_url_text(&b, path);
    return gs_buf_take(&b, NULL);
}
