package guapocado_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

func ExampleClient_Middleware() {
	srv := guapocadotest.NewServer() // the Better Auth app, faked
	defer srv.Close()
	c, err := guapocado.NewClient(srv.URL) // the service's client: no session of its own
	if err != nil {
		panic(err)
	}

	metered, err := c.Middleware(guapocado.ConsumeUsage("ai-credits", 4))
	if err != nil {
		panic(err)
	}
	generate := metered(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			u, _ := guapocado.UsageFromContext(r.Context())
			fmt.Fprintf(w, "generated; %d credits left\n", u.Balance)
		}))

	sess, err := srv.NewSession() // a signed-in user of the app (10 ai-credits on the free plan)
	if err != nil {
		panic(err)
	}
	for range 3 {
		r := httptest.NewRequest("POST", "/api/generate", nil)
		r.Header.Set("Authorization", "Bearer "+sess.Token) // or the browser's session cookie
		w := httptest.NewRecorder()
		generate.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 generated; 6 credits left
	// 200 generated; 2 credits left
	// 402 {"error":"insufficient_balance","message":"Not enough ai-credits left for this request.","key":"ai-credits","amount":4}
}
