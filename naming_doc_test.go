//go:build !(js && wasm)

package guapocado_test

import (
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// customerNames are the five ways to name a customer.
var customerNames = []string{"WithCustomerID", "ForCustomer", "CustomerID", "CustomerFrom", "CustomerIDFromContext"}

// Issue 27 item 12: the package documentation has one section that says
// when to use each way to name a customer, and the doc of each names the
// others and links that section.
func TestCustomerNamingDocs(t *testing.T) {
	t.Parallel()
	fset := token.NewFileSet()
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		if f.Name.Name == "guapocado" {
			files = append(files, f)
		}
	}
	p, err := doc.NewFromFiles(fset, files, "github.com/guapocado/guapocado-go")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(p.Doc, "\n# Naming the customer\n")
	if !ok {
		t.Fatal(`the package doc has no section "# Naming the customer"`)
	}
	section, _, _ = strings.Cut(section, "\n# ")
	docs := map[string]string{}
	for _, f := range p.Funcs {
		docs[f.Name] = f.Doc
	}
	for _, ty := range p.Types {
		for _, f := range ty.Funcs {
			docs[f.Name] = f.Doc
		}
	}
	for _, name := range customerNames {
		if !strings.Contains(section, name+"(") && !strings.Contains(section, name+" ") {
			t.Errorf("the section does not say when to use %s", name)
		}
		d, ok := docs[name]
		if !ok {
			t.Errorf("%s: no such function", name)
			continue
		}
		for _, other := range customerNames {
			if !strings.Contains(d, other) {
				t.Errorf("the doc of %s does not name %s", name, other)
			}
		}
		if !strings.Contains(d, "[Naming the customer]: https://pkg.go.dev/github.com/guapocado/guapocado-go#hdr-Naming_the_customer") {
			t.Errorf("the doc of %s does not link the section", name)
		}
	}
}
