/* emu.c: picks and drives the emulator back end (emu_netem.c, emu_nfq.c, or none). */
#include "emu.h"

#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"
#include "emu_impl.h"

struct sb_emu {
    const char *name;
    sb_emu_nfq *nfq;
    sb_emu_netem *netem;
};

int sb_emu_start(sb_emu **out, const char *kind, sb_testbed *tb, int link, const sb_profile *p,
                 uint64_t seed, char *err, size_t cap)
{
    if (!kind) kind = "auto";
    if (strcmp(kind, "auto") && strcmp(kind, "netem") && strcmp(kind, "nfq") && strcmp(kind, "none"))
        return sb_fail(err, cap, SB_EINVAL, "unknown emulator '%s' (auto, netem, nfq, none)", kind);
    if (link < 0 || link + 1 >= sb_testbed_hosts(tb))
        return sb_fail(err, cap, SB_EINVAL, "emulator: no link %d in the testbed", link);
    sb_emu *e = calloc(1, sizeof *e);
    if (!e) return SB_ENOMEM;
    /* auto: one probe per start, in the bed's own namespace (never the host's) */
    /* auto on a link with nothing to emulate (the ideal profile): no emulator, so CPU, heap
     * and time figures measured there carry no emulator cost at all. */
    if (!strcmp(kind, "auto") && !sb_profile_emulates(p)) kind = "none";
    if (!strcmp(kind, "auto")) kind = sb_emu_netem_available(tb, link) ? "netem" : "nfq";
    int rc = SB_OK;
    if (!strcmp(kind, "netem")) {
        e->name = "netem";
        rc = sb_emu_netem_start(&e->netem, tb, link, p, seed, err, cap);
    } else if (!strcmp(kind, "nfq")) {
        e->name = "nfq";
        rc = sb_emu_nfq_start(&e->nfq, tb, link, p, seed, err, cap);
    } else {
        e->name = "none";
    }
    if (rc != SB_OK) {
        free(e);
        return rc;
    }
    *out = e;
    return SB_OK;
}

const char *sb_emu_name(const sb_emu *e)
{
    return e ? e->name : "none";
}

void sb_emu_stop(sb_emu *e)
{
    if (!e) return;
    sb_emu_netem_stop(e->netem);
    sb_emu_nfq_stop(e->nfq);
    free(e);
}
