package guapocado

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
)

// TestWithLoggerNil: WithLogger(nil) means silent, also after an earlier
// WithLogger, and a retried call then logs nothing and does not panic (the
// config holds the logger behind an interface, where a nil *slog.Logger
// would not be nil).
func TestWithLoggerNil(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken), WithRetry(2, 0, 0), WithLogger(l), WithLogger(nil))
	mt.RegisterResponder("POST", balanceURL, status(503, "").Then(status(200, fixture(t, "balance_monthly.json"))))
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 {
		t.Errorf("WithLogger(nil) after WithLogger(l): l got\n%s", buf.String())
	}
}
