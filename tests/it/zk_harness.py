"""A private ZooKeeper for the integration tests: Debian's zookeeperd, 1 server
or a 3-server ensemble on loopback, each server a JVM started directly by the
test (no init scripts, no /etc/zookeeper), stopped by its pid.

- ZkEnsemble(tmpdir, size=1|3).start() writes a private config per server
  (dataDir in the test's temp dir, clientPort on a free loopback port, admin
  server off, the four-letter words srvr/ruok/mntr/stat allowed), starts the
  JVMs with a small heap and waits until every server serves (for a quorum,
  until the ensemble has a leader).
- hosts() / url(path): the connect string and the zk:// URL of the ensemble.
- stop(i) (SIGTERM), kill(i) (SIGKILL) and start_server(i) / restart(i) of one
  server by pid; servers[i].mode() asks it "srvr" ("leader", "follower",
  "standalone", or None when it does not serve).
- close() stops every server it started; the logs stay in the temp dir.

And the process that runs lib/zk, lib/leader and lib/zkstore for the t6 tests:
- Drive: one tests/zk/zk_drive (commands on stdin, JSON events on stdout,
  collected by a thread; wait(), request(), kill9(), suspend()/resume());
  DrivePool starts them and stops them all at teardown, checking their logs
  for sanitizer reports; leaders() / wait_one_leader() read the election
  events of a set of drives.
- Fixtures to import into a test module: zk_drive_bin (skips when ZooKeeper
  is not installed, or with CLUSTERD_TEST_ZK=0), zk_single (one server per
  module), zk_three (an ensemble per test), drives (a DrivePool per test).

The JVM starts in about half a second: serial GC, C1 only, a heap of at
most 256 MiB (committed as used; 10,000 app records need more than 64).
Sessions may be short (minSessionTimeout 1 s, tickTime 500 ms) so that
session-expiry tests take seconds.
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

ZK_JAR = "/usr/share/java/zookeeper.jar"
# The jar's manifest names its dependencies; slf4j-simple gives it a logger
# (to the server's own log file) instead of slf4j's "no binding" warning.
ZK_LOGGER_JAR = "/usr/share/java/slf4j-simple.jar"
JAVA = shutil.which("java") or "/usr/bin/java"
TICK_MS = 500


def available():
    """Why ZooKeeper cannot run here, or None."""
    if not os.path.exists(ZK_JAR):
        return f"{ZK_JAR} missing: install zookeeperd (tools/install-deps.sh test)"
    if not os.access(JAVA, os.X_OK):
        return "no java: install zookeeperd (tools/install-deps.sh test)"
    return None


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def four_letter(port, word, timeout=1.0, host="127.0.0.1"):
    """Send a four-letter word to a server, return its answer or None."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(word.encode())
            out = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                out += chunk
            return out.decode("utf-8", "replace")
    except OSError:
        return None


class ZkServer:
    def __init__(self, root, sid, client_port, peers, host="127.0.0.1", wrap=()):
        self.sid = sid
        self.client_port = client_port
        self.host = host
        self.wrap = list(wrap)
        self.dir = os.path.join(root, f"zk{sid}")
        self.data_dir = os.path.join(self.dir, "data")
        self.cfg = os.path.join(self.dir, "zoo.cfg")
        self.log_path = os.path.join(self.dir, "server.log")
        self.proc = None
        os.makedirs(self.data_dir, exist_ok=True)
        lines = [
            f"tickTime={TICK_MS}",
            "initLimit=10",
            "syncLimit=4",
            f"dataDir={self.data_dir}",
            f"clientPort={client_port}",
            f"clientPortAddress={host}",
            "minSessionTimeout=1000",
            "maxSessionTimeout=60000",
            "maxClientCnxns=0",
            "admin.enableServer=false",
            "4lw.commands.whitelist=srvr,ruok,mntr,stat",
            "autopurge.purgeInterval=0",
        ]
        if peers:
            for psid, (qport, eport) in peers.items():
                lines.append(f"server.{psid}={host}:{qport}:{eport}")
            with open(os.path.join(self.data_dir, "myid"), "w", encoding="ascii") as f:
                f.write(f"{sid}\n")
        with open(self.cfg, "w", encoding="ascii") as f:
            f.write("\n".join(lines) + "\n")

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self):
        assert not self.running(), f"zk{self.sid} already runs"
        cmd = [JAVA, "-Xms16m", "-Xmx256m", "-Xss512k", "-XX:+UseSerialGC",
               "-XX:TieredStopAtLevel=1", "-Djava.net.preferIPv4Stack=true",
               "-Dzookeeper.jmx.log4j.disable=true",
               "-Dorg.slf4j.simpleLogger.defaultLogLevel=info",
               "-Dorg.slf4j.simpleLogger.showDateTime=true",
               "-cp", f"{ZK_JAR}:{ZK_LOGGER_JAR}",
               "org.apache.zookeeper.server.quorum.QuorumPeerMain", self.cfg]
        # e.g. nsenter --net=...: exec'd, so the pid is the JVM's.
        cmd = self.wrap + cmd
        log = open(self.log_path, "ab")  # pylint: disable=consider-using-with
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, cwd=self.dir)
        finally:
            log.close()

    def signal(self, sig, wait=10.0):
        if not self.running():
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def mode(self):
        out = four_letter(self.client_port, "srvr", host=self.host)
        if not out:
            return None
        for line in out.splitlines():
            if line.startswith("Mode:"):
                return line.split(":", 1)[1].strip()
        return None  # "This ZooKeeper instance is not currently serving requests"


class ZkEnsemble:
    """host/wrap: a server in a network namespace (host its address there,
    wrap the nsenter argv); then call mode()/wait_serving() from a thread in
    that namespace (netns_harness.Node.run)."""

    def __init__(self, root, size=1, host="127.0.0.1", wrap=()):
        assert size in (1, 3, 5)
        self.root = os.path.join(str(root), "zookeeper")
        os.makedirs(self.root, exist_ok=True)
        ports = [free_port() for _ in range(size)]
        peers = {i + 1: (free_port(), free_port()) for i in range(size)} if size > 1 else None
        self.servers = [ZkServer(self.root, i + 1, ports[i], peers, host=host, wrap=wrap)
                        for i in range(size)]

    def hosts(self):
        return ",".join(f"{s.host}:{s.client_port}" for s in self.servers)

    def url(self, path="/clusterd"):
        return f"zk://{self.hosts()}{path}"

    def start(self, timeout=60.0):
        for s in self.servers:
            s.start()
        self.wait_serving(timeout=timeout)
        return self

    def wait_serving(self, servers=None, timeout=60.0):
        """Wait until the given servers (default: the running ones) serve."""
        want = servers if servers is not None else [i for i, s in enumerate(self.servers)
                                                   if s.running()]
        deadline = time.monotonic() + timeout
        while True:
            modes = {i: self.servers[i].mode() for i in want}
            if all(m is not None for m in modes.values()):
                return modes
            for i in want:
                if not self.servers[i].running():
                    raise AssertionError(f"zk{i + 1} exited: see {self.servers[i].log_path}")
            if time.monotonic() >= deadline:
                raise AssertionError(f"ZooKeeper not serving after {timeout:.0f}s: {modes}")
            time.sleep(0.1)

    def leader_index(self):
        for i, s in enumerate(self.servers):
            if s.mode() in ("leader", "standalone"):
                return i
        return None

    def stop(self, i):
        self.servers[i].signal(signal.SIGTERM)

    def kill(self, i):
        self.servers[i].signal(signal.SIGKILL)

    def start_server(self, i):
        self.servers[i].start()

    def restart(self, i, timeout=60.0):
        self.stop(i)
        self.start_server(i)
        self.wait_serving([i], timeout=timeout)

    def close(self):
        for s in self.servers:
            s.signal(signal.SIGTERM)


# ---------------------------------------------------------------------------
# tests/zk/zk_drive: lib/zk, lib/leader and lib/zkstore in a process of their own

SANITIZED = os.environ.get("CLUSTERD_SANITIZED") == "1"
TIMEOUT_SCALE = float(os.environ.get("CLUSTERD_IT_TIMEOUT_SCALE", "3" if SANITIZED else "1"))
REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def drive_binary():
    path = os.environ.get("CLUSTERD_ZK_DRIVE") or os.path.join(REPO, "build/tests/zk/zk_drive")
    return path if os.access(path, os.X_OK) else None


class Drive:
    """One zk_drive process: commands on its stdin, JSON events from its
    stdout (collected by a reader thread), its log in a file."""

    def __init__(self, binary, url, name, logdir, *args, session_timeout=3000):
        self.name = name
        self.log_path = os.path.join(str(logdir), f"drive-{name}.log")
        self.events = []
        self.cond = threading.Condition()
        cmd = [binary, f"--zk={url}", f"--id={name}", f"--session_timeout={session_timeout}",
               *args]
        env = dict(os.environ)
        # libzookeeper_mt's own leak at close (see the file); ours are still reported.
        supp = f"suppressions={os.path.join(REPO, 'tests/lsan.supp')}"
        env["LSAN_OPTIONS"] = ":".join(x for x in (env.get("LSAN_OPTIONS"), supp) if x)
        log = open(self.log_path, "ab")  # pylint: disable=consider-using-with
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=log, env=env)
        finally:
            log.close()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def pid(self):
        return self.proc.pid

    def _read(self):
        for raw in self.proc.stdout:
            try:
                ev = json.loads(raw)
            except ValueError:
                ev = {"ev": "garbage", "line": raw.decode("utf-8", "replace")}
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()
        with self.cond:
            self.events.append({"ev": "eof"})
            self.cond.notify_all()

    def mark(self):
        with self.cond:
            return len(self.events)

    def send(self, *lines):
        self.proc.stdin.write(("\n".join(lines) + "\n").encode())
        self.proc.stdin.flush()

    def wait(self, pred, timeout=20.0, after=0, what=None):
        """The first event at index >= after for which pred(event) holds."""
        if isinstance(pred, str):
            name = pred
            pred = lambda e: e["ev"] == name  # noqa: E731
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        with self.cond:
            i = after
            while True:
                while i < len(self.events):
                    if pred(self.events[i]):
                        return self.events[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"{self.name}: no {what or 'matching'} event after {timeout:.0f}s; "
                        f"last events {self.events[-8:]}\nlog tail:\n{self.log_tail()}")
                self.cond.wait(left)

    def count(self, name, after=0):
        with self.cond:
            return sum(1 for e in self.events[after:] if e["ev"] == name)

    def request(self, line, answer, timeout=20.0):
        m = self.mark()
        self.send(line)
        return self.wait(answer, timeout=timeout, after=m, what=answer)

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return "\n".join(f.read().decode("utf-8", "replace").splitlines()[-n:])
        except OSError as e:
            return f"<{e}>"

    def running(self):
        return self.proc.poll() is None

    def kill9(self):
        if self.running():
            self.proc.kill()
        self.proc.wait(timeout=10)

    def suspend(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        if self.running():
            try:
                self.send("quit")
                self.proc.wait(timeout=10 * TIMEOUT_SCALE)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.send_signal(signal.SIGCONT)
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.reader.join(timeout=5)
        self.check_sanitizers()

    def check_sanitizers(self):
        text = self.log_tail(100000)
        for marker in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                       "WARNING: ThreadSanitizer"):
            assert marker not in text, f"{self.name}: sanitizer report in {self.log_path}"


class DrivePool:
    def __init__(self, binary, logdir):
        self.binary = binary
        self.logdir = logdir
        self.drives = []

    def start(self, url, name, *args, session_timeout=3000):
        d = Drive(self.binary, url, name, self.logdir, *args, session_timeout=session_timeout)
        self.drives.append(d)
        d.wait("started", what="started")
        return d

    def close(self):
        for d in self.drives:
            d.stop()


def leaders(drives):
    """The drives whose last election event says they lead."""
    out = []
    for d in drives:
        with d.cond:
            last = [e["ev"] for e in d.events if e["ev"] in ("elected", "deposed")]
        if last and last[-1] == "elected" and d.running():
            out.append(d)
    return out


def wait_one_leader(drives, timeout=20.0, exclude=()):
    """Wait until exactly one running drive (not in exclude) leads; return it."""
    deadline = time.monotonic() + timeout * TIMEOUT_SCALE
    while True:
        ls = [d for d in leaders(drives) if d not in exclude]
        if len(ls) == 1:
            return ls[0]
        if time.monotonic() >= deadline:
            raise AssertionError(f"expected one leader, got {[d.name for d in ls]}")
        time.sleep(0.05)


# ---------------------------------------------------------------------------
# pytest fixtures (import them into a test module: from zk_harness import ...)

import pytest  # noqa: E402  pylint: disable=wrong-import-position


def _skip_reason():
    if os.environ.get("CLUSTERD_TEST_ZK") == "0":
        return "CLUSTERD_TEST_ZK=0"
    return available()


@pytest.fixture(scope="session")
def zk_drive_bin():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    path = drive_binary()
    if path is None:
        pytest.fail("zk_drive not built: run `make zk-drive` (make it does)", pytrace=False)
    return path


@pytest.fixture(scope="module")
def zk_single(tmp_path_factory, zk_drive_bin):  # pylint: disable=unused-argument
    ens = ZkEnsemble(tmp_path_factory.mktemp("zk1"), 1)
    try:
        ens.start()
        yield ens
    finally:
        ens.close()


@pytest.fixture
def zk_three(tmp_path, zk_drive_bin):  # pylint: disable=unused-argument
    ens = ZkEnsemble(tmp_path, 3)
    try:
        ens.start()
        yield ens
    finally:
        ens.close()


@pytest.fixture
def drives(tmp_path, zk_drive_bin):
    pool = DrivePool(zk_drive_bin, tmp_path)
    yield pool
    pool.close()
