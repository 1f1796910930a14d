/* The workload method (Kubernetes workload identity): a federated token in
 * AZURE_FEDERATED_TOKEN_FILE, re-read at each refresh because the platform
 * rotates it, is exchanged as a client assertion for AZURE_CLIENT_ID in
 * AZURE_TENANT_ID. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

int gs_auth_workload_available(const struct gs_auth_config *cfg, char *why, size_t whylen)
{
    if (gs_auth_env("AZURE_FEDERATED_TOKEN_FILE") && gs_auth_env("AZURE_TENANT_ID") &&
        gs_auth_env("AZURE_CLIENT_ID"))
        return 0;
    gs_auth_whyf(why, whylen,
                 "needs AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID and AZURE_CLIENT_ID");
    return -ENOENT;
}

int gs_auth_workload_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                           size_t whylen)
{
    if (gs_auth_workload_available(cfg, why, whylen) < 0)
        return -EINVAL;
    const char *file = gs_auth_env("AZURE_FEDERATED_TOKEN_FILE");
    /* checked now, so that a bad file fails the mount rather than a refresh */
    char *probe = NULL;
    int r = gs_auth_read_token_file(file, GS_AUTH_MAX_FILE, 1, &probe, NULL, why, whylen);
    gs_auth_free_secret(probe);
    if (r < 0)
        return r;
    struct gs_auth_cred *c = gs_auth_cred_new(gs_auth_env("AZURE_CLIENT_ID"), gs_auth_env("AZURE_TENANT_ID"));
    if (!c) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    c->assertion_file = strdup(file);
    if (!c->assertion_file) {
        gs_auth_cred_free(c);
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    return gs_auth_cred_attach(a, &gs_auth_method_workload, c, why, whylen);
}
