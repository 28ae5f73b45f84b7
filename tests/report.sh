#!/bin/sh
# tests/report.sh -- `cfbench report` checked in a real browser: a quick
# traced run is reported, loaded in headless Chromium (tests/browser_check.py)
# and must show no console error, no broken image, no script, a page that
# is not blank, and print on more than one A4 page. Then a results folder
# whose CSV, meta.txt and folder names hold markup must show it as text.
# Ends with "report: N passed, N failed" (counted by tests/run).
# $CFBENCH is the cfbench to test (default build/cfbench).
set -u
here=$(cd "$(dirname "$0")" && pwd)
exe=${CFBENCH:-build/cfbench}
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
bad() { echo "FAIL - $1"; failed=$((failed + 1)); }
finish() { echo "report: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

tmp=$(mktemp -d /tmp/cfbench-test-report-XXXXXX) || exit 1
trap 'rm -rf "$tmp"' EXIT
if ! command -v chromium >/dev/null 2>&1 && [ -z "${CHROMIUM:-}" ]; then
    bad "chromium not found (make test installs it: .ci/deps test)"
    finish
fi

# check NAME JSON PYTHON_EXPR: EXPR over the page's facts `p` must hold.
check() {
    if printf '%s' "$2" | python3 -c "import json, sys; p = json.load(sys.stdin); sys.exit(0 if ($3) else 1)"; then
        ok "$1"
    else
        bad "$1: $3 is false for $2"
    fi
}

# A real run: hash and prime, traced, so that every section has content.
if ! "$exe" run --workload hash,prime --size quick --repeat 3 --warmup 0 --trace --quiet \
        --out "$tmp/r" >"$tmp/run.log" 2>&1; then
    cat "$tmp/run.log"; bad "cfbench run"; finish
fi
if "$exe" report "$tmp/r" --compare "$tmp/r" >"$tmp/report.log" 2>&1 && [ -s "$tmp/r/report.html" ]; then
    ok "cfbench report writes report.html"
else
    cat "$tmp/report.log"; bad "cfbench report"; finish
fi
facts=$(python3 "$here/browser_check.py" "$tmp/r/report.html" --screenshot "$tmp/shot.png") ||
    { bad "Chromium loads the report"; finish; }
echo "page: $facts"
check "no console error, exception or failed load" "$facts" 'p["errors"] == []'
check "every chart loads (3 or more images, none broken)" "$facts" 'p["images"] >= 3 and p["broken"] == []'
check "no script element" "$facts" 'p["scripts"] == 0'
check "tables and text are there" "$facts" 'p["tables"] >= 3 and p["text"] > 2000'
check "a budget chart per workload, a bar per mode" "$facts" 'p["budget_charts"] >= 2 and p["budget_bars"] >= 6'
check "the screenshot is not blank" "$facts" 'p["ink"] > 0.05 and p["colours"] >= 16'
check "it prints on A4, over several pages" "$facts" 'p["pdf_pages"] >= 2'

# Markup in every place a file can put it: CSV cells (the workload name in
# bench.csv and summary.csv, a note), meta.txt's command line (--urls), and
# a subfolder's name. It must read as text, and nothing may run or load.
evil="$tmp/evil"
cp -r "$tmp/r" "$evil" && rm -rf "$evil/plots" "$evil/report.html"
mark='<script>alert(1)</script>'
sed -i "s|,prime,|,prime$mark,|" "$evil/bench.csv" "$evil/summary.csv"
sed -i "s|^command: .*|command: cfbench run --urls http://127.0.0.1/$mark.pdf,http://x/<img src=x onerror=alert(2)>|" "$evil/meta.txt"
mkdir "$evil/<img src=x onerror=alert(3)>" && cp "$tmp/r/summary.csv" "$evil/<img src=x onerror=alert(3)>/"
if "$exe" report "$evil" --compare "$evil" >"$tmp/evil.log" 2>&1; then
    ok "cfbench report on a folder holding markup"
else
    cat "$tmp/evil.log"; bad "cfbench report on a folder holding markup"; finish
fi
if grep -qi '<script' "$evil/report.html" || grep -q '<img src=x' "$evil/report.html"; then
    bad "the markup is escaped in the file"
else
    ok "the markup is escaped in the file"
fi
facts=$(python3 "$here/browser_check.py" "$evil/report.html") || { bad "Chromium loads it"; finish; }
echo "page: $facts"
check "shown as text, no script element, no stray image" "$facts" \
    'p["has_marker"] and p["scripts"] == 0 and p["broken"] == [] and p["errors"] == []'
finish
