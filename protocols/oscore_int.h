/* oscore_int.h: internals shared by oscore.c and oscore_opts.c (not a public interface). */
#ifndef SB_OSCORE_INT_H
#define SB_OSCORE_INT_H

#include "../bench/coapmsg.h"

/* Sort m's options into inner (class E; code and payload of m) and outer (class U, the
 * Outer copy of Observe; header, token and the outer code of §4.2). A Proxy-Uri is
 * decomposed first (§4.1.3.3). */
int sb_oscore_split(const sb_coap_msg *m, sb_coap_msg *inner, sb_coap_msg *outer);
/* The original message from the verified outer and decrypted inner ones: outer header and
 * token, inner code, inner options plus the outer class U ones (and outer E+U ones that have
 * no inner counterpart), inner payload. The OSCORE option is dropped. */
int sb_oscore_merge(const sb_coap_msg *outer, const sb_coap_msg *inner, sb_coap_msg *res);
/* Decompose a Proxy-Uri (RFC 7252 §6.4) into Proxy-Scheme, Uri-Host, Uri-Port (outer) and
 * Uri-Path, Uri-Query (inner). */
int sb_oscore_proxy_uri(const uint8_t *uri, size_t len, sb_coap_msg *inner, sb_coap_msg *outer);

#endif
