/* Tests of netem/lowpan.c: over-the-air sizes worked out by hand from the assumptions stated in
 * netem/lowpan.h. Notation: IPHC 2 bytes; UDP NHC = 1 + ports + checksum 2; MAC 11 bytes
 * (FC 2 + seq 1 + PAN 2 + dst 2 + src 2 + FCS 2) per frame; PHY 6 bytes per frame; MAC payload
 * at most 127 - 11 = 116 bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "../bench/util.h"
#include "../netem/lowpan.h"

static void expect(size_t ip_len, uint8_t nh, uint16_t sp, uint16_t dp, size_t comp, unsigned frames,
                   size_t psdu, size_t air)
{
    sb_lowpan_ota o;
    assert_int_equal(sb_lowpan_size(ip_len, nh, sp, dp, &o), SB_OK);
    assert_int_equal(o.compressed, comp);
    assert_int_equal(o.frames, frames);
    assert_int_equal(o.psdu_bytes, psdu);
    assert_int_equal(o.air_bytes, air);
}

static void udp_single_frame(void **state)
{
    (void)state;
    /* CoAP ports 5683 -> 5683 do not compress (P=00: 4 bytes). ip_len = 40 + 8 + 10 = 58.
     * headers: IPHC 2 + NHC 1 + ports 4 + checksum 2 = 9; compressed = 9 + 10 = 19;
     * PSDU = 11 + 19 = 30; air = 30 + 6 = 36. */
    expect(58, 17, 5683, 5683, 19, 1, 30, 36);
    /* Both ports in 0xF0B0-0xF0BF (P=11: 1 byte): headers 2 + 1 + 1 + 2 = 6; 6 + 10 = 16;
     * PSDU 27; air 33. */
    expect(58, 17, 0xf0b1, 0xf0b2, 16, 1, 27, 33);
    /* Destination in 0xF000-0xF0FF (P=01: 2 + 1 = 3 bytes): 2 + 1 + 3 + 2 = 8; 18; 29; 35. */
    expect(58, 17, 5683, 0xf005, 18, 1, 29, 35);
    /* Source in 0xF000-0xF0FF (P=10): same 3 bytes. */
    expect(58, 17, 0xf005, 5683, 18, 1, 29, 35);
    /* An empty UDP datagram: 40 + 8 = 48 -> 9 bytes compressed; PSDU 20; air 26. */
    expect(48, 17, 5683, 5683, 9, 1, 20, 26);
}

static void tcp_single_frame(void **state)
{
    (void)state;
    /* No TCP NHC: IPHC 2 + next header inline 1 = 3; the 20-byte TCP header is payload.
     * ip_len = 40 + 20 + 10 = 70: compressed = 3 + 30 = 33; PSDU 44; air 50. */
    expect(70, 6, 0, 0, 33, 1, 44, 50);
    /* ICMPv6 (58) the same way: echo request 40 + 8 + 56 = 104 -> 3 + 64 = 67; 78; 84. */
    expect(104, 58, 0, 0, 67, 1, 78, 84);
}

static void fragmentation_boundary(void **state)
{
    (void)state;
    /* Largest unfragmented UDP: compressed exactly 116 = 9 + 107, ip_len = 48 + 107 = 155:
     * PSDU 11 + 116 = 127 (aMaxPHYPacketSize), air 133. */
    expect(155, 17, 5683, 5683, 116, 1, 127, 133);
    /* One byte more (ip_len 156, payload 108, compressed 117) fragments (RFC 4944 §5.3):
     * FRAG1 room = 116 - 4 - 9 = 103; uncompressed offset must be a multiple of 8:
     * floor((48 + 103) / 8) * 8 - 48 = 144 - 48 = 96 payload bytes in FRAG1
     * (PSDU 11 + 4 + 9 + 96 = 120). Rest 12 in one FRAGN (PSDU 11 + 5 + 12 = 28).
     * PSDU total 148; air 148 + 2 * 6 = 160. */
    expect(156, 17, 5683, 5683, 117, 2, 148, 160);
}

static void fragmentation_full_mtu(void **state)
{
    (void)state;
    /* 1280-byte UDP packet (IPv6 minimum MTU): payload 1232, compressed 1241.
     * FRAG1 carries 96 (as above). FRAGN room = 116 - 5 = 111 -> 104 (13 units of 8).
     * Rest 1232 - 96 = 1136 -> ceil(1136 / 104) = 11 FRAGN (10 x 104 + 96).
     * Frames 12; PSDU = 12 * 11 + 4 + 9 + 96 + 11 * 5 + 1136 = 132 + 109 + 55 + 1136 = 1432;
     * air = 1432 + 12 * 6 = 1504. */
    expect(1280, 17, 5683, 5683, 1241, 12, 1432, 1504);
    /* TCP, ip_len 200 (header 20 + data 140): headers 3, payload 160, compressed 163.
     * FRAG1 room = 116 - 4 - 3 = 109; floor((40 + 109) / 8) * 8 - 40 = 144 - 40 = 104;
     * rest 56 in one FRAGN. PSDU = 2 * 11 + 4 + 3 + 104 + 5 + 56 = 194; air 206. */
    expect(200, 6, 0, 0, 163, 2, 194, 206);
}

static void from_packet_bytes(void **state)
{
    (void)state;
    uint8_t pkt[58] = {0x60, 0, 0, 0, 0, 18, 17, 64};
    /* payload length 18 = UDP 8 + 10; ports 5683 (0x1633) both ways */
    pkt[40] = 0x16, pkt[41] = 0x33, pkt[42] = 0x16, pkt[43] = 0x33;
    sb_lowpan_ota o;
    assert_int_equal(sb_lowpan_size_packet(pkt, sizeof pkt, &o), SB_OK);
    assert_int_equal(o.air_bytes, 36); /* as udp_single_frame's first case */
    pkt[0] = 0x45;                     /* IPv4 has no 6LoWPAN form */
    assert_int_equal(sb_lowpan_size_packet(pkt, sizeof pkt, &o), SB_EINVAL);
    assert_int_equal(sb_lowpan_size_packet(pkt, 20, &o), SB_EINVAL);
}

static void bad_sizes(void **state)
{
    (void)state;
    sb_lowpan_ota o;
    assert_int_equal(sb_lowpan_size(47, 17, 1, 1, &o), SB_EINVAL);   /* shorter than IPv6+UDP */
    assert_int_equal(sb_lowpan_size(39, 6, 0, 0, &o), SB_EINVAL);    /* shorter than IPv6 */
    assert_int_equal(sb_lowpan_size(2048, 17, 1, 1, &o), SB_EINVAL); /* 11-bit datagram_size */
    assert_int_equal(sb_lowpan_size(2047, 17, 1, 1, &o), SB_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(udp_single_frame),       cmocka_unit_test(tcp_single_frame),
        cmocka_unit_test(fragmentation_boundary), cmocka_unit_test(fragmentation_full_mtu),
        cmocka_unit_test(from_packet_bytes),      cmocka_unit_test(bad_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
