# Message sizes per stack along the commit history (scripts/size-history.sh draws it):
# top, application-phase transport payload bytes (app_payload_bytes); bottom, handshake
# transport payload bytes (handshake_payload_bytes); one line per stack, x = commit (oldest
# left). A step up in one line is a size regression of that stack at that commit.
# x: the measured commits in order (commits that could not be measured are left out, see
# notes.txt). Input: datadir/app.dat, datadir/handshake.dat ("index commit stack1 stack2 ...", "?" =
# not measured at that commit). Output: outdir/size-history.svg and .png.
# usage: gnuplot -e "datadir='results/size-history'; outdir='results/size-history'" plots/size-history.gp
if (!exists("datadir")) datadir = 'results/size-history'
if (!exists("outdir")) outdir = datadir
if (!exists("what")) what = 'default workload'
app = datadir.'/app.dat'
hs = datadir.'/handshake.dat'

set datafile missing '?'
stats app using 1 nooutput
ncommits = STATS_records
ncols = int(system("head -n1 '".app."' | wc -w"))
# legend: one entry per stack, outside on the right, in as many columns as it needs
nstacks = ncols - 2

# both panels share the x axis and the colours; the legend (top panel only) sits to their right
set lmargin at screen 0.06
set rmargin at screen 0.64
set key at screen 0.99, screen 0.93 right top vertical font ",7" spacing 0.85 samplen 2 maxrows 80 box
set grid ytics lc rgb '#dddddd'
set xtics rotate by -45 font ",8" nomirror
set ytics nomirror
set xrange [-0.5:ncommits - 0.5]
set offsets 0, 0, graph 0.05, graph 0.05
set style data linespoints
set pointsize 0.6

do for [t in "svg png"] {
    if (t eq "svg") { set terminal svg size 1600,1000 dynamic font "sans,10"; set output outdir.'/size-history.svg' }
    if (t eq "png") { set terminal pngcairo size 1600,1000 font "sans,10"; set output outdir.'/size-history.png' }
    set multiplot layout 2,1 title sprintf("secbench message sizes per commit (%s, ideal link)", what)
    set ylabel "app payload bytes"
    plot for [i=3:ncols] app using 0:i:xtic(2) title columnhead(i) lw 1.2
    set ylabel "handshake payload bytes"
    unset key
    set logscale y
    set yrange [1:*]
    set format y "%.0f"
    plot for [i=3:ncols] hs using 0:(column(i) > 0 ? column(i) : NaN):xtic(2) title columnhead(i) lw 1.2
    unset logscale y
    set yrange [*:*]
    set key
    unset multiplot
    set output
}
