// Command quickstart shows the SDK end to end: a session, entitlements,
// a meter's balance, a consume and a refund, the customer and the plans.
//
//	go run ./examples/quickstart
//
// With no environment it starts the embedded fake server (guapocadotest),
// signs up a user and creates an organization through the SDK. To run the
// same against a real Better Auth app with the Guapocado plugin, set
// GUAPOCADO_BASE_URL (the app's URL) and GUAPOCADO_SESSION_TOKEN (a signed
// session token) or GUAPOCADO_BEARER_TOKEN; GUAPOCADO_METER (default
// "api-calls") and GUAPOCADO_FEATURE (default "csv-export") choose the keys.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	meter, feature := envOr("GUAPOCADO_METER", "api-calls"), envOr("GUAPOCADO_FEATURE", "csv-export")

	c, err := connect(ctx, out)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()

	cust, err := c.Customer.Sync(ctx)
	if err != nil {
		return explain(err)
	}
	row(out, "customer", "%s%s", cust.ID, who(cust))

	for _, key := range []string{feature, "advanced-analytics"} {
		ok, err := c.Has(ctx, key)
		if errors.Is(err, guapocado.ErrNotFound) {
			continue // not in this app's catalogue
		}
		if err != nil {
			return explain(err)
		}
		row(out, "has "+key, "%v", ok)
	}

	before, err := c.Usage.Balance(ctx, meter)
	if err != nil {
		return explain(err)
	}
	row(out, meter, "balance %d of %d, %s", before.Balance, before.Included, resets(before))

	after, err := c.Usage.Consume(ctx, meter, 5)
	switch {
	case errors.Is(err, guapocado.ErrInsufficientBalance):
		row(out, "consume 5", "refused: insufficient balance")
	case err != nil:
		return explain(err)
	default:
		// The amount this call consumed, not the meter's total for the period.
		row(out, "consume 5", "balance %d -> %d (consumed %d)", before.Balance, after.Balance, after.Consumed-before.Consumed)
		back, err := c.Usage.Refund(ctx, meter, 5)
		if err != nil {
			return explain(err)
		}
		row(out, "refund 5", "balance %d -> %d", after.Balance, back.Balance)
	}

	plans, err := c.Plans.List(ctx)
	if err != nil {
		return explain(err)
	}
	names := make([]string, 0, len(plans))
	for _, p := range plans {
		names = append(names, p.Key+" ("+price(p)+")")
	}
	row(out, "plans", "%s", strings.Join(names, ", "))
	return nil
}

// connect returns a client for the app named by the environment, or for a
// fresh embedded fake server with a new user and organization.
func connect(ctx context.Context, out io.Writer) (*guapocado.Client, error) {
	if base := os.Getenv("GUAPOCADO_BASE_URL"); base != "" {
		var opt guapocado.Option
		switch {
		case os.Getenv("GUAPOCADO_SESSION_TOKEN") != "":
			opt = guapocado.WithSessionToken(os.Getenv("GUAPOCADO_SESSION_TOKEN"))
		case os.Getenv("GUAPOCADO_BEARER_TOKEN") != "":
			opt = guapocado.WithBearerToken(os.Getenv("GUAPOCADO_BEARER_TOKEN"))
		default:
			return nil, errors.New("GUAPOCADO_BASE_URL is set: set GUAPOCADO_SESSION_TOKEN or GUAPOCADO_BEARER_TOKEN too")
		}
		row(out, "app", "%s", base)
		return guapocado.NewClient(base, opt)
	}

	srv := guapocadotest.NewServer() // lives until the program exits
	row(out, "app", "%s (embedded fake server)", srv.URL)
	c, err := guapocado.NewClient(srv.URL)
	if err != nil {
		return nil, err
	}
	if _, err := c.Auth.SignUpEmail(ctx, "alice@example.com", "password1234", "Alice"); err != nil {
		return nil, err
	}
	org, err := c.Auth.CreateOrganization(ctx, "Acme", "acme")
	if err != nil {
		return nil, err
	}
	row(out, "signed up", "alice@example.com, active organization %q", org.Name)
	return c, nil
}

// labelWidth is the width of the label column: the longest label the
// quickstart prints by default ("has advanced-analytics") and a space.
const labelWidth = 23

// row prints one line: the label, padded to labelWidth (a longer label, a
// meter or feature key from the environment, gets one space), then the value.
func row(out io.Writer, label, format string, args ...any) {
	fmt.Fprintf(out, "%-*s %s\n", labelWidth-1, label, fmt.Sprintf(format, args...))
}

func explain(err error) error {
	switch {
	case errors.Is(err, guapocado.ErrNoCustomer):
		return fmt.Errorf("%w\nthe session has no active organization: set one in the app first", err)
	case errors.Is(err, guapocado.ErrUnauthorized):
		return fmt.Errorf("%w\nthe session token is missing, invalid or expired", err)
	case errors.Is(err, guapocado.ErrInvalidAPIKey):
		return fmt.Errorf("%w\nthe app is misconfigured: the platform refused its Guapocado API key", err)
	}
	return err
}

func who(c *guapocado.Customer) string {
	if c.Name == "" && c.Email == "" {
		return ""
	}
	return fmt.Sprintf(" (%s <%s>)", c.Name, c.Email)
}

func resets(u *guapocado.Usage) string {
	if u.Resets == nil {
		return "never resets"
	}
	return "resets " + u.Resets.UTC().Format("2006-01-02 15:04 MST")
}

func price(p guapocado.Plan) string {
	pr := p.Config.Pricing
	if pr == nil {
		return "no price"
	}
	if pr.Amount == nil {
		return pr.Mode
	}
	s := fmt.Sprintf("%s %d.%02d", strings.ToUpper(pr.Currency), *pr.Amount/100, *pr.Amount%100)
	if pr.Frequency != "" {
		s += "/" + pr.Frequency
	} else if pr.Mode == "one_time" {
		s += " once"
	}
	return s
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
