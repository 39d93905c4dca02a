/* emu_netem.c: tc netem on the veth ends, each host shaping its own egress (up = host link's
 * end, down = host link+1's end). Parameters per tc-netem(8) (iproute2 6.1):
 *   delay TIME [JITTER [distribution normal|pareto|paretonormal]]  (no distribution = uniform)
 *   loss random PERCENT | loss gemodel p r 1-h 1-k                 (1-h: bad-state loss)
 *   rate RATE [PACKETOVERHEAD CELLSIZE CELLOVERHEAD]
 * Differences from the nfq emulator, stated for rows that compare them: netem's rate counts the
 * Ethernet frame (14 bytes more than the IP length) and keeps bytes/s as an integer (0.37 kbit/s
 * becomes 368 bit/s); for lowpan profiles the 6LoWPAN air bytes are approximated with netem's
 * cell arithmetic (below) instead of netem/lowpan.h; the RNG is the kernel's, so a lossy run is
 * not repeatable from --seed. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"
#include "emu_impl.h"
#include "lowpan.h"

struct sb_emu_netem {
    sb_testbed *tb;
    int link;
    int installed[2];
};

static int tc(sb_testbed *tb, int host, char *const argv[], char *out, size_t cap)
{
    return sb_testbed_run(tb, host, argv, out, cap);
}

int sb_emu_netem_available(sb_testbed *tb, int link)
{
    const char *ifn = sb_testbed_port(tb, link, 1);
    if (!ifn) return 0;
    char *add[] = {"tc", "qdisc", "add", "dev", (char *)ifn, "root", "netem", "delay", "0ms", NULL};
    if (tc(tb, SB_TB_LINK(link), add, NULL, 0) != 0) return 0;
    char *del[] = {"tc", "qdisc", "del", "dev", (char *)ifn, "root", NULL};
    tc(tb, SB_TB_LINK(link), del, NULL, 0);
    return 1;
}

#define ARGMAX 48

typedef struct args {
    char *v[ARGMAX];
    char store[ARGMAX][32];
    int n;
} args;

static void add(args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(args *a, const char *fmt, ...)
{
    if (a->n >= ARGMAX - 1) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->store[a->n], sizeof a->store[a->n], fmt, ap);
    va_end(ap);
    a->v[a->n] = a->store[a->n];
    a->v[++a->n] = NULL;
}

static void build(args *a, const char *ifn, const sb_link_dir *d, int lowpan)
{
    a->n = 0;
    add(a, "tc"), add(a, "qdisc"), add(a, "add"), add(a, "dev"), add(a, "%s", ifn);
    add(a, "root"), add(a, "netem"), add(a, "limit"), add(a, "1000");
    /* microseconds: tc's resolution for delay and jitter */
    add(a, "delay"), add(a, "%.0fus", d->delay_ms * 1000.0);
    if (d->jitter_ms > 0) {
        add(a, "%.0fus", d->jitter_ms * 1000.0);
        if (strcmp(d->jitter_dist, "uniform")) add(a, "distribution"), add(a, "%s", d->jitter_dist);
    }
    if (d->ge_p > 0) {
        add(a, "loss"), add(a, "gemodel"), add(a, "%g%%", d->ge_p), add(a, "%g%%", d->ge_r);
        add(a, "%g%%", d->ge_loss_bad), add(a, "%g%%", d->ge_loss_good);
    } else if (d->loss_pct > 0) {
        add(a, "loss"), add(a, "random"), add(a, "%g%%", d->loss_pct);
    }
    if (d->rate_kbit > 0) {
        add(a, "rate"), add(a, "%.0fbit", d->rate_kbit * 1000.0);
        if (lowpan) {
            /* Approximation of netem/lowpan.h for a UDP packet: Ethernet frame - 14 (Ethernet)
             * - 48 (IPv6 + UDP) + 9 (IPHC 2 + UDP NHC 7) = frame - 53, cut in cells of the
             * 116-byte MAC payload, each cell + 17 bytes (MAC 11 + PHY 6); fragment headers
             * are not counted. */
            add(a, "%d", -53), add(a, "%d", SB_LOWPAN_PSDU_MAX - SB_LOWPAN_MAC_OVERHEAD);
            add(a, "%d", SB_LOWPAN_MAC_OVERHEAD + SB_LOWPAN_PHY_HDR);
        }
    }
}

void sb_emu_netem_stop(sb_emu_netem *e)
{
    if (!e) return;
    for (int s = 0; s < 2; s++) {
        if (!e->installed[s]) continue;
        const char *ifn = sb_testbed_port(e->tb, e->link, !s);
        char *del[] = {"tc", "qdisc", "del", "dev", (char *)ifn, "root", NULL};
        tc(e->tb, SB_TB_LINK(e->link), del, NULL, 0);
    }
    free(e);
}

int sb_emu_netem_start(sb_emu_netem **out, sb_testbed *tb, int link, const sb_profile *p,
                       uint64_t seed, char *err, size_t cap)
{
    if (!sb_testbed_port(tb, link, 1))
        return sb_fail(err, cap, SB_EINVAL, "netem: no link %d in the testbed", link);
    sb_emu_netem *e = calloc(1, sizeof *e);
    if (!e) return SB_ENOMEM;
    e->tb = tb;
    e->link = link;
    for (int s = 0; s < 2; s++) {
        /* in the link namespace, on the egress of the bridge port the direction leaves by:
         * up (s = 0) leaves towards host link+1 by port 1, down by port 0 */
        const char *ifn = sb_testbed_port(tb, link, !s);
        args a;
        build(&a, ifn, s == 0 ? &p->up : &p->down, p->lowpan);
        char msg[512] = "";
        if (tc(tb, SB_TB_LINK(link), a.v, msg, sizeof msg) != 0) {
            msg[strcspn(msg, "\n")] = '\0';
            size_t ml = strlen(msg);
            if (ml && msg[ml - 1] == '.') msg[ml - 1] = '\0';
            sb_emu_netem_stop(e);
            if (strstr(msg, "unknown") || strstr(msg, "Unknown"))
                return sb_fail(err, cap, SB_EUNSUP,
                               "netem: this kernel has no netem qdisc (sch_netem): %s; use "
                               "--emulator nfq (or auto)", msg);
            return sb_fail(err, cap, SB_EIO, "netem: tc qdisc add on %s failed: %s", ifn,
                           msg[0] ? msg : "?");
        }
        e->installed[s] = 1;
    }
    *out = e;
    return SB_OK;
}
