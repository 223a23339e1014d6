package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/guapocado/guapocado-go/billingconfig"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// Defaults of `guapocado fake`.
const (
	fakeAddr     = "127.0.0.1:8787"
	fakeEmail    = "demo@example.com"
	fakePassword = "guapocado-demo"
	fakeOrg      = "acme"
)

// fakeInfo is what `guapocado fake` prints: where it listens and the demo
// credentials (printed on purpose: they only open this local fake).
type fakeInfo struct {
	BaseURL       string `json:"baseUrl"`
	APIURL        string `json:"apiUrl"`
	APIKey        string `json:"apiKey"`
	SessionToken  string `json:"sessionToken"`
	WebhookSecret string `json:"webhookSecret"`
	Email         string `json:"email"`
	Password      string `json:"password"`
	Organization  string `json:"organization"`
	CustomerID    string `json:"customerId"`
	Webhook       string `json:"webhook,omitempty"`
}

func (f *fakeInfo) exports() string {
	var b strings.Builder
	for _, kv := range [][2]string{
		{"GUAPOCADO_BASE_URL", f.BaseURL},
		{"GUAPOCADO_API_URL", f.APIURL},
		{"GUAPOCADO_API_KEY", f.APIKey},
		{"GUAPOCADO_SESSION_TOKEN", f.SessionToken},
		{"GUAPOCADO_WEBHOOK_SECRET", f.WebhookSecret},
		{"GUAPOCADO_EMAIL", f.Email},
		{"GUAPOCADO_PASSWORD", f.Password},
	} {
		fmt.Fprintf(&b, "export %s='%s'\n", kv[0], kv[1])
	}
	return b.String()
}

func randomToken(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// newFake starts the fake, turning NewServer's panic (it cannot listen)
// into an error.
func newFake(opts ...guapocadotest.Option) (srv *guapocadotest.Server, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
		}
	}()
	return guapocadotest.NewServer(opts...), nil
}

func (a *app) fake(fs *flag.FlagSet) func(args []string) error {
	addr := fs.String("addr", fakeAddr, "listen on `HOST:PORT`; port 0 picks a free one")
	webhook := fs.String("webhook", "", "deliver the platform's signed webhooks to this receiver `URL`")
	envOnly := fs.Bool("env", false, "print only shell export lines")
	envFile := fs.String("env-file", "", "once listening, write the shell export lines to `FILE` (whole, at once; removed on exit)")
	email := fs.String("email", fakeEmail, "the demo user's `EMAIL`")
	password := fs.String("password", fakePassword, "the demo user's `PASSWORD`")
	org := fs.String("org", fakeOrg, "the demo organization's `SLUG`")
	cors := fs.String("cors", "", "comma-separated page `ORIGINS` allowed to call the fake from a browser (and trusted)")
	config := fs.String("config", "", "serve the catalogue of this canonical billing config `FILE` (billing.json) instead of the demo one")
	return func(args []string) error {
		if _, err := a.positional(args, 0, 0, fs); err != nil {
			return err
		}
		if !validSlug(*org) {
			return usagef("fake: --org %q: want a slug (lower-case letters, digits and dashes)", *org)
		}
		if *webhook != "" {
			if u, err := url.Parse(*webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return usagef("fake: --webhook %q: want an http(s) URL", *webhook)
			}
		}
		secret := randomToken("whsec_", 24)
		opts := []guapocadotest.Option{
			guapocadotest.WithAddr(*addr),
			guapocadotest.WithWebhookSecret(secret),
			guapocadotest.WithDeviceTiming(time.Second, 10*time.Minute),
		}
		if *webhook != "" {
			// The fake sends the platform's signed events (usage.updated,
			// subscription.updated, ...) there, signed with the same secret.
			opts = append(opts, guapocadotest.WithWebhookEndpoint(*webhook, secret))
		}
		if *cors != "" {
			origins := strings.Split(*cors, ",")
			opts = append(opts, guapocadotest.WithCORS(origins...), guapocadotest.WithTrustedOrigins(origins...))
		}
		if *envOnly && *envFile != "" {
			return usagef("fake: --env and --env-file: choose one")
		}
		if *config != "" {
			cfg, err := billingconfig.Load(*config)
			if err != nil {
				return failf(exitFailure, "invalid_config", "fake: --config: %s", strings.TrimPrefix(err.Error(), "billingconfig: "))
			}
			opts = append(opts, guapocadotest.WithBillingConfig(cfg))
		}
		srv, err := newFake(opts...)
		if err != nil {
			return failf(exitFailure, "listen", "fake: cannot listen on %s: %s (pass a free port, or let the system pick one: --addr 127.0.0.1:0)", *addr, listenCause(err))
		}
		defer srv.Close()
		sess, err := srv.SignUpWithOrganization(*email, *password, "Demo", strings.ToUpper((*org)[:1])+(*org)[1:], *org)
		if err != nil {
			return usagef("fake: seeding the demo user: %v", err)
		}
		info := &fakeInfo{
			BaseURL: srv.URL, APIURL: srv.APIURL(), APIKey: srv.APIKey(), SessionToken: sess.Token,
			WebhookSecret: secret, Email: *email, Password: *password, Organization: *org,
			CustomerID: sess.CustomerID, Webhook: *webhook,
		}
		if *envFile != "" {
			if err := writeFileAtomic(*envFile, []byte(info.exports()), 0o600); err != nil { // 0600: it holds the demo credentials and keys
				return failf(exitFailure, "env_file", "fake: --env-file: %v", err)
			}
			defer os.Remove(*envFile)
		}
		switch {
		case a.json:
			if err := a.printJSON(info); err != nil {
				return err
			}
		case *envOnly:
			fmt.Fprint(a.stdout, info.exports())
		case *envFile != "":
			fmt.Fprintf(a.stdout, "Guapocado fake listening on %s; its environment is in %s. Stop it with Ctrl-C.\n", srv.URL, *envFile)
		default:
			fmt.Fprintf(a.stdout, `Guapocado fake listening on %s (Better Auth at %s%s, platform API at %s/v1).
Demo user %s, password %s, active organization %s (customer %s).
Stop it with Ctrl-C. In another shell:

%s
  guapocado login --email %s --org %s
  guapocado has advanced-analytics
`, srv.URL, srv.URL, guapocadotest.BasePath, srv.APIURL(), *email, *password, *org, sess.CustomerID, info.exports(), *email, *org)
		}
		<-a.parent.Done()
		fmt.Fprintln(a.stderr, "guapocado: fake stopped")
		return nil
	}
}

// listenCause is why the fake could not listen, without the test server's
// option names ("guapocadotest: WithAddr: listen tcp 127.0.0.1:8787: bind:
// address already in use" becomes "address already in use").
func listenCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

func validSlug(s string) bool { return s != "" && slugify(s) == s }
