#include "fs/readahead.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/log.h"
#include "fs/fs.h"
#include "fs/tree.h"

/* A caller of fetch_now waits for its items. */
struct waiter {
    size_t remaining;
};

struct item {
    struct item *next;
    struct waiter *waiter; /* NULL for plain read-ahead */
    char key[];            /* the job listing key */
};

struct gs_readahead {
    struct gs_fs *fs;
    pthread_mutex_t lock;
    pthread_cond_t work;    /* items queued or stopping */
    pthread_cond_t done;    /* a waiter's items progressed */
    struct item *head, *tail;
    struct gs_map queued;   /* keys in the queue, to queue each once */
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
            ra->head = it->next;
            if (!ra->head)
                ra->tail = NULL;
            gs_map_dels(&ra->queued, it->key);
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
            if (taken[i]->waiter)
                taken[i]->waiter->remaining--;
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
    if (!ra || gs_map_init(&ra->queued) != 0 || !(ra->threads = calloc((size_t)workers, sizeof(pthread_t)))) {
        if (ra)
            gs_map_destroy(&ra->queued);
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
    pthread_cond_destroy(&ra->work);
    pthread_cond_destroy(&ra->done);
    pthread_mutex_destroy(&ra->lock);
    free(ra->threads);
    free(ra);
}

/* Queues one key (ra->lock held); front = ahead of the plain read-ahead. */
static int push(struct gs_readahead *ra, const char *key, struct waiter *w, int front)
{
    if (!w && gs_map_gets(&ra->queued, key))
        return 0;
    size_t len = strlen(key);
    struct item *it = malloc(sizeof(*it) + len + 1);
    if (!it)
        return -ENOMEM;
    it->waiter = w;
    memcpy(it->key, key, len + 1);
    if (front) {
        it->next = ra->head;
        ra->head = it;
        if (!ra->tail)
            ra->tail = it;
    } else {
        it->next = NULL;
        if (ra->tail)
            ra->tail->next = it;
        else
            ra->head = it;
        ra->tail = it;
    }
    if (!w)
        gs_map_puts(&ra->queued, key, it, NULL);
    return 0;
}

void gs_readahead_queue_sps(struct gs_readahead *ra, const char *const *sp_ids, size_t n)
{
    if (!ra)
        return;
    pthread_mutex_lock(&ra->lock);
    for (size_t i = 0; i < n; i++) {
        char *key = gs_tree_key(GS_K_JOBS, sp_ids[i], NULL, NULL);
        if (key && !gs_cache_is_fresh(ra->fs->cache, key))
            push(ra, key, NULL, 0);
        free(key);
    }
    pthread_cond_broadcast(&ra->work);
    pthread_mutex_unlock(&ra->lock);
}

void gs_readahead_fetch_now(struct gs_fs *fs, struct gs_readahead *ra, const char *const *sp_ids, size_t n)
{
    char **keys = calloc(n ? n : 1, sizeof(*keys));
    size_t nk = 0;
    if (!keys)
        return;
    for (size_t i = 0; i < n; i++) {
        char *key = gs_tree_key(GS_K_JOBS, sp_ids[i], NULL, NULL);
        if (key && !gs_cache_is_fresh(fs->cache, key))
            keys[nk++] = key;
        else
            free(key);
    }
    if (!ra) {
        for (size_t i = 0; i < nk; i += GS_BATCH_MAX)
            fetch_batch(fs, keys + i, nk - i < GS_BATCH_MAX ? nk - i : GS_BATCH_MAX);
    } else if (nk) {
        struct waiter w = {0};
        pthread_mutex_lock(&ra->lock);
        /* pushed to the front in reverse, so they run in listing order */
        for (size_t i = nk; i-- > 0;)
            if (push(ra, keys[i], &w, 1) == 0)
                w.remaining++;
        pthread_cond_broadcast(&ra->work);
        while (w.remaining > 0 && !ra->stop)
            pthread_cond_wait(&ra->done, &ra->lock);
        pthread_mutex_unlock(&ra->lock);
    }
    for (size_t i = 0; i < nk; i++)
        free(keys[i]);
    free(keys);
}
