# An unprivileged user gets the same testbed through a user namespace: run as nobody.
. tests/lib.sh
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
cp "$SB" "$bin/secbench"
chmod -R a+rx "$bin"
root=$PWD
asnobody() { SECBENCH_HOME=$root setpriv --reuid=65534 --regid=65534 --clear-groups "$bin/secbench" "$@"; }
if ! unshare -Ur true 2>/dev/null; then
    echo "SKIP: no user namespace can be created here, even by root (inside a chroot?)"; exit 77
fi
if ! setpriv --reuid=65534 --regid=65534 --clear-groups unshare -Ur true 2>/dev/null; then
    echo "SKIP: this kernel forbids unprivileged user namespaces"; exit 77
fi
row=$(cd / && asnobody run --stack coap --format json)
check "nobody: coap ok" true "$(field "$row" ok)"
check "nobody: coap c2s_bytes" 66 "$(field "$row" c2s_bytes)"
row=$(cd / && asnobody run --stack coap+tcp --delay 20 --seed $SEED --format json)
check "nobody: coap+tcp over the emulated link ok" true "$(field "$row" ok)"
check "nobody: emulator" nfq "$(field "$row" emulator)"
check "nobody: leftovers" 0 "$(leftovers)"
finish
