// Command idleprobe measures why the SDK's default transport drops idle
// connections before the server does: how often a POST hits a connection the
// server is closing, for a server idle timeout S and requests spaced around
// S, with the client's idle timeout either Go's default (90 s) or 0.8*S (the
// SDK's 4 s for Node's 5 s). Run: go run ./internal/idleprobe (about two
// minutes). Results are in the README (Retries).
package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"time"
)

func main() {
	const S = 200 * time.Millisecond
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	srv := &http.Server{IdleTimeout: S, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body); w.Write([]byte("{}")) })}
	go srv.Serve(ln)
	url := "http://" + ln.Addr().String()
	for _, idle := range []time.Duration{90 * time.Second, S * 8 / 10} {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.IdleConnTimeout = idle
		c := &http.Client{Transport: tr}
		errs := 0
		const n = 300
		for i := 0; i < n; i++ {
			resp, err := c.Post(url, "application/json", bytes.NewReader([]byte(`{"key":"k","amount":1}`)))
			if err != nil {
				errs++
			} else {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			time.Sleep(S - 2*time.Millisecond + time.Duration(rand.Int63n(int64(4*time.Millisecond))))
		}
		fmt.Printf("client IdleConnTimeout %v: %d/%d POSTs failed (spacing S±2ms, server idle S=%v)\n", idle, errs, n, S)
	}
}
