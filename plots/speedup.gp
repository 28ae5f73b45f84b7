# speedup.gp -- speedup of each workload and mode over sequential, from
# summary.csv: one bar per (workload, mode, workers) rising from 1 (faster)
# or hanging below it (slower) on a log axis, with its error bar.
# gnuplot -c plots/speedup.gp results/summary.csv pngcairo plots/speedup.png [SUBTITLE]
if (ARGC > 0) { infile = ARG1; term = ARG2; outfile = ARG3; subtitle = ARG4 }
if (!exists("infile")) infile = 'results/summary.csv'
load 'plots/common.gp'
basefn = "function base() { if ($3 == \"loop\") hl[$1 FS $2] = 1; return $3 == \"loop\" || ($3 == \"seq\" && !(($1 FS $2) in hl)) } "

# awk numbers the bars, leaving a gap between workloads; each language's
# base row (its loop; its seq in results from before the loop existed:
# base(), which relies on loop's rows coming before seq's, as cfbench
# writes them) is 1 by definition and gets no bar; seq, where a loop ran,
# is a bar like the pools (the executor's own cost). Output:
# x, 0, kind (the number of MODE, or py-MODE for Python's rows, in KIND),
# workers, speedup, err, 0, lo, hi -- lo and hi are the bootstrap interval
# (speedup_lo, speedup_hi), or speedup -/+ err in a summary from before
# they existed. A first pass numbers the kinds.
kind = basefn."function kind() { return ($1 == \"python\" ? \"py-\" : \"\") $3 } "
kind = kind."function number_kind() { if (FNR > 1 && !base() && !(kind() in kn)) { kn[kind()] = ++nk; kl = kl \"\\n\" kind() } } "
f = shq(infile)
prep = "< awk -F, '".kind."NR == FNR { number_kind(); next } FNR > 1 && !base() && $14 != \"\" { if ($2 != w) { if (w != \"\") x++; w = $2 } x++; e = ($15 == \"\" ? 0 : $15); print x \",0,\" kn[kind()] \",\" $4 \",\" $14 \",\" e \",0,\" ($17 == \"\" ? $14 - e : $17) \",\" ($18 == \"\" ? $14 + e : $18) }' ".f." ".f
s_ = system("awk -F, '".kind."{ number_kind() } END { print nk kl }' ".f)
nkinds = line1(s_) + 0
array KIND[nkinds > 0 ? nkinds : 1]
do for [i = 1:nkinds] { s_ = after1(s_); KIND[i] = line1(s_) }
# Each workload's group: where its label goes, its name, and the baseline
# its bars are measured against: each language's own base median (C bars
# against C's loop, Python bars against Python's); in text, shorter: "vs C
# 16.7 ms, Py 237 ms". Printed as the count, then three lines a group.
fmtms = "function ms(v) { return v >= 1000 ? sprintf(\"%.3g s\", v / 1000) : v >= 1 ? sprintf(\"%.3g ms\", v) : sprintf(\"%.3g us\", v * 1000) } "
s_ = system("awk -F, -v d=".dumb." '".fmtms.basefn."NR == FNR { if (FNR > 1 && base()) bs[$2] = bs[$2] (bs[$2] == \"\" ? \"\" : \", \") ($1 == \"python\" ? (d ? \"Py\" : \"Python \" $3) : (d ? \"C\" : \"C \" $3)) \" \" ms($11); next } function group(w, at) { out = out \"\\n\" at \"\\n\" w \"\\nvs \" bs[w]; n++ } FNR > 1 && !base() && $14 != \"\" { if ($2 != w) { if (w != \"\") { group(w, (a + x) / 2); x++ } w = $2; a = x + 1 } x++ } END { if (w != \"\") group(w, (a + x) / 2); print n + 0 out }' ".f." ".f)
ngroups = line1(s_) + 0
do for [i = 1:ngroups] {
    s_ = after1(s_); at = line1(s_) + 0.0
    s_ = after1(s_); set label "".line1(s_) at first at, graph -0.12 center font ",12"
    s_ = after1(s_); set label "".line1(s_) at first at, graph -0.17 center font ",8" tc rgb "#555555"
}
size = system("awk -F, 'NR == 2 { printf \"%s\", $6 }' ".f)
yr = system("awk -F, '".basefn."NR > 1 && !base() && $14 != \"\" { lo = ($17 == \"\" ? $14 - $15 : $17); hi = ($18 == \"\" ? $14 + $15 : $18); if (n++ == 0 || lo < a) a = lo; if (n == 1 || hi > b) b = hi } END { if (a <= 0) a = $14 / 2; printf \"%g %g\", a, b }' ".f)
ymin = word(yr, 1) + 0.0
ymax = word(yr, 2) + 0.0
nbars = system("awk -F, '".basefn."NR > 1 && !base() && $14 != \"\"' ".f." | wc -l") + 0
if (nbars == 0) { print "speedup: no rows besides the base (loop, or seq) in ".infile."; nothing to draw"; exit }

set title sprintf("Speedup over sequential: each bar against its own language's plain loop (median run, size '%s')%s", size, subtitle eq '' ? '' : "\n".subtitle)
set ylabel 'speedup (x sequential, log scale; below 1 = slower)'
set xlabel ''
set logscale y 2
set format y '%.2gx'
set grid ytics lc rgb '#dddddd'
set xtics rotate by 0 nomirror font ',9'
set ytics nomirror
set border 3
set bmargin 7
set key outside right top vertical title 'executor' box
set xrange [0.3:*]
set yrange [(ymin < 0.67 ? ymin / 1.5 : 0.5):(ymax > 1.33 ? ymax * 1.5 : 2)]
set offsets 0.5, 0.5, 0, 0
set style fill solid 0.85 border -1
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 1.5 dt 2 lc rgb '#333333' front
bar = 0.38
# Value labels sit past the end of the error bar (lo..hi).
up(s, lo, hi) = s >= 1 ? (hi > s ? hi : s) * 1.1 : (lo > 0 && lo < s ? lo : s) / 1.1
short(m) = m eq 'thread' ? 'thr' : m eq 'process' ? 'proc' : m eq 'thread-gil' ? 'gil' : \
    m eq 'py-thread' ? (dumb ? 'py-t' : 'pythr') : m eq 'py-process' ? (dumb ? 'py-p' : 'pyproc') : m
# Many bars (C and Python side by side): shorter names under them.
tic(m) = nbars > 12 ? short(m) : m
fmtx(s) = s >= 10 ? sprintf("%.0fx", s) : sprintf("%.2gx", s)

if (dumb) {
    # Text has no colours: bars outlined from 1, the value on top, the mode
    # and its workers on two lines under each bar (on one, neighbours ran
    # together: "proc x2async x4"), the workload under its group.
    set title sprintf("Speedup over sequential (size '%s'; log scale, below 1x = slower)", size)
    set key off
    set ylabel ''
    set bmargin 5
    unset arrow
    set arrow from graph 0, first 1 to graph 1, first 1 nohead
    plot prep using 1:5:($1 - bar):($1 + bar):(1):5:xtic(short(KIND[int($3)])."\nx".strcol(4)) with boxxyerror notitle, \
         prep using 1:(up($5, $5, $5)):(fmtx($5)) with labels notitle
} else {
    set label "xN: N workers; bar: median speedup; whisker: its 95% bootstrap interval (speedup_lo..speedup_hi, see bench/stats.h)" at screen 0.99, screen 0.02 right font ',8' tc rgb '#666666'
    plot for [k = 1:nkinds] prep using 1:($3 == k ? $5 : NaN):($1 - bar):($1 + bar):(1):5:(kind_color(KIND[k])) \
             with boxxyerror lc rgb variable title KIND[k], \
         prep using 1:5:($8 > 0 ? $8 : $5 / 1e3):9:xtic(tic(KIND[int($3)])."\nx".strcol(4)) \
             with yerrorbars lc rgb '#000000' pt 7 ps 0.5 lw 1.2 notitle, \
         prep using 1:(up($5, $8, $9)):(fmtx($5)) with labels font ',9' notitle
}
