package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/internal/testenv"
	"github.com/guapocado/guapocado-go/webhook"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binary builds the command once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	testenv.NeedFull(t, "builds the guapocado binary and runs it")
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "guapocado-bin-")
		if buildErr != nil {
			return
		}
		build := exec.Command("go", "build", "-o", filepath.Join(buildDir, "guapocado"), ".")
		build.Env = append(os.Environ(), "GOWORK=") // this module's go.work: the checkout, not the releases
		out, err := build.CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, out}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "guapocado")
}

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + string(e.out) }

// startFake runs `guapocado fake --json` on a free port and returns what
// it printed; the process is interrupted when the test ends.
func startFake(t *testing.T, args ...string) (fakeInfo, *exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(binary(t), append([]string{"--json", "fake", "--addr", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	var info fakeInfo
	got := make(chan error, 1)
	go func() { got <- json.NewDecoder(bufio.NewReader(stdout)).Decode(&info) }()
	if err := <-got; err != nil {
		t.Fatalf("fake's output: %v; stderr %s", err, stderr.String())
	}
	return info, cmd, stderr
}

// TestBinaryFakeAndCommands (acceptance 1): the built binary runs the fake
// in one process and the session commands in others, against it.
func TestBinaryFakeAndCommands(t *testing.T) {
	testenv.NeedFull(t, "builds the guapocado binary and runs it")
	t.Parallel()
	info, fake, fakeErr := startFake(t)
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(info.BaseURL) || info.APIKey == "" || info.SessionToken == "" ||
		!strings.HasPrefix(info.WebhookSecret, "whsec_") || info.Email != fakeEmail || info.Password != fakePassword {
		t.Fatalf("fake info %+v", info)
	}
	dir := t.TempDir()
	env := append(os.Environ(), "HOME="+filepath.Join(dir, "home"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"GUAPOCADO_BASE_URL="+info.BaseURL, "GUAPOCADO_PASSWORD="+info.Password)
	run := func(want int, args ...string) string {
		t.Helper()
		cmd := exec.Command(binary(t), args...)
		cmd.Env = env
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Fatalf("guapocado %v: exit %d, want %d\nstdout %s\nstderr %s", args, code, want, out.String(), errOut.String())
		}
		if strings.Contains(out.String()+errOut.String(), info.Password) {
			t.Fatalf("guapocado %v printed the password", args)
		}
		return out.String() + errOut.String()
	}

	matches(t, run(0, "--version"), `^guapocado `+regexp.QuoteMeta(guapocado.Version)+` `)
	out := run(0, "login", "--email", info.Email)
	matches(t, out, `^Signed in to `+regexp.QuoteMeta(info.BaseURL)+` as demo@example\.com \(Demo\)\.\n`, `(?m)^Active organization: Acme \(acme\)\.$`)
	matches(t, run(0, "orgs", "list"), `(?m)^\* +acme +Acme +`+info.CustomerID+`$`)
	matches(t, run(0, "has", "csv-export"), `^csv-export: entitled\n$`)
	matches(t, run(exitNotEntitled, "has", "advanced-analytics"), `^advanced-analytics: not entitled\n$`)
	matches(t, run(0, "usage", "consume", "api-calls", "5"), `^Consumed 5 api-calls\.\n`, `(?m)^api-calls +95 +100 +5 +0 +`)
	matches(t, run(0, "usage", "balance", "api-calls"), `(?m)^api-calls +95 +100 +5 +0 +`)
	matches(t, run(exitUsage, "usage", "consume", "api-calls", "-5"),
		`^guapocado: amount -5: want a whole number greater than 0\n\nusage: guapocado usage balance <meter>\n`)
	if out := run(exitUsage, "usage", "consume", "api-calls", "-5"); strings.Contains(out, "checkout <product>") || strings.Contains(out, "flag provided but not defined") {
		t.Errorf("a usage error printed more than the command's usage:\n%s", out)
	}
	matches(t, run(0, "plans"), `(?m)^pro +Pro +USD 29\.00/month$`)
	matches(t, run(exitInsufficient, "usage", "consume", "ai-credits", "11"), `^guapocado: insufficient balance: 11 ai-credits requested, 10 left of 10`)

	// The platform side is on the same listener.
	api, err := guapocado.NewAPIClient(info.APIKey, guapocado.WithAPIURL(info.APIURL), guapocado.WithCustomerID(info.CustomerID))
	if err != nil {
		t.Fatal(err)
	}
	if u, err := api.Usage.Balance(t.Context(), "api-calls"); err != nil || u.Consumed != 5 {
		t.Errorf("platform balance %+v %v", u, err)
	}

	// Ctrl-C stops the fake cleanly.
	if err := fake.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- fake.Wait() }()
	if err := <-done; err != nil || !strings.Contains(fakeErr.String(), "fake stopped") {
		t.Errorf("fake exit: %v, stderr %q", err, fakeErr.String())
	}
}

// TestFakeEnvLines: --env prints shell export lines only.
func TestFakeEnvLines(t *testing.T) {
	testenv.NeedFull(t, "builds the guapocado binary and runs it")
	t.Parallel()
	cmd := exec.Command(binary(t), "fake", "--addr", "127.0.0.1:0", "--env")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var lines []string
	for len(lines) < 7 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	want := []string{"GUAPOCADO_BASE_URL", "GUAPOCADO_API_URL", "GUAPOCADO_API_KEY", "GUAPOCADO_SESSION_TOKEN", "GUAPOCADO_WEBHOOK_SECRET", "GUAPOCADO_EMAIL", "GUAPOCADO_PASSWORD"}
	for i, name := range want {
		if i >= len(lines) || !regexp.MustCompile(`^export `+name+`='[^']+'$`).MatchString(lines[i]) {
			t.Fatalf("line %d: %q", i, lines)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestFakeDeliversWebhooks: fake --webhook URL sends the platform's signed
// events there; the signature verifies with the printed secret.
func TestFakeDeliversWebhooks(t *testing.T) {
	testenv.NeedFull(t, "builds the guapocado binary and runs it")
	t.Parallel()
	got := make(chan *webhook.Event, 16)
	var secret atomic.Value
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s, _ := secret.Load().(string)
		ev, err := webhook.ConstructEvent(body, r.Header.Get("guapocado-signature"), s)
		if err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		got <- ev
	}))
	t.Cleanup(recv.Close)
	info, _, _ := startFake(t, "--webhook", recv.URL)
	secret.Store(info.WebhookSecret)
	api, err := guapocado.NewAPIClient(info.APIKey, guapocado.WithAPIURL(info.APIURL), guapocado.WithCustomerID(info.CustomerID))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := api.Usage.Consume(t.Context(), "api-calls", 3); err != nil {
		t.Fatal(err)
	}
	for ev := range got { // until the signed usage.updated event arrives
		if ev.Type == "usage.updated" && strings.Contains(string(ev.Data), `"consumed":3`) && strings.Contains(string(ev.Data), info.CustomerID) {
			return
		}
	}
}
