/* Token acquisition for Microsoft Entra ID (graph-sync-api.md section 8.1):
 * one provider object, shared by every thread, that hands out bearer tokens
 * and refreshes them before they expire. Functions return 0 or a negative
 * errno. No function ever logs, prints or writes a token, a secret or an
 * assertion; messages name files, variables, methods and URLs only.
 *
 * The program calls curl_global_init() before gs_auth_new().
 *
 * Environment read by the methods:
 *   env       AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or
 *             AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_CERTIFICATE_PASSWORD)
 *   workload  AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID, AZURE_CLIENT_ID
 *   managed   IDENTITY_ENDPOINT + IDENTITY_HEADER, else IMDS; AZURE_CLIENT_ID
 *             (or client_id) picks a user-assigned identity;
 *             GRAPHSYNCFS_IMDS_ENDPOINT replaces the IMDS token URL
 *             http://169.254.169.254/metadata/identity/oauth2/token
 *   all       AZURE_AUTHORITY_HOST when cfg->authority is NULL */
#ifndef GS_AUTH_H
#define GS_AUTH_H

#include <stddef.h>

struct gs_auth_config {
    /* auto (default when NULL), env, workload, managed, cli, device, secret,
     * certificate, token_command or none */
    const char *method;
    /* login root such as https://login.microsoftonline.com; NULL: the
     * AZURE_AUTHORITY_HOST variable, else the global cloud. https only
     * (plain http is accepted for loopback hosts, for tests). */
    const char *authority;
    const char *tenant;             /* tenant id or domain; device default: organizations */
    const char *client_id;          /* application (client) id */
    const char *client_secret_file; /* secret: file holding the client secret */
    const char *client_certificate; /* certificate: PEM with key and certificate,
                                     * or PKCS#12; password from the variable
                                     * AZURE_CLIENT_CERTIFICATE_PASSWORD */
    const char *token_command;      /* token_command: words split like a shell's
                                     * (quotes, backslash), run without a shell */
    const char *token_cache;        /* device: optional 0600 file keeping the
                                     * refresh token across mounts */
    const char *scope;              /* NULL: https://graph.microsoft.com/.default */
    long timeout_ms;                /* one HTTP request or command; <= 0: 30000 */
    int interactive;                /* a terminal is attached: device code allowed */
    /* Failures of later refreshes (after gs_auth_new) are reported here;
     * NULL: stderr. Messages never hold a credential. */
    void (*log_fn)(void *log_ctx, const char *msg);
    void *log_ctx;
};

struct gs_auth;

/* Chooses the method (auto: env, workload, managed, cli, then device code
 * when interactive), checks credential files (refused when group or others
 * may read them), and acquires the first token, running the device code flow
 * now (instructions on stderr) so that every failure happens before the
 * daemon forks. On failure returns a negative errno and a one-line reason in
 * why (when why != NULL). */
int gs_auth_new(const struct gs_auth_config *cfg, struct gs_auth **out, char *why, size_t whylen);

/* The method in use, e.g. "env" or "managed" (what auto chose). */
const char *gs_auth_method_name(const struct gs_auth *a);

/* A gs_token_fn (api/graph_client.h): auth is a struct gs_auth *. Returns 0
 * with *token_out malloc'd, or NULL for method none; or a negative errno:
 * -EACCES (credentials refused), -ETIMEDOUT, -EHOSTUNREACH, -EIO, -ENOMEM.
 * The cached token is reused until less than min(5 min, 10% of its lifetime)
 * is left; then one thread refreshes while the others keep using it. When it
 * has expired, or force_refresh is set (after a 401), callers wait for one
 * shared refresh. Safe to call from many threads at once. */
int gs_auth_token(void *auth, int force_refresh, char **token_out);

void gs_auth_free(struct gs_auth *a);

/* Keeps private keys out of core dumps (issue 13, outcome 6): OpenSSL's own
 * allocations are wiped when freed (common/secmem.h), and its secure heap
 * (mlocked and MADV_DONTDUMP, GS_AUTH_SECURE_HEAP bytes) holds the secret
 * numbers of the keys it parses (a certificate's RSA key: d, p, q and the CRT
 * values) and the decoded PEM. Call before anything uses OpenSSL, libcurl's
 * initialisation included. 0, -EBUSY (OpenSSL allocated before: nothing is
 * wiped) or -ENOMEM (no secure heap: keys live in the ordinary heap). */
#define GS_AUTH_SECURE_HEAP (64 * 1024) /* a 16384-bit RSA key takes under 16 KiB */
#define GS_AUTH_SECURE_MIN 32
int gs_auth_protect_memory(void);

#endif
