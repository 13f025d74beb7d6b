#!/usr/bin/env bash
# Repository reads through the API, side by side with the git command that gives the same
# answer, run on the same bare repository (cairn's own copy, after `cairn admin repo gc`, so
# that both read the same packs, bitmap and commit-graph): blame (git blame), one file's
# history (git log -- path), commits page 1 and a deep page (git log --skip), trees (git
# ls-tree), a file as JSON and raw (git show), a large file raw (git cat-file), compare
# (git log a..b and git diff a b). A git read is one git process, its start included; an API
# read is one request over loopback on a connection kept alive (bench/readbench: curl's own
# start, 5-15 ms on a small machine, would dwarf most of the reads).
#
# Repositories: bench/gitgen -mode history at each of SIZES commits (merges, renames,
# deletions, large binaries; ~2,600 files), and -mode linear with LINEAR commits over 100
# files of ~2 KB (each file touched ~600 times at 30,000). They are generated once into
# BENCH_CACHE and reused (the cache key is the generator's source and arguments).
#
# After the push and `cairn admin repo gc`, git commit-graph verify and (FSCK=1, the default)
# git fsck --strict must pass on cairn's copy.
#
# Before timing, the answers are compared: blame line by line, one file's history and the
# deep page commit by commit, tree listings entry by entry, file contents byte for byte,
# compare's commit count.
#
# Usage: bench/run-git-reads.sh   env: SIZES="5000 50000 200000", LINEAR=30000 (0: none),
# ROUNDS=5, SEED=1, FSCK=1, BENCH_CACHE=~/.cache/cairn-bench, MD=FILE (also write the markdown table
# there), REV=HEAD / CAIRN_SRC=DIR (see bench/lib.sh), KEEP=1 (keep the temporary directory).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

sizes=${SIZES:-"5000 50000 200000"}
linear=${LINEAR:-30000}
rounds=${ROUNDS:-5}
seed=${SEED:-1}
fsck=${FSCK:-1}
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-bench}
start_time=$(date +%s)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)

need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null && return 0
	echo "# installing $2" >&2
	apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
}
need jq jq
need curl curl

tmp=$(mktemp -d /tmp/run-git-reads.XXXXXX)
cairn_pid=
cleanup() {
	[ -n "$cairn_pid" ] && kill "$cairn_pid" 2>/dev/null && wait "$cairn_pid" 2>/dev/null
	if [ -n "${KEEP:-}" ]; then echo "# kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
log() { echo "# $(date -u +%H:%M:%S) $*" >&2; }

build_cairn "$tmp" >&2
build_tool gitgen "$tmp"
build_tool readbench "$tmp"
built=$(git -C "$REPO" rev-parse --short HEAD)
mkdir -p "$cache"
gen_key=$(cat "$REPO/bench/gitgen/main.go" | sha256sum | cut -c1-12)

export HOME=$tmp/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0 LC_ALL=C
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com

# gen_repo NAME GITGEN-ARGS...: prints the path of the generated bare repository.
gen_repo() {
	local name=$1
	shift
	local dir="$cache/$name-$gen_key-s$seed.git"
	if [ ! -f "$dir/bench-complete" ]; then
		log "generating $name ($*) into $dir"
		rm -rf "$dir"
		git init -q --bare "$dir"
		"$tmp/gitgen" -seed "$seed" "$@" | git -C "$dir" fast-import --quiet
		git -C "$dir" symbolic-ref HEAD refs/heads/main
		git -C "$dir" repack -adf --window=10 -q
		touch "$dir/bench-complete"
	fi
	echo "$dir"
}

# --- cairn -----------------------------------------------------------------------------------
token=bench-$RANDOM$RANDOM
"$tmp/cairn" serve --data-dir "$tmp/data" --addr 127.0.0.1:0 --admin-token "$token" --no-rate-limit \
	--log-format json --ready-file "$tmp/ready" 2>>"$tmp/cairn.log" &
cairn_pid=$!
for _ in $(seq 600); do [ -s "$tmp/ready" ] && break; sleep 0.05; done
base=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$tmp/ready")
[ -n "$base" ] || { echo "cairn did not start" >&2; cat "$tmp/cairn.log" >&2; exit 1; }
api=$base/api/v4
git_url=${base/http:\/\//http:\/\/oauth2:$token@}
H="PRIVATE-TOKEN: $token"

# wait_idle: until the cairn process has used less than 2% of a core for 3 seconds (the
# background work after a push is done).
wait_idle() {
	local a b
	for _ in $(seq 600); do
		a=$(awk '{print $14 + $15}' "/proc/$cairn_pid/stat")
		sleep 3
		b=$(awk '{print $14 + $15}' "/proc/$cairn_pid/stat")
		[ $((b - a)) -lt 6 ] && return 0
	done
}

# --- measuring -------------------------------------------------------------------------------
rows=$tmp/rows.tsv
: >"$rows"
pairs=$tmp/pairs.tsv
# measure LABEL GIT-CMD URL: one pair for readbench.
measure() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$pairs"; }

fail() { echo "answers differ: $*" >&2; exit 1; }

# bench_repo LABEL SOURCE-DIR COMPARE-N
bench_repo() {
	local label=$1 src=$2 span=$3
	local name
	name=$(echo "$label" | tr -c 'a-z0-9\n' '-')
	local id
	id=$(curl -sf -H "$H" -d "name=$name" "$api/projects" | jq -r .id)
	log "$label: pushing into project $id"
	git -C "$src" push -q "$git_url/root/$name.git" 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
	wait_idle
	"$tmp/cairn" admin repo gc --data-dir "$tmp/data" "root/$name" >&2
	wait_idle
	local repo=$tmp/data/repositories/$id.git
	local p=$api/projects/$id/repository
	local g="git -C $repo"
	local commits
	commits=$($g rev-list --count main)
	# What the server wrote must be what git reads: its commit-graph, and the repository after
	# the background job and gc.
	$g commit-graph verify || fail "$label: git commit-graph verify"
	if [ "$fsck" = 1 ]; then
		log "$label: git fsck"
		$g fsck --strict --no-dangling --no-progress || fail "$label: git fsck"
	fi

	# The file for blame and history: the most changed file of the first commit that is
	# still there and was never renamed (git blame follows renames; cairn's does not).
	local root blamef="" f
	# (No reader here stops early: with pipefail, a writer killed by SIGPIPE fails the line.)
	root=$($g rev-list --max-parents=0 main | sed -n 1p)
	for f in $($g log --format= --name-only --no-renames main | sort | uniq -c | sort -rn | awk 'NR <= 40 {print $2}'); do
		$g cat-file -e "$root:$f" 2>/dev/null || continue
		$g cat-file -e "main:$f" 2>/dev/null || continue
		[ "$($g log --follow --format= --name-status main -- "$f" | grep -c '^R')" = 0 ] || continue
		blamef=$f
		break
	done
	[ -n "$blamef" ] || fail "$label: no file to blame"
	local touches
	touches=$($g log --format=%H main -- "$blamef" | wc -l)
	local small big dir
	small=$($g ls-tree -r -l main | awk '$4 > 1500 && $4 < 2600 && !found {print $5; found = 1}')
	big=$($g ls-tree -r -l main | sort -k4 -n | tail -1 | awk '$4 > 200000 {print $5}')
	dir=$($g ls-tree -d main | awk 'NR == 1 {print $4}')
	enc() { jq -rn --arg s "$1" '$s|@uri'; }
	local page=$((commits / 20 / 2))
	((page > 1000)) && page=1000
	local skip=$(((page - 1) * 20))
	local from
	from=$($g rev-parse "main~$span")
	log "$label: $commits commits; blame/history of $blamef ($touches commits); small $small; big ${big:-none}; tree $dir/; page $page; compare across $($g rev-list --count "$from..main") commits"

	# Answers first.
	diff <(curl -sf -H "$H" "$p/files/$(enc "$blamef")/blame?ref=main" | jq -r '.[] | .commit.id as $c | .lines[] | $c') \
		<($g blame --porcelain main -- "$blamef" | awk '/^[0-9a-f]+ [0-9]+ [0-9]+/ {print $1}') >/dev/null ||
		fail "$label: blame of $blamef"
	diff <(curl -sf -H "$H" "$p/commits?ref_name=main&path=$(enc "$blamef")&per_page=20" | jq -r '.[].id') \
		<($g log --format=%H -n 20 main -- "$blamef") >/dev/null || fail "$label: history of $blamef"
	diff <(curl -sf -H "$H" "$p/commits?ref_name=main&per_page=20&page=$page" | jq -r '.[].id') \
		<($g log --format=%H --skip=$skip -n 20 main) >/dev/null || fail "$label: commits page $page"
	diff <(curl -sf -H "$H" "$p/tree?ref=main&per_page=100" | jq -r '.[] | .mode + " " + .id + "\t" + .path' | sort) \
		<($g ls-tree main | awk '{print $1 " " $3 "\t" $4}' | sort) >/dev/null || fail "$label: tree"
	diff <(curl -sf -H "$H" "$p/tree?ref=main&path=$(enc "$dir")&per_page=100" | jq -r '.[] | .id + "\t" + .path' | sort) \
		<($g ls-tree main "$dir/" | awk '{print $3 "\t" $4}' | sort) >/dev/null || fail "$label: tree of $dir"
	[ "$(curl -sfI -H "$H" "$p/tree?ref=main&recursive=true&per_page=20" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-total" {print $2}')" = \
		"$($g ls-tree -r -t main | wc -l)" ] || fail "$label: recursive tree"
	cmp <(curl -sf -H "$H" "$p/files/$(enc "$small")/raw?ref=main") <($g show "main:$small") || fail "$label: raw of $small"
	[ -z "$big" ] || cmp <(curl -sf -H "$H" "$p/files/$(enc "$big")/raw?ref=main") <($g cat-file blob "main:$big") ||
		fail "$label: raw of $big"
	[ "$(curl -sf -H "$H" "$p/compare?from=$from&to=main" | jq '.commits | length')" = "$($g rev-list --count "$from..main")" ] ||
		fail "$label: compare"

	: >"$pairs"
	measure "blame ($touches-commit file)" "$g blame --porcelain main -- '$blamef'" "$p/files/$(enc "$blamef")/blame?ref=main"
	measure "one file's history, page 1" "$g log -n 20 main -- '$blamef'" "$p/commits?ref_name=main&path=$(enc "$blamef")&per_page=20"
	measure "commits page 1" "$g log -n 20 main" "$p/commits?ref_name=main&per_page=20"
	measure "commits page $page" "$g log --skip=$skip -n 20 main" "$p/commits?ref_name=main&per_page=20&page=$page"
	measure "tree, root" "$g ls-tree main" "$p/tree?ref=main&per_page=100"
	measure "tree of $dir/" "$g ls-tree main '$dir/'" "$p/tree?ref=main&path=$(enc "$dir")&per_page=100"
	measure "tree, recursive page 1" "$g ls-tree -r -t main" "$p/tree?ref=main&recursive=true&per_page=20"
	measure "file JSON (~2 KB)" "$g show 'main:$small'" "$p/files/$(enc "$small")?ref=main"
	measure "file raw (~2 KB)" "$g show 'main:$small'" "$p/files/$(enc "$small")/raw?ref=main"
	if [ -n "$big" ]; then
		measure "file raw ($(($($g cat-file -s "main:$big") / 1000)) KB)" "$g cat-file blob 'main:$big'" \
			"$p/files/$(enc "$big")/raw?ref=main"
	fi
	measure "compare across $span first-parent commits" "$g log $from..main && $g diff $from main" "$p/compare?from=$from&to=main"
	log "$label: measuring ($rounds rounds, load $(cut -d' ' -f1 /proc/loadavg))"
	"$tmp/readbench" -rounds "$rounds" -pid "$cairn_pid" -header "$H" <"$pairs" | while IFS=$'\t' read -r read gt gc ct cc; do
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$read" "$gt" "$ct" "$gc" "$cc" >>"$rows"
		log "$label $read: git $gt s ($gc s CPU), cairn $ct s ($cc s CPU)"
	done
}

for n in $sizes; do
	src=$(gen_repo "history-$n" -mode history -commits "$n")
	bench_repo "history ${n}" "$src" 500
done
if [ "$linear" -gt 0 ]; then
	src=$(gen_repo "linear-$linear" -mode linear -commits "$linear" -files 100 -touch 2)
	bench_repo "linear ${linear}/100 files" "$src" $((linear / 3))
fi

# --- report ----------------------------------------------------------------------------------
elapsed=$(($(date +%s) - start_time))
{
	echo "## Repository reads"
	echo
	echo "- Command: \`bench/run-git-reads.sh\` (SIZES=\"$sizes\" LINEAR=$linear ROUNDS=$rounds SEED=$seed), $(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed} s in all"
	echo "- Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(go version | cut -d' ' -f3), $(git --version)"
	echo "- cairn built from $built; answers compared before timing (blame, history, pages, trees, contents, compare)"
	echo "- Each figure is the median of $rounds interleaved rounds after a warm-up: one git process against one API request on a kept-alive loopback connection (\`bench/readbench\`), on the same bare repository; wall time, and CPU time (git's rusage; the server's threads' schedstat), which the load from elsewhere on the machine leaves alone (load average $load_start at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end)"
	echo
	echo "| repository | read | git | cairn | cairn / git | git CPU | cairn CPU | cairn / git CPU |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
	awk -F'\t' '{printf "| %s | %s | %.3f s | %.3f s | %.2fx | %.3f s | %.3f s | %.2fx |\n", $1, $2, $3, $4, $4 / $3, $5, $6, ($5 > 0 ? $6 / $5 : 0)}' "$rows"
	echo
	echo "Growth from the smallest to the largest history (figure at the largest / figure at the smallest):"
	echo
	echo "| read | git | cairn | git CPU | cairn CPU |"
	echo "| --- | --- | --- | --- | --- |"
	first=$(echo "$sizes" | awk '{print $1}')
	last=$(echo "$sizes" | awk '{print $NF}')
	awk -F'\t' -v a="history $first" -v b="history $last" '
		{ r = $2; sub(/ \([0-9]+-commit file\)$/, "", r); if (r ~ /^commits page [0-9]+$/ && r != "commits page 1") r = "commits, deep page" }
		$1 == a { g0[r] = $3; c0[r] = $4; gc0[r] = $5; cc0[r] = $6; order[++n] = r }
		$1 == b { g1[r] = $3; c1[r] = $4; gc1[r] = $5; cc1[r] = $6 }
		function ratio(x, y) { return y > 0 ? sprintf("%.1fx", x / y) : "-" }
		END { for (i = 1; i <= n; i++) { r = order[i]; if (r in g1) printf "| %s | %s | %s | %s | %s |\n", r, ratio(g1[r], g0[r]), ratio(c1[r], c0[r]), ratio(gc1[r], gc0[r]), ratio(cc1[r], cc0[r]) } }' "$rows"
} >"$tmp/section.md"
cat "$tmp/section.md"
[ -n "${MD:-}" ] && cp "$tmp/section.md" "$MD"
log "done in ${elapsed} s"
