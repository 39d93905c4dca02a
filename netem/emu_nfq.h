/* emu_nfq.h: our NFQUEUE link emulator (used through netem/emu.h), split in two parts:
 *  - the scheduler, pure and deterministic (tests/test_nfq.c): per direction it decides, for a
 *    packet arriving at time t with b link bytes, whether the loss model drops it and when it is
 *    released. Model (the same as tc netem's for constant delay): loss is decided on arrival and
 *    a lost packet takes no link time; the link serialises b*8/rate behind earlier packets of the
 *    same direction (tx_start = max(t, link_free)); then the one-way delay plus a jitter sample
 *    (clamped at 0) applies, so jitter may reorder packets, constant delay never does.
 *    Loss: Gilbert-Elliott when ge_p > 0 (loss drawn with the current state's probability, then
 *    the state transition drawn; starts good), else random with loss_pct. All probabilities are
 *    percentages. RNG: xoshiro256** seeded by splitmix64 from (seed, direction, stream), with one
 *    stream for loss and one for jitter, so a run with a given seed is repeatable and the drop
 *    pattern does not depend on the jitter setting.
 *  - the I/O (emu_nfq.c): libnetfilter_queue, one queue per direction, a min-heap of held packets
 *    and one ppoll loop with nanosecond timeouts; verdicts are issued at the release time.
 *    sb_emu_start (emu.h) forks the loop into host link+1's namespace (PR_SET_PDEATHSIG: it dies
 *    with the thread that started it, so start it from a thread that outlives the run), then
 *    adds mangle PREROUTING -i IF (up) / POSTROUTING -o IF (down) NFQUEUE rules for IPv4 and
 *    IPv6 there, without --queue-bypass: if the emulator dies, packets stop. Held packets count:
 *    1000 per direction (tc netem's default limit), beyond which packets are tail-dropped. */
#ifndef SB_EMU_NFQ_H
#define SB_EMU_NFQ_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"

typedef struct sb_nfq_rng {
    uint64_t s[4];
} sb_nfq_rng;

void sb_nfq_rng_seed(sb_nfq_rng *r, uint64_t seed);
uint64_t sb_nfq_rng_next(sb_nfq_rng *r);
double sb_nfq_rng_unit(sb_nfq_rng *r); /* uniform in [0, 1), 53 bits */

/* Jitter offset in ms for distribution `dist` with parameter j (uniform: +-j; normal: sd j;
 * pareto / paretonormal: standardised to mean 0, sd j, as tc's tables are). */
double sb_nfq_jitter_ms(const char *dist, double j, sb_nfq_rng *r);

enum { SB_NFQ_UP = 0, SB_NFQ_DOWN = 1 };

typedef struct sb_nfq_dir {
    sb_link_dir cfg;
    sb_nfq_rng loss_rng, jitter_rng;
    int ge_bad;
    int64_t link_free_ns;
    uint64_t passed, dropped;
} sb_nfq_dir;

void sb_nfq_dir_init(sb_nfq_dir *d, const sb_link_dir *cfg, uint64_t seed, int dir);
/* 1: deliver at *release_ns; 0: dropped by the loss model. */
int sb_nfq_decide(sb_nfq_dir *d, int64_t arrival_ns, size_t link_bytes, int64_t *release_ns);

/* Link bytes of a packet from its first caplen bytes: the IP length from the header (IPv4 total
 * length, IPv6 40 + payload length), or, with lowpan, the 802.15.4 air bytes (netem/lowpan.h)
 * for IPv6 packets. 0 if the header is unreadable. */
size_t sb_nfq_link_bytes(const uint8_t *pkt, size_t caplen, int lowpan);

/* Held packets, earliest release first (ties: arrival order). */
typedef struct sb_nfq_item {
    int64_t release_ns;
    uint64_t seq;
    uint32_t id;
    int dir;
} sb_nfq_item;

typedef struct sb_nfq_heap {
    sb_nfq_item *v;
    size_t n, cap;
    uint64_t seq;
} sb_nfq_heap;

int sb_nfq_heap_init(sb_nfq_heap *h, size_t cap);
void sb_nfq_heap_free(sb_nfq_heap *h);
int sb_nfq_heap_push(sb_nfq_heap *h, int64_t release_ns, uint32_t id, int dir); /* SB_ESPACE */
int sb_nfq_heap_pop(sb_nfq_heap *h, sb_nfq_item *out); /* 0 if empty */

/* The emulator loop in the current network namespace on queues qup/qdown: writes "ready\n"
 * (or "error: ...\n") to ready_fd once both queues are bound, and runs until SIGTERM/SIGINT or
 * until life_fd (if >= 0) reports hang-up. Returns a process exit status. */
int sb_nfq_run(const sb_profile *p, unsigned qup, unsigned qdown, uint64_t seed, int ready_fd,
               int life_fd);

/* `secbench __nfq --profile P --up-queue N --down-queue N [--seed N] [--delay MS ...]`: the
 * same loop stand-alone in the current namespace (rules are the caller's business). */
int sb_nfq_main(int argc, char **argv);

#endif
