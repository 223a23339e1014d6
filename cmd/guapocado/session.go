package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// storedSession is the content of session.json. It holds the session token
// (a secret, like a password for the session's lifetime) but never the
// password.
type storedSession struct {
	BaseURL string `json:"baseUrl"`
	Email   string `json:"email"`
	Token   string `json:"token"`
	// TokenType is "bearer" for a token from the device flow (an unsigned
	// session token, sent as Authorization: Bearer); "" for a signed token
	// from a password sign-in, sent as the session cookie.
	TokenType string    `json:"tokenType,omitempty"`
	SavedAt   time.Time `json:"savedAt"`
}

// errNotSignedIn: no stored session (for this base URL).
var errNotSignedIn = &cliError{code: exitNotSignedIn, kind: "not_signed_in", msg: "not signed in: run: guapocado login"}

// userConfigDir is os.UserConfigDir reading the environment through env,
// so tests can give each run its own directory.
func userConfigDir(env func(string) string) (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		dir = env("AppData")
		if dir == "" {
			return "", errors.New("%AppData% is not set")
		}
	case "darwin", "ios":
		dir = env("HOME")
		if dir == "" {
			return "", errors.New("$HOME is not set")
		}
		dir += "/Library/Application Support"
	case "plan9":
		dir = env("home")
		if dir == "" {
			return "", errors.New("$home is not set")
		}
		dir += "/lib"
	default:
		dir = env("XDG_CONFIG_HOME")
		if dir == "" || !filepath.IsAbs(dir) {
			dir = env("HOME")
			if dir == "" {
				return "", errors.New("neither $XDG_CONFIG_HOME nor $HOME is set")
			}
			dir += "/.config"
		}
	}
	return dir, nil
}

// sessionPath is <config dir>/guapocado/session.json.
func (a *app) sessionPath() (string, error) {
	dir, err := userConfigDir(a.env)
	if err != nil {
		return "", fmt.Errorf("finding the config directory: %w", err)
	}
	return filepath.Join(dir, "guapocado", "session.json"), nil
}

// insecureError: the session file, or a directory above it, could have been
// written by another user (see checkPrivate). The CLI then refuses to use
// it, and to log in.
type insecureError struct{ path, why string }

func (e *insecureError) Error() string {
	return fmt.Sprintf("refusing to use the stored session: %s %s, so another user could have planted it; make it yours and private (chown, then chmod 700 for a directory or 600 for the file) or delete it", e.path, e.why)
}

// checkSessionPath refuses a session file another user could have written:
// the config directory, its guapocado directory, and session.json.
func checkSessionPath(p string) error {
	dir := filepath.Dir(p)
	for _, c := range []struct {
		path string
		dir  bool
	}{{filepath.Dir(dir), true}, {dir, true}, {p, false}} {
		if err := checkPrivate(c.path, c.dir); err != nil {
			return err
		}
	}
	return nil
}

// loadSession reads the stored session; nil and no error when there is none.
// A session another user could have written is an *insecureError.
func (a *app) loadSession() (*storedSession, error) {
	p, err := a.sessionPath()
	if err != nil {
		return nil, err
	}
	if err := checkSessionPath(p); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s storedSession
	if err := json.Unmarshal(b, &s); err != nil || s.Token == "" || s.BaseURL == "" {
		return nil, failf(exitNotSignedIn, "not_signed_in", "%s is damaged: run: guapocado login", p)
	}
	return &s, nil
}

// saveSession writes the session file readable by the user only (0600, in
// a 0700 directory), atomically: a new file renamed over the old one.
func (a *app) saveSession(s *storedSession) error {
	p, err := a.sessionPath()
	if err != nil {
		return err
	}
	dir := filepath.Dir(p)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil { // an existing directory may be wider
		return err
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".session-*.json") // created 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // after a successful rename there is nothing left to remove
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, p)
}

// removeSession deletes the session file; true when there was one.
func (a *app) removeSession() (bool, error) {
	p, err := a.sessionPath()
	if err != nil {
		return false, err
	}
	err = os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// session returns the stored session for the base URL in use (--base-url,
// GUAPOCADO_BASE_URL, else the stored one) and a client carrying it.
func (a *app) session() (*storedSession, *guapocado.Client, error) {
	s, err := a.loadSession()
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, errNotSignedIn
	}
	if a.baseURL != "" && trimSlash(a.baseURL) != trimSlash(s.BaseURL) {
		return nil, nil, failf(exitNotSignedIn, "not_signed_in", "not signed in to %s (the stored session is for %s): run: guapocado login", a.baseURL, s.BaseURL)
	}
	if err := a.refuseCleartext(s.BaseURL, "the session token"); err != nil {
		return nil, nil, err
	}
	c, err := a.newClient(s.BaseURL, s.auth())
	if err != nil {
		return nil, nil, err
	}
	return s, c, nil
}

// auth is the client option that presents the stored token.
func (s *storedSession) auth() guapocado.Option {
	if s.TokenType == "bearer" {
		return guapocado.WithBearerToken(s.Token)
	}
	return guapocado.WithSessionToken(s.Token)
}

// withSession runs call with a client for the stored session, explains its
// error (key names the entitlement the call was about, "" for none), and
// stores the session again if the server changed its token.
func (a *app) withSession(key string, call func(s *storedSession, c *guapocado.Client) error) error {
	s, c, err := a.session()
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()
	if err := call(s, c); err != nil {
		if errors.Is(err, guapocado.ErrNoCustomer) {
			return a.noActiveOrganization(c)
		}
		return explain(a.parent, err, key)
	}
	return a.keep(s, c)
}

// noActiveOrganization says what to do when the session bills no one:
// choose one of the user's organizations, or create one when there is
// none to choose.
func (a *app) noActiveOrganization(c *guapocado.Client) error {
	orgs, err := c.Auth.ListOrganizations(a.ctx())
	if err == nil && len(orgs) == 0 {
		return failf(exitNoCustomer, "no_active_organization", "no active organization, and you belong to none: run: guapocado orgs create <name>")
	}
	return failf(exitNoCustomer, "no_active_organization", "no active organization: run: guapocado orgs use <slug> (see: guapocado orgs list)")
}

// keep stores the session again when the server changed its token.
func (a *app) keep(s *storedSession, c *guapocado.Client) error {
	tok := c.Auth.SessionToken()
	if tok == "" || tok == s.Token {
		return nil
	}
	s.Token, s.SavedAt = tok, time.Now().UTC()
	return a.saveSession(s)
}
