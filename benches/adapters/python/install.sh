#!/usr/bin/env bash
# Installs the Python adapters' libraries into benches/adapters/python/.venv (git-ignored), exactly
# as pinned, with hashes, in requirements.txt. Idempotent: a venv whose stamp matches
# requirements.txt is left alone. PYTHON picks the interpreter (default python3, 3.9 or newer).
#
# requirements.txt is generated from requirements.in (the direct pins) with pip-tools, in a
# throwaway venv:
#   python3 -m venv /tmp/piptools && /tmp/piptools/bin/pip install pip-tools
#   /tmp/piptools/bin/pip-compile --generate-hashes --no-header --allow-unsafe \
#       -o requirements.txt requirements.in
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    echo "python adapters: $venv is up to date"
    exit 0
fi
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
    --require-hashes --only-binary=:all: -r "$here/requirements.txt"
"$venv/bin/python" -m pip check
# The setuptools that `venv` adds on Python < 3.12 installs a .pth hook (distutils-precedence)
# that costs tens of milliseconds at every start; the adapters, run once per case, need none of it.
"$venv/bin/python" -m pip uninstall --quiet --yes setuptools 2>/dev/null || true
echo "$want" > "$stamp"
echo "python adapters: installed into $venv"
