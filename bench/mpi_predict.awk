# mpi_predict.awk -- the cost model's prediction for an MPI pool of N = 1..8
# workers against the process pool of P (one per core), for the hash
# workload of a run under mpiexec, in whole rounds: T equal tasks of w ms
# take ceil(T / N) rounds of w on N workers (one core each, on as many
# hosts as it takes), plus the pool's start-up S and T times its per-task
# cost o (map, chunksize 1):
#
#   spawned    S_mpi + ceil(T/N) w + T o_mpi   (the pool spawns its ranks)
#   mpiexec    ceil(T/N) w + T o_mpi           (the ranks already run)
#   process    S_proc + ceil(T/P) w + T o_proc
#
# w is seq's median over T (SUMMARY, a cfbench run summary.csv); S and o
# come from OVERHEAD (cfbench overhead --impl c,mpi). Writes CSV.
#
# usage: awk -F, -v P=2 -f bench/mpi_predict.awk OVERHEAD SUMMARY
function col(name,   i) { for (i = 1; i <= NF; i++) if ($i == name) return i; return 0 }
function ceil(x) { return x == int(x) ? x : int(x) + 1 }
FNR == 1 { file++; for (i = 1; i <= NF; i++) h[file, $i] = i; next }
file == 1 && $h[1, "method"] == "startup" { S[$h[1, "executor"]] = $h[1, "us_per_task"] / 1000 }
file == 1 && $h[1, "method"] == "map" && $h[1, "chunksize"] == 1 { o[$h[1, "executor"]] = $h[1, "us_per_task"] / 1000 }
file == 2 && $h[2, "mode"] == "seq" && $h[2, "workload"] == "hash" { T = $h[2, "tasks"]; w = $h[2, "median_ms"] / T }
END {
    if (T == 0 || !("mpi" in S) || !("process" in S)) { print "mpi_predict: missing seq, or mpi/process start-up" > "/dev/stderr"; exit 1 }
    proc = S["process"] + ceil(T / P) * w + T * o["process"]
    print "workers,tasks,task_ms,rounds,spawned_ms,mpiexec_ms,process_workers,process_ms,spawned_wins,mpiexec_wins"
    for (n = 1; n <= T; n++) {
        r = ceil(T / n)
        mx = r * w + T * o["mpi"]
        sp = S["mpi"] + mx
        printf "%d,%d,%.3f,%d,%.3f,%.3f,%d,%.3f,%d,%d\n", n, T, w, r, sp, mx, P, proc, sp < proc, mx < proc
    }
}
