//go:build js && wasm

// Command designed is the second size floor of the WebAssembly example: the
// floor program (internal/wasmfloor) written with the three packages the
// SDK is designed on. Its POST goes through go-retryablehttp's client, its
// query is built by go-querystring, and it links httpmock (whose package
// state a program importing it carries, used or not). .ci/wasmsize.sh holds
// the example to a ratio of this floor.
package main

import (
	"encoding/json"
	"net/http"
	"syscall/js"
	"time"

	"github.com/google/go-querystring/query"
	"github.com/hashicorp/go-retryablehttp"
	_ "github.com/jarcoal/httpmock" // linked as a program importing it links it
)

type consumeQuery struct {
	Key string `url:"key"`
}

func main() {
	origin := js.Global().Get("location").Get("origin").String()
	q, err := query.Values(consumeQuery{Key: "api-calls"})
	if err != nil {
		println("query:", err.Error())
		return
	}
	rc := retryablehttp.NewClient() // as go-retryablehttp's README starts
	rc.HTTPClient = http.DefaultClient
	req, err := retryablehttp.NewRequest("POST", origin+"/api/auth/guapocado/usage/consume?"+q.Encode(), []byte(`{"amount":1}`))
	if err != nil {
		println("consume:", err.Error())
		return
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := rc.Do(req)
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
