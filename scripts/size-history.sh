#!/bin/bash
# Message sizes along the history (`make size-history [N=20]`), to locate a size regression.
# Each of the last N commits (all of them if there are fewer) is built in its own detached git
# worktree under build/size-history/, measured with scripts/check-size.sh --measure (this
# tree's script, that commit's binary) and removed again. A commit that does not build, or
# whose binary lacks what the measurement needs (`list`, `run --format json` with the `flights`
# and `layers` keys), is skipped with a note. Output in results/size-history/:
#   history.csv           commit_index,commit,date,subject + the check-size columns, per cell
#   notes.txt             what was skipped and why
#   app.dat, handshake.dat  one row per commit, one column per stack (gnuplot input)
#   changes.txt           per stack, the commits between which its app or handshake bytes
#                         changed by more than its tolerance (message-size-tolerances.csv)
#   size-history.svg/.png app payload bytes and handshake payload bytes per stack vs commit
#                         (plots/size-history.gp)
# usage: scripts/size-history.sh [N]
#   env SIZE_PAYLOADS (default "16"), SIZE_SCENARIOS (default "cold"), SIZE_STACKS (globs),
#   SIZE_JOBS (default 2), SIZE_KEEP_WORKTREES=1 keeps the worktrees for inspection.
{ # one brace group, parsed whole before it runs (safe against edits of this file meanwhile)
set -u
cd "$(dirname "$0")/.." || exit 2
n=${1:-20}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [N]" >&2; exit 2; }
payloads=${SIZE_PAYLOADS:-16}
scenarios=${SIZE_SCENARIOS:-cold}
out=results/size-history
wtroot=$PWD/build/size-history
mkdir -p "$out" "$wtroot"
: >"$out/notes.txt"
rm -f "$wtroot"/*.log
note() { echo "size-history: $*" | tee -a "$out/notes.txt" >&2; }

# Oldest first, so the x axis runs forward in time.
mapfile -t commits < <(git rev-list --max-count="$n" HEAD | tac)
[ ${#commits[@]} -gt 0 ] || { echo "size-history: no commits" >&2; exit 1; }
[ ${#commits[@]} -lt "$n" ] && note "asked for $n commits, the history has ${#commits[@]}: measuring all"

worktrees=()
cleanup() {
    [ -n "${SIZE_KEEP_WORKTREES:-}" ] && return
    for w in "${worktrees[@]}"; do git worktree remove --force "$w" >/dev/null 2>&1 || rm -rf "$w"; done
    git worktree prune 2>/dev/null
    rmdir "$wtroot" 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

hdr="commit_index,commit,date,subject,$(sed -n 's/^HEADER=//p' scripts/check-size.sh)"
echo "$hdr" >"$out/history.csv"
idx=0
t0=$(date +%s)
for c in "${commits[@]}"; do
    idx=$((idx + 1))
    short=$(git rev-parse --short "$c")
    date=$(git show -s --format=%cs "$c")
    subject=$(git show -s --format=%s "$c" | tr -d ',"' | cut -c1-60)
    wt=$wtroot/$short
    rm -rf "$wt"; git worktree prune 2>/dev/null
    if ! git worktree add --detach "$wt" "$c" >/dev/null 2>&1; then
        note "$short skipped: git worktree add failed"; continue
    fi
    worktrees+=("$wt")
    echo "size-history: [$idx/${#commits[@]}] $short $subject: building" >&2
    if ! make -C "$wt" -j2 build/secbench >"$wt.build.log" 2>&1; then
        note "$short skipped: does not build ($(grep -m1 -E 'error|Error' "$wt.build.log" | cut -c1-120))"
        continue
    fi
    bin=$wt/build/secbench
    probe=$(SECBENCH_HOME=$wt "$bin" run --stack coap --emulator none --format json 2>/dev/null)
    if [ -z "$(SECBENCH_HOME=$wt "$bin" list 2>/dev/null)" ]; then
        note "$short skipped: its secbench lists no stack"
        continue
    fi
    if ! jq -e 'has("flights") and has("layers") and has("app_payload_bytes")' >/dev/null 2>&1 <<<"$probe"; then
        note "$short skipped: lacks run --format json with flights/layers/app_payload_bytes"
        continue
    fi
    if ! SECBENCH_HOME=$wt scripts/check-size.sh --bin "$bin" --measure "$wt.csv" \
            --payloads "$payloads" --scenarios "$scenarios" 2>"$wt.measure.log"; then
        note "$short skipped: measurement failed ($(tail -n1 "$wt.measure.log"))"
        continue
    fi
    if [ "$(wc -l <"$wt.csv")" -le 1 ]; then
        note "$short skipped: every cell failed ($(grep -m1 '^FAIL' "$wt.measure.log" | cut -c1-160))"
        continue
    fi
    grep -q '^FAIL' "$wt.measure.log" && note "$short: $(grep -c '^FAIL' "$wt.measure.log") cells failed, e.g. $(grep -m1 '^FAIL' "$wt.measure.log" | cut -c1-160)"
    tail -n +2 "$wt.csv" | sed "s|^|$idx,$short,$date,$subject,|" >>"$out/history.csv"
    echo "size-history: $short: $(($(wc -l <"$wt.csv") - 1)) cells" >&2
    if [ -z "${SIZE_KEEP_WORKTREES:-}" ]; then
        git worktree remove --force "$wt" >/dev/null 2>&1 || rm -rf "$wt"
        rm -f "$wt".*
    fi
done

# Wide tables for gnuplot: one row per measured commit, one column per stack ("?" = missing).
# The first scenario and payload asked for are the ones plotted.
plot_scen=${scenarios%% *}; plot_pay=${payloads%% *}
for col in app_payload_bytes handshake_payload_bytes; do
    f=$out/${col%%_*}.dat     # app.dat, handshake.dat
    awk -F, -v col="$col" -v sc="$plot_scen" -v pay="$plot_pay" '
        NR == 1 { for (i = 1; i <= NF; i++) ix[$i] = i; next }
        $(ix["scenario"]) != sc || $(ix["response_payload"]) != pay { next }
        { k = $1; if (!(k in label)) { order[++nc] = k; label[k] = $2 }
          s = $(ix["stack"]); if (!(s in seen)) { seen[s] = 1; st[++ns] = s }
          v[k, s] = $(ix[col]) }
        END {
            printf "index commit"; for (j = 1; j <= ns; j++) printf " %s", st[j]; print ""
            for (i = 1; i <= nc; i++) {
                k = order[i]; printf "%s %s", k, label[k]
                for (j = 1; j <= ns; j++) printf " %s", ((k, st[j]) in v && v[k, st[j]] != "") ? v[k, st[j]] : "?"
                print ""
            }
        }' "$out/history.csv" >"$f"
done
# Where each stack's sizes changed from one measured commit to the next: the regression finder.
for col in app_payload_bytes handshake_payload_bytes; do
    awk -v mode=changes -v col="$col" -v tolfile="${SIZE_TOLERANCES:-results/baseline/message-size-tolerances.csv}" \
        -f scripts/size-table.awk "$out/${col%%_*}.dat"
done >"$out/changes.txt"
measured=$(tail -n +2 "$out/app.dat" | wc -l)
echo "size-history: ${#commits[@]} commits, $measured measured, in $(( $(date +%s) - t0 ))s; notes in $out/notes.txt" >&2
if [ "$measured" -eq 0 ]; then
    note "no commit could be measured: no chart"
    exit 1
fi
gnuplot -e "datadir='$out'; outdir='$out'; what='$plot_scen, response payload $plot_pay B'" plots/size-history.gp ||
    { echo "size-history: gnuplot failed" >&2; exit 1; }
echo "size-history: $(wc -l <"$out/changes.txt") changes between measured commits ($out/changes.txt)" >&2
echo "size-history: wrote $out/size-history.svg $out/size-history.png $out/history.csv" >&2
}
