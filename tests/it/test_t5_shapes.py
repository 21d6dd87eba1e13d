"""t5: the Marathon shape validator itself (tests/it/marathon_shapes.py), no server needed.

Every check must accept Marathon's own bodies (the upstream examples copied into
data/marathon-api) and reject a wrong type, a missing required field, an unknown field
where the schema is closed, and a value out of range, naming the JSON pointer of the
problem. Where an upstream example does not pass, the test pins exactly why.
"""

import copy
import json

import pytest

import marathon_shapes as ms
from marathon_shapes import Schema, ShapeError

L = ms.load_example


def errs(schema, value):
    return Schema(schema).errors(value)


# ---------------------------------------------------------------------------
# the JSON-schema engine


@pytest.mark.parametrize("schema,good,bad", [
    ({"type": "integer"}, [0, -3, 2 ** 40], [1.0, 1.5, "1", True, None]),
    ({"type": "number"}, [0, 1.5, -2], ["1", True, None, [], {}]),
    ({"type": "string"}, ["", "x"], [1, None, ["x"]]),
    ({"type": "boolean"}, [True, False], [0, 1, "true", None]),
    ({"type": "array"}, [[], [1]], [{}, "[]", None]),
    ({"type": "object"}, [{}, {"a": 1}], [[], None, "x"]),
    ({"type": "null"}, [None], [0, "", False]),
    ({"type": ["string", "null"]}, ["a", None], [1]),
])
def test_types(schema, good, bad):
    for v in good:
        assert errs(schema, v) == [], v
    for v in bad:
        assert errs(schema, v), v


def test_object_keywords():
    s = {"type": "object", "required": ["id"], "additionalProperties": False,
         "properties": {"id": {"type": "string"}, "n": {"type": "integer", "minimum": 1}}}
    assert errs(s, {"id": "a", "n": 1}) == []
    assert errs(s, {"n": 1}) == ["/: required field 'id' is missing"]
    assert errs(s, {"id": "a", "x": 1}) == ["/x: field 'x' is not allowed here"]
    assert errs(s, {"id": "a", "n": 0}) == ["/n: 0 is below the minimum 1"]
    assert errs(s, {"id": 5}) == ["/id: expected string, got integer 5"]
    # additionalProperties as a schema, and patternProperties
    s2 = {"type": "object", "additionalProperties": {"type": "string"},
          "patternProperties": {"^n_": {"type": "integer"}}}
    assert errs(s2, {"a": "x", "n_1": 3}) == []
    assert errs(s2, {"a": 1}) == ["/a: expected string, got integer 1"]
    assert errs(s2, {"n_1": "3"}) == ['/n_1: expected integer, got string "3"']
    # without additionalProperties, extra fields are allowed
    assert errs({"properties": {"a": {"type": "string"}}}, {"b": 1}) == []


def test_string_number_array_keywords():
    assert errs({"pattern": "^[a-z]+$"}, "abc") == []
    assert errs({"pattern": "^[a-z]+$"}, "aBc")
    assert errs({"pattern": "^[a-z]+$"}, 5) == []  # pattern applies to strings only
    assert errs({"minLength": 2, "maxLength": 3}, "ab") == []
    assert errs({"minLength": 2}, "a") and errs({"maxLength": 3}, "abcd")
    assert errs({"minimum": 0, "maximum": 1}, 1.0) == []
    assert errs({"maximum": 1}, 1.01) and errs({"minimum": 0}, -0.1)
    assert errs({"maximum": 1, "exclusiveMaximum": True}, 1)
    assert errs({"enum": ["A", "B"]}, "B") == [] and errs({"enum": ["A", "B"]}, "C")
    assert errs({"enum": [1]}, True), "a boolean is not the number 1"
    assert errs({"enum": [1]}, 1.0) == [], "1.0 equals 1 as JSON"
    assert errs({"minItems": 2}, [1]) and errs({"maxItems": 1}, [1, 2])
    assert errs({"uniqueItems": True}, [1, 2]) == [] and errs({"uniqueItems": True}, [1, 1])
    assert errs({"items": {"type": "integer"}}, [1, "2"]) == ['/1: expected integer, got string "2"']
    tup = {"items": [{"type": "string"}, {"enum": ["UNIQUE"]}], "additionalItems": False}
    assert errs(tup, ["hostname", "UNIQUE"]) == []
    assert errs(tup, ["hostname", "UNIQUE", "x"]) == ["/2: not allowed here"]
    assert errs(tup, [1, "UNIQUE"]) == ["/0: expected string, got integer 1"]


def test_date_time_format():
    s = {"type": "string", "format": "date-time"}
    for good in ("2015-09-25T15:13:48.343Z", "2015-09-25T15:13:48Z", "2015-09-25T15:13:48+02:00"):
        assert errs(s, good) == [], good
    for bad in ("2015-09-25", "yesterday", "2015-09-25 15:13:48Z", ""):
        assert errs(s, bad), bad


def test_combinators():
    one = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert errs(one, "a") == [] and errs(one, 1) == []
    assert errs(one, 1.5) and errs(one, None)
    both = {"oneOf": [{"type": "number"}, {"type": "integer"}]}
    assert errs(both, 1) == ["/: matches 2 of oneOf, exactly one allowed"]
    assert errs(both, 1.5) == []
    anyof = {"anyOf": [{"required": ["a"]}, {"required": ["b"]}]}
    assert errs(anyof, {"a": 1}) == [] and errs(anyof, {"a": 1, "b": 2}) == []
    assert errs(anyof, {"c": 1})
    allof = {"allOf": [{"minimum": 0}, {"maximum": 10}]}
    assert errs(allof, 5) == [] and errs(allof, 11)
    nope = {"not": {"allOf": [{"required": ["cmd"]}, {"required": ["args"]}]}}
    assert errs(nope, {"cmd": "x"}) == [] and errs(nope, {"args": []}) == []
    assert errs(nope, {"cmd": "x", "args": []})


def test_refs():
    s = Schema({"definitions": {"p": {"type": "string", "pattern": "^/"}},
                "type": "object",
                "properties": {"id": {"$ref": "#/definitions/p"},
                               "kids": {"type": "array", "items": {"$ref": "#"}},
                               "app": {"$ref": "./Other.json"}}},
               refs={"./Other.json": Schema({"type": "object", "required": ["x"]})})
    assert s.errors({"id": "/a", "kids": [{"id": "/b", "kids": []}], "app": {"x": 1}}) == []
    assert s.errors({"kids": [{"id": "b"}]}) == ['/kids/0/id: "b" does not match ^/']
    assert s.errors({"app": {}}) == ["/app: required field 'x' is missing"]
    with pytest.raises(ValueError):
        Schema({"$ref": "http://example.com/schema.json"}).errors({})


def test_pointer_escaping():
    assert errs({"properties": {"a/b": {"type": "string"}}}, {"a/b": 1}) == \
        ["/a~1b: expected string, got integer 1"]


# ---------------------------------------------------------------------------
# app definitions: schema_v1.7_AppDefinition.json

# What clusterd answered to POST /v2/apps {"id": "/p1", "cmd": "sleep 1000", ...}: the
# stored canonical form, as a complete, realistic 1.x app definition.
APP = {
    "id": "/p1", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16.0, "disk": 0.0, "gpus": 0,
    "instances": 1, "executor": "", "env": {}, "labels": {"a": "b"}, "constraints": [],
    "uris": [], "fetch": [], "networks": [{"mode": "host"}],
    "portDefinitions": [{"port": 10000, "protocol": "tcp", "name": "default"}],
    "requirePorts": False, "ports": [10000], "healthChecks": [], "readinessChecks": [],
    "dependencies": [], "upgradeStrategy": {"minimumHealthCapacity": 1.0,
                                            "maximumOverCapacity": 1.0},
    "backoffSeconds": 1, "backoffFactor": 1.15, "maxLaunchDelaySeconds": 300,
    "killSelection": "YOUNGEST_FIRST",
    "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0},
    "version": "2026-11-25T22:21:06.842Z",
    "versionInfo": {"lastScalingAt": "2026-11-25T22:21:06.842Z",
                    "lastConfigChangeAt": "2026-11-25T22:21:06.842Z"},
}
TASK = {
    "id": "p1.f053b215-1669-4593-923b-315e883a5bbc", "appId": "/p1", "host": "vm",
    "ipAddresses": [{"ipAddress": "127.0.0.1", "protocol": "IPv4"}], "ports": [31000],
    "servicePorts": [10000], "slaveId": "406d956a-1328-4c4b-bf20-a198378cb467-S0",
    "stagedAt": "2026-11-25T22:21:06.861Z", "startedAt": "2026-11-25T22:21:06.870Z",
    "state": "TASK_RUNNING", "version": "2026-11-25T22:21:06.842Z", "localVolumes": [],
    "role": "*",
}
APP_INFO = dict(APP, tasksStaged=0, tasksRunning=1, tasksHealthy=0, tasksUnhealthy=0,
                deployments=[{"id": "98c7c35e-91e7-4567-a871-90fdff2c8034"}],
                tasks=[TASK])


def mutated(body, path, value=KeyError):
    """A deep copy of body with the field at path (a list of keys) set, or removed when
    value is KeyError."""
    out = copy.deepcopy(body)
    node = out
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def test_app_definition_good():
    assert ms.app_definition_errors(APP) == []
    assert ms.check_app_definition(APP) is APP
    for name in ("systemtest_apps_sleep-app.json", "systemtest_apps_http-server.json",
                 "systemtest_apps_docker-http-server.json",
                 "systemtest_apps_readiness-and-health-app.json"):
        assert ms.app_definition_errors(L(name)) == [], name
    for app in L("example_v2api_apps_create.json"):
        assert ms.app_definition_errors(app) == [], app["id"]
    docker = dict(APP, container={"type": "DOCKER", "docker": {
        "image": "busybox:local", "network": "BRIDGE", "privileged": False,
        "forcePullImage": False, "parameters": [{"key": "label", "value": "x=y"}],
        "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp"}]},
        "volumes": []})
    assert ms.app_definition_errors(docker) == []
    hc = dict(APP, healthChecks=[{"protocol": "HTTP", "path": "/", "portIndex": 0,
                                  "gracePeriodSeconds": 300, "intervalSeconds": 60,
                                  "timeoutSeconds": 20, "maxConsecutiveFailures": 3,
                                  "ignoreHttp1xx": False},
                                 {"protocol": "COMMAND", "command": {"value": "true"}}],
              constraints=[["hostname", "UNIQUE"], ["rack", "GROUP_BY", "2"]],
              unreachableStrategy="disabled", env={"A": "b", "S": {"secret": "s1"}},
              secrets={"s1": {"source": "/x"}})
    assert ms.app_definition_errors(hc) == []


@pytest.mark.parametrize("path,value,pointer", [
    (["instances"], "2", "/instances"),
    (["instances"], 1.5, "/instances"),
    (["instances"], -1, "/instances"),
    (["cpus"], -1, "/cpus"),
    (["cpus"], "0.1", "/cpus"),
    (["mem"], None, "/mem"),
    (["id"], "Bad_Id", "/id"),
    (["id"], "", "/id"),
    (["cmd"], "", "/cmd"),
    (["labels"], {"a": 1}, "/labels/a"),
    (["env"], {"A": 1}, "/env/A"),
    (["constraints"], [["hostname", "SOMETIMES"]], "/constraints/0/1"),
    (["constraints"], [["hostname"]], "/constraints/0"),
    (["upgradeStrategy", "minimumHealthCapacity"], 1.5, "/upgradeStrategy/minimumHealthCapacity"),
    (["upgradeStrategy", "surprise"], 1, "/upgradeStrategy/surprise"),
    (["portDefinitions", 0, "port"], 70000, "/portDefinitions/0/port"),
    (["portDefinitions", 0, "protocol"], "sctp", "/portDefinitions/0/protocol"),
    (["killSelection"], "RANDOM", "/killSelection"),
    (["unreachableStrategy"], "enabled", "/unreachableStrategy"),
    (["version"], "last tuesday", "/version"),
    (["versionInfo", "lastScalingAt"], 5, "/versionInfo/lastScalingAt"),
    (["requirePorts"], "false", "/requirePorts"),
    (["uris"], None, "/uris"),
    (["tasksRunning"], 1, "/tasksRunning"),  # an AppInfo field is not a definition field
    (["surprise"], True, "/surprise"),
    (["args"], ["sleep", "1"], "/"),  # cmd and args together
])
def test_app_definition_bad(path, value, pointer):
    bad = mutated(APP, path, value)
    found = ms.app_definition_errors(bad)
    assert found, f"{path}={value!r} passed"
    assert any(e.startswith(pointer + ":") for e in found), found
    with pytest.raises(ShapeError) as exc:
        ms.check_app_definition(bad)
    assert pointer + ":" in str(exc.value)


def test_app_definition_docker_needs_image():
    bad = dict(APP, container={"type": "DOCKER", "docker": {"network": "HOST"}})
    assert ms.app_definition_errors(bad) == ["/container/docker: required field 'image' is missing"]


def test_app_definition_requires_id():
    assert ms.app_definition_errors(mutated(APP, ["id"])) == ["/: required field 'id' is missing"]


def test_upstream_full_app_example_pinned():
    """example_v2api_app.json (master, 1.10) has both cmd and args, which Marathon refuses,
    and tty, which came after 1.7: exactly these two problems."""
    found = ms.app_definition_errors(L("example_v2api_app.json"))
    assert len(found) == 2, found
    assert found[0].startswith("/: must not match")
    assert found[1] == "/tty: field 'tty' is not allowed here"


# ---------------------------------------------------------------------------
# AppInfo (apps in answers)


def test_app_info_good():
    assert ms.app_info_errors(APP_INFO) == []
    ms.check_app_single({"app": APP_INFO})
    ms.check_app_list({"apps": [APP_INFO, APP]})
    failure = {"appId": "/p1", "host": "vm", "message": "Command exited with status 1",
               "state": "TASK_FAILED", "taskId": TASK["id"], "slaveId": TASK["slaveId"],
               "timestamp": "2026-11-25T22:21:07.000Z", "version": APP["version"]}
    counts = {"stats": {"counts": {"staged": 0, "running": 1, "healthy": 0, "unhealthy": 0},
                        "lifeTime": {"averageSeconds": 1.5, "medianSeconds": 1.5}}}
    full = dict(APP_INFO, lastTaskFailure=failure, readinessCheckResults=[],
                taskStats={"totalSummary": counts, "withLatestConfig": counts})
    assert ms.app_info_errors(full) == []


@pytest.mark.parametrize("path,value,pointer", [
    (["tasksRunning"], "1", "/tasksRunning"),
    (["tasksHealthy"], -1, "/tasksHealthy"),
    (["tasksUnhealthy"], None, "/tasksUnhealthy"),
    (["tasksStaged"], 0.5, "/tasksStaged"),
    (["deployments"], [{"deploymentId": "x"}], "/deployments/0"),
    (["deployments"], ["x"], "/deployments/0"),
    (["tasks"], {}, "/tasks"),
    (["tasks", 0, "state"], KeyError, "/tasks/0"),
    (["tasks", 0, "ports"], [31000.5], "/tasks/0/ports/0"),
    (["id"], "p1", "/id"),  # answers carry absolute ids
    (["cpus"], "0.1", "/cpus"),
    (["surprise"], 1, "/surprise"),
    (["lastTaskFailure"], {"appId": "/p1"}, "/lastTaskFailure"),
    (["taskStats"], {"totalSummary": {"stats": {}}}, "/taskStats/totalSummary/stats"),
])
def test_app_info_bad(path, value, pointer):
    found = ms.app_info_errors(mutated(APP_INFO, path, value))
    assert any(e.startswith(pointer + ":") for e in found), found
    with pytest.raises(ShapeError):
        ms.check_app_single({"app": mutated(APP_INFO, path, value)})
    with pytest.raises(ShapeError) as exc:
        ms.check_app_list({"apps": [APP_INFO, mutated(APP_INFO, path, value)]})
    assert "/apps/1" + pointer in str(exc.value)


def test_app_info_05_keys():
    """An app posted in 0.5's shape lists 0.5's keys (issue 13): taskRateLimit marks it,
    its cmd may be "" and its container null; without the mark those stay refused."""
    app05 = dict(APP_INFO, taskRateLimit=1.0, cmd="", container=None)
    app05.pop("args", None)
    assert ms.app_info_errors(app05) == []
    ms.check_app_list({"apps": [APP_INFO, app05]})
    assert ms.app_definition_errors({k: v for k, v in app05.items()
                                     if k not in ms.APP_INFO_EXTRAS}) == []
    unmarked = {k: v for k, v in app05.items() if k != "taskRateLimit"}
    found = ms.app_info_errors(unmarked)
    assert any(e.startswith("/cmd:") for e in found), found
    assert any(e.startswith("/container:") for e in found), found
    for bad, pointer in ((dict(app05, taskRateLimit=-1), "/taskRateLimit"),
                         (dict(app05, taskRateLimit="1"), "/taskRateLimit"),
                         (dict(app05, cmd=None), "/cmd")):
        found = ms.app_info_errors(bad)
        assert any(e.startswith(pointer + ":") for e in found), (bad, found)


def test_app_list_envelope():
    for bad in ({}, {"apps": {}}, [APP_INFO], {"app": APP_INFO}):
        with pytest.raises(ShapeError):
            ms.check_app_list(bad)
    with pytest.raises(ShapeError):
        ms.check_app_single({"apps": [APP_INFO]})


def test_upstream_app_list_example_pinned():
    """example_v2api_app_list.json (from the 1.0 era) serves nulls, which SPEC section 5
    forbids and the schema refuses, and "args": null next to cmd."""
    found = ms.app_info_errors(L("example_v2api_app_list.json")["apps"][0], "/apps/0")
    assert sorted(found) == sorted([
        '/apps/0: must not match {"allOf": [{"required": ["cmd"]}, {"required": ["args"]}]}',
        "/apps/0/args: expected array, got null null",
        "/apps/0/user: expected string, got null null",
        "/apps/0/container: expected object, got null null",
        "/apps/0/acceptedResourceRoles: expected array, got null null"]), found


# ---------------------------------------------------------------------------
# tasks


def test_task_good():
    assert ms.task_errors(TASK) == []
    ms.check_task_list({"tasks": [TASK]})
    ms.check_task_list({"tasks": []})
    ms.check_task_single({"task": TASK})
    staging = {k: v for k, v in TASK.items() if k != "startedAt"}
    staging["state"] = "TASK_STAGING"
    assert ms.task_errors(staging) == []
    healthy = dict(TASK, healthCheckResults=[{
        "alive": True, "consecutiveFailures": 0, "firstSuccess": "2026-11-25T22:21:08.000Z",
        "lastSuccess": "2026-11-25T22:21:08.000Z", "taskId": TASK["id"]}])
    assert ms.task_errors(healthy) == []
    by_instance = dict(TASK, healthCheckResults=[{
        "alive": False, "consecutiveFailures": 2, "lastFailureCause": "503",
        "lastFailure": "2026-11-25T22:21:08.000Z",
        "instanceId": "p1.instance-f053b215-1669-4593-923b-315e883a5bbc"}])
    assert ms.task_errors(by_instance) == []


@pytest.mark.parametrize("field", sorted(ms.TASK["required"]))
def test_task_missing_field(field):
    found = ms.task_errors(mutated(TASK, [field]))
    assert found == [f"/: required field {field!r} is missing"], found


@pytest.mark.parametrize("path,value,pointer", [
    (["state"], "RUNNING", "/state"),
    (["state"], None, "/state"),
    (["appId"], "p1", "/appId"),
    (["ports"], ["31000"], "/ports/0"),
    (["ports"], [70000], "/ports/0"),
    (["servicePorts"], None, "/servicePorts"),
    (["ipAddresses"], [{"ipAddress": "127.0.0.1"}], "/ipAddresses/0"),
    (["ipAddresses"], [{"ipAddress": "127.0.0.1", "protocol": "ipv4"}], "/ipAddresses/0/protocol"),
    (["stagedAt"], 1700000000, "/stagedAt"),
    (["startedAt"], "soon", "/startedAt"),
    (["version"], "", "/version"),
    (["localVolumes"], [{}], "/localVolumes/0"),
    (["healthCheckResults"], [{"alive": "yes", "consecutiveFailures": 0, "taskId": "t"}],
     "/healthCheckResults/0/alive"),
    (["healthCheckResults"], [{"alive": True, "consecutiveFailures": 0}],
     "/healthCheckResults/0"),
    (["healthCheckResults"], [{"alive": True, "taskId": "t"}], "/healthCheckResults/0"),
    (["healthCheckResults"], {}, "/healthCheckResults"),
    (["startedAt"], KeyError, "/"),  # a running task has started
])
def test_task_bad(path, value, pointer):
    found = ms.task_errors(mutated(TASK, path, value))
    assert any(e.startswith(pointer + ":") for e in found), found
    with pytest.raises(ShapeError) as exc:
        ms.check_task_list({"tasks": [TASK, mutated(TASK, path, value)]})
    assert "/tasks/1" in str(exc.value)


def test_upstream_task_examples_pinned():
    """The RAML task examples pass once SPEC section 5's always-present empty collections
    (servicePorts, ipAddresses, localVolumes) are there: nothing else is missing."""
    for name, key in (("example_v2api_app_tasks.json", "tasks"), ("example_v2api_tasks.json", "tasks"),
                      ("example_v2api_app_task.json", "task")):
        body = L(name)
        tasks = body[key] if key == "tasks" else [body[key]]
        for t in tasks:
            found = ms.task_errors(t)
            assert found and all("servicePorts" in e or "ipAddresses" in e or "localVolumes" in e
                                 for e in found), found
            t.setdefault("servicePorts", [])
            t.setdefault("ipAddresses", [])
            t.setdefault("localVolumes", [])
        if key == "tasks":
            ms.check_task_list(body)
        else:
            ms.check_task_single(body)


def test_versions():
    ms.check_versions({"versions": ["2026-11-25T22:21:06.842Z", "2026-11-25T22:20:06.842Z"]})
    for bad in ({"versions": []}, {"versions": ["x"]}, {"versions": "2026-11-25T22:21:06.842Z"},
                {}, {"versions": ["2026-11-25T22:21:06.842Z"] * 2}):
        with pytest.raises(ShapeError):
            ms.check_versions(bad)


# ---------------------------------------------------------------------------
# deployments


def test_deployment_result():
    ms.check_deployment_result(L("example_v2api_deployments_result.json"))
    good = {"deploymentId": "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43",
            "version": "2015-09-29T15:59:51.164Z"}
    for path, value in ((["deploymentId"], KeyError), (["version"], KeyError),
                        (["version"], "now"), (["deploymentId"], 5), (["deploymentId"], "")):
        with pytest.raises(ShapeError):
            ms.check_deployment_result(mutated(good, path, value))


DEPLOYMENT = L("example_v2api_deployments.json")[0]


def test_deployment_good():
    ms.check_deployment_list(L("example_v2api_deployments.json"))
    ms.check_deployment_list([])
    plain = dict(DEPLOYMENT, affectedPods=[],
                 steps=[{"actions": [{"action": "StartApplication", "app": "/a"}]},
                        {"actions": [{"action": "ScaleApplication", "app": "/a"}]}],
                 currentActions=[{"action": "StartApplication", "app": "/a",
                                  "readinessCheckResults": []}],
                 currentStep=1, totalSteps=2)
    ms.check_deployment(plain)


@pytest.mark.parametrize("field", sorted(ms.DEPLOYMENT["required"]))
def test_deployment_missing_field(field):
    with pytest.raises(ShapeError) as exc:
        ms.check_deployment_list([mutated(DEPLOYMENT, [field])])
    assert f"required field {field!r} is missing" in str(exc.value)


@pytest.mark.parametrize("path,value", [
    (["currentStep"], "1"),
    (["totalSteps"], None),
    (["affectedApps"], ["foo"]),
    (["affectedApps"], "/foo"),
    (["steps"], [{"actions": [{"action": "Teleport", "app": "/foo"}]}]),
    (["steps"], [{"actions": [{"action": "ScaleApplication"}]}]),
    (["steps"], [[{"action": "ScaleApplication", "app": "/foo"}]]),  # pre-1.0 shape
    (["currentActions", 0, "readinessCheckResults"], KeyError),
    (["currentActions", 0, "action"], KeyError),
    (["version"], "v1"),
    (["id"], 7),
])
def test_deployment_bad(path, value):
    with pytest.raises(ShapeError):
        ms.check_deployment(mutated(DEPLOYMENT, path, value))


# ---------------------------------------------------------------------------
# groups


def test_group_definition():
    ms.check_group_definition(L("example_v2api_group.json"))
    ms.check_group_definition(L("systemtest_groups_sleep-group.json"))
    ms.check_group_definition({"id": "/g", "apps": [APP], "groups": [{"id": "/g/sub"}],
                               "dependencies": ["/other"]})
    assert ms.group_definition_errors({"apps": []}) == ["/: required field 'id' is missing"]
    assert ms.group_definition_errors({"id": "/g", "scaleBy": 2}) == \
        ["/scaleBy: field 'scaleBy' is not allowed here"]
    found = ms.group_definition_errors({"id": "/g", "apps": [dict(APP, instances="2")]})
    assert any(e.startswith("/apps/0/instances:") for e in found), found
    found = ms.group_definition_errors({"id": "/g", "groups": [{"id": "/g/Sub"}]})
    assert any(e.startswith("/groups/0/id:") for e in found), found
    found = ms.group_definition_errors({"id": "/g", "dependencies": ["Not Ok"]})
    assert any(e.startswith("/dependencies/0:") for e in found), found
    found = ms.group_definition_errors({"id": "/g", "version": "v2"})
    assert any(e.startswith("/version:") for e in found), found


def test_group_info():
    tree = {"id": "/", "apps": [], "pods": [], "dependencies": [],
            "version": "2026-11-25T22:21:06.842Z",
            "groups": [{"id": "/g", "apps": [APP_INFO], "groups": [], "pods": [],
                        "dependencies": [], "version": "2026-11-25T22:21:06.842Z",
                        "enforceRole": False}]}
    ms.check_group_info(tree)
    ms.check_group_info(L("example_v2api_group.json"))
    bad = copy.deepcopy(tree)
    bad["groups"][0]["apps"][0]["tasksRunning"] = "1"
    with pytest.raises(ShapeError) as exc:
        ms.check_group_info(bad)
    assert "/groups/0/apps/0/tasksRunning:" in str(exc.value)
    bad = copy.deepcopy(tree)
    del bad["groups"][0]["id"]
    with pytest.raises(ShapeError) as exc:
        ms.check_group_info(bad)
    assert "/groups/0: required field 'id' is missing" in str(exc.value)
    for path, value in ((["apps"], {}), (["groups"], None), (["enforceRole"], "no"),
                        (["surprise"], 1)):
        with pytest.raises(ShapeError):
            ms.check_group_info(mutated(tree, path, value))


# ---------------------------------------------------------------------------
# queue, info, leader, errors


QUEUE = L("example_v2api_queue.json")


def test_queue():
    ms.check_queue(QUEUE)
    ms.check_queue({"queue": []})
    item = QUEUE["queue"][0]
    for path, value in ((["delay"], KeyError), (["count"], KeyError), (["since"], KeyError),
                        (["processedOffersSummary"], KeyError), (["app"], KeyError),
                        (["delay", "overdue"], "no"), (["delay", "timeLeftSeconds"], -1),
                        (["count"], "1"), (["processedOffersSummary", "processedOffersCount"], None),
                        (["app", "instances"], "5"), (["app", "surprise"], 1)):
        with pytest.raises(ShapeError):
            ms.check_queue({"queue": [mutated(item, path, value)]})
    with pytest.raises(ShapeError):
        ms.check_queue([item])


INFO = L("example_v2api_info.json")


def test_info():
    ms.check_info(INFO)
    for path, value in ((["name"], KeyError), (["elected"], "true"),
                        (["marathon_config"], KeyError), (["marathon_config", "features"], KeyError),
                        (["marathon_config", "ha"], "yes"), (["zookeeper_config", "zk"], KeyError),
                        (["http_config", "https_port"], KeyError),
                        (["http_config", "http_port"], "8080"), (["frameworkId"], 1)):
        with pytest.raises(ShapeError):
            ms.check_info(mutated(INFO, path, value))


def test_leader_and_message():
    ms.check_leader({"leader": "127.0.0.1:8080"})
    ms.check_leader({"leader": "marathon.globalcorp.com:8080"})
    for bad in ({}, {"leader": 8080}, {"leader": "127.0.0.1"}, {"leader": ""}, []):
        with pytest.raises(ShapeError):
            ms.check_leader(bad)
    ms.check_message({"message": "Leadership abdicated"})
    for bad in ({}, {"message": ""}, {"message": 1}):
        with pytest.raises(ShapeError):
            ms.check_message(bad)


def test_error():
    ms.check_error({"message": "App '/x' does not exist"})
    ms.check_error({"message": "Object is not valid", "details": [
        {"path": "/id", "errors": ["error.pattern"]}]})
    ms.check_error({"message": "Invalid JSON", "details": []})
    for bad in ({}, {"message": ""}, {"message": None}, {"error": "x"},
                {"message": "m", "details": {}},
                {"message": "m", "details": [{"path": "/id", "errors": "error.pattern"}]},
                {"message": "m", "details": [{"path": 3, "errors": []}]}):
        with pytest.raises(ShapeError):
            ms.check_error(bad)


def test_event_subscriptions():
    ms.check_event_subscriptions({"callbackUrls": []})
    ms.check_event_subscriptions({"callbackUrls": ["http://h/cb"]})
    change = {"callbackUrl": "http://h/cb", "clientIp": "127.0.0.1",
              "eventType": "subscribe_event", "timestamp": "2014-03-01T23:29:30.158Z"}
    ms.check_subscription_change(change)
    for bad in ({}, {"callbackUrls": "http://h/cb"}, {"callbackUrls": [1]}):
        with pytest.raises(ShapeError):
            ms.check_event_subscriptions(bad)
    for path, value in ((["callbackUrl"], KeyError), (["eventType"], "api_post_event"),
                        (["timestamp"], KeyError)):
        with pytest.raises(ShapeError):
            ms.check_subscription_change(mutated(change, path, value))


# ---------------------------------------------------------------------------
# events

TS = "2014-03-01T23:29:30.158Z"
HC = {"protocol": "HTTP", "path": "/health", "portIndex": 0, "gracePeriodSeconds": 5,
      "intervalSeconds": 10, "timeoutSeconds": 10, "maxConsecutiveFailures": 3}
PLAN = {"id": "867ed450-f6a8-4d33-9b0e-e11c5513990b",
        "original": {"apps": [], "dependencies": [], "groups": [], "id": "/", "version": TS},
        "target": {"apps": [APP], "dependencies": [], "groups": [], "id": "/", "version": TS},
        "steps": [{"actions": [{"action": "ScaleApplication", "app": "/p1"}]}],
        "version": TS}
STEP = {"actions": [{"action": "ScaleApplication", "app": "/p1"}]}
# One good payload per event type, from Marathon's docs/event-bus.md (1.x field names).
EVENTS = [
    {"eventType": "event_stream_attached", "timestamp": TS, "remoteAddress": "127.0.0.1"},
    {"eventType": "event_stream_detached", "timestamp": TS, "remoteAddress": "127.0.0.1"},
    {"eventType": "api_post_event", "timestamp": TS, "clientIp": "0:0:0:0:0:0:0:1",
     "uri": "/v2/apps/p1", "appDefinition": APP},
    {"eventType": "status_update_event", "timestamp": TS, "slaveId": "S0", "taskId": TASK["id"],
     "taskStatus": "TASK_RUNNING", "message": "", "appId": "/p1", "host": "vm",
     "ports": [31000], "ipAddresses": [{"ipAddress": "127.0.0.1", "protocol": "IPv4"}],
     "version": TS},
    {"eventType": "framework_message_event", "timestamp": TS, "slaveId": "S0",
     "executorId": TASK["id"], "message": "aGVsbG8gd29ybGQh"},
    {"eventType": "subscribe_event", "timestamp": TS, "clientIp": "1.2.3.4",
     "callbackUrl": "http://h/cb"},
    {"eventType": "unsubscribe_event", "timestamp": TS, "clientIp": "1.2.3.4",
     "callbackUrl": "http://h/cb"},
    {"eventType": "add_health_check_event", "timestamp": TS, "appId": "/p1", "healthCheck": HC},
    {"eventType": "remove_health_check_event", "timestamp": TS, "appId": "/p1", "healthCheck": HC},
    {"eventType": "failed_health_check_event", "timestamp": TS, "appId": "/p1",
     "taskId": TASK["id"], "healthCheck": HC},
    {"eventType": "health_status_changed_event", "timestamp": TS, "appId": "/p1",
     "instanceId": "p1.instance-c7c311a4", "version": TS, "alive": True},
    {"eventType": "unhealthy_task_kill_event", "timestamp": TS, "appId": "/p1",
     "taskId": TASK["id"], "version": TS, "reason": "500 Internal Server Error",
     "host": "vm", "slaveId": "S0"},
    {"eventType": "app_terminated_event", "timestamp": TS, "appId": "/p1"},
    {"eventType": "group_change_success", "timestamp": TS, "groupId": "/g", "version": TS},
    {"eventType": "group_change_failed", "timestamp": TS, "groupId": "/g", "version": TS,
     "reason": ""},
    {"eventType": "deployment_success", "timestamp": TS, "id": PLAN["id"], "plan": PLAN},
    {"eventType": "deployment_failed", "timestamp": TS, "id": PLAN["id"], "plan": PLAN},
    {"eventType": "deployment_info", "timestamp": TS, "plan": PLAN, "currentStep": STEP},
    {"eventType": "deployment_step_success", "timestamp": TS, "plan": PLAN, "currentStep": STEP},
    {"eventType": "deployment_step_failure", "timestamp": TS, "plan": PLAN, "currentStep": STEP},
]


def test_every_event_type_has_a_sample():
    assert {e["eventType"] for e in EVENTS} == set(ms.EVENT_FIELDS)


def test_events_transcript():
    frames = ms.parse_sse(L("example_v2api_events.txt"))
    assert [name for name, _ in frames] == ["event_stream_attached", "status_update_event",
                                            "status_update_event"]
    for name, data in frames:
        event = json.loads(data)
        assert event["eventType"] == name
        ms.check_event(event)


@pytest.mark.parametrize("event", EVENTS, ids=[e["eventType"] for e in EVENTS])
def test_event_good(event):
    assert ms.event_errors(event) == []


@pytest.mark.parametrize("event", EVENTS, ids=[e["eventType"] for e in EVENTS])
def test_event_missing_fields(event):
    required = ["eventType", "timestamp"] + list(ms.EVENT_FIELDS[event["eventType"]])
    for field in required:
        with pytest.raises(ShapeError):
            ms.check_event(mutated(event, [field]))


@pytest.mark.parametrize("event,path,value", [
    (EVENTS[3], ["taskStatus"], "RUNNING"),
    (EVENTS[3], ["ports"], "31000"),
    (EVENTS[3], ["appId"], "p1"),
    (EVENTS[0], ["timestamp"], "now"),
    (EVENTS[0], ["eventType"], "event_stream_attached_v2"),
    (EVENTS[2], ["appDefinition", "instances"], "2"),
    (EVENTS[10], ["alive"], "true"),
    (EVENTS[10], ["instanceId"], KeyError),  # names no task at all
    (EVENTS[9], ["taskId"], KeyError),
    (EVENTS[11], ["taskId"], KeyError),
    (EVENTS[17], ["plan", "steps"], [[{"action": "ScaleApplication", "app": "/p1"}]]),
    (EVENTS[17], ["plan", "original"], KeyError),
    (EVENTS[17], ["currentStep"], {"actions": [{"type": "ScaleApplication"}]}),
    (EVENTS[15], ["id"], 5),
])
def test_event_bad(event, path, value):
    with pytest.raises(ShapeError):
        ms.check_event(mutated(event, path, value))


def test_event_not_an_object():
    assert ms.event_errors([]) and ms.event_errors(None)


def test_parse_sse():
    text = (": heartbeat comment\n\n"
            "event: a\ndata: {\"x\":\ndata: 1}\n\n"
            "data: plain\n\n"
            "event: b\r\ndata:{}\r\n\r\n"
            "event: no-data\n\n")
    assert ms.parse_sse(text) == [("a", '{"x":\n1}'), ("message", "plain"), ("b", "{}")]


def test_shape_error_message_lists_problems_and_body():
    with pytest.raises(ShapeError) as exc:
        ms.check_task(mutated(TASK, ["state"], 5), what="the task")
    text = str(exc.value)
    assert text.startswith("the task does not have Marathon's shape:")
    assert "/state: expected string, got integer 5" in text
    assert '"appId": "/p1"' in text
    assert exc.value.errors == ["/state: expected string, got integer 5"]
    assert isinstance(exc.value, AssertionError)


# ---------------------------------------------------------------------------
# metrics, and whole answers by route

JSON_CT = {"Content-Type": "application/json; charset=utf-8"}
RESULT = {"deploymentId": "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43", "version": TS}
DEPLOYING = dict(JSON_CT, **{"Marathon-Deployment-Id": RESULT["deploymentId"]})


def test_metrics():
    ms.check_metrics({"version": "4.0.0", "counters": {"a": {"count": 1}},
                      "gauges": {"g": {"value": 0.5}}, "histograms": {}, "meters": {},
                      "timers": {"t": {"count": 0, "mean": 0.0}}})
    ms.check_metrics({"start": TS, "end": TS, "counters": {}, "gauges": {}, "histograms": {}})
    for bad in ({}, {"version": "1", "counters": {"a": {"count": "1"}}, "gauges": {},
                     "histograms": {}, "meters": {}, "timers": {}},
                {"version": "1", "counters": {}, "gauges": {"g": {}}, "histograms": {},
                 "meters": {}, "timers": {}}, []):
        with pytest.raises(ShapeError):
            ms.check_metrics(bad)


@pytest.mark.parametrize("method,url,status,headers,body", [
    ("GET", "http://h/ping", 200, {}, "pong\n"),
    ("GET", "http://h/v2/apps?embed=app.tasks", 200, JSON_CT, {"apps": [APP_INFO]}),
    ("POST", "http://h/v2/apps", 201, JSON_CT, APP_INFO),
    ("PUT", "http://h/v2/apps?force=true", 200, DEPLOYING, RESULT),
    ("GET", "http://h/v2/apps//p1", 200, JSON_CT, {"app": APP_INFO}),
    ("GET", "http://h/v2/apps/g/p1/", 200, JSON_CT, {"app": APP_INFO}),
    ("PUT", "http://h/v2/apps/p1?force=False", 200, DEPLOYING, RESULT),
    ("PATCH", "http://h/v2/apps/p1", 200, DEPLOYING, RESULT),
    ("DELETE", "http://h/v2/apps/p1", 200, DEPLOYING, RESULT),
    ("POST", "http://h/v2/apps/p1/restart", 200, DEPLOYING, RESULT),
    ("GET", "http://h/v2/apps/p1/versions", 200, JSON_CT, {"versions": [TS]}),
    ("GET", f"http://h/v2/apps/p1/versions/{TS}", 200, JSON_CT, APP),
    ("GET", "http://h/v2/apps/p1/tasks", 200, JSON_CT, {"tasks": [TASK]}),
    ("DELETE", "http://h/v2/apps/p1/tasks?scale=False&host=vm", 200, JSON_CT, {"tasks": [TASK]}),
    ("DELETE", "http://h/v2/apps/p1/tasks?scale=True", 200, DEPLOYING, RESULT),
    ("DELETE", "http://h/v2/apps/p1/tasks/t1?scale=False", 200, JSON_CT, {"task": TASK}),
    ("DELETE", "http://h/v2/apps/p1/tasks/t1?scale=true", 200, DEPLOYING, RESULT),
    ("GET", "http://h/v2/tasks?status=running", 200, JSON_CT, {"tasks": [TASK]}),
    ("POST", "http://h/v2/tasks/delete?scale=True", 200, DEPLOYING, RESULT),
    ("POST", "http://h/v2/tasks/delete", 200, JSON_CT, {"tasks": [TASK]}),
    ("GET", "http://h/v2/groups", 200, JSON_CT, {"id": "/", "apps": [], "groups": []}),
    ("GET", "http://h/v2/groups/g", 200, JSON_CT, {"id": "/g", "apps": [APP_INFO]}),
    ("POST", "http://h/v2/groups", 201, DEPLOYING, RESULT),
    ("PUT", "http://h/v2/groups/g?force=False", 200, DEPLOYING, RESULT),
    ("DELETE", "http://h/v2/groups/g", 200, DEPLOYING, RESULT),
    ("GET", "http://h/v2/deployments", 200, JSON_CT, [DEPLOYMENT]),
    ("DELETE", "http://h/v2/deployments/d1", 200, DEPLOYING, RESULT),
    ("DELETE", "http://h/v2/deployments/d1?force=True", 202, {}, ""),
    ("GET", "http://h/v2/queue", 200, JSON_CT, QUEUE),
    ("DELETE", "http://h/v2/queue/p1/delay", 204, {}, ""),
    ("GET", "http://h/v2/eventSubscriptions", 200, JSON_CT, {"callbackUrls": []}),
    ("POST", "http://h/v2/eventSubscriptions?callbackUrl=http://c/", 200, JSON_CT,
     {"callbackUrl": "http://c/", "clientIp": "127.0.0.1", "eventType": "subscribe_event",
      "timestamp": TS}),
    ("GET", "http://h/v2/info", 200, JSON_CT, INFO),
    ("GET", "http://h/v2/leader", 200, JSON_CT, {"leader": "h:8080"}),
    ("DELETE", "http://h/v2/leader", 200, JSON_CT, {"message": "Leadership abdicated"}),
    ("GET", "http://h/v2/apps/nope", 404, JSON_CT, {"message": "App '/nope' does not exist"}),
    ("PUT", "http://h/v2/apps/p1", 409, JSON_CT, {"message": "locked", "deployments": [{"id": "d"}]}),
])
def test_check_response_good(method, url, status, headers, body):
    text = body if isinstance(body, str) else json.dumps(body)
    got = ms.check_response(method, url, status, headers, text)
    if isinstance(body, str):
        assert got == (body or None)
    else:
        assert got == body


@pytest.mark.parametrize("method,url,status,headers,body,expect", [
    ("GET", "http://h/ping", 200, {}, "pong?", "pong"),
    ("GET", "http://h/v2/apps", 200, {"Content-Type": "text/plain"}, {"apps": []}, "Content-Type"),
    ("GET", "http://h/v2/apps", 200, JSON_CT, {"apps": [dict(APP_INFO, tasksRunning="1")]},
     "/apps/0/tasksRunning"),
    ("GET", "http://h/v2/apps", 200, JSON_CT, "{not json", "not JSON"),
    ("PUT", "http://h/v2/apps/p1", 200, JSON_CT, RESULT, "Marathon-Deployment-Id"),
    ("PUT", "http://h/v2/apps/p1", 200, DEPLOYING, {"deploymentId": "x"}, "version"),
    ("DELETE", "http://h/v2/apps/p1/tasks?scale=true", 200, JSON_CT, {"tasks": [TASK]},
     "deploymentId"),
    ("DELETE", "http://h/v2/apps/p1/tasks/t1", 200, JSON_CT, {"task": dict(TASK, state=1)},
     "/task/state"),
    ("DELETE", "http://h/v2/apps/p1", 200, DEPLOYING, "", "no body"),
    ("GET", "http://h/v2/apps/nope", 404, JSON_CT, {"error": "nope"}, "message"),
    ("GET", "http://h/v2/pods", 200, JSON_CT, [], "no shape is known"),
    ("POST", "http://h/v2/eventSubscriptions", 200, JSON_CT,
     {"callbackUrl": "http://c/", "clientIp": "127.0.0.1", "eventType": "unsubscribe_event",
      "timestamp": TS}, "subscribe_event"),
    ("GET", "http://h/v2/deployments", 200, JSON_CT, {"deployments": []}, "expected array"),
])
def test_check_response_bad(method, url, status, headers, body, expect):
    text = body if isinstance(body, str) else json.dumps(body)
    with pytest.raises(ShapeError) as exc:
        ms.check_response(method, url, status, headers, text)
    assert expect in str(exc.value)
