/* coapmsg.h: one CoAP message in memory, encoded and parsed for both framings.
 * Contract: sb_coap_msg owns copies of its token and option values (in its own arena) and
 * borrows its payload. Parsing uses libcoap's coap_pdu_parse and option iterator; encoding
 * writes the header and token itself (libcoap 4.3.1 has no public PDU writer) and the
 * options with coap_opt_encode, always in ascending option-number order.
 * Framings: SB_FRAMING_UDP is RFC 7252 §3 (4-byte header with type and Message ID);
 * SB_FRAMING_TCP is RFC 8323 §3.2 (Len/TKL nibble, extended length, code; no type, no MID). */
#ifndef SB_COAPMSG_H
#define SB_COAPMSG_H

#include <stddef.h>
#include <stdint.h>

typedef enum { SB_FRAMING_UDP = 0, SB_FRAMING_TCP = 1 } sb_framing;

enum { SB_COAP_CON = 0, SB_COAP_NON = 1, SB_COAP_ACK = 2, SB_COAP_RST = 3 };

#define SB_COAP_CODE(c, d) ((uint8_t)(((c) << 5) | (d)))
enum {
    SB_COAP_GET = 1,
    SB_COAP_POST = 2,
    SB_COAP_PUT = 3,
    SB_COAP_FETCH = 5,
    SB_COAP_CONTENT = SB_COAP_CODE(2, 5),
    SB_COAP_CHANGED = SB_COAP_CODE(2, 4),
    SB_COAP_BAD_REQUEST = SB_COAP_CODE(4, 0),
    SB_COAP_UNAUTHORIZED = SB_COAP_CODE(4, 1),
    SB_COAP_BAD_OPTION = SB_COAP_CODE(4, 2),
    SB_COAP_NOT_FOUND = SB_COAP_CODE(4, 4),
    SB_COAP_CSM = SB_COAP_CODE(7, 1),
    SB_COAP_PROXYING_NOT_SUPPORTED = SB_COAP_CODE(5, 5),
    SB_COAP_BAD_GATEWAY = SB_COAP_CODE(5, 2),
};

enum {
    SB_OPT_IF_MATCH = 1,
    SB_OPT_URI_HOST = 3,
    SB_OPT_ETAG = 4,
    SB_OPT_OBSERVE = 6,
    SB_OPT_URI_PORT = 7,
    SB_OPT_OSCORE = 9,
    SB_OPT_URI_PATH = 11,
    SB_OPT_EDHOC = 21, /* RFC 9668: message_3 travels in this OSCORE request */
    SB_OPT_CONTENT_FORMAT = 12,
    SB_OPT_MAX_AGE = 14,
    SB_OPT_URI_QUERY = 15,
    SB_OPT_ACCEPT = 17,
    SB_OPT_BLOCK2 = 23,
    SB_OPT_BLOCK1 = 27,
    SB_OPT_SIZE2 = 28,
    SB_OPT_PROXY_URI = 35,
    SB_OPT_PROXY_SCHEME = 39,
    SB_OPT_SIZE1 = 60,
    SB_OPT_ECHO = 252,
};

#define SB_COAP_MAX_OPTS 32
#define SB_COAP_OPT_ARENA 1536
#define SB_COAP_MAX_MSG 2048

typedef struct sb_coap_opt {
    uint16_t num;
    uint16_t len;
    uint16_t off; /* offset of the value in the message's arena */
} sb_coap_opt;

typedef struct sb_coap_msg {
    uint8_t type; /* UDP framing only */
    uint8_t code;
    uint16_t mid; /* UDP framing only */
    uint8_t tkl;
    uint8_t token[8];
    size_t nopts;
    sb_coap_opt opts[SB_COAP_MAX_OPTS]; /* sorted by number, stable for repeats */
    uint8_t arena[SB_COAP_OPT_ARENA];
    size_t arena_used;
    const uint8_t *payload; /* borrowed */
    size_t payload_len;
} sb_coap_msg;

void sb_coap_init(sb_coap_msg *m, uint8_t type, uint8_t code, uint16_t mid, const uint8_t *token,
                  uint8_t tkl);
/* Insert keeping ascending order (after existing options of the same number). */
int sb_coap_add_opt(sb_coap_msg *m, uint16_t num, const uint8_t *val, size_t len);
int sb_coap_add_uint_opt(sb_coap_msg *m, uint16_t num, uint32_t value);
/* Add Uri-Path options for "/a/b/c". */
int sb_coap_add_path(sb_coap_msg *m, const char *path);
/* 1 when the message's Uri-Path options spell `path` ("/a/b", leading slashes optional). */
int sb_coap_path_is(const sb_coap_msg *m, const char *path);
void sb_coap_del_opt(sb_coap_msg *m, uint16_t num); /* removes every instance */
/* First instance of option num, or NULL; *len gets its length. */
const uint8_t *sb_coap_find_opt(const sb_coap_msg *m, uint16_t num, size_t *len);
static inline const uint8_t *sb_coap_opt_val(const sb_coap_msg *m, const sb_coap_opt *o)
{
    return m->arena + o->off;
}

/* Bytes of the options part alone (as encoded), the header+token, and the whole encoding. */
size_t sb_coap_options_size(const sb_coap_msg *m);
size_t sb_coap_encoded_size(const sb_coap_msg *m, sb_framing f);
int sb_coap_encode(const sb_coap_msg *m, sb_framing f, uint8_t *out, size_t cap, size_t *len);
/* Encode only the options (and payload marker + payload when with_payload) into out. */
int sb_coap_encode_options(const sb_coap_msg *m, int with_payload, uint8_t *out, size_t cap,
                           size_t *len);

/* Parse one complete message; payload points into `in`. SB_EPROTO when malformed. */
int sb_coap_parse(sb_framing f, const uint8_t *in, size_t len, sb_coap_msg *m);

/* TCP framing: total length of the message starting at buf, or SB_EAGAIN when more bytes
 * are needed to know it. Lets stream stacks cut messages out of a byte stream. */
int sb_coap_tcp_msg_len(const uint8_t *buf, size_t avail, size_t *total);

/* Block option value helpers (RFC 7959): num, more flag, szx. */
uint32_t sb_coap_block_value(uint32_t num, int more, unsigned szx);

#endif
