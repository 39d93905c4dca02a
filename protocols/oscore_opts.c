/* oscore_opts.c: which CoAP options OSCORE encrypts (RFC 8613 §4.1, Figure 5), the outer
 * code (§4.2), and the Proxy-Uri decomposition (§4.1.3.3, RFC 7252 §6.4). */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "../bench/util.h"
#include "oscore.h"
#include "oscore_int.h"

#define SB_OPT_HOP_LIMIT 16      /* RFC 8768 §3: class U */
#define SB_OPT_NO_RESPONSE 258   /* RFC 7967; RFC 8613 Figure 5: E and U */

char sb_oscore_opt_class(uint16_t num)
{
    switch (num) {
    case SB_OPT_URI_HOST:
    case SB_OPT_URI_PORT:
    case SB_OPT_OSCORE:
    case SB_OPT_HOP_LIMIT:
    case SB_OPT_PROXY_URI:
    case SB_OPT_PROXY_SCHEME: return 'U';
    case SB_OPT_OBSERVE:
    case SB_OPT_MAX_AGE:
    case SB_OPT_BLOCK2:
    case SB_OPT_BLOCK1:
    case SB_OPT_SIZE2:
    case SB_OPT_SIZE1:
    case SB_OPT_NO_RESPONSE: return 'B';
    default: return 'E'; /* §4.1: unknown options are class E (Echo, Request-Tag too) */
    }
}

int sb_oscore_split(const sb_coap_msg *m, sb_coap_msg *inner, sb_coap_msg *outer)
{
    int req = m->code < 32, observe = sb_coap_find_opt(m, SB_OPT_OBSERVE, NULL) != NULL;
    /* §4.2: POST/FETCH for requests, 2.04/2.05 for responses; FETCH and 2.05 with Observe
     * so that proxies forward notifications. */
    uint8_t code = req ? (observe ? SB_COAP_FETCH : SB_COAP_POST)
                       : (observe ? SB_COAP_CONTENT : SB_COAP_CHANGED);
    sb_coap_init(outer, m->type, code, m->mid, m->token, m->tkl);
    sb_coap_init(inner, 0, m->code, 0, NULL, 0);
    inner->payload = m->payload;
    inner->payload_len = m->payload_len;
    int rc = SB_OK;
    for (size_t i = 0; i < m->nopts && !rc; i++) {
        const sb_coap_opt *o = &m->opts[i];
        const uint8_t *v = sb_coap_opt_val(m, o);
        char cls = sb_oscore_opt_class(o->num);
        if (o->num == SB_OPT_OSCORE) return SB_EINVAL; /* already protected */
        if (o->num == SB_OPT_PROXY_URI && req) {
            rc = sb_oscore_proxy_uri(v, o->len, inner, outer);
        } else if (cls == 'U') {
            rc = sb_coap_add_opt(outer, o->num, v, o->len);
        } else {
            /* §4.1.3.5.2: a notification's Inner Observe is empty (the client orders
             * notifications by Partial IV); the value travels Outer. */
            int empty = o->num == SB_OPT_OBSERVE && !req;
            rc = sb_coap_add_opt(inner, o->num, v, empty ? 0 : o->len);
            /* §4.1.3.5: Outer Observe too, for intermediaries (the same value in requests). */
            if (!rc && o->num == SB_OPT_OBSERVE) rc = sb_coap_add_opt(outer, o->num, v, o->len);
        }
    }
    /* The receiver rebuilds inner + outer options in one sb_coap_msg (the Observe copy
     * counts once): refuse here what it could not hold, rather than send it. */
    if (!rc && (inner->nopts + outer->nopts - (observe ? 1 : 0) > SB_COAP_MAX_OPTS ||
                inner->arena_used + outer->arena_used > SB_COAP_OPT_ARENA))
        rc = SB_ESPACE;
    return rc;
}

/* RFC 3986 §2.3 unreserved, §2.2 sub-delims, and the extra characters `extra`: left as they
 * are when composing a URI (RFC 7252 §6.5); anything else is percent-encoded. */
static int uri_plain(uint8_t c, const char *extra)
{
    return isalnum(c) || strchr("-._~!$&'()*+,;=", c) || (c && strchr(extra, c));
}

static int uri_append(uint8_t *out, size_t cap, size_t *n, const uint8_t *v, size_t len,
                      const char *extra, int amp_ok)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < len; i++) {
        int plain = uri_plain(v[i], extra) && (amp_ok || v[i] != '&');
        if (*n + (plain ? 1 : 3) > cap) return SB_ESPACE;
        if (plain) {
            out[(*n)++] = v[i];
        } else {
            out[(*n)++] = '%';
            out[(*n)++] = (uint8_t)hex[v[i] >> 4];
            out[(*n)++] = (uint8_t)hex[v[i] & 15];
        }
    }
    return SB_OK;
}

/* The receiver's side of §4.1.3.3: the Outer Proxy-Uri (scheme://authority) followed by the
 * Inner Uri-Path and Uri-Query composed as in RFC 7252 §6.5 steps 8-9, so the original
 * Proxy-Uri comes back (no Uri-Path/Uri-Query may accompany a Proxy-Uri, RFC 7252 §5.10.2). */
static int proxy_uri_join(const uint8_t *base, size_t blen, const sb_coap_msg *inner,
                          sb_coap_msg *res)
{
    uint8_t uri[1034 + 1]; /* RFC 7252 §5.10: Proxy-Uri is at most 1034 bytes */
    size_t n = 0;
    int rc = SB_OK, nq = 0;
    if (blen > sizeof uri) return SB_EPROTO;
    memcpy(uri, base, blen);
    n = blen;
    for (size_t i = 0; i < inner->nopts && !rc; i++) {
        const sb_coap_opt *o = &inner->opts[i];
        if (o->num != SB_OPT_URI_PATH && o->num != SB_OPT_URI_QUERY) continue;
        if (n + 1 > sizeof uri) return SB_EPROTO;
        uri[n++] = o->num == SB_OPT_URI_PATH ? '/' : nq++ ? '&' : '?';
        /* pchar (RFC 3986 §3.3) in segments, and also "/" "?" in query arguments */
        int path = o->num == SB_OPT_URI_PATH; /* "&" separates query arguments */
        rc = uri_append(uri, sizeof uri, &n, sb_coap_opt_val(inner, o), o->len,
                        path ? ":@" : ":@/?", path);
    }
    if (rc || n > 1034) return SB_EPROTO;
    return sb_coap_add_opt(res, SB_OPT_PROXY_URI, uri, n);
}

int sb_oscore_merge(const sb_coap_msg *outer, const sb_coap_msg *inner, sb_coap_msg *res)
{
    sb_coap_init(res, outer->type, inner->code, outer->mid, outer->token, outer->tkl);
    res->payload = inner->payload;
    res->payload_len = inner->payload_len;
    size_t plen = 0;
    const uint8_t *proxy = sb_coap_find_opt(outer, SB_OPT_PROXY_URI, &plen);
    int rc = SB_OK;
    for (size_t i = 0; i < inner->nopts && !rc; i++) {
        const sb_coap_opt *o = &inner->opts[i];
        if (proxy && (o->num == SB_OPT_URI_PATH || o->num == SB_OPT_URI_QUERY)) continue;
        const uint8_t *v = sb_coap_opt_val(inner, o);
        size_t len = o->len;
        /* A notification's value is the Outer one (the Inner is empty, §4.1.3.5.2). */
        size_t olen;
        const uint8_t *ov = sb_coap_find_opt(outer, SB_OPT_OBSERVE, &olen);
        if (o->num == SB_OPT_OBSERVE && inner->code >= 64 && ov) v = ov, len = olen;
        rc = sb_coap_add_opt(res, o->num, v, len);
    }
    for (size_t i = 0; i < outer->nopts && !rc; i++) {
        const sb_coap_opt *o = &outer->opts[i];
        char cls = sb_oscore_opt_class(o->num);
        /* §8.2 step 2: Outer class E options are discarded; step 8: an Inner option
         * overrides its Outer counterpart. */
        if (o->num == SB_OPT_OSCORE || cls == 'E') continue;
        if (cls == 'B' && sb_coap_find_opt(inner, o->num, NULL)) continue;
        if (o->num == SB_OPT_PROXY_URI)
            rc = proxy_uri_join(sb_coap_opt_val(outer, o), o->len, inner, res);
        else
            rc = sb_coap_add_opt(res, o->num, sb_coap_opt_val(outer, o), o->len);
    }
    return rc;
}

static int hexdig(uint8_t c)
{
    return isdigit(c) ? c - '0' : isxdigit(c) ? (tolower(c) - 'a' + 10) : -1;
}

/* Percent-decode (and optionally lowercase) s[0..n) into out; returns the length or -1. */
static int pct_decode(const uint8_t *s, size_t n, int lower, uint8_t *out, size_t cap)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '%') {
            int hi = i + 2 < n ? hexdig(s[i + 1]) : -1, lo = hi >= 0 ? hexdig(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) return -1;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
        } else if (lower) {
            c = (uint8_t)tolower(c);
        }
        if (w == cap) return -1;
        out[w++] = c;
    }
    return (int)w;
}

static int add_decoded(sb_coap_msg *m, uint16_t num, const uint8_t *s, size_t n, int lower)
{
    uint8_t buf[1100];
    int len = pct_decode(s, n, lower, buf, sizeof buf);
    /* RFC 7252 Table 4: Uri-Host 1-255, Uri-Path and Uri-Query 0-255 bytes. */
    if (len < 0 || len > 255 || (num == SB_OPT_URI_HOST && len == 0)) return SB_EINVAL;
    return sb_coap_add_opt(m, num, buf, (size_t)len);
}

int sb_oscore_proxy_uri(const uint8_t *uri, size_t len, sb_coap_msg *inner, sb_coap_msg *outer)
{
    /* RFC 7252 §6.4 step 1-3: scheme "://" authority [path] ["?" query] ["#" fragment]. */
    size_t i = 0;
    while (i < len && uri[i] != ':') i++;
    if (i == 0 || i + 3 > len || memcmp(uri + i, "://", 3) != 0) return SB_EINVAL;
    uint8_t scheme[16];
    int slen = pct_decode(uri, i, 1, scheme, sizeof scheme);
    if (slen < 0) return SB_EINVAL;
    for (int k = 0; k < slen; k++) /* case-insensitive (RFC 3986 §3.1): compared lowercase */
        if (scheme[k] >= 'A' && scheme[k] <= 'Z') scheme[k] = (uint8_t)(scheme[k] + 32);
    size_t a = i + 3, e = a;
    while (e < len && uri[e] != '/' && uri[e] != '?' && uri[e] != '#') e++;
    /* Authority: host [":" port]; an IP-literal host is bracketed. */
    size_t hend = e, pstart = e;
    if (e == a) return SB_EINVAL; /* no host */
    size_t colon = a;
    if (uri[a] == '[') {
        while (colon < e && uri[colon] != ']') colon++;
        if (colon == e) return SB_EINVAL;
        colon++;
    }
    while (colon < e && uri[colon] != ':') colon++;
    if (colon < e) {
        hend = colon;
        pstart = colon + 1;
    }
    if (hend == a) return SB_EINVAL;
    uint32_t port = 0, dflt_port = 0;
    int explicit_port = pstart < e;
    if (pstart < e) {
        for (size_t k = pstart; k < e; k++) {
            if (!isdigit(uri[k]) || port > 65535) return SB_EINVAL;
            port = port * 10 + (uri[k] - '0');
        }
        if (port > 65535) return SB_EINVAL;
    }
    /* Default ports (RFC 7252 §6.1, §6.2; RFC 8323 §8.1, §8.2; RFC 7230 §2.7). */
    static const struct { const char *s; uint32_t p; } dflt[] = {
        {"coap", 5683}, {"coaps", 5684}, {"coap+tcp", 5683}, {"coaps+tcp", 5684},
        {"coap+ws", 80}, {"coaps+ws", 443}, {"http", 80}, {"https", 443}};
    for (size_t k = 0; k < sizeof dflt / sizeof dflt[0]; k++)
        if ((size_t)slen == strlen(dflt[k].s) && !memcmp(scheme, dflt[k].s, (size_t)slen))
            dflt_port = dflt[k].p;
    /* §4.1.3.3: the Outer Proxy-Uri is Proxy-Scheme, Uri-Host and Uri-Port composed as in
     * RFC 7252 §6.5 (the port only when not the scheme's default): "coap://example.com". */
    uint8_t host[256], base[300];
    int hlen = pct_decode(uri + a, hend - a, 1, host, sizeof host);
    if (hlen <= 0 || hlen > 255) return SB_EINVAL;
    for (int k = 0; k < hlen; k++) /* so is the host (RFC 3986 §6.2.2.1) */
        if (host[k] >= 'A' && host[k] <= 'Z') host[k] = (uint8_t)(host[k] + 32);
    size_t n = 0;
    memcpy(base, scheme, (size_t)slen);
    n = (size_t)slen;
    memcpy(base + n, "://", 3);
    n += 3;
    int rc = uri_append(base, sizeof base - 8, &n, host, (size_t)hlen, "[]:", 1);
    if (!rc && explicit_port && port != dflt_port)
        n += (size_t)snprintf((char *)base + n, 8, ":%u", (unsigned)port);
    if (!rc) rc = sb_coap_add_opt(outer, SB_OPT_PROXY_URI, base, n);
    /* Path: each segment a Uri-Path, nothing for "" or "/" (§6.4 step 8). */
    size_t p = e, q = e;
    while (q < len && uri[q] != '?' && uri[q] != '#') q++;
    if (!rc && q - p > 1) {
        for (size_t s = p + 1; !rc;) {
            size_t t = s;
            while (t < q && uri[t] != '/') t++;
            rc = add_decoded(inner, SB_OPT_URI_PATH, uri + s, t - s, 0);
            if (t >= q) break;
            s = t + 1;
        }
    }
    /* Query: each "&"-separated argument a Uri-Query (§6.4 step 9). */
    if (!rc && q < len && uri[q] == '?') {
        size_t end = q + 1;
        while (end < len && uri[end] != '#') end++;
        for (size_t s = q + 1; !rc;) {
            size_t t = s;
            while (t < end && uri[t] != '&') t++;
            /* Empty arguments ("?" or "a&&b") are dropped: libcoap 4.3.1 refuses a
             * zero-length Uri-Query when parsing, although RFC 7252 Table 4 allows it. */
            if (t > s) rc = add_decoded(inner, SB_OPT_URI_QUERY, uri + s, t - s, 0);
            if (t >= end) break;
            s = t + 1;
        }
    }
    return rc;
}
