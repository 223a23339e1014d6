package guapocado

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
)

const signedIn = "EQAeW4iPLUZUBTan95alTroK5wxGfZ3L.0w82Vq94iC3fqUmseIwx0iIyPyFvi8CQS4p1rc083ho="

func signInResponder(token string) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, `{"redirect":false,"token":"EQAeW4iPLUZUBTan95alTroK5wxGfZ3L","user":{"name":"Alice","email":"alice@example.com","emailVerified":false,"createdAt":"2026-11-26T22:27:33.123Z","updatedAt":"2026-11-26T22:27:33.123Z","id":"x4ES6M1RKZ6AvX00mn6QJPxirG4vc4yb"}}`)
		resp.Header.Set("set-auth-token", token)
		resp.Header.Add("Set-Cookie", "better-auth.session_token="+strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(token)+"; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax")
		return resp, nil
	}
}

func TestSignInKeepsSession(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase)
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"/api/auth/sign-in/email", rec.responder(signInResponder(signedIn)))
	mt.RegisterResponder("POST", testBase+"/api/auth/organization/set-active", rec.responder(func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, `{"name":"Acme","slug":"acme","createdAt":"2026-11-26T22:27:49.909Z","id":"`+acme+`"}`)
		resp.Header.Set("set-auth-token", "rotated.sig=")
		return resp, nil
	}))
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has", rec.responder(jsonResponder(200, fixture(t, "has_true.json"))))
	mt.RegisterResponder("POST", testBase+"/api/auth/sign-out", rec.responder(func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, `{"success":true}`)
		resp.Header.Add("Set-Cookie", "better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax")
		return resp, nil
	}))

	if c.Auth.SessionToken() != "" {
		t.Fatal("fresh client has a token")
	}
	u, err := c.Auth.SignInEmail(context.Background(), "alice@example.com", "password1234")
	if err != nil || u.Email != "alice@example.com" || u.ID != "x4ES6M1RKZ6AvX00mn6QJPxirG4vc4yb" {
		t.Fatalf("sign-in: %+v %v", u, err)
	}
	if si := rec.reqs[0]; si.header.Get("Origin") != "" || si.header.Get("Cookie") != "" {
		t.Errorf("sign-in without cookies sent Origin %q Cookie %q", si.header.Get("Origin"), si.header.Get("Cookie"))
	}
	if got := c.Auth.SessionToken(); got != signedIn {
		t.Errorf("SessionToken = %q", got)
	}
	org, err := c.Auth.SetActiveOrganization(context.Background(), acme)
	if err != nil || org.Slug != "acme" {
		t.Fatalf("set-active: %+v %v", org, err)
	}
	sa := rec.reqs[1]
	jsonEqual(t, sa.body, `{"organizationId":"`+acme+`"}`)
	if sa.header.Get("Cookie") != testCookie || sa.header.Get("Origin") != testBase || sa.header.Get("Authorization") != "Bearer "+signedIn {
		t.Errorf("set-active headers: %v", sa.header)
	}
	if ok, err := c.Has(context.Background(), "csv-export"); err != nil || !ok {
		t.Fatalf("has: %v %v", ok, err)
	}
	if got := rec.reqs[2].header.Get("Authorization"); got != "Bearer rotated.sig=" {
		t.Errorf("after set-active, Authorization = %q (newest set-auth-token not kept)", got)
	}
	if err := c.Auth.SignOut(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := c.Auth.SessionToken(); got != "" {
		t.Errorf("after sign-out SessionToken = %q", got)
	}
}

func TestAuthValidationAndErrors(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase)
	ctx := context.Background()
	for name, err := range map[string]error{
		"email":          func() error { _, err := c.Auth.SignInEmail(ctx, "alice", "pw"); return err }(),
		"password":       func() error { _, err := c.Auth.SignInEmail(ctx, "a@b.c", ""); return err }(),
		"name":           func() error { _, err := c.Auth.SignUpEmail(ctx, "a@b.c", "pw", " "); return err }(),
		"organizationId": func() error { _, err := c.Auth.SetActiveOrganization(ctx, ""); return err }(),
		"teamId":         func() error { _, err := c.Auth.SetActiveTeam(ctx, ""); return err }(),
		"slug":           func() error { _, err := c.Auth.CreateOrganization(ctx, "Acme", ""); return err }(),
	} {
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != name {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if mt.GetTotalCallCount() != 0 {
		t.Error("requests were sent")
	}
	mt.RegisterResponder("POST", testBase+"/api/auth/sign-in/email", jsonResponder(401, `{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}`))
	_, err := c.Auth.SignInEmail(ctx, "alice@example.com", "wrong-password")
	if !errors.Is(err, ErrUnauthorized) || strings.Contains(err.Error(), "wrong-password") {
		t.Errorf("got %v", err)
	}
	mt.RegisterResponder("POST", testBase+"/api/auth/sign-up/email", jsonResponder(422, `{"message":"User already exists. Use another email.","code":"USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL"}`))
	if _, err := c.Auth.SignUpEmail(ctx, "alice@example.com", "password1234", "Alice"); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("got %v", err)
	}
	mt.RegisterResponder("GET", testBase+"/api/auth/get-session", jsonResponder(200, `null`))
	if s, err := c.Auth.Session(ctx); s != nil || err != nil {
		t.Errorf("Session = %v, %v", s, err)
	}
}

func TestAuthReads(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(signedIn))
	mt.RegisterResponder("GET", testBase+"/api/auth/get-session", jsonResponder(200, `{"session":{"expiresAt":"2026-12-03T22:27:33.502Z","token":"EQAeW4iPLUZUBTan95alTroK5wxGfZ3L","createdAt":"2026-11-26T22:27:33.502Z","updatedAt":"2026-11-26T22:27:49.929Z","ipAddress":"","userAgent":"curl/7.88.1","userId":"u1","activeOrganizationId":"`+acme+`","activeTeamId":"team1","id":"s1"},"user":{"name":"Alice","email":"alice@example.com","emailVerified":false,"id":"u1"}}`))
	mt.RegisterResponder("GET", testBase+"/api/auth/organization/list", jsonResponder(200, `[{"name":"Acme","slug":"acme","createdAt":"2026-11-26T22:27:49.909Z","id":"`+acme+`","logo":null,"metadata":null}]`))
	mt.RegisterResponder("POST", testBase+"/api/auth/organization/set-active-team", jsonResponder(200, `{"name":"Platform","organizationId":"`+acme+`","createdAt":"2026-11-26T22:27:50.741Z","updatedAt":"2026-11-26T22:27:50.741Z","id":"team1"}`))
	s, err := c.Auth.Session(context.Background())
	if err != nil || s.Session.ActiveOrganizationID != acme || s.Session.ActiveTeamID != "team1" || s.User.Name != "Alice" {
		t.Fatalf("%+v %v", s, err)
	}
	orgs, err := c.Auth.ListOrganizations(context.Background())
	if err != nil || len(orgs) != 1 || orgs[0].Slug != "acme" {
		t.Fatalf("%+v %v", orgs, err)
	}
	team, err := c.Auth.SetActiveTeam(context.Background(), "team1")
	if err != nil || team.OrganizationID != acme {
		t.Fatalf("%+v %v", team, err)
	}
}
