#!/usr/bin/env bash
# The readmodel stores against real databases: starts a local PostgreSQL
# (.ci/postgres.sh, which installs it when missing), then vets and runs the
# storetests module under the race detector: the store contract on SQLite
# and on PostgreSQL, two instances racing on one PostgreSQL, three followed
# instances measuring the invalidation delay, and instances killed inside a
# hook on a shared SQLite file and on PostgreSQL. With
# GUAPOCADO_PG_DSN set, the PostgreSQL tests cannot skip. Non-interactive and
# safe to run again; leaves the PostgreSQL cluster running for the next run
# (`bash .ci/postgres.sh stop` stops it).
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/postgres.sh >/dev/null
# shellcheck disable=SC1091
source "${GUAPOCADO_PG_DIR:-/tmp/guapocado-pg}/dsn.env"
export GUAPOCADO_PG_DSN

# The long tests (three followed read models and 1,000 events, child
# processes killed inside a hook) are gated by testenv.NeedFull.
export GUAPOCADO_FULL=1

cd storetests
echo "stores.sh: go mod tidy -diff, go vet (storetests module)"
go mod tidy -diff
go vet ./...
echo "stores.sh: go test -count=1 -race -v ./... (storetests module, PostgreSQL at 127.0.0.1)"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
go test -count=1 -race -v ./... >"$out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	cat "$out"
	exit "$status"
fi
# .ci/run's check that every gated test ran reads this log too.
if [ -n "${GUAPOCADO_CI_LOGS:-}" ]; then
	cp "$out" "$GUAPOCADO_CI_LOGS/stores.log"
fi
# Top-level results, what the tests logged, and go test's closing line.
grep -E '^(--- |ok |PASS$)|^    [a-z_]+_test\.go:' "$out"
