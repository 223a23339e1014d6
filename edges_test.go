package guapocado

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// TestRetryAfterDateIsCapped: a Retry-After given as an HTTP date decades
// away is capped like a numeric one, so the error reports at most a year.
func TestRetryAfterDateIsCapped(t *testing.T) {
	t.Parallel()
	for _, v := range []string{
		time.Now().Add(50 * 365 * 24 * time.Hour).UTC().Format(http.TimeFormat),
		"99999999999",
	} {
		c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken))
		mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has",
			status(429, `{"message":"slow down"}`, "Retry-After", v))
		_, err := c.Has(context.Background(), "csv-export")
		var e *Error
		if !errors.As(err, &e) || !errors.Is(err, ErrRateLimited) {
			t.Fatalf("Retry-After %s: %v", v, err)
		}
		if e.RetryAfter != 365*24*time.Hour {
			t.Errorf("Retry-After %s: RetryAfter = %s, want the one-year cap", v, e.RetryAfter)
		}
	}
}
