# Round trips to complete one request-response of the default workload, counted from the
# capture (not timed), on a link with a 10 ms one-way delay: coap 1, oscore 1, coap+tcp 2 (TCP handshake, request), tls1.3 cold 3,
# tls1.2 cold 4, dtls1.2 cold 4 with the cookie exchange and 3 with --no-cookie.
. tests/lib.sh
# A short delay: on a link with none, a peer's next flight can overtake the other's local
# processing, which adds an alternation on the wire that no protocol round trip caused.
rt() { $SB run --stack "$1" --delay 10 --format json "${@:2}" | jq -r '"\(.ok) \(.round_trips)"'; }
first() { $SB list | grep -m1 -E "$1"; }
check "coap" "true 1" "$(rt coap)"
check "coap+tcp" "true 2" "$(rt coap+tcp)"
if $SB list | grep -qx oscore; then
    check "oscore" "true 1" "$(rt oscore)"
    # A server challenging with Echo (RFC 8613 B.1.2) costs a round trip; the repeat is a new
    # CoAP message (RFC 7252 §4.5), so its Message ID differs from the challenged request's
    tmp=$(mktemp -d)
    check "oscore --echo" "true 2" "$(rt oscore --echo --pcap "$tmp/echo.pcap")"
    mids=$(tshark -r "$tmp/echo.pcap" -Y 'ipv6.src == fd5b::1' -T fields -e coap.mid 2>/dev/null | sort -u | wc -l)
    check "oscore --echo: Message IDs of the two requests" 2 "$mids"
    rm -rf "$tmp"
fi
for pat in '^tls1\.3-' '^tls1\.2-' '^dtls1\.2-'; do
    s=$(first "$pat")
    [ -n "$s" ] || { echo "FAIL no stack matching $pat is listed"; fails=$((fails + 1)); continue; }
    case $pat in
    *tls1\\.3*) check "$s cold" "true 3" "$(rt "$s")" ;;
    *dtls1\\.2*) check "$s cold (cookie)" "true 4" "$(rt "$s")"
                 check "$s cold --no-cookie" "true 3" "$(rt "$s" --no-cookie)" ;;
    *) check "$s cold" "true 4" "$(rt "$s")" ;;
    esac
done
# EDHOC then OSCORE (RFC 9528 Appendix A.2): message_1/message_2, message_3 and its response,
# then the request: 3. The EDHOC messages themselves: method 3, suite 2, 1-byte kid and
# connection identifiers = [37, 45, 19] (draft-ietf-iotops-security-protocol-comparison §3.1).
if $SB list | grep -qx edhoc-m3-s2; then
    row=$($SB run --stack edhoc-m3-s2 --delay 10 --format json)
    check "edhoc-m3-s2 round trips" "true 3" "$(jq -r '"\(.ok) \(.round_trips)"' <<<"$row")"
    check "edhoc-m3-s2 edhoc_msg_bytes" "[37,45,19]" "$(jq -c .edhoc_msg_bytes <<<"$row")"
    # RFC 9668: message_3 inside the first OSCORE request saves a round trip; that datagram
    # grows by message_3 (19) and the EDHOC option's 1-byte header over the separate form
    sep=$(jq -r .app_payload_bytes <<<"$row")
    row=$($SB run --stack edhoc-m3-s2 --delay 10 --edhoc-combined --format json)
    check "edhoc-m3-s2 --edhoc-combined round trips" "true 2" "$(jq -r '"\(.ok) \(.round_trips)"' <<<"$row")"
    check "edhoc-m3-s2 --edhoc-combined application bytes" "$((sep + 19 + 1))" "$(jq -r .app_payload_bytes <<<"$row")"
    # Seed 4 on this lossy link loses the server's first answer to the combined request: the
    # retransmitted request (message_3 again, same Message ID) must get that answer again
    # (RFC 7252 §4.5), not an OSCORE replay error
    row=$($SB run --stack edhoc-m3-s2 --edhoc-combined --loss 25 --delay 5 --ack-timeout 300 --seed 4 --format json)
    check "edhoc-m3-s2 --edhoc-combined, lost response: ok, retransmissions" "true 1" "$(jq -r '"\(.ok) \(.retransmissions)"' <<<"$row")"
    check "edhoc-m0-s2 edhoc_msg_bytes" "[37,102,77]" "$($SB run --stack edhoc-m0-s2 --format json | jq -c .edhoc_msg_bytes)"
else
    echo "FAIL edhoc-m3-s2 is not listed"; fails=$((fails + 1))
fi
finish
