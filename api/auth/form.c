/* application/x-www-form-urlencoded bodies for the token endpoint. The body
 * usually holds a secret or an assertion, so every buffer it ever lived in
 * is zeroed before it is freed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

static int unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

char *gs_form_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

static int grow(struct gs_form *f, size_t extra)
{
    if (f->len + extra + 1 <= f->cap)
        return 0;
    size_t cap = f->cap ? f->cap : 256;
    while (cap < f->len + extra + 1)
        cap *= 2;
    char *nb = malloc(cap);
    if (!nb)
        return -ENOMEM;
    if (f->buf) {
        memcpy(nb, f->buf, f->len + 1);
        explicit_bzero(f->buf, f->cap);
        free(f->buf);
    }
    f->buf = nb;
    f->cap = cap;
    return 0;
}

void gs_form_add(struct gs_form *f, const char *name, const char *value)
{
    if (f->err)
        return;
    char *n = gs_form_escape(name);
    char *v = gs_form_escape(value);
    if (!n || !v || grow(f, strlen(n) + strlen(v) + 2) != 0) {
        f->err = -ENOMEM;
    } else {
        size_t at = f->len;
        if (at > 0)
            f->buf[at++] = '&';
        size_t nl = strlen(n), vl = strlen(v);
        memcpy(f->buf + at, n, nl);
        at += nl;
        f->buf[at++] = '=';
        memcpy(f->buf + at, v, vl + 1);
        f->len = at + vl;
    }
    free(n);
    gs_auth_free_secret(v);
}

int gs_form_done(const struct gs_form *f)
{
    if (f->err)
        return f->err;
    return f->buf ? 0 : -EINVAL;
}

void gs_form_clear(struct gs_form *f)
{
    if (f->buf) {
        explicit_bzero(f->buf, f->cap);
        free(f->buf);
    }
    f->buf = NULL;
    f->len = f->cap = 0;
    f->err = 0;
}
