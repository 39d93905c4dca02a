/* tls_common.c: the (D)TLS families' shared mechanics (see tls_common.h, tlslib.h). */
#include "tls_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/util.h"
#include "tlslib.h"

const sb_opt_def sb_tls_opts[] = {
    {"psk-identity", "ID", "(D)TLS PSK identity (default \"secbench\")"},
    {"psk-key", "HEX", "(D)TLS PSK, 1..64 bytes (default 000102030405060708090a0b0c0d0e0f)"},
    {"no-cookie", NULL, "DTLS server: skip the HelloVerifyRequest cookie exchange (default: on)"},
    {"tls-cert", "FILE", "(D)TLS ecdsa: own PEM certificate (default tests/certs/server.pem or "
                         "client.pem by role)"},
    {"tls-key", "FILE", "(D)TLS ecdsa: own PEM private key (default: --tls-cert with .key, or tests/certs/ROLE.key)"},
    {"tls-ca", "FILE", "(D)TLS ecdsa: PEM CA trusted for the peer (default tests/certs/ca.pem)"},
    {NULL, NULL, NULL},
};

static const uint8_t default_psk[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static const sb_tlslib *const libs[] = {&sb_tlslib_openssl, &sb_tlslib_wolfssl};
static const char *const auth_names[] = {"psk", "psk-ecdhe", "ecdsa"};
static const char *const cipher_names[] = {"ccm8", "gcm"};

/* desc->variant: bit 0 library, bits 1-2 auth, bit 3 cipher, bit 4 version 1.3, bit 5 DTLS. */
static int variant_of(int lib, int auth, int cipher, int v13, int dtls)
{
    return lib | auth << 1 | cipher << 3 | v13 << 4 | dtls << 5;
}

static void cfg_from_variant(int v, sb_tls_cfg *c, const sb_tlslib **lib)
{
    memset(c, 0, sizeof *c);
    *lib = libs[v & 1];
    c->auth = (sb_tls_auth)((v >> 1) & 3);
    c->cipher = (sb_tls_cipher)((v >> 3) & 1);
    c->version = (v >> 4) & 1 ? 13 : 12;
    c->dtls = (v >> 5) & 1;
    c->cookie = 1;
}

/* Per-record expansion besides the AEAD tag (which counts as security, not framing):
 * TLS 1.2 (RFC 5246 §6.2, RFC 5288 §3 / RFC 6655 §3): 5-byte header + 8-byte explicit nonce;
 * DTLS 1.2 (RFC 6347 §4.1): 13-byte header + 8-byte explicit nonce;
 * TLS 1.3 (RFC 8446 §5.2): 5-byte header + 1-byte inner content type, no explicit nonce.
 * DTLS 1.3 has a variable unified header (RFC 9147 §4); unavailable here, left 0. */
static size_t record_overhead(int v13, int dtls)
{
    if (dtls) return v13 ? 0 : 13 + 8;
    return v13 ? 5 + 1 : 5 + 8;
}

void sb_tls_enumerate(const sb_family *f, const char *protocol, sb_emit_fn emit, void *arg)
{
    int dtls = strncmp(protocol, "dtls", 4) == 0;
    int v13 = strstr(protocol, "1.3") != NULL;
    for (int lib = 0; lib < 2; lib++)
        for (int auth = 0; auth < 3; auth++)
            for (int ci = 0; ci < 2; ci++) {
                sb_stack_desc d;
                sb_desc_fill(&d, f, protocol, libs[lib]->name, auth_names[auth],
                             cipher_names[ci], dtls ? SB_TRANSPORT_UDP : SB_TRANSPORT_TCP,
                             dtls ? SB_FRAMING_UDP : SB_FRAMING_TCP);
                snprintf(d.id, sizeof d.id, "%s-%s-%s-%s", protocol, libs[lib]->name,
                         auth_names[auth], cipher_names[ci]);
                d.variant = variant_of(lib, auth, ci, v13, dtls);
                d.record_overhead = record_overhead(v13, dtls);
                d.has_sessions = 1;
                sb_tls_cfg c;
                const sb_tlslib *l;
                cfg_from_variant(d.variant, &c, &l);
                /* A pair runs when both roles do; a server alone may serve another
                 * library's client. */
                char why[sizeof d.reason];
                c.role = SB_ROLE_SERVER;
                d.server_available = l->probe(&c, why, sizeof why) == SB_OK;
                c.role = SB_ROLE_CLIENT;
                d.available = d.server_available && l->probe(&c, d.reason, sizeof d.reason) == SB_OK;
                if (!d.server_available) snprintf(d.reason, sizeof d.reason, "%s", why);
                emit(arg, &d);
            }
}

/* A file option: taken as given when it exists, else looked up in the source tree. */
static int resolve_file(const sb_params *p, const char *opt, const char *dflt, char *out,
                        size_t cap, char *err, size_t ecap)
{
    const char *v = sb_params_get(p, opt);
    if (v && *v && access(v, R_OK) == 0) {
        snprintf(out, cap, "%s", v);
        return SB_OK;
    }
    char rel[SB_TLS_PATH];
    snprintf(rel, sizeof rel, "%s", v && *v ? v : dflt);
    if (sb_data_path(rel, out, cap) != SB_OK || access(out, R_OK) != 0)
        return sb_fail(err, ecap, SB_EINVAL, "--%s: cannot read %s", opt, rel);
    return SB_OK;
}

static int cfg_from_params(const sb_stack_desc *d, const sb_params *p, sb_role role,
                           sb_tls_cfg *c, const sb_tlslib **lib, char *err, size_t cap)
{
    cfg_from_variant(d->variant, c, lib);
    c->role = role;
    c->cookie = !sb_params_flag(p, "no-cookie");
    const char *id = sb_params_get(p, "psk-identity");
    if (id && (!*id || strlen(id) >= sizeof c->psk_identity))
        return sb_fail(err, cap, SB_EINVAL, "--psk-identity: 1..%zu characters",
                       sizeof c->psk_identity - 1);
    snprintf(c->psk_identity, sizeof c->psk_identity, "%s", id ? id : "secbench");
    int n = sb_params_hex(p, "psk-key", default_psk, sizeof default_psk, c->psk, sizeof c->psk);
    if (n <= 0) return sb_fail(err, cap, SB_EINVAL, "--psk-key: 1..%zu bytes of hex", sizeof c->psk);
    c->psk_len = (size_t)n;
    if (c->auth != SB_TLS_ECDSA) return SB_OK;
    const char *who = role == SB_ROLE_SERVER ? "server" : "client";
    char dcert[64], dkey[SB_TLS_PATH];
    snprintf(dcert, sizeof dcert, "tests/certs/%s.pem", who);
    snprintf(dkey, sizeof dkey, "tests/certs/%s.key", who);
    int r = resolve_file(p, "tls-cert", dcert, c->cert, sizeof c->cert, err, cap);
    /* --tls-cert X.pem alone: its key is X.key */
    const char *cert = sb_params_get(p, "tls-cert");
    size_t cl = cert ? strlen(cert) : 0;
    if (cl > 4 && cl < sizeof dkey && strcmp(cert + cl - 4, ".pem") == 0 && !sb_params_get(p, "tls-key"))
        snprintf(dkey, sizeof dkey, "%.*s.key", (int)(cl - 4), cert);
    if (r == SB_OK) r = resolve_file(p, "tls-key", dkey, c->key, sizeof c->key, err, cap);
    if (r == SB_OK) r = resolve_file(p, "tls-ca", "tests/certs/ca.pem", c->ca, sizeof c->ca, err, cap);
    return r;
}

int sb_tls_check(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap)
{
    sb_tls_cfg c;
    const sb_tlslib *lib;
    if (!d->available && !d->server_available) return sb_fail(err, cap, SB_EUNSUP, "%s: %s", d->id, d->reason);
    /* (--no-cookie is checked by the server's ctx_new: only a server's library matters, and
     * in a cross-library run this desc may be the client's) */
    return cfg_from_params(d, p, SB_ROLE_CLIENT, &c, &lib, err, cap);
}

struct sb_stack_ctx {
    const sb_tlslib *lib;
    sb_tls_cfg cfg;
    void *lctx;
};

struct sb_session {
    sb_stack_ctx *ctx;
    sb_io *io;
    void *conn;
    int done; /* handshake complete */
    sb_tls_pipe pipe;
};

/* ctx_new does not look at d->available: a library may serve a mode its own client cannot
 * offer (OpenSSL accepts TLS 1.3 psk_ke from a wolfSSL client), and the probe already fails
 * ctx creation where the library truly cannot. */
int sb_tls_ctx_new(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p, sb_role role,
                   char *err, size_t cap)
{
    sb_stack_ctx *c = calloc(1, sizeof *c);
    if (!c) return SB_ENOMEM;
    int r = cfg_from_params(d, p, role, &c->cfg, &c->lib, err, cap);
    if (r == SB_OK) r = c->lib->ctx_new(&c->lctx, &c->cfg, err, cap);
    if (r != SB_OK) {
        free(c);
        return r;
    }
    *out = c;
    return SB_OK;
}

void sb_tls_ctx_free(sb_stack_ctx *c)
{
    if (!c) return;
    c->lib->ctx_free(c->lctx);
    free(c);
}

int sb_tls_open(sb_session **out, sb_stack_ctx *c, sb_io *io)
{
    sb_session *s = calloc(1, sizeof *s);
    if (!s) return SB_ENOMEM;
    s->ctx = c;
    s->io = io;
    s->pipe.io = io;
    s->pipe.datagram = io->transport == SB_TRANSPORT_UDP;
    char err[256] = "";
    int r = c->lib->conn_new(&s->conn, c->lctx, &s->pipe, err, sizeof err);
    if (r != SB_OK) {
        free(s);
        return sb_io_fail(io, r, "%s", err);
    }
    *out = s;
    return SB_OK;
}

int sb_tls_pipe_read(sb_tls_pipe *p, uint8_t *buf, size_t cap, size_t *got)
{
    if (p->off >= p->len) return SB_EAGAIN;
    size_t n = p->len - p->off;
    if (n > cap) n = cap; /* a datagram longer than the library's buffer is cut (never here) */
    memcpy(buf, p->buf + p->off, n);
    p->off = p->datagram ? p->len : p->off + n;
    *got = n;
    return SB_OK;
}

int sb_tls_pipe_write(sb_tls_pipe *p, const uint8_t *buf, size_t len)
{
    int had = p->io->err[0] != '\0';
    int r = sb_io_send(p->io, buf, len);
    if (r != SB_OK && !had) { /* e.g. an alert to a peer that already left */
        p->send_code = r;
        snprintf(p->send_err, sizeof p->send_err, "%s", p->io->err);
        p->io->err[0] = '\0';
    }
    return r;
}

size_t sb_tls_pipe_peer(const sb_tls_pipe *p, uint8_t *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (p->io->peerlen) { /* UDP server on an unconnected socket */
        ss = p->io->peer;
        len = p->io->peerlen;
    } else if (getpeername(p->io->fd, (struct sockaddr *)&ss, &len) != 0) {
        return 0;
    }
    if (len > cap) len = (socklen_t)cap;
    memcpy(out, &ss, len);
    return len;
}

/* The library wants input: wait for one datagram / some stream bytes until the deadline or
 * the DTLS timer, whichever comes first. SB_OK = call the library again. */
static int wait_input(sb_session *s, int64_t deadline, const char *what)
{
    const sb_tlslib *lib = s->ctx->lib;
    int64_t t = lib->timer(s->conn);
    int64_t until = t && t < deadline ? t : deadline;
    sb_tls_pipe *p = &s->pipe;
    if (p->off >= p->len || p->datagram) p->off = p->len = 0; /* datagrams are never split */
    if (p->off) { /* keep a partial record's bytes in front */
        memmove(p->buf, p->buf + p->off, p->len - p->off);
        p->len -= p->off;
        p->off = 0;
    }
    size_t got = 0;
    int r = sb_io_recv(s->io, p->buf + p->len, sizeof p->buf - p->len, &got, until);
    if (r == SB_OK) {
        p->len += got;
        return SB_OK;
    }
    if (r == SB_ETIMEOUT && until < deadline) {
        sb_phase was = s->io->phase; /* a retransmitted flight is handshake, whenever sent */
        if (was == SB_PHASE_APP) sb_io_set_phase(s->io, SB_PHASE_HANDSHAKE);
        int k = lib->timeout(s->conn);
        sb_io_set_phase(s->io, was);
        if (k > 0) s->io->retransmits++;
        if (k < 0) return sb_io_fail(s->io, SB_EPROTO, "%s: DTLS retransmission failed", what);
        return SB_OK;
    }
    if (r == SB_ETIMEOUT) {
        /* DTLS drops records that fail authentication (RFC 6347 §4.1.2.7), so a wrong PSK
         * or a damaged record ends here too, not with an alert */
        if (s->io->transport == SB_TRANSPORT_UDP)
            return sb_io_fail(s->io, r, "%s: no valid DTLS record from the peer before the "
                              "deadline, %u flights retransmitted (datagrams lost, or dropped by "
                              "DTLS for failing authentication, e.g. a wrong PSK)", what,
                              s->io->retransmits);
        return sb_io_fail(s->io, r, "%s: no TLS data from the peer before the deadline", what);
    }
    if (r == SB_ECLOSED && !s->done)
        return sb_io_fail(s->io, r, "%s: peer closed the connection during the handshake", what);
    return r; /* sb_io already recorded a reason where there is one (SB_ESTOP has none) */
}

/* A DTLS 1.2 handshake takes a handful of datagrams each way, a few more with losses. Far
 * more means the two ends answer each other's repeated flights without progress: wolfSSL
 * resends its flight whenever the peer's arrives again, so a Finished that fails to verify
 * (wrong PSK) becomes a storm of thousands of datagrams per second. */
#define SB_DTLS_MAX_HS_DATAGRAMS 64

int sb_tls_handshake(sb_session *s, int64_t deadline)
{
    const sb_tlslib *lib = s->ctx->lib;
    unsigned rx = 0;
    for (;;) {
        char err[256] = "";
        int r = lib->handshake(s->conn, err, sizeof err);
        if (r == SB_OK) {
            s->done = 1;
            return SB_OK;
        }
        if (r != SB_EAGAIN) return sb_io_fail(s->io, r, "%s", err[0] ? err : sb_strerror(r));
        r = wait_input(s, deadline, "handshake");
        if (r != SB_OK) return r;
        if (s->io->transport == SB_TRANSPORT_UDP && ++rx > SB_DTLS_MAX_HS_DATAGRAMS)
            return sb_io_fail(s->io, SB_EAUTH, "handshake: %u datagrams from the peer without "
                              "completing: both ends keep repeating their flights (a record "
                              "failing authentication, e.g. a wrong PSK)", rx - 1);
    }
}

int sb_tls_send(sb_session *s, const uint8_t *msg, size_t len)
{
    char err[256] = "";
    int r = s->ctx->lib->write(s->conn, msg, len, err, sizeof err);
    return r == SB_OK ? r : sb_io_fail(s->io, r, "%s", err[0] ? err : sb_strerror(r));
}

/* Whatever a library writes while reading is never application data: a DTLS flight repeated
 * because the peer repeated its own (RFC 6347 §4.2.4), or an alert. Marked handshake. */
static int lib_read(sb_session *s, uint8_t *buf, size_t cap, size_t *got, char *err, size_t ecap)
{
    sb_phase was = s->io->phase;
    if (was == SB_PHASE_APP) sb_io_set_phase(s->io, SB_PHASE_HANDSHAKE);
    int r = s->ctx->lib->read(s->conn, buf, cap, got, err, ecap);
    sb_io_set_phase(s->io, was);
    return r;
}

int sb_tls_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    for (;;) {
        char err[256] = "";
        size_t got = 0;
        int r = lib_read(s, buf, cap, &got, err, sizeof err);
        if (r == SB_OK && got) {
            *len = got;
            return SB_OK;
        }
        if (r == SB_ECLOSED) return r; /* close_notify: the normal end of a server session */
        if (r != SB_OK && r != SB_EAGAIN)
            return sb_io_fail(s->io, r, "%s", err[0] ? err : sb_strerror(r));
        if (r == SB_EAGAIN) {
            r = wait_input(s, deadline, "recv");
            if (r != SB_OK) return r;
        }
    }
}

int sb_tls_close(sb_session *s, int64_t deadline)
{
    (void)deadline; /* close_notify is sent, the peer's is not awaited (RFC 8446 §6.1) */
    return s->done ? s->ctx->lib->shutdown(s->conn) : SB_OK;
}

void sb_tls_free(sb_session *s)
{
    if (!s) return;
    s->ctx->lib->conn_free(s->conn);
    free(s);
}

int sb_tls_session_resumed(const sb_session *s)
{
    return s && s->done && s->ctx->lib->resumed(s->conn);
}

int sb_tls_query(const sb_session *s, const char *what, int64_t *val)
{
    if (strcmp(what, "resumed") != 0 || !s->done) return SB_ENOTFOUND;
    *val = sb_tls_session_resumed(s);
    return SB_OK;
}
