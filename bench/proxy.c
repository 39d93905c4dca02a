#include "proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <coap3/coap.h> /* coap_split_proxy_uri, coap_split_path/query: libcoap's URI parser */
#include "cli.h"
#include "cpu.h"
#include "heap.h"
#include "params.h"
#include "role.h"
#include "util.h"
#include "workload.h"

#define OPT_HOP_LIMIT 16 /* RFC 8768 §3 */

/* One device-side session, allocated before the heap baseline so that only what the stack
 * and the proxy logic hold per device is counted. */
typedef struct slot {
    sb_io io;
    sb_session *s;
    sb_wl_conn wc;
    int open;
} slot;

typedef struct proxy {
    sb_role_cfg down, up; /* down: hop stack, --listen, ctl; up: hop stack, --upstream */
    struct sockaddr_storage up_ss;
    FILE *dump;
    char dump_buf[8192]; /* its stdio buffer, here so it is not counted as per-device heap */
    unsigned dump_seq;
    int tamper;
    int64_t deadline;
    sb_stack_ctx *dctx, *uctx;
    /* upstream session, opened on the first forwarded request */
    int ufd;
    sb_io uio;
    sb_session *us;
    sb_wl_conn uwc;
    int up_state; /* 0 not opened, 1 open, -1 failed */
    int64_t up_heap;
    char up_err[256];
    /* what happened */
    unsigned forwarded, refused, tampered_req, tampered_resp;
    int last_up_code, last_up_protected, last_down_code;
} proxy;

/* ---- the dump: what the gateway saw ---- */

static const char *opt_name(uint16_t n)
{
    switch (n) {
    case SB_OPT_URI_HOST:
        return "Uri-Host";
    case SB_OPT_URI_PORT:
        return "Uri-Port";
    case OPT_HOP_LIMIT:
        return "Hop-Limit";
    case SB_OPT_OSCORE:
        return "OSCORE";
    case SB_OPT_URI_PATH:
        return "Uri-Path";
    case SB_OPT_CONTENT_FORMAT:
        return "Content-Format";
    case SB_OPT_URI_QUERY:
        return "Uri-Query";
    case SB_OPT_PROXY_URI:
        return "Proxy-Uri";
    case SB_OPT_PROXY_SCHEME:
        return "Proxy-Scheme";
    case SB_OPT_ECHO:
        return "Echo";
    default:
        return "Option";
    }
}

static void dump_bytes(FILE *f, const uint8_t *p, size_t n)
{
    int printable = n > 0;
    for (size_t i = 0; i < n; i++)
        printable &= isprint(p[i]) != 0;
    if (printable) {
        fprintf(f, " \"%.*s\"", (int)n, (const char *)p);
        return;
    }
    fputs(" h'", f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", p[i]);
    fputc('\'', f);
}

/* One message as the proxy saw it: its encoding in the hop's framing on one `hex:` line (the
 * line tests and `run` search), then the decoded header, options and payload. */
static void dump_msg(proxy *px, const char *where, const sb_coap_msg *m, sb_framing fr)
{
    if (!px->dump) return;
    uint8_t buf[SB_COAP_MAX_MSG];
    size_t len = 0;
    if (sb_coap_encode(m, fr, buf, sizeof buf, &len)) len = 0;
    static const char *const types[] = {"CON", "NON", "ACK", "RST"};
    FILE *f = px->dump;
    fprintf(f, "# %u %s (%zu bytes, %s framing)\nhex: ", ++px->dump_seq, where, len,
            fr == SB_FRAMING_TCP ? "RFC 8323" : "RFC 7252");
    for (size_t i = 0; i < len; i++)
        fprintf(f, "%02x", buf[i]);
    fprintf(f, "\n%s %d.%02d mid=%u token=", fr == SB_FRAMING_UDP ? types[m->type & 3] : "-",
            m->code >> 5, m->code & 31, fr == SB_FRAMING_UDP ? m->mid : 0);
    for (size_t i = 0; i < m->tkl; i++)
        fprintf(f, "%02x", m->token[i]);
    fputc('\n', f);
    for (size_t i = 0; i < m->nopts; i++) {
        fprintf(f, "  %s (%u):", opt_name(m->opts[i].num), m->opts[i].num);
        dump_bytes(f, sb_coap_opt_val(m, &m->opts[i]), m->opts[i].len);
        fputc('\n', f);
    }
    if (m->payload_len) {
        fprintf(f, "  payload (%zu):", m->payload_len);
        dump_bytes(f, m->payload, m->payload_len);
        fputc('\n', f);
    }
    fflush(f);
}

/* ---- forwarding ---- */

static int scheme_port(const uint8_t *s, size_t n, uint16_t *port)
{
    static const struct {
        const char *s;
        uint16_t p;
    } known[] = {{"coap", 5683}, {"coaps", 5684}, {"coap+tcp", 5683}, {"coaps+tcp", 5684}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (n == strlen(known[i].s) && !memcmp(s, known[i].s, n)) {
            *port = known[i].p; /* RFC 7252 §6.1/§6.2, RFC 8323 §8.1/§8.2 */
            return SB_OK;
        }
    return SB_EUNSUP;
}

/* Is host (a Uri-Host value, IP literal with or without brackets) our upstream? */
static int is_upstream(const proxy *px, const uint8_t *host, size_t n, uint16_t port)
{
    char h[64];
    if (n && host[0] == '[' && host[n - 1] == ']') host++, n -= 2;
    if (n == 0 || n >= sizeof h) return 0;
    memcpy(h, host, n);
    h[n] = '\0';
    if (port != px->up.port) return 0;
    if (px->up_ss.ss_family == AF_INET6) {
        struct in6_addr a;
        return inet_pton(AF_INET6, h, &a) == 1 &&
               !memcmp(&a, &((const struct sockaddr_in6 *)&px->up_ss)->sin6_addr, sizeof a);
    }
    struct in_addr a;
    return inet_pton(AF_INET, h, &a) == 1 &&
           !memcmp(&a, &((const struct sockaddr_in *)&px->up_ss)->sin_addr, sizeof a);
}

/* Answer with a code and a diagnostic payload (RFC 7252 §5.5.2); returns 1 = answered. */
static int diag(sb_coap_msg *resp, uint8_t code, const char *text, uint8_t *pbuf, size_t pcap)
{
    size_t n = strlen(text) < pcap ? strlen(text) : pcap;
    memcpy(pbuf, text, n);
    resp->code = code;
    resp->payload = pbuf;
    resp->payload_len = n;
    return 1;
}

static int up_open(proxy *px)
{
    const sb_family *f = px->up.desc.family;
    int64_t h0 = sb_heap_in_use();
    int rc = sb_role_connect(&px->up, px->deadline, &px->ufd, px->up_err, sizeof px->up_err);
    if (rc) return rc;
    sb_io_init(&px->uio, px->ufd, px->up.desc.transport, -1);
    rc = f->open(&px->us, px->uctx, &px->uio);
    if (!rc) rc = f->handshake(px->us, px->deadline);
    if (px->us) sb_wl_conn_init(&px->uwc, f, px->us, &px->up.desc, px->up.seed ^ 0x9a7e);
    if (!rc) rc = sb_wl_send_csm(&px->uwc);
    sb_io_set_phase(&px->uio, SB_PHASE_APP);
    px->up_heap = sb_heap_in_use() - h0 - (int64_t)malloc_usable_size(px->uio.marks);
    if (rc && !px->up_err[0])
        snprintf(px->up_err, sizeof px->up_err, "upstream: %s",
                 px->uio.err[0] ? px->uio.err : sb_strerror(rc));
    px->up_state = rc ? -1 : 1;
    return rc;
}

/* The forwarded request: the client's, minus what addressed the proxy (Proxy-Uri, Proxy-Scheme,
 * Uri-Host, Uri-Port: the origin is now the destination, RFC 7252 §6.5), plus the path and
 * query of a Proxy-Uri. */
static int build_forward(const sb_coap_msg *req, const sb_coap_msg *from_uri, sb_coap_msg *fwd)
{
    sb_coap_init(fwd, SB_COAP_CON, req->code, 0, NULL, 0);
    int rc = SB_OK;
    for (size_t i = 0; i < req->nopts && !rc; i++) {
        uint16_t n = req->opts[i].num;
        if (n == SB_OPT_PROXY_URI || n == SB_OPT_PROXY_SCHEME || n == SB_OPT_URI_HOST ||
            n == SB_OPT_URI_PORT)
            continue;
        if (n == OPT_HOP_LIMIT) { /* RFC 8768 §3: decremented by each proxy (checked before) */
            const uint8_t *v = sb_coap_opt_val(req, &req->opts[i]);
            uint8_t dec = (uint8_t)(req->opts[i].len ? v[0] - 1 : 15);
            rc = sb_coap_add_opt(fwd, n, &dec, 1);
            continue;
        }
        rc = sb_coap_add_opt(fwd, n, sb_coap_opt_val(req, &req->opts[i]), req->opts[i].len);
    }
    for (size_t i = 0; i < from_uri->nopts && !rc; i++)
        rc = sb_coap_add_opt(fwd, from_uri->opts[i].num,
                             sb_coap_opt_val(from_uri, &from_uri->opts[i]), from_uri->opts[i].len);
    fwd->payload = req->payload;
    fwd->payload_len = req->payload_len;
    return rc;
}

static void tamper(proxy *px, uint8_t *p, size_t n, unsigned *count)
{
    if (!px->tamper || n == 0) return;
    p[0] ^= 0x01; /* one bit of one byte: the smallest change an attacker can make */
    (*count)++;
}

/* A Proxy-Uri (RFC 7252 §6.4) into Proxy-Scheme, Uri-Host, Uri-Port (addr) and Uri-Path,
 * Uri-Query (from_uri), with libcoap's parser. */
static int split_proxy_uri(const uint8_t *uri, size_t n, sb_coap_msg *addr, sb_coap_msg *from_uri)
{
    static const char *const schemes[] = {"coap",      "coaps", "coap+tcp",
                                          "coaps+tcp", "http",  "https"};
    coap_uri_t u;
    if (coap_split_proxy_uri(uri, n, &u) < 0 || (unsigned)u.scheme >= 6) return SB_EINVAL;
    const char *sc = schemes[u.scheme];
    int rc = sb_coap_add_opt(addr, SB_OPT_PROXY_SCHEME, (const uint8_t *)sc, strlen(sc));
    if (!rc) rc = sb_coap_add_opt(addr, SB_OPT_URI_HOST, u.host.s, u.host.length);
    if (!rc) rc = sb_coap_add_uint_opt(addr, SB_OPT_URI_PORT, u.port);
    const coap_str_const_t *part[2] = {&u.path, &u.query};
    for (int k = 0; k < 2 && !rc; k++) {
        uint8_t buf[1100];
        size_t blen = sizeof buf;
        if (!part[k]->length) continue;
        int segs = k ? coap_split_query(part[k]->s, part[k]->length, buf, &blen)
                     : coap_split_path(part[k]->s, part[k]->length, buf, &blen);
        if (segs < 0) return SB_EINVAL;
        for (size_t off = 0; segs-- > 0 && !rc && off < blen;) {
            coap_opt_t *o = buf + off;
            rc = sb_coap_add_opt(from_uri, k ? SB_OPT_URI_QUERY : SB_OPT_URI_PATH,
                                 coap_opt_value(o), coap_opt_length(o));
            off += coap_opt_size(o);
        }
    }
    return rc;
}

/* sb_wl_handler: answer one device request by forwarding it upstream. */
static int handle(void *arg, const sb_coap_msg *req, sb_coap_msg *resp, uint8_t *pbuf, size_t pcap)
{
    proxy *px = arg;
    sb_framing dfr = px->down.desc.framing, ufr = px->up.desc.framing;
    dump_msg(px, "device -> proxy: request", req, dfr);
    size_t n;
    const uint8_t *puri = sb_coap_find_opt(req, SB_OPT_PROXY_URI, &n);
    sb_coap_msg addr, from_uri; /* addr: scheme/host/port; from_uri: path and query */
    sb_coap_init(&addr, 0, 0, 0, NULL, 0);
    sb_coap_init(&from_uri, 0, 0, 0, NULL, 0);
    int answered = 0;
    if (puri) {
        if (split_proxy_uri(puri, n, &addr, &from_uri))
            answered = diag(resp, SB_COAP_BAD_OPTION, "bad Proxy-Uri", pbuf, pcap);
    } else if (sb_coap_find_opt(req, SB_OPT_PROXY_SCHEME, NULL)) {
        addr = *req;
    } else {
        answered =
            diag(resp, SB_COAP_NOT_FOUND, "a forward proxy: no resources of its own", pbuf, pcap);
    }
    size_t sl = 0, hl = 0, pl = 0;
    const uint8_t *scheme = sb_coap_find_opt(&addr, SB_OPT_PROXY_SCHEME, &sl);
    const uint8_t *host = sb_coap_find_opt(&addr, SB_OPT_URI_HOST, &hl);
    const uint8_t *portv = sb_coap_find_opt(&addr, SB_OPT_URI_PORT, &pl);
    uint16_t port = 0;
    if (!answered && scheme_port(scheme, sl, &port))
        answered = diag(resp, SB_COAP_PROXYING_NOT_SUPPORTED, "unknown Proxy-Scheme", pbuf, pcap);
    if (portv) {
        port = 0;
        for (size_t i = 0; i < pl; i++)
            port = (uint16_t)(port << 8 | portv[i]);
    }
    /* The safety rule: only the configured upstream, never an address a request names. */
    if (!answered && (!host || !is_upstream(px, host, hl, port)))
        answered = diag(resp, SB_COAP_BAD_GATEWAY, "not the configured upstream", pbuf, pcap);
    size_t hlen = 0;
    const uint8_t *hop = sb_coap_find_opt(req, OPT_HOP_LIMIT, &hlen);
    if (!answered && hop && (hlen != 1 || hop[0] <= 1)) /* RFC 8768 §3: 5.08, nothing sent */
        answered = diag(resp, SB_COAP_CODE(5, 8), "Hop-Limit reached", pbuf, pcap);
    if (answered) {
        px->refused++;
        px->last_down_code = resp->code;
        dump_msg(px, "proxy -> device: response (refused, nothing forwarded)", resp, dfr);
        return SB_OK;
    }
    sb_coap_msg fwd, ursp;
    uint8_t copy[SB_COAP_MAX_MSG], rbuf[SB_COAP_MAX_MSG];
    if (build_forward(req, &from_uri, &fwd) || fwd.payload_len > sizeof copy)
        diag(resp, SB_COAP_BAD_GATEWAY, "request too large to forward", pbuf, pcap);
    else if (px->up_state == 0 && up_open(px))
        diag(resp, SB_COAP_BAD_GATEWAY, px->up_err, pbuf, pcap);
    else if (px->up_state < 0)
        diag(resp, SB_COAP_BAD_GATEWAY, px->up_err, pbuf, pcap);
    else {
        if (fwd.payload_len) { /* a copy the proxy may change */
            memcpy(copy, fwd.payload, fwd.payload_len);
            fwd.payload = copy;
            tamper(px, copy, fwd.payload_len, &px->tampered_req);
        }
        sb_workload w = px->up.wl;
        int rc = sb_wl_exchange(&px->uwc, &fwd, &ursp, rbuf, sizeof rbuf, &w, px->deadline);
        /* the exchange set type, MID and token: dump what was actually sent */
        dump_msg(px, "proxy -> server: request", &fwd, ufr);
        px->forwarded++;
        if (rc == SB_ETIMEOUT) {
            diag(resp, SB_COAP_CODE(5, 4), "upstream timeout", pbuf, pcap); /* Gateway Timeout */
        } else if (rc) {
            px->up_state = -1; /* the upstream session is gone; later requests fail fast */
            snprintf(px->up_err, sizeof px->up_err, "upstream: %s",
                     px->uio.err[0] ? px->uio.err : sb_strerror(rc));
            diag(resp, SB_COAP_BAD_GATEWAY, px->up_err, pbuf, pcap);
        } else {
            dump_msg(px, "server -> proxy: response", &ursp, ufr);
            px->last_up_code = ursp.code;
            px->last_up_protected = sb_coap_find_opt(&ursp, SB_OPT_OSCORE, NULL) != NULL;
            resp->code = ursp.code;
            int too_big = ursp.payload_len > pcap;
            for (size_t i = 0; i < ursp.nopts && !too_big; i++)
                too_big = sb_coap_add_opt(resp, ursp.opts[i].num,
                                          sb_coap_opt_val(&ursp, &ursp.opts[i]), ursp.opts[i].len);
            if (too_big) {
                resp->nopts = 0;
                diag(resp, SB_COAP_BAD_GATEWAY, "response too large", pbuf, pcap);
            } else {
                if (ursp.payload_len) memcpy(pbuf, ursp.payload, ursp.payload_len);
                tamper(px, pbuf, ursp.payload_len, &px->tampered_resp);
                resp->payload = ursp.payload_len ? pbuf : NULL;
                resp->payload_len = ursp.payload_len;
            }
        }
    }
    px->last_down_code = resp->code;
    dump_msg(px, "proxy -> device: response", resp, dfr);
    return SB_OK;
}

/* ---- the proxy process ---- */

static void report_extra(const proxy *px, unsigned held, FILE *f)
{
    fprintf(f,
            "proxy_held %u\nproxy_forwarded %u\nproxy_refused %u\nproxy_tampered_req %u\n"
            "proxy_tampered_resp %u\nproxy_up_code %d\nproxy_up_protected %d\n",
            held, px->forwarded, px->refused, px->tampered_req, px->tampered_resp, px->last_up_code,
            px->last_up_protected);
}

static void copy_marks(sb_report *rep, const sb_io *io)
{
    size_t n = io->nmarks < SB_REPORT_MAX_MARKS ? io->nmarks : SB_REPORT_MAX_MARKS;
    if (n) memcpy(rep->marks, io->marks, n * sizeof io->marks[0]);
    rep->nmarks = n;
}

/* Serve the device sessions; fills rep (device side). `hold` sessions are kept open. */
static int serve(proxy *px, unsigned sessions, unsigned hold, sb_report *rep)
{
    const sb_family *f = px->down.desc.family;
    unsigned nslots = hold > 1 ? hold : 1;
    unsigned meas = hold > 1 ? hold - 1 : sessions > 1 ? sessions - 1 : 0;
    slot *sl = calloc(nslots, sizeof *sl);
    sb_dgram_stash *stash = calloc(1, sizeof *stash);
    int lfd = sb_role_listen(&px->down, rep->error, sizeof rep->error);
    if (!sl || !stash || lfd < 0) {
        free(sl), free(stash);
        return lfd < 0 ? lfd : SB_ENOMEM;
    }
    sb_cpu cpu;
    sb_cpu_open(&cpu);
    snprintf(rep->cycles_source, sizeof rep->cycles_source, "%s", cpu.source);
    if (px->down.ready_fd >= 0 && write(px->down.ready_fd, "ready\n", 6) != 6) {
        free(sl), free(stash), close(lfd);
        return SB_EIO;
    }
    int64_t base = sb_heap_in_use();
    sb_heap_peak_reset();
    sb_cpu_start(&cpu);
    int rc = SB_OK;
    for (unsigned i = 0; !rc && (sessions == 0 || i < sessions); i++) {
        slot *s = &sl[hold > 1 ? i % nslots : 0];
        rc = sb_role_accept(&px->down, lfd, stash, &s->io, px->deadline);
        if (rc) break;
        s->open = 1;
        /* established: both hops are up before the device's clock starts (its handshake
         * waits for the upstream one); cold: the first request waits for it instead */
        if (px->down.scenario == SB_SCEN_ESTABLISHED && px->up_state == 0) up_open(px);
        rc = f->open(&s->s, px->dctx, &s->io);
        if (!rc) rc = f->handshake(s->s, px->deadline);
        if (s->s) sb_wl_conn_init(&s->wc, f, s->s, &px->down.desc, px->down.seed ^ 0x5e5e ^ i);
        if (!rc) rc = sb_wl_send_csm(&s->wc);
        sb_io_set_phase(&s->io, SB_PHASE_APP);
        if (!rc) rc = sb_wl_serve_with(&s->wc, handle, px, px->down.wl.requests, px->deadline);
        if (i == meas) {
            /* every held session is up and served: what the proxy holds per device */
            int64_t held = sb_heap_in_use() - base - px->up_heap;
            /* the harness's own bookkeeping (marks of what was sent) is not the gateway's */
            held -= (int64_t)malloc_usable_size(px->uio.marks);
            for (unsigned k = 0; k < nslots; k++)
                held -= (int64_t)malloc_usable_size(sl[k].io.marks);
            rep->heap_session = sb_heap_hooked() ? held / (int64_t)nslots : SB_NA;
            rep->local_port = sb_role_local_port(s->io.fd);
        }
        int parked = hold > 1 && i + 1 < hold;
        if (!rc && !parked) rc = sb_wl_serve_with(&s->wc, handle, px, 0, px->deadline);
        int peer_done = rc == SB_ECLOSED || rc == SB_ESTOP;
        if (rc && !peer_done && !rep->error[0])
            snprintf(rep->error, sizeof rep->error, "device session %u: %s", i,
                     s->io.err[0] ? s->io.err : sb_strerror(rc));
        if (!parked) { /* our close, if the device did not close first (marked: teardown) */
            sb_io_set_phase(&s->io, SB_PHASE_TEARDOWN);
            if (s->s && f->close && !peer_done) f->close(s->s, sb_now_ns() + 200 * SB_NS_PER_MS);
        }
        if (i == meas) {
            copy_marks(rep, &s->io);
            rep->retransmissions = (s->s ? s->wc.retransmits : 0) + s->io.retransmits;
            if (px->down.desc.transport == SB_TRANSPORT_TCP)
                rep->retransmissions += sb_role_tcp_retrans(s->io.fd);
        }
        rep->tx_bytes += s->io.tx_bytes;
        rep->rx_bytes += s->io.rx_bytes;
        if (peer_done) rc = rc == SB_ESTOP ? SB_ESTOP : SB_OK;
        if (!parked) { /* done with it; a held group is released together */
            for (unsigned k = 0; k < nslots; k++) {
                slot *t = &sl[k];
                if (!t->open) continue;
                if (t->s) f->free(t->s);
                if (t->io.fd != lfd) close(t->io.fd);
                sb_io_release(&t->io);
                memset(t, 0, sizeof *t);
            }
        }
    }
    if (rc == SB_ESTOP || (rc == SB_ETIMEOUT && sessions == 0)) rc = SB_OK;
    if (px->up_state == 1) { /* the upstream session ends with the last device session */
        sb_io_set_phase(&px->uio, SB_PHASE_TEARDOWN);
        if (px->up.desc.family->close)
            px->up.desc.family->close(px->us, sb_now_ns() + 500 * SB_NS_PER_MS);
    }
    sb_cpu_stop(&cpu);
    rep->heap_peak = sb_heap_hooked() ? sb_heap_peak() - base : SB_NA;
    rep->cycles = cpu.cycles;
    rep->instructions = cpu.instructions;
    rep->cpu_ns = cpu.cpu_ns;
    sb_cpu_close(&cpu);
    for (unsigned k = 0; k < nslots; k++) /* a failed run may leave held sessions */
        if (sl[k].open) {
            if (sl[k].s) f->free(sl[k].s);
            if (sl[k].io.fd != lfd) close(sl[k].io.fd);
            sb_io_release(&sl[k].io);
        }
    free(sl);
    free(stash);
    close(lfd);
    return rc;
}

/* ---- the fleet's devices: N client sessions opened one after another and held ---- */

static int fleet(const sb_role_cfg *c, unsigned n, sb_report *rep)
{
    const sb_family *f = c->desc.family;
    sb_report_init(rep);
    int64_t deadline = sb_now_ns() + c->timeout_ns;
    sb_stack_ctx *ctx = NULL;
    slot *sl = calloc(n, sizeof *sl);
    if (!sl) return SB_ENOMEM;
    int rc = f->ctx_new(&ctx, &c->desc, c->params, SB_ROLE_CLIENT, rep->error, sizeof rep->error);
    for (unsigned i = 0; !rc && i < n; i++) {
        slot *s = &sl[i];
        int fd;
        int64_t t0 = sb_now_ns();
        if ((rc = sb_role_connect(c, deadline, &fd, rep->error, sizeof rep->error))) break;
        sb_io_init(&s->io, fd, c->desc.transport, -1);
        s->open = 1;
        rc = f->open(&s->s, ctx, &s->io);
        if (!rc) rc = f->handshake(s->s, deadline);
        int64_t t_hs = sb_now_ns();
        if (s->s) sb_wl_conn_init(&s->wc, f, s->s, &c->desc, c->seed + i);
        if (!rc) rc = sb_wl_send_csm(&s->wc);
        sb_io_set_phase(&s->io, SB_PHASE_APP);
        uint8_t code = 0;
        if (!rc) rc = sb_wl_run_client(&s->wc, &c->wl, &code, deadline);
        if (i + 1 == n || rc) { /* the row describes the last device */
            rep->final_code = rc ? -1 : code;
            rep->time_ns = sb_now_ns() - t0;
            rep->handshake_ns = t_hs - t0;
            rep->local_port = sb_role_local_port(fd);
            rep->tx_bytes = s->io.tx_bytes;
            rep->rx_bytes = s->io.rx_bytes;
            rep->retransmissions = (s->s ? s->wc.retransmits : 0) + s->io.retransmits;
            rep->req_coap = s->wc.last_req_coap;
            rep->req_payload = s->wc.last_req_payload;
            if (rc)
                snprintf(rep->error, sizeof rep->error, "device %u of %u: %s", i + 1, n,
                         s->io.err[0] ? s->io.err : sb_strerror(rc));
        }
    }
    for (unsigned i = 0; i < n; i++) {
        slot *s = &sl[i];
        if (!s->open) continue;
        sb_io_set_phase(&s->io, SB_PHASE_TEARDOWN);
        if (s->s && f->close) f->close(s->s, sb_now_ns() + 200 * SB_NS_PER_MS);
        if (i + 1 == n) copy_marks(rep, &s->io);
        if (s->s) f->free(s->s);
        close(s->io.fd);
        sb_io_release(&s->io);
    }
    free(sl);
    if (ctx) f->ctx_free(ctx);
    rep->ok = rc == SB_OK;
    return rc;
}

/* ---- command line ---- */

/* Take our own options out of argv (the rest are the roles' options). */
static const char *take(int *argc, char **argv, const char *name, int has_arg)
{
    size_t nl = strlen(name);
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) || strncmp(a + 2, name, nl)) continue;
        const char *val = NULL;
        int used = 1;
        if (a[2 + nl] == '=' && has_arg)
            val = a + 3 + nl;
        else if (a[2 + nl] == '\0' && has_arg && i + 1 < *argc)
            val = argv[i + 1], used = 2;
        else if (a[2 + nl] == '\0' && !has_arg)
            val = "";
        else
            continue;
        memmove(argv + i, argv + i + used, (size_t)(*argc - i - used) * sizeof *argv);
        *argc -= used;
        return val;
    }
    return NULL;
}

static void help(void)
{
    puts("usage: secbench proxy --stack ID --listen [ADDR]:PORT --upstream [ADDR]:PORT\n"
         "       [--proxy-dump FILE] [--proxy-tamper] [--hold N] [server options]\n"
         "A CoAP forward proxy (RFC 7252 5.7) for the hop stack of ID (OSCORE: plain CoAP,\n"
         "oscore+dtls1.2: its DTLS): it forwards requests carrying Proxy-Uri or Proxy-Scheme +\n"
         "Uri-Host only to --upstream (anything else: 5.02), dumps what it saw (--proxy-dump)\n"
         "and can change one byte of each payload (--proxy-tamper). Used by `run --via proxy`.\n"
         "  secbench proxy --fleet N --stack ID --connect [PROXY]:PORT --proxy-scheme S\n"
         "       --uri-host HOST --uri-port P [client options]\n"
         "N devices' sessions opened one after another and held (the fleet's client side).");
}

static int parse_upstream(proxy *px, const char *hp, char *err, size_t cap)
{
    sb_params *tmp = sb_params_new();
    sb_params_set(tmp, "stack", px->down.desc.id);
    sb_params_set(tmp, "connect", hp);
    sb_role_cfg c;
    int rc = sb_cli_role_cfg(tmp, SB_VERB_CLIENT, &c, err, cap);
    sb_params_free(tmp);
    if (rc) return rc;
    snprintf(px->up.addr, sizeof px->up.addr, "%s", c.addr);
    px->up.port = c.port;
    px->up.ipv4 = c.ipv4;
    memset(&px->up_ss, 0, sizeof px->up_ss);
    px->up_ss.ss_family = c.ipv4 ? AF_INET : AF_INET6;
    void *dst = c.ipv4 ? (void *)&((struct sockaddr_in *)&px->up_ss)->sin_addr
                       : (void *)&((struct sockaddr_in6 *)&px->up_ss)->sin6_addr;
    if (inet_pton(px->up_ss.ss_family, c.addr, dst) != 1)
        return sb_fail(err, cap, SB_EINVAL, "--upstream: '%s' is not an IP address", hp);
    return SB_OK;
}

int sb_proxy_main(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        help();
        return 0;
    }
    const char *upstream = take(&argc, argv, "upstream", 1);
    const char *dump = take(&argc, argv, "proxy-dump", 1);
    const char *tamper = take(&argc, argv, "proxy-tamper", 0);
    const char *hold_s = take(&argc, argv, "hold", 1);
    const char *fleet_s = take(&argc, argv, "fleet", 1);
    int fleet_mode = fleet_s != NULL;
    int verb = fleet_mode ? SB_VERB_CLIENT : SB_VERB_SERVER;
    sb_params *p = sb_params_new();
    char err[512];
    uint64_t hold = 0, nfleet = 0, fd = 0;
    proxy *px = calloc(1, sizeof *px);
    sb_report *rep = calloc(2, sizeof *rep);
    int rc = !px || !rep ? SB_ENOMEM : sb_cli_parse(verb, argc, argv, 1, p, err, sizeof err);
    if (!rc) rc = sb_cli_role_cfg(p, verb, &px->down, err, sizeof err);
    const char *rf = sb_params_get(p, "report-fd");
    if (!rc && rf && sb_parse_u64(rf, 65535, &fd))
        rc = sb_fail(err, sizeof err, SB_EINVAL, "--report-fd: bad descriptor");
    if (!rc && hold_s && (sb_parse_u64(hold_s, 100000, &hold) || hold == 0))
        rc = sb_fail(err, sizeof err, SB_EINVAL, "--hold: '%s' is not 1..100000", hold_s);
    if (!rc && fleet_mode && (sb_parse_u64(fleet_s, 100000, &nfleet) || nfleet == 0))
        rc = sb_fail(err, sizeof err, SB_EINVAL, "--fleet: '%s' is not 1..100000", fleet_s);
    if (!rc && !fleet_mode && !upstream)
        rc = sb_fail(err, sizeof err, SB_EINVAL, "--upstream [ADDR]:PORT is required");
    sb_stack_desc hop;
    if (!rc && !fleet_mode) {
        const char *hid = px->down.desc.hop_stack[0] ? px->down.desc.hop_stack : px->down.desc.id;
        if (sb_registry_find(hid, &hop) || !hop.available)
            rc = sb_fail(err, sizeof err, SB_EUNSUP, "hop stack '%s' of %s is not available", hid,
                         px->down.desc.id);
    }
    if (!rc && !fleet_mode) {
        px->down.desc = hop;
        px->up = px->down;
        rc = parse_upstream(px, upstream, err, sizeof err);
    }
    if (!rc && dump && !(px->dump = fopen(dump, "w")))
        rc = sb_fail(err, sizeof err, SB_EIO, "--proxy-dump %s: cannot write", dump);
    if (!rc && px->dump) setvbuf(px->dump, px->dump_buf, _IOFBF, sizeof px->dump_buf);
    if (rc) {
        fprintf(stderr, "secbench proxy: %s\n", err);
        if (px && px->dump) fclose(px->dump);
        free(px), free(rep);
        sb_params_free(p);
        return 2;
    }
    FILE *out = rf ? fdopen((int)fd, "w") : NULL;
    px->tamper = tamper != NULL;
    px->deadline = px->down.timeout_ns ? sb_now_ns() + px->down.timeout_ns : INT64_MAX;
    sb_report_init(&rep[0]);
    sb_report_init(&rep[1]);
    if (fleet_mode) {
        rc = fleet(&px->down, (unsigned)nfleet, &rep[0]);
        if (out)
            sb_report_write(&rep[0], out);
        else
            fprintf(stderr, "secbench proxy --fleet: %s\n", rc ? rep[0].error : "ok");
    } else {
        const sb_family *f = px->down.desc.family;
        px->down.ready_fd = out ? (int)fd : -1;
        rc = f->ctx_new(&px->dctx, &px->down.desc, p, SB_ROLE_SERVER, rep[0].error,
                        sizeof rep[0].error);
        if (!rc)
            rc = f->ctx_new(&px->uctx, &px->up.desc, p, SB_ROLE_CLIENT, rep[0].error,
                            sizeof rep[0].error);
        if (!rc) rc = serve(px, px->down.sessions, (unsigned)hold, &rep[0]);
        rep[0].ok = rc == SB_OK;
        rep[0].final_code = px->last_down_code ? px->last_down_code : -1;
        if (px->up_state != 0) { /* the upstream side: for the capture of the backhaul */
            rep[1].ok = px->up_state == 1;
            rep[1].final_code = px->last_up_code ? px->last_up_code : -1;
            rep[1].local_port = sb_role_local_port(px->ufd);
            rep[1].tx_bytes = px->uio.tx_bytes;
            rep[1].rx_bytes = px->uio.rx_bytes;
            rep[1].retransmissions = px->uwc.retransmits + px->uio.retransmits;
            snprintf(rep[1].error, sizeof rep[1].error, "%s", px->up_err);
            copy_marks(&rep[1], &px->uio);
        }
        if (out) {
            report_extra(px, hold > 1 ? (unsigned)hold : 1, out);
            sb_report_write(&rep[0], out);
            sb_report_write(&rep[1], out);
        } else if (rc) {
            fprintf(stderr, "secbench proxy: %s\n", rep[0].error);
        }
        if (px->us) px->up.desc.family->free(px->us);
        if (px->up_state != 0) {
            close(px->ufd);
            sb_io_release(&px->uio);
        }
        if (px->uctx) px->up.desc.family->ctx_free(px->uctx);
        if (px->dctx) f->ctx_free(px->dctx);
    }
    if (out) fclose(out);
    if (px->dump) fclose(px->dump);
    free(px);
    free(rep);
    sb_params_free(p);
    return rc == SB_OK ? 0 : fleet_mode ? 3 : 1;
}
