// sandbox.js: a task's stdout and stderr, followed as they grow, read
// through the API port (which relays to the task's agent), with Mesos'
// /files/read shape:
//   GET /v2/tasks/{taskId}/files/read?path=stdout&offset=N&length=M
//     -> {"offset": N, "data": "..."};  offset=-1 -> {"offset": size, "data": ""}
// The viewer starts with the last 64 KiB, then reads on from where it is.
// Following a file means asking again: every second while there is new
// output, backing off to five seconds while there is none, and not at all
// while the tab is hidden or the viewer closed. A 404 (unknown task, or a
// clusterd without the endpoint) or 501 stops it with a message.

import { ApiError, get, qs } from "./api.js";
import { h, replace } from "./dom.js";

const CHUNK = 65536;
const KEEP = 1 << 20; // bytes of output kept on the page
const enc = new TextEncoder();

export function render(main, route) {
  const taskId = decodeURIComponent(route.rest.replace(/^\/+/, ""));
  const file = route.query.get("file") === "stderr" ? "stderr" : "stdout";
  const appId = "/" + taskId.slice(0, Math.max(0, taskId.lastIndexOf("."))).replace(/_/g, "/");

  const out = h("pre.log", { tabindex: 0, "aria-label": file + " of " + taskId, "data-test": "sandbox-log" });
  const status = h("div.log-status", { role: "status", "data-test": "sandbox-status" }, "Opening…");
  const follow = h("input#follow", { type: "checkbox", checked: true });
  const tab = (f) => h("a.tab", { href: "#/sandbox/" + encodeURIComponent(taskId) + "?file=" + f,
    role: "tab", "aria-selected": String(f === file) }, f);
  replace(main,
    h("nav.crumbs", h("a", { href: "#/apps" }, "Apps"), h("span.sep", "/"),
      h("a", { href: "#/app" + appId }, appId)),
    h("h1", "Sandbox of ", h("span.mono", taskId)),
    h("div.toolbar", h("div.tabs", { role: "tablist" }, tab("stdout"), tab("stderr")),
      h("label.check", follow, " Follow")),
    status, out);

  let offset = 0;
  let kept = 0;
  let timer = null;
  let idle = 0;
  let stopped = false;
  let seq = 0;
  let trimFirst = false;

  const path = "/v2/tasks/" + encodeURIComponent(taskId) + "/files/read";
  const read = (off, len) => get(path + qs({ path: file, offset: off, length: len }));

  function append(text) {
    if (!text) return;
    const atBottom = out.scrollTop + out.clientHeight >= out.scrollHeight - 4;
    out.append(document.createTextNode(text));
    kept += text.length;
    while (kept > KEEP && out.firstChild) {
      kept -= out.firstChild.textContent.length;
      out.firstChild.remove();
    }
    if (follow.checked && atBottom) out.scrollTop = out.scrollHeight;
  }

  function fail(e) {
    stopped = true;
    let msg;
    if (e instanceof ApiError && e.status === 404) {
      msg = `The sandbox of this task cannot be read: ${e.message} (HTTP 404). ` +
        "The task may be gone, or this clusterd does not serve task sandboxes yet.";
    } else if (e instanceof ApiError && e.status === 501) {
      msg = "This clusterd does not serve task sandboxes (HTTP 501).";
    } else {
      msg = "Cannot read the sandbox: " + e.message;
    }
    replace(status, h("span.error", { "data-test": "sandbox-error" }, msg), " ",
      h("button.btn.small", { type: "button", onclick: start }, "Retry"));
  }

  async function step(my) {
    timer = null;
    if (stopped || my !== seq) return;
    if (document.hidden) return; // resumed by visibilitychange
    try {
      const r = await read(offset, CHUNK);
      if (my !== seq) return;
      const data = r.data || "";
      let text = data;
      if (trimFirst && data) { // started mid-file: begin at a whole line
        const nl = data.indexOf("\n");
        text = nl >= 0 ? data.slice(nl + 1) : "";
        trimFirst = nl < 0;
      }
      append(text);
      offset = (typeof r.offset === "number" ? r.offset : offset) + enc.encode(data).length;
      status.textContent = `${file}: ${offset} bytes` + (follow.checked ? ", following" : "");
      if (data.length >= CHUNK / 4 && enc.encode(data).length >= CHUNK) {
        idle = 0;
        timer = setTimeout(() => step(my), 0); // more is waiting
      } else if (follow.checked) {
        idle = data ? 0 : idle + 1;
        timer = setTimeout(() => step(my), Math.min(5000, 1000 * (1 + idle)));
      }
    } catch (e) {
      if (my === seq) fail(e);
    }
  }

  async function start() {
    const my = ++seq;
    clearTimeout(timer);
    stopped = false;
    replace(out);
    kept = 0;
    status.textContent = "Opening…";
    try {
      const r = await read(-1);
      if (my !== seq) return;
      const size = r.offset || 0;
      offset = Math.max(0, size - CHUNK);
      trimFirst = offset > 0;
      if (offset > 0) append(`[… ${offset} earlier bytes not shown]\n`);
      step(my);
    } catch (e) {
      if (my === seq) fail(e);
    }
  }

  const onVis = () => {
    if (!document.hidden && !stopped && !timer) step(seq);
  };
  follow.addEventListener("change", () => {
    if (follow.checked && !stopped && !timer) step(seq);
  });
  document.addEventListener("visibilitychange", onVis);
  start();
  return () => {
    stopped = true;
    seq++;
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVis);
  };
}
