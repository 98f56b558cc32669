package attack

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"scalelab/loadtest/result"
)

// An attack can also run elsewhere — in attacker pods of a cluster, several at once — and
// send back every result it measured in vegeta's CSV encoding, one line a request: Stream
// is the attacker's side, Collector (collect.go) the side that merges what comes back into
// one result.Run, exactly as Run would have tallied it.

// ClassHeader carries, in a streamed result, the class of a failure that has no status
// code: the class the attacker's own tracer read from the typed error, which the error's
// text alone would not tell. A failure with a status code is classified by its code.
const ClassHeader = "X-Scalelab-Class"

// podHeader names the pod that answered (hello's X-Pod).
const podHeader = "X-Pod"

// Summary is what an attacker says of its own attack when it ends: how many requests it
// sent and how many of them succeeded. The side that merges compares it with what it
// received, so that a result lost on the way is an error, never silently fewer requests.
type Summary struct {
	Attacker    string        `json:"attacker"`
	Requests    int           `json:"requests"`
	OK          int           `json:"ok"`
	Errors      result.Counts `json:"errors,omitempty"`
	Interrupted bool          `json:"interrupted,omitempty"` // stopped before its duration: the usual end in a pod
}

// count counts one request that failed with class ("" for a success).
func (s *Summary) count(class result.Class) {
	s.Requests++
	if class == "" {
		s.OK++
		return
	}
	if s.Errors == nil {
		s.Errors = result.Counts{}
	}
	s.Errors[class]++
}

// Same says whether s and o count the same requests, successes and failures by class.
func (s Summary) Same(o Summary) bool {
	return s.Requests == o.Requests && s.OK == o.OK && maps.Equal(s.Errors, o.Errors)
}

// Share is attacker i's share of rate requests/s split across n attackers: rate/n, one more
// for each of the first rate%n, so that the shares add up to rate.
func Share(rate, n, i int) int {
	if n <= 0 || i < 0 || i >= n {
		return 0
	}
	s := rate / n
	if i < rate%n {
		s++
	}
	return s
}

// Stream attacks as Run does — the same client, pacing and classification, bounded by
// o.Duration and o.Timeout — and writes each result to w in vegeta's CSV encoding as it
// comes, instead of tallying it: its Attack is name, its headers only the answer's X-Pod
// and, for a failure without a status code, its class (ClassHeader). It ends when
// o.Duration has passed, o.Stop is closed or ctx is done (Summary.Interrupted), after the
// requests in flight have been answered. The error is for bad options or a broken w.
// o.Pacer, o.Commands, o.Watch, o.Progress and o.Upstream are not used.
func Stream(ctx context.Context, o Options, name string, w io.Writer) (Summary, error) {
	sum := Summary{Attacker: name}
	if o.Pacer != nil {
		return sum, errors.New("a streamed attack runs at a constant rate: no pacer")
	}
	if err := o.check(); err != nil {
		return sum, err
	}
	c, tr := client(&o)
	attacker := vegeta.NewAttacker(vegeta.Client(c), vegeta.Workers(o.Workers), vegeta.MaxWorkers(o.MaxWorkers), vegeta.MaxBody(0))
	targeter := vegeta.NewStaticTargeter(vegeta.Target{Method: o.Method, URL: o.Target, Header: o.Header, Body: o.Body})
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
		case <-o.Stop:
		case <-done:
			return
		}
		attacker.Stop()
	}()
	bw := bufio.NewWriter(w)
	enc := vegeta.NewCSVEncoder(bw)
	var werr error
	flushed := time.Now()
	for res := range attacker.Attack(targeter, vegeta.ConstantPacer{Freq: o.Rate, Per: time.Second}, o.Duration, name) {
		class, _ := failure(res, tr)
		sum.count(class)
		if werr != nil {
			continue // keep draining: vegeta waits for its results to be read
		}
		werr = enc.Encode(trim(res, class, name))
		if werr == nil && time.Since(flushed) >= streamFlush {
			werr, flushed = bw.Flush(), time.Now()
		}
	}
	if werr == nil {
		werr = bw.Flush()
	}
	sum.Interrupted = ctx.Err() != nil || closed(o.Stop)
	if werr != nil {
		return sum, fmt.Errorf("write results: %w", werr)
	}
	return sum, nil
}

// streamFlush is how often Stream writes out what it has buffered, at most: results reach
// the collector this late, in a few large writes rather than one per request.
const streamFlush = 100 * time.Millisecond

// closed says whether c is closed (false for nil).
func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// trim is res as Stream sends it: no body, the headers the collector reads, an error text
// on one line.
func trim(res *vegeta.Result, class result.Class, name string) *vegeta.Result {
	out := &vegeta.Result{
		Attack: name, Seq: res.Seq, Code: res.Code, Timestamp: res.Timestamp, Latency: res.Latency,
		BytesOut: res.BytesOut, BytesIn: res.BytesIn, Method: res.Method, URL: res.URL,
		Error: strings.ReplaceAll(res.Error, "\n", " "),
	}
	h := http.Header{}
	if pod := res.Headers.Get(podHeader); pod != "" {
		h.Set(podHeader, pod)
	}
	if class != "" && res.Code == 0 {
		h.Set(ClassHeader, string(class))
	}
	if len(h) > 0 {
		out.Headers = h
	}
	return out
}

// DecodeLine decodes one line of Stream's output (vegeta's CSV encoding, no newline).
func DecodeLine(line string) (*vegeta.Result, error) {
	var res vegeta.Result
	if err := vegeta.NewCSVDecoder(strings.NewReader(line)).Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Streamed is the class of a result decoded from Stream's output: "" for a success, the
// status code's class when it has one, else the class the attacker sent in ClassHeader
// (Other when it sent none it knows).
func Streamed(res *vegeta.Result) result.Class {
	if res.Error == "" {
		return ""
	}
	if res.Code != 0 {
		c, _ := ClassifyStatus(int(res.Code))
		return c
	}
	if c := result.Class(res.Headers.Get(ClassHeader)); slices.Contains(result.Classes, c) {
		return c
	}
	return result.Other
}
