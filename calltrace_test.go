//go:build !(js && wasm)

package guapocado

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http/httptrace"
	"sync/atomic"
	"testing"
)

// A write's call state carries its trace itself, and a caller's own trace
// (otelhttp's, say) still sees the write's events while the SDK's mark
// still sees the request written.
func TestWriteTraceComposesWithTheCallersTrace(t *testing.T) {
	t.Parallel()
	if clientTraceKey == nil {
		t.Fatal("httptrace's context key was not found")
	}
	st := &callState{Context: context.Background()}
	if got := httptrace.ContextClientTrace(st.traceAttempts(true, false)); got != &st.trace {
		t.Fatalf("the call state's context gives trace %p, want its own %p", got, &st.trace)
	}

	// The server reads the request and closes without an answer: a write
	// whose headers were sent, so ErrOutcomeUnknown only if the SDK's mark
	// saw them written under the caller's trace.
	base := rawServer(t, func(conn net.Conn) {
		readRequest(conn)
		_ = conn.(interface{ CloseWrite() error }).CloseWrite()
		_, _ = io.Copy(io.Discard, conn)
	})
	c, err := NewClient(base, WithBearerToken(testToken), WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	var wrote atomic.Int32
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{WroteHeaders: func() { wrote.Add(1) }})
	_, err = c.Usage.Consume(ctx, "api-calls", 1)
	if !errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("Consume after the request was written and the answer lost: %v, want ErrOutcomeUnknown", err)
	}
	if wrote.Load() == 0 {
		t.Error("the caller's trace did not see the request's headers written")
	}
}
