package guapocadotest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// BasePath is where the fake mounts Better Auth, like the recorded server.
const BasePath = "/api/auth"

// maxBody caps how much of a request body the fake reads.
const maxBody = 1 << 20

// Server is an in-process fake of a Better Auth server running the
// Guapocado plugin, with the platform behind it replaced by an in-memory
// ledger. Create one with NewServer and Close it when done. All methods are
// safe for concurrent use.
type Server struct {
	// URL is the address to send requests to, http://127.0.0.1:port: the
	// app base URL to give the SDK (Better Auth lives under URL+BasePath).
	URL string

	ts        *httptest.Server
	cfg       config
	baseURL   string
	secret    []byte
	closing   chan struct{}
	closeOnce sync.Once
	routes    map[string]route

	clockMu sync.Mutex
	frozen  bool
	frozenT time.Time
	offset  time.Duration

	mu      sync.Mutex // guards st and plat
	st      state
	plat    platformState
	pRoutes []platformRoute
	devices map[string]*deviceCode // device.go
	kinds   map[string]entKind     // every known key's kind (rules.go); fixed by NewServer

	logMu    sync.Mutex // guards the logs, the faults and the limiter
	requests []Request
	ops      []LedgerOp
	faults   []*queuedFault
	faultFn  func(*http.Request) *Fault
	buckets  map[string]*bucket

	out         *outbox // webhook deliveries (outbox.go)
	eventPrefix string
}

// config collects the options.
type config struct {
	now            func() time.Time
	https          bool
	trusted        []string
	cors           []string
	cookiePrefix   string
	customerSource string
	plans          []Plan
	plansSet       bool
	meters         map[string]resetPeriod // WithMeter, WithBillingConfig (period.go)
	limits         map[string]bool        // WithLimit
	customerPlans  map[string]string
	defaultPlan    string
	webhookSecret  string
	rateMax        int
	rateWindow     time.Duration
	latency        time.Duration
	apiKey         string
	wiring         wiring // wiring.go

	webhookEndpoints []webhookTarget
	webhookFaults    WebhookFaults
}

// Option configures a Server.
type Option func(*config)

// WithClock makes the server read time from now instead of the wall clock:
// meter resets, subscription periods, timestamps, webhook tolerance and the
// rate limiter all follow it. now must not call back into the Server.
// SetNow and Advance still work on top of it.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithHTTPS makes the server believe its baseURL is https://<listener host>
// while it keeps listening on plain HTTP at URL, like a server behind a TLS
// proxy: every cookie gets the __Secure- prefix and the Secure attribute,
// the unprefixed cookie names are ignored, and a cookie-bearing POST needs
// Origin https://<listener host>.
func WithHTTPS() Option { return func(c *config) { c.https = true } }

// WithTrustedOrigins adds origins (scheme://host[:port]) that pass the
// Origin check besides the base URL's own.
func WithTrustedOrigins(origins ...string) Option {
	return func(c *config) { c.trusted = append(c.trusted, origins...) }
}

// WithCookiePrefix replaces the cookie prefix "better-auth".
func WithCookiePrefix(prefix string) Option { return func(c *config) { c.cookiePrefix = prefix } }

// WithCustomerSource chooses how the plugin maps a session to a customer:
// "organization" (the default: the active organization's id), "team" (the
// active team's id) or "user" (the user's id).
func WithCustomerSource(source string) Option {
	return func(c *config) { c.customerSource = source }
}

// WithPlans replaces the catalogue (DefaultPlans) with plans.
func WithPlans(plans ...Plan) Option {
	return func(c *config) { c.plans, c.plansSet = append([]Plan(nil), plans...), true }
}

// WithMeter says whether the meter key resets monthly (resets at the first
// instant of the next month, UTC) or never (resets: null). By default
// api-calls is monthly and every other meter never resets. A key given here
// is a known entitlement even when no plan includes it.
func WithMeter(key string, monthly bool) Option {
	return func(c *config) {
		c.meters[key] = resetNever
		if monthly {
			c.meters[key] = resetMonthly
		}
	}
}

// WithLimit says that these numeric entitlement keys are limits (seats,
// projects: a count the customer may hold, read with /guapocado/limit),
// not meters. A key some plan allows to expand is a limit without it;
// every other numeric key is a meter. A key is of one kind only: the usage
// endpoints refuse a limit, the limit endpoints a meter, with 400
// "Entitlement <key> is not a usage meter" or "… is not a limit". A key
// given here is a known entitlement even when no plan includes it.
// NewServer panics when a key is given two kinds (WithMeter and WithLimit,
// or overage in one plan and expansion in another).
func WithLimit(keys ...string) Option {
	return func(c *config) {
		for _, k := range keys {
			c.limits[k] = true
		}
	}
}

// WithCustomerPlan puts customerID on planKey from the start (without a
// subscription). Customers not named here start on the default plan.
func WithCustomerPlan(customerID, planKey string) Option {
	return func(c *config) { c.customerPlans[customerID] = planKey }
}

// WithDefaultPlan sets the plan new customers start on: "free" when the
// catalogue has it, else the catalogue's first plan.
func WithDefaultPlan(planKey string) Option { return func(c *config) { c.defaultPlan = planKey } }

// WithWebhookSecret enables the plugin's webhook receiver (GET and POST
// /guap) with this signing secret. Without it GET /guap answers
// {"enabled":false} and POST /guap 404 "Webhook disabled".
func WithWebhookSecret(secret string) Option {
	return func(c *config) { c.webhookSecret = secret }
}

// WithRateLimit turns on Better Auth's rate limiter, as NODE_ENV=production
// does (Better Auth's defaults are 100 per 10 s): at most max requests per
// window per client address and path, counted before any handler runs
// (faults excepted). The client address is X-Forwarded-For when it holds
// exactly one valid IP address; callers without one share a bucket per
// path. Sign-in, sign-up, change-password and change-email allow 3 per 10 s
// whatever max and window say, and GET /device 5 per device-code lifetime,
// as Better Auth's built-in rules. A refused request gets 429
// {"message":"Too many requests. Please try again later."} with
// X-Retry-After: <seconds> and no Retry-After.
func WithRateLimit(max int, window time.Duration) Option {
	return func(c *config) { c.rateMax, c.rateWindow = max, window }
}

// WithLatency delays every answer by d before the request is handled, as
// the hosted platform's round trip over the internet does (30 ms is a
// realistic figure): for benchmarks that compare a direct call with work
// that avoids one. A client that gives up during the delay leaves the
// ledger untouched. Injected faults come after it.
func WithLatency(d time.Duration) Option { return func(c *config) { c.latency = d } }

// route is one endpoint.
type route struct {
	schema  *schema // nil: the body is not validated
	session bool    // sessionMiddleware: 401 UNAUTHORIZED without a session
	// bare401 makes that 401 carry no body (Content-Type application/json
	// all the same), as organization/create and create-team answer.
	bare401 bool
	handle  func(*call) response
}

// call is one request on its way through a handler.
type call struct {
	r       *http.Request
	rel     string         // path below BasePath
	raw     []byte         // the request body as received
	body    map[string]any // the validated body (nil when absent)
	sess    *session       // nil when not signed in
	now     time.Time
	tokenIn bool // a validly signed session token was presented
	// dontRemember: the request carries Better Auth's dont_remember cookie
	dontRemember bool
}

// NewServer starts a fake on 127.0.0.1 with a random port. It panics on
// invalid options (an unknown customer source, a plan without a key, a
// customer put on an unknown plan), like httptest.NewServer panics when it
// cannot listen.
func NewServer(opts ...Option) *Server {
	cfg := config{
		now:            time.Now,
		cookiePrefix:   "better-auth",
		customerSource: "organization",
		meters:         map[string]resetPeriod{"api-calls": resetMonthly, "ai-credits": resetNever},
		limits:         map[string]bool{},
		customerPlans:  map[string]string{},
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.now == nil {
		cfg.now = time.Now
	}
	if cfg.apiKey == "" {
		cfg.apiKey = "sk_guap_test_" + randomHex(16)
	}
	switch cfg.customerSource {
	case "organization", "team", "user":
	default:
		panic(fmt.Sprintf("guapocadotest: unknown customer source %q (want organization, team or user)", cfg.customerSource))
	}
	s := &Server{
		cfg:     cfg,
		secret:  make([]byte, 32),
		closing: make(chan struct{}),
		buckets: map[string]*bucket{},
	}
	if _, err := rand.Read(s.secret); err != nil {
		panic("guapocadotest: " + err.Error())
	}
	if err := s.initState(); err != nil {
		panic("guapocadotest: " + err.Error())
	}
	kinds, err := entitlementKinds(s.st.plans, cfg.meters, cfg.limits)
	if err != nil {
		panic("guapocadotest: " + err.Error())
	}
	s.kinds = kinds
	for k := range cfg.limits {
		s.st.known[k] = true
	}
	s.out = newOutbox(cfg.webhookEndpoints, cfg.webhookFaults)
	s.eventPrefix = randomHex(4)
	s.routes = s.routeTable()
	s.addDeviceRoutes()
	s.plat, s.pRoutes = newPlatformState(), s.platformRoutes()
	s.ts = httptest.NewUnstartedServer(s)
	s.listen()
	host := s.ts.Listener.Addr().String()
	s.URL, s.baseURL = "http://"+host, "http://"+host
	if cfg.https {
		s.baseURL = "https://" + host
	}
	s.start()
	return s
}

// Close shuts the server down, cutting short any injected delay, and
// stops sending webhooks (queued deliveries are dropped).
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.out.close()
	s.ts.Close()
}

// BaseURL is the base URL the server believes it has: URL, or its https://
// twin under WithHTTPS. Origins are checked against it.
func (s *Server) BaseURL() string { return s.baseURL }

// Client returns an *http.Client for the server (the httptest client).
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Now reads the server's clock.
func (s *Server) Now() time.Time {
	s.clockMu.Lock()
	frozen, t, off := s.frozen, s.frozenT, s.offset
	s.clockMu.Unlock()
	if frozen {
		return t
	}
	return s.cfg.now().Add(off)
}

// SetNow stops the server's clock at t; it then moves only with Advance
// (or another SetNow).
func (s *Server) SetNow(t time.Time) {
	s.clockMu.Lock()
	s.frozen, s.frozenT = true, t
	s.clockMu.Unlock()
}

// Advance moves the server's clock forward by d (backward when d < 0).
func (s *Server) Advance(d time.Duration) {
	s.clockMu.Lock()
	if s.frozen {
		s.frozenT = s.frozenT.Add(d)
	} else {
		s.offset += d
	}
	s.clockMu.Unlock()
}

// wait sleeps d (if any) unless the client gives up or the server closes
// first; it reports whether the request goes on.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
	case <-s.closing:
	}
	return false
}

// ServeHTTP runs one request: CORS (WithCORS), faults, the rate limiter,
// then the endpoint.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(raw))
	rec := Request{
		Method: r.Method,
		Path:   r.URL.Path,
		Query:  r.URL.RawQuery,
		Header: redactHeader(r.Header),
		Body:   redactBody(r.URL.Path, raw),
		At:     s.Now(),
	}
	if s.cors(w, r) {
		s.logRequest(rec, http.StatusNoContent)
		return
	}
	if !s.wait(r, s.cfg.latency) {
		s.logRequest(rec, 0)
		return
	}
	f := s.takeFault(r)
	r.Body = io.NopCloser(bytes.NewReader(raw))
	if f != nil {
		if !s.wait(r, f.Delay) {
			s.logRequest(rec, 0)
			return
		}
		if f.Drop == DropBeforeApply {
			s.logRequest(rec, 0)
			dropConnection(w)
			return
		}
		if f.Status != 0 {
			resp := f.response()
			resp.write(w)
			s.logRequest(rec, resp.status)
			return
		}
	}
	var resp response
	limited := false
	if !strings.HasPrefix(r.URL.Path, platformPrefix) { // Better Auth's limiter is not in front of the platform
		resp, limited = s.rateLimit(r)
	}
	if !limited {
		resp = s.handle(r, raw)
	}
	if f != nil && f.Drop == DropAfterApply {
		s.logRequest(rec, 0)
		dropConnection(w)
		return
	}
	resp.write(w)
	s.logRequest(rec, resp.status)
}

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// handle routes the request and runs Better Auth's pipeline: route match,
// body parsing (415, invalid JSON), the Origin check, body validation, the
// session middleware, then the endpoint.
func (s *Server) handle(r *http.Request, raw []byte) response {
	if strings.HasPrefix(r.URL.Path, platformPrefix) {
		return s.handlePlatform(r, raw)
	}
	rel, ok := strings.CutPrefix(r.URL.Path, BasePath)
	if !ok || !strings.HasPrefix(rel, "/") {
		return notFound()
	}
	rt, ok := s.routes[r.Method+" "+rel]
	if !ok {
		return notFound()
	}
	body, present, fail := parseBody(r, raw)
	if fail != nil {
		return *fail
	}
	bodyMap, _ := body.(map[string]any)
	if resp := s.checkOrigin(r, rel, bodyMap); resp != nil {
		return *resp
	}
	c := &call{r: r, rel: rel, raw: raw}
	if rt.schema != nil {
		m, msg := rt.schema.validate(body, present)
		if msg != "" {
			return errorResponse(http.StatusBadRequest, msg, "VALIDATION_ERROR")
		}
		c.body = m
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.now = s.Now()
	c.sess, c.tokenIn = s.sessionFromRequest(r)
	c.dontRemember = s.requestDontRemember(r)
	var refreshed http.Header
	if rt.session || rel == "/get-session" { // the routes that look the session up
		refreshed = s.refreshSession(c)
	}
	if rt.session && c.sess == nil {
		resp := unauthorized()
		if rt.bare401 {
			resp.body = nil
		}
		if c.tokenIn { // Better Auth's session lookup clears a dead session's cookies
			s.deleteCookies(resp.header)
		}
		return resp
	}
	resp := rt.handle(c)
	if refreshed != nil && resp.header.Get("Set-Auth-Token") == "" {
		if resp.header == nil {
			resp.header = http.Header{}
		}
		mergeHeader(resp.header, refreshed)
	}
	return resp
}

// routeTable lists every endpoint, keyed "METHOD /path" below BasePath.
func (s *Server) routeTable() map[string]route {
	return map[string]route{
		"GET /ok": {handle: func(*call) response { return jsonResponse(200, obj{{"ok", true}}) }},

		"POST /sign-up/email":                {schema: signUpSchema, handle: s.signUp},
		"POST /sign-in/email":                {schema: signInSchema, handle: s.signIn},
		"POST /sign-out":                     {handle: s.signOut},
		"GET /get-session":                   {handle: s.getSession},
		"POST /organization/create":          {schema: orgCreateSchema, session: true, bare401: true, handle: s.orgCreate},
		"GET /organization/list":             {session: true, handle: s.orgList},
		"POST /organization/set-active":      {schema: setActiveSchema, session: true, handle: s.orgSetActive},
		"POST /organization/set-active-team": {schema: setActiveTeamSchema, session: true, handle: s.orgSetActiveTeam},
		"GET /organization/list-teams":       {session: true, handle: s.orgListTeams},
		"POST /organization/create-team":     {schema: createTeamSchema, session: true, bare401: true, handle: s.orgCreateTeam},
		"POST /organization/add-team-member": {schema: addTeamMemberSchema, session: true, handle: s.orgAddTeamMember},

		"GET /guapocado/customer":             {session: true, handle: s.customerGet},
		"POST /guapocado/customer":            {schema: customerSchema, session: true, handle: s.customerSync},
		"POST /guapocado/context":             {schema: contextSchema, session: true, handle: s.context},
		"POST /guapocado/has":                 {schema: keySchema, session: true, handle: s.has},
		"POST /guapocado/limit":               {schema: keySchema, session: true, handle: s.limit},
		"POST /guapocado/limit/settings":      {schema: limitSettingsSchema, session: true, handle: s.limitSettings},
		"POST /guapocado/usage/balance":       {schema: keySchema, session: true, handle: s.usageBalance},
		"POST /guapocado/usage/consume":       {schema: consumeSchema, session: true, handle: s.usageConsume},
		"POST /guapocado/usage/refund":        {schema: consumeSchema, session: true, handle: s.usageRefund},
		"POST /guapocado/usage/settings":      {schema: usageSettingsSchema, session: true, handle: s.usageSettings},
		"GET /guapocado/plans":                {session: true, handle: s.plans},
		"POST /guapocado/subscription":        {schema: customerSchema, session: true, handle: s.subscriptionCurrent},
		"POST /guapocado/subscription/change": {schema: changeSchema, session: true, handle: s.subscriptionChange},
		"POST /guapocado/checkout":            {schema: checkoutSchema, session: true, handle: s.checkout},

		"GET /guap":  {handle: s.guapStatus},
		"POST /guap": {schema: guapSchema, handle: s.guapReceive},
	}
}
