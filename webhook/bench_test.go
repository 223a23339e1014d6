package webhook_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/webhook"
)

const benchSecret = "whsec_benchmark_0123456789abcdef"

// benchPayload is a 1 KiB event envelope.
func benchPayload(b *testing.B) []byte {
	b.Helper()
	p := guapocadotest.WebhookPayload("evt_bench", webhook.EventUsageUpdated, t0, map[string]any{"customerId": "org_acme", "key": "api-calls", "pad": ""})
	pad := 1024 - len(p)
	p = guapocadotest.WebhookPayload("evt_bench", webhook.EventUsageUpdated, t0, map[string]any{"customerId": "org_acme", "key": "api-calls", "pad": strings.Repeat("x", pad)})
	if len(p) != 1024 {
		b.Fatalf("payload is %d bytes", len(p))
	}
	return p
}

// BenchmarkVerify1KiB verifies a signed 1 KiB payload: header
// parsing, HMAC-SHA256 of "<t>.<payload>", hex decoding and constant-time
// comparison of the v1 entry, timestamp check.
func BenchmarkVerify1KiB(b *testing.B) {
	payload := benchPayload(b)
	header := webhook.Sign(benchSecret, t0, payload)
	v := webhook.Verifier{Secrets: secretsOf(benchSecret), Now: clockAt(t0)}
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Verify(payload, header); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyFunc1KiB is the same through the function Verify with a
// clock option (the option values cost a few allocations).
func BenchmarkVerifyFunc1KiB(b *testing.B) {
	payload := benchPayload(b)
	header := webhook.Sign(benchSecret, t0, payload)
	clock := webhook.WithClock(clockAt(t0))
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		if err := webhook.Verify(payload, header, benchSecret, clock); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHMACSHA256Hex1KiB is the floor: the HMAC-SHA256 of the same
// signed bytes (already joined) with a keyed HMAC reused through Reset, plus
// hex decoding of the candidate and hmac.Equal.
func BenchmarkHMACSHA256Hex1KiB(b *testing.B) {
	payload := benchPayload(b)
	header := webhook.Sign(benchSecret, t0, payload)
	candHex := []byte(header[strings.Index(header, "v1=")+3:])
	signed := append([]byte(header[2:strings.IndexByte(header, ',')]+"."), payload...)
	mac := hmac.New(sha256.New, []byte(benchSecret))
	sum := make([]byte, 0, sha256.Size)
	var cand [sha256.Size]byte
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		mac.Reset()
		mac.Write(signed)
		s := mac.Sum(sum[:0])
		if _, err := hex.Decode(cand[:], candHex); err != nil || !hmac.Equal(s, cand[:]) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkHMACSHA256Hex1KiBNewKey is the bare computation as usually
// written, with hmac.New for every message.
func BenchmarkHMACSHA256Hex1KiBNewKey(b *testing.B) {
	payload := benchPayload(b)
	header := webhook.Sign(benchSecret, t0, payload)
	candHex := []byte(header[strings.Index(header, "v1=")+3:])
	signed := append([]byte(header[2:strings.IndexByte(header, ',')]+"."), payload...)
	key := []byte(benchSecret)
	var cand [sha256.Size]byte
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		mac := hmac.New(sha256.New, key)
		mac.Write(signed)
		s := mac.Sum(nil)
		if _, err := hex.Decode(cand[:], candHex); err != nil || !hmac.Equal(s, cand[:]) {
			b.Fatal("no match")
		}
	}
}

// BenchmarkHandler1KiB is a whole delivery through the handler
// (body read, verification, parsing, dedupe, callback), without deduplication.
func BenchmarkHandler1KiB(b *testing.B) {
	payload := benchPayload(b)
	header := webhook.Sign(benchSecret, t0, payload)
	h, err := webhook.NewHandler(benchSecret, webhook.WithClock(clockAt(t0)), webhook.WithDeduper(nil))
	if err != nil {
		b.Fatal(err)
	}
	h.OnUsageUpdated(func(_ context.Context, _ *webhook.Event, _ *webhook.UsageUpdated) error { return nil })
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/hook", bytes.NewReader(payload))
		req.Header.Set(webhook.SignatureHeader, header)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
