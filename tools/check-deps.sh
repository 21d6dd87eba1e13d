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
		find "$d" -type f \( -name '*.c' -o -name '*.h' \)
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
	mod = modname(FILENAME)
	if (dir == "lib" && !(mod in layer))
		report(1, "lib module " mod " is not in " layers)
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
	} else {
		tdir = dir
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
