#!/usr/bin/env bash
# Git transport figures of issue 3's Speed section, measured side by side in one run against
# cairn and against C git's own server (`git http-backend` as CGI behind lighttpd on loopback),
# on repositories generated here with `git fast-import` (stream from bench/gitgen, fixed seed):
#   A  >= 10,000 commits, ~90,000 objects, ~2,600 text files in nested directories with small
#      edits, adds, deletes, renames, merges, five 1-5 MB binary blobs; a bare repository
#      packed with `git repack -adf --window=10` (git writes a .bitmap there by default, as on
#      a real server)
#   B  a small history with 150 branches and 150 tags (half lightweight, half annotated)
# Each measured in RUNS alternating rounds (median; git client on the same machine, protocol v2):
#   clone A (`git clone --bare`)   target cairn <= 1.5x http-backend
#   no-op fetch on an up-to-date clone of A (and of B)   target <= 2x
#   push of A into an empty repository (refs/heads/* and refs/tags/*)   target <= 2x
#   clone B (many refs), a no-op fetch of B
#   the server alone: the upload-pack response to a clone's request of A, read by curl
#   clone A and the response alone again from a second copy of A in cairn, repacked in place by
#   C git with a bitmap (cairn reads C git's bitmaps; for what is pushed to it, it writes its own
#   in the background, repacking first when no one pack holds the history, so its copy of A is
#   also served from a bitmap, one cairn wrote)
#   server peak RSS during one clone of A   target < 2x the pack size
#     cairn: VmHWM of the cairn process, freshly restarted, after the clone;
#     http-backend: the largest peak RSS among the git processes serving the clone's requests
#     (http-backend, upload-pack, pack-objects; /usr/bin/time -f %M around git-http-backend,
#     which reports the maximum over the process and the children it waited for).
# Usage: bench/run-git.sh   env: RUNS=5, COMMITS=10000, SEED=1, REV=HEAD (build cairn from a clean
# snapshot of a commit instead of the working tree), MD=FILE (also write the markdown section
# there), KEEP=1 (keep the temporary directory), WAIT_IDLE=SECONDS (first wait up to that long
# for the machine to be under 25% busy: it may be shared).
#
# bench/run-git.sh scale: pushes along a size axis instead (bench/git-scale.sh: repositories of
# 5,000, 50,000 and 200,000 commits, a 50,000-file tree, 200 MB of binaries; generated once and
# kept under BENCH_CACHE). It takes from minutes to an hour: keep it out of CI.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mode=${1:-standard}
case $mode in
standard | scale) ;;
*)
	echo "usage: bench/run-git.sh [scale]" >&2
	exit 2
	;;
esac
# Generated repositories of the scale mode outlive the run: they take minutes to make.
cache=${BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cairn-bench}
runs=${RUNS:-5}
commits=${COMMITS:-10000}
seed=${SEED:-1}
start_time=$(date +%s)

need() { # need COMMAND PACKAGE
	command -v "$1" >/dev/null && return 0
	echo "# installing $2" >&2
	apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y "$2" >/dev/null; }
}
need lighttpd lighttpd
[ -x /usr/bin/time ] || need /usr/bin/time time
backend=$(git --exec-path)/git-http-backend
[ -x "$backend" ] || { echo "no $backend" >&2; exit 1; }
# lighttpd's package may start a system instance on port 80; ours is separate and on loopback.

tmp=$(mktemp -d /tmp/run-git.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	if [ -n "${KEEP:-}" ]; then echo "# kept $tmp" >&2; else rm -rf "$tmp"; fi
}
trap cleanup EXIT

log() { echo "# $(date -u +%H:%M:%S) $*" >&2; }
machine="$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(free -g | awk '/^Mem/{print $2}') GB RAM, $(uname -r)"
versions="$(go version | cut -d' ' -f3), $(git --version), $(lighttpd -v 2>&1 | head -1 | cut -d' ' -f1)"

# --- build ---------------------------------------------------------------------------------
src=$repo
if [ -n "${REV:-}" ]; then
	src=$tmp/src
	mkdir -p "$src"
	git -C "$repo" archive "$REV" | tar -x -C "$src"
	built="$(git -C "$repo" rev-parse --short "$REV") (REV=$REV, clean snapshot)"
else
	built="the working tree at $(git -C "$repo" rev-parse --short HEAD)$(git -C "$repo" diff --quiet HEAD -- . 2>/dev/null || echo ' + local changes')"
fi
log "building cairn from $built"
(cd "$src" && CGO_ENABLED=0 go build -o "$tmp/cairn" .)
(cd "$repo" && CGO_ENABLED=0 go build -o "$tmp/gitgen" ./bench/gitgen)

# From here on, the git client: no user or system configuration, no prompts (after
# the builds: go keeps its caches under HOME).
export HOME=$tmp/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
mkdir -p "$HOME"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main

# --- repositories --------------------------------------------------------------------------
root=$tmp/hb # GIT_PROJECT_ROOT
mkdir -p "$root"
gen() { # gen NAME GITGEN-ARGS...
	local dir=$root/$1.git
	shift
	git init -q --bare "$dir"
	"$tmp/gitgen" -seed "$seed" "$@" | git -C "$dir" fast-import --quiet
	git -C "$dir" symbolic-ref HEAD refs/heads/main
	git -C "$dir" repack -adf --window=10 -q
	git -C "$dir" config http.receivepack true
}
# An empty repository, to tell when the server is up.
git init -q --bare "$root/ping.git"

# --- git http-backend behind lighttpd --------------------------------------------------------
# /git runs git-http-backend directly; /mem runs it under /usr/bin/time, for the memory figure.
cat >"$tmp/hb-time.sh" <<EOF
#!/bin/sh
exec /usr/bin/time -a -o $tmp/hb-rss.log -f "%M %e" $backend
EOF
chmod +x "$tmp/hb-time.sh"
mkdir -p "$tmp/www" "$tmp/lighttpd-tmp"
start_lighttpd() {
	local port
	for _ in $(seq 20); do
		port=$((20000 + RANDOM % 20000))
		cat >"$tmp/lighttpd.conf" <<EOF
server.modules = ("mod_alias", "mod_setenv", "mod_cgi")
server.document-root = "$tmp/www"
server.bind = "127.0.0.1"
server.port = $port
server.errorlog = "$tmp/lighttpd.log"
server.upload-dirs = ("$tmp/lighttpd-tmp")
server.max-request-size = 0
server.stream-request-body = 0 # lighttpd needs the length of a chunked push body for CGI: it buffers it
server.stream-response-body = 1
alias.url = ("/git" => "$backend", "/mem" => "$tmp/hb-time.sh")
\$HTTP["url"] =~ "^/(git|mem)/" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$root", "GIT_HTTP_EXPORT_ALL" => "1")
}
EOF
		lighttpd -D -f "$tmp/lighttpd.conf" &
		local pid=$!
		for _ in $(seq 50); do
			if curl -sf -o /dev/null "http://127.0.0.1:$port/git/ping.git/info/refs?service=git-upload-pack"; then
				pids+=("$pid")
				hb=http://127.0.0.1:$port
				return 0
			fi
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	echo "cannot start lighttpd" >&2
	exit 1
}
start_lighttpd

# --- cairn ---------------------------------------------------------------------------------
token=bench-$RANDOM$RANDOM
cairn_pid=
start_cairn() {
	rm -f "$tmp/cairn.ready"
	"$tmp/cairn" serve --data-dir "$tmp/cairn-data" --addr 127.0.0.1:0 --admin-token "$token" \
		--no-rate-limit --log-format json --ready-file "$tmp/cairn.ready" 2>>"$tmp/cairn.log" &
	cairn_pid=$!
	pids+=("$cairn_pid")
	for _ in $(seq 600); do [ -s "$tmp/cairn.ready" ] && break; sleep 0.05; done
	cairn=$(sed -n 's/.*"url": *"\([^"]*\)".*/\1/p' "$tmp/cairn.ready")
	[ -n "$cairn" ] || { echo "cairn did not start" >&2; cat "$tmp/cairn.log" >&2; exit 1; }
	cairn_git=${cairn/http:\/\//http:\/\/oauth2:$token@}
}
stop_cairn() {
	kill "$cairn_pid"
	wait "$cairn_pid" 2>/dev/null || true
}
first_id() { grep -o '"id": *[0-9]*' | head -1 | grep -o '[0-9]*$'; }
create_project() { # create_project NAME: prints the id
	curl -sf -H "PRIVATE-TOKEN: $token" -d "name=$1" "$cairn/api/v4/projects" | first_id
}
start_cairn

# --- measurements --------------------------------------------------------------------------
# measure NAME RUNS WARMUP [SIDES]: runs each side's command ($hb_cmd, $cairn_cmd, ...; each
# after its untimed *_prep) once per round, the order rotating from round to round, so that a
# burst of load from elsewhere on the machine hits every side alike. Wall times (bash's
# EPOCHREALTIME) land in $tmp/NAME.SIDE, one per line. SIDES defaults to "hb cairn".
measure() {
	local name=$1 n=$2 warm=$3 i k side t0 t1 prep cmd
	local -a sides=(${4:-hb cairn})
	log "$name ($n rounds, load $(cut -d' ' -f1 /proc/loadavg))"
	for side in "${sides[@]}"; do : >"$tmp/$name.$side"; done
	for ((i = -warm; i < n; i++)); do
		for ((k = 0; k < ${#sides[@]}; k++)); do
			side=${sides[(k + i + warm) % ${#sides[@]}]}
			prep=${side}_prep cmd=${side}_cmd
			if [ -n "${!prep:-}" ]; then eval "${!prep}" >/dev/null 2>>"$tmp/errors.log"; fi
			t0=$EPOCHREALTIME
			eval "${!cmd}" >/dev/null 2>>"$tmp/errors.log" ||
				{ echo "$name: $side failed: ${!cmd}" >&2; tail -5 "$tmp/errors.log" >&2; exit 1; }
			t1=$EPOCHREALTIME
			if ((i >= 0)); then awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.6f\n", b - a}' >>"$tmp/$name.$side"; fi
		done
	done
	hb_prep= cairn_prep= cairnbm_prep=
}
stat_of() { # stat_of NAME SIDE: "median min max"
	sort -g "$tmp/$1.$2" | awk '{v[NR] = $1} END{m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'
}
# busy SECONDS: how busy the machine's CPUs are (percent, from /proc/stat) over that time.
# Other work on a shared machine shows here; the alternating rounds share it out fairly.
busy() {
	local a b
	a=$(head -1 /proc/stat)
	sleep "$1"
	b=$(head -1 /proc/stat)
	echo "$a" "$b" | awk '{n = (NF - 2) / 2; for (i = 2; i <= 1 + n; i++) { d = $(i + n + 1) - $i; t += d; if (i == 5 || i == 6) idle += d }
		printf "%.0f", t ? 100 * (t - idle) / t : 0}'
}
# WAIT_IDLE=SECONDS: first wait, up to that long, for the machine to be less than 25% busy over 10 s.
if [ "${WAIT_IDLE:-0}" -gt 0 ]; then
	deadline=$(($(date +%s) + WAIT_IDLE))
	while b=$(busy 10) && [ "$b" -ge 25 ] && [ "$(date +%s)" -lt "$deadline" ]; do log "machine $b% busy, waiting"; done
fi
mb() { awk -v b="$1" 'BEGIN{printf "%.1f MB", b/1e6}'; }
row() { # row LABEL NAME TARGET-RATIO [SIDE]: median (min-max) of http-backend and of SIDE (cairn)
	read -r hm hlo hhi <<<"$(stat_of "$2" hb)"
	read -r cm clo chi <<<"$(stat_of "$2" "${4:-cairn}")"
	awk -v l="$1" -v h="$hm" -v hlo="$hlo" -v hhi="$hhi" -v c="$cm" -v clo="$clo" -v chi="$chi" -v t="$3" 'BEGIN{
		f = (h < 1 && c < 1) ? "%.3f" : "%.2f"
		r = c / h
		tt = (t == "") ? "" : sprintf("<= %sx", t)
		ok = (t == "") ? "" : (r <= t ? "yes" : "**no**")
		printf "| %s | " f " s (" f "-" f ") | " f " s (" f "-" f ") | %.2fx | %s | %s |\n", l, h, hlo, hhi, c, clo, chi, r, tt, ok }'
}
memrow() { # memrow LABEL KiB
	awk -v l="$1" -v k="$2" -v p="$packA" 'BEGIN{
		r = k*1024/p; printf "| %s | %.0f MB | %.2fx pack | < 2x pack | %s |\n", l, k*1024/1e6, r, (r < 2 ? "yes" : "**no**") }'
}

if [ "$mode" = scale ]; then
	source "$repo/bench/git-scale.sh"
	scale_run
	exit 0
fi

# --- repositories --------------------------------------------------------------------------
log "generating A ($commits commits) and B"
t0=$(date +%s.%N)
gen A -mode history -commits "$commits"
gen B -mode refs -branches 150 -tags 150
gen_secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{print b - a}')
packA=$(stat -c %s "$root"/A.git/objects/pack/*.pack)
objsA=$(git -C "$root/A.git" count-objects -v | awk '/^in-pack/{print $2}')
commitsA=$(git -C "$root/A.git" rev-list --all --count)
refsA=$(git -C "$root/A.git" for-each-ref | wc -l)
filesA=$(git -C "$root/A.git" ls-tree -r main | wc -l)
refsB=$(git -C "$root/B.git" for-each-ref | wc -l)
branchesB=$(git -C "$root/B.git" for-each-ref refs/heads | wc -l)
tagsB=$(git -C "$root/B.git" for-each-ref refs/tags | wc -l)
atagsB=$(git -C "$root/B.git" for-each-ref --format='%(objecttype)' refs/tags | grep -c tag || true)
packB=$(stat -c %s "$root"/B.git/objects/pack/*.pack)
bitmapA=$(ls "$root"/A.git/objects/pack/*.bitmap >/dev/null 2>&1 && echo yes || echo no)
log "A: $commitsA commits, $objsA objects, $filesA files at main, $refsA refs, pack $packA bytes, bitmap $bitmapA; B: $branchesB branches, $tagsB tags ($atagsB annotated), pack $packB bytes ($(printf '%.1f' "$gen_secs") s)"

refspecs=('refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*')
for r in A B; do
	id=$(create_project "$(echo $r | tr AB ab)")
	[ -n "$id" ] || { echo "cannot create project $r" >&2; exit 1; }
	git -C "$root/$r.git" push -q "$cairn_git/root/$(echo $r | tr AB ab).git" "${refspecs[@]}"
done
idA=$(curl -sf -H "PRIVATE-TOKEN: $token" "$cairn/api/v4/projects/root%2Fa" | first_id)
cairn_packA=$(cat "$tmp"/cairn-data/repositories/"$idA".git/objects/pack/*.pack 2>/dev/null | wc -c)
# A second copy of A in cairn, repacked on the server by C git with a reachability bitmap, as an
# imported or admin-repacked repository would be: cairn reads C git's bitmaps (for what it
# receives it writes its own after the push).
idA2=$(create_project a-bitmap)
git -C "$root/A.git" push -q "$cairn_git/root/a-bitmap.git" "${refspecs[@]}"
git -C "$tmp/cairn-data/repositories/$idA2.git" repack -adb -q
log "lighttpd at $hb, cairn at $cairn; A pushed into cairn (its packs: $cairn_packA bytes)"

fruns=$((runs > 10 ? runs : 10))
busy_start=$(busy 2)
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
log "machine $busy_start% busy from elsewhere before the measurements"

hb_prep="rm -rf $tmp/clone" hb_cmd="git clone -q --bare $hb/git/A.git $tmp/clone"
cairn_prep="rm -rf $tmp/clone" cairn_cmd="git clone -q --bare $cairn_git/root/a.git $tmp/clone"
cairnbm_prep="rm -rf $tmp/clone" cairnbm_cmd="git clone -q --bare $cairn_git/root/a-bitmap.git $tmp/clone"
measure clone-A "$runs" 0 "hb cairn cairnbm"

for s in hb cairn; do
	url=$hb/git/A.git
	[ $s = cairn ] && url=$cairn_git/root/a.git
	git clone -q --bare "$url" "$tmp/upToDate-A-$s"
	url=$hb/git/B.git
	[ $s = cairn ] && url=$cairn_git/root/b.git
	git clone -q --bare "$url" "$tmp/upToDate-B-$s"
done
# Both servers must have handed out the same refs and complete repositories.
for r in A B; do
	a=$(git -C "$tmp/upToDate-$r-hb" for-each-ref --format='%(objectname) %(refname)')
	b=$(git -C "$tmp/upToDate-$r-cairn" for-each-ref --format='%(objectname) %(refname)')
	[ "$a" = "$b" ] || { echo "clones of $r differ between the servers" >&2; exit 1; }
	git -C "$tmp/upToDate-$r-cairn" fsck --connectivity-only --no-progress 2>/dev/null ||
		{ echo "the clone of $r from cairn is incomplete" >&2; exit 1; }
done
clone_pack_hb=$(stat -c %s "$tmp"/upToDate-A-hb/objects/pack/*.pack)
clone_pack_cairn=$(stat -c %s "$tmp"/upToDate-A-cairn/objects/pack/*.pack)

hb_cmd="git -C $tmp/upToDate-A-hb fetch -q origin" cairn_cmd="git -C $tmp/upToDate-A-cairn fetch -q origin"
measure fetch-A "$fruns" 1
hb_cmd="git -C $tmp/upToDate-B-hb fetch -q origin" cairn_cmd="git -C $tmp/upToDate-B-cairn fetch -q origin"
measure fetch-B "$fruns" 1

hb_prep="rm -rf $tmp/clone" hb_cmd="git clone -q --bare $hb/git/B.git $tmp/clone"
cairn_prep="rm -rf $tmp/clone" cairn_cmd="git clone -q --bare $cairn_git/root/b.git $tmp/clone"
measure clone-B "$fruns" 1

# The server alone: the upload-pack response to a clone's request (protocol v0, every ref
# wanted, done), read by curl and thrown away: no index-pack on the client side.
pkt() { printf '%04x%s' $((${#1} + 4)) "$1"; }
{
	caps=" multi_ack_detailed no-done side-band-64k thin-pack no-progress ofs-delta agent=git/$(git --version | cut -d' ' -f3)"
	for h in $(git -C "$root/A.git" for-each-ref --format='%(objectname)' | sort -u); do
		pkt "want $h$caps"$'\n'
		caps=
	done
	printf 0000
	pkt $'done\n'
} >"$tmp/clone-A.req"
post="curl -sf -o /dev/null -H 'Content-Type: application/x-git-upload-pack-request' --data-binary @$tmp/clone-A.req"
hb_cmd="$post $hb/git/A.git/git-upload-pack" cairn_cmd="$post $cairn_git/root/a.git/git-upload-pack"
cairnbm_cmd="$post $cairn_git/root/a-bitmap.git/git-upload-pack"
measure serve-A "$fruns" 1 "hb cairn cairnbm"

# Push: a fresh empty repository before each run (a bare repo with receivepack; a new project).
push_n=0
new_cairn_target() {
	push_n=$((push_n + 1))
	curl -sf -o /dev/null -H "PRIVATE-TOKEN: $token" -d "name=push$push_n" "$cairn/api/v4/projects"
}
hb_prep="rm -rf $root/push.git && git init -q --bare $root/push.git && git -C $root/push.git config http.receivepack true"
hb_cmd="git -C $root/A.git push -q $hb/git/push.git '${refspecs[0]}' '${refspecs[1]}'"
cairn_prep=new_cairn_target
cairn_cmd="git -C $root/A.git push -q $cairn_git/root/push\$push_n.git '${refspecs[0]}' '${refspecs[1]}'"
measure push-A "$runs" 0
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# Peak memory during one clone of A. http-backend: the largest %M among the requests' process
# trees. cairn: restarted, so that VmHWM holds only this clone (and startup).
log "peak memory"
rm -rf "$tmp/clone" "$tmp/hb-rss.log"
git clone -q --bare "$hb/mem/A.git" "$tmp/clone"
mem_hb=$(awk 'BEGIN{m=0} $1+0 > m {m=$1+0} END{print m}' "$tmp/hb-rss.log") # KiB
rm -rf "$tmp/clone"
stop_cairn
start_cairn
sleep 1
idle_cairn=$(awk '/^VmHWM/{print $2}' /proc/"$cairn_pid"/status)
git clone -q --bare "$cairn_git/root/a.git" "$tmp/clone"
mem_cairn=$(awk '/^VmHWM/{print $2}' /proc/"$cairn_pid"/status) # KiB
rm -rf "$tmp/clone"
stop_cairn
start_cairn
sleep 1
git clone -q --bare "$cairn_git/root/a-bitmap.git" "$tmp/clone"
mem_cairnbm=$(awk '/^VmHWM/{print $2}' /proc/"$cairn_pid"/status) # KiB
rm -rf "$tmp/clone"

# --- report --------------------------------------------------------------------------------
elapsed=$(($(date +%s) - start_time))
{
	echo "## Git transport"
	echo
	echo "Issue 3's Speed section: cairn against C git's \`git http-backend\` (CGI behind lighttpd on"
	echo "loopback, \`http.receivepack\` on), side by side in one run, on repositories generated by the"
	echo "run with \`git fast-import\` (\`bench/gitgen\`, seed $seed)."
	echo
	echo "- Command: \`bench/run-git.sh\` (RUNS=$runs COMMITS=$commits), $(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed} s in all"
	echo "- Machine: $machine; $versions"
	echo "- cairn built from $built"
	echo "- A: $commitsA commits, $objsA objects, $filesA files at main, $refsA refs; packed by \`git repack -adf --window=10\` into $(mb "$packA") (bitmap: $bitmapA); cairn stores it as pushed: $(mb "$cairn_packA")"
	echo "- B: $branchesB branches, $tagsB tags ($atagsB annotated), pack $(mb "$packB")"
	echo "- Each figure is the median wall time of $runs rounds (no-op fetches, clone B and the upload-pack response alone: $fruns, after a warm-up round); in each round both servers run once, in alternating order, so that load from elsewhere hits both alike; before the measurements the machine was $busy_start% busy with other work (load average $load_start), at the end load average $load_end"
	echo "- git client on the same machine (protocol v2 for clone and fetch); clones are \`git clone --bare\`; a push sends \`refs/heads/*\` and \`refs/tags/*\` of A into a fresh bare repository / new project; lighttpd buffers a push body before starting the CGI (it needs the length of git's chunked body), cairn streams it"
	echo "- Packs received by the clones of A: http-backend $(mb "$clone_pack_hb"), cairn $(mb "$clone_pack_cairn")"
	echo "- Peak memory during one clone of A: cairn = VmHWM of the freshly restarted process after the clone (idle: $(awk -v k="$idle_cairn" 'BEGIN{printf "%.0f MB", k*1024/1e6}')); http-backend = largest peak RSS of the git processes serving the clone (\`/usr/bin/time -f %M\` around git-http-backend: pack-objects dominates; lighttpd not counted)"
	echo
	echo "| measure | http-backend, median (min-max) | cairn, median (min-max) | cairn / http-backend | target | met |"
	echo "| --- | --- | --- | --- | --- | --- |"
	row "clone A" clone-A 1.5
	row "clone A, cairn's copy repacked by C git with a bitmap" clone-A 1.5 cairnbm
	row "upload-pack response alone, clone A (curl)" serve-A ""
	row "upload-pack response alone, clone A, with a bitmap" serve-A "" cairnbm
	row "no-op fetch A" fetch-A 2
	row "no-op fetch B (300 refs)" fetch-B ""
	row "push A into an empty repository" push-A 2
	row "clone B (300 refs)" clone-B ""
	awk -v h="$mem_hb" -v c="$mem_cairn" 'BEGIN{printf "| server peak RSS, clone A | %.0f MB | %.0f MB | %.2fx | | |\n", h*1024/1e6, c*1024/1e6, c/h}'
	echo
	echo "Rows \"with a bitmap\": cairn serving a second copy of A that C git repacked in place on the server"
	echo "(\`git repack -adb\`), as an imported or admin-repacked repository would be; cairn reads C git's"
	echo "bitmaps, and writes its own for what is pushed to it once the push has settled."
	echo
	echo "| server peak RSS during a clone of A / pack size ($(mb "$packA")) | | | target | met |"
	echo "| --- | --- | --- | --- | --- |"
	memrow "http-backend (pack-objects)" "$mem_hb"
	memrow "cairn" "$mem_cairn"
	memrow "cairn, its copy repacked by C git with a bitmap" "$mem_cairnbm"
} >"$tmp/section.md"
cat "$tmp/section.md"
[ -n "${MD:-}" ] && cp "$tmp/section.md" "$MD"
log "done in ${elapsed} s"
