# `secbench link-check`: the nfq emulator reproduces a short custom link (delay 20 ms, loss 10 %,
# rate 200 kbit/s) within bounds widened for a loaded 2-core machine; --emulator none on the
# same link reports the mismatch and fails; an interrupted check leaves nothing behind.
. tests/lib.sh
cfg="--delay 20 --loss 10 --rate 200 --count 150 --seed $SEED"
wide="--tolerance 15 --tolerance-ms 3"

out=$($SB link-check $cfg $wide --emulator nfq 2>&1); rc=$?
echo "$out"
first=$(grep 'sent,' <<<"$out")
check "nfq: exit status (all within bounds)" 0 "$rc"
check "nfq: emulator reported" "nfq" "$(sed -n 's/^link-check: emulator \([a-z]*\),.*/\1/p' <<<"$out")"
check "nfq: rows checked" 8 "$(grep -cE ' (ok|MISMATCH)$' <<<"$out")"

out=$($SB link-check $cfg $wide --emulator none 2>&1); rc=$?
echo "$out"
check "none: exit status (mismatch)" 1 "$rc"
check "none: delay mismatch reported" 2 "$(grep -cE '^(up|down) +delay_ms .*MISMATCH$' <<<"$out")"
check "none: rate mismatch reported" 2 "$(grep -cE '^(up|down) +rate_kbit .*MISMATCH$' <<<"$out")"

# the same seed drops the same probes (the loss stream is seeded per direction)
again=$($SB link-check $cfg $wide --emulator nfq 2>&1 | grep 'sent,')
check "nfq: same seed, same losses" "$first" "$again"

out=$($SB link-check --profile no-such-profile 2>&1); rc=$?
check "unknown profile: exit status" 2 "$rc"
check "unknown profile: lists known" 1 "$(grep -c 'known: ideal, nbiot' <<<"$out")"

rules_before=$(iptables -t mangle -S 2>/dev/null | wc -l; ip6tables -t mangle -S 2>/dev/null | wc -l)
for sig in INT TERM KILL; do
    $SB link-check $cfg --emulator nfq >/dev/null 2>&1 & pid=$!
    sleep 1.5
    kill -$sig $pid; wait $pid 2>/dev/null
    sleep 0.3
    check "after SIG$sig: our processes" 0 "$(leftovers)"
done
check "root namespace mangle rules unchanged" "$rules_before" \
    "$(iptables -t mangle -S 2>/dev/null | wc -l; ip6tables -t mangle -S 2>/dev/null | wc -l)"
finish
