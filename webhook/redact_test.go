package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/webhook"
)

// TestSecretsAreNotShown is issue 15 item 17: a Handler or a Verifier
// printed with fmt, encoded as JSON or logged with slog shows its settings
// and how many secrets it has, never a secret.
func TestSecretsAreNotShown(t *testing.T) {
	t.Parallel()
	const main, old = "whsec_MAIN_c0ffee", "whsec_OLD_decaf"
	h := mustHandler(t, main, webhook.WithSecrets(old), webhook.WithTolerance(time.Minute))
	h.OnInvoiceUpdated(nil)
	h.On(webhook.EventUsageUpdated, func(ctx context.Context, e *webhook.Event) error { return nil })
	v := webhook.Verifier{Secrets: secretsOf(main, old), Tolerance: time.Minute}
	vp, err := webhook.NewVerifier(main, webhook.WithSecrets(old), webhook.WithTolerance(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		H *webhook.Handler
		V webhook.Verifier
	}

	renderings := map[string]string{}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
		renderings["fmt "+verb+" handler"] = fmt.Sprintf(verb, h)
		renderings["fmt "+verb+" verifier"] = fmt.Sprintf(verb, v)
		renderings["fmt "+verb+" *verifier"] = fmt.Sprintf(verb, vp)
		renderings["fmt "+verb+" struct holding both"] = fmt.Sprintf(verb, holder{h, v})
	}
	for name, x := range map[string]any{"handler": h, "verifier": v, "*verifier": vp, "struct holding both": holder{h, v}} {
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatalf("json %s: %v", name, err)
		}
		renderings["json "+name] = string(b)
	}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("configured", "handler", h, "verifier", v, "verifier_ptr", vp)
	renderings["slog JSON"] = buf.String()
	buf.Reset()
	slog.New(slog.NewTextHandler(&buf, nil)).Info("configured", "handler", h, "verifier", v)
	renderings["slog text"] = buf.String()

	for name, out := range renderings {
		if strings.Contains(out, "MAIN") || strings.Contains(out, "OLD") || strings.Contains(out, "c0ffee") || strings.Contains(out, "decaf") {
			t.Errorf("%s shows a secret: %s", name, out)
		}
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("%s does not say the secrets are redacted: %s", name, out)
		}
	}
	// What is shown is useful.
	for name, want := range map[string]string{
		"fmt %v handler":   "webhook.Handler{Secrets:[REDACTED] (2) Tolerance:1m0s Now:time.Now MaxBodyBytes:1048576 Deduper:*webhook.MemoryDeduper Types:[usage.updated]}",
		"fmt %#v verifier": "webhook.Verifier{Secrets:[REDACTED] (2) Tolerance:1m0s Now:time.Now}",
		"json handler":     `{"secrets":"[REDACTED]","secretCount":2,"tolerance":"1m0s","maxBodyBytes":1048576,"types":["usage.updated"]}`,
		"json verifier":    `{"secrets":"[REDACTED]","secretCount":2,"tolerance":"1m0s"}`,
		"json struct holding both": `{"H":{"secrets":"[REDACTED]","secretCount":2,"tolerance":"1m0s","maxBodyBytes":1048576,"types":["usage.updated"]},` +
			`"V":{"secrets":"[REDACTED]","secretCount":2,"tolerance":"1m0s"}}`,
	} {
		if got := renderings[name]; got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	var logged map[string]any
	if err := json.Unmarshal([]byte(renderings["slog JSON"]), &logged); err != nil {
		t.Fatal(err)
	}
	if hl, _ := logged["handler"].(map[string]any); hl["secret_count"] != float64(2) || hl["secrets"] != "[REDACTED]" || hl["tolerance"] != "1m0s" {
		t.Errorf("slog handler group: %v", logged["handler"])
	}
	var nilH *webhook.Handler
	if s := fmt.Sprint(nilH); s != "webhook.Handler(nil)" {
		t.Errorf("nil handler: %s", s)
	}
}
