#include "coapmsg.h"

#include <coap3/coap.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

void sb_coap_init(sb_coap_msg *m, uint8_t type, uint8_t code, uint16_t mid, const uint8_t *token,
                  uint8_t tkl)
{
    m->type = type;
    m->code = code;
    m->mid = mid;
    m->tkl = tkl > 8 ? 8 : tkl;
    if (m->tkl) memcpy(m->token, token, m->tkl);
    m->nopts = 0;
    m->arena_used = 0;
    m->payload = NULL;
    m->payload_len = 0;
}

int sb_coap_add_opt(sb_coap_msg *m, uint16_t num, const uint8_t *val, size_t len)
{
    if (m->nopts == SB_COAP_MAX_OPTS || len > SB_COAP_OPT_ARENA - m->arena_used)
        return SB_ESPACE;
    size_t at = m->nopts;
    while (at > 0 && m->opts[at - 1].num > num) at--;
    memmove(&m->opts[at + 1], &m->opts[at], (m->nopts - at) * sizeof m->opts[0]);
    m->opts[at] = (sb_coap_opt){.num = num, .len = (uint16_t)len, .off = (uint16_t)m->arena_used};
    if (len) memcpy(m->arena + m->arena_used, val, len);
    m->arena_used += len;
    m->nopts++;
    return SB_OK;
}

int sb_coap_add_uint_opt(sb_coap_msg *m, uint16_t num, uint32_t value)
{
    uint8_t buf[4];
    unsigned n = coap_encode_var_safe(buf, sizeof buf, value);
    return sb_coap_add_opt(m, num, buf, n);
}

int sb_coap_add_path(sb_coap_msg *m, const char *path)
{
    while (*path == '/') path++;
    while (*path) {
        const char *end = strchr(path, '/');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        int rc = sb_coap_add_opt(m, SB_OPT_URI_PATH, (const uint8_t *)path, n);
        if (rc) return rc;
        path += n;
        if (*path == '/') path++;
    }
    return SB_OK;
}

int sb_coap_path_is(const sb_coap_msg *m, const char *path)
{
    char got[512] = "";
    size_t n = 0;
    for (size_t i = 0; i < m->nopts; i++) {
        const sb_coap_opt *o = &m->opts[i];
        if (o->num != SB_OPT_URI_PATH) continue;
        n += (size_t)snprintf(got + n, sizeof got - n, "/%.*s", o->len, m->arena + o->off);
        if (n >= sizeof got) return 0;
    }
    while (*path == '/') path++;
    return strcmp(got[0] ? got + 1 : "", path) == 0;
}

void sb_coap_del_opt(sb_coap_msg *m, uint16_t num)
{
    size_t w = 0;
    for (size_t r = 0; r < m->nopts; r++)
        if (m->opts[r].num != num) m->opts[w++] = m->opts[r];
    m->nopts = w; /* the arena keeps the bytes; they are simply unreferenced */
}

const uint8_t *sb_coap_find_opt(const sb_coap_msg *m, uint16_t num, size_t *len)
{
    for (size_t i = 0; i < m->nopts; i++)
        if (m->opts[i].num == num) {
            if (len) *len = m->opts[i].len;
            return m->arena + m->opts[i].off;
        }
    return NULL;
}

size_t sb_coap_options_size(const sb_coap_msg *m)
{
    size_t n = 0;
    uint16_t prev = 0;
    for (size_t i = 0; i < m->nopts; i++) {
        n += coap_opt_encode_size(m->opts[i].num - prev, m->opts[i].len);
        prev = m->opts[i].num;
    }
    return n;
}

int sb_coap_encode_options(const sb_coap_msg *m, int with_payload, uint8_t *out, size_t cap,
                           size_t *len)
{
    size_t n = 0;
    uint16_t prev = 0;
    for (size_t i = 0; i < m->nopts; i++) {
        const sb_coap_opt *o = &m->opts[i];
        size_t w = coap_opt_encode(out + n, cap - n, o->num - prev, m->arena + o->off, o->len);
        if (!w) return SB_ESPACE;
        n += w;
        prev = o->num;
    }
    if (with_payload && m->payload_len) {
        if (cap - n < m->payload_len + 1) return SB_ESPACE;
        out[n++] = 0xff;
        memcpy(out + n, m->payload, m->payload_len);
        n += m->payload_len;
    }
    *len = n;
    return SB_OK;
}

/* RFC 8323 §3.2: Len nibble and extended length for a body of `body` bytes. */
static size_t tcp_len_field(size_t body, uint8_t *nibble, uint8_t ext[4])
{
    if (body < 13) {
        *nibble = (uint8_t)body;
        return 0;
    }
    if (body < 269) {
        *nibble = 13;
        ext[0] = (uint8_t)(body - 13);
        return 1;
    }
    if (body < 65805) {
        *nibble = 14;
        ext[0] = (uint8_t)((body - 269) >> 8);
        ext[1] = (uint8_t)(body - 269);
        return 2;
    }
    uint32_t v = (uint32_t)(body - 65805);
    *nibble = 15;
    ext[0] = (uint8_t)(v >> 24);
    ext[1] = (uint8_t)(v >> 16);
    ext[2] = (uint8_t)(v >> 8);
    ext[3] = (uint8_t)v;
    return 4;
}

size_t sb_coap_encoded_size(const sb_coap_msg *m, sb_framing f)
{
    size_t body = sb_coap_options_size(m) + (m->payload_len ? m->payload_len + 1 : 0);
    if (f == SB_FRAMING_UDP) return 4 + m->tkl + body;
    uint8_t nib, ext[4];
    return 2 + tcp_len_field(body, &nib, ext) + m->tkl + body;
}

int sb_coap_encode(const sb_coap_msg *m, sb_framing f, uint8_t *out, size_t cap, size_t *len)
{
    size_t total = sb_coap_encoded_size(m, f);
    if (total > cap) return SB_ESPACE;
    size_t n = 0;
    if (f == SB_FRAMING_UDP) {
        out[n++] = (uint8_t)(0x40 | (m->type & 3) << 4 | m->tkl);
        out[n++] = m->code;
        out[n++] = (uint8_t)(m->mid >> 8);
        out[n++] = (uint8_t)m->mid;
    } else {
        uint8_t nib, ext[4];
        size_t body = sb_coap_options_size(m) + (m->payload_len ? m->payload_len + 1 : 0);
        size_t extlen = tcp_len_field(body, &nib, ext);
        out[n++] = (uint8_t)(nib << 4 | m->tkl);
        memcpy(out + n, ext, extlen);
        n += extlen;
        out[n++] = m->code;
    }
    memcpy(out + n, m->token, m->tkl);
    n += m->tkl;
    size_t rest;
    int rc = sb_coap_encode_options(m, 1, out + n, cap - n, &rest);
    if (rc) return rc;
    *len = n + rest;
    return SB_OK;
}

/* RFC 7252 §3 framing: header and token are ours (as on the encoding side); each option is
 * read with libcoap's coap_opt_parse. No PDU is allocated: this runs once per message in
 * OSCORE's protect/unprotect, where libcoap's allocate-parse-free cost a third of the time. */
static int parse_udp(const uint8_t *in, size_t len, sb_coap_msg *m)
{
    unsigned tkl = in[0] & 15;
    if (in[0] >> 6 != 1 || tkl > 8 || len < 4u + tkl) return SB_EPROTO;
    if (in[1] == 0 && (len != 4 || tkl)) return SB_EPROTO; /* Empty message: header only */
    sb_coap_init(m, in[0] >> 4 & 3, in[1], (uint16_t)(in[2] << 8 | in[3]), in + 4, (uint8_t)tkl);
    size_t at = 4 + tkl;
    unsigned num = 0;
    while (at < len && in[at] != 0xff) {
        coap_option_t o;
        size_t n = coap_opt_parse(in + at, len - at, &o);
        if (!n || (num += o.delta) > 65535 ||
            sb_coap_add_opt(m, (uint16_t)num, o.value, o.length))
            return SB_EPROTO;
        at += n;
    }
    if (at < len) {
        if (at + 1 == len) return SB_EPROTO; /* payload marker without payload (§3) */
        m->payload = in + at + 1;
        m->payload_len = len - at - 1;
    }
    return SB_OK;
}

int sb_coap_parse(sb_framing f, const uint8_t *in, size_t len, sb_coap_msg *m)
{
    if (len < (f == SB_FRAMING_UDP ? 4u : 2u) || len > SB_COAP_MAX_MSG) return SB_EPROTO;
    if (f == SB_FRAMING_UDP) return parse_udp(in, len, m);
    coap_pdu_t *pdu = coap_pdu_init(0, 0, 0, len + 16);
    if (!pdu) return SB_ENOMEM;
    int rc = SB_EPROTO;
    if (!coap_pdu_parse(f == SB_FRAMING_UDP ? COAP_PROTO_UDP : COAP_PROTO_TCP, in, len, pdu))
        goto out;
    coap_bin_const_t tok = coap_pdu_get_token(pdu);
    sb_coap_init(m, f == SB_FRAMING_UDP ? (uint8_t)coap_pdu_get_type(pdu) : 0,
                 (uint8_t)coap_pdu_get_code(pdu),
                 f == SB_FRAMING_UDP ? (uint16_t)coap_pdu_get_mid(pdu) : 0, tok.s,
                 (uint8_t)tok.length);
    coap_opt_iterator_t it;
    coap_opt_t *opt;
    coap_option_iterator_init(pdu, &it, COAP_OPT_ALL);
    while ((opt = coap_option_next(&it)))
        if (sb_coap_add_opt(m, it.number, coap_opt_value(opt), coap_opt_length(opt))) goto out;
    size_t plen = 0;
    const uint8_t *pdata = NULL;
    if (coap_get_data(pdu, &plen, &pdata) && plen) {
        m->payload = in + len - plen; /* the payload is always the tail of the message */
        m->payload_len = plen;
    }
    rc = SB_OK;
out:
    coap_delete_pdu(pdu);
    return rc;
}

int sb_coap_tcp_msg_len(const uint8_t *buf, size_t avail, size_t *total)
{
    if (avail < 1) return SB_EAGAIN;
    unsigned nib = buf[0] >> 4, tkl = buf[0] & 15;
    static const unsigned extlen[16] = {[13] = 1, [14] = 2, [15] = 4};
    size_t hdr = 1 + extlen[nib];
    if (avail < hdr) return SB_EAGAIN;
    size_t body = nib;
    if (nib == 13) body = 13 + (size_t)buf[1];
    if (nib == 14) body = 269 + ((size_t)buf[1] << 8 | buf[2]);
    if (nib == 15)
        body = 65805 + ((size_t)buf[1] << 24 | (size_t)buf[2] << 16 | (size_t)buf[3] << 8 | buf[4]);
    if (tkl > 8) return SB_EPROTO;
    *total = hdr + 1 + tkl + body;
    return SB_OK;
}

uint32_t sb_coap_block_value(uint32_t num, int more, unsigned szx)
{
    return num << 4 | (more ? 8u : 0u) | (szx & 7);
}
