#!/bin/bash
# Message-size regression check (`make check-size`) and baseline writer (`make size-baseline`).
#
# A cell is one stack x scenario (cold, established) x response payload (0 16 64 256 bytes) of
# the default workload (one GET /3303/0/5700), measured on the ideal link without an emulator
# (sizes do not depend on the link; --emulator none is the fastest). Per cell we keep:
#   flights                  handshake flights, dir:transport-payload-bytes joined by '/'
#   flight_packets           packets of each of those flights, joined by '/'
#   request_bytes            first request's transport payload (record+coap+security+payload)
#   response_bytes           first response's transport payload
#   app_payload_bytes        transport payload of the application phase
#   handshake_payload_bytes  transport payload of the handshake phase
# and compare with results/baseline/message-size.csv. Columns that legitimately vary (ECDSA
# DER signatures, TCP segmentation) have a tolerance in message-size-tolerances.csv, stated
# there per stack pattern with the reason; everything else must match exactly. A run showing
# retransmissions (which count bytes twice) is repeated, not tolerated. Rules and evidence:
# results/baseline/README.md.
#
# usage: scripts/check-size.sh [options]
#   --write-baseline   measure every cell --repeat times (default 5), print the spread of every
#                      column that varied (kept in message-size-spread.txt), write the baseline
#                      (median of the runs); exit 1 if a column varied beyond its tolerance
#   --measure FILE     only measure (once) and write the measured CSV to FILE (size-history)
#   --baseline FILE    baseline to compare with or write (env SIZE_BASELINE)
#   --tolerances FILE  tolerances (env SIZE_TOLERANCES)
#   --stacks LIST      comma/space separated stack ids or globs to restrict to (env SIZE_STACKS);
#                      the baseline is then compared only for those stacks
#   --payloads LIST    response payload sizes (default "0 16 64 256")
#   --scenarios LIST   scenarios (default "cold established")
#   --repeat N         runs per cell for --write-baseline (default 5; env SIZE_REPEAT)
#   --jobs N           cells run in parallel (default 2; env SIZE_JOBS)
#   --bin PATH         secbench binary (default build/secbench; env SB)
#   --raw FILE         also keep every measured row (one CSV line per run) in FILE
#   --measured FILE    compare (or aggregate) the rows of FILE (as --measure/--raw write them)
#                      instead of measuring
# Exit: 0 ok, 1 difference beyond tolerance / stale baseline / failed run, 2 bad usage.
# The body is one brace group, parsed whole before it runs: editing this file while a check runs
# cannot derail it.
{
set -u
cd "$(dirname "$0")/.." || exit 2
here=scripts
HEADER=stack,scenario,response_payload,flights,flight_packets,request_bytes,response_bytes,app_payload_bytes,handshake_payload_bytes
# One row -> one CSV line in HEADER's order; null (not measured) -> empty, no flights -> "none".
ROWJQ='def tp: if . == null or ([.record, .coap, .security, .payload] | any(. == null)) then null
             else .record + .coap + .security + .payload end;
  def fl(f): if .flights == null then null elif (.flights | length) == 0 then "none"
             else .flights | map(f) | join("/") end;
  if .ok != true then "FAIL\t\(.stack),\(.scenario),\(.response_payload)\trun failed: \(.error)"
  else [.stack, .scenario, .response_payload, fl("\(.dir):\(.bytes)"), fl("\(.packets)"),
        (.layers.request | tp), (.layers.response | tp), .app_payload_bytes,
        .handshake_payload_bytes] | map(if . == null then "" else tostring end) | join(",") end'

SB=${SB:-build/secbench}
export SB
baseline=${SIZE_BASELINE:-results/baseline/message-size.csv}
tolerances=${SIZE_TOLERANCES:-results/baseline/message-size-tolerances.csv}
stacks_sel=${SIZE_STACKS:-}
payloads="0 16 64 256"
scenarios="cold established"
repeat=${SIZE_REPEAT:-5}
jobs=${SIZE_JOBS:-2}
mode=check
measure_out=
raw_out=
measured_in=

usage() { sed -n '/^# usage:/,/^# Exit:/s/^# \{0,1\}//p' "$0"; exit 2; }

# One cell, run by xargs in a child: prints one CSV line (see HEADER) or a FAIL line.
# The row's own key values are used, so a mislabelled row shows up as a mismatch.
# A run whose capture shows retransmissions (a TCP tail-loss probe or DTLS flight resent when
# the machine is busy, even on the ideal link) or unclassified bytes counts bytes twice or
# unexplained: it is no size measurement, so the cell is run again (up to 5 attempts).
if [ "${1:-}" = --cell ]; then
    read -r stack scenario payload <<<"$2"
    errf=$(mktemp); noisy=
    for attempt in 1 2 3 4 5; do
        out=$("$SB" run --stack "$stack" --scenario "$scenario" --response-payload "$payload" \
              --emulator none --profile ideal --format json --timeout 20 2>"$errf")
        rc=$?
        if [ -z "$out" ] || ! jq -e . >/dev/null 2>&1 <<<"$out"; then
            printf 'FAIL\t%s,%s,%s\tno row (exit %d): %s\n' "$stack" "$scenario" "$payload" "$rc" "$(tail -n 1 "$errf")"
            rm -f "$errf"; exit 0
        fi
        noisy=$(jq -r 'if .ok == true and ((.retransmissions // 0) > 0 or (.unclassified_bytes // 0) > 0)
                       then "retransmissions \(.retransmissions), unclassified bytes \(.unclassified_bytes)"
                       else "" end' <<<"$out")
        [ -z "$noisy" ] && break
        [ -n "${SIZE_NOTES:-}" ] && echo "$stack $scenario $payload attempt $attempt: $noisy" >>"$SIZE_NOTES"
    done
    rm -f "$errf"
    if [ -n "$noisy" ]; then
        printf 'FAIL\t%s,%s,%s\tevery one of 5 attempts had %s on the ideal link\n' "$stack" "$scenario" "$payload" "$noisy"
    else
        jq -r "$ROWJQ" <<<"$out"
    fi
    exit 0
fi

while [ $# -gt 0 ]; do
    case $1 in
    --write-baseline) mode=write ;;
    --measure) mode=measure; measure_out=${2:?}; shift ;;
    --baseline) baseline=${2:?}; shift ;;
    --tolerances) tolerances=${2:?}; shift ;;
    --stacks) stacks_sel=${2:?}; shift ;;
    --payloads) payloads=${2:?}; shift ;;
    --scenarios) scenarios=${2:?}; shift ;;
    --repeat) repeat=${2:?}; shift ;;
    --jobs) jobs=${2:?}; shift ;;
    --bin) SB=${2:?}; shift ;;
    --raw) raw_out=${2:?}; shift ;;
    --measured) measured_in=${2:?}; shift ;;
    -h|--help) usage ;;
    *) echo "check-size: unknown option $1" >&2; usage ;;
    esac
    shift
done
export SB
[ -x "$SB" ] || { echo "check-size: $SB not built (run make)" >&2; exit 2; }
for t in jq awk xargs; do command -v $t >/dev/null || { echo "check-size: needs $t (scripts/deps.sh)" >&2; exit 2; }; done
[[ $repeat =~ ^[1-9][0-9]*$ && $jobs =~ ^[1-9][0-9]*$ ]] || { echo "check-size: --repeat/--jobs need a positive integer" >&2; exit 2; }
[ "$mode" = write ] || repeat=1

tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-size.XXXXXX"); trap 'rm -rf "$tmp"' EXIT
# Measure a snapshot of the binary: `make` elsewhere may replace it while the cells run. It finds
# its data (tests/certs, netem/profiles) through SECBENCH_HOME, the tree the binary came from.
if [ -z "${SECBENCH_HOME:-}" ]; then
    SECBENCH_HOME=$(cd "$(dirname "$SB")/.." && pwd)
    [ -d "$SECBENCH_HOME/netem/profiles" ] || SECBENCH_HOME=$PWD
fi
export SECBENCH_HOME
cp "$SB" "$tmp/secbench" || exit 1
sb_shown=$SB
SB=$tmp/secbench
export SIZE_NOTES=$tmp/notes
: >"$SIZE_NOTES"

# Stacks: what this build lists, restricted by --stacks (ids or shell globs).
all_stacks=$("$SB" list) || { echo "check-size: '$sb_shown list' failed" >&2; exit 1; }
stacks=()
for s in $all_stacks; do
    if [ -n "$stacks_sel" ]; then
        hit=0
        for p in ${stacks_sel//,/ }; do
            # shellcheck disable=SC2053  # glob match on purpose
            [[ $s == $p ]] && hit=1
        done
        [ $hit = 1 ] || continue
    fi
    stacks+=("$s")
done
# A requested plain id this build does not list is reported as missing, not silently dropped.
sel_regex=
if [ -n "$stacks_sel" ]; then
    for p in ${stacks_sel//,/ }; do
        r=$(sed 's/[].[^$+(){}|\\]/\\&/g; s/\*/.*/g; s/?/./g' <<<"$p")
        sel_regex="${sel_regex:+$sel_regex|}^($r)\$"
    done
fi
[ ${#stacks[@]} -gt 0 ] || { echo "check-size: no stack selected (list: $(echo $all_stacks))" >&2; [ "$mode" = check ] || exit 1; }

for s in "${stacks[@]}"; do
    for sc in $scenarios; do
        for p in $payloads; do
            for ((i = 0; i < repeat; i++)); do echo "$s $sc $p"; done
        done
    done
done >"$tmp/cells"
ncells=$(( $(wc -l <"$tmp/cells") / repeat ))
t0=$(date +%s)
if [ -n "$measured_in" ]; then
    [ -f "$measured_in" ] || { echo "check-size: no file $measured_in" >&2; exit 2; }
    tail -n +2 "$measured_in" | SEL="$sel_regex" awk -F, 'ENVIRON["SEL"] == "" || $1 ~ ENVIRON["SEL"]' >"$tmp/raw"
else
    echo "check-size: $ncells cells (${#stacks[@]} stacks x {$scenarios} x payload {$payloads})$([ "$repeat" -gt 1 ] && echo " x $repeat runs"), $jobs in parallel, $sb_shown --emulator none" >&2
    xargs -P "$jobs" -d '\n' -I{} "$0" --cell {} <"$tmp/cells" >"$tmp/raw"
    echo "check-size: measured in $(( $(date +%s) - t0 ))s" >&2
fi
if [ -s "$SIZE_NOTES" ]; then
    echo "check-size: $(wc -l <"$SIZE_NOTES") runs retried (retransmissions or unclassified bytes on the ideal link):" >&2
    sed 's/^/  /' "$SIZE_NOTES" >&2
fi
grep -v $'^FAIL\t' "$tmp/raw" | sort -t, -k1,1 -k2,2 -k3,3n >"$tmp/rows"
grep $'^FAIL\t' "$tmp/raw" | sort -u >"$tmp/fails"
header=$HEADER
if [ -n "$raw_out" ]; then { echo "$header"; cat "$tmp/rows"; } >"$raw_out"; fi
if [ "$mode" = measure ]; then
    { echo "$header"; cat "$tmp/rows"; } >"$measure_out"
    sed 's/^FAIL\t/FAIL: /; s/\t/: /' "$tmp/fails" >&2
    exit 0
fi

if [ "$mode" = write ]; then
    if [ -s "$tmp/fails" ]; then
        echo "check-size: runs failed; baseline not written:" >&2
        sed 's/^FAIL\t/  /; s/\t/: /' "$tmp/fails" >&2
        exit 1
    fi
    # The spread of every column that varied is kept beside the baseline: the evidence for its
    # tolerances.
    { echo "# $(date -u +%FT%TZ) $(git describe --always --dirty 2>/dev/null): $ncells cells, $repeat runs each;"
      echo "# columns that varied between the runs of a cell (all others were identical):"
      awk -v header="$header" -v tolfile="$tolerances" -v runs="$repeat" -v out="$tmp/baseline" \
        -v mode=aggregate -f "$here/size-table.awk" "$tmp/rows"; echo "exit $?"; } >"$tmp/spread"
    rc=$(sed -n 's/^exit //p' "$tmp/spread"); sed -i '/^exit [0-9]*$/d' "$tmp/spread"
    cat "$tmp/spread"
    [ -s "$SIZE_NOTES" ] && { echo "# runs retried (retransmission on the ideal link):"; sed 's/^/# /' "$SIZE_NOTES"; } >>"$tmp/spread"
    if [ -n "$stacks_sel" ] && [ -f "$baseline" ]; then
        # A partial refresh: keep the other stacks' rows of the existing baseline.
        { echo "$header"
          { tail -n +2 "$baseline" | SEL="$sel_regex" awk -F, '$1 !~ ENVIRON["SEL"]'; tail -n +2 "$tmp/baseline"; } |
              sort -t, -k1,1 -k2,2 -k3,3n; } >"$tmp/merged"
        mv "$tmp/merged" "$tmp/baseline"
    fi
    if [ $rc -ne 0 ]; then
        echo "check-size: baseline NOT written: a column varied beyond its tolerance (above);" \
             "find why, or declare it with its reason in $tolerances" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$baseline")"
    cp "$tmp/baseline" "$baseline"
    [ -n "$stacks_sel" ] || cp "$tmp/spread" "${baseline%.csv}-spread.txt"
    echo "check-size: wrote $baseline ($(($(wc -l <"$baseline") - 1)) cells, median of $repeat runs each)" >&2
    exit 0
fi

# check
if [ ! -f "$baseline" ]; then
    echo "check-size: FAIL no baseline $baseline: create it with \`make size-baseline\`" >&2
    exit 1
fi
SEL="$sel_regex" awk -v tolfile="$tolerances" -v fails="$tmp/fails" -v bfile="$baseline" \
    -v scen="$scenarios" -v pays="$payloads" -v mode=compare -f "$here/size-table.awk" "$baseline" "$tmp/rows"
rc=$?
echo "check-size: whole check took $(( $(date +%s) - t0 ))s" >&2
exit $rc
}
