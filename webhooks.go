package guapocado

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhook headers and defaults.
const (
	// WebhookSignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>"
	// with one or more v1 entries.
	WebhookSignatureHeader = "guapocado-signature"
	// WebhookEndpointIDHeader names the receiving endpoint (for example "we_000004").
	WebhookEndpointIDHeader = "guapocado-endpoint-id"
	// DefaultWebhookTolerance is how far a signature timestamp may be from now.
	DefaultWebhookTolerance = 300 * time.Second
	// DefaultWebhookMaxBodyBytes caps the body a WebhookHandler reads (1 MiB).
	DefaultWebhookMaxBodyBytes int64 = 1 << 20
	// DefaultWebhookDedupeCapacity is how many event ids the default
	// in-memory deduper of a WebhookHandler remembers.
	DefaultWebhookDedupeCapacity = 10000
)

// Event types Guapocado sends. Other types may appear; they are parsed and
// kept intact, never rejected.
const (
	EventCustomerUpdated     = "customer.updated"
	EventSubscriptionUpdated = "subscription.updated"
	EventPurchaseCompleted   = "purchase.completed"
	EventPurchaseUpdated     = "purchase.updated"
	EventEntitlementsUpdated = "entitlements.updated"
	EventInvoiceUpdated      = "invoice.updated"
	EventUsageUpdated        = "usage.updated"
)

// Webhook receiver registration states reported by WebhookStatus.Status.
const (
	WebhookStatusActive          = "active"
	WebhookStatusPendingApproval = "pending_approval"
)

// Sentinel errors of webhook verification and parsing; test them with
// errors.Is. Their messages never contain a secret or a signature.
var (
	// ErrWebhookNoSecret: no non-empty signing secret was configured. An
	// empty key never verifies anything.
	ErrWebhookNoSecret = errors.New("guapocado: webhook signing secret is empty")
	// ErrWebhookNoSignature: the signature header is empty or has no v1 entry.
	ErrWebhookNoSignature = errors.New("guapocado: webhook has no signature")
	// ErrWebhookMalformedHeader: the signature header cannot be parsed
	// (missing, duplicated or non-numeric t, a v1 that is not hex, more
	// than 8 v1 entries, garbage).
	ErrWebhookMalformedHeader = errors.New("guapocado: malformed webhook signature header")
	// ErrWebhookSignatureMismatch: no v1 entry matches any configured secret.
	ErrWebhookSignatureMismatch = errors.New("guapocado: webhook signature does not match")
	// ErrWebhookTimestamp: the signature is valid but its timestamp is
	// further from now than the tolerance (a replay or a skewed clock).
	ErrWebhookTimestamp = errors.New("guapocado: webhook timestamp outside tolerance")
	// ErrWebhookMalformedPayload: the body is not an event envelope, or an
	// event's data does not have the shape of its type.
	ErrWebhookMalformedPayload = errors.New("guapocado: malformed webhook payload")
	// ErrWebhookEventType: a typed accessor was called on an event of
	// another type. The error is an *EventTypeError.
	ErrWebhookEventType = errors.New("guapocado: webhook event has another type")
)

var (
	whErrDupT      = fmt.Errorf("%w: more than one t", ErrWebhookMalformedHeader)
	whErrNoT       = fmt.Errorf("%w: no t", ErrWebhookMalformedHeader)
	whErrBadT      = fmt.Errorf("%w: t is not a unix time in seconds", ErrWebhookMalformedHeader)
	whErrBadV1     = fmt.Errorf("%w: v1 is not an even-length hex string", ErrWebhookMalformedHeader)
	whErrBadItem   = fmt.Errorf("%w: entry is not key=value", ErrWebhookMalformedHeader)
	whErrManyV1    = fmt.Errorf("%w: more than %d v1 entries", ErrWebhookMalformedHeader, whMaxSignatures)
	whErrNoTypeEvt = fmt.Errorf("%w: no type", ErrWebhookMalformedPayload)
)

// ---------------------------------------------------------------------------
// Verification

// WebhookVerifier checks guapocado-signature headers. The zero value has no
// secret and rejects everything with ErrWebhookNoSecret. A WebhookVerifier
// is safe for concurrent use as long as its fields are not modified.
type WebhookVerifier struct {
	// Secrets are the signing secrets accepted; a signature made with any
	// of them verifies (rotate by listing the new and the old secret).
	// Empty entries are ignored.
	Secrets []string
	// Tolerance is how far the signed timestamp may be from Now, in either
	// direction: 0 means DefaultWebhookTolerance, a negative value disables
	// the check (only for re-verifying stored payloads: it allows replays).
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// WebhookHandlerOption configures a WebhookHandler.
type WebhookHandlerOption interface {
	applyWebhookHandler(*WebhookHandler)
}

// WebhookOption configures verification. It is accepted by VerifyWebhook,
// ConstructEvent and NewWebhookHandler.
type WebhookOption interface {
	WebhookHandlerOption
	applyWebhookVerifier(*WebhookVerifier)
}

type whVerifierOption func(*WebhookVerifier)

func (o whVerifierOption) applyWebhookVerifier(v *WebhookVerifier) { o(v) }
func (o whVerifierOption) applyWebhookHandler(h *WebhookHandler)   { o(&h.verifier) }

type whHandlerOption func(*WebhookHandler)

func (o whHandlerOption) applyWebhookHandler(h *WebhookHandler) { o(h) }

// WebhookWithTolerance sets how far the signed timestamp may be from now
// (default DefaultWebhookTolerance). A negative value disables the check.
func WebhookWithTolerance(d time.Duration) WebhookOption {
	return whVerifierOption(func(v *WebhookVerifier) { v.Tolerance = d })
}

// WebhookWithClock sets the clock used for the tolerance check (default
// time.Now).
func WebhookWithClock(now func() time.Time) WebhookOption {
	return whVerifierOption(func(v *WebhookVerifier) { v.Now = now })
}

// WebhookWithSecrets adds secrets accepted besides the main one, for
// rotating the signing secret without dropping deliveries.
func WebhookWithSecrets(secrets ...string) WebhookOption {
	return whVerifierOption(func(v *WebhookVerifier) {
		v.Secrets = append(v.Secrets, secrets...)
	})
}

// VerifyWebhook checks that header (the guapocado-signature value) signs
// payload (the raw request body, unmodified) with secret: one v1 entry must
// equal hex(HMAC-SHA256(secret, "<t>.<payload>")), compared in constant
// time, and t must be within the tolerance of now. It returns nil or an
// error matching ErrWebhookNoSecret, ErrWebhookNoSignature,
// ErrWebhookMalformedHeader, ErrWebhookSignatureMismatch or
// ErrWebhookTimestamp.
func VerifyWebhook(payload []byte, header, secret string, opts ...WebhookOption) error {
	if len(opts) == 0 {
		return whVerify(secret, nil, 0, nil, payload, header)
	}
	v := WebhookVerifier{Secrets: []string{secret}}
	for _, o := range opts {
		if o != nil {
			o.applyWebhookVerifier(&v)
		}
	}
	return v.Verify(payload, header)
}

// ConstructEvent verifies payload as VerifyWebhook does, then parses it as
// ParseEvent does. It returns a nil Event with any error.
func ConstructEvent(payload []byte, header, secret string, opts ...WebhookOption) (*Event, error) {
	if err := VerifyWebhook(payload, header, secret, opts...); err != nil {
		return nil, err
	}
	return ParseEvent(payload)
}

// Verify checks header against payload; see VerifyWebhook.
func (v WebhookVerifier) Verify(payload []byte, header string) error {
	return whVerify("", v.Secrets, v.Tolerance, v.Now, payload, header)
}

// ConstructEvent verifies and parses payload; see ConstructEvent.
func (v WebhookVerifier) ConstructEvent(payload []byte, header string) (*Event, error) {
	if err := v.Verify(payload, header); err != nil {
		return nil, err
	}
	return ParseEvent(payload)
}

const (
	// whMaxTLen bounds the t value: int64 seconds have at most 19 digits.
	whMaxTLen = 19
	// whMaxSignatures bounds the v1 entries of one header (Guapocado sends
	// one, two while rotating), which bounds the work an attacker can ask.
	whMaxSignatures = 8
)

// whHexVal maps a byte to its hex value, 0xff when it is not a hex digit.
var whHexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// whNextItem splits the next comma-separated, space-trimmed entry off s.
func whNextItem(s string) (item, rest string) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		item, rest = s[:i], s[i+1:]
	} else {
		item = s
	}
	return strings.TrimSpace(item), rest
}

// whMacSet is the scratch space of one verification: the parsed header and
// cached keyed HMAC states, so verification does not allocate (hmac's Reset
// restores the keyed state without rehashing the key). A set is used by one
// goroutine at a time and lives in whMacPool between uses. It keeps a few
// secrets, enough for rotation and a few endpoints per process; beyond that
// it falls back to hmac.New per call, never to a wrong answer.
type whMacSet struct {
	keys   [4]string
	macs   [4]hash.Hash
	next   int
	prefix [whMaxTLen + 1]byte
	sum    [sha256.Size]byte

	// The parsed header.
	ts    int64
	tsRaw string
	nsig  int                                // v1 entries of signature length
	sigs  [whMaxSignatures][sha256.Size]byte // their decoded values
}

var whMacPool = sync.Pool{New: func() any { return new(whMacSet) }}

// parse reads and validates the whole header in one pass, decoding the v1
// entries that have the length of a signature. Valid hex of another length
// (like transcript 3.30's "00ff") is a well-formed signature that matches
// nothing.
func (s *whMacSet) parse(header string) error {
	s.nsig, s.tsRaw = 0, ""
	if strings.TrimSpace(header) == "" {
		return ErrWebhookNoSignature
	}
	haveT, nv1 := false, 0
	for rest := header; rest != ""; {
		var item string
		item, rest = whNextItem(rest)
		if item == "" {
			continue // tolerate ",," and a trailing comma
		}
		eq := strings.IndexByte(item, '=')
		if eq <= 0 {
			return whErrBadItem
		}
		key, val := item[:eq], item[eq+1:]
		switch key {
		case "t":
			if haveT {
				return whErrDupT
			}
			haveT = true
			if val == "" || len(val) > whMaxTLen || val[0] < '0' || val[0] > '9' {
				return whErrBadT
			}
			ts, err := strconv.ParseUint(val, 10, 63)
			if err != nil {
				return whErrBadT
			}
			s.ts, s.tsRaw = int64(ts), val
		case "v1":
			if nv1++; nv1 > whMaxSignatures {
				return whErrManyV1
			}
			if val == "" || len(val)%2 != 0 {
				return whErrBadV1
			}
			if len(val) != 2*sha256.Size {
				for i := 0; i < len(val); i++ {
					if whHexVal[val[i]] == 0xff {
						return whErrBadV1
					}
				}
				continue
			}
			sig := &s.sigs[s.nsig]
			for i := range sig {
				hi, lo := whHexVal[val[2*i]], whHexVal[val[2*i+1]]
				if hi == 0xff || lo == 0xff {
					return whErrBadV1
				}
				sig[i] = hi<<4 | lo
			}
			s.nsig++
		}
		// Other schemes (v0, a future v2) are ignored.
	}
	if !haveT {
		return whErrNoT
	}
	if nv1 == 0 {
		return ErrWebhookNoSignature
	}
	return nil
}

func (s *whMacSet) mac(secret string) hash.Hash {
	for i, k := range s.keys {
		if s.macs[i] != nil && k == secret {
			m := s.macs[i]
			m.Reset()
			return m
		}
	}
	i := s.next
	s.next = (s.next + 1) % len(s.keys)
	s.keys[i] = secret
	s.macs[i] = hmac.New(sha256.New, []byte(secret))
	return s.macs[i]
}

// match reports whether a parsed v1 entry is the signature of payload
// under secret.
func (s *whMacSet) match(secret string, payload []byte) bool {
	if s.nsig == 0 {
		return false
	}
	m := s.mac(secret)
	n := copy(s.prefix[:], s.tsRaw)
	s.prefix[n] = '.'
	m.Write(s.prefix[:n+1])
	m.Write(payload)
	sum := m.Sum(s.sum[:0])
	ok := false
	for i := 0; i < s.nsig; i++ {
		if hmac.Equal(sum, s.sigs[i][:]) {
			ok = true
		}
	}
	return ok
}

func whVerify(first string, more []string, tol time.Duration, now func() time.Time, payload []byte, header string) error {
	if first == "" {
		i := 0
		for i < len(more) && more[i] == "" {
			i++
		}
		if i == len(more) {
			return ErrWebhookNoSecret
		}
	}
	set := whMacPool.Get().(*whMacSet)
	if err := set.parse(header); err != nil {
		whMacPool.Put(set)
		return err
	}
	ok := first != "" && set.match(first, payload)
	for i := 0; !ok && i < len(more); i++ {
		ok = more[i] != "" && set.match(more[i], payload)
	}
	ts := set.ts
	whMacPool.Put(set)
	if !ok {
		return ErrWebhookSignatureMismatch
	}
	if tol < 0 {
		return nil
	}
	if tol == 0 {
		tol = DefaultWebhookTolerance
	}
	var t time.Time
	if now != nil {
		t = now()
	} else {
		t = time.Now()
	}
	d := t.Sub(time.Unix(ts, 0))
	switch {
	case d > tol:
		return fmt.Errorf("%w: signed %v ago, tolerance %v", ErrWebhookTimestamp, d.Truncate(time.Second), tol)
	case d < -tol:
		return fmt.Errorf("%w: signed %v in the future, tolerance %v", ErrWebhookTimestamp, (-d).Truncate(time.Second), tol)
	}
	return nil
}
