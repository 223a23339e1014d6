package guapocadotest_test

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// consumeOnce stands for the code under test: it consumes one api-call for
// the signed-in user (real code would use the guapocado SDK, built withMember
// guapocado.NewClient(baseURL, guapocado.WithSessionToken(token))).
func consumeOnce(baseURL, token string) (int, error) {
	req, err := http.NewRequest("POST", baseURL+"/api/auth/guapocado/usage/consume", strings.NewReader(`{"key":"api-calls"}`))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// Test code against the fake: make a session, run the code, read the ledger.
func Example() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	srv.SetNow(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sess, err := srv.NewSession() // a user withMember an active organization, on the free plan
	if err != nil {
		panic(err)
	}

	status, err := consumeOnce(srv.URL, sess.Token)
	fmt.Println(status, err)

	u, _ := srv.Usage(sess.CustomerID, "api-calls")
	fmt.Println("balance:", u.Balance, "resets:", u.Resets.Format(time.DateOnly))
	fmt.Println("applied:", len(srv.Ops()))
	// Output:
	// 200 <nil>
	// balance: 99 resets: 2026-12-01
	// applied: 1
}

// A connection dropped after the ledger applied the consume: the client sees
// an error, yet the consume happened. Code that retries blindly would
// consume twice.
func ExampleServer_InjectFaults() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess, _ := srv.NewSession()

	srv.InjectFaults(1, guapocadotest.Fault{
		Path: "/api/auth/guapocado/usage/consume",
		Drop: guapocadotest.DropAfterApply,
	})
	_, err := consumeOnce(srv.URL, sess.Token)
	fmt.Println("client error:", err != nil)

	u, _ := srv.Usage(sess.CustomerID, "api-calls")
	fmt.Println("consumedOf:", u.Consumed)
	// Output:
	// client error: true
	// consumedOf: 1
}

// Make the next consume fail the way Better Auth's rate limiter answers.
func ExampleFault() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess, _ := srv.NewSession()

	srv.InjectFaults(1, guapocadotest.Fault{
		Path:   "/api/auth/guapocado/usage/consume",
		Status: http.StatusTooManyRequests,
		Body:   `{"message":"Too many requests. Please try again later."}`,
		Header: http.Header{"X-Retry-After": {"2"}},
	})
	status, _ := consumeOnce(srv.URL, sess.Token)
	fmt.Println(status)
	status, _ = consumeOnce(srv.URL, sess.Token)
	fmt.Println(status)
	// Output:
	// 429
	// 200
}
