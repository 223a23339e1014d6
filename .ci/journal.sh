#!/usr/bin/env bash
# The metering journal (journal module) on real databases: starts a local
# PostgreSQL (.ci/postgres.sh, which installs it when missing), then vets,
# staticchecks and tests the journal module: the quick tests under the race
# detector, then the long ones (GUAPOCADO_FULL=1): the crash harness (500
# SIGKILLed worker processes on SQLite and 500 on PostgreSQL, 10 lanes side
# by side), three instances on one PostgreSQL with one killed, and 100,000
# coalesced post-paid intents on both. About 12 minutes on a loaded 2-core
# machine (each crash harness about 4.5 minutes). With GUAPOCADO_PG_DSN set
# and CI=true, the PostgreSQL tests cannot skip. Non-interactive and safe to
# run again; leaves the PostgreSQL cluster running.
set -euo pipefail
cd "$(dirname "$0")/.."

bash .ci/postgres.sh >/dev/null
# shellcheck disable=SC1091
source "${GUAPOCADO_PG_DIR:-/tmp/guapocado-pg}/dsn.env"
export GUAPOCADO_PG_DSN
export CI="${CI:-true}"

cd journal
echo "journal.sh: go mod tidy -diff, gofmt, go vet, staticcheck (journal module)"
go mod tidy -diff
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then echo "gofmt would change: $unformatted"; exit 1; fi
go vet ./...
if [ -x "$(go env GOPATH)/bin/staticcheck" ]; then "$(go env GOPATH)/bin/staticcheck" ./...; fi

echo "journal.sh: quick tests under the race detector"
env -u GUAPOCADO_FULL go test -count=1 -race ./...

echo "journal.sh: every test, the long ones too (crash harness, instances, coalescing), GUAPOCADO_FULL=1"
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
status=0
GUAPOCADO_FULL=1 go test -count=1 -timeout 40m -parallel 10 -v ./... >"$out" 2>&1 || status=$?
if [ "$status" -ne 0 ]; then
	cat "$out"
	exit "$status"
fi
# For .ci/run's last step: every gated test passed somewhere.
if [ -n "${GUAPOCADO_CI_LOGS:-}" ]; then
	cp "$out" "$GUAPOCADO_CI_LOGS/journal.log"
fi
grep -E '^(--- |ok |PASS$)|runs in|intents' "$out"
