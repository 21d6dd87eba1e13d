// api.js: the JSON APIs the page uses, all on the port that served it.
// URLs are relative to the page (/ui/), so the UI also works behind a proxy
// that mounts clusterd under a path prefix. Errors become ApiError with
// Marathon's body ({message, details: [{path, errors}]}) when there is one.

const ROOT = new URL("..", document.baseURI);

export class ApiError extends Error {
  constructor(status, body, text) {
    const msg = (body && body.message) || text || "HTTP " + status;
    super(msg);
    this.status = status;
    this.body = body;
    this.details = (body && Array.isArray(body.details)) ? body.details : [];
  }
}

export function url(path) {
  return new URL(path.replace(/^\//, ""), ROOT).toString();
}

// Path ids ("/prod/web") in URLs: each segment encoded, slashes kept.
export function idPath(id) {
  return id.replace(/^\//, "").split("/").map(encodeURIComponent).join("/");
}

export async function request(method, path, body, opts = {}) {
  const init = { method, headers: { Accept: "application/json" }, signal: opts.signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url(path), init);
  } catch (e) {
    if (e.name === "AbortError") throw e;
    throw new ApiError(0, null, "cannot reach clusterd: " + e.message);
  }
  const text = await resp.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch (e) {
      data = null;
    }
  }
  if (!resp.ok) throw new ApiError(resp.status, data, text.slice(0, 200));
  return data;
}

export const get = (p, o) => request("GET", p, undefined, o);
export const post = (p, b) => request("POST", p, b);
export const put = (p, b) => request("PUT", p, b);
export const del = (p) => request("DELETE", p);

// Query strings: qs({force: true, embed: ["a", "b"]}) -> "?force=true&embed=a&embed=b"
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === false) continue;
    for (const x of Array.isArray(v) ? v : [v]) u.append(k, String(x));
  }
  const s = u.toString();
  return s ? "?" + s : "";
}
