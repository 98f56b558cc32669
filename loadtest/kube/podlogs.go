package kube

import (
	"bufio"
	"context"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"scalelab/loadtest/result"
)

// hello says in its own log when it listens and when its signal came; the API says neither
// (a container "started" is not a port that accepts connections, and a deletion is not the
// signal, which waits for preStop). So from each container's start its log is followed, as
// `kubectl logs -f --timestamps` does, and those lines become timeline events at the
// moments the runtime stamped them: "listening" and "SIGTERM" on the pod's row of the
// timeline, as the lab draws them. A container that is not hello logs neither line and
// adds nothing.

// helloSteps are the messages of hello's log (its JSON "msg", or msg= in text) that are
// steps, with the words the timeline gives them.
var helloSteps = []struct{ msg, step, words string }{
	{"listening", result.StepListening, "listening"},
	{"signal: not ready, keep-alives off", result.StepSIGTERM, "SIGTERM (its log)"},
	{"signal during startup: stopping", result.StepSIGTERM, "SIGTERM (its log)"},
}

// followLog follows the log of the pod's container (the first when "") from its start
// until it ends or ctx does, and puts hello's steps on the observed log, if any. A log
// that cannot be read adds nothing: the run goes on with the API's events alone.
func (c *Cluster) followLog(ctx context.Context, pod, container string) {
	opts := &corev1.PodLogOptions{Container: container, Follow: true, Timestamps: true}
	r, err := c.cs.CoreV1().Pods(c.ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return
	}
	defer r.Close()
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if at, step, words, ok := helloStep(sc.Text()); ok {
			c.putAt(at, result.Event{Kind: result.EventPod, Name: pod + " " + words, Pod: pod, Step: step})
		}
	}
}

// helloStep reads one line of `logs --timestamps`: the runtime's RFC 3339 stamp, a space,
// the line hello wrote. ok when that line is one of helloSteps.
func helloStep(line string) (at time.Time, step, words string, ok bool) {
	stamp, text, found := strings.Cut(line, " ")
	if !found {
		return time.Time{}, "", "", false
	}
	for _, s := range helloSteps {
		if strings.Contains(text, `"msg":"`+s.msg+`"`) || strings.Contains(text, `msg="`+s.msg+`"`) || strings.Contains(text, " msg="+s.msg+" ") {
			at, err := time.Parse(time.RFC3339Nano, stamp)
			return at, s.step, s.words, err == nil
		}
	}
	return time.Time{}, "", "", false
}
