package report

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"scalelab/loadtest/explain"
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

// Verdict is the headline of a run: PASS or FAIL when gates were judged, INVALID with
// why when it proves nothing (result.Run.Outcome), and what failed, e.g. "FAIL: 221 of
// 60000 requests failed (99.632% success)".
func Verdict(r *result.Run) string {
	st := r.Outcome()
	s := st.Word() + ": "
	if st == result.StatusInvalid {
		s += strings.Join(r.Invalid, "; ") + " — "
	}
	s += fmt.Sprintf("%d of %d requests failed (%s success)", r.Failed(), r.Requests, result.Percent(r.Success))
	if r.Interrupted && st != result.StatusInvalid {
		s += ", stopped" // by Ctrl-C, its end when it ran until stopped
	}
	return s
}

// mark is the sign before a headline: ✅ pass, ❌ fail, ⚠️ invalid, none when unjudged.
func mark(st result.Status) string {
	switch st {
	case result.StatusPass:
		return "✅ "
	case result.StatusFail:
		return "❌ "
	case result.StatusInvalid:
		return "⚠️ "
	}
	return ""
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

// Window is a burst of failures on a run's timeline and what explains it: the last event
// before it and, where the path could tell, the pods its failures went to (result.Window).
type Window = result.Window

// Windows finds the error windows of r and attributes each (explain.Windows).
func Windows(r *result.Run) []Window { return explain.Windows(r) }

// BlameLine is one attribution of a window in a line: "2.000s–2.250s hello-a: SIGTERM
// at ...: 9 × 502".
func BlameLine(w Window, b result.Blame) string {
	return fmt.Sprintf("%s–%s %s: %s", Offset(w.From), Offset(w.To), cmp.Or(b.Pod, "?"), b.Text)
}
