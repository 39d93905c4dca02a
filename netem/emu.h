/* emu.h: the link emulators behind one interface: tc netem where the kernel has it, our own
 * NFQUEUE emulator (emu_nfq.c) where it does not, or none.
 * Contract: sb_emu_start installs the emulation of profile p on link `link` of the testbed
 * (up = from host `link` towards host `link+1`) and returns once it is active; sb_emu_stop
 * removes everything it installed (qdiscs, iptables rules, processes). The name reported is
 * the emulator that actually runs, for every row's `emulator` key. */
#ifndef SB_EMU_H
#define SB_EMU_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "testbed.h"

typedef struct sb_emu sb_emu;

/* kind: "auto" (netem if the kernel has it, else nfq) | "netem" | "nfq" | "none". */
int sb_emu_start(sb_emu **out, const char *kind, sb_testbed *tb, int link, const sb_profile *p,
                 uint64_t seed, char *err, size_t cap);
const char *sb_emu_name(const sb_emu *e); /* "netem" | "nfq" | "none" */
void sb_emu_stop(sb_emu *e);

#endif
