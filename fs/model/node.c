/* The node table: inode numbers, names, lookup counts and pins. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/model/fs.h"
#include "fs/model/errors.h"
#include "fs/model/kinds.h"

/* A node's ids (sp, job, tpl, owner) are shared with its parent when they
 * are the same, as most are: a rules tree's hundreds of names all carry
 * their service principal's and template's. Each node holds one count of
 * each; the count is atomic because nodes are freed outside fs->lock
 * (gs_node_free_dead). */
struct shared_str {
    unsigned refs;
    char s[];
};

static struct shared_str *sstr_of(const char *s)
{
    return (struct shared_str *)(void *)(s - offsetof(struct shared_str, s));
}

static char *sstr_new(const char *s)
{
    size_t len = strlen(s);
    struct shared_str *x = malloc(sizeof(*x) + len + 1);
    if (!x)
        return NULL;
    x->refs = 1;
    memcpy(x->s, s, len + 1);
    return x->s;
}

/* The parent's string when it is the same (one count more), else a new one. */
static char *sstr_share(const char *parent_s, const char *s)
{
    if (!s)
        return NULL;
    if (parent_s && strcmp(parent_s, s) == 0) {
        __atomic_add_fetch(&sstr_of(parent_s)->refs, 1, __ATOMIC_RELAXED);
        return (char *)parent_s;
    }
    return sstr_new(s);
}

static void sstr_unref(char *s)
{
    if (s && __atomic_sub_fetch(&sstr_of(s)->refs, 1, __ATOMIC_ACQ_REL) == 0)
        free(sstr_of(s));
}

/* The owner (errors.h) of a node with these ids: its parent's when the ids
 * it depends on are the parent's, else a new one. */
static char *owner_share(const struct gs_node *parent, const struct gs_node *n)
{
    if (parent && parent->owner && n->sp == parent->sp && n->job == parent->job)
        return sstr_share(parent->owner, parent->owner);
    char *o = gs_errors_owner(n->sp, n->job);
    char *shared = o ? sstr_new(o) : NULL;
    free(o);
    return shared;
}

static char *dupnull(const char *s)
{
    return s ? strdup(s) : NULL;
}

static size_t name_key(char *buf, size_t size, uint64_t parent_ino, const char *name)
{
    int n = snprintf(buf, size, "%" PRIu64 "/%s", parent_ino, name);
    return n < 0 ? 0 : (size_t)n;
}

struct gs_node *gs_node_by_ino(struct gs_fs *fs, uint64_t ino)
{
    return gs_map_get(&fs->by_ino, &ino, sizeof(ino));
}

/* Indexes n under the key of id, a record not yet published (fs->lock held). */
static void key_link(struct gs_fs *fs, struct gs_node *n, struct gs_node_id *id)
{
    if (!id->key)
        return;
    struct gs_node *first = gs_map_gets(&fs->by_key, id->key);
    n->key_next = first;
    n->key_prev = NULL;
    if (gs_map_puts(&fs->by_key, id->key, n, NULL) != 0) {
        /* cannot index: the node simply gets no kernel invalidations */
        free(id->key);
        id->key = NULL;
        n->key_next = NULL;
        return;
    }
    if (first)
        first->key_prev = n;
}

static void key_unlink(struct gs_fs *fs, struct gs_node *n)
{
    const char *key = gs_node_key(n);
    if (!key)
        return;
    if (n->key_next)
        n->key_next->key_prev = n->key_prev;
    if (n->key_prev)
        n->key_prev->key_next = n->key_next;
    else if (n->key_next) /* n was the first: the map points at the next */
        gs_map_puts(&fs->by_key, key, n->key_next, NULL);
    else
        gs_map_dels(&fs->by_key, key);
    n->key_next = n->key_prev = NULL;
}

static void id_free(struct gs_node_id *id)
{
    while (id) {
        struct gs_node_id *older = id->older;
        free(id->name);
        free(id->key);
        free(id);
        id = older;
    }
}

/* A new record for a node with these ids; NULL on ENOMEM. */
static struct gs_node_id *id_new(enum gs_kind kind, const char *name, const char *sp,
                                 const char *job, const char *tpl)
{
    struct gs_node_id *id = calloc(1, sizeof(*id));
    if (!id)
        return NULL;
    id->kind = kind;
    id->name = strdup(name);
    id->key = gs_kind_key(kind, sp, job, tpl);
    if (!id->name) {
        id_free(id);
        return NULL;
    }
    return id;
}

static void id_publish(struct gs_node *n, struct gs_node_id *id)
{
    __atomic_store_n(&n->id_, id, __ATOMIC_RELEASE);
}

static void node_free(struct gs_node *n)
{
    gs_blob_unref(n->content);
    gs_blob_unref(n->pc_blob);
    id_free(n->id_);
    sstr_unref(n->sp);
    sstr_unref(n->job);
    sstr_unref(n->tpl);
    sstr_unref(n->owner);
    free(n->target);
    free(n->stale);
    free(n->sub);
    free(n);
}

static struct gs_node *node_new(struct gs_fs *fs, struct gs_node *parent, const struct gs_dirent *e)
{
    struct gs_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->ino = fs->next_ino++;
    n->parent = parent;
    n->id_ = id_new(e->kind, e->name, e->sp, e->job, e->tpl);
    n->sp = sstr_share(parent ? parent->sp : NULL, e->sp);
    n->job = sstr_share(parent ? parent->job : NULL, e->job);
    n->tpl = sstr_share(parent ? parent->tpl : NULL, e->tpl);
    n->owner = owner_share(parent, n);
    n->target = dupnull(e->target);
    n->reported_size = -1;
    if (!n->id_ || !n->owner || (e->sp && !n->sp) || (e->job && !n->job) ||
        (e->tpl && !n->tpl) || (e->target && !n->target)) {
        node_free(n);
        return NULL;
    }
    return n;
}

struct gs_node *gs_node_child(struct gs_fs *fs, struct gs_node *parent, const struct gs_dirent *e)
{
    char k[GS_NAME_KEY_MAX];
    size_t klen = name_key(k, sizeof(k), parent->ino, e->name);
    struct gs_node *n = gs_map_get(&fs->by_name, k, klen);
    if (n) {
        /* same name, different object (a display name now points elsewhere) */
        int same = gs_node_kind(n) == e->kind &&
                   (!e->target || (n->target && strcmp(n->target, e->target) == 0));
        if (same) {
            gs_subtree_touch(fs, n, 0);
            return n;
        }
        gs_map_del(&fs->by_name, k, klen);
        n->parent = NULL; /* detached: lives on while the kernel holds it */
        gs_node_unpin(fs, parent);
    }
    n = node_new(fs, parent, e);
    if (!n)
        return NULL;
    if (gs_map_put(&fs->by_ino, &n->ino, sizeof(n->ino), n, NULL) != 0 ||
        gs_map_put(&fs->by_name, k, klen, n, NULL) != 0) {
        gs_map_del(&fs->by_ino, &n->ino, sizeof(n->ino));
        node_free(n);
        return NULL;
    }
    key_link(fs, n, n->id_);
    gs_node_pin(parent); /* a child keeps its parent */
    if (gs_subtree_touch(fs, n, 1) && !fs->subtrees.posted) {
        fs->subtrees.posted = 1;
        sem_post(&fs->names_over);
    }
    return n;
}

int gs_node_move(struct gs_fs *fs, struct gs_node *n, const char *name, enum gs_kind kind)
{
    struct gs_node *parent = n->parent;
    if (!parent)
        return -ENOENT;
    struct gs_node_id *id = id_new(kind, name, n->sp, n->job, n->tpl);
    if (!id)
        return -ENOMEM;
    char k[GS_NAME_KEY_MAX];
    size_t klen = name_key(k, sizeof(k), parent->ino, gs_node_name(n));
    if (gs_map_get(&fs->by_name, k, klen) == n)
        gs_map_del(&fs->by_name, k, klen);
    klen = name_key(k, sizeof(k), parent->ino, name);
    struct gs_node *old = gs_map_get(&fs->by_name, k, klen);
    if (old && old != n) {
        /* the replaced object lives on detached while the kernel holds it */
        gs_map_del(&fs->by_name, k, klen);
        old->parent = NULL;
        parent->pins--;
    }
    key_unlink(fs, n);
    key_link(fs, n, id);
    /* readers without the lock may still hold the old record: it lives on */
    id->older = n->id_;
    id_publish(n, id);
    gs_blob_unref(n->content);
    n->content = NULL;
    free(n->stale);
    n->stale = NULL;
    n->content_gen = 0;
    n->fresh_until = 0;
    n->size_gen = 0;
    n->reported_size = -1;
    gs_node_forget_pagecache_locked(n);
    n->mtime.tv_sec = 0;
    n->mtime.tv_nsec = 0;
    return gs_map_put(&fs->by_name, k, klen, n, NULL);
}

void gs_node_forget_pagecache_locked(struct gs_node *n)
{
    if (n->pc_open)
        return; /* readers still hold these bytes: the size stays theirs */
    gs_blob_unref(n->pc_blob);
    n->pc_blob = NULL;
    n->pc_tainted = 0;
}

struct gs_node *gs_node_find(struct gs_fs *fs, struct gs_node *parent, const char *name)
{
    char k[GS_NAME_KEY_MAX];
    size_t klen = name_key(k, sizeof(k), parent->ino, name);
    return gs_map_get(&fs->by_name, k, klen);
}

void gs_node_pin(struct gs_node *n)
{
    n->pins++;
}

/* Frees n and what it left unpinned up its chain, under fs->lock; with dead
 * non-NULL the freeing itself is left to the caller (gs_node_free_dead,
 * after it dropped the lock): n is out of every index already. */
static void node_release(struct gs_fs *fs, struct gs_node *n, struct gs_node **dead)
{
    while (n && n != fs->root && n->nlookup == 0 && n->pins == 0) {
        struct gs_node *parent = n->parent;
        gs_map_del(&fs->by_ino, &n->ino, sizeof(n->ino));
        if (parent) {
            char k[GS_NAME_KEY_MAX];
            size_t klen = name_key(k, sizeof(k), parent->ino, gs_node_name(n));
            if (gs_map_get(&fs->by_name, k, klen) == n)
                gs_map_del(&fs->by_name, k, klen);
        }
        key_unlink(fs, n);
        gs_subtree_forget(fs, n);
        if (dead) {
            n->key_next = *dead; /* unlinked above: free for the list */
            *dead = n;
        } else {
            node_free(n);
        }
        if (!parent)
            break;
        parent->pins--;
        n = parent;
    }
}

void gs_node_unpin(struct gs_fs *fs, struct gs_node *n)
{
    if (n->pins > 0)
        n->pins--;
    node_release(fs, n, NULL);
}

void gs_node_forget(struct gs_fs *fs, struct gs_node *n, uint64_t nlookup)
{
    n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
    node_release(fs, n, NULL);
}

void gs_node_forget_later(struct gs_fs *fs, struct gs_node *n, uint64_t nlookup, struct gs_node **dead)
{
    n->nlookup = nlookup > n->nlookup ? 0 : n->nlookup - nlookup;
    node_release(fs, n, dead);
}

void gs_node_free_dead(struct gs_node *dead)
{
    while (dead) {
        struct gs_node *next = dead->key_next;
        node_free(dead);
        dead = next;
    }
}

void gs_node_each_with_key(struct gs_fs *fs, const char *key,
                           void (*fn)(void *ctx, struct gs_node *n), void *ctx)
{
    for (struct gs_node *n = gs_map_gets(&fs->by_key, key); n; n = n->key_next)
        fn(ctx, n);
}

void gs_open_link(struct gs_fs *fs, struct gs_open *o)
{
    o->prev = NULL;
    o->next = fs->open_handles;
    if (o->next)
        o->next->prev = o;
    fs->open_handles = o;
    o->linked = 1;
}

void gs_open_unlink(struct gs_fs *fs, struct gs_open *o)
{
    if (!o->linked)
        return;
    if (o->prev)
        o->prev->next = o->next;
    else
        fs->open_handles = o->next;
    if (o->next)
        o->next->prev = o->prev;
    o->linked = 0;
}

void gs_dirent_clear(struct gs_dirent *e)
{
    free(e->name);
    free(e->target);
    e->name = NULL;
    e->target = NULL;
}

void gs_dirents_free(struct gs_dirent *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        gs_dirent_clear(&v[i]);
    free(v);
}

int gs_fs_init(struct gs_fs *fs, const struct gs_fs_config *cfg,
               struct gs_client *client, struct gs_cache *cache)
{
    memset(fs, 0, sizeof(*fs));
    fs->cfg = *cfg;
    gs_kind_set_serve_stale(cfg->serve_stale);
    fs->client = client;
    fs->cache = cache;
    clock_gettime(CLOCK_REALTIME, &fs->started);
    pthread_mutex_init(&fs->lock, NULL);
    pthread_mutex_init(&fs->extra_lock, NULL);
    pthread_cond_init(&fs->fh_returned, NULL);
    sem_init(&fs->names_over, 0, 0);
    if (gs_map_init(&fs->by_ino) || gs_map_init(&fs->by_name) || gs_map_init(&fs->by_key) ||
        gs_map_init(&fs->results) || gs_map_init(&fs->hidden)) {
        gs_fs_destroy(fs);
        return -ENOMEM;
    }
    fs->next_ino = 2; /* FUSE_ROOT_ID is 1 */
    fs->root = calloc(1, sizeof(*fs->root));
    if (!fs->root || !(fs->root->id_ = id_new(GS_K_ROOT, "", NULL, NULL, NULL)) ||
        !(fs->root->owner = owner_share(NULL, fs->root))) {
        gs_fs_destroy(fs);
        return -ENOMEM;
    }
    fs->root->ino = 1;
    fs->root->reported_size = -1;
    fs->root->mtime = fs->started;
    if (gs_map_put(&fs->by_ino, &fs->root->ino, sizeof(uint64_t), fs->root, NULL) != 0) {
        gs_fs_destroy(fs);
        return -ENOMEM;
    }
    return 0;
}

static void free_node_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx;
    (void)key;
    (void)klen;
    node_free(value);
}

static void free_value_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx;
    (void)key;
    (void)klen;
    free(value);
}

static void free_result_cb(void *ctx, const void *key, size_t klen, void *value)
{
    (void)ctx;
    (void)key;
    (void)klen;
    struct gs_result *res = value;
    gs_blob_unref(res->blob);
    free(res);
}

void gs_fs_destroy(struct gs_fs *fs)
{
    if (fs->by_ino.buckets)
        gs_map_each(&fs->by_ino, free_node_cb, NULL);
    else if (fs->root)
        node_free(fs->root);
    fs->root = NULL;
    gs_map_destroy(&fs->by_ino);
    gs_map_destroy(&fs->by_name);
    gs_map_destroy(&fs->by_key);
    gs_map_each(&fs->results, free_result_cb, NULL);
    gs_map_destroy(&fs->results);
    gs_map_each(&fs->hidden, free_value_cb, NULL);
    gs_map_destroy(&fs->hidden);
    pthread_cond_destroy(&fs->fh_returned);
    sem_destroy(&fs->names_over);
    pthread_mutex_destroy(&fs->extra_lock);
    pthread_mutex_destroy(&fs->lock);
}
