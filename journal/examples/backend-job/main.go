// Command backend-job is a batch job that meters its work through the
// metering journal: each item's usage is recorded in the same SQLite
// transaction as the item's own result, and the journal delivers it to the
// Guapocado platform afterwards, once, under the item's key. Killed at any
// point and started again, the job charges every finished item exactly once
// and nothing for an item whose transaction did not commit.
//
//	go run ./examples/backend-job   (from the journal module)
//
// With no environment it runs against the embedded fake platform
// (guapocadotest) with a temporary database, then runs the same job a
// second time, as a restart would, to show nothing is recorded or charged
// twice. To run it against the hosted platform, set GUAPOCADO_API_KEY (a
// secret key) and optionally GUAPOCADO_API_URL; GUAPOCADO_CUSTOMER_ID
// (default "org_demo"), GUAPOCADO_METER (default "api-calls"), JOB_ID
// (default "nightly"), JOB_ITEMS (default 50) and JOB_DB (the SQLite file,
// default a temporary one) describe the job.
package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/journal"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite"
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
	var opts []guapocado.Option
	if apiURL != "" {
		opts = append(opts, guapocado.WithAPIURL(apiURL))
	}
	api, err := guapocado.NewAPIClient(apiKey, opts...)
	if err != nil {
		return err
	}
	defer api.CloseIdleConnections()

	path := getenv("JOB_DB")
	if path == "" {
		dir, err := os.MkdirTemp("", "backend-job")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "job.db")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // River's SQLite driver wants one connection
	driver := riversqlite.New(db)
	if err := journal.Migrate(ctx, driver); err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS job_items (job TEXT, n INTEGER, units INTEGER, PRIMARY KEY (job, n))`); err != nil {
		return err
	}
	jr, err := journal.New(driver, api)
	if err != nil {
		return err
	}

	fmt.Fprintf(out, "job        %s: %d items for customer %s on %s\n", j.ID, j.Items, j.Customer, j.Meter)
	before, err := api.Usage.Balance(ctx, j.Meter, guapocado.ForCustomer(j.Customer))
	if err != nil {
		return err
	}
	done, err := work(ctx, db, jr, j)
	if err != nil {
		return err
	}
	if err := deliver(ctx, jr); err != nil {
		return err
	}
	after, err := api.Usage.Balance(ctx, j.Meter, guapocado.ForCustomer(j.Customer))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "metered    %d items recorded and delivered, consumed %d -> %d (keys %s … %s)\n", done, before.Consumed, after.Consumed, j.itemKey(1), j.itemKey(j.Items))
	if embedded {
		// What a restart does: the same job again on the same database.
		again, err := work(ctx, db, jr, j)
		if err != nil {
			return err
		}
		if err := deliver(ctx, jr); err != nil {
			return err
		}
		last, err := api.Usage.Balance(ctx, j.Meter, guapocado.ForCustomer(j.Customer))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "rerun      %d items recorded again, consumed %d -> %d: nothing charged twice\n", again, after.Consumed, last.Consumed)
	}
	return nil
}

// work does the job's items that are not done yet. Each item's result and
// its usage commit together: a crash loses both or neither.
func work(ctx context.Context, db *sql.DB, jr *journal.Journal[*sql.Tx], j job) (int, error) {
	done := 0
	for n := 1; n <= j.Items; n++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return done, err
		}
		// … the item's real work goes here; its result is the row …
		res, err := tx.ExecContext(ctx, `INSERT INTO job_items (job, n, units) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, j.ID, n, units(n))
		if err != nil {
			_ = tx.Rollback()
			return done, err
		}
		if fresh, _ := res.RowsAffected(); fresh == 1 {
			u := journal.Usage{CustomerID: j.Customer, Meter: j.Meter, Amount: units(n), Key: j.itemKey(n)}
			if _, err := jr.RecordTx(ctx, tx, u); err != nil {
				_ = tx.Rollback()
				return done, err
			}
			done++
		}
		if err := tx.Commit(); err != nil {
			return done, err
		}
	}
	return done, nil
}

// deliver runs the journal until what is recorded is delivered (or a
// minute passed: what is left stays in the database for the next run).
func deliver(ctx context.Context, jr *journal.Journal[*sql.Tx]) error {
	if err := jr.Start(ctx); err != nil {
		return err
	}
	closeCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := jr.Close(closeCtx); err != nil {
		return err
	}
	if st, err := jr.Stats(ctx); err != nil || st.Pending+st.InFlight > 0 {
		return fmt.Errorf("not all delivered (%+v, %v): run the job again to finish", st, err)
	}
	return nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
