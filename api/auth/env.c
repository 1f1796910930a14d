/* The env method: azure-identity's EnvironmentCredential variables.
 *   AZURE_TENANT_ID, AZURE_CLIENT_ID, and AZURE_CLIENT_SECRET or
 *   AZURE_CLIENT_CERTIFICATE_PATH (PEM or PKCS#12, with the optional
 *   AZURE_CLIENT_CERTIFICATE_PASSWORD); AZURE_AUTHORITY_HOST (see auth.c).
 * The secret wins when both are set, as in azure-identity. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

int gs_auth_env_available(const struct gs_auth_config *cfg, char *why, size_t whylen)
{
    if (gs_auth_env("AZURE_TENANT_ID") && gs_auth_env("AZURE_CLIENT_ID") &&
        (gs_auth_env("AZURE_CLIENT_SECRET") || gs_auth_env("AZURE_CLIENT_CERTIFICATE_PATH")))
        return 0;
    gs_auth_whyf(why, whylen,
                 "needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET or "
                 "AZURE_CLIENT_CERTIFICATE_PATH");
    return -ENOENT;
}

int gs_auth_env_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                      size_t whylen)
{
    int r = gs_auth_env_available(cfg, why, whylen);
    if (r < 0)
        return -EINVAL;
    struct gs_auth_cred *c = gs_auth_cred_new(gs_auth_env("AZURE_CLIENT_ID"), gs_auth_env("AZURE_TENANT_ID"));
    if (!c) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    const char *secret = gs_auth_env("AZURE_CLIENT_SECRET");
    if (secret) {
        c->secret = strdup(secret);
        if (!c->secret || gs_auth_secret_to_page(&c->secret) < 0) {
            gs_auth_cred_free(c);
            gs_auth_whyf(why, whylen, "out of memory");
            return -ENOMEM;
        }
    } else {
        char inner[GS_AUTH_WHY];
        r = gs_cert_load(gs_auth_env("AZURE_CLIENT_CERTIFICATE_PATH"),
                         gs_auth_env("AZURE_CLIENT_CERTIFICATE_PASSWORD"), &c->cert, inner,
                         sizeof(inner));
        if (r < 0) {
            gs_auth_whyf(why, whylen, "AZURE_CLIENT_CERTIFICATE_PATH: %s", inner);
            gs_auth_cred_free(c);
            return r;
        }
    }
    return gs_auth_cred_attach(a, &gs_auth_method_env, c, why, whylen);
}
