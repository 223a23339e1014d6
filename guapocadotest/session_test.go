package guapocadotest_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// signedToken is the shape of a Better Auth signed session token.
var signedToken = regexp.MustCompile(`^([A-Za-z0-9]{32})\.[A-Za-z0-9+/]{43}=$`)

// cookieEncode is encodeURIComponent for a signed token.
func cookieEncode(v string) string { return url.QueryEscape(v) }

// checkSessionHeaders checks what Better Auth sends when it sets the session
// cookie, and returns the signed token.
func checkSessionHeaders(t *testing.T, what string, got exch, cookie string, maxAge bool, secure bool) string {
	t.Helper()
	tok := got.Header.Get("Set-Auth-Token")
	if !signedToken.MatchString(tok) {
		t.Fatalf("%s: set-auth-token %q is not <32 chars>.<base64 sha256>", what, tok)
	}
	if v := got.Header.Get("Access-Control-Expose-Headers"); v != "set-auth-token" {
		t.Errorf("%s: access-control-expose-headers %q", what, v)
	}
	attrs := "Path=/; HttpOnly; SameSite=Lax"
	if secure {
		attrs = "Path=/; HttpOnly; Secure; SameSite=Lax"
	}
	if maxAge {
		attrs = "Max-Age=604800; " + attrs
	}
	want := cookie + "=" + cookieEncode(tok) + "; " + attrs
	if c := got.Header.Values("Set-Cookie"); len(c) == 0 || c[0] != want {
		t.Errorf("%s: set-cookie %q, want %q", what, c, want)
	}
	return tok
}

// TestSignUpSignInSession follows transcripts.md §1.
func TestSignUpSignInSession(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	alice := `{"email":"alice@example.com","password":"password1234","name":"Alice"}`

	// 1.1 sign-up
	up := send(t, srv, "POST", "/sign-up/email", alice)
	if up.Status != 200 {
		t.Fatalf("sign-up: %d %s", up.Status, up.Body)
	}
	tok := checkSessionHeaders(t, "sign-up", up, "better-auth.session_token", true, false)
	m := decode(t, up.Body)
	user, _ := m["user"].(map[string]any)
	if m["token"] != signedToken.FindStringSubmatch(tok)[1] || user["name"] != "Alice" || user["email"] != "alice@example.com" ||
		user["emailVerified"] != false || len(user["id"].(string)) != 32 || user["createdAt"] == nil {
		t.Errorf("sign-up body: %s", up.Body)
	}
	userID := user["id"].(string)

	// 1.2 sign-up again
	check(t, "sign-up again", send(t, srv, "POST", "/sign-up/email", alice), 422,
		`{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}`)

	// 1.3 sign-in
	in := send(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234"}`)
	tok = checkSessionHeaders(t, "sign-in", in, "better-auth.session_token", true, false)
	m = decode(t, in.Body)
	if in.Status != 200 || m["redirect"] != false || m["token"] != signedToken.FindStringSubmatch(tok)[1] || m["user"].(map[string]any)["id"] != userID {
		t.Errorf("sign-in: %d %s", in.Status, in.Body)
	}
	if !strings.HasPrefix(in.Body, `{"redirect":false,"token":"`) {
		t.Errorf("sign-in member order: %s", in.Body)
	}

	// 1.4 wrong password
	check(t, "sign-in, wrong password", send(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"wrong-password"}`), 401,
		`{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)
	check(t, "sign-in, unknown user", send(t, srv, "POST", "/sign-in/email", `{"email":"nobody@example.com","password":"password1234"}`), 401,
		`{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)

	// 1.5 rememberMe:false
	nr := send(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234","rememberMe":false}`)
	checkSessionHeaders(t, "rememberMe:false", nr, "better-auth.session_token", false, false)
	if c := nr.Header.Values("Set-Cookie"); len(c) != 2 || !strings.HasPrefix(c[1], "better-auth.dont_remember=true.") ||
		!strings.HasSuffix(c[1], "; Path=/; HttpOnly; SameSite=Lax") {
		t.Errorf("rememberMe:false cookies: %q", c)
	}

	// 1.6 / 1.7 and the other bearer forms
	id := signedToken.FindStringSubmatch(tok)[1]
	tampered := tok[:len(tok)-5] + "AAAA="
	for _, c := range []struct {
		name string
		hdr  []string
		ok   bool
	}{
		{"cookie", []string{"Cookie", sessionCookie(tok)}, true},
		{"Bearer <set-auth-token>", bearer(tok), true},
		{"Bearer = body token (unsigned)", bearer(id), true},
		{"Bearer = URL-encoded cookie value", bearer(cookieEncode(tok)), true},
		{"lower-case scheme bearer", []string{"Authorization", "bearer " + tok}, true},
		{"Bearer garbage", bearer("garbage"), false},
		{"Bearer with tampered signature", bearer(tampered), false},
		{"no credentials", nil, false},
		{"cookie value = unsigned token", []string{"Cookie", "better-auth.session_token=" + id}, false},
		{"cookie with tampered signature", []string{"Cookie", sessionCookie(tampered)}, false},
		{"cookie under another name", []string{"Cookie", "other.session_token=" + cookieEncode(tok)}, false},
	} {
		got := send(t, srv, "GET", "/get-session", "", c.hdr...)
		if !c.ok {
			check(t, c.name, got, 200, "null")
			continue
		}
		m := decode(t, got.Body)
		s, _ := m["session"].(map[string]any)
		u, _ := m["user"].(map[string]any)
		if got.Status != 200 || s["token"] != id || s["userId"] != userID || u["email"] != "alice@example.com" || len(s["id"].(string)) != 32 {
			t.Errorf("%s: %d %s", c.name, got.Status, got.Body)
		}
		if _, has := s["activeOrganizationId"]; has {
			t.Errorf("%s: a fresh session has an active organization: %s", c.name, got.Body)
		}
		if got.Header.Get("Cache-Control") != "no-store" || got.Header.Get("Pragma") != "no-cache" {
			t.Errorf("%s: headers %v", c.name, got.Header)
		}
	}

	// 1.8 / 1.9 sign-out with Bearer, then the token is dead
	deleted := []string{
		"better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
		"better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
		"better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax",
	}
	out := send(t, srv, "POST", "/sign-out", "", bearer(tok)...)
	check(t, "sign-out", out, 200, `{"success":true}`)
	if strings.Join(out.Header.Values("Set-Cookie"), "\n") != strings.Join(deleted, "\n") {
		t.Errorf("sign-out cookies: %q", out.Header.Values("Set-Cookie"))
	}
	after := send(t, srv, "GET", "/get-session", "", bearer(tok)...)
	check(t, "signed-out token", after, 200, "null")
	if strings.Join(after.Header.Values("Set-Cookie"), "\n") != strings.Join(deleted, "\n") {
		t.Errorf("signed-out token cookies: %q", after.Header.Values("Set-Cookie"))
	}
	check(t, "guapocado with a signed-out token", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearer(tok)...), 401,
		`{"message":"Unauthorized","code":"UNAUTHORIZED"}`)
	check(t, "sign-out again", send(t, srv, "POST", "/sign-out", "", bearer(tok)...), 400,
		`{"message":"Failed to get session","code":"FAILED_TO_GET_SESSION"}`)

	// 1.10 sign-out with Bearer and body {}
	in = send(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234"}`)
	check(t, "sign-out with {}", send(t, srv, "POST", "/sign-out", "{}", bearer(in.Header.Get("Set-Auth-Token"))...), 200, `{"success":true}`)

	// Better Auth's own validation
	check(t, "sign-up, invalid email", send(t, srv, "POST", "/sign-up/email", `{"email":"nope","password":"password1234","name":"N"}`), 400,
		`{"message":"Invalid email","code":"INVALID_EMAIL"}`)
	check(t, "sign-up, short password", send(t, srv, "POST", "/sign-up/email", `{"email":"bob@example.com","password":"short","name":"Bob"}`), 400,
		`{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}`)
	check(t, "sign-up, no name", send(t, srv, "POST", "/sign-up/email", `{"email":"bob@example.com","password":"password1234"}`), 400,
		`{"message":"[body.name] Invalid input: expected string, received undefined","code":"VALIDATION_ERROR"}`)
}

// TestHTTPSBaseURL follows transcripts.md §1c.
func TestHTTPSBaseURL(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithHTTPS())
	defer srv.Close()
	if !strings.HasPrefix(srv.BaseURL(), "https://127.0.0.1:") || strings.TrimPrefix(srv.BaseURL(), "https") != strings.TrimPrefix(srv.URL, "http") {
		t.Fatalf("BaseURL %q for URL %q", srv.BaseURL(), srv.URL)
	}
	up := send(t, srv, "POST", "/sign-up/email", `{"email":"sam@example.com","password":"password1234","name":"Sam"}`)
	tok := checkSessionHeaders(t, "sign-up", up, "__Secure-better-auth.session_token", true, true)
	in := send(t, srv, "POST", "/sign-in/email", `{"email":"sam@example.com","password":"password1234","rememberMe":false}`)
	checkSessionHeaders(t, "sign-in rememberMe:false", in, "__Secure-better-auth.session_token", false, true)
	if c := in.Header.Values("Set-Cookie"); len(c) != 2 || !strings.HasPrefix(c[1], "__Secure-better-auth.dont_remember=true.") ||
		!strings.HasSuffix(c[1], "; Path=/; HttpOnly; Secure; SameSite=Lax") {
		t.Errorf("dont_remember cookie: %q", c)
	}

	secure := "__Secure-better-auth.session_token=" + cookieEncode(tok)
	plain := "better-auth.session_token=" + cookieEncode(tok)
	if got := send(t, srv, "GET", "/get-session", "", "Cookie", secure); got.Status != 200 || got.Body == "null" {
		t.Errorf("get-session, __Secure- cookie: %d %s", got.Status, got.Body)
	}
	check(t, "get-session, unprefixed cookie", send(t, srv, "GET", "/get-session", "", "Cookie", plain), 200, "null")
	if got := send(t, srv, "GET", "/get-session", "", bearer(tok)...); got.Status != 200 || got.Body == "null" {
		t.Errorf("get-session, Bearer: %d %s", got.Status, got.Body)
	}
	org := send(t, srv, "POST", "/organization/create", `{"name":"SecureCo","slug":"secureco"}`, "Cookie", secure, "Origin", srv.BaseURL())
	if org.Status != 200 {
		t.Fatalf("organization/create: %d %s", org.Status, org.Body)
	}
	orgID := decode(t, org.Body)["id"].(string)
	ok := `{"customerId":"` + orgID + `","allowed":true}`
	check(t, "has, cookie, Origin http (scheme differs)", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", secure, "Origin", srv.URL), 403, invalidOrigin)
	check(t, "has, cookie, Origin https", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", secure, "Origin", srv.BaseURL()), 200, ok)
	check(t, "has, Bearer, no Origin", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearer(tok)...), 200, ok)
	out := send(t, srv, "POST", "/sign-out", "", bearer(tok)...)
	if c := out.Header.Values("Set-Cookie"); len(c) != 3 || c[0] != "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax" {
		t.Errorf("sign-out cookies: %q", c)
	}
}

// TestCookiePrefix checks WithCookiePrefix.
func TestCookiePrefix(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithCookiePrefix("myapp"))
	defer srv.Close()
	up := send(t, srv, "POST", "/sign-up/email", `{"email":"p@example.com","password":"password1234","name":"P"}`)
	tok := checkSessionHeaders(t, "sign-up", up, "myapp.session_token", true, false)
	if got := send(t, srv, "GET", "/get-session", "", "Cookie", "myapp.session_token="+cookieEncode(tok)); got.Body == "null" {
		t.Error("the prefixed cookie is not accepted")
	}
	check(t, "default name ignored", send(t, srv, "GET", "/get-session", "", "Cookie", sessionCookie(tok)), 200, "null")
}

// TestOrganizationsAndTeams follows transcripts.md §2.
func TestOrganizationsAndTeams(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	alice, err := srv.SignUp("alice@example.com", "password1234", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	auth := bearer(alice.Token)
	if alice.OrganizationID != "" || alice.CustomerID != "" {
		t.Fatalf("a fresh sign-up has an organization: %+v", alice)
	}
	check(t, "has before any organization", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, auth...), 401, `{"message":"Sign in first"}`)
	check(t, "GET customer before any organization", send(t, srv, "GET", "/guapocado/customer", "", auth...), 200, "null")
	if got := send(t, srv, "GET", "/guapocado/plans", "", auth...); got.Status != 200 {
		t.Errorf("plans need a session, not a customer: %d %s", got.Status, got.Body)
	}

	// 2.1 create: active organization and default team
	acme := send(t, srv, "POST", "/organization/create", `{"name":"Acme","slug":"acme"}`, auth...)
	m := decode(t, acme.Body)
	acmeID, _ := m["id"].(string)
	members, _ := m["members"].([]any)
	if acme.Status != 200 || m["name"] != "Acme" || m["slug"] != "acme" || len(acmeID) != 32 || len(members) != 1 ||
		members[0].(map[string]any)["role"] != "owner" || members[0].(map[string]any)["userId"] != alice.UserID {
		t.Fatalf("organization/create: %d %s", acme.Status, acme.Body)
	}
	if acme.Header.Get("Set-Auth-Token") != "" || len(acme.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("organization/create set the session cookie: %v", acme.Header)
	}
	check(t, "slug taken", send(t, srv, "POST", "/organization/create", `{"name":"Acme 2","slug":"acme"}`, auth...), 400,
		`{"message":"Organization already exists","code":"ORGANIZATION_ALREADY_EXISTS"}`)

	// 2.2 get-session after create
	sess := decode(t, send(t, srv, "GET", "/get-session", "", auth...).Body)["session"].(map[string]any)
	defaultTeam, _ := sess["activeTeamId"].(string)
	if sess["activeOrganizationId"] != acmeID || len(defaultTeam) != 32 {
		t.Fatalf("get-session after create: %v", sess)
	}

	// 2.3 a second organization becomes active
	beta := decode(t, send(t, srv, "POST", "/organization/create", `{"name":"Beta","slug":"beta"}`, auth...).Body)
	check(t, "customer after second create", send(t, srv, "GET", "/guapocado/customer", "", auth...), 200, `{"customerId":"`+beta["id"].(string)+`"}`)
	list := send(t, srv, "GET", "/organization/list", "", auth...)
	acmeJSON := `{"name":"Acme","slug":"acme","createdAt":"` + m["createdAt"].(string) + `","id":"` + acmeID + `"}`
	if list.Status != 200 || !strings.HasPrefix(list.Body, "["+acmeJSON+",{\"name\":\"Beta\"") {
		t.Errorf("organization/list: %s", list.Body)
	}

	// 2.4 set active organization by id
	set := send(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+acmeID+`"}`, auth...)
	check(t, "set-active by id", set, 200, acmeJSON)
	if set.Header.Get("Set-Auth-Token") != alice.Token || set.Header.Get("Access-Control-Expose-Headers") != "set-auth-token" {
		t.Errorf("set-active headers: %v", set.Header)
	}

	// 2.5 - 2.8 teams
	team := send(t, srv, "POST", "/organization/create-team", `{"name":"Platform"}`, auth...)
	tm := decode(t, team.Body)
	teamID, _ := tm["id"].(string)
	if team.Status != 200 || tm["name"] != "Platform" || tm["organizationId"] != acmeID || tm["updatedAt"] == nil || len(teamID) != 32 {
		t.Fatalf("create-team: %d %s", team.Status, team.Body)
	}
	check(t, "set-active-team before being a member", send(t, srv, "POST", "/organization/set-active-team", `{"teamId":"`+teamID+`"}`, auth...), 403,
		`{"message":"User is not a member of the team","code":"USER_IS_NOT_A_MEMBER_OF_THE_TEAM"}`)
	add := send(t, srv, "POST", "/organization/add-team-member", `{"teamId":"`+teamID+`","userId":"`+alice.UserID+`"}`, auth...)
	if am := decode(t, add.Body); add.Status != 200 || am["teamId"] != teamID || am["userId"] != alice.UserID {
		t.Errorf("add-team-member: %d %s", add.Status, add.Body)
	}
	st := send(t, srv, "POST", "/organization/set-active-team", `{"teamId":"`+teamID+`"}`, auth...)
	check(t, "set-active-team", st, 200, team.Body)
	if st.Header.Get("Set-Auth-Token") != alice.Token {
		t.Errorf("set-active-team set-auth-token %q", st.Header.Get("Set-Auth-Token"))
	}

	// 2.9 list teams: the default team has no updatedAt
	teams := send(t, srv, "GET", "/organization/list-teams", "", auth...)
	if !strings.HasPrefix(teams.Body, `[{"name":"Acme","organizationId":"`+acmeID+`","createdAt":"`) ||
		!strings.Contains(teams.Body, `"id":"`+defaultTeam+`"},`+team.Body+"]") {
		t.Errorf("list-teams: %s", teams.Body)
	}

	// the rows after 2.9
	set = send(t, srv, "POST", "/organization/set-active", `{"organizationSlug":"beta"}`, auth...)
	if set.Status != 200 || decode(t, set.Body)["id"] != beta["id"] || set.Header.Get("Set-Auth-Token") == "" {
		t.Errorf("set-active by slug: %d %s", set.Status, set.Body)
	}
	nt := send(t, srv, "POST", "/organization/set-active-team", `{"teamId":null}`, auth...)
	check(t, "set-active-team null", nt, 200, "null")
	if nt.Header.Get("Set-Auth-Token") == "" {
		t.Error("set-active-team null: no set-auth-token")
	}
	check(t, "set-active null", send(t, srv, "POST", "/organization/set-active", `{"organizationId":null}`, auth...), 200, "null")
	sess = decode(t, send(t, srv, "GET", "/get-session", "", auth...).Body)["session"].(map[string]any)
	if sess["activeOrganizationId"] != nil || sess["activeTeamId"] != nil {
		t.Errorf("set-active null left %v / %v", sess["activeOrganizationId"], sess["activeTeamId"])
	}
	check(t, "guapocado/has with no active organization", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, auth...), 401, `{"message":"Sign in first"}`)
	check(t, "GET guapocado/customer with no active organization", send(t, srv, "GET", "/guapocado/customer", "", auth...), 200, "null")
	check(t, "set-active unknown org id", send(t, srv, "POST", "/organization/set-active", `{"organizationId":"does-not-exist"}`, auth...), 403,
		`{"message":"User is not a member of the organization","code":"USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"}`)
	check(t, "set-active Acme again", send(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+acmeID+`"}`, auth...), 200, acmeJSON)

	// another user's organization is refused
	bob := newSession(t, srv)
	check(t, "set-active someone else's org", send(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+bob.OrganizationID+`"}`, auth...), 403,
		`{"message":"User is not a member of the organization","code":"USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"}`)

	// a brand-new sign-in starts with no active organization
	in := send(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234"}`)
	fresh := bearer(in.Header.Get("Set-Auth-Token"))
	s2 := decode(t, send(t, srv, "GET", "/get-session", "", fresh...).Body)["session"].(map[string]any)
	if s2["activeOrganizationId"] != nil {
		t.Errorf("new session has an active organization: %v", s2)
	}
	check(t, "guapocado/has on the new session", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, fresh...), 401, `{"message":"Sign in first"}`)
}

// TestCustomerSources follows transcripts.md §8 and §8b.
func TestCustomerSources(t *testing.T) {
	t.Parallel()
	t.Run("user", func(t *testing.T) {
		t.Parallel()
		srv := guapocadotest.NewServer(guapocadotest.WithCustomerSource("user"))
		defer srv.Close()
		srv.SetNow(transcriptNow)
		uma, err := srv.SignUp("uma@example.com", "password1234", "Uma")
		if err != nil {
			t.Fatal(err)
		}
		if uma.CustomerID != uma.UserID {
			t.Errorf("CustomerID %q, want the user id %q", uma.CustomerID, uma.UserID)
		}
		check(t, "8.1 customer", send(t, srv, "POST", "/guapocado/customer", "{}", bearer(uma.Token)...), 200,
			`{"customerId":"`+uma.UserID+`","customer":{"id":"`+uma.UserID+`","name":"Uma","email":"uma@example.com"}}`)
		check(t, "8.2 consume", send(t, srv, "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":2}`, bearer(uma.Token)...), 200,
			`{"customerId":"`+uma.UserID+`","balance":98,"included":100,"consumed":2,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"}`)
	})
	t.Run("team", func(t *testing.T) {
		t.Parallel()
		srv := guapocadotest.NewServer(guapocadotest.WithCustomerSource("team"))
		defer srv.Close()
		s, err := srv.SignUp("tess@example.com", "password1234", "Tess")
		if err != nil {
			t.Fatal(err)
		}
		check(t, "has, no org/team yet", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearer(s.Token)...), 401, `{"message":"Sign in first"}`)
		if got := send(t, srv, "POST", "/organization/create", `{"name":"TeamCo","slug":"teamco"}`, bearer(s.Token)...); got.Status != 200 {
			t.Fatalf("create: %d %s", got.Status, got.Body)
		}
		team := decode(t, send(t, srv, "GET", "/get-session", "", bearer(s.Token)...).Body)["session"].(map[string]any)["activeTeamId"].(string)
		check(t, "has = activeTeamId", send(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearer(s.Token)...), 200,
			`{"customerId":"`+team+`","allowed":true}`)
		if ns := newSession(t, srv); ns.CustomerID != ns.TeamID || ns.TeamID == "" {
			t.Errorf("NewSession under team source: %+v", ns)
		}
	})
	t.Run("organization (default)", func(t *testing.T) {
		t.Parallel()
		srv := guapocadotest.NewServer()
		defer srv.Close()
		srv.SetNow(transcriptNow)
		s := newSession(t, srv)
		if s.CustomerID != s.OrganizationID || s.TeamID == "" || s.OrganizationID == "" {
			t.Errorf("NewSession: %+v", s)
		}
		// the body's customerId overrides the session's customer (§3.32, §3.33)
		check(t, "override", send(t, srv, "POST", "/guapocado/usage/balance", `{"key":"api-calls","customerId":"anything-at-all"}`, bearer(s.Token)...), 200,
			`{"customerId":"anything-at-all","balance":100,"included":100,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"}`)
	})
}
