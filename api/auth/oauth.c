/* The Microsoft identity platform's v2.0 endpoints of the configured
 * authority: {authority}/{tenant}/oauth2/v2.0/{token,devicecode}. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

int gs_oauth_check_tenant(const char *tenant)
{
    if (!tenant || !*tenant || strlen(tenant) > 253)
        return -EINVAL;
    for (const char *p = tenant; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '.' || *p == '-'))
            return -EINVAL;
    return 0;
}

char *gs_oauth_url(const struct gs_auth *a, const char *tenant, const char *endpoint)
{
    char *url = NULL;
    if (asprintf(&url, "%s/%s/oauth2/v2.0/%s", a->authority, tenant, endpoint) < 0)
        return NULL;
    return url;
}

char *gs_oauth_token_url(const struct gs_auth *a, const char *tenant)
{
    return gs_oauth_url(a, tenant, "token");
}

int gs_oauth_post(const struct gs_auth *a, const char *url,
                  const struct gs_form *form, struct gs_token_response *resp, char *why,
                  size_t whylen)
{
    memset(resp, 0, sizeof(*resp));
    int r = gs_form_done(form);
    if (r < 0) {
        gs_auth_whyf(why, whylen, "out of memory");
        return r;
    }
    struct gs_auth_http_call call = {
        .method = "POST", .url = url, .form = form->buf, .timeout_ms = a->timeout_ms, .retries = 1,
    };
    struct gs_auth_http_answer ans;
    char net[GS_AUTH_WHY];
    r = gs_auth_http(&call, &ans, net, sizeof(net));
    if (r < 0) {
        gs_auth_whyf(why, whylen, "%s", net);
        return r;
    }
    r = gs_token_response_parse(ans.body, ans.len, gs_auth_now(), resp);
    if (r == 0 && ans.status != 200) {
        gs_token_response_clear(resp);
        r = -EPROTO;
        gs_auth_printable(resp->description, sizeof(resp->description),
                          "a token came with an error status");
    }
    if (r < 0) {
        if (r == -EPROTO && ans.status >= 400)
            r = ans.status >= 500 ? -EIO : -EACCES;
        gs_auth_whyf(why, whylen, "POST %s: HTTP %ld%s%s%s%s", url, ans.status,
                     resp->error[0] ? " " : "", resp->error, resp->description[0] ? ": " : "",
                     resp->description);
    }
    gs_auth_http_answer_clear(&ans);
    return r;
}
