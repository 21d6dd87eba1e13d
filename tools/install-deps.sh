#!/bin/sh
# Install the Debian packages that clusterd needs, and only the missing ones.
#
#   sh tools/install-deps.sh run    build and run: compiler, libraries, a Docker engine
#   sh tools/install-deps.sh test   the above plus unit/integration test tools
#   sh tools/install-deps.sh fuzz   the run packages plus clang and libFuzzer (make fuzz)
#   sh tools/install-deps.sh bench  the test packages plus wrk and nginx-light (make bench; swarm mode is
#                                   part of docker.io's dockerd, nothing more to install)
#   sh tools/install-deps.sh dev    the fuzz packages plus clang-format (.ci/run's clang,
#                                   fuzz-build and format-check step)
#   sh tools/install-deps.sh pkg    the run packages plus dpkg-dev and lintian (make deb)
#
# Design: ask dpkg-query first, so that a second run is fast and needs no network;
# `apt-get update` runs only when something is missing. Works as root, or through
# sudo when not root, on Debian 12 down to a bare debootstrap (minbase) chroot.
set -eu

RUN_PKGS="build-essential gcc make pkg-config libevent-dev libssl-dev
	libjansson-dev liblmdb-dev libcurl4-openssl-dev libzookeeper-mt-dev
	zlib1g-dev libldns-dev libarchive-dev docker.io"
PKG_PKGS="$RUN_PKGS dpkg-dev lintian"
# chromium, chromium-driver and python3-selenium: the web UI's tests (t7) in a
# real headless browser; the pkg packages: make deb and lintian in those tests;
# dnsutils (dig) and python3-dnspython: the DNS server's tests (t2_dns);
# docker-registry: a local registry for forcePullImage (t4_docker_options);
# prometheus: its promtool checks a live scrape of /metrics/prometheus
# (t7_metrics). Debian has promtool in no smaller package; on a host run by
# systemd the package also enables its server on port 9090 (the tests never
# use it: `systemctl disable --now prometheus` if it is not wanted).
# strace: counts the store's fdatasyncs of a launch (t8_store_sync, bench).
# bench: dnsperf and dnsmasq-base (the binary without its service, which
# would take port 53) for the DNS comparison; nginx-light (started by the
# bench with a private configuration) for the list endpoints' comparison.
TEST_PKGS="$RUN_PKGS libcmocka-dev busybox-static zookeeperd python3-pytest
	python3-requests python3-marathon procps iproute2 curl openssl util-linux
	chromium chromium-driver python3-selenium dpkg-dev lintian
	dnsutils python3-dnspython docker-registry prometheus strace"
FUZZ_PKGS="$RUN_PKGS clang libclang-rt-14-dev"
BENCH_PKGS="$TEST_PKGS wrk binutils dnsperf dnsmasq-base nginx-light"
DEV_PKGS="$FUZZ_PKGS clang-format"

usage() {
	echo "usage: sh tools/install-deps.sh run|test|fuzz|bench|dev|pkg" >&2
	exit 2
}

[ $# -eq 1 ] || usage
case "$1" in
run) pkgs=$RUN_PKGS ;;
test) pkgs=$TEST_PKGS ;;
fuzz) pkgs=$FUZZ_PKGS ;;
bench) pkgs=$BENCH_PKGS ;;
dev) pkgs=$DEV_PKGS ;;
pkg) pkgs=$PKG_PKGS ;;
*) usage ;;
esac

missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	if [ "$st" != installed ]; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	echo "install-deps: all '$1' packages are installed"
	exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
	as_root=""
elif command -v sudo >/dev/null 2>&1; then
	as_root="sudo"
else
	echo "install-deps: missing:$missing; run as root or install sudo" >&2
	exit 1
fi

echo "install-deps: installing:$missing"
# $as_root and $missing are word lists on purpose.
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends $missing
