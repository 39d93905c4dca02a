/* ecc_wolfssl.c: the asymmetric table (crypto.h, sb_ecc) on wolfCrypt 5.5.4: P-256 (ECDH,
 * ES256), X25519 and Ed25519 from raw keys. Each call seeds its own WC_RNG (no global state;
 * the DRBG setup costs a few microseconds beside the hundreds an EC operation takes).
 * P-256 public values arrive as the x-coordinate alone (RFC 9528 §3.7): ECDH imports the
 * compressed point 0x02||x (HAVE_COMP_KEY), either y giving the same shared x. */
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/ed25519.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "../bench/util.h"
#include "crypto.h"

static int wolf_keygen(int crv, uint8_t priv[32], uint8_t pub[32])
{
    WC_RNG rng;
    int rc = SB_EIO;
    if (crv != SB_CRV_P256 && crv != SB_CRV_X25519) return SB_EUNSUP;
    if (wc_InitRng(&rng) != 0) return SB_EIO;
    if (crv == SB_CRV_X25519) {
        curve25519_key k;
        word32 n = 32, m = 32;
        if (wc_curve25519_init(&k) == 0) {
            if (wc_curve25519_make_key(&rng, 32, &k) == 0 &&
                wc_curve25519_export_private_raw_ex(&k, priv, &n, EC25519_LITTLE_ENDIAN) == 0 &&
                wc_curve25519_export_public_ex(&k, pub, &m, EC25519_LITTLE_ENDIAN) == 0)
                rc = SB_OK;
            wc_curve25519_free(&k);
        }
    } else {
        ecc_key k;
        uint8_t y[32];
        word32 n = 32, xl = 32, yl = 32;
        if (wc_ecc_init(&k) == 0) {
            if (wc_ecc_make_key_ex(&rng, 32, &k, ECC_SECP256R1) == 0 &&
                wc_ecc_export_private_only(&k, priv, &n) == 0 && n == 32 &&
                wc_ecc_export_public_raw(&k, pub, &xl, y, &yl) == 0)
                rc = SB_OK;
            wc_ecc_free(&k);
        }
    }
    wc_FreeRng(&rng);
    return rc;
}

static int x25519(const uint8_t priv[32], const uint8_t peer_pub[32], uint8_t out[32])
{
    curve25519_key mine, peer;
    uint8_t k[32];
    word32 n = 32;
    int rc = SB_EAUTH;
    /* X25519 clamps the scalar anyway (RFC 7748 §5); wolfCrypt insists it arrives clamped. */
    memcpy(k, priv, 32);
    k[0] &= 248;
    k[31] &= 127;
    k[31] |= 64;
    if (wc_curve25519_init(&mine) != 0) return SB_EIO;
    if (wc_curve25519_init(&peer) != 0) {
        wc_curve25519_free(&mine);
        return SB_EIO;
    }
    if (wc_curve25519_import_private_ex(k, 32, &mine, EC25519_LITTLE_ENDIAN) == 0 &&
        wc_curve25519_import_public_ex(peer_pub, 32, &peer, EC25519_LITTLE_ENDIAN) == 0 &&
        wc_curve25519_shared_secret_ex(&mine, &peer, out, &n, EC25519_LITTLE_ENDIAN) == 0 &&
        n == 32)
        rc = SB_OK;
    wc_curve25519_free(&mine);
    wc_curve25519_free(&peer);
    memset(k, 0, sizeof k);
    return rc;
}

static int p256_ecdh(const uint8_t priv[32], const uint8_t peer_pub[32], uint8_t out[32])
{
    ecc_key mine, peer;
    WC_RNG rng;
    uint8_t pt[33];
    word32 n = 32;
    int rc = SB_EAUTH;
    pt[0] = 0x02;
    memcpy(pt + 1, peer_pub, 32);
    if (wc_InitRng(&rng) != 0) return SB_EIO;
    if (wc_ecc_init(&mine) == 0) {
        if (wc_ecc_init(&peer) == 0) {
            /* ECC_TIMING_RESISTANT builds blind the scalar multiplication with an RNG. */
            if (wc_ecc_import_private_key_ex(priv, 32, NULL, 0, &mine, ECC_SECP256R1) == 0 &&
                wc_ecc_set_rng(&mine, &rng) == 0 &&
                wc_ecc_import_x963_ex(pt, sizeof pt, &peer, ECC_SECP256R1) == 0 &&
                wc_ecc_shared_secret(&mine, &peer, out, &n) == 0 && n == 32)
                rc = SB_OK;
            wc_ecc_free(&peer);
        }
        wc_ecc_free(&mine);
    }
    wc_FreeRng(&rng);
    return rc;
}

static int wolf_ecdh(int crv, const uint8_t priv[32], const uint8_t peer_pub[32], uint8_t out[32])
{
    if (crv == SB_CRV_X25519) return x25519(priv, peer_pub, out);
    if (crv == SB_CRV_P256) return p256_ecdh(priv, peer_pub, out);
    return SB_EUNSUP;
}

static int es256_sign(const uint8_t *priv, const uint8_t *msg, size_t mlen, uint8_t sig[64])
{
    ecc_key k;
    WC_RNG rng;
    uint8_t h[32], der[80];
    word32 n = sizeof der, rl = 32, sl = 32;
    int rc = SB_EIO;
    if (wc_Sha256Hash(msg, (word32)mlen, h) != 0) return SB_EIO;
    if (wc_InitRng(&rng) != 0) return SB_EIO;
    if (wc_ecc_init(&k) == 0) {
        /* wolfCrypt signs to DER; COSE (RFC 9053 §2.1) wants r||s, left-padded to 32. */
        uint8_t r[32], s[32];
        if (wc_ecc_import_private_key_ex(priv, 32, NULL, 0, &k, ECC_SECP256R1) == 0 &&
            wc_ecc_sign_hash(h, 32, der, &n, &rng, &k) == 0 &&
            wc_ecc_sig_to_rs(der, n, r, &rl, s, &sl) == 0 && rl <= 32 && sl <= 32) {
            memset(sig, 0, 64);
            memcpy(sig + 32 - rl, r, rl);
            memcpy(sig + 64 - sl, s, sl);
            rc = SB_OK;
        }
        wc_ecc_free(&k);
    }
    wc_FreeRng(&rng);
    return rc;
}

static int es256_verify(const uint8_t *pub, size_t publen, const uint8_t *msg, size_t mlen,
                        const uint8_t sig[64])
{
    ecc_key k;
    uint8_t h[32], der[80];
    word32 n = sizeof der;
    int ok = 0, rc = SB_EAUTH;
    if (publen != 64) return SB_EAUTH;
    if (wc_Sha256Hash(msg, (word32)mlen, h) != 0) return SB_EIO;
    if (wc_ecc_rs_raw_to_sig(sig, 32, sig + 32, 32, der, &n) != 0) return SB_EAUTH;
    if (wc_ecc_init(&k) != 0) return SB_EIO;
    if (wc_ecc_import_unsigned(&k, pub, pub + 32, NULL, ECC_SECP256R1) == 0 &&
        wc_ecc_verify_hash(der, n, h, 32, &ok, &k) == 0 && ok == 1)
        rc = SB_OK;
    wc_ecc_free(&k);
    return rc;
}

static int ed_sign(const uint8_t *priv, const uint8_t *msg, size_t mlen, uint8_t sig[64])
{
    ed25519_key k;
    uint8_t pub[32];
    word32 n = 64;
    int rc = SB_EIO;
    if (wc_ed25519_init(&k) != 0) return SB_EIO;
    if (wc_ed25519_import_private_only(priv, 32, &k) == 0 &&
        wc_ed25519_make_public(&k, pub, 32) == 0 &&
        wc_ed25519_import_private_key(priv, 32, pub, 32, &k) == 0 &&
        wc_ed25519_sign_msg(msg, (word32)mlen, sig, &n, &k) == 0 && n == 64)
        rc = SB_OK;
    wc_ed25519_free(&k);
    return rc;
}

static int ed_verify(const uint8_t *pub, size_t publen, const uint8_t *msg, size_t mlen,
                     const uint8_t sig[64])
{
    ed25519_key k;
    int ok = 0, rc = SB_EAUTH;
    if (publen != 32) return SB_EAUTH;
    if (wc_ed25519_init(&k) != 0) return SB_EIO;
    if (wc_ed25519_import_public(pub, 32, &k) == 0 &&
        wc_ed25519_verify_msg(sig, 64, msg, (word32)mlen, &ok, &k) == 0 && ok == 1)
        rc = SB_OK;
    wc_ed25519_free(&k);
    return rc;
}

static int wolf_sign(int alg, const uint8_t *priv, const uint8_t *msg, size_t mlen,
                     uint8_t sig[64])
{
    if (alg == SB_COSE_ES256) return es256_sign(priv, msg, mlen, sig);
    if (alg == SB_COSE_EDDSA) return ed_sign(priv, msg, mlen, sig);
    return SB_EUNSUP;
}

static int wolf_verify(int alg, const uint8_t *pub, size_t publen, const uint8_t *msg,
                       size_t mlen, const uint8_t sig[64])
{
    if (alg == SB_COSE_ES256) return es256_verify(pub, publen, msg, mlen, sig);
    if (alg == SB_COSE_EDDSA) return ed_verify(pub, publen, msg, mlen, sig);
    return SB_EUNSUP;
}

const sb_ecc sb_ecc_wolfssl = {
    .name = "wolfssl",
    .keygen = wolf_keygen,
    .ecdh = wolf_ecdh,
    .sign = wolf_sign,
    .verify = wolf_verify,
};
