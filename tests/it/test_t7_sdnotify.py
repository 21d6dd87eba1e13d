"""t7: the real binary under a NOTIFY_SOCKET the test owns, as systemd would run
a Type=notify unit with WatchdogSec= (SPEC section 8).

READY=1 comes once every port answers, WATCHDOG=1 keeps coming from the loop
and stops while the process is frozen, STOPPING=1 comes at SIGTERM, and tasks
do not inherit the socket. Both socket kinds systemd uses are covered: a path
and an abstract name ("@...").
"""

import os
import select
import signal
import socket
import time

import pytest
import requests

import clusterd_harness as harness


class Manager:
    """The service manager's end: a datagram socket bound where NOTIFY_SOCKET says."""

    def __init__(self, tmp_path, abstract):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        if abstract:
            self.name = f"@clusterd-it-{os.getpid()}-{time.monotonic_ns()}"
            self.sock.bind("\0" + self.name[1:])
        else:
            self.name = str(tmp_path / "notify")
            self.sock.bind(self.name)

    def recv(self, timeout):
        """The next datagram as text, or None after timeout seconds."""
        r, _, _ = select.select([self.sock], [], [], timeout * harness.TIMEOUT_SCALE)
        return self.sock.recv(4096).decode() if r else None

    def wait_for(self, prefix, timeout=30):
        """Datagrams up to the first that starts with prefix (which is last)."""
        seen = []
        deadline = time.monotonic() + timeout * harness.TIMEOUT_SCALE
        while time.monotonic() < deadline:
            msg = self.recv(max(0.0, deadline - time.monotonic()))
            if msg is None:
                break
            seen.append(msg)
            if msg.startswith(prefix):
                return seen
        raise AssertionError(f"no {prefix!r} within {timeout}s; got {seen!r}")

    def drain(self):
        while self.recv(0) is not None:
            pass

    def close(self):
        self.sock.close()


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_ready_watchdog_stopping(start_clusterd, tmp_path, abstract):
    m = Manager(tmp_path, abstract)
    try:
        c = start_clusterd(env={"NOTIFY_SOCKET": m.name, "WATCHDOG_USEC": "400000"}, start=False)
        c.start()
        msgs = m.wait_for("READY=1")
        ready = msgs[-1].split("\n")
        assert ready[0] == "READY=1"
        assert ready[1] == f"STATUS=serving; API and web UI on port {c.ports['http']}"
        # Every port serves by then (start() already read the port file).
        assert requests.get(c.url + "/ping", timeout=5).text.strip() == "pong"
        assert requests.get(c.master_url + "/master/health", timeout=5).status_code == 200
        assert requests.get(c.agent_url + "/health", timeout=5).status_code == 200

        # WATCHDOG=1 every 200 ms (half of WATCHDOG_USEC): several in 2 s.
        deadline = time.monotonic() + 2
        pets = 0
        while time.monotonic() < deadline:
            msg = m.recv(1)
            if msg == "WATCHDOG=1":
                pets += 1
        assert pets >= 3, pets

        # A frozen process stops petting (what systemd's watchdog catches),
        # and pets again once it runs.
        os.kill(c.proc.pid, signal.SIGSTOP)
        try:
            m.drain()
            assert m.recv(1.5 / harness.TIMEOUT_SCALE) is None
        finally:
            os.kill(c.proc.pid, signal.SIGCONT)
        assert m.wait_for("WATCHDOG=1", timeout=10)

        c.stop()
        assert m.wait_for("STOPPING=1", timeout=5)
    finally:
        m.close()


def test_tasks_do_not_inherit_the_socket(start_clusterd, tmp_path):
    m = Manager(tmp_path, False)
    try:
        c = start_clusterd(env={"NOTIFY_SOCKET": m.name, "WATCHDOG_USEC": "10000000"})
        m.wait_for("READY=1")
        r = c.post("/v2/apps", json={"id": "/envcheck", "cmd": "sleep 300", "cpus": 0.1, "mem": 16})
        assert r.status_code == 201, r.text
        task = c.wait_running("/envcheck", 1)[0]
        pids = harness.wait_until(lambda: harness.task_pids(c.work_dir, task["id"]),
                                  what="the task's process")
        with open(f"/proc/{pids[0]}/environ", "rb") as f:
            env = f.read().split(b"\0")
        names = {e.split(b"=", 1)[0] for e in env}
        assert b"MESOS_TASK_ID" in names
        assert not names & {b"NOTIFY_SOCKET", b"WATCHDOG_USEC", b"WATCHDOG_PID"}
    finally:
        m.close()


def test_no_socket_no_notification(clusterd):
    """Started by hand (no NOTIFY_SOCKET): it runs, and says nothing about systemd."""
    assert clusterd.get("/ping").text.strip() == "pong"
    assert "systemd" not in clusterd.log_text()
