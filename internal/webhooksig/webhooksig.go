// Package webhooksig is the guapocado-signature scheme, shared by the
// webhook package (which verifies and, for tests, signs) and guapocadotest
// (which signs, and must not import the root package: the root package's
// own tests import guapocadotest, and the webhook package imports the root
// package).
package webhooksig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Header names of a delivery.
const (
	SignatureHeader  = "guapocado-signature"
	EndpointIDHeader = "guapocado-endpoint-id"
)

// Sign returns "t=<unix seconds>" followed by one ",v1=<hex
// HMAC-SHA256(secret, "<t>.<payload>")>" per secret, in order. An empty
// secret is signed with an empty key.
func Sign(secrets []string, t time.Time, payload []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.Grow(2 + len(ts) + len(secrets)*(4+2*sha256.Size))
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(payload)
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
}
