"""Several clusterd masters and agents coordinated by a real ZooKeeper (issue 9).

- HaCluster(binary, base_dir, zk_url): --master processes with --zk and
  --agent processes with --master=zk://..., each a clusterd_harness.Clusterd
  on 127.0.0.1 with ports of its own (port 0) and its own --hostname; the
  agents run plain processes (--containerizers=mesos), so no dockerd is
  needed. close() stops them all by pid and kills their tasks' processes.
- leader() / wait_leader(): the master that says master/elected 1 in its
  /metrics/snapshot (exactly one, or the wait goes on); standbys say 0.
- snapshot(master, app): {task id: (host, pid)} of an app's running tasks,
  the pid read from /proc (the agents' sandboxes), so a test can check that
  a failover killed, replaced or restarted nothing.

The fixtures (ha_zk: one ZooKeeper server per module) come from zk_harness:
tests skip when ZooKeeper is not installed, or with CLUSTERD_TEST_ZK=0.
"""

import glob
import os
import time

import clusterd_harness as harness
from clusterd_harness import wait_until

AGENT_RESOURCES = "cpus:2;mem:1024;disk:1000;ports:[31000-31099]"
SESSION = "2secs"
SESSION_S = 2.0


class HaCluster:
    def __init__(self, binary, base_dir, zk_url, session=SESSION, master_args=(),
                 agent_args=()):
        self.binary = binary
        self.base_dir = str(base_dir)
        self.zk_url = zk_url
        self.session = session
        self.master_args = list(master_args)
        self.agent_args = list(agent_args)
        self.masters = []
        self.agents = []
        self.instances = []

    def _new(self, name, role, args):
        inst = harness.Clusterd(self.binary, os.path.join(self.base_dir, name), role=role,
                                args=args, resources=AGENT_RESOURCES)
        inst.name = name
        self.instances.append(inst)
        return inst

    def start_master(self, name=None, *extra):
        name = name or f"m{len(self.masters)}"
        m = self._new(name, "--master", [f"--zk={self.zk_url}", f"--hostname={name}",
                                         f"--zk_session_timeout={self.session}",
                                         *self.master_args, *extra])
        self.masters.append(m)
        m.start()
        return m

    def start_agent(self, name=None, *extra):
        name = name or f"a{len(self.agents)}"
        a = self._new(name, "--agent", [f"--master={self.zk_url}", f"--hostname={name}",
                                        "--containerizers=mesos", *self.agent_args, *extra])
        self.agents.append(a)
        a.start()
        return a

    # -- who leads ----------------------------------------------------------

    @staticmethod
    def elected(m):
        if not m.running:
            return False
        r = m.get("/metrics/snapshot", base=m.master_url, timeout=5)
        return r.status_code == 200 and r.json().get("master/elected") == 1.0

    def leaders(self):
        return [m for m in self.masters if self.elected(m)]

    def leader(self):
        ls = self.leaders()
        return ls[0] if len(ls) == 1 else None

    def wait_leader(self, timeout=30, exclude=()):
        """The one master that leads (and is not in exclude)."""
        def one():
            ls = [m for m in self.leaders() if m not in exclude]
            return ls[0] if len(ls) == 1 and len(self.leaders()) == 1 else None
        return wait_until(one, timeout=timeout, interval=0.1, what="exactly one leader")

    def standbys(self):
        lead = self.leader()
        return [m for m in self.masters if m.running and m is not lead]

    # -- agents and tasks -----------------------------------------------------

    @staticmethod
    def master_json(m, path):
        r = m.get(path, base=m.master_url, timeout=10)
        r.raise_for_status()
        return r.json()

    def active_agents(self, m):
        return sorted(s["hostname"] for s in self.master_json(m, "/master/slaves")["slaves"]
                      if s["active"])

    def agent_names(self):
        return sorted(a.name for a in self.agents if a.running)

    def wait_agents(self, m, timeout=30):
        want = self.agent_names()
        return wait_until(lambda: self.active_agents(m) == want, timeout=timeout, interval=0.1,
                          what=f"agents {want} active on {m.name}")

    def agent_of(self, host):
        for a in self.agents:
            if a.name == host:
                return a
        raise KeyError(host)

    def snapshot(self, m, app_id):
        """{task id: (host, pid)} of the app's running tasks: the pid of the
        task's process (its first: health check commands come and go with
        the task's environment, and later pids)."""
        out = {}
        for t in m.running_tasks(app_id):
            pids = harness.task_pids(self.agent_of(t["host"]).work_dir, t["id"])
            assert pids, f"task {t['id']} has no process on {t['host']}"
            out[t["id"]] = (t["host"], min(pids))
        return out

    def all_pids(self):
        """The first process of every task on every agent."""
        out = []
        for a in self.agents:
            by_task = {}
            for d in glob.glob(os.path.join(a.work_dir, "slaves", "*", "frameworks", "*",
                                            "executors", "*")):
                pids = harness.task_pids(a.work_dir, os.path.basename(d))
                if pids:
                    by_task[os.path.basename(d)] = min(pids)
            out += by_task.values()
        return sorted(out)

    def close(self):
        return harness.stop_all(self.instances)


def post_app(m, app_id, n, **extra):
    body = {"id": app_id, "cmd": "sleep 100000", "cpus": 0.1, "mem": 16, "instances": n}
    body.update(extra)
    r = m.post("/v2/apps", json=body)
    assert r.status_code == 201, r.text
    return r


def write_ok(m):
    """A write answered 2xx by m (through it, when it relays)."""
    r = m.put("/v2/apps/ha-probe", json={"cmd": "sleep 100000", "cpus": 0.01, "mem": 8,
                                         "instances": 0}, timeout=10)
    return 200 <= r.status_code < 300


def timed(fn, timeout, what):
    """Seconds until fn() holds (polled every 50 ms)."""
    start = time.monotonic()
    wait_until(fn, timeout=timeout, interval=0.05, what=what)
    return time.monotonic() - start
