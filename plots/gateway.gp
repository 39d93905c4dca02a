# (f) Through a gateway (issue 9): per stack through a CoAP forward proxy, the proxy's heap
# held per device session and its CPU per device, at the largest fleet measured; bars green
# where the protection is end-to-end (the proxy never saw the plaintext), red where it is
# hop-by-hop or absent. Input: datadir/gateway.vars.gp (datadir, outdir, sub) and datadir/gateway.dat
#   (stack heap_per_session_B cpu_ms_per_device end_to_end devices), written by
#   `secbench report` from results.json.
# Run: gnuplot DIR/plots/data/gateway.vars.gp plots/gateway.gp
set datafile missing '?'
set style fill solid 0.85 border -1
set boxwidth 0.6
set grid ytics lc rgb '#dddddd'
set key off
set xtics rotate by 25 right noenhanced
f = datadir.'/gateway.dat'
colour(e2e) = e2e > 0.5 ? 0x2e8b57 : 0xc0392b
stats f using 2 nooutput name 'H'
stats f using 3 nooutput name 'C'
do for [term in 'svg png'] {
    if (term eq 'svg') {
        set terminal svg size 1200,600 dynamic font 'DejaVu Sans,12' background '#ffffff'
    } else {
        set terminal pngcairo size 1200,600 font 'DejaVu Sans,11' background '#ffffff'
    }
    set output outdir.'/gateway.'.term
    set multiplot layout 1,2 title sprintf("Through a gateway: green = end-to-end, red = the proxy reads the payload\n%s", sub) noenhanced
    set title 'proxy heap held per device session'
    set ylabel 'bytes (log scale)'
    set logscale y
    set yrange [1:H_max * 6]
    plot f using 0:2:(colour($4)):xtic(1) with boxes lc rgb variable, \
         f using 0:2:(sprintf('%.0f', $2)) with labels offset 0,0.7 noenhanced
    unset logscale y
    set title 'proxy CPU per device'
    set ylabel 'ms'
    set yrange [0:C_max * 1.15]
    plot f using 0:3:(colour($4)):xtic(1) with boxes lc rgb variable, \
         f using 0:3:(sprintf('%.2f', $3)) with labels offset 0,0.7 noenhanced
    unset multiplot
    set output
}
