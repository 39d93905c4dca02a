/* emu_impl.h: the back ends behind netem/emu.h (internal to netem/). Each start function
 * returns once its emulation is active; each stop removes everything the start installed. */
#ifndef SB_EMU_IMPL_H
#define SB_EMU_IMPL_H

#include <stddef.h>
#include <stdint.h>

#include "profile.h"
#include "testbed.h"

typedef struct sb_emu_nfq sb_emu_nfq;
int sb_emu_nfq_start(sb_emu_nfq **out, sb_testbed *tb, int link, const sb_profile *p,
                     uint64_t seed, char *err, size_t cap);
void sb_emu_nfq_stop(sb_emu_nfq *e);

typedef struct sb_emu_netem sb_emu_netem;
/* 1 if the kernel knows the netem qdisc (tried on the link's interface in host link+1), else 0. */
int sb_emu_netem_available(sb_testbed *tb, int link);
int sb_emu_netem_start(sb_emu_netem **out, sb_testbed *tb, int link, const sb_profile *p,
                       uint64_t seed, char *err, size_t cap);
void sb_emu_netem_stop(sb_emu_netem *e);

#endif
