"""bench/dnsbench.py: the DNS section of bench/bench.py (issue 14).

Method, all on 127.0.0.1, in one run on the same machine:
  1. clusterd --all-in-one --containerizers=sim --dns_port=P with two apps:
     /bench-a (1 task) and /bench-srv (100 tasks, one port each).
  2. dnsmasq (Debian's dnsmasq-base, no service) on another port serving the
     same records: bench-a.marathon.mesos and the 100 SRV targets from a hosts
     file (--addn-hosts), the 100 SRV records as srv-host= lines, all read from
     clusterd's own TCP answer so both serve exactly the same data.
  3. dnsperf (Debian) against each, one after the other, --reps times:
       A     bench-a.marathon.mesos A over UDP (the everyday query);
       SRV   _bench-srv._tcp.marathon.mesos SRV with 100 answers over TCP
             (-m tcp: 100 SRV records do not fit in a UDP reply);
       SRVu  the same over UDP, without EDNS: both servers answer truncated
             (TC), which is what a client sees before it retries over TCP.
     dnsperf -c 4 clients, -q 100 outstanding queries (A, SRVu) or -q 10
     (SRV over TCP), for --seconds each. Figures: queries per second, lost.
  4. API latency: wrk (64 connections, as the api section) on
     GET /v2/apps/bench-a alone, then again while dnsperf sends A queries to
     clusterd at full speed, and at a fixed 10,000 queries/s; plus 200
     sequential single GETs each way. Everything shares the machine's 2 cores,
     so the full-speed run measures CPU contention as much as the loop.
  5. Where the DNS work runs: the CPU time of clusterd's threads (per
     /proc/<pid>/task) while dnsperf sends 10,000 A queries/s and nothing
     else runs, by thread name, in % of one core: the loop thread
     ("clusterd"; DNS is answered on it), and any other (libzookeeper's,
     none without --zk; a DNS thread, "clusterd-dns", in the prototype of
     branch wt/dnsthr).
Every process it starts is stopped by pid.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "tests", "it"))

from dnsutil import answers, free_dns_port, query  # noqa: E402  pylint: disable=wrong-import-position

DNSPERF_QPS = re.compile(r"Queries per second:\s+([\d.]+)")
DNSPERF_LOST = re.compile(r"Queries lost:\s+(\d+)")
DNSPERF_DONE = re.compile(r"Queries completed:\s+(\d+)")


def dnsperf(port, qfile, seconds, tcp=False, outstanding=100, clients=4, rate=None):
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile, "-l", str(seconds),
           "-c", str(clients), "-q", str(outstanding)]
    if tcp:
        cmd += ["-m", "tcp"]
    if rate:
        cmd += ["-Q", str(rate)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    out = {"qps": None, "lost": None, "completed": None}
    for rx, key, conv in ((DNSPERF_QPS, "qps", float), (DNSPERF_LOST, "lost", int),
                          (DNSPERF_DONE, "completed", int)):
        m = rx.search(r.stdout)
        if m:
            out[key] = conv(m.group(1))
    if out["qps"] is None:
        out["output"] = (r.stdout + r.stderr)[-1000:]
    return out


def start_dnsperf(port, qfile, seconds, rate=None):
    cmd = ["dnsperf", "-s", "127.0.0.1", "-p", str(port), "-d", qfile, "-l", str(seconds),
           "-c", "4", "-q", "100"]
    if rate:
        cmd += ["-Q", str(rate)]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def thread_ticks(pid):
    """CPU ticks (user + system) of each thread of pid, summed by name."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", encoding="utf-8") as f:
                st = f.read()
        except OSError:
            continue
        name = st[st.index("(") + 1:st.rindex(")")]
        fields = st[st.rindex(")") + 2:].split()
        out[name] = out.get(name, 0) + int(fields[11]) + int(fields[12])
    return out


def thread_cpu(pid, port, qfile, seconds):
    """% of one core per thread name of pid under 10,000 DNS q/s alone."""
    hz = os.sysconf("SC_CLK_TCK")
    load = start_dnsperf(port, qfile, seconds + 3, rate=10000)
    try:
        time.sleep(1.5)
        a, t0 = thread_ticks(pid), time.monotonic()
        time.sleep(seconds)
        b, t1 = thread_ticks(pid), time.monotonic()
    finally:
        load.communicate(timeout=seconds + 60)
    return {name: round(100.0 * (b[name] - a.get(name, 0)) / hz / (t1 - t0), 1)
            for name in b}


def srv_answer(port, name):
    msg = query(port, name, "SRV", tcp=True, timeout=10)
    return [(rd.target.to_text().rstrip("."), rd.port) for rd in answers(msg, "SRV")]


def bench_dns(ctx, reps, budget_s, seconds, summary, wrk, single_requests, budget_cls, H,
              clusterd_cls):
    tmp = os.path.join(ctx["tmp"], "dns")
    os.makedirs(tmp, exist_ok=True)
    port, mport = free_dns_port(), free_dns_port()
    res = {"method": __doc__.split("Method, ", 1)[1].split("Every process")[0].strip()}
    cd = clusterd_cls(ctx["binary"], os.path.join(tmp, "cd"), role="--all-in-one",
                      args=["--containerizers=sim", "--registry=in_memory",
                            f"--dns_port={port}"],
                      resources="cpus:64;mem:65536;disk:10000;ports:[31000-31999]")
    dnsmasq = None
    try:
        cd.start()
        for app, n in (("/bench-a", 1), ("/bench-srv", 100)):
            r = cd.post("/v2/apps", json={"id": app, "cmd": "sleep 1", "cpus": 0.01, "mem": 4,
                                          "instances": n, "portDefinitions": [{"port": 0}]})
            r.raise_for_status()
            cd.wait_running(app, n, timeout=120)
        srv = srv_answer(port, "_bench-srv._tcp.marathon.mesos")
        assert len(srv) == 100, srv
        hosts = os.path.join(tmp, "hosts")
        conf = os.path.join(tmp, "dnsmasq.conf")
        with open(hosts, "w", encoding="utf-8") as f:
            f.write("127.0.0.1 bench-a.marathon.mesos\n")
            f.writelines(f"127.0.0.1 {t}\n" for t, _ in srv)
        with open(conf, "w", encoding="utf-8") as f:
            f.writelines(f"srv-host=_bench-srv._tcp.marathon.mesos,{t},{p},0,1\n" for t, p in srv)
        dnsmasq = subprocess.Popen(
            ["dnsmasq", "-k", f"--port={mport}", "--listen-address=127.0.0.1",
             "--bind-interfaces", "--no-resolv", "--no-hosts", f"--addn-hosts={hosts}",
             f"--conf-file={conf}", "--pid-file=", "--user=root"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        H.wait_until(lambda: len(srv_answer(mport, "_bench-srv._tcp.marathon.mesos")) == 100,
                     timeout=20, what="dnsmasq answering")
        qa = os.path.join(tmp, "qa.txt")
        qs = os.path.join(tmp, "qs.txt")
        with open(qa, "w", encoding="utf-8") as f:
            f.write("bench-a.marathon.mesos A\n")
        with open(qs, "w", encoding="utf-8") as f:
            f.write("_bench-srv._tcp.marathon.mesos SRV\n")
        budget = budget_cls(budget_s)
        runs = {}
        for kind, qfile, tcp, q in (("a_udp", qa, False, 100), ("srv100_tcp", qs, True, 10),
                                    ("srv100_udp_truncated", qs, False, 100)):
            for who, p in (("clusterd", port), ("dnsmasq", mport)):
                runs.setdefault(kind, {})[who] = [
                    dnsperf(p, qfile, seconds, tcp=tcp, outstanding=q) for _ in range(reps)
                    if not budget.spent()] or [dnsperf(p, qfile, seconds, tcp=tcp, outstanding=q)]
        for kind, by in runs.items():
            res[kind] = {}
            for who, rs in by.items():
                res[kind][who] = {"qps": summary([r["qps"] for r in rs]),
                                  "lost": sum(r["lost"] or 0 for r in rs)}
                bad = [r["output"] for r in rs if "output" in r]
                if bad:
                    res[kind][who]["output"] = bad[0]
            c, m = res[kind]["clusterd"]["qps"]["median"], res[kind]["dnsmasq"]["qps"]["median"]
            res[kind]["ratio_vs_dnsmasq"] = c / m if c and m else None
        # API latency with and without DNS load on the same loop.
        url = f"{cd.url}/v2/apps/bench-a"
        api = {"alone": wrk(url, 64, seconds)}
        api["alone_single"] = single_requests(url, 200, budget_cls(60), base=cd.url)
        for label, rate in (("dns_full_speed", None), ("dns_10000qps", 10000)):
            load = start_dnsperf(port, qa, seconds + 8, rate=rate)
            try:
                time.sleep(2)
                api[label] = wrk(url, 64, seconds)
                api[label + "_single"] = single_requests(url, 200, budget_cls(60))
            finally:
                out, _ = load.communicate(timeout=seconds + 60)
            m = DNSPERF_QPS.search(out or "")
            api[label]["dns_qps_meanwhile"] = float(m.group(1)) if m else None
        res["api_get_app"] = api
        res["thread_cpu_pct_10000qps"] = thread_cpu(cd.pid(), port, qa, seconds)
    finally:
        if dnsmasq is not None:
            dnsmasq.send_signal(signal.SIGTERM)
            try:
                dnsmasq.wait(timeout=10)
            except subprocess.TimeoutExpired:
                dnsmasq.kill()
                dnsmasq.wait()
        if cd.running:
            cd.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return res


if __name__ == "__main__":
    print(json.dumps({"doc": __doc__}))
