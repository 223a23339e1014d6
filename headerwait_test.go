//go:build !(js && wasm)

package guapocado

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// headerWaitClient is a client whose default transport dials the pipes of
// ln through the SDK's read bound (DefaultReadIdleTimeout, which also keeps
// DefaultResponseHeaderTimeout), inside a synctest bubble: the bound's 30 s
// run on the bubble's fake clock.
func headerWaitClient(t *testing.T, ln *pipeListener) *Client {
	t.Helper()
	c, err := NewClient("http://127.0.0.1:1", WithBearerToken(testToken), WithRetry(0, 0, 0)) // dials go to the pipes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	tr, ok := c.base.(*http.Transport)
	if !ok {
		t.Fatalf("default transport is %T", c.base)
	}
	if tr.ResponseHeaderTimeout != 0 {
		t.Fatalf("ResponseHeaderTimeout = %s: net/http would start a timer per request", tr.ResponseHeaderTimeout)
	}
	tr.DialContext = readIdleDialer(ln.dial, c.cfg.readIdle) // the same transport and bound, dialing the pipes
	return c
}

const usageAnswer = `{"customerId":"c","balance":1,"included":1,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}`

// TestHeaderWaitBoundsSilentAndDrippingServers: on the default transport,
// with no deadline on the call, a server that never answers, or that sends
// its answer's headers a byte a second, fails the attempt with "timeout
// awaiting response headers" once DefaultResponseHeaderTimeout has passed
// since the request (at most 1/16 of it later); a read is then an error,
// a consume ErrOutcomeUnknown.
func TestHeaderWaitBoundsSilentAndDrippingServers(t *testing.T) {
	t.Parallel()
	for _, server := range []string{"silent", "dripping"} {
		t.Run(server, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ln := newPipeListener()
				var dripped atomic.Int64
				var handlers sync.WaitGroup // hijacked: srv.Close does not wait for them
				defer handlers.Wait()       // each ends when the client hangs up
				srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					handlers.Add(1)
					defer handlers.Done()
					_, _ = io.Copy(io.Discard, r.Body)
					conn, _, err := http.NewResponseController(w).Hijack()
					if err != nil {
						t.Error(err)
						return
					}
					defer conn.Close()
					if server == "silent" {
						_, _ = io.Copy(io.Discard, conn) // until the client hangs up
						return
					}
					// A byte of a header a second for 10 minutes, 20 times
					// the bound; then the answer, which a call without the
					// bound would get.
					if _, err := io.WriteString(conn, "HTTP/1.1 200 OK\r\nX-Drip: "); err != nil {
						return
					}
					for range 600 {
						time.Sleep(time.Second)
						if _, err := io.WriteString(conn, "a"); err != nil {
							return
						}
						dripped.Add(1)
					}
					_, _ = io.WriteString(conn, "\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(usageAnswer))+"\r\n\r\n"+usageAnswer)
				})}
				go srv.Serve(ln)
				defer srv.Close()
				c := headerWaitClient(t, ln)
				for _, call := range []struct {
					name    string
					do      func() error
					unknown bool
				}{
					{"balance", func() error { _, err := c.Usage.Balance(context.Background(), "api-calls"); return err }, false},
					{"consume", func() error { _, err := c.Usage.Consume(context.Background(), "api-calls", 1); return err }, true},
				} {
					start := time.Now()
					err := call.do()
					took := time.Since(start)
					if err == nil || !strings.Contains(err.Error(), "timeout awaiting response headers") {
						t.Fatalf("%s: %v after %s (%d header bytes dripped), want a timeout awaiting response headers", call.name, err, took, dripped.Load())
					}
					if took < DefaultResponseHeaderTimeout || took > DefaultResponseHeaderTimeout+DefaultResponseHeaderTimeout/16 {
						t.Errorf("%s: failed after %s, want %s to %s", call.name, took, DefaultResponseHeaderTimeout, DefaultResponseHeaderTimeout+DefaultResponseHeaderTimeout/16)
					}
					if got := errors.Is(err, ErrOutcomeUnknown); got != call.unknown {
						t.Errorf("%s: ErrOutcomeUnknown %v, want %v: %v", call.name, got, call.unknown, err)
					}
				}
			})
		})
	}
}

// TestHeaderWaitCountsFromTheRequest: a connection that sat idle in the pool
// before a request still gives the server the whole bound to answer after
// the request went out (the read under way since the connection went idle
// gets a later deadline when the request is written), and waits done on a
// connection do not count against the next request on it.
func TestHeaderWaitCountsFromTheRequest(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		ln := newPipeListener()
		var slow atomic.Bool
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			if slow.Load() {
				time.Sleep(DefaultResponseHeaderTimeout - time.Second) // within the bound
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, usageAnswer)
		})}
		go srv.Serve(ln)
		defer srv.Close()
		c := headerWaitClient(t, ln)
		ctx := context.Background()
		for i := range 3 {
			slow.Store(i > 0)
			if _, err := c.Usage.Consume(ctx, "api-calls", 1); err != nil {
				t.Fatalf("consume %d: %v", i, err)
			}
			time.Sleep(3500 * time.Millisecond) // idle in the pool, within IdleConnTimeout
		}
	})
}
