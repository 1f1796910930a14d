/* Listings that readdirs continue: a ring of the latest, by generation
 * (dirlist.h). */
#include "fs/kernel/dirlist.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#define TIMEOUTS 32 /* directories timing out at once that are remembered */

struct gs_dirlists {
    pthread_mutex_t lock;                      /* leaf: guards all below and refs */
    uint32_t next_gen;                         /* last generation given */
    struct gs_dirlist *slot[GS_DIRLIST_SLOTS]; /* generation g at g % SLOTS, one reference */
    struct {
        uint64_t ino;
        double at;                             /* gs_now() time */
    } timeout[TIMEOUTS];                       /* the latest listings that timed out, a ring */
    unsigned next_timeout;
};

int gs_dirlists_new(struct gs_dirlists **out)
{
    struct gs_dirlists *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return 0;
}

static void listing_free(struct gs_dirlist *l)
{
    gs_dirents_free(l->entries, l->n);
    free(l);
}

void gs_dirlists_free(struct gs_dirlists *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < GS_DIRLIST_SLOTS; i++)
        if (t->slot[i])
            gs_dirlist_unref(t, t->slot[i]);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

int gs_dirlist_add(struct gs_dirlists *t, uint64_t ino, struct gs_dirent *entries, size_t n,
                   struct gs_dirlist **out)
{
    struct gs_dirlist *l = calloc(1, sizeof(*l));
    if (!l) {
        gs_dirents_free(entries, n);
        return -ENOMEM;
    }
    l->entries = entries;
    l->n = n;
    l->ino = ino;
    l->refs = 2; /* the table's and the caller's */
    pthread_mutex_lock(&t->lock);
    /* 31 bits: an offset is gen << 32 | position and must stay positive */
    t->next_gen = (t->next_gen + 1) & 0x7fffffffu;
    if (t->next_gen == 0)
        t->next_gen = 1;
    l->gen = t->next_gen;
    struct gs_dirlist **s = &t->slot[l->gen % GS_DIRLIST_SLOTS];
    struct gs_dirlist *old = *s;
    *s = l;
    if (old && --old->refs == 0) {
        pthread_mutex_unlock(&t->lock);
        listing_free(old);
    } else {
        pthread_mutex_unlock(&t->lock);
    }
    *out = l;
    return 0;
}

struct gs_dirlist *gs_dirlist_find(struct gs_dirlists *t, uint64_t ino, uint32_t gen)
{
    pthread_mutex_lock(&t->lock);
    struct gs_dirlist *l = t->slot[gen % GS_DIRLIST_SLOTS];
    if (l && l->gen == gen && l->ino == ino)
        l->refs++;
    else
        l = NULL;
    pthread_mutex_unlock(&t->lock);
    return l;
}

void gs_dirlist_done(struct gs_dirlists *t, struct gs_dirlist *l)
{
    pthread_mutex_lock(&t->lock);
    struct gs_dirlist **s = &t->slot[l->gen % GS_DIRLIST_SLOTS];
    if (*s == l) {
        *s = NULL;
        l->refs--; /* the caller's reference keeps it */
    }
    pthread_mutex_unlock(&t->lock);
}

void gs_dirlist_unref(struct gs_dirlists *t, struct gs_dirlist *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&t->lock);
    int last = --l->refs == 0;
    pthread_mutex_unlock(&t->lock);
    if (last)
        listing_free(l);
}

void gs_dirlist_timed_out(struct gs_dirlists *t, uint64_t ino, double now)
{
    pthread_mutex_lock(&t->lock);
    unsigned i = t->next_timeout++ % TIMEOUTS;
    t->timeout[i].ino = ino;
    t->timeout[i].at = now;
    pthread_mutex_unlock(&t->lock);
}

int gs_dirlist_just_timed_out(struct gs_dirlists *t, uint64_t ino, double now)
{
    int yes = 0;
    pthread_mutex_lock(&t->lock);
    for (unsigned i = 0; i < TIMEOUTS && !yes; i++)
        yes = t->timeout[i].ino == ino && now - t->timeout[i].at < GS_DIRLIST_ECHO_S && now >= t->timeout[i].at;
    pthread_mutex_unlock(&t->lock);
    return yes;
}

off_t gs_dirlist_off(const struct gs_dirlist *l, size_t i)
{
    return (off_t)(((uint64_t)l->gen << 32) | (uint64_t)(i + 1));
}

void gs_dirlist_pos(off_t off, uint32_t *gen, size_t *next)
{
    *gen = (uint32_t)((uint64_t)off >> 32);
    *next = (size_t)((uint64_t)off & 0xffffffffu);
}
