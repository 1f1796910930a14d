/* pending.diff: the rules files that differ between two schemas (Graph's
 * and the pending copy), as one unified diff with a whole-file hunk per
 * file, paths relative to the job directory (no FUSE). */
#ifndef GS_RULES_DIFF_H
#define GS_RULES_DIFF_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* malloc'd diff text ("" when the rules files are the same); NULL on ENOMEM. */
char *gs_rules_diff(const cJSON *old_schema, const cJSON *new_schema, size_t *len);

/* The text of one rules file of an object mapping (attr NULL: "enabled",
 * "flowTypes", "scope") or of an attribute mapping; malloc'd, NULL on
 * ENOMEM or (errno ENOENT) an unknown field. */
char *gs_rules_file_text(const cJSON *om, const cJSON *attr, const char *field, size_t *len);

#endif
