// apps.js: the apps list. Group folders (Marathon's path ids: /prod/web is
// the app "web" in the folder "prod"), a search over every app id, sorting
// by column, and rows rendered only where the viewport is: with 1,000 apps
// the DOM holds about forty rows, whatever the scroll position.
//
// Keyboard: "/" focuses the search; in the list, arrows, Page Up/Down,
// Home and End move between rows, Enter opens one.

import { appHealth, appStatus, on, queueEntry, store } from "./store.js";
import { h, fmtMem, fmtNum, replace } from "./dom.js";

const OVERSCAN = 6;
let firstPaintMarked = false;

function groupOf(id) {
  return id.slice(0, id.lastIndexOf("/") + 1);
}

function healthBar(hl) {
  if (!hl.checks) return h("span.muted", { title: "no health checks" }, "–");
  const total = Math.max(1, hl.running);
  const seg = (n, cls, label) => {
    if (!n) return null;
    const s = h("span.hseg." + cls, { title: `${n} ${label}` });
    s.style.width = (100 * n / total).toFixed(1) + "%";
    return s;
  };
  const label = `${hl.healthy} healthy, ${hl.unhealthy} unhealthy, ${hl.unknown} unknown`;
  return h("span.health", { role: "img", "aria-label": label, title: label },
    seg(hl.healthy, "ok", "healthy"), seg(hl.unhealthy, "bad", "unhealthy"),
    seg(hl.unknown, "unk", "unknown"));
}

function statusBadge(status, dep) {
  return h("span.badge.st-" + status.toLowerCase(),
    dep ? { title: `deployment ${dep.id}: step ${dep.currentStep} of ${dep.totalSteps}` } : null,
    status, dep ? ` ${dep.currentStep}/${dep.totalSteps}` : null);
}

// App id -> the deployment that affects it (the first one listed).
function deploymentsByApp() {
  const m = new Map();
  for (const d of store.deployments) {
    for (const id of d.affectedApps || []) if (!m.has(id)) m.set(id, d);
  }
  return m;
}

// Rows for the folder `group` ("/" or "/prod/"), or every match of `q`.
function buildItems(group, q) {
  const items = [];
  const folders = new Map();
  const needle = q.trim().toLowerCase();
  const deps = deploymentsByApp();
  for (const app of store.apps.values()) {
    const queued = queueEntry(app.id);
    const status = appStatus(app, queued);
    const dep = deps.get(app.id) || null;
    if (needle) {
      if (app.id.toLowerCase().includes(needle)) {
        items.push({ kind: "app", key: app.id, name: app.id, app, status, dep });
      }
      continue;
    }
    if (!app.id.startsWith(group)) continue;
    const rest = app.id.slice(group.length);
    const slash = rest.indexOf("/");
    if (slash < 0) {
      items.push({ kind: "app", key: app.id, name: rest, app, status, dep });
      continue;
    }
    const fid = group + rest.slice(0, slash) + "/";
    let f = folders.get(fid);
    if (!f) {
      f = { kind: "group", key: fid, name: rest.slice(0, slash), apps: 0, running: 0,
        instances: 0, cpus: 0, mem: 0, deploying: 0, waiting: 0,
        hl: { checks: 0, running: 0, healthy: 0, unhealthy: 0, unknown: 0 } };
      folders.set(fid, f);
      items.push(f);
    }
    f.apps++;
    f.running += app.tasksRunning || 0;
    f.instances += app.instances;
    f.cpus += app.cpus * app.instances;
    f.mem += app.mem * app.instances;
    if (status === "Deploying") f.deploying++;
    if (status === "Waiting" || status === "Delayed") f.waiting++;
    const hl = appHealth(app);
    for (const k of Object.keys(f.hl)) f.hl[k] += hl[k];
  }
  for (const f of folders.values()) {
    f.status = f.deploying ? "Deploying" : f.waiting ? "Waiting"
      : f.instances === 0 ? "Suspended" : "Running";
  }
  return items;
}

const SORTS = {
  name: (a, b) => a.name.localeCompare(b.name),
  status: (a, b) => a.status.localeCompare(b.status),
  instances: (a, b) => inst(a) - inst(b),
  cpus: (a, b) => cpus(a) - cpus(b),
  mem: (a, b) => mem(a) - mem(b),
};
const inst = (x) => (x.kind === "app" ? x.app.instances : x.instances);
const cpus = (x) => (x.kind === "app" ? x.app.cpus * x.app.instances : x.cpus);
const mem = (x) => (x.kind === "app" ? x.app.mem * x.app.instances : x.mem);

function sortItems(items, key, dir) {
  const cmp = SORTS[key] || SORTS.name;
  items.sort((a, b) => {
    if (a.kind !== b.kind) return a.kind === "group" ? -1 : 1;
    return dir * cmp(a, b) || a.name.localeCompare(b.name);
  });
}

// What a row shows: when it changes, the row is drawn again.
function signature(it) {
  if (it.kind === "group") {
    return ["g", it.name, it.apps, it.status, it.running, it.instances, it.cpus, it.mem,
      it.hl.healthy, it.hl.unhealthy, it.hl.unknown, rowHeight].join("|");
  }
  const a = it.app;
  return ["a", it.name, it.status, a.version, a.tasksRunning, a.instances, a.tasksHealthy,
    a.tasksUnhealthy, it.dep ? it.dep.id + it.dep.currentStep : "", rowHeight].join("|");
}

function rowFor(it, index) {
  const cells = [];
  if (it.kind === "group") {
    cells.push(h("span.c-name", h("span.icon.folder", { "aria-hidden": "true" }),
      h("span.name", it.name), h("span.sub", `${it.apps} app${it.apps === 1 ? "" : "s"}`)));
    cells.push(h("span.c-status", statusBadge(it.status)));
    cells.push(h("span.c-inst", `${it.running} / ${it.instances}`));
    cells.push(h("span.c-health", healthBar(it.hl)));
    cells.push(h("span.c-cpus", fmtNum(it.cpus)));
    cells.push(h("span.c-mem", fmtMem(it.mem)));
  } else {
    const a = it.app;
    const what = a.container && a.container.docker ? a.container.docker.image
      : a.cmd || (a.args || []).join(" ") || "";
    cells.push(h("span.c-name", h("span.icon.app", { "aria-hidden": "true" }),
      h("span.name", it.name), h("span.sub", what)));
    cells.push(h("span.c-status", statusBadge(it.status, it.dep)));
    cells.push(h("span.c-inst", `${a.tasksRunning || 0} / ${a.instances}`));
    cells.push(h("span.c-health", healthBar(appHealth(a))));
    cells.push(h("span.c-cpus", fmtNum(a.cpus * a.instances)));
    cells.push(h("span.c-mem", fmtMem(a.mem * a.instances)));
  }
  const href = it.kind === "group" ? "#/apps" + it.key : "#/app" + it.key;
  const row = h("a.row", { href, role: "row", "data-index": index, "data-key": it.key,
    "data-test": it.kind === "group" ? "group-row" : "app-row" }, cells);
  row.style.transform = `translateY(${index * rowHeight}px)`;
  return row;
}

let rowHeight = 48;

export function render(main, route) {
  const group = route.rest ? "/" + route.rest.replace(/^\/+|\/+$/g, "") + "/" : "/";
  const state = { q: route.query.get("q") || "", sort: "name", dir: 1, items: [] };

  const search = h("input#search.search", { type: "search", placeholder: "Search all apps  ( / )",
    "aria-label": "Search apps", value: state.q, autocomplete: "off", "data-test": "search" });
  const crumbs = h("nav.crumbs", { "aria-label": "Folders" });
  const segs = group.split("/").filter(Boolean);
  crumbs.append(h("a", { href: "#/apps" }, "Apps"));
  segs.forEach((s, i) => {
    crumbs.append(h("span.sep", "/"),
      h("a", { href: "#/apps/" + segs.slice(0, i + 1).join("/") + "/" }, s));
  });
  const create = h("a.btn.primary", { href: "#/new" + (group !== "/" ? "?group=" +
    encodeURIComponent(group) : ""), "data-test": "create-app" }, "Create app");

  const head = h("div.lhead", { role: "row" });
  const cols = [["name", "Name"], ["status", "Status"], ["instances", "Running"],
    [null, "Health"], ["cpus", "CPUs"], ["mem", "Memory"]];
  for (const [key, label] of cols) {
    head.append(key
      ? h("button.sort", { type: "button", "data-sort": key, onclick: () => setSort(key) }, label)
      : h("span", label));
  }
  const spacer = h("div.vspace");
  const viewport = h("div.vlist", { role: "table", "aria-label": "Apps", "data-test": "apps-list" },
    spacer);
  const empty = h("div.empty", { hidden: true });
  const summary = h("div.summary", { "aria-live": "polite" });
  replace(main, h("div.toolbar", crumbs, search, create), head, viewport, empty, summary);

  function setSort(key) {
    if (state.sort === key) state.dir = -state.dir;
    else {
      state.sort = key;
      state.dir = 1;
    }
    for (const b of head.querySelectorAll("button.sort")) {
      b.setAttribute("aria-sort", b.dataset.sort === state.sort
        ? (state.dir > 0 ? "ascending" : "descending") : "none");
    }
    refresh();
  }

  function refresh() {
    state.items = buildItems(group, state.q);
    sortItems(state.items, state.sort, state.dir);
    const n = state.items.length;
    spacer.style.height = n * rowHeight + "px";
    const loaded = store.loaded.apps;
    empty.hidden = n > 0 || !loaded;
    if (!n && loaded) {
      replace(empty, state.q ? `No app matches “${state.q}”.`
        : group === "/" ? "No apps yet. " : "This folder is empty. ",
      state.q ? null : h("a", { href: create.getAttribute("href") }, "Create an app"));
    }
    let tasks = 0;
    let inst = 0;
    for (const a of store.apps.values()) {
      tasks += a.tasksRunning || 0;
      inst += a.instances;
    }
    summary.textContent = loaded
      ? `${store.apps.size} apps, ${tasks} of ${inst} instances running` +
        (state.q ? ` — ${n} shown` : "")
      : "Loading…";
    paint();
  }

  // Rows on screen by item key. A row whose item has not changed is kept
  // (only moved), so scrolling does not rebuild it and focus stays put.
  let painted = new Map(); // key -> row element
  let rafPending = false;
  function paint() {
    rafPending = false;
    const top = viewport.scrollTop;
    const height = viewport.clientHeight || 600;
    const first = Math.max(0, Math.floor(top / rowHeight) - OVERSCAN);
    const last = Math.min(state.items.length, Math.ceil((top + height) / rowHeight) + OVERSCAN);
    const focused = document.activeElement && viewport.contains(document.activeElement)
      ? document.activeElement : null;
    const next = new Map();
    const frag = document.createDocumentFragment();
    for (let i = first; i < last; i++) {
      const it = state.items[i];
      const sig = signature(it);
      let row = painted.get(it.key);
      if (row && row.dataset.sig === sig) {
        painted.delete(it.key);
        if (row.dataset.index !== String(i)) {
          row.dataset.index = String(i);
          row.style.transform = `translateY(${i * rowHeight}px)`;
        }
      } else {
        row = rowFor(it, i);
        row.dataset.sig = sig;
        frag.append(row);
      }
      next.set(it.key, row);
    }
    for (const r of painted.values()) r.remove();
    spacer.append(frag);
    painted = next;
    if (focused && !focused.isConnected) {
      const r = next.get(focused.dataset.key);
      if (r) r.focus({ preventScroll: true });
    }
    if (!firstPaintMarked && store.loaded.apps && state.items.length) {
      firstPaintMarked = true;
      // The frame after this one is on screen: mark it for the tests.
      requestAnimationFrame(() => setTimeout(() => performance.mark("cd-apps-list-painted"), 0));
    }
  }
  function schedulePaint() {
    if (!rafPending) {
      rafPending = true;
      requestAnimationFrame(paint);
    }
  }

  function focusIndex(i) {
    i = Math.max(0, Math.min(state.items.length - 1, i));
    const top = i * rowHeight;
    if (top < viewport.scrollTop) viewport.scrollTop = top;
    else if (top + rowHeight > viewport.scrollTop + viewport.clientHeight) {
      viewport.scrollTop = top + rowHeight - viewport.clientHeight;
    }
    paint();
    const r = state.items[i] && painted.get(state.items[i].key);
    if (r) r.focus({ preventScroll: true });
  }

  viewport.addEventListener("scroll", schedulePaint, { passive: true });
  viewport.addEventListener("keydown", (e) => {
    const cur = document.activeElement && document.activeElement.dataset.index;
    if (cur === undefined) return;
    const i = Number(cur);
    const page = Math.max(1, Math.floor(viewport.clientHeight / rowHeight) - 1);
    const moves = { ArrowDown: i + 1, ArrowUp: i - 1, PageDown: i + page, PageUp: i - page,
      Home: 0, End: state.items.length - 1 };
    if (e.key in moves) {
      e.preventDefault();
      focusIndex(moves[e.key]);
    }
  });
  search.addEventListener("input", () => {
    state.q = search.value;
    viewport.scrollTop = 0;
    refresh();
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown" && state.items.length) {
      e.preventDefault();
      focusIndex(0);
    }
  });
  const onResize = () => {
    rowHeight = parseFloat(getComputedStyle(viewport).getPropertyValue("--row-h")) || 48;
    refresh();
  };
  window.addEventListener("resize", onResize);
  rowHeight = parseFloat(getComputedStyle(viewport).getPropertyValue("--row-h")) || 48;

  const off = on((kind) => {
    if (kind === "apps" || kind === "queue" || kind === "deployments") refresh();
  });
  head.querySelector('[data-sort="name"]').setAttribute("aria-sort", "ascending");
  refresh();
  if (state.q) search.focus();
  return () => {
    off();
    window.removeEventListener("resize", onResize);
  };
}

export { groupOf };
