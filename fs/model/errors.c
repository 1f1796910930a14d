#include "fs/model/errors.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/map.h"

struct gs_errors {
    pthread_mutex_t lock;   /* guards map; a leaf lock */
    struct gs_map map; /* owner -> struct gs_error* */
};

int gs_errors_new(struct gs_errors **out)
{
    struct gs_errors *es = calloc(1, sizeof(*es));
    if (!es)
        return -ENOMEM;
    if (gs_map_init(&es->map) != 0) {
        free(es);
        return -ENOMEM;
    }
    pthread_mutex_init(&es->lock, NULL);
    *out = es;
    return 0;
}

static void free_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx;
    (void)key;
    (void)klen;
    gs_error_clear(value);
    free(value);
}

void gs_errors_free(struct gs_errors *es)
{
    if (!es)
        return;
    gs_map_each(&es->map, free_cb, NULL);
    gs_map_destroy(&es->map);
    pthread_mutex_destroy(&es->lock);
    free(es);
}

void gs_errors_record(struct gs_errors *es, const char *owner, const struct gs_error *e)
{
    struct gs_error *copy = calloc(1, sizeof(*copy));
    if (!copy)
        return;
    gs_error_copy(copy, e);
    if (!copy->when)
        copy->when = time(NULL);
    pthread_mutex_lock(&es->lock);
    void *old = NULL;
    if (gs_map_puts(&es->map, owner, copy, &old) != 0) {
        gs_error_clear(copy);
        free(copy);
    }
    pthread_mutex_unlock(&es->lock);
    if (old) {
        gs_error_clear(old);
        free(old);
    }
}

char *gs_errors_text(struct gs_errors *es, const char *owner, size_t *len, time_t *when)
{
    char *text = NULL;
    *when = 0;
    pthread_mutex_lock(&es->lock);
    struct gs_error *e = gs_map_gets(&es->map, owner);
    if (e) {
        text = gs_error_format(e);
        *when = e->when;
    } else {
        text = strdup("");
    }
    pthread_mutex_unlock(&es->lock);
    if (text)
        *len = strlen(text);
    return text;
}

char *gs_errors_owner(const char *sp, const char *job)
{
    char *s = NULL;
    int r;
    if (sp && job)
        r = asprintf(&s, "job/%s/%s", sp, job);
    else if (sp)
        r = asprintf(&s, "sp/%s", sp);
    else
        r = asprintf(&s, "%s", "");
    return r < 0 ? NULL : s;
}
