/* tls_common.h: everything the TLS/TCP family (tls.c) and the DTLS/UDP family (dtls.c) share:
 * id enumeration with availability probed from the libraries, options, and the session
 * operations that drive an adapter (tlslib.h) over the harness's sb_io.
 * Contract: a family file only says which protocol versions it carries; the id grammar is
 * PROTO-LIB-AUTH-CIPHER (tls1.2, tls1.3, dtls1.2, dtls1.3; openssl|wolfssl; psk|psk-ecdhe|ecdsa;
 * ccm8|gcm). Handshake and recv wait for input through sb_io_recv with the caller's deadline,
 * cut short by the DTLS retransmission timer, whose expiries are counted in io->retransmits.
 * Every send() is one record (one SSL_write / wolfSSL_write). A TLS 1.3 server writes its
 * NewSessionTicket inside handshake() (both libraries do when accept completes; test_tls
 * checks the first application record carries nothing else), so it is marked handshake. */
#ifndef SB_TLS_COMMON_H
#define SB_TLS_COMMON_H

#include "stack.h"

/* Options of the (D)TLS families (psk-identity, psk-key, no-cookie, tls-cert/key/ca). */
extern const sb_opt_def sb_tls_opts[];

/* Emit every id of `protocol` ("tls1.2", "tls1.3", "dtls1.2", "dtls1.3") for both libraries. */
void sb_tls_enumerate(const sb_family *f, const char *protocol, sb_emit_fn emit, void *arg);

int sb_tls_check(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap);
int sb_tls_ctx_new(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p, sb_role role,
                   char *err, size_t cap);
void sb_tls_ctx_free(sb_stack_ctx *c);
int sb_tls_open(sb_session **out, sb_stack_ctx *c, sb_io *io);
int sb_tls_handshake(sb_session *s, int64_t deadline_ns);
int sb_tls_send(sb_session *s, const uint8_t *msg, size_t len);
int sb_tls_recv(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline_ns);
int sb_tls_close(sb_session *s, int64_t deadline_ns);
void sb_tls_free(sb_session *s);

/* 1 if the session's handshake resumed an earlier session (abbreviated handshake / PSK from a
 * ticket), 0 otherwise. Only for sessions of the tls and dtls families. */
int sb_tls_session_resumed(const sb_session *s);
/* stack.h query: "resumed". */
int sb_tls_query(const sb_session *s, const char *what, int64_t *val);

#define SB_TLS_FAMILY_OPS                                                                        \
    .opts = sb_tls_opts, .check = sb_tls_check, .ctx_new = sb_tls_ctx_new,                      \
    .ctx_free = sb_tls_ctx_free, .open = sb_tls_open, .handshake = sb_tls_handshake,            \
    .send = sb_tls_send, .recv = sb_tls_recv, .close = sb_tls_close, .free = sb_tls_free, .query = sb_tls_query

#endif
