#!/usr/bin/env bash
# Installs every cross-language adapter from its pinned lock file: JavaScript (npm ci), Python
# (a venv, pip --require-hashes) and Go (Debian golang-* packages). Idempotent: a language
# already installed at its pinned versions is left alone. Each language's own install.sh does
# the work; one that fails is reported and the others go on, so the matrix still has the rest.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
failed=()
for language in js python go; do
  script="$here/$language/install.sh"
  [ -f "$script" ] || continue
  echo "adapters: installing $language" >&2
  if ! bash "$script"; then
    failed+=("$language")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "adapters: could not install: ${failed[*]} (their columns will be missing)" >&2
  exit 1
fi
