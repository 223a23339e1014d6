package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// The benchmarks measure throughput against a fake platform that answers
// after 30 ms, as the hosted API does over the internet (on loopback a
// direct call is unrealistically cheap), with the journal's own River
// settings (no test shortcuts). Run them with
//
//	GUAPOCADO_PG_DSN=… go test -run '^$' -bench 'RecordTx|RecordManyTx|DirectConsume' -benchtime 2s -benchmem ./journal/
//	GUAPOCADO_PG_DSN=… go test -run '^$' -bench 'Deliver|CommitToApplied' -benchtime 1x -benchmem ./journal/
//
// (-benchtime 1x for BenchmarkDeliver and BenchmarkCommitToApplied, whose
// one iteration is 100,000 intents or 20 s of steady load).
const platformLatency = 30 * time.Millisecond

var inFlight = []int{1, 64}

// spread runs n operations over c goroutines and returns when all are done.
func spread(n, c int, op func(i int) error) error {
	var (
		next atomic.Int64
		wg   sync.WaitGroup
		mu   sync.Mutex
		fail error
	)
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := op(i); err != nil {
					mu.Lock()
					fail = err
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return fail
}

// BenchmarkRecordTx: intents recorded per second, each in an application
// transaction of its own beside the application's row (RecordTx), c
// transactions in flight.
//
// Beside each, the floor: the same application transaction without the
// intent (its row alone: BEGIN, INSERT, COMMIT), the database's own rate
// at that concurrency, which no journal writing in that transaction can
// beat.
func BenchmarkRecordTx(b *testing.B) {
	for _, c := range inFlight {
		b.Run(fmt.Sprintf("sqlite/inflight=%d", c), func(b *testing.B) { benchRecord(b, newSQLite(b), c) })
		b.Run(fmt.Sprintf("sqlite-floor/inflight=%d", c), func(b *testing.B) { benchFloor(b, newSQLite(b), c) })
		b.Run(fmt.Sprintf("postgres/inflight=%d", c), func(b *testing.B) { benchRecord(b, newPG(b), c) })
		b.Run(fmt.Sprintf("postgres-floor/inflight=%d", c), func(b *testing.B) { benchFloor(b, newPG(b), c) })
	}
}

// benchJournal is a journal as an application makes it (the journal's
// River settings, not the tests' quicker ones).
func benchJournal[TTx any](b *testing.B, d *testDB[TTx], srv *guapocadotest.Server, opts ...Option) *Journal[TTx] {
	b.Helper()
	j, err := New(d.driver, platformClient(b, srv.APIURL(), srv.APIKey()), opts...)
	if err != nil {
		b.Fatal(err)
	}
	return j
}

// benchFloor: application transactions per second with the application's
// row and no intent, c in flight.
func benchFloor[TTx any](b *testing.B, d *testDB[TTx], c int) {
	ctx := context.Background()
	run := time.Now().UnixNano()
	insert := dialectOf(d.driver.DatabaseName()).q(`INSERT INTO app_work (key, customer_id, meter, amount) VALUES ($1, $2, $3, $4)`)
	b.ResetTimer()
	err := spread(b.N, c, func(i int) error {
		return d.inTx(ctx, func(tx TTx) error {
			return d.exec(ctx, tx, insert, fmt.Sprintf("f%d-%d", run, i), fmt.Sprintf("org_%d", i%100), "tokens", int64(1))
		})
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txs/s")
}

func benchRecord[TTx any](b *testing.B, d *testDB[TTx], c int) {
	srv := fake(b)
	j := benchJournal(b, d, srv)
	ctx := context.Background()
	run := time.Now().UnixNano()
	b.ResetTimer()
	err := spread(b.N, c, func(i int) error {
		return d.work(ctx, j, Usage{CustomerID: fmt.Sprintf("org_%d", i%100), Meter: "tokens", Amount: 1, Key: fmt.Sprintf("b%d-%d", run, i)}, true)
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "intents/s")
}

// BenchmarkDirectConsume: direct platform calls per second (Usage.Consume
// on a platform client), c in flight, 30 ms platform latency: what the
// journal is compared with.
func BenchmarkDirectConsume(b *testing.B) {
	for _, c := range inFlight {
		b.Run(fmt.Sprintf("inflight=%d", c), func(b *testing.B) {
			srv := fake(b, guapocadotest.WithLatency(platformLatency))
			api := platformClient(b, srv.APIURL(), srv.APIKey())
			ctx := context.Background()
			b.ResetTimer()
			err := spread(b.N, c, func(i int) error {
				_, err := api.Usage.Consume(ctx, "tokens", 1, guapocado.ForCustomer(fmt.Sprintf("org_%d", i%100)))
				return err
			})
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
		})
	}
}

// BenchmarkDeliver: 100,000 recorded intents for 100 customers delivered
// per second by one instance on PostgreSQL with 64 deliveries in flight,
// one by one ("tokens") or coalesced ("rows", post-paid): from Start to
// the platform's answer to the last unit (counted by a transport wrapper:
// polling Stats, a query over every intent, would load the database it
// measures, and copying the fake's ledger the CPU). Afterwards, untimed, the journal must reach
// nothing pending or in flight and the ledger must equal the work.
func BenchmarkDeliver(b *testing.B) {
	for _, mode := range []string{"single", "coalesced"} {
		b.Run(mode+"/inflight=64", func(b *testing.B) {
			const n = 100000
			var total time.Duration
			for range b.N {
				b.StopTimer()
				d := newPG(b)
				srv := fake(b, guapocadotest.WithLatency(platformLatency))
				count := &answered{keys: map[string]bool{}}
				api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(3, 0, 0),
					guapocado.WithTransportWrapper(func(next http.RoundTripper) http.RoundTripper { count.next = next; return count }))
				if err != nil {
					b.Fatal(err)
				}
				j, err := New(d.driver, api, WithWorkers(64), WithPostpaid("rows"), WithBatch(1000, 100*time.Millisecond))
				if err != nil {
					b.Fatal(err)
				}
				meter := map[string]string{"single": "tokens", "coalesced": "rows"}[mode]
				recordMany(b, d, j, n, 100, meter, "d")
				units, err := d.count(context.Background(), `SELECT COALESCE(SUM(amount), 0) FROM app_work`)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				began := time.Now()
				start(b, j)
				var last time.Time
				for ok := false; !ok; {
					time.Sleep(5 * time.Millisecond)
					last, ok = count.done(units)
				}
				b.StopTimer()
				total += last.Sub(began)
				waitFor(b, "nothing pending or in flight", func() bool {
					s, err := j.Stats(context.Background())
					return err == nil && s.Pending+s.InFlight == 0
				})
				checkLedger(b, d, srv)
				b.ReportMetric(float64(len(srv.Ops())), "platform-calls")
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "intents/s")
		})
	}
}

// answered counts the units of the consume calls the platform answered
// 2xx, once per idempotency key, and when the last came: a transport
// wrapper of the journal's client, read in memory without copying the
// fake's ledger.
type answered struct {
	next  http.RoundTripper
	mu    sync.Mutex
	keys  map[string]bool
	units int64
	last  time.Time
}

func (a *answered) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	res, err := a.next.RoundTrip(req)
	if err != nil || res.StatusCode/100 != 2 || !strings.HasSuffix(req.URL.Path, "/consume") {
		return res, err
	}
	var in struct {
		Amount int64  `json:"amount"`
		Key    string `json:"idempotencyKey"`
	}
	if json.Unmarshal(body, &in) != nil {
		return res, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.keys[in.Key] {
		a.keys[in.Key] = true
		a.units += in.Amount
		a.last = time.Now()
	}
	return res, err
}

// done reports when the answered units reached units.
func (a *answered) done(units int64) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.last, a.units >= units
}

// BenchmarkCommitToApplied: intents committed at a steady 1,000 per
// second for 20 s on PostgreSQL, delivered one by one by a running
// journal (64 in flight, 30 ms platform latency); reports the p50 and p99
// time from the caller's commit to the platform applying the intent.
func BenchmarkCommitToApplied(b *testing.B) {
	const rate, seconds = 1000, 20
	for range b.N {
		d := newPG(b)
		srv := fake(b, guapocadotest.WithLatency(platformLatency))
		j := benchJournal(b, d, srv, WithWorkers(64))
		start(b, j)
		ctx := context.Background()
		var mu sync.Mutex
		committed := map[string]time.Time{}
		tick := time.NewTicker(time.Second / rate)
		var wg sync.WaitGroup
		for i := range rate * seconds {
			<-tick.C
			wg.Add(1)
			go func() {
				defer wg.Done()
				key := fmt.Sprintf("steady-%d", i)
				if err := d.work(ctx, j, Usage{CustomerID: fmt.Sprintf("org_%d", i%100), Meter: "tokens", Amount: 1, Key: key}, true); err != nil {
					b.Error(err)
					return
				}
				mu.Lock()
				committed[key] = time.Now()
				mu.Unlock()
			}()
		}
		tick.Stop()
		wg.Wait()
		waitFor(b, "all applied", func() bool { return len(srv.Ops()) >= rate*seconds })
		var lat []time.Duration
		for _, op := range srv.Ops() {
			lat = append(lat, op.At.Sub(committed[op.IdempotencyKey]))
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100].Milliseconds()), "p99-ms")
	}
}

// BenchmarkRecordManyTx: intents recorded per second when an application
// transaction records 100 at once (RecordManyTx), c transactions in
// flight.
func BenchmarkRecordManyTx(b *testing.B) {
	for _, c := range inFlight {
		b.Run(fmt.Sprintf("sqlite/inflight=%d", c), func(b *testing.B) { benchRecordMany(b, newSQLite(b), c) })
		b.Run(fmt.Sprintf("postgres/inflight=%d", c), func(b *testing.B) { benchRecordMany(b, newPG(b), c) })
	}
}

func benchRecordMany[TTx any](b *testing.B, d *testDB[TTx], c int) {
	const per = 100
	srv := fake(b)
	j := benchJournal(b, d, srv)
	ctx := context.Background()
	run := time.Now().UnixNano()
	b.ResetTimer()
	err := spread(b.N, c, func(i int) error {
		us := make([]Usage, per)
		for k := range us {
			us[k] = Usage{CustomerID: fmt.Sprintf("org_%d", k), Meter: "tokens", Amount: 1, Key: fmt.Sprintf("m%d-%d-%d", run, i, k)}
		}
		return d.inTx(ctx, func(tx TTx) error {
			_, err := j.RecordManyTx(ctx, tx, us)
			return err
		})
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "intents/s")
}
