/* crypto.h: the crypto backends OSCORE and EDHOC run on, OpenSSL's libcrypto and wolfCrypt,
 * behind two small tables so the cost of each library can be compared on the same code.
 * Contract: caller-owned buffers; return SB_OK or a negative SB_E* code (SB_EAUTH when a tag
 * does not verify, SB_EUNSUP when the backend lacks an algorithm). An AEAD key is prepared
 * once (key schedule precomputed) and used for many messages; it is opaque and must be
 * released with aead_free. Symmetric part: crypto_openssl.c, crypto_wolfssl.c.
 * Asymmetric part (EDHOC): ecc_openssl.c, ecc_wolfssl.c. */
#ifndef SB_CRYPTO_H
#define SB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

/* COSE algorithm numbers (RFC 9053). */
enum {
    SB_COSE_AES_CCM_16_64_128 = 10, /* 16-byte key, 8-byte tag, 13-byte nonce */
    SB_COSE_AES_CCM_16_128_128 = 30,
    SB_COSE_A128GCM = 1,
    SB_COSE_ES256 = -7,
    SB_COSE_EDDSA = -8,
};

/* Curves for ECDH (COSE crv values). */
enum { SB_CRV_P256 = 1, SB_CRV_X25519 = 4, SB_CRV_ED25519 = 6 };

typedef struct sb_aead_key sb_aead_key;

typedef struct sb_crypto {
    const char *name; /* "openssl" | "wolfssl" */
    int (*sha256)(const uint8_t *in, size_t len, uint8_t out[32]);
    int (*hmac_sha256)(const uint8_t *key, size_t klen, const uint8_t *in, size_t len,
                       uint8_t out[32]);
    /* RFC 5869 with SHA-256. */
    int (*hkdf_extract)(const uint8_t *salt, size_t slen, const uint8_t *ikm, size_t ilen,
                        uint8_t prk[32]);
    int (*hkdf_expand)(const uint8_t *prk, size_t plen, const uint8_t *info, size_t ilen,
                       uint8_t *out, size_t olen);
    /* AEAD: alg is a COSE algorithm; key length implied by alg. */
    int (*aead_new)(sb_aead_key **out, int alg, const uint8_t *key, size_t klen);
    void (*aead_free)(sb_aead_key *k);
    /* out gets ciphertext || tag (ptlen + tag length). out may alias pt. */
    int (*aead_seal)(sb_aead_key *k, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                     size_t alen, const uint8_t *pt, size_t ptlen, uint8_t *out);
    /* in = ciphertext || tag, inlen includes the tag; out gets inlen - tag bytes. */
    int (*aead_open)(sb_aead_key *k, const uint8_t *nonce, size_t nlen, const uint8_t *aad,
                     size_t alen, const uint8_t *in, size_t inlen, uint8_t *out);
    int (*random)(uint8_t *out, size_t len);
} sb_crypto;

/* Asymmetric operations for EDHOC. Keys are raw: P-256 private = 32-byte scalar,
 * public = 32-byte x (EDHOC sends only x) or 64-byte x||y where stated; X25519/Ed25519 32. */
typedef struct sb_ecc {
    const char *name;
    /* New ephemeral key pair on crv: priv (32), pub x-coordinate / u (32). */
    int (*keygen)(int crv, uint8_t priv[32], uint8_t pub[32]);
    /* Shared secret (x-coordinate for P-256) of priv and the peer's 32-byte public value
     * (for P-256 the x-coordinate; the y sign is irrelevant to ECDH's x result). */
    int (*ecdh)(int crv, const uint8_t priv[32], const uint8_t peer_pub[32], uint8_t out[32]);
    /* ES256 (sig 64 bytes r||s) or EdDSA (64 bytes) over msg. pub for verify: P-256 64-byte
     * x||y, Ed25519 32 bytes. */
    int (*sign)(int alg, const uint8_t *priv, const uint8_t *msg, size_t mlen, uint8_t sig[64]);
    int (*verify)(int alg, const uint8_t *pub, size_t publen, const uint8_t *msg, size_t mlen,
                  const uint8_t sig[64]);
} sb_ecc;

/* Backends by name ("openssl", "wolfssl"); NULL when unknown or not built. */
const sb_crypto *sb_crypto_get(const char *name);
const sb_ecc *sb_ecc_get(const char *name);
#define SB_CRYPTO_DEFAULT "openssl"

#endif
