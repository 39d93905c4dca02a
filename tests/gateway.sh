# Through a gateway (run --via proxy): hop-by-hop (D)TLS shows the gateway the request in clear
# and lets it change it unnoticed; end-to-end OSCORE hides it and the server rejects a change
# (RFC 8613 §8.2: 4.00/4.01). The proxy forwards only to its configured upstream. Nothing of a
# run is left behind.
. tests/lib.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
netns_before=$(ip netns list | wc -l)
links_before=$(ip -o link | wc -l)
# A random text the stacks could not contain by chance.
secret="gw-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')"
hex=$(printf %s "$secret" | od -An -tx1 | tr -d ' \n')
in_dump() { # 1 when the secret's bytes appear, byte-aligned, on a hex: line of the dump
    awk -v h="$hex" '/^hex: /{s=substr($0,6); for(i=1;(p=index(substr(s,i),h))>0;i+=p) if((i+p-2)%2==0){f=1;break}} END{print f?1:0}' "$1"
}
for st in dtls1.2-openssl-psk-ccm8 tls1.3-wolfssl-psk-ccm8 oscore oscore+dtls1.2-openssl-psk-ccm8; do
    e2e=0; case $st in oscore*) e2e=1 ;; esac
    row=$($SB run --stack "$st" --via proxy --payload-text "$secret" --proxy-dump "$tmp/$st.dump" \
          --seed $SEED --format json); rc=$?
    check "$st: exit status" 0 "$rc"
    check "$st: via" proxy "$(field "$row" via)"
    check "$st: ok" true "$(field "$row" ok)"
    check "$st: final_code" 2.04 "$(field "$row" final_code)"
    check "$st: backhaul bytes measured" true "$(jq '.hop2_bytes > 0' <<<"$row")"
    check "$st: nothing unclassified on the device hop" 0 "$(field "$row" unclassified_bytes)"
    check "$st: proxy heap per device measured" true "$(jq '.proxy_heap_session > 0 or (.heap_source | startswith("unavailable"))' <<<"$row")"
    check "$st: proxy CPU measured" true "$(jq '.proxy_cpu_ns > 0' <<<"$row")"
    if [ $e2e = 1 ]; then
        check "$st: payload in the proxy dump" 0 "$(in_dump "$tmp/$st.dump")"
        check "$st: proxy_saw_plaintext" false "$(field "$row" proxy_saw_plaintext)"
    else
        check "$st: payload in the proxy dump" 1 "$(in_dump "$tmp/$st.dump")"
        check "$st: proxy_saw_plaintext" true "$(field "$row" proxy_saw_plaintext)"
    fi
    row=$($SB run --stack "$st" --via proxy --payload-text "$secret" --proxy-tamper \
          --proxy-dump "$tmp/$st.tamper" --seed $SEED --format json); rc=$?
    check "$st tampered: exit status" 0 "$rc"
    check "$st tampered: ok (a final response arrived)" true "$(field "$row" ok)"
    if [ $e2e = 1 ]; then
        code=$(field "$row" final_code)
        check "$st tampered: rejected with 4.00 or 4.01" 1 "$([[ $code == 4.00 || $code == 4.01 ]] && echo 1 || echo 0)"
        check "$st tampered: tamper_detected" true "$(field "$row" tamper_detected)"
    else
        check "$st tampered: server accepted the change (2.04)" 2.04 "$(field "$row" final_code)"
        check "$st tampered: tamper_detected" false "$(field "$row" tamper_detected)"
        # the server got the altered payload: the proxy's forwarded request differs in one bit
        check "$st tampered: altered payload forwarded" 1 "$(grep -c '^# [0-9]* proxy -> server: request' "$tmp/$st.tamper")"
    fi
done
# Bytes worked out by hand (IPv6 40 + UDP 8 + CoAP). Device hop, GET through the proxy:
# header 4 + token 2 + Uri-Host "fd5b:0:0:1::2" (1 + 1 extended length + 13) + Uri-Port 5683
# (1 + 2) + Uri-Path 3303/0/5700 (5 + 2 + 5) + Proxy-Scheme "coap" (delta 28 from Uri-Path 11:
# 1 + 1 extended delta + 4) = 42 -> 90. The proxy forwards the request without Uri-Host,
# Uri-Port and Proxy-Scheme: 4 + 2 + 12 = 18 -> 66, as a direct GET; the 2.05 with 16 bytes is
# 4 + 2 + 1 + 16 = 23 -> 71 on each hop, so the backhaul carries 66 + 71 = 137.
row=$($SB run --stack coap --via proxy --seed $SEED --format json)
check "coap GET via proxy: device hop c2s_bytes" 90 "$(field "$row" c2s_bytes)"
check "coap GET via proxy: device hop s2c_bytes" 71 "$(field "$row" s2c_bytes)"
check "coap GET via proxy: hop2_bytes" 137 "$(field "$row" hop2_bytes)"
# OSCORE: the same three outer options (15 + 3 + 6, OSCORE option 9 keeps its 1-byte header)
# on top of the direct request; the backhaul carries exactly the direct exchange.
direct=$($SB run --stack oscore --seed $SEED --format json)
row=$($SB run --stack oscore --via proxy --seed $SEED --format json)
check "oscore GET via proxy: device hop c2s_bytes" $(( $(field "$direct" c2s_bytes) + 24 )) "$(field "$row" c2s_bytes)"
check "oscore GET via proxy: hop2_bytes" $(( $(field "$direct" c2s_bytes) + $(field "$direct" s2c_bytes) )) "$(field "$row" hop2_bytes)"
# The safety rule: a request naming another host or port is answered 5.02 and sent nowhere.
# A standalone proxy serves one device session at a time (plain CoAP has no close), so each
# check gets its own server and proxy. Proxy-Uri is checked with libcoap's coap-client.
through() { # uri-host uri-port [coap-client URI]: prints the final code the device got
    $SB server --stack coap --listen '[::1]:15683' --seed $SEED >/dev/null 2>&1 & local spid=$!
    $SB proxy --stack coap --listen '[::1]:15684' --upstream '[::1]:15683' --timeout 10 \
        --proxy-dump "$tmp/safe.dump" --seed $SEED >/dev/null 2>&1 & local ppid=$!
    wait_listen 15683; wait_listen 15684
    if [ -n "$3" ]; then
        coap-client-notls -B 3 -v 0 -P 'coap://[::1]:15684' "$3" >/dev/null 2>&1
        grep -o '^ACK [0-9.]*' "$tmp/safe.dump" | tail -1 | cut -d' ' -f2
    else
        field "$($SB client --stack coap --connect '[::1]:15684' --proxy-scheme coap --uri-host "$1" \
                 --uri-port "$2" --seed $SEED --timeout 5 --format json)" final_code
    fi
    kill $ppid $spid; wait $ppid $spid 2>/dev/null
}
check "Uri-Host of another host: 5.02 Bad Gateway" 5.02 "$(through ::2 15683)"
check "... nothing forwarded" 0 "$(grep -c 'proxy -> server' "$tmp/safe.dump")"
check "Uri-Port of another port: 5.02 Bad Gateway" 5.02 "$(through ::1 15685)"
check "... nothing forwarded" 0 "$(grep -c 'proxy -> server' "$tmp/safe.dump")"
check "the configured upstream: forwarded, 2.05" 2.05 "$(through ::1 15683)"
if command -v coap-client-notls >/dev/null; then
    check "Proxy-Uri naming another host: 5.02" 5.02 "$(through - - 'coap://[::2]:15683/3303/0/5700')"
    check "... nothing forwarded" 0 "$(grep -c 'proxy -> server' "$tmp/safe.dump")"
    check "Proxy-Uri naming the upstream: 2.05" 2.05 "$(through - - 'coap://[::1]:15683/3303/0/5700')"
fi
# A fleet: N devices through one proxy, sessions held until all are up.
row=$($SB run --stack dtls1.2-openssl-psk-ccm8 --via proxy --clients 5 --seed $SEED --format json)
check "fleet of 5 (DTLS): ok" true "$(field "$row" ok)"
check "fleet of 5 (DTLS): proxy heap per device measured" true "$(jq '.proxy_heap_session > 0 or (.heap_source | startswith("unavailable"))' <<<"$row")"
# Instruction counts through the proxy (callgrind): one for each of the three processes.
if command -v valgrind >/dev/null; then
    row=$($SB run --stack oscore --via proxy --valgrind --seed $SEED --format json)
    check "--valgrind via proxy: ok" true "$(field "$row" ok)"
    check "--valgrind via proxy: client, server and proxy instructions counted" true \
        "$(jq '[.client_instructions, .server_instructions, .proxy_instructions] | all(. != null and . > 0)' <<<"$row")"
    $SB run --stack oscore --via proxy --clients 3 --valgrind >/dev/null 2>&1
    check "--valgrind with a fleet: exit" 2 $?
fi
check "fleet of 5 (DTLS): hop-2 packets per device" true "$(jq '.hop2_packets > 0' <<<"$row")"
# Usage errors.
$SB run --stack oscore --via proxy --clients 3 --proxy-tamper >/dev/null 2>&1
check "--proxy-tamper with a fleet: exit" 2 $?
$SB run --stack coap --proxy-tamper >/dev/null 2>&1; check "--proxy-tamper without --via proxy: exit" 2 $?
$SB run --stack coap --via gateway >/dev/null 2>&1; check "--via gateway: exit" 2 $?
sleep 0.3
check "our processes left" 0 "$(leftovers)"
check "named namespaces" "$netns_before" "$(ip netns list | wc -l)"
check "links in the root namespace" "$links_before" "$(ip -o link | wc -l)"
finish
