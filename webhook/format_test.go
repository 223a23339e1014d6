package webhook_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/webhook"
)

// fmtVerbs is every verb that package fmt hands to a Format method, bare
// and with flags, width and precision, and unknown verbs. fmt handles %T
// (a type name) and %p itself, and prints %p of a non-pointer and %w
// outside fmt.Errorf as a bad verb, bypassing every method; go vet's
// printf check, which go test runs, refuses both. A *Handler is safe even
// there (badVerbs).
var fmtVerbs = []string{
	"%v", "%+v", "%#v", "%s", "%q", "%#q", "%+q", "%d", "%+d", "%t", "%x", "%X", "% x", "%#x", "%o", "%O", "%b",
	"%c", "%U", "%#U", "%e", "%E", "%f", "%F", "%g", "%G", "%10s", "%-40v", "%.3s", "%08d", "%!", "%z",
}

// badVerbs are the verbs fmt prints raw, without calling any method.
var badVerbs = []string{"%p", "%w"}

// TestNoVerbShowsASecret (issue 23 item 11): a Handler, a Verifier, a
// pointer to one and a struct holding them, formatted with every verb,
// never show a secret.
func TestNoVerbShowsASecret(t *testing.T) {
	t.Parallel()
	const secret = "whsec_FMTSECRET_c0ffee"
	h := mustHandler(t, secret)
	v := webhook.Verifier{Secrets: []string{secret}}
	vp, err := webhook.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	type holder struct {
		H *webhook.Handler
		V webhook.Verifier
		P *webhook.Verifier
	}
	for _, verb := range fmtVerbs {
		for name, x := range map[string]any{"*Handler": h, "Verifier": v, "*Verifier": vp, "holder": holder{h, v, vp}, "*holder": &holder{h, v, vp}} {
			if out := fmt.Sprintf(verb, x); strings.Contains(out, "FMTSECRET") || strings.Contains(out, "c0ffee") {
				t.Errorf("%s of %s shows the secret: %s", verb, name, out)
			}
		}
	}
	type handlerHolder struct{ H *webhook.Handler }
	for _, verb := range badVerbs {
		for name, x := range map[string]any{"*Handler": h, "holder": handlerHolder{h}, "*holder": &handlerHolder{h}} {
			if out := fmt.Sprintf(verb, x); strings.Contains(out, "FMTSECRET") || strings.Contains(out, "c0ffee") {
				t.Errorf("%s of %s shows the secret: %s", verb, name, out)
			}
		}
	}
}
