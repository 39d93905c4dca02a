/* proxy.h: `secbench proxy`, a CoAP forward proxy (RFC 7252 §5.7) between the devices and one
 * origin server, to show what a gateway can read and change.
 * Contract: the proxy accepts sessions of the hop stack (desc.hop_stack of --stack: the stack
 * itself for plain CoAP and (D)TLS, "coap" for OSCORE, the inner DTLS stack for
 * oscore+dtls1.2) on --listen and forwards each request, over one session of the same hop
 * stack that it opens to --upstream on the first request, ONLY to that upstream address:
 * a request naming any other host or port (Uri-Host/Uri-Port or Proxy-Uri) gets 5.02 Bad
 * Gateway and is sent nowhere; a request without Proxy-Uri/Proxy-Scheme gets 4.04. Both
 * Proxy-Uri and Proxy-Scheme + Uri-Host (+ Uri-Port) are accepted; Proxy-Scheme, Proxy-Uri,
 * Uri-Host and Uri-Port are removed before forwarding (the origin is the destination).
 * --proxy-dump FILE writes every CoAP message the proxy handled (both hops, hex and decoded);
 * --proxy-tamper flips one bit of the first payload byte of every request and response it
 * forwards. --hold N: the first N sessions stay open (fleet: heap per device); each of them
 * is served for --requests requests, the last one until its peer closes.
 * With --report-fd it writes "ready", then two sb_reports (role.h): the device side (CPU,
 * heap, marks of the measured device session, plus "proxy_*" lines) and the upstream side
 * (marks and local port of the upstream connection). --fleet N (with the client options) is
 * the other end of a fleet run: N client sessions opened one after another and held. */
#ifndef SB_PROXY_H
#define SB_PROXY_H

int sb_proxy_main(int argc, char **argv);

#endif
