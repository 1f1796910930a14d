/* gs_cache_get: hits, one fetch for any number of concurrent callers of a
 * key (single flight), listings that fill the entries of their items. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/graph_client.h"
#include "cache/cache_internal.h"
#include "common/interrupt.h"

#define GS_GET_KNOWN_FLAGS \
    (GS_GET_COLLECTION | GS_GET_FILL_ITEMS | GS_GET_CACHED_ONLY | GS_GET_STALE_OK | GS_GET_FRESH_ONLY)

/* A refresh that brought no usable answer: the network failed, or Graph
 * throttled (429), failed (5xx), redirected (3xx) or sent a 2xx body that is
 * not JSON. A stale copy may stand in for it; a 404 or another 4xx refusal
 * is Graph's answer and never hidden. */
static int refresh_unanswered(int r, const struct gs_error *err)
{
    long s = err->http_status;
    if (s == 0)
        return r == -ETIMEDOUT || r == -EHOSTUNREACH || r == -ECONNREFUSED || r == -ECONNRESET || r == -EIO;
    return s == 429 || s >= 500 || (s >= 200 && s < 400);
}

const char *gs_cache_item_id(const cJSON *item)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    return cJSON_IsString(id) && id->valuestring[0] ? id->valuestring : NULL;
}

char *gs_cache_item_key(const char *key, const char *id)
{
    char *seg = gs_path("%s", id);
    if (!seg)
        return NULL;
    size_t a = strlen(key), b = strlen(seg);
    char *k = malloc(a + 1 + b + 1);
    if (k) {
        memcpy(k, key, a);
        k[a] = '/';
        memcpy(k + a + 1, seg, b + 1);
    }
    free(seg);
    return k;
}

/* The docs a fetch publishes: the fetched one first, then with
 * GS_GET_FILL_ITEMS one per listed item that has an "id". Takes json. */
static int prepare_pubs(const char *key, unsigned flags, cJSON *json, const char *request_id,
                        const struct timespec *now, struct gs_pub **out, size_t *n_out)
{
    const cJSON *items = NULL, *it;
    size_t n = 1;
    if ((flags & GS_GET_COLLECTION) && (flags & GS_GET_FILL_ITEMS)) {
        items = cJSON_GetObjectItemCaseSensitive(json, "value");
        if (!cJSON_IsArray(items))
            items = NULL;
        cJSON_ArrayForEach(it, items)
            n += gs_cache_item_id(it) != NULL;
    }
    struct gs_pub *pubs = calloc(n, sizeof(*pubs));
    if (!pubs) {
        cJSON_Delete(json);
        return -ENOMEM;
    }
    /* json now belongs to pubs[0].doc, which outlives the loop below */
    int r = gs_doc_create(key, json, request_id, now, &pubs[0].doc);
    size_t k = 1;
    if (r != 0)
        items = NULL; /* it was inside json, which is gone */
    else if (items) /* an empty listing's json was replaced by the shared one (doc.c) */
        items = cJSON_GetObjectItemCaseSensitive(pubs[0].doc->pub.json, "value");
    cJSON_ArrayForEach(it, items) {
        if (r != 0)
            break;
        const char *id = gs_cache_item_id(it);
        if (!id)
            continue;
        char *ik = gs_cache_item_key(key, id);
        /* the item's doc is the listing's item, not a copy of it */
        r = ik ? gs_doc_create_item(ik, pubs[0].doc, it, request_id, now, &pubs[k].doc) : -ENOMEM;
        k += r == 0;
        free(ik);
    }
    if (r != 0) {
        for (size_t i = 0; i < k; i++)
            if (pubs[i].doc)
                gs_doc_unref(&pubs[i].doc->pub);
        free(pubs);
        return r;
    }
    *out = pubs;
    *n_out = n;
    return 0;
}

/* Stores the fetched doc, then its items unless the key changed (put,
 * invalidation, removal) while the fetch ran: then the listing is stored
 * expired (or not at all) and its items are not trusted. */
static int publish_locked(struct gs_cache *c, struct gs_flight *f, enum gs_ttl_class cls,
                          struct gs_pub *pubs, size_t n)
{
    struct gs_entry *e = gs_table_find(&c->table, pubs[0].doc->pub.key);
    int trusted = e && e->flight == f && e->changed_seq <= f->start_seq;
    const struct gs_pub_origin own = {.own = f, .since_seq = f->start_seq, .supersedes = 0};
    int r = gs_pub_install_locked(c, &pubs[0], cls, &own);
    if (r < 0)
        return r;
    if (!trusted)
        return 0;
    const struct gs_pub_origin fill = {.own = NULL, .since_seq = f->start_seq, .supersedes = 1};
    for (size_t i = 1; i < n; i++)
        if (gs_pub_install_locked(c, &pubs[i], cls, &fill) < 0)
            r = -ENOMEM;
    return r;
}

/* A failed fetch: a 404 drops the entry (unless the key changed meanwhile),
 * an entry that never had content goes. Returns 1 when content was dropped. */
static int fail_locked(struct gs_cache *c, struct gs_flight *f, const char *key, int r,
                       struct gs_entry **dropped)
{
    struct gs_entry *e = gs_table_find(&c->table, key);
    if (!e || e->flight != f)
        return 0;
    e->flight = NULL;
    int gone = r == -ENOENT && f->err.http_status == 404 && e->changed_seq <= f->start_seq;
    if (!gone && e->doc)
        return 0;
    struct gs_doc_impl *d = gs_cache_take_doc_locked(c, e);
    gs_table_unlink(&c->table, e);
    e->doc = d; /* dropped with the entry, outside the lock */
    e->hnext = *dropped;
    *dropped = e;
    return d != NULL;
}

/* The fetcher's part: fetch with no lock held, publish, wake the waiters. */
static void run_flight(struct gs_cache *c, struct gs_flight *f, const char *key,
                       enum gs_ttl_class cls, unsigned flags)
{
    cJSON *json = NULL;
    char request_id[64] = "";
    int r = c->fetch(c->fetch_ctx, key, flags, &json, request_id, &f->err);
    request_id[sizeof(request_id) - 1] = '\0';
    if (r == 0 && !json) {
        r = -EIO;
        gs_error_set_local(&f->err, "GET", key, r, "EmptyResponse", "the fetch returned no document");
    } else if (r != 0) {
        cJSON_Delete(json);
    }

    struct gs_pub *pubs = NULL;
    size_t n = 0;
    if (r == 0) {
        struct timespec now;
        gs_cache_realtime(c, &now);
        r = prepare_pubs(key, flags, json, request_id, &now, &pubs, &n);
        if (r == 0)
            gs_pub_compare(c, pubs, n);
        else
            gs_error_set_local(&f->err, "GET", key, r, "OutOfMemory", "no memory to store the answer");
    }

    struct gs_entry *dropped = NULL;
    int content_gone = 0;
    pthread_mutex_lock(&c->lock);
    if (pubs) {
        r = publish_locked(c, f, cls, pubs, n);
        if (r == 0) {
            f->doc = pubs[0].doc;
            gs_doc_ref(&f->doc->pub);
        } else {
            gs_error_set_local(&f->err, "GET", key, r, "OutOfMemory", "no memory to store the items");
        }
    } else {
        content_gone = fail_locked(c, f, key, r, &dropped);
    }
    f->result = r;
    f->done = 1;
    pthread_cond_broadcast(&f->done_cv);
    struct gs_entry *evicted = gs_cache_evict_locked(c);
    pthread_mutex_unlock(&c->lock);

    if (pubs)
        gs_pub_finish(c, pubs, n);
    free(pubs);
    gs_cache_free_entries(dropped);
    gs_cache_free_entries(evicted);
    if (content_gone && c->on_change)
        c->on_change(c->change_ctx, key);
}

static int start_flight_locked(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                               struct gs_entry *e, struct gs_flight **out)
{
    struct gs_flight *f = calloc(1, sizeof(*f));
    if (!f)
        return -ENOMEM;
    int r = -pthread_cond_init(&f->done_cv, NULL);
    if (r != 0) {
        free(f);
        return r;
    }
    if (!e && (r = gs_table_add(&c->table, key, &e)) != 0) {
        pthread_cond_destroy(&f->done_cv);
        free(f);
        return r;
    }
    gs_cache_set_class_locked(c, e, cls);
    e->flight = f;
    f->refs = 1;
    f->start_seq = c->change_seq;
    c->fetches++;
    *out = f;
    return 0;
}

static int take_result_locked(struct gs_cache *c, struct gs_flight *f, const char *key,
                              unsigned flags, struct gs_doc **out, struct gs_error *err)
{
    if (f->result == 0) {
        gs_doc_ref(&f->doc->pub);
        *out = &f->doc->pub;
        return 0;
    }
    if ((flags & GS_GET_STALE_OK) && refresh_unanswered(f->result, &f->err)) {
        struct gs_entry *e = gs_table_find(&c->table, key);
        /* stale for at most max_stale past its time-to-live */
        if (e && e->doc &&
            (c->max_stale <= 0 || gs_cache_mono(c) - e->stored_at < c->ttl[e->cls] + c->max_stale)) {
            gs_table_touch(&c->table, e, gs_cache_mono(c));
            gs_doc_ref(&e->doc->pub);
            *out = &e->doc->pub;
            if (err)
                gs_error_copy(err, &f->err); /* why the copy is stale */
            return 0;
        }
    }
    if (err)
        gs_error_copy(err, &f->err);
    return f->result;
}

static void flight_free(struct gs_flight *f)
{
    if (f->doc)
        gs_doc_unref(&f->doc->pub);
    gs_error_clear(&f->err);
    pthread_cond_destroy(&f->done_cv);
    free(f);
}

/* Waits (c->lock held) for the fetch another caller runs. -EINTR, with
 * c->lock released and f's reference dropped, when the caller's system call
 * was interrupted: it stops waiting (the fetch goes on for the others). */
static int wait_flight_locked(struct gs_cache *c, struct gs_flight *f, const char *key,
                              struct gs_error *err)
{
    while (!f->done) {
        if (gs_interrupted()) {
            int last = --f->refs == 0, r = gs_interrupt_errno();
            pthread_mutex_unlock(&c->lock);
            if (last)
                flight_free(f);
            if (err && r == -ETIMEDOUT)
                gs_error_set_local(err, "GET", key, r, "Timeout",
                                   "the time bound of the system call ran out waiting for Graph");
            else if (err)
                gs_error_set_local(err, "GET", key, r, "Interrupted",
                                   "the system call was interrupted, or graphsyncfs is stopping");
            return r;
        }
        struct timespec ts;
        gs_interrupt_poll_deadline(&ts);
        pthread_cond_timedwait(&f->done_cv, &c->lock, &ts);
    }
    return 0;
}

/* -EINVAL, said in err (may be NULL), when a get's arguments are not valid. */
static int check_args(const struct gs_cache *c, const char *key, enum gs_ttl_class cls, unsigned flags,
                      struct gs_doc **out, struct gs_error *err)
{
    if (c && key && out && (unsigned)cls < GS_TTL_NCLASS && !(flags & ~GS_GET_KNOWN_FLAGS))
        return 0;
    if (err)
        gs_error_set_local(err, "GET", key ? key : "", -EINVAL, "InvalidArgument",
                           "invalid arguments to the cache");
    return -EINVAL;
}

static int get_once(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                    unsigned flags, struct gs_doc **out, struct gs_error *err)
{
    if (out)
        *out = NULL;
    if (check_args(c, key, cls, flags, out, err) < 0)
        return -EINVAL;
    pthread_mutex_lock(&c->lock);
    struct gs_entry *e = gs_table_find(&c->table, key);
    if (e)
        gs_cache_set_class_locked(c, e, cls);
    double now = gs_cache_mono(c); /* one clock read for a hit's two uses */
    if (e && e->doc && ((flags & GS_GET_CACHED_ONLY) || gs_entry_fresh_at(c, e, now))) {
        c->hits++;
        gs_table_touch(&c->table, e, now);
        gs_doc_ref(&e->doc->pub);
        *out = &e->doc->pub;
        pthread_mutex_unlock(&c->lock);
        return 0;
    }
    if (flags & GS_GET_FRESH_ONLY) {
        pthread_mutex_unlock(&c->lock);
        return -EWOULDBLOCK;
    }
    c->misses++;
    if (flags & GS_GET_CACHED_ONLY) {
        pthread_mutex_unlock(&c->lock);
        if (err)
            gs_error_set_local(err, "GET", key, -ENOENT, "NotCached", "not in the cache");
        return -ENOENT;
    }

    struct gs_flight *f;
    if (e && e->flight) {
        f = e->flight;
        f->refs++;
        c->coalesced++;
        if (wait_flight_locked(c, f, key, err) < 0)
            return -EINTR;
    } else {
        int r = start_flight_locked(c, key, cls, e, &f);
        pthread_mutex_unlock(&c->lock);
        if (r != 0) {
            if (err)
                gs_error_set_local(err, "GET", key, r, "OutOfMemory", "no memory for the cache");
            return r;
        }
        run_flight(c, f, key, cls, flags);
        pthread_mutex_lock(&c->lock);
    }
    int r = take_result_locked(c, f, key, flags, out, err);
    int last = --f->refs == 0;
    pthread_mutex_unlock(&c->lock);
    if (last)
        flight_free(f);
    return r;
}

int gs_cache_get(struct gs_cache *c, const char *key, enum gs_ttl_class cls,
                 unsigned flags, struct gs_doc **out, struct gs_error *err)
{
    int r = get_once(c, key, cls, flags, out, err);
    /* the fetch this call joined was cut because its starter's system call
     * was interrupted, not this one's: fetch again */
    for (int again = 0; r == -EINTR && !gs_interrupted() && again < 3; again++) {
        if (err)
            gs_error_clear(err);
        r = get_once(c, key, cls, flags, out, err);
    }
    return r;
}
