#!/usr/bin/python3
"""check-cycles: no file-level call cycle larger than 3 files (STYLE B6, issue 8).

An edge a.c -> b.c means that a.o uses a global symbol (function or data) that
b.o defines, as nm reports them: the linker's view, so macros and inline code
are not edges, and a call through a function pointer (a callback interface) is
not an edge either. The files are every object of the daemon in the build
directory (tests and benchmarks excluded).

The strongly connected components of that graph are the call cycles. A
component of more than MAX_CYCLE files fails the check. A smaller one must be
documented where it lives: each of its files carries a comment line
"Call cycle: <the other files>", naming each other member by file name, so
that a reader sees the loop from any side of it.

Usage: check-cycles.py BUILD_DIR [--graph]  (run from the repository root;
`make check-deps` builds the objects and runs it). Exit 1 on a violation.
"""

import os
import re
import subprocess
import sys

MAX_CYCLE = 3
ROLE_DIRS = ("lib", "master", "agent", "scheduler", "containerizer", "cmd")


def objects(build):
    out = []
    for d in ROLE_DIRS:
        root = os.path.join(build, d)
        for dirpath, _, names in os.walk(root):
            out += [os.path.join(dirpath, n) for n in names if n.endswith(".o")]
    # Objects left behind by a file that moved or was deleted are not the tree.
    return sorted(o for o in out if os.path.exists(source_of(build, o)))


def nm(obj, *flags):
    res = subprocess.run(["nm", "-P", *flags, obj], capture_output=True, text=True,
                         check=True)
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            yield parts[0], parts[1]


def source_of(build, obj):
    return os.path.relpath(obj, build)[:-2] + ".c"


def graph(build):
    objs = objects(build)
    if not objs:
        sys.exit(f"check-cycles: no objects under {build}/: build first")
    owner = {}
    for o in objs:
        for sym, kind in nm(o, "--defined-only", "-g"):
            if kind in "TDRBCVW":
                owner[sym] = source_of(build, o)
    edges = {source_of(build, o): set() for o in objs}
    for o in objs:
        src = source_of(build, o)
        for sym, kind in nm(o, "-u"):
            dst = owner.get(sym)
            if dst is not None and dst != src:
                edges[src].add(dst)
    return edges


def sccs(edges):
    """Tarjan's algorithm, iterative (the graph is small, but no recursion limit)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges.get(w, ())))))
                    advanced = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def documented(path, others):
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return False
    notes = re.findall(r"Call cycle:([^\n]*(?:\n \*[^\n]*)*)", text)
    names = " ".join(notes)
    return bool(notes) and all(os.path.basename(o) in names for o in others)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    build = sys.argv[1]
    edges = graph(build)
    if "--graph" in sys.argv[2:]:
        for src in sorted(edges):
            for dst in sorted(edges[src]):
                print(f"{src} -> {dst}")
        return 0
    bad = 0
    cycles = [c for c in sccs(edges) if len(c) > 1]
    for comp in cycles:
        if len(comp) > MAX_CYCLE:
            print(f"check-cycles: a call cycle of {len(comp)} files (limit {MAX_CYCLE}): "
                  + ", ".join(comp))
            bad += 1
            continue
        for f in comp:
            others = [o for o in comp if o != f]
            if not documented(f, others):
                print(f"check-cycles: {f} is in a call cycle with {', '.join(others)}; "
                      "break it, or say so in a \"Call cycle:\" comment naming them")
                bad += 1
    if bad:
        print(f"check-cycles: {bad} violation(s)", file=sys.stderr)
        return 1
    print(f"check-cycles: {len(edges)} files, largest cycle "
          f"{max((len(c) for c in cycles), default=1)} file(s), "
          f"{len(cycles)} documented cycle(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
