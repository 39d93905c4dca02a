/* report.h: `secbench report [DIR]`: markdown tables and gnuplot charts from a results folder.
 * Contract: reads DIR/results.json (JSON Lines, as written by `secbench matrix`) and, when
 * present, DIR/plan.tsv (the matrix group of each seed) and DIR/hyperfine.md; prints the
 * five axes (completion time, client CPU time, client heap peak, bytes on the link, client
 * energy) per stack and profile as markdown tables (medians over successful runs, with the
 * repetition count), and writes DIR/report.md, DIR/plots/data/ (the small data files the
 * charts read) and the SVG and PNG charts under DIR/plots by running
 * gnuplot on the scripts in plots/. Nothing is
 * interpolated: a value no row measured is printed as n/a. */
#ifndef SB_REPORT_H
#define SB_REPORT_H

int sb_report_main(int argc, char **argv);

#endif
