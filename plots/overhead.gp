# overhead.gp -- per-task cost of each executor on no-op tasks, from
# overhead.csv (executor,method,chunksize,tasks,us_per_task, written by
# `cfbench overhead --impl all`): one bar per (executor, method, chunksize)
# on a log axis, grouped by executor, and the executors by family: this C
# library (seq, thread, process), Python's concurrent.futures (py-thread,
# py-process, hatched) and real C pools as peers (libuv, OpenMP, oneTBB,
# and a forked pipe-echo worker: the floor of any process pool). Start-up
# rows (methods startup*, forkserver-start) are per pool, not per task:
# they are listed under the chart.
# gnuplot -e "infile='results/overhead.csv'; term='pngcairo';
#             outfile='plots/overhead.png'" plots/overhead.gp
if (!exists("infile")) infile = 'results/overhead.csv'
load 'plots/common.gp'

# awk helpers (gnuplot single-quoted strings: '' is one quote for the shell).
aw = 'function fam(e) { return e ~ /^py-/ ? "Python concurrent.futures" : (e == "seq" || e == "thread" || e == "process" || e == "mpi") ? "cfutures (C)" : "C peers" } ' . \
     'function disp(e) { return e == "libuv-threadpool" ? "libuv" : e == "openmp-tasks" ? "OpenMP" : e == "tbb-task_group" ? "oneTBB" : e == "pipe-echo-process" ? "pipe floor" : e == "shm-ring-process" ? "ring floor" : e ~ /^py-/ ? substr(e, 4) : e } ' . \
     'function mlab(m, c) { return m == "map" || m == "pipelined" ? "map c=" c : m == "queue_work" ? "queue" : m == "task+taskwait" ? "task" : m == "run+wait" ? "run" : m } ' . \
     'function col(e) { return e ~ /seq$/ ? 7829367 : e ~ /thread$/ ? 2062260 : e ~ /^(pipe|shm)/ ? 9197131 : e ~ /process$/ ? 16744206 : 2924588 } ' . \
     'function bar(f) { return NR > 1 && $2 !~ /start/ && $5 != "" && f } '
# Numbers the bars, a gap between executors and a wider one between
# families: x, executor shown, method shown, family, us, colour, python,
# and the executor's name on its first bar only.
walk = 'if (fam($1) != f) { if (f != "") x += 1.5; f = fam($1) } if ($1 != e) { if (e != "") x += 1.4; e = $1 } x++; '
# Ratio to the peer, for our thread and process bars: libuv's queue_work
# for threads, the pipe floor at the same chunksize for processes (column 9,
# "-" for the other bars; a first pass over the file finds the peers' figures).
peers = 'NR == FNR { if ($1 == "libuv-threadpool") ref["thread", 1] = ref["thread", 64] = $5; if ($1 == "pipe-echo-process") ref["process", $3] = $5; next } ' . \
        'function ratio(e, c) { return ref[e, c] > 0 ? sprintf("%.1fx", $5 / ref[e, c]) : "-" } '
prep = sprintf("< awk -F, '%s %s FNR > 1 && $2 !~ /start/ && $5 != \"\" { %s print x \",\" disp($1) \",\" mlab($2, $3) \",\" f \",\" $5 \",\" col($1) \",\" ($1 ~ /^py-/) \",\" ($1 != p ? disp($1) : \" \") \",\" ratio($1, $3); p = $1 }' '%s' '%s'", peers, aw, walk, infile, infile)
# Labels: each executor under its bars, each family under its executors,
# a dotted line between families. The command is joined with "." rather
# than sprintf: gnuplot 5.4's sprintf garbles a format this long.
labs = system("awk -F, '" . aw . " NR > 1 && $2 !~ /start/ && $5 != \"\" { of = f; oe = e; " . walk . " if (e != oe) { if (oe != \"\") out = out sprintf(\"set label \\\"%s\\\" at first %g, graph -0.17 center font \\\",11\\\"; \", disp(oe), (ea + ez) / 2); ea = x } if (f != of) { if (of != \"\") { out = out sprintf(\"set label \\\"%s\\\" at first %g, graph -0.245 center font \\\",12\\\"; set arrow from first %g, graph 0 to first %g, graph 1.02 nohead dt 3 lc rgb \\\"#999999\\\"; \", of, (fa + fz) / 2, x - 1.95, x - 1.95) } fa = x } ez = x; fz = x } END { if (e != \"\") printf \"%sset label \\\"%s\\\" at first %g, graph -0.17 center font \\\",11\\\"; set label \\\"%s\\\" at first %g, graph -0.245 center font \\\",12\\\"\", out, disp(e), (ea + ez) / 2, f, (fa + fz) / 2 }' '" . infile . "'")
starts = system(sprintf("awk -F, 'NR > 1 && $2 ~ /start/ && $5 != \"\" { u = $5 + 0; s = s (n == 0 ? \"\" : n %% 5 == 0 ? \",\\n\" : \", \") $1 ($2 == \"forkserver-start\" ? \" server start\" : $2 ~ /forkserver/ ? \" forkserver\" : \"\") ($2 ~ /-1g$/ ? \" (1 GiB parent)\" : \"\") \" \" (u >= 1000 ? sprintf(\"%%.1f ms\", u / 1000) : sprintf(\"%%.0f us\", u)); n++ } END { printf \"%%s\", s }' '%s'", infile))
yr = system(sprintf("awk -F, 'NR > 1 && $2 !~ /start/ && $5 > 0 { if (n++ == 0 || $5 < a) a = $5; if ($5 > b) b = $5 } END { if (n) printf \"%%g %%g\", a, b }' '%s'", infile))
if (words(yr) < 2) { print "overhead: no rows in ".infile."; nothing to draw"; exit }
ymin = word(yr, 1) + 0.0
ymax = word(yr, 2) + 0.0

eval labs
# The pool size is the tasks column of the startup rows.
nw = system(sprintf("awk -F, 'NR > 1 && $2 == \"startup\" { printf \"%%s\", $4; exit }' '%s'", infile))
set title sprintf("Per-task cost of each executor on no-op tasks%s%s", nw eq '' ? '' : " (".nw." workers)", subtitle eq '' ? '' : "\n".subtitle)
set ylabel 'microseconds per task (log scale)'
set logscale y 10
set yrange [ymin / 3:ymax * 4]
set format y '%g'
set grid ytics lc rgb '#dddddd'
set xtics nomirror rotate by 35 right font ',9'
set ytics nomirror
set border 3
set bmargin 15
set offsets 0.8, 0.8, 0, 0
unset key
set label "red, above our thread and process bars: the figure divided by the peer's (libuv's queue_work for threads, the pipe floor at the same chunksize for processes)" at screen 0.5, screen 0.15 center font ',9' tc rgb '#555555'
if (starts ne '') set label sprintf("pool start + shutdown (per pool, not per task):\n%s", starts) at screen 0.5, screen 0.115 center font ',9' tc rgb '#555555'
bar = 0.4
usfmt(u) = u >= 10 ? sprintf("%.0f", u) : u >= 1 ? sprintf("%.1f", u) : u >= 0.1 ? sprintf("%.2f", u) : sprintf("%.3f", u)

if (dumb) {
    unset label
    unset arrow
    set xtics norotate
    set bmargin 3
    plot prep using 1:5:xtic(strcol(8)) with impulses lw 2 notitle
} else {
    set style fill solid 0.85 border -1
    plot prep using 1:($7 == 0 ? $5 : NaN):($1 - bar):($1 + bar):(ymin / 3):5:6 \
             with boxxyerror lc rgb variable notitle, \
         prep using 1:($7 == 1 ? $5 : NaN):($1 - bar):($1 + bar):(ymin / 3):5:6 \
             with boxxyerror fs pattern 4 border -1 lc rgb variable notitle, \
         prep using 1:($5 * 1.3):(usfmt($5)):xtic(strcol(3)) with labels font ',8' notitle, \
         prep using 1:(strcol(9) eq '-' ? NaN : $5 * 1.3):(strcol(9)) with labels offset 0, 1 \
             font ',7' tc rgb '#b22222' notitle
}
