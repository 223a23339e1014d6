package guapocado

import (
	"crypto/subtle"
	"fmt"
	"io"
	"log/slog"
	"strconv"
)

// SecretRedacted is how a non-empty [Secret] is shown: by fmt with any
// verb, in JSON, XML and gob (as text), and in log/slog.
const SecretRedacted = "[redacted]"

// Secret holds a credential, such as a webhook endpoint's signing secret,
// so that nothing prints it by accident. Printed with fmt (any verb, %p
// and %w included, also inside structs, slices, maps and through
// reflection), encoded as JSON, XML or gob, or logged with log/slog, it
// shows [SecretRedacted], or nothing when it is empty. [Secret.Reveal]
// returns the value.
//
// The value sits behind a pointer to a string: where fmt prints a struct
// field by field without calling its methods (a bad verb such as %p of a
// struct, or an unexported field), it shows the pointer's address, never
// the string. A Secret cannot be compared with ==, which would compare
// addresses: use [Secret.Equal] and [Secret.IsZero]. The zero value is the
// empty secret. A Secret is immutable and safe for concurrent use.
type Secret struct {
	_ [0]func() // not comparable: == would compare the pointer, not the value
	p *string
}

// NewSecret returns a Secret holding s; NewSecret("") is the empty Secret.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{p: &s}
}

// Reveal returns the secret's value ("" for the empty Secret). Pass it
// only to what needs the credential itself.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.p == nil || *s.p == "" }

// Equal reports whether s and t hold the same value, in time that does
// not depend on where they differ.
func (s Secret) Equal(t Secret) bool {
	return subtle.ConstantTimeCompare([]byte(s.Reveal()), []byte(t.Reveal())) == 1
}

// shown is how the secret is shown: SecretRedacted, "" when empty.
func (s Secret) shown() string {
	if s.IsZero() {
		return ""
	}
	return SecretRedacted
}

// String returns SecretRedacted ("" for the empty Secret).
func (s Secret) String() string { return s.shown() }

// GoString is String: %#v does not show the value either.
func (s Secret) GoString() string { return s.shown() }

// Format prints String for every fmt verb (%q quotes it).
func (s Secret) Format(f fmt.State, verb rune) {
	out := s.shown()
	if verb == 'q' {
		out = strconv.Quote(out)
	}
	_, _ = io.WriteString(f, out)
}

// LogValue shows the secret in log/slog as String does.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.shown()) }

// MarshalText returns String: JSON, XML and gob show SecretRedacted, or
// "" for the empty Secret. Store a secret with Reveal, not by encoding it.
// A Secret does not decode: decoding text into one is an error, so an
// encoded Secret never comes back as a wrong credential.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.shown()), nil }
