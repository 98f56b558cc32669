package lab

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net"
	"path"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"scalelab/loadtest/manifest"
)

// podSpec is what the lab reads from a rendered configuration to run its pods.
type podSpec struct {
	config     string // the overlay's name
	deployment string // the Deployment's name, for the equivalent kubectl commands
	args       []string
	env        []corev1.EnvVar
	listenPort int32 // the port hello listens on in the container (--addr, else 8080)

	startup, readiness, liveness *probeSpec

	preStop     manifest.PreStop
	preStopPort int32 // of an httpGet hook, in the container
	grace       time.Duration

	replicas       int32
	recreate       bool // the Recreate strategy: every old pod gone before a new one
	maxSurge       int32
	maxUnavailable int32
	minReady       time.Duration

	fingerprint uint32 // of the pod template, the base of pod-template-hash
}

// probeSpec is one probe with Kubernetes' defaults applied.
type probeSpec struct {
	kind         string // startup, readiness, liveness
	initialDelay int32  // seconds, compared as the kubelet does: whole seconds since start
	period       time.Duration
	timeout      time.Duration
	success      int32
	failure      int32
	grace        time.Duration // the probe's terminationGracePeriodSeconds; 0: the pod's
	http         *corev1.HTTPGetAction
	port         int32 // in the container; the pod's own port when it is the listen port
}

// newSpec reads cfg. Anything the lab cannot run as Kubernetes would is an error.
func newSpec(cfg *manifest.Config) (*podSpec, error) {
	if cfg == nil || cfg.Deployment == nil || cfg.Container == nil {
		return nil, fmt.Errorf("lab: configuration has no Deployment with a hello container")
	}
	c := cfg.Container
	if len(c.Command) > 0 && path.Base(c.Command[0]) != "hello" {
		return nil, fmt.Errorf("lab: %s: command %q: the lab runs only the hello binary", cfg.Name, c.Command)
	}
	s := &podSpec{
		config:     cfg.Name,
		deployment: cfg.Deployment.Name,
		args:       append(append([]string(nil), c.Command[min(1, len(c.Command)):]...), c.Args...),
		env:        c.Env,
		listenPort: 8080,
		grace:      cfg.GracePeriod(),
		replicas:   cfg.Replicas(),
		minReady:   time.Duration(cfg.Deployment.Spec.MinReadySeconds) * time.Second,
	}
	s.maxSurge, s.maxUnavailable = cfg.Strategy()
	s.recreate = cfg.Deployment.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType
	var err error
	if addr, ok := cfg.HelloFlag("addr"); ok {
		if s.listenPort, err = addrPort(addr); err != nil {
			return nil, fmt.Errorf("lab: %s: hello --addr: %w", cfg.Name, err)
		}
	}
	if s.preStop, err = cfg.PreStop(); err != nil {
		return nil, fmt.Errorf("lab: %s: %w", cfg.Name, err)
	}
	if s.preStop.HTTPGet != nil {
		if err := loopbackHost(s.preStop.HTTPGet.Host); err != nil {
			return nil, fmt.Errorf("lab: %s: preStop httpGet: %w", cfg.Name, err)
		}
		if s.preStopPort, err = cfg.ContainerPort(s.preStop.HTTPGet.Port); err != nil {
			return nil, fmt.Errorf("lab: %s: preStop httpGet: %w", cfg.Name, err)
		}
	}
	for _, p := range []struct {
		kind  string
		probe *corev1.Probe
		dst   **probeSpec
	}{{"startup", c.StartupProbe, &s.startup}, {"readiness", c.ReadinessProbe, &s.readiness}, {"liveness", c.LivenessProbe, &s.liveness}} {
		if p.probe == nil {
			continue
		}
		if *p.dst, err = newProbeSpec(cfg, p.kind, p.probe); err != nil {
			return nil, fmt.Errorf("lab: %s: %s probe: %w", cfg.Name, p.kind, err)
		}
	}
	for _, e := range s.env {
		if _, err := envValue(e, "pod"); err != nil {
			return nil, fmt.Errorf("lab: %s: %w", cfg.Name, err)
		}
	}
	if cfg.PDB != nil { // what the API server would refuse to store
		if _, err := manifest.BudgetStatus(cfg.PDB, s.replicas, s.replicas, s.replicas); err != nil {
			return nil, fmt.Errorf("lab: %s: %w", cfg.Name, err)
		}
	}
	template, err := json.Marshal(cfg.Deployment.Spec.Template)
	if err != nil {
		return nil, fmt.Errorf("lab: %s: pod template: %w", cfg.Name, err)
	}
	h := fnv.New32a()
	h.Write(template)
	s.fingerprint = h.Sum32()
	return s, nil
}

// newProbeSpec applies the API server's defaults to p and resolves its port.
func newProbeSpec(cfg *manifest.Config, kind string, p *corev1.Probe) (*probeSpec, error) {
	t := manifest.ProbeTimings(p)
	ps := &probeSpec{
		kind:         kind,
		initialDelay: int32(t.InitialDelay / time.Second),
		period:       t.Period,
		timeout:      t.Timeout,
		success:      t.Success,
		failure:      t.Failure,
		http:         p.HTTPGet,
	}
	if p.TerminationGracePeriodSeconds != nil {
		ps.grace = time.Duration(*p.TerminationGracePeriodSeconds) * time.Second
	}
	var port intstr.IntOrString
	switch {
	case p.HTTPGet != nil:
		if err := loopbackHost(p.HTTPGet.Host); err != nil {
			return nil, err
		}
		port = p.HTTPGet.Port
	case p.TCPSocket != nil:
		if err := loopbackHost(p.TCPSocket.Host); err != nil {
			return nil, err
		}
		port = p.TCPSocket.Port
	default:
		return nil, fmt.Errorf("only httpGet and tcpSocket probes run in the lab")
	}
	var err error
	if ps.port, err = cfg.ContainerPort(port); err != nil {
		return nil, err
	}
	return ps, nil
}

// addrPort is the port of a listen address such as ":8080".
func addrPort(addr string) (int32, error) {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("port %q: %w", p, err)
	}
	return int32(n), nil
}

// loopbackHost refuses a probe or hook aimed at another host: the lab talks to its own
// processes on loopback only.
func loopbackHost(host string) error {
	if host == "" || host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("host %q: the lab reaches its pods on loopback only", host)
}

// envValue resolves one variable for pod, as the downward API would on the lab's "node".
func envValue(e corev1.EnvVar, pod string) (string, error) {
	vf := e.ValueFrom
	if vf == nil {
		return e.Value, nil
	}
	if vf.FieldRef != nil {
		switch vf.FieldRef.FieldPath {
		case "metadata.name":
			return pod, nil
		case "metadata.namespace":
			return "default", nil
		case "status.podIP", "status.hostIP":
			return "127.0.0.1", nil
		case "spec.nodeName":
			return "lab", nil
		}
		return "", fmt.Errorf("env %s: field %s is not known to the lab", e.Name, vf.FieldRef.FieldPath)
	}
	return "", fmt.Errorf("env %s: only values and fieldRefs are known to the lab", e.Name)
}

// command is the hello process of pod listening on addr: the container's args and env,
// POD_NAME as the downward API sets it, and the listen address appended as a flag (which
// wins over the args before it and over HELLO_ADDR).
func (s *podSpec) command(pod, addr string) (args, env []string) {
	for _, e := range s.env {
		v, _ := envValue(e, pod) // checked by newSpec
		env = append(env, e.Name+"="+v)
	}
	env = append(env, "POD_NAME="+pod)
	args = append(append([]string(nil), s.args...), "--addr", addr)
	return args, env
}

// describe is a short account of the spec for the log.
func (s *podSpec) describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d replicas, maxSurge %d, maxUnavailable %d, grace %s", s.config, s.replicas, s.maxSurge, s.maxUnavailable, s.grace)
	if s.preStop.Kind != "" {
		fmt.Fprintf(&b, ", preStop %s", s.preStop.Kind)
	}
	for _, p := range []*probeSpec{s.startup, s.readiness, s.liveness} {
		if p != nil {
			fmt.Fprintf(&b, ", %s probe", p.kind)
		}
	}
	return b.String()
}
