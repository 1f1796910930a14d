/* The managed method: Azure managed identity.
 *   App Service / Functions / Container Apps: IDENTITY_ENDPOINT and
 *   IDENTITY_HEADER (sent as X-IDENTITY-HEADER), api-version 2019-08-01.
 *   Virtual machines: IMDS at http://169.254.169.254/metadata/identity/oauth2/token
 *   with "Metadata: true", api-version 2018-02-01. GRAPHSYNCFS_IMDS_ENDPOINT
 *   replaces that URL (tests point it at the emulator).
 * A user-assigned identity is chosen by client_id= or AZURE_CLIENT_ID. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

#define IMDS_URL "http://169.254.169.254/metadata/identity/oauth2/token"
#define IMDS_PROBE_MS 1000L

struct managed {
    char *url;    /* with its query; holds no secret */
    char *header; /* "X-IDENTITY-HEADER: <secret>" or "Metadata: true" */
};

static void managed_free(void *state)
{
    struct managed *m = state;
    if (!m)
        return;
    free(m->url);
    gs_auth_free_secret(m->header);
    free(m);
}

static int managed_acquire(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen)
{
    struct managed *m = a->state;
    struct gs_auth_http_call call = {.method = "GET", .url = m->url, .header = m->header,
                                .timeout_ms = a->timeout_ms, .retries = 2, .no_proxy = 1};
    struct gs_auth_http_answer ans;
    char net[GS_AUTH_WHY];
    int r = gs_auth_http(&call, &ans, net, sizeof(net));
    if (r < 0) {
        gs_auth_whyf(why, whylen, "%s", net);
        return r;
    }
    struct gs_token_response resp;
    r = gs_token_response_parse(ans.body, ans.len, gs_auth_now(), &resp);
    if (r == 0 && ans.status != 200)
        r = -EPROTO;
    if (r == 0) {
        gs_token_response_take(&resp, gs_auth_now(), out);
    } else {
        if (r == -EPROTO)
            r = ans.status >= 500 ? -EIO : -EACCES;
        gs_auth_whyf(why, whylen, "GET %s: HTTP %ld%s%s%s%s", m->url, ans.status,
                     resp.error[0] ? " " : "", resp.error, resp.description[0] ? ": " : "",
                     resp.description);
    }
    gs_token_response_clear(&resp);
    gs_auth_http_answer_clear(&ans);
    return r;
}

static const struct gs_auth_method method_managed = {"managed", managed_acquire, managed_free};

static const char *imds_url(void)
{
    const char *u = gs_auth_env("GRAPHSYNCFS_IMDS_ENDPOINT");
    return u ? u : IMDS_URL;
}

static char *token_url(const char *base, const char *api_version, const char *resource,
                       const char *client_id)
{
    char *res = gs_form_escape(resource);
    char *cid = client_id ? gs_form_escape(client_id) : NULL;
    char *url = NULL;
    if (res && (cid || !client_id) &&
        asprintf(&url, "%s%capi-version=%s&resource=%s%s%s", base, strchr(base, '?') ? '&' : '?',
                 api_version, res, cid ? "&client_id=" : "", cid ? cid : "") < 0)
        url = NULL;
    free(res);
    free(cid);
    return url;
}

int gs_auth_managed_available(const struct gs_auth *a, char *why, size_t whylen)
{
    if (gs_auth_env("IDENTITY_ENDPOINT"))
        return 0;
    /* as azure-identity does: any answer, even an error, means IMDS is there */
    struct gs_auth_http_call call = {.method = "GET", .url = imds_url(), .timeout_ms = IMDS_PROBE_MS,
                                .no_proxy = 1};
    struct gs_auth_http_answer ans;
    char net[GS_AUTH_WHY];
    if (gs_auth_http(&call, &ans, net, sizeof(net)) == 0) {
        gs_auth_http_answer_clear(&ans);
        return 0;
    }
    gs_auth_whyf(why, whylen, "IDENTITY_ENDPOINT is not set and IMDS (%s) did not answer within 1 s",
                 imds_url());
    return -ENOENT;
}

int gs_auth_managed_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                          size_t whylen)
{
    const char *client_id = cfg->client_id ? cfg->client_id : gs_auth_env("AZURE_CLIENT_ID");
    const char *endpoint = gs_auth_env("IDENTITY_ENDPOINT");
    const char *secret = gs_auth_env("IDENTITY_HEADER");
    if (endpoint && !secret) {
        gs_auth_whyf(why, whylen, "IDENTITY_ENDPOINT is set without IDENTITY_HEADER (Azure Arc "
                                  "and Service Fabric identities are not supported)");
        return -EINVAL;
    }
    if (secret && gs_token_check(secret) != 0) {
        gs_auth_whyf(why, whylen, "IDENTITY_HEADER holds spaces or control characters");
        return -EINVAL;
    }
    const char *base = endpoint ? endpoint : imds_url();
    if (strncmp(base, "http://", 7) != 0 && strncmp(base, "https://", 8) != 0) {
        gs_auth_whyf(why, whylen, "%s is not an http:// or https:// URL",
                     endpoint ? "IDENTITY_ENDPOINT" : "GRAPHSYNCFS_IMDS_ENDPOINT");
        return -EINVAL;
    }
    struct managed *m = calloc(1, sizeof(*m));
    if (!m) {
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    m->url = token_url(base, endpoint ? "2019-08-01" : "2018-02-01", a->resource, client_id);
    if (endpoint) {
        if (asprintf(&m->header, "X-IDENTITY-HEADER: %s", secret) < 0)
            m->header = NULL;
    } else {
        m->header = strdup("Metadata: true");
    }
    if (!m->url || !m->header) {
        managed_free(m);
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    a->method = &method_managed;
    a->state = m;
    return 0;
}
