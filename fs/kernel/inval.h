/* Kernel cache invalidation from a dedicated thread: request handlers and
 * cache callbacks only queue work here, never notify the kernel themselves. */
#ifndef GS_INVAL_H
#define GS_INVAL_H

#include <stdint.h>

struct gs_fs;
struct gs_inval;

int gs_inval_start(struct gs_fs *fs, struct gs_inval **out);
/* Every node whose content or entries come from this cache key. */
void gs_inval_push_key(struct gs_inval *iv, const char *key);
/* One inode (attributes and data). */
void gs_inval_push_ino(struct gs_inval *iv, uint64_t ino);
/* Drains nothing more, joins the thread, frees. */
void gs_inval_stop(struct gs_inval *iv);

#endif
