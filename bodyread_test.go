package guapocado

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestDrippedBodyEndsWithoutADeadline (issue 23 item 6): a server that
// answers at once and then sends its body a byte at a time (each byte well
// within DefaultReadIdleTimeout) does not hold a call without a deadline
// for ever: the body read is bounded (DefaultBodyReadTimeout, shortened
// here through the same setting). A read fails with an error matching
// context.DeadlineExceeded; a consume whose 2xx answer was cut off ends
// ErrOutcomeUnknown.
func TestDrippedBodyEndsWithoutADeadline(t *testing.T) {
	t.Parallel()
	const bodyLen = 4000 // 4000 bytes 1 ms apart: at least 4 s, 40 times the bound
	var dripped atomic.Int64
	base := rawServer(t, func(conn net.Conn) {
		br := bufio.NewReader(conn)
		for {
			r, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			body := `{"customerId":"c","balance":1,"included":1,"consumed":0}`
			body += strings.Repeat(" ", bodyLen-len(body))
			if _, err := io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(bodyLen)+"\r\n\r\n"); err != nil {
				return
			}
			for i := 0; i < bodyLen; i++ {
				if _, err := conn.Write([]byte{body[i]}); err != nil {
					return
				}
				dripped.Add(1)
				time.Sleep(time.Millisecond)
			}
		}
	})
	for _, tc := range []struct {
		name    string
		call    func(c *Client) error
		unknown bool
	}{
		{"balance", func(c *Client) error { _, err := c.Usage.Balance(context.Background(), "api-calls"); return err }, false},
		{"consume", func(c *Client) error { _, err := c.Usage.Consume(context.Background(), "api-calls", 1); return err }, true},
	} {
		c, err := NewClient(base, WithBearerToken(testToken), WithRetry(0, 0, 0))
		if err != nil {
			t.Fatal(err)
		}
		c.cfg.bodyRead = 100 * time.Millisecond
		before := dripped.Load()
		err = tc.call(c)
		c.CloseIdleConnections()
		if sent := dripped.Load() - before; sent >= bodyLen {
			t.Errorf("%s: the call read the whole dripped body (%d bytes): %v", tc.name, sent, err)
		}
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s: %v, want an error matching context.DeadlineExceeded", tc.name, err)
		}
		if got := errors.Is(err, ErrOutcomeUnknown); got != tc.unknown {
			t.Errorf("%s: ErrOutcomeUnknown %v, want %v: %v", tc.name, got, tc.unknown, err)
		}
	}
}

// TestBodyReadBoundOnlyWithoutDeadline: DefaultBodyReadTimeout is the
// documented default, and a call whose context has a deadline is bounded
// by it, not by the body read bound.
func TestBodyReadBoundOnlyWithoutDeadline(t *testing.T) {
	t.Parallel()
	if DefaultBodyReadTimeout <= 0 || newConfig(&url.URL{Scheme: "https", Host: "app.example.com"}).bodyRead != DefaultBodyReadTimeout {
		t.Fatalf("the default body read bound is %s, want DefaultBodyReadTimeout (%s)", newConfig(&url.URL{Scheme: "https", Host: "app.example.com"}).bodyRead, DefaultBodyReadTimeout)
	}
	cfg := &config{bodyRead: time.Nanosecond}
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	for _, tc := range []struct {
		ctx     context.Context
		bounded bool
	}{{context.Background(), true}, {ctx, false}} {
		var b timedBody
		b.start(cfg, &callState{Context: tc.ctx}, io.NopCloser(strings.NewReader("abc")))
		time.Sleep(time.Millisecond)
		_, err := b.Read(make([]byte, 1))
		if got := errors.Is(err, context.DeadlineExceeded); got != tc.bounded {
			t.Errorf("deadline on the context %v: bounded %v, want %v (%v)", !tc.bounded, got, tc.bounded, err)
		}
	}
}
