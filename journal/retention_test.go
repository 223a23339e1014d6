package journal

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestKeyRetention: an intent older than the platform's key retention is
// still sent if no attempt can have reached the platform, but after an
// attempt that may have, it is not resent: it is dead with ErrKeyExpired.
func TestKeyRetention(t *testing.T) {
	t.Parallel()
	d := newSQLite(t)
	srv := fake(t)
	// Every call for "maybe-sent" fails after reaching the server (a 503 the
	// client retries, then reports).
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"maybe-sent"`)) {
			return &guapocadotest.Fault{Status: http.StatusServiceUnavailable, Body: `{"error":"unavailable"}`}
		}
		return nil
	})
	var mu sync.Mutex
	var dead []Dead
	j := newJournal(t, d, srv, WithKeyRetention(time.Millisecond), WithDeadLetter(func(_ context.Context, x Dead) {
		mu.Lock()
		dead = append(dead, x)
		mu.Unlock()
	}))
	ctx := t.Context()
	for _, k := range []string{"first-try", "maybe-sent"} {
		if _, err := j.Record(ctx, Usage{CustomerID: "org_r", Meter: "tokens", Amount: 2, Key: k}); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(5 * time.Millisecond) // both older than the retention before the first attempt
	start(t, j)
	waitFor(t, "settled", func() bool { s, _ := j.Stats(ctx); return s.Delivered == 1 && s.Dead == 1 })
	if n, _ := applied(srv); n["first-try"] != 1 || n["maybe-sent"] != 0 {
		t.Errorf("applied %v", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != 1 || dead[0].Usage.Key != "maybe-sent" || !errors.Is(dead[0].Err, ErrKeyExpired) || dead[0].Attempt != 2 {
		t.Errorf("dead letters %+v", dead)
	}
}
