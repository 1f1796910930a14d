/* Names from Graph: whatever comes in, what goes out is one safe name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fs/names.h"

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
    free(s);
    return 0;
}
