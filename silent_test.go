//go:build !(js && wasm)

package guapocado

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestSilentServerTimesOut: with the default transport and a context with no
// deadline, a server that accepts the request and never answers fails the
// call after the response-header timeout instead of hanging for ever. The
// test shortens the SDK's default (DefaultResponseHeaderTimeout, which the
// default transport's connections keep: the client's read bound) on the
// client's own configuration.
func TestSilentServerTimesOut(t *testing.T) {
	t.Parallel()
	base := rawServer(t, func(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) }) // reads, never answers
	if d := newConfig(&url.URL{Scheme: "https", Host: "app.example.com"}).readIdle; d != DefaultResponseHeaderTimeout || DefaultResponseHeaderTimeout <= 0 {
		t.Fatalf("the default transport's header bound is %s, want DefaultResponseHeaderTimeout (%s)", d, DefaultResponseHeaderTimeout)
	}
	const bound = 200 * time.Millisecond
	c, err := NewClient(base, WithBearerToken(testToken), WithRetry(0, 0, 0), withReadIdle(bound)) // the test hook: the same bound, shortened
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	if _, ok := c.base.(*http.Transport); !ok {
		t.Fatalf("default transport is %T", c.base)
	}

	for _, call := range []struct {
		name        string
		do          func() error
		unknownKind bool
	}{
		{"read", func() error { _, err := c.Has(context.Background(), "csv-export"); return err }, false},
		{"consume", func() error { _, err := c.Usage.Consume(context.Background(), "api-calls", 1); return err }, true},
	} {
		// The server never answers: a call that waited for ever would hang
		// until go test's -timeout; the error says which timeout ended it.
		start := time.Now()
		err := call.do()
		if took := time.Since(start); took < bound {
			t.Errorf("%s: ended after %s, before the %s bound", call.name, took, bound)
		}
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != 0 || !strings.Contains(err.Error(), "timeout awaiting response headers") {
			t.Errorf("%s: %v", call.name, err)
		}
		if errors.Is(err, ErrOutcomeUnknown) != call.unknownKind {
			t.Errorf("%s: outcome unknown = %t", call.name, errors.Is(err, ErrOutcomeUnknown))
		}
	}
}
