package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"
)

// progress reports an import's progress on w (standard error): a bar
// redrawn in place on a terminal, plain lines (every 10%, at most once a
// second) otherwise. Settled lines are those applied, replayed or refused;
// a line whose outcome is unknown is not settled, and is counted apart.
type progress struct {
	w        io.Writer
	tty      bool
	total    int
	mu       sync.Mutex
	done     int // settled lines
	counts   map[string]int
	lastLine time.Time
	lastPct  int
	stopc    chan struct{}
	wg       sync.WaitGroup
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newProgress reports on w; tty draws a bar in place.
func newProgress(w io.Writer, tty bool, total, done int) *progress {
	return &progress{w: w, tty: tty, total: total, done: done, counts: map[string]int{}, lastPct: -1, stopc: make(chan struct{})}
}

func (p *progress) start() {
	if !p.tty {
		p.mu.Lock()
		p.line(true)
		p.mu.Unlock()
		return
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.stopc:
				return
			case <-t.C:
				p.mu.Lock()
				p.draw()
				p.mu.Unlock()
			}
		}
	}()
}

func (p *progress) add(outcome string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if outcome != outUnknown {
		p.done++
	}
	p.counts[outcome]++
	if !p.tty {
		p.line(false)
	}
}

func (p *progress) pct() int {
	if p.total == 0 {
		return 100
	}
	return p.done * 100 / p.total
}

// line prints a plain progress line at each new 10% step (rate-limited to
// one a second, except the first and the last).
func (p *progress) line(force bool) {
	pct := p.pct()
	step := pct / 10 * 10
	if !force && (step == p.lastPct || time.Since(p.lastLine) < time.Second && p.done != p.total) {
		return
	}
	p.lastPct, p.lastLine = step, time.Now()
	unknown := ""
	if n := p.counts[outUnknown]; n > 0 {
		unknown = fmt.Sprintf(", %d unknown", n)
	}
	fmt.Fprintf(p.w, "usage import: %d/%d lines settled%s (%d%%)\n", p.done, p.total, unknown, pct)
}

// draw redraws the bar in place.
func (p *progress) draw() {
	const width = 30
	filled := width * p.pct() / 100
	bar := strings.Repeat("#", filled) + strings.Repeat("-", width-filled)
	fmt.Fprintf(p.w, "\r[%s] %d/%d settled %3d%%  applied %d  replayed %d  refused %d  unknown %d\x1b[K",
		bar, p.done, p.total, p.pct(), p.counts[outApplied], p.counts[outReplayed], p.counts[outRefused], p.counts[outUnknown])
}

func (p *progress) stop() {
	close(p.stopc)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tty {
		p.draw()
		fmt.Fprintln(p.w)
		return
	}
	if p.lastPct != 100 || p.done != p.total {
		p.lastPct = -1
		p.line(true)
	}
}
