/* test_oscore.c: OSCORE (RFC 8613) against the RFC's Appendix C vectors on both crypto
 * backends, plus what the RFC does not cover: long IDs and Partial IVs, ID Contexts, option
 * classes, Proxy-Uri, the replay window, bit flips, Echo, error responses, and the stack
 * family over a socketpair (retransmissions, deduplication, Echo, seq-file). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <coap3/coap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../bench/coapmsg.h"
#include "../bench/io.h"
#include "../bench/oscore_cli.h"
#include "../bench/params.h"
#include "../bench/util.h"
#include "../protocols/oscore.h"
#include "../protocols/stack.h"

static const char *const libs[] = {"openssl", "wolfssl"};
#define NLIBS 2

/* RFC 8613 Appendix C (see /work/shared/reference/rfc8613-appendix-c.md). */
#define SECRET "0102030405060708090a0b0c0d0e0f10"
#define SALT "9e7ca92223786340"
#define IDCTX "37cbf3210017a2d3"
#define REQ "44015d1f00003974396c6f63616c686f737483747631"
#define RESP "64455d1f00003974ff48656c6c6f20576f726c6421"
#define C4 "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e"
#define C5 "44025d1f00003974396c6f63616c686f737463091400ff4ed339a5a379b0b8bc731fffb0"
#define C6 "44025d1f00003974396c6f63616c686f73746b19140837cbf3210017a2d3ff72cd7273fd331ac45cffbe55c3"
#define C7 "64445d1f0000397490ffdbaad1e9a7e7b2a813d3c31524378303cdafae119106"
#define C8 "64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e"

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    int n = sb_hex_decode(h, out, cap);
    assert_true(n >= 0);
    return (size_t)n;
}

static void hex_eq(const uint8_t *p, size_t n, const char *want)
{
    char got[2 * SB_COAP_MAX_MSG + 1];
    sb_hex_encode(p, n, got);
    assert_string_equal(got, want);
}

/* Context from hex strings; NULL salt/idctx = absent. */
static sb_oscore_ctx *mk(const char *lib, const char *secret, const char *salt, const char *idctx,
                         int send_idctx, const char *sid, const char *rid, int echo)
{
    static uint8_t s[64], sa[64], ic[64], si[8], ri[8];
    sb_oscore_config cfg = {.crypto = sb_crypto_get(lib)};
    assert_non_null(cfg.crypto);
    cfg.secret = s, cfg.secret_len = unhex(secret, s, sizeof s);
    if (salt) cfg.salt = sa, cfg.salt_len = unhex(salt, sa, sizeof sa);
    if (idctx) cfg.id_context = ic, cfg.id_context_len = unhex(idctx, ic, sizeof ic);
    cfg.send_id_context = send_idctx;
    cfg.sender_id = si, cfg.sender_id_len = unhex(sid, si, sizeof si);
    cfg.recipient_id = ri, cfg.recipient_id_len = unhex(rid, ri, sizeof ri);
    cfg.echo = echo;
    sb_oscore_ctx *c = NULL;
    char err[200] = "";
    int rc = sb_oscore_new(&c, &cfg, err, sizeof err);
    if (rc) fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, SB_OK);
    return c;
}

static void keys_eq(sb_oscore_ctx *c, const char *skey, const char *rkey, const char *civ)
{
    const uint8_t *sk, *rk, *iv;
    size_t kl, nl;
    sb_oscore_keys(c, &sk, &rk, &iv, &kl, &nl);
    assert_int_equal(kl, 16);
    assert_int_equal(nl, 13);
    if (skey) hex_eq(sk, kl, skey);
    if (rkey) hex_eq(rk, kl, rkey);
    hex_eq(iv, nl, civ);
}

/* C.1-C.3: derived keys and Common IV, client and server side. */
static void test_derivation(void **st)
{
    for (int l = 0; l < NLIBS; l++) {
        sb_oscore_ctx *c = mk(libs[l], SECRET, SALT, NULL, 0, "", "01", 0);
        keys_eq(c, "f0910ed7295e6ad4b54fc793154302ff", "ffb14e093c94c9cac9471648b4f98710",
                "4622d4dd6d944168eefb54987c");
        sb_oscore_free(c);
        c = mk(libs[l], SECRET, SALT, NULL, 0, "01", "", 0);
        keys_eq(c, "ffb14e093c94c9cac9471648b4f98710", "f0910ed7295e6ad4b54fc793154302ff",
                "4622d4dd6d944168eefb54987c");
        sb_oscore_free(c);
        c = mk(libs[l], SECRET, NULL, NULL, 0, "00", "01", 0);
        keys_eq(c, "321b26943253c7ffb6003b0b64d74041", "e57b5635815177cd679ab4bcec9d7dda",
                "be35ae297d2dace910c52e99f9");
        sb_oscore_free(c);
        c = mk(libs[l], SECRET, SALT, IDCTX, 1, "", "01", 0);
        keys_eq(c, "af2a1300a5e95788b356336eeecd2b92", "e39a0c7c77b43f03b4b39ab9a268699f",
                "2ca58fb85ff1b81c0b7181b85e");
        sb_oscore_free(c);
    }
}

/* C.4-C.6 request nonces, C.8 response nonce. */
static void test_nonces(void **st)
{
    uint8_t n[13], piv14 = 0x14, piv0 = 0, id0 = 0, id1 = 1;
    sb_oscore_ctx *c = mk("openssl", SECRET, SALT, NULL, 0, "", "01", 0);
    assert_int_equal(sb_oscore_nonce(c, NULL, 0, &piv14, 1, n), SB_OK);
    hex_eq(n, 13, "4622d4dd6d944168eefb549868");
    assert_int_equal(sb_oscore_nonce(c, &id1, 1, &piv0, 1, n), SB_OK);
    hex_eq(n, 13, "4722d4dd6d944169eefb54987c");
    sb_oscore_free(c);
    c = mk("openssl", SECRET, NULL, NULL, 0, "00", "01", 0);
    assert_int_equal(sb_oscore_nonce(c, &id0, 1, &piv14, 1, n), SB_OK);
    hex_eq(n, 13, "bf35ae297d2dace910c52e99ed");
    sb_oscore_free(c);
    c = mk("openssl", SECRET, SALT, IDCTX, 1, "", "01", 0);
    assert_int_equal(sb_oscore_nonce(c, NULL, 0, &piv14, 1, n), SB_OK);
    hex_eq(n, 13, "2ca58fb85ff1b81c0b7181b84a");
    sb_oscore_free(c);
}

/* Protect gives the RFC's bytes; the peer's unprotect gives back the original. */
static void request_vector(const char *lib, const char *salt, const char *idctx, int send,
                           const char *cid, const char *want, sb_oscore_req *sreq,
                           sb_oscore_ctx **srv)
{
    uint8_t msg[256], out[256], back[256];
    size_t mlen = unhex(REQ, msg, sizeof msg), olen, blen;
    sb_oscore_ctx *c = mk(lib, SECRET, salt, idctx, send, cid, "01", 0);
    sb_oscore_ctx *s = mk(lib, SECRET, salt, idctx, 0, "01", cid, 0);
    sb_oscore_req creq;
    assert_int_equal(sb_oscore_set_seq(c, 20), SB_OK);
    assert_int_equal(sb_oscore_protect_request(c, msg, mlen, out, sizeof out, &olen, &creq), SB_OK);
    hex_eq(out, olen, want);
    assert_int_equal(sb_oscore_seq(c), 21);
    uint8_t code = 0;
    assert_int_equal(sb_oscore_unprotect_request(s, out, olen, back, sizeof back, &blen, sreq,
                                                 &code),
                     SB_OK);
    hex_eq(back, blen, REQ);
    assert_int_equal(sreq->kid_len, creq.kid_len);
    assert_int_equal(sreq->piv_len, 1);
    assert_int_equal(sreq->piv[0], 0x14);
    sb_oscore_free(c);
    if (srv)
        *srv = s;
    else
        sb_oscore_free(s);
}

static void test_c4_c5_c6_requests(void **st)
{
    sb_oscore_req r;
    for (int l = 0; l < NLIBS; l++) {
        request_vector(libs[l], SALT, NULL, 0, "", C4, &r, NULL);
        request_vector(libs[l], NULL, NULL, 0, "00", C5, &r, NULL);
        request_vector(libs[l], SALT, IDCTX, 1, "", C6, &r, NULL);
    }
}

static void test_c7_c8_responses(void **st)
{
    for (int l = 0; l < NLIBS; l++) {
        sb_oscore_ctx *s, *c = mk(libs[l], SECRET, SALT, NULL, 0, "", "01", 0);
        sb_oscore_req r;
        request_vector(libs[l], SALT, NULL, 0, "", C4, &r, &s);
        uint8_t msg[256], out[256], back[256];
        size_t mlen = unhex(RESP, msg, sizeof msg), olen, blen;
        /* C.7: the request's nonce. */
        assert_int_equal(sb_oscore_protect_response(s, &r, 0, msg, mlen, out, sizeof out, &olen),
                         SB_OK);
        hex_eq(out, olen, C7);
        assert_int_equal(sb_oscore_unprotect_response(c, &r, out, olen, back, sizeof back, &blen),
                         SB_OK);
        hex_eq(back, blen, RESP);
        /* C.8: own Partial IV 0. */
        assert_int_equal(sb_oscore_seq(s), 0);
        assert_int_equal(sb_oscore_protect_response(s, &r, 1, msg, mlen, out, sizeof out, &olen),
                         SB_OK);
        hex_eq(out, olen, C8);
        assert_int_equal(sb_oscore_seq(s), 1);
        assert_int_equal(sb_oscore_unprotect_response(c, &r, out, olen, back, sizeof back, &blen),
                         SB_OK);
        hex_eq(back, blen, RESP);
        /* The vectors as received, with the request binding given by hand (kid empty, 14). */
        sb_oscore_req byhand = {.kid_len = 0, .piv = {0x14}, .piv_len = 1};
        olen = unhex(C7, out, sizeof out);
        assert_int_equal(sb_oscore_unprotect_response(c, &byhand, out, olen, back, sizeof back,
                                                      &blen),
                         SB_OK);
        hex_eq(back, blen, RESP);
        /* Bound to another request (Partial IV 15): must not verify. */
        byhand.piv[0] = 0x15;
        assert_int_equal(sb_oscore_unprotect_response(c, &byhand, out, olen, back, sizeof back,
                                                      &blen),
                         SB_EAUTH);
        sb_oscore_free(s);
        sb_oscore_free(c);
    }
}

/* Round trip request + response on one pair of contexts; returns the protected request. */
static void round_trip(sb_oscore_ctx *c, sb_oscore_ctx *s, const uint8_t *msg, size_t mlen,
                       const uint8_t *rsp, size_t rlen, int own_piv, uint8_t *prot, size_t *plen)
{
    uint8_t out[SB_COAP_MAX_MSG], back[SB_COAP_MAX_MSG], tmp[SB_COAP_MAX_MSG];
    size_t olen, blen;
    sb_oscore_req cr, sr;
    assert_int_equal(sb_oscore_protect_request(c, msg, mlen, out, sizeof out, &olen, &cr), SB_OK);
    if (prot) memcpy(prot, out, olen), *plen = olen;
    assert_int_equal(sb_oscore_unprotect_request(s, out, olen, back, sizeof back, &blen, &sr, NULL),
                     SB_OK);
    assert_int_equal(blen, mlen);
    assert_memory_equal(back, msg, mlen);
    if (!rsp) return;
    assert_int_equal(sb_oscore_protect_response(s, &sr, own_piv, rsp, rlen, tmp, sizeof tmp, &olen),
                     SB_OK);
    assert_int_equal(sb_oscore_unprotect_response(c, &cr, tmp, olen, back, sizeof back, &blen),
                     SB_OK);
    assert_int_equal(blen, rlen);
    assert_memory_equal(back, rsp, rlen);
}

/* 7-byte IDs (the maximum for a 13-byte nonce, §5.2), 24-byte secret, ID Context, 5-byte
 * Partial IVs up to 2^40 - 1; 2^40 is refused (§7.2.1). */
static void test_long_ids_and_pivs(void **st)
{
    uint8_t msg[256], rsp[256], prot[512];
    size_t mlen = unhex(REQ, msg, sizeof msg), rlen = unhex(RESP, rsp, sizeof rsp), plen;
    const char *secret24 = "000102030405060708090a0b0c0d0e0f1011121314151617";
    for (int l = 0; l < NLIBS; l++) {
        sb_oscore_ctx *c = mk(libs[l], secret24, SALT, "aabbccddeeff", 1, "01020304050607",
                              "a1a2a3a4a5a6a7", 0);
        sb_oscore_ctx *s = mk(libs[l], secret24, SALT, "aabbccddeeff", 0, "a1a2a3a4a5a6a7",
                              "01020304050607", 0);
        static const uint64_t seqs[] = {0, 255, 256, 65535, 65536, 1ULL << 32,
                                        SB_OSCORE_MAX_SEQ - 1};
        for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
            assert_int_equal(sb_oscore_set_seq(c, seqs[i]), SB_OK);
            round_trip(c, s, msg, mlen, rsp, rlen, (int)(i & 1), prot, &plen);
        }
        /* The last number, 2^40 - 1: a 5-byte Partial IV ff ff ff ff ff. */
        assert_int_equal(sb_oscore_set_seq(c, SB_OSCORE_MAX_SEQ), SB_OK);
        round_trip(c, s, msg, mlen, rsp, rlen, 0, prot, &plen);
        /* OSCORE option: flags 0x1d (n=5, k, h), PIV, s=6, kid context, 7-byte kid = 19 bytes,
         * after the outer Uri-Host (delta 3) -> delta 6, length 13+6 (extended). */
        sb_coap_msg m;
        assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, prot, plen, &m), SB_OK);
        size_t ol;
        const uint8_t *ov = sb_coap_find_opt(&m, SB_OPT_OSCORE, &ol);
        assert_non_null(ov);
        hex_eq(ov, ol, "1dffffffffff06aabbccddeeff01020304050607");
        /* Exhausted: 2^40 is never used. */
        uint8_t out[512];
        size_t olen;
        assert_int_equal(sb_oscore_seq(c), SB_OSCORE_MAX_SEQ + 1);
        assert_int_not_equal(sb_oscore_protect_request(c, msg, mlen, out, sizeof out, &olen, NULL),
                             SB_OK);
        assert_int_equal(sb_oscore_set_seq(c, SB_OSCORE_MAX_SEQ + 2), SB_EINVAL);
        sb_oscore_free(c);
        sb_oscore_free(s);
    }
    /* 8-byte IDs do not fit a 13-byte nonce. */
    uint8_t s16[16] = {1}, id8[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    sb_oscore_config cfg = {.secret = s16, .secret_len = 16, .sender_id = id8, .sender_id_len = 8};
    sb_oscore_ctx *c;
    assert_int_equal(sb_oscore_new(&c, &cfg, NULL, 0), SB_EINVAL);
}

/* A wrong ID Context or a wrong kid: 4.01 (§8.2 step 3). */
static void test_unknown_context(void **st)
{
    uint8_t msg[256], out[256], back[256], code = 0;
    size_t mlen = unhex(REQ, msg, sizeof msg), olen, blen;
    sb_oscore_ctx *c = mk("openssl", SECRET, SALT, IDCTX, 1, "", "01", 0);
    sb_oscore_ctx *s = mk("openssl", SECRET, SALT, "37cbf3210017a2d4", 0, "01", "", 0);
    sb_oscore_ctx *s2 = mk("openssl", SECRET, SALT, IDCTX, 0, "01", "02", 0);
    assert_int_equal(sb_oscore_protect_request(c, msg, mlen, out, sizeof out, &olen, NULL), SB_OK);
    assert_int_equal(sb_oscore_unprotect_request(s, out, olen, back, sizeof back, &blen, NULL,
                                                 &code),
                     SB_ENOTFOUND);
    assert_int_equal(code, SB_COAP_UNAUTHORIZED);
    code = 0;
    assert_int_equal(sb_oscore_unprotect_request(s2, out, olen, back, sizeof back, &blen, NULL,
                                                 &code),
                     SB_ENOTFOUND);
    assert_int_equal(code, SB_COAP_UNAUTHORIZED);
    sb_oscore_free(c);
    sb_oscore_free(s);
    sb_oscore_free(s2);
}

static int has_opt(const sb_coap_msg *m, uint16_t num)
{
    return sb_coap_find_opt(m, num, NULL) != NULL;
}

/* Decrypt a protected request by hand (Sender Key of c, nonce from its kid and PIV) and parse
 * the plaintext's options: what OSCORE put Inner. */
static void inner_of(const char *lib, sb_oscore_ctx *c, const uint8_t *prot, size_t plen,
                     sb_coap_msg *outer, sb_coap_msg *inner, uint8_t *buf)
{
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, prot, plen, outer), SB_OK);
    size_t ol;
    const uint8_t *ov = sb_coap_find_opt(outer, SB_OPT_OSCORE, &ol);
    assert_non_null(ov);
    sb_oscore_opt o;
    assert_int_equal(sb_oscore_opt_parse(ov, ol, &o), SB_OK);
    const uint8_t *sk, *rk, *iv;
    size_t kl, nl, alen;
    sb_oscore_keys(c, &sk, &rk, &iv, &kl, &nl);
    uint8_t nonce[13], aad[64];
    assert_int_equal(sb_oscore_nonce(c, o.kid, o.kid_len, o.piv, o.piv_len, nonce), SB_OK);
    /* external_aad by hand: [1, [10], kid, piv, h''] in Enc_structure (§5.4). */
    uint8_t ext[32];
    size_t e = 0;
    ext[e++] = 0x85, ext[e++] = 0x01, ext[e++] = 0x81, ext[e++] = 0x0a;
    ext[e++] = (uint8_t)(0x40 | o.kid_len);
    memcpy(ext + e, o.kid, o.kid_len), e += o.kid_len;
    ext[e++] = (uint8_t)(0x40 | o.piv_len);
    memcpy(ext + e, o.piv, o.piv_len), e += o.piv_len;
    ext[e++] = 0x40;
    alen = 0;
    static const uint8_t pre[] = {0x83, 0x68, 'E', 'n', 'c', 'r', 'y', 'p', 't', '0', 0x40};
    memcpy(aad, pre, sizeof pre), alen = sizeof pre;
    aad[alen++] = (uint8_t)(0x40 | e);
    memcpy(aad + alen, ext, e), alen += e;
    const sb_crypto *cr = sb_crypto_get(lib);
    sb_aead_key *k;
    assert_int_equal(cr->aead_new(&k, SB_COSE_AES_CCM_16_64_128, sk, 16), SB_OK);
    assert_int_equal(cr->aead_open(k, nonce, 13, aad, alen, outer->payload, outer->payload_len,
                                   buf + 3),
                     SB_OK);
    cr->aead_free(k);
    uint8_t code = buf[3];
    buf[0] = 0x40, buf[1] = code, buf[2] = 0, buf[3] = 0;
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, buf, 3 + outer->payload_len - 8, inner), SB_OK);
}

/* Uri-Host, Observe, Proxy-Scheme and Block2 at once: Uri-Host and Proxy-Scheme Outer only,
 * Observe both (same value, §4.1.3.5), Block2 Inner only; outer code FETCH (§4.2). */
static void test_option_classes(void **st)
{
    for (int l = 0; l < NLIBS; l++) {
        sb_coap_msg m, outer, inner;
        static const uint8_t tok[2] = {0xab, 0xcd};
        sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, 0x1234, tok, 2);
        sb_coap_add_opt(&m, SB_OPT_URI_HOST, (const uint8_t *)"sensor.example", 14);
        sb_coap_add_uint_opt(&m, SB_OPT_OBSERVE, 0);
        sb_coap_add_path(&m, "/temp");
        sb_coap_add_uint_opt(&m, SB_OPT_BLOCK2, sb_coap_block_value(1, 0, 2));
        sb_coap_add_opt(&m, SB_OPT_PROXY_SCHEME, (const uint8_t *)"coap", 4);
        uint8_t msg[256], prot[512], buf[600], back[512];
        size_t mlen, plen, blen;
        assert_int_equal(sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen), SB_OK);
        sb_oscore_ctx *c = mk(libs[l], SECRET, SALT, NULL, 0, "", "01", 0);
        sb_oscore_ctx *s = mk(libs[l], SECRET, SALT, NULL, 0, "01", "", 0);
        assert_int_equal(sb_oscore_protect_request(c, msg, mlen, prot, sizeof prot, &plen, NULL),
                         SB_OK);
        inner_of(libs[l], c, prot, plen, &outer, &inner, buf);
        assert_int_equal(outer.code, SB_COAP_FETCH);
        assert_int_equal(inner.code, SB_COAP_GET);
        assert_true(has_opt(&outer, SB_OPT_URI_HOST) && !has_opt(&inner, SB_OPT_URI_HOST));
        assert_true(has_opt(&outer, SB_OPT_PROXY_SCHEME) && !has_opt(&inner, SB_OPT_PROXY_SCHEME));
        assert_true(has_opt(&outer, SB_OPT_OBSERVE) && has_opt(&inner, SB_OPT_OBSERVE));
        assert_true(!has_opt(&outer, SB_OPT_BLOCK2) && has_opt(&inner, SB_OPT_BLOCK2));
        assert_true(!has_opt(&outer, SB_OPT_URI_PATH) && has_opt(&inner, SB_OPT_URI_PATH));
        assert_int_equal(outer.mid, 0x1234);
        assert_memory_equal(outer.token, tok, 2);
        assert_int_equal(sb_oscore_unprotect_request(s, prot, plen, back, sizeof back, &blen, NULL,
                                                     NULL),
                         SB_OK);
        assert_int_equal(blen, mlen);
        assert_memory_equal(back, msg, mlen);
        /* A notification: outer code 2.05, Outer Observe with the value, Inner Observe empty
         * (§4.1.3.5.2), Max-Age Inner only; own Partial IV. */
        sb_oscore_req r = {.kid_len = 0, .piv = {0}, .piv_len = 1};
        sb_coap_init(&m, SB_COAP_CON, SB_COAP_CONTENT, 0x77, tok, 2);
        sb_coap_add_uint_opt(&m, SB_OPT_OBSERVE, 5);
        sb_coap_add_uint_opt(&m, SB_OPT_MAX_AGE, 60);
        m.payload = (const uint8_t *)"21.5", m.payload_len = 4;
        assert_int_equal(sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen), SB_OK);
        /* without its own Partial IV a notification is refused (§4.1.3.5.2: MUST include) */
        assert_int_equal(sb_oscore_protect_response(s, &r, 0, msg, mlen, prot, sizeof prot, &plen),
                         SB_EINVAL);
        assert_int_equal(sb_oscore_protect_response(s, &r, 1, msg, mlen, prot, sizeof prot, &plen),
                         SB_OK);
        assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, prot, plen, &outer), SB_OK);
        assert_int_equal(outer.code, SB_COAP_CONTENT);
        assert_true(has_opt(&outer, SB_OPT_OBSERVE) && !has_opt(&outer, SB_OPT_MAX_AGE));
        size_t vl;
        const uint8_t *vv = sb_coap_find_opt(&outer, SB_OPT_OBSERVE, &vl);
        assert_int_equal(vl, 1);
        assert_int_equal(vv[0], 5);
        {
            /* decrypt with the server's Sender Key = the client's Recipient Key */
            const uint8_t *sk, *rk, *iv;
            size_t kl, nl;
            sb_oscore_keys(s, &sk, &rk, &iv, &kl, &nl);
            (void)sk;
            sb_coap_msg po;
            assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, prot, plen, &po), SB_OK);
            uint8_t sid1 = 1, piv0 = 0, nonce[13], pt[128];
            sb_oscore_nonce(s, &sid1, 1, &piv0, 1, nonce);
            static const uint8_t aad[] = {0x83, 0x68, 'E', 'n', 'c', 'r', 'y', 'p', 't', '0',
                                          0x40, 0x48, 0x85, 0x01, 0x81, 0x0a, 0x40, 0x41, 0x00,
                                          0x40};
            const sb_crypto *cr = sb_crypto_get(libs[l]);
            sb_aead_key *k;
            const uint8_t *skey;
            sb_oscore_keys(s, &skey, &rk, &iv, &kl, &nl);
            assert_int_equal(cr->aead_new(&k, SB_COSE_AES_CCM_16_64_128, skey, 16), SB_OK);
            assert_int_equal(cr->aead_open(k, nonce, 13, aad, sizeof aad, po.payload,
                                           po.payload_len, pt),
                             SB_OK);
            cr->aead_free(k);
            /* code 2.05, Observe (delta 6, empty) = 0x60, Max-Age (delta 8, 1 byte) 0x81 3c */
            hex_eq(pt, po.payload_len - 8, "4560813cff32312e35");
        }
        assert_int_equal(sb_oscore_unprotect_response(c, &r, prot, plen, back, sizeof back, &blen),
                         SB_OK);
        assert_int_equal(blen, mlen);
        assert_memory_equal(back, msg, mlen);
        sb_oscore_free(c);
        sb_oscore_free(s);
    }
}

/* §4.1.3.3's example: Proxy-Uri "coap://example.com/resource?q=1" is decomposed into
 * Proxy-Scheme "coap", Uri-Host "example.com", Uri-Port 5683, Uri-Path "resource", Uri-Query
 * "q=1"; path and query go Inner, and the Outer Proxy-Uri is "coap://example.com" (the default
 * port is left out when composing, RFC 7252 §6.5). The receiver joins them back. */
static void test_proxy_uri(void **st)
{
    static const struct {
        const char *uri, *outer;
        const char *inner[5];
    } cases[] = {
        {"coap://example.com/resource?q=1", "coap://example.com", {"resource", "q=1"}},
        {"coaps://[::1]:61616/a/b%2Fc?x=1&y", "coaps://[::1]:61616", {"a", "b/c", "x=1", "y"}},
        {"coap://Example.COM:5683", "coap://example.com", {NULL}},
        {"COAP://ex%41mple.com/%7Ea", "coap://example.com", {"~a"}}, /* case after decoding */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sb_coap_msg m, outer, inner;
        sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, 1, NULL, 0);
        sb_coap_add_opt(&m, SB_OPT_PROXY_URI, (const uint8_t *)cases[i].uri, strlen(cases[i].uri));
        uint8_t msg[256], prot[512], buf[600], back[512];
        size_t mlen, plen, blen, n;
        assert_int_equal(sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen), SB_OK);
        sb_oscore_ctx *c = mk("openssl", SECRET, SALT, NULL, 0, "", "01", 0);
        sb_oscore_ctx *s = mk("openssl", SECRET, SALT, NULL, 0, "01", "", 0);
        assert_int_equal(sb_oscore_protect_request(c, msg, mlen, prot, sizeof prot, &plen, NULL),
                         SB_OK);
        inner_of("openssl", c, prot, plen, &outer, &inner, buf);
        const uint8_t *v = sb_coap_find_opt(&outer, SB_OPT_PROXY_URI, &n);
        assert_non_null(v);
        assert_int_equal(n, strlen(cases[i].outer));
        assert_memory_equal(v, cases[i].outer, n);
        assert_int_equal(outer.nopts, 2); /* Proxy-Uri and OSCORE */
        size_t k = 0;
        for (size_t j = 0; j < inner.nopts; j++, k++) {
            assert_true(inner.opts[j].num == SB_OPT_URI_PATH ||
                        inner.opts[j].num == SB_OPT_URI_QUERY);
            assert_non_null(cases[i].inner[k]);
            assert_int_equal(inner.opts[j].len, strlen(cases[i].inner[k]));
            assert_memory_equal(sb_coap_opt_val(&inner, &inner.opts[j]), cases[i].inner[k],
                                inner.opts[j].len);
        }
        assert_null(cases[i].inner[k]);
        assert_int_equal(sb_oscore_unprotect_request(s, prot, plen, back, sizeof back, &blen, NULL,
                                                     NULL),
                         SB_OK);
        if (i < 2) { /* already in composed form: comes back byte for byte */
            assert_int_equal(blen, mlen);
            assert_memory_equal(back, msg, mlen);
        } else { /* normalised: lowercase host, default port left out */
            sb_coap_msg r;
            assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, back, blen, &r), SB_OK);
            v = sb_coap_find_opt(&r, SB_OPT_PROXY_URI, &n);
            const char *want = i == 2 ? "coap://example.com" : "coap://example.com/~a";
            assert_int_equal(n, strlen(want));
            assert_memory_equal(v, want, n);
        }
        sb_oscore_free(c);
        sb_oscore_free(s);
    }
    /* Not an absolute URI: refused, and no sequence number consumed. */
    static const char *const bad[] = {"example.com/x", "coap:///x", "coap://h:99999/",
                                      "coap://h:1x/", "://h/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_coap_msg m;
        uint8_t msg[128], out[256];
        size_t mlen, olen;
        sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, 1, NULL, 0);
        sb_coap_add_opt(&m, SB_OPT_PROXY_URI, (const uint8_t *)bad[i], strlen(bad[i]));
        sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen);
        sb_oscore_ctx *c = mk("openssl", SECRET, SALT, NULL, 0, "", "01", 0);
        assert_int_equal(sb_oscore_protect_request(c, msg, mlen, out, sizeof out, &olen, NULL),
                         SB_EINVAL);
        assert_int_equal(sb_oscore_seq(c), 0);
        sb_oscore_free(c);
    }
}

/* §7.4: a replay is refused with 4.01; out-of-order within the 32-wide window is accepted
 * once; older than the window is refused. */
static void test_replay_window(void **st)
{
    uint8_t msg[256], p[40][256], back[256], code;
    size_t mlen = unhex(REQ, msg, sizeof msg), pl[40], blen;
    sb_oscore_ctx *c = mk("wolfssl", SECRET, SALT, NULL, 0, "", "01", 0);
    sb_oscore_ctx *s = mk("wolfssl", SECRET, SALT, NULL, 0, "01", "", 0);
    for (int i = 0; i < 40; i++)
        assert_int_equal(sb_oscore_protect_request(c, msg, mlen, p[i], 256, &pl[i], NULL), SB_OK);
#define UNP(i) sb_oscore_unprotect_request(s, p[i], pl[i], back, sizeof back, &blen, NULL, &code)
    assert_int_equal(UNP(5), SB_OK);
    code = 0;
    assert_int_equal(UNP(5), SB_EREPLAY);
    assert_int_equal(code, SB_COAP_UNAUTHORIZED);
    assert_int_equal(UNP(3), SB_OK); /* older, inside the window */
    assert_int_equal(UNP(4), SB_OK);
    assert_int_equal(UNP(3), SB_EREPLAY);
    assert_int_equal(UNP(38), SB_OK); /* jump ahead: 5 is now 33 behind */
    assert_int_equal(UNP(7), SB_OK);  /* 31 behind: still inside */
    assert_int_equal(UNP(6), SB_EREPLAY); /* 32 behind: outside, refused */
    assert_int_equal(UNP(7), SB_EREPLAY);
    assert_int_equal(UNP(39), SB_OK);
    assert_int_equal(UNP(38), SB_EREPLAY);
    assert_int_equal(UNP(37), SB_OK);
    /* A failed decryption does not move the window. */
    p[36][pl[36] - 1] ^= 1;
    assert_int_equal(UNP(36), SB_EAUTH);
    assert_int_equal(code, SB_COAP_BAD_REQUEST);
    p[36][pl[36] - 1] ^= 1;
    assert_int_equal(UNP(36), SB_OK);
#undef UNP
    sb_oscore_free(c);
    sb_oscore_free(s);
}

/* Every single-bit change of a protected message is refused, except in the fields OSCORE
 * leaves unprotected by design (§4.1, §5.4: the CoAP header's type and Message ID, the
 * token, Class U options such as Uri-Host): there the change may pass, but the protected
 * content (code, Inner options, payload) must come out unchanged. */
static void flip_all(const char *lib, const uint8_t *prot, size_t plen, int response,
                     const sb_oscore_req *r, size_t unprotected_prefix, const uint8_t *orig,
                     size_t olen)
{
    sb_coap_msg om;
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, orig, olen, &om), SB_OK);
    size_t accepted = 0;
    for (size_t bit = 0; bit < plen * 8; bit++) {
        uint8_t m[512], back[512];
        size_t blen;
        memcpy(m, prot, plen);
        m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        sb_oscore_ctx *c = response ? mk(lib, SECRET, SALT, NULL, 0, "", "01", 0)
                                    : mk(lib, SECRET, SALT, NULL, 0, "01", "", 0);
        int rc = response ? sb_oscore_unprotect_response(c, r, m, plen, back, sizeof back, &blen)
                          : sb_oscore_unprotect_request(c, m, plen, back, sizeof back, &blen, NULL,
                                                        NULL);
        sb_oscore_free(c);
        if (rc != SB_OK) continue;
        accepted++;
        if (bit / 8 >= unprotected_prefix) fprintf(stderr, "accepted flip of bit %zu\n", bit);
        assert_true(bit / 8 < unprotected_prefix);
        sb_coap_msg bm;
        assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, back, blen, &bm), SB_OK);
        assert_int_equal(bm.code, om.code);
        assert_int_equal(bm.payload_len, om.payload_len);
        if (om.payload_len) assert_memory_equal(bm.payload, om.payload, om.payload_len);
        for (size_t i = 0; i < om.nopts; i++)
            if (sb_oscore_opt_class(om.opts[i].num) != 'U') {
                size_t n;
                const uint8_t *v = sb_coap_find_opt(&bm, om.opts[i].num, &n);
                assert_non_null(v);
                assert_int_equal(n, om.opts[i].len);
                assert_memory_equal(v, sb_coap_opt_val(&om, &om.opts[i]), n);
            }
    }
    /* Only header/token/Uri-Host bits can pass; at most 8 bits per unprotected byte. */
    assert_true(accepted <= unprotected_prefix * 8);
}

static void test_bit_flips(void **st)
{
    uint8_t prot[256], orig[256];
    for (int l = 0; l < NLIBS; l++) {
        size_t plen = unhex(C4, prot, sizeof prot), olen = unhex(REQ, orig, sizeof orig);
        /* header 4 + token 4 + Uri-Host option 10 bytes are unprotected */
        flip_all(libs[l], prot, plen, 0, NULL, 18, orig, olen);
        sb_oscore_req r = {.kid_len = 0, .piv = {0x14}, .piv_len = 1};
        olen = unhex(RESP, orig, sizeof orig);
        plen = unhex(C7, prot, sizeof prot);
        flip_all(libs[l], prot, plen, 1, &r, 8, orig, olen);
        plen = unhex(C8, prot, sizeof prot);
        flip_all(libs[l], prot, plen, 1, &r, 8, orig, olen);
    }
}

/* Protect with OpenSSL, unprotect with wolfCrypt and back, on all three AEADs. */
static void test_cross_backend(void **st)
{
    static const int algs[] = {SB_COSE_AES_CCM_16_64_128, SB_COSE_AES_CCM_16_128_128,
                               SB_COSE_A128GCM};
    uint8_t s16[16] = {1, 2, 3}, id1 = 1, msg[256], rsp[256];
    size_t mlen = unhex(REQ, msg, sizeof msg), rlen = unhex(RESP, rsp, sizeof rsp);
    for (size_t a = 0; a < 3; a++)
        for (int l = 0; l < NLIBS; l++) {
            sb_oscore_config cc = {.crypto = sb_crypto_get(libs[l]), .alg = algs[a],
                                   .secret = s16, .secret_len = 16, .recipient_id = &id1,
                                   .recipient_id_len = 1};
            sb_oscore_config sc = cc;
            sc.crypto = sb_crypto_get(libs[1 - l]);
            sc.sender_id = &id1, sc.sender_id_len = 1, sc.recipient_id = NULL;
            sc.recipient_id_len = 0;
            sb_oscore_ctx *c, *s;
            assert_int_equal(sb_oscore_new(&c, &cc, NULL, 0), SB_OK);
            assert_int_equal(sb_oscore_new(&s, &sc, NULL, 0), SB_OK);
            round_trip(c, s, msg, mlen, rsp, rlen, 0, NULL, NULL);
            round_trip(c, s, msg, mlen, rsp, rlen, 1, NULL, NULL);
            sb_oscore_free(c);
            sb_oscore_free(s);
        }
}

/* The default workload: GET /3303/0/5700 (empty client ID, seq < 256) grows by 13 bytes
 * (OSCORE option 1+2, payload marker 1, code 1, tag 8); its 2.05 with a 16-byte payload and
 * no own Partial IV grows by 11 (empty OSCORE option 1, code 1, outer marker 1, tag 8). */
static void test_default_overhead(void **st)
{
    for (int l = 0; l < NLIBS; l++) {
        sb_coap_msg m;
        static const uint8_t tok[2] = {0x12, 0x34};
        uint8_t msg[128], rsp[128], out[256], back[256], body[16] = "0123456789abcdef";
        size_t mlen, rlen, olen, blen;
        sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, 0xabcd, tok, 2);
        sb_coap_add_path(&m, "/3303/0/5700");
        sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen);
        sb_coap_init(&m, SB_COAP_ACK, SB_COAP_CONTENT, 0xabcd, tok, 2);
        sb_coap_add_uint_opt(&m, SB_OPT_CONTENT_FORMAT, 0);
        m.payload = body, m.payload_len = 16;
        sb_coap_encode(&m, SB_FRAMING_UDP, rsp, sizeof rsp, &rlen);
        sb_oscore_ctx *c = mk(libs[l], SECRET, SALT, NULL, 0, "", "01", 0);
        sb_oscore_ctx *s = mk(libs[l], SECRET, SALT, NULL, 0, "01", "", 0);
        for (int i = 0; i < 256; i += 85) {
            sb_oscore_req cr, sr;
            assert_int_equal(sb_oscore_set_seq(c, (uint64_t)i), SB_OK);
            assert_int_equal(sb_oscore_protect_request(c, msg, mlen, out, sizeof out, &olen, &cr),
                             SB_OK);
            assert_int_equal(olen, mlen + 13);
            assert_int_equal(sb_oscore_unprotect_request(s, out, olen, back, sizeof back, &blen,
                                                         &sr, NULL),
                             SB_OK);
            assert_int_equal(sb_oscore_protect_response(s, &sr, 0, rsp, rlen, out, sizeof out,
                                                        &olen),
                             SB_OK);
            assert_int_equal(olen, rlen + 11);
            assert_int_equal(sb_oscore_unprotect_response(c, &cr, out, olen, back, sizeof back,
                                                          &blen),
                             SB_OK);
            assert_int_equal(blen, rlen);
            assert_memory_equal(back, rsp, rlen);
        }
        sb_oscore_free(c);
        sb_oscore_free(s);
    }
}

/* §8.2 error responses, byte for byte, and the codes of each failure. */
static void test_error_responses(void **st)
{
    uint8_t req[256], out[256], back[256], code;
    size_t rlen = unhex(C4, req, sizeof req), olen, blen;
    /* ACK (0x64: ver 1, type 2, TKL 4), 4.01 (0x81), same MID and token, Max-Age 0 (delta 14:
     * 0xd0 0x01, length 0), payload marker, diagnostic. */
    assert_int_equal(sb_oscore_error_response(req, rlen, SB_COAP_UNAUTHORIZED,
                                              sb_oscore_diag(SB_ENOTFOUND), out, sizeof out, &olen),
                     SB_OK);
    char want[200] = "64815d1f00003974d001ff";
    sb_hex_encode((const uint8_t *)"Security context not found", 26, want + strlen(want));
    hex_eq(out, olen, want);
    /* NON request -> NON error; an ACK cannot be answered. */
    req[0] = 0x54;
    assert_int_equal(sb_oscore_error_response(req, rlen, SB_COAP_BAD_REQUEST, NULL, out,
                                              sizeof out, &olen),
                     SB_OK);
    hex_eq(out, olen, "54805d1f00003974d001");
    req[0] = 0x64;
    assert_int_equal(sb_oscore_error_response(req, rlen, SB_COAP_BAD_REQUEST, NULL, out,
                                              sizeof out, &olen),
                     SB_EINVAL);
    req[0] = 0x44;
    sb_oscore_ctx *s = mk("openssl", SECRET, SALT, NULL, 0, "01", "", 0);
    /* Malformed OSCORE option (reserved flag bit): 4.02. */
    uint8_t bad[256];
    memcpy(bad, req, rlen);
    bad[19] = 0x89;
    assert_int_equal(sb_oscore_unprotect_request(s, bad, rlen, back, sizeof back, &blen, NULL,
                                                 &code),
                     SB_EPROTO);
    assert_int_equal(code, SB_COAP_BAD_OPTION);
    /* No Partial IV in a request: 4.02. */
    static const char *const malformed[] = {
        "44025d1f00003974396c6f63616c686f737461 08ff612f1092f1776f1c1668b3825e",
        "44025d1f00003974396c6f63616c686f7374ff612f1092f1776f1c1668b3825e", /* no OSCORE */
        "44025d1f00003974396c6f63616c686f7374620914",                         /* no payload */
        "44025d1f00003974396c6f63616c686f737462091fff612f1092f1776f1c1668b3825e", /* n=7 */
        "44025d1f00003974396c6f63616c686f737462091514ff612f1092f1776f1c1668b3825e", /* short */
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        char h[200];
        size_t w = 0;
        for (const char *p = malformed[i]; *p; p++)
            if (*p != ' ') h[w++] = *p;
        h[w] = 0;
        size_t n = unhex(h, bad, sizeof bad);
        code = 0;
        int rc = sb_oscore_unprotect_request(s, bad, n, back, sizeof back, &blen, NULL, &code);
        assert_true(rc == SB_EPROTO || rc == SB_EAUTH);
        assert_true(code == SB_COAP_BAD_OPTION || code == SB_COAP_BAD_REQUEST);
    }
    /* Wrong tag: 4.00 "Decryption failed". */
    memcpy(bad, req, rlen);
    bad[rlen - 1] ^= 0x80;
    assert_int_equal(sb_oscore_unprotect_request(s, bad, rlen, back, sizeof back, &blen, NULL,
                                                 &code),
                     SB_EAUTH);
    assert_int_equal(code, SB_COAP_BAD_REQUEST);
    assert_string_equal(sb_oscore_diag(SB_EAUTH), "Decryption failed");
    assert_string_equal(sb_oscore_diag(SB_EREPLAY), "Replay detected");
    assert_string_equal(sb_oscore_diag(SB_EPROTO), "Failed to decode COSE");
    sb_oscore_free(s);
}

/* Appendix B.1.2 with RFC 9175: a server with the challenge on answers the first request with
 * a protected 4.01 + Echo (own Partial IV); the repeated request with Echo is accepted, the
 * Echo option is removed, and the window restarts at that request. */
static void test_echo(void **st)
{
    for (int l = 0; l < NLIBS; l++) {
        uint8_t msg[256], p1[256], p2[256], out[256], back[256], echo[40], m2[256];
        size_t mlen = unhex(REQ, msg, sizeof msg), l1, l2, olen, blen, elen, m2len;
        sb_oscore_ctx *c = mk(libs[l], SECRET, SALT, NULL, 0, "", "01", 0);
        sb_oscore_ctx *s = mk(libs[l], SECRET, SALT, NULL, 0, "01", "", 1);
        sb_oscore_req cr, sr;
        assert_int_equal(sb_oscore_protect_request(c, msg, mlen, p1, sizeof p1, &l1, &cr), SB_OK);
        assert_int_equal(sb_oscore_unprotect_request(s, p1, l1, out, sizeof out, &olen, &sr, NULL),
                         SB_OSCORE_CHALLENGE);
        sb_coap_msg om;
        assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, out, olen, &om), SB_OK);
        assert_int_equal(om.type, SB_COAP_ACK);
        assert_int_equal(om.mid, 0x5d1f);
        assert_false(has_opt(&om, SB_OPT_ECHO)); /* Echo is Inner (class E) */
        size_t ovl;
        const uint8_t *ov = sb_coap_find_opt(&om, SB_OPT_OSCORE, &ovl);
        assert_true(ov && ovl == 2 && ov[0] == 0x01); /* own Partial IV */
        assert_int_equal(sb_oscore_unprotect_response(c, &cr, out, olen, back, sizeof back, &blen),
                         SB_OK);
        assert_int_equal(sb_oscore_echo_challenge(back, blen, echo, sizeof echo, &elen), 1);
        assert_int_equal(elen, SB_OSCORE_ECHO_LEN);
        assert_int_equal(sb_oscore_add_echo(msg, mlen, echo, elen, m2, sizeof m2, &m2len), SB_OK);
        assert_int_equal(sb_oscore_protect_request(c, m2, m2len, p2, sizeof p2, &l2, &cr), SB_OK);
        assert_int_equal(sb_oscore_unprotect_request(s, p2, l2, back, sizeof back, &blen, &sr,
                                                     NULL),
                         SB_OK);
        assert_int_equal(blen, mlen);
        assert_memory_equal(back, msg, mlen); /* Echo removed */
        /* The first request is older than the verified one: now a replay. */
        assert_int_equal(sb_oscore_unprotect_request(s, p1, l1, back, sizeof back, &blen, NULL,
                                                     NULL),
                         SB_EREPLAY);
        /* A wrong Echo value: challenged again (fresh context). */
        sb_oscore_free(s);
        s = mk(libs[l], SECRET, SALT, NULL, 0, "01", "", 1);
        assert_int_equal(sb_oscore_unprotect_request(s, p2, l2, out, sizeof out, &olen, NULL,
                                                     NULL),
                         SB_OSCORE_CHALLENGE);
        assert_int_equal(sb_oscore_echo_challenge(msg, mlen, echo, sizeof echo, &elen), 0);
        sb_oscore_free(c);
        sb_oscore_free(s);
    }
}

/* ------------------------------------------------------------ the stack family */

typedef struct {
    const char *id;
    sb_params *p;
    int fd;
    sb_io io;
    sb_stack_ctx *ctx;
    sb_session *s;
    const sb_family *f;
    sb_stack_desc d;
    int nreq; /* server: requests to serve */
    int rc;
} peer;

static void peer_init(peer *e, const char *id, sb_params *p, int fd, sb_role role)
{
    memset(e, 0, sizeof *e);
    e->id = id, e->p = p, e->fd = fd;
    assert_int_equal(sb_registry_find(id, &e->d), SB_OK);
    e->f = e->d.family;
    char err[256] = "";
    assert_int_equal(e->f->check(&e->d, p, err, sizeof err), SB_OK);
    int rc = e->f->ctx_new(&e->ctx, &e->d, p, role, err, sizeof err);
    if (rc) fprintf(stderr, "ctx_new: %s\n", err);
    assert_int_equal(rc, SB_OK);
    sb_io_init(&e->io, fd, SB_TRANSPORT_UDP, -1);
    assert_int_equal(e->f->open(&e->s, e->ctx, &e->io), SB_OK);
}

static void peer_free(peer *e)
{
    e->f->free(e->s);
    e->f->ctx_free(e->ctx);
    sb_io_release(&e->io);
    close(e->fd);
}

/* Server thread: answer nreq requests with a 2.05 echoing the request's MID and token. */
static void *serve(void *arg)
{
    peer *e = arg;
    int64_t dl = sb_now_ns() + 5 * SB_NS_PER_S;
    e->rc = e->f->handshake(e->s, dl);
    for (int i = 0; !e->rc && i < e->nreq; i++) {
        uint8_t buf[SB_COAP_MAX_MSG], out[256];
        size_t n, olen;
        sb_coap_msg m, r;
        if ((e->rc = e->f->recv(e->s, buf, sizeof buf, &n, dl))) break;
        if ((e->rc = sb_coap_parse(SB_FRAMING_UDP, buf, n, &m))) break;
        sb_coap_init(&r, SB_COAP_ACK, SB_COAP_CONTENT, m.mid, m.token, m.tkl);
        r.payload = (const uint8_t *)"0123456789abcdef", r.payload_len = 16;
        sb_coap_encode(&r, SB_FRAMING_UDP, out, sizeof out, &olen);
        e->rc = e->f->send(e->s, out, olen);
    }
    /* Keep answering duplicates for a moment (the client's retransmission test). */
    if (!e->rc && e->nreq > 0) {
        uint8_t buf[SB_COAP_MAX_MSG];
        size_t n;
        int rc = e->f->recv(e->s, buf, sizeof buf, &n, sb_now_ns() + 300 * SB_NS_PER_MS);
        if (rc != SB_ETIMEOUT) e->rc = rc ? rc : SB_EPROTO; /* a duplicate must not surface */
    }
    return NULL;
}

static void client_get(peer *c, uint16_t mid, int retransmit, uint8_t *wire, size_t *wlen)
{
    uint8_t msg[64], buf[SB_COAP_MAX_MSG];
    size_t mlen, n;
    sb_coap_msg m;
    uint8_t tok[2] = {(uint8_t)(mid >> 8), (uint8_t)mid};
    sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, mid, tok, 2);
    sb_coap_add_path(&m, "/3303/0/5700");
    sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen);
    int64_t dl = sb_now_ns() + 5 * SB_NS_PER_S;
    assert_int_equal(c->f->send(c->s, msg, mlen), SB_OK);
    if (retransmit) assert_int_equal(c->f->send(c->s, msg, mlen), SB_OK);
    int rc = c->f->recv(c->s, buf, sizeof buf, &n, dl);
    if (rc) fprintf(stderr, "client: %s\n", c->io.err);
    assert_int_equal(rc, SB_OK);
    sb_coap_msg r;
    assert_int_equal(sb_coap_parse(SB_FRAMING_UDP, buf, n, &r), SB_OK);
    assert_int_equal(r.code, SB_COAP_CONTENT);
    assert_int_equal(r.mid, mid);
    assert_int_equal(r.payload_len, 16);
    (void)wire, (void)wlen;
}

static void run_pair(const char *id, sb_params *cp, sb_params *sp, int nreq, int retransmit,
                     uint64_t *client_tx)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    peer c, s;
    peer_init(&c, id, cp, sv[0], SB_ROLE_CLIENT);
    peer_init(&s, id, sp, sv[1], SB_ROLE_SERVER);
    s.nreq = nreq;
    pthread_t th;
    pthread_create(&th, NULL, serve, &s);
    assert_int_equal(c.f->handshake(c.s, sb_now_ns() + 5 * SB_NS_PER_S), SB_OK);
    for (int i = 0; i < nreq; i++) client_get(&c, (uint16_t)(0x100 + i), retransmit && i == 1, NULL, NULL);
    pthread_join(th, NULL);
    if (s.rc) fprintf(stderr, "server: %s (%s)\n", sb_strerror(s.rc), s.io.err);
    assert_int_equal(s.rc, SB_OK);
    if (client_tx) *client_tx = c.io.tx_packets;
    peer_free(&c);
    peer_free(&s);
}

static void test_stack_basic(void **st)
{
    for (int l = 0; l < 3; l++) {
        const char *id = l == 0 ? "oscore" : l == 1 ? "oscore-openssl" : "oscore-wolfssl";
        sb_params *p = sb_params_new();
        sb_params_set(p, "run-id", "0011223344556677");
        uint64_t tx;
        run_pair(id, p, p, 3, 0, &tx);
        assert_int_equal(tx, 3);
        /* A retransmitted CON request: same protected bytes, the server answers it from its
         * cache (the client sees one response), no replay error. */
        run_pair(id, p, p, 3, 1, &tx);
        assert_int_equal(tx, 4);
        sb_params_free(p);
    }
}

static void test_stack_echo_and_errors(void **st)
{
    sb_params *cp = sb_params_new(), *sp = sb_params_new();
    sb_params_set(sp, "echo", "");
    uint64_t tx;
    run_pair("oscore-wolfssl", cp, sp, 2, 0, &tx);
    assert_int_equal(tx, 3); /* one extra request: the repeat carrying Echo */
    sb_params_free(sp);
    /* Mismatched keys: the server answers 4.00 unprotected, the client fails with SB_EAUTH
     * and a reason. */
    sp = sb_params_new();
    sb_params_set(sp, "oscore-secret", "0102030405060708090a0b0c0d0e0f11");
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    peer c, s;
    peer_init(&c, "oscore", cp, sv[0], SB_ROLE_CLIENT);
    peer_init(&s, "oscore", sp, sv[1], SB_ROLE_SERVER);
    uint8_t msg[64], buf[512];
    size_t mlen, n;
    sb_coap_msg m;
    sb_coap_init(&m, SB_COAP_CON, SB_COAP_GET, 7, NULL, 0);
    sb_coap_add_path(&m, "/x");
    sb_coap_encode(&m, SB_FRAMING_UDP, msg, sizeof msg, &mlen);
    assert_int_equal(c.f->send(c.s, msg, mlen), SB_OK);
    /* The server consumes the bad request, answers, and times out waiting for a good one. */
    assert_int_equal(s.f->recv(s.s, buf, sizeof buf, &n, sb_now_ns() + 200 * SB_NS_PER_MS),
                     SB_ETIMEOUT);
    assert_int_equal(c.f->recv(c.s, buf, sizeof buf, &n, sb_now_ns() + SB_NS_PER_S), SB_EAUTH);
    assert_non_null(strstr(c.io.err, "4.00 Decryption failed"));
    peer_free(&c);
    peer_free(&s);
    sb_params_free(cp);
    sb_params_free(sp);
}

static void test_stack_params(void **st)
{
    sb_stack_desc d;
    char err[256];
    assert_int_equal(sb_registry_find("oscore", &d), SB_OK);
    assert_string_equal(d.library, "openssl");
    assert_int_equal(d.record_overhead, 0);
    assert_int_equal(d.has_sessions, 0);
    assert_int_equal(d.transport, SB_TRANSPORT_UDP);
    static const char *const bad[][2] = {
        {"oscore-secret", "01x2"}, {"oscore-secret", ""}, {"oscore-salt", "abc"},
        {"oscore-client-id", "0102030405060708"}, {"oscore-server-id", ""}, /* = client id */
        {"run-id", "zz"}, {"oscore-id-context", "0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sb_params *p = sb_params_new();
        sb_params_set(p, bad[i][0], bad[i][1]);
        err[0] = 0;
        assert_int_equal(d.family->check(&d, p, err, sizeof err), SB_EINVAL);
        assert_true(strlen(err) > 0);
        sb_params_free(p);
    }
    /* seq-file: the client starts from the stored number and stores ahead before use. */
    char path[] = "/tmp/sb_oscore_seqXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "1000\n", 5), 5);
    close(fd);
    sb_params *cp = sb_params_new(), *sp = sb_params_new();
    sb_params_set(cp, "seq-file", path);
    run_pair("oscore", cp, sp, 2, 0, NULL);
    size_t n;
    char *txt = sb_read_file(path, &n);
    assert_non_null(txt);
    assert_string_equal(txt, "1064\n"); /* 1000 and 1001 used; 1000 + 64 reserved */
    free(txt);
    unlink(path);
    sb_params_free(cp);
    sb_params_free(sp);
}

/* OSCORE inside DTLS: whichever oscore+dtls1.2 stacks this build has. */
struct collect {
    char ids[64][64];
    size_t n;
};
static void collect_emit(void *arg, const sb_stack_desc *d)
{
    struct collect *c = arg;
    if (!strncmp(d->id, "oscore+dtls1.2-", 15) && d->available && c->n < 64)
        snprintf(c->ids[c->n++], 64, "%s", d->id);
}

static void test_stack_over_dtls(void **st)
{
    struct collect c = {0};
    sb_registry_enumerate(collect_emit, &c);
    if (c.n == 0) {
        fprintf(stderr, "no oscore+dtls1.2 stack available in this build\n");
        return;
    }
    for (size_t i = 0; i < c.n; i++) {
        if (!strstr(c.ids[i], "psk-ccm8") && !strstr(c.ids[i], "-gcm")) continue;
        sb_stack_desc d;
        assert_int_equal(sb_registry_find(c.ids[i], &d), SB_OK);
        assert_int_equal(d.has_sessions, 1);
        sb_params *p = sb_params_new();
        fprintf(stderr, "running %s\n", c.ids[i]);
        run_pair(c.ids[i], p, p, 2, 0, NULL);
        sb_params_free(p);
        break; /* one is enough here; the harness runs them all */
    }
}

/* `secbench oscore ...`: output and exit status (stdout captured in a temporary file). */
static int cli(char *out, size_t cap, int argc, const char **argv)
{
    fflush(stdout);
    FILE *f = tmpfile();
    int saved = dup(1);
    dup2(fileno(f), 1);
    int rc = sb_oscore_cli(argc, (char **)argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    rewind(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    fclose(f);
    return rc;
}

static void test_cli(void **st)
{
    char out[4096];
#define CLI(...)                                                                               \
    ({                                                                                         \
        const char *a[] = {"oscore", __VA_ARGS__};                                             \
        cli(out, sizeof out, (int)(sizeof a / sizeof a[0]), a);                                \
    })
    assert_int_equal(CLI("protect", "--secret", SECRET, "--salt", SALT, "--sender-id", "",
                         "--recipient-id", "01", "--seq", "20", REQ),
                     0);
    assert_string_equal(out, C4 "\n");
    assert_int_equal(CLI("protect", "--secret", SECRET, "--sender-id", "00", "--recipient-id",
                         "01", "--seq", "20", "--lib", "wolfssl", REQ),
                     0);
    assert_string_equal(out, C5 "\n");
    assert_int_equal(CLI("protect", "--secret", SECRET, "--salt", SALT, "--id-context", IDCTX,
                         "--send-id-context", "--sender-id", "", "--recipient-id", "01", "--seq",
                         "20", REQ),
                     0);
    assert_string_equal(out, C6 "\n");
    assert_int_equal(CLI("unprotect", "--secret", SECRET, "--salt", SALT, "--id-context", IDCTX,
                         "--sender-id", "01", "--recipient-id", "", C6),
                     0);
    assert_string_equal(out, REQ "\n");
    assert_int_equal(CLI("protect", "--response", "--request-kid", "", "--request-piv", "14",
                         "--secret", SECRET, "--salt", SALT, "--sender-id", "01",
                         "--recipient-id", "", RESP),
                     0);
    assert_string_equal(out, C7 "\n");
    assert_int_equal(CLI("protect", "--response", "--request-kid", "", "--request-piv", "14",
                         "--secret", SECRET, "--salt", SALT, "--sender-id", "01",
                         "--recipient-id", "", "--seq", "0", RESP),
                     0);
    assert_string_equal(out, C8 "\n");
    assert_int_equal(CLI("unprotect", "--response", "--request-kid", "", "--request-piv", "14",
                         "--secret", SECRET, "--salt", SALT, "--sender-id", "", "--recipient-id",
                         "01", C8),
                     0);
    assert_string_equal(out, RESP "\n");
    /* Rejected messages: exit 1. */
    assert_int_equal(CLI("unprotect", "--response", "--request-kid", "", "--request-piv", "15",
                         "--secret", SECRET, "--salt", SALT, "--sender-id", "", "--recipient-id",
                         "01", C7),
                     1);
    assert_int_equal(CLI("unprotect", "--secret", SECRET, "--salt", SALT, "--sender-id", "01",
                         "--recipient-id", "02", C4),
                     1); /* unknown kid */
    assert_int_equal(CLI("unprotect", "--secret", SECRET, "--salt", SALT, "--sender-id", "01",
                         "--recipient-id", "", "44025d1f"),
                     1); /* no OSCORE option */
    assert_int_equal(CLI("protect", "--secret", SECRET, "--sender-id", "", "--recipient-id", "01",
                         "--seq", "1", "4401"),
                     1); /* truncated message */
    assert_string_equal(out, "");
    /* Bad usage: exit 2. */
    assert_int_equal(CLI("protect", "--secret", SECRET, "--sender-id", "", "--recipient-id", "01",
                         REQ),
                     2); /* no --seq */
    assert_int_equal(CLI("protect", "--secret", SECRET, "--sender-id", "", "--recipient-id", "01",
                         "--seq", "1099511627776", REQ),
                     2); /* 2^40 */
    assert_int_equal(CLI("protect", "--secret", SECRET, "--sender-id", "", "--recipient-id", "01",
                         "--seq", "-1", REQ),
                     2);
    assert_int_equal(CLI("protect", "--secret", "0g", "--sender-id", "", "--recipient-id", "01",
                         "--seq", "1", REQ),
                     2);
    assert_int_equal(CLI("protect", "--bogus", "--secret", SECRET, "--sender-id", "",
                         "--recipient-id", "01", "--seq", "1", REQ),
                     2);
    assert_int_equal(CLI("unprotect", "--secret", SECRET, "--sender-id", "01", C4), 2);
    assert_int_equal(CLI("unprotect", "--secret", SECRET, "--sender-id", "01", "--recipient-id",
                         "", "abc"),
                     2); /* odd hex */
    assert_int_equal(CLI("frobnicate"), 2);
    assert_int_equal(CLI("--help"), 0);
    assert_non_null(strstr(out, "secbench oscore protect"));
    /* The 2^40 - 1 boundary goes through. */
    assert_int_equal(CLI("protect", "--secret", SECRET, "--sender-id", "", "--recipient-id", "01",
                         "--seq", "1099511627775", REQ),
                     0);
#undef CLI
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derivation),
        cmocka_unit_test(test_nonces),
        cmocka_unit_test(test_c4_c5_c6_requests),
        cmocka_unit_test(test_c7_c8_responses),
        cmocka_unit_test(test_long_ids_and_pivs),
        cmocka_unit_test(test_unknown_context),
        cmocka_unit_test(test_option_classes),
        cmocka_unit_test(test_proxy_uri),
        cmocka_unit_test(test_replay_window),
        cmocka_unit_test(test_bit_flips),
        cmocka_unit_test(test_cross_backend),
        cmocka_unit_test(test_default_overhead),
        cmocka_unit_test(test_error_responses),
        cmocka_unit_test(test_echo),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_stack_params),
        cmocka_unit_test(test_stack_basic),
        cmocka_unit_test(test_stack_echo_and_errors),
        cmocka_unit_test(test_stack_over_dtls),
    };
    coap_set_log_level(LOG_EMERG); /* libcoap warns on each malformed message we feed it */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
