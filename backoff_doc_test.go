package guapocado

import (
	"net/url"
	"testing"
	"time"
)

// TestBackoffDefaultsAsDocumented: with the default WithRetry the first
// retry waits in [125ms, 250ms) and the second in [250ms, 500ms), as
// README ("Retries"), doc.go and WithRetry say.
func TestBackoffDefaultsAsDocumented(t *testing.T) {
	t.Parallel()
	cfg := newConfig(&url.URL{Scheme: "https", Host: "app.example.com"})
	for attempt, want := range map[int][2]time.Duration{
		1: {125 * time.Millisecond, 250 * time.Millisecond},
		2: {250 * time.Millisecond, 500 * time.Millisecond},
	} {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for i := 0; i < 2000; i++ {
			d := cfg.backoff(attempt)
			lo, hi = min(lo, d), max(hi, d)
		}
		if lo < want[0] || hi >= want[1] {
			t.Errorf("retry %d waits %s to %s, want within [%s, %s)", attempt, lo, hi, want[0], want[1])
		}
		if hi-lo < (want[1]-want[0])/2 {
			t.Errorf("retry %d: waits %s to %s barely vary (jitter)", attempt, lo, hi)
		}
	}
}
