#!/bin/sh
# Install the Debian 12 packages secbench needs (idempotent: only what is missing).
# --check: exit 1 if anything is missing, install nothing.
set -e
PKGS="build-essential pkg-config clang libclang-rt-14-dev libwolfssl-dev libssl-dev libcoap3-dev
libcoap3-bin libpcap-dev libnetfilter-queue-dev libcmocka-dev gnuplot-nox hyperfine tshark
valgrind iproute2 iptables ethtool jq procps git xxd"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
[ "$1" = "--check" ] && { echo "missing packages:$missing"; exit 1; }
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "secbench: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark asks whether non-root users may capture; answer for it.
echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections 2>/dev/null || true
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
