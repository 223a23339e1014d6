package guapocado_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

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

	metered, err := c.Middleware(
		guapocado.RequireFeature("csv-export"),  // checked first, in one snapshot request
		guapocado.ConsumeUsage("ai-credits", 4), // then consumed for the customer the snapshot named
		guapocado.RefundOnServerError(),         // and refunded to that customer if the handler fails before serving
	)
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

func ExampleAPIClient_Middleware() {
	srv := guapocadotest.NewServer() // also serves the platform API
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}

	metered, err := api.Middleware(
		// Your own authentication names the customer (here, a header).
		guapocado.CustomerFrom(func(r *http.Request) (string, error) {
			if id := r.Header.Get("X-Customer"); id != "" {
				return id, nil
			}
			return "", &guapocado.MiddlewareError{Status: http.StatusUnauthorized,
				Code: guapocado.CodeUnauthenticated, Message: "Send X-Customer."}
		}),
		guapocado.RequireFeature("csv-export"),
		guapocado.ConsumeUsage("ai-credits", 4),
		guapocado.RefundOnServerError(),
	)
	if err != nil {
		panic(err)
	}
	generate := metered(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			id, _ := guapocado.CustomerIDFromContext(r.Context())
			u, _ := guapocado.UsageFromContext(r.Context())
			fmt.Fprintf(w, "generated for %s; %d credits left\n", id, u.Balance)
		}))

	for _, customer := range []string{"cus_acme", "cus_acme", "cus_acme", ""} {
		r := httptest.NewRequest("POST", "/api/generate", nil)
		if customer != "" {
			r.Header.Set("X-Customer", customer)
		}
		w := httptest.NewRecorder()
		generate.ServeHTTP(w, r)
		fmt.Print(w.Code, " ", w.Body.String())
	}
	// Output:
	// 200 generated for cus_acme; 6 credits left
	// 200 generated for cus_acme; 2 credits left
	// 402 {"error":"insufficient_balance","message":"Not enough ai-credits left for this request.","key":"ai-credits","amount":4}
	// 401 {"error":"unauthenticated","message":"Send X-Customer."}
}

func ExampleReportUsage() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	c, err := guapocado.NewClient(srv.URL)
	if err != nil {
		panic(err)
	}

	// Bill what the handler used, after it: here, at least 1 credit must be
	// left before it starts.
	metered, err := c.Middleware(guapocado.MeterAfter("ai-credits", 1),
		guapocado.OnBillingError(func(r *http.Request, err error) { fmt.Println("billing:", err) }))
	if err != nil {
		panic(err)
	}
	chat := metered(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) {
			used := int64(3) // say, what the model's answer cost
			if err := guapocado.ReportUsage(r.Context(), "ai-credits", used); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			fmt.Fprintln(w, "answered")
		}))

	sess, err := srv.NewSession() // 10 ai-credits on the free plan
	if err != nil {
		panic(err)
	}
	for range 2 {
		r := httptest.NewRequest("POST", "/api/chat", nil)
		r.Header.Set("Authorization", "Bearer "+sess.Token)
		w := httptest.NewRecorder()
		chat.ServeHTTP(w, r)
		u, _ := srv.Usage(sess.CustomerID, "ai-credits")
		fmt.Print(w.Code, " ", w.Body.String(), "consumed ", u.Consumed, "\n")
	}
	// Output:
	// 200 answered
	// consumed 3
	// 200 answered
	// consumed 6
}

// A CORS middleware in front of the billing middleware answers the
// browser's preflights (which carry no credentials, so the billing
// middleware would answer them 401) and passes every other request on.
func ExampleClient_Middleware_cors() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	c, err := guapocado.NewClient(srv.URL)
	if err != nil {
		panic(err)
	}
	metered, err := c.Middleware(guapocado.ConsumeUsage("ai-credits", 1))
	if err != nil {
		panic(err)
	}
	const frontend = "https://app.example.com" // the one origin allowed to call with credentials
	cors := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Origin") == frontend {
				w.Header().Set("Access-Control-Allow-Origin", frontend)
				w.Header().Set("Access-Control-Allow-Credentials", "true")
				w.Header().Add("Vary", "Origin")
				if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
					w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
					w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
					w.WriteHeader(http.StatusNoContent) // the preflight ends here
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
	mux := http.NewServeMux()
	mux.Handle("/api/generate", cors(metered(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "generated")
	}))))

	sess, err := srv.NewSession()
	if err != nil {
		panic(err)
	}
	preflight := httptest.NewRequest("OPTIONS", "/api/generate", nil)
	preflight.Header.Set("Origin", frontend)
	preflight.Header.Set("Access-Control-Request-Method", "POST")
	post := httptest.NewRequest("POST", "/api/generate", nil)
	post.Header.Set("Origin", frontend)
	post.Header.Set("Authorization", "Bearer "+sess.Token)
	bare := httptest.NewRequest("OPTIONS", "/api/generate", nil) // not a preflight: checked like GET
	for _, r := range []*http.Request{preflight, post, bare} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, r)
		fmt.Printf("%s %d allow-origin=%q body=%s\n", r.Method, w.Code, w.Header().Get("Access-Control-Allow-Origin"), strings.TrimSpace(w.Body.String()))
	}
	u, _ := srv.Usage(sess.CustomerID, "ai-credits")
	fmt.Println("consumed", u.Consumed)
	// Output:
	// OPTIONS 204 allow-origin="https://app.example.com" body=
	// POST 200 allow-origin="https://app.example.com" body=generated
	// OPTIONS 401 allow-origin="" body={"error":"unauthenticated","message":"You are not signed in, or your session has expired."}
	// consumed 1
}
