#!/usr/bin/env bash
# Integration suite: the SDK against a real Better Auth server.
# Installs the Node harness's exact dependencies (integration/package-lock.json)
# and runs the Go tests behind the "integration" build tag; each test starts
# and stops its own servers. Needs Node 20+ with npm. Non-interactive; exits
# non-zero on any failure, on a run over 10 minutes, or when a harness server
# from this checkout is still running afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
	echo "integration.sh: node and npm are required (Node 20+)" >&2
	exit 1
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
	echo "integration.sh: Node 20+ is required, found $(node --version)" >&2
	exit 1
fi

echo "integration.sh: npm ci in integration/ (node $(node --version))"
(cd integration && npm ci --no-audit --no-fund)

echo "integration.sh: go test -tags integration ./integration/"
start=$(date +%s)
go test -count=1 -tags integration -timeout 10m -v ./integration/
echo "integration.sh: go test took $(($(date +%s) - start)) s"

# No server of this checkout may outlive the run (other checkouts on the same
# machine may run their own: only ours count).
left=""
for pid in $(pgrep -f 'server\.mjs' || true); do
	if [ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" = "$root/integration" ]; then
		left="$left $pid"
	fi
done
if [ -n "$left" ]; then
	echo "integration.sh: harness servers still running:$left" >&2
	exit 1
fi
echo "integration.sh: no harness server left running"
