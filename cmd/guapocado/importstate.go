package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
)

// journalRecord is one line of the state file. A line is journaled as
// "sent" before its request and as applied, replayed or refused once the
// platform answered; a line whose outcome is unknown has a "sent" record
// and nothing after it, and is sent again with the same key.
type journalRecord struct {
	Key     string `json:"key"`           // the line's first key (its identity: batch and id)
	Gen     int    `json:"gen,omitempty"` // the try (see lineKey)
	Outcome string `json:"outcome"`       // sent | applied | replayed | refused
	Reason  string `json:"reason,omitempty"`
	Sum     string `json:"sum,omitempty"` // the line's fingerprint (lineSum)
	At      string `json:"at"`

	LegacyID string `json:"id,omitempty"` // records of earlier versions: {"id", "outcome"}
}

// Outcomes of a line.
const (
	outSent     = "sent"
	outApplied  = "applied"
	outReplayed = "replayed"
	outRefused  = "refused"
	outUnknown  = "unknown"
)

// lineState is what the state file says of one line.
type lineState struct {
	settled  string // the last applied, replayed or refused; "" for none
	reason   string // why it was refused
	refusals int    // how often it was refused: the next try's gen
	sentGen  int    // the highest try journaled as sent; -1 for none
	sum      string // the fingerprint of the line that was applied or replayed
}

// lineSum fingerprints a line's content, so that a state file can tell a
// line it settled from another line with the same id (next month's file
// written over this month's, under the same name).
func lineSum(raw []byte) string {
	h := sha256.Sum256(bytes.TrimSpace(raw))
	return hex.EncodeToString(h[:8])
}

// errLegacyState: a state file of an earlier version, whose keys were
// "import-"+id. Reading it with today's keys would send its settled lines
// again under new keys.
var errLegacyState = errors.New("it was written by an earlier version of guapocado, whose idempotency keys were import-<id>: finish that import with that version, or move the state file away to start a new batch")

// readJournal returns what the state file says of each line (nothing when
// it does not exist). A record cut short by a kill, or damaged, is
// ignored: at worst its line is sent again, with the same key.
func readJournal(path string) (map[string]*lineState, error) {
	lines := map[string]*lineState{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return lines, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r journalRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil {
			continue
		}
		if r.Key == "" {
			if r.LegacyID != "" {
				return nil, errLegacyState
			}
			continue
		}
		st := lines[r.Key]
		if st == nil {
			st = &lineState{sentGen: -1}
			lines[r.Key] = st
		}
		switch r.Outcome {
		case outSent:
			st.sentGen = max(st.sentGen, r.Gen)
		case outApplied, outReplayed:
			st.settled, st.reason, st.sum = r.Outcome, "", r.Sum
		case outRefused:
			st.settled, st.reason = outRefused, r.Reason
			st.refusals = max(st.refusals, r.Gen+1)
		}
	}
	return lines, sc.Err()
}

// journal appends records to the state file, one write per record.
type journal struct {
	mu sync.Mutex
	f  *os.File
}

func (j *journal) record(r journalRecord) error {
	b, _ := json.Marshal(r)
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err := j.f.Write(append(b, '\n'))
	return err
}

// openState checks the state file as the session file is checked (a file
// another user could have written could mark lines applied that never
// were), reads it, and opens it for appending (created 0600).
func openState(path string) (map[string]*lineState, *journal, error) {
	if err := checkPrivate(path, false); err != nil {
		var ie *insecureError
		if errors.As(err, &ie) {
			return nil, nil, failf(exitFailure, "insecure_state_file", "usage import: refusing the state file %s: it %s, so another user could have planted it (and marked lines applied that never were); make it yours and private (chown, chmod 600) or delete it", path, ie.why)
		}
		return nil, nil, failf(exitFailure, "state", "usage import: the state file: %v", err)
	}
	lines, err := readJournal(path)
	if err != nil {
		return nil, nil, failf(exitFailure, "state", "usage import: reading the state file %s: %v", path, err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, failf(exitFailure, "state", "usage import: %v", err)
	}
	return lines, &journal{f: f}, nil
}

// journalFailure is the error that stops a run whose state file cannot be
// written.
func journalFailure(err error) *cliError {
	return &cliError{code: exitFailure, kind: "state", msg: fmt.Sprintf("usage import: writing the state file: %v", err)}
}
