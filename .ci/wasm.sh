#!/usr/bin/env bash
# WebAssembly checks: vet and build everything for GOOS=js
# GOARCH=wasm (the SDK, its tests and examples/wasm), run the browser tests
# inside headless Chromium (the SDK against guapocadotest fakes, the
# example's Promise API and its real page, the runner's self-test), the
# Node.js check of the transport, and the size check of examples/wasm.
# Installs Debian's chromium (and nodejs) when missing. Non-interactive and
# safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=300 update -qq
	apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@" >/dev/null
}
if [ ! -x /usr/bin/chromium ] && [ -z "${BROWSERTEST_CHROMIUM:-}" ]; then
	echo "wasm.sh: installing Debian's chromium"
	apt_install chromium
fi
if ! command -v node >/dev/null; then
	echo "wasm.sh: installing Debian's nodejs"
	apt_install nodejs
fi

echo "wasm.sh: GOOS=js GOARCH=wasm go vet ./... && go build ./..."
GOOS=js GOARCH=wasm go vet ./...
GOOS=js GOARCH=wasm go build ./...
go vet -tags browser ./...

echo "wasm.sh: browser tests in headless Chromium"
# -p 1: one Chromium at a time on a small machine.
go test -tags browser -count=1 -p 1 -timeout 10m -v -run '^(TestChromium|TestChromiumPage|TestRun)$' \
	. ./internal/browsertest/ ./examples/wasm/serve/

echo "wasm.sh: transport under Node.js (no fetch pseudo-header)"
PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm go test -count=1 -v -run '^TestNode' .

echo "wasm.sh: size check"
.ci/wasmsize.sh ./examples/wasm
