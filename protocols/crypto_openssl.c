/* crypto_openssl.c: the symmetric sb_crypto table on OpenSSL 3 libcrypto.
 * AEAD keys hold one fetched EVP_CIPHER and two EVP_CIPHER_CTX (seal, open) whose key
 * schedule is set once in aead_new; each message only sets the nonce (EVP_*Init_ex with a
 * NULL cipher and key keeps the schedule), so per-message cost is the cipher itself. */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "../bench/util.h"
#include "crypto.h"

struct sb_aead_key {
    int ccm; /* CCM needs the total length and tag up front; GCM does not */
    size_t nlen, tlen;
    EVP_CIPHER *cipher;
    EVP_CIPHER_CTX *enc, *dec;
};

static int ossl_sha256(const uint8_t *in, size_t len, uint8_t out[32])
{
    unsigned int n = 32;
    return EVP_Digest(in, len, out, &n, EVP_sha256(), NULL) == 1 ? SB_OK : SB_EIO;
}

static int ossl_hmac(const uint8_t *key, size_t klen, const uint8_t *in, size_t len,
                     uint8_t out[32])
{
    static const uint8_t zero = 0; /* HMAC() takes NULL as "no key"; an empty key is valid */
    unsigned int n = 32;
    return HMAC(EVP_sha256(), klen ? key : &zero, (int)klen, in, len, out, &n) ? SB_OK : SB_EIO;
}

/* RFC 5869 through OpenSSL's HKDF KDF, in EXTRACT_ONLY or EXPAND_ONLY mode. */
static int ossl_hkdf(int mode, const uint8_t *key, size_t klen, const uint8_t *salt,
                     size_t slen, const uint8_t *info, size_t ilen, uint8_t *out, size_t olen)
{
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
    EVP_KDF_CTX *kc = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    EVP_KDF_free(kdf);
    if (!kc) return SB_EIO;
    OSSL_PARAM ps[6], *p = ps;
    *p++ = OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode);
    *p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
    *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)key, klen);
    if (slen) *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, slen);
    if (ilen) *p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, ilen);
    *p = OSSL_PARAM_construct_end();
    int ok = EVP_KDF_derive(kc, out, olen, ps) == 1;
    EVP_KDF_CTX_free(kc);
    return ok ? SB_OK : SB_EIO;
}

static int ossl_hkdf_extract(const uint8_t *salt, size_t slen, const uint8_t *ikm, size_t ilen,
                             uint8_t prk[32])
{
    return ossl_hkdf(EVP_KDF_HKDF_MODE_EXTRACT_ONLY, ikm, ilen, salt, slen, NULL, 0, prk, 32);
}

static int ossl_hkdf_expand(const uint8_t *prk, size_t plen, const uint8_t *info, size_t ilen,
                            uint8_t *out, size_t olen)
{
    if (olen > 255 * 32) return SB_EINVAL;
    return ossl_hkdf(EVP_KDF_HKDF_MODE_EXPAND_ONLY, prk, plen, NULL, 0, info, ilen, out, olen);
}

static void ossl_aead_free(sb_aead_key *k)
{
    if (!k) return;
    EVP_CIPHER_CTX_free(k->enc);
    EVP_CIPHER_CTX_free(k->dec);
    EVP_CIPHER_free(k->cipher);
    free(k);
}

static int setup_ctx(sb_aead_key *k, EVP_CIPHER_CTX *c, int enc, const uint8_t *key)
{
    if (EVP_CipherInit_ex(c, k->cipher, NULL, NULL, NULL, enc) != 1) return 0;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, (int)k->nlen, NULL) != 1) return 0;
    if (k->ccm && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)k->tlen, NULL) != 1)
        return 0;
    return EVP_CipherInit_ex(c, NULL, NULL, key, NULL, enc) == 1;
}

static int ossl_aead_new(sb_aead_key **out, int alg, const uint8_t *key, size_t klen)
{
    const char *name;
    size_t nlen, tlen;
    switch (alg) { /* RFC 9053 §4.1, §4.2 */
    case SB_COSE_AES_CCM_16_64_128: name = "AES-128-CCM", nlen = 13, tlen = 8; break;
    case SB_COSE_AES_CCM_16_128_128: name = "AES-128-CCM", nlen = 13, tlen = 16; break;
    case SB_COSE_A128GCM: name = "AES-128-GCM", nlen = 12, tlen = 16; break;
    default: return SB_EUNSUP;
    }
    if (klen != 16) return SB_EINVAL;
    sb_aead_key *k = calloc(1, sizeof *k);
    if (!k) return SB_ENOMEM;
    k->ccm = alg != SB_COSE_A128GCM;
    k->nlen = nlen;
    k->tlen = tlen;
    k->cipher = EVP_CIPHER_fetch(NULL, name, NULL);
    k->enc = EVP_CIPHER_CTX_new();
    k->dec = EVP_CIPHER_CTX_new();
    if (!k->cipher || !k->enc || !k->dec || !setup_ctx(k, k->enc, 1, key) ||
        !setup_ctx(k, k->dec, 0, key)) {
        ossl_aead_free(k);
        return SB_EIO;
    }
    *out = k;
    return SB_OK;
}

static int ossl_aead_seal(sb_aead_key *k, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                          size_t alen, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
    if (nlen != k->nlen || ptlen > INT32_MAX || alen > INT32_MAX) return SB_EINVAL;
    EVP_CIPHER_CTX *c = k->enc;
    int n;
    if (EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) != 1) return SB_EIO;
    if (k->ccm && EVP_EncryptUpdate(c, NULL, &n, NULL, (int)ptlen) != 1) return SB_EIO;
    if (alen && EVP_EncryptUpdate(c, NULL, &n, aad, (int)alen) != 1) return SB_EIO;
    /* CCM needs one Update call even for an empty plaintext to compute the tag. */
    if ((ptlen || k->ccm) && EVP_EncryptUpdate(c, out, &n, pt, (int)ptlen) != 1) return SB_EIO;
    if (EVP_EncryptFinal_ex(c, out + ptlen, &n) != 1) return SB_EIO;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, (int)k->tlen, out + ptlen) != 1)
        return SB_EIO;
    return SB_OK;
}

static int ossl_aead_open(sb_aead_key *k, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                          size_t alen, const uint8_t *in, size_t inlen, uint8_t *out)
{
    if (nlen != k->nlen || inlen < k->tlen || inlen > INT32_MAX || alen > INT32_MAX)
        return inlen < k->tlen ? SB_EAUTH : SB_EINVAL;
    EVP_CIPHER_CTX *c = k->dec;
    size_t ctlen = inlen - k->tlen;
    uint8_t tag[16];
    memcpy(tag, in + ctlen, k->tlen); /* out may alias in */
    int n;
    if (EVP_DecryptInit_ex(c, NULL, NULL, NULL, nonce) != 1) return SB_EIO;
    if (k->ccm) {
        if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)k->tlen, tag) != 1) return SB_EIO;
        if (EVP_DecryptUpdate(c, NULL, &n, NULL, (int)ctlen) != 1) return SB_EIO;
    }
    if (alen && EVP_DecryptUpdate(c, NULL, &n, aad, (int)alen) != 1) return SB_EIO;
    if (k->ccm) /* CCM verifies the tag inside this call */
        return EVP_DecryptUpdate(c, out, &n, in, (int)ctlen) == 1 ? SB_OK : SB_EAUTH;
    if (ctlen && EVP_DecryptUpdate(c, out, &n, in, (int)ctlen) != 1) return SB_EIO;
    if (EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, (int)k->tlen, tag) != 1) return SB_EIO;
    return EVP_DecryptFinal_ex(c, out + ctlen, &n) == 1 ? SB_OK : SB_EAUTH;
}

static int ossl_random(uint8_t *out, size_t len)
{
    return RAND_bytes(out, (int)len) == 1 ? SB_OK : SB_EIO;
}

const sb_crypto sb_crypto_openssl = {
    .name = "openssl",
    .sha256 = ossl_sha256,
    .hmac_sha256 = ossl_hmac,
    .hkdf_extract = ossl_hkdf_extract,
    .hkdf_expand = ossl_hkdf_expand,
    .aead_new = ossl_aead_new,
    .aead_free = ossl_aead_free,
    .aead_seal = ossl_aead_seal,
    .aead_open = ossl_aead_open,
    .random = ossl_random,
};
