package main

import (
	"flag"
)

// command is one subcommand: its synopsis lines, what it does, and bind,
// which declares the command's own flags on a flag set and returns what runs
// it. Help is rendered from that flag set (see help.go), so it lists exactly
// the flags the command parses.
type command struct {
	name     string
	synopsis []string // "usage: guapocado " + each
	help     string   // what it does, one or a few lines
	bind     func(a *app, fs *flag.FlagSet) func(args []string) error
}

// plain binds a command that has no flags of its own.
func plain(run func(a *app, fs *flag.FlagSet, args []string) error) func(*app, *flag.FlagSet) func([]string) error {
	return func(a *app, fs *flag.FlagSet) func([]string) error {
		return func(args []string) error { return run(a, fs, args) }
	}
}

var commands []*command

func init() {
	commands = []*command{
		{name: "login", synopsis: []string{"login [--email EMAIL] [--password-stdin] [--org ID|SLUG]", "login --device [--client-id ID] [--org ID|SLUG]"},
			help: "Sign in and store the session, once the app has accepted it as the CLI will\n" +
				"send it. --device signs in through the browser (Better Auth's device\n" +
				"authorization): open the page shown, approve the code.",
			bind: (*app).login},
		{name: "logout", synopsis: []string{"logout"}, help: "Sign out and delete the stored session.", bind: plain((*app).logout)},
		{name: "signup", synopsis: []string{"signup [--email EMAIL] [--name NAME] [--password-stdin]"},
			help: "Create an account and store its session.",
			bind: (*app).signup},
		{name: "orgs", synopsis: []string{"orgs list", "orgs use <id|slug>", "orgs create <name> [--slug SLUG]"},
			help: "Your organizations (* marks the active one); bill another one; create one\n(it becomes the active one).",
			bind: (*app).orgs},
		{name: "teams", synopsis: []string{"teams list", "teams use <id|name>"},
			help: "The active organization's teams; make one the active team.", bind: plain((*app).teams)},
		{name: "has", synopsis: []string{"has <feature>"}, help: "Exit status 0 when entitled, 3 when not.", bind: plain((*app).has)},
		{name: "usage", synopsis: []string{"usage balance <meter>", "usage consume <meter> [amount]", "usage refund <meter> [amount]",
			"usage import FILE [--batch NAME] [--retry-refused] [--api-key KEY] [--api-url URL]"},
			help: "A meter's balance; consume or give back amount (default 1, a whole number > 0).\n" +
				"\n" +
				"import meters a JSON-lines file of {\"customerId\",\"key\",\"amount\",\"id\"} through\n" +
				"the platform API exactly once. A line's idempotency key is made of the batch\n" +
				"(--batch, default the file's name) and its id, so files that number their\n" +
				"lines the same way are kept apart. Lines are recorded in a journal file\n" +
				"(SQLite, --journal, default FILE.journal) and delivered from it, so a stopped\n" +
				"run resumes; lines whose outcome is unknown are sent again, with the same\n" +
				"keys, by running the same command again. Refused lines are not sent again\n" +
				"unless --retry-refused says so (after a top-up, say).",
			bind: (*app).usageCmd},
		{name: "limit", synopsis: []string{"limit <key>"}, help: "A limit (seats, projects, ...).", bind: plain((*app).limit)},
		{name: "plans", synopsis: []string{"plans"}, help: "The plan catalogue.", bind: plain((*app).plans)},
		{name: "subscription", synopsis: []string{"subscription"}, help: "The current subscription.", bind: plain((*app).subscription)},
		{name: "checkout", synopsis: []string{"checkout <product> [--success-url URL] [--cancel-url URL]"},
			help: "Start a checkout and print its URL.",
			bind: (*app).checkout},
		{name: "generate", synopsis: []string{"generate go [--config FILE] [--pkg NAME] [-o DIR]", "generate go --check [--config FILE] [--api-key KEY] [--api-url URL]"},
			help: "Write the billing config (billing.json) as a Go package: a type per kind of key\n" +
				"and a constant per key, so that consuming a feature does not compile. Also from\n" +
				"a //go:generate line. --check compares the config's keys with the live catalogue\n" +
				"(the signed-in app's, or the platform's with an API key) and fails naming every\n" +
				"key missing, or of another kind, on either side.",
			bind: (*app).generate},
		{name: "doctor", synopsis: []string{"doctor [--page-origin URL] [--email EMAIL] [--password-stdin]"},
			help: "Check an app's wiring: the plugin's mount, cookie names, the Origin check, the\n" +
				"bearer plugin, CORS for a page origin, the session's active organization, the\n" +
				"webhook receiver, clock skew and keep-alive. Each check prints PASS (it ran\n" +
				"and found the app right), FAIL (it ran and found a problem; the fix follows)\n" +
				"or SKIP (it could not run; what would let it run follows). Signs in with\n" +
				"email and password (as login does) for the bearer check. Exit status 0 when\n" +
				"no check failed (skipped checks do not count), else 7.",
			bind: (*app).doctor},
		{name: "fake", synopsis: []string{"fake [--addr HOST:PORT] [--env | --env-file FILE] [--webhook URL] [--cors ORIGINS]"},
			help: "Run a local fake of a Better Auth app with the Guapocado plugin and the\n" +
				"platform API on one listener, seeded with a demo user whose organization is\n" +
				"active; print its URL and credentials, and serve until Ctrl-C.",
			bind: (*app).fake},
		{name: "version", synopsis: []string{"version"}, help: "Print the version (also: guapocado --version).", bind: plain((*app).version)},
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
