#!/bin/sh
# Installs the Go adapters: the Go toolchain and the SSE libraries from Debian (Go modules cannot
# be fetched here), then builds each adapter into benches/adapters/go/build/bin (git-ignored) in
# GOPATH mode, with the Debian sources in /usr/share/gocode. `apt-get update` and
# `apt-get install` run only when a package is missing. Idempotent.
#
# The libraries are pinned to the Debian versions the reports were made with, as npm and pip
# pin theirs, so that a rebuild elsewhere judges the same code. An installed library of another
# version is an error, not something to downgrade here: the results would no longer match the
# reports, and the system's packages are not this script's to change.
set -eu
cd "$(dirname "$0")"
here=$(pwd)
pinned="golang-github-donovanhide-eventsource-dev=0.0~git20210830.c590279-2
golang-github-gin-contrib-sse-dev=0.1.0-2"

# The installed version of package $1, or nothing when it is not installed.
installed() {
  dpkg-query -W -f '${Status} ${Version}' "$1" 2>/dev/null | sed -n 's/^install ok installed //p'
}

# Every pinned library that is installed must be at its pinned version; returns 1 otherwise.
check_pins() {
  ok=0
  for spec in $pinned; do
    p=${spec%%=*} want=${spec#*=}
    have=$(installed "$p")
    if [ -n "$have" ] && [ "$have" != "$want" ]; then
      echo "go/install.sh: $p is $have here, but the adapters are pinned to $want;" \
        "install $p=$want, or change the pin (and re-run the matrix)" >&2
      ok=1
    fi
  done
  return $ok
}

check_pins || exit 1
missing=""
[ -n "$(installed golang-go)" ] || missing="golang-go"
for spec in $pinned; do
  [ -n "$(installed "${spec%%=*}")" ] || missing="$missing $spec"
done
if [ -n "$missing" ]; then
  as_root=""
  [ "$(id -u)" = 0 ] || as_root="sudo"
  $as_root apt-get update
  DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y --no-install-recommends $missing || {
    echo "go/install.sh: cannot install$(printf ' %s' $missing) (is a pinned version gone from the archive?)" >&2
    exit 1
  }
  check_pins || exit 1
fi
# GOPATH mode: this folder appears as the package ssewire.dev/adapters through a symlink.
mkdir -p build/gopath/src/ssewire.dev build/bin
ln -sfn "$here" build/gopath/src/ssewire.dev/adapters
export GOPATH="$here/build/gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOCACHE="$here/build/cache"
while IFS="$(printf '\t')" read -r name cmd; do
  dir=$(basename "$cmd")
  go build -o "build/bin/$dir" "ssewire.dev/adapters/$dir"
done < adapters.tsv
