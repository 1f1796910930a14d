/* Page-cache policy of read-only documents: see pagecache.h. */
#include "fs/kernel/pagecache.h"

#include <pthread.h>
#include <sys/stat.h>

#include "fs/model/blob.h"
#include "fs/model/fs.h"
#include "fs/model/kinds.h"

int gs_pagecache_eligible(const struct gs_node *n, int writing)
{
    /* documents that are written, control files and scratch files keep
     * direct I/O: their bytes change under open handles by design */
    return !writing && gs_kind_has(gs_node_kind(n), GS_KF_PAGECACHE);
}

enum gs_pc_open gs_pagecache_open(struct gs_fs *fs, struct gs_node *n, struct gs_blob *b)
{
    pthread_mutex_lock(&fs->lock);
    enum gs_pc_open mode = gs_pagecache_open_locked(n, b);
    pthread_mutex_unlock(&fs->lock);
    return mode;
}

enum gs_pc_open gs_pagecache_open_locked(struct gs_node *n, struct gs_blob *b)
{
    enum gs_pc_open mode = GS_PC_DIRECT;
    if (n->pc_open == 0) {
        if (n->pc_blob && !n->pc_tainted && gs_blob_equal(n->pc_blob, b)) {
            mode = GS_PC_KEEP;
        } else {
            gs_node_forget_pagecache_locked(n);
            n->pc_blob = gs_blob_ref(b);
            mode = GS_PC_ADOPT;
        }
        n->pc_open = 1;
    } else if (gs_blob_equal(n->pc_blob, b)) {
        /* until the adopting open has dropped the kernel's older pages and
         * attributes, keeping them would read them: drop them too */
        mode = n->pc_adopting ? GS_PC_ADOPT : GS_PC_KEEP;
        n->pc_open++;
    }
    if (mode == GS_PC_ADOPT)
        n->pc_adopting++;
    return mode;
}

void gs_pagecache_adopted(struct gs_fs *fs, struct gs_node *n, int ok)
{
    pthread_mutex_lock(&fs->lock);
    n->pc_adopting--;
    if (!ok) {
        /* the kernel may still hold other bytes: this handle reads directly,
         * and no later open trusts the pages */
        n->pc_open--;
        n->pc_tainted = 1;
        if (n->pc_open == 0)
            gs_node_forget_pagecache_locked(n);
    }
    pthread_mutex_unlock(&fs->lock);
}

int gs_pagecache_release(struct gs_fs *fs, struct gs_node *n, enum gs_pc_open mode)
{
    pthread_mutex_lock(&fs->lock);
    int refresh = gs_pagecache_release_locked(n, mode);
    pthread_mutex_unlock(&fs->lock);
    return refresh;
}

int gs_pagecache_release_locked(struct gs_node *n, enum gs_pc_open mode)
{
    int refresh = 0;
    if (mode == GS_PC_DIRECT) {
        /* a private mmap of a direct handle fills the page cache with its own
         * snapshot: whatever the cache holds is no longer known */
        if (n->pc_open)
            n->pc_tainted = 1;
        else
            gs_node_forget_pagecache_locked(n);
    } else if (n->pc_open && --n->pc_open == 0) {
        /* the kernel was told the size of these readers' bytes: if the
         * content moved on meanwhile, stat(2) should see the new size now */
        refresh = n->pc_tainted || (n->content && !gs_blob_equal(n->content, n->pc_blob));
        if (n->pc_tainted)
            gs_node_forget_pagecache_locked(n);
    }
    return refresh;
}

size_t gs_pagecache_size_locked(struct gs_node *n, size_t len)
{
    if (n->pc_open)
        return n->pc_blob->len;
    /* the kernel is about to believe another size than the cached pages
     * have: the next open must adopt its bytes afresh */
    if (n->pc_blob && n->pc_blob->len != len)
        gs_node_forget_pagecache_locked(n);
    return len;
}
