package result

import (
	"encoding/json"
	"testing"
)

// A summary.json of schema 2 has events with only a name; reading it fills their pod and
// step, for the lab's words and for kube's.
func TestRunReadsSchema2Events(t *testing.T) {
	t.Parallel()
	doc := `{"schema":2,"events":[
		{"at":1,"kind":"pod","name":"hello-a SIGTERM"},
		{"at":2,"kind":"endpoint","name":"hello-a endpoint removed (ingress)"},
		{"at":3,"kind":"pod","name":"hello-a deleted"},
		{"at":4,"kind":"pod","name":"web-b container exited 0 (Completed)"},
		{"at":5,"kind":"endpoint","name":"web-b endpoint not ready, serving, terminating"},
		{"at":6,"kind":"pod","name":"web-b deletion requested (grace 30s): preStop, then SIGTERM"},
		{"at":7,"kind":"endpoint","name":"web-c endpoint added (ready)"},
		{"at":8,"kind":"action","name":"scale to 1"},
		{"at":9,"kind":"pod","name":"hello-a back-off 10s"}]}`
	var r Run
	if err := json.Unmarshal([]byte(doc), &r); err != nil {
		t.Fatal(err)
	}
	want := []struct{ pod, step, via, kind string }{
		{"hello-a", StepSIGTERM, "", EventPod}, {"hello-a", StepUnrouted, ViaIngress, EventRoute},
		{"hello-a", StepGone, "", EventPod}, {"web-b", StepExited, "", EventPod},
		{"web-b", StepEndpointTerminating, "", EventEndpoint}, {"web-b", StepDeleting, "", EventPod},
		{"web-c", StepEndpointReady, "", EventEndpoint}, {"", "", "", EventAction}, {"hello-a", "", "", EventPod},
	}
	for i, e := range r.Events {
		if w := want[i]; e.Pod != w.pod || e.Step != w.step || e.Via != w.via || e.Kind != w.kind {
			t.Errorf("%q: pod %q step %q via %q kind %q, want %+v", e.Name, e.Pod, e.Step, e.Via, e.Kind, w)
		}
	}
	// A run of this schema is read as written: a name is not read again.
	var r3 Run
	if err := json.Unmarshal([]byte(`{"schema":3,"events":[{"kind":"pod","name":"hello-a SIGTERM"}]}`), &r3); err != nil || r3.Events[0].Pod != "" {
		t.Errorf("schema 3 read: %+v, %v", r3.Events, err)
	}
}
