#!/usr/bin/env bash
# The README's test command as a new user meets it: N times (default 1),
# clone this repository's HEAD into a fresh folder and, with empty GOCACHE,
# GOMODCACHE and GOPATH each time, measure
#
#   go test -run '^$' ./...   (compiles and links every test binary, runs no test)
#   go test ./...             (the README's command)
#
# while a CPU-bound load (a loop of `go build -a` of cmd/gofmt with a cache
# of its own) runs beside them. Prints the CPU (user+sys) and wall time of
# both and fails when a run fails, when `go test ./...` costs more than
# MAX_RATIO (default 1.3) times the CPU of the compile-only command, or
# when it downloaded a module the root go.sum does not list. GUAPOCADO_FULL
# is unset: this is the default run. GOPROXY is taken from the environment.
#
# Usage: .ci/fresh.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
runs="${1:-1}"
max="${MAX_RATIO:-1.3}"
work=$(mktemp -d)
load_pid=""
cleanup() {
	if [ -n "$load_pid" ]; then
		kill "$load_pid" 2>/dev/null || true
		wait "$load_pid" 2>/dev/null || true
	fi
	chmod -R u+w "$work" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT

# The load: rebuilds gofmt from scratch (-a) in a loop, with its own cache.
(
	export GOCACHE="$work/load-cache" GOFLAGS=-modcacherw
	while :; do go build -a -o /dev/null cmd/gofmt >/dev/null 2>&1 || sleep 1; done
) &
load_pid=$!

# measure LABEL CMD...: runs CMD in the clone with empty caches and prints
# "LABEL cpu wall" (seconds); the command's output goes to $work/LABEL.log.
measure() {
	local label="$1"
	shift
	chmod -R u+w "$work/env" 2>/dev/null || true
	rm -rf "$work/env"
	mkdir -p "$work/env/gopath" "$work/env/cache"
	local start end status=0
	start=$(date +%s.%N)
	# bash's times: the CPU of this subshell's finished children.
	(
		cd "$work/src"
		env -u GUAPOCADO_FULL -u GOWORK GOPATH="$work/env/gopath" GOMODCACHE="$work/env/gopath/pkg/mod" \
			GOCACHE="$work/env/cache" GOFLAGS="-modcacherw" "$@" >"$work/$label.log" 2>&1 || status=$?
		times >"$work/$label.times"
		exit $status
	) || status=$?
	end=$(date +%s.%N)
	if [ "$status" -ne 0 ]; then
		cat "$work/$label.log" >&2
		echo "fresh.sh: $label failed (exit $status)" >&2
		return 1
	fi
	# times prints the shell's own times, then its children's: "XmY.YYYs XmY.YYYs".
	local cpu
	cpu=$(tail -n 1 "$work/$label.times" | awk '{
		n = 0
		for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); n += p[1] * 60 + p[2] }
		printf "%.1f", n }')
	printf '%s %s %s\n' "$label" "$cpu" "$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')"
}

# downloaded_outside_gosum lists the module versions in the empty module
# cache's download folder that the clone's go.sum does not name.
downloaded_outside_gosum() {
	local dl="$work/env/gopath/pkg/mod/cache/download"
	[ -d "$dl" ] || return 0
	find "$dl" -path '*/@v/*.mod' | sed -e "s|^$dl/||" -e 's|/@v/| |' -e 's|\.mod$||' |
		sed -e 's/!\([a-z]\)/\U\1/g' | while read -r mod ver; do
		grep -q "^$mod $ver[ /]" "$work/src/go.sum" || echo "$mod@$ver"
	done
}

fail=0
printf '%-4s %12s %10s %12s %10s %7s\n' run 'compile CPU' wall 'test CPU' wall ratio
for i in $(seq 1 "$runs"); do
	rm -rf "$work/src"
	git clone -q "$repo" "$work/src"
	read -r _ ccpu cwall < <(measure compile go test -run '^$' ./...) || { fail=1; break; }
	read -r _ tcpu twall < <(measure test go test ./...) || { fail=1; break; }
	extra=$(downloaded_outside_gosum)
	ratio=$(awk -v a="$tcpu" -v b="$ccpu" 'BEGIN { printf "%.2f", a / b }')
	printf '%-4s %11ss %9ss %11ss %9ss %7s\n' "$i" "$ccpu" "$cwall" "$tcpu" "$twall" "$ratio"
	if awk -v r="$ratio" -v m="$max" 'BEGIN { exit !(r > m) }'; then
		echo "fresh.sh: run $i: go test ./... cost $ratio times the CPU of compiling the tests (limit $max)" >&2
		fail=1
	fi
	if [ -n "$extra" ]; then
		echo "fresh.sh: run $i: go test ./... downloaded modules the root go.sum does not list: $extra" >&2
		fail=1
	fi
done
if [ "$fail" -ne 0 ]; then
	exit 1
fi
echo "ok: $runs fresh run(s), each within $max times the CPU of compiling the tests, downloading only what go.sum lists"
