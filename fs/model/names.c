#include "fs/model/names.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned char c = s[0];
    size_t n;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        n = 2;
    else if (c >= 0xe0 && c <= 0xef)
        n = 3;
    else if (c >= 0xf0 && c <= 0xf4)
        n = 4;
    else
        return 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    /* overlong 3-byte, surrogates, > U+10FFFF */
    if (c == 0xe0 && s[1] < 0xa0)
        return 0;
    if (c == 0xed && s[1] >= 0xa0)
        return 0;
    if (c == 0xf0 && s[1] < 0x90)
        return 0;
    if (c == 0xf4 && s[1] >= 0x90)
        return 0;
    return n;
}

char *gs_name_safe(const char *graph_name, size_t max_bytes)
{
    static const char slash[] = "\xef\xbc\x8f"; /* U+FF0F */
    const unsigned char *s = (const unsigned char *)(graph_name ? graph_name : "");
    if (max_bytes > GS_NAME_MAX)
        max_bytes = GS_NAME_MAX;
    if (max_bytes < 2)
        max_bytes = 2;
    char *out = malloc(max_bytes + 2); /* room for a "_" prefix */
    if (!out)
        return NULL;
    size_t o = 0;
    if ((s[0] == '.' && s[1] == '\0') || (s[0] == '.' && s[1] == '.' && s[2] == '\0'))
        out[o++] = '_';
    while (*s) {
        const char *piece;
        size_t plen;
        size_t n = utf8_len(s);
        char one;
        if (*s == '/') {
            piece = slash;
            plen = 3;
            n = 1;
        } else if (n == 0 || *s < 0x20 || *s == 0x7f) {
            one = '_';
            piece = &one;
            plen = 1;
            n = 1;
        } else {
            piece = (const char *)s;
            plen = n;
        }
        if (o + plen > max_bytes)
            break; /* cut at a character boundary */
        memcpy(out + o, piece, plen);
        o += plen;
        s += n;
    }
    if (o == 0)
        out[o++] = '_';
    out[o] = '\0';
    /* a cut can leave "." or ".." of a longer name */
    if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        memmove(out + 1, out, o + 1);
        out[0] = '_';
        if (o + 1 > max_bytes)
            out[max_bytes] = '\0';
    }
    return out;
}

char *gs_name_with_id(const char *graph_name, const char *id)
{
    size_t idlen = strlen(id);
    size_t room = idlen + 1 < GS_NAME_MAX - 2 ? GS_NAME_MAX - idlen - 1 : 2;
    char *base = gs_name_safe(graph_name, room);
    if (!base)
        return NULL;
    char *safe_id = gs_name_safe(id, GS_NAME_MAX - 1 - strlen(base) > 0 ? GS_NAME_MAX - 1 - strlen(base) : 1);
    if (!safe_id) {
        free(base);
        return NULL;
    }
    size_t len = strlen(base) + 1 + strlen(safe_id);
    char *out = malloc(len + 1);
    if (out) {
        strcpy(out, base);
        strcat(out, "~");
        strcat(out, safe_id);
    }
    free(base);
    free(safe_id);
    return out;
}

int gs_name_is_safe(const char *name)
{
    size_t len = strlen(name);
    if (len == 0 || len > GS_NAME_MAX)
        return 0;
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return 0;
    return strchr(name, '/') == NULL;
}
