# The size axis of bench/run-git.sh (`bench/run-git.sh scale`): pushes into cairn and into C
# git's `git http-backend` side by side, on generated repositories of growing size. Sourced by
# run-git.sh once both servers are up; it uses that script's servers and helpers.
#
# Repositories (bench/gitgen, seed SEED, packed with `git repack -adf --window=10`), made once
# and kept under BENCH_CACHE (default ~/.cache/cairn-bench; the 200,000-commit one takes
# about a quarter of an hour), keyed by their gitgen arguments and the start of gitgen's stream:
#   5k, 50k, 200k   history of 5,000, 50,000, 200,000 commits (13, 121, 481 refs)
#   wide            5,000 commits over a tree of 50,000 files
#   binaries        5,000 commits and 200 MB of incompressible files
# For each, in RUNS (3) rounds, the two servers in alternating order, each push started once
# the previous one's work (cairn's background bitmap job included) has settled:
#   push of the whole history (refs/heads/* and refs/tags/*) into an empty repository/project
#   push of 100 new commits onto main (each editing one text file) of the repository the
#     last of those pushes made; one warm-up round
# then the server's peak RSS during one push of the whole history beside the pack's size
# (http-backend: /usr/bin/time around git-http-backend, the largest of receive-pack,
# index-pack and rev-list; cairn: VmHWM of a freshly started process, read when the push
# returns and again once its background work is done), and for the largest history, cairn's
# VmHWM and VmRSS after each of GROWTH (5) such pushes in a row, which must not grow.
# env: SIZES="5k 50k 200k wide binaries", RUNS=3, GROWTH=5, BENCH_CACHE=DIR.

# cached_repo NAME GITGEN-ARGS...: prints the path of a generated repository, made on first use.
cached_repo() {
	local name=$1 key dir
	shift
	key=$( (
		printf '%s\n' "$seed" "$@"
		"$tmp/gitgen" -seed "$seed" "$@" | head -c 4000000 || true
	) | sha1sum | cut -c1-12)
	dir=$cache/$name-$key.git
	if [ ! -d "$dir" ]; then
		log "generating $name (gitgen $*) into $cache, once"
		mkdir -p "$cache"
		rm -rf "$dir.tmp"
		git init -q --bare "$dir.tmp"
		"$tmp/gitgen" -seed "$seed" "$@" | git -C "$dir.tmp" fast-import --quiet
		git -C "$dir.tmp" symbolic-ref HEAD refs/heads/main
		git -C "$dir.tmp" repack -adf --window=10 -q
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

size_args() { # size_args SIZE: gitgen's arguments for a repository of the axis
	case $1 in
	5k) echo -mode history -commits 5000 ;;
	50k) echo -mode history -commits 50000 ;;
	200k) echo -mode history -commits 200000 ;;
	wide) echo -mode history -commits 5000 -files 50000 ;;
	binaries) echo -mode history -commits 5000 -binaries 200 ;;
	*)
		echo "unknown size $1" >&2
		return 1
		;;
	esac
}

# settle: waits until cairn has used less than 3% of a core for a second (its background
# work after a push is done), at most 10 minutes.
settle() {
	local a b i
	for ((i = 0; i < 600; i++)); do
		a=$(awk '{print $14 + $15}' /proc/"$cairn_pid"/stat)
		sleep 1
		b=$(awk '{print $14 + $15}' /proc/"$cairn_pid"/stat)
		((b - a < 3)) && return 0
	done
}

kib() { awk -v k="$1" 'BEGIN{printf "%.0f MB", k*1024/1e6}'; }
status_kib() { awk -v f="$1" '$1 == f":" {print $2}' /proc/"$cairn_pid"/status; } # status_kib VmHWM

# extend SRC N: a repository sharing SRC's objects, whose refs/heads/next runs N commits past
# main, each appending a line to one of main's text files.
extend() {
	local src=$1 n=$2 dir=$tmp/ext.git i p
	rm -rf "$dir"
	git clone -q --bare --shared "$src" "$dir"
	mapfile -t paths < <(git -C "$dir" ls-tree -r --name-only main | grep '\.go$' | awk 'NR % 7 == 3')
	{
		for ((i = 1; i <= n; i++)); do
			p=${paths[i % ${#paths[@]}]}
			echo "commit refs/heads/next"
			echo "mark :$i"
			echo "committer bench <bench@example.com> $((1900000000 + i)) +0000"
			echo "data 12"
			printf 'edit %06d\n' "$i"
			if ((i == 1)); then echo "from refs/heads/main^0"; else echo "from :$((i - 1))"; fi
			echo "M 100644 inline $p"
			{
				git -C "$dir" cat-file blob "main:$p"
				printf '// edit %d\n' "$i"
			} >"$tmp/ext.blob"
			echo "data $(stat -c %s "$tmp/ext.blob")"
			cat "$tmp/ext.blob"
			echo
		done
	} | git -C "$dir" fast-import --quiet
	mapfile -t chain < <(git -C "$dir" rev-list --reverse main..next)
}

scale_run() {
	local sizes=${SIZES:-5k 50k 200k wide binaries} n=${RUNS:-3} growth=${GROWTH:-5}
	local size src args largest=
	for size in $sizes; do
		case $size in 5k | 50k | 200k) largest=$size ;; esac
	done
	: >"$tmp/scale.rows"
	: >"$tmp/scale.mem"
	: >"$tmp/scale.repos"
	local busy_start load_start
	busy_start=$(busy 2)
	load_start=$(cut -d' ' -f1-3 /proc/loadavg)
	for size in $sizes; do
		args=$(size_args "$size")
		# shellcheck disable=SC2086
		src=$(cached_repo "$size" $args)
		local pack objs commits refs files
		pack=$(du -cb "$src"/objects/pack/*.pack | tail -1 | cut -f1)
		objs=$(git -C "$src" count-objects -v | awk '/^in-pack/{print $2}')
		commits=$(git -C "$src" rev-list --all --count)
		refs=$(git -C "$src" for-each-ref | wc -l)
		files=$(git -C "$src" ls-tree -r main | wc -l)
		log "$size: $commits commits, $objs objects, $refs refs, $files files at main, pack $pack bytes"
		echo "| $size | \`gitgen $args\` | $commits | $objs | $refs | $files | $(mb "$pack") |" >>"$tmp/scale.repos"

		# Whole history into an empty repository / a new project.
		local hb_target=scale-$size.git cairn_target=
		push_n=${push_n:-0}
		new_cairn_project() {
			if [ -n "$cairn_target" ]; then
				curl -sf -o /dev/null -X DELETE -H "PRIVATE-TOKEN: $token" "$cairn/api/v4/projects/root%2F$cairn_target"
			fi
			push_n=$((push_n + 1))
			cairn_target=push$push_n
			create_project "$cairn_target" >/dev/null
		}
		hb_prep="settle; rm -rf $root/$hb_target && git init -q --bare $root/$hb_target && git -C $root/$hb_target config http.receivepack true"
		hb_cmd="git -C $src push -q $hb/git/$hb_target 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'"
		cairn_prep="settle; new_cairn_project"
		cairn_cmd="git -C $src push -q $cairn_git/root/\$cairn_target.git 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'"
		measure "push-all-$size" "$n" 0
		row "$size: push of the whole history ($refs refs)" "push-all-$size" 1.5 >>"$tmp/scale.rows"

		# 100 new commits onto main of what the last round pushed.
		extend "$src" $(((n + 1) * 100))
		hb_k=0 cairn_k=0
		hb_prep="settle; hb_k=\$((hb_k + 1))"
		hb_cmd='git -C $tmp/ext.git push -q $hb/git/$hb_target ${chain[hb_k * 100 - 1]}:refs/heads/main'
		cairn_prep="settle; cairn_k=\$((cairn_k + 1))"
		cairn_cmd='git -C $tmp/ext.git push -q $cairn_git/root/$cairn_target.git ${chain[cairn_k * 100 - 1]}:refs/heads/main'
		measure "push-100-$size" "$n" 1
		row "$size: push of 100 new commits" "push-100-$size" 1.5 >>"$tmp/scale.rows"
		settle
		local id cdir
		id=$(curl -sf -H "PRIVATE-TOKEN: $token" "$cairn/api/v4/projects/root%2F$cairn_target" | first_id)
		cdir=$tmp/cairn-data/repositories/$id.git
		log "git fsck of cairn's copy after both kinds of push"
		git -C "$cdir" fsck --no-progress --no-dangling 2>>"$tmp/errors.log" ||
			{ echo "git fsck failed on cairn's copy of $size" >&2; exit 1; }
		[ "$(git -C "$cdir" rev-parse main)" = "${chain[cairn_k * 100 - 1]}" ] ||
			{ echo "cairn's main is not where the pushes left it" >&2; exit 1; }

		# Peak memory of one push of the whole history, and its growth over pushes in a row.
		rm -rf "$root/mem.git" "$tmp/hb-rss.log"
		git init -q --bare "$root/mem.git"
		git -C "$root/mem.git" config http.receivepack true
		git -C "$src" push -q "$hb/mem/mem.git" 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
		local mem_hb mem_push mem_all rounds=1 hwms= rsss=
		mem_hb=$(awk 'BEGIN{m=0} $1+0 > m {m=$1+0} END{print m}' "$tmp/hb-rss.log")
		rm -rf "$root/mem.git"
		stop_cairn
		start_cairn
		sleep 1
		[ "$size" = "$largest" ] && rounds=$growth
		for ((r = 1; r <= rounds; r++)); do
			new_cairn_project
			git -C "$src" push -q "$cairn_git/root/$cairn_target.git" 'refs/heads/*:refs/heads/*' 'refs/tags/*:refs/tags/*'
			((r == 1)) && mem_push=$(status_kib VmHWM)
			settle
			((r == 1)) && mem_all=$(status_kib VmHWM)
			hwms+="${hwms:+, }$(kib "$(status_kib VmHWM)")"
			rsss+="${rsss:+, }$(kib "$(status_kib VmRSS)")"
		done
		awk -v s="$size" -v p="$pack" -v h="$mem_hb" -v c="$mem_push" -v a="$mem_all" 'BEGIN{
			printf "| %s | %.1f MB | %.0f MB (%.2fx) | %.0f MB (%.2fx) | %.0f MB | **%.2fx** | %s |\n", s, p/1e6,
				h*1024/1e6, h*1024/p, c*1024/1e6, c*1024/p, a*1024/1e6, c/h, (c/h <= 1.5 ? "yes" : "**no**") }' >>"$tmp/scale.mem"
		if ((rounds > 1)); then
			echo "$size, $rounds pushes of the whole history in a row into new projects: VmHWM after each $hwms; VmRSS after each $rsss" >>"$tmp/scale.growth"
		fi
	done
	local elapsed=$(($(date +%s) - start_time))
	{
		echo "## Git push at scale"
		echo
		echo "cairn against C git's \`git http-backend\` (CGI behind lighttpd on loopback, \`http.receivepack\` on),"
		echo "side by side in one run, on repositories generated by \`bench/gitgen\` (seed $seed) and packed by"
		echo "\`git repack -adf --window=10\`."
		echo
		echo "- Command: \`bench/run-git.sh scale\` (SIZES=\"$sizes\" RUNS=$n GROWTH=$growth), $(date -u '+%Y-%m-%d %H:%M UTC'), ${elapsed} s in all"
		echo "- Machine: $machine; $versions"
		echo "- cairn built from $built"
		echo "- Before the measurements the machine was $busy_start% busy with other work (load average $load_start); at the end load average $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "- Each time is the median of $n rounds; in each round both servers push once, in alternating order, each once the previous push's work has settled (cairn's background bitmap job included); a push of 100 commits goes onto main of the repository the last whole-history push made, after one warm-up round; \`git fsck\` of cairn's copy is clean after both"
		echo
		echo "| repository | generated by | commits | objects | refs | files at main | pack |"
		echo "| --- | --- | --- | --- | --- | --- | --- |"
		cat "$tmp/scale.repos"
		echo
		echo "| measure | http-backend, median (min-max) | cairn, median (min-max) | cairn / http-backend | target | met |"
		echo "| --- | --- | --- | --- | --- | --- |"
		cat "$tmp/scale.rows"
		echo
		echo "Server peak RSS during one push of the whole history (http-backend: the largest of the git processes serving it; cairn: VmHWM of a freshly started process when the push returns, and once its background work is done):"
		echo
		echo "| repository | pack | http-backend (/ pack) | cairn (/ pack) | cairn with its background work | cairn / http-backend | <= 1.5x |"
		echo "| --- | --- | --- | --- | --- | --- | --- |"
		cat "$tmp/scale.mem"
		if [ -s "$tmp/scale.growth" ]; then
			echo
			cat "$tmp/scale.growth"
		fi
	} >"$tmp/section.md"
	cat "$tmp/section.md"
	[ -n "${MD:-}" ] && cp "$tmp/section.md" "$MD"
	log "done in ${elapsed} s"
}
