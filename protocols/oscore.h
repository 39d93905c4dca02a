/* oscore.h: OSCORE (RFC 8613) on whole CoAP messages in UDP framing (RFC 7252 §3).
 * Contract: no sockets, no clocks, no file I/O. One context = one Sender and one Recipient
 * Context derived from a master secret (§3.2) with HKDF-SHA-256 on the crypto backend given
 * per context (OpenSSL or wolfCrypt), so both libraries' costs compare on the same code.
 * Every buffer is the caller's (output buffers must not overlap the input); functions return
 * SB_OK or a negative SB_E* code.
 * A request's (kid, Partial IV) binding, needed to protect or verify its response (§5.4,
 * §8.3), is handed back to the caller in an sb_oscore_req; the context keeps no per-request
 * state. Options go Inner (class E) or Outer (class U) per §4.1 (Figure 5); a Proxy-Uri is
 * decomposed (§4.1.3.3: path and query Inner, "scheme://authority" Outer) and joined back on
 * reception; a notification's Inner Observe is empty (§4.1.3.5.2). The replay window is §7.4's sliding window (32 sequence
 * numbers, like RFC 6347 §4.1.2.6). The optional Echo challenge follows RFC 8613 Appendix
 * B.1.2 with the Echo option of RFC 9175. */
#ifndef SB_OSCORE_H
#define SB_OSCORE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

#define SB_OSCORE_MAX_ID 7       /* nonce length 13 - 6 (§5.2); 6 for A128GCM */
#define SB_OSCORE_MAX_IDCTX 64   /* our limit; the option allows 255 */
#define SB_OSCORE_MAX_SECRET 64
#define SB_OSCORE_MAX_PIV 5      /* §6.1: n <= 5 */
#define SB_OSCORE_MAX_SEQ ((1ULL << 40) - 1) /* §7.2.1: 2^40 - 1 */
#define SB_OSCORE_REPLAY_WINDOW 32
#define SB_OSCORE_ECHO_LEN 8     /* Echo values we issue (RFC 9175 §2.2: at most 40) */

/* unprotect_request returns this (> 0) when the Echo challenge was written to out. */
#define SB_OSCORE_CHALLENGE 1

typedef struct sb_oscore_ctx sb_oscore_ctx;

typedef struct sb_oscore_config {
    const sb_crypto *crypto;  /* NULL: SB_CRYPTO_DEFAULT */
    int alg;                  /* COSE AEAD; 0: AES-CCM-16-64-128 (10) */
    const uint8_t *secret;
    size_t secret_len;
    const uint8_t *salt; /* NULL/0: no salt (§3.2: empty byte string) */
    size_t salt_len;
    const uint8_t *id_context; /* NULL: none (nil in the info, §3.2.1) */
    size_t id_context_len;
    int send_id_context; /* put the ID Context in every request's OSCORE option */
    const uint8_t *sender_id;
    size_t sender_id_len;
    const uint8_t *recipient_id;
    size_t recipient_id_len;
    int echo; /* server: challenge the first request with Echo (Appendix B.1.2) */
} sb_oscore_config;

/* A request's binding: its kid (the client's Sender ID) and Partial IV. */
typedef struct sb_oscore_req {
    uint8_t kid[SB_OSCORE_MAX_ID];
    uint8_t kid_len;
    uint8_t piv[SB_OSCORE_MAX_PIV];
    uint8_t piv_len;
} sb_oscore_req;

/* Derive keys and Common IV (§3.2). err gets a one-line reason on failure. */
int sb_oscore_new(sb_oscore_ctx **out, const sb_oscore_config *cfg, char *err, size_t cap);
void sb_oscore_free(sb_oscore_ctx *c);

/* Sender Sequence Number: the next one protect will use. */
uint64_t sb_oscore_seq(const sb_oscore_ctx *c);
int sb_oscore_set_seq(sb_oscore_ctx *c, uint64_t seq); /* SB_EINVAL above 2^40 - 1 */
/* Derived material, for tests: keys (key_len each) and Common IV (nonce_len). */
void sb_oscore_keys(const sb_oscore_ctx *c, const uint8_t **sender_key,
                    const uint8_t **recipient_key, const uint8_t **common_iv, size_t *key_len,
                    size_t *nonce_len);
/* The AEAD nonce for (id, piv) (§5.2); out has nonce_len bytes. */
int sb_oscore_nonce(const sb_oscore_ctx *c, const uint8_t *id, size_t id_len,
                    const uint8_t *piv, size_t piv_len, uint8_t *out);

/* Protect a request with the next sequence number; req gets its binding. */
int sb_oscore_protect_request(sb_oscore_ctx *c, const uint8_t *msg, size_t len, uint8_t *out,
                              size_t cap, size_t *out_len, sb_oscore_req *req);
/* Protect a response to req: with own_piv the response carries the next sequence number
 * as its own Partial IV (§8.3), else it reuses the request's nonce. */
int sb_oscore_protect_response(sb_oscore_ctx *c, const sb_oscore_req *req, int own_piv,
                               const uint8_t *msg, size_t len, uint8_t *out, size_t cap,
                               size_t *out_len);

/* Verify a request (§8.2). On SB_OK out holds the plaintext request and req its binding.
 * On failure *err_code (may be NULL) gets the CoAP code of §8.2's error response
 * (4.02 undecodable COSE, 4.01 unknown context or replay, 4.00 decryption failure) and the
 * return value says why: SB_EPROTO, SB_ENOTFOUND, SB_EREPLAY, SB_EAUTH.
 * With the Echo challenge on, a fresh context answers SB_OSCORE_CHALLENGE: out then holds
 * the protected 4.01 response carrying Echo, to send back (the request is not delivered). */
int sb_oscore_unprotect_request(sb_oscore_ctx *c, const uint8_t *in, size_t len, uint8_t *out,
                                size_t cap, size_t *out_len, sb_oscore_req *req,
                                uint8_t *err_code);
/* Verify the response to req (§8.4). SB_EPROTO when malformed, SB_EAUTH when it does not
 * verify. */
int sb_oscore_unprotect_response(sb_oscore_ctx *c, const sb_oscore_req *req, const uint8_t *in,
                                 size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* The unprotected error response of §8.2 to the message `req` (ACK if it was CON, same
 * MID and token, Outer Max-Age 0, diag as payload; NULL for none). SB_EINVAL when req
 * cannot be answered (not a CON/NON request, or no readable header). */
int sb_oscore_error_response(const uint8_t *req, size_t len, uint8_t code, const char *diag,
                             uint8_t *out, size_t cap, size_t *out_len);
/* §8.2's diagnostic text for an unprotect_request failure code. */
const char *sb_oscore_diag(int rc);

/* 1 when the plaintext response is a 4.01 carrying Echo (value copied to echo), else 0. */
int sb_oscore_echo_challenge(const uint8_t *resp, size_t len, uint8_t *echo, size_t cap,
                             size_t *echo_len);
/* The plaintext request msg with an Echo option added (RFC 9175 §2.3). */
int sb_oscore_add_echo(const uint8_t *msg, size_t len, const uint8_t *echo, size_t echo_len,
                       uint8_t *out, size_t cap, size_t *out_len);

/* The OSCORE option value (§6.1), decoded; pointers into the value. */
typedef struct sb_oscore_opt {
    const uint8_t *piv, *kid, *kid_ctx;
    size_t piv_len, kid_len, kid_ctx_len;
    int has_kid, has_kid_ctx;
} sb_oscore_opt;
int sb_oscore_opt_parse(const uint8_t *val, size_t len, sb_oscore_opt *o);

/* Option class of §4.1: 'E' (Inner only), 'U' (Outer only) or 'B' (both, e.g. Observe). */
char sb_oscore_opt_class(uint16_t num);

#endif
