/* Ending the daemon promptly (issue 13, finding 4): once the session is
 * exiting (SIGTERM, SIGINT, SIGHUP, an unmount), every wait on Graph ends
 * (gs_stop_all) so that the busy FUSE workers return and libfuse's loop can
 * join them; and the main thread is woken, since the signal may have gone
 * to a thread that is not reading /dev/fuse. */
#ifndef GS_SHUTDOWN_H
#define GS_SHUTDOWN_H

#include <fuse_lowlevel.h>

/* Starts the watcher; call from the main thread before the session loop. */
int gs_shutdown_watch_start(struct fuse_session *se);
/* After the session loop returned. */
void gs_shutdown_watch_stop(void);

#endif
