// store.js: what the pages show, kept current from /v2/events.
//
// The apps (with their counts, deployments and last failure), the
// deployments and the launch queue are loaded once; after that, each event
// marks what it touches as stale, and a short coalescing delay later only
// that is fetched again: the apps named by the events (or the whole list
// when a burst touches many), the deployments, the queue. There is no
// polling loop: with no events, no requests. When the stream drops, the
// browser reconnects by itself and everything is loaded again, since
// events may have been missed meanwhile.
//
// Pages subscribe with on(fn); fn(kind, detail) gets "apps" (detail: the
// set of app ids that changed, or null for all), "deployments", "queue",
// "event" (every raw event: {type, data}) and "conn" (true/false).

import { get, idPath, qs } from "./api.js";

const APP_EMBED = ["apps.deployments", "apps.lastTaskFailure", "apps.counts"];
const ONE_EMBED = ["app.deployments", "app.lastTaskFailure", "app.counts"];
const BULK = 40; // more stale apps than this: fetch the list once
const COALESCE_MS = 150;

export const store = {
  apps: new Map(), // id -> AppInfo
  deployments: [],
  queue: [], // /v2/queue entries
  queueById: new Map(), // app id -> its /v2/queue entry
  loaded: { apps: false, deployments: false, queue: false },
  connected: false,
  error: null,
};

const listeners = new Set();
export function on(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}
function emit(kind, detail) {
  for (const fn of [...listeners]) {
    try {
      fn(kind, detail);
    } catch (e) {
      console.error(e); // eslint-disable-line no-console
    }
  }
}

// ---- loading

let appsInFlight = null;
async function loadApps() {
  if (appsInFlight) return appsInFlight;
  appsInFlight = (async () => {
    try {
      const r = await get("/v2/apps" + qs({ embed: APP_EMBED }));
      const m = new Map();
      for (const a of r.apps) m.set(a.id, a);
      store.apps = m;
      store.loaded.apps = true;
      store.error = null;
      emit("apps", null);
    } catch (e) {
      store.error = e;
      emit("error", e);
    } finally {
      appsInFlight = null;
    }
  })();
  return appsInFlight;
}

async function loadApp(id) {
  try {
    const r = await get("/v2/apps/" + idPath(id) + qs({ embed: ONE_EMBED }));
    store.apps.set(r.app.id, r.app);
  } catch (e) {
    if (e.status === 404) store.apps.delete(id);
    else throw e;
  }
}

async function loadDeployments() {
  try {
    store.deployments = await get("/v2/deployments");
    store.loaded.deployments = true;
    emit("deployments");
  } catch (e) {
    emit("error", e);
  }
}

async function loadQueue() {
  try {
    const r = await get("/v2/queue");
    store.queue = r.queue || [];
    store.queueById = new Map(store.queue.filter((q) => q.app).map((q) => [q.app.id, q]));
    store.loaded.queue = true;
    emit("queue");
  } catch (e) {
    emit("error", e);
  }
}

export function reloadAll() {
  return Promise.all([loadApps(), loadDeployments(), loadQueue()]);
}

// ---- staleness, coalesced

const stale = { apps: new Set(), all: false, deployments: false, queue: false };
let flushTimer = null;
let flushing = false;

function markStale(what, id) {
  if (what === "app") {
    if (stale.apps.size >= BULK) stale.all = true;
    else stale.apps.add(id);
  } else {
    stale[what] = true;
  }
  if (!flushTimer && !flushing) flushTimer = setTimeout(flush, COALESCE_MS);
}

async function flush() {
  flushTimer = null;
  flushing = true;
  const ids = stale.apps;
  const all = stale.all;
  const dep = stale.deployments;
  const queue = stale.queue;
  stale.apps = new Set();
  stale.all = stale.deployments = stale.queue = false;
  try {
    const work = [];
    if (all) work.push(loadApps());
    else if (ids.size) {
      work.push(Promise.all([...ids].map(loadApp)).then(() => emit("apps", ids),
        (e) => emit("error", e)));
    }
    if (dep) work.push(loadDeployments());
    if (queue) work.push(loadQueue());
    await Promise.all(work);
  } finally {
    flushing = false;
    // What went stale meanwhile waits for its own coalescing delay.
    if (stale.all || stale.apps.size || stale.deployments || stale.queue) {
      flushTimer = setTimeout(flush, COALESCE_MS);
    }
  }
}

// ---- the event stream

function appsOfPlan(plan) {
  const ids = new Set();
  for (const step of (plan && plan.steps) || []) {
    for (const a of step.actions || []) if (a.app) ids.add(a.app);
  }
  return ids;
}

function onEvent(type, data) {
  emit("event", { type, data });
  switch (type) {
    case "status_update_event":
    case "health_status_changed_event":
    case "failed_health_check_event":
    case "unhealthy_task_kill_event":
      if (data.appId) markStale("app", data.appId);
      markStale("queue");
      break;
    case "api_post_event":
      if (data.appDefinition && data.appDefinition.id) {
        markStale("app", data.appDefinition.id);
      } else {
        stale.all = true;
        markStale("deployments");
      }
      break;
    case "app_terminated_event":
      if (data.appId) {
        store.apps.delete(data.appId);
        emit("apps", new Set([data.appId]));
      }
      markStale("queue");
      break;
    case "deployment_info":
    case "deployment_step_success":
    case "deployment_step_failure":
    case "deployment_success":
    case "deployment_failed":
      for (const id of appsOfPlan(data.plan)) markStale("app", id);
      markStale("deployments");
      markStale("queue");
      break;
    case "group_change_success":
      stale.all = true;
      markStale("deployments");
      break;
    default:
      break;
  }
}

const EVENT_TYPES = ["status_update_event", "health_status_changed_event",
  "failed_health_check_event", "unhealthy_task_kill_event", "api_post_event",
  "app_terminated_event", "deployment_info", "deployment_step_success",
  "deployment_step_failure", "deployment_success", "deployment_failed",
  "group_change_success", "event_stream_attached"];

let es = null;
export function connect() {
  if (es) return;
  es = new EventSource(new URL("../v2/events", document.baseURI));
  let first = true;
  es.onopen = () => {
    store.connected = true;
    emit("conn", true);
    // The first connection starts with a full load anyway; a reconnect
    // may have missed events, so load everything again.
    if (!first) reloadAll();
    first = false;
  };
  es.onerror = () => {
    if (store.connected) {
      store.connected = false;
      emit("conn", false);
    }
  };
  for (const t of EVENT_TYPES) {
    es.addEventListener(t, (ev) => {
      let data = {};
      try {
        data = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      onEvent(t, data);
    });
  }
}

// ---- derived views

export function queueEntry(id) {
  return store.queueById.get(id) || null;
}

// Marathon's app status, from its counts, deployments and the queue.
export function appStatus(app, queued) {
  if (app.deployments && app.deployments.length) return "Deploying";
  if (app.instances === 0 && (app.tasksRunning || 0) === 0) return "Suspended";
  if (queued) {
    return queued.delay && queued.delay.timeLeftSeconds > 0 ? "Delayed" : "Waiting";
  }
  if ((app.tasksRunning || 0) >= app.instances) return "Running";
  return "Waiting";
}

export function appHealth(app) {
  const checks = (app.healthChecks || []).length;
  const running = app.tasksRunning || 0;
  const healthy = app.tasksHealthy || 0;
  const unhealthy = app.tasksUnhealthy || 0;
  return { checks, running, healthy, unhealthy, unknown: Math.max(0, running - healthy - unhealthy) };
}
