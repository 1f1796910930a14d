/* Client certificates: the private key and the thumbprints of a PEM (key and
 * certificate, chain allowed) or PKCS#12 file, and client assertions signed
 * with them (graph-sync-api.md 8.1: PS256 or RS256, x5t and x5t#S256). */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth/internal.h"

#define MAX_CERT_FILE (256 * 1024)
#define ASSERTION_LIFETIME_S 600

struct gs_cert {
    EVP_PKEY *key;
    char *x5t;      /* base64url SHA-1 thumbprint of the DER certificate */
    char *x5t_s256; /* base64url SHA-256 thumbprint */
};

/* Supplies the password to OpenSSL; never prompts on the terminal. */
static int password_cb(char *buf, int size, int rwflag, void *u)
{
    const char *pw = u;
    if (!pw)
        return -1;
    size_t n = strlen(pw);
    if (n > (size_t)size)
        return -1;
    memcpy(buf, pw, n);
    return (int)n;
}

static int load_pem(const char *data, size_t len, const char *password, EVP_PKEY **key,
                    X509 **cert)
{
    BIO *b = BIO_new_mem_buf(data, (int)len);
    if (!b)
        return -ENOMEM;
    *key = PEM_read_bio_PrivateKey(b, NULL, password_cb, (void *)password);
    BIO_free(b);
    if (!*key)
        return -EINVAL;
    /* the certificate of this key: the first one whose public key matches */
    b = BIO_new_mem_buf(data, (int)len);
    if (!b)
        return -ENOMEM;
    X509 *x;
    while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
        if (X509_check_private_key(x, *key) == 1) {
            *cert = x;
            break;
        }
        X509_free(x);
    }
    BIO_free(b);
    return *cert ? 0 : -ENOENT;
}

static int load_pkcs12(const char *data, size_t len, const char *password, EVP_PKEY **key,
                       X509 **cert)
{
    BIO *b = BIO_new_mem_buf(data, (int)len);
    if (!b)
        return -ENOMEM;
    PKCS12 *p12 = d2i_PKCS12_bio(b, NULL);
    BIO_free(b);
    if (!p12)
        return -EINVAL;
    int ok = PKCS12_parse(p12, password, key, cert, NULL);
    PKCS12_free(p12);
    if (!ok)
        return -EINVAL;
    return *key && *cert ? 0 : -ENOENT;
}

static char *thumbprint(X509 *cert, const EVP_MD *md)
{
    unsigned char buf[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (X509_digest(cert, md, buf, &n) != 1)
        return NULL;
    return gs_b64url_encode(buf, n);
}

void gs_cert_free(struct gs_cert *c)
{
    if (!c)
        return;
    EVP_PKEY_free(c->key);
    free(c->x5t);
    free(c->x5t_s256);
    free(c);
}

int gs_cert_load(const char *path, const char *password, struct gs_cert **out, char *why,
                 size_t whylen)
{
    char *data = NULL;
    size_t len = 0;
    *out = NULL;
    int r = gs_auth_read_secret_file(path, MAX_CERT_FILE, 0, &data, &len, why, whylen);
    if (r < 0)
        return r;
    EVP_PKEY *key = NULL;
    X509 *cert = NULL;
    int pem = strstr(data, "-----BEGIN") != NULL;
    r = pem ? load_pem(data, len, password, &key, &cert)
            : load_pkcs12(data, len, password, &key, &cert);
    explicit_bzero(data, len);
    free(data);
    ERR_clear_error();
    if (r == -ENOENT)
        gs_auth_whyf(why, whylen, "%s holds no certificate matching its private key", path);
    else if (r < 0)
        gs_auth_whyf(why, whylen,
                     "cannot read the private key in %s (%s; a password is taken from "
                     "AZURE_CLIENT_CERTIFICATE_PASSWORD)",
                     path, pem ? "PEM" : "not PEM, and not PKCS#12 either");
    if (r == 0 && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) {
        gs_auth_whyf(why, whylen, "the key in %s is not an RSA key", path);
        r = -EINVAL;
    }
    struct gs_cert *c = NULL;
    if (r == 0) {
        c = calloc(1, sizeof(*c));
        if (c) {
            c->key = key;
            key = NULL;
            c->x5t = thumbprint(cert, EVP_sha1());
            c->x5t_s256 = thumbprint(cert, EVP_sha256());
        }
        if (!c || !c->x5t || !c->x5t_s256) {
            gs_auth_whyf(why, whylen, "out of memory loading %s", path);
            r = -ENOMEM;
        }
    }
    EVP_PKEY_free(key);
    X509_free(cert);
    if (r < 0) {
        gs_cert_free(c);
        return r;
    }
    *out = c;
    return 0;
}

/* Signs with a copy of the key made for this signature: OpenSSL keeps
 * Montgomery forms of the primes with a key once it signed, in ordinary
 * memory; freeing the copy wipes them (gs_auth_protect_memory), while the
 * key itself stays in the secure heap, never used to sign. */
static int sign(const EVP_PKEY *kept, int pss, const char *input, unsigned char **sig, size_t *siglen)
{
    EVP_PKEY *key = EVP_PKEY_dup((EVP_PKEY *)kept);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int r = -EIO;
    *sig = NULL;
    if (!ctx || !key) {
        EVP_MD_CTX_free(ctx);
        EVP_PKEY_free(key);
        return -ENOMEM;
    }
    if (EVP_DigestSignInit(ctx, &pctx, EVP_sha256(), NULL, key) != 1)
        goto out;
    if (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        goto out;
    size_t n = 0;
    if (EVP_DigestSign(ctx, NULL, &n, (const unsigned char *)input, strlen(input)) != 1)
        goto out;
    *sig = malloc(n);
    if (!*sig) {
        r = -ENOMEM;
        goto out;
    }
    if (EVP_DigestSign(ctx, *sig, &n, (const unsigned char *)input, strlen(input)) != 1) {
        free(*sig);
        *sig = NULL;
        goto out;
    }
    *siglen = n;
    r = 0;
out:
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    ERR_clear_error();
    return r;
}

int gs_cert_assertion(const struct gs_cert *c, const char *alg, const char *aud,
                      const char *client_id, double now, char **out, char *why, size_t whylen)
{
    int pss = strcmp(alg, "PS256") == 0;
    char jti[37];
    char *header = NULL, *claims = NULL, *input = NULL, *sig64 = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    *out = NULL;
    if (!pss && strcmp(alg, "RS256") != 0) {
        gs_auth_whyf(why, whylen, "unsupported assertion algorithm %s", alg);
        return -EINVAL;
    }
    int r = gs_auth_guid(jti);
    if (r < 0) {
        gs_auth_whyf(why, whylen, "cannot get random bytes for the assertion id");
        return r;
    }
    r = -ENOMEM;
    header = gs_jwt_header(alg, c->x5t, c->x5t_s256);
    claims = gs_jwt_claims(aud, client_id, jti, (long)now, ASSERTION_LIFETIME_S);
    if (header && claims)
        input = gs_jwt_signing_input(header, claims);
    if (input) {
        r = sign(c->key, pss, input, &sig, &siglen);
        if (r == 0) {
            sig64 = gs_b64url_encode(sig, siglen);
            if (!sig64 || asprintf(out, "%s.%s", input, sig64) < 0) {
                *out = NULL;
                r = -ENOMEM;
            }
        }
    }
    if (r < 0)
        gs_auth_whyf(why, whylen, "cannot sign the client assertion (%s)",
                     r == -ENOMEM ? "out of memory" : "OpenSSL refused the key");
    free(header);
    free(claims);
    free(input);
    free(sig);
    free(sig64);
    return r;
}
