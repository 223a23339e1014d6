#!/usr/bin/env bash
# WebAssembly checks (issue 8): vet and build everything for GOOS=js
# GOARCH=wasm, run the browser tests inside headless Chromium
# (internal/browsertest), the Node.js check of the transport, and the size
# check once examples/wasm exists. Installs Debian's chromium (and nodejs)
# when missing. Non-interactive and safe to run again.
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
go test -tags browser -count=1 -timeout 10m -v -run '^(TestChromium|TestRun)$' . ./internal/browsertest/

echo "wasm.sh: transport under Node.js (no fetch pseudo-header)"
PATH="$(go env GOROOT)/lib/wasm:$PATH" GOOS=js GOARCH=wasm go test -count=1 -v -run '^TestNode' .

if [ -d examples/wasm ]; then
	echo "wasm.sh: size check"
	.ci/wasmsize.sh ./examples/wasm
else
	echo "wasm.sh: no examples/wasm yet, size check not run (.ci/wasmsize.sh PKG runs it)"
fi
