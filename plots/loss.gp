# (c) Completion time and bytes against the loss rate: median with the 5th-95th percentile
# as error bars, one line per stack (successful runs; the ok share is in report.md).
# Input: datadir/loss.vars.gp (datadir, outdir, sub, stacks, nstacks) and datadir/loss.dat
#   (one block per stack: loss median p5 p95 bytes_median bytes_p5 bytes_p95 ok_pct),
#   written by `secbench report` from results.json.
# Run: gnuplot DIR/plots/data/loss.vars.gp plots/loss.gp
set datafile missing '?'
set grid lc rgb '#dddddd'
set key top left noenhanced
set xlabel 'loss rate per packet, each direction (%)'
set autoscale xfix
set offsets 0.5, 0.5, 0, 0
f = datadir.'/loss.dat'
do for [term in 'svg png'] {
    if (term eq 'svg') {
        set terminal svg size 1500,600 dynamic font 'DejaVu Sans,12' background '#ffffff'
    } else {
        set terminal pngcairo size 1500,600 font 'DejaVu Sans,11' background '#ffffff'
    }
    set output outdir.'/loss.'.term
    set multiplot layout 1,2 title sprintf("Completion time and bytes against loss (median, 5th-95th percentile)\n%s", sub) noenhanced
    set title 'Completion time (log scale)'
    set ylabel 'completion time (ms)'
    set logscale y
    set yrange [*:*]
    plot for [i=0:nstacks-1] f index i using 1:2:3:4 with yerrorlines pt 7 ps 0.6 title word(stacks, i+1)
    set title 'Bytes on the link'
    set ylabel 'bytes, both directions'
    unset logscale y
    set yrange [0:*]
    plot for [i=0:nstacks-1] f index i using 1:5:6:7 with yerrorlines pt 7 ps 0.6 title word(stacks, i+1)
    unset multiplot
    set output
}
