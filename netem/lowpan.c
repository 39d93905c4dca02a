/* lowpan.c: 6LoWPAN over-the-air size model (assumptions in lowpan.h). */
#include "lowpan.h"

#include "../bench/util.h"

#define IPV6_HDR 40
#define UDP_HDR 8
#define MAC_PAYLOAD_MAX (SB_LOWPAN_PSDU_MAX - SB_LOWPAN_MAC_OVERHEAD) /* 116 */

static size_t udp_ports_inline(uint16_t sport, uint16_t dport)
{
    if ((sport & 0xfff0) == 0xf0b0 && (dport & 0xfff0) == 0xf0b0) return 1; /* P=11 */
    if ((dport & 0xff00) == 0xf000) return 3;                                /* P=01 */
    if ((sport & 0xff00) == 0xf000) return 3;                                /* P=10 */
    return 4;                                                                /* P=00 */
}

int sb_lowpan_size(size_t ip_len, uint8_t next_header, uint16_t sport, uint16_t dport,
                   sb_lowpan_ota *out)
{
    int udp = next_header == 17;
    size_t hdr_u = IPV6_HDR + (udp ? UDP_HDR : 0); /* uncompressed headers replaced by IPHC/NHC */
    if (ip_len < hdr_u || ip_len > SB_LOWPAN_DGRAM_MAX) return SB_EINVAL;
    size_t hdr_c = 2; /* IPHC base */
    if (udp)
        hdr_c += 1 + udp_ports_inline(sport, dport) + 2; /* NHC byte, ports, checksum */
    else
        hdr_c += 1; /* next header inline */
    size_t payload = ip_len - hdr_u;
    out->compressed = hdr_c + payload;
    if (out->compressed <= MAC_PAYLOAD_MAX) {
        out->frames = 1;
        out->psdu_bytes = SB_LOWPAN_MAC_OVERHEAD + out->compressed;
    } else {
        /* FRAG1: headers + the largest payload keeping the uncompressed offset a multiple of 8 */
        size_t room = MAC_PAYLOAD_MAX - SB_LOWPAN_FRAG1_HDR - hdr_c;
        size_t p1 = (hdr_u + room) / 8 * 8 - hdr_u;
        size_t rest = payload - p1;
        size_t per = (MAC_PAYLOAD_MAX - SB_LOWPAN_FRAGN_HDR) / 8 * 8; /* 104 */
        size_t n = (rest + per - 1) / per;
        out->frames = (unsigned)(1 + n);
        out->psdu_bytes = out->frames * SB_LOWPAN_MAC_OVERHEAD + SB_LOWPAN_FRAG1_HDR + hdr_c + p1 +
                          n * SB_LOWPAN_FRAGN_HDR + rest;
    }
    out->air_bytes = out->psdu_bytes + out->frames * SB_LOWPAN_PHY_HDR;
    return SB_OK;
}

int sb_lowpan_size_packet(const uint8_t *pkt, size_t len, sb_lowpan_ota *out)
{
    if (len < IPV6_HDR || (pkt[0] >> 4) != 6) return SB_EINVAL;
    uint8_t nh = pkt[6];
    uint16_t sport = 0, dport = 0;
    if (nh == 17) {
        if (len < IPV6_HDR + UDP_HDR) return SB_EINVAL;
        sport = (uint16_t)(pkt[40] << 8 | pkt[41]);
        dport = (uint16_t)(pkt[42] << 8 | pkt[43]);
    }
    return sb_lowpan_size(len, nh, sport, dport, out);
}
