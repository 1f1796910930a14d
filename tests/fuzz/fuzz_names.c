/* Names from Graph: whatever comes in, what goes out is one safe name; and
 * as a segment of a Graph URL path, an id stays one segment: nothing but
 * unreserved characters and %XX escapes, never a dot-segment, and decoding
 * gives the id back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api/graph_client.h"
#include "fs/model/names.h"

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static void check_path(const char *id)
{
    char *p = gs_path("/servicePrincipals/%s/synchronization", id);
    const char *prefix = "/servicePrincipals/", *suffix = "/synchronization";
    size_t pl = strlen(prefix), sl = strlen(suffix);
    if (!p || strncmp(p, prefix, pl) != 0 || strlen(p) < pl + sl ||
        strcmp(p + strlen(p) - sl, suffix) != 0)
        abort();
    const char *seg = p + pl;
    size_t seglen = strlen(p) - pl - sl;
    if (seglen && ((seglen == 1 && seg[0] == '.') || (seglen == 2 && seg[0] == '.' && seg[1] == '.')))
        abort(); /* a dot-segment */
    char *back = malloc(seglen + 1);
    size_t n = 0;
    for (size_t i = 0; back && i < seglen; i++) {
        char c = seg[i];
        if (c == '%') {
            int hi = i + 2 < seglen ? hexval(seg[i + 1]) : -1, lo = hi >= 0 ? hexval(seg[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                abort();
            back[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '.' || c == '_' || c == '~') {
            back[n++] = c;
        } else {
            abort(); /* '/', '?', '#', space or anything else would change the URL */
        }
    }
    if (back) {
        back[n] = '\0';
        if (strcmp(back, id) != 0)
            abort();
    }
    free(back);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    for (size_t max = 1; max <= 300; max += 77) {
        char *n = gs_name_safe(s, max);
        if (!n || !gs_name_is_safe(n) || strlen(n) > (max < 2 ? 2 : max))
            abort();
        free(n);
    }
    size_t half = strlen(s) / 2;
    char *id = s + half;
    char *d = gs_name_with_id(s, *id ? id : "x");
    if (!d || strlen(d) > GS_NAME_MAX || strchr(d, '/'))
        abort();
    free(d);
    check_path(s);
    free(s);
    return 0;
}
