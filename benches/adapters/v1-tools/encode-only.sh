#!/bin/sh
# A stopgap for encode-only adapters under the protocol-1 runner (it has no `modes` and first
# probes parse mode): parse mode goes
# to the runner's own parser (`$SSE_CONFORMANCE adapter`), --encode to the adapter given as $1,
# so only the encode checks of such a run say anything about the adapter. Usage:
#   sse-conformance run --encode --chunk-sizes whole \
#     --adapter "benches/adapters/v1-tools/encode-only.sh 'node benches/adapters/js/hono/adapter.mjs'"
adapter="$1"; shift
if [ "$1" = "--encode" ]; then exec $adapter "$@"; fi
exec "${SSE_CONFORMANCE:-sse-conformance}" adapter "$@"
