//go:build integration

package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The guapocado command (cmd/guapocado) against real Better Auth.

var (
	cliOnce sync.Once
	cliPath string
	cliErr  error
)

// cliBinary builds cmd/guapocado once into a temporary directory.
func cliBinary(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		dir, err := os.MkdirTemp("", "guapocado-cli-")
		if err != nil {
			cliErr = err
			return
		}
		cliPath = filepath.Join(dir, "guapocado")
		// The command is a module of its own, built from its directory with
		// its go.work (the checkout of the SDK and the journal).
		build := exec.Command("go", "build", "-C", "../cmd/guapocado", "-o", cliPath, ".")
		build.Env = append(os.Environ(), "GOWORK=")
		if out, err := build.CombinedOutput(); err != nil {
			cliErr = fmt.Errorf("go build -C ../cmd/guapocado: %v\n%s", err, out)
		}
	})
	if cliErr != nil {
		t.Fatal(cliErr)
	}
	return cliPath
}

const cliPassword = "password1234"

// cliUser signs a user up and returns the email and the bearer token.
func cliUser(t *testing.T, appURL, name string) (string, string) {
	t.Helper()
	email := uniqueEmail(strings.ToLower(name))
	r := send(t, http.MethodPost, appURL+"/api/auth/sign-up/email", map[string]string{"Content-Type": "application/json"},
		fmt.Sprintf(`{"email":%q,"password":%q,"name":%q}`, email, cliPassword, name))
	if r.status != http.StatusOK {
		t.Fatalf("sign-up: %d %s", r.status, r.body)
	}
	return email, r.header.Get("Set-Auth-Token")
}

// cli is one user's config directory and environment for the command.
type cli struct {
	t   *testing.T
	env []string
}

func newCLI(t *testing.T, appURL string) *cli {
	dir := t.TempDir()
	return &cli{t: t, env: append(os.Environ(), "HOME="+filepath.Join(dir, "home"), "XDG_CONFIG_HOME="+filepath.Join(dir, "config"),
		"GUAPOCADO_BASE_URL="+appURL, "GUAPOCADO_PASSWORD="+cliPassword)}
}

func (c *cli) command(args ...string) (*exec.Cmd, *bytes.Buffer, *lockedBuffer) {
	cmd := exec.Command(cliBinary(c.t), args...)
	cmd.Env = c.env
	var out bytes.Buffer
	errOut := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = &out, errOut
	return cmd, &out, errOut
}

// run runs the command and checks its exit status.
func (c *cli) run(want int, args ...string) string {
	c.t.Helper()
	cmd, out, errOut := c.command(args...)
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		c.t.Fatal(err)
	}
	if code != want {
		c.t.Fatalf("guapocado %v: exit %d, want %d\nstdout %s\nstderr %s", args, code, want, out.String(), errOut.String())
	}
	if strings.Contains(out.String()+errOut.String(), cliPassword) {
		c.t.Fatalf("guapocado %v printed the password", args)
	}
	return out.String()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestCLILoginDevice (acceptance 3): login --device against Better Auth's
// deviceAuthorization plugin; the test plays the browser (a signed-in user
// opens the page, which claims the code, and approves it) and the CLI ends
// signed in, billing the user's organization.
func TestCLILoginDevice(t *testing.T) {
	t.Parallel()
	_, appURL := startServer(t, nil)
	_, bearer := cliUser(t, appURL, "Dora")
	orgID := createOrganization(t, appURL, session{bearer: bearer}, "dora-co")
	c := newCLI(t, appURL)
	cmd, out, errOut := c.command("login", "--device")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	re := regexp.MustCompile(`open this page in a browser where you are signed in:\n\n  (\S+)\n\nand approve the code (\S+)\. Waiting`)
	deadline := time.Now().Add(30 * time.Second)
	for !re.MatchString(errOut.String()) {
		if time.Now().After(deadline) {
			t.Fatalf("no device code shown; stderr %s", errOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	m := re.FindStringSubmatch(errOut.String())
	page, code := m[1], m[2]
	if !strings.HasPrefix(page, appURL+"/device?user_code=") {
		t.Errorf("verification page %s", page)
	}

	// The browser: the signed-in user opens the page (GET /device claims
	// the code for them), then approves it.
	auth := map[string]string{"Authorization": "Bearer " + bearer, "Content-Type": "application/json"}
	r := send(t, http.MethodGet, appURL+"/api/auth/device?user_code="+url.QueryEscape(code), auth, "")
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"status":"pending"`) {
		t.Fatalf("GET /device: %d %s", r.status, r.body)
	}
	r = send(t, http.MethodPost, appURL+"/api/auth/device/approve", auth, fmt.Sprintf(`{"userCode":%q}`, code))
	if r.status != http.StatusOK {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("login --device: %v\nstdout %s\nstderr %s", err, out.String(), errOut.String())
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("login --device did not finish; stderr %s", errOut.String())
	}
	if !regexp.MustCompile(`^Signed in to \S+ as dora\S*@\S+ \(Dora\)\.\nActive organization: dora-co \(dora-co\)\.\n$`).MatchString(out.String()) {
		t.Errorf("login output %q", out.String())
	}
	if !strings.Contains(c.run(0, "orgs", "list"), orgID) {
		t.Error("orgs list lacks the organization")
	}
	c.run(0, "has", "csv-export")
	c.run(3, "has", "advanced-analytics")
}

// TestCLIDoctor (acceptance 2, real server): doctor passes against a server
// set up right and fails the check of each misconfiguration.
func TestCLIDoctor(t *testing.T) {
	t.Parallel()
	const page = "http://page.example.test:5173"
	for _, tc := range []struct {
		name  string
		env   map[string]string
		fails []string // checks that must fail; every other must pass unless in may
		may   []string
	}{
		{"right", map[string]string{"GUAP_WEBHOOK_SECRET": "whsec_it", "BA_CORS_ORIGINS": page}, nil, nil},
		{"no bearer plugin", map[string]string{"GUAP_WEBHOOK_SECRET": "whsec_it", "BA_CORS_ORIGINS": page, "BA_NO_BEARER": "1"}, []string{"bearer"}, nil},
		{"webhook receiver not registered", map[string]string{"BA_CORS_ORIGINS": page}, []string{"webhooks"}, nil},
		{"no CORS for the page", map[string]string{"GUAP_WEBHOOK_SECRET": "whsec_it"}, []string{"cors", "origin"}, nil},
		// The CLI's own cookie session is not accepted either under another prefix.
		{"cookie prefix", map[string]string{"GUAP_WEBHOOK_SECRET": "whsec_it", "BA_CORS_ORIGINS": page, "BA_COOKIE_PREFIX": "myapp"}, []string{"cookies"}, []string{"session"}},
		{"https baseURL reached over http", map[string]string{"GUAP_WEBHOOK_SECRET": "whsec_it", "BA_CORS_ORIGINS": page, "BA_BASE_URL_SCHEME": "https"}, []string{"cookies", "origin"}, []string{"session", "cors"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, appURL := startServer(t, tc.env)
			email, bearer := cliUser(t, appURL, "Doc")
			c := newCLI(t, appURL)
			c.env = append(c.env, "GUAPOCADO_EMAIL="+email)
			switch {
			case tc.env["BA_NO_BEARER"] == "1":
				// Cookie sessions only: the CLI signs in and creates the
				// organization itself (cookie + Origin).
				c.run(0, "login")
				if out := c.run(0, "orgs", "create", "Doc Co"); !strings.Contains(out, "Created organization Doc Co (doc-co)") {
					t.Errorf("orgs create: %q", out)
				}
			case tc.env["BA_COOKIE_PREFIX"] == "" && tc.env["BA_BASE_URL_SCHEME"] == "":
				createOrganization(t, appURL, session{bearer: bearer}, "doc-co")
				c.run(0, "login") // one organization: it becomes the active one
			default:
				createOrganization(t, appURL, session{bearer: bearer}, "doc-co")
			}
			want := 0
			if len(tc.fails) > 0 {
				want = 7
			}
			out := c.run(want, "--json", "doctor", "--page-origin", page)
			var res struct {
				OK     bool
				Checks []struct {
					Name, Status, Detail, Fix string
				}
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			in := func(list []string, s string) bool {
				for _, x := range list {
					if x == s {
						return true
					}
				}
				return false
			}
			if len(res.Checks) != 9 {
				t.Fatalf("checks %+v", res.Checks)
			}
			for _, ch := range res.Checks {
				switch {
				case in(tc.fails, ch.Name) && (ch.Status != "fail" || ch.Fix == ""):
					t.Errorf("%s should fail with a fix: %+v", ch.Name, ch)
				case !in(tc.fails, ch.Name) && !in(tc.may, ch.Name) && ch.Status != "pass":
					t.Errorf("%s did not pass: %+v", ch.Name, ch)
				}
			}
		})
	}
}
