/* National clouds (graph-sync-api.md section 8.7): the Graph root, the login
 * authority and the .default scope of each. */
#ifndef GS_CLOUD_H
#define GS_CLOUD_H

/* name: global, usgov, dod or china (case-insensitive). Any output pointer
 * may be NULL; the strings are static. Returns 0 or -EINVAL. */
int gs_cloud_lookup(const char *name, const char **graph_url, const char **authority,
                    const char **scope_default);

#endif
