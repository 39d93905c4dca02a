#!/bin/bash
# The benchmark pipeline end to end. Part 1 drives `secbench matrix` and `secbench report`
# with a stand-in for `secbench run` (tests/data/fake-secbench.sh via SECBENCH_EXE) to check
# what real stacks rarely do: a crash, a hang past the wall-clock limit, garbage output,
# Ctrl-C and --resume. Part 2 runs the real QUICK pipeline (scripts/bench.sh with QUICK=1)
# and checks that every output exists and is non-empty, that the CSV has its header and one
# row per cell, and that the report has its tables and charts.
cd "$(dirname "$0")/.." || exit 1
. tests/lib.sh
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }
tmp=$(mktemp -d /tmp/secbench-bench-test.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$tmp"' EXIT
nonempty() { if [ -s "$1" ]; then echo "ok   non-empty $1"; else echo "FAIL missing or empty: $1"; fails=$((fails + 1)); fi; }
lines() { grep -c . "$1" 2>/dev/null || echo 0; }

# ---- part 1: matrix edge cases with the stand-in
fake=$PWD/tests/data/fake-secbench.sh
cat >"$tmp/edge.matrix" <<'M'
set timeout=1 margin=1
stacks=coap,oscore,edhoc-m3-s0,tls1.3-wolfssl-psk-ccm8 profiles=nbiot repeat=2
M
hang=$((900 + RANDOM % 99)).$$ # a unique sleep to look for afterwards
out=$(SECBENCH_EXE=$fake FAKE_CRASH=oscore FAKE_HANG=edhoc-m3-s0 FAKE_HANG_SECS=$hang FAKE_BAD=coap \
    $SB matrix "$tmp/edge.matrix" --out "$tmp/edge" 2>"$tmp/edge.log")
check "matrix exit status" 0 $?
check "matrix prints the run folder" "$tmp/edge" "$out"
check "one row per cell, none lost" 8 "$(lines "$tmp/edge/results.json")"
check "csv: header + 8 rows" 9 "$(lines "$tmp/edge/results.csv")"
check "csv header from sb_row" "stack,protocol,library" "$(head -1 "$tmp/edge/results.csv" | cut -d, -f1-3)"
check "crash recorded" 2 "$(jq -r 'select(.stack=="oscore") | .error' "$tmp/edge/results.json" | grep -c '^crashed: signal 11')"
check "hang killed at the wall-clock limit" 2 "$(jq -r 'select(.stack=="edhoc-m3-s0") | .error' "$tmp/edge/results.json" | grep -c '^timeout: ')"
check "garbage output recorded with the exit code" 2 "$(jq -r 'select(.stack=="coap") | .error' "$tmp/edge/results.json" | grep -c '^no result row (exit 2): fake: bad usage')"
check "good rows kept" 2 "$(jq -r 'select(.ok==true) | .stack' "$tmp/edge/results.json" | wc -l)"
check "repeat filled in" "1 2" "$(jq -r 'select(.stack=="oscore") | .repeat' "$tmp/edge/results.json" | sort | paste -sd' ')"
check "hung children killed with their process group" 0 "$(pgrep -fx "sleep $hang" | wc -l)"
seeds1=$(jq -r .seed "$tmp/edge/results.json" | sort | paste -sd' ')
SECBENCH_EXE=$fake $SB matrix "$tmp/edge.matrix" --out "$tmp/edge2" >/dev/null 2>&1
check "seeds repeat across runs" "$seeds1" "$(jq -r .seed "$tmp/edge2/results.json" | sort | paste -sd' ')"

# Ctrl-C: finished cells are kept, running ones are not recorded, --resume completes.
# Longest cells start first (tls1.3, then the hanging edhoc), coap fills the last slots.
cat >"$tmp/int.matrix" <<'M'
set timeout=30
stacks=coap,tls1.3-wolfssl-psk-ccm8,edhoc-m3-s0 profiles=nbiot repeat=2
M
SECBENCH_EXE=$fake FAKE_HANG=edhoc-m3-s0 FAKE_HANG_SECS=$hang $SB matrix "$tmp/int.matrix" --out "$tmp/int" --jobs 4 \
    >/dev/null 2>"$tmp/int.log" &
pid=$!
for _ in $(seq 50); do [ "$(lines "$tmp/int/results.json")" -ge 4 ] && break; sleep 0.1; done
sleep 0.5
kill -INT $pid
wait $pid
check "interrupted matrix exits 130" 130 $?
check "finished cells kept, hung ones not recorded" 4 "$(lines "$tmp/int/results.json")"
check "interrupted cells killed" 0 "$(pgrep -fx "sleep $hang" | wc -l)"
SECBENCH_EXE=$fake $SB matrix --resume "$tmp/int" >/dev/null 2>"$tmp/resume.log"
check "resume exit status" 0 $?
check "resume ran only the missing cells" 1 "$(grep -c '2 cells to run on resume (4 already done)' "$tmp/resume.log")"
check "all 6 rows after resume" 6 "$(lines "$tmp/int/results.json")"
check "no duplicate cells" 6 "$(jq -r '"\(.stack) \(.seed)"' "$tmp/int/results.json" | sort -u | wc -l)"

# Report on the stand-in's rows: every section and chart.
SECBENCH_EXE=$fake $SB matrix tests/data/fake.matrix --out "$tmp/fake" >/dev/null 2>&1
$SB report "$tmp/fake" >"$tmp/fake-report.txt" 2>&1
check "report exit status" 0 $?
for s in "## Five axes" "## Loss sweep" "## Amortisation" "## Gateway panel" "## Cold start"; do
    check "report section: $s" 1 "$(grep -c "^$s" "$tmp/fake/report.md")"
done
check "gateway: OSCORE end-to-end through the proxy" 1 "$(grep -c '^| oscore | ltem | 1 | 1/1 | .* | yes |$' "$tmp/fake/report.md")"
check "gateway chart data: oscore end-to-end" 1 "$(grep -c '^"oscore" .* 1 1$' "$tmp/fake/plots/data/gateway.dat")"
for c in comparison-nbiot-cold layers loss amortisation distribution gateway; do
    nonempty "$tmp/fake/plots/$c.png"
    nonempty "$tmp/fake/plots/$c.svg"
done

# ---- part 2: the real QUICK pipeline
if ! $SB list >/dev/null 2>&1; then echo "SKIP: secbench list fails"; exit 77; fi
t0=$SECONDS
QUICK=1 OUT="$tmp/quick" SECBENCH=$SB scripts/bench.sh >"$tmp/quick.out" 2>"$tmp/quick.log"
check "QUICK pipeline exit status" 0 $?
check_le "QUICK pipeline seconds" 120 $((SECONDS - t0))
d=$tmp/quick
cells=$(($(lines "$d/plan.tsv") - 1))
check "quick matrix has cells" 1 "$([ "$cells" -ge 20 ] && echo 1)"
for f in results.json results.csv plan.tsv matrix.txt report.md hyperfine.json hyperfine.md \
    plots/layers.png plots/layers.svg plots/loss.png plots/loss.svg plots/amortisation.png \
    plots/amortisation.svg plots/distribution.png plots/distribution.svg \
    plots/comparison-ideal-cold.png plots/comparison-ideal-cold.svg \
    plots/comparison-ltem-cold.png plots/comparison-ltem-cold.svg; do
    nonempty "$d/$f"
done
check "one row per cell" "$cells" "$(lines "$d/results.json")"
check "csv: header + one line per cell" $((cells + 1)) "$(lines "$d/results.csv")"
check "csv header" "$($SB run --stack coap --format csv 2>/dev/null | head -1)" "$(head -1 "$d/results.csv")"
check "every row is JSON with a stack" "$cells" "$(jq -r .stack "$d/results.json" | grep -vc '^null$')"
okrows=$(jq -r 'select(.ok==true) | .ok' "$d/results.json" | wc -l)
check "at least 3/4 of the quick cells succeed ($okrows of $cells)" 1 "$([ $((okrows * 4)) -ge $((cells * 3)) ] && echo 1)"
check "report: five-axes table per profile" 3 "$(grep -c '^| stack | scenario | n | time ms' "$d/report.md")"
check "report: charts embedded" 1 "$(grep -c '^!\[layers\](plots/layers.png)' "$d/report.md")"
check "report printed the tables" 1 "$(grep -c '^## Five axes' "$tmp/quick.out")"
check "hyperfine timed stacks" 1 "$(jq '.results | length > 0' "$d/hyperfine.json" | grep -c true)"
finish
