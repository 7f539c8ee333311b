#!/usr/bin/env bash
# The client report: runs `sse-conformance serve`'s plan (docs/client-conformance.md) against
# each client and writes ONE table into docs/client-conformance.md, between the
# `client-report` markers: scenarios as rows, clients as columns, corpus cases summarised as
# passed/total per segmentation.
#
#   bash scripts/client-report.sh
#
# Clients, each against a fresh server over cleartext HTTP/1.1:
#   ssewire-http           `serve --run-ours` (in process)
#   reqwest-eventsource    benches/src/bin/client-reqwest-eventsource.rs
#   eventsource-client     benches/src/bin/client-eventsource-client.rs
#   Chromium               scripts/chromium.sh (headless; also rewrites docs/chromium-results.md)
#   and every line `NAME<TAB>COMMAND` of benches/adapters/*/clients.tsv, the command run from
#   the repository root with the server's base URL appended; a driver that fails or never
#   POSTs /done (not installed, say) is left out with a warning.
# Each client's verdicts go to target/client-report/<name>.json. Set SKIP_CHROMIUM=1 to leave
# Chromium out. Takes about 10 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."

out=target/client-report
mkdir -p "$out"
rm -f "$out"/*.json "$out"/order.tsv

cargo build --release -p sse-conformance
bin="${CARGO_TARGET_DIR:-target}/release/sse-conformance"
(cd benches && cargo build --profile clients --features clients \
  --bin client-reqwest-eventsource --bin client-eventsource-client)
drivers="benches/target/clients"

work=$(mktemp -d)
server_pid=""
driver_pid=""
cleanup() {
  if [ -n "$driver_pid" ]; then kill -TERM "$driver_pid" 2>/dev/null || true; fi
  if [ -n "$server_pid" ]; then kill -TERM "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# A file name for a client's name.
slug() { printf '%s' "$1" | tr -c 'A-Za-z0-9._-' '_'; }

# run_driver NAME COMMAND...: a server for NAME, COMMAND run with its base URL appended.
run_driver() {
  local name="$1"
  shift
  local json
  json="$out/$(slug "$name").json"
  "$bin" serve --port 0 --exit-when-done --timeout 900 --client "$name" --json "$json" \
    </dev/null >"$work/serve.out" 2>"$work/serve.err" &
  server_pid=$!
  local url=""
  for _ in $(seq 1 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*' "$work/serve.err" 2>/dev/null | head -n 1 || true)
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ -z "$url" ]; then
    echo "client-report: the server for $name printed no URL" >&2
    cat "$work/serve.err" >&2
    return 1
  fi
  echo "client-report: $name against $url" >&2
  local status=0
  timeout 900 "$@" "$url" </dev/null >"$work/driver.out" 2>"$work/driver.err" &
  driver_pid=$!
  wait "$driver_pid" || status=$?
  driver_pid=""
  # The driver POSTed /done (the server exits by itself), or it failed: then stop the server.
  for _ in $(seq 1 50); do
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    echo "client-report: $name left out: its driver exited with status $status without POST /done" >&2
    tail -n 5 "$work/driver.err" >&2 || true
    rm -f "$json"
    return 0
  fi
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
  printf '%s\t%s\n' "$name" "$json" >>"$out/order.tsv"
  tail -n 1 "$work/serve.out" >&2
}

echo "client-report: ssewire-http (serve --run-ours)" >&2
"$bin" serve --port 0 --run-ours --json "$out/ssewire-http.json" >"$work/ours.out" 2>&1 || true
tail -n 1 "$work/ours.out" >&2
printf '%s\t%s\n' "ssewire-http 0.1.0" "$out/ssewire-http.json" >>"$out/order.tsv"

run_driver "reqwest-eventsource 0.6.0" "$drivers/client-reqwest-eventsource"
run_driver "eventsource-client 0.18.0" "$drivers/client-eventsource-client"

if [ "${SKIP_CHROMIUM:-0}" != 1 ]; then
  if bash scripts/chromium.sh; then
    version=$(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}')
    cp target/chromium-results.json "$out/chromium.json"
    printf '%s\t%s\n' "Chromium $version" "$out/chromium.json" >>"$out/order.tsv"
  else
    echo "client-report: Chromium left out (scripts/chromium.sh failed)" >&2
  fi
fi

for list in benches/adapters/*/clients.tsv; do
  [ -f "$list" ] || continue
  while IFS=$'\t' read -r name command; do
    [ -n "$name" ] && [ "${name:0:1}" != "#" ] || continue
    # shellcheck disable=SC2086 # the command is words, as the file gives it
    run_driver "$name" $command || true
  done <"$list"
done

python3 - "$out/order.tsv" docs/client-conformance.md <<'EOF'
import json, sys

order, doc = sys.argv[1], sys.argv[2]
clients = [line.rstrip("\n").split("\t") for line in open(order) if line.strip()]
results = [(name, json.load(open(path))["entries"]) for name, path in clients]

def verdict(entry):
    if entry.get("not_applicable"):
        return "n/a"
    return "pass" if not entry["problems"] else "**fail**"

scenario_ids = [e["id"] for e in results[0][1] if e["scenario"]]
lines = ["| scenario | " + " | ".join(name for name, _ in results) + " |",
         "|---|" + "---|" * len(results)]
for sid in scenario_ids:
    cells = []
    for _, entries in results:
        entry = next((e for e in entries if e["id"] == sid), None)
        cells.append("-" if entry is None else verdict(entry))
    lines.append(f"| `{sid}` | " + " | ".join(cells) + " |")

def totals(entries, pick):
    chosen = [e for e in entries if pick(e)]
    applicable = [e for e in chosen if not e.get("not_applicable")]
    passed = sum(1 for e in applicable if not e["problems"])
    na = len(chosen) - len(applicable)
    return f"{passed}/{len(applicable)}" + (f" ({na} n/a)" if na else "")

lines.append("| **scenarios passed** | " + " | ".join(
    "**" + totals(entries, lambda e: e["scenario"]) + "**" for _, entries in results) + " |")
segmentations = []
for e in results[0][1]:
    if not e["scenario"]:
        seg = e["id"].split("/")[0]
        if seg not in segmentations:
            segmentations.append(seg)
for seg in segmentations:
    lines.append(f"| corpus cases, `{seg}` | " + " | ".join(
        totals(entries, lambda e, s=seg: not e["scenario"] and e["id"].startswith(s + "/"))
        for _, entries in results) + " |")
table = "\n".join(lines) + "\n"

text = open(doc).read()
start, end = "<!-- client-report:start -->", "<!-- client-report:end -->"
if start in text and end in text:
    before = text[: text.index(start) + len(start)]
    after = text[text.index(end):]
    text = before + "\n" + table + after
else:
    text = text.rstrip("\n") + "\n\n" + start + "\n" + table + end + "\n"
open(doc, "w").write(text)
print(table)
EOF
echo "client-report: table written to docs/client-conformance.md" >&2
