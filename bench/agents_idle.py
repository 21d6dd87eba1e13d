#!/usr/bin/python3
"""bench/agents_idle.py: what N simulated agents cost an idle master, and a
small launch over them, for one or more clusterd binaries side by side.

For each binary: clusterd --master and N agents of bench/sim_agents (fleets
of PER_FLEET, one process each); the seconds until all are registered; the
master's CPU over 60 s with nothing to do but ping them (perf record -g of
10 s of that written beside the results); its descriptors; then 20 apps x
100 instances with ["hostname","UNIQUE"], the seconds until all 2,000 run
and the master's CPU meanwhile. Used for issue 15 item 4 (BENCHMARKS.md,
"100,000 tasks end to end"); needs root only for perf.

    /usr/bin/python3 bench/agents_idle.py --agents 10000 --out R.json \\
        old=/tmp/clusterd-old new=./clusterd
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402  pylint: disable=wrong-import-position

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one(name, binary, sim, n, per_fleet, out_dir):
    tmp = tempfile.mkdtemp(prefix=f"idle-{name}-", dir="/tmp")
    res = {"binary": binary}
    cd = B.BenchClusterd(shutil.copy(binary, os.path.join(tmp, "clusterd")),
                         os.path.join(tmp, "m"), role="--master")
    fleets = []
    try:
        cd.start()
        master = f"127.0.0.1:{cd.ports['master']}"
        t0 = time.monotonic()
        for k in range(0, n, per_fleet):
            f = B.SimAgents(sim, os.path.join(tmp, f"f{k}"), master, min(per_fleet, n - k),
                            first=k, resources="cpus:16;mem:65536;disk:100000;ports:[31000-32000]")
            fleets.append(f)
            f.start(timeout=600)

        def registered():
            r = cd.get("/master/slaves", base=cd.master_url, timeout=120)
            return len(r.json()["slaves"]) if r.status_code == 200 else -1
        res["registered_s"] = B.wait_count(registered, n, 900, 1.0)
        res["registered_s"] = res["registered_s"] and time.monotonic() - t0
        time.sleep(20)
        if shutil.which("perf") and os.geteuid() == 0:
            subprocess.run(["perf", "record", "-q", "-g", "-o",
                            os.path.join(out_dir, f"agents-idle-{name}.perf"),
                            "-p", str(cd.pid()), "--", "sleep", "10"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        mark = B.cpu_mark(cd.pid())
        time.sleep(60)
        res["idle_cpu_pct"] = B.cpu_pct_since(cd.pid(), mark)
        res["master_fds"] = len(os.listdir(f"/proc/{cd.pid()}/fd"))
        mark, t0 = B.cpu_mark(cd.pid()), time.monotonic()
        for i in range(20):
            cd.post("/v2/apps", json={"id": f"/idle/a{i}", "cmd": "sleep 100000", "cpus": 0.01,
                                      "mem": 1, "instances": 100, "portDefinitions": [],
                                      "constraints": [["hostname", "UNIQUE"]]},
                    timeout=120).raise_for_status()

        def running():
            return sum(a["tasksRunning"] for a in cd.get("/v2/apps", timeout=120).json()["apps"])
        done = B.wait_count(running, 2000, 600, 1.0)
        dt = time.monotonic() - t0
        res["launch_2000_s"] = dt if done is not None else None
        res["launch_cpu_pct"] = B.cpu_pct_since(cd.pid(), mark)
        res["master_rss_mib"] = B.proc_status(cd.pid())["VmRSS"] / 1024
    finally:
        for f in fleets:
            f.close()
        cd.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--agents", type=int, default=10000)
    ap.add_argument("--per-fleet", type=int, default=1000)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--out", required=True)
    ap.add_argument("binaries", nargs="+", help="name=path")
    a = ap.parse_args()
    B.raise_nofile(B.SYSTEMD_NOFILE)
    sim_tmp = tempfile.mkdtemp(prefix="idle-sim-", dir="/tmp")
    sim = shutil.copy(os.path.join(a.build, "bench", "sim_agents"), sim_tmp)
    out = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "machine": B.machine(), "agents": a.agents, "results": {}}
    try:
        for spec in a.binaries:
            name, _, path = spec.partition("=")
            out["results"][name] = one(name, path, sim, a.agents, a.per_fleet,
                                       os.path.dirname(os.path.abspath(a.out)))
            print(name, json.dumps(out["results"][name]), flush=True)
    finally:
        shutil.rmtree(sim_tmp, ignore_errors=True)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
