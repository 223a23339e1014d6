package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	guapocado "github.com/guapocado/guapocado-go"
)

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error { return printJSONTo(a.stdout, v) }

// printJSONTo writes v as indented JSON to w.
func printJSONTo(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes rows aligned in columns, the first row being the header.
func (a *app) table(rows [][]string) error {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func (a *app) logout(fs *flag.FlagSet, args []string) error {
	if _, err := a.positional(args, 0, 0, fs); err != nil {
		return err
	}
	s, err := a.loadSession()
	var insecure *insecureError
	if errors.As(err, &insecure) {
		return err
	}
	if err != nil {
		// A damaged file: remove it all the same.
		if _, rerr := a.removeSession(); rerr != nil {
			return rerr
		}
		return a.report(map[string]bool{"signedOut": true}, "Signed out (the session file was damaged and is deleted).")
	}
	if s == nil {
		return a.report(map[string]bool{"signedOut": false}, "Not signed in.")
	}
	var serverErr error
	if c, err := a.newClient(s.BaseURL, s.auth()); err == nil {
		serverErr = c.Auth.SignOut(a.ctx())
		c.CloseIdleConnections()
		// A session the server no longer knows is signed out already.
		var apiErr *guapocado.Error
		if errors.As(serverErr, &apiErr) && (apiErr.StatusCode == 400 || apiErr.StatusCode == 401) {
			serverErr = nil
		}
	}
	if _, err := a.removeSession(); err != nil {
		return err
	}
	if serverErr != nil {
		fmt.Fprintf(a.stderr, "guapocado: the server did not confirm the sign-out (%v); the local session is deleted\n", serverErr)
	}
	return a.report(map[string]bool{"signedOut": true}, "Signed out.")
}

// report prints v as JSON or the text line.
func (a *app) report(v any, text string) error {
	if a.json {
		return a.printJSON(v)
	}
	_, err := fmt.Fprintln(a.stdout, text)
	return err
}

func findOrg(orgs []guapocado.Organization, idOrSlug string) *guapocado.Organization {
	if idOrSlug == "" {
		return nil
	}
	for i := range orgs {
		if orgs[i].ID == idOrSlug || orgs[i].Slug == idOrSlug {
			return &orgs[i]
		}
	}
	return nil
}

// use makes the organization with this id or slug the active one.
func (a *app) use(c *guapocado.Client, orgs []guapocado.Organization, idOrSlug string) (*guapocado.Organization, error) {
	o := findOrg(orgs, idOrSlug)
	if o == nil {
		return nil, fmt.Errorf("you are not a member of an organization %q (see: guapocado orgs list)", idOrSlug)
	}
	if _, err := c.Auth.SetActiveOrganization(a.ctx(), o.ID); err != nil {
		return nil, explain(a.parent, err, "")
	}
	return o, nil
}

func (a *app) orgs(fs *flag.FlagSet) func(args []string) error {
	slug := fs.String("slug", "", "orgs create: the new organization's `SLUG` (default: made from its name)")
	return func(args []string) error {
		pos, err := a.positional(args, 1, 2, fs)
		if err != nil {
			return err
		}
		if pos[0] == "create" && len(pos) == 2 {
			return a.orgsCreate(pos[1], *slug)
		}
		if !(pos[0] == "list" && len(pos) == 1) && !(pos[0] == "use" && len(pos) == 2) || *slug != "" {
			return usagef("orgs: want \"orgs list\", \"orgs use <id|slug>\" or \"orgs create <name> [--slug SLUG]\"")
		}
		s, c, err := a.session()
		if err != nil {
			return err
		}
		defer c.CloseIdleConnections()
		orgs, err := c.Auth.ListOrganizations(a.ctx())
		if err != nil {
			return explain(a.parent, err, "")
		}
		switch {
		case pos[0] == "list":
			info, err := c.Auth.Session(a.ctx())
			if err != nil {
				return explain(a.parent, err, "")
			}
			if info == nil {
				return errSessionExpired
			}
			type row struct {
				guapocado.Organization
				Active bool `json:"active"`
			}
			rows := make([]row, len(orgs))
			text := [][]string{{"ACTIVE", "SLUG", "NAME", "ID"}}
			for i, o := range orgs {
				rows[i] = row{o, o.ID == info.Session.ActiveOrganizationID}
				mark := ""
				if rows[i].Active {
					mark = "*"
				}
				text = append(text, []string{mark, o.Slug, o.Name, o.ID})
			}
			if err := a.keep(s, c); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(rows)
			}
			if len(orgs) == 0 {
				_, err := fmt.Fprintln(a.stdout, "You belong to no organization.")
				return err
			}
			return a.table(text)
		default: // use
			o, err := a.use(c, orgs, pos[1])
			if err != nil {
				return err
			}
			if err := a.keep(s, c); err != nil {
				return err
			}
			if a.json {
				return a.printJSON(o)
			}
			_, err = fmt.Fprintf(a.stdout, "Active organization: %s (%s).\n", o.Name, o.Slug)
			return err
		}
	}
}

func (a *app) has(fs *flag.FlagSet, args []string) error {
	pos, err := a.positional(args, 1, 1, fs)
	if err != nil {
		return err
	}
	key := pos[0]
	var ok bool
	if err := a.withSession(key, func(_ *storedSession, c *guapocado.Client) (err error) {
		ok, err = c.Has(a.ctx(), key)
		return err
	}); err != nil {
		return err
	}
	if a.json {
		err = a.printJSON(struct {
			Key     string `json:"key"`
			Allowed bool   `json:"allowed"`
		}{key, ok})
	} else if ok {
		_, err = fmt.Fprintf(a.stdout, "%s: entitled\n", key)
	} else {
		_, err = fmt.Fprintf(a.stdout, "%s: not entitled\n", key)
	}
	if err == nil && !ok {
		return notEntitled{}
	}
	return err
}

func resets(u *guapocado.Usage) string {
	if u.Resets == nil {
		return "never"
	}
	return u.Resets.UTC().Format("2006-01-02 15:04 MST")
}

// usageSession is usage balance, consume and refund: pos is the verb, the
// meter and the amount.
func (a *app) usageSession(pos []string) error {
	if len(pos) < 2 {
		return usagef("usage: wrong number of arguments")
	}
	verb, key := pos[0], pos[1]
	amount, err := amountArg(pos, 2)
	if err != nil {
		return err
	}
	if verb != "balance" && verb != "consume" && verb != "refund" {
		return usagef("usage: want balance, consume or refund, not %q", verb)
	}
	if verb == "balance" && len(pos) == 3 {
		return usagef("usage balance takes no amount")
	}
	var u *guapocado.Usage
	if err := a.withSession(key, func(_ *storedSession, c *guapocado.Client) (err error) {
		switch verb {
		case "balance":
			u, err = c.Usage.Balance(a.ctx(), key)
		case "consume":
			u, err = c.Usage.Consume(a.ctx(), key, amount)
			if errors.Is(err, guapocado.ErrInsufficientBalance) {
				msg := fmt.Sprintf("insufficient balance: %d %s requested", amount, key)
				if b, berr := c.Usage.Balance(a.ctx(), key); berr == nil {
					msg += fmt.Sprintf(", %d left of %d", b.Balance, b.Included)
				}
				return failf(exitInsufficient, "insufficient_balance", "%s (buy more, or enable overage if the plan allows it)", msg)
			}
		case "refund":
			u, err = c.Usage.Refund(a.ctx(), key, amount)
		}
		return err
	}); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(u) // a Usage names its meter (key)
	}
	switch verb {
	case "consume":
		fmt.Fprintf(a.stdout, "Consumed %d %s.\n", amount, key)
	case "refund":
		fmt.Fprintf(a.stdout, "Refunded %d %s.\n", amount, key)
	}
	over := fmt.Sprint(u.Overage)
	if u.OverageAllowed {
		over += fmt.Sprintf(" (allowed, %s)", onOff(u.OverageEnabled))
	}
	return a.table([][]string{
		{"METER", "BALANCE", "INCLUDED", "CONSUMED", "OVERAGE", "RESETS"},
		{key, fmt.Sprint(u.Balance), fmt.Sprint(u.Included), fmt.Sprint(u.Consumed), over, resets(u)},
	})
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func (a *app) limit(fs *flag.FlagSet, args []string) error {
	pos, err := a.positional(args, 1, 1, fs)
	if err != nil {
		return err
	}
	key := pos[0]
	var l *guapocado.Limit
	if err := a.withSession(key, func(_ *storedSession, c *guapocado.Client) (err error) {
		l, err = c.Limit(a.ctx(), key)
		return err
	}); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(l) // a Limit names its key
	}
	exp := "not allowed"
	if l.ExpansionAllowed {
		exp = "allowed, auto " + onOff(l.AutoExpansionEnabled)
	}
	return a.table([][]string{
		{"LIMIT", "VALUE", "INCLUDED", "PURCHASED", "EXPANSION"},
		{key, fmt.Sprint(l.Limit), fmt.Sprint(l.Included), fmt.Sprint(l.Purchased), exp},
	})
}

// price describes a plan's price, e.g. "USD 29.00/month".
func price(p guapocado.Plan) string {
	pr := p.Config.Pricing
	if pr == nil {
		return "-"
	}
	if pr.Amount == nil {
		return pr.Mode
	}
	s := fmt.Sprintf("%s %d.%02d", strings.ToUpper(pr.Currency), *pr.Amount/100, *pr.Amount%100)
	freq := pr.Frequency
	if freq == "" {
		freq = pr.Interval
	}
	if freq != "" {
		s += "/" + freq
	} else if pr.Mode == "one_time" {
		s += " once"
	}
	return s
}

func (a *app) plans(fs *flag.FlagSet, args []string) error {
	if _, err := a.positional(args, 0, 0, fs); err != nil {
		return err
	}
	var plans []guapocado.Plan
	if err := a.withSession("", func(_ *storedSession, c *guapocado.Client) (err error) {
		plans, err = c.Plans.List(a.ctx())
		return err
	}); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(plans)
	}
	rows := [][]string{{"KEY", "NAME", "PRICE"}}
	for _, p := range plans {
		rows = append(rows, []string{p.Key, p.Name, price(p)})
	}
	return a.table(rows)
}

func (a *app) subscription(fs *flag.FlagSet, args []string) error {
	if _, err := a.positional(args, 0, 0, fs); err != nil {
		return err
	}
	var sub *guapocado.Subscription
	if err := a.withSession("", func(_ *storedSession, c *guapocado.Client) (err error) {
		sub, err = c.Subscription.Current(a.ctx())
		return err
	}); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(struct {
			Subscription *guapocado.Subscription `json:"subscription"`
		}{sub})
	}
	if sub == nil {
		_, err := fmt.Fprintln(a.stdout, "No subscription.")
		return err
	}
	period := ""
	if sub.CurrentPeriodStart != nil && sub.CurrentPeriodEnd != nil {
		period = sub.CurrentPeriodStart.UTC().Format("2006-01-02") + " to " + sub.CurrentPeriodEnd.UTC().Format("2006-01-02")
	}
	return a.table([][]string{{"PLAN", "STATUS", "PERIOD", "ID"}, {sub.PlanKey, string(sub.Status), period, sub.ID}})
}

func (a *app) checkout(fs *flag.FlagSet) func(args []string) error {
	success := fs.String("success-url", "", "the `URL` the checkout returns to after paying (default: the app's URL)")
	cancel := fs.String("cancel-url", "", "the `URL` the checkout returns to when abandoned (default: the app's URL)")
	return func(args []string) error {
		pos, err := a.positional(args, 1, 1, fs)
		if err != nil {
			return err
		}
		var co *guapocado.Checkout
		if err := a.withSession(pos[0], func(s *storedSession, c *guapocado.Client) (err error) {
			if *success == "" {
				*success = s.BaseURL + "/"
			}
			if *cancel == "" {
				*cancel = s.BaseURL + "/"
			}
			co, err = c.Checkout.Create(a.ctx(), &guapocado.CheckoutParams{ProductKey: pos[0], SuccessURL: *success, CancelURL: *cancel})
			return err
		}); err != nil {
			return err
		}
		if a.json {
			return a.printJSON(co)
		}
		_, err = fmt.Fprintf(a.stdout, "Open this page to pay for %s:\n%s\n", pos[0], co.URL)
		return err
	}
}
