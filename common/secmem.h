/* Keeping secrets out of core dumps (issue 13, finding 7).
 *
 * Wiping allocation: gs_wipe_* are malloc, free, realloc, calloc and strdup
 * that clear every block before giving it back, so that memory which once
 * held a token or a secret (libcurl's request buffers and header lists,
 * cJSON's strings of a token answer) does not keep it after it is freed.
 * main installs them as libcurl's and cJSON's allocators.
 *
 * Secret pages: gs_secret_dup copies a live secret (the client secret, the
 * current access token) into memory of its own, excluded from core dumps
 * (MADV_DONTDUMP) and wiped when freed with gs_secret_free. */
#ifndef GS_SECMEM_H
#define GS_SECMEM_H

#include <stddef.h>

void *gs_wipe_malloc(size_t n);
void gs_wipe_free(void *p);
void *gs_wipe_realloc(void *p, size_t n);
void *gs_wipe_calloc(size_t nmemb, size_t size);
char *gs_wipe_strdup(const char *s);

/* A NUL-terminated copy of s[0..len) in dump-excluded memory; NULL on ENOMEM. */
char *gs_secret_dup(const char *s, size_t len);
/* Wipes and unmaps a gs_secret_dup copy (NULL: nothing). */
void gs_secret_free(char *s);

#endif
