/* energy.h: client energy of one exchange and the battery life it implies (docs/energy.md).
 * Contract: pure arithmetic on a link profile (netem/profile.h) and a row's measured values;
 * nothing is invented: a quantity whose inputs were not measured comes back as NaN (null in
 * the row). Radio energy = TX power x airtime of the bytes sent + RX power x airtime of the
 * bytes received + connected-idle power x the rest of the exchange time + idle power x the
 * profile's tail after the last packet. CPU energy = client instructions x the profile's
 * reference-MCU energy per instruction: a host-derived estimate (the instruction count is the
 * host's, x86/arm64, not the MCU's). Units: mW x s = mJ. */
#ifndef SB_ENERGY_H
#define SB_ENERGY_H

#include <stddef.h>

#include "../netem/profile.h"
#include "../protocols/stack.h"
#include "row.h"

typedef struct sb_energy_in {
    double c2s_bytes, s2c_bytes;         /* bytes on the link per direction; NaN = unknown */
    double ota_c2s_bytes, ota_s2c_bytes; /* 802.15.4 over-the-air bytes; NaN = not captured */
    double time_ms;                      /* completion time (radio connected meanwhile) */
    double client_instructions;          /* NaN = not measured (then CPU energy is NaN) */
} sb_energy_in;

/* Options of the battery-life estimate; <= 0 means "the profile's value / the default". */
typedef struct sb_energy_cfg {
    double interval_s;  /* one exchange every interval_s seconds (default 3600) */
    double battery_mah; /* default: profile battery_mah */
    double battery_v;   /* default: profile battery_v */
} sb_energy_cfg;
#define SB_ENERGY_DEFAULT_INTERVAL_S 3600.0

typedef struct sb_energy_out {
    double airtime_up_s, airtime_down_s, wait_s; /* wait = time - airtime, >= 0 */
    double tx_mj, rx_mj, wait_mj, tail_mj;       /* parts of the radio energy */
    double radio_mj;                             /* NaN: profile models no radio / no bytes */
    double cpu_mj;                               /* NaN: no instruction count */
    double total_mj;                             /* radio + cpu; NaN if either is NaN */
    double battery_years;                        /* from total_mj; NaN if total is NaN */
    int used_ota;                                /* airtime came from ota bytes */
} sb_energy_out;

/* Options for the CLI (`--interval`, `--battery-mah`, `--battery-v`), {NULL}-terminated. */
extern const sb_opt_def sb_energy_opts[];
/* Read them from a run's params; SB_EINVAL with a message for a bad value. */
int sb_energy_cfg_parse(const sb_params *p, sb_energy_cfg *cfg, char *err, size_t cap);

/* SB_OK (out filled, some fields possibly NaN) or SB_EINVAL (NULL arguments, negative
 * inputs, interval or battery <= 0 after defaults). cfg may be NULL (all defaults). */
int sb_energy_compute(const sb_profile *p, const sb_energy_in *in, const sb_energy_cfg *cfg,
                      sb_energy_out *out);

/* Convenience for the run: read c2s_bytes, s2c_bytes, ota_bytes, time_ms and
 * client_instructions from the row, compute, and set client_energy_mj,
 * client_energy_radio_mj, client_energy_cpu_mj and battery_years (null where NaN).
 * ota_bytes may be a number (total; split between directions in proportion to c2s/s2c
 * bytes) or an object {"c2s":N,"s2c":N}. */
int sb_energy_fill_row(sb_row *r, const sb_profile *p, const sb_energy_cfg *cfg);

#endif
