package guapocadotest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestNewClosesAtCleanup: the server New starts answers during the test
// and is closed when it ends.
func TestNewClosesAtCleanup(t *testing.T) {
	t.Parallel()
	var srv *guapocadotest.Server
	t.Run("inner", func(t *testing.T) {
		srv = guapocadotest.New(t)
		resp, err := http.Get(srv.URL + "/api/auth/ok")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
	hc := &http.Client{Timeout: 2 * time.Second}
	if resp, err := hc.Get(srv.URL + "/api/auth/ok"); err == nil {
		resp.Body.Close()
		t.Fatal("the server still answers after its test ended")
	}
}

// TestAuthorize: a handler using ForRequest acts for the session Authorize
// (cookie) or AuthorizeBearer put on the request, under the default and
// the https cookie names.
func TestAuthorize(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		opts   []guapocadotest.Option
		bearer bool
	}{
		{"cookie", nil, false},
		{"secure cookie", []guapocadotest.Option{guapocadotest.WithHTTPS(), guapocadotest.WithCookiePrefix("app")}, false},
		{"bearer", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := guapocadotest.New(t, tc.opts...)
			sess, err := srv.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			var opts []guapocado.Option
			base := srv.URL
			if tc.opts != nil {
				opts = append(opts, guapocado.WithCookiePrefix("app"), guapocado.WithOrigin(srv.BaseURL()))
			}
			app, err := guapocado.NewClient(base, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.opts != nil {
				// The SDK names cookies by the base URL's scheme: an https
				// app behind the fake's plain listener.
				app, err = guapocado.NewClient(srv.BaseURL(), append(opts, guapocado.WithHTTPClient(&http.Client{Transport: toPlain{}}))...)
				if err != nil {
					t.Fatal(err)
				}
			}
			handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ref, err := app.ForRequest(r).Customer.ID(r.Context())
				if err != nil || ref == nil {
					http.Error(w, "no customer", http.StatusUnauthorized)
					return
				}
				w.Write([]byte(ref.CustomerID))
			})
			r := httptest.NewRequestWithContext(context.Background(), "GET", "/dashboard", nil)
			if tc.bearer {
				guapocadotest.AuthorizeBearer(r, sess)
			} else {
				srv.Authorize(r, sess)
			}
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, r)
			if rec.Code != 200 || rec.Body.String() != sess.CustomerID {
				t.Fatalf("handler answered %d %q, want 200 %q", rec.Code, rec.Body.String(), sess.CustomerID)
			}
		})
	}
}

// toPlain sends an https request to the fake's plain listener.
type toPlain struct{}

func (toPlain) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme = "http"
	return http.DefaultTransport.RoundTrip(r)
}
