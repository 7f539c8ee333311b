#!/bin/bash -eu
# ClusterFuzzLite uses the same build as OSS-Fuzz.
exec "$SRC/ssewire/fuzz/oss-fuzz/build.sh"
