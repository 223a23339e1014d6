// Command guapocado is the command-line client for Guapocado billing: sign
// in to a Better Auth app running the Guapocado plugin (with a password or
// through the device authorization flow), choose the organization to bill,
// check entitlements, meters, limits, plans, the subscription and checkout,
// diagnose an app's wiring (doctor), meter a JSON-lines file exactly once
// through the platform API (usage import), and run a local fake of the
// whole thing (fake). docs/cli.md is the full reference.
//
//	go install github.com/guapocado/guapocado-go/cmd/guapocado@latest
//	guapocado fake &   # a local fake on 127.0.0.1:8787, with a demo user
//	GUAPOCADO_PASSWORD=guapocado-demo guapocado --base-url http://127.0.0.1:8787 login --email demo@example.com
//	guapocado usage consume api-calls 5
//
// The session token (never the password) is kept in
// <user config dir>/guapocado/session.json, readable by the user only. On
// Unix the CLI refuses that file when it, its directory or the config
// directory is not the user's own or is writable by group or others (as ssh
// does): a planted session could send the password to another server.
//
// Credentials never cross a network in clear text: over plain http to a
// host that is not loopback, every command that would send the password, a
// device code or the session token refuses before any request, unless
// --insecure-http says the network is trusted.
//
// Exit status: 0 success, 1 failure, 2 usage error (or a credential
// refused over plain http), 3 not entitled, 4 insufficient balance, 5 not
// signed in, 6 no active organization, 7 app misconfigured (doctor found a
// problem), 8 network failure, timeout or unknown outcome (see exitCodes,
// printed by `guapocado help`).
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// Exit statuses. Each has one meaning, so scripts can branch on them.
const (
	exitOK            = 0 // success
	exitFailure       = 1 // any other failure (refused request, server error, refused lines in an import)
	exitUsage         = 2 // bad command line
	exitNotEntitled   = 3 // "has" answered: not entitled
	exitInsufficient  = 4 // consume beyond the meter's balance
	exitNotSignedIn   = 5 // no session, or it expired: run login
	exitNoCustomer    = 6 // signed in, but no active organization or team
	exitMisconfigured = 7 // the app is misconfigured (API key refused, Origin refused, doctor found a problem)
	exitUnavailable   = 8 // network failure, timeout, or a write whose outcome is unknown
)

// exitCodes documents the exit statuses (printed by help).
const exitCodes = `exit status:
  0  success
  1  failure (a refused request, a server error, refused lines in an import)
  2  usage error, or a credential refused over plain http (see --insecure-http)
  3  not entitled (has)
  4  insufficient balance
  5  not signed in, or the session expired
  6  no active organization or team
  7  the app is misconfigured (doctor found a problem, or login's session was not accepted)
  8  network failure, timeout, or an outcome that is unknown
`

// defaultTimeout bounds a command's calls to the server (--timeout).
const defaultTimeout = 30 * time.Second

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
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

	cmd          *command // the command being run; nil before dispatch
	json         bool
	baseURL      string        // from --base-url or GUAPOCADO_BASE_URL; "" when neither
	timeout      time.Duration // --timeout
	insecureHTTP bool          // --insecure-http

	// transport, when set (tests), carries every request to the app and
	// the platform.
	transport http.RoundTripper
}

// ctx is the context of the command's calls to the server: run's context
// with the --timeout deadline, which starts at the first call (so the time
// spent typing a password at a prompt does not count).
func (a *app) ctx() context.Context {
	if a.call == nil {
		a.call, a.cancel = context.WithTimeout(a.parent, a.timeout)
	}
	return a.call
}

// run is the CLI: args without the program name. It returns the exit status.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) int {
	return newApp(ctx, stdin, stdout, stderr, env).main(args)
}

func newApp(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, env func(string) string) *app {
	return &app{parent: ctx, stdin: stdin, in: bufio.NewReader(stdin), stdout: stdout, stderr: stderr, env: env, timeout: defaultTimeout}
}

func (a *app) main(args []string) int {
	err := a.dispatch(args)
	if a.cancel != nil {
		a.cancel()
	}
	if err == nil {
		return exitOK
	}
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(a.stdout, a.usage())
		return exitOK
	}
	code, kind, msg := classify(a.parent, err)
	if code == exitNotEntitled {
		return code // a normal answer, already printed
	}
	if a.json {
		printJSONTo(a.stderr, map[string]any{"error": map[string]any{"kind": kind, "exitCode": code, "message": msg}})
	} else if errors.As(err, new(errUsage)) {
		// A command line the CLI does not understand: show how to write it.
		fmt.Fprintf(a.stderr, "guapocado: %s\n\n%s", msg, a.usage())
	} else {
		fmt.Fprintf(a.stderr, "guapocado: %s\n", msg)
	}
	return code
}

// usage is the usage of the command being run, or of all of them.
func (a *app) usage() string {
	if a.cmd != nil {
		return a.cmd.usage()
	}
	return fullUsage()
}

// cliError is a failure with its exit status and a kind for --json.
type cliError struct {
	code int
	kind string
	msg  string
}

func (e *cliError) Error() string { return e.msg }

func failf(code int, kind, format string, args ...any) error {
	return &cliError{code: code, kind: kind, msg: fmt.Sprintf(format, args...)}
}

// errUsage is a command line the CLI does not understand.
type errUsage struct{ msg string }

func (e errUsage) Error() string { return e.msg }

func usagef(format string, args ...any) error { return errUsage{fmt.Sprintf(format, args...)} }

// notEntitled is the outcome of "has" for a feature the customer lacks.
type notEntitled struct{}

func (notEntitled) Error() string { return "not entitled" }

// classify maps an error to its exit status, a kind for --json and the
// message to print (without repeated "guapocado: " prefixes).
func classify(ctx context.Context, err error) (int, string, string) {
	var ce *cliError
	var ue errUsage
	var ne notEntitled
	var ie *insecureError
	switch {
	case errors.As(err, &ne):
		return exitNotEntitled, "not_entitled", "not entitled"
	case errors.As(err, &ue):
		return exitUsage, "usage", clean(ue.msg)
	case errors.As(err, &ce):
		return ce.code, ce.kind, clean(ce.msg)
	case errors.As(err, &ie):
		return exitFailure, "insecure_session_file", clean(err.Error())
	}
	e := explain(ctx, err, "")
	if errors.As(e, &ce) {
		return ce.code, ce.kind, clean(ce.msg)
	}
	return exitFailure, "error", clean(e.Error())
}

// clean removes the "guapocado: " prefixes the SDK's errors carry, so the
// CLI's own prefix is printed once.
func clean(msg string) string { return strings.ReplaceAll(msg, "guapocado: ", "") }

var errSessionExpired = &cliError{code: exitNotSignedIn, kind: "not_signed_in", msg: "not signed in, or the session expired: run: guapocado login"}

// explain turns an SDK error into a *cliError that says what to do (key
// names the entitlement the call was about, "" for none). ctx is the
// command's context: when it was cancelled by Ctrl-C the error says so.
func explain(ctx context.Context, err error, key string) error {
	var ve *guapocado.ValidationError
	var apiErr *guapocado.Error
	var ce *cliError
	errors.As(err, &apiErr)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		return err
	case errors.As(err, &ve):
		return failf(exitUsage, "invalid_argument", "%s", ve.Error())
	case errors.Is(err, guapocado.ErrNoCustomer):
		return failf(exitNoCustomer, "no_active_organization", "no active organization: run: guapocado orgs use <slug> (see: guapocado orgs list)")
	case errors.Is(err, guapocado.ErrInvalidAPIKey):
		return failf(exitMisconfigured, "invalid_api_key", "the app is misconfigured (its Guapocado API key was refused): signing in again will not help; tell the app's operator")
	case errors.Is(err, guapocado.ErrUnauthorized):
		return errSessionExpired
	case errors.Is(err, guapocado.ErrInsufficientBalance):
		return failf(exitInsufficient, "insufficient_balance", "insufficient balance")
	case errors.Is(err, guapocado.ErrNotFound) && key != "":
		return failf(exitFailure, "unknown_key", "unknown key %q: not in this app's catalogue (see: guapocado plans)", key)
	case errors.Is(err, guapocado.ErrOriginRejected):
		return failf(exitMisconfigured, "origin_rejected", "the server refused this client's Origin (its trustedOrigins must include the URL given to --base-url; see: guapocado doctor)")
	case errors.Is(err, guapocado.ErrRateLimited) && apiErr != nil && apiErr.RetryAfter > 0:
		return failf(exitFailure, "rate_limited", "rate limited by the server: try again in %s", apiErr.RetryAfter)
	case errors.Is(err, guapocado.ErrOutcomeUnknown):
		return failf(exitUnavailable, "outcome_unknown", "the connection broke after the request was sent, so it may or may not have been applied: check before repeating it (%v)", clean(err.Error()))
	case ctx != nil && ctx.Err() != nil && errors.Is(err, context.Canceled):
		return failf(exitUnavailable, "interrupted", "interrupted")
	case errors.Is(err, context.DeadlineExceeded):
		return failf(exitUnavailable, "timeout", "the server did not answer in time (see --timeout)")
	case apiErr != nil && apiErr.StatusCode == 0:
		return failf(exitUnavailable, "network", "%s", clean(err.Error()))
	}
	return err
}

// globalFlagNames are the flags every command accepts (declared by flags).
var globalFlagNames = map[string]bool{"json": true, "base-url": true, "timeout": true, "insecure-http": true}

// flags is a flag set with the flags every command accepts.
func (a *app) flags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, with the usage text
	fs.BoolVar(&a.json, "json", a.json, "print JSON (errors too, on standard error)")
	fs.StringVar(&a.baseURL, "base-url", a.baseURL, "the Better Auth app's `URL` (default: $GUAPOCADO_BASE_URL, then the stored session's)")
	fs.DurationVar(&a.timeout, "timeout", a.timeout, "give up on the server after `D` (e.g. 10s, 2m); in usage import, per line")
	fs.BoolVar(&a.insecureHTTP, "insecure-http", a.insecureHTTP, "allow the password and the session over plain http to a host that is not loopback (only on a private network you trust)")
	return fs
}

// isNumber reports whether s is a (possibly negative) number: such an
// argument is a value, never a flag ("usage consume api-calls -5").
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.HasPrefix(s, "-")
}

// takesValue reports whether the flag named by arg ("-x", "--x") needs the
// next argument as its value.
func takesValue(fs *flag.FlagSet, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	f := fs.Lookup(name)
	if f == nil {
		return false
	}
	if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return false
	}
	return true
}

// parse parses flags placed anywhere among the arguments (the flag package
// stops at the first non-flag) and returns the positional arguments.
// Negative numbers are positional arguments, not flags.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		// Hand the flag package a run of arguments up to the first
		// negative number that is not a flag's value.
		end := len(args)
		for i := 0; i < len(args); i++ {
			if args[i] == "--" {
				break
			}
			if isNumber(args[i]) && (i == 0 || !takesValue(fs, args[i-1])) {
				end = i
				break
			}
		}
		if err := fs.Parse(args[:end]); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %s", fs.Name(), flagError(err))
		}
		rest := fs.Args()
		if len(rest) > 0 {
			if rest[0] == "--" {
				return append(append(pos, rest[1:]...), args[end:]...), nil
			}
			pos = append(pos, rest[0])
			args = append(rest[1:], args[end:]...)
			continue
		}
		if end < len(args) {
			pos = append(pos, args[end])
			args = args[end+1:]
			continue
		}
		break
	}
	return pos, nil
}

func (a *app) dispatch(args []string) error {
	a.baseURL = a.env("GUAPOCADO_BASE_URL")
	top := a.flags("guapocado")
	version := top.Bool("version", false, "print the version")
	if err := top.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usagef("%s", flagError(err))
	}
	if *version {
		return a.version(top, nil)
	}
	args = top.Args()
	if len(args) == 0 {
		return usagef("no command")
	}
	name, rest := args[0], args[1:]
	if name == "help" {
		if len(rest) == 1 {
			if c := findCommand(rest[0]); c != nil {
				a.cmd = c
			}
		}
		return flag.ErrHelp
	}
	c := findCommand(name)
	if c == nil {
		return usagef("unknown command %q", name)
	}
	a.cmd = c
	fs := a.flags(c.name)
	return c.bind(a, fs)(rest)
}

func (a *app) version(fs *flag.FlagSet, args []string) error {
	if _, err := a.positional(args, 0, 0, fs); err != nil {
		return err
	}
	if a.json {
		return a.printJSON(map[string]string{"version": guapocado.Version, "go": runtime.Version()})
	}
	_, err := fmt.Fprintf(a.stdout, "guapocado %s (SDK %s, %s)\n", guapocado.Version, guapocado.Version, runtime.Version())
	return err
}

// positional parses a command's flags and checks its positional arguments
// (min to max of them).
func (a *app) positional(args []string, min, max int, fs *flag.FlagSet) ([]string, error) {
	name := fs.Name()
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
		return 0, usagef("amount %s: want a whole number greater than 0", pos[i])
	}
	return n, nil
}

func trimSlash(s string) string { return strings.TrimRight(s, "/") }
