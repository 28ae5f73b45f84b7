# ratios.awk -- each goal of issue 25 from bench/peers/rounds.sh's rounds:
# per round, our figure over the peer's of the same round; printed, the
# median figures, the median ratio and its spread (min-max over the
# rounds), the goal and whether the median meets it.
# usage: awk -f bench/peers/ratios.awk results/overhead-rounds.csv
# A plain `cfbench overhead` CSV (no round column) reads as one round.
BEGIN { FS = "," }
NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
{
    r = col["round"] ? $(col["round"]) : 1
    k = $(col["executor"]) "," $(col["method"]) "," $(col["chunksize"])
    us[k, r] = $(col["us_per_task"])
    any[k] = $(col["us_per_task"])
    if (r > nr) nr = r
}

# Sorts a[1..m] in place and returns its median.
function med(a, m,    j, t, x) {
    for (j = 2; j <= m; j++) {
        x = a[j]
        for (t = j; t > 1 && a[t - 1] > x; t--) a[t] = a[t - 1]
        a[t] = x
    }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}

# Round r's figure for "row" (a key), "row|row" (the least of them: the
# best peer), or a fixed budget; a row found in one round only (Python's
# pools run once) stands for every round. "" when there is none.
function fig(spec, r,    p, n, i, b, x) {
    if (spec ~ /^[0-9.]+$/) return spec
    n = split(spec, p, "|")
    b = ""
    for (i = 1; i <= n; i++) {
        x = (p[i], r) in us ? us[p[i], r] : p[i] in any ? any[p[i]] : ""
        if (x != "" && (b == "" || x + 0 < b + 0)) b = x
    }
    return b
}

# One line: what, our row, the peer's (or a budget), the largest ratio
# that meets the goal (0: no goal, shown for information).
function goal(what, ours, peer, most,    r, m, a, b, q, pb, rs, lo, hi, verdict) {
    m = 0
    for (r = 1; r <= nr; r++) {
        a = fig(ours, r); b = fig(peer, r)
        if (a == "" || b == "" || b + 0 <= 0) continue
        m++
        q[m] = a + 0; rs[m] = a / b; pb[m] = b + 0
    }
    if (m == 0) {
        printf "%-46s %9s %9s %7s %13s %7s  %s\n", what, "-", "-", "-", "-",
               most ? "<= " most "x" : "-", "n/a (no row)"
        return
    }
    a = med(q, m); b = med(pb, m); r = med(rs, m); lo = rs[1]; hi = rs[m]
    verdict = most == 0 ? "info" : r <= most ? "met" : "missed"
    printf "%-46s %9s %9s %6.2fx %13s %7s  %s\n", what, num(a), num(b), r,
           sprintf("%.2f-%.2fx", lo, hi), most ? "<= " most "x" : "-", verdict
}

# Payload rows: MB/s (bytes each way per µs) of ours, the pipe, memcpy and
# Python's pool, medians over the rounds.
function mbs(key, bytes,    r, m, a) {
    m = 0
    for (r = 1; r <= nr; r++) if ((key, r) in us && us[key, r] > 0) a[++m] = bytes / us[key, r]
    if (m == 0 && key in any && any[key] > 0) a[++m] = bytes / any[key]
    return m ? sprintf("%.0f", med(a, m)) : "-"
}

function num(x) { return x >= 1000 ? sprintf("%.0f", x) : sprintf("%.4g", x) }

END {
    printf "%d round(s); median figures, median ratio and its spread (min-max of the rounds)\n", nr
    printf "%-46s %9s %9s %7s %13s %7s  %s\n", "goal (us per task; startup: us per pool)", "ours",
           "peer", "ratio", "spread", "goal", "verdict"
    goal("thread submit+result / libuv queue_work", "thread,submit,1", "libuv-threadpool,queue_work,1", 1)
    goal("thread map c=1 / thread submit", "thread,map,1", "thread,submit,1", 1)
    goal("thread map c=64 / libuv queue_work", "thread,map,64", "libuv-threadpool,queue_work,1", 0)
    goal("process map c=1 / pipe floor c=1", "process,map,1", "pipe-echo-process,pipelined,1", 0.5)
    goal("process map c=64 / pipe floor c=64", "process,map,64", "pipe-echo-process,pipelined,64", 1.5)
    goal("4 producers, pool of 2 / best peer (tbb, uv)", "thread,submit-4p,1",
         "tbb-task_group,run+wait-4p,1|libuv-threadpool,queue_work-4p,1", 1.5)
    goal("pending future, thread / py-thread (bytes)", "thread,pending-bytes,0", "py-thread,pending-bytes,0", 0.1)
    goal("pending future, process / py-process (bytes)", "process,pending-bytes,0", "py-process,pending-bytes,0", 0.1)
    goal("pending future, thread / libuv uv_work_t", "thread,pending-bytes,0", "libuv-threadpool,pending-bytes,0", 0)
    goal("process start+shutdown / 2000 us budget", "process,startup,0", 2000, 1)
    goal("forkserver start+shutdown / 2000 us budget", "process,startup-forkserver,0", 2000, 1)
    goal("forkserver, 1 GiB parent / 2000 us budget", "process,startup-forkserver-1g,0", 2000, 1)
    goal("process start+shutdown / fork+exit floor", "process,startup,0", "fork-exit,startup,0", 0)
    goal("process map c=1 / shm ring floor c=1", "process,map,1", "shm-ring-process,pipelined,1", 0)
    goal("process map c=64 / shm ring floor c=64", "process,map,64", "shm-ring-process,pipelined,64", 0)
    printf "\n%-22s %9s %9s %9s %9s\n", "payload MB/s (each way)", "process", "pipe", "memcpy", "py-process"
    split("4k 64k 1m", sz, " ")
    split("4096 65536 1048576", by, " ")
    for (i = 1; i <= 3; i++)
        printf "%-22s %9s %9s %9s %9s\n", sz[i], mbs("process,payload-" sz[i] ",1", by[i]),
               mbs("pipe-echo-process,payload-" sz[i] ",1", by[i]), mbs("memcpy,payload-" sz[i] ",1", by[i]),
               mbs("py-process,payload-" sz[i] ",1", by[i])
}
