# scaling.gp -- speedup against the number of workers for each (workload,
# mode) swept over several worker counts (--workers 1,2,4,...), beside the
# ideal y = x, with Amdahl's law fitted to each series.
# gnuplot -c plots/scaling.gp results/summary.csv pngcairo plots/scaling.png SUBTITLE 2
#
# The fit is of each pool's own scaling: speedups are divided by the one at
# the series' smallest worker count w0, so that a pool's fixed overhead
# (which can make one worker slower than seq) is not read as serial work:
#     S(n) = S(w0) * amdahl(n, s) / amdahl(w0, s),
#     amdahl(n, s) = 1 / (s + (1 - s) / n),   s = the serial fraction.
# With `cores` given (plots/draw reads it from meta.txt) only points with
# workers <= cores are fitted: past that the curve flattens for want of
# cores, not because of serial work. A series with fewer than three such
# points gets no curve, and its key entry says so: one parameter through
# two points always fits, and drawn out to 8 workers a two-point fit rose
# to 6x above data flat at 1.9x.
if (ARGC > 0) { infile = ARG1; term = ARG2; outfile = ARG3; subtitle = ARG4; cores = ARG5 eq '' ? 0 : ARG5 + 0 }
if (!exists("infile")) infile = 'results/summary.csv'
load 'plots/common.gp'

# Series with at least two worker counts, "workload/mode" (py/... for
# Python's rows), in order of appearance. Every program reads the file
# twice: the first pass finds the series; pick(si) is the si-th
# (-v si=N: numbers are all that a command line takes from here).
key = "($1 == \"python\" ? \"py/\" : \"\") $2 \"/\" $3"
pre = "NR == FNR { if (FNR > 1 && $3 != \"seq\" && $14 != \"\") { k = ".key."; if (!((k, $4) in seen)) { seen[k, $4] = 1; n[k]++ } if (!(k in order)) { order[k] = ++m; name[m] = k } } next } function pick(si,    i, j) { for (i = 1; i <= m; i++) if (n[name[i]] >= 2 && ++j == si) return name[i]; return \"\" } FNR == 1 { s = pick(si) } "
f = shq(infile)
awk(si) = sprintf("awk -F, -v si=%d -v fm=%g '", si, fitmax).pre
fitmax = exists("cores") && cores > 0 ? cores : 1e9
s_ = system(awk(0)."END { for (i = 1; i <= m; i++) if (n[name[i]] >= 2) { out = out \"\\n\" name[i]; ns++ } print ns + 0 out }' ".f." ".f)
n_series = line1(s_) + 0
if (n_series == 0) {
    print "scaling: no worker sweep in ".infile." (run with --workers 1,2,4,...); nothing to draw"
    exit
}
array SERIES[n_series]
do for [i = 1:n_series] { s_ = after1(s_); SERIES[i] = line1(s_) }
size = system("awk -F, 'NR == 2 { printf \"%s\", $6 }' ".f)
maxw = system("awk -F, 'NR > 1 && $4 + 0 > m { m = $4 + 0 } END { print m }' ".f) + 0
fitnote = fitmax < 1e9 ? sprintf(", fitted on workers <= %d cores", fitmax) : ""

# The points of series i: workers, speedup, err, sorted by workers.
data(i) = "< ".awk(i)."FNR > 1 && ".key." == s && $14 != \"\" { print $4 \",\" $14 \",\" ($15 == \"\" ? 0 : $15) }' ".f." ".f." | sort -t, -k1,1n"
# "w0 S(w0) nfit": smallest worker count, its speedup, points within fitmax.
info(i) = system(awk(i)."FNR > 1 && ".key." == s && $14 != \"\" { if (cnt++ == 0 || $4 + 0 < w0) { w0 = $4 + 0; s0 = $14 } if ($4 + 0 <= fm) nf++ } END { printf \"%g %g %d\", w0, s0, nf }' ".f." ".f)

set fit quiet
set fit logfile '/dev/null'
set fit limit 1e-9
amdahl(x, s) = 1.0 / (s + (1.0 - s) / x)
array S[n_series]
array W0[n_series]
array S0[n_series]
array NFIT[n_series]
do for [i = 1:n_series] {
    inf = info(i)
    W0[i] = word(inf, 1) + 0.0
    S0[i] = word(inf, 2) + 0.0
    NFIT[i] = word(inf, 3) + 0
    S[i] = NaN
    if (NFIT[i] >= 3) {
        w0 = W0[i]
        s0 = S0[i]
        s = 0.1
        f(x) = amdahl(x, s) / amdahl(w0, s)
        fit f(x) data(i) using ($1 <= fitmax ? $1 : NaN):($2 / s0) via s
        S[i] = s
    }
}
# A fit outside 0..1 is not Amdahl's law (superlinear, or slower with more
# workers): no curve is drawn for it, only the label says so.
curve(x, i) = S[i] != S[i] || S[i] < 0 || S[i] > 1 ? NaN : S0[i] * amdahl(x, S[i]) / amdahl(W0[i], S[i])
within = fitmax < 1e9 ? sprintf(" <= %d cores", fitmax) : ""
sname(i) = S[i] != S[i] ? sprintf("no fit: %d point%s%s, Amdahl needs 3", NFIT[i], NFIT[i] == 1 ? "" : "s", within) : \
    S[i] > 1 ? "s > 1: slower with more workers" : S[i] < 0 ? "s < 0: superlinear" : sprintf("serial fraction s = %.2f", S[i])
mode_of(k) = k[strstrt(k, "/") + 1:]

set title sprintf("Scaling with workers (size '%s'): speedup over sequential; dotted: Amdahl fit on 3+ points%s%s", size, fitnote, subtitle eq '' ? '' : "\n".subtitle)
set xlabel 'workers'
set ylabel 'speedup (x sequential, log scale)'
set logscale x 2
set logscale y 2
set format y '%gx'
set xrange [0.8:maxw * 1.25]
set grid xtics ytics lc rgb '#dddddd'
set key top left opaque box spacing 1.2
set border 3
set xtics nomirror
set ytics nomirror
set samples 200
if (fitmax < 1e9) {
    set arrow from fitmax, graph 0 to fitmax, graph 1 nohead lc rgb '#aaaaaa' dt 4
    set label sprintf("%d usable cores", fitmax) at first fitmax, graph 0.04 offset 0.5, 0 left tc rgb '#777777'
}
plot x with lines dt 2 lc rgb '#555555' title 'ideal (y = x)', \
     for [i = 1:n_series] data(i) using 1:2:3 with yerrorlines \
         lw 2 pt 7 ps 1.2 lc rgb kind_color(mode_of(SERIES[i])) dt i \
         title sprintf("%s (%s)", SERIES[i], sname(i)), \
     for [i = 1:n_series] curve(x, i) with lines lw 1.5 \
         lc rgb kind_color(mode_of(SERIES[i])) dt 3 notitle
