package guapocadotest

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Better Auth's deviceAuthorization plugin (RFC 8628), as in better-auth
// 1.7.25: POST /device/code, GET /device?user_code= (which claims the code
// for the signed-in user), POST /device/approve and /device/deny
// {userCode}, and POST /device/token, whose access_token is a session
// token (unsigned) usable as a bearer token.

// DeviceGrantType is the grant_type of POST /device/token.
const DeviceGrantType = "urn:ietf:params:oauth:grant-type:device_code"

// Default device-flow timing, as the plugin's defaults (expiresIn "30m",
// interval "5s").
const (
	DefaultDeviceInterval = 5 * time.Second
	DefaultDeviceExpiry   = 30 * time.Minute
)

// WithDeviceTiming sets the device flow's polling interval and code
// lifetime (the plugin's interval and expiresIn options).
func WithDeviceTiming(interval, expiresIn time.Duration) Option {
	return func(c *config) { c.wiring.deviceInterval, c.wiring.deviceExpiry = interval, expiresIn }
}

type deviceCode struct {
	deviceCode, userCode string
	clientID, scope      string
	userID               string
	status               string // pending, approved, denied
	expiresAt            time.Time
	lastPolled           time.Time
	interval             time.Duration
}

const userCodeCharset = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

func randomFrom(charset string, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("guapocadotest: " + err.Error())
	}
	for i := range b {
		b[i] = charset[int(b[i])%len(charset)]
	}
	return string(b)
}

var (
	userCodeSchema    = &schema{zod4: true, fields: []field{{name: "userCode", kind: kString}}}
	deviceTokenSchema = &schema{zod4: true, fields: []field{
		{name: "grant_type", kind: kString}, {name: "device_code", kind: kString}, {name: "client_id", kind: kString}}}
	deviceCodeSchema = &schema{zod4: true, fields: []field{
		{name: "client_id", kind: kString, optional: true}, {name: "scope", kind: kString, optional: true}}}
)

// addDeviceRoutes mounts the device authorization endpoints.
func (s *Server) addDeviceRoutes() {
	s.devices = map[string]*deviceCode{}
	s.routes["POST /device/code"] = route{schema: deviceCodeSchema, handle: s.deviceCodeStart}
	s.routes["GET /device"] = route{handle: s.deviceVerify}
	s.routes["POST /device/approve"] = route{schema: userCodeSchema, handle: func(c *call) response { return s.deviceDecide(c, "approved") }}
	s.routes["POST /device/deny"] = route{schema: userCodeSchema, handle: func(c *call) response { return s.deviceDecide(c, "denied") }}
	s.routes["POST /device/token"] = route{schema: deviceTokenSchema, handle: s.deviceToken}
}

func oauthError(status int, code, desc string) response {
	return jsonResponse(status, obj{{"error", code}, {"error_description", desc}})
}

func noStore(r response) response {
	r.header.Set("Cache-Control", "no-store")
	r.header.Set("Pragma", "no-cache")
	return r
}

// POST /device/code {client_id, scope?}
func (s *Server) deviceCodeStart(c *call) response {
	clientID := strField(c.body, "client_id")
	if clientID == "" {
		return oauthError(http.StatusBadRequest, "invalid_request", "[body.client_id] Invalid input: expected string, received undefined")
	}
	interval, expiry := s.cfg.wiring.deviceInterval, s.cfg.wiring.deviceExpiry
	if interval <= 0 {
		interval = DefaultDeviceInterval
	}
	if expiry <= 0 {
		expiry = DefaultDeviceExpiry
	}
	d := &deviceCode{
		deviceCode: randomFrom(alnum, 40),
		userCode:   randomFrom(userCodeCharset, 8),
		clientID:   clientID,
		scope:      strField(c.body, "scope"),
		status:     "pending",
		expiresAt:  c.now.Add(expiry),
		interval:   interval,
	}
	s.devices[d.deviceCode] = d
	verify := s.baseURL + "/device"
	return noStore(jsonResponse(http.StatusOK, obj{
		{"device_code", d.deviceCode},
		{"user_code", d.userCode},
		{"verification_uri", verify},
		{"verification_uri_complete", verify + "?user_code=" + url.QueryEscape(d.userCode)},
		{"expires_in", int(expiry / time.Second)},
		{"interval", int(interval / time.Second)},
	}))
}

// byUserCode finds a code, normalizing "abcd-efgh" to "ABCDEFGH". Call with
// s.mu held.
func (s *Server) byUserCode(code string) *deviceCode {
	norm := strings.ToUpper(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, code))
	for _, d := range s.devices {
		if d.userCode == code || d.userCode == norm {
			return d
		}
	}
	return nil
}

// GET /device?user_code=: the code's status; a signed-in caller claims a
// pending, unclaimed code (approve and deny need the claim).
func (s *Server) deviceVerify(c *call) response {
	code := c.r.URL.Query().Get("user_code")
	d := s.byUserCode(code)
	if d == nil {
		return oauthError(http.StatusBadRequest, "invalid_request", "Invalid user code")
	}
	if d.expiresAt.Before(c.now) {
		return oauthError(http.StatusBadRequest, "expired_token", "User code has expired")
	}
	if c.sess != nil && d.userID == "" && d.status == "pending" {
		d.userID = c.sess.userID
	}
	o := obj{{"user_code", code}, {"status", d.status}}
	if c.sess != nil && d.userID == c.sess.userID {
		o = append(o, kv{"client_id", d.clientID}, kv{"scope", nullIfEmpty(d.scope)})
	}
	return jsonResponse(http.StatusOK, o)
}

// POST /device/approve and /device/deny {userCode}
func (s *Server) deviceDecide(c *call, status string) response {
	if c.sess == nil {
		return oauthError(http.StatusUnauthorized, "unauthorized", "Authentication required")
	}
	d := s.byUserCode(strField(c.body, "userCode"))
	switch {
	case d == nil:
		return oauthError(http.StatusBadRequest, "invalid_request", "Invalid user code")
	case d.expiresAt.Before(c.now):
		return oauthError(http.StatusBadRequest, "expired_token", "User code has expired")
	case d.status != "pending":
		return oauthError(http.StatusBadRequest, "invalid_request", "Device code already processed")
	case d.userID == "":
		return oauthError(http.StatusBadRequest, "invalid_request", "Device code has not been claimed by a verifying session; call `GET /device` with the `user_code` while signed in before approving or denying")
	case d.userID != c.sess.userID:
		verb := "approve"
		if status == "denied" {
			verb = "deny"
		}
		return oauthError(http.StatusForbidden, "access_denied", "You are not authorized to "+verb+" this device authorization")
	}
	d.status = status
	return jsonResponse(http.StatusOK, obj{{"success", true}})
}

// POST /device/token {grant_type, device_code, client_id}: every OAuth
// answer, errors included, carries Cache-Control: no-store.
func (s *Server) deviceToken(c *call) response {
	if strField(c.body, "grant_type") != DeviceGrantType {
		return errorResponse(http.StatusBadRequest, `[body.grant_type] Invalid input: expected "`+DeviceGrantType+`"`, "VALIDATION_ERROR")
	}
	return noStore(s.deviceTokenAnswer(c))
}

func (s *Server) deviceTokenAnswer(c *call) response {
	d := s.devices[strField(c.body, "device_code")]
	if d == nil {
		return oauthError(http.StatusBadRequest, "invalid_grant", "Invalid device code")
	}
	if d.clientID != strField(c.body, "client_id") {
		return oauthError(http.StatusBadRequest, "invalid_grant", "Client ID mismatch")
	}
	if !d.lastPolled.IsZero() && c.now.Sub(d.lastPolled) < d.interval {
		return oauthError(http.StatusBadRequest, "slow_down", "Polling too frequently")
	}
	d.lastPolled = c.now
	switch {
	case d.expiresAt.Before(c.now):
		delete(s.devices, d.deviceCode)
		return oauthError(http.StatusBadRequest, "expired_token", "Device code has expired")
	case d.status == "pending":
		return oauthError(http.StatusBadRequest, "authorization_pending", "Authorization pending")
	case d.status == "denied":
		delete(s.devices, d.deviceCode)
		return oauthError(http.StatusBadRequest, "access_denied", "Access denied")
	}
	delete(s.devices, d.deviceCode)
	u := s.st.users[d.userID]
	if u == nil {
		return oauthError(http.StatusInternalServerError, "server_error", "User not found")
	}
	sess := s.newSession(u, c.r.UserAgent(), clientIP(c.r), false, c.now)
	return jsonResponse(http.StatusOK, obj{
		{"access_token", sess.token},
		{"token_type", "Bearer"},
		{"expires_in", int(sessionTTL / time.Second)},
		{"scope", d.scope},
	})
}

// ApproveDevice plays the browser side of the device flow without HTTP:
// the user of the session token (signed or not) claims and approves the
// user code, like GET /device?user_code= then POST /device/approve.
func (s *Server) ApproveDevice(token, userCode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, _ := s.lookupToken(token, true)
	if sess == nil {
		return ErrNoSession
	}
	d := s.byUserCode(userCode)
	switch {
	case d == nil:
		return errors.New("guapocadotest: ApproveDevice: invalid user code")
	case d.status != "pending" || d.userID != "" && d.userID != sess.userID:
		return errors.New("guapocadotest: ApproveDevice: the code was already processed or claimed by another user")
	case d.expiresAt.Before(s.Now()):
		return errors.New("guapocadotest: ApproveDevice: the code expired")
	}
	d.userID, d.status = sess.userID, "approved"
	return nil
}
