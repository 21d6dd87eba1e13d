#!/usr/bin/env python3
"""Summarise a bench/results/*.json file as Markdown tables, beside the
targets of SPEC section 9 (met / MISSED and by how much).

    summary.py bench/results/20260101T000000Z.json
"""

import json
import sys


def med(x, key="median"):
    if not isinstance(x, dict):
        return None
    return x.get(key)


def fmt(v, unit="", digits=3):
    if v is None:
        return "n/a"
    if isinstance(v, float):
        if abs(v) >= 100:
            s = f"{v:,.0f}"
        elif abs(v) >= 10:
            s = f"{v:.1f}"
        else:
            s = f"{v:.{digits}g}"
    else:
        s = f"{v:,}"
    return s + unit


def spread(x, unit="", scale=1.0):
    """median (min-max) of a summary."""
    if not isinstance(x, dict) or x.get("median") is None:
        return "n/a"
    return (f"{fmt(x['median'] * scale, unit)} ({fmt(x['min'] * scale)}"
            f"–{fmt(x['max'] * scale)}, n={x.get('n', len(x.get('runs', [])))})")


def verdict(value, target, lower_is_better=True):
    if value is None:
        return "not measured"
    ok = value <= target if lower_is_better else value >= target
    if ok:
        return "met"
    by = value / target if lower_is_better else target / value
    return f"MISSED ({by:.2f}x)"


def rows(table):
    out = ["| what | result: median (min–max, runs) | target | verdict |",
           "|---|---|---|---|"]
    out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in table]
    return "\n".join(out)


def launch(r):
    t = []
    for n, e in r.get("by_n", {}).items():
        for v in ("1s", "100ms"):
            rt = e.get(f"ratio_{v}") or {}
            target = "≤ 1.15" if n == "50" else "—"
            ver = verdict(rt.get("median"), 1.15) if n == "50" else ""
            t.append((f"N={n}, allocation_interval {v}: clusterd / raw (Docker's StartedAt)",
                      f"{spread(rt)}; clusterd {spread(e.get(f'clusterd_{v}_docker_s'), ' s')}"
                      f", raw {spread(e.get('raw_s'), ' s')} (its calls returned: "
                      f"{spread(e.get('raw_calls_s'), ' s')}); clusterd's API said N running: "
                      f"{spread(e.get(f'clusterd_{v}_api_s'), ' s')}", target, ver))
    return t


def fetch(r):
    size = r.get("size_mib", 0)
    return [
        ("plain-process task, PUT to running, no fetch", spread(r.get("none_s"), " s"), "—", ""),
        (f"the same, fetching a {size} MiB tar.gz (download and extraction)",
         spread(r.get("fetched_s"), " s"), "—", ""),
        (f"the same, the {size} MiB tar.gz from the fetcher's cache",
         spread(r.get("cached_s"), " s"), "—", ""),
    ]


def swarm(r):
    if "error" in r and "scale" not in r:
        return [("swarm mode", r["error"], "runs", "NOT RUN")]
    t = []
    s = r.get("scale", {})
    for a, b in (("0_20", "0→20"), ("20_100", "20→100")):
        t.append((f"scale {b}: clusterd / swarm",
                  f"{spread(s.get(f'ratio_clusterd_to_swarm_{a}'))}; clusterd "
                  f"{spread(s.get(f'clusterd_{a}_s'), ' s')}, swarm "
                  f"{spread(s.get(f'swarm_{a}_s'), ' s')}", "—", ""))
        t.append((f"scale {b}: clusterd / raw floor",
                  spread(s.get(f"ratio_clusterd_to_raw_{a}")), "—", ""))
        t.append((f"scale {b}: swarm / raw floor",
                  spread(s.get(f"ratio_swarm_to_raw_{a}")), "—", ""))
    h = r.get("self_healing", {})
    t.append(("self-healing: clusterd (backoff 1 s)", spread(h.get("clusterd_s"), " s"), "—", ""))
    t.append(("self-healing: swarm default (restart delay 5 s)",
              spread(h.get("swarm_default_s"), " s"), "—", ""))
    t.append(("self-healing: swarm --restart-delay 0s",
              spread(h.get("swarm_restart_delay_0_s"), " s"), "—", ""))
    u = r.get("rolling_update", {})
    t.append(("rolling update of 20: clusterd default upgradeStrategy",
              spread(u.get("clusterd_default_s"), " s"), "—", ""))
    t.append(("rolling update of 20: swarm defaults", spread(u.get("swarm_default_s"), " s"),
              "—", ""))
    t.append(("rolling update of 20: swarm tuned", spread(u.get("swarm_tuned_s"), " s"), "—", ""))
    return t


def ratio_cell(x):
    """median (min-max, n) of a ratio dict from bench.ratio()."""
    if not isinstance(x, dict) or x.get("median_of_medians") is None:
        return "n/a"
    if x.get("median") is None:
        return fmt(x["median_of_medians"], "x")
    return f"{fmt(x['median_of_medians'], 'x')} (rounds {spread(x)})"


def api(r):
    t = []
    base = r.get("baseline") or {}
    ng = r.get("nginx") or {}

    def both(key, label, target="—", check=None):
        g, b = r.get(key, {}), base.get(key, {})
        cell = spread(g.get("rps"))
        if b:
            cell += f"; baseline {spread(b.get('rps'))}"
        t.append((label, cell, target, check(g) if check else ""))
        t.append((label.replace(": req/s", "") + ": p50 / p99 / max ms",
                  f"{spread(g.get('p50_ms'))} / {spread(g.get('p99_ms'))} / "
                  f"{spread(g.get('max_ms'))}" + (
                      f"; baseline {spread(b.get('p50_ms'))} / {spread(b.get('p99_ms'))} / "
                      f"{spread(b.get('max_ms'))}" if b else ""),
                  "p99 < 10 ms" if key == "get_app" else "—",
                  verdict(med(g.get("p99_ms")), 10) if key == "get_app" else ""))

    if not r.get("state_only"):
        both("get_app", "GET /v2/apps/{id}, 1,000 apps, 64 conns: req/s", "≥ 20,000",
             lambda g: verdict(med(g.get("rps")), 20000, lower_is_better=False))
        t.append(("GET /v2/apps, 1,000 apps, one request at a time: ms",
                  spread((r.get("get_apps_single") or {}).get("ms")) + (
                      f"; baseline {spread((base.get('get_apps_single') or {}).get('ms'))}"
                      if base else ""), "—", ""))
        both("get_apps", f"GET /v2/apps, 1,000 apps ({fmt(r.get('get_apps_bytes'), ' B')}), "
             "64 conns: req/s")
        if "get_apps_gzip" in r:
            g = r["get_apps_gzip"]
            t.append((f"GET /v2/apps with Accept-Encoding: gzip "
                      f"({fmt(r.get('get_apps_gzip_bytes'), ' B')}), 64 conns: req/s; p99 ms",
                      f"{spread(g.get('rps'))}; {spread(g.get('p99_ms'))}", "—", ""))
        for w in ("1", "auto"):
            g = ng.get(f"workers_{w}")
            if g:
                t.append((f"nginx, the same bytes from a file, worker_processes {w}: req/s",
                          spread(g.get("rps")), "—", ""))
        for w in ("1", "auto"):
            x = r.get(f"get_apps_vs_nginx_{w}")
            if x:
                v = x.get("median_of_medians")
                t.append((f"GET /v2/apps / nginx (worker_processes {w}), req/s", ratio_cell(x),
                          "≥ 0.5", verdict(v, 0.5, lower_is_better=False)))
                bx = base.get(f"get_apps_vs_nginx_{w}")
                if bx:
                    t.append((f"baseline GET /v2/apps / nginx (worker_processes {w}), req/s",
                              ratio_cell(bx), "—", ""))
        for key in ("get_apps", "get_app"):
            if r.get(f"{key}_vs_baseline"):
                t.append((f"{'GET /v2/apps' if key == 'get_apps' else 'GET /v2/apps/{id}'}: "
                          "clusterd / baseline, req/s", ratio_cell(r[f"{key}_vs_baseline"]),
                          "—", ""))
    n = r.get("tasks_running")
    t.append(("tasks running for the state endpoints (wanted 10,000)",
              f"{fmt(n)} on {fmt(r.get('agents', 1000))} simulated agents, "
              f"{fmt(r.get('tasks_per_s'), ' tasks/s')}" + (
                  f"; baseline {fmt(base.get('tasks_running'))}, "
                  f"{fmt(base.get('tasks_per_s'), ' tasks/s')}" if base else ""),
              "10,000", ""))
    for key, label in (("get_apps_embed_tasks", "GET /v2/apps?embed=apps.tasks"),
                       ("get_tasks", "GET /v2/tasks"),
                       ("get_master_state", "GET /master/state")):
        g = r.get(key, {})
        if not g and not r.get(key + "_single"):
            continue
        g1 = (r.get(key + "_single") or {}).get("ms", {})
        b, b1 = base.get(key, {}), (base.get(key + "_single") or {}).get("ms", {})
        t.append((f"{label}, one request at a time: ms",
                  spread(g1) + (f"; baseline {spread(b1)}" if b else ""), "< 50 ms",
                  verdict(med(g1), 50)))
        target = "≥ 500" if key == "get_master_state" else "—"
        t.append((f"{label}, 64 conns: req/s; p50 / p99 ms",
                  f"{spread(g.get('rps'))}; {spread(g.get('p50_ms'))} / "
                  f"{spread(g.get('p99_ms'))}" + (
                      f"; baseline {spread(b.get('rps'))}; {spread(b.get('p50_ms'))} / "
                      f"{spread(b.get('p99_ms'))}" if b else ""), target,
                  verdict(med(g.get("rps")), 500, lower_is_better=False)
                  if key == "get_master_state" else ""))
    g, b = r.get("get_master_state_gzip"), base.get("get_master_state_gzip")
    if g:
        gz = (r.get("body_bytes") or {}).get("/master/state gzip")
        t.append((f"GET /master/state with Accept-Encoding: gzip ({fmt(gz, ' B')}), "
                  "64 conns: req/s; p50 / p99 ms",
                  f"{spread(g.get('rps'))}; {spread(g.get('p50_ms'))} / "
                  f"{spread(g.get('p99_ms'))}" + (
                      f"; baseline {spread(b.get('rps'))}; {spread(b.get('p50_ms'))} / "
                      f"{spread(b.get('p99_ms'))}" if b else ""), "≥ 500",
                  verdict(med(g.get("rps")), 500, lower_is_better=False)))
    if "master_kib_per_task" in r:
        t.append(("master memory per agent / per task",
                  f"{fmt(r.get('master_kib_per_agent'), ' KiB')} / "
                  f"{fmt(r.get('master_kib_per_task'), ' KiB')}", "—", ""))
    if "master_idle_cpu_percent_at_scale" in r:
        t.append(("master CPU when idle at 1,000 agents, 10,000 tasks",
                  fmt(r["master_idle_cpu_percent_at_scale"], " %"), "—", ""))
    return t


def alloc(r):
    c = r.get("alloc_cycle", {})
    p = r.get("placement", {})
    return [
        (f"allocation cycle, {fmt(c.get('agents'))} agents x {fmt(c.get('frameworks'))} "
         "frameworks, first cycle", spread(c.get("first_cycle_ms"), " ms"), "< 100 ms "
         "(Mesos 1.7: 1.4 s)", verdict(med(c.get("first_cycle_ms")), 100)),
        ("allocation cycle, every offer declined with a filter",
         spread(c.get("declining_cycle_ms"), " ms"), "< 100 ms",
         verdict(med(c.get("declining_cycle_ms")), 100)),
        ("allocation cycle, after those declines (past the filters)",
         spread(c.get("after_declines_cycle_ms"), " ms"), "< 100 ms",
         verdict(med(c.get("after_declines_cycle_ms")), 100)),
        (f"placing {fmt(p.get('tasks_placed'))} tasks of {fmt(p.get('apps'))} apps on "
         f"{fmt(p.get('agents'))} agents with constraints", spread(p.get("ms"), " ms"),
         "< 1 s", verdict(med(p.get("ms")), 1000)),
        ("allocator memory per agent / per framework",
         f"{fmt(c.get('bytes_per_agent'), ' B')} / {fmt(c.get('bytes_per_framework'), ' B')}",
         "—", ""),
        ("constraint index memory per placed task",
         fmt(p.get("index_bytes_per_task"), " B"), "—", ""),
    ]


def footprint(r):
    kib = 1024
    return [
        ("idle RSS of --all-in-one after 30 s", fmt(r.get("idle_rss_kib", 0) / kib, " MiB"),
         "< 15 MB", verdict(r.get("idle_rss_kib", 0) * kib / 1e6, 15)),
        ("RSS with 1,000 apps", fmt(r.get("rss_1000_apps_kib", 0) / kib, " MiB"), "—", ""),
        ("stripped binary", fmt(r.get("stripped_bytes", 0) / 1e6, " MB"), "< 2 MB",
         verdict(r.get("stripped_bytes", 0) / 1e6, 2)),
        ("idle CPU over 30 s", fmt(r.get("idle_cpu_percent"), " % of a core"), "< 1 %",
         verdict(r.get("idle_cpu_percent"), 1)),
        ("bytes written to disk while idle, 30 s", fmt(r.get("idle_write_bytes"), " B"),
         "< 64 KiB", verdict(r.get("idle_write_bytes"), 65536)),
        ("idle CPU / writes over 30 s with 1,000 apps",
         f"{fmt(r.get('idle_1000_apps_cpu_percent'), ' %')} / "
         f"{fmt(r.get('idle_1000_apps_write_bytes'), ' B')}", "< 1 % / < 64 KiB",
         verdict(r.get("idle_1000_apps_cpu_percent"), 1)),
    ]


def recovery(r):
    n = r.get("instances", 100)
    rec = r.get("recover_s")
    return [
        (f"agent SIGKILL and restart with {n} running containers: seconds until it is "
         f"registered and reports {n} running", spread(rec, " s"), "< 5 s",
         verdict(med(rec), 5)),
        ("containers restarted or replaced, in all rounds",
         fmt(r.get("containers_restarted")), "0",
         "met" if r.get("containers_restarted") == 0 else "MISSED"),
        ("containers or task ids that changed, in all rounds",
         fmt(r.get("containers_or_tasks_changed")), "0",
         "met" if r.get("containers_or_tasks_changed") == 0 else "MISSED"),
    ]


def dns(r):
    t = []
    names = {"a_udp": "A record over UDP", "srv100_tcp": "SRV with 100 answers over TCP",
             "srv100_udp_truncated": "SRV with 100 answers over UDP (truncated: TC)"}
    for key, what in names.items():
        e = r.get(key, {})
        c, m = e.get("clusterd", {}), e.get("dnsmasq", {})
        ratio = e.get("ratio_vs_dnsmasq")
        t.append((f"dnsperf {what}: clusterd q/s (dnsmasq {spread(m.get('qps'))}; "
                  f"lost {c.get('lost')} / {m.get('lost')})",
                  spread(c.get("qps")) + f", {fmt(ratio)}x dnsmasq", ">= 0.5x dnsmasq",
                  verdict(ratio, 0.5, lower_is_better=False)))
    api_r = r.get("api_get_app", {})
    alone = api_r.get("alone", {})
    for label, what in (("dns_10000qps", "10,000 DNS q/s"),
                        ("dns_full_speed", "DNS at full speed")):
        under = api_r.get(label, {})
        t.append((f"GET /v2/apps/{{id}}, wrk 64 conns: p99 ms alone vs under {what} "
                  f"({fmt(under.get('dns_qps_meanwhile'))} q/s); req/s "
                  f"{fmt(alone.get('rps'))} vs {fmt(under.get('rps'))}",
                  f"{fmt(alone.get('p99_ms'))} vs {fmt(under.get('p99_ms'))}",
                  "no effect", "see figures"))
        single = api_r.get(label + "_single", {}).get("ms")
        t.append((f"GET /v2/apps/{{id}} one at a time, median ms: alone vs under {what}",
                  f"{fmt(med(api_r.get('alone_single', {}).get('ms')))} vs {fmt(med(single))}",
                  "no effect", "see figures"))
    cpu = r.get("thread_cpu_pct_10000qps")
    if cpu:
        t.append(("CPU under 10,000 DNS q/s alone, % of a core: the loop thread",
                  fmt(cpu.get('clusterd')), "—", "see figures"))
    return t


def failover(r):
    st = r.get("session_timeout_s", 10.0)
    n_ag, n_t = r.get("agents"), r.get("tasks")
    t = [(f"kill -9 of the leader (of 3 masters) until another answers a write 2xx "
          f"(session timeout {fmt(st)} s)", spread(r.get("kill9_to_write"), " s"),
          f"< {fmt(st + 2)} s", verdict(med(r.get("kill9_to_write")), st + 2)),
         ("kill -9 of the leader until another is elected", spread(r.get("kill9_to_elected"), " s"),
          "—", ""),
         ("SIGTERM of the leader (it withdraws) until another answers a write 2xx",
          spread(r.get("sigterm_to_write"), " s"), "—", "")]
    for f in r.get("fleet_failovers", []):
        t.append((f"failover ({f.get('how')}) with {fmt(n_ag)} simulated agents and "
                  f"{fmt(f.get('tasks'))} tasks: from the election until every agent is "
                  f"active and every task reconciled (task ids unchanged: "
                  f"{f.get('task_ids_unchanged')})",
                  f"{fmt(f.get('agents_active_after_election_s'))} s / "
                  f"{fmt(f.get('reconciled_after_election_s'))} s", "< 5 s",
                  verdict(f.get("reconciled_after_election_s"), 5)))
    t.append((f"launch of {fmt(n_t)} tasks on {fmt(n_ag)} simulated agents: state in "
              f"ZooKeeper vs LMDB", f"{fmt(r.get('zk_launch_s'))} s vs "
              f"{fmt(r.get('lmdb_launch_s'))} s", "—", ""))
    zk, lm = r.get("zk_write_latency", {}), r.get("lmdb_write_latency", {})
    t.append(("API write (PUT of an app, sequential): p50 / p99 ms, ZooKeeper vs LMDB",
              f"{fmt(zk.get('p50_ms'))} / {fmt(zk.get('p99_ms'))} vs "
              f"{fmt(lm.get('p50_ms'))} / {fmt(lm.get('p99_ms'))}", "—", ""))
    return t


def syncs(r):
    t = []
    for kind, e in r.get("by_kind", {}).items():
        n = e.get("n")
        g, c = e.get("clusterd", {}), e.get("commit", {})
        what = (f"{fmt(n)} Docker containers" if kind == "docker"
                else f"{fmt(n)} tasks, --containerizers=sim")
        fewer = e.get("fewer_syncs") or {}
        big = kind == "sim" and (n or 0) >= 10000
        t.append((f"launch and kill of {what}: fdatasyncs, --store_sync=group (the default) "
                  f"vs commit; commits", f"{spread(g.get('fdatasync'))} vs "
                  f"{spread(c.get('fdatasync'))}; {spread(g.get('commits'))}", "—", ""))
        t.append((f"launch and kill of {what}: times fewer fdatasyncs with group commit",
                  ratio_cell(fewer), "≥ 5x at 10,000 tasks" if big else "—",
                  verdict(fewer.get("median_of_medians"), 5, lower_is_better=False)
                  if big else ""))
        t.append((f"launch and kill of {what}: seconds, group vs commit",
                  f"{spread(g.get('seconds'), ' s')} vs {spread(c.get('seconds'), ' s')}",
                  "—", ""))
    return t


def scale(r):
    want = r.get("tasks_wanted")
    done = r.get("all_running_s")
    apps, app = r.get("get_apps_ms", {}), r.get("get_app_ms", {})
    return [(f"{fmt(want)} tasks on {fmt(r.get('agents'))} simulated agents: seconds from the "
             f"first POST until all run", fmt(done, " s") if done is not None else
             f"not all: {fmt(r.get('tasks_running'))} running", "< 60 s",
             verdict(done, 60) if done is not None else "MISSED"),
            ("master RSS after the launch (peak)",
             f"{fmt(r.get('master_rss_mib'))} MiB ({fmt(r.get('master_hwm_mib'))})",
             "< 1 GB", verdict(r.get("master_hwm_mib"), 1024)),
            ("GET /v2/apps during the launch, p50 / p99 / max ms (n)",
             f"{fmt(apps.get('p50'))} / {fmt(apps.get('p99'))} / {fmt(apps.get('max'))} "
             f"({fmt(apps.get('n'))})", "p99 < 50 ms", verdict(apps.get("p99"), 50)),
            ("GET /v2/apps/{id} during the launch, p50 / p99 / max ms (n)",
             f"{fmt(app.get('p50'))} / {fmt(app.get('p99'))} / {fmt(app.get('max'))} "
             f"({fmt(app.get('n'))})", "p99 < 50 ms", verdict(app.get("p99"), 50)),
            ("the master's CPU while idle afterwards, % of a core",
             fmt(r.get("idle_cpu_pct")), "—", "")]


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        d = json.load(f)
    m = d["machine"]
    print(f"# clusterd benchmarks, {d['started']} (git {m.get('git')})\n")
    print(f"{m.get('nproc')} CPUs ({m.get('cpu')}), {m.get('mem_kib', 0) // 1024} MiB, "
          f"kernel {m.get('kernel')}, {m.get('docker')}, {m.get('wrk')}; "
          f"{d['reps']} repetitions{' (QUICK)' if d.get('quick') else ''}, "
          f"{d.get('total_seconds', 0):.0f} s in all\n")
    for name, fn in (("Launch overhead", launch), ("Fetcher", fetch), ("Docker swarm mode", swarm),
                     ("API throughput", api), ("Allocator and placement", alloc),
                     ("Footprint", footprint), ("Agent recovery", recovery),
                     ("DNS", dns), ("Failover", failover), ("Group commit", syncs),
                     ("100,000 tasks", scale)):
        key = {"Launch overhead": "launch", "Fetcher": "fetch", "Docker swarm mode": "swarm",
               "API throughput": "api", "Allocator and placement": "alloc",
               "Footprint": "footprint", "Agent recovery": "recovery", "DNS": "dns",
               "Failover": "failover", "Group commit": "syncs",
               "100,000 tasks": "scale"}[name]
        r = d["results"].get(key)
        if r is None:
            continue
        print(f"## {name} ({r.get('section_seconds', 0):.0f} s)\n")
        if "error" in r and len(r) <= 2:
            print(f"failed: {r['error']}\n")
            continue
        print(rows(fn(r)) + "\n")


if __name__ == "__main__":
    main()
