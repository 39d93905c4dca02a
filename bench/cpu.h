/* cpu.h: CPU cost of a measured section of one process.
 * Contract: cycles and instructions (user space) from perf_event_open where the machine has
 * hardware counters; elsewhere they are unavailable and the source string says why. CPU time
 * (CLOCK_PROCESS_CPUTIME_ID, user + system) is always measured. Under valgrind/callgrind
 * (`secbench run --valgrind`) the section toggles callgrind's collection instead, and the
 * driver reads the deterministic instruction count from callgrind's output file. */
#ifndef SB_CPU_H
#define SB_CPU_H

#include <stdint.h>

typedef struct sb_cpu {
    int fd_cycles, fd_instr;
    int under_valgrind;
    int running;
    int64_t t0_ns;
    int64_t cycles, instructions, cpu_ns; /* SB_NA when unavailable */
    char source[160];
} sb_cpu;

void sb_cpu_open(sb_cpu *c);
void sb_cpu_start(sb_cpu *c); /* may be called again after stop: accumulates */
void sb_cpu_stop(sb_cpu *c);
void sb_cpu_reset(sb_cpu *c); /* drop what was counted so far */
void sb_cpu_close(sb_cpu *c);

#endif
