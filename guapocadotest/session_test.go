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
func checkSessionHeaders(t *testing.T, what string, got answer, cookie string, maxAge bool, secure bool) string {
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
	up := rawDo(t, srv, "POST", "/sign-up/email", alice)
	if up.Status != 200 {
		t.Fatalf("sign-up: %d %s", up.Status, up.Body)
	}
	tok := checkSessionHeaders(t, "sign-up", up, "better-auth.session_token", true, false)
	m := decodeObject(t, up.Body)
	user, _ := m["user"].(map[string]any)
	if m["token"] != signedToken.FindStringSubmatch(tok)[1] || user["name"] != "Alice" || user["email"] != "alice@example.com" ||
		user["emailVerified"] != false || len(user["id"].(string)) != 32 || user["createdAt"] == nil {
		t.Errorf("sign-up body: %s", up.Body)
	}
	userID := user["id"].(string)

	// 1.2 sign-up again
	expectAnswer(t, "sign-up again", rawDo(t, srv, "POST", "/sign-up/email", alice), 422,
		`{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}`)

	// 1.3 sign-in
	in := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234"}`)
	tok = checkSessionHeaders(t, "sign-in", in, "better-auth.session_token", true, false)
	m = decodeObject(t, in.Body)
	if in.Status != 200 || m["redirect"] != false || m["token"] != signedToken.FindStringSubmatch(tok)[1] || m["user"].(map[string]any)["id"] != userID {
		t.Errorf("sign-in: %d %s", in.Status, in.Body)
	}
	if !strings.HasPrefix(in.Body, `{"redirect":false,"token":"`) {
		t.Errorf("sign-in member order: %s", in.Body)
	}

	// 1.4 wrong password
	expectAnswer(t, "sign-in, wrong password", rawDo(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"wrong-password"}`), 401,
		`{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)
	expectAnswer(t, "sign-in, unknown user", rawDo(t, srv, "POST", "/sign-in/email", `{"email":"nobody@example.com","password":"password1234"}`), 401,
		`{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`)

	// 1.5 rememberMe:false
	nr := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234","rememberMe":false}`)
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
		{"cookie", []string{"Cookie", sessionCookieHdr(tok)}, true},
		{"Bearer <set-auth-token>", bearerHdr(tok), true},
		{"Bearer = body token (unsigned)", bearerHdr(id), true},
		{"Bearer = URL-encoded cookie value", bearerHdr(cookieEncode(tok)), true},
		{"lower-case scheme bearer", []string{"Authorization", "bearer " + tok}, true},
		{"Bearer garbage", bearerHdr("garbage"), false},
		{"Bearer with tampered signature", bearerHdr(tampered), false},
		{"no credentials", nil, false},
		{"cookie value = unsigned token", []string{"Cookie", "better-auth.session_token=" + id}, false},
		{"cookie with tampered signature", []string{"Cookie", sessionCookieHdr(tampered)}, false},
		{"cookie under another name", []string{"Cookie", "other.session_token=" + cookieEncode(tok)}, false},
	} {
		got := rawDo(t, srv, "GET", "/get-session", "", c.hdr...)
		if !c.ok {
			expectAnswer(t, c.name, got, 200, "null")
			continue
		}
		m := decodeObject(t, got.Body)
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
	out := rawDo(t, srv, "POST", "/sign-out", "", bearerHdr(tok)...)
	expectAnswer(t, "sign-out", out, 200, `{"success":true}`)
	if strings.Join(out.Header.Values("Set-Cookie"), "\n") != strings.Join(deleted, "\n") {
		t.Errorf("sign-out cookies: %q", out.Header.Values("Set-Cookie"))
	}
	after := rawDo(t, srv, "GET", "/get-session", "", bearerHdr(tok)...)
	expectAnswer(t, "signed-out token", after, 200, "null")
	if strings.Join(after.Header.Values("Set-Cookie"), "\n") != strings.Join(deleted, "\n") {
		t.Errorf("signed-out token cookies: %q", after.Header.Values("Set-Cookie"))
	}
	dead := rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(tok)...)
	expectAnswer(t, "guapocado with a signed-out token", dead, 401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`)
	if strings.Join(dead.Header.Values("Set-Cookie"), "\n") != strings.Join(deleted, "\n") {
		t.Errorf("guapocado with a signed-out token, cookies: %q", dead.Header.Values("Set-Cookie"))
	}
	again := rawDo(t, srv, "POST", "/sign-out", "", bearerHdr(tok)...)
	expectAnswer(t, "sign-out again", again, 200, `{"success":true}`)
	if strings.Join(again.Header.Values("Set-Cookie"), "\n") != strings.Join(deleted, "\n") {
		t.Errorf("sign-out again, cookies: %q", again.Header.Values("Set-Cookie"))
	}

	// 1.10 sign-out with Bearer and body {}
	in = rawDo(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234"}`)
	expectAnswer(t, "sign-out with {}", rawDo(t, srv, "POST", "/sign-out", "{}", bearerHdr(in.Header.Get("Set-Auth-Token"))...), 200, `{"success":true}`)

	// Better Auth's own validation
	expectAnswer(t, "sign-up, invalid email", rawDo(t, srv, "POST", "/sign-up/email", `{"email":"nope","password":"password1234","name":"N"}`), 400,
		`{"message":"[body.email] Invalid email address","code":"VALIDATION_ERROR"}`)
	expectAnswer(t, "sign-up, short password", rawDo(t, srv, "POST", "/sign-up/email", `{"email":"bob@example.com","password":"short","name":"Bob"}`), 400,
		`{"message":"Password too short","code":"PASSWORD_TOO_SHORT"}`)
	expectAnswer(t, "sign-up, no name", rawDo(t, srv, "POST", "/sign-up/email", `{"email":"bob@example.com","password":"password1234"}`), 400,
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
	up := rawDo(t, srv, "POST", "/sign-up/email", `{"email":"sam@example.com","password":"password1234","name":"Sam"}`)
	tok := checkSessionHeaders(t, "sign-up", up, "__Secure-better-auth.session_token", true, true)
	in := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"sam@example.com","password":"password1234","rememberMe":false}`)
	checkSessionHeaders(t, "sign-in rememberMe:false", in, "__Secure-better-auth.session_token", false, true)
	if c := in.Header.Values("Set-Cookie"); len(c) != 2 || !strings.HasPrefix(c[1], "__Secure-better-auth.dont_remember=true.") ||
		!strings.HasSuffix(c[1], "; Path=/; HttpOnly; Secure; SameSite=Lax") {
		t.Errorf("dont_remember cookie: %q", c)
	}

	secure := "__Secure-better-auth.session_token=" + cookieEncode(tok)
	plain := "better-auth.session_token=" + cookieEncode(tok)
	if got := rawDo(t, srv, "GET", "/get-session", "", "Cookie", secure); got.Status != 200 || got.Body == "null" {
		t.Errorf("get-session, __Secure- cookie: %d %s", got.Status, got.Body)
	}
	expectAnswer(t, "get-session, unprefixed cookie", rawDo(t, srv, "GET", "/get-session", "", "Cookie", plain), 200, "null")
	if got := rawDo(t, srv, "GET", "/get-session", "", bearerHdr(tok)...); got.Status != 200 || got.Body == "null" {
		t.Errorf("get-session, Bearer: %d %s", got.Status, got.Body)
	}
	org := rawDo(t, srv, "POST", "/organization/create", `{"name":"SecureCo","slug":"secureco"}`, "Cookie", secure, "Origin", srv.BaseURL())
	if org.Status != 200 {
		t.Fatalf("organization/create: %d %s", org.Status, org.Body)
	}
	orgID := decodeObject(t, org.Body)["id"].(string)
	ok := `{"customerId":"` + orgID + `","allowed":true}`
	expectAnswer(t, "has, cookie, Origin http (scheme differs)", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", secure, "Origin", srv.URL), 403, invalidOrigin)
	expectAnswer(t, "has, cookie, Origin https", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", secure, "Origin", srv.BaseURL()), 200, ok)
	expectAnswer(t, "has, Bearer, no Origin", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(tok)...), 200, ok)
	out := rawDo(t, srv, "POST", "/sign-out", "", bearerHdr(tok)...)
	if c := out.Header.Values("Set-Cookie"); len(c) != 3 || c[0] != "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax" {
		t.Errorf("sign-out cookies: %q", c)
	}
}

// TestCookiePrefix checks WithCookiePrefix.
func TestCookiePrefix(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithCookiePrefix("myapp"))
	defer srv.Close()
	up := rawDo(t, srv, "POST", "/sign-up/email", `{"email":"p@example.com","password":"password1234","name":"P"}`)
	tok := checkSessionHeaders(t, "sign-up", up, "myapp.session_token", true, false)
	if got := rawDo(t, srv, "GET", "/get-session", "", "Cookie", "myapp.session_token="+cookieEncode(tok)); got.Body == "null" {
		t.Error("the prefixed cookie is not accepted")
	}
	expectAnswer(t, "default name ignored", rawDo(t, srv, "GET", "/get-session", "", "Cookie", sessionCookieHdr(tok)), 200, "null")
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
	auth := bearerHdr(alice.Token)
	if alice.OrganizationID != "" || alice.CustomerID != "" {
		t.Fatalf("a fresh sign-up has an organization: %+v", alice)
	}
	expectAnswer(t, "has before any organization", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, auth...), 401, `{"message":"Sign in first"}`)
	expectAnswer(t, "GET customer before any organization", rawDo(t, srv, "GET", "/guapocado/customer", "", auth...), 200, "null")
	if got := rawDo(t, srv, "GET", "/guapocado/plans", "", auth...); got.Status != 200 {
		t.Errorf("plans need a session, not a customer: %d %s", got.Status, got.Body)
	}

	// 2.1 create: active organization and default team
	acme := rawDo(t, srv, "POST", "/organization/create", `{"name":"Acme","slug":"acme"}`, auth...)
	m := decodeObject(t, acme.Body)
	acmeID, _ := m["id"].(string)
	members, _ := m["members"].([]any)
	if acme.Status != 200 || m["name"] != "Acme" || m["slug"] != "acme" || len(acmeID) != 32 || len(members) != 1 ||
		members[0].(map[string]any)["role"] != "owner" || members[0].(map[string]any)["userId"] != alice.UserID {
		t.Fatalf("organization/create: %d %s", acme.Status, acme.Body)
	}
	if acme.Header.Get("Set-Auth-Token") != "" || len(acme.Header.Values("Set-Cookie")) != 0 {
		t.Errorf("organization/create set the session cookie: %v", acme.Header)
	}
	expectAnswer(t, "slug taken", rawDo(t, srv, "POST", "/organization/create", `{"name":"Acme 2","slug":"acme"}`, auth...), 400,
		`{"message":"Organization already exists","code":"ORGANIZATION_ALREADY_EXISTS"}`)

	// 2.2 get-session after create
	sess := decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", auth...).Body)["session"].(map[string]any)
	defaultTeam, _ := sess["activeTeamId"].(string)
	if sess["activeOrganizationId"] != acmeID || len(defaultTeam) != 32 {
		t.Fatalf("get-session after create: %v", sess)
	}

	// 2.3 a second organization becomes active
	beta := decodeObject(t, rawDo(t, srv, "POST", "/organization/create", `{"name":"Beta","slug":"beta"}`, auth...).Body)
	expectAnswer(t, "customer after second create", rawDo(t, srv, "GET", "/guapocado/customer", "", auth...), 200, `{"customerId":"`+beta["id"].(string)+`"}`)
	list := rawDo(t, srv, "GET", "/organization/list", "", auth...)
	acmeJSON := `{"name":"Acme","slug":"acme","createdAt":"` + m["createdAt"].(string) + `","id":"` + acmeID + `"}`
	if list.Status != 200 || !strings.HasPrefix(list.Body, "["+acmeJSON+",{\"name\":\"Beta\"") {
		t.Errorf("organization/list: %s", list.Body)
	}

	// 2.4 set active organization by id
	set := rawDo(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+acmeID+`"}`, auth...)
	expectAnswer(t, "set-active by id", set, 200, acmeJSON)
	if set.Header.Get("Set-Auth-Token") != alice.Token || set.Header.Get("Access-Control-Expose-Headers") != "set-auth-token" {
		t.Errorf("set-active headers: %v", set.Header)
	}

	// 2.5 - 2.8 teams
	team := rawDo(t, srv, "POST", "/organization/create-team", `{"name":"Platform"}`, auth...)
	tm := decodeObject(t, team.Body)
	teamID, _ := tm["id"].(string)
	if team.Status != 200 || tm["name"] != "Platform" || tm["organizationId"] != acmeID || tm["updatedAt"] == nil || len(teamID) != 32 {
		t.Fatalf("create-team: %d %s", team.Status, team.Body)
	}
	expectAnswer(t, "set-active-team before being a member", rawDo(t, srv, "POST", "/organization/set-active-team", `{"teamId":"`+teamID+`"}`, auth...), 403,
		`{"message":"User is not a member of the team","code":"USER_IS_NOT_A_MEMBER_OF_THE_TEAM"}`)
	add := rawDo(t, srv, "POST", "/organization/add-team-member", `{"teamId":"`+teamID+`","userId":"`+alice.UserID+`"}`, auth...)
	if am := decodeObject(t, add.Body); add.Status != 200 || am["teamId"] != teamID || am["userId"] != alice.UserID {
		t.Errorf("add-team-member: %d %s", add.Status, add.Body)
	}
	st := rawDo(t, srv, "POST", "/organization/set-active-team", `{"teamId":"`+teamID+`"}`, auth...)
	expectAnswer(t, "set-active-team", st, 200, team.Body)
	if st.Header.Get("Set-Auth-Token") != alice.Token {
		t.Errorf("set-active-team set-auth-token %q", st.Header.Get("Set-Auth-Token"))
	}

	// 2.9 list teams: the default team has no updatedAt
	teams := rawDo(t, srv, "GET", "/organization/list-teams", "", auth...)
	if !strings.HasPrefix(teams.Body, `[{"name":"Acme","organizationId":"`+acmeID+`","createdAt":"`) ||
		!strings.Contains(teams.Body, `"id":"`+defaultTeam+`"},`+team.Body+"]") {
		t.Errorf("list-teams: %s", teams.Body)
	}

	// the rows after 2.9
	set = rawDo(t, srv, "POST", "/organization/set-active", `{"organizationSlug":"beta"}`, auth...)
	if set.Status != 200 || decodeObject(t, set.Body)["id"] != beta["id"] || set.Header.Get("Set-Auth-Token") == "" {
		t.Errorf("set-active by slug: %d %s", set.Status, set.Body)
	}
	nt := rawDo(t, srv, "POST", "/organization/set-active-team", `{"teamId":null}`, auth...)
	expectAnswer(t, "set-active-team null", nt, 200, "null")
	if nt.Header.Get("Set-Auth-Token") == "" {
		t.Error("set-active-team null: no set-auth-token")
	}
	expectAnswer(t, "set-active null", rawDo(t, srv, "POST", "/organization/set-active", `{"organizationId":null}`, auth...), 200, "null")
	sess = decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", auth...).Body)["session"].(map[string]any)
	if sess["activeOrganizationId"] != nil || sess["activeTeamId"] != nil {
		t.Errorf("set-active null left %v / %v", sess["activeOrganizationId"], sess["activeTeamId"])
	}
	expectAnswer(t, "guapocado/has with no active organization", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, auth...), 401, `{"message":"Sign in first"}`)
	expectAnswer(t, "GET guapocado/customer with no active organization", rawDo(t, srv, "GET", "/guapocado/customer", "", auth...), 200, "null")
	expectAnswer(t, "set-active unknown org id", rawDo(t, srv, "POST", "/organization/set-active", `{"organizationId":"does-not-exist"}`, auth...), 403,
		`{"message":"User is not a member of the organization","code":"USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"}`)
	expectAnswer(t, "set-active Acme again", rawDo(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+acmeID+`"}`, auth...), 200, acmeJSON)

	// another user's organization is refused
	bob := mustSession(t, srv)
	expectAnswer(t, "set-active someone else's org", rawDo(t, srv, "POST", "/organization/set-active", `{"organizationId":"`+bob.OrganizationID+`"}`, auth...), 403,
		`{"message":"User is not a member of the organization","code":"USER_IS_NOT_A_MEMBER_OF_THE_ORGANIZATION"}`)

	// a brand-new sign-in starts with no active organization
	in := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234"}`)
	fresh := bearerHdr(in.Header.Get("Set-Auth-Token"))
	s2 := decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", fresh...).Body)["session"].(map[string]any)
	if s2["activeOrganizationId"] != nil {
		t.Errorf("new session has an active organization: %v", s2)
	}
	expectAnswer(t, "guapocado/has on the new session", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, fresh...), 401, `{"message":"Sign in first"}`)
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
		expectAnswer(t, "8.1 customer", rawDo(t, srv, "POST", "/guapocado/customer", "{}", bearerHdr(uma.Token)...), 200,
			`{"customerId":"`+uma.UserID+`","customer":{"id":"`+uma.UserID+`","name":"Uma","email":"uma@example.com"}}`)
		expectAnswer(t, "8.2 consume", rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":2}`, bearerHdr(uma.Token)...), 200,
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
		expectAnswer(t, "has, no org/team yet", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(s.Token)...), 401, `{"message":"Sign in first"}`)
		if got := rawDo(t, srv, "POST", "/organization/create", `{"name":"TeamCo","slug":"teamco"}`, bearerHdr(s.Token)...); got.Status != 200 {
			t.Fatalf("create: %d %s", got.Status, got.Body)
		}
		team := decodeObject(t, rawDo(t, srv, "GET", "/get-session", "", bearerHdr(s.Token)...).Body)["session"].(map[string]any)["activeTeamId"].(string)
		expectAnswer(t, "has = activeTeamId", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, bearerHdr(s.Token)...), 200,
			`{"customerId":"`+team+`","allowed":true}`)
		if ns := mustSession(t, srv); ns.CustomerID != ns.TeamID || ns.TeamID == "" {
			t.Errorf("NewSession under team source: %+v", ns)
		}
	})
	t.Run("organization (default)", func(t *testing.T) {
		t.Parallel()
		srv := guapocadotest.NewServer()
		defer srv.Close()
		srv.SetNow(transcriptNow)
		s := mustSession(t, srv)
		if s.CustomerID != s.OrganizationID || s.TeamID == "" || s.OrganizationID == "" {
			t.Errorf("NewSession: %+v", s)
		}
		// the body's customerId overrides the session's customer (§3.32, §3.33)
		expectAnswer(t, "override", rawDo(t, srv, "POST", "/guapocado/usage/balance", `{"key":"api-calls","customerId":"anything-at-all"}`, bearerHdr(s.Token)...), 200,
			`{"customerId":"anything-at-all","balance":100,"included":100,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"}`)
	})
}
