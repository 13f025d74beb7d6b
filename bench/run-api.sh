#!/usr/bin/env bash
# API throughput of issue 2's Speed section, measured side by side in one run against cairn and
# against bench/refserver (bare httprouter + modernc SQLite, the yardstick):
#   GET /api/v4/projects/:id           with PRIVATE-TOKEN   target >= 10,000 req/s, p99 < 20 ms
#   GET /api/v4/projects?per_page=20   with PRIVATE-TOKEN   target >= 3,000 req/s
# each with `wrk -t2 -c32 -d10s --latency` (wrk shares the machine's cores with the server).
# Usage: bench/run-api.sh; REV=HEAD builds a clean snapshot of HEAD; DURATION=10s, ROUNDS=1.
# BASE=main also builds main and measures it in the same rounds, between cairn and the
# reference (a before and after of a change: the cairn/base ratio).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

duration=${DURATION:-10s}
rounds=${ROUNDS:-1}

if ! command -v wrk >/dev/null; then
	echo "# installing wrk" >&2
	apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

machine
build_cairn "$tmp"
build_base "$tmp"
build_tool refserver "$tmp"

# wait_ready FILE: wait (up to 30 s) for a ready file.
wait_ready() {
	for _ in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.05; done
	echo "no ready file $1" >&2; exit 1
}
field() { sed -n "s/.*\"$2\": *\"\{0,1\}\([^\",]*\)\"\{0,1\},\{0,1\}$/\1/p" "$1" | head -1; }

"$tmp/cairn" serve --ephemeral --addr 127.0.0.1:0 --no-rate-limit --log-format json --ready-file "$tmp/cairn.ready" 2>/dev/null &
pids+=($!)
"$tmp/refserver" -addr 127.0.0.1:0 -ready-file "$tmp/ref.ready" 2>/dev/null &
pids+=($!)
if [ -n "${BASE:-}" ]; then
	"$tmp/cairn-base" serve --ephemeral --addr 127.0.0.1:0 --no-rate-limit --log-format json --ready-file "$tmp/base.ready" 2>/dev/null &
	pids+=($!)
	wait_ready "$tmp/base.ready"
fi
wait_ready "$tmp/cairn.ready"
wait_ready "$tmp/ref.ready"
cairn=$(field "$tmp/cairn.ready" url)
token=$(field "$tmp/cairn.ready" admin_token)
ref=$(field "$tmp/ref.ready" url)
[ -n "$cairn" ] && [ -n "$token" ] && [ -n "$ref" ] || { echo "cannot read the ready files" >&2; exit 1; }

# create URL TOKEN BODY: create a project, print its id.
create() {
	curl -sf -X POST -H "PRIVATE-TOKEN: $2" -H 'Content-Type: application/json' -d "$3" "$1/api/v4/projects" |
		grep -o '"id":[0-9]*' | head -1 | cut -d: -f2
}
# projects URL TOKEN: the projects every server gets, printing the public one's id.
projects() {
	local id
	id=$(create "$1" "$2" '{"name": "bench-public", "visibility": "public"}')
	for i in $(seq -w 1 30); do create "$1" "$2" "{\"name\": \"bench-$i\"}" >/dev/null; done
	[ -n "$id" ] || { echo "could not create the projects" >&2; exit 1; }
	echo "$id"
}
id=$(projects "$cairn" "$token")
if [ -n "${BASE:-}" ]; then
	base=$(field "$tmp/base.ready" url)
	base_token=$(field "$tmp/base.ready" admin_token)
	[ -n "$base" ] && [ -n "$base_token" ] || { echo "cannot read the base's ready file" >&2; exit 1; }
	[ "$(projects "$base" "$base_token")" = "$id" ] || { echo "the base gave the public project another id" >&2; exit 1; }
fi

get_path="/api/v4/projects/$id"
ref_get_path="/api/v4/projects/1"
list_path="/api/v4/projects?per_page=20"
urls=("$cairn$get_path" "$cairn$list_path" "$ref$ref_get_path" "$ref$list_path")
[ -z "${BASE:-}" ] || urls+=("$base$get_path" "$base$list_path")
for u in "${urls[@]}"; do
	tok=$token
	[ -z "${BASE:-}" ] || case $u in "$base"*) tok=$base_token ;; esac
	code=$(curl -s -o "$tmp/body" -w '%{http_code}' -H "PRIVATE-TOKEN: $tok" "$u")
	[ "$code" = 200 ] || { echo "GET $u: $code" >&2; cat "$tmp/body" >&2; exit 1; }
	echo "# GET $u: 200, $(wc -c <"$tmp/body") bytes"
done

# bench NAME URL [TOKEN]: run wrk and print "req/s p50_ms p99_ms", failing on errors or non-2xx.
bench() {
	local out=$tmp/wrk.out
	wrk -t2 -c32 -d"$duration" --latency -H "PRIVATE-TOKEN: ${3:-$token}" "$2" >"$out"
	if grep -q -e 'Non-2xx' -e 'Socket errors' "$out"; then
		echo "wrk $1 reported errors:" >&2; cat "$out" >&2; exit 1
	fi
	awk -v name="$1" '
		function msec(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/^ *50%/ { p50 = msec($2) } /^ *99%/ { p99 = msec($2) } /^Requests\/sec:/ { rps = $2 }
		END { printf "%s %.0f %.2f %.2f\n", name, rps, p50, p99 }' "$out"
}

echo "# warm-up: 2 s of each"
for u in "${urls[@]}"; do
	tok=$token
	[ -z "${BASE:-}" ] || case $u in "$base"*) tok=$base_token ;; esac
	wrk -t2 -c32 -d2s -H "PRIVATE-TOKEN: $tok" "$u" >/dev/null
done

echo "# wrk -t2 -c32 -d$duration --latency -H 'PRIVATE-TOKEN: <admin token>' URL, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-32s %-10s %10s %9s %9s\n' endpoint server 'req/s' 'p50 ms' 'p99 ms'
for round in $(seq "$rounds"); do
	for ep in get list; do
		if [ $ep = get ]; then label="GET /api/v4/projects/:id"; c=$cairn$get_path; r=$ref$ref_get_path
		else label="GET /api/v4/projects?per_page=20"; c=$cairn$list_path; r=$ref$list_path; fi
		read -r _ crps cp50 cp99 < <(bench cairn "$c")
		if [ -n "${BASE:-}" ]; then
			if [ $ep = get ]; then b=$base$get_path; else b=$base$list_path; fi
			read -r _ brps bp50 bp99 < <(bench base "$b" "$base_token")
		fi
		read -r _ rrps rp50 rp99 < <(bench reference "$r")
		printf '%-32s %-10s %10s %9s %9s\n' "$label" cairn "$crps" "$cp50" "$cp99"
		[ -z "${BASE:-}" ] || printf '%-32s %-10s %10s %9s %9s\n' "$label" base "$brps" "$bp50" "$bp99"
		printf '%-32s %-10s %10s %9s %9s\n' "$label" reference "$rrps" "$rp50" "$rp99"
		awk -v a="$crps" -v b="$rrps" -v c="$cp99" -v d="$rp99" -v l="$label" -v r="$round" \
			'BEGIN { printf "%-32s %-10s %9.2fx %9s %8.1fx   (round %s)\n", l, "cairn/ref", a / b, "", c / d, r }'
		if [ -n "${BASE:-}" ]; then
			awk -v a="$brps" -v b="$rrps" -v c="$bp99" -v d="$rp99" -v l="$label" -v r="$round" \
				'BEGIN { printf "%-32s %-10s %9.2fx %9s %8.1fx   (round %s)\n", l, "base/ref", a / b, "", c / d, r }'
			awk -v a="$crps" -v b="$brps" -v c="$cp99" -v d="$bp99" -v l="$label" -v r="$round" \
				'BEGIN { printf "%-32s %-10s %9.2fx %9s %8.1fx   (round %s)\n", l, "cairn/base", a / b, "", c / d, r }'
		fi
	done
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
