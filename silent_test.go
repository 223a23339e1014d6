//go:build !(js && wasm)

package guapocado

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestSilentServerTimesOut: with the default transport and a context with no
// deadline, a server that accepts the request and never answers fails the
// call after the response-header timeout instead of hanging for ever. The
// test shortens the SDK's default (DefaultResponseHeaderTimeout) on the
// client's own transport.
func TestSilentServerTimesOut(t *testing.T) {
	t.Parallel()
	base := rawServer(t, func(conn net.Conn) { _, _ = io.Copy(io.Discard, conn) }) // reads, never answers
	c, err := NewClient(base, WithBearerToken(testToken), WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	tr, ok := c.base.(*http.Transport)
	if !ok {
		t.Fatalf("default transport is %T", c.base)
	}
	if tr.ResponseHeaderTimeout != DefaultResponseHeaderTimeout || DefaultResponseHeaderTimeout <= 0 {
		t.Fatalf("ResponseHeaderTimeout = %s, want DefaultResponseHeaderTimeout (%s)", tr.ResponseHeaderTimeout, DefaultResponseHeaderTimeout)
	}
	tr.ResponseHeaderTimeout = 200 * time.Millisecond // the test hook: the same field, shortened

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
		err := call.do()
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != 0 || !strings.Contains(err.Error(), "timeout awaiting response headers") {
			t.Errorf("%s: %v", call.name, err)
		}
		if errors.Is(err, ErrOutcomeUnknown) != call.unknownKind {
			t.Errorf("%s: outcome unknown = %t", call.name, errors.Is(err, ErrOutcomeUnknown))
		}
	}
}
