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
 * no inner counterpart), inner payload. The OSCORE option is dropped; a notification's
 * Observe takes the Outer value; an Outer Proxy-Uri absorbs the Inner Uri-Path/Uri-Query. */
int sb_oscore_merge(const sb_coap_msg *outer, const sb_coap_msg *inner, sb_coap_msg *res);
/* §4.1.3.3: decompose a Proxy-Uri (RFC 7252 §6.4); Uri-Path and Uri-Query go Inner, and the
 * Outer Proxy-Uri becomes Proxy-Scheme, Uri-Host and Uri-Port recomposed (RFC 7252 §6.5):
 * "coap://example.com/resource?q=1" -> Outer "coap://example.com", Inner "resource", "q=1".
 * sb_oscore_merge joins them back into the original Proxy-Uri. */
int sb_oscore_proxy_uri(const uint8_t *uri, size_t len, sb_coap_msg *inner, sb_coap_msg *outer);

#endif
