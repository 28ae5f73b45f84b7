# overhead.gp -- per-task cost of each executor on no-op tasks, from
# overhead.csv (executor,method,chunksize,tasks,us_per_task, written by
# `cfbench overhead`): one bar per (executor, method, chunksize) on a log
# axis, grouped by executor.
# gnuplot -e "infile='results/overhead.csv'; term='pngcairo';
#             outfile='plots/overhead.png'" plots/overhead.gp
if (!exists("infile")) infile = 'results/overhead.csv'
load 'plots/common.gp'

# x, executor, method, chunksize, us_per_task, tasks; a gap between
# executors.
prep = sprintf("< awk -F, 'NR > 1 && $5 != \"\" { if ($1 != e) { if (e != \"\") x++; e = $1 } x++; print x \",\" $1 \",\" $2 \",\" $3 \",\" $5 \",\" $4 }' '%s'", infile)
groups = system(sprintf("awk -F, 'NR > 1 && $5 != \"\" { if ($1 != e) { if (e != \"\") { printf \"set label \\\"%%s\\\" at first %%g, graph -0.1 center font \\\",12\\\"; \", e, (a + x) / 2; x++ } e = $1; a = x + 1 } x++ } END { if (e != \"\") printf \"set label \\\"%%s\\\" at first %%g, graph -0.1 center font \\\",12\\\"\", e, (a + x) / 2 }' '%s'", infile))
kinds = system(sprintf("awk -F, 'NR > 1 && !seen[$1]++ { printf \"%%s \", $1 }' '%s'", infile))
yr = system(sprintf("awk -F, 'NR > 1 && $5 > 0 { if (n++ == 0 || $5 < a) a = $5; if ($5 > b) b = $5 } END { printf \"%%g %%g\", a, b }' '%s'", infile))
if (words(kinds) == 0) { print "overhead: no rows in ".infile."; nothing to draw"; exit }
ymin = word(yr, 1) + 0.0
ymax = word(yr, 2) + 0.0

eval groups
set title sprintf("Per-task overhead of each executor (no-op tasks)%s", subtitle eq '' ? '' : "\n".subtitle)
set ylabel 'overhead per task (microseconds, log scale)'
set logscale y 10
set yrange [ymin / 3:ymax * 3]
set format y '%g'
set grid ytics lc rgb '#dddddd'
set xtics nomirror font ',9'
set ytics nomirror
set border 3
set bmargin 6
set key top left opaque box title "executor"
set offsets 0.5, 0.5, 0, 0
set style fill solid 0.85 border -1
bar = 0.38
label(m, c) = m eq 'map' ? sprintf("map c=%s", c) : m
usfmt(u) = u >= 10 ? sprintf("%.0f", u) : u >= 1 ? sprintf("%.1f", u) : sprintf("%.2f", u)

if (dumb) {
    unset label
    plot prep using 1:5:xtic(strcol(2)." ".label(strcol(3), strcol(4))) with impulses lw 2 notitle
} else {
    plot for [k in kinds] prep using 1:(strcol(2) eq k ? $5 : NaN):($1 - bar):($1 + bar):(ymin / 3):5:(kind_color(k)) \
             with boxxyerror lc rgb variable title k, \
         prep using 1:($5 * 1.25):(usfmt($5)):xtic(label(strcol(3), strcol(4))) with labels font ',9' notitle
}
