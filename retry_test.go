package guapocado

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
)

const (
	balanceURL = testBase + "/api/auth/guapocado/usage/balance"
	consumeURL = testBase + "/api/auth/guapocado/usage/consume"
)

func status(code int, body string, hdr ...string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(code, body)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r, nil
	}
}

func calls(mt *httpmock.MockTransport, method, u string) int {
	return mt.GetCallCountInfo()[method+" "+u]
}

func TestRetryReadOn503(t *testing.T) {
	t.Parallel()
	c, mt, sl := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, 0))
	mt.RegisterResponder("POST", balanceURL, status(503, "").Then(status(200, fixture(t, "balance_monthly.json"))))
	u, err := c.Usage.Balance(context.Background(), "api-calls")
	if err != nil || u.Balance != 100 {
		t.Fatalf("got %+v, %v", u, err)
	}
	if n := calls(mt, "POST", balanceURL); n != 2 {
		t.Errorf("%d attempts, want 2", n)
	}
	if len(sl.all()) != 1 {
		t.Errorf("waits %v", sl.all())
	}
}

func TestRetryReadStatuses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		code  int
		retry bool
	}{{429, true}, {500, true}, {502, true}, {503, true}, {504, true}, {501, false}, {400, false}, {401, false}, {403, false}, {404, false}, {409, false}} {
		c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(2, 0, 0))
		mt.RegisterResponder("POST", balanceURL, status(tc.code, `{"message":"x"}`))
		_, err := c.Usage.Balance(context.Background(), "api-calls")
		want := 1
		if tc.retry {
			want = 3
		}
		var ae *Error
		if n := calls(mt, "POST", balanceURL); n != want || !errors.As(err, &ae) || ae.Attempts != want {
			t.Errorf("%d: %d attempts (err %v), want %d", tc.code, n, err, want)
		}
	}
}

func TestConsumeNotRetriedOn5xx(t *testing.T) {
	t.Parallel()
	for _, code := range []int{500, 502, 503, 504} {
		c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, 0))
		mt.RegisterResponder("POST", consumeURL, status(code, "").Then(status(200, fixture(t, "consume.json"))))
		_, err := c.Usage.Consume(context.Background(), "api-calls", 1)
		if !errors.Is(err, ErrServer) {
			t.Errorf("%d: got %v", code, err)
		}
		if n := calls(mt, "POST", consumeURL); n != 1 {
			t.Errorf("%d: consume sent %d times", code, n)
		}
	}
}

func TestConsumeRetriedOnLimiter429AfterStatedWait(t *testing.T) {
	t.Parallel()
	c, mt, sl := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, 30*time.Second))
	mt.RegisterResponder("POST", consumeURL,
		status(429, `{"message":"Too many requests. Please try again later."}`, "X-Retry-After", "10").
			Then(status(200, fixture(t, "consume.json"))))
	u, err := c.Usage.Consume(context.Background(), "api-calls", 5)
	if err != nil || u.Balance != 95 {
		t.Fatalf("got %+v, %v", u, err)
	}
	if n := calls(mt, "POST", consumeURL); n != 2 {
		t.Errorf("%d attempts", n)
	}
	if w := sl.all(); len(w) != 1 || w[0] != 10*time.Second {
		t.Errorf("waits %v, want [10s]", w)
	}
}

func TestInsufficientBalanceNeverRetried(t *testing.T) {
	t.Parallel()
	for _, hdr := range [][]string{nil, {"Retry-After", "3"}} {
		c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, time.Minute))
		mt.RegisterResponder("POST", consumeURL, status(429, `{"message":"Insufficient balance"}`, hdr...))
		_, err := c.Usage.Consume(context.Background(), "ai-credits", 11)
		if !errors.Is(err, ErrInsufficientBalance) || errors.Is(err, ErrRateLimited) {
			t.Errorf("got %v", err)
		}
		if n := calls(mt, "POST", consumeURL); n != 1 {
			t.Errorf("sent %d times", n)
		}
	}
}

func TestConsumeRetriedOnDialFailure(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, 0))
	dial := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	mt.RegisterResponder("POST", consumeURL, httpmock.NewErrorResponder(dial).Then(status(200, fixture(t, "consume.json"))))
	u, err := c.Usage.Consume(context.Background(), "api-calls", 5)
	if err != nil || u.Consumed != 5 {
		t.Fatalf("got %+v, %v", u, err)
	}
	if n := calls(mt, "POST", consumeURL); n != 2 {
		t.Errorf("%d attempts", n)
	}
}

// lostAfterWrite behaves like a transport whose connection broke after the
// request was written: it fires the WroteHeaders trace, then fails.
func lostAfterWrite(r *http.Request) (*http.Response, error) {
	if tr := httptrace.ContextClientTrace(r.Context()); tr != nil && tr.WroteHeaders != nil {
		tr.WroteHeaders()
	}
	return nil, io.ErrUnexpectedEOF
}

func TestConsumeLostAfterWriteIsOutcomeUnknown(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"consume", "refund", "checkout"} {
		c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, 0))
		mt.RegisterNoResponder(lostAfterWrite)
		var err error
		switch name {
		case "consume":
			_, err = c.Usage.Consume(context.Background(), "api-calls", 1)
		case "refund":
			_, err = c.Usage.Refund(context.Background(), "api-calls", 1)
		case "checkout":
			_, err = c.Checkout.Create(context.Background(), &CheckoutParams{ProductKey: "pro", SuccessURL: "https://a.test/ok", CancelURL: "https://a.test/no"})
		}
		if !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s: got %v", name, err)
		}
		if n := mt.GetTotalCallCount(); n != 1 {
			t.Errorf("%s: sent %d times", name, n)
		}
	}
	// A read that loses its answer is simply retried.
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, 0))
	mt.RegisterResponder("POST", balanceURL, httpmock.Responder(lostAfterWrite).Then(status(200, fixture(t, "balance_monthly.json"))))
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); err != nil {
		t.Errorf("read: %v", err)
	}
}

// TestContextCancelStopsRetriesAtOnce: cancelling the context ends a 10 s
// retry wait at once. On testing/synctest's clock, so the elapsed time is
// exact.
func TestContextCancelStopsRetriesAtOnce(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		mt := httpmock.NewMockTransport()
		c, err := NewClient(testBase, WithHTTPClient(&http.Client{Transport: mt}), WithBearerToken(testToken), WithRetry(5, 10*time.Second, 10*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		mt.RegisterResponder("POST", balanceURL, status(503, ""))
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		_, err = c.Usage.Balance(ctx, "api-calls")
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("returned after %s", el)
		}
		if !errors.Is(err, context.Canceled) {
			t.Errorf("got %v, want context.Canceled", err)
		}
		if n := calls(mt, "POST", balanceURL); n != 1 {
			t.Errorf("%d attempts", n)
		}
	})
}

// TestDeadlineShorterThanWaitStops: a Retry-After longer than what is left of
// the context ends the retries at once. In a testing/synctest bubble, so the
// 2 s deadline is on its fake clock.
func TestDeadlineShorterThanWaitStops(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt, sl := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, time.Minute))
		mt.RegisterResponder("POST", balanceURL, status(429, `{"message":"Too many requests. Please try again later."}`, "X-Retry-After", "10"))
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := c.Usage.Balance(ctx, "api-calls")
		var ae *Error
		if !errors.As(err, &ae) || !errors.Is(err, ErrRateLimited) || ae.RetryAfter != 10*time.Second {
			t.Fatalf("got %v", err)
		}
		if n := calls(mt, "POST", balanceURL); n != 1 || len(sl.all()) != 0 {
			t.Errorf("%d attempts, waits %v", n, sl.all())
		}
	})
}

func TestMaxRetriesReturnsLastTypedError(t *testing.T) {
	t.Parallel()
	c, mt, sl := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(2, 0, 5*time.Second))
	mt.RegisterResponder("POST", balanceURL, status(429, `{"message":"Too many requests. Please try again later."}`, "X-Retry-After", "1"))
	_, err := c.Usage.Balance(context.Background(), "api-calls")
	var ae *Error
	if !errors.As(err, &ae) || !errors.Is(err, ErrRateLimited) {
		t.Fatalf("got %v", err)
	}
	if ae.RetryAfter != time.Second || ae.Attempts != 3 || ae.Message != "Too many requests. Please try again later." {
		t.Errorf("error %+v", ae)
	}
	if w := sl.all(); len(w) != 2 || w[0] != time.Second || w[1] != time.Second {
		t.Errorf("waits %v", w)
	}
}

func TestRetryAfterBeyondCapIsReported(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(3, 0, 5*time.Second))
	mt.RegisterResponder("POST", balanceURL, status(503, `{"message":"maintenance"}`, "Retry-After", "120"))
	_, err := c.Usage.Balance(context.Background(), "api-calls")
	var ae *Error
	if !errors.As(err, &ae) || ae.RetryAfter != 2*time.Minute || ae.Attempts != 1 {
		t.Fatalf("got %+v", err)
	}
}

func TestRetryDisabled(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithRetry(0, 0, 0))
	mt.RegisterResponder("POST", balanceURL, status(503, ""))
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); !errors.Is(err, ErrServer) {
		t.Fatal(err)
	}
	if n := calls(mt, "POST", balanceURL); n != 1 {
		t.Errorf("%d attempts", n)
	}
}

func TestBodiesReplayedByteIdentical(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken), WithRetry(3, 0, 0))
	rec := &recorder{}
	mt.RegisterResponder("POST", consumeURL, rec.responder(
		status(429, `{"message":"Too many requests. Please try again later."}`, "X-Retry-After", "0").
			Then(httpmock.NewErrorResponder(&net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})).
			Then(status(200, fixture(t, "consume.json")))))
	if _, err := c.Usage.Consume(context.Background(), "api-calls", 7, ForCustomer("org_1")); err != nil {
		t.Fatal(err)
	}
	if len(rec.reqs) != 3 {
		t.Fatalf("%d attempts", len(rec.reqs))
	}
	for i, r := range rec.reqs {
		if !bytes.Equal(r.body, rec.reqs[0].body) || r.header.Get("Cookie") != testCookie || r.header.Get("Origin") != testBase {
			t.Errorf("attempt %d: body %q, cookie %q, origin %q", i, r.body, r.header.Get("Cookie"), r.header.Get("Origin"))
		}
	}
	jsonEqual(t, rec.reqs[2].body, `{"key":"api-calls","amount":7,"customerId":"org_1"}`)
}

func TestRetryAfterParsing(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		h    http.Header
		want time.Duration
		ok   bool
	}{
		{http.Header{"X-Retry-After": {"10"}}, 10 * time.Second, true},
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second, true},
		{http.Header{"X-Retry-After": {"3"}, "Retry-After": {"9"}}, 3 * time.Second, true},
		{http.Header{"Retry-After": {now.Add(90 * time.Second).Format(http.TimeFormat)}}, 90 * time.Second, true},
		{http.Header{"Retry-After": {now.Add(-time.Minute).Format(http.TimeFormat)}}, 0, true},
		{http.Header{"Retry-After": {"soon"}}, 0, false},
		{http.Header{"Retry-After": {"-1"}}, 0, false},
		{http.Header{}, 0, false},
	} {
		got, ok := retryAfter(tc.h, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%v: got %s %v, want %s %v", tc.h, got, ok, tc.want, tc.ok)
		}
	}
}

func TestBackoffExponentialJitterCapped(t *testing.T) {
	t.Parallel()
	cfg := &config{retryWaitMin: 100 * time.Millisecond, retryWaitMax: time.Second}
	for attempt, step := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 3: 400 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 9: time.Second} {
		seen := map[time.Duration]bool{}
		for i := 0; i < 200; i++ {
			d := cfg.backoff(attempt)
			if d < step/2 || d > step {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, step/2, step)
			}
			seen[d] = true
		}
		if len(seen) < 10 {
			t.Errorf("attempt %d: no jitter (%d distinct waits)", attempt, len(seen))
		}
	}
}

// TestLoggerSilentByDefaultAndNoSecrets: the retry log says what happened
// without a cookie, token or body.
func TestLoggerNoSecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	l := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken), WithBearerToken(testToken), WithRetry(2, 0, 0), WithLogger(l))
	mt.RegisterResponder("POST", balanceURL, status(503, "").Then(status(200, fixture(t, "balance_monthly.json"))))
	if _, err := c.Usage.Balance(context.Background(), "api-calls"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "guapocado: retrying") || !strings.Contains(out, "status=503") {
		t.Errorf("log lacks the retry:\n%s", out)
	}
	for _, s := range []string{"EQAeW4iPLUZUBTan95alTroK5wxGfZ3L", "session_token", "api-calls", "Bearer"} {
		if strings.Contains(out, s) {
			t.Errorf("log contains %q:\n%s", s, out)
		}
	}
}
