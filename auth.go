package guapocado

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strings"
	"time"
)

// User is a Better Auth user.
type User struct {
	ID            string     `json:"id"`
	Name          string     `json:"name"`
	Email         string     `json:"email"`
	EmailVerified bool       `json:"emailVerified"`
	Image         string     `json:"image,omitempty"`
	CreatedAt     *time.Time `json:"createdAt,omitempty"`
	UpdatedAt     *time.Time `json:"updatedAt,omitempty"`
}

// Session is a Better Auth session (its token is deliberately not kept).
type Session struct {
	ID                   string     `json:"id"`
	UserID               string     `json:"userId"`
	ExpiresAt            time.Time  `json:"expiresAt"`
	ActiveOrganizationID string     `json:"activeOrganizationId,omitempty"`
	ActiveTeamID         string     `json:"activeTeamId,omitempty"`
	IPAddress            string     `json:"ipAddress,omitempty"`
	UserAgent            string     `json:"userAgent,omitempty"`
	CreatedAt            *time.Time `json:"createdAt,omitempty"`
	UpdatedAt            *time.Time `json:"updatedAt,omitempty"`
}

// SessionInfo is the current session and its user.
type SessionInfo struct {
	Session Session `json:"session"`
	User    User    `json:"user"`
}

// Organization is a Better Auth organization (organization plugin).
type Organization struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Slug      string          `json:"slug"`
	Logo      string          `json:"logo,omitempty"`
	Metadata  json.RawMessage `json:"metadata,omitempty"`
	CreatedAt *time.Time      `json:"createdAt,omitempty"`
}

// Team is a team of an organization.
type Team struct {
	ID             string     `json:"id"`
	Name           string     `json:"name"`
	OrganizationID string     `json:"organizationId"`
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
	UpdatedAt      *time.Time `json:"updatedAt,omitempty"`
}

// AuthService signs in and chooses what the session bills: the Better Auth
// endpoints a CLI or a test needs. Get it as Client.Auth.
type AuthService struct{ c *core }

type authAnswer struct {
	Token string `json:"token"`
	User  *User  `json:"user"`
}

// SignUpEmail creates a user with email and password and keeps the new
// session (POST {base}/sign-up/email). An existing email is ErrInvalidRequest
// (422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL).
func (s AuthService) SignUpEmail(ctx context.Context, email, password, name string) (*User, error) {
	if err := checkCredentials(email, password); err != nil {
		return nil, err
	}
	if strings.TrimSpace(name) == "" {
		return nil, &ValidationError{Field: "name", Reason: "must not be empty"}
	}
	in := struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Name     string `json:"name"`
	}{email, password, name}
	var out authAnswer
	if err := s.c.signIn(ctx, &actSignUp, password, &in, &out); err != nil {
		return nil, err
	}
	return out.User, nil
}

// SignInEmail signs in with email and password and keeps the session: the
// session cookie in the client's jar and, when the server runs Better Auth's
// bearer plugin, the token from set-auth-token (POST {base}/sign-in/email).
// Wrong credentials are ErrUnauthorized (INVALID_EMAIL_OR_PASSWORD). A new
// session has no active organization: call SetActiveOrganization before
// billing calls, which otherwise fail with ErrNoCustomer.
func (s AuthService) SignInEmail(ctx context.Context, email, password string) (*User, error) {
	if err := checkCredentials(email, password); err != nil {
		return nil, err
	}
	in := struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}{email, password}
	var out authAnswer
	if err := s.c.signIn(ctx, &actSignIn, password, &in, &out); err != nil {
		return nil, err
	}
	return out.User, nil
}

// signIn sends a sign-up or sign-in and adopts the session it returns.
// Both create something, so they are retried only where never sent.
//
// The password crosses the network only over https or to a loopback host,
// unless the client was built WithInsecureHTTP. An error carries no body
// snippet (a page that echoes the request would show the password) and
// never the password itself.
func (c *core) signIn(ctx context.Context, a *action, password string, in, out any) error {
	if c.cfg.plainRemote() {
		return &ValidationError{Field: "baseURL", Reason: "plain http to " + c.cfg.base.Hostname() +
			" would send the password in clear text: use https (or WithInsecureHTTP, only on a private network you trust)"}
	}
	c.sess.adoptBearer.Store(true)
	err := c.call(ctx, a, &callArgs{in: in}, out)
	var e *Error
	if errors.As(err, &e) {
		e.Snippet = ""
		if password != "" && strings.Contains(e.Message, password) {
			e.Message = strings.ReplaceAll(e.Message, password, "[redacted]")
		}
	}
	return err
}

func checkCredentials(email, password string) error {
	if strings.TrimSpace(email) == "" || !strings.Contains(email, "@") {
		return &ValidationError{Field: "email", Reason: "must be an email address"}
	}
	if password == "" {
		return &ValidationError{Field: "password", Reason: "must not be empty"}
	}
	return nil
}

// SignOut ends the session on the server and forgets it here
// (POST {base}/sign-out).
func (s AuthService) SignOut(ctx context.Context) error {
	err := s.c.call(ctx, &actSignOut, &callArgs{in: struct{}{}}, nil)
	if err == nil {
		s.c.sess.bearer.Store(nil)
	}
	return err
}

// Session returns the current session and user, or nil and no error when the
// client has no valid session (GET {base}/get-session).
func (s AuthService) Session(ctx context.Context) (*SessionInfo, error) {
	var out *SessionInfo
	if err := s.c.call(ctx, &actGetSession, &callArgs{}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListOrganizations returns the organizations of the signed-in user
// (GET {base}/organization/list).
func (s AuthService) ListOrganizations(ctx context.Context) ([]Organization, error) {
	var out []Organization
	if err := s.c.call(ctx, &actOrgList, &callArgs{}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// CreateOrganization creates an organization, which becomes the session's
// active one (with a default team when teams are on)
// (POST {base}/organization/create).
func (s AuthService) CreateOrganization(ctx context.Context, name, slug string) (*Organization, error) {
	if err := checkKey("name", name); err != nil {
		return nil, err
	}
	if err := checkKey("slug", slug); err != nil {
		return nil, err
	}
	in := struct {
		Name string `json:"name"`
		Slug string `json:"slug"`
	}{name, slug}
	var out Organization
	if err := s.c.call(ctx, &actOrgCreate, &callArgs{in: &in}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetActiveOrganization makes the organization with this id the session's
// active one, so billing calls act for it (POST {base}/organization/set-active).
// The server answers with a fresh set-auth-token, which the client keeps. A
// non-member is ErrForbidden.
func (s AuthService) SetActiveOrganization(ctx context.Context, id string) (*Organization, error) {
	if err := checkKey("organizationId", id); err != nil {
		return nil, err
	}
	return s.setActive(ctx, map[string]string{"organizationId": id})
}

// SetActiveOrganizationBySlug is SetActiveOrganization by slug.
func (s AuthService) SetActiveOrganizationBySlug(ctx context.Context, slug string) (*Organization, error) {
	if err := checkKey("organizationSlug", slug); err != nil {
		return nil, err
	}
	return s.setActive(ctx, map[string]string{"organizationSlug": slug})
}

func (s AuthService) setActive(ctx context.Context, in any) (*Organization, error) {
	var out *Organization
	if err := s.c.call(ctx, &actOrgSetActive, &callArgs{in: in}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ClearActiveOrganization leaves the session with no active organization
// and no active team, so billing calls fail with ErrNoCustomer until one is
// set again. Better Auth's set-active with a null id clears the
// organization only, so it sends two requests: POST
// {base}/organization/set-active-team {"teamId":null}, then POST
// {base}/organization/set-active {"organizationId":null}. A server without
// teams (404 on set-active-team) has no team to clear.
func (s AuthService) ClearActiveOrganization(ctx context.Context) error {
	err := s.c.call(ctx, &actTeamSetActive, &callArgs{in: map[string]any{"teamId": nil}}, nil)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.c.call(ctx, &actOrgSetActive, &callArgs{in: map[string]any{"organizationId": nil}}, nil)
}

// SetActiveTeam makes the team the session's active one
// (POST {base}/organization/set-active-team); the user must be a member of it.
func (s AuthService) SetActiveTeam(ctx context.Context, teamID string) (*Team, error) {
	if err := checkKey("teamId", teamID); err != nil {
		return nil, err
	}
	var out *Team
	if err := s.c.call(ctx, &actTeamSetActive, &callArgs{in: map[string]string{"teamId": teamID}}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// ListTeams returns the teams of the active organization
// (GET {base}/organization/list-teams).
func (s AuthService) ListTeams(ctx context.Context) ([]Team, error) {
	var out []Team
	if err := s.c.call(ctx, &actTeamList, &callArgs{}, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// SessionToken returns the signed session token the client holds (the
// bearer token if there is one, else the session cookie's value), or "" when
// it holds none. It is a secret: a CLI may store it (readable by the user
// only) and restore the session later with WithSessionToken or
// WithBearerToken.
func (s AuthService) SessionToken() string {
	sess := s.c.sess
	if tok := sess.bearerToken(); tok != "" {
		return tok
	}
	if sess.jar == nil {
		return ""
	}
	name := s.c.cfg.cookieName("session_token")
	for _, ck := range sess.jar.Cookies(s.c.cfg.base) {
		if ck.Name == name {
			if v, err := url.QueryUnescape(ck.Value); err == nil {
				return v
			}
			return ck.Value
		}
	}
	return ""
}
