# timeline.gp -- where each task ran and when, from tasks.csv (cfbench run
# --trace): one panel per mode, one lane per worker, one bar per task from
# its start to its end, for one run of one workload (the last traced run of
# each mode). All panels share one time axis, so that the modes compare at
# a glance: busy lanes side by side in `process`, lanes taking turns in
# `thread-gil`, one lane in `seq`, and the white gaps that the pool's
# per-task cost leaves between tiny tasks.
# gnuplot -e "infile='results/tasks.csv'; workload='prime'; term='pngcairo';
#             outfile='plots/timeline.png'" plots/timeline.gp
if (!exists("infile")) infile = 'results/tasks.csv'
if (!exists("workload")) workload = ''
load 'plots/common.gp'

# The workload: the one asked for, else prime if traced, else the first.
if (workload eq '') workload = system(sprintf("awk -F, 'NR > 1 && $3 == \"prime\" { print \"prime\"; exit }' '%s'", infile))
if (workload eq '') workload = system(sprintf("awk -F, 'NR == 2 { printf \"%%s\", $3 }' '%s'", infile))
if (workload eq '') { print "timeline: no rows in ".infile."; nothing to draw"; exit }
# Per mode, in the order the modes first appear: its last run_id, as
# "mode=run_id" words.
runs = system(sprintf("awk -F, -v w='%s' 'NR > 1 && $3 == w { if (!($4 in last)) order[++n] = $4; last[$4] = $1 } END { for (i = 1; i <= n; i++) printf \"%%s=%%s \", order[i], last[order[i]] }' '%s'", workload, infile))
npanels = words(runs)
if (npanels == 0) { print "timeline: workload ".workload." not in ".infile."; nothing to draw"; exit }
mode_of(w) = w[1:strstrt(w, '=') - 1]
run_of(w) = w[strstrt(w, '=') + 1:]
# The selected runs' rows: run, worker, start_ms, end_ms, workers, tasks.
sel(r) = sprintf("< awk -F, -v r='%s' 'NR > 1 && $1 == r { print $9 \",\" $11 / 1000 \",\" $12 / 1000 \",\" $5 }' '%s'", r, infile)
# Shared axis: the latest end (or collect) over the selected runs.
xmax = 0
do for [i = 1:npanels] {
    m = system(sprintf("awk -F, -v r='%s' 'NR > 1 && $1 == r { e = ($13 > $12 ? $13 : $12) / 1000; if (e > m) m = e } END { print m + 0 }' '%s'", run_of(word(runs, i)), infile)) + 0.0
    if (m > xmax) { xmax = m }
}
info(r) = system(sprintf("awk -F, -v r='%s' 'NR > 1 && $1 == r { n++; w = $5; c = $6; if ($12 - $11 > 0) busy += $12 - $11; e = ($13 > $12 ? $13 : $12); if (e > t) t = e } END { printf \"%%d tasks, %%d worker%%s, chunksize %%d: done at %%.3g ms, lanes busy %%.0f%%%% of it\", n, w, (w == 1 ? \"\" : \"s\"), c, t / 1000, (t > 0 ? 100 * busy / (t * w) : 0) }' '%s'", r, infile))
lanes(r) = system(sprintf("awk -F, -v r='%s' 'NR > 1 && $1 == r { w = $5 } END { print w + 0 }' '%s'", r, infile)) + 0

# Taller than the other charts: one band per mode.
ht = 170 * npanels + 120
if (term eq 'pngcairo') { set terminal pngcairo size 1100,ht enhanced font 'DejaVu Sans,10' noenhanced }
if (term eq 'png') { set terminal png size 1100,ht noenhanced }
if (term eq 'svg') { set terminal svg size 1100,ht dynamic noenhanced font 'DejaVu Sans,10' }
if (term eq 'dumb') { set terminal dumb size 110,(12 * npanels + 4) noenhanced }
if (outfile ne '') set output outfile

set multiplot layout npanels, 1 title sprintf("Per-worker timeline: one run of '%s' per mode (bar: a task from start to end; white: idle)%s", workload, subtitle eq '' ? '' : "\n".subtitle)
set xrange [0:xmax * 1.02]
set style fill solid 0.9 noborder
set grid xtics lc rgb '#e0e0e0'
set key off
set lmargin 12
set rmargin 3
do for [i = 1:npanels] {
    r = run_of(word(runs, i))
    k = mode_of(word(runs, i))
    nl = lanes(r)
    set yrange [-0.6:nl - 0.4]
    set ytics 1 out nomirror
    if (nl > 8) { set ytics 2 }
    set ylabel k." lanes" offset 1,0
    set title info(r) font ',9'
    set xlabel (i == npanels ? 'ms since the run started (timer start: pool creation included)' : '')
    plot sel(r) using (($2 + $3) / 2):1:2:3:($1 - 0.38):($1 + 0.38) with boxxyerror lc rgb kind_color(k)
}
unset multiplot
