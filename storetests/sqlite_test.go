package storetests

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/readmodel/storetest"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// openSQLite opens a pool on the SQLite file at path with the settings
// SQLStore documents: a busy timeout so concurrent writers wait for the
// lock instead of failing, and WAL so readers do not block the writer.
func openSQLite(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func newSQLiteStore(t testing.TB, db *sql.DB, opts ...readmodel.SQLOption) *readmodel.SQLStore {
	t.Helper()
	s, err := readmodel.NewSQLStore(db, readmodel.SQLite, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLiteContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) readmodel.Store {
		return newSQLiteStore(t, openSQLite(t, filepath.Join(t.TempDir(), "rm.db")))
	})
}

func TestSQLiteVersion(t *testing.T) {
	db := openSQLite(t, filepath.Join(t.TempDir(), "v.db"))
	var v string
	if err := db.QueryRow("SELECT sqlite_version()").Scan(&v); err != nil {
		t.Fatal(err)
	}
	var major, minor int
	if _, err := fmt.Sscanf(v, "%d.%d", &major, &minor); err != nil || major < 3 || major == 3 && minor < 24 {
		t.Fatalf("SQLite %s: SQLStore needs 3.24 or later for INSERT ... ON CONFLICT DO UPDATE", v)
	}
	t.Logf("SQLite %s", v)
}

// TestSQLiteTwoHandlesShareState opens one file through two *sql.DB pools,
// as two processes would, and checks that they see one read model and one
// set of claims.
func TestSQLiteTwoHandlesShareState(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	a := newSQLiteStore(t, openSQLite(t, path))
	b := newSQLiteStore(t, openSQLite(t, path)) // Migrate again: a no-op
	ctx := context.Background()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	key := readmodel.Key("cus_1", "subscription", "current")

	if won, err := a.Put(ctx, readmodel.Record{Key: key, Value: []byte(`{"plan":"pro"}`), SourceTime: t0.Add(time.Minute)}); err != nil || !won {
		t.Fatalf("a.Put = (%v, %v)", won, err)
	}
	rec, found, err := b.Get(ctx, key)
	if err != nil || !found || string(rec.Value) != `{"plan":"pro"}` {
		t.Fatalf("b.Get after a.Put = (%s, %v, %v)", rec.Value, found, err)
	}
	if won, err := b.Put(ctx, readmodel.Record{Key: key, Value: []byte(`{"plan":"free"}`), SourceTime: t0}); err != nil || won {
		t.Fatalf("b.Put of an older event = (%v, %v), want it to lose to a's newer one", won, err)
	}
	if won, err := b.Delete(ctx, key, t0.Add(2*time.Minute)); err != nil || !won {
		t.Fatalf("b.Delete = (%v, %v)", won, err)
	}
	if _, found, _ := a.Get(ctx, key); found {
		t.Fatal("a still sees the record b deleted")
	}

	for round := 0; round < 50; round++ {
		id := fmt.Sprintf("evt_%d", round)
		var wg sync.WaitGroup
		firsts := make(chan bool, 8)
		errs := make(chan error, 8)
		for i := 0; i < 8; i++ {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				first, err := s.Claim(ctx, id, time.Hour)
				firsts <- first
				errs <- err
			}()
		}
		wg.Wait()
		close(firsts)
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		n := 0
		for f := range firsts {
			if f {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d of 8 Claims over two handles were first, want 1", round, n)
		}
	}
}

// TestSQLiteTablePrefix keeps two read models in one file apart.
func TestSQLiteTablePrefix(t *testing.T) {
	db := openSQLite(t, filepath.Join(t.TempDir(), "p.db"))
	one := newSQLiteStore(t, db)
	two := newSQLiteStore(t, db, readmodel.WithTablePrefix("other_"))
	ctx := context.Background()
	key := readmodel.Key("c", "feature", "x")
	if _, err := one.Put(ctx, readmodel.Record{Key: key, Value: []byte(`1`), SourceTime: time.Unix(1, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, found, err := two.Get(ctx, key); err != nil || found {
		t.Fatalf("store with prefix other_ sees the default store's record: (%v, %v)", found, err)
	}
	var n int
	if err := db.QueryRow("SELECT count(*) FROM other_records").Scan(&n); err != nil || n != 0 {
		t.Fatalf("other_records: %d rows, %v", n, err)
	}
}

// TestSQLitePurge checks the two purges delete what they say.
func TestSQLitePurge(t *testing.T) {
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	db := openSQLite(t, filepath.Join(t.TempDir(), "purge.db"))
	s := newSQLiteStore(t, db, readmodel.WithClock(clock))
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := s.Claim(ctx, fmt.Sprint("evt_", i), time.Duration(i+1)*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(5 * time.Minute)
	mu.Unlock()
	if n, err := s.PurgeExpiredClaims(ctx); err != nil || n != 5 {
		t.Fatalf("PurgeExpiredClaims = (%d, %v), want the 5 claims of 1 to 5 minutes", n, err)
	}
	if first, _ := s.Claim(ctx, "evt_9", time.Hour); first {
		t.Fatal("an unexpired claim was purged")
	}
	for i := 0; i < 4; i++ {
		if _, err := s.Delete(ctx, readmodel.Key("c", "f", fmt.Sprint(i)), now.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.PurgeTombstones(ctx, now.Add(2*time.Hour)); err != nil || n != 2 {
		t.Fatalf("PurgeTombstones = (%d, %v), want 2", n, err)
	}
}

// TestSQLiteMigrateOldTables: tables made by an earlier release (without
// the source_rank, version and done columns) are brought up to date by
// Migrate, their rows kept, and then work as new ones.
func TestSQLiteMigrateOldTables(t *testing.T) {
	db := openSQLite(t, filepath.Join(t.TempDir(), "old.db"))
	ctx := context.Background()
	for _, q := range []string{
		"CREATE TABLE guapocado_records (key TEXT PRIMARY KEY, value BLOB NOT NULL, source_ts INTEGER NOT NULL, written_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID",
		"CREATE TABLE guapocado_claims (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID",
		"INSERT INTO guapocado_records VALUES ('c:feature:x', CAST('true' AS BLOB), 1000, 1000, 0)",
		"INSERT INTO guapocado_claims VALUES ('evt_old', 9000000000000000000)",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s := newSQLiteStore(t, db) // Migrate
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("a second Migrate: %v", err)
	}
	rec, found, err := s.Get(ctx, "c:feature:x")
	if err != nil || !found || string(rec.Value) != "true" {
		t.Fatalf("the old row after Migrate: %+v, %v, %v", rec, found, err)
	}
	if first, err := s.Claim(ctx, "evt_old", time.Hour); err != nil || first {
		t.Fatalf("the old claim after Migrate: first %v, %v", first, err)
	}
	if done, err := s.Completed(ctx, "evt_old"); err != nil || done {
		t.Fatalf("an old claim is not completed: %v, %v", done, err)
	}
	if won, err := s.Put(ctx, readmodel.Record{Key: "c:feature:x", Value: []byte("false"), SourceTime: time.Unix(0, 2000), Rank: 1}); err != nil || !won {
		t.Fatalf("Put after Migrate: %v, %v", won, err)
	}
	changes, next, err := s.Changes(ctx, 0)
	if err != nil || len(changes) != 0 || next <= 0 {
		t.Fatalf("Changes(0) = %v, %d, %v", changes, next, err)
	}
	if _, err := s.Delete(ctx, "c:feature:x", time.Unix(0, 3000)); err != nil {
		t.Fatal(err)
	}
	changes, _, err = s.Changes(ctx, next)
	if err != nil || len(changes) != 1 || changes[0].Key != "c:feature:x" {
		t.Fatalf("Changes after a Delete = %v, %v; want the key", changes, err)
	}
}
