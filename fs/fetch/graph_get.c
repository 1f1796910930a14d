/* Reading Graph documents for the filesystem: the cache, plus a memory of
 * Graph being unreachable so that one system call does not chain several
 * request budgets (graph_get.h). */
#include "fs/fetch/graph_get.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "common/interrupt.h"

#define GRAPH_DOWN_SECONDS 5.0

double gs_fs_mono(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

void gs_fs_mark_graph_down(struct gs_fs *fs)
{
    double until = gs_fs_mono() + GRAPH_DOWN_SECONDS;
    __atomic_store(&fs->graph_down_until, &until, __ATOMIC_RELEASE);
}

int gs_fs_graph_down(struct gs_fs *fs)
{
    double until;
    __atomic_load(&fs->graph_down_until, &until, __ATOMIC_ACQUIRE);
    return gs_fs_mono() < until;
}

static void mark_graph_up(struct gs_fs *fs)
{
    double zero = 0;
    __atomic_store(&fs->graph_down_until, &zero, __ATOMIC_RELEASE);
}

/* The copy served while Graph is down, without asking it again: err says so. */
static void down_reason(struct gs_fs *fs, const char *key, struct gs_error *err)
{
    if (!err)
        return;
    char *url = gs_client_url(fs->client, key);
    gs_error_set_local(err, "GET", url ? url : key, -EHOSTUNREACH, "GraphUnreachable",
                       "Graph did not answer a request moments ago, so it was not asked again");
    free(url);
}

int gs_fs_get(struct gs_fs *fs, const char *key, enum gs_ttl_class cls, unsigned flags,
              struct gs_doc **out, struct gs_error *err)
{
    if (flags & GS_GET_CACHED_ONLY)
        return gs_cache_get(fs->cache, key, cls, flags, out, err);
    if (gs_interrupt_nowait()) /* libfuse's thread: a fresh copy or nothing */
        return gs_cache_get(fs->cache, key, cls, flags | GS_GET_FRESH_ONLY, out, NULL) == 0 ? 0 : -EWOULDBLOCK;
    int stale_ok = (flags & GS_GET_STALE_OK) != 0;
    int was_fresh = gs_cache_is_fresh(fs->cache, key);
    if (was_fresh)
        return gs_cache_get(fs->cache, key, cls, flags, out, err); /* says nothing about Graph */
    if (stale_ok && gs_fs_graph_down(fs) && gs_cache_servable(fs->cache, key) &&
        gs_cache_get(fs->cache, key, cls, GS_GET_CACHED_ONLY, out, NULL) == 0) {
        down_reason(fs, key, err);
        return 0;
    }
    /* Every answer Graph gives is stored as a new doc; the copy cached before
     * this call comes back only when the refresh got no answer. (Comparing
     * times instead took a fresh answer for a stale one when this call joined
     * a fetch that had its answer just before the call began.) */
    struct gs_doc *prior = NULL;
    gs_cache_peek(fs->cache, key, &prior);
    /* a call whose time bound ran out while it waited for a thread fails
     * without asking Graph: that says nothing about Graph */
    int late = gs_interrupt_past_deadline();
    int r = gs_cache_get(fs->cache, key, cls, flags, out, err);
    int served_prior = r == 0 && prior && *out == prior;
    if (prior)
        gs_doc_unref(prior);
    if (served_prior) {
        if (!late)
            gs_fs_mark_graph_down(fs); /* served stale: the refresh got no usable answer */
        if (err && !err->err)
            down_reason(fs, key, err);
    } else if (r == 0) {
        if (err && err->err)
            gs_error_clear(err); /* a fresh answer: nothing to tell */
        mark_graph_up(fs);
    } else if (err && err->http_status == 0 && r != -ENOMEM && r != -EINTR && !late) {
        gs_fs_mark_graph_down(fs);
    } else if (err && err->http_status != 0) {
        mark_graph_up(fs); /* an HTTP answer: Graph is there */
    }
    return r;
}
