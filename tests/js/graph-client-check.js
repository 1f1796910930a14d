#!/usr/bin/env node
// Drives a Graph endpoint (the emulator of tests/emulator) with Microsoft's own JavaScript
// client, @microsoft/microsoft-graph-client, the way an administrator's script would:
//   1. lists /servicePrincipals with $select/$top and follows every @odata.nextLink with the
//      client's PageIterator;
//   2. sends one JSON batch built with BatchRequestContent (item "1": GET the templates of the
//      first given service principal; items "2".."n": GET .../synchronization/jobs of each given
//      service principal, each dependsOn "1") and reads every item back through
//      BatchResponseContent;
//   3. reads one job and its schema;
// and prints one JSON summary on stdout (tests/conformance/test_js_client.py checks it).
//
// Usage:
//   node graph-client-check.js --base-url http://127.0.0.1:PORT [--token T] [--version v1.0]
//        [--top 60] [--batch-sp SPID]... [--job SPID/JOBID]
// The token also comes from $GRAPH_TOKEN; the base URL from $GRAPH_BASE_URL.
//
// The client is given `baseUrl` and `customHosts` (the base URL's host name), so that its
// AuthenticationHandler treats the emulator as a Graph host. Version 3.0.7 of the client only
// recognises https:// URLs as Graph or custom hosts (GraphRequestUtil.isValidEndpoint) and only
// strips an https:// origin from an absolute URL given to client.api() (GraphRequest.parsePath,
// which PageIterator uses for @odata.nextLink). Against a plain-http emulator it would send no
// token and join absolute nextLinks onto the base URL. The small LoopbackHttpShim below, the
// last middleware before the HTTP handler, repairs exactly those two things for http:// URLs of
// a custom host and counts every repair in the summary, so the test can see it happen.
"use strict";

const {
  Client,
  PageIterator,
  BatchRequestContent,
  BatchResponseContent,
  MiddlewareFactory,
} = require("@microsoft/microsoft-graph-client");
const clientPackage = require("@microsoft/microsoft-graph-client/package.json");

function parseArgs(argv) {
  const args = {
    baseUrl: process.env.GRAPH_BASE_URL || "",
    token: process.env.GRAPH_TOKEN || "",
    version: "v1.0",
    top: 60,
    batchSps: [],
    job: "",
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`missing value after ${a}`);
      return argv[++i];
    };
    if (a === "--base-url") args.baseUrl = next();
    else if (a === "--token") args.token = next();
    else if (a === "--version") args.version = next();
    else if (a === "--top") args.top = parseInt(next(), 10);
    else if (a === "--batch-sp") args.batchSps.push(next());
    else if (a === "--job") args.job = next();
    else throw new Error(`unknown argument: ${a}`);
  }
  if (!args.baseUrl) throw new Error("--base-url (or GRAPH_BASE_URL) is required");
  if (!args.token) throw new Error("--token (or GRAPH_TOKEN) is required");
  args.baseUrl = args.baseUrl.replace(/\/+$/, "");
  return args;
}

class StaticTokenProvider {
  constructor(token) {
    this.token = token;
    this.calls = 0;
  }
  async getAccessToken() {
    this.calls++;
    return this.token;
  }
}

class LoopbackHttpShim {
  constructor(authProvider, stats) {
    this.authProvider = authProvider;
    this.stats = stats;
    this.nextMiddleware = undefined;
  }
  setNext(next) {
    this.nextMiddleware = next;
  }
  async execute(context) {
    let url = typeof context.request === "string" ? context.request : context.request.url;
    const isLoopbackHttp = (u) => {
      const m = /^http:\/\/([^/:]+)/i.exec(u);
      return m !== null && context.customHosts !== undefined && context.customHosts.has(m[1].toLowerCase());
    };
    // "http://h:p/v1.0/http://h:p/v1.0/servicePrincipals?..." -> the absolute URL given to api()
    const doubled = /^https?:\/\/[^/]+\/[^/]*\/(https?:\/\/.+)$/i.exec(url);
    if (doubled && isLoopbackHttp(doubled[1])) {
      url = doubled[1];
      if (typeof context.request === "string") context.request = url;
      else context.request = new Request(url, context.request);
      this.stats.urlRepairs++;
    }
    if (isLoopbackHttp(url)) {
      context.options = context.options || {};
      const headers = context.options.headers || {};
      const has = headers instanceof Headers ? headers.has("Authorization")
        : Object.keys(headers).some((k) => k.toLowerCase() === "authorization");
      if (!has) {
        const bearer = `Bearer ${await this.authProvider.getAccessToken()}`;
        if (headers instanceof Headers) headers.set("Authorization", bearer);
        else headers.Authorization = bearer;
        context.options.headers = headers;
        this.stats.authHeadersAdded++;
      }
    }
    await this.nextMiddleware.execute(context);
    const method = (context.options && context.options.method) || "GET";
    this.stats.requests.push({
      method,
      url,
      status: context.response ? context.response.status : null,
    });
  }
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const origin = new URL(args.baseUrl);
  const authProvider = new StaticTokenProvider(args.token);
  const stats = { requests: [], authHeadersAdded: 0, urlRepairs: 0 };

  const middleware = MiddlewareFactory.getDefaultMiddlewareChain(authProvider);
  // insert the shim just before the last element (HTTPMessageHandler)
  middleware.splice(middleware.length - 1, 0, new LoopbackHttpShim(authProvider, stats));
  const client = Client.initWithMiddleware({
    middleware,
    baseUrl: args.baseUrl,
    defaultVersion: args.version,
    customHosts: new Set([origin.hostname.toLowerCase()]),
  });

  // 1. service principals, every page
  const firstPage = await client
    .api("/servicePrincipals")
    .select(["id", "appId", "displayName"])
    .top(args.top)
    .get();
  const spIds = [];
  const spKeys = new Set();
  const iterator = new PageIterator(client, firstPage, (sp) => {
    spIds.push(sp.id);
    for (const k of Object.keys(sp)) spKeys.add(k);
    return true;
  });
  await iterator.iterate();
  const spPages = stats.requests.filter((r) => /\/servicePrincipals(\?|$)/.test(r.url));

  // 2. one JSON batch
  // Item "1" reads the templates of the first service principal; every other item reads the
  // jobs of one service principal and dependsOn "1" (the client only builds batches whose
  // dependencies are parallel, serial, or all on one same item).
  const batchSps = args.batchSps.length > 0 ? args.batchSps.slice(0, 19) : spIds.slice(0, 19);
  const templatesStepId = "1";
  const steps = [];
  if (batchSps.length > 0) {
    steps.push({
      id: templatesStepId,
      request: new Request(`${origin.origin}/servicePrincipals/${encodeURIComponent(batchSps[0])}/synchronization/templates`, {
        method: "GET",
      }),
    });
  }
  batchSps.forEach((spId, i) => {
    steps.push({
      id: String(i + 2),
      request: new Request(`${origin.origin}/servicePrincipals/${encodeURIComponent(spId)}/synchronization/jobs`, {
        method: "GET",
      }),
      dependsOn: [templatesStepId],
    });
  });
  const batchContent = new BatchRequestContent(steps);
  const batchBody = await batchContent.getContent();
  const rawBatch = await client.api("/$batch").post(batchBody);
  const batchResponse = new BatchResponseContent(rawBatch);
  const items = [];
  let firstJob = null;
  for (const [id, response] of batchResponse.getResponsesIterator()) {
    const item = { id, status: response.status };
    const retryAfter = response.headers.get("Retry-After");
    if (retryAfter !== null) item.retryAfter = retryAfter;
    let body = null;
    try {
      body = await response.json();
    } catch (e) {
      body = null;
    }
    if (body && body.error) item.errorCode = body.error.code;
    const index = parseInt(id, 10) - 2;
    if (id === templatesStepId) {
      item.kind = "templates";
      item.spId = batchSps[0];
      if (body && Array.isArray(body.value)) item.templateIds = body.value.map((t) => t.id);
    } else {
      item.kind = "jobs";
      item.spId = batchSps[index];
      if (body && Array.isArray(body.value)) {
        item.jobIds = body.value.map((j) => j.id);
        if (firstJob === null && body.value.length > 0) firstJob = { spId: batchSps[index], jobId: body.value[0].id };
      }
    }
    items.push(item);
  }
  items.sort((a, b) => parseInt(a.id, 10) - parseInt(b.id, 10));

  // 3. one job and its schema
  let jobSummary = null;
  let schemaSummary = null;
  if (args.job) {
    const slash = args.job.indexOf("/");
    firstJob = { spId: args.job.slice(0, slash), jobId: args.job.slice(slash + 1) };
  }
  if (firstJob !== null) {
    const jobPath = `/servicePrincipals/${encodeURIComponent(firstJob.spId)}/synchronization/jobs/${encodeURIComponent(firstJob.jobId)}`;
    const job = await client.api(jobPath).get();
    jobSummary = {
      spId: firstJob.spId,
      id: job.id,
      templateId: job.templateId,
      scheduleState: job.schedule ? job.schedule.state : null,
      statusCode: job.status ? job.status.code : null,
      hasSchemaInline: Object.prototype.hasOwnProperty.call(job, "schema"),
    };
    const schema = await client.api(`${jobPath}/schema`).get();
    schemaSummary = {
      version: schema.version === undefined ? null : schema.version,
      directoryNames: (schema.directories || []).map((d) => d.name),
      ruleIds: (schema.synchronizationRules || []).map((r) => r.id),
    };
  }

  const summary = {
    client: { name: clientPackage.name, version: clientPackage.version },
    node: process.version,
    baseUrl: args.baseUrl,
    version: args.version,
    servicePrincipals: {
      count: spIds.length,
      uniqueCount: new Set(spIds).size,
      ids: spIds,
      keys: [...spKeys].sort(),
      firstPageSize: firstPage.value.length,
      pages: spPages.length,
      pageUrls: spPages.map((r) => r.url),
      iteratorComplete: iterator.isComplete(),
    },
    batch: {
      itemCount: batchContent.requests.size,
      responses: items,
    },
    job: jobSummary,
    schema: schemaSummary,
    http: {
      requests: stats.requests,
      authHeadersAddedByShim: stats.authHeadersAdded,
      urlRepairsByShim: stats.urlRepairs,
      tokenProviderCalls: authProvider.calls,
    },
  };
  process.stdout.write(JSON.stringify(summary, null, 2) + "\n");
}

main().catch((err) => {
  const detail = {
    error: err && err.message ? err.message : String(err),
    name: err && err.name,
    statusCode: err && err.statusCode,
    code: err && err.code,
  };
  process.stderr.write(`graph-client-check: ${JSON.stringify(detail)}\n`);
  if (err && err.stack) process.stderr.write(err.stack + "\n");
  process.exit(1);
});
