#!/bin/sh
# manpage.sh -- writes cfbench(1) in roff on stdout from the program's own
# --help texts, so the manual page and --help cannot drift apart.
# usage: bench/manpage.sh CFBENCH
set -eu
exe=$1
# Roff: a backslash is "\e", a leading '.' or "'" would be a request, and
# "\-" is a plain hyphen.
esc() { sed -e 's/\\/\\e/g' -e 's/^\([.'\'']\)/\\\&\1/' -e 's/-/\\-/g'; }
version=$("$exe" --version | sed -n '1s/^cfbench //p')
cmds=$("$exe" --help | sed -n 's/^  \([a-z][a-z-]*\)  .*/\1/p')
echo ".TH CFBENCH 1 \"\" \"cfbench $version\" \"cfutures\""
echo ".SH NAME"
echo "cfbench \\- run, serve and measure the cfutures benchmarks"
echo ".SH SYNOPSIS"
echo ".nf"
"$exe" --help | sed -n '1s/^usage: //p' | esc
echo ".fi"
echo ".SH DESCRIPTION"
echo ".nf"
"$exe" --help | sed 1d | esc
echo ".fi"
echo ".SH COMMANDS"
for c in $cmds; do
    echo ".SS $c"
    echo ".nf"
    "$exe" "$c" --help | esc
    echo ".fi"
done
echo ".SH SEE ALSO"
echo "The cfutures library: cfutures.h, pkg-config cfutures."
