"""Network namespaces with lossy links, for the t8 lossy-link tests.

Topology, all made by the test and removed by it: a bridge br0 in a
namespace of its own (cdf<pid>-br), and per node (master, agents) a
namespace cdf<pid>-<name> holding eth0, one end of a veth pair whose other
end is a port of br0; addresses 10.78.0.<i>/24. Nothing is added to the
host's namespace. Processes are started with `nsenter --net=/run/netns/X`
(never `ip netns exec`, which remounts /sys); nsenter execs, so the pid the
test holds is the program's. The test reaches a node's HTTP ports from a
thread that entered the node's namespace, on 127.0.0.1 (the loopback of the
node: not across the lossy link).

Impairing a link (Node.impair): loss, a delay with jitter, and reordering,
in both directions of the node's link.
- With the kernel's sch_netem, `tc qdisc ... netem` on both ends of the
  veth (the node's eth0 and its bridge port).
- Without it (this CI kernel has no sch_netem), the same from netfilter in
  the node's namespace: loss with iptables' statistic match, delay, jitter
  and reordering by holding packets in an NFQUEUE and giving each its
  ACCEPT verdict late (NfqDelay, a small nfnetlink_queue client on a raw
  netlink socket: no package needed). As with netem's "reorder P", a
  fraction of the packets go out at once, ahead of the delayed ones.

The failover tests have a multi-node harness of their own
(netns_harness.py, wt/failover); this one exists for lossy links, and the
two are to be merged.
"""

import ctypes
import heapq
import os
import random
import select
import socket
import struct
import subprocess
import threading
import time

import clusterd_harness as harness

CLONE_NEWNET = 0x40000000
PREFIX = "cdf"
SUBNET = "10.78.0"

_libc = ctypes.CDLL(None, use_errno=True)


class NetnsError(Exception):
    pass


def run(cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and r.returncode != 0:
        raise NetnsError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def in_ns(ns, *cmd):
    return ["nsenter", f"--net=/run/netns/{ns}", "--", *cmd]


def enter(ns):
    """Move the calling thread into namespace ns."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {ns}: {os.strerror(err)}")
    finally:
        os.close(fd)


def available():
    if os.geteuid() != 0:
        return False
    name = f"{PREFIX}{os.getpid()}-probe"
    try:
        run(["ip", "netns", "add", name])
    except (NetnsError, OSError):
        return False
    run(["ip", "netns", "del", name], check=False)
    return True


def remove_stale():
    """Namespaces of earlier runs whose process is gone."""
    for line in run(["ip", "netns", "list"], check=False).stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if name.startswith(PREFIX) and "-" in name:
            pid = name[len(PREFIX):].split("-", 1)[0]
            if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                run(["ip", "netns", "del", name], check=False)


def netem_available(ns, dev):
    r = run(in_ns(ns, "tc", "qdisc", "add", "dev", dev, "root", "netem", "delay", "1ms"),
            check=False)
    if r.returncode != 0:
        return False
    run(in_ns(ns, "tc", "qdisc", "del", "dev", dev, "root"), check=False)
    return True


# ---------------------------------------------------------------------------
# nfnetlink_queue: hold packets, give their verdict late

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
NF_ACCEPT = 1


def _attr(atype, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, atype) + payload + b"\0" * ((4 - n % 4) % 4)


def _nlmsg(mtype, flags, seq, queue, attrs):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + attrs
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | mtype,
                       flags, seq, 0) + body


class NfqDelay:
    """Holds the packets of NFQUEUE `queue` in namespace ns and accepts each
    after delay_ms +- jitter_ms (normal), or at once with probability
    reorder (those overtake the held ones)."""

    def __init__(self, ns, queue, delay_ms, jitter_ms, reorder, seed=None):
        self.ns = ns
        self.queue = queue
        self.delay = delay_ms / 1000.0
        self.jitter = jitter_ms / 1000.0
        self.reorder = reorder
        self.rng = random.Random(seed)
        self.packets = 0
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._error = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise NetnsError(f"nfqueue {self.ns}/{self.queue}: {self._error}")
        return self

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=10)

    def _bind(self, sock):
        cmd = _attr(NFQA_CFG_CMD, struct.pack("=BBH", NFQNL_CFG_CMD_BIND, 0, 0))
        params = _attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META))
        for seq, attrs in ((1, cmd), (2, params)):
            sock.send(_nlmsg(NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, seq, self.queue,
                             attrs))
            data = sock.recv(65536)
            _, mtype, _, _, _ = struct.unpack_from("=IHHII", data)
            if mtype == NLMSG_ERROR:
                err, = struct.unpack_from("=i", data, 16)
                if err != 0:
                    raise OSError(-err, os.strerror(-err))

    def _verdict(self, sock, pid):
        hdr = _attr(NFQA_VERDICT_HDR, struct.pack("!II", NF_ACCEPT, pid))
        try:
            sock.send(_nlmsg(NFQNL_MSG_VERDICT, NLM_F_REQUEST, 0, self.queue, hdr))
        except OSError:
            pass

    def _packets(self, data):
        """Packet ids in one recv."""
        off = 0
        while off + 16 <= len(data):
            mlen, mtype, _, _, _ = struct.unpack_from("=IHHII", data, off)
            if mlen < 16:
                break
            if mtype == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                a = off + 20
                while a + 4 <= off + mlen:
                    alen, atype = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if atype & 0x7fff == NFQA_PACKET_HDR:
                        pid, = struct.unpack_from("!I", data, a + 4)
                        yield pid
                    a += (alen + 3) & ~3
            off += (mlen + 3) & ~3

    def _run(self):
        try:
            enter(self.ns)
            sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((0, 0))
            self._bind(sock)
        except OSError as e:
            self._error = e
            self._ready.set()
            return
        self._ready.set()
        held = []  # (due, seq, packet id)
        seq = 0
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                while held and held[0][0] <= now:
                    self._verdict(sock, heapq.heappop(held)[2])
                wait = min(0.2, max(0.0, held[0][0] - now)) if held else 0.2
                r, _, _ = select.select([sock], [], [], wait)
                if not r:
                    continue
                try:
                    data = sock.recv(1 << 20)
                except OSError:
                    continue  # ENOBUFS: the kernel dropped some (a loss)
                for pid in self._packets(data):
                    self.packets += 1
                    if self.rng.random() < self.reorder:
                        self._verdict(sock, pid)
                        continue
                    d = max(0.0, self.rng.gauss(self.delay, self.jitter))
                    seq += 1
                    heapq.heappush(held, (time.monotonic() + d, seq, pid))
        finally:
            for _, _, pid in held:
                self._verdict(sock, pid)
            sock.close()


# ---------------------------------------------------------------------------
# the network


class Node:
    def __init__(self, net, name, index):
        self.net = net
        self.name = name
        self.ns = f"{net.tag}-{name}"
        self.addr = f"{SUBNET}.{index + 1}"
        self.port = f"v{index}"  # the bridge's end of its veth
        self.impaired = None
        self._nfq = None
        self._thread = None
        self._calls = None
        self._lock = threading.Lock()

    def create(self):
        run(["ip", "netns", "add", self.ns])
        run(["ip", "link", "add", "eth0", "netns", self.ns, "type", "veth", "peer", "name",
             self.port, "netns", self.net.bridge_ns])
        run(in_ns(self.net.bridge_ns, "ip", "link", "set", self.port, "master", "br0"))
        run(in_ns(self.net.bridge_ns, "ip", "link", "set", self.port, "up"))
        run(in_ns(self.ns, "ip", "addr", "add", f"{self.addr}/24", "dev", "eth0"))
        run(in_ns(self.ns, "ip", "link", "set", "eth0", "up"))
        run(in_ns(self.ns, "ip", "link", "set", "lo", "up"))

    def call(self, fn, *args, **kw):
        """fn(*args, **kw) in a thread inside this node's namespace."""
        box = {}

        def target():
            try:
                enter(self.ns)
                box["v"] = fn(*args, **kw)
            except BaseException as e:  # pylint: disable=broad-except
                box["e"] = e
        t = threading.Thread(target=target, daemon=True)
        t.start()
        t.join()
        if "e" in box:
            raise box["e"]
        return box.get("v")

    def impair(self, loss=0.2, delay_ms=200, jitter_ms=50, reorder=0.25, seed=None):
        """Loss, delay with jitter and reordering on this node's link, both
        ways (see the module's comment for how)."""
        self.clear()
        if netem_available(self.ns, "eth0"):
            args = ["delay", f"{delay_ms}ms", f"{jitter_ms}ms", "distribution", "normal",
                    "loss", f"{loss * 100:g}%", "reorder", f"{reorder * 100:g}%", "50%"]
            run(in_ns(self.ns, "tc", "qdisc", "replace", "dev", "eth0", "root", "netem", *args))
            run(in_ns(self.net.bridge_ns, "tc", "qdisc", "replace", "dev", self.port, "root",
                      "netem", *args))
            self.impaired = "netem"
            return
        # Each direction loses `loss` and waits once: the same as netem on
        # both ends of the veth.
        for chain, opt in (("OUTPUT", "-o"), ("INPUT", "-i")):
            run(in_ns(self.ns, "iptables", "-w", "-A", chain, opt, "eth0", "-m", "statistic",
                      "--mode", "random", "--probability", f"{loss}", "-j", "DROP"))
            run(in_ns(self.ns, "iptables", "-w", "-A", chain, opt, "eth0", "-j", "NFQUEUE",
                      "--queue-num", "0", "--queue-bypass"))
        self._nfq = NfqDelay(self.ns, 0, delay_ms, jitter_ms, reorder, seed=seed).start()
        self.impaired = "nfqueue"

    def held(self):
        """Packets the delay has held so far (None with netem)."""
        return self._nfq.packets if self._nfq is not None else None

    def clear(self):
        if self.impaired == "netem":
            run(in_ns(self.ns, "tc", "qdisc", "del", "dev", "eth0", "root"), check=False)
            run(in_ns(self.net.bridge_ns, "tc", "qdisc", "del", "dev", self.port, "root"),
                check=False)
        elif self.impaired == "nfqueue":
            run(in_ns(self.ns, "iptables", "-w", "-F", "OUTPUT"), check=False)
            run(in_ns(self.ns, "iptables", "-w", "-F", "INPUT"), check=False)
            self._nfq.stop()
            self._nfq = None
        self.impaired = None

    def destroy(self):
        try:
            self.clear()
        finally:
            run(["ip", "netns", "del", self.ns], check=False)


class Net:
    """A bridge in a namespace of its own, and one namespace per node name."""

    def __init__(self, names):
        self.tag = f"{PREFIX}{os.getpid()}"
        self.bridge_ns = f"{self.tag}-br"
        self.nodes = {n: Node(self, n, i) for i, n in enumerate(names)}

    def create(self):
        remove_stale()
        try:
            run(["ip", "netns", "add", self.bridge_ns])
            run(in_ns(self.bridge_ns, "ip", "link", "add", "br0", "type", "bridge"))
            run(in_ns(self.bridge_ns, "ip", "link", "set", "br0", "up"))
            for node in self.nodes.values():
                node.create()
        except BaseException:
            self.destroy()
            raise
        return self

    def __getitem__(self, name):
        return self.nodes[name]

    def destroy(self):
        for node in self.nodes.values():
            node.destroy()
        run(["ip", "netns", "del", self.bridge_ns], check=False)


class NsClusterd(harness.Clusterd):
    """clusterd in a node's namespace on the default ports (5050, 8080,
    5051: each namespace has its own), bound to 0.0.0.0 and advertising the
    node's address; its HTTP calls go through the node's loopback."""

    def __init__(self, binary, work_dir, node, role, args=(), resources=None, env=None):
        super().__init__(binary, work_dir, role=role, args=args, env=env,
                         resources=resources or harness.DEFAULT_RESOURCES)
        self.node = node

    def command(self):
        cmd = [self.binary, self.role, f"--work_dir={self.work_dir}", "--ip=0.0.0.0",
               f"--advertise_ip={self.node.addr}", f"--hostname={self.node.name}",
               f"--port_file={self.port_file}", "--log_level=debug",
               "--docker_stop_timeout=1secs"]
        if self.role != "--master":
            cmd.append(f"--resources={self.resources}")
        return in_ns(self.node.ns, *cmd) + self.args

    def api(self, path, method="GET", base=None, timeout=30, **kw):
        return self.node.call(harness.Clusterd.api, self, path, method, base, timeout, **kw)
