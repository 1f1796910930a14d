/* Which Graph permissions a call needs, for the `needs` line of last_error
 * when Graph refuses a call for want of one (graph-sync-api.md section 2).
 * On the synchronization endpoints real tenants answer a missing permission
 * with 401 UnknownError and an empty message (issue 18), so without this
 * line nothing would say what is missing. */
#ifndef GS_PERMISSIONS_H
#define GS_PERMISSIONS_H

/* The permissions, any one of which allows `method` on `url` (a full URL or a
 * path relative to the version root): a static string. */
const char *gs_permissions_needed(const char *method, const char *url);

/* 1 when an HTTP error answer means "a permission is missing" rather than
 * "the token is bad": 403, or 401 with a code other than
 * InvalidAuthenticationToken (code may be NULL). */
int gs_is_permission_refusal(long status, const char *code);

#endif
