package guapocado

import (
	"context"
	"net/http"
	"time"
)

type serverTimeKey struct{}

// WithServerTime returns a context under which a call records the
// server's clock, as the Date header of its final answer (success or
// error) gives it, into *t: the time the server produced the answer,
// rounded down to the second. *t is left unchanged when no answer came or
// it had no valid Date. Use one t per call.
//
// The read model (package readmodel) orders the answers it stores by it,
// so that they compare with webhook events, which carry the server's
// times, whatever this machine's clock says.
func WithServerTime(ctx context.Context, t *time.Time) context.Context {
	return context.WithValue(ctx, serverTimeKey{}, t)
}

// recordServerTime stores resp's Date where ctx asks for it.
func recordServerTime(ctx context.Context, resp *http.Response) {
	p, ok := ctx.Value(serverTimeKey{}).(*time.Time)
	if !ok || p == nil {
		return
	}
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		*p = d.UTC()
	}
}
