package readmodel

import (
	"context"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

var _ SecretStore = (*MemoryStore)(nil)

// memSecret is one stored secret. The value is a guapocado.Secret, not
// bytes, so that printing the store (fmt expands a pointer field for verbs
// such as %s or %t) shows an address where the value would be.
type memSecret struct {
	value   guapocado.Secret
	version int64
}

// GetSecret implements [SecretStore.GetSecret].
func (m *MemoryStore) GetSecret(ctx context.Context, name string) ([]byte, bool, error) {
	if err := checkGetSecret(ctx, name); err != nil {
		return nil, false, err
	}
	m.secretMu.Lock()
	defer m.secretMu.Unlock()
	s, ok := m.secrets[name]
	if !ok {
		return nil, false, nil
	}
	return []byte(s.value.Reveal()), true, nil
}

// PutSecret implements [SecretStore.PutSecret].
func (m *MemoryStore) PutSecret(ctx context.Context, name string, value []byte, version time.Time) (bool, error) {
	if err := checkPutSecret(ctx, name, value, version); err != nil {
		return false, err
	}
	v := unixNano(version)
	m.secretMu.Lock()
	defer m.secretMu.Unlock()
	if old, ok := m.secrets[name]; ok && old.version > v {
		return false, nil
	}
	if m.secrets == nil {
		m.secrets = map[string]memSecret{}
	}
	m.secrets[name] = memSecret{value: guapocado.NewSecret(string(value)), version: v}
	return true, nil
}
