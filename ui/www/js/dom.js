// dom.js: the few DOM helpers every page uses. Text always goes in as text
// nodes (never innerHTML), so nothing an app definition holds can become
// markup. Dialogs are native <dialog> elements: focus is trapped, Escape
// closes them, and the opener gets its focus back.

// h("a.btn.primary", {href: "#/x", onclick: fn}, "text", child, [more])
export function h(tag, attrs, ...children) {
  const m = /^([a-z0-9]+)((?:[.#][\w-]+)*)$/i.exec(tag);
  const el = document.createElement(m ? m[1] : tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === ".") el.classList.add(part.slice(1));
      else el.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== "object" || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style") Object.assign(el.style, v);
    else if (k === "value") el.value = v;
    else if (k === "checked") el.checked = !!v;
    else if (k === "class") el.className = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  append(el, children);
  return el;
}

// Toasts: short messages in an aria-live region.
export function toast(msg, kind = "info") {
  const box = document.getElementById("toasts");
  const t = h("div.toast." + kind, { role: kind === "error" ? "alert" : "status" }, msg);
  box.append(t);
  setTimeout(() => t.remove(), kind === "error" ? 8000 : 4000);
}

// A modal dialog. body: nodes; buttons: [{label, value, kind}]. Resolves
// with the value of the button pressed, or null on Escape/cancel. When
// `form` is given, its inputs are read by the caller through onSubmit.
export function dialog({ title, body, buttons, onSubmit }) {
  return new Promise((resolve) => {
    const opener = document.activeElement;
    const form = h("form", { method: "dialog" });
    const dlg = h("dialog.dlg", { "aria-labelledby": "dlg-title" },
      form);
    const actions = h("div.dlg-actions");
    for (const b of buttons) {
      actions.append(h("button.btn" + (b.kind ? "." + b.kind : ""), {
        type: b.value === null ? "button" : "submit",
        value: b.value === null ? "" : b.value,
        onclick: b.value === null ? () => dlg.close("") : undefined,
        "data-test": "dlg-" + (b.value === null ? "cancel" : b.value),
      }, b.label));
    }
    form.append(h("h2#dlg-title", title), h("div.dlg-body", body), actions);
    let result = null;
    form.addEventListener("submit", (e) => {
      const v = e.submitter ? e.submitter.value : "";
      if (onSubmit && v) {
        const r = onSubmit(v, form);
        if (r === false) {
          e.preventDefault();
          return;
        }
        result = r === undefined ? v : r;
      } else {
        result = v || null;
      }
    });
    dlg.addEventListener("close", () => {
      dlg.remove();
      if (opener && opener.focus && document.contains(opener)) opener.focus();
      resolve(result);
    });
    document.body.append(dlg);
    dlg.showModal();
    const first = form.querySelector("input, select, textarea") ||
      form.querySelector(".dlg-actions .btn:not(.danger)");
    if (first) first.focus();
  });
}

// Ask before doing something: resolves true only on confirmation.
export async function confirmAction(title, text, label, danger = false) {
  const v = await dialog({
    title,
    body: Array.isArray(text) ? text : [h("p", text)],
    buttons: [{ label: "Cancel", value: null },
      { label, value: "ok", kind: danger ? "danger" : "primary" }],
  });
  return v === "ok";
}

// Formatting.
export function fmtNum(n, digits = 2) {
  if (n === undefined || n === null || Number.isNaN(n)) return "–";
  return Number.isInteger(n) ? String(n) : n.toFixed(digits).replace(/\.?0+$/, "");
}

export function fmtMem(mb) {
  if (mb === undefined || mb === null) return "–";
  if (mb >= 1024) return fmtNum(mb / 1024, 1) + " GiB";
  return fmtNum(mb, 0) + " MiB";
}

export function fmtTime(iso) {
  if (!iso) return "–";
  const d = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return d.toLocaleString();
}

export function fmtAgo(iso) {
  if (!iso) return "–";
  const d = typeof iso === "number" ? iso * 1000 : Date.parse(iso);
  const s = Math.round((Date.now() - d) / 1000);
  if (Number.isNaN(s)) return String(iso);
  if (s < 60) return s + " s ago";
  if (s < 3600) return Math.round(s / 60) + " min ago";
  if (s < 86400) return Math.round(s / 3600) + " h ago";
  return Math.round(s / 86400) + " d ago";
}

// A bar: used/total with a label, for resources.
export function bar(used, total, label) {
  const pct = total > 0 ? Math.min(100, (used / total) * 100) : 0;
  const fill = h("span.bar-fill");
  fill.style.width = pct.toFixed(1) + "%";
  if (pct > 90) fill.classList.add("hot");
  return h("span.bar", { role: "meter", "aria-valuemin": 0, "aria-valuemax": total,
    "aria-valuenow": used, "aria-label": label, title: label }, fill,
  h("span.bar-label", label));
}

export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}
