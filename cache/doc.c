/* Immutable, reference-counted documents. */
#include "cache/doc_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

/* What malloc takes for a request of n bytes, as glibc rounds it: an 8-byte
 * header, a multiple of 16, at least 32. */
static size_t alloc_size(size_t n)
{
    size_t s = (n + 8 + 15) & ~(size_t)15;
    return s < 32 ? 32 : s;
}

/* The memory a parsed document holds: every cJSON node with its name and its
 * string. Counting the printed text instead undercounts by about four times,
 * and cache_size would bound nothing. */
static size_t json_bytes(const cJSON *j)
{
    size_t b = 0;
    for (; j; j = j->next) {
        b += alloc_size(sizeof(cJSON));
        if (j->string && !(j->type & cJSON_StringIsConst))
            b += alloc_size(strlen(j->string) + 1);
        if (j->valuestring)
            b += alloc_size(strlen(j->valuestring) + 1);
        b += json_bytes(j->child);
    }
    return b;
}

int gs_doc_create(const char *key, cJSON *json, const char *request_id,
                  const struct timespec *fetched_at, struct gs_doc_impl **out)
{
    *out = NULL;
    char *text = cJSON_PrintUnformatted(json);
    if (!text) {
        cJSON_Delete(json);
        return -ENOMEM;
    }
    size_t key_len = strlen(key);
    struct gs_doc_impl *d = calloc(1, sizeof(*d) + key_len + 1);
    if (!d) {
        free(text);
        cJSON_Delete(json);
        return -ENOMEM;
    }
    d->text_len = strlen(text);
    d->text_hash = fnv1a(text, d->text_len);
    free(text);
    memcpy(d->key, key, key_len + 1);
    d->bytes = alloc_size(sizeof(*d) + key_len + 1) + json_bytes(json);
    d->refs = 1;
    d->pub.key = d->key;
    d->pub.json = json;
    d->pub.fetched_at = *fetched_at;
    if (request_id) {
        strncpy(d->pub.request_id, request_id, sizeof(d->pub.request_id) - 1);
        d->pub.request_id[sizeof(d->pub.request_id) - 1] = '\0';
    }
    *out = d;
    return 0;
}

void gs_doc_ref(struct gs_doc *d)
{
    __atomic_add_fetch(&gs_doc_impl_of(d)->refs, 1, __ATOMIC_RELAXED);
}

void gs_doc_unref(struct gs_doc *d)
{
    if (!d)
        return;
    struct gs_doc_impl *di = gs_doc_impl_of(d);
    if (__atomic_sub_fetch(&di->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    cJSON_Delete(di->pub.json);
    free(di);
}

int gs_doc_refs(struct gs_doc_impl *d)
{
    return __atomic_load_n(&d->refs, __ATOMIC_ACQUIRE);
}

/* Prints into a buffer of the known length (cJSON wants a few spare bytes). */
static char *print_known(const cJSON *json, size_t len)
{
    size_t cap = len + 64;
    char *buf = malloc(cap);
    if (buf && !cJSON_PrintPreallocated((cJSON *)json, buf, (int)cap, 0)) {
        free(buf);
        buf = NULL;
    }
    return buf;
}

int gs_doc_same_content(const struct gs_doc_impl *a, const struct gs_doc_impl *b)
{
    if (a->text_len != b->text_len || a->text_hash != b->text_hash)
        return 0;
    if (a->text_len > (size_t)INT32_MAX - 64)
        return 0;
    /* equal hashes: confirm byte for byte */
    char *ta = print_known(a->pub.json, a->text_len);
    char *tb = ta ? print_known(b->pub.json, b->text_len) : NULL;
    int same = ta && tb && strcmp(ta, tb) == 0;
    free(ta);
    free(tb);
    return same;
}
