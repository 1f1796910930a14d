"""Command line and wiring of the Graph emulator (README "Running it")."""

import argparse
import json
import os
import signal
import sys
import threading

if __package__ in (None, ""):   # run as a script: make `tests.emulator` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from tests.emulator import cycle_events, demo_tenant  # noqa: E402
from tests.emulator.provisioning_log import ProvisioningLog  # noqa: E402
from tests.emulator.provisioning_query import Throttle  # noqa: E402
from tests.emulator.assertions import Certificate  # noqa: E402
from tests.emulator.batch import Batch  # noqa: E402
from tests.emulator.control_api import ControlApi  # noqa: E402
from tests.emulator.faults import Faults  # noqa: E402
from tests.emulator.graph_api import GraphApi  # noqa: E402
from tests.emulator.lifecycle import Engine  # noqa: E402
from tests.emulator.oauth import Client, OAuth  # noqa: E402
from tests.emulator.request_log import RequestLog  # noqa: E402
from tests.emulator.server import Server  # noqa: E402
from tests.emulator.settings import Settings  # noqa: E402
from tests.emulator import tls_front, transport  # noqa: E402
from tests.emulator.tokens import Tokens  # noqa: E402


class App:
    """Everything one emulator process holds."""

    def __init__(self, args):
        self.seed = args.seed
        self.quiet = args.quiet
        try:
            encodings = transport.env_defaults()
        except ValueError as e:
            raise SystemExit(f"emulator: {e}")
        self.settings = Settings(time_scale=args.time_scale, latency_ms=args.latency_ms, auth=args.auth,
                                 token_lifetime=args.token_lifetime, **encodings)
        if args.config:
            with open(args.config, encoding="utf-8") as f:
                problems = self.settings.update(json.load(f))
            if problems:
                raise SystemExit("emulator: --config: " + "; ".join(problems))
        self.engine = Engine(self.settings, args.seed)
        self.tenant = demo_tenant.build(args.tenant, args.seed, self.engine)
        self.provisioning_log = ProvisioningLog(self.tenant)
        self.log_throttle = Throttle()
        cycle_events.attach(self)
        self.faults = Faults(args.seed)
        self.log = RequestLog(args.log_file)
        self.tokens = Tokens(self.settings, self.tenant.id)
        self.oauth = OAuth(self)
        self.oauth.identity_header = args.identity_header
        self.graph = GraphApi(self)
        self.batch = Batch(self)
        self.control = ControlApi(self)
        for spec in args.client:
            cid, path = _split(spec, "--client")
            self.oauth.add_client(Client(cid, secret=_read_secret(path)))
        for spec in args.client_cert:
            cid, path = _split(spec, "--client-cert")
            self.oauth.add_client(Client(cid, certs=[Certificate(path)]))
        for spec in args.client_federated:
            cid, path = _split(spec, "--client-federated")
            self.oauth.add_client(Client(cid, federated_file=path))
        if args.faults:
            with open(args.faults, encoding="utf-8") as f:
                doc = json.load(f)
            self.faults.replace(doc.get("rules", doc) if isinstance(doc, dict) else doc)


def _split(spec, opt):
    cid, sep, path = spec.partition(":")
    if not sep or not cid or not path:
        raise SystemExit(f"emulator: {opt} needs ID:FILE, got {spec!r}")
    return cid, path


def _read_secret(path):
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python3 -m tests.emulator",
                                description="Local emulator of Microsoft Graph's synchronization API.")
    p.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: a free one)")
    p.add_argument("--port-file", help="write the chosen port to this file once listening")
    p.add_argument("--tenant", default="demo", help="demo, or large:N:M")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--time-scale", type=float, default=1.0, help="real seconds per minute of Graph time")
    p.add_argument("--auth", choices=("none", "required"), default="none")
    p.add_argument("--token-lifetime", type=int, default=3600, help="expires_in of issued access tokens (s)")
    p.add_argument("--client", action="append", default=[], metavar="ID:SECRETFILE")
    p.add_argument("--client-cert", action="append", default=[], metavar="ID:CERTPEM")
    p.add_argument("--client-federated", action="append", default=[], metavar="ID:TOKENFILE")
    p.add_argument("--identity-header", help="enables GET /msi/token; the X-IDENTITY-HEADER value it requires")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--config", help="JSON file of settings (the keys of POST /_emulator/config)")
    p.add_argument("--faults", help="JSON file of fault rules ({\"rules\": [...]}) active from the start")
    p.add_argument("--log-file", help="also append the request log as JSON lines to this file")
    p.add_argument("--quiet", action="store_true", help="no access log on stderr")
    p.add_argument("--tls", metavar="PEM", help="also serve https on a second port, with the key and certificate "
                   "in this PEM file (tls_front.py)")
    p.add_argument("--tls-port-file", help="write the https port to this file (before --port-file is written)")
    p.add_argument("--exit-on-stdin-eof", action="store_true",
                   help="stop when standard input reaches end of file (the parent that holds the pipe died)")
    args = p.parse_args(argv)
    if args.time_scale <= 0:
        p.error("--time-scale must be > 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        app = App(args)
    except (ValueError, OSError) as e:
        print(f"emulator: {e}", file=sys.stderr)
        return 2
    server = Server(app, args.port)
    port = server.server_address[1]
    tls_server = tls_front.start(app, args.tls, args.tls_port_file) if args.tls else None
    app.engine.start_thread()
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    if not args.quiet:
        print(f"emulator: listening on http://127.0.0.1:{port} (tenant {app.tenant.id}, "
              f"{len(app.tenant.sps)} service principals)", file=sys.stderr, flush=True)
    done = threading.Event()

    def stop(signum, frame):
        done.set()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
    t.start()
    if args.exit_on_stdin_eof:
        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            done.set()
        threading.Thread(target=watch_stdin, name="stdin-eof", daemon=True).start()
    done.wait()
    app.engine.stop()
    server.stop()
    if tls_server is not None:
        tls_server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
