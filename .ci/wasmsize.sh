#!/usr/bin/env bash
# Size check for the WebAssembly example: builds the
# floor program (internal/wasmfloor: a minimal net/http POST plus
# encoding/json decode) and the given example package with the same flags,
# compresses both with gzip -9, prints both sizes and the ratio, and fails
# when the example is more than MAX_RATIO (default 1.09: 1.067 reached, plus 2%) times the floor.
#
# Usage: .ci/wasmsize.sh [example package, default ./examples/wasm]
set -euo pipefail
cd "$(dirname "$0")/.."

example="${1:-./examples/wasm}"
max="${MAX_RATIO:-1.09}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

build() { # package output
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$2" "$1"
	gzip -9 -n -c "$2" >"$2.gz"
}
build ./internal/wasmfloor "$out/floor.wasm"
build "$example" "$out/main.wasm"

raw() { stat -c %s "$1"; }
floor=$(raw "$out/floor.wasm.gz")
main=$(raw "$out/main.wasm.gz")
ratio=$(awk -v a="$main" -v b="$floor" 'BEGIN { printf "%.3f", a / b }')
printf 'wasm size (GOOS=js GOARCH=wasm, -trimpath -ldflags="-s -w", gzip -9)\n'
printf '  floor   internal/wasmfloor  %9d bytes raw  %9d bytes gzip\n' "$(raw "$out/floor.wasm")" "$floor"
printf '  example %-18s  %9d bytes raw  %9d bytes gzip\n' "$example" "$(raw "$out/main.wasm")" "$main"
printf '  ratio   %s (limit %s)\n' "$ratio" "$max"
if awk -v r="$ratio" -v m="$max" 'BEGIN { exit !(r > m) }'; then
	echo "FAIL: the example's compressed main.wasm is more than $max times the floor" >&2
	exit 1
fi
echo "ok: wasm size within $max of the floor"
