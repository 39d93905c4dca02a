/* edhoc_stack.c: the EDHOC stack family: EDHOC (RFC 9528) over CoAP (Appendix A.2) keys an
 * OSCORE context (Appendix A.1), then the workload runs under OSCORE (client = initiator).
 * Ids: edhoc-mM-sS[-LIB], M = method 0..3, S = cipher suite 0 (X25519, EdDSA) or 2 (P-256,
 * ES256), LIB = openssl (default) | wolfssl for both the EDHOC and the OSCORE crypto.
 * The handshake: message_1 in a CON POST to /.well-known/edhoc with payload (true, message_1),
 * message_2 in its 2.04 piggybacked response, message_3 in a second POST prefixed with C_R,
 * answered by an empty 2.04; an EDHOC error travels in a 4.00 response (A.2), and the
 * initiator's own error in place of message_3, after C_R. Each side has the one suite of its
 * id, so an error 2 (wrong selected suite) ends the run with that reason.
 * Credentials: by 'kid' (CCS) or by 'x5t' (X.509), the keys of RFC 9529 where the suite fits:
 * §3's P-256 keys (static DH and ES256), §2's Ed25519 keys and certificates, and for X25519
 * static DH the keys of the earlier trace draft (lake-wg/edhoc draft-ietf-lake-traces, static
 * DH trace of versions -00..-02). With kid credentials, 1-byte identifiers and method 3 the
 * messages are 37/45/19 bytes, as in draft-ietf-iotops-security-protocol-comparison §3.1.
 * The OSCORE session afterwards is the OSCORE family's own, driven through its operations
 * with the derived keying material, so this file holds no OSCORE messaging. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/params.h"
#include "../bench/util.h"
#include "../bench/workload.h"
#include "cbor.h"
#include "edhoc.h"
#include "stack.h"

extern const sb_family sb_family_coap_udp;

#define WELL_KNOWN "/.well-known/edhoc"
#define CBOR_TRUE 0xf5

static const sb_opt_def edhoc_opts[] = {
    {"edhoc-combined", NULL,
     "EDHOC: message_3 inside the first OSCORE request, RFC 9668 (default off)"},
    {"edhoc-cred", "kid|x5t", "EDHOC credentials: CCS by kid, or X.509 by x5t (default kid)"},
    {"edhoc-cid-i", "HEX", "EDHOC connection identifier C_I (default 37, the CBOR int -24)"},
    {"edhoc-cid-r", "HEX", "EDHOC connection identifier C_R (default 27, the CBOR int -8)"},
    {NULL, NULL, NULL},
};

/* ---- credentials -------------------------------------------------------------------------- */

/* RFC 9529 §3: P-256 keys and their CCS (kid h'2b' for I, h'32' for R). */
static const char p256_sk_i[] = "fb13adeb6518cee5f88417660841142e830a81fe334380a953406a1305e8706b";
static const char p256_sk_r[] = "72cc4761dbd4c78f758931aa589d348d1ef874a7e303ede2f140dcf3e6aa4aac";
static const char p256_ccs_i[] =
    "a2027734322d35302d33312d46462d45462d33372d33322d333908a101a5010202412b2001215820ac75e9ece3"
    "e50bfc8ed60399889522405c47bf16df96660a41298cb4307f7eb62258206e5de611388a4b8a8211334ac7d3"
    "7ecb52a387d257e6db3c2a93df21ff3affc8";
static const char p256_ccs_r[] =
    "a2026b6578616d706c652e65647508a101a501020241322001215820bbc34960526ea4d32e940cad2a234148dd"
    "c21791a12afbcbac93622046dd44f02258204519e257236b2a0ce2023f0931f1f386ca7afda64fcde0108c224c"
    "51eabf6072";
/* RFC 9529 §2: Ed25519 keys and certificates. */
static const char ed_sk_i[] = "4c5b25878f507c6b9dae68fbd4fd3ff997533db0af00b25d324ea28e6c213bc8";
static const char ed_pk_i[] = "ed06a8ae61a829ba5fa54525c9d07f48dd44a302f43e0f23d8cc20b73085141e";
static const char ed_sk_r[] = "ef140ff900b0ab03f0c08d879cbbd4b31ea71e6e7ee7ffcb7e7955777a332799";
static const char ed_pk_r[] = "a1db47b95184854ad12a0c1a354e418aace33aa0f2c662c00b3ac55de92f9359";
static const char ed_cert_i[] =
    "3081ee3081a1a003020102020462319ea0300506032b6570301d311b301906035504030c124544484f4320526f"
    "6f742045643235353139301e170d3232303331363038323430305a170d3239313233313233303030305a302231"
    "20301e06035504030c174544484f4320496e69746961746f722045643235353139302a300506032b6570032100"
    "ed06a8ae61a829ba5fa54525c9d07f48dd44a302f43e0f23d8cc20b73085141e300506032b6570034100521241"
    "d8b3a770996bcfc9b9ead4e7e0a1c0db353a3bdf2910b39275ae48b756015981850d27db6734e37f67212267dd"
    "05eeff27b9e7a813fa574b72a00b430b";
static const char ed_cert_r[] =
    "3081ee3081a1a003020102020462319ec4300506032b6570301d311b301906035504030c124544484f4320526f"
    "6f742045643235353139301e170d3232303331363038323433365a170d3239313233313233303030305a302231"
    "20301e06035504030c174544484f4320526573706f6e6465722045643235353139302a300506032b6570032100"
    "a1db47b95184854ad12a0c1a354e418aace33aa0f2c662c00b3ac55de92f9359300506032b6570034100b723bc"
    "01eab0928e8b2b6c98de19cc3823d46e7d6987b032478fecfaf14537a1af14cc8be829c6b73044101837eb4abc"
    "949565d86dce51cfae52ab82c152cb02";
/* X25519 static keys of the earlier trace draft's static DH trace (I: kid -10, R: kid 5). */
static const char x_sk_i[] = "cfc4b6ed22e700a30d5c5bcd61f1f02049de235462334893d6ff9f0cfea3fe04";
static const char x_pk_i[] = "4a49d88cd5d841fab7ef983e911d2578861f95884f9f5dc42a2eed33de79ed77";
static const char x_sk_r[] = "528b49c670f8fc16a2ad95c1885b2e24fb15762272792aa1cf051df5d93d3694";
static const char x_pk_r[] = "e66f355990223c3f6caff862e407edd1174d0701a09ecd6a15cee2c6ce21aa50";

typedef struct party {
    uint8_t buf[SB_EDHOC_MAX_CRED];
    size_t len;
    uint8_t priv[32];
    sb_edhoc_cred cred;
} party;

/* A CCS {2: sub, 8: {1: COSE_Key}} for an OKP key (RFC 8392, RFC 8747, RFC 9053 §7.2). */
static int okp_ccs(party *p, const char *sub, uint8_t kid, int crv, const char *pub_hex)
{
    uint8_t pub[32];
    if (sb_hex_decode(pub_hex, pub, 32) != 32) return SB_EINVAL;
    sb_cbor_w w;
    sb_cbor_w_init(&w, p->buf, sizeof p->buf);
    sb_cbor_put_head(&w, SB_CBOR_MAP, 2);
    sb_cbor_put_uint(&w, 2);
    sb_cbor_put_tstr(&w, sub);
    sb_cbor_put_uint(&w, 8);
    sb_cbor_put_head(&w, SB_CBOR_MAP, 1);
    sb_cbor_put_uint(&w, 1);
    sb_cbor_put_head(&w, SB_CBOR_MAP, 4);
    sb_cbor_put_uint(&w, 1); /* kty */
    sb_cbor_put_uint(&w, 1); /* OKP */
    sb_cbor_put_uint(&w, 2); /* kid */
    sb_cbor_put_bstr(&w, &kid, 1);
    sb_cbor_put_int(&w, -1); /* crv */
    sb_cbor_put_uint(&w, (uint64_t)crv);
    sb_cbor_put_int(&w, -2); /* x */
    sb_cbor_put_bstr(&w, pub, 32);
    if (w.err) return w.err;
    p->len = w.len;
    return sb_edhoc_cred_ccs(&p->cred, p->buf, p->len);
}

static int load_file(party *p, const char *rel, char *err, size_t cap)
{
    char path[512];
    size_t n = 0;
    char *data = NULL;
    sb_data_path(rel, path, sizeof path); /* not found above the binary: rel, from the cwd */
    data = sb_read_file(path, &n);
    if (!data) return sb_fail(err, cap, SB_EIO, "edhoc: cannot read %s", rel);
    if (n > sizeof p->buf) {
        free(data);
        return sb_fail(err, cap, SB_EINVAL, "edhoc: %s too large", rel);
    }
    memcpy(p->buf, data, n);
    p->len = n;
    free(data);
    return SB_OK;
}

/* The credential of the initiator (who 0) or responder (1) for this suite and key use. */
static int make_party(party *p, int who, int suite, int is_static, int x5t,
                      const sb_crypto *cr, char *err, size_t cap)
{
    const char *sk;
    int rc;
    memset(p, 0, sizeof *p);
    if (suite == 2) {
        sk = who ? p256_sk_r : p256_sk_i;
        if (x5t) {
            rc = load_file(p, who ? "tests/edhoc-creds/responder-p256.der"
                                  : "tests/edhoc-creds/initiator-p256.der", err, cap);
            if (rc) return rc;
            rc = sb_edhoc_cred_x509(&p->cred, cr, p->buf, p->len);
        } else {
            const char *h = who ? p256_ccs_r : p256_ccs_i;
            int n = sb_hex_decode(h, p->buf, sizeof p->buf);
            if (n < 0) return sb_fail(err, cap, SB_EINVAL, "edhoc: bad built-in credential");
            p->len = (size_t)n;
            rc = sb_edhoc_cred_ccs(&p->cred, p->buf, p->len);
        }
    } else if (!is_static) {
        sk = who ? ed_sk_r : ed_sk_i;
        if (x5t) {
            int n = sb_hex_decode(who ? ed_cert_r : ed_cert_i, p->buf, sizeof p->buf);
            if (n < 0) return sb_fail(err, cap, SB_EINVAL, "edhoc: bad built-in certificate");
            p->len = (size_t)n;
            rc = sb_edhoc_cred_x509(&p->cred, cr, p->buf, p->len);
        } else {
            rc = okp_ccs(p, who ? "responder" : "initiator", who ? 0x32 : 0x2b, SB_CRV_ED25519,
                         who ? ed_pk_r : ed_pk_i);
        }
    } else {
        sk = who ? x_sk_r : x_sk_i;
        if (x5t)
            return sb_fail(err, cap, SB_EUNSUP,
                           "edhoc: --edhoc-cred x5t: no X25519 certificates for static DH with "
                           "suite 0 (use kid)");
        rc = okp_ccs(p, who ? "responder" : "initiator", who ? 0x32 : 0x2b, SB_CRV_X25519,
                     who ? x_pk_r : x_pk_i);
    }
    if (rc) return sb_fail(err, cap, rc, "edhoc: credential: %s", sb_strerror(rc));
    if (sb_hex_decode(sk, p->priv, 32) != 32)
        return sb_fail(err, cap, SB_EINVAL, "edhoc: bad built-in key");
    return SB_OK;
}

/* ---- family ------------------------------------------------------------------------------- */

struct sb_stack_ctx {
    sb_role role;
    int method, suite;
    const sb_crypto *crypto;
    const sb_ecc *ecc;
    party own, peer;
    uint8_t cid_i[SB_EDHOC_MAX_CID], cid_r[SB_EDHOC_MAX_CID];
    size_t cid_i_len, cid_r_len;
    sb_stack_desc osc_d, coap_d;
    /* the EDHOC exchanges' CoAP timers and seed: the workload's own (--ack-timeout, ...) */
    unsigned ack_timeout_ms, max_retransmit;
    uint64_t seed;
    /* through a forward proxy: the run's Proxy-Scheme, Uri-Host, Uri-Port (RFC 7252 §5.7) */
    char proxy_scheme[16], uri_host[64];
    uint16_t uri_port;
    int combined; /* client: message_3 in the first OSCORE request (RFC 9668) */
};

struct sb_session {
    sb_stack_ctx *c;
    sb_io *io;
    sb_session *plain;   /* plain CoAP on the same io, for the EDHOC exchanges */
    sb_stack_ctx *osc_c; /* the OSCORE family's context and session, keyed by EDHOC */
    sb_session *osc;
    sb_edhoc *e;
    size_t sizes[3];
    int fatal;      /* server: message_3 refused */
    sb_workload wl; /* client: CoAP timers of the EDHOC exchanges */
    uint8_t m3[SB_EDHOC_MAX_MSG]; /* client, combined: message_3 waiting for the request */
    size_t m3_len;
};

static void edhoc_enumerate(sb_emit_fn emit, void *arg);
static int edhoc_check(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap);
static int edhoc_ctx_new(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p,
                         sb_role role, char *err, size_t cap);
static void edhoc_ctx_free(sb_stack_ctx *c);
static int edhoc_open(sb_session **out, sb_stack_ctx *c, sb_io *io);
static int edhoc_handshake(sb_session *s, int64_t deadline);
static int edhoc_send(sb_session *s, const uint8_t *msg, size_t len);
static int edhoc_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline);
static int edhoc_close(sb_session *s, int64_t deadline);
static void edhoc_free(sb_session *s);
static int edhoc_query(const sb_session *s, const char *what, int64_t *val);

const sb_family sb_family_edhoc = {
    .name = "edhoc", .opts = edhoc_opts, .enumerate = edhoc_enumerate, .check = edhoc_check,
    .ctx_new = edhoc_ctx_new, .ctx_free = edhoc_ctx_free, .open = edhoc_open,
    .handshake = edhoc_handshake, .send = edhoc_send, .recv = edhoc_recv, .close = edhoc_close,
    .free = edhoc_free, .query = edhoc_query,
};

static void edhoc_enumerate(sb_emit_fn emit, void *arg)
{
    static const char *const libs[] = {"", "-openssl", "-wolfssl"};
    static const int suites[] = {0, 2};
    for (int m = 0; m <= 3; m++)
        for (size_t si = 0; si < 2; si++)
            for (size_t li = 0; li < 3; li++) {
                const char *lib = li == 2 ? "wolfssl" : "openssl";
                char auth[8], cipher[8];
                sb_stack_desc d;
                snprintf(auth, sizeof auth, "m%d", m);
                snprintf(cipher, sizeof cipher, "s%d", suites[si]);
                sb_desc_fill(&d, &sb_family_edhoc, "edhoc", lib, auth, cipher, SB_TRANSPORT_UDP,
                             SB_FRAMING_UDP);
                snprintf(d.id, sizeof d.id, "edhoc-m%d-s%d%s", m, suites[si], libs[li]);
                d.variant = m * 10 + suites[si];
                snprintf(d.hop_stack, sizeof d.hop_stack, "coap"); /* end to end, like OSCORE */
                if (!sb_crypto_get(lib) || !sb_ecc_get(lib)) {
                    d.available = 0;
                    snprintf(d.reason, sizeof d.reason, "%s crypto backend not built", lib);
                }
                emit(arg, &d);
            }
}

static int read_cids(const sb_params *p, uint8_t *ci, size_t *ci_len, uint8_t *cr,
                     size_t *cr_len, char *err, size_t cap)
{
    /* RFC 9529 §3's identifiers: 0x37 (-24) and 0x27 (-8), one byte each on the wire. */
    static const uint8_t dflt_i[] = {0x37}, dflt_r[] = {0x27};
    int n = sb_params_hex(p, "edhoc-cid-i", dflt_i, 1, ci, SB_EDHOC_MAX_CID);
    int m = sb_params_hex(p, "edhoc-cid-r", dflt_r, 1, cr, SB_EDHOC_MAX_CID);
    if (n <= 0 || m <= 0)
        return sb_fail(err, cap, SB_EINVAL, "--edhoc-cid-%s: 1 to %d bytes of hex",
                       n <= 0 ? "i" : "r", SB_EDHOC_MAX_CID);
    /* They become OSCORE Sender IDs (§3.3.3), which AES-CCM's nonce limits to 7 bytes. */
    if (n > 7 || m > 7)
        return sb_fail(err, cap, SB_EINVAL, "--edhoc-cid-%s: at most 7 bytes (OSCORE ids)",
                       n > 7 ? "i" : "r");
    if (n == m && memcmp(ci, cr, (size_t)n) == 0)
        return sb_fail(err, cap, SB_EINVAL, "--edhoc-cid-i and --edhoc-cid-r must differ");
    *ci_len = (size_t)n;
    *cr_len = (size_t)m;
    return SB_OK;
}

static int read_cred_type(const sb_params *p, int *x5t, char *err, size_t cap)
{
    const char *v = sb_params_get(p, "edhoc-cred");
    if (!v || strcmp(v, "kid") == 0)
        *x5t = 0;
    else if (strcmp(v, "x5t") == 0)
        *x5t = 1;
    else
        return sb_fail(err, cap, SB_EINVAL, "--edhoc-cred: kid or x5t, not '%s'", v);
    return SB_OK;
}

static int edhoc_check(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap)
{
    uint8_t a[SB_EDHOC_MAX_CID], b[SB_EDHOC_MAX_CID];
    size_t al, bl;
    int x5t, rc;
    if ((rc = read_cids(p, a, &al, b, &bl, err, cap))) return rc;
    if ((rc = read_cred_type(p, &x5t, err, cap))) return rc;
    int m = d->variant / 10, s = d->variant % 10;
    if (x5t && s == 0 && (m != 0))
        return sb_fail(err, cap, SB_EUNSUP,
                       "%s: --edhoc-cred x5t: no X25519 certificates for static DH (use kid)",
                       d->id);
    return SB_OK;
}

static int edhoc_ctx_new(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p,
                         sb_role role, char *err, size_t cap)
{
    int rc = edhoc_check(d, p, err, cap), x5t;
    if (rc) return rc;
    sb_stack_ctx *c = calloc(1, sizeof *c);
    if (!c) return SB_ENOMEM;
    c->role = role;
    c->method = d->variant / 10;
    c->suite = d->variant % 10;
    c->crypto = sb_crypto_get(d->library);
    c->ecc = sb_ecc_get(d->library);
    read_cred_type(p, &x5t, err, cap);
    read_cids(p, c->cid_i, &c->cid_i_len, c->cid_r, &c->cid_r_len, err, cap);
    sb_workload wl;
    uint64_t v;
    sb_workload_defaults(&wl);
    c->ack_timeout_ms = wl.ack_timeout_ms;
    c->max_retransmit = wl.max_retransmit;
    c->seed = 1;
    const char *t;
    if ((t = sb_params_get(p, "ack-timeout")) && sb_parse_u64(t, 600000, &v) == SB_OK && v)
        c->ack_timeout_ms = (unsigned)v;
    if ((t = sb_params_get(p, "max-retransmit")) && sb_parse_u64(t, 20, &v) == SB_OK)
        c->max_retransmit = (unsigned)v;
    if ((t = sb_params_get(p, "seed")) && sb_parse_u64(t, UINT64_MAX, &v) == SB_OK) c->seed = v;
    c->combined = sb_params_flag(p, "edhoc-combined");
    if ((t = sb_params_get(p, "proxy-scheme"))) snprintf(c->proxy_scheme, sizeof c->proxy_scheme, "%s", t);
    if ((t = sb_params_get(p, "uri-host"))) snprintf(c->uri_host, sizeof c->uri_host, "%s", t);
    if ((t = sb_params_get(p, "uri-port")) && sb_parse_u64(t, 65535, &v) == SB_OK) c->uri_port = (uint16_t)v;
    /* Not the workload's Message IDs and tokens: a late ACK must not match its requests. */
    c->seed ^= 0x4544484f43ULL; /* "EDHOC" */
    char oid[32];
    snprintf(oid, sizeof oid, "oscore-%s", d->library);
    if (!c->crypto || !c->ecc) {
        rc = sb_fail(err, cap, SB_EUNSUP, "%s: %s crypto backend not built", d->id, d->library);
        goto fail;
    }
    if (sb_registry_find(oid, &c->osc_d) != SB_OK || !c->osc_d.available ||
        sb_registry_find("coap", &c->coap_d) != SB_OK) {
        rc = sb_fail(err, cap, SB_EUNSUP, "%s: needs the %s and coap stacks", d->id, oid);
        goto fail;
    }
    /* Initiator static iff method 2 or 3, responder static iff method 1 or 3 (§3.2). */
    int me = role == SB_ROLE_SERVER, i_st = c->method >= 2, r_st = c->method & 1;
    if ((rc = make_party(&c->own, me, c->suite, me ? r_st : i_st, x5t, c->crypto, err, cap)) ||
        (rc = make_party(&c->peer, !me, c->suite, me ? i_st : r_st, x5t, c->crypto, err, cap)))
        goto fail;
    *out = c;
    return SB_OK;
fail:
    free(c);
    return rc;
}

static void edhoc_ctx_free(sb_stack_ctx *c)
{
    if (c) memset(c->own.priv, 0, sizeof c->own.priv);
    free(c);
}

static int edhoc_open(sb_session **out, sb_stack_ctx *c, sb_io *io)
{
    sb_session *s = calloc(1, sizeof *s);
    if (!s) return SB_ENOMEM;
    s->c = c;
    s->io = io;
    int rc = sb_family_coap_udp.open(&s->plain, NULL, io);
    if (rc) {
        free(s);
        return rc;
    }
    *out = s;
    return SB_OK;
}

static int new_state(sb_session *s, size_t sel)
{
    sb_stack_ctx *c = s->c;
    int client = c->role == SB_ROLE_CLIENT;
    sb_edhoc_config cfg = {
        .crypto = c->crypto, .ecc = c->ecc, .method = c->method, .suites = {c->suite},
        .nsuites = 1, .sel = sel, .cid = client ? c->cid_i : c->cid_r,
        .cid_len = client ? c->cid_i_len : c->cid_r_len, .own = &c->own.cred,
        .own_priv = c->own.priv, .peers = &c->peer.cred, .npeers = 1};
    sb_edhoc_free(s->e);
    s->e = NULL;
    int rc = sb_edhoc_new(&s->e, &cfg, client ? SB_EDHOC_INITIATOR : SB_EDHOC_RESPONDER);
    return rc ? sb_io_fail(s->io, rc, "edhoc: %s", sb_strerror(rc)) : SB_OK;
}

/* Appendix A.1: the OSCORE context from EDHOC_Exporter, Sender ID = the peer's C_x; then the
 * OSCORE family's own session on this io. */
static int start_oscore(sb_session *s, int64_t deadline)
{
    sb_stack_ctx *c = s->c;
    uint8_t secret[16], salt[8];
    const uint8_t *ci, *cr;
    size_t cil, crl;
    char hex[2 * SB_EDHOC_MAX_CID + 1], err[256];
    if (sb_edhoc_oscore(s->e, secret, salt) || sb_edhoc_cids(s->e, &ci, &cil, &cr, &crl))
        return sb_io_fail(s->io, SB_EPROTO, "edhoc: no OSCORE keying material");
    sb_params *p = sb_params_new();
    if (!p) return SB_ENOMEM;
    char sh[33], lh[17];
    sb_hex_encode(secret, 16, sh);
    sb_hex_encode(salt, 8, lh);
    sb_params_set(p, "oscore-secret", sh);
    sb_params_set(p, "oscore-salt", lh);
    sb_hex_encode(cr, crl, hex);
    sb_params_set(p, "oscore-client-id", hex); /* client (initiator) Sender ID = C_R */
    sb_hex_encode(ci, cil, hex);
    sb_params_set(p, "oscore-server-id", hex); /* server Sender ID = C_I */
    memset(secret, 0, sizeof secret);
    memset(sh, 0, sizeof sh);
    const sb_family *f = c->osc_d.family;
    int rc = f->ctx_new(&s->osc_c, &c->osc_d, p, c->role, err, sizeof err);
    sb_params_free(p);
    if (rc) return sb_io_fail(s->io, rc, "edhoc: OSCORE context: %s", err);
    if ((rc = f->open(&s->osc, s->osc_c, s->io)) || (rc = f->handshake(s->osc, deadline)))
        return sb_io_fail(s->io, rc, "edhoc: OSCORE session: %s", sb_strerror(rc));
    return SB_OK;
}

static int client_exchanges(sb_session *s, sb_wl_conn *wc, int64_t deadline);

/* RFC 9668 §3.2.1: the EDHOC + OSCORE request is the OSCORE request with the EDHOC option
 * (empty, class U) and the payload message_3 || OSCORE ciphertext. Applied to every copy of
 * the first request the OSCORE layer sends (retransmissions included) until it is answered. */
static int combine_tx(void *arg, sb_io *io, const uint8_t *buf, size_t len)
{
    sb_session *s = arg;
    sb_coap_msg m;
    uint8_t pay[SB_COAP_MAX_MSG], out[SB_COAP_MAX_MSG];
    size_t n;
    if (sb_coap_parse(SB_FRAMING_UDP, buf, len, &m) || (m.code >> 5) != 0 ||
        !sb_coap_find_opt(&m, SB_OPT_OSCORE, NULL) || s->m3_len + m.payload_len > sizeof pay)
        return sb_io_send_direct(io, buf, len);
    memcpy(pay, s->m3, s->m3_len);
    if (m.payload_len) memcpy(pay + s->m3_len, m.payload, m.payload_len);
    m.payload = pay;
    m.payload_len += s->m3_len;
    if (sb_coap_add_opt(&m, SB_OPT_EDHOC, NULL, 0) ||
        sb_coap_encode(&m, SB_FRAMING_UDP, out, sizeof out, &n))
        return sb_io_fail(io, SB_ESPACE, "edhoc: combined request too large");
    return sb_io_send_direct(io, out, n);
}

static int client_handshake(sb_session *s, int64_t deadline)
{
    sb_wl_conn wc;
    sb_workload_defaults(&s->wl);
    s->wl.ack_timeout_ms = s->c->ack_timeout_ms; /* RFC 7252 §4.8, as the workload's requests */
    s->wl.max_retransmit = s->c->max_retransmit;
    s->wl.proxy_scheme = s->c->proxy_scheme[0] ? s->c->proxy_scheme : NULL;
    s->wl.uri_host = s->c->uri_host;
    s->wl.uri_port = s->c->uri_port;
    sb_wl_conn_init(&wc, &sb_family_coap_udp, s->plain, &s->c->coap_d, s->c->seed);
    int rc = client_exchanges(s, &wc, deadline);
    s->io->retransmits += wc.retransmits; /* EDHOC's own CoAP retransmissions */
    if (!rc) rc = start_oscore(s, deadline);
    if (!rc && s->m3_len) { /* until the first response: see combine_tx */
        s->io->tx_hook = combine_tx;
        s->io->tx_hook_arg = s;
    }
    return rc;
}

/* Payload (C_R, x): C_R lets the responder find its session (Appendix A.2). */
static size_t put_c_r(const sb_edhoc *e, uint8_t *out)
{
    const uint8_t *ci, *cr;
    size_t cil, crl;
    sb_cbor_w w;
    if (sb_edhoc_cids(e, &ci, &cil, &cr, &crl)) return 0;
    sb_cbor_w_init(&w, out, 1 + SB_EDHOC_MAX_CID);
    if (sb_edhoc_cid_is_int(cr, crl))
        sb_cbor_put_raw(&w, cr, 1);
    else
        sb_cbor_put_bstr(&w, cr, crl);
    return w.err ? 0 : w.len;
}

/* Our EDHOC error in place of message_3 (§6), when C_R is known; its answer is not awaited
 * beyond a short while: the handshake failed either way. */
static void send_error(sb_session *s, sb_wl_conn *wc, int64_t deadline)
{
    uint8_t pl[1 + SB_EDHOC_MAX_CID + 256], rbuf[SB_COAP_MAX_MSG];
    size_t k = put_c_r(s->e, pl), n;
    sb_coap_msg req, resp;
    if (!k || sb_edhoc_error_msg(s->e, pl + k, sizeof pl - k, &n) != SB_OK) return;
    sb_coap_init(&req, SB_COAP_CON, SB_COAP_POST, 0, NULL, 0);
    sb_wl_add_proxy_opts(&s->wl, &req);
    sb_coap_add_path(&req, WELL_KNOWN);
    req.payload = pl;
    req.payload_len = k + n;
    int64_t soon = sb_now_ns() + 2 * (int64_t)s->wl.ack_timeout_ms * SB_NS_PER_MS;
    sb_wl_exchange(wc, &req, &resp, rbuf, sizeof rbuf, &s->wl, soon < deadline ? soon : deadline);
}

static int client_exchanges(sb_session *s, sb_wl_conn *wc, int64_t deadline)
{
    uint8_t pl[1 + SB_EDHOC_MAX_MSG], rbuf[SB_COAP_MAX_MSG];
    size_t n;
    sb_coap_msg req, resp;
    int rc;
    /* The stack offers its one suite: an error 2 means no suite in common (a multi-suite
     * initiator would retry with sb_edhoc_pick_suite's choice, RFC 9528 §6.3.2). */
    if ((rc = new_state(s, 0))) return rc;
    /* message_1 with the CBOR true prefix (Appendix A.2). */
    pl[0] = CBOR_TRUE;
    if ((rc = sb_edhoc_i_msg1(s->e, pl + 1, sizeof pl - 1, &n)))
        return sb_io_fail(s->io, rc, "edhoc: message_1: %s", sb_edhoc_reason(s->e));
    s->sizes[0] = n;
    sb_coap_init(&req, SB_COAP_CON, SB_COAP_POST, 0, NULL, 0);
    sb_wl_add_proxy_opts(&s->wl, &req);
    sb_coap_add_path(&req, WELL_KNOWN);
    req.payload = pl;
    req.payload_len = n + 1;
    if ((rc = sb_wl_exchange(wc, &req, &resp, rbuf, sizeof rbuf, &s->wl, deadline)))
        return sb_io_fail(s->io, rc, "edhoc: no answer to message_1 (%s)", sb_strerror(rc));
    /* message_2 arrived (2.04; an EDHOC error comes in 4.00): its size counts even when it
     * then fails verification */
    if (resp.code == SB_COAP_CHANGED) s->sizes[1] = resp.payload_len;
    if ((rc = sb_edhoc_i_msg2(s->e, resp.payload, resp.payload_len))) {
        rc = sb_io_fail(s->io, rc, "edhoc: message_2 (%d.%02d): %s", resp.code >> 5,
                        resp.code & 31, sb_edhoc_reason(s->e));
        send_error(s, wc, deadline);
        return rc;
    }
    /* (C_R, message_3) (Appendix A.2). */
    size_t k = put_c_r(s->e, pl);
    if (!k) return sb_io_fail(s->io, SB_EPROTO, "edhoc: no C_R");
    if ((rc = sb_edhoc_i_msg3(s->e, pl + k, sizeof pl - k, &n))) {
        rc = sb_io_fail(s->io, rc, "edhoc: message_3: %s", sb_edhoc_reason(s->e));
        send_error(s, wc, deadline);
        return rc;
    }
    s->sizes[2] = n;
    if (s->c->combined) { /* RFC 9668: it goes out with the first OSCORE request */
        memcpy(s->m3, pl + k, n);
        s->m3_len = n;
        return SB_OK;
    }
    sb_coap_init(&req, SB_COAP_CON, SB_COAP_POST, 0, NULL, 0);
    sb_wl_add_proxy_opts(&s->wl, &req);
    sb_coap_add_path(&req, WELL_KNOWN);
    req.payload = pl;
    req.payload_len = k + n;
    if ((rc = sb_wl_exchange(wc, &req, &resp, rbuf, sizeof rbuf, &s->wl, deadline)))
        return sb_io_fail(s->io, rc, "edhoc: no answer to message_3 (%s)", sb_strerror(rc));
    if (resp.code != SB_COAP_CHANGED) {
        int code;
        char diag[96];
        if (sb_edhoc_parse_error(resp.payload, resp.payload_len, &code, NULL, NULL, diag,
                                 sizeof diag) == SB_OK)
            return sb_io_fail(s->io, SB_EAUTH, "edhoc: message_3 refused: error %d %s", code,
                              diag);
        /* A retransmitted message_3 whose first 2.04 was lost reaches a server already in
         * OSCORE mode, which answers §8.2's 4.01: message_3 did arrive. Anything else fails. */
        if (resp.code != SB_COAP_UNAUTHORIZED || wc->retransmits == 0)
            return sb_io_fail(s->io, SB_EPROTO, "edhoc: message_3 answered %d.%02d",
                              resp.code >> 5, resp.code & 31);
    }
    return SB_OK;
}

/* An EDHOC error message in a 4.00 response (Appendix A.2). */
static void error_response(sb_session *s, sb_coap_msg *resp, uint8_t *pbuf, size_t pcap)
{
    size_t n = 0;
    if (!s->e || sb_edhoc_error_msg(s->e, pbuf, pcap, &n) != SB_OK)
        sb_edhoc_write_error(SB_EDHOC_ERR_UNSPECIFIED, s->e ? sb_edhoc_reason(s->e) : "no session",
                             NULL, 0, pbuf, pcap, &n);
    resp->code = SB_COAP_BAD_REQUEST;
    resp->payload = pbuf;
    resp->payload_len = n;
}

/* RFC 9668 §3.3.1: message_3 is the CBOR byte string heading the payload of an OSCORE
 * request carrying the EDHOC option. Once it is processed, the OSCORE request it carried
 * (without the option and message_3) is handed back to the socket layer for the OSCORE
 * session's first read, and answered there. */
static int combined_request(sb_session *s, const sb_coap_msg *req, sb_coap_msg *resp,
                            uint8_t *pbuf, size_t pcap)
{
    sb_cbor_r r;
    const uint8_t *b;
    size_t bl, n;
    sb_cbor_r_init(&r, req->payload, req->payload_len);
    if (!s->e || sb_cbor_get_bstr(&r, &b, &bl) != SB_OK) {
        sb_edhoc_write_error(SB_EDHOC_ERR_UNSPECIFIED, "no message_3 in the EDHOC + OSCORE request",
                             NULL, 0, pbuf, pcap, &n);
        resp->code = SB_COAP_BAD_REQUEST;
        resp->payload = pbuf;
        resp->payload_len = n;
        return SB_OK;
    }
    int rc = sb_edhoc_r_msg3(s->e, req->payload, r.pos);
    if (rc) {
        error_response(s, resp, pbuf, pcap);
        s->fatal = sb_io_fail(s->io, rc, "edhoc: message_3: %s", sb_edhoc_reason(s->e));
        return SB_OK;
    }
    s->sizes[2] = r.pos;
    sb_coap_msg *o = malloc(sizeof *o);
    uint8_t out[SB_COAP_MAX_MSG];
    if (!o) return SB_ENOMEM;
    *o = *req;
    sb_coap_del_opt(o, SB_OPT_EDHOC);
    o->payload = req->payload + r.pos;
    o->payload_len = req->payload_len - r.pos;
    rc = sb_coap_encode(o, SB_FRAMING_UDP, out, sizeof out, &n);
    free(o);
    if (!rc) rc = sb_io_unread(s->io, out, n);
    return rc ? rc : SB_WL_NO_RESPONSE;
}

/* The responder's resource, served by the workload's CoAP server loop (sb_wl_serve_with,
 * which also answers retransmitted requests with the same response, RFC 7252 §4.5). */
static int edhoc_resource(void *arg, const sb_coap_msg *req, sb_coap_msg *resp, uint8_t *pbuf,
                          size_t pcap)
{
    sb_session *s = arg;
    const uint8_t *p = req->payload;
    size_t pl = req->payload_len, n;
    int rc;
    if (sb_coap_find_opt(req, SB_OPT_EDHOC, NULL) && sb_coap_find_opt(req, SB_OPT_OSCORE, NULL))
        return combined_request(s, req, resp, pbuf, pcap);
    if (req->code != SB_COAP_POST || !sb_coap_path_is(req, WELL_KNOWN)) {
        resp->code = SB_COAP_NOT_FOUND; /* nothing but EDHOC before the handshake completes */
        return SB_OK;
    }
    if (pl > 0 && p[0] == CBOR_TRUE) { /* message_1: a first or a renewed attempt */
        if ((rc = new_state(s, 0))) return rc;
        if (sb_edhoc_r_msg1(s->e, p + 1, pl - 1) || sb_edhoc_r_msg2(s->e, pbuf, pcap, &n)) {
            error_response(s, resp, pbuf, pcap); /* the initiator may retry, e.g. error 2 */
            return SB_OK;
        }
        s->sizes[0] = pl - 1;
        s->sizes[1] = n;
        resp->code = SB_COAP_CHANGED;
        resp->payload = pbuf;
        resp->payload_len = n;
        return SB_OK;
    }
    /* (C_R, message_3): C_R finds the session (one per connection here, so it must match). */
    uint8_t cid[SB_EDHOC_MAX_CID];
    size_t cl = 0, off = 0;
    if (pl > 0 && sb_edhoc_cid_is_int(p, 1)) {
        cid[0] = p[0];
        cl = off = 1;
    } else if (pl > 0 && (p[0] >> 5) == SB_CBOR_BSTR && (p[0] & 31) <= SB_EDHOC_MAX_CID &&
               (size_t)(p[0] & 31) + 1 <= pl) {
        cl = p[0] & 31;
        memcpy(cid, p + 1, cl);
        off = cl + 1;
    }
    if (!s->e || cl != s->c->cid_r_len || memcmp(cid, s->c->cid_r, cl) != 0) {
        sb_edhoc_write_error(SB_EDHOC_ERR_UNSPECIFIED, "unknown C_R", NULL, 0, pbuf, pcap, &n);
        resp->code = SB_COAP_BAD_REQUEST;
        resp->payload = pbuf;
        resp->payload_len = n;
        return SB_OK;
    }
    if ((rc = sb_edhoc_r_msg3(s->e, p + off, pl - off))) {
        if (sb_edhoc_peer_error(s->e))
            resp->code = SB_COAP_CHANGED; /* the initiator's error, received: no error back */
        else
            error_response(s, resp, pbuf, pcap);
        s->fatal = sb_io_fail(s->io, rc, "edhoc: message_3: %s", sb_edhoc_reason(s->e));
        return SB_OK;
    }
    s->sizes[2] = pl - off;
    resp->code = SB_COAP_CHANGED;
    return SB_OK;
}

static int server_handshake(sb_session *s, int64_t deadline)
{
    sb_wl_conn wc;
    sb_wl_conn_init(&wc, &sb_family_coap_udp, s->plain, &s->c->coap_d, 0);
    while (!(s->e && sb_edhoc_done(s->e))) {
        int rc = sb_wl_serve_with(&wc, edhoc_resource, s, 1, deadline);
        if (rc) return sb_io_fail(s->io, rc, "edhoc: waiting for the initiator: %s",
                                  sb_strerror(rc));
        if (s->fatal) return s->fatal;
    }
    return start_oscore(s, deadline);
}

static int edhoc_handshake(sb_session *s, int64_t deadline)
{
    sb_io_set_phase(s->io, SB_PHASE_HANDSHAKE);
    return s->c->role == SB_ROLE_CLIENT ? client_handshake(s, deadline)
                                        : server_handshake(s, deadline);
}

static int edhoc_send(sb_session *s, const uint8_t *msg, size_t len)
{
    if (!s->osc) return sb_io_fail(s->io, SB_EPROTO, "edhoc: no OSCORE context yet");
    return s->c->osc_d.family->send(s->osc, msg, len);
}

static int edhoc_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline)
{
    if (!s->osc) return sb_io_fail(s->io, SB_EPROTO, "edhoc: no OSCORE context yet");
    int rc = s->c->osc_d.family->recv(s->osc, buf, cap, len, deadline);
    if (rc == SB_OK && s->io->tx_hook == combine_tx) s->io->tx_hook = NULL; /* answered */
    return rc;
}

static int edhoc_close(sb_session *s, int64_t deadline)
{
    const sb_family *f = s->c->osc_d.family;
    if (s->osc && f->close) return f->close(s->osc, deadline);
    return SB_OK;
}

static void edhoc_free(sb_session *s)
{
    if (!s) return;
    const sb_family *f = s->c->osc_d.family;
    if (s->osc) f->free(s->osc);
    if (s->osc_c) f->ctx_free(s->osc_c);
    if (s->plain) sb_family_coap_udp.free(s->plain);
    sb_edhoc_free(s->e);
    free(s);
}

int sb_edhoc_session_msg_sizes(const struct sb_session *s, size_t out[3])
{
    if (!s || s->c->osc_d.family == NULL) return SB_EINVAL;
    memcpy(out, s->sizes, sizeof s->sizes);
    return s->sizes[0] ? SB_OK : SB_ENOTFOUND;
}

static int edhoc_query(const sb_session *s, const char *what, int64_t *val)
{
    if (strncmp(what, "edhoc_m", 7) == 0 && what[7] >= '1' && what[7] <= '3' && !what[8]) {
        size_t v = s->sizes[what[7] - '1'];
        if (!v) return SB_ENOTFOUND;
        *val = (int64_t)v;
        return SB_OK;
    }
    if (strcmp(what, "resumed") == 0) {
        *val = 0; /* EDHOC has no resumption */
        return SB_OK;
    }
    return SB_ENOTFOUND;
}
