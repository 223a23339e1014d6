//go:build !(js && wasm)

package guapocado_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docFiles are the Markdown pages whose paths are checked: README.md and
// docs/*.md.
func docFiles(t *testing.T) []string {
	t.Helper()
	docs, err := filepath.Glob("docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"README.md"}, docs...)
}

var (
	// markdownLink is the target of [text](target).
	markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	// codeSpan is `text`.
	codeSpan = regexp.MustCompile("`([^`\n]+)`")
	// fileName ends like the files of this repository that docs name.
	fileName = regexp.MustCompile(`^[\w./-]+\.(go|md|sh|js|mjs|html|mod|sum)$`)
)

// TestDocsNameOnlyFilesThatExist: every file or folder of this repository
// that README.md or a docs/*.md page names (a relative link, or a code span
// that is a path in one of the repository's top-level folders or a file
// name) exists. A bare file name may be in any folder.
func TestDocsNameOnlyFilesThatExist(t *testing.T) {
	top := map[string]bool{}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			top[e.Name()] = true
		}
	}
	baseNames := map[string]bool{}
	err = filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".git") {
			return filepath.SkipDir
		}
		baseNames[d.Name()] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	exists := func(path string) bool {
		_, err := os.Stat(path)
		return err == nil
	}
	for _, doc := range docFiles(t) {
		b, err := os.ReadFile(doc)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, m := range markdownLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			path := filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(doc), target)))
			if !exists(path) {
				t.Errorf("%s links %s, which does not exist", doc, m[1])
			}
		}
		for _, m := range codeSpan.FindAllStringSubmatch(text, -1) {
			if strings.Contains(m[1], " ") { // a command: its ./relative arguments
				cmd, dir := m[1], ""
				if rest, ok := strings.CutPrefix(cmd, "cd "); ok { // "cd DIR && …" runs in DIR
					if d, after, ok := strings.Cut(rest, " && "); ok {
						cmd, dir = after, d
					}
				}
				for _, arg := range strings.Fields(cmd) {
					if rel, ok := strings.CutPrefix(arg, "./"); ok && !strings.Contains(rel, "...") && rel != "" {
						if path := filepath.ToSlash(filepath.Join(dir, strings.TrimSuffix(rel, "/"))); !exists(path) {
							t.Errorf("%s: %s names %s, which does not exist", doc, m[1], arg)
						}
					}
				}
				continue
			}
			span := strings.TrimSuffix(strings.TrimPrefix(m[1], "./"), "/")
			if strings.ContainsAny(span, "<>*{}$…") {
				continue
			}
			first, _, nested := strings.Cut(span, "/")
			switch {
			case nested && top[first]:
				if !exists(span) {
					t.Errorf("%s names %s, which does not exist", doc, m[1])
				}
			case !nested && fileName.MatchString(span):
				if !exists(span) && !baseNames[span] {
					t.Errorf("%s names %s, which is in no folder of the repository", doc, m[1])
				}
			}
		}
	}
}
