#include "role.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cpu.h"
#include "heap.h"
#include "util.h"

void sb_report_init(sb_report *r)
{
    memset(r, 0, sizeof *r);
    r->final_code = -1;
    r->resumed = -1;
    r->time_ns = r->handshake_ns = SB_NA;
    r->cycles = r->instructions = r->cpu_ns = SB_NA;
    r->heap_peak = r->heap_session = SB_NA;
    r->edhoc_msg[0] = r->edhoc_msg[1] = r->edhoc_msg[2] = SB_NA;
}

/* ---- the report: "key value" lines, then one "mark key len phase" line per mark ---- */

#define REPORT_INTS(X)                                                                         \
    X(ok) X(final_code) X(resumed) X(time_ns) X(handshake_ns) X(cycles) X(instructions)        \
    X(cpu_ns) X(heap_peak) X(heap_session) X(retransmissions) X(local_port) X(tx_bytes)        \
    X(rx_bytes) X(req_coap) X(req_payload) X(resp_coap) X(resp_payload)

void sb_report_write(const sb_report *r, FILE *f)
{
#define W(k) fprintf(f, #k " %lld\n", (long long)r->k);
    REPORT_INTS(W)
#undef W
    for (int i = 0; i < 3; i++) fprintf(f, "edhoc_msg%d %lld\n", i, (long long)r->edhoc_msg[i]);
    fprintf(f, "cycles_source %s\n", r->cycles_source);
    fprintf(f, "error %s\n", r->error);
    for (size_t i = 0; i < r->nmarks; i++)
        fprintf(f, "mark %llu %u %u\n", (unsigned long long)r->marks[i].key, r->marks[i].len,
                r->marks[i].phase);
    fprintf(f, "end\n");
    fflush(f);
}

int sb_report_read(sb_report *r, FILE *f)
{
    sb_report_init(r);
    char line[512];
    int ended = 0;
    while (!ended && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *val = strchr(line, ' ');
        if (val) *val++ = '\0';
        else val = line + strlen(line);
        long long v = strtoll(val, NULL, 10);
        if (0) {}
#define R(k) else if (strcmp(line, #k) == 0) r->k = (__typeof__(r->k))v;
        REPORT_INTS(R)
#undef R
        else if (strncmp(line, "edhoc_msg", 9) == 0 && line[9] >= '0' && line[9] <= '2')
            r->edhoc_msg[line[9] - '0'] = v;
        else if (strcmp(line, "cycles_source") == 0)
            snprintf(r->cycles_source, sizeof r->cycles_source, "%s", val);
        else if (strcmp(line, "error") == 0) snprintf(r->error, sizeof r->error, "%s", val);
        else if (strcmp(line, "mark") == 0 && r->nmarks < SB_REPORT_MAX_MARKS) {
            unsigned long long k;
            unsigned len, ph;
            if (sscanf(val, "%llu %u %u", &k, &len, &ph) == 3)
                r->marks[r->nmarks++] = (sb_mark){.key = k, .len = len, .phase = (uint8_t)ph};
        } else if (strcmp(line, "end") == 0) ended = 1;
    }
    return ended ? SB_OK : SB_EPROTO;
}

/* ---- sockets: the harness's, never the stack's ---- */

static int make_addr(const sb_role_cfg *c, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof *ss);
    if (c->ipv4) {
        struct sockaddr_in *a = (struct sockaddr_in *)ss;
        a->sin_family = AF_INET;
        a->sin_port = htons(c->port);
        if (c->addr[0] && inet_pton(AF_INET, c->addr, &a->sin_addr) != 1) return SB_EINVAL;
        *len = sizeof *a;
    } else {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(c->port);
        if (c->addr[0] && inet_pton(AF_INET6, c->addr, &a->sin6_addr) != 1) return SB_EINVAL;
        *len = sizeof *a;
    }
    return SB_OK;
}

uint16_t sb_role_local_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t l = sizeof ss;
    if (getsockname(fd, (struct sockaddr *)&ss, &l) != 0) return 0;
    return ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                         : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static void set_nodelay(int fd)
{
    int one = 1; /* no Nagle: every CoAP message leaves at once (no hidden waits) */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

unsigned sb_role_tcp_retrans(int fd)
{
    struct tcp_info ti;
    socklen_t l = sizeof ti;
    return getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) == 0 ? ti.tcpi_total_retrans : 0;
}

int sb_role_connect(const sb_role_cfg *c, int64_t deadline, int *out, char *err, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (make_addr(c, &ss, &len))
        return sb_fail(err, cap, SB_EINVAL, "bad address '%s'", c->addr);
    int tcp = c->desc.transport == SB_TRANSPORT_TCP;
    int fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) return sb_fail(err, cap, SB_EIO, "socket: %s", strerror(errno));
    if (tcp) {
        set_nodelay(fd);
        fcntl(fd, F_SETFL, O_NONBLOCK);
    }
    int rc = connect(fd, (struct sockaddr *)&ss, len);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        int r;
        while ((r = poll(&p, 1, sb_ms_left(deadline))) < 0 && errno == EINTR) {}
        int soerr = 0;
        socklen_t sl = sizeof soerr;
        if (r == 0) {
            close(fd);
            return sb_fail(err, cap, SB_ETIMEOUT, "timeout connecting to [%s]:%u", c->addr, c->port);
        }
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
        errno = soerr;
        rc = soerr ? -1 : 0;
    }
    if (rc != 0) {
        int e = errno;
        close(fd);
        return sb_fail(err, cap, e == ECONNREFUSED ? SB_ECLOSED : SB_EIO,
                       "cannot connect to [%s]:%u: %s", c->addr, c->port, strerror(e));
    }
    if (tcp) fcntl(fd, F_SETFL, 0);
    *out = fd;
    return SB_OK;
}

/* ---- client ---- */

typedef struct session_out {
    int64_t t_start, t_hs, t_end;
    unsigned retrans;
    uint8_t final_code;
    int resumed;
} session_out;

/* One client connection: connect, handshake, CSM, requests, close. `measured` selects where
 * the clocks and counters run (scenario) and whether marks are kept. */
static int client_session(const sb_role_cfg *c, sb_stack_ctx *ctx, sb_cpu *cpu, sb_report *rep,
                          int measured, int64_t deadline)
{
    const sb_family *f = c->desc.family;
    int established = c->scenario == SB_SCEN_ESTABLISHED;
    int64_t t0 = sb_now_ns();
    if (measured && !established) sb_cpu_start(cpu);
    int fd = -1, rc = sb_role_connect(c, deadline, &fd, rep->error, sizeof rep->error);
    if (rc) return rc;
    sb_io io;
    sb_io_init(&io, fd, c->desc.transport, -1);
    int64_t heap0 = sb_heap_in_use();
    sb_session *s = NULL;
    rc = f->open(&s, ctx, &io);
    if (!rc) rc = f->handshake(s, deadline);
    int64_t t_hs = sb_now_ns();
    sb_wl_conn wc;
    if (s) sb_wl_conn_init(&wc, f, s, &c->desc, c->seed);
    if (!rc) rc = sb_wl_send_csm(&wc);
    if (!rc && established) rc = sb_wl_wait_csm(&wc, deadline); /* post-handshake traffic done */
    if (measured) {
        rep->handshake_ns = t_hs - t0;
        rep->heap_session = sb_heap_in_use() - heap0;
        rep->local_port = sb_role_local_port(fd);
    }
    if (!rc && measured && established) {
        t0 = sb_now_ns();
        sb_cpu_start(cpu);
    }
    uint8_t code = 0;
    sb_io_set_phase(&io, SB_PHASE_APP);
    if (!rc) rc = sb_wl_run_client(&wc, &c->wl, &code, deadline);
    int64_t t_end = sb_now_ns();
    if (measured) sb_cpu_stop(cpu);
    if (!rc) {
        rep->final_code = code;
        if (measured) rep->time_ns = t_end - t0;
    }
    sb_io_set_phase(&io, SB_PHASE_TEARDOWN);
    if (s && f->close) f->close(s, rc ? sb_now_ns() + 200 * SB_NS_PER_MS : deadline);
    if (measured) {
        rep->retransmissions = (s ? wc.retransmits : 0) + io.retransmits;
        if (c->desc.transport == SB_TRANSPORT_TCP) rep->retransmissions += sb_role_tcp_retrans(fd);
        rep->tx_bytes = io.tx_bytes;
        rep->rx_bytes = io.rx_bytes;
        if (s) {
            rep->req_coap = wc.last_req_coap;
            rep->req_payload = wc.last_req_payload;
        }
        size_t n = io.nmarks < SB_REPORT_MAX_MARKS ? io.nmarks : SB_REPORT_MAX_MARKS;
        memcpy(rep->marks, io.marks, n * sizeof io.marks[0]);
        rep->nmarks = n;
    }
    if (measured && s && f->query) {
        int64_t v;
        if (f->query(s, "resumed", &v) == SB_OK) rep->resumed = (int)v;
        static const char *const m[3] = {"edhoc_m1", "edhoc_m2", "edhoc_m3"};
        for (int i = 0; i < 3; i++)
            if (f->query(s, m[i], &v) == SB_OK) rep->edhoc_msg[i] = v;
    }
    if (rc && !rep->error[0])
        snprintf(rep->error, sizeof rep->error, "%s%s", io.err[0] ? io.err : sb_strerror(rc),
                 rc == SB_ETIMEOUT && !io.err[0] ? ": no answer from the server" : "");
    if (s) f->free(s);
    close(fd);
    sb_io_release(&io);
    return rc;
}

int sb_role_client(const sb_role_cfg *c, sb_report *rep)
{
    sb_report_init(rep);
    int64_t deadline = sb_now_ns() + c->timeout_ns;
    const sb_family *f = c->desc.family;
    sb_cpu cpu;
    sb_cpu_open(&cpu);
    snprintf(rep->cycles_source, sizeof rep->cycles_source, "%s", cpu.source);
    sb_stack_ctx *ctx = NULL;
    int rc = f->ctx_new(&ctx, &c->desc, c->params, SB_ROLE_CLIENT, rep->error, sizeof rep->error);
    if (rc) goto out;
    if (c->scenario == SB_SCEN_RESUMED) {
        if (!c->desc.has_sessions) {
            rc = sb_fail(rep->error, sizeof rep->error, SB_EUNSUP,
                         "scenario 'resumed' needs a security session; %s has none", c->desc.id);
            goto out;
        }
        sb_report prime;
        sb_report_init(&prime);
        rc = client_session(c, ctx, &cpu, &prime, 0, deadline);
        if (rc) {
            snprintf(rep->error, sizeof rep->error, "priming connection: %s", prime.error);
            goto out;
        }
    }
    /* Heap counted from after library initialisation (and priming). */
    int64_t base = sb_heap_in_use();
    sb_heap_peak_reset();
    rc = client_session(c, ctx, &cpu, rep, 1, deadline);
    if (sb_heap_hooked()) rep->heap_peak = sb_heap_peak() - base;
    else rep->heap_session = SB_NA;
out:
    rep->cycles = cpu.cycles;
    rep->instructions = cpu.instructions;
    rep->cpu_ns = rep->time_ns == SB_NA && rc ? SB_NA : cpu.cpu_ns;
    sb_cpu_close(&cpu);
    if (ctx) f->ctx_free(ctx);
    rep->ok = rc == SB_OK;
    return rc;
}

/* ---- server ---- */

int sb_role_listen(const sb_role_cfg *c, char *err, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len;
    if (make_addr(c, &ss, &len)) return sb_fail(err, cap, SB_EINVAL, "bad address '%s'", c->addr);
    int tcp = c->desc.transport == SB_TRANSPORT_TCP;
    int fd = socket(ss.ss_family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
    if (fd < 0) return sb_fail(err, cap, SB_EIO, "socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&ss, len) != 0 || (tcp && listen(fd, 16) != 0)) {
        int e = errno;
        close(fd);
        return sb_fail(err, cap, e == EADDRINUSE ? SB_EINVAL : SB_EIO,
                       "cannot listen on [%s]:%u: %s", c->addr[0] ? c->addr : "::", c->port,
                       strerror(e));
    }
    return fd;
}

/* Wait for the next peer: a TCP connection, or a UDP datagram from a new address. */
int sb_role_accept(const sb_role_cfg *c, int lfd, sb_dgram_stash *stash, sb_io *io,
                   int64_t deadline)
{
    if (c->desc.transport == SB_TRANSPORT_UDP) {
        struct sockaddr_storage peer;
        socklen_t pl;
        int rc = sb_io_accept_dgram(lfd, c->ctl_fd, stash, &peer, &pl, deadline);
        if (rc) return rc;
        sb_io_init(io, lfd, SB_TRANSPORT_UDP, c->ctl_fd);
        sb_io_set_peer(io, &peer, pl, stash);
        return SB_OK;
    }
    for (;;) {
        struct pollfd p[2] = {{.fd = lfd, .events = POLLIN}, {.fd = c->ctl_fd, .events = POLLIN}};
        int r = poll(p, c->ctl_fd >= 0 ? 2 : 1, sb_ms_left(deadline));
        if (r < 0 && errno == EINTR) continue;
        if (r == 0) return SB_ETIMEOUT;
        if (c->ctl_fd >= 0 && p[1].revents) return SB_ESTOP;
        int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) continue;
        set_nodelay(fd);
        sb_io_init(io, fd, SB_TRANSPORT_TCP, c->ctl_fd);
        return SB_OK;
    }
}

static int serve_one(const sb_role_cfg *c, sb_stack_ctx *ctx, sb_io *io, sb_report *rep,
                     int64_t deadline)
{
    const sb_family *f = c->desc.family;
    sb_cpu cpu;
    sb_cpu_open(&cpu);
    snprintf(rep->cycles_source, sizeof rep->cycles_source, "%s", cpu.source);
    int64_t heap0 = sb_heap_in_use();
    sb_heap_peak_reset();
    sb_cpu_start(&cpu);
    sb_session *s = NULL;
    int rc = f->open(&s, ctx, io);
    if (!rc) rc = f->handshake(s, deadline);
    sb_wl_conn wc;
    if (s) sb_wl_conn_init(&wc, f, s, &c->desc, c->seed ^ 0x5e5e);
    if (!rc) rc = sb_wl_send_csm(&wc);
    rep->heap_session = sb_heap_hooked() ? sb_heap_in_use() - heap0 : SB_NA;
    if (c->scenario == SB_SCEN_ESTABLISHED) sb_cpu_reset(&cpu); /* as the client: no handshake */
    sb_io_set_phase(io, SB_PHASE_APP);
    /* standalone (no session count): the next client's first datagram ends this session */
    io->yield_to_new_peer = c->sessions == 0 && io->peerlen;
    if (!rc) rc = sb_wl_serve(&wc, &c->wl, deadline);
    io->yield_to_new_peer = 0;
    sb_io_set_phase(io, SB_PHASE_TEARDOWN);
    if (s && f->close && rc != SB_ECLOSED) f->close(s, sb_now_ns() + 200 * SB_NS_PER_MS);
    sb_cpu_stop(&cpu);
    int peer_closed = rc == SB_ECLOSED || rc == SB_ESTOP;
    rep->ok = !s ? 0 : peer_closed;
    if (!peer_closed || !s)
        snprintf(rep->error, sizeof rep->error, "%s", io->err[0] ? io->err : sb_strerror(rc));
    rep->cycles = cpu.cycles;
    rep->instructions = cpu.instructions;
    rep->cpu_ns = cpu.cpu_ns;
    sb_cpu_close(&cpu);
    rep->heap_peak = sb_heap_hooked() ? sb_heap_peak() - heap0 : SB_NA;
    rep->retransmissions = (s ? wc.retransmits : 0) + io->retransmits;
    if (c->desc.transport == SB_TRANSPORT_TCP) rep->retransmissions += sb_role_tcp_retrans(io->fd);
    rep->tx_bytes = io->tx_bytes;
    rep->rx_bytes = io->rx_bytes;
    if (s) {
        rep->resp_coap = wc.last_resp_coap;
        rep->resp_payload = wc.last_resp_payload;
    }
    size_t n = io->nmarks < SB_REPORT_MAX_MARKS ? io->nmarks : SB_REPORT_MAX_MARKS;
    memcpy(rep->marks, io->marks, n * sizeof io->marks[0]);
    rep->nmarks = n;
    if (s) f->free(s);
    return rc;
}

int sb_role_server(const sb_role_cfg *c, sb_report *rep)
{
    sb_report_init(rep);
    /* Driven by run: one deadline for the whole server. Standalone (no session count): it
     * serves until interrupted, and the timeout bounds each session. */
    int standalone = c->sessions == 0;
    int64_t deadline = c->timeout_ns && !standalone ? sb_now_ns() + c->timeout_ns : INT64_MAX;
    const sb_family *f = c->desc.family;
    sb_stack_ctx *ctx = NULL;
    int lfd = sb_role_listen(c, rep->error, sizeof rep->error);
    if (lfd < 0) return lfd;
    int rc = f->ctx_new(&ctx, &c->desc, c->params, SB_ROLE_SERVER, rep->error, sizeof rep->error);
    /* ready only once the context exists: a refused configuration (e.g. --no-cookie with a
     * server that cannot skip cookies) must reach the run as the server's error */
    if (!rc && c->ready_fd >= 0 && write(c->ready_fd, "ready\n", 6) != 6) rc = SB_EIO;
    sb_dgram_stash *stash = calloc(1, sizeof *stash);
    if (!stash) rc = SB_ENOMEM;
    for (unsigned i = 0; !rc && (c->sessions == 0 || i < c->sessions); i++) {
        sb_io io;
        rc = sb_role_accept(c, lfd, stash, &io, deadline);
        if (rc) break;
        sb_report_init(rep);
        int64_t sdl = standalone && c->timeout_ns ? sb_now_ns() + c->timeout_ns : deadline;
        int src = serve_one(c, ctx, &io, rep, sdl);
        if (io.fd != lfd) close(io.fd);
        sb_io_release(&io);
        if (src == SB_ESTOP) break;
        if (c->sessions == 0) {
            /* UDP has no close: a session that answered and then stayed idle simply ends */
            int idle_end = src == SB_ETIMEOUT && c->desc.transport == SB_TRANSPORT_UDP &&
                           rep->resp_coap > 0;
            if (!rep->ok && !idle_end)
                fprintf(stderr, "secbench server: session ended: %s\n", rep->error);
            continue; /* standalone: a failed session does not stop the server */
        }
    }
    if (rc == SB_ESTOP) rc = SB_OK;
    free(stash);
    if (ctx) f->ctx_free(ctx);
    close(lfd);
    return rc;
}
