// Command gatecheck makes sure CI runs every test that the README's
// go test ./... leaves out. Such a test begins with testenv.NeedFull (or
// calls, in its package, a helper that does) and runs only with
// GUAPOCADO_FULL=1; .ci/run sets that after the README command and keeps
// the verbose output of its later go test steps. gatecheck finds the gated
// tests in the source (files of the default build, every module of the
// repository) and reads those logs: it fails when a gated test did not
// pass in any of them, or when any test skipped for want of
// GUAPOCADO_FULL=1 (the variable did not reach that step).
//
//	go run ./internal/gatecheck [-root dir] log...
//
// A log is the output of go test -v (one or several packages).
package main

import (
	"bufio"
	"flag"
	"fmt"
	"go/ast"
	"go/build"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	root := flag.String("root", ".", "the repository's root")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gatecheck [-root dir] go-test-v.log...")
		os.Exit(2)
	}
	gated, err := gatedTests(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gatecheck:", err)
		os.Exit(2)
	}
	passed, gateSkips := map[string]bool{}, []string{}
	for _, name := range flag.Args() {
		p, s, err := readLog(name)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gatecheck:", err)
			os.Exit(2)
		}
		for t := range p {
			passed[t] = true
		}
		gateSkips = append(gateSkips, s...)
	}
	var missing []string
	for _, t := range gated {
		if !passed[t] {
			missing = append(missing, t)
		}
	}
	for _, t := range gateSkips {
		fmt.Fprintf(os.Stderr, "gatecheck: %s skipped for want of GUAPOCADO_FULL=1\n", t)
	}
	for _, t := range missing {
		fmt.Fprintf(os.Stderr, "gatecheck: %s needs GUAPOCADO_FULL=1 and passed in no CI log\n", t)
	}
	if len(missing) > 0 || len(gateSkips) > 0 {
		os.Exit(1)
	}
	fmt.Printf("gatecheck: the %d tests go test ./... leaves out all passed in CI:\n", len(gated))
	for _, t := range gated {
		fmt.Println("  " + t)
	}
}

// gatedTests returns "import/path.TestName" for every top-level test of
// the default build that calls testenv.NeedFull, directly or through
// functions of its own package.
func gatedTests(root string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "node_modules") {
			return filepath.SkipDir
		}
		pkg, err := importPath(root, path)
		if err != nil {
			return err
		}
		tests, err := gatedInDir(path)
		if err != nil {
			return err
		}
		for _, t := range tests {
			out = append(out, pkg+"."+t)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

// importPath is dir's import path, from the nearest go.mod at or above it.
func importPath(root, dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			m := regexp.MustCompile(`(?m)^module\s+(\S+)`).FindSubmatch(b)
			if m == nil {
				return "", fmt.Errorf("%s/go.mod: no module line", d)
			}
			rel, err := filepath.Rel(d, dir)
			if err != nil {
				return "", err
			}
			if rel == "." {
				return string(m[1]), nil
			}
			return string(m[1]) + "/" + filepath.ToSlash(rel), nil
		}
		if d == root || d == filepath.Dir(d) {
			return "", fmt.Errorf("%s: no go.mod above it", dir)
		}
	}
}

// gatedInDir returns the gated tests among dir's _test.go files of the
// default build (this GOOS and GOARCH, no tags).
func gatedInDir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	calls := map[string][]string{} // function (or method) name -> names it calls
	gated := map[string]bool{}
	var tests []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		if ok, err := build.Default.MatchFile(dir, e.Name()); err != nil || !ok {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, e.Name()), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if fd.Recv == nil && strings.HasPrefix(name, "Test") && name != "TestMain" {
				tests = append(tests, name)
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				switch fn := call.Fun.(type) {
				case *ast.Ident:
					calls[name] = append(calls[name], fn.Name)
				case *ast.SelectorExpr:
					if x, ok := fn.X.(*ast.Ident); ok && x.Name == "testenv" && fn.Sel.Name == "NeedFull" {
						gated[name] = true
					}
				}
				return true
			})
		}
	}
	for changed := true; changed; { // callers of gated functions are gated
		changed = false
		for fn, callees := range calls {
			for _, c := range callees {
				if gated[c] && !gated[fn] {
					gated[fn], changed = true, true
				}
			}
		}
	}
	var out []string
	for _, t := range tests {
		if gated[t] {
			out = append(out, t)
		}
	}
	return out, nil
}

var (
	resultLine  = regexp.MustCompile(`^--- (PASS|FAIL|SKIP): (\S+) `)
	headerLine  = regexp.MustCompile(`^=== (?:RUN|CONT|NAME|PAUSE)\s+(\S+)`)
	packageLine = regexp.MustCompile(`^(?:ok|FAIL|\?)\s+(\S+)`)
)

// gateMessage is in NeedFull's skip message.
const gateMessage = "runs with GUAPOCADO_FULL=1"

// readLog returns the top-level tests that passed in a go test -v log, as
// "import/path.TestName", and those that skipped with NeedFull's message.
// go test prints a package's tests, then its summary line.
func readLog(name string) (passed map[string]bool, gateSkips []string, err error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	passed = map[string]bool{}
	var pending, pendingSkips []string // tests of the package whose summary line is still to come
	current := ""                      // the test whose output follows
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch m := resultLine.FindStringSubmatch(line); {
		case m != nil:
			current = m[2]
			if m[1] == "PASS" {
				pending = append(pending, m[2])
			}
			continue
		}
		if m := headerLine.FindStringSubmatch(line); m != nil {
			current = m[1]
			continue
		}
		if strings.Contains(line, gateMessage) {
			pendingSkips = append(pendingSkips, current)
			continue
		}
		if m := packageLine.FindStringSubmatch(line); m != nil {
			for _, t := range pending {
				passed[m[1]+"."+t] = true
			}
			for _, t := range pendingSkips {
				gateSkips = append(gateSkips, m[1]+"."+t)
			}
			pending, pendingSkips = nil, nil
		}
	}
	return passed, gateSkips, sc.Err()
}
