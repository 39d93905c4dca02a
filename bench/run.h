/* run.h: `secbench run`, one measurement end to end.
 * Contract: builds the testbed (two hosts, one emulated link), starts the capture, the server
 * and the client processes (`secbench server|client` with --report-fd), gathers their
 * reports, classifies the capture with their marks and prints one row. Everything it creates
 * dies with it (see netem/testbed.h). Exit status: 0 ok, 3 failed row, 2 bad usage. */
#ifndef SB_RUN_H
#define SB_RUN_H

#include "role.h"
#include "row.h"

int sb_run_main(int argc, char **argv);
/* The keys one endpoint's report decides (stack, workload, times, client CPU and heap,
 * environment); shared by `run` and the standalone `client`. c may be NULL (no report). */
void sb_row_fill_endpoint(sb_row *row, const sb_role_cfg *cfg, const sb_report *c);

#endif
