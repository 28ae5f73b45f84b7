#!/bin/sh
# install.sh -- `make install` into a temporary DESTDIR, then a program
# built from examples/submit_map.c with pkg-config alone, run, and
# `make uninstall`. Prints one Check-style line for tests/run to count.
# Sanitizer builds ($SANITIZE) link the example with $SAN_FLAGS too.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cfinstall-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install.sh: $*"; echo "0%: Checks: 1, Failures: 1, Errors: 0"; exit 1; }
m="make -s --no-print-directory SANITIZE=${SANITIZE:-} PREFIX=/usr DESTDIR=$tmp"
$m install >"$tmp.log" 2>&1 || { cat "$tmp.log"; rm -f "$tmp.log"; fail "make install failed"; }
rm -f "$tmp.log"
[ -f "$tmp/usr/include/cfutures.h" ] || fail "cfutures.h not installed"
[ "$(ls "$tmp/usr/include")" = cfutures.h ] || fail "headers besides cfutures.h installed"
for f in lib/libcfutures.a lib/libcfutures.so lib/libcfutures.so.0 bin/cfbench \
         share/man/man1/cfbench.1 lib/pkgconfig/cfutures.pc; do
    [ -e "$tmp/usr/$f" ] || fail "$f not installed"
done
export PKG_CONFIG_PATH="$tmp/usr/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$tmp"
flags=$(pkg-config --cflags --libs cfutures) || fail "pkg-config does not know cfutures"
cp examples/submit_map.c "$tmp/ex.c" # it includes <cfutures.h>, as an installed program does
# shellcheck disable=SC2086 # the flags are words
${CC:-cc} -std=c11 -D_GNU_SOURCE ${SAN_FLAGS:-} "$tmp/ex.c" $flags -o "$tmp/ex" ||
    fail "examples/submit_map.c does not build with: $flags"
out=$(LD_LIBRARY_PATH="$tmp/usr/lib" "$tmp/ex") || fail "the example failed: $out"
soname=$(objdump -p "$tmp/usr/lib/libcfutures.so" 2>/dev/null | awk '/SONAME/ { print $2 }')
[ -z "$soname" ] || [ "$soname" = libcfutures.so.0 ] || fail "soname is $soname"
# The shared library exports exactly the header's functions (-fvisibility=hidden).
so="$tmp/usr/lib/libcfutures.so"
exported=$(nm -D --defined-only "$so" | awk '{ print $3 }' | sort)
declared=$(grep -o 'cf_[a-z0-9_]*(' "$tmp/usr/include/cfutures.h" | tr -d '(' | sort -u)
extra=$(printf '%s\n' "$exported" | grep -vxF "$declared")
[ -z "$extra" ] || fail "libcfutures.so exports names the header does not declare:" $extra
missing=$(printf '%s\n' "$declared" | grep -vxF "$exported")
[ -z "$missing" ] || fail "libcfutures.so lacks header functions:" $missing
$m uninstall || fail "make uninstall failed"
left=$(find "$tmp/usr" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"
echo "install.sh: install, pkg-config build, run and uninstall: ok"
echo "100%: Checks: 1, Failures: 0, Errors: 0"
