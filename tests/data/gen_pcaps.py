#!/usr/bin/env python3
"""Write the small pcap files tests/test_capture.c reads (classic pcap, microsecond stamps).
Every frame is built by hand so the expected numbers in the test can be checked against the
bytes here; rerun after a change: python3 tests/data/gen_pcaps.py (from the tree root)."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
LINK_EN10MB, LINK_RAW, LINK_SLL, LINK_SLL2 = 1, 101, 113, 276

C6 = bytes.fromhex("fd5b0000000000000000000000000001")  # fd5b::1 (client)
S6 = bytes.fromhex("fd5b0000000000000000000000000002")  # fd5b::2 (server)
C4 = bytes([198, 18, 0, 1])
S4 = bytes([198, 18, 0, 2])
MAC_C = bytes.fromhex("020000000001")
MAC_S = bytes.fromhex("020000000002")


def write(name, link, frames, snaplen=65535):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, link))
        for i, fr in enumerate(frames):
            orig = len(fr)
            cap = fr[:snaplen]
            f.write(struct.pack("<IIII", 1700000000, 1000 * i, len(cap), orig))
            f.write(cap)


def csum(data):
    """Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(">%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def with_csum(l4, at, src, dst, proto):
    """Fill the UDP/TCP checksum at offset `at` (pseudo-header: RFC 8200 §8.1, RFC 768)."""
    if len(src) == 16:
        pseudo = src + dst + struct.pack(">IxxxB", len(l4), proto)
    else:
        pseudo = src + dst + struct.pack(">xBH", proto, len(l4))
    c = csum(pseudo + l4) or 0xFFFF
    return l4[:at] + struct.pack(">H", c) + l4[at + 2:]


def udp(sport, dport, payload):
    return struct.pack(">HHHH", sport, dport, 8 + len(payload), 0) + payload


def tcp(sport, dport, seq, ack, flags, payload=b"", opts=b""):
    assert len(opts) % 4 == 0
    off = (20 + len(opts)) // 4
    return struct.pack(">HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, 65535, 0, 0) + opts + payload


TS_OPTS = bytes([1, 1, 8, 10]) + struct.pack(">II", 1, 2)  # NOP NOP timestamps: 12 bytes


def l4_csum(src, dst, proto, l4, whole=True):
    if not whole:  # a fragment: the checksum covers the reassembled datagram, leave it
        return l4
    return with_csum(l4, 6 if proto == 17 else 16, src, dst, proto)


def ipv6(src, dst, nh, l4, ext=b"", proto=None):
    l4 = l4_csum(src, dst, proto or nh, l4, nh != 44 or ext[3] & 1 == 0)
    return struct.pack(">IHBB", 6 << 28, len(ext) + len(l4), nh, 64) + src + dst + ext + l4


def ipv4(src, dst, proto, l4, frag=0x4000):
    l4 = l4_csum(src, dst, proto, l4)
    h = struct.pack(">BBHHHBBH", 0x45, 0, 20 + len(l4), 1, frag, 64, proto, 0) + src + dst
    return h[:10] + struct.pack(">H", csum(h)) + h[12:] + l4


def eth(ip, src=MAC_C, dst=MAC_S, vlan=None):
    etype = 0x86DD if ip[0] >> 4 == 6 else 0x0800
    hdr = dst + src
    if vlan is not None:
        hdr += struct.pack(">HH", 0x8100, vlan)
    fr = hdr + struct.pack(">H", etype) + ip
    return fr + b"\0" * max(0, 60 - len(fr))  # Ethernet minimum frame (without FCS): padding


def sll2(ip, outgoing):
    etype = 0x86DD if ip[0] >> 4 == 6 else 0x0800
    # protocol, reserved, ifindex, hatype, pkttype, addr len, addr (8)
    return struct.pack(">HHIHBB", etype, 0, 2, 1, 4 if outgoing else 0, 6) + MAC_C + b"\0\0" + ip


def sll(ip, outgoing):
    etype = 0x86DD if ip[0] >> 4 == 6 else 0x0800
    return struct.pack(">HHH", 4 if outgoing else 0, 1, 6) + MAC_C + b"\0\0" + struct.pack(">H", etype) + ip


# CoAP (RFC 7252 §3): CON GET, token 5 bytes, Uri-Path "temperature" = 4 + 5 + 12 = 21 bytes;
# ACK 2.05, same token, payload marker + "22.5C" = 4 + 5 + 6 = 15 bytes.
TOKEN = bytes.fromhex("a1a2a3a4a5")
REQ = bytes([0x45, 0x01, 0x12, 0x34]) + TOKEN + bytes([0xBB]) + b"temperature"
RSP = bytes([0x65, 0x45, 0x12, 0x34]) + TOKEN + b"\xff22.5C"
assert len(REQ) == 21 and len(RSP) == 15

# 1. Ethernet, IPv6/UDP request + response: ip_len 40+8+21 = 69 and 40+8+15 = 63.
write("eth_ipv6_udp.pcap", LINK_EN10MB, [
    eth(ipv6(C6, S6, 17, udp(40000, 5683, REQ))),
    eth(ipv6(S6, C6, 17, udp(5683, 40000, RSP)), MAC_S, MAC_C),
])

# 2. Ethernet, IPv4/TCP: SYN (20+32), SYN-ACK (20+32), ACK (20+20: 54-byte frame padded to 60,
#    ip_len must stay 40), data 10 bytes with timestamps (20+32+10 = 62), FIN (20+20).
SYN_OPTS = struct.pack(">BBH", 2, 4, 1460) + bytes([1, 1, 4, 2]) + TS_OPTS  # MSS, SACK-perm, TS
write("eth_ipv4_tcp.pcap", LINK_EN10MB, [
    eth(ipv4(C4, S4, 6, tcp(40001, 443, 1000, 0, 0x02, opts=SYN_OPTS))),
    eth(ipv4(S4, C4, 6, tcp(443, 40001, 5000, 1001, 0x12, opts=SYN_OPTS)), MAC_S, MAC_C),
    eth(ipv4(C4, S4, 6, tcp(40001, 443, 1001, 5001, 0x10))),
    eth(ipv4(C4, S4, 6, tcp(40001, 443, 1001, 5001, 0x18, b"0123456789", TS_OPTS))),
    eth(ipv4(C4, S4, 6, tcp(40001, 443, 1011, 5001, 0x11))),
])

# 3. IPv6 extension headers and VLAN: Hop-by-Hop (8 bytes, PadN) + UDP 5 bytes: ip_hdr 48,
#    ip_len 61; a first fragment (M=1): unparsed; an atomic fragment (offset 0, M=0) + UDP 5:
#    ip_hdr 48, ip_len 61; VLAN-tagged IPv6/UDP 5 bytes: ip_len 53.
HBH = bytes([17, 0, 1, 4, 0, 0, 0, 0])
FRAG_M = bytes([17, 0]) + struct.pack(">HI", 0x0001, 7)
FRAG_ATOMIC = bytes([17, 0]) + struct.pack(">HI", 0x0000, 8)
write("eth_ipv6_ext.pcap", LINK_EN10MB, [
    eth(ipv6(C6, S6, 0, udp(40000, 9999, b"hello"), HBH, 17)),
    eth(ipv6(C6, S6, 44, udp(40000, 9999, b"hello"), FRAG_M, 17)),
    eth(ipv6(S6, C6, 44, udp(9999, 40000, b"world"), FRAG_ATOMIC, 17), MAC_S, MAC_C),
    eth(ipv6(C6, S6, 17, udp(40000, 9999, b"vlan!")), vlan=5),
])

# 4. Linux cooked v2 and v1, raw IP: one request each way.
write("sll2_ipv6_udp.pcap", LINK_SLL2, [
    sll2(ipv6(C6, S6, 17, udp(40000, 5683, REQ)), True),
    sll2(ipv6(S6, C6, 17, udp(5683, 40000, RSP)), False),
])
write("sll_ipv4_udp.pcap", LINK_SLL, [
    sll(ipv4(C4, S4, 17, udp(40000, 5683, REQ)), True),
    sll(ipv4(S4, C4, 17, udp(5683, 40000, RSP)), False),
])
# IPv6/TCP with timestamps as Linux sends it: 40 + 32 + 21 = 93.
write("raw_ipv6_tcp.pcap", LINK_RAW, [
    ipv6(C6, S6, 6, tcp(40002, 5684, 77, 88, 0x18, REQ, TS_OPTS)),
])

# 5. Snaplen 80 cuts a 100-byte UDP payload (ip_len 148): kept, counted as truncated, hash 0.
write("truncated_udp.pcap", LINK_EN10MB, [
    eth(ipv6(C6, S6, 17, udp(40000, 9999, bytes(100)))),
], snaplen=80)
