package guapocadotest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// Answers pinned on better-auth 1.7.25 (with the bearer and organization
// plugins), where the fake used to differ from it.

// TestKeepCurrentActiveOrganization: organization/create with
// keepCurrentActiveOrganization leaves the session billing its previous
// organization (and team).
func TestKeepCurrentActiveOrganization(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	sess := mustSession(t, srv)
	auth := bearerHdr(sess.Token)
	created := rawDo(t, srv, "POST", "/organization/create", `{"name":"Second","slug":"second-org","keepCurrentActiveOrganization":true}`, auth...)
	if created.Status != 200 {
		t.Fatalf("create: %d %s", created.Status, created.Body)
	}
	second := decodeObject(t, created.Body)["id"].(string)
	got := decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", auth...).Body)["session"].(map[string]any)
	if got["activeOrganizationId"] != sess.OrganizationID || got["activeTeamId"] != sess.TeamID {
		t.Errorf("after create with keepCurrentActiveOrganization: active %v / %v, want the first organization %s / team %s",
			got["activeOrganizationId"], got["activeTeamId"], sess.OrganizationID, sess.TeamID)
	}
	expectAnswer(t, "billing after create", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, auth...), 200,
		`{"customerId":"`+sess.CustomerID+`","allowed":true}`)

	// without it the new organization becomes active
	third := rawDo(t, srv, "POST", "/organization/create", `{"name":"Third","slug":"third-org","keepCurrentActiveOrganization":false}`, auth...)
	thirdID := decodeObject(t, third.Body)["id"].(string)
	got = decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", auth...).Body)["session"].(map[string]any)
	if got["activeOrganizationId"] != thirdID || thirdID == second {
		t.Errorf("after a plain create: active %v, want %s", got["activeOrganizationId"], thirdID)
	}
}

// TestEntryRateLimit: with the limiter on, sign-in and sign-up allow 3
// requests per 10 s per client address, whatever WithRateLimit's max.
func TestEntryRateLimit(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t, guapocadotest.WithRateLimit(100, 10*time.Second))
	srv.SetNow(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	bad := `{"email":"nobody@example.com","password":"wrong-password"}`
	xff := []string{"X-Forwarded-For", "203.0.113.7"}
	for i := 1; i <= 3; i++ {
		expectAnswer(t, "sign-in", rawDo(t, srv, "POST", "/sign-in/email", bad, xff...), 401,
			`{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)
	}
	srv.Advance(4 * time.Second)
	fourth := rawDo(t, srv, "POST", "/sign-in/email", bad, xff...)
	expectAnswer(t, "4th sign-in", fourth, 429, `{"message":"Too many requests. Please try again later."}`)
	if got := fourth.Header.Get("X-Retry-After"); got != "6" {
		t.Errorf("X-Retry-After %q, want 6", got)
	}
	// sign-up has its own bucket with the same rule
	for i := 1; i <= 3; i++ {
		rawDo(t, srv, "POST", "/sign-up/email", `{"email":"x","password":"password1234","name":"X"}`, xff...)
	}
	if got := rawDo(t, srv, "POST", "/sign-up/email", `{"email":"x","password":"password1234","name":"X"}`, xff...); got.Status != 429 {
		t.Errorf("4th sign-up: %d %s, want 429", got.Status, got.Body)
	}
	// other paths keep WithRateLimit's max
	for i := 0; i < 10; i++ {
		if got := rawDo(t, srv, "GET", "/get-session", "", xff...); got.Status != 200 {
			t.Fatalf("get-session #%d: %d", i+1, got.Status)
		}
	}
	srv.Advance(6 * time.Second)
	expectAnswer(t, "sign-in after the window", rawDo(t, srv, "POST", "/sign-in/email", bad, xff...), 401,
		`{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)
}

// TestRateLimitPerClientAddress: buckets are per client address and path;
// a list in X-Forwarded-For is no address (Better Auth trusts it only with
// trustedProxies), so such callers share the no-address bucket.
func TestRateLimitPerClientAddress(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t, guapocadotest.WithRateLimit(2, time.Minute))
	srv.SetNow(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	get := func(xff string) int {
		t.Helper()
		if xff == "" {
			return rawDo(t, srv, "GET", "/ok", "").Status
		}
		return rawDo(t, srv, "GET", "/ok", "", "X-Forwarded-For", xff).Status
	}
	for i, want := range []int{200, 200, 429} {
		if got := get("198.51.100.1"); got != want {
			t.Errorf("client A #%d: %d, want %d", i+1, got, want)
		}
	}
	if got := get("198.51.100.2"); got != 200 {
		t.Errorf("client B: %d, want 200 (its own bucket)", got)
	}
	if got := get("::ffff:198.51.100.2"); got != 200 {
		t.Errorf("client B as IPv4-mapped IPv6: %d, want 200 (the same bucket, second request)", got)
	}
	if got := get("::ffff:198.51.100.2"); got != 429 {
		t.Errorf("client B, 3rd: %d, want 429", got)
	}
	for i, want := range []int{200, 200, 429} {
		if got := get(""); got != want {
			t.Errorf("no address #%d: %d, want %d", i+1, got, want)
		}
	}
	if got := get("198.51.100.3, 10.0.0.1"); got != 429 {
		t.Errorf("a list: %d, want 429 (the shared no-address bucket)", got)
	}
}

// TestSessionIPAddress: session.ipAddress is the X-Forwarded-For address
// at sign-in, normalised as Better Auth does; "" without a usable one.
func TestSessionIPAddress(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	if _, err := srv.SignUp("ip@example.com", "password1234", "Ip"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ xff, want string }{
		{"203.0.113.9", "203.0.113.9"},
		{"::ffff:203.0.113.9", "203.0.113.9"},
		{"2001:DB8:1:2:3:4:5:6", "2001:0db8:0001:0002:0000:0000:0000:0000"},
		{"203.0.113.9, 10.0.0.1", ""},
		{"not-an-ip", ""},
		{"-", ""},
	} {
		in := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"ip@example.com","password":"password1234"}`, "X-Forwarded-For", c.xff)
		if in.Status != 200 {
			t.Fatalf("sign-in: %d %s", in.Status, in.Body)
		}
		sess := decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", bearerHdr(in.Header.Get("Set-Auth-Token"))...).Body)["session"].(map[string]any)
		if sess["ipAddress"] != c.want {
			t.Errorf("X-Forwarded-For %q: ipAddress %q, want %q", c.xff, sess["ipAddress"], c.want)
		}
	}
}

// TestSignUpInvalidEmail: sign-up validates the email in its body schema
// (zod's z.email()), so the answer is a VALIDATION_ERROR.
func TestSignUpInvalidEmail(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	for _, email := range []string{"nope", "a@b", ".a@example.com", "a..b@example.com", "a b@example.com"} {
		expectAnswer(t, "sign-up "+email, rawDo(t, srv, "POST", "/sign-up/email", `{"email":"`+email+`","password":"password1234","name":"N"}`), 400,
			`{"message":"[body.email] Invalid email address","code":"VALIDATION_ERROR"}`)
	}
	expectAnswer(t, "with another issue", rawDo(t, srv, "POST", "/sign-up/email", `{"email":"nope","password":"password1234"}`), 400,
		`{"message":"[body.name] Invalid input: expected string, received undefined; [body.email] Invalid email address","code":"VALIDATION_ERROR"}`)
	if _, err := srv.SignUp("nope", "password1234", "N"); err == nil || !strings.Contains(err.Error(), "Invalid email address") {
		t.Errorf("SignUp(nope): %v", err)
	}
	// sign-in keeps Better Auth's own check
	expectAnswer(t, "sign-in nope", rawDo(t, srv, "POST", "/sign-in/email", `{"email":"nope","password":"password1234"}`), 400,
		`{"message":"Invalid email","code":"INVALID_EMAIL"}`)
}

// TestDeadSessionClearsCookies: an unknown, revoked or signed-out session
// token gets Better Auth's three expired cookies, on every kind of answer,
// with the server's prefix and attributes.
func TestDeadSessionClearsCookies(t *testing.T) {
	t.Parallel()
	for _, https := range []bool{false, true} {
		var opts []guapocadotest.Option
		prefix, attrs := "better-auth.", "; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
		if https {
			opts = append(opts, guapocadotest.WithHTTPS())
			prefix, attrs = "__Secure-better-auth.", "; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax"
		}
		srv := guapocadotest.New(t, opts...)
		want := strings.Join([]string{prefix + "session_token=" + attrs, prefix + "session_data=" + attrs, prefix + "dont_remember=" + attrs}, "\n")
		sess := mustSession(t, srv)
		if got := rawDo(t, srv, "POST", "/sign-out", "", bearerHdr(sess.Token)...); got.Status != 200 {
			t.Fatalf("sign-out: %d", got.Status)
		}
		for _, c := range []struct {
			what, method, path, body string
			status                   int
			answer                   string
			hdr                      []string
		}{
			{"signed-out, has", "POST", "/guapocado/has", `{"key":"csv-export"}`, 401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`, bearerHdr(sess.Token)},
			{"signed-out, get-session", "GET", "/get-session", "", 200, "null", bearerHdr(sess.Token)},
			{"signed-out, organization/create", "POST", "/organization/create", `{"name":"x","slug":"x"}`, 401, "", bearerHdr(sess.Token)},
			{"unknown unsigned bearer", "POST", "/guapocado/has", `{"key":"csv-export"}`, 401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`, bearerHdr("unknownunknownunknownunknown1234")},
			{"no session, sign-out", "POST", "/sign-out", "", 200, `{"success":true}`, nil},
		} {
			got := rawDo(t, srv, c.method, c.path, c.body, c.hdr...)
			expectAnswer(t, c.what, got, c.status, c.answer)
			if cookies := strings.Join(got.Header.Values("Set-Cookie"), "\n"); cookies != want {
				t.Errorf("https %t, %s: Set-Cookie\n%s\nwant\n%s", https, c.what, cookies, want)
			}
		}
		// a token with a bad signature is no token: nothing to clear
		bad := rawDo(t, srv, "GET", "/get-session", "", "Cookie", prefix+"session_token=abc.def")
		if bad.Status != 200 || bad.Body != "null" || len(bad.Header.Values("Set-Cookie")) != 0 {
			t.Errorf("badly signed cookie: %d %s %q", bad.Status, bad.Body, bad.Header.Values("Set-Cookie"))
		}
	}
}

// TestKeyKinds: every key has one kind; a meter key on the limit endpoints,
// a limit or feature key on the usage endpoints, and such keys in a
// snapshot's usage or limits are refused with the platform's 400, which the
// plugin passes on as {"message"} and the platform API answers as
// {"error"}. has answers for every kind.
func TestKeyKinds(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	sess := mustSession(t, srv)
	auth := bearerHdr(sess.Token)
	notMeter := func(k string) string { return `{"message":"Entitlement ` + k + ` is not a usage meter"}` }
	notLimit := func(k string) string { return `{"message":"Entitlement ` + k + ` is not a limit"}` }
	for _, c := range []struct{ path, body, answer string }{
		{"/guapocado/usage/consume", `{"key":"seats"}`, notMeter("seats")},
		{"/guapocado/usage/refund", `{"key":"seats"}`, notMeter("seats")},
		{"/guapocado/usage/balance", `{"key":"csv-export"}`, notMeter("csv-export")},
		{"/guapocado/usage/settings", `{"key":"projects","overageEnabled":true}`, notMeter("projects")},
		{"/guapocado/limit", `{"key":"api-calls"}`, notLimit("api-calls")},
		{"/guapocado/limit/settings", `{"key":"ai-credits","purchased":0}`, notLimit("ai-credits")},
		{"/guapocado/context", `{"usage":["api-calls","seats"]}`, notMeter("seats")},
		{"/guapocado/context", `{"limits":["api-calls"]}`, notLimit("api-calls")},
	} {
		expectAnswer(t, c.path+" "+c.body, rawDo(t, srv, "POST", c.path, c.body, auth...), 400, c.answer)
	}
	if u, err := srv.Usage(sess.CustomerID, "seats"); err != nil || u.Consumed != 0 {
		t.Errorf("seats after the refused consume: %+v, %v", u, err)
	}
	expectAnswer(t, "has on a limit", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"seats"}`, auth...), 200, `{"customerId":"`+sess.CustomerID+`","allowed":true}`)
	ctx := decodeObject(t, rawDo(t, srv, "POST", "/guapocado/context", `{"features":["csv-export","seats","api-calls","nope"],"usage":["api-calls","nope"],"limits":["seats"],"includePlans":false}`, auth...).Body)
	if f := ctx["features"].(map[string]any); f["csv-export"] != true || f["seats"] != true || f["api-calls"] != true || f["nope"] != false {
		t.Errorf("context features: %v", f)
	}
	if len(ctx["usage"].(map[string]any)) != 1 || len(ctx["limits"].(map[string]any)) != 1 {
		t.Errorf("context usage %v limits %v", ctx["usage"], ctx["limits"])
	}

	// has on a meter follows its balance
	expectAnswer(t, "consume all", rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"ai-credits","amount":10}`, auth...), 200,
		`{"customerId":"`+sess.CustomerID+`","balance":0,"included":10,"consumed":10,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}`)
	expectAnswer(t, "has on an empty meter", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"ai-credits"}`, auth...), 200, `{"customerId":"`+sess.CustomerID+`","allowed":false}`)

	// the platform API applies the same rule
	api := []string{"X-Guapocado-Key", srv.APIKey()}
	expectAnswer(t, "platform consume of a limit", rawDo(t, srv, "POST", "/v1/usage/seats/consume", `{"customerId":"`+sess.CustomerID+`","amount":1}`, api...), 400,
		`{"error":"Entitlement seats is not a usage meter"}`)
	expectAnswer(t, "platform limit of a meter", rawDo(t, srv, "GET", "/v1/entitlements/api-calls/limit?customerId="+sess.CustomerID, "", api...), 400,
		`{"error":"Entitlement api-calls is not a limit"}`)
	expectAnswer(t, "platform context", rawDo(t, srv, "POST", "/v1/context", `{"customer":{"id":"`+sess.CustomerID+`"},"limits":["ai-credits"]}`, api...), 400,
		`{"error":"Entitlement ai-credits is not a limit"}`)
}

// TestKeyKindOptions: WithLimit makes a numeric key a limit; a key given
// two kinds is a configuration error.
func TestKeyKindOptions(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t,
		guapocadotest.WithPlans(guapocadotest.Plan{Key: "basic", Allowances: map[string]guapocadotest.Allowance{
			"builds": {Included: 5}, "members": {Included: 2},
		}}),
		guapocadotest.WithLimit("members"))
	auth := bearerHdr(mustSession(t, srv).Token)
	if got := rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"builds"}`, auth...); got.Status != 200 {
		t.Errorf("consume builds (a meter by default): %d %s", got.Status, got.Body)
	}
	expectAnswer(t, "consume members", rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"members"}`, auth...), 400,
		`{"message":"Entitlement members is not a usage meter"}`)
	if got := rawDo(t, srv, "POST", "/guapocado/limit", `{"key":"members"}`, auth...); got.Status != 200 {
		t.Errorf("limit members: %d %s", got.Status, got.Body)
	}

	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "seats has two kinds") {
			t.Errorf("WithMeter on a limit: recovered %v", r)
		}
	}()
	guapocadotest.NewServer(guapocadotest.WithMeter("seats", false)).Close()
}

// TestAutoExpansionNeedsExpansion: auto-expansion, like buying more, needs a
// plan that allows expanding the limit; switching it off always passes.
func TestAutoExpansionNeedsExpansion(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	sess := mustSession(t, srv)
	auth := bearerHdr(sess.Token)
	expectAnswer(t, "on, free plan", rawDo(t, srv, "POST", "/guapocado/limit/settings", `{"key":"seats","autoExpansionEnabled":true}`, auth...), 400,
		`{"message":"Limit expansion is not allowed for seats on this plan"}`)
	expectAnswer(t, "off, free plan", rawDo(t, srv, "POST", "/guapocado/limit/settings", `{"key":"seats","autoExpansionEnabled":false}`, auth...), 200,
		`{"customerId":"`+sess.CustomerID+`","limit":3,"included":3,"purchased":0,"expansionAllowed":false,"autoExpansionEnabled":false}`)
	expectAnswer(t, "platform, free plan", rawDo(t, srv, "POST", "/v1/entitlements/seats/limit/settings", `{"customerId":"`+sess.CustomerID+`","autoExpansionEnabled":true}`, "X-Guapocado-Key", srv.APIKey()), 400,
		`{"error":"Limit expansion is not allowed for seats on this plan"}`)
	if err := srv.SetPlan(sess.CustomerID, "pro"); err != nil {
		t.Fatal(err)
	}
	expectAnswer(t, "on, pro plan", rawDo(t, srv, "POST", "/guapocado/limit/settings", `{"key":"seats","autoExpansionEnabled":true}`, auth...), 200,
		`{"customerId":"`+sess.CustomerID+`","limit":10,"included":10,"purchased":0,"expansionAllowed":true,"autoExpansionEnabled":true}`)
}

// TestCheckoutCustomPricing: a product with custom pricing ("contact
// sales", no price) cannot be bought through checkout.
func TestCheckoutCustomPricing(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	sess := mustSession(t, srv)
	urls := `"successUrl":"https://app.example/ok","cancelUrl":"https://app.example/no"`
	expectAnswer(t, "enterprise", rawDo(t, srv, "POST", "/guapocado/checkout", `{"productKey":"enterprise",`+urls+`}`, bearerHdr(sess.Token)...), 400,
		`{"message":"Product enterprise is not available for checkout"}`)
	expectAnswer(t, "platform, enterprise", rawDo(t, srv, "POST", "/v1/checkout", `{"customerId":"`+sess.CustomerID+`","productKey":"enterprise",`+urls+`}`, "X-Guapocado-Key", srv.APIKey()), 400,
		`{"error":"Product enterprise is not available for checkout"}`)
	if got := rawDo(t, srv, "POST", "/guapocado/checkout", `{"productKey":"pro",`+urls+`}`, bearerHdr(sess.Token)...); got.Status != 200 {
		t.Errorf("pro: %d %s", got.Status, got.Body)
	}
}

// TestSignInCallbackLocation: sign-in with a callbackURL still answers 200,
// with the URL in the body and in Location.
func TestSignInCallbackLocation(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	if _, err := srv.SignUp("cb@example.com", "password1234", "Cb"); err != nil {
		t.Fatal(err)
	}
	got := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"cb@example.com","password":"password1234","callbackURL":"/dashboard"}`)
	if got.Status != 200 || got.Header.Get("Location") != "/dashboard" || !strings.Contains(got.Body, `"redirect":true`) {
		t.Errorf("sign-in with callbackURL: %d, Location %q, %s", got.Status, got.Header.Get("Location"), got.Body)
	}
	if got := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"cb@example.com","password":"password1234"}`); got.Header.Get("Location") != "" {
		t.Errorf("sign-in without callbackURL: Location %q", got.Header.Get("Location"))
	}
}

// TestSetActiveKeepsTeam: set-active changes the active organization only;
// a refusal (not a member) clears it; create-team in someone else's
// organization is refused as Better Auth refuses it.
func TestSetActiveKeepsTeam(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	alice := mustSession(t, srv)
	bob := mustSession(t, srv)
	auth := bearerHdr(alice.Token)
	beta := decodeObject(t, rawDo(t, srv, "POST", "/organization/create", `{"name":"Beta","slug":"beta-keep","keepCurrentActiveOrganization":true}`, auth...).Body)["id"].(string)
	if got := rawDo(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+beta+`"}`, auth...); got.Status != 200 {
		t.Fatalf("set-active: %d %s", got.Status, got.Body)
	}
	sess := decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", auth...).Body)["session"].(map[string]any)
	if sess["activeOrganizationId"] != beta || sess["activeTeamId"] != alice.TeamID {
		t.Errorf("after set-active: organization %v team %v, want %s and the team kept (%s)", sess["activeOrganizationId"], sess["activeTeamId"], beta, alice.TeamID)
	}
	expectAnswer(t, "set-active, not a member", rawDo(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+alice.OrganizationID+`"}`, bearerHdr(bob.Token)...), 403,
		`{"message":"User is not a member of the organization","code":"USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"}`)
	expectAnswer(t, "bob after the refusal", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(bob.Token)...), 401, `{"message":"Sign in first"}`)
	expectAnswer(t, "create-team elsewhere", rawDo(t, srv, "POST", "/organization/create-team", `{"name":"X","organizationId":"`+alice.OrganizationID+`"}`, bearerHdr(bob.Token)...), 403,
		`{"message":"You are not allowed to invite users to this organization","code":"YOU_ARE_NOT_ALLOWED_TO_INVITE_USERS_TO_THIS_ORGANIZATION"}`)
}

// TestSessionRefresh: a session looked up a day or more after its expiry
// was set is moved on, and the answer carries its cookie and token again;
// a not-remembered session (one day) is refreshed on its first use without
// the dont_remember cookie, not with it.
func TestSessionRefresh(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	srv.SetNow(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	if _, err := srv.SignUp("fresh@example.com", "password1234", "F"); err != nil {
		t.Fatal(err)
	}
	in := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"fresh@example.com","password":"password1234","rememberMe":false}`)
	tok := in.Header.Get("Set-Auth-Token")
	var dontRemember string
	for _, c := range in.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "better-auth.dont_remember=") {
			dontRemember = strings.SplitN(c, ";", 2)[0]
		}
	}
	if dontRemember == "" {
		t.Fatalf("sign-in with rememberMe false set no dont_remember cookie: %q", in.Header.Values("Set-Cookie"))
	}
	withCookie := rawDo(t, srv, "GET", "/get-session", "", "Cookie", sessionCookieHdr(tok)+"; "+dontRemember)
	if withCookie.Header.Get("Set-Auth-Token") != "" || !strings.Contains(withCookie.Body, `"expiresAt":"2026-12-02T12:00:00.000Z"`) {
		t.Errorf("with dont_remember: set-auth-token %t, %s", withCookie.Header.Get("Set-Auth-Token") != "", withCookie.Body)
	}
	bearer := rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(tok)...)
	if bearer.Status != 401 || bearer.Header.Get("Set-Auth-Token") == "" || !strings.Contains(strings.Join(bearer.Header.Values("Set-Cookie"), "\n"), "Max-Age=604800") {
		t.Errorf("first use by bearer: %d, set-auth-token %t, cookies %q", bearer.Status, bearer.Header.Get("Set-Auth-Token") != "", bearer.Header.Values("Set-Cookie"))
	}
	if again := rawDo(t, srv, "GET", "/get-session", "", bearerHdr(tok)...); again.Header.Get("Set-Auth-Token") != "" || !strings.Contains(again.Body, `"expiresAt":"2026-12-08T12:00:00.000Z"`) {
		t.Errorf("after the refresh: set-auth-token %t, %s", again.Header.Get("Set-Auth-Token") != "", again.Body)
	}
	srv.Advance(24 * time.Hour)
	if later := rawDo(t, srv, "GET", "/get-session", "", bearerHdr(tok)...); later.Header.Get("Set-Auth-Token") == "" || !strings.Contains(later.Body, `"expiresAt":"2026-12-09T12:00:00.000Z"`) {
		t.Errorf("a day later: set-auth-token %t, %s", later.Header.Get("Set-Auth-Token") != "", later.Body)
	}
}
