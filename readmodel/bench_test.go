package readmodel_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// freshModel returns a read model on the default MemoryStore whose answer
// for cus_bench's "csv-export" is stored and fresh, and the fake behind it.
func freshModel(b *testing.B) (*readmodel.ReadModel, *guapocado.APIClient, *guapocadotest.Server) {
	srv := guapocadotest.NewServer()
	b.Cleanup(srv.Close)
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		b.Fatal(err)
	}
	rm, err := readmodel.New(&api.Billing)
	if err != nil {
		b.Fatal(err)
	}
	if ok, m, err := rm.Has(context.Background(), "cus_bench", "csv-export"); err != nil || !ok || m.Local {
		b.Fatalf("first Has = %v, %+v, %v; want true from the server", ok, m, err)
	}
	return rm, api, srv
}

// BenchmarkReadModelHas is a fresh, stored Has on the MemoryStore: no
// request, no allocation.
func BenchmarkReadModelHas(b *testing.B) {
	rm, _, srv := freshModel(b)
	ctx := context.Background()
	before := len(srv.Requests())
	b.ReportAllocs()
	for b.Loop() {
		ok, m, err := rm.Has(ctx, "cus_bench", "csv-export")
		if !ok || !m.Local || err != nil {
			b.Fatal("not answered locally")
		}
	}
	if n := len(srv.Requests()) - before; n != 0 {
		b.Fatalf("%d billing requests during the loop", n)
	}
}

// BenchmarkReadModelMiddleware compares a bare handler with the same
// handler behind Middleware(RequireFeature, CustomerID, WithReadModel) whose
// answer is fresh in the read model: the difference is what the middleware
// adds per request, with no billing request.
func BenchmarkReadModelMiddleware(b *testing.B) {
	rm, api, srv := freshModel(b)
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	mw, err := api.Middleware(guapocado.RequireFeature("csv-export"), guapocado.CustomerID("cus_bench"), guapocado.WithReadModel(rm))
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		h    http.Handler
	}{{"bare", ok}, {"readmodel", mw(ok)}} {
		b.Run(bc.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, "/report", nil)
			w := &codeWriter{h: http.Header{}}
			before := len(srv.Requests())
			b.ReportAllocs()
			for b.Loop() {
				w.code = 0
				bc.h.ServeHTTP(w, req)
				if w.code != http.StatusNoContent {
					b.Fatalf("status %d", w.code)
				}
			}
			if n := len(srv.Requests()) - before; n != 0 {
				b.Fatalf("%d billing requests during the loop", n)
			}
		})
	}
}

// codeWriter is a reusable ResponseWriter that keeps the status.
type codeWriter struct {
	h    http.Header
	code int
}

func (w *codeWriter) Header() http.Header         { return w.h }
func (w *codeWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *codeWriter) WriteHeader(code int)        { w.code = code }
