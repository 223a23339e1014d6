package storetests

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
	"github.com/guapocado/guapocado-go/readmodel"
)

// The environment of the child instance (see runChild).
const (
	childEnv       = "GUAPOCADO_RM_CHILD" // "sqlite" or "postgres"
	childSourceEnv = "GUAPOCADO_RM_CHILD_SOURCE"
	childPrefixEnv = "GUAPOCADO_RM_CHILD_PREFIX"
	childAPIEnv    = "GUAPOCADO_RM_CHILD_API"
	childKeyEnv    = "GUAPOCADO_RM_CHILD_KEY"
)

const (
	killSecret = "whsec_kill"
	killLease  = 2 * time.Second
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(runChild())
	}
	os.Exit(m.Run())
}

// runChild is an instance of a service in a process of its own: a read
// model on the shared store named by the environment and its webhook
// handler on 127.0.0.1. It prints "addr <host:port>" when it listens, and
// "in-hook <event id>" when an event's OnEvent hook runs; the hook then
// never returns, so the parent can kill the process inside it.
func runChild() int {
	driver, dialect := "pgx", readmodel.Postgres
	if os.Getenv(childEnv) == "sqlite" {
		driver, dialect = "sqlite", readmodel.SQLite
	}
	db, err := sql.Open(driver, os.Getenv(childSourceEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	store, err := readmodel.NewSQLStore(db, dialect, readmodel.WithTablePrefix(os.Getenv(childPrefixEnv)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	api, err := guapocado.NewAPIClient(os.Getenv(childKeyEnv), guapocado.WithAPIURL(os.Getenv(childAPIEnv)))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithClaimLease(killLease),
		readmodel.WithHooks(readmodel.Hooks{OnEvent: func(_ context.Context, ev *readmodel.Event) error {
			fmt.Printf("in-hook %s\n", ev.ID)
			select {} // killed here
		}}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	h, err := rm.WebhookHandler(killSecret, readmodel.Endpoint{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("addr %s\n", ln.Addr())
	_ = http.Serve(ln, h)
	return 1
}

// testKilledInsideHook: a child process takes a delivery of an event and
// is killed (SIGKILL) inside its hook. The platform redelivers to this
// process, another instance on the same store: no redelivery may answer
// 200 before the event was processed here, the event must be processed
// here once the child's lease has passed, and a later redelivery is a
// duplicate.
func testKilledInsideHook(t *testing.T, kind, source string, store readmodel.Store, prefix string) {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+kind, childSourceEnv+"="+source, childPrefixEnv+"="+prefix,
		childAPIEnv+"="+srv.APIURL(), childKeyEnv+"="+srv.APIKey())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(out)
	next := func(prefix string) string {
		t.Helper()
		for lines.Scan() {
			if v, ok := strings.CutPrefix(lines.Text(), prefix+" "); ok {
				return v
			}
		}
		t.Fatalf("the child exited before printing %q: %v", prefix, lines.Err())
		return ""
	}
	addr := next("addr")

	id := fmt.Sprintf("evt_kill_%s_%d", kind, time.Now().UnixNano())
	payload := guapocadotest.WebhookPayload(id, "purchase.completed", time.Now(), map[string]any{
		"purchase": map[string]any{"id": "pur_" + id, "customerId": "cus_kill", "productKey": "credits-pack",
			"status": "completed", "amount": 500, "currency": "usd", "quantity": 1}, "grants": []any{}})
	go func() {
		req, err := guapocadotest.NewWebhookRequest("http://"+addr+"/guap", killSecret, time.Now(), payload)
		if err != nil {
			return
		}
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	if got := next("in-hook"); got != id {
		t.Fatalf("the child's hook ran for %q, want %q", got, id)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	killed := time.Now()

	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	var ran atomic.Int64
	rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithClaimLease(killLease),
		readmodel.WithHooks(readmodel.Hooks{OnEvent: func(context.Context, *readmodel.Event) error { ran.Add(1); return nil }}))
	if err != nil {
		t.Fatal(err)
	}
	h, err := rm.WebhookHandler(killSecret, readmodel.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	redeliver := func() int {
		req, err := guapocadotest.NewWebhookRequest("http://127.0.0.1/guap", killSecret, time.Now(), payload)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	retries := 0
	for {
		code := redeliver()
		if code == http.StatusOK {
			break
		}
		if ran.Load() != 0 {
			t.Fatalf("redelivery answered %d after the hook ran", code)
		}
		retries++
		time.Sleep(100 * time.Millisecond)
	}
	if ran.Load() != 1 {
		t.Fatalf("a redelivery answered 200 and the hook ran %d times here: the event the killed child claimed was %s",
			ran.Load(), map[bool]string{true: "lost", false: "processed twice"}[ran.Load() == 0])
	}
	took := time.Since(killed)
	if code := redeliver(); code != http.StatusOK || ran.Load() != 1 {
		t.Fatalf("a redelivery after the event was processed answered %d, hook ran %d times; want 200, once", code, ran.Load())
	}
	t.Logf("child killed inside its hook; %d redeliveries answered 500 (retry), then one was processed here %s after the kill (lease %s)",
		retries, took.Round(time.Millisecond), killLease)
}

func TestSQLiteEventSurvivesKilledInstance(t *testing.T) {
	testenv.NeedFull(t, "starts a child process and kills it")
	path := filepath.Join(t.TempDir(), "shared.db")
	source := "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)"
	store := newSQLiteStore(t, openSQLite(t, path))
	testKilledInsideHook(t, "sqlite", source, store, "guapocado_")
}

func TestPostgresEventSurvivesKilledInstance(t *testing.T) {
	testenv.NeedFull(t, "starts a child process and kills it")
	db := openPG(t)
	prefix := pgPrefix(t, db)
	testKilledInsideHook(t, "postgres", pgDSN(t), newPGStore(t, db, prefix), prefix)
}
