package manifest

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// containerField is the path of the hello container in a Deployment, for error messages.
const containerField = "spec.template.spec.containers[" + ContainerName + "]"

// Kinds of PreStop.
const (
	PreStopNone      = ""           // no preStop hook
	PreStopSleep     = "sleep"      // the native sleep action (lifecycle.preStop.sleep)
	PreStopExecSleep = "exec-sleep" // an exec hook that only sleeps: sleep N, sh -c "sleep N", hello sleep D
	PreStopHTTPGet   = "httpGet"    // an HTTP GET to the container
	PreStopOther     = "other"      // any other hook: an exec that does more than sleep, a tcpSocket
)

// PreStop is a container's preStop hook, reduced to how long it holds the shutdown back.
type PreStop struct {
	Kind    string                // one of the PreStop* kinds
	Sleep   time.Duration         // how long a sleep or exec-sleep hook sleeps
	HTTPGet *corev1.HTTPGetAction // the request of an httpGet hook
}

// Replicas is the workload's replica count (1 when unset, as Kubernetes defaults it).
func (c *Config) Replicas() int32 { return c.Owner().Replicas() }

// Strategy is how many pods a rollout may add and take away (Workload.Strategy).
func (c *Config) Strategy() (maxSurge, maxUnavailable int32) { return c.Owner().Strategy() }

// GracePeriod is the pods' terminationGracePeriodSeconds (30 s when unset).
func (c *Config) GracePeriod() time.Duration { return c.Owner().GracePeriod() }

// Owner is the workload that owns the configuration's pods: c.Workload, or, for a Config
// built by hand with only a Deployment, that Deployment.
func (c *Config) Owner() *Workload {
	if c.Workload == nil && c.Deployment != nil {
		w, _ := WorkloadOf(c.Deployment)
		return w
	}
	return c.Workload
}

// target is the container the lab runs, in its workload.
func (c *Config) target() Target { return Target{Workload: c.Owner(), Spec: c.Container} }

// HelloFlag is the value of one of hello's flags for the hello container (Target.HelloFlag).
func (c *Config) HelloFlag(name string) (string, bool) { return c.target().HelloFlag(name) }

// HelloDuration is a duration flag of hello (see HelloFlag), 0 when unset.
func (c *Config) HelloDuration(name string) (time.Duration, error) {
	return c.target().HelloDuration(name)
}

// PreStop reads the hello container's preStop hook. Hooks the lab cannot run (an exec that
// does more than sleep, a tcpSocket) are an error naming the field.
func (c *Config) PreStop() (PreStop, error) {
	ps, err := c.target().PreStop()
	if err != nil {
		return PreStop{}, fmt.Errorf("%w (the lab runs only sleep, exec (a sleep) and httpGet hooks)", err)
	}
	return ps, nil
}

// PreStop reads the container's preStop hook. An exec hook that is not a recognisable
// sleep, or a tcpSocket hook (which the kubelet does not run), is PreStopOther: it sleeps
// 0, and the error says why, naming the field. A negative sleep is an error too.
func (t Target) PreStop() (PreStop, error) {
	lc := t.Spec.Lifecycle
	if lc == nil || lc.PreStop == nil {
		return PreStop{}, nil
	}
	h := lc.PreStop
	field := t.field() + ".lifecycle.preStop"
	switch {
	case h.Sleep != nil:
		if h.Sleep.Seconds < 0 {
			return PreStop{Kind: PreStopOther}, fmt.Errorf("%s.sleep.seconds: negative", field)
		}
		return PreStop{Kind: PreStopSleep, Sleep: time.Duration(h.Sleep.Seconds) * time.Second}, nil
	case h.Exec != nil:
		d, err := execSleep(h.Exec.Command)
		if err != nil {
			return PreStop{Kind: PreStopOther}, fmt.Errorf("%s.exec.command %q: %w", field, h.Exec.Command, err)
		}
		return PreStop{Kind: PreStopExecSleep, Sleep: d}, nil
	case h.HTTPGet != nil:
		return PreStop{Kind: PreStopHTTPGet, HTTPGet: h.HTTPGet}, nil
	default:
		return PreStop{Kind: PreStopOther}, fmt.Errorf("%s: neither a sleep, an exec nor an httpGet", field)
	}
}

// errNotSleep is an exec hook's command that is not one execSleep reads.
var errNotSleep = errors.New("not a sleep: sleep N, sh -c \"sleep N\" or hello sleep D")

// execSleep reads how long an exec hook sleeps: `sleep N`, `sh -c "sleep N"` or
// `hello sleep D` (hello's helper for images with no shell).
func execSleep(cmd []string) (time.Duration, error) {
	var arg string
	switch {
	case len(cmd) == 2 && path.Base(cmd[0]) == "sleep":
		arg = cmd[1]
	case len(cmd) == 3 && path.Base(cmd[0]) == "hello" && cmd[1] == "sleep":
		arg = cmd[2]
	case len(cmd) == 3 && isShell(path.Base(cmd[0])) && cmd[1] == "-c":
		f := strings.Fields(cmd[2])
		if len(f) != 2 || f[0] != "sleep" {
			return 0, errNotSleep
		}
		arg = f[1]
	default:
		return 0, errNotSleep
	}
	return sleepDuration(arg)
}

func isShell(name string) bool {
	return name == "sh" || name == "bash" || name == "ash" || name == "dash"
}

// sleepDuration reads sleep's argument: seconds (5, 0.5) or a Go duration (5s, 500ms).
func sleepDuration(s string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 {
			return 0, fmt.Errorf("negative sleep %s", s)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("sleep duration %q: want seconds or a duration like 5s", s)
	}
	if d < 0 {
		return 0, fmt.Errorf("negative sleep %s", s)
	}
	return d, nil
}
