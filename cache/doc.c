/* Immutable, reference-counted documents. */
#include "cache/doc_impl.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api/json_keys.h"
#include "api/json_pack.h"

/* The content's fingerprint, taken from the tree itself: printing a listing
 * of 50,000 service principals to hash it took 60 MiB for a moment (the
 * printer's doubling buffer and its copy), more than the listing itself. */
struct fingerprint {
    uint64_t hash; /* FNV-1a of everything fed */
    size_t len;    /* bytes fed */
};

static void feed(struct fingerprint *f, const void *p, size_t len)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < len; i++) {
        f->hash ^= s[i];
        f->hash *= 1099511628211ULL;
    }
    f->len += len;
}

/* Every node in order: its type, its member name, its value, and where a
 * container ends (names and strings with their NUL, so "ab","c" and "a","bc"
 * differ). */
static void fingerprint_of(struct fingerprint *f, const cJSON *j);

/* One node (a document's root: an item of a listing has siblings that are
 * not its document's). */
static void fingerprint_node(struct fingerprint *f, const cJSON *j)
{
    unsigned char type = (unsigned char)(j->type & 0xff);
    feed(f, &type, 1);
    if (j->string)
        feed(f, j->string, strlen(j->string) + 1);
    if (type == cJSON_String || type == cJSON_Raw)
        feed(f, j->valuestring ? j->valuestring : "", j->valuestring ? strlen(j->valuestring) + 1 : 1);
    else if (type == cJSON_Number)
        feed(f, &j->valuedouble, sizeof(j->valuedouble));
    if (j->child)
        fingerprint_of(f, j->child);
    feed(f, "", 1);
}

static void fingerprint_of(struct fingerprint *f, const cJSON *j)
{
    for (; j; j = j->next)
        fingerprint_node(f, j);
}

/* What malloc takes for a request of n bytes, as glibc rounds it: an 8-byte
 * header, a multiple of 16, at least 32. */
static size_t alloc_size(size_t n)
{
    size_t s = (n + 8 + 15) & ~(size_t)15;
    return s < 32 ? 32 : s;
}

/* The memory a parsed document holds: every cJSON node with its name and its
 * string, or the block of a packed tree (api/json_pack.h). Counting the
 * printed text instead undercounts by about four times, and cache_size would
 * bound nothing. Member names kept once for the process (api/json_keys.h)
 * are not the document's. */
static size_t node_bytes(const cJSON *j)
{
    if (gs_json_is_packed(j))
        return alloc_size(gs_json_packed_size(j));
    size_t b = alloc_size(sizeof(cJSON));
    if (j->string && !(j->type & cJSON_StringIsConst))
        b += alloc_size(strlen(j->string) + 1);
    if (j->valuestring && !(j->type & cJSON_IsReference))
        b += alloc_size(strlen(j->valuestring) + 1);
    for (const cJSON *c = j->child; c; c = c->next)
        b += node_bytes(c);
    return b;
}

/* One tree {"value":[]} for every empty listing: at tenant scale most
 * service principals have no job, and each listing of them would hold two
 * nodes of its own. Made once, never freed, never changed (docs are
 * read-only for everyone). */
static cJSON *empty_listing;
static pthread_once_t empty_once = PTHREAD_ONCE_INIT;

static void make_empty_listing(void)
{
    cJSON *j = cJSON_CreateObject();
    if (j && !cJSON_AddArrayToObject(j, "value")) {
        cJSON_Delete(j);
        j = NULL;
    }
    empty_listing = j;
}

static int is_empty_listing(const cJSON *j)
{
    return cJSON_IsObject(j) && j->child && !j->child->next && j->child->string &&
           strcmp(j->child->string, "value") == 0 && cJSON_IsArray(j->child) && !j->child->child;
}

/* json, or the shared empty listing in its place (json deleted then). */
static cJSON *shared_if_empty(cJSON *json, int *shared)
{
    *shared = 0;
    if (!is_empty_listing(json))
        return json;
    pthread_once(&empty_once, make_empty_listing);
    if (!empty_listing)
        return json;
    cJSON_Delete(json);
    *shared = 1;
    return empty_listing;
}

/* Fills a new doc d (key_len bytes of key) around json. */
static void init_doc(struct gs_doc_impl *d, const char *key, size_t key_len, const cJSON *json,
                     const char *request_id, const struct timespec *fetched_at)
{
    struct fingerprint f = {14695981039346656037ULL, 0};
    fingerprint_node(&f, json);
    d->text_len = f.len;
    d->text_hash = f.hash;
    memcpy(d->key, key, key_len + 1);
    /* the doc and its tree (its entry in the cache's table: publish.c); an
     * item sharing its listing's tree counts its part of it: it keeps it */
    d->bytes = alloc_size(sizeof(*d) + key_len + 1) + (d->shared ? 0 : node_bytes(json));
    d->refs = 1;
    d->pub.key = d->key;
    d->pub.json = (cJSON *)json;
    d->pub.fetched_at = *fetched_at;
    if (request_id) {
        strncpy(d->pub.request_id, request_id, sizeof(d->pub.request_id) - 1);
        d->pub.request_id[sizeof(d->pub.request_id) - 1] = '\0';
    }
}

int gs_doc_create(const char *key, cJSON *json, const char *request_id,
                  const struct timespec *fetched_at, struct gs_doc_impl **out)
{
    *out = NULL;
    size_t key_len = strlen(key);
    struct gs_doc_impl *d = calloc(1, sizeof(*d) + key_len + 1);
    if (!d) {
        cJSON_Delete(json);
        return -ENOMEM;
    }
    gs_json_intern_keys(json);
    json = shared_if_empty(json, &d->shared);
    if (!d->shared)
        json = gs_json_pack_doc(json); /* read-only from now on: one block (a listing: one per item) */
    init_doc(d, key, key_len, json, request_id, fetched_at);
    *out = d;
    return 0;
}

int gs_doc_create_item(const char *key, struct gs_doc_impl *listing, const cJSON *item,
                       const char *request_id, const struct timespec *fetched_at, struct gs_doc_impl **out)
{
    *out = NULL;
    size_t key_len = strlen(key);
    struct gs_doc_impl *d = calloc(1, sizeof(*d) + key_len + 1);
    if (!d)
        return -ENOMEM;
    gs_doc_ref(&listing->pub);
    d->owner = listing;
    init_doc(d, key, key_len, item, request_id, fetched_at);
    *out = d;
    return 0;
}

int gs_doc_copy(const struct gs_doc_impl *d, struct gs_doc_impl **out)
{
    *out = NULL;
    size_t size = sizeof(*d) + strlen(d->key) + 1;
    struct gs_doc_impl *n = malloc(size);
    if (!n)
        return -ENOMEM;
    memcpy(n, d, size);
    n->pub.key = n->key;
    n->refs = 1;
    n->owner = NULL; /* an item of a listing: its own copy now */
    /* packed whole: the copies the sweep keeps sit in as few pages as can be */
    if (!d->shared && !(n->pub.json = gs_json_pack(d->pub.json)) && !(n->pub.json = cJSON_Duplicate(d->pub.json, 1))) {
        free(n);
        return -ENOMEM;
    }
    *out = n;
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
    if (di->owner)
        gs_doc_unref(&di->owner->pub);
    else if (!di->shared)
        cJSON_Delete(di->pub.json);
    free(di);
}

int gs_doc_refs(struct gs_doc_impl *d)
{
    return __atomic_load_n(&d->refs, __ATOMIC_ACQUIRE);
}

/* 1 when a and b hold the same nodes in the same order: what the mount
 * renders from them is the same. Compared in place, without printing. */
static int same_tree(const cJSON *a, const cJSON *b);

static int same_node(const cJSON *a, const cJSON *b)
{
    int type = a->type & 0xff;
    if (type != (b->type & 0xff) || !a->string != !b->string || (a->string && strcmp(a->string, b->string) != 0))
        return 0;
    if ((type == cJSON_String || type == cJSON_Raw) &&
        strcmp(a->valuestring ? a->valuestring : "", b->valuestring ? b->valuestring : "") != 0)
        return 0;
    if (type == cJSON_Number && memcmp(&a->valuedouble, &b->valuedouble, sizeof(a->valuedouble)) != 0)
        return 0;
    return same_tree(a->child, b->child);
}

static int same_tree(const cJSON *a, const cJSON *b)
{
    for (; a && b; a = a->next, b = b->next)
        if (!same_node(a, b))
            return 0;
    return !a && !b;
}

int gs_doc_same_content(const struct gs_doc_impl *a, const struct gs_doc_impl *b)
{
    if (a->text_len != b->text_len || a->text_hash != b->text_hash)
        return 0;
    return same_node(a->pub.json, b->pub.json); /* the roots: an item's siblings are not its doc's */
}
