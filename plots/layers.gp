# (b) Bytes per layer of one request and one response, stacked, per stack (medians).
# Input: datadir/layers.vars.gp (datadir, outdir, sub, nstacks) and datadir/layers.dat
#   (stack, request ip transport record coap security payload, response the same, n),
#   written by `secbench report` from results.json.
# Run: gnuplot DIR/plots/data/layers.vars.gp plots/layers.gp
set datafile missing '?'
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border -1
set boxwidth 0.7
set grid ytics lc rgb '#dddddd'
set key outside right top
set xtics rotate by 35 right noenhanced
set yrange [0:*]
f = datadir.'/layers.dat'
names = 'IP transport record CoAP security payload'
do for [term in 'svg png'] {
    if (term eq 'svg') {
        set terminal svg size 1800,1000 dynamic font 'DejaVu Sans,12' background '#ffffff'
    } else {
        set terminal pngcairo size 1800,1000 font 'DejaVu Sans,11' background '#ffffff'
    }
    set output outdir.'/layers.'.term
    set multiplot layout 2,1 title sprintf("Bytes per layer of one request-response, per stack\n%s", sub) noenhanced
    do for [d=0:1] {
        set title (d == 0 ? 'Request (client to server)' : 'Response (server to client)')
        set ylabel 'bytes (IP level)'
        plot for [l=1:6] f using (column(1 + d*6 + l)):xtic(1) title word(names, l)
    }
    unset multiplot
    set output
}
