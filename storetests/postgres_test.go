package storetests

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/readmodel/storetest"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// pgDSN returns GUAPOCADO_PG_DSN. Without it the PostgreSQL tests skip,
// except in CI (CI=true), where .ci/stores.sh always sets it and its
// absence is a failure.
func pgDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("GUAPOCADO_PG_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GUAPOCADO_PG_DSN is unset under CI=true: .ci/stores.sh should have started PostgreSQL and set it")
		}
		t.Skip("GUAPOCADO_PG_DSN is unset, so the PostgreSQL tests are skipped; run .ci/stores.sh, or .ci/postgres.sh and source the DSN file it names")
	}
	return dsn
}

func openPG(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("pgx", pgDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		t.Fatalf("PostgreSQL at GUAPOCADO_PG_DSN does not answer: %v", err)
	}
	return db
}

var prefixSeq atomic.Int64

// pgPrefix returns a table prefix no other test (nor a concurrent run of
// this package) uses, and drops its tables when t ends.
func pgPrefix(t testing.TB, db *sql.DB) string {
	t.Helper()
	p := fmt.Sprintf("rmtest_%d_%d_", os.Getpid(), prefixSeq.Add(1))
	t.Cleanup(func() {
		for _, tab := range []string{"records", "claims", "secrets"} {
			if _, err := db.Exec("DROP TABLE IF EXISTS " + p + tab); err != nil {
				t.Errorf("dropping %s%s: %v", p, tab, err)
			}
		}
	})
	return p
}

func newPGStore(t testing.TB, db *sql.DB, prefix string) *readmodel.SQLStore {
	t.Helper()
	s, err := readmodel.NewSQLStore(db, readmodel.Postgres, readmodel.WithTablePrefix(prefix))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPostgresContract(t *testing.T) {
	db := openPG(t)
	var v string
	if err := db.QueryRow("SHOW server_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	t.Logf("PostgreSQL %s", v)
	storetest.Run(t, func(t *testing.T) readmodel.Store {
		return newPGStore(t, db, pgPrefix(t, db))
	})
}

// twoPools opens two *sql.DB pools on one database, as two instances of a
// service have, and one SQLStore on each over the same tables.
func twoPools(t *testing.T) (a, b *readmodel.SQLStore) {
	t.Helper()
	dbA, dbB := openPG(t), openPG(t)
	prefix := pgPrefix(t, dbA)
	var wg sync.WaitGroup
	wg.Add(2)
	// Both migrate at once, as instances starting together do.
	go func() { defer wg.Done(); a = newStoreNoFatal(t, dbA, prefix) }()
	go func() { defer wg.Done(); b = newStoreNoFatal(t, dbB, prefix) }()
	wg.Wait()
	if a == nil || b == nil {
		t.FailNow()
	}
	return a, b
}

func newStoreNoFatal(t *testing.T, db *sql.DB, prefix string) *readmodel.SQLStore {
	s, err := readmodel.NewSQLStore(db, readmodel.Postgres, readmodel.WithTablePrefix(prefix))
	if err == nil {
		err = s.Migrate(context.Background())
	}
	if err != nil {
		t.Errorf("store on %s: %v", prefix, err)
		return nil
	}
	return s
}

// TestPostgresTwoPoolsClaimRace is two instances receiving the same webhook
// event at once, 100 times: each time exactly one of them may process it.
func TestPostgresTwoPoolsClaimRace(t *testing.T) {
	a, b := twoPools(t)
	ctx := context.Background()
	for round := 0; round < 100; round++ {
		id := fmt.Sprintf("evt_%d", round)
		var firstA, firstB bool
		var errA, errB error
		start := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); <-start; firstA, errA = a.Claim(ctx, id, time.Hour) }()
		go func() { defer wg.Done(); <-start; firstB, errB = b.Claim(ctx, id, time.Hour) }()
		close(start)
		wg.Wait()
		if errA != nil || errB != nil {
			t.Fatalf("round %d: Claim errors %v, %v", round, errA, errB)
		}
		if firstA == firstB {
			t.Fatalf("round %d: instance A first=%v, instance B first=%v; want exactly one first", round, firstA, firstB)
		}
	}
}

// TestPostgresTwoPoolsLastWriteWins has two instances project the same
// customer's events out of order at once: the newest survives.
func TestPostgresTwoPoolsLastWriteWins(t *testing.T) {
	a, b := twoPools(t)
	ctx := context.Background()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	key := readmodel.Key("cus_1", "subscription", "current")
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := 0; i < 40; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		n := (i * 17) % 40 // a fixed shuffle of 0..39
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Put(ctx, readmodel.Record{Key: key, Value: []byte(fmt.Sprint(n)), SourceTime: t0.Add(time.Duration(n) * time.Second)})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range []*readmodel.SQLStore{a, b} {
		rec, found, err := s.Get(ctx, key)
		if err != nil || !found || string(rec.Value) != "39" || !rec.SourceTime.Equal(t0.Add(39*time.Second)) {
			t.Fatalf("after 40 concurrent Puts: Get = (%s at %s, %v, %v), want 39, the newest", rec.Value, rec.SourceTime, found, err)
		}
	}
}
