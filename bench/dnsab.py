"""bench/dnsab.py: the API's latency without and with DNS load, for two
builds in turn (issue 14's "no effect on API latency"), so that the two
share the machine's load of the moment, which on 2 shared cores moves the
figures of a single run more than the change under test does.

    /usr/bin/python3 bench/dnsab.py BEFORE_BINARY AFTER_BINARY [ROUNDS] > out.json

Per round and binary: clusterd --all-in-one --containerizers=sim with
--dns_port and one app (/bench-a); then GET /v2/apps/bench-a with wrk (64
connections, 5 s) and 300 single GETs one after the other, first alone,
then while dnsperf sends bench-a.marathon.mesos A at 10,000 queries/s.
Prints one JSON object: the runs, and the medians over the rounds. Every
process it starts is stopped by pid.
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "it"))
sys.path.insert(0, HERE)

import bench  # noqa: E402  pylint: disable=wrong-import-position
from dnsutil import free_dns_port  # noqa: E402  pylint: disable=wrong-import-position


def singles(sess, url, n=300):
    ms = []
    for _ in range(n):
        t0 = time.perf_counter()
        sess.get(url, timeout=10).raise_for_status()
        ms.append((time.perf_counter() - t0) * 1000)
    ms.sort()
    return {"median_ms": statistics.median(ms), "p99_ms": ms[int(len(ms) * 0.99)]}


def one_run(binary):
    port, api = free_dns_port(), free_dns_port()
    work = tempfile.mkdtemp(prefix="dnsab-")
    with open(os.path.join(work, "log"), "w", encoding="utf-8") as log:
        p = subprocess.Popen(
            [binary, "--all-in-one", f"--work_dir={work}", "--ip=127.0.0.1",
             f"--http_port={api}", "--master_port=0", "--agent_port=0",
             "--containerizers=sim", "--registry=in_memory", f"--dns_port={port}",
             "--resources=cpus:64;mem:65536;disk:10000;ports:[31000-31999]"],
            stdout=subprocess.DEVNULL, stderr=log)
    try:
        base = f"http://127.0.0.1:{api}"
        bench.H.wait_until(lambda: requests.get(f"{base}/ping", timeout=1).ok, timeout=30,
                           what="clusterd up")
        requests.post(f"{base}/v2/apps", timeout=10, json={
            "id": "/bench-a", "cmd": "sleep 1", "cpus": 0.01, "mem": 4, "instances": 1,
            "portDefinitions": [{"port": 0}]}).raise_for_status()
        bench.H.wait_until(
            lambda: requests.get(f"{base}/v2/apps/bench-a", timeout=5).json()["app"]
            ["tasksRunning"] == 1, timeout=60, what="/bench-a running")
        url = f"{base}/v2/apps/bench-a"
        qfile = os.path.join(work, "q")
        with open(qfile, "w", encoding="utf-8") as f:
            f.write("bench-a.marathon.mesos A\n")
        sess = requests.Session()
        out = {"alone": bench.wrk(url, 64, 5)}
        out["alone_single"] = singles(sess, url)
        load = subprocess.Popen(
            ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile, "-l", "14", "-c", "4",
             "-q", "100", "-Q", "10000"], stdout=subprocess.PIPE, text=True)
        try:
            time.sleep(2)
            out["dns_10000qps"] = bench.wrk(url, 64, 5)
            out["dns_10000qps_single"] = singles(sess, url)
        finally:
            text, _ = load.communicate(timeout=60)
        m = bench.dnsbench.DNSPERF_QPS.search(text or "")
        out["dns_qps_meanwhile"] = float(m.group(1)) if m else None
        return out
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def main():
    bins = {"before": sys.argv[1], "after": sys.argv[2]}
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
    runs = {k: [] for k in bins}
    for _ in range(rounds):
        for k, b in bins.items():
            runs[k].append(one_run(b))
            print(k, json.dumps(runs[k][-1]), file=sys.stderr, flush=True)
    med = {}
    for k, rs in runs.items():
        med[k] = {
            f"{phase}_{what}": statistics.median(r[phase][what] for r in rs)
            for phase, what in (("alone", "p99_ms"), ("alone", "rps"), ("dns_10000qps", "p99_ms"),
                                ("dns_10000qps", "rps"), ("alone_single", "median_ms"),
                                ("alone_single", "p99_ms"), ("dns_10000qps_single", "median_ms"),
                                ("dns_10000qps_single", "p99_ms"))}
    print(json.dumps({"doc": __doc__, "binaries": bins, "rounds": rounds, "median": med,
                      "runs": runs}, indent=1))


if __name__ == "__main__":
    main()
