/* Confidential client: the client credentials grant with a client secret, a
 * certificate-signed assertion, or a federated token as the assertion
 * (graph-sync-api.md 8.1). Used by the secret, certificate, env and
 * workload methods. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"
#include "common/secmem.h"

#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
/* PS256 is what the current documentation asks for; Entra also accepts RS256 */
#define ASSERTION_ALG "PS256"

void gs_auth_cred_free(void *state)
{
    struct gs_auth_cred *c = state;
    if (!c)
        return;
    free(c->client_id);
    free(c->tenant);
    free(c->token_url);
    gs_secret_free(c->secret); /* a secret page (gs_auth_secret_to_page) */
    gs_cert_free(c->cert);
    free(c->assertion_file);
    free(c);
}

static int client_acquire(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen)
{
    struct gs_auth_cred *c = a->state;
    struct gs_form f = {0};
    char *assertion = NULL;
    char inner[GS_AUTH_WHY] = "";
    int r = 0;
    gs_form_add(&f, "client_id", c->client_id);
    gs_form_add(&f, "scope", a->scope);
    gs_form_add(&f, "grant_type", "client_credentials");
    if (c->secret) {
        gs_form_add(&f, "client_secret", c->secret);
    } else {
        if (c->cert)
            r = gs_cert_assertion(c->cert, ASSERTION_ALG, c->token_url, c->client_id,
                                  gs_auth_now(), &assertion, inner, sizeof(inner));
        else /* re-read each time: the platform rotates the federated token */
            r = gs_auth_read_token_file(c->assertion_file, GS_AUTH_MAX_FILE, 1, &assertion,
                                         NULL, inner, sizeof(inner));
        if (r < 0)
            gs_auth_whyf(why, whylen, "%s", inner);
        gs_form_add(&f, "client_assertion_type", ASSERTION_TYPE);
        gs_form_add(&f, "client_assertion", assertion ? assertion : "");
    }
    if (r == 0) {
        struct gs_token_response resp;
        r = gs_oauth_post(a, c->token_url, &f, &resp, why, whylen);
        if (r == 0)
            gs_token_response_take(&resp, gs_auth_now(), out);
        gs_token_response_clear(&resp);
    }
    gs_form_clear(&f);
    gs_auth_free_secret(assertion);
    return r;
}

const struct gs_auth_method gs_auth_method_secret = {"secret", client_acquire, gs_auth_cred_free};
const struct gs_auth_method gs_auth_method_certificate = {"certificate", client_acquire,
                                                          gs_auth_cred_free};
const struct gs_auth_method gs_auth_method_env = {"env", client_acquire, gs_auth_cred_free};
const struct gs_auth_method gs_auth_method_workload = {"workload", client_acquire,
                                                       gs_auth_cred_free};

int gs_auth_cred_attach(struct gs_auth *a, const struct gs_auth_method *m,
                          struct gs_auth_cred *cred, char *why, size_t whylen)
{
    if (!cred->client_id || !cred->tenant) {
        gs_auth_cred_free(cred);
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    if (gs_oauth_check_tenant(cred->tenant) != 0) {
        gs_auth_cred_free(cred);
        gs_auth_whyf(why, whylen, "the tenant must be a tenant id or a domain name");
        return -EINVAL;
    }
    cred->token_url = gs_oauth_token_url(a, cred->tenant);
    if (!cred->token_url) {
        gs_auth_cred_free(cred);
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    a->method = m;
    a->state = cred;
    return 0;
}

struct gs_auth_cred *gs_auth_cred_new(const char *client_id, const char *tenant)
{
    struct gs_auth_cred *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->client_id = strdup(client_id);
    c->tenant = strdup(tenant);
    return c;
}

int gs_auth_secret_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                         size_t whylen)
{
    if (!cfg->tenant || !cfg->client_id || !cfg->client_secret_file) {
        gs_auth_whyf(why, whylen, "needs tenant=, client_id= and client_secret_file=");
        return -EINVAL;
    }
    struct gs_auth_cred *c = gs_auth_cred_new(cfg->client_id, cfg->tenant);
    if (!c) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    int r = gs_auth_read_secret_file(cfg->client_secret_file, GS_AUTH_MAX_FILE, 1, &c->secret,
                                     NULL, why, whylen);
    if (r == 0 && (r = gs_auth_secret_to_page(&c->secret)) < 0)
        gs_auth_whyf(why, whylen, "out of memory");
    if (r < 0) {
        gs_auth_cred_free(c);
        return r;
    }
    return gs_auth_cred_attach(a, &gs_auth_method_secret, c, why, whylen);
}

int gs_auth_certificate_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                              size_t whylen)
{
    if (!cfg->tenant || !cfg->client_id || !cfg->client_certificate) {
        gs_auth_whyf(why, whylen, "needs tenant=, client_id= and client_certificate=");
        return -EINVAL;
    }
    struct gs_auth_cred *c = gs_auth_cred_new(cfg->client_id, cfg->tenant);
    if (!c) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    int r = gs_cert_load(cfg->client_certificate, gs_auth_env("AZURE_CLIENT_CERTIFICATE_PASSWORD"),
                         &c->cert, why, whylen);
    if (r < 0) {
        gs_auth_cred_free(c);
        return r;
    }
    return gs_auth_cred_attach(a, &gs_auth_method_certificate, c, why, whylen);
}
