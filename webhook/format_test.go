package webhook_test

import (
	"fmt"
	"testing"

	"github.com/guapocado/guapocado-go/internal/redactcheck"
	"github.com/guapocado/guapocado-go/webhook"
)

// TestNoVerbShowsASecret (issue 23 item 11): a Handler, a Verifier, a
// pointer to one and a struct holding them, printed with every fmt verb
// (the bad verbs %p and %w, which print fields without calling any method,
// included), nested in structs, slices, maps, pointers, interfaces and
// reflect Values, encoded as JSON, XML or gob, or logged with slog, never
// show a secret.
func TestNoVerbShowsASecret(t *testing.T) {
	t.Parallel()
	const secret, old = "whsec_FMTSECRET_c0ffee", "whsec_OLDSECRET_decade"
	h := mustHandler(t, secret, webhook.WithSecrets(old))
	v := webhook.Verifier{Secrets: secretsOf(secret, old)}
	vp, err := webhook.NewVerifier(secret, webhook.WithSecrets(old))
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		H *webhook.Handler
		V webhook.Verifier
		P *webhook.Verifier
	}
	for _, s := range []string{secret, old} {
		redactcheck.NoSecret(t, "*Handler", h, s)
		redactcheck.NoSecret(t, "Verifier", v, s)
		redactcheck.NoSecret(t, "*Verifier", vp, s)
		redactcheck.NoSecret(t, "holder", holder{h, v, vp}, s)
	}
	if out := fmt.Sprintf("%d", v); out != "webhook.Verifier{Secrets:[REDACTED] (2) Tolerance:5m0s Now:time.Now}" {
		t.Errorf("%%d of a Verifier: %s", out)
	}
}
