package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/result"
)

// Present lists, in report order (502 first), the classes with a failure in any of cs.
// A table of runs or matrix cells uses it for its columns.
func Present(cs ...result.Counts) []result.Class {
	var out []result.Class
	for _, c := range result.Classes {
		for _, counts := range cs {
			if counts[c] > 0 {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// FormatCounts is "502 221, refused 3" in report order; "none" for no failure.
func FormatCounts(c result.Counts) string {
	var parts []string
	for _, class := range Present(c) {
		parts = append(parts, fmt.Sprintf("%s %d", class, c[class]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

// Verdict is the headline of a run: PASS or FAIL when gates were judged, and what
// failed, e.g. "FAIL: 221 of 60000 requests failed (99.632% success)".
func Verdict(r *result.Run) string {
	word := "RESULT"
	if len(r.Gates) > 0 {
		word = "FAIL"
		if r.Passed() {
			word = "PASS"
		}
	}
	s := fmt.Sprintf("%s: %d of %d requests failed (%s success)", word, r.Failed(), r.Requests, result.Percent(r.Success))
	if r.Interrupted {
		s += ", interrupted"
	}
	return s
}

// Offset is an offset on the timeline, to the millisecond: "30.250s".
func Offset(d time.Duration) string { return fmt.Sprintf("%.3fs", d.Seconds()) }

// Latency is a latency rounded to what a reader can use: 412µs, 12.35ms, 5.001s.
func Latency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(10 * time.Microsecond).String()
	}
	return d.Round(time.Millisecond).String()
}

// Pods is "hello-a 300, hello-b 299" in name order; "none" for no X-Pod seen.
func Pods(p map[string]int) string {
	if len(p) == 0 {
		return "none"
	}
	var parts []string
	for _, name := range slices.Sorted(maps.Keys(p)) {
		parts = append(parts, fmt.Sprintf("%s %d", name, p[name]))
	}
	return strings.Join(parts, ", ")
}

// Window is a burst of failures on a run's timeline: consecutive failing intervals,
// with gaps shorter than windowGap merged, and the last event before it began.
type Window struct {
	From, To time.Duration
	Errors   result.Counts
	After    *result.Event // the last event at or before the window's first failure
}

// windowGap is the quiet time that separates two windows.
const windowGap = time.Second

// Windows finds the error windows of r.
func Windows(r *result.Run) []Window {
	var out []Window
	for _, iv := range r.Timeline {
		if iv.Errors.Total() == 0 {
			continue
		}
		end := iv.Start + r.Interval
		if n := len(out); n > 0 && iv.Start-out[n-1].To < windowGap {
			out[n-1].To = end
			out[n-1].Errors.Add(iv.Errors)
			continue
		}
		w := Window{From: iv.Start, To: end, Errors: result.Counts{}}
		w.Errors.Add(iv.Errors)
		out = append(out, w)
	}
	for i := range out {
		out[i].After = cause(r, out[i])
	}
	return out
}

// cause is the last event before w's first failure: a command, an action or a pod or
// endpoint transition; a phase of the run only when there is none of those.
func cause(r *result.Run, w Window) *result.Event {
	var last, lastPhase *result.Event
	for j := range r.Events {
		e := &r.Events[j]
		switch {
		case e.At >= w.To || e.At > w.From+r.Interval:
		case e.Kind == result.EventPhase:
			lastPhase = later(lastPhase, e)
		default:
			last = later(last, e)
		}
	}
	if last == nil {
		return lastPhase
	}
	return last
}

func later(a, b *result.Event) *result.Event {
	if a == nil || b.At >= a.At {
		return b
	}
	return a
}

// Cause says which event a window followed and how long after: `0.250s after command
// "kubectl rollout restart deploy/hello"`; "" when none did.
func (w Window) Cause() string {
	if w.After == nil {
		return ""
	}
	lag := max(w.From-w.After.At, 0)
	return fmt.Sprintf("%s after %s %q", Offset(lag), w.After.Kind, result.Short(w.After.Name, 60))
}
