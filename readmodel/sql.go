package readmodel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Dialect names the SQL database behind an [SQLStore].
type Dialect int

const (
	// Postgres is PostgreSQL (9.5 or later), for example through
	// github.com/jackc/pgx/v5/stdlib.
	Postgres Dialect = iota + 1
	// SQLite is SQLite 3.24 or later, for example through modernc.org/sqlite.
	SQLite
)

// String returns "postgres" or "sqlite".
func (d Dialect) String() string {
	switch d {
	case Postgres:
		return "postgres"
	case SQLite:
		return "sqlite"
	}
	return "Dialect(" + strconv.Itoa(int(d)) + ")"
}

// SQLStore is a [Store] in a SQL database reached through database/sql, so
// that every instance of a service shares one read model and one set of
// claims. It imports no driver: open the *sql.DB with the driver of your
// choice and name its [Dialect].
//
// It keeps three tables, <prefix>records, <prefix>claims and
// <prefix>secrets (see [WithTablePrefix] and [SecretStore]);
// [SQLStore.Migrate] creates them. Times are stored as
// int64 Unix nanoseconds and values as bytes (BYTEA or BLOB), so both
// dialects behave the same. Each Put, Delete and Claim is one
// INSERT ... ON CONFLICT DO UPDATE ... WHERE statement, atomic in the
// database, whose affected-row count tells whether it won.
//
// With SQLite, open the database with a busy timeout (modernc.org/sqlite:
// "file:app.db?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)"), or
// concurrent writers fail with SQLITE_BUSY; and do not use ":memory:" with a
// pool of more than one connection, since each connection gets its own
// database.
//
// The SQLStore does not own the *sql.DB: closing it is the caller's job.
type SQLStore struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
	prefix  string

	qGet, qPut, qListAll, qListFrom, qListRange string
	qClaim, qPurgeClaims, qPurgeTombstones      string
	qRelease, qComplete, qCompleted             string
	qFeedStart, qChanges                        string
	migrate                                     []string
	columns                                     []column
	indexes                                     []string

	claims atomic.Uint64
}

var _ Store = (*SQLStore)(nil)

// claimSweepEvery is how many Claims an SQLStore makes between two deletes
// of expired claims.
const claimSweepEvery = 1024

// NewSQLStore returns an SQLStore on db. Options: [WithTablePrefix] and
// [WithClock]. It fails on a nil db, an unknown dialect or a table prefix
// that is not a plain identifier; it does not touch the database (call
// [SQLStore.Migrate] for that).
func NewSQLStore(db *sql.DB, dialect Dialect, opts ...SQLOption) (*SQLStore, error) {
	if db == nil {
		return nil, invalid("nil *sql.DB")
	}
	if dialect != Postgres && dialect != SQLite {
		return nil, invalid("unknown dialect %s", dialect)
	}
	c := newSQLConfig(opts)
	if !identifier(c.tablePrefix) {
		return nil, invalid("table prefix %q is not an SQL identifier", c.tablePrefix)
	}
	s := &SQLStore{db: db, dialect: dialect, now: c.now, prefix: c.tablePrefix}
	s.build()
	return s, nil
}

func identifier(s string) bool {
	if s == "" || len(s) > 40 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// Tables returns the names of the records table and the claims table.
func (s *SQLStore) Tables() (records, claims string) {
	return s.prefix + "records", s.prefix + "claims"
}

// column is a column added to a table after its first release: Migrate
// adds it to tables made before.
type column struct{ table, name, def string }

func (s *SQLStore) build() {
	rec, clm := s.Tables()
	textKey, bytesType, intType, tail := "TEXT", "BLOB", "INTEGER", " WITHOUT ROWID"
	// version: a number that differs after every write of a key, for the
	// change feed. On PostgreSQL the writing transaction's id, so that
	// Changes can use the snapshot's oldest running transaction as its
	// cursor; on SQLite, whose writers take turns, one more than the
	// largest.
	version := "(SELECT coalesce(max(version), 0) + 1 FROM " + rec + ")"
	if s.dialect == Postgres {
		// COLLATE "C" makes key comparisons bytewise, as in SQLite, so the
		// range scan of List is both correct and served by the index.
		textKey, bytesType, intType, tail = `TEXT COLLATE "C"`, "BYTEA", "BIGINT", ""
		version = "txid_current()"
	}
	s.migrate = []string{
		"CREATE TABLE IF NOT EXISTS " + rec + " (" +
			"key " + textKey + " PRIMARY KEY, " +
			"value " + bytesType + " NOT NULL, " +
			"source_ts " + intType + " NOT NULL, " +
			"written_at " + intType + " NOT NULL, " +
			"deleted " + intType + " NOT NULL DEFAULT 0)" + tail,
		"CREATE TABLE IF NOT EXISTS " + clm + " (" +
			"id " + textKey + " PRIMARY KEY, " +
			"expires_at " + intType + " NOT NULL)" + tail,
		"CREATE INDEX IF NOT EXISTS " + clm + "_expires_at ON " + clm + " (expires_at)",
		s.secretsMigration(),
	}
	s.columns = []column{
		{rec, "source_rank", intType + " NOT NULL DEFAULT 0"},
		{rec, "version", intType + " NOT NULL DEFAULT 0"},
		{clm, "done", intType + " NOT NULL DEFAULT 0"},
	}
	s.indexes = []string{"CREATE INDEX IF NOT EXISTS " + rec + "_version ON " + rec + " (version)"}
	cols := "key, value, source_ts, written_at, source_rank, version"
	s.qGet = s.bind("SELECT " + cols + " FROM " + rec + " WHERE key = ? AND deleted = 0")
	s.qPut = s.bind("INSERT INTO " + rec + " (key, value, source_ts, written_at, deleted, source_rank, version) VALUES (?, ?, ?, ?, ?, ?, " + version + ") " +
		"ON CONFLICT (key) DO UPDATE SET value = excluded.value, source_ts = excluded.source_ts, " +
		"written_at = excluded.written_at, deleted = excluded.deleted, source_rank = excluded.source_rank, version = excluded.version " +
		"WHERE " + rec + ".source_ts < excluded.source_ts OR (" + rec + ".source_ts = excluded.source_ts AND " + rec + ".source_rank <= excluded.source_rank)")
	list := "SELECT " + cols + " FROM " + rec + " WHERE deleted = 0"
	s.qListAll = list + " ORDER BY key"
	s.qListFrom = s.bind(list + " AND key >= ? ORDER BY key")
	s.qListRange = s.bind(list + " AND key >= ? AND key < ? ORDER BY key")
	s.qClaim = s.bind("INSERT INTO " + clm + " (id, expires_at, done) VALUES (?, ?, 0) " +
		"ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, done = 0 " +
		"WHERE " + clm + ".expires_at <= ?")
	s.qComplete = s.bind("INSERT INTO " + clm + " (id, expires_at, done) VALUES (?, ?, 1) " +
		"ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at, done = 1")
	s.qCompleted = s.bind("SELECT done FROM " + clm + " WHERE id = ? AND expires_at > ?")
	s.qRelease = s.bind("DELETE FROM " + clm + " WHERE id = ? AND done = 0")
	s.qPurgeClaims = s.bind("DELETE FROM " + clm + " WHERE expires_at <= ?")
	if s.dialect == Postgres {
		s.qPurgeTombstones = s.bind("DELETE FROM " + rec + " WHERE deleted = 1 AND source_ts < ?")
		s.qFeedStart = "SELECT txid_snapshot_xmin(txid_current_snapshot())"
		// One statement, one snapshot: every transaction that commits after
		// it is at least the snapshot's oldest running one, the next cursor.
		s.qChanges = "SELECT s.x, r.key, r.version FROM (SELECT txid_snapshot_xmin(txid_current_snapshot()) AS x) s " +
			"LEFT JOIN " + rec + " r ON r.version >= $1"
	} else {
		// The record of the largest version stays, so versions never repeat.
		s.qPurgeTombstones = "DELETE FROM " + rec + " WHERE deleted = 1 AND source_ts < ? AND version < (SELECT max(version) FROM " + rec + ")"
		s.qFeedStart = "SELECT coalesce(max(version), 0) + 1 FROM " + rec
		s.qChanges = "SELECT key, version FROM " + rec + " WHERE version >= ? ORDER BY version"
	}
}

// bind turns the ? placeholders into $1, $2, ... for PostgreSQL. The
// queries it is given hold no other question mark.
func (s *SQLStore) bind(q string) string {
	if s.dialect != Postgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Migrate creates the tables (records, claims and secrets) and the index
// of claim expiries if they are missing. It is safe to run at every start and from several instances
// at once: on PostgreSQL it holds a transaction-scoped advisory lock while
// it runs.
func (s *SQLStore) Migrate(ctx context.Context) (err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("readmodel: migrate: %w", err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	if s.dialect == Postgres {
		h := fnv.New64a()
		h.Write([]byte("guapocado-readmodel:" + s.prefix))
		if _, err = tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(h.Sum64())); err != nil {
			return fmt.Errorf("readmodel: migrate: lock: %w", err)
		}
	}
	for _, q := range s.migrate {
		if _, err = tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("readmodel: migrate: %w", err)
		}
	}
	for _, c := range s.columns {
		if err = s.addColumn(ctx, tx, c); err != nil {
			return fmt.Errorf("readmodel: migrate: add %s.%s: %w", c.table, c.name, err)
		}
	}
	for _, q := range s.indexes {
		if _, err = tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("readmodel: migrate: %w", err)
		}
	}
	if err = tx.Commit(); err != nil {
		return fmt.Errorf("readmodel: migrate: %w", err)
	}
	return nil
}

// addColumn adds c to its table when the table lacks it.
func (s *SQLStore) addColumn(ctx context.Context, tx *sql.Tx, c column) error {
	if s.dialect == Postgres {
		_, err := tx.ExecContext(ctx, "ALTER TABLE "+c.table+" ADD COLUMN IF NOT EXISTS "+c.name+" "+c.def)
		return err
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info(?) WHERE name = ?", c.table, c.name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	_, err := tx.ExecContext(ctx, "ALTER TABLE "+c.table+" ADD COLUMN "+c.name+" "+c.def)
	return err
}

// Get implements [Store.Get].
func (s *SQLStore) Get(ctx context.Context, key string) (Record, bool, error) {
	if err := checkGet(ctx, key); err != nil {
		return Record{}, false, err
	}
	var r Record
	var src, wr int64
	err := s.db.QueryRowContext(ctx, s.qGet, key).Scan(&r.Key, &r.Value, &src, &wr, &r.Rank, &r.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("readmodel: get %q: %w", key, err)
	}
	r.SourceTime, r.WrittenAt = fromUnixNano(src), fromUnixNano(wr)
	if r.Value == nil {
		r.Value = []byte{}
	}
	return r, true, nil
}

// Put implements [Store.Put].
func (s *SQLStore) Put(ctx context.Context, rec Record) (bool, error) {
	if err := checkPut(ctx, rec); err != nil {
		return false, err
	}
	written := rec.WrittenAt
	if written.IsZero() {
		written = s.now()
	}
	return s.write(ctx, "put", rec.Key, rec.Value, unixNano(rec.SourceTime), rec.Rank, unixNano(written), 0)
}

// Delete implements [Store.Delete].
func (s *SQLStore) Delete(ctx context.Context, key string, sourceTime time.Time) (bool, error) {
	if err := checkDelete(ctx, key, sourceTime); err != nil {
		return false, err
	}
	return s.write(ctx, "delete", key, []byte{}, unixNano(sourceTime), deleteRank, unixNano(s.now()), 1)
}

func (s *SQLStore) write(ctx context.Context, op, key string, value []byte, src, rank, written, deleted int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.qPut, key, value, src, written, deleted, rank)
	if err != nil {
		return false, fmt.Errorf("readmodel: %s %q: %w", op, key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("readmodel: %s %q: rows affected: %w", op, key, err)
	}
	return n > 0, nil
}

// List implements [Store.List].
func (s *SQLStore) List(ctx context.Context, prefix string) ([]Record, error) {
	if err := checkList(ctx, prefix); err != nil {
		return nil, err
	}
	var rows *sql.Rows
	var err error
	switch end, bounded := prefixEnd(prefix); {
	case prefix == "":
		rows, err = s.db.QueryContext(ctx, s.qListAll)
	case bounded:
		rows, err = s.db.QueryContext(ctx, s.qListRange, prefix, end)
	default:
		rows, err = s.db.QueryContext(ctx, s.qListFrom, prefix)
	}
	if err != nil {
		return nil, fmt.Errorf("readmodel: list %q: %w", prefix, err)
	}
	defer rows.Close()
	out := []Record{}
	for rows.Next() {
		var r Record
		var src, wr int64
		if err := rows.Scan(&r.Key, &r.Value, &src, &wr, &r.Rank, &r.Version); err != nil {
			return nil, fmt.Errorf("readmodel: list %q: %w", prefix, err)
		}
		if !strings.HasPrefix(r.Key, prefix) {
			// Past the prefix: only reachable without an upper bound.
			break
		}
		r.SourceTime, r.WrittenAt = fromUnixNano(src), fromUnixNano(wr)
		if r.Value == nil {
			r.Value = []byte{}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("readmodel: list %q: %w", prefix, err)
	}
	return out, nil
}

// prefixEnd returns the least string greater than every string that starts
// with prefix, for a range scan in byte order (which for UTF-8 is code point
// order): the prefix with its last rune that is not utf8.MaxRune raised by
// one and what follows it dropped. bounded is false when there is no such
// rune, and the scan then runs to the end of the table.
func prefixEnd(prefix string) (end string, bounded bool) {
	runes := []rune(prefix)
	for i := len(runes) - 1; i >= 0; i-- {
		r := runes[i]
		if r == utf8.MaxRune {
			continue
		}
		r++
		if 0xD800 <= r && r <= 0xDFFF { // surrogates are not valid in UTF-8
			r = 0xE000
		}
		return string(runes[:i]) + string(r), true
	}
	return "", false
}

// Claim implements [Store.Claim]. The clock of the calling instance decides
// expiry, so instances sharing the database should keep their clocks in
// step to well within the ttl they use. Every 1024 claims the store also
// deletes the expired ones, so the claims table stays bounded; a failure of
// that sweep does not fail the Claim, and the next sweep retries.
func (s *SQLStore) Claim(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if err := checkClaim(ctx, id, ttl); err != nil {
		return false, err
	}
	now := unixNano(s.now())
	res, err := s.db.ExecContext(ctx, s.qClaim, id, expiry(now, ttl), now)
	if err != nil {
		return false, fmt.Errorf("readmodel: claim %q: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("readmodel: claim %q: rows affected: %w", id, err)
	}
	if s.claims.Add(1)%claimSweepEvery == 0 {
		_, _ = s.PurgeExpiredClaims(ctx)
	}
	return n > 0, nil
}

// PurgeExpiredClaims deletes every claim whose ttl has passed and returns
// how many it deleted. Claim does this by itself every 1024 calls.
func (s *SQLStore) PurgeExpiredClaims(ctx context.Context) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.qPurgeClaims, unixNano(s.now()))
	if err != nil {
		return 0, fmt.Errorf("readmodel: purge claims: %w", err)
	}
	return res.RowsAffected()
}

// PurgeTombstones deletes the tombstones of deletes whose SourceTime is
// before cutoff and returns how many it deleted. After that a late Put older
// than such a delete is accepted again, so choose a cutoff older than any
// event that can still be delivered late.
func (s *SQLStore) PurgeTombstones(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.qPurgeTombstones, unixNano(cutoff))
	if err != nil {
		return 0, fmt.Errorf("readmodel: purge tombstones: %w", err)
	}
	return res.RowsAffected()
}

// Release implements [Store.Release]: it deletes the claim of id unless id
// was completed.
func (s *SQLStore) Release(ctx context.Context, id string) error {
	if err := checkGet(ctx, id); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.qRelease, id); err != nil {
		return fmt.Errorf("readmodel: release claim %q: %w", id, err)
	}
	return nil
}

// Complete implements [Store.Complete].
func (s *SQLStore) Complete(ctx context.Context, id string, ttl time.Duration) error {
	if err := checkClaim(ctx, id, ttl); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.qComplete, id, expiry(unixNano(s.now()), ttl)); err != nil {
		return fmt.Errorf("readmodel: complete claim %q: %w", id, err)
	}
	return nil
}

// Completed implements [Store.Completed].
func (s *SQLStore) Completed(ctx context.Context, id string) (bool, error) {
	if err := checkGet(ctx, id); err != nil {
		return false, err
	}
	var done int64
	err := s.db.QueryRowContext(ctx, s.qCompleted, id, unixNano(s.now())).Scan(&done)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("readmodel: completed claim %q: %w", id, err)
	}
	return done == 1, nil
}

// Changes implements [ChangeFeed]. On PostgreSQL a change is reported
// again by each call while a transaction older than it, anywhere in the
// database cluster, is still running.
func (s *SQLStore) Changes(ctx context.Context, cursor int64) ([]KeyVersion, int64, error) {
	if err := ctx.Err(); err != nil {
		return nil, cursor, err
	}
	if cursor <= 0 {
		var next int64
		if err := s.db.QueryRowContext(ctx, s.qFeedStart).Scan(&next); err != nil {
			return nil, cursor, fmt.Errorf("readmodel: start the change feed: %w", err)
		}
		return nil, next, nil
	}
	rows, err := s.db.QueryContext(ctx, s.qChanges, cursor)
	if err != nil {
		return nil, cursor, fmt.Errorf("readmodel: changes: %w", err)
	}
	defer rows.Close()
	var out []KeyVersion
	next := cursor
	for rows.Next() {
		var kv KeyVersion
		if s.dialect == Postgres {
			var key sql.NullString
			var version sql.NullInt64
			if err := rows.Scan(&next, &key, &version); err != nil {
				return nil, cursor, fmt.Errorf("readmodel: changes: %w", err)
			}
			if !key.Valid {
				continue
			}
			kv = KeyVersion{Key: key.String, Version: version.Int64}
		} else {
			if err := rows.Scan(&kv.Key, &kv.Version); err != nil {
				return nil, cursor, fmt.Errorf("readmodel: changes: %w", err)
			}
			next = max(next, kv.Version+1)
		}
		out = append(out, kv)
	}
	if err := rows.Err(); err != nil {
		return nil, cursor, fmt.Errorf("readmodel: changes: %w", err)
	}
	return out, next, nil
}

var _ ChangeFeed = (*SQLStore)(nil)
