package guapocadotest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// guapTolerance is how far (in seconds) a signature's timestamp may be from
// the server's clock.
const guapTolerance = 300

// guapEndpointID registers the receiver with the platform once and returns
// its id. Call with s.mu held.
func (s *Server) guapEndpointID() string {
	if s.st.guapID == "" {
		s.st.guapID = s.nextID("we")
	}
	return s.st.guapID
}

// GET /guap: the receiver's registration status; needs no session.
func (s *Server) guapStatus(*call) response {
	if s.cfg.webhookSecret == "" {
		return jsonResponse(http.StatusOK, obj{{"enabled", false}})
	}
	return jsonResponse(http.StatusOK, obj{
		{"enabled", true},
		{"id", s.guapEndpointID()},
		{"status", "pending_approval"},
		{"url", s.baseURL + BasePath + "/guap"},
		{"events", "*"},
		{"relay", nil},
	})
}

// POST /guap: a Guapocado event, signed with
// "guapocado-signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
func (s *Server) guapReceive(c *call) response {
	if s.cfg.webhookSecret == "" {
		return errorResponse(http.StatusNotFound, "Webhook disabled", "")
	}
	s.guapEndpointID()
	if c.body == nil {
		return errorResponse(http.StatusBadRequest, "Missing webhook payload", "")
	}
	if !s.guapSignatureValid(c.r.Header.Get("guapocado-signature"), c.raw, c.now.Unix()) {
		return errorResponse(http.StatusUnauthorized, "Invalid webhook signature", "")
	}
	return jsonResponse(http.StatusOK, obj{{"received", true}})
}

// guapSignatureValid checks a guapocado-signature header against the raw
// body: any v1 entry may match (key rotation).
func (s *Server) guapSignatureValid(header string, body []byte, now int64) bool {
	var t string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			t = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	ts, err := strconv.ParseInt(t, 10, 64)
	if err != nil || len(sigs) == 0 || math.Abs(float64(now-ts)) > guapTolerance {
		return false
	}
	m := hmac.New(sha256.New, []byte(s.cfg.webhookSecret))
	m.Write([]byte(strconv.FormatInt(ts, 10) + "."))
	m.Write(body)
	want := m.Sum(nil)
	for _, sig := range sigs {
		if hmac.Equal(sig, want) {
			return true
		}
	}
	return false
}
