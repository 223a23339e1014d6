package journal

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// testRecordManyTx: intents recorded together commit or roll back with
// the caller's transaction and are each applied once; a bad one refuses
// the lot before anything is written.
func testRecordManyTx[TTx any](t *testing.T, d *testDB[TTx]) {
	srv := fake(t)
	j := newJournal(t, d, srv, WithPostpaid("rows"), WithBatch(20, 20*time.Millisecond))
	ctx := t.Context()
	for round, commit := range []bool{true, false, true} {
		tx, err := d.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var us []Usage
		for i := range 50 {
			u := Usage{CustomerID: fmt.Sprintf("org_%d", i%3), Meter: []string{"tokens", "rows"}[i%2], Amount: int64(1 + i%4), Key: fmt.Sprintf("many-%d-%d", round, i)}
			if err := d.exec(ctx, tx, j.sql.q(`INSERT INTO app_work (key, customer_id, meter, amount) VALUES ($1, $2, $3, $4)`), u.Key, u.CustomerID, u.Meter, u.Amount); err != nil {
				t.Fatal(err)
			}
			us = append(us, u)
		}
		bad := append(append([]Usage(nil), us...), Usage{CustomerID: "c", Meter: "tokens"})
		var fe *FieldError
		if _, err := j.RecordManyTx(ctx, tx, bad); !errors.As(err, &fe) || fe.Field != "Amount" {
			t.Fatalf("bad lot: %v", err)
		}
		keys, err := j.RecordManyTx(ctx, tx, us)
		if err != nil || len(keys) != 50 || keys[7] != us[7].Key {
			t.Fatalf("keys %v, %v", keys, err)
		}
		if commit {
			err = d.commit(ctx, tx)
		} else {
			d.rollback(ctx, tx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	start(t, j)
	waitFor(t, "all delivered", func() bool { s, _ := j.Stats(ctx); return s.Pending+s.InFlight == 0 && s.Delivered == 100 })
	checkLedger(t, d, srv)
}

func TestRecordManyTxSQLite(t *testing.T) { t.Parallel(); testRecordManyTx(t, newSQLite(t)) }
func TestRecordManyTxPostgres(t *testing.T) {
	t.Parallel()
	testRecordManyTx(t, newPG(t))
}
