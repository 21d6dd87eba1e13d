"""Helpers for clusterd's integration tests (STYLE B27 tier 2).

Everything here drives real components: a private dockerd started for the test
session, and the real clusterd binary. Nothing is mocked.

- DockerClient / DockerDaemon: the Docker Engine API over a unix socket, with
  http.client and AF_UNIX only (no extra Python packages), and a private
  dockerd (vfs, no iptables, no bridge) in a short directory under /tmp.
- Clusterd / ClusterdPool: start, stop, kill -9 and restart the binary with
  port 0 everywhere and a --port_file, capture its log, clean up after it.
- wait_until / holds_for: polling instead of fixed sleeps.
- Netns / BridgedDocker / Registry: a network namespace the test makes, a dockerd
  with its default bridge (and docker-proxy for published ports) inside it, a
  docker-registry inside it; the test's own sockets enter it with Netns.entered().
- FileServer: a local HTTP server for the fetcher's downloads.
"""

import contextlib
import ctypes
import glob
import http.client
import http.server
import io
import json
import os
import queue
import random
import shutil
import signal
import socket
import struct
import subprocess
import tarfile
import tempfile
import threading
import time
import urllib.parse
import uuid

import requests

SANITIZED = os.environ.get("CLUSTERD_SANITIZED") == "1"
# Sanitized builds run several times slower; scale every timeout, never an assertion.
TIMEOUT_SCALE = float(os.environ.get("CLUSTERD_IT_TIMEOUT_SCALE", "3" if SANITIZED else "1"))

DEFAULT_RESOURCES = "cpus:4;mem:4096;disk:10000;ports:[31000-31099]"
TEST_IMAGE = "busybox:local"
TUTORIAL_IMAGE = "libmesos/ubuntu"
BUSYBOX_APPLETS = ("sh", "sleep", "echo", "cat", "httpd", "nc", "date", "env", "ls", "true", "false")
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")


# ---------------------------------------------------------------------------
# polling


def wait_until(fn, timeout=30.0, interval=0.2, what=None):
    """Call fn until it returns something truthy and return that value.

    Exceptions raised by fn count as "not yet" (the daemon may be restarting).
    On timeout, fail with the last value and the last exception.
    """
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    last, last_exc = None, None
    while True:
        try:
            last, last_exc = fn(), None
            if last:
                return last
        except Exception as e:  # pylint: disable=broad-except
            last_exc = e
        if time.monotonic() >= deadline:
            msg = f"timed out after {timeout:.0f}s waiting for {what or getattr(fn, '__name__', fn)}"
            msg += f"; last value: {last!r}"
            if last_exc is not None:
                msg += f"; last error: {last_exc!r}"
            raise AssertionError(msg)
        time.sleep(interval)


def free_port_range(n=100):
    """A host port range below the ephemeral ports whose first ports are free,
    for tests that bind real host ports: the default (31000-31099) is shared
    with every other clusterd on this host, so a concurrent run could hold
    the port an offer hands out."""
    for _ in range(50):
        lo = random.randrange(21000, 30000 - n, n)
        try:
            for port in range(lo, lo + 10):
                with socket.socket() as s:
                    s.bind(("0.0.0.0", port))
        except OSError:
            continue
        return f"[{lo}-{lo + n - 1}]"
    return "[31000-31099]"


def stop_all(instances):
    """Stop Clusterd instances by pid (SIGTERM, then SIGKILL), kill their
    plain-process tasks and close their sessions; return the problems seen
    (an exit code other than 0 on SIGTERM, a sanitizer report) as text."""
    errors = []
    for inst in instances:
        if inst.running:
            rc = inst._terminate()  # pylint: disable=protected-access
            if rc != 0:
                errors.append(f"{inst.work_dir}: exit code {rc} on SIGTERM at teardown "
                              f"(None = had to SIGKILL):\n{inst.log_tail(40)}")
        kill_task_processes(inst.work_dir)
        report = sanitizer_report(inst.log_text())
        if report:
            errors.append(f"{inst.work_dir}: sanitizer report:\n{report}")
        inst.session.close()
    return errors


class EventQueue:
    """/v2/events of a clusterd, read by a thread into a queue. wait() takes
    events off it until one matches; check(event), when given, is applied
    to that one (a shape check, say)."""

    def __init__(self, cd, check=None):
        self.resp = requests.get(cd.url + "/v2/events", headers={"Accept": "text/event-stream"},
                                 stream=True, timeout=(5, 300 * TIMEOUT_SCALE))
        assert self.resp.status_code == 200, self.resp.text
        self.check = check
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        try:
            for line in self.resp.iter_lines(decode_unicode=True):
                if line and line.startswith("data:"):
                    self.q.put(json.loads(line[5:].strip()))
        except (requests.RequestException, ValueError, AttributeError):
            pass

    def wait(self, pred, timeout=60, what="event"):
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {what} within {timeout}s"
            try:
                ev = self.q.get(timeout=left)
            except queue.Empty:
                continue
            if pred(ev):
                if self.check is not None:
                    self.check(ev)
                return ev

    def close(self):
        self.resp.close()


def holds_for(fn, duration=3.0, interval=0.2, what=None):
    """Check that fn stays truthy for `duration` seconds (an absence check:
    "no extra container appears"). Fails at the first falsy value."""
    deadline = time.monotonic() + duration
    value = None
    while time.monotonic() < deadline:
        value = fn()
        if not value:
            raise AssertionError(f"{what or getattr(fn, '__name__', fn)} stopped holding: {value!r}")
        time.sleep(interval)
    return value


def tail(path, lines=200):
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        return f"<cannot read {path}: {e}>"
    text = data.decode("utf-8", "replace").splitlines()
    return "\n".join(text[-lines:])


# ---------------------------------------------------------------------------
# Docker Engine API over a unix socket


class UnixHTTPConnection(http.client.HTTPConnection):
    """http.client over AF_UNIX: the tiny adapter the Docker API needs."""

    def __init__(self, path, timeout=60):
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.unix_path)
        except OSError:
            s.close()
            raise
        self.sock = s


class DockerError(Exception):
    pass


class DockerClient:
    def __init__(self, sock):
        self.sock = sock

    @property
    def socket_url(self):
        return "unix://" + self.sock

    def request(self, method, path, body=None, params=None, headers=None, timeout=60):
        """Return (status, body bytes)."""
        if params:
            path += "?" + urllib.parse.urlencode(params)
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        conn = UnixHTTPConnection(self.sock, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=hdrs)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def call(self, method, path, body=None, params=None, ok=(200, 201, 204), **kw):
        status, data = self.request(method, path, body=body, params=params, **kw)
        if status not in ok:
            raise DockerError(f"{method} {path}: {status} {data[:500]!r}")
        if not data:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return data

    def ping(self):
        try:
            status, data = self.request("GET", "/_ping", timeout=5)
        except OSError:
            return False
        return status == 200 and data.strip() == b"OK"

    def containers(self, labels=(), all=True):  # pylint: disable=redefined-builtin
        """GET /containers/json filtered by labels ("key" or "key=value")."""
        if isinstance(labels, str):
            labels = [labels]
        params = {"all": "1" if all else "0"}
        if labels:
            params["filters"] = json.dumps({"label": list(labels)})
        return self.call("GET", "/containers/json", params=params)

    def app_containers(self, app_id, running_only=True):
        """Containers that clusterd started for a Marathon app id ("/ubuntu")."""
        found = self.containers([f"clusterd.app_id={app_id}"])
        if running_only:
            found = [c for c in found if c.get("State") == "running"]
        return found

    def inspect(self, cid):
        status, data = self.request("GET", f"/containers/{cid}/json")
        if status == 404:
            return None
        if status != 200:
            raise DockerError(f"inspect {cid}: {status} {data[:300]!r}")
        return json.loads(data)

    def remove(self, cid, timeout=30):
        """Force-remove a container. A 409 "removal already in progress" means
        someone else (clusterd, stopping its task) is removing it: wait until
        it is gone rather than fail."""
        status, data = self.request("DELETE", f"/containers/{cid}",
                                    params={"force": "1", "v": "1"})
        if status in (204, 404):
            return
        if status != 409 or b"already in progress" not in data:
            raise DockerError(f"DELETE /containers/{cid}: {status} {data[:500]!r}")
        deadline = time.monotonic() + timeout
        while self.inspect(cid) is not None:
            if time.monotonic() > deadline:
                raise DockerError(f"container {cid} still there {timeout}s after a removal "
                                  "already in progress")
            time.sleep(0.1)

    def remove_labelled(self, label):
        for c in self.containers([label]):
            self.remove(c["Id"])

    def import_image(self, tar_bytes, repo, tag):
        self.call("POST", "/images/create", body=tar_bytes,
                  params={"fromSrc": "-", "repo": repo, "tag": tag},
                  headers={"Content-Type": "application/x-tar"}, timeout=300)

    def tag(self, image, repo, tag):
        self.call("POST", f"/images/{image}/tag", params={"repo": repo, "tag": tag})

    def image_id(self, name):
        return self.call("GET", f"/images/{name}/json")["Id"]


def _is_static_elf(path):
    """True when the ELF file has no PT_INTERP, i.e. needs no dynamic loader."""
    with open(path, "rb") as f:
        hdr = f.read(64)
        if hdr[:4] != b"\x7fELF" or hdr[4] != 2:  # 64-bit only, which is what Debian ships here
            return False
        endian = "<" if hdr[5] == 1 else ">"
        phoff, = struct.unpack_from(endian + "Q", hdr, 0x20)
        phentsize, phnum = struct.unpack_from(endian + "HH", hdr, 0x36)
        for i in range(phnum):
            f.seek(phoff + i * phentsize)
            p_type, = struct.unpack(endian + "I", f.read(4))
            if p_type == 3:  # PT_INTERP
                return False
    return True


def busybox_rootfs_tar():
    """A root filesystem of busybox-static plus applet links, as a tar in memory."""
    for bb in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(bb) and _is_static_elf(bb):
            break
    else:
        raise RuntimeError("no static /bin/busybox: install busybox-static (make test-deps)")
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as t:
        for d, mode in (("bin", 0o755), ("etc", 0o755), ("tmp", 0o1777), ("usr", 0o755),
                        ("usr/bin", 0o755)):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode = tarfile.DIRTYPE, mode
            t.addfile(ti)
        t.add(bb, arcname="bin/busybox", recursive=False)
        links = [(f"bin/{a}", "busybox") for a in BUSYBOX_APPLETS] + [("usr/bin/env", "/bin/busybox")]
        for name, target in links:
            ti = tarfile.TarInfo(name)
            ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
            t.addfile(ti)
    return buf.getvalue()


_libc = ctypes.CDLL(None, use_errno=True)
MNT_DETACH = 2


def _unmount_under(root):
    """Detach every mount below root, deepest first (dockerd leaves netns mounts)."""
    prefix = root.rstrip("/") + "/"
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        for line in f:
            mp = line.split()[4]
            mp = mp.encode().decode("unicode_escape")  # \040 etc.
            if mp.startswith(prefix):
                points.append(mp)
    for mp in sorted(points, key=len, reverse=True):
        if _libc.umount2(mp.encode(), MNT_DETACH) != 0:
            err = ctypes.get_errno()
            if err not in (22, 2):  # EINVAL: not a mount any more, ENOENT: gone
                raise OSError(err, f"umount2 {mp}: {os.strerror(err)}")


class DockerDaemon(DockerClient):
    """A private dockerd: vfs storage, no iptables, no bridge, its own socket."""

    def __init__(self):
        # unix socket paths must stay below 108 bytes: keep the directory short.
        self.dir = tempfile.mkdtemp(prefix="cd-", dir="/tmp")
        super().__init__(os.path.join(self.dir, "docker.sock"))
        self.log_path = os.path.join(self.dir, "dockerd.log")
        self.proc = None

    def dockerd_args(self):
        return ["--bridge=none"]

    def command_prefix(self):
        return []

    def start(self, timeout=60):
        dockerd = shutil.which("dockerd") or "/usr/sbin/dockerd"
        if not os.path.exists(dockerd):
            raise RuntimeError("dockerd not found: install docker.io (make test-deps)")
        conf = os.path.join(self.dir, "daemon.json")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("{}\n")  # ignore the host's /etc/docker/daemon.json
        cmd = self.command_prefix() + [
               dockerd, "--config-file", conf, "--storage-driver", "vfs", "--iptables=false",
               *self.dockerd_args(), "--data-root", os.path.join(self.dir, "data"),
               "--exec-root", os.path.join(self.dir, "exec"), "-H", "unix://" + self.sock,
               "--pidfile", os.path.join(self.dir, "pid")]
        log = open(self.log_path, "ab")  # pylint: disable=consider-using-with
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while not self.ping():
            if self.proc.poll() is not None:
                raise RuntimeError(f"dockerd exited with {self.proc.returncode} (needs root):\n"
                                   + tail(self.log_path, 40))
            if time.monotonic() > deadline:
                raise RuntimeError(f"dockerd did not answer /_ping within {timeout}s:\n"
                                   + tail(self.log_path, 40))
            time.sleep(0.1)

    def load_test_images(self):
        """busybox:local, also tagged libmesos/ubuntu for the 0.5 tutorial: no
        registry is reachable, so the images must exist locally."""
        repo, tag = TEST_IMAGE.split(":")
        self.import_image(busybox_rootfs_tar(), repo, tag)
        self.tag(TEST_IMAGE, TUTORIAL_IMAGE, "latest")

    def kill(self):
        """Stop the daemon alone (SIGTERM), leaving its state for a start() again."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                # dockerd would stop each container with a grace period; be quick.
                self.remove_labelled("clusterd.task_id")
                for c in self.containers():
                    self.remove(c["Id"])
            except (OSError, DockerError):
                pass
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        if self.proc is not None:
            # dockerd's own containerd child shares its process group.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        _unmount_under(self.dir)
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------
# clusterd


def child_env(extra=None):
    """Environment for the binary: no CLUSTERD_* or DOCKER_HOST leaking in from
    the caller, sanitizer options that put reports in the log."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CLUSTERD_") and k != "DOCKER_HOST"}
    if SANITIZED:
        # Leaks at daemon exit are not checked by default (CLUSTERD_IT_ASAN_OPTIONS overrides).
        env["ASAN_OPTIONS"] = os.environ.get(
            "CLUSTERD_IT_ASAN_OPTIONS", "detect_leaks=0:halt_on_error=1:abort_on_error=0")
        env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    env.update(extra or {})
    return env


def sanitizer_report(text):
    """The first sanitizer report in a log, or None."""
    for marker in SANITIZER_MARKERS:
        i = text.find(marker)
        if i >= 0:
            start = text.rfind("\n", 0, i) + 1
            return text[start:i + 3000]
    return None


LIVE = []  # running Clusterd instances, for failure reports


def task_pids(work_dir, task_id=None):
    """Pids of plain-process (mesos containerizer) tasks launched under work_dir.

    They run in their own session so that they outlive an agent restart; the
    harness finds them by the MESOS_SANDBOX (and MESOS_TASK_ID) in their
    environment, which names the sandbox inside work_dir.
    """
    prefixes = tuple({("MESOS_SANDBOX=" + d + "/").encode()
                      for d in (str(work_dir), os.path.realpath(str(work_dir)))})
    want_id = f"MESOS_TASK_ID={task_id}".encode() if task_id else None
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if any(e.startswith(prefixes) for e in env) and (want_id is None or want_id in env):
            pids.append(int(name))
    return pids


def remove_agent_cgroups(agent_ids):
    """Remove what is left of the cgroups of these agents' plain-process tasks
    (clusterd/<agent id>/<task id> in each hierarchy), once their processes are
    gone: an agent removes a task's cgroup when the task ends, but not one whose
    task outlived the agent (the harness kills those)."""
    for aid in agent_ids:
        for top in glob.glob(f"/sys/fs/cgroup/*/clusterd/{aid}") + \
                glob.glob(f"/sys/fs/cgroup/clusterd/{aid}"):
            for d in glob.glob(os.path.join(top, "*/")) + [top]:
                for _ in range(50):
                    try:
                        os.rmdir(d)
                        break
                    except FileNotFoundError:
                        break
                    except OSError:
                        time.sleep(0.1)  # its last processes are being reaped


def kill_task_processes(work_dir):
    """SIGKILL the process groups of the plain-process tasks under work_dir."""
    for pid in task_pids(work_dir):
        try:
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        except OSError:
            pass


class ClusterdError(Exception):
    pass


class Clusterd:
    """One clusterd process on 127.0.0.1 with port 0 everywhere."""

    def __init__(self, binary, work_dir, docker_sock=None, args=(), env=None,
                 role="--all-in-one", resources=DEFAULT_RESOURCES, netns=None):
        self.netns = netns  # a Netns to run in (nsenter --net), or None
        self.binary = binary
        self.work_dir = str(work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.docker_sock = docker_sock
        self.args = list(args)
        self.env = dict(env or {})
        self.role = role
        self.resources = resources
        self.port_file = os.path.join(self.work_dir, "ports.json")
        self.log_path = os.path.join(self.work_dir, "clusterd.log")
        self.proc = None
        self.ports = {}
        self.starts = 0
        self.agent_ids = set()
        self.session = requests.Session()
        # With --ssl_cert every port speaks HTTPS, verified against --ssl_ca.
        self.scheme = "https" if any(a.startswith("--ssl_cert") for a in self.args) else "http"
        # Per request: REQUESTS_CA_BUNDLE in the environment beats Session.verify.
        self.verify = True
        for a in self.args:
            if a.startswith("--ssl_ca="):
                self.verify = a.split("=", 1)[1]

    # -- process control ---------------------------------------------------

    def command(self):
        cmd = [self.binary, self.role, f"--work_dir={self.work_dir}", "--ip=127.0.0.1",
               "--http_port=0", "--master_port=0", "--agent_port=0",
               f"--port_file={self.port_file}", f"--resources={self.resources}",
               "--docker_stop_timeout=1secs", "--log_level=debug"]
        if self.docker_sock:
            cmd.append(f"--docker_socket=unix://{self.docker_sock}")
        if self.netns is not None:
            # nsenter execs the binary: the pid stays clusterd's own.
            cmd = ["nsenter", f"--net={self.netns.path}"] + cmd
        return cmd + self.args

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout=30):
        assert not self.running, "already running"
        if os.path.exists(self.port_file):
            os.unlink(self.port_file)
        self.starts += 1
        cmd = self.command()
        with open(self.log_path, "ab") as log:
            log.write(f"=== harness: start #{self.starts}: {' '.join(cmd)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, env=child_env(self.env),
                                         start_new_session=True)
        LIVE.append(self)
        try:
            self.ports = self._wait_port_file(timeout * TIMEOUT_SCALE)
            with self.netns.entered() if self.netns else contextlib.nullcontext():
                if "http" in self.ports:
                    wait_until(lambda: self.get("/ping", timeout=5).text.strip() == "pong",
                               timeout=timeout, what="/ping to answer pong")
                self.note_agent_id()
        except BaseException:
            self._terminate()
            raise
        return self

    def _wait_port_file(self, timeout):
        want = {"--all-in-one": ("http", "master", "agent"), "--master": ("http", "master"),
                "--agent": ("agent",)}.get(self.role, ())
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise ClusterdError(f"clusterd exited with {self.proc.returncode} before writing "
                                    f"{self.port_file}:\n{self.log_tail(60)}")
            try:
                with open(self.port_file, encoding="utf-8") as f:
                    ports = json.load(f)
                if all(isinstance(ports.get(k), int) and ports[k] > 0 for k in want):
                    return ports
            except (OSError, ValueError):
                pass  # not there yet; it is written by rename, so never half-written
            if time.monotonic() > deadline:
                raise ClusterdError(f"no port file {self.port_file} with {want} after {timeout}s:\n"
                                    + self.log_tail(60))
            time.sleep(0.05)

    def _terminate(self, timeout=30):
        """SIGTERM, wait, SIGKILL. Returns the exit code, or None on SIGKILL."""
        rc = None
        if self.running:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout=timeout * TIMEOUT_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        if self in LIVE:
            LIVE.remove(self)
        return rc

    def stop(self, timeout=30):
        """SIGTERM and insist on a clean exit 0."""
        assert self.running, "not running"
        self.note_agent_id()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout * TIMEOUT_SCALE)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)
            LIVE.remove(self)
            raise AssertionError(f"clusterd did not exit within {timeout}s of SIGTERM:\n"
                                 + self.log_tail(60))
        LIVE.remove(self)
        assert rc == 0, f"clusterd exited with {rc} on SIGTERM:\n{self.log_tail(60)}"
        return rc

    def kill9(self):
        assert self.running, "not running"
        self.note_agent_id()
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        LIVE.remove(self)

    def restart(self, timeout=30):
        """Stop (cleanly) if running, then start on the same work_dir. The ports
        are new: they are read again from the port file."""
        if self.running:
            self.stop()
        return self.start(timeout=timeout)

    # -- HTTP ---------------------------------------------------------------

    def _base(self, key):
        return f"{self.scheme}://127.0.0.1:{self.ports[key]}"

    @property
    def url(self):
        return self._base("http")

    @property
    def master_url(self):
        return self._base("master")

    @property
    def agent_url(self):
        return self._base("agent")

    def api(self, path, method="GET", base=None, timeout=30, **kw):
        """requests.Response for METHOD base+path (base defaults to the Marathon API)."""
        kw.setdefault("verify", self.verify)
        return self.session.request(method, (base or self.url) + path, timeout=timeout, **kw)

    def get(self, path, **kw):
        return self.api(path, "GET", **kw)

    def post(self, path, **kw):
        return self.api(path, "POST", **kw)

    def put(self, path, **kw):
        return self.api(path, "PUT", **kw)

    def delete(self, path, **kw):
        return self.api(path, "DELETE", **kw)

    # -- Marathon helpers ----------------------------------------------------

    def app(self, app_id):
        r = self.get(f"/v2/apps/{app_id.lstrip('/')}")
        return r.json()["app"] if r.status_code == 200 else None

    def tasks(self, app_id):
        r = self.get(f"/v2/apps/{app_id.lstrip('/')}/tasks")
        r.raise_for_status()
        return r.json()["tasks"]

    def running_tasks(self, app_id):
        return [t for t in self.tasks(app_id) if t.get("state") == "TASK_RUNNING"]

    def wait_running(self, app_id, n, timeout=60):
        """Wait until exactly n tasks of the app are TASK_RUNNING; return them."""
        def check():
            tasks = self.running_tasks(app_id)
            return tasks if len(tasks) == n else None
        return wait_until(check, timeout=timeout, what=f"{n} running tasks of {app_id}")

    def sandbox(self, task):
        """The sandbox directory of a task (runs/latest), or None."""
        pattern = os.path.join(self.work_dir, "slaves", task.get("slaveId") or "*", "frameworks",
                               "*", "executors", task["id"], "runs", "latest")
        found = glob.glob(pattern)
        return found[0] if found else None

    def sandbox_file(self, task, name="stdout"):
        d = self.sandbox(task)
        if d is None:
            return None
        try:
            with open(os.path.join(d, name), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return None

    # -- bookkeeping -----------------------------------------------------------

    def note_agent_id(self):
        """Remember the agent id(s), so that teardown can remove exactly the
        containers this agent started."""
        for d in glob.glob(os.path.join(self.work_dir, "slaves", "*")):
            self.agent_ids.add(os.path.basename(d))
        if self.running and "agent" in self.ports and self.netns is None:
            try:
                aid = self.get("/state", base=self.agent_url, timeout=5).json().get("id")
                if aid:
                    self.agent_ids.add(aid)
            except (requests.RequestException, ValueError, AttributeError):
                pass

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_tail(self, lines=200):
        return tail(self.log_path, lines)


class ClusterdPool:
    """Starts Clusterd instances for one test (or module) and cleans up after them."""

    def __init__(self, binary, base_dir, docker=None):
        self.binary = binary
        self.base_dir = str(base_dir)
        self.docker = docker
        self.instances = []

    def start(self, *args, role="--all-in-one", resources=DEFAULT_RESOURCES, env=None,
              start=True, timeout=30, docker=None, netns=None):
        work = os.path.join(self.base_dir, f"cd{len(self.instances)}")
        docker = docker or self.docker
        inst = Clusterd(self.binary, work, docker_sock=docker.sock if docker else None,
                        args=args, env=env, role=role, resources=resources, netns=netns)
        inst.docker = docker
        self.instances.append(inst)
        if start:
            inst.start(timeout=timeout)
        return inst

    def close(self):
        """Stop everything; return a list of problems (unclean exit, sanitizer reports)."""
        errors = []
        for inst in self.instances:
            was_running = inst.running
            if was_running:
                inst.note_agent_id()
                rc = inst._terminate()  # pylint: disable=protected-access
                if rc != 0:
                    errors.append(f"{inst.work_dir}: exit code {rc} on SIGTERM at teardown "
                                  f"(None = had to SIGKILL):\n{inst.log_tail(40)}")
            inst.note_agent_id()
            docker = getattr(inst, "docker", None) or self.docker
            if docker is not None:
                # Without a known agent id, fall back to every clusterd container: the
                # dockerd is private to this test session and tests run one at a time.
                labels = [f"clusterd.agent_id={aid}" for aid in inst.agent_ids] or ["clusterd.task_id"]
                for label in labels:
                    try:
                        docker.remove_labelled(label)
                    except (OSError, DockerError) as e:
                        errors.append(f"cannot remove containers labelled {label}: {e}")
            kill_task_processes(inst.work_dir)
            remove_agent_cgroups(inst.agent_ids)
            report = sanitizer_report(inst.log_text())
            if report:
                errors.append(f"{inst.work_dir}: sanitizer report in {inst.log_path}:\n{report}")
            inst.session.close()
        return errors


# ---------------------------------------------------------------------------
# network namespaces, a bridged dockerd, a registry, a file server

CLONE_NEWNET = 0x40000000


class Netns:
    """A network namespace the test makes (`ip netns add`), with lo up.

    Processes enter it with `nsenter --net=PATH` (not `ip netns exec`, which
    remounts /sys and hides the cgroup mounts dockerd needs). The test's own
    sockets enter it with entered(): setns(2) on the calling thread only, so the
    sockets it makes meanwhile live in the namespace."""

    def __init__(self):
        self.name = f"cdt-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.path = f"/run/netns/{self.name}"
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"], check=True)

    @contextlib.contextmanager
    def entered(self):
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(self.path, os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns {self.path}: {os.strerror(err)}")
            try:
                yield self
            finally:
                if _libc.setns(own, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(target)
            os.close(own)

    def delete(self):
        subprocess.run(["ip", "netns", "del", self.name], check=False)


class BridgedDocker(DockerDaemon):
    """A private dockerd inside a Netns, with its default bridge (docker0 in the
    namespace): published ports go through docker-proxy, as --iptables=false
    leaves them. live-restore keeps containers running while it restarts."""

    def __init__(self, netns):
        super().__init__()
        self.netns = netns

    def dockerd_args(self):
        return ["--live-restore"]

    def command_prefix(self):
        return ["nsenter", f"--net={self.netns.path}"]

    def restart(self, timeout=60):
        self.kill()
        self.start(timeout=timeout)


class Registry:
    """Debian's docker-registry inside a Netns, on 127.0.0.1 there, storing under
    a temporary directory: images pushed by the dockerd of the same namespace."""

    def __init__(self, netns, port=5000):
        self.dir = tempfile.mkdtemp(prefix="cdreg-", dir="/tmp")
        self.port = port
        self.addr = f"127.0.0.1:{port}"
        conf = os.path.join(self.dir, "config.yml")
        with open(conf, "w", encoding="utf-8") as f:
            f.write("version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: "
                    f"{self.dir}/data\nhttp:\n  addr: {self.addr}\n")
        log = open(os.path.join(self.dir, "registry.log"), "ab")  # pylint: disable=consider-using-with
        try:
            self.proc = subprocess.Popen(
                ["nsenter", f"--net={netns.path}", "docker-registry", "serve", conf],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        finally:
            log.close()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=30)
        shutil.rmtree(self.dir, ignore_errors=True)


class FileServer:
    """A local HTTP server (127.0.0.1, a free port) serving a directory, in a
    thread of the test process: what the fetcher downloads from."""

    def __init__(self, directory):
        handler = lambda *a, **kw: _QuietHandler(*a, directory=directory, **kw)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass
