//go:build js && wasm

// Command wasmfloor is the plain size floor of the WebAssembly example: the
// least a browser program that uses the Guapocado API needs, one JSON POST
// through net/http (fetch) and one JSON decode. .ci/wasmsize.sh reports the
// example against it and against the designed floor (this program written
// with the packages the SDK is designed on, ./designed), whose ratio CI
// holds to a budget (.ci/wasmsize.sh).
package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall/js"
	"time"
)

func main() {
	origin := js.Global().Get("location").Get("origin").String()
	resp, err := http.Post(origin+"/api/auth/guapocado/usage/consume", "application/json",
		strings.NewReader(`{"key":"api-calls","amount":1}`))
	if err != nil {
		println("consume:", err.Error())
		return
	}
	defer resp.Body.Close()
	var u struct {
		CustomerID string     `json:"customerId"`
		Balance    int64      `json:"balance"`
		Resets     *time.Time `json:"resets"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil {
		println("consume: decoding:", err.Error())
		return
	}
	println("balance:", u.Balance)
}
