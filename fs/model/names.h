/* Turns names that come from Graph into safe file names (DESIGN.md section 2):
 * '/' becomes U+FF0F (fullwidth solidus), NUL and control characters '_',
 * invalid UTF-8 bytes '_', "." and ".." are prefixed with '_', the empty name
 * becomes "_", and names longer than 255 bytes are cut at a character
 * boundary. */
#ifndef GS_NAMES_H
#define GS_NAMES_H

#include <stddef.h>

#define GS_NAME_MAX 255

/* malloc'd safe name of at most max_bytes bytes (<= GS_NAME_MAX); NULL on ENOMEM. */
char *gs_name_safe(const char *graph_name, size_t max_bytes);

/* malloc'd "<safe name>~<id>" fitting GS_NAME_MAX bytes (the name part is cut,
 * never the id): how duplicates are told apart. NULL on ENOMEM. */
char *gs_name_with_id(const char *graph_name, const char *id);

/* 1 if name could have been produced by gs_name_safe (no '/', no NUL,
 * not "." or "..", not empty, <= GS_NAME_MAX bytes). */
int gs_name_is_safe(const char *name);

#endif
