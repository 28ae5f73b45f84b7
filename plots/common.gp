# common.gp -- terminal, output and colours shared by every chart; loaded
# by the others. Set before loading: term ('pngcairo', 'png', 'svg' or
# 'dumb') and outfile ('' for the terminal itself).
#
# A results folder is data, never code. Each chart runs awk programs that
# are constants of its script; only file paths, quoted by shq(), and
# numbers written with %d or %g join them on a command line. Names (a
# workload, a mode) come back from awk as text, one a line, read with
# line1() and after1() into arrays, and the data gnuplot plots refer to
# them by number. Nothing read from a file is given to eval, a macro,
# backquotes or system().
if (!exists("term")) term = 'pngcairo'
if (!exists("outfile")) outfile = ''
if (!exists("subtitle")) subtitle = ''
if (term eq 'pngcairo') {
    set terminal pngcairo size 1100,640 enhanced font 'DejaVu Sans,11' noenhanced
} else { if (term eq 'png') {
    set terminal png size 1100,640 noenhanced
} else { if (term eq 'svg') {
    set terminal svg size 1100,640 dynamic noenhanced font 'DejaVu Sans,11'
} else {
    set terminal dumb size 110,32 noenhanced
} } }
if (outfile ne '') set output outfile
set datafile separator ','
set datafile missing ''
dumb = (term eq 'dumb')
# One colour per executor kind, the same in every chart; Python's pools
# (py-*) in a paler shade of their C counterpart.
kind_color(k) = k eq 'seq' ? 0x777777 : k eq 'loop' ? 0x333333 : k eq 'py-loop' ? 0xaaaaaa : \
    k eq 'thread' ? 0x1f77b4 : \
    k eq 'process' ? 0xff7f0e : k eq 'async' ? 0x2ca02c : \
    k eq 'thread-gil' ? 0x9467bd : k eq 'py-thread' ? 0x9ecae1 : \
    k eq 'py-process' ? 0xfdd0a2 : k eq 'py-seq' ? 0xc7c7c7 : 0x444444
# A string as one shell word: in single quotes, each ' written '\''.
shq(s) = "'" . shq_(s) . "'"
shq_(s) = strstrt(s, "'") ? s[1:strstrt(s, "'") - 1] . "'\\''" . shq_(s[strstrt(s, "'") + 1:]) : s
# Text an awk program printed, one item a line: the first line, and what
# follows it. A list reads as its count, then the items:
#     s = system(...); n = line1(s) + 0; array A[n > 0 ? n : 1]
#     do for [i = 1:n] { s = after1(s); A[i] = line1(s) }
line1(s) = strstrt(s, "\n") ? s[1:strstrt(s, "\n") - 1] : s
after1(s) = strstrt(s, "\n") ? s[strstrt(s, "\n") + 1:] : ''
