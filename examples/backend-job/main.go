// Command backend-job is a batch job that meters its work through the
// Guapocado platform API (a secret key, no user session) and can be killed
// and restarted at any point without charging anything twice.
//
//	go run ./examples/backend-job
//
// Each work item is metered with an idempotency key derived from the item
// itself, "job-<job id>-item-<n>": a restarted job repeats the same keys,
// the platform applies each key at most once, and the items already charged
// are answered from the platform's stored result. No checkpoint file is
// needed for correctness.
//
// With no environment it runs against the embedded fake platform
// (guapocadotest), then runs the same job a second time, as a restart
// would, to show the balance does not move. To run it against the hosted
// platform, set GUAPOCADO_API_KEY (a secret key) and optionally
// GUAPOCADO_API_URL; GUAPOCADO_CUSTOMER_ID (default "org_demo"),
// GUAPOCADO_METER (default "api-calls"), JOB_ID (default "nightly") and
// JOB_ITEMS (default 50) describe the job.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "backend-job:", err)
		os.Exit(1)
	}
}

// job is a batch of work items to meter for one customer.
type job struct {
	ID       string
	Customer string
	Meter    string
	Items    int
}

// itemKey is the idempotency key of item n: stable across restarts.
func (j job) itemKey(n int) string { return fmt.Sprintf("job-%s-item-%d", j.ID, n) }

// units is what item n costs (here, a stand-in for pages, tokens, rows…).
func units(n int) int64 { return int64(1 + n%3) }

func run(ctx context.Context, getenv func(string) string, out io.Writer) error {
	j := job{
		ID:       or(getenv("JOB_ID"), "nightly"),
		Customer: or(getenv("GUAPOCADO_CUSTOMER_ID"), "org_demo"),
		Meter:    or(getenv("GUAPOCADO_METER"), "api-calls"),
		Items:    50,
	}
	if v := getenv("JOB_ITEMS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return fmt.Errorf("JOB_ITEMS=%q is not a positive number", v)
		}
		j.Items = n
	}

	apiURL, apiKey := getenv("GUAPOCADO_API_URL"), getenv("GUAPOCADO_API_KEY")
	embedded := apiKey == ""
	if embedded {
		if apiURL != "" {
			return errors.New("GUAPOCADO_API_URL is set without GUAPOCADO_API_KEY")
		}
		srv := guapocadotest.NewServer(guapocadotest.WithCustomerPlan(j.Customer, "pro"))
		defer srv.Close()
		apiURL, apiKey = srv.APIURL(), srv.APIKey()
		fmt.Fprintf(out, "platform   %s (embedded fake platform)\n", apiURL)
	}
	opts := []guapocado.Option{guapocado.WithCustomerID(j.Customer)}
	if apiURL != "" {
		opts = append(opts, guapocado.WithAPIURL(apiURL))
	}
	c, err := guapocado.NewAPIClient(apiKey, opts...)
	if err != nil {
		return err
	}
	defer c.CloseIdleConnections()

	fmt.Fprintf(out, "job        %s: %d items for customer %s on %s\n", j.ID, j.Items, j.Customer, j.Meter)
	before, err := c.Usage.Balance(ctx, j.Meter)
	if err != nil {
		return err
	}
	if _, err := meter(ctx, c, j); err != nil {
		return err
	}
	after, err := c.Usage.Balance(ctx, j.Meter)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "metered    %d items, consumed %d -> %d (keys %s … %s)\n", j.Items, before.Consumed, after.Consumed, j.itemKey(1), j.itemKey(j.Items))
	if embedded {
		// What a restart does: the same job again, the same keys.
		if _, err := meter(ctx, c, j); err != nil {
			return err
		}
		again, err := c.Usage.Balance(ctx, j.Meter)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "rerun      %d items again, consumed %d -> %d: nothing charged twice\n", j.Items, after.Consumed, again.Consumed)
	}
	return nil
}

// meter does the job's items in order and meters each one; it returns how
// many it finished. It stops at the first error: running it again later
// (the same job id) finishes the rest and charges the finished items
// nothing more.
func meter(ctx context.Context, c *guapocado.APIClient, j job) (int, error) {
	for n := 1; n <= j.Items; n++ {
		if err := ctx.Err(); err != nil {
			return n - 1, err
		}
		// … the item's real work goes here …
		callCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, err := c.Usage.Consume(callCtx, j.Meter, units(n), guapocado.WithIdempotencyKey(j.itemKey(n)))
		cancel()
		if errors.Is(err, guapocado.ErrInsufficientBalance) {
			return n - 1, fmt.Errorf("item %d: %s has no balance left: %w", n, j.Meter, err)
		}
		if err != nil {
			return n - 1, fmt.Errorf("item %d: %w", n, err)
		}
	}
	return j.Items, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
