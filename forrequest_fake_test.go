package guapocado_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
)

// TestForRequestConcurrentUsersConsumeFromTheirOwnCustomers runs a backend
// whose handler consumes through c.ForRequest(r) and sends it requests from
// two users at once, by cookie and by bearer token, many times over: each
// consume must land on its sender's customer, and never on the parent
// client's own session.
func TestForRequestConcurrentUsersConsumeFromTheirOwnCustomers(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	owner, alice, bob := newSession(t, srv), newSession(t, srv), newSession(t, srv)
	parent := newSDK(t, srv, guapocado.WithSessionToken(owner.Token)) // must never be charged

	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := parent.ForRequest(r).Usage.Consume(r.Context(), "api-calls", 1)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		_ = json.NewEncoder(w).Encode(u)
	}))
	defer backend.Close()

	const perUser = 40
	var wg sync.WaitGroup
	errs := make(chan error, 2*perUser)
	for i := range perUser {
		for _, s := range []struct {
			name, token, customer string
		}{{"alice", alice.Token, alice.CustomerID}, {"bob", bob.Token, bob.CustomerID}} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", backend.URL+"/api/generate", nil)
				if i%2 == 0 {
					req.Header.Set("Cookie", "better-auth.session_token="+url.QueryEscape(s.token))
				} else {
					req.Header.Set("Authorization", "Bearer "+s.token)
				}
				resp, err := backend.Client().Do(req)
				if err != nil {
					errs <- err
					return
				}
				defer resp.Body.Close()
				body, _ := io.ReadAll(resp.Body)
				var u guapocado.Usage
				if resp.StatusCode != 200 || json.Unmarshal(body, &u) != nil {
					errs <- fmt.Errorf("%s #%d: %d %s", s.name, i, resp.StatusCode, body)
					return
				}
				if u.CustomerID != s.customer {
					errs <- fmt.Errorf("%s #%d consumed from customer %s, not %s", s.name, i, u.CustomerID, s.customer)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	for _, s := range []struct {
		name, customer string
		want           float64
	}{{"alice", alice.CustomerID, perUser}, {"bob", bob.CustomerID, perUser}, {"the parent's own session", owner.CustomerID, 0}} {
		if got := consumed(t, srv, s.customer, "api-calls"); got != s.want {
			t.Errorf("%s: consumed %v, want %v", s.name, got, s.want)
		}
	}
	perCustomer := map[string]int{}
	for _, op := range srv.Ops() {
		perCustomer[op.CustomerID]++
	}
	if len(perCustomer) != 2 || perCustomer[alice.CustomerID] != perUser || perCustomer[bob.CustomerID] != perUser {
		t.Errorf("ledger ops per customer: %v", perCustomer)
	}
}
