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
# gnuplot -c plots/timeline.gp results/trace/tasks.csv pngcairo plots/timeline.png \
#     SUBTITLE 0 results/trace64/tasks.csv prime
if (ARGC > 0) { infile = ARG1; term = ARG2; outfile = ARG3; subtitle = ARG4; infile2 = ARG6; workload = ARG7 }
if (!exists("infile")) infile = 'results/tasks.csv'
if (!exists("infile2")) infile2 = ''
if (!exists("workload")) workload = ''
load 'plots/common.gp'
BINS = 80

# Every program reads infile first, to number its workloads and the modes
# of workload number wi in order of appearance (w, and mode number mi:
# -v wi=N -v mi=N, numbers being all that a command line takes from
# here); some then read a file once to find the run r (the last of that
# mode), and again to read that run's rows (pass 3).
pre = "FNR == 1 { pass++ } pass == 1 { if (FNR > 1) { if (!($3 in wnum)) { wnum[$3] = ++nwl; wlist = wlist \"\\n\" $3; if (nwl == wi) w = $3 } if ($3 == w && !($4 in mnum)) { mnum[$4] = ++nmd; mlist = mlist \"\\n\" $4; if (nmd == mi) mode = $4 } } next } "
findrun = "pass == 2 { if (FNR > 1 && $3 == w && $4 == mode) r = $1; next } "
f1 = shq(infile)
awk(mi) = sprintf("awk -F, -v wi=%d -v mi=%d '", wi, mi).pre
# A program over run r of mode i in file f: PROGRAM 'infile' 'f' 'f'.
onrun(i, f, prog) = awk(i).findrun."pass == 3 && FNR > 1 && $1 == r && r != \"\" ".prog."' ".f1." ".shq(f)." ".shq(f)

# The workload: the one asked for, else prime if traced, else the first.
wi = 0
s_ = system(awk(0)."END { print nwl wlist }' ".f1)
nwl = line1(s_) + 0
do for [i = 1:nwl] {
    s_ = after1(s_)
    if (wi == 0 && (line1(s_) eq workload || workload eq '' && line1(s_) eq 'prime')) { wi = i }
}
if (wi == 0 && workload eq '' && nwl > 0) { wi = 1 }
if (wi == 0 && nwl == 0) { print "timeline: no rows in ".infile."; nothing to draw"; exit }
if (wi == 0) { print "timeline: workload ".workload." not in ".infile."; nothing to draw"; exit }
s_ = system(awk(0)."END { print nmd; printf \"%s\", w }' ".f1)
nrows = line1(s_) + 0
workload = after1(s_)
array FILES[2]
FILES[1] = infile
ncols = 1
if (infile2 ne '') {
    has2 = system(awk(0)."FNR > 1 && $3 == w { n++ } END { print n + 0 }' ".f1." ".shq(infile2)) + 0
    if (has2 > 0) { FILES[2] = infile2; ncols = 2 }
}
# The modes of infile, in order of appearance.
s_ = system(awk(0)."END { print nmd mlist }' ".f1)
array MODE[nrows > 0 ? nrows : 1]
do for [i = 1:nrows] { s_ = after1(s_); MODE[i] = line1(s_) }
# Whether column c traced mode i (a run of it in that file).
traced(c, i) = system(awk(i).findrun."END { print r != \"\" }' ".f1." ".shq(FILES[c])) + 0
# Shared axis per column: the latest end (or collect) over its runs, in ms.
span(c, i) = system(onrun(i, FILES[c], "{ e = ($13 > $12 ? $13 : $12) / 1000; if (e > m) m = e } END { print m + 0 }")) + 0.0
array XMAX[ncols]
do for [c = 1:ncols] {
    XMAX[c] = 0
    do for [i = 1:nrows] {
        if (traced(c, i)) { m = span(c, i); if (m > XMAX[c]) { XMAX[c] = m } }
    }
}
info(c, i) = system(onrun(i, FILES[c], "{ n++; w = $5; c = $6; if ($12 - $11 > 0) busy += $12 - $11; e = ($13 > $12 ? $13 : $12); if (e > t) t = e } END { printf \"%d tasks, %d worker%s, chunksize %d: done at %.3g ms, lanes busy %.0f%% of it\", n, w, (w == 1 ? \"\" : \"s\"), c, t / 1000, (t > 0 ? 100 * busy / (t * w) : 0) }"))
lanes(c, i) = system(onrun(i, FILES[c], "{ w = $5 } END { print w + 0 }")) + 0
# The busy bins of the run over [0, T] ms: centre, lane, half width, share.
bins(c, i, T) = "< ".sprintf("awk -F, -v wi=%d -v mi=%d -v T=%g -v B=%d '", wi, i, T, BINS).pre.findrun."pass == 3 && FNR > 1 && $1 == r && r != \"\" { s = $11 / 1000; e = $12 / 1000; if (e <= s) next; for (b = int(s / T * B); b < B && b * T / B < e; b++) { lo = b * T / B; hi = lo + T / B; o = (e < hi ? e : hi) - (s > lo ? s : lo); if (o > 0) busy[$9 \",\" b] += o } } END { for (k in busy) { split(k, p, \",\"); print (p[2] + 0.5) * T / B \",\" p[1] \",\" T / B / 2 \",\" busy[k] / (T / B) } }' ".f1." ".shq(FILES[c])." ".shq(FILES[c])
# Lane labels with each lane's busy share of the run: the count, then a
# label a lane (a tic label is a format: %% for %).
lane_tics(c, i) = system(onrun(i, FILES[c], "{ w = $5; if ($12 > $11) busy[$9] += $12 - $11; e = ($13 > $12 ? $13 : $12); if (e > t) t = e } END { printf \"%d\", w; for (j = 0; j < w; j++) printf \"\\n%d: %.3g%%%%\", j, (t > 0 ? 100 * busy[j] / t : 0) }"))

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
    k = MODE[i]
    do for [c = 1:ncols] {
        T = XMAX[c] * 1.02
        set xrange [0:T]
        set xlabel (i == nrows ? 'ms since the run started (pool creation included)' : '')
        if (!traced(c, i)) {
            set title 'not traced' font ',9'
            set yrange [0:1]
            unset ytics
            plot NaN notitle
        } else {
            nl = lanes(c, i)
            set yrange [-0.6:nl - 0.4]
            s_ = lane_tics(c, i)
            set ytics ()
            do for [l = 0:line1(s_) - 1] { s_ = after1(s_); lab = line1(s_); set ytics add (lab l) }
            set ytics out nomirror font ',9'
            set ylabel k offset 1,0
            set title info(c, i) font ',9'
            do for [l = 0:nl - 1] {
                set object (l + 1) rectangle from 0, l - 0.42 to T, l + 0.42 fc rgb '#f0f0f0' fs solid 1.0 noborder behind
            }
            plot bins(c, i, T) using 1:2:($1 - 1.05 * $3):($1 + 1.05 * $3):($2 - 0.42):($2 + 0.42):(blend(kind_color(k), shade($4))) \
                with boxxyerror lc rgb variable notitle
            unset object
        }
    }
}
unset multiplot
