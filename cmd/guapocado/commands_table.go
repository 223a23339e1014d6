package main

import (
	"strings"
)

// command is one subcommand: its synopsis lines (for its own usage and the
// full list) and what runs it.
type command struct {
	name     string
	synopsis []string // "usage: guapocado " + each
	help     string   // what it does, one or a few lines
	flags    string   // its own flags, if any
	run      func(a *app, args []string) error
}

func (c *command) usage() string {
	var b strings.Builder
	for i, s := range c.synopsis {
		if i == 0 {
			b.WriteString("usage: guapocado " + s + "\n")
		} else {
			b.WriteString("       guapocado " + s + "\n")
		}
	}
	b.WriteString("\n" + c.help + "\n")
	if c.flags != "" {
		b.WriteString("\nflags:\n" + c.flags)
	}
	b.WriteString("\n" + globalFlags)
	return b.String()
}

var commands []*command

func init() {
	commands = []*command{
		{name: "login", synopsis: []string{"login [--email EMAIL] [--password-stdin] [--org ID|SLUG]", "login --device [--org ID|SLUG]"},
			help: "Sign in and store the session. --device signs in through the browser\n(Better Auth's device authorization): open the page shown, approve the code.",
			flags: "  --email EMAIL      the account (default: $GUAPOCADO_EMAIL, else a prompt)\n" +
				"  --password-stdin   read the password from standard input (else $GUAPOCADO_PASSWORD, else a prompt)\n" +
				"  --org ID|SLUG      make this organization the active one\n" +
				"  --device           sign in through the device authorization flow\n" +
				"  --client-id ID     the device flow's client_id (default guapocado-cli)\n",
			run: (*app).login},
		{name: "logout", synopsis: []string{"logout"}, help: "Sign out and delete the stored session.", run: (*app).logout},
		{name: "signup", synopsis: []string{"signup [--email EMAIL] [--name NAME] [--password-stdin]"},
			help:  "Create an account and store its session.",
			flags: "  --email EMAIL      the account's email\n  --name NAME        your name\n  --password-stdin   read the password from standard input\n",
			run:   (*app).signup},
		{name: "orgs", synopsis: []string{"orgs list", "orgs use <id|slug>", "orgs create <name> [--slug SLUG]"},
			help: "Your organizations (* marks the active one); bill another one; create one\n(it becomes the active one).",
			run:  (*app).orgs},
		{name: "teams", synopsis: []string{"teams list", "teams use <id|name>"},
			help: "The active organization's teams; make one the active team.", run: (*app).teams},
		{name: "has", synopsis: []string{"has <feature>"}, help: "Exit status 0 when entitled, 3 when not.", run: (*app).has},
		{name: "usage", synopsis: []string{"usage balance <meter>", "usage consume <meter> [amount]", "usage refund <meter> [amount]",
			"usage import FILE [--api-key KEY] [--api-url URL] [--concurrency N] [--state FILE]"},
			help: "A meter's balance; consume or give back amount (default 1, a whole number > 0).\n" +
				"import meters a JSON-lines file of {\"customerId\",\"key\",\"amount\",\"id\"} through the\n" +
				"platform API exactly once: each line's idempotency key is \"import-\"+id, settled\n" +
				"lines are journaled in the state file, and a run that was stopped resumes.",
			flags: "  --api-key KEY      the platform secret key (default: $GUAPOCADO_API_KEY)\n" +
				"  --api-url URL      the platform API (default: $GUAPOCADO_API_URL, else https://api.guapocado.dev)\n" +
				"  --concurrency N    requests in flight (default 8)\n" +
				"  --state FILE       the journal (default: FILE.state next to the input)\n" +
				"  --timeout D        (import) bound on each request, retries included\n",
			run: (*app).usageCmd},
		{name: "limit", synopsis: []string{"limit <key>"}, help: "A limit (seats, projects, ...).", run: (*app).limit},
		{name: "plans", synopsis: []string{"plans"}, help: "The plan catalogue.", run: (*app).plans},
		{name: "subscription", synopsis: []string{"subscription"}, help: "The current subscription.", run: (*app).subscription},
		{name: "checkout", synopsis: []string{"checkout <product> [--success-url URL] [--cancel-url URL]"},
			help:  "Start a checkout and print its URL.",
			flags: "  --success-url URL  where the checkout returns after paying (default: the app)\n  --cancel-url URL   where it returns when abandoned (default: the app)\n",
			run:   (*app).checkout},
		{name: "generate", synopsis: []string{"generate go [--config billing.json] [--pkg NAME] [-o DIR]", "generate go --check [--config billing.json] [--api-key KEY] [--api-url URL]"},
			help: "Write the billing config (billing.json) as a Go package: a type per kind of key\n" +
				"and a constant per key, so that consuming a feature does not compile. Also from\n" +
				"a //go:generate line. --check compares the config's keys with the live catalogue\n" +
				"(the signed-in app's, or the platform's with an API key) and fails naming every\n" +
				"key missing, or of another kind, on either side.",
			flags: "  --config FILE      the canonical billing config (default billing.json)\n" +
				"  --pkg NAME         the package name (default: the output directory's name)\n" +
				"  -o DIR             the output directory (default .); writes DIR/catalogue_gen.go\n" +
				"  --check            compare with the live catalogue instead of writing code\n" +
				"  --api-key KEY      with --check: the platform's catalogue (default: $GUAPOCADO_API_KEY)\n" +
				"  --api-url URL      with --check: the platform API (default: $GUAPOCADO_API_URL)\n",
			run: (*app).generate},
		{name: "doctor", synopsis: []string{"doctor [--page-origin URL] [--email EMAIL] [--password-stdin]"},
			help: "Check an app's wiring and print pass or fail, with the fix, for each check:\n" +
				"the plugin's mount, cookie names, the Origin check, the bearer plugin, CORS for\n" +
				"a page origin, the session's active organization, the webhook receiver, clock\n" +
				"skew and keep-alive. Signs in with email and password (as login does) for the\n" +
				"cookie and bearer checks. Exit status 0 only when every check passes, else 7.",
			flags: "  --page-origin URL  check CORS for a browser page served from this origin\n" +
				"  --email EMAIL      the account to sign in with (default: $GUAPOCADO_EMAIL, then the stored session's)\n" +
				"  --password-stdin   read the password from standard input\n",
			run: (*app).doctor},
		{name: "fake", synopsis: []string{"fake [--addr HOST:PORT] [--webhook URL] [--env]"},
			help: "Run a local fake of a Better Auth app with the Guapocado plugin and the\n" +
				"platform API on one listener, seeded with a demo user whose organization is\n" +
				"active; print its URL and credentials, and serve until Ctrl-C.",
			flags: "  --addr HOST:PORT   where to listen (default 127.0.0.1:8787; port 0 picks one)\n" +
				"  --webhook URL      deliver signed webhooks to this receiver\n" +
				"  --env              print only shell export lines\n" +
				"  --email, --password, --org   the demo user (demo@example.com, guapocado-demo, acme)\n",
			run: (*app).fake},
		{name: "version", synopsis: []string{"version"}, help: "Print the version (also: guapocado --version).", run: (*app).version},
	}
}

func findCommand(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// fullUsage lists every command.
func fullUsage() string {
	var b strings.Builder
	b.WriteString("usage: guapocado [--base-url URL] [--json] [--timeout D] <command> [arguments]\n\ncommands:\n")
	for _, c := range commands {
		for _, s := range c.synopsis {
			b.WriteString("  " + s + "\n")
		}
	}
	b.WriteString("\nRun guapocado help <command> for one command's flags.\n\n")
	b.WriteString(globalFlags)
	b.WriteString("\nenvironment: GUAPOCADO_BASE_URL, GUAPOCADO_EMAIL, GUAPOCADO_PASSWORD, GUAPOCADO_API_KEY, GUAPOCADO_API_URL\n\n")
	b.WriteString(exitCodes)
	return b.String()
}
