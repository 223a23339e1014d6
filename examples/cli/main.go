// Command cli is a short example of embedding the SDK in your own
// command-line tool: it checks a feature and meters one use of it for the
// signed-in session. (The full Guapocado CLI is cmd/guapocado.)
//
//	rm -f fake.env
//	guapocado fake --env-file fake.env &        # a local fake, see docs/cli.md
//	until [ -f fake.env ]; do sleep 0.1; done   # written whole once the fake listens
//	. ./fake.env
//	go run ./examples/cli csv-export api-calls
//	kill %1                                     # stop the fake; it removes fake.env
//
// It reads the app's URL from GUAPOCADO_BASE_URL and a session token from
// GUAPOCADO_SESSION_TOKEN.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

func run(args []string, env func(string) string, stdout, stderr io.Writer) int {
	if len(args) != 2 {
		fmt.Fprintln(stderr, "usage: cli <feature> <meter>")
		return 2
	}
	feature, meter := args[0], args[1]
	client, err := guapocado.NewClient(env("GUAPOCADO_BASE_URL"), guapocado.WithBearerToken(env("GUAPOCADO_SESSION_TOKEN")))
	if err != nil {
		fmt.Fprintln(stderr, "cli:", err)
		return 2
	}
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // bound every command
	defer cancel()

	ok, err := client.Has(ctx, feature)
	switch {
	case errors.Is(err, guapocado.ErrUnauthorized):
		fmt.Fprintln(stderr, "cli: not signed in")
		return 5
	case err != nil:
		fmt.Fprintln(stderr, "cli:", err)
		return 1
	case !ok:
		fmt.Fprintf(stdout, "%s: not entitled\n", feature)
		return 3
	}
	u, err := client.Usage.Consume(ctx, meter, 1)
	if errors.Is(err, guapocado.ErrInsufficientBalance) {
		fmt.Fprintf(stderr, "cli: no %s left\n", meter)
		return 4
	}
	if err != nil {
		fmt.Fprintln(stderr, "cli:", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: entitled; %s balance %d\n", feature, meter, u.Balance)
	return 0
}
