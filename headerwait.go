package guapocado

import (
	"math"
	"sync/atomic"
	"time"
)

// headerWait bounds the wait for answers' headers on one connection of the
// SDK's default transport without a timer per request (net/http's
// ResponseHeaderTimeout starts and stops one for every request, a few
// percent of a call's CPU). An attempt that gets the connection begins a
// wait (the GotConn hook of its trace, callState.gotConn), timed from the
// connection's next write (its request), and ends it when its round trip
// returns; the connection's reads (readIdleConn.Read) fail
// with errHeaderTimeout once attempts have waited on it for the bound with
// no answer's headers arriving, and its read deadline never lets a silent
// server hold them past it.
//
// Over HTTP/1 an attempt has the connection to itself, so the bound is the
// attempt's. Over HTTP/2 the streams of a connection share it: the
// connection fails when no stream got its headers for the bound while some
// waited (a silent or dripping server), not when one stream is slow while
// the others are answered.
type headerWait struct {
	born    time.Time    // the connection's dial; the times below are offsets from it (monotonic clock)
	waiting atomic.Int32 // attempts waiting for their answer's headers
	// since is when the wait began (the connection's first write after an
	// attempt began waiting), or an answer's headers last came while
	// others waited; unsent until that write.
	since atomic.Int64
}

// unsent marks a wait whose request has not been written yet.
const unsent = math.MinInt64

// begin counts an attempt waiting for its answer's headers.
func (w *headerWait) begin() {
	if w.waiting.Add(1) == 1 {
		w.since.Store(unsent)
	}
}

// end counts an attempt's wait over (its round trip returned).
func (w *headerWait) end() {
	if w.waiting.Add(-1) > 0 {
		w.since.Store(int64(time.Since(w.born)))
	}
}

// attemptEnded marks a call state's wait slot once its attempt returned: a
// GotConn that comes later (from a wrapper that returned early) is not
// counted.
var attemptEnded = new(headerWait)
