package journal

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
	_ "modernc.org/sqlite"
)

// appTable is the application's own table in the tests: a row per piece
// of work, written in the transaction that records its usage.
const appTable = `CREATE TABLE IF NOT EXISTS app_work (key TEXT PRIMARY KEY, customer_id TEXT NOT NULL, meter TEXT NOT NULL, amount BIGINT NOT NULL)`

// testDB is one database under test, with what a test needs of it whatever
// its driver: the application's transactions, and plain queries.
type testDB[TTx any] struct {
	name     string
	where    string // the SQLite file, or the PostgreSQL schema
	driver   riverdriver.Driver[TTx]
	begin    func(ctx context.Context) (TTx, error)
	commit   func(ctx context.Context, tx TTx) error
	rollback func(ctx context.Context, tx TTx)
	exec     func(ctx context.Context, tx TTx, q string, args ...any) error
	count    func(ctx context.Context, q string, args ...any) (int64, error)
	strings  func(ctx context.Context, q string) ([]string, error)
	close    func()
}

// work is the application's unit of work: its own row and its usage, in
// one transaction that commits or not.
func (d *testDB[TTx]) work(ctx context.Context, j *Journal[TTx], u Usage, commit bool) error {
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	if err := d.exec(ctx, tx, j.sql.q(`INSERT INTO app_work (key, customer_id, meter, amount) VALUES ($1, $2, $3, $4)`), u.Key, u.CustomerID, u.Meter, u.Amount); err != nil {
		d.rollback(ctx, tx)
		return err
	}
	if _, err := j.RecordTx(ctx, tx, u); err != nil {
		d.rollback(ctx, tx)
		return err
	}
	j.point("app:before-commit")
	if !commit {
		d.rollback(ctx, tx)
		return nil
	}
	return d.commit(ctx, tx)
}

// inTx runs fn in an application transaction: committed when fn succeeds,
// rolled back when it fails.
func (d *testDB[TTx]) inTx(ctx context.Context, fn func(tx TTx) error) error {
	tx, err := d.begin(ctx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		d.rollback(ctx, tx)
		return err
	}
	return d.commit(ctx, tx)
}

// openSQLite opens (creating) the SQLite file path: one connection, as
// River's SQLite driver asks, WAL and a busy timeout.
func openSQLite(tb testing.TB, path string) *testDB[*sql.Tx] {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	d := &testDB[*sql.Tx]{
		name:   "sqlite",
		where:  path,
		driver: riversqlite.New(db),
		begin:  func(ctx context.Context) (*sql.Tx, error) { return db.BeginTx(ctx, nil) },
		commit: func(_ context.Context, tx *sql.Tx) error { return tx.Commit() },
		rollback: func(_ context.Context, tx *sql.Tx) {
			_ = tx.Rollback()
		},
		exec: func(ctx context.Context, tx *sql.Tx, q string, args ...any) error {
			_, err := tx.ExecContext(ctx, q, args...)
			return err
		},
		count: func(ctx context.Context, q string, args ...any) (n int64, err error) {
			err = db.QueryRowContext(ctx, q, args...).Scan(&n)
			return n, err
		},
		strings: func(ctx context.Context, q string) ([]string, error) {
			rows, err := db.QueryContext(ctx, q)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out []string
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					return nil, err
				}
				out = append(out, s)
			}
			return out, rows.Err()
		},
		close: func() { db.Close() },
	}
	return d
}

func newSQLite(tb testing.TB) *testDB[*sql.Tx] {
	tb.Helper()
	d := openSQLite(tb, filepath.Join(tb.TempDir(), "journal.db"))
	tb.Cleanup(d.close)
	migrate(tb, d)
	return d
}

func migrate[TTx any](tb testing.TB, d *testDB[TTx]) {
	tb.Helper()
	ctx := context.Background()
	if err := Migrate(ctx, d.driver); err != nil {
		tb.Fatal(err)
	}
	if err := d.driver.GetExecutor().Exec(ctx, appTable); err != nil {
		tb.Fatal(err)
	}
}

// pgDSN is GUAPOCADO_PG_DSN; without it the PostgreSQL tests skip, except
// under CI=true, where .ci/journal.sh sets it and its absence fails.
func pgDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv("GUAPOCADO_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("GUAPOCADO_PG_DSN is unset under CI=true: .ci/journal.sh should have started PostgreSQL and set it")
		}
		tb.Skip("GUAPOCADO_PG_DSN is unset: run .ci/journal.sh, or .ci/postgres.sh and source the DSN file it names")
	}
	return dsn
}

var schemaSeq atomic.Int64

// newPG makes a schema of its own on GUAPOCADO_PG_DSN's database, migrated,
// and drops it when tb ends.
func newPG(tb testing.TB) *testDB[pgx.Tx] {
	tb.Helper()
	dsn := pgDSN(tb)
	schema := fmt.Sprintf("gj_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, schemaSeq.Add(1))
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("PostgreSQL at GUAPOCADO_PG_DSN does not answer: %v", err)
	}
	if _, err := admin.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatal(err)
	}
	admin.Close(ctx)
	tb.Cleanup(func() {
		admin, err := pgx.Connect(context.Background(), dsn)
		if err == nil {
			_, _ = admin.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			admin.Close(context.Background())
		}
	})
	d := openPG(tb, dsn, schema)
	tb.Cleanup(d.close)
	migrate(tb, d)
	return d
}

// openPG opens a pool on dsn whose connections work in schema.
func openPG(tb testing.TB, dsn, schema string) *testDB[pgx.Tx] {
	tb.Helper()
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	cfg.MaxConns = 24
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return &testDB[pgx.Tx]{
		name:     "postgres",
		where:    schema,
		driver:   riverpgxv5.New(pool),
		begin:    func(ctx context.Context) (pgx.Tx, error) { return pool.Begin(ctx) },
		commit:   func(ctx context.Context, tx pgx.Tx) error { return tx.Commit(ctx) },
		rollback: func(ctx context.Context, tx pgx.Tx) { _ = tx.Rollback(ctx) },
		exec: func(ctx context.Context, tx pgx.Tx, q string, args ...any) error {
			_, err := tx.Exec(ctx, q, args...)
			return err
		},
		count: func(ctx context.Context, q string, args ...any) (n int64, err error) {
			err = pool.QueryRow(ctx, q, args...).Scan(&n)
			return n, err
		},
		strings: func(ctx context.Context, q string) ([]string, error) {
			rows, err := pool.Query(ctx, q)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, pgx.RowTo[string])
		},
		close: pool.Close,
	}
}

// fastRiver makes River quick to retry and to fetch, for tests.
func fastRiver() Option {
	return WithRiverConfig(func(c *river.Config) {
		c.FetchPollInterval = 20 * time.Millisecond
		c.FetchCooldown = 5 * time.Millisecond
		c.RetryPolicy = quickRetry{}
	})
}

type quickRetry struct{}

func (quickRetry) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(10 * time.Millisecond)
}

// platformClient is a platform client of srv that retries at once.
func platformClient(tb testing.TB, url, key string) *guapocado.APIClient {
	tb.Helper()
	c, err := guapocado.NewAPIClient(key, guapocado.WithAPIURL(url), guapocado.WithRetry(3, 0, 0))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}
