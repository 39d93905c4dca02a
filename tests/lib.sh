# Shared helpers for the integration tests (sourced).
SB=${SB:-build/secbench}
fails=0
check() { # description, expected, actual
    if [ "$2" == "$3" ]; then echo "ok   $1 = $3"; else echo "FAIL $1: expected $2, got $3"; fails=$((fails + 1)); fi
}
check_le() { # description, max, actual
    if awk -v a="$3" -v m="$2" 'BEGIN{exit !(a <= m)}'; then echo "ok   $1 = $3 (<= $2)"; else echo "FAIL $1: $3 > $2"; fails=$((fails + 1)); fi
}
field() { jq -r ".$2" <<<"$1"; }
finish() { if [ $fails -eq 0 ]; then echo "all checks passed"; else echo "$fails checks failed"; fi; exit $((fails > 0)); }
# No namespace holder, role or emulator of ours may outlive a run.
# Runs of a test carry a unique seed, so only their own processes are counted (other runs may
# be going on beside the tests on a developer's machine).
SEED=$(( (RANDOM << 15 | RANDOM) + 1000 ))
leftovers() { pgrep -f -- "--seed[= ]$SEED( |\$)" | wc -l; }
# Wait until something listens on PORT (TCP, or a bound UDP socket), up to 10 s: a loaded
# machine may take a while to start a server.
wait_listen() { for _ in $(seq 100); do ss -Hlntu "( sport = :$1 )" | grep -q . && return 0; sleep 0.1; done; return 1; }
