package kube

import (
	"testing"
	"time"

	"scalelab/loadtest/result"
)

// Lines of `kubectl logs --timestamps` of hello, in its JSON and its text format (as it
// writes them), and lines that are no step.
func TestHelloStep(t *testing.T) {
	t.Parallel()
	const stamp = "2026-11-30T08:04:50.768379205Z"
	at, _ := time.Parse(time.RFC3339Nano, stamp)
	for _, tc := range []struct {
		line, step string
	}{
		{stamp + ` {"time":"2026-11-30T08:04:50.768Z","level":"INFO","msg":"listening","addr":":8080","state":"ready","in_flight":0}`, result.StepListening},
		{stamp + ` {"time":"2026-11-30T08:04:51.264Z","level":"INFO","msg":"signal: not ready, keep-alives off","signal":"terminated","shutdown_delay":"0s"}`, result.StepSIGTERM},
		{stamp + ` time=2026-11-30T08:04:51.279Z level=INFO msg=listening addr=:8080 state=ready in_flight=0`, result.StepListening},
		{stamp + ` time=2026-11-30T08:04:51.771Z level=INFO msg="signal: not ready, keep-alives off" signal=terminated`, result.StepSIGTERM},
		{stamp + ` {"time":"2026-11-30T08:04:50.768Z","level":"INFO","msg":"ready"}`, ""},
		{stamp + ` 10.0.0.1 - GET /listening 200`, ""},
		{`{"msg":"listening"}`, ""}, // no stamp: not a line of logs --timestamps
	} {
		got, step, _, ok := helloStep(tc.line)
		if ok != (tc.step != "") || step != tc.step || ok && !got.Equal(at) {
			t.Errorf("%s: %v %q %v, want %q at %v", tc.line, got, step, ok, tc.step, at)
		}
	}
}
