/* Kernel cache invalidation from a dedicated thread: request handlers and
 * cache callbacks only queue work here, never notify the kernel themselves. */
#ifndef GS_INVAL_H
#define GS_INVAL_H

#include <stdint.h>

struct gs_fs;
struct gs_inval;
struct fuse_session;

int gs_inval_start(struct gs_fs *fs, struct gs_inval **out);
/* Every node whose content or entries come from this cache key. */
void gs_inval_push_key(struct gs_inval *iv, const char *key);
/* One inode (attributes and data). */
void gs_inval_push_ino(struct gs_inval *iv, uint64_t ino);
/* The exception to the rule above: a directory's listing in the kernel
 * (FOPEN_CACHE_DIR), dropped by the libfuse thread that has just answered
 * the readdir that ended it, after its reply. A walk ends a listing every
 * few hundred microseconds: handing each to the thread cost a wake-up and
 * a context switch on a CPU the walk was waiting for (du at N=10,000: 62 s,
 * 59 s without). It cannot deadlock: it invalidates the directory's pages,
 * whose lock no caller holds while it waits for this daemon (libfuse's
 * warning is about entries: notify_inval_entry). */
void gs_inval_listing_done(struct fuse_session *se, uint64_t ino);
/* The same, queued for the thread without waking it: it lingers up to
 * GS_INVAL_LINGER_MS after its last item and takes those queued meanwhile
 * with it (a walk ends one such listing every few hundred microseconds).
 * Only for a listing the daemon would answer the same for longer than
 * that, whose every change drops the kernel's copy at once (a rules tree's
 * directory: its schema fresh in the cache; gs_inval_push_key when the
 * schema or a staged edit changes it). */
void gs_inval_push_listing_done(struct gs_inval *iv, uint64_t ino);
#define GS_INVAL_LINGER_MS 3
/* Drains nothing more, joins the thread, frees. */
void gs_inval_stop(struct gs_inval *iv);

#endif
