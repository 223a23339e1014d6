package webhook

import (
	"time"

	"github.com/guapocado/guapocado-go/internal/webhooksig"
)

// Sign returns the guapocado-signature header value Guapocado would send
// for payload signed with secret at time t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>". It is
// for tests of a receiver. An empty secret is signed with an empty key, so
// tests can check that a receiver refuses it.
func Sign(secret string, t time.Time, payload []byte) string {
	return webhooksig.Sign([]string{secret}, t, payload)
}

// SignSecrets is [Sign] with one v1 entry per secret, in order, as
// Guapocado sends while a signing secret is being rotated.
func SignSecrets(secrets []string, t time.Time, payload []byte) string {
	return webhooksig.Sign(secrets, t, payload)
}
