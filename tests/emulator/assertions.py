"""Client assertions for the token endpoint: certificate-signed JWTs (RS256 or PS256, header
`x5t` or `x5t#S256`) and federated (workload identity) tokens (graph-sync-api.md §8.1)."""

import base64
import hashlib
import json
import time

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding

CLOCK_SKEW_S = 300


class AssertionError_(Exception):
    """(AADSTS code, message) of a refused assertion."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code = code
        self.message = message


def _b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class Certificate:
    def __init__(self, pem_path):
        with open(pem_path, "rb") as f:
            data = f.read()
        self.cert = x509.load_pem_x509_certificate(data)
        der = self.cert.public_bytes(serialization.Encoding.DER)
        self.x5t = _b64url(hashlib.sha1(der).digest())
        self.x5t_s256 = _b64url(hashlib.sha256(der).digest())
        self.thumbprint = hashlib.sha1(der).hexdigest().upper()


def decode(assertion):
    try:
        h, p, s = assertion.split(".")
        return json.loads(_b64url_decode(h)), json.loads(_b64url_decode(p)), (h + "." + p).encode(), _b64url_decode(s)
    except (ValueError, TypeError):
        raise AssertionError_(50027, "JWT token is invalid or malformed.")


def check_claims(claims, client_id, audiences):
    now = time.time()
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise AssertionError_(700021, "Client assertion application identifier doesn't match 'client_id' parameter. "
                              "Review the documentation at https://docs.microsoft.com/en-us/azure/active-directory/"
                              "develop/active-directory-certificate-credentials .")
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(a in audiences for a in auds):
        raise AssertionError_(700212, f"Client assertion audience claim does not match Realm issuer. Presented "
                              f"audience: '{aud}'. Review the documentation at https://docs.microsoft.com/en-us/"
                              "azure/active-directory/develop/active-directory-certificate-credentials .")
    exp, nbf = claims.get("exp"), claims.get("nbf", claims.get("iat", 0))
    if not isinstance(exp, (int, float)) or exp + CLOCK_SKEW_S < now or (
            isinstance(nbf, (int, float)) and nbf - CLOCK_SKEW_S > now):
        raise AssertionError_(700024, f"Client assertion is not within its valid time range. Current time: "
                              f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(now))}.0000000Z, assertion valid "
                              f"from {nbf}, expiry time of assertion {exp}.")


def verify_certificate_assertion(assertion, client_id, certs, audiences):
    """Raises AssertionError_ unless `assertion` is signed by one of `certs` with valid claims."""
    header, claims, signing_input, signature = decode(assertion)
    alg = header.get("alg")
    if alg not in ("RS256", "PS256"):
        raise AssertionError_(5002738, f"Invalid JWT token. '{alg}' is not a supported signature algorithm.")
    x5t, x5t256 = header.get("x5t"), header.get("x5t#S256")
    cert = next((c for c in certs if (x5t and c.x5t == x5t) or (x5t256 and c.x5t_s256 == x5t256)), None)
    if cert is None:
        shown = x5t or x5t256 or ""
        raise AssertionError_(700027, "The certificate with identifier used to sign the client assertion is not "
                              f"registered on application. [Reason - The key was not found., Thumbprint of key used "
                              f"by client: '{shown}', Please visit the Azure Portal, Graph Explorer or directly use "
                              f"MS Graph to see configured keys for app Id '{client_id}'.]")
    key = cert.cert.public_key()
    try:
        if alg == "RS256":
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, signing_input,
                       padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH),
                       hashes.SHA256())
    except (InvalidSignature, ValueError, TypeError):
        raise AssertionError_(700027, "Client assertion failed signature validation. [Reason - The provided "
                              f"signature value did not match the expected signature value., Thumbprint of key "
                              f"used by client: '{cert.thumbprint}']")
    check_claims(claims, client_id, audiences)


def verify_federated_assertion(assertion, token_file):
    """A federated credential is accepted when it equals the current content of the token file
    (re-read each time, as the kubelet rotates it) and, when it is a JWT, has not expired."""
    try:
        with open(token_file, encoding="utf-8") as f:
            expected = f.read().strip()
    except OSError:
        raise AssertionError_(700213, "No matching federated identity record found for presented assertion.")
    if assertion.strip() != expected:
        raise AssertionError_(700213, "No matching federated identity record found for presented assertion "
                              "subject. Check your federated identity credential Subject, Audience and Issuer "
                              "against the presented assertion.")
    if assertion.count(".") == 2:
        try:
            claims = json.loads(_b64url_decode(assertion.split(".")[1]))
        except ValueError:
            return
        exp = claims.get("exp")
        if isinstance(exp, (int, float)) and exp + CLOCK_SKEW_S < time.time():
            raise AssertionError_(700024, "Client assertion is not within its valid time range.")
