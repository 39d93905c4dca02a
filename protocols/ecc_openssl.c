/* ecc_openssl.c: the asymmetric table (crypto.h, sb_ecc) on OpenSSL 3.0's EVP interface:
 * P-256 (ECDH, ES256), X25519 and Ed25519 from raw keys, as EDHOC carries them.
 * P-256 public values arrive as the x-coordinate alone (RFC 9528 §3.7 sends only x); ECDH
 * rebuilds a point from 0x02||x, since either y gives the same x of the shared point. */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "../bench/util.h"
#include "crypto.h"

/* EVP_PKEY for P-256 from a private scalar and/or an encoded public point. */
static EVP_PKEY *p256_key(const uint8_t *priv, const uint8_t *pub, size_t publen)
{
    EVP_PKEY *pk = NULL;
    OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
    BIGNUM *d = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!b || !ctx) goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0))
        goto out;
    if (priv) {
        d = BN_bin2bn(priv, 32, NULL);
        if (!d || !OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_PRIV_KEY, d)) goto out;
    }
    if (pub && !OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, publen))
        goto out;
    params = OSSL_PARAM_BLD_to_param(b);
    if (!params || EVP_PKEY_fromdata_init(ctx) <= 0) goto out;
    if (EVP_PKEY_fromdata(ctx, &pk, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) <= 0)
        pk = NULL;
out:
    OSSL_PARAM_free(params);
    BN_clear_free(d);
    OSSL_PARAM_BLD_free(b);
    EVP_PKEY_CTX_free(ctx);
    return pk;
}

static int derive(EVP_PKEY *mine, EVP_PKEY *peer, uint8_t out[32])
{
    int rc = SB_EAUTH;
    size_t n = 32;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(mine, NULL);
    if (ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_derive_set_peer(ctx, peer) > 0 &&
        EVP_PKEY_derive(ctx, out, &n) > 0 && n == 32)
        rc = SB_OK;
    EVP_PKEY_CTX_free(ctx);
    return rc;
}

static int ossl_keygen(int crv, uint8_t priv[32], uint8_t pub[32])
{
    int rc = SB_EIO;
    EVP_PKEY *pk = NULL;
    if (crv == SB_CRV_X25519) {
        size_t n = 32, m = 32;
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
        if (pk && EVP_PKEY_get_raw_private_key(pk, priv, &n) > 0 &&
            EVP_PKEY_get_raw_public_key(pk, pub, &m) > 0 && n == 32 && m == 32)
            rc = SB_OK;
    } else if (crv == SB_CRV_P256) {
        BIGNUM *d = NULL;
        uint8_t pt[65];
        size_t n = 0;
        pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        if (pk && EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_PRIV_KEY, &d) > 0 &&
            BN_bn2binpad(d, priv, 32) == 32 &&
            EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &n) >
                0 &&
            n == 65 && pt[0] == 0x04) {
            memcpy(pub, pt + 1, 32);
            rc = SB_OK;
        }
        BN_clear_free(d);
    } else {
        return SB_EUNSUP;
    }
    EVP_PKEY_free(pk);
    return rc;
}

static int ossl_ecdh(int crv, const uint8_t priv[32], const uint8_t peer_pub[32], uint8_t out[32])
{
    EVP_PKEY *mine = NULL, *peer = NULL;
    int rc = SB_EAUTH;
    if (crv == SB_CRV_X25519) {
        mine = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, 32);
        peer = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer_pub, 32);
    } else if (crv == SB_CRV_P256) {
        uint8_t pt[33];
        pt[0] = 0x02;
        memcpy(pt + 1, peer_pub, 32);
        mine = p256_key(priv, NULL, 0);
        peer = p256_key(NULL, pt, sizeof pt); /* fails when x is not on the curve */
    } else {
        return SB_EUNSUP;
    }
    if (mine && peer) rc = derive(mine, peer, out);
    EVP_PKEY_free(mine);
    EVP_PKEY_free(peer);
    return rc;
}

static int ossl_sign(int alg, const uint8_t *priv, const uint8_t *msg, size_t mlen,
                     uint8_t sig[64])
{
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = SB_EIO;
    if (!md) return SB_ENOMEM;
    if (alg == SB_COSE_EDDSA) {
        size_t n = 64;
        pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv, 32);
        if (pk && EVP_DigestSignInit(md, NULL, NULL, NULL, pk) > 0 &&
            EVP_DigestSign(md, sig, &n, msg, mlen) > 0 && n == 64)
            rc = SB_OK;
    } else if (alg == SB_COSE_ES256) {
        /* OpenSSL emits DER; COSE (RFC 9053 §2.1) wants r||s, 32 bytes each. */
        uint8_t der[80];
        size_t n = sizeof der;
        pk = p256_key(priv, NULL, 0);
        if (pk && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) > 0 &&
            EVP_DigestSign(md, der, &n, msg, mlen) > 0) {
            const uint8_t *p = der;
            ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
            const BIGNUM *r, *s;
            if (es) {
                ECDSA_SIG_get0(es, &r, &s);
                if (BN_bn2binpad(r, sig, 32) == 32 && BN_bn2binpad(s, sig + 32, 32) == 32)
                    rc = SB_OK;
                ECDSA_SIG_free(es);
            }
        }
    } else {
        rc = SB_EUNSUP;
    }
    EVP_PKEY_free(pk);
    EVP_MD_CTX_free(md);
    return rc;
}

static int ossl_verify(int alg, const uint8_t *pub, size_t publen, const uint8_t *msg,
                       size_t mlen, const uint8_t sig[64])
{
    EVP_PKEY *pk = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int rc = SB_EAUTH;
    if (!md) return SB_ENOMEM;
    if (alg == SB_COSE_EDDSA) {
        if (publen == 32) pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
        if (pk && EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) > 0 &&
            EVP_DigestVerify(md, sig, 64, msg, mlen) == 1)
            rc = SB_OK;
    } else if (alg == SB_COSE_ES256) {
        uint8_t pt[65], der[80], *p = der;
        ECDSA_SIG *es = ECDSA_SIG_new();
        BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
        int n = -1;
        if (publen == 64) {
            pt[0] = 0x04;
            memcpy(pt + 1, pub, 64);
            pk = p256_key(NULL, pt, sizeof pt);
        }
        if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
            r = s = NULL; /* owned by es now */
            n = i2d_ECDSA_SIG(es, &p);
        }
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        if (pk && n > 0 && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) > 0 &&
            EVP_DigestVerify(md, der, (size_t)n, msg, mlen) == 1)
            rc = SB_OK;
    } else {
        rc = SB_EUNSUP;
    }
    EVP_PKEY_free(pk);
    EVP_MD_CTX_free(md);
    return rc;
}

const sb_ecc sb_ecc_openssl = {
    .name = "openssl",
    .keygen = ossl_keygen,
    .ecdh = ossl_ecdh,
    .sign = ossl_sign,
    .verify = ossl_verify,
};
