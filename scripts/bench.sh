#!/bin/sh
# `make bench`: run a benchmark matrix, time whole `secbench run` invocations with hyperfine,
# then write the report and the charts. Everything lands in results/RUN (results/latest).
#   QUICK=1      bench/quick.matrix (a few stacks, < 2 minutes; what `make test` runs)
#   FULL=1       bench/full.matrix (every stack and scenario, nbiot-poor; hours)
#   MATRIX=FILE  any other matrix file
#   JOBS=N       parallel cells on emulated links (default: 2 x cores, or the file's jobs=)
#   OUT=DIR      run folder instead of results/<UTC time>
#   RESUME=DIR   continue an interrupted run in DIR
#   HYPERFINE=0  skip the hyperfine timing
#   SECBENCH=BIN the binary (default build/secbench)
# make passes its command-line variables (make bench FULL=1) to this script's environment.
set -u
cd "$(dirname "$0")/.." || exit 1
BIN=${SECBENCH:-build/secbench}
QUICK=${QUICK:-0}
FULL=${FULL:-0}
if [ "$QUICK" = 1 ]; then
    matrix=bench/quick.matrix
    hf_runs=2
    hf_select='coap,@oscore-leanest,@dtls-leanest,@tls-leanest'
elif [ "$FULL" = 1 ]; then
    matrix=bench/full.matrix
    hf_runs=10
    hf_select='*'
else
    matrix=bench/default.matrix
    hf_runs=3
    hf_select='@ccm8,!oscore-*,!edhoc-*-openssl,!edhoc-*-wolfssl'
fi
matrix=${MATRIX:-$matrix}

set -- "$matrix"
[ -n "${JOBS:-}" ] && set -- "$@" --jobs "$JOBS"
[ -n "${OUT:-}" ] && set -- "$@" --out "$OUT"
[ -n "${RESUME:-}" ] && set -- "$@" --resume "$RESUME"

# The matrix prints its run folder on stdout (progress goes to stderr).
dir=$("$BIN" matrix "$@")
rc=$?
if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "bench: the matrix did not start (exit $rc)" >&2
    exit 1
fi
if [ "$rc" = 130 ]; then
    echo "bench: interrupted; finished cells are in $dir (RESUME=$dir make bench continues)" >&2
    exit 130
fi

# Whole invocations on the ideal link, per stack: start-up, testbed, handshake and teardown
# as a user would see them. Few runs: this is a cross-check of the matrix, not the data.
if [ "${HYPERFINE:-1}" != 0 ] && command -v hyperfine >/dev/null 2>&1; then
    stacks=$("$BIN" matrix --select "$hf_select" | paste -sd, -)
    if [ -n "$stacks" ]; then
        echo "bench: hyperfine, $hf_runs runs per stack on the ideal link" >&2
        hyperfine --style basic --ignore-failure --warmup 1 --runs "$hf_runs" \
            --export-json "$dir/hyperfine.json" --export-markdown "$dir/hyperfine.md" \
            -L stack "$stacks" "$BIN run --stack {stack} --profile ideal --format json" \
            >"$dir/hyperfine.log" 2>&1 || echo "bench: hyperfine failed (see $dir/hyperfine.log)" >&2
    fi
fi

"$BIN" report "$dir" || rc=$?
echo "bench: report in $dir/report.md" >&2
[ "$rc" = 0 ] || [ "$rc" = 130 ] || exit "$rc"
exit 0
