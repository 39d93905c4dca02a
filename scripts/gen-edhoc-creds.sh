#!/bin/sh
# gen-edhoc-creds.sh: the X.509 credentials of the EDHOC stacks (edhoc-cred x5t, suite 2),
# written once into tests/edhoc-creds/ and committed: self-signed P-256 certificates for the
# static keys of RFC 9529 §3 (the same keys the 'kid' credentials carry), so the x5t and kid
# runs differ only by the credential encoding. Needs the openssl CLI; rerunning changes the
# certificates (fresh serial numbers and signatures), hence their x5t hashes.
set -eu
cd "$(dirname "$0")/../tests/edhoc-creds"
# SEC1 ECPrivateKey (RFC 5915) around a raw P-256 key: version 1, key, prime256v1, public key.
sec1() { # name priv x y
    printf '30770201010420%sa00a06082a8648ce3d030107a144034200' "$2" | xxd -r -p >"$1.key.der"
    printf '04%s%s' "$3" "$4" | xxd -r -p >>"$1.key.der"
    openssl ec -inform DER -in "$1.key.der" -out "$1.key.pem" 2>/dev/null
    rm "$1.key.der"
}
# RFC 9529 §3.3 (initiator) and §3.4 (responder) static keys.
sec1 initiator-p256 fb13adeb6518cee5f88417660841142e830a81fe334380a953406a1305e8706b \
    ac75e9ece3e50bfc8ed60399889522405c47bf16df96660a41298cb4307f7eb6 \
    6e5de611388a4b8a8211334ac7d37ecb52a387d257e6db3c2a93df21ff3affc8
sec1 responder-p256 72cc4761dbd4c78f758931aa589d348d1ef874a7e303ede2f140dcf3e6aa4aac \
    bbc34960526ea4d32e940cad2a234148ddc21791a12afbcbac93622046dd44f0 \
    4519e257236b2a0ce2023f0931f1f386ca7afda64fcde0108c224c51eabf6072
for who in initiator responder; do
    openssl req -new -x509 -key "$who-p256.key.pem" -subj "/CN=EDHOC ${who} P-256" \
        -days 3650 -sha256 -outform DER -out "$who-p256.der"
done
rm -f ./*.key.pem
ls -l
