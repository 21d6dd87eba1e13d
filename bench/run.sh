#!/bin/sh
# bench/run.sh: run every benchmark of SPEC section 9 side by side and write
# bench/results/<UTC timestamp>.json with a summary beside it (.txt).
#
#   sh bench/run.sh                      everything (about 75 minutes: scale up to 30, syncs about 12)
#   sh bench/run.sh --quick              a smoke run (1 repetition, small sizes)
#   sh bench/run.sh --sections api,alloc only some sections
#
# `make bench` installs wrk (tools/install-deps.sh bench), builds clusterd and
# bench/sim_{alloc,agents}, then runs this. It needs root, for the private
# dockerds it starts (vfs, no iptables, no bridge, their own sockets under
# /tmp) and stops again. Never part of `make test`.
set -eu

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-/usr/bin/python3}
BUILD=${BUILD:-build}

if [ "$(id -u)" -ne 0 ]; then
	echo "bench/run.sh: needs root to start a private dockerd" >&2
	exit 1
fi
if ! command -v wrk >/dev/null 2>&1; then
	echo "bench/run.sh: wrk is missing: sh tools/install-deps.sh bench" >&2
	exit 1
fi
if [ ! -x clusterd ] || [ ! -x "$BUILD/bench/sim_alloc" ] ||
	[ ! -x "$BUILD/bench/sim_agents" ]; then
	make bench-build
fi

ts=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p bench/results
out="bench/results/$ts.json"
"$PYTHON" bench/bench.py --binary ./clusterd --build "$BUILD" --out "$out" "$@"
"$PYTHON" bench/summary.py "$out" >"bench/results/$ts.txt"
cat "bench/results/$ts.txt"
echo "bench/run.sh: wrote $out and bench/results/$ts.txt"
