/* servicePrincipals/<sp>/settings/: the settings Graph keeps among the
 * synchronization secrets, one file each, never a credential (man page,
 * "Settings"):
 *   notify_email                 SyncNotificationSettings.Recipients
 *   notify_on_failure  on|off    SyncNotificationSettings.Enabled
 *   delete_threshold   N|off     SyncNotificationSettings.DeleteThresholdEnabled/Value
 *   sync_all           all|assigned          SyncAll
 *   skip_out_of_scope_deletions  true|false  SkipOutOfScopeDeletions
 * A write reads the secrets, changes that one key and PUTs the whole set
 * back, because PUT secrets replaces the set. When Graph answered any value
 * masked, that PUT would overwrite a credential with the mask: the write is
 * refused (EPERM) and last_error says how to make the change instead. */
#ifndef GS_SETTINGS_H
#define GS_SETTINGS_H

#include <stddef.h>

#include "fs/model/fs.h"

#define GS_SETTINGS_N 5
extern const char *const gs_setting_names[GS_SETTINGS_N];

/* The file's bytes: the value and a line feed. */
int gs_setting_read(struct gs_fs *fs, const struct gs_node *n, struct gs_blob **out, struct timespec *mtime);
/* Checks the value (-EINVAL), then changes that setting in Graph. */
int gs_setting_write(struct gs_fs *fs, const struct gs_node *n, const char *in, size_t len);

#endif
