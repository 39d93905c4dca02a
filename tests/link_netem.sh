# The tc netem emulator, where the kernel has the qdisc: link-check within bounds. On kernels
# without it (ours) the emulator must refuse with a clear message, and the test skips.
. tests/lib.sh
out=$($SB link-check --delay 20 --loss 10 --rate 200 --count 150 --seed $SEED --tolerance 15 \
      --tolerance-ms 3 --emulator netem 2>&1); rc=$?
echo "$out"
if [ $rc -eq 2 ] && grep -q "no netem qdisc" <<<"$out"; then
    echo "SKIP: the kernel has no netem qdisc"; exit 77
fi
check "netem: exit status (all within bounds)" 0 "$rc"
check "netem: leftovers" 0 "$(leftovers)"
finish
