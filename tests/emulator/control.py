"""`Emulator`: starts the Graph emulator as a subprocess for tests and talks to its control API.

    from tests.emulator.control import Emulator
    with Emulator(tenant="demo", time_scale=0.05) as emu:
        emu.url, emu.tenant(), emu.requests(), emu.set_faults([...]), emu.get("/servicePrincipals")

The process is stopped on exit from the `with` block, by `stop()`, when the object is garbage
collected, and at interpreter exit: terminate, then kill if it does not go within 5 s.
"""

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import weakref

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PYTHON = "/usr/bin/python3"


class Reply:
    """A raw Graph answer: status, headers (case-insensitive), body bytes."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def __repr__(self):
        return f"<Reply {self.status} {self.body[:200]!r}>"


def _stop_process(proc):
    if proc.stdin:
        try:
            proc.stdin.close()
        except OSError:
            pass
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


class Emulator:
    def __init__(self, tenant="demo", seed=1, time_scale=None, latency_ms=None, auth=None, token_lifetime=None,
                 clients=(), client_certs=(), client_federated=(), identity_header=None, log_file=None,
                 config=None, faults=None, extra_args=(), quiet=True, startup_timeout=60, token=None, tls=None):
        self.args = ["--tenant", tenant, "--seed", str(seed)]
        for opt, val in (("--time-scale", time_scale), ("--latency-ms", latency_ms), ("--auth", auth),
                         ("--token-lifetime", token_lifetime), ("--identity-header", identity_header),
                         ("--log-file", log_file)):
            if val is not None:
                self.args += [opt, str(val)]
        for opt, vals in (("--client", clients), ("--client-cert", client_certs),
                          ("--client-federated", client_federated)):
            for v in vals:
                self.args += [opt, v]
        if quiet:
            self.args.append("--quiet")
        self.args += list(extra_args)
        self.tls = tls                  # PEM (key + certificate): also serve https (tls_url)
        self.tls_url = None
        self.config_values = config
        self.fault_rules = faults
        self.startup_timeout = startup_timeout
        self.token = token
        self.proc = None
        self.port = None
        self.url = None
        self._dir = None
        self._finalizer = None

    # ---------------------------------------------------------------- process

    def start(self):
        self._dir = tempfile.mkdtemp(prefix="graph-emulator-")
        port_file = os.path.join(self._dir, "port")
        self.stderr_path = os.path.join(self._dir, "stderr")
        err = open(self.stderr_path, "wb")
        # the emulator holds the read end of a pipe we never write: if this process dies, the pipe
        # closes and the emulator stops by itself (--exit-on-stdin-eof)
        tls_args = ["--tls", str(self.tls), "--tls-port-file", os.path.join(self._dir, "tls-port")] if self.tls else []
        self.proc = subprocess.Popen([PYTHON, "-m", "tests.emulator", "--port-file", port_file,
                                      "--exit-on-stdin-eof"] + self.args + tls_args,
                                     cwd=REPO, stdin=subprocess.PIPE, stdout=err, stderr=err)
        err.close()
        self._finalizer = weakref.finalize(self, _stop_process, self.proc)
        atexit.register(self._finalizer)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.proc.returncode}: {self.stderr()}")
            try:
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    break
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        else:
            self.stop()
            raise RuntimeError(f"the emulator did not start within {self.startup_timeout} s: {self.stderr()}")
        self.url = f"http://127.0.0.1:{self.port}"
        if self.tls:
            with open(os.path.join(self._dir, "tls-port")) as f:
                self.tls_url = f"https://127.0.0.1:{int(f.read())}"
        if self.config_values:
            self.config(**self.config_values)
        if self.fault_rules:
            self.set_faults(self.fault_rules)
        return self

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except (OSError, AttributeError):
            return ""

    def stop(self):
        if self._finalizer is not None:
            self._finalizer()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    # ---------------------------------------------------------------- HTTP

    def _call(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode("utf-8"))
        hdrs = dict(headers or {})
        if data is not None and not any(k.lower() == "content-type" for k in hdrs):
            hdrs["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return Reply(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            return Reply(e.code, e.headers, e.read())

    def _control(self, method, path, body=None):
        r = self._call(method, "/_emulator" + path, body)
        if r.status >= 400:
            raise RuntimeError(f"control call {method} {path} failed: {r.status} {r.body[:500]!r}")
        return r.json()

    # ---------------------------------------------------------------- control API

    def requests(self, since=0):
        return self._control("GET", f"/requests?since={int(since)}")["requests"]

    def graph_requests(self, since=0):
        return [e for e in self.requests(since) if e.get("kind") == "graph" and not e.get("batch_item")]

    def clear_requests(self):
        self._control("DELETE", "/requests")

    def tenant(self):
        return self._control("GET", "/tenant")

    def provisioning_events(self):
        """Every provisioning log event, oldest first (GET /_emulator/auditLogs/provisioning)."""
        return self._control("GET", "/auditLogs/provisioning")["value"]

    def config(self, **settings):
        return self._control("POST", "/config", settings)

    def set_faults(self, rules):
        return self._control("POST", "/faults", {"rules": list(rules)})

    def clear_faults(self):
        self._control("DELETE", "/faults")

    def faults(self):
        """The fault rules with their counts (hits, batched, early)."""
        return self._control("GET", "/faults")["rules"]

    def add_sp(self, **props):
        return self._control("POST", "/servicePrincipals", props)

    def delete_sp(self, sp_id):
        self._control("DELETE", f"/servicePrincipals/{_q(sp_id)}")

    def patch_sp(self, sp_id, props):
        return self._control("PATCH", f"/servicePrincipals/{_q(sp_id)}", props)

    def patch_job(self, sp_id, job_id, changes):
        return self._control("PATCH", f"/servicePrincipals/{_q(sp_id)}/jobs/{_q(job_id)}", changes)

    def set_schema(self, sp_id, job_id, schema):
        return self._control("PUT", f"/servicePrincipals/{_q(sp_id)}/jobs/{_q(job_id)}/schema", schema)

    def run_cycle(self, sp_id, job_id):
        return self._control("POST", f"/servicePrincipals/{_q(sp_id)}/jobs/{_q(job_id)}/cycle")

    def put_secrets(self, sp_id, pairs):
        self._control("PUT", f"/servicePrincipals/{_q(sp_id)}/secrets", {"value": list(pairs)})

    def stored_secrets(self, sp_id):
        """The secrets as stored (unmasked), as a list of {"key", "value"}."""
        return self._control("GET", f"/servicePrincipals/{_q(sp_id)}/secrets")["value"]

    def approve_device_code(self, user_code, decline=False):
        return self._control("POST", "/devicecode/approve", {"user_code": user_code, "decline": decline})

    # ---------------------------------------------------------------- raw Graph calls (relative to /v1.0)

    def graph(self, method, path, body=None, headers=None, version="v1.0", raw=None):
        hdrs = dict(headers or {})
        if self.token and not any(k.lower() == "authorization" for k in hdrs):
            hdrs["Authorization"] = f"Bearer {self.token}"
        if not path.startswith("/"):
            path = "/" + path
        return self._call(method, f"/{version}{path}", body, hdrs, raw)

    def get(self, path, **kw):
        return self.graph("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.graph("POST", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self.graph("PUT", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self.graph("PATCH", path, body, **kw)

    def delete(self, path, **kw):
        return self.graph("DELETE", path, **kw)


def _q(segment):
    return urllib.parse.quote(segment, safe="")


if __name__ == "__main__":
    with Emulator(*sys.argv[1:2]) as emu:
        print(emu.url, len(emu.tenant()["servicePrincipals"]), "service principals")
