# overhead.gp -- per-task cost of each executor on no-op tasks, from
# overhead.csv (executor,method,chunksize,tasks,us_per_task, written by
# `cfbench overhead --impl all`): one bar per (executor, method, chunksize)
# on a log axis, grouped by executor, and the executors by family: this C
# library (seq, thread, process), Python's concurrent.futures (py-thread,
# py-process, hatched) and real C pools as peers (libuv, OpenMP, oneTBB,
# and a forked pipe-echo worker: the floor of any process pool). Start-up
# rows (methods startup*, forkserver-start) are per pool, not per task:
# they are listed under the chart, as are the bytes each pending future
# holds (pending-bytes rows); payload rows are left to ratios.awk. From
# `make overhead` each bar is the median of its rounds and the whisker
# spans their min-max (columns us_min, us_max of bench/peers/median.awk;
# a one-run CSV without them draws no whisker).
# gnuplot -c plots/overhead.gp results/overhead.csv pngcairo plots/overhead.png [SUBTITLE]
if (ARGC > 0) { infile = ARG1; term = ARG2; outfile = ARG3; subtitle = ARG4 }
if (!exists("infile")) infile = 'results/overhead.csv'
load 'plots/common.gp'

# awk helpers (gnuplot single-quoted strings: '' is one quote for the shell).
aw = 'function fam(e) { return e ~ /^py-/ ? "Python concurrent.futures" : (e == "seq" || e == "thread" || e == "process" || e == "mpi") ? "cfutures (C)" : "C peers" } ' . \
     'function disp(e) { return e == "libuv-threadpool" ? "libuv" : e == "openmp-tasks" ? "OpenMP" : e == "tbb-task_group" ? "oneTBB" : e == "pipe-echo-process" ? "pipe floor" : e == "shm-ring-process" ? "ring floor" : e ~ /^py-/ ? substr(e, 4) : e } ' . \
     'function mlab(m, c) { return m == "map" || m == "pipelined" ? "map c=" c : m == "queue_work" ? "queue" : m == "task+taskwait" ? "task" : m == "run+wait" ? "run" : m } ' . \
     'function col(e) { return e ~ /seq$/ ? 7829367 : e ~ /thread$/ ? 2062260 : e ~ /^(pipe|shm)/ ? 9197131 : e ~ /process$/ ? 16744206 : 2924588 } ' . \
     'function bar(f) { return NR > 1 && $2 !~ /start|pending|payload/ && $5 != "" && f } '
# Numbers the bars, a gap between executors and a wider one between
# families. Output: x, bar, bar, family, us, colour, python, bar, and the
# ratio to the peer; the bar's number indexes its labels (BARM, the method
# shown; BARE, the executor's name on its first bar only).
walk = 'if (fam($1) != f) { if (f != "") x += 1.5; f = fam($1) } if ($1 != e) { if (e != "") x += 1.4; e = $1 } x++; '
# Ratio to the peer, for our thread and process bars: libuv's queue_work
# for threads, the pipe floor at the same chunksize for processes (column 9,
# "-" for the other bars; a first pass over the file finds the peers' figures).
peers = 'NR == FNR { if ($1 == "libuv-threadpool" && $2 == "queue_work") ref["thread", 1] = ref["thread", 64] = $5; if ($1 == "pipe-echo-process" && $2 == "pipelined") ref["process", $3] = $5; next } ' . \
        'function ratio(e, c) { return ($2 == "submit" || $2 == "map") && ref[e, c] > 0 ? sprintf("%.2gx", $5 / ref[e, c]) : "-" } '
f = shq(infile)
prep = "< awk -F, '".peers.aw." FNR > 1 && $2 !~ /start|pending|payload/ && $5 != \"\" { ".walk." nb++; print x \",\" nb \",\" nb \",\" f \",\" $5 \",\" col($1) \",\" ($1 ~ /^py-/) \",\" nb \",\" ratio($1, $3) \",\" ($10 != \"\" ? $10 : $5) \",\" ($11 != \"\" ? $11 : $5) }' ".f." ".f
s_ = system("awk -F, '".aw." NR > 1 && $2 !~ /start|pending|payload/ && $5 != \"\" { out = out \"\\n\" mlab($2, $3) \"\\n\" ($1 != p ? disp($1) : \" \"); p = $1; nb++ } END { print nb + 0 out }' ".f)
nb = line1(s_) + 0
array BARM[nb > 0 ? nb : 1]
array BARE[nb > 0 ? nb : 1]
do for [i = 1:nb] { s_ = after1(s_); BARM[i] = line1(s_); s_ = after1(s_); BARE[i] = line1(s_) }
# Labels: each executor under its bars (e), each family under its
# executors (f), a dotted line between families (a): the count, then
# three lines each: what, where, the text.
s_ = system("awk -F, '" . aw . " NR > 1 && $2 !~ /start|pending|payload/ && $5 != \"\" { of = f; oe = e; " . walk . " if (e != oe) { if (oe != \"\") { out = out \"\\ne\\n\" (ea + ez) / 2 \"\\n\" disp(oe); n++ } ea = x } if (f != of) { if (of != \"\") { out = out \"\\nf\\n\" (fa + fz) / 2 \"\\n\" of \"\\na\\n\" x - 1.95 \"\\n\"; n += 2 } fa = x } ez = x; fz = x } END { if (e != \"\") { out = out \"\\ne\\n\" (ea + ez) / 2 \"\\n\" disp(e) \"\\nf\\n\" (fa + fz) / 2 \"\\n\" f; n += 2 } print n + 0 out }' " . f)
do for [i = 1:line1(s_) + 0] {
    s_ = after1(s_); what = line1(s_)
    s_ = after1(s_); at = line1(s_) + 0.0
    s_ = after1(s_)
    if (what eq 'e') { set label "".line1(s_) at first at, graph -0.17 center font ",11" }
    if (what eq 'f') { set label "".line1(s_) at first at, graph -0.245 center font ",12" }
    if (what eq 'a') { set arrow from first at, graph 0 to first at, graph 1.02 nohead dt 3 lc rgb "#999999" }
}
starts = system("awk -F, 'NR > 1 && $2 ~ /start/ && $5 != \"\" { u = $5 + 0; s = s (n == 0 ? \"\" : n % 5 == 0 ? \",\\n\" : \", \") $1 ($2 == \"forkserver-start\" ? \" server start\" : $2 ~ /forkserver/ ? \" forkserver\" : \"\") ($2 ~ /-1g$/ ? \" (1 GiB parent)\" : \"\") \" \" (u >= 1000 ? sprintf(\"%.1f ms\", u / 1000) : sprintf(\"%.0f us\", u)); n++ } END { printf \"%s\", s }' ".f)
yr = system("awk -F, 'NR > 1 && $2 !~ /start|pending|payload/ && $5 > 0 { if (n++ == 0 || $5 < a) a = $5; if ($5 > b) b = $5; if ($11 + 0 > b) b = $11 + 0 } END { if (n) printf \"%g %g\", a, b }' ".f)
if (words(yr) < 2) { print "overhead: no rows in ".infile."; nothing to draw"; exit }
ymin = word(yr, 1) + 0.0
ymax = word(yr, 2) + 0.0

# The pool size is the tasks column of the startup rows.
nw = system("awk -F, 'NR > 1 && $2 == \"startup\" { printf \"%s\", $4; exit }' ".f)
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
mem = system("awk -F, 'NR > 1 && $2 == \"pending-bytes\" && $5 != \"\" { s = s (n++ ? \", \" : \"\") $1 \" \" sprintf(\"%.0f\", $5 + 0) \" B\" } END { printf \"%s\", s }' ".f)
if (mem ne '') set label sprintf("bytes held per pending future: %s", mem) at screen 0.5, screen 0.03 center font ',9' tc rgb '#555555'
if (starts ne '') set label sprintf("pool start + shutdown (per pool, not per task):\n%s", starts) at screen 0.5, screen 0.115 center font ',9' tc rgb '#555555'
bar = 0.4
usfmt(u) = u >= 10 ? sprintf("%.0f", u) : u >= 1 ? sprintf("%.1f", u) : u >= 0.1 ? sprintf("%.2f", u) : sprintf("%.3f", u)

if (dumb) {
    unset label
    unset arrow
    set xtics norotate
    set bmargin 3
    plot prep using 1:5:xtic(BARE[int($8)]) with impulses lw 2 notitle
} else {
    set style fill solid 0.85 border -1
    plot prep using 1:($7 == 0 ? $5 : NaN):($1 - bar):($1 + bar):(ymin / 3):5:6 \
             with boxxyerror lc rgb variable notitle, \
         prep using 1:($7 == 1 ? $5 : NaN):($1 - bar):($1 + bar):(ymin / 3):5:6 \
             with boxxyerror fs pattern 4 border -1 lc rgb variable notitle, \
         prep using 1:5:10:11 with yerrorbars pt 0 lw 1.2 lc rgb '#222222' notitle, \
         prep using 1:($5 * 1.3):(usfmt($5)):xtic(BARM[int($3)]) with labels font ',8' notitle, \
         prep using 1:(strcol(9) eq '-' ? NaN : $5 * 1.3):(strcol(9)) with labels offset 0, 1 \
             font ',7' tc rgb '#b22222' notitle
}
