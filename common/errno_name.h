/* Symbolic names of errno values, for last_error and logs. */
#ifndef GS_ERRNO_NAME_H
#define GS_ERRNO_NAME_H

/* "EAGAIN" for -EAGAIN or EAGAIN; "OK" for 0; "E<n>" style fallback text
 * otherwise (a static string, never NULL). */
const char *gs_errno_name(int err);

#endif
