"""t5: the launch queue (SPEC section 5, queue.raml).

An app whose tasks exit at once backs off instead of spinning: the delay starts at
backoffSeconds, grows by backoffFactor per failure and stops at maxLaunchDelaySeconds,
and DELETE /v2/queue/{app_id}/delay resets it. An app that cannot be placed says why
in processedOffersSummary: resources (InsufficientCpus, InsufficientMemory) or role
(UnfulfilledRole).
"""

import time

from marathon import MarathonClient

import marathon_shapes as ms
from clusterd_harness import TIMEOUT_SCALE, wait_until


def queue(cd, **params):
    r = cd.get("/v2/queue", params=params or None)
    ms.check_response("GET", r.url, r.status_code, r.headers, r.text)
    return r.json()["queue"]


def entry(cd, app_id):
    found = [q for q in queue(cd) if q["app"]["id"] == app_id]
    return found[0] if found else None


def declined(e, reason):
    return sum(s["declined"] for s in e["processedOffersSummary"]["rejectSummaryLaunchAttempt"]
               if s["reason"] == reason)


def launches(cd, app_id):
    return cd.log_text().count(f"app={app_id} on ")


def test_backoff_grows_by_factor_capped_and_resets(clusterd):
    cd = clusterd
    r = cd.post("/v2/apps", json={"id": "crashy", "cmd": "exit 1", "cpus": 0.1, "mem": 16,
                                  "instances": 1, "backoffSeconds": 1, "backoffFactor": 2,
                                  "maxLaunchDelaySeconds": 4})
    assert r.status_code == 201, r.text

    # Sample the delay over a bounded time: 1, 2, 4, 4, ... seconds.
    samples, peaks = [], []
    start = time.monotonic()
    deadline = start + 25 * TIMEOUT_SCALE
    while time.monotonic() < deadline:
        e = entry(cd, "/crashy")
        if e is not None:
            left = e["delay"]["timeLeftSeconds"]
            assert e["delay"]["overdue"] == (left == 0), e["delay"]
            assert e["count"] == 1
            if left > 0 and (not samples or left > samples[-1]):
                peaks.append(left)  # a new, longer delay began
            samples.append(left)
            if peaks.count(4) >= 2:
                break
        time.sleep(0.1)
    elapsed = time.monotonic() - start
    assert max(samples) == 4, samples
    assert all(0 <= v <= 4 for v in samples), samples
    assert peaks.count(4) >= 2, f"the delay did not stay capped at 4: peaks {peaks}"
    first4 = peaks.index(4)
    assert first4 >= 1 and peaks[first4 - 1] < 4, f"the delay did not grow: peaks {peaks}"
    assert peaks[:first4] == sorted(peaks[:first4]), peaks
    # Backing off, not spinning: one launch per delay, give or take.
    n = launches(cd, "/crashy")
    assert 3 <= n <= 2 + elapsed / 2, f"{n} launches in {elapsed:.1f}s"
    failure = cd.get("/v2/apps/crashy", params={"embed": "apps.lastTaskFailure"}).json()["app"]
    assert failure["lastTaskFailure"]["state"] in ("TASK_FAILED", "TASK_FINISHED")

    # Reset: the next launch comes at once and the delay starts over from 1 s.
    wait_until(lambda: (entry(cd, "/crashy") or {"delay": {"timeLeftSeconds": 0}})
               ["delay"]["timeLeftSeconds"] >= 3, timeout=15, what="a long delay to reset")
    before = launches(cd, "/crashy")
    r = cd.delete("/v2/queue/crashy/delay")
    ms.check_response("DELETE", r.url, r.status_code, r.headers, r.text)
    assert r.status_code == 204, r.text
    e = entry(cd, "/crashy")
    assert e is None or e["delay"]["timeLeftSeconds"] <= 1, e["delay"]
    wait_until(lambda: launches(cd, "/crashy") > before, timeout=5,
               what="a launch right after the reset")

    # The client's reset_delay takes the same route; unknown apps are 404.
    MarathonClient(cd.url, timeout=30).reset_delay("crashy")
    r = cd.delete("/v2/queue/nosuchapp/delay")
    ms.check_response("DELETE", r.url, r.status_code, r.headers, r.text)
    assert r.status_code == 404
    assert cd.delete("/v2/apps/crashy", params={"force": "true"}).status_code == 200


def test_unplaceable_app_says_why(clusterd):
    cd = clusterd
    # The agent has cpus:4, mem:4096 (clusterd_harness.DEFAULT_RESOURCES).
    for app in ({"id": "hungry", "cmd": "sleep 1000", "cpus": 100, "mem": 16, "instances": 2},
                {"id": "greedy", "cmd": "sleep 1000", "cpus": 0.1, "mem": 100000},
                {"id": "public", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16,
                 "acceptedResourceRoles": ["slave_public"]}):
        r = cd.post("/v2/apps", json=app)
        assert r.status_code == 201, r.text

    def why():
        q = {e["app"]["id"]: e for e in queue(cd)}
        if not all(a in q and q[a]["processedOffersSummary"]["unusedOffersCount"] > 0
                   for a in ("/hungry", "/greedy", "/public")):
            return None
        return q

    q = wait_until(why, timeout=30, what="three apps refused by the offers")
    assert q["/hungry"]["count"] == 2
    assert declined(q["/hungry"], "InsufficientCpus") > 0
    assert declined(q["/greedy"], "InsufficientMemory") > 0
    assert declined(q["/greedy"], "InsufficientCpus") == 0
    assert declined(q["/public"], "UnfulfilledRole") > 0
    for e in q.values():
        steps = e["processedOffersSummary"]["rejectSummaryLaunchAttempt"]
        assert steps[0]["processed"] == e["processedOffersSummary"]["processedOffersCount"]
        # A funnel: what a step declines does not reach the next one.
        for a, b in zip(steps, steps[1:]):
            assert b["processed"] == a["processed"] - a["declined"], steps
        assert e["delay"] == {"timeLeftSeconds": 0, "overdue": True}
        assert "lastUnusedOffers" not in e

    full = {e["app"]["id"]: e for e in queue(cd, embed="lastUnusedOffers")}
    offer = full["/greedy"]["lastUnusedOffers"][-1]
    assert offer["reason"] == ["InsufficientMemory"]
    names = {res["name"] for res in offer["offer"]["resources"]}
    assert {"cpus", "mem", "disk", "ports"} <= names

    items = MarathonClient(cd.url, timeout=30).list_queue(embed_last_unused_offers=True)
    assert {i.app.id for i in items} == {"/hungry", "/greedy", "/public"}
    assert all(i.last_unused_offers for i in items)

    # Once placeable, the app leaves the queue.
    # force: the app is locked by its deployment, which cannot finish.
    r = cd.put("/v2/apps/hungry", json={"cpus": 0.1}, params={"force": "true"})
    assert r.status_code == 200, r.text
    cd.wait_running("/hungry", 2)
    wait_until(lambda: "/hungry" not in {e["app"]["id"] for e in queue(cd)}, timeout=30,
               what="/hungry out of the queue")
