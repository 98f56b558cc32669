package attack

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"scalelab/loadtest/result"
)

// counters are the live totals the progress line shows; the attack's result loop
// writes them, the progress loop reads them.
type counters struct {
	requests, ok atomic.Int64
}

// progress writes the live state of an attack to w: on a terminal one line,
// rewritten every quarter second; elsewhere (a CI log) a plain line every 5 s.
type progress struct {
	w      io.Writer
	tty    bool
	every  time.Duration
	log    *result.Log
	began  time.Time
	total  time.Duration // the attack's duration; 0: until stopped
	totals *counters
}

func newProgress(w io.Writer, log *result.Log, began time.Time, total time.Duration, c *counters) *progress {
	p := &progress{w: w, log: log, began: began, total: total, totals: c, every: 5 * time.Second}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.tty, p.every = true, 250*time.Millisecond
	}
	return p
}

// run writes a line every p.every until done is closed, then a last one.
func (p *progress) run(done <-chan struct{}) {
	t := time.NewTicker(p.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			p.print(false)
		case <-done:
			p.print(true)
			return
		}
	}
}

func (p *progress) print(last bool) {
	line := p.line(time.Since(p.began))
	switch {
	case p.tty && last:
		fmt.Fprintf(p.w, "\r\x1b[K%s\n", line)
	case p.tty:
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// line is "12.3s/60s  199.8/s  ok 2460  errors 3  last: 10.0s command kubectl ...".
func (p *progress) line(elapsed time.Duration) string {
	n, ok := p.totals.requests.Load(), p.totals.ok.Load()
	var b strings.Builder
	fmt.Fprintf(&b, "%6.1fs", elapsed.Seconds())
	if p.total > 0 {
		fmt.Fprintf(&b, "/%s", p.total)
	}
	fmt.Fprintf(&b, "  %7.1f/s  ok %d  errors %d", float64(n)/max(elapsed.Seconds(), 1e-9), ok, n-ok)
	if ev := p.log.Events(); len(ev) > 0 {
		e := ev[len(ev)-1]
		fmt.Fprintf(&b, "  last: %.1fs %s %s", e.At.Seconds(), e.Kind, result.Short(e.Name, 40))
	}
	return b.String()
}
