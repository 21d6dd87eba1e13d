"""A multi-node clusterd cluster in network namespaces that the test creates.

Every node (a master, agents) gets a network namespace of its own with one
address on a private subnet, and a veth pair whose other end is a port of a
bridge that lives in a namespace of its own (nothing is added to the host's
namespace, so concurrent tests cannot collide, and each node can bind the
default ports 5050/8080/5051). Processes are started inside with
`nsenter --net=/run/netns/NAME` (not `ip netns exec`, which remounts /sys and
hides the cgroups dockerd needs); nsenter execs the program, so the pid the
test holds is clusterd's. The test itself reaches a node's HTTP endpoints
from a thread that entered the node's namespace (setns), on the node's
127.0.0.1: that path does not cross the links, so it stays open while a
node's link is cut.

Faults on the links:
- Node.link(False/True): the bridge's port of the node goes down or up: the
  node is cut off, silently (packets are dropped, no error comes back);
- Node.netem(...): `tc qdisc ... netem` on the node's interface (loss, delay,
  reordering); raises NetemUnavailable where the kernel lacks sch_netem, and
  tests using it skip then;
- Node.impair(loss, delay, jitter, reorder): a lossy link, both ways, with or
  without sch_netem: netem on both ends of the veth where the kernel has it,
  else from netfilter in the node's namespace: loss with iptables' statistic
  match, delay, jitter and reordering by holding packets in an NFQUEUE and
  giving each its verdict late (nfq_delay.NfqDelay).

Everything is torn down by the test that made it: clusterd processes by pid
(SIGTERM, then SIGKILL), their plain-process tasks by pid, the namespaces
deleted (which deletes the veths and the bridge). Namespaces are named
cdt<pid>-<node>; ones left by a test run whose process is gone are removed at
the next start.
"""

import concurrent.futures
import ctypes
import os
import subprocess

import clusterd_harness as harness
from nfq_delay import NfqDelay

CLONE_NEWNET = 0x40000000
PREFIX = "cdt"
SUBNET = "10.77.0"
DEFAULT_AGENT_RESOURCES = "cpus:2;mem:1024;disk:1000;ports:[31000-31099]"

_libc = ctypes.CDLL(None, use_errno=True)


class NetnsError(Exception):
    pass


class NetemUnavailable(NetnsError):
    pass


def _run(cmd, check=True):
    r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and r.returncode != 0:
        raise NetnsError(f"{' '.join(cmd)}: exit {r.returncode}: {r.stderr.strip()}")
    return r


def ns_cmd(ns, *cmd):
    """The argv that runs cmd inside namespace ns."""
    return ["nsenter", f"--net=/run/netns/{ns}", "--", *cmd]


def available():
    """Whether this process may create network namespaces (root, iproute2)."""
    if os.geteuid() != 0:
        return False
    name = f"{PREFIX}{os.getpid()}-probe"
    try:
        _run(["ip", "netns", "add", name])
    except (NetnsError, OSError):
        return False
    _run(["ip", "netns", "del", name], check=False)
    return True


def remove_stale():
    """Delete the namespaces of test runs whose process is gone."""
    r = _run(["ip", "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        if not name.startswith(PREFIX) or "-" not in name:
            continue
        pid = name[len(PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            _run(["ip", "netns", "del", name], check=False)


def enter(ns):
    """Move the calling thread into namespace ns."""
    fd = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns {ns}: {os.strerror(err)}")
    finally:
        os.close(fd)


class Node:
    """One namespace with one address on the bridge."""

    def __init__(self, net, name, index):
        self.net = net
        self.name = name
        self.ns = f"{net.tag}-{name}"
        self.addr = f"{SUBNET}.{index + 1}"
        self.port = f"p{index}"  # its bridge port, in the bridge namespace
        self._pool = None
        self.impaired = None  # "netem" or "nfqueue" while impair() holds
        self._nfq = None

    def create(self):
        _run(["ip", "netns", "add", self.ns])
        _run(["ip", "link", "add", "eth0", "netns", self.ns, "type", "veth", "peer", "name",
              self.port, "netns", self.net.bridge_ns])
        _run(ns_cmd(self.net.bridge_ns, "ip", "link", "set", self.port, "master", "br0"))
        _run(ns_cmd(self.net.bridge_ns, "ip", "link", "set", self.port, "up"))
        _run(ns_cmd(self.ns, "ip", "addr", "add", f"{self.addr}/24", "dev", "eth0"))
        _run(ns_cmd(self.ns, "ip", "link", "set", "eth0", "up"))
        _run(ns_cmd(self.ns, "ip", "link", "set", "lo", "up"))
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, initializer=enter, initargs=(self.ns,))

    def run(self, fn, *args, **kw):
        """Call fn in a thread inside this node's namespace; return its value."""
        return self._pool.submit(fn, *args, **kw).result()

    def link(self, up):
        """Connect (True) or cut off (False) the node, at its bridge port."""
        _run(ns_cmd(self.net.bridge_ns, "ip", "link", "set", self.port,
                    "up" if up else "down"))

    def netem(self, *args):
        """tc netem on the node's interface, e.g. netem("loss", "20%")."""
        r = _run(ns_cmd(self.ns, "tc", "qdisc", "replace", "dev", "eth0", "root", "netem", *args),
                 check=False)
        if r.returncode != 0:
            if "unknown" in r.stderr.lower() or "not supported" in r.stderr.lower():
                raise NetemUnavailable(f"tc netem is not available here: {r.stderr.strip()}")
            raise NetnsError(f"tc netem {' '.join(args)}: {r.stderr.strip()}")

    def netem_clear(self):
        _run(ns_cmd(self.ns, "tc", "qdisc", "del", "dev", "eth0", "root"), check=False)

    def impair(self, loss=0.2, delay_ms=200, jitter_ms=50, reorder=0.25, seed=None):
        """Loss, delay with jitter and reordering on this node's link, both
        ways (see the module's comment for how)."""
        self.clear()
        args = ["delay", f"{delay_ms}ms", f"{jitter_ms}ms", "distribution", "normal",
                "loss", f"{loss * 100:g}%", "reorder", f"{reorder * 100:g}%", "50%"]
        try:
            self.netem(*args)
            _run(ns_cmd(self.net.bridge_ns, "tc", "qdisc", "replace", "dev", self.port, "root",
                        "netem", *args))
            self.impaired = "netem"
            return
        except NetemUnavailable:
            pass
        # Each direction loses `loss` and waits once: the same as netem on
        # both ends of the veth.
        for chain, opt in (("OUTPUT", "-o"), ("INPUT", "-i")):
            _run(ns_cmd(self.ns, "iptables", "-w", "-A", chain, opt, "eth0", "-m", "statistic",
                        "--mode", "random", "--probability", f"{loss}", "-j", "DROP"))
            _run(ns_cmd(self.ns, "iptables", "-w", "-A", chain, opt, "eth0", "-j", "NFQUEUE",
                        "--queue-num", "0", "--queue-bypass"))
        self._nfq = NfqDelay(self.ns, enter, 0, delay_ms, jitter_ms, reorder, seed=seed).start()
        self.impaired = "nfqueue"

    def held(self):
        """Packets the NFQUEUE delay has held so far (None with netem)."""
        return self._nfq.packets if self._nfq is not None else None

    def clear(self):
        """Undo impair()."""
        if self.impaired == "netem":
            self.netem_clear()
            _run(ns_cmd(self.net.bridge_ns, "tc", "qdisc", "del", "dev", self.port, "root"),
                 check=False)
        elif self.impaired == "nfqueue":
            _run(ns_cmd(self.ns, "iptables", "-w", "-F", "OUTPUT"), check=False)
            _run(ns_cmd(self.ns, "iptables", "-w", "-F", "INPUT"), check=False)
            self._nfq.stop()
            self._nfq = None
        self.impaired = None

    def destroy(self):
        try:
            self.clear()
        except NetnsError:
            pass
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        _run(["ip", "netns", "del", self.ns], check=False)


class Network:
    """A bridge in a namespace of its own, and a node namespace per name."""

    def __init__(self, names):
        self.tag = f"{PREFIX}{os.getpid()}"
        self.bridge_ns = f"{self.tag}-br"
        self.nodes = {name: Node(self, name, i) for i, name in enumerate(names)}

    def create(self):
        remove_stale()
        try:
            _run(["ip", "netns", "add", self.bridge_ns])
            _run(ns_cmd(self.bridge_ns, "ip", "link", "add", "br0", "type", "bridge"))
            _run(ns_cmd(self.bridge_ns, "ip", "link", "set", "br0", "up"))
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
        _run(["ip", "netns", "del", self.bridge_ns], check=False)


class NsClusterd(harness.Clusterd):
    """A clusterd process inside a node's namespace, on the default ports."""

    def __init__(self, binary, work_dir, node, role, args=(), resources=None, secret=None):
        super().__init__(binary, work_dir, role=role, args=args,
                         resources=resources or DEFAULT_AGENT_RESOURCES)
        self.node = node
        self.secret = secret

    def command(self):
        cmd = [self.binary, self.role, f"--work_dir={self.work_dir}", "--ip=0.0.0.0",
               f"--advertise_ip={self.node.addr}", f"--hostname={self.node.name}",
               f"--port_file={self.port_file}", "--log_level=debug"]
        if self.role == "--agent":
            cmd.append(f"--resources={self.resources}")
        if self.secret:
            cmd.append(f"--agent_secret={self.secret}")
        return ns_cmd(self.node.ns, *cmd) + self.args

    def api(self, path, method="GET", base=None, timeout=30, **kw):
        return self.node.run(harness.Clusterd.api, self, path, method, base, timeout, **kw)


class Cluster:
    """One master and agents, each on its own node; stopped by close()."""

    def __init__(self, net, binary, base_dir, secret="netns-test-secret"):
        self.net = net
        self.binary = binary
        self.base_dir = str(base_dir)
        self.secret = secret
        self.instances = []
        self.master = None
        self.agents = []

    def _start(self, node, role, args, resources=None):
        inst = NsClusterd(self.binary, os.path.join(self.base_dir, node.name), node, role,
                          args=args, resources=resources, secret=self.secret)
        self.instances.append(inst)
        inst.start()
        return inst

    def start_master(self, *args, node="master"):
        self.master = self._start(self.net[node], "--master", list(args))
        return self.master

    def start_agent(self, node, *args, master=None, resources=None):
        """An agent on node, --containerizers=mesos; --master is the master's
        address without a port (5050) unless master is given."""
        master = master or self.master.node.addr
        inst = self._start(self.net[node], "--agent",
                           [f"--master={master}", "--containerizers=mesos", *args],
                           resources=resources)
        self.agents.append(inst)
        return inst

    def master_get(self, path):
        r = self.master.get(path, base=self.master.master_url, timeout=10)
        r.raise_for_status()
        return r.json()

    def active_agents(self):
        """Hostnames of the agents the master has active."""
        return sorted(s["hostname"] for s in self.master_get("/master/slaves")["slaves"]
                      if s["active"])

    def agent_of(self, hostname):
        for a in self.agents:
            if a.node.name == hostname:
                return a
        raise KeyError(hostname)

    def task_pids(self, task):
        """Sorted pids of a Marathon task's processes, on its agent."""
        return sorted(harness.task_pids(self.agent_of(task["host"]).work_dir, task["id"]))

    def all_task_pids(self):
        """Every plain-process task pid on every agent."""
        return sorted(p for a in self.agents for p in harness.task_pids(a.work_dir))

    def close(self):
        """Stop everything this cluster started; return a list of problems."""
        return harness.stop_all(self.instances)

