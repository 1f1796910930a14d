/* The device method: OAuth device code sign-in (graph-sync-api.md 8.1), run
 * while the mount still has its terminal; later tokens come from the refresh
 * token, kept in memory only unless token_cache= names a 0600 file. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"
#include "common/secmem.h"

#define DEVICE_GRANT "urn:ietf:params:oauth:grant-type:device_code"
#define MAX_WAIT_S 3600.0

struct device {
    char *client_id;
    char *tenant;
    char *token_url;
    char *scope;          /* the provider's scope plus offline_access */
    char *cache_path;     /* NULL: the refresh token stays in memory */
    char *refresh_token;  /* secret: a secret page (gs_auth_secret_to_page), or NULL */
};

struct device_code {
    char *device_code;    /* secret until it expires */
    char message[512];
    double interval;
    double expires_in;
};

static void device_free(void *state)
{
    struct device *d = state;
    if (!d)
        return;
    free(d->client_id);
    free(d->tenant);
    free(d->token_url);
    free(d->scope);
    free(d->cache_path);
    gs_secret_free(d->refresh_token);
    free(d);
}

static void save_cache(struct gs_auth *a, const struct device *d, int at_mount)
{
    if (!d->cache_path || !d->refresh_token)
        return;
    char why[GS_AUTH_WHY];
    if (gs_devcache_save(d->cache_path, a->authority, d->tenant, d->client_id, d->refresh_token,
                         why, sizeof(why)) < 0) {
        char msg[GS_AUTH_WHY + 64];
        snprintf(msg, sizeof(msg), "auth=device: %s", why);
        if (at_mount)
            fprintf(stderr, "graphsyncfs: %s\n", msg);
        else
            gs_auth_report(a, msg);
    }
}

/* Takes the token, and the refresh token when one came (it may rotate). */
static void keep(struct device *d, struct gs_token_response *resp, struct gs_token *out)
{
    if (resp->refresh_token) {
        gs_secret_free(d->refresh_token);
        d->refresh_token = resp->refresh_token;
        resp->refresh_token = NULL;
        if (gs_auth_secret_to_page(&d->refresh_token) < 0)
            d->refresh_token = NULL; /* no memory: the next refresh says no refresh token */
    }
    gs_token_response_take(resp, gs_auth_now(), out);
}

static int refresh(struct gs_auth *a, struct device *d, struct gs_token *out, char *why,
                   size_t whylen)
{
    struct gs_form f = {0};
    struct gs_token_response resp;
    gs_form_add(&f, "grant_type", "refresh_token");
    gs_form_add(&f, "client_id", d->client_id);
    gs_form_add(&f, "refresh_token", d->refresh_token);
    gs_form_add(&f, "scope", d->scope);
    int r = gs_oauth_post(a, d->token_url, &f, &resp, why, whylen);
    gs_form_clear(&f);
    if (r == 0)
        keep(d, &resp, out);
    gs_token_response_clear(&resp);
    return r;
}

static int device_acquire(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen)
{
    struct device *d = a->state;
    if (!d->refresh_token) {
        gs_auth_whyf(why, whylen, "the sign-in gave no refresh token (offline_access "
                                  "not granted); mount again to sign in");
        return -EACCES;
    }
    int r = refresh(a, d, out, why, whylen);
    if (r == 0)
        save_cache(a, d, 0);
    return r;
}

static const struct gs_auth_method method_device = {"device", device_acquire, device_free};

static double number_in(const cJSON *j, const char *name, double dflt)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(j, name);
    if (cJSON_IsNumber(it) && it->valuedouble > 0)
        return it->valuedouble;
    if (cJSON_IsString(it) && atof(it->valuestring) > 0)
        return atof(it->valuestring);
    return dflt;
}

static int parse_code(const char *body, size_t len, struct device_code *dc)
{
    cJSON *j = cJSON_ParseWithLength(body, len);
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "device_code");
    const cJSON *user = cJSON_GetObjectItemCaseSensitive(j, "user_code");
    const cJSON *uri = cJSON_GetObjectItemCaseSensitive(j, "verification_uri");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(j, "message");
    int r = -EPROTO;
    if (cJSON_IsString(code) && code->valuestring[0] && cJSON_IsString(user) &&
        cJSON_IsString(uri)) {
        dc->device_code = strdup(code->valuestring);
        r = dc->device_code ? 0 : -ENOMEM;
        if (cJSON_IsString(msg)) {
            gs_auth_printable(dc->message, sizeof(dc->message), msg->valuestring);
        } else {
            char tmp[sizeof(dc->message)];
            snprintf(tmp, sizeof(tmp), "To sign in, open %s and enter the code %s",
                     uri->valuestring, user->valuestring);
            gs_auth_printable(dc->message, sizeof(dc->message), tmp);
        }
        dc->interval = number_in(j, "interval", 5);
        dc->expires_in = number_in(j, "expires_in", 900);
        if (dc->expires_in > MAX_WAIT_S)
            dc->expires_in = MAX_WAIT_S;
        explicit_bzero(code->valuestring, strlen(code->valuestring));
    }
    cJSON_Delete(j);
    return r;
}

static int request_code(struct gs_auth *a, struct device *d, struct device_code *dc, char *why,
                        size_t whylen)
{
    char *url = gs_oauth_url(a, d->tenant, "devicecode");
    struct gs_form f = {0};
    gs_form_add(&f, "client_id", d->client_id);
    gs_form_add(&f, "scope", d->scope);
    int r = url ? gs_form_done(&f) : -ENOMEM;
    struct gs_auth_http_answer ans = {0};
    char net[GS_AUTH_WHY] = "out of memory";
    if (r == 0) {
        struct gs_auth_http_call call = {.method = "POST", .url = url, .form = f.buf,
                                    .timeout_ms = a->timeout_ms, .retries = 1};
        r = gs_auth_http(&call, &ans, net, sizeof(net));
    }
    if (r < 0) {
        gs_auth_whyf(why, whylen, "%s", net);
    } else if (ans.status != 200 || (r = parse_code(ans.body, ans.len, dc)) < 0) {
        struct gs_token_response resp;
        gs_token_response_parse(ans.body, ans.len, gs_auth_now(), &resp);
        gs_token_response_clear(&resp);
        r = resp.error[0] ? gs_oauth_errno(resp.error) : -EPROTO;
        gs_auth_whyf(why, whylen, "POST %s: HTTP %ld%s%s%s%s", url, ans.status,
                     resp.error[0] ? " " : "", resp.error, resp.description[0] ? ": " : "",
                     resp.description[0] ? resp.description : "not a device code answer");
    }
    gs_auth_http_answer_clear(&ans);
    gs_form_clear(&f);
    free(url);
    return r;
}

/* Polls the token endpoint until the user signs in, declines, or the code
 * expires; honours interval and slow_down. */
static int poll_token(struct gs_auth *a, struct device *d, struct device_code *dc,
                      struct gs_token *out, char *why, size_t whylen)
{
    double deadline = gs_auth_now() + dc->expires_in;
    double interval = dc->interval < 1 ? 1 : dc->interval;
    for (;;) {
        gs_auth_sleep(interval);
        if (gs_auth_now() >= deadline) {
            gs_auth_whyf(why, whylen, "the code expired before the sign-in was done");
            return -ETIMEDOUT;
        }
        struct gs_form f = {0};
        struct gs_token_response resp;
        gs_form_add(&f, "grant_type", DEVICE_GRANT);
        gs_form_add(&f, "client_id", d->client_id);
        gs_form_add(&f, "device_code", dc->device_code);
        int r = gs_oauth_post(a, d->token_url, &f, &resp, why, whylen);
        gs_form_clear(&f);
        if (r == 0)
            keep(d, &resp, out);
        gs_token_response_clear(&resp);
        if (r == 0)
            return 0;
        if (strcmp(resp.error, "authorization_pending") == 0)
            continue;
        if (strcmp(resp.error, "slow_down") == 0) {
            interval += 5;
            continue;
        }
        if (strcmp(resp.error, "authorization_declined") == 0)
            gs_auth_whyf(why, whylen, "the sign-in was declined");
        else if (strcmp(resp.error, "expired_token") == 0)
            gs_auth_whyf(why, whylen, "the code expired before the sign-in was done");
        return r;
    }
}

static int interactive_sign_in(struct gs_auth *a, struct device *d, struct gs_token *out,
                               char *why, size_t whylen)
{
    struct device_code dc = {0};
    int r = request_code(a, d, &dc, why, whylen);
    if (r < 0)
        return r;
    fprintf(stderr, "%s\n", dc.message);
    fflush(stderr);
    r = poll_token(a, d, &dc, out, why, whylen);
    gs_auth_free_secret(dc.device_code);
    return r;
}

static char *scope_with_offline(const char *scope)
{
    char *s = NULL;
    if (strstr(scope, "offline_access"))
        return strdup(scope);
    if (asprintf(&s, "%s offline_access", scope) < 0)
        return NULL;
    return s;
}

int gs_auth_device_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                         size_t whylen)
{
    const char *client_id = cfg->client_id ? cfg->client_id : gs_auth_env("AZURE_CLIENT_ID");
    const char *tenant = cfg->tenant ? cfg->tenant : "organizations";
    if (!client_id) {
        gs_auth_whyf(why, whylen, "needs client_id= (an application registered as a public "
                                  "client) or AZURE_CLIENT_ID");
        return -EINVAL;
    }
    if (gs_oauth_check_tenant(tenant) != 0) {
        gs_auth_whyf(why, whylen, "the tenant must be a tenant id or a domain name");
        return -EINVAL;
    }
    struct device *d = calloc(1, sizeof(*d));
    if (d) {
        d->client_id = strdup(client_id);
        d->tenant = strdup(tenant);
        d->token_url = gs_oauth_token_url(a, tenant);
        d->scope = scope_with_offline(a->scope);
        d->cache_path = cfg->token_cache ? strdup(cfg->token_cache) : NULL;
    }
    if (!d || !d->client_id || !d->tenant || !d->token_url || !d->scope ||
        (cfg->token_cache && !d->cache_path)) {
        device_free(d);
        gs_auth_whyf(why, whylen, "out of memory");
        return -ENOMEM;
    }
    a->method = &method_device;
    a->state = d;
    struct gs_token t = {0};
    int r = 0;
    if (d->cache_path)
        r = gs_devcache_load(d->cache_path, a->authority, tenant, client_id, &d->refresh_token,
                             why, whylen);
    if (r == 0 && (r = gs_auth_secret_to_page(&d->refresh_token)) < 0)
        gs_auth_whyf(why, whylen, "out of memory");
    if (r < 0)
        return r;
    if (d->refresh_token) {
        char inner[GS_AUTH_WHY];
        r = refresh(a, d, &t, inner, sizeof(inner));
        if (r == 0) {
            gs_auth_install(a, &t);
            save_cache(a, d, 1);
            return 0;
        }
        if (r != -EACCES) {
            gs_auth_whyf(why, whylen, "%s", inner);
            return r;
        }
        fprintf(stderr, "graphsyncfs: the sign-in kept in %s is no longer valid (%s)\n",
                d->cache_path, inner);
        gs_secret_free(d->refresh_token);
        d->refresh_token = NULL;
    }
    if (!a->interactive) {
        gs_auth_whyf(why, whylen, "device code sign-in needs a terminal; run the mount once in "
                                  "a terminal, with token_cache= to keep the sign-in");
        return -EACCES;
    }
    r = interactive_sign_in(a, d, &t, why, whylen);
    if (r < 0)
        return r;
    gs_auth_install(a, &t);
    save_cache(a, d, 1);
    return 0;
}
