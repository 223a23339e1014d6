//go:build !(js && wasm)

package guapocado_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// encodingMethods may have value receivers on a type whose other methods
// have pointer receivers: encoding/json, fmt and log/slog find them on
// values as well as pointers, and the decoders (UnmarshalJSON) need the
// pointer.
var encodingMethods = []string{"MarshalJSON", "MarshalText", "String", "GoString", "Format", "LogValue"}

// Issue 27 item 11: every type of the packages users import (Billing
// among them) names its receiver one way and uses one receiver kind, the
// encoding methods aside.
func TestOneReceiverNameAndKindPerType(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{".", "webhook", "readmodel", "guapocadotest"} {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		type methods struct {
			names        map[string][]string // receiver name → methods
			value, point []string
		}
		types := map[string]*methods{}
		fset := token.NewFileSet()
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(fset, f, src, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range af.Decls {
				fd, ok := d.(*ast.FuncDecl)
				if !ok || fd.Recv == nil {
					continue
				}
				field := fd.Recv.List[0]
				typ, ptr := field.Type, false
				if star, ok := typ.(*ast.StarExpr); ok {
					typ, ptr = star.X, true
				}
				switch x := typ.(type) {
				case *ast.IndexExpr:
					typ = x.X
				case *ast.IndexListExpr:
					typ = x.X
				}
				name := typ.(*ast.Ident).Name
				m := types[name]
				if m == nil {
					m = &methods{names: map[string][]string{}}
					types[name] = m
				}
				recv := "(unnamed)"
				if len(field.Names) > 0 {
					recv = field.Names[0].Name
				}
				m.names[recv] = append(m.names[recv], fd.Name.Name)
				if ptr {
					m.point = append(m.point, fd.Name.Name)
				} else {
					m.value = append(m.value, fd.Name.Name)
				}
			}
		}
		for name, m := range types {
			if len(m.names) > 1 {
				t.Errorf("%s.%s: receivers named %v", dir, name, m.names)
			}
			if len(m.point) == 0 || len(m.value) == 0 {
				continue
			}
			for _, v := range m.value {
				if !slices.Contains(encodingMethods, v) {
					t.Errorf("%s.%s: value receiver on %s, pointer receivers on %v", dir, name, v, m.point)
				}
			}
		}
	}
}
