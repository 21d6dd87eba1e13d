// appdetail.js: one app. Its status and actions; its tasks (host, ports,
// state, health, IP addresses, links to each task's stdout and stderr);
// why instances wait in the launch queue (the offers processed and what
// they lacked: /v2/queue's processedOffersSummary); the last task failure;
// the configuration; and the versions, with a diff between any two.
// Tasks are fetched again when events touch the app, never on a timer.

import { get, idPath } from "./api.js";
import { destroyApp, killTasks, restartApp, scaleApp, suspendApp } from "./actions.js";
import { editable } from "./appform.js";
import { diffLines, hunks, lines } from "./diff.js";
import { debounce, fmtAgo, fmtNum, fmtMem, fmtTime, h, replace } from "./dom.js";
import { appHealth, appStatus, on, queueEntry, store } from "./store.js";

function taskHealth(t) {
  const r = t.healthCheckResults || [];
  if (!r.length) return h("span.muted", "–");
  const ok = r.every((x) => x.alive);
  return h("span.badge." + (ok ? "st-running" : "st-unhealthy"), ok ? "healthy" : "unhealthy");
}

function stateBadge(state) {
  const s = (state || "").replace(/^TASK_/, "").toLowerCase();
  return h("span.badge.ts-" + s, s);
}

export function render(main, route) {
  const id = "/" + route.rest.replace(/^\/+|\/+$/g, "");
  let tab = route.query.get("tab") || "tasks";
  let tasks = [];
  let tasksLoaded = false;
  let gone = false;
  const selected = new Set();

  const header = h("div.detail-head");
  const panels = h("div.panels");
  const tabs = h("div.tabs", { role: "tablist" });
  const body = h("div.tab-body", { role: "tabpanel" });
  for (const [key, label] of [["tasks", "Tasks"], ["config", "Configuration"],
    ["versions", "Versions"]]) {
    tabs.append(h("button.tab", { type: "button", role: "tab", "data-tab": key,
      "data-test": "tab-" + key, onclick: () => setTab(key) }, label));
  }
  replace(main, header, panels, tabs, body);

  const app = () => store.apps.get(id);

  function renderHeader() {
    const a = app();
    if (!a) {
      replace(header, h("h1", id), h("p.muted", store.loaded.apps
        ? (gone ? "This app was destroyed." : "No such app.") : "Loading…"),
      h("a", { href: "#/apps" }, "Back to the apps"));
      return;
    }
    const status = appStatus(a, queueEntry(id));
    const hl = appHealth(a);
    const parent = id.slice(0, id.lastIndexOf("/") + 1);
    const dep = (a.deployments || []).map((d) => store.deployments.find((x) => x.id === d.id))
      .filter(Boolean)[0];
    replace(header,
      h("nav.crumbs", { "aria-label": "Folders" }, h("a", { href: "#/apps" }, "Apps"),
        parent.split("/").filter(Boolean).map((s, i, arr) => [h("span.sep", "/"),
          h("a", { href: "#/apps/" + arr.slice(0, i + 1).join("/") + "/" }, s)])),
      h("div.title-row",
        h("h1.mono", id),
        h("span.badge.st-" + status.toLowerCase(), { "data-test": "app-status" }, status)),
      h("div.facts",
        h("span", { "data-test": "app-instances" }, h("strong", `${a.tasksRunning || 0} / ${a.instances}`),
          " running"),
        a.tasksStaged ? h("span", `${a.tasksStaged} staged`) : null,
        hl.checks ? h("span", `${hl.healthy} healthy, ${hl.unhealthy} unhealthy`) : null,
        h("span", `${fmtNum(a.cpus)} CPU, ${fmtMem(a.mem)} each`),
        h("span", "version ", h("time", { datetime: a.version, title: a.version }, fmtAgo(a.version)))),
      dep ? h("a.deploy-line", { href: "#/deployments", "data-test": "app-deployment" },
        `Deployment ${dep.id.slice(0, 8)}: step ${dep.currentStep} of ${dep.totalSteps}`,
        progress(dep.currentStep - 1, dep.totalSteps)) : null,
      h("div.actions",
        h("button.btn", { type: "button", "data-test": "act-scale", onclick: () => scaleApp(a) }, "Scale"),
        h("button.btn", { type: "button", "data-test": "act-restart", onclick: () => restartApp(a) }, "Restart"),
        h("button.btn", { type: "button", "data-test": "act-suspend", disabled: a.instances === 0,
          onclick: () => suspendApp(a) }, "Suspend"),
        h("a.btn", { href: "#/edit" + id, "data-test": "act-edit" }, "Edit"),
        h("button.btn.danger", { type: "button", "data-test": "act-destroy",
          onclick: () => destroyApp(a).then((r) => { if (r) location.hash = "#/apps" + parent; }) },
        "Destroy")));
  }

  function renderPanels() {
    const a = app();
    replace(panels);
    if (!a) return;
    const q = queueEntry(id);
    if (q) panels.append(queuePanel(q));
    if (a.lastTaskFailure) panels.append(failurePanel(a.lastTaskFailure));
  }

  function queuePanel(q) {
    const s = q.processedOffersSummary || {};
    const rows = (s.rejectSummaryLastOffers || []).map((r) =>
      h("tr" + (r.declined > 0 ? ".hot" : ""), h("td", r.reason), h("td.num", String(r.declined)),
        h("td.num", String(r.processed))));
    const delay = q.delay && q.delay.timeLeftSeconds > 0
      ? `; launch delayed for ${Math.ceil(q.delay.timeLeftSeconds)} s (back-off)` : "";
    return h("section.panel.warn", { "aria-label": "Launch queue", "data-test": "queue-panel" },
      h("h2", "Waiting for resources"),
      h("p", `${q.count} instance${q.count === 1 ? "" : "s"} not placed yet, since ${fmtAgo(q.since)}${delay}.`),
      h("p", `${s.processedOffersCount || 0} offers processed, ${s.unusedOffersCount || 0} unused` +
        (s.lastUnusedOfferAt ? `, the last ${fmtAgo(s.lastUnusedOfferAt)}` : "") + "."),
      rows.length ? h("table.tbl.compact",
        h("caption", "Why the last offers did not fit"),
        h("thead", h("tr", h("th", "Reason"), h("th.num", "Declined"), h("th.num", "Processed"))),
        h("tbody", rows)) : null);
  }

  function failurePanel(f) {
    return h("section.panel.bad", { "aria-label": "Last task failure", "data-test": "failure-panel" },
      h("h2", "Last task failure"),
      h("dl.kv",
        h("dt", "When"), h("dd", fmtTime(f.timestamp)),
        h("dt", "State"), h("dd", stateBadge(f.state)),
        h("dt", "Message"), h("dd.mono", f.message || "–"),
        h("dt", "Task"), h("dd.mono", f.taskId || "–"),
        h("dt", "Host"), h("dd", f.host || "–"),
        h("dt", "Version"), h("dd", f.version || "–")));
  }

  // ---- tasks

  function renderTasks() {
    if (tab !== "tasks") return;
    const a = app();
    const all = h("input", { type: "checkbox", "aria-label": "Select all tasks",
      checked: tasks.length > 0 && tasks.every((t) => selected.has(t.id)),
      onchange: (e) => {
        for (const t of tasks) {
          if (e.target.checked) selected.add(t.id);
          else selected.delete(t.id);
        }
        renderTasks();
      } });
    const ids = [...selected].filter((x) => tasks.some((t) => t.id === x));
    const tb = h("div.task-tools",
      h("button.btn", { type: "button", disabled: !ids.length, "data-test": "kill-tasks",
        onclick: () => killTasks(id, ids, false).then(done) }, "Kill"),
      h("button.btn.danger", { type: "button", disabled: !ids.length, "data-test": "kill-scale",
        onclick: () => killTasks(id, ids, true).then(done) }, "Kill and scale"),
      h("span.muted", ids.length ? `${ids.length} selected` : ""));
    const rows = tasks.map((t) => {
      const sb = (file) => h("a", { href: "#/sandbox/" + encodeURIComponent(t.id) + "?file=" + file,
        "data-test": "sandbox-" + file }, file);
      return h("tr", { "data-test": "task-row" },
        h("td", h("input", { type: "checkbox", "aria-label": "Select " + t.id, checked: selected.has(t.id),
          onchange: (e) => {
            if (e.target.checked) selected.add(t.id);
            else selected.delete(t.id);
            renderTasks();
          } })),
        h("td.mono.tid", { title: t.id }, t.id),
        h("td", t.host || "–"),
        h("td.mono", (t.ports || []).join(", ") || "–"),
        h("td", stateBadge(t.state)),
        h("td", taskHealth(t)),
        h("td.mono", (t.ipAddresses || []).map((x) => x.ipAddress).join(", ") || "–"),
        h("td", h("time", { datetime: t.startedAt || t.stagedAt, title: fmtTime(t.startedAt || t.stagedAt) },
          fmtAgo(t.startedAt || t.stagedAt))),
        h("td", a && t.version === a.version ? "current" : h("span.muted", { title: t.version }, "older")),
        h("td.links", sb("stdout"), " ", sb("stderr")));
    });
    replace(body, tb, h("div.scroll-x", h("table.tbl", { "data-test": "tasks-table" },
      h("thead", h("tr", h("th", all), h("th", "Task"), h("th", "Host"), h("th", "Ports"),
        h("th", "State"), h("th", "Health"), h("th", "IP addresses"), h("th", "Started"),
        h("th", "Version"), h("th", "Sandbox"))),
      h("tbody", rows.length ? rows : h("tr", h("td.muted", { colspan: 10 },
        tasksLoaded ? "No tasks." : "Loading…"))))));
  }

  function done() {
    selected.clear();
    loadTasks();
  }

  let tasksSeq = 0;
  async function loadTasks() {
    const seq = ++tasksSeq;
    try {
      const r = await get("/v2/apps/" + idPath(id) + "/tasks");
      if (seq !== tasksSeq) return;
      tasks = r.tasks.sort((x, y) => (x.stagedAt || "").localeCompare(y.stagedAt || ""));
    } catch (e) {
      if (seq !== tasksSeq) return;
      tasks = [];
      if (e.status === 404) gone = true;
    }
    tasksLoaded = true;
    renderTasks();
  }
  const loadTasksSoon = debounce(loadTasks, 200);

  // ---- configuration

  function renderConfig() {
    const a = app();
    if (!a) return replace(body);
    return replace(body, h("div.config-tools", h("a.btn", { href: "#/edit" + id }, "Edit")),
      h("pre.json-view", { "data-test": "config-json" }, JSON.stringify(editable(a), null, 2)));
  }

  // ---- versions

  const versionCache = new Map();
  async function version(v) {
    if (!versionCache.has(v)) {
      versionCache.set(v, get("/v2/apps/" + idPath(id) + "/versions/" + encodeURIComponent(v))
        .then((x) => editable(x)));
    }
    return versionCache.get(v);
  }

  let versionsShown = null; // the app's version when the list was read
  async function renderVersions() {
    versionsShown = app() ? app().version : null;
    replace(body, h("p.muted", "Loading…"));
    let vs;
    try {
      vs = (await get("/v2/apps/" + idPath(id) + "/versions")).versions;
    } catch (e) {
      replace(body, h("p.error", e.message));
      return;
    }
    if (tab !== "versions") return;
    const opts = (sel) => vs.map((v, i) => h("option", { value: v, selected: v === sel },
      fmtTime(v) + (i === 0 ? " (current)" : "")));
    const selA = h("select#ver-a", { "data-test": "ver-a" }, opts(vs[1] || vs[0]));
    const selB = h("select#ver-b", { "data-test": "ver-b" }, opts(vs[0]));
    const out = h("div.diff", { "data-test": "diff" });
    const full = h("input#diff-full", { type: "checkbox" });
    const compare = async () => {
      replace(out, h("p.muted", "Loading…"));
      const [a, b] = await Promise.all([version(selA.value), version(selB.value)]);
      let d = diffLines(lines(a), lines(b));
      const changes = d.filter((x) => x.op !== " ").length;
      if (!full.checked) d = hunks(d);
      replace(out, h("p.muted", changes ? `${changes} changed line${changes === 1 ? "" : "s"}`
        : "The two versions are identical."),
      h("pre.diff-lines", d.map((x) => h("span.dl" + ({ "-": ".del", "+": ".add", "…": ".skip" }[x.op] || ""),
        (x.op === "…" ? "  " : x.op + " ") + x.text + "\n"))));
    };
    for (const el of [selA, selB, full]) el.addEventListener("change", () => compare().catch(showErr));
    const showErr = (e) => replace(out, h("p.error", e.message));
    replace(body, h("div.ver-tools",
      h("label", { for: "ver-a" }, "From"), selA, h("label", { for: "ver-b" }, "to"), selB,
      h("label.check", full, " all lines")),
    h("p.muted", `${vs.length} version${vs.length === 1 ? "" : "s"}`), out);
    compare().catch(showErr);
  }

  function setTab(t) {
    tab = t;
    for (const b of tabs.querySelectorAll(".tab")) {
      b.setAttribute("aria-selected", String(b.dataset.tab === t));
    }
    if (t === "tasks") renderTasks();
    else if (t === "config") renderConfig();
    else renderVersions();
  }

  function progress(doneSteps, total) {
    const p = h("span.bar.small", h("span.bar-fill"));
    p.firstChild.style.width = (total ? (100 * doneSteps / total) : 0).toFixed(0) + "%";
    return p;
  }

  const off = on((kind, detail) => {
    if (kind === "apps" && (!detail || detail.has(id))) {
      if (!app() && store.loaded.apps) gone = true;
      renderHeader();
      renderPanels();
      loadTasksSoon();
      if (tab === "config") renderConfig();
      if (tab === "versions" && app() && app().version !== versionsShown) renderVersions();
    } else if (kind === "queue") {
      renderHeader();
      renderPanels();
    } else if (kind === "deployments") {
      renderHeader();
    } else if (kind === "event" && detail.data && detail.data.appId === id &&
      (detail.type === "status_update_event" || detail.type === "health_status_changed_event")) {
      loadTasksSoon();
    }
  });
  renderHeader();
  renderPanels();
  setTab(tab);
  loadTasks();
  return off;
}
