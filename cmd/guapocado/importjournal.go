package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"strings"

	"github.com/guapocado/guapocado-go/journal"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	_ "modernc.org/sqlite" // database/sql driver "sqlite", pure Go
)

// Outcomes of a line.
const (
	outApplied  = "applied"
	outReplayed = "replayed"
	outRefused  = "refused"
	outUnknown  = "unknown"
)

// importLineTable is the command's own table in the journal file, beside
// the journal's: one row per try of a line (its key), written in the
// transaction that records the try's intent, and settled with the
// platform's answer. A row with no outcome is recorded and not yet
// answered: its intent is in the journal, and the next run delivers it.
const importLineTable = `CREATE TABLE IF NOT EXISTS guapocado_import_line (
	key TEXT PRIMARY KEY,
	line_key TEXT NOT NULL,
	gen INTEGER NOT NULL,
	sum TEXT NOT NULL,
	outcome TEXT,
	reason TEXT
)`

// lineState is what the journal file says of one line (all its tries).
type lineState struct {
	settled  string // the last applied, replayed or refused; "" for none
	reason   string // why it was refused
	refusals int    // how often it was refused: the next try's gen
	pending  string // the key of a try recorded and not answered; "" for none
	sum      string // the fingerprint of the line that was applied, replayed or is pending
}

// lineSum fingerprints a line's content, so that the journal can tell a
// line it settled from another line with the same id (next month's file
// written over this month's, under the same name).
func lineSum(raw []byte) string {
	h := sha256.Sum256([]byte(strings.TrimSpace(string(raw))))
	return hex.EncodeToString(h[:8])
}

// importJournal is the journal file of usage import: a SQLite database
// that holds the journal (River's tables and the journal's) and the
// command's lines.
type importJournal struct {
	path string
	db   *sql.DB
}

// openJournal checks the journal file as the session file is checked (a
// file another user could have written could mark lines applied that never
// were; SQLite's -wal and -shm files beside it too), creates it private
// (0600) when missing, and migrates it.
func openJournal(ctx context.Context, path string) (*importJournal, error) {
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := checkPrivate(p, false); err != nil {
			var ie *insecureError
			if errors.As(err, &ie) {
				return nil, failf(exitFailure, "insecure_journal", "usage import: refusing the journal file %s: %s %s, so another user could have planted it (and marked lines applied that never were); make it yours and private (chown, chmod 600) or delete it", path, p, ie.why)
			}
			return nil, failf(exitFailure, "journal", "usage import: the journal file: %v", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, failf(exitFailure, "journal", "usage import: %v", err)
	}
	f.Close()
	// WAL and synchronous=NORMAL: a process killed at any point loses
	// nothing committed (a power loss may lose the last commits, whose
	// lines are then recorded and sent again under the same keys).
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, failf(exitFailure, "journal", "usage import: the journal file %s: %v", path, err)
	}
	db.SetMaxOpenConns(1) // River's SQLite driver wants one connection
	ij := &importJournal{path: path, db: db}
	if err := journal.Migrate(ctx, riversqlite.New(db)); err != nil {
		db.Close()
		return nil, failf(exitFailure, "journal", "usage import: the journal file %s: %v", path, err)
	}
	if _, err := db.ExecContext(ctx, importLineTable); err != nil {
		db.Close()
		return nil, failf(exitFailure, "journal", "usage import: the journal file %s: %v", path, err)
	}
	return ij, nil
}

func (ij *importJournal) Close() error { return ij.db.Close() }

// lines reads what the journal file says of each line, by its first key
// (lineKey with gen 0).
func (ij *importJournal) lines(ctx context.Context) (map[string]*lineState, error) {
	rows, err := ij.db.QueryContext(ctx, `SELECT key, line_key, gen, sum, COALESCE(outcome, ''), COALESCE(reason, '') FROM guapocado_import_line ORDER BY line_key, gen`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	lines := map[string]*lineState{}
	for rows.Next() {
		var key, lineKey, sum, outcome, reason string
		var gen int
		if err := rows.Scan(&key, &lineKey, &gen, &sum, &outcome, &reason); err != nil {
			return nil, err
		}
		st := lines[lineKey]
		if st == nil {
			st = &lineState{}
			lines[lineKey] = st
		}
		switch outcome {
		case "":
			st.pending, st.sum = key, sum
		case outApplied, outReplayed:
			st.settled, st.reason, st.sum = outcome, "", sum
		case outRefused:
			st.settled, st.reason = outRefused, reason
			st.refusals = max(st.refusals, gen+1)
		}
	}
	return lines, rows.Err()
}

// record writes the new tries' rows and their intents in one transaction:
// a try exists with its intent, or neither does.
func (ij *importJournal) record(ctx context.Context, j *journal.Journal[*sql.Tx], tasks []*importTask) error {
	if len(tasks) == 0 {
		return nil
	}
	tx, err := ij.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO guapocado_import_line (key, line_key, gen, sum) VALUES (?1, ?2, ?3, ?4)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	usages := make([]journal.Usage, len(tasks))
	for i, t := range tasks {
		if _, err := stmt.ExecContext(ctx, t.key, t.key0, t.gen, t.sum); err != nil {
			return err
		}
		usages[i] = journal.Usage{CustomerID: t.line.CustomerID, Meter: t.line.Key, Amount: t.line.amount, Key: t.key}
	}
	if _, err := j.RecordManyTx(ctx, tx, usages); err != nil {
		return err
	}
	return tx.Commit()
}

// settle writes the platform's answer to a try. The first answer stays:
// a later replay of a key that was applied does not turn it into one.
func (ij *importJournal) settle(ctx context.Context, key string, r lineResult) error {
	_, err := ij.db.ExecContext(ctx, `UPDATE guapocado_import_line SET outcome = ?1, reason = ?2 WHERE key = ?3 AND outcome IS NULL`, r.outcome, r.reason, key)
	return err
}

// due counts the intents due or being delivered in the journal file. A
// delivery reports its line before River marks its job, so none due means
// every delivery of this process has reported.
func (ij *importJournal) due(ctx context.Context) (int, error) {
	var n int
	err := ij.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM river_job WHERE kind = ?1 AND state IN ('available', 'pending', 'running')`,
		journal.UsageArgs{}.Kind()).Scan(&n)
	return n, err
}

// legacyStateFile: the state file of an earlier version of the command
// (JSON lines beside the input), which this version does not read.
func legacyStateFile(input, journalPath string) error {
	old := input + ".state"
	if _, err := os.Stat(old); err != nil {
		return nil
	}
	if _, err := os.Stat(journalPath); err == nil {
		return nil
	}
	return failf(exitFailure, "legacy_state", "usage import: %s is the state file of an earlier version of guapocado, which this version does not read (it keeps a journal file, %s): finish that import with the earlier version, or move the state file away to import the file afresh (lines it applied would then count as another batch's)", old, journalPath)
}
