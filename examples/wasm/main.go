//go:build js && wasm

// Command wasm is the Go/WebAssembly module of the example page: it puts a
// guapocado object on the page's global scope whose methods call the SDK
// and return Promises, so that page JavaScript can write
//
//	const u = await guapocado.consume("api-calls", 5) // {customerId, balance, …}
//	if (await guapocado.has("csv-export")) { … }
//
// Build it with GOOS=js GOARCH=wasm go build -o main.wasm ./examples/wasm,
// or run go run ./examples/wasm/serve, which builds it and serves it with the
// page (index.html, app.js) and an embedded fake app.
//
// has and balance are answered by a read model (package readmodel, on its
// in-memory store): the first call of a key asks the app, later ones are
// served in the page while fresh (maxAge: 30 s), and consume and refund
// write the app's answer back. onChange(fn) registers a callback that gets
// {customerId, kind, name, deleted, value} whenever a cached answer changes,
// which the page uses to show live balances without reloading.
//
// The module reads globalThis.guapocadoConfig when it starts: baseURL (the
// Better Auth app; default: the page's origin) and credentials (the fetch
// credentials mode; "include" for an app on another origin whose CORS policy
// allows the page). The browser owns the session cookie; the client also
// keeps the bearer token from set-auth-token where the app exposes it.
package main

import (
	"context"
	"errors"
	"math"
	"sync"
	"syscall/js"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/readmodel"
)

func main() {
	if err := install(js.Global().Get("guapocadoConfig")); err != nil {
		js.Global().Set("guapocadoError", jsError(err))
		println("guapocado:", err.Error())
		return
	}
	select {} // serve calls from the page until it closes
}

// callTimeout bounds each call, retries included.
const callTimeout = 30 * time.Second

// install creates the client from config (a JS object, or undefined) and
// sets globalThis.guapocado.
func install(config js.Value) error {
	base, mode := js.Global().Get("location").Get("origin").String(), ""
	if config.Type() == js.TypeObject {
		if v := config.Get("baseURL"); v.Type() == js.TypeString && v.String() != "" {
			base = v.String()
		}
		if v := config.Get("credentials"); v.Type() == js.TypeString {
			mode = v.String()
		}
	}
	c, err := guapocado.NewClient(base, guapocado.WithFetchCredentials(mode))
	if err != nil {
		return err
	}
	api := js.Global().Get("Object").New()
	api.Set("baseURL", c.BaseURL())
	var listeners watchers
	rm, err := readmodel.New(&c.Billing, readmodel.WithMaxAge(30*time.Second), readmodel.WithOnChange(listeners.notify))
	if err != nil {
		return err
	}
	var who customerOf
	api.Set("onChange", js.FuncOf(func(_ js.Value, a []js.Value) any {
		if len(a) > 0 && a[0].Type() == js.TypeFunction {
			listeners.add(a[0])
		}
		return nil
	}))
	for name, fn := range map[string]func(context.Context, []js.Value) (any, error){
		"has": func(ctx context.Context, a []js.Value) (any, error) {
			key, err := str(a, 0, "key")
			if err != nil {
				return nil, err
			}
			id, err := who.get(ctx, rm)
			if err != nil {
				return nil, err
			}
			ok, _, err := rm.Has(ctx, id, key)
			return ok, err
		},
		"balance": func(ctx context.Context, a []js.Value) (any, error) {
			key, err := str(a, 0, "key")
			if err != nil {
				return nil, err
			}
			id, err := who.get(ctx, rm)
			if err != nil {
				return nil, err
			}
			u, _, err := rm.Balance(ctx, id, key)
			return usage(u, err)
		},
		"consume": func(ctx context.Context, a []js.Value) (any, error) {
			key, amount, err := keyAmount(a)
			if err != nil {
				return nil, err
			}
			id, err := who.get(ctx, rm)
			if err != nil {
				return nil, err
			}
			return usage(rm.Consume(ctx, id, key, amount))
		},
		"refund": func(ctx context.Context, a []js.Value) (any, error) {
			key, amount, err := keyAmount(a)
			if err != nil {
				return nil, err
			}
			id, err := who.get(ctx, rm)
			if err != nil {
				return nil, err
			}
			return usage(rm.Refund(ctx, id, key, amount))
		},
		"sync": func(ctx context.Context, _ []js.Value) (any, error) {
			cu, err := c.Customer.Sync(ctx)
			if err != nil {
				return nil, err
			}
			return object("id", cu.ID, "name", cu.Name, "email", cu.Email), nil
		},
		"signUp": func(ctx context.Context, a []js.Value) (any, error) {
			email, password, err := credentials(a)
			if err != nil {
				return nil, err
			}
			name, err := str(a, 2, "name")
			if err != nil {
				return nil, err
			}
			who.reset()
			return user(c.Auth.SignUpEmail(ctx, email, password, name))
		},
		"signIn": func(ctx context.Context, a []js.Value) (any, error) {
			email, password, err := credentials(a)
			if err != nil {
				return nil, err
			}
			who.reset()
			return user(c.Auth.SignInEmail(ctx, email, password))
		},
		"createOrganization": func(ctx context.Context, a []js.Value) (any, error) {
			name, err := str(a, 0, "name")
			if err != nil {
				return nil, err
			}
			slug, err := str(a, 1, "slug")
			if err != nil {
				return nil, err
			}
			who.reset()
			o, err := c.Auth.CreateOrganization(ctx, name, slug)
			if err != nil {
				return nil, err
			}
			return object("id", o.ID, "name", o.Name, "slug", o.Slug), nil
		},
		"session": func(ctx context.Context, _ []js.Value) (any, error) {
			s, err := c.Auth.Session(ctx)
			if err != nil || s == nil {
				return nil, err
			}
			return object(
				"user", object("id", s.User.ID, "name", s.User.Name, "email", s.User.Email),
				"activeOrganizationId", s.Session.ActiveOrganizationID,
			), nil
		},
	} {
		api.Set(name, promiseFunc(fn))
	}
	js.Global().Set("guapocado", api)
	return nil
}

// customerOf is the session's billing customer, learned from the app's
// first answer (a snapshot) and forgotten when the session may change.
type customerOf struct {
	mu sync.Mutex
	id string
}

func (w *customerOf) get(ctx context.Context, rm *readmodel.ReadModel) (string, error) {
	w.mu.Lock()
	id := w.id
	w.mu.Unlock()
	if id != "" {
		return id, nil
	}
	snap, _, err := rm.Load(ctx, "", &guapocado.SnapshotParams{IncludePlans: guapocado.Ptr(false)})
	if err != nil {
		return "", err
	}
	w.mu.Lock()
	w.id = snap.CustomerID
	w.mu.Unlock()
	return snap.CustomerID, nil
}

func (w *customerOf) reset() {
	w.mu.Lock()
	w.id = ""
	w.mu.Unlock()
}

// watchers are the page's onChange callbacks.
type watchers struct {
	mu  sync.Mutex
	fns []js.Value
}

func (w *watchers) add(fn js.Value) {
	w.mu.Lock()
	w.fns = append(w.fns, fn)
	w.mu.Unlock()
}

// notify passes a change of the read model to every callback.
func (w *watchers) notify(ch readmodel.Change) {
	w.mu.Lock()
	fns := append([]js.Value(nil), w.fns...)
	w.mu.Unlock()
	if len(fns) == 0 {
		return
	}
	var value any
	switch v := ch.Value.(type) {
	case bool:
		value = v
	case *guapocado.Usage:
		value, _ = usage(v, nil)
	case *guapocado.Limit:
		value = object("key", v.Key, "limit", v.Limit, "included", v.Included, "purchased", v.Purchased)
	}
	o := object("customerId", ch.CustomerID, "kind", string(ch.Kind), "name", ch.Name, "deleted", ch.Deleted, "value", value)
	for _, fn := range fns {
		fn.Invoke(o)
	}
}

// promiseFunc wraps fn as a JS function returning a Promise. fn runs on its
// own goroutine: an HTTP call blocks until fetch answers, which needs the
// JS event loop that a blocked callback would hold.
func promiseFunc(fn func(context.Context, []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) any {
		args = append([]js.Value(nil), args...)
		executor := js.FuncOf(func(_ js.Value, rr []js.Value) any {
			resolve, reject := rr[0], rr[1]
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
				defer cancel()
				v, err := fn(ctx, args)
				if err != nil {
					reject.Invoke(jsError(err))
					return
				}
				resolve.Invoke(v)
			}()
			return nil
		})
		defer executor.Release() // Promise calls the executor synchronously
		return js.Global().Get("Promise").New(executor)
	})
}

// usage converts a *guapocado.Usage to a plain object; resets is an ISO 8601
// string or null.
func usage(u *guapocado.Usage, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	var resets any
	if u.Resets != nil {
		resets = u.Resets.UTC().Format(time.RFC3339)
	}
	return object(
		"key", u.Key,
		"customerId", u.CustomerID,
		"balance", u.Balance,
		"included", u.Included,
		"consumed", u.Consumed,
		"overage", u.Overage,
		"overageAllowed", u.OverageAllowed,
		"overageEnabled", u.OverageEnabled,
		"resets", resets,
	), nil
}

func user(u *guapocado.User, err error) (any, error) {
	if err != nil || u == nil {
		return nil, err
	}
	return object("id", u.ID, "name", u.Name, "email", u.Email), nil
}

// argError is a wrong argument from JavaScript: it rejects like the SDK's
// own *ValidationError (status 0, kind "invalid_request", field).
func argError(field, reason string) error {
	return &guapocado.ValidationError{Field: field, Reason: reason}
}

func str(a []js.Value, i int, field string) (string, error) {
	if i >= len(a) || a[i].Type() != js.TypeString {
		return "", argError(field, "must be a string")
	}
	return a[i].String(), nil
}

// credentials reads (email, password).
func credentials(a []js.Value) (string, string, error) {
	email, err := str(a, 0, "email")
	if err != nil {
		return "", "", err
	}
	password, err := str(a, 1, "password")
	return email, password, err
}

// keyAmount reads (key string, amount integer number).
func keyAmount(a []js.Value) (string, int64, error) {
	key, err := str(a, 0, "key")
	if err != nil {
		return "", 0, err
	}
	if len(a) < 2 || a[1].Type() != js.TypeNumber {
		return "", 0, argError("amount", "must be a number")
	}
	f := a[1].Float()
	if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return "", 0, argError("amount", "must be a safe integer")
	}
	return key, int64(f), nil
}

// kinds names the SDK's error classes for JavaScript, in the order they
// are tested.
var kinds = []struct {
	err  error
	name string
}{
	{guapocado.ErrOutcomeUnknown, "outcome_unknown"},
	{guapocado.ErrInsufficientBalance, "insufficient_balance"},
	{guapocado.ErrRateLimited, "rate_limited"},
	{guapocado.ErrNoCustomer, "no_customer"},
	{guapocado.ErrUnauthorized, "unauthorized"},
	{guapocado.ErrInvalidAPIKey, "invalid_api_key"},
	{guapocado.ErrOriginRejected, "origin_rejected"},
	{guapocado.ErrForbidden, "forbidden"},
	{guapocado.ErrNotFound, "not_found"},
	{guapocado.ErrInvalidRequest, "invalid_request"},
	{guapocado.ErrServer, "server"},
	{guapocado.ErrUnexpectedResponse, "unexpected_response"},
}

// jsError converts err to a JS Error named "GuapocadoError" with status (0
// when no answer), code (Better Auth's, or ""), kind (see kinds; "network"
// for a failure without an answer, "" otherwise), retryAfter (seconds) and,
// for an invalid argument, field.
func jsError(err error) js.Value {
	e := js.Global().Get("Error").New(err.Error())
	e.Set("name", "GuapocadoError")
	status, code, kind, retryAfter := 0, "", "", 0.0
	var ae *guapocado.Error
	if errors.As(err, &ae) {
		status, code, retryAfter = ae.StatusCode, ae.Code, ae.RetryAfter.Seconds()
		if status == 0 {
			kind = "network"
		}
	}
	for _, k := range kinds {
		if errors.Is(err, k.err) {
			kind = k.name
			break
		}
	}
	var ve *guapocado.ValidationError
	if errors.As(err, &ve) {
		e.Set("field", ve.Field)
	}
	e.Set("status", status)
	e.Set("code", code)
	e.Set("kind", kind)
	e.Set("retryAfter", retryAfter)
	return e
}

// object makes a JavaScript object with its properties in the order given,
// so the page shows a result's fields in a stable order (a Go map's order
// is random).
func object(kv ...any) js.Value {
	o := js.Global().Get("Object").New()
	for i := 0; i+1 < len(kv); i += 2 {
		o.Set(kv[i].(string), kv[i+1])
	}
	return o
}
