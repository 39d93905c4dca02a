#!/bin/sh
# gen-certs.sh: the test PKI for the (D)TLS stacks, generated ONCE and committed under
# tests/certs/ so every run uses the same keys (byte counts of Certificate messages depend on
# them). Rerun only to replace the PKI on purpose:  scripts/gen-certs.sh [outdir]
#   ca.pem/ca.key             P-256 root CA "secbench CA", valid 2020-01-01 .. 2120-01-01
#   server.pem/server.key     P-256, CN=server, SAN DNS:server, signed by ca
#   client.pem/client.key     P-256, CN=client, signed by ca
#   expired-server.pem/.key   like server, validity 2020-01-01 .. 2020-01-02 (expired)
#   expired-client.pem/.key   like client, expired the same way
#   rogue-ca.pem/.key         another P-256 root nobody trusts
#   rogue-server.pem/.key, rogue-client.pem/.key  signed by rogue-ca (untrusted chain)
# Leaf certificates carry no chain: peers trust ca.pem directly, so a Certificate message is
# one leaf (what a constrained device would send). ECDSA keys are P-256 (secp256r1),
# signatures ecdsa-with-SHA256, as RFC 7925 §4.4 recommends for IoT TLS/DTLS profiles.
set -e
out=${1:-$(dirname "$0")/../tests/certs}
mkdir -p "$out"
cd "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl ecparam -name prime256v1 -genkey -noout | openssl pkey -out "$1.key"; }

# openssl ca gives exact validity dates (x509 -req in OpenSSL 3.0 cannot back-date).
ca_conf() { # $1 = ca name
    mkdir -p "$tmp/$1"; : > "$tmp/$1/index"; echo 01 > "$tmp/$1/serial"
    cat > "$tmp/$1.cnf" <<CNF
[ca]
default_ca = d
[d]
dir = $tmp/$1
database = \$dir/index
serial = \$dir/serial
new_certs_dir = \$dir
default_md = sha256
policy = p
unique_subject = no
copy_extensions = none
[p]
commonName = supplied
[leaf_server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server
[leaf_client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
CNF
}

root() { # name CN
    key "$1"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$tmp/$1.csr"
    ca_conf "$1"
    printf '[v]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n' > "$tmp/$1.ext"
    openssl ca -batch -notext -config "$tmp/$1.cnf" -selfsign -keyfile "$1.key" \
        -in "$tmp/$1.csr" -out "$1.pem" -startdate 20200101000000Z -enddate 21200101000000Z \
        -extfile "$tmp/$1.ext" -extensions v 2>/dev/null
}

leaf() { # name CN ca kind start end
    key "$1"
    openssl req -new -key "$1.key" -subj "/CN=$2" -out "$tmp/$1.csr"
    openssl ca -batch -notext -config "$tmp/$3.cnf" -cert "$3.pem" -keyfile "$3.key" \
        -in "$tmp/$1.csr" -out "$1.pem" -startdate "$5" -enddate "$6" -extensions "leaf_$4" 2>/dev/null
}

root ca "secbench CA"
root rogue-ca "rogue CA"
leaf server server ca server 20200101000000Z 21200101000000Z
leaf client client ca client 20200101000000Z 21200101000000Z
leaf expired-server server ca server 20200101000000Z 20200102000000Z
leaf expired-client client ca client 20200101000000Z 20200102000000Z
leaf rogue-server server rogue-ca server 20200101000000Z 21200101000000Z
leaf rogue-client client rogue-ca client 20200101000000Z 21200101000000Z
chmod 644 ./*.key ./*.pem
for c in server client expired-server expired-client rogue-server rogue-client; do
    printf '%s: ' "$c"; openssl verify -CAfile ca.pem "$c.pem" 2>&1 | tail -1
done
