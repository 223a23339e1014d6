package guapocadotest

import (
	"net/http"
	"time"
)

// DropMode says whether and when a fault cuts the connection.
type DropMode int

const (
	// NoDrop answers normally.
	NoDrop DropMode = iota
	// DropBeforeApply closes the connection without an answer before the
	// endpoint runs: the ledger is untouched.
	DropBeforeApply
	// DropAfterApply runs the endpoint (the ledger change is committed)
	// and then closes the connection without an answer: the client cannot
	// know the outcome.
	DropAfterApply
)

// Fault is an injected misbehaviour for one request.
//
// Delay (if any) comes first. Then a Drop mode cuts the connection, or a
// non-zero Status answers at once with Status, Header and Body (as
// application/json unless Header sets a Content-Type) before any handler or
// the rate limiter runs, so the ledger is untouched. A Fault with only a
// Delay slows a normal answer down.
type Fault struct {
	// Path limits the fault to one exact request path, such as
	// "/api/auth/guapocado/usage/consume"; "" matches every request.
	Path   string
	Status int
	Body   string
	Header http.Header
	Drop   DropMode
	Delay  time.Duration
}

func (f *Fault) response() response {
	h := http.Header{}
	for k, vs := range f.Header {
		h[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
	}
	if f.Body != "" && h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	return response{status: f.Status, header: h, body: []byte(f.Body)}
}

type queuedFault struct {
	left  int
	fault Fault
}

// InjectFaults applies f to the next n requests that match f.Path. Queued
// faults are used in the order they were injected, before the fault func.
func (s *Server) InjectFaults(n int, f Fault) {
	if n <= 0 {
		return
	}
	s.logMu.Lock()
	s.faults = append(s.faults, &queuedFault{left: n, fault: f})
	s.logMu.Unlock()
}

// SetFaultFunc installs fn, called for every request that no queued fault
// matched (the body can be read from r); a nil result means no fault.
// SetFaultFunc(nil) removes it. fn must not call back into the Server.
func (s *Server) SetFaultFunc(fn func(r *http.Request) *Fault) {
	s.logMu.Lock()
	s.faultFn = fn
	s.logMu.Unlock()
}

// takeFault picks the fault for r, if any.
func (s *Server) takeFault(r *http.Request) *Fault {
	s.logMu.Lock()
	for i, q := range s.faults {
		if q.fault.Path != "" && q.fault.Path != r.URL.Path {
			continue
		}
		f := q.fault
		q.left--
		if q.left == 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		s.logMu.Unlock()
		return &f
	}
	fn := s.faultFn
	s.logMu.Unlock()
	if fn == nil {
		return nil
	}
	f := fn(r)
	if f != nil && f.Path != "" && f.Path != r.URL.Path {
		return nil
	}
	return f
}
