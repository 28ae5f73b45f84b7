# chunksize.gp -- map's chunksize against the time a run takes, from
# results/chunks/summary.csv (make chunksweep: chunksize 1 to 1024, prime
# and hash, threads and processes, C and Python). One panel per workload,
# both axes log. Each pool draws a U: at chunksize 1 every task is a
# message of its own, and tiny tasks drown in that cost; bigger chunks
# share it out; past tasks / workers there are fewer chunks than workers
# and some sit idle while one works through a long chunk (load imbalance).
# The dashed lines are each language's sequential time, the floor a pool
# has to beat; the dotted line marks chunksize = tasks / workers.
# gnuplot -e "infile='results/chunks/summary.csv'; term='pngcairo';
#             outfile='plots/chunksize.png'" plots/chunksize.gp
if (!exists("infile")) infile = 'results/chunks/summary.csv'
load 'plots/common.gp'

cols = "NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } "
key = "($c[\"impl\"] == \"python\" ? \"py-\" : \"\") $c[\"mode\"]"
wls = system("awk -F, '".cols."$c[\"mode\"] != \"seq\" && !seen[$c[\"workload\"]]++ { printf \"%s \", $c[\"workload\"] }' '".infile."'")
if (words(wls) == 0) { print "chunksize: no pool rows in ".infile." (make chunksweep); nothing to draw"; exit }
nchunks = system("awk -F, '".cols."!seen[$c[\"chunksize\"]]++ { n++ } END { print n + 0 }' '".infile."'") + 0
if (nchunks < 3) { print "chunksize: fewer than 3 chunksizes in ".infile." (make chunksweep); nothing to draw"; exit }
# Pool series of workload w: "py-thread thread ...".
series(w) = system("awk -F, -v w='".w."' '".cols."$c[\"workload\"] == w && $c[\"mode\"] != \"seq\" { k = ".key."; if (!seen[k]++) printf \"%s \", k }' '".infile."'")
# One series' points: chunksize, median_ms, sorted by chunksize.
pts(w, k) = "< awk -F, -v w='".w."' -v k='".k."' '".cols."$c[\"workload\"] == w && ".key." == k { print $c[\"chunksize\"] \",\" $c[\"median_ms\"] }' '".infile."' | sort -t, -k1,1n"
# The fastest point of a series, as "chunksize median".
best(w, k) = system("awk -F, -v w='".w."' -v k='".k."' '".cols."$c[\"workload\"] == w && ".key." == k && (n++ == 0 || $c[\"median_ms\"] + 0 < m) { m = $c[\"median_ms\"] + 0; b = $c[\"chunksize\"] } END { print b \",\" m }' '".infile."'")
# Sequential medians, C then Python (0 when absent).
seqms(w, impl) = system("awk -F, -v w='".w."' -v im='".impl."' '".cols."$c[\"workload\"] == w && $c[\"mode\"] == \"seq\" && $c[\"impl\"] == im { m = $c[\"median_ms\"] } END { print m + 0 }' '".infile."'") + 0.0
info(w) = system("awk -F, -v w='".w."' '".cols."$c[\"workload\"] == w && $c[\"mode\"] != \"seq\" { t = $c[\"tasks\"]; n = $c[\"workers\"]; s = $c[\"size\"] } END { print t + 0, n + 0, s }' '".infile."'")
fmtms(v) = v >= 1000 ? sprintf("%.3g s", v / 1000) : v >= 1 ? sprintf("%.3g ms", v) : sprintf("%.3g us", v * 1000)

nw = words(wls)
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
    w = word(wls, i)
    ks = series(w)
    inf = info(w)
    tasks = word(inf, 1) + 0
    nwk = word(inf, 2) + 0
    cs = seqms(w, 'c')
    ps = seqms(w, 'python')
    set title sprintf("%s (%d tasks, %d workers, size '%s')", w, tasks, nwk, word(inf, 3)) font ',11'
    set ylabel (i == 1 ? 'median wall time (log scale)' : '')
    unset arrow
    unset label
    if (nwk > 0 && tasks / nwk >= 1) {
        set arrow from tasks / nwk, graph 0 to tasks / nwk, graph 1 nohead dt 3 lc rgb '#888888'
        set label 'tasks / workers' at first tasks / nwk, graph 0.5 center rotate by 90 offset -0.8, 0 font ',8' tc rgb '#777777'
    }
    if (cs > 0) {
        set arrow from graph 0, first cs / 1000 to graph 1, first cs / 1000 nohead dt 2 lw 1.5 lc rgb kind_color('seq')
        set label sprintf("C seq %s", fmtms(cs)) at graph 0.99, first cs / 1000 right offset 0, 0.6 font ',8' tc rgb '#555555'
    }
    if (ps > 0) {
        set arrow from graph 0, first ps / 1000 to graph 1, first ps / 1000 nohead dt 2 lw 1.5 lc rgb kind_color('py-seq')
        set label sprintf("Python seq %s", fmtms(ps)) at graph 0.99, first ps / 1000 right offset 0, 0.6 font ',8' tc rgb '#999999'
    }
    plot for [k in ks] pts(w, k) using 1:($2 / 1000) with linespoints lw 2 pt 7 ps 0.8 lc rgb kind_color(k) title k, \
         for [k in ks] '< echo '.best(w, k) using 1:($2 / 1000) with points pt 7 ps 2.2 lc rgb kind_color(k) notitle
}
unset multiplot
