package guapocadotest

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// redacted replaces credentials in the logs.
const redacted = "[REDACTED]"

// Request is one request the server received, as logged.
type Request struct {
	Method string
	Path   string
	Query  string
	// Header is the request's header with Cookie, Authorization and
	// X-Guapocado-Key values replaced by "[REDACTED]" (their presence stays
	// visible).
	Header http.Header
	// Body is the raw body (a password in a sign-in/sign-up body is
	// replaced by "[REDACTED]").
	Body []byte
	// Status is the status answered, or 0 when the connection was dropped
	// (or the client gave up during a delay).
	Status int
	// At is the server clock when the request arrived.
	At time.Time
}

// LedgerOp is one consume or refund the ledger applied.
type LedgerOp struct {
	Op         string // "consume" or "refund"
	CustomerID string
	Key        string
	Amount     float64
	At         time.Time
	// Header is the request's header without Cookie, Authorization and
	// X-Guapocado-Key.
	Header http.Header
	// IdempotencyKey is the platform request's idempotency key ("" for none,
	// and for the Better Auth routes, which have none).
	IdempotencyKey string
}

func redactHeader(h http.Header) http.Header {
	out := h.Clone()
	if out == nil {
		out = http.Header{}
	}
	for _, k := range []string{"Cookie", "Authorization", "X-Guapocado-Key"} {
		if vs, ok := out[k]; ok {
			red := make([]string, len(vs))
			for i := range red {
				red[i] = redacted
			}
			out[k] = red
		}
	}
	return out
}

// redactBody hides the password of sign-in and sign-up bodies.
func redactBody(path string, raw []byte) []byte {
	if len(raw) == 0 {
		return nil
	}
	if !strings.HasPrefix(path, BasePath+"/sign-") {
		return append([]byte(nil), raw...)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return []byte(redacted)
	}
	if _, ok := m["password"]; ok {
		m["password"] = json.RawMessage(`"` + redacted + `"`)
	}
	b, err := json.Marshal(m)
	if err != nil {
		return []byte(redacted)
	}
	return b
}

func (s *Server) logRequest(rec Request, status int) {
	rec.Status = status
	s.logMu.Lock()
	s.requests = append(s.requests, rec)
	s.logMu.Unlock()
}

// logOp records an applied consume or refund. Called with s.mu held.
func (s *Server) logOp(op, customerID, key string, amount float64, c *call) {
	h := c.r.Header.Clone()
	h.Del("Cookie")
	h.Del("Authorization")
	s.logMu.Lock()
	s.ops = append(s.ops, LedgerOp{Op: op, CustomerID: customerID, Key: key, Amount: amount, At: c.now, Header: h})
	s.logMu.Unlock()
}

// Requests returns the requests received so far, in the order they were
// answered.
func (s *Server) Requests() []Request {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Ops returns every consume and refund the ledger applied, in order.
func (s *Server) Ops() []LedgerOp {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	return append([]LedgerOp(nil), s.ops...)
}

// Reset clears the queued faults, the fault func, the request and ledger
// logs, the rate limiter's counts and the IdempotentReplays count. Users,
// sessions, the ledger and the platform's stored idempotent answers stay.
func (s *Server) Reset() {
	s.mu.Lock()
	s.plat.replays = 0
	s.mu.Unlock()
	s.logMu.Lock()
	s.faults, s.faultFn, s.requests, s.ops = nil, nil, nil, nil
	s.buckets = map[string]*bucket{}
	s.logMu.Unlock()
}
