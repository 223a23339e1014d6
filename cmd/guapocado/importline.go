package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strings"
)

// importLine is one line of a usage import file.
type importLine struct {
	CustomerID string          `json:"customerId"`
	Key        string          `json:"key"`
	Amount     json.RawMessage `json:"amount"`
	ID         json.RawMessage `json:"id"`

	n      int    // line number, from 1
	id     string // the id as text
	amount int64
}

// maxBatchLen bounds a batch name, so that a key has room for the id.
const maxBatchLen = 64

// validBatch: a batch name is 1 to 64 of A-Z a-z 0-9 . _ - (no ":", which
// separates it from the id in a key).
var validBatch = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// batchFromFile is the default batch of an input file: its name, with any
// character a batch name cannot hold replaced by "_".
func batchFromFile(path string) string {
	name := filepath.Base(path)
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > maxBatchLen {
		b = b[:maxBatchLen]
	}
	return string(b)
}

// lineKey is the idempotency key of the line with this id in batch, for
// the gen-th try (gen counts the times the line was refused and then sent
// again with --retry-refused): "import:BATCH:ID", then "import~1:BATCH:ID"…
// The prefix before the first ":" holds the try and the batch holds no
// ":", so two different (try, batch, id) never make the same key.
func lineKey(batch, id string, gen int) string {
	if gen == 0 {
		return "import:" + batch + ":" + id
	}
	return fmt.Sprintf("import~%d:%s:%s", gen, batch, id)
}

// maxKeyLen is the journal's bound on an idempotency key (the platform
// takes 255 bytes; the journal keeps room for a refund's suffix).
const maxKeyLen = 200

// integerLiteral is a JSON number written as a whole number: no fraction,
// no exponent (12 and 12.0 would otherwise be two ids for one number).
var integerLiteral = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// decodeObject decodes one JSON object that fills the whole line into v,
// refusing a key that appears twice (encoding/json keeps the last one:
// {"amount":1,"amount":1000} would charge 1000) and anything after the
// object (a second object would be neither applied nor refused).
func decodeObject(raw []byte, v any) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return "not a JSON object"
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return "not a JSON object"
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Sprintf("duplicate key %q", key)
		}
		seen[key] = true
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "not a JSON object"
		}
	}
	if _, err := dec.Token(); err != nil {
		return "not a JSON object"
	}
	if _, err := dec.Token(); err != io.EOF {
		return "data after the JSON object (one object per line)"
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return "not a JSON object of customerId, key, amount and id"
	}
	return ""
}

// parseImportLine decodes and checks line n of batch; a non-empty reason
// refuses it.
func parseImportLine(raw []byte, n int, batch string) (*importLine, string) {
	l := &importLine{n: n}
	if reason := decodeObject(raw, l); reason != "" {
		return l, reason
	}
	switch {
	case len(l.ID) == 0 || string(l.ID) == "null":
		return l, "no id"
	case l.ID[0] == '"':
		_ = json.Unmarshal(l.ID, &l.id)
	case integerLiteral.Match(l.ID):
		l.id = string(l.ID)
	default:
		return l, "id must be a string or a whole number written without a fraction or exponent"
	}
	switch {
	case strings.TrimSpace(l.id) == "":
		return l, "empty id"
	case len(lineKey(batch, l.id, 99)) > maxKeyLen:
		return l, fmt.Sprintf("id longer than %d bytes (with batch %q)", maxKeyLen-len(lineKey(batch, "", 99)), batch)
	}
	for i := 0; i < len(l.id); i++ {
		if l.id[i] <= ' ' || l.id[i] > '~' {
			return l, "id must be printable ASCII without spaces (it is part of an idempotency key)"
		}
	}
	if strings.TrimSpace(l.CustomerID) == "" {
		return l, "no customerId"
	}
	if strings.TrimSpace(l.Key) == "" {
		return l, "no key"
	}
	var f float64
	if len(l.Amount) == 0 || json.Unmarshal(l.Amount, &f) != nil || f <= 0 || f != math.Trunc(f) || f > 1<<53 {
		return l, "amount must be a whole number greater than 0"
	}
	l.amount = int64(f)
	return l, ""
}
