package guapocado

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// dialGate keeps the SDK's default transport from opening connections it
// does not need when calls arrive in a burst.
//
// net/http dials for a request as soon as it finds no idle connection, and
// hands the request the first connection that becomes free, dialed or
// returned. A request that gets a returned connection leaves its dial
// running, and the connection it opens joins the pool unused: 64 goroutines
// starting together typically open 65 to 110 connections instead of 64 (a
// TCP, and over https a TLS, handshake each).
//
// The gate counts the calls in flight and the connections open or being
// dialed. A dial for a call proceeds at once while there are more calls than
// connections. Otherwise every call in flight already has a connection or
// one on its way, so the dial waits: when the attempt that asked for it
// finishes (it was served by a connection that came free), the dial is
// dropped, and net/http ignores the error of a dial whose request no longer
// waits; when calls outnumber connections again (a connection closed, a dial
// failed, a call arrived), it proceeds. It never waits longer than
// maxGateWait, after which it dials as net/http alone would.
type dialGate struct {
	inflight atomic.Int64 // calls in Client.do
	conns    atomic.Int64 // connections open
	dialing  atomic.Int64 // dials under way
	waiters  atomic.Int32 // dials waiting at the gate
	waited   atomic.Int64 // dials that ever waited at the gate
	maxWait  atomic.Int64 // nanoseconds: maxGateWait, but for tests

	mu      sync.Mutex
	changed chan struct{} // closed and replaced when the counts change while a dial waits
}

// maxGateWait bounds a dial's wait at the gate.
const maxGateWait = 500 * time.Millisecond

// errDialNotNeeded is the error of a dropped dial. net/http never returns it
// to a caller: the request it was for has its connection.
var errDialNotNeeded = errors.New("guapocado: connection not needed")

func newDialGate() *dialGate {
	g := &dialGate{changed: make(chan struct{})}
	g.maxWait.Store(int64(maxGateWait))
	return g
}

// begin and end bracket a call.
func (g *dialGate) begin() {
	g.inflight.Add(1)
	g.wake()
}

func (g *dialGate) end() { g.inflight.Add(-1) }

// attemptDone is called when an attempt's round trip returns.
func (g *dialGate) attemptDone() { g.wake() }

// wake tells waiting dials that the counts changed.
func (g *dialGate) wake() {
	if g.waiters.Load() == 0 {
		return
	}
	g.mu.Lock()
	close(g.changed)
	g.changed = make(chan struct{})
	g.mu.Unlock()
}

// claim counts a dial as under way if some call in flight has neither a
// connection nor a dial, and reports whether it did.
func (g *dialGate) claim() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.conns.Load()+g.dialing.Load() >= g.inflight.Load() {
		return false
	}
	g.dialing.Add(1)
	return true
}

// dialContext wraps next, the transport's dial function.
func (g *dialGate) dialContext(next func(ctx context.Context, network, addr string) (net.Conn, error)) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		if err := g.wait(ctx); err != nil {
			return nil, err
		}
		c, err := next(ctx, network, addr)
		if err == nil {
			g.conns.Add(1)
			c = &gateConn{Conn: c, g: g}
		}
		g.dialing.Add(-1)
		g.wake()
		return c, err
	}
}

// wait returns nil when the dial may go ahead (and counts it as under way),
// or the error that drops it.
func (g *dialGate) wait(ctx context.Context) error {
	// The dial's context carries the values of the request that asked for
	// it (net/http detaches only its cancellation), so the call's state.
	st := stateFrom(ctx)
	if st == nil || g.claim() {
		if st == nil {
			g.dialing.Add(1)
		}
		return nil
	}
	attempt := st.attempts.Load()
	g.waiters.Add(1)
	g.waited.Add(1)
	defer g.waiters.Add(-1)
	timer := time.NewTimer(time.Duration(g.maxWait.Load()))
	defer timer.Stop()
	for {
		g.mu.Lock()
		changed := g.changed
		g.mu.Unlock()
		if st.finished.Load() >= attempt {
			return errDialNotNeeded
		}
		if g.claim() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			g.dialing.Add(1)
			return nil
		}
	}
}

// gateConn counts a connection out of the gate when it closes.
type gateConn struct {
	net.Conn
	g      *dialGate
	closed atomic.Bool
}

func (c *gateConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.g.conns.Add(-1)
		c.g.wake()
	}
	return c.Conn.Close()
}
