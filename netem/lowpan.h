/* lowpan.h: over-the-air size of an IPv6 packet sent as 6LoWPAN over one IEEE 802.15.4 hop.
 * Contract: pure arithmetic, no state. Assumptions (each a common single-hop configuration):
 *  - PHY (IEEE 802.15.4-2006 §6.3): preamble 4 + SFD 1 + PHR 1 = 6 bytes per frame, counted as
 *    air bytes; PSDU at most aMaxPHYPacketSize = 127 bytes.
 *  - MAC (§7.2.2.2 data frame): short addresses, PAN ID compression, no security, no IEs:
 *    FC 2 + seq 1 + dst PAN 2 + dst 2 + src 2 + FCS 2 = 11 bytes, so 116 bytes of payload.
 *  - IPHC (RFC 6282 §3.1.1): 2 bytes; traffic class and flow label 0 (TF=11), hop limit
 *    1/64/255 (HLIM compressed), addresses link-local or with the prefix in context 0 and the
 *    IID derived from the MAC short address (SAC/DAC as needed, SAM=DAM=11: 0 bytes inline,
 *    CID=0 so no CID byte). Next header: UDP uses NHC (NH=1); anything else, TCP included
 *    (RFC 6282 has no TCP NHC), carries its 1-byte next header inline and its header as payload.
 *  - UDP NHC (RFC 6282 §4.3.3): 1 byte + ports (1 byte if both in 0xF0B0-0xF0BF, 3 if one is
 *    in 0xF000-0xF0FF, else 4) + checksum inline 2 bytes (C=0; §4.3.2 elision needs an upper
 *    layer check we do not assume); the length is elided.
 *  - Fragmentation (RFC 4944 §5.3, with RFC 6282 §2 sizes/offsets counted on the uncompressed
 *    packet) when the compressed packet exceeds 116 bytes: FRAG1 header 4 bytes plus the
 *    compressed headers, FRAGN 5 bytes; every fragment but the last carries a multiple of 8
 *    uncompressed bytes; no mesh or broadcast header. */
#ifndef SB_LOWPAN_H
#define SB_LOWPAN_H

#include <stddef.h>
#include <stdint.h>

#define SB_LOWPAN_PHY_HDR 6     /* preamble 4 + SFD 1 + PHR 1 */
#define SB_LOWPAN_PSDU_MAX 127  /* aMaxPHYPacketSize */
#define SB_LOWPAN_MAC_OVERHEAD 11
#define SB_LOWPAN_FRAG1_HDR 4
#define SB_LOWPAN_FRAGN_HDR 5
#define SB_LOWPAN_DGRAM_MAX 2047 /* 11-bit datagram_size */

typedef struct sb_lowpan_ota {
    size_t compressed; /* 6LoWPAN packet (IPHC + NHC + payload), before fragmentation */
    unsigned frames;   /* 802.15.4 frames */
    size_t psdu_bytes; /* MAC frames incl. header and FCS, summed */
    size_t air_bytes;  /* psdu_bytes + PHY header per frame: what the radio transmits */
} sb_lowpan_ota;

/* ip_len: whole IPv6 packet (40-byte header + transport header + payload); next_header: 17 UDP
 * (ports used for NHC), 6 TCP or any other. SB_EINVAL if ip_len is shorter than the headers
 * or longer than SB_LOWPAN_DGRAM_MAX. */
int sb_lowpan_size(size_t ip_len, uint8_t next_header, uint16_t sport, uint16_t dport,
                   sb_lowpan_ota *out);
/* The same from the packet bytes (IPv6 only; SB_EINVAL otherwise). */
int sb_lowpan_size_packet(const uint8_t *pkt, size_t len, sb_lowpan_ota *out);

#endif
