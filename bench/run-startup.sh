#!/usr/bin/env bash
# Startup figures of issue 2's Speed section: `cairn serve --ephemeral` from exec to ready
# file (median of 21 runs; target under 100 ms) and idle RSS one second after ready (target
# under 40 MB). Usage: bench/run-startup.sh [RUNS]; REV=HEAD builds a clean snapshot of HEAD;
# BASE=main also builds main and starts it in turn with cairn, for a before and after.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

runs=${1:-21}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

machine
build_cairn "$tmp"
build_base "$tmp"
build_tool startup "$tmp"
echo "# binary: $(du -h "$tmp/cairn" | cut -f1)"
echo "# command: $tmp/cairn serve --ephemeral --addr 127.0.0.1:0 --ready-file F (stderr discarded)"
"$tmp/startup" -bin "$tmp/cairn" ${BASE:+-base "$tmp/cairn-base"} -n "$runs" -rss-runs 3 -idle 1s
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
