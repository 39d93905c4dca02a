/* profile.h: named link profiles (netem/profiles/NAME.conf) and command-line overrides.
 * Contract: a profile gives, per direction, one-way delay, jitter, loss model and rate, plus
 * the modelled MTU and what the energy model needs. File format: `key = value` lines, `#`
 * comments (each value cites its source there); keys are documented in netem/profiles/README.
 * up = client -> server, down = server -> client. */
#ifndef SB_PROFILE_H
#define SB_PROFILE_H

#include <stddef.h>

typedef struct sb_link_dir {
    double delay_ms;       /* one-way */
    double jitter_ms;      /* 0 = none */
    char jitter_dist[16];  /* uniform | normal | pareto | paretonormal */
    double loss_pct;       /* random (Bernoulli) loss, 0..100 */
    /* Gilbert-Elliott bursts when ge_p > 0 (then loss_pct is ignored): P(good->bad),
     * P(bad->good) per packet and the loss in each state, all four in percent (as tc-netem) */
    double ge_p, ge_r, ge_loss_bad, ge_loss_good;
    double rate_kbit;      /* 0 = unlimited */
} sb_link_dir;

typedef struct sb_profile {
    char name[32];
    sb_link_dir up, down;
    unsigned mtu;     /* modelled link MTU in bytes (the veth keeps >= 1280 for IPv6) */
    int lowpan;       /* IEEE 802.15.4 + 6LoWPAN: rows report ota_bytes / ota_frames */
    /* energy model (bench/energy.h) */
    double tx_mw, rx_mw, idle_mw, sleep_mw; /* radio TX, RX, connected-idle, sleep power */
    double tail_s;                         /* connected time after the last packet */
    double cpu_nj_per_instr;               /* reference MCU energy per instruction */
    double battery_mah, battery_v;
} sb_profile;

/* Load by name (netem/profiles/NAME.conf, found next to the binary's source tree or under
 * $SECBENCH_PROFILES) or by path. SB_ENOTFOUND / SB_EINVAL with a message naming the line. */
int sb_profile_load(const char *name, sb_profile *p, char *err, size_t cap);
/* Overrides from the command line applied to both directions; a negative value = not given.
 * A loss override replaces the loss model (random loss, Gilbert-Elliott off). */
void sb_profile_override(sb_profile *p, double delay_ms, double jitter_ms, double loss_pct,
                         double rate_kbit);
/* 1 when the link impairs anything in either direction (delay, jitter, loss, rate). */
int sb_profile_emulates(const sb_profile *p);
/* Names of the profiles shipped (for --help and errors); returns count written. */
size_t sb_profile_list(const char **names, size_t cap);

#endif
