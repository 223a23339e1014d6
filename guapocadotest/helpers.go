package guapocadotest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// Session is a signed-in session made without HTTP.
type Session struct {
	// Token is the signed session token, as in the set-auth-token header:
	// use it as "Authorization: Bearer <Token>" or, URL-encoded, as the
	// session cookie's value.
	Token          string
	UserID         string
	Email          string
	OrganizationID string // the active organization ("" before one is created)
	TeamID         string // the active team
	// CustomerID is the billing customer the plugin derives from this
	// session (per WithCustomerSource); "" when there is none yet.
	CustomerID string
}

// ErrNoSession is returned for a token that names no live session.
var ErrNoSession = errors.New("guapocadotest: no such session")

// sessionInfo describes sess. Call with s.mu held.
func (s *Server) sessionInfo(sess *session) Session {
	return Session{
		Token:          s.sign(sess.token),
		UserID:         sess.userID,
		Email:          s.st.users[sess.userID].email,
		OrganizationID: sess.activeOrg,
		TeamID:         sess.activeTeam,
		CustomerID:     s.sessionCustomerID(sess),
	}
}

// apiError turns a response refusal into an error.
func apiError(r *response) error {
	return fmt.Errorf("guapocadotest: %d %s", r.status, r.body)
}

// SignUp creates a user and signs them in, like POST /sign-up/email. The
// session has no active organization yet (so, with the default customer
// source, the plugin answers 401 "Sign in first").
func (s *Server) SignUp(email, password, name string) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	u, fail := s.createUser(email, password, name, now)
	if fail != nil {
		return Session{}, apiError(fail)
	}
	return s.sessionInfo(s.newSession(u, "guapocadotest", "", false, now)), nil
}

// CreateOrganization creates an organization for the session token (signed,
// unsigned or URL-encoded), with its default team, and makes both active,
// like POST /organization/create.
func (s *Server) CreateOrganization(token, name, slug string) (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, _ := s.lookupToken(token, true)
	if sess == nil {
		return Session{}, ErrNoSession
	}
	if _, fail := s.createOrg(sess, name, slug, false, s.Now()); fail != nil {
		return Session{}, apiError(fail)
	}
	return s.sessionInfo(sess), nil
}

// NewSession signs up a fresh user and gives them a fresh organization
// (active, with its default team): a session ready to bill, whatever the
// customer source. Each call makes a new customer.
func (s *Server) NewSession() (Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.Now()
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return Session{}, err
	}
	pw := make([]byte, 16)
	if _, err := rand.Read(pw); err != nil {
		return Session{}, err
	}
	s.st.newUsers++
	n := s.st.newUsers
	tag := hex.EncodeToString(b)
	u, fail := s.createUser(fmt.Sprintf("user%d-%s@example.test", n, tag), hex.EncodeToString(pw), fmt.Sprintf("User %d", n), now)
	if fail != nil {
		return Session{}, apiError(fail)
	}
	sess := s.newSession(u, "guapocadotest", "", false, now)
	if _, fail := s.createOrg(sess, fmt.Sprintf("Org %d", n), fmt.Sprintf("org-%d-%s", n, tag), false, now); fail != nil {
		return Session{}, apiError(fail)
	}
	return s.sessionInfo(sess), nil
}
