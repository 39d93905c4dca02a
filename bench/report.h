/* report.h: `secbench report`: markdown tables and charts from a results folder. */
#ifndef SB_REPORT_H
#define SB_REPORT_H

int sb_report_main(int argc, char **argv);

#endif
