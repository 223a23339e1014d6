//go:build integration

package integration

// The differential test (issue 29): the same raw exchanges against
// guapocadotest and against the real Better Auth server (server.mjs), in
// pairs of configurations that should answer alike, compared on what a
// client acts on — status, the JSON body's field names, types and values
// (error code and message included), and the headers and cookies clients
// read — after replacing ids, tokens, times and the servers' addresses with
// placeholders. A difference fails the test unless knownDifferences lists
// it; every entry there must still differ (a fixed one fails too, so the
// list shrinks with the fake's gaps) and must be named in guapocadotest's
// package doc.

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// knownDifferences are the exchanges where the fake is known to answer
// otherwise than the real server, keyed "<configuration>/<step>", with the
// reason. Each reason starts with the phrase guapocadotest's doc.go uses in
// its "What is not modelled" section.
var knownDifferences = map[string]string{
	"cors/sign-up cora":          corsExposeReason,
	"cors/sign-in from the page": corsExposeReason,
}

const corsExposeReason = "WithCORS keeps its exposed headers: on an answer that carries set-auth-token the fake " +
	"lists set-auth-token, X-Retry-After and Retry-After; behind server.mjs's plain CORS front Better Auth's own " +
	"Access-Control-Expose-Headers: set-auth-token replaces the front's list. Which an app shows depends on its CORS layer."

// diffWebhookSecret is the receiver's secret in the webhook configuration.
const diffWebhookSecret = "whsec_differential"

// pageOrigin is the front end's origin in the CORS configuration.
const pageOrigin = "http://page.example"

// diffConfig is one configuration run on both servers.
type diffConfig struct {
	name  string
	env   map[string]string      // server.mjs
	opts  []guapocadotest.Option // guapocadotest
	steps []step
}

// step is one exchange. Strings may hold {{name}} placeholders for values
// saved by earlier steps (see target.expand).
type step struct {
	name   string
	method string
	path   string // below /api/auth
	body   string // sent with Content-Type: application/json unless hdr sets one
	bearer string // session name: Authorization: Bearer <its token>
	cookie string // session name: its cookie, with Origin: <baseURL> unless hdr sets Origin
	hdr    map[string]string
	repeat int           // send this many times (8 at a time); they must agree on the status, one is compared
	wait   time.Duration // pause before sending (the device flow's polling interval)
	save   func(tg *target, a *answer)
}

// answer is one response, read whole.
type answer struct {
	status int
	header http.Header
	body   []byte
	json   any // the decoded body, nil when not JSON
}

// target is one server under test with the values saved along the script.
type target struct {
	kind            string // "real" or "fake"
	baseURL, appURL string
	// vars are the saved values by placeholder name; views print the
	// names, never the values (tokens and cookies among them).
	vars   map[string]string
	client *http.Client
}

func newTarget(kind, baseURL, appURL string) *target {
	return &target{
		kind: kind, baseURL: baseURL, appURL: appURL,
		vars: map[string]string{},
		client: &http.Client{
			Timeout:       30 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

var placeholder = regexp.MustCompile(`\{\{([a-z0-9:_.-]+)\}\}`)

// expand fills in {{name}} from the saved values ({{base}} is Better
// Auth's base URL, {{app}} the listener's).
func (tg *target) expand(t *testing.T, s string) string {
	return placeholder.ReplaceAllStringFunc(s, func(m string) string {
		name := m[2 : len(m)-2]
		switch name {
		case "base":
			return tg.baseURL
		case "app":
			return tg.appURL
		}
		v, ok := tg.vars[name]
		if !ok {
			t.Fatalf("%s: no saved value %q", tg.kind, name)
		}
		return v
	})
}

// keep saves a value under name. A value already saved under another name
// keeps that name (a user signing in again is the same user).
func (tg *target) keep(name, value string) {
	for n, v := range tg.vars {
		if v == value && n != name {
			return
		}
	}
	tg.vars[name] = value
}

// run sends one step and returns the (last) answer.
func (tg *target) run(t *testing.T, st step) *answer {
	t.Helper()
	n := st.repeat
	if n < 1 {
		n = 1
	}
	if st.wait > 0 {
		time.Sleep(st.wait)
	}
	out := tg.prepare(t, st)
	// Repeats go 8 at a time: the limiter counts them all the same, and
	// 100 requests in a row are slow on a busy machine.
	answers := make([]*answer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i := range answers {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			answers[i], errs[i] = tg.do(out)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("%s %s: %v", tg.kind, st.name, err)
		}
	}
	a := answers[n-1]
	for _, other := range answers {
		if other.status != a.status {
			t.Errorf("%s %s: repeated requests answered %d and %d", tg.kind, st.name, other.status, a.status)
			break
		}
	}
	if st.save != nil {
		st.save(tg, a)
	}
	return a
}

// outgoing is a step with its placeholders filled in.
type outgoing struct {
	method, url, body string
	header            http.Header
}

func (tg *target) prepare(t *testing.T, st step) outgoing {
	t.Helper()
	out := outgoing{method: st.method, url: tg.appURL + "/api/auth" + tg.expand(t, st.path), header: http.Header{}}
	if st.body != "" {
		out.body = tg.expand(t, st.body)
		out.header.Set("Content-Type", "application/json")
	}
	if st.bearer != "" {
		out.header.Set("Authorization", "Bearer "+tg.expand(t, "{{bearer:"+st.bearer+"}}"))
	}
	if st.cookie != "" {
		out.header.Set("Cookie", tg.expand(t, "{{cookie:"+st.cookie+"}}"))
		out.header.Set("Origin", tg.baseURL)
	}
	for k, v := range st.hdr {
		if v == "" {
			out.header.Del(k)
			continue
		}
		out.header.Set(k, tg.expand(t, v))
	}
	return out
}

// do sends one request and reads the answer whole. Errors name no header
// or body, which may hold credentials.
func (tg *target) do(out outgoing) (*answer, error) {
	var body io.Reader
	if out.body != "" {
		body = strings.NewReader(out.body)
	}
	req, err := http.NewRequest(out.method, out.url, body)
	if err != nil {
		return nil, err
	}
	req.Header = out.header.Clone()
	resp, err := tg.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	a := &answer{status: resp.StatusCode, header: resp.Header, body: b}
	if len(b) > 0 {
		var v any
		if json.Unmarshal(b, &v) == nil {
			a.json = v
		}
	}
	return a, nil
}

// ---- saving values ----

// saveSession keeps a sign-in's credentials (set-auth-token, the session
// cookie, the unsigned token) and the user id under name.
func saveSession(name string) func(*target, *answer) {
	return func(tg *target, a *answer) {
		if tok := a.header.Get("Set-Auth-Token"); tok != "" {
			tg.keep("bearer:"+name, tok)
		}
		for _, c := range (&http.Response{Header: a.header}).Cookies() {
			if strings.HasSuffix(c.Name, ".session_token") && c.Value != "" {
				tg.keep("cookie:"+name, c.Name+"="+c.Value)
			}
		}
		if m, ok := a.json.(map[string]any); ok {
			if tok, ok := m["token"].(string); ok {
				tg.keep("token:"+name, tok)
			}
			if u, ok := m["user"].(map[string]any); ok {
				if id, ok := u["id"].(string); ok {
					tg.keep("user:"+name, id)
				}
			}
		}
	}
}

// saveField keeps the JSON member at path (dot-separated) as name.
func saveField(name, path string) func(*target, *answer) {
	return func(tg *target, a *answer) {
		var v any = a.json
		for _, p := range strings.Split(path, ".") {
			m, ok := v.(map[string]any)
			if !ok {
				return
			}
			v = m[p]
		}
		if s, ok := v.(string); ok {
			tg.keep(name, s)
		}
	}
}

// saveAll runs several savers.
func saveAll(fs ...func(*target, *answer)) func(*target, *answer) {
	return func(tg *target, a *answer) {
		for _, f := range fs {
			f(tg, a)
		}
	}
}

// ---- normalising ----

var (
	isoTime     = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$`)
	randomID    = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	platformID  = regexp.MustCompile(`\b(sub|cs|we|evt)_\d{6}\b`)
	cookieValue = regexp.MustCompile(`^([^=]+)=([^;]*)(.*)$`)
)

// normString replaces saved values, addresses, times and ids in s.
func (tg *target) normString(s string) string {
	names := make([]string, 0, len(tg.vars))
	for n := range tg.vars {
		names = append(names, n)
	}
	// longest values first, so that a token inside a cookie is replaced whole
	sort.Slice(names, func(i, j int) bool { return len(tg.vars[names[i]]) > len(tg.vars[names[j]]) })
	for _, n := range names {
		if v := tg.vars[n]; v != "" {
			s = strings.ReplaceAll(s, v, "<"+n+">")
		}
	}
	s = strings.ReplaceAll(s, tg.baseURL, "<base>")
	s = strings.ReplaceAll(s, tg.appURL, "<app>")
	s = strings.ReplaceAll(s, strings.TrimPrefix(tg.appURL, "http://"), "<host>")
	switch {
	case isoTime.MatchString(s):
		return "<time>"
	case randomID.MatchString(s):
		return "<id>"
	}
	return platformID.ReplaceAllString(s, "${1}_<n>")
}

// normJSON normalises every string of a decoded body; timing figures
// (_debug) keep only their type.
func (tg *target) normJSON(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[tg.normString(k)] = tg.normJSON(e, k)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = tg.normJSON(e, key)
		}
		return out
	case string:
		return tg.normString(x)
	case float64:
		switch key {
		case "totalMs", "platform.context":
			return "<ms>"
		case "expires_in": // seconds left, counted down from a clock
			return math.Round(x/60) * 60
		}
	}
	return v
}

// clientHeaders are the response headers a client acts on.
var clientHeaders = []string{
	"Content-Type", "Set-Auth-Token", "X-Retry-After", "Retry-After", "Location", "Cache-Control", "Pragma",
	"Access-Control-Expose-Headers", "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary",
}

// view is an answer as compared: status, normalised body and headers.
type view struct {
	Status  int               `json:"status"`
	Body    any               `json:"body"`
	Headers map[string]string `json:"headers,omitempty"`
	Cookies []string          `json:"cookies,omitempty"`
}

func (tg *target) view(a *answer) view {
	v := view{Status: a.status, Headers: map[string]string{}}
	if a.json != nil {
		v.Body = tg.normJSON(a.json, "")
	} else {
		v.Body = tg.normString(string(a.body))
	}
	for _, h := range clientHeaders {
		vals := a.header.Values(h)
		if len(vals) == 0 {
			continue
		}
		joined := strings.Join(vals, ", ")
		switch h {
		case "Set-Auth-Token":
			joined = "<present>"
		case "X-Retry-After", "Retry-After":
			if n, err := strconv.Atoi(joined); err == nil && n >= 1 && n <= 10 {
				joined = "<1..10>"
			}
		}
		v.Headers[h] = tg.normString(joined)
	}
	for _, c := range a.header.Values("Set-Cookie") {
		m := cookieValue.FindStringSubmatch(c)
		if m == nil {
			v.Cookies = append(v.Cookies, "<unparsable>")
			continue
		}
		value := "<value>"
		if m[2] == "" {
			value = ""
		}
		v.Cookies = append(v.Cookies, m[1]+"="+value+m[3])
	}
	sort.Strings(v.Cookies)
	return v
}

func (v view) String() string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("  ", "  ")
	_ = enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// ---- the test ----

func TestDifferentialFakeVersusBetterAuth(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	var seenMu sync.Mutex
	for _, cfg := range diffConfigs() {
		t.Run(cfg.name, func(t *testing.T) {
			t.Parallel()
			baseURL, appURL := startServer(t, cfg.env)
			real := newTarget("real", baseURL, appURL)
			srv := guapocadotest.NewServer(cfg.opts...)
			t.Cleanup(srv.Close)
			fake := newTarget("fake", srv.BaseURL(), srv.URL)
			for _, st := range cfg.steps {
				ra, fa := real.run(t, st), fake.run(t, st)
				rv, fv := real.view(ra), fake.view(fa)
				key := cfg.name + "/" + st.name
				same := rv.String() == fv.String()
				if _, known := knownDifferences[key]; known {
					seenMu.Lock()
					seen[key] = true
					seenMu.Unlock()
					if same {
						t.Errorf("%s: listed in knownDifferences but both answer alike now; remove it there and in guapocadotest's doc.go", key)
					}
					continue
				}
				if !same {
					t.Errorf("%s: the fake differs from Better Auth\nBetter Auth:\n  %s\nguapocadotest:\n  %s", key, rv, fv)
				}
			}
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for key := range knownDifferences {
			if !seen[key] {
				t.Errorf("knownDifferences lists %s, which no step runs", key)
			}
		}
	})
}

// TestKnownDifferencesDocumented: every known difference is named in
// guapocadotest's package doc, by the phrase its reason starts with.
func TestKnownDifferencesDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "guapocadotest", "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(strings.ReplaceAll(string(doc), "//", " ")), " ")
	for key, reason := range knownDifferences {
		phrase, _, _ := strings.Cut(reason, ":")
		if !strings.Contains(text, phrase) {
			t.Errorf("knownDifferences[%s]: guapocadotest/doc.go does not name %q", key, phrase)
		}
	}
}

// signWebhook signs body as the platform does.
func signWebhook(secret string, body string) string {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "." + body))
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}
