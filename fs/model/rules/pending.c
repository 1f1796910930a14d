/* Pending copies of schemas (pending.h). */
#include "fs/model/rules/pending.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "common/map.h"

struct gs_rules_pending {
    pthread_mutex_t lock;  /* jobs and every copy in it */
    struct gs_map jobs;    /* schema cache key -> struct gs_rules_copy */
};

int gs_rules_pending_new(struct gs_rules_pending **out)
{
    struct gs_rules_pending *p = calloc(1, sizeof(*p));
    if (!p || gs_map_init(&p->jobs) != 0) {
        free(p);
        return -ENOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    *out = p;
    return 0;
}

static void copy_free(struct gs_rules_copy *c)
{
    if (!c)
        return;
    cJSON_Delete(c->doc);
    cJSON_Delete(c->fresh);
    free(c);
}

static void free_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx;
    (void)key;
    (void)klen;
    copy_free(value);
}

void gs_rules_pending_free(struct gs_rules_pending *p)
{
    if (!p)
        return;
    gs_map_each(&p->jobs, free_cb, NULL);
    gs_map_destroy(&p->jobs);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static struct gs_rules_copy *copy_of(const cJSON *doc, const cJSON *fresh)
{
    struct gs_rules_copy *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->doc = cJSON_Duplicate(doc, 1);
    c->fresh = fresh ? cJSON_Duplicate(fresh, 1) : cJSON_CreateObject();
    if (!c->doc || !c->fresh) {
        copy_free(c);
        return NULL;
    }
    return c;
}

int gs_rules_pending_edit(struct gs_rules_pending *p, const char *key, const cJSON *base,
                          int (*fn)(struct gs_rules_copy *c, void *ctx), void *ctx)
{
    pthread_mutex_lock(&p->lock);
    struct gs_rules_copy *cur = gs_map_gets(&p->jobs, key);
    struct gs_rules_copy *work = cur ? copy_of(cur->doc, cur->fresh) : base ? copy_of(base, NULL) : NULL;
    int r = work ? 0 : (cur || base) ? -ENOMEM : -ENOENT;
    if (r == 0) {
        work->gen = cur ? cur->gen + 1 : 1;
        r = fn(work, ctx);
    }
    if (r == 0) {
        clock_gettime(CLOCK_REALTIME, &work->changed);
        if (gs_map_puts(&p->jobs, key, work, NULL) != 0)
            r = -ENOMEM;
        else {
            copy_free(cur);
            work = NULL;
        }
    }
    copy_free(work);
    pthread_mutex_unlock(&p->lock);
    return r;
}

int gs_rules_pending_read(struct gs_rules_pending *p, const char *key,
                          int (*fn)(const struct gs_rules_copy *c, void *ctx), void *ctx, int *found)
{
    pthread_mutex_lock(&p->lock);
    const struct gs_rules_copy *c = gs_map_gets(&p->jobs, key);
    *found = c != NULL;
    int r = c ? fn(c, ctx) : 0;
    pthread_mutex_unlock(&p->lock);
    return r;
}

int gs_rules_pending_drop(struct gs_rules_pending *p, const char *key, uint64_t gen)
{
    pthread_mutex_lock(&p->lock);
    struct gs_rules_copy *c = gs_map_gets(&p->jobs, key);
    int dropped = 0;
    if (c && (gen == 0 || c->gen == gen)) {
        gs_map_dels(&p->jobs, key);
        copy_free(c);
        dropped = 1;
    }
    pthread_mutex_unlock(&p->lock);
    return dropped;
}
