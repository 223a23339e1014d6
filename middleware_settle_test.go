package guapocado_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// meterMode is one of the two clients behind a MeterAfter middleware, on
// the free plan's 10 ai-credits.
type meterMode struct {
	name     string
	customer string
	build    func(opts ...guapocado.MiddlewareOption) (func(http.Handler) http.Handler, error)
	request  func() *http.Request
}

func meterModes(t *testing.T, srv *guapocadotest.Server) []meterMode {
	t.Helper()
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.CloseIdleConnections)
	return []meterMode{
		{"session", sess.CustomerID, c.Middleware, func() *http.Request { return withBearer("POST", "/api/chat", sess.Token) }},
		{"platform", "cus_metered", func(opts ...guapocado.MiddlewareOption) (func(http.Handler) http.Handler, error) {
			return api.Middleware(append(opts, guapocado.CustomerID("cus_metered"))...)
		}, func() *http.Request { return httptest.NewRequest("POST", "/api/chat", nil) }},
	}
}

// meterRun is what a run of metered requests served and what it cost.
type meterRun struct {
	mu       sync.Mutex
	served   int64 // units the handlers reported
	statuses map[int]int
	unpaid   []*guapocado.UnpaidUsageError
	other    []error
}

func (mr *meterRun) onError(_ *http.Request, err error) {
	mr.mu.Lock()
	defer mr.mu.Unlock()
	var ue *guapocado.UnpaidUsageError
	if errors.As(err, &ue) {
		mr.unpaid = append(mr.unpaid, ue)
		return
	}
	mr.other = append(mr.other, err)
}

// run sends n requests (concurrently when parallel) to a MeterAfter(reserve)
// middleware whose handler reports each units.
func (mr *meterRun) run(t *testing.T, m meterMode, n int, parallel bool, reserve, each int64) {
	t.Helper()
	mr.statuses = map[int]int{}
	mw, err := m.build(guapocado.MeterAfter("ai-credits", reserve), guapocado.OnBillingError(mr.onError))
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := guapocado.AllowanceFromContext(r.Context(), "ai-credits")
		if !ok || !a.Charged || a.Reserved != reserve || a.Remaining != reserve || a.Reported != 0 {
			t.Errorf("%s: allowance before the work %+v, %v", m.name, a, ok)
		}
		if err := guapocado.ReportUsage(r.Context(), "ai-credits", each); err != nil {
			t.Error(err)
		}
		if a, _ := guapocado.AllowanceFromContext(r.Context(), "ai-credits"); a.Reported != each || a.Remaining != max(reserve-each, 0) {
			t.Errorf("%s: allowance after the work %+v", m.name, a)
		}
		mr.mu.Lock()
		mr.served += each
		mr.mu.Unlock()
	}))
	var wg sync.WaitGroup
	for range n {
		one := func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, m.request())
			mr.mu.Lock()
			mr.statuses[rec.Code]++
			mr.mu.Unlock()
		}
		if !parallel {
			one()
			continue
		}
		wg.Add(1)
		go func() { defer wg.Done(); one() }()
	}
	wg.Wait()
}

func (mr *meterRun) unpaidTotal() (n int64) {
	for _, u := range mr.unpaid {
		n += u.Unpaid
	}
	return n
}

// The ledger's net consumption of ai-credits for customer.
func ledgerCharged(t *testing.T, srv *guapocadotest.Server, customer string) int64 {
	t.Helper()
	var n int64
	for _, op := range srv.Ops() {
		if op.CustomerID != customer || op.Key != "ai-credits" {
			continue
		}
		switch op.Op {
		case "consume":
			n += int64(op.Amount)
		case "refund":
			n -= int64(op.Amount)
		}
	}
	if got := consumed(t, srv, customer, "ai-credits"); int64(got) != n {
		t.Errorf("the ledger's ops add up to %d, its balance says consumed %v", n, got)
	}
	return n
}

// Issue 23 item 1: balance 10, five requests each reporting 11 units. The
// first is served and charged the whole balance (1 reserved, 9 of its
// excess), its 1 unpaid unit is reported with the amounts; the others are
// refused before their handler.
func TestMeterAfterUsageBeyondTheBalanceIsChargedAsFarAsItGoes(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	for _, m := range meterModes(t, srv) {
		mr := &meterRun{}
		mr.run(t, m, 5, false, 1, 11)
		charged := ledgerCharged(t, srv, m.customer)
		if mr.statuses[200] != 1 || mr.statuses[402] != 4 || mr.served != 11 || charged != 10 {
			t.Errorf("%s: statuses %v, served %d, charged %d; want one 200, four 402, 11 served, 10 charged", m.name, mr.statuses, mr.served, charged)
		}
		if len(mr.unpaid) != 1 || len(mr.other) != 0 {
			t.Fatalf("%s: unpaid %v, other errors %v", m.name, mr.unpaid, mr.other)
		}
		u := mr.unpaid[0]
		if u.Customer != m.customer || u.Key != "ai-credits" || u.Reported != 11 || u.Reserved != 1 || u.Charged != 9 || u.Unpaid != 1 ||
			!errors.Is(u, guapocado.ErrInsufficientBalance) {
			t.Errorf("%s: unpaid %+v", m.name, u)
		}
	}
}

// Issue 23 item 1, concurrently: five requests at once, each reporting 11
// on a balance of 10. Whatever the interleaving, the whole balance is
// charged, and served minus charged is exactly the unpaid units reported,
// each at most its request's excess over its reservation.
func TestMeterAfterConcurrentOverrunsAreReportedAsUnpaid(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	for _, m := range meterModes(t, srv) {
		mr := &meterRun{}
		mr.run(t, m, 5, true, 1, 11)
		charged := ledgerCharged(t, srv, m.customer)
		served := int64(mr.statuses[200]) * 11
		if mr.served != served || charged != min(served, 10) || mr.served-charged != mr.unpaidTotal() || len(mr.other) != 0 {
			t.Errorf("%s: statuses %v, served %d, charged %d, unpaid reported %d, other errors %v", m.name, mr.statuses, mr.served, charged, mr.unpaidTotal(), mr.other)
		}
		for _, u := range mr.unpaid {
			if u.Unpaid > u.Reported-u.Reserved || u.Reported != u.Reserved+u.Charged+u.Unpaid {
				t.Errorf("%s: unpaid %+v", m.name, u)
			}
		}
	}
}

// Issue 23 item 1: 30 concurrent 1-unit requests on a balance of 10:
// exactly the balance is served, and every unit served is charged.
func TestMeterAfterConcurrentRequestsCannotOutspendTheBalance(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	for _, m := range meterModes(t, srv) {
		mr := &meterRun{}
		mr.run(t, m, 30, true, 1, 1)
		charged := ledgerCharged(t, srv, m.customer)
		if mr.served > 10 || charged != mr.served || mr.statuses[200] != 10 || mr.statuses[402] != 20 || len(mr.unpaid)+len(mr.other) != 0 {
			t.Errorf("%s: statuses %v, served %d, charged %d, errors %v %v; want 10 served and charged", m.name, mr.statuses, mr.served, charged, mr.unpaid, mr.other)
		}
	}
}

// A handler that uses less than its reservation gets the rest back; one
// whose checks after the reservation fail never runs and pays nothing.
func TestMeterAfterRefundsTheUnusedReservation(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	for _, m := range meterModes(t, srv) {
		mr := &meterRun{}
		mr.run(t, m, 2, false, 5, 2)
		if charged := ledgerCharged(t, srv, m.customer); mr.statuses[200] != 2 || charged != 4 {
			t.Errorf("%s: statuses %v, charged %d; want 4", m.name, mr.statuses, charged)
		}
	}
	// A reservation refused after ConsumeUsage took its units: they go back.
	m := meterModes(t, srv)[0]
	mw, err := m.build(guapocado.ConsumeUsage("api-calls", 1), guapocado.MeterAfter("ai-credits", 11))
	if err != nil {
		t.Fatal(err)
	}
	seen := &handlerSeen{}
	rec := httptest.NewRecorder()
	mw(seen.handler(200)).ServeHTTP(rec, m.request())
	decodeDenial(t, rec, 402, guapocado.CodeInsufficientBalance)
	if got := consumed(t, srv, m.customer, "api-calls"); got != 0 || seen.count() != 0 {
		t.Errorf("api-calls consumed %v after the reservation was refused, handler calls %d", got, seen.count())
	}
}

// Issue 23 item 2: OPTIONS is checked like GET and not charged, on a
// handler mounted for every method.
func TestMiddlewareChecksOptionsLikeGet(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	seen := &handlerSeen{}
	mux := http.NewServeMux()
	mux.Handle("/api/report", mustMiddleware(t, c, guapocado.RequireFeature("advanced-analytics"))(seen.handler(200)))
	mux.Handle("/api/generate", mustMiddleware(t, c, guapocado.ConsumeUsage("ai-credits", 1), guapocado.MeterAfter("api-calls", 2))(seen.handler(200)))

	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"no credentials", httptest.NewRequest("OPTIONS", "/api/report", nil), 401, guapocado.CodeUnauthenticated},
		{"a preflight", func() *http.Request {
			r := httptest.NewRequest("OPTIONS", "/api/report", nil)
			r.Header.Set("Origin", "https://app.test")
			r.Header.Set("Access-Control-Request-Method", "GET")
			return r
		}(), 401, guapocado.CodeUnauthenticated},
		{"not entitled", withBearer("OPTIONS", "/api/report", sess.Token), 403, guapocado.CodeNotEntitled},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, tc.req)
		decodeDenial(t, rec, tc.status, tc.code)
	}
	if seen.count() != 0 {
		t.Fatalf("the gated handler ran %d times without its checks", seen.count())
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, withBearer("OPTIONS", "/api/generate", sess.Token))
	if rec.Code != 200 || seen.count() != 1 || len(srv.Ops()) != 0 {
		t.Errorf("OPTIONS with a session: status %d, handler calls %d, ledger ops %v; want checked, served, not charged", rec.Code, seen.count(), srv.Ops())
	}

	// A platform client: OPTIONS names its customer like GET, and the
	// handler's client acts for it, not for the client's default.
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("cus_default"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.CloseIdleConnections)
	mw := mustPlatform(t, api, guapocado.CustomerFrom(func(r *http.Request) (string, error) {
		if id := r.Header.Get("X-Customer"); id != "" {
			return id, nil
		}
		return "", errors.New("no customer")
	}), guapocado.RequireFeature("csv-export"))
	var billed string
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gc, _ := guapocado.ClientFromContext(r.Context())
		u, err := gc.Usage.Balance(r.Context(), "ai-credits")
		if err != nil {
			t.Error(err)
			return
		}
		billed = u.CustomerID
	}))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("OPTIONS", "/api/report", nil))
	decodeDenial(t, rec, 401, guapocado.CodeUnauthenticated)
	r := httptest.NewRequest("OPTIONS", "/api/report", nil)
	r.Header.Set("X-Customer", "cus_options")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != 200 || billed != "cus_options" {
		t.Errorf("platform OPTIONS: status %d, the handler's client acted for %q", rec.Code, billed)
	}
}

// Issue 23 item 7: HEAD is charged as GET unless FreeHEAD.
func TestMiddlewareChargesHeadAsGet(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	for _, tc := range []struct {
		name string
		opts []guapocado.MiddlewareOption
		want float64
	}{
		{"default", nil, 1},
		{"FreeHEAD", []guapocado.MiddlewareOption{guapocado.FreeHEAD()}, 0},
	} {
		srv.Reset()
		before := consumed(t, srv, sess.CustomerID, "ai-credits")
		mw := mustMiddleware(t, c, append(tc.opts, guapocado.ConsumeUsage("ai-credits", 1))...)
		rec := httptest.NewRecorder()
		mw((&handlerSeen{}).handler(200)).ServeHTTP(rec, withBearer("HEAD", "/api/report", sess.Token))
		if got := consumed(t, srv, sess.CustomerID, "ai-credits") - before; rec.Code != 200 || got != tc.want {
			t.Errorf("%s: status %d, HEAD charged %v, want %v", tc.name, rec.Code, got, tc.want)
		}
	}
}

// hijackable is a recorder whose connection can be taken over.
type hijackable struct {
	*httptest.ResponseRecorder
}

func (h hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	ours, theirs := net.Pipe()
	go func() { _, _ = io.Copy(io.Discard, theirs) }()
	return ours, bufio.NewReadWriter(bufio.NewReader(ours), bufio.NewWriter(ours)), nil
}

// Issue 23 item 8: a response taken over with http.ResponseController's
// Hijack counts as served: a panic after it is not refunded.
func TestMiddlewareHijackedResponseCountsAsServed(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	var ruleSaw int
	mw := mustMiddleware(t, c, guapocado.ConsumeUsage("api-calls", 1), guapocado.RefundWhen(func(status int, p any) bool {
		ruleSaw = status
		return guapocado.DefaultRefundRule(status, p)
	}))
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\nserved")
		_ = rw.Flush()
		_ = conn.Close()
		panic("after serving on the raw connection")
	}))
	func() {
		defer func() {
			if p := recover(); p == nil {
				t.Error("the panic was swallowed")
			}
		}()
		h.ServeHTTP(hijackable{httptest.NewRecorder()}, withBearer("GET", "/api/socket", sess.Token))
	}()
	var ops []string
	for _, op := range srv.Ops() {
		ops = append(ops, op.Op)
	}
	if len(ops) != 1 || ops[0] != "consume" || ruleSaw != http.StatusSwitchingProtocols {
		t.Errorf("ledger ops %v, the rule saw status %d; want one consume, no refund, status 101", ops, ruleSaw)
	}
}
