/* The memory keeper: a thread that, every few seconds, lets go of what has
 * expired (the cache's sweep, the listing index) and gives the freed pages
 * back to the system, so that the daemon returns to about its idle size
 * after a tenant scan (issue 14). */
#ifndef GS_VIEWS_KEEPER_H
#define GS_VIEWS_KEEPER_H

struct gs_fs;
struct gs_keeper;

/* Starts the thread. 0 or -errno. */
int gs_keeper_start(struct gs_fs *fs, struct gs_keeper **out);
/* Stops it and waits for it (NULL: nothing). */
void gs_keeper_stop(struct gs_keeper *k);

/* One round, as the thread does it: 1 when something was let go. */
int gs_keeper_round(struct gs_fs *fs);

#endif
