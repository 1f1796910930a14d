/* Renders Graph JSON as the files of the mount show it (DESIGN.md section 3):
 * 2-space indentation, Graph's own key order, `@odata.*` annotations removed
 * (at every depth, including "value@odata.type" style keys), a final newline. */
#ifndef GS_JSON_RENDER_H
#define GS_JSON_RENDER_H

#include <cjson/cJSON.h>
#include <stddef.h>

/* Returns a malloc'd NUL-terminated string and its length (without NUL);
 * item NULL renders as "null\n".
 * Numbers are printed as Graph sent them when the parsed double is an
 * integer of up to 2^53; other numbers with %.17g trimmed. NULL on ENOMEM. */
char *gs_json_render(const cJSON *item, size_t *len_out);

/* The length gs_json_render's text of item would have, without making it. */
size_t gs_json_rendered_len(const cJSON *item);

/* True for keys that rendering drops ("@odata.context", "x@odata.type"). */
int gs_json_is_annotation(const char *key);

#endif
