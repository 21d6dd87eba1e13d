"""t3: the master's state replies served from the cache (issue 15 item 1) are never stale.

GET /master/state (and /state, /master/state.json, /state.json), /master/slaves,
/master/tasks and /master/frameworks are answered from bodies cached per master
state generation. Throughout these tests a thread keeps requesting all of them,
so a cached body of the state before each change is always there to be wrongly
served. The reply read right after a change must show it:

- a new agent: as soon as the agent itself says it is registered (the master
  answered its registration), /master/state and /master/slaves list it active;
- a task's state: when its status_update_event arrives on /v2/events (the
  master forwarded the status to Marathon), /master/state, /master/tasks and
  /master/frameworks show the task in that state; once killed, not running;
- an agent that stops answering: when its tasks' TASK_UNREACHABLE arrives, the
  agent is no longer listed live and counts as unreachable.
Also: a gzip reply inflates to exactly the identity reply, the aliases of
/master/state answer the same bytes, and every answer says Vary:
Accept-Encoding.
"""

import gzip
import http.client
import json
import socket
import threading
import time
import urllib.parse

import requests

from clusterd_harness import EventQueue, wait_until

PING = ["--agent_ping_timeout=1secs", "--max_agent_ping_timeouts=3"]
STATE_ALIASES = ["/master/state", "/state", "/master/state.json", "/state.json"]
CACHED = STATE_ALIASES + ["/master/slaves", "/master/tasks", "/master/frameworks"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hammer:
    """Requests every cached endpoint in a loop, on its own connection, some
    with gzip, so that a body of the state before each change sits in the
    cache."""

    def __init__(self, base):
        self.base = base
        self.stop_flag = threading.Event()
        self.count = 0
        self.errors = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        s = requests.Session()
        gz = False
        while not self.stop_flag.is_set():
            for p in CACHED:
                gz = not gz
                try:
                    r = s.get(self.base + p, timeout=30,
                              headers={"Accept-Encoding": "gzip" if gz else "identity"})
                    if r.status_code != 200:
                        self.errors.append(f"{p}: {r.status_code}")
                    else:
                        r.json()
                    self.count += 1
                except (requests.RequestException, ValueError) as e:
                    self.errors.append(f"{p}: {e!r}")
        s.close()

    def stop(self):
        self.stop_flag.set()
        self.thread.join(timeout=60)
        assert not self.errors, self.errors[:5]
        assert self.count > 0


def raw_get(base, path, accept_encoding=None):
    """(status, headers as a dict of lower-case names, body bytes as sent)."""
    u = urllib.parse.urlparse(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
        c.request("GET", path, headers=headers)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def get_json(master, path):
    r = master.get(path, base=master.master_url)
    assert r.status_code == 200, (path, r.status_code, r.text[:300])
    return r.json()


def live_slave(master, path, agent_id):
    return [s for s in get_json(master, path)["slaves"] if s["id"] == agent_id and s["active"]]


def task_state_everywhere(master, task_id):
    """{endpoint: the task's state there, or None}."""
    out = {}
    for path in ("/master/state", "/master/frameworks"):
        found = [t["state"] for f in get_json(master, path)["frameworks"] for t in f["tasks"]
                 if t["id"] == task_id]
        out[path] = found[0] if found else None
    found = [t["state"] for t in get_json(master, "/master/tasks")["tasks"] if t["id"] == task_id]
    out["/master/tasks"] = found[0] if found else None
    return out


def start_agent(start_clusterd, port, name):
    return start_clusterd(f"--master=127.0.0.1:{port}", "--containerizers=mesos",
                          f"--hostname={name}", *PING, role="--agent")


def agent_id_of(agent):
    st = agent.get("/state", base=agent.agent_url).json()
    return st.get("id") if st.get("registered") else None


def test_master_state_never_stale(start_clusterd):
    port = free_port()
    master = start_clusterd(f"--master_port={port}", *PING, role="--master")
    hammer = Hammer(master.master_url)
    ev = EventQueue(master)
    try:
        # A new agent: listed the moment it knows it is registered.
        agent = start_agent(start_clusterd, port, "node-a")
        aid = wait_until(lambda: agent_id_of(agent), timeout=30, interval=0.01,
                         what="agent registered")
        for path in ("/master/state", "/state.json", "/master/slaves"):
            assert live_slave(master, path, aid), (path, aid)
        assert get_json(master, "/master/state")["activated_slaves"] == 1

        # A task's state: in every reply when its event arrives.
        r = master.post("/v2/apps", json={"id": "/mc/run", "cmd": "exec sleep 100000",
                                          "cpus": 0.1, "mem": 16})
        assert r.status_code == 201, r.text
        e = ev.wait(lambda e: e.get("eventType") == "status_update_event"
                    and e.get("appId") == "/mc/run" and e.get("taskStatus") == "TASK_RUNNING",
                    what="status_update_event TASK_RUNNING")
        tid = e["taskId"]
        assert task_state_everywhere(master, tid) == dict.fromkeys(
            ("/master/state", "/master/frameworks", "/master/tasks"), "TASK_RUNNING")

        # Killed: when its event arrives, no reply shows it running.
        r = master.delete(f"/v2/apps/mc/run/tasks/{tid}")
        assert r.status_code == 200, r.text
        ev.wait(lambda e: e.get("eventType") == "status_update_event"
                and e.get("taskId") == tid and e.get("taskStatus") == "TASK_KILLED",
                what="status_update_event TASK_KILLED")
        for path, state in task_state_everywhere(master, tid).items():
            assert state in (None, "TASK_KILLED"), (path, state)

        # The replacement runs; then the agent goes silent: when the task
        # is reported unreachable, the agent is no longer live.
        rid = ev.wait(lambda e: e.get("eventType") == "status_update_event"
                      and e.get("appId") == "/mc/run" and e.get("taskStatus") == "TASK_RUNNING",
                      what="the replacement running")["taskId"]
        agent.kill9()
        ev.wait(lambda e: e.get("eventType") == "status_update_event"
                and e.get("taskId") == rid and e.get("taskStatus") == "TASK_UNREACHABLE",
                timeout=60, what="status_update_event TASK_UNREACHABLE")
        st = get_json(master, "/master/state")
        assert not [s for s in st["slaves"] if s["id"] == aid], st["slaves"]
        assert st["unreachable_slaves"] == 1, st["unreachable_slaves"]
        assert not live_slave(master, "/master/slaves", aid)
        hammer.stop()
    finally:
        hammer.stop_flag.set()
        ev.close()


def test_master_state_gzip_and_aliases(start_clusterd):
    port = free_port()
    master = start_clusterd(f"--master_port={port}", *PING, role="--master")
    agent = start_agent(start_clusterd, port, "node-b")
    wait_until(lambda: agent_id_of(agent), timeout=30, what="agent registered")
    # Offers come and go (each is in the state): compare replies read back
    # to back, and read again when the state moved between two of them.
    last = None
    for _ in range(50):
        bodies = {}
        for path in STATE_ALIASES:
            status, headers, body = raw_get(master.master_url, path)
            assert status == 200, (path, status)
            assert "content-encoding" not in headers, headers
            assert headers.get("vary") == "Accept-Encoding", headers
            assert headers["content-type"].startswith("application/json"), headers
            bodies[path] = body
        status, headers, gz = raw_get(master.master_url, "/master/state", "gzip")
        assert status == 200
        assert headers.get("content-encoding") == "gzip", headers
        assert headers.get("vary") == "Accept-Encoding", headers
        assert int(headers["content-length"]) == len(gz)
        plain = gzip.decompress(gz)
        if len(set(bodies.values())) == 1 and plain == bodies["/master/state"]:
            state = json.loads(plain)
            assert [s["hostname"] for s in state["slaves"]] == ["node-b"]
            assert len(gz) < len(plain)
            break
        last = (bodies, plain)
        time.sleep(0.1)
    else:
        raise AssertionError(f"the aliases and the gzip reply never agreed: {last}")
    # A client that refuses gzip gets the identity body.
    status, headers, body = raw_get(master.master_url, "/master/state", "gzip;q=0, identity")
    assert status == 200 and "content-encoding" not in headers
    json.loads(body)
    for path in ("/master/slaves", "/master/tasks", "/master/frameworks"):
        status, headers, gz = raw_get(master.master_url, path, "gzip")
        assert status == 200 and headers.get("content-encoding") == "gzip", (path, headers)
        json.loads(gzip.decompress(gz))
