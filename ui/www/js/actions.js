// actions.js: what a person can do to an app or its tasks, each confirmed
// first: scale, restart, suspend (scale to 0), destroy, kill tasks (with or
// without scaling down). An app locked by a deployment answers 409; the
// person is then asked whether to force the change, as Marathon's UI did.

import { ApiError, del, idPath, post, put, qs } from "./api.js";
import { confirmAction, dialog, h, toast } from "./dom.js";

async function withForce(what, fn) {
  try {
    return await fn(false);
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
    const ok = await confirmAction("Deployment in progress",
      [h("p", e.message), h("p", "Force the change? The running deployment is cancelled and " +
        what + " replaces it.")], "Force", true);
    if (!ok) return null;
    return fn(true);
  }
}

function report(p, msg) {
  return p.then((r) => {
    if (r !== null) toast(msg, "ok");
    return r;
  }, (e) => {
    toast(e.message, "error");
    return null;
  });
}

export async function scaleApp(app) {
  const n = await dialog({
    title: "Scale " + app.id,
    body: [h("label.field", { for: "scale-n" }, "Instances",
      h("input#scale-n", { type: "number", min: 0, step: 1, name: "instances", required: true,
        value: String(app.instances), "data-test": "scale-input" }))],
    buttons: [{ label: "Cancel", value: null }, { label: "Scale", value: "ok", kind: "primary" }],
    onSubmit: (v, form) => {
      const x = Number(form.elements.instances.value);
      if (!Number.isInteger(x) || x < 0) {
        form.elements.instances.setCustomValidity("a whole number, 0 or more");
        form.elements.instances.reportValidity();
        return false;
      }
      return x;
    },
  });
  if (n === null) return null;
  return report(withForce("the new scale", (force) =>
    put("/v2/apps/" + idPath(app.id) + qs({ force }), { instances: n })),
  `Scaling ${app.id} to ${n} instance${n === 1 ? "" : "s"}`);
}

export async function restartApp(app) {
  if (!await confirmAction("Restart " + app.id,
    "Every task is replaced by a new one, following the app's upgrade strategy.", "Restart")) {
    return null;
  }
  return report(withForce("the restart", (force) =>
    post("/v2/apps/" + idPath(app.id) + "/restart" + qs({ force }))), "Restarting " + app.id);
}

export async function suspendApp(app) {
  if (!await confirmAction("Suspend " + app.id,
    "The app is scaled to 0 instances: all its tasks are killed. Its definition stays, " +
    "and scaling it up again resumes it.", "Suspend", true)) {
    return null;
  }
  return report(withForce("suspending", (force) =>
    put("/v2/apps/" + idPath(app.id) + qs({ force }), { instances: 0 })), "Suspending " + app.id);
}

export async function destroyApp(app) {
  if (!await confirmAction("Destroy " + app.id,
    [h("p", "The app and all its tasks are removed. This cannot be undone."),
      h("p.mono", app.id)], "Destroy", true)) {
    return null;
  }
  return report(withForce("the removal", (force) =>
    del("/v2/apps/" + idPath(app.id) + qs({ force }))), "Destroying " + app.id);
}

export async function killTasks(appId, ids, scale) {
  const n = ids.length;
  const what = n === 1 ? "1 task" : n + " tasks";
  const text = scale
    ? `Kill ${what} and lower the app's instances by ${n}: they are not replaced.`
    : `Kill ${what}. The app keeps its instances, so they are replaced.`;
  if (!await confirmAction(scale ? "Kill and scale" : "Kill tasks",
    [h("p", text), h("ul.mono", ids.map((id) => h("li", id)))],
    scale ? "Kill and scale" : "Kill", true)) {
    return null;
  }
  return report(post("/v2/tasks/delete" + qs({ scale: !!scale }), { ids }),
    `Killing ${what} of ${appId}`);
}
