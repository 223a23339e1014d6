package guapocadotest_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

const consumePath = "/api/auth/guapocado/usage/consume"

// rawConsume posts one consume of 1 api-call and returns the answer or the
// transport error.
func rawConsume(t *testing.T, client *http.Client, srv *guapocadotest.Server, token string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+consumePath, strings.NewReader(`{"key":"api-calls","amount":1}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Trace", "t-1")
	resp, err := client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b), nil
}

func consumedOf(t *testing.T, srv *guapocadotest.Server, customer string) float64 {
	t.Helper()
	u, err := srv.Usage(customer, "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	return u.Consumed
}

func TestStatusFault(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess := mustSession(t, srv)
	srv.InjectFaults(2, guapocadotest.Fault{
		Path:   consumePath,
		Status: http.StatusTooManyRequests,
		Body:   `{"message":"Too many requests. Please try again later."}`,
		Header: http.Header{"X-Retry-After": {"1"}},
	})
	// a request on another path is not affected
	expectAnswer(t, "other path", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(sess.Token)...), 200,
		`{"customerId":"`+sess.CustomerID+`","allowed":true}`)
	for i := range 3 {
		resp, b, err := rawConsume(t, srv.Client(), srv, sess.Token)
		if err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if resp.StatusCode != 429 || b != `{"message":"Too many requests. Please try again later."}` ||
				resp.Header.Get("X-Retry-After") != "1" || resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Retry-After") != "" {
				t.Errorf("fault %d: %d %v %s", i, resp.StatusCode, resp.Header, b)
			}
			if c := consumedOf(t, srv, sess.CustomerID); c != 0 {
				t.Errorf("a status fault reached the ledger: consumed %v", c)
			}
			continue
		}
		if resp.StatusCode != 200 {
			t.Errorf("after the faults: %d %s", resp.StatusCode, b)
		}
	}
	if c := consumedOf(t, srv, sess.CustomerID); c != 1 {
		t.Errorf("consumed %v, want 1", c)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		statuses = append(statuses, r.Status)
	}
	if len(statuses) != 4 || statuses[0] != 200 || statuses[1] != 429 || statuses[2] != 429 || statuses[3] != 200 {
		t.Errorf("logged statuses %v", statuses)
	}
}

func TestDropFaults(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		mode  guapocadotest.DropMode
		after float64
	}{
		{"before apply", guapocadotest.DropBeforeApply, 0},
		{"after apply", guapocadotest.DropAfterApply, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv := guapocadotest.NewServer()
			defer srv.Close()
			sess := mustSession(t, srv)
			srv.InjectFaults(1, guapocadotest.Fault{Path: consumePath, Drop: c.mode})
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			if resp, b, err := rawConsume(t, client, srv, sess.Token); err == nil {
				t.Fatalf("no transport error: %d %s", resp.StatusCode, b)
			}
			if got := consumedOf(t, srv, sess.CustomerID); got != c.after {
				t.Errorf("consumed %v, want %v", got, c.after)
			}
			if ops := srv.Ops(); len(ops) != int(c.after) {
				t.Errorf("ops %+v", ops)
			}
			reqs := srv.Requests()
			if len(reqs) != 1 || reqs[0].Status != 0 || reqs[0].Path != consumePath {
				t.Errorf("requests %+v", reqs)
			}
			// the next request is served normally
			if resp, b, err := rawConsume(t, client, srv, sess.Token); err != nil || resp.StatusCode != 200 {
				t.Fatalf("after the drop: %v %s", err, b)
			}
			if got := consumedOf(t, srv, sess.CustomerID); got != c.after+1 {
				t.Errorf("consumed %v after a normal request", got)
			}
		})
	}
}

func TestDelayFault(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess := mustSession(t, srv)
	const delay = 150 * time.Millisecond
	srv.InjectFaults(1, guapocadotest.Fault{Delay: delay})
	start := time.Now()
	resp, b, err := rawConsume(t, srv.Client(), srv, sess.Token)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("delayed request: %v %s", err, b)
	}
	if el := time.Since(start); el < delay {
		t.Errorf("answered after %v, want at least %v", el, delay)
	}

	// a client that gives up during the delay: nothing is applied
	srv.InjectFaults(1, guapocadotest.Fault{Delay: 5 * time.Second})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+consumePath, strings.NewReader(`{"key":"api-calls"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+sess.Token)
	if _, err := srv.Client().Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want a deadline", err)
	}
	for len(srv.Requests()) < 2 { // the server records the abandoned request when its delay ends
		time.Sleep(5 * time.Millisecond)
	}
	if r := srv.Requests(); len(r) != 2 || r[1].Status != 0 {
		t.Errorf("requests %+v", r)
	}
	if c := consumedOf(t, srv, sess.CustomerID); c != 1 {
		t.Errorf("consumed %v, want 1", c)
	}

	// a delay combined with a status
	srv.InjectFaults(1, guapocadotest.Fault{Delay: 20 * time.Millisecond, Status: 503})
	if resp, _, err := rawConsume(t, srv.Client(), srv, sess.Token); err != nil || resp.StatusCode != 503 {
		t.Errorf("delay + status: %v %v", resp, err)
	}
}

func TestFaultFuncAndReset(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess := mustSession(t, srv)
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "ai-credits") {
			return &guapocadotest.Fault{Status: 500, Body: `{"message":"boom"}`}
		}
		return nil
	})
	expectAnswer(t, "matched by the func", rawDo(t, srv, "POST", "/guapocado/usage/balance", `{"key":"ai-credits"}`, bearerHdr(sess.Token)...), 500, `{"message":"boom"}`)
	if got := rawDo(t, srv, "POST", "/guapocado/usage/balance", `{"key":"api-calls"}`, bearerHdr(sess.Token)...); got.Status != 200 {
		t.Errorf("not matched: %d %s", got.Status, got.Body)
	}
	// queued faults come first
	srv.InjectFaults(1, guapocadotest.Fault{Status: 502})
	if got := rawDo(t, srv, "POST", "/guapocado/usage/balance", `{"key":"ai-credits"}`, bearerHdr(sess.Token)...); got.Status != 502 || got.Body != "" {
		t.Errorf("queued fault: %d %q", got.Status, got.Body)
	}
	srv.SetFaultFunc(nil)
	if got := rawDo(t, srv, "POST", "/guapocado/usage/balance", `{"key":"ai-credits"}`, bearerHdr(sess.Token)...); got.Status != 200 {
		t.Errorf("after SetFaultFunc(nil): %d %s", got.Status, got.Body)
	}
	srv.InjectFaults(5, guapocadotest.Fault{Status: 503})
	if len(srv.Requests()) != 4 {
		t.Errorf("%d requests logged", len(srv.Requests()))
	}
	srv.Reset()
	if len(srv.Requests()) != 0 || len(srv.Ops()) != 0 {
		t.Error("Reset kept the logs")
	}
	if got := rawDo(t, srv, "POST", "/guapocado/usage/balance", `{"key":"ai-credits"}`, bearerHdr(sess.Token)...); got.Status != 200 {
		t.Errorf("after Reset: %d %s", got.Status, got.Body)
	}
}

// TestLogs: Requests and Ops record what happened, without credentials.
func TestLogs(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	srv.SetNow(transcriptNow)
	up := rawDo(t, srv, "POST", "/sign-up/email", `{"email":"log@example.com","password":"password1234","name":"Log"}`)
	tok := up.Header.Get("Set-Auth-Token")
	if _, err := srv.CreateOrganization(tok, "Logs", "logs"); err != nil {
		t.Fatal(err)
	}
	if resp, _, err := rawConsume(t, srv.Client(), srv, tok); err != nil || resp.StatusCode != 200 {
		t.Fatal(err)
	}
	rawDo(t, srv, "POST", "/guapocado/usage/refund", `{"key":"api-calls"}`, "Cookie", sessionCookieHdr(tok), "Origin", srv.URL)
	rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"ai-credits","amount":50}`, bearerHdr(tok)...) // 429: not an op

	reqs := srv.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d requests", len(reqs))
	}
	if r := reqs[0]; r.Method != "POST" || r.Path != "/api/auth/sign-up/email" || r.Status != 200 ||
		string(r.Body) != `{"email":"log@example.com","name":"Log","password":"[REDACTED]"}` {
		t.Errorf("sign-up logged as %+v / %s", r, r.Body)
	}
	if r := reqs[1]; r.Header.Get("Authorization") != "[REDACTED]" || r.Header.Get("X-Trace") != "t-1" || string(r.Body) != `{"key":"api-calls","amount":1}` || !r.At.Equal(transcriptNow) {
		t.Errorf("consume logged as %+v", r)
	}
	if r := reqs[2]; r.Header.Get("Cookie") != "[REDACTED]" || r.Header.Get("Origin") != srv.URL {
		t.Errorf("refund logged as %+v", r)
	}
	if reqs[3].Status != 429 {
		t.Errorf("insufficient consume logged as %d", reqs[3].Status)
	}
	for _, r := range reqs {
		for _, vs := range r.Header {
			for _, v := range vs {
				if strings.Contains(v, tok[:32]) {
					t.Errorf("token in the request log: %s %s", r.Method, r.Path)
				}
			}
		}
	}
	ops := srv.Ops()
	if len(ops) != 2 || ops[0].Op != "consume" || ops[0].Key != "api-calls" || ops[0].Amount != 1 || ops[1].Op != "refund" || !ops[0].At.Equal(transcriptNow) {
		t.Fatalf("ops %+v", ops)
	}
	if ops[0].Header.Get("Authorization") != "" || ops[1].Header.Get("Cookie") != "" || ops[0].Header.Get("X-Trace") != "t-1" {
		t.Errorf("op headers %v / %v", ops[0].Header, ops[1].Header)
	}
}

// TestRateLimit: WithRateLimit answers like Better Auth's limiter, before
// any handler, per path, by the server's clock.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithRateLimit(3, 10*time.Second))
	defer srv.Close()
	srv.SetNow(transcriptNow)
	sess := mustSession(t, srv)
	for i := range 3 {
		if resp, b, err := rawConsume(t, srv.Client(), srv, sess.Token); err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: %v %s", i, err, b)
		}
	}
	srv.Advance(4 * time.Second)
	resp, b, err := rawConsume(t, srv.Client(), srv, sess.Token)
	if err != nil || resp.StatusCode != 429 || b != `{"message":"Too many requests. Please try again later."}` ||
		resp.Header.Get("X-Retry-After") != "6" || resp.Header.Get("Retry-After") != "" {
		t.Fatalf("4th request: %v %v %s", err, resp.Header, b)
	}
	if c := consumedOf(t, srv, sess.CustomerID); c != 3 {
		t.Errorf("the limited request reached the ledger: consumed %v", c)
	}
	if got := rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(sess.Token)...); got.Status != 200 {
		t.Errorf("another path has its own bucket: %d", got.Status)
	}
	srv.Advance(6*time.Second + time.Millisecond)
	if resp, b, err := rawConsume(t, srv.Client(), srv, sess.Token); err != nil || resp.StatusCode != 200 {
		t.Errorf("after the window: %v %s", err, b)
	}
}
