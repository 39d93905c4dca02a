/* crypto_wolfssl.c: the symmetric sb_crypto table on wolfCrypt (wolfSSL 5.5.4).
 * An AEAD key is one wolfCrypt Aes object whose key schedule is set once in aead_new. */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"
#include "crypto.h"

struct sb_aead_key {
    Aes aes;
    int ccm;
    size_t nlen, tlen;
};

static int wc_sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
    return wc_Sha256Hash(in, (word32)len, out) == 0 ? SB_OK : SB_EIO;
}

static int wc_hmac(const uint8_t *key, size_t klen, const uint8_t *in, size_t len,
                   uint8_t out[32])
{
    Hmac h;
    int rc = wc_HmacInit(&h, NULL, INVALID_DEVID);
    if (rc == 0) rc = wc_HmacSetKey(&h, WC_SHA256, key, (word32)klen);
    if (rc == 0) rc = wc_HmacUpdate(&h, in, (word32)len);
    if (rc == 0) rc = wc_HmacFinal(&h, out);
    wc_HmacFree(&h);
    return rc == 0 ? SB_OK : SB_EIO;
}

static int wc_hkdf_extract(const uint8_t *salt, size_t slen, const uint8_t *ikm, size_t ilen,
                           uint8_t prk[32])
{
    return wc_HKDF_Extract(WC_SHA256, salt, (word32)slen, ikm, (word32)ilen, prk) == 0 ? SB_OK
                                                                                       : SB_EIO;
}

static int wc_hkdf_expand(const uint8_t *prk, size_t plen, const uint8_t *info, size_t ilen,
                          uint8_t *out, size_t olen)
{
    if (olen > 255 * 32) return SB_EINVAL;
    return wc_HKDF_Expand(WC_SHA256, prk, (word32)plen, info, (word32)ilen, out, (word32)olen) == 0
               ? SB_OK
               : SB_EIO;
}

static void wc_aead_free(sb_aead_key *k)
{
    if (!k) return;
    wc_AesFree(&k->aes);
    free(k);
}

static int wc_aead_new(sb_aead_key **out, int alg, const uint8_t *key, size_t klen)
{
    sb_aead_key *k = calloc(1, sizeof *k);
    if (!k) return SB_ENOMEM;
    switch (alg) { /* RFC 9053 §4.1, §4.2 */
    case SB_COSE_AES_CCM_16_64_128: k->ccm = 1, k->nlen = 13, k->tlen = 8; break;
    case SB_COSE_AES_CCM_16_128_128: k->ccm = 1, k->nlen = 13, k->tlen = 16; break;
    case SB_COSE_A128GCM: k->ccm = 0, k->nlen = 12, k->tlen = 16; break;
    default: free(k); return SB_EUNSUP;
    }
    if (klen != 16) {
        free(k);
        return SB_EINVAL;
    }
    int rc = wc_AesInit(&k->aes, NULL, INVALID_DEVID);
    if (rc == 0)
        rc = k->ccm ? wc_AesCcmSetKey(&k->aes, key, (word32)klen)
                    : wc_AesGcmSetKey(&k->aes, key, (word32)klen);
    if (rc != 0) {
        wc_aead_free(k);
        return SB_EIO;
    }
    *out = k;
    return SB_OK;
}

static int wc_aead_seal(sb_aead_key *k, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                        size_t alen, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
    if (nlen != k->nlen) return SB_EINVAL;
    uint8_t tag[16];
    int rc = k->ccm ? wc_AesCcmEncrypt(&k->aes, out, pt, (word32)ptlen, nonce, (word32)nlen, tag,
                                       (word32)k->tlen, aad, (word32)alen)
                    : wc_AesGcmEncrypt(&k->aes, out, pt, (word32)ptlen, nonce, (word32)nlen, tag,
                                       (word32)k->tlen, aad, (word32)alen);
    if (rc != 0) return SB_EIO;
    memcpy(out + ptlen, tag, k->tlen);
    return SB_OK;
}

static int wc_aead_open(sb_aead_key *k, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                        size_t alen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    if (inlen < k->tlen) return SB_EAUTH;
    if (nlen != k->nlen) return SB_EINVAL;
    size_t ctlen = inlen - k->tlen;
    uint8_t tag[16];
    memcpy(tag, in + ctlen, k->tlen); /* out may alias in */
    int rc = k->ccm ? wc_AesCcmDecrypt(&k->aes, out, in, (word32)ctlen, nonce, (word32)nlen, tag,
                                       (word32)k->tlen, aad, (word32)alen)
                    : wc_AesGcmDecrypt(&k->aes, out, in, (word32)ctlen, nonce, (word32)nlen, tag,
                                       (word32)k->tlen, aad, (word32)alen);
    if (rc == AES_CCM_AUTH_E || rc == AES_GCM_AUTH_E) return SB_EAUTH;
    return rc == 0 ? SB_OK : SB_EIO;
}

static int wc_random(uint8_t *out, size_t len)
{
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0) return SB_EIO;
    int rc = wc_RNG_GenerateBlock(&rng, out, (word32)len);
    wc_FreeRng(&rng);
    return rc == 0 ? SB_OK : SB_EIO;
}

const sb_crypto sb_crypto_wolfssl = {
    .name = "wolfssl",
    .sha256 = wc_sha256,
    .hmac_sha256 = wc_hmac,
    .hkdf_extract = wc_hkdf_extract,
    .hkdf_expand = wc_hkdf_expand,
    .aead_new = wc_aead_new,
    .aead_free = wc_aead_free,
    .aead_seal = wc_aead_seal,
    .aead_open = wc_aead_open,
    .random = wc_random,
};
