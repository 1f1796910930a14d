/* The names the kernel holds, by subtree (subtrees.h). */
#include "fs/model/subtrees.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fs/model/fs.h"

double gs_subtree_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The second-level directory n is in (n itself at that level), or NULL for
 * the root, a top-level name, or a name whose chain was cut (detached). */
static struct gs_node *top_of(const struct gs_fs *fs, struct gs_node *n)
{
    if (!n || n == fs->root)
        return NULL;
    for (struct gs_node *p = n->parent; p; n = p, p = p->parent)
        if (p->parent == fs->root)
            return n;
    return NULL;
}

static void unlink_sub(struct gs_subtrees *l, struct gs_subtree *s)
{
    if (s->newer)
        s->newer->older = s->older;
    else
        l->newest = s->older;
    if (s->older)
        s->older->newer = s->newer;
    else
        l->oldest = s->newer;
    s->newer = s->older = NULL;
}

static void push_newest(struct gs_subtrees *l, struct gs_subtree *s)
{
    s->older = l->newest;
    s->newer = NULL;
    if (l->newest)
        l->newest->newer = s;
    else
        l->oldest = s;
    l->newest = s;
}

int gs_subtree_touch(struct gs_fs *fs, struct gs_node *n, int made)
{
    if (!fs->cfg.max_names)
        return 0;
    struct gs_node *top = top_of(fs, n);
    if (!top)
        return 0;
    struct gs_subtree *s = top->sub;
    if (!s) {
        if (!made && top != n)
            return 0; /* untracked (no memory when it was made): stays so */
        s = calloc(1, sizeof(*s));
        if (!s)
            return 0;
        s->top = top;
        top->sub = s;
        if (top != n)
            s->names = 1; /* the top itself, made before memory allowed */
    } else if (fs->subtrees.newest != s) {
        unlink_sub(&fs->subtrees, s);
    }
    if (fs->subtrees.newest != s)
        push_newest(&fs->subtrees, s);
    s->used = gs_subtree_now();
    s->names += made;
    return made && fs->by_ino.count > fs->cfg.max_names;
}

void gs_subtree_forget(struct gs_fs *fs, struct gs_node *n)
{
    if (n->sub) { /* n is a top: its subtree's record goes with it */
        unlink_sub(&fs->subtrees, n->sub);
        free(n->sub);
        n->sub = NULL;
    }
}

int gs_subtree_pick(struct gs_fs *fs, size_t excess, double now, double idle_s,
                    struct gs_subtree_victim **out)
{
    *out = NULL;
    int n = 0, cap = 0;
    struct gs_subtree_victim *v = NULL;
    size_t got = 0;
    /* the newest few are where walks are now, however long Graph takes there */
    struct gs_subtree *keep = fs->subtrees.newest;
    for (int i = 1; keep && i < GS_SUBTREES_KEPT; i++)
        keep = keep->older;
    struct gs_subtree *s = keep ? fs->subtrees.oldest : NULL;
    while (s && s != keep && got < excess && now - s->used >= idle_s) {
        struct gs_subtree *newer = s->newer;
        if (s->held == fs->subtrees.pass || !s->top->parent) {
            s = newer;
            continue;
        }
        if (n == cap) {
            int c = cap ? cap * 2 : 16;
            struct gs_subtree_victim *nv = realloc(v, (size_t)c * sizeof(*nv));
            if (!nv)
                break;
            v = nv;
            cap = c;
        }
        const char *dir = gs_node_name(s->top->parent), *name = gs_node_name(s->top);
        size_t dlen = strlen(dir), nlen = strlen(name);
        v[n].parent_ino = s->top->parent->ino;
        v[n].path = malloc(dlen + 1 + nlen + 1);
        if (!v[n].path)
            break;
        memcpy(v[n].path, dir, dlen);
        v[n].path[dlen] = '/';
        memcpy(v[n].path + dlen + 1, name, nlen + 1);
        v[n].name = v[n].path + dlen + 1;
        n++;
        got += s->names;
        s->names = 1; /* counted as forgotten, all but the top (see names) */
        /* passed over until the kernel has forgotten it (or it is used again) */
        unlink_sub(&fs->subtrees, s);
        push_newest(&fs->subtrees, s);
        s->used = now;
        s = newer;
    }
    *out = v; /* out of memory: the ones picked so far */
    return n;
}

void gs_subtree_hold(struct gs_fs *fs, struct gs_node *n)
{
    struct gs_node *top = top_of(fs, n);
    if (top && top->sub)
        top->sub->held = fs->subtrees.pass;
}

int gs_subtree_kept(struct gs_fs *fs, const struct gs_subtree_victim *v)
{
    struct gs_node *parent = gs_node_by_ino(fs, v->parent_ino);
    struct gs_node *top = parent ? gs_node_find(fs, parent, v->name) : NULL;
    return top && top->nlookup > 0;
}

void gs_subtree_victims_free(struct gs_subtree_victim *v, int n)
{
    for (int i = 0; i < n; i++)
        free(v[i].path);
    free(v);
}
