/* Staged edits of rules (issue 16): one pending copy of the schema per job,
 * made from Graph's schema at the first edit, changed by every write to the
 * rules tree, sent by `commit` as one PUT, dropped by `discard`.
 * Thread-safe; the store's lock is held only while a callback runs (never
 * across network I/O). */
#ifndef GS_RULES_PENDING_H
#define GS_RULES_PENDING_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <time.h>

struct gs_rules_pending;

/* One job's pending copy. */
struct gs_rules_copy {
    cJSON *doc;              /* the whole schema, with the version it was made from */
    cJSON *fresh;            /* object: path of an attribute made by mkdir -> array of
                              * the field files written since (the others stay hidden
                              * until written, so that cp -r can create them) */
    struct timespec changed; /* last edit */
    uint64_t gen;            /* counts edits */
};

int gs_rules_pending_new(struct gs_rules_pending **out);
void gs_rules_pending_free(struct gs_rules_pending *p);

/* Runs fn on the pending copy of the schema behind key (its cache key).
 * When there is none: with base, a copy of base becomes the pending copy
 * first; without, *found is 0 and fn does not run. fn's return value is
 * returned; an edit that fails leaves the copy as it was (fn works on a
 * duplicate that replaces the copy only on success). */
int gs_rules_pending_edit(struct gs_rules_pending *p, const char *key, const cJSON *base,
                          int (*fn)(struct gs_rules_copy *c, void *ctx), void *ctx);

/* Runs fn read-only on the pending copy; *found 0 (and 0 returned) when none. */
int gs_rules_pending_read(struct gs_rules_pending *p, const char *key,
                          int (*fn)(const struct gs_rules_copy *c, void *ctx), void *ctx, int *found);

/* Drops the pending copy; only if its gen is gen when gen is not 0.
 * 1 when one was dropped. */
int gs_rules_pending_drop(struct gs_rules_pending *p, const char *key, uint64_t gen);

#endif
