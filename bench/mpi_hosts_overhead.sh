#!/bin/sh
# bench/mpi_hosts_overhead.sh -- per-task cost of the MPI pool across hosts,
# ours (CF_MPI, `cfbench overhead --impl mpi`) beside mpi4py.futures
# (workloads/python/mpi_overhead.py), on the three network-namespace hosts
# of tests/netns_hosts.sh (TCP over veth and a bridge, no shared memory):
# mpiexec -n 3, one rank a host, rank 0 the client on host 0 and two
# workers on hosts 1 and 2. The two run in turn, ROUNDS times (ours, then
# mpi4py, ...), so that load arriving mid-way falls on both.
#
# First the round trip between two hosts: a TCP ping-pong
# (tcp_pingpong.py, both ends blocked in recv: the network path and two
# wake-ups; the model's RTT), an MPI ping-pong (mpi_pingpong.py: Open MPI
# polls, so on a loaded machine it measures the scheduler too) and ping
# where installed. The cost model says a pool that keeps k tasks in flight
# pays about one round trip per k tasks:
#     per-task cost ≈ RTT / (workers × window × chunksize)
# window the messages (futures, a chunk each) a pool keeps out per worker:
# mpi4py.futures sends one to an idle worker (window 1); ours keeps up to
# MAX_WINDOW (lib/mpi/mpi_internal.h) out, sized to about 1 ms of work:
# for no-op tasks the most at chunksize 1, fewer chunks at 64 (the model
# takes the most: its prediction is then a floor). The script computes
# predicted beside measured (the median over ROUNDS of each round's
# best-of-repeat) at chunksize 1 and 64, the residual (measured -
# predicted: what a task costs beyond the wire, the pool's CPU and
# polling) and the break-even RTT (measured x in flight: the round trip
# past which the wire would decide).
#
# The kernel here may have no netem (sch_netem: "Specified qdisc kind is
# unknown"), so no delay is added: this is the namespace TCP path alone; a
# LAN adds its wire and switches. Needs root and netns (else it says why and exits 0
# having written nothing); /usr/bin/python3 (or $PYTHON) with mpi4py.
#
# Writes into OUT: overhead.csv (every row of every round), rtt.txt
# ("KEY: value" lines), model.csv (one row per impl and chunksize) and
# summary.txt (the same as the text this prints).
#
# usage: bench/mpi_hosts_overhead.sh OUT [ROUNDS]   (ROUNDS default 3)
# bench/tutorial.sh's step mpi_hosts runs it into results/reference/mpi-hosts.
set -u
[ $# -ge 1 ] || { echo "usage: bench/mpi_hosts_overhead.sh OUT [ROUNDS]" >&2; exit 2; }
case $1 in /*) out=$1 ;; *) out=$(pwd)/$1 ;; esac
rounds=${2:-3}
cd "$(dirname "$0")/.." || exit 1
exe=$(pwd)/build/cfbench
py=${PYTHON:-/usr/bin/python3}
say() { echo "mpi_hosts_overhead: $*"; }
skip() { say "skipped: $1"; exit 0; }
[ -x "$exe" ] || { say "build/cfbench not built (make)"; exit 1; }
"$py" -c "import mpi4py.futures" 2>/dev/null || skip "$py has no mpi4py.futures (python3-mpi4py)"
mpiexec_cmd="mpiexec --allow-run-as-root"
window=$(sed -n 's/^#define MAX_WINDOW \([0-9]*\).*/\1/p' lib/mpi/mpi_internal.h)
[ -n "$window" ] || { say "no MAX_WINDOW in lib/mpi/mpi_internal.h"; exit 1; }
tasks_c=20000 tasks_py=2000 repeat=3 workers=2

. tests/netns_hosts.sh
hosts_up
case $? in 2) skip "$why" ;; 1) say "cannot set up the hosts: $why"; exit 1 ;; esac
mkdir -p "$out" || exit 1
rm -f "$out/overhead.csv" "$out/rtt.txt" "$out/model.csv" "$out/summary.txt"

# `run_job LOG SECS ARGS...`: job ARGS, waited for; fails loudly.
run_job() {
    log=$1 secs=$2; shift 2
    job "$log" "$@"
    wait_job "$secs"
    [ "$rc" -eq 0 ] && return 0
    say "failed (exit $rc): $*"; sed 's/^/  | /' "$log" >&2
    return 1
}

# The round trip, host 0 to host 1: ping, then MPI.
# The machine's load (other work shares these cores) before and after.
echo "loadavg_before: $(cut -d' ' -f1 /proc/loadavg)" >"$out/rtt.txt"
if command -v ping >/dev/null 2>&1; then
    ip netns exec "$p-h0" ping -q -c 200 -i 0.005 "$(addr 1)" >"$tmp/ping" 2>&1 ||
        { say "ping failed"; cat "$tmp/ping"; exit 1; }
    sed -n 's|^rtt min/avg/max/mdev = \([^/]*\)/\([^/]*\)/.*|ping_rtt_min_us: \1\nping_rtt_avg_us: \2|p' "$tmp/ping" |
        awk -F': ' '{ printf "%s: %.1f\n", $1, $2 * 1000 }' >>"$out/rtt.txt"
fi
pp=$(pwd)/workloads/python
ip netns exec "$p-h1" "$py" "$pp/tcp_pingpong.py" serve "$(addr 1)" 5999 >"$tmp/tcp-serve" 2>&1 &
server=$!
ip netns exec "$p-h0" "$py" "$pp/tcp_pingpong.py" ping "$(addr 1)" 5999 >"$tmp/tcp" 2>&1 ||
    { say "TCP ping-pong failed"; cat "$tmp/tcp" "$tmp/tcp-serve"; exit 1; }
wait "$server"
cat "$tmp/tcp" >>"$out/rtt.txt"
run_job "$tmp/pingpong" 60 -n 2 --map-by node "$py" "$pp/mpi_pingpong.py" || exit 1
grep -E '^(rtt_[a-z]+_us|rounds|bytes): ' "$tmp/pingpong" | sed 's/^/mpi_/' >>"$out/rtt.txt"  # not mpiexec's warnings
rtt=$(sed -n 's/^tcp_rtt_median_us: //p' "$out/rtt.txt")
[ -n "$rtt" ] || { say "no round trip measured"; cat "$tmp/tcp"; exit 1; }

# Ours and mpi4py in turn.
echo "round,impl,executor,method,chunksize,tasks,us_per_task" >"$out/overhead.csv"
r=1
while [ "$r" -le "$rounds" ]; do
    run_job "$tmp/c$r" 120 -n 3 --map-by node "$exe" overhead --impl mpi \
        --tasks $tasks_c --workers $workers --repeat $repeat || exit 1
    run_job "$tmp/py$r" 300 -n 3 --map-by node "$py" -m mpi4py.futures \
        "$pp/mpi_overhead.py" --tasks $tasks_py --workers $workers --repeat $repeat || exit 1
    for f in c py; do
        awk -F, -v r="$r" -v impl="$([ $f = c ] && echo cfutures || echo mpi4py)" \
            '$1 == "mpi" || $1 == "py-mpi" { print r "," impl "," $1 "," $2 "," $3 "," $4 "," $5 }' \
            "$tmp/$f$r" >>"$out/overhead.csv"
    done
    say "round $r of $rounds done"
    r=$((r + 1))
done

echo "loadavg_after: $(cut -d' ' -f1 /proc/loadavg)" >>"$out/rtt.txt"

# The model beside the medians, and the summary.
awk -F, -v rtt="$rtt" -v workers=$workers -v window="$window" -v rounds="$rounds" '
    NR == 1 { next }
    $4 == "map" || $4 == "submit" { key = $2 "," $4 "," $5; v[key, ++n[key]] = $7; keys[key] = 1 }
    function median(key,   i, j, t, m, a) {
        m = n[key]; for (i = 1; i <= m; i++) a[i] = v[key, i]
        for (i = 2; i <= m; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
    }
    END {
        print "impl,method,chunksize,workers,window,in_flight,rtt_us,predicted_us,measured_us,residual_us,measured_over_predicted,rtt_break_even_us,rounds" > out
        for (key in keys) {
            split(key, k, ",")
            if (k[2] != "map") continue
            w = k[1] == "cfutures" ? window : 1
            fl = workers * w * k[3]
            pred = rtt / fl; meas = median(key)
            printf "%s,%s,%d,%d,%d,%d,%.2f,%.4f,%.4f,%.4f,%.1f,%.0f,%d\n", k[1], k[2], k[3], workers, w, fl, rtt, pred, meas, meas - pred, meas / pred, meas * fl, n[key] > out
        }
    }' out="$tmp/model" "$out/overhead.csv"
{ head -n 1 "$tmp/model"; tail -n +2 "$tmp/model" | sort -t, -k1,1 -k3,3n; } >"$out/model.csv"

{
    echo "MPI pool across 3 namespace hosts (mpiexec -n 3: client on host 0, one worker on each of hosts 1, 2)"
    echo "no added delay (no sch_netem): the namespace TCP path alone"
    v() { sed -n "s/^$1: //p" "$out/rtt.txt"; }
    echo "load average (1 min) on this machine's $(nproc) cores: $(v loadavg_before) before, $(v loadavg_after) after"
    echo "round trip host 0 -> host 1, $(v tcp_bytes) bytes, median (min) of $(v tcp_rounds):"
    echo "  TCP ping-pong (both ends blocked in recv)  $(v tcp_rtt_median_us) us ($(v tcp_rtt_min_us))"
    echo "  MPI ping-pong (mpi4py, Open MPI polling)   $(v mpi_rtt_median_us) us ($(v mpi_rtt_min_us))"
    [ -n "$(v ping_rtt_avg_us)" ] && echo "  ping (ICMP, avg)                           $(v ping_rtt_avg_us) us"
    echo
    echo "per-task cost, us (median over $rounds rounds, each the best of $repeat; ours $tasks_c tasks, mpi4py $tasks_py)"
    awk -F, 'NR > 1 && ($4 == "map" || $4 == "submit") { key = $4 " c=" $5; if (!(key in seen)) { order[++m] = key; seen[key] = 1 }
            v[$2, key] = v[$2, key] " " $7 }
        function med(s,   a, n, i, j, t) { n = split(s, a, " ")
            for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
            return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
        END { printf "  %-14s %10s %10s %10s\n", "method", "cfutures", "mpi4py", "mpi4py/ours"
            for (i = 1; i <= m; i++) { c = med(v["cfutures", order[i]]); q = med(v["mpi4py", order[i]])
                printf "  %-14s %10.3f %10.2f %10.0fx\n", order[i], c, q, q / c } }' "$out/overhead.csv"
    echo
    echo "model: per-task cost = RTT / tasks in flight (workers x window x chunksize), RTT = the TCP median;"
    echo "residual = measured - predicted; break-even = the RTT at which the model would give the measured cost"
    awk -F, 'NR == 1 { printf "  %-9s %5s %9s %12s %12s %12s %10s %12s\n", "impl", "chunk", "in flight", "predicted", "measured", "residual", "meas/pred", "break-even"; next }
        { printf "  %-9s %5d %9d %12.4f %12.4f %12.4f %10.1f %9d us\n", $1, $3, $6, $8, $9, $10, $11, $12 }' "$out/model.csv"
} >"$out/summary.txt"
cat "$out/summary.txt"
