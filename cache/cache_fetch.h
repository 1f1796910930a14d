/* Internal seams of the cache: where its content comes from and what time it
 * is. gs_cache_new() wires in Graph (cache_fetch_graph.c) and the system
 * clocks; unit tests wire in their own, so they need no network. */
#ifndef GS_CACHE_FETCH_H
#define GS_CACHE_FETCH_H

#include <cjson/cJSON.h>
#include <time.h>

#include "api/graph_error.h"
#include "cache/cache.h"

/* Fetches key (a Graph path) with the GS_GET_* flags (COLLECTION: the result
 * is {"value":[all items]}). Returns 0 with *json_out set (the cache takes it)
 * and request_id filled (NUL-terminated, possibly empty); or a negative errno
 * with err filled in (err->http_status 0 when no HTTP answer arrived). Called
 * with no cache lock held, from any thread. */
typedef int (*gs_cache_fetch_fn)(void *ctx, const char *key, unsigned flags, cJSON **json_out,
                                 char request_id[64], struct gs_error *err);

/* Reads clock `which` (CLOCK_MONOTONIC for expiry, CLOCK_REALTIME for
 * fetched_at and changed_at) into *ts. */
typedef void (*gs_cache_clock_fn)(void *ctx, clockid_t which, struct timespec *ts);

/* gs_cache_new with the fetcher given. cfg NULL: the defaults of cache.h. */
int gs_cache_new_with_fetcher(const struct gs_cache_config *cfg, gs_cache_fetch_fn fetch,
                              void *fetch_ctx, gs_cache_change_fn on_change, void *ctx,
                              struct gs_cache **out);

/* Replaces the clock (default: clock_gettime). Call before the cache is used. */
void gs_cache_set_clock(struct gs_cache *c, gs_cache_clock_fn clock, void *clock_ctx);

/* The fetcher of gs_cache_new: GET through gs_client_request, or
 * gs_client_get_collection for GS_GET_COLLECTION; ctx is the struct gs_client.
 * A body that is not JSON is -EIO, err->code "InvalidJson". */
int gs_cache_fetch_graph(void *ctx, const char *key, unsigned flags, cJSON **json_out,
                         char request_id[64], struct gs_error *err);

#endif
