# (a) Whitepaper-style comparison of TLS, DTLS and OSCORE, one figure per profile and scenario:
# five panels (completion time, client CPU time, client heap peak, bytes on the link, client
# energy), each family shown by its configuration with the lowest client energy on that
# profile (fewest bytes where the profile has no radio model; named in its bar), labelled with the value and the ratio to OSCORE.
# Input (written by `secbench report` from results.json, never typed by hand):
#   datadir/comparison.vars.gp: datadir, outdir, nitems, nameI, profI, subI, ebasisI, haveI,
#   selbyI (lowest-energy, or fewest-bytes where the profile models no radio)
#   datadir/cmp-NAME.dat: family config time_ms cpu_ms heap_kib bytes energy, 5 ratios, n
# Run: gnuplot DIR/plots/data/comparison.vars.gp plots/comparison.gp
set datafile missing '?'
set style fill solid 0.85 border -1
set boxwidth 0.6
set grid ytics lc rgb '#dddddd'
set xrange [-0.6:2.6]
set xtics ('TLS' 0, 'DTLS' 1, 'OSCORE' 2) scale 0
set border 3
set ytics nomirror
unset key
t1 = 'Transmission time'; y1 = 'completion time (ms)'
t2 = 'Computation'; y2 = 'client CPU time on this host (ms)'
t3 = 'Memory'; y3 = 'client heap peak (KiB)'
t4 = 'Message size'; y4 = 'bytes on the link, both directions'
t5 = 'Energy'
# 3 significant digits, no exponent for the large values of slow links
fmt(v) = v >= 100 ? sprintf('%.0f', v) : sprintf('%.3g', v)
do for [i=1:nitems] {
    name = value(sprintf('name%d', i))
    prof = value(sprintf('prof%d', i))
    selby = value(sprintf('selby%d', i))
    sub = value(sprintf('sub%d', i))
    have = value(sprintf('have%d', i))
    y5 = value(sprintf('ebasis%d', i))
    f = datadir.'/cmp-'.name.'.dat'
    do for [term in 'svg png'] {
        if (term eq 'svg') {
            set terminal svg size 1800,600 dynamic font 'DejaVu Sans,12' background '#ffffff'
        } else {
            set terminal pngcairo size 1800,600 font 'DejaVu Sans,11' background '#ffffff'
        }
        set output outdir.'/comparison-'.name.'.'.term
        set multiplot layout 1,5 title sprintf("TLS, DTLS and OSCORE on profile %s: each family's %s configuration, value and ratio to OSCORE\n%s; medians of successful runs", prof, selby, sub) noenhanced
        do for [m=1:5] {
            col = m + 2
            set title value(sprintf('t%d', m)) noenhanced
            set ylabel value(sprintf('y%d', m)) noenhanced
            if (have[m:m] eq '1') {
                stats [*:*][*:*] f using col nooutput
                ymax = STATS_max > 0 ? STATS_max : 1
                # names inside tall bars; above the value for short ones (room: 1.75 x max)
                set yrange [0:1.75*ymax]
                plot f using 0:col:(0.6):($0+1) with boxes lc variable, \
                     '' using 0:col:(fmt(column(col))."\n×".sprintf('%.2f', column(col+5))) with labels offset 0,1.6 font ',10', \
                     '' using 0:(column(col) >= 0.75*ymax ? 0 : NaN):2 with labels rotate by 90 left offset 0,0.4 font ',9' noenhanced, \
                     '' using 0:(column(col) < 0.75*ymax ? column(col) : NaN):2 with labels rotate by 90 left offset 0,3.2 font ',9' noenhanced, \
                     '' using 0:(0):(strcol(col) eq '?' ? 'n/a' : '') with labels offset 0,2 font ',10'
            } else {
                set yrange [0:1]
                set label 1 'not measured in this run' at graph 0.5, graph 0.5 center
                plot f using 0:(0):2 with labels rotate by 90 left offset 0,0.4 font ',9' noenhanced
                unset label 1
            }
        }
        unset multiplot
        set output
    }
}
