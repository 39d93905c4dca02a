/* registry.c: the list of stack families. Adding a stack family = one line below. */
#include <stdio.h>
#include <string.h>

#include "../bench/util.h"
#include "stack.h"

extern const sb_family sb_family_coap_udp, sb_family_coap_tcp;
extern const sb_family sb_family_tls, sb_family_dtls;
extern const sb_family sb_family_oscore;
extern const sb_family sb_family_edhoc;

static const sb_family *const families[] = {
    &sb_family_coap_udp,
    &sb_family_coap_tcp,
    &sb_family_tls,
    &sb_family_dtls,
    &sb_family_oscore,
    &sb_family_edhoc,
};

#define NFAM (sizeof families / sizeof families[0])

void sb_registry_enumerate(sb_emit_fn emit, void *arg)
{
    for (size_t i = 0; i < NFAM; i++) families[i]->enumerate(emit, arg);
}

struct find_ctx {
    const char *id;
    sb_stack_desc *out;
    int found;
};

static void find_emit(void *arg, const sb_stack_desc *d)
{
    struct find_ctx *f = arg;
    if (!f->found && strcmp(d->id, f->id) == 0) {
        *f->out = *d;
        f->found = 1;
    }
}

int sb_registry_find(const char *id, sb_stack_desc *d)
{
    struct find_ctx f = {.id = id, .out = d};
    /* family by family, stopping at the one that knows the id: enumerating the (D)TLS
     * families probes the libraries, which a plain or OSCORE run need not pay for */
    for (size_t i = 0; i < NFAM && !f.found; i++) families[i]->enumerate(find_emit, &f);
    return f.found ? SB_OK : SB_ENOTFOUND;
}

int sb_registry_with_lib(const sb_stack_desc *d, const char *lib, sb_stack_desc *out)
{
    if (!lib || strcmp(lib, d->library) == 0) {
        *out = *d;
        return SB_OK;
    }
    if (strcmp(d->library, "none") == 0) return SB_EINVAL;
    /* The library is one dash-separated field of the id: replace that field only. */
    char id[64];
    const char *at = strstr(d->id, d->library);
    if (!at) { /* the default library is implicit: "oscore" is oscore-openssl */
        snprintf(id, sizeof id, "%s-%s", d->id, lib);
        return sb_registry_find(id, out);
    }
    snprintf(id, sizeof id, "%.*s%s%s", (int)(at - d->id), d->id, lib, at + strlen(d->library));
    return sb_registry_find(id, out);
}

size_t sb_registry_opts(const sb_opt_def **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < NFAM; i++)
        for (const sb_opt_def *o = families[i]->opts; o && o->name; o++) {
            int dup = 0;
            for (size_t j = 0; j < n && !dup; j++) dup = strcmp(out[j]->name, o->name) == 0;
            if (!dup && n < cap) out[n++] = o;
        }
    return n;
}

void sb_desc_fill(sb_stack_desc *d, const sb_family *f, const char *protocol, const char *lib,
                  const char *auth, const char *cipher, sb_transport t, sb_framing fr)
{
    memset(d, 0, sizeof *d);
    snprintf(d->protocol, sizeof d->protocol, "%s", protocol);
    snprintf(d->library, sizeof d->library, "%s", lib);
    snprintf(d->auth, sizeof d->auth, "%s", auth);
    snprintf(d->cipher, sizeof d->cipher, "%s", cipher);
    d->transport = t;
    d->framing = fr;
    d->family = f;
    d->available = 1;
}
