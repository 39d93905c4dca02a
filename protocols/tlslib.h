/* tlslib.h: what secbench needs from a TLS library, implemented by the thin adapters
 * lib_openssl.c and lib_wolfssl.c and driven by tls_common.c (internal to the (D)TLS stacks).
 * Contract: an adapter never touches sockets or clocks. It moves records through an
 * sb_tls_pipe: writes go straight to the harness's sb_io (one library write = one sb_io_send,
 * i.e. one TCP write or one datagram); reads come from bytes tls_common put in the pipe, and
 * when the pipe is empty the library sees "would block" and the operation returns SB_EAGAIN so
 * tls_common can wait on the socket (honouring the deadline and the DTLS timer) and retry.
 * Failures return an SB_E* code and write the library's own reason into err. */
#ifndef SB_TLSLIB_H
#define SB_TLSLIB_H

#include <stddef.h>
#include <stdint.h>

#include "../bench/io.h"
#include "stack.h"

typedef enum { SB_TLS_PSK = 0, SB_TLS_PSK_ECDHE = 1, SB_TLS_ECDSA = 2 } sb_tls_auth;
typedef enum { SB_TLS_CCM8 = 0, SB_TLS_GCM = 1 } sb_tls_cipher;

#define SB_TLS_PATH 512
#define SB_TLS_PSK_MAX 64
#define SB_TLS_ID_MAX 128

typedef struct sb_tls_cfg {
    int version; /* 12 or 13 (DTLS 1.2 is version 12 with dtls set) */
    int dtls;
    sb_tls_auth auth;
    sb_tls_cipher cipher;
    sb_role role;
    int cookie; /* DTLS server: HelloVerifyRequest exchange */
    char psk_identity[SB_TLS_ID_MAX];
    uint8_t psk[SB_TLS_PSK_MAX];
    size_t psk_len;
    char ca[SB_TLS_PATH], cert[SB_TLS_PATH], key[SB_TLS_PATH]; /* PEM files (ecdsa) */
} sb_tls_cfg;

/* The byte pipe between a library and the harness's sb_io (tls_common.c). */
#define SB_TLS_PIPE_CAP (18 * 1024) /* one maximal TLS/DTLS record (2^14 + expansion) */
typedef struct sb_tls_pipe {
    sb_io *io;
    uint8_t buf[SB_TLS_PIPE_CAP];
    size_t off, len; /* unread input: buf[off .. len) */
    int datagram;    /* UDP: one read returns at most one datagram */
    int send_code;   /* last failed write: its code and reason (kept out of io->err, so */
    char send_err[256]; /* the library's own reason, e.g. a parse error, comes first) */
} sb_tls_pipe;

/* Library I/O hooks. read: SB_EAGAIN when empty; write: sb_io_send's result. */
int sb_tls_pipe_read(sb_tls_pipe *p, uint8_t *buf, size_t cap, size_t *got);
int sb_tls_pipe_write(sb_tls_pipe *p, const uint8_t *buf, size_t len);
/* The peer's address bytes (for DTLS cookies); returns their length, 0 if unknown. */
size_t sb_tls_pipe_peer(const sb_tls_pipe *p, uint8_t *out, size_t cap);

typedef struct sb_tlslib {
    const char *name; /* "openssl" | "wolfssl", the LIB field of stack ids */
    /* Can this library run cfg in its role c->role? SB_OK, or SB_EUNSUP with the precise reason. */
    int (*probe)(const sb_tls_cfg *c, char *why, size_t cap);
    /* Per endpoint: library context, session cache / kept client session, ticket keys. */
    int (*ctx_new)(void **out, const sb_tls_cfg *c, char *err, size_t cap);
    void (*ctx_free)(void *ctx);
    /* One connection over pipe; a client offers the session kept in ctx, if any. */
    int (*conn_new)(void **out, void *ctx, sb_tls_pipe *pipe, char *err, size_t cap);
    /* Client: keeps the connection's session in its ctx for resumption, then frees. */
    void (*conn_free)(void *conn);
    /* SB_OK when complete, SB_EAGAIN when the library waits for input, or an error. */
    int (*handshake)(void *conn, char *err, size_t cap);
    /* Application data: SB_OK with *got >= 0 bytes (0: a non-data record was consumed),
     * SB_EAGAIN, SB_ECLOSED on close_notify, or an error. */
    int (*read)(void *conn, uint8_t *buf, size_t cap, size_t *got, char *err, size_t ecap);
    /* Exactly one record holding buf. */
    int (*write)(void *conn, const uint8_t *buf, size_t len, char *err, size_t ecap);
    /* Send close_notify (no wait for the peer's). */
    int (*shutdown)(void *conn);
    /* DTLS: absolute sb_now_ns() time when the retransmission timer fires, 0 if not running. */
    int64_t (*timer)(void *conn);
    /* DTLS timer fired: 1 if a flight was retransmitted, 0 if nothing to do, <0 error. */
    int (*timeout)(void *conn);
    int (*resumed)(const void *conn);
} sb_tlslib;

extern const sb_tlslib sb_tlslib_openssl, sb_tlslib_wolfssl;

#endif
