// Package guapocado is the typed Go client for Guapocado billing as served by
// the Guapocado plugin for Better Auth: the Go twin of the browser's
// authClient.guapocado. A Go program holding a Better Auth session (a CLI, a
// backend acting for a user, Go compiled to WebAssembly in a page) can
// consume and refund usage, check entitlements and limits, sync the
// customer, read plans and the subscription, and start checkout, with typed
// results.
//
//	c, err := guapocado.NewClient("https://app.example.com", guapocado.WithSessionToken(token))
//	u, err := c.Usage.Consume(ctx, "api-calls", 1) // *Usage{CustomerID, Balance, Resets, …}
//	ok, err := c.Has(ctx, "advanced-analytics")
//
// Every call takes a context first and does one request to
// {baseURL}/api/auth/guapocado/…; NewClient does no I/O. A Client is safe
// for concurrent use.
//
// # Sessions
//
// The plugin bills the customer of the caller's Better Auth session: by
// default its active organization (or, by server configuration, its active
// team or the user). Give the client a session in one of these ways:
//
//   - WithSessionToken: the signed session token, sent as the session cookie
//     under Better Auth's name ("better-auth.session_token", "__Secure-"
//     prefixed when the base URL is https; see WithCookiePrefix). Better
//     Auth's CSRF check refuses a cookie-bearing POST without an Origin equal
//     to the app's: the client sends the base URL's origin (WithOrigin to
//     change it).
//   - WithBearerToken: "Authorization: Bearer", with Better Auth's bearer
//     plugin. The client keeps the newest token the server sends in
//     set-auth-token. No Origin is needed.
//   - Client.Auth: sign in by email (SignInEmail keeps the cookie and the
//     bearer token), then SetActiveOrganization. A new session has no active
//     organization, and billing calls fail with ErrNoCustomer until one is set.
//     SessionToken exports the token for a CLI to store.
//   - Client.ForRequest: in a backend, a cheap copy of the client carrying the
//     session of an incoming request. Client.Middleware builds net/http
//     middleware on it that gates a handler on a feature (RequireFeature) or
//     consumes usage per request (ConsumeUsage), answering refusals with a
//     JSON MiddlewareError (401, 402, 403, 429, 502, 503).
//
// ForCustomer acts for another customer id; the plugin does not check that
// the session may, so offer it only to trusted code.
//
// # Errors
//
// Every failure of a request is an *Error (status, Better Auth code, message,
// request id, retry-after, method and path; never the query, cookies or
// tokens). Match classes with errors.Is: ErrUnauthorized, ErrNoCustomer,
// ErrInvalidAPIKey, ErrOriginRejected, ErrForbidden, ErrNotFound, ErrInvalidRequest,
// ErrInsufficientBalance, ErrRateLimited, ErrServer, ErrOutcomeUnknown,
// ErrUnexpectedResponse. Arguments the server would refuse (an empty or
// blank key, "." or "..", an amount <= 0 or above 2^53, a checkout URL that
// is relative or not http(s)…) fail before any request with a
// *ValidationError naming the field.
//
//	if _, err := c.Usage.Consume(ctx, "ai-credits", 5); errors.Is(err, guapocado.ErrInsufficientBalance) {
//		// offer a top-up
//	}
//
// # Retries
//
// Requests go through hashicorp/go-retryablehttp. Reads and idempotent sets
// (has, limit, balance, context, plans, subscription, customer, the settings
// calls, subscription change) are retried on connection errors, 429, 500,
// 502, 503 and 504. Consume, refund and checkout are not idempotent through
// the plugin, which drops idempotency keys: they are retried only where the
// request provably never reached a handler (no byte of it was written, or
// Better Auth's rate limiter refused it with X-Retry-After). When the
// connection breaks after such a request was sent, the error matches
// ErrOutcomeUnknown: read the balance before repeating it. Backoff is
// exponential with jitter; Retry-After and X-Retry-After are honoured up to
// the maximum wait; the context's deadline bounds all attempts. See
// WithRetry and WithLogger.
//
// # Webhooks
//
// Guapocado tells the app about billing changes with signed webhooks.
// Package github.com/guapocado/guapocado-go/webhook receives them: it
// verifies the signature, drops repeated deliveries and calls typed
// callbacks (webhook.NewHandler). This package does not import it.
// Client.Webhook.Status reads the app's own receiver registration.
//
// # Platform API
//
// Backend jobs with no user session call the hosted platform API with a
// secret key: NewAPIClient returns a *Client with the same services and
// result types, acting for WithCustomerID's customer or the call's
// ForCustomer, plus the platform-only Purchases, Contracts, Audit,
// WebhookEndpoints, Customer.Create and Subscription.Refund (a session
// client gets ErrPlatformOnly from these, a platform client ErrSessionOnly
// from Auth and Webhook.Status). There consume and refund carry an idempotency key, generated
// once per call or given with WithIdempotencyKey, sent unchanged on every
// attempt: they retry like reads and are applied at most once per key. If
// the retries run out after a request was sent, the error matches
// ErrOutcomeUnknown and Error.IdempotencyKey is the key to repeat it with.
//
//	c, err := guapocado.NewAPIClient(apiKey, guapocado.WithCustomerID("org_123"))
//	u, err := c.Usage.Consume(ctx, "api-calls", 1, guapocado.WithIdempotencyKey("job-42-item-7"))
//
// # WebAssembly
//
// Built with GOOS=js GOARCH=wasm, the client sends requests through the
// browser's fetch and the browser owns the cookies: a page on the app's
// origin needs no session option at all. WithSessionToken is refused there,
// and WithFetchCredentials("include") lets a page call an app on another
// origin whose CORS policy allows it (exact origin, credentials, and
// Access-Control-Expose-Headers: set-auth-token, X-Retry-After, Retry-After;
// a header that is not exposed reads as absent: RetryAfter is then 0 and the
// SDK waits its own backoff). Cookies do not cross sites: for an app on
// another site use WithBearerToken. fetch does not say whether a failed
// request was sent, so a consume, refund or checkout that fails without an
// answer is not retried and matches ErrOutcomeUnknown. examples/wasm
// exposes the client to page JavaScript as Promises. NewAPIClient always
// fails there: secret keys must not ship to browsers.
package guapocado
