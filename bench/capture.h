/* capture.h: the one truth for bytes. A libpcap capture on a testbed link, and its analysis:
 * bytes and packets per direction, per phase (from the endpoints' marks, never a time cut),
 * handshake flights, round trips, and the packets carrying the first request and response.
 * Contract: sb_capture_start opens the interface inside the host's namespace and captures on
 * a thread until sb_capture_stop; packets are kept in memory (and written to pcap_path when
 * given). sb_traffic_analyze is pure: packets + marks in, numbers out; tests feed it synthetic
 * packets or a pcap file read with sb_capture_load. */
#ifndef SB_CAPTURE_H
#define SB_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "../netem/testbed.h"
#include "io.h"

/* TCP flags as on the wire. */
enum { SB_TCP_FIN = 1, SB_TCP_SYN = 2, SB_TCP_RST = 4, SB_TCP_ACK = 16 };

typedef struct sb_pkt {
    int64_t ts_ns;        /* capture timestamp */
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

/* Capture on interface `ifname` inside testbed host `host`; `client_addr` decides direction.
 * filter: BPF expression (NULL: "tcp or udp"). pcap_path: NULL or a file to keep. */
int sb_capture_start(sb_capture **out, const sb_testbed *tb, int host, const char *ifname,
                     const char *client_addr, const char *filter, const char *pcap_path,
                     char *err, size_t cap);
/* Stop after `drain_ms` of quiet (packets in flight still arrive), then join the thread. */
int sb_capture_stop(sb_capture *c, int drain_ms);
size_t sb_capture_packets(const sb_capture *c, const sb_pkt **pkts);
void sb_capture_free(sb_capture *c);
/* Read a pcap file (Ethernet or raw IP link type); malloc'd array in *pkts. */
int sb_capture_load(const char *path, const char *client_addr, sb_pkt **pkts, size_t *n,
                    char *err, size_t cap);

/* What one endpoint says it sent on the measured connection. */
typedef struct sb_endpoint_marks {
    const sb_mark *marks;
    size_t n;
    uint16_t port; /* its local port: packets of other connections (e.g. a priming one) are
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
    uint32_t ip_hdr, l4_hdr, payload; /* of the first packet carrying it */
} sb_first_msg;

typedef struct sb_traffic {
    uint64_t bytes[2], packets[2], payload[2]; /* per direction */
    uint64_t phase_bytes[3], phase_payload[3]; /* SB_PHASE_HANDSHAKE, _APP, _TEARDOWN */
    uint64_t unclassified_bytes;               /* carried data no mark explains */
    sb_flight flights[SB_MAX_FLIGHTS];
    size_t nflights;
    int round_trips; /* client->server runs answered by a server->client run, before teardown */
    sb_first_msg request, response; /* first application-phase data packet each way */
} sb_traffic;

int sb_traffic_analyze(const sb_pkt *pkts, size_t n, const sb_endpoint_marks *client,
                       const sb_endpoint_marks *server, sb_traffic *out);

#endif
