"""A fault-injecting proxy in front of a real dockerd's unix socket.

For what the real daemon cannot be made to do on cue (STYLE B27 tier 2):
- hang:  a request is read and never answered (an image pull that hangs);
- fail:  a request is answered with a status and Marathon-free Docker
         error body {"message": ...} without reaching the daemon;
- hold:  a request waits until the test releases it, then goes on to the
         daemon (a launch kept in flight while the daemon is stopped).
Everything else is passed through to the daemon unchanged.

One request per connection: the proxy reads a request head and its body
(Content-Length), applies the first rule whose method and path pattern
match, and otherwise forwards the request with "Connection: close" and
streams the answer back (follow-mode logs, long-poll waits and pull
progress included) with "Connection: close" added, so that every request
meets the rules. When the daemon cannot be reached, the client's
connection is closed without an answer, as a dying daemon's would be.
"""

import os
import re
import socket
import socketserver
import threading


class Rule:
    def __init__(self, method, path_re, action, status=500, message="injected", limit=None):
        self.method = method
        self.path_re = re.compile(path_re)
        self.action = action  # "hang", "fail" or "hold"
        self.status = status
        self.message = message
        self.limit = limit  # how many requests it applies to (None: all)
        self.hits = 0

    def matches(self, method, path):
        if self.limit is not None and self.hits >= self.limit:
            return False
        return method == self.method and self.path_re.search(path) is not None


class _Handler(socketserver.BaseRequestHandler):
    def handle(self):
        proxy = self.server.proxy
        conn = self.request
        head, body = _read_request(conn)
        if head is None:
            return
        lines = head.split(b"\r\n")
        try:
            method, path, _ = lines[0].decode("latin-1").split(" ", 2)
        except ValueError:
            return
        rule = proxy.match(method, path)
        action = rule.action if rule else "pass"
        proxy.log.append((method, path, action))
        if action == "hang":
            proxy.hung.append((method, path))
            proxy.stopping.wait()
            return
        if action == "fail":
            payload = ('{"message":"%s"}' % rule.message).encode()
            conn.sendall(b"HTTP/1.1 %d Injected\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                         % (rule.status, len(payload)) + payload)
            return
        if action == "hold":
            ev = threading.Event()
            proxy.held.append((method, path, ev))
            ev.wait()
            if proxy.stopping.is_set():
                return
        _forward(proxy.upstream, lines, body, conn)


def _read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None, None
        rest += chunk
    return head, rest


def _forward(upstream, lines, body, conn):
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        up.connect(upstream)
    except OSError:
        up.close()
        return  # the daemon is away: close without an answer
    try:
        hdrs = [l for l in lines[1:] if not l.lower().startswith(b"connection:")]
        up.sendall(b"\r\n".join([lines[0]] + hdrs + [b"Connection: close", b"", b""]) + body)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = up.recv(65536)
            if not chunk:
                return
            data += chunk
        rhead, rest = data.split(b"\r\n\r\n", 1)
        rlines = [l for l in rhead.split(b"\r\n") if not l.lower().startswith(b"connection:")]
        conn.sendall(b"\r\n".join(rlines + [b"Connection: close", b"", b""]) + rest)
        while True:
            chunk = up.recv(65536)
            if not chunk:
                break
            conn.sendall(chunk)
    except OSError:
        pass
    finally:
        up.close()


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False  # hung requests end with the proxy, unjoined
    allow_reuse_address = True


class DockerProxy:
    """proxy = DockerProxy(real_sock, path); proxy.start(); ...; proxy.stop()"""

    def __init__(self, upstream, path):
        self.upstream = upstream
        self.path = path
        self.rules = []
        self.log = []
        self.hung = []
        self.held = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = None
        self._thread = None

    def match(self, method, path):
        with self._lock:
            for rule in self.rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    return rule
        return None

    def add(self, rule):
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self):
        with self._lock:
            self.rules = []

    def release(self):
        """Let every held request go on to the daemon."""
        for _, _, ev in list(self.held):
            ev.set()
        self.held = []

    def start(self):
        if os.path.exists(self.path):
            os.unlink(self.path)
        self._server = _Server(self.path, _Handler)
        self._server.proxy = self
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        self.stopping.set()
        self.release()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if os.path.exists(self.path):
            os.unlink(self.path)
