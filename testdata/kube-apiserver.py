#!/usr/bin/env python3
"""A tiny Kubernetes API server for tests: pods (list, get) and pods/exec, over TLS.

Usage:
  kube-apiserver.py --cert SERVER.crt --key SERVER.key --token TOKEN --pods FILE
                    [--port 0] [--client-ca CA.crt] [--forbidden-token TOKEN]
                    [--forbidden-exec-token TOKEN] [--exec-config FILE]
                    [--serve-raw] [--exit-on-stdin-eof]

  --cert, --key      PEM server certificate (with an IP SAN 127.0.0.1) and key.
  --token TOKEN      the bearer token that may do everything below.
  --pods FILE        a PodList JSON ({"items": [...]}) or a JSON array of pods.
                     Re-read on every request, so a test may rewrite it between
                     requests (write a temp file and rename it over FILE).
  --port N           TCP port on 127.0.0.1; 0 (default) picks a free one.
  --client-ca FILE   also accept a client certificate signed by this CA as
                     credentials (like kube-apiserver --client-ca-file).
  --forbidden-token  a token that authenticates but may not read pods (-> 403).
  --forbidden-exec-token
                     a token that may get and list pods but not exec (-> 403),
                     as a user without RBAC on pods/exec.
  --exec-config FILE what "exec" runs, per pod, as a kubelet would run it in
                     the pod's container (re-read on every exec):
                       {"NAMESPACE/POD": {"commands": {"tailtrace": "/abs/path"},
                                          "environment": {"KEY": "VALUE"}}}
                     command[0] of an exec is looked up in "commands" (the
                     container's PATH); anything else is "not found in $PATH".
                     The process gets only "environment" and a PATH, cwd /.
  --serve-raw        send FILE byte for byte as the 200 answer of
                     GET /api/v1/pods, without parsing or filtering (to test
                     clients against malformed bodies).
  --exit-on-stdin-eof  exit when stdin reaches end of file: a test that keeps
                     a pipe to our stdin open takes us down even when it crashes
                     before it could kill us.

Stdout: the first line is the chosen port number, flushed as soon as the
server listens; nothing else is printed there. Requests are logged to stderr.
Stop it with SIGTERM (immediate) or SIGINT; an exec's process is ended with
its connection.

Answers, shaped like kube-apiserver's:
  GET /version, /api, /api/v1, /apis
      discovery, as kubectl needs it for `kubectl get pods` (legacy, not
      aggregated: Content-Type application/json tells client-go so).
  GET /api/v1/pods[?labelSelector=..][&fieldSelector=..]
  GET /api/v1/namespaces/NS/pods[?labelSelector=..][&fieldSelector=..]
      200 {"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":..},
           "items":[pods of FILE that match]}
      labelSelector: equality terms only (k=v, k==v, k!=v, k, !k), comma-separated;
      fieldSelector: spec.nodeName, metadata.name, metadata.namespace, status.phase
      (= or ==); other query parameters (resourceVersion, limit, ...) are ignored.
  GET /api/v1/namespaces/NS/pods/NAME
      200 the pod (with kind and apiVersion), 404 Status NotFound
  GET /api/v1/namespaces/NS
      200 a Namespace when a pod of FILE is in NS (or NS is default), else
      404 Status NotFound (kubectl asks after a pod was not found)
  GET /api/v1/namespaces/NS/pods/NAME/exec?command=..&command=..&container=C
      &stdout=true&stderr=true   with Upgrade: websocket
      101 with Sec-WebSocket-Protocol v5.channel.k8s.io (or v4, whichever the
      client offers, v5 first), then binary messages whose first byte is the
      channel: 1 stdout, 2 stderr as the process writes them, then one on 3
      with a Status: {"metadata":{},"status":"Success"} when it exited 0, else
      status Failure, reason NonZeroExitCode and details.causes
      [{"reason":"ExitCode","message":"N"}] (128+signal when killed), then a
      close frame 1000. Pings are answered; client messages (stdin 0, resize 4,
      v5's stream close 255) are read and ignored: no stdin here. A client that
      goes away ends the process (SIGTERM, SIGKILL after 5 s).
      Not a websocket request (SPDY, POST)  -> 400 Status BadRequest
      no container C in the pod             -> 400 Status BadRequest
      no exec config for the pod            -> 500 Status InternalError
  unsupported selector        -> 400 Status BadRequest
  missing or wrong token      -> 401 Status Unauthorized (before any routing)
  --forbidden-token           -> 403 Status Forbidden for every pods request
  --forbidden-exec-token      -> 403 Status Forbidden for exec (GET and POST:
                                 kubectl retries a refused websocket with SPDY)
  any other path              -> 404 "404 page not found" (text/plain)
  any other method            -> 405 Status MethodNotAllowed
"""

import argparse
import base64
import hashlib
import json
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# RFC 6455 1.3: the key the client sent plus this GUID, SHA-1, base64.
WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# k8s.io/apimachinery/pkg/util/remotecommand: the protocols we speak, best first.
EXEC_PROTOCOLS = ("v5.channel.k8s.io", "v4.channel.k8s.io")
STDOUT, STDERR, ERROR = 1, 2, 3
# A client message larger than this is no exec client's: drop the connection.
MAX_CLIENT_FRAME = 1 << 20


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


def parse_label_selector(text):
    """[(key, op, value)] for equality terms; raises ValueError otherwise."""
    terms = []
    for term in filter(None, (t.strip() for t in text.split(","))):
        if "(" in term or " in " in term or " notin " in term:
            raise ValueError("set-based requirement %r is not supported by this test server" % term)
        if "!=" in term:
            key, _, value = term.partition("!=")
            terms.append((key.strip(), "!=", value.strip()))
        elif "==" in term:
            key, _, value = term.partition("==")
            terms.append((key.strip(), "=", value.strip()))
        elif "=" in term:
            key, _, value = term.partition("=")
            terms.append((key.strip(), "=", value.strip()))
        elif term.startswith("!"):
            terms.append((term[1:].strip(), "!", None))
        else:
            terms.append((term, "exists", None))
    return terms


def labels_match(pod, terms):
    labels = (pod.get("metadata") or {}).get("labels") or {}
    for key, op, value in terms:
        if op == "=" and labels.get(key) != value:
            return False
        if op == "!=" and labels.get(key) == value:
            return False
        if op == "!" and key in labels:
            return False
        if op == "exists" and key not in labels:
            return False
    return True


FIELDS = {
    "spec.nodeName": lambda p: (p.get("spec") or {}).get("nodeName"),
    "metadata.name": lambda p: (p.get("metadata") or {}).get("name"),
    "metadata.namespace": lambda p: (p.get("metadata") or {}).get("namespace"),
    "status.phase": lambda p: (p.get("status") or {}).get("phase"),
}


def parse_field_selector(text):
    """[(field getter, value)]; raises KeyError naming an unsupported field."""
    terms = []
    for term in filter(None, text.split(",")):
        field, _, value = term.partition("==") if "==" in term else term.partition("=")
        if field not in FIELDS:
            raise KeyError(field)
        terms.append((FIELDS[field], value))
    return terms


class WebSocket:
    """The server end of RFC 6455 on a connected (TLS) socket.

    Reads are non-blocking (the exec loop selects on the socket and the
    process's pipes in one thread, since one TLS connection is not safe to
    read and write from two); writes block, bounded by a timeout.
    """

    def __init__(self, sock):
        self.sock = sock
        self.inbound = bytearray()
        self.sock.setblocking(False)

    def send(self, opcode, payload):
        header = bytearray([0x80 | opcode])  # FIN, never fragmented
        n = len(payload)
        if n < 126:
            header.append(n)
        elif n < 1 << 16:
            header.append(126)
            header += n.to_bytes(2, "big")
        else:
            header.append(127)
            header += n.to_bytes(8, "big")
        self.sock.settimeout(60)
        try:
            self.sock.sendall(bytes(header) + payload)
        finally:
            self.sock.setblocking(False)

    def send_binary(self, channel, data):
        self.send(0x2, bytes([channel]) + data)

    def close(self, code=1000):
        self.send(0x8, code.to_bytes(2, "big"))

    def readable(self, timeout):
        # Decrypted bytes already buffered in the TLS layer are invisible to select.
        if self.sock.pending():
            return True
        return bool(select.select([self.sock], [], [], timeout)[0])

    def receive(self):
        """Handles what the client sent; False once it closed or went away."""
        while True:
            try:
                data = self.sock.recv(65536)
            except (ssl.SSLWantReadError, BlockingIOError):
                return True
            except OSError:
                return False
            if not data:
                return False
            self.inbound += data
            while True:
                frame = self.next_frame()
                if frame is None:
                    break
                opcode, payload = frame
                if opcode == 0x8:
                    return False
                if opcode == 0x9:
                    self.send(0xA, payload)
                # Data (stdin, resize, v5 stream close) and pongs: nothing to do.
            if len(self.inbound) > MAX_CLIENT_FRAME + 14:
                return False
            if not self.sock.pending():
                return True

    def next_frame(self):
        b = self.inbound
        if len(b) < 2:
            return None
        opcode = b[0] & 0x0F
        masked = b[1] & 0x80
        n = b[1] & 0x7F
        i = 2
        if n == 126:
            if len(b) < 4:
                return None
            n = int.from_bytes(b[2:4], "big")
            i = 4
        elif n == 127:
            if len(b) < 10:
                return None
            n = int.from_bytes(b[2:10], "big")
            i = 10
        if n > MAX_CLIENT_FRAME:
            raise ConnectionError("client frame of %d bytes" % n)
        mask = b""
        if masked:
            if len(b) < i + 4:
                return None
            mask = bytes(b[i:i + 4])
            i += 4
        if len(b) < i + n:
            return None
        payload = bytes(b[i:i + n])
        del b[:i + n]
        if masked:
            payload = bytes(x ^ mask[j % 4] for j, x in enumerate(payload))
        return opcode, payload


def end_process(process):
    """SIGTERM by pid, SIGKILL after 5 s, reaped."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class Handler(BaseHTTPRequestHandler):
    # Keep-alive like the real server; every answer carries Content-Length.
    protocol_version = "HTTP/1.1"
    server_version = "kube-apiserver-test"

    # Drop idle keep-alive connections and stalled handshakes.
    timeout = 30

    def setup(self):
        # Headers and body go out in separate writes: without TCP_NODELAY
        # (Go servers set it) Nagle holds the body for the client's delayed
        # ACK, ~40 ms per answer.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
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
        """(user name, role) of the request, or None if unauthenticated.

        Roles: "admin" may do everything, "reader" may get and list pods but
        not exec, "nobody" may read no pods. Like kube-apiserver, a bearer
        token is checked first; a wrong token is rejected even when a valid
        client certificate was presented.
        """
        options = self.server.options
        header = self.headers.get("Authorization", "")
        if header:
            token = header[len("Bearer "):].strip() if header.startswith("Bearer ") else None
            if token == options.token:
                return ("system:serviceaccount:tailtrace:tailtrace", "admin")
            if options.forbidden_token and token == options.forbidden_token:
                return ("system:serviceaccount:default:nobody", "nobody")
            if options.forbidden_exec_token and token == options.forbidden_exec_token:
                return ("system:serviceaccount:default:viewer", "reader")
            return None
        if options.client_ca:
            cert = self.connection.getpeercert()
            if cert:
                for rdn in cert.get("subject", ()):
                    for key, value in rdn:
                        if key == "commonName":
                            return (value, "admin")
                return ("client-certificate", "admin")
        return None

    def forbidden(self, user, verb, resource, namespace=None, name=None):
        scope = 'in the namespace "%s"' % namespace if namespace else "at the cluster scope"
        subject = '%s "%s"' % (resource.split("/")[0], name) if name else resource.split("/")[0]
        details = {"kind": resource.split("/")[0]}
        if name:
            details["name"] = name
        self.send(403, status_body(
            403, "Forbidden",
            '%s is forbidden: User "%s" cannot %s resource "%s" in API group "" %s'
            % (subject, user, verb, resource, scope),
            details))

    def not_found(self):
        self.send(404, b"404 page not found\n", "text/plain; charset=utf-8")

    def load_pods(self):
        """The pods of FILE, or None after answering 500."""
        options = self.server.options
        with open(options.pods, "rb") as f:
            raw = f.read()
        try:
            document = json.loads(raw)
        except ValueError as error:
            self.send(500, status_body(500, "InternalError", "cannot parse %s: %s" % (options.pods, error)))
            return None
        return document if isinstance(document, list) else document.get("items") or []

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def route(self, method):
        user = self.user()
        if user is None:
            self.send(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        parts = url.path.strip("/").split("/")
        name, role = user
        if method == "GET" and url.path in ("/version", "/api", "/api/v1", "/apis"):
            self.discovery(url.path)
            return
        if parts[:3] == ["api", "v1", "pods"] and len(parts) == 3:
            if method != "GET":
                return self.method_not_allowed()
            if role == "nobody":
                return self.forbidden(name, "list", "pods")
            self.list_pods(None, query)
            return
        if len(parts) == 4 and parts[:3] == ["api", "v1", "namespaces"] and method == "GET":
            self.get_namespace(parts[3])
            return
        if len(parts) >= 5 and parts[:3] == ["api", "v1", "namespaces"] and parts[4] == "pods":
            namespace = parts[3]
            if len(parts) == 5:
                if method != "GET":
                    return self.method_not_allowed()
                if role == "nobody":
                    return self.forbidden(name, "list", "pods", namespace)
                self.list_pods(namespace, query)
                return
            if len(parts) == 6:
                if method != "GET":
                    return self.method_not_allowed()
                if role == "nobody":
                    return self.forbidden(name, "get", "pods", namespace, parts[5])
                self.get_pod(namespace, parts[5])
                return
            if len(parts) == 7 and parts[6] == "exec":
                if role != "admin":
                    return self.forbidden(name, "create", "pods/exec", namespace, parts[5])
                self.exec_in_pod(namespace, parts[5], query)
                return
        if method != "GET":
            return self.method_not_allowed()
        self.not_found()

    def method_not_allowed(self):
        self.send(405, status_body(405, "MethodNotAllowed",
                                   "the server does not allow this method on the requested resource"))

    def discovery(self, path):
        if path == "/version":
            body = {"major": "1", "minor": "32", "gitVersion": "v1.32.0-tailtrace-test",
                    "platform": "linux/amd64"}
        elif path == "/api":
            body = {"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1:%d" % self.server.server_address[1]}]}
        elif path == "/apis":
            body = {"kind": "APIGroupList", "apiVersion": "v1", "groups": []}
        else:
            body = {"kind": "APIResourceList", "groupVersion": "v1", "resources": [
                {"name": "pods", "singularName": "pod", "namespaced": True, "kind": "Pod",
                 "verbs": ["get", "list"], "shortNames": ["po"], "categories": ["all"]},
                {"name": "pods/exec", "singularName": "", "namespaced": True, "kind": "PodExecOptions",
                 "verbs": ["create", "get"]},
                {"name": "namespaces", "singularName": "namespace", "namespaced": False, "kind": "Namespace",
                 "verbs": ["get"], "shortNames": ["ns"]},
            ]}
        self.send(200, body)

    def list_pods(self, namespace, query):
        try:
            labels = [t for s in query.get("labelSelector", []) for t in parse_label_selector(s)]
        except ValueError as error:
            self.send(400, status_body(400, "BadRequest", "unable to parse requirement: %s" % error))
            return
        try:
            fields = [t for s in query.get("fieldSelector", []) for t in parse_field_selector(s)]
        except KeyError as error:
            self.send(400, status_body(400, "BadRequest", "field label not supported: %s" % error.args[0]))
            return
        if self.server.options.serve_raw and namespace is None:
            with open(self.server.options.pods, "rb") as f:
                self.send(200, f.read())
            return
        items = self.load_pods()
        if items is None:
            return
        if namespace is not None:
            items = [p for p in items if (p.get("metadata") or {}).get("namespace") == namespace]
        items = [p for p in items if labels_match(p, labels) and all(get(p) == v for get, v in fields)]
        self.server.resource_version += 1
        self.send(200, {
            "kind": "PodList",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": str(self.server.resource_version)},
            "items": items,
        })

    def find_pod(self, namespace, name):
        """The pod, or None after answering (404 or 500)."""
        items = self.load_pods()
        if items is None:
            return None
        for pod in items:
            metadata = pod.get("metadata") or {}
            if metadata.get("namespace") == namespace and metadata.get("name") == name:
                return pod
        self.send(404, status_body(404, "NotFound", 'pods "%s" not found' % name, {"name": name, "kind": "pods"}))
        return None

    def get_namespace(self, namespace):
        items = self.load_pods()
        if items is None:
            return
        known = {(p.get("metadata") or {}).get("namespace") for p in items} | {"default"}
        if namespace in known:
            self.send(200, {"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": namespace},
                            "status": {"phase": "Active"}})
        else:
            self.send(404, status_body(404, "NotFound", 'namespaces "%s" not found' % namespace,
                                       {"name": namespace, "kind": "namespaces"}))

    def get_pod(self, namespace, name):
        pod = self.find_pod(namespace, name)
        if pod is not None:
            self.send(200, dict(pod, kind="Pod", apiVersion="v1"))

    def exec_in_pod(self, namespace, name, query):
        if self.command != "GET" or self.headers.get("Upgrade", "").lower() != "websocket":
            self.send(400, status_body(
                400, "BadRequest",
                "this test server speaks the WebSocket exec protocols (%s) only, not SPDY"
                % ", ".join(EXEC_PROTOCOLS)))
            return
        pod = self.find_pod(namespace, name)
        if pod is None:
            return
        containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        container = (query.get("container") or [None])[0] or (containers[0] if containers else None)
        if container not in containers:
            self.send(400, status_body(
                400, "BadRequest", "container %s is not valid for pod %s" % (container, name)))
            return
        config = {}
        if self.server.options.exec_config:
            with open(self.server.options.exec_config, "rb") as f:
                config = json.load(f).get("%s/%s" % (namespace, name)) or {}
        if not config:
            self.send(500, status_body(
                500, "InternalError", "no exec config for pod %s/%s in this test server" % (namespace, name)))
            return
        offered = [p.strip() for p in self.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        protocol = next((p for p in EXEC_PROTOCOLS if p in offered), None)
        key = self.headers.get("Sec-WebSocket-Key")
        if protocol is None or not key:
            self.send(400, status_body(
                400, "BadRequest", "no exec protocol in common: offered %s, spoken %s"
                % (", ".join(offered), ", ".join(EXEC_PROTOCOLS))))
            return
        accept = base64.b64encode(hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("Upgrade", "websocket")
        self.send_header("Connection", "Upgrade")
        self.send_header("Sec-WebSocket-Accept", accept)
        self.send_header("Sec-WebSocket-Protocol", protocol)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        # The client sends nothing before our 101, so nothing it sent is
        # left in rfile's buffer: from here on the socket is read directly.
        websocket = WebSocket(self.connection)
        command = query.get("command") or []
        wanted = {STDOUT: query.get("stdout") == ["true"], STDERR: query.get("stderr") == ["true"]}
        try:
            self.run_command(websocket, command, config, wanted)
        except (OSError, ConnectionError) as error:
            sys.stderr.write("kube-apiserver.py: exec in %s/%s: %s\n" % (namespace, name, error))

    def run_command(self, websocket, command, config, wanted):
        executable = (config.get("commands") or {}).get(command[0]) if command else None
        if executable is None:
            message = ('Internal error occurred: error executing command in container: failed to exec in '
                       'container: OCI runtime exec failed: exec failed: unable to start container process: '
                       'exec: "%s": executable file not found in $PATH: unknown' % (command[0] if command else ""))
            websocket.send_binary(ERROR, json.dumps(status_body(500, "InternalError", message)).encode())
            websocket.close()
            return
        environment = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
        environment.update(config.get("environment") or {})
        process = subprocess.Popen(
            command, executable=executable, env=environment, cwd="/", stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if wanted[STDOUT] else subprocess.DEVNULL,
            stderr=subprocess.PIPE if wanted[STDERR] else subprocess.DEVNULL)
        pipes = {}
        if process.stdout:
            pipes[process.stdout.fileno()] = STDOUT
        if process.stderr:
            pipes[process.stderr.fileno()] = STDERR
        try:
            while pipes:
                if websocket.sock.pending():
                    ready = [websocket.sock]
                else:
                    ready = select.select([websocket.sock] + list(pipes), [], [], 1.0)[0]
                for source in ready:
                    if source is websocket.sock:
                        if not websocket.receive():
                            sys.stderr.write("kube-apiserver.py: exec client went away: ending %s\n" % command)
                            return
                        continue
                    data = os.read(source, 65536)
                    if data:
                        websocket.send_binary(pipes[source], data)
                    else:
                        del pipes[source]
            code = process.wait()
        finally:
            end_process(process)
            for pipe in (process.stdout, process.stderr):
                if pipe:
                    pipe.close()
        if code < 0:
            code = 128 - code
        if code == 0:
            result = {"metadata": {}, "status": "Success"}
        else:
            result = {
                "metadata": {}, "status": "Failure",
                "message": "command terminated with non-zero exit code: error executing command %s, exit code %d"
                           % (json.dumps(command), code),
                "reason": "NonZeroExitCode",
                "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
            }
        sys.stderr.write("kube-apiserver.py: exec %s exited %d\n" % (command, code))
        websocket.send_binary(ERROR, json.dumps(result).encode())
        websocket.close()
        # Wait (briefly) for the client's close, so it reads everything first.
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and websocket.readable(deadline - time.monotonic()):
            if not websocket.receive():
                break

    def do_other(self):
        if self.user() is None:
            self.send(401, status_body(401, "Unauthorized", "Unauthorized"))
            return
        self.method_not_allowed()

    do_PUT = do_PATCH = do_DELETE = do_other


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that rejects our certificate aborts the handshake: expected
        # in tests, so one line instead of a traceback.
        sys.stderr.write("kube-apiserver.py: %s: %s\n" % (client_address, sys.exc_info()[1]))


def main():
    parser = argparse.ArgumentParser(description="Kubernetes API test server (pods and pods/exec).")
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--pods", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-ca")
    parser.add_argument("--forbidden-token")
    parser.add_argument("--forbidden-exec-token")
    parser.add_argument("--exec-config")
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
