package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestRunOnEmbeddedFake runs the command's code with no environment.
func TestRunOnEmbeddedFake(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), env(nil), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, re := range []string{
		`(?m)^platform +http://127\.0\.0\.1:\d+ \(embedded fake platform\)$`,
		`(?m)^job +nightly: 50 items for customer org_demo on api-calls$`,
		`(?m)^metered +50 items, consumed 0 -> 101 \(keys job-nightly-item-1 … job-nightly-item-50\)$`,
		`(?m)^rerun +50 items again, consumed 101 -> 101: nothing charged twice$`,
	} {
		if !regexp.MustCompile(re).Match(out.Bytes()) {
			t.Errorf("output lacks %s:\n%s", re, out.String())
		}
	}
	if strings.Contains(out.String(), "sk_guap") {
		t.Error("the output shows the API key")
	}
}

func TestRunEnvChecks(t *testing.T) {
	for _, e := range []map[string]string{
		{"GUAPOCADO_API_URL": "https://api.example.com"}, // a URL without a key
		{"JOB_ITEMS": "zero"},
	} {
		if err := run(context.Background(), env(e), &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", e)
		}
	}
}

// setup starts a fake platform and a client with retries disabled, so a
// lost answer stops the job as a crash would.
func setup(t *testing.T) (*guapocadotest.Server, *guapocado.APIClient, job) {
	t.Helper()
	j := job{ID: "t1", Customer: "org_job", Meter: "api-calls", Items: 40}
	srv := guapocadotest.NewServer(guapocadotest.WithCustomerPlan(j.Customer, "pro"))
	t.Cleanup(srv.Close)
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID(j.Customer),
		guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return srv, c, j
}

// checkChargedOnce: one ledger operation per item, under the item's key,
// for the item's units.
func checkChargedOnce(t *testing.T, srv *guapocadotest.Server, j job) {
	t.Helper()
	ops := srv.Ops()
	if len(ops) != j.Items {
		t.Errorf("%d ledger operations for %d items", len(ops), j.Items)
	}
	seen := map[string]bool{}
	var want int64
	for n := 1; n <= j.Items; n++ {
		want += units(n)
	}
	for _, op := range ops {
		if seen[op.IdempotencyKey] || !strings.HasPrefix(op.IdempotencyKey, "job-t1-item-") {
			t.Errorf("operation %+v: key charged twice or unknown", op)
		}
		seen[op.IdempotencyKey] = true
	}
	u, err := srv.Usage(j.Customer, j.Meter)
	if err != nil || int64(u.Consumed) != want {
		t.Errorf("consumed %v (%v), want %d", u.Consumed, err, want)
	}
}

// TestRestartAfterLostAnswer: the connection drops after the platform
// applied item 17 (the job dies not knowing); the restarted job charges
// items 1–17 nothing more and finishes the rest.
func TestRestartAfterLostAnswer(t *testing.T) {
	srv, c, j := setup(t)
	var dropped atomic.Bool
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		var b struct{ IdempotencyKey string }
		if json.NewDecoder(r.Body).Decode(&b) == nil && b.IdempotencyKey == j.itemKey(17) && !dropped.Swap(true) {
			return &guapocadotest.Fault{Drop: guapocadotest.DropAfterApply}
		}
		return nil
	})
	done, err := meter(context.Background(), c, j)
	if err == nil || done != 16 || len(srv.Ops()) != 17 {
		t.Fatalf("first run: %d done, %d applied, err %v", done, len(srv.Ops()), err)
	}
	if done, err = meter(context.Background(), c, j); err != nil || done != j.Items {
		t.Fatalf("restart: %d done, %v", done, err)
	}
	if srv.IdempotentReplays() != 17 {
		t.Errorf("%d replays, want 17", srv.IdempotentReplays())
	}
	checkChargedOnce(t, srv, j)
}

// TestRestartAfterKill: the job's context is cancelled while item 23 is in
// flight (a SIGINT, a deploy); the restarted job finishes without charging
// any item twice.
func TestRestartAfterKill(t *testing.T) {
	srv, c, j := setup(t)
	ctx, kill := context.WithCancel(context.Background())
	defer kill()
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		var b struct{ IdempotencyKey string }
		if json.NewDecoder(r.Body).Decode(&b) == nil && b.IdempotencyKey == j.itemKey(23) {
			kill()
		}
		return nil
	})
	done, err := meter(ctx, c, j)
	if !errors.Is(err, context.Canceled) || done < 22 || done > 23 || len(srv.Ops()) > 23 {
		t.Fatalf("killed run: %d done, %d applied, err %v", done, len(srv.Ops()), err)
	}
	srv.SetFaultFunc(nil)
	if done, err = meter(context.Background(), c, j); err != nil || done != j.Items {
		t.Fatalf("restart: %d done, %v", done, err)
	}
	checkChargedOnce(t, srv, j)
}
