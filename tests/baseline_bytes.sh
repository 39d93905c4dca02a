# Byte counts of the baselines (coap, coap+tcp), cold, loss-free link, default workload, compared
# with values worked out by hand and with an independent reading of the capture by tshark.
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

# coap: request = CoAP 4 + token 2 + Uri-Path 3303 (5) + 0 (2) + 5700 (5) = 18; + UDP 8 +
# IPv6 40 = 66. Response = 4 + 2 + marker 1 + 16 = 23; + 48 = 71. One datagram each way.
row=$($SB run --stack coap --format json --pcap "$tmp/coap.pcap")
check "coap ok" true "$(field "$row" ok)"
check "coap c2s_bytes" 66 "$(field "$row" c2s_bytes)"
check "coap s2c_bytes" 71 "$(field "$row" s2c_bytes)"
check "coap c2s_packets" 1 "$(field "$row" c2s_packets)"
check "coap s2c_packets" 1 "$(field "$row" s2c_packets)"
check "coap app_payload_bytes" 41 "$(field "$row" app_payload_bytes)"
check "coap handshake_bytes" 0 "$(field "$row" handshake_bytes)"
check "coap round_trips" 1 "$(field "$row" round_trips)"
check "coap layers" '{"ip":40,"transport":8,"record":0,"coap":18,"security":0,"payload":0}' "$(jq -c .layers.request <<<"$row")"
check "coap layers response" '{"ip":40,"transport":8,"record":0,"coap":7,"security":0,"payload":16}' "$(jq -c .layers.response <<<"$row")"
# tshark's own reading of our pcap: IPv6 payload length + 40 per packet, summed per direction
ts=$(tshark -r "$tmp/coap.pcap" -T fields -e ipv6.src -e ipv6.plen 2>/dev/null | awk '$1=="fd5b::1"{c+=$2+40} $1=="fd5b::2"{s+=$2+40} END{print c, s}')
check "tshark coap c2s s2c" "66 71" "$ts"

# coap+tcp: CSM is 2 bytes each way (Len/TKL 0x00 + code 7.01); request in RFC 8323 framing
# 1 + 1 + 2 + 12 = 16; response 1 + ext 1 + 1 + 2 + 17 = 22. Data segments carry IPv6 40 + TCP
# 32 (20 + 12 of timestamps, as Linux sends them); SYN and SYN-ACK 40 + 40 (MSS, SACK-perm,
# timestamps, window scale). A 10 ms one-way delay puts the two ends' concurrent sends (each
# side's CSM) in a physical order: with none, the server's CSM can fall between the client's
# CSM and request and add an alternation no protocol round trip caused (see round_trips.sh).
row=$($SB run --stack coap+tcp --delay 10 --format json --pcap "$tmp/tcp.pcap")
check "coap+tcp ok" true "$(field "$row" ok)"
check "coap+tcp c2s_payload_bytes" 18 "$(field "$row" c2s_payload_bytes)"
check "coap+tcp s2c_payload_bytes" 24 "$(field "$row" s2c_payload_bytes)"
check "coap+tcp app_payload_bytes" 38 "$(field "$row" app_payload_bytes)"
check "coap+tcp handshake_payload_bytes" 4 "$(field "$row" handshake_payload_bytes)"
check "coap+tcp round_trips" 2 "$(field "$row" round_trips)"
check "coap+tcp request layers" '{"ip":40,"transport":32,"record":0,"coap":16,"security":0,"payload":0}' "$(jq -c .layers.request <<<"$row")"
check "coap+tcp response layers" '{"ip":40,"transport":32,"record":0,"coap":6,"security":0,"payload":16}' "$(jq -c .layers.response <<<"$row")"
syn=$(tshark -r "$tmp/tcp.pcap" -Y "tcp.flags.syn==1" -T fields -e ipv6.plen 2>/dev/null | tr '\n' ' ')
check "SYN, SYN-ACK IPv6 payload (TCP 40)" "40 40 " "$syn"
ts=$(tshark -r "$tmp/tcp.pcap" -T fields -e ipv6.src -e ipv6.plen 2>/dev/null | awk '$1=="fd5b::1"{c+=$2+40} $1=="fd5b::2"{s+=$2+40} END{print c, s}')
check "tshark coap+tcp c2s s2c" "$(field "$row" c2s_bytes) $(field "$row" s2c_bytes)" "$ts"
total=$(( $(field "$row" handshake_bytes) + $(field "$row" app_bytes) + $(field "$row" teardown_bytes) + $(field "$row" unclassified_bytes) ))
check "coap+tcp phases add up" "$(( $(field "$row" c2s_bytes) + $(field "$row" s2c_bytes) ))" "$total"
check "coap+tcp unclassified" 0 "$(field "$row" unclassified_bytes)"

# IPv4: headers 20 instead of 40
row=$($SB run --stack coap --ipv4 --format json)
check "coap IPv4 c2s_bytes" 46 "$(field "$row" c2s_bytes)"

# several requests, POST payloads: 3 x (18 + 1 + 10) c2s
row=$($SB run --stack coap --requests 3 --request-payload 10 --format json)
check "coap 3 POSTs c2s_payload" 87 "$(field "$row" c2s_payload_bytes)"
finish
