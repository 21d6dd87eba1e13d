// appform.js: create and edit an app, with a form and a JSON editor that
// edit the same definition. The form covers the common fields and leaves
// every other key of the definition as it is, so an app edited here keeps
// what only the JSON shows. Marathon's validation errors (422, and 400 for
// malformed input: {"message", "details": [{"path", "errors"}]}) are shown
// at the field that owns their path, and listed on top with links to them;
// in the JSON editor they are listed with their paths.

import { ApiError, get, idPath, post, put, qs } from "./api.js";
import { confirmAction, h, replace, toast } from "./dom.js";

// Keys the API computes: never sent back.
const READ_ONLY = ["version", "versionInfo", "tasks", "tasksStaged", "tasksRunning",
  "tasksHealthy", "tasksUnhealthy", "deployments", "lastTaskFailure", "taskStats",
  "readinessCheckResults", "counts"];

export function editable(app) {
  const d = JSON.parse(JSON.stringify(app));
  for (const k of READ_ONLY) delete d[k];
  // 0.5's aliases of portDefinitions and fetch: send one form only.
  if (d.portDefinitions) delete d.ports;
  if (d.fetch) delete d.uris;
  return d;
}

// ---- JSON pointer-ish paths ("/container/docker/image")

function getPath(o, path) {
  for (const k of path.split("/").filter(Boolean)) {
    if (o === null || typeof o !== "object") return undefined;
    o = o[k];
  }
  return o;
}

function setPath(o, path, v) {
  const ks = path.split("/").filter(Boolean);
  const last = ks.pop();
  const parents = [];
  for (const k of ks) {
    if (o[k] === null || typeof o[k] !== "object") o[k] = {};
    parents.push([o, k]);
    o = o[k];
  }
  if (v === undefined) delete o[last];
  else o[last] = v;
  // Drop objects the deletion left empty.
  for (let i = parents.length - 1; i >= 0; i--) {
    const [p, k] = parents[i];
    if (Object.keys(p[k]).length) break;
    delete p[k];
  }
}

// Marathon writes array indices as "(0)": "/healthChecks(0)/path".
export function normPath(p) {
  return ("/" + String(p || "").replace(/\((\d+)\)/g, "/$1").replace(/\[(\d+)\]/g, "/$1")
    .replace(/^\/+/, "")).replace(/\/+$/, "") || "/";
}

// ---- field kinds: how a value shows in an input and comes back

const num = {
  show: (v) => (v === undefined || v === null ? "" : String(v)),
  read: (s) => (s.trim() === "" ? undefined : Number(s)),
};
const str = {
  show: (v) => (v === undefined || v === null ? "" : String(v)),
  read: (s) => (s === "" ? undefined : s),
};
const kv = { // KEY=value per line <-> {"KEY": "value"}
  show: (o) => Object.entries(o || {}).map(([k, v]) =>
    k + "=" + (typeof v === "object" ? JSON.stringify(v) : v)).join("\n"),
  read: (s) => {
    const o = {};
    for (const line of s.split("\n")) {
      if (!line.trim()) continue;
      const i = line.indexOf("=");
      if (i < 0) o[line.trim()] = "";
      else o[line.slice(0, i).trim()] = line.slice(i + 1);
    }
    return Object.keys(o).length ? o : undefined;
  },
};
const constraints = { // field:OPERATOR[:value] per line
  show: (a) => (a || []).map((c) => c.join(":")).join("\n"),
  read: (s) => {
    const a = s.split("\n").map((l) => l.trim()).filter(Boolean).map((l) => {
      const p = l.split(":");
      return p.length > 2 ? [p[0], p[1], p.slice(2).join(":")] : p;
    });
    return a.length ? a : undefined;
  },
};
const ports = { // "8080, 0" <-> portDefinitions
  show: (a) => (a || []).map((p) => p.port).join(", "),
  read: (s) => {
    const a = s.split(/[\s,]+/).filter(Boolean).map((x) => ({ port: Number(x) }));
    return a.length ? a : undefined;
  },
};
const lines = { // args: one per line
  show: (a) => (a || []).join("\n"),
  read: (s) => {
    const a = s.split("\n").filter((l) => l !== "");
    return a.length ? a : undefined;
  },
};

// path: what the field edits; owns: error paths shown at it (prefixes).
const SECTIONS = [
  ["General", true, [
    { path: "/id", label: "ID", kind: str, input: "text", required: true,
      placeholder: "/group/name", help: "Lowercase letters, digits and dashes; / for folders." },
    { path: "/cmd", label: "Command", kind: str, input: "textarea", rows: 2,
      help: "Run by /bin/sh -c. Leave empty to run the image's entrypoint." },
    { path: "/instances", label: "Instances", kind: num, input: "number", min: 0, step: 1 },
    { path: "/cpus", label: "CPUs", kind: num, input: "number", min: 0, step: 0.01 },
    { path: "/mem", label: "Memory (MiB)", kind: num, input: "number", min: 0, step: 1 },
    { path: "/disk", label: "Disk (MiB)", kind: num, input: "number", min: 0, step: 1 },
  ]],
  ["Container", true, [
    { path: "/container/docker/image", label: "Docker image", kind: str, input: "text",
      owns: ["/container"], placeholder: "busybox:latest",
      help: "Empty: a plain process (the mesos containerizer)." },
    { path: "/container/docker/forcePullImage", label: "Always pull the image", input: "checkbox" },
    { path: "/networks/0/mode", label: "Network", input: "select", owns: ["/networks"],
      options: [["", "host (default)"], ["host", "host"], ["container/bridge", "bridge"],
        ["container", "container (user network)"]] },
    { path: "/portDefinitions", label: "Ports", kind: ports, input: "text",
      owns: ["/portDefinitions", "/ports", "/requirePorts"], placeholder: "0, 0",
      help: "Service ports, comma-separated; 0 assigns one." },
    { path: "/args", label: "Arguments", kind: lines, input: "textarea", rows: 2,
      help: "One per line, instead of a command." },
    { path: "/user", label: "User", kind: str, input: "text" },
  ]],
  ["Environment and labels", false, [
    { path: "/env", label: "Environment", kind: kv, input: "textarea", rows: 3,
      placeholder: "NAME=value", help: "One NAME=value per line." },
    { path: "/labels", label: "Labels", kind: kv, input: "textarea", rows: 2,
      placeholder: "key=value" },
  ]],
  ["Placement", false, [
    { path: "/constraints", label: "Constraints", kind: constraints, input: "textarea", rows: 2,
      placeholder: "hostname:UNIQUE", help: "field:OPERATOR[:value], one per line." },
  ]],
  ["Health check", false, [
    { path: "/healthChecks/0/protocol", label: "Protocol", input: "select", owns: ["/healthChecks"],
      options: [["", "none"], ["HTTP", "HTTP"], ["HTTPS", "HTTPS"], ["TCP", "TCP"],
        ["COMMAND", "COMMAND"], ["MESOS_HTTP", "MESOS_HTTP"], ["MESOS_TCP", "MESOS_TCP"]] },
    { path: "/healthChecks/0/path", label: "Path", kind: str, input: "text", placeholder: "/health" },
    { path: "/healthChecks/0/portIndex", label: "Port index", kind: num, input: "number", min: 0 },
    { path: "/healthChecks/0/command/value", label: "Command", kind: str, input: "text" },
    { path: "/healthChecks/0/gracePeriodSeconds", label: "Grace period (s)", kind: num, input: "number", min: 0 },
    { path: "/healthChecks/0/intervalSeconds", label: "Interval (s)", kind: num, input: "number", min: 0 },
    { path: "/healthChecks/0/timeoutSeconds", label: "Timeout (s)", kind: num, input: "number", min: 0 },
    { path: "/healthChecks/0/maxConsecutiveFailures", label: "Max failures", kind: num, input: "number", min: 0 },
  ]],
  ["Upgrades and back-off", false, [
    { path: "/upgradeStrategy/minimumHealthCapacity", label: "Minimum health capacity", kind: num,
      input: "number", min: 0, max: 1, step: 0.05 },
    { path: "/upgradeStrategy/maximumOverCapacity", label: "Maximum over capacity", kind: num,
      input: "number", min: 0, max: 1, step: 0.05 },
    { path: "/backoffSeconds", label: "Back-off (s)", kind: num, input: "number", min: 0 },
    { path: "/backoffFactor", label: "Back-off factor", kind: num, input: "number", min: 1, step: 0.01 },
    { path: "/maxLaunchDelaySeconds", label: "Max launch delay (s)", kind: num, input: "number", min: 0 },
  ]],
];

function fieldId(path) {
  return "f" + path.replace(/[^a-zA-Z0-9]+/g, "-");
}

export function render(main, route) {
  const editing = route.name === "edit";
  const appId = editing ? "/" + route.rest.replace(/^\/+/, "") : null;
  let def = {};
  let mode = "form";
  const fields = []; // {spec, input, wrap, err}

  const title = h("h1", editing ? "Edit " + appId : "Create app");
  const banner = h("div.errors", { role: "alert", hidden: true, "data-test": "form-errors" });
  const tabForm = h("button.tab", { type: "button", role: "tab", "aria-selected": "true",
    "data-test": "tab-form", onclick: () => switchTo("form") }, "Form");
  const tabJson = h("button.tab", { type: "button", role: "tab", "aria-selected": "false",
    "data-test": "tab-json", onclick: () => switchTo("json") }, "JSON");
  const formPane = h("div.form-pane", { role: "tabpanel" });
  const jsonArea = h("textarea.json", { spellcheck: "false", rows: 24, "aria-label": "App definition (JSON)",
    "data-test": "json-editor" });
  const jsonErr = h("div.field-error", { hidden: true });
  const jsonPane = h("div.json-pane", { role: "tabpanel", hidden: true },
    h("div.json-tools", h("button.btn", { type: "button", onclick: formatJson }, "Format")),
    jsonArea, jsonErr);
  const submit = h("button.btn.primary", { type: "submit", "data-test": "submit-app" },
    editing ? "Save changes" : "Create app");
  const cancel = h("a.btn", { href: editing ? "#/app" + appId : "#/apps" }, "Cancel");
  const form = h("form.appform", { novalidate: true, onsubmit: onSubmit },
    banner, h("div.tabs", { role: "tablist" }, tabForm, tabJson), formPane, jsonPane,
    h("div.form-actions", submit, cancel));

  for (const [name, open, specs] of SECTIONS) {
    const body = h("div.grid");
    for (const spec of specs) body.append(buildField(spec));
    formPane.append(h("details.section", { open }, h("summary", name), body));
  }
  replace(main, title, form);

  function buildField(spec) {
    const id = fieldId(spec.path);
    let input;
    if (spec.input === "textarea") {
      input = h("textarea", { id, rows: spec.rows || 3, placeholder: spec.placeholder, spellcheck: "false" });
    } else if (spec.input === "select") {
      input = h("select", { id }, spec.options.map(([v, l]) => h("option", { value: v }, l)));
    } else if (spec.input === "checkbox") {
      input = h("input", { id, type: "checkbox" });
    } else {
      input = h("input", { id, type: spec.input, placeholder: spec.placeholder, min: spec.min,
        max: spec.max, step: spec.step, autocomplete: "off", spellcheck: "false" });
    }
    input.setAttribute("data-path", spec.path);
    const err = h("div.field-error", { id: id + "-err", hidden: true, "data-test": "field-error" });
    const help = spec.help ? h("div.help", { id: id + "-help" }, spec.help) : null;
    input.setAttribute("aria-describedby", [help && help.id, err.id].filter(Boolean).join(" "));
    const wrap = spec.input === "checkbox"
      ? h("div.field.check", input, h("label", { for: id }, spec.label), help, err)
      : h("div.field" + (spec.input === "textarea" ? ".wide" : ""),
        h("label", { for: id }, spec.label, spec.required ? h("span.req", { "aria-hidden": "true" }, " *") : null),
        input, help, err);
    const f = { spec, input, wrap, err };
    fields.push(f);
    input.addEventListener(spec.input === "select" || spec.input === "checkbox" ? "change" : "input",
      () => readField(f));
    return wrap;
  }

  function readField(f) {
    const { spec, input } = f;
    let v;
    if (spec.input === "checkbox") v = input.checked ? true : undefined;
    else if (spec.input === "select") v = input.value || undefined;
    else v = spec.kind.read(input.value);
    if (spec.path === "/container/docker/image") {
      if (v !== undefined && !getPath(def, "/container/type")) setPath(def, "/container/type", "DOCKER");
      setPath(def, spec.path, v);
      const c = def.container;
      if (c && v === undefined && !c.docker && Object.keys(c).length === 1) delete def.container;
    } else if (spec.path === "/networks/0/mode") {
      if (v === undefined) delete def.networks;
      else def.networks = [{ ...((def.networks || [])[0] || {}), mode: v }];
    } else if (spec.path.startsWith("/healthChecks/0/")) {
      const hc = (def.healthChecks || [])[0] || {};
      setPath(hc, spec.path.slice("/healthChecks/0".length), v);
      if (!hc.protocol) delete def.healthChecks;
      else def.healthChecks = [hc, ...(def.healthChecks || []).slice(1)];
    } else {
      setPath(def, spec.path, v);
    }
    f.err.hidden = true;
    f.wrap.classList.remove("invalid");
    f.input.removeAttribute("aria-invalid");
  }

  function fillForm() {
    for (const { spec, input } of fields) {
      const v = getPath(def, spec.path);
      if (spec.input === "checkbox") input.checked = !!v;
      else if (spec.input === "select") input.value = v === undefined ? "" : v;
      else input.value = spec.kind.show(v);
    }
  }

  function formatJson() {
    try {
      jsonArea.value = JSON.stringify(JSON.parse(jsonArea.value), null, 2);
      jsonErr.hidden = true;
    } catch (e) {
      showJsonError(e);
    }
  }

  function showJsonError(e) {
    jsonErr.hidden = false;
    jsonErr.textContent = "Not valid JSON: " + e.message;
  }

  function readJson() {
    try {
      const v = JSON.parse(jsonArea.value);
      if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("expected an object");
      jsonErr.hidden = true;
      def = v;
      return true;
    } catch (e) {
      showJsonError(e);
      jsonArea.focus();
      return false;
    }
  }

  function switchTo(m) {
    if (m === mode) return;
    if (m === "form") {
      if (!readJson()) return;
      fillForm();
    } else {
      jsonArea.value = JSON.stringify(def, null, 2);
      jsonErr.hidden = true;
    }
    mode = m;
    formPane.hidden = m !== "form";
    jsonPane.hidden = m !== "json";
    tabForm.setAttribute("aria-selected", String(m === "form"));
    tabJson.setAttribute("aria-selected", String(m === "json"));
  }

  function clearErrors() {
    banner.hidden = true;
    replace(banner);
    for (const f of fields) {
      f.err.hidden = true;
      f.wrap.classList.remove("invalid");
      f.input.removeAttribute("aria-invalid");
    }
  }

  // The field that owns an error path: the longest matching prefix.
  function fieldFor(path) {
    let best = null;
    let bestLen = -1;
    for (const f of fields) {
      for (const p of [f.spec.path, ...(f.spec.owns || [])]) {
        if ((path === p || path.startsWith(p + "/")) && p.length > bestLen) {
          best = f;
          bestLen = p.length;
        }
      }
    }
    return best;
  }

  function showErrors(e) {
    clearErrors();
    const items = [];
    let firstField = null;
    for (const d of e.details || []) {
      const path = normPath(d.path);
      const msgs = (d.errors || []).join("; ") || e.message;
      const f = mode === "form" ? fieldFor(path) : null;
      if (f) {
        const prev = f.err.hidden ? "" : f.err.textContent + "; ";
        f.err.hidden = false;
        f.err.textContent = prev + msgs;
        f.wrap.classList.add("invalid");
        f.input.setAttribute("aria-invalid", "true");
        const sec = f.wrap.closest("details");
        if (sec) sec.open = true;
        if (!firstField) firstField = f;
        items.push(h("li", h("a", { href: "#", onclick: (ev) => {
          ev.preventDefault();
          f.input.focus();
        } }, f.spec.label), ": " + msgs));
      } else {
        items.push(h("li", h("code", path), " ", msgs));
      }
    }
    banner.hidden = false;
    replace(banner, h("strong", e.message || "The app is not valid"),
      items.length ? h("ul", items) : null);
    if (firstField) firstField.input.focus();
    else banner.scrollIntoView({ block: "nearest" });
  }

  async function save(force) {
    if (editing) {
      return put("/v2/apps/" + idPath(appId) + qs({ force }), def);
    }
    return post("/v2/apps", def);
  }

  async function onSubmit(ev) {
    ev.preventDefault();
    if (mode === "json" && !readJson()) return;
    submit.disabled = true;
    try {
      let r;
      try {
        r = await save(false);
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 409 || !editing) throw e;
        if (!await confirmAction("Deployment in progress", e.message +
          " Force the change? The running deployment is cancelled.", "Force", true)) {
          return;
        }
        r = await save(true);
      }
      const id = editing ? appId : (r && r.id) || def.id;
      toast(editing ? "Saved " + id : "Created " + id, "ok");
      location.hash = "#/app" + (id.startsWith("/") ? id : "/" + id);
    } catch (e) {
      if (e instanceof ApiError && (e.status === 422 || e.status === 400) && e.details.length) {
        showErrors(e);
      } else if (e instanceof ApiError && e.status === 409 && !editing) {
        showErrors({ message: e.message, details: [{ path: "/id", errors: [e.message] }] });
      } else {
        showErrors({ message: e.message, details: [] });
      }
    } finally {
      submit.disabled = false;
    }
  }

  if (editing) {
    submit.disabled = true;
    get("/v2/apps/" + idPath(appId)).then((r) => {
      def = editable(r.app);
      fillForm();
      submit.disabled = false;
      const idf = fields.find((f) => f.spec.path === "/id");
      idf.input.readOnly = true;
    }, (e) => showErrors({ message: e.message, details: [] }));
  } else {
    const group = route.query.get("group");
    def = { id: group ? group.replace(/\/?$/, "/") : "", cmd: "", instances: 1, cpus: 0.1, mem: 64 };
    delete def.cmd;
    fillForm();
    fields[0].input.focus();
  }
  return null;
}
