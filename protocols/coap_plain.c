/* coap_plain.c: the baselines, CoAP over UDP (RFC 7252) and over TCP (RFC 8323).
 * No security layer: a session passes the workload's messages straight to the harness's
 * socket. Everything CoAP-specific (CON retransmission, CSM, stream reassembly) is in
 * bench/workload.c, shared with every secure stack. */
#include <stdio.h>
#include <stdlib.h>

#include "../bench/util.h"
#include "stack.h"

struct sb_session {
    sb_io *io;
};

static int plain_check(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap)
{
    (void)d, (void)p, (void)err, (void)cap;
    return SB_OK;
}

static int plain_ctx_new(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p,
                         sb_role role, char *err, size_t cap)
{
    (void)d, (void)p, (void)role, (void)err, (void)cap;
    *out = NULL; /* nothing outlives a connection */
    return SB_OK;
}

static void plain_ctx_free(sb_stack_ctx *c)
{
    (void)c;
}

static int plain_open(sb_session **out, sb_stack_ctx *c, sb_io *io)
{
    (void)c;
    sb_session *s = calloc(1, sizeof *s);
    if (!s) return SB_ENOMEM;
    s->io = io;
    *out = s;
    return SB_OK;
}

static int plain_handshake(sb_session *s, int64_t deadline)
{
    (void)s, (void)deadline;
    return SB_OK;
}

static int plain_send(sb_session *s, const uint8_t *msg, size_t len)
{
    return sb_io_send(s->io, msg, len);
}

static int plain_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    return sb_io_recv(s->io, buf, cap, len, deadline);
}

static void plain_free(sb_session *s)
{
    free(s);
}

static void udp_enumerate(sb_emit_fn emit, void *arg);
static void tcp_enumerate(sb_emit_fn emit, void *arg);

#define PLAIN_OPS                                                                               \
    .check = plain_check, .ctx_new = plain_ctx_new, .ctx_free = plain_ctx_free,                \
    .open = plain_open, .handshake = plain_handshake, .send = plain_send, .recv = plain_recv,  \
    .close = NULL, .free = plain_free

const sb_family sb_family_coap_udp = {.name = "coap", .enumerate = udp_enumerate, PLAIN_OPS};
const sb_family sb_family_coap_tcp = {.name = "coap+tcp", .enumerate = tcp_enumerate, PLAIN_OPS};

static void udp_enumerate(sb_emit_fn emit, void *arg)
{
    sb_stack_desc d;
    sb_desc_fill(&d, &sb_family_coap_udp, "coap", "none", "none", "none", SB_TRANSPORT_UDP,
                 SB_FRAMING_UDP);
    snprintf(d.id, sizeof d.id, "coap");
    emit(arg, &d);
}

static void tcp_enumerate(sb_emit_fn emit, void *arg)
{
    sb_stack_desc d;
    sb_desc_fill(&d, &sb_family_coap_tcp, "coap+tcp", "none", "none", "none", SB_TRANSPORT_TCP,
                 SB_FRAMING_TCP);
    snprintf(d.id, sizeof d.id, "coap+tcp");
    emit(arg, &d);
}
