/* Client certificates and assertions: PEM (with a chain), encrypted PEM,
 * PKCS#12; the JWT header thumbprints and claims; PS256 and RS256 signatures
 * verified with the certificate's public key. Keys are made at test time. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth/internal.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/gs-auth-cert-XXXXXX";

static char *path_of(const char *name)
{
    static char buf[4][256];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 256, "%s/%s", dir, name);
    return b;
}

static X509 *self_signed(EVP_PKEY *key, const char *cn)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), 0);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    X509_sign(x, key, EVP_sha256());
    return x;
}

static FILE *open_0600(const char *p)
{
    unlink(p);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);
    return fd >= 0 ? fdopen(fd, "w") : NULL;
}

/* {"alg","x5t","x5t#S256"} of an assertion and its verified signature */
static void check_assertion(const char *jwt, const char *alg, EVP_PKEY *pub, X509 *cert)
{
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    CHECK(d1 && d2);
    if (!d1 || !d2)
        return;
    unsigned char *hjson = NULL, *cjson = NULL, *sig = NULL;
    size_t hl, cl, sl;
    CHECK_INT(gs_b64url_decode(jwt, (size_t)(d1 - jwt), &hjson, &hl), 0);
    CHECK_INT(gs_b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cjson, &cl), 0);
    CHECK_INT(gs_b64url_decode(d2 + 1, strlen(d2 + 1), &sig, &sl), 0);
    cJSON *h = cJSON_Parse((char *)hjson), *c = cJSON_Parse((char *)cjson);
    CHECK_STR(cJSON_GetObjectItem(h, "alg")->valuestring, alg);
    CHECK_STR(cJSON_GetObjectItem(h, "typ")->valuestring, "JWT");
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned n;
    X509_digest(cert, EVP_sha1(), md, &n);
    char *want = gs_b64url_encode(md, n);
    CHECK_STR(cJSON_GetObjectItem(h, "x5t")->valuestring, want);
    free(want);
    X509_digest(cert, EVP_sha256(), md, &n);
    want = gs_b64url_encode(md, n);
    CHECK_STR(cJSON_GetObjectItem(h, "x5t#S256")->valuestring, want);
    free(want);
    CHECK_STR(cJSON_GetObjectItem(c, "aud")->valuestring, "https://login.example/tid/oauth2/v2.0/token");
    CHECK_STR(cJSON_GetObjectItem(c, "iss")->valuestring, "client-1");
    CHECK_STR(cJSON_GetObjectItem(c, "sub")->valuestring, "client-1");
    CHECK_INT(strlen(cJSON_GetObjectItem(c, "jti")->valuestring), 36);
    CHECK_INT(cJSON_GetObjectItem(c, "iat")->valuedouble, 1700000000L);
    CHECK_INT(cJSON_GetObjectItem(c, "exp")->valuedouble, 1700000600L);

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    CHECK(EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pub) == 1);
    if (strcmp(alg, "PS256") == 0) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    CHECK(EVP_DigestVerify(ctx, sig, sl, (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1);
    /* and a changed claim fails it */
    char *bad = strdup(jwt);
    bad[d1 - jwt + 3] ^= 1;
    EVP_MD_CTX_reset(ctx);
    EVP_DigestVerifyInit(ctx, &pctx, EVP_sha256(), NULL, pub);
    if (strcmp(alg, "PS256") == 0) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    CHECK(EVP_DigestVerify(ctx, sig, sl, (const unsigned char *)bad, (size_t)(d2 - jwt)) != 1);
    free(bad);
    EVP_MD_CTX_free(ctx);
    cJSON_Delete(h);
    cJSON_Delete(c);
    free(hjson);
    free(cjson);
    free(sig);
}

static void test_pem_with_chain(EVP_PKEY *key, X509 *cert, EVP_PKEY *other_key, X509 *other)
{
    char why[512];
    /* an unrelated certificate first, the key in the middle, ours last */
    FILE *f = open_0600(path_of("app.pem"));
    PEM_write_X509(f, other);
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    PEM_write_X509(f, cert);
    fclose(f);
    struct gs_cert *c = NULL;
    CHECK_INT(gs_cert_load(path_of("app.pem"), NULL, &c, why, sizeof(why)), 0);
    for (int i = 0; c && i < 2; i++) {
        const char *alg = i ? "RS256" : "PS256";
        char *jwt = NULL;
        CHECK_INT(gs_cert_assertion(c, alg, "https://login.example/tid/oauth2/v2.0/token",
                                    "client-1", 1700000000.5, &jwt, why, sizeof(why)),
                  0);
        if (jwt)
            check_assertion(jwt, alg, key, cert);
        free(jwt);
    }
    char *jwt = NULL;
    CHECK_INT(gs_cert_assertion(c, "HS256", "a", "b", 0, &jwt, why, sizeof(why)), -EINVAL);
    gs_cert_free(c);

    /* a certificate that does not belong to the key */
    f = open_0600(path_of("mismatch.pem"));
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    PEM_write_X509(f, other);
    fclose(f);
    CHECK_INT(gs_cert_load(path_of("mismatch.pem"), NULL, &c, why, sizeof(why)), -ENOENT);
    CHECK(strstr(why, "no certificate matching") != NULL);
    (void)other_key;
}

static void test_encrypted_pem(EVP_PKEY *key, X509 *cert)
{
    char why[512];
    FILE *f = open_0600(path_of("enc.pem"));
    PEM_write_PrivateKey(f, key, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"pa55word");
    PEM_write_X509(f, cert);
    fclose(f);
    struct gs_cert *c = NULL;
    CHECK_INT(gs_cert_load(path_of("enc.pem"), "pa55word", &c, why, sizeof(why)), 0);
    gs_cert_free(c);
    c = NULL;
    /* no password: no prompt on the terminal, a clear failure */
    CHECK_INT(gs_cert_load(path_of("enc.pem"), NULL, &c, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "AZURE_CLIENT_CERTIFICATE_PASSWORD") != NULL);
    CHECK_INT(gs_cert_load(path_of("enc.pem"), "wrong-pw-value", &c, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "wrong-pw-value") == NULL);
    CHECK(c == NULL);
}

static void test_pkcs12(EVP_PKEY *key, X509 *cert)
{
    char why[512];
    PKCS12 *p12 = PKCS12_create("p12pw", "app", key, cert, NULL, 0, 0, 0, 0, 0);
    CHECK(p12 != NULL);
    FILE *f = open_0600(path_of("app.pfx"));
    i2d_PKCS12_fp(f, p12);
    fclose(f);
    PKCS12_free(p12);
    struct gs_cert *c = NULL;
    CHECK_INT(gs_cert_load(path_of("app.pfx"), "p12pw", &c, why, sizeof(why)), 0);
    char *jwt = NULL;
    if (c)
        CHECK_INT(gs_cert_assertion(c, "PS256", "https://login.example/tid/oauth2/v2.0/token",
                                    "client-1", 1700000000, &jwt, why, sizeof(why)),
                  0);
    if (jwt)
        check_assertion(jwt, "PS256", key, cert);
    free(jwt);
    gs_cert_free(c);
    c = NULL;
    CHECK(gs_cert_load(path_of("app.pfx"), "nope", &c, why, sizeof(why)) < 0);
}

static void test_refusals(EVP_PKEY *key, X509 *cert)
{
    char why[512];
    struct gs_cert *c = NULL;
    FILE *f = open_0600(path_of("open.pem"));
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    PEM_write_X509(f, cert);
    fclose(f);
    chmod(path_of("open.pem"), 0644);
    CHECK_INT(gs_cert_load(path_of("open.pem"), NULL, &c, why, sizeof(why)), -EPERM);
    CHECK(strstr(why, "open.pem is accessible by group or others") != NULL);

    EVP_PKEY *ec = EVP_EC_gen("P-256");
    X509 *ecx = self_signed(ec, "ec");
    f = open_0600(path_of("ec.pem"));
    PEM_write_PrivateKey(f, ec, NULL, NULL, 0, NULL, NULL);
    PEM_write_X509(f, ecx);
    fclose(f);
    CHECK_INT(gs_cert_load(path_of("ec.pem"), NULL, &c, why, sizeof(why)), -EINVAL);
    CHECK(strstr(why, "not an RSA key") != NULL);
    X509_free(ecx);
    EVP_PKEY_free(ec);

    f = open_0600(path_of("junk.pem"));
    fputs("-----BEGIN NOTHING-----\nabc\n-----END NOTHING-----\n", f);
    fclose(f);
    CHECK_INT(gs_cert_load(path_of("junk.pem"), NULL, &c, why, sizeof(why)), -EINVAL);
    CHECK(c == NULL);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    EVP_PKEY *key = EVP_RSA_gen(2048), *other_key = EVP_RSA_gen(2048);
    X509 *cert = self_signed(key, "graphsyncfs-test"), *other = self_signed(other_key, "other");
    test_pem_with_chain(key, cert, other_key, other);
    test_encrypted_pem(key, cert);
    test_pkcs12(key, cert);
    test_refusals(key, cert);
    X509_free(cert);
    X509_free(other);
    EVP_PKEY_free(key);
    EVP_PKEY_free(other_key);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    return check_report("test_cert");
}
