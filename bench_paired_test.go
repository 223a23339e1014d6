//go:build !(js && wasm)

package guapocado_test

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// The paired consume benchmarks measure the SDK's client CPU against the
// floor's in alternating blocks of calls within one benchmark, so that the
// load of a shared machine, which comes and goes over seconds, weighs on
// both sides alike. Each side has its own server process and connections
// (bench_remote_test.go); the process's CPU time (user + system, every
// thread) is read around each block. They report cpu-ratio (the SDK's CPU
// per call over the floor's) and each side's
// allocations per call (sdk-allocs/op, floor-allocs/op).

// The ratio reported is the median of the pairs' ratios (a burst of load
// from elsewhere spoils a pair, not the run).

// pairedBlock is the number of calls in one block of one side.
const pairedBlock = 200

// side is one client's call, and what its blocks cost.
type side struct {
	call   func() error
	cpu    time.Duration
	allocs uint64
	calls  int
}

// block runs n calls of s over workers goroutines and adds their cost.
func (s *side) block(b *testing.B, n, workers int) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	mallocs := ms.Mallocs
	cpu := cpuTime()
	if workers == 1 {
		for range n {
			if err := s.call(); err != nil {
				b.Fatal(err)
			}
		}
	} else {
		var wg sync.WaitGroup
		per := n / workers
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range per {
					if err := s.call(); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		n = per * workers
	}
	s.cpu += cpuTime() - cpu
	runtime.ReadMemStats(&ms)
	s.allocs += ms.Mallocs - mallocs
	s.calls += n
}

// runPaired alternates blocks of the SDK and the floor (which goes first
// alternates too) until b.N calls of each were made.
func runPaired(b *testing.B, workers int) {
	ctx := context.Background()
	srv := newRemoteBenchServer(b) // one server for both: its scheduling weighs on both alike
	c := newBenchClientAt(b, srv.URL)
	f := newFloorAt(b, srv.URL)
	sdk := &side{call: func() error { _, err := c.Usage.Consume(ctx, "api-calls", 1); return err }}
	flr := &side{call: func() error { _, err := f.consume(ctx, "api-calls", 1); return err }}
	block := pairedBlock
	if workers > 1 {
		block = max(block, 10*workers)
	}
	// Warm up both: connections open, pools filled.
	sdk.block(b, block, workers)
	flr.block(b, block, workers)
	*sdk, *flr = side{call: sdk.call}, side{call: flr.call}
	b.ResetTimer()
	var ratios []float64
	for i := 0; sdk.calls < b.N; i++ {
		first, second := sdk, flr
		if i%2 == 1 {
			first, second = flr, sdk
		}
		s0, f0 := sdk.cpu, flr.cpu
		first.block(b, block, workers)
		second.block(b, block, workers)
		if d := flr.cpu - f0; d > 0 {
			ratios = append(ratios, float64(sdk.cpu-s0)/float64(d))
		}
	}
	b.StopTimer()
	slices.Sort(ratios)
	if len(ratios) > 0 {
		b.ReportMetric(ratios[len(ratios)/2], "cpu-ratio")
	}
	b.ReportMetric(float64(sdk.cpu)/float64(sdk.calls), "sdk-cpu-ns/op")
	b.ReportMetric(float64(flr.cpu)/float64(flr.calls), "floor-cpu-ns/op")
	b.ReportMetric(float64(sdk.allocs)/float64(sdk.calls), "sdk-allocs/op")
	b.ReportMetric(float64(flr.allocs)/float64(flr.calls), "floor-allocs/op")
}

// BenchmarkConsumePaired: one consume after another, SDK and floor in
// alternating blocks.
func BenchmarkConsumePaired(b *testing.B) { runPaired(b, 1) }

// BenchmarkConsumePaired64: 64 goroutines consuming at once, SDK and floor
// in alternating blocks.
func BenchmarkConsumePaired64(b *testing.B) { runPaired(b, 64) }
