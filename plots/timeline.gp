# timeline.gp -- how busy each worker was over one run, from tasks.csv
# (cfbench run --trace): one panel per mode, one lane per worker, for one
# run of one workload (the last traced run of each mode). With a second
# file (infile2: the same run at another chunksize, e.g. --chunksize 64)
# the two stand side by side, one column each.
#
# Tasks of a microsecond drawn as bars from start to end are invisible at
# the scale of the run (a lane "busy 1%" looked empty). So time is cut
# into BINS bins and each bin of each lane is shaded by the share of it
# the lane spent running tasks: light grey when idle, and from a clear
# tint (any work at all) to the mode's full colour (busy all the bin). The
# shade grows with the square root of the share, so 1% still shows. Each lane's
# own busy share is written beside it. All panels of a column share one
# time axis, so that the modes compare at a glance: busy lanes side by side
# in `process`, lanes taking turns in `thread-gil`, one lane in `seq`.
# gnuplot -e "infile='results/trace/tasks.csv'; infile2='results/trace64/tasks.csv';
#             workload='prime'; term='pngcairo'; outfile='plots/timeline.png'" plots/timeline.gp
if (!exists("infile")) infile = 'results/tasks.csv'
if (!exists("infile2")) infile2 = ''
if (!exists("workload")) workload = ''
load 'plots/common.gp'
BINS = 80

# The workload: the one asked for, else prime if traced, else the first.
if (workload eq '') workload = system(sprintf("awk -F, 'NR > 1 && $3 == \"prime\" { print \"prime\"; exit }' '%s'", infile))
if (workload eq '') workload = system(sprintf("awk -F, 'NR == 2 { printf \"%%s\", $3 }' '%s'", infile))
if (workload eq '') { print "timeline: no rows in ".infile."; nothing to draw"; exit }
files = infile
if (infile2 ne '') {
    has2 = system(sprintf("awk -F, -v w='%s' 'NR > 1 && $3 == w { n++ } END { print n + 0 }' '%s'", workload, infile2)) + 0
    if (has2 > 0) { files = infile.' '.infile2 }
}
ncols = words(files)
# Per mode of the first file, in order of appearance: its last run_id in
# each file, as "mode=run_id" words.
runs(f) = system(sprintf("awk -F, -v w='%s' 'NR > 1 && $3 == w { if (!($4 in last)) order[++n] = $4; last[$4] = $1 } END { for (i = 1; i <= n; i++) printf \"%%s=%%s \", order[i], last[order[i]] }' '%s'", workload, f))
array RUNS[ncols]
do for [c = 1:ncols] { RUNS[c] = runs(word(files, c)) }
nrows = words(RUNS[1])
if (nrows == 0) { print "timeline: workload ".workload." not in ".infile."; nothing to draw"; exit }
mode_of(w) = w[1:strstrt(w, '=') - 1]
run_of(w) = w[strstrt(w, '=') + 1:]
# The run of mode k in column c ('' if that file lacks it).
run_in(c, k) = (s_ = ' '.RUNS[c], p_ = strstrt(s_, ' '.k.'='), p_ == 0 ? '' : run_of(word(s_[p_ + 1:], 1)))
# Shared axis per column: the latest end (or collect) over its runs, in ms.
span(f, r) = system(sprintf("awk -F, -v r='%s' 'NR > 1 && $1 == r { e = ($13 > $12 ? $13 : $12) / 1000; if (e > m) m = e } END { print m + 0 }' '%s'", r, f)) + 0.0
array XMAX[ncols]
do for [c = 1:ncols] {
    XMAX[c] = 0
    do for [i = 1:nrows] {
        r = run_in(c, mode_of(word(RUNS[1], i)))
        if (r ne '') { m = span(word(files, c), r); if (m > XMAX[c]) { XMAX[c] = m } }
    }
}
info(f, r) = system(sprintf("awk -F, -v r='%s' 'NR > 1 && $1 == r { n++; w = $5; c = $6; if ($12 - $11 > 0) busy += $12 - $11; e = ($13 > $12 ? $13 : $12); if (e > t) t = e } END { printf \"%%d tasks, %%d worker%%s, chunksize %%d: done at %%.3g ms, lanes busy %%.0f%%%% of it\", n, w, (w == 1 ? \"\" : \"s\"), c, t / 1000, (t > 0 ? 100 * busy / (t * w) : 0) }' '%s'", r, f))
lanes(f, r) = system(sprintf("awk -F, -v r='%s' 'NR > 1 && $1 == r { w = $5 } END { print w + 0 }' '%s'", r, f)) + 0
# The busy bins of run r over [0, T] ms: centre, lane, half width, share.
bins(f, r, T) = sprintf("< awk -F, -v r='%s' -v T=%g -v B=%d 'NR > 1 && $1 == r { s = $11 / 1000; e = $12 / 1000; if (e <= s) next; for (b = int(s / T * B); b < B && b * T / B < e; b++) { lo = b * T / B; hi = lo + T / B; o = (e < hi ? e : hi) - (s > lo ? s : lo); if (o > 0) busy[$9 \",\" b] += o } } END { for (k in busy) { split(k, p, \",\"); print (p[2] + 0.5) * T / B \",\" p[1] \",\" T / B / 2 \",\" busy[k] / (T / B) } }' '%s'", r, T, BINS, f)
# Lane labels with each lane's busy share of the run: set ytics (...).
lane_tics(f, r) = system(sprintf("awk -F, -v r='%s' 'NR > 1 && $1 == r { w = $5; if ($12 > $11) busy[$9] += $12 - $11; e = ($13 > $12 ? $13 : $12); if (e > t) t = e } END { printf \"set ytics (\"; for (i = 0; i < w; i++) printf \"%%s\\\"%%d: %%.3g%%%%%%%%\\\" %%d\", (i ? \", \" : \"\"), i, (t > 0 ? 100 * busy[i] / t : 0), i; print \")\" }' '%s'", r, f))

blend(c, f) = (int(255 - (255 - (c >> 16 & 255)) * f) << 16) + (int(255 - (255 - (c >> 8 & 255)) * f) << 8) + int(255 - (255 - (c & 255)) * f)
shade(f) = f <= 0 ? 0 : 0.45 + 0.55 * sqrt(f > 1 ? 1 : f)

# Taller than the other charts: one band per mode.
ht = 170 * nrows + 130
wd = ncols > 1 ? 1400 : 1100
if (term eq 'pngcairo') { set terminal pngcairo size wd,ht enhanced font 'DejaVu Sans,10' noenhanced }
if (term eq 'png') { set terminal png size wd,ht noenhanced }
if (term eq 'svg') { set terminal svg size wd,ht dynamic noenhanced font 'DejaVu Sans,10' }
if (term eq 'dumb') { set terminal dumb size 110,(12 * nrows + 4) noenhanced }
if (outfile ne '') set output outfile

set multiplot layout nrows, ncols rowsfirst title sprintf("How busy each worker was: one run of '%s' per mode%s\nshade: the share of each time bin a lane ran tasks, pale (a little) to full colour (all of it); grey: idle; lane label: its busy share%s", workload, ncols > 1 ? ", chunksize as traced (left) and larger (right)" : "", subtitle eq '' ? '' : "\n".subtitle)
set style fill solid 1.0 noborder
set grid xtics lc rgb '#e0e0e0' front
set key off
set lmargin 13
set rmargin 3
do for [i = 1:nrows] {
    k = mode_of(word(RUNS[1], i))
    do for [c = 1:ncols] {
        f = word(files, c)
        r = run_in(c, k)
        T = XMAX[c] * 1.02
        set xrange [0:T]
        set xlabel (i == nrows ? 'ms since the run started (pool creation included)' : '')
        if (r eq '') {
            set title 'not traced' font ',9'
            set yrange [0:1]
            unset ytics
            plot NaN notitle
        } else {
            nl = lanes(f, r)
            set yrange [-0.6:nl - 0.4]
            eval lane_tics(f, r)
            set ytics out nomirror font ',9'
            set ylabel k offset 1,0
            set title info(f, r) font ',9'
            do for [l = 0:nl - 1] {
                set object (l + 1) rectangle from 0, l - 0.42 to T, l + 0.42 fc rgb '#f0f0f0' fs solid 1.0 noborder behind
            }
            plot bins(f, r, T) using 1:2:($1 - 1.05 * $3):($1 + 1.05 * $3):($2 - 0.42):($2 + 0.42):(blend(kind_color(k), shade($4))) \
                with boxxyerror lc rgb variable notitle
            unset object
        }
    }
}
unset multiplot
