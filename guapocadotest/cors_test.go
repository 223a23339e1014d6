package guapocadotest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

const corsPage = "http://page.test:8080"

// wantCORS checks the CORS headers of an answer to the allowed origin.
func wantCORS(t *testing.T, what string, got answer, preflight bool) {
	t.Helper()
	h := got.Header
	if h.Get("Access-Control-Allow-Origin") != corsPage || h.Get("Access-Control-Allow-Credentials") != "true" {
		t.Errorf("%s: Allow-Origin %q, Allow-Credentials %q", what, h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
	}
	if !slices.Contains(h.Values("Vary"), "Origin") {
		t.Errorf("%s: Vary %q lacks Origin", what, h.Values("Vary"))
	}
	if preflight {
		if h.Get("Access-Control-Allow-Methods") != guapocadotest.CORSAllowMethods || h.Get("Access-Control-Allow-Headers") != guapocadotest.CORSAllowHeaders {
			t.Errorf("%s: Allow-Methods %q, Allow-Headers %q", what, h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"))
		}
		return
	}
	exposed := map[string]bool{}
	for _, v := range h.Values("Access-Control-Expose-Headers") {
		for name := range strings.SplitSeq(v, ",") {
			exposed[strings.ToLower(strings.TrimSpace(name))] = true
		}
	}
	for _, name := range []string{"set-auth-token", "x-retry-after", "retry-after"} {
		if !exposed[name] {
			t.Errorf("%s: %s not exposed (Access-Control-Expose-Headers %q)", what, name, h.Values("Access-Control-Expose-Headers"))
		}
	}
}

func noCORS(t *testing.T, what string, got answer) {
	t.Helper()
	for k := range got.Header {
		if strings.HasPrefix(k, "Access-Control-Allow-") {
			t.Errorf("%s: %s: %q sent to an origin that is not allowed", what, k, got.Header.Get(k))
		}
	}
}

func TestCORS(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithCORS(corsPage+"/"), guapocadotest.WithTrustedOrigins(corsPage))
	defer srv.Close()
	consume := "/api/auth/guapocado/usage/consume"
	preflight := []string{"Origin", corsPage, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"}

	// A preflight is answered before faults: the queued 503 is left for
	// the request itself, and the preflight is logged.
	srv.InjectFaults(1, guapocadotest.Fault{Path: consume, Status: 503, Header: http.Header{"Retry-After": {"1"}}, Body: `{"message":"down"}`})
	got := rawDo(t, srv, "OPTIONS", consume, "", preflight...)
	expectAnswer(t, "preflight", got, 204, "")
	wantCORS(t, "preflight", got, true)
	sess := mustSession(t, srv)
	got = rawDo(t, srv, "POST", consume, `{"key":"api-calls","amount":1}`, "Origin", corsPage, "Cookie", sessionCookieHdr(sess.Token))
	expectAnswer(t, "consume with a queued 503", got, 503, `{"message":"down"}`)
	wantCORS(t, "injected 503", got, false)
	got = rawDo(t, srv, "POST", consume, `{"key":"api-calls","amount":1}`, "Origin", corsPage, "Cookie", sessionCookieHdr(sess.Token))
	if got.Status != 200 {
		t.Fatalf("consume from the allowed, trusted origin: %d %s", got.Status, got.Body)
	}
	wantCORS(t, "consume", got, false)
	reqs := srv.Requests()
	if len(reqs) != 3 || reqs[0].Method != "OPTIONS" || reqs[0].Status != 204 || reqs[1].Status != 503 || reqs[2].Status != 200 {
		t.Errorf("request log: %d entries %+v", len(reqs), reqs)
	}

	// Sign-up exposes set-auth-token (the fake's own expose header adds to ours).
	got = rawDo(t, srv, "POST", "/sign-up/email", `{"email":"cors@example.com","password":"pw-cors-123","name":"C"}`, "Origin", corsPage)
	if got.Status != 200 || got.Header.Get("Set-Auth-Token") == "" {
		t.Fatalf("sign-up from the allowed origin: %d %s", got.Status, got.Body)
	}
	wantCORS(t, "sign-up", got, false)

	// Another origin gets no CORS headers, and its preflight is not answered.
	got = rawDo(t, srv, "OPTIONS", consume, "", "Origin", "http://evil.test", "Access-Control-Request-Method", "POST")
	expectAnswer(t, "preflight from another origin", got, 404, "")
	noCORS(t, "preflight from another origin", got)
	got = rawDo(t, srv, "GET", "/ok", "", "Origin", "http://evil.test")
	expectAnswer(t, "GET from another origin", got, 200, `{"ok":true}`)
	noCORS(t, "GET from another origin", got)
	// A port is part of the origin.
	got = rawDo(t, srv, "GET", "/ok", "", "Origin", "http://page.test:8081")
	noCORS(t, "GET from another port", got)

	// A plain OPTIONS (no Access-Control-Request-Method) is not a preflight.
	got = rawDo(t, srv, "OPTIONS", "/ok", "", "Origin", corsPage)
	expectAnswer(t, "plain OPTIONS", got, 404, "")
}

func TestNoCORSByDefault(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithTrustedOrigins(corsPage))
	defer srv.Close()
	got := rawDo(t, srv, "OPTIONS", "/guapocado/usage/consume", "", "Origin", corsPage, "Access-Control-Request-Method", "POST")
	expectAnswer(t, "preflight without WithCORS", got, 404, "")
	noCORS(t, "preflight without WithCORS", got)
	got = rawDo(t, srv, "GET", "/ok", "", "Origin", corsPage)
	noCORS(t, "GET without WithCORS", got)
	if got.Header.Get("Vary") != "" {
		t.Errorf("Vary %q without WithCORS", got.Header.Get("Vary"))
	}
}
