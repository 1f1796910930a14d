/* OpenSSL's memory kept out of core dumps (auth.h gs_auth_protect_memory). */
#include <errno.h>
#include <openssl/crypto.h>

#include "api/auth/auth.h"
#include "common/secmem.h"

static void *wipe_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return gs_wipe_malloc(n);
}

static void *wipe_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return gs_wipe_realloc(p, n);
}

static void wipe_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    gs_wipe_free(p);
}

int gs_auth_protect_memory(void)
{
    int r = 0;
    if (!CRYPTO_set_mem_functions(wipe_malloc, wipe_realloc, wipe_free))
        r = -EBUSY; /* OpenSSL allocated before: too late */
    /* 1: locked and excluded from dumps; 2: excluded, but mlock was refused */
    if (!CRYPTO_secure_malloc_initialized() &&
        CRYPTO_secure_malloc_init(GS_AUTH_SECURE_HEAP, GS_AUTH_SECURE_MIN) == 0)
        r = -ENOMEM;
    return r;
}
