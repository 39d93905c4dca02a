/* test_capture.c: the capture's frame decoding (hand-built pcaps in tests/data, written by
 * tests/data/gen_pcaps.py, cross-checked with tshark), the traffic analysis on synthetic
 * packets with byte counts worked out by hand, and real captures on a veth pair between two
 * namespaces this test creates (and always deletes).
 * Sizes used throughout: IPv6 header 40 (RFC 8200 §3), UDP 8 (RFC 768), TCP 20 + options;
 * Linux puts the timestamps option (RFC 7323 §3: 10 bytes + 2 NOP) in every segment: 32, and
 * MSS + SACK-permitted + timestamps + window scale in a SYN: 40. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../bench/capture.h"
#include "../bench/util.h"

enum { CPORT = 40000, SPORT = 5684, IP6 = 40, UDPH = 8, TCPTS = 32, TCPSYN = 40 };
enum { HS = SB_PHASE_HANDSHAKE, APP = SB_PHASE_APP, TD = SB_PHASE_TEARDOWN };

/* ------------------------------------------------------------ synthetic traces */

typedef struct trace {
    sb_pkt p[128];
    size_t n;
    uint32_t nxt[2]; /* next sequence number per direction */
    uint16_t cport;
} trace;

static void tr_init(trace *t, uint32_t cisn, uint32_t sisn)
{
    memset(t, 0, sizeof *t);
    t->nxt[0] = cisn;
    t->nxt[1] = sisn;
    t->cport = CPORT;
}

static sb_pkt *tr_add(trace *t, int dir, uint8_t proto, uint16_t l4, uint32_t len)
{
    assert_true(t->n < 128);
    sb_pkt *p = &t->p[t->n++];
    memset(p, 0, sizeof *p);
    p->dir = (uint8_t)dir;
    p->proto = proto;
    p->ip_hdr = IP6;
    p->l4_hdr = l4;
    p->payload_len = len;
    p->ip_len = IP6 + l4 + len;
    p->sport = dir == 0 ? t->cport : SPORT;
    p->dport = dir == 0 ? SPORT : t->cport;
    return p;
}

/* A datagram whose content is `fill` repeated: distinct fills give distinct hashes. */
static uint64_t fill_hash(uint8_t fill, uint32_t len)
{
    uint8_t buf[2048];
    memset(buf, fill, len);
    return sb_fnv64(buf, len);
}

static void udp(trace *t, int dir, uint8_t fill, uint32_t len)
{
    tr_add(t, dir, 17, UDPH, len)->hash = fill_hash(fill, len);
}

static sb_mark dmark(uint8_t fill, uint32_t len, int phase)
{
    return (sb_mark){.key = fill_hash(fill, len), .len = len, .phase = (uint8_t)phase};
}

/* TCP segment from dir with `len` payload bytes at the current sequence number. */
static sb_pkt *seg(trace *t, int dir, uint8_t flags, uint32_t len)
{
    uint16_t thl = flags & SB_TCP_SYN ? TCPSYN : TCPTS;
    sb_pkt *p = tr_add(t, dir, 6, thl, len);
    p->flags = flags;
    p->seq = t->nxt[dir];
    p->ack = flags & SB_TCP_ACK ? t->nxt[!dir] : 0;
    t->nxt[dir] += len + !!(flags & SB_TCP_SYN) + !!(flags & SB_TCP_FIN);
    return p;
}

/* SYN, SYN-ACK, ACK: 80 + 80 + 72 bytes, all handshake. */
static void handshake(trace *t)
{
    seg(t, 0, SB_TCP_SYN, 0);
    seg(t, 1, SB_TCP_SYN | SB_TCP_ACK, 0);
    seg(t, 0, SB_TCP_ACK, 0);
}
static void data(trace *t, int dir, uint32_t len) { seg(t, dir, SB_TCP_ACK | 8, len); }
static void ack(trace *t, int dir) { seg(t, dir, SB_TCP_ACK, 0); }
/* FIN each way and the final ACK: 3 x 72 bytes of teardown. */
static void close_both(trace *t)
{
    seg(t, 0, SB_TCP_FIN | SB_TCP_ACK, 0);
    seg(t, 1, SB_TCP_FIN | SB_TCP_ACK, 0);
    ack(t, 0);
}

static sb_traffic analyze(const trace *t, const sb_mark *cm, size_t cn, const sb_mark *sm,
                          size_t sn)
{
    sb_endpoint_marks c = {cm, cn, CPORT}, s = {sm, sn, CPORT};
    sb_traffic tr;
    assert_int_equal(sb_traffic_analyze(t->p, t->n, &c, &s, &tr), SB_OK);
    /* Every byte is in exactly one phase or unclassified. */
    assert_int_equal(tr.phase_bytes[0] + tr.phase_bytes[1] + tr.phase_bytes[2] +
                         tr.unclassified_bytes,
                     tr.bytes[0] + tr.bytes[1]);
    return tr;
}

static void assert_flight(const sb_traffic *tr, size_t i, int dir, uint32_t bytes, uint32_t pkts)
{
    assert_true(i < tr->nflights);
    assert_int_equal(tr->flights[i].dir, dir);
    assert_int_equal(tr->flights[i].bytes, bytes);
    assert_int_equal(tr->flights[i].packets, pkts);
}

/* CoAP over UDP: request 21 bytes, response 15: ip_len 40+8+21 = 69 and 40+8+15 = 63. */
static void test_udp_request_response(void **state)
{
    trace t;
    tr_init(&t, 0, 0);
    udp(&t, 0, 'q', 21);
    udp(&t, 1, 'r', 15);
    sb_mark cm[] = {dmark('q', 21, APP)}, sm[] = {dmark('r', 15, APP)};
    sb_traffic tr = analyze(&t, cm, 1, sm, 1);
    assert_int_equal(tr.bytes[0], 69);
    assert_int_equal(tr.bytes[1], 63);
    assert_int_equal(tr.packets[0], 1);
    assert_int_equal(tr.packets[1], 1);
    assert_int_equal(tr.payload[0], 21);
    assert_int_equal(tr.payload[1], 15);
    assert_int_equal(tr.phase_bytes[APP], 132);
    assert_int_equal(tr.phase_payload[APP], 36);
    assert_int_equal(tr.phase_bytes[HS] + tr.phase_bytes[TD] + tr.unclassified_bytes, 0);
    assert_int_equal(tr.nflights, 0);
    assert_int_equal(tr.round_trips, 1);
    assert_true(tr.request.found && tr.response.found);
    assert_int_equal(tr.request.ip_hdr, 40);
    assert_int_equal(tr.request.l4_hdr, 8);
    assert_int_equal(tr.request.payload, 21);
    assert_int_equal(tr.request.other, 0);
    assert_int_equal(tr.response.payload, 15);
}

/* A retransmitted ClientHello keeps its phase; a datagram whose mark has another length and
 * one nobody marked are unclassified (still in bytes[]). */
static void test_udp_retransmit_and_unmarked(void **state)
{
    trace t;
    tr_init(&t, 0, 0);
    udp(&t, 0, 'h', 120); /* CH: 48 + 120 = 168 */
    udp(&t, 0, 'h', 120); /* retransmitted: 168 */
    udp(&t, 1, 'v', 60);  /* HVR: 108 */
    udp(&t, 0, 'x', 33);  /* mark says 34 bytes: unclassified, 81 */
    udp(&t, 1, 'z', 10);  /* unmarked: unclassified, 58 */
    sb_mark cm[] = {dmark('h', 120, HS), {.key = fill_hash('x', 33), .len = 34, .phase = APP}};
    sb_mark sm[] = {dmark('v', 60, HS)};
    sb_traffic tr = analyze(&t, cm, 2, sm, 1);
    assert_int_equal(tr.bytes[0], 168 + 168 + 81);
    assert_int_equal(tr.bytes[1], 108 + 58);
    assert_int_equal(tr.phase_bytes[HS], 168 + 168 + 108);
    assert_int_equal(tr.phase_payload[HS], 300);
    assert_int_equal(tr.phase_bytes[APP], 0);
    assert_int_equal(tr.unclassified_bytes, 81 + 58);
    assert_int_equal(tr.nflights, 2);
    assert_flight(&tr, 0, 0, 240, 2);
    assert_flight(&tr, 1, 1, 60, 1);
    /* CH CH | HVR (1) | x (unclassified counts as active) | z (2) */
    assert_int_equal(tr.round_trips, 2);
    assert_false(tr.request.found);
}

/* A priming exchange on another client port is ignored when the marks name the port; with
 * port 0 everything counts. */
static void test_priming_connection_ignored(void **state)
{
    trace t;
    tr_init(&t, 0, 0);
    t.cport = CPORT - 1; /* priming */
    udp(&t, 0, 'q', 21);
    udp(&t, 1, 'r', 15);
    t.cport = CPORT; /* measured */
    udp(&t, 0, 'q', 21);
    t.cport = CPORT - 1; /* late priming packet in between */
    udp(&t, 1, 'r', 15);
    t.cport = CPORT;
    udp(&t, 1, 'r', 15);
    sb_mark cm[] = {dmark('q', 21, APP)}, sm[] = {dmark('r', 15, APP)};
    sb_traffic tr = analyze(&t, cm, 1, sm, 1);
    assert_int_equal(tr.bytes[0], 69);
    assert_int_equal(tr.bytes[1], 63);
    assert_int_equal(tr.round_trips, 1);

    sb_endpoint_marks any_c = {cm, 1, 0}, any_s = {sm, 1, 0};
    assert_int_equal(sb_traffic_analyze(t.p, t.n, &any_c, &any_s, &tr), SB_OK);
    assert_int_equal(tr.bytes[0], 2 * 69);
    assert_int_equal(tr.bytes[1], 3 * 63);
    /* The server's marks name the connection by the client's port as well. */
    any_s.port = CPORT;
    assert_int_equal(sb_traffic_analyze(t.p, t.n, &any_c, &any_s, &tr), SB_OK);
    assert_int_equal(tr.bytes[0], 69);
    assert_int_equal(tr.bytes[1], 63);
    /* NULL marks: every packet, nothing classified. */
    assert_int_equal(sb_traffic_analyze(t.p, t.n, NULL, NULL, &tr), SB_OK);
    assert_int_equal(tr.unclassified_bytes, 2 * 69 + 3 * 63);
}

/* TCP, byte-exact. Client ISN 1000, server ISN 5000.
 *  1 c SYN                       80 HS
 *  2 s SYN-ACK                   80 HS
 *  3 c ACK (acks only the SYN)   72 HS
 *  4 c 100 bytes [0,100): marks [0,60) HS, [60,110) APP: 72+60 HS, 40 APP
 *  5 s 50 bytes [0,50): marks [0,20) HS, [20,50) APP: 72+20 HS, 30 APP
 *  6 c ACK of server byte 49     72 APP
 *  7 c 30 bytes [100,130): [100,110) APP, [110,130) TD (close_notify): 72+10 APP, 20 TD
 *  8 s ACK of client byte 129    72 TD
 *  9 c FIN, 10 s FIN, 11 c ACK of the FIN: 3 x 72 TD
 * bytes[0] = 80+72+172+72+102+72+72 = 642, bytes[1] = 80+122+72+72 = 346;
 * HS = 80+80+72+132+92 = 456, APP = 40+30+72+82 = 224, TD = 20+72+72+72+72 = 308 (= 988). */
static void test_tcp_split_and_acks(void **state)
{
    trace t;
    tr_init(&t, 1000, 5000);
    handshake(&t);
    data(&t, 0, 100);
    data(&t, 1, 50);
    ack(&t, 0);
    data(&t, 0, 30);
    ack(&t, 1);
    close_both(&t);
    sb_mark cm[] = {{0, 60, HS}, {60, 50, APP}, {110, 20, TD}};
    sb_mark sm[] = {{0, 20, HS}, {20, 30, APP}};
    sb_traffic tr = analyze(&t, cm, 3, sm, 2);
    assert_int_equal(tr.bytes[0], 642);
    assert_int_equal(tr.bytes[1], 346);
    assert_int_equal(tr.packets[0], 7);
    assert_int_equal(tr.packets[1], 4);
    assert_int_equal(tr.payload[0], 130);
    assert_int_equal(tr.payload[1], 50);
    assert_int_equal(tr.phase_bytes[HS], 456);
    assert_int_equal(tr.phase_bytes[APP], 224);
    assert_int_equal(tr.phase_bytes[TD], 308);
    assert_int_equal(tr.phase_payload[HS], 80);
    assert_int_equal(tr.phase_payload[APP], 80);
    assert_int_equal(tr.phase_payload[TD], 20);
    assert_int_equal(tr.unclassified_bytes, 0);
    assert_int_equal(tr.nflights, 2);
    assert_flight(&tr, 0, 0, 60, 1);
    assert_flight(&tr, 1, 1, 20, 1);
    assert_int_equal(tr.round_trips, 2); /* SYN | SYN-ACK | data | data */
    assert_int_equal(tr.request.ip_hdr, 40);
    assert_int_equal(tr.request.l4_hdr, 32);
    assert_int_equal(tr.request.payload, 40);
    assert_int_equal(tr.request.other, 60);
    assert_int_equal(tr.response.payload, 30);
    assert_int_equal(tr.response.other, 20);
}

/* Sequence numbers wrap: client ISN 0xfffffff0, 2 x 20 bytes with marks [0,16) HS, [16,40)
 * APP: 72+16 HS + 4 APP, then 92 APP; the server's ACK of byte 39 (ack = 0x19) is APP. */
static void test_tcp_seq_wrap(void **state)
{
    trace t;
    tr_init(&t, 0xfffffff0u, 77);
    handshake(&t);
    data(&t, 0, 20);
    data(&t, 0, 20);
    ack(&t, 1);
    assert_int_equal(t.p[5].ack, 0x19);
    sb_mark cm[] = {{0, 16, HS}, {16, 24, APP}};
    sb_traffic tr = analyze(&t, cm, 2, NULL, 0);
    assert_int_equal(tr.phase_bytes[HS], 80 + 80 + 72 + 72 + 16);
    assert_int_equal(tr.phase_bytes[APP], 4 + 92 + 72);
    assert_int_equal(tr.phase_payload[APP], 24);
    assert_int_equal(tr.unclassified_bytes, 0);
}

/* Nothing explains: data of a connection whose SYN was not captured (and the ACKs whose peer
 * ISN is unknown); data no mark covers, and ACKs of it; a gap between two marks. */
static void test_tcp_unclassified(void **state)
{
    trace t;
    tr_init(&t, 2000, 9000);
    data(&t, 0, 20); /* 92, no SYN seen */
    ack(&t, 1);      /* 72, client ISN unknown */
    sb_traffic tr = analyze(&t, NULL, 0, NULL, 0);
    assert_int_equal(tr.unclassified_bytes, 92 + 72);
    assert_int_equal(tr.bytes[0] + tr.bytes[1], 164);

    tr_init(&t, 2000, 9000);
    handshake(&t);   /* 232 HS */
    data(&t, 0, 30); /* [0,30): marks [0,10) HS, gap [10,20), [20,30) APP: 72+10 HS, 10 U, 10 APP */
    ack(&t, 1);      /* acks byte 29: APP, 72 */
    data(&t, 1, 10); /* no server marks: 82 U */
    ack(&t, 0);      /* acks server byte 9: U, 72 */
    sb_mark cm[] = {{0, 10, HS}, {20, 10, APP}};
    tr = analyze(&t, cm, 2, NULL, 0);
    assert_int_equal(tr.phase_bytes[HS], 232 + 82);
    assert_int_equal(tr.phase_bytes[APP], 10 + 72);
    assert_int_equal(tr.unclassified_bytes, 10 + 82 + 72);
    assert_int_equal(tr.phase_payload[HS], 10);
    assert_int_equal(tr.phase_payload[APP], 10);
}

/* The response rides with the FIN: payload by marks, header with it (APP); the ACK of that
 * FIN is teardown; a RST (20-byte header, 60 bytes) is teardown. SYN | SYN-ACK | request |
 * response+FIN: 2 round trips. */
static void test_tcp_fin_with_data_and_rst(void **state)
{
    trace t;
    tr_init(&t, 100, 200);
    handshake(&t);
    data(&t, 0, 21);
    seg(&t, 1, SB_TCP_FIN | SB_TCP_ACK | 8, 25);
    ack(&t, 0); /* ack = 200 + 1 + 25 + 1: acknowledges the FIN */
    sb_pkt *rst = seg(&t, 0, SB_TCP_RST, 0);
    rst->l4_hdr = 20;
    rst->ip_len = 60;
    sb_mark cm[] = {{0, 21, APP}}, sm[] = {{0, 25, APP}};
    sb_traffic tr = analyze(&t, cm, 1, sm, 1);
    assert_int_equal(tr.phase_bytes[HS], 232);
    assert_int_equal(tr.phase_bytes[APP], 93 + 97);
    assert_int_equal(tr.phase_bytes[TD], 72 + 60);
    assert_int_equal(tr.round_trips, 2);
    assert_int_equal(tr.response.payload, 25);
}

/* CoAP over TCP, cold (RFC 8323): SYN / SYN-ACK / ACK / client CSM (8, HS) and request (21)
 * without waiting / server CSM (8, HS) + response (15) in one segment / FINs: 2 round trips;
 * flights: client CSM, server CSM. */
static void test_rtt_coap_tcp(void **state)
{
    trace t;
    tr_init(&t, 1, 1);
    handshake(&t);
    data(&t, 0, 8);
    data(&t, 0, 21);
    ack(&t, 1);
    data(&t, 1, 23);
    ack(&t, 0);
    close_both(&t);
    sb_mark cm[] = {{0, 8, HS}, {8, 21, APP}}, sm[] = {{0, 8, HS}, {8, 15, APP}};
    sb_traffic tr = analyze(&t, cm, 2, sm, 2);
    assert_int_equal(tr.round_trips, 2);
    assert_int_equal(tr.nflights, 2);
    assert_flight(&tr, 0, 0, 8, 1);
    assert_flight(&tr, 1, 1, 8, 1);
    assert_int_equal(tr.request.payload, 21);
    assert_int_equal(tr.request.other, 0);
    assert_int_equal(tr.response.payload, 15);
    assert_int_equal(tr.response.other, 8);
    assert_int_equal(tr.phase_bytes[TD], 3 * 72);
}

/* TLS 1.3 cold over TCP (RFC 8446 §2): SYN / SYN-ACK / ACK / ClientHello 250 / ServerHello..
 * Finished in 2 segments (1200 + 300) / client Finished 74 + CSM + request (50 APP) / NST 250
 * + CSM + response (45 APP) / close_notify each way (24, TD) / FINs: 3 round trips. */
static void test_rtt_tls13(void **state)
{
    trace t;
    tr_init(&t, 10, 20);
    handshake(&t);
    data(&t, 0, 250);
    ack(&t, 1);
    data(&t, 1, 1200);
    data(&t, 1, 300);
    ack(&t, 0);
    data(&t, 0, 124);
    data(&t, 1, 295);
    data(&t, 0, 24);
    data(&t, 1, 24);
    close_both(&t);
    sb_mark cm[] = {{0, 324, HS}, {324, 50, APP}, {374, 24, TD}};
    sb_mark sm[] = {{0, 1750, HS}, {1750, 45, APP}, {1795, 24, TD}};
    sb_traffic tr = analyze(&t, cm, 3, sm, 3);
    assert_int_equal(tr.round_trips, 3);
    assert_int_equal(tr.nflights, 4);
    assert_flight(&tr, 0, 0, 250, 1);
    assert_flight(&tr, 1, 1, 1500, 2);
    assert_flight(&tr, 2, 0, 74, 1);
    assert_flight(&tr, 3, 1, 250, 1);
    assert_int_equal(tr.request.payload, 50);
    assert_int_equal(tr.request.other, 74);
    assert_int_equal(tr.response.payload, 45);
    assert_int_equal(tr.response.other, 250);
    assert_int_equal(tr.phase_payload[TD], 48);
    /* TD: two close_notify segments (72 + 24 each), FIN, FIN, ACK (72 each). */
    assert_int_equal(tr.phase_bytes[TD], 2 * 96 + 3 * 72);
}

/* TLS 1.2 full handshake (RFC 5246 §7.3): SYN / SYN-ACK / CH / SH..SHD / CKE..Finished /
 * NST+CCS+Finished / request / response: 4 round trips. */
static void test_rtt_tls12(void **state)
{
    trace t;
    tr_init(&t, 10, 20);
    handshake(&t);
    data(&t, 0, 200);
    data(&t, 1, 900);
    data(&t, 0, 180);
    data(&t, 1, 250);
    data(&t, 0, 60);
    data(&t, 1, 50);
    close_both(&t);
    sb_mark cm[] = {{0, 380, HS}, {380, 60, APP}}, sm[] = {{0, 1150, HS}, {1150, 50, APP}};
    sb_traffic tr = analyze(&t, cm, 2, sm, 2);
    assert_int_equal(tr.round_trips, 4);
    assert_int_equal(tr.nflights, 4);
    assert_flight(&tr, 3, 1, 250, 1);
}

/* DTLS 1.2 with a cookie (RFC 6347 §4.2.1): CH / HVR / CH / SH..SHD (2 datagrams) /
 * CKE, CCS, Finished (3) / CCS, Finished (2) / request / response / close_notify: 4. */
static void test_rtt_dtls12_cookie(void **state)
{
    trace t;
    tr_init(&t, 0, 0);
    udp(&t, 0, 'a', 150);
    udp(&t, 1, 'b', 60);
    udp(&t, 0, 'c', 182);
    udp(&t, 1, 'd', 400);
    udp(&t, 1, 'e', 100);
    udp(&t, 0, 'f', 90);
    udp(&t, 0, 'g', 14);
    udp(&t, 0, 'h', 61);
    udp(&t, 1, 'i', 14);
    udp(&t, 1, 'j', 61);
    udp(&t, 0, 'k', 50);
    udp(&t, 1, 'l', 45);
    udp(&t, 0, 'm', 39);
    sb_mark cm[] = {dmark('a', 150, HS), dmark('c', 182, HS), dmark('f', 90, HS),
                    dmark('g', 14, HS),  dmark('h', 61, HS),  dmark('k', 50, APP),
                    dmark('m', 39, TD)};
    sb_mark sm[] = {dmark('b', 60, HS), dmark('d', 400, HS), dmark('e', 100, HS),
                    dmark('i', 14, HS), dmark('j', 61, HS), dmark('l', 45, APP)};
    sb_traffic tr = analyze(&t, cm, 7, sm, 6);
    assert_int_equal(tr.round_trips, 4);
    assert_int_equal(tr.nflights, 6);
    assert_flight(&tr, 0, 0, 150, 1);
    assert_flight(&tr, 1, 1, 60, 1);
    assert_flight(&tr, 2, 0, 182, 1);
    assert_flight(&tr, 3, 1, 500, 2);
    assert_flight(&tr, 4, 0, 165, 3);
    assert_flight(&tr, 5, 1, 75, 2);
    assert_int_equal(tr.phase_bytes[TD], 48 + 39);
    assert_int_equal(tr.phase_payload[HS], 150 + 60 + 182 + 500 + 165 + 75);
}

/* Application packets and ACKs between handshake packets of one direction do not split its
 * flight; more than SB_MAX_FLIGHTS flights are flagged. */
static void test_flights_rules(void **state)
{
    trace t;
    tr_init(&t, 0, 0);
    udp(&t, 0, 'a', 10);
    udp(&t, 1, 'z', 5); /* app from the server: transparent */
    udp(&t, 0, 'b', 10);
    sb_mark cm[] = {dmark('a', 10, HS), dmark('b', 10, HS)}, sm[] = {dmark('z', 5, APP)};
    sb_traffic tr = analyze(&t, cm, 2, sm, 1);
    assert_int_equal(tr.nflights, 1);
    assert_flight(&tr, 0, 0, 20, 2);

    tr_init(&t, 0, 0);
    for (int i = 0; i < 40; i++) udp(&t, i & 1, 'a', 10);
    sb_mark m[] = {dmark('a', 10, HS)};
    tr = analyze(&t, m, 1, m, 1);
    assert_int_equal(tr.nflights, SB_MAX_FLIGHTS);
    assert_true(tr.flights_overflow);
    assert_int_equal(tr.round_trips, 20);
}

/* ------------------------------------------------------------ pcap decoding */

static void data_file(const char *name, char *out, size_t cap)
{
    char rel[256];
    snprintf(rel, sizeof rel, "tests/data/%s", name);
    assert_int_equal(sb_data_path(rel, out, cap), SB_OK);
}

/* Our ip_len and payload per packet equal tshark's (ip.len or 40 + ipv6.plen; tcp.len or
 * udp.length - 8), packet by packet. Skipped (with a note) when tshark is missing. */
static void check_tshark(const char *path, const sb_pkt *p, size_t n)
{
    if (access("/usr/bin/tshark", X_OK) != 0) {
        print_message("tshark not installed: cross-check of %s skipped\n", path);
        return;
    }
    char cmd[1200];
    snprintf(cmd, sizeof cmd,
             "tshark -r '%s' -Y 'tcp or udp' -T fields -E separator=, -e ip.len -e ipv6.plen "
             "-e tcp.len -e udp.length 2>/dev/null",
             path);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    char line[256];
    size_t i = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned v4 = 0, plen = 0, tlen = 0, ulen = 0;
        char *s = line;
        unsigned *dst[] = {&v4, &plen, &tlen, &ulen};
        for (int k = 0; k < 4; k++) {
            *dst[k] = (unsigned)strtoul(s, &s, 10);
            if (*s == ',') s++;
        }
        assert_true(i < n);
        assert_int_equal(p[i].ip_len, v4 ? v4 : 40 + plen);
        assert_int_equal(p[i].payload_len, p[i].proto == 6 ? tlen : ulen - 8);
        i++;
    }
    assert_int_equal(pclose(f), 0);
    assert_int_equal(i, n);
}

static size_t load(const char *name, const char *client, sb_pkt **p, sb_capture_stats *st)
{
    char path[512], err[256] = "";
    size_t n;
    data_file(name, path, sizeof path);
    assert_int_equal(sb_capture_load(path, client, p, &n, st, err, sizeof err), SB_OK);
    check_tshark(path, *p, n);
    return n;
}

static void test_load_ethernet_udp(void **state)
{
    sb_pkt *p;
    sb_capture_stats st;
    size_t n = load("eth_ipv6_udp.pcap", "fd5b::1", &p, &st);
    assert_int_equal(n, 2);
    assert_int_equal(st.frames, 2);
    assert_int_equal(st.kept, 2);
    assert_int_equal(p[0].dir, 0);
    assert_int_equal(p[0].proto, 17);
    assert_int_equal(p[0].ip_len, 69);
    assert_int_equal(p[0].ip_hdr, 40);
    assert_int_equal(p[0].l4_hdr, 8);
    assert_int_equal(p[0].payload_len, 21);
    assert_int_equal(p[0].sport, 40000);
    assert_int_equal(p[0].dport, 5683);
    /* The request bytes of gen_pcaps.py: CON GET, token a1..a5, Uri-Path "temperature". */
    const uint8_t req[] = {0x45, 0x01, 0x12, 0x34, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xbb,
                           't',  'e',  'm',  'p',  'e',  'r',  'a',  't',  'u',  'r',  'e'};
    assert_true(p[0].hash == sb_fnv64(req, sizeof req));
    assert_int_equal(p[1].dir, 1);
    assert_int_equal(p[1].ip_len, 63);
    /* Timestamps: 1700000000 s + 1000 us per frame index. */
    assert_true(p[1].ts_ns == 1700000000LL * SB_NS_PER_S + 1000000);
    free(p);
}

/* IPv4/TCP: SYN 20+40 = 60, the padded 60-byte frame of a bare ACK is ip_len 40, data with
 * timestamps 20+32+10 = 62; seq/ack/flags as written. */
static void test_load_ethernet_ipv4_tcp(void **state)
{
    sb_pkt *p;
    size_t n = load("eth_ipv4_tcp.pcap", "198.18.0.1", &p, NULL);
    assert_int_equal(n, 5);
    assert_int_equal(p[0].ip_len, 60);
    assert_int_equal(p[0].ip_hdr, 20);
    assert_int_equal(p[0].l4_hdr, 40);
    assert_int_equal(p[0].flags, SB_TCP_SYN);
    assert_int_equal(p[0].seq, 1000);
    assert_int_equal(p[1].dir, 1);
    assert_int_equal(p[1].ack, 1001);
    assert_int_equal(p[2].ip_len, 40);
    assert_int_equal(p[2].payload_len, 0);
    assert_int_equal(p[3].ip_len, 62);
    assert_int_equal(p[3].l4_hdr, 32);
    assert_int_equal(p[3].payload_len, 10);
    assert_int_equal(p[4].flags, SB_TCP_FIN | SB_TCP_ACK);
    /* Analysis of the real file: 10 APP bytes, SYN..ACK handshake, FIN teardown. */
    sb_mark cm[] = {{0, 10, APP}};
    sb_endpoint_marks c = {cm, 1, 40001};
    sb_traffic tr;
    assert_int_equal(sb_traffic_analyze(p, n, &c, NULL, &tr), SB_OK);
    assert_int_equal(tr.phase_bytes[HS], 60 + 60 + 40);
    assert_int_equal(tr.phase_bytes[APP], 62);
    assert_int_equal(tr.phase_bytes[TD], 40);
    free(p);
}

/* Hop-by-Hop 8 bytes: ip_hdr 48, ip_len 40+8+8+5 = 61; a first fragment is unparsed; an atomic
 * fragment decodes (ip_hdr 48); a VLAN tag is skipped (ip_len 53). */
static void test_load_ipv6_ext_vlan(void **state)
{
    sb_pkt *p;
    sb_capture_stats st;
    size_t n = load("eth_ipv6_ext.pcap", "fd5b::1", &p, &st);
    assert_int_equal(n, 3);
    assert_int_equal(st.frames, 4);
    assert_int_equal(st.unparsed, 1);
    assert_int_equal(p[0].ip_hdr, 48);
    assert_int_equal(p[0].ip_len, 61);
    assert_int_equal(p[0].payload_len, 5);
    assert_int_equal(p[1].dir, 1);
    assert_int_equal(p[1].ip_hdr, 48);
    assert_int_equal(p[1].sport, 9999);
    assert_true(p[1].hash == sb_fnv64((const uint8_t *)"world", 5));
    assert_int_equal(p[2].ip_len, 53);
    assert_true(p[2].hash == sb_fnv64((const uint8_t *)"vlan!", 5));
    free(p);
}

static void test_load_cooked_and_raw(void **state)
{
    sb_pkt *p;
    size_t n = load("sll2_ipv6_udp.pcap", "fd5b::1", &p, NULL);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].ip_len, 69);
    assert_int_equal(p[0].dir, 0);
    assert_int_equal(p[1].ip_len, 63);
    assert_int_equal(p[1].dir, 1);
    free(p);
    n = load("sll_ipv4_udp.pcap", "198.18.0.1", &p, NULL);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].ip_len, 20 + 8 + 21);
    assert_int_equal(p[1].ip_len, 20 + 8 + 15);
    assert_int_equal(p[1].dir, 1);
    free(p);
    n = load("raw_ipv6_tcp.pcap", "fd5b::1", &p, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(p[0].ip_len, 40 + 32 + 21);
    assert_int_equal(p[0].l4_hdr, 32);
    assert_int_equal(p[0].seq, 77);
    assert_int_equal(p[0].ack, 88);
    free(p);
    /* An IPv6 client address never matches IPv4 sources: everything is dir 1. */
    n = load("sll_ipv4_udp.pcap", "fd5b::1", &p, NULL);
    assert_int_equal(p[0].dir, 1);
    free(p);
}

/* Snaplen 80 cut the 100-byte payload: kept with ip_len 148, counted truncated, hash 0. */
static void test_load_truncated(void **state)
{
    sb_pkt *p;
    sb_capture_stats st;
    size_t n = load("truncated_udp.pcap", "fd5b::1", &p, &st);
    assert_int_equal(n, 1);
    assert_int_equal(st.truncated, 1);
    assert_int_equal(p[0].ip_len, 148);
    assert_int_equal(p[0].payload_len, 100);
    assert_true(p[0].hash == 0);
    free(p);
}

static void test_load_errors(void **state)
{
    sb_pkt *p = (sb_pkt *)1;
    size_t n = 1;
    char err[256] = "", path[512];
    assert_int_equal(sb_capture_load("/nonexistent/x.pcap", "fd5b::1", &p, &n, NULL, err,
                                     sizeof err),
                     SB_EIO);
    assert_null(p);
    assert_int_equal(n, 0);
    assert_non_null(strstr(err, "/nonexistent/x.pcap"));
    data_file("gen_pcaps.py", path, sizeof path); /* not a pcap */
    assert_int_equal(sb_capture_load(path, "fd5b::1", &p, &n, NULL, err, sizeof err), SB_EIO);
    data_file("eth_ipv6_udp.pcap", path, sizeof path);
    assert_int_equal(sb_capture_load(path, "fd5b::zz", &p, &n, NULL, err, sizeof err),
                     SB_EINVAL);
    assert_non_null(strstr(err, "fd5b::zz"));
}

/* ------------------------------------------------------------ live captures */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int r = system(cmd);
    return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

typedef struct veth_bed {
    char ns[2][32]; /* client, server */
    char path[2][64];
    char pcap[128]; /* a test's capture file, removed by the teardown even on failure */
    int ok;
} veth_bed;

static int veth_teardown(void **state)
{
    veth_bed *b = *state;
    if (!b) return 0;
    /* Deleting a namespace destroys its end of the veth pair, and with it the pair. */
    for (int i = 0; i < 2; i++) sh("ip netns del %s 2>/dev/null", b->ns[i]);
    if (b->pcap[0]) unlink(b->pcap);
    free(b);
    *state = NULL;
    return 0;
}

/* Two namespaces joined by veth sbc0 (fd5b::1, client) -- sbs0 (fd5b::2, server): fixed
 * MACs, static neighbours (no ND), offloads off (the capture sees wire-sized segments). */
static int veth_setup(void **state)
{
    veth_bed *b = calloc(1, sizeof *b);
    *state = b;
    if (!b) return -1;
    for (int i = 0; i < 2; i++) {
        snprintf(b->ns[i], sizeof b->ns[i], "sbcap%d%c", (int)getpid(), "cs"[i]);
        snprintf(b->path[i], sizeof b->path[i], "/run/netns/%s", b->ns[i]);
    }
    if (geteuid() != 0 || sh("command -v ip >/dev/null && command -v ethtool >/dev/null"))
        return 0;
    const char *c = b->ns[0], *s = b->ns[1];
    if (sh("ip netns add %s && ip netns add %s", c, s) ||
        sh("ip -n %s link add sbc0 address 02:5b:00:00:00:01 type veth peer name sbs0 address "
           "02:5b:00:00:00:02 netns %s", c, s) ||
        sh("ip -n %s addr add fd5b::1/64 dev sbc0 nodad && ip -n %s addr add fd5b::2/64 dev "
           "sbs0 nodad", c, s) ||
        sh("ip -n %s neigh add fd5b::2 lladdr 02:5b:00:00:00:02 dev sbc0 nud permanent && "
           "ip -n %s neigh add fd5b::1 lladdr 02:5b:00:00:00:01 dev sbs0 nud permanent", c, s) ||
        sh("ip netns exec %s ethtool -K sbc0 gro off gso off tso off >/dev/null 2>&1 && "
           "ip netns exec %s ethtool -K sbs0 gro off gso off tso off >/dev/null 2>&1", c, s) ||
        sh("ip -n %s link set sbc0 up && ip -n %s link set sbs0 up", c, s))
        return 0; /* b->ok stays 0: the tests skip, teardown removes what was made */
    b->ok = 1;
    return 0;
}

static ino_t my_netns(void)
{
    struct stat st;
    assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
    return st.st_ino;
}

typedef void (*child_fn)(int ready_fd);

/* Fork a child inside namespace `path`; it writes one byte to the pipe when listening. */
static pid_t spawn_in(const char *path, child_fn fn, int *ready_rd)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        alarm(10); /* never a hang */
        close(pfd[0]);
        int fd = open(path, O_RDONLY);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) _exit(120);
        fn(pfd[1]);
        _exit(0);
    }
    close(pfd[1]);
    if (ready_rd) *ready_rd = pfd[0];
    else close(pfd[0]);
    return pid;
}

static void wait_ready(int fd)
{
    char x;
    assert_int_equal(read(fd, &x, 1), 1);
    close(fd);
}

static int wait_ok(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid) return 0;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static struct sockaddr_in6 a6(const char *addr, uint16_t port)
{
    struct sockaddr_in6 s = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
    inet_pton(AF_INET6, addr, &s.sin6_addr);
    return s;
}

static const uint8_t REQ[21] = "GET /temperature ....";
static const uint8_t RSP[15] = "2.05 22.5C ....";

static void udp_server(int ready)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 me = a6("fd5b::2", 5683), from;
    socklen_t fl = sizeof from;
    uint8_t buf[64];
    if (bind(fd, (struct sockaddr *)&me, sizeof me)) _exit(1);
    if (write(ready, "r", 1) != 1) _exit(2);
    if (recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl) != sizeof REQ) _exit(3);
    if (sendto(fd, RSP, sizeof RSP, 0, (struct sockaddr *)&from, fl) != sizeof RSP) _exit(4);
}

static void udp_client(int ready)
{
    int fd = socket(AF_INET6, SOCK_DGRAM, 0);
    struct sockaddr_in6 me = a6("fd5b::1", CPORT), srv = a6("fd5b::2", 5683);
    uint8_t buf[64];
    if (bind(fd, (struct sockaddr *)&me, sizeof me)) _exit(1);
    if (sendto(fd, REQ, sizeof REQ, 0, (struct sockaddr *)&srv, sizeof srv) != sizeof REQ) _exit(2);
    if (recv(fd, buf, sizeof buf, 0) != sizeof RSP || memcmp(buf, RSP, sizeof RSP)) _exit(3);
}

static void assert_same_packets(const sb_pkt *a, size_t na, const sb_pkt *b, size_t nb)
{
    assert_int_equal(na, nb);
    for (size_t i = 0; i < na; i++) {
        assert_true(a[i].ts_ns == b[i].ts_ns);
        assert_int_equal(a[i].dir, b[i].dir);
        assert_int_equal(a[i].proto, b[i].proto);
        assert_int_equal(a[i].ip_len, b[i].ip_len);
        assert_int_equal(a[i].ip_hdr, b[i].ip_hdr);
        assert_int_equal(a[i].l4_hdr, b[i].l4_hdr);
        assert_int_equal(a[i].payload_len, b[i].payload_len);
        assert_int_equal(a[i].sport, b[i].sport);
        assert_int_equal(a[i].dport, b[i].dport);
        assert_int_equal(a[i].seq, b[i].seq);
        assert_int_equal(a[i].ack, b[i].ack);
        assert_int_equal(a[i].flags, b[i].flags);
        assert_true(a[i].hash == b[i].hash);
    }
}

/* Capture on the client's veth (started from the root namespace, which the calling thread
 * is back in afterwards), one datagram each way: 69 and 63 bytes; the pcap file reads back
 * as the same packets, and tshark agrees on the lengths. */
static void test_live_udp_veth(void **state)
{
    veth_bed *b = *state;
    if (!b->ok) skip();
    char *pcap = b->pcap, err[256] = "";
    snprintf(pcap, sizeof b->pcap, "/tmp/sbcap-%d-udp.pcap", (int)getpid());
    ino_t before = my_netns();
    sb_capture *c;
    assert_int_equal(sb_capture_start_ns(&c, b->path[0], "sbc0", "fd5b::1", NULL, pcap, err,
                                         sizeof err),
                     SB_OK);
    assert_true(my_netns() == before);
    int ready;
    pid_t srv = spawn_in(b->path[1], udp_server, &ready);
    wait_ready(ready);
    pid_t cli = spawn_in(b->path[0], udp_client, NULL);
    assert_true(wait_ok(cli));
    assert_true(wait_ok(srv));
    assert_int_equal(sb_capture_stop(c, 100), SB_OK);
    assert_string_equal(sb_capture_error(c), "");
    assert_int_equal(sb_capture_stop(c, 100), SB_OK); /* idempotent */

    const sb_pkt *p;
    size_t n = sb_capture_packets(c, &p);
    assert_int_equal(n, 2);
    assert_int_equal(p[0].dir, 0);
    assert_int_equal(p[0].ip_len, 69);
    assert_int_equal(p[0].sport, CPORT);
    assert_true(p[0].hash == sb_fnv64(REQ, sizeof REQ));
    assert_int_equal(p[1].dir, 1);
    assert_int_equal(p[1].ip_len, 63);
    assert_true(p[1].hash == sb_fnv64(RSP, sizeof RSP));
    assert_true(p[1].ts_ns >= p[0].ts_ns);
    sb_capture_stats st;
    sb_capture_stats_get(c, &st);
    assert_int_equal(st.kept, 2);
    assert_int_equal(st.dropped, 0);

    sb_pkt *q;
    size_t m;
    int rc = sb_capture_load(pcap, "fd5b::1", &q, &m, NULL, err, sizeof err);
    if (rc) print_message("%s\n", err);
    assert_int_equal(rc, SB_OK);
    assert_same_packets(p, n, q, m);
    check_tshark(pcap, q, m);

    sb_mark cm[] = {{sb_fnv64(REQ, sizeof REQ), sizeof REQ, APP}};
    sb_mark sm[] = {{sb_fnv64(RSP, sizeof RSP), sizeof RSP, APP}};
    sb_endpoint_marks ce = {cm, 1, CPORT}, se = {sm, 1, CPORT};
    sb_traffic tr;
    assert_int_equal(sb_traffic_analyze(q, m, &ce, &se, &tr), SB_OK);
    assert_int_equal(tr.phase_bytes[APP], 132);
    assert_int_equal(tr.round_trips, 1);
    free(q);
    sb_capture_free(c);
}

/* Linux TCP on the veth: the client sends 10 "handshake" bytes then 30 application bytes
 * (TCP_NODELAY), the server answers 20 and both close. The SYN is the first packet captured
 * (the capture was active when start returned); SYN 40+40 = 80, data segments 40+32 header. */
static void tcp_server(int ready)
{
    int ls = socket(AF_INET6, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in6 me = a6("fd5b::2", SPORT);
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&me, sizeof me) || listen(ls, 1)) _exit(1);
    if (write(ready, "r", 1) != 1) _exit(2);
    int fd = accept(ls, NULL, NULL);
    uint8_t buf[64];
    size_t got = 0;
    while (got < 40) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0) _exit(3);
        got += (size_t)r;
    }
    memset(buf, 's', 20);
    if (write(fd, buf, 20) != 20) _exit(4);
    while (read(fd, buf, sizeof buf) > 0) {}
    close(fd);
}

static void tcp_client(int ready)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in6 me = a6("fd5b::1", CPORT + 1), srv = a6("fd5b::2", SPORT);
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&me, sizeof me)) _exit(1);
    if (connect(fd, (struct sockaddr *)&srv, sizeof srv)) _exit(2);
    uint8_t buf[64];
    memset(buf, 'h', 10);
    if (write(fd, buf, 10) != 10) _exit(3);
    memset(buf, 'a', 30);
    if (write(fd, buf, 30) != 30) _exit(4);
    size_t got = 0;
    while (got < 20) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r <= 0) _exit(5);
        got += (size_t)r;
    }
    close(fd);
}

static void test_live_tcp_veth(void **state)
{
    veth_bed *b = *state;
    if (!b->ok) skip();
    char *pcap = b->pcap, err[256] = "";
    snprintf(pcap, sizeof b->pcap, "/tmp/sbcap-%d-tcp.pcap", (int)getpid());
    sb_capture *c;
    assert_int_equal(sb_capture_start_ns(&c, b->path[1], "sbs0", "fd5b::1", "tcp", pcap, err,
                                         sizeof err),
                     SB_OK);
    int ready;
    pid_t srv = spawn_in(b->path[1], tcp_server, &ready);
    wait_ready(ready);
    pid_t cli = spawn_in(b->path[0], tcp_client, NULL);
    assert_true(wait_ok(cli));
    assert_true(wait_ok(srv));
    assert_int_equal(sb_capture_stop(c, 100), SB_OK);
    const sb_pkt *p;
    size_t n = sb_capture_packets(c, &p);
    assert_true(n >= 8);
    assert_int_equal(p[0].flags, SB_TCP_SYN);
    assert_int_equal(p[0].dir, 0);
    assert_int_equal(p[0].ip_len, 80);
    assert_int_equal(p[1].flags, SB_TCP_SYN | SB_TCP_ACK);
    assert_int_equal(p[1].dir, 1);

    sb_mark cm[] = {{0, 10, HS}, {10, 30, APP}}, sm[] = {{0, 20, APP}};
    sb_endpoint_marks ce = {cm, 2, CPORT + 1}, se = {sm, 1, CPORT + 1};
    sb_traffic tr;
    assert_int_equal(sb_traffic_analyze(p, n, &ce, &se, &tr), SB_OK);
    assert_int_equal(tr.phase_payload[HS], 10);
    assert_int_equal(tr.phase_payload[APP], 50);
    assert_int_equal(tr.phase_payload[TD], 0);
    assert_int_equal(tr.unclassified_bytes, 0);
    assert_int_equal(tr.phase_bytes[0] + tr.phase_bytes[1] + tr.phase_bytes[2],
                     tr.bytes[0] + tr.bytes[1]);
    /* Handshake: SYN, SYN-ACK, ACK, the 10-byte segment (40+32+10), maybe the server's ACK of
     * it (72); teardown: FINs and their ACKs, 72 each. */
    assert_true(tr.phase_bytes[HS] == 80 + 80 + 72 + 82 || tr.phase_bytes[HS] == 80 + 80 + 72 + 82 + 72);
    assert_int_equal(tr.phase_bytes[TD] % 72, 0);
    assert_true(tr.phase_bytes[TD] >= 3 * 72);
    assert_int_equal(tr.round_trips, 2);
    assert_int_equal(tr.nflights, 1);
    assert_flight(&tr, 0, 0, 10, 1);
    assert_int_equal(tr.request.payload, 30);
    assert_int_equal(tr.request.l4_hdr, 32);
    assert_int_equal(tr.response.payload, 20);
    assert_int_equal(tr.response.other, 0);

    sb_pkt *q;
    size_t m;
    int rc = sb_capture_load(pcap, "fd5b::1", &q, &m, NULL, err, sizeof err);
    if (rc) print_message("%s\n", err);
    assert_int_equal(rc, SB_OK);
    assert_same_packets(p, n, q, m);
    check_tshark(pcap, q, m);
    free(q);
    sb_capture_free(c);
}

/* The same exchange on the harness's own testbed (netem/testbed.c): sb_capture_start enters
 * host 0 and captures on its link-0 interface. Skipped when the bed cannot be built. */
static void test_live_testbed(void **state)
{
    sb_testbed *tb;
    sb_testbed_cfg cfg = {.hosts = 2};
    char err[256] = "", path[2][64];
    if (geteuid() != 0 || sb_testbed_create(&tb, &cfg, err, sizeof err) != SB_OK) {
        print_message("testbed unavailable (%s): skipped\n", err);
        skip();
    }
    assert_string_equal(sb_testbed_addr(tb, 0, 0), "fd5b:0:0:0::1"); /* == fd5b::1 */
    for (int h = 0; h < 2; h++)
        snprintf(path[h], sizeof path[h], "/proc/%d/ns/net", (int)sb_testbed_holder(tb, h));
    ino_t before = my_netns();
    sb_capture *c;
    int rc = sb_capture_start(&c, tb, 0, sb_testbed_ifname(tb, 0, 0), sb_testbed_addr(tb, 0, 0),
                              "udp", NULL, err, sizeof err);
    if (rc != SB_OK || my_netns() != before) {
        print_message("%s\n", err);
        sb_testbed_destroy(tb);
        fail();
    }
    int ready;
    pid_t srv = spawn_in(path[1], udp_server, &ready);
    wait_ready(ready);
    pid_t cli = spawn_in(path[0], udp_client, NULL);
    int ok = wait_ok(cli) && wait_ok(srv);
    int stopped = sb_capture_stop(c, 50);
    const sb_pkt *p;
    size_t n = sb_capture_packets(c, &p);
    int good = ok && stopped == SB_OK && n == 2 && p[0].dir == 0 && p[0].ip_len == 69 &&
               p[1].dir == 1 && p[1].ip_len == 63;
    sb_capture_free(c);
    sb_testbed_destroy(tb);
    assert_true(good);
}

/* Errors leave the calling thread in its own namespace and say why. */
static void test_start_errors(void **state)
{
    veth_bed *b = *state;
    if (!b->ok) skip();
    char err[256] = "";
    sb_capture *c = (sb_capture *)1;
    ino_t before = my_netns();
    /* The interface exists only inside the client namespace. */
    assert_int_equal(sb_capture_start_ns(&c, NULL, "sbc0", "fd5b::1", NULL, NULL, err, sizeof err),
                     SB_EIO);
    assert_null(c);
    assert_non_null(strstr(err, "sbc0"));
    assert_int_equal(sb_capture_start_ns(&c, b->path[0], "sbc0", "fd5b::1", "tcp and and", NULL,
                                         err, sizeof err),
                     SB_EINVAL);
    assert_non_null(strstr(err, "filter"));
    assert_true(my_netns() == before);
    assert_int_equal(sb_capture_start_ns(&c, "/run/netns/sbcap-none", "sbc0", "fd5b::1", NULL,
                                         NULL, err, sizeof err),
                     SB_EIO);
    assert_int_equal(sb_capture_start_ns(&c, b->path[0], "sbc0", "not-an-address", NULL, NULL,
                                         err, sizeof err),
                     SB_EINVAL);
    assert_int_equal(sb_capture_start_ns(&c, b->path[0], "sbc0", "fd5b::1", NULL,
                                         "/nonexistent/dir/x.pcap", err, sizeof err),
                     SB_EIO);
    assert_true(my_netns() == before);
    /* Free while still running: stops and releases everything (ASan checks the rest). */
    assert_int_equal(sb_capture_start_ns(&c, b->path[0], "sbc0", "fd5b::1", NULL, NULL, err,
                                         sizeof err),
                     SB_OK);
    sb_capture_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_udp_request_response),
        cmocka_unit_test(test_udp_retransmit_and_unmarked),
        cmocka_unit_test(test_priming_connection_ignored),
        cmocka_unit_test(test_tcp_split_and_acks),
        cmocka_unit_test(test_tcp_seq_wrap),
        cmocka_unit_test(test_tcp_unclassified),
        cmocka_unit_test(test_tcp_fin_with_data_and_rst),
        cmocka_unit_test(test_rtt_coap_tcp),
        cmocka_unit_test(test_rtt_tls13),
        cmocka_unit_test(test_rtt_tls12),
        cmocka_unit_test(test_rtt_dtls12_cookie),
        cmocka_unit_test(test_flights_rules),
        cmocka_unit_test(test_load_ethernet_udp),
        cmocka_unit_test(test_load_ethernet_ipv4_tcp),
        cmocka_unit_test(test_load_ipv6_ext_vlan),
        cmocka_unit_test(test_load_cooked_and_raw),
        cmocka_unit_test(test_load_truncated),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test_setup_teardown(test_live_udp_veth, veth_setup, veth_teardown),
        cmocka_unit_test_setup_teardown(test_live_tcp_veth, veth_setup, veth_teardown),
        cmocka_unit_test_setup_teardown(test_start_errors, veth_setup, veth_teardown),
        cmocka_unit_test(test_live_testbed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
