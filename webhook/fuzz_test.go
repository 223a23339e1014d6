package webhook_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/webhook"
)

// FuzzHeader feeds arbitrary headers, payloads, secrets and times to
// the verifier. Properties: no panic; every error is one of the sentinels;
// an accepted arbitrary header really carries the HMAC of its own t; a
// header made by webhook.Sign always verifies; and the same
// header never verifies a changed payload or another secret.
func FuzzHeader(f *testing.F) {
	payload := []byte(`{"type":"subscription.updated","data":{"customerId":"ERpKczkC4SWrd9Dek30UN9O1U8beGEn5","planKey":"pro"}}`)
	good := webhook.Sign("whsec_fuzz", t0, payload)
	for _, h := range []string{
		good, "", "t=1795732077", "t=1795732077,v1=00ff", "v1=00,t=1", "t=1,t=2,v1=ab", "t=abc,v1=zz",
		" t=1795732077 , v1=" + strings.Repeat("A", 64) + " ,", "t=99999999999999999999,v1=ab", "=,=,=", ",,,",
		good + ",v1=" + strings.Repeat("0", 64), "v0=1,t=0,v2=x,v1=" + strings.Repeat("f", 64),
	} {
		f.Add(h, payload, "whsec_fuzz", t0.Unix())
	}
	f.Add("t=0,v1=", []byte{}, "", int64(0))
	f.Add(good, []byte("\x00\xff"), "k", int64(-1))

	f.Fuzz(func(t *testing.T, header string, payload []byte, secret string, ts int64) {
		secret = "SECRET-" + secret // never empty (a different, tested case), and recognisable in messages
		if ts < 0 {
			ts = -(ts + 1)
		}
		now := time.Unix(ts, 0)
		v := webhook.Verifier{Secrets: secretsOf(secret), Now: func() time.Time { return now }}

		err := v.Verify(payload, header)
		switch {
		case err == nil:
			if !headerCarriesMAC(header, secret, payload) {
				t.Fatalf("accepted a header without the right signature: %q", header)
			}
		case errors.Is(err, webhook.ErrNoSignature), errors.Is(err, webhook.ErrMalformedHeader),
			errors.Is(err, webhook.ErrSignatureMismatch), errors.Is(err, webhook.ErrTimestamp):
			if strings.Contains(err.Error(), "SECRET-") {
				t.Fatalf("error leaks the secret: %v", err)
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}

		signed := webhook.Sign(secret, now, payload)
		if err := v.Verify(payload, signed); err != nil {
			t.Fatalf("Sign header rejected: %v (%q)", err, signed)
		}
		if err := webhook.Verify(payload, signed, secret, webhook.WithClock(v.Now)); err != nil {
			t.Fatalf("Verify rejected the Sign header: %v", err)
		}
		changed := append(payload[:len(payload):len(payload)], 'x')
		if err := v.Verify(changed, signed); !errors.Is(err, webhook.ErrSignatureMismatch) {
			t.Fatalf("changed payload: %v", err)
		}
		other := webhook.Verifier{Secrets: secretsOf(secret + "!"), Now: v.Now}
		if err := other.Verify(payload, signed); !errors.Is(err, webhook.ErrSignatureMismatch) {
			t.Fatalf("other secret: %v", err)
		}
	})
}

// headerCarriesMAC is an independent, simple reading of the header: does
// some v1 entry equal the HMAC of "<t>.<payload>" for its t entry?
func headerCarriesMAC(header, secret string, payload []byte) bool {
	var ts string
	var sigs []string
	for _, item := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, strings.ToLower(v))
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(payload)
	want := hex.EncodeToString(mac.Sum(nil))
	for _, s := range sigs {
		if s == want {
			return true
		}
	}
	return false
}

// FuzzParseEvent feeds arbitrary bytes to the event parser. Properties: no
// panic; errors match ErrMalformedPayload; a parsed event has a type
// and Raw equal to the input; typed accessors return a value, an
// *EventTypeError or a malformed-payload error; and marshalling the event
// and parsing it again gives the same event.
func FuzzParseEvent(f *testing.F) {
	f.Add([]byte(`{"type":"subscription.updated","data":{"customerId":"ERpKczkC4SWrd9Dek30UN9O1U8beGEn5","planKey":"pro"}}`))
	for typ, data := range eventFixtures {
		f.Add(guapocadotest.WebhookPayload("evt_"+string(typ), typ, t0, json.RawMessage(data)))
	}
	f.Add([]byte(`{"id":"evt_x","type":"refund.created","createdAt":"2026-11-27T09:57:00.123456789+01:00","source":{"provider":"stripe"},"data":[1,"<&>",null]}`))
	f.Add([]byte(`{"type":"x","createdAt":null,"source":null,"data":null}`))
	f.Add([]byte(`{"type":"customer.updated","data":{"customer":{"metadata":{"a":1e400}}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"type":"\ud800","id":"\xff"}`))

	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := webhook.ParseEvent(data)
		if err != nil {
			if ev != nil || !errors.Is(err, webhook.ErrMalformedPayload) {
				t.Fatalf("ParseEvent: %v, %v", ev, err)
			}
			return
		}
		if ev.Type == "" || !bytes.Equal(ev.Raw, data) {
			t.Fatalf("event %+v", ev)
		}
		accessors := map[webhook.EventType]func() error{
			webhook.EventCustomerUpdated:     func() error { _, err := ev.CustomerUpdated(); return err },
			webhook.EventSubscriptionUpdated: func() error { _, err := ev.SubscriptionUpdated(); return err },
			webhook.EventPurchaseCompleted:   func() error { _, err := ev.PurchaseCompleted(); return err },
			webhook.EventPurchaseUpdated:     func() error { _, err := ev.PurchaseUpdated(); return err },
			webhook.EventEntitlementsUpdated: func() error { _, err := ev.EntitlementsUpdated(); return err },
			webhook.EventInvoiceUpdated:      func() error { _, err := ev.InvoiceUpdated(); return err },
			webhook.EventUsageUpdated:        func() error { _, err := ev.UsageUpdated(); return err },
		}
		for typ, get := range accessors {
			err := get()
			if typ != ev.Type {
				var te *webhook.EventTypeError
				if !errors.As(err, &te) || te.Want != typ || te.Got != ev.Type {
					t.Fatalf("%s accessor on %q: %v", typ, ev.Type, err)
				}
			} else if err != nil && !errors.Is(err, webhook.ErrMalformedPayload) {
				t.Fatalf("%s accessor: %v", typ, err)
			}
		}

		b, err := json.Marshal(ev)
		if err != nil {
			t.Fatalf("marshal %+v: %v", ev, err)
		}
		ev2, err := webhook.ParseEvent(b)
		if err != nil {
			t.Fatalf("reparse %s: %v", b, err)
		}
		if ev2.ID != ev.ID || ev2.Type != ev.Type || !ev2.CreatedAt.Equal(ev.CreatedAt) || ev2.Source != ev.Source || !sameJSON(ev.Data, ev2.Data) {
			t.Fatalf("round trip changed the event:\n in %s\nout %s", data, b)
		}
	})
}

// sameJSON compares two JSON values (nil meaning absent).
func sameJSON(a, b []byte) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	var x, y any
	dx := json.NewDecoder(bytes.NewReader(a))
	dx.UseNumber()
	dy := json.NewDecoder(bytes.NewReader(b))
	dy.UseNumber()
	if dx.Decode(&x) != nil || dy.Decode(&y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
