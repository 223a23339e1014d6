package guapocado

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestForRequestCarriesExactlyTheIncomingSession(t *testing.T) {
	t.Parallel()
	parent, mt, _ := newMockClient(t, testBase, WithSessionToken("parent.secret="), WithBearerToken("parent.bearer="))
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has", rec.responder(jsonResponder(200, fixture(t, "has_true.json"))))

	in := httptest.NewRequest("GET", "/dashboard", nil)
	in.Header.Add("Cookie", "theme=dark; better-auth.session_token=user1.sig%3D; __Secure-better-auth.session_token=user1s.sig%3D")
	in.Header.Add("Cookie", "better-auth.session_data=cache1; other=1")
	in.Header.Set("Authorization", "Bearer ignored-when-cookies")
	if _, err := parent.ForRequest(in).Has(context.Background(), "csv-export"); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	want := "better-auth.session_token=user1.sig%3D; __Secure-better-auth.session_token=user1s.sig%3D; better-auth.session_data=cache1"
	if got := r.header.Get("Cookie"); got != want {
		t.Errorf("Cookie = %q, want %q", got, want)
	}
	if r.header.Get("Origin") != testBase || r.header.Get("Authorization") != "" {
		t.Errorf("Origin %q, Authorization %q", r.header.Get("Origin"), r.header.Get("Authorization"))
	}

	bearerReq := httptest.NewRequest("GET", "/api/x", nil)
	bearerReq.Header.Set("Authorization", "bearer user2.sig=")
	if _, err := parent.ForRequest(bearerReq).Has(context.Background(), "csv-export"); err != nil {
		t.Fatal(err)
	}
	r = rec.last(t)
	if r.header.Get("Authorization") != "Bearer user2.sig=" || r.header.Get("Cookie") != "" || r.header.Get("Origin") != "" {
		t.Errorf("bearer copy sent %v", r.header)
	}

	anon := httptest.NewRequest("GET", "/", nil)
	if _, err := parent.ForRequest(anon).Has(context.Background(), "csv-export"); err != nil {
		t.Fatal(err)
	}
	r = rec.last(t)
	if r.header.Get("Authorization") != "" || r.header.Get("Cookie") != "" {
		t.Errorf("anonymous copy leaked the parent's session: %v", r.header)
	}
	// The parent keeps its own session.
	if _, err := parent.Has(context.Background(), "csv-export"); err != nil {
		t.Fatal(err)
	}
	if r = rec.last(t); r.header.Get("Authorization") != "Bearer parent.bearer=" {
		t.Errorf("parent lost its session: %v", r.header)
	}
}

func BenchmarkForRequest(b *testing.B) {
	c, err := NewClient(testBase, WithHTTPClient(&http.Client{}))
	if err != nil {
		b.Fatal(err)
	}
	in := httptest.NewRequest("GET", "/", nil)
	in.Header.Set("Cookie", "theme=dark; better-auth.session_token=EQAeW4iPLUZUBTan95alTroK5wxGfZ3L.0w82Vq94iC3fqUmseIwx0iIyPyFvi8CQS4p1rc083ho%3D")
	b.ReportAllocs()
	for b.Loop() {
		if c.ForRequest(in).sess.staticCookie == "" {
			b.Fatal("no cookie")
		}
	}
}

// TestForRequestAllocations: ForRequest's doc says what a copy costs: two
// allocations (the copy, and the Cookie or Authorization header it sends).
func TestForRequestAllocations(t *testing.T) {
	c, err := NewClient(testBase, WithHTTPClient(&http.Client{}))
	if err != nil {
		t.Fatal(err)
	}
	cookie := httptest.NewRequest("GET", "/", nil)
	cookie.Header.Set("Cookie", "theme=dark; better-auth.session_token=EQAeW4iPLUZUBTan95alTroK5wxGfZ3L.0w82Vq94iC3fqUmseIwx0iIyPyFvi8CQS4p1rc083ho%3D")
	bearer := httptest.NewRequest("GET", "/", nil)
	bearer.Header.Set("Authorization", "Bearer tok.sig=")
	for _, tc := range []struct {
		name string
		r    *http.Request
		want float64
	}{{"cookie", cookie, 2}, {"bearer", bearer, 2}} {
		if got := testing.AllocsPerRun(100, func() { _ = c.ForRequest(tc.r) }); got != tc.want {
			t.Errorf("%s: ForRequest makes %v allocations, want %v", tc.name, got, tc.want)
		}
	}
}
