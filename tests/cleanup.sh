# A run killed with SIGKILL (or interrupted with SIGINT) leaves no namespace, veth, process or
# rule behind, and the next run works. Every namespace of a run belongs to a holder process
# that dies with the driver (PR_SET_PDEATHSIG), so the kernel removes the rest.
. tests/lib.sh
netns_before=$(ip netns list | wc -l)
links_before=$(ip -o link | wc -l)
for sig in KILL INT TERM; do
    $SB run --stack coap+tcp --delay 300 --timeout 20 --seed $SEED --format json >/dev/null 2>&1 & pid=$!
    sleep 0.6
    kill -$sig $pid; wait $pid 2>/dev/null
    sleep 0.3
    check "after SIG$sig: our processes" 0 "$(leftovers)"
    check "after SIG$sig: named namespaces" "$netns_before" "$(ip netns list | wc -l)"
    check "after SIG$sig: links in the root namespace" "$links_before" "$(ip -o link | wc -l)"
done
row=$($SB run --stack coap --format json)
check "next run ok" true "$(field "$row" ok)"
finish
