#!/usr/bin/env bash
# Bounded load test of ssewire-hub (tools/loadtest: `ssewire-loadtest mercure`): the hub in a
# child process with authorization on (HS256, no anonymous subscribers, --history memory),
# N subscribers with their own tokens over T topics; memory per idle subscriber, broadcasts
# to all, a burst of public and private updates, exact per-subscriber counts, fan-out events/s
# and publish-to-delivery latency p50/p99. See docs/hub.md ("Figures").
#
#   bash scripts/hub-load.sh                      10 000 subscribers, 1 000 topics (about 40 s)
#   bash scripts/hub-load.sh --compare            the same, then against benches' axum-mercure
#                                                 (axum Sse + tokio broadcast), side by side, with
#                                                 a chart (docs/hub-load-chart.svg); builds it
#                                                 first (benches/, fat LTO: minutes)
#   bash scripts/hub-load.sh --smoke              200 subscribers, 20 topics (a few seconds; CI)
#   bash scripts/hub-load.sh --ceiling            20 000-subscriber steps up to the fd limit,
#                                                 broadcasts only (docs/hub-ceiling-results.md)
#   bash scripts/hub-load.sh --cluster            3 nodes on a Redis of their own (redis-server,
#                                                 installed by scripts/test.sh) against 1 node on
#                                                 the embedded store: 9 000 subscribers, 100 000
#                                                 publishes (docs/cluster.md; a few minutes)
#   bash scripts/hub-load.sh --subscribers 5000   any other option: ssewire-loadtest mercure --help
#
# Every run is bounded (--timeout, 60 s by default) and on 127.0.0.1 only; the driver and the
# hub it spawns run in their own process group, killed on exit. Writes
# docs/hub-load-results.md (not for --smoke). Exit status: 0 pass, 1 a check failed, 2 error.
set -euo pipefail
cd "$(dirname "$0")/.."

# Each subscriber holds one socket in the driver and one in the hub: raise the soft limit on
# open files to the hard one (asking for 1048576 when the hard limit allows more).
hard=$(ulimit -Hn)
if [ "$hard" = unlimited ]; then
  ulimit -n 1048576 2>/dev/null || ulimit -n 65536 2>/dev/null || true
else
  ulimit -n "$hard" 2>/dev/null || true
fi
soft=$(ulimit -n)
if [ "$soft" != unlimited ] && [ "$soft" -lt 65536 ]; then
  echo "hub-load: open-files limit $soft (hard $hard): room for about $((soft - 100)) subscribers per process" >&2
fi

cargo build -q --release -p ssewire-hub -p ssewire-loadtest
bin=target/release/ssewire-loadtest

# The hub as deployed: active subscriptions on (each new stream publishes its subscription
# events, which the topic index hands only to the streams that match them).
common=()

pid=
cleanup() {
  if [ -n "$pid" ]; then kill -TERM -- "-$pid" 2>/dev/null || true; fi
}
trap cleanup EXIT INT TERM

# Runs the driver in its own process group (setsid), so that cleanup reaches the hub too.
drive() {
  setsid "$bin" mercure ${common[@]+"${common[@]}"} "$@" &
  pid=$!
  local status=0
  wait "$pid" || status=$?
  pid=
  return "$status"
}

case "${1:-}" in
  --smoke)
    shift
    drive --subscribers 200 --topics 20 --private-updates 200 --public-per-topic 2 \
      --timeout 25 "$@"
    ;;
  --ceiling)
    shift
    out=docs/hub-ceiling-results.md
    limit=$soft
    [ "$limit" = unlimited ] && limit=1048576
    : > "$out.tmp"
    for n in 20000 40000 60000 80000 100000; do
      if [ "$n" -gt $((limit - 100)) ]; then
        n=$((limit - 100))
        last=1
      fi
      echo "hub-load: ceiling step, $n subscribers" >&2
      status=0
      drive --subscribers "$n" --topics 1000 --public-per-topic 0 --private-updates 0 \
        --broadcasts 3 --source-addrs 8 --markdown "$out.step" "$@" || status=$?
      cat "$out.step" >> "$out.tmp" && echo >> "$out.tmp"
      rm -f "$out.step"
      [ "$status" -ne 0 ] && break
      [ "${last:-0}" = 1 ] && break
    done
    mv "$out.tmp" "$out"
    echo "hub-load: ceiling steps written to $out" >&2
    exit "$status"
    ;;
  --cluster)
    shift
    # 900 topics of 10 subscribers; 110 public updates per topic + 1 000 private: 100 000
    # publishes, from 9 publishers spread over the nodes.
    drive --nodes 3 --subscribers 9000 --topics 900 --public-per-topic 110 \
      --private-updates 1000 --broadcasts 5 --publishers 9 --timeout 800 --phase-timeout 600 \
      --markdown docs/cluster-load-results.md --svg docs/cluster-load-chart.svg "$@"
    ;;
  --compare)
    shift
    (cd benches && cargo build -q --release --features axum-mercure --bin axum-mercure)
    drive --probe-connections --compare-bin benches/target/release/axum-mercure \
      --markdown docs/hub-load-results.md --svg docs/hub-load-chart.svg "$@"
    ;;
  *)
    drive --probe-connections --markdown docs/hub-load-results.md "$@"
    ;;
esac
