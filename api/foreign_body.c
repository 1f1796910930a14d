/* Error answers without Graph's JSON: HTML pages, plain text, empty bodies. */
#include "api/foreign_body.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/buf.h"

/* How much of the body's text is quoted. */
#define QUOTE_MAX 300

static const char *find_ci(const char *s, size_t len, const char *word)
{
    size_t w = strlen(word);
    for (size_t i = 0; i + w <= len; i++)
        if (strncasecmp(s + i, word, w) == 0)
            return s + i;
    return NULL;
}

/* Text of s[0..len) on one line: tags dropped (when html), runs of white
 * space and control characters folded to one space, at most QUOTE_MAX bytes. */
static void put_text(struct gs_buf *b, const char *s, size_t len, int html)
{
    size_t start = b->len, out = 0;
    int in_tag = 0, space = 1;
    for (size_t i = 0; i < len && out < QUOTE_MAX; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (html && ch == '<')
            in_tag = 1;
        if (in_tag) {
            if (ch == '>')
                in_tag = 0;
            ch = ' ';
        }
        if (isspace(ch) || ch < 0x20 || ch == 0x7f) {
            if (!space && out) {
                gs_buf_putc(b, ' ');
                out++;
            }
            space = 1;
            continue;
        }
        gs_buf_putc(b, (char)ch);
        out++;
        space = 0;
    }
    while (b->data && b->len > start && b->data[b->len - 1] == ' ')
        b->data[--b->len] = '\0';
    if (out >= QUOTE_MAX)
        gs_buf_puts(b, "...");
}

static int looks_html(const char *s, size_t len)
{
    while (len && isspace((unsigned char)*s)) {
        s++;
        len--;
    }
    return len && *s == '<';
}

char *gs_foreign_body_message(const char *body, size_t len)
{
    struct gs_buf b = {0};
    if (!body || !len) {
        gs_buf_puts(&b, "the answer had no body (no Graph error: it came from a gateway or proxy "
                        "in front of Graph, or the connection was cut)");
        return gs_buf_take(&b, NULL);
    }
    if (!looks_html(body, len)) {
        gs_buf_puts(&b, "not a Graph error body: ");
        put_text(&b, body, len, 0);
        return gs_buf_take(&b, NULL);
    }
    gs_buf_puts(&b, "an HTML page instead of a Graph error (from a gateway or proxy in front of Graph): ");
    const char *t = find_ci(body, len, "<title>");
    const char *end = t ? find_ci(t, len - (size_t)(t - body), "</title>") : NULL;
    size_t before = b.len;
    if (t && end)
        put_text(&b, t + 7, (size_t)(end - t - 7), 1);
    if (b.len == before)
        put_text(&b, body, len, 1);
    return gs_buf_take(&b, NULL);
}
