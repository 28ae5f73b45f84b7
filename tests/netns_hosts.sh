# tests/netns_hosts.sh -- three hosts made of network namespaces, for the MPI
# pool across hosts; sourced by tests/mpi_hosts.sh (the checks) and
# bench/mpi_hosts_overhead.sh (the per-task cost and round trip).
#
# Three network namespaces on one bridge stand for three machines, so Open
# MPI talks TCP between them (btl tcp,self: no shared memory) and each rank
# sees its own address and host name. mpiexec runs in the first ("the
# client's host", rank 0); an rsh agent enters the others' namespaces in
# place of ssh. Uses 198.18.0.0/24 (the benchmark range) inside its own
# namespaces only: nothing reaches the machine's own network.
#
# The caller sets $mpiexec_cmd and calls hosts_up, which returns 2 when
# this machine cannot make them (no root, no netns, veth or bridge; $why
# says which), 1 when setting them up failed, 0 with: $p (the namespaces'
# prefix: $p-sw the bridge, $p-h0..h2), $hosts ("0 1 2"), `addr N`, $tmp (a
# temporary folder, $TMPDIR too, removed with the namespaces), $tmp/hostfile
# (one address a line, slots=1), $tmp/agent (its calls logged in
# $tmp/agent.log), $net, and the functions below. Every namespace, link and
# process made goes on exit, Ctrl-C included (cleanup; safe to run twice).
now_ms() { date +%s%3N; }
p=cfh$$ # namespace prefix
hosts="0 1 2"
addr() { echo "198.18.0.$(($1 + 1))"; }
net=198.18.0.0/24
tmp=""

# Kills whatever runs in our namespaces and deletes them (their veths and
# the bridge go with them), then the temporary folder.
cleanup() {
    for ns in $p-h0 $p-h1 $p-h2 $p-sw; do
        pids=$(ip netns pids "$ns" 2>/dev/null)
        [ -n "$pids" ] && kill -9 $pids 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    [ -n "$tmp" ] && rm -rf "$tmp"
}

hosts_up() {
    why=""
    [ "$(id -u)" = 0 ] || { why="needs root to make network namespaces"; return 2; }
    for t in ip unshare mpiexec; do
        command -v "$t" >/dev/null 2>&1 || { why="$t not found"; return 2; }
    done
    # The jobs talk to each other only; no proxy may take their traffic.
    unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
    tmp=$(mktemp -d /tmp/cfbench-hosts-XXXXXX) || { why="mktemp failed"; return 1; }
    trap cleanup EXIT
    trap 'echo "${0##*/}: interrupted (cleaned up)"; exit 130' INT
    trap 'echo "${0##*/}: terminated (cleaned up)"; exit 143' TERM
    trap 'exit 129' HUP

    # The network: a bridge in $p-sw, one veth from it to each host's eth0.
    if ! ip netns add "$p-sw" 2>"$tmp/err"; then
        why="cannot create a network namespace ($(head -n 1 "$tmp/err"))"
        return 2
    fi
    ip -n "$p-sw" link add br0 type bridge 2>"$tmp/err" || { why="no bridge ($(head -n 1 "$tmp/err"))"; return 2; }
    ip -n "$p-sw" link set br0 up
    for n in $hosts; do
        ip netns add "$p-h$n" &&
            ip link add eth0 netns "$p-h$n" type veth peer name p$n netns "$p-sw" 2>"$tmp/err" ||
            { why="no veth ($(head -n 1 "$tmp/err"))"; return 2; }
        ip -n "$p-sw" link set p$n master br0 up &&
            ip -n "$p-h$n" addr add "$(addr $n)/24" dev eth0 &&
            ip -n "$p-h$n" link set eth0 up &&
            ip -n "$p-h$n" link set lo up || { why="cannot set up host $n"; return 1; }
        echo "$(addr $n) slots=1" >>"$tmp/hostfile"
    done
    ip netns exec "$p-h0" unshare --uts true 2>"$tmp/err" || {
        why="cannot enter a namespace with a host name of its own ($(head -n 1 "$tmp/err"))"
        return 2
    }

    # The rsh agent: `agent [OPTIONS] HOST COMMAND...` runs COMMAND in
    # HOST's namespace, as ssh would on HOST, with a host name of its own (a
    # UTS namespace) so that Open MPI and the pool see separate machines.
    # Each call is logged: the log shows which hosts got a daemon.
    cat >"$tmp/agent" <<AGENT
#!/bin/sh
while [ "\${1#-}" != "\$1" ]; do shift; done
host=\$1; shift
case "\$host" in
$(for n in $hosts; do printf '%s) ns=%s ;;\n' "$(addr $n)" "$p-h$n"; done)
*) echo "agent: unknown host \$host" >&2; exit 255 ;;
esac
echo "\$host" >>"$tmp/agent.log"
exec ip netns exec "\$ns" unshare --uts sh -c "hostname \$ns && \$*"
AGENT
    chmod +x "$tmp/agent"
    cat >"$tmp/on_host0" <<ON_HOST0
#!/bin/sh
exec ip netns exec $p-h0 unshare --uts env OMPI_MCA_plm_rsh_agent=$tmp/agent \\
    OMPI_MCA_plm_rsh_no_tree_spawn=1 OMPI_MCA_btl=tcp,self \\
    OMPI_MCA_btl_tcp_if_include=$net OMPI_MCA_oob_tcp_if_include=$net \\
    sh -c 'hostname "\$0" && exec "\$@"' $p-h0 "\$@"
ON_HOST0
    chmod +x "$tmp/on_host0"
    # Open MPI's session folders go under $tmp, removed with it.
    export TMPDIR="$tmp"
    return 0
}

# `$tmp/on_host0 COMMAND...`: COMMAND in host 0's namespace, under its host
# name, with Open MPI told (OMPI_MCA_* variables, so that a command line
# can stay as a reader would type it) to start daemons through the agent
# and talk TCP on $net only. A script, not a function, so that each step
# execs the next and a background call's pid ends up COMMAND's.
# `job LOG ARGS...`: `$mpiexec_cmd $mca --hostfile $tmp/hostfile ARGS` from
# host 0, in the background, output to LOG: $job is mpiexec's pid (each
# program along the way execs the next). $mca adds mpiexec options.
mca=""
job() {
    log=$1; shift
    "$tmp/on_host0" $mpiexec_cmd $mca --hostfile "$tmp/hostfile" "$@" >"$log" 2>&1 &
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
# What is still running in the hosts' namespaces, as "hN:PID:NAME ...".
leftovers() {
    for n in $hosts; do
        for pid in $(ip netns pids "$p-h$n" 2>/dev/null); do
            printf 'h%s:%s:%s ' "$n" "$pid" "$(cat /proc/"$pid"/comm 2>/dev/null)"
        done
    done
}
