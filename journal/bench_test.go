package journal

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// The benchmarks measure throughput against a fake platform that answers
// after 30 ms, as the hosted API does over the internet (on loopback a
// direct call is unrealistically cheap). Run them with
//
//	GUAPOCADO_PG_DSN=… go test -run '^$' -bench . -benchtime 1x -benchmem ./journal/
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
func BenchmarkRecordTx(b *testing.B) {
	for _, c := range inFlight {
		b.Run(fmt.Sprintf("sqlite/inflight=%d", c), func(b *testing.B) { benchRecord(b, newSQLite(b), c) })
		b.Run(fmt.Sprintf("postgres/inflight=%d", c), func(b *testing.B) { benchRecord(b, newPG(b), c) })
	}
}

func benchRecord[TTx any](b *testing.B, d *testDB[TTx], c int) {
	srv := fake(b)
	j := newJournal(b, d, srv)
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
// one by one ("tokens") or coalesced ("rows", post-paid).
func BenchmarkDeliver(b *testing.B) {
	for _, mode := range []string{"single", "coalesced"} {
		b.Run(mode+"/inflight=64", func(b *testing.B) {
			const n = 100000
			var total time.Duration
			for range b.N {
				d := newPG(b)
				srv := fake(b, guapocadotest.WithLatency(platformLatency))
				j := newJournal(b, d, srv, WithWorkers(64), WithPostpaid("rows"), WithBatch(1000, 100*time.Millisecond))
				meter := map[string]string{"single": "tokens", "coalesced": "rows"}[mode]
				recordMany(b, d, j, n, 100, meter, "d")
				began := time.Now()
				start(b, j)
				for {
					s, err := j.Stats(context.Background())
					if err != nil {
						b.Fatal(err)
					}
					if s.Pending+s.InFlight == 0 {
						break
					}
					time.Sleep(20 * time.Millisecond)
				}
				total += time.Since(began)
				checkLedger(b, d, srv)
				b.ReportMetric(float64(len(srv.Ops())), "platform-calls")
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "intents/s")
		})
	}
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
		j := newJournal(b, d, srv, WithWorkers(64))
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
	j := newJournal(b, d, srv)
	ctx := context.Background()
	run := time.Now().UnixNano()
	b.ResetTimer()
	err := spread(b.N, c, func(i int) error {
		tx, err := d.begin(ctx)
		if err != nil {
			return err
		}
		us := make([]Usage, per)
		for k := range us {
			us[k] = Usage{CustomerID: fmt.Sprintf("org_%d", k), Meter: "tokens", Amount: 1, Key: fmt.Sprintf("m%d-%d-%d", run, i, k)}
		}
		if _, err := j.RecordManyTx(ctx, tx, us); err != nil {
			d.rollback(ctx, tx)
			return err
		}
		return d.commit(ctx, tx)
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*per)/b.Elapsed().Seconds(), "intents/s")
}
