# utilization.gp -- how much of the cores it could use each run kept busy,
# from summary.csv's util column: (user + sys) / (wall x min(workers,
# cores)), median over the reps. One bar per (workload, mode, workers),
# grouped by workload. 100% is every usable core busy for the whole run;
# a pool that waits on I/O, on a lock (thread-gil) or on its own
# hand-offs stays low however many workers it has.
# gnuplot -c plots/utilization.gp results/summary.csv pngcairo plots/utilization.png [SUBTITLE]
if (ARGC > 0) { infile = ARG1; term = ARG2; outfile = ARG3; subtitle = ARG4 }
if (!exists("infile")) infile = 'results/summary.csv'
load 'plots/common.gp'

# The awk programs are joined with "." rather than sprintf(), whose result
# gnuplot cuts at a fixed length (a long results path broke them).
# Columns by name, so that appended columns do not move anything. A first
# pass numbers the modes (MODE) and impls (IMPL) in order of appearance.
# Output: x, 0, mode, workers, util (%), impl
cols = "NR == FNR && FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } FNR == 1 { next } "
names = "NR == FNR { if ($c[\"util\"] != \"\") { if (!($c[\"mode\"] in mn)) { mn[$c[\"mode\"]] = ++nm; ml = ml \"\\n\" $c[\"mode\"] } if (!($c[\"impl\"] in im)) { im[$c[\"impl\"]] = ++ni; il = il \"\\n\" $c[\"impl\"] } } next } "
f = shq(infile)
prep = "< awk -F, '".cols.names." $c[\"util\"] != \"\" { if ($c[\"workload\"] != w) { if (w != \"\") x++; w = $c[\"workload\"] } x++; print x \",0,\" mn[$c[\"mode\"]] \",\" $c[\"workers\"] \",\" 100 * $c[\"util\"] \",\" im[$c[\"impl\"]] }' ".f." ".f
nbars = system("awk -F, '".cols." $c[\"util\"] != \"\"' ".f." | wc -l") + 0
if (nbars == 0) { print "utilization: no util column in ".infile."; nothing to draw"; exit }
s_ = system("awk -F, '".cols.names."END { print nm ml; print ni il }' ".f)
nkinds = line1(s_) + 0
array MODE[nkinds > 0 ? nkinds : 1]
do for [i = 1:nkinds] { s_ = after1(s_); MODE[i] = line1(s_) }
s_ = after1(s_)
array IMPL[line1(s_) + 0 > 0 ? line1(s_) + 0 : 1]
do for [i = 1:line1(s_) + 0] { s_ = after1(s_); IMPL[i] = line1(s_) }
# Each workload's name under its group: the count, then a position and a
# name a group.
s_ = system("awk -F, '".cols." $c[\"util\"] != \"\" { if ($c[\"workload\"] != w) { if (w != \"\") { out = out \"\\n\" (a + x) / 2 \"\\n\" w; n++; x++ } w = $c[\"workload\"]; a = x + 1 } x++ } END { if (w != \"\") { out = out \"\\n\" (a + x) / 2 \"\\n\" w; n++ } print n + 0 out }' ".f)
do for [i = 1:line1(s_) + 0] { s_ = after1(s_); at = line1(s_) + 0.0; s_ = after1(s_); set label "".line1(s_) at first at, graph -0.13 center font ",12" }
ymax = system("awk -F, '".cols." $c[\"util\"] != \"\" && 100 * $c[\"util\"] > m { m = 100 * $c[\"util\"] } END { print m + 0 }' ".f) + 0.0

set title sprintf("CPU utilization per run: (user + sys) / (wall x min(workers, cores))%s", subtitle eq '' ? '' : "\n".subtitle)
set ylabel 'utilization of the usable cores (%)'
set xlabel ''
set grid ytics lc rgb '#dddddd'
set xtics rotate by 0 nomirror font ',8'
set ytics nomirror
set border 3
set bmargin 7
set key outside right top vertical title 'executor' box
set xrange [0.3:*]
set yrange [0:(ymax > 110 ? ymax * 1.1 : 115)]
set offsets 0.5, 0.5, 0, 0
set style fill solid 0.85 border -1
set arrow from graph 0, first 100 to graph 1, first 100 nohead lw 1.5 dt 2 lc rgb '#333333' front
bar = 0.38
short(m) = m eq 'thread' ? 'thr' : m eq 'process' ? 'proc' : m eq 'thread-gil' ? 'gil' : m
lbl(m, w, i) = (i eq 'c' ? '' : i.' ').(dumb ? short(m)." x".w : m."\nx".w)
if (dumb) {
    set key off
    plot prep using 1:5:($1 - bar):($1 + bar):(0):5:xtic(lbl(MODE[int($3)], strcol(4), IMPL[int($6)])) with boxxyerror notitle, \
         prep using 1:($5 + 4):(sprintf("%.0f%%", $5)) with labels notitle
} else {
    set label "xN: N workers; dashed line: every usable core busy all run long (download and async wait on the network, not the CPU)" at screen 0.99, screen 0.02 right font ',8' tc rgb '#666666'
    plot for [k = 1:nkinds] prep using 1:($3 == k ? $5 : NaN):($1 - bar):($1 + bar):(0):5:(kind_color(MODE[k])) \
             with boxxyerror lc rgb variable title MODE[k], \
         prep using 1:5:xtic(lbl(MODE[int($3)], strcol(4), IMPL[int($6)])) with points pt -1 notitle, \
         prep using 1:($5 + ymax * 0.03 + 1):(sprintf("%.0f%%", $5)) with labels font ',9' notitle
}
