// Command cli is a command-line client for a Better Auth app running the
// Guapocado plugin: sign in, choose the organization to bill, and check
// entitlements, meters, limits, plans, the subscription and checkout.
//
//	go build -o guapocado ./examples/cli
//	guapocado --base-url https://app.example.com login --email alice@example.com
//	guapocado orgs list
//	guapocado orgs use acme
//	guapocado has advanced-analytics
//	guapocado usage consume ai-credits 5
//	guapocado --json usage balance ai-credits
//
// The session token (never the password) is kept in
// <user config dir>/guapocado/session.json, readable by the user only. On
// Unix the CLI refuses that file when it, its directory or the config
// directory is not the user's own or is writable by group or others (as ssh
// does): a planted session could send the password to another server. The
// password comes from GUAPOCADO_PASSWORD, from standard input with
// --password-stdin, or from a prompt that does not echo it (Unix terminals).
//
// Exit status: 0 success, 1 failure, 2 bad usage, 3 "has" answered not
// entitled.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitNotEntitled = 3
)

const usageText = `usage: guapocado [--base-url URL] [--json] <command> [arguments]

commands:
  login [--email EMAIL] [--org ID|SLUG] [--password-stdin]
                                    sign in and store the session
  logout                            sign out and delete the stored session
  orgs list                         your organizations (* marks the active one)
  orgs use <id|slug>                bill this organization
  has <feature>                     exit status 0 when entitled, 3 when not
  usage balance <meter>             the meter's balance
  usage consume <meter> [amount]    consume amount (default 1)
  usage refund <meter> [amount]     give amount back (default 1)
  limit <key>                       a limit (seats, projects, ...)
  plans                             the plan catalogue
  subscription                      the current subscription
  checkout <product> [--success-url URL] [--cancel-url URL]
                                    start a checkout and print its URL

flags (anywhere on the line):
  --base-url URL   the Better Auth app (default: $GUAPOCADO_BASE_URL, then the stored session's)
  --json           print JSON instead of tables
  --timeout D      give up on the server after D (default 30s; e.g. 10s, 2m)

environment: GUAPOCADO_BASE_URL, GUAPOCADO_EMAIL, GUAPOCADO_PASSWORD
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

// app is one invocation of the CLI.
type app struct {
	parent context.Context // run's context
	call   context.Context // parent bounded by timeout, from the first call on (see ctx)
	cancel context.CancelFunc
	stdin  io.Reader
	in     *bufio.Reader // stdin, read line by line (prompts)
	stdout io.Writer
	stderr io.Writer
	env    func(string) string

	json    bool
	baseURL string        // from --base-url or GUAPOCADO_BASE_URL; "" when neither
	timeout time.Duration // --timeout
}

// defaultTimeout bounds a command's calls to the server (--timeout).
const defaultTimeout = 30 * time.Second

// ctx is the context of the command's calls to the server: run's context
// with the --timeout deadline, which starts at the first call (so the time
// spent typing a password at a prompt does not count).
func (a *app) ctx() context.Context {
	if a.call == nil {
		a.call, a.cancel = context.WithTimeout(a.parent, a.timeout)
	}
	return a.call
}

// errUsage is a command line the CLI does not understand; its message is
// printed with the usage text.
type errUsage struct{ msg string }

func (e errUsage) Error() string { return e.msg }

func usagef(format string, args ...any) error { return errUsage{fmt.Sprintf(format, args...)} }

// run is the CLI: args without the program name. It returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	a := &app{parent: ctx, stdin: stdin, in: bufio.NewReader(stdin), stdout: stdout, stderr: stderr, env: env, timeout: defaultTimeout}
	err := a.dispatch(args)
	if a.cancel != nil {
		a.cancel()
	}
	var ue errUsage
	var ne notEntitled
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ne):
		return exitNotEntitled
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprint(stdout, usageText)
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "guapocado: %s\n\n%s", ue.msg, usageText)
		return exitUsage
	}
	fmt.Fprintf(stderr, "guapocado: %s\n", err)
	return exitFailure
}

// flags is a flag set with the flags every command accepts.
func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, with the usage text
	fs.BoolVar(&a.json, "json", a.json, "print JSON")
	fs.StringVar(&a.baseURL, "base-url", a.baseURL, "the Better Auth app's URL")
	fs.DurationVar(&a.timeout, "timeout", a.timeout, "bound on the command's calls to the server")
	return fs
}

// parse parses flags placed anywhere among the arguments (the flag package
// stops at the first non-flag) and returns the positional arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (a *app) dispatch(args []string) error {
	a.baseURL = a.env("GUAPOCADO_BASE_URL")
	top := a.flags("guapocado")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%v", err)
	}
	args = top.Args()
	if len(args) == 0 {
		return usagef("no command")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "login":
		return a.login(rest)
	case "logout":
		return a.logout(rest)
	case "orgs":
		return a.orgs(rest)
	case "has":
		return a.has(rest)
	case "usage":
		return a.usage(rest)
	case "limit":
		return a.limit(rest)
	case "plans":
		return a.plans(rest)
	case "subscription":
		return a.subscription(rest)
	case "checkout":
		return a.checkout(rest)
	case "help":
		return flag.ErrHelp
	}
	return usagef("unknown command %q", cmd)
}

// positional parses a command's flags and checks its positional arguments
// (min to max of them).
func (a *app) positional(name string, args []string, min, max int, fs *flag.FlagSet) ([]string, error) {
	if fs == nil {
		fs = a.flags(name)
	}
	pos, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	if a.timeout <= 0 {
		return nil, usagef("%s: --timeout must be greater than 0", name)
	}
	if len(pos) < min || len(pos) > max {
		return nil, usagef("%s: wrong number of arguments", name)
	}
	return pos, nil
}

// amountArg reads an optional amount argument (default 1).
func amountArg(pos []string, i int) (int64, error) {
	if len(pos) <= i {
		return 1, nil
	}
	n, err := strconv.ParseInt(pos[i], 10, 64)
	if err != nil || n <= 0 {
		return 0, usagef("amount %q: want a whole number greater than 0", pos[i])
	}
	return n, nil
}

// notEntitled is the outcome of "has" for a feature the customer lacks: a
// normal answer, reported by the exit status.
type notEntitled struct{}

func (notEntitled) Error() string { return "not entitled" }

var errSessionExpired = errors.New("not signed in, or the session expired: run: guapocado login")

// explain turns an SDK error into a message that says what to do.
func explain(err error, key string) error {
	var ve *guapocado.ValidationError
	var apiErr *guapocado.Error
	errors.As(err, &apiErr)
	switch {
	case errors.As(err, &ve):
		return errors.New(ve.Error())
	case errors.Is(err, guapocado.ErrNoCustomer):
		return errors.New("no active organization: run: guapocado orgs use <slug> (see: guapocado orgs list)")
	case errors.Is(err, guapocado.ErrInvalidAPIKey):
		return errors.New("the app is misconfigured (its Guapocado API key was refused): signing in again will not help; tell the app's operator")
	case errors.Is(err, guapocado.ErrUnauthorized):
		return errSessionExpired
	case errors.Is(err, guapocado.ErrNotFound) && key != "":
		return fmt.Errorf("unknown key %q: not in this app's catalogue (see: guapocado plans)", key)
	case errors.Is(err, guapocado.ErrOriginRejected):
		return errors.New("the server refused this client's Origin (its trustedOrigins must include the URL given to --base-url)")
	case errors.Is(err, guapocado.ErrRateLimited) && apiErr != nil && apiErr.RetryAfter > 0:
		return fmt.Errorf("rate limited by the server: try again in %s", apiErr.RetryAfter)
	case errors.Is(err, guapocado.ErrOutcomeUnknown):
		return fmt.Errorf("the connection broke after the request was sent, so it may or may not have been applied: check before repeating it (%v)", err)
	case errors.Is(err, context.DeadlineExceeded):
		return errors.New("the server did not answer in time (see --timeout)")
	}
	return err
}

func trimSlash(s string) string { return strings.TrimRight(s, "/") }
