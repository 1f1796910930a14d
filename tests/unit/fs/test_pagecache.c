/* The page-cache policy of read-only documents (fs/kernel/pagecache.h): which opens
 * keep the kernel's pages, which adopt new bytes, which read directly, and
 * what size the kernel is told meanwhile. */
#include <pthread.h>
#include <string.h>

#include "fs/model/blob.h"
#include "fs/model/fs.h"
#include "fs/kernel/pagecache.h"
#include "tests/unit/check.h"

static struct gs_blob *text(const char *s)
{
    struct gs_blob *b = gs_blob_new(s, strlen(s));
    if (!b) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return b;
}

static void test_eligible(void)
{
    struct gs_node_id id = {.kind = GS_K_JOB_STATUS};
    struct gs_node n = {.id_ = &id};
    CHECK(gs_pagecache_eligible(&n, 0));
    CHECK(!gs_pagecache_eligible(&n, 1));
    id.kind = GS_K_STATUS_TSV;
    CHECK(gs_pagecache_eligible(&n, 0));
    id.kind = GS_K_JOB_SCHEMA; /* written by editors: its bytes change under readers */
    CHECK(!gs_pagecache_eligible(&n, 0));
    id.kind = GS_K_CTL_START;
    CHECK(!gs_pagecache_eligible(&n, 0));
    id.kind = GS_K_SCRATCH;
    CHECK(!gs_pagecache_eligible(&n, 0));
    id.kind = GS_K_JOB;
    CHECK(!gs_pagecache_eligible(&n, 0));
}

static void test_readers_share_bytes_and_a_newer_one_reads_directly(struct gs_fs *fs)
{
    struct gs_node_id id = {.kind = GS_K_JOB_STATUS};
    struct gs_node n = {.id_ = &id};
    struct gs_blob *v1 = text("{\"code\":\"Active\"}"), *v1_again = text("{\"code\":\"Active\"}");
    struct gs_blob *v2 = text("{\"code\":\"Quarantine\"}");

    CHECK_INT(gs_pagecache_open(fs, &n, v1), GS_PC_ADOPT);       /* first open */
    /* until the kernel's older view is dropped, the same bytes adopt too */
    CHECK_INT(gs_pagecache_open(fs, &n, v1_again), GS_PC_ADOPT);
    gs_pagecache_adopted(fs, &n, 1);
    gs_pagecache_adopted(fs, &n, 1);
    CHECK_INT(n.pc_adopting, 0);
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_ADOPT), 0);
    CHECK_INT(gs_pagecache_open(fs, &n, v1_again), GS_PC_KEEP);  /* same bytes, another copy */
    CHECK_INT(gs_pagecache_open(fs, &n, v2), GS_PC_DIRECT);      /* changed while v1 is open */
    CHECK_INT(n.pc_open, 2);
    /* the kernel keeps being told the open readers' size */
    pthread_mutex_lock(&fs->lock);
    CHECK_INT(gs_pagecache_size_locked(&n, v2->len), v1->len);
    pthread_mutex_unlock(&fs->lock);

    n.content = v2; /* what the node renders now */
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_DIRECT), 0);
    CHECK(n.pc_tainted); /* the direct reader may have mapped its own bytes */
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_KEEP), 0);
    /* the last reader of v1 closes on older bytes: refresh the kernel's size */
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_ADOPT), 1);
    CHECK(n.pc_blob == NULL);
    CHECK_INT(n.pc_open, 0);

    pthread_mutex_lock(&fs->lock);
    CHECK_INT(gs_pagecache_size_locked(&n, v2->len), v2->len);
    pthread_mutex_unlock(&fs->lock);
    CHECK_INT(gs_pagecache_open(fs, &n, v2), GS_PC_ADOPT);
    gs_pagecache_adopted(fs, &n, 1);
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_ADOPT), 0); /* content is v2: nothing to refresh */
    CHECK_INT(gs_pagecache_open(fs, &n, v2), GS_PC_KEEP);    /* closed, reopened, unchanged */
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_KEEP), 0);

    n.content = NULL;
    pthread_mutex_lock(&fs->lock);
    gs_node_forget_pagecache_locked(&n);
    pthread_mutex_unlock(&fs->lock);
    gs_blob_unref(v1);
    gs_blob_unref(v1_again);
    gs_blob_unref(v2);
}

static void test_another_size_told_means_adopting_again(struct gs_fs *fs)
{
    struct gs_node_id id = {.kind = GS_K_JOB_STATUS};
    struct gs_node n = {.id_ = &id};
    struct gs_blob *v1 = text("{\"a\":1}"), *v2 = text("{\"a\":22}");
    CHECK_INT(gs_pagecache_open(fs, &n, v1), GS_PC_ADOPT);
    gs_pagecache_adopted(fs, &n, 1);
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_ADOPT), 0);
    /* nobody reads: a stat(2) tells the kernel v2's size, then Graph goes back
     * to v1: the pages of v1 no longer match what the kernel believes */
    pthread_mutex_lock(&fs->lock);
    CHECK_INT(gs_pagecache_size_locked(&n, v2->len), v2->len);
    pthread_mutex_unlock(&fs->lock);
    CHECK(n.pc_blob == NULL);
    CHECK_INT(gs_pagecache_open(fs, &n, v1), GS_PC_ADOPT);
    gs_pagecache_adopted(fs, &n, 1);
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_ADOPT), 0);

    /* the kernel's view could not be dropped: nothing counted, nothing trusted */
    CHECK_INT(gs_pagecache_open(fs, &n, v1), GS_PC_KEEP);
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_KEEP), 0);
    CHECK_INT(gs_pagecache_open(fs, &n, v2), GS_PC_ADOPT);
    gs_pagecache_adopted(fs, &n, 0);
    CHECK_INT(n.pc_open, 0);
    CHECK_INT(n.pc_adopting, 0);
    CHECK(n.pc_blob == NULL);
    CHECK_INT(gs_pagecache_open(fs, &n, v2), GS_PC_ADOPT);
    gs_pagecache_adopted(fs, &n, 1);
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_ADOPT), 0);

    /* a direct reader's close with no cached reader forgets the pages too */
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_DIRECT), 0);
    CHECK(n.pc_blob == NULL);
    CHECK_INT(gs_pagecache_open(fs, &n, v1), GS_PC_ADOPT);
    gs_pagecache_adopted(fs, &n, 1);
    CHECK_INT(gs_pagecache_release(fs, &n, GS_PC_ADOPT), 0);
    pthread_mutex_lock(&fs->lock);
    gs_node_forget_pagecache_locked(&n);
    pthread_mutex_unlock(&fs->lock);
    gs_blob_unref(v1);
    gs_blob_unref(v2);
}

int main(void)
{
    struct gs_fs fs;
    memset(&fs, 0, sizeof(fs));
    pthread_mutex_init(&fs.lock, NULL);
    test_eligible();
    test_readers_share_bytes_and_a_newer_one_reads_directly(&fs);
    test_another_size_told_means_adopting_again(&fs);
    pthread_mutex_destroy(&fs.lock);
    return check_report("test_pagecache");
}
