/* oscore_stack.c: the OSCORE stack family (RFC 8613 over CoAP/UDP, RFC 7252).
 * Ids: oscore (OpenSSL's libcrypto), oscore-openssl, oscore-wolfssl, and
 * oscore+dtls1.2-LIB-AUTH-CIPHER: OSCORE inside any DTLS 1.2 stack the registry lists, driven
 * through that stack's own family operations (so this file knows nothing about DTLS).
 * The client protects requests and verifies responses; the server verifies requests (answering
 * failures with §8's unprotected error and waiting on) and protects responses with the
 * request's nonce (its own Partial IV for Observe notifications or a second response).
 * CoAP deduplication (RFC 7252 §4.5) meets OSCORE here: a retransmitted plaintext request is
 * resent as the same protected bytes, and a server receiving the same protected bytes again
 * resends its cached protected response instead of flagging a replay. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../bench/util.h"
#include "oscore.h"
#include "stack.h"

#define SEQ_FILE_MARGIN 64 /* Appendix B.1.1: numbers reserved per write of the seq-file */
#define ECHO_RETRIES 2
#define MAX_DTLS 64

/* RFC 8613 Appendix C.1: the defaults, so that runs are comparable with the RFC's sizes. */
static const uint8_t dflt_secret[16] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
                                        0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10};
static const uint8_t dflt_salt[8] = {0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
static const uint8_t dflt_server_id[1] = {0x01};

static const sb_opt_def oscore_opts[] = {
    {"oscore-secret", "HEX", "OSCORE Master Secret (default RFC 8613 C.1 0102..0f10)"},
    {"oscore-salt", "HEX", "OSCORE Master Salt (default 9e7ca92223786340)"},
    {"oscore-id-context", "HEX", "OSCORE ID Context, sent in requests (default none)"},
    {"oscore-client-id", "HEX", "OSCORE client Sender ID (default empty)"},
    {"oscore-server-id", "HEX", "OSCORE server Sender ID (default 01)"},
    {"echo", NULL, "OSCORE server: challenge the first request with Echo (default off)"},
    {"seq-file", "FILE", "OSCORE client: keep the Sender Sequence Number in FILE (default none)"},
    {"run-id", "HEX", "per-run value, appended to the OSCORE ID Context (not sent; set by run)"},
    {NULL, NULL, NULL},
};

enum { VAR_PLAIN = 0, VAR_DTLS = 1 };

struct sb_stack_ctx {
    sb_role role;
    sb_oscore_ctx *osc;
    char seq_file[256];
    uint64_t seq_reserved; /* numbers below this are covered by the file */
    sb_stack_desc inner_d; /* VAR_DTLS */
    sb_stack_ctx *inner;
};

struct sb_session {
    sb_stack_ctx *c;
    sb_io *io;
    sb_session *inner;
    /* client: the outstanding request */
    sb_oscore_req req;
    int have_req, echo_tries;
    uint8_t plain[SB_COAP_MAX_MSG], prot[SB_COAP_MAX_MSG];
    size_t plain_len, prot_len;
    /* server: the last verified request and the response sent to it */
    sb_oscore_req sreq;
    int have_sreq, sreq_answered;
    uint8_t rq[SB_COAP_MAX_MSG], rsp[SB_COAP_MAX_MSG];
    size_t rq_len, rsp_len;
};

static void oscore_enumerate(sb_emit_fn emit, void *arg);
static int oscore_check(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap);
static int oscore_ctx_new(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p,
                          sb_role role, char *err, size_t cap);
static void oscore_ctx_free(sb_stack_ctx *c);
static int oscore_open(sb_session **out, sb_stack_ctx *c, sb_io *io);
static int oscore_handshake(sb_session *s, int64_t deadline);
static int oscore_send(sb_session *s, const uint8_t *msg, size_t len);
static int oscore_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline);
static int oscore_close(sb_session *s, int64_t deadline);
static void oscore_free(sb_session *s);

const sb_family sb_family_oscore = {
    .name = "oscore", .opts = oscore_opts, .enumerate = oscore_enumerate,
    .check = oscore_check, .ctx_new = oscore_ctx_new, .ctx_free = oscore_ctx_free,
    .open = oscore_open, .handshake = oscore_handshake, .send = oscore_send,
    .recv = oscore_recv, .close = oscore_close, .free = oscore_free,
};

/* ---- enumeration ---- */

typedef struct {
    sb_stack_desc d[MAX_DTLS];
    size_t n;
} dtls_list;

static void dtls_collect(void *arg, const sb_stack_desc *d)
{
    dtls_list *l = arg;
    if (strncmp(d->id, "dtls1.2-", 8) == 0 && l->n < MAX_DTLS) l->d[l->n++] = *d;
}

static void oscore_enumerate(sb_emit_fn emit, void *arg)
{
    /* Listing the DTLS stacks enumerates every family, this one included: stop there. */
    if (emit == dtls_collect) return;
    static const char *const libs[] = {"openssl", "openssl", "wolfssl"};
    static const char *const ids[] = {"oscore", "oscore-openssl", "oscore-wolfssl"};
    sb_stack_desc d;
    for (size_t i = 0; i < 3; i++) {
        sb_desc_fill(&d, &sb_family_oscore, "oscore", libs[i], "psk", "ccm8", SB_TRANSPORT_UDP,
                     SB_FRAMING_UDP);
        snprintf(d.id, sizeof d.id, "%s", ids[i]);
        d.variant = VAR_PLAIN;
        snprintf(d.hop_stack, sizeof d.hop_stack, "coap"); /* a proxy forwards it keyless */
        if (!sb_crypto_get(libs[i])) {
            d.available = 0;
            snprintf(d.reason, sizeof d.reason, "%s crypto backend not built", libs[i]);
        }
        emit(arg, &d);
    }
    dtls_list *l = malloc(sizeof *l);
    if (!l) return;
    l->n = 0;
    sb_registry_enumerate(dtls_collect, l);
    for (size_t i = 0; i < l->n; i++) {
        const sb_stack_desc *in = &l->d[i];
        sb_desc_fill(&d, &sb_family_oscore, "oscore+dtls1.2", in->library, in->auth, in->cipher,
                     SB_TRANSPORT_UDP, SB_FRAMING_UDP);
        snprintf(d.id, sizeof d.id, "oscore+%.56s", in->id);
        d.variant = VAR_DTLS;
        snprintf(d.hop_stack, sizeof d.hop_stack, "%s", in->id); /* DTLS per hop */
        d.record_overhead = in->record_overhead;
        d.has_sessions = 1;
        d.available = in->available && sb_crypto_get(in->library) != NULL;
        if (!in->available)
            snprintf(d.reason, sizeof d.reason, "%.199s", in->reason);
        else if (!d.available)
            snprintf(d.reason, sizeof d.reason, "%s crypto backend not built", in->library);
        emit(arg, &d);
    }
    free(l);
}

static int inner_desc(const sb_stack_desc *d, sb_stack_desc *in, char *err, size_t cap)
{
    if (sb_registry_find(d->id + strlen("oscore+"), in) != SB_OK)
        return sb_fail(err, cap, SB_ENOTFOUND, "%s: no DTLS stack %s", d->id,
                       d->id + strlen("oscore+"));
    return SB_OK;
}

/* ---- configuration ---- */

typedef struct {
    uint8_t secret[SB_OSCORE_MAX_SECRET], salt[64], idctx[2 * SB_OSCORE_MAX_IDCTX];
    uint8_t cid[SB_OSCORE_MAX_ID], sid[SB_OSCORE_MAX_ID];
    int secret_len, salt_len, idctx_len, run_len, cid_len, sid_len;
} keying;

static int hex_param(const sb_params *p, const char *name, const uint8_t *dflt, size_t dlen,
                     uint8_t *out, size_t cap, size_t min, int *len, char *err, size_t ecap)
{
    int n = sb_params_hex(p, name, dflt, dlen, out, cap);
    if (n == SB_ESPACE)
        return sb_fail(err, ecap, SB_EINVAL, "--%s: at most %zu bytes", name, cap);
    if (n < 0) return sb_fail(err, ecap, SB_EINVAL, "--%s: not valid hex", name);
    if ((size_t)n < min) return sb_fail(err, ecap, SB_EINVAL, "--%s: at least %zu byte", name, min);
    *len = n;
    return SB_OK;
}

static int read_keying(const sb_params *p, keying *k, char *err, size_t cap)
{
    int rc, ctx_len = 0;
    if ((rc = hex_param(p, "oscore-secret", dflt_secret, sizeof dflt_secret, k->secret,
                        sizeof k->secret, 1, &k->secret_len, err, cap)) ||
        (rc = hex_param(p, "oscore-salt", dflt_salt, sizeof dflt_salt, k->salt, sizeof k->salt,
                        0, &k->salt_len, err, cap)) ||
        (rc = hex_param(p, "oscore-id-context", NULL, 0, k->idctx, SB_OSCORE_MAX_IDCTX / 2, 0,
                        &ctx_len, err, cap)) ||
        (rc = hex_param(p, "oscore-client-id", NULL, 0, k->cid, sizeof k->cid, 0, &k->cid_len,
                        err, cap)) ||
        (rc = hex_param(p, "oscore-server-id", dflt_server_id, 1, k->sid, sizeof k->sid, 0,
                        &k->sid_len, err, cap)) ||
        (rc = hex_param(p, "run-id", NULL, 0, k->idctx + ctx_len, SB_OSCORE_MAX_IDCTX / 2, 0,
                        &k->run_len, err, cap)))
        return rc;
    k->idctx_len = ctx_len;
    if (k->cid_len == k->sid_len && !memcmp(k->cid, k->sid, (size_t)k->cid_len))
        return sb_fail(err, cap, SB_EINVAL,
                       "--oscore-client-id and --oscore-server-id must differ (RFC 8613 §3.3)");
    const char *sf = sb_params_get(p, "seq-file");
    if (sf && (!*sf || strlen(sf) >= 256))
        return sb_fail(err, cap, SB_EINVAL, "--seq-file: needs a path (< 256 characters)");
    return SB_OK;
}

static int oscore_check(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap)
{
    keying k;
    int rc = read_keying(p, &k, err, cap);
    if (rc || d->variant != VAR_DTLS) return rc;
    sb_stack_desc in;
    if ((rc = inner_desc(d, &in, err, cap))) return rc;
    return in.family->check ? in.family->check(&in, p, err, cap) : SB_OK;
}

/* Appendix B.1.1: the file holds a number no protected message has used yet. */
static int seq_file_load(sb_stack_ctx *c, char *err, size_t cap)
{
    size_t len;
    char *txt = sb_read_file(c->seq_file, &len);
    uint64_t seq = 0;
    if (txt) {
        char *nl = strchr(txt, '\n');
        if (nl) *nl = '\0';
        int bad = sb_parse_u64(txt, SB_OSCORE_MAX_SEQ + 1, &seq);
        free(txt);
        if (bad)
            return sb_fail(err, cap, SB_EINVAL, "--seq-file %s: not a sequence number",
                           c->seq_file);
    } else if (errno != ENOENT) {
        return sb_fail(err, cap, SB_EIO, "--seq-file %s: %s", c->seq_file, strerror(errno));
    }
    c->seq_reserved = seq;
    return sb_oscore_set_seq(c->osc, seq);
}

/* Store the next free number before `seq` is used (write + fsync + rename). */
static int seq_file_reserve(sb_stack_ctx *c, uint64_t seq)
{
    if (!c->seq_file[0] || seq < c->seq_reserved) return SB_OK;
    uint64_t next = seq + SEQ_FILE_MARGIN;
    char tmp[300], txt[32];
    snprintf(tmp, sizeof tmp, "%s.tmp", c->seq_file);
    int n = snprintf(txt, sizeof txt, "%llu\n", (unsigned long long)next);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return SB_EIO;
    int ok = write(fd, txt, (size_t)n) == n && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, c->seq_file) != 0) return SB_EIO;
    c->seq_reserved = next;
    return SB_OK;
}

static int oscore_ctx_new(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p,
                          sb_role role, char *err, size_t cap)
{
    keying k;
    int rc = read_keying(p, &k, err, cap);
    if (rc) return rc;
    sb_stack_ctx *c = calloc(1, sizeof *c);
    if (!c) return SB_ENOMEM;
    c->role = role;
    int client = role == SB_ROLE_CLIENT;
    /* The run id keeps nonces unique across runs that restart at sequence number 0 with the
     * same master secret: it changes the derived keys without adding bytes on the wire, so
     * the ID Context goes in requests only when configured and no run id is mixed in. */
    size_t idlen = (size_t)(k.idctx_len + k.run_len);
    sb_oscore_config cfg = {
        .crypto = sb_crypto_get(d->library), .secret = k.secret,
        .secret_len = (size_t)k.secret_len, .salt = k.salt, .salt_len = (size_t)k.salt_len,
        .id_context = idlen || sb_params_get(p, "oscore-id-context") ? k.idctx : NULL,
        .id_context_len = idlen, .send_id_context = k.idctx_len && !k.run_len,
        .sender_id = client ? k.cid : k.sid, .sender_id_len = (size_t)(client ? k.cid_len : k.sid_len),
        .recipient_id = client ? k.sid : k.cid,
        .recipient_id_len = (size_t)(client ? k.sid_len : k.cid_len),
        .echo = !client && sb_params_flag(p, "echo")};
    if ((rc = sb_oscore_new(&c->osc, &cfg, err, cap))) goto fail;
    const char *sf = sb_params_get(p, "seq-file");
    if (client && sf) {
        snprintf(c->seq_file, sizeof c->seq_file, "%s", sf);
        if ((rc = seq_file_load(c, err, cap))) goto fail;
    }
    if (d->variant == VAR_DTLS) {
        if ((rc = inner_desc(d, &c->inner_d, err, cap))) goto fail;
        if ((rc = c->inner_d.family->ctx_new(&c->inner, &c->inner_d, p, role, err, cap)))
            goto fail;
    }
    *out = c;
    return SB_OK;
fail:
    oscore_ctx_free(c);
    return rc;
}

static void oscore_ctx_free(sb_stack_ctx *c)
{
    if (!c) return;
    if (c->inner_d.family && c->inner_d.family->ctx_free) c->inner_d.family->ctx_free(c->inner);
    sb_oscore_free(c->osc);
    free(c);
}

/* ---- sessions ---- */

static int oscore_open(sb_session **out, sb_stack_ctx *c, sb_io *io)
{
    sb_session *s = calloc(1, sizeof *s);
    if (!s) return SB_ENOMEM;
    s->c = c;
    s->io = io;
    if (c->inner) {
        int rc = c->inner_d.family->open(&s->inner, c->inner, io);
        if (rc) {
            free(s);
            return rc;
        }
    }
    *out = s;
    return SB_OK;
}

static int oscore_handshake(sb_session *s, int64_t deadline)
{
    if (s->inner) {
        int rc = s->c->inner_d.family->handshake(s->inner, deadline);
        if (rc) return rc;
    }
    sb_io_set_phase(s->io, SB_PHASE_APP); /* OSCORE itself has no handshake messages */
    return SB_OK;
}

static int tx(sb_session *s, const uint8_t *buf, size_t len)
{
    if (s->inner) return s->c->inner_d.family->send(s->inner, buf, len);
    return sb_io_send(s->io, buf, len);
}

static int rx(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    if (s->inner) return s->c->inner_d.family->recv(s->inner, buf, cap, len, deadline);
    return sb_io_recv(s->io, buf, cap, len, deadline);
}

static int is_empty(const uint8_t *m, size_t len)
{
    return len >= 4 && m[1] == 0; /* code 0.00: empty ACK/RST/ping, never protected */
}

static int client_protect(sb_session *s, const uint8_t *msg, size_t len)
{
    sb_stack_ctx *c = s->c;
    if (seq_file_reserve(c, sb_oscore_seq(c->osc)))
        return sb_io_fail(s->io, SB_EIO, "oscore: cannot write --seq-file %s", c->seq_file);
    int rc = sb_oscore_protect_request(c->osc, msg, len, s->prot, sizeof s->prot, &s->prot_len,
                                       &s->req);
    if (rc) return sb_io_fail(s->io, rc, "oscore: cannot protect request: %s", sb_strerror(rc));
    s->have_req = 1;
    return tx(s, s->prot, s->prot_len);
}

static int server_protect(sb_session *s, const uint8_t *msg, size_t len)
{
    if (!s->have_sreq)
        return sb_io_fail(s->io, SB_EPROTO, "oscore: response without a verified request");
    /* A second response to one request (e.g. an Observe notification) must not reuse the
     * request's nonce (§8.3): it carries the server's own Partial IV. */
    sb_coap_msg m;
    size_t olen;
    int own = s->sreq_answered || (sb_coap_parse(SB_FRAMING_UDP, msg, len, &m) == SB_OK &&
                                   sb_coap_find_opt(&m, SB_OPT_OBSERVE, NULL));
    int rc = sb_oscore_protect_response(s->c->osc, &s->sreq, own, msg, len, s->rsp,
                                        sizeof s->rsp, &olen);
    if (rc) return sb_io_fail(s->io, rc, "oscore: cannot protect response: %s", sb_strerror(rc));
    s->rsp_len = olen;
    s->sreq_answered = 1;
    return tx(s, s->rsp, s->rsp_len);
}

static int oscore_send(sb_session *s, const uint8_t *msg, size_t len)
{
    if (len > SB_COAP_MAX_MSG) return sb_io_fail(s->io, SB_ESPACE, "oscore: message too long");
    if (is_empty(msg, len)) return tx(s, msg, len);
    if (s->c->role == SB_ROLE_SERVER) return server_protect(s, msg, len);
    /* RFC 7252 §4.2 retransmission of the same request: the same protected bytes. */
    if (s->have_req && len == s->plain_len && !memcmp(msg, s->plain, len))
        return tx(s, s->prot, s->prot_len);
    memcpy(s->plain, msg, len);
    s->plain_len = len;
    s->echo_tries = 0;
    return client_protect(s, msg, len);
}

/* Outer token of a message (header only), for matching responses to the request. */
static int same_token(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    size_t tkl = a[0] & 15;
    return alen >= 4 + tkl && blen >= 4 + tkl && (b[0] & 15) == tkl && !memcmp(a + 4, b + 4, tkl);
}

static int client_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    uint8_t in[SB_COAP_MAX_MSG];
    for (;;) {
        size_t n;
        int rc = rx(s, in, sizeof in, &n, deadline);
        if (rc) return rc;
        if (n < 4 || is_empty(in, n) || !s->have_req) {
            if (n > cap) return SB_ESPACE;
            memcpy(buf, in, n);
            *len = n;
            return SB_OK;
        }
        /* A late duplicate answering an earlier request: not ours to verify. */
        if (!same_token(s->prot, s->prot_len, in, n)) continue;
        rc = sb_oscore_unprotect_response(s->c->osc, &s->req, in, n, buf, cap, len);
        if (rc) {
            sb_coap_msg m;
            if (sb_coap_parse(SB_FRAMING_UDP, in, n, &m) == SB_OK &&
                !sb_coap_find_opt(&m, SB_OPT_OSCORE, NULL) && m.code >= SB_COAP_CODE(4, 0))
                return sb_io_fail(s->io, SB_EAUTH,
                                  "oscore: server rejected the request: %d.%02d %.*s",
                                  m.code >> 5, m.code & 31, (int)m.payload_len,
                                  m.payload ? (const char *)m.payload : "");
            return sb_io_fail(s->io, SB_EAUTH, "oscore: response does not verify (%s)",
                              sb_strerror(rc));
        }
        uint8_t echo[40], msg[SB_COAP_MAX_MSG];
        size_t elen, mlen;
        if (!sb_oscore_echo_challenge(buf, *len, echo, sizeof echo, &elen)) {
            if (s->echo_tries) memcpy(buf + 2, s->plain + 2, 2); /* the workload's Message ID */
            return SB_OK;
        }
        /* RFC 9175 §2.4 / RFC 8613 B.1.2: repeat the request with the Echo value, under a new
         * sequence number; the workload only sees the final response. */
        if (s->echo_tries++ >= ECHO_RETRIES)
            return sb_io_fail(s->io, SB_EAUTH, "oscore: server keeps asking for Echo");
        rc = sb_oscore_add_echo(s->plain, s->plain_len, echo, elen, msg, sizeof msg, &mlen);
        if (rc) return sb_io_fail(s->io, rc, "oscore: cannot add Echo: %s", sb_strerror(rc));
        /* The repeat is a new CoAP message: with the challenged one's Message ID a server
         * would take it for a duplicate (RFC 7252 §4.5) and answer the challenge again. Half
         * the ID space away from the workload's sequential IDs. */
        unsigned mid = ((unsigned)s->plain[2] << 8 | s->plain[3]) + 0x8000u + s->echo_tries;
        msg[2] = (uint8_t)(mid >> 8);
        msg[3] = (uint8_t)mid;
        if ((rc = client_protect(s, msg, mlen))) return rc;
    }
}

/* RFC 7252 §4.5: a duplicate is recognised by its Message ID (one peer per session here),
 * not by its bytes: a retransmitted RFC 9668 combined request carries message_3 again, while
 * the request remembered is the OSCORE request stripped of it. NON duplicates are the same
 * bytes. */
static int is_duplicate(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen == blen && !memcmp(a, b, alen)) return 1;
    return alen >= 4 && blen >= 4 && (a[0] >> 4 & 3) == SB_COAP_CON && (b[0] >> 4 & 3) == SB_COAP_CON &&
           a[2] == b[2] && a[3] == b[3];
}

static int server_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    uint8_t in[SB_COAP_MAX_MSG], out[SB_COAP_MAX_MSG];
    for (;;) {
        size_t n, olen;
        int rc = rx(s, in, sizeof in, &n, deadline);
        if (rc) return rc;
        if (is_empty(in, n)) {
            if (n > cap) return SB_ESPACE;
            memcpy(buf, in, n);
            *len = n;
            return SB_OK;
        }
        /* RFC 7252 §4.5: a retransmitted request gets the same response again. */
        if (s->have_sreq && is_duplicate(in, n, s->rq, s->rq_len)) {
            if (s->sreq_answered && (rc = tx(s, s->rsp, s->rsp_len))) return rc;
            continue;
        }
        uint8_t code;
        rc = sb_oscore_unprotect_request(s->c->osc, in, n, buf, cap, len, &s->sreq, &code);
        if (rc == SB_OK) {
            s->have_sreq = 1;
            s->sreq_answered = 0;
            memcpy(s->rq, in, n);
            s->rq_len = n;
            return SB_OK;
        }
        if (rc == SB_OSCORE_CHALLENGE) {
            if ((rc = tx(s, buf, *len))) return rc;
            continue;
        }
        if (rc == SB_ESPACE) return rc;
        /* §8.2: answer with the unprotected error and keep waiting for a valid request. A
         * request without any OSCORE option is refused the same way (4.01). */
        if (rc == SB_EPROTO) {
            sb_coap_msg m;
            if (sb_coap_parse(SB_FRAMING_UDP, in, n, &m) == SB_OK &&
                !sb_coap_find_opt(&m, SB_OPT_OSCORE, NULL))
                code = SB_COAP_UNAUTHORIZED;
        }
        if (sb_oscore_error_response(in, n, code, sb_oscore_diag(rc), out, sizeof out, &olen) ==
                SB_OK &&
            (rc = tx(s, out, olen)))
            return rc;
    }
}

static int oscore_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    return s->c->role == SB_ROLE_SERVER ? server_recv(s, buf, cap, len, deadline)
                                        : client_recv(s, buf, cap, len, deadline);
}

static int oscore_close(sb_session *s, int64_t deadline)
{
    const sb_family *f = s->c->inner_d.family;
    if (s->inner && f->close) return f->close(s->inner, deadline);
    return SB_OK;
}

static void oscore_free(sb_session *s)
{
    if (!s) return;
    if (s->inner) s->c->inner_d.family->free(s->inner);
    free(s);
}
