#!/usr/bin/env bash
# Runs the client-conformance plan (`sse-conformance serve`, docs/client-conformance.md) in
# headless Chromium and writes its report: docs/chromium-results.md and
# target/chromium-results.json. See docs/chromium.md.
#
#   bash scripts/chromium.sh                     everything: every case at 4 segmentations and
#                                                every scenario (a few minutes)
#   bash scripts/chromium.sh --cases retry/ --scenarios retry     a quick subset
#
# Arguments pass through to `sse-conformance serve` (see its --help). Installs Debian's
# chromium package when /usr/bin/chromium is missing.
# Exit status: the server's (0: the page said it was done; 2: timeout or Chromium died early).
set -euo pipefail
cd "$(dirname "$0")/.."

chromium=/usr/bin/chromium
if [ ! -x "$chromium" ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update
  $sudo apt-get install -y chromium
fi
# "Chromium 156.0.8078.79 built on Debian GNU/Linux 12 (bookworm)" (Debian's wrapper script
# may also complain on stderr about its memory check: harmless).
version=$("$chromium" --version 2>/dev/null | awk '{print $2}')
echo "chromium: Chromium $version" >&2

cargo build --release -p sse-conformance
bin="${CARGO_TARGET_DIR:-target}/release/sse-conformance"
mkdir -p target

work=$(mktemp -d)
server_pid=""
chromium_pid=""
cleanup() {
  # Chromium runs in its own process group (set -m below): end the browser and its
  # renderer, GPU and zygote children together.
  if [ -n "$chromium_pid" ]; then
    kill -TERM -- "-$chromium_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 -- "-$chromium_pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -KILL -- "-$chromium_pid" 2>/dev/null || true
  fi
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

"$bin" serve --port 0 --exit-when-done --timeout 900 --client "Chromium $version" \
  --markdown docs/chromium-results.md --json target/chromium-results.json "$@" \
  </dev/null 2>"$work/serve.err" &
server_pid=$!

# "serving N case runs and M scenarios on http://127.0.0.1:PORT/ (open it ...)"
url=""
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/serve.err" 2>/dev/null | head -n 1 || true)
  [ -n "$url" ] && break
  if ! kill -0 "$server_pid" 2>/dev/null; then break; fi
  sleep 0.1
done
cat "$work/serve.err" >&2
if [ -z "$url" ]; then
  echo "chromium.sh: the server printed no URL" >&2
  status=0
  wait "$server_pid" || status=$?
  server_pid=""
  exit $((status == 0 ? 2 : status))
fi

# Headless Chromium, given a URL, loads it and keeps running until it is killed: since
# Chromium 132, --headless is the "new" headless mode (the full browser without a window),
# which needs no --remote-debugging-port or --dump-dom to stay up. No --virtual-time-budget:
# virtual time would fast-forward the page's timers and break the timing scenarios (retry,
# stop.ms). --no-sandbox: we may be root. The --disable-background-networking,
# --disable-component-update, --disable-sync and --no-first-run flags stop Chromium's own
# traffic to Google services, which on a closed network gets its connections refused.
# set -m puts Chromium in a process group of its own, so that cleanup can end all of it.
set -m
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" "$url" </dev/null >"$work/chromium.log" 2>&1 &
chromium_pid=$!
set +m
echo "chromium.sh: Chromium (pid $chromium_pid) is running $url; waiting for it to POST /done" >&2

start=$SECONDS
note=$((start + 60))
while kill -0 "$server_pid" 2>/dev/null; do
  if ! kill -0 "$chromium_pid" 2>/dev/null; then
    echo "chromium.sh: Chromium exited before the run was done; its log:" >&2
    grep -v dbus "$work/chromium.log" | tail -n 20 >&2 || true
    # Ask the server for its report anyway (entries never run say "no report").
    port=${url#http://127.0.0.1:}
    port=${port%/}
    if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
      printf 'POST /done HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n' >&3
      cat <&3 >/dev/null || true
      exec 3>&-
    fi
    wait "$server_pid" || true
    server_pid=""
    exit 2
  fi
  if [ "$SECONDS" -ge "$note" ]; then
    echo "chromium.sh: $((SECONDS - start)) s so far" >&2
    note=$((note + 60))
  fi
  sleep 1
done
status=0
wait "$server_pid" || status=$?
server_pid=""
tail -n +2 "$work/serve.err" >&2
echo "chromium.sh: server exit status $status; report in docs/chromium-results.md" >&2
exit "$status"
