package readmodel_test

import (
	"database/sql"
	"errors"
	"testing"

	"github.com/guapocado/guapocado-go/readmodel"
)

// The SQL behaviour itself is tested against real SQLite and PostgreSQL in
// the storetests module, which may import drivers; this covers what needs
// none.
func TestNewSQLStoreRefusesBadConfig(t *testing.T) {
	db := &sql.DB{} // never used: construction touches no database
	for name, tc := range map[string]struct {
		db      *sql.DB
		dialect readmodel.Dialect
		opts    []readmodel.SQLOption
	}{
		"nil db":           {nil, readmodel.SQLite, nil},
		"unknown dialect":  {db, readmodel.Dialect(9), nil},
		"zero dialect":     {db, 0, nil},
		"injection prefix": {db, readmodel.Postgres, []readmodel.SQLOption{readmodel.WithTablePrefix("x; DROP TABLE users; --")}},
		"empty prefix":     {db, readmodel.Postgres, []readmodel.SQLOption{readmodel.WithTablePrefix("")}},
		"digit first":      {db, readmodel.SQLite, []readmodel.SQLOption{readmodel.WithTablePrefix("1x_")}},
		"quote":            {db, readmodel.SQLite, []readmodel.SQLOption{readmodel.WithTablePrefix(`a"b`)}},
	} {
		s, err := readmodel.NewSQLStore(tc.db, tc.dialect, tc.opts...)
		if s != nil || !errors.Is(err, readmodel.ErrInvalidArgument) {
			t.Errorf("%s: NewSQLStore = (%v, %v), want (nil, ErrInvalidArgument)", name, s, err)
		}
	}
	s, err := readmodel.NewSQLStore(db, readmodel.Postgres, readmodel.WithTablePrefix("billing_rm_"))
	if err != nil {
		t.Fatal(err)
	}
	if rec, clm := s.Tables(); rec != "billing_rm_records" || clm != "billing_rm_claims" {
		t.Fatalf("Tables() = %q, %q", rec, clm)
	}
	s, _ = readmodel.NewSQLStore(db, readmodel.SQLite)
	if rec, clm := s.Tables(); rec != "guapocado_records" || clm != "guapocado_claims" {
		t.Fatalf("default Tables() = %q, %q", rec, clm)
	}
	if readmodel.Postgres.String() != "postgres" || readmodel.SQLite.String() != "sqlite" || readmodel.Dialect(7).String() != "Dialect(7)" {
		t.Fatal("Dialect.String")
	}
}
