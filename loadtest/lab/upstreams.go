package lab

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"scalelab/loadtest/result"
)

// ledger is a proxy's own record of which pod each request (the ingress: by the request's
// X-Vegeta-Seq) or each client connection (the service path: by the client's address)
// went to, so that a failed request, which carries no X-Pod, can still be tied to the pod
// that lost it. It answers exactly: it is what the proxy itself chose. An entry is kept
// for ledgerRetain after its request or connection ended, long enough for the client to
// ask, and forgotten then.
type ledger struct {
	mu      sync.Mutex
	entries map[string]*entry
	puts    int
}

type entry struct {
	pod   string
	ended time.Time // zero while the request or connection lasts
}

// ledgerRetain is how long an ended entry stays: the attack asks as soon as the failed
// request's result reaches it, within milliseconds unless this machine is starved.
const ledgerRetain = 30 * time.Second

func newLedger() *ledger { return &ledger{entries: map[string]*entry{}} }

// put records that key went to pod; end says when it is over.
func (g *ledger) put(key, pod string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.puts++; g.puts%1024 == 0 {
		g.pruneLocked(time.Now())
	}
	g.entries[key] = &entry{pod: pod}
}

// end marks key's request or connection over, to be forgotten ledgerRetain later.
func (g *ledger) end(key string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.entries[key]; e != nil {
		e.ended = time.Now()
	}
}

// pod is the pod key went to; "" when the ledger has no record of it.
func (g *ledger) pod(key string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if e := g.entries[key]; e != nil {
		return e.pod
	}
	return ""
}

func (g *ledger) pruneLocked(now time.Time) {
	for k, e := range g.entries {
		if !e.ended.IsZero() && now.Sub(e.ended) > ledgerRetain {
			delete(g.entries, k)
		}
	}
}

// seqHeader is where vegeta numbers each request it sends (package attack reads it back).
const seqHeader = "X-Vegeta-Seq"

// seqKey is the ledger key of a request with an X-Vegeta-Seq; "" for one without.
func seqKey(h http.Header) string { return h.Get(seqHeader) }

// Upstream names, for load through via, the pod a request went to, from that path's own
// record: by its X-Vegeta-Seq at the ingress, by the client's address of its connection
// (local, as the client sees it) on the service path. It is what attack.Options.Upstream
// asks; "" when the proxy did not route the request (no endpoint) or never saw it.
func (l *Lab) Upstream(via string) func(seq uint64, local string) string {
	switch via {
	case result.ViaIngress:
		return func(seq uint64, _ string) string { return l.ingress.ledger.pod(strconv.FormatUint(seq, 10)) }
	case result.ViaService:
		return func(_ uint64, local string) string { return l.service.ledger.pod(local) }
	}
	return nil
}
