#include "common/interrupt.h"
#include "fs/fetch/readahead.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "fs/model/fs.h"
#include "fs/fetch/graph_get.h"

/* One job listing to fetch. The queue is doubly linked so that a read that
 * needs a queued listing can move it to the front. */
struct item {
    struct item *prev, *next;
    char key[]; /* the job listing key */
};

struct gs_readahead {
    struct gs_fs *fs;
    /* guards every member below but nworkers and threads (set before the
     * workers start); a leaf lock: workers drop it before fetching */
    pthread_mutex_t lock;
    pthread_cond_t work;    /* items queued or stopping */
    pthread_cond_t done;    /* a batch finished */
    struct item *head, *tail;
    struct gs_map queued;   /* key -> its item in the queue */
    struct gs_map inflight; /* key -> (void *)1 while a batch is fetching it */
    int stop;
    int nworkers;
    pthread_t *threads;
};

void gs_readahead_store_jobs(struct gs_fs *fs, const char *jobs_key, const char *body, size_t len,
                             const char *request_id, uint64_t mark)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(j, "value");
    /* a listing with more pages is left to a plain GET, which follows them */
    if (cJSON_IsArray(value) && !cJSON_GetObjectItemCaseSensitive(j, "@odata.nextLink")) {
        const cJSON *job;
        cJSON_ArrayForEach(job, value) {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(job, "id");
            char *esc = cJSON_IsString(id) ? gs_path("%s", id->valuestring) : NULL;
            char *key = NULL;
            if (esc && asprintf(&key, "%s/%s", jobs_key, esc) >= 0)
                gs_cache_put_since(fs->cache, key, GS_TTL_STATUS, job, request_id, mark);
            free(esc);
            free(key);
        }
        cJSON *listing = cJSON_CreateObject();
        if (listing && cJSON_AddItemToObject(listing, "value", cJSON_Duplicate(value, 1)))
            gs_cache_put_since(fs->cache, jobs_key, GS_TTL_STATUS, listing, request_id, mark);
        cJSON_Delete(listing);
    }
    cJSON_Delete(j);
}

/* One $batch of up to GS_BATCH_MAX job listings. */
static void fetch_batch(struct gs_fs *fs, char **keys, size_t n)
{
    struct gs_batch_item items[GS_BATCH_MAX];
    memset(items, 0, sizeof(items));
    for (size_t i = 0; i < n; i++) {
        items[i].method = "GET";
        items[i].path = keys[i];
    }
    if (gs_fs_graph_down(fs))
        return; /* it failed moments ago: do not wait on it again now */
    /* an action during the batch makes its answers old: they are stored expired */
    uint64_t mark = gs_cache_mark(fs->cache);
    if (gs_client_batch(fs->client, items, n) != 0)
        return;
    size_t unreachable = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].err != 0 && items[i].error.http_status == 0 && items[i].err != -ENOMEM)
            unreachable++;
    if (unreachable == n)
        gs_fs_mark_graph_down(fs);
    for (size_t i = 0; i < n; i++) {
        if (items[i].err == 0 && items[i].status == 200)
            gs_readahead_store_jobs(fs, keys[i], items[i].body_out, items[i].body_len, items[i].request_id,
                                    mark);
        else
            gs_debug("read-ahead of %s: %s", keys[i], items[i].err ? strerror(-items[i].err) : "no answer");
        gs_batch_item_clear(&items[i]);
    }
}

static void unlink_item(struct gs_readahead *ra, struct item *it)
{
    if (it->prev)
        it->prev->next = it->next;
    else
        ra->head = it->next;
    if (it->next)
        it->next->prev = it->prev;
    else
        ra->tail = it->prev;
    it->prev = it->next = NULL;
}

static void *worker(void *arg)
{
    struct gs_readahead *ra = arg;
    pthread_mutex_lock(&ra->lock);
    while (!ra->stop) {
        if (!ra->head) {
            pthread_cond_wait(&ra->work, &ra->lock);
            continue;
        }
        struct item *taken[GS_BATCH_MAX];
        char *keys[GS_BATCH_MAX];
        size_t n = 0, nkeys = 0;
        while (ra->head && n < GS_BATCH_MAX) {
            struct item *it = ra->head;
            unlink_item(ra, it);
            gs_map_dels(&ra->queued, it->key);
            if (gs_map_puts(&ra->inflight, it->key, (void *)1, NULL) != 0) {
                free(it); /* out of memory: a read fetches it itself */
                continue;
            }
            taken[n++] = it;
        }
        pthread_mutex_unlock(&ra->lock);
        for (size_t i = 0; i < n; i++)
            if (!gs_cache_is_fresh(ra->fs->cache, taken[i]->key))
                keys[nkeys++] = taken[i]->key;
        if (nkeys)
            fetch_batch(ra->fs, keys, nkeys);
        pthread_mutex_lock(&ra->lock);
        for (size_t i = 0; i < n; i++) {
            gs_map_dels(&ra->inflight, taken[i]->key);
            free(taken[i]);
        }
        pthread_cond_broadcast(&ra->done);
    }
    pthread_mutex_unlock(&ra->lock);
    return NULL;
}

int gs_readahead_start(struct gs_fs *fs, int workers, struct gs_readahead **out)
{
    *out = NULL;
    if (workers <= 0)
        return 0;
    struct gs_readahead *ra = calloc(1, sizeof(*ra));
    if (!ra || gs_map_init(&ra->queued) != 0 || gs_map_init(&ra->inflight) != 0 ||
        !(ra->threads = calloc((size_t)workers, sizeof(pthread_t)))) {
        if (ra) {
            gs_map_destroy(&ra->queued);
            gs_map_destroy(&ra->inflight);
        }
        free(ra);
        return -ENOMEM;
    }
    ra->fs = fs;
    pthread_mutex_init(&ra->lock, NULL);
    pthread_cond_init(&ra->work, NULL);
    pthread_cond_init(&ra->done, NULL);
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&ra->threads[i], NULL, worker, ra) != 0)
            break;
        ra->nworkers++;
    }
    if (ra->nworkers == 0) {
        gs_readahead_stop(ra);
        return -EAGAIN;
    }
    *out = ra;
    return 0;
}

void gs_readahead_stop(struct gs_readahead *ra)
{
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    ra->stop = 1;
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
    for (int i = 0; i < ra->nworkers; i++)
        pthread_join(ra->threads[i], NULL);
    while (ra->head) {
        struct item *it = ra->head;
        ra->head = it->next;
        free(it);
    }
    gs_map_destroy(&ra->queued);
    gs_map_destroy(&ra->inflight);
    pthread_cond_destroy(&ra->work);
    pthread_cond_destroy(&ra->done);
    pthread_mutex_destroy(&ra->lock);
    free(ra->threads);
    free(ra);
}

/* Queues one key (ra->lock held) unless it is queued or in flight already;
 * front: ahead of the plain read-ahead, and a queued key moves there. */
static int push(struct gs_readahead *ra, const char *key, int front)
{
    if (gs_map_gets(&ra->inflight, key))
        return 0;
    struct item *it = gs_map_gets(&ra->queued, key);
    if (it && !front)
        return 0;
    if (it) {
        unlink_item(ra, it);
    } else {
        size_t len = strlen(key);
        it = malloc(sizeof(*it) + len + 1);
        if (!it)
            return -ENOMEM;
        memcpy(it->key, key, len + 1);
        if (gs_map_puts(&ra->queued, key, it, NULL) != 0) {
            free(it);
            return -ENOMEM;
        }
    }
    it->prev = it->next = NULL;
    if (front) {
        it->next = ra->head;
        if (ra->head)
            ra->head->prev = it;
        ra->head = it;
        if (!ra->tail)
            ra->tail = it;
    } else {
        it->prev = ra->tail;
        if (ra->tail)
            ra->tail->next = it;
        ra->tail = it;
        if (!ra->head)
            ra->head = it;
    }
    return 0;
}

void gs_readahead_queue_sps(struct gs_readahead *ra, const char *const *sp_ids, size_t n, int refresh)
{
    if (!ra)
        return;
    struct gs_cache *c = ra->fs->cache;
    double recent = ra->fs->cfg.listing_recent;
    pthread_mutex_lock(&ra->lock);
    for (size_t i = 0; i < n; i++) {
        char *key = gs_kind_key(GS_K_JOBS, sp_ids[i], NULL, NULL);
        if (!key)
            continue;
        if (refresh || recent <= 0 ? !gs_cache_is_fresh(c, key) : !gs_cache_stored_within(c, key, recent))
            push(ra, key, 0);
        free(key);
    }
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
}

static int pending(struct gs_readahead *ra, const char *key)
{
    return gs_map_gets(&ra->queued, key) || gs_map_gets(&ra->inflight, key);
}

void gs_readahead_fetch_now(struct gs_fs *fs, struct gs_readahead *ra, const char *const *sp_ids, size_t n)
{
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t nk = 0;
    if (!keys)
        return;
    for (size_t i = 0; i < n; i++) {
        char *key = gs_kind_key(GS_K_JOBS, sp_ids[i], NULL, NULL);
        if (key && !gs_cache_is_fresh(fs->cache, key))
            keys[nk++] = key;
        else
            free(key);
    }
    if (!ra) {
        for (size_t i = 0; i < nk; i += GS_BATCH_MAX)
            fetch_batch(fs, keys + i, nk - i < GS_BATCH_MAX ? nk - i : GS_BATCH_MAX);
    } else if (nk) {
        pthread_mutex_lock(&ra->lock);
        /* pushed to the front in reverse, so they run in listing order; a key
         * a batch is already fetching is waited for, not fetched again */
        for (size_t i = nk; i-- > 0;)
            push(ra, keys[i], 1);
        pthread_cond_broadcast(&ra->work);
        /* batches finish roughly in queue order: check from the first
         * key still pending onwards */
        size_t first = 0;
        while (!ra->stop) {
            while (first < nk && !pending(ra, keys[first]))
                first++;
            if (first == nk || gs_interrupted())
                break; /* an interrupted caller stops waiting; the batches go on */
            struct timespec ts;
            gs_interrupt_poll_deadline(&ts);
            pthread_cond_timedwait(&ra->done, &ra->lock, &ts);
        }
        pthread_mutex_unlock(&ra->lock);
    }
    for (size_t i = 0; i < nk; i++)
        free(keys[i]);
    free(keys);
}
