# Interoperability of the (D)TLS stacks with an independent CoAP implementation: libcoap 4.3.1
# (coap-server-openssl / coap-client-openssl from libcoap3-bin), PSK, on the loopback only.
# Where the two sides share no suite the handshake must fail cleanly with the peer's alert:
# libcoap's OpenSSL offers neither ECDHE-PSK AES-GCM (TLS 1.2) nor TLS_AES_128_CCM_8_SHA256,
# and its TLS 1.3 server does not allow psk_ke.
. tests/lib.sh
command -v coap-server-openssl >/dev/null || { echo "SKIP: libcoap3-bin not installed"; exit 77; }
KEY=secretPSK
KEYHEX=$(printf %s "$KEY" | od -An -tx1 | tr -d ' \n')
PORT=$(( 20000 + SEED % 20000 ))
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

# secbench clients -> coap-server-openssl (serves /time; coaps on PORT+1, coaps+tcp too)
coap-server-openssl -A ::1 -p $PORT -k $KEY >/dev/null 2>&1 &
pids+=($!)
wait_listen $((PORT + 1))
client() { # id -> "ok final_code" or the error
    $SB client --stack "$1" --connect "[::1]:$((PORT + 1))" --path /time --psk-identity user \
        --psk-key "$KEYHEX" --timeout 10 --seed $SEED --format json | jq -r 'if .ok then "ok \(.final_code)" else .error end'
}
for id in dtls1.2-openssl-psk-ccm8 dtls1.2-openssl-psk-gcm tls1.2-openssl-psk-ccm8 tls1.2-openssl-psk-gcm \
          tls1.3-openssl-psk-ecdhe-gcm tls1.3-wolfssl-psk-ecdhe-gcm; do
    check "$id -> libcoap server" "ok 2.05" "$(client $id)"
done
# no common suite: a clean failure with libcoap's alert
for id in dtls1.2-wolfssl-psk-ecdhe-gcm tls1.3-openssl-psk-ecdhe-ccm8 tls1.3-wolfssl-psk-gcm; do
    check "$id -> libcoap server (no shared suite)" "TLS alert received: handshake" "$(client $id | cut -c1-29)"
done

# coap-client-openssl -> secbench servers (the workload's 16-byte payload)
n=0
# (coap-client-openssl 4.3.1 stops at TLS 1.2 with PSK: our TLS 1.3 servers must refuse it
# with a protocol_version alert)
for id in dtls1.2-openssl-psk-ccm8 dtls1.2-openssl-psk-gcm tls1.2-openssl-psk-ccm8 tls1.2-openssl-psk-gcm \
          tls1.3-openssl-psk-ecdhe-gcm tls1.3-wolfssl-psk-ecdhe-gcm; do
    n=$((n + 1))
    sport=$((PORT + 10 + n))
    $SB server --stack "$id" --listen "[::1]:$sport" --psk-identity user --psk-key "$KEYHEX" \
        --seed $SEED >/dev/null 2>&1 &
    spid=$!
    pids+=($spid)
    wait_listen $sport
    scheme=coaps; [[ $id == tls* ]] && scheme=coaps+tcp
    got=$(timeout 10 coap-client-openssl -k $KEY -u user -B 5 "$scheme://[::1]:$sport/3303/0/5700" 2>&1)
    if [[ $id == tls1.3* ]]; then
        grep -q "alert protocol version" <<<"$got" && got=refused
        check "libcoap client (TLS 1.2) -> $id" refused "$got"
    else
        check "libcoap client -> $id" abcdefghijklmnop "$got"
    fi
    kill $spid 2>/dev/null; wait $spid 2>/dev/null
done
cleanup
sleep 0.3
check "leftover processes" 0 "$(leftovers)"
finish
