package readmodel_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/testenv"
)

// TestOptionsDoNotCompileWhereTheyDoNotApply: New, NewMemoryStore and
// NewSQLStore each take their own option type, so an option a constructor
// does not take is a compile error there, not an option ignored in
// silence. A control program using every option where it applies must
// build, so the harness itself is tested.
func TestOptionsDoNotCompileWhereTheyDoNotApply(t *testing.T) {
	testenv.NeedFull(t, "builds a temporary module")
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("no go command on PATH")
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	build := func(t *testing.T, body string) (string, error) {
		t.Helper()
		dir := t.TempDir()
		mod := "module example.com/misuse\n\ngo 1.25.0\n\nrequire github.com/guapocado/guapocado-go v0.0.0\n\nreplace github.com/guapocado/guapocado-go => " + root + "\n"
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
		for name, data := range map[string][]byte{"go.mod": []byte(mod), "go.sum": sum, "main.go": []byte(src)} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(goBin, "build", "-mod=mod", "-gcflags=-e", "-o", os.DevNull, ".")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
		out, err := cmd.CombinedOutput()
		return string(out), err
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
