package main

import (
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// appForLogin is the app a login or sign-up talks to: --base-url,
// GUAPOCADO_BASE_URL, else the stored session's. A stored session another
// user could have planted is refused before any password is sent.
func (a *app) appForLogin(name string) (string, *storedSession, error) {
	old, err := a.loadSession() // a damaged file is simply replaced
	var insecure *insecureError
	if errors.As(err, &insecure) {
		return "", nil, err // a planted session could name another server: do not send the password anywhere
	}
	base := a.baseURL
	if base == "" && old != nil {
		base = old.BaseURL
	}
	if base == "" {
		return "", nil, usagef("%s: which app? pass --base-url or set GUAPOCADO_BASE_URL", name)
	}
	return trimSlash(base), old, nil
}

func (a *app) login(fs *flag.FlagSet) func(args []string) error {
	email := fs.String("email", "", "the account's `EMAIL` (default: $GUAPOCADO_EMAIL, else a prompt)")
	org := fs.String("org", "", "make the organization with this `ID|SLUG` the active one")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (default: $GUAPOCADO_PASSWORD, else a prompt)")
	device := fs.Bool("device", false, "sign in through the device authorization flow")
	clientID := fs.String("client-id", "guapocado-cli", "the device flow's client_id `ID`")
	return func(args []string) error {
		if _, err := a.positional(args, 0, 0, fs); err != nil {
			return err
		}
		if *device && (*email != "" || *fromStdin) {
			return usagef("login: --device takes no --email or --password-stdin")
		}
		base, old, err := a.appForLogin("login")
		if err != nil {
			return err
		}
		if *device {
			if err := a.refuseCleartext(base, "the device code and the session token"); err != nil {
				return err
			}
			tok, err := a.deviceLogin(base, *clientID)
			if err != nil {
				return err
			}
			c, err := a.newClient(base, guapocado.WithBearerToken(tok))
			if err != nil {
				return err
			}
			defer c.CloseIdleConnections()
			info, err := c.Auth.Session(a.ctx())
			if err != nil {
				return explain(a.parent, err, "")
			}
			if info == nil {
				return failf(exitNotSignedIn, "not_signed_in", "the server did not accept the device token as a bearer token (is Better Auth's bearer plugin enabled? see: guapocado doctor)")
			}
			return a.finishLogin(c, base, old, &info.User, tok, "bearer", *org)
		}
		if err := a.refuseCleartext(base, "the password"); err != nil {
			return err
		}
		c, err := a.newClient(base)
		if err != nil {
			return err
		}
		defer c.CloseIdleConnections()
		addr, err := a.email(*email)
		if err != nil {
			return err
		}
		pw, err := a.password(*fromStdin)
		if err != nil {
			return err
		}
		u, err := c.Auth.SignInEmail(a.ctx(), addr, pw)
		if errors.Is(err, guapocado.ErrUnauthorized) {
			return failf(exitNotSignedIn, "wrong_credentials", "wrong email or password")
		}
		if err != nil {
			return explain(a.parent, err, "")
		}
		return a.finishLogin(c, base, old, u, c.Auth.SessionToken(), "", *org)
	}
}

func (a *app) signup(fs *flag.FlagSet) func(args []string) error {
	email := fs.String("email", "", "the account's `EMAIL` (default: $GUAPOCADO_EMAIL, else a prompt)")
	name := fs.String("name", "", "your `NAME` (default: the email's part before @)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (default: $GUAPOCADO_PASSWORD, else a prompt)")
	return func(args []string) error {
		if _, err := a.positional(args, 0, 0, fs); err != nil {
			return err
		}
		base, old, err := a.appForLogin("signup")
		if err != nil {
			return err
		}
		if err := a.refuseCleartext(base, "the password"); err != nil {
			return err
		}
		c, err := a.newClient(base)
		if err != nil {
			return err
		}
		defer c.CloseIdleConnections()
		addr, err := a.email(*email)
		if err != nil {
			return err
		}
		pw, err := a.password(*fromStdin)
		if err != nil {
			return err
		}
		n := *name
		if n == "" {
			n, _, _ = strings.Cut(addr, "@")
		}
		u, err := c.Auth.SignUpEmail(a.ctx(), addr, pw, n)
		if err != nil {
			return explain(a.parent, err, "")
		}
		return a.finishLogin(c, base, old, u, c.Auth.SessionToken(), "", "")
	}
}

// finishLogin stores the new session (ending the one it replaces), makes
// org active when given, and reports who is signed in and what is billed.
func (a *app) finishLogin(c *guapocado.Client, base string, old *storedSession, u *guapocado.User, tok, tokType, org string) error {
	if tok == "" {
		return errors.New("the server sent no session")
	}
	s := &storedSession{BaseURL: base, Email: u.Email, Token: tok, TokenType: tokType, SavedAt: time.Now().UTC()}
	if err := a.checkStored(c, s); err != nil {
		return err
	}
	if old != nil && old.Token != tok && trimSlash(old.BaseURL) == base {
		// End the session this login replaces, if it is still alive.
		if oc, err := a.newClient(old.BaseURL, old.auth()); err == nil {
			_ = oc.Auth.SignOut(a.ctx())
			oc.CloseIdleConnections()
		}
	}
	if err := a.saveSession(s); err != nil {
		return fmt.Errorf("storing the session: %w", err)
	}

	orgs, err := c.Auth.ListOrganizations(a.ctx())
	if err != nil {
		return explain(a.parent, err, "")
	}
	var active *guapocado.Organization
	if org != "" {
		if active, err = a.use(c, orgs, org); err != nil {
			return err
		}
	} else if info, err := c.Auth.Session(a.ctx()); err != nil {
		return explain(a.parent, err, "")
	} else if info != nil {
		active = findOrg(orgs, info.Session.ActiveOrganizationID)
		if active == nil && info.Session.ActiveTeamID == "" && len(orgs) == 1 {
			// One organization and none active: bill it.
			if active, err = a.use(c, orgs, orgs[0].ID); err != nil {
				return err
			}
		}
	}
	if err := a.keep(s, c); err != nil {
		return err
	}

	if a.json {
		return a.printJSON(struct {
			BaseURL            string                   `json:"baseUrl"`
			User               *guapocado.User          `json:"user"`
			ActiveOrganization *guapocado.Organization  `json:"activeOrganization"`
			Organizations      []guapocado.Organization `json:"organizations"`
		}{s.BaseURL, u, active, orgs})
	}
	fmt.Fprintf(a.stdout, "Signed in to %s as %s", s.BaseURL, u.Email)
	if u.Name != "" {
		fmt.Fprintf(a.stdout, " (%s)", u.Name)
	}
	fmt.Fprintln(a.stdout, ".")
	switch {
	case active != nil:
		fmt.Fprintf(a.stdout, "Active organization: %s (%s).\n", active.Name, active.Slug)
	case len(orgs) == 0:
		fmt.Fprintln(a.stdout, "You belong to no organization yet: run: guapocado orgs create <name>")
	default:
		slugs := make([]string, len(orgs))
		for i, o := range orgs {
			slugs[i] = o.Slug
		}
		fmt.Fprintf(a.stdout, "No active organization: run: guapocado orgs use <slug> (yours: %s)\n", strings.Join(slugs, ", "))
	}
	return nil
}

// checkStored checks, before anything is stored, that the app accepts the
// session as later commands will send it (a fresh client carrying only
// the token): an app on https with plain cookie names accepts the
// sign-in, then ignores the __Secure- cookie every later command sends.
// A session the app refuses is signed out with the client that made it.
func (a *app) checkStored(c *guapocado.Client, s *storedSession) error {
	sc, err := a.newClient(s.BaseURL, s.auth())
	if err != nil {
		return err
	}
	defer sc.CloseIdleConnections()
	info, err := sc.Auth.Session(a.ctx())
	if err != nil {
		return explain(a.parent, err, "")
	}
	if info != nil {
		return nil
	}
	_ = c.Auth.SignOut(a.ctx())
	how := "as a bearer token"
	if s.TokenType != "bearer" {
		name := "better-auth.session_token"
		if strings.HasPrefix(s.BaseURL, "https://") {
			name = "__Secure-" + name
		}
		how = "as the cookie " + name + " (an app on https with plain cookie names, advanced.useSecureCookies: false, or another cookie prefix ignores it)"
	}
	return failf(exitMisconfigured, "session_not_accepted", "the app accepted the password but not the session as the CLI sends it, %s; nothing was stored: see: guapocado doctor", how)
}

// slugify makes a slug from an organization's name.
func slugify(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimRight(b.String(), "-")
}

func (a *app) orgsCreate(name, slug string) error {
	if strings.TrimSpace(name) == "" {
		return usagef("orgs create: the name must not be empty")
	}
	if slug == "" {
		slug = slugify(name)
	}
	if slug == "" {
		return usagef("orgs create: cannot make a slug from %q: pass --slug", name)
	}
	var o *guapocado.Organization
	if err := a.withSession("", func(_ *storedSession, c *guapocado.Client) (err error) {
		o, err = c.Auth.CreateOrganization(a.ctx(), name, slug)
		return err
	}); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(o)
	}
	_, err := fmt.Fprintf(a.stdout, "Created organization %s (%s); it is now the active one.\n", o.Name, o.Slug)
	return err
}

func (a *app) teams(fs *flag.FlagSet, args []string) error {
	pos, err := a.positional(args, 1, 2, fs)
	if err != nil {
		return err
	}
	if !(pos[0] == "list" && len(pos) == 1) && !(pos[0] == "use" && len(pos) == 2) {
		return usagef("teams: want \"teams list\" or \"teams use <id|name>\"")
	}
	var teams []guapocado.Team
	var active string
	var chosen *guapocado.Team
	if err := a.withSession("", func(_ *storedSession, c *guapocado.Client) (err error) {
		info, err := c.Auth.Session(a.ctx())
		if err != nil {
			return err
		}
		if info == nil {
			return errSessionExpired
		}
		if info.Session.ActiveOrganizationID == "" {
			return a.noActiveOrganization(c)
		}
		active = info.Session.ActiveTeamID
		if teams, err = c.Auth.ListTeams(a.ctx()); err != nil {
			return err
		}
		if pos[0] == "list" {
			return nil
		}
		for i := range teams {
			if teams[i].ID == pos[1] || teams[i].Name == pos[1] {
				chosen = &teams[i]
			}
		}
		if chosen == nil {
			return failf(exitFailure, "unknown_team", "the active organization has no team %q (see: guapocado teams list)", pos[1])
		}
		_, err = c.Auth.SetActiveTeam(a.ctx(), chosen.ID)
		if errors.Is(err, guapocado.ErrForbidden) {
			return failf(exitFailure, "not_a_member", "you are not a member of team %q: ask an admin to add you", chosen.Name)
		}
		return err
	}); err != nil {
		return err
	}
	if chosen != nil {
		if a.json {
			return a.printJSON(chosen)
		}
		_, err := fmt.Fprintf(a.stdout, "Active team: %s.\n", chosen.Name)
		return err
	}
	if a.json {
		type row struct {
			guapocado.Team
			Active bool `json:"active"`
		}
		rows := make([]row, len(teams))
		for i, t := range teams {
			rows[i] = row{t, t.ID == active}
		}
		return a.printJSON(rows)
	}
	rows := [][]string{{"ACTIVE", "NAME", "ID"}}
	for _, t := range teams {
		mark := ""
		if t.ID == active {
			mark = "*"
		}
		rows = append(rows, []string{mark, t.Name, t.ID})
	}
	return a.table(rows)
}
