/* workload.h: the CoAP request/response every stack carries, and CoAP messaging, written once.
 * Contract: identical for every stack. The client sends CON requests (UDP framing) with the
 * RFC 7252 §4.8 retransmission timers when the stack's transport is unreliable, or plain
 * requests (TCP framing, RFC 8323) preceded by a CSM when it is reliable; the server answers
 * each request with a piggybacked response. Stream stacks return bytes: the workload cuts
 * messages out of the stream (sb_wl_conn keeps the partial message). */
#ifndef SB_WORKLOAD_H
#define SB_WORKLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "../protocols/stack.h"
#include "coapmsg.h"

#define SB_DEFAULT_PATH "/3303/0/5700"
#define SB_TOKEN_LEN 2 /* bytes; a constrained client's choice, same for every stack */

typedef struct sb_workload {
    unsigned requests;       /* sequential requests on one session */
    int post;                /* POST carrying a payload, else GET */
    size_t request_payload;  /* bytes (POST) */
    const char *payload_text; /* exact request payload (POST), or NULL */
    size_t response_payload; /* bytes in each response */
    char path[256];
    /* through a forward proxy (RFC 7252 §5.7, in the form RFC 8613 §4.1.3.3 gives OSCORE) */
    const char *proxy_scheme; /* NULL: direct */
    const char *uri_host;
    uint16_t uri_port;
    /* RFC 7252 §4.8 transmission parameters */
    unsigned ack_timeout_ms;  /* 2000 */
    double ack_random_factor; /* 1.5 */
    unsigned max_retransmit;  /* 4 */
    uint64_t seed;            /* for the randomised initial timeout and Message IDs */
} sb_workload;

void sb_workload_defaults(sb_workload *w);

/* One connection's CoAP state: framing, Message IDs, tokens, stream reassembly, counters. */
typedef struct sb_wl_conn {
    const sb_family *fam;
    sb_session *sess;
    sb_framing framing;
    int reliable;
    uint16_t next_mid;
    uint16_t next_token;
    uint64_t rng;
    uint8_t stream[SB_COAP_MAX_MSG * 2]; /* TCP framing: bytes received, not yet a message */
    size_t stream_len;
    unsigned retransmits; /* CoAP retransmissions sent */
    int peer_csm_seen;
    /* the last request/response sent, for the per-layer breakdown */
    size_t last_req_coap, last_req_payload, last_resp_coap, last_resp_payload;
    /* server: deduplication of CON requests (RFC 7252 §4.5) */
    uint16_t last_mid;
    int have_last;
    uint8_t last_resp[SB_COAP_MAX_MSG];
    size_t last_resp_len;
} sb_wl_conn;

void sb_wl_conn_init(sb_wl_conn *c, const sb_family *fam, sb_session *s,
                     const sb_stack_desc *d, uint64_t seed);

/* Receive one whole CoAP message (any framing) into buf; parses it into m. */
int sb_wl_recv_msg(sb_wl_conn *c, uint8_t *buf, size_t cap, size_t *len, sb_coap_msg *m,
                   int64_t deadline);
/* Send a CSM (TCP framing only; no-op for UDP) and, if wait, wait for the peer's. */
int sb_wl_send_csm(sb_wl_conn *c);
int sb_wl_wait_csm(sb_wl_conn *c, int64_t deadline);

/* Send request `req` (type/MID/token are set here) and wait for its response, retransmitting
 * CON requests per RFC 7252 when unreliable. Also used by stacks that run CoAP exchanges of
 * their own in the handshake (EDHOC). resp->payload points into rbuf. */
int sb_wl_exchange(sb_wl_conn *c, sb_coap_msg *req, sb_coap_msg *resp, uint8_t *rbuf,
                   size_t rcap, const sb_workload *w, int64_t deadline);

/* Through a forward proxy (w->proxy_scheme set): add Uri-Host, Uri-Port and Proxy-Scheme to
 * req, as every request of the run carries them (also a stack's own, e.g. EDHOC's). */
int sb_wl_add_proxy_opts(const sb_workload *w, sb_coap_msg *req);

/* Build the workload's i-th request (path, method, payload). `pbuf` holds the payload. */
int sb_wl_build_request(const sb_workload *w, sb_coap_msg *req, uint8_t *pbuf, size_t pcap);

/* Client: all requests of the workload. final_code gets the last response's code. */
int sb_wl_run_client(sb_wl_conn *c, const sb_workload *w, uint8_t *final_code,
                     int64_t deadline);

/* Server: answer requests until the peer closes (SB_ECLOSED), the harness stops us
 * (SB_ESTOP) or `deadline`. Returns the reason it stopped. */
int sb_wl_serve(sb_wl_conn *c, const sb_workload *w, int64_t deadline);

/* The same serving loop (deduplication, signalling, piggybacked answers) with another
 * answer: `h` fills resp (already addressed to the request: type, MID, token) with a code,
 * options and a payload it may keep in pbuf. Used by the forward proxy (bench/proxy.c).
 * max_requests > 0: return SB_OK once that many requests were answered. */
typedef int (*sb_wl_handler)(void *arg, const sb_coap_msg *req, sb_coap_msg *resp,
                             uint8_t *pbuf, size_t pcap);
/* A handler's result: the request was taken over by the layer above (no response here). */
#define SB_WL_NO_RESPONSE 1
int sb_wl_serve_with(sb_wl_conn *c, sb_wl_handler h, void *arg, unsigned max_requests,
                     int64_t deadline);

#endif
