# scaling.gp -- speedup against the number of workers for each (workload,
# mode) swept over several worker counts (--workers 1,2,4,...), beside the
# ideal y = x, with Amdahl's law fitted to each series: speedup(n) =
# 1 / (s + (1 - s) / n), s the serial fraction.
# gnuplot -e "infile='results/summary.csv'; term='pngcairo'; cores=2;
#             outfile='plots/scaling.png'" plots/scaling.gp
if (!exists("infile")) infile = 'results/summary.csv'
load 'plots/common.gp'

# Series with at least two worker counts, as "workload/mode" words.
series = system(sprintf("awk -F, 'NR > 1 && $3 != \"seq\" && $14 != \"\" { k = $2 \"/\" $3; if (!((k, $4) in seen)) { seen[k, $4] = 1; n[k]++ } if (!(k in order)) { order[k] = ++m; name[m] = k } } END { for (i = 1; i <= m; i++) if (n[name[i]] >= 2) printf \"%%s \", name[i] }' '%s'", infile))
if (words(series) == 0) {
    print "scaling: no worker sweep in ".infile." (run with --workers 1,2,4,...); nothing to draw"
    exit
}
size = system(sprintf("awk -F, 'NR == 2 { printf \"%%s\", $6 }' '%s'", infile))
maxw = system(sprintf("awk -F, 'NR > 1 && $4 + 0 > m { m = $4 + 0 } END { print m }' '%s'", infile)) + 0
# One block per series (separated by two blank lines, for `index`):
# workers, speedup, err.
data(k) = sprintf("< awk -F, -v k='%s' 'NR > 1 && $2 \"/\" $3 == k && $14 != \"\" { print $4 \",\" $14 \",\" ($15 == \"\" ? 0 : $15) }' '%s' | sort -t, -k1,1n", k, infile)

# With `cores` given (from meta.txt), fit only where each worker can have a
# core of its own: beyond that the curve flattens for want of cores, which
# is not serial work.
fitmax = exists("cores") && cores > 0 ? cores : 1e9
fitnote = fitmax < 1e9 ? sprintf(" (fitted on workers <= %d cores)", fitmax) : ""
set fit quiet
set fit logfile '/dev/null'
set fit limit 1e-9
amdahl(x, s) = 1.0 / (s + (1.0 - s) / x)
array S[words(series)]
do for [i = 1:words(series)] {
    s = 0.1
    f(x) = amdahl(x, s)
    fit f(x) data(word(series, i)) using ($1 <= fitmax ? $1 : NaN):2 via s
    S[i] = s
}

set title sprintf("Scaling with workers (size '%s'): speedup over sequential, Amdahl fit%s%s", size, fitnote, subtitle eq '' ? '' : "\n".subtitle)
set xlabel 'workers'
set ylabel 'speedup (x sequential)'
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
mode_of(k) = k[strstrt(k, "/") + 1:]
plot x with lines dt 2 lc rgb '#555555' title 'ideal (y = x)', \
     for [i = 1:words(series)] data(word(series, i)) using 1:2:3 with yerrorlines \
         lw 2 pt 7 ps 1.2 lc rgb kind_color(mode_of(word(series, i))) dt i \
         title sprintf("%s (s = %.2f)", word(series, i), S[i]), \
     for [i = 1:words(series)] amdahl(x, S[i]) with lines lw 1.5 \
         lc rgb kind_color(mode_of(word(series, i))) dt 3 \
         title (i == 1 ? 'Amdahl fit (dotted)' : '')
