"""The failover section of bench/bench.py (issue 9, SPEC section 9).

Method (everything on loopback, ZooKeeper started here: Debian's zookeeperd,
one server, through tests/it/zk_harness.py, as the t6 tests start it):
  kill9      three `clusterd --master --zk` with the default session timeout
             (10 s); kill -9 of the leader, then a write (PUT of an app with
             0 instances) sent every 50 ms to one of the others until one is
             answered 2xx: the time from the kill to that answer (the
             target: < session timeout + 2 s), and to the election. The
             killed master is started again (a standby) before the next
             repetition. The same with SIGTERM (the leader withdraws: no
             session to wait out).
  fleet      two masters with --zk, bench/sim_agents with 1,000 agents
             following the leader (--master=zk://), 100 apps x 100 instances
             (--containerizers=sim, posted 10 apps at a time): the launch
             time of the 10,000 tasks with the state in ZooKeeper; then the
             leader stopped (SIGTERM, then kill -9 of the next one): the time
             from the new leader's election until every agent is active on
             it, and until it and its scheduler count every task running
             again (reconciled), with the tasks' ids unchanged.
  lmdb       the same 10,000-task launch on one `clusterd --master` with
             LMDB, and the latency of an API write (sequential PUTs, one
             connection each) on both: the cost of keeping the state in
             ZooKeeper.
"""

import os
import statistics
import time

import requests

import zk_harness

SESSION_S = 10.0


def _write(cd, app="/bench/probe", timeout=10):
    try:
        r = cd.put(f"/v2/apps{app}", json={"cmd": "sleep 1000000", "cpus": 0.01, "mem": 1,
                                          "instances": 0}, timeout=timeout)
        return 200 <= r.status_code < 300
    except requests.RequestException:
        return False


def _elected(cd):
    try:
        r = cd.get("/metrics/snapshot", base=cd.master_url, timeout=5)
        return r.status_code == 200 and r.json().get("master/elected") == 1.0
    except (requests.RequestException, ValueError):
        return False


def _leader(masters, H, timeout=60):
    def one():
        ls = [m for m in masters if m.running and _elected(m)]
        return ls[0] if len(ls) == 1 else None
    return H.wait_until(one, timeout=timeout, interval=0.05, what="one leader")


def _masters(ctx, BenchClusterd, tag, n, zk_url, extra=()):
    out = []
    for i in range(n):
        m = BenchClusterd(ctx["binary"], os.path.join(ctx["tmp"], f"{tag}-m{i}"),
                          role="--master", args=[f"--zk={zk_url}", f"--hostname={tag}-m{i}",
                                                 *extra])
        m.start()
        out.append(m)
    return out


def _kill_to_write(masters, H, how, reps, budget):
    to_write, to_elect = [], []
    for _ in range(reps):
        if budget.spent():
            break
        lead = _leader(masters, H)
        rest = [m for m in masters if m is not lead]
        assert _write(lead)
        t0 = time.monotonic()
        if how == "kill9":
            lead.kill9()
        else:
            lead.stop()
        elect = None
        while time.monotonic() - t0 < SESSION_S + 30:
            if elect is None and any(_elected(m) for m in rest):
                elect = time.monotonic() - t0
            if _write(rest[0], timeout=5):
                break
            time.sleep(0.05)
        to_write.append(time.monotonic() - t0)
        to_elect.append(elect if elect is not None else to_write[-1])
        lead.start()
        H.wait_until(lambda: len([m for m in masters if _elected(m)]) == 1, timeout=60,
                     what="one leader again")
    return to_write, to_elect


def _launch(cd, H, n_apps, per_app, timeout):
    """Post n_apps x per_app sim tasks, 10 apps at a time; seconds until all run."""
    t0 = time.monotonic()

    def running():
        return sum(a["tasksRunning"] for a in cd.get("/v2/apps", timeout=120).json()["apps"])
    for b in range(0, n_apps, 10):
        for i in range(b, min(b + 10, n_apps)):
            r = cd.post("/v2/apps", json={"id": f"/bench/fo/a{i:03d}", "cmd": "sleep 1000000",
                                          "cpus": 0.01, "mem": 1, "instances": per_app,
                                          "portDefinitions": []}, timeout=60)
            r.raise_for_status()
        goal = min(b + 10, n_apps) * per_app
        H.wait_until(lambda g=goal: running() >= g, timeout=timeout, interval=1.0,
                     what=f"{goal} running tasks")
    return time.monotonic() - t0


def _counts(cd):
    snap = cd.get("/metrics/snapshot", base=cd.master_url, timeout=30).json()
    apps = cd.get("/v2/apps", timeout=60).json()["apps"]
    return (snap.get("master/slaves_active"), snap.get("master/tasks_running"),
            sum(a["tasksRunning"] for a in apps))


def _task_ids(cd):
    r = cd.get("/v2/tasks", timeout=120)
    r.raise_for_status()
    return sorted(t["id"] for t in r.json()["tasks"])


def _fleet_failover(masters, fleet_n, n_tasks, H, how):
    lead = _leader(masters, H)
    rest = [m for m in masters if m is not lead]
    ids = _task_ids(lead)
    t0 = time.monotonic()
    if how == "kill9":
        lead.kill9()
    else:
        lead.stop()
    new = _leader(rest, H, timeout=SESSION_S + 60)
    elected = time.monotonic() - t0
    t1 = time.monotonic()
    agents = reconciled = None
    while time.monotonic() - t1 < 120:
        try:
            active, m_run, s_run = _counts(new)
        except (requests.RequestException, ValueError):
            time.sleep(0.1)
            continue
        if agents is None and active == fleet_n:
            agents = time.monotonic() - t1
        if active == fleet_n and m_run == n_tasks and s_run == n_tasks:
            reconciled = time.monotonic() - t1
            break
        time.sleep(0.1)
    same = _task_ids(new) == ids
    lead.start()
    return {"how": how, "elected_s": elected, "agents_active_after_election_s": agents,
            "reconciled_after_election_s": reconciled, "task_ids_unchanged": same,
            "tasks": len(ids)}


def _write_latency(cd, n):
    ms = []
    for i in range(n):
        t0 = time.monotonic()
        r = requests.put(f"{cd.url}/v2/apps/bench/latency",
                         json={"cmd": "sleep 1000000", "cpus": 0.01, "mem": 1, "instances": 0,
                               "labels": {"i": str(i)}}, timeout=30)
        ms.append((time.monotonic() - t0) * 1000)
        r.raise_for_status()
    ms.sort()
    return {"n": n, "p50_ms": round(statistics.median(ms), 2),
            "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 2),
            "max_ms": round(ms[-1], 2)}


def bench_failover(ctx, reps, budget_s, quick, summary, log, H, BenchClusterd, SimAgents,
                   Budget):
    why = zk_harness.available()
    if why:
        return {"skipped": why}
    budget = Budget(budget_s)
    fleet_n, n_apps, per_app = (50, 10, 10) if quick else (1000, 100, 100)
    n_tasks = n_apps * per_app
    res = {"session_timeout_s": SESSION_S, "agents": fleet_n, "tasks": n_tasks}
    zk = zk_harness.ZkEnsemble(os.path.join(ctx["tmp"], "fo-zk"), 1).start()
    started = []
    fleet = None
    try:
        # kill -9 / SIGTERM of the leader -> writes served again.
        ms = _masters(ctx, BenchClusterd, "fo", 3, zk.url("/bench-kill"))
        started += ms
        for how in ("kill9", "sigterm"):
            w, e = _kill_to_write(ms, H, how, reps, budget)
            res[f"{how}_to_write"] = summary(w)
            res[f"{how}_to_elected"] = summary(e)
            log(f"failover {how}: a write after {res[f'{how}_to_write']['median']} s "
                f"(elected after {res[f'{how}_to_elected']['median']} s)")
        for m in ms:
            m.close()

        # 1,000 agents, 10,000 tasks, state in ZooKeeper.
        fm = _masters(ctx, BenchClusterd, "fz", 2, zk.url("/bench-fleet"))
        started += fm
        lead = _leader(fm, H)
        fleet = SimAgents(ctx["sim_agents"], os.path.join(ctx["tmp"], "fo-fleet"),
                          zk.url("/bench-fleet"), fleet_n)
        fleet.start()
        H.wait_until(lambda: _counts(lead)[0] == fleet_n, timeout=180, interval=0.5,
                     what="the fleet registered")
        res["zk_launch_s"] = _launch(lead, H, n_apps, per_app, 600)
        log(f"failover: {n_tasks} tasks launched in {res['zk_launch_s']:.1f} s (ZooKeeper)")
        res["zk_write_latency"] = _write_latency(lead, 20 if quick else 200)
        res["fleet_failovers"] = []
        for how in ("sigterm", "kill9"):
            res["fleet_failovers"].append(_fleet_failover(fm, fleet_n, n_tasks, H, how))
            log(f"failover: fleet {res['fleet_failovers'][-1]}")
        lead = _leader(fm, H, timeout=SESSION_S + 60)
        res["zk_state"] = {k: v for k, v in lead.get("/metrics").json()["gauges"].items()
                           if k.startswith("clusterd.zk.")}
        fleet.close()
        fleet = None
        for m in fm:
            m.close()

        # The same launch and writes with LMDB.
        lm = BenchClusterd(ctx["binary"], os.path.join(ctx["tmp"], "fo-lmdb"), role="--master")
        lm.start()
        started.append(lm)
        fleet = SimAgents(ctx["sim_agents"], os.path.join(ctx["tmp"], "fo-fleet-lmdb"),
                          f"127.0.0.1:{lm.ports['master']}", fleet_n)
        fleet.start()
        H.wait_until(lambda: _counts(lm)[0] == fleet_n, timeout=180, interval=0.5,
                     what="the fleet registered (LMDB)")
        res["lmdb_launch_s"] = _launch(lm, H, n_apps, per_app, 600)
        log(f"failover: {n_tasks} tasks launched in {res['lmdb_launch_s']:.1f} s (LMDB)")
        res["lmdb_write_latency"] = _write_latency(lm, 20 if quick else 200)
    finally:
        if fleet is not None:
            fleet.close()
        for m in started:
            m.close()
        zk.close()
    return res
