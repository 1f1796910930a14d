"""An https listener in front of the same emulator (option --tls): clients that insist on https
(MSAL's authority, @azure/identity) talk to it, with a certificate the test makes and trusts.
Everything the emulator writes into answers (discovery documents, nextLink, Location) then
says https://127.0.0.1:TLSPORT."""

import os
import ssl
import threading

from tests.emulator.server import Server


def write_port(path, port):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, path)


def start(app, pem, port_file=None):
    """Serves `app` over TLS on a free loopback port with the key and certificate in `pem`
    (one PEM file); returns the Server (stop it with .stop())."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pem)
    server = Server(app, 0, tls=ctx)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="tls-front",
                     daemon=True).start()
    if port_file:
        write_port(port_file, server.server_address[1])
    return server
