package readmodel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

var _ SecretStore = (*SQLStore)(nil)

// SecretsTable returns the name of the table of secrets
// ([SecretStore]; [SQLStore.Migrate] creates it).
func (s *SQLStore) SecretsTable() string { return s.prefix + "secrets" }

// secretsMigration creates the table of secrets.
func (s *SQLStore) secretsMigration() string {
	textKey, bytesType, intType, tail := "TEXT", "BLOB", "INTEGER", " WITHOUT ROWID"
	if s.dialect == Postgres {
		textKey, bytesType, intType, tail = `TEXT COLLATE "C"`, "BYTEA", "BIGINT", ""
	}
	return "CREATE TABLE IF NOT EXISTS " + s.SecretsTable() + " (" +
		"name " + textKey + " PRIMARY KEY, " +
		"value " + bytesType + " NOT NULL, " +
		"version " + intType + " NOT NULL)" + tail
}

// GetSecret implements [SecretStore.GetSecret].
func (s *SQLStore) GetSecret(ctx context.Context, name string) ([]byte, bool, error) {
	if err := checkGetSecret(ctx, name); err != nil {
		return nil, false, err
	}
	var v []byte
	err := s.db.QueryRowContext(ctx, s.bind("SELECT value FROM "+s.SecretsTable()+" WHERE name = ?"), name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("readmodel: get secret %q: %w", name, err)
	}
	if v == nil {
		v = []byte{}
	}
	return v, true, nil
}

// PutSecret implements [SecretStore.PutSecret] with one
// INSERT ... ON CONFLICT DO UPDATE ... WHERE statement.
func (s *SQLStore) PutSecret(ctx context.Context, name string, value []byte, version time.Time) (bool, error) {
	if err := checkPutSecret(ctx, name, value, version); err != nil {
		return false, err
	}
	if value == nil {
		value = []byte{}
	}
	t := s.SecretsTable()
	res, err := s.db.ExecContext(ctx, s.bind("INSERT INTO "+t+" (name, value, version) VALUES (?, ?, ?) "+
		"ON CONFLICT (name) DO UPDATE SET value = excluded.value, version = excluded.version "+
		"WHERE "+t+".version <= excluded.version"), name, value, unixNano(version))
	if err != nil {
		return false, fmt.Errorf("readmodel: put secret %q: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("readmodel: put secret %q: rows affected: %w", name, err)
	}
	return n > 0, nil
}
