package storetests

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// BenchmarkHotHas is a fresh, stored Has on every store, side by side:
// the MemoryStore (the default), SQLite and PostgreSQL read on every call
// (WithCacheTTL 0, the default of a shared store without Follow), and
// SQLite and PostgreSQL followed (Follow every 20 ms: served from process
// memory, kept in step with the other instances). The PostgreSQL cases
// need GUAPOCADO_PG_DSN.
//
//	go test -run '^$' -bench BenchmarkHotHas -benchmem -count 6 ./storetests/
func BenchmarkHotHas(b *testing.B) {
	for _, bc := range []struct {
		name   string
		store  func(b *testing.B) readmodel.Store
		follow bool
	}{
		{"memory", func(*testing.B) readmodel.Store { return readmodel.NewMemoryStore() }, false},
		{"sqlite", benchSQLite, false},
		{"sqlite-followed", benchSQLite, true},
		{"postgres", benchPostgres, false},
		{"postgres-followed", benchPostgres, true},
	} {
		b.Run(bc.name, func(b *testing.B) {
			store := bc.store(b)
			srv := guapocadotest.NewServer()
			b.Cleanup(srv.Close)
			api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
			if err != nil {
				b.Fatal(err)
			}
			rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store))
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if bc.follow {
				go rm.Follow(ctx, 20*time.Millisecond)
				for !rm.Following() {
					time.Sleep(time.Millisecond)
				}
			}
			if ok, m, err := rm.Has(ctx, "cus_bench", "csv-export"); err != nil || !ok || m.Local {
				b.Fatalf("first Has = %v, %+v, %v; want true from the server", ok, m, err)
			}
			before := len(srv.Requests())
			b.ReportAllocs()
			for b.Loop() {
				ok, m, err := rm.Has(ctx, "cus_bench", "csv-export")
				if !ok || !m.Local || err != nil {
					b.Fatal("not answered locally")
				}
			}
			if n := len(srv.Requests()) - before; n != 0 {
				b.Fatalf("%d billing requests during the loop", n)
			}
		})
	}
}

func benchSQLite(b *testing.B) readmodel.Store {
	return newSQLiteStore(b, openSQLite(b, filepath.Join(b.TempDir(), "bench.db")))
}

func benchPostgres(b *testing.B) readmodel.Store {
	db := openPG(b)
	return newPGStore(b, db, pgPrefix(b, db))
}
