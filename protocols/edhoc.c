/* edhoc.c: the EDHOC (RFC 9528) initiator and responder state machines and key schedule.
 * Section numbers below are RFC 9528's. The key schedule (§4.1):
 *   TH_2 = H(G_Y, H(message_1)); PRK_2e = Extract(TH_2, G_XY)
 *   PRK_3e2m = PRK_2e, or Extract(SALT_3e2m, G_RX) when R uses static DH
 *   PRK_4e3m = PRK_3e2m, or Extract(SALT_4e3m, G_IY) when I uses static DH
 *   PRK_out = KDF(PRK_4e3m, 7, TH_4); PRK_exporter = KDF(PRK_out, 10, h'')
 * with EDHOC_KDF(PRK, label, context, length) = Expand(PRK, (label, context, length)). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"
#include "cbor.h"
#include "edhoc.h"
#include "edhoc_int.h"

/* Cipher suites (§3.6, IANA "EDHOC Cipher Suites"); hash is SHA-256 for all of these. */
typedef struct suite_def {
    int id, aead, key_len, iv_len, tag_len, mac_len, crv, sig_alg;
} suite_def;

static const suite_def suite_table[] = {
    {0, SB_COSE_AES_CCM_16_64_128, 16, 13, 8, 8, SB_CRV_X25519, SB_COSE_EDDSA},
    {1, SB_COSE_AES_CCM_16_128_128, 16, 13, 16, 16, SB_CRV_X25519, SB_COSE_EDDSA},
    {2, SB_COSE_AES_CCM_16_64_128, 16, 13, 8, 8, SB_CRV_P256, SB_COSE_ES256},
    {3, SB_COSE_AES_CCM_16_128_128, 16, 13, 16, 16, SB_CRV_P256, SB_COSE_ES256},
    {6, SB_COSE_A128GCM, 16, 12, 16, 16, SB_CRV_X25519, SB_COSE_ES256},
};

static const suite_def *find_suite(int id)
{
    for (size_t i = 0; i < sizeof suite_table / sizeof suite_table[0]; i++)
        if (suite_table[i].id == id) return &suite_table[i];
    return NULL;
}

enum { ST_START, ST_WAIT_M2, ST_M3_READY, ST_GOT_M1, ST_WAIT_M3, ST_DONE, ST_FAILED };

#define HL 32 /* SHA-256 */
#define BUF (SB_EDHOC_MAX_CRED + 320)
#define PT_MAX 512

struct sb_edhoc {
    sb_edhoc_config cfg;
    int role, state, method;
    const suite_def *suite;
    int eph_set;
    uint8_t eph_priv[32], eph_pub[32], peer_eph[32];
    uint8_t c_i[SB_EDHOC_MAX_CID], c_r[SB_EDHOC_MAX_CID];
    size_t c_i_len, c_r_len;
    const sb_edhoc_cred *peer;
    uint8_t h_m1[HL], th2[HL], th3[HL], th4[HL], g_xy[32];
    uint8_t prk2e[HL], prk3e2m[HL], prk4e3m[HL], prk_out[HL], prk_exp[HL];
    uint8_t ks2[PT_MAX], pt2[PT_MAX], pt3[PT_MAX];
    size_t ks2_len, pt2_len, pt3_len;
    uint8_t mac2[HL], mac3[HL], sm2[64], sm3[64];
    size_t mac2_len, mac3_len, sm2_len, sm3_len;
    uint8_t k3[16], iv3[13];
    /* Error to send (pending) and error received. */
    int err_code;
    char reason[160];
    int peer_err;
    int peer_suites[SB_EDHOC_MAX_SUITES];
    size_t npeer_suites;
};

/* ---- helpers ---------------------------------------------------------------------------- */

static int fail(sb_edhoc *e, int code, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(sb_edhoc *e, int code, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->reason, sizeof e->reason, fmt, ap);
    va_end(ap);
    e->err_code = code;
    e->state = ST_FAILED;
    return rc;
}

static int r_static(int method)
{
    return method == 1 || method == 3; /* §3.2: methods 1 and 3 = R static DH */
}

static int i_static(int method)
{
    return method == 2 || method == 3;
}

static int ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++) d |= a[i] ^ b[i];
    return d == 0;
}

/* EDHOC_KDF (§4.1.2): info = (label: uint, context: bstr, length: uint). */
static int kdf(const sb_edhoc *e, const uint8_t prk[HL], unsigned label, const uint8_t *ctx,
               size_t ctx_len, uint8_t *out, size_t len)
{
    uint8_t info[BUF + 32];
    sb_cbor_w w;
    sb_cbor_w_init(&w, info, sizeof info);
    sb_cbor_put_uint(&w, label);
    sb_cbor_put_bstr(&w, ctx, ctx_len);
    sb_cbor_put_uint(&w, len);
    if (w.err) return w.err;
    return e->cfg.crypto->hkdf_expand(prk, HL, info, w.len, out, len);
}

static int hash(const sb_edhoc *e, const sb_cbor_w *w, uint8_t out[HL])
{
    if (w->err) return w->err;
    return e->cfg.crypto->sha256(w->buf, w->len, out);
}

/* MAC_2 / MAC_3 context (§5.3.2, §5.4.2): << [C_R,] ID_CRED_x, TH_x, CRED_x, ? EAD_x >>. */
static int mac(const sb_edhoc *e, const uint8_t prk[HL], unsigned label, const uint8_t *c_r,
               size_t c_r_len, const sb_edhoc_cred *cred, const uint8_t th[HL], size_t mac_len,
               uint8_t *out)
{
    uint8_t ctx[BUF];
    sb_cbor_w w;
    sb_cbor_w_init(&w, ctx, sizeof ctx);
    if (c_r) sb_edhoc_put_cid(&w, c_r, c_r_len);
    sb_edhoc_put_id_cred(&w, cred);
    sb_cbor_put_bstr(&w, th, HL);
    sb_edhoc_put_cred(&w, cred);
    if (w.err) return w.err;
    return kdf(e, prk, label, ctx, w.len, out, mac_len);
}

/* COSE Sig_structure for COSE_Sign1 (RFC 9052 §4.4) as EDHOC fills it (§5.3.2):
 * ["Signature1", << ID_CRED_x >>, << TH_x, CRED_x, ? EAD_x >>, MAC_x]. */
static int sig_structure(const sb_edhoc_cred *cred, const uint8_t th[HL], const uint8_t *macv,
                         size_t mac_len, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t idc[64], aad[BUF];
    sb_cbor_w wi, wa, w;
    sb_cbor_w_init(&wi, idc, sizeof idc);
    sb_edhoc_put_id_cred(&wi, cred);
    sb_cbor_w_init(&wa, aad, sizeof aad);
    sb_cbor_put_bstr(&wa, th, HL);
    sb_edhoc_put_cred(&wa, cred);
    if (wi.err || wa.err) return SB_ESPACE;
    sb_cbor_w_init(&w, out, cap);
    sb_cbor_put_head(&w, SB_CBOR_ARRAY, 4);
    sb_cbor_put_tstr(&w, "Signature1");
    sb_cbor_put_bstr(&w, idc, wi.len);
    sb_cbor_put_bstr(&w, aad, wa.len);
    sb_cbor_put_bstr(&w, macv, mac_len);
    if (w.err) return w.err;
    *len = w.len;
    return SB_OK;
}

static int sign_or_mac(sb_edhoc *e, int is_static, const sb_edhoc_cred *own, const uint8_t th[HL],
                       const uint8_t *macv, size_t mac_len, uint8_t *out, size_t *out_len)
{
    if (is_static) {
        memcpy(out, macv, mac_len);
        *out_len = mac_len;
        return SB_OK;
    }
    uint8_t tbs[BUF + 64];
    size_t n;
    int rc = sig_structure(own, th, macv, mac_len, tbs, sizeof tbs, &n);
    if (rc) return rc;
    *out_len = 64;
    return e->cfg.ecc->sign(e->suite->sig_alg, e->cfg.own_priv, tbs, n, out);
}

static int verify_sign_or_mac(sb_edhoc *e, int is_static, const sb_edhoc_cred *peer,
                              const uint8_t th[HL], const uint8_t *macv, size_t mac_len,
                              const uint8_t *got, size_t got_len)
{
    if (is_static) return got_len == mac_len && ct_equal(got, macv, mac_len) ? SB_OK : SB_EAUTH;
    if (got_len != 64) return SB_EAUTH;
    uint8_t tbs[BUF + 64];
    size_t n;
    int rc = sig_structure(peer, th, macv, mac_len, tbs, sizeof tbs, &n);
    if (rc) return rc;
    return e->cfg.ecc->verify(e->suite->sig_alg, peer->pub, peer->pub_len, tbs, n, got);
}

/* The curve an authentication key needs: the ECDH curve for static DH, else the signature's. */
static int cred_fits(const suite_def *s, int is_static, const sb_edhoc_cred *c)
{
    if (is_static) return c->crv == s->crv;
    return c->crv == (s->sig_alg == SB_COSE_EDDSA ? SB_CRV_ED25519 : SB_CRV_P256);
}

static const sb_edhoc_cred *lookup(const sb_edhoc *e, int type, const uint8_t *id, size_t id_len)
{
    for (size_t i = 0; i < e->cfg.npeers; i++) {
        const sb_edhoc_cred *c = &e->cfg.peers[i];
        if (c->type == type && c->id_len == id_len && memcmp(c->id, id, id_len) == 0) return c;
    }
    return NULL;
}

/* EAD items (§3.8): ( ead_label: int, ? ead_value: bstr ); a negative label is critical. */
static int skip_ead(sb_cbor_r *r)
{
    while (!sb_cbor_r_done(r)) {
        int64_t label;
        const uint8_t *v;
        size_t n;
        if (sb_cbor_get_int(r, &label)) return SB_EPROTO;
        if (label < 0) return SB_EUNSUP;
        if (sb_cbor_peek(r) == SB_CBOR_BSTR && sb_cbor_get_bstr(r, &v, &n)) return SB_EPROTO;
    }
    return SB_OK;
}

static int ensure_ephemeral(sb_edhoc *e)
{
    if (e->eph_set) return SB_OK;
    int rc = e->cfg.ecc->keygen(e->suite->crv, e->eph_priv, e->eph_pub);
    if (rc == SB_OK) e->eph_set = 1;
    return rc;
}

static int th2_prk2e(sb_edhoc *e, const uint8_t g_y[32])
{
    uint8_t buf[80];
    sb_cbor_w w;
    sb_cbor_w_init(&w, buf, sizeof buf);
    sb_cbor_put_bstr(&w, g_y, 32);
    sb_cbor_put_bstr(&w, e->h_m1, HL);
    int rc = hash(e, &w, e->th2);
    if (rc) return rc;
    return e->cfg.crypto->hkdf_extract(e->th2, HL, e->g_xy, 32, e->prk2e);
}

/* PRK_3e2m / PRK_4e3m (§4.1.1.2-3): Extract(KDF(prev, salt_label, TH, 32), G_static). */
static int static_prk(sb_edhoc *e, const uint8_t prev[HL], unsigned salt_label,
                      const uint8_t th[HL], const uint8_t *priv, const uint8_t *pub,
                      uint8_t out[HL])
{
    uint8_t salt[HL], g[32];
    int rc = kdf(e, prev, salt_label, th, HL, salt, HL);
    if (rc == SB_OK) rc = e->cfg.ecc->ecdh(e->suite->crv, priv, pub, g);
    if (rc == SB_OK) rc = e->cfg.crypto->hkdf_extract(salt, HL, g, 32, out);
    memset(g, 0, sizeof g);
    return rc;
}

static int th_next(sb_edhoc *e, const uint8_t prev[HL], const uint8_t *pt, size_t pt_len,
                   const sb_edhoc_cred *cred, uint8_t out[HL])
{
    uint8_t buf[BUF + PT_MAX];
    sb_cbor_w w;
    sb_cbor_w_init(&w, buf, sizeof buf);
    sb_cbor_put_bstr(&w, prev, HL);
    sb_cbor_put_raw(&w, pt, pt_len);
    sb_edhoc_put_cred(&w, cred);
    return hash(e, &w, out);
}

static int k3_iv3_aad(sb_edhoc *e, uint8_t *aad, size_t cap, size_t *aad_len)
{
    int rc = kdf(e, e->prk3e2m, 3, e->th3, HL, e->k3, e->suite->key_len);
    if (rc == SB_OK) rc = kdf(e, e->prk3e2m, 4, e->th3, HL, e->iv3, e->suite->iv_len);
    if (rc) return rc;
    /* A_3 = ["Encrypt0", h'', TH_3] (§5.4.2, RFC 9052 §5.3). */
    sb_cbor_w w;
    sb_cbor_w_init(&w, aad, cap);
    sb_cbor_put_head(&w, SB_CBOR_ARRAY, 3);
    sb_cbor_put_tstr(&w, "Encrypt0");
    sb_cbor_put_bstr(&w, NULL, 0);
    sb_cbor_put_bstr(&w, e->th3, HL);
    *aad_len = w.len;
    return w.err;
}

static int finish(sb_edhoc *e, const sb_edhoc_cred *cred_i)
{
    int rc = th_next(e, e->th3, e->pt3, e->pt3_len, cred_i, e->th4);
    if (rc == SB_OK) rc = kdf(e, e->prk4e3m, 7, e->th4, HL, e->prk_out, HL);
    if (rc == SB_OK) rc = kdf(e, e->prk_out, 10, NULL, 0, e->prk_exp, HL);
    if (rc == SB_OK) e->state = ST_DONE;
    return rc;
}

/* ---- lifecycle -------------------------------------------------------------------------- */

int sb_edhoc_new(sb_edhoc **out, const sb_edhoc_config *cfg, int role)
{
    *out = NULL;
    if (!cfg->crypto || !cfg->ecc || !cfg->own || !cfg->own_priv || cfg->method < 0 ||
        cfg->method > 3 || cfg->nsuites == 0 || cfg->nsuites > SB_EDHOC_MAX_SUITES ||
        cfg->cid_len == 0 || cfg->cid_len > SB_EDHOC_MAX_CID ||
        cfg->own->cred_len > SB_EDHOC_MAX_CRED ||
        (role != SB_EDHOC_INITIATOR && role != SB_EDHOC_RESPONDER))
        return SB_EINVAL;
    if (role == SB_EDHOC_INITIATOR && (cfg->sel >= cfg->nsuites || !find_suite(cfg->suites[cfg->sel])))
        return SB_EUNSUP;
    for (size_t i = 0; role == SB_EDHOC_RESPONDER && i < cfg->nsuites; i++)
        if (!find_suite(cfg->suites[i])) return SB_EUNSUP;
    for (size_t i = 0; i < cfg->npeers; i++)
        if (cfg->peers[i].cred_len > SB_EDHOC_MAX_CRED) return SB_EINVAL;
    sb_edhoc *e = calloc(1, sizeof *e);
    if (!e) return SB_ENOMEM;
    e->cfg = *cfg;
    e->role = role;
    e->method = cfg->method;
    if (role == SB_EDHOC_INITIATOR) e->suite = find_suite(cfg->suites[cfg->sel]);
    *out = e;
    return SB_OK;
}

void sb_edhoc_free(sb_edhoc *e)
{
    if (!e) return;
    memset(e, 0, sizeof *e); /* keys */
    free(e);
}

int sb_edhoc_test_set_ephemeral(sb_edhoc *e, const uint8_t priv[32], const uint8_t pub[32])
{
    memcpy(e->eph_priv, priv, 32);
    memcpy(e->eph_pub, pub, 32);
    e->eph_set = 1;
    return SB_OK;
}

/* ---- initiator -------------------------------------------------------------------------- */

int sb_edhoc_i_msg1(sb_edhoc *e, uint8_t *out, size_t cap, size_t *len)
{
    if (e->role != SB_EDHOC_INITIATOR || e->state != ST_START) return SB_EINVAL;
    int rc = ensure_ephemeral(e);
    if (rc) return fail(e, 0, rc, "ephemeral key generation failed");
    memcpy(e->c_i, e->cfg.cid, e->cfg.cid_len);
    e->c_i_len = e->cfg.cid_len;
    /* message_1 = (METHOD, SUITES_I, G_X, C_I, ? EAD_1) (§5.2.1); SUITES_I is an int when the
     * most preferred suite is the selected one, else the array up to the selected (§5.2.2). */
    sb_cbor_w w;
    sb_cbor_w_init(&w, out, cap);
    sb_cbor_put_uint(&w, (uint64_t)e->method);
    if (e->cfg.sel == 0) {
        sb_cbor_put_int(&w, e->cfg.suites[0]);
    } else {
        sb_cbor_put_head(&w, SB_CBOR_ARRAY, e->cfg.sel + 1);
        for (size_t i = 0; i <= e->cfg.sel; i++) sb_cbor_put_int(&w, e->cfg.suites[i]);
    }
    sb_cbor_put_bstr(&w, e->eph_pub, 32);
    sb_edhoc_put_cid(&w, e->c_i, e->c_i_len);
    if (w.err) return fail(e, 0, w.err, "message_1 does not fit %zu bytes", cap);
    rc = e->cfg.crypto->sha256(out, w.len, e->h_m1);
    if (rc) return fail(e, 0, rc, "hash failed");
    *len = w.len;
    e->state = ST_WAIT_M2;
    return SB_OK;
}

/* An EDHOC error arrives where a message was expected: its first item is an int (§6). */
static int take_peer_error(sb_edhoc *e, const uint8_t *m, size_t len)
{
    char diag[96];
    int code;
    if (sb_edhoc_parse_error(m, len, &code, e->peer_suites, &e->npeer_suites, diag, sizeof diag))
        return fail(e, 0, SB_EPROTO, "malformed EDHOC error message");
    e->peer_err = code;
    if (code == SB_EDHOC_ERR_WRONG_SUITE)
        return fail(e, 0, SB_EPROTO, "peer: wrong selected cipher suite");
    if (code == SB_EDHOC_ERR_UNKNOWN_CRED)
        return fail(e, 0, SB_EPROTO, "peer: unknown credential referenced");
    return fail(e, 0, SB_EPROTO, "peer error %d: %s", code, diag);
}

static int is_error_msg(const uint8_t *m, size_t len)
{
    return len > 0 && (m[0] >> 5 == SB_CBOR_UINT || m[0] >> 5 == SB_CBOR_NINT);
}

int sb_edhoc_i_msg2(sb_edhoc *e, const uint8_t *m2, size_t len)
{
    if (e->role != SB_EDHOC_INITIATOR || e->state != ST_WAIT_M2) return SB_EINVAL;
    if (is_error_msg(m2, len)) return take_peer_error(e, m2, len);
    /* message_2 = (G_Y_CIPHERTEXT_2: bstr) (§5.3.1). */
    sb_cbor_r r;
    const uint8_t *gyct;
    size_t n;
    sb_cbor_r_init(&r, m2, len);
    if (sb_cbor_get_bstr(&r, &gyct, &n) || !sb_cbor_r_done(&r) || n <= 32 || n - 32 > PT_MAX)
        return fail(e, 1, SB_EPROTO, "malformed message_2");
    memcpy(e->peer_eph, gyct, 32);
    size_t ptl = n - 32;
    int rc = e->cfg.ecc->ecdh(e->suite->crv, e->eph_priv, e->peer_eph, e->g_xy);
    if (rc) return fail(e, 1, SB_EAUTH, "invalid G_Y");
    if ((rc = th2_prk2e(e, e->peer_eph)) || (rc = kdf(e, e->prk2e, 0, e->th2, HL, e->ks2, ptl)))
        return fail(e, 1, rc, "key schedule failed");
    e->ks2_len = ptl;
    for (size_t i = 0; i < ptl; i++) e->pt2[i] = gyct[32 + i] ^ e->ks2[i];
    e->pt2_len = ptl;

    /* PLAINTEXT_2 = (C_R, ID_CRED_R / bstr / -24..23, Signature_or_MAC_2, ? EAD_2). */
    int type;
    uint8_t id[8];
    size_t id_len;
    const uint8_t *sm;
    size_t sm_len;
    sb_cbor_r_init(&r, e->pt2, e->pt2_len);
    if (sb_edhoc_get_cid(&r, e->c_r, &e->c_r_len) || sb_edhoc_get_id_cred(&r, &type, id, &id_len) ||
        sb_cbor_get_bstr(&r, &sm, &sm_len) || sm_len > 64)
        return fail(e, 1, SB_EPROTO, "malformed PLAINTEXT_2");
    if ((rc = skip_ead(&r))) return fail(e, 1, rc, "unsupported EAD_2");
    if (!(e->peer = lookup(e, type, id, id_len)))
        return fail(e, SB_EDHOC_ERR_UNKNOWN_CRED, SB_ENOTFOUND, "unknown ID_CRED_R");
    int rs = r_static(e->method);
    if (!cred_fits(e->suite, rs, e->peer))
        return fail(e, 1, SB_EAUTH, "responder credential does not fit suite %d", e->suite->id);
    memcpy(e->sm2, sm, sm_len);
    e->sm2_len = sm_len;

    if (rs)
        rc = static_prk(e, e->prk2e, 1, e->th2, e->eph_priv, e->peer->pub, e->prk3e2m);
    else
        memcpy(e->prk3e2m, e->prk2e, HL);
    if (rc) return fail(e, 1, rc, "G_RX failed");
    e->mac2_len = rs ? (size_t)e->suite->mac_len : HL;
    rc = mac(e, e->prk3e2m, 2, e->c_r, e->c_r_len, e->peer, e->th2, e->mac2_len, e->mac2);
    if (rc) return fail(e, 1, rc, "MAC_2 derivation failed");
    if (verify_sign_or_mac(e, rs, e->peer, e->th2, e->mac2, e->mac2_len, sm, sm_len))
        return fail(e, 1, SB_EAUTH, "%s verification failed", rs ? "MAC_2" : "Signature_2");
    if ((rc = th_next(e, e->th2, e->pt2, e->pt2_len, e->peer, e->th3)))
        return fail(e, 1, rc, "TH_3 failed");
    e->state = ST_M3_READY;
    return SB_OK;
}

int sb_edhoc_i_msg3(sb_edhoc *e, uint8_t *out, size_t cap, size_t *len)
{
    if (e->role != SB_EDHOC_INITIATOR || e->state != ST_M3_READY) return SB_EINVAL;
    const sb_edhoc_cred *own = e->cfg.own;
    int is = i_static(e->method), rc;
    /* Checked here, not at message_1: SUITES_I may select a suite the credential does not fit
     * and still be answered with error 2 (RFC 9529 §3.1). */
    if (!cred_fits(e->suite, is, own))
        return fail(e, 1, SB_EINVAL, "own credential does not fit suite %d", e->suite->id);
    if (is)
        rc = static_prk(e, e->prk3e2m, 5, e->th3, e->cfg.own_priv, e->peer_eph, e->prk4e3m);
    else
        memcpy(e->prk4e3m, e->prk3e2m, HL), rc = SB_OK;
    if (rc) return fail(e, 1, rc, "G_IY failed");
    e->mac3_len = is ? (size_t)e->suite->mac_len : HL;
    if ((rc = mac(e, e->prk4e3m, 6, NULL, 0, own, e->th3, e->mac3_len, e->mac3)) ||
        (rc = sign_or_mac(e, is, own, e->th3, e->mac3, e->mac3_len, e->sm3, &e->sm3_len)))
        return fail(e, 1, rc, "MAC_3/Signature_3 failed");
    /* PLAINTEXT_3 = (ID_CRED_I / bstr / -24..23, Signature_or_MAC_3, ? EAD_3) (§5.4.2). */
    sb_cbor_w w;
    sb_cbor_w_init(&w, e->pt3, sizeof e->pt3);
    sb_edhoc_put_id_cred_compact(&w, own);
    sb_cbor_put_bstr(&w, e->sm3, e->sm3_len);
    if (w.err) return fail(e, 1, w.err, "PLAINTEXT_3 too long");
    e->pt3_len = w.len;

    uint8_t aad[64], ct[PT_MAX + 16];
    size_t aad_len;
    sb_aead_key *k = NULL;
    if ((rc = k3_iv3_aad(e, aad, sizeof aad, &aad_len)) ||
        (rc = e->cfg.crypto->aead_new(&k, e->suite->aead, e->k3, e->suite->key_len)))
        return fail(e, 1, rc, "K_3 failed");
    rc = e->cfg.crypto->aead_seal(k, e->iv3, e->suite->iv_len, aad, aad_len, e->pt3, e->pt3_len,
                                  ct);
    e->cfg.crypto->aead_free(k);
    if (rc) return fail(e, 1, rc, "message_3 encryption failed");
    sb_cbor_w_init(&w, out, cap);
    sb_cbor_put_bstr(&w, ct, e->pt3_len + (size_t)e->suite->tag_len);
    if (w.err) return fail(e, 0, w.err, "message_3 does not fit %zu bytes", cap);
    if ((rc = finish(e, own))) return fail(e, 1, rc, "PRK_out failed");
    *len = w.len;
    return SB_OK;
}

/* ---- responder -------------------------------------------------------------------------- */

static int r_supports(const sb_edhoc *e, int suite)
{
    for (size_t i = 0; i < e->cfg.nsuites; i++)
        if (e->cfg.suites[i] == suite) return 1;
    return 0;
}

int sb_edhoc_r_msg1(sb_edhoc *e, const uint8_t *m1, size_t len)
{
    if (e->role != SB_EDHOC_RESPONDER || e->state != ST_START) return SB_EINVAL;
    sb_cbor_r r;
    int64_t method, s;
    int suites_i[SB_EDHOC_MAX_SUITES];
    size_t ns = 0;
    const uint8_t *gx;
    size_t gxl;
    sb_cbor_r_init(&r, m1, len);
    if (sb_cbor_get_int(&r, &method)) return fail(e, 1, SB_EPROTO, "malformed message_1");
    if (sb_cbor_peek(&r) == SB_CBOR_ARRAY) {
        int mt;
        uint64_t n;
        /* A 1-element array is a non-canonical SUITES_I (RFC 9529 §4.1.3). */
        if (sb_cbor_get_head(&r, &mt, &n) || n < 2 || n > SB_EDHOC_MAX_SUITES)
            return fail(e, 1, SB_EPROTO, "malformed SUITES_I");
        for (uint64_t i = 0; i < n; i++) {
            if (sb_cbor_get_int(&r, &s) || s < -65536 || s > 65535)
                return fail(e, 1, SB_EPROTO, "malformed SUITES_I");
            suites_i[ns++] = (int)s;
        }
    } else {
        if (sb_cbor_get_int(&r, &s) || s < -65536 || s > 65535)
            return fail(e, 1, SB_EPROTO, "malformed SUITES_I");
        suites_i[ns++] = (int)s;
    }
    if (sb_cbor_get_bstr(&r, &gx, &gxl) || gxl != 32 || sb_edhoc_get_cid(&r, e->c_i, &e->c_i_len))
        return fail(e, 1, SB_EPROTO, "malformed message_1");
    int rc = skip_ead(&r);
    if (rc) return fail(e, 1, rc, "unsupported EAD_1");
    if (method != e->cfg.method)
        return fail(e, 1, SB_EUNSUP, "method %lld not supported", (long long)method);
    /* §6.3.2: the selected (last) suite must be supported, and none the initiator prefers to
     * it; otherwise error 2 with SUITES_R. */
    int ok = r_supports(e, suites_i[ns - 1]);
    for (size_t i = 0; ok && i + 1 < ns; i++)
        if (r_supports(e, suites_i[i])) ok = 0;
    if (!ok) return fail(e, SB_EDHOC_ERR_WRONG_SUITE, SB_EUNSUP, "wrong selected cipher suite");
    e->suite = find_suite(suites_i[ns - 1]);
    e->method = (int)method;
    memcpy(e->peer_eph, gx, 32);
    if ((rc = e->cfg.crypto->sha256(m1, len, e->h_m1))) return fail(e, 1, rc, "hash failed");
    e->state = ST_GOT_M1;
    return SB_OK;
}

int sb_edhoc_r_msg2(sb_edhoc *e, uint8_t *out, size_t cap, size_t *len)
{
    if (e->role != SB_EDHOC_RESPONDER || e->state != ST_GOT_M1) return SB_EINVAL;
    const sb_edhoc_cred *own = e->cfg.own;
    int rs = r_static(e->method), rc;
    if (!cred_fits(e->suite, rs, own))
        return fail(e, 1, SB_EINVAL, "own credential does not fit suite %d", e->suite->id);
    memcpy(e->c_r, e->cfg.cid, e->cfg.cid_len);
    e->c_r_len = e->cfg.cid_len;
    /* OSCORE needs distinct Sender IDs, i.e. C_R != C_I (§3.3.3). */
    if (e->c_r_len == e->c_i_len && memcmp(e->c_r, e->c_i, e->c_i_len) == 0)
        return fail(e, 1, SB_EINVAL, "C_R equals C_I");
    if ((rc = ensure_ephemeral(e))) return fail(e, 1, rc, "ephemeral key generation failed");
    if ((rc = e->cfg.ecc->ecdh(e->suite->crv, e->eph_priv, e->peer_eph, e->g_xy)))
        return fail(e, 1, SB_EAUTH, "invalid G_X");
    if ((rc = th2_prk2e(e, e->eph_pub))) return fail(e, 1, rc, "key schedule failed");
    if (rs)
        rc = static_prk(e, e->prk2e, 1, e->th2, e->cfg.own_priv, e->peer_eph, e->prk3e2m);
    else
        memcpy(e->prk3e2m, e->prk2e, HL);
    if (rc) return fail(e, 1, rc, "G_RX failed");
    e->mac2_len = rs ? (size_t)e->suite->mac_len : HL;
    if ((rc = mac(e, e->prk3e2m, 2, e->c_r, e->c_r_len, own, e->th2, e->mac2_len, e->mac2)) ||
        (rc = sign_or_mac(e, rs, own, e->th2, e->mac2, e->mac2_len, e->sm2, &e->sm2_len)))
        return fail(e, 1, rc, "MAC_2/Signature_2 failed");

    sb_cbor_w w;
    sb_cbor_w_init(&w, e->pt2, sizeof e->pt2);
    sb_edhoc_put_cid(&w, e->c_r, e->c_r_len);
    sb_edhoc_put_id_cred_compact(&w, own);
    sb_cbor_put_bstr(&w, e->sm2, e->sm2_len);
    if (w.err) return fail(e, 1, w.err, "PLAINTEXT_2 too long");
    e->pt2_len = w.len;
    if ((rc = kdf(e, e->prk2e, 0, e->th2, HL, e->ks2, e->pt2_len)))
        return fail(e, 1, rc, "KEYSTREAM_2 failed");
    e->ks2_len = e->pt2_len;

    uint8_t gyct[32 + PT_MAX];
    memcpy(gyct, e->eph_pub, 32);
    for (size_t i = 0; i < e->pt2_len; i++) gyct[32 + i] = e->pt2[i] ^ e->ks2[i];
    sb_cbor_w_init(&w, out, cap);
    sb_cbor_put_bstr(&w, gyct, 32 + e->pt2_len);
    if (w.err) return fail(e, 0, w.err, "message_2 does not fit %zu bytes", cap);
    if ((rc = th_next(e, e->th2, e->pt2, e->pt2_len, own, e->th3)))
        return fail(e, 1, rc, "TH_3 failed");
    *len = w.len;
    e->state = ST_WAIT_M3;
    return SB_OK;
}

int sb_edhoc_r_msg3(sb_edhoc *e, const uint8_t *m3, size_t len)
{
    if (e->role != SB_EDHOC_RESPONDER || e->state != ST_WAIT_M3) return SB_EINVAL;
    if (is_error_msg(m3, len)) return take_peer_error(e, m3, len);
    sb_cbor_r r;
    const uint8_t *ct;
    size_t ctl;
    sb_cbor_r_init(&r, m3, len);
    if (sb_cbor_get_bstr(&r, &ct, &ctl) || !sb_cbor_r_done(&r) ||
        ctl < (size_t)e->suite->tag_len || ctl - (size_t)e->suite->tag_len > PT_MAX)
        return fail(e, 1, SB_EPROTO, "malformed message_3");
    uint8_t aad[64];
    size_t aad_len;
    sb_aead_key *k = NULL;
    int rc;
    if ((rc = k3_iv3_aad(e, aad, sizeof aad, &aad_len)) ||
        (rc = e->cfg.crypto->aead_new(&k, e->suite->aead, e->k3, e->suite->key_len)))
        return fail(e, 1, rc, "K_3 failed");
    rc = e->cfg.crypto->aead_open(k, e->iv3, e->suite->iv_len, aad, aad_len, ct, ctl, e->pt3);
    e->cfg.crypto->aead_free(k);
    if (rc) return fail(e, 1, SB_EAUTH, "message_3 decryption failed");
    e->pt3_len = ctl - (size_t)e->suite->tag_len;

    int type;
    uint8_t id[8];
    size_t id_len;
    const uint8_t *sm;
    size_t sm_len;
    sb_cbor_r_init(&r, e->pt3, e->pt3_len);
    if (sb_edhoc_get_id_cred(&r, &type, id, &id_len) || sb_cbor_get_bstr(&r, &sm, &sm_len) ||
        sm_len > 64)
        return fail(e, 1, SB_EPROTO, "malformed PLAINTEXT_3");
    if ((rc = skip_ead(&r))) return fail(e, 1, rc, "unsupported EAD_3");
    if (!(e->peer = lookup(e, type, id, id_len)))
        return fail(e, SB_EDHOC_ERR_UNKNOWN_CRED, SB_ENOTFOUND, "unknown ID_CRED_I");
    int is = i_static(e->method);
    if (!cred_fits(e->suite, is, e->peer))
        return fail(e, 1, SB_EAUTH, "initiator credential does not fit suite %d", e->suite->id);
    memcpy(e->sm3, sm, sm_len);
    e->sm3_len = sm_len;
    if (is)
        rc = static_prk(e, e->prk3e2m, 5, e->th3, e->eph_priv, e->peer->pub, e->prk4e3m);
    else
        memcpy(e->prk4e3m, e->prk3e2m, HL);
    if (rc) return fail(e, 1, rc, "G_IY failed");
    e->mac3_len = is ? (size_t)e->suite->mac_len : HL;
    if ((rc = mac(e, e->prk4e3m, 6, NULL, 0, e->peer, e->th3, e->mac3_len, e->mac3)))
        return fail(e, 1, rc, "MAC_3 derivation failed");
    if (verify_sign_or_mac(e, is, e->peer, e->th3, e->mac3, e->mac3_len, sm, sm_len))
        return fail(e, 1, SB_EAUTH, "%s verification failed", is ? "MAC_3" : "Signature_3");
    if ((rc = finish(e, e->peer))) return fail(e, 1, rc, "PRK_out failed");
    return SB_OK;
}

/* ---- results and errors ----------------------------------------------------------------- */

int sb_edhoc_done(const sb_edhoc *e)
{
    return e->state == ST_DONE;
}

int sb_edhoc_error_msg(const sb_edhoc *e, uint8_t *out, size_t cap, size_t *len)
{
    if (e->err_code == 0) return SB_ENOTFOUND;
    const char *diag = e->err_code == SB_EDHOC_ERR_UNSPECIFIED ? e->reason : NULL;
    return sb_edhoc_write_error(e->err_code, diag, e->cfg.suites, e->cfg.nsuites, out, cap, len);
}

const char *sb_edhoc_reason(const sb_edhoc *e)
{
    return e->reason;
}

int sb_edhoc_peer_error(const sb_edhoc *e)
{
    return e->peer_err;
}

size_t sb_edhoc_peer_suites(const sb_edhoc *e, int *suites, size_t cap)
{
    size_t n = e->npeer_suites < cap ? e->npeer_suites : cap;
    memcpy(suites, e->peer_suites, n * sizeof *suites);
    return n;
}

int sb_edhoc_cids(const sb_edhoc *e, const uint8_t **c_i, size_t *c_i_len, const uint8_t **c_r,
                  size_t *c_r_len)
{
    if (!e->c_i_len || !e->c_r_len) return SB_EINVAL;
    *c_i = e->c_i;
    *c_i_len = e->c_i_len;
    *c_r = e->c_r;
    *c_r_len = e->c_r_len;
    return SB_OK;
}

int sb_edhoc_suite(const sb_edhoc *e)
{
    return e->suite ? e->suite->id : SB_EINVAL;
}

int sb_edhoc_app_aead(const sb_edhoc *e)
{
    return e->suite ? e->suite->aead : SB_EINVAL; /* application AEAD = EDHOC AEAD here */
}

int sb_edhoc_exporter(const sb_edhoc *e, unsigned label, const uint8_t *ctx, size_t ctx_len,
                      uint8_t *out, size_t len)
{
    if (e->state != ST_DONE) return SB_EINVAL;
    return kdf(e, e->prk_exp, label, ctx, ctx_len, out, len);
}

int sb_edhoc_oscore(const sb_edhoc *e, uint8_t secret[16], uint8_t salt[8])
{
    /* Appendix A.1: labels 0 (Master Secret, application AEAD key length) and 1 (8 bytes). */
    int rc = sb_edhoc_exporter(e, 0, NULL, 0, secret, 16);
    return rc ? rc : sb_edhoc_exporter(e, 1, NULL, 0, salt, 8);
}

int sb_edhoc_test_value(const sb_edhoc *e, int which, const uint8_t **p, size_t *len)
{
    switch (which) {
    case SB_EDHOC_V_TH2: *p = e->th2, *len = HL; break;
    case SB_EDHOC_V_PRK2E: *p = e->prk2e, *len = HL; break;
    case SB_EDHOC_V_KEYSTREAM2: *p = e->ks2, *len = e->ks2_len; break;
    case SB_EDHOC_V_PRK3E2M: *p = e->prk3e2m, *len = HL; break;
    case SB_EDHOC_V_MAC2: *p = e->mac2, *len = e->mac2_len; break;
    case SB_EDHOC_V_SIGMAC2: *p = e->sm2, *len = e->sm2_len; break;
    case SB_EDHOC_V_PLAINTEXT2: *p = e->pt2, *len = e->pt2_len; break;
    case SB_EDHOC_V_TH3: *p = e->th3, *len = HL; break;
    case SB_EDHOC_V_PRK4E3M: *p = e->prk4e3m, *len = HL; break;
    case SB_EDHOC_V_MAC3: *p = e->mac3, *len = e->mac3_len; break;
    case SB_EDHOC_V_SIGMAC3: *p = e->sm3, *len = e->sm3_len; break;
    case SB_EDHOC_V_PLAINTEXT3: *p = e->pt3, *len = e->pt3_len; break;
    case SB_EDHOC_V_K3: *p = e->k3, *len = e->suite ? (size_t)e->suite->key_len : 0; break;
    case SB_EDHOC_V_IV3: *p = e->iv3, *len = e->suite ? (size_t)e->suite->iv_len : 0; break;
    case SB_EDHOC_V_TH4: *p = e->th4, *len = HL; break;
    case SB_EDHOC_V_PRKOUT: *p = e->prk_out, *len = HL; break;
    case SB_EDHOC_V_PRKEXPORTER: *p = e->prk_exp, *len = HL; break;
    case SB_EDHOC_V_GXY: *p = e->g_xy, *len = 32; break;
    default: return SB_EINVAL;
    }
    return SB_OK;
}
