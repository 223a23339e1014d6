// Package redactcheck renders a value every way a program can print,
// encode or log it, for tests that a secret the value holds shows in none
// of them.
//
// fmt calls a value's Format, String or GoString method only for the verbs
// it hands to methods, and only for values it can reach as interfaces. It
// prints everything else field by field: %p of a non-pointer and %w
// outside fmt.Errorf (bad verbs, which go vet refuses in constant formats
// but not in computed ones), unexported fields of the value's holders, and
// reflect.Values of its fields. So the renderings cover every verb on the
// value nested every way, and the encodings and log handlers of the
// standard library.
package redactcheck

import (
	"bytes"
	"encoding/base64"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Verbs are the fmt verbs tried: every verb fmt knows, with flags, width
// and precision, the bad verbs %p and %w, and unknown ones.
var Verbs = []string{
	"%v", "%+v", "%#v", "%T", "%s", "%q", "%#q", "%+q", "%d", "%+d", "%t", "%x", "%X", "% x", "%#x", "%08x", "%o", "%O",
	"%b", "%c", "%U", "%#U", "%e", "%E", "%f", "%F", "%g", "%G", "%10s", "%-10v", "%-40v", "%.3s", "%08d", "%10d",
	"%p", "%#p", "%w", "%!", "%z",
}

type (
	exported[T any]   struct{ F T }
	unexported[T any] struct{ f T }
	anyHolder         struct{ X any }
	ptrHolder[T any]  struct{ P *T }
)

// forms is x nested every way fmt walks differently.
func forms[T any](x T) map[string]any {
	p := &x
	out := map[string]any{
		"value": x, "pointer": p, "**pointer": &p,
		"struct": exported[T]{x}, "*struct": &exported[T]{x},
		"unexported field": unexported[T]{x}, "*unexported field": &unexported[T]{x},
		"pointer field": ptrHolder[T]{p}, "*pointer field": &ptrHolder[T]{p},
		"interface field": anyHolder{x}, "*interface field": &anyHolder{x},
		"slice": []T{x}, "[]*": []*T{p}, "[]any": []any{x}, "array": [1]T{x},
		"map": map[string]T{"k": x}, "map *": map[string]*T{"k": p},
		"reflect.Value": reflect.ValueOf(x), "reflect.Value of *": reflect.ValueOf(p),
		"reflect.Value of unexported field": reflect.ValueOf(unexported[T]{x}).Field(0),
	}
	// Each exported field of x through reflection (of the struct a
	// pointer points to), as a generic struct printer would pass it.
	v := reflect.ValueOf(x)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Struct {
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				out["reflect field "+v.Type().Field(i).Name] = v.Field(i)
			}
		}
	}
	return out
}

// Renderings returns x printed with every verb nested every way, encoded
// as JSON, XML and gob, logged with slog's text and JSON handlers, and in
// wrapped errors, keyed by how it was made. Encodings that fail give
// their error text.
func Renderings[T any](x T) map[string]string {
	out := map[string]string{}
	for name, f := range forms(x) {
		for _, verb := range Verbs {
			out[verb+" of "+name] = fmt.Sprintf(verb, f)
		}
		if _, ok := f.(reflect.Value); ok {
			continue // encoders see a reflect.Value's own fields
		}
		out["json of "+name] = result(json.Marshal(f))
		out["xml of "+name] = result(xml.Marshal(exported[any]{f}))
		var g bytes.Buffer
		out["gob of "+name] = result(g.Bytes(), gob.NewEncoder(&g).Encode(f))
		var text, js bytes.Buffer
		slog.New(slog.NewTextHandler(&text, nil)).Info("m", "x", f, slog.Group("g", "x", f))
		slog.New(slog.NewJSONHandler(&js, nil)).Info("m", "x", f, slog.Group("g", "x", f))
		out["slog text of "+name], out["slog json of "+name] = text.String(), js.String()
		err := fmt.Errorf("wrapped: %w", errors.Join(fmt.Errorf("%v %+v %#v", f, f, f)))
		out["errors of "+name] = err.Error()
	}
	return out
}

func result(b []byte, err error) string {
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

// Shows reports whether out contains secret as text, quoted, in hex (either
// case), as decimal bytes (how fmt prints a []byte with %v) or in base64
// (how JSON and gob may carry bytes).
func Shows(out, secret string) bool {
	if secret == "" {
		return false
	}
	dec := make([]string, len(secret))
	for i := range len(secret) {
		dec[i] = fmt.Sprint(secret[i])
	}
	for _, form := range []string{
		secret, strings.Trim(strconv.Quote(secret), `"`),
		hex.EncodeToString([]byte(secret)), strings.ToUpper(hex.EncodeToString([]byte(secret))),
		strings.Join(dec, " "), strings.Join(dec, ", "),
		base64.StdEncoding.EncodeToString([]byte(secret[:len(secret)/3*3])),
	} {
		if form != "" && strings.Contains(out, form) {
			return true
		}
	}
	return false
}

// NoSecret fails tb for every rendering of x that shows secret, and
// returns how many renderings it checked.
func NoSecret[T any](tb testing.TB, name string, x T, secret string) int {
	tb.Helper()
	r := Renderings(x)
	shown := 0
	for how, out := range r {
		if Shows(out, secret) {
			if shown++; shown <= 10 {
				tb.Errorf("%s: %s shows the secret: %.300s", name, how, out)
			}
		}
	}
	if shown > 10 {
		tb.Errorf("%s: %d renderings in all show the secret", name, shown)
	}
	return len(r)
}
