/* edhoc.h: EDHOC (RFC 9528), the lightweight authenticated key exchange that keys OSCORE.
 * Contract: a sans-I/O core, like the OSCORE core: no sockets, no clocks, no global state.
 * The caller moves the bytes (protocols/edhoc_stack.c carries them over CoAP, RFC 9528
 * Appendix A.2) and calls the initiator or responder steps in order; every step returns SB_OK
 * or a negative SB_E* code, and on a local failure the state holds the EDHOC error message
 * (RFC 9528 §6) to send in place of the next message (sb_edhoc_error_msg). Messages are written
 * into caller-owned buffers; credentials are borrowed and must outlive the state.
 * Supported: methods 0-3 (signature / static DH for each side), cipher suites 0, 1, 2, 3, 6
 * where the backends offer the algorithms, credentials by 'kid' (CWT Claims Set, RFC 8392)
 * and by 'x5t' (X.509 by SHA-256/64 hash, RFC 9360), EAD left empty (non-critical EAD items
 * received are ignored, critical ones refused), no message_4, EDHOC-Exporter (§4.2.1) for the
 * OSCORE master secret and salt (Appendix A.1). */
#ifndef SB_EDHOC_H
#define SB_EDHOC_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

enum { SB_EDHOC_INITIATOR = 0, SB_EDHOC_RESPONDER = 1 };
enum { SB_EDHOC_CRED_KID = 1, SB_EDHOC_CRED_X5T = 2 };
/* Error codes (RFC 9528 §6.1). */
enum { SB_EDHOC_ERR_UNSPECIFIED = 1, SB_EDHOC_ERR_WRONG_SUITE = 2, SB_EDHOC_ERR_UNKNOWN_CRED = 3 };

#define SB_EDHOC_MAX_CID 8
#define SB_EDHOC_MAX_SUITES 8
#define SB_EDHOC_MAX_CRED 1024 /* CCS or DER certificate */
#define SB_EDHOC_MAX_MSG 1400  /* any message this core writes */

/* A credential: CRED_x as it enters the transcript and its identifier ID_CRED_x. */
typedef struct sb_edhoc_cred {
    int type;           /* SB_EDHOC_CRED_KID (CCS) | SB_EDHOC_CRED_X5T (X.509) */
    const uint8_t *cred; /* CCS map (kid) or DER certificate (x5t); borrowed */
    size_t cred_len;
    uint8_t id[8];      /* kid bytes, or the x5t hash (SHA-256 truncated to 64 bits) */
    size_t id_len;
    int crv;            /* curve of the authentication key: SB_CRV_P256|X25519|ED25519 */
    uint8_t pub[64];    /* P-256: x||y (y zero if absent); X25519/Ed25519: 32 bytes */
    size_t pub_len;
} sb_edhoc_cred;

/* From a CWT Claims Set with a COSE_Key in its 'cnf' claim: kid, curve and public key. */
int sb_edhoc_cred_ccs(sb_edhoc_cred *c, const uint8_t *ccs, size_t len);
/* From a DER X.509 certificate with a P-256 or Ed25519 key: x5t hash (sha256 from cr). */
int sb_edhoc_cred_x509(sb_edhoc_cred *c, const sb_crypto *cr, const uint8_t *der, size_t len);

typedef struct sb_edhoc_config {
    const sb_crypto *crypto;
    const sb_ecc *ecc;
    /* Initiator: the method it starts. Responder: the one method it accepts (its key pair is
     * either a signature key or a static DH key). */
    int method;
    /* Initiator: the suites it supports, most preferred first; SUITES_I offers suites[0..sel]
     * with suites[sel] selected. Responder: the suites it supports, most preferred first. */
    int suites[SB_EDHOC_MAX_SUITES];
    size_t nsuites;
    size_t sel;
    const uint8_t *cid; /* own connection identifier (C_I or C_R), raw bytes */
    size_t cid_len;
    const sb_edhoc_cred *own; /* own credential */
    const uint8_t *own_priv;  /* its private key: 32 bytes (signature or static DH key) */
    const sb_edhoc_cred *peers; /* credentials the peer may present, looked up by ID_CRED */
    size_t npeers;
} sb_edhoc_config;

typedef struct sb_edhoc sb_edhoc;

/* The configuration is copied (the pointers in it are borrowed). */
int sb_edhoc_new(sb_edhoc **out, const sb_edhoc_config *cfg, int role);
void sb_edhoc_free(sb_edhoc *e);

/* Initiator steps. */
int sb_edhoc_i_msg1(sb_edhoc *e, uint8_t *out, size_t cap, size_t *len);
/* message_2, or an EDHOC error in its place: then SB_EPROTO and sb_edhoc_peer_error() > 0. */
int sb_edhoc_i_msg2(sb_edhoc *e, const uint8_t *m2, size_t len);
int sb_edhoc_i_msg3(sb_edhoc *e, uint8_t *out, size_t cap, size_t *len);

/* Responder steps. */
int sb_edhoc_r_msg1(sb_edhoc *e, const uint8_t *m1, size_t len);
int sb_edhoc_r_msg2(sb_edhoc *e, uint8_t *out, size_t cap, size_t *len);
int sb_edhoc_r_msg3(sb_edhoc *e, const uint8_t *m3, size_t len);

/* 1 once the handshake completed (initiator: message_3 written; responder: verified). */
int sb_edhoc_done(const sb_edhoc *e);

/* The EDHOC error message to send after a failed step; SB_ENOTFOUND when none is pending. */
int sb_edhoc_error_msg(const sb_edhoc *e, uint8_t *out, size_t cap, size_t *len);
/* One-line reason of the last failure ("" if none). */
const char *sb_edhoc_reason(const sb_edhoc *e);
/* ERR_CODE of an error message received from the peer (0: none); for code 2 its SUITES_R. */
int sb_edhoc_peer_error(const sb_edhoc *e);
size_t sb_edhoc_peer_suites(const sb_edhoc *e, int *suites, size_t cap);

/* Parse an EDHOC error message (RFC 9528 §6): code, SUITES_R (code 2), DIAG_MSG (code 1). */
int sb_edhoc_parse_error(const uint8_t *msg, size_t len, int *code, int *suites, size_t *nsuites,
                         char *diag, size_t diag_cap);
/* Encode an error message: code 1 with diag, or code 2 with suites. */
int sb_edhoc_write_error(int code, const char *diag, const int *suites, size_t nsuites,
                         uint8_t *out, size_t cap, size_t *len);
/* Index in `mine` (preference order) of the first suite the peer's SUITES_R also lists:
 * the `sel` for a new attempt (RFC 9528 §6.3.2); SB_ENOTFOUND when there is none. */
int sb_edhoc_pick_suite(const int *mine, size_t n, const int *peer, size_t npeer);

/* After the handshake. sb_edhoc_cids also answers as soon as both identifiers are known
 * (initiator: once PLAINTEXT_2 was read), so that an error can be sent after C_R. */
int sb_edhoc_cids(const sb_edhoc *e, const uint8_t **c_i, size_t *c_i_len, const uint8_t **c_r,
                  size_t *c_r_len);
int sb_edhoc_suite(const sb_edhoc *e); /* selected cipher suite */
/* EDHOC_Exporter(label, context, length) (RFC 9528 §4.2.1). */
int sb_edhoc_exporter(const sb_edhoc *e, unsigned label, const uint8_t *ctx, size_t ctx_len,
                      uint8_t *out, size_t len);
/* OSCORE Master Secret (16 bytes) and Master Salt (8 bytes), RFC 9528 Appendix A.1; the
 * Sender ID of this endpoint is the peer's connection identifier and vice versa (§3.3.3). */
int sb_edhoc_oscore(const sb_edhoc *e, uint8_t secret[16], uint8_t salt[8]);
/* Application AEAD of the selected suite (COSE algorithm), for the OSCORE context. */
int sb_edhoc_app_aead(const sb_edhoc *e);

/* Connection identifier encoding (RFC 9528 §3.3.2): a 1-byte id that is itself the
 * encoding of an int in -24..23 travels as that int; anything else as a bstr. */
int sb_edhoc_cid_is_int(const uint8_t *cid, size_t len);

/* TEST ONLY: inject the ephemeral key pair (RFC 9529 traces) before message_1 / message_2.
 * Production code never calls this; the ephemeral otherwise comes from sb_ecc keygen. */
int sb_edhoc_test_set_ephemeral(sb_edhoc *e, const uint8_t priv[32], const uint8_t pub[32]);
/* TEST ONLY: intermediate values for checking against the traces. */
enum {
    SB_EDHOC_V_TH2, SB_EDHOC_V_PRK2E, SB_EDHOC_V_KEYSTREAM2, SB_EDHOC_V_PRK3E2M,
    SB_EDHOC_V_MAC2, SB_EDHOC_V_SIGMAC2, SB_EDHOC_V_PLAINTEXT2, SB_EDHOC_V_TH3,
    SB_EDHOC_V_PRK4E3M, SB_EDHOC_V_MAC3, SB_EDHOC_V_SIGMAC3, SB_EDHOC_V_PLAINTEXT3,
    SB_EDHOC_V_K3, SB_EDHOC_V_IV3, SB_EDHOC_V_TH4, SB_EDHOC_V_PRKOUT, SB_EDHOC_V_PRKEXPORTER,
    SB_EDHOC_V_GXY, SB_EDHOC_V_COUNT
};
int sb_edhoc_test_value(const sb_edhoc *e, int which, const uint8_t **p, size_t *len);

/* Stack side (edhoc_stack.c): the sizes of message_1..3 of a session's handshake as sent
 * (EDHOC bytes, without CoAP or the C_R / CBOR true prefixes), 0 when not exchanged. */
struct sb_session;
int sb_edhoc_session_msg_sizes(const struct sb_session *s, size_t out[3]);

#endif
