// Package guapocado is the typed Go client for Guapocado billing. It has two
// clients with the same billing calls and result types:
//
//   - [Client], made by [NewClient], calls the Guapocado plugin of a Better
//     Auth app for one user session: the Go twin of the browser's
//     authClient.guapocado, for Go CLIs, backends acting for a user, and Go
//     compiled to WebAssembly in a page.
//   - [APIClient], made by [NewAPIClient], calls the hosted platform API with
//     a secret key: the twin of the upstream server SDK, for backend jobs,
//     queues and webhook handlers that have no user session.
//
// Both embed [Billing]: usage ([UsageService]: consume, refund, balance,
// settings), entitlements ([Billing.Has], [Billing.Limit],
// [LimitsService.Configure]), the customer sync, plans, the subscription,
// checkout and the billing snapshot ([Billing.Snapshot]). Code that needs
// only these takes a *[Billing] and runs on either client:
//
//	c, err := guapocado.NewClient("https://app.example.com", guapocado.WithSessionToken(token))
//	u, err := c.Usage.Consume(ctx, "api-calls", 1) // *Usage{CustomerID, Key, Balance, Resets, …}
//	ok, err := c.Has(ctx, "advanced-analytics")
//	report(ctx, &c.Billing)                       // func report(ctx context.Context, b *guapocado.Billing)
//
// What only one mode serves exists only on its client: Auth, Customer.ID,
// ForRequest and the webhook receiver's status on [Client]; purchases,
// contracts, the audit log, webhook endpoints, Customer.Create and
// Subscription.Refund on [APIClient]. Calling them on the other client does
// not compile.
//
// Every call takes a context first and does one request (retries aside);
// the constructors do no I/O. A client is safe for concurrent use.
//
// # Sessions
//
// The plugin bills the customer of the caller's Better Auth session: by
// default its active organization (or, by server configuration, its active
// team or the user). Give a [Client] a session in one of these ways:
//
//   - [WithSessionToken]: the signed session token, sent as the session
//     cookie under Better Auth's name ("better-auth.session_token",
//     "__Secure-" prefixed when the base URL is https; see
//     [WithCookiePrefix]). Better Auth's CSRF check refuses a cookie-bearing
//     POST without an Origin equal to the app's: the client sends the base
//     URL's origin ([WithOrigin] to change it).
//   - [WithBearerToken]: "Authorization: Bearer", with Better Auth's bearer
//     plugin. The client keeps the newest token the server sends in
//     set-auth-token (bounded in size). No Origin is needed.
//   - [AuthService]: sign in by email ([AuthService.SignInEmail] keeps the
//     cookie and the bearer token), then [AuthService.SetActiveOrganization].
//     A new session has no active organization, and billing calls fail with
//     [ErrNoCustomer] until one is set. [AuthService.SessionToken] exports
//     the token for a CLI to store.
//   - [Client.ForRequest]: in a backend, a cheap copy of the client carrying
//     the session of an incoming request. [Billing.Middleware] builds
//     net/http middleware that gates a handler on features and meters it,
//     billing one customer per request.
//
// A session over plain http to a host that is not loopback is refused
// unless [WithInsecureHTTP] says the network is trusted. [NewClient] takes
// the app's origin, with or without the Better Auth base path:
// "https://app.example.com" and "https://app.example.com/api/auth" name the
// same app. [ForCustomer] acts for another customer id; the plugin does not
// check that the session may, so offer it only to trusted code.
//
// # Platform API
//
// [NewAPIClient] authenticates with a secret key (x-guapocado-key) and acts
// for the customer each call names: [WithCustomerID] gives a default,
// [ForCustomer] a call's own. There consume and refund carry an idempotency
// key, generated once per call or given with [WithIdempotencyKey], sent
// unchanged on every attempt: they retry like reads and the platform applies
// a key at most once. [SnapshotParams].Customer sends the customer's name,
// email and metadata with a snapshot, and [APICustomerService.Create]
// creates a customer (with or without an id of your own).
//
//	c, err := guapocado.NewAPIClient(apiKey, guapocado.WithCustomerID("org_123"))
//	u, err := c.Usage.Consume(ctx, "api-calls", 1, guapocado.WithIdempotencyKey("job-42-item-7"))
//
// # Naming the customer
//
// Five names say which customer a call bills; each has one job:
//
//	name                     kind                  where                   use it to
//	WithCustomerID(id)       client Option         NewAPIClient            give a platform client a default customer for every call
//	ForCustomer(id)          per-call CallOption   any call, both clients  make one call act for another customer
//	CustomerID(id)           MiddlewareOption      APIClient.Middleware    bill every request of a middleware to one fixed customer
//	CustomerFrom(fn)         MiddlewareOption      APIClient.Middleware    name each request's customer from the request (your auth)
//	CustomerIDFromContext    read in a handler     behind Middleware       learn which customer the middleware billed
//
// On a session client ([NewClient]) the session's active organization (or
// team, or user) is the customer: none of the first four is needed, and
// [WithCustomerID], [CustomerID] and [CustomerFrom] are refused there.
// [ForCustomer] on a session client overrides the session's customer, and
// the plugin does not check that the session may act for it: offer it only
// to trusted code. On a platform client a call acts for [ForCustomer]'s id,
// else [WithCustomerID]'s, and fails with a [*ValidationError] before the
// network when there is neither. A middleware on a platform client needs
// [CustomerID] or [CustomerFrom] (the client's [WithCustomerID] is not
// used for requests), and the client the handler gets from
// [ClientFromContext] acts for the customer that [CustomerIDFromContext]
// returns.
//
// # Errors
//
// Every failure of a request is an [*Error] (status, Better Auth code,
// message, request id, retry-after, method and path; never the query,
// cookies, tokens or keys; server messages are cleaned of control
// characters). Match classes with errors.Is: [ErrUnauthorized],
// [ErrNoCustomer], [ErrInvalidAPIKey], [ErrOriginRejected], [ErrForbidden],
// [ErrNotFound], [ErrInvalidRequest], [ErrInsufficientBalance],
// [ErrRateLimited], [ErrServer], [ErrOutcomeUnknown],
// [ErrUnexpectedResponse]. Arguments the server would refuse (an empty or
// blank key, "." or "..", an amount <= 0 or above 2^53, a checkout URL that
// is relative or not http(s)…) fail before any request with a
// [*ValidationError] naming the field.
//
// [ErrOutcomeUnknown] is the money sentinel: a write (consume, refund,
// checkout, a platform refund) that may have been applied although the call
// failed. It is never reported as a definite failure: a lost answer after
// the request was sent, a 5xx through the plugin (which answers 500 when it
// lost the platform's answer after the platform applied the write), a 2xx
// that was cut off or does not decode, or any earlier attempt that may have
// applied it when no later attempt got a definite answer. A 5xx also matches
// [ErrServer].
//
//	if _, err := c.Usage.Consume(ctx, "ai-credits", 5); errors.Is(err, guapocado.ErrInsufficientBalance) {
//		// offer a top-up
//	}
//
// # Retries
//
// One loop sends a call's attempts (go-retryablehttp's) and one policy
// decides each retry.
// Reads and idempotent sets (has, limit, balance, snapshot, plans,
// subscription, customer, the settings calls, subscription change) are
// retried on connection errors,
// 429, 500, 502, 503 and 504. A session client's consume, refund and
// checkout are not idempotent (the plugin drops idempotency keys): they are
// retried only where the request provably never reached a handler (no byte
// of it was written, or Better Auth's rate limiter refused it with
// X-Retry-After); net/http cannot resend them below the SDK (an HTTP/2
// stream reset does not rewind a sent body) and they never follow a
// redirect. A platform client's keyed writes retry like reads. Backoff is
// exponential with equal jitter: the wait before retry n is in [d/2, d),
// d = minWait·2^(n-1) capped at maxWait (with the defaults the first retry
// waits 125 ms to 250 ms); Retry-After and X-Retry-After (seconds or an
// HTTP date) are honoured up to the maximum wait; the context's deadline,
// or [WithTimeout], bounds all attempts together; without one, each
// attempt's body read is bounded by [DefaultBodyReadTimeout]; on the
// default transport each attempt is bounded by
// [DefaultResponseHeaderTimeout] and [DefaultReadIdleTimeout]. A session
// client's retried consume, refund or checkout goes out on a connection of
// its own. See [WithRetry] and [WithLogger].
//
// # Observability
//
// [WithTransportWrapper] wraps the SDK's own transport (keeping its idle
// timeout, pool, timeouts and dial gate) under the retry policy, so it sees
// each attempt. [WithCallObserver] sees each call: its [CallInfo] when it
// starts (it may return a context carrying a span) and its [CallResult]
// when it ends. [WithLogger] logs through slog's context methods with the
// call's context. Module github.com/guapocado/guapocado-go/otelguapocado
// builds OpenTelemetry spans and metrics on these. [Billing.Do] sends a
// route the SDK does not wrap through the same pipeline.
//
// # Webhooks
//
// Guapocado tells the app about billing changes with signed webhooks.
// Package github.com/guapocado/guapocado-go/webhook receives them: it
// verifies the signature, drops repeated deliveries and calls typed
// callbacks. This package does not import it. [WebhookService.Status] reads
// a Better Auth app's receiver registration; [WebhookEndpointsService]
// registers a receiver with the platform.
//
// # WebAssembly
//
// Built with GOOS=js GOARCH=wasm, the session client sends requests through
// the browser's fetch and the browser owns the cookies: a page on the app's
// origin needs no session option at all. [WithSessionToken] is refused
// there, and [WithFetchCredentials]("include") lets a page call an app on
// another origin whose CORS policy allows it (exact origin, credentials,
// and Access-Control-Expose-Headers: set-auth-token, X-Retry-After,
// Retry-After; a header that is not exposed reads as absent: RetryAfter is
// then 0 and the SDK waits its own backoff). Cookies do not cross sites:
// for an app on another site use [WithBearerToken]. fetch does not say
// whether a failed request was sent, so a consume, refund or checkout that
// fails without an answer is not retried and matches [ErrOutcomeUnknown].
// examples/wasm exposes the client to page JavaScript as Promises.
// [NewAPIClient] always fails there: secret keys must not ship to browsers.
package guapocado
