#!/usr/bin/env bash
# Whole processes, not loops inside criterion: each parser's adapter (`peer-adapter NAME --count`,
# and ours also as the real command, `sse-conformance adapter --count`) parses the same 128 MiB
# file of each workload in reads of the workload's chunk size, and the wall time of the whole
# process is taken (reading the file included, the same for all). Median of RUNS runs (default
# 3), one implementation after another. A process whose counts are wrong is listed, not timed.
# Writes its table between the process markers of docs/performance.md.
# Usage: bash benches/process.sh [WORKLOAD...]     (default: every workload but one-byte-chunks,
# whose 128 Mi one-byte reads would need 4 GiB of slices in the peers' harness)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
runs="${RUNS:-3}"
mib="${MIB:-128}"
cargo build --release --quiet --bin peer-adapter --bin workload-file
(cd .. && cargo build --release --quiet -p sse-conformance)
ours_command="$here/../target/release/sse-conformance"
adapter="$here/target/release/peer-adapter"
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(small crlf chunked-1k token-stream large multiline keep-alive)
mapfile -t names < <("$adapter" --list | cut -f1)
dir="$here/target/process"
mkdir -p "$dir"
table="$dir/table.md"
{
  echo "Whole processes on $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), ${mib} MiB per workload, median of $runs runs: \`bash benches/process.sh\`."
  echo
  echo "| workload | read size | implementation | seconds | MiB/s | × best peer |"
  echo "|---|---:|---|---:|---:|---:|"
} > "$table"

now() { date +%s%N; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

for workload in "${workloads[@]}"; do
  file="$dir/$workload.sse"
  info=$("$here/target/release/workload-file" "$workload" "$mib" 2>&1 >"$file")
  expected=${info%%$'\t'*}
  read_size=${info##*$'\t'}
  size=$(stat -c %s "$file")
  rows="$dir/$workload.rows"
  : > "$rows"
  for name in sse-conformance "${names[@]}"; do
    if [ "$name" = sse-conformance ]; then
      cmd=("$ours_command" adapter --count --chunk-size "$read_size")
    else
      cmd=("$adapter" "$name" --count --chunk-size "$read_size")
    fi
    times=()
    ok=1
    for ((i = 0; i < runs; i++)); do
      start=$(now)
      got=$(timeout 120 "${cmd[@]}" < "$file" 2>/dev/null) || got="failed (status $?)"
      end=$(now)
      if [ "$got" != "$expected" ]; then
        ok=0
        echo "$workload $name: $got, expected $expected" >&2
        break
      fi
      times+=($((end - start)))
    done
    if [ $ok = 1 ]; then
      ns=$(printf '%s\n' "${times[@]}" | median)
      echo "$name $ns" >> "$rows"
      echo "$workload $name $(awk -v n="$ns" 'BEGIN { printf "%.3f s", n / 1e9 }')" >&2
    else
      echo "$name wrong" >> "$rows"
    fi
  done
  # Best peer: the fastest process that is not one of ours.
  best=$(grep -v -E '^(sse-conformance|ssewire[^ ]*) ' "$rows" | grep -v ' wrong$' | sort -k2 -n | head -1 | cut -d' ' -f2)
  awk -v w="$workload" -v r="$read_size" -v size="$size" -v best="${best:-0}" '
    $2 == "wrong" { printf "| %s | %s | %s | counts wrong: not timed | | |\n", w, r, $1; next }
    {
      s = $2 / 1e9
      ratio = (best > 0) ? sprintf("%.2f", best / $2) : "-"
      printf "| %s | %s | %s | %.3f | %.0f | %s |\n", w, r, $1, s, size / 1048576 / s, ratio
    }' "$rows" >> "$table"
  rm -f "$file"
done

# shellcheck source=section.sh
source "$here/section.sh"
write_section benches/process.sh "$table" "Whole processes"
