/* capture.h: the one truth for bytes. A libpcap capture on a testbed link, and its analysis:
 * bytes and packets per direction, per phase (from the endpoints' marks, never a time cut),
 * handshake flights, round trips, and the packets carrying the first request and response.
 * Contract: sb_capture_start opens the interface inside the host's namespace and captures on
 * a thread until sb_capture_stop; packets are kept in memory (and written to pcap_path when
 * given). The capture is active when start returns (the first SYN is never missed), and the
 * calling thread is back in its own namespace. Decoded: Ethernet (with 802.1Q tags), raw IP,
 * Linux cooked v1/v2; IPv4 and IPv6 (extension headers skipped; fragments counted as
 * unparsed, never guessed). sb_traffic_analyze is pure: packets + marks in, numbers out;
 * tests feed it synthetic packets or a pcap file read with sb_capture_load. */
#ifndef SB_CAPTURE_H
#define SB_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../netem/testbed.h"
#include "io.h"

/* TCP flags as on the wire. */
enum { SB_TCP_FIN = 1, SB_TCP_SYN = 2, SB_TCP_RST = 4, SB_TCP_ACK = 16 };

typedef struct sb_pkt {
    int64_t ts_ns;        /* capture timestamp (wall clock, ns since the epoch) */
    uint8_t dir;          /* 0: client -> server, 1: server -> client */
    uint8_t proto;        /* 17 UDP, 6 TCP */
    uint32_t ip_len;      /* IP header + IP payload (link header excluded) */
    uint16_t ip_hdr;      /* IP header bytes (40 for IPv6 without extension headers) */
    uint16_t l4_hdr;      /* UDP 8, TCP data offset * 4 */
    uint32_t payload_len; /* transport payload */
    uint16_t sport, dport;
    uint32_t seq, ack; /* TCP */
    uint8_t flags;     /* TCP */
    uint64_t hash;     /* UDP: sb_fnv64 of the payload (matches the sender's mark) */
} sb_pkt;

typedef struct sb_capture sb_capture;

/* What the capture saw besides the packets it kept. `dropped` > 0 means the kernel lost frames
 * (the byte counts are then incomplete and sb_capture_stop fails); `unparsed` counts IP packets
 * passing the filter that could not be decoded (fragments, truncated headers, bad lengths),
 * `truncated` UDP datagrams whose payload was not captured whole (their hash is 0: unclassified). */
typedef struct sb_capture_stats {
    uint64_t frames, kept, unparsed, truncated, dropped;
} sb_capture_stats;

/* Capture on interface `ifname` inside testbed host `host` (tb NULL: the calling thread's own
 * namespace); `client_addr` (IPv6 or IPv4 text) decides direction: dir 0 iff the source
 * address equals it. filter: BPF expression (NULL: "tcp or udp"). pcap_path: NULL or a file to
 * keep. Returns once the capture is active: nothing sent afterwards is missed. The calling
 * thread is back in its original namespace on return (success or failure). */
int sb_capture_start(sb_capture **out, const sb_testbed *tb, int host, const char *ifname,
                     const char *client_addr, const char *filter, const char *pcap_path,
                     char *err, size_t cap);
/* The same inside the namespace at `netns_path` (/proc/PID/ns/net, /run/netns/NAME; NULL: the
 * calling thread's own). */
int sb_capture_start_ns(sb_capture **out, const char *netns_path, const char *ifname,
                        const char *client_addr, const char *filter, const char *pcap_path,
                        char *err, size_t cap);
/* Keep capturing until `drain_ms` passed without a new frame (at most 5 x drain_ms), then
 * join the thread and flush the pcap file. SB_OK, or SB_EIO when the capture failed or lost
 * frames (reason in sb_capture_error). Calling it again returns the same result. */
int sb_capture_stop(sb_capture *c, int drain_ms);
const char *sb_capture_error(const sb_capture *c); /* "" when none */
/* Valid after sb_capture_stop; the array lives until sb_capture_free. */
size_t sb_capture_packets(const sb_capture *c, const sb_pkt **pkts);
void sb_capture_stats_get(const sb_capture *c, sb_capture_stats *st);
void sb_capture_free(sb_capture *c); /* stops first if still running */
/* Read a pcap file (Ethernet, raw IP or Linux cooked link type); malloc'd array in *pkts
 * (NULL when empty). st may be NULL. */
int sb_capture_load(const char *path, const char *client_addr, sb_pkt **pkts, size_t *n,
                    sb_capture_stats *st, char *err, size_t cap);

/* What one endpoint says it sent on the measured connection. */
typedef struct sb_endpoint_marks {
    const sb_mark *marks;
    size_t n;
    uint16_t port; /* the connection's client-side port (the client's local port), in both
                      structs: packets of other connections (e.g. a priming one) are
                      ignored; 0 = accept every port */
} sb_endpoint_marks;

#define SB_MAX_FLIGHTS 32

typedef struct sb_flight {
    uint8_t dir;
    uint32_t bytes; /* transport payload bytes of the handshake phase */
    uint32_t packets;
} sb_flight;

typedef struct sb_first_msg {
    int found;
    uint32_t ip_hdr, l4_hdr; /* of the first packet carrying application-phase payload */
    uint32_t payload;        /* its application-phase payload bytes */
    uint32_t other;          /* payload bytes of other phases sharing that packet (e.g. a TLS
                                Finished in front of the request), or unclassified */
} sb_first_msg;

typedef struct sb_traffic {
    uint64_t bytes[2], packets[2], payload[2]; /* per direction */
    uint64_t phase_bytes[3], phase_payload[3]; /* SB_PHASE_HANDSHAKE, _APP, _TEARDOWN */
    uint64_t unclassified_bytes;               /* carried data no mark explains */
    sb_flight flights[SB_MAX_FLIGHTS];
    size_t nflights;
    int flights_overflow; /* more than SB_MAX_FLIGHTS flights: the rest are not listed */
    int round_trips; /* client->server runs answered by a server->client run, before teardown */
    sb_first_msg request, response; /* first application-phase data packet each way */
} sb_traffic;

/* Rules (sender's marks decide a byte's phase; never a time cut):
 * - UDP datagram: the sender's mark with the same hash and length; none -> unclassified.
 * - TCP data: stream offset seq - ISN - 1 (ISN from the SYN) split byte-exactly over the
 *   sender's marks; header bytes go with the first payload byte. SYN without data ->
 *   handshake; FIN/RST without data -> teardown; a pure ACK takes the phase of the last byte
 *   it acknowledges (only the SYN: handshake; the FIN: teardown).
 * - Bytes no mark explains (or a connection whose SYN was not captured) count in bytes[] and
 *   unclassified_bytes only, so sum(phase_bytes) + unclassified_bytes == bytes[0] + bytes[1].
 * client/server may be NULL (no marks, every port). SB_ENOMEM or SB_OK. */
int sb_traffic_analyze(const sb_pkt *pkts, size_t n, const sb_endpoint_marks *client,
                       const sb_endpoint_marks *server, sb_traffic *out);

#endif
