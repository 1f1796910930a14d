/* Internals of the token provider (api/auth*.c). Not for other layers. */
#ifndef GS_AUTH_INTERNAL_H
#define GS_AUTH_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <sys/types.h>

#include "api/auth/auth.h"

#define GS_AUTH_DEFAULT_SCOPE "https://graph.microsoft.com/.default"
#define GS_AUTH_DEFAULT_AUTHORITY "https://login.microsoftonline.com"
#define GS_AUTH_DEFAULT_TIMEOUT_MS 30000L
#define GS_AUTH_WHY 1024           /* size of the reason buffers used internally */
#define GS_AUTH_MAX_FILE (64 * 1024) /* credential files, command output */

/* ---- auth_util.c ---- */
/* Writes a reason into why (may be NULL). Never pass a credential. */
void gs_auth_whyf(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
double gs_auth_now(void);          /* wall clock, seconds */
void gs_auth_sleep(double seconds);
void gs_auth_free_secret(char *s); /* zeroes, then frees; NULL is fine */
/* Moves a malloc'd secret that lives as long as the mount (the client
 * secret, the current token) into memory left out of core dumps
 * (common/secmem.h); free it with gs_secret_free. 0 or -ENOMEM (*s NULL). */
int gs_auth_secret_to_page(char **s);
const char *gs_auth_env(const char *name); /* getenv, NULL when unset or empty */
/* Copies s with printable ASCII only (others become '?'), for messages that
 * quote text from a server or a command. */
void gs_auth_printable(char *dst, size_t dstlen, const char *s);

/* ---- auth_expiry.c: a cached token and when to refresh it ---- */
struct gs_token {
    char *value;      /* the bearer token (secret) */
    double obtained;  /* wall clock seconds */
    double expires;   /* wall clock seconds; 0: unknown (kept until forced) */
};
/* 1 while no refresh is due: more than min(5 min, 10% of the lifetime) left. */
int gs_token_fresh(const struct gs_token *t, double now);
/* 1 while Graph still accepts it: more than min(30 s, 5% of the lifetime) left. */
int gs_token_usable(const struct gs_token *t, double now);
/* 0 when s is a plausible bearer token: non-empty, visible ASCII only (no
 * space, CR or LF that could end up in a header), else -EINVAL. */
int gs_token_check(const char *s);
void gs_token_clear(struct gs_token *t);

/* ---- auth_b64.c ---- */
char *gs_b64url_encode(const void *data, size_t len); /* no padding; malloc'd */
/* Decodes base64url (or base64), padding optional. *out is NUL-terminated. */
int gs_b64url_decode(const char *s, size_t len, unsigned char **out, size_t *outlen);

/* ---- auth_jwt.c: JSON Web Tokens, without signatures ---- */
/* {"alg":..,"typ":"JWT","x5t":..,"x5t#S256":..}; either thumbprint may be NULL. */
char *gs_jwt_header(const char *alg, const char *x5t, const char *x5t_s256);
/* {"aud","iss","sub","jti","nbf","iat","exp"} as in graph-sync-api.md 8.1. */
char *gs_jwt_claims(const char *aud, const char *client_id, const char *jti, long now,
                    long lifetime);
/* base64url(header) "." base64url(claims) */
char *gs_jwt_signing_input(const char *header_json, const char *claims_json);
/* The exp (and iat, when out_iat != NULL and present, else 0) claims of a JWT. 0 or -EINVAL. */
int gs_jwt_times(const char *token, double *out_exp, double *out_iat);
/* A random version 4 GUID in 37 bytes. 0 or a negative errno. */
int gs_auth_guid(char out[37]);

/* ---- auth_cert.c: client certificates and signed assertions (OpenSSL) ---- */
struct gs_cert;
/* path: PEM with an RSA private key and its certificate (chain allowed), or
 * PKCS#12. password: for an encrypted key or PKCS#12, may be NULL. The file
 * is checked like every credential file. */
int gs_cert_load(const char *path, const char *password, struct gs_cert **out, char *why,
                 size_t whylen);
void gs_cert_free(struct gs_cert *c);
/* A signed client assertion (alg PS256 or RS256) for aud, valid 10 minutes. */
int gs_cert_assertion(const struct gs_cert *c, const char *alg, const char *aud,
                      const char *client_id, double now, char **out, char *why, size_t whylen);

/* ---- auth_file.c: credential files ---- */
/* 0 when a file of this mode and owner may hold a credential: a regular file,
 * no permission for group or others, owned by me or root. */
int gs_auth_check_mode(const char *path, mode_t mode, uid_t owner, uid_t me, char *why,
                       size_t whylen);
/* Reads a whole credential file after the checks above; at most max bytes.
 * *out is NUL-terminated; trim=1 drops trailing whitespace. */
int gs_auth_read_secret_file(const char *path, size_t max, int trim, char **out, size_t *outlen,
                             char *why, size_t whylen);
/* The same without the mode check (a federated token file). */
int gs_auth_read_token_file(const char *path, size_t max, int trim, char **out, size_t *outlen,
                            char *why, size_t whylen);
/* Replaces path atomically with a 0600 file holding data. */
int gs_auth_write_secret_file(const char *path, const char *data, size_t len, char *why,
                              size_t whylen);

/* ---- auth_form.c: application/x-www-form-urlencoded ---- */
struct gs_form {
    char *buf;    /* may hold a secret: gs_form_clear zeroes it */
    size_t len, cap;
    int err;      /* first failure, reported by gs_form_done */
};
char *gs_form_escape(const char *s); /* percent-encodes all but A-Za-z0-9-._~ */
void gs_form_add(struct gs_form *f, const char *name, const char *value);
int gs_form_done(const struct gs_form *f); /* 0 or -ENOMEM */
void gs_form_clear(struct gs_form *f);

/* ---- auth_http.c: one HTTP exchange with libcurl ---- */
struct gs_auth_http_call {
    const char *method;   /* "GET" or "POST" */
    const char *url;      /* never holds a credential */
    const char *form;     /* POST body, form-encoded, or NULL */
    const char *header;   /* one extra request header line, or NULL (may be secret) */
    long timeout_ms;
    int retries;          /* extra attempts on 408, 429, 5xx and connection failures */
    int no_proxy;         /* 1: direct (managed-identity endpoints are local) */
};
struct gs_auth_http_answer {
    long status;
    char *body;           /* NUL-terminated; may hold a token: gs_auth_http_answer_clear */
    size_t len;
};
/* 0 when an HTTP answer arrived (any status); -ETIMEDOUT, -EHOSTUNREACH or
 * -EIO with a reason naming the method and URL when none did. */
int gs_auth_http(const struct gs_auth_http_call *call, struct gs_auth_http_answer *ans, char *why,
            size_t whylen);
void gs_auth_http_answer_clear(struct gs_auth_http_answer *ans);

/* ---- auth_response.c: token answers ---- */
struct gs_token_response {
    char *access_token;   /* secret */
    char *refresh_token;  /* secret, or NULL */
    double expires;       /* wall clock seconds, 0: unknown */
    char error[64];       /* OAuth "error" code, "" when none */
    char description[256];/* first line of error_description (or message) */
};
/* Parses the JSON of an OAuth token endpoint, a managed-identity endpoint or
 * `az account get-access-token`: access_token or accessToken; expiry from
 * expires_in, expires_on (epoch), expiresOn (local time) or the JWT's exp.
 * 0 with access_token set; -EACCES/-EINVAL/-EIO with error/description set
 * when the body is an error; -EPROTO when it is not a token answer. */
int gs_token_response_parse(const char *body, size_t len, double now,
                            struct gs_token_response *out);
void gs_token_response_clear(struct gs_token_response *r);
/* errno for an OAuth error code: invalid_client -> -EACCES, ... */
int gs_oauth_errno(const char *error);
/* Moves the access token into t. */
void gs_token_response_take(struct gs_token_response *r, double now, struct gs_token *t);

/* ---- the provider (auth.c) and its methods ---- */
struct gs_auth;
struct gs_auth_method {
    const char *name;
    /* Gets a new token. Called with no lock held and never twice at once.
     * NULL for method none. */
    int (*acquire)(struct gs_auth *a, struct gs_token *out, char *why, size_t whylen);
    void (*destroy)(void *state);
};

typedef int (*gs_auth_setup_fn)(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                                size_t whylen);

struct gs_auth {
    const struct gs_auth_method *method;
    void *state;
    char *authority;     /* login root, no trailing slash */
    char *scope;         /* e.g. https://graph.microsoft.com/.default */
    char *resource;      /* the scope without /.default, for managed and cli */
    long timeout_ms;
    int interactive;
    void (*log_fn)(void *log_ctx, const char *msg);
    void *log_ctx;

    pthread_mutex_t lock;
    pthread_cond_t done;
    struct gs_token tok;      /* guarded by lock */
    int refreshing;           /* one acquire in flight */
    unsigned long generation; /* bumped when an acquire ends */
    int last_result;          /* of the last acquire */
    double failed_at;         /* when the last acquire failed */
    double stale_hold_until;  /* token came inside its refresh window: keep it until then */
};

/* Reports a failure through cfg->log_fn (or stderr). */
void gs_auth_report(const struct gs_auth *a, const char *msg);
/* Installs a token (takes it) as the current one. Only before threads start. */
void gs_auth_install(struct gs_auth *a, struct gs_token *t);
/* Acquires the first token unless the setup already installed one. */
int gs_auth_first_token(struct gs_auth *a, char *why, size_t whylen);
/* Destroys the method state and the token (auto tries the next method). */
void gs_auth_drop_method(struct gs_auth *a);

/* auth_oauth.c: the token endpoint of the authority */
char *gs_oauth_token_url(const struct gs_auth *a, const char *tenant);
char *gs_oauth_url(const struct gs_auth *a, const char *tenant, const char *endpoint);
/* POSTs form to url and parses the answer; why names the URL, never the form. */
int gs_oauth_post(const struct gs_auth *a, const char *url,
                  const struct gs_form *form, struct gs_token_response *resp, char *why,
                  size_t whylen);
/* 0 when tenant is a tenant id or domain (letters, digits, '.', '-'). */
int gs_oauth_check_tenant(const char *tenant);

/* auth_exec.c: commands, run without a shell */
int gs_exec_split(const char *cmd, char ***argv_out, char *why, size_t whylen);
void gs_exec_free_argv(char **argv);
/* 0 with *path_out (malloc'd) when name is an executable on PATH, else -ENOENT. */
int gs_exec_find(const char *name, char **path_out);
struct gs_exec_result {
    int exit_status;      /* exit code */
    char *out;            /* stdout, NUL-terminated (may be a token) */
    size_t out_len;
    char err_line[160];   /* first line of stderr, printable */
};
/* Runs argv (argv[0] searched on PATH), stdin from /dev/null, no other fds
 * inherited; kills it after timeout_ms. 0 when it exited (any status). */
int gs_exec_run(char *const argv[], long timeout_ms, size_t max_out,
                struct gs_exec_result *res, char *why, size_t whylen);
void gs_exec_result_clear(struct gs_exec_result *res);
/* gs_exec_run for a command that must succeed: a non-zero exit status is
 * -EACCES, with "<what> exited with status N: <its first stderr line>". */
int gs_exec_run_ok(char *const argv[], const char *what, long timeout_ms, size_t max_out,
                   struct gs_exec_result *res, char *why, size_t whylen);

/* auth_devcache.c: the device method's refresh token file */
/* *refresh_out NULL when the file is absent, empty, or for another client. */
int gs_devcache_load(const char *path, const char *authority, const char *tenant,
                     const char *client_id, char **refresh_out, char *why, size_t whylen);
int gs_devcache_save(const char *path, const char *authority, const char *tenant,
                     const char *client_id, const char *refresh, char *why, size_t whylen);

/* Method setups: each sets a->method and a->state. */
int gs_auth_none_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why, size_t whylen);
int gs_auth_secret_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why, size_t whylen);
int gs_auth_certificate_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                              size_t whylen);
int gs_auth_env_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why, size_t whylen);
int gs_auth_workload_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                           size_t whylen);
int gs_auth_managed_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                          size_t whylen);
int gs_auth_cli_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why, size_t whylen);
int gs_auth_device_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                         size_t whylen);
int gs_auth_command_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why,
                          size_t whylen);
int gs_auth_auto_setup(struct gs_auth *a, const struct gs_auth_config *cfg, char *why, size_t whylen);

/* Whether auto may try a method: 0, or -ENOENT with what is missing in why. */
int gs_auth_env_available(const struct gs_auth_config *cfg, char *why, size_t whylen);
int gs_auth_workload_available(const struct gs_auth_config *cfg, char *why, size_t whylen);
int gs_auth_managed_available(const struct gs_auth *a, char *why, size_t whylen);
int gs_auth_cli_available(char *why, size_t whylen);

/* auth_client.c: confidential client (client credentials grant) shared by
 * secret, certificate, env and workload. Exactly one credential is set. */
struct gs_auth_cred {
    char *client_id;
    char *tenant;
    char *token_url;
    char *secret;          /* client_secret */
    struct gs_cert *cert;  /* signs a client_assertion */
    char *assertion_file;  /* federated token, re-read at each request */
};
extern const struct gs_auth_method gs_auth_method_secret;
extern const struct gs_auth_method gs_auth_method_certificate;
extern const struct gs_auth_method gs_auth_method_env;
extern const struct gs_auth_method gs_auth_method_workload;
/* Takes a calloc'd cred with client_id and tenant set, fills token_url,
 * and makes it a's state with method m. Frees cred on failure. */
int gs_auth_cred_attach(struct gs_auth *a, const struct gs_auth_method *m,
                          struct gs_auth_cred *cred, char *why, size_t whylen);
void gs_auth_cred_free(void *state);
/* A calloc'd cred with copies of client_id and tenant (a failed copy is left
 * NULL for gs_auth_cred_attach to report); NULL on ENOMEM. */
struct gs_auth_cred *gs_auth_cred_new(const char *client_id, const char *tenant);

#endif
