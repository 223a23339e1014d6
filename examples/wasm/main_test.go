//go:build js && wasm

package main

// These tests run in headless Chromium (see TestChromium in
// serve/browser_test.go), on a page whose origin serves the example's
// handler with the embedded fake. They call the module's Promise API the way
// page JavaScript does: through globalThis.guapocado.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"syscall/js"
	"testing"
)

// call invokes guapocado[method](args...) and waits for its Promise: it
// returns the resolved value, or the rejection reason as rejected.
func call(t *testing.T, method string, args ...any) (v js.Value, rejected js.Value) {
	t.Helper()
	p := js.Global().Get("guapocado").Call(method, args...)
	if !p.InstanceOf(js.Global().Get("Promise")) {
		t.Fatalf("guapocado.%s returned %s, not a Promise", method, p.Type())
	}
	type settled struct {
		v  js.Value
		ok bool
	}
	ch := make(chan settled, 1)
	resolve := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- settled{a[0], true}; return nil })
	reject := js.FuncOf(func(_ js.Value, a []js.Value) any { ch <- settled{a[0], false}; return nil })
	defer resolve.Release()
	defer reject.Release()
	p.Call("then", resolve, reject)
	s := <-ch
	if s.ok {
		return s.v, js.Undefined()
	}
	return js.Undefined(), s.v
}

// mustCall is call for a Promise that must resolve.
func mustCall(t *testing.T, method string, args ...any) js.Value {
	t.Helper()
	v, rej := call(t, method, args...)
	if !rej.IsUndefined() {
		t.Fatalf("guapocado.%s rejected: %s", method, rej.Get("message").String())
	}
	return v
}

// jsonOf is JSON.stringify(v).
func jsonOf(v js.Value) string {
	return js.Global().Get("JSON").Call("stringify", v).String()
}

// wantPlain checks that v is a plain object (what JSON.parse would give).
func wantPlain(t *testing.T, what string, v js.Value) {
	t.Helper()
	if v.Type() != js.TypeObject || !js.Global().Get("Object").Call("getPrototypeOf", v).Equal(js.Global().Get("Object").Get("prototype")) {
		t.Fatalf("%s: %s is not a plain object", what, jsonOf(v))
	}
}

func wantUsage(t *testing.T, what string, v js.Value, balance, consumed int) {
	t.Helper()
	wantPlain(t, what, v)
	if v.Get("balance").Int() != balance || v.Get("consumed").Int() != consumed || v.Get("included").Int() != 100 ||
		v.Get("customerId").String() == "" || !strings.HasSuffix(v.Get("resets").String(), "-01T00:00:00Z") {
		t.Fatalf("%s: %s, want balance %d, consumed %d of 100, monthly resets", what, jsonOf(v), balance, consumed)
	}
}

// wantRejection checks a rejection: an Error named GuapocadoError with the
// status, code and kind.
func wantRejection(t *testing.T, what string, rej js.Value, status int, code, kind string) {
	t.Helper()
	if rej.IsUndefined() {
		t.Fatalf("%s resolved, want a rejection", what)
	}
	if !rej.InstanceOf(js.Global().Get("Error")) || rej.Get("name").String() != "GuapocadoError" {
		t.Fatalf("%s: rejected with %s, not a GuapocadoError", what, jsonOf(rej))
	}
	if rej.Get("status").Int() != status || rej.Get("code").String() != code || rej.Get("kind").String() != kind || rej.Get("message").String() == "" {
		t.Fatalf("%s: status %d, code %q, kind %q, message %q; want %d, %q, %q", what,
			rej.Get("status").Int(), rej.Get("code").String(), rej.Get("kind").String(), rej.Get("message").String(), status, code, kind)
	}
}

func installed(t *testing.T) {
	t.Helper()
	if js.Global().Get("guapocado").IsUndefined() {
		if err := install(js.Undefined()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPageAPI walks the page's actions: sign up and create an organization,
// then has, balance, consume, refund and sync, each resolving with plain
// values.
func TestPageAPI(t *testing.T) {
	installed(t)
	page := js.Global().Get("location").Get("origin").String()
	if got := js.Global().Get("guapocado").Get("baseURL").String(); got != page+"/api/auth" {
		t.Fatalf("baseURL %q, want the page's origin + /api/auth", got)
	}
	if s := mustCall(t, "session"); !s.IsNull() {
		t.Fatalf("session before sign-up: %s, want null", jsonOf(s))
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	u := mustCall(t, "signUp", "p"+id+"@example.test", "pw-"+id, "Page "+id)
	wantPlain(t, "signUp", u)
	if u.Get("email").String() != "p"+id+"@example.test" || u.Get("id").String() == "" {
		t.Fatalf("signUp: %s", jsonOf(u))
	}
	_, rej := call(t, "balance", "api-calls")
	wantRejection(t, "balance before an organization", rej, 401, "", "no_customer")
	org := mustCall(t, "createOrganization", "Page "+id, "page-"+id)
	if org.Get("slug").String() != "page-"+id {
		t.Fatalf("createOrganization: %s", jsonOf(org))
	}
	s := mustCall(t, "session")
	if s.Get("user").Get("email").String() != "p"+id+"@example.test" || s.Get("activeOrganizationId").String() != org.Get("id").String() {
		t.Fatalf("session: %s", jsonOf(s))
	}

	for key, want := range map[string]bool{"csv-export": true, "advanced-analytics": false} {
		if v := mustCall(t, "has", key); v.Type() != js.TypeBoolean || v.Bool() != want {
			t.Fatalf("has(%q) = %s, want %v", key, jsonOf(v), want)
		}
	}
	// onChange: every change of a cached balance reaches the page.
	changes := make(chan string, 16)
	onChange := js.FuncOf(func(_ js.Value, a []js.Value) any {
		if c := a[0]; c.Get("kind").String() == "usage" && c.Get("name").String() == "api-calls" {
			changes <- fmt.Sprintf("%s %d", c.Get("customerId").String(), c.Get("value").Get("balance").Int())
		}
		return nil
	})
	defer onChange.Release()
	js.Global().Get("guapocado").Call("onChange", onChange)
	wantChange := func(what string, balance int) {
		t.Helper()
		want := fmt.Sprintf("%s %d", org.Get("id").String(), balance)
		if got := <-changes; got != want {
			t.Fatalf("%s: onChange got %q, want %q", what, got, want)
		}
	}
	wantUsage(t, "balance", mustCall(t, "balance", "api-calls"), 100, 0)
	wantChange("balance", 100)
	wantUsage(t, "balance again (cached)", mustCall(t, "balance", "api-calls"), 100, 0)
	wantUsage(t, "consume 5", mustCall(t, "consume", "api-calls", 5), 95, 5)
	wantChange("consume 5", 95)
	wantUsage(t, "balance after consume (read your writes)", mustCall(t, "balance", "api-calls"), 95, 5)
	wantUsage(t, "refund 5", mustCall(t, "refund", "api-calls", 5), 100, 0)
	wantChange("refund 5", 100)
	select {
	case c := <-changes:
		t.Fatalf("unexpected change %q (reads of an unchanged balance must not notify)", c)
	default:
	}
	cu := mustCall(t, "sync")
	wantPlain(t, "sync", cu)
	if cu.Get("id").String() != org.Get("id").String() {
		t.Fatalf("sync: %s, want the organization %s", jsonOf(cu), org.Get("id").String())
	}
}

// TestPageAPIRejections: server refusals and bad arguments reject with a
// GuapocadoError a page can branch on.
func TestPageAPIRejections(t *testing.T) {
	installed(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	mustCall(t, "signUp", "r"+id+"@example.test", "pw-"+id, "R")
	mustCall(t, "createOrganization", "R "+id, "r-"+id)

	_, rej := call(t, "consume", "api-calls", 1000)
	wantRejection(t, "consume beyond the balance", rej, 429, "", "insufficient_balance")
	_, rej = call(t, "balance", "no-such-meter")
	wantRejection(t, "balance of an unknown meter", rej, 404, "", "not_found")
	_, rej = call(t, "signIn", "r"+id+"@example.test", "wrong-password")
	wantRejection(t, "sign-in with a wrong password", rej, 401, "INVALID_EMAIL_OR_PASSWORD", "unauthorized")
	for _, tc := range []struct {
		what, method, field string
		args                []any
	}{
		{"consume of 1.5", "consume", "amount", []any{"api-calls", 1.5}},
		{"consume of \"5\"", "consume", "amount", []any{"api-calls", "5"}},
		{"consume of 0", "consume", "amount", []any{"api-calls", 0}},
		{"refund without an amount", "refund", "amount", []any{"api-calls"}},
		{"has without a key", "has", "key", nil},
		{"balance of an empty key", "balance", "key", []any{""}},
	} {
		_, rej = call(t, tc.method, tc.args...)
		wantRejection(t, tc.what, rej, 0, "", "invalid_request")
		if rej.Get("field").String() != tc.field {
			t.Errorf("%s: field %q, want %q", tc.what, rej.Get("field").String(), tc.field)
		}
	}
	wantUsage(t, "balance after the refusals", mustCall(t, "balance", "api-calls"), 100, 0)
}
