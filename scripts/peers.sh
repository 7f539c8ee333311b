#!/usr/bin/env bash
# Every peer, every language, in one command: the parsers' and encoders' corpus matrix
# (docs/peers-matrix.md, benches/matrix.sh) and the clients' report (docs/client-conformance.md,
# scripts/client-report.sh). Each installs what it needs (pinned npm and PyPI packages, Debian's
# Go packages, Chromium); both reuse earlier results where they can. About 40 minutes on 2 cores
# from scratch; the matrix part is much shorter on a rerun (benches/target/matrix-cache).
set -euo pipefail
cd "$(dirname "$0")/.."
bash benches/matrix.sh
bash scripts/client-report.sh
