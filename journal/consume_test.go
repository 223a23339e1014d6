package journal

import (
	"context"
	"errors"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestConsume: a direct charge is applied once under its key and leaves
// nothing recorded; a definite refusal is returned and leaves nothing.
func TestConsume(t *testing.T) {
	t.Parallel()
	d := newSQLite(t)
	srv := fake(t)
	j := newJournal(t, d, srv)
	ctx := t.Context()
	bal, err := j.Consume(ctx, Usage{CustomerID: "org_c", Meter: "small", Amount: 2, Key: "gate-1"}, Compensate)
	if err != nil || bal.Consumed != 2 {
		t.Fatalf("consume: %+v, %v", bal, err)
	}
	if _, err := j.Consume(ctx, Usage{CustomerID: "org_c", Meter: "small", Amount: 9, Key: "gate-2"}, Finish); !errors.Is(err, guapocado.ErrInsufficientBalance) {
		t.Fatalf("refusal: %v", err)
	}
	if n, _ := d.count(ctx, `SELECT COUNT(*) FROM river_job`); n != 0 {
		t.Errorf("%d jobs left", n)
	}
	if n, _ := applied(srv); n["gate-1"] != 1 || len(n) != 1 {
		t.Errorf("applied %v", n)
	}
}

// TestConsumeUnknownOutcome: when every answer of the charge is lost after
// the platform applied it, Consume fails with ErrOutcomeUnknown and the
// journal settles the intent: Finish leaves one charge (the resend is
// answered from the stored result), Compensate refunds it.
func TestConsumeUnknownOutcome(t *testing.T) {
	t.Parallel()
	for name, onCrash := range map[string]OnCrash{"finish": Finish, "compensate": Compensate} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			d := newSQLite(t)
			srv := fake(t)
			j := newJournal(t, d, srv)
			ctx := t.Context()
			srv.InjectFaults(4, guapocadotest.Fault{Path: "/v1/usage/small/consume", Drop: guapocadotest.DropAfterApply})
			if _, err := j.Consume(ctx, Usage{CustomerID: "org_u", Meter: "small", Amount: 3, Key: "gate"}, onCrash); !errors.Is(err, guapocado.ErrOutcomeUnknown) {
				t.Fatalf("consume: %v", err)
			}
			start(t, j)
			waitFor(t, "settled", func() bool { s, _ := j.Stats(ctx); return s.Pending+s.InFlight == 0 })
			u, err := srv.Usage("org_u", "small")
			if err != nil {
				t.Fatal(err)
			}
			want := map[OnCrash]float64{Finish: 3, Compensate: 0}[onCrash]
			if u.Consumed != want {
				t.Errorf("consumed %v, want %v; ops %+v", u.Consumed, want, srv.Ops())
			}
			if n, _ := applied(srv); n["gate"] != 1 {
				t.Errorf("the charge applied %d times", n["gate"])
			}
		})
	}
}

// TestConsumeCrashBeforeCall: a process that died after committing the
// intent and before its call leaves it to the next journal, which settles
// it after the grace.
func TestConsumeCrashBeforeCall(t *testing.T) {
	t.Parallel()
	d := newSQLite(t)
	srv := fake(t)
	crash := errors.New("process died")
	dying := newJournal(t, d, srv, WithConsumeGrace(50*time.Millisecond), func(c *config) error {
		c.hook = func(p string) {
			if p == "consume:committed" {
				panic(crash)
			}
		}
		return nil
	})
	func() {
		defer func() {
			if r := recover(); r != crash {
				t.Fatalf("recovered %v", r)
			}
		}()
		_, _ = dying.Consume(context.Background(), Usage{CustomerID: "org_k", Meter: "tokens", Amount: 4, Key: "gate-k"}, Finish)
	}()
	if len(srv.Ops()) != 0 {
		t.Fatal("sent before the crash point")
	}
	j := newJournal(t, d, srv, WithConsumeGrace(50*time.Millisecond))
	start(t, j)
	waitFor(t, "finished", func() bool { n, _ := applied(srv); return n["gate-k"] == 1 })
}
