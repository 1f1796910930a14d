/* Tenant-wide views (DESIGN.md section 2): jobs/ (a symlink per job in the
 * tenant) and status.tsv (one line per job), built from the service
 * principal listing and every job listing, fetched in batches. */
#ifndef GS_TENANT_H
#define GS_TENANT_H

#include "fs/model/fs.h"
#include "fs/views/scan_result.h"

#define GS_TSV_HEADER "spId\tappId\tdisplayName\tjobId\ttemplateId\tscheduleState\tstatusCode\t" \
                      "lastRunState\tlastRunEnd\tescrowed\tquarantineReason\tfetched\terror\n"

/* A built view is used again, without a scan, for status_timeout after it
 * was built unless some cached content changed meanwhile: the lookup, the
 * stat and the open of one `cat status.tsv` cost one scan, not three. */
struct gs_tenant_views;
int gs_tenant_views_new(struct gs_tenant_views **out);
void gs_tenant_views_free(struct gs_tenant_views *v);

/* Entries of the root jobs/ directory: "<displayName>:<jobId>" links, in name
 * order; for_lookup (resolving a name) takes the view built within dir_timeout. */
int gs_tenant_job_links(struct gs_fs *fs, int for_lookup, struct gs_dirent **out, size_t *n);
/* A name in jobs/ (*out filled, or -ENOENT). A name the view as built has
 * is answered from it, however old: a walk through jobs/ (grep -R, cp -rL)
 * that lasts longer than dir_timeout uses the scan that listed it, never a
 * new one, and a link once listed never vanishes (its target says whether
 * the job is still there). Another name is looked for as
 * gs_tenant_job_links(for_lookup) does (a view older than dir_timeout is
 * built again). */
int gs_tenant_job_lookup(struct gs_fs *fs, const char *name, struct gs_dirent *out);
/* One scan of every job, as status.tsv's: res->fn is called for each job;
 * res counts the service principals whose jobs could not be read. */
int gs_tenant_scan(struct gs_fs *fs, struct gs_scan_result *res);
/* The content of status.tsv. */
int gs_tenant_status_tsv(struct gs_fs *fs, struct gs_blob **out, struct timespec *mtime);

/* Every job jobs/ listed when it was last built, in its order: (service
 * principal id, job id) pairs, malloc'd arrays of malloc'd strings.
 * -ENOENT when it was never built, -EBUSY while it is being built. */
int gs_tenant_known_jobs(struct gs_fs *fs, char ***sps, char ***jobs, size_t *n);

#endif
