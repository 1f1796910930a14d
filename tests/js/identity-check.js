// Gets a Graph token from the emulator with Microsoft's @azure/identity (MSAL underneath), then
// uses it on the emulator's Graph API: a second real client of the emulator's token endpoints
// (tests/conformance/test_azure_identity.py). Never prints a token: only its claims.
//
//   node identity-check.js --mode secret|certificate|device|appservice|imds
//        --authority https://127.0.0.1:TLSPORT --tenant TENANT --client-id ID
//        --graph http://127.0.0.1:PORT [--cert PEM] [--control http://127.0.0.1:PORT]
// The client secret comes in the environment (EMULATOR_CLIENT_SECRET); managed identity reads
// IDENTITY_ENDPOINT/IDENTITY_HEADER (App Service) or AZURE_POD_IDENTITY_AUTHORITY_HOST (IMDS),
// set by the test.
"use strict";

const identity = require("@azure/identity");
const SCOPE = "https://graph.microsoft.com/.default";

function args() {
  const out = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, "")] = argv[i + 1];
  return out;
}

async function approve(control, userCode) {
  const r = await fetch(`${control}/_emulator/devicecode/approve`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user_code: userCode }),
  });
  if (r.status !== 200) throw new Error(`approve: HTTP ${r.status}`);
}

function credential(a, seen) {
  const common = { authorityHost: a.authority, disableInstanceDiscovery: true };
  switch (a.mode) {
    case "secret":
      return new identity.ClientSecretCredential(a.tenant, a["client-id"], process.env.EMULATOR_CLIENT_SECRET, common);
    case "certificate":
      return new identity.ClientCertificateCredential(a.tenant, a["client-id"], { certificatePath: a.cert }, common);
    case "device":
      return new identity.DeviceCodeCredential({
        ...common, tenantId: a.tenant, clientId: a["client-id"],
        userPromptCallback: (info) => { seen.userCode = info.userCode; seen.approval = approve(a.control, info.userCode); },
      });
    case "appservice":
    case "imds":
      return new identity.ManagedIdentityCredential();
    default:
      throw new Error(`unknown mode ${a.mode}`);
  }
}

function claims(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

async function main() {
  const a = args();
  const seen = {};
  const cred = credential(a, seen);
  const scope = a.mode === "device"
    ? ["https://graph.microsoft.com/Synchronization.Read.All", "https://graph.microsoft.com/Application.Read.All"]
    : SCOPE;
  const t = await cred.getToken(scope);
  if (seen.approval) await seen.approval;
  const c = claims(t.token);
  const r = await fetch(`${a.graph}/v1.0/servicePrincipals?$top=1&$select=id`, {
    headers: { Authorization: `Bearer ${t.token}` },
  });
  const version = require("@azure/identity/package.json").version;
  process.stdout.write(JSON.stringify({
    client: { name: "@azure/identity", version },
    mode: a.mode, credential: cred.constructor.name, expiresInS: Math.round((t.expiresOnTimestamp - Date.now()) / 1000),
    claims: { aud: c.aud, appid: c.appid, tid: c.tid, roles: c.roles || null, scp: c.scp || null, idtyp: c.idtyp },
    deviceCodeShown: Boolean(seen.userCode), graphStatus: r.status,
  }) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${e.name}: ${e.message}\n`);
  process.exit(1);
});
