# Sourced by the benchmark scripts: `write_section NAME TABLE_FILE` puts the file's lines into
# docs/performance.md between `<!-- BEGIN GENERATED: NAME -->` and `<!-- END GENERATED: NAME -->`,
# adding the pair (under the heading HEADING, if given) at the end the first time.
write_section() {
  local name=$1 table=$2 heading=${3:-}
  local doc begin end
  doc="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../docs/performance.md"
  begin="<!-- BEGIN GENERATED: $name -->"
  end="<!-- END GENERATED: $name -->"
  if ! grep -qF "$begin" "$doc"; then
    printf '\n%s%s\n%s\n' "${heading:+## $heading$'\n\n'}" "$begin" "$end" >> "$doc"
  fi
  awk -v begin="$begin" -v end="$end" -v table="$table" '
    $0 == begin { print; while ((getline line < table) > 0) print line; skip = 1; next }
    $0 == end { skip = 0 }
    !skip { print }' "$doc" > "$doc.new"
  mv "$doc.new" "$doc"
  echo "wrote $name's section of docs/performance.md" >&2
}
