package journal

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// Usage is one metering intent: Amount units of the meter Meter consumed by
// the customer CustomerID. Key identifies the intent: it is the idempotency
// key the platform sees (or, for a post-paid meter, the member's identity in
// its batch), so recording the same Key twice charges once. Derive it from
// the work it stands for ("export-8812"); leave it empty and the journal
// mints a random one when it records the intent.
type Usage struct {
	CustomerID string `json:"customerId"`
	Meter      string `json:"meter"`
	Amount     int64  `json:"amount"`
	Key        string `json:"key"`
}

// maxAmount is the largest amount the platform takes (2^53, exact in JSON).
const maxAmount = 1 << 53

// maxKey leaves room under the platform's 255-byte key for the suffix of a
// compensating refund.
const maxKey = 200

// FieldError is a Usage or an option the journal refused before writing
// anything: Field names it, Reason says the rule.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return "journal: " + e.Field + ": " + e.Reason }

// check refuses a Usage the platform would refuse for its shape.
func (u Usage) check() error {
	switch {
	case strings.TrimSpace(u.CustomerID) == "":
		return &FieldError{"CustomerID", "empty"}
	case strings.TrimSpace(u.Meter) == "":
		return &FieldError{"Meter", "empty"}
	case u.Amount <= 0 || u.Amount > maxAmount:
		return &FieldError{"Amount", fmt.Sprintf("%d is not in 1..2^53", u.Amount)}
	}
	return checkKey(u.Key)
}

func checkKey(k string) error {
	if len(k) > maxKey {
		return &FieldError{"Key", fmt.Sprintf("%d bytes, at most %d", len(k), maxKey)}
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return &FieldError{"Key", "not printable ASCII without spaces"}
		}
	}
	return nil
}

// randomID is 16 random bytes in hex.
func randomID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// withKey returns u with a minted key when it has none.
func (u Usage) withKey() Usage {
	if u.Key == "" {
		u.Key = "gj_" + randomID()
	}
	return u
}
