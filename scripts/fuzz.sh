#!/bin/sh
# Build and run every libFuzzer target tests/fuzz_NAME.c for SECONDS each (default 60):
#   scripts/fuzz.sh [SECONDS] [NAME...]
# Each target is linked with every bench/ protocols/ netem/ source except bench/main.c,
# compiled here with clang -fsanitize=fuzzer,address,undefined (never the build/ objects,
# which are gcc's and unsanitised). Seeds come from tests/fuzz-corpus/NAME/ (read only); new
# inputs go to build/fuzz/corpus/NAME/, crashes to build/fuzz/crash-NAME-*. Exit 1 on any
# crash or build failure.
set -u
cd "$(dirname "$0")/.." || exit 1
secs=${1:-60}
[ $# -gt 0 ] && shift
case $secs in ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [NAME...]" >&2; exit 2 ;; esac
CC=${FUZZ_CC:-clang}
out=build/fuzz
mkdir -p "$out/obj"
PKGS="libssl libcrypto wolfssl libcoap-3-notls libpcap libnetfilter_queue"
CFLAGS="-std=gnu11 -D_GNU_SOURCE -DSB_NO_HEAP_HOOK -DSB_FUZZING -g -O1 -fno-omit-frame-pointer $(pkg-config --cflags $PKGS 2>/dev/null)"
LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lm -lpthread"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined"

# The library once, instrumented for coverage (fuzzer-no-link), rebuilt when a source changes.
objs=""
for src in bench/*.c protocols/*.c netem/*.c; do
    [ "$src" = bench/main.c ] && continue
    obj="$out/obj/$(echo "${src%.c}" | tr / _).o"
    newer=$(find "$src" bench protocols netem -name '*.h' -newer "$obj" 2>/dev/null | head -1)
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ -n "$newer" ]; then
        $CC $CFLAGS $SAN -fsanitize=fuzzer-no-link -c "$src" -o "$obj" || { echo "fuzz: cannot compile $src" >&2; exit 1; }
    fi
    objs="$objs $obj"
done

status=0
for t in tests/fuzz_*.c; do
    [ -e "$t" ] || continue
    name=${t#tests/fuzz_}
    name=${name%.c}
    if [ $# -gt 0 ]; then
        want=0
        for n in "$@"; do [ "$n" = "$name" ] && want=1; done
        [ $want = 1 ] || continue
    fi
    bin="$out/fuzz_$name"
    if ! $CC $CFLAGS $SAN -fsanitize=fuzzer "$t" $objs -o "$bin" $LIBS; then
        echo "FAIL  fuzz_$name: build failed" >&2
        status=1
        continue
    fi
    mkdir -p "$out/corpus/$name"
    seeds="tests/fuzz-corpus/$name"
    [ -d "$seeds" ] || seeds=""
    echo "fuzz: $name for ${secs}s"
    if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/crash-$name-" "$out/corpus/$name" $seeds >"$out/$name.log" 2>&1; then
        echo "PASS  fuzz_$name ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$out/$name.log" | grep -o '[0-9]*$') runs)"
    else
        echo "FAIL  fuzz_$name: see $out/$name.log and $out/crash-$name-*" >&2
        tail -30 "$out/$name.log" >&2
        status=1
    fi
done
exit $status
