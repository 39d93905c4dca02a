# Bad input gets a clear one-line error (exit 2) or a failed row with its reason (exit 3),
# within the run's timeout; never a hang, a crash or something left behind.
. tests/lib.sh
expect_usage() { # description, args...
    local d=$1; shift
    local out rc
    out=$(timeout 20 $SB "$@" 2>&1 >/dev/null); rc=$?
    check "$d: exit" 2 "$rc"
    [ "$(printf '%s\n' "$out" | wc -l)" -le 2 ] && [ -n "$out" ] && echo "ok   $d: '$out'" || { echo "FAIL $d: message '$out'"; fails=$((fails+1)); }
}
out=$($SB 2>&1); check "no verb: exit" 2 $?
expect_usage "unknown verb" frobnicate
expect_usage "unknown stack" run --stack nosuch
expect_usage "unknown option" run --stack coap --frobnicate
expect_usage "missing value" run --stack coap --requests
expect_usage "bad number" run --stack coap --requests many
expect_usage "zero requests" run --stack coap --requests 0
expect_usage "bad scenario" run --stack coap --scenario lukewarm
expect_usage "bad profile" run --stack coap --profile moon
expect_usage "bad loss" run --stack coap --loss 150
expect_usage "bad emulator" run --stack coap --emulator magic
expect_usage "--emulator none on a delayed link" run --stack coap --emulator none --delay 100
expect_usage "conflicting payloads" run --stack coap --payload-text hello --request-payload 3
expect_usage "client without --connect" client --stack coap
expect_usage "bare IPv6 without brackets" client --stack coap --connect fd5b::2:5683
expect_usage "a host name, not an address literal" server --stack coap --listen garbage
expect_usage "--requests beyond what the capture classifies" run --stack coap --requests 5000
expect_usage "run-only option to client" client --stack coap --connect [::1]:5683 --profile nbiot
expect_usage "--server-opt of no stack" run --stack coap --server-opt nosuch=1
expect_usage "--client-opt without its value" run --stack coap --client-opt psk-key
expect_usage "--server-opt value to a flag" run --stack coap --server-opt echo=1
expect_usage "--server-opt bad value for the server's stack" run --stack oscore --server-opt oscore-secret=zz
expect_usage "unavailable stack" run --stack "$($SB list --all | awk -F'\t' '$2 ~ /unavailable/ {print $1; exit}')"

# a server that never answers: nothing listens on this loopback port (the client sends only
# to ::1); the row fails with the reason, within the timeout (ICMP refuses it at once on
# loopback; the 5 s budget allows for the CoAP retransmissions otherwise)
t0=$(date +%s%N)
row=$(timeout 20 $SB client --stack coap --connect '[::1]:1' --timeout 5 --format json); rc=$?
dt=$(( ($(date +%s%N) - t0) / 1000000 ))
check "unreachable peer: exit" 3 "$rc"
check "unreachable peer: ok" false "$(field "$row" ok)"
[ -n "$(field "$row" error)" ] && echo "ok   unreachable peer: error '$(field "$row" error)'" || { echo "FAIL no error text"; fails=$((fails+1)); }
check_le "unreachable peer: ms" 6000 "$dt"
# TCP: connection refused
row=$(timeout 20 $SB client --stack coap+tcp --connect '[::1]:1' --timeout 5 --format json); rc=$?
check "refused TCP: exit" 3 "$rc"
# busy port: a second server on the same port fails with a one-line error
$SB server --stack coap+tcp --listen '[::1]:56830' & spid=$!
wait_listen 56830
out=$(timeout 10 $SB server --stack coap+tcp --listen '[::1]:56830' 2>&1); rc=$?
kill $spid; wait $spid 2>/dev/null
[ $rc -ne 0 ] && [[ $out == *"in use"* ]] && echo "ok   busy port: '$out'" || { echo "FAIL busy port: rc=$rc '$out'"; fails=$((fails+1)); }

# 100% loss: a failed row saying timeout, within the timeout plus a few seconds, nothing left
t0=$(date +%s)
row=$(timeout 60 $SB run --stack coap --loss 100 --timeout 4 --seed $SEED --format json); rc=$?
dt=$(( $(date +%s) - t0 ))
check "100% loss: exit" 3 "$rc"
check "100% loss: ok" false "$(field "$row" ok)"
[[ "$(field "$row" error)" == *timeout* ]] && echo "ok   100% loss: error '$(field "$row" error)'" || { echo "FAIL 100% loss error: $(field "$row" error)"; fails=$((fails+1)); }
check_le "100% loss: seconds" 10 "$dt"
check "100% loss: leftovers" 0 "$(leftovers)"

# The two ends disagree on their credentials: a failed row naming the cause, within the
# timeout, never a hang. (D)TLS drops records failing authentication silently, so the DTLS
# client gives up at its handshake deadline.
mismatch() { # description, expected error substring, stack, args...
    local d=$1 want=$2 st=$3; shift 3
    $SB list | grep -qx "$st" || { echo "FAIL $st is not listed"; fails=$((fails + 1)); return; }
    local t0=$(date +%s) rc # row stays global: callers check more of it
    row=$(timeout 60 $SB run --stack "$st" --timeout 8 --seed $SEED --format json "$@"); rc=$?
    check "$d: exit" 3 "$rc"
    check "$d: ok" false "$(field "$row" ok)"
    [[ "$(field "$row" error)" == *"$want"* ]] && echo "ok   $d: error '$(field "$row" error)'" || { echo "FAIL $d: error '$(field "$row" error)', wanted '$want'"; fails=$((fails+1)); }
    check_le "$d: seconds" 15 "$(( $(date +%s) - t0 ))"
}
mismatch "TLS 1.2 wrong PSK" "wrong PSK" tls1.2-openssl-psk-ccm8 --server-opt psk-key=0a0b0c
mismatch "DTLS 1.2 wrong PSK" "wrong PSK" dtls1.2-openssl-psk-ccm8 --server-opt psk-key=0a0b0c
mismatch "TLS 1.3 expired client certificate" "expired" tls1.3-openssl-ecdsa-ccm8 \
    --client-opt tls-cert=tests/certs/expired-client.pem --client-opt tls-key=tests/certs/expired-client.key
mismatch "OSCORE wrong Master Secret" "4.00" oscore --server-opt oscore-secret=0a0b
# wolfSSL answers a DTLS Finished it cannot verify by resending its flight, and so does the
# peer: bounded, and the row names the server's reason
mismatch "wolfSSL DTLS wrong PSK" "keep repeating their flights" dtls1.2-wolfssl-psk-ecdhe-gcm --server-opt psk-key=0a0b0c
check_le "wolfSSL DTLS wrong PSK: datagrams from the client" 100 "$(field "$row" c2s_packets)"
# A server refusing its configuration: the run's row carries the server's own reason
if $SB list | grep -qx dtls1.2-wolfssl-ecdsa-ccm8; then
    row=$(timeout 60 $SB run --stack dtls1.2-wolfssl-ecdsa-ccm8 --no-cookie --seed $SEED --format json); rc=$?
    check "wolfSSL DTLS server --no-cookie: exit" 3 "$rc"
    [[ "$(field "$row" error)" == *"cannot skip the HelloVerifyRequest"* ]] && echo "ok   wolfSSL --no-cookie: error '$(field "$row" error)'" || { echo "FAIL wolfSSL --no-cookie: error '$(field "$row" error)'"; fails=$((fails+1)); }
fi
check "mismatches: leftovers" 0 "$(leftovers)"
finish
