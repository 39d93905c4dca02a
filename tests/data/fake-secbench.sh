#!/bin/sh
# Stand-in for build/secbench in tests of the matrix runner and the report (SECBENCH_EXE):
# `list` prints a fixed set of ids; `run` prints one plausible, deterministic JSON row built
# from its arguments (numbers are synthetic: for exercising the pipeline, never for results).
# FAKE_CRASH=ID makes that stack die of SIGSEGV, FAKE_HANG=ID makes it hang, FAKE_BAD=ID makes
# it print garbage and exit 2.
case "$1" in
list)
    printf '%s\n' coap coap+tcp oscore dtls1.2-wolfssl-psk-ccm8 dtls1.2-openssl-psk-ccm8 \
        dtls1.2-openssl-psk-gcm dtls1.2-wolfssl-ecdsa-gcm tls1.3-wolfssl-psk-ccm8 \
        tls1.3-openssl-ecdsa-gcm tls1.2-openssl-psk-ccm8 edhoc-m3-s0 edhoc-m0-s2
    exit 0 ;;
run) shift ;;
*) echo "fake-secbench: unknown verb $1" >&2; exit 2 ;;
esac
stack=; profile=ideal; scenario=cold; seed=1; requests=1; delay=; loss=; via=
while [ $# -gt 0 ]; do
    case "$1" in
    --stack) stack=$2; shift ;;
    --profile) profile=$2; shift ;;
    --scenario) scenario=$2; shift ;;
    --seed) seed=$2; shift ;;
    --requests) requests=$2; shift ;;
    --delay) delay=$2; shift ;;
    --loss) loss=$2; shift ;;
    --via) via=$2; shift ;;
    --timeout|--format|--request-payload|--response-payload|--jitter|--rate) shift ;;
    esac
    shift
done
[ "$stack" = "$FAKE_CRASH" ] && { echo "fake: about to crash" >&2; kill -SEGV $$; }
[ "$stack" = "$FAKE_HANG" ] && { echo "fake: hanging" >&2; exec sleep "${FAKE_HANG_SECS:-1000}"; }
[ "$stack" = "$FAKE_BAD" ] && { echo "not json"; echo "fake: bad usage" >&2; exit 2; }
exec awk -v stack="$stack" -v profile="$profile" -v scenario="$scenario" -v seed="$seed" \
    -v requests="$requests" -v delay="$delay" -v loss="$loss" -v via="$via" 'BEGIN {
    n = split(stack, t, "-"); proto = t[1]; lib = "none"; auth = "none"; cipher = "none"
    if (proto ~ /tls/) { lib = t[2]; cipher = t[n]; auth = t[3]; if (n == 5) auth = t[3] "-" t[4] }
    hs = 0; rec = 0; tr = 8; rt = 0
    if (proto == "coap+tcp") { hs = 120; tr = 20; rt = 1 }
    if (proto == "oscore") { rec = 13 }
    if (proto == "dtls1.2") { hs = 600; rec = 29; rt = 3 }
    if (proto == "tls1.3") { hs = 500; rec = 14; tr = 20; rt = 2 }
    if (proto == "tls1.2") { hs = 560; rec = 21; tr = 20; rt = 3 }
    if (proto == "edhoc") { hs = 101 + 60; rec = 13; rt = 2 }
    if (auth == "ecdsa") hs += 900
    if (cipher == "gcm") rec += 8
    if (scenario != "cold") hs = 0
    req = 40 + tr + rec + 12 + 10; resp = 40 + tr + rec + 8 + 20
    c2s = int(hs * 0.45) + requests * req; s2c = int(hs * 0.55) + requests * resp
    rtt = 0.1
    if (profile == "nbiot") rtt = 840; if (profile == "ltem") rtt = 100
    if (profile == "6lowpan" || profile == "lossy") rtt = 3
    if (delay != "") rtt = 2 * delay
    j = (seed % 97) / 97.0
    time = (rt + requests) * rtt * (1 + 0.05 * j) + 0.3 + j
    ok = "true"; err = "null"
    if (loss != "") { time += loss * 30 * j; c2s += int(loss * 3 * j) * req; if (loss >= 20 && j > 0.8) { ok = "false"; err = "\"timeout: no response\"" } }
    instr = 200000 + hs * 900 + requests * 30000
    cpu = instr / 3; heap = 3000 + hs * 12 + (lib == "openssl" ? 40000 : 0)
    radio = "null"; e = "null"; ecpu = "null"; by = "null"
    if (profile != "ideal") { radio = sprintf("%.4f", 30 + (c2s * 0.14 + s2c * 0.004) + time * 0.003); ecpu = sprintf("%.4f", instr * 1.58e-6); e = sprintf("%.4f", radio + ecpu); by = sprintf("%.3f", 18001440 / (e + 53.8) * 3600 / 31557600) }
    layers = sprintf("{\"request\":{\"ip\":40,\"transport\":%d,\"record\":%d,\"coap\":12,\"security\":%d,\"payload\":10},\"response\":{\"ip\":40,\"transport\":%d,\"record\":%d,\"coap\":8,\"security\":%d,\"payload\":20}}", tr, (proto == "oscore" || proto == "edhoc" || rec == 0) ? 0 : rec - 8, (proto == "coap" || proto == "coap+tcp") ? 0 : 8 + ((proto == "oscore" || proto == "edhoc") ? 5 : 0), tr, (proto == "oscore" || proto == "edhoc" || rec == 0) ? 0 : rec - 8, (proto == "coap" || proto == "coap+tcp") ? 0 : 8 + ((proto == "oscore" || proto == "edhoc") ? 3 : 0))
    pv = (via == "proxy")
    printf "{\"stack\":\"%s\",\"protocol\":\"%s\",\"library\":\"%s\",\"auth\":\"%s\",\"cipher\":\"%s\",\"profile\":\"%s\",\"emulator\":\"%s\",\"scenario\":\"%s\",\"requests\":%d,\"request_payload\":10,\"response_payload\":20,\"via\":%s,\"seed\":%d,\"ok\":%s,\"error\":%s,", stack, proto, lib, auth, cipher, profile, profile == "ideal" && delay == "" ? "none" : "nfq", scenario, requests, pv ? "\"proxy\"" : "null", seed, ok, err
    printf "\"time_ms\":%.3f,\"handshake_ms\":%.3f,\"round_trips\":%d,\"c2s_bytes\":%d,\"s2c_bytes\":%d,\"handshake_bytes\":%d,\"app_bytes\":%d,\"flights\":%d,", time, rt * rtt, rt + requests, c2s, s2c, hs, requests * (req + resp), rt * 2
    printf "\"client_instructions\":%d,\"client_cpu_ns\":%d,\"client_heap_peak\":%d,\"cycles_source\":\"fake\",\"layers\":%s,", instr, cpu, heap, layers
    printf "\"client_energy_mj\":%s,\"client_energy_radio_mj\":%s,\"client_energy_cpu_mj\":%s,\"battery_years\":%s,", e, radio, ecpu, by
    if (pv) printf "\"proxy_saw_plaintext\":%s,\"proxy_cpu_ns\":%d,\"proxy_heap_peak\":%d,\"proxy_heap_session\":%d,", (proto == "oscore" ? "false" : "true"), 50000 + hs * 100, 20000 + hs * 10, 400 + hs, ""
    printf "\"delay_ms\":%s,\"loss_pct\":%s,\"kernel\":\"fake\",\"timestamp\":\"2026-01-01T00:00:00Z\"}\n", delay == "" ? "null" : delay, loss == "" ? "null" : loss
    exit(ok == "true" ? 0 : 3)
}'
