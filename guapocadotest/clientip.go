package guapocadotest

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the client address as Better Auth reads it with its default
// settings: the X-Forwarded-For header when it holds exactly one valid IP
// address (a list is not trusted without trustedProxies, which the fake
// does not offer), normalised (IPv4-mapped IPv6 becomes IPv4, other IPv6
// addresses are cut to their /64 subnet in full lower-case form). It
// returns "" when there is none: Better Auth then stores an empty
// session.ipAddress and puts every such caller in one rate-limit bucket per
// path (outside NODE_ENV=development or test, which the fake does not
// model).
func clientIP(r *http.Request) string {
	v := r.Header.Get("X-Forwarded-For")
	if v == "" {
		return ""
	}
	var tokens []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tokens = append(tokens, t)
		}
	}
	if len(tokens) != 1 {
		return ""
	}
	addr, err := netip.ParseAddr(tokens[0])
	if err != nil || addr.Zone() != "" {
		return ""
	}
	if addr.Is4() || addr.Is4In6() {
		return addr.Unmap().String()
	}
	p, err := addr.Prefix(64)
	if err != nil {
		return ""
	}
	b := p.Addr().As16()
	groups := make([]string, 8)
	for i := range groups {
		groups[i] = fmt.Sprintf("%02x%02x", b[2*i], b[2*i+1])
	}
	return strings.Join(groups, ":")
}
