#!/bin/sh
# Installs the Go adapters: the Go toolchain and the SSE libraries from Debian (Go modules cannot
# be fetched here), then builds each adapter into benches/adapters/go/build/bin (git-ignored) in
# GOPATH mode, with the Debian sources in /usr/share/gocode. `apt-get update` runs only when a
# package is missing. Idempotent.
set -eu
cd "$(dirname "$0")"
here=$(pwd)
pkgs="golang-go golang-github-donovanhide-eventsource-dev golang-github-gin-contrib-sse-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -n "$missing" ]; then
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing
fi
# GOPATH mode: this folder appears as the package ssewire.dev/adapters through a symlink.
mkdir -p build/gopath/src/ssewire.dev build/bin
ln -sfn "$here" build/gopath/src/ssewire.dev/adapters
export GOPATH="$here/build/gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOCACHE="$here/build/cache"
while IFS="$(printf '\t')" read -r name cmd; do
  dir=$(basename "$cmd")
  go build -o "build/bin/$dir" "ssewire.dev/adapters/$dir"
done < adapters.tsv
