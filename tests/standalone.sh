# The standalone roles, as another implementation uses them: one `secbench server` serves
# client after client (each from a new source port) until interrupted; over UDP a session
# ends when the next client's first datagram arrives, or when idle for --timeout, and the
# server goes on. The standalone OSCORE client keeps its Sender Sequence Number across runs
# (RFC 8613 §7.2.1: a nonce is never reused), in --seq-file or a default file it names.
. tests/lib.sh
tmp=$(mktemp -d)
spid=
trap '[ -n "$spid" ] && kill $spid 2>/dev/null; rm -rf "$tmp"' EXIT
port=$((20000 + SEED % 20000))
for st in coap oscore dtls1.2-openssl-psk-ccm8 coap+tcp; do
    $SB list | grep -qx "$st" || { echo "FAIL $st is not listed"; fails=$((fails + 1)); continue; }
    port=$((port + 1))
    $SB server --stack "$st" --listen "[::1]:$port" --timeout 2 --seed $SEED 2>"$tmp/$st.err" & spid=$!
    wait_listen $port
    c() { timeout 20 $SB client --stack "$st" --connect "[::1]:$port" --timeout 5 --seq-file "$tmp/$st.seq" --format json | jq -r .ok; }
    check "$st: three clients in a row" "true true true" "$(echo $(c) $(c) $(c))"
    sleep 2.5 # longer than the server's --timeout: the idle session ends, the server stays
    check "$st: a client after the idle timeout" true "$(c)"
    kill -0 $spid 2>/dev/null; check "$st: server still running" 0 $?
    kill $spid; wait $spid 2>/dev/null; spid=
    check "$st: server said nothing" "" "$(cat "$tmp/$st.err")"
done
# Without --seq-file the client keeps its sequence number in a state file of its own, so two
# runs never send the same Partial IV under the same key.
export XDG_STATE_HOME=$tmp/state
port=$((port + 1))
$SB server --stack oscore --listen "[::1]:$port" --seed $SEED 2>/dev/null & spid=$!
wait_listen $port
for i in 1 2; do
    timeout 20 $SB client --stack oscore --connect "[::1]:$port" --timeout 5 --format json >/dev/null 2>"$tmp/client$i.err"
done
kill $spid; wait $spid 2>/dev/null; spid=
check "default sequence-number file named on stderr" 1 "$(grep -c "$tmp/state/secbench/oscore-seq-" "$tmp/client1.err")"
check "default sequence-number file after two runs" 128 "$(cat "$tmp"/state/secbench/oscore-seq-* 2>/dev/null)"
check "leftovers" 0 "$(leftovers)"
finish
