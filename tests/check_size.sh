# scripts/check-size.sh: passes on an untouched copy of the committed baseline, fails naming
# stack and column when a baseline number is lowered (growth = regression) or raised (stale
# baseline), when a stack is new or missing, and honours the declared tolerances. Runs only a
# few stacks (SIZE_STACKS) and works on temporary copies: the committed baseline is never
# modified.
. tests/lib.sh
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
base=results/baseline/message-size.csv
tols=results/baseline/message-size-tolerances.csv
[ -f "$base" ] || { echo "FAIL no committed baseline $base (make size-baseline)"; exit 1; }
sum_before=$(cksum <"$base")
# coap+tcp (flights regroup), oscore (no handshake), a DTLS ECDSA stack (signature tolerance)
stacks="coap+tcp,oscore,dtls1.2-openssl-ecdsa-gcm"
export SIZE_STACKS=$stacks SIZE_TOLERANCES=$tols
cs() { scripts/check-size.sh --baseline "$tmp/b.csv" "$@" >"$tmp/out" 2>"$tmp/err"; echo $?; }

# 1. untouched copy: every cell of the three stacks, measured now
cp "$base" "$tmp/b.csv"
check "untouched baseline passes" 0 "$(cs --raw "$tmp/measured.csv")"
cat "$tmp/out" "$tmp/err"
check "cells measured" 24 "$(($(wc -l <"$tmp/measured.csv") - 1))"
# The rest compares that measurement (--measured: fast) with edited copies of itself taken as
# the baseline, so the expected differences are exact whatever the run-to-run variation.
cs_m() { cs --measured "$tmp/measured.csv" "$@"; }
check "same measurement passes again" 0 "$(cs_m)"
committed=$base
base=$tmp/measured.csv

# 2. one number of the committed baseline's copy lowered: the measurement is now bigger, a
# regression naming stack and column (oscore's sizes do not vary)
awk -F, -v OFS=, '$1 == "oscore" && $2 == "cold" && $3 == 16 { $8 = $8 - 5 } 1' "$committed" >"$tmp/b.csv"
check "lowered app_payload_bytes fails" 1 "$(cs_m)"
line=$(grep -m1 '^REGRESSION' "$tmp/err")
echo "  $line"
check "message names stack, column, baseline, measured" 1 \
    "$(grep -c '^REGRESSION oscore cold 16 app_payload_bytes: baseline [0-9]*, measured [0-9]* (+5, tolerance +-0)$' <<<"$line")"
check "only that cell" 1 "$(grep -c '^REGRESSION' "$tmp/err")"

# 3. one number raised: smaller than the baseline = stale baseline, refresh advised
awk -F, -v OFS=, '$1 == "coap+tcp" && $2 == "established" && $3 == 256 { $7 = $7 + 3 } 1' "$base" >"$tmp/b.csv"
check "raised response_bytes fails" 1 "$(cs_m)"
check "stale message names stack, column and the refresh" 1 \
    "$(grep -c '^STALE BASELINE.*coap+tcp established 256 response_bytes: baseline .*make size-baseline' "$tmp/err")"

# 4. within the declared tolerance (ECDSA signature flight +-3 bytes) passes; beyond it fails
awk -F, -v OFS=, '$1 == "dtls1.2-openssl-ecdsa-gcm" && $2 == "cold" && $3 == 0 {
        n = split($4, f, "/"); sub(/:.*/, ":" (substr(f[4], 5) - 2), f[4]); $4 = f[1]
        for (i = 2; i <= n; i++) $4 = $4 "/" f[i]; $9 = $9 - 2 } 1' "$base" >"$tmp/b.csv"
check "flight 2 bytes smaller, within +-3" 0 "$(cs_m)"
awk -F, -v OFS=, '$1 == "dtls1.2-openssl-ecdsa-gcm" && $2 == "cold" && $3 == 0 { $9 = $9 - 9 } 1' "$base" >"$tmp/b.csv"
check "handshake 9 bytes over, beyond +-4" 1 "$(cs_m)"
check "names the ECDSA stack's handshake column" 1 \
    "$(grep -c '^REGRESSION dtls1.2-openssl-ecdsa-gcm cold 0 handshake_payload_bytes: .*(+9, tolerance +-4)' "$tmp/err")"

# 5. a flight more than the baseline (stack without regroup) is a regression
awk -F, -v OFS=, '$1 == "dtls1.2-openssl-ecdsa-gcm" && $2 == "established" && $3 == 64 {
        sub(/\/[^\/]*$/, "", $4); sub(/\/[^\/]*$/, "", $5) } 1' "$base" >"$tmp/b.csv"
check "extra flight fails" 1 "$(cs_m)"
check "extra flight is a regression of flights" 1 \
    "$(grep -c '^REGRESSION dtls1.2-openssl-ecdsa-gcm established 64 flights: .*(+1 flights' "$tmp/err")"

# 6. a stack missing from the baseline (new) and a baseline stack this build does not list
grep -v '^oscore,' "$base" >"$tmp/b.csv"
echo "gone-stack,cold,16,none,none,1,1,2,0" >>"$tmp/b.csv"
SIZE_STACKS="$stacks,gone-stack" cs_m >/dev/null
check "new stack fails" 1 "$(grep -c "^STALE BASELINE: stack oscore is new: not in the baseline (8 cells); refresh it with \`make size-baseline\`$" "$tmp/err")"
check "missing stack fails" 1 "$(grep -c "^STALE BASELINE: stack gone-stack is in the baseline but no longer listed by secbench list (1 cells); refresh" "$tmp/err")"

# 7. a failed run is a failure with its error
sed 's/^oscore,cold,16,.*$/oscore,cold,16,none,none,,,,/' "$tmp/measured.csv" >"$tmp/m2.csv"
cp "$base" "$tmp/b.csv"
check "null (unmeasured) value fails" 1 "$(cs --measured "$tmp/m2.csv")"
check "named as CHANGED" 1 "$(grep -c '^CHANGED oscore cold 16 request_bytes: baseline [0-9]*, measured null' "$tmp/err")"
SB_FAKE=$tmp/fake-secbench
cat >"$SB_FAKE" <<EOF
#!/bin/sh
# a secbench whose runs all fail (ok false), for the error path
case "\$1" in
list) echo oscore ;;
*) echo '{"stack":"oscore","scenario":"cold","response_payload":16,"ok":false,"error":"test: peer vanished"}'; exit 3 ;;
esac
EOF
chmod +x "$SB_FAKE"
check "failed run fails" 1 "$(SIZE_STACKS=oscore SECBENCH_HOME=$PWD cs --bin "$SB_FAKE" --payloads 16 --scenarios cold)"
check "failed run names its error" 1 "$(grep -c '^FAIL oscore cold 16: run failed: test: peer vanished$' "$tmp/err")"

# 8. writing a baseline to a temporary file: header, every cell, median of the runs
SIZE_STACKS=oscore scripts/check-size.sh --write-baseline --repeat 2 --payloads "0 64" \
    --baseline "$tmp/new.csv" >/dev/null 2>&1
check "write-baseline header" "$(head -n1 results/baseline/message-size.csv)" "$(head -n1 "$tmp/new.csv")"
check "write-baseline cells" 4 "$(($(wc -l <"$tmp/new.csv") - 1))"
check "committed baseline untouched" "$sum_before" "$(cksum <results/baseline/message-size.csv)"
finish
