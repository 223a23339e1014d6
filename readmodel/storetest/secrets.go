package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/readmodel"
)

// runSecrets runs the contract of [readmodel.SecretStore] on stores that
// implement it.
func runSecrets(t *testing.T, newStore func(t *testing.T) readmodel.Store) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, readmodel.SecretStore)
	}{
		{"SecretPutGet", testSecretPutGet},
		{"SecretVersions", testSecretVersions},
		{"SecretsAreNotRecords", testSecretsAreNotRecords},
		{"SecretInvalidArguments", testSecretInvalidArguments},
		{"SecretConcurrentPuts", testSecretConcurrentPuts},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ok := newStore(t).(readmodel.SecretStore)
			if !ok {
				t.Skip("the store does not implement readmodel.SecretStore")
			}
			tc.fn(t, s)
		})
	}
}

func putSecret(t *testing.T, s readmodel.SecretStore, name, value string, version time.Time) bool {
	t.Helper()
	won, err := s.PutSecret(context.Background(), name, []byte(value), version)
	if err != nil {
		t.Fatalf("PutSecret(%q): %v", name, err)
	}
	return won
}

func wantSecret(t *testing.T, s readmodel.SecretStore, name, value string) {
	t.Helper()
	got, found, err := s.GetSecret(context.Background(), name)
	if err != nil {
		t.Fatalf("GetSecret(%q): %v", name, err)
	}
	if value == "" {
		if found {
			t.Fatalf("GetSecret(%q) found a value, want none", name)
		}
		return
	}
	if !found || string(got) != value {
		t.Fatalf("GetSecret(%q) = %d bytes (found %v), want the %d bytes put", name, len(got), found, len(value))
	}
}

func testSecretPutGet(t *testing.T, s readmodel.SecretStore) {
	wantSecret(t, s, "webhook-registration:a", "")
	value := []byte(`{"signingSecret":"whsec_1"}`)
	if won, err := s.PutSecret(context.Background(), "webhook-registration:a", value, at(0)); err != nil || !won {
		t.Fatalf("PutSecret = %v, %v", won, err)
	}
	value[0] = 'X' // the store keeps its own copy
	wantSecret(t, s, "webhook-registration:a", `{"signingSecret":"whsec_1"}`)
	got, _, _ := s.GetSecret(context.Background(), "webhook-registration:a")
	got[0] = 'Y'
	wantSecret(t, s, "webhook-registration:a", `{"signingSecret":"whsec_1"}`)
	wantSecret(t, s, "webhook-registration:b", "")
	big := bytes.Repeat([]byte{0, 0xff, 'x'}, readmodel.MaxSecretLen/3) // any bytes, not only JSON
	if _, err := s.PutSecret(context.Background(), "big", big, at(0)); err != nil {
		t.Fatal(err)
	}
	wantSecret(t, s, "big", string(big))
}

func testSecretVersions(t *testing.T, s readmodel.SecretStore) {
	if !putSecret(t, s, "k", "v2", at(2)) {
		t.Fatal("first put lost")
	}
	if putSecret(t, s, "k", "v1", at(1)) {
		t.Fatal("an older version won")
	}
	wantSecret(t, s, "k", "v2")
	if !putSecret(t, s, "k", "v2b", at(2)) {
		t.Fatal("an equal version lost (the later arrival wins)")
	}
	wantSecret(t, s, "k", "v2b")
	if !putSecret(t, s, "k", "v3", at(3)) {
		t.Fatal("a newer version lost")
	}
	wantSecret(t, s, "k", "v3")
}

func testSecretsAreNotRecords(t *testing.T, s readmodel.SecretStore) {
	putSecret(t, s, "webhook-registration:x", "whsec_hidden", at(0))
	recs, err := s.List(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 0 {
		t.Fatalf("List(\"\") shows %d records after PutSecret, want 0", len(recs))
	}
	if _, found, err := s.Get(context.Background(), "webhook-registration:x"); err != nil || found {
		t.Fatalf("Get of a secret's name = found %v, %v; want nothing", found, err)
	}
}

func testSecretInvalidArguments(t *testing.T, s readmodel.SecretStore) {
	ctx := context.Background()
	for name, err := range map[string]error{
		"empty name": func() error { _, e := s.PutSecret(ctx, "", []byte("x"), at(0)); return e }(),
		"too long":   func() error { _, e := s.PutSecret(ctx, "n", make([]byte, readmodel.MaxSecretLen+1), at(0)); return e }(),
		"zero time":  func() error { _, e := s.PutSecret(ctx, "n", []byte("x"), time.Time{}); return e }(),
		"get empty":  func() error { _, _, e := s.GetSecret(ctx, ""); return e }(),
		"bad utf-8":  func() error { _, _, e := s.GetSecret(ctx, "\xff"); return e }(),
	} {
		if !errors.Is(err, readmodel.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.PutSecret(cctx, "n", []byte("x"), at(0)); !errors.Is(err, context.Canceled) {
		t.Errorf("PutSecret on a canceled context: %v", err)
	}
	if _, _, err := s.GetSecret(cctx, "n"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetSecret on a canceled context: %v", err)
	}
}

func testSecretConcurrentPuts(t *testing.T, s readmodel.SecretStore) {
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.PutSecret(context.Background(), "k", []byte(fmt.Sprint("v", i)), at(i)); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	wantSecret(t, s, "k", "v15")
}
