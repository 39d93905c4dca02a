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
    check "$st: proxy heap per device measured" true "$(jq '.proxy_heap_session > 0' <<<"$row")"
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
# The safety rule: a request naming another host is answered 5.02 and sent nowhere.
$SB server --stack coap --listen '[::1]:15683' --seed $SEED >/dev/null 2>&1 & spid=$!
$SB proxy --stack coap --listen '[::1]:15684' --upstream '[::1]:15683' --proxy-dump "$tmp/safe.dump" \
    --seed $SEED >/dev/null 2>&1 & ppid=$!
sleep 0.5
row=$($SB client --stack coap --connect '[::1]:15684' --proxy-scheme coap --uri-host ::2 \
      --uri-port 15683 --seed $SEED --format json)
check "other host: 5.02 Bad Gateway" 5.02 "$(field "$row" final_code)"
row=$($SB client --stack coap --connect '[::1]:15684' --proxy-scheme coap --uri-host ::1 \
      --uri-port 15685 --seed $SEED --format json)
check "other port: 5.02 Bad Gateway" 5.02 "$(field "$row" final_code)"
check "nothing forwarded for them" 0 "$(grep -c 'proxy -> server' "$tmp/safe.dump")"
row=$($SB client --stack coap --connect '[::1]:15684' --proxy-scheme coap --uri-host ::1 \
      --uri-port 15683 --seed $SEED --format json)
check "configured upstream: forwarded" 2.05 "$(field "$row" final_code)"
kill $ppid $spid; wait $ppid $spid 2>/dev/null
# A fleet: N devices through one proxy, sessions held until all are up.
row=$($SB run --stack dtls1.2-openssl-psk-ccm8 --via proxy --clients 5 --seed $SEED --format json)
check "fleet of 5 (DTLS): ok" true "$(field "$row" ok)"
check "fleet of 5 (DTLS): proxy heap per device measured" true "$(jq '.proxy_heap_session > 0' <<<"$row")"
# Usage errors.
$SB run --stack coap --proxy-tamper >/dev/null 2>&1; check "--proxy-tamper without --via proxy: exit" 2 $?
$SB run --stack coap --via gateway >/dev/null 2>&1; check "--via gateway: exit" 2 $?
sleep 0.3
check "our processes left" 0 "$(leftovers)"
check "named namespaces" "$netns_before" "$(ip netns list | wc -l)"
check "links in the root namespace" "$links_before" "$(ip -o link | wc -l)"
finish
