"""t5: Marathon's event bus against the real binary (SPEC section 5, Events).

- /v2/events is text/event-stream only: without that Accept header the answer
  is Marathon's 405; the first frame is event_stream_attached; app changes
  give api_post_event; a task that starts gives status_update_event
  TASK_RUNNING (after TASK_STAGING), and at that moment
  /v2/apps?embed=apps.tasks already lists the task as running (marathon-lb
  relies on that ordering).
- event_type= (repeated) filters a stream; the heartbeat is a CRLF every 10 s.
- /v2/eventSubscriptions: callbacks are POSTed to a tiny HTTP server in the
  test, retried after a failure, and the subscription survives a restart.
- A reader that never reads is disconnected, and the daemon stays responsive
  with bounded memory.
Every event and subscription body is checked against marathon_shapes.
"""

import http.server
import json
import re
import socket
import threading
import time

import pytest
import requests

from clusterd_harness import SANITIZED, TIMEOUT_SCALE, child_env, wait_until
import marathon_shapes as shapes

SSE = {"Accept": "text/event-stream"}


def cmd_app(app_id, instances=1, **extra):
    app = {"id": app_id, "cmd": "exec sleep 100000", "cpus": 0.05, "mem": 16,
           "instances": instances}
    app.update(extra)
    return app


class EventStream:
    """A /v2/events client on requests(stream=True) with bounded waits."""

    def __init__(self, cd, params=None, read_timeout=15):
        self.resp = requests.get(cd.url + "/v2/events", params=params, headers=SSE,
                                 stream=True, timeout=(5, read_timeout * TIMEOUT_SCALE))
        assert self.resp.status_code == 200, self.resp.text
        assert self.resp.headers["Content-Type"].startswith("text/event-stream")
        self.chunks = self.resp.iter_content(chunk_size=None)
        self.buf = ""
        self.name, self.data = None, []
        self.frames = []

    def _line(self, line):
        if line == "":
            if self.data:
                name, data = self.name or "message", json.loads("\n".join(self.data))
                assert data.get("eventType") == name, (name, data)
                shapes.check_event(data)
                self.frames.append(data)
            self.name, self.data = None, []
        elif not line.startswith(":"):
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                self.name = value
            elif field == "data":
                self.data.append(value)

    def _feed(self, text):
        self.buf += text
        while True:
            m = re.search(r"\r\n|\n|\r", self.buf)
            if m is None or (m.group() == "\r" and m.end() == len(self.buf)):
                return
            line, self.buf = self.buf[:m.start()], self.buf[m.end():]
            self._line(line)

    def next(self, timeout=30):
        """The next event (a dict); fails after timeout seconds."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while not self.frames:
            assert time.monotonic() < deadline, "no event within the timeout"
            self._feed(next(self.chunks).decode("utf-8"))
        return self.frames.pop(0)

    def wait_for(self, pred, timeout=60, what="event"):
        """Read until pred(event); return (that event, the events before it)."""
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        seen = []
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {what} within {timeout}s; saw {[e['eventType'] for e in seen]}"
            ev = self.next(left / TIMEOUT_SCALE)
            if pred(ev):
                return ev, seen
            seen.append(ev)

    def close(self):
        self.resp.close()


@pytest.fixture
def streams():
    opened = []
    yield opened
    for s in opened:
        s.close()


def open_stream(cd, streams, params=None):
    s = EventStream(cd, params)
    streams.append(s)
    return s


def test_events_need_the_event_stream_accept_header(module_clusterd):
    cd = module_clusterd
    for headers in ({}, {"Accept": "application/json"}, {"Accept": "*/*"}):
        r = cd.get("/v2/events", headers=headers, timeout=10)
        assert r.status_code == 405, (headers, r.status_code, r.text)
        shapes.check_error(r.json())
    # the daemon still answers
    assert cd.get("/ping").text.strip() == "pong"


def test_attach_api_post_and_running_status(module_clusterd, streams):
    cd = module_clusterd
    s = open_stream(cd, streams)
    first = s.next(timeout=10)
    assert first["eventType"] == "event_stream_attached", first
    assert first["remoteAddress"] == "127.0.0.1"

    r = cd.post("/v2/apps", json=cmd_app("ev-run"))
    assert r.status_code == 201, r.text
    post, _ = s.wait_for(lambda e: e["eventType"] == "api_post_event", timeout=10,
                         what="api_post_event")
    assert post["appDefinition"]["id"] == "/ev-run"
    assert post["appDefinition"]["cmd"] == "exec sleep 100000"
    assert post["uri"] == "/v2/apps"
    assert post["clientIp"] == "127.0.0.1"

    def running(e):
        return (e["eventType"] == "status_update_event" and e["appId"] == "/ev-run"
                and e["taskStatus"] == "TASK_RUNNING")

    ev, seen = s.wait_for(running, timeout=60, what="status_update_event TASK_RUNNING")
    # the launch was reported first, as TASK_STAGING
    assert [e for e in seen if e["eventType"] == "status_update_event"
            and e["taskId"] == ev["taskId"] and e["taskStatus"] == "TASK_STAGING"], seen
    # The state the event reports is already visible through the API.
    apps = cd.get("/v2/apps", params={"embed": "apps.tasks"}).json()["apps"]
    tasks = {t["id"]: t for a in apps if a["id"] == "/ev-run" for t in a["tasks"]}
    assert ev["taskId"] in tasks, (ev, tasks)
    task = tasks[ev["taskId"]]
    assert task["state"] == "TASK_RUNNING", task
    assert ev["host"] == task["host"] and ev["slaveId"] == task["slaveId"]
    assert ev["ports"] == task["ports"] and ev["version"] == task["version"]

    # an update through PUT is an api_post_event too, with the request's uri
    r = cd.put("/v2/apps/ev-run", params={"force": "true"}, json={"instances": 0})
    assert 200 <= r.status_code < 300, r.text
    post, _ = s.wait_for(lambda e: e["eventType"] == "api_post_event", timeout=10,
                         what="api_post_event for the PUT")
    assert post["uri"] == "/v2/apps/ev-run"
    assert post["appDefinition"]["instances"] == 0
    # the killed task is reported once it is gone from the API
    ev, _ = s.wait_for(lambda e: e["eventType"] == "status_update_event"
                       and e["taskId"] == task["id"] and e["taskStatus"] == "TASK_KILLED",
                       timeout=60, what="status_update_event TASK_KILLED")
    assert all(t["id"] != task["id"] for t in cd.tasks("/ev-run"))
    assert cd.delete("/v2/apps/ev-run", params={"force": "true"}).status_code < 300


def test_event_type_filter(module_clusterd, streams):
    cd = module_clusterd
    only = open_stream(cd, streams, params={"event_type": ["api_post_event",
                                                           "subscribe_event"]})
    everything = open_stream(cd, streams)
    assert everything.next(timeout=10)["eventType"] == "event_stream_attached"

    r = cd.post("/v2/apps", json=cmd_app("ev-filter", instances=0))
    assert r.status_code == 201, r.text
    url = "http://127.0.0.1:9/unreachable"
    r = cd.post("/v2/eventSubscriptions", params={"callbackUrl": url})
    assert r.status_code == 200, r.text
    r = cd.delete("/v2/eventSubscriptions", params={"callbackUrl": url})
    assert r.status_code == 200, r.text
    # a marker the filtered stream should see last
    r = cd.put("/v2/apps/ev-filter", params={"force": "true"}, json={"instances": 0,
                                                                   "cmd": "sleep 2"})
    assert 200 <= r.status_code < 300, r.text

    got = [only.next(timeout=10) for _ in range(3)]
    assert [e["eventType"] for e in got] == ["api_post_event", "subscribe_event",
                                             "api_post_event"], got
    assert got[2]["appDefinition"]["cmd"] == "sleep 2"
    # the unfiltered stream saw the unsubscribe_event the filter held back
    _, seen = everything.wait_for(lambda e: e["eventType"] == "api_post_event"
                                  and e["appDefinition"]["cmd"] == "sleep 2", timeout=10)
    assert "unsubscribe_event" in [e["eventType"] for e in seen]
    assert cd.delete("/v2/apps/ev-filter", params={"force": "true"}).status_code < 300


def test_heartbeat_every_ten_seconds(module_clusterd):
    """A stream that filters out everything still gets Marathon's (Jetty's)
    heartbeat, a bare CRLF, 10 s after it attached."""
    cd = module_clusterd
    sock = socket.create_connection(("127.0.0.1", cd.ports["http"]), timeout=5)
    try:
        sock.sendall(b"GET /v2/events?event_type=none HTTP/1.1\r\nHost: x\r\n"
                     b"Accept: text/event-stream\r\n\r\n")
        sock.settimeout(15 * TIMEOUT_SCALE)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            assert chunk, data
            data += chunk
        t0 = time.monotonic()
        head, _, body = data.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200"), head
        assert b"text/event-stream" in head.lower()
        # the heartbeat travels as one chunk: "2\r\n" "\r\n" "\r\n"
        while b"2\r\n\r\n\r\n" not in body:
            chunk = sock.recv(4096)
            assert chunk, f"the stream ended: {body!r}"
            body += chunk
        waited = time.monotonic() - t0
        assert body == b"2\r\n\r\n\r\n", body  # nothing else: no event
        assert 9 <= waited <= 12 * TIMEOUT_SCALE, waited
    finally:
        sock.close()


class CallbackServer:
    """A tiny HTTP server that records POSTed events; fails the first N."""

    def __init__(self, fail_first=0):
        self.events = []
        self.attempts = 0
        self.fail_first = fail_first
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with outer.lock:
                    outer.attempts += 1
                    fail = outer.attempts <= outer.fail_first
                    if not fail:
                        outer.events.append((self.headers.get("Content-Type"),
                                             json.loads(body)))
                self.send_response(503 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/callback?x=1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def types(self):
        with self.lock:
            return [e["eventType"] for _, e in self.events]

    def find(self, pred):
        with self.lock:
            return [e for _, e in self.events if pred(e)]

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_subscriptions_deliver_retry_and_persist(clusterd):
    cd = clusterd
    cb = CallbackServer(fail_first=1)
    try:
        r = cd.get("/v2/eventSubscriptions")
        assert r.status_code == 200 and r.json() == {"callbackUrls": []}, r.text

        r = cd.post("/v2/eventSubscriptions", params={"callbackUrl": cb.url})
        assert r.status_code == 200, r.text
        body = shapes.check_subscription_change(r.json())
        assert body["eventType"] == "subscribe_event" and body["callbackUrl"] == cb.url
        assert body["clientIp"] == "127.0.0.1"
        # subscribing twice keeps one entry
        assert cd.post("/v2/eventSubscriptions", params={"callbackUrl": cb.url}).ok
        r = cd.get("/v2/eventSubscriptions")
        assert shapes.check_event_subscriptions(r.json()) == {"callbackUrls": [cb.url]}

        # the first POST failed (503) and was retried
        wait_until(lambda: "subscribe_event" in cb.types(), timeout=10,
                   what="subscribe_event delivered after a retry")
        assert cb.attempts >= 2
        with cb.lock:
            ctype, first = cb.events[0]
        assert ctype.startswith("application/json")
        shapes.check_event(first)

        assert cd.post("/v2/apps", json=cmd_app("ev-cb", instances=0)).status_code == 201
        wait_until(lambda: cb.find(lambda e: e["eventType"] == "api_post_event"
                                   and e["appDefinition"]["id"] == "/ev-cb"),
                   timeout=10, what="api_post_event delivered")
        for e in cb.find(lambda e: True):
            shapes.check_event(e)

        # persisted: the subscription survives a restart and still delivers
        cd.restart()
        r = cd.get("/v2/eventSubscriptions")
        assert r.json() == {"callbackUrls": [cb.url]}, r.text
        assert cd.post("/v2/apps", json=cmd_app("ev-cb2", instances=0)).status_code == 201
        wait_until(lambda: cb.find(lambda e: e["eventType"] == "api_post_event"
                                   and e["appDefinition"]["id"] == "/ev-cb2"),
                   timeout=10, what="api_post_event delivered after the restart")

        r = cd.delete("/v2/eventSubscriptions", params={"callbackUrl": cb.url})
        assert r.status_code == 200, r.text
        body = shapes.check_subscription_change(r.json())
        assert body["eventType"] == "unsubscribe_event" and body["callbackUrl"] == cb.url
        assert cd.get("/v2/eventSubscriptions").json() == {"callbackUrls": []}
        cd.restart()
        assert cd.get("/v2/eventSubscriptions").json() == {"callbackUrls": []}
        n = len(cb.types())
        assert cd.post("/v2/apps", json=cmd_app("ev-cb3", instances=0)).status_code == 201
        time.sleep(1)
        assert len(cb.types()) == n, "an unsubscribed callback still gets events"

        # bad input
        r = cd.post("/v2/eventSubscriptions")
        assert r.status_code == 400, r.text
        shapes.check_error(r.json())
        r = cd.post("/v2/eventSubscriptions", params={"callbackUrl": "ftp://x/y"})
        assert r.status_code == 422, r.text
        shapes.check_error(r.json())
    finally:
        cb.close()


def vm_rss_kib(pid):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_slow_reader_is_disconnected(start_clusterd, streams):
    env = None
    if SANITIZED:
        # ASan's quarantine holds up to 256 MB of freed memory: keep it
        # small so that VmRSS measures what the daemon keeps.
        env = {"ASAN_OPTIONS": child_env()["ASAN_OPTIONS"] + ":quarantine_size_mb=16"}
    cd = start_clusterd(env=env)
    pid = cd.proc.pid
    # A reader that never reads, with a tiny receive window.
    slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.settimeout(10)
    slow.connect(("127.0.0.1", cd.ports["http"]))
    slow.sendall(b"GET /v2/events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
    # and one that keeps up
    fast = open_stream(cd, streams, params={"event_type": "api_post_event"})
    time.sleep(0.5)
    rss0 = vm_rss_kib(pid)

    # ~60 api_post_events of ~200 KB each: 12 MB, far past the 1 MiB bound
    app = cmd_app("ev-big", instances=0,
                  env={f"VAR_{i}": "x" * 1000 for i in range(200)})
    n = 60
    for i in range(n):
        app["env"]["N"] = str(i)
        t0 = time.monotonic()
        r = cd.put("/v2/apps/ev-big", params={"force": "true"}, json=app)
        assert 200 <= r.status_code < 300, r.text
        assert time.monotonic() - t0 < 5 * TIMEOUT_SCALE, "the daemon stalled"
        ev = fast.next(timeout=10)
        assert ev["appDefinition"]["env"]["N"] == str(i)

    wait_until(lambda: "disconnecting the slow reader" in cd.log_text(), timeout=10,
               what="the slow-reader warning in the log")
    rss1 = vm_rss_kib(pid)
    assert rss1 - rss0 < 64 * 1024, f"VmRSS grew from {rss0} to {rss1} KiB"

    # The slow reader's stream was ended: draining it reaches EOF, well
    # short of everything that was published.
    total, deadline = 0, time.monotonic() + 30 * TIMEOUT_SCALE
    while time.monotonic() < deadline:
        chunk = slow.recv(1 << 16)
        if not chunk:
            break
        total += len(chunk)
    else:
        raise AssertionError("the slow reader was not disconnected")
    slow.close()
    assert total < n * 200 * 1000, total

    # still responsive, and the good reader still gets events
    assert cd.get("/ping", timeout=5).text.strip() == "pong"
    r = cd.put("/v2/apps/ev-big", params={"force": "true"}, json={"instances": 0, "env": {}})
    assert 200 <= r.status_code < 300, r.text
    assert fast.next(timeout=10)["appDefinition"]["env"] == {}
