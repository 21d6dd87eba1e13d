"""t5: what a stranger on the network can do to the three HTTP ports (SPEC
section 11, issue 10), each check one an attacker tried against the old server.

- --http_credentials covers the API, master and agent ports, except /ping,
  /master/health (and its alias /health) on the master port, /health on the
  agent port, and the agent protocol under /internal/, which the agent secret
  guards instead: a message without it is refused with 401 before its body is
  read, on the agent and on the master.
- A body sent with HEAD or GET is read and dropped, never run as the next
  request on the connection (it deleted an app before).
- Every error the server makes itself carries Marathon's JSON body.
- A request must arrive whole within --request_timeout of its first byte; an
  idle keep-alive connection is closed after --idle_timeout.
- Beyond --max_connections a connection gets 503, beyond --max_event_streams an
  event stream gets 503, both with Marathon's body; a refused stream is never
  attached, and the streams already open keep working.
- accept() failing with EMFILE pauses accepting instead of spinning, logs once
  per interval, and the server serves again once descriptors are free.
"""

import json
import os
import socket
import subprocess
import time

import pytest
import requests

from clusterd_harness import wait_until
from test_t5_events import SSE, EventStream

CRED = ("admin", "s3cret pw")
HEADERS = {"Content-Type": "application/json"}


def marathon_error(body, code=None):
    """The parsed body, checked to be {"message": str, "details": list}."""
    obj = json.loads(body)
    assert isinstance(obj.get("message"), str) and obj["message"], body
    assert isinstance(obj.get("details"), list), body
    return obj


def raw(port, data, timeout=10, read_until_close=True):
    """Send bytes on a new connection; return everything read until the
    server closes (or until timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                c = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not c:
                break
            chunks.append(c)
            if not read_until_close:
                break
        return b"".join(chunks)


def split_response(data):
    """(status, headers dict lowercased, body bytes) of the first response."""
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    hdrs = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    n = int(hdrs.get("content-length", "0"))
    return status, hdrs, rest[:n], rest[n:]


# -- credentials on every port -------------------------------------------------


def test_credentials_cover_all_three_ports(start_clusterd):
    cd = start_clusterd(f"--http_credentials={CRED[0]}:{CRED[1]}")
    closed = [(cd.url, "/v2/apps"), (cd.url, "/v2/info"), (cd.url, "/metrics"),
              (cd.master_url, "/master/state"), (cd.master_url, "/master/tasks"),
              (cd.master_url, "/master/slaves"), (cd.master_url, "/state"),
              (cd.master_url, "/metrics/snapshot"),
              (cd.agent_url, "/state"), (cd.agent_url, "/slave(1)/state")]
    for base, path in closed:
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 401, (base, path, r.status_code, r.text)
        marathon_error(r.text)
        assert r.headers.get("WWW-Authenticate", "").startswith("Basic"), r.headers
        r = requests.get(base + path, auth=("admin", "wrong"), timeout=10)
        assert r.status_code == 401, (base, path, r.text)
        r = requests.get(base + path, auth=CRED, timeout=10)
        assert r.status_code == 200, (base, path, r.status_code, r.text)
    # exactly the documented exemptions
    for base, path in [(cd.url, "/ping"), (cd.master_url, "/master/health"),
                       (cd.master_url, "/health"), (cd.agent_url, "/health")]:
        r = requests.get(base + path, timeout=10)
        assert r.status_code == 200, (base, path, r.status_code, r.text)


def test_task_runs_with_credentials(start_clusterd):
    """The agent protocol is not behind the credentials: agent and master still
    work together, and the API works with them."""
    cd = start_clusterd(f"--http_credentials={CRED[0]}:{CRED[1]}")
    cd.session.auth = CRED
    r = cd.post("/v2/apps", json={"id": "withcred", "cmd": "sleep 100000", "cpus": 0.1,
                                  "mem": 32, "instances": 1})
    assert r.status_code == 201, r.text
    cd.wait_running("/withcred", 1, timeout=60)


def test_agent_secret_checked_first(start_clusterd):
    cd = start_clusterd("--agent_secret=guard-me")
    cd.post("/v2/apps", json={"id": "guarded", "cmd": "sleep 100000", "cpus": 0.1, "mem": 32,
                              "instances": 1})
    cd.wait_running("/guarded", 1, timeout=60)  # agent and master pass the guard
    targets = [(cd.agent_url, "/internal/run_task"), (cd.agent_url, "/internal/kill_task"),
               (cd.agent_url, "/internal/ping"), (cd.master_url, "/internal/register"),
               (cd.master_url, "/internal/status")]
    for base, path in targets:
        for hdrs in ({}, {"Clusterd-Agent-Secret": "guard-mf"},
                     {"Clusterd-Agent-Secret": "guard-me-too"}):
            # whatever the body: garbage, or a well-formed message with the secret
            for body in (b"{not json", json.dumps({"protocol": 1, "secret": "guard-me"}).encode()):
                r = requests.post(base + path, data=body, headers=hdrs, timeout=10)
                assert r.status_code == 401, (path, hdrs, r.status_code, r.text)
                marathon_error(r.text)
    assert "missing or wrong agent secret" in cd.log_text()
    assert len(cd.running_tasks("/guarded")) == 1


# -- a body on HEAD or GET ------------------------------------------------------


@pytest.mark.parametrize("method", ["HEAD", "GET"])
def test_body_on_head_or_get_is_not_a_request(module_clusterd, method):
    cd = module_clusterd
    app_id = f"keep-{method.lower()}"
    r = cd.post("/v2/apps", json={"id": app_id, "cmd": "sleep 1000", "instances": 0})
    assert r.status_code == 201, r.text
    inner = f"DELETE /v2/apps/{app_id} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    req = (f"{method} /v2/apps HTTP/1.1\r\nHost: x\r\nContent-Length: {len(inner)}\r\n\r\n"
           .encode() + inner)
    follow = b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data = raw(cd.ports["http"], req + follow)
    status, hdrs, body, rest = split_response(data)
    assert status == 200, data
    if method == "HEAD":
        assert int(hdrs["content-length"]) > 0
        rest = data.partition(b"\r\n\r\n")[2]  # no body follows a HEAD answer
    # the one answer after it is the /ping, not a DELETE
    status2, _, body2, _ = split_response(rest)
    assert (status2, body2.strip()) == (200, b"pong"), data
    r = cd.get(f"/v2/apps/{app_id}")
    assert r.status_code == 200, f"the body of {method} deleted the app: {r.text}"


# -- errors the server makes itself --------------------------------------------


@pytest.mark.parametrize("name, data, code", [
    ("unknown method", b"BREW /v2/apps HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    ("malformed request line", b"GARBAGE\r\n\r\n", 400),
    ("bare LF", b"GET /ping HTTP/1.1\nHost: x\n\n", 400),
    ("space before colon", b"GET /ping HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("two lengths", b"POST /v2/apps HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
     400),
    ("length and chunked", b"POST /v2/apps HTTP/1.1\r\nContent-Length: 2\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
    ("body too large", b"POST /v2/apps HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n{",
     413),
    ("headers too large", b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20000 + b"\r\n\r\n",
     431),
    ("not HTTP/1", b"GET /ping HTTP/2.0\r\n\r\n", 505),
    ("bad chunk", b"POST /v2/apps HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
])
def test_server_errors_are_marathon_json(module_clusterd, name, data, code):
    reply = raw(module_clusterd.ports["http"], data)
    assert reply.startswith(b"HTTP/1.1 "), (name, reply)
    status, hdrs, body, _ = split_response(reply)
    assert status == code, (name, reply)
    assert hdrs.get("content-type") == "application/json", (name, reply)
    marathon_error(body)
    assert module_clusterd.get("/ping").text.strip() == "pong"


def test_chunked_body_accepted(module_clusterd):
    body = json.dumps({"id": "chunky", "cmd": "sleep 1000", "instances": 0}).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7])
                      for i in range(0, len(body), 7))
    req = (b"POST /v2/apps HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n" + chunks + b"0\r\n\r\n")
    status, _, out, _ = split_response(raw(module_clusterd.ports["http"], req))
    assert status == 201, out
    assert module_clusterd.get("/v2/apps/chunky").status_code == 200


# -- slow and idle connections ---------------------------------------------------


def test_slowloris_cut_off(start_clusterd):
    """One byte every half second never completes a head: the connection gets
    408 and is closed once --request_timeout has passed since its first byte,
    although it never stops sending."""
    cd = start_clusterd("--request_timeout=2secs")
    s = socket.create_connection(("127.0.0.1", cd.ports["http"]), timeout=30)
    s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n")
    got = b""
    deadline = time.monotonic() + 30
    s.settimeout(0.5)
    try:
        while time.monotonic() < deadline:
            try:
                s.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                break
            try:
                c = s.recv(4096)
                if not c:
                    break
                got += c
            except socket.timeout:
                continue
            except ConnectionResetError:
                break
    finally:
        s.close()
    assert time.monotonic() < deadline, "the trickling connection was never cut off"
    if got:  # the 408 arrives unless the reset beat it
        status, _, body, _ = split_response(got)
        assert status == 408, got
        marathon_error(body)
    assert cd.get("/ping").text.strip() == "pong"


def test_idle_keep_alive_closed(start_clusterd):
    cd = start_clusterd("--idle_timeout=2secs")
    s = socket.create_connection(("127.0.0.1", cd.ports["http"]), timeout=30)
    try:
        s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        first = s.recv(4096)
        assert b"pong" in first, first
        s.settimeout(30)
        assert s.recv(4096) == b"", "the idle connection got data instead of a close"
    finally:
        s.close()


def test_idle_connection_without_a_byte_closed(start_clusterd):
    cd = start_clusterd("--idle_timeout=2secs")
    with socket.create_connection(("127.0.0.1", cd.ports["master"]), timeout=30) as s:
        assert s.recv(4096) == b""


# -- caps ---------------------------------------------------------------------------


def test_connection_cap_503(start_clusterd):
    cd = start_clusterd("--max_connections=4")
    cd.session.close()  # the harness' own keep-alive connection would count
    port = cd.ports["http"]
    socks, answers = [], []
    try:
        for _ in range(8):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            socks.append(s)
        for s in socks:
            s.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        for s in socks:
            answers.append(s.recv(65536))
    finally:
        for s in socks:
            s.close()
    ok = [a for a in answers if a.startswith(b"HTTP/1.1 200")]
    refused = [a for a in answers if a.startswith(b"HTTP/1.1 503")]
    assert len(ok) <= 4 and len(refused) >= 4, answers
    status, _, body, _ = split_response(refused[0])
    marathon_error(body)
    # once they are gone, the port serves again
    wait_until(lambda: cd.get("/ping", timeout=5).text.strip() == "pong", timeout=30,
               what="/ping after the connections closed")
    assert "the cap: refusing" in cd.log_text()


def test_event_stream_cap_503(start_clusterd):
    """--max_event_streams with real streams: the one beyond the cap gets 503
    with Marathon's body and is never attached (the streams already open hear
    no event_stream_attached or _detached for it); those keep working, and a
    slot freed by a closed stream is taken again."""
    cd = start_clusterd("--max_event_streams=2")
    s1 = EventStream(cd)
    try:
        assert s1.next()["eventType"] == "event_stream_attached"
        s2 = EventStream(cd)
        assert s2.next()["eventType"] == "event_stream_attached"
        assert s1.next()["eventType"] == "event_stream_attached"  # s2's
        for _ in range(3):
            r = requests.get(cd.url + "/v2/events", headers=SSE, timeout=10)
            assert r.status_code == 503, r.text
            assert "event streams" in marathon_error(r.text)["message"]
        r = cd.post("/v2/apps", json={"id": "after-refusals", "cmd": "sleep 1", "instances": 0})
        assert r.status_code == 201, r.text
        for s in (s1, s2):
            _, seen = s.wait_for(lambda e: e["eventType"] == "api_post_event",
                                 what="api_post_event")
            assert not [e for e in seen if e["eventType"].startswith("event_stream_")], seen
        s2.close()
        ev, _ = s1.wait_for(lambda e: e["eventType"].startswith("event_stream_"),
                            what="s2 detached")
        assert ev["eventType"] == "event_stream_detached", ev

        def third_attaches():
            s3 = EventStream(cd)
            s3.close()
            return True
        wait_until(third_attaches, timeout=30, what="a stream slot freed by a closed stream")
        ev, _ = s1.wait_for(lambda e: e["eventType"].startswith("event_stream_"),
                            what="s3 attached")
        assert ev["eventType"] == "event_stream_attached", ev
    finally:
        s1.close()
    assert "streams, the cap: refused with 503" in cd.log_text()
    assert cd.get("/ping").text.strip() == "pong"


# -- out of descriptors -----------------------------------------------------------


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def get_nofile(pid):
    out = subprocess.run(["prlimit", f"--pid={pid}", "--nofile", "--raw", "--noheadings",
                          "--output=SOFT,HARD"], check=True, capture_output=True, text=True)
    soft, hard = out.stdout.split()
    return soft, hard


def set_nofile(pid, soft, hard):
    """Only the soft limit moves, so it can be raised again without privilege."""
    subprocess.run(["prlimit", f"--pid={pid}", f"--nofile={soft}:{hard}"], check=True)


def test_emfile_backs_off(start_clusterd):
    cd = start_clusterd()
    pid = cd.proc.pid
    cd.session.close()
    open_fds = len(os.listdir(f"/proc/{pid}/fd"))
    soft, hard = get_nofile(pid)
    set_nofile(pid, open_fds + 8, hard)
    socks = []
    try:
        for _ in range(40):  # more than it can accept: the rest waits in the backlog
            socks.append(socket.create_connection(("127.0.0.1", cd.ports["http"]), timeout=10))
        wait_until(lambda: "accept() on" in cd.log_text(), timeout=30,
                   what="the accept() failure to be logged")
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        time.sleep(4)
        cpu1, t1 = cpu_seconds(pid), time.monotonic()
        lines = [ln for ln in cd.log_text().splitlines() if "accept() on" in ln]
        # one line per 10 s interval, not one per failure (885 MB in 10 s before)
        assert len(lines) <= 2, lines[:5]
        assert "Too many open files" in lines[0], lines[0]
        # paused, not spinning (a spin keeps a core busy: about 1 s per second)
        assert cpu1 - cpu0 < 0.5 * (t1 - t0), (cpu1 - cpu0, t1 - t0)
    finally:
        for s in socks:
            s.close()
        set_nofile(pid, soft, hard)
    wait_until(lambda: requests.get(cd.url + "/ping", timeout=5).text.strip() == "pong",
               timeout=30, what="/ping once descriptors are free")
