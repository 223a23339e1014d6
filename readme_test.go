//go:build !(js && wasm)

package guapocado_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/testenv"
)

// readmePrelude declares what README snippets use without declaring: a
// context, clients, a request, a mux, an error…
const readmePrelude = `
var (
	ctx      context.Context
	token    string
	apiKey   string
	c        *guapocado.Client
	api      *guapocado.APIClient
	err      error
	u        *guapocado.Usage
	r        *http.Request
	mux      *http.ServeMux
	secret   string
	subID, k string
	logIt    func(*http.Request, error)
	tenantOf func(*http.Request) (string, bool)
	orgOf    func(*http.Request) (string, error)
	goodbye  func(ctx context.Context, customerID string) error
	store    interface {
		SetPlan(ctx context.Context, customerID, planKey string) error
	}
	resp struct{ Usage struct{ TotalTokens int64 } }
)
`

// readmeImports are the packages a snippet may use, by name.
var readmeImports = map[string]string{
	"context": "context", "errors": "errors", "fmt": "fmt", "http": "net/http", "os": "os",
	"time": "time", "slog": "log/slog", "js": "syscall/js", "guapocado": "github.com/guapocado/guapocado-go",
	"guapocadotest": "github.com/guapocado/guapocado-go/guapocadotest", "webhook": "github.com/guapocado/guapocado-go/webhook",
	"httptest": "net/http/httptest", "testing": "testing",
	"otelguapocado": "github.com/guapocado/guapocado-go/otelguapocado", // a module of its own, required below
	"readmodel":     "github.com/guapocado/guapocado-go/readmodel", "sql": "database/sql",
}

// snippetDocs are the pages whose Go blocks TestReadmeSnippetsCompile vets.
var snippetDocs = []string{"README.md", "docs/observability.md", "docs/performance.md",
	"docs/platform.md", "docs/wasm.md", "docs/webhooks.md"}

// TestReadmeSnippetsCompile extracts every ```go block of snippetDocs, wraps
// each in a function of its own (top-level func declarations in a block
// stay top-level; "…" stands for code left out; variables a block declares
// and does not use are used), and vets the result in a temporary module
// that uses this checkout. A block that calls syscall/js is vetted for
// GOOS=js GOARCH=wasm.
func TestReadmeSnippetsCompile(t *testing.T) {
	testenv.NeedFull(t, "vets the README's snippets in a temporary module that requires otelguapocado (downloads OpenTelemetry)")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	root, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	var native, wasm []string
	for _, doc := range snippetDocs {
		text, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		blocks := regexp.MustCompile("(?ms)^```go\n(.*?)^```").FindAllSubmatchIndex(text, -1)
		if doc == "README.md" && len(blocks) < 5 {
			t.Fatalf("found %d go blocks in README.md", len(blocks))
		}
		for i, b := range blocks {
			line := 1 + strings.Count(string(text[:b[0]]), "\n")
			name := fmt.Sprintf("%sBlock%d", strings.NewReplacer("/", "_", ".", "_", "-", "_").Replace(doc), i+1)
			src, err := wrapSnippet(name, doc, line, string(text[b[2]:b[3]]))
			if err != nil {
				t.Errorf("%s:%d: %v", doc, line, err)
				continue
			}
			if strings.Contains(src, "js.") {
				wasm = append(wasm, src)
			} else {
				native = append(native, src)
			}
		}
	}
	dir := t.TempDir()
	var sum []byte
	for _, f := range []string{"go.sum", "otelguapocado/go.sum"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sum = append(sum, b...)
	}
	mod := "module example.com/readme\n\ngo 1.24\n\n" +
		"require (\n\tgithub.com/guapocado/guapocado-go v0.0.0\n\tgithub.com/guapocado/guapocado-go/otelguapocado v0.0.0\n)\n\n" +
		"replace github.com/guapocado/guapocado-go => " + root + "\n\n" +
		"replace github.com/guapocado/guapocado-go/otelguapocado => " + filepath.Join(root, "otelguapocado") + "\n"
	files := map[string]string{"go.mod": mod, "go.sum": string(sum),
		"snippets.go":    snippetFile("", native, true),
		"snippets_js.go": snippetFile("//go:build js && wasm\n\n", wasm, false), // the prelude is snippets.go's
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, env := range [][]string{nil, {"GOOS=js", "GOARCH=wasm"}} {
		cmd := exec.Command(goBin, "vet", ".")
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off"), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("README snippets do not vet (%v): %v\n%s", env, err, out)
			t.Logf("generated snippets.go:\n%s\nsnippets_js.go:\n%s", files["snippets.go"], files["snippets_js.go"])
		}
	}
}

// snippetFile is a package of wrapped snippets with the imports they use.
func snippetFile(header string, snippets []string, prelude bool) string {
	body := strings.Join(snippets, "\n")
	if prelude {
		body = readmePrelude + "\n" + body
	}
	used := map[string]bool{}
	for name := range readmeImports {
		if regexp.MustCompile(`\b` + name + `\.`).MatchString(body) {
			used[name] = true
		}
	}
	var imports []string
	for name := range used {
		imports = append(imports, fmt.Sprintf("\t%q", readmeImports[name]))
	}
	sort.Strings(imports)
	return header + "package readme\n\nimport (\n" + strings.Join(imports, "\n") + "\n)\n" + body
}

// wrapSnippet turns one block of doc into top-level declarations and a
// function named name holding its statements.
func wrapSnippet(name, doc string, line int, block string) (string, error) {
	var decls, stmts, lines []string
	for _, l := range strings.Split(block, "\n") {
		if strings.TrimSpace(l) != "…" && !strings.HasPrefix(l, "import ") { // imports are added by name
			lines = append(lines, l)
		}
	}
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		switch {
		case strings.HasPrefix(l, "func "):
			j := i
			for j < len(lines) && lines[j] != "}" {
				j++
			}
			decls = append(decls, strings.Join(lines[i:j+1], "\n"))
			i = j
			continue
		}
		stmts = append(stmts, l)
	}
	body := strings.ReplaceAll(strings.Join(stmts, "\n"), "{ … }", "{ }")
	fn := fmt.Sprintf("//line %s:%d\nfunc %s() error {\n%s\nreturn nil\n}\n", doc, line+1, name, body)
	var out []string
	for _, d := range append(decls, fn) {
		d = strings.ReplaceAll(d, "{ … }", "{ }")
		used, err := useLocals(d)
		if err != nil {
			return "", err
		}
		out = append(out, used)
	}
	return strings.Join(out, "\n"), nil
}

// useLocals adds "_ = x" for each variable the function in src declares
// at the top level of its body, before its final return.
func useLocals(src string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", "package p\n"+src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	var fd *ast.FuncDecl
	for _, d := range f.Decls {
		if x, ok := d.(*ast.FuncDecl); ok {
			fd = x
		}
	}
	if fd == nil || fd.Body == nil || len(fd.Body.List) == 0 {
		return src, nil
	}
	seen := map[string]bool{}
	var names []string
	for _, s := range fd.Body.List {
		if as, ok := s.(*ast.AssignStmt); ok && as.Tok == token.DEFINE {
			for _, e := range as.Lhs {
				if id, ok := e.(*ast.Ident); ok && id.Name != "_" && !seen[id.Name] {
					seen[id.Name] = true
					names = append(names, id.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		return src, nil
	}
	use := "\n_ = []any{" + strings.Join(names, ", ") + "}\n"
	last := fd.Body.List[len(fd.Body.List)-1]
	pos := fset.Position(last.Pos()).Offset - len("package p\n")
	if _, ok := last.(*ast.ReturnStmt); !ok {
		pos = fset.Position(fd.Body.Rbrace).Offset - len("package p\n")
	}
	return src[:pos] + use + src[pos:], nil
}
