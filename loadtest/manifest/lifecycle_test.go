package manifest

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// config builds a Config around one hello container, as Render would leave it.
func config(ct corev1.Container, spec appsv1.DeploymentSpec) *Config {
	ct.Name = ContainerName
	spec.Template.Spec.Containers = []corev1.Container{ct}
	d := &appsv1.Deployment{Spec: spec}
	return &Config{Deployment: d, Container: &d.Spec.Template.Spec.Containers[0]}
}

func TestHelloFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		args   []string
		env    []corev1.EnvVar
		flag   string
		want   string
		wantOK bool
	}{
		{"equals", []string{"--shutdown-delay=5s"}, nil, "shutdown-delay", "5s", true},
		{"separate value", []string{"--shutdown-delay", "5s", "--drain-timeout=1s"}, nil, "shutdown-delay", "5s", true},
		{"last wins", []string{"--shutdown-delay=5s", "--shutdown-delay=2s"}, nil, "shutdown-delay", "2s", true},
		{"bare bool", []string{"--listen-early", "--startup-delay=1s"}, nil, "listen-early", "true", true},
		{"bool with value", []string{"--listen-early=false"}, nil, "listen-early", "false", true},
		{"prefix is another flag", []string{"--max-delay-x=1s"}, nil, "max-delay", "", false},
		{"value looks like a flag name", []string{"--addr", "--shutdown-delay"}, nil, "shutdown-delay", "", false},
		{"env", nil, []corev1.EnvVar{{Name: "HELLO_SHUTDOWN_DELAY", Value: "3s"}}, "shutdown-delay", "3s", true},
		{"flag wins over env", []string{"--shutdown-delay=1s"}, []corev1.EnvVar{{Name: "HELLO_SHUTDOWN_DELAY", Value: "3s"}}, "shutdown-delay", "1s", true},
		{"unset", []string{"--request-delay=1s"}, nil, "shutdown-delay", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config(corev1.Container{Args: tt.args, Env: tt.env}, appsv1.DeploymentSpec{})
			got, ok := c.HelloFlag(tt.flag)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("HelloFlag(%q) = %q, %v; want %q, %v", tt.flag, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestHelloDurationErrors(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"--drain-timeout=soon", "--drain-timeout=-1s"} {
		c := config(corev1.Container{Args: []string{arg}}, appsv1.DeploymentSpec{})
		if _, err := c.HelloDuration("drain-timeout"); err == nil {
			t.Errorf("HelloDuration with %s: no error", arg)
		}
	}
}

func TestStrategy(t *testing.T) {
	t.Parallel()
	is := func(i int) *intstr.IntOrString { v := intstr.FromInt32(int32(i)); return &v }
	pct := func(s string) *intstr.IntOrString { v := intstr.FromString(s); return &v }
	tests := []struct {
		name        string
		replicas    *int32
		strategy    appsv1.DeploymentStrategy
		surge, unav int32
	}{
		{"defaults of 3 replicas", ptr.To[int32](3), appsv1.DeploymentStrategy{}, 1, 0},
		{"defaults of 4 replicas", ptr.To[int32](4), appsv1.DeploymentStrategy{}, 1, 1},
		{"replicas unset", nil, appsv1.DeploymentStrategy{}, 1, 0},
		{"numbers", ptr.To[int32](3), appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: is(2), MaxUnavailable: is(1)}}, 2, 1},
		{"percent rounding", ptr.To[int32](3), appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: pct("50%"), MaxUnavailable: pct("50%")}}, 2, 1},
		{"both zero", ptr.To[int32](3), appsv1.DeploymentStrategy{RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: is(0), MaxUnavailable: is(0)}}, 0, 1},
		{"recreate", ptr.To[int32](3), appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := config(corev1.Container{}, appsv1.DeploymentSpec{Replicas: tt.replicas, Strategy: tt.strategy})
			if s, u := c.Strategy(); s != tt.surge || u != tt.unav {
				t.Errorf("Strategy() = %d, %d; want %d, %d", s, u, tt.surge, tt.unav)
			}
		})
	}
}

func TestPreStop(t *testing.T) {
	t.Parallel()
	exec := func(cmd ...string) *corev1.LifecycleHandler {
		return &corev1.LifecycleHandler{Exec: &corev1.ExecAction{Command: cmd}}
	}
	get := &corev1.HTTPGetAction{Path: "/drain", Port: intstr.FromInt32(8080)}
	tests := []struct {
		name    string
		hook    *corev1.LifecycleHandler
		want    PreStop
		wantErr bool
	}{
		{"none", nil, PreStop{}, false},
		{"native sleep", &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: 5}}, PreStop{Kind: PreStopSleep, Sleep: 5 * time.Second}, false},
		{"sleep seconds", exec("sleep", "5"), PreStop{Kind: PreStopExecSleep, Sleep: 5 * time.Second}, false},
		{"sleep fraction", exec("/bin/sleep", "0.5"), PreStop{Kind: PreStopExecSleep, Sleep: 500 * time.Millisecond}, false},
		{"shell sleep", exec("/bin/sh", "-c", "sleep 5"), PreStop{Kind: PreStopExecSleep, Sleep: 5 * time.Second}, false},
		{"hello sleep", exec("/hello", "sleep", "1500ms"), PreStop{Kind: PreStopExecSleep, Sleep: 1500 * time.Millisecond}, false},
		{"httpGet", &corev1.LifecycleHandler{HTTPGet: get}, PreStop{Kind: PreStopHTTPGet, HTTPGet: get}, false},
		{"shell that does more", exec("sh", "-c", "sleep 5; kill 1"), PreStop{}, true},
		{"other command", exec("nginx", "-s", "quit"), PreStop{}, true},
		{"bad sleep", exec("sleep", "forever"), PreStop{}, true},
		{"tcpSocket", &corev1.LifecycleHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(8080)}}, PreStop{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ct := corev1.Container{}
			if tt.hook != nil {
				ct.Lifecycle = &corev1.Lifecycle{PreStop: tt.hook}
			}
			got, err := config(ct, appsv1.DeploymentSpec{}).PreStop()
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("PreStop() = %+v, %v; want %+v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestGracePeriod(t *testing.T) {
	t.Parallel()
	if g := config(corev1.Container{}, appsv1.DeploymentSpec{}).GracePeriod(); g != 30*time.Second {
		t.Errorf("default GracePeriod() = %s, want 30s", g)
	}
	spec := appsv1.DeploymentSpec{}
	spec.Template.Spec.TerminationGracePeriodSeconds = ptr.To[int64](7)
	if g := config(corev1.Container{}, spec).GracePeriod(); g != 7*time.Second {
		t.Errorf("GracePeriod() = %s, want 7s", g)
	}
}
