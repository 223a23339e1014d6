package journal_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/journal"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite"
)

// Example records the usage of three exports in the transactions that
// write them (one rolls back), and delivers what committed, each once.
func Example() {
	ctx := context.Background()
	srv := guapocadotest.NewServer() // the platform; in production, NewAPIClient(secretKey)
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}

	dir, _ := os.MkdirTemp("", "journal-example")
	defer os.RemoveAll(dir)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "app.db")+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		panic(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1) // River's SQLite driver wants one connection
	driver := riversqlite.New(db)

	// The migration step: River's tables and the journal's.
	if err := journal.Migrate(ctx, driver); err != nil {
		panic(err)
	}
	if _, err := db.Exec(`CREATE TABLE exports (id TEXT PRIMARY KEY, org TEXT, rows INTEGER)`); err != nil {
		panic(err)
	}
	j, err := journal.New(driver, api)
	if err != nil {
		panic(err)
	}

	for _, e := range []struct {
		id   string
		rows int64
		ok   bool
	}{{"exp-1", 40, true}, {"exp-2", 25, false}, {"exp-3", 30, true}} {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			panic(err)
		}
		if _, err := tx.Exec(`INSERT INTO exports VALUES (?, ?, ?)`, e.id, "org_acme", e.rows); err != nil {
			panic(err)
		}
		// The usage commits or rolls back with the export.
		if _, err := j.RecordTx(ctx, tx, journal.Usage{CustomerID: "org_acme", Meter: "api-calls", Amount: e.rows, Key: "export-" + e.id}); err != nil {
			panic(err)
		}
		if e.ok {
			err = tx.Commit()
		} else {
			err = tx.Rollback()
		}
		if err != nil {
			panic(err)
		}
	}

	if err := j.Start(ctx); err != nil {
		panic(err)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := j.Close(closeCtx); err != nil { // delivers what is pending first
		panic(err)
	}
	st, _ := j.Stats(ctx)
	u, _ := srv.Usage("org_acme", "api-calls")
	fmt.Printf("delivered %d, pending %d; consumed %v\n", st.Delivered, st.Pending, u.Consumed)
	for _, op := range srv.Ops() {
		fmt.Println(op.IdempotencyKey, op.Amount)
	}
	// Unordered output:
	// delivered 2, pending 0; consumed 70
	// export-exp-1 40
	// export-exp-3 30
}
