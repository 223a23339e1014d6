// Package webhook receives Guapocado's signed webhooks: it verifies them,
// parses the event envelope into typed data and serves them to callbacks
// through an http.Handler that drops repeated deliveries.
//
// # Receiving
//
// [NewHandler] returns a [Handler] for the endpoint's signing secret (it
// returns [ErrNoSecret] when the secret is empty). Register a callback per
// [EventType] and mount it:
//
//	h, err := webhook.NewHandler(secret) // webhook.WithSecrets(old) while rotating
//	if err != nil {
//		return err
//	}
//	h.OnSubscriptionUpdated(func(ctx context.Context, e *webhook.Event, d *webhook.SubscriptionUpdated) error {
//		return store.SetPlan(ctx, d.Subscription.CustomerID, d.Subscription.PlanKey)
//	})
//	h.OnAny(func(ctx context.Context, e *webhook.Event) error { return nil }) // other types, unknown ones included
//	mux.Handle("POST /webhooks/guapocado", h)
//
// A callback's error answers 500, so Guapocado delivers the event again;
// the status codes are listed on [Handler].
//
// # Verification
//
// A delivery carries [SignatureHeader]: "t=<unix seconds>,v1=<hex
// HMAC-SHA256(secret, "<t>.<raw body>")>", with one v1 entry per signing
// secret while one is being rotated. [Verify] checks it in constant time
// against any of the configured secrets ([WithSecrets]) and refuses a
// timestamp more than [DefaultTolerance] from now ([WithTolerance]).
// [ConstructEvent] verifies and parses in one call, for frameworks that are
// not net/http; a [Verifier] holds the settings. Errors match the
// sentinels [ErrNoSecret], [ErrNoSignature], [ErrMalformedHeader],
// [ErrSignatureMismatch] and [ErrTimestamp] and never contain a secret or
// a signature; a Handler or Verifier printed, encoded as JSON or logged
// shows no secret either.
//
// # Events
//
// [ParseEvent] reads the envelope into an [Event]; the typed accessors
// ([Event.CustomerUpdated], [Event.PurchaseCompleted], …) decode its data.
// Unknown types are accepted and kept intact ([Event.Data], [Event.Raw]).
// A customer's metadata is read leniently, as the platform sends it (a
// JSON string holding an object) or as an object: see [Customer].
//
// # Deduplication
//
// Delivery is at least once. The Handler processes an event id once: its
// default [MemoryDeduper] remembers each processed id for twice the
// tolerance, up to [DefaultDedupeCapacity] ids, and answers 503 (the sender
// retries) rather than process an event it would have no room to remember.
// Pass your own [Deduper] with [WithDeduper] to share the memory between
// processes.
//
// # Testing
//
// [Sign] and [SignSecrets] make the header Guapocado would send, for tests
// of a receiver; package guapocadotest builds whole payloads and requests.
package webhook
