#!/usr/bin/env bash
# Instructions per chunk on `token-stream` (one ~200-byte event per chunk, one in seven split in
# two), counted by callgrind for every parser: the cost per network read that model-streaming
# clients pay. Each parser parses the workload's first CHUNKS chunks (default 20,000) inside one
# function that callgrind counts alone (`src/bin/per-chunk.rs`). Installs Debian's valgrind
# when it is missing. Writes its table into docs/performance.md.
# Usage: bash benches/instructions.sh [WORKLOAD]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
workload="${1:-token-stream}"
chunks="${CHUNKS:-20000}"
if ! command -v valgrind >/dev/null; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
  $sudo apt-get update
  $sudo apt-get install -y valgrind
fi
cargo build --release --quiet --bin per-chunk --bin peer-adapter
dir="$here/target/instructions"
mkdir -p "$dir"
table="$dir/table.md"
rows="$dir/rows"
: > "$rows"
# checked-lines, the reference loop that does the spec's checks the plain way, beside them.
for name in $(./target/release/peer-adapter --list | cut -f1) checked-lines; do
  out="$dir/$name.callgrind"
  summary=$(valgrind --tool=callgrind --toggle-collect='*measured_parse*' \
    --callgrind-out-file="$out" ./target/release/per-chunk "$name" "$chunks" "$workload" 2>"$dir/$name.log")
  instructions=$(grep -E 'refs:' "$dir/$name.log" | awk '{ gsub(",", "", $4); print $4 }')
  got_chunks=$(sed -E 's/.*"chunks":([0-9]+).*/\1/' <<<"$summary")
  echo "$name $instructions $got_chunks" >> "$rows"
  echo "$workload $name $((instructions / got_chunks)) instructions per chunk" >&2
done
best=$(grep -v -E '^(ssewire|checked-lines)' "$rows" | awk '{ print $2 / $3 }' | sort -n | head -1)
{
  echo "Callgrind, \`bash benches/instructions.sh\`: the first $chunks chunks of \`$workload\`, instructions per chunk (the parse only)."
  echo
  echo "| implementation | instructions per chunk | × fewest of the peers |"
  echo "|---|---:|---:|"
  sort -k2 -n "$rows" | awk -v best="$best" '{ per = $2 / $3; printf "| %s | %.0f | %.2f |\n", $1, per, per / best }'
} > "$table"
# shellcheck source=section.sh
source "$here/section.sh"
write_section benches/instructions.sh "$table" "Instructions per chunk"
