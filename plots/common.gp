# common.gp -- terminal, output and colours shared by every chart; loaded
# by the others. Set before loading: term ('pngcairo', 'png', 'svg' or
# 'dumb') and outfile ('' for the terminal itself).
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
kind_color(k) = k eq 'seq' ? 0x777777 : k eq 'thread' ? 0x1f77b4 : \
    k eq 'process' ? 0xff7f0e : k eq 'async' ? 0x2ca02c : \
    k eq 'thread-gil' ? 0x9467bd : k eq 'py-thread' ? 0x9ecae1 : \
    k eq 'py-process' ? 0xfdd0a2 : k eq 'py-seq' ? 0xc7c7c7 : 0x444444
