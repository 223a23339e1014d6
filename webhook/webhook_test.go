package webhook_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/webhook"
)

// t0 is the timestamp of transcript 3.29.
var t0 = time.Unix(1795732077, 0)

func clockAt(t time.Time) func() time.Time { return func() time.Time { return t } }

// secretsOf makes a Verifier's Secrets.
func secretsOf(ss ...string) []guapocado.Secret {
	out := make([]guapocado.Secret, len(ss))
	for i, s := range ss {
		out[i] = guapocado.NewSecret(s)
	}
	return out
}

// openSSL finds the openssl binary. The vectors it produces are the
// independent check of our HMAC, so a missing openssl fails the test.
func openSSL(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("openssl"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/openssl"); err == nil {
		return "/usr/bin/openssl"
	}
	t.Fatal("openssl is required by this test (it computes the expected signatures independently of Go) " +
		"and was found neither in PATH nor at /usr/bin/openssl: install openssl")
	return ""
}

// opensslHMAC returns hex(HMAC-SHA256(secret, data)) computed by openssl.
func opensslHMAC(t testing.TB, bin, secret string, data []byte) string {
	t.Helper()
	cmd := exec.Command(bin, "dgst", "-sha256", "-hmac", secret, "-r")
	cmd.Stdin = bytes.NewReader(data)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl dgst failed: %v", err) // the error does not carry the argv
	}
	f := strings.Fields(string(out))
	if len(f) == 0 || len(f[0]) != 64 {
		t.Fatalf("unexpected openssl output of %d bytes", len(out))
	}
	return f[0]
}

func TestSignaturesMatchOpenSSL(t *testing.T) {
	t.Parallel()
	bin := openSSL(t)
	rng := rand.New(rand.NewPCG(1, 2))
	type tc struct {
		secret  string
		ts      int64
		payload []byte
	}
	cases := []tc{
		{"whsec_a", 1795732077, []byte(`{"type":"subscription.updated","data":{"customerId":"ERpKczkC4SWrd9Dek30UN9O1U8beGEn5","planKey":"pro"}}`)},
		{"k", 0, nil},
		{strings.Repeat("s", 63), 1, []byte("x")},
		{strings.Repeat("s", 64), 2, []byte("x")},
		{strings.Repeat("s", 65), 3, []byte("x")},
		{strings.Repeat("long-secret/", 20), 1795732077, []byte("{\"a\":\"\u00e9\U0001F951\"}\n")},
	}
	for i := 0; i < 6; i++ { // random printable secrets, arbitrary payload bytes (NUL included)
		sec := make([]byte, 1+rng.IntN(90))
		for j := range sec {
			sec[j] = byte(' ' + 1 + rng.IntN(94))
		}
		p := make([]byte, rng.IntN(2048))
		for j := range p {
			p[j] = byte(rng.UintN(256))
		}
		cases = append(cases, tc{string(sec), rng.Int64N(4_000_000_000), p})
	}
	for i, c := range cases {
		signed := append([]byte(strconv.FormatInt(c.ts, 10)+"."), c.payload...)
		want := opensslHMAC(t, bin, c.secret, signed)
		now := time.Unix(c.ts, 0)
		if got := webhook.Sign(c.secret, now, c.payload); got != fmt.Sprintf("t=%d,v1=%s", c.ts, want) {
			t.Errorf("case %d: Sign differs from openssl", i)
		}
		header := fmt.Sprintf("t=%d,v1=%s", c.ts, want)
		if err := webhook.Verify(c.payload, header, c.secret, webhook.WithClock(clockAt(now))); err != nil {
			t.Errorf("case %d: openssl signature rejected: %v", i, err)
		}
		// One changed hex digit, anywhere, must fail.
		for _, pos := range []int{0, 10, 31, 32, 62, 63} {
			bad := []byte(want)
			if bad[pos] == '0' {
				bad[pos] = '1'
			} else {
				bad[pos] = '0'
			}
			err := webhook.Verify(c.payload, fmt.Sprintf("t=%d,v1=%s", c.ts, bad), c.secret, webhook.WithClock(clockAt(now)))
			if !errors.Is(err, webhook.ErrSignatureMismatch) {
				t.Errorf("case %d: signature altered at %d: got %v", i, pos, err)
			}
		}
	}
}

type webhookVector struct {
	Name          string   `json:"name"`
	Secrets       []string `json:"secrets"`
	Timestamp     int64    `json:"timestamp"`
	PayloadBase64 string   `json:"payloadBase64"`
	Signatures    []string `json:"signatures"`
	Header        string   `json:"header"`
}

func loadVectors(t *testing.T) []webhookVector {
	t.Helper()
	b, err := os.ReadFile("../testdata/webhooks/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []webhookVector
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) < 10 {
		t.Fatalf("only %d vectors", len(vs))
	}
	return vs
}

func TestCommittedVectors(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			payload, err := base64.StdEncoding.DecodeString(v.PayloadBase64)
			if err != nil {
				t.Fatal(err)
			}
			now := time.Unix(v.Timestamp, 0)
			if got := webhook.SignSecrets(v.Secrets, now, payload); got != v.Header {
				t.Errorf("SignSecrets differs from the openssl vector")
			}
			// Any one of the secrets verifies the header (rotation on the sender's side).
			for i, s := range v.Secrets {
				if err := webhook.Verify(payload, v.Header, s, webhook.WithClock(clockAt(now))); err != nil {
					t.Errorf("secret %d: %v", i, err)
				}
				single := fmt.Sprintf("t=%d,v1=%s", v.Timestamp, v.Signatures[i])
				if err := webhook.Verify(payload, single, s, webhook.WithClock(clockAt(now))); err != nil {
					t.Errorf("secret %d alone: %v", i, err)
				}
			}
			err = webhook.Verify(payload, v.Header, "whsec_not_this_one", webhook.WithClock(clockAt(now)))
			if !errors.Is(err, webhook.ErrSignatureMismatch) {
				t.Errorf("wrong secret: got %v", err)
			}
			tampered := append(bytes.Clone(payload), ' ')
			err = webhook.Verify(tampered, v.Header, v.Secrets[0], webhook.WithClock(clockAt(now)))
			if !errors.Is(err, webhook.ErrSignatureMismatch) {
				t.Errorf("tampered payload: got %v", err)
			}
		})
	}
}

func TestRotation(t *testing.T) {
	t.Parallel()
	payload := []byte(`{"id":"evt_rot","type":"customer.updated","data":{}}`)
	const newS, oldS = "whsec_new_rotation", "whsec_old_rotation"
	both := webhook.SignSecrets([]string{oldS, newS}, t0, payload)
	onlyOld := webhook.Sign(oldS, t0, payload)
	clock := webhook.WithClock(clockAt(t0))

	// The second v1 entry matches.
	if err := webhook.Verify(payload, both, newS, clock); err != nil {
		t.Errorf("second v1: %v", err)
	}
	// Our side lists several secrets.
	if err := webhook.Verify(payload, onlyOld, newS, clock, webhook.WithSecrets(oldS)); err != nil {
		t.Errorf("WebhookWithSecrets: %v", err)
	}
	v := webhook.Verifier{Secrets: secretsOf("", newS, oldS), Now: clockAt(t0)}
	if err := v.Verify(payload, onlyOld); err != nil {
		t.Errorf("verifier with empty entry: %v", err)
	}
	if err := (webhook.Verifier{Secrets: secretsOf(newS), Now: clockAt(t0)}).Verify(payload, onlyOld); !errors.Is(err, webhook.ErrSignatureMismatch) {
		t.Errorf("old signature with only the new secret: got %v", err)
	}
	// Many secrets (beyond the per-set cache) still verify and still refuse.
	many := []string{"s1", "s2", "s3", "s4", "s5", "s6", oldS}
	vm := webhook.Verifier{Secrets: secretsOf(many...), Now: clockAt(t0)}
	for i := 0; i < 3; i++ {
		if err := vm.Verify(payload, onlyOld); err != nil {
			t.Fatalf("7 secrets, round %d: %v", i, err)
		}
		if err := vm.Verify(payload, webhook.Sign("s9", t0, payload)); !errors.Is(err, webhook.ErrSignatureMismatch) {
			t.Fatalf("7 secrets, unknown signer: %v", err)
		}
	}
}

func TestTolerance(t *testing.T) {
	t.Parallel()
	payload := []byte(`{"type":"x"}`)
	const secret = "whsec_tolerance"
	header := webhook.Sign(secret, t0, payload)
	cases := []struct {
		name string
		now  time.Time
		tol  time.Duration
		ok   bool
	}{
		{"same second", t0, 0, true},
		{"300s later", t0.Add(300 * time.Second), 0, true},
		{"301s later", t0.Add(301 * time.Second), 0, false},
		{"300s earlier", t0.Add(-300 * time.Second), 0, true},
		{"301s earlier", t0.Add(-301 * time.Second), 0, false},
		{"300.5s later", t0.Add(300*time.Second + 500*time.Millisecond), 0, false},
		{"custom 10s, 10s later", t0.Add(10 * time.Second), 10 * time.Second, true},
		{"custom 10s, 11s later", t0.Add(11 * time.Second), 10 * time.Second, false},
		{"custom 10s, 11s earlier", t0.Add(-11 * time.Second), 10 * time.Second, false},
		{"zero means default", t0.Add(300 * time.Second), 0, true},
		{"zero means default, 301s", t0.Add(301 * time.Second), 0, false},
		{"negative disables", t0.Add(1000 * time.Hour), -1, true},
	}
	for _, c := range cases {
		err := webhook.Verify(payload, header, secret, webhook.WithClock(clockAt(c.now)), webhook.WithTolerance(c.tol))
		if c.ok && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.ok && !errors.Is(err, webhook.ErrTimestamp) {
			t.Errorf("%s: got %v, want ErrTimestamp", c.name, err)
		}
		// The struct form agrees (its Tolerance set from the option's value).
		v := webhook.Verifier{Secrets: secretsOf(secret), Now: clockAt(c.now), Tolerance: c.tol}
		if err2 := v.Verify(payload, header); (err2 == nil) != (err == nil) {
			t.Errorf("%s: Verifier says %v, Verify %v", c.name, err2, err)
		}
	}
	// A signature that is both stale and wrong reports the mismatch.
	err := webhook.Verify(payload, header, "whsec_other", webhook.WithClock(clockAt(t0.Add(time.Hour))))
	if !errors.Is(err, webhook.ErrSignatureMismatch) {
		t.Errorf("stale and wrong: got %v", err)
	}
	// Without a clock option the real clock is used.
	if err := webhook.Verify(payload, webhook.Sign(secret, time.Now(), payload), secret); err != nil {
		t.Errorf("fresh signature with the real clock: %v", err)
	}
	if err := webhook.Verify(payload, webhook.Sign(secret, time.Now().Add(-time.Hour), payload), secret); !errors.Is(err, webhook.ErrTimestamp) {
		t.Errorf("hour-old signature with the real clock: got %v", err)
	}
}

func TestMalformedHeaders(t *testing.T) {
	t.Parallel()
	payload := []byte(`{"type":"x"}`)
	const secret = "whsec_malformed"
	good := webhook.Sign(secret, t0, payload)
	sig := good[strings.Index(good, "v1=")+3:]
	ts := "1795732077"
	var (
		none      = webhook.ErrNoSignature
		malformed = webhook.ErrMalformedHeader
		mismatch  = webhook.ErrSignatureMismatch
	)
	cases := []struct {
		name, header string
		want         error // nil: verifies
	}{
		{"empty", "", none},
		{"spaces", "   ", none},
		{"t only", "t=" + ts, none},
		{"t and unknown scheme only", "t=" + ts + ",v0=" + sig, none},
		{"no t", "v1=" + sig, malformed},
		{"non-numeric t", "t=abc,v1=" + sig, malformed},
		{"empty t", "t=,v1=" + sig, malformed},
		{"negative t", "t=-1795732077,v1=" + sig, malformed},
		{"plus-signed t", "t=+1795732077,v1=" + sig, malformed},
		{"fractional t", "t=1795732077.5,v1=" + sig, malformed},
		{"t overflowing int64", "t=99999999999999999999,v1=" + sig, malformed},
		{"t too long with leading zeros", "t=00000000001795732077,v1=" + sig, malformed},
		{"duplicated t", "t=" + ts + ",t=" + ts + ",v1=" + sig, malformed},
		{"odd hex", "t=" + ts + ",v1=" + sig[:63], malformed},
		{"non-hex", "t=" + ts + ",v1=zz" + sig[2:], malformed},
		{"empty v1", "t=" + ts + ",v1=", malformed},
		{"one bad v1 among good", "t=" + ts + ",v1=" + sig + ",v1=xyz0", malformed},
		{"garbage", "hello world", malformed},
		{"semicolons", "t=" + ts + ";v1=" + sig, malformed},
		{"no key", "=" + ts + ",v1=" + sig, malformed},
		{"item without =", "t=" + ts + ",v1", malformed},
		{"upper-case keys", "T=" + ts + ",V1=" + sig, malformed},
		{"short valid hex (transcript 3.30)", "t=" + ts + ",v1=00ff", mismatch},
		{"65 bytes of hex", "t=" + ts + ",v1=" + sig + "00", mismatch},
		{"valid", good, nil},
		{"valid, upper-case hex", "t=" + ts + ",v1=" + strings.ToUpper(sig), nil},
		{"valid, spaces", " t=" + ts + " , v1=" + sig + " ", nil},
		{"valid, trailing comma", good + ",", nil},
		{"valid, v1 first", "v1=" + sig + ",t=" + ts, nil},
		{"valid, unknown schemes around", "v0=abc,t=" + ts + ",v2=whatever,v1=" + sig, nil},
		{"valid second of three", "t=" + ts + ",v1=00ff,v1=" + sig + ",v1=" + strings.Repeat("ab", 32), nil},
		{"valid among 8 v1", "t=" + ts + strings.Repeat(",v1="+strings.Repeat("ab", 32), 7) + ",v1=" + sig, nil},
		{"9 v1 entries", "t=" + ts + strings.Repeat(",v1="+strings.Repeat("ab", 32), 8) + ",v1=" + sig, malformed},
		{"bad hex in the last digit", "t=" + ts + ",v1=" + sig[:63] + "g", malformed},
		{"bad hex in a high digit", "t=" + ts + ",v1=" + sig[:62] + "g" + sig[63:], malformed},
	}
	for _, c := range cases {
		err := webhook.Verify(payload, c.header, secret, webhook.WithClock(clockAt(t0)))
		switch {
		case c.want == nil && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != nil && !errors.Is(err, c.want):
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), secret) || strings.Contains(strings.ToLower(err.Error()), sig)) {
			t.Errorf("%s: the error leaks the secret or the signature", c.name)
		}
	}
}

func TestEmptySecret(t *testing.T) {
	t.Parallel()
	payload := []byte(`{"id":"evt_1","type":"customer.updated","data":{}}`)
	// A header that IS a valid HMAC under the empty key must still be refused.
	header := webhook.Sign("", t0, payload)
	clock := webhook.WithClock(clockAt(t0))
	if err := webhook.Verify(payload, header, "", clock); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("Verify: got %v", err)
	}
	if err := webhook.Verify(payload, header, ""); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("Verify without options: got %v", err)
	}
	if err := webhook.Verify(payload, "", ""); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("no secret is reported before no signature: got %v", err)
	}
	if err := webhook.Verify(payload, header, "", clock, webhook.WithSecrets("", "")); !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("only empty secrets: got %v", err)
	}
	for _, v := range []webhook.Verifier{{}, {Secrets: secretsOf("")}, {Secrets: secretsOf("", ""), Now: clockAt(t0)}} {
		if err := v.Verify(payload, header); !errors.Is(err, webhook.ErrNoSecret) {
			t.Errorf("verifier %d secrets: got %v", len(v.Secrets), err)
		}
	}
	// An empty entry beside a real secret is skipped, never used as a key.
	if err := webhook.Verify(payload, header, "", clock, webhook.WithSecrets("whsec_real")); !errors.Is(err, webhook.ErrSignatureMismatch) {
		t.Errorf("empty main secret beside a real one: got %v", err)
	}
	if err := (webhook.Verifier{Secrets: secretsOf("whsec_real", ""), Now: clockAt(t0)}).Verify(payload, header); !errors.Is(err, webhook.ErrSignatureMismatch) {
		t.Errorf("empty entry beside a real one: got %v", err)
	}
	ev, err := webhook.ConstructEvent(payload, header, "", clock)
	if ev != nil || !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("ConstructEvent: %v, %v", ev, err)
	}
}

func TestConstructEvent(t *testing.T) {
	t.Parallel()
	const secret = "whsec_construct"
	payload := guapocadotest.WebhookPayload("evt_c1", webhook.EventPurchaseUpdated, t0, map[string]any{
		"purchase": map[string]any{"id": "pur_1", "customerId": "org_1", "productKey": "credits-100", "status": "refunded",
			"amount": 1000, "amountRefunded": 1000, "currency": "usd", "quantity": 1},
	})
	header := webhook.Sign(secret, t0, payload)
	ev, err := webhook.ConstructEvent(payload, header, secret, webhook.WithClock(clockAt(t0)))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "evt_c1" || ev.Type != webhook.EventPurchaseUpdated || !ev.CreatedAt.Equal(t0) || ev.Source.Provider != "guapocado" {
		t.Errorf("event = %+v", ev)
	}
	pu, err := ev.PurchaseUpdated()
	if err != nil {
		t.Fatal(err)
	}
	if pu.Purchase.Status != "refunded" || pu.Purchase.AmountRefunded == nil || *pu.Purchase.AmountRefunded != 1000 {
		t.Errorf("purchase = %+v", pu.Purchase)
	}
	// The struct form.
	v := webhook.Verifier{Secrets: secretsOf(secret), Now: clockAt(t0)}
	if ev2, err := v.ConstructEvent(payload, header); err != nil || ev2.ID != "evt_c1" {
		t.Errorf("Verifier.ConstructEvent: %v, %v", ev2, err)
	}
	if ev2, err := v.ConstructEvent(payload, strings.Replace(header, "v1=", "v1=00", 1)); ev2 != nil || err == nil {
		t.Errorf("bad header: %v, %v", ev2, err)
	}
	// Bad signature: no event.
	ev, err = webhook.ConstructEvent(payload, header, "whsec_wrong", webhook.WithClock(clockAt(t0)))
	if ev != nil || !errors.Is(err, webhook.ErrSignatureMismatch) {
		t.Errorf("wrong secret: %v, %v", ev, err)
	}
	// Verified but not an event.
	notEvent := []byte(`{"hello":"world"}`)
	ev, err = webhook.ConstructEvent(notEvent, webhook.Sign(secret, t0, notEvent), secret, webhook.WithClock(clockAt(t0)))
	if ev != nil || !errors.Is(err, webhook.ErrMalformedPayload) {
		t.Errorf("not an event: %v, %v", ev, err)
	}
}

// eventFixtures are data payloads of the seven known types, shaped as the
// platform sends them.
var eventFixtures = map[webhook.EventType]string{
	webhook.EventCustomerUpdated: `{"customer":{"id":"org_acme","stripeCustomerId":"cus_123","name":"Acme","email":"billing@acme.test",` +
		`"metadata":{"tier":"gold","seats":3},"createdAt":"2026-01-02T03:04:05.000Z","updatedAt":"2026-11-27T09:57:00.000Z"}}`,
	webhook.EventSubscriptionUpdated: `{"subscription":{"id":"sub_01","customerId":"org_acme","stripeSubscriptionId":"sub_123","planKey":"pro",` +
		`"status":"past_due","currentPeriodStart":"2026-11-01T00:00:00.000Z","currentPeriodEnd":"2026-12-01T00:00:00.000Z","cancelAtPeriodEnd":true}}`,
	webhook.EventPurchaseCompleted: `{"purchase":{"id":"pur_1","customerId":"org_acme","productKey":"credits-1000","status":"completed","amount":4900,` +
		`"currency":"usd","quantity":2,"stripeCheckoutSessionId":"cs_1","stripePaymentIntentId":"pi_1","completedAt":"2026-11-27T09:57:00.000Z"},` +
		`"grants":[{"entitlementKey":"ai-credits","grantType":"meter_credit","amount":2000},{"entitlementKey":"csv-export","grantType":"feature","amount":1}]}`,
	webhook.EventPurchaseUpdated: `{"purchase":{"id":"pur_1","customerId":"org_acme","productKey":"credits-1000","status":"partially_refunded",` +
		`"amount":4900,"amountRefunded":2450,"currency":"usd","quantity":2}}`,
	webhook.EventEntitlementsUpdated: `{"customerId":"org_acme","reason":"purchase.completed","purchaseId":"pur_1","productKey":"seats-5",` +
		`"grants":[{"entitlementKey":"seats","grantType":"limit_increment","amount":5}]}`,
	webhook.EventInvoiceUpdated: `{"invoice":{"id":"inv_1","customerId":"org_acme","stripeInvoiceId":"in_1","subscriptionId":"sub_01","status":"paid",` +
		`"amountDue":2900,"amountPaid":2900,"currency":"eur","periodStart":"2026-11-01T00:00:00.000Z","periodEnd":"2026-12-01T00:00:00.000Z",` +
		`"hostedInvoiceUrl":"https://invoice.stripe.test/i/1","pdfUrl":"https://invoice.stripe.test/i/1.pdf"}}`,
	webhook.EventUsageUpdated: `{"customerId":"org_acme","key":"api-calls","balance":98,"included":100,"consumed":2,"overage":0,` +
		`"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z","window":"month"}`,
}

func fixtureEvent(t *testing.T, typ webhook.EventType) *webhook.Event {
	t.Helper()
	ev, err := webhook.ParseEvent(guapocadotest.WebhookPayload("evt_"+string(typ), typ, t0, json.RawMessage(eventFixtures[typ])))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestEventTypedAccessors(t *testing.T) {
	t.Parallel()
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

	cu, err := fixtureEvent(t, webhook.EventCustomerUpdated).CustomerUpdated()
	if err != nil {
		t.Fatal(err)
	}
	if c := cu.Customer; c.ID != "org_acme" || c.StripeCustomerID != "cus_123" || c.Name != "Acme" || c.Email != "billing@acme.test" ||
		c.Metadata["tier"] != "gold" || c.Metadata["seats"] != float64(3) || c.UpdatedAt == nil || c.CreatedAt.Year() != 2026 {
		t.Errorf("customer.updated = %+v", c)
	}

	su, err := fixtureEvent(t, webhook.EventSubscriptionUpdated).SubscriptionUpdated()
	if err != nil {
		t.Fatal(err)
	}
	if s := su.Subscription; s.ID != "sub_01" || s.CustomerID != "org_acme" || s.PlanKey != "pro" || s.Status != "past_due" ||
		s.StripeSubscriptionID != "sub_123" || !s.CancelAtPeriodEnd || s.CurrentPeriodEnd == nil || !s.CurrentPeriodEnd.Equal(dec) {
		t.Errorf("subscription.updated = %+v", s)
	}

	pc, err := fixtureEvent(t, webhook.EventPurchaseCompleted).PurchaseCompleted()
	if err != nil {
		t.Fatal(err)
	}
	if p := pc.Purchase; p.ID != "pur_1" || p.Amount != 4900 || p.Quantity != 2 || p.Currency != "usd" || p.AmountRefunded != nil ||
		p.StripeCheckoutSessionID != "cs_1" || p.StripePaymentIntentID != "pi_1" || p.CompletedAt == nil {
		t.Errorf("purchase.completed purchase = %+v", p)
	}
	if len(pc.Grants) != 2 || pc.Grants[0] != (webhook.Grant{EntitlementKey: "ai-credits", GrantType: "meter_credit", Amount: 2000}) {
		t.Errorf("grants = %+v", pc.Grants)
	}

	pu, err := fixtureEvent(t, webhook.EventPurchaseUpdated).PurchaseUpdated()
	if err != nil {
		t.Fatal(err)
	}
	if pu.Purchase.Status != "partially_refunded" || *pu.Purchase.AmountRefunded != 2450 {
		t.Errorf("purchase.updated = %+v", pu.Purchase)
	}

	eu, err := fixtureEvent(t, webhook.EventEntitlementsUpdated).EntitlementsUpdated()
	if err != nil {
		t.Fatal(err)
	}
	if eu.CustomerID != "org_acme" || eu.Reason != "purchase.completed" || eu.PurchaseID != "pur_1" || eu.SubscriptionID != "" ||
		eu.ProductKey != "seats-5" || len(eu.Grants) != 1 || eu.Grants[0].GrantType != "limit_increment" {
		t.Errorf("entitlements.updated = %+v", eu)
	}

	iu, err := fixtureEvent(t, webhook.EventInvoiceUpdated).InvoiceUpdated()
	if err != nil {
		t.Fatal(err)
	}
	if i := iu.Invoice; i.ID != "inv_1" || i.Status != "paid" || i.AmountDue != 2900 || i.AmountPaid != 2900 || i.Currency != "eur" ||
		i.SubscriptionID != "sub_01" || i.PDFURL == "" || i.HostedInvoiceURL == "" || !i.PeriodEnd.Equal(dec) {
		t.Errorf("invoice.updated = %+v", i)
	}

	uu, err := fixtureEvent(t, webhook.EventUsageUpdated).UsageUpdated()
	if err != nil {
		t.Fatal(err)
	}
	if uu.CustomerID != "org_acme" || uu.Key != "api-calls" || uu.Balance != 98 || uu.Included != 100 || uu.Consumed != 2 ||
		uu.Resets == nil || !uu.Resets.Equal(dec) || !bytes.Contains(uu.Raw, []byte(`"window":"month"`)) {
		t.Errorf("usage.updated = %+v", uu)
	}

	// The wrong accessor: a typed error usable with errors.Is and errors.As.
	_, err = fixtureEvent(t, webhook.EventInvoiceUpdated).CustomerUpdated()
	var te *webhook.EventTypeError
	if !errors.Is(err, webhook.ErrEventType) || !errors.As(err, &te) || te.Want != "customer.updated" || te.Got != "invoice.updated" {
		t.Errorf("wrong accessor: %v", err)
	}
	if errors.Is(err, webhook.ErrMalformedPayload) {
		t.Error("a type mismatch is not a malformed payload")
	}
}

func TestEventDataShapeErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		typ  webhook.EventType
		data string
	}{
		{webhook.EventCustomerUpdated, `{"customer":"org_acme"}`},
		{webhook.EventSubscriptionUpdated, `{"subscription":{"currentPeriodEnd":"next month"}}`},
		{webhook.EventPurchaseCompleted, `{"purchase":{"amount":"49.00"}}`},
		{webhook.EventInvoiceUpdated, `[]`},
		{webhook.EventUsageUpdated, `{"balance":"lots"}`},
	}
	for _, c := range cases {
		ev, err := webhook.ParseEvent(guapocadotest.WebhookPayload("evt_x", c.typ, t0, json.RawMessage(c.data)))
		if err != nil {
			t.Fatalf("%s: the envelope is fine: %v", c.typ, err)
		}
		var derr error
		switch c.typ {
		case webhook.EventCustomerUpdated:
			_, derr = ev.CustomerUpdated()
		case webhook.EventSubscriptionUpdated:
			_, derr = ev.SubscriptionUpdated()
		case webhook.EventPurchaseCompleted:
			_, derr = ev.PurchaseCompleted()
		case webhook.EventInvoiceUpdated:
			_, derr = ev.InvoiceUpdated()
		case webhook.EventUsageUpdated:
			_, derr = ev.UsageUpdated()
		}
		if !errors.Is(derr, webhook.ErrMalformedPayload) {
			t.Errorf("%s %s: got %v", c.typ, c.data, derr)
		}
	}
	// No data at all.
	ev, err := webhook.ParseEvent([]byte(`{"id":"evt_n","type":"invoice.updated"}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ev.InvoiceUpdated(); !errors.Is(err, webhook.ErrMalformedPayload) {
		t.Errorf("no data: got %v", err)
	}
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	// Transcript 3.29's body: no id, no createdAt, flat subscription data.
	ev, err := webhook.ParseEvent([]byte(`{"type":"subscription.updated","data":{"customerId":"ERpKczkC4SWrd9Dek30UN9O1U8beGEn5","planKey":"pro"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if ev.ID != "" || ev.Type != "subscription.updated" || !ev.CreatedAt.IsZero() || ev.Source != (webhook.EventSource{}) {
		t.Errorf("transcript event = %+v", ev)
	}
	su, err := ev.SubscriptionUpdated()
	if err != nil || su.Subscription.CustomerID != "ERpKczkC4SWrd9Dek30UN9O1U8beGEn5" || su.Subscription.PlanKey != "pro" {
		t.Errorf("flat subscription data: %+v, %v", su, err)
	}

	// An unknown type is kept whole, Data byte for byte.
	raw := []byte(`{"id":"evt_future","type":"refund.created","createdAt":"2026-11-27T09:57:00.123+01:00",` +
		`"source":{"provider":"stripe","eventId":"evt_1Q","objectId":"re_1","objectType":"refund"},` +
		`"data":{ "refund" : {"id":"re_1", "amount": 12.50, "nested": [1, {"a": null}]} },"apiVersion":"2027-01-01"}`)
	ev, err = webhook.ParseEvent(raw)
	if err != nil {
		t.Fatal(err)
	}
	wantData := `{ "refund" : {"id":"re_1", "amount": 12.50, "nested": [1, {"a": null}]} }`
	if ev.ID != "evt_future" || ev.Type != "refund.created" || string(ev.Data) != wantData {
		t.Errorf("unknown event: %+v / data %s", ev, ev.Data)
	}
	if want := time.Date(2026, 11, 27, 8, 57, 0, 123e6, time.UTC); !ev.CreatedAt.Equal(want) {
		t.Errorf("createdAt = %v", ev.CreatedAt)
	}
	if ev.Source != (webhook.EventSource{Provider: "stripe", EventID: "evt_1Q", ObjectID: "re_1", ObjectType: "refund"}) {
		t.Errorf("source = %+v", ev.Source)
	}
	if !bytes.Equal(ev.Raw, raw) {
		t.Error("Raw is not the payload")
	}
	raw[0] = ' ' // Raw and Data are copies
	if ev.Raw[0] != '{' {
		t.Error("Raw aliases the caller's buffer")
	}
	var d struct {
		Refund struct{ ID string } `json:"refund"`
	}
	if err := ev.DecodeData(&d); err != nil || d.Refund.ID != "re_1" {
		t.Errorf("DecodeData: %+v, %v", d, err)
	}
	if err := ev.DecodeData(new(int)); !errors.Is(err, webhook.ErrMalformedPayload) {
		t.Errorf("DecodeData into int: %v", err)
	}

	// null source, null createdAt, null data are fine.
	ev, err = webhook.ParseEvent([]byte(` {"id":"evt_n","type":"x.y","createdAt":null,"source":null,"data":null}`))
	if err != nil || ev.Type != "x.y" || !ev.CreatedAt.IsZero() || string(ev.Data) != "null" {
		t.Errorf("nulls: %+v, %v", ev, err)
	}

	bad := []struct{ name, payload string }{
		{"empty", ``},
		{"not JSON", `type=customer.updated`},
		{"truncated", `{"type":"customer.updated","data":{`},
		{"array", `[{"type":"customer.updated"}]`},
		{"string", `"customer.updated"`},
		{"null", `null`},
		{"no type", `{"id":"evt_1","data":{}}`},
		{"empty type", `{"id":"evt_1","type":"","data":{}}`},
		{"type not a string", `{"id":"evt_1","type":7}`},
		{"id not a string", `{"id":7,"type":"customer.updated"}`},
		{"createdAt not ISO", `{"type":"customer.updated","createdAt":"yesterday"}`},
		{"createdAt a number", `{"type":"customer.updated","createdAt":1795732077}`},
		{"source a string", `{"type":"customer.updated","source":"stripe"}`},
		{"trailing garbage", `{"type":"customer.updated"} x`},
	}
	for _, c := range bad {
		ev, err := webhook.ParseEvent([]byte(c.payload))
		if ev != nil || !errors.Is(err, webhook.ErrMalformedPayload) {
			t.Errorf("%s: %v, %v", c.name, ev, err)
		}
		if err != nil && strings.Contains(err.Error(), "whEnvelope") {
			t.Errorf("%s: error names an internal type: %v", c.name, err)
		}
	}
}

func TestEventMarshalRoundTrip(t *testing.T) {
	t.Parallel()
	for typ := range eventFixtures {
		ev := fixtureEvent(t, typ)
		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatal(err)
		}
		ev2, err := webhook.ParseEvent(b)
		if err != nil {
			t.Fatal(err)
		}
		if ev2.ID != ev.ID || ev2.Type != ev.Type || !ev2.CreatedAt.Equal(ev.CreatedAt) || ev2.Source != ev.Source || !bytes.Equal(ev2.Data, ev.Data) {
			t.Errorf("%s: round trip changed the event:\n%s", typ, b)
		}
	}
	b, err := json.Marshal(webhook.Event{Type: "x"})
	if err != nil || string(b) != `{"type":"x"}` {
		t.Errorf("minimal event: %s, %v", b, err)
	}
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{t: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func TestMemoryDeduper(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := newFakeClock(t0)
	d := &webhook.MemoryDeduper{Capacity: 3, TTL: time.Minute, Now: clock.Now}
	for _, id := range []string{"a", "b", "c", "b"} {
		if err := d.Mark(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if d.Len() != 3 {
		t.Errorf("len = %d", d.Len())
	}
	// Full of ids inside their TTL: a fourth is refused, nothing is forgotten.
	if seen, err := d.Seen(ctx, "d"); seen || !errors.Is(err, webhook.ErrDeduperFull) {
		t.Errorf("Seen(d) when full = %v, %v", seen, err)
	}
	if err := d.Mark(ctx, "d"); !errors.Is(err, webhook.ErrDeduperFull) {
		t.Errorf("Mark(d) when full = %v", err)
	}
	clock.Set(t0.Add(time.Minute - time.Second))
	for id, want := range map[string]bool{"a": true, "b": true, "c": true} {
		if got, err := d.Seen(ctx, id); err != nil || got != want {
			t.Errorf("Seen(%s) at TTL-1s = %v, %v", id, got, err)
		}
	}
	if d.Len() != 3 {
		t.Errorf("len at TTL-1s = %d", d.Len())
	}
	// At the TTL every id is forgotten, and places are free again.
	clock.Set(t0.Add(time.Minute))
	if d.Len() != 0 {
		t.Errorf("len at TTL = %d", d.Len())
	}
	if seen, err := d.Seen(ctx, "a"); seen || err != nil {
		t.Errorf("Seen(a) after expiry = %v, %v", seen, err)
	}
	// Seen took a place for "a" (in flight): it is not a duplicate yet, and
	// it counts against the capacity.
	if seen, err := d.Seen(ctx, "a"); seen || err != nil {
		t.Errorf("Seen(a) in flight = %v, %v", seen, err)
	}
	for _, id := range []string{"e", "f"} {
		if _, err := d.Seen(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Seen(ctx, "g"); !errors.Is(err, webhook.ErrDeduperFull) {
		t.Errorf("Seen(g) with three ids in flight = %v", err)
	}
	if err := d.Mark(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if seen, err := d.Seen(ctx, "a"); !seen || err != nil {
		t.Errorf("Seen(a) after Mark = %v, %v", seen, err)
	}
	// An id marked later expires later: Mark renews a place taken by Seen.
	clock.Set(t0.Add(2*time.Minute - time.Second))
	if err := d.Mark(ctx, "e"); err != nil {
		t.Fatal(err)
	}
	clock.Set(t0.Add(2 * time.Minute))
	if seen, _ := d.Seen(ctx, "e"); !seen {
		t.Error("e, marked at 2m-1s, is forgotten at 2m")
	}
	if seen, _ := d.Seen(ctx, "a"); seen {
		t.Error("a, marked at 1m, is remembered at 2m")
	}

	// The zero value works, on the real clock, with the default capacity.
	var z webhook.MemoryDeduper
	if err := z.Mark(ctx, "x"); err != nil {
		t.Fatal(err)
	}
	if seen, err := z.Seen(ctx, "x"); !seen || err != nil {
		t.Errorf("zero value: %v, %v", seen, err)
	}

	// Concurrent use stays bounded by the capacity (run with -race).
	big := &webhook.MemoryDeduper{Capacity: 10000, Now: clock.Now}
	var full atomic.Int32
	done := make(chan struct{})
	for g := 0; g < 4; g++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := 0; i < 3000; i++ {
				id := fmt.Sprintf("evt_%d_%d", g, i)
				if err := big.Mark(ctx, id); errors.Is(err, webhook.ErrDeduperFull) {
					full.Add(1)
					continue
				} else if err != nil {
					t.Errorf("Mark(%s): %v", id, err)
					return
				}
				if ok, _ := big.Seen(ctx, id); !ok {
					t.Errorf("%s not seen right after Mark", id)
					return
				}
			}
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	if big.Len() != 10000 || full.Load() != 2000 {
		t.Errorf("len = %d, refused %d; want the cap 10000 and 2000 refused", big.Len(), full.Load())
	}
}

// TestMemoryDeduperMemory checks the bytes per id that DefaultDedupeCapacity
// documents (about 110), with long ids: only a digest of each is kept.
func TestMemoryDeduperMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a deduper to its default capacity")
	}
	ctx := context.Background()
	clock := newFakeClock(t0)
	ids := make([]string, webhook.DefaultDedupeCapacity)
	for i := range ids {
		ids[i] = fmt.Sprintf("evt_%0200d", i) // 204-byte ids
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d := &webhook.MemoryDeduper{Now: clock.Now}
	for _, id := range ids {
		if _, err := d.Seen(ctx, id); err != nil {
			t.Fatal(err)
		}
		if err := d.Mark(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := d.Seen(ctx, "one more"); !errors.Is(err, webhook.ErrDeduperFull) {
		t.Fatalf("past the default capacity: %v", err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	perID := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(len(ids))
	t.Logf("%.0f bytes per id", perID)
	if perID > 128 {
		t.Errorf("%.0f bytes per id, documented about 110", perID)
	}
	runtime.KeepAlive(d)
	runtime.KeepAlive(ids)
}

// ---------------------------------------------------------------------------
// Handler

const hookSecret = "whsec_handler_test_3f9c"

// deliver sends payload to h signed at t0 (or with header when not empty).
func deliver(h http.Handler, payload []byte, header string) *httptest.ResponseRecorder {
	if header == "" {
		header = webhook.Sign(hookSecret, t0, payload)
	}
	req := httptest.NewRequest(http.MethodPost, "/api/webhooks/guapocado", bytes.NewReader(payload))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.SignatureHeader, header)
	req.Header.Set(webhook.EndpointIDHeader, "we_000004")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func newTestHandler(t testing.TB, opts ...webhook.HandlerOption) *webhook.Handler {
	t.Helper()
	return mustHandler(t, hookSecret, append([]webhook.HandlerOption{webhook.WithClock(clockAt(t0))}, opts...)...)
}

// mustHandler is webhook.NewHandler, failing the test on an error.
func mustHandler(t testing.TB, secret string, opts ...webhook.HandlerOption) *webhook.Handler {
	t.Helper()
	h, err := webhook.NewHandler(secret, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func wantResponse(t *testing.T, rec *httptest.ResponseRecorder, status int, body string) {
	t.Helper()
	if rec.Code != status || rec.Body.String() != body || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("got %d %q (%s), want %d %q", rec.Code, rec.Body.String(), rec.Header().Get("Content-Type"), status, body)
	}
}

const received = `{"received":true}`

func TestHandlerReplayProcessedOnce(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	var calls atomic.Int32
	h.OnCustomerUpdated(func(ctx context.Context, e *webhook.Event, d *webhook.CustomerUpdated) error {
		calls.Add(1)
		if e.ID != "evt_replay" || d.Customer.ID != "org_acme" {
			t.Errorf("event %+v data %+v", e, d)
		}
		return nil
	})
	payload := guapocadotest.WebhookPayload("evt_replay", webhook.EventCustomerUpdated, t0, json.RawMessage(eventFixtures[webhook.EventCustomerUpdated]))
	for i := 0; i < 3; i++ {
		wantResponse(t, deliver(h, payload, ""), http.StatusOK, received)
	}
	// A redelivery is signed again, later: still the same event.
	later := webhook.Sign(hookSecret, t0.Add(time.Minute), payload)
	wantResponse(t, deliver(h, payload, later), http.StatusOK, received)
	if n := calls.Load(); n != 1 {
		t.Errorf("callback ran %d times, want 1", n)
	}
}

func TestHandlerRetryAfterCallbackError(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	var calls atomic.Int32
	h.On(webhook.EventInvoiceUpdated, func(ctx context.Context, e *webhook.Event) error {
		if calls.Add(1) == 1 {
			return errors.New("database is down")
		}
		return nil
	})
	payload := guapocadotest.WebhookPayload("evt_retry", webhook.EventInvoiceUpdated, t0, json.RawMessage(eventFixtures[webhook.EventInvoiceUpdated]))
	rec := deliver(h, payload, "")
	wantResponse(t, rec, http.StatusInternalServerError, `{"message":"Webhook handler failed"}`)
	if strings.Contains(rec.Body.String(), "database") {
		t.Error("the callback's error leaks into the response")
	}
	wantResponse(t, deliver(h, payload, ""), http.StatusOK, received) // the retry is processed
	wantResponse(t, deliver(h, payload, ""), http.StatusOK, received) // then deduplicated
	if n := calls.Load(); n != 2 {
		t.Errorf("callback ran %d times, want 2", n)
	}
}

func TestHandlerUnknownTypeGoesToCatchAll(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	var typed, catchAll atomic.Int32
	var got atomic.Pointer[webhook.Event]
	h.OnUsageUpdated(func(context.Context, *webhook.Event, *webhook.UsageUpdated) error { typed.Add(1); return nil })
	h.OnAny(func(_ context.Context, e *webhook.Event) error {
		catchAll.Add(1)
		got.Store(e)
		return nil
	})
	data := `{"refund":{"id":"re_1","amount":1250}}`
	payload := guapocadotest.WebhookPayload("evt_unknown", "refund.created", t0, json.RawMessage(data))
	wantResponse(t, deliver(h, payload, ""), http.StatusOK, received)
	if e := got.Load(); e == nil || e.Type != "refund.created" || string(e.Data) != data || !bytes.Equal(e.Raw, payload) {
		t.Fatalf("catch-all got %+v", e)
	}
	// A type with its own callback does not reach the catch-all; a known type without one does.
	wantResponse(t, deliver(h, guapocadotest.WebhookPayload("evt_u", webhook.EventUsageUpdated, t0, json.RawMessage(eventFixtures[webhook.EventUsageUpdated])), ""), http.StatusOK, received)
	wantResponse(t, deliver(h, guapocadotest.WebhookPayload("evt_i", webhook.EventInvoiceUpdated, t0, json.RawMessage(eventFixtures[webhook.EventInvoiceUpdated])), ""), http.StatusOK, received)
	if typed.Load() != 1 || catchAll.Load() != 2 {
		t.Errorf("typed %d, catch-all %d; want 1, 2", typed.Load(), catchAll.Load())
	}
	// Without any callback an event is still acknowledged.
	wantResponse(t, deliver(newTestHandler(t), payload, ""), http.StatusOK, received)
}

func TestHandlerRejections(t *testing.T) {
	t.Parallel()
	payload := guapocadotest.WebhookPayload("evt_rej", webhook.EventCustomerUpdated, t0, json.RawMessage(eventFixtures[webhook.EventCustomerUpdated]))
	good := webhook.Sign(hookSecret, t0, payload)
	notJSON := []byte(`{"type":`)
	big := bytes.Repeat([]byte(" "), int(webhook.DefaultMaxBodyBytes)+1)
	cases := []struct {
		name    string
		h       *webhook.Handler
		method  string
		body    []byte
		header  string
		chunked bool
		status  int
		resp    string
	}{
		{"GET", nil, http.MethodGet, nil, good, false, 405, `{"message":"Method not allowed"}`},
		{"PUT", nil, http.MethodPut, payload, good, false, 405, `{"message":"Method not allowed"}`},
		{"oversized, Content-Length", nil, "", append(bytes.Clone(payload), big...), good, false, 413, `{"message":"Webhook payload too large"}`},
		{"oversized, chunked", nil, "", append(bytes.Clone(payload), big...), good, true, 413, `{"message":"Webhook payload too large"}`},
		{"small cap", newTestHandler(t, webhook.WithMaxBodyBytes(64)), "", payload, good, true, 413, `{"message":"Webhook payload too large"}`},
		{"no body (transcript 3.31)", nil, "", nil, "", false, 400, `{"message":"Missing webhook payload"}`},
		{"no signature header", nil, "", payload, "", false, 400, `{"message":"Missing webhook signature"}`},
		{"malformed header", nil, "", payload, "t=soon,v1=abc", false, 400, `{"message":"Malformed webhook signature"}`},
		{"bad signature (transcript 3.30)", nil, "", payload, "t=1795732077,v1=00ff", false, 401, `{"message":"Invalid webhook signature"}`},
		{"wrong secret", nil, "", payload, webhook.Sign("whsec_someone_else", t0, payload), false, 401, `{"message":"Invalid webhook signature"}`},
		{"stale", nil, "", payload, webhook.Sign(hookSecret, t0.Add(-301*time.Second), payload), false, 401, `{"message":"Webhook timestamp outside tolerance"}`},
		{"signed but not JSON", nil, "", notJSON, webhook.Sign(hookSecret, t0, notJSON), false, 400, `{"message":"Invalid webhook payload"}`},
		{"no secret configured (a zero Handler)", &webhook.Handler{}, "", payload, webhook.Sign("", t0, payload), false, 500, `{"message":"Webhook receiver misconfigured"}`},
	}
	for _, c := range cases {
		h := c.h
		if h == nil {
			h = newTestHandler(t)
		}
		var calls atomic.Int32
		h.OnAny(func(context.Context, *webhook.Event) error { calls.Add(1); return nil })
		h.OnCustomerUpdated(func(context.Context, *webhook.Event, *webhook.CustomerUpdated) error { calls.Add(1); return nil })
		method := c.method
		if method == "" {
			method = http.MethodPost
		}
		var body io.Reader = bytes.NewReader(c.body)
		if c.chunked {
			body = io.MultiReader(body) // hides the length: ContentLength -1
		}
		req := httptest.NewRequest(method, "/hook", body)
		if c.chunked {
			req.ContentLength = -1
		}
		if c.header != "" {
			req.Header.Set(webhook.SignatureHeader, c.header)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != c.status || rec.Body.String() != c.resp {
			t.Errorf("%s: got %d %s, want %d %s", c.name, rec.Code, rec.Body.String(), c.status, c.resp)
		}
		if c.status == 405 && rec.Header().Get("Allow") != http.MethodPost {
			t.Errorf("%s: Allow = %q", c.name, rec.Header().Get("Allow"))
		}
		if calls.Load() != 0 {
			t.Errorf("%s: a callback ran", c.name)
		}
	}
	// The control case: the same handler setup accepts the good delivery.
	wantResponse(t, deliver(newTestHandler(t), payload, good), http.StatusOK, received)
}

func TestHandlerTypedCallbacks(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	seen := map[webhook.EventType]string{}
	var mu sync.Mutex
	note := func(typ webhook.EventType, v string) { mu.Lock(); seen[typ] = v; mu.Unlock() }
	h.OnCustomerUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.CustomerUpdated) error {
		note(webhook.EventCustomerUpdated, d.Customer.Email)
		return nil
	})
	h.OnSubscriptionUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.SubscriptionUpdated) error {
		note(webhook.EventSubscriptionUpdated, d.Subscription.Status)
		return nil
	})
	h.OnPurchaseCompleted(func(_ context.Context, _ *webhook.Event, d *webhook.PurchaseCompleted) error {
		note(webhook.EventPurchaseCompleted, d.Grants[0].EntitlementKey)
		return nil
	})
	h.OnPurchaseUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.PurchaseUpdated) error {
		note(webhook.EventPurchaseUpdated, d.Purchase.Status)
		return nil
	})
	h.OnEntitlementsUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.EntitlementsUpdated) error {
		note(webhook.EventEntitlementsUpdated, d.ProductKey)
		return nil
	})
	h.OnInvoiceUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.InvoiceUpdated) error {
		note(webhook.EventInvoiceUpdated, d.Invoice.Currency)
		return nil
	})
	h.OnUsageUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.UsageUpdated) error {
		note(webhook.EventUsageUpdated, d.Key)
		return nil
	})
	h.OnAny(func(_ context.Context, e *webhook.Event) error {
		t.Errorf("catch-all got a known type %s", e.Type)
		return nil
	})
	for typ, data := range eventFixtures {
		wantResponse(t, deliver(h, guapocadotest.WebhookPayload("evt_typed_"+string(typ), typ, t0, json.RawMessage(data)), ""), http.StatusOK, received)
	}
	want := map[webhook.EventType]string{
		webhook.EventCustomerUpdated: "billing@acme.test", webhook.EventSubscriptionUpdated: "past_due",
		webhook.EventPurchaseCompleted: "ai-credits", webhook.EventPurchaseUpdated: "partially_refunded",
		webhook.EventEntitlementsUpdated: "seats-5", webhook.EventInvoiceUpdated: "eur", webhook.EventUsageUpdated: "api-calls",
	}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("got %v\nwant %v", seen, want)
	}

	// Data a typed callback cannot decode: 400, not marked, the callback never runs.
	dd := &recordingDeduper{inner: &webhook.MemoryDeduper{Capacity: 10}}
	h2 := newTestHandler(t, webhook.WithDeduper(dd))
	h2.OnCustomerUpdated(func(context.Context, *webhook.Event, *webhook.CustomerUpdated) error {
		t.Error("callback ran on undecodable data")
		return nil
	})
	bad := guapocadotest.WebhookPayload("evt_bad_shape", webhook.EventCustomerUpdated, t0, json.RawMessage(`{"customer":[1,2]}`))
	wantResponse(t, deliver(h2, bad, ""), http.StatusBadRequest, `{"message":"Invalid webhook payload"}`)
	if dd.marks.Load() != 0 {
		t.Error("an undecodable event was marked processed")
	}
	// Removing a callback: the event falls through to the catch-all (none here).
	h2.OnCustomerUpdated(nil)
	wantResponse(t, deliver(h2, bad, ""), http.StatusOK, received)
}

// recordingDeduper wraps a deduper, counting calls and injecting errors.
type recordingDeduper struct {
	inner          webhook.Deduper
	seenErr        error
	markErr        error
	seens, marks   atomic.Int32
	lastMarkCtxErr atomic.Value
}

func (d *recordingDeduper) Seen(ctx context.Context, id string) (bool, error) {
	d.seens.Add(1)
	if d.seenErr != nil {
		return false, d.seenErr
	}
	return d.inner.Seen(ctx, id)
}

func (d *recordingDeduper) Mark(ctx context.Context, id string) error {
	d.marks.Add(1)
	d.lastMarkCtxErr.Store(fmt.Sprint(ctx.Err()))
	if d.markErr != nil {
		return d.markErr
	}
	return d.inner.Mark(ctx, id)
}

func TestHandlerDeduper(t *testing.T) {
	t.Parallel()
	payload := guapocadotest.WebhookPayload("evt_dd", "x.y", t0, json.RawMessage(`{}`))

	// Seen fails: 500, nothing runs.
	failing := &recordingDeduper{inner: &webhook.MemoryDeduper{Capacity: 10}, seenErr: errors.New("redis down")}
	h := newTestHandler(t, webhook.WithDeduper(failing))
	var calls atomic.Int32
	h.OnAny(func(context.Context, *webhook.Event) error { calls.Add(1); return nil })
	wantResponse(t, deliver(h, payload, ""), http.StatusInternalServerError, `{"message":"Webhook deduplication failed"}`)
	if calls.Load() != 0 {
		t.Error("callback ran although the deduper failed")
	}

	// Mark fails after success: the sender still gets 200 (a retry would redo the work).
	markFails := &recordingDeduper{inner: &webhook.MemoryDeduper{Capacity: 10}, markErr: errors.New("disk full")}
	h = newTestHandler(t, webhook.WithDeduper(markFails))
	h.OnAny(func(context.Context, *webhook.Event) error { calls.Add(1); return nil })
	wantResponse(t, deliver(h, payload, ""), http.StatusOK, received)
	if calls.Load() != 1 || markFails.marks.Load() != 1 {
		t.Errorf("calls %d marks %d", calls.Load(), markFails.marks.Load())
	}

	// Mark gets a context that is not cancelled with the request.
	rd := &recordingDeduper{inner: &webhook.MemoryDeduper{Capacity: 10}}
	h = newTestHandler(t, webhook.WithDeduper(rd))
	h.OnAny(func(context.Context, *webhook.Event) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(payload)).WithContext(ctx)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(hookSecret, t0, payload))
	h.OnAny(func(context.Context, *webhook.Event) error { cancel(); return nil }) // the sender hangs up mid-callback
	h.ServeHTTP(httptest.NewRecorder(), req)
	if rd.marks.Load() != 1 || rd.lastMarkCtxErr.Load() != "<nil>" {
		t.Errorf("marks %d, Mark ctx err %v", rd.marks.Load(), rd.lastMarkCtxErr.Load())
	}

	// nil deduper: every delivery is processed.
	h = newTestHandler(t, webhook.WithDeduper(nil))
	calls.Store(0)
	h.OnAny(func(context.Context, *webhook.Event) error { calls.Add(1); return nil })
	deliver(h, payload, "")
	deliver(h, payload, "")
	if calls.Load() != 2 {
		t.Errorf("without deduper: %d calls", calls.Load())
	}

	// An event without id (like transcript 3.29) cannot be deduplicated: processed each time.
	noID := []byte(`{"type":"subscription.updated","data":{"customerId":"ERpKczkC4SWrd9Dek30UN9O1U8beGEn5","planKey":"pro"}}`)
	h = newTestHandler(t)
	calls.Store(0)
	h.OnSubscriptionUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.SubscriptionUpdated) error {
		if d.Subscription.PlanKey != "pro" {
			t.Errorf("plan %q", d.Subscription.PlanKey)
		}
		calls.Add(1)
		return nil
	})
	wantResponse(t, deliver(h, noID, ""), http.StatusOK, received)
	wantResponse(t, deliver(h, noID, ""), http.StatusOK, received)
	if calls.Load() != 2 {
		t.Errorf("id-less event: %d calls", calls.Load())
	}
}

func TestHandlerInFlightGuard(t *testing.T) {
	t.Parallel()
	for _, firstFails := range []bool{false, true} {
		h := newTestHandler(t)
		var running, maxRunning, calls atomic.Int32
		started := make(chan struct{}, 4)
		release := make(chan struct{})
		h.OnAny(func(context.Context, *webhook.Event) error {
			n := running.Add(1)
			defer running.Add(-1)
			for {
				m := maxRunning.Load()
				if n <= m || maxRunning.CompareAndSwap(m, n) {
					break
				}
			}
			c := calls.Add(1)
			started <- struct{}{}
			<-release
			if firstFails && c == 1 {
				return errors.New("first attempt fails")
			}
			return nil
		})
		payload := guapocadotest.WebhookPayload("evt_concurrent", "x.y", t0, json.RawMessage(`{}`))
		codes := make(chan int, 2)
		go func() { codes <- deliver(h, payload, "").Code }()
		<-started // the first delivery is inside its callback
		go func() { codes <- deliver(h, payload, "").Code }()
		select {
		case <-started:
			t.Fatal("the second delivery ran its callback while the first was in flight")
		case <-time.After(100 * time.Millisecond):
		}
		close(release)
		got := []int{<-codes, <-codes}
		slices.Sort(got) // the two answers may arrive in either order
		wantCalls, want := int32(1), fmt.Sprint([]int{200, 200})
		if firstFails {
			wantCalls, want = 2, fmt.Sprint([]int{200, 500})
		}
		if calls.Load() != wantCalls || fmt.Sprint(got) != want || maxRunning.Load() != 1 {
			t.Errorf("firstFails=%v: calls %d codes %v max concurrent %d", firstFails, calls.Load(), got, maxRunning.Load())
		}
	}
	// A delivery waiting for its twin gives up when its request ends.
	h := newTestHandler(t)
	block := make(chan struct{})
	inside := make(chan struct{})
	h.OnAny(func(context.Context, *webhook.Event) error { close(inside); <-block; return nil })
	payload := guapocadotest.WebhookPayload("evt_wait", "x.y", t0, json.RawMessage(`{}`))
	go deliver(h, payload, "")
	<-inside
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(payload)).WithContext(ctx)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(hookSecret, t0, payload))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	wantResponse(t, rec, http.StatusServiceUnavailable, `{"message":"Webhook delivery in progress"}`)
	close(block)
}

func TestHandlerPanickingCallbackReleasesTheEvent(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t)
	var calls atomic.Int32
	h.OnAny(func(context.Context, *webhook.Event) error {
		if calls.Add(1) == 1 {
			panic("bug in the callback")
		}
		return nil
	})
	payload := guapocadotest.WebhookPayload("evt_panic", "x.y", t0, json.RawMessage(`{}`))
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		deliver(h, payload, "")
	}()
	// A retry stuck behind the panicked delivery never answers: go test's
	// -timeout reports it.
	wantResponse(t, deliver(h, payload, ""), http.StatusOK, received)
	if calls.Load() != 2 {
		t.Errorf("calls = %d", calls.Load())
	}
}

func TestHandlerRotationAndTolerance(t *testing.T) {
	t.Parallel()
	payload := guapocadotest.WebhookPayload("evt_rot_h", "x.y", t0, json.RawMessage(`{}`))
	h := mustHandler(t, "whsec_new_h",
		webhook.WithSecrets("whsec_old_h"),
		webhook.WithTolerance(30*time.Second),
		webhook.WithClock(clockAt(t0.Add(30*time.Second))),
		nil, // nil options are ignored
	)
	wantResponse(t, deliver(h, payload, webhook.Sign("whsec_old_h", t0, payload)), http.StatusOK, received)
	payload2 := guapocadotest.WebhookPayload("evt_rot_h2", "x.y", t0, json.RawMessage(`{}`))
	wantResponse(t, deliver(h, payload2, webhook.Sign("whsec_new_h", t0.Add(-time.Second), payload2)), http.StatusUnauthorized, `{"message":"Webhook timestamp outside tolerance"}`)
	wantResponse(t, deliver(h, payload2, webhook.Sign("whsec_other_h", t0, payload2)), http.StatusUnauthorized, `{"message":"Invalid webhook signature"}`)
}

func TestHandlerLogsNeverCarrySecrets(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &buf, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h := newTestHandler(t, webhook.WithLogger(logger))
	h.OnAny(func(_ context.Context, e *webhook.Event) error {
		if e.ID == "evt_log_fail" {
			return errors.New("callback failed")
		}
		return nil
	})
	var sigs []string
	send := func(payload []byte, header string) {
		if header == "" {
			header = webhook.Sign(hookSecret, t0, payload)
		}
		sigs = append(sigs, header[strings.Index(header, "v1=")+3:])
		deliver(h, payload, header)
	}
	ok := guapocadotest.WebhookPayload("evt_log_ok", "x.y", t0, json.RawMessage(`{}`))
	send(ok, "")
	send(ok, "") // duplicate
	send(guapocadotest.WebhookPayload("evt_log_fail", "x.y", t0, json.RawMessage(`{}`)), "")
	send(ok, webhook.Sign("whsec_wrong_for_log", t0, ok))
	send(ok, webhook.Sign(hookSecret, t0.Add(-time.Hour), ok))
	send(ok, "t=1795732077,v1=zz"+strings.Repeat("0", 62))
	send([]byte(`{"type":`), "")
	mu.Lock()
	out := buf.String()
	mu.Unlock()
	for _, want := range []string{"evt_log_ok", "duplicate", "evt_log_fail", "callback failed", "does not match", "outside tolerance", "malformed", "we_000004"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, secret := range []string{hookSecret, "whsec_wrong_for_log"} {
		if strings.Contains(out, secret) {
			t.Error("a secret is in the log")
		}
	}
	for _, s := range sigs {
		if strings.Contains(out, s) {
			t.Error("a signature is in the log")
		}
	}
	// Silent by default: nothing to check but that it does not fail without a logger.
	wantResponse(t, deliver(newTestHandler(t, webhook.WithLogger(nil)), ok, ""), http.StatusOK, received)
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestHandlerOverHTTP sends real requests over 127.0.0.1.
func TestHandlerOverHTTP(t *testing.T) {
	t.Parallel()
	h := mustHandler(t, hookSecret)
	got := make(chan string, 1)
	h.OnEntitlementsUpdated(func(_ context.Context, e *webhook.Event, d *webhook.EntitlementsUpdated) error {
		got <- e.ID + " " + d.Reason
		return nil
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	payload := guapocadotest.WebhookPayload("evt_http", webhook.EventEntitlementsUpdated, time.Now(), json.RawMessage(eventFixtures[webhook.EventEntitlementsUpdated]))
	req, err := guapocadotest.NewWebhookRequest(srv.URL+"/api/webhooks", hookSecret, time.Now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(b) != received {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if g := <-got; g != "evt_http purchase.completed" {
		t.Errorf("callback got %q", g)
	}
	// An oversized body over the wire.
	req, _ = guapocadotest.NewWebhookRequest(srv.URL, hookSecret, time.Now(), bytes.Repeat([]byte("x"), 2<<20))
	resp, err = srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized over HTTP: %d", resp.StatusCode)
	}
}
