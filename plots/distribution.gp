# (e) Completion-time distribution per profile, one panel per profile: box = 25th-75th
# percentile with the median line, whiskers = 5th-95th percentile.
# Input: datadir/distribution.vars.gp (datadir, outdir, sub, profiles, nprofiles) and
#   datadir/dist-PROFILE.dat (i stack min p5 p25 median p75 p95 max n), written by
#   `secbench report` from results.json.
# Run: gnuplot DIR/plots/data/distribution.vars.gp plots/distribution.gp
set datafile missing '?'
set grid ytics lc rgb '#dddddd'
set style fill solid 0.5 border -1
set boxwidth 0.6
set logscale y
set offsets 0.7, 0.7, 0, 0
set xtics rotate by 40 right noenhanced font ',9'
unset key
cols = 1
rows = nprofiles
do for [term in 'svg png'] {
    if (term eq 'svg') {
        set terminal svg size 1600,440*rows dynamic font 'DejaVu Sans,12' background '#ffffff'
    } else {
        set terminal pngcairo size 1600,440*rows font 'DejaVu Sans,11' background '#ffffff'
    }
    set output outdir.'/distribution.'.term
    set multiplot layout rows,cols title sprintf("Completion-time distribution per profile (box 25th-75th percentile, line median, whiskers 5th-95th)\n%s", sub) noenhanced
    do for [p=1:nprofiles] {
        prof = word(profiles, p)
        f = datadir.'/dist-'.prof.'.dat'
        set title 'profile '.prof noenhanced
        set ylabel 'completion time (ms, log scale)'

        plot f using 1:5:4:8:7:xtic(2) with candlesticks whiskerbars lc rgb '#4477aa', \
             '' using 1:6:6:6:6 with candlesticks lt -1 lw 2
    }
    unset multiplot
    set output
}
