package guapocado

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// staleRetryServer answers a session consume's first attempt, on the
// first connection, with Better Auth's 429 and X-Retry-After, keeping the
// connection alive. A request that then arrives on that connection is read
// and the connection closed without an answer: the server's keep-alive
// timeout closing it in the instant the client reuses it. Every other
// connection is handled by fresh, which gets the request as read.
type staleRetryServer struct {
	conns   atomic.Int32
	stale   atomic.Int32 // requests sent on the first connection after its 429
	applied atomic.Int32
}

func (s *staleRetryServer) handle(fresh func(conn net.Conn, r *http.Request)) func(conn net.Conn) {
	return func(conn net.Conn) {
		br := bufio.NewReader(conn)
		r, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		if s.conns.Add(1) > 1 {
			fresh(conn, r)
			return
		}
		const limited = `{"message":"Too many requests. Please try again later."}`
		_, _ = io.WriteString(conn, "HTTP/1.1 429 Too Many Requests\r\nX-Retry-After: 1\r\nContent-Type: application/json\r\nContent-Length: "+
			strconv.Itoa(len(limited))+"\r\n\r\n"+limited)
		if r2, err := http.ReadRequest(br); err == nil {
			_, _ = io.Copy(io.Discard, r2.Body)
			s.stale.Add(1)
		}
		// The connection closes unanswered.
	}
}

// TestRetriedWriteAfterRateLimitGoesOutOnAFreshConnection (issue 23 item
// 12): a consume refused by the rate limiter is retried after the wait on a
// connection of its own, so that the server closing the connection the 429
// came back on cannot turn a write that was never applied into
// ErrOutcomeUnknown. A retry that fails after its request was written on
// its own connection is a real unknown and is reported so, not resent.
func TestRetriedWriteAfterRateLimitGoesOutOnAFreshConnection(t *testing.T) {
	t.Parallel()
	t.Run("never applied: retried and applied once", func(t *testing.T) {
		t.Parallel()
		s := &staleRetryServer{}
		base := rawServer(t, s.handle(func(conn net.Conn, r *http.Request) {
			s.applied.Add(1)
			body := fixture(t, "consume.json")
			_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: "+
				strconv.Itoa(len(body))+"\r\n\r\n"+body)
		}))
		c := freshRetryClient(t, base)
		if _, err := c.Usage.Consume(context.Background(), "api-calls", 5); err != nil {
			t.Fatalf("consume: %v (sent again on the 429's connection %d times)", err, s.stale.Load())
		}
		if n := s.stale.Load(); n != 0 {
			t.Errorf("the retry went out on the connection the 429 came back on (%d requests)", n)
		}
		if n := s.applied.Load(); n != 1 {
			t.Errorf("applied %d times, want 1", n)
		}
	})
	t.Run("sent on its own connection, answer lost: ErrOutcomeUnknown", func(t *testing.T) {
		t.Parallel()
		s := &staleRetryServer{}
		base := rawServer(t, s.handle(func(net.Conn, *http.Request) {
			s.applied.Add(1) // read whole, applied, the answer lost
		}))
		c := freshRetryClient(t, base)
		_, err := c.Usage.Consume(context.Background(), "api-calls", 5)
		var e *Error
		if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &e) || e.Attempts != 2 {
			t.Fatalf("consume: %v, want ErrOutcomeUnknown after 2 attempts", err)
		}
		if n := s.applied.Load(); n != 1 {
			t.Errorf("applied %d times, want 1 (never resent)", n)
		}
		if n := s.stale.Load(); n != 0 {
			t.Errorf("the retry went out on the connection the 429 came back on (%d requests)", n)
		}
	})
}

// freshRetryClient is a session client on the default transport whose
// retry waits are recorded, not slept.
func freshRetryClient(t *testing.T, base string) *Client {
	t.Helper()
	c, err := NewClient(base, WithBearerToken(testToken), WithRetry(3, 0, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	sl := &sleeps{}
	c.cfg.sleepFn = sl.sleep
	return c
}
