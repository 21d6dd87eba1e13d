"""t5: every MarathonClient method within issue 3's scope, against the real binary.

Debian's python3-marathon (0.13) drives a fresh `clusterd --all-in-one` per test: apps
(create, list with filters and embeds, get, update with and without force, update many,
rollback, delete, restart, scale, kill tasks four ways, versions), groups, tasks and
endpoints, deployments, the launch queue, the event stream and event subscriptions, info, leader,
metrics and ping.

Two things check Marathon compatibility besides the assertions:
- the client builds its model objects with **kwargs from every field of an answer, so an
  unknown field or a field of the wrong structure makes it raise;
- every HTTP answer the client (or a raw re-fetch) receives goes through
  marathon_shapes.check_response in a requests response hook, which validates it against
  the JSON schemas and RAML-derived shapes for its route. A shape problem fails the call
  at once, and the fixture fails the test at teardown if a retry loop swallowed one.

Apps are small command apps (mesos containerizer, "sleep N"); an app that cannot be
placed (cpus beyond the agent's 4) holds a deployment open when a test needs one.
"""

import http.server
import json
import queue
import threading
import time

import pytest
import requests
from marathon import MarathonApp, MarathonClient
from marathon.models.group import MarathonGroup
from marathon.exceptions import ConflictError, MarathonHttpError, NotFoundError
from marathon.models.events import EventFactory, MarathonEvent
from marathon.models.info import MarathonInfo
from marathon.models.task import MarathonTask

import marathon_shapes as ms
from clusterd_harness import TIMEOUT_SCALE, holds_for, wait_until

UNPLACEABLE_CPUS = 100  # the harness's agent offers cpus:4


class CheckedSession(requests.Session):
    """A requests session that validates every answer against Marathon's shapes."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self.hooks["response"].append(self._check)

    def _check(self, r, *args, **kwargs):  # pylint: disable=unused-argument
        try:
            ms.check_response(r.request.method, r.url, r.status_code, r.headers, r.text)
        except ms.ShapeError as e:
            self.problems.append(str(e))
            raise


class SseSession(requests.Session):
    """The client opens /v2/events without a timeout; bound every read (the server sends a
    heartbeat every 10 s, so 30 s of silence is a failure)."""

    def request(self, *args, **kwargs):  # pylint: disable=arguments-differ
        kwargs.setdefault("timeout", (10, 30 * TIMEOUT_SCALE))
        return super().request(*args, **kwargs)


@pytest.fixture
def mc(clusterd):
    session = CheckedSession()
    client = MarathonClient(clusterd.url, timeout=30, session=session, sse_session=SseSession())
    client.checked = session
    client.base = clusterd.url
    yield client
    assert not session.problems, ("answers without Marathon's shape:\n\n"
                                  + "\n\n".join(session.problems))


def raw(mc, method, path, **kw):
    """The raw answer, fetched through the checking session (so it is validated too)."""
    kw.setdefault("headers", {"Accept": "application/json", "Content-Type": "application/json"})
    return mc.checked.request(method, mc.base + path, timeout=30, **kw)


def sleeper(cmd="sleep 1000", **kw):
    kw.setdefault("cpus", 0.1)
    kw.setdefault("mem", 16)
    kw.setdefault("instances", 1)
    return MarathonApp(cmd=cmd, **kw)


def running(mc, app_id, n, timeout=60):
    """Wait until exactly n tasks of the app are TASK_RUNNING (through the client)."""
    def check():
        tasks = [t for t in mc.list_tasks(app_id) if t.state == "TASK_RUNNING"]
        return tasks if len(tasks) == n else None
    return wait_until(check, timeout=timeout, what=f"{n} running tasks of {app_id}")


def is_result(r):
    return isinstance(r, dict) and r.get("deploymentId") and r.get("version")


def deployment_gone(mc, dep_id):
    return all(d.id != dep_id for d in mc.list_deployments())


def deployed(mc, result, timeout=60):
    """Wait until the deployment of a DeploymentResult is over (a next change to the same
    apps would be refused with 409 before that, as in Marathon)."""
    wait_until(lambda: deployment_gone(mc, result["deploymentId"]), timeout=timeout,
               what=f"deployment {result['deploymentId']} finished")


def settled(mc, app_id, timeout=60):
    """Wait until no deployment affects the app."""
    wait_until(lambda: mc.get_app(app_id).deployments == [], timeout=timeout,
               what=f"no deployment on {app_id}")


def app_gone(mc, app_id):
    try:
        mc.get_app(app_id)
    except NotFoundError:
        return True
    return False


# ---------------------------------------------------------------------------
# ping, info, leader, metrics


def test_ping_info_leader_metrics(clusterd, mc):
    assert mc.ping().strip() == b"pong"
    me = f"127.0.0.1:{clusterd.ports['http']}"

    info = mc.get_info()
    assert isinstance(info, MarathonInfo)
    assert info.elected is True
    assert info.leader == me
    assert info.name and info.version
    assert info.http_config.http_port == clusterd.ports["http"]
    assert isinstance(info.marathon_config.features, list)

    assert mc.get_leader() == {"leader": me}

    metrics = mc.get_metrics()
    assert isinstance(metrics, dict) and metrics


def test_delete_leader(clusterd, mc):
    """Abdication answers a message; the single master is elected again and serves on."""
    answer = mc.delete_leader()
    assert isinstance(answer.get("message"), str) and answer["message"]
    me = f"127.0.0.1:{clusterd.ports['http']}"
    wait_until(lambda: mc.get_leader() == {"leader": me}, timeout=30,
               what="a leader again after abdication")
    assert mc.ping().strip() == b"pong"


# ---------------------------------------------------------------------------
# apps


def test_create_get_list_filters_and_embeds(mc):
    alpha = mc.create_app("alpha", sleeper("sleep 1000", labels={"env": "prod", "tier": "web"}))
    assert isinstance(alpha, MarathonApp) and alpha.id == "/alpha"
    assert alpha.cmd == "sleep 1000" and alpha.labels == {"env": "prod", "tier": "web"}
    assert alpha.instances == 1 and alpha.cpus == 0.1 and alpha.mem == 16
    assert alpha.version
    mc.create_app("beta", sleeper("sleep 2000", labels={"env": "dev"}))
    mc.create_app("gamma", sleeper("sleep 3000"))
    for app_id in ("alpha", "beta", "gamma"):
        running(mc, app_id, 1)

    def ids(**kw):
        return sorted(a.id for a in mc.list_apps(**kw))

    assert ids() == ["/alpha", "/beta", "/gamma"]
    # cmd and id filters match substrings
    assert ids(cmd="sleep 2") == ["/beta"]
    assert ids(cmd="sleep") == ["/alpha", "/beta", "/gamma"]
    assert ids(app_id="alp") == ["/alpha"]
    assert ids(app_id="nothing-like-it") == []
    # label selectors: existence, equality, set based; commas are AND
    assert ids(label="env==prod") == ["/alpha"]
    assert ids(label="env") == ["/alpha", "/beta"]
    assert ids(label="env!=prod") == ["/beta"]
    assert ids(label="env in (prod, dev)") == ["/alpha", "/beta"]
    assert ids(label="env notin (prod)") == ["/beta"]
    assert ids(label="env==prod,tier==web") == ["/alpha"]
    assert ids(label="env==prod,tier==db") == []
    assert ids(cmd="sleep", label="env") == ["/alpha", "/beta"]

    # embeds, as the client spells them (app.*)
    apps = mc.list_apps(embed_tasks=True)
    assert all(len(a.tasks) == 1 and a.tasks[0].state == "TASK_RUNNING" for a in apps), apps
    assert {a.tasks[0].app_id for a in apps} == {"/alpha", "/beta", "/gamma"}
    apps = mc.list_apps(embed_counts=True)
    assert [(a.tasks_running, a.tasks_staged) for a in apps] == [(1, 0)] * 3
    apps = mc.list_apps(embed_deployments=True)
    assert all(isinstance(a.deployments, list) for a in apps)
    apps = mc.list_apps(embed_last_task_failure=True, embed_failures=True)
    assert all(a.last_task_failure is None for a in apps)  # nothing failed
    apps = mc.list_apps(embed_task_stats=True)
    for a in apps:
        assert a.task_stats is not None, a
        assert a.task_stats.total_summary.stats.counts.running == 1
    # and as the RAML spells them (apps.*), fetched raw
    r = raw(mc, "GET", "/v2/apps", params={"embed": ["apps.tasks", "apps.counts",
                                                     "apps.deployments", "apps.lastTaskFailure",
                                                     "apps.taskStats"]})
    assert r.status_code == 200
    for a in r.json()["apps"]:
        assert len(a["tasks"]) == 1 and a["tasksRunning"] == 1 and "deployments" in a, a
        assert a["taskStats"]["totalSummary"]["stats"]["counts"]["running"] == 1, a

    got = mc.get_app("alpha", embed_tasks=True, embed_counts=True, embed_deployments=True,
                     embed_readiness=True, embed_last_task_failure=True, embed_task_stats=True)
    assert got.id == "/alpha" and got.labels == {"env": "prod", "tier": "web"}
    assert len(got.tasks) == 1 and got.tasks_running == 1
    plain = mc.get_app("/alpha")
    assert plain.id == "/alpha" and len(plain.tasks) == 1  # a single app embeds its tasks
    with pytest.raises(NotFoundError):
        mc.get_app("no-such-app")


def test_create_errors(mc):
    mc.create_app("dup", sleeper())
    with pytest.raises(ConflictError) as exc:
        mc.create_app("dup", sleeper())
    assert exc.value.status_code == 409
    with pytest.raises(MarathonHttpError) as exc:
        mc.create_app("neg", sleeper(cpus=-1))
    assert exc.value.status_code == 422
    assert any("cpus" in (d.get("path") or "") for d in exc.value.error_details), \
        exc.value.error_details
    assert app_gone(mc, "neg")


def test_update_versions_and_rollback(mc):
    mc.create_app("upd", sleeper("sleep 1000"))
    first = running(mc, "upd", 1)[0]
    settled(mc, "upd")
    v1 = mc.get_app("upd").version

    r = mc.update_app("upd", MarathonApp(cmd="sleep 1001"))
    assert is_result(r), r
    v2 = r["version"]
    assert v2 != v1
    wait_until(lambda: [t.version for t in running(mc, "upd", 1)] == [v2], timeout=60,
               what="the task replaced by one of the new version")
    assert first.id not in {t.id for t in mc.list_tasks("upd")}
    assert mc.get_app("upd").cmd == "sleep 1001"
    deployed(mc, r)

    versions = mc.list_versions("upd")
    assert sorted(versions) == sorted([v1, v2]), versions
    assert mc.get_version("upd", v1).cmd == "sleep 1000"
    assert mc.get_version("upd", v2).cmd == "sleep 1001"
    with pytest.raises(NotFoundError):
        mc.get_version("upd", "2001-01-01T00:00:00.000Z")

    r = mc.rollback_app("upd", v1)
    assert is_result(r), r
    wait_until(lambda: mc.get_app("upd").cmd == "sleep 1000", timeout=30, what="rolled back")
    v3 = r["version"]
    wait_until(lambda: [t.version for t in running(mc, "upd", 1)] == [v3], timeout=60,
               what="the task replaced by one of the rolled-back version")
    assert len(mc.list_versions("upd")) == 3


def test_locked_app_force_and_deployments(mc):
    """An app that cannot be placed keeps its deployment open: a change is refused with 409
    and the deployment list, force=true overrides; DELETE /v2/deployments rolls back, and
    with force=true only stops."""
    created = mc.create_app("stuck", sleeper(cpus=UNPLACEABLE_CPUS))
    assert created.id == "/stuck"

    deps = wait_until(lambda: [d for d in mc.list_deployments() if "/stuck" in d.affected_apps],
                      timeout=30, what="the deployment of /stuck")
    assert len(deps) == 1
    dep = deps[0]
    assert dep.id and dep.version
    assert dep.total_steps == len(dep.steps) >= 1
    assert 1 <= dep.current_step <= dep.total_steps
    acted = {a.app for step in dep.steps for a in step.actions}
    assert acted == {"/stuck"}
    assert {a.app for a in dep.current_actions} == {"/stuck"}
    assert [d.id for d in mc.get_app("stuck").deployments] == [dep.id]

    # locked: 409 through the client, and the raw body names the deployment
    with pytest.raises(ConflictError) as exc:
        mc.update_app("stuck", MarathonApp(cpus=UNPLACEABLE_CPUS / 2))
    assert exc.value.status_code == 409
    r = raw(mc, "PUT", "/v2/apps/stuck", data=json.dumps({"cpus": UNPLACEABLE_CPUS / 2}))
    assert r.status_code == 409, r.text
    assert [d["id"] for d in r.json()["deployments"]] == [dep.id], r.text

    forced = mc.update_app("stuck", MarathonApp(cpus=UNPLACEABLE_CPUS / 2), force=True)
    assert is_result(forced) and forced["deploymentId"] != dep.id, forced
    wait_until(lambda: deployment_gone(mc, dep.id), timeout=30, what="the old deployment gone")
    assert mc.get_app("stuck").cpus == UNPLACEABLE_CPUS / 2
    assert [d.id for d in mc.list_deployments()] == [forced["deploymentId"]]

    # DELETE without force: a new deployment that reverts the forced change
    rollback = mc.delete_deployment(forced["deploymentId"])
    assert is_result(rollback) and rollback["deploymentId"] != forced["deploymentId"], rollback
    wait_until(lambda: mc.get_app("stuck").cpus == UNPLACEABLE_CPUS, timeout=30,
               what="cpus reverted by the rollback deployment")
    wait_until(lambda: [d.id for d in mc.list_deployments()] == [rollback["deploymentId"]],
               timeout=30, what="only the rollback deployment left")

    # DELETE with force: stopped, no new deployment, the definition stays
    assert mc.delete_deployment(rollback["deploymentId"], force=True) == {}
    wait_until(lambda: mc.list_deployments() == [], timeout=30, what="no deployments")
    assert mc.get_app("stuck").cpus == UNPLACEABLE_CPUS
    with pytest.raises(NotFoundError):
        mc.delete_deployment("no-such-deployment")

    deleted = mc.delete_app("stuck", force=True)
    assert is_result(deleted), deleted
    wait_until(lambda: app_gone(mc, "stuck"), timeout=30, what="/stuck deleted")


def test_update_apps_many_at_once(mc):
    mc.create_app("m1", sleeper("sleep 1000"))
    mc.create_app("m2", sleeper("sleep 1000"))
    running(mc, "m1", 1)
    running(mc, "m2", 1)
    settled(mc, "m1")
    settled(mc, "m2")
    r = mc.update_apps([MarathonApp(id="/m1", instances=2),
                        MarathonApp(id="/m2", cmd="sleep 1002"),
                        sleeper("sleep 1003", id="/m3")])
    assert is_result(r), r
    running(mc, "m1", 2)
    wait_until(lambda: mc.get_app("m2").cmd == "sleep 1002", timeout=30, what="/m2 updated")
    wait_until(lambda: [t.version for t in running(mc, "m2", 1)] == [mc.get_app("m2").version],
               timeout=60, what="/m2 restarted on its new version")
    running(mc, "m3", 1)
    assert mc.get_app("m3").cmd == "sleep 1003"
    # one deployment, one version for all of them
    assert mc.get_app("m1").version == mc.get_app("m2").version == mc.get_app("m3").version \
        == r["version"]


def test_restart_app(mc):
    mc.create_app("rs", sleeper(instances=2))
    old = {t.id for t in running(mc, "rs", 2)}
    settled(mc, "rs")
    r = mc.restart_app("rs")
    assert is_result(r), r
    wait_until(lambda: not old & {t.id for t in running(mc, "rs", 2)}, timeout=60,
               what="both tasks replaced")
    assert mc.get_app("rs").instances == 2
    r = mc.restart_app("rs", force=True)
    assert is_result(r), r
    with pytest.raises(NotFoundError):
        mc.restart_app("no-such-app")


def test_scale_app(mc):
    mc.create_app("sc", sleeper())
    running(mc, "sc", 1)
    settled(mc, "sc")
    r = mc.scale_app("sc", instances=3)
    assert is_result(r), r
    running(mc, "sc", 3)
    assert mc.get_app("sc").instances == 3
    deployed(mc, r)
    r = mc.scale_app("sc", delta=-2)
    assert is_result(r), r
    running(mc, "sc", 1)
    assert mc.get_app("sc").instances == 1
    deployed(mc, r)
    r = mc.scale_app("sc", delta=1, force=True)
    assert is_result(r), r
    running(mc, "sc", 2)


def test_kill_tasks_host_and_scale(mc):
    mc.create_app("kt", sleeper(instances=2))
    tasks = running(mc, "kt", 2)
    settled(mc, "kt")
    old = {t.id for t in tasks}
    host = tasks[0].host

    # a host with no tasks of the app: nothing killed
    assert mc.kill_tasks("kt", host="no-such-host") == []
    holds_for(lambda: {t.id for t in mc.list_tasks("kt")} == old, duration=2,
              what="the tasks untouched")

    # every task on the host, without scale: killed and replaced
    killed = mc.kill_tasks("kt", host=host)
    assert all(isinstance(t, MarathonTask) for t in killed)
    assert {t.id for t in killed} == old
    wait_until(lambda: not old & {t.id for t in running(mc, "kt", 2)}, timeout=60,
               what="both tasks replaced")
    assert mc.get_app("kt").instances == 2

    # with scale: a deployment that scales the app down to 0
    r = mc.kill_tasks("kt", scale=True)
    assert is_result(r), r
    wait_until(lambda: mc.get_app("kt").instances == 0, timeout=30, what="instances 0")
    wait_until(lambda: mc.list_tasks("kt") == [], timeout=30, what="no tasks left")


def test_kill_task(mc):
    mc.create_app("k1", sleeper(instances=2))
    ids = [t.id for t in running(mc, "k1", 2)]
    settled(mc, "k1")

    killed = mc.kill_task("k1", ids[0])
    assert isinstance(killed, MarathonTask) and killed.id == ids[0]
    wait_until(lambda: ids[0] not in {t.id for t in running(mc, "k1", 2)}, timeout=60,
               what="the killed task replaced")
    assert mc.get_app("k1").instances == 2

    r = mc.kill_task("k1", ids[1], scale=True)
    assert is_result(r), r
    wait_until(lambda: mc.get_app("k1").instances == 1, timeout=30, what="instances 1")
    running(mc, "k1", 1)
    with pytest.raises(NotFoundError):
        mc.kill_task("k1", "k1.no-such-task")


def test_kill_given_tasks(mc):
    mc.create_app("kg", sleeper(instances=3))
    ids = [t.id for t in running(mc, "kg", 3)]

    assert mc.kill_given_tasks([ids[0]]) is True
    wait_until(lambda: ids[0] not in {t.id for t in running(mc, "kg", 3)}, timeout=60,
               what="the killed task replaced")
    assert mc.get_app("kg").instances == 3

    assert mc.kill_given_tasks([ids[1], ids[2]], scale=True, force=True) is True
    wait_until(lambda: mc.get_app("kg").instances == 1, timeout=30, what="instances 1")
    left = running(mc, "kg", 1)
    assert not {ids[1], ids[2]} & {t.id for t in left}


def test_list_tasks_and_status_filter(mc):
    mc.create_app("ts", sleeper(instances=2))
    mc.create_app("tsq", sleeper(cpus=UNPLACEABLE_CPUS))
    ids = {t.id for t in running(mc, "ts", 2)}

    assert {t.id for t in mc.list_tasks()} == ids
    assert {t.id for t in mc.list_tasks("ts")} == ids
    assert mc.list_tasks("tsq") == []
    assert {t.id for t in mc.list_tasks(state="TASK_RUNNING")} == ids
    assert all(t.app_id == "/ts" and t.host and t.slave_id and t.started_at
               for t in mc.list_tasks())
    # service discovery the client's way: one endpoint per task port, paired with the
    # app's service port (the default portDefinitions give one port each)
    endpoints = mc.list_endpoints()
    assert {e.task_id for e in endpoints} == ids
    service_port = mc.get_app("ts").ports[0]
    for e in endpoints:
        assert e.app_id == "/ts" and e.service_port == service_port and e.host, e
        assert 31000 <= e.task_port <= 31099, e

    # the client cannot send ?status=, so ask directly (the hook checks the shapes)
    r = raw(mc, "GET", "/v2/tasks", params={"status": "running"})
    assert r.status_code == 200 and {t["id"] for t in r.json()["tasks"]} == ids, r.text
    r = raw(mc, "GET", "/v2/tasks", params={"status": "staging"})
    assert r.status_code == 200 and r.json()["tasks"] == [], r.text
    r = raw(mc, "GET", "/v2/tasks", params={"status[]": ["staging", "running"]})
    assert r.status_code == 200 and {t["id"] for t in r.json()["tasks"]} == ids, r.text


def test_delete_app(mc):
    mc.create_app("del", sleeper(instances=2))
    running(mc, "del", 2)
    settled(mc, "del")
    r = mc.delete_app("del")
    assert is_result(r), r
    wait_until(lambda: app_gone(mc, "del"), timeout=30, what="/del gone")
    wait_until(lambda: mc.list_tasks() == [], timeout=30, what="its tasks gone")
    with pytest.raises(NotFoundError):
        mc.delete_app("del")
    assert mc.list_apps() == []


# ---------------------------------------------------------------------------
# groups


def group_apps(group):
    out = {a.id: a for a in group.apps}
    for g in group.groups:
        out.update(group_apps(g))
    return out


def test_groups_tree(mc):
    tree = MarathonGroup(id="/grp", apps=[
        sleeper(id="/grp/db"),
        sleeper(id="/grp/web", dependencies=["/grp/db"]),
    ], groups=[MarathonGroup(id="/grp/sub", apps=[sleeper(id="/grp/sub/worker")])])
    r = mc.create_group(tree)
    assert is_result(r), r
    for app_id in ("/grp/db", "/grp/web", "/grp/sub/worker"):
        running(mc, app_id, 1)
    deployed(mc, r)

    assert "/grp" in {g.id for g in mc.list_groups()}
    got = mc.get_group("grp")
    assert isinstance(got, MarathonGroup) and got.id == "/grp"
    assert sorted(a.id for a in got.apps) == ["/grp/db", "/grp/web"]
    assert [g.id for g in got.groups] == ["/grp/sub"]
    assert sorted(group_apps(got)) == ["/grp/db", "/grp/sub/worker", "/grp/web"]
    assert group_apps(got)["/grp/web"].dependencies == ["/grp/db"]
    assert mc.get_group("/grp/sub").apps[0].id == "/grp/sub/worker"
    with pytest.raises(NotFoundError):
        mc.get_group("no-such-group")

    # update: db to 2 instances, the rest unchanged
    r = mc.update_group("grp", MarathonGroup(id="/grp", apps=[
        sleeper(id="/grp/db", instances=2),
        sleeper(id="/grp/web", dependencies=["/grp/db"]),
    ], groups=[MarathonGroup(id="/grp/sub", apps=[sleeper(id="/grp/sub/worker")])]))
    assert is_result(r), r
    running(mc, "/grp/db", 2)
    assert mc.get_app("/grp/db").instances == 2
    deployed(mc, r)

    # scale the whole tree by 2
    r = mc.scale_group("grp", 2)
    assert is_result(r), r
    running(mc, "/grp/db", 4)
    running(mc, "/grp/web", 2)
    running(mc, "/grp/sub/worker", 2)
    deployed(mc, r)

    # update with force while nothing is locked is a plain update
    r = mc.update_group("grp", MarathonGroup(id="/grp", apps=[
        sleeper(id="/grp/db", instances=1),
        sleeper(id="/grp/web", dependencies=["/grp/db"]),
    ], groups=[MarathonGroup(id="/grp/sub", apps=[sleeper(id="/grp/sub/worker")])]), force=True)
    assert is_result(r), r
    running(mc, "/grp/db", 1)
    running(mc, "/grp/web", 1)
    deployed(mc, r)

    r = mc.delete_group("grp")
    assert is_result(r), r
    wait_until(lambda: mc.list_apps() == [], timeout=60, what="every app of /grp deleted")
    wait_until(lambda: mc.list_tasks() == [], timeout=60, what="every task of /grp gone")
    with pytest.raises(NotFoundError):
        mc.get_group("grp")


def test_group_dependencies_order_the_steps(mc):
    """/dep/b depends on /dep/a, which cannot be placed: b's step comes after a's, and b
    does not start while a's step is unfinished."""
    r = mc.create_group(MarathonGroup(id="/dep", apps=[
        sleeper(id="/dep/b", dependencies=["/dep/a"]),
        sleeper(id="/dep/a", cpus=UNPLACEABLE_CPUS),
    ]))
    assert is_result(r), r
    dep = wait_until(lambda: [d for d in mc.list_deployments() if d.id == r["deploymentId"]],
                     timeout=30, what="the group's deployment")[0]
    assert sorted(dep.affected_apps) == ["/dep/a", "/dep/b"]

    def last_step(app_id):
        return max(i for i, step in enumerate(dep.steps) for a in step.actions if a.app == app_id)

    assert last_step("/dep/a") < last_step("/dep/b"), dep.steps
    holds_for(lambda: mc.list_tasks("/dep/b") == [], duration=3, what="/dep/b not started")
    assert dep.current_step <= last_step("/dep/a") + 1

    r = mc.delete_group("dep", force=True)
    assert is_result(r), r
    wait_until(lambda: mc.list_apps() == [], timeout=30, what="/dep deleted")


# ---------------------------------------------------------------------------
# launch queue


def test_queue_unplaced_app_says_why(mc):
    mc.create_app("unplaced", sleeper(cpus=UNPLACEABLE_CPUS))

    def item():
        items = [q for q in mc.list_queue() if q.app.id == "/unplaced"]
        if items and (items[0].processed_offers_summary or {}).get("processedOffersCount", 0) > 0:
            return items[0]
        return None

    q = wait_until(item, timeout=30, what="/unplaced in the queue with processed offers")
    assert q.count == 1
    assert q.delay.overdue is True  # waiting for offers, not backed off
    summary = q.processed_offers_summary
    assert summary["unusedOffersCount"] >= 1, summary
    reasons = {s["reason"]: s for s in summary.get("rejectSummaryLastOffers", [])}
    assert reasons.get("InsufficientCpus", {}).get("declined", 0) >= 1, summary

    embedded = [x for x in mc.list_queue(embed_last_unused_offers=True) if x.app.id == "/unplaced"]
    assert len(embedded) == 1 and isinstance(embedded[0].last_unused_offers, list)
    for offer in embedded[0].last_unused_offers:
        assert "InsufficientCpus" in offer["reason"], offer

    mc.reset_delay("unplaced")  # an app in the queue: no error
    with pytest.raises(NotFoundError):
        mc.reset_delay("no-such-app")


def test_queue_backoff_and_reset_delay(mc):
    """A task that exits at once backs the app off (backoffSeconds 4, factor 3: 4 s, then
    12 s); reset_delay relaunches it long before the 12 s are over."""
    mc.create_app("crash", MarathonApp(cmd="exit 1", cpus=0.1, mem=16, instances=1,
                                       backoff_seconds=4, backoff_factor=3,
                                       max_launch_delay_seconds=300))

    def backed_off(minimum):
        def check():
            for q in mc.list_queue():
                if q.app.id == "/crash" and not q.delay.overdue \
                        and q.delay.time_left_seconds >= minimum:
                    return q
            return None
        return check

    q = wait_until(backed_off(6), timeout=40, what="a launch delay of more than 6 s for /crash")
    left = q.delay.time_left_seconds
    before = mc.get_app("crash", embed_last_task_failure=True).last_task_failure
    assert before is not None and before.state == "TASK_FAILED", before

    mc.reset_delay("crash")
    t0 = time.monotonic()

    def relaunched_and_failed():
        failure = mc.get_app("crash", embed_last_task_failure=True).last_task_failure
        return failure if failure and failure.task_id != before.task_id else None

    # no TIMEOUT_SCALE here: the point is that it happens before the old delay ran out
    deadline = left - 2
    while time.monotonic() - t0 < deadline and not relaunched_and_failed():
        time.sleep(0.2)
    assert relaunched_and_failed(), \
        f"no relaunch within {deadline:.1f}s of reset_delay (the delay had {left}s left)"


# ---------------------------------------------------------------------------
# events


class EventReader:
    """Consume a client event stream in a thread; hand events out with timeouts."""

    def __init__(self, stream):
        self.q = queue.Queue()
        self.seen = []
        self.thread = threading.Thread(target=self._run, args=(stream,), daemon=True)
        self.thread.start()

    def _run(self, stream):
        try:
            for item in stream:
                self.q.put(item)
        except Exception as e:  # pylint: disable=broad-except
            self.q.put(e)

    def next(self, timeout=30):
        try:
            item = self.q.get(timeout=timeout * TIMEOUT_SCALE)
        except queue.Empty:
            raise AssertionError(f"no event within {timeout}s; seen so far: {self.seen}") from None
        if isinstance(item, Exception):
            raise AssertionError(f"the event stream failed: {item!r}; seen: {self.seen}")
        self.seen.append(item)
        return item

    def until(self, pred, timeout=60):
        deadline = time.monotonic() + timeout * TIMEOUT_SCALE
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no matching event within {timeout}s; seen: {self.seen}")
            item = self.next(left / TIMEOUT_SCALE)
            if pred(item):
                return item


def parse_raw(data):
    """A raw data line from event_stream(raw=True): validated, and parsed by the client too."""
    event = json.loads(data)
    ms.check_event(event)
    EventFactory().process(event)  # the client's own parser must accept it
    return event


def test_event_stream(mc):
    stream = EventReader(parse_raw(d) for d in mc.event_stream(raw=True))
    first = stream.next()
    assert first["eventType"] == "event_stream_attached", first

    wanted = {"event_stream_attached", "status_update_event", "deployment_success"}
    typed = EventReader(mc.event_stream(event_types=sorted(wanted)))
    assert typed.next().event_type == "event_stream_attached"
    created = mc.create_app("ev", sleeper())
    dep_id = created.deployments[0].id if created.deployments else None

    post = stream.until(lambda e: e["eventType"] == "api_post_event")
    assert post["appDefinition"]["id"] == "/ev" and post["uri"].startswith("/v2/apps"), post
    info = stream.until(lambda e: e["eventType"] == "deployment_info")
    if dep_id:
        assert info["plan"]["id"] == dep_id, info
    up = stream.until(lambda e: e["eventType"] == "status_update_event"
                      and e["taskStatus"] == "TASK_RUNNING")
    assert up["appId"] == "/ev" and up["version"] == created.version, up
    # SPEC section 5: once the event is out, the API already shows the task running
    r = raw(mc, "GET", "/v2/apps", params={"embed": "apps.tasks"})
    listed = {t["id"]: t["state"] for a in r.json()["apps"] for t in a["tasks"]}
    assert listed.get(up["taskId"]) == "TASK_RUNNING", (up, listed)
    stream.until(lambda e: e["eventType"] == "deployment_step_success")
    done = stream.until(lambda e: e["eventType"] == "deployment_success")
    assert done["id"] == info["plan"]["id"], (done, info)

    mc.delete_app("ev")
    stream.until(lambda e: e["eventType"] == "app_terminated_event" and e["appId"] == "/ev")
    stream.until(lambda e: e["eventType"] == "status_update_event"
                 and e["taskId"] == up["taskId"] and e["taskStatus"] == "TASK_KILLED")

    # the filtered stream, parsed by the client into its event classes, carries only what
    # it asked for
    got = typed.until(lambda e: e.event_type == "deployment_success"
                      and e.id == info["plan"]["id"])
    assert isinstance(got, MarathonEvent)
    types = [e.event_type for e in typed.seen]
    assert set(types) <= wanted, types
    assert "status_update_event" in types, types


class CallbackSink(http.server.ThreadingHTTPServer):
    """An HTTP event subscriber on 127.0.0.1: collects the JSON bodies POSTed to it."""

    def __init__(self):
        self.bodies = queue.Queue()
        sink = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # pylint: disable=invalid-name
                n = int(self.headers.get("Content-Length") or 0)
                sink.bodies.put((self.headers.get("Content-Type"), self.rfile.read(n)))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):  # quiet
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}/callback"
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def close(self):
        self.shutdown()
        self.server_close()


@pytest.fixture
def sink():
    s = CallbackSink()
    yield s
    s.close()


def test_event_subscriptions(mc, sink):
    assert mc.list_event_subscriptions() == []
    sub = mc.create_event_subscription(sink.url)
    assert sub["eventType"] == "subscribe_event" and sub["callbackUrl"] == sink.url, sub
    assert mc.list_event_subscriptions() == [sink.url]

    mc.create_app("cb", sleeper())
    seen = []
    deadline = time.monotonic() + 30 * TIMEOUT_SCALE
    while True:
        left = deadline - time.monotonic()
        assert left > 0, f"no api_post_event delivered to {sink.url}; got {seen}"
        try:
            ctype, body = sink.bodies.get(timeout=left)
        except queue.Empty:
            continue
        assert "application/json" in (ctype or ""), ctype
        event = json.loads(body)
        ms.check_event(event)
        seen.append(event["eventType"])
        if event["eventType"] == "api_post_event":
            assert event["appDefinition"]["id"] == "/cb", event
            break

    gone = mc.delete_event_subscription(sink.url)
    assert gone["eventType"] == "unsubscribe_event" and gone["callbackUrl"] == sink.url, gone
    assert mc.list_event_subscriptions() == []
