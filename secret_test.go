package guapocado

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/redactcheck"
)

// TestSecretShowsInNoRendering (issue 23 item 11): a Secret, bare or
// nested in structs, slices, maps, pointers, interfaces and reflect
// Values, printed with every fmt verb (the bad verbs %p and %w included),
// encoded as JSON, XML or gob, logged with slog or put in an error, never
// shows its value.
func TestSecretShowsInNoRendering(t *testing.T) {
	t.Parallel()
	const value = "whsec_SECRETVALUE_c0ffee"
	s := NewSecret(value)
	if n := redactcheck.NoSecret(t, "Secret", s, value); n < 20*len(redactcheck.Verbs) {
		t.Errorf("only %d renderings checked", n)
	}
	redactcheck.NoSecret(t, "*Secret", &s, value)
	// The check itself finds a secret held as a string: what %p and %w of
	// a struct with a String, GoString and Format method still print.
	type plain struct{ s string }
	if r := redactcheck.Renderings(plain{value}); !redactcheck.Shows(r["%p of value"], value) || !redactcheck.Shows(r["%w of struct"], value) {
		t.Errorf("the check misses a string field: %q, %q", r["%p of value"], r["%w of struct"])
	}
	for _, verb := range []string{"%v", "%s", "%d", "%#v"} {
		if out := redactcheck.Renderings(s)[verb+" of value"]; out != SecretRedacted {
			t.Errorf("%s of a Secret: %q, want %q", verb, out, SecretRedacted)
		}
	}
}

// TestSecretValue: Reveal gives the value back, the empty Secret is
// empty everywhere, Equal compares values, JSON shows the redaction
// marker, and nothing decodes back as a wrong credential: a Secret does
// not decode, and an encoded WebhookEndpoint decodes with no secret.
func TestSecretValue(t *testing.T) {
	t.Parallel()
	s := NewSecret("k1")
	if s.Reveal() != "k1" || s.IsZero() || s.String() != SecretRedacted {
		t.Errorf("NewSecret(k1): %q, zero %v, %q", s.Reveal(), s.IsZero(), s.String())
	}
	var zero Secret
	if !zero.IsZero() || !NewSecret("").IsZero() || zero.Reveal() != "" || zero.String() != "" {
		t.Errorf("the empty Secret: zero %v, %q, %q", zero.IsZero(), zero.Reveal(), zero.String())
	}
	if !s.Equal(NewSecret("k1")) || s.Equal(NewSecret("k2")) || s.Equal(zero) || !zero.Equal(NewSecret("")) {
		t.Error("Equal does not compare values")
	}
	cfg := struct {
		Key   Secret `json:"key"`
		Empty Secret `json:"empty"`
	}{Key: s}
	b, err := json.Marshal(cfg)
	if err != nil || string(b) != `{"key":"`+SecretRedacted+`","empty":""}` {
		t.Fatalf("encoded %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"key":"k2"}`), &cfg); err == nil || !cfg.Key.Equal(s) {
		t.Errorf("decoding into a Secret: %v, value %q; want an error and the value kept", err, cfg.Key.Reveal())
	}
	ep := WebhookEndpoint{ID: "we_1", SigningSecret: s}
	if b, err = json.Marshal(ep); err != nil || strings.Contains(string(b), "k1") {
		t.Fatalf("encoded endpoint %s, %v", b, err)
	}
	var back WebhookEndpoint
	if err := json.Unmarshal(b, &back); err != nil || back.ID != "we_1" || !back.SigningSecret.IsZero() {
		t.Errorf("an encoded endpoint decodes with secret %q, %v; want none", back.SigningSecret.Reveal(), err)
	}
}
