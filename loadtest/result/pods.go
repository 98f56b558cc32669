package result

import (
	"encoding/json"
	"strings"
)

// The steps of a pod's life, as Event.Step names them on every platform: what the
// timeline's pod rows draw and what a window's attribution reasons with.
const (
	StepCreated   = "created"   // the pod exists; no container runs yet
	StepStarted   = "started"   // a container started (again, after a restart)
	StepListening = "listening" // its server accepts connections (read from its own log)
	StepReady     = "ready"     // the pod's Ready condition turned true
	StepNotReady  = "not ready" // ... and false

	StepEndpointReady       = "endpoint ready"       // its endpoint is published ready (serving)
	StepEndpointNotReady    = "endpoint not ready"   // published not ready, not terminating
	StepEndpointTerminating = "endpoint terminating" // published terminating (serving or not)
	StepEndpointRemoved     = "endpoint removed"     // gone from the EndpointSlice

	StepRouted   = "routed"   // a proxy (Event.Via) routes to it now: its own view
	StepUnrouted = "unrouted" // ... and no longer

	StepDeleting   = "deleting"   // its deletion was requested: preStop, then SIGTERM
	StepSIGTERM    = "SIGTERM"    // the container's process got SIGTERM
	StepSIGKILL    = "SIGKILL"    // ... SIGKILL: the grace period ran out
	StepExited     = "exited"     // the container's process ended (any status)
	StepGone       = "gone"       // the pod is gone: its address has no one behind it
	StepUnanswered = "unanswered" // gone while a proxy still routes there: no answer at all
)

// PodCounts are failed requests by the pod they went to, each by class.
type PodCounts map[string]Counts

// Add counts n failures of class c that went to pod.
func (p PodCounts) Add(pod string, c Class, n int) {
	if p[pod] == nil {
		p[pod] = Counts{}
	}
	p[pod][c] += n
}

// UnmarshalJSON reads a run of any schema: its timeline by column or by slot
// (readTimeline); before 3 an event had no pod, step nor via, so those are read from its
// name (ReadSteps).
func (r *Run) UnmarshalJSON(b []byte) error {
	type plain Run
	v := struct {
		*plain
		Timeline json.RawMessage `json:"timeline"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	tl, err := readTimeline(v.Timeline)
	if err != nil {
		return err
	}
	r.Timeline = tl
	if r.Schema < 3 {
		ReadSteps(r.Events)
	}
	return nil
}

// ReadSteps fills the pod, step and via of each pod, endpoint or route event that has no
// pod from its name, as the lab and the kube platform of schema 2 worded them: "<pod>
// SIGTERM", "<pod> endpoint removed (ingress)", "<pod> container exited 0 (Completed)".
// An event whose words it does not know keeps its pod and no step.
func ReadSteps(events []Event) {
	for i := range events {
		e := &events[i]
		if e.Pod != "" || e.Kind != EventPod && e.Kind != EventEndpoint && e.Kind != EventRoute {
			continue
		}
		pod, rest, ok := strings.Cut(e.Name, " ")
		if !ok {
			continue
		}
		e.Pod = pod
		e.Step, e.Via = oldStep(rest)
		if e.Via != "" {
			e.Kind = EventRoute
		}
	}
}

// oldStep reads the step from what follows the pod's name in a schema-2 event.
func oldStep(rest string) (step, via string) {
	has := func(p string) bool { return strings.HasPrefix(rest, p) }
	switch {
	case rest == "created", rest == "ready", rest == "not ready", rest == "SIGTERM", rest == "SIGKILL", rest == "gone":
		return rest, ""
	case rest == "started", rest == "container started", has("container restarted"):
		return StepStarted, ""
	case has("exited "), rest == "killed", has("container exited "):
		return StepExited, ""
	case rest == "deleted":
		return StepGone, ""
	case rest == "deleting", has("deletion requested"):
		return StepDeleting, ""
	case rest == "address unanswered":
		return StepUnanswered, ""
	case has("endpoint added (") || has("endpoint removed ("):
		// the lab's proxies ("(service)", "(ingress)"), or kube's slice ("(ready)")
		word, in, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(rest, "endpoint "), ")"), " (")
		if in == ViaService || in == ViaIngress {
			if word == "added" {
				return StepRouted, in
			}
			return StepUnrouted, in
		}
		return endpointStep(in), ""
	case rest == "endpoint removed":
		return StepEndpointRemoved, ""
	case has("endpoint "):
		return endpointStep(strings.TrimPrefix(rest, "endpoint ")), ""
	}
	return "", ""
}

// endpointStep is the step of an endpoint's conditions in words: "ready", "not ready",
// "not ready, serving, terminating".
func endpointStep(words string) string {
	switch {
	case strings.Contains(words, "terminating"):
		return StepEndpointTerminating
	case strings.HasPrefix(words, "ready"):
		return StepEndpointReady
	}
	return StepEndpointNotReady
}
