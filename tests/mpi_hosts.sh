#!/bin/sh
# mpi_hosts.sh -- the MPI pool across hosts: three network namespaces on one
# bridge stand for three machines, so Open MPI talks TCP between them (btl
# tcp,self: no shared memory) and each rank sees its own address and host
# name. mpiexec runs in the first ("the client's host", rank 0); an rsh
# agent enters the others' namespaces in place of ssh. Checks: hash and
# prime give seq's digests; download reaches the embedded server from the
# other hosts; a worker killed with SIGKILL mid-map, mpiexec killed, and
# a host's link cut (the pool's heartbeat, CF_MPI_SILENCE) end in bounded
# time with the rows measured so far kept and no process left on any host
# (on a cut host's, none the pool could reach). Every namespace, link and process it made goes on
# exit, Ctrl-C included, and it checks that none is left.
#
# Needs root, `ip netns`, veth, bridge and unshare; elsewhere it skips with
# one line. Uses 198.18.0.0/24 (the benchmark range) inside its own
# namespaces only: nothing reaches the machine's own network.
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
now_ms() { date +%s%3N; }

[ -n "${SANITIZE:-}" ] && skip "in the $SANITIZE build (the plain build runs it; MPI across hosts is the same code)"
[ "$(id -u)" = 0 ] || skip "needs root to make network namespaces"
for t in ip unshare mpiexec; do
    command -v "$t" >/dev/null 2>&1 || skip "$t not found"
done
[ -x "$exe" ] || skip "$exe not built"
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")
# The jobs talk to each other only; no proxy may take their traffic.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY

p=cfh$$                # namespace prefix: $p-sw (the bridge), $p-h0..h2
hosts="0 1 2"
addr() { echo "198.18.0.$(($1 + 1))"; }
tmp=$(mktemp -d /tmp/cfbench-test-hosts-XXXXXX) || exit 1
t_start=$(now_ms)

# Kills whatever runs in our namespaces and deletes them (their veths and
# the bridge go with them), then the temporary folder. Safe to run twice.
cleanup() {
    for ns in $p-h0 $p-h1 $p-h2 $p-sw; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -9 $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "mpi_hosts: interrupted (cleaned up)"; exit 130' INT
trap 'echo "mpi_hosts: terminated (cleaned up)"; exit 143' TERM
trap 'exit 129' HUP

# The network: a bridge in $p-sw, one veth from it to each host's eth0.
if ! ip netns add "$p-sw" 2>"$tmp/err"; then
    skip "cannot create a network namespace ($(head -n 1 "$tmp/err"))"
fi
ip -n "$p-sw" link add br0 type bridge 2>"$tmp/err" || skip "no bridge ($(head -n 1 "$tmp/err"))"
ip -n "$p-sw" link set br0 up
for n in $hosts; do
    ip netns add "$p-h$n" &&
        ip link add eth0 netns "$p-h$n" type veth peer name p$n netns "$p-sw" 2>"$tmp/err" ||
        skip "no veth ($(head -n 1 "$tmp/err"))"
    ip -n "$p-sw" link set p$n master br0 up &&
        ip -n "$p-h$n" addr add "$(addr $n)/24" dev eth0 &&
        ip -n "$p-h$n" link set eth0 up &&
        ip -n "$p-h$n" link set lo up || { bad "set up host $n"; exit 1; }
    echo "$(addr $n) slots=1" >>"$tmp/hostfile"
done
ip netns exec "$p-h0" unshare --uts true 2>"$tmp/err" ||
    skip "cannot enter a namespace with a host name of its own ($(head -n 1 "$tmp/err"))"

# The rsh agent: `agent [OPTIONS] HOST COMMAND...` runs COMMAND in HOST's
# namespace, as ssh would on HOST, with a host name of its own (a UTS
# namespace) so that Open MPI and the pool see separate machines. Each call
# is logged: the log shows which hosts got a daemon.
cat >"$tmp/agent" <<EOF
#!/bin/sh
while [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1; shift
case "\$host" in
$(for n in $hosts; do printf '%s) ns=%s ;;\n' "$(addr $n)" "$p-h$n"; done)
*) echo "agent: unknown host \$host" >&2; exit 255 ;;
esac
echo "\$host" >>"$tmp/agent.log"
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$ns && \$*"
EOF
chmod +x "$tmp/agent"

# Open MPI's session folders go under $tmp, removed with it.
export TMPDIR="$tmp"
net=198.18.0.0/24
# `job LOG ARGS...`: cfbench ARGS under mpiexec on the three hosts, started
# from host 0, in the background: $job is mpiexec's pid (each program along
# the way execs the next). $mca adds mpiexec options.
mca=""
job() {
    log=$1; shift
    ip netns exec "$p-h0" unshare --uts sh -c 'hostname "$0" && exec "$@"' "$p-h0" \
        $mpiexec_cmd $mca --hostfile "$tmp/hostfile" -n 3 --map-by node \
        --mca plm_rsh_agent "$tmp/agent" --mca plm_rsh_no_tree_spawn 1 \
        --mca btl tcp,self --mca btl_tcp_if_include $net --mca oob_tcp_if_include $net \
        "$exe" "$@" >"$log" 2>&1 &
    job=$!
}
# `wait_job SECS`: waits for $job at most SECS, then kills it. Sets $rc,
# $took_ms and $late (1: it had to be killed).
wait_job() {
    t0=$(now_ms)
    deadline=$((t0 + $1 * 1000))
    while kill -0 "$job" 2>/dev/null && [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.1; done
    late=0
    kill -0 "$job" 2>/dev/null && late=1 && kill -9 "$job"
    wait "$job"
    rc=$?
    took_ms=$(($(now_ms) - t0))
}
# `wait_rows CSV N SECS`: 0 once CSV holds N data rows, 1 after SECS.
wait_rows() {
    deadline=$(($(now_ms) + $3 * 1000))
    while [ "$(now_ms)" -lt "$deadline" ]; do
        [ -f "$1" ] && [ "$(($(wc -l <"$1") - 1))" -ge "$2" ] && return 0
        sleep 0.1
    done
    return 1
}
# What is still running in the hosts' namespaces, as "hN:PID:NAME ...".
leftovers() {
    for n in $hosts; do
        for pid in $(ip netns pids "$p-h$n" 2>/dev/null); do
            printf 'h%s:%s:%s ' "$n" "$pid" "$(cat /proc/"$pid"/comm 2>/dev/null)"
        done
    done
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
job "$tmp/compute.log" run --workload hash,prime --mode seq,mpi --size quick --repeat 1 --warmup 0 --out "$out"
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
job "$tmp/download.log" run --workload download --mode seq,mpi --size quick --repeat 1 --warmup 0 --out "$out"
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

# The two fault checks run hash at its default size: 8 tasks of ~0.3 s,
# a rep over a second, so that a kill lands inside the second rep's map.
long_run="run --workload hash --mode mpi --no-reference --size default --repeat 5 --warmup 0"

# 3. A worker on host 2 killed with SIGKILL mid-map.
out=$tmp/kill-worker
job "$tmp/kill-worker.log" $long_run --out "$out"
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
job "$tmp/kill-mpiexec.log" $long_run --out "$out"
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
job "$tmp/link-cut.log" $long_run --out "$out"
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
