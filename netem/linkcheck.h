/* linkcheck.h: `secbench link-check`, the fidelity check of a link emulator.
 * Contract: builds a two-host testbed, starts the chosen emulator on its link, sends UDP probes
 * between the two hosts' own addresses in both directions (nothing else is ever addressed), and
 * prints configured vs measured one-way delay (mean), jitter (mean absolute deviation of the one-way
 * delay), loss (with its binomial bound) and rate (regression over a back-to-back train).
 * Timestamps are CLOCK_MONOTONIC in user space on both ends: both namespaces share the clock.
 * Exit status: 0 all within bounds, 1 a measured value is out of bounds (or could not be
 * measured), 2 usage or set-up error. */
#ifndef SB_LINKCHECK_H
#define SB_LINKCHECK_H

/* argv[0] = "link-check"; options as printed by --help. */
int sb_linkcheck_main(int argc, char **argv);

#endif
