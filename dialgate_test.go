package guapocado

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"
)

// gateDial dials through g with a fake dial function, with ctx as the
// dial's context (a *callState for a call's dial), and returns the result
// on a channel and the number of real dials.
func gateDial(g *dialGate, ctx context.Context) (<-chan error, *int) {
	dials := new(int)
	next := func(context.Context, string, string) (net.Conn, error) {
		*dials++
		c, _ := net.Pipe()
		return c, nil
	}
	done := make(chan error, 1)
	go func() {
		c, err := g.dialContext(next)(ctx, "tcp", "127.0.0.1:1")
		if c != nil {
			c.Close()
		}
		done <- err
	}()
	return done, dials
}

func startedCall(ctx context.Context) *callState {
	st := &callState{Context: ctx}
	st.attempts.Store(1)
	return st
}

func waitingDials(t *testing.T, g *dialGate, n int32) {
	t.Helper()
	for g.waiters.Load() != n { // bounded by go test's -timeout
		time.Sleep(time.Millisecond)
	}
}

func TestDialGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("dials when calls outnumber connections", func(t *testing.T) {
		g := newDialGate()
		g.begin()
		g.begin()
		g.conns.Store(1)
		st := startedCall(ctx)
		done, dials := gateDial(g, st)
		if err := <-done; err != nil || *dials != 1 {
			t.Fatalf("err %v, %d dials", err, *dials)
		}
		if g.conns.Load() != 1 || g.dialing.Load() != 0 {
			t.Errorf("after a dial and its close: conns %d, dialing %d", g.conns.Load(), g.dialing.Load())
		}
	})

	t.Run("drops the dial when its attempt was served", func(t *testing.T) {
		g := newDialGate()
		g.begin()
		g.conns.Store(1) // one call, one connection (returning to the pool)
		st := startedCall(ctx)
		done, dials := gateDial(g, st)
		waitingDials(t, g, 1)
		st.finished.Add(1)
		g.attemptDone()
		if err := <-done; !errors.Is(err, errDialNotNeeded) || *dials != 0 {
			t.Fatalf("err %v, %d dials; want errDialNotNeeded and none", err, *dials)
		}
		if g.dialing.Load() != 0 || g.waiters.Load() != 0 {
			t.Errorf("dialing %d, waiting %d", g.dialing.Load(), g.waiters.Load())
		}
	})

	t.Run("dials when another call arrives", func(t *testing.T) {
		g := newDialGate()
		g.begin()
		g.conns.Store(1)
		st := startedCall(ctx)
		done, dials := gateDial(g, st)
		waitingDials(t, g, 1)
		g.begin()
		if err := <-done; err != nil || *dials != 1 {
			t.Fatalf("err %v, %d dials", err, *dials)
		}
	})

	t.Run("dials when a connection closes", func(t *testing.T) {
		g := newDialGate()
		g.begin()
		a, b := net.Pipe()
		defer b.Close()
		g.conns.Store(1)
		gc := &gateConn{Conn: a, g: g}
		st := startedCall(ctx)
		done, dials := gateDial(g, st)
		waitingDials(t, g, 1)
		gc.Close()
		gc.Close() // counted once
		if err := <-done; err != nil || *dials != 1 {
			t.Fatalf("err %v, %d dials", err, *dials)
		}
		if g.conns.Load() != 0 {
			t.Errorf("conns %d after both closed", g.conns.Load())
		}
	})

	t.Run("gives up waiting when the dial is canceled", func(t *testing.T) {
		g := newDialGate()
		g.begin()
		g.conns.Store(1)
		cctx, cancel := context.WithCancel(ctx)
		st := startedCall(cctx)
		done, dials := gateDial(g, st)
		waitingDials(t, g, 1)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) || *dials != 0 {
			t.Fatalf("err %v, %d dials", err, *dials)
		}
	})

	t.Run("waits at most maxGateWait", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) { // the wait on the bubble's clock: exact
			g := newDialGate()
			g.begin()
			g.conns.Store(1)
			st := startedCall(context.Background())
			start := time.Now()
			done, dials := gateDial(g, st)
			if err := <-done; err != nil || *dials != 1 {
				t.Fatalf("err %v, %d dials", err, *dials)
			}
			if d := time.Since(start); d != maxGateWait {
				t.Errorf("dialed after %v, want %v", d, maxGateWait)
			}
		})
	})

	t.Run("dials for a request that is not an SDK call", func(t *testing.T) {
		g := newDialGate()
		g.conns.Store(5)
		done, dials := gateDial(g, ctx)
		if err := <-done; err != nil || *dials != 1 {
			t.Fatalf("err %v, %d dials", err, *dials)
		}
	})
}
