/* Member names kept once: an open-addressing table of strings that are never
 * freed, filled with compare-and-swap, read without a lock. */
#include "api/json_keys.h"

#include "api/json_pack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS (2 * GS_JSON_KEYS_MAX) /* a power of two, at most half full */

struct table {
    char *slots[SLOTS];     /* atomic: NULL, or a kept string (never freed) */
    unsigned kept;          /* atomic: strings in slots */
};

static struct table names;  /* member names */
static struct table values; /* the values of the members below (repeated_value) */

static uint32_t hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* The kept copy of name in t, added if there is room; NULL when there is none. */
static const char *intern(struct table *t, const char *name)
{
    size_t len = strlen(name);
    if (len > GS_JSON_KEY_LEN)
        return NULL;
    char *mine = NULL;
    for (uint32_t i = hash(name, len) & (SLOTS - 1), n = 0; n < SLOTS; i = (i + 1) & (SLOTS - 1), n++) {
        char *s = __atomic_load_n(&t->slots[i], __ATOMIC_ACQUIRE);
        if (!s) {
            if (__atomic_load_n(&t->kept, __ATOMIC_RELAXED) >= GS_JSON_KEYS_MAX)
                break;
            if (!mine && !(mine = strdup(name)))
                return NULL;
            if (__atomic_compare_exchange_n(&t->slots[i], &s, mine, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                __atomic_add_fetch(&t->kept, 1, __ATOMIC_RELAXED);
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

/* Members whose values repeat across a tenant's listing: the same few
 * strings 50,000 times (a service principal's type, its owner's tenant, its
 * tags). Their values are kept once too. */
static int repeated_value(const char *member)
{
    static const char *const members[] = {"servicePrincipalType", "appOwnerOrganizationId", "tags"};
    for (size_t i = 0; member && i < sizeof(members) / sizeof(members[0]); i++)
        if (strcmp(member, members[i]) == 0)
            return 1;
    return 0;
}

/* A string value kept once: cJSON_IsReference makes cJSON leave it alone on
 * delete; cJSON_Duplicate copies it as an ordinary string. */
static void intern_value(cJSON *j)
{
    if ((j->type & 0xff) != cJSON_String || (j->type & cJSON_IsReference) || !j->valuestring)
        return;
    const char *v = intern(&values, j->valuestring);
    if (v) {
        cJSON_free(j->valuestring);
        j->valuestring = (char *)v;
        j->type |= cJSON_IsReference;
    }
}

static void intern_under(cJSON *j, int repeated)
{
    for (; j; j = j->next) {
        if (gs_json_is_packed(j))
            continue; /* its strings are not allocations of their own */
        if (j->string && !(j->type & cJSON_StringIsConst)) {
            const char *k = intern(&names, j->string);
            if (k) {
                cJSON_free(j->string);
                j->string = (char *)k;
                j->type |= cJSON_StringIsConst;
            }
        }
        int rep = j->string ? repeated_value(j->string) : repeated;
        if (rep)
            intern_value(j);
        if (j->child)
            intern_under(j->child, rep);
    }
}

void gs_json_intern_keys(cJSON *j)
{
    intern_under(j, 0);
}
