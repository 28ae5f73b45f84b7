# ratios.awk -- each goal of issue 12 from a `cfbench overhead --impl all`
# CSV: our figure, the peer's, their ratio, the goal, met or missed.
# usage: awk -f bench/peers/ratios.awk results/overhead.csv
BEGIN { FS = "," }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{ us[$(col["executor"]) "," $(col["method"]) "," $(col["chunksize"])] = $(col["us_per_task"]) }

# One line: what, our row, the peer's row (or a fixed budget in µs), the
# largest ratio that meets the goal (0: no goal, shown for information).
function goal(what, ours, peer, most,    a, b, r, verdict) {
    a = ours in us ? us[ours] : ""
    b = peer ~ /^[0-9.]+$/ ? peer : peer in us ? us[peer] : ""
    if (a == "" || b == "" || b + 0 <= 0) {
        printf "%-44s %10s %10s %8s %7s  %s\n", what, a == "" ? "-" : a, b == "" ? "-" : b, "-",
               most ? "<= " most "x" : "-", "n/a (no row)"
        return
    }
    r = a / b
    verdict = most == 0 ? "info" : r <= most ? "met" : "missed"
    printf "%-44s %10s %10s %7.2fx %7s  %s\n", what, num(a), num(b), r, most ? "<= " most "x" : "-", verdict
}

function num(x) { return x >= 1000 ? sprintf("%.0f", x) : sprintf("%.4g", x) }

END {
    printf "%-44s %10s %10s %8s %7s  %s\n", "goal (us per task; startup: us per pool)", "ours",
           "peer", "ratio", "goal", "verdict"
    goal("thread submit+result / libuv queue_work", "thread,submit,1", "libuv-threadpool,queue_work,1", 2)
    goal("thread map c=64 / libuv queue_work", "thread,map,64", "libuv-threadpool,queue_work,1", 1)
    goal("process map c=1 / pipe floor c=1", "process,map,1", "pipe-echo-process,pipelined,1", 1)
    goal("process map c=64 / pipe floor c=64", "process,map,64", "pipe-echo-process,pipelined,64", 2)
    goal("process map c=1 / thread map c=1 (moonshot)", "process,map,1", "thread,map,1", 2)
    goal("process start+shutdown / 2000 us budget", "process,startup,0", 2000, 1)
    goal("process start+shutdown, 1 GiB parent / 2000", "process,startup-1g,0", 2000, 1)
    goal("forkserver start+shutdown / 2000 us budget", "process,startup-forkserver,0", 2000, 1)
    goal("forkserver, 1 GiB parent / 2000 us budget", "process,startup-forkserver-1g,0", 2000, 1)
    goal("forkserver, 1 GiB parent / small (flat)", "process,startup-forkserver-1g,0",
         "process,startup-forkserver,0", 1.25)
    goal("process start+shutdown / fork+exit floor", "process,startup,0", "fork-exit,startup,0", 0)
    goal("forkserver start+shutdown / fork+exit floor", "process,startup-forkserver,0",
         "fork-exit,startup,0", 0)
    goal("process map c=1 / shm ring floor c=1", "process,map,1", "shm-ring-process,pipelined,1", 0)
    goal("process map c=64 / shm ring floor c=64", "process,map,64", "shm-ring-process,pipelined,64", 0)
}
