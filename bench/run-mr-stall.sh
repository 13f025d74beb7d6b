#!/usr/bin/env bash
# The open-merge-request write stall of issue 10: cairn (a separate process, --no-rate-limit)
# holds N open merge requests into main of one project; while two clients keep creating issues
# in another project over loopback, five commits are made to main through the API. Printed for
# each N: how long the commit took, and the latency of the issue creations that overlapped a
# commit beside the others (target: p99 under 20 ms during the commit, at every N).
# Usage: bench/run-mr-stall.sh [OPEN]   (OPEN: counts of open merge requests, default 0,100,1000)
# REV=HEAD builds a clean snapshot of a commit; CAIRN_SRC another checkout; COMMITS=5, CLIENTS=2;
# BASE=main also builds main and measures it first, the same way (a before and after).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

open=${1:-0,100,1000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

machine
build_cairn "$tmp"
build_base "$tmp"
build_tool mrstall "$tmp"
if [ -n "${BASE:-}" ]; then
	echo "# base ($BASE), load average $(cut -d' ' -f1-3 /proc/loadavg)"
	"$tmp/mrstall" -bin "$tmp/cairn-base" -open "$open" -commits "${COMMITS:-5}" -clients "${CLIENTS:-2}"
	echo "# cairn, load average $(cut -d' ' -f1-3 /proc/loadavg)"
fi
"$tmp/mrstall" -bin "$tmp/cairn" -open "$open" -commits "${COMMITS:-5}" -clients "${CLIENTS:-2}"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
