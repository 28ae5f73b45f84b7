# abstime.gp -- how long each run took, not how much faster: the median wall
# time of every (workload, mode) on a log axis, C's bar and Python's side by
# side (rows of `cfbench run --impl all`). The speedup chart divides each
# language by its own seq and so hides that Python's sequential prime takes
# 14 times C's; here both stand on one time axis, and each Python bar says
# how many times C's it is.
# gnuplot -c plots/abstime.gp results/python/summary.csv pngcairo plots/abstime.png [SUBTITLE]
if (ARGC > 0) { infile = ARG1; term = ARG2; outfile = ARG3; subtitle = ARG4 }
if (!exists("infile")) infile = 'results/summary.csv'
load 'plots/common.gp'

# Columns by name; programs joined with "." (sprintf() cuts long strings).
cols = "NR == FNR && FNR == 1 { for (i = 1; i <= NF; i++) c[$i] = i } "
# Pass 1 gives each (workload, mode) a slot, in order of appearance, with a
# gap between workloads, notes C's median, and numbers the kinds (MODE, or
# py-MODE for Python's rows) in order of appearance; pass 2 prints one bar
# per row: x, 0, 0, kind, median_ms, workers, times C's (Python rows).
kind = "($c[\"impl\"] == \"python\" ? \"py-\" : \"\") $c[\"mode\"]"
slots = "NR == FNR && FNR > 1 { k = $c[\"workload\"] SUBSEP $c[\"mode\"]; if (!(k in x)) { if ($c[\"workload\"] != w) { if (w != \"\") n += 0.8; w = $c[\"workload\"] } x[k] = ++n } if ($c[\"impl\"] != \"python\") cm[k] = $c[\"median_ms\"]; m = ".kind."; if (!(m in kn)) { kn[m] = ++nk; kl = kl \"\\n\" m } next } "
f = shq(infile)
prep = "< awk -F, '".cols.slots."FNR > 1 { k = $c[\"workload\"] SUBSEP $c[\"mode\"]; py = $c[\"impl\"] == \"python\"; r = (py && cm[k] > 0) ? $c[\"median_ms\"] / cm[k] : 0; print x[k] + (py ? 0.21 : -0.21) \",0,0,\" kn[".kind."] \",\" $c[\"median_ms\"] \",\" $c[\"workers\"] \",\" r }' ".f." ".f
nbars = system("awk -F, 'NR > 1 && $0 != \"\"' ".f." | wc -l") + 0
if (nbars == 0) { print "abstime: no rows in ".infile."; nothing to draw"; exit }
s_ = system("awk -F, '".cols.slots."END { print nk kl }' ".f." ".f)
nkinds = line1(s_) + 0
array KIND[nkinds > 0 ? nkinds : 1]
do for [i = 1:nkinds] { s_ = after1(s_); KIND[i] = line1(s_) }
has_py = system("awk -F, '".cols."FNR > 1 && $c[\"impl\"] == \"python\" { n++ } END { print n + 0 }' ".f) + 0
yr = system("awk -F, '".cols."FNR > 1 && $c[\"median_ms\"] > 0 { v = $c[\"median_ms\"] + 0; if (n++ == 0 || v < a) a = v; if (v > b) b = v } END { printf \"%g %g\", a, b }' ".f)
ymin = word(yr, 1) / 4000.0
ymax = word(yr, 2) * 30.0 / 1000
size = system("awk -F, '".cols."FNR == 2 { printf \"%s\", $c[\"size\"] }' ".f)

# Mode names under each pair (a tic at each slot), workload names under
# each group: awk prints the count, then a position and a name a pair. A
# tic's label is a format (gnuplot's gprintf): its % are doubled.
s_ = system("awk -F, '".cols.slots."END { for (k in x) { split(k, p, SUBSEP); gsub(/%/, \"%%\", p[2]); out = out \"\\n\" x[k] \"\\n\" p[2]; cnt++ } print cnt + 0 out }' ".f." ".f)
set xtics ()
do for [i = 1:line1(s_) + 0] { s_ = after1(s_); at = line1(s_) + 0.0; s_ = after1(s_); lab = line1(s_); set xtics add (lab at) }
s_ = system("awk -F, '".cols.slots."END { for (k in x) { split(k, p, SUBSEP); if (!(p[1] in lo) || x[k] < lo[p[1]]) lo[p[1]] = x[k]; if (x[k] > hi[p[1]]) hi[p[1]] = x[k] } for (w in lo) { out = out \"\\n\" (lo[w] + hi[w]) / 2 \"\\n\" w; cnt++ } print cnt + 0 out }' ".f." ".f)
do for [i = 1:line1(s_) + 0] { s_ = after1(s_); at = line1(s_) + 0.0; s_ = after1(s_); set label "".line1(s_) at first at, graph -0.1 center font ",12" }
set title sprintf("Median wall time per run, log scale: %s (size '%s')%s", \
    has_py ? "C (solid) beside Python's concurrent.futures (pale; label: times C's)" : \
    "C only (cfbench run --impl all sets Python beside it)", size, subtitle eq '' ? '' : "\n".subtitle)
set ylabel 'median wall time (log scale)'
set logscale y 10
set yrange [ymin:ymax]
set format y '%.0s %cs'
set ytics scale 0.5
set mytics 10
set grid ytics mytics lc rgb '#e4e4e4', lc rgb '#f4f4f4'
set xtics nomirror scale 0 font ',10'
set ytics nomirror
set border 3
set bmargin 6
set xrange [0.3:*]
set offsets 0.3, 0.3, 0, 0
set key outside right top vertical title 'executor' box
set style fill solid 0.9 border -1
bar = 0.19
fmtms(v) = v >= 1000 ? sprintf("%.3g s", v / 1000) : v >= 1 ? sprintf("%.3g ms", v) : sprintf("%.3g µs", v * 1000)
lbl(v, r) = r > 0 ? sprintf("%s = %.2gx C", fmtms(v), r) : fmtms(v)
# Seconds on the axis: the CSV holds ms, gnuplot's %c prefixes want s.
plot for [k = 1:nkinds] prep using 1:($4 == k ? $5 / 1000 : NaN):($1 - bar):($1 + bar):(ymin):($5 / 1000):(kind_color(KIND[k])) \
         with boxxyerror lc rgb variable title KIND[k], \
     prep using 1:($5 / 1000 * 1.15):(lbl($5, $7)) with labels rotate by 90 left font ',8' notitle
