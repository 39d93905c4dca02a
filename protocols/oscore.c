/* oscore.c: OSCORE message protection (RFC 8613 §3-§8) on whole CoAP messages.
 * The security context (§3), nonces (§5.2), AAD (§5.4), the OSCORE option (§6.1) and the
 * replay window (§7.4) live here; option classes and the Proxy-Uri decomposition in
 * oscore_opts.c. See oscore.h for the contract. */
#include "oscore.h"

#include <stdlib.h>
#include <string.h>

#include "../bench/coapmsg.h"
#include "../bench/util.h"
#include "cbor.h"
#include "oscore_int.h"

/* memcpy that accepts (NULL, 0): empty IDs and absent fields are common here. */
static void copy(void *dst, const void *src, size_t n)
{
    if (n) memcpy(dst, src, n);
}

struct sb_oscore_ctx {
    const sb_crypto *cr;
    int alg;
    size_t key_len, nonce_len, tag_len;
    uint8_t sid[SB_OSCORE_MAX_ID], rid[SB_OSCORE_MAX_ID];
    size_t sid_len, rid_len;
    uint8_t idctx[SB_OSCORE_MAX_IDCTX];
    size_t idctx_len;
    int has_idctx, send_idctx;
    uint8_t skey[16], rkey[16], civ[13];
    sb_aead_key *sk, *rk;
    uint8_t aad_pre[24];
    size_t aad_prelen, aad_extpos;
    uint64_t seq; /* next Sender Sequence Number */
    /* Replay window (§7.4): highest Partial IV seen and a bitmap of the 32 below it. */
    int rw_init;
    uint64_t rw_max;
    uint32_t rw_bits;
    /* Echo challenge (Appendix B.1.2). */
    int echo, echo_ok, echo_issued;
    uint8_t echo_val[SB_OSCORE_ECHO_LEN];
};

/* §3.2.1: info = [id, id_context / nil, alg_aead, type, L]. */
static int derive(const sb_oscore_ctx *c, const uint8_t prk[32], const uint8_t *id, size_t idlen,
                  const char *type, uint8_t *out, size_t L)
{
    uint8_t info[128];
    sb_cbor_w w;
    sb_cbor_w_init(&w, info, sizeof info);
    sb_cbor_put_head(&w, SB_CBOR_ARRAY, 5);
    sb_cbor_put_bstr(&w, id, idlen);
    if (c->has_idctx)
        sb_cbor_put_bstr(&w, c->idctx, c->idctx_len);
    else
        sb_cbor_put_null(&w);
    sb_cbor_put_int(&w, c->alg);
    sb_cbor_put_tstr(&w, type);
    sb_cbor_put_uint(&w, L);
    if (w.err) return w.err;
    return c->cr->hkdf_expand(prk, 32, info, w.len, out, L);
}

static int aad_prefix(sb_oscore_ctx *c);

static int alg_params(int alg, size_t *klen, size_t *nlen, size_t *tlen)
{
    switch (alg) { /* RFC 9053 §4.1, §4.2 */
    case SB_COSE_AES_CCM_16_64_128: *klen = 16, *nlen = 13, *tlen = 8; return SB_OK;
    case SB_COSE_AES_CCM_16_128_128: *klen = 16, *nlen = 13, *tlen = 16; return SB_OK;
    case SB_COSE_A128GCM: *klen = 16, *nlen = 12, *tlen = 16; return SB_OK;
    default: return SB_EUNSUP;
    }
}

int sb_oscore_new(sb_oscore_ctx **out, const sb_oscore_config *cfg, char *err, size_t cap)
{
    sb_oscore_ctx *c = calloc(1, sizeof *c);
    if (!c) return SB_ENOMEM;
    int rc;
    c->cr = cfg->crypto ? cfg->crypto : sb_crypto_get(SB_CRYPTO_DEFAULT);
    c->alg = cfg->alg ? cfg->alg : SB_COSE_AES_CCM_16_64_128;
    if (!c->cr) {
        rc = sb_fail(err, cap, SB_EUNSUP, "oscore: crypto backend not available");
        goto fail;
    }
    if ((rc = alg_params(c->alg, &c->key_len, &c->nonce_len, &c->tag_len))) {
        sb_fail(err, cap, rc, "oscore: unsupported AEAD algorithm %d", c->alg);
        goto fail;
    }
    size_t maxid = c->nonce_len - 6; /* §5.2 */
    if (cfg->sender_id_len > maxid || cfg->recipient_id_len > maxid) {
        rc = sb_fail(err, cap, SB_EINVAL, "oscore: Sender/Recipient ID longer than %zu bytes",
                     maxid);
        goto fail;
    }
    if (cfg->sender_id_len == cfg->recipient_id_len &&
        (!cfg->sender_id_len || !memcmp(cfg->sender_id, cfg->recipient_id, cfg->sender_id_len))) {
        rc = sb_fail(err, cap, SB_EINVAL, "oscore: Sender ID and Recipient ID must differ (§3.3)");
        goto fail;
    }
    if (!cfg->secret_len || cfg->secret_len > SB_OSCORE_MAX_SECRET) {
        rc = sb_fail(err, cap, SB_EINVAL, "oscore: master secret must be 1..%d bytes",
                     SB_OSCORE_MAX_SECRET);
        goto fail;
    }
    if (cfg->id_context && cfg->id_context_len > SB_OSCORE_MAX_IDCTX) {
        rc = sb_fail(err, cap, SB_EINVAL, "oscore: ID Context longer than %d bytes",
                     SB_OSCORE_MAX_IDCTX);
        goto fail;
    }
    copy(c->sid, cfg->sender_id, cfg->sender_id_len);
    c->sid_len = cfg->sender_id_len;
    copy(c->rid, cfg->recipient_id, cfg->recipient_id_len);
    c->rid_len = cfg->recipient_id_len;
    c->has_idctx = cfg->id_context != NULL;
    if (c->has_idctx && cfg->id_context_len) memcpy(c->idctx, cfg->id_context, cfg->id_context_len);
    c->idctx_len = c->has_idctx ? cfg->id_context_len : 0;
    c->send_idctx = c->has_idctx && cfg->send_id_context;
    c->echo = cfg->echo;

    /* §3.2.1: HKDF-SHA-256 with the Master Salt (empty when absent) over the Master Secret. */
    uint8_t prk[32];
    static const uint8_t nosalt = 0;
    rc = c->cr->hkdf_extract(cfg->salt_len ? cfg->salt : &nosalt, cfg->salt_len, cfg->secret,
                             cfg->secret_len, prk);
    if (!rc) rc = derive(c, prk, c->sid, c->sid_len, "Key", c->skey, c->key_len);
    if (!rc) rc = derive(c, prk, c->rid, c->rid_len, "Key", c->rkey, c->key_len);
    if (!rc) rc = derive(c, prk, NULL, 0, "IV", c->civ, c->nonce_len);
    if (!rc) rc = aad_prefix(c);
    if (!rc) rc = c->cr->aead_new(&c->sk, c->alg, c->skey, c->key_len);
    if (!rc) rc = c->cr->aead_new(&c->rk, c->alg, c->rkey, c->key_len);
    memset(prk, 0, sizeof prk);
    if (rc) {
        sb_fail(err, cap, rc, "oscore: key derivation failed (%s, %s)", c->cr->name,
                sb_strerror(rc));
        goto fail;
    }
    *out = c;
    return SB_OK;
fail:
    sb_oscore_free(c);
    return rc;
}

void sb_oscore_free(sb_oscore_ctx *c)
{
    if (!c) return;
    if (c->sk) c->cr->aead_free(c->sk);
    if (c->rk) c->cr->aead_free(c->rk);
    memset(c, 0, sizeof *c);
    free(c);
}

uint64_t sb_oscore_seq(const sb_oscore_ctx *c)
{
    return c->seq;
}

int sb_oscore_set_seq(sb_oscore_ctx *c, uint64_t seq)
{
    if (seq > SB_OSCORE_MAX_SEQ + 1) return SB_EINVAL; /* 2^40 = exhausted */
    c->seq = seq;
    return SB_OK;
}

void sb_oscore_keys(const sb_oscore_ctx *c, const uint8_t **sender_key,
                    const uint8_t **recipient_key, const uint8_t **common_iv, size_t *key_len,
                    size_t *nonce_len)
{
    *sender_key = c->skey;
    *recipient_key = c->rkey;
    *common_iv = c->civ;
    *key_len = c->key_len;
    *nonce_len = c->nonce_len;
}

int sb_oscore_nonce(const sb_oscore_ctx *c, const uint8_t *id, size_t id_len,
                    const uint8_t *piv, size_t piv_len, uint8_t *out)
{
    /* §5.2: size of ID (1 byte) || ID left-padded to nonce_len - 6 || PIV left-padded to 5,
     * XOR Common IV. */
    size_t n = c->nonce_len;
    if (id_len > n - 6 || piv_len > SB_OSCORE_MAX_PIV) return SB_EINVAL;
    memcpy(out, c->civ, n); /* the zero padding XORs to the Common IV itself */
    out[0] ^= (uint8_t)id_len;
    for (size_t i = 0; i < id_len; i++) out[n - 5 - id_len + i] ^= id[i];
    for (size_t i = 0; i < piv_len; i++) out[n - piv_len + i] ^= piv[i];
    return SB_OK;
}

/* §6.1: Partial IV = sequence number in network byte order, leading zeros removed, 0 -> 00. */
static size_t piv_encode(uint64_t seq, uint8_t piv[SB_OSCORE_MAX_PIV])
{
    size_t n = 1;
    while (n < SB_OSCORE_MAX_PIV && seq >> (8 * n)) n++;
    for (size_t i = 0; i < n; i++) piv[i] = (uint8_t)(seq >> (8 * (n - 1 - i)));
    return n;
}

static uint64_t piv_value(const uint8_t *piv, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v = v << 8 | piv[i];
    return v;
}

static int next_piv(sb_oscore_ctx *c, uint8_t piv[SB_OSCORE_MAX_PIV], size_t *n)
{
    if (c->seq > SB_OSCORE_MAX_SEQ) return SB_ESPACE; /* §7.2.1: context exhausted */
    *n = piv_encode(c->seq++, piv);
    return SB_OK;
}

/* §5.4: AAD = Enc_structure ["Encrypt0", h'', external_aad] with
 * external_aad = bstr .cbor [oscore_version 1, [alg_aead], request_kid, request_piv,
 * options h''] (no Class I options are defined). Everything up to alg_aead is the same for
 * every message of a context, so it is encoded once (c->aad_pre); per message only kid and
 * Partial IV are appended and the external_aad length patched (always < 24: kid <= 7 and
 * Partial IV <= 5 bytes, so a one-byte bstr head). */
static int aad_prefix(sb_oscore_ctx *c)
{
    sb_cbor_w w;
    sb_cbor_w_init(&w, c->aad_pre, sizeof c->aad_pre);
    sb_cbor_put_head(&w, SB_CBOR_ARRAY, 3);
    sb_cbor_put_tstr(&w, "Encrypt0");
    sb_cbor_put_bstr(&w, NULL, 0);
    c->aad_extpos = w.len;
    sb_cbor_put_head(&w, SB_CBOR_BSTR, 0); /* patched per message */
    sb_cbor_put_head(&w, SB_CBOR_ARRAY, 5);
    sb_cbor_put_uint(&w, 1);
    sb_cbor_put_head(&w, SB_CBOR_ARRAY, 1);
    sb_cbor_put_int(&w, c->alg);
    c->aad_prelen = w.len;
    return w.err;
}

static int build_aad(const sb_oscore_ctx *c, const uint8_t *kid, size_t kid_len,
                     const uint8_t *piv, size_t piv_len, uint8_t *aad, size_t cap, size_t *len)
{
    if (kid_len > SB_OSCORE_MAX_ID || piv_len > SB_OSCORE_MAX_PIV) return SB_EINVAL;
    sb_cbor_w w;
    memcpy(aad, c->aad_pre, c->aad_prelen);
    sb_cbor_w_init(&w, aad, cap);
    w.len = c->aad_prelen;
    sb_cbor_put_bstr(&w, kid, kid_len);
    sb_cbor_put_bstr(&w, piv, piv_len);
    sb_cbor_put_bstr(&w, NULL, 0);
    if (w.err) return w.err;
    aad[c->aad_extpos] = (uint8_t)(SB_CBOR_BSTR << 5 | (w.len - c->aad_extpos - 1));
    *len = w.len;
    return SB_OK;
}

int sb_oscore_opt_parse(const uint8_t *val, size_t len, sb_oscore_opt *o)
{
    memset(o, 0, sizeof *o);
    if (len == 0) return SB_OK; /* §6.1: all flags zero -> empty value */
    uint8_t flags = val[0];
    size_t n = flags & 7, at = 1;
    if (flags & 0xe0 || n > SB_OSCORE_MAX_PIV) return SB_EPROTO; /* reserved bits, n 6/7 */
    if (len < at + n) return SB_EPROTO;
    o->piv = val + at;
    o->piv_len = n;
    at += n;
    if (flags & 0x10) {
        if (len < at + 1 || len < at + 1 + val[at]) return SB_EPROTO;
        o->has_kid_ctx = 1;
        o->kid_ctx_len = val[at];
        o->kid_ctx = val + at + 1;
        at += 1 + o->kid_ctx_len;
    }
    if (flags & 0x08) {
        o->has_kid = 1;
        o->kid = val + at;
        o->kid_len = len - at;
    } else if (at != len) {
        return SB_EPROTO; /* bytes after the last field */
    }
    return SB_OK;
}

/* §6.1: flags | piv | (s | kid context) | kid. */
static size_t opt_build(uint8_t *out, const uint8_t *piv, size_t piv_len, const uint8_t *kid_ctx,
                        size_t kid_ctx_len, int has_kid_ctx, const uint8_t *kid, size_t kid_len,
                        int has_kid)
{
    size_t n = 1;
    out[0] = (uint8_t)(piv_len | (has_kid_ctx ? 0x10 : 0) | (has_kid ? 0x08 : 0));
    copy(out + n, piv, piv_len);
    n += piv_len;
    if (has_kid_ctx) {
        out[n++] = (uint8_t)kid_ctx_len;
        copy(out + n, kid_ctx, kid_ctx_len);
        n += kid_ctx_len;
    }
    if (has_kid) {
        copy(out + n, kid, kid_len);
        n += kid_len;
    }
    return out[0] ? n : 0;
}

/* Seal msg into the OSCORE message: nonce from (nid, npiv), AAD from the request's binding,
 * option value oval. */
/* RFC 7252 §3.1: only 0xff starts the payload (libcoap 4.3.1 also takes 0xf0..0xfe). */
static int marker_ok(const uint8_t *msg, size_t len, const sb_coap_msg *m)
{
    return !m->payload_len || msg[len - m->payload_len - 1] == 0xff;
}

/* 1 when every option of m is Inner only (no Class U option, no Observe, no Proxy-Uri):
 * then the message's own option and payload bytes are already the plaintext's encoding
 * (CoAP's option encoding is unique, RFC 7252 §3.1), and the receiver's message is the
 * decrypted plaintext behind the outer header. This is the common case; it saves the
 * re-encoding on both sides. */
static int all_inner(const sb_coap_msg *m)
{
    for (size_t i = 0; i < m->nopts; i++)
        if (sb_oscore_opt_class(m->opts[i].num) == 'U' || m->opts[i].num == SB_OPT_OBSERVE)
            return 0;
    return 1;
}

static int protect(sb_oscore_ctx *c, int is_request, const uint8_t *msg, size_t len,
                   const uint8_t *nid, size_t nid_len, const uint8_t *npiv, size_t npiv_len,
                   const sb_oscore_req *bind, const uint8_t *oval, size_t oval_len, uint8_t *out,
                   size_t cap, size_t *out_len)
{
    sb_coap_msg m, inner, outer;
    int rc = sb_coap_parse(SB_FRAMING_UDP, msg, len, &m);
    if (rc) return rc;
    int req = m.code >= 1 && m.code < 32;
    if (req != is_request || m.code == 0 || !marker_ok(msg, len, &m)) return SB_EINVAL;

    /* §5.3: plaintext = code || Inner options || 0xff || payload. */
    uint8_t pt[SB_COAP_MAX_MSG + 16];
    size_t ptlen;
    pt[0] = m.code;
    if (all_inner(&m)) {
        size_t body = len - 4 - m.tkl;
        memcpy(pt + 1, msg + 4 + m.tkl, body);
        ptlen = 1 + body;
        sb_coap_init(&outer, m.type, req ? SB_COAP_POST : SB_COAP_CHANGED, m.mid, m.token, m.tkl);
    } else {
        if ((rc = sb_oscore_split(&m, &inner, &outer))) return rc;
        if ((rc = sb_coap_encode_options(&inner, 1, pt + 1, sizeof pt - 1 - 16, &ptlen)))
            return rc;
        ptlen++;
    }
    if ((rc = sb_coap_add_opt(&outer, SB_OPT_OSCORE, oval, oval_len))) return rc;
    uint8_t nonce[13], aad[64];
    size_t alen;
    if ((rc = sb_oscore_nonce(c, nid, nid_len, npiv, npiv_len, nonce))) return rc;
    if ((rc = build_aad(c, bind->kid, bind->kid_len, bind->piv, bind->piv_len, aad, sizeof aad,
                        &alen)))
        return rc;
    if ((rc = c->cr->aead_seal(c->sk, nonce, c->nonce_len, aad, alen, pt, ptlen, pt))) return rc;
    outer.payload = pt;
    outer.payload_len = ptlen + c->tag_len;
    return sb_coap_encode(&outer, SB_FRAMING_UDP, out, cap, out_len);
}

int sb_oscore_protect_request(sb_oscore_ctx *c, const uint8_t *msg, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len, sb_oscore_req *req)
{
    sb_oscore_req b = {0};
    size_t pl;
    uint64_t seq0 = c->seq;
    int rc = next_piv(c, b.piv, &pl);
    if (rc) return rc;
    b.piv_len = (uint8_t)pl;
    memcpy(b.kid, c->sid, c->sid_len);
    b.kid_len = (uint8_t)c->sid_len;
    uint8_t oval[2 + SB_OSCORE_MAX_PIV + SB_OSCORE_MAX_IDCTX + SB_OSCORE_MAX_ID];
    size_t olen = opt_build(oval, b.piv, b.piv_len, c->idctx, c->idctx_len, c->send_idctx,
                            c->sid, c->sid_len, 1);
    rc = protect(c, 1, msg, len, c->sid, c->sid_len, b.piv, b.piv_len, &b, oval, olen, out, cap,
                 out_len);
    if (rc) {
        c->seq = seq0; /* nothing left the context: the number was not used */
        return rc;
    }
    if (req) *req = b;
    return SB_OK;
}

int sb_oscore_protect_response(sb_oscore_ctx *c, const sb_oscore_req *req, int own_piv,
                               const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                               size_t *out_len)
{
    uint8_t piv[SB_OSCORE_MAX_PIV], oval[1 + SB_OSCORE_MAX_PIV];
    size_t pl = 0, olen = 0;
    uint64_t seq0 = c->seq;
    int rc;
    sb_coap_msg m;
    /* §4.1.3.5.2: every notification (a response with Observe) carries its own Partial IV */
    if (!own_piv && sb_coap_parse(SB_FRAMING_UDP, msg, len, &m) == SB_OK &&
        sb_coap_find_opt(&m, SB_OPT_OBSERVE, NULL))
        return SB_EINVAL;
    if (own_piv) { /* §8.3: nonce from our Sender ID and our own Partial IV */
        if ((rc = next_piv(c, piv, &pl))) return rc;
        olen = opt_build(oval, piv, pl, NULL, 0, 0, NULL, 0, 0);
        rc = protect(c, 0, msg, len, c->sid, c->sid_len, piv, pl, req, oval, olen, out, cap,
                     out_len);
    } else { /* the request's nonce: its kid and Partial IV */
        rc = protect(c, 0, msg, len, req->kid, req->kid_len, req->piv, req->piv_len, req, NULL, 0,
                     out, cap, out_len);
    }
    if (rc) c->seq = seq0;
    return rc;
}

/* Replay window (§7.4), sliding as in RFC 6347 §4.1.2.6. */
static int replay_check(const sb_oscore_ctx *c, uint64_t seq)
{
    if (!c->rw_init || seq > c->rw_max) return SB_OK;
    uint64_t d = c->rw_max - seq;
    if (d >= SB_OSCORE_REPLAY_WINDOW) return SB_EREPLAY; /* too old to tell: reject */
    return c->rw_bits >> d & 1 ? SB_EREPLAY : SB_OK;
}

static void replay_update(sb_oscore_ctx *c, uint64_t seq)
{
    if (!c->rw_init) {
        c->rw_init = 1;
        c->rw_max = seq;
        c->rw_bits = 1;
    } else if (seq > c->rw_max) {
        uint64_t d = seq - c->rw_max;
        c->rw_bits = d >= 32 ? 1 : c->rw_bits << d | 1;
        c->rw_max = seq;
    } else {
        c->rw_bits |= 1u << (c->rw_max - seq);
    }
}

/* Decrypt the outer message's payload and rebuild the original message into out, parsed in
 * res. §8.2 steps 2, 8, 9 / §8.4 steps 2, 6, 7. */
static int open_msg(sb_oscore_ctx *c, const sb_coap_msg *outer, const uint8_t *nonce,
                    const sb_oscore_req *bind, uint8_t *out, size_t cap, size_t *out_len,
                    sb_coap_msg *res)
{
    uint8_t aad[64], pt[SB_COAP_MAX_MSG + 4];
    size_t alen;
    int rc = build_aad(c, bind->kid, bind->kid_len, bind->piv, bind->piv_len, aad, sizeof aad,
                       &alen);
    if (rc) return rc;
    if (outer->payload_len < c->tag_len + 1) return SB_EAUTH; /* at least the code */
    size_t ptlen = outer->payload_len - c->tag_len, hdr = 4 + outer->tkl, len = hdr + ptlen - 1;
    /* With only the OSCORE option outside, the plaintext behind the outer header is the
     * message itself: decrypt straight into out. Otherwise into pt, for merging. The buffer
     * keeps room for the CoAP header in front so that the plaintext parses as a message. */
    int direct = outer->nopts == 1;
    uint8_t *dst = direct ? out : pt;
    if (direct && len > cap) return SB_ESPACE;
    rc = c->cr->aead_open(c->rk, nonce, c->nonce_len, aad, alen, outer->payload,
                          outer->payload_len, dst + hdr - 1);
    if (rc) return rc;
    uint8_t code = dst[hdr - 1];
    if (code == 0) return SB_EPROTO;
    dst[0] = (uint8_t)(0x40 | (outer->type & 3) << 4 | outer->tkl);
    dst[1] = code;
    dst[2] = (uint8_t)(outer->mid >> 8);
    dst[3] = (uint8_t)outer->mid;
    copy(dst + 4, outer->token, outer->tkl);
    if (direct) {
        if (sb_coap_parse(SB_FRAMING_UDP, out, len, res) || !marker_ok(out, len, res))
            return SB_EPROTO;
        *out_len = len;
        return SB_OK;
    }
    sb_coap_msg inner;
    if (sb_coap_parse(SB_FRAMING_UDP, pt, len, &inner) || !marker_ok(pt, len, &inner))
        return SB_EPROTO;
    if ((rc = sb_oscore_merge(outer, &inner, res))) return rc;
    if ((rc = sb_coap_encode(res, SB_FRAMING_UDP, out, cap, out_len))) return rc;
    /* What the options add up to must still be a message libcoap accepts (option rules may
     * depend on the code, which changed from outer to inner). */
    if (sb_coap_parse(SB_FRAMING_UDP, out, *out_len, res)) return SB_EPROTO;
    return SB_OK;
}

static int parse_outer(const uint8_t *in, size_t len, sb_coap_msg *m, sb_oscore_opt *o)
{
    if (sb_coap_parse(SB_FRAMING_UDP, in, len, m) || !marker_ok(in, len, m)) return SB_EPROTO;
    size_t n = 0, olen = 0;
    const uint8_t *oval = NULL;
    for (size_t i = 0; i < m->nopts; i++)
        if (m->opts[i].num == SB_OPT_OSCORE) {
            n++;
            oval = sb_coap_opt_val(m, &m->opts[i]);
            olen = m->opts[i].len;
        }
    if (n != 1) return SB_EPROTO; /* absent, or repeated (not repeatable, §2) */
    return sb_oscore_opt_parse(oval, olen, o);
}

const char *sb_oscore_diag(int rc)
{
    switch (rc) { /* §8.2 steps 2, 3, 7 and §7.4 */
    case SB_EPROTO: return "Failed to decode COSE";
    case SB_ENOTFOUND: return "Security context not found";
    case SB_EREPLAY: return "Replay detected";
    case SB_EAUTH: return "Decryption failed";
    default: return NULL;
    }
}

static uint8_t err_code_of(int rc)
{
    switch (rc) {
    case SB_EAUTH: return SB_COAP_BAD_REQUEST;
    case SB_ENOTFOUND:
    case SB_EREPLAY: return SB_COAP_UNAUTHORIZED;
    default: return SB_COAP_BAD_OPTION;
    }
}

/* Appendix B.1.2: the protected 4.01 with a fresh Echo, with our own Partial IV (the request
 * may be a replay we cannot detect yet, so its nonce must not be reused). */
static int echo_challenge(sb_oscore_ctx *c, const sb_coap_msg *req_msg, const sb_oscore_req *b,
                          uint8_t *out, size_t cap, size_t *out_len)
{
    int rc = c->cr->random(c->echo_val, sizeof c->echo_val);
    if (rc) return rc;
    c->echo_issued = 1;
    sb_coap_msg r;
    sb_coap_init(&r, req_msg->type == SB_COAP_CON ? SB_COAP_ACK : SB_COAP_NON,
                 SB_COAP_UNAUTHORIZED, req_msg->mid, req_msg->token, req_msg->tkl);
    if ((rc = sb_coap_add_opt(&r, SB_OPT_ECHO, c->echo_val, sizeof c->echo_val))) return rc;
    uint8_t plain[64];
    size_t plen;
    if ((rc = sb_coap_encode(&r, SB_FRAMING_UDP, plain, sizeof plain, &plen))) return rc;
    if ((rc = sb_oscore_protect_response(c, b, 1, plain, plen, out, cap, out_len))) return rc;
    return SB_OSCORE_CHALLENGE;
}

int sb_oscore_unprotect_request(sb_oscore_ctx *c, const uint8_t *in, size_t len, uint8_t *out,
                                size_t cap, size_t *out_len, sb_oscore_req *req,
                                uint8_t *err_code)
{
    sb_coap_msg outer, res;
    sb_oscore_opt o;
    sb_oscore_req b = {0};
    uint8_t nonce[13];
    int rc = parse_outer(in, len, &outer, &o);
    if (!rc && (outer.code == 0 || outer.code >= 32)) rc = SB_EPROTO;
    if (!rc && (!o.has_kid || !o.piv_len)) rc = SB_EPROTO; /* §6.1: requests carry both */
    if (rc) goto fail;
    if (o.kid_len != c->rid_len || memcmp(o.kid, c->rid, c->rid_len) ||
        (o.has_kid_ctx && (!c->has_idctx || o.kid_ctx_len != c->idctx_len ||
                           memcmp(o.kid_ctx, c->idctx, c->idctx_len)))) {
        rc = SB_ENOTFOUND; /* §8.2 step 3: no Recipient Context for this kid (context) */
        goto fail;
    }
    copy(b.kid, o.kid, o.kid_len);
    b.kid_len = (uint8_t)o.kid_len;
    copy(b.piv, o.piv, o.piv_len);
    b.piv_len = (uint8_t)o.piv_len;
    uint64_t seq = piv_value(o.piv, o.piv_len);
    int fresh_check = !c->echo || c->echo_ok;
    if (fresh_check && (rc = replay_check(c, seq))) goto fail;
    if ((rc = sb_oscore_nonce(c, b.kid, b.kid_len, b.piv, b.piv_len, nonce))) goto fail;
    if ((rc = open_msg(c, &outer, nonce, &b, out, cap, out_len, &res))) goto fail;
    if (!fresh_check) {
        size_t elen;
        const uint8_t *e = sb_coap_find_opt(&res, SB_OPT_ECHO, &elen);
        if (!c->echo_issued || !e || elen != sizeof c->echo_val ||
            memcmp(e, c->echo_val, elen) != 0)
            return echo_challenge(c, &outer, &b, out, cap, out_len);
        /* The request goes on without the Echo option (res borrows its payload from out). */
        uint8_t tmp[SB_COAP_MAX_MSG];
        sb_coap_del_opt(&res, SB_OPT_ECHO);
        if ((rc = sb_coap_encode(&res, SB_FRAMING_UDP, tmp, sizeof tmp, out_len))) return rc;
        memcpy(out, tmp, *out_len);
    }
    if (!fresh_check) {
        /* B.1.2: the verified request's Partial IV is the window's new lower limit: every
         * older number counts as seen. */
        c->echo_ok = 1;
        c->rw_init = 1;
        c->rw_max = seq;
        c->rw_bits = 0xffffffffu;
    } else {
        replay_update(c, seq);
    }
    if (req) *req = b;
    return SB_OK;
fail:
    if (err_code) *err_code = err_code_of(rc);
    return rc;
}

int sb_oscore_unprotect_response(sb_oscore_ctx *c, const sb_oscore_req *req, const uint8_t *in,
                                 size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    sb_coap_msg outer, res;
    sb_oscore_opt o;
    uint8_t nonce[13];
    int rc = parse_outer(in, len, &outer, &o);
    if (rc) return rc;
    /* §4.2: 2.04, or 2.05 for notifications; any response class 2-5 is taken, not 0.xx
     * requests, 1.xx, 6.xx or 7.xx signaling. */
    if (outer.code < SB_COAP_CODE(2, 0) || outer.code >= SB_COAP_CODE(6, 0)) return SB_EPROTO;
    /* A kid (context) in a response is optional (§6.1) but must name our peer's context. */
    if ((o.has_kid && (o.kid_len != c->rid_len || memcmp(o.kid, c->rid, c->rid_len))) ||
        (o.has_kid_ctx && (!c->has_idctx || o.kid_ctx_len != c->idctx_len ||
                           memcmp(o.kid_ctx, c->idctx, c->idctx_len))))
        return SB_ENOTFOUND;
    if (o.piv_len) /* §8.4 step 3: the server's own Partial IV, with its Sender ID */
        rc = sb_oscore_nonce(c, c->rid, c->rid_len, o.piv, o.piv_len, nonce);
    else
        rc = sb_oscore_nonce(c, req->kid, req->kid_len, req->piv, req->piv_len, nonce);
    if (rc) return rc;
    return open_msg(c, &outer, nonce, req, out, cap, out_len, &res);
}

int sb_oscore_error_response(const uint8_t *req, size_t len, uint8_t code, const char *diag,
                             uint8_t *out, size_t cap, size_t *out_len)
{
    /* Only the fixed header and the token are needed: read them even when the options are
     * malformed (the request may be garbage; the answer still reaches its sender). */
    if (len < 4 || req[0] >> 6 != 1 || (req[0] & 15) > 8 || len < 4u + (req[0] & 15))
        return SB_EINVAL;
    uint8_t type = req[0] >> 4 & 3, rcode = req[1];
    if ((type != SB_COAP_CON && type != SB_COAP_NON) || rcode == 0 || rcode >= 32)
        return SB_EINVAL;
    sb_coap_msg r;
    sb_coap_init(&r, type == SB_COAP_CON ? SB_COAP_ACK : SB_COAP_NON, code,
                 (uint16_t)(req[2] << 8 | req[3]), req + 4, req[0] & 15);
    /* §8.2: Outer Max-Age 0 so that OSCORE-unaware proxies do not cache the error. */
    int rc = sb_coap_add_opt(&r, SB_OPT_MAX_AGE, NULL, 0);
    if (rc) return rc;
    if (diag) {
        r.payload = (const uint8_t *)diag;
        r.payload_len = strlen(diag);
    }
    return sb_coap_encode(&r, SB_FRAMING_UDP, out, cap, out_len);
}

int sb_oscore_echo_challenge(const uint8_t *resp, size_t len, uint8_t *echo, size_t cap,
                             size_t *echo_len)
{
    sb_coap_msg m;
    if (sb_coap_parse(SB_FRAMING_UDP, resp, len, &m) || m.code != SB_COAP_UNAUTHORIZED) return 0;
    size_t n;
    const uint8_t *e = sb_coap_find_opt(&m, SB_OPT_ECHO, &n);
    if (!e || n == 0 || n > cap || n > 40) return 0; /* RFC 9175 §2.2: 1..40 bytes */
    memcpy(echo, e, n);
    *echo_len = n;
    return 1;
}

int sb_oscore_add_echo(const uint8_t *msg, size_t len, const uint8_t *echo, size_t echo_len,
                       uint8_t *out, size_t cap, size_t *out_len)
{
    sb_coap_msg m;
    int rc = sb_coap_parse(SB_FRAMING_UDP, msg, len, &m);
    if (rc) return rc;
    sb_coap_del_opt(&m, SB_OPT_ECHO);
    if ((rc = sb_coap_add_opt(&m, SB_OPT_ECHO, echo, echo_len))) return rc;
    return sb_coap_encode(&m, SB_FRAMING_UDP, out, cap, out_len);
}
