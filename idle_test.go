package guapocado

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// nodeLikeServer answers consumes and, like Node's default, closes a
// keep-alive connection after 5 s idle. It counts applied consumes and
// accepted connections.
func nodeLikeServer(t *testing.T) (url string, applied, conns *atomic.Int64) {
	t.Helper()
	applied, conns = new(atomic.Int64), new(atomic.Int64)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		IdleTimeout: 5 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := applied.Add(1)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"customerId":"c","balance":%d,"included":100,"consumed":%d,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}`, 100-n, n)
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String(), applied, conns
}

// TestConsumesAcrossServerIdleClose: consumes spaced just past a Node-like
// server's 5 s idle close each succeed exactly once, because the default
// transport drops an idle connection after 4 s (IdleConnTimeout) and so
// never writes a consume on a connection the server is closing: after 4.5 s
// idle the client has hung up and the server has not. The server and the
// client's transport run in a testing/synctest bubble over in-memory pipes,
// so the 5 s waits are on the bubble's fake clock.
func TestConsumesAcrossServerIdleClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const n = 3
		var applied, opened, closed atomic.Int64
		ln := newPipeListener()
		srv := &http.Server{
			IdleTimeout: 5 * time.Second, // Node's keepAliveTimeout
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := applied.Add(1)
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprintf(w, `{"customerId":"c","balance":%d,"included":100,"consumed":%d,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}`, 100-n, n)
			}),
			ConnState: func(_ net.Conn, s http.ConnState) {
				switch s {
				case http.StateNew:
					opened.Add(1)
				case http.StateClosed:
					closed.Add(1)
				}
			},
		}
		go srv.Serve(ln)
		defer srv.Close()

		c, err := NewClient("http://127.0.0.1:1", WithBearerToken("tok.sig=")) // dials go to the pipes
		if err != nil {
			t.Fatal(err)
		}
		defer c.CloseIdleConnections()
		tr, ok := c.base.(*http.Transport)
		if !ok {
			t.Fatalf("default transport is %T", c.base)
		}
		tr.DialContext = ln.dial // the same transport, dialing the pipes
		for i := 0; i < n; i++ {
			if i > 0 {
				time.Sleep(4500 * time.Millisecond)
				synctest.Wait()
				if open := opened.Load() - closed.Load(); open != 0 {
					t.Fatalf("after 4.5 s idle: %d connections still open; the client must drop them before the server's 5 s idle close", open)
				}
				time.Sleep(600 * time.Millisecond) // past the server's idle close
			}
			u, err := c.Usage.Consume(context.Background(), "api-calls", 1)
			if err != nil {
				t.Fatalf("consume %d: %v", i, err)
			}
			if u.Consumed != int64(i+1) {
				t.Fatalf("consume %d: consumed %d", i, u.Consumed)
			}
		}
		if got := applied.Load(); got != n {
			t.Errorf("applied %d times, want %d", got, n)
		}
		if got := opened.Load(); got != n {
			t.Errorf("%d connections opened for %d consumes spaced 5.1 s, want one each", got, n)
		}
	})
}

// TestConnectionReuseWithinIdleWindow: back-to-back calls share one
// connection (the body is read to the end, the pool keeps it).
func TestConnectionReuseWithinIdleWindow(t *testing.T) {
	t.Parallel()
	url, applied, conns := nodeLikeServer(t)
	c, err := NewClient(url, WithBearerToken("tok.sig="))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	for i := 0; i < 20; i++ {
		if _, err := c.Usage.Consume(context.Background(), "api-calls", 1); err != nil {
			t.Fatal(err)
		}
	}
	if applied.Load() != 20 || conns.Load() != 1 {
		t.Errorf("applied %d, connections %d; want 20 over 1", applied.Load(), conns.Load())
	}
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 10; j++ {
				if _, err := c.Usage.Consume(context.Background(), "api-calls", 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Go may dial while a caller waits and then hand it a freed idle
	// connection instead, so a few extra dials are normal; churn (a new
	// connection per call, 160 here) is not.
	if conns.Load() > 33 {
		t.Errorf("16 concurrent callers making 160 calls opened %d connections", conns.Load())
	}
}
