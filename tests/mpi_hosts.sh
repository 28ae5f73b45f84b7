#!/bin/sh
# mpi_hosts.sh -- the MPI pool across hosts: three network namespaces on one
# bridge stand for three machines (tests/netns_hosts.sh makes them: TCP
# between them, no shared memory, a host name each, mpiexec on the first
# and an rsh agent entering the others in place of ssh). Checks: hash and
# prime give seq's digests; download reaches the embedded server from the
# other hosts; a worker killed with SIGKILL mid-map, mpiexec killed, and
# a host's link cut (the pool's heartbeat, CF_MPI_SILENCE) end in bounded
# time with the rows measured so far kept and no process left on any host
# (on a cut host's, none the pool could reach). Every namespace, link and process it made goes on
# exit, Ctrl-C included, and it checks that none is left.
#
# Needs root, `ip netns`, veth, bridge and unshare; elsewhere it skips with
# one line.
# $CFBENCH is the cfbench to test (default build/cfbench), $MPIEXEC the
# mpiexec command line (`make test` passes the Makefile's). Ends with
# "mpi_hosts: N passed, N failed" (counted by tests/run).
set -u
exe=${CFBENCH:-build/cfbench}
mpiexec_cmd=${MPIEXEC:-mpiexec}
case "$mpiexec_cmd" in *--allow-run-as-root*) ;; *) mpiexec_cmd="$mpiexec_cmd --allow-run-as-root" ;; esac
passed=0 failed=0
ok() { echo "ok - $1"; passed=$((passed + 1)); }
bad() { echo "FAIL - $1"; failed=$((failed + 1)); }
note() { echo "   $1"; }
skip() { echo "mpi_hosts: skipped: $1: 0 passed, 0 failed"; exit 0; }

[ -n "${SANITIZE:-}" ] && skip "in the $SANITIZE build (the plain build runs it; MPI across hosts is the same code)"
[ -x "$exe" ] || skip "$exe not built"
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")

# The hosts, their agent, job, wait_job, leftovers and cleanup.
. "$(dirname "$0")/netns_hosts.sh"
hosts_up
case $? in
2) skip "$why" ;;
1) bad "set up the hosts: $why"; echo "mpi_hosts: $passed passed, $failed failed"; exit 1 ;;
esac
t_start=$(now_ms)
# `cfjob LOG ARGS...`: cfbench ARGS on the three hosts, one rank each.
cfjob() { log=$1; shift; job "$log" -n 3 --map-by node "$exe" "$@"; }
# `wait_rows CSV N SECS`: 0 once CSV holds N data rows, 1 after SECS.
wait_rows() {
    deadline=$(($(now_ms) + $3 * 1000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        [ -f "$1" ] && [ "$(($(wc -l <"$1") - 1))" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# `no_process_within SECS NAME`: the check that nothing is left on any host.
no_process_within() {
    deadline=$(($(now_ms) + $1 * 1000))
    while [ -n "$(leftovers)" ] && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
    left=$(leftovers)
    if [ -z "$left" ]; then ok "$2: no process left on any host"; else bad "$2: left running: $left"; fi
    # The next check starts clean either way.
    # shellcheck disable=SC2046 # one word per pid
    for n in $hosts; do kill -9 $(ip netns pids "$p-h$n") 2>/dev/null; done
}
# `same_digests CSV WORKLOAD`: every row of WORKLOAD ok, its seq and mpi
# rows there, all with one digest.
same_digests() {
    awk -F, -v w="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        $col["workload"] == w { if ($col["ok"] != 1) bad++; modes[$col["mode"]]++; d[$col["digest"]]++ }
        END { n = 0; for (k in d) n++; exit !(n == 1 && modes["seq"] && modes["mpi"] && !bad) }' "$1"
}

# 1. hash and prime across hosts give seq's digests.
out=$tmp/compute
cfjob "$tmp/compute.log" run --workload hash,prime --mode seq,mpi --size quick --repeat 1 --warmup 0 --out "$out"
wait_job 30
note "hash,prime across hosts: exit $rc in $took_ms ms"
if [ "$rc" -eq 0 ]; then ok "hash,prime under mpiexec across 3 hosts exit 0"; else
    sed 's/^/   | /' "$tmp/compute.log"; bad "hash,prime under mpiexec across 3 hosts exit 0 (got $rc)"; fi
if sort -u "$tmp/agent.log" 2>/dev/null | tr '\n' ' ' | grep -q "^$(addr 1) $(addr 2) $"; then
    ok "the rsh agent started a daemon on each other host"
else
    bad "the rsh agent started a daemon on each other host (log: $(cat "$tmp/agent.log" 2>/dev/null))"
fi
for w in hash prime; do
    if same_digests "$out/bench.csv" $w; then ok "$w: mpi across hosts gives seq's digest"; else
        bad "$w: mpi across hosts gives seq's digest"; cat "$out/bench.csv" 2>/dev/null; fi
done

# 2. download: the workers on hosts 1 and 2 reach the server rank 0 starts.
out=$tmp/download
cfjob "$tmp/download.log" run --workload download --mode seq,mpi --size quick --repeat 1 --warmup 0 --out "$out"
wait_job 30
note "download across hosts: exit $rc in $took_ms ms"
url=$(sed -n 's/^download_server: //p' "$out/meta.txt" 2>/dev/null)
note "$(grep 'download server on' "$tmp/download.log")"
case "$url" in
"http://$(addr 0):"*) ok "download: the server listens on host 0's address ($url)" ;;
*) bad "download: the server listens on host 0's address (meta.txt says '$url')" ;;
esac
if [ "$rc" -eq 0 ] && same_digests "$out/bench.csv" download; then
    ok "download: mpi workers on other hosts fetch seq's files"
else
    sed 's/^/   | /' "$tmp/download.log"; bad "download: mpi workers on other hosts fetch seq's files (exit $rc)"
fi

# The README's MPI section as written: its hostfile line (`host1 slots=4`)
# with our hosts' addresses, and its sh block's commands, run as they stand
# (make in the source tree; the rest from host 0, in a folder holding the
# hostfile and build/), with --allow-run-as-root where the comment asks
# for it and uid is 0. Only the transport comes from outside the text:
# $tmp/on_host0's OMPI_MCA_* variables (the agent in place of ssh).
root=$(cd "$(dirname "$0")/.." && pwd)
readme=$tmp/readme
mkdir -p "$readme" && ln -s "$root/build" "$readme/build"
line=$(sed -n 's/.*list them in a hostfile (`\([^`]*\)`, one per line).*/\1/p' "$root/README.md")
for n in $hosts; do echo "$line" | sed "s/^[^ ]*/$(addr $n)/"; done >"$readme/hosts"
awk '/^## /{ sec = ($0 == "## MPI pools") } sec && /^```sh/{ b = 1; next } b && /^```/{ exit } b' \
    "$root/README.md" >"$readme/commands"
n_cmd=0 readme_ok=1
while IFS= read -r cmd; do
    comment=""
    case "$cmd" in *"#"*) comment=${cmd#*#} cmd=${cmd%%#*} ;; esac
    cmd=$(echo "$cmd" | sed 's/ *$//')
    [ -z "$cmd" ] && continue
    case "$comment" in *"as root: --allow-run-as-root"*)
        [ "$(id -u)" = 0 ] && cmd=$(echo "$cmd" | sed 's/^mpiexec /mpiexec --allow-run-as-root /') ;;
    esac
    n_cmd=$((n_cmd + 1))
    case "$cmd" in
    make*) (cd "$root" && exec sh -c "$cmd") >"$readme/$n_cmd.log" 2>&1 & ;;
    *) (cd "$readme" && exec "$tmp/on_host0" sh -c "$cmd") >"$readme/$n_cmd.log" 2>&1 & ;;
    esac
    job=$!
    wait_job 60
    note "README: \$ $cmd: exit $rc in $took_ms ms"
    [ "$rc" -eq 0 ] || { sed 's/^/   | /' "$readme/$n_cmd.log"; readme_ok=0; }
done <"$readme/commands"
if [ "$n_cmd" -ge 2 ] && [ -n "$line" ] && [ "$readme_ok" = 1 ]; then
    ok "the README's hostfile ($line) and its $n_cmd commands run as written"
else
    bad "the README's hostfile ('$line') and its $n_cmd commands run as written"
fi
last=$readme/$n_cmd.log
if [ "$(grep -c 'by rank' "$last")" -eq 9 ] && grep -q "by rank .* on $p-h1," "$last"; then
    ok "README: mpi_demo's 9 results come back, some from another host"
    note "$(grep -m 1 "on $p-h1," "$last")"
else
    sed 's/^/   | /' "$last"; bad "README: mpi_demo's 9 results come back, some from another host"
fi
no_process_within 10 "the README's commands"

# The two fault checks run hash at its default size: 8 tasks of ~0.3 s,
# a rep over a second, so that a kill lands inside the second rep's map.
long_run="run --workload hash --mode mpi --no-reference --size default --repeat 5 --warmup 0"

# 3. A worker on host 2 killed with SIGKILL mid-map.
out=$tmp/kill-worker
cfjob "$tmp/kill-worker.log" $long_run --out "$out"
if wait_rows "$out/bench.csv" 1 30; then
    victim=""
    for pid in $(ip netns pids "$p-h2"); do
        [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = cfbench ] && victim=$pid
    done
    [ -n "$victim" ] && kill -9 "$victim"
    wait_job 30
    note "worker rank 2 (pid $victim on $(addr 2)) killed: mpiexec ended in $took_ms ms, exit $rc"
    if [ "$late" -eq 0 ]; then
        ok "a worker killed mid-map: the job ends within 30 s"
    else
        bad "a worker killed mid-map: the job ends within 30 s (killed after $took_ms ms)"
    fi
    said=$(grep -E "rank 2 .*on node $(addr 2).*signal 9" "$tmp/kill-worker.log")
    if [ -n "$said" ]; then ok "one line names the rank, its host and the signal"; note "$said"; else
        sed 's/^/   | /' "$tmp/kill-worker.log"; bad "one line names the rank, its host and the signal"; fi
    rows=$(($(wc -l <"$out/bench.csv") - 1))
    if [ "$rows" -ge 1 ]; then ok "the $rows row(s) measured before the kill are kept"; else
        bad "the rows measured before the kill are kept"; fi
    if grep -q "interrupted" "$tmp/kill-worker.log"; then note "the client wrote its summary (interrupted)"; else
        note "the client did not finish: mpiexec ended it with the job"; fi
else
    wait_job 0
    sed 's/^/   | /' "$tmp/kill-worker.log"; bad "kill a worker: the first rep never finished"
fi
no_process_within 10 "a worker killed"

# 4. mpiexec killed with SIGKILL mid-map: its daemons and ranks go too.
out=$tmp/kill-mpiexec
cfjob "$tmp/kill-mpiexec.log" $long_run --out "$out"
if wait_rows "$out/bench.csv" 1 30; then
    kill -9 "$job"
    wait_job 5
    t0=$(now_ms)
    no_process_within 15 "mpiexec killed"
    note "after mpiexec's SIGKILL the hosts were empty in $(($(now_ms) - t0)) ms"
else
    wait_job 0
    sed 's/^/   | /' "$tmp/kill-mpiexec.log"; bad "kill mpiexec: the first rep never finished"
fi

# 5. Host 2's link cut mid-map, with Open MPI's default keepalive (300 s
# idle + 9 probes 20 s apart, so mpiexec itself would notice only after
# minutes): the pool notices instead. Host 2's worker, busy with a task,
# falls silent (no heartbeat for CF_MPI_SILENCE, 10 s by default), the pool
# breaks naming it, the client keeps its rows and exits, and its exit
# aborts the job. Host 2's own processes cannot be told (nothing reaches
# it): the pool guarantees hosts 0 and 1 empty; cleanup takes host 2's.
out=$tmp/link-cut
cfjob "$tmp/link-cut.log" $long_run --out "$out"
if wait_rows "$out/bench.csv" 1 30; then
    rows_before=$(($(wc -l <"$out/bench.csv") - 1))
    ip -n "$p-h2" link set eth0 down
    t_cut=$(now_ms)
    broke_ms=""
    while [ "$(($(now_ms) - t_cut))" -lt 15000 ]; do
        grep -q "sent nothing for" "$tmp/link-cut.log" && broke_ms=$(($(now_ms) - t_cut)) && break
        sleep 0.1
    done
    said=$(grep -m 1 "sent nothing for" "$tmp/link-cut.log")
    if [ -n "$broke_ms" ] && echo "$said" | grep -q "on $p-h2"; then
        ok "a link cut mid-map: the pool breaks within 15 s ($broke_ms ms), one line names host 2"
        note "$said"
    else
        sed 's/^/   | /' "$tmp/link-cut.log"
        bad "a link cut mid-map: the pool breaks within 15 s, one line names host 2"
    fi
    # The client keeps its rows, exits and aborts the job: its processes
    # on hosts 0 and 1 go. mpiexec itself waits for host 2's daemon until
    # its keepalive gives up (minutes): the launcher's, not the pool's.
    t0=$(now_ms)
    while [ "$(($(now_ms) - t0))" -lt 10000 ] && leftovers | grep -Eq "h[01]:[0-9]+:cfbench"; do sleep 0.1; done
    left=$(leftovers | tr ' ' '\n' | grep -E "^h[01]:[0-9]+:cfbench" | tr '\n' ' ')
    if [ -z "$left" ]; then
        ok "a link cut: the ranks on hosts 0 and 1 exit within 10 s of the break ($(($(now_ms) - t0)) ms)"
    else
        sed 's/^/   | /' "$tmp/link-cut.log"; bad "a link cut: the ranks on hosts 0 and 1 exit within 10 s of the break (left: $left)"
    fi
    rows=$(($(wc -l <"$out/bench.csv") - 1))
    if [ "$rows" -ge "$rows_before" ]; then ok "the $rows row(s) measured before the cut are kept"; else
        bad "the rows measured before the cut are kept ($rows of $rows_before)"; fi
    wait_job 1
    if [ "$late" -eq 1 ]; then note "mpiexec still waited for host 2's daemon: killed"; else
        note "mpiexec ended by itself, exit $rc"; fi
    note "left on host 2, unreachable, for cleanup: $(leftovers | tr ' ' '\n' | grep '^h2' | tr '\n' ' ')"
    # shellcheck disable=SC2046 # one word per pid
    for n in $hosts; do kill -9 $(ip netns pids "$p-h$n") 2>/dev/null; done
else
    wait_job 0
    sed 's/^/   | /' "$tmp/link-cut.log"; bad "link cut: the first rep never finished"
fi

# Nothing of ours may outlive the script: delete, then look again.
cleanup
left=$(ip netns list 2>/dev/null | grep "^$p-")
if [ -z "$left" ] && ! ip -o link show 2>/dev/null | grep -q "$p"; then
    ok "no namespace, link or bridge left"
else
    bad "left behind: $left"
fi
note "took $(($(now_ms) - t_start)) ms"
echo "mpi_hosts: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
