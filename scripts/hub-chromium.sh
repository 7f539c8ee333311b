#!/usr/bin/env bash
# Checks the hub's browser page in headless Chromium against a running hub (see
# docs/hub-page.md): user A sees only A's notifications, B only B's; a public update reaches
# both; the dashboard's periodic update refreshes both; a dropped connection resumes with
# nothing missed, nothing twice, in order. Saves a screenshot of A's page.
#
#   bash scripts/hub-chromium.sh                       build the hub (release), run every check
#   bash scripts/hub-chromium.sh --install             first install Debian's chromium if missing
#   bash scripts/hub-chromium.sh --screenshot FILE     where the screenshot goes
#                                                      [default: docs/hub-page.png]
#   HUB_BIN=path/to/ssewire-hub bash scripts/hub-chromium.sh     use that binary, build nothing
#
# The hub runs on 127.0.0.1 on a free port, HS256 key in a temporary directory, history in
# memory, --demo, and --cookie-name mercure_access_token: the default cookie name has the
# __Secure- prefix, which browsers accept only over HTTPS.
# Exit status: 0 when every check passed; 1 when one failed; 2 when the run could not start
# (no Chromium, no node, the hub did not listen).
set -euo pipefail
cd "$(dirname "$0")/.."

install=0
screenshot=docs/hub-page.png
while [ $# -gt 0 ]; do
  case "$1" in
    --install) install=1 ;;
    --screenshot) screenshot=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "hub-chromium.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  if [ "$install" -eq 0 ]; then
    echo "hub-chromium.sh: no Chromium at $chromium (run with --install to apt-get install chromium)" >&2
    exit 2
  fi
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update
  $sudo apt-get install -y chromium
fi
if ! command -v node >/dev/null; then
  echo "hub-chromium.sh: node is needed (>= 18) to drive Chromium" >&2
  exit 2
fi

driver=scripts/hub-chromium
if [ ! -d "$driver/node_modules/playwright-core" ]; then
  (cd "$driver" && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ -n "${HUB_BIN:-}" ]; then
  bin=$HUB_BIN
else
  cargo build --release -p ssewire-hub
  bin="${CARGO_TARGET_DIR:-target}/release/ssewire-hub"
fi

work=$(mktemp -d)
hub_pid=""
driver_pid=""
cleanup() {
  # The driver (node) closes its browser when told to stop; Playwright runs Chromium in a
  # process group of its own and ends it when node exits.
  if [ -n "$driver_pid" ] && kill -0 "$driver_pid" 2>/dev/null; then
    kill -TERM "$driver_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$driver_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$driver_pid" 2>/dev/null || true
  fi
  if [ -n "$hub_pid" ] && kill -0 "$hub_pid" 2>/dev/null; then
    kill -TERM "$hub_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$hub_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL "$hub_pid" 2>/dev/null || true
    wait "$hub_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

"$bin" keygen >"$work/key"
"$bin" serve --listen 127.0.0.1:0 --publisher-key "$work/key" \
  --alg HS256 --issuer dev --anonymous --history memory --demo \
  --cookie-name mercure_access_token </dev/null >"$work/hub.out" 2>"$work/hub.err" &
hub_pid=$!

url=""
for _ in $(seq 1 100); do
  url=$(sed -n 's|^listening on \(http://127\.0\.0\.1:[0-9]*\)$|\1|p' "$work/hub.out" | head -n 1)
  [ -n "$url" ] && break
  kill -0 "$hub_pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$url" ]; then
  echo "hub-chromium.sh: the hub printed no 'listening on' line; its output:" >&2
  cat "$work/hub.out" "$work/hub.err" >&2
  exit 2
fi
echo "hub-chromium.sh: hub (pid $hub_pid) listening on $url; $("$chromium" --version 2>/dev/null)" >&2

mkdir -p "$(dirname "$screenshot")"
status=0
timeout 300 node "$driver/check.mjs" --hub "$url" --chromium "$chromium" --screenshot "$screenshot" &
driver_pid=$!
wait "$driver_pid" || status=$?
driver_pid=""
if [ "$status" -ne 0 ]; then
  echo "hub-chromium.sh: failed (status $status); the hub's log:" >&2
  tail -n 30 "$work/hub.err" >&2
  [ "$status" -eq 124 ] && echo "hub-chromium.sh: the driver timed out after 300 s" >&2
  exit 1
fi
echo "hub-chromium.sh: every check passed; screenshot in $screenshot" >&2
