#include "cpu.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <valgrind/callgrind.h>

#include "util.h"

static int perf_open(uint64_t config)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.type = PERF_TYPE_HARDWARE;
    a.config = config;
    a.disabled = 1;
    a.exclude_kernel = 1; /* the protocol's own work; the kernel's is the same for all */
    a.exclude_hv = 1;
    return (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
}

static int64_t cpu_time_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * SB_NS_PER_S + ts.tv_nsec;
}

void sb_cpu_open(sb_cpu *c)
{
    memset(c, 0, sizeof *c);
    c->fd_cycles = c->fd_instr = -1;
    c->cycles = c->instructions = SB_NA;
    c->under_valgrind = RUNNING_ON_VALGRIND ? 1 : 0;
    if (c->under_valgrind) {
        snprintf(c->source, sizeof c->source, "valgrind-callgrind (instructions; cycles n/a)");
        return;
    }
    c->fd_cycles = perf_open(PERF_COUNT_HW_CPU_CYCLES);
    int e = errno;
    c->fd_instr = perf_open(PERF_COUNT_HW_INSTRUCTIONS);
    if (c->fd_cycles >= 0 && c->fd_instr >= 0) {
        c->cycles = c->instructions = 0;
        snprintf(c->source, sizeof c->source, "perf_event (user space)");
    } else {
        if (c->fd_instr < 0) e = errno;
        sb_cpu_close(c);
        c->fd_cycles = c->fd_instr = -1;
        snprintf(c->source, sizeof c->source,
                 "unavailable: no hardware counters (perf_event_open: %s); cpu_ns measured",
                 strerror(e));
    }
}

void sb_cpu_start(sb_cpu *c)
{
    if (c->running) return;
    c->running = 1;
    if (c->under_valgrind) CALLGRIND_TOGGLE_COLLECT;
    if (c->fd_cycles >= 0) {
        ioctl(c->fd_cycles, PERF_EVENT_IOC_ENABLE, 0);
        ioctl(c->fd_instr, PERF_EVENT_IOC_ENABLE, 0);
    }
    c->t0_ns = cpu_time_ns();
}

void sb_cpu_stop(sb_cpu *c)
{
    if (!c->running) return;
    c->running = 0;
    c->cpu_ns += cpu_time_ns() - c->t0_ns;
    if (c->fd_cycles >= 0) {
        ioctl(c->fd_cycles, PERF_EVENT_IOC_DISABLE, 0);
        ioctl(c->fd_instr, PERF_EVENT_IOC_DISABLE, 0);
        uint64_t v;
        if (read(c->fd_cycles, &v, sizeof v) == sizeof v) c->cycles = (int64_t)v;
        if (read(c->fd_instr, &v, sizeof v) == sizeof v) c->instructions = (int64_t)v;
    }
    if (c->under_valgrind) CALLGRIND_TOGGLE_COLLECT;
}

void sb_cpu_reset(sb_cpu *c)
{
    int was = c->running;
    sb_cpu_stop(c);
    c->cpu_ns = 0;
    if (c->fd_cycles >= 0) {
        ioctl(c->fd_cycles, PERF_EVENT_IOC_RESET, 0);
        ioctl(c->fd_instr, PERF_EVENT_IOC_RESET, 0);
        c->cycles = c->instructions = 0;
    }
    if (c->under_valgrind) CALLGRIND_ZERO_STATS;
    if (was) sb_cpu_start(c);
}

void sb_cpu_close(sb_cpu *c)
{
    if (c->fd_cycles >= 0) close(c->fd_cycles);
    if (c->fd_instr >= 0) close(c->fd_instr);
    c->fd_cycles = c->fd_instr = -1;
}
