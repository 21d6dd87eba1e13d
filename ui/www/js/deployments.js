// deployments.js: the deployments in progress, each with its plan step by
// step (done, running, waiting) and two ways out, both confirmed first:
// roll back (DELETE /v2/deployments/{id}: a new deployment takes the apps
// back to where they were) and stop (?force=true: the apps stay as they
// are now). Updated from the store, which follows the deployment events.

import { del, qs } from "./api.js";
import { confirmAction, fmtAgo, h, replace, toast } from "./dom.js";
import { on, store } from "./store.js";

async function cancel(d, force) {
  const ok = await confirmAction(force ? "Stop deployment" : "Roll back deployment",
    force
      ? "The deployment stops where it is: its apps keep their new definition and " +
        "whatever tasks they have now. Nothing is rolled back."
      : "A new deployment takes the affected apps back to their definition before this one.",
    force ? "Stop" : "Roll back", true);
  if (!ok) return;
  try {
    await del("/v2/deployments/" + encodeURIComponent(d.id) + qs({ force }));
    toast(force ? "Stopped deployment " + d.id : "Rolling back deployment " + d.id, "ok");
  } catch (e) {
    toast(e.message, "error");
  }
}

function card(d) {
  const done = Math.max(0, (d.currentStep || 1) - 1);
  const fill = h("span.bar-fill");
  fill.style.width = (d.totalSteps ? (100 * done / d.totalSteps) : 0).toFixed(0) + "%";
  const current = new Set((d.currentActions || []).map((a) => a.action + " " + a.app));
  const steps = (d.steps || []).map((s, i) => {
    const n = i + 1;
    const st = n < d.currentStep ? "done" : n === d.currentStep ? "running" : "waiting";
    return h("li.step." + st, { "data-test": "step", "data-state": st },
      h("span.step-n", `${n}`),
      h("span.step-state", st),
      h("ul", (s.actions || []).map((a) => h("li",
        h("span.action" + (st === "running" && current.has(a.action + " " + a.app) ? ".now" : ""),
          a.action), " ", h("a.mono", { href: "#/app" + a.app }, a.app)))));
  });
  return h("article.card.deployment", { "data-test": "deployment", "data-id": d.id },
    h("header",
      h("h2.mono", d.id),
      h("span.muted", "started ", h("time", { datetime: d.version }, fmtAgo(d.version)))),
    h("div.dep-progress",
      h("span.bar", { role: "progressbar", "aria-valuemin": 0, "aria-valuemax": d.totalSteps,
        "aria-valuenow": done, "aria-label": "Steps done" }, fill),
      h("span", { "data-test": "dep-step" }, `step ${d.currentStep} of ${d.totalSteps}`)),
    h("p", "Apps: ", (d.affectedApps || []).map((a, i) => [i ? ", " : "",
      h("a.mono", { href: "#/app" + a }, a)])),
    h("ol.steps", steps),
    h("div.actions",
      h("button.btn", { type: "button", "data-test": "dep-rollback", onclick: () => cancel(d, false) },
        "Roll back"),
      h("button.btn.danger", { type: "button", "data-test": "dep-force", onclick: () => cancel(d, true) },
        "Stop (force)")));
}

export function render(main) {
  const list = h("div.cards", { "aria-live": "polite" });
  replace(main, h("h1", "Deployments"), list);
  function draw() {
    if (!store.loaded.deployments) return replace(list, h("p.muted", "Loading…"));
    if (!store.deployments.length) {
      return replace(list, h("p.empty", { "data-test": "no-deployments" },
        "No deployment in progress."));
    }
    return replace(list, store.deployments.map(card));
  }
  draw();
  return on((kind) => {
    if (kind === "deployments") draw();
  });
}
