// Package guapocadotest runs an in-process fake of a Better Auth server with
// the Guapocado plugin, for testing code that uses the guapocado SDK without
// the real service.
//
// The fake is stateful and strict. It serves, under /api/auth, Better
// Auth's email sign-up and sign-in, sign-out, get-session and the
// organization and team endpoints, with real signed session tokens, cookies
// and set-auth-token headers; every /guapocado/* endpoint of the plugin;
// and the webhook receiver GET/POST /guap. Behind them sits a real ledger:
// meters with included, consumed and overage amounts and monthly resets,
// features, limits with purchased expansion, plans, subscriptions and
// checkout URLs. It enforces what the real server enforces — the Origin
// (CSRF) check on cookie-bearing POSTs, Content-Type and body validation
// with the same status, code and message, 401 "Sign in first" without an
// active organization, empty 404s for unknown paths and wrong methods — so
// a client that works against it speaks the real wire protocol.
//
// # Testing your code
//
// Start a server, make a session, and point the SDK at it:
//
//	srv := guapocadotest.NewServer()
//	defer srv.Close()
//	sess, err := srv.NewSession() // a user with an active organization
//	...
//	client, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token))
//
// Then run the code under test with that client and assert on what it did,
// either through the SDK or straight on the fake's ledger:
//
//	u, err := srv.Usage(sess.CustomerID, "api-calls") // no HTTP
//	// u.Consumed, u.Balance, u.Resets …
//	ops := srv.Ops() // every consume and refund applied, with its headers
//
// Session.Token is the signed session token, exactly what the real server
// sends in set-auth-token: it works as a bearer token, and URL-encoded as
// the value of the better-auth.session_token cookie. SignUp and
// CreateOrganization build sessions step by step (a fresh sign-up has no
// active organization, which the plugin answers with 401 "Sign in first").
//
// # Catalogue and ledger
//
// By default the catalogue is DefaultPlans (free, pro, credits-pack,
// enterprise) and every customer starts on free: 100 api-calls per month,
// 10 ai-credits that never reset, 3 seats, csv-export. Replace it with
// WithPlans, choose the starting plan with WithDefaultPlan,
// WithCustomerPlan or SetPlan, say which meters reset monthly with
// WithMeter and which numeric keys are limits with WithLimit (see Key
// kinds). A consume beyond the balance answers 429 "Insufficient balance"
// unless the plan allows overage and the customer enabled it.
//
// # Time
//
// The server has its own clock: the wall clock by default, or WithClock.
// SetNow stops it at a given instant and Advance moves it, which drives
// meter resets, subscription periods, the rate limiter and the webhook
// timestamp tolerance:
//
//	srv.SetNow(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
//	… consume …
//	srv.Advance(6 * 24 * time.Hour) // now in December: api-calls is reset
//
// # Faults
//
// InjectFaults makes the next n matching requests fail: an immediate status
// (for instance 429 with X-Retry-After, as Better Auth's rate limiter
// answers, or a 503), a delay, or a dropped connection either before the
// endpoint ran (DropBeforeApply: nothing changed) or after it committed
// its change (DropAfterApply: the consume happened but the client never
// hears of it). SetFaultFunc decides per request. Requests logs every
// request with its answer (credentials redacted) and Ops every applied
// ledger change, so a test can check, for example, that a retried consume
// was applied exactly once.
//
// # Cookies, Origin and HTTPS
//
// A client that sends the session cookie must send an Origin equal to
// BaseURL on every POST, as with the real server. WithHTTPS makes the
// server believe its base URL is https:// (cookies become
// __Secure-better-auth.*, Origin must be https://…) while URL stays plain
// http://, like an app behind a TLS proxy.
//
// # Platform API
//
// The same listener serves the hosted platform API (the routes under /v1/
// that the plugin calls and that guapocado.NewAPIClient uses), over the
// same ledger: a consume through one side shows in the other's balances.
// Requests need x-guapocado-key: APIKey (random per server, or WithAPIKey),
// else 401 {"error":"Missing API key"} or {"error":"Invalid API key"}; every
// answer carries x-request-id. An idempotency key (usage consume and
// refund, purchase and subscription refunds) is applied at most once: a
// repeat gets the stored answer (with Idempotent-Replayed: true), the same
// key on a different request 409. Faults apply to these paths too (Path "/v1/usage/api-calls/consume"),
// Better Auth's rate limiter does not. AddPurchase records a purchase to
// list and refund; contracts, webhook endpoint registrations and an audit
// log (newest first, cursor pages) are kept in memory.
//
//	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_1"))
//
// # Browsers
//
// A Server is an http.Handler: mount it under BasePath on the server that
// serves a WebAssembly or JavaScript front end, so that the page and the
// fake share an origin (add the page's origin with WithTrustedOrigins, as
// its Origin is not the fake's URL). For a front end on another origin,
// WithCORS answers CORS the way such an app must (exact origin,
// credentials, exposed set-auth-token, X-Retry-After and Retry-After,
// preflights). Cookies ignore ports: two fakes on 127.0.0.1 seen by one
// browser need different WithCookiePrefix values.
//
// # Key kinds
//
// Every entitlement key has one kind, as on the platform: a feature (a
// boolean in the plans), a limit (WithLimit, or a numeric key some plan
// allows to expand: seats, projects) or a meter (every other numeric key:
// api-calls, ai-credits, WithMeter). has answers for every kind (a meter
// while it has balance or may run into overage, a limit while it is above
// zero); the usage endpoints refuse a limit or feature and the limit
// endpoints a meter, and so does a snapshot asked for such a key among its
// usage or limits, with the answer the plugin passes on for a platform 400:
// 400 {"message":"Entitlement seats is not a usage meter"} (or "… is not a
// limit"); the platform API answers {"error": …}. Buying more of a limit or
// switching its auto-expansion on needs a plan that allows its expansion
// (400 "Limit expansion is not allowed for seats on this plan"), and a
// product with custom pricing ("contact sales") cannot be bought through
// checkout (400 "Product enterprise is not available for checkout").
// The hosted platform was not observed for these; they follow upstream's
// schema (one kind per key) and the integration harness's platform.
//
// # Compared with Better Auth
//
// The integration suite (integration/, build tag integration) sends the same
// raw exchanges to this fake and to a real Better Auth server
// (better-auth 1.7.25 with the organization, bearer and device
// authorization plugins and the harness's Guapocado plugin) and compares
// what a client acts on: status, JSON field names, types and values, error
// codes and messages, and the headers and cookies clients read — sign-up and
// sign-in, organizations and teams, every billing endpoint and its errors,
// the rate limiter with NODE_ENV=production, an https base URL, CORS, the
// team customer source, the device flow and the webhook receiver. Answers
// as Better Auth gives them include: the sign-in and sign-up limit (3 per
// 10 s per client address); rate-limit buckets per client address
// (X-Forwarded-For with exactly one valid address) and path;
// session.ipAddress from the same address; "[body.email] Invalid email
// address" at sign-up; the three expired cookies (session_token,
// session_data, dont_remember) on every answer to an unknown, revoked or
// signed-out session, and on every sign-out; keepCurrentActiveOrganization;
// set-active leaving the active team alone; and the session refresh (a
// session looked up a day after its expiry was set, or a not-remembered
// session used without its dont_remember cookie, gets its cookie and
// set-auth-token again).
//
// # What is not modelled
//
// Sessions do not expire (so tests can move the clock across months);
// cookie caching (session_data) is not implemented; checkout URLs never
// complete a purchase; webhook events POSTed to /guap are verified but not
// applied to the ledger. Only the endpoints listed above exist (no
// password change, email verification, invitations or member management).
// The client address is read from X-Forwarded-For only, as with Better
// Auth's defaults (no ipAddressHeaders, trustedProxies or IPv6 subnet
// options), and outside NODE_ENV=development, where Better Auth would
// fall back to 127.0.0.1.
//
// The differential test allows one difference, because it belongs to the
// app rather than to Better Auth: WithCORS keeps its exposed headers. On an
// answer that carries set-auth-token the fake lists set-auth-token,
// X-Retry-After and Retry-After in Access-Control-Expose-Headers; behind the
// harness's plain Node CORS front, Better Auth's own "set-auth-token"
// replaces the front's list on such answers. What a page can read depends on
// the app's CORS layer; WithExposedHeaders models one that overwrites the
// list.
package guapocadotest
