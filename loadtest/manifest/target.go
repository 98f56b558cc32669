package manifest

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"scalelab/internal/helloflag"
)

// AnnotationPrefix names the pod-template annotations by which an app that is not hello
// declares what hello's duration flags say for hello: scalelab.dev/startup-delay (how long
// it takes to turn ready), scalelab.dev/request-delay (the longest request it answers),
// scalelab.dev/shutdown-delay (how long it keeps serving after SIGTERM) and
// scalelab.dev/drain-timeout (how long it then waits for the requests in flight). A
// container's own hello flag wins over the annotation; the annotations count for every
// container of the pod.
const AnnotationPrefix = "scalelab.dev/"

// declarable are the settings the annotations may declare.
var declarable = []string{"startup-delay", "request-delay", "shutdown-delay", "drain-timeout"}

// Target is one container of a workload's pod template: what the per-container rules judge
// and, for the lab, the hello process it runs.
type Target struct {
	Workload *Workload
	Spec     *corev1.Container
}

// Targets are the workload's app containers, in order. Init containers are not among them,
// nor native sidecars (init containers with restartPolicy Always: see Roles).
func (w *Workload) Targets() []Target {
	ts := make([]Target, 0, len(w.Template.Spec.Containers))
	for i := range w.Template.Spec.Containers {
		ts = append(ts, Target{Workload: w, Spec: &w.Template.Spec.Containers[i]})
	}
	return ts
}

// String is the workload and the container: deployment/web[envoy].
func (t Target) String() string { return t.Workload.String() + "[" + t.Spec.Name + "]" }

// IsHello reports whether the container is hello, by its name: its unset flags then have
// hello's defaults (a drain timeout of 30 s); any other container's are undeclared.
func (t Target) IsHello() bool { return t.Spec.Name == ContainerName }

// field is the container's path in its workload, for error messages.
func (t Target) field() string { return "spec.template.spec.containers[" + t.Spec.Name + "]" }

// helloBoolFlags are hello's flags that take no value.
var helloBoolFlags = map[string]bool{"listen-early": true}

// HelloFlag is the value of one of hello's flags (name without dashes, e.g.
// "shutdown-delay") as the container would see it: from the args (--name=v or --name v,
// the last one wins, a bare boolean flag is "true"), else from the env HELLO_NAME. Any
// container that sets them counts, hello or not.
func (t Target) HelloFlag(name string) (string, bool) {
	args := t.Spec.Args
	val, found := "", false
	// Walk the args as pflag does: a non-boolean flag without "=" takes the next arg.
	for i := 0; i < len(args); i++ {
		flag, ok := strings.CutPrefix(args[i], "--")
		if !ok {
			continue
		}
		key, v, hasValue := strings.Cut(flag, "=")
		if !hasValue && !helloBoolFlags[key] && i+1 < len(args) {
			i++
			v, hasValue = args[i], true
		}
		if key != name {
			continue
		}
		switch {
		case hasValue:
			val, found = v, true
		case helloBoolFlags[key]:
			val, found = "true", true
		}
	}
	if found {
		return val, true
	}
	env := helloflag.Env(name)
	for _, e := range t.Spec.Env {
		if e.Name == env && e.ValueFrom == nil {
			return e.Value, true
		}
	}
	return "", false
}

// HelloDuration is a duration flag of hello (see HelloFlag), 0 when unset.
func (t Target) HelloDuration(name string) (time.Duration, error) {
	v, ok := t.HelloFlag(name)
	if !ok {
		return 0, nil
	}
	d, err := parseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: hello flag --%s: %w", t.field(), name, err)
	}
	return d, nil
}

// Declared is one of the declarable settings (startup-delay, request-delay,
// shutdown-delay, drain-timeout) as the container declares it: hello's flag, else the pod
// template's annotation AnnotationPrefix+name. ok is false when neither says; the error is
// a flag or annotation that is not a duration.
func (t Target) Declared(name string) (d time.Duration, ok bool, err error) {
	if _, set := t.HelloFlag(name); set {
		d, err = t.HelloDuration(name)
		return d, err == nil, err
	}
	return annotation(t.Workload, name)
}

// annotation reads the pod template's annotation AnnotationPrefix+name as a duration.
func annotation(w *Workload, name string) (time.Duration, bool, error) {
	v, ok := w.Template.Annotations[AnnotationPrefix+name]
	if !ok {
		return 0, false, nil
	}
	d, err := parseDuration(v)
	if err != nil {
		return 0, false, fmt.Errorf("%s: spec.template.metadata.annotations[%s%s]: %w", w, AnnotationPrefix, name, err)
	}
	return d, true, nil
}

// Setting is Declared for the timings and the linter's rules (package lint): 0 when
// undeclared or unreadable, with a note saying so (none for hello, whose unset flags have
// their defaults).
func (t Target) Setting(name string) (time.Duration, string) {
	d, ok, err := t.Declared(name)
	switch {
	case err != nil:
		return 0, fmt.Sprintf("%v: counted as 0", err)
	case !ok && !t.IsHello():
		return 0, fmt.Sprintf("no %s%s: counted as 0", AnnotationPrefix, name)
	}
	return d, ""
}

func parseDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, err
	}
	if d < 0 {
		return 0, fmt.Errorf("negative duration %s", v)
	}
	return d, nil
}
