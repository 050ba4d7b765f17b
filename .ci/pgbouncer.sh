#!/usr/bin/env bash
# Builds PgBouncer 1.24.1 (transaction pooling with protocol-level prepared statements needs
# 1.21 or later; Debian 12 ships 1.18) from Debian's own source tarball into $1, unless it is
# there already, and prints the binary's path. Takes about 15 s.
set -euo pipefail
PREFIX=$1
VERSION=1.24.1
SHA256=da72a3aba13072876d055a3e58dd4aba4a5de4ed6148e73033185245598fd3e0
BIN="$PREFIX/bin/pgbouncer"
if "$BIN" --version 2>/dev/null | grep -q "PgBouncer $VERSION"; then
    echo "$BIN"
    exit 0
fi
if ! dpkg -s libevent-dev libssl-dev pkg-config make gcc >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libevent-dev libssl-dev pkg-config make gcc >/dev/null
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tarball="$work/pgbouncer.tar.gz"
curl -sfL -o "$tarball" "http://deb.debian.org/debian/pool/main/p/pgbouncer/pgbouncer_${VERSION}.orig.tar.gz"
echo "$SHA256  $tarball" | sha256sum -c --quiet
tar xzf "$tarball" -C "$work"
(
    cd "$work/pgbouncer-$VERSION"
    ./configure --prefix="$PREFIX" --without-cares --without-systemd --without-pam >/dev/null
    make -j"$(nproc)" >/dev/null
    make install >/dev/null
)
echo "$BIN"
