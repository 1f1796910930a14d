/* Member names kept once: an open-addressing table of strings that are never
 * freed, filled with compare-and-swap, read without a lock. */
#include "api/json_keys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (2 * GS_JSON_KEYS_MAX) /* a power of two, at most half full */

static char *slots[SLOTS];  /* atomic: NULL, or a kept name (never freed) */
static unsigned kept;       /* atomic: names in slots */

static uint32_t hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The kept copy of name, added if there is room; NULL when there is none. */
static const char *intern(const char *name)
{
    size_t len = strlen(name);
    if (len > GS_JSON_KEY_LEN)
        return NULL;
    char *mine = NULL;
    for (uint32_t i = hash(name, len) & (SLOTS - 1), n = 0; n < SLOTS; i = (i + 1) & (SLOTS - 1), n++) {
        char *s = __atomic_load_n(&slots[i], __ATOMIC_ACQUIRE);
        if (!s) {
            if (__atomic_load_n(&kept, __ATOMIC_RELAXED) >= GS_JSON_KEYS_MAX)
                break;
            if (!mine && !(mine = strdup(name)))
                return NULL;
            if (__atomic_compare_exchange_n(&slots[i], &s, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                __atomic_add_fetch(&kept, 1, __ATOMIC_RELAXED);
                return mine;
            }
            /* another thread filled this slot first: s is its name */
        }
        if (strcmp(s, name) == 0) {
            free(mine);
            return s;
        }
    }
    free(mine);
    return NULL;
}

void gs_json_intern_keys(cJSON *j)
{
    for (; j; j = j->next) {
        if (j->string && !(j->type & cJSON_StringIsConst)) {
            const char *k = intern(j->string);
            if (k) {
                cJSON_free(j->string);
                j->string = (char *)k;
                j->type |= cJSON_StringIsConst;
            }
        }
        if (j->child)
            gs_json_intern_keys(j->child);
    }
}
