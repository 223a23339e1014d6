package guapocadotest_test

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// generateHandler is the code under test: an app's handler that charges one
// AI credit per call to the caller's customer, using the SDK.
func generateHandler(c *guapocado.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := c.ForRequest(r).Usage.Consume(r.Context(), "ai-credits", 1)
		switch {
		case errors.Is(err, guapocado.ErrInsufficientBalance):
			http.Error(w, "out of credits", http.StatusPaymentRequired)
		case err != nil:
			http.Error(w, "billing unavailable", http.StatusBadGateway)
		default:
			fmt.Fprintf(w, "%d credits left", u.Balance)
		}
	})
}

// Testing your own handler: start the fake, make a signed-in user with an
// active organization, send the handler a request carrying that session, and
// check both the answer and the ledger.
func Example_testingYourHandler() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess, err := srv.NewSession()
	if err != nil {
		panic(err)
	}
	c, err := guapocado.NewClient(srv.URL)
	if err != nil {
		panic(err)
	}
	h := generateHandler(c)

	for i := 0; i < 11; i++ { // the free plan has 10 AI credits
		req := httptest.NewRequest("POST", "/generate", nil)
		req.Header.Set("Authorization", "Bearer "+sess.Token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if i == 0 || i >= 9 {
			fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
		}
	}
	u, _ := srv.Usage(sess.CustomerID, "ai-credits")
	fmt.Println("ledger: consumed", u.Consumed, "of", u.Included)
	// Output:
	// 200 9 credits left
	// 200 0 credits left
	// 402 out of credits
	// ledger: consumed 10 of 10
}
