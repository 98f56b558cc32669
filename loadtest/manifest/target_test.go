package manifest

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

// target builds a Deployment whose pod template has the annotations and the one container.
func target(ct corev1.Container, annotations map[string]string) Target {
	d := &appsv1.Deployment{}
	d.Name = "web"
	d.Spec.Template.Annotations = annotations
	d.Spec.Template.Spec.Containers = []corev1.Container{ct}
	w, _ := WorkloadOf(d)
	return w.Targets()[0]
}

func TestDeclared(t *testing.T) {
	t.Parallel()
	ann := map[string]string{"scalelab.dev/shutdown-delay": "4s"}
	tests := []struct {
		name   string
		ct     corev1.Container
		ann    map[string]string
		want   time.Duration
		wantOK bool
	}{
		{"the annotation", corev1.Container{Name: "web"}, ann, 4 * time.Second, true},
		{"hello's flag wins", corev1.Container{Name: "web", Args: []string{"--shutdown-delay=1s"}}, ann, time.Second, true},
		{"hello's env wins", corev1.Container{Name: "web", Env: []corev1.EnvVar{{Name: "HELLO_SHUTDOWN_DELAY", Value: "2s"}}}, ann, 2 * time.Second, true},
		{"undeclared", corev1.Container{Name: "web"}, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, ok, err := target(tt.ct, tt.ann).Declared("shutdown-delay")
			if err != nil || d != tt.want || ok != tt.wantOK {
				t.Errorf("Declared = %s, %v, %v; want %s, %v", d, ok, err, tt.want, tt.wantOK)
			}
		})
	}
}

func TestTargetShutdown(t *testing.T) {
	t.Parallel()
	script := &corev1.Lifecycle{PreStop: &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: []string{"/drain.sh"}}}}
	tests := []struct {
		name                  string
		ct                    corev1.Container
		ann                   map[string]string
		want                  Shutdown
		preStop, delay, drain bool // whether each note is set
	}{
		{name: "hello's defaults", ct: corev1.Container{Name: "hello"},
			want: Shutdown{Drain: 30 * time.Second, Grace: 30 * time.Second}},
		{name: "an app declares nothing", ct: corev1.Container{Name: "web"},
			want: Shutdown{Grace: 30 * time.Second}, delay: true, drain: true},
		{name: "an app declares by annotations", ct: corev1.Container{Name: "web"},
			ann:  map[string]string{"scalelab.dev/shutdown-delay": "5s", "scalelab.dev/drain-timeout": "10s"},
			want: Shutdown{Delay: 5 * time.Second, Drain: 10 * time.Second, Grace: 30 * time.Second}},
		{name: "a script for a hook", ct: corev1.Container{Name: "web", Lifecycle: script, Args: []string{"--shutdown-delay=3s", "--drain-timeout=1s"}},
			want: Shutdown{PreStop: PreStop{Kind: PreStopOther}, Delay: 3 * time.Second, Drain: time.Second, Grace: 30 * time.Second}, preStop: true},
		{name: "a flag that is no duration", ct: corev1.Container{Name: "web", Args: []string{"--drain-timeout=10"}},
			want: Shutdown{Grace: 30 * time.Second}, delay: true, drain: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := target(tt.ct, tt.ann).Shutdown()
			notes := [3]bool{s.PreStopNote != "", s.DelayNote != "", s.DrainNote != ""}
			s.PreStopNote, s.DelayNote, s.DrainNote = "", "", ""
			if s != tt.want || notes != [3]bool{tt.preStop, tt.delay, tt.drain} {
				t.Errorf("Shutdown() = %+v, notes %v; want %+v, notes %v", s, notes, tt.want, [3]bool{tt.preStop, tt.delay, tt.drain})
			}
		})
	}
}
