package readmodel_test

import (
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/compiletest"
	"github.com/guapocado/guapocado-go/internal/testenv"
)

// TestOptionsDoNotCompileWhereTheyDoNotApply: New, NewMemoryStore and
// NewSQLStore each take their own option type, so an option a constructor
// does not take is a compile error there, not an option ignored in
// silence. A control program using every option where it applies must
// build, so the harness itself is tested.
func TestOptionsDoNotCompileWhereTheyDoNotApply(t *testing.T) {
	testenv.NeedFull(t, "builds a temporary module")
	build := func(t *testing.T, body string) (string, error) {
		t.Helper()
		src := `package main

import (
	"database/sql"
	"time"

	"github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/readmodel"
)

func main() {
	api, _ := guapocado.NewAPIClient("sk_test")
	var db *sql.DB
	clock := func() time.Time { return time.Time{} }
	_, _, _ = api, db, clock
` + body + `
}
`
		return compiletest.Build(t, map[string]string{"main.go": src}, "build", ".")
	}

	if out, err := build(t, `
	mem := readmodel.NewMemoryStore(readmodel.WithClock(clock))
	_, _ = readmodel.NewSQLStore(db, readmodel.Postgres, readmodel.WithClock(clock), readmodel.WithTablePrefix("billing_"))
	_, _ = readmodel.New(&api.Billing, readmodel.WithStore(mem), readmodel.WithClock(clock), readmodel.WithMaxAge(time.Minute),
		readmodel.WithKindMaxAge(readmodel.KindUsage, time.Second), readmodel.WithCacheTTL(time.Second),
		readmodel.WithHooks(readmodel.Hooks{}), readmodel.WithOnChange(nil), readmodel.WithErrorHandler(nil),
		readmodel.WithClaimTTL(time.Hour))
	sqlOpts := []readmodel.SQLOption{readmodel.WithClock(clock), readmodel.WithTablePrefix("x_")}
	memOpts := []readmodel.MemoryOption{readmodel.WithClock(clock)}
	_, _ = sqlOpts, memOpts`); err != nil {
		t.Fatalf("the control program does not build: %v\n%s", err, out)
	}

	out, err := build(t, `
	_ = readmodel.NewMemoryStore(readmodel.WithMaxAge(time.Minute))
	_ = readmodel.NewMemoryStore(readmodel.WithTablePrefix("billing_"))
	_, _ = readmodel.NewSQLStore(db, readmodel.Postgres, readmodel.WithCacheTTL(time.Second))
	_, _ = readmodel.New(&api.Billing, readmodel.WithTablePrefix("billing_"))`)
	if err == nil {
		t.Fatal("the misuse program built")
	}
	for _, want := range []string{
		"readmodel.Option does not implement readmodel.MemoryOption (missing method applyMemory)",
		"readmodel.SQLOption does not implement readmodel.MemoryOption (missing method applyMemory)",
		"readmodel.Option does not implement readmodel.SQLOption (missing method applySQL)",
		"readmodel.SQLOption does not implement readmodel.Option (missing method applyModel)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build output lacks %q", want)
		}
	}
	if n := strings.Count(out, "cannot use readmodel."); n != 4 {
		t.Errorf("%d misuses reported, want 4", n)
	}
	if t.Failed() {
		t.Logf("build output:\n%s", out)
	}
}
