# chunksize.gp -- map's chunksize against the time a run takes, from
# results/chunks/summary.csv (make chunksweep: chunksize 1 to 1024, prime
# and hash, threads and processes, C and Python). One panel per workload,
# both axes log. Each pool draws a U: at chunksize 1 every task is a
# message of its own, and tiny tasks drown in that cost; bigger chunks
# share it out; past tasks / workers there are fewer chunks than workers
# and some sit idle while one works through a long chunk (load imbalance).
# The dashed lines are each language's sequential time, the floor a pool
# has to beat; the dotted line marks chunksize = tasks / workers.
# gnuplot -c plots/chunksize.gp results/chunks/summary.csv pngcairo plots/chunksize.png [SUBTITLE]
if (ARGC > 0) { infile = ARG1; term = ARG2; outfile = ARG3; subtitle = ARG4 }
if (!exists("infile")) infile = 'results/chunks/summary.csv'
load 'plots/common.gp'

key = "($c[\"impl\"] == \"python\" ? \"py-\" : \"\") $c[\"mode\"]"
# Every program reads the file twice. The first pass numbers the
# workloads with pool rows, and the pool series (key) of workload number
# wi, in order of appearance: w is that workload, k its series number ki
# (-v wi=N -v ki=N: numbers are all that a command line takes from here).
pick = "NR == FNR { if (FNR == 1) { for (i = 1; i <= NF; i++) c[$i] = i; next } if ($c[\"mode\"] != \"seq\" && $c[\"mode\"] != \"loop\") { if (!($c[\"workload\"] in wn)) { wn[$c[\"workload\"]] = ++nw; wl = wl \"\\n\" $c[\"workload\"]; if (nw == wi) w = $c[\"workload\"] } if ($c[\"workload\"] == w && !((".key.") in kn)) { kn[".key."] = ++nk; kl = kl \"\\n\" ".key."; if (nk == ki) k = ".key." } } next } FNR == 1 { next } "
f = shq(infile)
awk(wi, ki) = sprintf("awk -F, -v wi=%d -v ki=%d '", wi, ki).pick
s_ = system(awk(0, 0)."END { print nw wl }' ".f." ".f)
nw = line1(s_) + 0
if (nw == 0) { print "chunksize: no pool rows in ".infile." (make chunksweep); nothing to draw"; exit }
array WL[nw]
do for [i = 1:nw] { s_ = after1(s_); WL[i] = line1(s_) }
nchunks = system(awk(0, 0)."!seen[$c[\"chunksize\"]]++ { n++ } END { print n + 0 }' ".f." ".f) + 0
if (nchunks < 3) { print "chunksize: fewer than 3 chunksizes in ".infile." (make chunksweep); nothing to draw"; exit }
# One series' points (workload i, series j): chunksize, median_ms, sorted by chunksize.
pts(i, j) = "< ".awk(i, j)."$c[\"workload\"] == w && ".key." == k { print $c[\"chunksize\"] \",\" $c[\"median_ms\"] }' ".f." ".f." | sort -t, -k1,1n"
# The fastest point of a series: chunksize, median.
best(i, j) = "< ".awk(i, j)."$c[\"workload\"] == w && ".key." == k && (n++ == 0 || $c[\"median_ms\"] + 0 < m) { m = $c[\"median_ms\"] + 0; b = $c[\"chunksize\"] } END { print b \",\" m }' ".f." ".f
# Sequential medians, C then Python (0 when absent): the plain loop's,
# or seq's in results from before the loop existed.
seqms(i, impl) = system(awk(i, 0)."$c[\"workload\"] == w && $c[\"impl\"] == \"".impl."\" && ($c[\"mode\"] == \"loop\" || $c[\"mode\"] == \"seq\" && !l) { m = $c[\"median_ms\"]; l = l || $c[\"mode\"] == \"loop\" } END { print m + 0 }' ".f." ".f) + 0.0
# Tasks, workers and size of workload i's pool runs, a line each.
info(i) = system(awk(i, 0)."$c[\"workload\"] == w && $c[\"mode\"] != \"seq\" && $c[\"mode\"] != \"loop\" { t = $c[\"tasks\"]; n = $c[\"workers\"]; s = $c[\"size\"] } END { print t + 0; print n + 0; printf \"%s\", s }' ".f." ".f)
fmtms(v) = v >= 1000 ? sprintf("%.3g s", v / 1000) : v >= 1 ? sprintf("%.3g ms", v) : sprintf("%.3g us", v * 1000)

if (term eq 'pngcairo') { set terminal pngcairo size 1100,(nw > 1 ? 560 : 640) enhanced font 'DejaVu Sans,10' noenhanced }
if (term eq 'svg') { set terminal svg size 1100,(nw > 1 ? 560 : 640) dynamic noenhanced font 'DejaVu Sans,10' }
if (outfile ne '') set output outfile

set multiplot layout 1, nw title sprintf("map's chunksize against wall time: per-message cost (left) against load imbalance (right); big dot: each pool's best%s", subtitle eq '' ? '' : "\n".subtitle)
set logscale x 2
set logscale y 10
set format y '%.0s %cs'
set mytics 10
set grid xtics ytics lc rgb '#e4e4e4'
set xlabel 'chunksize (tasks per message)'
set border 3
set xtics nomirror
set ytics nomirror
set key top center horizontal samplen 2 font ',9' opaque
do for [i = 1:nw] {
    s_ = system(awk(i, 0)."END { print nk kl }' ".f." ".f)
    nk = line1(s_) + 0
    array KS[nk > 0 ? nk : 1]
    do for [j = 1:nk] { s_ = after1(s_); KS[j] = line1(s_) }
    s_ = info(i)
    tasks = line1(s_) + 0
    s_ = after1(s_); nwk = line1(s_) + 0
    size = after1(s_)
    cs = seqms(i, 'c')
    ps = seqms(i, 'python')
    set title sprintf("%s (%d tasks, %d workers, size '%s')", WL[i], tasks, nwk, size) font ',11'
    set ylabel (i == 1 ? 'median wall time (log scale)' : '')
    unset arrow
    unset label
    if (nwk > 0 && tasks / nwk >= 1) {
        set arrow from tasks / nwk, graph 0 to tasks / nwk, graph 1 nohead dt 3 lc rgb '#888888'
        set label 'tasks / workers' at first tasks / nwk, graph 0.5 center rotate by 90 offset -0.8, 0 font ',8' tc rgb '#777777'
    }
    if (cs > 0) {
        set arrow from graph 0, first cs / 1000 to graph 1, first cs / 1000 nohead dt 2 lw 1.5 lc rgb kind_color('seq')
        set label sprintf("C sequential %s", fmtms(cs)) at graph 0.99, first cs / 1000 right offset 0, 0.6 font ',8' tc rgb '#555555'
    }
    if (ps > 0) {
        set arrow from graph 0, first ps / 1000 to graph 1, first ps / 1000 nohead dt 2 lw 1.5 lc rgb kind_color('py-seq')
        set label sprintf("Python sequential %s", fmtms(ps)) at graph 0.99, first ps / 1000 right offset 0, 0.6 font ',8' tc rgb '#999999'
    }
    plot for [j = 1:nk] pts(i, j) using 1:($2 / 1000) with linespoints lw 2 pt 7 ps 0.8 lc rgb kind_color(KS[j]) title KS[j], \
         for [j = 1:nk] best(i, j) using 1:($2 / 1000) with points pt 7 ps 2.2 lc rgb kind_color(KS[j]) notitle
}
unset multiplot
