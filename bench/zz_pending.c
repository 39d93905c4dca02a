/* TEMPORARY during integration: weak stand-ins for verbs whose modules are being written. */
#include <stdio.h>
__attribute__((weak)) int sb_report_main(int argc, char **argv) { (void)argc; (void)argv; fputs("report: not built yet\n", stderr); return 2; }
__attribute__((weak)) int sb_linkcheck_main(int argc, char **argv) { (void)argc; (void)argv; fputs("link-check: not built yet\n", stderr); return 2; }
