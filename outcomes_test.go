package guapocado

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Issue 15: outcomes (items 1-4, 6, 7), hangs (item 8) and the URL cache
// (item 10), against real listeners where the wire matters.

// applyServer counts consumes the way a server applies them: once the
// whole request was read. answer decides, per attempt (from 1), what the
// client gets: "drop" (the connection closes after applying), a status, or
// "" for a 200 with a balance.
type applyServer struct {
	*httptest.Server
	applied atomic.Int64
	seen    atomic.Int64
}

func newApplyServer(t *testing.T, answer func(attempt int) (drop bool, status int)) *applyServer {
	t.Helper()
	s := &applyServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		n := int(s.seen.Add(1))
		drop, status := answer(n)
		if status == 0 || drop {
			s.applied.Add(1)
		}
		if drop {
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			_ = conn.Close()
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if status != 0 {
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"error":"try later"}`))
			return
		}
		_, _ = w.Write([]byte(`{"customerId":"org_1","balance":9,"included":10,"consumed":1,"resets":null}`))
	}))
	t.Cleanup(s.Close)
	return s
}

// TestOutcomeUnknownOnceAnyAttemptMayHaveApplied (item 1): a platform
// consume whose first attempt was applied and its answer lost ends
// ErrOutcomeUnknown (with its idempotency key) whatever the later attempts
// answer, unless one of them is definite.
func TestOutcomeUnknownOnceAnyAttemptMayHaveApplied(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		later   int // the status of every later attempt
		unknown bool
	}{
		{"then 503s", 503, true},
		{"then 429s", 429, true},
		{"then 200", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := newApplyServer(t, func(n int) (bool, int) { return n == 1, tc.later })
			c, err := NewAPIClient(testAPIKey, WithAPIURL(srv.URL), WithCustomerID("org_1"), WithRetry(3, 0, 0))
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Usage.Consume(context.Background(), "api-calls", 1)
			var e *Error
			if got := errors.Is(err, ErrOutcomeUnknown); got != tc.unknown {
				t.Fatalf("ErrOutcomeUnknown %v, want %v: %v", got, tc.unknown, err)
			}
			if tc.unknown && (!errors.As(err, &e) || e.IdempotencyKey == "" || !strings.Contains(err.Error(), "outcome unknown")) {
				t.Errorf("no idempotency key or explanation: %v", err)
			}
			if srv.seen.Load() < 2 {
				t.Errorf("%d attempts", srv.seen.Load())
			}
		})
	}
	// The deadline ends the waits after an applied, lost attempt. The wait
	// (an hour) is longer than the deadline (a minute), so the SDK stops
	// after the first attempt, however long that attempt took.
	srv := newApplyServer(t, func(n int) (bool, int) { return n == 1, 503 })
	c, err := NewAPIClient(testAPIKey, WithAPIURL(srv.URL), WithCustomerID("org_1"), WithRetry(3, time.Hour, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.Usage.Consume(ctx, "api-calls", 1); !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("deadline before the next write: %v", err)
	}
}

// TestSessionWrite5xxIsOutcomeUnknown (item 2): the plugin answers 500
// when it lost the platform's answer after the platform applied a write.
func TestSessionWrite5xxIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	srv := newApplyServer(t, func(int) (bool, int) { return false, 500 })
	c, err := NewClient(srv.URL, WithBearerToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Usage.Consume(context.Background(), "api-calls", 1)
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrServer) {
		t.Errorf("consume answered 500: %v", err)
	}
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrServer) {
		t.Errorf("a read answered 500: %v", err)
	}
}

// rawServer answers every connection with handle.
func rawServer(t *testing.T, handle func(conn net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serveConns(t, ln, handle)
	return "http://" + ln.Addr().String()
}

// serveConns runs handle on each connection ln accepts, until the end of
// the test, which closes ln and the connections and waits for the handlers.
func serveConns(t *testing.T, ln net.Listener, handle func(conn net.Conn)) {
	var wg sync.WaitGroup
	conns := closeAtCleanup(t, ln, &wg)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conns.add(conn)
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
}

// openConns are a test listener's connections, closed at cleanup so that
// handlers blocked on a client that keeps its connection end.
type openConns struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (o *openConns) add(c net.Conn) {
	o.mu.Lock()
	o.conns = append(o.conns, c)
	o.mu.Unlock()
}

// closeAtCleanup closes ln and every connection added to the result at the
// end of the test, then waits for wg.
func closeAtCleanup(t *testing.T, ln net.Listener, wg *sync.WaitGroup) *openConns {
	o := &openConns{}
	t.Cleanup(func() {
		_ = ln.Close()
		o.mu.Lock()
		for _, c := range o.conns {
			_ = c.Close()
		}
		o.mu.Unlock()
		wg.Wait()
	})
	return o
}

// readRequest reads one HTTP/1.1 request with its body.
func readRequest(conn net.Conn) bool {
	r, err := http.ReadRequest(bufio.NewReader(conn))
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, r.Body)
	return true
}

// TestCutOffAnswerToAWrite (item 3): a consume answered 200 whose body is
// cut off was applied: ErrOutcomeUnknown, not only ErrUnexpectedResponse.
func TestCutOffAnswerToAWrite(t *testing.T) {
	t.Parallel()
	base := rawServer(t, func(conn net.Conn) {
		if readRequest(conn) {
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"customerId\":\"org_1\",")
		}
	})
	c, err := NewClient(base, WithBearerToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Usage.Consume(context.Background(), "api-calls", 1); !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("cut-off 200: %v", err)
	}
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, ErrUnexpectedResponse) {
		t.Errorf("cut-off 200 to a read: %v", err)
	}
}

// h2Server is a minimal HTTP/2 server over TLS: it applies every request
// whose body it read, resets the first stream with PROTOCOL_ERROR (as a
// broken proxy does after the backend applied it), and answers later ones
// 200. net/http retries a PROTOCOL_ERROR reset by itself, rewinding the
// body through GetBody.
func h2Server(t *testing.T, applied *atomic.Int64) (string, *http.Client) {
	t.Helper()
	ts := httptest.NewUnstartedServer(http.NotFoundHandler())
	ts.EnableHTTP2 = true
	ts.StartTLS()
	cert, client := ts.TLS.Certificates[0], ts.Client()
	ts.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}})
	if err != nil {
		t.Fatal(err)
	}
	frame := func(w io.Writer, typ, flags byte, stream uint32, payload []byte) {
		h := make([]byte, 9)
		h[0], h[1], h[2] = byte(len(payload)>>16), byte(len(payload)>>8), byte(len(payload))
		h[3], h[4] = typ, flags
		binary.BigEndian.PutUint32(h[5:], stream)
		_, _ = w.Write(append(h, payload...))
	}
	serveConns(t, ln, func(conn net.Conn) {
		preface := make([]byte, 24)
		if _, err := io.ReadFull(conn, preface); err != nil {
			return
		}
		frame(conn, 0x4, 0, 0, nil) // SETTINGS
		h := make([]byte, 9)
		for {
			if _, err := io.ReadFull(conn, h); err != nil {
				return
			}
			n := int(h[0])<<16 | int(h[1])<<8 | int(h[2])
			typ, flags, stream := h[3], h[4], binary.BigEndian.Uint32(h[5:])&0x7fffffff
			payload := make([]byte, n)
			if _, err := io.ReadFull(conn, payload); err != nil {
				return
			}
			switch {
			case typ == 0x4 && flags&0x1 == 0: // SETTINGS: acknowledge
				frame(conn, 0x4, 0x1, 0, nil)
			case typ == 0x0 && flags&0x1 != 0: // the request's last DATA: apply
				if applied.Add(1) == 1 {
					frame(conn, 0x3, 0, stream, []byte{0, 0, 0, 1}) // RST_STREAM PROTOCOL_ERROR
					continue
				}
				frame(conn, 0x1, 0x4, stream, []byte{0x88}) // HEADERS :status 200
				frame(conn, 0x0, 0x1, stream, []byte(`{"customerId":"org_1","balance":1,"resets":null}`))
			}
		}
	})
	return "https://" + ln.Addr().String(), client
}

// TestHTTP2ResetIsNotReplayed (item 4): after an HTTP/2 stream reset of a
// consume the server applied, net/http does not send it again below the
// SDK: applied once, and the call says ErrOutcomeUnknown.
func TestHTTP2ResetIsNotReplayed(t *testing.T) {
	t.Parallel()
	var applied atomic.Int64
	base, hc := h2Server(t, &applied)
	c, err := NewClient(base, WithBearerToken(testToken), WithHTTPClient(hc))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Usage.Consume(context.Background(), "api-calls", 1)
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("consume after a reset: %v", err)
	}
	if n := applied.Load(); n != 1 {
		t.Errorf("applied %d times", n)
	}
	// A read is rewound and repeated by net/http as before.
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); err != nil {
		t.Errorf("balance over HTTP/2: %v", err)
	}
}

// TestWritesDoNotFollowRedirects (item 6): a same-origin 307 loop re-POSTed
// a consume up to 10 times; a write now never follows a redirect, and the
// error names it.
func TestWritesDoNotFollowRedirects(t *testing.T) {
	t.Parallel()
	var posts atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/consume") {
			posts.Add(1)
		}
		http.Redirect(w, r, r.URL.Path+"?again=1", http.StatusTemporaryRedirect)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithBearerToken(testToken))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Usage.Consume(context.Background(), "api-calls", 1)
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != 307 || !strings.Contains(e.Message, "redirect to /api/auth/guapocado/usage/consume not followed") ||
		!errors.Is(err, ErrUnexpectedResponse) {
		t.Errorf("consume redirected: %v", err)
	}
	if n := posts.Load(); n != 1 {
		t.Errorf("consume sent %d times", n)
	}
}

// TestAnswersWithoutTheirFields (item 7): a 2xx answer of null or {} where
// a usage, limit, entitlement, snapshot or checkout is expected decoded to
// a zero value without an error.
func TestAnswersWithoutTheirFields(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, body := range []string{`null`, `{}`} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, body)
		}))
		sc, err := NewClient(srv.URL, WithBearerToken(testToken))
		if err != nil {
			t.Fatal(err)
		}
		pc, err := NewAPIClient(testAPIKey, WithAPIURL(srv.URL), WithCustomerID("org_1"), WithRetry(0, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range []*Billing{&sc.Billing, &pc.Billing} {
			checks := map[string]error{}
			_, checks["balance"] = b.Usage.Balance(ctx, "api-calls")
			_, checks["consume"] = b.Usage.Consume(ctx, "api-calls", 1)
			_, checks["limit"] = b.Limit(ctx, "seats")
			_, checks["has"] = b.Has(ctx, "csv-export")
			_, checks["checkout"] = b.Checkout.Create(ctx, &CheckoutParams{ProductKey: "pro", SuccessURL: "https://a.test/", CancelURL: "https://a.test/"})
			_, checks["customer"] = b.Customer.Sync(ctx)
			_, checks["snapshot"] = b.Snapshot(ctx, nil)
			for name, err := range checks {
				if !errors.Is(err, ErrUnexpectedResponse) {
					t.Errorf("%s answered %s: %v", name, body, err)
				}
			}
			if _, err := b.Usage.Consume(ctx, "api-calls", 1); !errors.Is(err, ErrOutcomeUnknown) {
				t.Errorf("consume answered %s: not ErrOutcomeUnknown: %v", body, err)
			}
		}
		srv.Close()
	}
}

// withReadIdle is a test option: the default transport's read idle bound.
func withReadIdle(d time.Duration) Option {
	return func(c *config) error { c.readIdle = d; return nil }
}

// TestSilentServersDoNotHang (item 8): a server that accepts and never
// answers, or sends its answer one byte at a time too slowly, fails the
// attempt with context.Background(); WithTimeout bounds a whole call.
func TestSilentServersDoNotHang(t *testing.T) {
	t.Parallel()
	// silent reads the request and never answers: without a read bound the
	// call would wait until go test's -timeout. drip sends the answer a byte
	// every 400 ms, longer than the 150 ms read bound: without the bound the
	// call would succeed after 20 s.
	silent := rawServer(t, func(conn net.Conn) {
		if readRequest(conn) {
			_, _ = io.Copy(io.Discard, conn) // until the client hangs up
		}
	})
	drip := rawServer(t, func(conn net.Conn) {
		if !readRequest(conn) {
			return
		}
		body := `{"customerId":"org_1","balance":1,"resets":null}`
		_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 49\r\n\r\n")
		for i := 0; i < len(body); i++ {
			if _, err := io.WriteString(conn, body[i:i+1]); err != nil {
				return
			}
			time.Sleep(400 * time.Millisecond)
		}
	})
	for name, base := range map[string]string{"silent": silent, "drip": drip} {
		c, err := NewClient(base, WithBearerToken(testToken), withReadIdle(150*time.Millisecond), WithRetry(0, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		if _, err = c.Usage.Consume(context.Background(), "api-calls", 1); !errors.Is(err, ErrOutcomeUnknown) {
			t.Errorf("%s: %v", name, err)
		}
		c.CloseIdleConnections()
	}
	c, err := NewClient(silent, WithBearerToken(testToken), WithTimeout(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WithTimeout: %v", err)
	}
	if _, err := NewClient(silent, WithTimeout(0)); err == nil {
		t.Error("WithTimeout(0) accepted")
	}
}

// TestEndpointCacheBoundedInBytes (item 10): platform paths with large keys
// are not cached past the byte bound.
func TestEndpointCacheBoundedInBytes(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockAPIClient(t)
	mt.RegisterNoResponder(jsonResponder(200, `{"balance":1,"resets":null}`))
	key := strings.Repeat("k", 16<<10)
	for i := 0; i < 50; i++ {
		if _, err := c.Usage.Balance(context.Background(), key+string(rune('a'+i%26))+strings.Repeat("x", i)); err != nil {
			t.Fatal(err)
		}
	}
	var cached int
	c.parts.urls.Range(func(k, _ any) bool { cached += len(k.(string)); return true })
	if cached > maxEndpointBytes {
		t.Errorf("the URL cache holds %d bytes of paths, over %d", cached, maxEndpointBytes)
	}
}
