package guapocado_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

const refundPath = guapocadotest.BasePath + "/guapocado/usage/refund"

// opsOf counts the ledger ops per customer and op ("consume"/"refund").
func opsOf(t *testing.T, srv *guapocadotest.Server, key string, amount float64) map[string]map[string]int {
	t.Helper()
	out := map[string]map[string]int{}
	for _, op := range srv.Ops() {
		if op.Key != key || op.Amount != amount {
			t.Errorf("unexpected op %+v", op)
			continue
		}
		if out[op.CustomerID] == nil {
			out[op.CustomerID] = map[string]int{}
		}
		out[op.CustomerID][op.Op]++
	}
	return out
}

// bodyCustomer is the customerId a logged request's body names.
func bodyCustomer(t *testing.T, rq guapocadotest.Request) string {
	t.Helper()
	var b struct {
		CustomerID string `json:"customerId"`
	}
	if err := json.Unmarshal(rq.Body, &b); err != nil {
		t.Fatalf("%s body %q: %v", rq.Path, rq.Body, err)
	}
	return b.CustomerID
}

// Acceptance 1: the active organization switches under 1,000 metered
// requests; every consume and refund lands on the customer the request's
// first answer named, every refund matches a failed request, and the
// ledger adds up.
func TestMiddlewareOneCustomerPerRequestWhileTheActiveOrganizationSwitches(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	a := newSession(t, srv) // organization A, active
	b, err := srv.CreateOrganization(a.Token, "Org B", "org-b-switch")
	if err != nil {
		t.Fatal(err)
	}
	if a.CustomerID == b.CustomerID || b.Token != a.Token {
		t.Fatalf("want one session in two organizations: %+v %+v", a, b)
	}
	for _, id := range []string{a.CustomerID, b.CustomerID} {
		if err := srv.SetPlan(id, "enterprise"); err != nil { // 10,000 ai-credits each
			t.Fatal(err)
		}
	}
	c := newSDK(t, srv)
	mw := mustMiddleware(t, c, guapocado.RequireFeature("csv-export"), guapocado.ConsumeUsage("ai-credits", 1), guapocado.RefundOnServerError())

	type outcome struct {
		pinned, consumedFor, clientFor string
		refund                         bool // the handler failed before serving
	}
	const n = 1000
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	outcomes := make([]outcome, n)
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := r.Context().Value(indexKey{}).(int)
		o := &outcomes[i]
		o.pinned, _ = guapocado.CustomerIDFromContext(r.Context())
		if u, ok := guapocado.UsageFromContext(r.Context()); ok {
			o.consumedFor = u.CustomerID
		}
		if i%10 == 0 { // the handler's own client acts for the same customer
			gc, _ := guapocado.ClientFromContext(r.Context())
			u, err := gc.Usage.Balance(r.Context(), "ai-credits")
			if err != nil {
				t.Errorf("request %d: handler's balance: %v", i, err)
			} else {
				o.clientFor = u.CustomerID
			}
		}
		rng := rand.New(rand.NewPCG(seed, uint64(i)))
		switch rng.IntN(4) {
		case 0:
			w.WriteHeader(200)
		case 1:
			o.refund = true
			w.WriteHeader(502)
		case 2:
			o.refund = true
			panic("handler failed before writing")
		case 3:
			w.WriteHeader(200)
			_, _ = w.Write([]byte("partial"))
			panic(http.ErrAbortHandler) // served, then the client hung up
		}
	}))

	// The switcher: the same user flips the active organization through
	// POST /api/auth/organization/set-active until the requests are done.
	switcher := newSDK(t, srv, guapocado.WithBearerToken(a.Token))
	done := make(chan struct{})
	var switches atomic.Int64
	var swg sync.WaitGroup
	swg.Add(1)
	go func() {
		defer swg.Done()
		orgs := []string{a.OrganizationID, b.OrganizationID}
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			if _, err := switcher.Auth.SetActiveOrganization(context.Background(), orgs[i%2]); err != nil {
				t.Errorf("set-active: %v", err)
				return
			}
			switches.Add(1)
		}
	}()

	var next atomic.Int64
	var wg sync.WaitGroup
	statuses := make([]int, n)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				r := withBearer("POST", "/api/generate", a.Token)
				r = r.WithContext(context.WithValue(r.Context(), indexKey{}, i))
				rec := httptest.NewRecorder()
				func() {
					defer func() { _ = recover() }()
					h.ServeHTTP(rec, r)
				}()
				statuses[i] = rec.Code
			}
		}()
	}
	wg.Wait()
	close(done)
	swg.Wait()

	want := map[string]map[string]int{a.CustomerID: {}, b.CustomerID: {}}
	for i, o := range outcomes {
		if o.pinned == "" || (o.pinned != a.CustomerID && o.pinned != b.CustomerID) {
			t.Fatalf("request %d: status %d, handler saw customer %q", i, statuses[i], o.pinned)
		}
		if o.consumedFor != o.pinned {
			t.Errorf("request %d: first answer named %s, the consume landed on %s", i, o.pinned, o.consumedFor)
		}
		if i%10 == 0 && o.clientFor != o.pinned {
			t.Errorf("request %d: ClientFromContext acted for %s, not %s", i, o.clientFor, o.pinned)
		}
		want[o.pinned]["consume"]++
		if o.refund {
			want[o.pinned]["refund"]++
		}
	}
	got := opsOf(t, srv, "ai-credits", 1)
	for _, id := range []string{a.CustomerID, b.CustomerID} {
		if got[id]["consume"] != want[id]["consume"] || got[id]["refund"] != want[id]["refund"] {
			t.Errorf("customer %s: ledger ops %v, want %v", id, got[id], want[id])
		}
		u, err := srv.Usage(id, "ai-credits")
		if err != nil {
			t.Fatal(err)
		}
		if int(u.Consumed) != want[id]["consume"]-want[id]["refund"] {
			t.Errorf("customer %s: ledger consumed %v, want %d", id, u.Consumed, want[id]["consume"]-want[id]["refund"])
		}
		if want[id]["consume"] < 50 {
			t.Errorf("customer %s was billed by only %d requests: the switching did not interleave", id, want[id]["consume"])
		}
	}
	// Every consume and refund names its customer in the body: none was
	// left to the active organization.
	for _, rq := range srv.Requests() {
		if (rq.Path == consumePath || rq.Path == refundPath) && bodyCustomer(t, rq) == "" {
			t.Errorf("%s without customerId: %s", rq.Path, rq.Body)
		}
	}
	t.Logf("%d switches; A: %v, B: %v", switches.Load(), got[a.CustomerID], got[b.CustomerID])
}

type indexKey struct{}

// Acceptance 2: a reverse proxy streams a 200 through the metered handler
// and the client hangs up half way: one consume, no refund, and the
// http.ErrAbortHandler panic still reaches net/http.
func TestMiddlewareReverseProxyClientHangsUp(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)

	upstreamDone := make(chan struct{})
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(upstreamDone)
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(200)
		for i := 0; i < 500; i++ {
			if _, err := fmt.Fprintf(w, "chunk %d\n", i); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}))
	defer upstream.Close()
	target, _ := url.Parse(upstream.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1
	proxy.ErrorLog = log.New(io.Discard, "", 0)

	mw := mustMiddleware(t, c, guapocado.ConsumeUsage("ai-credits", 2), guapocado.RefundOnServerError())
	panicked := make(chan any, 1)
	front := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			panicked <- p
			if p != nil {
				panic(p)
			}
		}()
		mw(proxy).ServeHTTP(w, r)
	}))
	front.Config.ErrorLog = log.New(io.Discard, "", 0)
	front.Start()
	defer front.Close()

	req, _ := http.NewRequest("GET", front.URL+"/stream", nil)
	req.Header.Set("Authorization", "Bearer "+sess.Token)
	resp, err := front.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "chunk 0\n" {
		t.Fatalf("first chunk %q, %v", line, err)
	}
	_ = resp.Body.Close() // hang up half way
	front.Client().Transport.(*http.Transport).CloseIdleConnections()

	// A proxy that did not notice the hang-up would stream on: the
	// upstream's 500 chunks take 5 s, and then it ends without a panic.
	if p := <-panicked; p != http.ErrAbortHandler {
		t.Errorf("the handler ended with %v, want http.ErrAbortHandler re-raised", p)
	}
	<-upstreamDone
	var ops []string
	for _, op := range srv.Ops() {
		ops = append(ops, fmt.Sprintf("%s %s %v", op.Op, op.CustomerID, op.Amount))
	}
	if want := "consume " + sess.CustomerID + " 2"; strings.Join(ops, "; ") != want {
		t.Errorf("ledger ops %q, want %q", ops, want)
	}
}

// Acceptance 3: platform mode, a platform client and a resolver.
func TestMiddlewarePlatformMode(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.CloseIdleConnections)
	errNoTenant := errors.New("no tenant")
	resolver := guapocado.CustomerFrom(func(r *http.Request) (string, error) {
		switch tenant := r.Header.Get("X-Tenant"); tenant {
		case "":
			return "", &guapocado.MiddlewareError{Status: 400, Code: "tenant_required", Message: "Send X-Tenant."}
		case "unknown":
			return "", errNoTenant
		default:
			return tenant, nil
		}
	})
	req := func(tenant string) *http.Request {
		r := httptest.NewRequest("POST", "/api/generate", nil)
		if tenant != "" {
			r.Header.Set("X-Tenant", tenant)
		}
		return r
	}

	// Building without a resolver is refused; a session client refuses one.
	var ve *guapocado.ValidationError
	if mw, err := api.Middleware(guapocado.ConsumeUsage("ai-credits", 1)); mw != nil || !errors.As(err, &ve) {
		t.Errorf("platform client without a resolver: %v, %v", mw != nil, err)
	}
	if mw, err := newSDK(t, srv).Middleware(guapocado.CustomerID("cus_x")); mw != nil || !errors.As(err, &ve) {
		t.Errorf("session client with CustomerID: %v, %v", mw != nil, err)
	}

	seen := &handlerSeen{}
	metered, err := api.Middleware(resolver, guapocado.RequireFeature("csv-export"), guapocado.ConsumeUsage("ai-credits", 3))
	if err != nil {
		t.Fatal(err)
	}
	h := metered(seen.handler(200))

	// Allowed: the handler runs for the resolved customer.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req("cus_alpha"))
	if rec.Code != 200 || seen.count() != 1 || seen.usage.CustomerID != "cus_alpha" || seen.usage.Balance != 7 {
		t.Fatalf("allowed: status %d, calls %d, usage %+v; %s", rec.Code, seen.count(), seen.usage, rec.Body)
	}
	if u, err := seen.client.Usage.Balance(t.Context(), "ai-credits"); err != nil || u.CustomerID != "cus_alpha" || u.Consumed != 3 {
		t.Errorf("ClientFromContext: %+v, %v", u, err)
	}
	if got := consumed(t, srv, "cus_alpha", "ai-credits"); got != 3 {
		t.Errorf("ledger consumed %v, want 3", got)
	}

	// Insufficient balance: 402.
	srv.Reset()
	rec = httptest.NewRecorder()
	mustPlatform(t, api, resolver, guapocado.ConsumeUsage("ai-credits", 11))(seen.handler(200)).ServeHTTP(rec, req("cus_beta"))
	decodeDenial(t, rec, 402, guapocado.CodeInsufficientBalance)

	// Not entitled: 403.
	rec = httptest.NewRecorder()
	mustPlatform(t, api, resolver, guapocado.RequireFeature("advanced-analytics"), guapocado.ConsumeUsage("ai-credits", 1))(seen.handler(200)).ServeHTTP(rec, req("cus_beta"))
	if body := decodeDenial(t, rec, 403, guapocado.CodeNotEntitled); body.Key != "advanced-analytics" {
		t.Errorf("403 body %+v", body)
	}
	if len(srv.Ops()) != 0 || seen.count() != 1 {
		t.Errorf("refused requests: ops %v, handler calls %d", srv.Ops(), seen.count())
	}

	// The resolver's own answer, and a plain resolver error: no billing call.
	srv.Reset()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req(""))
	if body := decodeDenial(t, rec, 400, "tenant_required"); body.Message != "Send X-Tenant." {
		t.Errorf("resolver answer %+v", body)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req("unknown"))
	if body := decodeDenial(t, rec, 401, guapocado.CodeUnauthenticated); strings.Contains(body.Message, "no tenant") {
		t.Errorf("the resolver's error text reached the client: %+v", body)
	}
	if n := len(srv.Requests()); n != 0 || seen.count() != 1 {
		t.Errorf("resolver failures: %d billing requests, handler calls %d", n, seen.count())
	}

	// A fixed customer, and post-handler metering on the platform.
	fixed, err := api.Middleware(guapocado.CustomerID("cus_fixed"), guapocado.MeterAfter("api-calls", 1))
	if err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	fixed(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := guapocado.ReportUsage(r.Context(), "api-calls", 5); err != nil {
			t.Error(err)
		}
	})).ServeHTTP(rec, req(""))
	if rec.Code != 200 || consumed(t, srv, "cus_fixed", "api-calls") != 5 {
		t.Errorf("fixed customer: status %d, consumed %v", rec.Code, consumed(t, srv, "cus_fixed", "api-calls"))
	}
}

func mustPlatform(t *testing.T, c *guapocado.APIClient, opts ...guapocado.MiddlewareOption) func(http.Handler) http.Handler {
	t.Helper()
	mw, err := c.Middleware(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}

// Acceptance 4: round trips, counted in the fake's request log.
func TestMiddlewareRoundTrips(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	if err := srv.SetPlan(sess.CustomerID, "pro"); err != nil {
		t.Fatal(err)
	}
	c := newSDK(t, srv)
	twoChecks := mustMiddleware(t, c, guapocado.RequireFeature("csv-export"), guapocado.RequireFeature("advanced-analytics"))
	checksAndConsume := mustMiddleware(t, c, guapocado.RequireFeature("csv-export"), guapocado.RequireFeature("advanced-analytics"),
		guapocado.ConsumeUsage("ai-credits", 1), guapocado.RefundOnServerError())
	for _, tc := range []struct {
		name     string
		mw       func(http.Handler) http.Handler
		method   string
		requests int
		ops      int
	}{
		{"two feature checks", twoChecks, "GET", 1, 0},
		{"checks and consume", checksAndConsume, "POST", 2, 1},
		{"HEAD: charged as GET", checksAndConsume, "HEAD", 2, 1},
		{"OPTIONS: checks, the consume's balance, no charge", checksAndConsume, "OPTIONS", 1, 0},
	} {
		srv.Reset()
		rec := httptest.NewRecorder()
		tc.mw((&handlerSeen{}).handler(200)).ServeHTTP(rec, withBearer(tc.method, "/api/report", sess.Token))
		if rec.Code != 200 {
			t.Errorf("%s: status %d %s", tc.name, rec.Code, rec.Body)
		}
		if n := len(srv.Requests()); n != tc.requests || len(srv.Ops()) != tc.ops {
			t.Errorf("%s: %d billing requests and %d ledger ops, want %d and %d", tc.name, n, len(srv.Ops()), tc.requests, tc.ops)
		}
	}
	if got := consumed(t, srv, sess.CustomerID, "ai-credits"); got != 2 {
		t.Errorf("consumed %v, want 2 (the POST and the HEAD)", got)
	}

	// OPTIONS, and HEAD under FreeHEAD, still refuse what GET would: not
	// enough balance for the consume.
	low := mustMiddleware(t, c, guapocado.ConsumeUsage("ai-credits", 501), guapocado.FreeHEAD())
	for _, method := range []string{"HEAD", "OPTIONS"} {
		rec := httptest.NewRecorder()
		low((&handlerSeen{}).handler(200)).ServeHTTP(rec, withBearer(method, "/api/generate", sess.Token))
		decodeDenial(t, rec, 402, guapocado.CodeInsufficientBalance)
	}
}

// Acceptance 5: usage reported by the handler is consumed after it, for
// the request's customer; a failure of that consume reaches OnBillingError.
func TestMiddlewareMeterAfter(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	if err := srv.SetPlan(sess.CustomerID, "pro"); err != nil { // 500 ai-credits
		t.Fatal(err)
	}
	c := newSDK(t, srv)
	var mu sync.Mutex
	var reported []error
	onErr := guapocado.OnBillingError(func(_ *http.Request, err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	})
	var ctxOf context.Context
	llm := func(status int) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctxOf = r.Context()
			// Tokens counted as they come, from two goroutines.
			var wg sync.WaitGroup
			for _, n := range []int64{30, 7} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := guapocado.ReportUsage(r.Context(), "ai-credits", n); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			if err := guapocado.ReportUsage(r.Context(), "api-calls", 1); !errors.Is(err, guapocado.ErrNotMetered) {
				t.Errorf("a key the middleware does not meter: %v", err)
			}
			w.WriteHeader(status)
		})
	}
	mw := mustMiddleware(t, c, guapocado.MeterAfter("ai-credits", 10), guapocado.RefundOnServerError(), onErr)

	rec := httptest.NewRecorder()
	mw(llm(200)).ServeHTTP(rec, withBearer("POST", "/api/chat", sess.Token))
	if rec.Code != 200 || consumed(t, srv, sess.CustomerID, "ai-credits") != 37 {
		t.Fatalf("status %d, consumed %v; want 37", rec.Code, consumed(t, srv, sess.CustomerID, "ai-credits"))
	}
	if err := guapocado.ReportUsage(ctxOf, "ai-credits", 1); !errors.Is(err, guapocado.ErrNotMetered) {
		t.Errorf("a report after the handler returned: %v", err)
	}
	// Reserve and settle: 10 reserved before the handler, 27 more after.
	ops := srv.Ops()
	if len(ops) != 2 || ops[0].CustomerID != sess.CustomerID || ops[0].Amount != 10 || ops[1].CustomerID != sess.CustomerID || ops[1].Amount != 27 {
		t.Errorf("ops %+v", ops)
	}

	// A handler that failed (502 by the refund rule) is not charged for what it reported.
	mw(llm(502)).ServeHTTP(httptest.NewRecorder(), withBearer("POST", "/api/chat", sess.Token))
	if got := consumed(t, srv, sess.CustomerID, "ai-credits"); got != 37 {
		t.Errorf("after a failed handler: consumed %v, want 37", got)
	}

	// The consume after the handler fails: OnBillingError gets it, and the
	// user's answer (already sent) is untouched.
	failSettle := func(r *http.Request) *guapocadotest.Fault {
		if b, _ := io.ReadAll(r.Body); r.URL.Path == consumePath && bytes.Contains(b, []byte(`"amount":27`)) {
			return &guapocadotest.Fault{Status: 500}
		}
		return nil
	}
	srv.SetFaultFunc(failSettle)
	rec = httptest.NewRecorder()
	mw(llm(200)).ServeHTTP(rec, withBearer("POST", "/api/chat", sess.Token))
	srv.SetFaultFunc(nil)
	mu.Lock()
	if rec.Code != 200 || len(reported) != 1 {
		t.Fatalf("status %d, reported %v", rec.Code, reported)
	}
	var apiErr *guapocado.Error
	if err := reported[0]; !errors.As(err, &apiErr) || !strings.Contains(err.Error(), "consuming 37 ai-credits") ||
		!strings.Contains(err.Error(), sess.CustomerID) || strings.Contains(err.Error(), sess.Token) {
		t.Errorf("OnBillingError got %v", err)
	}
	mu.Unlock()

	// Without OnBillingError the failure goes to the client's logger.
	var logs bytes.Buffer
	logged := newSDK(t, srv, guapocado.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	srv.SetFaultFunc(failSettle)
	mustMiddleware(t, logged, guapocado.MeterAfter("ai-credits", 10))(llm(200)).ServeHTTP(httptest.NewRecorder(), withBearer("POST", "/api/chat", sess.Token))
	srv.SetFaultFunc(nil)
	if !strings.Contains(logs.String(), "consuming 37 ai-credits") || strings.Contains(logs.String(), sess.Token) {
		t.Errorf("log: %s", logs.String())
	}

	// OPTIONS, and HEAD under FreeHEAD: reports accepted, nothing charged.
	free := mustMiddleware(t, c, guapocado.MeterAfter("ai-credits", 10), guapocado.FreeHEAD(), onErr)
	for _, method := range []string{"HEAD", "OPTIONS"} {
		before := len(srv.Ops())
		rec = httptest.NewRecorder()
		free(llm(200)).ServeHTTP(rec, withBearer(method, "/api/chat", sess.Token))
		if rec.Code != 200 || len(srv.Ops()) != before {
			t.Errorf("%s: status %d, ops %d → %d", method, rec.Code, before, len(srv.Ops()))
		}
	}
}

func TestMiddlewareRefundRules(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	run := func(mw func(http.Handler) http.Handler, h http.HandlerFunc) (p any) {
		defer func() { p = recover() }()
		mw(h).ServeHTTP(httptest.NewRecorder(), withBearer("POST", "/api/generate", sess.Token))
		return nil
	}
	def := mustMiddleware(t, c, guapocado.ConsumeUsage("api-calls", 1), guapocado.RefundOnServerError())
	// Panic after a 200 was written: no refund; the panic goes on.
	if p := run(def, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200); panic("late") }); p != "late" {
		t.Errorf("recovered %v", p)
	}
	// Panic before writing: refund.
	if p := run(def, func(w http.ResponseWriter, r *http.Request) { panic("early") }); p != "early" {
		t.Errorf("recovered %v", p)
	}
	// Returning without writing is a 200: no refund.
	run(def, func(w http.ResponseWriter, r *http.Request) {})
	// A rule by status: refund 4xx too.
	var gotStatus []int
	byStatus := mustMiddleware(t, c, guapocado.ConsumeUsage("api-calls", 1), guapocado.RefundWhen(func(status int, p any) bool {
		gotStatus = append(gotStatus, status)
		return status >= 400
	}))
	run(byStatus, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) })
	run(byStatus, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) })
	var ops []string
	for _, op := range srv.Ops() {
		ops = append(ops, op.Op)
	}
	if got := strings.Join(ops, " "); got != "consume consume refund consume consume refund consume" {
		t.Errorf("ops %s", got)
	}
	if fmt.Sprint(gotStatus) != "[404 200]" {
		t.Errorf("rule saw %v", gotStatus)
	}
}

func TestMiddlewareFailOpenAndWriter(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	var reported atomic.Int32
	onErr := guapocado.OnBillingError(func(*http.Request, error) { reported.Add(1) })
	contextPath := guapocadotest.BasePath + "/guapocado/context"
	down := guapocadotest.Fault{Path: contextPath, Status: 503, Body: `{"message":"down"}`}

	open := mustMiddleware(t, c, guapocado.RequireFeature("csv-export", guapocado.FailOpen()), onErr)
	closed := mustMiddleware(t, c, guapocado.RequireFeature("csv-export", guapocado.FailOpen()), guapocado.RequireFeature("advanced-analytics"), onErr)
	openButCharged := mustMiddleware(t, c, guapocado.RequireFeature("csv-export", guapocado.FailOpen()), guapocado.ConsumeUsage("api-calls", 1), onErr)

	srv.SetFaultFunc(func(*http.Request) *guapocadotest.Fault { return &down })
	defer srv.SetFaultFunc(nil)
	rec := httptest.NewRecorder()
	open((&handlerSeen{}).handler(200)).ServeHTTP(rec, withBearer("GET", "/api/report", sess.Token))
	if rec.Code != 200 || reported.Load() != 1 {
		t.Errorf("fail-open: status %d, reported %d", rec.Code, reported.Load())
	}
	rec = httptest.NewRecorder()
	closed((&handlerSeen{}).handler(200)).ServeHTTP(rec, withBearer("GET", "/api/report", sess.Token))
	decodeDenial(t, rec, 503, guapocado.CodeBillingUnavailable)

	// A fail-open check never makes consumption fail open.
	srv.SetFaultFunc(func(*http.Request) *guapocadotest.Fault {
		return &guapocadotest.Fault{Status: 503, Body: `{"message":"down"}`}
	})
	rec = httptest.NewRecorder()
	openButCharged((&handlerSeen{}).handler(200)).ServeHTTP(rec, withBearer("POST", "/api/generate", sess.Token))
	decodeDenial(t, rec, 503, guapocado.CodeBillingUnavailable)
	srv.SetFaultFunc(nil)

	// Not entitled is never let through.
	rec = httptest.NewRecorder()
	mustMiddleware(t, c, guapocado.RequireFeature("advanced-analytics", guapocado.FailOpen()))((&handlerSeen{}).handler(200)).
		ServeHTTP(rec, withBearer("GET", "/api/report", sess.Token))
	decodeDenial(t, rec, 403, guapocado.CodeNotEntitled)

	// A caller's writer.
	var got string
	custom := mustMiddleware(t, c, guapocado.RequireFeature("advanced-analytics"),
		guapocado.WriteErrorsWith(func(w http.ResponseWriter, r *http.Request, status int, e *guapocado.MiddlewareError) {
			got = fmt.Sprintf("%d %d %s %s", status, e.Status, e.Code, e.Key)
			w.WriteHeader(status)
			_, _ = w.Write([]byte("upgrade at /pricing"))
		}))
	rec = httptest.NewRecorder()
	custom((&handlerSeen{}).handler(200)).ServeHTTP(rec, withBearer("GET", "/api/report", sess.Token))
	if rec.Code != 403 || rec.Body.String() != "upgrade at /pricing" || got != "403 403 not_entitled advanced-analytics" {
		t.Errorf("custom writer: %d %q %q", rec.Code, rec.Body, got)
	}
}
