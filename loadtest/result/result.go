// Package result holds the plain data of a load run and of a matrix of runs: what the
// attack measured, what happened on the platform meanwhile, and the versioned schema of
// summary.json and matrix.json, read from every schema there was. It depends on nothing
// but the standard library, so the attack, the platforms and the reports can all speak
// it; package explain says why a run lost requests, package lossrate judges a cell's
// trials. Its one lock is a Log's, which guards the events the platform's and the
// attack's goroutines add to it.
package result

import (
	"sort"
	"sync"
	"time"
)

// SchemaVersion is written into every summary.json and matrix.json; bump it on any
// change that an older reader would misread. Readers take every version up to it:
// 2 renamed a matrix cell's expected_zero and expect to promised_zero and expects; 3
// gave an event the pod it concerns (pod, step, via), a run and each slot of its
// timeline the failed requests by the pod they went to (lost), and a run its error
// windows with what explains them (windows); 4 gave a run and a matrix their status
// (pass, fail, invalid: status.go), a run, a trial and a cell the reasons they prove
// nothing (invalid), a cell that never ran its mark (not_run) and a matrix cut short its
// own (interrupted). An older run's events get their pod and step from their names as
// they are read (pods.go); an older run cut short reads as invalid (Upgrade). 5 writes a
// run's timeline by column, each pod named once (timeline.go), and summary.json without
// indentation; a timeline of slot objects, as before, is still read.
const SchemaVersion = 5

// Class is the kind of a failed request. The order of Classes is the order of every
// report: the 502 first, because that is the failure the testbed exists to show.
type Class string

const (
	HTTP502 Class = "502"
	HTTP503 Class = "503"
	HTTP500 Class = "500"
	HTTP504 Class = "504"
	HTTP5xx Class = "5xx" // any other 5xx
	HTTP4xx Class = "4xx"
	Refused Class = "refused" // connection refused: nothing listens
	Reset   Class = "reset"   // connection reset by peer
	EOF     Class = "eof"     // server closed the connection without an answer
	Timeout Class = "timeout"
	Other   Class = "other"
)

// Classes lists every class in report order.
var Classes = []Class{HTTP502, HTTP503, HTTP500, HTTP504, HTTP5xx, HTTP4xx, Refused, Reset, EOF, Timeout, Other}

// Counts maps a class to how many requests failed that way; absent means zero.
type Counts map[Class]int

// Total is the number of failed requests over all classes.
func (c Counts) Total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// Add adds every count of o to c.
func (c Counts) Add(o Counts) {
	for k, v := range o {
		c[k] += v
	}
}

// Event is one thing that happened during a run, at an offset from the attack's start:
// a timed shell command, a scenario action, or a pod or endpoint transition.
type Event struct {
	At     time.Duration `json:"at"`
	Kind   string        `json:"kind"`             // EventCommand, EventAction, EventPod, EventEndpoint, EventPhase, EventAutoscaler
	Name   string        `json:"name"`             // short text for a timeline marker
	Detail string        `json:"detail,omitempty"` // output of a command, the equivalent kubectl command, ...
	End    time.Duration `json:"end,omitempty"`    // when a command ended; 0 when not a command
	Exit   *int          `json:"exit,omitempty"`   // a command's exit status
	Mark   string        `json:"mark,omitempty"`   // MarkRestart or MarkKill: what the matrix counts
	// Pod is the pod the event concerns, when it concerns one; Step says what happened to
	// it in words every platform shares (Step*), "" for what has no word there; Via, for a
	// StepRouted or StepUnrouted, is the path whose proxy's routes changed.
	Pod  string `json:"pod,omitempty"`
	Step string `json:"step,omitempty"`
	Via  string `json:"via,omitempty"`
}

// Event kinds.
const (
	EventCommand  = "command"  // a --at shell command
	EventAction   = "action"   // what the scenario did: scale, rollout restart, delete pod
	EventPod      = "pod"      // a pod's transition: created, ready, SIGTERM, exited, gone
	EventEndpoint = "endpoint" // an endpoint added to or removed from the routing
	EventRoute    = "route"    // a proxy's own routes gained or lost a pod (Via says which)
	EventPhase    = "phase"    // the run's own phases: attack start, settled, tail
	// EventAutoscaler is a HorizontalPodAutoscaler's reading or decision: its name is the
	// HPA's, its detail says the measured utilisation, the target, and the current and
	// desired replicas ("cpu 85% of 50%, 2 → 4 replicas").
	EventAutoscaler = "autoscaler"
)

// Event marks: a pod event that the matrix counts, whatever its platform's words for it.
const (
	MarkRestart = "restart" // a container started again in the same pod (liveness, crash)
	MarkKill    = "kill"    // a container SIGKILLed: the grace period ran out (exit 137)
)

// Marks counts the events of each mark.
func Marks(events []Event) map[string]int {
	n := map[string]int{}
	for _, e := range events {
		if e.Mark != "" {
			n[e.Mark]++
		}
	}
	return n
}

// Log collects events from several goroutines, each stamped with its offset from start.
type Log struct {
	mu     sync.Mutex // guards events
	start  time.Time
	events []Event
}

// NewLog returns a log whose offsets count from start.
func NewLog(start time.Time) *Log { return &Log{start: start} }

// Start is the instant offsets count from.
func (l *Log) Start() time.Time { return l.start }

// Add records an event that happens now.
func (l *Log) Add(kind, name, detail string) {
	l.Put(Event{At: time.Since(l.start), Kind: kind, Name: name, Detail: detail})
}

// Mark records a marked event that happens now.
func (l *Log) Mark(mark, kind, name, detail string) {
	l.Put(Event{At: time.Since(l.start), Kind: kind, Name: name, Detail: detail, Mark: mark})
}

// Put records an event whose offset the caller already set.
func (l *Log) Put(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// Events returns a copy of the events, ordered by offset.
func (l *Log) Events() []Event {
	l.mu.Lock()
	out := append([]Event(nil), l.events...)
	l.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// Latency holds latency percentiles of the requests of a run or an interval.
type Latency struct {
	Mean time.Duration `json:"mean"`
	P50  time.Duration `json:"p50"`
	P90  time.Duration `json:"p90"`
	P95  time.Duration `json:"p95"`
	P99  time.Duration `json:"p99"`
	Max  time.Duration `json:"max"`
}

// Interval is one slot of a run's timeline.
type Interval struct {
	Start  time.Duration  `json:"start"`
	OK     int            `json:"ok"`
	Errors Counts         `json:"errors,omitempty"`
	P50    time.Duration  `json:"p50"`
	P99    time.Duration  `json:"p99"`
	Pods   map[string]int `json:"pods,omitempty"` // X-Pod of the answers, counted
	Lost   PodCounts      `json:"lost,omitempty"` // the failed requests by the pod they went to
}

// Gate is one pass/fail condition on a run, with what it allowed and what was measured.
type Gate struct {
	Name   string `json:"name"`
	Limit  string `json:"limit"`
	Actual string `json:"actual"`
	OK     bool   `json:"ok"`
}

// Run is everything measured in one attack: summary.json.
type Run struct {
	Schema       int               `json:"schema"`
	Target       string            `json:"target"`
	Method       string            `json:"method"`
	Rate         float64           `json:"rate"`          // requests/s asked for
	AchievedRate float64           `json:"achieved_rate"` // requests/s sent
	Duration     time.Duration     `json:"duration"`      // as asked for
	Elapsed      time.Duration     `json:"elapsed"`       // as it ran (shorter when interrupted)
	KeepAlive    bool              `json:"keepalive"`
	Started      time.Time         `json:"started"`
	Requests     int               `json:"requests"`
	OK           int               `json:"ok"`
	Errors       Counts            `json:"errors"`
	Samples      map[Class]string  `json:"samples,omitempty"` // the first error text of each class, to tell what happened
	Success      float64           `json:"success"`           // OK / Requests, 0..1
	Latency      Latency           `json:"latency"`
	Pods         map[string]int    `json:"pods,omitempty"`
	Lost         PodCounts         `json:"lost,omitempty"`    // failed requests by the pod they went to, where the path could tell
	Windows      []Window          `json:"windows,omitempty"` // the bursts of failures and what explains them (explain.Windows)
	Interval     time.Duration     `json:"interval"`
	Timeline     []Interval        `json:"timeline"`
	Events       []Event           `json:"events,omitempty"`
	Gates        []Gate            `json:"gates,omitempty"`
	Interrupted  bool              `json:"interrupted,omitempty"`
	Status       Status            `json:"status,omitempty"`  // Outcome, as it was written
	Invalid      []string          `json:"invalid,omitempty"` // why it proves nothing (Invalidate)
	Meta         map[string]string `json:"meta,omitempty"`    // platform, config, scenario, via, versions
}

// Failed is the number of requests that did not get a 2xx or 3xx answer.
func (r *Run) Failed() int { return r.Errors.Total() }

// Passed reports whether every gate held.
func (r *Run) Passed() bool {
	for _, g := range r.Gates {
		if !g.OK {
			return false
		}
	}
	return true
}

// Upgrade reads a run of an older schema as this one would have said it: one cut short
// (before schema 4, Interrupted alone said so) proves nothing, unless it was an attack
// that runs until it is stopped, where the stop is its end.
func (r *Run) Upgrade() {
	if r.Schema < 4 && r.Interrupted && (r.Duration > 0 || r.Meta["scenario"] != "") {
		r.Invalidate(Reason)
	}
}
