/* The growable buffer behind every text api/ builds: JSON, URLs, error text. */
#include "common/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(struct gs_buf *b, size_t extra)
{
    if (b->oom)
        return -1;
    if (extra >= (size_t)-1 / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void gs_buf_append(struct gs_buf *b, const void *data, size_t n)
{
    if (reserve(b, n) != 0)
        return;
    if (n)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void gs_buf_puts(struct gs_buf *b, const char *s)
{
    gs_buf_append(b, s, strlen(s));
}

void gs_buf_putc(struct gs_buf *b, char ch)
{
    gs_buf_append(b, &ch, 1);
}

void gs_buf_printf(struct gs_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = 1;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        gs_buf_append(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *gs_buf_take(struct gs_buf *b, size_t *len_out)
{
    if (!b->oom && !b->data)
        gs_buf_append(b, "", 0);
    if (b->oom) {
        gs_buf_free(b);
        return NULL;
    }
    char *p = b->data;
    if (len_out)
        *len_out = b->len;
    memset(b, 0, sizeof(*b));
    return p;
}

void gs_buf_free(struct gs_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}
