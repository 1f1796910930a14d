"""A by-hand smoke check of the emulator's less travelled paths: OAuth (secret, certificate
assertions RS256/PS256 with x5t and x5t#S256, federated, device code, refresh), managed identity
(App Service and IMDS), token expiry, permissions, job lifecycle, faults, $batch, chunked and
gzip answers.

    /usr/bin/python3 tests/emulator/smoke_check.py        (prints one line per check; exit 1 on failure)
"""

import base64
import datetime
import gzip
import hashlib
import http.client
import json
import os
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding, rsa  # noqa: E402

from tests.emulator.control import Emulator  # noqa: E402
from tests.credential_files import self_signed  # noqa: E402

FAILURES = []


def check(name, ok, detail=""):
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else f"  -- {detail}"))
    if not ok:
        FAILURES.append(name)


def b64url(b):
    return base64.urlsafe_b64encode(b).decode().rstrip("=")


def make_cert(directory):
    key, cert = self_signed("graphsyncfs-smoke", datetime.timedelta(days=1), datetime.timedelta(days=30))
    path = os.path.join(directory, "cert.pem")
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert, path


def assertion(key, cert, client_id, aud, alg="PS256", thumb="x5t#S256", exp_delta=600):
    der = cert.public_bytes(serialization.Encoding.DER)
    header = {"alg": alg, "typ": "JWT"}
    header[thumb] = b64url((hashlib.sha256 if thumb == "x5t#S256" else hashlib.sha1)(der).digest())
    now = int(time.time())
    claims = {"aud": aud, "iss": client_id, "sub": client_id, "jti": str(now), "nbf": now, "iat": now,
              "exp": now + exp_delta}
    signing = (b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    if alg == "RS256":
        sig = key.sign(signing, padding.PKCS1v15(), hashes.SHA256())
    else:
        sig = key.sign(signing, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32), hashes.SHA256())
    return signing.decode() + "." + b64url(sig)


def form(emu, path, fields, headers=None):
    return emu._call("POST", path, raw=urllib.parse.urlencode(fields).encode(),
                     headers=dict({"Content-Type": "application/x-www-form-urlencoded"}, **(headers or {})))


def oauth_checks(tmp):
    key, cert, cert_path = make_cert(tmp)
    secret = os.path.join(tmp, "secret")
    with open(secret, "w") as f:
        f.write("smoke-secret")
    fed = os.path.join(tmp, "federated")
    with open(fed, "w") as f:
        f.write("eyJhbGciOiJub25lIn0.eyJzdWIiOiJzeXN0ZW06c2EifQ.\n")
    os.chmod(secret, 0o600)
    cid, cert_cid, fed_cid = "11111111-1111-1111-1111-111111111111", "22222222-2222-2222-2222-222222222222", \
        "33333333-3333-3333-3333-333333333333"
    with Emulator(auth="required", clients=[f"{cid}:{secret}"], client_certs=[f"{cert_cid}:{cert_path}"],
                  client_federated=[f"{fed_cid}:{fed}"], identity_header="idh-value", token_lifetime=3,
                  config={"device_code_interval": 1}) as emu:
        tid = emu.tenant()["tenantId"]
        tok = f"/{tid}/oauth2/v2.0/token"
        scope = "https://graph.microsoft.com/.default"
        r = form(emu, tok, {"grant_type": "client_credentials", "client_id": cid, "client_secret": "smoke-secret",
                            "scope": scope})
        check("client credentials with secret", r.status == 200 and r.json()["expires_in"] == 3, r)
        token = r.json()["access_token"]
        emu.token = token
        check("token opens Graph", emu.get("/servicePrincipals?$top=1").status == 200)
        time.sleep(3.2)
        r = emu.get("/servicePrincipals?$top=1")
        check("expired token is 401 InvalidAuthenticationToken",
              r.status == 401 and r.json()["error"]["code"] == "InvalidAuthenticationToken", r)
        emu.token = None
        for alg in ("RS256", "PS256"):
            for thumb in ("x5t", "x5t#S256"):
                for aud in (f"https://login.microsoftonline.com/{tid}/oauth2/v2.0/token", emu.url + tok):
                    a = assertion(key, cert, cert_cid, aud, alg, thumb)
                    r = form(emu, tok, {"grant_type": "client_credentials", "client_id": cert_cid, "scope": scope,
                                        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                        "client_assertion": a})
                    check(f"certificate assertion {alg} {thumb} aud={aud.split('/')[2]}", r.status == 200, r)
        bad = assertion(key, cert, cert_cid, f"https://login.microsoftonline.com/{tid}/oauth2/v2.0/token")
        tampered = bad[:-4] + ("AAAA" if not bad.endswith("AAAA") else "BBBB")
        for label, a, code in (("tampered signature", tampered, 700027),
                               ("expired assertion", assertion(key, cert, cert_cid, emu.url + tok, exp_delta=-900),
                                700024),
                               ("wrong audience", assertion(key, cert, cert_cid, "https://example.com/token"), 700212),
                               ("garbage", "not-a-jwt", 50027)):
            r = form(emu, tok, {"grant_type": "client_credentials", "client_id": cert_cid, "scope": scope,
                                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                                "client_assertion": a})
            check(f"certificate assertion refused: {label}", r.status in (400, 401) and
                  r.json()["error_codes"] == [code], r)
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        r = form(emu, tok, {"grant_type": "client_credentials", "client_id": cert_cid, "scope": scope,
                            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                            "client_assertion": assertion(other_key, cert, cert_cid, emu.url + tok)})
        check("assertion signed by another key refused", r.status == 401 and r.json()["error_codes"] == [700027], r)
        with open(fed) as f:
            fed_token = f.read().strip()
        r = form(emu, tok, {"grant_type": "client_credentials", "client_id": fed_cid, "scope": scope,
                            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                            "client_assertion": fed_token})
        check("federated assertion", r.status == 200, r)
        r = form(emu, tok, {"grant_type": "client_credentials", "client_id": fed_cid, "scope": scope,
                            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                            "client_assertion": fed_token + "x"})
        check("federated assertion mismatch refused", r.status == 401 and r.json()["error_codes"] == [700213], r)
        r = form(emu, "/no-such-tenant.example/oauth2/v2.0/token",
                 {"grant_type": "client_credentials", "client_id": cid, "client_secret": "smoke-secret", "scope": scope})
        check("unknown tenant is invalid_tenant", r.status == 400 and r.json()["error"] == "invalid_tenant", r)
        # device code
        r = form(emu, "/organizations/oauth2/v2.0/devicecode",
                 {"client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                  "scope": "https://graph.microsoft.com/Synchronization.Read.All offline_access openid"})
        dc = r.json()
        poll = {"grant_type": "urn:ietf:params:oauth:grant-type:device_code",
                "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "device_code": dc["device_code"]}
        r1 = form(emu, "/organizations/oauth2/v2.0/token", poll)
        r2 = form(emu, "/organizations/oauth2/v2.0/token", poll)
        check("device code pending then slow_down", r1.json()["error"] == "authorization_pending" and
              r2.json()["error"] == "slow_down", (r1, r2))
        emu.approve_device_code(dc["user_code"])
        time.sleep(1.1)
        r = form(emu, "/organizations/oauth2/v2.0/token", poll)
        body = r.json()
        check("device code approved gives access, refresh and id tokens",
              r.status == 200 and {"access_token", "refresh_token", "id_token"} <= set(body), r)
        emu.token = body["access_token"]
        check("delegated read token reads jobs", emu.get("/servicePrincipals?$top=1").status in (200, 403))
        sp = next(s for s in emu.tenant()["servicePrincipals"] if s["jobs"])
        jp = f"/servicePrincipals/{sp['id']}/synchronization/jobs/{sp['jobs'][0]}"
        check("Synchronization.Read.All reads a job", emu.get(jp).status == 200)
        r = emu.post(jp + "/pause")
        check("Synchronization.Read.All cannot pause: 401 UnknownError, empty message (as real tenants)",
              r.status == 401 and r.json()["error"]["code"] == "UnknownError" and r.json()["error"]["message"] == "",
              r)
        r = form(emu, "/organizations/oauth2/v2.0/token", poll)
        check("device code redeemed twice is invalid_grant", r.json().get("error") == "invalid_grant", r)
        r = form(emu, "/organizations/oauth2/v2.0/token",
                 {"grant_type": "refresh_token", "client_id": "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                  "refresh_token": body["refresh_token"],
                  "scope": "https://graph.microsoft.com/Synchronization.ReadWrite.All offline_access"})
        check("refresh token grant", r.status == 200 and "access_token" in r.json(), r)
        emu.token = r.json()["access_token"]
        check("refreshed ReadWrite token can pause", emu.post(jp + "/pause").status == 204)
        emu.token = None
        r = form(emu, "/organizations/oauth2/v2.0/devicecode", {"client_id": "c", "scope": "openid"})
        dc2 = r.json()
        emu.approve_device_code(dc2["user_code"], decline=True)
        r = form(emu, "/organizations/oauth2/v2.0/token",
                 {"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": "c",
                  "device_code": dc2["device_code"]})
        check("declined device code", r.json().get("error") == "authorization_declined", r)
        emu.config(device_code_lifetime=0)
        r = form(emu, "/organizations/oauth2/v2.0/devicecode", {"client_id": "c", "scope": "openid"})
        time.sleep(0.05)
        r = form(emu, "/organizations/oauth2/v2.0/token",
                 {"grant_type": "device_code", "client_id": "c", "device_code": r.json()["device_code"]})
        check("expired device code (grant_type=device_code, MSAL's short form)",
              r.json().get("error") == "expired_token", r)
        # managed identity
        r = emu._call("GET", "/msi/token?resource=https://graph.microsoft.com&api-version=2019-08-01",
                      headers={"X-IDENTITY-HEADER": "idh-value"})
        check("App Service managed identity", r.status == 200 and r.json()["token_type"] == "Bearer", r)
        emu.token = r.json()["access_token"]
        check("managed-identity token opens Graph", emu.get(jp).status == 200)
        emu.token = None
        r = emu._call("GET", "/msi/token?resource=https://graph.microsoft.com&api-version=2019-08-01",
                      headers={"X-IDENTITY-HEADER": "wrong"})
        check("App Service wrong header refused", r.status == 400, r)
        r = emu._call("GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com",
                      headers={"Metadata": "true"})
        check("IMDS managed identity", r.status == 200 and isinstance(r.json()["expires_in"], str), r)
        r = emu._call("GET", "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://graph.microsoft.com")
        check("IMDS without Metadata header refused", r.status == 400, r)
        log = emu.requests()
        text = json.dumps(log)
        check("no secret in the request log", "smoke-secret" not in text and fed_token not in text and
              "idh-value" not in text and body["refresh_token"] not in text)


def lifecycle_checks():
    with Emulator(time_scale=0.01) as emu:
        t = emu.tenant()
        sf = t["servicePrincipals"][0]
        jp = f"/servicePrincipals/{sf['id']}/synchronization/jobs/{sf['jobs'][0]}"
        slack = next(s for s in t["servicePrincipals"] if s["displayName"] == "Slack" and s["jobs"])
        sjp = f"/servicePrincipals/{slack['id']}/synchronization/jobs/{slack['jobs'][0]}"
        r = emu.post(sjp + "/validateCredentials", {"useSavedCredentials": True})
        check("validateCredentials with bad saved credentials is 400", r.status == 400, r)
        emu.put(f"/servicePrincipals/{slack['id']}/synchronization/secrets",
                {"value": [{"key": "BaseAddress", "value": "https://api.slack.com/scim/v2"},
                           {"key": "SecretToken", "value": "good"}]})
        emu.post(sjp + "/start")
        deadline = time.time() + 10
        while time.time() < deadline and emu.get(sjp).json()["status"]["code"] != "Active":
            time.sleep(0.1)
        check("quarantined job recovers after good credentials and start",
              emu.get(sjp).json()["status"]["code"] == "Active")
        r = emu.get(f"/servicePrincipals/{slack['id']}/synchronization/secrets").json()["value"]
        check("secret values masked", [kv["value"] for kv in r] == ["https://api.slack.com/scim/v2", "********"], r)
        emu.put(f"/servicePrincipals/{sf['id']}/synchronization/secrets",
                {"value": [{"key": "BaseAddress", "value": "https://x"}, {"key": "SecretToken", "value": "bad"}]})
        emu.run_cycle(sf["id"], sf["jobs"][0])
        st = emu.get(jp).json()["status"]
        check("bad credentials quarantine a job", st["code"] == "Quarantine" and
              st["quarantine"]["reason"] == "EncounteredQuarantineException", st)
        rule = emu.get(jp + "/schema").json()["synchronizationRules"][0]["id"]
        emu.config(pod_rate_limit=2)
        codes = [emu.post(jp + "/provisionOnDemand", {"parameters": [{"ruleId": rule, "subjects": [
            {"objectId": f"obj-{i}", "objectTypeName": "User"}]}]}).status for i in range(3)]
        check("provisionOnDemand rate limit from config", codes == [200, 200, 429], codes)
        r = emu.post("/$batch", {"requests": [{"id": "1", "method": "GET", "url": jp},
                                              {"id": "2", "method": "GET", "url": jp + "/schema/functions()"}]})
        check("$batch", r.status == 200 and [i["status"] for i in r.json()["responses"]] == [200, 200], r)
        emu.set_faults([{"path": "servicePrincipals$", "status": 503, "retry_after": "0.5", "count": 1}])
        r1, r2 = emu.get("/servicePrincipals"), emu.get("/servicePrincipals")
        check("fault 503 once then 200", (r1.status, r1.headers.get("Retry-After"), r2.status) == (503, "0.5", 200))
        emu.set_faults([{"method": "GET", "path": "/schema$", "status": 503}])
        emu.post("/$batch", {"requests": [{"id": "1", "method": "GET", "url": jp + "/schema"}]})
        check("fault rule that a $batch item cannot hit is warned about", "inside a $batch" in emu.stderr(),
              emu.stderr())
        emu.clear_faults()
        emu.config(chunked=True, gzip=True)
        conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
        conn.request("GET", "/v1.0/servicePrincipals?$top=1", headers={"Accept-Encoding": "gzip"})
        r = conn.getresponse()
        body = json.loads(gzip.decompress(r.read()))
        conn.close()
        check("chunked and gzip-encoded answers", r.getheader("Transfer-Encoding") == "chunked" and
              r.getheader("Content-Encoding") == "gzip" and len(body["value"]) == 1, dict(r.getheaders()))


def main():
    with tempfile.TemporaryDirectory() as tmp:
        oauth_checks(tmp)
    lifecycle_checks()
    print(f"{len(FAILURES)} failure(s)" if FAILURES else "all checks passed")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    raise SystemExit(main())
