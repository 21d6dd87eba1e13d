"""Shape checks for Marathon API bodies, with no network and no jsonschema package.

Two parts:

1. A small JSON-schema validator (the draft 4 subset the Marathon schemas use: type,
   properties, required, additionalProperties, patternProperties, items (one schema or a
   tuple) with additionalItems, enum, pattern, minLength/maxLength, minimum/maximum
   (with draft 4's boolean exclusiveMinimum/exclusiveMaximum), minItems/maxItems,
   uniqueItems, format date-time, $ref ("#", "#/definitions/x" and "./AppDefinition.json"),
   oneOf/anyOf/allOf/not, definitions). Unknown keywords are ignored, as draft 4 says, and a
   $ref replaces its sibling keywords. Integers are JSON numbers without a fraction: 1.0 is
   not an integer here (Go, Java and Scala clients refuse it for an int field), and a
   boolean is never a number.

   App definitions are checked against schema_v1.7_AppDefinition.json and group definitions
   against schema_v1.7_Group.json, both copied verbatim from upstream into
   data/marathon-api/ (see the README there).

2. Response shapes the schemas do not cover, written by hand from the RAML types in
   raml/v2/types/*.raml (app.raml AppInfo, task.raml Task, deploymentResult.raml,
   deploymentEventsInfo.raml DeploymentStepInfo, queue.raml, info.raml, error.raml) and
   from Marathon's event-bus documentation for the event payloads. A RAML property without
   "?" is required; RAML object types are open, so unknown extra fields are allowed there
   (the AppDefinition part of an AppInfo stays closed, as its schema says). Where this
   project's SPEC is stricter than the RAML it is said so next to the check: SPEC section 5
   wants empty collections present and never null, and task ids of the Marathon 0.6-1.3
   form, so a health result may name the task by taskId instead of instanceId.

Every check_* function raises ShapeError (an AssertionError) listing every problem with a
JSON-pointer path; every *_errors function returns that list instead.
"""

import json
import math
import os
import re
import urllib.parse

DATA_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "marathon-api")


class ShapeError(AssertionError):
    def __init__(self, what, errors, body=None):
        self.errors = list(errors)
        text = f"{what} does not have Marathon's shape:\n  " + "\n  ".join(self.errors)
        if body is not None:
            dumped = json.dumps(body, sort_keys=True)
            text += "\nbody: " + (dumped if len(dumped) < 4000 else dumped[:4000] + "...")
        super().__init__(text)


def _raise_if(what, errors, body):
    if errors:
        raise ShapeError(what, errors, body)
    return body


# ---------------------------------------------------------------------------
# JSON-schema (draft 4 subset)

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def _type_ok(value, name):
    if name == "object":
        return isinstance(value, dict)
    if name == "array":
        return isinstance(value, list)
    if name == "string":
        return isinstance(value, str)
    if name == "boolean":
        return isinstance(value, bool)
    if name == "null":
        return value is None
    if name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if name == "number":
        return (isinstance(value, (int, float)) and not isinstance(value, bool)
                and not (isinstance(value, float) and not math.isfinite(value)))
    if name == "any":
        return True
    raise ValueError(f"unknown JSON-schema type {name!r}")


def _type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _ptr(path, key):
    key = str(key).replace("~", "~0").replace("/", "~1")
    return f"{path}/{key}"


def _json_equal(a, b):
    """Equality as JSON means it: 1 == 1.0, but True != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_json_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_json_equal(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


class Schema:
    """One JSON schema document; refs maps other documents' names ("./AppDefinition.json")
    to Schema objects so that $ref can cross files without any network."""

    def __init__(self, doc, name="schema", refs=None):
        self.doc = doc
        self.name = name
        self.refs = dict(refs or {})
        self._regex = {}

    @classmethod
    def load(cls, filename, refs=None):
        with open(os.path.join(DATA_DIR, filename), encoding="utf-8") as f:
            return cls(json.load(f), filename, refs)

    def errors(self, instance, path=""):
        """Every problem, each as "<JSON pointer>: <what is wrong>"; path prefixes the pointers."""
        out = []
        self._check(self.doc, instance, path, out)
        return out

    # -- internals ------------------------------------------------------------

    def _resolve(self, ref):
        if ref in self.refs:
            return self.refs[ref], self.refs[ref].doc
        if ref == "#":
            return self, self.doc
        if ref.startswith("#/"):
            node = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(node, dict) or part not in node:
                    raise ValueError(f"{self.name}: unresolvable $ref {ref!r}")
                node = node[part]
            return self, node
        raise ValueError(f"{self.name}: $ref {ref!r} is neither local nor a known document")

    def _re(self, pattern):
        r = self._regex.get(pattern)
        if r is None:
            r = self._regex[pattern] = re.compile(pattern)
        return r

    def _check(self, s, v, path, out):  # pylint: disable=too-many-branches,too-many-statements
        if s is True or s == {}:
            return
        if s is False:
            out.append(f"{path or '/'}: not allowed here")
            return
        where = path or "/"
        if "$ref" in s:
            owner, target = self._resolve(s["$ref"])
            owner._check(target, v, path, out)  # pylint: disable=protected-access
            return

        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(_type_ok(v, t) for t in types):
                out.append(f"{where}: expected {' or '.join(types)}, got {_type_name(v)} {_short(v)}")
                return  # the other keywords would only repeat the same problem

        if "enum" in s and not any(_json_equal(v, e) for e in s["enum"]):
            out.append(f"{where}: {_short(v)} is not one of {s['enum']}")

        for key in ("allOf", "anyOf", "oneOf"):
            if key not in s:
                continue
            results = []
            for sub in s[key]:
                errs = []
                self._check(sub, v, path, errs)
                results.append(errs)
            passed = sum(1 for r in results if not r)
            if key == "allOf":
                for r in results:
                    out.extend(r)
            elif key == "anyOf" and passed == 0:
                out.append(f"{where}: matches none of anyOf: "
                           + " | ".join("; ".join(r) for r in results))
            elif key == "oneOf" and passed != 1:
                if passed == 0:
                    out.append(f"{where}: matches none of oneOf: "
                               + " | ".join("; ".join(r) for r in results))
                else:
                    out.append(f"{where}: matches {passed} of oneOf, exactly one allowed")
        if "not" in s:
            errs = []
            self._check(s["not"], v, path, errs)
            if not errs:
                out.append(f"{where}: must not match {json.dumps(s['not'])}")

        if isinstance(v, str):
            if "minLength" in s and len(v) < s["minLength"]:
                out.append(f"{where}: {_short(v)} is shorter than {s['minLength']}")
            if "maxLength" in s and len(v) > s["maxLength"]:
                out.append(f"{where}: {_short(v)} is longer than {s['maxLength']}")
            if "pattern" in s and not self._re(s["pattern"]).search(v):
                out.append(f"{where}: {_short(v)} does not match {s['pattern']}")
            if s.get("format") == "date-time" and not _DATE_TIME.match(v):
                out.append(f"{where}: {_short(v)} is not an ISO-8601 date-time")

        if _type_ok(v, "number"):
            if "minimum" in s:
                if v < s["minimum"] or (s.get("exclusiveMinimum") is True and v == s["minimum"]):
                    out.append(f"{where}: {v} is below the minimum {s['minimum']}")
            if "maximum" in s:
                if v > s["maximum"] or (s.get("exclusiveMaximum") is True and v == s["maximum"]):
                    out.append(f"{where}: {v} is above the maximum {s['maximum']}")

        if isinstance(v, list):
            if "minItems" in s and len(v) < s["minItems"]:
                out.append(f"{where}: {len(v)} items, at least {s['minItems']} required")
            if "maxItems" in s and len(v) > s["maxItems"]:
                out.append(f"{where}: {len(v)} items, at most {s['maxItems']} allowed")
            if s.get("uniqueItems") is True:
                for i, a in enumerate(v):
                    if any(_json_equal(a, b) for b in v[:i]):
                        out.append(f"{_ptr(path, i)}: duplicate item {_short(a)}")
            items = s.get("items")
            if isinstance(items, list):
                for i, item in enumerate(v):
                    if i < len(items):
                        self._check(items[i], item, _ptr(path, i), out)
                    elif "additionalItems" in s:
                        self._check(s["additionalItems"], item, _ptr(path, i), out)
            elif isinstance(items, dict):
                for i, item in enumerate(v):
                    self._check(items, item, _ptr(path, i), out)

        if isinstance(v, dict):
            for key in s.get("required", []):
                if key not in v:
                    out.append(f"{where}: required field {key!r} is missing")
            props = s.get("properties", {})
            patterns = s.get("patternProperties", {})
            for key, value in v.items():
                matched = False
                if key in props:
                    matched = True
                    self._check(props[key], value, _ptr(path, key), out)
                for pat, sub in patterns.items():
                    if self._re(pat).search(key):
                        matched = True
                        self._check(sub, value, _ptr(path, key), out)
                if not matched and "additionalProperties" in s:
                    extra = s["additionalProperties"]
                    if extra is False:
                        out.append(f"{_ptr(path, key)}: field {key!r} is not allowed here")
                    elif isinstance(extra, dict):
                        self._check(extra, value, _ptr(path, key), out)


def _short(v):
    text = json.dumps(v)
    return text if len(text) <= 80 else text[:77] + "..."


_APP_SCHEMA = None
_GROUP_SCHEMA = None


def app_schema():
    global _APP_SCHEMA  # pylint: disable=global-statement
    if _APP_SCHEMA is None:
        _APP_SCHEMA = Schema.load("schema_v1.7_AppDefinition.json")
    return _APP_SCHEMA


def group_schema():
    global _GROUP_SCHEMA  # pylint: disable=global-statement
    if _GROUP_SCHEMA is None:
        _GROUP_SCHEMA = Schema.load("schema_v1.7_Group.json",
                                    refs={"./AppDefinition.json": app_schema()})
    return _GROUP_SCHEMA


# ---------------------------------------------------------------------------
# hand-written shapes from the RAML, expressed in the same schema language

DATE_TIME = {"type": "string", "format": "date-time"}
PATH_ID = {"type": "string", "minLength": 1,
           "pattern": r"^(\/?((\.\.)|(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*"
                      r"([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9]))?($|\/))+$"}
# An absolute path id, as every answer carries it (SPEC section 5: "with a leading /").
ABS_PATH_ID = {"allOf": [PATH_ID, {"pattern": "^/"}]}
PORT = {"type": "integer", "minimum": 0, "maximum": 65535}
INT32 = {"type": "integer", "minimum": -2 ** 31, "maximum": 2 ** 31 - 1}
COUNT = {"type": "integer", "minimum": 0, "maximum": 2 ** 31 - 1}
MESOS_TASK_STATE = {"type": "string", "enum": [
    "TASK_ERROR", "TASK_FAILED", "TASK_FINISHED", "TASK_KILLED", "TASK_KILLING",
    "TASK_RUNNING", "TASK_STAGING", "TASK_STARTING", "TASK_UNREACHABLE", "TASK_UNKNOWN",
    "TASK_GONE", "TASK_DROPPED", "TASK_LOST"]}  # TASK_LOST: event-bus.md, Marathon < 1.4

# healthCheck.raml Health. The RAML names the task by instanceId (1.4+); SPEC section 5 uses
# the 0.6-1.3 task ids, whose health results carry taskId: one of the two must be there.
HEALTH = {
    "type": "object",
    "required": ["alive", "consecutiveFailures"],
    "properties": {
        "alive": {"type": "boolean"},
        "consecutiveFailures": COUNT,
        "firstSuccess": DATE_TIME,
        "lastSuccess": DATE_TIME,
        "lastFailure": DATE_TIME,
        "lastFailureCause": {"type": "string"},
        "instanceId": {"type": "string", "minLength": 1},
        "taskId": {"type": "string", "minLength": 1},
    },
    "anyOf": [{"required": ["taskId"]}, {"required": ["instanceId"]}],
}

IP_ADDR = {"type": "object", "required": ["ipAddress", "protocol"],
           "properties": {"ipAddress": {"type": "string", "minLength": 1},
                          "protocol": {"enum": ["IPv4", "IPv6"]}}}

# task.raml Task. RAML requires appId, host, id, state, role; the rest is "?" there but
# SPEC section 5 (empty collections always present) and the brief make the collections
# and the agent/version fields required. startedAt exists once the task has started.
TASK = {
    "type": "object",
    "required": ["id", "appId", "host", "state", "role", "ports", "servicePorts", "slaveId",
                 "stagedAt", "version", "ipAddresses", "localVolumes"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "appId": ABS_PATH_ID,
        "host": {"type": "string", "minLength": 1},
        "state": MESOS_TASK_STATE,
        "role": {"type": "string", "minLength": 1},
        "ports": {"type": "array", "items": PORT},
        "servicePorts": {"type": "array", "items": PORT},
        "slaveId": {"type": "string", "minLength": 1},
        "stagedAt": DATE_TIME,
        "startedAt": DATE_TIME,
        "version": DATE_TIME,
        "ipAddresses": {"type": "array", "items": IP_ADDR},
        "localVolumes": {"type": "array", "items": {
            "type": "object", "required": ["containerPath", "persistenceId"],
            "properties": {"containerPath": {"type": "string"},
                           "persistenceId": {"type": "string"}}}},
        "healthCheckResults": {"type": "array", "items": HEALTH},
        "region": {"type": "string"},
        "zone": {"type": "string"},
    },
}

# task.raml TaskFailure
TASK_FAILURE = {
    "type": "object",
    "required": ["appId", "host", "message", "state", "taskId", "timestamp", "version"],
    "properties": {"appId": ABS_PATH_ID, "host": {"type": "string"},
                   "message": {"type": "string"}, "state": MESOS_TASK_STATE,
                   "taskId": {"type": "string", "minLength": 1}, "timestamp": DATE_TIME,
                   "version": DATE_TIME, "slaveId": {"type": "string"}},
}

_STATS = {"type": "object", "required": ["stats"], "properties": {"stats": {
    "type": "object", "required": ["counts"], "properties": {
        "counts": {"type": "object", "required": ["staged", "running", "healthy", "unhealthy"],
                   "properties": {k: COUNT for k in ("staged", "running", "healthy", "unhealthy")}},
        "lifeTime": {"type": "object", "required": ["averageSeconds", "medianSeconds"],
                     "properties": {"averageSeconds": {"type": "number"},
                                    "medianSeconds": {"type": "number"}}}}}}}
# task.raml TaskStatsByVersion (served as "taskStats", which is what Marathon's AppInfo
# writer and every client use; app.raml spells it tasksStats)
TASK_STATS = {"type": "object", "properties": {
    k: _STATS for k in ("startedAfterLastScaling", "withLatestConfig", "withOutdatedConfig",
                        "totalSummary")}}

# app.raml AppInfo minus App: the fields an answer adds to the app definition.
APP_INFO_EXTRAS = {
    "tasksStaged": COUNT,
    "tasksRunning": COUNT,
    "tasksHealthy": COUNT,
    "tasksUnhealthy": COUNT,
    "deployments": {"type": "array", "items": {
        "type": "object", "required": ["id"], "properties": {"id": {"type": "string",
                                                                    "minLength": 1}}}},
    "readinessCheckResults": {"type": "array", "items": {"type": "object"}},
    "tasks": {"type": "array", "items": TASK},
    "lastTaskFailure": TASK_FAILURE,
    "taskStats": TASK_STATS,
}
APP_INFO_EXTRAS_SCHEMA = {"type": "object", "properties": APP_INFO_EXTRAS}

# An app posted in Marathon 0.5's shape keeps the keys 0.5 listed for every app
# (example_v0.5_get_v2_apps_response.json; SPEC section 5, issue 13), which the 1.7
# schema refuses as 0.5 shows them: "taskRateLimit" (which marks such an app), "cmd"
# ("" without a command) and "container" (null without one). They are checked here and
# the rest of the definition against the schema.
_APP_05 = {"type": "object", "required": ["taskRateLimit", "cmd", "container"],
           "properties": {"taskRateLimit": {"type": "number", "minimum": 0},
                          "cmd": {"type": "string"},
                          "container": {"type": ["object", "null"]}}}


def _split_05(app, path=""):
    """(the definition without 0.5's own values, errors in them)."""
    if not isinstance(app, dict) or "taskRateLimit" not in app:
        return app, []
    errs = _errors(_APP_05, app, path)
    rest = {k: v for k, v in app.items() if k != "taskRateLimit"}
    if rest.get("cmd") == "":
        del rest["cmd"]
    if "container" in rest and rest["container"] is None:
        del rest["container"]
    return rest, errs

# deploymentResult.raml
DEPLOYMENT_RESULT = {"type": "object", "required": ["deploymentId", "version"],
                     "properties": {"deploymentId": {"type": "string", "minLength": 1},
                                    "version": DATE_TIME}}

DEPLOYMENT_ACTION_NAMES = ["StartApplication", "StopApplication", "ScaleApplication",
                           "RestartApplication", "StartPod", "StopPod", "ScalePod",
                           "RestartPod", "ResolveArtifacts"]
# deploymentAction.raml DeploymentAction: an action names the app (or pod) it acts on.
DEPLOYMENT_ACTION = {"type": "object", "required": ["action"],
                     "properties": {"action": {"enum": DEPLOYMENT_ACTION_NAMES},
                                    "app": ABS_PATH_ID, "pod": ABS_PATH_ID},
                     "anyOf": [{"required": ["app"]}, {"required": ["pod"]}]}
DEPLOYMENT_STEP = {"type": "object", "required": ["actions"],
                   "properties": {"actions": {"type": "array", "items": DEPLOYMENT_ACTION}}}
# deploymentEventsInfo.raml DeploymentActionInfo (readinessCheckResults has no "?")
DEPLOYMENT_ACTION_INFO = {"allOf": [DEPLOYMENT_ACTION, {
    "required": ["readinessCheckResults"],
    "properties": {"readinessCheckResults": {"type": "array", "items": {"type": "object"}}}}]}
# deploymentEventsInfo.raml DeploymentStepInfo = DeploymentPlan + these; every property
# is required there.
DEPLOYMENT = {
    "type": "object",
    "required": ["id", "version", "steps", "affectedApps", "affectedPods", "currentActions",
                 "currentStep", "totalSteps"],
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "version": DATE_TIME,
        "steps": {"type": "array", "items": DEPLOYMENT_STEP},
        "affectedApps": {"type": "array", "items": ABS_PATH_ID},
        "affectedPods": {"type": "array", "items": ABS_PATH_ID},
        "currentActions": {"type": "array", "items": DEPLOYMENT_ACTION_INFO},
        "currentStep": COUNT,
        "totalSteps": COUNT,
    },
}

# queue.raml
DECLINED_OFFER_STEP = {"type": "object", "required": ["reason", "declined", "processed"],
                       "properties": {"reason": {"type": "string"}, "declined": COUNT,
                                      "processed": COUNT}}
PROCESSED_OFFERS_SUMMARY = {
    "type": "object",
    "required": ["processedOffersCount", "unusedOffersCount"],
    "properties": {
        "processedOffersCount": COUNT,
        "unusedOffersCount": COUNT,
        "lastUnusedOfferAt": DATE_TIME,
        "lastUsedOfferAt": DATE_TIME,
        "rejectSummaryLastOffers": {"type": "array", "items": DECLINED_OFFER_STEP},
        "rejectSummaryLaunchAttempt": {"type": "array", "items": DECLINED_OFFER_STEP},
    },
}
QUEUE_ITEM = {
    "type": "object",
    "required": ["count", "delay", "since", "processedOffersSummary", "app"],
    "properties": {
        "count": COUNT,
        "role": {"type": "string"},
        "delay": {"type": "object", "required": ["timeLeftSeconds", "overdue"],
                  "properties": {"timeLeftSeconds": {"type": "number", "minimum": 0},
                                 "overdue": {"type": "boolean"}}},
        "since": DATE_TIME,
        "processedOffersSummary": PROCESSED_OFFERS_SUMMARY,
        "lastUnusedOffers": {"type": "array", "items": {
            "type": "object", "required": ["offer", "reason", "timestamp"],
            "properties": {"offer": {"type": "object"},
                           "reason": {"type": "array", "items": {"type": "string"}},
                           "timestamp": DATE_TIME}}},
        "app": {"type": "object"},  # checked against the AppDefinition schema
    },
}

# info.raml MarathonInfo and its parts; a property without "?" is required.
_NUM = {"type": "number"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
MARATHON_CONFIG = {
    "type": "object",
    "required": ["features", "task_lost_expunge_initial_delay", "task_lost_expunge_interval"],
    "properties": dict(
        {k: _NUM for k in (
            "decline_offer_duration", "failover_timeout", "launch_token",
            "launch_token_refresh_interval", "leader_proxy_connection_timeout_ms",
            "leader_proxy_read_timeout_ms", "local_port_max", "local_port_min",
            "max_instances_per_offer", "mesos_heartbeat_failure_threshold",
            "mesos_heartbeat_interval", "min_revive_offers_interval", "offer_matching_timeout",
            "on_elected_prepare_timeout", "reconciliation_initial_delay",
            "reconciliation_interval", "scale_apps_initial_delay", "scale_apps_interval",
            "task_launch_confirm_timeout", "task_launch_timeout",
            "task_lost_expunge_initial_delay", "task_lost_expunge_interval",
            "task_reservation_timeout")},
        **{k: _STR for k in ("default_network_name", "env_vars_prefix", "executor",
                             "framework_name", "hostname", "master", "mesos_bridge_name",
                             "mesos_leader_ui_url", "mesos_role", "mesos_user", "webui_url")},
        **{k: _BOOL for k in ("checkpoint", "ha", "store_cache")},
        access_control_allow_origin={"type": "array", "items": _STR},
        features={"type": "array", "items": _STR}),
}
ZOOKEEPER_CONFIG = {
    "type": "object",
    "required": ["zk", "zk_connection_timeout", "zk_max_versions", "zk_session_timeout",
                 "zk_timeout"],
    "properties": {"zk": _STR, "zk_compression": _BOOL, "zk_compression_threshold": _NUM,
                   "zk_connection_timeout": _NUM, "zk_max_node_size": _NUM,
                   "zk_max_versions": _NUM, "zk_session_timeout": _NUM, "zk_timeout": _NUM},
}
HTTP_CONFIG = {"type": "object", "required": ["http_port", "https_port"],
               "properties": {"http_port": {"type": "number", "minimum": 0},
                              "https_port": {"type": "number", "minimum": 0}}}
INFO = {
    "type": "object",
    "required": ["name", "version", "buildref", "elected", "marathon_config",
                 "zookeeper_config", "http_config"],
    "properties": {"name": _STR, "version": _STR, "buildref": _STR, "elected": _BOOL,
                   "leader": _STR, "frameworkId": _STR, "marathon_config": MARATHON_CONFIG,
                   "zookeeper_config": ZOOKEEPER_CONFIG, "http_config": HTTP_CONFIG},
}

# info.raml LeaderInfo; SPEC section 2: "<advertise_ip>:<http_port>"
LEADER = {"type": "object", "required": ["leader"],
          "properties": {"leader": {"type": "string", "pattern": r"^[^:\s]+:\d{1,5}$"}}}

# stringTypes.raml Message (DELETE /v2/leader)
MESSAGE = {"type": "object", "required": ["message"],
           "properties": {"message": {"type": "string", "minLength": 1}}}

# error.raml Error/ErrorDetail; SPEC section 10 adds details[].path, as Marathon sends it.
ERROR = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string", "minLength": 1},
        "details": {"type": "array", "items": {
            "type": "object",
            "properties": {"path": _STR, "message": _STR,
                           "errors": {"type": "array", "items": _STR}}}},
    },
}

# /v2/eventSubscriptions (Marathon 0.5 REST.md examples, unchanged in 1.x)
EVENT_SUBSCRIPTIONS = {"type": "object", "required": ["callbackUrls"],
                       "properties": {"callbackUrls": {"type": "array", "items": _STR}}}
SUBSCRIPTION_CHANGE = {"type": "object",
                       "required": ["callbackUrl", "clientIp", "eventType", "timestamp"],
                       "properties": {"callbackUrl": _STR, "clientIp": _STR,
                                      "eventType": {"enum": ["subscribe_event",
                                                             "unsubscribe_event"]},
                                      "timestamp": DATE_TIME}}

# metrics.raml: NewMetrics | DeprecatedMetrics
_COUNTED = {"type": "object", "required": ["count"], "properties": {"count": COUNT}}
_METRIC_MAP = {"type": "object", "additionalProperties": _COUNTED}
METRICS = {"anyOf": [
    {"type": "object",
     "required": ["version", "counters", "gauges", "histograms", "meters", "timers"],
     "properties": {"version": _STR, "counters": _METRIC_MAP,
                    "gauges": {"type": "object", "additionalProperties": {
                        "type": "object", "required": ["value"],
                        "properties": {"value": {"type": "number"}}}},
                    "histograms": _METRIC_MAP, "meters": _METRIC_MAP, "timers": _METRIC_MAP}},
    {"type": "object", "required": ["start", "end", "counters", "gauges", "histograms"],
     "properties": {"start": DATE_TIME, "end": DATE_TIME, "counters": {"type": "object"},
                    "gauges": {"type": "object"}, "histograms": {"type": "object"}}},
]}

# ---------------------------------------------------------------------------
# events (example_v2api_events.txt and Marathon's docs/event-bus.md)

_HEALTH_CHECK_OBJ = {"type": "object", "required": ["protocol"],
                     "properties": {"protocol": _STR}}
_PLAN = {
    "type": "object",
    "required": ["id", "version", "steps", "original", "target"],
    "properties": {"id": {"type": "string", "minLength": 1}, "version": DATE_TIME,
                   "steps": {"type": "array", "items": DEPLOYMENT_STEP},
                   "original": {"type": "object", "required": ["id"]},
                   "target": {"type": "object", "required": ["id"]}},
}
_TASK_REF = {"anyOf": [{"required": ["taskId"]}, {"required": ["instanceId"]}],
             "properties": {"taskId": {"type": "string", "minLength": 1},
                            "instanceId": {"type": "string", "minLength": 1}}}

EVENT_FIELDS = {
    "event_stream_attached": {"remoteAddress": _STR},
    "event_stream_detached": {"remoteAddress": _STR},
    "api_post_event": {"clientIp": _STR, "uri": _STR, "appDefinition": {"type": "object"}},
    "status_update_event": {"slaveId": _STR, "taskId": _STR, "taskStatus": MESOS_TASK_STATE,
                            "message": _STR, "appId": ABS_PATH_ID, "host": _STR,
                            "ports": {"type": "array", "items": PORT}, "version": DATE_TIME},
    "framework_message_event": {"slaveId": _STR, "executorId": _STR, "message": _STR},
    "subscribe_event": {"clientIp": _STR, "callbackUrl": _STR},
    "unsubscribe_event": {"clientIp": _STR, "callbackUrl": _STR},
    "add_health_check_event": {"appId": ABS_PATH_ID, "healthCheck": _HEALTH_CHECK_OBJ},
    "remove_health_check_event": {"appId": ABS_PATH_ID, "healthCheck": _HEALTH_CHECK_OBJ},
    "failed_health_check_event": {"appId": ABS_PATH_ID, "healthCheck": _HEALTH_CHECK_OBJ},
    "health_status_changed_event": {"appId": ABS_PATH_ID, "version": DATE_TIME,
                                    "alive": _BOOL},
    "unhealthy_task_kill_event": {"appId": ABS_PATH_ID, "version": DATE_TIME, "reason": _STR,
                                  "host": _STR, "slaveId": _STR},
    "app_terminated_event": {"appId": ABS_PATH_ID},
    "group_change_success": {"groupId": ABS_PATH_ID, "version": DATE_TIME},
    "group_change_failed": {"groupId": ABS_PATH_ID, "version": DATE_TIME, "reason": _STR},
    "deployment_success": {"id": {"type": "string", "minLength": 1}},
    "deployment_failed": {"id": {"type": "string", "minLength": 1}},
    "deployment_info": {"plan": _PLAN, "currentStep": DEPLOYMENT_STEP},
    "deployment_step_success": {"plan": _PLAN, "currentStep": DEPLOYMENT_STEP},
    "deployment_step_failure": {"plan": _PLAN, "currentStep": DEPLOYMENT_STEP},
}
# events that name a task, by taskId (0.6-1.3 ids, SPEC section 5) or instanceId (1.4+)
EVENTS_WITH_TASK = ("failed_health_check_event", "health_status_changed_event",
                    "unhealthy_task_kill_event")


def _event_schema(event_type):
    fields = EVENT_FIELDS[event_type]
    schema = {"type": "object",
              "required": ["eventType", "timestamp"] + list(fields),
              "properties": dict(fields, eventType={"enum": [event_type]}, timestamp=DATE_TIME)}
    if event_type in EVENTS_WITH_TASK:
        schema = {"allOf": [schema, _TASK_REF]}
    return schema


_HAND = Schema({}, "RAML-derived shapes")


def _errors(schema, body, prefix=""):
    out = []
    _HAND._check(schema, body, prefix, out)  # pylint: disable=protected-access
    return out


# ---------------------------------------------------------------------------
# public API


def app_definition_errors(app, path=""):
    """An app definition (request body, POST answer, a version) against the 1.7 schema
    (with 0.5's own keys for an app posted in 0.5's shape)."""
    app, errs = _split_05(app, path)
    return errs + app_schema().errors(app, path)


def group_definition_errors(group):
    """A group definition (request body) against the 1.7 schema."""
    return group_schema().errors(group)


def app_info_errors(app, path=""):
    """An app as GET /v2/apps[/{id}] answers it: the AppDefinition schema for the definition
    part, and the RAML AppInfo fields for the rest."""
    if not isinstance(app, dict):
        return [f"{path or '/'}: expected object, got {_type_name(app)}"]
    definition = {k: v for k, v in app.items() if k not in APP_INFO_EXTRAS}
    extras = {k: v for k, v in app.items() if k in APP_INFO_EXTRAS}
    out = app_definition_errors(definition, path)
    out += _errors(APP_INFO_EXTRAS_SCHEMA, extras, path)
    if isinstance(app.get("id"), str) and not app["id"].startswith("/"):
        out.append(f"{_ptr(path, 'id')}: answers carry absolute ids, got {_short(app['id'])}")
    return out


def group_info_errors(group, path=""):
    """A group as GET /v2/groups[/{id}] answers it (group.raml GroupInfo): the Group schema
    for the group's own fields, AppInfo for its apps, and the same again for subgroups."""
    if not isinstance(group, dict):
        return [f"{path or '/'}: expected object, got {_type_name(group)}"]
    own = {k: v for k, v in group.items() if k not in ("apps", "groups", "pods", "enforceRole")}
    out = group_schema().errors(own, path)
    out += _errors({"type": "object", "properties": {
        "apps": {"type": "array"}, "groups": {"type": "array"}, "pods": {"type": "array"},
        "enforceRole": _BOOL}}, group, path)
    if isinstance(group.get("apps"), list):
        for i, app in enumerate(group["apps"]):
            out += app_info_errors(app, _ptr(_ptr(path, "apps"), i))
    if isinstance(group.get("groups"), list):
        for i, sub in enumerate(group["groups"]):
            out += group_info_errors(sub, _ptr(_ptr(path, "groups"), i))
    return out


def task_errors(task, path=""):
    out = _errors(TASK, task, path)
    if isinstance(task, dict) and task.get("state") == "TASK_RUNNING" and "startedAt" not in task:
        out.append(f"{path or '/'}: a running task has no startedAt")
    return out


def event_errors(event):
    if not isinstance(event, dict):
        return [f"/: expected object, got {_type_name(event)}"]
    et = event.get("eventType")
    if et not in EVENT_FIELDS:
        return [f"/eventType: unknown event type {_short(et)}"]
    out = _errors(_event_schema(et), event)
    if et == "api_post_event" and isinstance(event.get("appDefinition"), dict):
        out += app_definition_errors(event["appDefinition"], "/appDefinition")
    return out


def parse_sse(text):
    """Split a text/event-stream transcript into (event name, data string) frames."""
    frames, name, data = [], None, []
    for line in text.splitlines() + [""]:
        if line == "":
            if data:
                frames.append((name or "message", "\n".join(data)))
            name, data = None, []
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "event":
                name = value
            elif field == "data":
                data.append(value)
    return frames


# -- check_*: raise ShapeError, return the body ---------------------------------


def check_app_definition(app, what="app definition"):
    return _raise_if(what, app_definition_errors(app), app)


def check_group_definition(group, what="group definition"):
    return _raise_if(what, group_definition_errors(group), group)


def check_app_info(app, what="app"):
    return _raise_if(what, app_info_errors(app), app)


def check_app_single(body, what="GET /v2/apps/{id}"):
    """{"app": AppInfo}"""
    if not isinstance(body, dict) or "app" not in body:
        raise ShapeError(what, ["/: expected an object with an 'app' field"], body)
    return _raise_if(what, app_info_errors(body["app"], "/app"), body)


def check_app_list(body, what="GET /v2/apps"):
    """{"apps": [AppInfo...]}"""
    errs = _errors({"type": "object", "required": ["apps"],
                    "properties": {"apps": {"type": "array"}}}, body)
    if not errs:
        for i, app in enumerate(body["apps"]):
            errs += app_info_errors(app, f"/apps/{i}")
    return _raise_if(what, errs, body)


def check_task(task, what="task"):
    return _raise_if(what, task_errors(task), task)


def check_task_list(body, what="task list"):
    """{"tasks": [Task...]}"""
    errs = _errors({"type": "object", "required": ["tasks"],
                    "properties": {"tasks": {"type": "array"}}}, body)
    if not errs:
        for i, t in enumerate(body["tasks"]):
            errs += task_errors(t, f"/tasks/{i}")
    return _raise_if(what, errs, body)


def check_task_single(body, what="task"):
    """{"task": Task}"""
    if not isinstance(body, dict) or "task" not in body:
        raise ShapeError(what, ["/: expected an object with a 'task' field"], body)
    return _raise_if(what, task_errors(body["task"], "/task"), body)


def check_versions(body, what="GET /v2/apps/{id}/versions"):
    return _raise_if(what, _errors({"type": "object", "required": ["versions"], "properties": {
        "versions": {"type": "array", "minItems": 1, "uniqueItems": True,
                     "items": DATE_TIME}}}, body), body)


def check_deployment_result(body, what="deployment result"):
    return _raise_if(what, _errors(DEPLOYMENT_RESULT, body), body)


def check_deployment(body, what="deployment"):
    return _raise_if(what, _errors(DEPLOYMENT, body), body)


def check_deployment_list(body, what="GET /v2/deployments"):
    return _raise_if(what, _errors({"type": "array", "items": DEPLOYMENT}, body), body)


def check_group_info(body, what="group"):
    return _raise_if(what, group_info_errors(body), body)


def check_queue(body, what="GET /v2/queue"):
    errs = _errors({"type": "object", "required": ["queue"],
                    "properties": {"queue": {"type": "array", "items": QUEUE_ITEM}}}, body)
    if not errs:
        for i, item in enumerate(body["queue"]):
            errs += app_definition_errors(item["app"], f"/queue/{i}/app")
    return _raise_if(what, errs, body)


def check_info(body, what="GET /v2/info"):
    return _raise_if(what, _errors(INFO, body), body)


def check_leader(body, what="GET /v2/leader"):
    return _raise_if(what, _errors(LEADER, body), body)


def check_message(body, what="message"):
    return _raise_if(what, _errors(MESSAGE, body), body)


def check_error(body, what="error"):
    return _raise_if(what, _errors(ERROR, body), body)


def check_event_subscriptions(body, what="GET /v2/eventSubscriptions"):
    return _raise_if(what, _errors(EVENT_SUBSCRIPTIONS, body), body)


def check_subscription_change(body, what="POST/DELETE /v2/eventSubscriptions"):
    return _raise_if(what, _errors(SUBSCRIPTION_CHANGE, body), body)


def check_metrics(body, what="GET /metrics"):
    return _raise_if(what, _errors(METRICS, body), body)


def check_event(event, what=None):
    return _raise_if(what or f"event {event.get('eventType') if isinstance(event, dict) else ''}",
                     event_errors(event), event)


def load_example(name):
    """A reference file from data/marathon-api, parsed when it is JSON."""
    with open(os.path.join(DATA_DIR, name), encoding="utf-8") as f:
        text = f.read()
    return json.loads(text) if name.endswith(".json") else text


# ---------------------------------------------------------------------------
# one HTTP answer, by route (apps.raml, groups.raml, tasks.raml, deployments.raml, queue.raml,
# info.raml, leader.raml, general/*.raml, and /v2/eventSubscriptions)

_APP_ROUTES = [  # (regex on the path, kind); the app id may itself contain slashes
    (re.compile(r"^/v2/apps/(.+)/tasks/([^/]+)$"), "app_task"),
    (re.compile(r"^/v2/apps/(.+)/tasks$"), "app_tasks"),
    (re.compile(r"^/v2/apps/(.+)/versions/([^/]+)$"), "app_version"),
    (re.compile(r"^/v2/apps/(.+)/versions$"), "app_versions"),
    (re.compile(r"^/v2/apps/(.+)/restart$"), "app_restart"),
    (re.compile(r"^/v2/apps/(.+)$"), "app"),
    (re.compile(r"^/v2/apps$"), "apps"),
    (re.compile(r"^/v2/tasks/delete$"), "tasks_delete"),
    (re.compile(r"^/v2/tasks$"), "tasks"),
    (re.compile(r"^/v2/groups/(.+)/versions$"), "group_versions"),
    (re.compile(r"^/v2/groups(/.+)?$"), "group"),
    (re.compile(r"^/v2/deployments/([^/]+)$"), "deployment"),
    (re.compile(r"^/v2/deployments$"), "deployments"),
    (re.compile(r"^/v2/queue/(.+)/delay$"), "queue_delay"),
    (re.compile(r"^/v2/queue$"), "queue"),
    (re.compile(r"^/v2/eventSubscriptions$"), "subscriptions"),
    (re.compile(r"^/v2/info$"), "info"),
    (re.compile(r"^/v2/leader$"), "leader"),
    (re.compile(r"^/metrics$"), "metrics"),
    (re.compile(r"^/ping$"), "ping"),
]


def _route(path):
    for rx, kind in _APP_ROUTES:
        if rx.match(path):
            return kind
    return None


def check_response(method, url, status, headers, text):
    """Check one answer of the Marathon API against the shape its route promises, by method,
    path, query and status; return the parsed body (None when there is none).

    Raises ShapeError on a wrong shape, on a JSON answer that is not labelled
    application/json, on a DeploymentResult whose Marathon-Deployment-Id header is missing or
    different, and on a route it does not know (so nothing goes unchecked by accident)."""
    method = method.upper()
    parts = urllib.parse.urlsplit(url)
    path = re.sub("/+", "/", parts.path)
    path = path.rstrip("/") or "/"
    query = urllib.parse.parse_qs(parts.query)
    what = f"{method} {parts.path}{'?' + parts.query if parts.query else ''} -> {status}"
    headers = {k.lower(): v for k, v in (headers or {}).items()}
    kind = _route(path)

    def flag(name):
        return query.get(name, ["false"])[-1].lower() == "true"

    if kind == "ping":
        if status != 200 or text.strip() != "pong":
            raise ShapeError(what, [f"/: expected 200 and pong, got {status} {text[:100]!r}"])
        return text
    if not text.strip():
        empty_ok = ((kind == "deployment" and method == "DELETE" and status == 202)
                    or (kind == "queue_delay" and method == "DELETE" and status in (200, 204))
                    or status == 204)
        if not empty_ok:
            raise ShapeError(what, ["/: the answer has no body"])
        return None
    if "application/json" not in headers.get("content-type", ""):
        raise ShapeError(what, [f"/: Content-Type is {headers.get('content-type')!r}, "
                                "not application/json"], text[:500])
    try:
        body = json.loads(text)
    except ValueError as e:
        raise ShapeError(what, [f"/: not JSON: {e}"], text[:500]) from None

    if status >= 400:
        return check_error(body, what)
    if kind is None:
        raise ShapeError(what, ["/: no shape is known for this route"], body)

    deploying = False
    get = method in ("GET", "HEAD")
    if kind == "apps":
        if get:
            check_app_list(body, what)
        elif method == "POST":
            check_app_info(body, what)
        else:  # PUT, PATCH many apps
            deploying = True
    elif kind == "app":
        if get:
            check_app_single(body, what)
        else:  # PUT (200, or 201 when it creates), PATCH, DELETE
            deploying = True
    elif kind == "app_restart":
        deploying = True
    elif kind == "app_versions":
        check_versions(body, what)
    elif kind == "app_version":
        check_app_definition(body, what)
    elif kind in ("app_tasks", "tasks", "tasks_delete"):
        if method == "DELETE" or kind == "tasks_delete":
            deploying = flag("scale")  # RAML: scale=true answers the deployment it started
        if not deploying:
            check_task_list(body, what)
    elif kind == "app_task":
        deploying = flag("scale")
        if not deploying:
            check_task_single(body, what)
    elif kind == "group_versions":
        _raise_if(what, _errors({"type": "array", "items": DATE_TIME}, body), body)
    elif kind == "group":
        if get:
            check_group_info(body, what)
        else:
            deploying = True
    elif kind == "deployments":
        check_deployment_list(body, what)
    elif kind == "deployment":
        deploying = True  # DELETE without force: the rollback deployment
    elif kind == "queue":
        check_queue(body, what)
    elif kind == "subscriptions":
        if get:
            check_event_subscriptions(body, what)
        else:
            check_subscription_change(body, what)
            want = "subscribe_event" if method == "POST" else "unsubscribe_event"
            if body.get("eventType") != want:
                raise ShapeError(what, [f"/eventType: expected {want}"], body)
    elif kind == "info":
        check_info(body, what)
    elif kind == "leader":
        if get:
            check_leader(body, what)
        else:
            check_message(body, what)
    elif kind == "metrics":
        check_metrics(body, what)
    else:
        raise ShapeError(what, [f"/: no shape is known for a {method} here"], body)

    if deploying:
        check_deployment_result(body, what)
        header = headers.get("marathon-deployment-id")
        if header != body["deploymentId"]:
            raise ShapeError(what, [f"Marathon-Deployment-Id header is {header!r}, the body says "
                                    f"{body['deploymentId']!r}"], body)
    return body


def checked(cd):
    """Validate every answer of the Marathon API that cd's session gets
    against the shape of its route (the harness also uses the session for
    the agent's /state, which is left alone); returns cd."""
    def hook(r, *args, **kwargs):  # pylint: disable=unused-argument
        if r.url.startswith(cd.url + "/"):
            check_response(r.request.method, r.url, r.status_code, r.headers, r.text)
    cd.session.hooks["response"].append(hook)
    return cd
