//go:build !(js && wasm)

package guapocado

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// connServer answers every POST with a fixed usage body and counts the
// connections it accepts and sees closed.
func connServer(t *testing.T) (srv *httptest.Server, opened, closed *atomic.Int64) {
	t.Helper()
	opened, closed = new(atomic.Int64), new(atomic.Int64)
	body := []byte(`{"customerId":"c","balance":95,"included":100,"consumed":5,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null,"allowed":true}`)
	srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			closed.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, opened, closed
}

// burst makes calls from n goroutines at once, each making m calls.
func burst(t *testing.T, n, m int, call func() error) {
	t.Helper()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range m {
				if err := call(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
}

// clientGoroutines lists the goroutines of the client side of HTTP: the
// transport's connection loops and dials, and the SDK's dial gate.
func clientGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		for _, frame := range []string{"net/http.(*persistConn)", "net/http.(*Transport).dialConnFor", "guapocado-go.(*dialGate)"} {
			if strings.Contains(g, frame) {
				first, _, _ := strings.Cut(g, "\n")
				out = append(out, first+" "+frame)
				break
			}
		}
	}
	return out
}

// settle waits until cond holds. It has no deadline of its own (go test's
// -timeout bounds it); a test whose condition the transport's idle timeout
// could make true by itself turns that timeout off first.
func settle(cond func() bool) bool {
	for !cond() {
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// TestNoGoroutinesAfterCloseIdleConnections: after a burst of 64
// concurrent callers (which exercises the dial gate) and ForRequest copies
// sharing the pool, CloseIdleConnections leaves no goroutine of the client
// running: no connection loop, no dial, no waiting dial. Not parallel, so
// that other tests' connections do not come and go meanwhile.
func TestNoGoroutinesAfterCloseIdleConnections(t *testing.T) {
	srv, opened, closed := connServer(t)
	baseConns := len(clientGoroutines())
	baseAll := runtime.NumGoroutine()

	c, err := NewClient(srv.URL, WithSessionToken("tok.sig="))
	if err != nil {
		t.Fatal(err)
	}
	// Only CloseIdleConnections may close the pool's connections here: with
	// the 4 s idle timeout a slow run would see them close by themselves.
	c.base.(*http.Transport).IdleConnTimeout = 0
	ctx := context.Background()
	in := httptest.NewRequest("GET", "/", nil)
	in.Header.Set("Cookie", "better-auth.session_token=other.sig%3D")
	burst(t, 64, 20, func() error {
		if _, err := c.Usage.Consume(ctx, "api-calls", 1); err != nil {
			return err
		}
		_, err := c.ForRequest(in).Has(ctx, "csv-export")
		return err
	})
	if len(clientGoroutines()) <= baseConns {
		t.Fatal("no client connection goroutines while the pool holds connections: the check would prove nothing")
	}

	c.CloseIdleConnections()
	if !settle(func() bool { return len(clientGoroutines()) <= baseConns }) {
		t.Errorf("client goroutines left after CloseIdleConnections:\n%s", strings.Join(clientGoroutines(), "\n"))
	}
	// The server saw every connection closed, so its side is gone too.
	if !settle(func() bool { return closed.Load() == opened.Load() }) {
		t.Errorf("server: %d connections opened, %d closed", opened.Load(), closed.Load())
	}
	if !settle(func() bool { return runtime.NumGoroutine() <= baseAll }) {
		t.Errorf("%d goroutines before the calls, %d after CloseIdleConnections", baseAll, runtime.NumGoroutine())
	}
	if c.gate.conns.Load() != 0 || c.gate.dialing.Load() != 0 || c.gate.inflight.Load() != 0 || c.gate.waiters.Load() != 0 {
		t.Errorf("dial gate counts not back to zero: conns %d, dialing %d, in flight %d, waiting %d",
			c.gate.conns.Load(), c.gate.dialing.Load(), c.gate.inflight.Load(), c.gate.waiters.Load())
	}
}

// TestBurstOpensOneConnectionPerCaller: 64 callers starting together open
// no more connections than callers. (net/http alone typically opens 65 to
// 110: see dialGate.) A connection the transport closes (say, a write that
// took over 50 ms to be reported under load) is replaced, so the bound is
// on connections open at the end.
func TestBurstOpensOneConnectionPerCaller(t *testing.T) {
	t.Parallel()
	srv, opened, closed := connServer(t)
	c, err := NewClient(srv.URL, WithBearerToken("tok.sig="))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	for round := range 3 {
		burst(t, 64, 10, func() error {
			_, err := c.Usage.Consume(context.Background(), "api-calls", 1)
			return err
		})
		// The server learns of a close after the client made it: wait until
		// both sides count the same connections open, then count them.
		settle(func() bool { return opened.Load()-closed.Load() == c.gate.conns.Load() })
		if open := opened.Load() - closed.Load(); open > 64 {
			t.Errorf("round %d: %d connections open for 64 callers (%d opened, %d closed)", round, open, opened.Load(), closed.Load())
		}
	}
	t.Logf("%d connections opened, %d closed", opened.Load(), closed.Load())
}

// TestCallsWhileOthersHoldConnections: a call arriving while every
// connection is busy with a slow call dials at once (the gate does not make
// it wait for a slow call to finish).
func TestCallsWhileOthersHoldConnections(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/consume") {
			<-release
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"customerId":"c","balance":1,"allowed":true}`)
	}))
	defer srv.Close()
	defer close(release)
	c, err := NewClient(srv.URL, WithBearerToken("tok.sig="))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	ctx := context.Background()
	if _, err := c.Has(ctx, "x"); err != nil { // one idle connection
		t.Fatal(err)
	}
	for range 3 {
		go c.Usage.Consume(ctx, "slow", 1)
	}
	if !settle(func() bool { return c.gate.inflight.Load() == 3 && c.gate.conns.Load() == 3 }) {
		t.Fatalf("slow calls: %d in flight on %d connections", c.gate.inflight.Load(), c.gate.conns.Load())
	}
	// A gate that made this call wait would hold it for maxWait: an hour
	// here, so such a gate fails this test by go test's own timeout rather
	// than by a wall-clock deadline a slow machine could miss.
	c.gate.maxWait.Store(int64(time.Hour))
	waitedBefore := c.gate.waited.Load()
	if _, err := c.Has(ctx, "x"); err != nil {
		t.Fatalf("a call next to 3 slow ones: %v", err)
	}
	if w := c.gate.waited.Load() - waitedBefore; w != 0 {
		t.Errorf("a call next to 3 slow ones waited at the gate (%d waits)", w)
	}
}

// countingConn counts the writes on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestRequestGoesOutInOneWrite: net/http writes a request's headers and body
// in one write when it knows the body is in memory, and in two (two TCP
// segments, and a server that waits for the second) otherwise.
func TestRequestGoesOutInOneWrite(t *testing.T) {
	t.Parallel()
	srv, _, _ := connServer(t)
	var writes atomic.Int64
	tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &writes}, nil
	}}
	defer tr.CloseIdleConnections()
	c, err := NewClient(srv.URL, WithBearerToken("tok.sig="), WithHTTPClient(&http.Client{Transport: tr}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, call := range []struct {
		name string
		do   func() error
	}{
		{"consume", func() error { _, err := c.Usage.Consume(ctx, "api-calls", 1); return err }},
		{"has", func() error { _, err := c.Has(ctx, "csv-export"); return err }},
	} {
		before := writes.Load()
		if err := call.do(); err != nil {
			t.Fatal(err)
		}
		if n := writes.Load() - before; n != 1 {
			t.Errorf("%s: request written in %d writes, want 1", call.name, n)
		}
	}
}
