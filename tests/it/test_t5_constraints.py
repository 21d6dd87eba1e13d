"""t5: placement constraints with several agents (SPEC section 5, constraint.raml).

One --master and three --agent processes with their own --hostname and
--attributes (the mesos containerizer, so cmd apps start fast):

    h1  rack:r1;zone:a
    h2  rack:r1;zone:b
    h3  rack:r2;zone:b

UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER and IS, on hostname and on
attributes. An instance that no agent can take stays in /v2/queue, which says that
a constraint is why.
"""

import collections

import pytest
from marathon import MarathonClient

import clusterd_harness as harness
import marathon_shapes as ms
from clusterd_harness import holds_for, wait_until

AGENTS = {"h1": "rack:r1;zone:a", "h2": "rack:r1;zone:b", "h3": "rack:r2;zone:b"}


@pytest.fixture(scope="module")
def cluster(clusterd_bin, tmp_path_factory):
    pool = harness.ClusterdPool(clusterd_bin, tmp_path_factory.mktemp("cons"))
    try:
        master = pool.start(role="--master")
        for host, attrs in AGENTS.items():
            pool.start(f"--master=127.0.0.1:{master.ports['master']}", f"--hostname={host}",
                       f"--attributes={attrs}", "--containerizers=mesos", role="--agent")

        def active():
            slaves = master.get("/master/slaves", base=master.master_url).json()["slaves"]
            return {s["hostname"] for s in slaves if s["active"]} == set(AGENTS)

        wait_until(active, timeout=30, what="three agents registered")
        yield master
    finally:
        errors = pool.close()
    assert not errors, "\n\n".join(errors)


def create(cd, app_id, instances, constraints, **extra):
    app = {"id": app_id, "cmd": "exec sleep 100000", "cpus": 0.1, "mem": 16,
           "instances": instances, "constraints": constraints}
    app.update(extra)
    r = cd.post("/v2/apps", json=app)
    assert r.status_code == 201, r.text
    return app


def hosts(cd, app_id):
    return collections.Counter(t["host"] for t in cd.running_tasks(app_id))


def wait_hosts(cd, app_id, n):
    return wait_until(lambda: (lambda c: c if sum(c.values()) == n else None)(hosts(cd, app_id)),
                      timeout=60, what=f"{n} running tasks of {app_id}")


def queue_entry(cd, app_id, embed=False):
    r = cd.get("/v2/queue", params={"embed": "lastUnusedOffers"} if embed else None)
    ms.check_response("GET", r.url, r.status_code, r.headers, r.text)
    found = [q for q in r.json()["queue"] if q["app"]["id"] == app_id]
    return found[0] if found else None


def declined(entry, reason, summary="rejectSummaryLaunchAttempt"):
    steps = entry["processedOffersSummary"].get(summary, [])
    return sum(s["declined"] for s in steps if s["reason"] == reason)


def destroy(cd, app_id):
    # force: an app that waits for placement is still under its deployment (locked).
    r = cd.delete(f"/v2/apps{app_id}", params={"force": "true"})
    assert r.status_code == 200, r.text
    wait_until(lambda: cd.get(f"/v2/apps{app_id}").status_code == 404, timeout=30,
               what=f"{app_id} deleted")


def test_unique_hostname_and_the_queue(cluster):
    cd = cluster
    create(cd, "/uniq", 3, [["hostname", "UNIQUE"]])
    assert wait_hosts(cd, "/uniq", 3) == {"h1": 1, "h2": 1, "h3": 1}

    r = cd.put("/v2/apps/uniq", json={"instances": 4})
    assert r.status_code == 200, r.text

    def unplaced():
        e = queue_entry(cd, "/uniq")
        return e if e and declined(e, "UnfulfilledConstraint") >= 3 else None

    entry = wait_until(unplaced, timeout=30, what="/uniq waiting on its constraint")
    assert entry["count"] == 1
    assert entry["delay"] == {"timeLeftSeconds": 0, "overdue": True}
    summary = entry["processedOffersSummary"]
    assert summary["unusedOffersCount"] >= 3
    assert summary["processedOffersCount"] >= summary["unusedOffersCount"]
    assert declined(entry, "InsufficientCpus") == 0
    # The last offer of each agent was refused by the constraint.
    last = {s["reason"]: s for s in summary["rejectSummaryLastOffers"]}
    assert last["UnfulfilledConstraint"]["declined"] == 3
    assert last["UnfulfilledConstraint"]["processed"] == 3
    assert entry["app"]["constraints"] == [["hostname", "UNIQUE"]]
    assert "lastUnusedOffers" not in entry

    embedded = queue_entry(cd, "/uniq", embed=True)
    offers = embedded["lastUnusedOffers"]
    assert offers and all(o["reason"] == ["UnfulfilledConstraint"] for o in offers)
    assert {o["offer"]["hostname"] for o in offers} <= set(AGENTS)
    attrs = {a["name"]: a["text"] for a in offers[-1]["offer"]["attributes"]}
    assert attrs["rack"] in ("r1", "r2")

    # python3-marathon reads the same queue.
    items = [q for q in MarathonClient(cd.url, timeout=30).list_queue() if q.app.id == "/uniq"]
    assert len(items) == 1 and items[0].count == 1
    assert items[0].delay.overdue is True

    # Never a fourth task: the constraint holds.
    holds_for(lambda: sum(hosts(cd, "/uniq").values()) == 3, duration=3)
    r = cd.put("/v2/apps/uniq", json={"instances": 3}, params={"force": "true"})
    assert r.status_code == 200, r.text
    wait_until(lambda: queue_entry(cd, "/uniq") is None, timeout=30, what="/uniq out of the queue")
    destroy(cd, "/uniq")


def test_cluster_on_attribute(cluster):
    cd = cluster
    create(cd, "/clus", 3, [["rack", "CLUSTER", "r1"]])
    placed = wait_hosts(cd, "/clus", 3)
    assert set(placed) <= {"h1", "h2"}, placed
    destroy(cd, "/clus")


def test_max_per_leaves_the_rest_queued(cluster):
    cd = cluster
    create(cd, "/maxper", 3, [["rack", "MAX_PER", "1"]])
    wait_until(lambda: queue_entry(cd, "/maxper") and
               declined(queue_entry(cd, "/maxper"), "UnfulfilledConstraint") > 0,
               timeout=30, what="/maxper refused by its constraint")
    placed = wait_hosts(cd, "/maxper", 2)
    assert placed["h3"] == 1 and placed["h1"] + placed["h2"] == 1, placed
    assert queue_entry(cd, "/maxper")["count"] == 1
    destroy(cd, "/maxper")


def test_group_by_spreads_over_racks(cluster):
    cd = cluster
    create(cd, "/grp", 4, [["rack", "GROUP_BY", "2"]])
    placed = wait_hosts(cd, "/grp", 4)
    assert placed["h3"] == 2 and placed["h1"] + placed["h2"] == 2, placed
    destroy(cd, "/grp")


def test_like_unlike_is(cluster):
    cd = cluster
    create(cd, "/like", 2, [["hostname", "LIKE", "h[23]"], ["hostname", "UNIQUE"]])
    create(cd, "/unlike", 2, [["rack", "UNLIKE", "r1"]])
    create(cd, "/is", 2, [["zone", "IS", "a"]])
    assert wait_hosts(cd, "/like", 2) == {"h2": 1, "h3": 1}
    assert wait_hosts(cd, "/unlike", 2) == {"h3": 2}
    assert wait_hosts(cd, "/is", 2) == {"h1": 2}
    for app_id in ("/like", "/unlike", "/is"):
        destroy(cd, app_id)


def test_unfulfillable_waits_and_says_why(cluster):
    cd = cluster
    # (LIKE rather than IS: the 1.7 AppDefinition schema the queue's "app" is checked
    # against predates IS.)
    create(cd, "/nowhere", 1, [["rack", "LIKE", "r9|r10"]])

    def refused():
        e = queue_entry(cd, "/nowhere")
        return e if e and declined(e, "UnfulfilledConstraint") >= 3 else None

    entry = wait_until(refused, timeout=30, what="/nowhere refused by every agent")
    assert entry["count"] == 1
    assert entry["processedOffersSummary"]["unusedOffersCount"] == \
        entry["processedOffersSummary"]["processedOffersCount"]
    assert "lastUsedOfferAt" not in entry["processedOffersSummary"]
    assert cd.running_tasks("/nowhere") == []
    destroy(cd, "/nowhere")


def test_instances_spread_over_the_round_without_constraints(cluster):
    # Without constraints, the instances of a round share its offers instead
    # of filling the first agent offered (where Mesos' random offer order and
    # Marathon's max_instances_per_offer would spread them too).
    cd = cluster
    create(cd, "/spread", 6, [])
    assert wait_hosts(cd, "/spread", 6) == {"h1": 2, "h2": 2, "h3": 2}
    destroy(cd, "/spread")
