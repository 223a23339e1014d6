package guapocado_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
)

// testOnlyModules are the nested modules no one imports: they need not
// require the root module at a released version.
var testOnlyModules = map[string]bool{"storetests": true}

// commandModules are the nested modules users install with go install
// pkg@version, which refuses a go.mod with a replace directive: they have
// none, and their go.work builds them against the checkout instead.
var commandModules = map[string]bool{"cmd/guapocado": true}

// TestVersionAgreesWithChangelog: Version is the newest release in
// CHANGELOG.md, or, while an [Unreleased] section lists changes, the next
// one (newer than every release there). RELEASING.md says how the two move
// together.
func TestVersionAgreesWithChangelog(t *testing.T) {
	b, err := os.ReadFile("CHANGELOG.md")
	if err != nil {
		t.Fatal(err)
	}
	unreleased, released := changelogSections(string(b))
	if len(released) == 0 {
		t.Fatal("CHANGELOG.md names no release (## [x.y.z])")
	}
	newest := released[0]
	for _, v := range released[1:] {
		if compareVersions(v, newest) >= 0 {
			t.Errorf("CHANGELOG.md: release %s is listed below %s; the newest comes first", v, newest)
		}
	}
	switch {
	case strings.TrimSpace(unreleased) != "" && compareVersions(guapocado.Version, newest) <= 0:
		t.Errorf("CHANGELOG.md lists unreleased changes, so Version (%s) must be the next release, newer than %s", guapocado.Version, newest)
	case strings.TrimSpace(unreleased) == "" && guapocado.Version != newest:
		t.Errorf("Version is %s, CHANGELOG.md's newest release is %s", guapocado.Version, newest)
	}
}

// TestNestedModulesRequireTheRelease: each module of this repository that
// users import requires the root module at Version (what it will be
// released with), never a pseudo-version, and keeps its replace for work
// inside the repository.
func TestNestedModulesRequireTheRelease(t *testing.T) {
	var mods []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "node_modules" || d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".") && path != "."):
			return filepath.SkipDir
		case !d.IsDir() && d.Name() == "go.mod" && path != "go.mod":
			mods = append(mods, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, m := range mods {
		dir := filepath.ToSlash(filepath.Dir(m))
		if testOnlyModules[dir] || commandModules[dir] {
			continue
		}
		b, err := os.ReadFile(m)
		if err != nil {
			t.Fatal(err)
		}
		req := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/guapocado/guapocado-go\s+(\S+)`).FindSubmatch(b)
		if req == nil {
			t.Errorf("%s does not require github.com/guapocado/guapocado-go", m)
			continue
		}
		if got := string(req[1]); got != "v"+guapocado.Version {
			t.Errorf("%s requires github.com/guapocado/guapocado-go %s, want v%s (Version)", m, got, guapocado.Version)
		}
		if !regexp.MustCompile(`(?m)^replace github\.com/guapocado/guapocado-go => (\.\./)*\.\./?$`).Match(b) {
			t.Errorf("%s: no replace github.com/guapocado/guapocado-go => ../ for work inside the repository", m)
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no nested module checked (otelguapocado/go.mod expected)")
	}
}

// changelogSections returns the text of the [Unreleased] section and the
// versions of the released sections, in the file's order.
func changelogSections(s string) (unreleased string, released []string) {
	heading := regexp.MustCompile(`(?m)^## \[([^\]]+)\].*$`)
	idx := heading.FindAllStringSubmatchIndex(s, -1)
	for i, m := range idx {
		name := s[m[2]:m[3]]
		end := len(s)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		if name == "Unreleased" {
			unreleased = s[m[1]:end]
			continue
		}
		released = append(released, name)
	}
	return unreleased, released
}

// compareVersions compares two x.y.z versions.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < 3; i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// TestCommandModulesInstallable: a command module (cmd/guapocado) requires
// the root module and every module of this repository it uses at Version,
// the releases it is tagged after, and has no replace directive, or
// go install github.com/guapocado/guapocado-go/cmd/guapocado@latest would
// refuse it; its go.work replaces them with this checkout instead.
func TestCommandModulesInstallable(t *testing.T) {
	for dir := range commandModules {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		if regexp.MustCompile(`(?m)^\s*replace\b`).Match(b) {
			t.Errorf("%s/go.mod has a replace directive: go install ...@version would refuse the module", dir)
		}
		reqs := regexp.MustCompile(`(?m)^\s*(?:require\s+)?(github\.com/guapocado/guapocado-go(?:/\S+)?)\s+(\S+)`).FindAllSubmatch(b, -1)
		root := false
		for _, r := range reqs {
			path, version := string(r[1]), string(r[2])
			root = root || path == "github.com/guapocado/guapocado-go"
			if version != "v"+guapocado.Version {
				t.Errorf("%s/go.mod requires %s %s, want v%s (Version)", dir, path, version, guapocado.Version)
			}
		}
		if !root {
			t.Errorf("%s/go.mod does not require github.com/guapocado/guapocado-go", dir)
		}
		work, err := os.ReadFile(filepath.Join(dir, "go.work"))
		if err != nil {
			t.Fatalf("%s: no go.work to build it from the checkout: %v", dir, err)
		}
		for _, r := range reqs {
			path := string(r[1])
			rel := strings.Repeat("../", strings.Count(dir, "/")+1) + strings.TrimPrefix(strings.TrimPrefix(path, "github.com/guapocado/guapocado-go"), "/")
			rel = strings.TrimSuffix(rel, "/")
			if !regexp.MustCompile(`(?m)^\s*(?:replace\s+)?` + regexp.QuoteMeta(path) + `\s+=>\s+` + regexp.QuoteMeta(rel) + `/?\s*$`).Match(work) {
				t.Errorf("%s/go.work does not replace %s with %s", dir, path, rel)
			}
		}
	}
}
