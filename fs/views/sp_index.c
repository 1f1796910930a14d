#include "fs/views/sp_index.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"
#include "fs/model/names.h"

/* The entries of one directory, for one listing generation. */
struct slot {
    int built;
    uint64_t generation;
    struct gs_doc *doc;      /* the listing indexed (a reference: items point into it) */
    const cJSON **items;     /* each entry's listing item */
    size_t *sorted;          /* entry indexes in name order, built on first use */
    size_t *rank;            /* entry index -> its place in sorted */
    struct gs_sp_name *v;
    size_t n;
    struct gs_map by_name; /* name -> index + 1 */
};

struct gs_sp_index {
    pthread_mutex_t lock;   /* guards the slots; a leaf lock, no I/O under it */
    struct slot slots[3];
};

static struct slot *slot_of(struct gs_sp_index *x, enum gs_kind kind)
{
    switch (kind) {
    case GS_K_SPS: return &x->slots[0];
    case GS_K_BYNAME: return &x->slots[1];
    case GS_K_BYAPPID: return &x->slots[2];
    default: return NULL;
    }
}

void gs_sp_names_free(struct gs_sp_name *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].id);
    }
    free(v);
}

static void slot_clear(struct slot *s)
{
    gs_sp_names_free(s->v, s->n);
    s->v = NULL;
    s->n = 0;
    gs_map_destroy(&s->by_name);
    free(s->items);
    s->items = NULL;
    free(s->sorted);
    free(s->rank);
    s->sorted = s->rank = NULL;
    gs_doc_unref(s->doc);
    s->doc = NULL;
    s->built = 0;
}

int gs_sp_index_new(struct gs_sp_index **out)
{
    struct gs_sp_index *x = calloc(1, sizeof(*x));
    if (!x)
        return -ENOMEM;
    pthread_mutex_init(&x->lock, NULL);
    *out = x;
    return 0;
}

void gs_sp_index_free(struct gs_sp_index *x)
{
    if (!x)
        return;
    for (size_t i = 0; i < 3; i++)
        slot_clear(&x->slots[i]);
    pthread_mutex_destroy(&x->lock);
    free(x);
}

/* The listing slot i indexes, with a reference of the caller's, or NULL. */
static struct gs_doc *slot_doc(struct gs_sp_index *x, size_t i)
{
    pthread_mutex_lock(&x->lock);
    struct gs_doc *d = x->slots[i].built ? x->slots[i].doc : NULL;
    if (d)
        gs_doc_ref(d);
    pthread_mutex_unlock(&x->lock);
    return d;
}

int gs_sp_index_trim(struct gs_sp_index *x, struct gs_cache *cache, double min_age)
{
    int trimmed = 0;
    for (size_t i = 0; i < 3; i++) {
        struct gs_doc *d = slot_doc(x, i);
        if (!d)
            continue;
        /* asked of the cache without the index's lock (both are leaf locks) */
        int old = !gs_cache_is_fresh(cache, d->key) && !gs_cache_stored_within(cache, d->key, min_age);
        pthread_mutex_lock(&x->lock);
        if (old && x->slots[i].built && x->slots[i].doc == d) {
            slot_clear(&x->slots[i]);
            trimmed = 1;
        }
        pthread_mutex_unlock(&x->lock);
        gs_doc_unref(d);
    }
    return trimmed;
}

static const char *item_str(const cJSON *item, const char *member)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, member);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void count_name(struct gs_map *counts, const char *name, int *err)
{
    uintptr_t c = (uintptr_t)gs_map_gets(counts, name);
    if (gs_map_puts(counts, name, (void *)(c + 1), NULL) != 0)
        *err = -ENOMEM;
}

/* The by-name names: display names made safe; every member of a group of
 * equal names gets its id as a suffix, so a name never changes meaning with
 * the order Graph lists them in. */
static int byname_names(struct slot *s, const cJSON **items, size_t n)
{
    struct gs_map counts;
    int err = gs_map_init(&counts);
    for (size_t i = 0; i < n && !err; i++) {
        s->v[i].name = gs_name_safe(item_str(items[i], "displayName"), GS_NAME_MAX);
        if (!s->v[i].name)
            err = -ENOMEM;
        else
            count_name(&counts, s->v[i].name, &err);
    }
    for (size_t i = 0; i < n && !err; i++) {
        if ((uintptr_t)gs_map_gets(&counts, s->v[i].name) < 2)
            continue;
        free(s->v[i].name);
        s->v[i].name = gs_name_with_id(item_str(items[i], "displayName"), s->v[i].id);
        if (!s->v[i].name)
            err = -ENOMEM;
    }
    gs_map_destroy(&counts);
    return err;
}

static int build(struct slot *s, enum gs_kind kind, struct gs_doc *listing)
{
    slot_clear(s);
    const cJSON *items = cJSON_GetObjectItemCaseSensitive(listing->json, "value");
    int err = gs_map_init(&s->by_name);
    size_t cap = cJSON_IsArray(items) ? (size_t)cJSON_GetArraySize(items) : 0;
    const cJSON **shown = calloc(cap ? cap : 1, sizeof(*shown));
    s->v = calloc(cap ? cap : 1, sizeof(*s->v));
    if (!shown || !s->v)
        err = -ENOMEM;
    if (!cJSON_IsArray(items))
        items = NULL;
    const cJSON *item;
    cJSON_ArrayForEach(item, items) {
        if (err)
            break;
        const char *id = item_str(item, "id");
        if (!id || !gs_name_is_safe(id))
            continue; /* an id that cannot be a file name is never shown */
        const char *app = item_str(item, "appId");
        if (kind == GS_K_BYAPPID && !app)
            continue;
        struct gs_sp_name *e = &s->v[s->n];
        e->id = strdup(id);
        if (kind == GS_K_SPS)
            e->name = strdup(id);
        else if (kind == GS_K_BYAPPID)
            e->name = gs_name_safe(app, GS_NAME_MAX);
        shown[s->n++] = item;
        if (!e->id || (kind != GS_K_BYNAME && !e->name))
            err = -ENOMEM;
    }
    if (!err && kind == GS_K_BYNAME)
        err = byname_names(s, shown, s->n);
    for (size_t i = 0; i < s->n && !err; i++)
        if (gs_map_puts(&s->by_name, s->v[i].name, (void *)(uintptr_t)(i + 1), NULL) != 0)
            err = -ENOMEM;
    s->items = shown;
    if (err) {
        slot_clear(s);
        return err;
    }
    gs_doc_ref(listing);
    s->doc = listing;
    s->built = 1;
    s->generation = listing->generation;
    return 0;
}

/* The slot for this listing generation, built if needed (x->lock held). */
static int current(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *listing, struct slot **out)
{
    struct slot *s = slot_of(x, kind);
    if (!s)
        return -EINVAL;
    if (!s->built || s->generation != listing->generation) {
        int r = build(s, kind, listing);
        if (r < 0)
            return r;
    }
    *out = s;
    return 0;
}

/* The id of name in slot s (x->lock held): 0, -ENOENT or -ENOMEM. */
static int find_in_slot(const struct slot *s, const char *name, char **id_out)
{
    uintptr_t i = (uintptr_t)gs_map_gets(&s->by_name, name);
    if (!i)
        return -ENOENT;
    *id_out = strdup(s->v[i - 1].id);
    return *id_out ? 0 : -ENOMEM;
}

int gs_sp_index_find(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *listing,
                     const char *name, char **id_out)
{
    struct slot *s;
    *id_out = NULL;
    pthread_mutex_lock(&x->lock);
    int r = current(x, kind, listing, &s);
    if (r == 0)
        r = find_in_slot(s, name, id_out);
    pthread_mutex_unlock(&x->lock);
    return r;
}

int gs_sp_index_find_built(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *listing,
                           const char *name, char **id_out)
{
    *id_out = NULL;
    const struct slot *s = slot_of(x, kind);
    if (!s)
        return -EINVAL;
    if (pthread_mutex_trylock(&x->lock) != 0)
        return -EWOULDBLOCK; /* being built, or dropped by the memory keeper */
    int r = s->built && s->generation == listing->generation ? find_in_slot(s, name, id_out) : -EWOULDBLOCK;
    pthread_mutex_unlock(&x->lock);
    return r;
}

int gs_sp_index_list(struct gs_sp_index *x, enum gs_kind kind, struct gs_doc *listing,
                     struct gs_sp_name **out, size_t *n)
{
    struct slot *s;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&x->lock);
    int r = current(x, kind, listing, &s);
    struct gs_sp_name *v = r == 0 ? calloc(s->n ? s->n : 1, sizeof(*v)) : NULL;
    if (r == 0 && !v)
        r = -ENOMEM;
    for (size_t i = 0; r == 0 && i < s->n; i++) {
        v[i].name = strdup(s->v[i].name);
        v[i].id = strdup(s->v[i].id);
        if (!v[i].name || !v[i].id) {
            gs_sp_names_free(v, i + 1);
            v = NULL;
            r = -ENOMEM;
        }
    }
    if (r == 0) {
        *out = v;
        *n = s->n;
    }
    pthread_mutex_unlock(&x->lock);
    return r;
}

cJSON *gs_sp_index_item(struct gs_sp_index *x, struct gs_doc *listing, const char *id)
{
    struct slot *s;
    cJSON *copy = NULL;
    pthread_mutex_lock(&x->lock);
    if (current(x, GS_K_SPS, listing, &s) == 0) {
        uintptr_t i = (uintptr_t)gs_map_gets(&s->by_name, id);
        if (i)
            copy = cJSON_Duplicate(s->items[i - 1], 1);
    }
    pthread_mutex_unlock(&x->lock);
    return copy;
}

static int by_name(const void *a, const void *b, void *names)
{
    const struct gs_sp_name *v = names;
    return strcmp(v[*(const size_t *)a].name, v[*(const size_t *)b].name);
}

static int sort_slot(struct slot *s)
{
    if (s->sorted)
        return 0;
    s->sorted = malloc((s->n ? s->n : 1) * sizeof(*s->sorted));
    s->rank = malloc((s->n ? s->n : 1) * sizeof(*s->rank));
    if (!s->sorted || !s->rank) {
        free(s->sorted);
        free(s->rank);
        s->sorted = s->rank = NULL;
        return -ENOMEM;
    }
    for (size_t i = 0; i < s->n; i++)
        s->sorted[i] = i;
    qsort_r(s->sorted, s->n, sizeof(*s->sorted), by_name, s->v);
    for (size_t i = 0; i < s->n; i++)
        s->rank[s->sorted[i]] = i;
    return 0;
}

int gs_sp_index_following(struct gs_sp_index *x, struct gs_doc *listing, const char *id, size_t max,
                          char ***out, size_t *n)
{
    struct slot *s;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&x->lock);
    int r = current(x, GS_K_SPS, listing, &s);
    uintptr_t i = r == 0 ? (uintptr_t)gs_map_gets(&s->by_name, id) : 0;
    if (r == 0 && !i)
        r = -ENOENT;
    if (r == 0)
        r = sort_slot(s);
    if (r == 0) {
        size_t from = s->rank[i - 1] + 1;
        size_t k = from < s->n ? s->n - from : 0;
        if (k > max)
            k = max;
        char **v = calloc(k ? k : 1, sizeof(*v));
        for (size_t j = 0; v && j < k; j++) {
            if (!(v[j] = strdup(s->v[s->sorted[from + j]].id))) {
                for (size_t m = 0; m < j; m++)
                    free(v[m]);
                free(v);
                v = NULL;
            }
        }
        if (!v)
            r = -ENOMEM;
        else {
            *out = v;
            *n = k;
        }
    }
    pthread_mutex_unlock(&x->lock);
    return r;
}

int gs_sp_index_listed_after(struct gs_sp_index *x, struct gs_doc *listing, const char *id, size_t skip,
                             size_t max, char ***out, size_t *n, size_t *rank)
{
    struct slot *s;
    *out = NULL;
    *n = 0;
    pthread_mutex_lock(&x->lock);
    int r = current(x, GS_K_SPS, listing, &s);
    uintptr_t i = r == 0 ? (uintptr_t)gs_map_gets(&s->by_name, id) : 0;
    if (r == 0 && !i)
        r = -ENOENT;
    char **v = NULL;
    size_t k = 0;
    if (r == 0) {
        *rank = i - 1;
        size_t from = i - 1 + skip;
        k = from < s->n ? s->n - from : 0;
        k = k > max ? max : k;
        v = calloc(k ? k : 1, sizeof(*v));
        for (size_t j = 0; v && j < k; j++)
            if (!(v[j] = strdup(s->v[from + j].id))) {
                for (size_t m = 0; m < j; m++)
                    free(v[m]);
                free(v);
                v = NULL;
            }
        if (!v)
            r = -ENOMEM;
    }
    pthread_mutex_unlock(&x->lock);
    if (r == 0) {
        *out = v;
        *n = k;
    }
    return r;
}
