#!/bin/sh
# Build clusterd_<version>_<arch>.deb in the repository root with dpkg-deb
# (SPEC section 8), then check it with lintian.
#
#   sh tools/mkdeb.sh VERSION        (make deb)
#
# What goes in: /usr/sbin/clusterd (a build of its own in build-deb/, linked
# with Debian's hardening flags and stripped), the three units with ExecStart=
# pointing there, /etc/default/clusterd (a conffile), the man page clusterd(8)
# generated from the flag table, and the Debian copyright and changelog.
# Depends is computed by dpkg-shlibdeps from the libraries the binary links,
# so it follows the build rather than a hand-kept list. pkg/deb/ holds the
# control template and the maintainer scripts.
#
# Knobs: DEB_MAINTAINER, DEB_HOMEPAGE; SOURCE_DATE_EPOCH (default: the last
# commit's time) dates the changelog and the man page, so two builds of one
# commit give the same package contents.
set -eu

cd "$(dirname "$0")/.."
[ $# -eq 1 ] || {
	echo "usage: sh tools/mkdeb.sh VERSION" >&2
	exit 2
}
version=$1
arch=$(dpkg --print-architecture)
build=build-deb
name=clusterd_${version}_${arch}
root=$build/$name
maintainer=${DEB_MAINTAINER:-clusterd maintainers <clusterd-maintainers@example.org>}
homepage=${DEB_HOMEPAGE:-https://example.org/clusterd}
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
	SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

# 1. A build of its own, with Debian's hardening flags (bindnow, relro).
ldflags=$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --get LDFLAGS)
# Never a sanitizer build, even when called from one (make SANITIZE=... test).
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make --no-print-directory SANITIZE= \
	BUILD=$build LDFLAGS="$ldflags" "$build/clusterd" "$build/clusterd.8"

# 2. The tree.
rm -rf "$root"
install -d -m 0755 "$root/DEBIAN" "$root/usr/sbin" "$root/lib/systemd/system" \
	"$root/etc/default" "$root/usr/share/man/man8" "$root/usr/share/doc/clusterd"
install -m 0755 "$build/clusterd" "$root/usr/sbin/clusterd"
strip --remove-section=.comment --remove-section=.note --strip-unneeded \
	"$root/usr/sbin/clusterd"
for u in systemd/*.service; do
	sed 's|/usr/local/sbin/clusterd|/usr/sbin/clusterd|' "$u" \
		>"$root/lib/systemd/system/$(basename "$u")"
	chmod 0644 "$root/lib/systemd/system/$(basename "$u")"
done
install -m 0644 systemd/clusterd.default "$root/etc/default/clusterd"
gzip -9 -n -c "$build/clusterd.8" >"$root/usr/share/man/man8/clusterd.8.gz"
chmod 0644 "$root/usr/share/man/man8/clusterd.8.gz"
install -m 0644 pkg/deb/copyright "$root/usr/share/doc/clusterd/copyright"
rev=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
	printf 'clusterd (%s) unstable; urgency=medium\n\n' "$version"
	printf '  * Package built with dpkg-deb from commit %s.\n\n' "$rev"
	printf ' -- %s  %s\n' "$maintainer" \
		"$(LC_ALL=C date -u -R -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9 -n >"$root/usr/share/doc/clusterd/changelog.gz"
chmod 0644 "$root/usr/share/doc/clusterd/changelog.gz"

# 3. Control files. dpkg-shlibdeps wants a debian/control to read.
shl=$build/shlibs
rm -rf "$shl"
mkdir -p "$shl/debian"
printf 'Source: clusterd\n\nPackage: clusterd\nArchitecture: any\n' >"$shl/debian/control"
depends=$(cd "$shl" && dpkg-shlibdeps -O -e"../../$root/usr/sbin/clusterd" 2>/dev/null |
	sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || {
	echo "mkdeb: dpkg-shlibdeps found no dependencies" >&2
	exit 1
}
size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
	-e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" -e "s|@HOMEPAGE@|$homepage|" \
	pkg/deb/control.in >"$root/DEBIAN/control"
echo /etc/default/clusterd >"$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do
	install -m 0755 "pkg/deb/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' |
	LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# 4. The package, then lintian: errors fail the build.
dpkg-deb --root-owner-group -Zxz --build "$root" "$name.deb" >/dev/null
echo "mkdeb: $name.deb"
dpkg-deb --info "$name.deb" | sed -n 's/^ *\(Depends\|Installed-Size\):/  &/p'
if command -v lintian >/dev/null 2>&1; then
	lintian --fail-on error "$name.deb"
	echo "mkdeb: lintian: no errors"
else
	echo "mkdeb: lintian is not installed (make pkg-deps): not checked" >&2
fi
