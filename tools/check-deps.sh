#!/bin/sh
# Enforce the dependency direction of STYLE B6/C1 on #include lines.
#
#   cmd/                              -> master agent scheduler ui containerizer lib
#   agent/                            -> containerizer lib
#   master/ scheduler/ containerizer/ ui/ -> lib
#   lib/                              -> lib, only to modules of a layer <= its own
#                                        (tools/layers.txt; unknown lib modules are errors)
#   a directory may always include its own modules; <pthread.h> only in lib/mailbox.c.
#
# Sub-folders: a role folder may be split into sub-folders by subject
# (scheduler/app/, scheduler/core/, ...). tools/layers.txt declares each one with a
# "dir" line naming the sibling sub-folders it may include; a folder with "dir"
# lines is closed: its files may include only what those lines allow. From outside
# the role, only the role's top-level headers (scheduler/sched.h) may be included.
#
# Design: one awk pass over every .c/.h of the module directories; include paths are
# relative to the repository root ("lib/buf.h"), or to the file's own directory when
# they carry no '/' ("buf.h" inside lib/). Each violation is printed as file:line and
# the script exits 1, so `make check-deps` fails the build.
set -eu

cd "$(dirname "$0")/.."

layers=tools/layers.txt
dirs="lib master agent scheduler containerizer ui cmd"

files=$(for d in $dirs; do
	if [ -d "$d" ]; then
		find "$d" -maxdepth 2 -type f \( -name '*.c' -o -name '*.h' \)
	fi
done | LC_ALL=C sort)

if [ -z "$files" ]; then
	echo "check-deps: no sources"
	exit 0
fi

# $files is a word list on purpose (paths have no spaces).
# shellcheck disable=SC2086
awk -v layers="$layers" '
function report(line, msg) {
	printf "%s:%d: %s\n", FILENAME, line, msg
	nbad++
}
# The unit a path belongs to: "scheduler/core" for a file in a declared
# sub-folder, else its first path component ("scheduler", "lib").
function unitof(path,    n, parts) {
	n = split(path, parts, "/")
	if (n >= 3 && ((parts[1] "/" parts[2]) in subdir))
		return parts[1] "/" parts[2]
	return parts[1]
}
function modname(path,    m) {
	m = path
	sub(/.*\//, "", m)
	sub(/\.[ch]$/, "", m)
	return m
}
BEGIN {
	allow["cmd"] = "cmd master agent scheduler ui containerizer lib"
	allow["agent"] = "agent containerizer lib"
	allow["master"] = "master lib"
	allow["scheduler"] = "scheduler lib"
	allow["containerizer"] = "containerizer lib"
	allow["ui"] = "ui lib"
	allow["lib"] = "lib"
	nbad = 0
	nfiles = 0
}
FILENAME == layers {
	if ($0 ~ /^[ \t]*(#|$)/)
		next
	if ($1 == "dir") {
		if (NF < 2 || $2 !~ /\//) {
			report(FNR, "expected \"dir role/sub [role/sub ...]\"")
			next
		}
		subdir[$2] = ""
		for (i = 3; i <= NF; i++)
			subdir[$2] = subdir[$2] " " $i
		split($2, rp, "/")
		closed[rp[1]] = 1
		next
	}
	if (NF != 2 || $2 !~ /^[0-9]+$/) {
		report(FNR, "expected \"module layer\"")
		next
	}
	if ($1 in layer)
		report(FNR, "module " $1 " listed twice")
	layer[$1] = $2 + 0
	next
}
FNR == 1 {
	nfiles++
	dir = FILENAME
	sub(/\/.*/, "", dir)
	unit = unitof(FILENAME)
	mod = modname(FILENAME)
	if (dir == "lib" && !(mod in layer))
		report(1, "lib module " mod " is not in " layers)
	nslash = gsub(/\//, "/", FILENAME)
	if (nslash >= 2 && unit == dir)
		report(1, "sub-folder of " dir "/ not declared with a \"dir\" line in " layers)
}
/^[ \t]*#[ \t]*include[ \t]*</ {
	if ($0 ~ /<pthread\.h>/ && FILENAME != "lib/mailbox.c")
		report(FNR, "<pthread.h> is allowed only in lib/mailbox.c (STYLE B8)")
	next
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
	inc = $0
	sub(/^[^"]*"/, "", inc)
	sub(/".*$/, "", inc)
	if (inc ~ /\//) {
		tdir = inc
		sub(/\/.*/, "", tdir)
		tunit = unitof(inc)
	} else {
		tdir = dir
		tunit = unit
	}
	tmod = modname(inc)
	if (!(tdir in allow)) {
		report(FNR, "includes \"" inc "\", which is outside the module directories")
		next
	}
	if (index(" " allow[dir] " ", " " tdir " ") == 0) {
		report(FNR, dir "/ must not include " tdir "/ (\"" inc "\")")
		next
	}
	if (tdir == dir && dir in closed && unit != tunit) {
		# Inside a role split into sub-folders: the "dir" lines decide.
		allowed = (unit in subdir) ? subdir[unit] : ""
		if (unit == dir) {
			# the top level of the role (its wiring) may include every sub-folder
			next
		}
		if (index(allowed " ", " " tunit " ") == 0)
			report(FNR, unit "/ must not include " tunit "/ (\"" inc "\")")
		next
	}
	if (tdir != dir && tunit != tdir)
		report(FNR, "only the top-level headers of " tdir "/ may be " \
		    "included from outside it (\"" inc "\")")
	if (tdir != "lib")
		next
	if (!(tmod in layer)) {
		report(FNR, "includes lib module " tmod ", which is not in " layers)
		next
	}
	if (dir == "lib" && (mod in layer) && layer[tmod] > layer[mod])
		report(FNR, "lib/" mod " (L" layer[mod] ") includes lib/" tmod \
		    " (L" layer[tmod] "): a module may include only layers <= its own")
}
END {
	if (nbad > 0) {
		printf "check-deps: %d violation(s)\n", nbad > "/dev/stderr"
		exit 1
	}
	printf "check-deps: %d files OK\n", nfiles
}
' "$layers" $files
