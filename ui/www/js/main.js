// main.js: the single-page app's frame. Hash routes pick the page:
//   #/apps[/folder/...]      apps list          #/app/<id>        app detail
//   #/new[?group=/f/]        create             #/edit/<id>       edit
//   #/deployments            deployments        #/cluster         cluster
//   #/sandbox/<taskId>?file=stdout|stderr       a task's output
// Each page's render(main, route) draws into <main> and returns its cleanup
// (unsubscribe, timers), called when the route changes. The store loads
// once and then follows /v2/events; pages redraw from it, never reload.
// Shortcuts: "/" search, "n" new app, "g" then a/d/c for the sections.

import * as appdetail from "./appdetail.js";
import * as appform from "./appform.js";
import * as apps from "./apps.js";
import * as cluster from "./cluster.js";
import * as deployments from "./deployments.js";
import * as sandbox from "./sandbox.js";
import { h, replace, toast } from "./dom.js";
import { connect, on, reloadAll, store } from "./store.js";

const PAGES = {
  apps: [apps, "apps"],
  app: [appdetail, "apps"],
  new: [appform, "apps"],
  edit: [appform, "apps"],
  deployments: [deployments, "deployments"],
  cluster: [cluster, "cluster"],
  sandbox: [sandbox, "apps"],
};

function parseRoute() {
  const raw = location.hash.replace(/^#\/?/, "");
  const q = raw.indexOf("?");
  const path = q < 0 ? raw : raw.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
  const slash = path.indexOf("/");
  const name = slash < 0 ? path : path.slice(0, slash);
  const rest = slash < 0 ? "" : path.slice(slash + 1);
  return { name: name || "apps", rest: decodeURIComponent(rest), query };
}

const main = document.getElementById("main");
let cleanup = null;
let lastKey = null;

function route() {
  const r = parseRoute();
  const key = r.name + "/" + r.rest + "?" + r.query.toString();
  if (key === lastKey) return;
  lastKey = key;
  const page = PAGES[r.name];
  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      console.error(e); // eslint-disable-line no-console
    }
  }
  cleanup = null;
  for (const a of document.querySelectorAll("header nav a")) {
    if (page && a.dataset.section === page[1]) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  if (!page) {
    replace(main, h("h1", "Not found"), h("p", "No page at ", h("code", location.hash), ". "),
      h("a", { href: "#/apps" }, "Go to the apps"));
    return;
  }
  document.title = (r.rest ? r.rest + " · " : "") + r.name + " · clusterd";
  cleanup = page[0].render(main, r) || null;
  main.focus({ preventScroll: true });
  window.scrollTo(0, 0);
}

// ---- header: deployments badge, connection state

const depBadge = document.getElementById("dep-count");
const conn = document.getElementById("conn");
on((kind, detail) => {
  if (kind === "deployments") {
    depBadge.textContent = store.deployments.length ? String(store.deployments.length) : "";
    depBadge.hidden = !store.deployments.length;
  } else if (kind === "conn") {
    conn.className = detail ? "conn live" : "conn down";
    conn.textContent = detail ? "live" : "reconnecting…";
    conn.title = detail ? "Following /v2/events" : "The event stream is down; the browser reconnects by itself";
  } else if (kind === "error") {
    toast(detail.message, "error");
  }
});

// ---- keyboard

let gPending = false;
document.addEventListener("keydown", (e) => {
  const t = e.target;
  const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  if (typing || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
  if (gPending) {
    gPending = false;
    const to = { a: "#/apps", d: "#/deployments", c: "#/cluster" }[e.key];
    if (to) {
      e.preventDefault();
      location.hash = to;
    }
    return;
  }
  if (e.key === "/") {
    const s = document.getElementById("search");
    if (s) {
      e.preventDefault();
      s.focus();
      s.select();
    } else {
      e.preventDefault();
      location.hash = "#/apps";
      setTimeout(() => { const x = document.getElementById("search"); if (x) x.focus(); }, 0);
    }
  } else if (e.key === "n") {
    e.preventDefault();
    location.hash = "#/new";
  } else if (e.key === "g") {
    gPending = true;
    setTimeout(() => { gPending = false; }, 1500);
  }
});

window.addEventListener("unhandledrejection", (e) => {
  if (e.reason && e.reason.name === "AbortError") return;
  toast(String((e.reason && e.reason.message) || e.reason), "error");
});

window.addEventListener("hashchange", route);
if (!location.hash) history.replaceState(null, "", "#/apps");
route();
reloadAll();
connect();
