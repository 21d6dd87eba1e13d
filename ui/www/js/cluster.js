// cluster.js: the cluster as the master sees it. Agents with their used
// and total resources as bars, their attributes and state; the leading
// master and this one; the frameworks. The master's /master/state comes
// through the API port (GET /ui/api/master/state), so a browser needs one
// port only. It is fetched when the page opens and again when task events
// arrive (they change what agents use). Agents coming and going send no
// Marathon event, so the page also has a Refresh button.

import { get } from "./api.js";
import { bar, debounce, fmtAgo, fmtMem, fmtNum, h, replace } from "./dom.js";
import { on } from "./store.js";

// "[31000-31099, 32000-32000]" -> number of ports
function portCount(r) {
  let n = 0;
  for (const m of String(r || "").matchAll(/(\d+)-(\d+)/g)) n += Number(m[2]) - Number(m[1]) + 1;
  return n;
}

function agentRow(s) {
  const tot = s.resources || {};
  const used = s.used_resources || {};
  const state = s.active === false ? "unreachable" : "active";
  const attrs = Object.entries(s.attributes || {});
  return h("tr", { "data-test": "agent-row", "data-state": state },
    h("td", h("div", h("strong", s.hostname)), h("div.mono.muted.small", { title: s.id }, s.id)),
    h("td", h("span.badge.ag-" + state, state)),
    h("td", bar(used.cpus || 0, tot.cpus || 0, `${fmtNum(used.cpus || 0)} of ${fmtNum(tot.cpus || 0)} CPUs`)),
    h("td", bar(used.mem || 0, tot.mem || 0, `${fmtMem(used.mem || 0)} of ${fmtMem(tot.mem || 0)}`)),
    h("td", bar(used.disk || 0, tot.disk || 0, `${fmtMem(used.disk || 0)} of ${fmtMem(tot.disk || 0)}`)),
    h("td", bar(portCount(used.ports), portCount(tot.ports),
      `${portCount(used.ports)} of ${portCount(tot.ports)} ports`)),
    h("td", attrs.length ? attrs.map(([k, v]) => h("span.chip", `${k}: ${v}`)) : h("span.muted", "–")),
    h("td", s.registered_time ? fmtAgo(s.registered_time) : "–"));
}

export function render(main) {
  const masters = h("section.card", { "data-test": "masters" }, h("h2", "Masters"), h("p.muted", "Loading…"));
  const agents = h("section.card", { "data-test": "agents" }, h("h2", "Agents"), h("p.muted", "Loading…"));
  const fws = h("section.card", { "data-test": "frameworks" }, h("h2", "Frameworks"));
  const refresh = h("button.btn", { type: "button", onclick: () => load(), "data-test": "cluster-refresh" },
    "Refresh");
  replace(main, h("div.toolbar", h("h1", "Cluster"), refresh), masters, agents, fws);

  let seq = 0;
  async function load() {
    const my = ++seq;
    const [state, info, leader] = await Promise.allSettled([
      get("/ui/api/master/state"), get("/v2/info"), get("/v2/leader")]);
    if (my !== seq) return;
    drawMasters(state, info, leader);
    if (state.status === "fulfilled") {
      drawAgents(state.value);
      drawFrameworks(state.value);
    } else {
      replace(agents, h("h2", "Agents"), h("p.error", "Cannot read the master's state: " +
        state.reason.message));
      replace(fws, h("h2", "Frameworks"));
    }
  }

  function drawMasters(state, info, leader) {
    const rows = [];
    const i = info.status === "fulfilled" ? info.value : null;
    const st = state.status === "fulfilled" ? state.value : null;
    rows.push(h("dt", "Marathon API leader"),
      h("dd.mono", { "data-test": "api-leader" }, leader.status === "fulfilled" ? leader.value.leader
        : "none (" + leader.reason.message + ")"));
    if (i) {
      rows.push(h("dt", "This API"), h("dd", `${i.name} ${i.version} (${i.buildref || ""}), ` +
        (i.elected ? "elected" : "not elected")));
      if (i.marathon_config) rows.push(h("dt", "Master"), h("dd.mono", i.marathon_config.master || "–"));
      if (i.zookeeper_config && i.zookeeper_config.zk) {
        rows.push(h("dt", "ZooKeeper"), h("dd.mono", i.zookeeper_config.zk));
      }
    }
    if (st) {
      const li = st.leader_info || {};
      rows.push(h("dt", "Leading master"), h("dd.mono", { "data-test": "master-leader" },
        `${li.hostname || st.hostname} (${(li.address && li.address.ip) || li.ip || "?"}:${li.port || "?"})`),
      h("dt", "Master id"), h("dd.mono", st.id || "–"),
      h("dt", "Version"), h("dd", st.version || "–"),
      h("dt", "Elected"), h("dd", st.elected_time ? fmtAgo(st.elected_time) : "–"),
      h("dt", "Agents"), h("dd", `${st.activated_slaves || 0} active, ${st.deactivated_slaves || 0} unreachable`));
    }
    replace(masters, h("h2", "Masters"), h("dl.kv", rows));
  }

  function drawAgents(st) {
    const list = st.slaves || [];
    replace(agents, h("h2", `Agents (${list.length})`), list.length
      ? h("div.scroll-x", h("table.tbl", { "data-test": "agents-table" },
        h("thead", h("tr", h("th", "Agent"), h("th", "State"), h("th", "CPUs"), h("th", "Memory"),
          h("th", "Disk"), h("th", "Ports"), h("th", "Attributes"), h("th", "Registered"))),
        h("tbody", list.map(agentRow))))
      : h("p.muted", "No agent has registered."));
  }

  function drawFrameworks(st) {
    const list = [...(st.frameworks || []), ...(st.completed_frameworks || [])];
    const row = (f) => h("tr",
      h("td", f.name), h("td.mono.small", f.id),
      h("td", h("span.badge." + (f.active ? "ag-active" : "ag-unreachable"),
        f.active ? "active" : "inactive")),
      h("td", f.role || "*"), h("td.num", String((f.tasks || []).length)),
      h("td", f.registered_time ? fmtAgo(f.registered_time) : "–"));
    const table = h("table.tbl",
      h("thead", h("tr", h("th", "Name"), h("th", "Id"), h("th", "State"), h("th", "Role"),
        h("th", "Tasks"), h("th", "Registered"))),
      h("tbody", list.map(row)));
    replace(fws, h("h2", `Frameworks (${list.length})`),
      list.length ? h("div.scroll-x", table) : h("p.muted", "No framework."));
  }

  const loadSoon = debounce(load, 1000);
  const off = on((kind, detail) => {
    if (kind === "event" && detail.type === "status_update_event") loadSoon();
    if (kind === "conn" && detail) loadSoon();
  });
  load();
  return off;
}
