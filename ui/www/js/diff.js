// diff.js: a line diff of two app definitions, for the versions view. Both
// are printed as JSON with sorted keys (so that key order never shows as a
// change), then compared line by line with a longest-common-subsequence
// table, which is plenty for definitions of a few hundred lines.

export function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = canonical(v[k]);
    return o;
  }
  return v;
}

export function lines(v) {
  return JSON.stringify(canonical(v), null, 2).split("\n");
}

// [{op: " " | "-" | "+", text}] turning a into b.
export function diffLines(a, b) {
  const n = a.length;
  const m = b.length;
  if (n * m > 4e6) { // too big to compare line by line: show both whole
    return [...a.map((t) => ({ op: "-", text: t })), ...b.map((t) => ({ op: "+", text: t }))];
  }
  // lcs[i][j]: LCS length of a[i..] and b[j..], in one flat array.
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[i] === b[j] ? lcs[(i + 1) * w + j + 1] + 1
        : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: " ", text: a[i] });
      i++;
      j++;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
      out.push({ op: "-", text: a[i++] });
    } else {
      out.push({ op: "+", text: b[j++] });
    }
  }
  while (i < n) out.push({ op: "-", text: a[i++] });
  while (j < m) out.push({ op: "+", text: b[j++] });
  return out;
}

// Keep changes with `context` lines around them; runs of unchanged lines
// in between become one {op: "…", text: "N unchanged lines"}.
export function hunks(d, context = 3) {
  const keep = new Array(d.length).fill(false);
  d.forEach((x, i) => {
    if (x.op === " ") return;
    for (let k = Math.max(0, i - context); k <= Math.min(d.length - 1, i + context); k++) keep[k] = true;
  });
  const out = [];
  let skipped = 0;
  d.forEach((x, i) => {
    if (keep[i]) {
      if (skipped) out.push({ op: "…", text: `${skipped} unchanged line${skipped === 1 ? "" : "s"}` });
      skipped = 0;
      out.push(x);
    } else {
      skipped++;
    }
  });
  if (skipped) out.push({ op: "…", text: `${skipped} unchanged line${skipped === 1 ? "" : "s"}` });
  return out;
}
