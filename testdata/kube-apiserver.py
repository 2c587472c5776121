#!/usr/bin/env python3
"""A tiny Kubernetes API server for tests: the pods endpoint only, over TLS.

Usage:
  kube-apiserver.py --cert SERVER.crt --key SERVER.key --token TOKEN --pods FILE
                    [--port 0] [--client-ca CA.crt] [--forbidden-token TOKEN]
                    [--serve-raw] [--exit-on-stdin-eof]

  --cert, --key      PEM server certificate (with an IP SAN 127.0.0.1) and key.
  --token TOKEN      the bearer token that is allowed to list pods.
  --pods FILE        a PodList JSON ({"items": [...]}) or a JSON array of pods.
                     Re-read on every request, so a test may rewrite it between
                     requests (write a temp file and rename it over FILE).
  --port N           TCP port on 127.0.0.1; 0 (default) picks a free one.
  --client-ca FILE   also accept a client certificate signed by this CA as
                     credentials (like kube-apiserver --client-ca-file).
  --forbidden-token  a token that authenticates but may not list pods (-> 403).
  --serve-raw        send FILE byte for byte as the 200 answer, without parsing
                     or filtering (to test clients against malformed bodies).
  --exit-on-stdin-eof  exit when stdin reaches end of file: a test that keeps
                     a pipe to our stdin open takes us down even when it crashes
                     before it could kill us.

Stdout: the first line is the chosen port number, flushed as soon as the
server listens; nothing else is printed there. Requests are logged to stderr.
Stop it with SIGTERM (immediate) or SIGINT.

Answers, shaped like kube-apiserver's:
  GET /api/v1/pods[?fieldSelector=spec.nodeName=NODE]
      200 {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":..},
           "items":[pods of FILE whose spec.nodeName is NODE]}
      other query parameters (resourceVersion, limit, ...) are ignored.
  unsupported field selector  -> 400 Status BadRequest
  missing or wrong token      -> 401 Status Unauthorized (before any routing)
  --forbidden-token           -> 403 Status Forbidden
  any other path              -> 404 "404 page not found" (text/plain)
  any other method            -> 405 Status MethodNotAllowed
"""

import argparse
import json
import os
import signal
import ssl
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def status_body(code, reason, message, details=None):
    """A metav1.Status, as kube-apiserver sends with every error."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details is not None:
        body["details"] = details
    return body


class Handler(BaseHTTPRequestHandler):
    # Keep-alive like the real server; every answer carries Content-Length.
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-test"

    # Drop idle keep-alive connections and stalled handshakes.
    timeout = 30

    def setup(self):
        # Handshake here, in the handler thread (see do_handshake_on_connect below).
        self.request.settimeout(self.timeout)
        self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        sys.stderr.write("kube-apiserver.py: %s\n" % (fmt % args))

    def send(self, code, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def user(self):
        """(user name, may list pods) of the request, or None if unauthenticated.

        Like kube-apiserver, a bearer token is checked first; a wrong token is
        rejected even when a valid client certificate was presented.
        """
        options = self.server.options
        header = self.headers.get("Authorization", "")
        if header:
            token = header[len("Bearer "):].strip() if header.startswith("Bearer ") else None
            if token == options.token:
                return ("system:serviceaccount:tailtrace:tailtrace", True)
            if options.forbidden_token and token == options.forbidden_token:
                return ("system:serviceaccount:default:nobody", False)
            return None
        if options.client_ca:
            cert = self.connection.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            return (value, True)
                return ("client-certificate", True)
        return None

    def do_GET(self):
        user = self.user()
        if user is None:
            self.send(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/api/v1/pods":
            self.send(404, b"404 page not found\n", "text/plain; charset=utf-8")
            return
        name, allowed = user
        if not allowed:
            self.send(403, status_body(
                403, "Forbidden",
                'pods is forbidden: User "%s" cannot list resource "pods" '
                'in API group "" at the cluster scope' % name,
                {"kind": "pods"}))
            return

        node = None
        query = urllib.parse.parse_qs(url.query)
        for selector in query.get("fieldSelector", []):
            for term in filter(None, selector.split(",")):
                field, _, value = term.partition("=")
                if field != "spec.nodeName":
                    self.send(400, status_body(
                        400, "BadRequest",
                        'field label not supported: %s' % field))
                    return
                node = value

        options = self.server.options
        with open(options.pods, "rb") as f:
            raw = f.read()
        if options.serve_raw:
            self.send(200, raw)
            return
        try:
            document = json.loads(raw)
        except ValueError as error:
            self.send(500, status_body(500, "InternalError", "cannot parse %s: %s" % (options.pods, error)))
            return
        items = document if isinstance(document, list) else document.get("items") or []
        if node is not None:
            items = [p for p in items if (p.get("spec") or {}).get("nodeName") == node]
        self.server.resource_version += 1
        self.send(200, {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": str(self.server.resource_version)},
            "items": items,
        })

    def do_other(self):
        if self.user() is None:
            self.send(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        self.send(405, status_body(405, "MethodNotAllowed",
                                   "the server does not allow this method on the requested resource"))

    do_POST = do_PUT = do_PATCH = do_DELETE = do_other


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that rejects our certificate aborts the handshake: expected
        # in tests, so one line instead of a traceback.
        sys.stderr.write("kube-apiserver.py: %s: %s\n" % (client_address, sys.exc_info()[1]))


def main():
    parser = argparse.ArgumentParser(description="Kubernetes API test server (pods only).")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--pods", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-ca")
    parser.add_argument("--forbidden-token")
    parser.add_argument("--serve-raw", action="store_true")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    options = parser.parse_args()

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(options.cert, options.key)
    if options.client_ca:
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(options.client_ca)

    server = Server(("127.0.0.1", options.port), Handler)
    server.options = options
    server.resource_version = 1000
    # The handshake runs in the handler thread on first read, so a client that
    # stalls or fails the handshake never blocks the accept loop.
    server.socket = context.wrap_socket(server.socket, server_side=True,
                                        do_handshake_on_connect=False)

    # SIGTERM keeps its default action (exit at once): there is nothing to flush.
    # A parent may spawn us with signals blocked (Foundation's Process does);
    # blocked, SIGTERM would never stop us.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    if options.exit_on_stdin_eof:
        def watch_stdin():
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)
        threading.Thread(target=watch_stdin, daemon=True).start()

    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
