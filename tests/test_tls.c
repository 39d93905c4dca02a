/* test_tls.c: the TLS/TCP and DTLS/UDP stacks (protocols/tls.c, dtls.c, tls_common.c,
 * lib_openssl.c, lib_wolfssl.c) run client against server in-process over a socketpair
 * (SOCK_STREAM for TLS, SOCK_DGRAM for DTLS), the server in a thread.
 * Checks: every available id completes a handshake and one CoAP GET / 2.05 exchange; the
 * per-record expansion of one protected CoAP message is exactly header + explicit nonce or
 * inner type + tag (draft-ietf-iotops-security-protocol-comparison §4); a second connection
 * with the same contexts resumes; wolfSSL and OpenSSL interoperate both ways; bad input
 * (wrong PSK, untrusted or expired certificate, plain CoAP peer, flipped record byte) ends
 * with the right code and a reason within a short deadline; unavailable ids say why.
 * Handshake bytes per direction are printed for the report (TLS_HS lines). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/coapmsg.h"
#include "../bench/params.h"
#include "../bench/util.h"
#include "../protocols/stack.h"
#include "../protocols/tls_common.h"

#define DEADLINE_S 3

/* ---- one endpoint ---- */

typedef struct ep {
    sb_stack_desc d;
    sb_params *p;
    sb_role role;
    sb_stack_ctx *ctx;
    int rc;             /* first failure of the last connection (SB_OK if none) */
    char err[256];      /* its reason */
    int resumed;        /* of the last connection */
    uint64_t hs_tx;     /* bytes sent during the last handshake */
    long over;          /* bytes sent for one protected message minus its length, -1 unknown */
    int corrupt;        /* client: flip a byte of the request record on the wire */
    int plain;          /* server: speak plain CoAP (no security at all) */
    unsigned rtx;       /* DTLS flights retransmitted on the timer, last connection */
    int drop;           /* client: the server's Nth datagram (1-based) is lost on the way */
    int nconn;          /* connections so far, and whether each resumed */
    int res_hist[4];
} ep;

static sb_framing framing_of(const sb_stack_desc *d)
{
    return d->framing;
}

static void build_request(const sb_stack_desc *d, uint8_t *out, size_t *len)
{
    static const uint8_t tok[4] = {0xca, 0xfe, 0xbe, 0xef};
    sb_coap_msg m;
    sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, 0x1234, tok, 4);
    assert_int_equal(sb_coap_add_path(&m, "/3303/0/5700"), SB_OK);
    assert_int_equal(sb_coap_encode(&m, framing_of(d), out, SB_COAP_MAX_MSG, len), SB_OK);
}

static void build_response(const sb_stack_desc *d, const sb_coap_msg *req, uint8_t *out, size_t *len)
{
    static const uint8_t payload[16] = "21.5 Cel ok 1234";
    sb_coap_msg m;
    sb_coap_init(&m, SB_COAP_ACK, SB_COAP_CONTENT, req->mid, req->token, req->tkl);
    assert_int_equal(sb_coap_add_uint_opt(&m, SB_OPT_CONTENT_FORMAT, 0), SB_OK);
    m.payload = payload;
    m.payload_len = sizeof payload;
    assert_int_equal(sb_coap_encode(&m, framing_of(d), out, SB_COAP_MAX_MSG, len), SB_OK);
}

/* One whole CoAP message from the session (TCP framing: reassembled from the stream). */
static int recv_msg(const sb_family *f, sb_session *s, const sb_stack_desc *d, uint8_t *buf,
                    size_t *len, int64_t deadline)
{
    size_t have = 0;
    for (;;) {
        size_t got = 0;
        int r = f->recv(s, buf + have, SB_COAP_MAX_MSG - have, &got, deadline);
        if (r != SB_OK) return r;
        have += got;
        if (d->framing == SB_FRAMING_UDP) break;
        size_t total = 0;
        if (sb_coap_tcp_msg_len(buf, have, &total) == SB_OK && have >= total) break;
    }
    *len = have;
    return SB_OK;
}

static void note(ep *e, sb_io *io, int r)
{
    if (e->rc == SB_OK && r != SB_OK) {
        e->rc = r;
        snprintf(e->err, sizeof e->err, "%s", io->err[0] ? io->err : sb_strerror(r));
    }
}

/* Server: one connection on fd. */
static void serve_one(ep *e, int fd)
{
    const sb_family *f = e->d.family;
    sb_io io;
    sb_io_init(&io, fd, e->d.transport, -1);
    sb_session *s = NULL;
    e->rc = SB_OK;
    e->err[0] = '\0';
    e->over = -1;
    int64_t deadline = sb_now_ns() + DEADLINE_S * SB_NS_PER_S;
    uint8_t in[SB_COAP_MAX_MSG], out[SB_COAP_MAX_MSG];
    size_t inlen = 0, outlen = 0;
    if (e->plain) { /* a plain CoAP endpoint: answers whatever arrives with a CoAP message */
        size_t got;
        if (sb_io_recv(&io, in, sizeof in, &got, deadline) == SB_OK) {
            build_request(&e->d, out, &outlen);
            sb_io_send(&io, out, outlen);
        }
        sb_io_release(&io);
        return;
    }
    int r = f->open(&s, e->ctx, &io);
    if (r == SB_OK) r = f->handshake(s, deadline);
    note(e, &io, r);
    e->hs_tx = io.tx_bytes;
    e->resumed = s ? sb_tls_session_resumed(s) : 0;
    if (e->nconn < 4) e->res_hist[e->nconn++] = e->resumed;
    if (r == SB_OK) {
        sb_io_set_phase(&io, SB_PHASE_APP);
        r = recv_msg(f, s, &e->d, in, &inlen, deadline);
        note(e, &io, r);
    }
    sb_coap_msg req;
    if (r == SB_OK) {
        r = sb_coap_parse(framing_of(&e->d), in, inlen, &req);
        note(e, &io, r);
    }
    if (r == SB_OK) {
        build_response(&e->d, &req, out, &outlen);
        uint64_t before = io.tx_bytes;
        r = f->send(s, out, outlen);
        note(e, &io, r);
        e->over = (long)(io.tx_bytes - before) - (long)outlen;
        /* until the client's close_notify (TLS: or EOF) */
        size_t got;
        r = f->recv(s, in, sizeof in, &got, deadline);
        if (r != SB_ECLOSED) note(e, &io, r);
    }
    if (s) {
        sb_io_set_phase(&io, SB_PHASE_TEARDOWN);
        if (f->close) f->close(s, deadline);
        f->free(s);
    }
    sb_io_release(&io);
}

/* Client: one connection on fd; returns the response's code or -1. */
static void client_one(ep *e, int fd)
{
    const sb_family *f = e->d.family;
    sb_io io;
    sb_io_init(&io, fd, e->d.transport, -1);
    sb_session *s = NULL;
    e->rc = SB_OK;
    e->err[0] = '\0';
    e->over = -1;
    int64_t deadline = sb_now_ns() + DEADLINE_S * SB_NS_PER_S;
    int r = f->open(&s, e->ctx, &io);
    if (r == SB_OK) r = f->handshake(s, deadline);
    note(e, &io, r);
    e->hs_tx = io.tx_bytes;
    e->rtx = io.retransmits;
    e->resumed = s ? sb_tls_session_resumed(s) : 0;
    if (e->nconn < 4) e->res_hist[e->nconn++] = e->resumed;
    uint8_t req[SB_COAP_MAX_MSG], resp[SB_COAP_MAX_MSG];
    size_t reqlen = 0, resplen = 0;
    if (r == SB_OK) {
        sb_io_set_phase(&io, SB_PHASE_APP);
        build_request(&e->d, req, &reqlen);
        uint64_t before = io.tx_bytes;
        if (e->corrupt) { /* the record goes to a side socket, is damaged, then forwarded */
            int side[2];
            assert_int_equal(socketpair(AF_UNIX, e->d.transport == SB_TRANSPORT_UDP ? SOCK_DGRAM
                                                                                     : SOCK_STREAM, 0, side), 0);
            io.fd = side[0];
            r = f->send(s, req, reqlen);
            io.fd = fd;
            uint8_t rec[4096];
            ssize_t n = recv(side[1], rec, sizeof rec, 0);
            assert_true(n > 10);
            rec[n - 1] ^= 0x01; /* last byte of the AEAD tag */
            assert_int_equal(send(fd, rec, (size_t)n, 0), n);
            close(side[0]);
            close(side[1]);
        } else {
            r = f->send(s, req, reqlen);
        }
        note(e, &io, r);
        e->over = (long)(io.tx_bytes - before) - (long)reqlen;
    }
    if (r == SB_OK) {
        r = recv_msg(f, s, &e->d, resp, &resplen, deadline);
        note(e, &io, r);
    }
    if (r == SB_OK) {
        sb_coap_msg m;
        assert_int_equal(sb_coap_parse(framing_of(&e->d), resp, resplen, &m), SB_OK);
        assert_int_equal(m.code, SB_COAP_CONTENT);
        assert_int_equal(m.payload_len, 16);
        assert_memory_equal(m.token, "\xca\xfe\xbe\xef", 4);
    }
    if (s) {
        sb_io_set_phase(&io, SB_PHASE_TEARDOWN);
        if (f->close) f->close(s, deadline);
        f->free(s);
    }
    sb_io_release(&io);
}

typedef struct srv_job {
    ep *e;
    int fds[2];
    int n;
} srv_job;

static void *srv_thread(void *arg)
{
    srv_job *j = arg;
    for (int i = 0; i < j->n; i++) {
        serve_one(j->e, j->fds[i]);
        /* TLS: closing tells the client "gone" at once; a datagram socket stays (the
         * client's own deadline ends it) */
        if (j->e->d.transport == SB_TRANSPORT_TCP) shutdown(j->fds[i], SHUT_RDWR);
    }
    /* freed by the thread that used it (wolfSSL keeps per-thread ECC caches) */
    if (j->e->ctx) j->e->d.family->ctx_free(j->e->ctx);
    j->e->ctx = NULL;
    return NULL;
}

/* A lossy link for DTLS: forwards datagrams between a and b, dropping b's Nth. */
typedef struct relay {
    int a, b, drop, stop[2];
} relay;

static void *relay_thread(void *arg)
{
    relay *r = arg;
    int nb = 0;
    uint8_t buf[4096];
    for (;;) {
        struct pollfd p[3] = {{.fd = r->a, .events = POLLIN}, {.fd = r->b, .events = POLLIN},
                              {.fd = r->stop[0], .events = POLLIN}};
        if (poll(p, 3, 10000) <= 0 || p[2].revents) break;
        for (int i = 0; i < 2; i++) {
            if (!(p[i].revents & POLLIN)) continue;
            ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
            if (n <= 0) continue;
            if (i == 1 && ++nb == r->drop) continue; /* lost */
            send(i ? r->a : r->b, buf, (size_t)n, 0);
        }
    }
    return NULL;
}

static int make_ctx(ep *e, char *err, size_t cap)
{
    return e->d.family->ctx_new(&e->ctx, &e->d, e->p, e->role, err, cap);
}

/* n connections (the second resumes) between client c and server s; results in c and s. */
static void run_pair(ep *c, ep *s, int n)
{
    char err[256] = "";
    if (!s->plain && make_ctx(s, err, sizeof err) != SB_OK) fail_msg("server %s: %s", s->d.id, err);
    if (make_ctx(c, err, sizeof err) != SB_OK) fail_msg("client %s: %s", c->d.id, err);
    int cfd[2], sfd[2]; /* per connection: the client's and the server's socket */
    srv_job j = {.e = s, .n = n};
    int type = c->d.transport == SB_TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM;
    for (int i = 0; i < n; i++) {
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, type, 0, sv), 0);
        cfd[i] = sv[0];
        sfd[i] = sv[1];
    }
    pthread_t t, rt;
    relay rl = {.drop = c->drop};
    if (c->drop) { /* first connection: client <-> relay <-> server */
        int mid[2];
        assert_int_equal(socketpair(AF_UNIX, type, 0, mid), 0);
        assert_int_equal(pipe(rl.stop), 0);
        rl.a = sfd[0]; /* faces the client */
        rl.b = mid[0]; /* faces the server */
        sfd[0] = mid[1];
        assert_int_equal(pthread_create(&rt, NULL, relay_thread, &rl), 0);
    }
    for (int i = 0; i < n; i++) j.fds[i] = sfd[i];
    assert_int_equal(pthread_create(&t, NULL, srv_thread, &j), 0);
    for (int i = 0; i < n; i++) {
        client_one(c, cfd[i]);
        if (i + 1 < n && c->rc != SB_OK) break;
    }
    if (c->d.transport == SB_TRANSPORT_TCP)
        for (int i = 0; i < n; i++) shutdown(cfd[i], SHUT_RDWR);
    pthread_join(t, NULL);
    if (c->drop) {
        assert_int_equal(write(rl.stop[1], "x", 1), 1);
        pthread_join(rt, NULL);
        close(rl.a);
        close(rl.b);
        close(rl.stop[0]);
        close(rl.stop[1]);
    }
    for (int i = 0; i < n; i++) {
        close(cfd[i]);
        close(sfd[i]);
    }
    if (c->ctx) c->d.family->ctx_free(c->ctx);
    if (s->ctx) s->d.family->ctx_free(s->ctx);
    c->ctx = s->ctx = NULL;
}

static void ep_init(ep *e, const char *id, sb_role role)
{
    memset(e, 0, sizeof *e);
    assert_int_equal(sb_registry_find(id, &e->d), SB_OK);
    e->p = sb_params_new();
    e->role = role;
}

static void ep_done(ep *e)
{
    sb_params_free(e->p);
}

/* Expected bytes added to one CoAP message, worked out by hand:
 * DTLS 1.2: 13 header + 8 explicit nonce + tag; TLS 1.2: 5 + 8 + tag; TLS 1.3: 5 + 1 + tag;
 * tag 8 (CCM-8) or 16 (GCM). */
static long expected_overhead(const sb_stack_desc *d)
{
    long tag = strcmp(d->cipher, "ccm8") == 0 ? 8 : 16;
    if (strcmp(d->protocol, "dtls1.2") == 0) return 13 + 8 + tag;
    if (strcmp(d->protocol, "tls1.2") == 0) return 5 + 8 + tag;
    if (strcmp(d->protocol, "tls1.3") == 0) return 5 + 1 + tag;
    return -1;
}

/* ---- the matrix: each available id, cold + resumed, and its cross-library pair ---- */

#define MAXIDS 64
static char avail[MAXIDS][64];
static size_t navail;

static void collect(void *arg, const sb_stack_desc *d)
{
    (void)arg;
    if (d->family && (strcmp(d->family->name, "tls") == 0 || strcmp(d->family->name, "dtls") == 0) &&
        d->available && navail < MAXIDS)
        snprintf(avail[navail++], sizeof avail[0], "%s", d->id);
}

static void check_pair(const char *cid, const char *sid)
{
    ep c, s;
    ep_init(&c, cid, SB_ROLE_CLIENT);
    ep_init(&s, sid, SB_ROLE_SERVER);
    run_pair(&c, &s, 2);
    if (c.rc != SB_OK || s.rc != SB_OK)
        fail_msg("%s -> %s: client %s [%s], server %s [%s]", cid, sid, sb_strerror(c.rc), c.err,
                 sb_strerror(s.rc), s.err);
    long want = expected_overhead(&c.d);
    assert_int_equal(c.d.record_overhead + (strcmp(c.d.cipher, "ccm8") == 0 ? 8 : 16), want);
    if (c.over != want || s.over != want)
        fail_msg("%s: overhead client %ld server %ld, want %ld", cid, c.over, s.over, want);
    if (!c.resumed || !s.resumed)
        fail_msg("%s -> %s: second connection not resumed (client %d server %d)", cid, sid,
                 c.resumed, s.resumed);
    if (c.res_hist[0] || s.res_hist[0]) /* e.g. a TLS 1.3 external PSK is not a resumption */
        fail_msg("%s -> %s: first connection claims resumption", cid, sid);
    ep_done(&c);
    ep_done(&s);
}

static void print_hs(const char *cid, const char *sid)
{
    ep c, s;
    ep_init(&c, cid, SB_ROLE_CLIENT);
    ep_init(&s, sid, SB_ROLE_SERVER);
    run_pair(&c, &s, 1);
    uint64_t cold_c = c.hs_tx, cold_s = s.hs_tx;
    ep_done(&c);
    ep_done(&s);
    ep_init(&c, cid, SB_ROLE_CLIENT);
    ep_init(&s, sid, SB_ROLE_SERVER);
    run_pair(&c, &s, 2);
    printf("TLS_HS %-32s cold c->s %4llu s->c %4llu total %5llu | resumed c->s %4llu s->c %4llu "
           "total %5llu\n", cid, (unsigned long long)cold_c, (unsigned long long)cold_s,
           (unsigned long long)(cold_c + cold_s), (unsigned long long)c.hs_tx,
           (unsigned long long)s.hs_tx, (unsigned long long)(c.hs_tx + s.hs_tx));
    ep_done(&c);
    ep_done(&s);
}

static void test_stack(void **state)
{
    const char *id = *state;
    check_pair(id, id);
    print_hs(id, id);
}

/* The same id with the other library on the server side, when that one can serve it. */
static void test_cross(void **state)
{
    const char *id = *state;
    sb_stack_desc d, o;
    assert_int_equal(sb_registry_find(id, &d), SB_OK);
    const char *other = strcmp(d.library, "openssl") == 0 ? "wolfssl" : "openssl";
    if (sb_registry_with_lib(&d, other, &o) != SB_OK || !o.server_available) skip();
    check_pair(id, o.id);
}

/* wolfSSL's client offers psk_ke alone; OpenSSL's server accepts it although its own
 * client cannot negotiate it (so tls1.3-openssl-psk-* is unavailable as a pair). */
static void test_psk_ke_wolf_to_openssl(void **state)
{
    for (int ci = 0; ci < 2; ci++) {
        ep c, s;
        ep_init(&c, ci ? "tls1.3-wolfssl-psk-gcm" : "tls1.3-wolfssl-psk-ccm8", SB_ROLE_CLIENT);
        ep_init(&s, ci ? "tls1.3-openssl-psk-gcm" : "tls1.3-openssl-psk-ccm8", SB_ROLE_SERVER);
        assert_false(s.d.available);
        assert_true(s.d.server_available);
        run_pair(&c, &s, 2);
        if (c.rc != SB_OK || s.rc != SB_OK)
            fail_msg("client %s [%s], server %s [%s]", sb_strerror(c.rc), c.err,
                     sb_strerror(s.rc), s.err);
        assert_int_equal(c.over, expected_overhead(&c.d));
        assert_true(c.resumed && s.resumed);
        ep_done(&c);
        ep_done(&s);
    }
}

/* ---- bad input ---- */

typedef struct bad_case {
    const char *cid, *sid;
    const char *copt, *cval, *sopt, *sval;
    int corrupt, plain_server;
    int want_c, want_s;     /* expected codes, 1 = "any error" */
    const char *reason_sub; /* expected in the client's or the server's reason */
} bad_case;

static void run_bad(const bad_case *b)
{
    ep c, s;
    ep_init(&c, b->cid, SB_ROLE_CLIENT);
    ep_init(&s, b->sid ? b->sid : b->cid, SB_ROLE_SERVER);
    if (b->copt) sb_params_set(c.p, b->copt, b->cval);
    if (b->sopt) sb_params_set(s.p, b->sopt, b->sval);
    c.corrupt = b->corrupt;
    s.plain = b->plain_server;
    int64_t t0 = sb_now_ns();
    run_pair(&c, &s, 1);
    int64_t took = sb_now_ns() - t0;
    printf("TLS_BAD %-28s client %-9s [%s] | server %-9s [%s]\n", b->cid, sb_strerror(c.rc), c.err,
           b->plain_server ? "-" : sb_strerror(s.rc), s.err);
    assert_true(took < (DEADLINE_S + 2) * SB_NS_PER_S);
    if (b->want_c) {
        assert_int_not_equal(c.rc, SB_OK);
        assert_true(c.err[0] != '\0');
        if (b->want_c != 1 && c.rc != b->want_c)
            fail_msg("%s: client got %s [%s], want %s", b->cid, sb_strerror(c.rc), c.err,
                     sb_strerror(b->want_c));
    }
    if (b->want_s) {
        assert_int_not_equal(s.rc, SB_OK);
        assert_true(s.err[0] != '\0');
        if (b->want_s != 1 && s.rc != b->want_s)
            fail_msg("%s: server got %s [%s], want %s", b->cid, sb_strerror(s.rc), s.err,
                     sb_strerror(b->want_s));
    }
    if (b->reason_sub && !strstr(c.err, b->reason_sub) && !strstr(s.err, b->reason_sub))
        fail_msg("%s: neither reason [%s] [%s] mentions '%s'", b->cid, c.err, s.err, b->reason_sub);
    ep_done(&c);
    ep_done(&s);
}

static const bad_case bad_cases[] = {
    /* wrong PSK: the server's Finished / binder check fails; the client hears the alert */
    {"tls1.2-openssl-psk-ccm8", NULL, "psk-key", "ffff", NULL, NULL, 0, 0, SB_EAUTH, SB_EAUTH, "PSK"},
    /* TLS 1.3: the server's binder check fails; OpenSSL answers illegal_parameter, wolfSSL
     * 5.5.4 closes without an alert, so only the server knows it was the key */
    {"tls1.3-openssl-psk-ecdhe-gcm", NULL, "psk-key", "ffff", NULL, NULL, 0, 0, 1, SB_EAUTH, "binder"},
    {"tls1.3-wolfssl-psk-ecdhe-ccm8", NULL, "psk-key", "ffff", NULL, NULL, 0, 0, 1, SB_EAUTH, "binder"},
    {"tls1.2-wolfssl-psk-ecdhe-gcm", NULL, "psk-key", "ffff", NULL, NULL, 0, 0, SB_EAUTH, SB_EAUTH, NULL},
    /* DTLS: the Finished record fails authentication and is dropped (RFC 6347 §4.1.2.7) */
    {"dtls1.2-openssl-psk-gcm", NULL, "psk-key", "ffff", NULL, NULL, 0, 0, SB_ETIMEOUT, SB_ETIMEOUT, "wrong PSK"},
    /* wolfSSL resends its flight whenever the peer's repeats: the first end to count 64
     * datagrams without progress gives up (SB_EAUTH), the other then times out */
    {"dtls1.2-wolfssl-psk-ecdhe-gcm", NULL, "psk-key", "ffff", NULL, NULL, 0, 0, 1, 1, "wrong PSK"},
    /* untrusted server certificate (signed by a CA the client does not trust) */
    {"tls1.3-openssl-ecdsa-gcm", NULL, NULL, NULL, "tls-cert", "tests/certs/rogue-server.pem", 0, 0, SB_EAUTH, 1, "certificate"},
    {"tls1.3-wolfssl-ecdsa-gcm", NULL, NULL, NULL, "tls-cert", "tests/certs/rogue-server.pem", 0, 0, SB_EAUTH, 1, "certificate"},
    {"dtls1.2-openssl-ecdsa-ccm8", NULL, NULL, NULL, "tls-cert", "tests/certs/rogue-server.pem", 0, 0, SB_EAUTH, 1, "certificate"},
    {"dtls1.2-wolfssl-ecdsa-ccm8", NULL, NULL, NULL, "tls-cert", "tests/certs/rogue-server.pem", 0, 0, SB_EAUTH, 1, "certificate"},
    /* expired client certificate: the server refuses it */
    {"tls1.2-openssl-ecdsa-ccm8", NULL, "tls-cert", "tests/certs/expired-client.pem", NULL, NULL, 0, 0, 1, SB_EAUTH, "expired"},
    {"tls1.2-wolfssl-ecdsa-ccm8", NULL, "tls-cert", "tests/certs/expired-client.pem", NULL, NULL, 0, 0, 1, SB_EAUTH, "date"},
    /* expired server certificate */
    {"tls1.3-openssl-ecdsa-ccm8", NULL, NULL, NULL, "tls-cert", "tests/certs/expired-server.pem", 0, 0, SB_EAUTH, 1, "expired"},
    {"tls1.3-wolfssl-ecdsa-ccm8", NULL, NULL, NULL, "tls-cert", "tests/certs/expired-server.pem", 0, 0, SB_EAUTH, 1, "date"},
    /* a peer speaking plain CoAP */
    {"tls1.3-openssl-psk-ecdhe-ccm8", NULL, NULL, NULL, NULL, NULL, 0, 1, SB_EPROTO, 0, NULL},
    {"tls1.2-wolfssl-ecdsa-gcm", NULL, NULL, NULL, NULL, NULL, 0, 1, SB_EPROTO, 0, "wolfSSL"},
    {"dtls1.2-openssl-psk-ccm8", NULL, NULL, NULL, NULL, NULL, 0, 1, SB_ETIMEOUT, 0, "DTLS"},
    {"dtls1.2-wolfssl-ecdsa-gcm", NULL, NULL, NULL, NULL, NULL, 0, 1, 1, 0, NULL},
    /* a flipped byte in an application record: TLS fails (bad_record_mac), DTLS drops it
     * silently (RFC 6347 §4.1.2.7) so the client times out waiting for the response */
    {"tls1.2-openssl-ecdsa-gcm", NULL, NULL, NULL, NULL, NULL, 1, 0, 1, SB_EAUTH, NULL},
    {"tls1.3-wolfssl-psk-ecdhe-gcm", NULL, NULL, NULL, NULL, NULL, 1, 0, 1, SB_EAUTH, NULL},
    {"tls1.3-openssl-psk-ecdhe-ccm8", NULL, NULL, NULL, NULL, NULL, 1, 0, 1, SB_EAUTH, NULL},
    {"tls1.2-wolfssl-psk-ecdhe-gcm", NULL, NULL, NULL, NULL, NULL, 1, 0, 1, SB_EAUTH, NULL},
    {"dtls1.2-openssl-psk-gcm", NULL, NULL, NULL, NULL, NULL, 1, 0, 1, 1, "no valid DTLS record"},
    {"dtls1.2-wolfssl-ecdsa-ccm8", NULL, NULL, NULL, NULL, NULL, 1, 0, 1, 1, "no valid DTLS record"},
};

static void test_bad(void **state)
{
    run_bad((const bad_case *)*state);
}

/* a plain CoAP client talking to a (D)TLS server: the server must fail cleanly */
static void test_plain_client(void **state)
{
    static const char *const ids[] = {"tls1.2-openssl-ecdsa-gcm", "tls1.3-wolfssl-psk-ecdhe-gcm",
                                      "dtls1.2-openssl-psk-ccm8", "dtls1.2-wolfssl-psk-ecdhe-gcm"};
    for (size_t i = 0; i < 4; i++) {
        ep s;
        ep_init(&s, ids[i], SB_ROLE_SERVER);
        char err[256];
        assert_int_equal(make_ctx(&s, err, sizeof err), SB_OK);
        int sv[2];
        assert_int_equal(socketpair(AF_UNIX, s.d.transport == SB_TRANSPORT_UDP ? SOCK_DGRAM : SOCK_STREAM, 0, sv), 0);
        uint8_t req[SB_COAP_MAX_MSG];
        size_t len;
        sb_stack_desc plain = s.d;
        build_request(&plain, req, &len);
        assert_int_equal(send(sv[0], req, len, 0), (ssize_t)len);
        if (s.d.transport == SB_TRANSPORT_TCP) shutdown(sv[0], SHUT_WR);
        int64_t t0 = sb_now_ns();
        serve_one(&s, sv[1]);
        printf("TLS_BAD %-28s plain client -> server %s [%s]\n", ids[i], sb_strerror(s.rc), s.err);
        assert_true(sb_now_ns() - t0 < (DEADLINE_S + 1) * SB_NS_PER_S);
        assert_int_not_equal(s.rc, SB_OK);
        assert_true(s.err[0] != '\0');
        if (s.d.transport == SB_TRANSPORT_TCP) assert_int_equal(s.rc, SB_EPROTO);
        else assert_int_equal(s.rc, SB_ETIMEOUT); /* not a DTLS record: dropped */
        s.d.family->ctx_free(s.ctx);
        close(sv[0]);
        close(sv[1]);
        ep_done(&s);
    }
}

/* DTLS cookie exchange (RFC 6347 §4.2.1): on by default; --no-cookie saves the
 * HelloVerifyRequest and the second ClientHello with OpenSSL; wolfSSL's server cannot skip it. */
static void test_dtls_cookie(void **state)
{
    uint64_t hs[2][2];
    for (int nc = 0; nc < 2; nc++) {
        ep c, s;
        ep_init(&c, "dtls1.2-openssl-psk-ccm8", SB_ROLE_CLIENT);
        ep_init(&s, "dtls1.2-openssl-psk-ccm8", SB_ROLE_SERVER);
        if (nc) sb_params_set(s.p, "no-cookie", NULL);
        run_pair(&c, &s, 1);
        assert_int_equal(c.rc, SB_OK);
        assert_int_equal(s.rc, SB_OK);
        hs[nc][0] = c.hs_tx;
        hs[nc][1] = s.hs_tx;
        ep_done(&c);
        ep_done(&s);
    }
    /* HelloVerifyRequest: 13 record + 12 handshake header + 2 version + 1 + 32 cookie = 60 */
    assert_int_equal(hs[0][1] - hs[1][1], 60);
    /* the first ClientHello again, plus the cookie (1 + 32 bytes more in the second one) */
    assert_true(hs[0][0] - hs[1][0] > 60);
    ep s;
    ep_init(&s, "dtls1.2-wolfssl-ecdsa-gcm", SB_ROLE_SERVER);
    sb_params_set(s.p, "no-cookie", NULL);
    char err[256] = "";
    assert_int_equal(make_ctx(&s, err, sizeof err), SB_EUNSUP);
    assert_non_null(strstr(err, "HelloVerifyRequest"));
    assert_int_equal(s.d.family->check(&s.d, s.p, err, sizeof err), SB_OK); /* a client may */
    /* a wolfSSL client with an OpenSSL server that skips it */
    ep c, o;
    ep_init(&c, "dtls1.2-wolfssl-ecdsa-gcm", SB_ROLE_CLIENT);
    ep_init(&o, "dtls1.2-openssl-ecdsa-gcm", SB_ROLE_SERVER);
    sb_params_set(o.p, "no-cookie", NULL);
    run_pair(&c, &o, 2);
    assert_int_equal(c.rc, SB_OK);
    assert_int_equal(o.rc, SB_OK);
    assert_true(c.resumed);
    ep_done(&c);
    ep_done(&o);
    ep_done(&s);
}

/* A lost server flight: the client's DTLS timer (1 s initially, RFC 6347 §4.2.4.1) fires,
 * it retransmits its flight, the server answers again, the handshake completes. Datagram 1
 * from the server is the HelloVerifyRequest, 2 starts the ServerHello flight. */
static void test_dtls_loss(void **state)
{
    static const char *const ids[] = {"dtls1.2-openssl-psk-ccm8", "dtls1.2-wolfssl-ecdsa-gcm"};
    for (int i = 0; i < 2; i++)
        for (int drop = 1; drop <= 2; drop++) {
            ep c, s;
            ep_init(&c, ids[i], SB_ROLE_CLIENT);
            ep_init(&s, ids[i], SB_ROLE_SERVER);
            c.drop = drop;
            int64_t t0 = sb_now_ns();
            run_pair(&c, &s, 1);
            int64_t ms = (sb_now_ns() - t0) / SB_NS_PER_MS;
            printf("TLS_LOSS %s server datagram %d lost: client %s, %u retransmissions, %lld ms\n",
                   ids[i], drop, sb_strerror(c.rc), c.rtx, (long long)ms);
            if (c.rc != SB_OK || s.rc != SB_OK)
                fail_msg("%s: client [%s] server [%s]", ids[i], c.err, s.err);
            assert_int_equal(c.rtx, 1);
            assert_true(ms >= 900); /* the 1 s timer, not a speed target: no upper bound */
            ep_done(&c);
            ep_done(&s);
        }
}

/* ---- unavailable ids and their reasons ---- */

static void test_unavailable(void **state)
{
    static const struct {
        const char *id, *sub;
    } cases[] = {
        {"tls1.2-wolfssl-psk-ccm8", "WOLFSSL_STATIC_PSK"},
        {"dtls1.2-wolfssl-psk-gcm", "WOLFSSL_STATIC_PSK"},
        {"tls1.2-openssl-psk-ecdhe-gcm", "TLS_ECDHE_PSK_WITH_AES_128_GCM_SHA256"},
        {"dtls1.2-openssl-psk-ecdhe-ccm8", "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"},
        {"tls1.2-wolfssl-psk-ecdhe-ccm8", "TLS_ECDHE_PSK_WITH_AES_128_CCM_8_SHA256"},
        {"tls1.3-openssl-psk-ccm8", "psk_dhe_ke"},
        {"dtls1.3-openssl-ecdsa-ccm8", "without DTLS 1.3"},
        {"dtls1.3-wolfssl-psk-gcm", "without DTLS 1.3"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_stack_desc d;
        assert_int_equal(sb_registry_find(cases[i].id, &d), SB_OK);
        if (d.available || !strstr(d.reason, cases[i].sub))
            fail_msg("%s: available %d reason '%s'", cases[i].id, d.available, d.reason);
    }
    static const char *const ok[] = {"tls1.2-openssl-psk-ccm8", "tls1.2-wolfssl-psk-ecdhe-gcm",
                                     "tls1.3-wolfssl-psk-ccm8", "tls1.3-openssl-psk-ecdhe-ccm8",
                                     "dtls1.2-wolfssl-ecdsa-ccm8", "dtls1.2-openssl-psk-ccm8"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        sb_stack_desc d;
        assert_int_equal(sb_registry_find(ok[i], &d), SB_OK);
        if (!d.available) fail_msg("%s unavailable: %s", ok[i], d.reason);
    }
}

static void print_list(void)
{
    printf("TLS ids available:");
    for (size_t i = 0; i < navail; i++) printf(" %s", avail[i]);
    printf("\n");
}

static void list_unavail(void *arg, const sb_stack_desc *d)
{
    (void)arg;
    if (d->family && (strcmp(d->family->name, "tls") == 0 || strcmp(d->family->name, "dtls") == 0) &&
        !d->available)
        printf("TLS_UNAVAILABLE %-32s %s\n", d->id, d->reason);
}

int main(void)
{
    sb_registry_enumerate(collect, NULL);
    print_list();
    sb_registry_enumerate(list_unavail, NULL);
    struct CMUnitTest t[2 * MAXIDS + 64];
    size_t n = 0;
    t[n++] = (struct CMUnitTest)cmocka_unit_test(test_unavailable);
    for (size_t i = 0; i < navail; i++) {
        static char names[MAXIDS][80];
        snprintf(names[i], sizeof names[i], "stack %s", avail[i]);
        t[n++] = (struct CMUnitTest){names[i], test_stack, NULL, NULL, avail[i]};
    }
    for (size_t i = 0; i < navail; i++) {
        static char names[MAXIDS][80];
        snprintf(names[i], sizeof names[i], "cross %s", avail[i]);
        t[n++] = (struct CMUnitTest){names[i], test_cross, NULL, NULL, avail[i]};
    }
    t[n++] = (struct CMUnitTest)cmocka_unit_test(test_psk_ke_wolf_to_openssl);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        static char names[64][96];
        snprintf(names[i], sizeof names[i], "bad %s %s%s%s", bad_cases[i].cid,
                 bad_cases[i].copt ? bad_cases[i].copt : bad_cases[i].sopt ? bad_cases[i].sopt : "",
                 bad_cases[i].corrupt ? "flipped-byte" : "", bad_cases[i].plain_server ? "plain-peer" : "");
        t[n++] = (struct CMUnitTest){names[i], test_bad, NULL, NULL, (void *)&bad_cases[i]};
    }
    t[n++] = (struct CMUnitTest)cmocka_unit_test(test_plain_client);
    t[n++] = (struct CMUnitTest)cmocka_unit_test(test_dtls_cookie);
    t[n++] = (struct CMUnitTest)cmocka_unit_test(test_dtls_loss);
    return _cmocka_run_group_tests("tls", t, n, NULL, NULL);
}
