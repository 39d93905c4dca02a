/* stack.h: the one interface every stack implements (plain CoAP, (D)TLS, OSCORE, EDHOC).
 * Contract: a stack turns CoAP messages into transport bytes and back, over an sb_io the
 * harness gives it. It never opens sockets, never sleeps, never reads clocks except to honour
 * the deadline it is given. CoAP messaging (CON retransmission, CSM, stream reassembly) lives
 * once in bench/workload.c; a stack only says which framing it carries and whether its
 * transport is reliable.
 *
 * A family (one file in protocols/) builds many stack ids: it enumerates them with their
 * availability in this build, and implements the session operations. Adding a stack = one
 * family file + one line in protocols/registry.c.
 *
 * Stack ids: coap | coap+tcp | dtls1.2-LIB-AUTH-CIPHER | tls1.2-LIB-AUTH-CIPHER |
 *   tls1.3-LIB-AUTH-CIPHER | oscore[-LIB] | oscore+dtls1.2-LIB-AUTH-CIPHER | edhoc-mM-sS[-LIB]
 * LIB: openssl | wolfssl. AUTH: psk | psk-ecdhe | ecdsa. CIPHER: ccm8 | gcm. */
#ifndef SB_STACK_H
#define SB_STACK_H

#include <stddef.h>
#include <stdint.h>

#include "../bench/coapmsg.h"
#include "../bench/io.h"

typedef enum { SB_ROLE_CLIENT = 0, SB_ROLE_SERVER = 1 } sb_role;

/* Options a family reads, declared by the family so the CLI parses, documents and
 * validates them without knowing the family. `arg` NULL = flag. */
typedef struct sb_opt_def {
    const char *name; /* without the leading "--" */
    const char *arg;  /* e.g. "HEX", or NULL for a flag */
    const char *help; /* one line, with the default */
} sb_opt_def;

/* The options of one run, as given on the command line (opaque key/value store). */
typedef struct sb_params sb_params;
const char *sb_params_get(const sb_params *p, const char *name); /* NULL if absent, "" flag */
int sb_params_flag(const sb_params *p, const char *name);
/* Decode a hex option into out; returns length, dflt_len copied from dflt when absent,
 * SB_EINVAL on bad hex, SB_ESPACE when too long. */
int sb_params_hex(const sb_params *p, const char *name, const uint8_t *dflt, size_t dflt_len,
                  uint8_t *out, size_t cap);

typedef struct sb_family sb_family;

typedef struct sb_stack_desc {
    char id[64];
    char protocol[24]; /* coap, coap+tcp, dtls1.2, tls1.2, tls1.3, oscore, oscore+dtls1.2, edhoc */
    char library[16];  /* none | openssl | wolfssl */
    char auth[16];     /* none | psk | psk-ecdhe | ecdsa | edhoc: mM */
    char cipher[16];   /* none | ccm8 | gcm | edhoc: sS */
    sb_transport transport;
    sb_framing framing;     /* CoAP framing handed to send() and returned by recv() */
    size_t record_overhead; /* per message: record header, explicit nonce, inner content type
                               (not the tag); for the per-layer breakdown */
    int has_sessions;       /* a security session exists: `resumed` is meaningful */
    /* What a CoAP proxy between client and server terminates for this stack, i.e. its
     * hop-by-hop part: "" = the stack itself ((D)TLS, plain CoAP); "coap" for OSCORE (the proxy
     * forwards OSCORE messages holding no key); the inner DTLS id for oscore+dtls1.2. */
    char hop_stack[64];
    int available;
    char reason[200];     /* why not available */
    int server_available; /* its server role runs here; may be so for an id unavailable as a
                             pair (another library's client can use it: --server-lib) */
    const sb_family *family;
    int variant; /* family-private */
} sb_stack_desc;

typedef struct sb_stack_ctx sb_stack_ctx; /* per endpoint, outlives sessions (keys, caches) */
typedef struct sb_session sb_session;     /* one connection */

typedef void (*sb_emit_fn)(void *arg, const sb_stack_desc *d);

struct sb_family {
    const char *name;
    const sb_opt_def *opts; /* NULL or terminated by {NULL} */
    /* Every id this family knows, available or not (with reason). */
    void (*enumerate)(sb_emit_fn emit, void *arg);
    /* Validate the options for this stack before anything starts (bad usage -> message). */
    int (*check)(const sb_stack_desc *d, const sb_params *p, char *err, size_t cap);
    int (*ctx_new)(sb_stack_ctx **out, const sb_stack_desc *d, const sb_params *p, sb_role role,
                   char *err, size_t cap);
    void (*ctx_free)(sb_stack_ctx *c);
    int (*open)(sb_session **out, sb_stack_ctx *c, sb_io *io);
    /* Client: security handshake (the harness already connected the socket).
     * Server: accept the peer's handshake. Plain stacks return SB_OK at once. */
    int (*handshake)(sb_session *s, int64_t deadline_ns);
    /* One CoAP message in the stack's framing (UDP: whole message; TCP: whole message). */
    int (*send)(sb_session *s, const uint8_t *msg, size_t len);
    /* UDP framing: one whole message. TCP framing: 1..cap bytes of the CoAP stream. */
    int (*recv)(sb_session *s, uint8_t *buf, size_t cap, size_t *len, int64_t deadline_ns);
    /* Orderly close (close_notify etc.); the harness then closes the socket. May be NULL. */
    int (*close)(sb_session *s, int64_t deadline_ns);
    void (*free)(sb_session *s);
    /* Optional (may be NULL): facts a stack knows about its session, for the row:
     * "resumed" (0/1), "edhoc_m1" / "edhoc_m2" / "edhoc_m3" (message sizes in bytes).
     * SB_ENOTFOUND when the stack does not know. */
    int (*query)(const sb_session *s, const char *what, int64_t *val);
};

/* Registry (protocols/registry.c). */
void sb_registry_enumerate(sb_emit_fn emit, void *arg);
/* Find an id; SB_ENOTFOUND if no family knows it. d->available tells whether it runs here. */
int sb_registry_find(const char *id, sb_stack_desc *d);
/* The same stack with another library (cross-library runs): "tls1.3-wolfssl-psk-ccm8" with
 * "openssl" -> "tls1.3-openssl-psk-ccm8". */
int sb_registry_with_lib(const sb_stack_desc *d, const char *lib, sb_stack_desc *out);
/* Every option declared by any family, for the CLI; returns the count (<= cap filled). */
size_t sb_registry_opts(const sb_opt_def **out, size_t cap);

/* Helper for families: fill the common fields of a desc. */
void sb_desc_fill(sb_stack_desc *d, const sb_family *f, const char *protocol, const char *lib,
                  const char *auth, const char *cipher, sb_transport t, sb_framing fr);

#endif
