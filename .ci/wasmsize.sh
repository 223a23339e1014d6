#!/usr/bin/env bash
# Size check for the WebAssembly example. Builds, with the same flags, the
# two floors and the example, compresses each with gzip -9, prints the sizes
# and the example's ratio to each floor, and fails when the example is more
# than MAX_RATIO (default 1.05) times the second floor:
#   plain     internal/wasmfloor: one JSON POST through net/http (fetch) and
#             one encoding/json decode, the least a browser program using
#             the Guapocado API needs;
#   designed  internal/wasmfloor/designed: the same program written with the
#             three packages the SDK is designed on (go-retryablehttp,
#             go-querystring, httpmock).
#
# Usage: .ci/wasmsize.sh [example package, default ./examples/wasm]
set -euo pipefail
cd "$(dirname "$0")/.."

example="${1:-./examples/wasm}"
max="${MAX_RATIO:-1.05}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

build() { # package output
	GOOS=js GOARCH=wasm go build -trimpath -ldflags="-s -w" -o "$2" "$1"
	gzip -9 -n -c "$2" >"$2.gz"
}
build ./internal/wasmfloor "$out/plain.wasm"
build ./internal/wasmfloor/designed "$out/designed.wasm"
build "$example" "$out/main.wasm"

raw() { stat -c %s "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
plain=$(raw "$out/plain.wasm.gz")
designed=$(raw "$out/designed.wasm.gz")
main=$(raw "$out/main.wasm.gz")
printf 'wasm size (GOOS=js GOARCH=wasm, -trimpath -ldflags="-s -w", gzip -9)\n'
printf '  floor    internal/wasmfloor           %9d bytes raw  %9d bytes gzip\n' "$(raw "$out/plain.wasm")" "$plain"
printf '  floor    internal/wasmfloor/designed  %9d bytes raw  %9d bytes gzip\n' "$(raw "$out/designed.wasm")" "$designed"
printf '  example  %-27s  %9d bytes raw  %9d bytes gzip\n' "$example" "$(raw "$out/main.wasm")" "$main"
printf '  ratio to the plain floor     %s\n' "$(ratio "$main" "$plain")"
r=$(ratio "$main" "$designed")
printf '  ratio to the designed floor  %s (limit %s)\n' "$r" "$max"
if awk -v r="$r" -v m="$max" 'BEGIN { exit !(r > m) }'; then
	echo "FAIL: the example's compressed main.wasm is more than $max times the designed floor" >&2
	exit 1
fi
echo "ok: wasm size within $max of the designed floor"
