package guapocadotest

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Better Auth's stricter built-in rule: sign-in, sign-up, change-password
// and change-email allow 3 requests per 10 s whatever WithRateLimit says.
const (
	entryRateMax    = 3
	entryRateWindow = 10 * time.Second
	// deviceRateMax is the deviceAuthorization plugin's rule for GET
	// /device: 5 requests per code lifetime.
	deviceRateMax = 5
)

// bucket is Better Auth's limiter state for one client address and path.
type bucket struct {
	last  time.Time
	count int
}

// rateRule is the max and window that apply to the path rel (below
// BasePath), as Better Auth picks them.
func (s *Server) rateRule(rel string) (int, time.Duration) {
	switch {
	case strings.HasPrefix(rel, "/sign-in"), strings.HasPrefix(rel, "/sign-up"),
		strings.HasPrefix(rel, "/change-password"), strings.HasPrefix(rel, "/change-email"):
		return entryRateMax, entryRateWindow
	case rel == "/device":
		if d := s.cfg.wiring.deviceExpiry; d > 0 {
			return deviceRateMax, d
		}
		return deviceRateMax, DefaultDeviceExpiry
	}
	return s.cfg.rateMax, s.cfg.rateWindow
}

// rateLimit applies WithRateLimit the way Better Auth's memory limiter
// does: one bucket per client address (clientIP; every caller without one
// shares a bucket) and path; a request is refused when the previous allowed
// one was less than a window ago and the count reached max; refused
// requests do not count.
func (s *Server) rateLimit(r *http.Request) (response, bool) {
	if s.cfg.rateMax <= 0 || s.cfg.rateWindow <= 0 {
		return response{}, false
	}
	rel, _ := strings.CutPrefix(r.URL.Path, BasePath)
	max, window := s.rateRule(rel)
	ip := clientIP(r)
	if ip == "" {
		ip = "no-trusted-ip"
	}
	key := ip + "|" + r.URL.Path
	now := s.Now()
	s.logMu.Lock()
	defer s.logMu.Unlock()
	b := s.buckets[key]
	if b == nil {
		s.buckets[key] = &bucket{last: now, count: 1}
		return response{}, false
	}
	since := now.Sub(b.last)
	if since < window && b.count >= max {
		retry := int(math.Ceil((window - since).Seconds()))
		resp := errorResponse(http.StatusTooManyRequests, "Too many requests. Please try again later.", "")
		resp.header.Set("X-Retry-After", strconv.Itoa(retry))
		return resp, true
	}
	if since >= window {
		b.count = 1
	} else {
		b.count++
	}
	b.last = now
	return response{}, false
}
