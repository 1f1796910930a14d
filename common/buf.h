/* A growable byte buffer with a sticky out-of-memory flag, so a chain of
 * appends needs one check at the end. Internal to api/. */
#ifndef GS_BUF_H
#define GS_BUF_H

#include <stddef.h>

struct gs_buf {
    char *data;   /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
    int oom;      /* 1 after a failed allocation: later appends do nothing */
};

void gs_buf_append(struct gs_buf *b, const void *data, size_t n);
void gs_buf_puts(struct gs_buf *b, const char *s);
void gs_buf_putc(struct gs_buf *b, char ch);
void gs_buf_printf(struct gs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data over (an empty string if nothing was appended) and resets b.
 * NULL when an allocation failed at any point (b is freed then). */
char *gs_buf_take(struct gs_buf *b, size_t *len_out);
void gs_buf_free(struct gs_buf *b);

#endif
