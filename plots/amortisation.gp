# (d) Bytes per request-response exchange against the number of requests per session: the
# handshake amortised over the session; where, if anywhere, (D)TLS catches up with OSCORE.
# Input: datadir/amortisation.vars.gp (datadir, outdir, sub, stacks, nstacks) and
#   datadir/amort.dat (one block per stack: requests median p5 p95 bytes_median ...),
#   written by `secbench report` from results.json.
# Run: gnuplot DIR/plots/data/amortisation.vars.gp plots/amortisation.gp
set datafile missing '?'
set grid lc rgb '#dddddd'
set key top right noenhanced
set logscale x
set logscale y
set xlabel 'requests per session'
set xtics ('1' 1, '2' 2, '5' 5, '10' 10, '20' 20, '50' 50, '100' 100, '200' 200)
set ylabel 'bytes per exchange (link bytes / requests)'
f = datadir.'/amort.dat'
do for [term in 'svg png'] {
    if (term eq 'svg') {
        set terminal svg size 1000,650 dynamic font 'DejaVu Sans,12' background '#ffffff'
    } else {
        set terminal pngcairo size 1000,650 font 'DejaVu Sans,11' background '#ffffff'
    }
    set output outdir.'/amortisation.'.term
    set title sprintf("Bytes per exchange against requests per session (median, 5th-95th percentile)\n%s", sub) noenhanced
    plot for [i=0:nstacks-1] f index i using 1:2:3:4 with yerrorlines pt 7 ps 0.7 title word(stacks, i+1)
    set output
}
