#!/bin/sh
# Installs every language's adapters: runs each <lang>/install.sh found next to this file
# (js: npm ci; go: Debian packages + build; ...). Each one is idempotent. Stops at the first
# failure and says which language failed.
set -eu
cd "$(dirname "$0")"
for script in */install.sh; do
  [ -f "$script" ] || continue
  echo "== ${script%/install.sh}"
  sh "$script" || { echo "install.sh: ${script%/install.sh} failed" >&2; exit 1; }
done
