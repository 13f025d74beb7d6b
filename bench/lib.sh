# Shared by bench/run-*.sh: where to build cairn from, and a note on how busy the machine is.
# Sourced, not run.

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# build_cairn DIR: build cairn with CGO_ENABLED=0 into DIR/cairn. By default from the working
# tree; with REV set (REV=HEAD, a commit), from a clean snapshot of that commit, so that
# half-finished files of others in a shared checkout are left out; with CAIRN_SRC set, from
# that directory (another checkout, to compare a change against the same reference run).
build_cairn() {
	local out=$1 src=$REPO
	if [ -n "${CAIRN_SRC:-}" ]; then
		src=$CAIRN_SRC
		echo "# cairn built from $src"
	elif [ -n "${REV:-}" ]; then
		src=$out/src
		mkdir -p "$src"
		git -C "$REPO" archive "$REV" | tar -x -C "$src"
		echo "# cairn built from $(git -C "$REPO" rev-parse --short "$REV") (REV=$REV, a clean snapshot)"
	else
		echo "# cairn built from the working tree at $(git -C "$REPO" rev-parse --short HEAD)$(git -C "$REPO" diff --quiet HEAD -- . 2>/dev/null || echo ' + local changes')"
	fi
	(cd "$src" && CGO_ENABLED=0 go build -o "$out/cairn" .)
}

# build_base DIR: with BASE set (a commit, e.g. BASE=main), build a clean snapshot of it into
# DIR/cairn-base, to be measured beside the cairn of build_cairn in the same run; without BASE,
# nothing.
build_base() {
	[ -n "${BASE:-}" ] || return 0
	local src=$1/base-src
	mkdir -p "$src"
	git -C "$REPO" archive "$BASE" | tar -x -C "$src"
	echo "# base built from $(git -C "$REPO" rev-parse --short "$BASE") (BASE=$BASE, a clean snapshot)"
	(cd "$src" && CGO_ENABLED=0 go build -o "$1/cairn-base" .)
}

# build_tool NAME DIR: build bench/NAME (always from the working tree) into DIR/NAME.
build_tool() {
	(cd "$REPO" && CGO_ENABLED=0 go build -o "$2/$1" "./bench/$1")
}

# machine: what the figures were measured on.
machine() {
	echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'); $(go version | cut -d' ' -f3); load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# loadavg: the 1-minute load average, for the record next to each figure.
loadavg() { cut -d' ' -f1 /proc/loadavg; }
