#include "fs/fetch/prefetch.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/interrupt.h"
#include "common/log.h"
#include "fs/model/kinds.h"

/* Documents of one job: at most this many kinds carry GS_KF_JOB_DOCS. */
#define NDOCS 8

/* In-flight batches, by job key: later callers wait for the first. */
static int begin(struct gs_fs *fs, const char *job_key)
{
    pthread_mutex_lock(&fs->extra_lock);
    int mine = 0;
    while (gs_map_gets(&fs->prefetching, job_key)) {
        if (gs_interrupted()) {
            pthread_mutex_unlock(&fs->extra_lock);
            return 0; /* the caller's own read then gives up too */
        }
        struct timespec ts;
        gs_interrupt_poll_deadline(&ts);
        pthread_cond_timedwait(&fs->prefetch_done, &fs->extra_lock, &ts);
    }
    /* static sentinel: the map only needs presence */
    static char in_flight;
    mine = gs_map_puts(&fs->prefetching, job_key, &in_flight, NULL) == 0;
    pthread_mutex_unlock(&fs->extra_lock);
    return mine;
}

static void end(struct gs_fs *fs, const char *job_key)
{
    pthread_mutex_lock(&fs->extra_lock);
    gs_map_dels(&fs->prefetching, job_key);
    pthread_cond_broadcast(&fs->prefetch_done);
    pthread_mutex_unlock(&fs->extra_lock);
}

void gs_prefetch_job_docs(struct gs_fs *fs, const struct gs_node *n)
{
    if (!n->sp || !n->job)
        return;
    char *job_key = gs_kind_key(GS_K_JOB_JSON, n->sp, n->job, NULL);
    if (!job_key)
        return;
    if (!begin(fs, job_key)) {
        free(job_key);
        return;
    }
    struct gs_batch_item items[NDOCS];
    char *keys[NDOCS];
    size_t count = 0;
    memset(items, 0, sizeof(items));
    for (int k = 0; k < GS_K_COUNT && count < NDOCS; k++) {
        if (!gs_kind_has((enum gs_kind)k, GS_KF_JOB_DOCS))
            continue;
        char *key = gs_kind_key((enum gs_kind)k, n->sp, n->job, NULL);
        if (!key || gs_cache_is_fresh(fs->cache, key)) {
            free(key);
            continue;
        }
        keys[count] = key;
        items[count].method = "GET";
        items[count].path = key;
        count++;
    }
    /* one document missing: the caller's own GET is as cheap */
    uint64_t mark = gs_cache_mark(fs->cache);
    if (count > 1 && gs_client_batch(fs->client, items, count) == 0) {
        for (size_t i = 0; i < count; i++) {
            if (items[i].err != 0 || items[i].status != 200)
                continue;
            cJSON *j = cJSON_ParseWithLength(items[i].body_out, items[i].body_len);
            if (j)
                gs_cache_put_since(fs->cache, keys[i], GS_TTL_DOC, j, items[i].request_id, mark);
            cJSON_Delete(j);
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (count > 1)
            gs_batch_item_clear(&items[i]);
        free(keys[i]);
    }
    end(fs, job_key);
    free(job_key);
}
