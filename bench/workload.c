#include "workload.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

void sb_workload_defaults(sb_workload *w)
{
    memset(w, 0, sizeof *w);
    w->requests = 1;
    w->response_payload = 16;
    snprintf(w->path, sizeof w->path, "%s", SB_DEFAULT_PATH);
    w->ack_timeout_ms = 2000; /* RFC 7252 §4.8 */
    w->ack_random_factor = 1.5;
    w->max_retransmit = 4;
}

/* splitmix64: a seeded, repeatable sequence for Message IDs and timeouts. */
static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void sb_wl_conn_init(sb_wl_conn *c, const sb_family *fam, sb_session *s,
                     const sb_stack_desc *d, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->fam = fam;
    c->sess = s;
    c->framing = d->framing;
    c->reliable = d->transport == SB_TRANSPORT_TCP;
    c->rng = seed;
    c->next_mid = (uint16_t)next_rand(&c->rng); /* RFC 7252 §4.4: randomised start */
    c->next_token = (uint16_t)next_rand(&c->rng);
}

int sb_wl_recv_msg(sb_wl_conn *c, uint8_t *buf, size_t cap, size_t *len, sb_coap_msg *m,
                   int64_t deadline)
{
    if (c->framing == SB_FRAMING_UDP) {
        int rc = c->fam->recv(c->sess, buf, cap, len, deadline);
        return rc ? rc : sb_coap_parse(SB_FRAMING_UDP, buf, *len, m);
    }
    for (;;) {
        size_t total;
        int rc = sb_coap_tcp_msg_len(c->stream, c->stream_len, &total);
        if (rc == SB_EPROTO || (rc == SB_OK && total > sizeof c->stream)) return SB_EPROTO;
        if (rc == SB_OK && total <= c->stream_len) {
            if (total > cap) return SB_ESPACE;
            memcpy(buf, c->stream, total);
            memmove(c->stream, c->stream + total, c->stream_len - total);
            c->stream_len -= total;
            *len = total;
            return sb_coap_parse(SB_FRAMING_TCP, buf, total, m);
        }
        size_t got;
        rc = c->fam->recv(c->sess, c->stream + c->stream_len, sizeof c->stream - c->stream_len,
                          &got, deadline);
        if (rc) return rc;
        c->stream_len += got;
    }
}

static int send_msg(sb_wl_conn *c, const sb_coap_msg *m, uint8_t *out, size_t *len)
{
    int rc = sb_coap_encode(m, c->framing, out, SB_COAP_MAX_MSG, len);
    return rc ? rc : c->fam->send(c->sess, out, *len);
}

int sb_wl_send_csm(sb_wl_conn *c)
{
    if (c->framing != SB_FRAMING_TCP) return SB_OK;
    sb_coap_msg csm;
    uint8_t out[16];
    size_t len;
    sb_coap_init(&csm, 0, SB_COAP_CSM, 0, NULL, 0); /* RFC 8323 §5.3: an empty CSM */
    return send_msg(c, &csm, out, &len);
}

/* Signalling messages (RFC 8323 §5) are handled here, not by the caller: 1 = consumed. */
static int handle_signal(sb_wl_conn *c, const sb_coap_msg *m)
{
    if (c->framing != SB_FRAMING_TCP || (m->code >> 5) != 7) return 0;
    if (m->code == SB_COAP_CSM) c->peer_csm_seen = 1;
    if (m->code == SB_COAP_CODE(7, 2)) { /* Ping -> Pong */
        sb_coap_msg pong;
        uint8_t out[32];
        size_t len;
        sb_coap_init(&pong, 0, SB_COAP_CODE(7, 3), 0, m->token, m->tkl);
        send_msg(c, &pong, out, &len);
    }
    return 1;
}

int sb_wl_wait_csm(sb_wl_conn *c, int64_t deadline)
{
    uint8_t buf[SB_COAP_MAX_MSG];
    size_t len;
    sb_coap_msg m;
    while (c->framing == SB_FRAMING_TCP && !c->peer_csm_seen) {
        int rc = sb_wl_recv_msg(c, buf, sizeof buf, &len, &m, deadline);
        if (rc) return rc;
        if (!handle_signal(c, &m)) return SB_EPROTO; /* nothing but signalling expected yet */
    }
    return SB_OK;
}

static void set_layers(size_t *coap, size_t *payload, const sb_coap_msg *m, size_t encoded)
{
    *payload = m->payload_len;
    *coap = encoded - m->payload_len;
}

static int token_eq(const sb_coap_msg *a, const sb_coap_msg *b)
{
    return a->tkl == b->tkl && memcmp(a->token, b->token, a->tkl) == 0;
}

static int64_t initial_timeout_ns(sb_wl_conn *c, const sb_workload *w)
{
    double f = (double)(next_rand(&c->rng) >> 11) / 9007199254740992.0; /* [0,1) */
    return (int64_t)((double)w->ack_timeout_ms * (1.0 + f * (w->ack_random_factor - 1.0)) *
                     SB_NS_PER_MS);
}

int sb_wl_exchange(sb_wl_conn *c, sb_coap_msg *req, sb_coap_msg *resp, uint8_t *rbuf,
                   size_t rcap, const sb_workload *w, int64_t deadline)
{
    uint16_t t = c->next_token++;
    uint8_t tok[SB_TOKEN_LEN] = {(uint8_t)(t >> 8), (uint8_t)t};
    req->type = SB_COAP_CON;
    req->mid = c->next_mid++;
    req->tkl = SB_TOKEN_LEN;
    memcpy(req->token, tok, SB_TOKEN_LEN);
    uint8_t out[SB_COAP_MAX_MSG];
    size_t olen, rlen;
    int rc = send_msg(c, req, out, &olen);
    if (rc) return rc;
    set_layers(&c->last_req_coap, &c->last_req_payload, req, olen);
    int64_t timeout = initial_timeout_ns(c, w);
    int64_t next = c->reliable ? deadline : sb_now_ns() + timeout;
    unsigned tries = 0;
    for (;;) {
        rc = sb_wl_recv_msg(c, rbuf, rcap, &rlen, resp, next < deadline ? next : deadline);
        if (rc == SB_ETIMEOUT && sb_now_ns() < deadline && next < deadline) {
            if (tries == w->max_retransmit) return SB_ETIMEOUT;
            rc = c->fam->send(c->sess, out, olen); /* the same bytes: RFC 7252 §4.2 */
            if (rc) return rc;
            tries++;
            c->retransmits++;
            timeout *= 2;
            next = sb_now_ns() + timeout;
            continue;
        }
        if (rc == SB_EPROTO) continue; /* malformed: ignore, as RFC 7252 §4.2 allows */
        if (rc) return rc;
        if (handle_signal(c, resp)) continue;
        if (c->framing == SB_FRAMING_TCP) {
            if (token_eq(resp, req)) return SB_OK;
            continue;
        }
        if (resp->type == SB_COAP_RST && resp->mid == req->mid) return SB_ECLOSED;
        if (resp->type == SB_COAP_ACK && resp->mid == req->mid && resp->code == 0) {
            next = deadline; /* separate response follows: stop retransmitting */
            continue;
        }
        if (!token_eq(resp, req)) continue;
        if (resp->type == SB_COAP_ACK && resp->mid == req->mid) return SB_OK;
        if (resp->type == SB_COAP_CON) { /* separate response: acknowledge it */
            sb_coap_msg ack;
            uint8_t abuf[8];
            size_t alen;
            sb_coap_init(&ack, SB_COAP_ACK, 0, resp->mid, NULL, 0);
            send_msg(c, &ack, abuf, &alen);
            return SB_OK;
        }
        if (resp->type == SB_COAP_NON) return SB_OK;
    }
}

/* Payload bytes: a fixed printable pattern, so captures are easy to read and compare. */
static void fill_pattern(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)('a' + i % 26);
}

int sb_wl_add_proxy_opts(const sb_workload *w, sb_coap_msg *req)
{
    int rc = SB_OK;
    if (w->proxy_scheme) {
        rc = sb_coap_add_opt(req, SB_OPT_URI_HOST, (const uint8_t *)w->uri_host,
                             strlen(w->uri_host));
        if (!rc && w->uri_port) rc = sb_coap_add_uint_opt(req, SB_OPT_URI_PORT, w->uri_port);
        if (!rc)
            rc = sb_coap_add_opt(req, SB_OPT_PROXY_SCHEME, (const uint8_t *)w->proxy_scheme,
                                 strlen(w->proxy_scheme));
    }
    return rc;
}

int sb_wl_build_request(const sb_workload *w, sb_coap_msg *req, uint8_t *pbuf, size_t pcap)
{
    sb_coap_init(req, SB_COAP_CON, w->post ? SB_COAP_POST : SB_COAP_GET, 0, NULL, 0);
    int rc = sb_wl_add_proxy_opts(w, req);
    if (!rc) rc = sb_coap_add_path(req, w->path);
    if (rc || !w->post) return rc;
    size_t n = w->payload_text ? strlen(w->payload_text) : w->request_payload;
    if (n > pcap) return SB_ESPACE;
    if (w->payload_text) memcpy(pbuf, w->payload_text, n);
    else fill_pattern(pbuf, n);
    req->payload = pbuf;
    req->payload_len = n;
    return SB_OK;
}

int sb_wl_run_client(sb_wl_conn *c, const sb_workload *w, uint8_t *final_code,
                     int64_t deadline)
{
    uint8_t pbuf[SB_COAP_MAX_MSG], rbuf[SB_COAP_MAX_MSG];
    for (unsigned i = 0; i < w->requests; i++) {
        sb_coap_msg req, resp;
        int rc = sb_wl_build_request(w, &req, pbuf, sizeof pbuf);
        if (!rc) rc = sb_wl_exchange(c, &req, &resp, rbuf, sizeof rbuf, w, deadline);
        if (rc) return rc;
        *final_code = resp.code;
    }
    return SB_OK;
}

/* The origin server's answer: the workload's resource. */
static int origin_handler(void *arg, const sb_coap_msg *req, sb_coap_msg *resp, uint8_t *pbuf,
                          size_t pcap)
{
    static const uint8_t zero[1];
    const sb_workload *w = arg;
    int found = sb_coap_path_is(req, w->path);
    uint8_t code = !found ? SB_COAP_NOT_FOUND
                   : (req->code == SB_COAP_GET || req->code == SB_COAP_FETCH) ? SB_COAP_CONTENT
                                                                           : SB_COAP_CHANGED;
    if (sb_coap_find_opt(req, SB_OPT_PROXY_SCHEME, NULL) ||
        sb_coap_find_opt(req, SB_OPT_PROXY_URI, NULL))
        code = SB_COAP_PROXYING_NOT_SUPPORTED; /* an origin server, not a proxy */
    resp->code = code;
    if (code == SB_COAP_CONTENT || code == SB_COAP_CHANGED) {
        size_t n = w->response_payload < pcap ? w->response_payload : pcap;
        fill_pattern(pbuf, n);
        resp->payload = n ? pbuf : zero;
        resp->payload_len = n;
    }
    return SB_OK;
}

static int answer(sb_wl_conn *c, const sb_coap_msg *req, sb_wl_handler h, void *arg)
{
    uint8_t pbuf[SB_COAP_MAX_MSG];
    sb_coap_msg resp;
    /* piggybacked in the ACK of a CON; a NON request gets a NON response (RFC 7252 §5.2) */
    int non = c->framing == SB_FRAMING_UDP && req->type == SB_COAP_NON;
    sb_coap_init(&resp, non ? SB_COAP_NON : SB_COAP_ACK, 0, non ? c->next_mid++ : req->mid,
                 req->token, req->tkl);
    int rc = h(arg, req, &resp, pbuf, sizeof pbuf);
    if (rc == SB_WL_NO_RESPONSE) return SB_OK;
    if (!rc) rc = send_msg(c, &resp, c->last_resp, &c->last_resp_len);
    if (rc) return rc;
    set_layers(&c->last_resp_coap, &c->last_resp_payload, &resp, c->last_resp_len);
    c->last_mid = req->mid;
    c->have_last = 1;
    return SB_OK;
}

int sb_wl_serve(sb_wl_conn *c, const sb_workload *w, int64_t deadline)
{
    return sb_wl_serve_with(c, origin_handler, (void *)w, 0, deadline);
}

int sb_wl_serve_with(sb_wl_conn *c, sb_wl_handler h, void *arg, unsigned max_requests,
                     int64_t deadline)
{
    uint8_t buf[SB_COAP_MAX_MSG];
    for (unsigned answered = 0; !max_requests || answered < max_requests;) {
        size_t len;
        sb_coap_msg m;
        int rc = sb_wl_recv_msg(c, buf, sizeof buf, &len, &m, deadline);
        if (rc == SB_EPROTO) continue; /* malformed: ignore and keep serving */
        if (rc) return rc;
        if (handle_signal(c, &m)) continue;
        int is_request = (m.code >> 5) == 0 && m.code != 0;
        if (c->framing == SB_FRAMING_UDP) {
            if (m.type == SB_COAP_CON && c->have_last && m.mid == c->last_mid) {
                rc = c->fam->send(c->sess, c->last_resp, c->last_resp_len); /* duplicate */
                if (rc) return rc;
                continue;
            }
            if (m.type != SB_COAP_CON && m.type != SB_COAP_NON) continue;
        }
        if (!is_request) continue;
        rc = answer(c, &m, h, arg);
        if (rc) return rc;
        answered++;
    }
    return SB_OK;
}
