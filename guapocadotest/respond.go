package guapocadotest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// kv is one member of an ordered JSON object.
type kv struct {
	k string
	v any
}

// obj is a JSON object whose members keep their order, so that responses
// match the real server field for field (Go maps would sort the keys).
type obj []kv

// MarshalJSON writes the members in order.
func (o obj) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := encodeJSON(m.k)
		if err != nil {
			return nil, err
		}
		v, err := encodeJSON(m.v)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// encodeJSON encodes v as compact JSON without HTML escaping, like JSON.stringify.
func encodeJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// isoTime formats t the way JavaScript's Date.prototype.toISOString does.
func isoTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// isoOrNull is isoTime for a time that may be absent (JSON null).
func isoOrNull(t *time.Time) any {
	if t == nil {
		return nil
	}
	return isoTime(*t)
}

// response is a fully computed HTTP answer. Handlers build one instead of
// writing directly, so that a fault can drop it after the state changed.
type response struct {
	status int
	header http.Header
	body   []byte
}

// jsonResponse answers v as application/json.
func jsonResponse(status int, v any) response {
	b, err := encodeJSON(v)
	if err != nil {
		return response{status: http.StatusInternalServerError}
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return response{status: status, header: h, body: b}
}

// errorResponse answers {"message":…} or, when code is not empty,
// {"message":…,"code":…}: Better Auth errors carry a code, plugin and
// platform errors do not.
func errorResponse(status int, message, code string) response {
	o := obj{{"message", message}}
	if code != "" {
		o = append(o, kv{"code", code})
	}
	return jsonResponse(status, o)
}

// notFound is Better Auth's answer to an unknown path or a wrong method:
// 404 with an empty body.
func notFound() response { return response{status: http.StatusNotFound} }

func unauthorized() response {
	return errorResponse(http.StatusUnauthorized, "Unauthorized", "UNAUTHORIZED")
}

// signInFirst is the plugin's answer when the session maps to no customer.
func signInFirst() response {
	return errorResponse(http.StatusUnauthorized, "Sign in first", "")
}

// write sends the answer. Its headers are added to those already set
// (WithCORS's); Access-Control-Expose-Headers is merged into one list that
// names each header once.
func (r response) write(w http.ResponseWriter) {
	for k, vs := range r.header {
		if k == "Access-Control-Expose-Headers" {
			vs = mergeList(append(w.Header().Values(k), vs...))
			w.Header().Del(k)
		}
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(r.status)
	if len(r.body) > 0 {
		_, _ = w.Write(r.body)
	}
}

// mergeList joins comma-separated header values into one, each name once
// (compared without case), in first-seen order.
func mergeList(values []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name != "" && !seen[strings.ToLower(name)] {
				seen[strings.ToLower(name)] = true
				out = append(out, name)
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return []string{strings.Join(out, ", ")}
}
