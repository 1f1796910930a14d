/* The names held by subtree (fs/model/subtrees.h): the count of each second-
 * level directory, its place in the order of use, and which ones a pass of
 * the trimmer picks past max_names: the oldest, idle long enough, not among
 * the newest kept, not holding an open handle, until enough names go. */
#include <stdio.h>
#include <string.h>

#include "fs/model/fs.h"
#include "fs/model/subtrees.h"
#include "tests/unit/check.h"

static struct gs_node *child(struct gs_fs *fs, struct gs_node *parent, const char *name, enum gs_kind kind)
{
    struct gs_dirent e = {.name = (char *)name, .kind = kind, .sp = "sp"};
    pthread_mutex_lock(&fs->lock);
    struct gs_node *n = gs_node_child(fs, parent, &e);
    if (n)
        n->nlookup++; /* the kernel holds it */
    pthread_mutex_unlock(&fs->lock);
    if (!n) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return n;
}

/* Service principal i with `files` names below it (a directory and files). */
static struct gs_node *sp_with(struct gs_fs *fs, struct gs_node *sps, int i, int files)
{
    char name[32];
    snprintf(name, sizeof(name), "sp%d", i);
    struct gs_node *sp = child(fs, sps, name, GS_K_SP);
    struct gs_node *tpls = child(fs, sp, "templates", GS_K_TEMPLATES);
    for (int f = 0; f < files - 2; f++) {
        snprintf(name, sizeof(name), "t%d", f);
        child(fs, tpls, name, GS_K_TEMPLATE);
    }
    return sp;
}

static int sem_count(struct gs_fs *fs)
{
    int v = 0;
    sem_getvalue(&fs->names_over, &v);
    return v;
}

int main(void)
{
    struct gs_fs_config cfg = {.max_names = 40};
    struct gs_fs fs;
    CHECK_INT(gs_fs_init(&fs, &cfg, NULL, NULL), 0);
    struct gs_node *sps = child(&fs, fs.root, "servicePrincipals", GS_K_SPS);
    CHECK(sps->sub == NULL); /* a top-level name is no subtree */

    struct gs_node *sp[20];
    for (int i = 0; i < 20; i++)
        sp[i] = sp_with(&fs, sps, i, 3); /* sp, templates, one template: 3 names each */
    CHECK(sp[0]->sub != NULL);
    CHECK_INT(sp[0]->sub->names, 3);
    CHECK(fs.subtrees.newest == sp[19]->sub);
    CHECK(fs.subtrees.oldest == sp[0]->sub);
    /* 62 names held (root, servicePrincipals, 60), past 40: the trimmer was woken once */
    CHECK_INT(fs.by_ino.count, 62);
    CHECK_INT(sem_count(&fs), 1);
    CHECK_INT(fs.subtrees.posted, 1);

    /* a lookup of a name in sp[0] makes it the newest */
    pthread_mutex_lock(&fs.lock);
    struct gs_node *t = gs_node_find(&fs, sp[0], "templates");
    gs_subtree_touch(&fs, t, 0);
    CHECK(fs.subtrees.newest == sp[0]->sub);
    CHECK(fs.subtrees.oldest == sp[1]->sub);

    /* nothing idle yet: nothing picked */
    struct gs_subtree_victim *v = NULL;
    double now = gs_subtree_now();
    CHECK_INT(gs_subtree_pick(&fs, 22, now, 10.0, &v), 0);
    gs_subtree_victims_free(v, 0);

    /* sp[1] holds an open handle: passed over; 22 names go with the 8 oldest others
     * (3 names each), never one of the 16 newest */
    fs.subtrees.pass++;
    gs_subtree_hold(&fs, gs_node_find(&fs, sp[1], "templates"));
    int n = gs_subtree_pick(&fs, 22, now + 60, 10.0, &v);
    CHECK_INT(n, 3); /* sp2, sp3, sp4: the rest are among the 16 newest */
    if (n == 3) {
        CHECK_STR(v[0].path, "servicePrincipals/sp2");
        CHECK_STR(v[0].name, "sp2");
        CHECK(v[0].parent_ino == sps->ino);
        CHECK_STR(v[2].name, "sp4");
        /* still held by the kernel: kept, until it forgets them */
        CHECK(gs_subtree_kept(&fs, &v[0]));
    }
    /* picked ones are passed over by the next pass until they are idle again:
     * it takes the next oldest (sp5..sp7; the picked ones count among the newest now) */
    struct gs_subtree_victim *v2 = NULL;
    int n2 = gs_subtree_pick(&fs, 22, now + 60, 10.0, &v2);
    CHECK_INT(n2, 3);
    if (n2 == 3) {
        CHECK_STR(v2[0].name, "sp5");
        CHECK_STR(v2[2].name, "sp7");
    }
    gs_subtree_victims_free(v2, n2);

    /* the kernel forgets sp2's names: its record goes with its top (its count was
     * taken for forgotten when it was picked) */
    struct gs_node *tpls = gs_node_find(&fs, sp[2], "templates");
    struct gs_node *t0 = gs_node_find(&fs, tpls, "t0");
    CHECK_INT(sp[2]->sub->names, 1);
    gs_node_forget(&fs, t0, 1);
    gs_node_forget(&fs, tpls, 1);
    gs_node_forget(&fs, sp[2], 1);
    CHECK_INT(fs.by_ino.count, 59);
    if (n == 3)
        CHECK(!gs_subtree_kept(&fs, &v[0]));
    for (struct gs_subtree *s = fs.subtrees.newest; s; s = s->older)
        CHECK(s->top != sp[2]); /* unlinked when its top was freed */
    pthread_mutex_unlock(&fs.lock);
    gs_subtree_victims_free(v, n);

    /* max_names 0: nothing is tracked */
    struct gs_fs fs0;
    struct gs_fs_config cfg0 = {.max_names = 0};
    CHECK_INT(gs_fs_init(&fs0, &cfg0, NULL, NULL), 0);
    struct gs_node *sps0 = child(&fs0, fs0.root, "servicePrincipals", GS_K_SPS);
    struct gs_node *a = sp_with(&fs0, sps0, 0, 3);
    CHECK(a->sub == NULL);
    CHECK(fs0.subtrees.newest == NULL);
    gs_fs_destroy(&fs0);

    gs_fs_destroy(&fs);
    return check_report("test_subtrees");
}
